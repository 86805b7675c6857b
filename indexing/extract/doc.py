"""Legacy Word .doc (and RTF saved as .doc): converted to DOCX by LibreOffice, then read as DOCX."""
from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from indexing.config import Settings
from indexing.document import Extraction
from indexing.errors import InputError, MissingToolError
from indexing.extract.common import MB
from indexing.extract.docx import extract_docx

log = logging.getLogger(__name__)

SOFFICE_TIMEOUT_S = 120


def extract_doc(path: Path, settings: Settings) -> Extraction:
    with path.open("rb") as handle:
        head = handle.read(MB)
    if "EncryptedPackage".encode("utf-16-le") in head:
        raise InputError(
            "Tệp Word được đặt mật khẩu nên không đọc được. Hãy gỡ mật khẩu rồi gửi lại."
        )
    tool = shutil.which("soffice") or shutil.which("libreoffice")
    if tool is None:
        raise MissingToolError(
            "Không đọc được tệp .doc: máy chủ chưa cài LibreOffice (soffice). "
            "Hãy lưu tệp dưới dạng .docx hoặc PDF rồi gửi lại."
        )
    with tempfile.TemporaryDirectory(prefix="sangkien-doc-") as tmp:
        tmp_path = Path(tmp)
        # A private profile: concurrent conversions otherwise fight over the user's profile lock.
        source = tmp_path / ("input" + (path.suffix.lower() or ".doc"))
        shutil.copyfile(path, source)
        command = [
            tool, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore",
            "--convert-to", "docx", "--outdir", str(tmp_path / "out"), str(source),
        ]
        failed = InputError(
            "Không chuyển đổi được tệp .doc sang .docx (tệp có thể bị hỏng hoặc đặt mật khẩu). "
            "Hãy mở tệp bằng Word, lưu dưới dạng .docx rồi gửi lại."
        )
        try:
            done = subprocess.run(command, capture_output=True, timeout=SOFFICE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            log.warning("LibreOffice did not convert %s within %d s", path.name, SOFFICE_TIMEOUT_S)
            raise failed from exc
        converted = tmp_path / "out" / "input.docx"
        if not converted.is_file():
            log.warning("LibreOffice could not convert %s (exit %s): %s", path.name, done.returncode,
                        done.stderr.decode(errors="replace").strip()[-300:])
            raise failed
        return extract_docx(converted, settings, fmt="doc")
