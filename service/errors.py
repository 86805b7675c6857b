"""The edges' view of core errors: one JSON shape for HTTP, one stderr line + exit code for the CLI."""
from __future__ import annotations

from indexing.errors import InputError, MissingToolError, NotFoundError, SangkienError

UNEXPECTED_MESSAGE = "Đã xảy ra lỗi không mong muốn khi xử lý yêu cầu. Vui lòng thử lại hoặc báo cho quản trị viên."


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
