"""The archive must never be lost or corrupted: readers running beside a writer, two processes writing to
one data dir, a process killed with SIGKILL in the middle of a bulk import, a crash between the SQLite
commit and the FAISS save.

The multi-process tests give the child processes a deterministic hashing embedder: they test SQLite, the
file lock and FAISS, and loading the real model in every child would cost far more than the test itself."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from indexing.archive import Archive
from indexing.config import Settings
from indexing.vector_index import INDEX_FILE, VectorIndex, index_consistent, index_holds_store_ids
from tests.helpers import HashEmbedder

REPO_ROOT = Path(__file__).resolve().parent.parent

TOPICS = [
    "thư viện số", "vườn rau sạch", "phiếu học tập", "sổ liên lạc điện tử", "bếp ăn bán trú", "câu lạc bộ tiếng Anh",
    "phòng thí nghiệm ảo", "bản đồ tư duy", "hộp thư góp ý", "trò chơi dân gian", "nhật ký đọc sách", "tủ sách lớp học",
]


def initiative(i: int) -> str:
    """A short, distinct initiative description (the i-th topic, its own figures)."""
    topic = TOPICS[i]
    return (
        f"SÁNG KIẾN KINH NGHIỆM\nỨng dụng {topic} trong nhà trường\n"
        "I. Lý do chọn đề tài\n"
        f"Trước đây việc triển khai {topic} tại đơn vị còn nhiều hạn chế: giáo viên mất nhiều thời gian chuẩn bị, "
        f"học sinh ít hứng thú và phụ huynh chưa nắm được lợi ích của {topic}.\n"
        "II. Giải pháp thực hiện\n"
        f"Tổ chuyên môn xây dựng kế hoạch {i + 2} bước, phân công người phụ trách {topic}, tập huấn cho giáo viên "
        "và kiểm tra định kỳ hằng tháng. Học sinh được giao nhiệm vụ cụ thể, có sổ theo dõi tiến bộ.\n"
        "III. Hiệu quả đạt được\n"
        f"Sau {i + 3} tháng áp dụng {topic}, tỉ lệ học sinh đạt yêu cầu tăng từ {50 + i}% lên {70 + i}%; "
        f"chi phí giảm {i + 5} triệu đồng mỗi năm học.\n"
    )


def write_initiatives(folder: Path, indices) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in indices:
        path = folder / f"sk{i:02d}.txt"
        path.write_text(initiative(i), encoding="utf-8")
        paths.append(path)
    return paths




# Stores the files given, one output line per stored document. With a `go` file argument, it says
# "ready" once warmed up and waits for that file, so that several importers really run side by side.
IMPORT_SCRIPT = """
import sys, time
from pathlib import Path
from indexing.archive import Archive
from indexing.chunking import make_passages
from indexing.config import Settings
from tests.helpers import HashEmbedder

data_dir, go, files = sys.argv[1], sys.argv[2], sys.argv[3:]
archive = Archive(Settings(data_dir=data_dir), embedder=HashEmbedder())
make_passages(archive.read(Path(files[0])))  # loads the sentence splitter before the race starts
if go:
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.01)
for name in files:
    archive.add_file(Path(name))
    print("stored", name, flush=True)
    time.sleep(0.05)
"""


def start_import(data_dir: Path, files: list[Path], go: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", IMPORT_SCRIPT, str(data_dir), str(go or ""), *map(str, files)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def assert_archive_sound(data_dir: Path, embedder, expected_docs: int) -> Archive:
    """SQLite passes its integrity check and holds `expected_docs` distinct documents; the saved
    vector index, caught up from the store, holds exactly the store's passages, and so does the one
    a fresh process opens."""
    with sqlite3.connect(data_dir / "archive.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        hashes = [r[0] for r in conn.execute("SELECT content_hash FROM documents")]
    assert len(hashes) == len(set(hashes)) == expected_docs
    archive = Archive(Settings(data_dir=data_dir), embedder=embedder)
    saved = VectorIndex.load(archive.settings.index_dir, archive.manifest())
    saved.sync(archive.store)
    assert index_consistent(archive.store, saved) and index_holds_store_ids(archive.store, saved)
    assert index_consistent(archive.store, archive.index) and index_holds_store_ids(archive.store, archive.index)
    return archive


# --- threads: one writer, many readers ---------------------------------------------------------------


@pytest.mark.slow
def test_readers_check_files_while_a_writer_imports(tmp_path, embedder):
    archive = Archive(Settings(data_dir=tmp_path / "data"), embedder=embedder)
    docs = write_initiatives(tmp_path / "docs", range(6))
    for path in docs[:2]:
        archive.add_file(path)
    submission = write_initiatives(tmp_path / "sub", [7])[0]

    errors: list[BaseException] = []
    reports: list[dict] = []
    writing = threading.Event()
    writing.set()

    def writer():
        try:
            for path in docs[2:]:
                archive.add_file(path)
        except BaseException as exc:  # collected: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            writing.clear()

    def reader():
        try:
            while True:
                reports.append(archive.check_file(submission).to_dict())
                if not writing.is_set():
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(reports) >= 3 and all("similarity" in report for report in reports)
    assert archive.store.count_documents() == 6
    assert_archive_sound(archive.settings.data_dir, embedder, expected_docs=6)


# --- processes -----------------------------------------------------------------------------------------


def test_two_processes_import_into_one_data_dir(tmp_path):
    data_dir = tmp_path / "data"
    first = write_initiatives(tmp_path / "a", range(0, 4))
    second = write_initiatives(tmp_path / "b", range(4, 8))
    go = tmp_path / "go"
    processes = [start_import(data_dir, first, go), start_import(data_dir, second, go)]
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
    go.touch()
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    archive = assert_archive_sound(data_dir, HashEmbedder(), expected_docs=8)
    stored = {Path(d.path).name for d in archive.store.list_documents(limit=20)[0]}
    assert stored == {path.name for path in first + second}


def test_sigkill_during_bulk_import_then_resume(tmp_path):
    data_dir = tmp_path / "data"
    docs = write_initiatives(tmp_path / "docs", range(12))
    process = start_import(data_dir, docs)
    stored_before_kill = 0
    for line in process.stdout:  # wait until some documents are in, then pull the plug
        stored_before_kill += line.startswith("stored")
        if stored_before_kill == 3:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    with sqlite3.connect(data_dir / "archive.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        interrupted = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert 3 <= interrupted < len(docs)
    assert_archive_sound(data_dir, HashEmbedder(), expected_docs=interrupted)

    rerun = start_import(data_dir, docs)  # the same command again finishes the job
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert_archive_sound(data_dir, HashEmbedder(), expected_docs=len(docs))


# --- a crash between the SQLite commit and the FAISS save ---------------------------------------------


def test_crash_after_store_commit_is_repaired_on_next_open(tmp_path, monkeypatch):
    """The document is committed to SQLite, then the process dies before its vectors reach the index:
    the next process catches the index up from the store (it is the log), no re-embedding."""
    data_dir = tmp_path / "data"
    docs = write_initiatives(tmp_path / "docs", range(3))
    archive = Archive(Settings(data_dir=data_dir), embedder=HashEmbedder())
    archive.add_file(docs[0])
    archive.index.save(archive.settings.index_dir)
    saved_before = (archive.settings.index_dir / INDEX_FILE).read_bytes()

    real_sync = VectorIndex.sync

    def crash(self, store, batch=4096):
        if store.count_documents() == 2:  # after the commit of the second document
            raise OSError("power cut")
        return real_sync(self, store, batch)

    monkeypatch.setattr(VectorIndex, "sync", crash)
    with pytest.raises(OSError):
        archive.add_file(docs[1])
    monkeypatch.undo()

    # The document is committed, the index on disk is the old one: behind the store.
    assert archive.store.count_documents() == 2
    assert (archive.settings.index_dir / INDEX_FILE).read_bytes() == saved_before
    reopened = Archive(Settings(data_dir=data_dir), embedder=HashEmbedder())
    stale = VectorIndex.load(reopened.settings.index_dir, reopened.manifest())
    assert not index_consistent(reopened.store, stale)

    assert index_consistent(reopened.store, reopened.index)  # caught up from SQLite on open
    second_id = next(d.id for d in reopened.store.list_documents()[0] if d.path.endswith("sk01.txt"))
    scores, ids = reopened.index.search(HashEmbedder().encode_passages([initiative(1)]), 1)
    assert reopened.store.passages_by_ids(ids[0])[0].doc_id == second_id
    reopened.add_file(docs[2])
    assert_archive_sound(data_dir, HashEmbedder(), expected_docs=3)


# --- the FAISS index under concurrent search and update -----------------------------------------------

# FAISS is not thread-safe: without VectorIndex's lock this crashes the interpreter (SIGSEGV) within a
# second or two, hence a child process.
SEARCH_WHILE_UPDATING = """
import threading, time
import numpy as np
from indexing.vector_index import VectorIndex

index = VectorIndex(64)
rng = np.random.default_rng(0)
index.add(np.arange(100), rng.standard_normal((100, 64)))
done = threading.Event()

def reader(seed):
    queries = np.random.default_rng(seed).standard_normal((20, 64)).astype(np.float32)
    while not done.is_set():
        scores, ids = index.search(queries, 10)
        assert ids.min() >= -1 and np.isfinite(scores[ids >= 0]).all()

readers = [threading.Thread(target=reader, args=(seed,)) for seed in range(3)]
for thread in readers:
    thread.start()
started, next_id = time.monotonic(), 100
while time.monotonic() - started < 3:
    index.add(np.arange(next_id, next_id + 50), rng.standard_normal((50, 64)))
    index.remove(np.arange(next_id - 100, next_id - 90))
    next_id += 50
done.set()
for thread in readers:
    thread.join()
print(index.ntotal)
"""


def test_vector_index_survives_search_during_updates():
    result = subprocess.run([sys.executable, "-c", SEARCH_WHILE_UPDATING], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 1000


def test_reader_sees_documents_another_writer_added_since_it_loaded(tmp_path):
    """Two Archive objects on one data dir stand for two processes (the web service and a CLI import):
    the reader's in-memory index must notice the other's writes instead of serving a stale view."""
    files = write_initiatives(tmp_path / "in", range(3))
    reader = Archive(Settings(data_dir=tmp_path / "d"), embedder=HashEmbedder())
    writer = Archive(Settings(data_dir=tmp_path / "d"), embedder=HashEmbedder())
    reader.add_file(files[0])
    assert reader.index.ntotal == reader.store.count_passages()
    added = writer.add_file(files[1])
    assert reader.index.ntotal == writer.store.count_passages()
    hits = reader.search(initiative(1)[:200], per_page=3).hits
    assert added.doc_id in {h.doc_id for h in hits}
    writer.delete(added.doc_id)
    assert reader.index.ntotal == reader.store.count_passages()
