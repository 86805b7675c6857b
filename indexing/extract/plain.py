"""Plain text and Markdown: decoding (BOMs, UTF-16, legacy 8-bit encodings), YAML front matter,
Markdown blocks, hard-wrapped text lines."""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from indexing.config import Settings
from indexing.document import Block, Extraction
from indexing.errors import InputError
from indexing.extract.common import utf16_without_bom
from indexing.legacy import LegacyTables, load_legacy_tables
from indexing.text import BULLET, LETTER_ITEM, SENTENCE_END, STEP, STRONG_NUMBERING, WEAK_NUMBERING


def decode_text(data: bytes, legacy: LegacyTables) -> tuple[str, list[str]]:
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
    utf16 = utf16_without_bom(data)
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
    if legacy.detect(latin):
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


def extract_text(path: Path, kind: str, settings: Settings) -> Extraction:
    text, warnings = decode_text(path.read_bytes(), load_legacy_tables(settings.lexicons_dir))
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


def parse_plain_text(text: str) -> list[Block]:
    """One block per line, except that a line starting in lower case continues a previous line that
    does not end a sentence (a hard-wrapped paragraph). Bulleted lines become list items; tab-separated
    lines (a table saved as text) table rows. Plain text has no bold, so a heading is told by its form
    alone (see `_typed_heading`)."""
    blocks: list[Block] = []
    after_blank: list[bool] = []  # a blank line came before the block
    previous_open = False  # the last line may continue on the next one
    blank = True
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            previous_open = False
            blank = True
            continue
        # A tab after the first text (not an indent) separates table cells, some of which may be empty,
        # except after a list number or a label ("1.<tab>Lý do chọn đề tài", "Tác giả:<tab>Lê Văn A").
        row = "\t" in raw.strip(" \r\n\f\v").lstrip("\t")
        cells = [" ".join(cell.split()) for cell in line.split("\t") if cell.strip()]
        if row and (_LIST_MARK.match(cells[0]) or cells[0].endswith(":")):
            line = " ".join(cells)
        elif row:
            blocks.append(Block(" | ".join(cells), kind="table_row"))
            after_blank.append(blank)
            blank = previous_open = False
            continue
        bullet = BULLET.match(line)
        if bullet and bullet.end() < len(line):
            blocks.append(Block(line[bullet.end():], kind="list_item"))
        elif previous_open and line[0].islower() and not LETTER_ITEM.match(line):
            blocks[-1].text += " " + line
            continue
        else:
            blocks.append(Block(line))
        after_blank.append(blank)
        blank = False
        previous_open = not blocks[-1].text.endswith(SENTENCE_END)
    for i, block in enumerate(blocks):
        if _typed_heading(blocks, i, after_blank[i]):
            block.kind = "heading"
    return blocks


_SHORT_LINE = 12  # words
_LIST_MARK = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]|[IVXivx]{1,5}[.)]|[a-zđA-Z][.)]|[-–•*+·o\uf0b7\uf0a7])$")
# Captions and labels that look like headings but belong to the text around them.
_CAPTION = re.compile(r"^(?:Bảng|Hình|Biểu đồ|Sơ đồ|Ảnh|Phụ lục|Mẫu|Nguồn)\s*(?:số\s*)?[\dIVX]", re.IGNORECASE)
_MIXED = re.compile(r"\d.*[^\W\d_]|[^\W\d_].*\d")  # "CLO1", "COVID-19", "5W": codes, not heading words
_DATE = re.compile(r"\bngày\b.*\btháng\b.*\bnăm\b", re.IGNORECASE)


def _heading_shaped(text: str) -> bool:
    """Two to twelve words of text (no figures, labels or formulas), starting with a capital, without
    sentence punctuation at the end or numbering of its own (numbered lines are headings by their form
    already)."""
    words = text.split()
    return (
        2 <= len(words) <= _SHORT_LINE and text[0].isupper() and not text.endswith((".", ",", ";", "!", "?", "…"))
        and not any(mark in text for mark in ":=|") and not any(_MIXED.search(word) for word in words)
        and not WEAK_NUMBERING.match(text) and not STRONG_NUMBERING.match(text) and not LETTER_ITEM.match(text)
        and not STEP.match(text) and not _CAPTION.match(text) and not _DATE.search(text)
    )


def _typed_heading(blocks: list[Block], i: int, after_blank: bool) -> bool:
    """A heading typed as a line of its own ("Hiệu quả kinh tế", "Thuận lợi", "DANH MỤC TỪ VIẾT TẮT"):
    what bold or a heading style says in the other formats. Short, unpunctuated and unnumbered, where
    a paragraph could start (after a blank line, a finished sentence or another short line) and
    followed by body text (a list, a table or a paragraph that ends its sentence), not by another short
    line as in a signature block, an address or a table saved cell by cell."""
    block = blocks[i]
    if block.kind != "paragraph" or not _heading_shaped(block.text) or i + 1 >= len(blocks):
        return False
    if i and not after_blank:
        before = blocks[i - 1].text
        if not (blocks[i - 1].kind != "paragraph" or before.endswith(SENTENCE_END)
                or len(before.split()) <= _SHORT_LINE):
            return False  # inside a hard-wrapped paragraph
    after = blocks[i + 1]
    if after.text[:1].islower():
        return False  # the sentence goes on: "Kết quả rất khả quan" / "nhưng còn hạn chế."
    if after.kind != "paragraph":
        return True
    return len(after.text.split()) > 3 and after.text.endswith(SENTENCE_END)
