import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexing.chunking import make_passages
from indexing.document import Block, Document, Section

HEADINGS = {"1. Thực trạng", "2. Giải pháp", "2.1. Biện pháp thứ nhất", "3. Hiệu quả"}

LINES = [
    ("SÁNG KIẾN: NÂNG CAO KĨ NĂNG ĐỌC HIỂU CHO HỌC SINH LỚP 3", "paragraph"),
    ("Tác giả: Phạm Thị Lan, giáo viên Trường Tiểu học Quang Trung.", "paragraph"),
    ("1. Thực trạng", "heading"),
    (
        "Đầu năm học, lớp 3A có 32 học sinh. Nhiều em đọc trôi chảy nhưng không trả lời được câu hỏi về nội dung bài. "
        "Khi khảo sát, chỉ 12 em hiểu được ý chính của đoạn văn. Các em ít đọc sách ở nhà vì gia đình không có tủ sách. "
        "Giờ đọc trên lớp thường ngắn, giáo viên chủ yếu cho đọc nối tiếp từng câu.",
        "paragraph",
    ),
    ("Kết quả khảo sát đầu năm được ghi trong bảng sau.", "paragraph"),
    ("Mức độ | Số học sinh | Tỉ lệ", "table_row"),
    ("Hiểu ý chính | 12 | 37,5%", "table_row"),
    ("Chưa hiểu | 20 | 62,5%", "table_row"),
    ("2. Giải pháp", "heading"),
    ("Tôi đã áp dụng ba biện pháp trong suốt học kì một. Mỗi biện pháp được thử trong bốn tuần.", "paragraph"),
    ("2.1. Biện pháp thứ nhất", "heading"),
    (
        "Xây dựng góc đọc sách trong lớp với sách do phụ huynh quyên góp. Mỗi tuần học sinh mượn một cuốn về nhà. "
        "Sáng thứ hai, các em kể lại câu chuyện đã đọc cho bạn cùng bàn nghe.",
        "paragraph",
    ),
    ("Đặt câu hỏi gợi mở sau mỗi đoạn văn.", "list_item"),
    ("Cho học sinh vẽ tranh minh hoạ nội dung bài đọc.", "list_item"),
    ("3. Hiệu quả", "heading"),
    (
        "Sau một học kì " + " ".join(["số em hiểu bài tăng lên rõ rệt"] * 30) + " so với đầu năm học.",
        "paragraph",
    ),
]


def build_document():
    blocks = [Block(text, kind) for text, kind in LINES]
    offsets, pos = [], 0
    for b in blocks:
        offsets.append(pos)
        pos += len(b.text) + 1
    text = "\n".join(b.text for b in blocks)

    def heading_at(heading):
        i = next(i for i, b in enumerate(blocks) if b.text == heading)
        return offsets[i], offsets[i] + len(heading) + 1

    def section(heading, kind, level, end_heading=None, parent=None):
        start, body = heading_at(heading)
        end = heading_at(end_heading)[0] - 1 if end_heading else len(text)
        return Section(heading, kind, level, start, body, end, parent)

    sections = [
        section("1. Thực trạng", "current_state", 1, "2. Giải pháp"),
        # The parent section spans its child, as a hierarchical section detector reports it.
        section("2. Giải pháp", "solution", 1, "3. Hiệu quả"),
        section("2.1. Biện pháp thứ nhất", "solution", 2, "3. Hiệu quả", parent=1),
        section("3. Hiệu quả", "effectiveness", 1),
    ]
    return Document(text=text, blocks=blocks, block_offsets=offsets, format="docx", sections=sections)


@pytest.fixture(scope="module")
def doc():
    return build_document()


@pytest.fixture(scope="module")
def passages(doc):
    return make_passages(doc, target_words=30, max_words=50, overlap_sentences=1)


def owner(doc, pos):
    """Innermost section whose body contains `pos` (None before the first section)."""
    inside = [i for i, s in enumerate(doc.sections) if s.body_start <= pos < s.end]
    return max(inside, key=lambda i: doc.sections[i].body_start) if inside else None


def test_spans_are_exact_and_ordinals_sequential(doc, passages):
    assert passages
    for i, p in enumerate(passages):
        assert doc.text[p.start : p.end] == p.text
        assert p.text == p.text.strip() and p.text
        assert p.ordinal == i
    assert [p.start for p in passages] == sorted(p.start for p in passages)


def test_no_passage_crosses_a_section_or_contains_a_heading(doc, passages):
    for p in passages:
        owners = {owner(doc, pos) for pos in range(p.start, p.end)}
        assert owners == {p.section_index}, p.text
        assert not any(h in p.text for h in HEADINGS)
        if p.section_index is not None:
            s = doc.sections[p.section_index]
            assert (p.section_heading, p.section_kind) == (s.heading, s.kind)
    by_section = {p.section_index for p in passages}
    assert by_section == {None, 0, 1, 2, 3}  # front matter and the parent's own text are kept too


def test_every_body_word_is_covered(doc, passages):
    heading_spans = [(s.start, s.body_start) for s in doc.sections]
    for m in re.finditer(r"\S+", doc.text):
        if any(a <= m.start() < b for a, b in heading_spans):
            continue
        assert any(p.start <= m.start() and m.end() <= p.end for p in passages), m.group()


def test_sizes_and_overlap(doc, passages):
    assert all(len(p.text.split()) <= 50 for p in passages)
    same_section = [(a, b) for a, b in zip(passages, passages[1:]) if a.section_index == b.section_index]
    assert same_section
    for a, b in same_section:
        assert b.start > a.start and b.end > a.end  # always moves forward
    # The Thực trạng paragraph has five sentences: chunks of it share one sentence.
    first = [p for p in passages if p.section_index == 0]
    assert len(first) >= 2 and first[1].start < first[0].end
    overlap = doc.text[first[1].start : first[0].end]
    assert overlap.endswith(".") and len(overlap.split()) < 30


def test_table_rows_and_list_items_are_whole_units(doc, passages):
    for block, off in zip(doc.blocks, doc.block_offsets):
        if block.kind in ("table_row", "list_item"):
            end = off + len(block.text)
            containing = [p for p in passages if p.start <= off and end <= p.end]
            assert containing, block.text
            assert not [p for p in passages if off < p.start < end or off < p.end < end]


def test_long_sentence_is_cut_on_word_boundaries(doc, passages):
    effect = [p for p in passages if p.section_index == 3]
    assert len(effect) >= 4  # ~215 words in one sentence, at most 50 per passage
    assert effect[0].start == doc.sections[3].body_start
    assert effect[-1].end == len(doc.text)
    for p in effect:
        assert len(p.text.split()) <= 50
        before = doc.text[p.start - 1] if p.start else " "
        after = doc.text[p.end] if p.end < len(doc.text) else " "
        assert before.isspace() and after.isspace()


def test_deterministic_and_defaults(doc, passages):
    assert make_passages(doc, target_words=30, max_words=50, overlap_sentences=1) == passages
    default = make_passages(doc)
    assert all(len(p.text.split()) <= 110 for p in default)
    assert len(default) < len(passages)


def test_without_overlap_passages_are_disjoint(doc):
    plain = make_passages(doc, target_words=30, max_words=50, overlap_sentences=0)
    for a, b in zip(plain, plain[1:]):
        assert a.end <= b.start


def test_plain_text_document_without_blocks_or_sections():
    text = "Câu thứ nhất nói về lớp học. Câu thứ hai nói về thư viện.\nDòng sau là một đoạn mới."
    doc = Document(text=text, blocks=[], block_offsets=[], format="txt")
    passages = make_passages(doc, target_words=100)
    assert len(passages) == 1 and passages[0].text == text
    assert passages[0].section_index is None and passages[0].section_kind is None
    assert make_passages(Document(text="", blocks=[], block_offsets=[], format="txt")) == []


WORDS = ["học", "sinh", "giáo", "viên", "lớp", "đọc", "sách", "tăng", "rõ", "rệt", "năm", "trường", "kết", "quả"]


@st.composite
def documents(draw):
    """Random blocks of Vietnamese words and sentences, with random (possibly nested) sections."""
    n_blocks = draw(st.integers(1, 12))
    blocks = []
    for _ in range(n_blocks):
        sentences = draw(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40), min_size=1, max_size=5))
        text = " ".join(" ".join(s).capitalize() + "." for s in sentences)
        blocks.append(Block(text, draw(st.sampled_from(["paragraph", "table_row", "list_item"]))))
    offsets, pos = [], 0
    for b in blocks:
        offsets.append(pos)
        pos += len(b.text) + 1
    text = "\n".join(b.text for b in blocks)
    starts = sorted(draw(st.sets(st.integers(0, n_blocks - 1), max_size=4)))
    sections = []
    for i, b_idx in enumerate(starts):
        start = offsets[b_idx]
        nested = i > 0 and draw(st.booleans())
        nxt = [offsets[j] - 1 for j in starts[i + 1 :]]
        end = len(text) if nested or not nxt else nxt[0]
        body = min(start + len(blocks[b_idx].text) + 1, end)
        sections.append(Section(blocks[b_idx].text, "solution", 2 if nested else 1, start, body, end))
    return Document(text=text, blocks=blocks, block_offsets=offsets, format="docx", sections=sections)


@settings(max_examples=60, deadline=None)
@given(documents(), st.integers(5, 40), st.integers(0, 2))
def test_invariants_on_random_documents(doc, target, overlap):
    max_words = target + 10
    passages = make_passages(doc, target_words=target, max_words=max_words, overlap_sentences=overlap)
    heading_spans = [(s.start, s.body_start) for s in doc.sections]
    for i, p in enumerate(passages):
        assert doc.text[p.start : p.end] == p.text and p.ordinal == i
        assert len(p.text.split()) <= max_words
        assert {owner(doc, pos) for pos in range(p.start, p.end)} == {p.section_index}
    for m in re.finditer(r"\S+", doc.text):
        in_heading = any(a <= m.start() < b for a, b in heading_spans)
        covered = any(p.start <= m.start() and m.end() <= p.end for p in passages)
        assert covered != in_heading, m.group()
