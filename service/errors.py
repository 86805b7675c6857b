"""The edges' view of core errors, mapped once: one JSON shape (or a Vietnamese error page) for HTTP,
one stderr line + exit code for the CLI."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexing.errors import UNEXPECTED_MESSAGE, InputError, MissingToolError, NotFoundError, SangkienError

log = logging.getLogger(__name__)

__all__ = ["UNEXPECTED_MESSAGE", "error_body", "exit_code", "install_error_handlers"]

HTTP_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Bạn cần đăng nhập (hoặc gửi mã truy cập) để dùng chức năng này."),
    403: ("forbidden", "Tài khoản của bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy trang hoặc dữ liệu được yêu cầu."),
    405: ("method_not_allowed", "Phương thức HTTP này không được hỗ trợ tại địa chỉ đã gọi."),
    413: ("too_large", "Dữ liệu gửi lên vượt quá dung lượng cho phép."),
}
FIELD_LABELS = {"file": "tệp", "files": "các tệp", "q": "nội dung tìm kiếm", "k": "số kết quả", "year": "năm",
                "limit": "số dòng mỗi trang", "offset": "vị trí bắt đầu", "name": "tên đợt", "title": "tên sáng kiến"}


def error_body(exc: SangkienError) -> dict:
    """The single JSON error shape of the API."""
    return {"error": {"code": exc.code, "message": exc.message}}


def exit_code(exc: BaseException) -> int:
    """CLI exit codes: 2 bad input, 3 not found, 4 missing tool, 5 other known error, 1 unexpected."""
    if isinstance(exc, InputError):
        return 2
    if isinstance(exc, NotFoundError):
        return 3
    if isinstance(exc, MissingToolError):
        return 4
    if isinstance(exc, SangkienError):
        return 5
    return 1


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path in ("/api", "/openapi.json", "/docs")


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        name = str(error.get("loc", ["?"])[-1])
        label = FIELD_LABELS.get(name, name)
        parts.append(f"thiếu {label}" if error.get("type") == "missing" else f"giá trị của {label} không hợp lệ")
    return "Dữ liệu gửi lên không hợp lệ: " + "; ".join(dict.fromkeys(parts)) + "."


def error_response(request: Request, status: int, code: str, message: str, headers: dict | None = None):
    """JSON for the API; for pages, the login page (401) or a Vietnamese error page."""
    if not is_api(request.url.path):
        from service.web.rendering import error_page  # pages only: the API never renders templates

        if status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        response = error_page(request, status, message)
    else:
        response = JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
    response.headers.update(headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SangkienError)
    async def known_error(request: Request, exc: SangkienError):
        retry_after = getattr(exc, "retry_after", None)
        return error_response(request, exc.http_status, exc.code, exc.message,
                              {"Retry-After": str(retry_after)} if retry_after else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code, message = HTTP_MESSAGES.get(exc.status_code, ("error", UNEXPECTED_MESSAGE))
        return error_response(request, exc.status_code, code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return error_response(request, 422, "invalid_request", validation_message(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "internal_error", UNEXPECTED_MESSAGE)
