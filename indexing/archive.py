"""The archive as one object: store (SQLite, source of truth) + vector index (FAISS, rebuildable)
+ the embedder. The CLI and the HTTP API are thin layers over this class."""
from __future__ import annotations

import fcntl
import hashlib
import re
import sqlite3
import threading
from collections import Counter
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexing.chunking import make_passages
from indexing.config import Settings, get_settings
from indexing.document import Document
from indexing.errors import InputError, NotFoundError
from indexing.normalize import is_vietnamese
from indexing.pipeline import parse_document
from indexing.store import ArchiveStore, DocMeta, document_hash
from indexing.vector_index import VectorIndex, index_consistent, rebuild_from_store

# A submission passage's nearest archive passages looked at, and archive documents compared in full.
CHECK_NEIGHBOURS = 20
CHECK_CANDIDATES = 10

PIPELINE_VERSIONS = {"normalizer": "1", "segmenter": "underthesea-9.5.0", "chunking": "1"}


@dataclass
class IndexedFile:
    doc_id: str
    path: str
    title: str
    created: bool  # False when the same content was already in the archive


class Archive:
    def __init__(self, settings: Settings | None = None, embedder=None):
        self.settings = settings or get_settings()
        self.data_dir = Path(self.settings.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.index_dir = self.data_dir / "index"
        self.store = ArchiveStore(self.data_dir / "archive.sqlite3")
        self._embedder = embedder
        self._index: VectorIndex | None = None
        self._lock = threading.RLock()
        self._token_df = TokenFrequencies(self.store.path)
        self._stats = None
        self._stats_state = ""

    # --- components, loaded lazily -------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from models.embedder import get_embedder  # builds the default model on first use

            self._embedder = get_embedder(self.settings)
        return self._embedder

    def manifest(self) -> dict:
        from indexing.sections import templates_version

        return {
            "model_id": self.embedder.model_id,
            "dimension": self.embedder.dim,
            "versions": {**PIPELINE_VERSIONS, "templates": templates_version()},
        }

    @property
    def index(self) -> VectorIndex:
        """The FAISS index, rebuilt from the store when missing or out of step with it (e.g. after
        a crash between a store commit and an index save)."""
        with self._lock:
            if self._index is not None and self._signature != self.store.passage_signature():
                self._index = None  # another process changed the archive since we loaded it
            if self._index is None:
                manifest = self.manifest()
                try:
                    index = VectorIndex.load(self.index_dir, manifest)
                    if not index_consistent(self.store, index):
                        index = None
                except NotFoundError:
                    index = None
                except Exception:
                    index = None  # unreadable / checksum mismatch: the store is the truth
                if index is None:
                    index = rebuild_from_store(self.store, manifest, self.settings.index_type)
                    index.save(self.index_dir)
                self._index = index
                self._signature = self.store.passage_signature()
            return self._index

    @contextmanager
    def writing(self):
        """One writer at a time, across threads and processes. Writers take `self.index` inside this
        block: it reloads an index another process made stale, so saving it never drops that
        process's passages from the index file."""
        with self._lock, open(self.data_dir / ".write.lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    # --- reading submissions ---------------------------------------------------------------------
    def read(self, path: Path) -> Document:
        doc = parse_document(path, self.settings)
        if not doc.text.strip():
            raise InputError("Không tìm thấy nội dung văn bản trong tệp.")
        if not is_vietnamese(doc.text):
            raise InputError("Tệp không có nội dung tiếng Việt; sangkien chỉ xử lý văn bản sáng kiến bằng tiếng Việt.")
        return doc

    def embed_document(self, doc: Document):
        passages = make_passages(doc)
        vectors = self.embedder.encode_passages([p.text for p in passages])
        return passages, vectors

    # --- archive writes --------------------------------------------------------------------------
    def add_file(self, path: Path, meta: DocMeta | None = None) -> IndexedFile:
        path = Path(path)
        doc = self.read(path)
        existing = self.store.find_by_hash(document_hash(doc))
        if existing:
            return IndexedFile(existing, str(path), self.store.get_document(existing).title, created=False)
        passages, vectors = self.embed_document(doc)
        meta = meta or DocMeta()
        meta.title = meta.title or doc.title or path.stem
        for key in ("year", "unit", "field", "authors"):
            if getattr(meta, key) in (None, "") and doc.metadata.get(key if key != "authors" else "author"):
                setattr(meta, key, doc.metadata.get(key if key != "authors" else "author"))
        meta.path = meta.path or str(path)
        with self.writing():
            index = self.index
            if self.store.meta_get("model_id") is None:
                self.store.meta_set("model_id", self.embedder.model_id)
            doc_id = self.store.add_document(doc, passages, vectors, meta)
            ids = self.store.passage_ids(doc_id)
            index.add(ids, vectors)
            index.save(self.index_dir)
            self._signature = self.store.passage_signature()
            self._token_df.record(doc.text, doc_id, added=True)
            self._stats = None
        return IndexedFile(doc_id, str(path), meta.title, created=True)

    def delete(self, doc_id: str) -> None:
        with self.writing():
            index = self.index
            text = self.store.get_document(doc_id).text
            removed = self.store.delete_document(doc_id)
            index.remove(removed)
            index.save(self.index_dir)
            self._signature = self.store.passage_signature()
            self._token_df.record(text, doc_id, added=False)
            self._stats = None

    def reindex(self) -> int:
        """Rebuild FAISS from the vectors kept in SQLite (no re-embedding)."""
        with self.writing():
            index = rebuild_from_store(self.store, self.manifest(), self.settings.index_type)
            index.save(self.index_dir)
            self._index = index
            self._signature = self.store.passage_signature()
            return index.ntotal

    # --- novelty check ---------------------------------------------------------------------------
    def archive_stats(self):
        """Archive-wide token document frequencies for IDF, read from the store file (kept current on
        writes, see `TokenFrequencies`) and cached in memory while the archive does not change."""
        with self._lock:
            state = self._token_df.state()
            if self._stats is None or self._stats_state != state:
                stats, self._stats_state = self._token_df.load()
                self._stats = stats.merged(background_stats(str(self.settings.background_dir)))
            return self._stats

    def find_candidates(self, vectors: np.ndarray, *, exclude: str | None = None):
        """Nearest archive passages of every submission passage, the archive documents most worth a
        full comparison, and how many documents each submission passage matches (boilerplate signal)."""
        from indexing.matching import count_matching_docs

        index = self.index
        if index.ntotal == 0 or not len(vectors):
            return [], np.zeros(len(vectors), dtype=int)
        k = min(CHECK_NEIGHBOURS, index.ntotal)
        scores, ids = index.search(vectors, k)
        owner = {p.id: p.doc_id for p in self.store.passages_by_ids(sorted({int(i) for i in ids.ravel() if i >= 0}))}
        doc_ids = np.array([[owner.get(int(i), "") for i in row] for row in ids], dtype=object)
        if exclude:
            scores = np.where(doc_ids == exclude, -np.inf, scores)
        doc_freq = count_matching_docs(scores, doc_ids)
        # Rank documents by the summed best cosine of the submission passages they answer.
        strength: dict[str, float] = {}
        for row_scores, row_docs in zip(scores, doc_ids):
            best: dict[str, float] = {}
            for s, d in zip(row_scores, row_docs):
                if d and s > best.get(d, -1.0):
                    best[d] = float(s)
            for d, s in best.items():
                strength[d] = strength.get(d, 0.0) + max(0.0, s)
        ranked = sorted(strength, key=lambda d: -strength[d])[:CHECK_CANDIDATES]
        return ranked, doc_freq

    def compare_with_archive(self, doc: Document, passages, vectors, *, exclude: str | None = None):
        from indexing.matching import Candidate, assess

        ranked, doc_freq = self.find_candidates(vectors, exclude=exclude)
        candidates = []
        for doc_id in ranked:
            stored = self.store.get_document(doc_id)
            src_passages, src_vectors = self.doc_vectors(doc_id)
            candidates.append(Candidate(
                doc_id=doc_id, passages=reporting_refs(src_passages, stored.sections), vecs=src_vectors,
                text=stored.text, title=stored.title, year=stored.year, unit=stored.unit or "",
            ))
        sub = reporting_refs(passages, doc.sections)
        return assess(sub, vectors, candidates, stats=self.archive_stats(), sub_text=doc.text, sub_doc_freq=doc_freq)

    def check_document(self, doc: Document, *, exclude: str | None = None, embedded=None) -> dict:
        """The full report (similarity + evidence) for a parsed document; nothing is stored.
        `embedded` = (passages, vectors) already computed by the caller, to embed only once."""
        from models.evidence import analyze_evidence

        passages, vectors = embedded or self.embed_document(doc)
        similarity = self.compare_with_archive(doc, passages, vectors, exclude=exclude)
        evidence = analyze_evidence(doc)
        return {
            "document": {
                "title": doc.title,
                "template": doc.template,
                "sections": [{"heading": s.heading, "kind": s.kind, "start": s.start, "end": s.end} for s in doc.sections],
                "missing_sections": doc.missing_sections,
            },
            "similarity": similarity.as_dict(),
            "evidence": evidence.to_json(),
            "document_findings": evidence.document_findings,
            "document_suggestions": evidence.document_suggestions,
            "warnings": doc.warnings,
        }

    def check_file(self, path: Path) -> dict:
        """Check a submission against the archive. The file never enters the archive."""
        return self.check_document(self.read(Path(path)))

    # --- archive reads ---------------------------------------------------------------------------
    def doc_vectors(self, doc_id: str):
        ids = self.store.passage_ids(doc_id)
        return self.store.passages_by_ids(ids), self.store.passage_vectors(ids)

    def search(self, query: str, k: int = 10, year: int | None = None, field: str | None = None) -> list[dict]:
        """Hybrid search: BM25 over passages and FAISS over passage vectors, fused by reciprocal
        rank, grouped by document with each document's best passage and the query words marked."""
        query = query.strip()
        if not query:
            raise InputError("Hãy nhập nội dung cần tìm.")
        pool = max(50, k * 10)
        keyword = self.store.keyword_search(query, limit=pool, year=year, field=field)
        semantic: list[tuple[int, float]] = []
        if self.store.count_passages():
            qvec = self.embedder.encode_queries([query])
            scores, ids = self.index.search(qvec, min(pool * 3, max(self.index.ntotal, 1)))
            floor = self.settings.search_min_similarity
            semantic = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0 and s >= floor]
        fused = reciprocal_rank_fusion([keyword, semantic])
        cosine = dict(semantic)
        passages = {p.id: p for p in self.store.passages_by_ids(list(fused))}
        by_doc: dict[str, dict] = {}
        infos: dict[str, object] = {}
        for pid, score in sorted(fused.items(), key=lambda kv: -kv[1]):
            passage = passages.get(pid)
            if passage is None:
                continue
            if passage.doc_id not in infos:
                infos[passage.doc_id] = self.store.get_document(passage.doc_id)
            info = infos[passage.doc_id]
            if (year is not None and info.year != year) or (field is not None and info.field != field):
                continue
            hit = by_doc.get(passage.doc_id)
            if hit is None:
                if len(by_doc) >= k:
                    continue
                by_doc[passage.doc_id] = {
                    "doc_id": passage.doc_id,
                    "title": info.title,
                    "year": info.year,
                    "unit": info.unit,
                    "field": info.field,
                    "score": round(score, 6),
                    "section": passage.section_heading,
                    "text": passage.text,
                    "highlights": highlight_spans(passage.text, query),
                    "similarity": round(cosine.get(pid, 0.0), 4),
                    "passages": 1,
                }
            else:
                hit["passages"] += 1
        return list(by_doc.values())

    def similar(self, doc_id: str, k: int = 10) -> list[dict]:
        """Archive documents most like a stored one: the mean over its passages of each other
        document's best passage cosine (a cheap, symmetric-enough ranking for browsing)."""
        self.store.get_document(doc_id)  # NotFoundError for an unknown id
        _, vectors = self.doc_vectors(doc_id)
        if not len(vectors):
            return []
        scores, ids = self.index.search(vectors, min(50, max(self.index.ntotal, 1)))
        best: dict[str, np.ndarray] = {}
        owner = {p.id: p.doc_id for p in self.store.passages_by_ids(sorted({int(i) for i in ids.ravel() if i >= 0}))}
        for row, (srow, irow) in enumerate(zip(scores, ids)):
            for s, i in zip(srow, irow):
                other = owner.get(int(i))
                if other is None or other == doc_id:
                    continue
                per_doc = best.setdefault(other, np.zeros(len(vectors), dtype=np.float32))
                per_doc[row] = max(per_doc[row], s)
        ranked = sorted(((float(v.mean()), d) for d, v in best.items()), reverse=True)[:k]
        result = []
        for score, other in ranked:
            o = self.store.get_document(other)
            result.append({"doc_id": other, "title": o.title, "year": o.year, "unit": o.unit, "field": o.field,
                           "similarity": round(score, 4)})
        return result


def reciprocal_rank_fusion(rankings: list[list[tuple[int, float]]], k: int = 60) -> dict[int, float]:
    """Standard RRF (Cormack et al. 2009): robust to the different scales of BM25 and cosine."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(sorted(ranking, key=lambda x: -x[1])):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank + 1)
    return fused


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of the query's words in `text` (case-insensitive, diacritics kept)."""
    words = {w.casefold() for w in re.findall(r"\w+", query) if len(w) > 1}
    return [(m.start(), m.end()) for m in re.finditer(r"\w+", text) if m.group().casefold() in words]


@lru_cache(maxsize=4)
def background_stats(directory: str):
    """Token document frequencies of the background documents (Markdown/TXT files under `directory`)."""
    from indexing.matching import ArchiveStats

    files = sorted(p for p in Path(directory).rglob("*") if p.suffix.lower() in {".md", ".txt"})
    return ArchiveStats.from_texts(p.read_text(encoding="utf-8") for p in files)


def section_path(sections, index: int | None) -> tuple[str, ...] | None:
    """Headings from the outermost section down to `index`."""
    if index is None:
        return None
    path = []
    while index is not None:
        path.append(sections[index].heading)
        index = sections[index].parent
    return tuple(reversed(path))


def reporting_refs(passages, sections):
    from indexing.matching import PassageRef

    return [
        PassageRef(p.text, p.start, p.end, p.section_heading, p.section_kind, section_path(sections, p.section_index))
        for p in passages
    ]


class TokenFrequencies:
    """Token document frequencies of the whole archive (table `token_df` in the archive's SQLite file).

    Tokenising every stored text took ~3 s per 1,000 documents in each fresh process; reading the
    table takes milliseconds. The table is tagged (meta `token_df_state`) with a fingerprint of the
    document ids it describes: writes through `Archive` apply their delta when the tag matches the
    archive as it was before the write; any other mismatch (a crash between the store commit and the
    update, a store written by other means, an archive older than the table) means one full rebuild.
    """

    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        conn.execute("CREATE TABLE IF NOT EXISTS token_df (token TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID")
        return conn

    @staticmethod
    def _fingerprint(ids) -> str:
        return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()

    @staticmethod
    def _ids(conn) -> list[str]:
        return [r[0] for r in conn.execute("SELECT id FROM documents")]

    @staticmethod
    def _tag(conn) -> str | None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'token_df_state'").fetchone()
        return row[0] if row else None

    def state(self) -> str:
        """Fingerprint of the archive's current documents."""
        with closing(self._connect()) as conn:
            return self._fingerprint(self._ids(conn))

    def load(self):
        """(ArchiveStats, fingerprint of the documents it describes), rebuilt first when stale."""
        from indexing.matching import ArchiveStats

        with closing(self._connect()) as conn:
            conn.execute("BEGIN")  # one snapshot for the tag, the ids and the counts
            ids = self._ids(conn)
            state = self._fingerprint(ids)
            if self._tag(conn) == state:
                stats = ArchiveStats(len(ids), Counter(dict(conn.execute("SELECT token, df FROM token_df"))))
                conn.execute("COMMIT")
                return stats, state
            stats = ArchiveStats.from_texts(r[0] for r in conn.execute("SELECT text FROM documents"))
            conn.execute("COMMIT")
            # Tagged with the snapshot it was computed from: a write that landed meanwhile makes the tag
            # stale, and the next load rebuilds again rather than trusting a wrong count.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM token_df")
            conn.executemany("INSERT INTO token_df(token, df) VALUES (?, ?)", stats.token_df.items())
            self._set_tag(conn, state)
            conn.execute("COMMIT")
            return stats, state

    def record(self, text: str, doc_id: str, *, added: bool) -> None:
        """Apply one stored (added) or deleted document, right after the store write."""
        from indexing.matching import tokens

        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            ids = self._ids(conn)
            before = [i for i in ids if i != doc_id] if added else [*ids, doc_id]
            if self._tag(conn) == self._fingerprint(before):
                words = [(t,) for t in set(tokens(text))]
                if added:
                    conn.executemany(
                        "INSERT INTO token_df(token, df) VALUES (?, 1) ON CONFLICT(token) DO UPDATE SET df = df + 1",
                        words)
                else:
                    conn.executemany("UPDATE token_df SET df = df - 1 WHERE token = ?", words)
                    conn.execute("DELETE FROM token_df WHERE df <= 0")
                self._set_tag(conn, self._fingerprint(ids))
            conn.execute("COMMIT")

    @staticmethod
    def _set_tag(conn, state: str) -> None:
        conn.execute("INSERT INTO meta(key, value) VALUES ('token_df_state', ?)"
                     " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (state,))
