import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from indexing.document import Block, Document, Passage, Section
from indexing.errors import IndexMismatchError, InputError, NotFoundError
from indexing.store import ArchiveStore, DocMeta, content_hash, document_hash

DIM = 8

SK_TOAN = [
    "Thực trạng",
    "Học sinh lớp 4 còn lúng túng khi giải toán có lời văn, nhiều em đọc đề chưa kĩ.",
    "Giải pháp",
    "Giáo viên dùng sơ đồ đoạn thẳng để học sinh tóm tắt đề toán trước khi giải.",
    "Mỗi tuần tổ chức một tiết thi đua giải toán theo nhóm bốn em.",
]
SK_NONG_NGHIEP = [
    "Thực trạng",
    "Nông dân xã Tân Lập bón phân theo thói quen nên chi phí cao, năng suất lúa thấp.",
    "Giải pháp",
    "Hướng dẫn bà con dùng bảng so màu lá để bón đạm đúng lúc, đúng lượng.",
]


def build(lines, kinds=None):
    """A Document with one section per heading ("Thực trạng", "Giải pháp") and one passage per body line."""
    blocks = [Block(line, "heading" if line in ("Thực trạng", "Giải pháp") else "paragraph") for line in lines]
    offsets, pos = [], 0
    for b in blocks:
        offsets.append(pos)
        pos += len(b.text) + 1
    text = "\n".join(lines)
    heads = [i for i, b in enumerate(blocks) if b.kind == "heading"] + [len(blocks)]
    sections = []
    for h, nxt in zip(heads, heads[1:]):
        end = offsets[nxt] - 1 if nxt < len(blocks) else len(text)
        kind = "current_state" if blocks[h].text == "Thực trạng" else "solution"
        sections.append(Section(blocks[h].text, kind, 1, offsets[h], offsets[h] + len(blocks[h].text) + 1, end))
    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="docx", template="hd291", sections=sections)
    passages = []
    for b, off in zip(blocks, offsets):
        if b.kind == "paragraph":
            sec = next(j for j, s in enumerate(sections) if s.body_start <= off < s.end)
            passages.append(
                Passage(b.text, off, off + len(b.text), sec, sections[sec].heading, sections[sec].kind, len(passages))
            )
    return doc, passages


def vectors(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


@pytest.fixture
def store(tmp_path):
    s = ArchiveStore(tmp_path / "archive.db")
    yield s
    s.close()


@pytest.fixture
def two_docs(store):
    doc_a, pas_a = build(SK_TOAN)
    doc_b, pas_b = build(SK_NONG_NGHIEP)
    vec_a = vectors(len(pas_a), 1)
    id_a = store.add_document(
        doc_a, pas_a, vec_a,
        DocMeta(title="Giải toán có lời văn lớp 4", year=2022, unit="Trường Tiểu học Hoà Bình",
                level="cơ sở", field="giáo dục", authors="Lê Thị Hương", status="công nhận",
                path="/kho/giai-toan.docx"),
    )
    id_b = store.add_document(
        doc_b, pas_b, vectors(len(pas_b), 2),
        DocMeta(title="Bón phân theo bảng so màu lá", year=2023, unit="UBND xã Tân Lập",
                level="huyện", field="nông nghiệp", authors="Trần Văn Đức"),
    )
    return (id_a, doc_a, pas_a, vec_a), (id_b, doc_b, pas_b)


def test_sqlite_build_has_fts5_and_wal(store):
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.meta_get("schema_version") == "1"


def test_add_get_round_trip(store, two_docs):
    (id_a, doc_a, pas_a, vec_a), _ = two_docs
    assert id_a == content_hash(doc_a.text.encode())[:12] == document_hash(doc_a)[:12]
    assert store.find_by_hash(document_hash(doc_a)) == id_a
    assert store.find_by_hash("0" * 64) is None

    got = store.get_document(id_a)
    assert got.text == doc_a.text and got.title == "Giải toán có lời văn lớp 4"
    assert got.year == 2022 and got.level == "cơ sở" and got.filename == "giai-toan.docx"
    assert got.template == "hd291" and got.format == "docx" and got.passage_count == len(pas_a)
    assert got.sections == doc_a.sections

    ids = store.passage_ids(id_a)
    stored = store.passages_by_ids(list(reversed(ids)) + [-1])
    assert [p.id for p in stored] == list(reversed(ids))
    first = stored[-1]
    assert (first.text, first.start, first.end) == (pas_a[0].text, pas_a[0].start, pas_a[0].end)
    assert got.text[first.start : first.end] == first.text
    assert first.section_kind == "current_state" and first.section_heading == "Thực trạng"
    np.testing.assert_array_equal(store.passage_vectors(ids), vec_a)
    assert store.dimension() == DIM


def test_same_content_is_idempotent(store, two_docs):
    (id_a, doc_a, pas_a, _), _ = two_docs
    again = store.add_document(doc_a, pas_a, vectors(len(pas_a), 9), DocMeta(title="Bản nộp lại"))
    assert again == id_a
    assert store.count_documents() == 2 and store.count_passages() == 3 + 2
    assert store.get_document(id_a).title == "Giải toán có lời văn lớp 4"


def test_list_filters_and_search(store, two_docs):
    (id_a, *_), (id_b, *_) = two_docs
    docs, total = store.list_documents()
    assert total == 2 and {d.id for d in docs} == {id_a, id_b}
    assert [d.id for d in store.list_documents(year=2023)[0]] == [id_b]
    assert [d.id for d in store.list_documents(field="giáo dục")[0]] == [id_a]
    assert store.list_documents(unit="UBND xã Tân Lập")[1] == 1
    # q is case-insensitive beyond ASCII ("GIẢI" vs "Giải") and matches authors too.
    assert [d.id for d in store.list_documents(q="GIẢI TOÁN")[0]] == [id_a]
    assert [d.id for d in store.list_documents(q="văn đức")[0]] == [id_b]
    assert store.list_documents(q="100%")[1] == 0  # LIKE wildcards in q are literal
    # ... and without diacritics, as typed on a phone ("tan lap" finds "Tân Lập", "giai toan" the title).
    assert [d.id for d in store.list_documents(q="giai toan")[0]] == [id_a]
    assert [d.id for d in store.list_documents(q="ubnd xa tan lap")[0]] == [id_b]
    assert [d.id for d in store.list_documents(q="nong nghiep")[0]] == [id_b]  # the field too
    page, total = store.list_documents(limit=1, offset=1)
    assert total == 2 and len(page) == 1


def test_documents_matching_limits_a_search_without_case_or_diacritics(store, two_docs):
    (id_a, *_), (id_b, *_) = two_docs
    assert set(store.documents_matching()) == {id_a, id_b}
    assert store.documents_matching(year=2023) == [id_b]
    assert store.documents_matching(unit="tan lap") == [id_b]
    assert store.documents_matching(field="GIÁO") == [id_a]
    assert store.documents_matching(unit="tan lap", year=2022) == []
    assert store.documents_matching(unit="50%_") == []  # wildcards are literal
    with pytest.raises(InputError):
        store.documents_matching(level="xã hội")


def test_update_metadata(store, two_docs):
    (id_a, *_), _ = two_docs
    store.update_metadata(id_a, year=2024, level="Tỉnh", status="đang xét", metadata={"ghi chú": "bổ sung"})
    got = store.get_document(id_a)
    assert (got.year, got.level, got.status, got.metadata) == (2024, "tỉnh", "đang xét", {"ghi chú": "bổ sung"})
    with pytest.raises(InputError):
        store.update_metadata(id_a, level="xã hội")
    with pytest.raises(InputError):
        store.update_metadata(id_a, text="ghi đè")
    with pytest.raises(InputError):
        store.update_metadata(id_a, year="năm ngoái")
    with pytest.raises(NotFoundError):
        store.update_metadata("khongton", year=2020)


def test_delete_removes_passages_and_sections(store, two_docs):
    (id_a, *_), (id_b, *_) = two_docs
    ids_a = store.passage_ids(id_a)
    assert store.delete_document(id_a) == ids_a
    with pytest.raises(NotFoundError) as err:
        store.get_document(id_a)
    assert "Không tìm thấy" in err.value.message
    assert store.passages_by_ids(ids_a) == []
    conn = store._conn()
    assert conn.execute("SELECT count(*) FROM sections WHERE doc_id = ?", (id_a,)).fetchone()[0] == 0
    assert store.count_passages() == 2 and store.passage_owners(ids_a) == {}
    with pytest.raises(NotFoundError):
        store.delete_document(id_a)
    # Passage ids are FAISS ids: they must never be reused after a delete.
    doc, pas = build(SK_TOAN + ["Kết quả: 92% học sinh giải đúng."])
    new_id = store.add_document(doc, pas, vectors(len(pas)), DocMeta())
    assert min(store.passage_ids(new_id)) > max(ids_a)


def test_title_vectors_are_kept_and_dropped_when_the_title_changes(store, two_docs):
    (id_a, *_), (id_b, *_) = two_docs
    assert set(store.titles_without_vector()) == {id_a, id_b}
    store.set_title_vectors({id_a: np.ones(DIM), id_b: np.zeros(DIM)})
    ids, matrix = store.title_vectors([id_b, id_a, "khongton"])
    assert sorted(ids) == sorted([id_a, id_b]) and matrix.shape == (2, DIM)
    assert store.titles_without_vector() == {}
    store.update_metadata(id_a, title="Tên mới")
    assert store.titles_without_vector() == {id_a: "Tên mới"}


def test_an_archive_of_an_older_version_loses_its_fts_table_and_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE documents (id TEXT PRIMARY KEY, content_hash TEXT NOT NULL UNIQUE, title TEXT NOT NULL DEFAULT '',
            year INTEGER, unit TEXT, level TEXT, field TEXT, authors TEXT, status TEXT, template TEXT, path TEXT,
            filename TEXT, format TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}');
        CREATE TABLE passages (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
            section_idx INTEGER, section_heading TEXT, section_kind TEXT, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text TEXT NOT NULL, vector BLOB NOT NULL);
        CREATE VIRTUAL TABLE passages_fts USING fts5(text, content='passages', content_rowid='id');
        INSERT INTO documents VALUES ('d1', 'h1', 'Tên', 2020, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'md',
            'Nội dung', '2020-01-01', '{}');
    """)
    conn.close()
    store = ArchiveStore(path)
    tables = {r[0] for r in store._conn().execute("SELECT name FROM sqlite_master")}
    assert "passages_fts" not in tables
    assert store.get_document("d1").original is None and store.titles_without_vector() == {"d1": "Tên"}


def test_token_statistics_are_kept_by_the_store(store, two_docs):
    from indexing.stats import ArchiveStats

    docs, _ = store.list_documents()
    stats = store.token_stats()
    assert stats == ArchiveStats.from_texts(store.get_document(d.id).text for d in docs)
    assert stats.n_docs == 2 and stats.token_df["toán"] >= 1 and "không-có" not in stats.token_df


def test_iter_vectors_covers_every_passage_in_batches(store, two_docs):
    batches = list(store.iter_vectors(batch=2))
    assert [len(ids) for ids, _ in batches] == [2, 2, 1]
    ids = np.concatenate([i for i, _ in batches])
    assert ids.tolist() == store.passage_ids()
    assert all(v.shape[1] == DIM and v.dtype == np.float32 for _, v in batches)


def test_add_is_atomic(store, two_docs, monkeypatch):
    doc, pas = build(SK_TOAN[:2])
    before = store.count_documents(), store.count_passages()
    with pytest.raises(InputError):
        store.add_document(doc, pas, vectors(len(pas) + 1), DocMeta())
    with pytest.raises(IndexMismatchError):
        store.add_document(doc, pas, np.zeros((len(pas), DIM + 1), np.float32), DocMeta())
    # A failure after the document row is written must roll the whole document back.
    bad = [*pas, Passage("trùng", 0, 5, None, None, None, 1)]
    bad[-1].text = None  # NOT NULL violation on the last passage insert
    with pytest.raises(sqlite3.IntegrityError):
        store.add_document(doc, bad, vectors(len(bad)), DocMeta())
    assert (store.count_documents(), store.count_passages()) == before
    assert store.find_by_hash(document_hash(doc)) is None


def test_readers_in_other_threads(store, two_docs, tmp_path):
    results = []

    def read():
        results.append(store.count_documents())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [2] * 4
    reopened = ArchiveStore(tmp_path / "archive.db")
    assert reopened.count_documents() == 2


OPEN_STORE = """
import sys, time
from pathlib import Path
from indexing.store import ArchiveStore
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
ArchiveStore(Path(sys.argv[1]))
"""


def test_processes_opening_a_new_archive_at_once_all_succeed(tmp_path):
    """Two importers started together on an empty data dir race to create the file and switch it to
    WAL; SQLite answers "database is locked" to that switch without waiting, so the store retries."""
    repo = Path(__file__).resolve().parent.parent
    for trial in range(8):
        folder = tmp_path / str(trial)
        folder.mkdir()
        procs = [subprocess.Popen([sys.executable, "-c", OPEN_STORE, str(folder / "a.sqlite3"), str(folder / "go")],
                                  cwd=repo, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        time.sleep(0.5)
        (folder / "go").touch()
        errors = [p.communicate()[1] for p in procs if p.wait() != 0]
        assert errors == []


def test_fields_lists_each_field_once_sorted(store, two_docs):
    assert store.fields() == sorted({d.field for d in store.list_documents()[0] if d.field})
    assert len(store.fields()) == len(set(store.fields())) >= 1
