"""Archive pages: search, the document list, one document (edit, delete, original file, compare
with another) and the import page."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse

from indexing.errors import InputError
from indexing.report import SearchFilters
from service.auth import CSRF_FIELD, check_csrf
from service.deps import (
    ArchiveDep,
    CheckSlotsDep,
    PageArchiveReader,
    PageArchiveWriter,
    PageComparer,
    PageSearcher,
    ServiceDBDep,
    SettingsDep,
    WorkLock,
)
from service.web.rendering import PAGE_SIZE, page_count, parse_year, render

router = APIRouter(include_in_schema=False)
SEARCH_PAGE_SIZE = 10


@router.get("/search")
def search_page(request: Request, user: PageSearcher, archive: ArchiveDep, q: str = "", year: str = "",
                field: str = "", unit: str = "", level: str = "", page: int = 1):
    results, error = None, None
    form = {"q": q, "year": year, "field": field, "unit": unit, "level": level}
    if q.strip():
        try:
            filters = SearchFilters(year=parse_year(year), field=field.strip() or None, unit=unit.strip() or None,
                                    level=level.strip() or None)
            results = archive.search(q, filters, page=max(page, 1), per_page=SEARCH_PAGE_SIZE)
        except InputError as exc:
            error = exc.message
    pages = max(1, -(-results.total // SEARCH_PAGE_SIZE)) if results else 1
    return render(request, "search.html", form=form, results=results, error=error, pages=pages,
                  query=urlencode(form), fields=archive.store.fields())


@router.get("/documents")
def documents_page(request: Request, user: PageArchiveReader, archive: ArchiveDep, q: str = "", year: str = "",
                   field: str = "", page: int = 1):
    page = max(page, 1)
    docs, total = archive.store.list_documents(year=parse_year(year), field=field or None, q=q.strip() or None,
                                               limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    query = urlencode({"q": q, "year": year, "field": field})
    return render(request, "documents.html", docs=docs, total=total, q=q, year=year, field=field, page=page,
                  pages=page_count(total), query=query, fields=archive.store.fields())


@router.get("/documents/{doc_id}")
def document_page(request: Request, doc_id: str, user: PageArchiveReader, archive: ArchiveDep):
    doc = archive.store.get_document(doc_id)
    sections = [{"heading": s.heading, "level": s.level, "body": s.body(doc.text).strip()} for s in doc.sections]
    return render(request, "document.html", doc=doc, sections=sections, similar=archive.similar(doc_id, k=8),
                  has_original=archive.original_file(doc_id, missing_ok=True) is not None,
                  saved=request.query_params.get("saved"), error=request.query_params.get("error"))


@router.get("/documents/{doc_id}/original")
def original_file(doc_id: str, user: PageArchiveReader, archive: ArchiveDep):
    path, name = archive.original_file(doc_id)
    return FileResponse(path, filename=name, media_type="application/octet-stream")


@router.post("/documents/{doc_id}/compare")
def compare_documents(request: Request, doc_id: str, user: PageComparer, archive: ArchiveDep, db: ServiceDBDep,
                      slots: CheckSlotsDep, other: str = Form(""), csrf_token_field: str = Form("", alias=CSRF_FIELD)):
    """The side-by-side report of this archive document against another one (by its code)."""
    check_csrf(request, csrf_token_field)
    other = other.strip()
    if not other:
        raise InputError("Hãy nhập mã trong kho của sáng kiến cần so sánh.")
    with slots.slot():
        report = archive.compare_stored(doc_id, other)
    infos = archive.store.document_infos([doc_id, other])
    report_id = db.save_report(user.id, f"{infos[doc_id].title} ↔ {infos[other].title}", report)
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


@router.post("/documents/{doc_id}/edit")
def edit_document(request: Request, doc_id: str, user: PageArchiveWriter, archive: ArchiveDep, title: str = Form(""),
                  year: str = Form(""), unit: str = Form(""), field: str = Form(""), level: str = Form(""),
                  authors: str = Form(""), csrf_token_field: str = Form("", alias=CSRF_FIELD)):
    check_csrf(request, csrf_token_field)
    archive.store.update_metadata(
        doc_id, title=title.strip(), year=parse_year(year), unit=unit.strip() or None, field=field.strip() or None,
        level=level.strip() or None, authors=authors.strip() or None)
    return RedirectResponse(f"/documents/{doc_id}?saved=1", status_code=303)


@router.get("/documents/{doc_id}/delete")
def confirm_delete_page(request: Request, doc_id: str, user: PageArchiveWriter, archive: ArchiveDep):
    return render(request, "confirm_delete.html", doc=archive.store.get_document(doc_id))


@router.post("/documents/{doc_id}/delete")
def delete_document(request: Request, doc_id: str, user: PageArchiveWriter, archive: ArchiveDep,
                    work_lock: WorkLock, csrf_token_field: str = Form("", alias=CSRF_FIELD)):
    check_csrf(request, csrf_token_field)
    with work_lock:
        archive.delete(doc_id)
    return RedirectResponse("/documents?deleted=1", status_code=303)


@router.get("/admin/import")
def import_page(request: Request, user: PageArchiveWriter, settings: SettingsDep):
    return render(request, "import.html", max_mb=settings.max_upload_mb)
