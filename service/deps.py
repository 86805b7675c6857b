"""Dependencies shared by the API routers and the web pages: the app's components and who is asking.

Routes declare what they need as annotated parameters (`archive: ArchiveDep`, `user: Reviewer`), so
the role rule of every route is visible in its signature (and checked by a test enumerating routes).
"""
from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from indexing.archive import Archive
from indexing.config import Settings
from service.auth import AuthenticationError, PermissionDeniedError, authenticate, can, require
from service.db import ServiceDB, User
from service.jobs import ImportJobs
from service.limits import CheckSlots, SlidingWindow

CHECK_RATE_MESSAGE = "Bạn đã gửi quá nhiều yêu cầu kiểm tra; vui lòng thử lại sau {seconds} giây."


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _archive(request: Request) -> Archive:
    return request.app.state.archive


def _db(request: Request) -> ServiceDB:
    return request.app.state.db


def _work_lock(request: Request) -> threading.Lock:
    return request.app.state.work_lock


def _imports(request: Request) -> ImportJobs:
    return request.app.state.imports


def _check_slots(request: Request) -> CheckSlots:
    return request.app.state.check_slots


SettingsDep = Annotated[Settings, Depends(_settings)]
ArchiveDep = Annotated[Archive, Depends(_archive)]
ServiceDBDep = Annotated[ServiceDB, Depends(_db)]
WorkLock = Annotated[threading.Lock, Depends(_work_lock)]
ImportJobsDep = Annotated[ImportJobs, Depends(_imports)]
CheckSlotsDep = Annotated[CheckSlots, Depends(_check_slots)]


def rate_limited(permission: str):
    """require(permission), then one check counted against the user's per-minute allowance."""
    allowed = require(permission)

    def dependency(request: Request) -> User:
        user = allowed(request)
        window: SlidingWindow = request.app.state.check_rate
        window.take(user.id, CHECK_RATE_MESSAGE)
        return user

    return dependency


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


# API callers, by what they may do (service/auth.py PERMISSIONS).
AnyUser = Annotated[User, Depends(require("check"))]
Checker = Annotated[User, Depends(rate_limited("check"))]
Comparer = Annotated[User, Depends(rate_limited("compare"))]
ReportReader = Annotated[User, Depends(require("reports.own"))]
ArchiveReader = Annotated[User, Depends(require("archive.read"))]
ArchiveWriter = Annotated[User, Depends(require("archive.write"))]
Searcher = Annotated[User, Depends(require("search"))]
RoundReader = Annotated[User, Depends(require("rounds.read"))]
RoundWriter = Annotated[User, Depends(rate_limited("rounds.write"))]

# Page visitors, by what they may see.
PageChecker = Annotated[User, Depends(page_user("check"))]
PageComparer = Annotated[User, Depends(page_user("compare"))]
PageReportReader = Annotated[User, Depends(page_user("reports.own"))]
PageSearcher = Annotated[User, Depends(page_user("search"))]
PageArchiveReader = Annotated[User, Depends(page_user("archive.read"))]
PageArchiveWriter = Annotated[User, Depends(page_user("archive.write"))]
PageRoundReader = Annotated[User, Depends(page_user("rounds.read"))]


def readable_report_row(db: ServiceDB, report_id: str, user: User) -> dict:
    """A saved report, if `user` may read it: their own, any for admins, round submissions for reviewers."""
    from indexing.errors import NotFoundError

    row = db.get_report(report_id)
    allowed = (row["user_id"] == user.id or can(user, "reports.all")
               or (row["round_id"] is not None and can(user, "rounds.read")))
    if not allowed:  # same answer as a missing report: do not reveal that it exists
        raise NotFoundError("Không tìm thấy báo cáo kiểm tra này.")
    return row
