"""The `sangkien` command line as users and scripts see it: JSON contracts, exit codes, messages.

Commands run in-process through typer's CliRunner against a temporary data dir; the embedding
model is the session one (tests/conftest.py), handed to the CLI through the process-wide cache.
A few error cases run the installed console script to see real exit codes and stderr.
"""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import indexing.report as report_models
from bench.render_documents import make_docx, make_pdf, make_txt
from indexing.config import Settings
from indexing.parse import parse_document
from service.cli import app

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo"
LABELS = json.loads((DEMO / "labels.json").read_text(encoding="utf-8"))
SUBMISSIONS = ["dup_reworded", "same_topic_new", "partial_copy", "original"]
SANGKIEN = Path(sys.executable).parent / "sangkien"



def published(model) -> set[str]:
    """The keys the JSON contract (indexing/report.py, the API's response_model) gives a model."""
    return {name for name, info in model.model_fields.items() if not info.exclude}


CHECK_KEYS = published(report_models.CheckReport)
DOCUMENT_KEYS = published(report_models.DocumentSummary)
SECTION_KEYS = published(report_models.SectionInfo)
SIMILARITY_KEYS = published(report_models.SimilarityReport)
SOURCE_KEYS = published(report_models.SourceComparison)
MATCH_KEYS = published(report_models.Match)
EVIDENCE_KEYS = published(report_models.SectionEvidence)
# What the report has always promised (additions are fine, removals are not).
ORIGINAL_KEYS = {"document", "similarity", "evidence", "document_findings", "document_suggestions", "warnings"}
ORIGINAL_SOURCE_KEYS = {"doc_id", "title", "year", "unit", "verdict", "coverage", "score", "matches", "copied_sections"}


@pytest.fixture(scope="module")
def cli(model_dir, embedder):
    """Run `sangkien ARGS` in-process; returns the click Result (stdout and stderr apart)."""
    from models import embedder as embedder_module

    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        # The CLI asks get_embedder() for SANGKIEN_MODEL: hand it the already loaded session model.
        mp.setitem(embedder_module._embedders, str(model_dir), embedder)

        def run(*args, data_dir: Path):
            env = {"SANGKIEN_MODEL": str(model_dir), "SANGKIEN_DATA_DIR": str(data_dir)}
            return runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)

        yield run


@pytest.fixture(scope="module")
def demo_dir(cli, tmp_path_factory):
    """A data dir holding the demo archive indexed through `index --manifest --json` (done once)."""
    data = tmp_path_factory.mktemp("cli-data")
    result = cli("index", "--manifest", DEMO / "manifest.csv", "--json", data_dir=data)
    assert result.exit_code == 0, result.stderr
    return data, json.loads(result.stdout)


def ids_by_path(indexed: list[dict]) -> dict[str, str]:
    return {Path(r["path"]).relative_to(DEMO).as_posix(): r["doc_id"] for r in indexed}


def listing(cli, data: Path) -> dict:
    result = cli("list", "--json", data_dir=data)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def faiss_count(data: Path) -> int:
    return json.loads((data / "index" / "manifest.json").read_text(encoding="utf-8"))["count"]


# --- index ---------------------------------------------------------------------------------------

def test_index_manifest_prints_json_and_keeps_csv_metadata(cli, demo_dir):
    data, indexed = demo_dir
    with open(DEMO / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert all(set(r) == {"doc_id", "path", "title"} for r in indexed)
    assert [(Path(r["path"]), r["title"]) for r in indexed] == [(DEMO / row["path"], row["title"]) for row in rows]
    stored = {d["doc_id"]: d for d in listing(cli, data)["documents"]}
    assert len(stored) == len(rows)
    for r, row in zip(indexed, rows):
        assert (stored[r["doc_id"]]["title"], stored[r["doc_id"]]["year"], stored[r["doc_id"]]["field"]) == (
            row["title"], int(row["year"]), row["field"])
    assert faiss_count(data) == sum(d["passages"] for d in stored.values())


def test_index_again_is_idempotent(cli, demo_dir):
    data, indexed = demo_dir
    before = (listing(cli, data), faiss_count(data))
    again = cli("index", DEMO / "archive" / "mam-non-rua-tay.md", "--json", data_dir=data)
    assert again.exit_code == 0, again.stderr
    assert [r["doc_id"] for r in json.loads(again.stdout)] == [ids_by_path(indexed)["archive/mam-non-rua-tay.md"]]
    assert (listing(cli, data), faiss_count(data)) == before


FOLDER_DOCS = {
    "thu-vien-xanh.md": (
        "Xây dựng thư viện xanh ngoài trời cho học sinh tiểu học",
        "Nhà trường tận dụng khoảng sân dưới tán cây bàng để đặt các giá sách bằng tre do phụ huynh tự đóng. "
        "Mỗi lớp phụ trách một giá sách, học sinh tự sắp xếp và ghi sổ mượn trả vào giờ ra chơi.",
    ),
    "bep-an-ban-tru.txt": (
        "Quản lý bếp ăn bán trú bằng sổ giao nhận thực phẩm có chữ ký của phụ huynh",
        "Mỗi buổi sáng, đại diện hội phụ huynh cùng nhân viên nhà bếp kiểm tra rau, thịt và ký vào sổ giao nhận. "
        "Thực đơn trong tuần được niêm yết ở cổng trường để cha mẹ học sinh cùng theo dõi.",
    ),
    "nhom/vuon-rau-truong.docx": (
        "Vườn rau trong trường giúp học sinh trung học cơ sở học môn Công nghệ",
        "Học sinh lớp 7 chia nhóm chăm sóc các luống rau cải, đo chiều cao cây mỗi tuần và ghi vào bảng theo dõi. "
        "Rau thu hoạch được chuyển cho bếp ăn bán trú của nhà trường.",
    ),
}


def write_folder(root: Path) -> Path:
    for name, (title, body) in FOLDER_DOCS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".docx":
            make_docx(path, [("heading", 1, title), ("para", body)], title=title)
        else:
            path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    (root / "anh-chup.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)  # not a supported type
    return root


def test_index_folder_takes_every_supported_file(cli, tmp_path):
    folder = write_folder(tmp_path / "ho-so")
    result = cli("index", folder, "--json", data_dir=tmp_path / "data")
    assert result.exit_code == 0, result.stderr
    indexed = json.loads(result.stdout)
    assert sorted(Path(r["path"]).relative_to(folder).as_posix() for r in indexed) == sorted(FOLDER_DOCS)
    assert {r["title"] for r in indexed} == {title for title, _ in FOLDER_DOCS.values()}
    assert listing(cli, tmp_path / "data")["total"] == 3


# --- check: the JSON contract on every format -------------------------------------------------------

NUMBERED_HEADING = re.compile(r"^(\d+(?:\.\d+)*)\.\s|^[a-zđ]\)\s")


def markdown_items(path: Path) -> tuple[dict, list]:
    """A demo Markdown file as docs_factory items: numbered lines without a final stop become
    headings (their depth from the numbering), upper-case lines bold, `|` rows a table."""
    _, header, body = path.read_text(encoding="utf-8").split("---\n", 2)
    items, rows = [], []
    for line in body.splitlines() + [""]:
        line = line.strip()
        if line.startswith("|"):
            if not set(line) <= set("|-: "):
                rows.append([cell.strip() for cell in line.strip("|").split("|")])
            continue
        if rows:
            items.append(("table", rows))
            rows = []
        if not line:
            continue
        number = NUMBERED_HEADING.match(line)
        if number and not line.endswith((".", ":", ";")):
            items.append(("heading", number.group(1).count(".") + 1 if number.group(1) else 3, line))
        elif line.isupper():
            items.append(("bold", line))
        elif line.startswith("- "):
            items.append(("list", line[2:]))
        else:
            items.append(("para", line))
    return yaml.safe_load(header), items


@pytest.fixture(scope="module")
def submission_files(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Each demo submission as DOCX (heading styles, real tables), PDF (tables as lines) and TXT."""
    out = tmp_path_factory.mktemp("submissions")
    files = {}
    for name in SUBMISSIONS:
        source = DEMO / "submissions" / f"{name}.md"
        meta, items = markdown_items(source)
        files[name, "docx"] = make_docx(out / f"{name}.docx", items, title=meta["title"], author=meta["author"])
        # reportlab tables are not worth it here: PDF rows become lines, as many PDFs flatten them.
        pdf_items = [i for item in items
                     for i in ([("para", " – ".join(r)) for r in item[1]] if item[0] == "table" else [item])]
        files[name, "pdf"] = make_pdf(out / f"{name}.pdf", pdf_items)
        files[name, "txt"] = make_txt(out / f"{name}.txt", source.read_text(encoding="utf-8").split("---\n", 2)[2])
    return files


def assert_contract(report: dict, text: str) -> None:
    """Exactly the documented keys (plus the listed extras), offsets that index the parsed text."""
    assert set(report) == CHECK_KEYS and ORIGINAL_KEYS <= CHECK_KEYS
    doc, sim = report["document"], report["similarity"]
    assert set(doc) == DOCUMENT_KEYS
    assert doc["sections"] and all(set(s) == SECTION_KEYS for s in doc["sections"])
    for s in doc["sections"]:
        assert text[s["start"]:s["end"]].startswith(s["heading"])
    assert set(sim) == SIMILARITY_KEYS and sim["verdict"] in {"duplicate", "partial", "original"}
    assert 0.0 <= sim["score"] <= 1.0
    for source in sim["sources"]:
        assert set(source) == SOURCE_KEYS and ORIGINAL_SOURCE_KEYS <= SOURCE_KEYS
        assert source["verdict"] in {"duplicate", "partial", "related"}
        for m in source["matches"]:
            assert set(m) == MATCH_KEYS
            assert m["text"] == text[m["start"]:m["end"]]
            assert m["kind"] in {"verbatim", "near_verbatim", "paraphrase"}
    assert isinstance(report["evidence"], list)
    assert all(set(e) == EVIDENCE_KEYS for e in report["evidence"])


@pytest.mark.parametrize("fmt", ["docx", "pdf", "txt"])
@pytest.mark.parametrize("name", SUBMISSIONS)
def test_check_json_contract_and_verdicts(cli, demo_dir, submission_files, name, fmt):
    data, indexed = demo_dir
    ids = ids_by_path(indexed)
    label = LABELS["docs"][f"submissions/{name}.md"]
    path = submission_files[name, fmt]
    before = listing(cli, data)["total"]
    result = cli("check", path, "--json", data_dir=data)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert listing(cli, data)["total"] == before  # checking never stores the file
    assert_contract(report, parse_document(path, Settings()).text)
    assert report["document"]["template"] == label["template"]

    sim = report["similarity"]
    flagged = [s for s in sim["sources"] if s["verdict"] in ("duplicate", "partial")]
    if label["kind"] == "paraphrase":
        assert sim["verdict"] == "duplicate"
        assert [(s["doc_id"], s["verdict"]) for s in flagged] == [(ids[label["duplicate_of"]], "duplicate")]
        assert sim["sources"][0] is flagged[0]
    elif label["kind"] == "partial_copy":
        assert sim["verdict"] == "partial"
        assert [(s["doc_id"], s["verdict"]) for s in flagged] == [(ids[label["copied_from"]], "partial")]
        assert flagged[0]["copied_sections"] == label["copied_sections"]
        assert set(label["copied_sections"]) <= {m["section"] for m in flagged[0]["matches"]}
    else:
        assert sim["verdict"] == "original"
        assert flagged == []


def test_check_text_report_is_vietnamese_and_neutral(cli, demo_dir):
    data, indexed = demo_dir
    result = cli("check", DEMO / "submissions" / "partial_copy.md", data_dir=data)
    assert result.exit_code == 0, result.stderr
    source_title = next(row["title"] for row in indexed if row["path"].endswith("ghep-cai-tao-hong-khong-hat.md"))
    assert "Mức tương đồng" in result.stdout
    assert source_title in result.stdout
    assert "4. Cơ sở lý luận" in result.stdout
    assert "đạo văn" not in result.stdout.casefold()


# --- parse -----------------------------------------------------------------------------------------

def test_parse_json_on_docx(cli, submission_files, tmp_path):
    result = cli("parse", submission_files["dup_reworded", "docx"], "--json", data_dir=tmp_path)
    assert result.exit_code == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert {"title", "template", "sections", "missing_sections", "warnings"} <= set(parsed)
    assert set(parsed) - {"title", "template", "sections", "missing_sections", "warnings"} == {"format", "words"}
    assert parsed["format"] == "docx"
    assert parsed["title"] == LABELS["docs"]["submissions/dup_reworded.md"]["title"]
    assert parsed["template"] == "TT18"
    assert parsed["missing_sections"] == [] and parsed["warnings"] == []
    sections = parsed["sections"]
    assert all(set(s) == {"heading", "kind", "level", "start", "end", "words"} for s in sections)
    by_heading = {s["heading"]: s for s in sections}
    assert by_heading["3.1. Tình trạng giải pháp đã biết"]["level"] == by_heading["3. Mô tả bản chất của sáng kiến"]["level"] + 1
    assert all(s["words"] > 0 for s in sections if s["heading"].startswith("3.1."))
    assert [s["start"] for s in sections] == sorted(s["start"] for s in sections)
    assert all(s["start"] < s["end"] for s in sections)


# --- errors ----------------------------------------------------------------------------------------

def run_console(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SANGKIEN_DEBUG"}
    return subprocess.run([str(SANGKIEN), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("case", ["missing", "empty", "png_as_pdf"])
def test_console_errors_are_one_vietnamese_line(tmp_path, case):
    target = tmp_path / {"missing": "khong-co.pdf", "empty": "rong.docx", "png_as_pdf": "anh.pdf"}[case]
    if case == "empty":
        target.write_bytes(b"")
    elif case == "png_as_pdf":
        target.write_bytes(png_bytes())
    done = run_console("check", target, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Lỗi: ")
    assert "Traceback" not in done.stderr
    assert re.search(r"[ạảãàáâầấậẩẫăằắặẳẵệếềểễộốồổỗơờớợởỡưừứựửữđ]", lines[0].casefold())


def test_unknown_document_id_exits_3(cli, demo_dir):
    data, _ = demo_dir
    result = cli("delete", "khongtontai", data_dir=data)
    assert result.exit_code == 3
    assert result.stderr.startswith("Lỗi: Không tìm thấy sáng kiến")
    assert listing(cli, data)["total"] == 8


def test_compare_two_files_prints_the_pair_report(cli, demo_dir, tmp_path):
    data, _ = demo_dir
    first = DEMO / "submissions" / "dup_reworded.md"
    second = DEMO / "archive" / "toan4-phan-so-bang-giay.md"
    before = listing(cli, data)["total"]
    result = cli("compare", first, second, "--json", data_dir=data)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "pair" and report["similarity"]["verdict"] == "duplicate"
    assert listing(cli, data)["total"] == before
    text = cli("compare", first, second, data_dir=data)
    assert text.exit_code == 0 and "Vì sao:" in text.stdout
    missing = cli("compare", first, tmp_path / "khong-co.md", data_dir=data)
    assert missing.exit_code == 2 and "Không tìm thấy tệp" in missing.stderr


def test_search_prints_hits_with_relevance_and_marked_words_or_says_nothing_was_found(cli, demo_dir):
    data, indexed = demo_dir
    ids = ids_by_path(indexed)
    result = cli("search", "tre mam non rua tay", "--json", data_dir=data)
    assert result.exit_code == 0, result.stderr
    page = json.loads(result.stdout)
    assert set(page) == published(report_models.SearchPage)
    assert page["understood_as"] == "trẻ mầm non rửa tay"
    assert page["hits"][0]["doc_id"] == ids["archive/mam-non-rua-tay.md"]
    assert set(page["hits"][0]) == published(report_models.SearchHit)
    text = cli("search", "rửa tay", "--unit", "lang son", data_dir=data)
    assert text.exit_code == 0 and "Mức phù hợp: Phù hợp" in text.stdout and "[rửa tay]" in text.stdout
    nothing = cli("search", "xyzabc không tồn tại", data_dir=data)
    assert nothing.exit_code == 0 and "Không tìm thấy sáng kiến nào" in nothing.stdout
    bad = cli("search", "rửa tay", "--level", "xã hội", data_dir=data)
    assert bad.exit_code == 2 and bad.stderr.startswith("Lỗi:")


def test_similar_names_only_related_documents(cli, demo_dir):
    data, indexed = demo_dir
    ids = ids_by_path(indexed)
    result = cli("similar", ids["archive/mam-non-rua-tay.md"], data_dir=data)
    assert result.exit_code == 0 and "Kho chưa có sáng kiến nào trùng" in result.stdout
    as_json = cli("similar", ids["archive/mam-non-rua-tay.md"], "--json", data_dir=data)
    assert json.loads(as_json.stdout) == []
