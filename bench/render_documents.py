"""Build real DOCX / PDF / TXT files from a short list of items (for the tests and for bench/ format checks);
`items_from_markdown` turns a Markdown body into such items, the way an author would type it in Word.

Items are tuples:
    ("heading", level, text)   a heading (DOCX "Heading n" style; bold, larger font in PDF)
    ("para", text)             a body paragraph (long ones wrap over several lines in PDF)
    ("bold", text)             a paragraph written entirely in bold
    ("list", text)             a bulleted list item
    ("table", [[cell, ...], ...])  a table (a Word table in DOCX; in PDF a ruled grid, first row bold)
    ("pagebreak",)             start a new page (PDF only)
"""
from __future__ import annotations

import io
import re
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
MD_HEADING = re.compile(r"^(#{1,6})\s+")
MD_BOLD_SPAN = re.compile(r"\*\*(.+?)\*\*")
PDF_FRAME_WIDTH = 595.2756 - 2 * 72  # A4 less SimpleDocTemplate's default side margins
PDF_HEADER = "Sở Giáo dục và Đào tạo — Hồ sơ sáng kiến năm học 2024-2025"


def items_from_markdown(body: str) -> list:
    """Markdown headings become ("heading", level, text), `**bold**` and upper-case lines bold, `|` rows
    a table, `- ` bullets stay typed by hand, everything else a plain paragraph (so "a) Mục đích"
    without bold is a plain paragraph, as authors type it)."""
    items, rows = [], []
    for raw in body.splitlines() + [""]:
        line = raw.strip()
        if line.startswith("|"):
            if not set(line) <= set("|-: "):
                rows.append([MD_BOLD_SPAN.sub(r"\1", c.strip()) for c in line.strip("|").split("|")])
            continue
        if rows:
            width = max(len(r) for r in rows)
            items.append(("table", [r + [""] * (width - len(r)) for r in rows]))
            rows = []
        if not line:
            continue
        if hashes := MD_HEADING.match(line):
            items.append(("heading", len(hashes.group().strip()),
                          MD_BOLD_SPAN.sub(r"\1", line[hashes.end():].strip().rstrip("#").strip())))
        elif line.startswith("**") and line.endswith("**") and len(line) > 4 and "**" not in line[2:-2]:
            items.append(("bold", line[2:-2].strip()))
        else:
            text = MD_BOLD_SPAN.sub(r"\1", line)
            items.append(("bold", text) if text.isupper() else ("para", text))
    return items


def plain_text(items) -> str:
    """The document as "Save as plain text" writes it: one line per paragraph, table cells tab-separated."""
    lines = []
    for item in items:
        if item[0] == "table":
            lines.extend("\t".join(row) for row in item[1])
        else:
            lines.append(item[-1])
        lines.append("")
    return "\n".join(lines)


def docx_items(items) -> list:
    """DOCX as authors type it: no heading styles, headings are bold paragraphs."""
    return [("bold", item[2]) if item[0] == "heading" else item for item in items]


AUTO_LABEL = re.compile(r"^([a-z]|\d{1,2})([.)])\s+(.+)$")
LETTER_LABEL = re.compile(r"^([a-zđ])[.)]\s")


def _typed_letter_lists(items) -> set[int]:
    """Items of the lettered lists Word cannot number: Word's letters run a, b, c, d, e, f, g, while a
    Vietnamese list goes a, b, c, d, đ, e, g; authors type such a list by hand, all of it."""
    typed, run, vietnamese = set(), [], False
    for i, item in enumerate([*items, ("para", "a) ")]):
        label = LETTER_LABEL.match(item[-1]) if item[0] in ("para", "bold") else None
        if label and label.group(1) == "a":  # a new list starts
            if vietnamese:
                typed.update(run)
            run, vietnamese = [], False
        if label:
            run.append(i)
            vietnamese |= label.group(1) == "đ"
    return typed


class _AutoNumbering:
    """What Word's AutoFormat does to "a) ..." or "1. ..." typed at the start of a paragraph: the label
    leaves the text and becomes an automatic list (numbering.xml), continued while the letters or
    numbers follow on, restarted otherwise."""

    def __init__(self, doc):
        from docx.oxml.ns import qn

        self.root = doc.part.numbering_part.element
        self.next_id = 1 + max([int(e.get(qn("w:abstractNumId"))) for e in self.root.iterchildren(qn("w:abstractNum"))]
                               + [int(e.get(qn("w:numId"))) for e in self.root.iterchildren(qn("w:num"))] + [0])
        self.lists: dict[tuple[str, str], tuple[int, int]] = {}  # (format, "." or ")") -> (numId, next value)

    def apply(self, paragraph, label: str, punct: str) -> None:
        fmt = "decimal" if label.isdigit() else "lowerLetter"
        value = int(label) if label.isdigit() else ord(label) - ord("a") + 1
        num_id, expected = self.lists.get((fmt, punct), (0, 0))
        if value != expected:
            num_id = self._new_list(fmt, punct, value)
        self.lists[(fmt, punct)] = (num_id, value + 1)
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num_id

    def _new_list(self, fmt: str, punct: str, start: int) -> int:
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls, qn

        number = self.next_id
        self.next_id += 1
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}"><w:multiLevelType w:val="singleLevel"/>'
            f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="%1{punct}"/>'
            '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>'
        )
        first_num = self.root.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            self.root.append(abstract)
        override = f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start}"/></w:lvlOverride>' if start > 1 else ""
        self.root.append(parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{number}"><w:abstractNumId w:val="{number}"/>{override}</w:num>'
        ))
        return number


def make_docx(path: Path, items, *, title: str = "", author: str = "", auto_numbering: bool = False) -> Path:
    """`auto_numbering`: paragraphs typed as "a) ..." or "1. ..." get Word's automatic numbering instead
    of the typed label, as Word's AutoFormat does while the author types."""
    from docx import Document

    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = author
    numbering = _AutoNumbering(doc) if auto_numbering else None
    typed = _typed_letter_lists(items) if auto_numbering else set()
    for index, item in enumerate(items):
        kind = item[0]
        if kind in ("para", "bold") and numbering and index not in typed and (label := AUTO_LABEL.match(item[1])):
            paragraph = doc.add_paragraph()
            paragraph.add_run(label.group(3)).bold = kind == "bold"
            numbering.apply(paragraph, label.group(1), label.group(2))
        elif kind == "heading":
            doc.add_heading(item[2], level=item[1])
        elif kind == "para":
            doc.add_paragraph(item[1])
        elif kind == "bold":
            doc.add_paragraph().add_run(item[1]).bold = True
        elif kind == "list":
            doc.add_paragraph(item[1], style="List Bullet")
        elif kind == "table":
            rows = item[1]
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            for row, values in zip(table.rows, rows):
                for cell, value in zip(row.cells, values):
                    cell.text = value
        else:
            raise ValueError(f"make_docx: unknown item kind {kind!r}")
    doc.save(path)
    return path


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf")))


def make_pdf(path: Path, items, *, header: str = PDF_HEADER, page_label: str = "- {n} -",
             first_line_indent: float = 0, space_after: float = 6, encrypt: str | None = None) -> Path:
    """A justified A4 document with `header` at the top and `page_label` (e.g. "Trang {n}") at the bottom
    of every page. Paragraphs are told apart by `space_after` and/or `first_line_indent` (points), as
    Word users do; `encrypt` sets a user password."""
    from xml.sax.saxutils import escape

    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    body = ParagraphStyle("body", fontName="DejaVuSans", fontSize=11, leading=15, alignment=TA_JUSTIFY,
                          spaceAfter=space_after, firstLineIndent=first_line_indent)
    bold = ParagraphStyle("bold", parent=body, fontName="DejaVuSans-Bold")
    heading = ParagraphStyle("heading", parent=bold, fontSize=13, leading=17, spaceBefore=6)
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=18, bulletIndent=4, bulletFontName="DejaVuSans")
    cell = ParagraphStyle("cell", parent=body, fontSize=10, leading=12, alignment=0, spaceAfter=0,
                          firstLineIndent=0)
    head_cell = ParagraphStyle("head_cell", parent=cell, fontName="DejaVuSans-Bold")

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont("DejaVuSans", 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 40, header)
        canvas.drawCentredString(A4[0] / 2, 30, page_label.format(n=doc.page))
        canvas.restoreState()

    flow = []
    for item in items:
        kind = item[0]
        if kind == "heading":
            flow.append(Paragraph(escape(item[2]), heading))
        elif kind == "para":
            flow.append(Paragraph(escape(item[1]), body))
        elif kind == "bold":
            flow.append(Paragraph(escape(item[1]), bold))
        elif kind == "list":
            flow.append(Paragraph(escape(item[1]), bullet, bulletText="•"))
        elif kind == "table":
            rows = item[1]
            cells = [[Paragraph(escape(value), head_cell if r == 0 else cell) for value in row]
                     for r, row in enumerate(rows)]
            table = Table(cells, colWidths=_column_widths(rows, PDF_FRAME_WIDTH), repeatRows=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            flow.extend([table, Spacer(1, space_after + 4)])
        elif kind == "pagebreak":
            flow.append(PageBreak())
        else:
            raise ValueError(f"make_pdf: unknown item kind {kind!r}")
    doc = SimpleDocTemplate(str(path), pagesize=A4, topMargin=70, bottomMargin=60, encrypt=encrypt)
    doc.build(flow, onFirstPage=decorate, onLaterPages=decorate)
    return path


def _column_widths(rows, total: float) -> list[float]:
    """Wider columns for longer cells, none narrower than 36 pt."""
    longest = [max(len(row[i]) for row in rows) ** 0.7 + 2 for i in range(len(rows[0]))]
    widths = [max(36.0, total * n / sum(longest)) for n in longest]
    return [w * total / sum(widths) for w in widths]


def pdf_wrapped_headings(items) -> int:
    """How many headings and bold lines of `items` are too wide for one line of make_pdf's page."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    _register_fonts()
    sizes = {"heading": 13, "bold": 11}
    return sum(
        stringWidth(item[-1], "DejaVuSans-Bold", sizes[item[0]]) > PDF_FRAME_WIDTH
        for item in items if item[0] in sizes
    )


def make_scanned_pdf(path: Path, pages: int = 2, text_pages: tuple[int, ...] = ()) -> Path:
    """Pages that carry only a picture of text (no text layer), except 1-based `text_pages`,
    which get a real line of text."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    _register_fonts()
    picture = Image.new("L", (400, 200), 255)
    draw = ImageDraw.Draw(picture)
    for y in range(20, 180, 20):
        draw.line((20, y, 380, y), fill=0, width=3)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    image = ImageReader(io.BytesIO(buffer.getvalue()))

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(1, pages + 1):
        if number in text_pages:
            pdf.setFont("DejaVuSans", 11)
            pdf.drawString(72, 700, f"Trang văn bản thật số {number}: nội dung mô tả sáng kiến.")
        else:
            pdf.drawImage(image, 72, 400, width=400, height=200)
        pdf.showPage()
    pdf.save()
    return path


def make_txt(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """`encoding="utf-16"` writes a BOM, as Windows Notepad does."""
    path.write_bytes(text.encode(encoding))
    return path
