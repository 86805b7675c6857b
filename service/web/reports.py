"""The check page and saved reports."""
from __future__ import annotations

from fastapi import APIRouter, Request

from indexing.report import CheckReport
from service.auth import can
from service.deps import PageChecker, PageReportReader, ServiceDBDep, SettingsDep, readable_report_row
from service.web.rendering import PAGE_SIZE, page_count, render

router = APIRouter(include_in_schema=False)


@router.get("/check")
def check_page(request: Request, user: PageChecker, settings: SettingsDep):
    return render(request, "check.html", max_mb=settings.max_upload_mb)


@router.get("/reports")
def reports_page(request: Request, user: PageReportReader, db: ServiceDBDep, page: int = 1):
    owner = None if can(user, "reports.all") else user.id
    page = max(page, 1)
    reports, total = db.list_reports(owner, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "reports.html", reports=reports, total=total, page=page, pages=page_count(total))


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: str, user: PageReportReader, db: ServiceDBDep):
    row = readable_report_row(db, report_id, user)
    return render(request, "report.html", row=row, report=CheckReport.model_validate(row["report"]))
