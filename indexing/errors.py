"""Core exceptions. Each carries a Vietnamese message for the user; the HTTP and CLI edges map
them to status codes / exit codes (see service/errors.py)."""
from __future__ import annotations

# Said when something failed that the user cannot fix (the details go to the log).
UNEXPECTED_MESSAGE = "Đã xảy ra lỗi không mong muốn khi xử lý yêu cầu. Vui lòng thử lại hoặc báo cho quản trị viên."


class SangkienError(Exception):
    """Base class. `message` is user-facing Vietnamese; `code` is a stable machine identifier."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail


class InputError(SangkienError):
    """The submitted file cannot be processed (empty, corrupt, encrypted, wrong type, too big, ...)."""

    code = "invalid_input"
    http_status = 400


class UnsupportedFormatError(InputError):
    code = "unsupported_format"
    http_status = 415


class TooLargeError(InputError):
    code = "too_large"
    http_status = 413


class MissingToolError(SangkienError):
    """An optional external tool (e.g. LibreOffice for .doc) is not installed."""

    code = "missing_tool"
    http_status = 422


class NotFoundError(SangkienError):
    code = "not_found"
    http_status = 404


class IndexMismatchError(SangkienError):
    """The vector index was built with another model/dimension than the one configured."""

    code = "index_mismatch"
    http_status = 409


class ModelError(SangkienError):
    code = "model_error"
    http_status = 500
