"""The archive: documents (add, list, read, edit, delete, original file), similar documents, two
archive documents side by side, and search."""
from __future__ import annotations

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from indexing.errors import InputError
from indexing.report import SearchFilters, SearchPage
from indexing.store import DocMeta
from service.api.schemas import (
    AddedDocument,
    CheckResponse,
    Deleted,
    DocumentDetail,
    DocumentList,
    DocumentOut,
    SimilarList,
    StoredSection,
)
from service.deps import (
    ArchiveDep,
    ArchiveReader,
    ArchiveWriter,
    CheckSlotsDep,
    Comparer,
    Searcher,
    ServiceDBDep,
    SettingsDep,
    WorkLock,
)
from service.uploads import display_name, private_folder, save_upload

router = APIRouter(tags=["kho sáng kiến"])


class MetadataUpdate(BaseModel):
    title: str | None = None
    year: int | None = None
    unit: str | None = None
    field: str | None = None
    level: str | None = None
    authors: str | None = None


@router.post("/api/documents", status_code=201, response_model=AddedDocument)
def add_document(user: ArchiveWriter, archive: ArchiveDep, settings: SettingsDep, work_lock: WorkLock,
                 file: UploadFile = File(...), title: str = Form(""), year: str = Form(""), unit: str = Form(""),
                 field: str = Form(""), level: str = Form("")):
    """Đưa một sáng kiến đã công nhận vào kho."""
    meta = DocMeta(title=title.strip(), year=year.strip() or None, unit=unit.strip() or None,
                   field=field.strip() or None, level=level.strip() or None, path=display_name(file.filename))
    with private_folder(settings) as folder:
        path = save_upload(file, folder, settings.max_upload_mb)
        with work_lock:
            added = archive.add_file(path, meta)
    return AddedDocument(doc_id=added.doc_id, title=added.title, created=added.created)


@router.get("/api/documents", response_model=DocumentList)
def list_documents(user: ArchiveReader, archive: ArchiveDep, year: int | None = None, field: str | None = None,
                   unit: str | None = None, q: str | None = None, limit: int = Query(50, ge=1, le=200),
                   offset: int = Query(0, ge=0)):
    docs, total = archive.store.list_documents(
        year=year, field=field or None, unit=unit or None, q=q or None, limit=limit, offset=offset)
    return DocumentList(total=total, documents=[DocumentOut.from_info(d) for d in docs])


@router.get("/api/documents/{doc_id}", response_model=DocumentDetail)
def get_document(doc_id: str, user: ArchiveReader, archive: ArchiveDep):
    doc = archive.store.get_document(doc_id)
    sections = [StoredSection(heading=s.heading, kind=s.kind, level=s.level, start=s.start,
                              body_start=s.body_start, end=s.end) for s in doc.sections]
    return DocumentDetail(**dict(DocumentOut.from_info(doc)), text=doc.text, sections=sections)


@router.get("/api/documents/{doc_id}/similar", response_model=SimilarList)
def similar(doc_id: str, user: ArchiveReader, archive: ArchiveDep, k: int = Query(8, ge=1, le=50)):
    """Các sáng kiến trong kho có nội dung trùng hoặc gần với sáng kiến này, theo đúng cách kiểm tra
    trùng lặp (không liệt kê sáng kiến khác chủ đề)."""
    return SimilarList(doc_id=doc_id, similar=archive.similar(doc_id, k=k))


@router.get("/api/documents/{doc_id}/original", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "the file as added"}})
def original_file(doc_id: str, user: ArchiveReader, archive: ArchiveDep):
    """Tải tệp gốc của sáng kiến (đúng tệp đã đưa vào kho)."""
    path, name = archive.original_file(doc_id)
    return FileResponse(path, filename=name, media_type="application/octet-stream")


@router.post("/api/documents/{doc_id}/compare/{other_id}", response_model=CheckResponse)
def compare_documents(doc_id: str, other_id: str, user: Comparer, archive: ArchiveDep, db: ServiceDBDep,
                      slots: CheckSlotsDep):
    """So sánh hai sáng kiến trong kho, đặt cạnh nhau như báo cáo kiểm tra (sáng kiến `doc_id` được xem
    như bản mô tả cần kiểm tra). Báo cáo được lưu như các báo cáo khác."""
    with slots.slot():
        report = archive.compare_stored(doc_id, other_id)
    infos = archive.store.document_infos([doc_id, other_id])
    report_id = db.save_report(user.id, f"{infos[doc_id].title} ↔ {infos[other_id].title}", report)
    return CheckResponse(report_id=report_id, **dict(report))


@router.patch("/api/documents/{doc_id}", response_model=DocumentOut)
def update_document(doc_id: str, update: MetadataUpdate, user: ArchiveWriter, archive: ArchiveDep):
    """Sửa thông tin (tên, năm, đơn vị, lĩnh vực, cấp, tác giả) của một sáng kiến trong kho."""
    fields = update.model_dump(exclude_unset=True)
    if not fields:
        raise InputError("Chưa có thông tin nào cần sửa.")
    archive.store.update_metadata(doc_id, **fields)
    return DocumentOut.from_info(archive.store.get_document(doc_id))


@router.delete("/api/documents/{doc_id}", response_model=Deleted)
def delete_document(doc_id: str, user: ArchiveWriter, archive: ArchiveDep, work_lock: WorkLock):
    with work_lock:
        archive.delete(doc_id)
    return Deleted(deleted=doc_id)


@router.get("/api/search", response_model=SearchPage)
def search(q: str, user: Searcher, archive: ArchiveDep, page: int = Query(1, ge=1, le=1000),
           per_page: int = Query(10, ge=1, le=50), year: int | None = None, field: str | None = None,
           unit: str | None = None, level: str | None = None):
    """Tìm trong kho theo nghĩa và theo từ (gõ có dấu hay không dấu đều được). Chỉ trả về các sáng kiến
    thực sự nói về nội dung cần tìm, kèm mức phù hợp và các đoạn liên quan; không có thì `total` = 0."""
    filters = SearchFilters(year=year, field=field or None, unit=unit or None, level=level or None)
    return archive.search(q, filters, page=page, per_page=per_page)
