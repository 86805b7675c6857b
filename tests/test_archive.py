"""The archive end to end on the demo set (data/demo): indexing, novelty check, search, similar,
delete, reindex and recovery of the FAISS cache, with the real embedding model."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from indexing.archive import Archive
from indexing.config import Settings, get_settings
from indexing.errors import IndexMismatchError, InputError, NotFoundError
from indexing.parse import parse_document
from indexing.store import DocMeta

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
LABELS = json.loads((DEMO / "labels.json").read_text(encoding="utf-8"))
with open(DEMO / "manifest.csv", newline="", encoding="utf-8") as _fh:
    MANIFEST = list(csv.DictReader(_fh))
ZALO = "archive/tram-y-te-zalo-tang-huyet-ap.md"
NOTEBOOK = "archive/tang-huyet-ap-so-theo-doi.md"
FRACTIONS = "archive/toan4-phan-so-bang-giay.md"
HANDWASHING = "archive/mam-non-rua-tay.md"


def dicts(items) -> list[dict]:
    """Search / similar results in their JSON form, as the API returns them."""
    return [item.to_dict() for item in items]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, embedder):
    """The eight archive documents of the demo manifest, indexed once for the module.
    Yields (archive, {manifest path: doc_id})."""
    archive = Archive(get_settings(data_dir=tmp_path_factory.mktemp("demo-archive")), embedder=embedder)
    ids = {}
    for row in MANIFEST:
        meta = DocMeta(title=row["title"], year=int(row["year"]), unit=row["unit"], field=row["field"])
        added = archive.add_file(DEMO / row["path"], meta)
        assert added.created
        ids[row["path"]] = added.doc_id
    return archive, ids


@pytest.fixture
def scratch(demo, tmp_path, embedder):
    """A copy of the demo archive (SQLite + FAISS files) that a test may change freely."""
    archive, ids = demo
    archive.store.close()  # checkpoint-free copy: no connection of this thread holds the files open
    shutil.copytree(archive.settings.data_dir, tmp_path / "data")
    return Archive(get_settings(data_dir=tmp_path / "data"), embedder=embedder), ids


def counts(archive: Archive) -> tuple[int, int, int]:
    return archive.store.count_documents(), archive.store.count_passages(), archive.index.ntotal


# --- indexing ------------------------------------------------------------------------------------

def test_manifest_metadata_is_stored(demo):
    archive, ids = demo
    assert len(set(ids.values())) == len(MANIFEST) == archive.store.count_documents()
    for row in MANIFEST:
        stored = archive.store.get_document(ids[row["path"]])
        assert (stored.title, stored.year, stored.unit, stored.field) == (
            row["title"], int(row["year"]), row["unit"], row["field"])
        assert stored.template == LABELS["docs"][row["path"]]["template"]
    assert archive.index.ntotal == archive.store.count_passages() > 8 * 10


def test_indexing_the_same_content_again_is_idempotent(demo, tmp_path):
    archive, ids = demo
    before = counts(archive)
    again = archive.add_file(DEMO / FRACTIONS)
    assert (again.doc_id, again.created) == (ids[FRACTIONS], False)
    renamed = shutil.copy(DEMO / FRACTIONS, tmp_path / "ban-sao-khac-ten.md")
    assert archive.add_file(Path(renamed)).doc_id == ids[FRACTIONS]
    assert counts(archive) == before


def test_metadata_defaults_come_from_front_matter(tmp_path, embedder):
    archive = Archive(get_settings(data_dir=tmp_path), embedder=embedder)
    added = archive.add_file(DEMO / "submissions" / "original.md")
    stored = archive.store.get_document(added.doc_id)
    assert (stored.title, stored.year, stored.unit, stored.field, stored.authors) == (
        LABELS["docs"]["submissions/original.md"]["title"], 2024,
        "Trường THCS Xuân Long, huyện Cao Lộc, tỉnh Lạng Sơn", "Công nghệ thông tin trong quản lý giáo dục",
        "Vy Thị Kim Oanh")


# --- novelty check -------------------------------------------------------------------------------

def expected_outcome(archive_ids: dict, rel: str, similarity: dict) -> None:
    """The verdicts labels.json promises for a demo submission."""
    label = LABELS["docs"][rel]
    sources = similarity["sources"]
    flagged = [s for s in sources if s["verdict"] in ("duplicate", "partial")]
    if label["kind"] == "paraphrase":
        assert similarity["verdict"] == "duplicate"
        assert sources[0]["doc_id"] == archive_ids[label["duplicate_of"]]
        assert sources[0]["verdict"] == "duplicate"
        assert [s["doc_id"] for s in flagged] == [sources[0]["doc_id"]]
    elif label["kind"] == "partial_copy":
        assert similarity["verdict"] == "partial"
        assert [s["doc_id"] for s in flagged] == [archive_ids[label["copied_from"]]]
        assert flagged[0]["verdict"] == "partial"
        assert flagged[0]["copied_sections"] == label["copied_sections"]
    else:  # same topic with another solution, or a new initiative
        assert similarity["verdict"] == "original"
        assert flagged == []


SUBMISSIONS = sorted(rel for rel, label in LABELS["docs"].items() if label["role"] == "submission")


@pytest.mark.parametrize("rel", SUBMISSIONS)
def test_check_matches_labels_and_never_stores(demo, rel):
    archive, ids = demo
    before = counts(archive)
    report = archive.check_file(DEMO / rel).to_dict()
    assert counts(archive) == before
    expected_outcome(ids, rel, report["similarity"])
    text = parse_document(DEMO / rel, Settings()).text
    matches = [m for s in report["similarity"]["sources"] for m in s["matches"]]
    for m in matches:
        assert m["text"] == text[m["start"]:m["end"]]
    if LABELS["docs"][rel]["kind"] == "partial_copy":
        copied = set(LABELS["docs"][rel]["copied_sections"])
        # Every copied section is shown, each with the same section of the source beside it.
        assert copied <= {m["section"] for m in matches}
        assert all(m["source_section"] == m["section"] for m in matches if m["section"] in copied)


def test_check_excluding_the_source_itself(demo):
    """Re-checking a stored document against the rest of the archive does not find itself."""
    archive, ids = demo
    doc = archive.read(DEMO / FRACTIONS)
    alone = archive.check_document(doc).to_dict()["similarity"]
    assert alone["sources"][0]["doc_id"] == ids[FRACTIONS] and alone["verdict"] == "duplicate"
    excluded = archive.check_document(doc, exclude=ids[FRACTIONS]).to_dict()["similarity"]
    assert ids[FRACTIONS] not in {s["doc_id"] for s in excluded["sources"]}
    assert excluded["verdict"] == "original"


def test_check_refuses_text_that_is_not_vietnamese(demo, tmp_path):
    archive, _ = demo
    english = tmp_path / "report.txt"
    english.write_text("This report describes how the village clinic reminds patients of their check-ups. " * 20)
    with pytest.raises(InputError, match="tiếng Việt"):
        archive.check_file(english)


# --- search and similar --------------------------------------------------------------------------

def query_words(query: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\w+", query) if len(w) > 1}


def test_keyword_search_groups_by_document_and_highlights_query_words(demo):
    archive, ids = demo
    query = "băng giấy phân số"
    hits = dicts(archive.search(query, k=5))
    assert hits[0]["doc_id"] == ids[FRACTIONS]
    assert len({h["doc_id"] for h in hits}) == len(hits) <= 5
    assert hits[0]["passages"] > 1  # several passages of one document fold into one hit
    for hit in hits:
        words = [hit["text"][s:e].casefold() for s, e in hit["highlights"]]
        assert set(words) <= query_words(query)
        # every occurrence is marked, not only the first
        assert len(words) == sum(w.casefold() in query_words(query) for w in re.findall(r"\w+", hit["text"]))
    top = hits[0]
    assert {top["text"][s:e].casefold() for s, e in top["highlights"]} == query_words(query)


def test_semantic_search_finds_a_document_sharing_no_word_with_the_query(demo):
    archive, ids = demo
    query = "toddlers wash hands with soap"
    assert archive.store.keyword_search(query) == []
    hits = dicts(archive.search(query, k=3))
    assert hits[0]["doc_id"] == ids[HANDWASHING]
    assert hits[0]["highlights"] == []
    assert all(hits[0]["similarity"] > hit["similarity"] for hit in hits[1:])


def test_search_filters_by_year_and_field(demo):
    archive, ids = demo
    in_2022 = dicts(archive.search("huyết áp", year=2022))
    assert in_2022[0]["doc_id"] == ids[ZALO]
    assert {h["year"] for h in in_2022} == {2022}
    health = dicts(archive.search("huyết áp", field="Y tế cơ sở"))
    assert {h["doc_id"] for h in health} == {ids[ZALO], ids[NOTEBOOK]}
    assert dicts(archive.search("huyết áp", year=2005)) == []


def test_search_needs_a_query(demo):
    with pytest.raises(InputError, match="nội dung cần tìm"):
        dicts(demo[0].search("   "))


def test_similar_pairs_the_two_hypertension_documents(demo):
    archive, ids = demo
    similar = dicts(archive.similar(ids[ZALO], k=3))
    assert similar[0]["doc_id"] == ids[NOTEBOOK]
    assert ids[ZALO] not in {s["doc_id"] for s in similar}
    assert similar[0]["similarity"] > similar[1]["similarity"]
    assert dicts(archive.similar(ids[NOTEBOOK], k=1))[0]["doc_id"] == ids[ZALO]
    with pytest.raises(NotFoundError):
        dicts(archive.similar("khongtontai"))


# --- delete, reindex, recovery, model mismatch ---------------------------------------------------

def test_delete_removes_document_and_vectors(scratch, embedder):
    archive, ids = scratch
    doc_id = ids[ZALO]
    docs, passages, vectors = counts(archive)
    own = len(archive.store.passage_ids(doc_id))
    assert own > 0
    archive.delete(doc_id)
    assert counts(archive) == (docs - 1, passages - own, vectors - own)
    with pytest.raises(NotFoundError):
        archive.store.get_document(doc_id)
    assert doc_id not in {h["doc_id"] for h in dicts(archive.search("nhóm Zalo nhắc lịch tái khám tăng huyết áp"))}
    # The saved index agrees: a fresh process sees the smaller index without rebuilding.
    reopened = Archive(get_settings(data_dir=archive.settings.data_dir), embedder=embedder)
    assert reopened.index.ntotal == vectors - own
    with pytest.raises(NotFoundError):
        archive.delete(doc_id)


def test_reindex_rebuilds_identical_search_results(scratch):
    archive, _ = scratch
    queries = ["huyết áp", "rửa tay cho trẻ mầm non", "hóa đơn điện tử"]
    before = [dicts(archive.search(q)) for q in queries]
    assert archive.reindex() == archive.store.count_passages()
    assert [dicts(archive.search(q)) for q in queries] == before


def test_missing_faiss_files_are_rebuilt_on_open(scratch, embedder):
    archive, _ = scratch
    before = dicts(archive.search("sổ theo dõi huyết áp cá nhân"))
    for f in archive.settings.index_dir.iterdir():
        f.unlink()
    reopened = Archive(get_settings(data_dir=archive.settings.data_dir), embedder=embedder)
    assert reopened.index.ntotal == reopened.store.count_passages()
    assert {f.name for f in archive.settings.index_dir.iterdir()} >= {"passages.faiss", "manifest.json"}
    assert dicts(reopened.search("sổ theo dõi huyết áp cá nhân")) == before


class OtherModel:
    """The same vectors under another model id: what a changed SANGKIEN_MODEL looks like."""

    model_id = "another-model-0000"

    def __init__(self, inner):
        self.inner = inner
        self.dim = inner.dim

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)


def test_archive_built_with_another_model_is_refused(scratch, embedder):
    archive, _ = scratch
    before = (archive.store.count_documents(), archive.store.count_passages())
    other = Archive(get_settings(data_dir=archive.settings.data_dir), embedder=OtherModel(embedder))
    with pytest.raises(IndexMismatchError, match="model_id"):
        other.index
    with pytest.raises(IndexMismatchError):
        other.check_file(DEMO / "submissions" / "original.md")
    with pytest.raises(IndexMismatchError):
        other.add_file(DEMO / "submissions" / "original.md")
    assert (archive.store.count_documents(), archive.store.count_passages()) == before


def test_search_for_something_unrelated_returns_nothing(demo):
    archive, _ = demo
    assert archive.store.keyword_search("weather forecast tomorrow") == []
    assert dicts(archive.search("weather forecast tomorrow", k=5)) == []
