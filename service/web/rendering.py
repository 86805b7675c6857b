"""Server-rendered pages: the Jinja environment, its filters and the side-by-side highlighting."""
from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from indexing.errors import InputError, SangkienError
from indexing.text import WORD
from indexing.units import LEVELS
from service.auth import authenticate, can, csrf_token
from service.db import ROLE_LABELS
from service.wording import (
    EVIDENCE_TEXT,
    MATCH_KIND_TEXT,
    relevance_label,
    search_suggestions,
    search_summary,
    similar_text,
    snippet_section,
    source_flags,
    source_reasons,
    verdict_label,
)

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
ROUND_STATUS_TEXT = {"queued": "Đang chờ", "running": "Đang xử lý", "done": "Hoàn thành", "failed": "Lỗi"}
PAGE_SIZE = 25

# Navigation: (permission needed, path, label).
NAV = (
    ("check", "/check", "Kiểm tra sáng kiến"),
    ("compare", "/compare", "So sánh hai văn bản"),
    ("reports.own", "/reports", "Báo cáo của tôi"),
    ("search", "/search", "Tìm kiếm"),
    ("archive.read", "/documents", "Kho sáng kiến"),
    ("archive.write", "/admin/import", "Nhập vào kho"),
    ("rounds.read", "/rounds", "Đợt xét duyệt"),
)


def percent(value) -> str:
    return f"{round(float(value or 0) * 100)}%"


def local_time(value: str | None) -> str:
    """A stored UTC timestamp as the server's local time, written the Vietnamese way (ngày/tháng/năm)."""
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone().strftime("%d/%m/%Y %H:%M")


def mark_common(left: str, right: str) -> tuple[Markup, Markup]:
    """Both texts with the word runs they share wrapped in <mark>, so a reviewer sees at a glance
    what was carried over and what was changed. Only words are compared: a changed comma or
    bracket does not split a copied run."""
    words_a, words_b = list(WORD.finditer(left)), list(WORD.finditer(right))
    matcher = difflib.SequenceMatcher(None, [w.group().casefold() for w in words_a],
                                      [w.group().casefold() for w in words_b], autojunk=False)
    spans_a, spans_b = [], []
    for block in matcher.get_matching_blocks():
        if block.size >= 2:  # a single shared word ("và", "của") says nothing
            spans_a.append((words_a[block.a].start(), words_a[block.a + block.size - 1].end()))
            spans_b.append((words_b[block.b].start(), words_b[block.b + block.size - 1].end()))
    return mark_spans(left, spans_a), mark_spans(right, spans_b)


def mark_spans(text: str, spans) -> Markup:
    """`text` with `spans` wrapped in <mark>; spans only a space apart become one mark, which reads
    as a phrase instead of a row of separate boxes."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1]:start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, pos = [], 0
    for start, end in merged:
        out.append(escape(text[pos:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


TEMPLATES.env.filters.update(percent=percent, local_time=local_time)
TEMPLATES.env.globals.update(verdict_label=verdict_label, MATCH_KIND_TEXT=MATCH_KIND_TEXT,
                             EVIDENCE_TEXT=EVIDENCE_TEXT, ROUND_STATUS_TEXT=ROUND_STATUS_TEXT,
                             ROLE_LABELS=ROLE_LABELS, mark_common=mark_common, mark_spans=mark_spans,
                             source_reasons=source_reasons, source_flags=source_flags,
                             relevance_label=relevance_label, snippet_section=snippet_section,
                             search_summary=search_summary, search_suggestions=search_suggestions,
                             similar_text=similar_text, LEVELS=LEVELS)


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    nav = [(path, label) for permission, path, label in NAV if can(user, permission)]
    return TEMPLATES.TemplateResponse(request, template, {
        "user": user, "nav": nav, "csrf": csrf_token(request), "demo": request.app.state.settings.demo,
        "can": lambda permission: can(user, permission), **context,
    }, status_code=status_code)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    try:
        authenticate(request)
    except SangkienError:  # a bad token or a throttled address: render the page as for a visitor
        request.state.user = None
    return render(request, "error.html", status_code=status, status=status, message=message)


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted login link must not send the user elsewhere."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def parse_year(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InputError(f"Năm không hợp lệ: «{value}».")
    return int(value)


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))
