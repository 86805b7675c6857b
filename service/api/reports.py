"""Saved check reports: one's own (administrators: everyone's), as JSON or PDF."""
from __future__ import annotations

from fastapi import APIRouter, Query, Response

from indexing.report import CheckReport
from service.api.schemas import ReportList, SavedReport
from service.auth import can
from service.deps import ReportReader, ServiceDBDep, SettingsDep, readable_report_row

router = APIRouter(tags=["kiểm tra"])


@router.get("/api/reports", response_model=ReportList)
def list_reports(user: ReportReader, db: ServiceDBDep, limit: int = Query(50, ge=1, le=200),
                 offset: int = Query(0, ge=0)):
    """Các báo cáo kiểm tra của người dùng (quản trị viên xem được tất cả)."""
    owner = None if can(user, "reports.all") else user.id
    reports, total = db.list_reports(owner, limit=limit, offset=offset)
    return {"total": total, "reports": reports}


@router.get("/api/reports/{report_id}", response_model=SavedReport)
def get_report(report_id: str, user: ReportReader, db: ServiceDBDep):
    row = readable_report_row(db, report_id, user)
    return SavedReport(report_id=row["id"], filename=row["filename"], created_at=row["created_at"],
                       **dict(CheckReport.model_validate(row["report"])))


@router.get("/api/reports/{report_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "Báo cáo dạng PDF"}})
def report_pdf(report_id: str, user: ReportReader, db: ServiceDBDep, settings: SettingsDep):
    """Báo cáo kiểm tra dạng PDF."""
    from service.pdf import report_to_pdf

    row = readable_report_row(db, report_id, user)
    data = report_to_pdf(CheckReport.model_validate(row["report"]), filename=row["filename"],
                         created_at=row["created_at"], demo=settings.demo)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="bao-cao-{report_id}.pdf"'})
