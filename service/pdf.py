"""PDF export of a check report (reportlab + DejaVu fonts, which cover every Vietnamese letter)."""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from indexing.errors import MissingToolError
from indexing.report import CheckReport
from service.wording import EVIDENCE_TEXT, MATCH_KIND_TEXT, structure_text, verdict_label

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
KIND_COLOURS = {"verbatim": "#f8c9c4", "near_verbatim": "#fde2b8", "paraphrase": "#fff3b0"}


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if not regular.exists() or not bold.exists():
            raise MissingToolError(
                "Chưa cài phông chữ DejaVu (gói fonts-dejavu-core) nên không xuất được PDF; "
                "hãy dùng chức năng In báo cáo.")
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
    return "DejaVuSans", "DejaVuSans-Bold"


def percent(value) -> str:
    return f"{round(float(value or 0) * 100)}%"


def _evidence_flow(report: CheckReport, p, cell_bold, grid) -> list:
    """The evidence summary, then one row per claim-bearing section, then the document checks."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Table

    flow = []
    if report.evidence_summary:
        summary = report.evidence_summary
        flow.append(p(f"{EVIDENCE_TEXT[summary.status]}. {summary.text}", cell_bold))
        for n, gap in enumerate(summary.gaps, 1):
            flow.append(p(f"{n}. {gap.heading} ({EVIDENCE_TEXT[gap.status].lower()}): {gap.suggestion}"))
    if report.evidence:
        rows = [[p("Mục", cell_bold), p("Tình trạng", cell_bold), p("Nhận xét và gợi ý", cell_bold)]]
        for e in report.evidence:
            notes = [p("• " + f) for f in e.findings] + [p("→ " + s) for s in e.suggestions]
            rows.append([p(e.heading), p(EVIDENCE_TEXT.get(e.status, e.status)), notes or p("—")])
        flow.append(Table(rows, colWidths=[45 * mm, 30 * mm, 95 * mm], style=grid, repeatRows=1))
    flow += [p("• " + line) for line in report.document_findings + report.document_suggestions]
    return flow


def report_to_pdf(report: CheckReport, *, filename: str, created_at: str, demo: bool = False) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#5f6b7a"))
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=15, leading=19, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
    cell_bold = ParagraphStyle("cellbold", parent=body, fontName=bold)

    def p(text, style=body):
        return Paragraph(escape(str(text if text is not None else "—")), style)

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c5ccd6")),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                       ("VALIGN", (0, 0), (-1, -1), "TOP")])
    sim, doc = report.similarity, report.document
    flow = []
    if demo:
        flow.append(p("BẢN DÙNG THỬ — không dùng cho hồ sơ thật", cell_bold))
    flow += [
        p("Báo cáo kiểm tra sáng kiến", h1),
        p(f"Tên sáng kiến: {doc.title or '—'}"),
        p(f"Tệp: {filename} · Thời gian kiểm tra: {created_at[:16].replace('T', ' ')}", small),
        Spacer(1, 4 * mm),
        p(f"Mức tương đồng với kho sáng kiến: {percent(sim.score)} — {verdict_label(sim.verdict)}", h2),
        p("Kết quả chỉ để tham khảo; hội đồng sáng kiến xem xét và kết luận.", small),
    ]
    sources = sim.sources
    flow.append(p("Sáng kiến có nội dung tương đồng", h2))
    if sources:
        rows = [[p("Sáng kiến trong kho", cell_bold), p("Năm", cell_bold), p("Tỷ lệ phủ", cell_bold),
                 p("Đánh giá", cell_bold)]]
        rows += [[p(s.title), p(s.year), p(percent(s.coverage)), p(verdict_label(s.verdict))]
                 for s in sources]
        flow.append(Table(rows, colWidths=[100 * mm, 15 * mm, 20 * mm, 35 * mm], style=grid, repeatRows=1))
        for n, source in enumerate(sources, 1):
            flow.append(p(f"{n}. {source.title}", h2))
            rows = [[p("Bản mô tả đang kiểm tra", cell_bold), p("Sáng kiến trong kho", cell_bold)]]
            style = TableStyle(grid.getCommands())
            for row, m in enumerate(source.matches, 1):
                label = f"{MATCH_KIND_TEXT.get(m.kind, '')} · {percent(m.similarity)}"
                rows.append([[p(m.section, small), p(m.text), p(label, small)],
                             [p(m.source_section, small), p(m.source_text)]])
                style.add("BACKGROUND", (0, row), (-1, row), colors.HexColor(KIND_COLOURS.get(m.kind, "#ffffff")))
            flow.append(Table(rows, colWidths=[85 * mm, 85 * mm], style=style, repeatRows=1))
    else:
        flow.append(p("Không có sáng kiến nào trong kho có đoạn tương đồng đáng kể."))

    flow.append(p("Cấu trúc bản mô tả", h2))
    flow.append(p(structure_text(doc)))

    flow.append(p("Minh chứng hiệu quả theo từng mục", h2))
    flow += _evidence_flow(report, p, cell_bold, grid)

    buffer = io.BytesIO()

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"sangkien · trang {document.page}")
        canvas.restoreState()

    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                      bottomMargin=20 * mm, title="Báo cáo kiểm tra sáng kiến").build(
        flow, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
