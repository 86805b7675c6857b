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
from indexing.text import BULLET, LETTER_ITEM, SENTENCE_END


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
    does not end a sentence (a hard-wrapped paragraph). Bulleted lines become list items."""
    blocks: list[Block] = []
    previous_open = False  # the last line may continue on the next one
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            previous_open = False
            continue
        bullet = BULLET.match(line)
        if bullet and bullet.end() < len(line):
            blocks.append(Block(line[bullet.end():], kind="list_item"))
        elif previous_open and line[0].islower() and not LETTER_ITEM.match(line):
            blocks[-1].text += " " + line
        else:
            blocks.append(Block(line))
        previous_open = not blocks[-1].text.endswith(SENTENCE_END)
    return blocks
