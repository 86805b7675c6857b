"""The archive: documents, their sections and passages (with their vectors) in one SQLite file.

SQLite is the source of truth; the FAISS index is a derived cache that can always be rebuilt from
the vectors kept here (see `vector_index.rebuild_from_store`). WAL mode lets readers run while one
writer writes; every write that touches several rows runs in one `BEGIN IMMEDIATE` transaction so
a crash never leaves a document half stored.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from indexing.document import Document, Passage, Section, section_path
from indexing.errors import IndexMismatchError, InputError, NotFoundError
from indexing.stats import ArchiveStats
from indexing.text import tokens, unaccent
from indexing.units import LEVELS

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
# Bumped when the token_df table's meaning changes; an archive with another value is recounted once.
TOKEN_DF_VERSION = "2"
EDITABLE_FIELDS = ("title", "year", "unit", "level", "field", "authors", "status", "path", "metadata")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    year INTEGER,
    unit TEXT,
    level TEXT,
    field TEXT,
    authors TEXT,
    status TEXT,
    template TEXT,
    path TEXT,
    filename TEXT,
    format TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    -- the title's embedding (float32), for search: a title states the initiative in one line
    title_vector BLOB,
    -- the file the document was added from, kept in the originals folder under this name
    original TEXT
);
CREATE INDEX IF NOT EXISTS documents_year ON documents(year);
CREATE INDEX IF NOT EXISTS documents_field ON documents(field);
CREATE TABLE IF NOT EXISTS sections (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    heading TEXT NOT NULL,
    kind TEXT NOT NULL,
    level INTEGER NOT NULL,
    start INTEGER NOT NULL,
    body_start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    parent INTEGER,
    PRIMARY KEY (doc_id, idx)
);
-- Every deleted passage id, numbered: with the growing passage ids, the log an index catches up from.
CREATE TABLE IF NOT EXISTS deleted_passages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id INTEGER NOT NULL
);
-- AUTOINCREMENT: passage ids double as FAISS ids, so an id must never be reused after a delete.
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    section_idx INTEGER,
    section_heading TEXT,
    section_kind TEXT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id);
-- Archive-wide document frequency of every token (`indexing.text.tokens`), kept in the same
-- transaction as the document writes: IDF weights without tokenising the archive in each process.
CREATE TABLE IF NOT EXISTS token_df (token TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
DROP TABLE IF EXISTS passages_vocab;
-- Keyword search moved to indexing/keyword_index.py (tantivy); archives of older versions lose
-- their FTS5 table here.
DROP TRIGGER IF EXISTS passages_ai;
DROP TRIGGER IF EXISTS passages_ad;
DROP TRIGGER IF EXISTS passages_au;
DROP TABLE IF EXISTS passages_fts;
"""

# Columns the archive list's text filter looks in.
_TEXT_FILTERED = ("title", "authors", "unit", "field")
_DOC_COLUMNS = (
    "id, content_hash, title, year, unit, level, field, authors, status, template, path, filename,"
    " format, created_at, metadata, original"
)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_hash(doc: Document) -> str:
    """Identity of a document in the archive: its normalised text, so the same content saved as
    another file (or re-exported) is still recognised as already stored."""
    return content_hash(doc.text.encode("utf-8"))


@dataclass
class DocMeta:
    title: str = ""
    year: int | None = None
    unit: str | None = None
    level: str | None = None  # one of LEVELS
    field: str | None = None
    authors: str | None = None
    status: str | None = None
    path: str | None = None


@dataclass
class DocumentInfo:
    id: str
    content_hash: str
    title: str
    year: int | None
    unit: str | None
    level: str | None
    field: str | None
    authors: str | None
    status: str | None
    template: str | None
    path: str | None
    filename: str | None
    format: str
    created_at: str
    metadata: dict
    passage_count: int
    original: str | None = None  # file name in the originals folder, when the archive kept the file


@dataclass
class StoredDocument(DocumentInfo):
    text: str = ""
    sections: list[Section] = field(default_factory=list)


def _unaccent(value: str | None) -> str | None:
    # SQLite's LIKE/lower() only fold ASCII; filters match Vietnamese without case or diacritics
    # ("lang son" finds "Lạng Sơn").
    return unaccent(unicodedata.normalize("NFC", value)) if value is not None else None


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(row["text"], row["start"], row["end"], row["section_idx"], row["section_heading"],
                   row["section_kind"], row["ordinal"], id=row["id"], doc_id=row["doc_id"])


_PASSAGE_COLUMNS = 'id, doc_id, ordinal, section_idx, section_heading, section_kind, start, "end", text'


def _check_level(level: str | None) -> str | None:
    if level is None:
        return None
    level = unicodedata.normalize("NFC", level).strip().lower()
    if level not in LEVELS:
        raise InputError(f"Cấp sáng kiến không hợp lệ: «{level}». Chọn một trong: {', '.join(LEVELS)}.")
    return level


def _check_year(year) -> int | None:
    if year is None or year == "":
        return None
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise InputError(f"Năm không hợp lệ: «{year}».") from None
    if not 1900 <= value <= 2200:
        raise InputError(f"Năm không hợp lệ: «{year}».")
    return value


def _enable_wal(conn: sqlite3.Connection, attempts: int = 300) -> None:
    """Switch to WAL. Two processes opening a brand-new archive at the same moment can get
    "database is locked" here at once: SQLite does not call its busy handler for this lock, so wait
    and retry ourselves (up to ~30 s, like the connection's busy timeout)."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


class ArchiveStore:
    """One SQLite archive. Safe to share between threads: each thread gets its own connection and
    writes are serialised (SQLite allows a single writer anyway)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._init_schema()

    # -- connections and transactions -------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            conn.row_factory = sqlite3.Row
            _enable_wal(conn)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.create_function("unaccent", 1, _unaccent, deterministic=True)
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _init_schema(self) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.executescript(_SCHEMA)  # every statement is IF NOT EXISTS, so reopening is a no-op
            columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
            for column, kind in (("title_vector", "BLOB"), ("original", "TEXT")):  # archives of older versions
                if column not in columns:
                    conn.execute(f"ALTER TABLE documents ADD COLUMN {column} {kind}")
            conn.execute("CREATE INDEX IF NOT EXISTS documents_untitled ON documents(id) WHERE title_vector IS NULL")
        if self.meta_get("schema_version") is None:
            self.meta_set("schema_version", SCHEMA_VERSION)
        if self.meta_get("token_df_version") != TOKEN_DF_VERSION:
            self._recount_tokens()
        if self.meta_get("passage_count") is None:  # an archive of an older version: counted once
            with self._write() as conn:
                conn.execute("INSERT OR IGNORE INTO meta(key, value) SELECT 'passage_count', count(*) FROM passages")

    def _recount_tokens(self) -> None:
        """One full count of the token table, for an archive written before the table kept itself
        current (or by an older meaning of a token)."""
        with self._write() as conn:
            stats = ArchiveStats.from_texts(r[0] for r in conn.execute("SELECT text FROM documents"))
            conn.execute("DELETE FROM token_df")
            conn.executemany("INSERT INTO token_df(token, df) VALUES (?, ?)", stats.token_df.items())
            conn.execute("INSERT INTO meta(key, value) VALUES ('token_df_version', ?)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (TOKEN_DF_VERSION,))
        log.info("token statistics recounted over %d documents", stats.n_docs)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- meta ---------------------------------------------------------------------------------

    def meta_get(self, key: str, default: str | None = None) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def meta_set(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )

    # -- documents ----------------------------------------------------------------------------

    def add_document(self, doc: Document, passages: list[Passage], vectors: np.ndarray, meta: DocMeta,
                     title_vector: np.ndarray | None = None, original: str | None = None) -> str:
        """Store a document with its sections, passages and passage vectors (and its title's
        embedding when given); returns its id.

        Storing the same content again is a no-op returning the existing id. The passage ids
        assigned here are the FAISS ids: read them back with `passage_ids(doc_id)`.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(passages):
            raise InputError(
                f"Số véc-tơ ({vectors.shape[0] if vectors.ndim else 0}) không khớp số đoạn văn ({len(passages)})."
            )
        h = document_hash(doc)
        with self._write() as conn:
            existing = conn.execute("SELECT id FROM documents WHERE content_hash = ?", (h,)).fetchone()
            if existing:
                return existing["id"]
            dim = conn.execute("SELECT value FROM meta WHERE key = 'dimension'").fetchone()
            if passages and dim and int(dim["value"]) != vectors.shape[1]:
                raise IndexMismatchError(
                    f"Véc-tơ có {vectors.shape[1]} chiều nhưng kho lưu trữ dùng {dim['value']} chiều; "
                    "không thể trộn véc-tơ của hai mô hình khác nhau."
                )
            if passages and not dim:
                conn.execute("INSERT INTO meta(key, value) VALUES ('dimension', ?)", (str(vectors.shape[1]),))
            doc_id = h[:12]
            path = meta.path or doc.source_path
            conn.execute(
                f"INSERT INTO documents({_DOC_COLUMNS}, text, title_vector)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    doc_id,
                    h,
                    meta.title or doc.title,
                    _check_year(meta.year),
                    meta.unit,
                    _check_level(meta.level),
                    meta.field,
                    meta.authors,
                    meta.status,
                    doc.template,
                    path,
                    Path(path).name if path else None,
                    doc.format,
                    datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    json.dumps(doc.metadata, ensure_ascii=False, default=str),
                    original,
                    doc.text,
                    None if title_vector is None else np.asarray(title_vector, dtype=np.float32).tobytes(),
                ),
            )
            conn.executemany(
                'INSERT INTO sections(doc_id, idx, heading, kind, level, start, body_start, "end", parent)'
                " VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (doc_id, i, s.heading, s.kind, s.level, s.start, s.body_start, s.end, s.parent)
                    for i, s in enumerate(doc.sections)
                ],
            )
            conn.executemany(
                "INSERT INTO passages(doc_id, ordinal, section_idx, section_heading, section_kind,"
                ' start, "end", text, vector) VALUES (?,?,?,?,?,?,?,?,?)',
                [
                    (doc_id, p.ordinal, p.section_index, p.section_heading, p.section_kind,
                     p.start, p.end, p.text, vectors[i].tobytes())
                    for i, p in enumerate(passages)
                ],
            )
            _count_tokens(conn, doc.text, +1)
            _count_passages(conn, len(passages))
        return doc_id

    def find_by_hash(self, h: str) -> str | None:
        row = self._conn().execute("SELECT id FROM documents WHERE content_hash = ?", (h,)).fetchone()
        return row["id"] if row else None

    def _info(self, row: sqlite3.Row) -> dict:
        values = {k: row[k] for k in row.keys()}
        values["metadata"] = json.loads(values["metadata"] or "{}")
        return values

    def get_document(self, doc_id: str) -> StoredDocument:
        conn = self._conn()
        row = conn.execute(
            f"SELECT {_DOC_COLUMNS}, text,"
            " (SELECT count(*) FROM passages p WHERE p.doc_id = d.id) AS passage_count"
            " FROM documents d WHERE id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"Không tìm thấy sáng kiến có mã «{doc_id}» trong kho lưu trữ.")
        sections = [
            Section(r["heading"], r["kind"], r["level"], r["start"], r["body_start"], r["end"], r["parent"])
            for r in conn.execute(
                'SELECT heading, kind, level, start, body_start, "end", parent FROM sections'
                " WHERE doc_id = ? ORDER BY idx",
                (doc_id,),
            )
        ]
        return StoredDocument(**self._info(row), sections=sections)

    def list_documents(
        self,
        year: int | None = None,
        field: str | None = None,
        unit: str | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DocumentInfo], int]:
        """Filter by exact year/field/unit and a substring `q` of title, authors, unit or field,
        matched without case or diacritics; newest first. Returns one page and the total number of
        matches."""
        where, args = [], []
        for column, value in (("year", year), ("field", field), ("unit", unit)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if q:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", _unaccent(q.strip())) + "%"
            where.append("(" + " OR ".join(f"unaccent({c}) LIKE ? ESCAPE '\\'" for c in _TEXT_FILTERED) + ")")
            args += [pattern] * len(_TEXT_FILTERED)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM documents {clause}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT {_DOC_COLUMNS}, (SELECT count(*) FROM passages p WHERE p.doc_id = d.id) AS passage_count"
            f" FROM documents d {clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return [DocumentInfo(**self._info(r)) for r in rows], total

    def update_metadata(self, doc_id: str, **fields) -> None:
        unknown = set(fields) - set(EDITABLE_FIELDS)
        if unknown:
            raise InputError(f"Không thể sửa các trường: {', '.join(sorted(unknown))}.")
        if "title" in fields:
            fields["title"] = fields["title"] or ""
            fields["title_vector"] = None  # re-embedded on the next search
        if "level" in fields:
            fields["level"] = _check_level(fields["level"])
        if "year" in fields:
            fields["year"] = _check_year(fields["year"])
        if "metadata" in fields:
            fields["metadata"] = json.dumps(fields["metadata"] or {}, ensure_ascii=False, default=str)
        if "path" in fields:
            fields["filename"] = Path(fields["path"]).name if fields["path"] else None
        if not fields:
            return
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self._write() as conn:
            cur = conn.execute(f"UPDATE documents SET {assignments} WHERE id = ?", [*fields.values(), doc_id])
            if cur.rowcount == 0:
                raise NotFoundError(f"Không tìm thấy sáng kiến có mã «{doc_id}» trong kho lưu trữ.")

    def delete_document(self, doc_id: str) -> list[int]:
        """Delete a document, its sections and passages; returns the removed passage ids so the
        caller can drop them from the vector and keyword indexes."""
        with self._write() as conn:
            row = conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"Không tìm thấy sáng kiến có mã «{doc_id}» trong kho lưu trữ.")
            ids = [r[0] for r in conn.execute("SELECT id FROM passages WHERE doc_id = ? ORDER BY id", (doc_id,))]
            conn.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
            conn.executemany("INSERT INTO deleted_passages(passage_id) VALUES (?)", [(i,) for i in ids])
            conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            _count_tokens(conn, row["text"], -1)
            _count_passages(conn, -len(ids))
        return ids

    def document_infos(self, doc_ids) -> dict[str, DocumentInfo]:
        """Metadata of several documents (no text, no sections), by id; unknown ids are left out."""
        ids = list(dict.fromkeys(doc_ids))
        found: dict[str, DocumentInfo] = {}
        conn = self._conn()
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            rows = conn.execute(
                f"SELECT {_DOC_COLUMNS}, (SELECT count(*) FROM passages p WHERE p.doc_id = d.id) AS passage_count"
                f" FROM documents d WHERE id IN ({','.join('?' * len(part))})", part)
            for r in rows:
                found[r["id"]] = DocumentInfo(**self._info(r))
        return found

    def documents_matching(self, year: int | None = None, field: str | None = None, unit: str | None = None,
                           level: str | None = None) -> list[str]:
        """Ids of the documents a search is limited to: exact year and level, field and unit as
        substrings matched without case or diacritics ("lang son" is in "tỉnh Lạng Sơn")."""
        where, args = [], []
        if year is not None:
            where.append("year = ?")
            args.append(_check_year(year))
        if level is not None:
            where.append("level = ?")
            args.append(_check_level(level))
        for column, value in (("field", field), ("unit", unit)):
            if value:
                where.append(f"unaccent({column}) LIKE ? ESCAPE '\\'")
                args.append("%" + re.sub(r"([\\%_])", r"\\\1", _unaccent(value.strip())) + "%")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return [r[0] for r in self._conn().execute(f"SELECT id FROM documents {clause}", args)]

    def original_in_use(self, name: str) -> bool:
        row = self._conn().execute("SELECT 1 FROM documents WHERE original = ? LIMIT 1", (name,)).fetchone()
        return row is not None

    def set_title_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        with self._write() as conn:
            conn.executemany("UPDATE documents SET title_vector = ? WHERE id = ?",
                             [(np.asarray(v, dtype=np.float32).tobytes(), d) for d, v in vectors.items()])

    def titles_without_vector(self) -> dict[str, str]:
        """Documents whose title has no embedding yet (stored by an older version, or retitled)."""
        return dict(self._conn().execute("SELECT id, title FROM documents WHERE title_vector IS NULL"))

    def title_vectors(self, doc_ids=None) -> tuple[list[str], np.ndarray]:
        """(ids, float32 matrix) of the stored title embeddings: of `doc_ids`, or of every document."""
        conn = self._conn()
        if doc_ids is None:
            rows = conn.execute("SELECT id, title_vector FROM documents WHERE title_vector IS NOT NULL ORDER BY id")
            rows = rows.fetchall()
        else:
            ids, rows = list(dict.fromkeys(doc_ids)), []
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                rows += conn.execute(f"SELECT id, title_vector FROM documents WHERE title_vector IS NOT NULL"
                                     f" AND id IN ({','.join('?' * len(part))})", part).fetchall()
        dim = self.dimension() or 0
        if not rows:
            return [], np.zeros((0, dim), dtype=np.float32)
        return [r[0] for r in rows], np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def token_stats(self) -> ArchiveStats:
        """Document count and token document frequencies, read in one snapshot."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            n_docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            counts = Counter(dict(conn.execute("SELECT token, df FROM token_df")))
        finally:
            conn.execute("COMMIT")
        return ArchiveStats(n_docs, counts)

    def count_documents(self) -> int:
        return self._conn().execute("SELECT count(*) FROM documents").fetchone()[0]

    def fields(self) -> list[str]:
        """The distinct fields (lĩnh vực) of the archive, sorted, for filter lists."""
        rows = self._conn().execute(
            "SELECT DISTINCT field FROM documents WHERE field IS NOT NULL AND field != '' ORDER BY field")
        return [r[0] for r in rows]

    # -- passages -----------------------------------------------------------------------------

    def count_passages(self) -> int:
        return self.passage_signature()[0]

    def sync_position(self) -> tuple[int, int]:
        """(highest passage id, highest deletion number): how far an index must have caught up to
        reflect the store (see vector_index.VectorIndex.sync)."""
        top, deleted = self._conn().execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM passages),"
            " (SELECT coalesce(max(seq), 0) FROM deleted_passages)").fetchone()
        return int(top), int(deleted)

    def deleted_passages(self, after: int = 0, upto: int | None = None) -> list[int]:
        """Ids of the passages deleted with a deletion number in (`after`, `upto`]."""
        rows = self._conn().execute(
            "SELECT passage_id FROM deleted_passages WHERE seq > ? AND seq <= ? ORDER BY seq",
            (after, upto if upto is not None else 2 ** 62))
        return [r[0] for r in rows]

    def passage_signature(self) -> tuple[int, int]:
        """(count, highest id) of the passages: changes with every add or delete, from any process,
        so a reader can tell cheaply that its in-memory index is stale. Read in one statement from the
        count the writes keep in `meta` (count(*) scans 400k rows: 20 ms a call) and the rowid's end."""
        count, top = self._conn().execute(
            "SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'passage_count'),"
            " (SELECT coalesce(max(id), 0) FROM passages)").fetchone()
        return int(count or 0), int(top)

    def passage_ids(self, doc_id: str | None = None) -> list[int]:
        """Ids of one document's passages in reading order, or of the whole archive by id."""
        if doc_id is None:
            return [r[0] for r in self._conn().execute("SELECT id FROM passages ORDER BY id")]
        return [
            r[0] for r in self._conn().execute("SELECT id FROM passages WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        ]

    def passage_ids_of(self, doc_ids) -> list[int]:
        """Passage ids of several documents (a search limited to them)."""
        ids, found = list(doc_ids), []
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            found += [r[0] for r in self._conn().execute(
                f"SELECT id FROM passages WHERE doc_id IN ({','.join('?' * len(part))})", part)]
        return found

    def passage_owners(self, ids) -> dict[int, str]:
        """Passage id -> document id (ids that no longer exist are left out)."""
        ids, found = sorted({int(i) for i in ids if int(i) >= 0}), {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            found.update(self._conn().execute(
                f"SELECT id, doc_id FROM passages WHERE id IN ({','.join('?' * len(part))})", part))
        return found

    def passages_by_ids(self, ids) -> list[Passage]:
        """Passages in the order of `ids`; ids that no longer exist (e.g. -1 padding) are skipped."""
        ids = [int(i) for i in ids if int(i) >= 0]
        if not ids:
            return []
        conn = self._conn()
        found: dict[int, Passage] = {}
        for chunk in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            part = ids[chunk : chunk + 500]
            rows = conn.execute(
                f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id IN ({','.join('?' * len(part))})", part)
            for r in rows:
                found[r["id"]] = _passage(r)
        return [found[i] for i in ids if i in found]

    def document_passages(self, doc_id: str, sections: list[Section]) -> list[Passage]:
        """One document's passages in reading order, each with its section path (`sections` are the
        document's, as `get_document` returns them)."""
        rows = self._conn().execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        passages = [_passage(r) for r in rows]
        for p in passages:
            p.section_path = section_path(sections, p.section_index)
        return passages

    def passage_vectors(self, ids) -> np.ndarray:
        """Stored vectors of the given passages, in the order of `ids` (all must exist)."""
        ids = [int(i) for i in ids]
        conn = self._conn()
        by_id = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            for r in conn.execute(f"SELECT id, vector FROM passages WHERE id IN ({','.join('?' * len(part))})", part):
                by_id[r[0]] = np.frombuffer(r[1], dtype=np.float32)
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise NotFoundError(f"Không tìm thấy đoạn văn có mã {missing[0]} trong kho lưu trữ.")
        dim = self.dimension() or 0
        return np.stack([by_id[i] for i in ids]) if ids else np.zeros((0, dim), dtype=np.float32)

    def dimension(self) -> int | None:
        value = self.meta_get("dimension")
        return int(value) if value else None

    def iter_passages(self, batch: int = 2000) -> Iterator[list[Passage]]:
        """All passages (text, no vectors) in batches, by increasing id."""
        conn = self._conn()
        last = -1
        while True:
            rows = conn.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                                (last, batch)).fetchall()
            if not rows:
                return
            yield [_passage(r) for r in rows]
            last = rows[-1]["id"]

    def sample_vectors(self, n: int) -> np.ndarray:
        """About `n` stored passage vectors spread evenly over the archive: ids evenly spaced between
        the lowest and the highest (passage ids are dense but for deleted ones), read by key, so a
        sample of a 4M-passage archive never reads the whole table nor holds every id."""
        low, high = self._conn().execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM passages").fetchone()
        if not high or n <= 0:
            return np.zeros((0, self.dimension() or 0), np.float32)
        wanted = np.unique(np.linspace(low, high, num=min(n, high - low + 1)).round().astype(np.int64)).tolist()
        found = []
        conn = self._conn()
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            found += [np.frombuffer(r[0], dtype=np.float32) for r in conn.execute(
                f"SELECT vector FROM passages WHERE id IN ({','.join('?' * len(part))})", part)]
        return np.stack(found) if found else np.zeros((0, self.dimension() or 0), np.float32)

    def iter_vectors(self, batch: int = 4096, after: int = 0, upto: int | None = None
                     ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Stored vectors as (ids int64 (n,), vectors float32 (n, d)) batches, by increasing id: all
        of them, or those with `after` < id <= `upto` (what an index has not caught up with yet)."""
        conn = self._conn()
        last = after
        limit = upto if upto is not None else 2 ** 62
        while True:
            rows = conn.execute(
                "SELECT id, vector FROM passages WHERE id > ? AND id <= ? ORDER BY id LIMIT ?", (last, limit, batch)
            ).fetchall()
            if not rows:
                return
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            vectors = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            last = int(ids[-1])
            yield ids, vectors


def _count_passages(conn: sqlite3.Connection, delta: int) -> None:
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'passage_count'", (delta,))


def _count_tokens(conn: sqlite3.Connection, text: str, delta: int) -> None:
    """Apply one stored (+1) or deleted (-1) document to the token table, inside the caller's write."""
    found = [(t,) for t in set(tokens(text))]
    if delta > 0:
        conn.executemany(
            "INSERT INTO token_df(token, df) VALUES (?, 1) ON CONFLICT(token) DO UPDATE SET df = df + 1", found)
    else:
        conn.executemany("UPDATE token_df SET df = df - 1 WHERE token = ?", found)
        conn.execute("DELETE FROM token_df WHERE df <= 0")
