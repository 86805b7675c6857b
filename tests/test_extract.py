import io
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from bench.render_documents import make_docx, make_pdf, make_scanned_pdf, make_txt
from indexing.config import Settings
from indexing.document import Block
from indexing.errors import InputError, MissingToolError, TooLargeError, UnsupportedFormatError
from indexing.extract import decode_text, detect_format, extract
from indexing.legacy import load_legacy_tables

LEGACY = load_legacy_tables(Settings().lexicons_dir)

PARA_1 = (
    "Trong những năm gần đây, nhà trường luôn chú trọng đổi mới phương pháp dạy học theo hướng phát huy "
    "tính tích cực, chủ động của học sinh. Tuy nhiên, khi dạy các bài thực hành, nhiều em còn lúng túng, "
    "chưa biết cách phân công nhiệm vụ trong nhóm và thường để một vài bạn làm thay cả nhóm, dẫn tới kết quả "
    "học tập không đồng đều giữa các thành viên."
)
PARA_2 = (
    "Xuất phát từ thực tế đó, tôi đã tìm hiểu, thử nghiệm và điều chỉnh nhiều lần cách tổ chức hoạt động nhóm "
    "trong giờ học, ghi chép lại những việc làm được và chưa làm được sau mỗi tiết để rút kinh nghiệm cho tiết "
    "sau; qua hai năm học áp dụng tại các lớp khối bảy, kết quả bước đầu cho thấy học sinh hứng thú hơn rõ rệt."
)
PARA_3 = (
    "Giải pháp gồm ba bước chính: chuẩn bị phiếu nhiệm vụ cho từng vai trò trong nhóm, luân phiên vai trò sau "
    "mỗi tuần để em nào cũng được làm nhóm trưởng, thư ký và người báo cáo, và cuối cùng là tổ chức cho các nhóm "
    "tự đánh giá lẫn nhau theo một bảng tiêu chí đơn giản do chính học sinh góp ý xây dựng. Mỗi bước đều có "
    "sản phẩm cụ thể để giáo viên theo dõi tiến bộ của từng em qua các tuần."
)
LIST_1 = "Phiếu nhiệm vụ ghi rõ mục tiêu, thời gian, sản phẩm cần nộp và tiêu chí đánh giá của từng phần việc."
LIST_2 = "Bảng theo dõi vai trò."

PDF_ITEMS = [
    ("heading", 1, "PHẦN I. ĐẶT VẤN ĐỀ"),
    ("para", PARA_1),
    ("para", PARA_2),
    ("bold", "1. Lý do chọn đề tài"),
    ("para", PARA_3),
    ("list", LIST_1),
    ("list", LIST_2),
    ("pagebreak",),
    ("heading", 1, "PHẦN II. NỘI DUNG SÁNG KIẾN"),
    ("para", PARA_2),
    ("para", PARA_1),
    ("para", PARA_3),
    ("pagebreak",),
    ("para", PARA_1),
    ("bold", "2. Hiệu quả đạt được"),
    ("para", PARA_3),
]

EXPECTED_PDF = [
    ("heading", "PHẦN I. ĐẶT VẤN ĐỀ", 1),
    ("paragraph", PARA_1, 1),
    ("paragraph", PARA_2, 1),
    ("heading", "1. Lý do chọn đề tài", 1),
    ("paragraph", PARA_3, 1),
    ("list_item", LIST_1, 1),
    ("list_item", LIST_2, 1),
    ("heading", "PHẦN II. NỘI DUNG SÁNG KIẾN", 2),
    ("paragraph", PARA_2, 2),
    ("paragraph", PARA_1, 2),
    ("paragraph", PARA_3, 2),
    ("paragraph", PARA_1, 3),
    ("heading", "2. Hiệu quả đạt được", 3),
    ("paragraph", PARA_3, 3),
]


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("page_label", "indent", "spacing"), [("- {n} -", 0, 6), ("Trang {n}", 28, 0), ("{n}", 28, 6)]
)
def test_pdf_rejoins_wrapped_paragraphs_and_drops_running_lines(tmp_path, settings, page_label, indent, spacing):
    path = make_pdf(tmp_path / "sk.pdf", PDF_ITEMS, page_label=page_label, first_line_indent=indent,
                    space_after=spacing)
    result = extract(path, settings=settings)
    got = [(block.kind, squash(block.text), block.page) for block in result.blocks]
    assert got == [(kind, squash(text), page) for kind, text, page in EXPECTED_PDF]
    assert result.format == "pdf" and result.warnings == []
    assert [block.bold for block in result.blocks if block.kind == "heading"] == [True] * 4
    assert not any(block.bold for block in result.blocks if block.kind != "heading")


def test_pdf_paragraph_flowing_over_a_page_break_stays_one_block(tmp_path, settings):
    long_para = " ".join([PARA_2, PARA_1, PARA_3] * 4)
    path = make_pdf(tmp_path / "long.pdf", [("para", PARA_1), ("para", long_para), ("para", PARA_3)])
    result = extract(path, settings=settings)
    assert [squash(block.text) for block in result.blocks] == [PARA_1, squash(long_para), PARA_3]
    assert [block.page for block in result.blocks] == [1, 1, 2]


def test_scanned_pages_are_reported_one_by_one(tmp_path, settings):
    path = make_scanned_pdf(tmp_path / "mixed.pdf", pages=4, text_pages=(1, 2))
    result = extract(path, settings=settings)
    assert [block.page for block in result.blocks] == [1, 2]
    assert len(result.warnings) == 1
    assert "3, 4" in result.warnings[0] and "OCR" in result.warnings[0]


def test_fully_scanned_pdf_is_an_error_not_an_empty_result(tmp_path, settings):
    path = make_scanned_pdf(tmp_path / "scan.pdf", pages=2)
    with pytest.raises(InputError, match="không có lớp văn bản"):
        extract(path, settings=settings)


def test_encrypted_pdf(tmp_path, settings):
    path = make_pdf(tmp_path / "locked.pdf", PDF_ITEMS[:3], encrypt="matkhau")
    with pytest.raises(InputError, match="mật khẩu"):
        extract(path, settings=settings)


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_pdf(tmp_path, settings, keep):
    whole = make_pdf(tmp_path / "whole.pdf", PDF_ITEMS).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: int(len(whole) * keep)])
    with pytest.raises(InputError, match="bị hỏng"):
        extract(path, settings=settings)


def test_pdf_page_limit(tmp_path):
    path = make_pdf(tmp_path / "sk.pdf", PDF_ITEMS)
    with pytest.raises(TooLargeError, match="3 trang"):
        extract(path, settings=Settings(data_dir=tmp_path, max_pages=2))


def test_docx_blocks_in_document_order(tmp_path, settings):
    import docx

    path = make_docx(
        tmp_path / "sk.docx",
        [
            ("heading", 0, "BÁO CÁO MÔ TẢ SÁNG KIẾN"),
            ("heading", 1, "PHẦN I. ĐẶT VẤN ĐỀ"),
            ("para", "Nhà trường có 24 lớp với hơn 900 học sinh."),
            ("bold", "1. Lý do chọn đề tài"),
            ("list", "Học sinh còn thụ động"),
            ("para", "- Giáo viên chưa có công cụ theo dõi"),
            ("table", [["Lớp", "Sĩ số", "Tỉ lệ khá giỏi"], ["7A", "38", "62%"], ["7B", "", "70%"]]),
            ("heading", 2, "1.1. Mục tiêu"),
            ("para", "Nâng tỉ lệ học sinh khá giỏi lên 80%."),
        ],
        title="Tổ chức hoạt động nhóm",
        author="Trần Thị Bình",
    )
    # A merged header cell: python-docx repeats it once per spanned column.
    document = docx.Document(path)
    table = document.tables[0]
    table.add_row()
    merged = table.cell(3, 0).merge(table.cell(3, 2))
    merged.text = "Tổng cộng hai lớp"
    document.save(path)

    result = extract(path, settings=settings)
    assert result.blocks == [
        Block("BÁO CÁO MÔ TẢ SÁNG KIẾN", kind="heading", heading_level=0),
        Block("PHẦN I. ĐẶT VẤN ĐỀ", kind="heading", heading_level=1, bold=True),
        Block("Nhà trường có 24 lớp với hơn 900 học sinh."),
        Block("1. Lý do chọn đề tài", bold=True),
        Block("Học sinh còn thụ động", kind="list_item"),
        Block("Giáo viên chưa có công cụ theo dõi", kind="list_item"),
        Block("Lớp | Sĩ số | Tỉ lệ khá giỏi", kind="table_row"),
        Block("7A | 38 | 62%", kind="table_row"),
        Block("7B | 70%", kind="table_row"),
        Block("Tổng cộng hai lớp", kind="table_row"),
        Block("1.1. Mục tiêu", kind="heading", heading_level=2, bold=True),
        Block("Nâng tỉ lệ học sinh khá giỏi lên 80%.", kind="paragraph"),
    ]
    assert result.metadata == {"title": "Tổ chức hoạt động nhóm", "author": "Trần Thị Bình"}
    assert result.format == "docx"


def test_docx_localized_heading_style_and_layout_table(tmp_path, settings):
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    style = document.styles.add_style("Tiêu đề 2", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("2. Giải pháp thực hiện", style=style)
    frame = document.add_table(rows=2, cols=1)  # a one-column "frame" around the cover text
    frame.cell(0, 0).text = "SÁNG KIẾN KINH NGHIỆM"
    frame.cell(1, 0).text = "Người thực hiện: Lê Văn Cường"
    path = tmp_path / "vi.docx"
    document.save(path)
    result = extract(path, settings=settings)
    assert result.blocks == [
        Block("2. Giải pháp thực hiện", kind="heading", heading_level=2),
        Block("SÁNG KIẾN KINH NGHIỆM"),
        Block("Người thực hiện: Lê Văn Cường"),
    ]


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_docx_zip_bomb_is_refused_before_parsing(tmp_path, settings):
    huge = b" " * (40 * 1024 * 1024)
    path = _zip(tmp_path / "bomb.docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": huge})
    assert path.stat().st_size < 200_000
    started = time.perf_counter()
    with pytest.raises(InputError, match="giải nén"):
        extract(path, settings=settings)
    assert time.perf_counter() - started < 1.0


def test_docx_uncompressed_size_limit(tmp_path):
    real = make_docx(tmp_path / "ok.docx", [("para", "Nội dung ngắn.")])
    small_limit = Settings(data_dir=tmp_path, max_docx_uncompressed_mb=0)
    with pytest.raises(InputError, match="vượt quá giới hạn"):
        extract(real, settings=small_limit)


def test_docx_with_xml_entities_is_refused(tmp_path, settings):
    real = make_docx(tmp_path / "ok.docx", [("para", "Nội dung bình thường.")])
    with zipfile.ZipFile(real) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries["word/document.xml"] = entries["word/document.xml"].replace(
        b"?>", b'?><!DOCTYPE w:document [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>', 1
    )
    path = _zip(tmp_path / "evil.docx", entries)
    with pytest.raises(InputError, match="DOCTYPE"):
        extract(path, settings=settings)


def test_broken_zip_and_foreign_zip(tmp_path, settings):
    good = make_docx(tmp_path / "ok.docx", [("para", "Nội dung.")]).read_bytes()
    cut = tmp_path / "cut.docx"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match="bị hỏng"):
        extract(cut, settings=settings)
    other = _zip(tmp_path / "photos.docx", {"a.txt": b"xin chao"})
    with pytest.raises(UnsupportedFormatError, match="không phải văn bản Word"):
        extract(other, settings=settings)


def test_markdown_front_matter_headings_bold_lists(tmp_path, settings):
    text = (
        "---\ntitle: Ứng dụng bản đồ tư duy\nauthor: Phạm Thu Hà\nunit: Trường THCS Hòa Bình\nyear: 2024\n"
        "field: Giáo dục\n---\n"
        "# BÁO CÁO SÁNG KIẾN\n\n## 1. Tình trạng giải pháp đã biết\n\n"
        "Học sinh ghi nhớ kém\nkhi học thuộc lòng.\n\n"
        "**Ưu điểm của giải pháp**\n\n- Dễ áp dụng\n* Tốn ít chi phí\n+ Học sinh **rất** thích\n\n"
        "| Lớp | Điểm |\n|---|---|\n| 8A | 7,5 |\n"
    )
    path = make_txt(tmp_path / "sk.md", text)
    result = extract(path, settings=settings)
    assert result.format == "md"
    assert result.metadata == {
        "title": "Ứng dụng bản đồ tư duy", "author": "Phạm Thu Hà", "unit": "Trường THCS Hòa Bình",
        "year": 2024, "field": "Giáo dục",
    }
    assert result.blocks == [
        Block("BÁO CÁO SÁNG KIẾN", kind="heading", heading_level=1),
        Block("1. Tình trạng giải pháp đã biết", kind="heading", heading_level=2),
        Block("Học sinh ghi nhớ kém khi học thuộc lòng."),
        Block("Ưu điểm của giải pháp", bold=True),
        Block("Dễ áp dụng", kind="list_item"),
        Block("Tốn ít chi phí", kind="list_item"),
        Block("Học sinh rất thích", kind="list_item"),
        Block("Lớp | Điểm", kind="table_row"),
        Block("8A | 7,5", kind="table_row"),
    ]


def test_utf16_text_with_bom(tmp_path, settings):
    text = "PHẦN I. MỞ ĐẦU\r\nSáng kiến giúp giảm thời gian\r\nxử lý hồ sơ.\r\n\r\n- Tiết kiệm giấy\r\n"
    result = extract(make_txt(tmp_path / "sk.txt", text, encoding="utf-16"), settings=settings)
    assert result.format == "txt" and result.warnings == []
    assert result.blocks == [
        Block("PHẦN I. MỞ ĐẦU"),
        Block("Sáng kiến giúp giảm thời gian xử lý hồ sơ."),
        Block("Tiết kiệm giấy", kind="list_item"),
    ]


def test_text_encodings_are_guessed_with_a_warning():
    assert decode_text("Đổi mới".encode("utf-8-sig"), LEGACY) == ("Đổi mới", [])
    assert decode_text("Đổi mới".encode("utf-16-le"), LEGACY) == ("Đổi mới", [])
    # Windows-1258 writes tone marks as combining characters after the base letter.
    legacy = "Thư\u0323c hiê\u0323n đu\u0301ng quy tri\u0300nh"
    text, warnings = decode_text(legacy.encode("cp1258"), LEGACY)
    assert text == legacy and "Windows-1258" in warnings[0]
    text, warnings = decode_text("Giải pháp hữu ích cho đơn vị ".encode() + b"\xff", LEGACY)
    assert text.startswith("Giải pháp hữu ích") and "UTF-8" in warnings[0]


@pytest.mark.parametrize("content", [b"", b"   \n\t \r\n", "\ufeff  \n".encode()])
def test_empty_files(tmp_path, settings, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match="Tệp rỗng"):
        extract(path, settings=settings)


def test_png_renamed_pdf_is_unsupported(tmp_path, settings):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PNG")
    path = tmp_path / "anh.pdf"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnsupportedFormatError) as info:
        extract(path, settings=settings)
    assert "PDF, DOCX, DOC, TXT, MD" in info.value.message


def test_content_wins_over_extension(tmp_path, settings):
    pdf_named_docx = make_pdf(tmp_path / "x.pdf", PDF_ITEMS[:2]).rename(tmp_path / "x.docx")
    assert detect_format(pdf_named_docx) == "pdf"
    assert "PHẦN I. ĐẶT VẤN ĐỀ" in [block.text for block in extract(pdf_named_docx, settings=settings).blocks]
    text_named_pdf = make_txt(tmp_path / "y.pdf", "Đây là văn bản thường.")
    with pytest.raises(UnsupportedFormatError, match="văn bản thuần"):
        extract(text_named_pdf, settings=settings)


def test_upload_size_limit(tmp_path):
    path = make_txt(tmp_path / "big.txt", "Nội dung sáng kiến. " * 60_000)
    with pytest.raises(TooLargeError, match="tối đa"):
        extract(path, settings=Settings(data_dir=tmp_path, max_upload_mb=1))


def test_doc_without_libreoffice(tmp_path, settings, monkeypatch):
    path = tmp_path / "cu.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingToolError, match="LibreOffice"):
        extract(path, settings=settings)


def test_password_protected_word_file(tmp_path, settings):
    path = tmp_path / "khoa.docx"  # Word stores encrypted .docx files in an OLE container
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(InputError, match="mật khẩu"):
        extract(path, settings=settings)


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed")
def test_doc_converted_with_libreoffice(tmp_path, settings):
    import subprocess

    source = make_docx(tmp_path / "nguon.docx", [("heading", 1, "PHẦN I. ĐẶT VẤN ĐỀ"), ("para", "Nội dung thử.")])
    tool = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [tool, f"-env:UserInstallation={(tmp_path / 'p').as_uri()}", "--headless", "--convert-to", "doc",
         "--outdir", str(tmp_path / "out"), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    result = extract(tmp_path / "out" / "nguon.doc", settings=settings)
    assert result.format == "doc"
    assert [block.text for block in result.blocks] == ["PHẦN I. ĐẶT VẤN ĐỀ", "Nội dung thử."]


def test_plain_text_joins_only_hard_wrapped_lines(tmp_path, settings):
    text = "Sáng kiến được áp dụng tại\nba trường tiểu học.\nKết quả rất khả quan\n\nnhưng còn hạn chế.\n+ Giảm chi phí\n-5 độ C"
    result = extract(make_txt(tmp_path / "sk.txt", text), settings=settings)
    assert result.blocks == [
        Block("Sáng kiến được áp dụng tại ba trường tiểu học."),
        Block("Kết quả rất khả quan"),
        Block("nhưng còn hạn chế."),
        Block("Giảm chi phí", kind="list_item"),
        Block("-5 độ C"),
    ]


def test_plain_text_lettered_subheading_is_not_a_continuation(tmp_path):
    path = tmp_path / "bao_cao.txt"
    path.write_text("4. Mô tả sáng kiến\na. Khái quát đặc điểm, tình hình đơn vị\nĐơn vị có 25 công chức.\n", encoding="utf-8")
    texts = [b.text for b in extract(path, Settings()).blocks]
    assert texts == ["4. Mô tả sáng kiến", "a. Khái quát đặc điểm, tình hình đơn vị", "Đơn vị có 25 công chức."]
