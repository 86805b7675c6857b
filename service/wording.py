"""Every Vietnamese word the service shows about a report: verdict, evidence and match labels (one set
for the CLI, the web pages and the PDF) and the readable text of `sangkien parse` and `sangkien check`."""
from __future__ import annotations

from pathlib import Path

from indexing.report import CheckReport, ParseReport
from indexing.templates import template_name


def template_label(template: str | None, templates_dir: Path) -> str:
    """The template's Vietnamese name, as its YAML file gives it."""
    if not template:
        return "Không xác định"
    return template_name(template, templates_dir) or template


def parse_text(parsed: ParseReport, templates_dir: Path) -> str:
    lines = [
        f"Tên sáng kiến: {parsed.title or '(không xác định)'}",
        f"Mẫu văn bản: {template_label(parsed.template, templates_dir)}",
        f"Số chữ: {parsed.words}",
        "",
        "Các mục:",
    ]
    for s in parsed.sections:
        indent = "  " * max(s.level - 1, 0)
        lines.append(f"  {indent}{s.heading}  [{s.kind}, {s.words} chữ, {s.start}–{s.end}]")
    if not parsed.sections:
        lines.append("  (không nhận ra mục nào)")
    if parsed.missing_sections:
        lines += ["", "Thiếu các mục bắt buộc:"] + [f"  - {m}" for m in parsed.missing_sections]
    if parsed.warnings:
        lines += ["", "Lưu ý:"] + [f"  - {w}" for w in parsed.warnings]
    return "\n".join(lines)


# Vietnamese labels shared by the CLI report, the web UI and the PDF export.
VERDICT_TEXT = {
    "duplicate": "Có dấu hiệu trùng lặp nội dung với sáng kiến đã có",
    "partial": "Trùng lặp một phần với sáng kiến đã có",
    "original": "Chưa phát hiện trùng lặp đáng kể",
}
# Badges in tables: the full sentence above would stretch the column.
VERDICT_SHORT = {"duplicate": "Có dấu hiệu trùng lặp", "partial": "Trùng lặp một phần",
                 "original": "Chưa thấy trùng lặp"}
SOURCE_VERDICT_TEXT = {"duplicate": "Trùng lặp nội dung", "partial": "Trùng lặp một phần",
                       "related": "Có đoạn tương đồng"}
MATCH_KIND_TEXT = {"verbatim": "Trùng nguyên văn", "near_verbatim": "Gần nguyên văn", "paraphrase": "Diễn đạt lại"}
EVIDENCE_TEXT = {"present": "Có minh chứng", "weak": "Minh chứng yếu", "missing": "Thiếu minh chứng"}


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_text(report: CheckReport, templates_dir: Path) -> str:
    """The readable Vietnamese report of `sangkien check` (the council decides; we show mức tương đồng)."""
    doc, sim = report.document, report.similarity
    lines = [
        "BÁO CÁO KIỂM TRA SÁNG KIẾN",
        f"Tên: {doc.title or '(không xác định)'}",
        f"Mẫu văn bản: {template_label(doc.template, templates_dir)}",
        "",
        f"Mức tương đồng với kho: {sim.score * 100:.0f}% — {VERDICT_TEXT[sim.verdict]}.",
    ]
    for n, src in enumerate(sim.sources, 1):
        lines += [
            "",
            f"{n}. {src.title} ({src.year or '—'}; {src.unit or '—'}) [{src.doc_id}]",
            f"   Đánh giá: {SOURCE_VERDICT_TEXT.get(src.verdict, src.verdict)}; "
            f"phần văn bản tương đồng: {src.coverage * 100:.0f}%",
        ]
        for m in src.matches[:8]:
            lines += [
                f"   • Mục «{m.section}» ↔ «{m.source_section}» ({MATCH_KIND_TEXT[m.kind]}, {m.similarity:.2f})",
                f"     Bài nộp: {_short(m.text)}",
                f"     Kho:     {_short(m.source_text)}",
            ]
        if len(src.matches) > 8:
            lines.append(f"   … và {len(src.matches) - 8} đoạn khác.")
    if doc.missing_sections:
        lines += ["", "Thiếu các mục bắt buộc:"] + [f"  - {m}" for m in doc.missing_sections]
    if report.evidence:
        lines += ["", "MINH CHỨNG HIỆU QUẢ THEO TỪNG MỤC"]
        for ev in report.evidence:
            lines.append(f"- {ev.heading}: {EVIDENCE_TEXT.get(ev.status, ev.status)}")
            lines += [f"    · {f}" for f in ev.findings]
            lines += [f"    → {s}" for s in ev.suggestions]
    if report.document_findings or report.document_suggestions:
        lines += ["", "Kiểm tra chung theo mẫu:"]
        lines += [f"  · {f}" for f in report.document_findings]
        lines += [f"  → {s}" for s in report.document_suggestions]
    if report.warnings:
        lines += ["", "Lưu ý:"] + [f"  - {w}" for w in report.warnings]
    lines += ["", "Ghi chú: mức tương đồng là số liệu tham khảo; việc đánh giá thuộc về Hội đồng sáng kiến."]
    return "\n".join(lines)
