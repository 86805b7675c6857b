"""Bulk imports into the archive, run in the background with progress."""
from __future__ import annotations

from fastapi import APIRouter, File, UploadFile

from indexing.errors import NotFoundError
from indexing.import_csv import read_manifest
from service import jobs
from service.api.schemas import ImportStatus, JobStarted
from service.deps import ArchiveDep, ArchiveWriter, ImportJobsDep, SettingsDep, WorkLock
from service.uploads import display_name, handed_over_folder, save_upload

router = APIRouter(tags=["kho sáng kiến"])


@router.post("/api/imports", status_code=202, response_model=JobStarted)
def import_documents(user: ArchiveWriter, archive: ArchiveDep, settings: SettingsDep, work_lock: WorkLock,
                     imports: ImportJobsDep, files: list[UploadFile] = File(...),
                     manifest: UploadFile | None = File(None)):
    """Đưa nhiều tệp vào kho, kèm tệp CSV thông tin (path,title,year,unit,field); theo dõi tiến độ
    tại /api/imports/{id}."""
    with handed_over_folder(settings, "import-") as folder:
        metadata: dict[str, dict] = {}
        if manifest is not None and manifest.filename:
            csv_path = save_upload(manifest, folder, settings.max_upload_mb, suffixes=(".csv",))
            metadata = {p.name: meta for p, meta in read_manifest(csv_path)}
        saved = []
        for upload in files:
            name = display_name(upload.filename)
            meta = {k: v for k, v in metadata.get(name, {}).items() if v is not None}
            saved.append((name, save_upload(upload, folder, settings.max_upload_mb), {**meta, "path": name}))
    job_id = imports.create(user.id, len(saved))
    jobs.start(imports.run, archive, work_lock, job_id, saved, folder)
    return JobStarted(id=job_id, total=len(saved))


@router.get("/api/imports/{job_id}", response_model=ImportStatus)
def import_status(job_id: str, user: ArchiveWriter, imports: ImportJobsDep):
    job = imports.get(job_id)
    if job is None or job["user_id"] != user.id:
        raise NotFoundError("Không tìm thấy lượt nhập tệp này.")
    return {k: v for k, v in job.items() if k != "user_id"}
