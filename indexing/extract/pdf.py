"""PDF text layer (pdfplumber): visual lines re-joined into paragraphs (headings wrapped over several
lines included), ruled tables read as table rows, running headers/footers and page numbers dropped,
scanned pages reported."""
from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from indexing.config import Settings
from indexing.document import Block, Extraction
from indexing.errors import InputError, SangkienError, TooLargeError
from indexing.extract.common import check_deadline
from indexing.text import BULLET, SENTENCE_END, STEP_LINE, STRONG_NUMBERING, WEAK_NUMBERING, all_caps

PAGE_NUMBER_RE = re.compile(
    r"^\s*(?:(?:trang|page)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?\s*(?:/\s*\d{1,4})?\s*$", re.IGNORECASE
)


@dataclass
class _Line:
    text: str
    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    first_word: float  # width of the first word: would it have fitted at the end of the line above?
    table: bool = False  # one row of a ruled table, cells joined by " | "


def extract_pdf(path: Path, settings: Settings, deadline: float | None = None) -> Extraction:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    pages: list[list[_Line]] = []
    heights: list[float] = []
    try:
        # The page tree's declared /Count first: listing the pages of a huge file (which pdfplumber
        # does even to close it) takes seconds by itself.
        declared = _declared_page_count(path)
        if declared > settings.max_pages:
            raise TooLargeError(f"Tệp PDF có {declared} trang, vượt quá giới hạn {settings.max_pages} trang.")
        with pdfplumber.open(path) as pdf:
            page_count = len(pdf.pages)
            if page_count > settings.max_pages:
                raise TooLargeError(
                    f"Tệp PDF có {page_count} trang, vượt quá giới hạn {settings.max_pages} trang."
                )
            for number, page in enumerate(pdf.pages, start=1):
                check_deadline(deadline, settings)
                pages.append(_pdf_lines(page, number))
                heights.append(float(page.height))
                page.close()  # frees the page's cached layout objects; long reports otherwise pile up
    except SangkienError:
        raise
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise InputError(
                "Tệp PDF được đặt mật khẩu hoặc mã hóa nên không đọc được. "
                "Hãy gỡ mật khẩu (hoặc xuất lại tệp PDF không mã hóa) rồi gửi lại."
            ) from exc
        raise _corrupt_pdf(exc) from exc
    except Exception as exc:  # pdfminer raises many unrelated types on malformed input
        raise _corrupt_pdf(exc) from exc

    if page_count == 0:
        raise _corrupt_pdf(None)
    empty = [number for number, lines in enumerate(pages, start=1) if not lines]
    if len(empty) == page_count:
        raise InputError(
            "Tệp PDF không có lớp văn bản ở bất kỳ trang nào (có thể là bản scan). "
            "Cần nhận dạng ký tự (OCR) trước, hoặc gửi tệp DOCX / PDF xuất trực tiếp từ Word."
        )
    warnings = []
    if empty:
        label = "Trang" if len(empty) == 1 else "Các trang"
        warnings.append(
            f"{label} {', '.join(map(str, empty))} không có lớp văn bản (có thể là bản scan); "
            "cần nhận dạng ký tự (OCR) để đọc các trang này."
        )
    lines = _drop_running_lines(pages, heights)
    text = " ".join(line.text for line in lines)
    if text.count("(cid:") > max(3, len(text) // 200):
        warnings.append(
            "Một số phông chữ trong tệp PDF không giải mã được thành ký tự (hiện dạng “(cid:…)”); "
            "nội dung trích xuất có thể thiếu hoặc sai. Nên gửi bản DOCX nếu có."
        )
    return Extraction(blocks=_assemble_pdf_blocks(lines), format="pdf", warnings=warnings)


def _declared_page_count(path: Path) -> int:
    """/Count of the root page tree node; 0 when missing or unreadable (damaged, encrypted: pdfplumber
    then reports the problem properly)."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    try:
        with path.open("rb") as handle:
            count = resolve1(resolve1(PDFDocument(PDFParser(handle)).catalog["Pages"])["Count"])
    except Exception:
        return 0
    return count if isinstance(count, int) else 0


def _corrupt_pdf(exc: Exception | None) -> InputError:
    return InputError(
        "Tệp PDF bị hỏng hoặc không đầy đủ (có thể tải lên bị gián đoạn) nên không đọc được. "
        "Hãy mở thử tệp trên máy, xuất lại PDF rồi gửi lại.",
        detail=repr(exc) if exc else None,
    )


def _pdf_lines(page, number: int) -> list[_Line]:
    tables = _table_rows(page, number)
    boxes = [box for box, _ in tables]
    lines = []
    for raw in page.extract_text_lines(strip=True, return_chars=True):
        chars = [char for char in raw["chars"] if char["text"].strip()]
        if not raw["text"].strip() or not chars:
            continue
        middle = (float(raw["top"]) + float(raw["bottom"])) / 2
        if any(x0 <= raw["x0"] + 1 and raw["x1"] - 1 <= x1 and top <= middle <= bottom
               for x0, top, x1, bottom in boxes):
            continue  # read with its table below
        lines.append(
            _Line(
                text=raw["text"].strip(),
                page=number,
                x0=float(raw["x0"]),
                x1=float(raw["x1"]),
                top=float(raw["top"]),
                bottom=float(raw["bottom"]),
                size=statistics.median(float(char["size"]) for char in chars),
                bold=all("bold" in str(char.get("fontname", "")).lower() for char in chars),
                first_word=_first_word_width(chars),
            )
        )
    if tables:
        lines.extend(row for _, rows in tables for row in rows)
        lines.sort(key=lambda line: line.top)
    return lines


def _table_rows(page, number: int) -> list[tuple[tuple[float, float, float, float], list[_Line]]]:
    """Ruled tables of a page (grid lines drawn around the cells) and their rows as table lines; a page
    without any drawn lines or rectangles has none and costs nothing. A one-column table is a frame
    around text (a boxed title or form), not a table: its lines are read as ordinary lines."""
    if not (page.lines or page.rects):
        return []
    found = []
    for table in page.find_tables():
        cells = table.extract()
        if not cells or max(len(row) for row in cells) < 2:
            continue
        rows = []
        for row, values in zip(table.rows, cells):
            texts = [" ".join(value.split()) for value in values if value and value.strip()]
            if texts:
                x0, top, x1, bottom = row.bbox
                rows.append(_Line(" | ".join(texts), number, float(x0), float(x1), float(top), float(bottom),
                                  0.0, False, 0.0, table=True))
        found.append((tuple(float(v) for v in table.bbox), rows))
    return found


def _first_word_width(chars: list[dict]) -> float:
    end = chars[0]["x1"]
    for before, char in zip(chars, chars[1:]):
        if char["x0"] - before["x1"] > 0.2 * float(char["size"]):
            break
        end = char["x1"]
    return float(end - chars[0]["x0"])


def _drop_running_lines(pages: list[list[_Line]], heights: list[float]) -> list[_Line]:
    """Remove page headers/footers: lines in the top or bottom band of the page that recur (digits
    ignored, so "Trang 3/12" matches "Trang 4/12") on most pages, and bare page numbers."""

    def band(line: _Line, height: float) -> str | None:
        if line.bottom <= height * 0.15:
            return "top"
        if line.top >= height * 0.85:
            return "bottom"
        return None

    def key(line: _Line, height: float) -> tuple | None:
        where = band(line, height)
        return (where, re.sub(r"\d+", "#", line.text.lower())) if where else None

    def edges(lines: list[_Line]) -> list[_Line]:
        lines = [line for line in lines if not line.table]  # a table's header row repeats, and stays
        return lines[:2] + lines[2:][-2:]

    text_pages = [index for index, lines in enumerate(pages) if lines]
    seen: dict[tuple, set[int]] = defaultdict(set)
    for index in text_pages:
        for line in edges(pages[index]):
            if (k := key(line, heights[index])) is not None:
                seen[k].add(index)
    threshold = max(2, len(text_pages) / 2)
    running = {k for k, where in seen.items() if len(where) >= threshold}

    kept = []
    for index, lines in enumerate(pages):
        drop = set()
        for line in edges(lines):
            k = key(line, heights[index])
            if k is not None and (k in running or PAGE_NUMBER_RE.match(line.text)):
                drop.add(id(line))
        kept.extend(line for line in lines if id(line) not in drop)
    return kept


def _ends_sentence(text: str) -> bool:
    return text.rstrip("\"'”)»").endswith(SENTENCE_END)


def _is_upper_line(text: str) -> bool:
    """An upper-case title line; single acronyms ("UBND", "HIS).") do not count."""
    return len(text.split()) >= 2 and all_caps(text, min_letters=5)


def _assemble_pdf_blocks(lines: list[_Line]) -> list[Block]:
    """Re-join hard-wrapped visual lines into paragraphs; headings and list items keep their own block."""
    if not lines:
        return []
    text_lines = [line for line in lines if not line.table] or lines
    body_size = Counter(round(line.size) for line in text_lines).most_common(1)[0][0]
    right = sorted(line.x1 for line in text_lines)[int(len(text_lines) * 0.98)]
    pitches: dict[int, list[int]] = defaultdict(list)  # line pitch seen between lines of each font size
    for a, b in zip(lines, lines[1:]):
        if a.page == b.page and not (a.table or b.table) and round(a.size) == round(b.size) and b.top > a.top:
            pitches[round(a.size)].append(round(b.top - a.top))
    pitch = Counter(pitches[body_size]).most_common(1)[0][0] if pitches[body_size] else body_size * 1.2

    def leading(size: float) -> float:
        """The line pitch of a paragraph in this font size: the body's, or for a heading font the
        smallest pitch seen in that size (the lines of a wrapped heading), else the body's scaled."""
        if round(size) == body_size:
            return pitch
        seen = min(pitches[round(size)], default=0)
        return seen if seen >= size else pitch * size / body_size

    def marked(line: _Line) -> bool:
        """Numbering, a bullet or a table row always opens a new block (so does a change of font
        size, see `continues`; the lines of a heading wrapped in its bigger font stay together)."""
        text = line.text
        return bool(
            line.table or BULLET.match(text) or STEP_LINE.match(text) or STRONG_NUMBERING.match(text)
            or WEAK_NUMBERING.match(text)
        )

    def spaced_or_indented(prev: _Line, line: _Line) -> bool:
        return line.top - prev.top > leading(line.size) * 1.25 + 1 or line.x0 > prev.x0 + 8

    # Does this document mark paragraphs by spacing or first-line indents? Then a wrapped line that ends
    # a sentence but shows neither mark is still inside its paragraph; without such marks, the sentence
    # end is the only clue left.
    boundaries = [
        (a, b) for a, b in zip(lines, lines[1:])
        if a.page == b.page and _ends_sentence(a.text) and b.text[:1].isupper()
        and not (marked(b) or a.table or a.bold or b.bold or round(b.size) != body_size)
    ]
    marks = sum(spaced_or_indented(a, b) for a, b in boundaries)
    layout_marks = bool(boundaries) and marks >= 0.3 * len(boundaries)

    def continues(prev: _Line, line: _Line, first: _Line) -> bool:
        if marked(line) or prev.table or line.bold != prev.bold or abs(line.size - prev.size) > 0.5:
            return False
        same_page = line.page == prev.page
        # Wrapped lines of a list item hang to the right of its bullet, like a first-line indent would.
        if same_page and spaced_or_indented(prev, line) and not (first is prev and BULLET.match(first.text)
                                                                and line.top - prev.top <= pitch * 1.25 + 1):
            return False
        wrapped = prev.x1 + body_size * 0.25 + line.first_word > right - 1
        upper_prev = _is_upper_line(prev.text)
        upper_line = all_caps(line.text) if upper_prev else _is_upper_line(line.text)
        if upper_prev != upper_line and (upper_prev or not wrapped or _ends_sentence(prev.text)):
            return False  # an upper-case heading line next to ordinary text
        if wrapped:
            # A full justified line is a wrap even after a full stop; so is any wrap in a document that
            # marks its paragraphs. Otherwise (and across pages) a sentence end before a capital ends it.
            if same_page and (layout_marks or abs(prev.x1 - right) < 2):
                return True
            return not (_ends_sentence(prev.text) and line.text[0].isupper())
        return not _ends_sentence(prev.text) and line.text[0].islower() and not prev.bold

    groups: list[list[_Line]] = [[lines[0]]]
    header = lines[0].text if lines[0].table else None  # first row of the table being read
    for line in lines[1:]:
        group = groups[-1]
        if line.table:
            if group[-1].table and line.page != group[-1].page and line.text == header:
                continue  # the header row repeated where the table goes on over a page break
            if not group[-1].table:
                header = line.text
        if continues(group[-1], line, group[0]):
            group.append(line)
        else:
            groups.append([line])
    return [_pdf_block(group, body_size) for group in groups]


def _pdf_block(group: list[_Line], body_size: float) -> Block:
    first = group[0]
    if first.table:
        return Block(first.text, kind="table_row", page=first.page)
    text = " ".join(line.text for line in group)
    bold = all(line.bold for line in group)
    short = len(text.split()) <= 15 and not text.rstrip().endswith((".", ";", ","))
    if bullet := BULLET.match(text):
        return Block(text[bullet.end():], kind="list_item", bold=bold, page=first.page)
    if STEP_LINE.match(text):  # "Bước 2. ..." opens its own block, a paragraph as authors type it
        return Block(text, bold=bold, page=first.page)
    heading = (
        (STRONG_NUMBERING.match(text) and len(text.split()) <= 30)
        or (WEAK_NUMBERING.match(text) and (bold or short))
        or (short and (bold or _is_upper_line(text) or first.size >= body_size * 1.15))
    )
    if heading:
        return Block(text, kind="heading", bold=bold, page=first.page)
    if WEAK_NUMBERING.match(text):
        return Block(text, kind="list_item", bold=bold, page=first.page)
    return Block(text, bold=bold, page=first.page)
