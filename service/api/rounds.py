"""Review rounds (đợt xét duyệt): many submissions checked against the archive and each other."""
from __future__ import annotations

from fastapi import APIRouter, File, Form, UploadFile

from indexing.errors import InputError
from service import jobs
from service.api.schemas import JobStarted, RoundDetail, RoundList
from service.deps import ArchiveDep, RoundReader, RoundWriter, ServiceDBDep, SettingsDep, WorkLock
from service.uploads import display_name, handed_over_folder, save_upload

router = APIRouter(tags=["đợt xét duyệt"])


@router.post("/api/rounds", status_code=202, response_model=JobStarted)
def create_round(user: RoundWriter, archive: ArchiveDep, db: ServiceDBDep, settings: SettingsDep,
                 work_lock: WorkLock, name: str = Form(...), files: list[UploadFile] = File(...)):
    """Tạo đợt xét duyệt: mỗi hồ sơ được so với kho và với các hồ sơ khác trong đợt."""
    if not name.strip():
        raise InputError("Hãy đặt tên cho đợt xét duyệt.")
    if len(files) > settings.max_round_files:
        raise InputError(f"Một đợt xét duyệt có tối đa {settings.max_round_files} tệp.")
    with handed_over_folder(settings, "round-") as folder:
        saved = [(display_name(f.filename), save_upload(f, folder, settings.max_upload_mb)) for f in files]
    round_id = db.create_round(name.strip(), user.id, len(saved))
    jobs.start(jobs.run_round, archive, db, work_lock, round_id, user.id, saved, folder)
    return JobStarted(id=round_id, total=len(saved))


@router.get("/api/rounds", response_model=RoundList)
def list_rounds(user: RoundReader, db: ServiceDBDep):
    return {"rounds": db.list_rounds()}


@router.get("/api/rounds/{round_id}", response_model=RoundDetail)
def get_round(round_id: str, user: RoundReader, db: ServiceDBDep):
    """Tiến độ (status, done/total) và kết quả xếp theo mức tương đồng."""
    return db.get_round(round_id)
