"""FAISS index over passage vectors: cosine similarity as inner product on L2-normalised vectors.

The index is a cache of the vectors stored in SQLite (`ArchiveStore`): its ids are passage ids, and
when it is missing, stale, built with another model or out of step with the store after a crash,
`rebuild_from_store` recreates it without re-embedding. The manifest beside it records what the
vectors mean (model, dimension, text-processing versions) so incompatible vectors are never mixed.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np

from indexing.errors import IndexMismatchError, NotFoundError

INDEX_FILE = "passages.faiss"
MANIFEST_FILE = "manifest.json"
# Manifest keys that make two sets of vectors incomparable; other keys are informational.
COMPATIBILITY_KEYS = ("model_id", "dimension")
# Queries multiplied against a flat index at once: 16 × 400k scores are 26 MB.
FLAT_QUERY_BATCH = 16


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.array(vectors, dtype=np.float32, ndmin=2, copy=True)
    faiss.normalize_L2(vectors)
    return vectors


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


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
    """`IndexIDMap2` (explicit int64 ids = passage ids) around any FAISS factory string;
    "Flat" is exact search. Thread-safe: FAISS itself is not (a search running while another thread
    adds or removes vectors reads freed memory and crashes the process), so every call takes a lock."""

    def __init__(self, dimension: int, index_type: str = "Flat", manifest: dict | None = None):
        self.dimension = int(dimension)
        self.index_type = index_type
        # model_id, model_checksum, versions {normalizer, segmenter, templates}, ... as given
        self.manifest = {k: v for k, v in (manifest or {}).items() if k != "dimension"}
        self.created_at = _now()
        inner = faiss.index_factory(self.dimension, index_type, faiss.METRIC_INNER_PRODUCT)
        self.index = faiss.IndexIDMap2(inner)
        self._lock = threading.RLock()

    @property
    def ntotal(self) -> int:
        return self.index.ntotal

    def ids(self) -> np.ndarray:
        with self._lock:
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids, vectors: np.ndarray) -> None:
        """Add (or replace) vectors under the given ids. Replacing keeps re-indexing a document
        idempotent instead of leaving duplicate hits."""
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
            present = np.intersect1d(ids, self.ids())
            if len(present):
                self.remove(present)
            if not self.index.is_trained:
                self.index.train(vectors)  # e.g. IVF: learns its clusters from the first batch
            self.index.add_with_ids(vectors, ids)

    def remove(self, ids) -> int:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if not len(ids):
            return 0
        with self._lock:
            return int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))

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
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
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
        rows = None
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
            "created_at": self.created_at,
            "updated_at": _now(),
        }

    def save(self, directory: Path) -> None:
        """Write `passages.faiss` then `manifest.json`, each atomically. The manifest carries the
        index file's checksum, so a crash between the two writes is detected on load."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = faiss.serialize_index(self.index).tobytes()
            manifest = {**self.manifest_dict(), "index_sha256": hashlib.sha256(data).hexdigest()}
        atomic_write(directory / INDEX_FILE, data)
        atomic_write(directory / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2).encode())

    @classmethod
    def load(cls, directory: Path, expected: dict) -> VectorIndex:
        """Load a saved index, refusing it when it was built with another model or dimension than
        `expected` (the configured ones) or when the index file does not match its manifest."""
        directory = Path(directory)
        index_path, manifest_path = directory / INDEX_FILE, directory / MANIFEST_FILE
        if not index_path.exists() or not manifest_path.exists():
            raise NotFoundError(f"Chưa có chỉ mục véc-tơ trong thư mục «{directory}».")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        check_compatible(manifest, expected)
        data = index_path.read_bytes()
        if manifest.get("index_sha256") != hashlib.sha256(data).hexdigest():
            raise IndexMismatchError(
                "Tệp chỉ mục véc-tơ không khớp với tệp mô tả (manifest); cần xây dựng lại chỉ mục.")
        loaded = cls.__new__(cls)
        loaded.index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        loaded._lock = threading.RLock()
        loaded.dimension = int(manifest["dimension"])
        loaded.index_type = manifest["index_type"]
        loaded.created_at = manifest.get("created_at") or _now()
        reserved = {"dimension", "index_type", "faiss_version", "count", "created_at", "updated_at", "index_sha256"}
        loaded.manifest = {k: v for k, v in manifest.items() if k not in reserved}
        return loaded


def check_compatible(manifest: dict, expected: dict, what: str = "Chỉ mục véc-tơ") -> None:
    """Raise IndexMismatchError when `manifest` and `expected` disagree on the model or dimension."""
    for key in COMPATIBILITY_KEYS:
        if key in expected and str(manifest.get(key)) != str(expected[key]):
            raise IndexMismatchError(
                f"{what} được tạo với {key} = «{manifest.get(key)}», khác với cấu hình hiện tại "
                f"«{expected[key]}»; không thể trộn véc-tơ không tương thích."
            )


def rebuild_from_store(store, manifest: dict, index_type: str = "Flat", batch: int = 4096) -> VectorIndex:
    """A fresh index from the vectors kept in the store (no re-embedding). Refused when the store's
    vectors were made with another model or dimension than `manifest` says: only re-embedding
    the archive helps then."""
    stored = {"model_id": store.meta_get("model_id"), "dimension": store.dimension()}
    stored = {k: v for k, v in stored.items() if v is not None}
    check_compatible(stored, {k: manifest[k] for k in stored if k in manifest}, "Kho lưu trữ")
    dimension = stored.get("dimension") or manifest.get("dimension")
    if dimension is None:
        raise IndexMismatchError("Không xác định được số chiều véc-tơ: kho lưu trữ trống và cấu hình không ghi rõ.")
    index = VectorIndex(dimension, index_type, manifest)
    batches = store.iter_vectors(batch)
    if not index.index.is_trained:
        # Trainable indexes (IVF, PQ) must learn from the whole archive, not from its first batch.
        batches = list(batches)
        if batches:
            ids, vectors = zip(*batches)
            batches = [(np.concatenate(ids), np.concatenate(vectors))]
    for ids, vectors in batches:
        index.add(ids, vectors)
    return index


def index_consistent(store, index: VectorIndex) -> bool:
    """True when the index holds exactly the store's passage ids with the store's dimension; False
    means the app should rebuild (e.g. after a crash between a store write and an index save)."""
    dimension = store.dimension()
    if dimension is not None and dimension != index.dimension:
        return False
    store_ids = np.asarray(store.passage_ids(), dtype=np.int64)
    index_ids = np.sort(index.ids())
    return len(store_ids) == len(index_ids) and bool(np.array_equal(store_ids, index_ids))
