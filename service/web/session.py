"""Signing in with an access token, signing out, the home page."""
from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from service.auth import CSRF_FIELD, SESSION_COOKIE, check_csrf, login_failed, login_throttle
from service.deps import PageChecker, ServiceDBDep, SettingsDep
from service.limits import TooManyRequestsError
from service.web.rendering import render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    request.state.user = None
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
def login(request: Request, db: ServiceDBDep, settings: SettingsDep, token: str = Form(""), next: str = Form("/"),
          csrf_token_field: str = Form("", alias=CSRF_FIELD)):
    check_csrf(request, csrf_token_field)
    request.state.user = None
    try:
        login_throttle(request)
    except TooManyRequestsError as exc:
        response = render(request, "login.html", status_code=429, next=safe_next(next), error=exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    user = db.user_for_token(token.strip()) if token.strip() else None
    if user is None:
        login_failed(request)
        return render(request, "login.html", status_code=401, next=safe_next(next),
                      error="Mã truy cập không đúng hoặc đã bị thu hồi. Hãy kiểm tra lại hoặc liên hệ quản trị viên.")
    response = RedirectResponse(safe_next(next), status_code=303)
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
def home(user: PageChecker):
    return RedirectResponse("/check", status_code=303)
