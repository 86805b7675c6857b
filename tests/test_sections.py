"""Section detection on initiative documents written for these tests, one per template."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexing.config import Settings
from indexing.document import Block, Document
from indexing.errors import SangkienError
from indexing.sections import detect_sections
from indexing.templates import load_templates
from indexing.text import fold
from indexing.title import guess_title

TEMPLATES = load_templates(Settings().templates_dir)

PARA = "Trong năm học vừa qua, tập thể giáo viên đã cùng nhau trao đổi, thử nghiệm và rút kinh nghiệm sau mỗi tháng."


def heading(text: str, level: int) -> Block:
    return Block(text, kind="heading", heading_level=level)


def bold(text: str) -> Block:
    return Block(text, bold=True)


def build(items: list) -> tuple[list[Block], str, list[int]]:
    blocks = [item if isinstance(item, Block) else Block(item) for item in items]
    offsets, pos = [], 0
    for block in blocks:
        offsets.append(pos)
        pos += len(block.text) + 1
    return blocks, "\n".join(b.text for b in blocks), offsets


def outline(detection) -> list[tuple[str, str, int]]:
    return [(s.heading, s.kind, s.level) for s in detection.sections]


SKKN_DOC = [
    "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO HUYỆN CAO LỘC",
    bold("SÁNG KIẾN KINH NGHIỆM"),
    "MỘT SỐ BIỆN PHÁP GIÚP HỌC SINH LỚP 3 HỌC TỐT PHÉP CHIA CÓ DƯ",
    "MỤC LỤC",
    "PHẦN I. ĐẶT VẤN ĐỀ ........ 1",
    "1. Lý do chọn đề tài ........ 1",
    "PHẦN II. GIẢI QUYẾT VẤN ĐỀ ........ 2",
    "PHẦN III. KẾT LUẬN VÀ KIẾN NGHỊ ........ 5",
    "PHẦN I. ĐẶT VẤN ĐỀ",
    "1. Lý do chọn đề tài",
    PARA,
    "2. Mục đích nghiên cứu",
    PARA,
    "3. Phạm vi nghiên cứu",
    "Học sinh lớp 3A, năm học 2023–2024.",
    "PHẦN II. GIẢI QUYẾT VẤN ĐỀ",
    "1. Cơ sở lí luận",
    PARA,
    "2. Thực trạng của vấn đề",
    bold("Thuận lợi"),
    "Nhà trường có đủ đồ dùng dạy học.",
    bold("Khó khăn"),
    "Nhiều em còn nhầm lẫn khi tìm số dư.",
    "3. Các biện pháp thực hiện",
    "Biện pháp 1: Ôn lại bảng chia bằng trò chơi",
    PARA,
    "1. Chuẩn bị thẻ số cho từng nhóm",  # numbering restarts: a list inside the body, not a heading
    "Biện pháp 2: Dùng que tính để minh hoạ số dư",
    PARA,
    "PHẦN III. KẾT LUẬN VÀ KIẾN NGHỊ",
    "1. Kết luận",
    PARA,
    "2. Kiến nghị",
    "Nhà trường tổ chức chuyên đề về dạy học phép chia.",
    "TÀI LIỆU THAM KHẢO",
    "1. Bộ Giáo dục và Đào tạo (2018), Chương trình giáo dục phổ thông môn Toán.",
    "2. Sách giáo khoa Toán 3",
]


def test_skkn_layout_with_table_of_contents_and_bold_headings():
    blocks, text, offsets = build(SKKN_DOC)
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template == "SKKN"
    assert outline(detection) == [
        ("PHẦN I. ĐẶT VẤN ĐỀ", "other", 1),
        ("1. Lý do chọn đề tài", "reason", 2),
        ("2. Mục đích nghiên cứu", "objective", 2),
        ("3. Phạm vi nghiên cứu", "scope", 2),
        ("PHẦN II. GIẢI QUYẾT VẤN ĐỀ", "other", 1),
        ("1. Cơ sở lí luận", "theory", 2),
        ("2. Thực trạng của vấn đề", "current_state", 2),
        ("Thuận lợi", "current_state", 3),
        ("Khó khăn", "current_state", 3),
        ("3. Các biện pháp thực hiện", "solution", 2),
        ("Biện pháp 1: Ôn lại bảng chia bằng trò chơi", "solution", 3),
        ("Biện pháp 2: Dùng que tính để minh hoạ số dư", "solution", 3),
        ("PHẦN III. KẾT LUẬN VÀ KIẾN NGHỊ", "conclusion", 1),
        ("1. Kết luận", "conclusion", 2),
        ("2. Kiến nghị", "recommendation", 2),
        ("TÀI LIỆU THAM KHẢO", "references", 1),
    ]
    assert detection.missing_sections == ["Kết quả đạt được"]


def test_offsets_parents_and_ends():
    blocks, text, offsets = build(SKKN_DOC)
    sections = detect_sections(blocks, text, offsets, TEMPLATES).sections
    reason = sections[1]
    # The body text (not the table of contents) is the section.
    assert reason.start == text.index("1. Lý do chọn đề tài\n" + PARA)
    assert text[reason.start : reason.body_start] == "1. Lý do chọn đề tài\n"
    assert reason.body(text).strip() == PARA
    assert reason.parent == 0 and sections[0].parent is None
    part2 = sections[4]
    assert part2.end == sections[12].start  # runs over its children up to PHẦN III
    measures = sections[9]
    assert "1. Chuẩn bị thẻ số cho từng nhóm" in measures.body(text)
    assert sections[10].parent == 9 and sections[11].parent == 9
    assert sections[-1].end == len(text)
    for s in sections:
        assert text[s.start : s.start + len(s.heading)] == s.heading


T291_DOC = [
    heading("NÂNG CAO CHẤT LƯỢNG SỔ HỘ TỊCH ĐIỆN TỬ TẠI XÃ HOÀ BÌNH", 1),
    heading("Tóm tắt sáng kiến", 2),
    PARA,
    heading("1. Lý do chọn sáng kiến", 2),
    PARA,
    heading("2. Mục tiêu sáng kiến", 2),
    PARA,
    heading("3. Phạm vi sáng kiến", 2),
    PARA,
    heading("4. Cơ sở lí luận", 2),
    PARA,
    heading("5. Cơ sở thực tiễn", 2),
    PARA,
    heading("6. Nội dung và những kết quả nghiên cứu của sáng kiến", 2),
    "6.1. Chuẩn hoá mẫu sổ",
    PARA,
    "6.2. Bước 2: Nhập dữ liệu theo thôn",
    PARA,
    "6.3. Kết quả đạt được",
    PARA,
    heading("7. Thảo luận, đánh giá kết quả thu được", 2),
    heading("7.1. Tính mới, tính sáng tạo", 3),
    PARA,
    heading("7.2. Khả năng áp dụng", 3),
    PARA,
    heading("8. Kết luận", 2),
    PARA,
]


def test_t291_markdown_headings_with_plain_subheadings():
    blocks, text, offsets = build(T291_DOC)
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template == "T291"
    assert outline(detection) == [
        ("Tóm tắt sáng kiến", "summary", 1),
        ("1. Lý do chọn sáng kiến", "reason", 1),
        ("2. Mục tiêu sáng kiến", "objective", 1),
        ("3. Phạm vi sáng kiến", "scope", 1),
        ("4. Cơ sở lí luận", "theory", 1),
        ("5. Cơ sở thực tiễn", "current_state", 1),
        ("6. Nội dung và những kết quả nghiên cứu của sáng kiến", "solution", 1),
        ("6.1. Chuẩn hoá mẫu sổ", "solution", 2),
        ("6.2. Bước 2: Nhập dữ liệu theo thôn", "solution", 2),
        ("6.3. Kết quả đạt được", "results", 2),
        ("7. Thảo luận, đánh giá kết quả thu được", "discussion", 1),
        ("7.1. Tính mới, tính sáng tạo", "novelty", 2),
        ("7.2. Khả năng áp dụng", "applicability", 2),
        ("8. Kết luận", "conclusion", 1),
    ]
    assert detection.missing_sections == ["Lợi ích thiết thực"]


TT18_DOC = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập – Tự do – Hạnh phúc",
    heading("BẢN MÔ TẢ SÁNG KIẾN", 1),
    "1. Tên sáng kiến: Sổ theo dõi tiêm chủng bằng bảng tính dùng chung tại trạm y tế xã.",
    "2. Lĩnh vực áp dụng: Y tế dự phòng.",
    heading("3. Mô tả bản chất của sáng kiến", 1),
    heading("3.1. Tình trạng giải pháp đã biết", 2),
    PARA,
    heading("3.2. Nội dung giải pháp đề nghị công nhận là sáng kiến", 2),
    "a) Mục đích của giải pháp",
    PARA,
    "b) Những điểm khác biệt, tính mới so với giải pháp đã biết",
    PARA,
    "c) Các bước thực hiện giải pháp",
    "Bước 1. Lập danh sách trẻ theo thôn",
    PARA,
    "Bước 2. Hẹn lịch tiêm qua nhân viên y tế thôn bản",
    PARA,
    heading("4. Khả năng áp dụng của giải pháp", 1),
    PARA,
    heading("5. Hiệu quả, lợi ích thu được do áp dụng giải pháp", 1),
    "5.1. Theo ý kiến của tác giả",
    PARA,
    heading("7. Tài liệu kèm theo", 1),
    "Mẫu sổ theo dõi tiêm chủng.",
]


def test_tt18_form_with_heading_styles_and_inline_fields():
    blocks, text, offsets = build(TT18_DOC)
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template == "TT18"
    assert outline(detection) == [
        ("1. Tên sáng kiến", "form_field", 1),
        ("2. Lĩnh vực áp dụng", "form_field", 1),
        ("3. Mô tả bản chất của sáng kiến", "solution", 1),
        ("3.1. Tình trạng giải pháp đã biết", "current_state", 2),
        ("3.2. Nội dung giải pháp đề nghị công nhận là sáng kiến", "solution", 2),
        ("a) Mục đích của giải pháp", "objective", 3),
        ("b) Những điểm khác biệt, tính mới so với giải pháp đã biết", "novelty", 3),
        ("c) Các bước thực hiện giải pháp", "solution", 3),
        ("Bước 1. Lập danh sách trẻ theo thôn", "solution", 4),
        ("Bước 2. Hẹn lịch tiêm qua nhân viên y tế thôn bản", "solution", 4),
        ("4. Khả năng áp dụng của giải pháp", "applicability", 1),
        ("5. Hiệu quả, lợi ích thu được do áp dụng giải pháp", "benefits", 1),
        ("5.1. Theo ý kiến của tác giả", "benefits", 2),
        ("7. Tài liệu kèm theo", "appendix", 1),
    ]
    assert detection.missing_sections == ["Những người tham gia tổ chức áp dụng sáng kiến lần đầu"]
    field = detection.sections[1]
    assert field.body(text).strip() == "Y tế dự phòng."  # the value on the label's line is the body


def test_tt18_title_comes_from_the_name_field():
    blocks, text, offsets = build(TT18_DOC)
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="docx", sections=detection.sections)
    assert guess_title(doc) == "Sổ theo dõi tiêm chủng bằng bảng tính dùng chung tại trạm y tế xã"
    doc.metadata["title"] = "Tiêu đề trong thuộc tính tệp"
    assert guess_title(doc) == "Tiêu đề trong thuộc tính tệp"


BCMT_DOC = [
    "BÁO CÁO MÔ TẢ SÁNG KIẾN",
    "1. Tên sáng kiến: Quy trình đối chiếu hồ sơ thuế hằng tháng.",
    "2. Tác giả sáng kiến: Nguyễn Văn An, chuyên viên.",
    "3. Lĩnh vực áp dụng: Quản lý thuế.",
    "4. Mô tả sáng kiến:",
    "a) Khái quát đặc điểm, tình hình trước khi có sáng kiến:",
    PARA,
    Block("Sự cần thiết, mục đích của việc thực hiện sáng kiến:", kind="list_item"),
    PARA,
    "b) Nội dung sáng kiến:",
    "Giải pháp 1: Lập bảng đối chiếu chung",
    PARA,
    "Giải pháp 2: Phân công đối chiếu chéo",
    PARA,
    Block("Tính mới của sáng kiến:", kind="list_item"),
    PARA,
    "c) Hiệu quả và phạm vi áp dụng của sáng kiến, giải pháp",
    PARA,
    "5. Thời gian áp dụng: từ tháng 3/2025.",
]


def test_bcmt_report_with_lettered_parts_and_bullet_headings():
    blocks, text, offsets = build(BCMT_DOC)
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template == "BCMT"
    assert outline(detection) == [
        ("1. Tên sáng kiến", "form_field", 1),
        ("2. Tác giả sáng kiến", "form_field", 1),
        ("3. Lĩnh vực áp dụng", "form_field", 1),
        ("4. Mô tả sáng kiến", "solution", 1),
        ("a) Khái quát đặc điểm, tình hình trước khi có sáng kiến", "current_state", 2),
        ("Sự cần thiết, mục đích của việc thực hiện sáng kiến", "reason", 3),
        ("b) Nội dung sáng kiến", "solution", 2),
        ("Giải pháp 1: Lập bảng đối chiếu chung", "solution", 3),
        ("Giải pháp 2: Phân công đối chiếu chéo", "solution", 3),
        ("Tính mới của sáng kiến", "novelty", 3),
        ("c) Hiệu quả và phạm vi áp dụng của sáng kiến, giải pháp", "benefits", 2),
        ("5. Thời gian áp dụng", "form_field", 1),
    ]
    assert detection.missing_sections == []


def test_text_that_follows_no_template():
    blocks, text, offsets = build([
        "Điều 1. Phạm vi điều chỉnh",
        "Thông tư này quy định về chế độ báo cáo thống kê của ngành.",
        "1. Cơ quan, tổ chức có liên quan thực hiện báo cáo định kỳ.",
        "Điều 2. Hiệu lực thi hành",
        "Thông tư này có hiệu lực kể từ ngày ký.",
    ])
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template is None
    assert detection.sections == []
    assert detection.missing_sections == []


def test_titles_from_marker_block_and_first_line():
    blocks, text, offsets = build(SKKN_DOC)
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="pdf", sections=detection.sections)
    assert guess_title(doc) == "MỘT SỐ BIỆN PHÁP GIÚP HỌC SINH LỚP 3 HỌC TỐT PHÉP CHIA CÓ DƯ"

    blocks, text, offsets = build(["Ghi chép", "Tổ chức ngày hội đọc sách cho học sinh tiểu học", PARA])
    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="txt")
    assert guess_title(doc) == "Tổ chức ngày hội đọc sách cho học sinh tiểu học"


def test_fold_ignores_case_tone_placement_and_i_y():
    assert fold("Lý do chọn đề tài") == fold("LÍ DO CHỌN ĐỀ TÀI")
    assert fold("Hoà Bình, thuỷ lợi") == fold("hòa bình thủy lợi")
    assert fold("Kỹ năng") == fold("kĩ năng")
    assert fold("Mục tiêu") != fold("Mục đích")


def test_templates_load_with_versions_and_bad_files_are_reported(tmp_path: Path):
    templates = {t.id: t for t in load_templates(Settings().templates_dir)}
    assert {"T291", "TT18", "BCMT", "SKKN"} <= set(templates)
    assert all(t.version >= 1 and t.name and t.sections for t in templates.values())
    assert [d.name for d in templates["T291"].sections if d.required][:2] == ["Tóm tắt sáng kiến", "Lí do chọn sáng kiến"]

    (tmp_path / "broken.yaml").write_text("id: X\nsections: [{kind: nonsense, name: Sai}]\n", encoding="utf-8")
    with pytest.raises(SangkienError) as info:
        load_templates(tmp_path)
    assert "broken.yaml" in info.value.message and "không hợp lệ" in info.value.message


def test_named_measures_under_markdown_numbering_keep_their_whole_heading():
    blocks, text, offsets = build([
        heading("SÁNG KIẾN KINH NGHIỆM", 1),
        heading("PHẦN II. GIẢI QUYẾT VẤN ĐỀ", 2),
        heading("3. Các giải pháp", 3),
        heading("3.1. Biện pháp 1: Góc học tập: đồ dùng tự làm", 4),
        PARA,
        heading("3.2. Biện pháp 2: Thi đua theo tổ", 4),
        PARA,
        heading("4. Hiệu quả", 3),
        PARA,
    ])
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert outline(detection) == [
        ("PHẦN II. GIẢI QUYẾT VẤN ĐỀ", "other", 1),
        ("3. Các giải pháp", "solution", 2),
        ("3.1. Biện pháp 1: Góc học tập: đồ dùng tự làm", "solution", 3),
        ("3.2. Biện pháp 2: Thi đua theo tổ", "solution", 3),
        ("4. Hiệu quả", "results", 2),
    ]
    assert detection.template == "SKKN"
    assert detection.missing_sections == ["Lí do chọn đề tài", "Cơ sở lí luận", "Thực trạng", "Kết luận"]


def test_outline_without_title_is_not_taken_for_the_body():
    blocks, text, offsets = build([
        "BẢN MÔ TẢ SÁNG KIẾN",
        "1. Tình trạng giải pháp đã biết",
        "2. Nội dung giải pháp đề nghị công nhận là sáng kiến",
        "3. Khả năng áp dụng của giải pháp",
        "1. Tình trạng giải pháp đã biết",
        PARA,
        "2. Nội dung giải pháp đề nghị công nhận là sáng kiến",
        PARA,
        "3. Khả năng áp dụng của giải pháp",
        PARA,
    ])
    sections = detect_sections(blocks, text, offsets, TEMPLATES).sections
    assert [s.heading for s in sections] == [
        "1. Tình trạng giải pháp đã biết",
        "2. Nội dung giải pháp đề nghị công nhận là sáng kiến",
        "3. Khả năng áp dụng của giải pháp",
    ]
    assert all(s.body(text).strip() == PARA for s in sections)


def test_title_from_inline_name_field_after_form_heading():
    from indexing.document import Block, Document
    from indexing.parse import join_blocks
    from indexing.sections import detect_sections
    from indexing.title import guess_title

    blocks = [Block("BÁO CÁO MÔ TẢ SÁNG KIẾN"),
              Block("Tên sáng kiến: Bao quả hồng bằng túi giấy hai lớp tại xã Thụy Hùng."),
              Block("1. Lí do chọn sáng kiến"), Block("Ruồi vàng gây hại nặng trên cây hồng.")]
    text, offsets = join_blocks(blocks)
    found = detect_sections(blocks, text, offsets, TEMPLATES)
    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="txt", sections=found.sections)
    assert guess_title(doc) == "Bao quả hồng bằng túi giấy hai lớp tại xã Thụy Hùng"


def test_titles_never_come_from_default_properties_file_names_or_form_headings():
    from indexing.parse import join_blocks
    from indexing.title import usable_property_title

    assert not usable_property_title("Word Document", "/tmp/x.docx")
    assert not usable_property_title("dup_reworded", "/tmp/dup_reworded.docx")
    assert not usable_property_title("bao-cao-sang-kien", "/tmp/khac.docx")
    assert not usable_property_title("BÁO CÁO MÔ TẢ SÁNG KIẾN", None)
    assert usable_property_title("Sổ tay điện tử theo dõi đọc sách của học sinh lớp 5", "/tmp/so-tay.docx")

    blocks = [Block("BÁO CÁO MÔ TẢ SÁNG KIẾN CẤP CƠ SỞ"), Block("1. Lí do chọn sáng kiến"),
              Block("Học sinh lớp 5 ít đọc sách ngoài giờ và thư viện trường vắng người mượn sách.")]
    text, offsets = join_blocks(blocks)
    found = detect_sections(blocks, text, offsets, TEMPLATES)
    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="txt", sections=found.sections,
                   metadata={"title": "Word Document"})
    assert guess_title(doc) == "Học sinh lớp 5 ít đọc sách ngoài giờ và thư viện trường vắng người mượn sách"


NEWS_ARTICLE = [
    "Lạng Sơn: Nông dân Cao Lộc được mùa hồng không hạt",
    "Những ngày này, trên các triền đồi xã Thanh Lòa, bà con đang tất bật thu hoạch hồng không hạt.",
    "Theo ông Hoàng Văn Minh, trưởng thôn, năm nay giá hồng cao hơn năm trước khoảng 10%.",
    "Nhiều hộ đã liên kết với thương lái để tiêu thụ, không còn cảnh ép giá như trước.",
    "Hiện toàn huyện có hơn 1.400 ha hồng, trong đó hồng không hạt chiếm khoảng một nửa.",
]


def test_a_news_article_is_told_it_follows_no_template():
    from indexing.report import CheckReport
    from service.wording import structure_text

    blocks, text, offsets = build(NEWS_ARTICLE)
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template is None and detection.closest_template is None
    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="md", template=None,
                   sections=detection.sections, missing_sections=detection.missing_sections)
    sentence = structure_text(CheckReport.summarize(doc))
    assert sentence == "Không nhận ra mẫu bản mô tả sáng kiến."
    assert "đủ các mục" not in sentence


def test_a_partial_form_names_the_closest_template_and_what_it_lacks():
    blocks, text, offsets = build([
        "Mô tả cách làm mới trong tổ chuyên môn",
        heading("Tình trạng giải pháp đã biết", 2), PARA,
        heading("Nội dung giải pháp đề nghị công nhận là sáng kiến", 2), PARA,
    ])
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template is None
    assert detection.closest_template == "TT18"
    assert "Khả năng áp dụng của giải pháp" in detection.closest_missing
    assert "Tình trạng giải pháp đã biết" not in detection.closest_missing


@pytest.mark.parametrize("results_heading", ["IV. Kết quả", "IV. Hiệu quả đạt được", "IV. KẾT QUẢ VÀ HIỆU QUẢ"])
def test_a_results_heading_in_other_words_is_the_results_section_and_never_missing(results_heading):
    blocks, text, offsets = build([
        bold("SÁNG KIẾN KINH NGHIỆM"),
        "MỘT SỐ BIỆN PHÁP GIÚP HỌC SINH LỚP 3 HỌC TỐT PHÉP CHIA CÓ DƯ",
        bold("I. Cơ sở lí luận"), PARA,
        bold("II. Thực trạng"), PARA,
        bold("III. Các biện pháp thực hiện"), PARA,
        bold(results_heading),
        "Cuối năm, tỉ lệ học sinh làm đúng phép chia có dư tăng từ 54% lên 86% (lớp 3A, 32 em).",
        bold("V. Kết luận"), PARA,
    ])
    detection = detect_sections(blocks, text, offsets, TEMPLATES)
    assert detection.template == "SKKN"
    assert (results_heading, "results") in [(s.heading, s.kind) for s in detection.sections]
    assert "Kết quả đạt được" not in detection.missing_sections
    # ... and the evidence table rates the same section: the two never contradict each other.
    from indexing.evidence import analyze_evidence, load_lexicon

    doc = Document(text=text, blocks=blocks, block_offsets=offsets, format="docx", template=detection.template,
                   sections=detection.sections, missing_sections=detection.missing_sections)
    rows = {row.heading: row.status for row in analyze_evidence(doc, load_lexicon(Settings().lexicons_dir)).sections}
    assert rows[results_heading] == "present"
