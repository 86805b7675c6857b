"""Archive search, piece by piece: the keyword index (tantivy) against a brute-force reference, its
consistency with the store, query analysis (segmentation, function words, abbreviations, regional
variants, restored diacritics), word evidence and marking, and the rule that decides what is shown.
End to end with the real model: tests/test_archive.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexing.config import DATA_ROOT
from indexing.document import Passage
from indexing.keyword_index import KeywordIndex, Term
from indexing.search import (
    SEARCH_RULE,
    AnalysedQuery,
    Candidate,
    analyse_query,
    answer_margin,
    choose_hits,
    coverage,
    highlight_spans,
    load_search_lexicon,
    restore_diacritics,
    score_candidates,
    snippet,
)
from indexing.store import ArchiveStore, DocMeta
from indexing.text import search_tokens, unaccent
from tests.test_store import build

LEXICON = load_search_lexicon(DATA_ROOT / "lexicons")

TEXTS = {
    "a": ["Đo huyết áp lưu động tại thôn cho người bệnh tăng huyết áp.",
          "Nhân viên y tế nhắc lịch tái khám qua nhóm Zalo của thôn."],
    "b": ["Học sinh lớp 4 học phân số bằng băng giấy màu tự cắt.",
          "Nội dung bài học được giáo viên chia thành bốn bước."],
    "c": ["Ứng dụng công nghệ thông tin trong dạy học: học sinh làm bài kiểm tra trên Google Forms.",
          "Trường THCS Tân Thành, huyện Hữu Lũng."],
}


def passages_of(doc_id: str, start_id: int) -> list[Passage]:
    return [Passage(t, 0, len(t), None, None, None, i, id=start_id + i, doc_id=doc_id)
            for i, t in enumerate(TEXTS[doc_id])]


@pytest.fixture
def keyword(tmp_path):
    index = KeywordIndex(tmp_path / "kw")
    pid = 1
    for doc_id in TEXTS:
        index.replace_document(doc_id, passages_of(doc_id, pid), (pid + 1, pid + 1))
        pid += 10
    return index


def reference(term_tokens: tuple[str, ...]) -> set[int]:
    """Brute force: the passages whose search tokens hold every token."""
    found = set()
    pid = 1
    for doc_id in TEXTS:
        for p in passages_of(doc_id, pid):
            if set(term_tokens) <= set(search_tokens(p.text)):
                found.add(p.id)
        pid += 10
    return found


@pytest.mark.parametrize("tokens", [("huyet_ap",), ("do",), ("hoc_sinh",), ("zalo",), ("google_forms",),
                                    ("cong_nghe", "nghe_thong", "thong_tin"), ("khong_co",)])
def test_keyword_index_finds_what_brute_force_finds(keyword, tokens):
    hits = keyword.search([Term((tokens,))], limit=50)
    assert {pid for pid, _ in hits} == reference(tokens)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_keyword_index_matches_without_diacritics_and_ranks_repeated_words_first(keyword):
    # "huyết áp" twice in one passage of a, once nowhere else: that passage first.
    hits = keyword.search([Term((("huyet_ap",),)), Term((("thon",),))], limit=10)
    assert hits[0][0] == 1
    # a term with two forms (an abbreviation and its expansion) matches either
    thcs = keyword.search([Term((("thcs",), ("trung_hoc", "hoc_co", "co_so")))], limit=10)
    assert {pid for pid, _ in thcs} == {22}


def test_keyword_index_limits_to_documents_and_forgets_removed_ones(keyword):
    assert {pid for pid, _ in keyword.search([Term((("hoc_sinh",),))], 10, doc_ids=["c"])} == {21}
    assert keyword.search([Term((("hoc_sinh",),))], 10, doc_ids=[]) == []
    keyword.remove_document("b", (4, 22))
    assert {pid for pid, _ in keyword.search([Term((("hoc_sinh",),))], 10)} == {21}
    assert keyword.doc_freqs(["phan_so", "zalo"]) == {"phan_so": 0, "zalo": 1}


def test_keyword_index_rebuilds_from_the_store_and_knows_when_it_is_out_of_step(tmp_path):
    store = ArchiveStore(tmp_path / "archive.sqlite3")
    doc, passages = build(["Thực trạng", "Người bệnh tăng huyết áp quên lịch tái khám.", "Giải pháp",
                           "Nhắc lịch qua nhóm Zalo của thôn."])
    store.add_document(doc, passages, np.ones((len(passages), 4), dtype=np.float32), DocMeta(title="Zalo"))
    index = KeywordIndex.rebuild(tmp_path / "kw", store)
    assert index.in_step_with(store.passage_signature())
    first, second = store.passage_ids()
    assert [pid for pid, _ in index.search([Term((("tai_kham",),))], 5)] == [first]
    assert [pid for pid, _ in index.search([Term((("zalo",),))], 5)] == [second]
    assert not index.in_step_with((store.count_passages() + 1, 99))
    stale = KeywordIndex(tmp_path / "empty")
    assert not stale.in_step_with(store.passage_signature())


# --- the query -----------------------------------------------------------------------------------

def words_of(text: str, restored: str | None = None) -> list[str]:
    return [w.text for w in analyse_query(text, LEXICON, restored).words]


def test_words_are_segmented_and_function_words_dropped():
    assert words_of("ứng dụng công nghệ thông tin trong dạy học") == ["ứng dụng", "công nghệ thông tin", "dạy học"]
    assert words_of("của và những các trong") == []
    assert "tại" not in words_of("đo huyết áp tại thôn")


def test_abbreviations_and_regional_variants_match_their_other_forms():
    query = analyse_query("HS THCS làm thí nghiệm", LEXICON)
    by_text = {w.text: w for w in query.words}
    assert ("trung", "hoc", "co", "so") in by_text["THCS"].alternatives
    assert query.understood == "học sinh trung học cơ sở làm thí nghiệm"
    assert analyse_query("gv dạy toán", LEXICON).understood == "gv dạy toán"  # two letters: only in capitals
    fruit = {w.text: w for w in analyse_query("làm cho cây ra nhiều trái hơn", LEXICON).words}
    assert ("qua",) in fruit["trái"].alternatives
    assert ("na",) in {w.text: w for w in analyse_query("mãng cầu", LEXICON).words}["mãng cầu"].alternatives


def test_diacritics_are_restored_from_the_archive_text():
    texts = [p for ps in TEXTS.values() for p in ps]
    assert restore_diacritics("do huyet ap luu dong tai thon", texts) == "đo huyết áp lưu động tại thôn"
    assert restore_diacritics("Nhac lich tai kham qua ZALO", texts) == "Nhắc lịch tái khám qua ZALO"
    assert restore_diacritics("xyz hoc sinh", texts) == "xyz học sinh"  # unknown syllables stay as typed
    assert restore_diacritics("", texts) == ""


def weighted(text: str, restored: str | None = None) -> AnalysedQuery:
    query = analyse_query(text, LEXICON, restored)
    query.weights = {w: 1.0 for w in query.words}
    return query


def test_coverage_counts_words_not_syllables_and_prefers_the_diacritics_typed():
    query = weighted("huyết áp thôn")
    assert coverage(query, ["Đo huyết áp tại thôn."]) == 1.0
    assert coverage(query, ["Huyết thanh, áp lực, thôn bản."]) == pytest.approx(0.5)  # "huyết áp" not as a word
    assert coverage(query, ["huyet ap tai thon"]) == pytest.approx(0.5)  # found only without the diacritics
    assert coverage(weighted("huyet ap thon", "huyết áp thôn"), ["huyet ap tai thon"]) == 1.0
    assert coverage(query, ["Đo huyết, áp tại thôn"]) == pytest.approx(0.5)  # never across punctuation


def test_highlights_mark_whole_words_of_the_query():
    query = weighted("ung dung cong nghe", "ứng dụng công nghệ")
    text = "Nội dung: ứng dụng công nghệ thông tin."
    assert [text[a:b] for a, b in highlight_spans(text, query)] == ["ứng dụng", "công nghệ"]
    assert highlight_spans("Nội dung bài học.", query) == []


def test_snippets_cut_around_the_marked_words():
    text = ("Mở đầu dài dòng. " * 40) + "Nhân viên nhắc lịch tái khám qua Zalo. " + ("Kết thúc. " * 40)
    spans = highlight_spans(text, weighted("tái khám Zalo"))
    shown, moved = snippet(text, spans, width=120)
    assert len(shown) <= 122 and shown.startswith("…") and shown.endswith("…")
    assert {shown[a:b] for a, b in moved} == {"tái khám", "Zalo"}
    assert snippet("ngắn", [(0, 4)]) == ("ngắn", [(0, 4)])


# --- the rule ------------------------------------------------------------------------------------

def candidate(doc_id, z3, coverage=0.0, z=None, title_z=0.0):
    return Candidate(doc_id, z=z if z is not None else z3 + 0.3, z3=z3, coverage=coverage, title_z=title_z)


def test_nothing_is_shown_unless_some_document_has_strong_evidence():
    weak = [candidate("a", 2.5, 0.3), candidate("b", 2.0, 0.45)]
    score_candidates(weak, SEARCH_RULE)
    assert answer_margin(weak, SEARCH_RULE) < 0 and choose_hits(weak, SEARCH_RULE) == []


def test_a_confident_answer_brings_the_related_documents_an_unsure_one_only_the_strong():
    confident = [candidate("a", 4.5, 0.9), candidate("b", 2.2, 0.1), candidate("c", 1.0, 0.05)]
    score_candidates(confident, SEARCH_RULE)
    assert [c.doc_id for c in choose_hits(confident, SEARCH_RULE)] == ["a", "b"]
    unsure = [candidate("a", SEARCH_RULE.found_semantic + 0.1), candidate("b", 2.2, 0.35)]
    score_candidates(unsure, SEARCH_RULE)
    assert [c.doc_id for c in choose_hits(unsure, SEARCH_RULE)] == ["a"]


def test_hits_are_ranked_by_semantic_evidence_words_and_title():
    hits = [candidate("words", 3.2, 1.0), candidate("meaning", 3.4, 0.2), candidate("title", 3.2, 0.2, title_z=4)]
    score_candidates(hits, SEARCH_RULE)
    assert [c.doc_id for c in choose_hits(hits, SEARCH_RULE)] == ["words", "title", "meaning"]


def test_the_lexicon_loads(tmp_path):
    assert "và" in LEXICON.stopwords and "cây" not in LEXICON.stopwords and "quả" not in LEXICON.stopwords
    assert LEXICON.expansion("THCS") == "trung học cơ sở" and LEXICON.expansion("thcs") == "trung học cơ sở"
    assert LEXICON.expansion("gv") is None and LEXICON.expansion("GV") == "giáo viên"
    assert unaccent("Đ") == "d"
    assert Path(DATA_ROOT / "lexicons" / "search.yaml").exists()
