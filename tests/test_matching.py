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
    count_matching_docs,
    order_consistent,
    passage_weights,
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


def test_passages_common_to_many_archive_documents_are_ignored(source, stats):
    src_text, src, src_vecs = source
    sub_text, sub, sub_vecs = submission([("1. Lý do", SOURCE[0][1])], src, src_vecs)
    rare = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text,
                             sub_doc_freq=np.array([1, 1]))
    common = compare_documents(sub, sub_vecs, src, src_vecs, stats=stats, sub_text=sub_text, src_text=src_text,
                               sub_doc_freq=np.array([5, 1]))
    assert rare.coverage == 1.0
    assert common.matches and all(m.start >= sub[1].start for m in common.matches)


def test_count_matching_docs_counts_distinct_documents():
    scores = np.array([[0.97, 0.95, 0.93, 0.5], [0.8, 0.7, 0.6, 0.5]])
    ids = np.array([["a", "a", "b", "c"], ["a", "b", "c", "d"]], dtype=object)
    assert count_matching_docs(scores, ids, 0.9).tolist() == [2, 0]
    assert count_matching_docs(scores, ids, 0.9, exclude="a").tolist() == [1, 0]


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


def test_order_consistent_alignment_beats_scrambled(source, stats):
    src_text, src, src_vecs = source
    kwargs = dict(stats=stats, src_text=src_text)
    in_order = submission(paraphrase_sections(), src, src_vecs, reworded_origin())
    scrambled = submission(paraphrase_sections(order=[3, 2, 1, 0]), src, src_vecs, reworded_origin())
    ordered = compare_documents(in_order[1], in_order[2], src, src_vecs, sub_text=in_order[0], **kwargs)
    shuffled = compare_documents(scrambled[1], scrambled[2], src, src_vecs, sub_text=scrambled[0], **kwargs)
    assert ordered.coverage > shuffled.coverage
    assert shuffled.verdict in ("related", "none")

    assert order_consistent([(0, 5), (1, 6), (2, 8), (3, 9)]) == [0, 1, 2, 3]
    assert order_consistent([(0, 9), (1, 2), (2, 14), (3, 0)]) == []


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
    assert set(payload["sources"][0]) == {"doc_id", "title", "year", "unit", "verdict", "coverage", "score", "copied_sections", "matches"}
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
