"""Who may do what: roles, API tokens (Bearer), signed session cookies for the web UI and CSRF.

Permissions by role:
- author: check a file and read their own reports;
- reviewer: also compare two files, search, read archive documents and similar ones, read review rounds;
- admin: everything (archive writes, review rounds, every report).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from fastapi import Request

from indexing.errors import SangkienError
from service.db import ServiceDB, User
from service.limits import TooManyRequestsError

SESSION_COOKIE = "sangkien_session"
CSRF_COOKIE = "sangkien_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LOGIN_RATE_MESSAGE = "Đăng nhập sai quá nhiều lần từ địa chỉ này; vui lòng thử lại sau {seconds} giây."

PERMISSIONS = {
    "author": {"check", "reports.own"},
    "reviewer": {"check", "compare", "reports.own", "search", "archive.read", "rounds.read"},
    "admin": {"check", "compare", "reports.own", "reports.all", "search", "archive.read", "archive.write",
              "rounds.read", "rounds.write"},
}

# Demo accounts: known tokens so a visitor can try every role; created only in demo mode.
DEMO_USERS = (
    ("quantri-dungthu", "admin", "dungthu-quantri"),
    ("hoidong-dungthu", "reviewer", "dungthu-hoidong"),
    ("tacgia-dungthu", "author", "dungthu-tacgia"),
)


class AuthenticationError(SangkienError):
    code = "unauthorized"
    http_status = 401


class PermissionDeniedError(SangkienError):
    code = "forbidden"
    http_status = 403


def can(user: User | None, permission: str) -> bool:
    return user is not None and permission in PERMISSIONS.get(user.role, set())


def load_secret(path: Path) -> bytes:
    """A per-installation signing key (Settings.secret_file), generated on first start and readable
    only by its owner."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


class SessionSigner:
    """Session cookie = "<user id>.<expiry>.<HMAC-SHA256>"; nothing secret is stored in the browser."""

    def __init__(self, secret: bytes, max_age_s: int):
        self.secret = secret
        self.max_age_s = max_age_s

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, user_id: int) -> str:
        payload = f"{user_id}.{int(time.time()) + self.max_age_s}"
        return f"{payload}.{self._mac(payload)}"

    def verify(self, value: str) -> int | None:
        try:
            user_id, expiry, mac = value.split(".")
            if not hmac.compare_digest(mac, self._mac(f"{user_id}.{expiry}")) or int(expiry) < time.time():
                return None
            return int(user_id)
        except ValueError:
            return None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def login_throttle(request: Request) -> None:
    """Refuse any token from an address with too many recent failures, the right one included:
    otherwise a guesser would still learn when it hits."""
    wait = request.app.state.login_failures.retry_after(client_address(request))
    if wait:
        raise TooManyRequestsError(LOGIN_RATE_MESSAGE.format(seconds=wait), retry_after=wait)


def login_failed(request: Request) -> None:
    request.app.state.login_failures.record(client_address(request))


def authenticate(request: Request) -> User | None:
    """The caller, from a Bearer token or the session cookie; cached on the request. A wrong
    Bearer token counts as a failed login of the client's address."""
    if hasattr(request.state, "user"):
        return request.state.user
    db: ServiceDB = request.app.state.db
    user, via_cookie = None, False
    token = bearer_token(request)
    if token:
        login_throttle(request)
        user = db.user_for_token(token)
        if user is None:
            login_failed(request)
            raise AuthenticationError("Mã truy cập (token) không hợp lệ hoặc đã bị thu hồi.")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user_id = request.app.state.signer.verify(cookie)
        user = db.get_user(user_id) if user_id is not None else None
        via_cookie = user is not None
    request.state.user = user
    request.state.via_cookie = via_cookie
    return user


def csrf_token(request: Request) -> str:
    """The double-submit value: the browser holds it in an HttpOnly cookie, pages echo it back."""
    return request.cookies.get(CSRF_COOKIE) or request.state.new_csrf


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise PermissionDeniedError(
            "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại.")


def require(permission: str):
    """FastAPI dependency: the authenticated user holding `permission`. A browser session must also
    send the CSRF header on writes (a Bearer token cannot be sent by another site, a cookie can)."""

    def dependency(request: Request) -> User:
        user = authenticate(request)
        if user is None:
            raise AuthenticationError("Bạn cần đăng nhập (hoặc gửi mã truy cập) để dùng chức năng này.")
        if request.state.via_cookie and request.method not in SAFE_METHODS:
            check_csrf(request, request.headers.get(CSRF_HEADER))
        if not can(user, permission):
            raise PermissionDeniedError("Tài khoản của bạn không có quyền thực hiện thao tác này.")
        return user

    return dependency
