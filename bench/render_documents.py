"""Build real DOCX / PDF / TXT files from a short list of items (for the tests and for bench/ format checks).

Items are tuples:
    ("heading", level, text)   a heading (DOCX "Heading n" style; bold, larger font in PDF)
    ("para", text)             a body paragraph (long ones wrap over several lines in PDF)
    ("bold", text)             a paragraph written entirely in bold
    ("list", text)             a bulleted list item
    ("table", [[cell, ...], ...])  a table (DOCX only)
    ("pagebreak",)             start a new page (PDF only)
"""
from __future__ import annotations

import io
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
PDF_HEADER = "Sở Giáo dục và Đào tạo — Hồ sơ sáng kiến năm học 2024-2025"


def make_docx(path: Path, items, *, title: str = "", author: str = "") -> Path:
    from docx import Document

    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = author
    for item in items:
        kind = item[0]
        if kind == "heading":
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
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    _register_fonts()
    body = ParagraphStyle("body", fontName="DejaVuSans", fontSize=11, leading=15, alignment=TA_JUSTIFY,
                          spaceAfter=space_after, firstLineIndent=first_line_indent)
    bold = ParagraphStyle("bold", parent=body, fontName="DejaVuSans-Bold")
    heading = ParagraphStyle("heading", parent=bold, fontSize=13, leading=17, spaceBefore=6)
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=18, bulletIndent=4, bulletFontName="DejaVuSans")

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
        elif kind == "pagebreak":
            flow.append(PageBreak())
        else:
            raise ValueError(f"make_pdf: unknown item kind {kind!r}")
    doc = SimpleDocTemplate(str(path), pagesize=A4, topMargin=70, bottomMargin=60, encrypt=encrypt)
    doc.build(flow, onFirstPage=decorate, onLaterPages=decorate)
    return path


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
