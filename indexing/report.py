"""Turning pipeline results into the JSON contract and into readable Vietnamese text."""
from __future__ import annotations

from indexing.document import Document

def template_label(template: str | None) -> str:
    """The template's Vietnamese name, as its YAML file in data/templates gives it."""
    from indexing.sections import load_templates

    if not template:
        return "Không xác định"
    return next((t.name for t in load_templates() if t.id == template), template)


def parse_json(doc: Document) -> dict:
    return {
        "title": doc.title,
        "format": doc.format,
        "template": doc.template,
        "sections": [
            {
                "heading": s.heading,
                "kind": s.kind,
                "level": s.level,
                "start": s.start,
                "end": s.end,
                "words": doc.word_count(s.body_start, s.end),
            }
            for s in doc.sections
        ],
        "missing_sections": doc.missing_sections,
        "warnings": doc.warnings,
        "words": doc.word_count(),
    }


def parse_text(doc: Document) -> str:
    lines = [
        f"Tên sáng kiến: {doc.title or '(không xác định)'}",
        f"Mẫu văn bản: {template_label(doc.template)}",
        f"Số chữ: {doc.word_count()}",
        "",
        "Các mục:",
    ]
    for s in doc.sections:
        indent = "  " * max(s.level - 1, 0)
        lines.append(f"  {indent}{s.heading}  [{s.kind}, {doc.word_count(s.body_start, s.end)} chữ, {s.start}–{s.end}]")
    if not doc.sections:
        lines.append("  (không nhận ra mục nào)")
    if doc.missing_sections:
        lines += ["", "Thiếu các mục bắt buộc:"] + [f"  - {m}" for m in doc.missing_sections]
    if doc.warnings:
        lines += ["", "Lưu ý:"] + [f"  - {w}" for w in doc.warnings]
    return "\n".join(lines)


# Vietnamese labels shared by the CLI report, the web UI and the PDF export.
VERDICT_TEXT = {
    "duplicate": "Có dấu hiệu trùng lặp nội dung với sáng kiến đã có",
    "partial": "Trùng lặp một phần với sáng kiến đã có",
    "original": "Chưa phát hiện trùng lặp đáng kể",
}
# Badges in tables: the full sentence above would stretch the column.
VERDICT_SHORT = {"duplicate": "Có dấu hiệu trùng lặp", "partial": "Trùng lặp một phần", "original": "Chưa thấy trùng lặp"}
SOURCE_VERDICT_TEXT = {"duplicate": "Trùng lặp nội dung", "partial": "Trùng lặp một phần",
                       "related": "Có đoạn tương đồng"}
MATCH_KIND_TEXT = {"verbatim": "Trùng nguyên văn", "near_verbatim": "Gần nguyên văn", "paraphrase": "Diễn đạt lại"}
EVIDENCE_TEXT = {"present": "Có minh chứng", "weak": "Minh chứng yếu", "missing": "Thiếu minh chứng"}


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_text(report: dict) -> str:
    """The readable Vietnamese report of `sangkien check` (the council decides; we show mức tương đồng)."""
    doc, sim = report["document"], report["similarity"]
    lines = [
        "BÁO CÁO KIỂM TRA SÁNG KIẾN",
        f"Tên: {doc['title'] or '(không xác định)'}",
        f"Mẫu văn bản: {template_label(doc['template'])}",
        "",
        f"Mức tương đồng với kho: {sim['score'] * 100:.0f}% — {VERDICT_TEXT[sim['verdict']]}.",
    ]
    for n, src in enumerate(sim["sources"], 1):
        lines += [
            "",
            f"{n}. {src['title']} ({src.get('year') or '—'}; {src.get('unit') or '—'}) [{src['doc_id']}]",
            f"   Đánh giá: {SOURCE_VERDICT_TEXT.get(src['verdict'], src['verdict'])}; "
            f"phần văn bản tương đồng: {src['coverage'] * 100:.0f}%",
        ]
        for m in src["matches"][:8]:
            lines += [
                f"   • Mục «{m['section']}» ↔ «{m['source_section']}» ({MATCH_KIND_TEXT[m['kind']]}, {m['similarity']:.2f})",
                f"     Bài nộp: {_short(m['text'])}",
                f"     Kho:     {_short(m['source_text'])}",
            ]
        if len(src["matches"]) > 8:
            lines.append(f"   … và {len(src['matches']) - 8} đoạn khác.")
    if doc["missing_sections"]:
        lines += ["", "Thiếu các mục bắt buộc:"] + [f"  - {m}" for m in doc["missing_sections"]]
    if report.get("evidence"):
        lines += ["", "MINH CHỨNG HIỆU QUẢ THEO TỪNG MỤC"]
        for ev in report["evidence"]:
            lines.append(f"- {ev['heading']}: {EVIDENCE_TEXT.get(ev['status'], ev['status'])}")
            lines += [f"    · {f}" for f in ev["findings"]]
            lines += [f"    → {s}" for s in ev["suggestions"]]
    if report.get("document_findings") or report.get("document_suggestions"):
        lines += ["", "Kiểm tra chung theo mẫu:"]
        lines += [f"  · {f}" for f in report.get("document_findings", [])]
        lines += [f"  → {s}" for s in report.get("document_suggestions", [])]
    if report.get("warnings"):
        lines += ["", "Lưu ý:"] + [f"  - {w}" for w in report["warnings"]]
    lines += ["", "Ghi chú: mức tương đồng là số liệu tham khảo; việc đánh giá thuộc về Hội đồng sáng kiến."]
    return "\n".join(lines)
