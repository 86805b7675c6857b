"""The initiative's name: the "Tên sáng kiến" field, the title block under the form heading, or the
first substantial line before the outline."""
from __future__ import annotations

import re

from indexing.document import Document
from indexing.sections import is_upper
from indexing.text import fold, parse_numbering

# Form headings a title block follows, and the national motto: compared folded.
_TITLE_MARKERS = tuple(fold(m) for m in ("sáng kiến kinh nghiệm", "bản mô tả sáng kiến", "báo cáo mô tả sáng kiến",
                                          "đề tài", "báo cáo sáng kiến", "báo cáo thuyết minh sáng kiến"))
_NOT_TITLE = tuple(fold(m) for m in ("Cộng hòa xã hội chủ nghĩa Việt Nam", "Độc lập - Tự do - Hạnh phúc"))
_NAME_FIELD = re.compile(rf"(?:\w+ )?(?:{fold('tên sáng kiến')}|{fold('tên đề tài')})\b")
_NAME_LINE = re.compile(rf"(?:{fold('đề tài')}|{fold('tên sáng kiến')}|{fold('tên đề tài')})\b")
_TOC = fold("mục lục")


def guess_title(doc: Document) -> str:
    title = str(doc.metadata.get("title") or "").strip()
    if title:
        return title
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
        if key in _TITLE_MARKERS:
            block = []
            for nxt in lines[i + 1 :]:
                if not nxt and not block:
                    continue
                if not nxt or not is_upper(nxt) or fold(nxt) in _TITLE_MARKERS:
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
                and key not in _TITLE_MARKERS and not key.startswith(_TOC)):
            return _clean_title(line)
    for block in doc.blocks:
        if len(block.text.split()) >= 4 and fold(block.text) not in _NOT_TITLE:
            return _clean_title(block.text)
    return ""


def _clean_title(text: str) -> str:
    text = " ".join(text.split()).strip(" .:;”“\"'")
    return text[:300]
