import os
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexing.text import all_caps, fold, parse_numbering, sentence_spans, split_sentences, tokens


def sent_tokenize(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_import_is_lazy_and_sentences_work_offline():
    code = (
        "import sys, indexing.text as t, indexing.vietnamese, indexing.parse\n"
        "assert 'underthesea' not in sys.modules and 'torch' not in sys.modules\n"
        "print('|'.join(t.split_sentences('Rèn luyện kỹ năng. Sống tốt')))\n"
        "text = 'Rèn luyện kỹ năng. Sống tốt.'\n"
        "print('|'.join(text[s:e] for s, e in t.sentence_spans(text)))\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Rèn", "luyện", "kỹ", "năng.|Sống", "tốt"] + ["Rèn", "luyện", "kỹ", "năng.|Sống", "tốt."]


def check_spans(text, spans):
    assert spans == sorted(spans)
    for (s, e), nxt in zip(spans, spans[1:] + [(len(text), len(text))]):
        assert 0 <= s < e <= nxt[0]
        piece = text[s:e]
        assert piece == piece.strip() and "\n" not in piece
    covered = {i for s, e in spans for i in range(s, e)}
    assert all(i in covered for i, c in enumerate(text) if not c.isspace())


def test_sentence_spans_map_back_exactly():
    text = (
        "  TS. Nguyễn Văn An công tác tại TP. Hồ Chí Minh.   Điểm trung bình tăng 3.5 điểm, tỉ lệ đạt 92,5%!"
        "\nKết quả có bền vững không? Có.\n\n  Dòng tiêu đề không có dấu chấm  \nGS.TS Trần Bình nhận xét… rất tốt."
    )
    spans = sentence_spans(text)
    check_spans(text, spans)
    assert [text[s:e] for s, e in spans] == [
        "TS. Nguyễn Văn An công tác tại TP. Hồ Chí Minh.",
        "Điểm trung bình tăng 3.5 điểm, tỉ lệ đạt 92,5%!",
        "Kết quả có bền vững không?",
        "Có.",
        "Dòng tiêu đề không có dấu chấm",
        "GS.TS Trần Bình nhận xét… rất tốt.",
    ]
    assert sent_tokenize(text) == [text[s:e] for s, e in spans]


def test_numbered_items_start_their_sentence():
    text = "Các bước: 1. Khảo sát thực trạng. 2. Thực nghiệm. 3. Đánh giá kết quả.\nHọc sinh lớp 12. Kết quả tốt."
    assert sent_tokenize(text) == [
        "Các bước:",
        "1. Khảo sát thực trạng.",
        "2. Thực nghiệm.",
        "3. Đánh giá kết quả.",
        "Học sinh lớp 12.",
        "Kết quả tốt.",
    ]


@pytest.mark.parametrize("text", ["", "   \n\t", "…", "2.", "a) b)"])
def test_degenerate_inputs(text):
    spans = sentence_spans(text)
    check_spans(text, spans)
    assert len(spans) == (1 if text.strip() else 0)


SENTENCES = [
    "Sáng kiến được áp dụng từ năm 2021.",
    "TS. Lê Hoa hướng dẫn nhóm nghiên cứu.",
    "Tỉ lệ tăng 3.5 lần so với trước!",
    "Vì sao học sinh ngại phát biểu?",
    "Xem mục 2.1; bảng 3",
    "«Học mà chơi» – phương châm chính…",
    "1.",
    "(a)",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SENTENCES), st.sampled_from([" ", "  ", "\n", " \n ", "\t"])), max_size=8))
def test_spans_cover_every_character_of_arbitrary_layouts(parts):
    text = "".join(s + sep for s, sep in parts)
    check_spans(text, sentence_spans(text))


def test_tokens_are_lower_cased_syllables_and_numbers():
    text = unicodedata.normalize("NFC", "Sáng kiến “Học mà chơi”: tăng 3,5% (COVID-19)… Nghie\u0302n cu\u031b\u0301u, KỸ NĂNG.")
    assert tokens(text) == [
        "sáng", "kiến", "học", "mà", "chơi", "tăng", "3", "5", "covid", "19", "nghiên", "cứu", "kỹ", "năng",
    ]


def test_fold_ignores_case_tone_placement_and_i_y():
    assert fold("Lí do chọn đề tài") == fold("LÝ DO CHỌN ĐỀ TÀI") == "li do chon đê tai"
    assert fold("Hoà nhập") == fold("hòa nhập") and fold("thực") != fold("thuc")


def test_upper_case_and_heading_numbering():
    assert all_caps("CƠ SỞ LÝ LUẬN") and not all_caps("UBND xã") and not all_caps("I.", min_letters=3)
    assert parse_numbering("3.1. Biện pháp 1: Làm thẻ", False).path == (3, 1)
    assert parse_numbering("Bước 2: Thực hành", False).style == "step"
    assert parse_numbering("PHẦN MỞ ĐẦU", True).style == "part"
    assert parse_numbering("b) Đối với học sinh", False).style == "letter"


def test_evidence_sentences_split_only_before_a_capital_or_digit():
    assert split_sentences("Tăng 3,5 lần. Giảm rõ.\nDòng hai; tiếp theo") == ["Tăng 3,5 lần.", "Giảm rõ.", "Dòng hai; tiếp theo"]
