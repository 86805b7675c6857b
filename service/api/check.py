"""Checking a submission against the archive, or against one other file (neither is ever stored)."""
from __future__ import annotations

from fastapi import APIRouter, File, Form, UploadFile

from indexing.errors import InputError
from indexing.units import LEVELS, SubmissionContext
from service.api.schemas import CheckResponse
from service.deps import ArchiveDep, Checker, CheckSlotsDep, Comparer, ServiceDBDep, SettingsDep, WorkLock
from service.uploads import display_name, private_folder, save_upload

router = APIRouter(tags=["kiểm tra"])


def context_from_form(unit: str, year: str, level: str) -> SubmissionContext:
    year, level = year.strip(), level.strip().lower()
    if year and not (year.isdigit() and 1900 <= int(year) <= 2200):
        raise InputError(f"Năm không hợp lệ: «{year}».")
    if level and level not in LEVELS:
        raise InputError(f"Cấp sáng kiến không hợp lệ: «{level}». Chọn một trong: {', '.join(LEVELS)}.")
    return SubmissionContext(unit=unit.strip() or None, year=int(year) if year else None, level=level or None)


@router.post("/api/check", response_model=CheckResponse)
def check(user: Checker, archive: ArchiveDep, db: ServiceDBDep, settings: SettingsDep, work_lock: WorkLock,
          slots: CheckSlotsDep, file: UploadFile = File(...), unit: str = Form(""), year: str = Form(""),
          level: str = Form("")):
    """Kiểm tra một tệp với kho: mức tương đồng và minh chứng hiệu quả. Tệp không được lưu vào kho.
    Đơn vị, năm và cấp (không bắt buộc) giúp đánh dấu các nguồn cùng đơn vị, cấp cao hơn hoặc có sau."""
    context = context_from_form(unit, year, level)
    with slots.slot(), private_folder(settings) as folder:
        path = save_upload(file, folder, settings.max_upload_mb)
        with work_lock:
            report = archive.check_file(path, context)
    report_id = db.save_report(user.id, display_name(file.filename) or path.name, report)
    return CheckResponse(report_id=report_id, **dict(report))


@router.post("/api/compare", response_model=CheckResponse)
def compare(user: Comparer, archive: ArchiveDep, db: ServiceDBDep, settings: SettingsDep, work_lock: WorkLock,
            slots: CheckSlotsDep, file: UploadFile = File(...), other: UploadFile = File(...)):
    """So sánh hai văn bản (tệp `file` với tệp `other`): cùng báo cáo đặt cạnh nhau như khi kiểm tra với
    kho. Không tệp nào được lưu vào kho."""
    with slots.slot(), private_folder(settings) as folder:
        path = save_upload(file, folder, settings.max_upload_mb)
        other_path = save_upload(other, folder, settings.max_upload_mb)
        with work_lock:
            report = archive.compare_files(path, other_path)
    if report.similarity.sources:
        report.similarity.sources[0].title = report.similarity.sources[0].title or display_name(other.filename)
    name = f"{display_name(file.filename)} ↔ {display_name(other.filename)}"
    report_id = db.save_report(user.id, name, report)
    return CheckResponse(report_id=report_id, **dict(report))
