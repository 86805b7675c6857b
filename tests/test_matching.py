"""Near-duplicate detector on small hand-written Vietnamese documents and hand-made vectors (no model)."""
from __future__ import annotations

import numpy as np
import pytest

from indexing.document import Passage
from indexing.matching import (
    Candidate,
    assess,
    boilerplate_mask,
    compare_documents,
    content_text,
    passage_weights,
    supported,
)
from indexing.stats import ArchiveStats

DIM = 48

SOURCE = [
    ("1. Lý do chọn sáng kiến", [
        "Vườn trường chỉ rộng khoảng sáu mươi mét vuông, đất sỏi đá nên rau trồng theo cách cũ thường còi cọc, "
        "học sinh ít có dịp tự tay chăm sóc cây và ghi chép sự phát triển của cây trong giờ học.",
        "Giáo viên bộ môn Công nghệ mong muốn có một mô hình gọn nhẹ, rẻ tiền để các em quan sát rễ cây, "
        "đo độ pH của dung dịch và so sánh tốc độ sinh trưởng giữa các loại rau ăn lá.",
    ]),
    ("2. Giải pháp thực hiện", [
        "Bước một, nhóm học sinh cắt ống nhựa PVC đường kính chín mươi milimét thành các máng dài hai mét, "
        "khoan lỗ tròn cách đều mười lăm xăng-ti-mét để đặt rọ nhựa chứa giá thể xơ dừa trộn trấu hun.",
        "Bước hai, các em pha dung dịch dinh dưỡng thủy canh theo tỉ lệ in trên nhãn, dùng bút đo TDS kiểm tra "
        "nồng độ mỗi sáng thứ Hai và ghi kết quả vào sổ nhật ký vườn rau treo cạnh giàn.",
        "Bước ba, một máy bơm bể cá công suất nhỏ hẹn giờ bằng ổ cắm cơ chạy mười lăm phút mỗi giờ, "
        "đẩy dung dịch tuần hoàn qua các máng rồi chảy ngược về thùng xốp đặt dưới giàn.",
        "Bước bốn, mỗi lớp nhận chăm sóc một máng, thu hoạch cải ngọt sau hai mươi lăm ngày và "
        "tổ chức phiên chợ quê vào cuối tháng để bán rau gây quỹ cho câu lạc bộ khoa học.",
    ]),
    ("3. Kết quả đạt được", [
        "Sau một học kỳ, giàn thủy canh cho thu hoạch bốn lứa rau, học sinh lập được biểu đồ sinh trưởng "
        "và có hai sản phẩm dự thi cuộc thi khoa học kỹ thuật cấp huyện.",
    ]),
]

# Same steps, same artefacts, every sentence re-worded.
REWORDED = {
    "Bước một, nhóm học sinh cắt": "Đầu tiên, các em dùng ống nhựa PVC cỡ chín mươi milimét cưa thành từng máng hai mét, "
    "khoét những lỗ tròn cách nhau mười lăm xăng-ti-mét để đặt rọ nhựa đựng xơ dừa và trấu hun.",
    "Bước hai, các em pha": "Tiếp theo, học sinh tự pha dung dịch dinh dưỡng thủy canh đúng tỉ lệ ghi trên nhãn, "
    "sáng thứ Hai hằng tuần đo nồng độ bằng bút đo TDS rồi chép vào sổ nhật ký vườn rau.",
    "Bước ba, một máy bơm": "Sau đó, máy bơm bể cá loại nhỏ nối với ổ cắm hẹn giờ cơ chạy mười lăm phút trong mỗi giờ "
    "để dung dịch tuần hoàn qua máng và trở về thùng xốp dưới giàn.",
    "Bước bốn, mỗi lớp nhận": "Cuối cùng, từng lớp phụ trách một máng, sau hai mươi lăm ngày thì thu hoạch cải ngọt "
    "và mở phiên chợ quê cuối tháng bán rau lấy quỹ cho câu lạc bộ khoa học.",
}

NEW_TEXT = [
    "Trường tổ chức cho học sinh làm phân hữu cơ từ lá cây rụng và vỏ trái cây trong nhà bếp bán trú, "
    "ủ trong các thùng gỗ có nắp đậy đặt ở góc sân sau.",
    "Mỗi tuần học sinh đảo đống ủ một lần, đo nhiệt độ bằng nhiệt kế que dài và ghi nhận mùi, màu sắc, "
    "độ ẩm vào phiếu quan sát của tổ.",
    "Phân sau khi hoai được sàng lọc, đóng túi nhỏ và tặng cho các gia đình phụ huynh có vườn rau ở gần trường.",
    "Học sinh tham gia hăng hái, lượng rác hữu cơ của nhà bếp đưa ra bãi rác giảm rõ rệt chỉ sau hai tháng.",
]

LEGAL = (
    "Theo Nghị định số 13/2012/NĐ-CP ngày 02 tháng 3 năm 2012 của Chính phủ ban hành Điều lệ sáng kiến, "
    "sáng kiến phải có tính mới và khả năng áp dụng trong phạm vi cơ sở."
)

FILLER = [
    "Báo cáo tổng kết năm học của nhà trường nêu rõ những kết quả đạt được và hạn chế cần khắc phục.",
    "Kế hoạch bồi dưỡng thường xuyên giáo viên được xây dựng theo hướng dẫn của phòng giáo dục và đào tạo.",
    "Nhà trường phối hợp với phụ huynh học sinh tổ chức các hoạt động ngoại khóa trong học kỳ.",
]


def build(sections: list[tuple[str, list[str]]], kinds: dict[str, str] | None = None):
    """Text with one line per heading/paragraph and one passage per paragraph."""
    lines, passages, pos = [], [], 0
    for heading, paragraphs in sections:
        lines.append(heading)
        pos += len(heading) + 1
        for para in paragraphs:
            kind = (kinds or {}).get(heading, "solution" if "Giải pháp" in heading else "other")
            passages.append(Passage(para, pos, pos + len(para), None, heading, kind))
            lines.append(para)
            pos += len(para) + 1
    return "\n".join(lines), passages


def unit(rng, n):
    v = rng.normal(size=(n, DIM))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def near(rng, vecs, noise=0.15):
    """Vectors at cosine ~0.99 of `vecs`: what a paraphrase looks like to the embedder."""
    v = vecs + noise * unit(rng, len(vecs))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def source():
    rng = np.random.default_rng(0)
    text, passages = build(SOURCE)
    return text, passages, unit(rng, len(passages))


@pytest.fixture
def stats(source):
    return ArchiveStats.from_texts([source[0], *FILLER, " ".join(NEW_TEXT)])


def submission(sections, src_passages, src_vecs, copies: dict[str, str] | None = None, seed=1):
    """Build a submission; a paragraph that is (or re-words) a source paragraph gets a vector near the
    source passage's vector, anything else a random one."""
    rng = np.random.default_rng(seed)
    text, passages = build(sections)
    vecs = unit(rng, len(passages))
    by_text = {p.text: k for k, p in enumerate(src_passages)}
    for k, p in enumerate(passages):
        origin = (copies or {}).get(p.text, p.text)
        if origin in by_text:
            vecs[k] = near(rng, src_vecs[[by_text[origin]]])[0]
    return text, passages, vecs


def paraphrase_sections(order=None):
    steps = [REWORDED[prefix] for prefix in REWORDED]
    if order is not None:
        steps = [steps[k] for k in order]
    return [("1. Đặt vấn đề", NEW_TEXT[:1]), ("2. Các bước tiến hành", steps), ("3. Hiệu quả", NEW_TEXT[3:])]


def reworded_origin():
    src_steps = SOURCE[1][1]
    return {REWORDED[prefix]: next(s for s in src_steps if s.startswith(prefix)) for prefix in REWORDED}


def test_verbatim_copy_has_exact_spans(source, stats):
    src_text, src, src_vecs = source
    copied = SOURCE[0][1][1]
    sub_text, sub, sub_vecs = submission(
        [("1. Lí do chọn đề tài", [NEW_TEXT[0], copied]), ("2. Biện pháp", NEW_TEXT[1:3])], src, src_vecs
    )
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)

    assert len(result.matches) == 1
    match = result.matches[0]
    assert match.kind == "verbatim"
    assert sub_text[match.start : match.end] == copied == match.text
    assert match.source_text == copied
    assert match.section == "1. Lí do chọn đề tài"
    assert match.source_section == "1. Lý do chọn sáng kiến"


def test_adjacent_copied_passages_merge_into_one_span(source, stats):
    src_text, src, src_vecs = source
    steps = SOURCE[1][1]
    sub_text, sub, sub_vecs = submission(
        [("1. Đặt vấn đề", NEW_TEXT[:2]), ("2. Nội dung", steps[:3] + NEW_TEXT[2:3])], src, src_vecs
    )
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)

    assert [m.kind for m in result.matches] == ["verbatim"]
    match = result.matches[0]
    assert (match.start, match.end) == (sub[2].start, sub[4].end)
    assert match.source_text == src_text[src[2].start : src[4].end]


def test_near_verbatim_copy_with_small_edits(source, stats):
    src_text, src, src_vecs = source
    edited = SOURCE[2][1][0].replace("bốn lứa rau", "năm lứa rau").replace("cấp huyện", "cấp tỉnh")
    sub_text, sub, sub_vecs = submission(
        [("1. Thực trạng", NEW_TEXT[:2]), ("2. Kết quả", [edited])], src, src_vecs, {edited: SOURCE[2][1][0]}
    )
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert [m.kind for m in result.matches] == ["near_verbatim"]


def test_quoted_legal_citation_is_not_counted(stats):
    rng = np.random.default_rng(3)
    src_text, src = build([("1. Căn cứ", [LEGAL]), ("2. Giải pháp", NEW_TEXT[:2])])
    src_vecs = unit(rng, len(src))
    sub_text, sub = build([("1. Cơ sở pháp lý", [LEGAL]), ("2. Giải pháp", NEW_TEXT[2:])])
    sub_vecs = unit(rng, len(sub))
    sub_vecs[0] = src_vecs[0]

    assert boilerplate_mask(LEGAL) == [(0, len(LEGAL))]
    assert passage_weights(sub)[0] == 0.0
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert result.matches == [] and result.verdict == "none"


def test_versions_of_one_initiative_are_all_named_not_treated_as_boilerplate(source, stats):
    """Passages an initiative shares with its earlier versions in the archive are its content, not
    boilerplate: a copy of it is a duplicate of every version, each submission passage credited once."""
    src_text, src, src_vecs = source
    sub_text, sub, sub_vecs = submission(SOURCE, src, src_vecs)
    versions = [Candidate(f"ban-{n}", src, src_vecs, src_text, f"Phiên bản {n}", 2018 + 2 * n) for n in range(3)]
    report = assess(sub, sub_vecs, versions, stats=stats, sub_text=sub_text)
    assert report.verdict == "duplicate"
    assert sorted(s.doc_id for s in report.sources) == ["ban-0", "ban-1", "ban-2"]
    assert all(s.verdict == "duplicate" and len(s.versions) == 2 for s in report.sources)
    # Exclusive credit: the per-source figures add up to the document's, never past 100 %.
    assert abs(sum(s.coverage for s in report.sources) - report.score) < 0.01 and report.score <= 1.0


def test_a_passage_is_credited_to_its_best_source_only(source, stats):
    src_text, src, src_vecs = source
    # Source 2 holds the submission's first section verbatim; source 1 has it lightly edited.
    copy_text, copy_passages = build([("1. Lý do chọn sáng kiến", SOURCE[0][1])])
    edited = [" ".join("mới" if k % 8 == 7 else w for k, w in enumerate(p.split())) for p in SOURCE[0][1]]
    reworded = [("1. Lý do", edited)]
    para_text, para_passages = build(reworded)
    sub_text, sub, sub_vecs = submission([("1. Lý do chọn sáng kiến", SOURCE[0][1])], src, src_vecs)
    candidates = [
        Candidate("dien-dat-lai", para_passages, sub_vecs.copy(), para_text, "Nguồn 1"),
        Candidate("nguyen-van", copy_passages, sub_vecs.copy(), copy_text, "Nguồn 2"),
    ]
    report = assess(sub, sub_vecs, candidates, stats=stats, sub_text=sub_text)
    credited = {s.doc_id: s for s in report.sources}
    assert credited["nguyen-van"].coverage == 1.0 and {m.kind for m in credited["nguyen-van"].matches} == {"verbatim"}
    assert "dien-dat-lai" not in credited or not credited["dien-dat-lai"].matches
    assert report.score == 1.0


def test_reworded_duplicate_is_flagged(source, stats):
    src_text, src, src_vecs = source
    sub_text, sub, sub_vecs = submission(paraphrase_sections(), src, src_vecs, reworded_origin())
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)

    assert result.verdict == "duplicate"
    assert {m.kind for m in result.matches} == {"paraphrase"}
    # The four re-worded steps are adjacent in one section: one span.
    assert len(result.matches) == 1
    assert (result.matches[0].start, result.matches[0].end) == (sub[1].start, sub[4].end)
    assert result.coverage > 0.5


def test_steps_told_in_reverse_order_are_still_a_duplicate(source, stats):
    """Copied content moves in blocks, in any order: a re-worded duplicate that tells its steps
    backwards is still one; an isolated match is only ever "related"."""
    src_text, src, src_vecs = source
    kwargs = dict(stats=stats, src_text=src_text)
    reversed_ = submission(paraphrase_sections(order=[3, 2, 1, 0]), src, src_vecs, reworded_origin())
    result = compare_documents(reversed_[1], reversed_[2], src, src_vecs, sub_text=reversed_[0], **kwargs)
    assert result.verdict == "duplicate"
    assert supported([(0, 5), (1, 4), (2, 3)]) == [0, 1, 2]  # backwards, one passage apart
    assert supported([(0, 9), (6, 2)]) == []  # scattered: neither has a neighbour


def test_same_vectors_without_shared_rare_words_are_not_paraphrases(source, stats):
    """Same topic, different solution: embeddings close, distinctive words not shared."""
    src_text, src, src_vecs = source
    rng = np.random.default_rng(5)
    sub_text, sub = build([("2. Giải pháp", NEW_TEXT)])
    sub_vecs = near(rng, src_vecs[2:6])
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert result.matches == [] and result.verdict == "none"


def test_partial_copy_names_copied_section_and_assess_ranks_sources(source, stats):
    src_text, src, src_vecs = source
    sections = [("1. Lí do chọn sáng kiến", SOURCE[0][1]), ("2. Biện pháp", NEW_TEXT), ("3. Kết quả", NEW_TEXT[3:])]
    sub_text, sub, sub_vecs = submission(sections, src, src_vecs)
    rng = np.random.default_rng(9)
    other_text, other = build([("1. Mở đầu", FILLER)])
    candidates = [
        Candidate("khac", other, unit(rng, len(other)), other_text, "Tài liệu khác"),
        Candidate("goc", src, src_vecs, src_text, "Trồng rau thủy canh", 2021, "Trường THCS A"),
    ]
    report = assess(sub, sub_vecs, candidates, stats=stats, sub_text=sub_text)

    assert report.verdict == "partial"
    assert [s.doc_id for s in report.sources] == ["goc"]
    top = report.sources[0]
    assert top.verdict == "partial" and top.copied_sections == ["1. Lí do chọn sáng kiến"]
    assert 0 < report.score < 0.5
    payload = report.to_dict()
    assert set(payload) == {"score", "verdict", "sources"}
    assert {"doc_id", "title", "year", "unit", "verdict", "coverage", "score", "copied_sections", "matches",
            "solution_coverage", "shared_terms", "versions"} <= set(payload["sources"][0])
    assert "features" not in payload["sources"][0]  # calibration data stays out of the report
    assert set(payload["sources"][0]["matches"][0]) == {
        "section", "text", "start", "end", "source_section", "source_text", "similarity", "kind"
    }


def test_wholesale_verbatim_copy_is_a_duplicate(source, stats):
    src_text, src, src_vecs = source
    sub_text, sub, sub_vecs = submission(SOURCE, src, src_vecs)
    report = assess(sub, sub_vecs, [Candidate("goc", src, src_vecs, src_text)], stats=stats, sub_text=sub_text)
    assert report.verdict == "duplicate" and report.sources[0].verdict == "duplicate"
    assert report.score == 1.0


def test_original_submission(source, stats):
    src_text, src, src_vecs = source
    sub_text, sub, sub_vecs = submission([("1. Giải pháp", NEW_TEXT)], src, src_vecs)
    report = assess(sub, sub_vecs, [Candidate("goc", src, src_vecs, src_text)], stats=stats, sub_text=sub_text)
    assert report.verdict == "original" and report.sources == [] and report.score == 0.0


def test_national_motto_and_form_title_are_boilerplate():
    text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập – Tự do – Hạnh phúc\nBẢN MÔ TẢ SÁNG KIẾN\nTrẻ tự rửa tay."
    assert content_text(text).split() == ["Trẻ", "tự", "rửa", "tay."]
    weights = passage_weights([Passage(text[:-16], 0, len(text) - 16, None, None, None)])
    assert weights.tolist() == [0.0]


def test_a_generic_one_line_sentence_never_counts_on_its_own(source):
    generic = "Sáng kiến giúp học sinh hứng thú hơn và kết quả học tập được nâng lên rõ rệt."
    # Genre words: every initiative of the archive uses them.
    stats = ArchiveStats.from_texts([source[0], *FILLER] + [f"{generic} {filler}" for filler in FILLER * 10])
    src_text, src = build([("3. Kết quả", [generic])])
    sub_text, sub = build([("4. Hiệu quả", [generic.replace("rõ rệt", "đáng kể")])])
    rng = np.random.default_rng(3)
    src_vecs = unit(rng, 1)
    result = compare_documents(sub, src_vecs.copy(), src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert result.matches == [] and result.verdict == "none"


def test_background_re_worded_does_not_flag_a_new_solution(source, stats):
    """Same problem, different solution: the reasons and the theory may read alike (background),
    the solution does not; the law judges the solution."""
    src_text, src, src_vecs = source
    sections = [("1. Lí do chọn sáng kiến", SOURCE[0][1]), ("2. Giải pháp", NEW_TEXT)]
    sub_text, sub, sub_vecs = submission(sections, src, src_vecs)
    for p in sub:
        if p.section_heading.startswith("1."):
            p.section_kind = "reason"
    # Re-worded, not copied: same vectors, a few words changed in every sentence.
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert result.verdict in ("partial", "related")  # the reasons are copied verbatim here ...
    assert result.solution_coverage == 0.0 and result.features.solution_paraphrase == 0.0  # ... not the solution


def test_legal_basis_instruments_and_forms_are_boilerplate():
    legal = ("Căn cứ Luật Giáo dục năm 2019. Quyết định số 522/QĐ-TTg ngày 14/5/2018 yêu cầu đổi mới hướng nghiệp. "
             "Chương trình giáo dục phổ thông xác định hoạt động trải nghiệm là bắt buộc.")
    assert content_text(legal).split() == []
    form = ("TT | Tiêu chí | Cách đánh giá\n1 | Nhận biết chữ cái | Cô chỉ ngẫu nhiên, trẻ phát âm\n"
            "Câu 1. Em đã chọn ngành chưa? □ Đã chọn □ Chưa\nPHIẾU KHẢO SÁT HỌC SINH\n"
            "Tỷ lệ tuân thủ (%) = Số cơ hội có vệ sinh tay / Tổng số cơ hội × 100\n"
            "Khoa sử dụng Phiếu giám sát vệ sinh tay theo mẫu của Tổ chức Y tế Thế giới.")
    assert content_text(form).split() == []
    results = "1 | Nhận biết chữ cái | 12 | 37,5%"  # a row of measured results is the author's own content
    assert content_text(results) == results
    # Paraphrase detection keeps the instrument (a solution may be built around one).
    assert "Phiếu giám sát" in content_text(form, instruments=False)


def test_a_table_of_own_figures_in_the_same_frame_is_not_a_copy(stats):
    rows_a = ["TT | Tiêu chí | Số trẻ đạt | Tỷ lệ", "1 | Nhận biết chữ cái đã học | 12 | 37,5", "2 | Phân biệt chữ gần giống | 7 | 21,9"]
    rows_b = ["TT | Tiêu chí | Số trẻ đạt | Tỷ lệ", "1 | Nhận biết chữ cái đã học | 15 | 48,4", "2 | Phân biệt chữ gần giống | 9 | 29,0"]
    src_text, src = build([("2.3. Kết quả khảo sát", ["\n".join(rows_a)])])
    sub_text, sub = build([("2.3. Kết quả khảo sát", ["\n".join(rows_b)])])
    vecs = unit(np.random.default_rng(4), 1)
    own = compare_documents(sub, vecs, src, vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert own.matches == []
    copied = compare_documents(src, vecs, src, vecs, stats=stats, sub_text=src_text, src_text=src_text)
    assert copied.matches and copied.matches[0].kind == "verbatim"


def test_several_strong_matches_are_never_green_whatever_the_length(source, stats):
    """Copying hidden in a long document: three copied step passages among many new ones."""
    src_text, src, src_vecs = source
    long_new = [f"{sentence} (phần {n})" for n in range(30) for sentence in NEW_TEXT[:1]]
    steps = SOURCE[1][1]
    sections = [("1. Giải pháp mới", long_new[:10] + [steps[0]] + long_new[10:20] + [steps[2]]
                 + long_new[20:] + [steps[3]])]
    sub_text, sub, sub_vecs = submission(sections, src, src_vecs)
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert result.coverage < 0.15
    assert result.strong_matches >= 3 and result.verdict == "partial"


def test_a_solution_copied_in_the_most_part_is_a_duplicate(source, stats):
    src_text, src, src_vecs = source
    sections = [("1. Lý do", NEW_TEXT[:2]), ("2. Giải pháp thực hiện", SOURCE[1][1]), ("3. Kết quả", NEW_TEXT[2:])]
    sub_text, sub, sub_vecs = submission(sections, src, src_vecs)
    for p in sub:
        if not p.section_heading.startswith("2."):
            p.section_kind = "reason" if p.section_heading.startswith("1.") else "results"
    result = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert result.features.solution_copied == 1.0 and result.verdict == "duplicate"


def test_the_fitted_threshold_sits_in_the_middle_of_the_gap():
    from indexing.matching import Features, fit_rule
    from indexing.report import SourceComparison

    def source(share: float) -> SourceComparison:
        return SourceComparison(doc_id=str(share), features=Features(solution_paraphrase=share, matched=True))

    examples = [(source(0.55), "duplicate"), (source(0.48), "duplicate"), (source(0.30), "none"),
                (source(0.10), "partial")]
    assert abs(fit_rule(examples).duplicate_solution - 0.39) < 1e-9


def test_a_duplicate_restates_its_source_solution_not_one_part_of_it(stats):
    """Re-wording two steps of a source whose solution has ten parts shares a part of a solution:
    related, never a duplicate; re-wording four of its ten parts is."""
    rng = np.random.default_rng(3)
    broad = [(SOURCE[0][0], SOURCE[0][1]),
             ("2. Giải pháp thực hiện", SOURCE[1][1] + [NEW_TEXT[0], NEW_TEXT[1], NEW_TEXT[2], *FILLER[:3]])]
    src_text, src = build(broad)
    src_vecs = unit(rng, len(src))
    origin = reworded_origin()
    steps = list(REWORDED.values())
    two = [("1. Đặt vấn đề", [NEW_TEXT[3]]), ("2. Giải pháp", steps[:2])]
    sub_text, sub, sub_vecs = submission(two, src, src_vecs, copies=origin)
    part = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert part.features.solution_paraphrase > 0.4 and part.features.source_solution < 0.3  # one side only
    assert part.verdict == "related"
    four = [("1. Đặt vấn đề", [NEW_TEXT[3]]), ("2. Giải pháp", steps)]
    sub_text, sub, sub_vecs = submission(four, src, src_vecs, copies=origin)
    whole = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text)
    assert whole.features.source_solution >= 0.3 and whole.verdict == "duplicate"
