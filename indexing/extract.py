"""File -> Extraction: ordered blocks (headings, paragraphs, list items, table rows) from PDF, DOCX, DOC, TXT, MD.

The format is decided by the file's content first and its extension second, so a renamed file is read
for what it is. Text is returned as decoded; Unicode normalisation happens later (indexing/normalize.py).
"""
from __future__ import annotations

import codecs
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from indexing.config import Settings, get_settings
from indexing.document import Block, Extraction
from indexing.errors import InputError, MissingToolError, SangkienError, TooLargeError, UnsupportedFormatError
from indexing.normalize import detect_legacy_encoding

MB = 1024 * 1024
ACCEPTED_TYPES = "PDF, DOCX, DOC, TXT, MD"
TEXT_SUFFIXES = {"", ".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SOFFICE_TIMEOUT_S = 120

# Bullet glyphs as they come out of Word, PDF (incl. Symbol/Wingdings private-use code points and
# unmapped "(cid:n)" glyphs) and plain text.
BULLET_RE = re.compile(
    r"^\s*(?:[-–—•●○◦▪■□♦❖➢➤►✓✔·*+\uf0a7\uf0b7\uf0d8\uf076\uf0fc\uf0e0]|\(cid:\d+\))(?!\d)\s*"
)
STEP_RE = re.compile(r"^\s*Bước\s+\d+\s*[.:)]", re.IGNORECASE)
# "PHẦN I.", "CHƯƠNG 2", "MỤC 3", "II.", "1.1.", "2.3.1" — unambiguous section numbering (but not
# "2.250", a Vietnamese thousands separator).
STRONG_HEADING_RE = re.compile(
    r"^\s*(?:(?:PHẦN|Phần|CHƯƠNG|Chương|MỤC|Mục)\s+(?:[IVXLC]+|\d+)\b|[IVXLC]+[.)]\s|\d{1,2}(?:\.\d{1,2})+\.?\s)"
)
# "1.", "a)" open a heading or a numbered list item; which one depends on length and style.
WEAK_NUMBER_RE = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-zđ][.)])\s", re.IGNORECASE)
PAGE_NUMBER_RE = re.compile(
    r"^\s*(?:(?:trang|page)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?\s*(?:/\s*\d{1,4})?\s*$", re.IGNORECASE
)
SENTENCE_END = tuple(".!?:;…")


def extract(path: Path, *, settings: Settings | None = None, deadline: float | None = None) -> Extraction:
    """`deadline` (a `time.monotonic()` value) bounds the slow part, reading PDF pages one by one."""
    settings = settings or get_settings()
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
        extraction = _extract_pdf(path, settings, deadline)
    elif kind == "docx":
        extraction = _extract_docx(path, settings)
    elif kind == "doc":
        extraction = _extract_doc(path, settings)
    else:
        extraction = _extract_text(path, kind, settings)

    if not extraction.blocks:
        raise InputError("Không tìm thấy nội dung văn bản nào trong tệp.")
    total = sum(len(block.text) for block in extraction.blocks)
    if total > settings.max_chars:
        raise TooLargeError(
            f"Văn bản quá dài ({total:,} ký tự); giới hạn là {settings.max_chars:,} ký tự.".replace(",", ".")
        )
    return extraction


def check_deadline(deadline: float | None, settings: Settings) -> None:
    """Raise TooLargeError once `deadline` (a `time.monotonic()` value) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise TooLargeError(
            f"Xử lý tệp vượt quá thời gian cho phép ({settings.max_seconds_per_document:g} giây): tệp quá dài "
            "hoặc quá phức tạp. Hãy chia nhỏ tệp, hoặc gửi bản DOCX thay cho PDF."
        )


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
    if _utf16_without_bom(head):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\v\x1a")
    return controls <= len(head) * 0.02


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    if sample[1::2].count(0) > 0.4 * (len(sample) // 2):
        return "utf-16-le"
    if sample[0::2].count(0) > 0.4 * (len(sample) // 2):
        return "utf-16-be"
    return None


# --------------------------------------------------------------------------------------------- text


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """Bytes -> text, never failing; a warning says when the encoding had to be guessed."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), []
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), []
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for char in lenient if ord(char) > 127) - bad
    # A few stray bytes in an otherwise UTF-8 file: keep UTF-8 rather than mangle every accented letter.
    if good >= 4 * bad:
        return lenient, [
            f"Tệp có {bad} byte không hợp lệ theo bảng mã UTF-8; các ký tự này đã được thay bằng “\ufffd”."
        ]
    # TCVN3 / VNI files are 8-bit text meant to be read as Latin-1 (the legacy font draws the letters);
    # read as Windows-1258, some of their letters become combining marks and cannot be converted back.
    # The normaliser converts them and says so.
    latin = data.decode("latin-1")
    if detect_legacy_encoding(latin):
        return latin, []
    try:
        return data.decode("cp1258"), [
            "Tệp không dùng bảng mã UTF-8; đã đọc theo bảng mã Windows-1258. "
            "Hãy kiểm tra lại dấu tiếng Việt hoặc lưu tệp dưới dạng UTF-8 rồi gửi lại."
        ]
    except UnicodeDecodeError:
        return data.decode("latin-1"), [
            "Không xác định được bảng mã của tệp; đã đọc theo Latin-1 nên dấu tiếng Việt có thể bị sai. "
            "Hãy lưu tệp dưới dạng UTF-8 rồi gửi lại."
        ]


def _extract_text(path: Path, kind: str, settings: Settings) -> Extraction:
    text, warnings = decode_text(path.read_bytes())
    if not text.strip():
        raise InputError("Tệp rỗng: tệp chỉ chứa khoảng trắng, không có nội dung để xem xét.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    metadata: dict = {}
    if kind == "md":
        text, metadata, fm_warnings = split_front_matter(text)
        warnings += fm_warnings
        blocks = parse_markdown(text)
    else:
        blocks = parse_plain_text(text)
    return Extraction(blocks=blocks, format=kind, warnings=warnings, metadata=metadata)


FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def split_front_matter(text: str) -> tuple[str, dict, list[str]]:
    import yaml

    match = FRONT_MATTER_RE.match(text)
    if not match:
        return text, {}, []
    rest = text[match.end():]
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return rest, {}, ["Phần thông tin đầu tệp (YAML front matter) không hợp lệ nên đã được bỏ qua."]
    if not isinstance(data, dict):
        return rest, {}, [
            "Phần thông tin đầu tệp (YAML front matter) không phải dạng khóa: giá trị nên đã được bỏ qua."
        ]
    return rest, {str(key): value for key, value in data.items()}, []


MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MD_BOLD_LINE_RE = re.compile(r"^(\*\*|__)(.+?)\1\s*$")
MD_LIST_RE = re.compile(r"^\s*[-*+]\s+(.*)$")
MD_TABLE_SEPARATOR_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
MD_INLINE_BOLD_RE = re.compile(r"(\*\*|__)(.+?)\1")


def parse_markdown(text: str) -> list[Block]:
    """Headings, bold lines, list items, table rows; other consecutive lines form one paragraph,
    as Markdown renders them."""
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(MD_INLINE_BOLD_RE.sub(r"\2", " ".join(paragraph))))
            paragraph.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        if heading := MD_HEADING_RE.match(line):
            flush()
            text = MD_INLINE_BOLD_RE.sub(r"\2", heading.group(2))
            blocks.append(Block(text, kind="heading", heading_level=len(heading.group(1))))
        elif bold := MD_BOLD_LINE_RE.match(line):
            flush()
            blocks.append(Block(bold.group(2).strip(), bold=True))
        elif item := MD_LIST_RE.match(raw):
            flush()
            blocks.append(Block(MD_INLINE_BOLD_RE.sub(r"\2", item.group(1).strip()), kind="list_item"))
        elif line.startswith("|"):
            flush()
            if not MD_TABLE_SEPARATOR_RE.match(line):
                cells = [cell.strip() for cell in line.strip("|").split("|")]
                blocks.append(Block(" | ".join(cell for cell in cells if cell), kind="table_row"))
        else:
            paragraph.append(line)
    flush()
    return [block for block in blocks if block.text]


# "a. Khái quát ...", "b) Nội dung ...": lettered sub-headings and items start a new line, never continue one.
LETTER_ITEM_RE = re.compile(r"^[a-zđ][.)]\s")


def parse_plain_text(text: str) -> list[Block]:
    """One block per line, except that a line starting in lower case continues a previous line that
    does not end a sentence (a hard-wrapped paragraph). Bulleted lines become list items."""
    blocks: list[Block] = []
    previous_open = False  # the last line may continue on the next one
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            previous_open = False
            continue
        bullet = BULLET_RE.match(line)
        if bullet and bullet.end() < len(line):
            blocks.append(Block(line[bullet.end():], kind="list_item"))
        elif previous_open and line[0].islower() and not LETTER_ITEM_RE.match(line):
            blocks[-1].text += " " + line
        else:
            blocks.append(Block(line))
        previous_open = not blocks[-1].text.endswith(SENTENCE_END)
    return blocks


# ---------------------------------------------------------------------------------------------- PDF


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


def _extract_pdf(path: Path, settings: Settings, deadline: float | None = None) -> Extraction:
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
    return Extraction(blocks=_assemble_pdf_blocks(lines), format="pdf", warnings=warnings, pages=page_count)


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
    lines = []
    for raw in page.extract_text_lines(strip=True, return_chars=True):
        chars = [char for char in raw["chars"] if char["text"].strip()]
        if not raw["text"].strip() or not chars:
            continue
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
    return lines


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


def _all_caps(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all(char.isupper() for char in letters)


def _is_upper_line(text: str) -> bool:
    """An upper-case title line; single acronyms ("UBND", "HIS).") do not count."""
    return len(text.split()) >= 2 and sum(char.isalpha() for char in text) >= 5 and _all_caps(text)


def _assemble_pdf_blocks(lines: list[_Line]) -> list[Block]:
    """Re-join hard-wrapped visual lines into paragraphs; headings and list items keep their own block."""
    if not lines:
        return []
    body_size = Counter(round(line.size) for line in lines).most_common(1)[0][0]
    right = sorted(line.x1 for line in lines)[int(len(lines) * 0.98)]
    pitches = [
        round(b.top - a.top)
        for a, b in zip(lines, lines[1:])
        if a.page == b.page and round(a.size) == round(b.size) == body_size and b.top > a.top
    ]
    pitch = Counter(pitches).most_common(1)[0][0] if pitches else body_size * 1.2

    def marked(line: _Line) -> bool:
        """Numbering, a bullet or a bigger font always opens a new block."""
        text = line.text
        return bool(
            BULLET_RE.match(text) or STEP_RE.match(text) or STRONG_HEADING_RE.match(text)
            or WEAK_NUMBER_RE.match(text) or line.size >= body_size * 1.15
        )

    def spaced_or_indented(prev: _Line, line: _Line) -> bool:
        return line.top - prev.top > pitch * 1.25 + 1 or line.x0 > prev.x0 + 8

    # Does this document mark paragraphs by spacing or first-line indents? Then a wrapped line that ends
    # a sentence but shows neither mark is still inside its paragraph; without such marks, the sentence
    # end is the only clue left.
    boundaries = [
        (a, b) for a, b in zip(lines, lines[1:])
        if a.page == b.page and _ends_sentence(a.text) and b.text[:1].isupper()
        and not (marked(b) or a.bold or b.bold)
    ]
    marks = sum(spaced_or_indented(a, b) for a, b in boundaries)
    layout_marks = bool(boundaries) and marks >= 0.3 * len(boundaries)

    def continues(prev: _Line, line: _Line, first: _Line) -> bool:
        if marked(line) or line.bold != prev.bold or abs(line.size - prev.size) > 0.5:
            return False
        same_page = line.page == prev.page
        # Wrapped lines of a list item hang to the right of its bullet, like a first-line indent would.
        if same_page and spaced_or_indented(prev, line) and not (first is prev and BULLET_RE.match(first.text)
                                                                and line.top - prev.top <= pitch * 1.25 + 1):
            return False
        wrapped = prev.x1 + body_size * 0.25 + line.first_word > right - 1
        upper_prev = _is_upper_line(prev.text)
        upper_line = _all_caps(line.text) if upper_prev else _is_upper_line(line.text)
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
    for line in lines[1:]:
        group = groups[-1]
        if continues(group[-1], line, group[0]):
            group.append(line)
        else:
            groups.append([line])
    return [_pdf_block(group, body_size) for group in groups]


def _pdf_block(group: list[_Line], body_size: float) -> Block:
    first = group[0]
    text = " ".join(line.text for line in group)
    bold = all(line.bold for line in group)
    short = len(text.split()) <= 15 and not text.rstrip().endswith((".", ";", ","))
    if bullet := BULLET_RE.match(text):
        return Block(text[bullet.end():], kind="list_item", bold=bold, page=first.page)
    if STEP_RE.match(text):
        return Block(text, kind="list_item", bold=bold, page=first.page)
    heading = (
        (STRONG_HEADING_RE.match(text) and len(text.split()) <= 30)
        or (WEAK_NUMBER_RE.match(text) and (bold or short))
        or (short and (bold or _is_upper_line(text) or first.size >= body_size * 1.15))
    )
    if heading:
        return Block(text, kind="heading", bold=bold, page=first.page)
    if WEAK_NUMBER_RE.match(text):
        return Block(text, kind="list_item", bold=bold, page=first.page)
    return Block(text, bold=bold, page=first.page)


# --------------------------------------------------------------------------------------------- DOCX


def check_docx_zip(path: Path, settings: Settings) -> None:
    """Refuse zip bombs and XML entity tricks before any XML parser sees the file. Declared sizes can
    be trusted: zipfile stops at the declared size and fails the CRC check if the entry is longer."""
    limit = settings.max_docx_uncompressed_mb * MB
    too_big = InputError(
        f"Tệp DOCX khi giải nén vượt quá giới hạn {settings.max_docx_uncompressed_mb} MB hoặc có tỉ lệ nén "
        "bất thường (nghi là tệp độc hại), nên không được xử lý."
    )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > 10_000 or sum(info.file_size for info in infos) > limit:
                raise too_big
            for info in infos:
                if info.file_size > MB and info.file_size > 200 * max(info.compress_size, 1):
                    raise too_big
            names = {info.filename for info in infos}
            if "word/document.xml" not in names:
                raise UnsupportedFormatError(
                    f"Tệp “{path.name}” là tệp nén nhưng không phải văn bản Word (.docx). "
                    f"Chỉ nhận các loại tệp: {ACCEPTED_TYPES}."
                )
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels")):
                    data = archive.read(info)
                    if re.search(rb"<!\s*(?:DOCTYPE|ENTITY)", data.replace(b"\x00", b""), re.IGNORECASE):
                        raise InputError(
                            "Tệp DOCX chứa khai báo DOCTYPE/ENTITY trong XML — không hợp lệ với tệp Word "
                            "và có thể là tệp độc hại, nên không được xử lý."
                        )
    # zlib.error: a damaged deflate stream inside an otherwise readable zip.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise InputError(
            "Tệp DOCX bị hỏng (không giải nén được) nên không đọc được. "
            "Hãy mở và lưu lại tệp bằng Word rồi gửi lại.",
            detail=repr(exc),
        ) from exc


def _extract_docx(path: Path, settings: Settings, fmt: str = "docx") -> Extraction:
    import docx

    check_docx_zip(path, settings)
    try:
        document = docx.Document(str(path))
        blocks = list(_story_blocks(document.element.body, document.part))
    except SangkienError:
        raise
    except Exception as exc:
        raise InputError(
            "Tệp DOCX bị hỏng hoặc không đúng cấu trúc văn bản Word nên không đọc được. "
            "Hãy mở và lưu lại tệp bằng Word rồi gửi lại.",
            detail=repr(exc),
        ) from exc
    metadata = {}
    properties = document.core_properties
    for key, value in (("title", properties.title), ("author", properties.author)):
        if value and value.strip():
            metadata[key] = value.strip()
    return Extraction(blocks=blocks, format=fmt, metadata=metadata)


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _story_blocks(container, part):
    """Blocks of a body, table cell, content control or text box, in document order."""
    p, tbl, sdt, content = _qn("w:p"), _qn("w:tbl"), _qn("w:sdt"), _qn("w:sdtContent")
    for child in container.iterchildren():
        if child.tag == p:
            yield from _paragraph_blocks(child, part)
        elif child.tag == tbl:
            yield from _table_blocks(child, part)
        elif child.tag == sdt:
            for inner in child.iterchildren(content):
                yield from _story_blocks(inner, part)


def _outside(element, root, fences: set[str]) -> bool:
    node = element.getparent()
    while node is not None and node is not root:
        if node.tag in fences:
            return False
        node = node.getparent()
    return True


def _paragraph_blocks(p_element, part):
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    # Text boxes become blocks of their own; the "Fallback" copy of a drawing duplicates its text box.
    fences = {_qn("w:txbxContent"), "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}
    pieces, runs = [], []
    t, tab, br, cr, r = _qn("w:t"), _qn("w:tab"), _qn("w:br"), _qn("w:cr"), _qn("w:r")
    # Walking w:t directly keeps tracked insertions, hyperlinks and fields, while deleted text (w:delText)
    # and field codes (w:instrText) stay out.
    for element in p_element.iter(t, tab, br, cr, r):
        if not _outside(element, p_element, fences):
            continue
        if element.tag == r:
            runs.append(element)
        elif element.tag == t:
            pieces.append(element.text or "")
        else:
            pieces.append(" ")
    text = " ".join("".join(pieces).split())

    paragraph = Paragraph(p_element, part)
    if text:
        level = _heading_level(paragraph)
        texted = [Run(run, paragraph) for run in runs if "".join(run.itertext()).strip()]
        bold = bool(texted) and all(_run_bold(run, paragraph) for run in texted)
        if level is not None:
            yield Block(text, kind="heading", heading_level=level, bold=bold)
        elif (bullet := BULLET_RE.match(text)) and bullet.end() < len(text):
            # Bullets typed by hand ("- ", "+ ") are as common as Word's own lists.
            yield Block(text[bullet.end():], kind="list_item", bold=bold)
        elif _is_list(paragraph):
            yield Block(text, kind="list_item", bold=bold)
        else:
            yield Block(text, bold=bold)
    for box in p_element.iter(_qn("w:txbxContent")):
        if _outside(box, p_element, fences):
            yield from _story_blocks(box, part)


def _style_chain(style):
    while style is not None:
        yield style
        style = style.base_style


HEADING_STYLE_RE = re.compile(r"^(?:heading|tiêu đề|đầu đề|titre|überschrift|encabezado)\s*(\d)$", re.IGNORECASE)
TITLE_STYLE_NAMES = {"title", "tiêu đề", "tựa đề"}


def _heading_level(paragraph) -> int | None:
    """Heading n -> n, Title -> 0; an explicit outline level (custom heading styles) counts too."""
    outline = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    for style in _style_chain(paragraph.style):
        name = (style.name or "").strip()
        if match := HEADING_STYLE_RE.match(name):
            return int(match.group(1))
        if name.lower() in TITLE_STYLE_NAMES:
            return 0
        if not outline:
            outline = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
    if outline and outline[0].isdigit() and int(outline[0]) < 9:  # 9 means "body text"
        return int(outline[0]) + 1
    return None


def _is_list(paragraph) -> bool:
    if paragraph._p.xpath("./w:pPr/w:numPr"):
        return True
    return any(
        (style.name or "").lower().startswith(("list", "danh sách")) or style.element.xpath("./w:pPr/w:numPr")
        for style in _style_chain(paragraph.style)
    )


def _run_bold(run, paragraph) -> bool:
    if run.bold is not None:
        return run.bold
    for style in [*_style_chain(run.style), *_style_chain(paragraph.style)]:
        if style.font.bold is not None:
            return style.font.bold
    return False


def _table_blocks(tbl_element, part):
    """One table_row block per row, cells joined by " | ", merged cells read once. A one-column table
    is page layout (a framed form, a boxed title), so its cells yield their own blocks instead."""
    from docx.table import Table

    table = Table(tbl_element, part)
    layout = all(len(row._tr.tc_lst) <= 1 for row in table.rows)
    for row in table.rows:
        cells = [tc for tc in row._tr.tc_lst if tc.vMerge != "continue"]
        if layout:
            for tc in cells:
                yield from _story_blocks(tc, part)
            continue
        texts = [" ".join(block.text for block in _story_blocks(tc, part)) for tc in cells]
        texts = [text for text in texts if text]
        if texts:
            yield Block(" | ".join(texts), kind="table_row")


# ---------------------------------------------------------------------------------------------- DOC


def _extract_doc(path: Path, settings: Settings) -> Extraction:
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
            subprocess.run(command, capture_output=True, timeout=SOFFICE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise failed from exc
        converted = tmp_path / "out" / "input.docx"
        if not converted.is_file():
            raise failed
        return _extract_docx(converted, settings, fmt="doc")
