"""Files from people we do not control: every bad one is refused with a Vietnamese SangkienError, at the
pipeline and at the Archive level (which then stores nothing), within limits on pages, characters and time.
Single-extractor cases already covered in test_extract.py are not repeated here."""
from __future__ import annotations

import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

import indexing.extract.pdf
import indexing.parse
from bench.render_documents import make_docx, make_pdf, make_txt
from indexing.archive import Archive
from indexing.config import Settings
from indexing.errors import InputError, SangkienError, TooLargeError, UnsupportedFormatError
from indexing.legacy import load_legacy_tables
from indexing.parse import parse_document

BODY = (
    "Trong những năm gần đây, nhà trường luôn chú trọng đổi mới phương pháp dạy học. "
    "Học sinh được tự đánh giá kết quả học tập của mình; điểm trung bình môn tăng từ 6,5 lên 7,8. "
    "Giải pháp dễ áp dụng, tiết kiệm chi phí và phù hợp với điều kiện của nhà trường hiện nay."
)
ENGLISH = (
    "This report describes a new way to organise group work in science lessons. Students take turns as "
    "leader, note taker and reporter, and assess each other with a simple rubric. Results improved."
)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", max_upload_mb=1, max_docx_uncompressed_mb=20)


# --- builders of bad files --------------------------------------------------------------------------


def minimal_pdf(path: Path, declared_pages: int) -> Path:
    """A hand-written one-page PDF whose page tree claims `declared_pages` pages."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % declared_pages,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 50 50] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def tiny_pages_pdf(path: Path, pages: int) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=(60, 60))
    for number in range(pages):
        pdf.drawString(5, 30, f"Trang {number}")
        pdf.showPage()
    pdf.save()
    return path


def docx_with_document_xml(path: Path, tmp: Path, transform) -> Path:
    """A real DOCX whose word/document.xml is replaced by transform(original xml)."""
    real = make_docx(tmp / "base.docx", [("para", BODY)])
    with zipfile.ZipFile(real) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    entries["word/document.xml"] = transform(entries["word/document.xml"])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries.items():
            target.writestr(name, data)
    return path


def nested_sdt(depth: int):
    """Wrap the body's paragraphs in `depth` nested content controls."""
    def transform(xml: bytes) -> bytes:
        start, end = xml.index(b"<w:body>") + len(b"<w:body>"), xml.index(b"<w:sectPr")
        opening, closing = b"<w:sdt><w:sdtContent>" * depth, b"</w:sdtContent></w:sdt>" * depth
        return xml[:start] + opening + xml[start:end] + closing + xml[end:]
    return transform


def external_entity(xml: bytes) -> bytes:
    xml = xml.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1)
    return xml.replace(b"<w:t>", b"<w:t>&xxe;", 1)


def zip_bomb(path: Path) -> Path:
    """25 MB of XML in a few kB (the tests' limit is 20 MB)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (25 * 1024 * 1024) + b"</w:document>")
    return path


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Word saved it: precomposed base letters, tone marks as combining bytes."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tone = next(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            out += unicodedata.normalize("NFC", decomposed.replace(tone, "", 1)).encode("cp1258")
            out += tone.encode("cp1258")
    return bytes(out)


def to_tcvn3(text: str) -> bytes:
    table = {letter: code for code, letter in load_legacy_tables(Settings().lexicons_dir).tables["tcvn3"].items()}
    return "".join(table.get(char, char) for char in text).encode("latin-1")


BAD_FILES = {
    "empty": (lambda p, t: make_txt(p / "rong.txt", ""), InputError, "rỗng"),
    "image named .pdf": (
        lambda p, t: (p / "anh.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4) and p / "anh.pdf",
        UnsupportedFormatError, "định dạng",
    ),
    "text named .docx": (lambda p, t: make_txt(p / "vb.docx", BODY), UnsupportedFormatError, "văn bản thuần"),
    "garbage after PDF header": (
        lambda p, t: (p / "hong.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(1, 256)) * 40) and p / "hong.pdf",
        InputError, "bị hỏng",
    ),
    "truncated PDF": (
        lambda p, t: (p / "cut.pdf").write_bytes(make_pdf(t / "w.pdf", [("para", BODY)] * 6).read_bytes()[:3000])
        and p / "cut.pdf",
        InputError, "bị hỏng",
    ),
    "encrypted PDF": (lambda p, t: make_pdf(p / "khoa.pdf", [("para", BODY)], encrypt="matkhau"), InputError, "mật khẩu"),
    "PDF declaring 5000 pages": (lambda p, t: minimal_pdf(p / "nhieu.pdf", 5000), TooLargeError, "5000 trang"),
    "PDF with 520 pages": (lambda p, t: tiny_pages_pdf(p / "dai.pdf", 520), TooLargeError, "520 trang"),
    "DOCX zip bomb": (lambda p, t: zip_bomb(p / "bom.docx"), InputError, "vượt quá giới hạn 20 MB"),
    "DOCX nested 100000 deep": (
        lambda p, t: docx_with_document_xml(p / "sau.docx", t, nested_sdt(100_000)), InputError, "DOCX",
    ),
    "DOCX external entity": (
        lambda p, t: docx_with_document_xml(p / "xxe.docx", t, external_entity), InputError, "DOCTYPE",
    ),
    "over the size limit": (
        lambda p, t: make_txt(p / "lon.txt", (BODY + "\n") * 5000), TooLargeError, "tối đa",
    ),
    "English document": (lambda p, t: make_txt(p / "en.txt", ENGLISH), InputError, "tiếng Việt"),
    "random bytes as text": (
        lambda p, t: (p / "rac.txt").write_bytes(bytes((i * 97 + 31) % 224 + 32 for i in range(3000)))
        and p / "rac.txt",
        InputError, "tiếng Việt",
    ),
}


def build_bad(name: str, tmp_path: Path) -> tuple[Path, type, str]:
    builder, error, needle = BAD_FILES[name]
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return builder(tmp_path, work), error, needle


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_archive_refuses_bad_file_and_stores_nothing(name, tmp_path, settings, embedder):
    path, error, needle = build_bad(name, tmp_path)
    archive = Archive(settings, embedder=embedder)
    started = time.perf_counter()
    for action in (archive.check_file, archive.add_file):
        with pytest.raises(error) as info:
            action(path)
        assert needle in info.value.message
        assert not info.value.message.isascii()
    assert time.perf_counter() - started < 10
    assert archive.store.count_documents() == 0 and archive.store.count_passages() == 0
    assert not (archive.settings.data_dir / "index").exists()
    assert "root:" not in (info.value.detail or "")  # the external entity was never resolved


def test_page_count_is_refused_before_reading_pages(tmp_path, settings):
    path = minimal_pdf(tmp_path / "nhieu.pdf", 5000)
    started = time.perf_counter()
    with pytest.raises(TooLargeError, match="5000 trang"):
        parse_document(path, settings)
    assert time.perf_counter() - started < 1.0
    # The same file telling the truth is an ordinary one-page PDF (without text).
    with pytest.raises(InputError, match="không có lớp văn bản"):
        parse_document(minimal_pdf(tmp_path / "mot.pdf", 1), settings)


def test_character_limit(tmp_path):
    path = make_txt(tmp_path / "sk.txt", (BODY + "\n") * 20)
    with pytest.raises(TooLargeError, match="ký tự"):
        parse_document(path, Settings(data_dir=tmp_path, max_chars=len(BODY) * 10))
    assert parse_document(path, Settings(data_dir=tmp_path, max_chars=len(BODY) * 30)).text.count(BODY) == 20


def test_time_limit_is_checked_between_stages(tmp_path, monkeypatch):
    path = make_txt(tmp_path / "sk.txt", BODY)
    normalize = indexing.parse.normalize_blocks
    detected = []

    def slow_normalize(blocks, legacy):
        time.sleep(0.3)
        return normalize(blocks, legacy)

    monkeypatch.setattr(indexing.parse, "normalize_blocks", slow_normalize)
    monkeypatch.setattr(indexing.parse, "detect_sections", lambda *a: detected.append(a))
    with pytest.raises(TooLargeError, match="thời gian cho phép"):
        parse_document(path, Settings(data_dir=tmp_path, max_seconds_per_document=0.2))
    assert detected == []  # gave up before the next stage


def test_time_limit_stops_reading_pdf_pages(tmp_path, monkeypatch):
    names = ["một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám"]  # not digits: those mark running headers
    items = [item for name in names for item in (("para", f"Nội dung phần {name}: {BODY}"), ("pagebreak",))]
    path = make_pdf(tmp_path / "sk.pdf", items)
    read = indexing.extract.pdf._pdf_lines
    pages_read = []

    def slow_page(page, number):
        pages_read.append(number)
        time.sleep(0.1)
        return read(page, number)

    monkeypatch.setattr(indexing.extract.pdf, "_pdf_lines", slow_page)
    assert "Nội dung phần tám: " + BODY in parse_document(path, Settings(data_dir=tmp_path)).text and len(pages_read) == 8
    pages_read.clear()
    with pytest.raises(TooLargeError, match="thời gian cho phép"):
        parse_document(path, Settings(data_dir=tmp_path, max_seconds_per_document=0.25))
    assert 2 <= len(pages_read) < 5


def test_windows_1258_text_is_decoded_with_a_warning(tmp_path, settings):
    path = tmp_path / "cu.txt"
    path.write_bytes(to_cp1258("PHẦN I. ĐẶT VẤN ĐỀ\n" + BODY))
    doc = parse_document(path, settings)
    assert doc.text == "PHẦN I. ĐẶT VẤN ĐỀ\n" + BODY
    assert any("Windows-1258" in w for w in doc.warnings)


def test_tcvn3_text_is_converted_with_a_warning(tmp_path, settings):
    """Regression: TCVN3 bytes were decoded as Windows-1258, which turns some TCVN3 letters (Õ, Ý, Ò)
    into Ơ, Ư and combining marks: "kết" came out as "kƠt", "điều" as "đỉu"."""
    text = "Phần I. Đặt vấn đề\n" + BODY + "\nĐiều kiện áp dụng: mọi trường, phí thấp."
    path = tmp_path / "abc.txt"
    path.write_bytes(to_tcvn3(text))
    doc = parse_document(path, settings)
    assert doc.text == text
    assert doc.warnings == ["Văn bản dùng bảng mã cũ TCVN3 (ABC) và đã được chuyển sang Unicode."]


def test_deep_but_legal_nesting_is_read(tmp_path, settings):
    """Content controls nested nearly as deep as the XML parser allows (256 elements) are walked
    without hitting Python's recursion limit; deeper is refused as damaged."""
    path = docx_with_document_xml(tmp_path / "sdt.docx", tmp_path, nested_sdt(120))
    assert BODY in parse_document(path, settings).text
    with pytest.raises(InputError, match="bị hỏng"):
        parse_document(docx_with_document_xml(tmp_path / "sau.docx", tmp_path, nested_sdt(130)), settings)


def test_bad_xml_encodings_in_docx(tmp_path, settings):
    """A DOCTYPE hidden in UTF-16 XML is still found; XML that is not well-formed is a clear error."""
    utf16 = docx_with_document_xml(
        tmp_path / "u16.docx", tmp_path,
        lambda xml: external_entity(xml).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
    )
    with pytest.raises(InputError, match="DOCTYPE"):
        parse_document(utf16, settings)
    broken = docx_with_document_xml(tmp_path / "x.docx", tmp_path, lambda xml: xml[: len(xml) // 2])
    with pytest.raises(InputError, match="bị hỏng"):
        parse_document(broken, settings)


def test_random_8bit_text_is_read_with_a_warning_never_a_crash(tmp_path, settings):
    path = tmp_path / "rac.txt"
    path.write_bytes(bytes((i * 97 + 31) % 224 + 32 for i in range(3000)))
    try:
        doc = parse_document(path, settings)
    except SangkienError as exc:
        assert not exc.message.isascii()
    else:
        assert doc.warnings and "bảng mã" in doc.warnings[0]


def test_null_bytes_in_text_file_are_refused(tmp_path, settings):
    path = tmp_path / "nhiphan.txt"
    path.write_bytes(b"\x00\x01\x02" * 500)
    with pytest.raises(UnsupportedFormatError, match="Không nhận dạng được"):
        parse_document(path, settings)
