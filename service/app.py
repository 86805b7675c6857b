"""The HTTP service: JSON API under /api (OpenAPI at /docs) and the Vietnamese web UI (service/web.py).

Models are loaded once in the lifespan hook; every request reuses the same Archive. Heavy work
(embedding) is serialised by one lock: on an office server, parallel checks would only slow each other.
"""
from __future__ import annotations

import logging
import re
import secrets
import shutil
import tempfile
import threading
import unicodedata
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexing.config import Settings, get_settings
from indexing.errors import InputError, NotFoundError, SangkienError, TooLargeError, UnsupportedFormatError
from indexing.manifest import read_manifest
from service import jobs
from service.auth import CSRF_COOKIE, DEMO_USERS, SessionSigner, can, load_secret, require
from service.db import ServiceDB, User
from service.errors import UNEXPECTED_MESSAGE, error_body
from service.limits import CheckSlots, SlidingWindow

log = logging.getLogger("sangkien.service")

SERVICE_DIR = Path(__file__).resolve().parent
ALLOWED_SUFFIXES = (".pdf", ".docx", ".doc", ".txt", ".md")
CHUNK = 1 << 20
# The only endpoints taking many files at once; every other request body is held to one file's size.
BULK_UPLOAD_PATHS = ("/api/rounds", "/api/imports")
MAX_DISPLAY_NAME = 200
CHECK_RATE_MESSAGE = "Bạn đã gửi quá nhiều yêu cầu kiểm tra; vui lòng thử lại sau {seconds} giây."

HTTP_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Bạn cần đăng nhập (hoặc gửi mã truy cập) để dùng chức năng này."),
    403: ("forbidden", "Tài khoản của bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy trang hoặc dữ liệu được yêu cầu."),
    405: ("method_not_allowed", "Phương thức HTTP này không được hỗ trợ tại địa chỉ đã gọi."),
    413: ("too_large", "Dữ liệu gửi lên vượt quá dung lượng cho phép."),
}
FIELD_LABELS = {"file": "tệp", "files": "các tệp", "q": "nội dung tìm kiếm", "k": "số kết quả", "year": "năm",
                "limit": "số dòng mỗi trang", "offset": "vị trí bắt đầu", "name": "tên đợt", "title": "tên sáng kiến"}

# Nothing is loaded from outside, /docs included (its Swagger UI files come from fastapi-offline),
# so the service works on an office network without internet. Only /docs needs its inline start-up script.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'unsafe-inline'; "
            "object-src 'none'; frame-ancestors 'none'")


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path in ("/api", "/openapi.json", "/docs")


class EdgeMiddleware:
    """Pure ASGI, so it sees the request body as it streams: caps its size (before anything is
    spooled to disk: one file's worth, or a whole round's on the bulk endpoints), adds security
    headers and gives every browser a CSRF cookie."""

    def __init__(self, app, max_body_bytes: int, max_bulk_body_bytes: int, secure_cookies: bool = False):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_bulk_body_bytes = max_bulk_body_bytes
        self.secure_cookies = secure_cookies

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"]
        new_csrf = None
        if CSRF_COOKIE + "=" not in headers.get("cookie", ""):
            new_csrf = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["new_csrf"] = new_csrf

        limit = self.max_bulk_body_bytes if path in BULK_UPLOAD_PATHS else self.max_body_bytes
        too_large = int(headers.get("content-length") or 0) > limit
        received = 0

        async def limited_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", (DOCS_CSP if path == "/docs" else CSP).encode()),
                ]
                if new_csrf:
                    cookie = f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Lax"
                    extra.append((b"set-cookie", (cookie + ("; Secure" if self.secure_cookies else "")).encode()))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        if too_large:
            return await self._reject(scope, send_with_headers, limit)
        sent = False

        async def guarded_send(message):
            nonlocal sent
            if too_large:
                return  # the app's answer to a truncated body is replaced by the 413 below
            sent = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not sent:
            await self._reject(scope, send_with_headers, limit)

    async def _reject(self, scope, send, limit: int):
        exc = TooLargeError(f"Dữ liệu gửi lên vượt quá giới hạn cho phép ({limit // (1 << 20)} MB).")
        response = JSONResponse(error_body(exc), status_code=exc.http_status)
        await response(scope, None, send)


def display_name(filename: str | None) -> str:
    """The client's file name reduced to something only ever shown, never used as a path: its last
    component under either slash convention, without control characters (NUL included), bounded."""
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", filename or ""))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        return ""
    if len(name) > MAX_DISPLAY_NAME:  # keep the extension: it decides how the file is read
        suffix = Path(name).suffix[:16]
        name = name[:MAX_DISPLAY_NAME - len(suffix)] + suffix
    return name


def save_upload(upload: UploadFile, folder: Path, max_mb: int, suffixes=ALLOWED_SUFFIXES) -> Path:
    """Copy an upload under a generated name (never the client's) into a private folder, enforcing
    the size limit while copying."""
    name = display_name(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        kinds = [s.lstrip(".").upper() for s in suffixes]
        listed = " hoặc ".join(filter(None, [", ".join(kinds[:-1]), kinds[-1]]))
        raise UnsupportedFormatError(f"Không hỗ trợ tệp «{name}». Hãy gửi tệp {listed}.")
    target = folder / f"{secrets.token_hex(12)}{suffix}"
    size, limit = 0, max_mb * (1 << 20)
    with open(target, "wb") as out:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"Tệp «{name}» vượt quá dung lượng cho phép ({max_mb} MB).")
            out.write(chunk)
    if size == 0:
        raise InputError(f"Tệp «{name}» rỗng (0 byte): không có nội dung để xem xét.")
    return target


@contextmanager
def private_folder(settings: Settings):
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads_root(settings)))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def uploads_root(settings: Settings) -> Path:
    root = Path(settings.data_dir) / "uploads"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        name = str(error.get("loc", ["?"])[-1])
        label = FIELD_LABELS.get(name, name)
        parts.append(f"thiếu {label}" if error.get("type") == "missing" else f"giá trị của {label} không hợp lệ")
    return "Dữ liệu gửi lên không hợp lệ: " + "; ".join(dict.fromkeys(parts)) + "."


def document_json(info) -> dict:
    return {"doc_id": info.id, "title": info.title, "year": info.year, "unit": info.unit, "field": info.field,
            "level": info.level, "authors": info.authors, "format": info.format, "created_at": info.created_at,
            "passages": info.passage_count, "filename": info.filename}


def readable_report_row(request: Request, report_id: str, user: User) -> dict:
    """A saved report, if `user` may read it: their own, any for admins, round submissions for reviewers."""
    row = request.app.state.db.get_report(report_id)
    allowed = (row["user_id"] == user.id or can(user, "reports.all")
               or (row["round_id"] is not None and can(user, "rounds.read")))
    if not allowed:  # same answer as a missing report: do not reveal that it exists
        raise NotFoundError("Không tìm thấy báo cáo kiểm tra này.")
    return row


class MetadataUpdate(BaseModel):
    title: str | None = None
    year: int | None = None
    unit: str | None = None
    field: str | None = None
    level: str | None = None
    authors: str | None = None


def create_app(settings: Settings | None = None, archive=None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from indexing.archive import Archive

        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        db = ServiceDB(data_dir / "service.sqlite3")
        db.fail_unfinished_rounds()
        app.state.db = db
        app.state.signer = SessionSigner(load_secret(data_dir), settings.session_hours * 3600)
        app.state.archive = archive or Archive(settings)
        app.state.archive.index  # loads the embedder and the FAISS index now, not on the first request
        if settings.demo:
            for name, role, token in DEMO_USERS:
                db.ensure_user(name, role, token)
            log.warning("BẢN DÙNG THỬ: tài khoản mẫu %s",
                        ", ".join(f"{name} (mã truy cập: {token})" for name, _, token in DEMO_USERS))
        elif db.count_users() == 0:
            log.warning("Chưa có người dùng nào. Tạo quản trị viên bằng: sangkien users add TÊN --role admin")
        yield

    app = FastAPIOffline(
        static_url="/static/swagger",
        title="sangkien",
        description="Kiểm tra mức tương đồng và minh chứng hiệu quả của bản mô tả sáng kiến.",
        version="0.1.0",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.work_lock = threading.Lock()
    app.state.imports = jobs.ImportJobs()
    app.state.check_rate = SlidingWindow(settings.check_rate_per_minute)
    app.state.login_failures = SlidingWindow(settings.login_failures_per_minute)
    app.state.check_slots = CheckSlots(settings.max_concurrent_checks, settings.check_wait_seconds)
    # One extra MB leaves room for the multipart framing and form fields around the files.
    app.add_middleware(EdgeMiddleware, max_body_bytes=(settings.max_upload_mb + 1) << 20,
                       max_bulk_body_bytes=(settings.max_upload_mb * settings.max_round_files + 1) << 20)
    app.mount("/static", StaticFiles(directory=SERVICE_DIR / "static"), name="static")

    def error_response(request: Request, status: int, code: str, message: str, headers: dict | None = None):
        if not is_api(request.url.path):
            from service.web import error_page

            if status == 401:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            response = error_page(request, status, message)
        else:
            response = JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(SangkienError)
    async def known_error(request: Request, exc: SangkienError):
        retry_after = getattr(exc, "retry_after", None)
        return error_response(request, exc.http_status, exc.code, exc.message,
                              {"Retry-After": str(retry_after)} if retry_after else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code, message = HTTP_MESSAGES.get(exc.status_code, ("error", UNEXPECTED_MESSAGE))
        return error_response(request, exc.status_code, code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return error_response(request, 422, "invalid_request", validation_message(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "internal_error", UNEXPECTED_MESSAGE)

    def state(request: Request):
        return request.app.state

    def rate_limited(permission: str):
        """require(permission), then one check counted against the user's per-minute allowance."""
        allowed = require(permission)

        def dependency(request: Request) -> User:
            user = allowed(request)
            state(request).check_rate.take(user.id, CHECK_RATE_MESSAGE)
            return user

        return dependency

    # --- public ----------------------------------------------------------------------------------
    @app.get("/api/health", tags=["hệ thống"])
    def health(request: Request):
        """Tình trạng dịch vụ (không cần đăng nhập)."""
        s = state(request)
        return {"status": "ok", "documents": s.archive.store.count_documents(), "demo": settings.demo}

    @app.get("/api/me", tags=["hệ thống"])
    def me(user: User = Depends(require("check"))):
        return {"name": user.name, "role": user.role, "role_label": user.role_label}

    # --- checking a submission -------------------------------------------------------------------
    @app.post("/api/check", tags=["kiểm tra"])
    def check(request: Request, file: UploadFile = File(...), user: User = Depends(rate_limited("check"))):
        """Kiểm tra một tệp với kho: mức tương đồng và minh chứng hiệu quả. Tệp không được lưu vào kho."""
        s = state(request)
        with s.check_slots.slot(), private_folder(settings) as folder:
            path = save_upload(file, folder, settings.max_upload_mb)
            with s.work_lock:
                report = s.archive.check_file(path)
        report_id = s.db.save_report(user.id, display_name(file.filename) or path.name, report)
        return {"report_id": report_id, **report}

    @app.get("/api/reports", tags=["kiểm tra"])
    def list_reports(request: Request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0),
                     user: User = Depends(require("reports.own"))):
        """Các báo cáo kiểm tra của người dùng (quản trị viên xem được tất cả)."""
        owner = None if can(user, "reports.all") else user.id
        reports, total = state(request).db.list_reports(owner, limit=limit, offset=offset)
        return {"total": total, "reports": reports}

    @app.get("/api/reports/{report_id}", tags=["kiểm tra"])
    def get_report(request: Request, report_id: str, user: User = Depends(require("reports.own"))):
        row = readable_report_row(request, report_id, user)
        return {"report_id": row["id"], "filename": row["filename"], "created_at": row["created_at"], **row["report"]}

    @app.get("/api/reports/{report_id}/pdf", tags=["kiểm tra"])
    def report_pdf(request: Request, report_id: str, user: User = Depends(require("reports.own"))):
        """Báo cáo kiểm tra dạng PDF."""
        from service.pdf import report_to_pdf

        row = readable_report_row(request, report_id, user)
        data = report_to_pdf(row["report"], filename=row["filename"], created_at=row["created_at"],
                             demo=settings.demo)
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="bao-cao-{report_id}.pdf"'})

    # --- archive ---------------------------------------------------------------------------------
    @app.post("/api/documents", status_code=201, tags=["kho sáng kiến"])
    def add_document(request: Request, file: UploadFile = File(...), title: str = Form(""),
                     year: str = Form(""), unit: str = Form(""), field: str = Form(""), level: str = Form(""),
                     user: User = Depends(require("archive.write"))):
        """Đưa một sáng kiến đã công nhận vào kho."""
        from indexing.store import DocMeta

        s = state(request)
        meta = DocMeta(title=title.strip(), year=year.strip() or None, unit=unit.strip() or None,
                       field=field.strip() or None, level=level.strip() or None, path=display_name(file.filename))
        with private_folder(settings) as folder:
            path = save_upload(file, folder, settings.max_upload_mb)
            with s.work_lock:
                added = s.archive.add_file(path, meta)
        return {"doc_id": added.doc_id, "title": added.title, "created": added.created}

    @app.post("/api/imports", status_code=202, tags=["kho sáng kiến"])
    def import_documents(request: Request, files: list[UploadFile] = File(...),
                         manifest: UploadFile | None = File(None), user: User = Depends(require("archive.write"))):
        """Đưa nhiều tệp vào kho, kèm tệp CSV thông tin (path,title,year,unit,field); theo dõi tiến độ
        tại /api/imports/{id}."""
        s = state(request)
        folder = Path(tempfile.mkdtemp(prefix="import-", dir=uploads_root(settings)))
        try:
            metadata: dict[str, dict] = {}
            if manifest is not None and manifest.filename:
                csv_path = save_upload(manifest, folder, settings.max_upload_mb, suffixes=(".csv",))
                metadata = {p.name: meta for p, meta in read_manifest(csv_path)}
            saved = []
            for upload in files:
                name = display_name(upload.filename)
                meta = {k: v for k, v in metadata.get(name, {}).items() if v is not None}
                saved.append((name, save_upload(upload, folder, settings.max_upload_mb), {**meta, "path": name}))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job_id = s.imports.create(user.id, len(saved))
        jobs.start(s.imports.run, s.archive, s.work_lock, job_id, saved, folder)
        return {"id": job_id, "total": len(saved)}

    @app.get("/api/imports/{job_id}", tags=["kho sáng kiến"])
    def import_status(request: Request, job_id: str, user: User = Depends(require("archive.write"))):
        job = state(request).imports.get(job_id)
        if job is None or job["user_id"] != user.id:
            raise NotFoundError("Không tìm thấy lượt nhập tệp này.")
        return {k: v for k, v in job.items() if k != "user_id"}

    @app.get("/api/documents", tags=["kho sáng kiến"])
    def list_documents(request: Request, year: int | None = None, field: str | None = None,
                       unit: str | None = None, q: str | None = None, limit: int = Query(50, ge=1, le=200),
                       offset: int = Query(0, ge=0), user: User = Depends(require("archive.read"))):
        docs, total = state(request).archive.store.list_documents(
            year=year, field=field or None, unit=unit or None, q=q or None, limit=limit, offset=offset)
        return {"total": total, "documents": [document_json(d) for d in docs]}

    @app.get("/api/documents/{doc_id}", tags=["kho sáng kiến"])
    def get_document(request: Request, doc_id: str, user: User = Depends(require("archive.read"))):
        doc = state(request).archive.store.get_document(doc_id)
        sections = [{"heading": s.heading, "kind": s.kind, "level": s.level, "start": s.start,
                     "body_start": s.body_start, "end": s.end} for s in doc.sections]
        return {**document_json(doc), "text": doc.text, "sections": sections}

    @app.get("/api/documents/{doc_id}/similar", tags=["kho sáng kiến"])
    def similar(request: Request, doc_id: str, k: int = Query(10, ge=1, le=50),
                user: User = Depends(require("archive.read"))):
        return {"doc_id": doc_id, "similar": state(request).archive.similar(doc_id, k=k)}

    @app.patch("/api/documents/{doc_id}", tags=["kho sáng kiến"])
    def update_document(request: Request, doc_id: str, update: MetadataUpdate,
                        user: User = Depends(require("archive.write"))):
        """Sửa thông tin (tên, năm, đơn vị, lĩnh vực, cấp, tác giả) của một sáng kiến trong kho."""
        store = state(request).archive.store
        fields = update.model_dump(exclude_unset=True)
        if not fields:
            raise InputError("Chưa có thông tin nào cần sửa.")
        store.update_metadata(doc_id, **fields)
        return document_json(store.get_document(doc_id))

    @app.delete("/api/documents/{doc_id}", tags=["kho sáng kiến"])
    def delete_document(request: Request, doc_id: str, user: User = Depends(require("archive.write"))):
        s = state(request)
        with s.work_lock:
            s.archive.delete(doc_id)
        return {"deleted": doc_id}

    @app.get("/api/search", tags=["kho sáng kiến"])
    def search(request: Request, q: str, k: int = Query(10, ge=1, le=50), year: int | None = None,
               field: str | None = None, user: User = Depends(require("search"))):
        """Tìm trong kho theo từ khóa và theo nghĩa."""
        hits = state(request).archive.search(q, k=k, year=year, field=field or None)
        return {"query": q, "results": hits}

    # --- review rounds ---------------------------------------------------------------------------
    @app.post("/api/rounds", status_code=202, tags=["đợt xét duyệt"])
    def create_round(request: Request, name: str = Form(...), files: list[UploadFile] = File(...),
                     user: User = Depends(rate_limited("rounds.write"))):
        """Tạo đợt xét duyệt: mỗi hồ sơ được so với kho và với các hồ sơ khác trong đợt."""
        s = state(request)
        if not name.strip():
            raise InputError("Hãy đặt tên cho đợt xét duyệt.")
        if len(files) > settings.max_round_files:
            raise InputError(f"Một đợt xét duyệt có tối đa {settings.max_round_files} tệp.")
        folder = Path(tempfile.mkdtemp(prefix="round-", dir=uploads_root(settings)))
        try:
            saved = [(display_name(f.filename), save_upload(f, folder, settings.max_upload_mb)) for f in files]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        round_id = s.db.create_round(name.strip(), user.id, len(saved))
        jobs.start(jobs.run_round, s.archive, s.db, s.work_lock, round_id, user.id, saved, folder)
        return {"id": round_id, "total": len(saved)}

    @app.get("/api/rounds", tags=["đợt xét duyệt"])
    def list_rounds(request: Request, user: User = Depends(require("rounds.read"))):
        return {"rounds": state(request).db.list_rounds()}

    @app.get("/api/rounds/{round_id}", tags=["đợt xét duyệt"])
    def get_round(request: Request, round_id: str, user: User = Depends(require("rounds.read"))):
        """Tiến độ (status, done/total) và kết quả xếp theo mức tương đồng."""
        return state(request).db.get_round(round_id)

    from service.web import router as web_router

    app.include_router(web_router)
    return app


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000, demo: bool = False) -> None:
    import uvicorn

    if demo:
        settings = settings.model_copy(update={"demo": True})
        print("BẢN DÙNG THỬ — mã truy cập để đăng nhập:")
        for name, role, token in DEMO_USERS:
            print(f"  {name:18} ({role:8}): {token}")
    print(f"Mở trình duyệt tại http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
