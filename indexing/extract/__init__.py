"""File -> Extraction: ordered blocks (headings, paragraphs, list items, table rows) from PDF, DOCX, DOC,
TXT and Markdown, one module per format.

The format is decided by the file's content first and its extension second, so a renamed file is read
for what it is. Text is returned as decoded; Unicode normalisation happens later (indexing/vietnamese.py).
"""
from __future__ import annotations

import codecs
from pathlib import Path

from indexing.config import Settings
from indexing.document import Extraction
from indexing.errors import InputError, TooLargeError, UnsupportedFormatError
from indexing.extract.common import ACCEPTED_TYPES, MB, check_deadline, utf16_without_bom
from indexing.extract.doc import extract_doc
from indexing.extract.docx import check_docx_zip, extract_docx
from indexing.extract.pdf import extract_pdf
from indexing.extract.plain import decode_text, extract_text

__all__ = ["ACCEPTED_TYPES", "check_deadline", "check_docx_zip", "decode_text", "detect_format", "extract"]

TEXT_SUFFIXES = {"", ".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def extract(path: Path, settings: Settings, deadline: float | None = None) -> Extraction:
    """`deadline` (a `time.monotonic()` value) bounds the slow part, reading PDF pages one by one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Không tìm thấy tệp “{path.name}”.")
    size = path.stat().st_size
    if size == 0:
        raise InputError("Tệp rỗng (0 byte): không có nội dung để xem xét.")
    if size > settings.max_upload_mb * MB:
        raise TooLargeError(
            f"Tệp quá lớn ({size / MB:.1f} MB); dung lượng tối đa cho phép là {settings.max_upload_mb} MB."
        )

    kind = detect_format(path)
    if kind == "pdf":
        extraction = extract_pdf(path, settings, deadline)
    elif kind == "docx":
        extraction = extract_docx(path, settings)
    elif kind == "doc":
        extraction = extract_doc(path, settings)
    else:
        extraction = extract_text(path, kind, settings)

    if not extraction.blocks:
        raise InputError("Không tìm thấy nội dung văn bản nào trong tệp.")
    total = sum(len(block.text) for block in extraction.blocks)
    if total > settings.max_chars:
        raise TooLargeError(
            f"Văn bản quá dài ({total:,} ký tự); giới hạn là {settings.max_chars:,} ký tự.".replace(",", ".")
        )
    return extraction


def detect_format(path: Path) -> str:
    """One of "pdf", "docx", "doc", "txt", "md"; raises UnsupportedFormatError otherwise."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:  # some generators put junk before the header; readers accept it
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "docx"
    if head.startswith(OLE_MAGIC):
        return "doc"
    if head.startswith(b"{\\rtf"):  # Word happily saves RTF under a .doc name; LibreOffice reads it
        return "doc"
    if _looks_like_text(head):
        if suffix in MARKDOWN_SUFFIXES:
            return "md"
        if suffix in TEXT_SUFFIXES:
            return "txt"
        raise UnsupportedFormatError(
            f"Nội dung tệp “{path.name}” là văn bản thuần, không khớp với đuôi “{suffix}”. "
            f"Chỉ nhận các loại tệp: {ACCEPTED_TYPES}."
        )
    raise UnsupportedFormatError(
        f"Không nhận dạng được định dạng của tệp “{path.name}”. Chỉ nhận các loại tệp: {ACCEPTED_TYPES}."
    )


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if utf16_without_bom(head):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\v\x1a")
    return controls <= len(head) * 0.02

