"""DOCX (python-docx over the raw XML): paragraphs, heading styles and outline levels, lists,
tables, content controls and text boxes; zip bombs and XML entities refused before parsing."""
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
        elif (bullet := BULLET.match(text)) and bullet.end() < len(text):
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
