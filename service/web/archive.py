"""Archive pages: search, the document list, one document (edit, delete) and the import page."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from indexing.errors import InputError
from service.auth import CSRF_FIELD, check_csrf
from service.deps import ArchiveDep, PageArchiveReader, PageArchiveWriter, PageSearcher, SettingsDep, WorkLock
from service.web.rendering import PAGE_SIZE, page_count, parse_year, render

router = APIRouter(include_in_schema=False)


@router.get("/search")
def search_page(request: Request, user: PageSearcher, archive: ArchiveDep, q: str = "", year: str = "",
                field: str = ""):
    results, error = [], None
    if q.strip():
        try:
            results = archive.search(q, k=20, year=parse_year(year), field=field or None)
        except InputError as exc:
            error = exc.message
    return render(request, "search.html", q=q, year=year, field=field, results=results, error=error,
                  fields=archive.store.fields())


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
                  saved=request.query_params.get("saved"))


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
