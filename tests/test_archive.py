"""The archive end to end on the demo set (data/demo): indexing, novelty check, search, similar,
delete, reindex and recovery of the FAISS cache, with the real embedding model."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from indexing.archive import Archive
from indexing.config import Settings, get_settings
from indexing.errors import IndexMismatchError, InputError, NotFoundError
from indexing.parse import parse_document
from indexing.report import SearchFilters
from indexing.store import DocMeta
from indexing.text import unaccent

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

def found(archive: Archive, query: str, **filters) -> list[dict]:
    """The hits of one search in their JSON form, as the API returns them."""
    return dicts(archive.search(query, SearchFilters(**filters)).hits)


def test_search_marks_whole_query_words_in_several_snippets(demo):
    archive, ids = demo
    hits = found(archive, "băng giấy phân số")
    assert hits[0]["doc_id"] == ids[FRACTIONS] and hits[0]["relevance"] == "high"
    assert 1 < len(hits[0]["snippets"]) <= 3
    for hit in hits:
        for s in hit["snippets"]:
            marked = [s["text"][a:b] for a, b in s["highlights"]]
            # whole query words only, a two-syllable word marked as one
            assert {unaccent(m) for m in marked} <= {"bang giay", "phan so", "bang", "giay"}, marked
    top = {unaccent(s["text"][a:b]) for s in hits[0]["snippets"] for a, b in s["highlights"]}
    assert {"bang giay", "phan so"} <= top


def test_a_query_typed_without_diacritics_finds_what_the_accented_one_finds(demo):
    archive, ids = demo
    page = archive.search("tre mam non rua tay")
    assert page.understood_as == "trẻ mầm non rửa tay"  # restored from the archive's own text
    assert page.hits[0].doc_id == found(archive, "trẻ mầm non rửa tay")[0]["doc_id"] == ids[HANDWASHING]
    reminder = archive.search("nhac lich tai kham")
    assert reminder.hits[0].doc_id == ids[ZALO]
    marked = {s.text[a:b].lower() for s in reminder.hits[0].snippets for a, b in s.highlights}
    assert "tái khám" in marked and "tai" not in marked  # the word, not a common syllable of it


def test_semantic_search_finds_a_document_sharing_no_word_with_the_query(demo):
    archive, ids = demo
    hits = found(archive, "toddlers wash hands with soap")
    assert [h["doc_id"] for h in hits] == [ids[HANDWASHING]]
    assert all(not s["highlights"] for s in hits[0]["snippets"])


@pytest.mark.parametrize("query", ["xyzabc không tồn tại", "của và những các trong", "weather forecast tomorrow",
                                   "qwerty asdf"])
def test_a_query_about_nothing_in_the_archive_finds_nothing(demo, query):
    page = demo[0].search(query)
    assert page.total == 0 and page.hits == []


def test_search_filters_by_year_field_unit_and_level(demo):
    archive, ids = demo
    in_2022 = found(archive, "huyết áp", year=2022)
    assert [h["doc_id"] for h in in_2022] == [ids[ZALO]]
    health = found(archive, "huyết áp", field="y te co so")  # part of the field, without diacritics
    assert {h["doc_id"] for h in health} == {ids[ZALO], ids[NOTEBOOK]}
    assert [h["doc_id"] for h in found(archive, "huyết áp", unit="huu lung")] == [ids[ZALO]]
    assert found(archive, "huyết áp", year=2005) == []
    with pytest.raises(InputError):
        archive.search("huyết áp", SearchFilters(level="xã hội"))


def test_search_pages_through_the_hits(demo):
    archive, _ = demo
    query = "sáng kiến giúp người dân và học sinh"
    everything = archive.search(query, per_page=50)
    assert everything.total == len(everything.hits) >= 3
    first, second = archive.search(query, per_page=2), archive.search(query, page=2, per_page=2)
    assert first.total == second.total == everything.total
    assert [h.doc_id for h in first.hits + second.hits] == [h.doc_id for h in everything.hits[:4]]
    with pytest.raises(InputError):
        archive.search("huyết áp", page=0)


def test_search_needs_a_query(demo):
    with pytest.raises(InputError, match="nội dung cần tìm"):
        demo[0].search("   ")
    with pytest.raises(InputError, match="300"):
        demo[0].search("huyết áp " * 60)


def test_similar_lists_only_documents_the_novelty_check_relates(scratch):
    archive, ids = scratch
    assert dicts(archive.similar(ids[HANDWASHING])) == []  # nothing else in the archive is about hand washing
    copy = archive.add_file(DEMO / "submissions" / "dup_reworded.md").doc_id
    similar = dicts(archive.similar(ids[FRACTIONS]))
    assert [(s["doc_id"], s["verdict"]) for s in similar] == [(copy, "duplicate")]
    assert similar[0]["score"] > 0.3
    with pytest.raises(NotFoundError):
        archive.similar("khongtontai")


def test_two_archive_documents_side_by_side_and_the_original_file(scratch):
    archive, ids = scratch
    copy = archive.add_file(DEMO / "submissions" / "dup_reworded.md").doc_id
    report = archive.compare_stored(copy, ids[FRACTIONS])
    assert report.mode == "pair" and report.similarity.verdict == "duplicate"
    assert report.similarity.sources[0].doc_id == ids[FRACTIONS] and report.similarity.sources[0].matches
    with pytest.raises(InputError):
        archive.compare_stored(copy, copy)
    path, name = archive.original_file(copy)
    assert path.read_bytes() == (DEMO / "submissions" / "dup_reworded.md").read_bytes()
    assert name == "dup_reworded.md"
    archive.delete(copy)
    assert not path.exists()  # no other document was added from the same file
    assert archive.original_file(ids[FRACTIONS], missing_ok=True) is not None


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
    assert doc_id not in {h["doc_id"] for h in found(archive, "nhóm Zalo nhắc lịch tái khám tăng huyết áp")}
    # The saved index agrees: a fresh process sees the smaller index without rebuilding.
    reopened = Archive(get_settings(data_dir=archive.settings.data_dir), embedder=embedder)
    assert reopened.index.ntotal == vectors - own
    with pytest.raises(NotFoundError):
        archive.delete(doc_id)


def test_reindex_rebuilds_identical_search_results(scratch):
    archive, _ = scratch
    queries = ["huyết áp", "rửa tay cho trẻ mầm non", "hóa đơn điện tử"]
    before = [found(archive, q) for q in queries]
    assert archive.reindex() == archive.store.count_passages()
    assert [found(archive, q) for q in queries] == before


def test_missing_faiss_files_are_rebuilt_on_open(scratch, embedder):
    archive, _ = scratch
    before = found(archive, "sổ theo dõi huyết áp cá nhân")
    for f in archive.settings.index_dir.iterdir():
        f.unlink()
    reopened = Archive(get_settings(data_dir=archive.settings.data_dir), embedder=embedder)
    assert reopened.index.ntotal == reopened.store.count_passages()
    assert {f.name for f in archive.settings.index_dir.iterdir()} >= {"passages.faiss", "manifest.json"}
    assert found(reopened, "sổ theo dõi huyết áp cá nhân") == before


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

