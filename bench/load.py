"""Load test of the real web service: uvicorn in a subprocess on 127.0.0.1 over a temporary data dir
holding the demo archive, N concurrent users (threads with httpx) mixing searches (most) and
checks of small documents (some) for a fixed time, then it stops by itself.

Prints throughput, p50/p95 latency per endpoint, errors (429/503 from the service's own limits are
counted apart) and the server's RSS sampled from /proc/<pid>/status over the run.

    .venv/bin/python bench/load.py [--seconds 60] [--users 20] [--check-share 0.15]

Uses SANGKIEN_MODEL when set, else the test model in .cache/test-model when built, else builds the
model once (models.builder.ensure_model).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

HOST = "127.0.0.1"  # loopback only, on purpose: this is not a tool to aim at other machines
QUERIES = [
    "ghép cành hồng không hạt", "tăng huyết áp theo dõi qua Zalo", "hóa đơn điện tử hộ kinh doanh",
    "rửa tay cho trẻ mầm non", "phiếu số thứ tự một cửa", "dạy phân số bằng giấy", "vòng tròn đọc ngữ văn",
    "nâng cao tỷ lệ tiêm chủng", "giảm thời gian chờ của người dân", "ứng dụng công nghệ thông tin",
]


def check_document(n: int) -> bytes:
    """A small submission (~1 page); `n` varies names and figures so no two are identical."""
    return (
        f"BÁO CÁO MÔ TẢ SÁNG KIẾN\nTên sáng kiến: Lịch trực nhật bằng thẻ màu cho lớp {n % 9 + 1}A.\n"
        "1. Lý do chọn sáng kiến\nViệc trực nhật của lớp hay bị quên, bàn ghế và bảng chưa được lau trước giờ học, "
        "giáo viên chủ nhiệm mất thời gian nhắc nhở vào đầu mỗi buổi.\n"
        "2. Nội dung giải pháp\nMỗi tổ nhận một thẻ màu gắn trên bảng phân công; tổ giữ thẻ làm trực nhật trong "
        f"tuần, cuối tuần chuyển thẻ cho tổ kế tiếp và tự chấm điểm theo {n % 5 + 4} tiêu chí dán cạnh bảng.\n"
        f"3. Hiệu quả đạt được\nSau {n % 7 + 2} tuần, số buổi lớp chưa trực nhật giảm từ {n % 6 + 8} xuống còn 1 buổi "
        "mỗi tháng theo sổ theo dõi của lớp.\n"
    ).encode("utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def model_path() -> str:
    if os.environ.get("SANGKIEN_MODEL"):
        return os.environ["SANGKIEN_MODEL"]
    from models.builder import is_complete

    test_model = REPO / ".cache" / "test-model"
    if is_complete(test_model):
        return str(test_model)
    from indexing.config import get_settings
    from models.builder import ensure_model

    settings = get_settings()
    ensure_model(settings)
    return str(settings.model_dir)


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def prepare(data_dir: Path, env: dict, users: int) -> list[str]:
    """Index the demo archive with the CLI (its own process, so this one stays small) and create the users."""
    manifest = REPO / "data" / "demo" / "manifest.csv"
    subprocess.run([str(Path(sys.executable).parent / "sangkien"), "index", "--manifest", str(manifest),
                    "--data-dir", str(data_dir)], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    from indexing.config import get_settings
    from service.db import ServiceDB

    db = ServiceDB(get_settings(data_dir=data_dir).service_db)
    return [db.add_user(f"tai-thu-{n:02d}", "reviewer") for n in range(users)]


def wait_ready(base: str, server: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


def run_users(base: str, tokens: list[str], seconds: float, check_share: float):
    """Each thread is one user: search or check, one request at a time, until the deadline."""
    results: list[tuple[str, int, float]] = []  # (endpoint, status, seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(n: int, token: str) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            count = 0
            while time.monotonic() < deadline:
                count += 1
                started = time.perf_counter()
                if rng.random() < check_share:
                    endpoint = "POST /api/check"
                    files = {"file": (f"sk-{n}-{count}.txt", check_document(n * 1000 + count))}
                    try:
                        status = client.post("/api/check", files=files).status_code
                    except httpx.TransportError:
                        status = 0
                else:
                    endpoint = "GET /api/search"
                    try:
                        status = client.get("/api/search", params={"q": rng.choice(QUERIES)}).status_code
                    except httpx.TransportError:
                        status = 0
                with lock:
                    results.append((endpoint, status, time.perf_counter() - started))

    threads = [threading.Thread(target=user, args=(n, token)) for n, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(results, seconds: float, users: int, samples: list[tuple[float, int]]) -> None:
    print(f"\nMachine: {platform.node()} — {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{users} users, {seconds:.0f} s, loopback {HOST}")
    total = len(results)
    print(f"Requests: {total}  throughput {total / seconds:.1f} req/s")
    print(f"{'endpoint':18} {'n':>6} {'ok':>6} {'429':>5} {'503':>5} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'max ms':>8}")
    by_endpoint = defaultdict(list)
    for endpoint, status, latency in results:
        by_endpoint[endpoint].append((status, latency))
    errors = 0
    for endpoint, rows in sorted(by_endpoint.items()):
        statuses = [s for s, _ in rows]
        ok = [latency * 1000 for s, latency in rows if 200 <= s < 300]
        failed = sum(1 for s in statuses if not (200 <= s < 300) and s not in (429, 503))
        errors += failed
        figures = (f"{percentile(ok, 50):8.0f} {percentile(ok, 95):8.0f} {max(ok):8.0f}" if ok else f"{'-':>8}" * 3)
        print(f"{endpoint:18} {len(rows):6d} {len(ok):6d} {statuses.count(429):5d} {statuses.count(503):5d} "
              f"{failed:6d} {figures}")
    print(f"Errors (not 2xx, not 429/503): {errors}")
    if samples:
        values = [kb for _, kb in samples]
        print(f"Server RSS: start {values[0] / 1024:.0f} MB, peak {max(values) / 1024:.0f} MB, "
              f"end {values[-1] / 1024:.0f} MB ({len(values)} samples)")
        step = max(1, len(samples) // 12)
        print("RSS over time: " + ", ".join(f"{t:.0f}s={kb / 1024:.0f}MB" for t, kb in samples[::step]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--check-share", type=float, default=0.15, help="share of requests that are checks")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sangkien-load-") as tmp:
        data_dir = Path(tmp)
        env = {**os.environ, "SANGKIEN_DATA_DIR": str(data_dir), "SANGKIEN_MODEL": model_path(),
               "PYTHONPATH": str(REPO)}
        print("Indexing the demo archive and creating users...", flush=True)
        tokens = prepare(data_dir, env, args.users)
        port = free_port()
        base = f"http://{HOST}:{port}"
        with open(data_dir / "server.log", "wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", HOST,
                 "--port", str(port), "--log-level", "warning"], cwd=REPO, env=env, stdout=log, stderr=log)
            try:
                wait_ready(base, server)
                samples: list[tuple[float, int]] = []
                stop = threading.Event()
                started = time.monotonic()

                def sample() -> None:
                    while not stop.is_set():
                        if (kb := rss_kb(server.pid)) is not None:
                            samples.append((time.monotonic() - started, kb))
                        stop.wait(0.5)

                sampler = threading.Thread(target=sample)
                sampler.start()
                print(f"Server pid {server.pid} on {base}; running {args.users} users for {args.seconds:.0f} s...",
                      flush=True)
                results = run_users(base, tokens, args.seconds, args.check_share)
                elapsed = time.monotonic() - started
                stop.set()
                sampler.join()
            finally:
                server.terminate()
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:
                    server.kill()
        report(results, elapsed, args.users, samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
