"""Server-rendered Vietnamese web UI. Pages read through the same Archive and ServiceDB as the API;
uploads and long jobs go through the API from a little JavaScript (static/app.js)."""
from __future__ import annotations

import difflib
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from indexing.errors import InputError, SangkienError
from indexing.report import EVIDENCE_TEXT, MATCH_KIND_TEXT, SOURCE_VERDICT_TEXT, VERDICT_SHORT, VERDICT_TEXT
from service.auth import (
    CSRF_FIELD, SESSION_COOKIE, AuthenticationError, PermissionDeniedError, authenticate, can, check_csrf,
    csrf_token, login_failed, login_throttle,
)
from service.limits import TooManyRequestsError
from service.db import ROLE_LABELS, User

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
router = APIRouter(include_in_schema=False)

ROUND_STATUS_TEXT = {"queued": "Đang chờ", "running": "Đang xử lý", "done": "Hoàn thành", "failed": "Lỗi"}
PAGE_SIZE = 25
WORD = re.compile(r"\w+")

# Navigation: (permission needed, path, label).
NAV = (
    ("check", "/check", "Kiểm tra sáng kiến"),
    ("reports.own", "/reports", "Báo cáo của tôi"),
    ("search", "/search", "Tìm kiếm"),
    ("archive.read", "/documents", "Kho sáng kiến"),
    ("archive.write", "/admin/import", "Nhập vào kho"),
    ("rounds.read", "/rounds", "Đợt xét duyệt"),
)


def percent(value) -> str:
    return f"{round(float(value or 0) * 100)}%"


TEMPLATES.env.filters["percent"] = percent
TEMPLATES.env.globals.update(VERDICT_TEXT=VERDICT_TEXT, VERDICT_SHORT=VERDICT_SHORT, SOURCE_VERDICT_TEXT=SOURCE_VERDICT_TEXT,
                             MATCH_KIND_TEXT=MATCH_KIND_TEXT, EVIDENCE_TEXT=EVIDENCE_TEXT,
                             ROUND_STATUS_TEXT=ROUND_STATUS_TEXT, ROLE_LABELS=ROLE_LABELS)


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


def page_user(permission: str):
    """Like auth.require, for pages: no user -> login page (via the 401 handler), wrong role -> 403 page."""

    def dependency(request: Request) -> User:
        try:
            user = authenticate(request)
        except AuthenticationError:
            user = None
        if user is None:
            raise AuthenticationError("Bạn cần đăng nhập để xem trang này.")
        if not can(user, permission):
            raise PermissionDeniedError("Tài khoản của bạn không có quyền xem trang này.")
        return user

    return dependency


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


def local_time(value: str | None) -> str:
    """A stored UTC timestamp as the server's local time, written the Vietnamese way (ngày/tháng/năm)."""
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone().strftime("%d/%m/%Y %H:%M")


TEMPLATES.env.filters["local_time"] = local_time
TEMPLATES.env.globals.update(mark_common=mark_common, mark_spans=mark_spans)


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted login link must not send the user elsewhere."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


# --- session ---------------------------------------------------------------------------------------
@router.get("/login")
def login_page(request: Request, next: str = "/"):
    request.state.user = None
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
def login(request: Request, token: str = Form(""), next: str = Form("/"), csrf_token_field: str = Form("", alias=CSRF_FIELD)):
    check_csrf(request, csrf_token_field)
    request.state.user = None
    try:
        login_throttle(request)
    except TooManyRequestsError as exc:
        response = render(request, "login.html", status_code=429, next=safe_next(next), error=exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    user = request.app.state.db.user_for_token(token.strip()) if token.strip() else None
    if user is None:
        login_failed(request)
        return render(request, "login.html", status_code=401, next=safe_next(next),
                      error="Mã truy cập không đúng hoặc đã bị thu hồi. Hãy kiểm tra lại hoặc liên hệ quản trị viên.")
    response = RedirectResponse(safe_next(next), status_code=303)
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, request.app.state.signer.sign(user.id), max_age=settings.session_hours * 3600,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token_field: str = Form("", alias=CSRF_FIELD)):
    check_csrf(request, csrf_token_field)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(user: User = Depends(page_user("check"))):
    return RedirectResponse("/check", status_code=303)


# --- checking and reports ----------------------------------------------------------------------------
@router.get("/check")
def check_page(request: Request, user: User = Depends(page_user("check"))):
    return render(request, "check.html", max_mb=request.app.state.settings.max_upload_mb)


@router.get("/reports")
def reports_page(request: Request, page: int = 1, user: User = Depends(page_user("reports.own"))):
    owner = None if can(user, "reports.all") else user.id
    page = max(page, 1)
    reports, total = request.app.state.db.list_reports(owner, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "reports.html", reports=reports, total=total, page=page,
                  pages=max(1, -(-total // PAGE_SIZE)))


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: str, user: User = Depends(page_user("reports.own"))):
    from service.app import readable_report_row

    row = readable_report_row(request, report_id, user)
    return render(request, "report.html", row=row, report=row["report"])


# --- archive ---------------------------------------------------------------------------------------
@router.get("/search")
def search_page(request: Request, q: str = "", year: str = "", field: str = "",
                user: User = Depends(page_user("search"))):
    archive = request.app.state.archive
    results, error = [], None
    if q.strip():
        try:
            results = archive.search(q, k=20, year=parse_year(year), field=field or None)
        except InputError as exc:
            error = exc.message
    return render(request, "search.html", q=q, year=year, field=field, results=results, error=error,
                  fields=archive.store.fields())


def parse_year(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InputError(f"Năm không hợp lệ: «{value}».")
    return int(value)


@router.get("/documents")
def documents_page(request: Request, q: str = "", year: str = "", field: str = "", page: int = 1,
                   user: User = Depends(page_user("archive.read"))):
    archive = request.app.state.archive
    page = max(page, 1)
    docs, total = archive.store.list_documents(year=parse_year(year), field=field or None, q=q.strip() or None,
                                               limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    query = urlencode({"q": q, "year": year, "field": field})
    return render(request, "documents.html", docs=docs, total=total, q=q, year=year, field=field, page=page,
                  pages=max(1, -(-total // PAGE_SIZE)), query=query, fields=archive.store.fields())


@router.get("/documents/{doc_id}")
def document_page(request: Request, doc_id: str, user: User = Depends(page_user("archive.read"))):
    archive = request.app.state.archive
    doc = archive.store.get_document(doc_id)
    sections = [{"heading": s.heading, "level": s.level, "body": s.body(doc.text).strip()} for s in doc.sections]
    return render(request, "document.html", doc=doc, sections=sections, similar=archive.similar(doc_id, k=8),
                  saved=request.query_params.get("saved"))


@router.post("/documents/{doc_id}/edit")
def edit_document(request: Request, doc_id: str, title: str = Form(""), year: str = Form(""), unit: str = Form(""),
                  field: str = Form(""), level: str = Form(""), authors: str = Form(""),
                  csrf_token_field: str = Form("", alias=CSRF_FIELD), user: User = Depends(page_user("archive.write"))):
    check_csrf(request, csrf_token_field)
    request.app.state.archive.store.update_metadata(
        doc_id, title=title.strip(), year=parse_year(year), unit=unit.strip() or None, field=field.strip() or None,
        level=level.strip() or None, authors=authors.strip() or None)
    return RedirectResponse(f"/documents/{doc_id}?saved=1", status_code=303)


@router.get("/documents/{doc_id}/delete")
def confirm_delete_page(request: Request, doc_id: str, user: User = Depends(page_user("archive.write"))):
    return render(request, "confirm_delete.html", doc=request.app.state.archive.store.get_document(doc_id))


@router.post("/documents/{doc_id}/delete")
def delete_document(request: Request, doc_id: str, csrf_token_field: str = Form("", alias=CSRF_FIELD),
                    user: User = Depends(page_user("archive.write"))):
    check_csrf(request, csrf_token_field)
    with request.app.state.work_lock:
        request.app.state.archive.delete(doc_id)
    return RedirectResponse("/documents?deleted=1", status_code=303)


@router.get("/admin/import")
def import_page(request: Request, user: User = Depends(page_user("archive.write"))):
    return render(request, "import.html", max_mb=request.app.state.settings.max_upload_mb)


# --- review rounds ---------------------------------------------------------------------------------
@router.get("/rounds")
def rounds_page(request: Request, user: User = Depends(page_user("rounds.read"))):
    return render(request, "rounds.html", rounds=request.app.state.db.list_rounds(),
                  max_files=request.app.state.settings.max_round_files)


@router.get("/rounds/{round_id}")
def round_page(request: Request, round_id: str, user: User = Depends(page_user("rounds.read"))):
    return render(request, "round.html", round=request.app.state.db.get_round(round_id))
