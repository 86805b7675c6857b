"""Pure ASGI middleware at the edge of the app: request body caps and security headers."""
from __future__ import annotations

import secrets

from fastapi.responses import JSONResponse

from indexing.errors import TooLargeError
from service.auth import CSRF_COOKIE
from service.errors import error_body

# The only endpoints taking many files at once; every other request body is held to one file's size.
BULK_UPLOAD_PATHS = ("/api/rounds", "/api/imports")

# Nothing is loaded from outside, /docs included (its Swagger UI files come from fastapi-offline),
# so the service works on an office network without internet. Only /docs needs its inline start-up script.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'unsafe-inline'; "
            "object-src 'none'; frame-ancestors 'none'")


class EdgeMiddleware:
    """Sees the request body as it streams: caps its size (before anything is spooled to disk: one
    file's worth, or a whole round's on the bulk endpoints), adds security headers and gives every
    browser a CSRF cookie."""

    def __init__(self, app, max_body_bytes: int, max_bulk_body_bytes: int, secure_cookies: bool = False):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_bulk_body_bytes = max_bulk_body_bytes
        self.secure_cookies = secure_cookies

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"]
        new_csrf = None
        if CSRF_COOKIE + "=" not in headers.get("cookie", ""):
            new_csrf = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["new_csrf"] = new_csrf

        limit = self.max_bulk_body_bytes if path in BULK_UPLOAD_PATHS else self.max_body_bytes
        too_large = int(headers.get("content-length") or 0) > limit
        received = 0

        async def limited_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        send_with_headers = self._header_sender(send, path, new_csrf)
        if too_large:
            return await self._reject(scope, send_with_headers, limit)
        sent = False

        async def guarded_send(message):
            nonlocal sent
            if too_large:
                return  # the app's answer to a truncated body is replaced by the 413 below
            sent = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not sent:
            await self._reject(scope, send_with_headers, limit)

    def _header_sender(self, send, path: str, new_csrf: str | None):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", (DOCS_CSP if path == "/docs" else CSP).encode()),
                ]
                if new_csrf:
                    cookie = f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Lax"
                    extra.append((b"set-cookie", (cookie + ("; Secure" if self.secure_cookies else "")).encode()))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        return send_with_headers

    async def _reject(self, scope, send, limit: int):
        exc = TooLargeError(f"Dữ liệu gửi lên vượt quá giới hạn cho phép ({limit // (1 << 20)} MB).")
        response = JSONResponse(error_body(exc), status_code=exc.http_status)
        await response(scope, None, send)
