"""DOCX (python-docx over the raw XML): paragraphs, heading styles and outline levels, lists and
the labels of Word's automatic numbering ("a)", "2.1.", "II."), tables, content controls and text
boxes; zip bombs and XML entities refused before parsing."""
from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from indexing.config import Settings
from indexing.document import Block, Extraction
from indexing.errors import InputError, SangkienError, UnsupportedFormatError
from indexing.extract.common import ACCEPTED_TYPES, MB
from indexing.text import BULLET


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


def extract_docx(path: Path, settings: Settings, fmt: str = "docx") -> Extraction:
    import docx

    check_docx_zip(path, settings)
    try:
        document = docx.Document(str(path))
        blocks = list(_story_blocks(document.element.body, document.part, _Numbering(document.part)))
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


def _story_blocks(container, part, numbering: _Numbering):
    """Blocks of a body, table cell, content control or text box, in document order."""
    p, tbl, sdt, content = _qn("w:p"), _qn("w:tbl"), _qn("w:sdt"), _qn("w:sdtContent")
    for child in container.iterchildren():
        if child.tag == p:
            yield from _paragraph_blocks(child, part, numbering)
        elif child.tag == tbl:
            yield from _table_blocks(child, part, numbering)
        elif child.tag == sdt:
            for inner in child.iterchildren(content):
                yield from _story_blocks(inner, part, numbering)


def _outside(element, root, fences: set[str]) -> bool:
    node = element.getparent()
    while node is not None and node is not root:
        if node.tag in fences:
            return False
        node = node.getparent()
    return True


def _paragraph_blocks(p_element, part, numbering: _Numbering):
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
    # The label Word draws in front of an automatically numbered paragraph is not in its text, but it
    # is what the reader sees and what the other formats keep ("a) Về phía học sinh", "2.1. ...").
    # Counted for every numbered paragraph, empty ones included, as Word counts them.
    label = numbering.label(paragraph)
    if label and text:
        text = f"{label} {text}"
    if text:
        level = _heading_level(paragraph)
        texted = [Run(run, paragraph) for run in runs if "".join(run.itertext()).strip()]
        bold = bool(texted) and all(_run_bold(run, paragraph) for run in texted)
        if level is not None:
            yield Block(text, kind="heading", heading_level=level, bold=bold)
        elif (bullet := BULLET.match(text)) and bullet.end() < len(text):
            # Bullets typed by hand ("- ", "+ ") are as common as Word's own lists.
            yield Block(text[bullet.end():], kind="list_item", bold=bold)
        elif _is_list(paragraph):
            yield Block(text, kind="list_item", bold=bold)
        else:
            yield Block(text, bold=bold)
    for box in p_element.iter(_qn("w:txbxContent")):
        if _outside(box, p_element, fences):
            yield from _story_blocks(box, part, numbering)


class _Numbering:
    """Word's automatic numbering (numbering.xml): the label each numbered paragraph shows, counted in
    document order as Word counts: per abstract list, so that list instances (w:num) sharing one go on
    counting, an instance with a start override restarting it where it is first used, deeper levels
    restarting when a higher one moves on. Bullets and formats without a visible number give no
    label; so does anything this reader does not follow (list styles linked by name), rather than a
    wrong number."""

    def __init__(self, part):
        self.levels: dict[str, dict[int, list]] = {}  # numId -> ilvl -> [format, lvlText, start, pStyle]
        self.abstract_of: dict[str, str | None] = {}  # numId -> abstractNumId
        self.restarts: dict[str, dict[int, int]] = {}  # numId -> ilvl -> start override
        self.counters: dict[str | None, dict[int, int]] = {}  # abstractNumId -> ilvl -> last number
        self.seen: set[str] = set()
        try:
            root = part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return  # no numbering part
        abstract = {}
        for definition in root.iterchildren(_qn("w:abstractNum")):
            abstract[definition.get(_qn("w:abstractNumId"))] = {
                level: values for level, values in map(self._level, definition.iterchildren(_qn("w:lvl")))
            }
        for num in root.iterchildren(_qn("w:num")):
            num_id, abstract_id = num.get(_qn("w:numId")), _attr(num, "w:abstractNumId")
            levels = {k: list(v) for k, v in abstract.get(abstract_id, {}).items()}
            for override in num.iterchildren(_qn("w:lvlOverride")):
                ilvl = _int(override.get(_qn("w:ilvl")), 0)
                for lvl in override.iterchildren(_qn("w:lvl")):
                    levels[ilvl] = self._level(lvl)[1]
                if (start := _attr(override, "w:startOverride")) is not None and ilvl in levels:
                    levels[ilvl][2] = _int(start, 1)
                    self.restarts.setdefault(num_id, {})[ilvl] = levels[ilvl][2]
            self.levels[num_id] = levels
            self.abstract_of[num_id] = abstract_id

    @staticmethod
    def _level(lvl) -> tuple[int, list]:
        return _int(lvl.get(_qn("w:ilvl")), 0), [
            _attr(lvl, "w:numFmt") or "decimal", _attr(lvl, "w:lvlText"), _int(_attr(lvl, "w:start"), 1),
            _attr(lvl, "w:pStyle"),  # a heading style bound to this level of a multi-level list
        ]

    def label(self, paragraph) -> str | None:
        if not self.levels:
            return None
        num_id, ilvl, style_ids = None, None, []
        for style, pr in [(None, paragraph._p.pPr)] + [(s, s.element.pPr) for s in _style_chain(paragraph.style)]:
            if style is not None:
                style_ids.append(style.style_id)
            num_pr = pr.numPr if pr is not None else None
            if num_pr is None:
                continue
            if num_id is None and num_pr.numId is not None:
                num_id = str(num_pr.numId.val)
            if ilvl is None and num_pr.ilvl is not None:
                ilvl = num_pr.ilvl.val
            if num_id is not None and ilvl is not None:
                break
        levels = self.levels.get(num_id) if num_id not in (None, "0") else None
        if not levels:
            return None
        if ilvl is None:  # numbered through its style: the level that names the style, else the first
            ilvl = next((k for k, v in sorted(levels.items()) if v[3] and v[3] in style_ids), 0)
        if ilvl not in levels:
            return None
        counters = self.counters.setdefault(self.abstract_of.get(num_id), {})
        if num_id not in self.seen:
            self.seen.add(num_id)
            for level, start in sorted(self.restarts.get(num_id, {}).items()):
                counters[level] = start - 1
                for deeper in [k for k in counters if k > level]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        fmt, template = levels[ilvl][:2]
        if template is None or fmt in ("bullet", "none"):
            return None

        def number(match: re.Match) -> str:
            k = int(match.group(1)) - 1
            if k not in levels:
                return ""
            return _format_number(counters.get(k, levels[k][2]), levels[k][0])

        label = re.sub(r"%([1-9])", number, template).strip()
        return label if any(ch.isalnum() for ch in label) else None


def _attr(element, tag: str) -> str | None:
    child = element.find(_qn(tag))
    return child.get(_qn("w:val")) if child is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        # Word's letters: a..z, then aa..zz, ...; Vietnamese authors see "d)" where they would type "d)".
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 0 < n < 4000:
        roman = _roman(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _roman(n: int) -> str:
    out = []
    for value, digits in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                          (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(digits)
            n -= value
    return "".join(out)


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


def _table_blocks(tbl_element, part, numbering: _Numbering):
    """One table_row block per row, cells joined by " | ", merged cells read once. A one-column table
    is page layout (a framed form, a boxed title), so its cells yield their own blocks instead."""
    from docx.table import Table

    table = Table(tbl_element, part)
    layout = all(len(row._tr.tc_lst) <= 1 for row in table.rows)
    for row in table.rows:
        cells = [tc for tc in row._tr.tc_lst if tc.vMerge != "continue"]
        if layout:
            for tc in cells:
                yield from _story_blocks(tc, part, numbering)
            continue
        texts = [" ".join(block.text for block in _story_blocks(tc, part, numbering)) for tc in cells]
        texts = [text for text in texts if text]
        if texts:
            yield Block(" | ".join(texts), kind="table_row")
