"""The HTTP API and web pages on real files, a real (small) archive and the real embedding model."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.render_documents import make_docx, make_pdf, make_txt
from tests.helpers import auth, poll

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
ARCHIVE_FILES = ("ghep-cai-tao-hong-khong-hat.md", "tram-y-te-zalo-tang-huyet-ap.md", "toan4-phan-so-bang-giay.md")
ADMIN, REVIEWER, AUTHOR = "dungthu-quantri", "dungthu-hoidong", "dungthu-tacgia"

ORIGINAL_ITEMS = [
    ("heading", 1, "BÁO CÁO MÔ TẢ SÁNG KIẾN"),
    ("para", "Tên sáng kiến: Sổ tay điện tử theo dõi đọc sách của học sinh lớp 5 tại Trường Tiểu học Hòa Bình."),
    ("heading", 2, "1. Lý do chọn sáng kiến"),
    ("para", "Học sinh lớp 5 ít đọc sách ngoài giờ, thư viện trường có nhiều đầu sách nhưng lượt mượn rất thấp. "
             "Giáo viên chủ nhiệm không nắm được em nào đọc, đọc gì và đọc bao lâu."),
    ("heading", 2, "2. Nội dung giải pháp"),
    ("para", "Mỗi em có một trang trong sổ tay điện tử trên máy tính bảng của lớp, ghi tên sách, số trang đã đọc "
             "và một câu cảm nhận ngắn. Cuối tuần, lớp bình chọn câu cảm nhận hay nhất và dán lên góc đọc sách."),
    ("heading", 2, "3. Hiệu quả đạt được"),
    ("para", "Sau một học kỳ, lượt mượn sách của hai lớp 5A và 5B tăng từ 46 lên 131 lượt; 38 trên 42 em "
             "ghi sổ tay đều đặn mỗi tuần, theo thống kê của thư viện nhà trường."),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory, embedder):
    if not all((DEMO / "archive" / name).exists() for name in ARCHIVE_FILES):
        pytest.skip("data/demo is not present")
    from indexing.archive import Archive
    from indexing.config import Settings
    from indexing.store import DocMeta
    from service.app import create_app

    data_dir = tmp_path_factory.mktemp("service")
    settings = Settings(data_dir=data_dir, demo=True, max_upload_mb=1, max_round_files=5)
    archive = Archive(settings, embedder=embedder)
    for n, name in enumerate(ARCHIVE_FILES):
        archive.add_file(DEMO / "archive" / name, DocMeta(year=2020 + n, field="Thử nghiệm"))
    app = create_app(settings, archive)
    with TestClient(app) as client:
        other_author = app.state.db.add_user("tacgia-khac", "author")
        yield {"client": client, "archive": archive, "settings": settings, "files": tmp_path_factory.mktemp("files"),
               "other_author": other_author}


def test_health_is_public_and_counts_the_archive(env):
    body = env["client"].get("/api/health").json()
    assert body == {"status": "ok", "documents": 3, "demo": True}


PROTECTED = [
    ("post", "/api/check"), ("get", "/api/reports"), ("get", "/api/reports/abc"), ("get", "/api/documents"),
    ("post", "/api/documents"), ("get", "/api/documents/abc"), ("get", "/api/documents/abc/similar"),
    ("patch", "/api/documents/abc"), ("delete", "/api/documents/abc"), ("get", "/api/search?q=x"),
    ("post", "/api/rounds"), ("get", "/api/rounds"), ("get", "/api/rounds/abc"), ("post", "/api/imports"),
    ("get", "/api/documents/abc/original"), ("post", "/api/documents/abc/compare/def"),
]


@pytest.mark.parametrize("method,path", PROTECTED)
def test_unauthenticated_requests_get_a_vietnamese_401(env, method, path):
    response = getattr(env["client"], method)(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "đăng nhập" in response.json()["error"]["message"]
    bad_token = getattr(env["client"], method)(path, headers=auth("sai-ma"))
    assert bad_token.status_code == 401 and "không hợp lệ" in bad_token.json()["error"]["message"]


FORBIDDEN = {
    AUTHOR: [("get", "/api/documents"), ("get", "/api/documents/abc"), ("get", "/api/documents/abc/similar"),
             ("get", "/api/search?q=x"), ("get", "/api/rounds"), ("get", "/api/rounds/abc"), ("post", "/api/rounds"),
             ("post", "/api/documents"), ("delete", "/api/documents/abc"), ("patch", "/api/documents/abc"),
             ("post", "/api/imports"), ("get", "/api/documents/abc/original"),
             ("post", "/api/documents/abc/compare/def")],
    REVIEWER: [("post", "/api/documents"), ("delete", "/api/documents/abc"), ("patch", "/api/documents/abc"),
               ("post", "/api/rounds"), ("post", "/api/imports"), ("get", "/api/imports/abc")],
}


@pytest.mark.parametrize("token,method,path", [(t, m, p) for t, calls in FORBIDDEN.items() for m, p in calls])
def test_roles_are_enforced(env, token, method, path):
    response = getattr(env["client"], method)(path, headers=auth(token))
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "forbidden",
                                        "message": "Tài khoản của bạn không có quyền thực hiện thao tác này."}


def test_reviewer_reads_the_archive(env):
    client = env["client"]
    listing = client.get("/api/documents", headers=auth(REVIEWER)).json()
    assert listing["total"] == 3
    doc_id = listing["documents"][0]["doc_id"]
    doc = client.get(f"/api/documents/{doc_id}", headers=auth(REVIEWER)).json()
    assert doc["sections"] and doc["text"]
    similar = client.get(f"/api/documents/{doc_id}/similar", headers=auth(REVIEWER)).json()["similar"]
    assert {s["doc_id"] for s in similar} <= {d["doc_id"] for d in listing["documents"]} - {doc_id}
    assert all(s["verdict"] in ("duplicate", "partial", "related") for s in similar)
    page = client.get("/api/search", params={"q": "tang huyet ap Zalo"}, headers=auth(REVIEWER)).json()
    assert page["understood_as"] == "tăng huyết áp Zalo" and page["total"] >= 1
    hit = page["hits"][0]
    assert "huyết áp" in hit["title"] and hit["relevance"] in ("high", "medium", "low")
    marked = {s["text"][a:b].casefold() for s in hit["snippets"] for a, b in s["highlights"]}
    assert "huyết áp" in marked and marked <= {"tăng", "huyết áp", "zalo"}  # whole words, never "huyết" alone
    empty = client.get("/api/search", params={"q": "xyzabc không tồn tại"}, headers=auth(REVIEWER)).json()
    assert empty["total"] == 0 and empty["hits"] == []
    assert client.get("/api/search", params={"q": "huyết áp", "level": "xã hội"},
                      headers=auth(REVIEWER)).status_code == 400
    assert client.get("/api/search", params={"q": "huyết áp", "per_page": 500},
                      headers=auth(REVIEWER)).status_code == 422
    original = client.get(f"/api/documents/{doc_id}/original", headers=auth(REVIEWER))
    assert original.status_code == 200 and original.content == (DEMO / "archive" / doc["filename"]).read_bytes()
    assert doc["filename"] in original.headers["content-disposition"]
    assert client.get("/api/documents/khongtontai/original", headers=auth(REVIEWER)).status_code == 404
    other = listing["documents"][1]["doc_id"]
    pair = client.post(f"/api/documents/{doc_id}/compare/{other}", headers=auth(ADMIN)).json()
    assert pair["mode"] == "pair" and pair["report_id"] and pair["similarity"]["verdict"] in (
        "duplicate", "partial", "original")
    by_year = client.get("/api/documents", params={"year": 2021}, headers=auth(REVIEWER)).json()
    assert by_year["total"] == 1 and by_year["documents"][0]["year"] == 2021


def test_check_docx_report_is_private_to_its_author(env):
    client, archive = env["client"], env["archive"]
    path = make_docx(env["files"] / "doc-sach.docx", ORIGINAL_ITEMS)
    with open(path, "rb") as fh:
        response = client.post("/api/check", files={"file": ("doc-sach.docx", fh)}, headers=auth(AUTHOR))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["similarity"]["verdict"] == "original"
    assert {"document", "similarity", "evidence"} <= set(report)
    assert archive.store.count_documents() == 3  # a check never stores the submission
    assert not any((Path(env["settings"].data_dir) / "uploads").iterdir())  # the temp copy is gone

    report_id = report["report_id"]
    mine = client.get(f"/api/reports/{report_id}", headers=auth(AUTHOR))
    assert mine.status_code == 200 and mine.json()["filename"] == "doc-sach.docx"
    assert [r["id"] for r in client.get("/api/reports", headers=auth(AUTHOR)).json()["reports"]] == [report_id]
    for stranger in (env["other_author"], REVIEWER):
        assert client.get(f"/api/reports/{report_id}", headers=auth(stranger)).status_code == 404
        assert client.get("/api/reports", headers=auth(stranger)).json()["total"] == 0
    assert client.get(f"/api/reports/{report_id}", headers=auth(ADMIN)).status_code == 200
    pdf = client.get(f"/api/reports/{report_id}/pdf", headers=auth(AUTHOR))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/reports/{report_id}/pdf", headers=auth(env["other_author"])).status_code == 404


def test_check_pdf_copy_of_an_archive_document_is_flagged(env):
    client, archive = env["client"], env["archive"]
    docs, _ = archive.store.list_documents(q="huyết áp")
    source = archive.store.get_document(docs[0].id)
    items = [("para", line) for line in source.text.splitlines() if line.strip()]
    path = make_pdf(env["files"] / "ban-sao.pdf", items)
    with open(path, "rb") as fh:
        report = client.post("/api/check", files={"file": ("ban-sao.pdf", fh)}, headers=auth(REVIEWER)).json()
    assert report["similarity"]["verdict"] == "duplicate"
    top = report["similarity"]["sources"][0]
    assert top["doc_id"] == source.id and top["matches"]
    assert {m["kind"] for m in top["matches"]} & {"verbatim", "near_verbatim"}


def schema_keys_match(value, schema: dict, components: dict, where: str = "$") -> None:
    """Every object in `value` has exactly the properties its (resolved) OpenAPI schema names."""
    while "$ref" in schema or "anyOf" in schema:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        else:  # Optional[X]: the non-null alternative describes the value when there is one
            options = [o for o in schema["anyOf"] if o.get("type") != "null"]
            if value is None or not options:
                return
            schema = options[0]
    if isinstance(value, dict) and "properties" in schema:
        assert set(value) == set(schema["properties"]), where
        for key, item in value.items():
            schema_keys_match(item, schema["properties"][key], components, f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            schema_keys_match(item, schema["items"], components, f"{where}[{n}]")


def test_check_json_is_described_by_the_published_schema(env):
    client, archive = env["client"], env["archive"]
    openapi = client.get("/openapi.json").json()
    components = openapi["components"]["schemas"]
    check = openapi["paths"]["/api/check"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"document", "similarity", "evidence", "report_id"} <= set(components[check["$ref"].rsplit("/", 1)[-1]]["properties"])
    docs, _ = archive.store.list_documents(q="huyết áp")
    items = [("para", line) for line in archive.store.get_document(docs[0].id).text.splitlines() if line.strip()]
    path = make_txt(env["files"] / "ban-sao-schema.txt", "\n".join(text for _, text in items))
    with open(path, "rb") as fh:
        report = client.post("/api/check", files={"file": ("ban-sao.txt", fh)}, headers=auth(REVIEWER)).json()
    assert report["similarity"]["sources"] and report["similarity"]["sources"][0]["matches"]  # nested objects seen
    schema_keys_match(report, check, components)
    saved = openapi["paths"]["/api/reports/{report_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    schema_keys_match(client.get(f"/api/reports/{report['report_id']}", headers=auth(REVIEWER)).json(),
                      saved["schema"], components)


@pytest.mark.parametrize("name,content,status,code", [
    ("rong.docx", b"", 400, "invalid_input"),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, 415, "unsupported_format"),
    ("gia-mao.pdf", "Đây không phải tệp PDF".encode(), None, None),
    ("qua-lon.txt", "Nội dung sáng kiến rất dài. ".encode() * 50_000, 413, "too_large"),
])
def test_bad_uploads_get_the_error_shape(env, name, content, status, code):
    response = env["client"].post("/api/check", files={"file": (name, content)}, headers=auth(AUTHOR))
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if status:
        assert (response.status_code, body["error"]["code"]) == (status, code)
    else:
        assert 400 <= response.status_code < 500
    assert any(ch in body["error"]["message"] for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


def test_validation_and_routing_errors_are_in_vietnamese(env):
    client = env["client"]
    missing = client.post("/api/check", headers=auth(AUTHOR))
    assert missing.status_code == 422 and missing.json()["error"]["message"] == "Dữ liệu gửi lên không hợp lệ: thiếu tệp."
    bad_year = client.get("/api/documents", params={"year": "năm ngoái"}, headers=auth(REVIEWER))
    assert bad_year.status_code == 422 and "năm" in bad_year.json()["error"]["message"]
    assert client.get("/api/khong-co").json()["error"]["code"] == "not_found"
    assert client.put("/api/health").json()["error"]["code"] == "method_not_allowed"
    missing_doc = client.get("/api/documents/khong-co", headers=auth(REVIEWER))
    assert missing_doc.status_code == 404 and "Không tìm thấy sáng kiến" in missing_doc.json()["error"]["message"]


def test_admin_adds_edits_and_deletes_a_document(env):
    client, archive = env["client"], env["archive"]
    path = make_txt(env["files"] / "sang-kien-moi.txt", "\n".join(
        item[-1] for item in ORIGINAL_ITEMS if item[0] in ("heading", "para")))
    with open(path, "rb") as fh:
        added = client.post("/api/documents", files={"file": ("sang-kien-moi.txt", fh)}, headers=auth(ADMIN),
                            data={"title": "Sổ tay đọc sách", "year": "2024", "unit": "Trường Tiểu học Hòa Bình",
                                  "field": "Giáo dục tiểu học", "level": "huyện"})
    assert added.status_code == 201, added.text
    doc_id = added.json()["doc_id"]
    doc = client.get(f"/api/documents/{doc_id}", headers=auth(REVIEWER)).json()
    assert (doc["title"], doc["year"], doc["level"]) == ("Sổ tay đọc sách", 2024, "huyện")

    patched = client.patch(f"/api/documents/{doc_id}", json={"title": "Sổ tay đọc sách điện tử", "year": 2023},
                           headers=auth(ADMIN))
    assert patched.status_code == 200 and patched.json()["title"] == "Sổ tay đọc sách điện tử"
    assert client.patch(f"/api/documents/{doc_id}", json={"level": "vũ trụ"}, headers=auth(ADMIN)).status_code == 400

    assert client.delete(f"/api/documents/{doc_id}", headers=auth(ADMIN)).json() == {"deleted": doc_id}
    assert client.get(f"/api/documents/{doc_id}", headers=auth(ADMIN)).status_code == 404
    assert archive.store.count_documents() == 3


def test_import_with_metadata_csv(env):
    client, archive = env["client"], env["archive"]
    first = make_txt(env["files"] / "mot.txt", "\n".join(i[-1] for i in ORIGINAL_ITEMS if i[0] != "table"))
    csv = "path,title,year,unit,field\nmot.txt,Sổ tay đọc sách lớp 5,2022,Trường Tiểu học Hòa Bình,Giáo dục\n"
    files = [("files", ("mot.txt", first.read_bytes())), ("files", ("hai.txt", b"")),
             ("manifest", ("danh-sach.csv", csv.encode("utf-8")))]
    started = client.post("/api/imports", files=files, headers=auth(ADMIN))
    assert started.status_code == 400 and "rỗng" in started.json()["error"]["message"]  # nothing half-imported

    started = client.post("/api/imports", files=files[:1] + files[2:], headers=auth(ADMIN))
    assert started.status_code == 202
    job = poll(client, f"/api/imports/{started.json()['id']}", auth(ADMIN))
    assert job["done"] == job["total"] == 1
    result = job["results"][0]
    assert result["created"] and result["title"] == "Sổ tay đọc sách lớp 5" and result["error"] is None
    stored = archive.store.get_document(result["doc_id"])
    assert (stored.year, stored.unit) == (2022, "Trường Tiểu học Hòa Bình")
    client.delete(f"/api/documents/{result['doc_id']}", headers=auth(ADMIN))


def test_review_round_compares_submissions_with_each_other(env):
    client = env["client"]
    copied = (DEMO / "submissions" / "partial_copy.md").read_bytes()
    own = make_docx(env["files"] / "rieng.docx", ORIGINAL_ITEMS).read_bytes()
    files = [("files", ("ho-so-1.md", copied)), ("files", ("ho-so-2.txt", copied)), ("files", ("ho-so-3.docx", own))]
    started = client.post("/api/rounds", data={"name": "Đợt xét năm 2025"}, files=files, headers=auth(ADMIN))
    assert started.status_code == 202, started.text
    round_ = poll(client, f"/api/rounds/{started.json()['id']}", auth(REVIEWER))
    assert round_["status"] == "done" and round_["done"] == 3
    ranked = round_["results"]
    assert [r["filename"] for r in ranked][-1] == "ho-so-3.docx"  # the original one ranks last
    top = ranked[0]
    assert top["verdict"] == "duplicate" and top["peers"][0]["verdict"] == "duplicate"
    assert {top["filename"], top["peers"][0]["filename"]} == {"ho-so-1.md", "ho-so-2.txt"}
    assert top["archive"]["verdict"] in ("partial", "duplicate")
    # reviewers open a round submission's full report, authors cannot
    assert client.get(f"/api/reports/{top['report_id']}", headers=auth(REVIEWER)).status_code == 200
    assert client.get(f"/api/reports/{top['report_id']}", headers=auth(AUTHOR)).status_code == 404
    assert started.json()["id"] in [r["id"] for r in client.get("/api/rounds", headers=auth(REVIEWER)).json()["rounds"]]


def test_web_login_session_and_csrf(env, embedder):
    from service.app import create_app

    client = TestClient(create_app(env["settings"], env["archive"]))
    with client:
        assert client.get("/check", follow_redirects=False).headers["location"] == "/login?next=/check"
        page = client.get("/login")
        assert page.status_code == 200 and "BẢN DÙNG THỬ" in page.text
        for header in ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"):
            assert header in page.headers
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        csrf = client.cookies.get("sangkien_csrf")
        assert csrf and f'content="{csrf}"' in page.text

        no_csrf = client.post("/login", data={"token": AUTHOR, "next": "/check"}, follow_redirects=False)
        assert no_csrf.status_code == 403
        wrong = client.post("/login", data={"token": "sai", "csrf_token": csrf}, follow_redirects=False)
        assert wrong.status_code == 401 and "Mã truy cập không đúng" in wrong.text
        ok = client.post("/login", data={"token": AUTHOR, "next": "//evil.example", "csrf_token": csrf},
                         follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()

        check = client.get("/check")
        assert "Kiểm tra bản mô tả sáng kiến" in check.text and "Kho sáng kiến" not in check.text  # author's nav
        assert client.get("/documents").status_code == 403
        upload = {"file": ("a.txt", "Nội dung thử".encode())}
        assert client.post("/api/check", files=upload).status_code == 403  # session without the CSRF header
        assert client.post("/api/check", files=upload, headers={"X-CSRF-Token": csrf}).status_code == 200
        assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303


def test_web_pages_render_for_an_admin(env):
    client, archive = env["client"], env["archive"]
    csrf = client.get("/login") and client.cookies.get("sangkien_csrf")
    client.post("/login", data={"token": ADMIN, "csrf_token": csrf})
    with open(DEMO / "submissions" / "partial_copy.md", "rb") as fh:
        report_id = client.post("/api/check", files={"file": ("partial_copy.md", fh)},
                                headers={"X-CSRF-Token": csrf}).json()["report_id"]
    page = client.get(f"/reports/{report_id}")
    assert page.status_code == 200
    assert "Mức tương đồng với kho sáng kiến" in page.text and "Trùng lặp một phần" in page.text
    assert 'class="pair match kind-' in page.text and "<mark>" in page.text
    assert "đạo văn" not in page.text.lower()
    doc_id = archive.store.list_documents(limit=1)[0][0].id
    for path in ("/reports", "/search?q=ghép+cành", "/documents", f"/documents/{doc_id}", "/admin/import", "/rounds",
                 f"/documents/{doc_id}/delete"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<html lang=\"vi\">" in response.text
    found = client.get("/search?q=ghep+canh")
    assert "<mark>" in found.text and "Đã hiểu là: “ghép cành”" in found.text and "Phù hợp" in found.text
    nothing = client.get("/search?q=xyzabc+kh%C3%B4ng+t%E1%BB%93n+t%E1%BA%A1i")
    assert "Không tìm thấy sáng kiến nào" in nothing.text and "Gợi ý" in nothing.text
    page = client.get(f"/documents/{doc_id}").text
    assert f'href="/documents/{doc_id}/original"' in page and "So sánh với sáng kiến khác" in page
    assert client.get(f"/documents/{doc_id}/original").status_code == 200
    other = archive.store.list_documents(limit=2)[0][1].id
    compared = client.post(f"/documents/{doc_id}/compare", data={"other": other, "csrf_token": csrf},
                           follow_redirects=False)
    assert compared.status_code == 303 and compared.headers["location"].startswith("/reports/")
    assert client.get(compared.headers["location"]).status_code == 200
    edited = client.post(f"/documents/{doc_id}/edit", data={"title": "Tên đã sửa", "year": "2019", "csrf_token": csrf},
                         follow_redirects=False)
    assert edited.status_code == 303 and archive.store.get_document(doc_id).title == "Tên đã sửa"
    assert client.post(f"/documents/{doc_id}/delete", data={}).status_code == 403  # no CSRF token, nothing deleted
    assert archive.store.count_documents() == 3


def test_sources_are_marked_by_unit_level_and_date_and_can_be_filtered(env):
    """The law's test is novelty within the unit: a reviewer sees which sources come from the
    author's own unit, which are dated after the submission (so cannot be its origin)."""
    client, archive = env["client"], env["archive"]
    docs, _ = archive.store.list_documents(q="huyết áp")
    source = archive.store.get_document(docs[0].id)
    path = make_txt(env["files"] / "ban-sao-don-vi.txt", source.text)
    form = {"unit": "TYT xã Tân Thành", "year": "2019"}  # the archive copy is dated 2021 (test DocMeta)
    with open(path, "rb") as fh:
        report = client.post("/api/check", files={"file": ("ban-sao.txt", fh)}, data=form, headers=auth(REVIEWER)).json()
    top = report["similarity"]["sources"][0]
    assert top["doc_id"] == source.id and top["same_unit"] and top["after_submission"]
    assert report["document"]["unit"] == "TYT xã Tân Thành" and report["document"]["year"] == 2019
    page = client.get(f"/reports/{report['report_id']}?nguon=cung-don-vi", headers=auth(REVIEWER)).text
    assert "Cùng đơn vị với bản mô tả" in page and "không thể là nguồn của bản mô tả" in page
    filtered = client.get(f"/reports/{report['report_id']}?nguon=co-truoc", headers=auth(REVIEWER)).text
    assert "Không có nguồn nào khớp bộ lọc này." in filtered
    bad = client.post("/api/check", files={"file": ("x.txt", b"abc")}, data={"year": "hai nghin"},
                      headers=auth(REVIEWER))
    assert bad.status_code == 400 and "Năm không hợp lệ" in bad.json()["error"]["message"]


def test_compare_two_files_side_by_side_without_storing_either(env):
    client, archive = env["client"], env["archive"]
    docs, _ = archive.store.list_documents()
    original = archive.store.get_document(docs[0].id).text
    first = make_txt(env["files"] / "so-sanh-a.txt", original)
    second = make_docx(env["files"] / "so-sanh-b.docx", [("para", line) for line in original.splitlines() if line.strip()])
    files = lambda: {"file": ("a.txt", open(first, "rb")), "other": ("b.docx", open(second, "rb"))}  # noqa: E731
    assert client.post("/api/compare", files=files(), headers=auth(AUTHOR)).status_code == 403
    before = archive.store.count_documents()
    response = client.post("/api/compare", files=files(), headers=auth(REVIEWER))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["mode"] == "pair" and report["similarity"]["verdict"] == "duplicate"
    assert len(report["similarity"]["sources"]) == 1 and report["similarity"]["sources"][0]["matches"]
    assert archive.store.count_documents() == before
    page = client.get(f"/reports/{report['report_id']}", headers=auth(REVIEWER)).text
    assert "Văn bản được so sánh" in page and "a.txt ↔ b.docx" in page
    assert "So sánh hai văn bản" in client.get("/compare", headers=auth(REVIEWER)).text
