"""Uploaded files: copied under generated names into private folders of the data dir, size-capped while
copying, removed when their work is done. The client's file name is only ever a display name."""
from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile

from indexing.config import Settings
from indexing.errors import InputError, TooLargeError, UnsupportedFormatError

ALLOWED_SUFFIXES = (".pdf", ".docx", ".doc", ".txt", ".md")
CHUNK = 1 << 20
MAX_DISPLAY_NAME = 200


def display_name(filename: str | None) -> str:
    """The client's file name reduced to something only ever shown, never used as a path: its last
    component under either slash convention, without control characters (NUL included), bounded."""
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", filename or ""))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        return ""
    if len(name) > MAX_DISPLAY_NAME:  # keep the extension: it decides how the file is read
        suffix = Path(name).suffix[:16]
        name = name[:MAX_DISPLAY_NAME - len(suffix)] + suffix
    return name


def save_upload(upload: UploadFile, folder: Path, max_mb: int, suffixes=ALLOWED_SUFFIXES) -> Path:
    """Copy an upload under a generated name (never the client's) into a private folder, enforcing
    the size limit while copying."""
    name = display_name(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        kinds = [s.lstrip(".").upper() for s in suffixes]
        listed = " hoặc ".join(filter(None, [", ".join(kinds[:-1]), kinds[-1]]))
        raise UnsupportedFormatError(f"Không hỗ trợ tệp «{name}». Hãy gửi tệp {listed}.")
    target = folder / f"{secrets.token_hex(12)}{suffix}"
    size, limit = 0, max_mb * (1 << 20)
    with open(target, "wb") as out:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"Tệp «{name}» vượt quá dung lượng cho phép ({max_mb} MB).")
            out.write(chunk)
    if size == 0:
        raise InputError(f"Tệp «{name}» rỗng (0 byte): không có nội dung để xem xét.")
    return target


def new_upload_folder(settings: Settings, prefix: str) -> Path:
    """A fresh private folder under the data dir's uploads folder; the caller removes it."""
    root = Path(settings.uploads_dir)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


@contextmanager
def private_folder(settings: Settings, prefix: str = "upload-"):
    folder = new_upload_folder(settings, prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def handed_over_folder(settings: Settings, prefix: str):
    """A private folder for a background job: removed here if saving the uploads fails, otherwise
    handed to the job, which removes it when done."""
    folder = new_upload_folder(settings, prefix)
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
