"""Archive-wide token document frequencies kept by the store (table `token_df`), updated in the same
transaction as every document write: a fresh process must read exactly what tokenising every stored
text would give, whoever wrote the store and however a write ended."""
from __future__ import annotations

import sqlite3

from indexing.archive import Archive
from indexing.config import Settings
from indexing.stats import ArchiveStats
from indexing.store import TOKEN_DF_VERSION, ArchiveStore, DocMeta
from tests.helpers import HashEmbedder

TEXTS = [
    "SÁNG KIẾN KINH NGHIỆM\nI. Lý do chọn đề tài\nHọc sinh lớp 4 còn nhầm lẫn khi so sánh phân số có mẫu số khác nhau.\n"
    "II. Giải pháp\nGiáo viên dùng băng giấy màu tự cắt để học sinh gấp, tô và so sánh từng phần.\n",
    "SÁNG KIẾN KINH NGHIỆM\nI. Lý do chọn đề tài\nNgười dân xã Côn Minh đi khám tăng huyết áp không đều.\n"
    "II. Giải pháp\nTrạm y tế lập sổ theo dõi huyết áp cá nhân và tổ chức buổi đo lưu động hằng tháng tại thôn.\n",
    "SÁNG KIẾN KINH NGHIỆM\nI. Lý do chọn đề tài\nHộ kinh doanh ở chợ Đông Kinh chưa quen dùng hóa đơn điện tử.\n"
    "II. Giải pháp\nChi cục thuế lập tổ hỗ trợ lưu động và bộ tài liệu hướng dẫn bằng hình ảnh cho từng hộ.\n",
]




def write_files(tmp_path):
    paths = []
    for i, text in enumerate(TEXTS):
        path = tmp_path / f"sk{i}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def expected(archive: Archive) -> ArchiveStats:
    docs, _ = archive.store.list_documents(limit=100)
    return ArchiveStats.from_texts(archive.store.get_document(d.id).text for d in docs)


def table(archive: Archive) -> dict[str, int]:
    with sqlite3.connect(archive.store.path) as conn:
        return dict(conn.execute("SELECT token, df FROM token_df"))


def test_writes_keep_the_table_current_for_a_fresh_process(tmp_path):
    # No background documents: these tests compare the archive's own counts with a recount.
    settings = Settings(data_dir=tmp_path / "data", background_dir=tmp_path / "no-background")
    archive = Archive(settings, embedder=HashEmbedder())
    paths = write_files(tmp_path)
    ids = [archive.add_file(p).doc_id for p in paths]
    stats = archive.archive_stats()
    truth = expected(archive)
    assert stats.n_docs == 3 and stats.token_df == truth.token_df
    assert table(archive) == dict(truth.token_df)
    assert truth.token_df["giải"] == 3 and truth.token_df["phân"] == 1

    archive.delete(ids[0])
    fresh = Archive(settings, embedder=HashEmbedder())
    stats = fresh.archive_stats()
    truth = expected(fresh)
    assert stats.n_docs == 2 and stats.token_df == truth.token_df
    assert "phân" not in table(fresh)  # a token of the deleted document only is dropped, not left at 0

    fresh.add_file(paths[0])
    assert table(fresh) == dict(expected(fresh).token_df)  # applied incrementally on the write
    assert archive.archive_stats().n_docs == 3  # the other process's cache notices the new document


def test_a_store_write_by_other_means_keeps_the_counts_exact(tmp_path):
    # No background documents: these tests compare the archive's own counts with a recount.
    settings = Settings(data_dir=tmp_path / "data", background_dir=tmp_path / "no-background")
    archive = Archive(settings, embedder=HashEmbedder())
    paths = write_files(tmp_path)
    for p in paths[:2]:
        archive.add_file(p)
    archive.archive_stats()
    # A write straight to the store (bench/, a script): the counts move with it, in its transaction.
    submission = archive.embed_document(archive.read(paths[2]))
    archive.store.add_document(submission.doc, submission.passages, submission.vectors, DocMeta())
    stats = Archive(settings, embedder=HashEmbedder()).archive_stats()
    assert stats.n_docs == 3 and stats.token_df == expected(archive).token_df
    assert table(archive) == dict(stats.token_df)


def test_a_failed_document_write_leaves_the_counts_untouched(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", background_dir=tmp_path / "no-background")
    archive = Archive(settings, embedder=HashEmbedder())
    paths = write_files(tmp_path)
    archive.add_file(paths[0])
    before = table(archive)
    submission = archive.embed_document(archive.read(paths[1]))
    wrong_vectors = submission.vectors[:, :10]  # another dimension: refused inside the transaction
    try:
        archive.store.add_document(submission.doc, submission.passages, wrong_vectors, DocMeta())
    except Exception:
        pass
    assert table(archive) == before and archive.store.count_documents() == 1


def test_an_archive_from_before_the_table_is_counted_once_on_open(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", background_dir=tmp_path / "no-background")
    archive = Archive(settings, embedder=HashEmbedder())
    for path in write_files(tmp_path):
        archive.add_file(path)
    truth = dict(expected(archive).token_df)
    with sqlite3.connect(archive.store.path) as conn:  # as an older version left it
        conn.execute("DELETE FROM token_df")
        conn.execute("DELETE FROM meta WHERE key = 'token_df_version'")
    reopened = ArchiveStore(settings.archive_db)
    assert reopened.meta_get("token_df_version") == TOKEN_DF_VERSION
    assert table(archive) == truth


def test_background_documents_smooth_the_archive_counts(tmp_path):
    """A young archive borrows the word statistics of the shipped background documents, so genre
    words (học sinh, sáng kiến) are not mistaken for rare ones; the archive's own table is unchanged."""
    background = tmp_path / "background"
    background.mkdir()
    (background / "a.md").write_text("Sáng kiến giúp học sinh đọc tốt hơn.", encoding="utf-8")
    (background / "b.txt").write_text("Học sinh lớp 4 làm thí nghiệm.", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", background_dir=background)
    archive = Archive(settings, embedder=HashEmbedder())
    for path in write_files(tmp_path)[:2]:
        archive.add_file(path)
    stats = archive.archive_stats()
    own = expected(archive)
    assert stats.n_docs == own.n_docs + 2
    assert stats.token_df["học"] == own.token_df["học"] + 2
    assert stats.token_df["nghiệm"] == own.token_df["nghiệm"] + 1
