"""Service hardening: request limits, upload safety, the authorisation matrix over every route,
security headers, CSRF, and concurrent checks while an import writes to the archive."""
from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bench.render_documents import make_docx, make_pdf
from service.limits import CheckSlots, ServiceBusyError, SlidingWindow, TooManyRequestsError
from service.uploads import display_name
from tests.helpers import auth, poll

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
ARCHIVE_FILES = ("ghep-cai-tao-hong-khong-hat.md", "mam-non-rua-tay.md")
IMPORTED = ("hoa-don-dien-tu-ho-kinh-doanh.md", "mot-cua-phieu-so-thu-tu.md", "ngu-van-vong-tron-doc.md")
ADMIN, REVIEWER, AUTHOR = "dungthu-quantri", "dungthu-hoidong", "dungthu-tacgia"
CHECK_RATE = re.compile(r"Bạn đã gửi quá nhiều yêu cầu kiểm tra; vui lòng thử lại sau (\d+) giây\.")


def submission(n: int) -> bytes:
    """A short, valid initiative description; `n` makes each one a distinct document."""
    return (
        f"BÁO CÁO MÔ TẢ SÁNG KIẾN SỐ {n}\n"
        f"Tên sáng kiến: Tủ sách lưu động số {n} cho học sinh lớp {n % 5 + 1} ở điểm trường bản Nà Hẩu.\n"
        "1. Lý do chọn sáng kiến\n"
        "Điểm trường cách thư viện trung tâm gần chín cây số đường đèo, học sinh hầu như không được mượn sách.\n"
        "2. Nội dung giải pháp\n"
        f"Mỗi thứ Hai, giáo viên mang {12 + n} cuốn sách bằng xe máy lên điểm trường, đặt trong thùng gỗ có khóa; "
        "lớp trưởng ghi sổ mượn trả và nhắc các bạn đọc xong thì kể lại cho cả lớp nghe.\n"
        "3. Hiệu quả đạt được\n"
        f"Sau {n + 3} tháng, trung bình mỗi em đọc thêm hai cuốn sách một tháng, theo sổ mượn của lớp.\n"
    ).encode("utf-8")


# --- limiters, without the service ---------------------------------------------------------------
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_sliding_window_counts_per_key_and_frees_slots_as_events_age():
    clock = Clock()
    window = SlidingWindow(3, window_s=60, clock=clock)
    for _ in range(3):
        window.take("an", "chờ {seconds} giây")
        clock.now += 10
    with pytest.raises(TooManyRequestsError) as refused:
        window.take("an", "chờ {seconds} giây")
    assert (refused.value.retry_after, refused.value.message, refused.value.http_status) == (30, "chờ 30 giây", 429)
    window.take("binh", "chờ {seconds} giây")  # another key has its own allowance
    clock.now += 30  # the first event leaves the window, freeing exactly one slot
    window.take("an", "chờ {seconds} giây")
    with pytest.raises(TooManyRequestsError):
        window.take("an", "chờ {seconds} giây")

    failures = SlidingWindow(2, window_s=60, clock=clock)
    failures.record("10.0.0.1")
    assert failures.retry_after("10.0.0.1") == 0
    failures.record("10.0.0.1")
    assert failures.retry_after("10.0.0.1") == 60 and failures.retry_after("10.0.0.2") == 0
    off = SlidingWindow(0, clock=clock)
    for _ in range(100):
        off.take("an", "{seconds}")
        off.record("an")
    assert off.retry_after("an") == 0


def test_check_slots_turn_extra_requests_away_after_waiting():
    slots = CheckSlots(1, wait_s=0.2)
    with slots.slot():
        started = time.monotonic()
        with pytest.raises(ServiceBusyError) as busy:
            with slots.slot():
                pass
        assert time.monotonic() - started >= 0.2
    assert busy.value.http_status == 503 and busy.value.retry_after == 1
    assert busy.value.message == "Máy chủ đang bận xử lý nhiều yêu cầu kiểm tra; vui lòng thử lại sau 1 giây."
    with slots.slot():  # released on exit
        pass


@pytest.mark.parametrize("raw,shown", [
    ("../../etc/passwd.docx", "passwd.docx"),
    ("..\\..\\Windows\\x.pdf", "x.pdf"),
    ("/tmp/tuyet-doi.txt", "tuyet-doi.txt"),
    ("C:\\Users\\lan\\Sáng kiến.docx", "Sáng kiến.docx"),
    ("bao-cao\x00.pdf.txt", "bao-cao.pdf.txt"),
    ("dong\r\nmoi.md", "dongmoi.md"),
    ("..", ""),
    ("", ""),
    (None, ""),
    ("a" * 500 + ".docx", "a" * 195 + ".docx"),
])
def test_client_file_names_become_display_names_only(raw, shown):
    assert display_name(raw) == shown


# --- the running service ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder):
    if not all((DEMO / "archive" / name).exists() for name in ARCHIVE_FILES + IMPORTED):
        pytest.skip("data/demo is not present")
    from indexing.archive import Archive
    from indexing.config import Settings
    from indexing.store import DocMeta

    archive = Archive(Settings(data_dir=tmp_path_factory.mktemp("archive")), embedder=embedder)
    for name in ARCHIVE_FILES:
        archive.add_file(DEMO / "archive" / name, DocMeta(year=2021, field="Thử nghiệm"))
    return archive


@contextmanager
def service(archive, data_dir: Path, **overrides):
    from indexing.config import Settings
    from service.app import create_app

    settings = Settings(data_dir=data_dir, demo=True, max_upload_mb=1, max_round_files=5, **overrides)
    with TestClient(create_app(settings, archive)) as client:
        yield client


def login(client, token) -> str:
    client.get("/login")
    csrf = client.cookies.get("sangkien_csrf")
    assert client.post("/login", data={"token": token, "csrf_token": csrf}, follow_redirects=False).status_code == 303
    return csrf


@pytest.mark.slow
def test_checks_are_rate_limited_per_user_across_api_web_and_rounds(archive, tmp_path):
    with service(archive, tmp_path, check_rate_per_minute=2) as client:
        for n in range(2):
            ok = client.post("/api/check", files={"file": (f"sk-{n}.txt", submission(n))}, headers=auth(AUTHOR))
            assert ok.status_code == 200, ok.text
        # the web check form posts with the session cookie: same user, same allowance
        csrf = login(client, AUTHOR)
        limited = client.post("/api/check", files={"file": ("sk-2.txt", submission(2))}, headers={"X-CSRF-Token": csrf})
        assert limited.status_code == 429
        assert set(limited.json()) == {"error"} and limited.json()["error"]["code"] == "too_many_requests"
        wait = CHECK_RATE.fullmatch(limited.json()["error"]["message"])
        assert wait and 0 < int(wait[1]) <= 60 and limited.headers["retry-after"] == wait[1]
        assert client.get("/api/reports", headers=auth(AUTHOR)).json()["total"] == 2  # reading is not limited
        assert client.post("/api/check", files={"file": ("sk-3.txt", submission(3))},
                           headers=auth(REVIEWER)).status_code == 200  # another user keeps their own allowance

        rounds = []
        for n in range(2):
            started = client.post("/api/rounds", data={"name": f"Đợt {n}"}, headers=auth(ADMIN),
                                  files=[("files", (f"hs-{n}.txt", submission(10 + n)))])
            assert started.status_code == 202, started.text
            rounds.append(started.json()["id"])
        third = client.post("/api/rounds", data={"name": "Đợt 3"}, headers=auth(ADMIN),
                            files=[("files", ("hs-3.txt", submission(13)))])
        assert third.status_code == 429 and CHECK_RATE.fullmatch(third.json()["error"]["message"])
        for round_id in rounds:
            assert poll(client, f"/api/rounds/{round_id}", auth(ADMIN))["status"] == "done"


@pytest.mark.slow
def test_failed_logins_are_throttled_per_client_address(archive, tmp_path):
    with service(archive, tmp_path, login_failures_per_minute=3) as client:
        client.get("/login")
        csrf = client.cookies.get("sangkien_csrf")
        for guess in ("doan-1", "doan-2"):
            assert client.post("/login", data={"token": guess, "csrf_token": csrf}).status_code == 401
        assert client.get("/api/me", headers=auth("doan-3")).status_code == 401  # a wrong Bearer token counts too

        right = client.post("/login", data={"token": AUTHOR, "csrf_token": csrf}, follow_redirects=False)
        assert right.status_code == 429 and "sangkien_session" not in right.headers.get("set-cookie", "")
        assert "Đăng nhập sai quá nhiều lần từ địa chỉ này" in right.text and int(right.headers["retry-after"]) > 0
        api = client.get("/api/me", headers=auth(AUTHOR))
        assert api.status_code == 429 and api.json()["error"]["code"] == "too_many_requests"
        assert "thử lại sau" in api.json()["error"]["message"] and int(api.headers["retry-after"]) > 0

        elsewhere = TestClient(client.app, client=("10.20.30.40", 50000))
        assert elsewhere.get("/api/me", headers=auth(AUTHOR)).json()["role"] == "author"


@pytest.mark.slow
def test_checks_beyond_the_concurrency_bound_get_a_503(archive, tmp_path):
    with service(archive, tmp_path, max_concurrent_checks=1, check_wait_seconds=0.5) as client:
        uploads = tmp_path / "uploads"
        first = {}
        client.app.state.work_lock.acquire()  # embedding is busy: the first check holds the only slot while it waits
        try:
            worker = threading.Thread(target=lambda: first.update(response=client.post(
                "/api/check", files={"file": ("mot.txt", submission(20))}, headers=auth(AUTHOR))))
            worker.start()
            deadline = time.time() + 30
            while not (uploads.exists() and any(uploads.iterdir())) and time.time() < deadline:
                time.sleep(0.05)
            busy = client.post("/api/check", files={"file": ("hai.txt", submission(21))}, headers=auth(REVIEWER))
            assert busy.status_code == 503
            assert busy.json()["error"] == {
                "code": "busy", "message": "Máy chủ đang bận xử lý nhiều yêu cầu kiểm tra; vui lòng thử lại sau 1 giây."}
            assert busy.headers["retry-after"] == "1"
        finally:
            client.app.state.work_lock.release()
        worker.join(120)
        assert first["response"].status_code == 200, first["response"].text
        assert client.post("/api/check", files={"file": ("hai.txt", submission(21))},
                           headers=auth(REVIEWER)).status_code == 200


HOSTILE_NAMES = [
    ("../../etc/passwd.docx", "passwd.docx"),
    ("..\\..\\x.pdf", "x.pdf"),
    ("/etc/cron.d/tuyet-doi.txt", "tuyet-doi.txt"),
    ("bao-cao\x00.pdf.txt", "bao-cao.pdf.txt"),
]


BOUNDARY = "ranh-gioi-tep"


def multipart(filename: str, content: bytes) -> bytes:
    """A one-file form body with the name sent byte for byte: httpx would percent-encode a NUL."""
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'
    return head.encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.slow
def test_hostile_upload_names_are_never_used_as_paths(archive, tmp_path, monkeypatch):
    files = tmp_path / "files"
    files.mkdir()
    text = submission(30).decode()
    items = [("para", line) for line in text.splitlines()]
    contents = {".docx": make_docx(files / "a.docx", items).read_bytes(),
                ".pdf": make_pdf(files / "a.pdf", items).read_bytes(), ".txt": text.encode()}
    seen = []
    original = archive.check_file

    def spy(path, context=None):
        seen.append((path, sorted(p.name for p in path.parent.iterdir())))
        return original(path, context)

    monkeypatch.setattr(archive, "check_file", spy)
    data_dir = tmp_path / "service"
    with service(archive, data_dir) as client:
        served = [Path(m.app.directory).resolve() for m in static_mounts(client.app)]
        assert served  # the check below must look at something
        for raw, shown in HOSTILE_NAMES:
            response = client.post("/api/check", content=multipart(raw, contents[Path(shown).suffix]),
                                   headers={**auth(AUTHOR), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
            assert response.status_code == 200, (raw, response.text)
            path, folder_listing = seen[-1]
            uploads = (data_dir / "uploads").resolve()
            assert path.resolve().parent.parent == uploads and folder_listing == [path.name]
            assert re.fullmatch(r"[0-9a-f]{24}" + re.escape(Path(shown).suffix), path.name)
            assert not any(uploads.is_relative_to(root) for root in served)
            stored = client.get(f"/api/reports/{response.json()['report_id']}", headers=auth(AUTHOR)).json()
            assert stored["filename"] == shown
        assert not any((data_dir / "uploads").iterdir())  # every temporary copy is gone
        names = {Path(shown).name for _, shown in HOSTILE_NAMES}
        assert not [p for p in tmp_path.rglob("*") if p.name in names]
        assert not Path("/etc/cron.d/tuyet-doi.txt").exists()

        odd = client.post("/api/check", files={"file": ("../..", b"noi dung")}, headers=auth(AUTHOR))
        assert odd.status_code == 415 and odd.json()["error"]["code"] == "unsupported_format"


def asgi_post(app, path: str, chunks: int, chunk_size: int, declared: int | None = None):
    """POST a multipart upload straight into the ASGI app, one chunk per receive() call, and count
    how many chunks the app pulled: the test client would read the whole body up front."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lon.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()
    pulled, sent = 0, []

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled == 1:
            return {"type": "http.request", "body": head, "more_body": True}
        return {"type": "http.request", "body": b"x" * chunk_size, "more_body": pulled <= chunks}

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
               (b"authorization", f"Bearer {AUTHOR}".encode())]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": headers,
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), pulled


@pytest.mark.slow
def test_size_limit_is_enforced_while_the_body_streams(archive, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(archive, "check_file", lambda path: calls.append(path))
    with service(archive, tmp_path) as client:  # 1 MB per file: a single check may send at most 2 MB
        chunk = 256 << 10
        status, body, pulled = asgi_post(client.app, "/api/check", chunks=40, chunk_size=chunk)  # 10 MB, no length
        assert status == 413 and body["error"]["code"] == "too_large" and "2 MB" in body["error"]["message"]
        assert pulled <= (2 << 20) // chunk + 2  # stopped reading at the limit, not after 10 MB
        status, body, pulled = asgi_post(client.app, "/api/check", chunks=40, chunk_size=chunk, declared=10 << 20)
        assert (status, pulled) == (413, 0)  # an announced oversize body is refused before reading any of it
        assert not calls and not list(tmp_path.glob("uploads/*"))  # the handler never ran

        # a review round may carry several files: the same 3 MB gets past the edge to the per-file checks
        big = [("files", (f"anh-{n}.png", b"\x89PNG" + b"0" * (900 << 10))) for n in range(3)]
        through = client.post("/api/rounds", data={"name": "Đợt lớn"}, files=big, headers=auth(ADMIN))
        assert through.status_code == 415 and through.json()["error"]["code"] == "unsupported_format"
        single = client.post("/api/check", files={"file": ("lon.txt", b"x" * (3 << 20))}, headers=auth(AUTHOR))
        assert single.status_code == 413 and "2 MB" in single.json()["error"]["message"]


# --- who may call what -------------------------------------------------------------------------------
EVERYONE = {"none", "author", "reviewer", "admin"}
USERS = {"author", "reviewer", "admin"}
REVIEWERS = {"reviewer", "admin"}
ADMINS = {"admin"}
TOKENS = {"none": None, "author": AUTHOR, "reviewer": REVIEWER, "admin": ADMIN}

# Every route of the app and the roles allowed to call it; a route missing here fails the test.
RULES = {
    ("GET", "/api/health"): EVERYONE,
    ("GET", "/api/me"): USERS,
    ("POST", "/api/check"): USERS,
    ("GET", "/api/reports"): USERS,
    ("GET", "/api/reports/{report_id}"): USERS,
    ("GET", "/api/reports/{report_id}/pdf"): USERS,
    ("GET", "/api/search"): REVIEWERS,
    ("POST", "/api/compare"): REVIEWERS,
    ("GET", "/compare"): REVIEWERS,
    ("GET", "/api/documents"): REVIEWERS,
    ("GET", "/api/documents/{doc_id}"): REVIEWERS,
    ("GET", "/api/documents/{doc_id}/similar"): REVIEWERS,
    ("GET", "/api/documents/{doc_id}/original"): REVIEWERS,
    ("POST", "/api/documents/{doc_id}/compare/{other_id}"): REVIEWERS,
    ("POST", "/api/documents"): ADMINS,
    ("PATCH", "/api/documents/{doc_id}"): ADMINS,
    ("DELETE", "/api/documents/{doc_id}"): ADMINS,
    ("POST", "/api/imports"): ADMINS,
    ("GET", "/api/imports/{job_id}"): ADMINS,
    ("GET", "/api/rounds"): REVIEWERS,
    ("GET", "/api/rounds/{round_id}"): REVIEWERS,
    ("POST", "/api/rounds"): ADMINS,
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/docs"): EVERYONE,
    ("GET", "/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/"): USERS,
    ("GET", "/check"): USERS,
    ("GET", "/reports"): USERS,
    ("GET", "/reports/{report_id}"): USERS,
    ("GET", "/search"): REVIEWERS,
    ("GET", "/documents"): REVIEWERS,
    ("GET", "/documents/{doc_id}"): REVIEWERS,
    ("GET", "/documents/{doc_id}/original"): REVIEWERS,
    ("POST", "/documents/{doc_id}/compare"): REVIEWERS,
    ("POST", "/documents/{doc_id}/edit"): ADMINS,
    ("GET", "/documents/{doc_id}/delete"): ADMINS,
    ("POST", "/documents/{doc_id}/delete"): ADMINS,
    ("GET", "/admin/import"): ADMINS,
    ("GET", "/rounds"): REVIEWERS,
    ("GET", "/rounds/{round_id}"): REVIEWERS,
}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every endpoint, those of included routers too."""
    return {(method, context.path) for context in iter_route_contexts(app.routes)
            if not isinstance(context.original_route, Mount) for method in context.methods - {"HEAD"}}


def static_mounts(app) -> list[Mount]:
    return [c.original_route for c in iter_route_contexts(app.routes) if isinstance(c.original_route, Mount)]


def assert_security_headers(response):
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "same-origin"


@pytest.fixture(scope="module")
def matrix_client(archive, tmp_path_factory):
    with service(archive, tmp_path_factory.mktemp("matrix"), check_rate_per_minute=0,
                 login_failures_per_minute=0) as client:
        yield client


@pytest.mark.slow
def test_every_route_has_an_authorisation_rule(matrix_client):
    routes = app_routes(matrix_client.app)
    assert routes - set(RULES) == set(), "new route without an authorisation rule in RULES"
    assert set(RULES) - routes == set(), "RULES names a route the app no longer has"
    for mount in static_mounts(matrix_client.app):  # the only other thing served: public static files
        assert isinstance(mount.app, StaticFiles), mount.path


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_authorisation_matrix(matrix_client, role):
    client = matrix_client
    client.get("/login")
    csrf = client.cookies.get("sangkien_csrf")
    headers = auth(TOKENS[role]) if TOKENS[role] else {}
    for (method, template), allowed in sorted(RULES.items()):
        client.cookies.clear()  # no session carried from one call to the next (POST /login sets one)
        client.cookies.set("sangkien_csrf", csrf)
        url = re.sub(r"\{[^}]+\}", "khong-co", template)
        api = template.startswith("/api/")
        kwargs = {"headers": headers, "follow_redirects": False}
        if method == "GET":
            kwargs["params"] = {"q": "ghép cành"}
        elif not api:
            kwargs["data"] = {"csrf_token": csrf, "token": ADMIN}
        response = client.request(method, url, **kwargs)
        status, location = response.status_code, response.headers.get("location", "")
        where = f"{role} {method} {template} -> {status} {response.text[:200]}"
        assert_security_headers(response)
        if role in allowed:
            assert status < 500 and status not in (401, 403) and not location.startswith("/login?next="), where
        elif role == "none":
            assert (status == 401) if api else (status == 303 and location.startswith("/login?next=")), where
        else:
            assert status == 403, where
    for mount in static_mounts(client.app):
        sample = sorted(p.name for p in Path(mount.app.directory).iterdir() if p.is_file())[0]
        response = client.get(f"{mount.path}/{sample}", headers=headers)
        assert response.status_code == 200, mount.path
        assert_security_headers(response)


@pytest.mark.slow
def test_state_changing_calls_from_a_browser_session_need_the_csrf_token(matrix_client, archive):
    client = matrix_client
    client.cookies.clear()
    login(client, ADMIN)
    docs, total = archive.store.list_documents()
    doc = docs[0]
    changing = sorted(key for key in app_routes(client.app) if key[0] in STATE_CHANGING)
    assert len(changing) >= 10
    for method, template in changing:
        url = template.replace("{doc_id}", doc.id)
        if template.startswith("/api/"):
            kwargs = {"json": {"title": "Bị sửa trộm"}} if method == "PATCH" else {}
        else:
            kwargs = {"data": {"title": "Bị sửa trộm", "token": ADMIN}}
        response = client.request(method, url, follow_redirects=False, **kwargs)
        assert response.status_code == 403, (method, template, response.status_code)
        assert "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ" in response.text
    assert archive.store.count_documents() == total
    assert archive.store.get_document(doc.id).title == doc.title
    assert client.get("/api/me").json()["role"] == "admin"  # logout without the token did nothing either


# --- concurrency ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_simultaneous_checks_during_an_import_all_succeed_and_keep_the_archive_consistent(archive, tmp_path):
    from indexing.vector_index import index_consistent

    with service(archive, tmp_path, check_rate_per_minute=0) as client:
        before = archive.store.count_documents()
        files = [("files", (name, (DEMO / "archive" / name).read_bytes())) for name in IMPORTED]
        started = client.post("/api/imports", files=files, headers=auth(ADMIN))
        assert started.status_code == 202, started.text
        results = {}

        def user(n):
            token = (AUTHOR, REVIEWER, ADMIN)[n % 3]
            check = client.post("/api/check", files={"file": (f"kt-{n}.txt", submission(200 + n))}, headers=auth(token))
            search = client.get("/api/search", params={"q": "tủ sách lưu động"}, headers=auth(REVIEWER))
            results[n] = (check.status_code, search.status_code)

        users = [threading.Thread(target=user, args=(n,)) for n in range(5)]
        for thread in users:
            thread.start()
        for thread in users:
            thread.join(300)
        job = poll(client, f"/api/imports/{started.json()['id']}", auth(ADMIN))

        assert results == {n: (200, 200) for n in range(5)}
        assert job["status"] == "done" and [r["error"] for r in job["results"]] == [None] * 3
        assert all(r["created"] for r in job["results"])
        assert archive.store.count_documents() == before + 3
        assert index_consistent(archive.store, archive.index)
        copy = client.post("/api/check", headers=auth(AUTHOR),
                           files={"file": ("ban-sao.md", (DEMO / "archive" / IMPORTED[1]).read_bytes())}).json()
        assert copy["similarity"]["verdict"] == "duplicate"
        assert copy["similarity"]["sources"][0]["doc_id"] == job["results"][1]["doc_id"]
        for result in job["results"]:
            archive.delete(result["doc_id"])
        assert index_consistent(archive.store, archive.index)
