"""The HTTP service: JSON API under /api (OpenAPI at /docs) and the Vietnamese web UI.

`create_app` only assembles: shared state, middleware, error handlers and the routers of
service/api/ and service/web/. Models are loaded once in the lifespan hook; every request reuses the
same Archive. Heavy work (embedding) is serialised by one lock: on an office server, parallel checks
would only slow each other.
"""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from indexing.archive import Archive
from indexing.config import Settings
from service import api, web
from service.auth import DEMO_USERS, SessionSigner, load_secret
from service.db import ServiceDB
from service.errors import install_error_handlers
from service.jobs import ImportJobs
from service.limits import CheckSlots, SlidingWindow
from service.middleware import EdgeMiddleware

log = logging.getLogger(__name__)

SERVICE_DIR = Path(__file__).resolve().parent


def create_app(settings: Settings, archive: Archive | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        db = ServiceDB(settings.service_db)
        db.fail_unfinished_rounds()
        app.state.db = db
        app.state.signer = SessionSigner(load_secret(settings.secret_file), settings.session_hours * 3600)
        app.state.archive = archive or Archive(settings)
        app.state.archive.preload()  # the embedder and the FAISS index now, not on the first request
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
    app.state.imports = ImportJobs()
    app.state.check_rate = SlidingWindow(settings.check_rate_per_minute)
    app.state.login_failures = SlidingWindow(settings.login_failures_per_minute)
    app.state.check_slots = CheckSlots(settings.max_concurrent_checks, settings.check_wait_seconds)
    # One extra MB leaves room for the multipart framing and form fields around the files.
    app.add_middleware(EdgeMiddleware, max_body_bytes=(settings.max_upload_mb + 1) << 20,
                       max_bulk_body_bytes=(settings.max_upload_mb * settings.max_round_files + 1) << 20)
    app.mount("/static", StaticFiles(directory=SERVICE_DIR / "static"), name="static")
    install_error_handlers(app)
    for router in api.routers + web.routers:
        app.include_router(router)
    return app


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000, demo: bool = False) -> None:
    import uvicorn

    # The core's own log lines (index rebuilds, stored documents, model builds) beside uvicorn's.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if demo:
        settings = settings.model_copy(update={"demo": True})
        print("BẢN DÙNG THỬ — mã truy cập để đăng nhập:")
        for name, role, token in DEMO_USERS:
            print(f"  {name:18} ({role:8}): {token}")
    print(f"Mở trình duyệt tại http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
