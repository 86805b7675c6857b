"""Evidence-gap analysis on Documents built here from Vietnamese text written for these tests."""
from __future__ import annotations

import pytest

from indexing.config import Settings
from indexing.document import Block, Document, Section
from indexing.errors import InputError
from indexing.evidence import analyze_evidence, load_lexicon

LEXICON = load_lexicon(Settings().lexicons_dir)


def build_doc(items, missing_sections=()) -> Document:
    """items: (heading, level, kind, body lines). Body lines containing " | " become table rows."""
    blocks, sections, stack = [], [], []
    for heading, level, _kind, lines in items:
        blocks.append(Block(heading, kind="heading", heading_level=level))
        blocks.extend(Block(line, kind="table_row" if " | " in line else "paragraph") for line in lines)
    offsets, pos = [], 0
    for block in blocks:
        offsets.append(pos)
        pos += len(block.text) + 1
    text = "\n".join(b.text for b in blocks)
    heading_offsets = iter(o for o, b in zip(offsets, blocks) if b.kind == "heading")
    for heading, level, kind, _ in items:
        start = next(heading_offsets)
        while stack and sections[stack[-1]].level >= level:
            stack.pop()
        sections.append(Section(heading, kind, level, start, start + len(heading) + 1, len(text),
                                stack[-1] if stack else None))
        stack.append(len(sections) - 1)
    for i, section in enumerate(sections):
        later = [s.start for s in sections[i + 1 :] if s.level <= section.level]
        section.end = later[0] if later else len(text)
    return Document(text=text, blocks=blocks, block_offsets=offsets, format="txt", sections=sections,
                    missing_sections=list(missing_sections))


def judge(kind, *lines, heading="1. Mục thử"):
    report = analyze_evidence(build_doc([(heading, 2, kind, list(lines))]), LEXICON)
    assert len(report.sections) == 1
    return report.sections[0]


# --- results: each status -------------------------------------------------------------------

def test_results_before_after_same_measure_with_sample_is_present():
    item = judge(
        "results",
        "Tháng 5/2024, tôi khảo sát lại 34 học sinh lớp 3A bằng cùng bài đọc như đầu năm.",
        "Tỷ lệ học sinh đọc đúng tốc độ tăng từ 41,2% (14/34 em) lên 88,2% (30/34 em).",
    )
    assert item.status == "present"
    assert any("so sánh" in f for f in item.findings)


def test_results_percentage_without_baseline_is_weak():
    item = judge("results", "Cuối năm học, khoảng 80% học sinh đọc trôi chảy, các em rất hào hứng.")
    assert item.status == "weak"
    assert any("mốc so sánh" in f for f in item.findings)
    # Advice that fits: the section has a percentage, so the percentage rule comes first.
    assert item.suggestions[0].startswith("Mỗi tỷ lệ phần trăm cần kèm mốc so sánh")
    assert any("trước và sau" in s for s in item.suggestions)


def test_results_claims_only_are_missing_and_quoted():
    item = judge("results", "Trẻ tiến bộ rõ rệt.", "Phụ huynh rất phấn khởi, nhà trường đánh giá cao.")
    assert item.status == "missing"
    assert 'Câu khẳng định chưa có số liệu: "Trẻ tiến bộ rõ rệt."' in item.findings
    assert item.suggestions


def test_results_table_with_figures_is_present():
    item = judge(
        "results",
        "Bảng 2. Kết quả cuối kỳ",
        "Tiêu chí | Đầu năm | Cuối năm",
        "Tự rửa tay đúng cách | 9 | 27",
        "Tự cất dép đúng chỗ | 12 | 29",
    )
    assert item.status == "present"
    assert any("bảng số liệu" in f for f in item.findings)


# --- numbers that are not evidence ----------------------------------------------------------

def test_dates_law_numbers_and_ordinals_are_not_evidence():
    item = judge(
        "reason",
        "Thực hiện Nghị định 13/2012/NĐ-CP và Thông tư số 28/2016/TT-BGDĐT, trong năm học 2018–2019 "
        "nhà trường chú trọng rèn kỹ năng sống cho trẻ.",
        "Từ tháng 9/2018, tôi áp dụng Biện pháp 1 và Bước 2 ở lớp 5B theo mục 2.3 của kế hoạch.",
        heading="1. Lí do chọn đề tài",
    )
    assert item.status == "missing"
    assert any("không được tính là minh chứng" in f for f in item.findings)


def test_reason_with_counts_is_weak():
    item = judge("reason", "Lớp tôi có 35 học sinh, trong đó 21 em thường xuyên quên đồ dùng học tập.")
    assert item.status == "weak"


# --- current state --------------------------------------------------------------------------

def test_current_state_survey_with_sample_is_present():
    item = judge(
        "current_state",
        "Đầu tháng 10/2023, tôi kiểm tra 40 hộ chăn nuôi: chỉ 12/40 hộ (30,0%) tiêm phòng đủ mũi, "
        "9/40 hộ (22,5%) có sổ theo dõi đàn.",
        heading="2. Thực trạng",
    )
    assert item.status == "present"


def test_current_state_vague_description_is_weak():
    item = judge(
        "current_state",
        "Xã có 9 thôn. Phần lớn người dân chưa biết nộp hồ sơ trực tuyến, khoảng một nửa số hồ sơ phải bổ sung.",
        heading="2. Thực trạng",
    )
    assert item.status == "weak"


# --- novelty --------------------------------------------------------------------------------

def test_novelty_generic_claim_is_missing():
    item = judge("novelty", "Đây là cách làm mới, sáng tạo, lần đầu tiên được áp dụng tại đơn vị.",
                 heading="7.1. Tính mới, tính sáng tạo")
    assert item.status == "missing"
    assert any("chưa nói cụ thể khác gì" in f for f in item.findings)


def test_novelty_concrete_difference_without_measure_is_weak():
    item = judge(
        "novelty",
        "Trước đây giáo viên ghi điểm rèn luyện vào sổ giấy và tổng hợp cuối tháng; nay mỗi lớp dùng "
        "bảng tính chung, điểm được cộng ngay trong ngày và phụ huynh xem được qua đường liên kết.",
        heading="7.1. Tính mới, tính sáng tạo",
    )
    assert item.status == "weak"


def test_novelty_with_quantified_comparison_is_present():
    item = judge(
        "novelty",
        "Thay cho cách chấm phiếu bằng tay, phiếu được quét và chấm tự động bằng phần mềm mã nguồn mở.",
        "Thời gian chấm một đợt kiểm tra giảm từ 6 giờ xuống 40 phút so với cách làm cũ.",
        heading="2.2. Những điểm khác biệt, tính mới của giải pháp",
    )
    assert item.status == "present"


# --- applicability --------------------------------------------------------------------------

def test_applicability_generic_is_missing():
    item = judge("applicability", "Sáng kiến có thể áp dụng rộng rãi ở các trường trong huyện và trong tỉnh.",
                 heading="7.2. Khả năng áp dụng")
    assert item.status == "missing"


def test_applicability_named_units_with_scale_is_present():
    item = judge(
        "applicability",
        "Từ tháng 2/2024, Trường Tiểu học Kim Đồng và Trường Tiểu học Lê Lợi đã áp dụng cho 6 lớp với 187 học sinh.",
        heading="7.2. Khả năng áp dụng",
    )
    assert item.status == "present"


def test_applicability_potential_in_named_place_is_weak():
    item = judge("applicability", "Giải pháp áp dụng được cho các hợp tác xã chè ở huyện Đình Lập và huyện Lộc Bình.",
                 heading="4. Khả năng áp dụng của giải pháp")
    assert item.status == "weak"


# --- confirmation by the applying unit ------------------------------------------------------

def test_confirmation_praise_only_is_missing():
    item = judge("benefits", "Đơn vị đánh giá cao giải pháp, cho rằng giải pháp mang lại hiệu quả rõ rệt.",
                 heading="5.2. Theo ý kiến của tổ chức, cá nhân đã tham gia áp dụng thử")
    assert item.status == "missing"
    assert any("xác nhận" in s for s in item.suggestions)


def test_confirmation_with_written_confirmation_is_present():
    item = judge("benefits", "Ban giám hiệu đã lập biên bản xác nhận kết quả kiểm tra cuối học kỳ do tổ chuyên môn thực hiện.",
                 heading="5.2. Theo ý kiến của tổ chức, cá nhân đã tham gia áp dụng thử")
    assert item.status == "present"


# --- benefits, summary, conclusion ----------------------------------------------------------

def test_benefits_cost_saving_with_calculation_is_present():
    item = judge("benefits", "Chi phí in ấn giảm từ 4,5 triệu đồng xuống 1,2 triệu đồng mỗi học kỳ.",
                 heading="7.3. Lợi ích thiết thực")
    assert item.status == "present"


def test_benefits_without_figures_is_missing():
    item = judge("benefits", "Giúp người dân đỡ đi lại, cán bộ nhẹ việc hơn, hình ảnh cơ quan được nâng lên.",
                 heading="7.3. Lợi ích thiết thực")
    assert item.status == "missing"


def test_conclusion_only_asserting_effect_is_missing():
    item = judge("conclusion", "Biện pháp trên là cách làm hiệu quả, phù hợp với điều kiện của trường.",
                 heading="8. Kết luận")
    assert item.status == "missing"


# --- nesting, skipping, output --------------------------------------------------------------

def test_parent_is_judged_with_children_and_says_so():
    doc = build_doc([
        ("2. Thực trạng", 2, "current_state", []),
        ("2.1. Khó khăn", 3, "current_state", ["Nhiều em còn rụt rè, ít phát biểu."]),
        ("2.2. Kết quả khảo sát đầu năm", 3, "current_state", [
            "Mức độ | Số học sinh | Tỷ lệ (%)",
            "Mạnh dạn phát biểu | 8 | 25,0",
            "Còn rụt rè | 24 | 75,0",
        ]),
    ])
    report = analyze_evidence(doc, LEXICON)
    by_heading = {s.heading: s for s in report.sections}
    assert by_heading["2. Thực trạng"].status == "present"
    assert by_heading["2. Thực trạng"].findings[0] == "Minh chứng nằm ở mục con “2.2. Kết quả khảo sát đầu năm”."
    assert by_heading["2.1. Khó khăn"].status == "missing"  # judged on its own body only
    assert by_heading["2.2. Kết quả khảo sát đầu năm"].status == "present"


def test_sections_without_claims_are_skipped_and_json_shape():
    doc = build_doc([
        ("1. Cơ sở lý luận", 2, "theory", ["Theo tâm lý học, trẻ học qua bắt chước."]),
        ("2. Kết quả đạt được", 2, "results", ["Học sinh tiến bộ vượt bậc."]),
    ])
    report = analyze_evidence(doc, LEXICON)
    assert [s.heading for s in report.sections] == ["2. Kết quả đạt được"]
    assert [s.to_dict() for s in report.sections] == [{
        "heading": "2. Kết quả đạt được", "kind": "results", "status": "missing",
        "findings": report.sections[0].findings, "suggestions": report.sections[0].suggestions,
        "profile": "measured",
    }]


# --- document-level checks ------------------------------------------------------------------

def test_document_checks_when_form_is_complete():
    doc = build_doc([
        ("1. Ngày sáng kiến được áp dụng lần đầu", 2, "other",
         ["Sáng kiến được áp dụng lần đầu từ ngày 05/9/2023 tại lớp 4A."]),
        ("2. Những người tham gia tổ chức áp dụng sáng kiến lần đầu", 2, "other",
         ["Họ và tên | Nơi công tác | Nội dung", "Nông Thị Hạnh | Trường Tiểu học Yên Trạch | Áp dụng tại lớp 4A"]),
        ("3. Theo ý kiến của tổ chức đã áp dụng", 2, "benefits",
         ["Hiệu trưởng nhà trường đã ký văn bản xác nhận kết quả áp dụng."]),
    ])
    report = analyze_evidence(doc, LEXICON)
    assert report.document_suggestions == []
    assert any("áp dụng lần đầu" in f and "05/9/2023" in f for f in report.document_findings)


def test_document_checks_report_gaps_and_missing_sections():
    doc = build_doc([("1. Kết quả", 2, "results", ["Kết quả tốt."])], missing_sections=["Khả năng áp dụng"])
    report = analyze_evidence(doc, LEXICON)
    joined = " ".join(report.document_suggestions)
    assert "ngày sáng kiến được áp dụng lần đầu" in joined
    assert "xác nhận" in joined
    assert "những người tham gia" in joined
    assert "Thiếu mục bắt buộc theo mẫu: Khả năng áp dụng." in report.document_findings


def test_broken_lexicon_raises_input_error(tmp_path):
    bad = tmp_path / "evidence.yaml"
    bad.write_text("profiles_by_kind: [\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_lexicon(tmp_path)


def test_a_distance_range_is_not_a_before_after_comparison():
    from indexing.evidence import collect_signals

    lex = LEXICON
    assert not collect_signals("Học sinh ở các thôn cách trường từ 7 đến 18 km.", lex).comparisons
    assert collect_signals("Tỷ lệ học sinh đọc đúng tăng từ 40% đến 75% sau một học kỳ.", lex).comparisons


def test_a_saving_with_its_calculation_is_evidence_and_a_total_is_a_figure():
    from indexing.evidence import collect_signals

    lex = LEXICON
    saving = ("Với 274 người nộp bằng chuyển khoản, mỗi lần đi nộp mất khoảng 2 giờ, "
              "như vậy trong 6 tháng người dân tiết kiệm được khoảng 548 giờ công.")
    assert collect_signals(saving, lex).calculations == [saving]
    assert not collect_signals("Giải pháp giúp tiết kiệm thời gian cho người dân.", lex).calculations
    assert "158" in collect_signals("Mô hình đã áp dụng cho tổng số 158 học sinh.", lex).figures
    assert collect_signals("Xem số 3 của biểu mẫu.", lex).figures == []


# --- issue cases: numbers that are not evidence, rows, the summary ------------------------------

def test_procedure_measurements_and_section_numbers_are_not_evidence():
    item = judge("results", "Như đã nêu ở mục 3.1 và 5.1, mỗi em có một băng giấy dài 24 cm, cắt thành 2, 3, 4, 6, 8, 12 phần.",
                 "Hộp đựng có kích thước 40 × 30 × 25 cm, mỗi bình 500 ml. Học sinh rất hứng thú.")
    assert item.status == "missing"
    assert not any(f.startswith("Có số liệu gắn với cỡ mẫu") for f in item.findings)
    figures = next(f for f in item.findings if f.startswith("Các con số chỉ mô tả"))
    assert "24" in figures and "3.1" not in " ".join(item.findings[:2])
    assert item.suggestions[0].startswith("Các con số hiện có chỉ mô tả vật liệu")


def test_procedure_steps_get_no_row_of_their_own():
    steps = [(f"Bước {n}. Thực hiện phần {n}", 3, "solution", [f"Giáo viên hướng dẫn {n * 4} học sinh làm phần {n}."])
             for n in range(1, 30)]
    doc = build_doc([("3. Nội dung giải pháp", 2, "solution", ["Giải pháp gồm các bước sau."]), *steps,
                     ("4. Kết quả đạt được", 2, "results", ["Tỷ lệ học sinh đạt tăng từ 40% lên 85% (khảo sát 32 em)."])])
    report = analyze_evidence(doc, LEXICON)
    assert [s.heading for s in report.sections] == ["4. Kết quả đạt được"]


def test_a_rate_over_a_stated_sample_and_a_worked_out_saving_are_evidence():
    assert judge("results", "Tháng 5/2018, khảo sát lại 34 học sinh: 32 em (94,1%) nêu đúng ý nghĩa ba màu đèn.").status == "present"
    assert judge("benefits", "Tiết kiệm 380.000 đồng/ha × 12 ha = 4,56 triệu đồng trong vụ Hè Thu.").status == "present"
    assert judge("benefits", "Thời điểm 1 (trước khi tiếp xúc người bệnh): 42% → 78%.").status == "present"
    named = judge("results", "Bộ tài liệu đã được Trường Mầm non Cần Yên, huyện Hà Quảng áp dụng từ tháng 1/2024; "
                  "Ban giám hiệu trường bạn đã có văn bản xác nhận gửi kèm hồ sơ.")
    assert named.status == "present"


def test_a_bare_many_is_not_a_quantity_but_a_vague_proportion_is():
    assert judge("reason", "Nhiều em sợ môn Tiếng Anh vì không nhớ được từ mới.").status == "missing"
    assert judge("reason", "Phần lớn học sinh chưa đọc được trôi chảy khi vào lớp 2.").status == "weak"


def test_the_summary_gives_an_overall_verdict_and_three_fitting_gaps():
    doc = build_doc([
        ("1. Lí do chọn sáng kiến", 2, "reason", ["Học sinh ngại phát biểu."]),
        ("4. Kết quả đạt được", 2, "results", ["Khoảng 80% học sinh mạnh dạn hơn."]),
        ("5. Hiệu quả kinh tế", 2, "benefits", ["Sáng kiến tiết kiệm nhiều chi phí cho nhà trường."]),
        ("6. Khả năng áp dụng", 2, "applicability", ["Có thể áp dụng rộng rãi."]),
        ("7. Tính mới", 2, "novelty", ["Cách làm mới, sáng tạo."]),
    ])
    summary = analyze_evidence(doc, LEXICON).summary
    assert summary.status == "weak"
    assert [g.heading for g in summary.gaps] == ["5. Hiệu quả kinh tế", "6. Khả năng áp dụng", "7. Tính mới"]
    assert "cách tính" in summary.gaps[0].suggestion  # money is claimed: the advice is about the calculation
    assert "có thể áp dụng rộng rãi" in summary.gaps[1].suggestion
    nothing = build_doc([("4. Kết quả đạt được", 2, "results", ["Học sinh tiến bộ rõ rệt."])])
    assert analyze_evidence(nothing, LEXICON).summary.status == "missing"


def test_a_twenty_page_initiative_gets_at_most_one_row_per_claim_bearing_section(tmp_path):
    """The longest family document (6,300 words, 21 pages), as DOCX: its many steps and sub-measures
    roll up; only sections that claim an effect get a row, each once."""
    from pathlib import Path

    from bench.render_documents import docx_items, items_from_markdown, make_docx
    from indexing.parse import parse_document

    source = Path(__file__).resolve().parent.parent / "bench" / "families" / "edu10" / "B.md"
    body = source.read_text(encoding="utf-8").split("---", 2)[2]  # without the front matter
    doc = parse_document(make_docx(tmp_path / "long.docx", docx_items(items_from_markdown(body))), Settings())
    assert len(doc.text.split()) > 6000 and len(doc.sections) > 20
    rows = analyze_evidence(doc, LEXICON).sections
    claim_kinds = set(LEXICON.profiles_by_kind)
    assert rows and len(rows) == len({r.heading for r in rows}) <= sum(s.kind in claim_kinds for s in doc.sections)
    assert all(r.kind in claim_kinds for r in rows)
    assert not any(r.kind == "solution" for r in rows) and len(rows) < len(doc.sections) / 2
