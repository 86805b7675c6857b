"""The check page and saved reports."""
from __future__ import annotations

from fastapi import APIRouter, Request

from indexing.report import CheckReport
from service.auth import can
from service.deps import PageChecker, PageComparer, PageReportReader, ServiceDBDep, SettingsDep, readable_report_row
from service.web.rendering import PAGE_SIZE, page_count, render

router = APIRouter(include_in_schema=False)


@router.get("/check")
def check_page(request: Request, user: PageChecker, settings: SettingsDep):
    return render(request, "check.html", max_mb=settings.max_upload_mb)


@router.get("/compare")
def compare_page(request: Request, user: PageComparer, settings: SettingsDep):
    return render(request, "compare.html", max_mb=settings.max_upload_mb)


@router.get("/reports")
def reports_page(request: Request, user: PageReportReader, db: ServiceDBDep, page: int = 1):
    owner = None if can(user, "reports.all") else user.id
    page = max(page, 1)
    reports, total = db.list_reports(owner, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "reports.html", reports=reports, total=total, page=page, pages=page_count(total))


# The reviewer's filters of a report's sources: (query value, label, which sources it keeps).
SOURCE_FILTERS = {
    "cung-don-vi": ("Cùng đơn vị", lambda s: s.same_unit),
    "cap-cao-hon": ("Đã công nhận cấp cao hơn", lambda s: s.higher_level),
    "co-truoc": ("Có trước bản mô tả", lambda s: not s.after_submission),
    "co-sau": ("Có sau bản mô tả", lambda s: s.after_submission),
}


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: str, user: PageReportReader, db: ServiceDBDep, nguon: str = ""):
    row = readable_report_row(db, report_id, user)
    report = CheckReport.model_validate(row["report"])
    shown = report.similarity.sources
    if nguon in SOURCE_FILTERS:
        shown = [s for s in shown if SOURCE_FILTERS[nguon][1](s)]
    return render(request, "report.html", row=row, report=report, sources=shown, source_filter=nguon,
                  filters={key: label for key, (label, _) in SOURCE_FILTERS.items()})
