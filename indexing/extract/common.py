"""What every extractor shares: size units, the accepted types, the time budget and UTF-16 sniffing."""
from __future__ import annotations

import time

from indexing.config import Settings
from indexing.errors import TooLargeError

MB = 1024 * 1024
ACCEPTED_TYPES = "PDF, DOCX, DOC, TXT, MD"


def check_deadline(deadline: float | None, settings: Settings) -> None:
    """Raise TooLargeError once `deadline` (a `time.monotonic()` value) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise TooLargeError(
            f"Xử lý tệp vượt quá thời gian cho phép ({settings.max_seconds_per_document:g} giây): tệp quá dài "
            "hoặc quá phức tạp. Hãy chia nhỏ tệp, hoặc gửi bản DOCX thay cho PDF."
        )


def utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    if sample[1::2].count(0) > 0.4 * (len(sample) // 2):
        return "utf-16-le"
    if sample[0::2].count(0) > 0.4 * (len(sample) // 2):
        return "utf-16-be"
    return None
