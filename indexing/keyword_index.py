"""Keyword index over passages: BM25 on unaccented syllables and syllable pairs, with tantivy.

Each passage is indexed as its `text.search_tokens` (syllables and neighbouring pairs, diacritics
removed), so "huyết áp" is one term `huyet_ap`, a query typed without diacritics matches, and a
two-syllable word is matched as a unit, not as two common syllables. Why tantivy and not SQLite FTS5:
FTS5 scores every row that matches before it sorts, so at 400k passages one query with common words
took 130–440 ms (measured, see bench/eval_search.py's README notes); tantivy's block-max WAND stops
early and answers the same queries in 1–8 ms.

Like the FAISS index, this is a cache of what the store holds: the manifest beside it records the
store's passage signature after each commit, and an index that is missing, unreadable, of an older
token version or out of step (a crash between the store commit and this one) is rebuilt from the
passage texts in the store.
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import tantivy

from indexing.text import search_tokens
from indexing.vector_index import atomic_write

log = logging.getLogger(__name__)

# Bump when search_tokens changes what a passage is indexed as: existing indexes are then rebuilt.
TOKENS_VERSION = 1
MANIFEST_FILE = "keyword-manifest.json"
WRITER_HEAP = 64_000_000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    builder.add_unsigned_field("pid", stored=True, indexed=True, fast=True)
    builder.add_text_field("doc", tokenizer_name="raw", index_option="basic")
    return builder.build()


@dataclass(frozen=True)
class Term:
    """One query unit for retrieval: every token of one of its `forms` must be in the passage
    (a three-syllable word is its two pairs; an abbreviation has its expansion as a second form)."""
    forms: tuple[tuple[str, ...], ...]


class KeywordIndex:
    """The tantivy index in `directory`; thread-safe (searches and writes take a lock)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.schema = _schema()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._index = tantivy.Index(self.schema, path=str(self.directory), reuse=True)
        self._lock = threading.RLock()

    # --- consistency with the store ---------------------------------------------------------
    def manifest(self) -> dict:
        try:
            return json.loads((self.directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def in_step_with(self, signature: tuple[int, int]) -> bool:
        found = self.manifest()
        return (found.get("tokens_version") == TOKENS_VERSION and tuple(found.get("signature", ())) == tuple(signature)
                and self.num_docs() == signature[0])

    def _record(self, signature: tuple[int, int]) -> None:
        data = {"tokens_version": TOKENS_VERSION, "signature": list(signature)}
        atomic_write(self.directory / MANIFEST_FILE, json.dumps(data).encode())

    @classmethod
    def rebuild(cls, directory: Path, store) -> KeywordIndex:
        """A fresh index of every passage in the store, built beside the old one and swapped in."""
        directory = Path(directory)
        fresh = directory.with_name(directory.name + ".new")
        shutil.rmtree(fresh, ignore_errors=True)
        index = cls(fresh)
        with index._lock:
            writer = index._index.writer(WRITER_HEAP, 1)
            for passages in store.iter_passages():
                for p in passages:
                    writer.add_document(index._document(p.id, p.doc_id, p.text))
            writer.commit()
            writer.wait_merging_threads()
        index._record(store.passage_signature())
        shutil.rmtree(directory, ignore_errors=True)
        fresh.rename(directory)
        log.info("keyword index rebuilt from the store (%d passages)", store.passage_signature()[0])
        return cls(directory)

    # --- writes -------------------------------------------------------------------------------
    def _document(self, pid: int, doc_id: str, text: str) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("terms", " ".join(search_tokens(text)))
        doc.add_unsigned("pid", int(pid))
        doc.add_text("doc", doc_id)
        return doc

    def replace_document(self, doc_id: str, passages, signature: tuple[int, int]) -> None:
        """Index a document's passages (dropping any it had) and record the store's new signature.
        Called inside the archive's write lock, after the store committed."""
        with self._lock:
            writer = self._index.writer(WRITER_HEAP, 1)
            writer.delete_documents_by_term("doc", doc_id)
            for p in passages:
                writer.add_document(self._document(p.id, doc_id, p.text))
            writer.commit()
            writer.wait_merging_threads()
            self._record(signature)
            self._index.reload()

    def remove_document(self, doc_id: str, signature: tuple[int, int]) -> None:
        self.replace_document(doc_id, [], signature)

    # --- reads --------------------------------------------------------------------------------
    def reload(self) -> None:
        """See what another process committed."""
        with self._lock:
            self._index.reload()

    def num_docs(self) -> int:
        with self._lock:
            return self._index.searcher().num_docs

    def doc_freqs(self, tokens) -> dict[str, int]:
        with self._lock:
            searcher = self._index.searcher()
            return {t: searcher.doc_freq("terms", t) for t in tokens}

    def search(self, terms: list[Term], limit: int, doc_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """(passage id, BM25 score) of the best `limit` passages holding any of the terms, best
        first; only passages of `doc_ids` when given."""
        clauses = [(tantivy.Occur.Should, self._term_query(t)) for t in terms if t.forms]
        if not clauses:
            return []
        query = tantivy.Query.boolean_query(clauses)
        if doc_ids is not None:
            if not doc_ids:
                return []
            only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(self.schema, "doc", list(doc_ids)), 0.0)
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)])
        with self._lock:
            searcher = self._index.searcher()
            hits = searcher.search(query, limit, count=False).hits
            pids = searcher.fast_field_values("pid", [address for _, address in hits]) if hits else []
        return [(int(pid), float(score)) for (score, _), pid in zip(hits, pids)]

    def _term_query(self, term: Term) -> tantivy.Query:
        forms = []
        for form in term.forms:
            parts = [tantivy.Query.term_query(self.schema, "terms", token) for token in form]
            forms.append(parts[0] if len(parts) == 1 else
                         tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in parts]))
        return forms[0] if len(forms) == 1 else tantivy.Query.disjunction_max_query(forms)
