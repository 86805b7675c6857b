"""The web service's own small SQLite file (users, API tokens, saved reports, review rounds).

Kept apart from the archive store on purpose: the archive can be rebuilt, copied or shared between
installations, while accounts and personal check reports belong to one deployment.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from indexing.errors import InputError, NotFoundError
from indexing.report import CheckReport

ROLES = ("admin", "reviewer", "author")
ROLE_LABELS = {"admin": "Quản trị viên", "reviewer": "Thành viên hội đồng", "author": "Tác giả"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS reports (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    round_id TEXT,
    filename TEXT NOT NULL,
    title TEXT NOT NULL,
    score REAL NOT NULL,
    verdict TEXT NOT NULL,
    created_at TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_user ON reports(user_id, created_at);
CREATE TABLE IF NOT EXISTS rounds (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    results TEXT NOT NULL DEFAULT '[]',
    error TEXT
);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough (no password stretching needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "sk_" + secrets.token_urlsafe(32)


@dataclass
class User:
    id: int
    name: str
    role: str
    created_at: str
    revoked_at: str | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class ServiceDB:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._write() as conn:
            conn.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self):
        conn = self._conn()
        with self._write_lock, conn:  # the connection context manager commits or rolls back
            yield conn

    # --- users and tokens ------------------------------------------------------------------------
    def add_user(self, name: str, role: str, token: str | None = None) -> str:
        """Create (or re-activate a revoked) user and return a fresh API token, shown only once."""
        name = name.strip()
        if not name:
            raise InputError("Tên người dùng không được để trống.")
        if role not in ROLES:
            raise InputError(f"Vai trò không hợp lệ: «{role}». Chọn một trong: {', '.join(ROLES)}.")
        token = token or new_token()
        with self._write() as conn:
            row = conn.execute("SELECT id, revoked_at FROM users WHERE name = ?", (name,)).fetchone()
            if row and row["revoked_at"] is None:
                raise InputError(f"Người dùng «{name}» đã tồn tại.")
            if row:
                user_id = row["id"]
                conn.execute("UPDATE users SET role = ?, revoked_at = NULL WHERE id = ?", (role, user_id))
            else:
                user_id = conn.execute(
                    "INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)", (name, role, now())
                ).lastrowid
            conn.execute("INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                         (user_id, hash_token(token), now()))
        return token

    def ensure_user(self, name: str, role: str, token: str) -> None:
        """Idempotent variant for demo accounts with a known token."""
        if self.user_for_token(token) is None:
            with self._write() as conn:
                row = conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
                if row:
                    conn.execute("UPDATE users SET role = ?, revoked_at = NULL WHERE id = ?", (role, row["id"]))
                    conn.execute("INSERT OR IGNORE INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                                 (row["id"], hash_token(token), now()))
                    return
            self.add_user(name, role, token)

    def revoke_user(self, name: str) -> None:
        with self._write() as conn:
            row = conn.execute("SELECT id FROM users WHERE name = ? AND revoked_at IS NULL", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"Không tìm thấy người dùng đang hoạt động có tên «{name}».")
            conn.execute("UPDATE users SET revoked_at = ? WHERE id = ?", (now(), row["id"]))
            conn.execute("UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                         (now(), row["id"]))

    def list_users(self) -> list[User]:
        rows = self._conn().execute("SELECT id, name, role, created_at, revoked_at FROM users ORDER BY name")
        return [User(**dict(r)) for r in rows]

    def count_users(self) -> int:
        return self._conn().execute("SELECT count(*) FROM users WHERE revoked_at IS NULL").fetchone()[0]

    def user_for_token(self, token: str) -> User | None:
        row = self._conn().execute(
            "SELECT u.id, u.name, u.role, u.created_at, u.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.revoked_at IS NULL",
            (hash_token(token),),
        ).fetchone()
        return User(**dict(row)) if row else None

    def get_user(self, user_id: int) -> User | None:
        row = self._conn().execute(
            "SELECT id, name, role, created_at, revoked_at FROM users WHERE id = ? AND revoked_at IS NULL", (user_id,)
        ).fetchone()
        return User(**dict(row)) if row else None

    # --- reports ---------------------------------------------------------------------------------
    def save_report(self, user_id: int, filename: str, report: CheckReport, round_id: str | None = None) -> str:
        report_id = secrets.token_urlsafe(12)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO reports (id, user_id, round_id, filename, title, score, verdict, created_at, report)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (report_id, user_id, round_id, filename, report.document.title or filename,
                 float(report.similarity.score), report.similarity.verdict, now(),
                 json.dumps(report.to_dict(), ensure_ascii=False)),
            )
        return report_id

    def get_report(self, report_id: str) -> dict:
        row = self._conn().execute("SELECT * FROM reports WHERE id = ?", (report_id,)).fetchone()
        if row is None:
            raise NotFoundError("Không tìm thấy báo cáo kiểm tra này.")
        return {**{k: row[k] for k in row.keys() if k != "report"}, "report": json.loads(row["report"])}

    def list_reports(self, user_id: int | None, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        """Personal checks of one user (or everyone's when `user_id` is None); round submissions are
        listed with their round instead."""
        where, args = "WHERE round_id IS NULL", []
        if user_id is not None:
            where += " AND user_id = ?"
            args.append(user_id)
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM reports {where}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT id, user_id, filename, title, score, verdict, created_at FROM reports {where}"
            " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?", [*args, limit, offset]
        ).fetchall()
        return [dict(r) for r in rows], total

    # --- review rounds ---------------------------------------------------------------------------
    def create_round(self, name: str, user_id: int, total: int) -> str:
        round_id = secrets.token_urlsafe(9)
        with self._write() as conn:
            conn.execute("INSERT INTO rounds (id, name, user_id, created_at, status, total) VALUES (?, ?, ?, ?, ?, ?)",
                         (round_id, name, user_id, now(), "queued", total))
        return round_id

    def update_round(self, round_id: str, **fields) -> None:
        if "results" in fields:
            fields["results"] = json.dumps(fields["results"], ensure_ascii=False)
        columns = ", ".join(f"{k} = ?" for k in fields)
        with self._write() as conn:
            conn.execute(f"UPDATE rounds SET {columns} WHERE id = ?", [*fields.values(), round_id])

    def get_round(self, round_id: str) -> dict:
        row = self._conn().execute("SELECT * FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            raise NotFoundError("Không tìm thấy đợt xét duyệt này.")
        return {**dict(row), "results": json.loads(row["results"])}

    def list_rounds(self) -> list[dict]:
        rows = self._conn().execute(
            "SELECT id, name, created_at, status, done, total FROM rounds ORDER BY created_at DESC, rowid DESC"
        )
        return [dict(r) for r in rows]

    def fail_unfinished_rounds(self) -> None:
        """Rounds left running by a stopped server will never finish; say so instead of spinning forever."""
        with self._write() as conn:
            conn.execute("UPDATE rounds SET status = 'failed', error = ? WHERE status IN ('queued', 'running')",
                         ("Máy chủ đã khởi động lại khi đợt đang xử lý; hãy tạo lại đợt xét duyệt.",))
