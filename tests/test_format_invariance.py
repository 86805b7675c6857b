"""Format invariance (issues 10 and 11): the same initiative typed as Markdown, DOCX, PDF, TXT or legacy
DOC gives the same sections (heading, level, kind), about the same passages, and therefore the same
novelty verdict and coverage. The documents are written for this test.

The renderings are the way authors type them: DOCX without heading styles (bold paragraphs, lettered
sub-headings "a) ..." as plain paragraphs, a Word table), the same after Word's AutoFormat turned the
typed "a) " and "1. " into automatic numbering (docx-auto), and with Word heading styles for the parts
(docx-styles); PDF with a heading long enough to wrap over two lines and a ruled table; TXT without
any markup; DOC converted from the DOCX renderings by LibreOffice.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.render_documents import (
    docx_items,
    items_from_markdown,
    make_docx,
    make_pdf,
    make_txt,
    pdf_wrapped_headings,
    plain_text,
)
from indexing.chunking import make_passages
from indexing.config import Settings
from indexing.evidence import analyze_evidence, load_lexicon
from indexing.parse import parse_document

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
FORMATS = ["docx", "docx-auto", "docx-styles", "pdf", "txt", "doc", "doc-auto"]

LONG_HEADING = "3.1. Biện pháp 1: Biên soạn sổ tay tự học có mã QR dẫn đến video thao tác mẫu cho từng bài thực hành"

ARCHIVE = f"""---
title: "Sử dụng sổ tay tự học có mã QR để rèn kỹ năng thực hành thí nghiệm cho học sinh lớp 7"
author: "Đặng Thị Minh Nguyệt"
unit: "Trường THCS Hòa Bình, huyện Tràng Định"
year: 2023
---

SÁNG KIẾN KINH NGHIỆM

SỬ DỤNG SỔ TAY TỰ HỌC CÓ MÃ QR ĐỂ RÈN KỸ NĂNG THỰC HÀNH THÍ NGHIỆM CHO HỌC SINH LỚP 7

## PHẦN I. ĐẶT VẤN ĐỀ

**1. Lý do chọn đề tài**

Môn Khoa học tự nhiên lớp 7 có nhiều bài thực hành đo tốc độ, đo lực và quan sát sự nảy mầm của hạt. Khi vào phòng thí nghiệm, phần lớn học sinh lúng túng vì chỉ được xem giáo viên làm mẫu một lần trên bục giảng, đứng xa nên không nhìn rõ thao tác. Nhiều em lắp sai dụng cụ, đọc sai số chỉ của lực kế hoặc quên ghi số liệu, nên tiết học thường kéo dài quá giờ mà kết quả vẫn chưa đạt yêu cầu.

Xuất phát từ thực tế đó, tôi chọn đề tài "Sử dụng sổ tay tự học có mã QR để rèn kỹ năng thực hành thí nghiệm cho học sinh lớp 7" để học sinh được xem lại thao tác mẫu bao nhiêu lần tùy ý, ngay tại bàn thí nghiệm.

**2. Mục đích nghiên cứu**

Giúp học sinh lớp 7 tự chuẩn bị trước bài thực hành, lắp đúng dụng cụ theo sơ đồ, đọc đúng số chỉ của dụng cụ đo và tự ghi chép, xử lý số liệu mà không cần giáo viên nhắc từng bước.

**3. Đối tượng và phạm vi nghiên cứu**

Đối tượng là các biện pháp rèn kỹ năng thực hành thí nghiệm môn Khoa học tự nhiên. Phạm vi là 88 học sinh hai lớp 7A và 7B, Trường THCS Hòa Bình, từ tháng 9/2022 đến tháng 5/2023.

## PHẦN II. GIẢI QUYẾT VẤN ĐỀ

**1. Cơ sở lý luận**

Chương trình giáo dục phổ thông 2018 yêu cầu học sinh hình thành năng lực tìm hiểu tự nhiên thông qua quan sát, thực hành và thí nghiệm. Theo lí thuyết học tập trải nghiệm, người học ghi nhớ thao tác tốt nhất khi được quan sát mẫu nhiều lần rồi tự làm, tự sửa sai. Video ngắn quay cận cảnh đôi tay người làm mẫu giúp học sinh thấy rõ từng bước mà lời giảng trên lớp khó truyền đạt hết.

**2. Thực trạng**

Đầu năm học, tôi quan sát 88 học sinh trong bài thực hành đầu tiên và chấm theo ba kỹ năng. Kết quả như sau:

| Kỹ năng | Số học sinh đạt | Tỷ lệ (%) |
|---|---|---|
| Lắp dụng cụ đúng sơ đồ | 41 | 46,6 |
| Đọc đúng số chỉ của lực kế | 35 | 39,8 |
| Ghi chép và xử lý số liệu | 28 | 31,8 |

Nguyên nhân chủ yếu là học sinh không được xem lại thao tác mẫu, phòng thí nghiệm chật và mỗi tiết chỉ có 45 phút.

**3. Các biện pháp thực hiện**

**{LONG_HEADING}**

Với mỗi bài thực hành, tôi soạn một trang sổ tay khổ A5 gồm mục tiêu, danh sách dụng cụ, sơ đồ lắp ráp và bảng ghi số liệu để trống. Góc trên của trang in một mã QR dẫn đến video dài từ hai đến ba phút, quay cận cảnh đôi tay tôi lắp dụng cụ và đọc số chỉ. Học sinh quét mã bằng điện thoại của gia đình để xem trước ở nhà, còn trên lớp mỗi bàn có một máy tính bảng để xem lại khi cần.

**3.2. Biện pháp 2: Thực hành theo cặp với phiếu tự kiểm tra ba mức**

Hai học sinh ngồi cạnh nhau làm thành một cặp: một em thao tác, một em đối chiếu với sổ tay rồi đổi vai ở lần đo thứ hai. Sau mỗi lần đo, cặp tự đánh dấu phiếu tự kiểm tra theo ba mức:

- Mức 1: lắp đúng dụng cụ theo sơ đồ.
- Mức 2: đọc đúng số chỉ và ghi vào bảng.
- Mức 3: tính được giá trị trung bình và nêu nhận xét.

**3.3. Biện pháp 3: Góc trưng bày sản phẩm thực hành của các cặp**

Cuối mỗi chủ đề, các cặp dán bảng số liệu và ảnh chụp bộ dụng cụ đã lắp lên góc trưng bày của lớp. Cả lớp bình chọn cặp trình bày rõ ràng nhất, cặp được chọn sẽ quay video hướng dẫn cho bài sau cùng với giáo viên.

**4. Kết quả đạt được**

Sau hai học kỳ áp dụng, tôi quan sát lại 88 học sinh với cùng tiêu chí như đầu năm.

a) Về phía học sinh

Tỷ lệ học sinh đạt cả ba kỹ năng tăng rõ rệt, các em chủ động chuẩn bị bài và hoàn thành thí nghiệm đúng giờ.

| Kỹ năng | Đầu năm (%) | Cuối năm (%) |
|---|---|---|
| Lắp dụng cụ đúng sơ đồ | 46,6 | 92,0 |
| Đọc đúng số chỉ của lực kế | 39,8 | 88,6 |
| Ghi chép và xử lý số liệu | 31,8 | 85,2 |

b) Về phía giáo viên

Giáo viên không phải làm mẫu lại nhiều lần, có thời gian hỗ trợ riêng những cặp còn chậm. Bộ sổ tay gồm 14 bài đã được tổ Khoa học tự nhiên dùng chung cho bốn lớp 7.

c) Về phía phụ huynh

Qua khảo sát cuối năm, 71 trên 88 gia đình cho biết con đã chủ động xem video và kể lại thí nghiệm cho người thân nghe.

## PHẦN III. KẾT LUẬN VÀ KIẾN NGHỊ

**1. Kết luận**

Sổ tay tự học có mã QR giúp học sinh được xem thao tác mẫu nhiều lần, tự kiểm tra theo từng mức và tự tin hơn khi làm thí nghiệm. Cách làm đơn giản, ít tốn kém và phù hợp với trường vùng cao.

**2. Kiến nghị**

- Nhà trường trang bị thêm máy tính bảng cho phòng thí nghiệm.
- Tổ chuyên môn tiếp tục bổ sung video cho các bài thực hành lớp 8 và lớp 9.

## TÀI LIỆU THAM KHẢO

1. Bộ Giáo dục và Đào tạo (2018), Chương trình giáo dục phổ thông môn Khoa học tự nhiên.
2. Nguyễn Văn Khải (2019), Dạy học thí nghiệm theo hướng phát triển năng lực, Nhà xuất bản Giáo dục Việt Nam.
"""

# A later submission: the background copied word for word, the solution re-worded with the same tools
# (QR handbook, pairs with a three-level checklist), its own school and figures.
SUBMISSION = """---
title: "Rèn kỹ năng làm thí nghiệm cho học sinh lớp 7 bằng sổ tay mã QR và phiếu tự đánh giá theo cặp"
author: "Lý Văn Thuận"
unit: "Trường THCS Quốc Khánh, huyện Tràng Định"
year: 2024
---

SÁNG KIẾN KINH NGHIỆM

RÈN KỸ NĂNG LÀM THÍ NGHIỆM CHO HỌC SINH LỚP 7 BẰNG SỔ TAY MÃ QR VÀ PHIẾU TỰ ĐÁNH GIÁ THEO CẶP

## PHẦN I. ĐẶT VẤN ĐỀ

**1. Lý do chọn đề tài**

Các bài thực hành của môn Khoa học tự nhiên lớp 7 như đo tốc độ, đo lực hay theo dõi hạt nảy mầm đòi hỏi học sinh phải thao tác chính xác. Trong giờ thực hành, học sinh trường tôi thường bối rối vì chỉ nhìn thầy làm mẫu một lần từ xa. Nhiều em lắp nhầm dụng cụ, đọc sai lực kế, bỏ sót số liệu và tiết học thường bị kéo dài.

Vì vậy tôi thực hiện đề tài "Rèn kỹ năng làm thí nghiệm cho học sinh lớp 7 bằng sổ tay mã QR và phiếu tự đánh giá theo cặp" để mỗi em có thể tự xem lại thao tác mẫu ngay tại chỗ ngồi.

**2. Mục đích nghiên cứu**

Giúp học sinh lớp 7 tự chuẩn bị trước bài thực hành, lắp đúng dụng cụ theo sơ đồ, đọc đúng số chỉ của dụng cụ đo và tự ghi chép, xử lý số liệu mà không cần giáo viên nhắc từng bước.

**3. Đối tượng và phạm vi nghiên cứu**

Đối tượng là các biện pháp rèn kỹ năng làm thí nghiệm môn Khoa học tự nhiên. Phạm vi là 64 học sinh hai lớp 7A và 7C, Trường THCS Quốc Khánh, năm học 2023–2024.

## PHẦN II. GIẢI QUYẾT VẤN ĐỀ

**1. Cơ sở lý luận**

Chương trình giáo dục phổ thông 2018 yêu cầu học sinh hình thành năng lực tìm hiểu tự nhiên thông qua quan sát, thực hành và thí nghiệm. Theo lí thuyết học tập trải nghiệm, người học ghi nhớ thao tác tốt nhất khi được quan sát mẫu nhiều lần rồi tự làm, tự sửa sai. Video ngắn quay cận cảnh đôi tay người làm mẫu giúp học sinh thấy rõ từng bước mà lời giảng trên lớp khó truyền đạt hết.

**2. Thực trạng**

Tháng 9/2023, tôi theo dõi 64 học sinh trong bài thực hành mở đầu và đánh giá ba kỹ năng:

| Kỹ năng | Số học sinh đạt | Tỷ lệ (%) |
|---|---|---|
| Lắp dụng cụ đúng sơ đồ | 27 | 42,2 |
| Đọc đúng số chỉ của lực kế | 24 | 37,5 |
| Ghi chép và xử lý số liệu | 19 | 29,7 |

Lý do chính là các em không có cơ hội xem lại thao tác mẫu và thời gian một tiết học quá ngắn.

**3. Các biện pháp thực hiện**

**3.1. Biện pháp 1: Làm sổ tay thực hành có mã QR mở video thao tác mẫu quay cận cảnh**

Mỗi bài thực hành có một trang sổ tay khổ A5 ghi mục tiêu, các dụng cụ cần dùng, sơ đồ lắp và bảng số liệu để học sinh điền. Trên trang có mã QR mở video khoảng ba phút quay cận cảnh đôi tay giáo viên khi lắp dụng cụ và đọc số chỉ. Học sinh dùng điện thoại ở nhà để xem trước, trên lớp mỗi nhóm bàn được mượn máy tính bảng để xem lại.

**3.2. Biện pháp 2: Làm thí nghiệm theo cặp và tự chấm phiếu ba mức**

Học sinh làm việc theo cặp, một em lắp và đo, em còn lại so với sổ tay, đến lần đo sau thì đổi vai. Mỗi lần đo xong, hai em tự chấm phiếu theo ba mức:

- Mức 1: dụng cụ được lắp đúng sơ đồ.
- Mức 2: số chỉ được đọc đúng và ghi vào bảng.
- Mức 3: tính giá trị trung bình và rút ra nhận xét.

**4. Kết quả đạt được**

Cuối năm học, tôi đánh giá lại 64 học sinh theo đúng ba kỹ năng ban đầu.

a) Về phía học sinh

Hầu hết các em làm thí nghiệm đúng quy trình và nộp bảng số liệu ngay trong tiết.

| Kỹ năng | Đầu năm (%) | Cuối năm (%) |
|---|---|---|
| Lắp dụng cụ đúng sơ đồ | 42,2 | 90,6 |
| Đọc đúng số chỉ của lực kế | 37,5 | 87,5 |
| Ghi chép và xử lý số liệu | 29,7 | 84,4 |

b) Về phía giáo viên

Tôi có thêm thời gian kèm riêng những cặp làm chậm thay vì làm mẫu nhiều lần trước cả lớp.

## PHẦN III. KẾT LUẬN VÀ KIẾN NGHỊ

**1. Kết luận**

Sổ tay thực hành có mã QR cùng phiếu tự chấm theo cặp giúp học sinh tự tin khi làm thí nghiệm và ít phụ thuộc vào giáo viên.

**2. Kiến nghị**

- Nhà trường mua thêm máy tính bảng cho phòng bộ môn.
- Tổ chuyên môn xây dựng video cho các bài thực hành lớp 8.
"""


def _body(markdown: str) -> str:
    return markdown.split("---\n", 2)[2]


def _to_doc(docx: Path, out: Path) -> Path:
    """LibreOffice converts the DOCX rendering to Word 97 .doc, with a private profile."""
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(out / 'lo-profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "doc", "--outdir", str(out), str(docx)],
        capture_output=True, timeout=120, check=False,
    )
    doc = out / (docx.stem + ".doc")
    assert doc.is_file(), "LibreOffice did not convert the DOCX rendering to .doc"
    return doc


def render(markdown: str, folder: Path, name: str, formats=FORMATS) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    items = items_from_markdown(_body(markdown))
    files = {"md": folder / f"{name}.md"}
    files["md"].write_text(markdown, encoding="utf-8")
    if "docx" in formats or "doc" in formats:
        files["docx"] = make_docx(folder / f"{name}.docx", docx_items(items))
    if "docx-auto" in formats or "doc-auto" in formats:
        files["docx-auto"] = make_docx(folder / f"{name}-auto.docx", docx_items(items), auto_numbering=True)
    if "docx-styles" in formats:
        files["docx-styles"] = make_docx(folder / f"{name}-styles.docx", items)
    if "pdf" in formats:
        files["pdf"] = make_pdf(folder / f"{name}.pdf", items)
    if "txt" in formats:
        files["txt"] = make_txt(folder / f"{name}.txt", plain_text(items))
    if "doc" in formats and SOFFICE:
        files["doc"] = _to_doc(files["docx"], folder)
    if "doc-auto" in formats and SOFFICE:
        files["doc-auto"] = _to_doc(files["docx-auto"], folder)
    return files


def tree(doc) -> list[tuple[str, int, str]]:
    return [(s.heading, s.level, s.kind) for s in doc.sections]


def _skip_without_soffice(fmt: str) -> None:
    if fmt in ("doc", "doc-auto") and SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: legacy .doc files cannot be produced or read")


@pytest.fixture(scope="module")
def archive_files(tmp_path_factory):
    return render(ARCHIVE, tmp_path_factory.mktemp("formats"), "sangkien")


@pytest.fixture(scope="module")
def markdown_doc(archive_files):
    return parse_document(archive_files["md"], Settings())


def test_the_markdown_reference_has_the_structure_the_renderings_must_keep(markdown_doc):
    sections = tree(markdown_doc)
    assert markdown_doc.template == "SKKN"
    assert (LONG_HEADING, 3, "solution") in sections
    results = next(i for i, s in enumerate(markdown_doc.sections) if s.heading == "4. Kết quả đạt được")
    lettered = [s for s in markdown_doc.sections if s.heading.startswith(("a) ", "b) ", "c) "))]
    assert [s.heading for s in lettered] == ["a) Về phía học sinh", "b) Về phía giáo viên", "c) Về phía phụ huynh"]
    assert all(s.parent == results and s.level == 3 and s.kind == "results" for s in lettered)
    # The renderings really are hard cases: the long heading does not fit on one line of the PDF.
    assert pdf_wrapped_headings(items_from_markdown(_body(ARCHIVE))) >= 1


def evidence(doc) -> list[tuple[str, str, str]]:
    settings = Settings()
    return [(e.heading, e.kind, e.status) for e in analyze_evidence(doc, load_lexicon(settings.lexicons_dir)).sections]


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_sections_and_passages_in_every_format(fmt, archive_files, markdown_doc):
    _skip_without_soffice(fmt)
    doc = parse_document(archive_files[fmt], Settings())
    assert doc.template == markdown_doc.template
    assert tree(doc) == tree(markdown_doc)
    assert [s.parent for s in doc.sections] == [s.parent for s in markdown_doc.sections]
    assert abs(len(make_passages(doc)) - len(make_passages(markdown_doc))) <= 1
    # Issue 11: a section's evidence status must not depend on the format it was sent in.
    assert evidence(doc) == evidence(markdown_doc)
    # Table rows stay table rows (PDF: read from the ruled grid, not as text lines or headings).
    rows = [b.text for b in doc.blocks if b.kind == "table_row"]
    assert "Đọc đúng số chỉ của lực kế | 39,8 | 88,6" in rows


@pytest.fixture(scope="module")
def checked(tmp_path_factory, embedder):
    """The submission checked in every format against an archive holding the original initiative:
    fmt -> (verdict, score, top source's verdict, its coverage, evidence statuses)."""
    from indexing.archive import Archive

    folder = tmp_path_factory.mktemp("checks")
    archive = Archive(Settings(data_dir=folder / "data"), embedder=embedder)
    archive.add_file(render(ARCHIVE, folder / "archive", "luu-tru", formats=[])["md"])
    files = render(SUBMISSION, folder / "submission", "ho-so", formats=["docx", "docx-auto", "pdf", "txt", "doc"])
    results = {}
    for fmt, path in files.items():
        report = archive.check_file(path)
        top = report.similarity.sources[0] if report.similarity.sources else None
        results[fmt] = (report.similarity.verdict, report.similarity.score, top.verdict if top else None,
                        top.coverage if top else 0.0, [(e.heading, e.status) for e in report.evidence])
    return results


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["docx", "docx-auto", "pdf", "txt", "doc"])
def test_same_verdict_and_coverage_in_every_format(fmt, checked):
    _skip_without_soffice(fmt)
    verdict, score, source_verdict, coverage, statuses = checked["md"]
    assert verdict != "original" and coverage > 0.1, checked["md"]  # the check has something to find
    v, s, sv, c, st = checked[fmt]
    assert (v, sv) == (verdict, source_verdict), checked
    assert abs(s - score) <= 0.03 and abs(c - coverage) <= 0.03, checked
    assert st == statuses


# --- the pieces the invariance rests on ------------------------------------------------------------

def test_plain_text_headings_are_told_by_their_form(tmp_path):
    """TXT has no bold: a short unpunctuated line of its own before body text is a heading; a
    signature block, a table saved cell by cell or a caption is not."""
    from indexing.extract import extract

    text = "\n".join([
        "5. Hiệu quả", "",
        "Hiệu quả kinh tế", "",
        "Mỗi năm tổ tiết kiệm được 4,2 triệu đồng tiền giấy in nhờ chuyển phiếu sang mã QR.", "",
        "Thuận lợi", "",
        "- Phòng học có mạng không dây ổn định.", "",
        "Bảng 2. Kết quả cuối năm", "",
        "TT\tKỹ năng\tCuối năm", "1\tLắp dụng cụ\t92,0", "",
        "1.\tLý do chọn đề tài", "",
        "Tác giả:\tĐặng Thị Minh Nguyệt", "",
        "Chưa triển khai", "",
        "Mới triển khai thí điểm", "",
        "Hòa Bình, ngày 20 tháng 5 năm 2023", "Người viết sáng kiến", "Đặng Thị Minh Nguyệt",
    ])
    blocks = extract(make_txt(tmp_path / "sk.txt", text), Settings()).blocks
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert headings == ["Hiệu quả kinh tế", "Thuận lợi"]
    assert [b.text for b in blocks if b.kind == "table_row"] == ["TT | Kỹ năng | Cuối năm", "1 | Lắp dụng cụ | 92,0"]
    assert {"1. Lý do chọn đề tài", "Tác giả: Đặng Thị Minh Nguyệt"} <= {b.text for b in blocks if b.kind == "paragraph"}


def test_word_automatic_numbering_keeps_its_labels(tmp_path):
    """Word's AutoFormat takes "a) " and "1. " out of the text; the reader puts back what Word shows,
    continuing and restarting the lists as Word does."""
    from indexing.extract import extract

    items = [("bold", "1. Lý do chọn đề tài"), ("para", "Nội dung."), ("bold", "2. Mục đích nghiên cứu"),
             ("para", "a) Về phía học sinh"), ("para", "Nội dung."), ("para", "b) Về phía giáo viên"),
             ("bold", "3. Kết quả đạt được"), ("para", "a) Năm học thứ nhất"), ("para", "1. Lần thứ nhất")]
    path = make_docx(tmp_path / "tu-dong.docx", items, auto_numbering=True)
    blocks = extract(path, Settings()).blocks
    assert [b.text for b in blocks] == [item[1] for item in items]
    assert all("a)" not in p.text for p in __import__("docx").Document(str(path)).paragraphs)  # really automatic


def test_pdf_table_over_a_page_break_is_read_once_as_rows(tmp_path):
    """A ruled table whose header row Word/reportlab repeats on the next page: every row once, as a
    table row, none of them a heading (its header row is bold)."""
    from indexing.extract import extract

    rows = [["TT", "Nội dung công việc", "Kết quả"]] + [[str(n), f"Buổi thực hành số {n}", "Đạt"] for n in range(1, 61)]
    path = make_pdf(tmp_path / "bang.pdf", [("bold", "2. Thực trạng"), ("table", rows), ("para", "Kết thúc bảng.")])
    blocks = extract(path, Settings()).blocks
    table = [b.text for b in blocks if b.kind == "table_row"]
    assert table == [" | ".join(row) for row in rows]
    assert len({b.page for b in blocks if b.kind == "table_row"}) >= 2
    assert [b.text for b in blocks if b.kind == "heading"] == ["2. Thực trạng"]


def test_a_form_announced_by_a_lead_in_is_content_in_every_format(tmp_path):
    """"... bằng phiếu sau:" then a capitalised form title: part of the section, not a new one, whether
    the title is bold (DOCX, PDF) or not (Markdown, TXT); a signature block is no section either."""
    markdown = "\n\n".join([
        "---\ntitle: x\n---\n**1. Lý do chọn đề tài**",
        "Đầu năm học, tôi khảo sát 88 học sinh lớp 7 bằng phiếu sau:",
        "PHIẾU KHẢO SÁT KỸ NĂNG THỰC HÀNH CỦA HỌC SINH LỚP 7",
        "- Câu 1. Em đã tự lắp dụng cụ thí nghiệm lần nào chưa?",
        "**2. Mục đích nghiên cứu**",
        "Giúp học sinh tự lắp dụng cụ và đọc đúng số chỉ của lực kế.",
        "Hòa Bình, ngày 20 tháng 5 năm 2023",
        "**Người viết sáng kiến**",
        "Đặng Thị Minh Nguyệt",
    ])
    files = render(markdown, tmp_path, "phieu", formats=["docx", "pdf", "txt"])
    for fmt, path in files.items():
        headings = [s.heading for s in parse_document(path, Settings()).sections]
        assert headings == ["1. Lý do chọn đề tài", "2. Mục đích nghiên cứu"], fmt
