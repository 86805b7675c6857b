"""The web UI in a real headless Chromium against the real service (uvicorn, real model, demo archive).

Set SANGKIEN_SCREENSHOTS=<folder> (e.g. bench/out/screens) to also save screenshots of every page at
1366×900 and at 1024 px wide, for a human to look at.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from bench.render_documents import make_docx

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENS = os.environ.get("SANGKIEN_SCREENSHOTS")
WAIT_S = 240

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def test_docs_page_references_only_local_assets(tmp_path):
    """Swagger UI must come from the service itself: office networks often have no internet."""
    from fastapi.testclient import TestClient

    from indexing.config import Settings
    from service.app import create_app

    client = TestClient(create_app(Settings(data_dir=tmp_path)))  # no lifespan: /docs needs no model
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
    assert len(urls) >= 3 and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    policy = page.headers["content-security-policy"]
    assert "http" not in policy and "cdn" not in policy


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder):
    """The real app on a free local port, with the demo archive and one user per role."""
    import uvicorn

    from indexing.archive import Archive
    from indexing.config import Settings
    from service.app import create_app
    from service.cli import load_demo_archive
    from service.db import ServiceDB

    if not (DEMO / "manifest.csv").exists():
        pytest.skip("data/demo is not present")
    data_dir = tmp_path_factory.mktemp("browser-service")
    settings = Settings(data_dir=data_dir, demo=True, demo_dir=DEMO, max_round_files=5)
    archive = Archive(settings, embedder=embedder)
    load_demo_archive(archive)
    db = ServiceDB(data_dir / "service.sqlite3")
    tokens = {role: db.add_user(name, role) for name, role in
              (("Nguyễn Thị Quản Trị", "admin"), ("Trần Văn Hội Đồng", "reviewer"), ("Lê Thị Tác Giả", "author"))}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(settings, archive), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not uv.started:
        assert thread.is_alive() and time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "tokens": tokens}
    uv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium / chromium-driver are not installed (apt-get install chromium chromium-driver)")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--lang=vi", "--window-size=1366,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def login(driver, server, role):
    driver.delete_all_cookies()
    driver.get(server["url"] + "/login")
    driver.find_element(By.ID, "token").send_keys(server["tokens"][role])
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


def wait_for(driver, selector, timeout=WAIT_S):
    return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)))


def text_of(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector).text


def no_horizontal_overflow(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def screenshot(driver, name):
    """Viewport shots on a desktop, a small laptop and a phone, plus the whole page at full width,
    when SANGKIEN_SCREENSHOTS is set."""
    if not SCREENS:
        return
    folder = Path(SCREENS)
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1366, 1024, 390):
        driver.set_window_size(width, 900)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(folder / f"{name}-{width}.png"))
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, min(height + 140, 6000))
    driver.save_screenshot(str(folder / f"{name}-full.png"))
    driver.set_window_size(1366, 900)


def test_login_rejects_a_wrong_token_in_vietnamese(server, browser):
    browser.delete_all_cookies()
    browser.get(server["url"] + "/check")
    assert "/login" in browser.current_url
    assert "BẢN DÙNG THỬ" in text_of(browser, ".demo-banner")
    screenshot(browser, "01-login")
    browser.find_element(By.ID, "token").send_keys("sai-ma-truy-cap")
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    assert "Mã truy cập không đúng" in wait_for(browser, ".alert-error").text


def test_author_checks_a_reworded_copy_and_reads_the_report(server, browser, tmp_path):
    login(browser, server, "author")
    assert browser.current_url.endswith("/check")
    nav = text_of(browser, ".nav")
    assert "Kiểm tra sáng kiến" in nav and "Kho sáng kiến" not in nav  # authors do not see the archive
    screenshot(browser, "02-check")

    source = (DEMO / "submissions" / "dup_reworded.md").read_text(encoding="utf-8")
    body = source.split("---", 2)[2]  # drop the front matter: a DOCX has no such block
    items = [("para", line.strip()) for line in body.splitlines() if line.strip()]
    upload = make_docx(tmp_path / "bản mô tả sáng kiến.docx", items)
    browser.find_element(By.ID, "file").send_keys(str(upload))
    browser.find_element(By.CSS_SELECTOR, "#check-form button[type=submit]").click()
    assert browser.find_element(By.ID, "progress").is_displayed()

    verdict = wait_for(browser, ".verdict-text").text
    assert re.search(r"/reports/[\w-]+$", browser.current_url)
    assert verdict == "Có dấu hiệu trùng lặp"
    score = int(text_of(browser, ".summary .score").rstrip("%"))
    assert score >= 30
    assert "phân số" in text_of(browser, "#source-1 h2")

    # Matched passages side by side: the submission on the left, the archive on the right,
    # with the carried-over words highlighted on both sides.
    first = browser.find_element(By.CSS_SELECTOR, "#source-1 .match")
    left, right = first.find_elements(By.CSS_SELECTOR, ".side")
    assert left.location["y"] == right.location["y"] and left.location["x"] < right.location["x"]
    assert left.find_elements(By.TAG_NAME, "mark") and right.find_elements(By.TAG_NAME, "mark")
    kinds = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".match .pair-foot .kind")}
    assert kinds and kinds <= {"Trùng nguyên văn", "Gần nguyên văn", "Diễn đạt lại"}
    legend = text_of(browser, ".legend")
    assert all(k in legend for k in ("Trùng nguyên văn", "Gần nguyên văn", "Diễn đạt lại"))

    # The "next passage" button walks through the matches.
    browser.find_element(By.CSS_SELECTOR, "[data-action='next-match']").click()
    assert text_of(browser, "#match-pos").startswith("1/")
    assert browser.find_elements(By.CSS_SELECTOR, ".match.current")

    rows = browser.find_elements(By.CSS_SELECTOR, "table.evidence tbody tr")
    assert rows
    statuses = {r.find_element(By.CSS_SELECTOR, ".badge").text for r in rows}
    assert statuses and statuses <= {"Có minh chứng", "Minh chứng yếu", "Thiếu minh chứng"}
    assert any(r.find_elements(By.CSS_SELECTOR, "td.suggestions li") for r in rows)
    assert no_horizontal_overflow(browser)
    screenshot(browser, "03-report")

    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, ".topbar").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, ".match-nav").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".print-header").is_displayed()
        screenshot(browser, "04-report-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    browser.get(server["url"] + "/reports")
    assert "Có dấu hiệu trùng lặp" in text_of(browser, "table.table tbody")
    screenshot(browser, "05-reports")


def test_reviewer_search_highlights_the_query(server, browser):
    login(browser, server, "reviewer")
    browser.get(server["url"] + "/search")
    assert "Nhập nội dung" in text_of(browser, "main")  # an empty state, not a blank page
    query = browser.find_element(By.ID, "q")
    query.send_keys("nhắc lịch tái khám tăng huyết áp qua Zalo")
    query.submit()
    first = wait_for(browser, "article.hit")
    assert "Zalo" in first.find_element(By.TAG_NAME, "h2").text
    marks = [m.text.casefold() for m in browser.find_elements(By.CSS_SELECTOR, "article.hit mark")]
    assert any(word in " ".join(marks) for word in ("zalo", "tái khám", "huyết áp"))
    assert no_horizontal_overflow(browser)
    screenshot(browser, "06-search")

    assert "Phù hợp" in text_of(browser, "article.hit .relevance")

    # Typed on a phone without diacritics: the same initiative, and what was understood is shown.
    browser.set_window_size(390, 844)
    browser.get(server["url"] + "/search?q=nhac+lich+tai+kham+qua+zalo")
    assert "Zalo" in wait_for(browser, "article.hit").find_element(By.TAG_NAME, "h2").text
    assert "nhắc lịch tái khám" in text_of(browser, ".search-understood")
    assert no_horizontal_overflow(browser)
    browser.get(server["url"] + "/search?q=nu%C3%B4i+t%C3%B4m+th%E1%BA%BB+ch%C3%A2n+tr%E1%BA%AFng")
    assert "Không tìm thấy sáng kiến nào" in wait_for(browser, ".not-found").text
    assert not browser.find_elements(By.CSS_SELECTOR, "article.hit")
    screenshot(browser, "06-search-nothing")
    browser.set_window_size(1366, 900)

    browser.get(server["url"] + "/search?q=nh%E1%BA%AFc+l%E1%BB%8Bch+t%C3%A1i+kh%C3%A1m+qua+Zalo")
    wait_for(browser, "article.hit h2 a").click()
    wait_for(browser, ".meta")
    assert browser.find_elements(By.CSS_SELECTOR, "details summary")
    assert "Sáng kiến tương tự" in text_of(browser, "aside")
    assert browser.find_elements(By.LINK_TEXT, "Tải tệp gốc (tram-y-te-zalo-tang-huyet-ap.md)")
    assert browser.find_elements(By.ID, "other")  # compare with another archive document
    assert not browser.find_elements(By.ID, "edit")  # reviewers read, only admins edit
    screenshot(browser, "07-document")


def test_admin_lists_the_archive_and_runs_a_review_round(server, browser, tmp_path):
    login(browser, server, "admin")
    browser.get(server["url"] + "/documents")
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.table tbody td:first-child a")]
    assert len(titles) == 8 and any("phân số" in t for t in titles)
    assert "(8)" in text_of(browser, "h1")
    assert no_horizontal_overflow(browser)
    screenshot(browser, "08-archive")

    browser.get(server["url"] + "/rounds")
    assert "Chưa có đợt xét duyệt nào" in text_of(browser, "main")
    for name in ("dup_reworded.md", "original.md"):
        shutil.copy(DEMO / "submissions" / name, tmp_path / name)
    browser.find_element(By.ID, "name").send_keys("Đợt xét sáng kiến năm học 2024–2025")
    browser.find_element(By.ID, "files").send_keys("\n".join(str(tmp_path / n) for n in ("dup_reworded.md", "original.md")))
    browser.find_element(By.CSS_SELECTOR, "#round-form button[type=submit]").click()
    # The round page reloads itself when the round finishes: an element read mid-reload is simply re-read.
    WebDriverWait(browser, WAIT_S, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "Hoàn thành" in d.find_element(By.CSS_SELECTOR, "main").text)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.table tbody tr")
    assert len(rows) == 2 and "Có dấu hiệu trùng lặp" in rows[0].text
    assert "phân số" in rows[0].find_element(By.CSS_SELECTOR, "td:nth-child(4) a").text  # the archive source
    screenshot(browser, "09-round")

    browser.get(server["url"] + "/rounds")
    assert "Hoàn thành" in text_of(browser, "table.table tbody")
    screenshot(browser, "10-rounds")
    browser.get(server["url"] + "/admin/import")
    assert "Chưa chọn tệp nào" in text_of(browser, ".dropzone")
    screenshot(browser, "11-import")


def test_api_docs_load_offline(server, browser):
    browser.get(server["url"] + "/docs")
    wait_for(browser, ".swagger-ui .opblock", timeout=30)
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])")
    assert urls and all(u.startswith(server["url"]) for u in urls), urls
    screenshot(browser, "12-docs")
