"""The initiative's name: the "Tên sáng kiến" field, the title block under the form heading, or the
first substantial line before the outline."""
from __future__ import annotations

import re
from pathlib import Path

from indexing.document import Document
from indexing.sections import is_upper
from indexing.text import fold, parse_numbering

# Form headings a title block follows, and the national motto: compared folded.
_TITLE_MARKERS = tuple(fold(m) for m in (
    "sáng kiến kinh nghiệm", "bản mô tả sáng kiến", "báo cáo mô tả sáng kiến", "đề tài", "báo cáo sáng kiến",
    "báo cáo thuyết minh sáng kiến", "đơn đề nghị công nhận sáng kiến",
    "báo cáo kết quả nghiên cứu, ứng dụng sáng kiến", "bản mô tả sáng kiến kinh nghiệm", "thuyết minh sáng kiến"))
# Titles word processors put in a file's properties by themselves (or a template left there).
_DEFAULT_PROPERTY_TITLES = {fold(t) for t in ("Word Document", "Microsoft Word Document", "Document", "Tài liệu",
                                               "Untitled", "Không có tiêu đề", "Chưa đặt tên", "Title", "Tiêu đề")}
_NOT_TITLE = tuple(fold(m) for m in ("Cộng hòa xã hội chủ nghĩa Việt Nam", "Độc lập - Tự do - Hạnh phúc"))
_NAME_FIELD = re.compile(rf"(?:\w+ )?(?:{fold('tên sáng kiến')}|{fold('tên đề tài')})\b")
_NAME_LINE = re.compile(rf"(?:{fold('đề tài')}|{fold('tên sáng kiến')}|{fold('tên đề tài')})\b")
_TOC = fold("mục lục")


def usable_property_title(title: str, source_path: str | None) -> bool:
    """A title from the file's properties (front matter, DOCX core properties) is the initiative's
    name unless it is a default, the file's own name, a form heading or too short to be a name."""
    key = fold(title)
    if not key or key in _DEFAULT_PROPERTY_TITLES or key.startswith("microsoft word") or is_form_heading(key):
        return False
    if source_path and fold(Path(source_path).stem) == key:
        return False
    if " " not in title.strip() and re.search(r"[_.\-\d]", title):
        return False  # "dup_reworded", "SK-2024-03": a file name
    return len(title.split()) >= 3


def is_form_heading(key: str) -> bool:
    """A form's title ("BÁO CÁO MÔ TẢ SÁNG KIẾN", "... CẤP CƠ SỞ"), not an initiative's name."""
    return any(key == m or (key.startswith(m + " ") and len(key.split()) - len(m.split()) <= 3)
               for m in _TITLE_MARKERS)


def guess_title(doc: Document) -> str:
    title = str(doc.metadata.get("title") or "").strip()
    if usable_property_title(title, doc.source_path):
        return _clean_title(title)
    for section in doc.sections:
        if _NAME_FIELD.match(fold(section.heading)):
            value = doc.text[section.body_start : section.end].strip().split("\n")[0]
            if value:
                return _clean_title(value)
    lines = [b.text.strip().strip("*#").strip() for b in doc.blocks[:40]]
    for i, line in enumerate(lines):
        key = fold(line)
        if _NAME_LINE.match(key) and ":" in line:
            # "ĐỀ TÀI: MỘT SỐ BIỆN PHÁP ...", "Tên sáng kiến: Bao quả hồng ..."
            return _clean_title(line.split(":", 1)[1])
        if is_form_heading(key):
            block = []
            for nxt in lines[i + 1 :]:
                if not nxt and not block:
                    continue
                if not nxt or not is_upper(nxt) or is_form_heading(fold(nxt)):
                    if block:
                        break
                    continue
                if fold(nxt).startswith(_TOC) or parse_numbering(nxt, True).style != "plain":
                    break  # the outline starts: "MỤC LỤC", "PHẦN I. ..."
                block.append(nxt)
                if len(block) == 4:
                    break
            if block:
                return _clean_title(" ".join(block))
    first_section = doc.sections[0].start if doc.sections else len(doc.text)
    for block, offset in zip(doc.blocks, doc.block_offsets):
        line = block.text.strip().strip("*#").strip()
        key = fold(line)
        if (offset < first_section and len(line.split()) >= 4 and key not in _NOT_TITLE
                and not is_form_heading(key) and not key.startswith(_TOC) and not _numbered(line)):
            return _clean_title(line)
    for block in doc.blocks:
        key = fold(block.text)
        if (len(block.text.split()) >= 4 and key not in _NOT_TITLE and not is_form_heading(key)
                and not _numbered(block.text)):
            return _clean_title(block.text)
    return ""


def _numbered(line: str) -> bool:
    """A numbered heading ("1. Lí do chọn sáng kiến", "PHẦN I.") is part of the outline, not the name."""
    return parse_numbering(line.strip(), True).style not in ("plain", "bullet")


def _clean_title(text: str) -> str:
    text = " ".join(text.split()).strip(" .:;”“\"'")
    return text[:300]
