"""Checking one submission against the archive (never stored in it)."""
from __future__ import annotations

from fastapi import APIRouter, File, UploadFile

from service.api.schemas import CheckResponse
from service.deps import ArchiveDep, Checker, CheckSlotsDep, ServiceDBDep, SettingsDep, WorkLock
from service.uploads import display_name, private_folder, save_upload

router = APIRouter(tags=["kiểm tra"])


@router.post("/api/check", response_model=CheckResponse)
def check(user: Checker, archive: ArchiveDep, db: ServiceDBDep, settings: SettingsDep, work_lock: WorkLock,
          slots: CheckSlotsDep, file: UploadFile = File(...)):
    """Kiểm tra một tệp với kho: mức tương đồng và minh chứng hiệu quả. Tệp không được lưu vào kho."""
    with slots.slot(), private_folder(settings) as folder:
        path = save_upload(file, folder, settings.max_upload_mb)
        with work_lock:
            report = archive.check_file(path)
    report_id = db.save_report(user.id, display_name(file.filename) or path.name, report)
    return CheckResponse(report_id=report_id, **dict(report))
