"""Every Vietnamese word the service shows about a report: verdict, evidence and match labels (one set
for the CLI, the web pages and the PDF) and the readable text of `sangkien parse` and `sangkien check`."""
from __future__ import annotations

from pathlib import Path

from indexing.report import CheckReport, ParseReport, SourceComparison
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


# The three verdict labels, identical in the CLI report, the web pages, the PDF and Excel exports. A
# source whose matches stay below a partial copy ("related") is listed for reading under the third one.
VERDICT_TEXT = {
    "duplicate": "Có dấu hiệu trùng lặp",
    "partial": "Trùng lặp một phần",
    "original": "Chưa phát hiện trùng lặp đáng kể",
}


def verdict_label(verdict: str) -> str:
    return VERDICT_TEXT.get(verdict, VERDICT_TEXT["original"])


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
        f"Mức tương đồng với kho: {sim.score * 100:.0f}% — {verdict_label(sim.verdict)}.",
    ]
    for n, src in enumerate(sim.sources, 1):
        lines += [
            "",
            f"{n}. {src.title} ({src.year or '—'}; {src.unit or '—'}) [{src.doc_id}]",
            f"   Đánh giá: {verdict_label(src.verdict)}; "
            f"phần văn bản tương đồng: {src.coverage * 100:.0f}%",
        ]
        lines += [f"   – {flag}." for flag in source_flags(src)]
        lines += [f"   Vì sao: {reason}" for reason in source_reasons(src)]
        for m in src.matches[:8]:
            lines += [
                f"   • Mục «{m.section}» ↔ «{m.source_section}» ({MATCH_KIND_TEXT[m.kind]}, {m.similarity:.2f})",
                f"     Bài nộp: {_short(m.text)}",
                f"     Kho:     {_short(m.source_text)}",
            ]
        if len(src.matches) > 8:
            lines.append(f"   … và {len(src.matches) - 8} đoạn khác.")
    lines += ["", structure_text(doc)]
    if report.evidence_summary:
        summary = report.evidence_summary
        lines += ["", f"MINH CHỨNG HIỆU QUẢ: {EVIDENCE_TEXT[summary.status]}. {summary.text}"]
        lines += [f"  {n}. {g.heading} ({EVIDENCE_TEXT[g.status].lower()}): {g.suggestion}"
                  for n, g in enumerate(summary.gaps, 1)]
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


def structure_text(doc) -> str:
    """The structure check in one sentence: the template recognised and what it still lacks."""
    if not doc.template:
        text = "Không nhận ra mẫu bản mô tả sáng kiến."
        if doc.closest_template_name:
            text += f" Mẫu gần nhất: {doc.closest_template_name}"
            text += f"; còn thiếu các mục: {', '.join(doc.closest_missing)}." if doc.closest_missing else "."
        return text
    name = doc.template_name or doc.template
    if doc.missing_sections:
        return f"Theo {name}, còn thiếu các mục: {', '.join(doc.missing_sections)}."
    return f"Bản mô tả có đủ các mục chính của mẫu: {name}."


def percent(value) -> str:
    return f"{round(float(value or 0) * 100)}%"


def quoted(items) -> str:
    return ", ".join(f"“{item}”" for item in items)


def source_reasons(source: SourceComparison) -> list[str]:
    """Why a source got its verdict, in Vietnamese: what of the solution it holds, what was copied,
    which steps, tools and figures are shared."""
    reasons = []
    if source.solution_coverage:
        reasons.append(f"{percent(source.solution_coverage)} nội dung giải pháp của bản mô tả có đoạn tương ứng "
                       "trong sáng kiến này.")
    if source.copied_sections:
        reasons.append(f"Các mục chép gần như nguyên văn: {quoted(source.copied_sections)}.")
    if source.strong_matches >= 3:
        reasons.append(f"{source.strong_matches} đoạn chép hoặc diễn đạt lại rất sát ngoài phần lí do, cơ sở lí luận "
                       "và thực trạng.")
    if source.copied_words >= 150:
        reasons.append(f"{source.copied_words} chữ được chép nguyên văn hoặc gần nguyên văn.")
    if source.longest_run >= 30:
        reasons.append(f"Có một đoạn {source.longest_run} chữ liên tiếp trùng hoàn toàn.")
    if source.shared_terms:
        reasons.append(f"Cùng các bước, công cụ, sản phẩm: {quoted(source.shared_terms)}.")
    if source.shared_figures:
        reasons.append(f"Cùng số liệu: {', '.join(source.shared_figures)}.")
    return reasons


def source_flags(source: SourceComparison) -> list[str]:
    """Where the source stands relative to the submission (the law judges novelty within the unit)."""
    flags = []
    if source.same_unit:
        flags.append("Cùng đơn vị với bản mô tả")
    if source.higher_level:
        flags.append(f"Đã công nhận cấp {source.level}")
    if source.after_submission:
        flags.append(f"Có sau bản mô tả ({source.year}): không thể là nguồn của bản mô tả")
    if source.versions:
        flags.append(f"Cùng một sáng kiến với {len(source.versions)} tài liệu khác trong kho")
    return flags


# --- archive search ------------------------------------------------------------------------------
# What a hit's relevance label says, measured on bench/search (bench/eval_search.py prints the share
# of hits at each label that were judged relevant): "high" hits are about the query, "medium" ones
# touch it, "low" ones are only near it.
RELEVANCE_TEXT = {"high": "Phù hợp", "medium": "Có thể liên quan", "low": "Ít liên quan"}
BEFORE_FIRST_HEADING = "Phần mở đầu"


def relevance_label(level: str) -> str:
    return RELEVANCE_TEXT.get(level, RELEVANCE_TEXT["low"])


def snippet_section(section: str | None) -> str:
    return section or BEFORE_FIRST_HEADING


def search_summary(page) -> str:
    """The sentence above the hits (or in place of them)."""
    if not page.total:
        return f"Không tìm thấy sáng kiến nào về “{page.query}” trong kho."
    shown = f"{(page.page - 1) * page.per_page + 1}–{(page.page - 1) * page.per_page + len(page.hits)}"
    return f"Tìm thấy {page.total} sáng kiến về “{page.query}”; đang xem {shown}."


def search_suggestions(page) -> list[str]:
    """What to try when nothing was found."""
    tips = []
    if page.filters.active():
        tips.append("Bỏ bớt điều kiện lọc (năm, lĩnh vực, đơn vị, cấp).")
    if len(page.words) > 4:
        tips.append("Rút gọn thành vài từ khóa chính, ví dụ tên giải pháp hoặc công cụ.")
    tips.append("Dùng từ khác cùng nghĩa, hoặc từ mà bản mô tả sáng kiến thường dùng.")
    if not page.words:
        tips.insert(0, "Câu tìm kiếm chỉ có những từ quá thông dụng (“của”, “và”, “các”…); hãy thêm từ chỉ nội dung.")
    return tips


def similar_text(similar) -> str:
    """One archive document sharing content with another: the verdict and how much."""
    if similar.verdict in ("duplicate", "partial"):
        return f"{verdict_label(similar.verdict)} · mức tương đồng {percent(similar.score)}"
    return f"{verdict_label(similar.verdict)} · có đoạn nội dung gần ({percent(similar.coverage)} văn bản)"
