"""FAISS index over passage vectors: cosine similarity as inner product on L2-normalised vectors.

The index is a cache of the vectors stored in SQLite (`ArchiveStore`), and SQLite is also its log:
passage ids only grow and every deleted passage id is recorded with a sequence number, so an index
knows how far it has caught up (`position`: the highest passage id and deletion number it holds) and
`sync` applies only what changed since, reading the new vectors from the store. Adding a document
therefore costs its own passages, never a rewrite of the whole index; a snapshot of the index is
written now and then (`save`, when enough has changed) and on open the snapshot is caught up the
same way. A missing, damaged or incompatible snapshot is rebuilt from the store without re-embedding.

The index type follows the archive's size (`choose_index_type`): exact search (one BLAS product)
while it is small enough, an inverted file with 8-bit scalar quantisation (trained on stored
vectors, a quarter of the memory) beyond; the archive upgrades itself when it crosses the size.
The manifest beside the snapshot records what the vectors mean (model, dimension, text-processing
versions) so incompatible vectors are never mixed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np

from indexing.errors import IndexMismatchError, NotFoundError

log = logging.getLogger(__name__)

INDEX_FILE = "passages.faiss"
MANIFEST_FILE = "manifest.json"
# Manifest keys that make two sets of vectors incomparable; other keys are informational.
COMPATIBILITY_KEYS = ("model_id", "dimension")
# Queries multiplied against a flat index at once: 16 × 400k scores are 26 MB.
FLAT_QUERY_BATCH = 16
# Exact search up to this many vectors (0.6 GB of float32 at 384 dimensions, ~25 ms a query on two
# cores); an inverted file beyond (bench.py measures both, and the recall of the second).
FLAT_LIMIT = 400_000
# Lists probed per query, as a share of the lists (at least IVF_MIN_PROBE): recall@20 >= 0.99 on
# real passage vectors (bench.py prints it).
IVF_PROBE_SHARE = 1 / 16
IVF_MIN_PROBE = 32
# Vectors used to train an inverted file (k-means): 64 per list, capped.
IVF_TRAIN_PER_LIST = 64
IVF_TRAIN_MAX = 200_000
# A snapshot is written when this many vectors changed since the last one (or a tenth of the index).
SNAPSHOT_CHANGES = 20_000


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.array(vectors, dtype=np.float32, ndmin=2, copy=True)
    faiss.normalize_L2(vectors)
    return vectors


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make a rename itself durable
    finally:
        os.close(dir_fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file in the same directory, fsync, then rename over `path`: readers and a
    crash see either the old file or the complete new one, never a torn write."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def choose_index_type(n_vectors: int) -> str:
    """The FAISS factory string for an archive of this many vectors (see FLAT_LIMIT)."""
    if n_vectors < FLAT_LIMIT:
        return "Flat"
    lists = 2 ** round(math.log2(2 * math.sqrt(n_vectors)))
    return f"IVF{lists},SQ8"


def brute_force_search(matrix: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine top-k in numpy: (scores (n, k), row indices (n, k)), padded with -inf / -1 when
    `matrix` has fewer than k rows. The model-free reference the FAISS index must agree with."""
    matrix, queries = _normalised(matrix), _normalised(queries)
    sims = queries @ matrix.T
    top = min(k, matrix.shape[0])
    order = np.argsort(-sims, axis=1, kind="stable")[:, :top]
    scores = np.full((queries.shape[0], k), -np.inf, dtype=np.float32)
    ids = np.full((queries.shape[0], k), -1, dtype=np.int64)
    scores[:, :top] = np.take_along_axis(sims, order, axis=1)
    ids[:, :top] = order
    return scores, ids


class VectorIndex:
    """`IndexIDMap2` (explicit int64 ids = passage ids) around any FAISS factory string; "Flat" is
    exact search. Thread-safe: FAISS itself is not (a search running while another thread adds or
    removes vectors reads freed memory and crashes the process), so every call takes a lock."""

    def __init__(self, dimension: int, index_type: str = "Flat", manifest: dict | None = None):
        self.dimension = int(dimension)
        self.index_type = index_type
        # model_id, model_checksum, versions {normalizer, segmenter, templates}, ... as given
        self.manifest = {k: v for k, v in (manifest or {}).items() if k != "dimension"}
        self.created_at = _now()
        inner = faiss.index_factory(self.dimension, index_type, faiss.METRIC_INNER_PRODUCT)
        self.index = faiss.IndexIDMap2(inner)
        self.position = (0, 0)  # (highest passage id, highest deletion number) this index reflects
        self.unsaved = 0  # vectors added or removed since the last snapshot
        self._lock = threading.RLock()
        self._set_probes()

    @property
    def ntotal(self) -> int:
        return self.index.ntotal

    @property
    def lists(self) -> int:
        """Inverted lists (0 for exact search)."""
        match = re.match(r"IVF(\d+)", self.index_type)
        return int(match.group(1)) if match else 0

    def _set_probes(self) -> None:
        if self.lists:
            faiss.extract_index_ivf(self.index.index).nprobe = max(IVF_MIN_PROBE, int(self.lists * IVF_PROBE_SHARE))

    def ids(self) -> np.ndarray:
        with self._lock:
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids, vectors: np.ndarray) -> None:
        """Add (or replace) vectors under the given ids. Replacing keeps re-indexing a document
        idempotent instead of leaving duplicate hits; ids above every id held (the usual case:
        passage ids only grow) skip that check, which costs a pass over the index."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        vectors = _normalised(vectors)
        if vectors.shape != (len(ids), self.dimension):
            raise IndexMismatchError(
                f"Cần {len(ids)} véc-tơ {self.dimension} chiều nhưng nhận được dạng {vectors.shape}; "
                "không thể trộn véc-tơ của các mô hình khác nhau."
            )
        if not len(ids):
            return
        with self._lock:
            if self.ntotal and ids.min() <= self._max_id():
                self.index.remove_ids(faiss.IDSelectorBatch(ids))
            if not self.index.is_trained:
                self.index.train(vectors)  # e.g. IVF: learns its clusters from the first batch
            self.index.add_with_ids(vectors, ids)
            self.unsaved += len(ids)

    def _max_id(self) -> int:
        n = self.ntotal
        return int(faiss.rev_swig_ptr(self.index.id_map.data(), n).max()) if n else -1

    def remove(self, ids) -> int:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if not len(ids):
            return 0
        with self._lock:
            removed = int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))
            self.unsaved += removed
            return removed

    def sync(self, store, batch: int = 4096) -> int:
        """Catch up with the store: add the passages stored since `position`, drop those deleted
        since; returns how many vectors changed. Reads only what changed."""
        with self._lock:
            target = store.sync_position()
            if target == self.position:
                return 0
            changed = 0
            for ids, vectors in store.iter_vectors(batch, after=self.position[0], upto=target[0]):
                self.add(ids, vectors)
                changed += len(ids)
            deleted = store.deleted_passages(after=self.position[1], upto=target[1])
            changed += self.remove(deleted)
            self.position = target
            return changed

    def needs_snapshot(self) -> bool:
        return self.unsaved >= max(SNAPSHOT_CHANGES, self.ntotal // 10)

    def search(self, queries: np.ndarray, k: int, allowed=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by cosine: (scores (n, k) float32, passage ids (n, k) int64), -1 id padding; only
        among the passage ids `allowed` when given (a search limited by year, unit, ...)."""
        queries = _normalised(queries)
        if queries.shape[1] != self.dimension:
            raise IndexMismatchError(
                f"Véc-tơ truy vấn có {queries.shape[1]} chiều, chỉ mục dùng {self.dimension} chiều."
            )
        if self.ntotal == 0:
            return (
                np.full((len(queries), k), -np.inf, dtype=np.float32),
                np.full((len(queries), k), -1, dtype=np.int64),
            )
        with self._lock:
            if isinstance(faiss.downcast_index(self.index.index), faiss.IndexFlat):
                return self._flat_search(queries, k, allowed)
            params = None
            if allowed is not None:
                params = faiss.SearchParametersIVF(
                    sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)),
                    nprobe=faiss.extract_index_ivf(self.index.index).nprobe) if self.lists else \
                    faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
            scores, ids = self.index.search(queries, k, params=params)
        scores[ids < 0] = -np.inf
        return scores, ids

    def _flat_search(self, queries: np.ndarray, k: int, allowed) -> tuple[np.ndarray, np.ndarray]:
        """Exact search as one matrix product over FAISS's own storage (a view, no copy). The generic
        FAISS build this wheel falls back to takes ~60 ms for one query against 400k vectors; BLAS
        takes ~25 ms, and batches of queries become a matrix-matrix product (measured: bench.py)."""
        inner = faiss.downcast_index(self.index.index)
        n = self.ntotal
        matrix = faiss.rev_swig_ptr(inner.codes.data(), inner.codes.size()).view(np.float32).reshape(n, -1)
        ids = faiss.rev_swig_ptr(self.index.id_map.data(), n).astype(np.int64)
        if allowed is not None:
            rows = np.flatnonzero(np.isin(ids, np.asarray(allowed, dtype=np.int64)))
            matrix, ids = matrix[rows], ids[rows]
        top = min(k, len(ids))
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        found = np.full((len(queries), k), -1, dtype=np.int64)
        for start in range(0, len(queries), FLAT_QUERY_BATCH):
            batch = matrix @ queries[start:start + FLAT_QUERY_BATCH].T  # (n, b): bounded memory
            for col in range(batch.shape[1]):
                column = batch[:, col]
                best = np.argpartition(-column, top - 1)[:top] if top < len(column) else np.arange(len(column))
                best = best[np.argsort(-column[best], kind="stable")]
                scores[start + col, :top] = column[best]
                found[start + col, :top] = ids[best]
        return scores, found

    def manifest_dict(self) -> dict:
        return {
            **self.manifest,
            "dimension": self.dimension,
            "index_type": self.index_type,
            "faiss_version": faiss.__version__,
            "count": self.ntotal,
            "position": list(self.position),
            "created_at": self.created_at,
            "updated_at": _now(),
        }

    def save(self, directory: Path) -> None:
        """Write the snapshot (`passages.faiss`) then `manifest.json`, each atomically, the index
        streamed to disk (never a second copy in memory). The manifest carries the file's checksum,
        so a crash between the two writes is detected on load."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{INDEX_FILE}.", suffix=".tmp")
        os.close(fd)
        try:
            with self._lock:
                faiss.write_index(self.index, tmp)
                manifest = self.manifest_dict()
                saved = self.unsaved
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            manifest["index_sha256"] = file_sha256(Path(tmp))
            os.replace(tmp, directory / INDEX_FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(directory)
        atomic_write(directory / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
        with self._lock:
            self.unsaved -= saved

    @classmethod
    def load(cls, directory: Path, expected: dict) -> VectorIndex:
        """Load a saved snapshot, refusing it when it was built with another model or dimension than
        `expected` (the configured ones) or when the index file does not match its manifest."""
        directory = Path(directory)
        index_path, manifest_path = directory / INDEX_FILE, directory / MANIFEST_FILE
        if not index_path.exists() or not manifest_path.exists():
            raise NotFoundError(f"Chưa có chỉ mục véc-tơ trong thư mục “{directory}”.")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        check_compatible(manifest, expected)
        if manifest.get("index_sha256") != file_sha256(index_path):
            raise IndexMismatchError(
                "Tệp chỉ mục véc-tơ không khớp với tệp mô tả (manifest); cần xây dựng lại chỉ mục.")
        loaded = cls.__new__(cls)
        loaded.index = faiss.read_index(str(index_path))
        loaded._lock = threading.RLock()
        loaded.dimension = int(manifest["dimension"])
        loaded.index_type = manifest["index_type"]
        loaded.created_at = manifest.get("created_at") or _now()
        loaded.position = tuple(manifest.get("position") or (0, 0))
        loaded.unsaved = 0
        reserved = {"dimension", "index_type", "faiss_version", "count", "created_at", "updated_at", "index_sha256",
                    "position"}
        loaded.manifest = {k: v for k, v in manifest.items() if k not in reserved}
        loaded._set_probes()
        return loaded


def check_compatible(manifest: dict, expected: dict, what: str = "Chỉ mục véc-tơ") -> None:
    """Raise IndexMismatchError when `manifest` and `expected` disagree on the model or dimension."""
    for key in COMPATIBILITY_KEYS:
        if key in expected and str(manifest.get(key)) != str(expected[key]):
            raise IndexMismatchError(
                f"{what} được tạo với {key} = “{manifest.get(key)}”, khác với cấu hình hiện tại "
                f"“{expected[key]}”; không thể trộn véc-tơ không tương thích."
            )


def rebuild_from_store(store, manifest: dict, index_type: str = "Flat", batch: int = 4096) -> VectorIndex:
    """A fresh index from the vectors kept in the store (no re-embedding), caught up to the store's
    position. A trainable index (IVF) learns from a sample of the stored vectors spread over the
    whole archive, then takes every vector batch by batch (never all of them in memory at once).
    Refused when the store's vectors were made with another model or dimension than `manifest`
    says: only re-embedding the archive helps then."""
    stored = {"model_id": store.meta_get("model_id"), "dimension": store.dimension()}
    stored = {k: v for k, v in stored.items() if v is not None}
    check_compatible(stored, {k: manifest[k] for k in stored if k in manifest}, "Kho lưu trữ")
    dimension = stored.get("dimension") or manifest.get("dimension")
    if dimension is None:
        raise IndexMismatchError("Không xác định được số chiều véc-tơ: kho lưu trữ trống và cấu hình không ghi rõ.")
    index = VectorIndex(dimension, index_type, manifest)
    target = store.sync_position()
    if not index.index.is_trained:
        wanted = min(IVF_TRAIN_MAX, max(index.lists, 1) * IVF_TRAIN_PER_LIST)
        sample = store.sample_vectors(wanted)
        if len(sample):
            with index._lock:
                index.index.train(_normalised(sample))
            del sample
    for ids, vectors in store.iter_vectors(batch, upto=target[0]):
        index.add(ids, vectors)
    index.position = target
    log.info("vector index %s built from the store: %d vectors", index_type, index.ntotal)
    return index


def index_consistent(store, index: VectorIndex) -> bool:
    """True when the index reflects the store exactly: same dimension, caught up to the store's
    position and holding as many vectors as the store has passages. False means the app should
    catch it up (`sync`) or, if it still disagrees, rebuild it."""
    dimension = store.dimension()
    if dimension is not None and dimension != index.dimension:
        return False
    return index.position == store.sync_position() and index.ntotal == store.count_passages()


def index_holds_store_ids(store, index: VectorIndex) -> bool:
    """The thorough check (every id compared, a pass over both): for tests and repairs."""
    return bool(np.array_equal(np.asarray(store.passage_ids(), dtype=np.int64), np.sort(index.ids())))
