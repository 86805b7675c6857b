"""Near-duplicate detection between a submission and archive initiatives. Model-free: everything here
works on passages (text + span + section), their L2-normalised embeddings and archive-wide statistics.

The law asks whether the *solution* is new (NĐ 13/2012, TT 18/2013): background legitimately repeats
(legal basis, current situation, theory, survey and assessment forms), so the verdict rests on how
much of the submission's solution the source already holds.

Passages are matched in layers. Whole-document cosine cannot tell a re-worded duplicate from a new
solution on the same topic (both sit at 0.97-0.99 with e5-small), and word n-grams miss every re-worded
sentence. What does separate them is *distinctive* content carried across: a submission passage counts
as a paraphrase only when it has a close embedding neighbour in the source AND that neighbour shares its
rare (high-IDF) words - same tools, artefacts, steps - AND it carries enough information of its own
(a short or generic sentence never counts by itself) AND another match stands next to it (copied
content moves in blocks, in any order). Verbatim copying is found lexically (syllable shingles,
rapidfuzz for the exact source span). Boilerplate never counts: legal citations, stock phrases of the
forms, form fields, references and appendices, and table rows without measured figures (criteria of an
assessment form, checklists).

Then every submission passage is credited to one source only (its best); archive documents that are
versions of one initiative (they match the same submission passages) are judged together and all named.

Thresholds are chosen by `make eval` (bench/eval.py, leave-one-family-out on the labelled families) and
documented in the README ("How the novelty check decides").
"""
from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

import numpy as np

from indexing.document import Passage
from indexing.report import DocumentVerdict, Match, MatchKind, SimilarityReport, SourceComparison, SourceVerdict
from indexing.stats import ArchiveStats
from indexing.text import WORD, clause_spans, tokens

# Section kinds whose text is never evidence of copying: they are filled-in forms, bibliographies or
# attachments that legitimately repeat across initiatives.
IGNORED_KINDS = frozenset({"references", "appendix", "form_field"})
# What a section is for. The solution is what the law judges; outcomes are the author's own results;
# background (why, for whom, theory, the situation before) may legitimately resemble earlier work.
BACKGROUND_KINDS = frozenset({"reason", "objective", "scope", "method", "theory", "current_state",
                              "participants", "recommendation"})
OUTCOME_KINDS = frozenset({"results", "benefits", "applicability", "discussion", "conclusion"})

# Passage-level thresholds (cosines assume multilingual-e5-small passage embeddings).
PARAPHRASE_COSINE = 0.89  # embedding neighbour close enough to be the same statement
PARAPHRASE_LEXICAL = 0.40  # share of the passage's rare-word mass found in that neighbour
CLOSE_PARAPHRASE_COSINE = 0.91  # ... or closer still, with fewer words in common
CLOSE_PARAPHRASE_LEXICAL = 0.30
VERBATIM_CONTAINMENT = 0.90  # share of the passage's syllable trigrams found in the source
NEAR_VERBATIM_CONTAINMENT = 0.60
# Information a passage must carry to count on its own: rare-word mass (IDF above the genre level,
# summed over its distinct words). "Kết quả đạt được rất khả quan." carries almost none.
GENRE_IDF = 1.0
MIN_INFORMATION = 2.5
SUPPORT_REACH = 3  # a paraphrase needs another match this many passages away (in any order)
COPIED_SECTION_SHARE = 0.50  # a section is copied when this share of it is (near-)verbatim
COPIED_SECTION_MIN_WORDS = 40
CANDIDATES_PER_PASSAGE = 3  # embedding neighbours among which the lexical check picks the partner
SHINGLE = 3
# Two archive documents are versions of one initiative when they match mostly the same passages.
VERSION_OVERLAP = 0.6
VERSION_MIN_PASSAGES = 3

# "Nghị định số 45/2020/NĐ-CP", "Thông tư 18/2013/TT-BKHCN", "Luật Giáo dục năm 2019", "Điều 5".
LEGAL_CITATION = re.compile(
    r"\b\d+/\d{4}/[A-ZĐ]{1,6}(?:-[A-ZĐ]{1,8})*"
    r"|\b\d+[-/](?:NQ|QĐ|CT|KH|HD|TB|CV)[-/][A-ZĐ][A-Za-zĐđ]{0,8}\b"
    r"|^\s*Căn cứ\b"
    r"|\b(?:Luật|Bộ luật|Hiến pháp)\s+[A-ZĐÀ-Ỹ][^\n.;,]{0,60}?(?:năm\s+)?\d{4}"
    r"|\b(?:Điều|Khoản)\s+\d+\s+(?:của\s+)?(?:Luật|Nghị định|Thông tư|Quyết định|Nghị quyết)"
)
# Lines every initiative carries by law or by form: the national motto, the form's title, the
# addressee and signature blocks. Shared by design, never copied.
STOCK_PHRASE = re.compile(
    r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập\s*[–-]\s*Tự do\s*[–-]\s*Hạnh phúc"
    r"|^\s*(?:BẢN MÔ TẢ SÁNG KIẾN|BÁO CÁO MÔ TẢ SÁNG KIẾN|SÁNG KIẾN KINH NGHIỆM|ĐƠN ĐỀ NGHỊ CÔNG NHẬN SÁNG KIẾN)\s*$"
    r"|Kính gửi\s*:?\s*Hội đồng sáng kiến[^\n]*"
    r"|Tôi xin cam đoan[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
# A measured figure in a table row: a percentage, a decimal or a number of two digits or more.
MEASURED = re.compile(r"\d+(?:[.,]\d+)?\s*%|\d+[.,]\d+|\b\d{2,}\b")
# Lines of an instrument (an assessment form, a checklist, a questionnaire) rather than of its
# results: table rows without a measured figure, lines with tick boxes, the form's own title, the
# formula of a rate ("Tỷ lệ (%) = số ... / tổng số ... × 100").
INSTRUMENT_LINE = re.compile(
    r"^[^\n]*[□☐■○◯▢✓][^\n]*$|^\s*PHIẾU\b[^\n]*$|^[^\n=]{3,80}=[^\n]*[×x*/][^\n]*$", re.MULTILINE)
# Clauses restating what a normative document says ("Thông tư ... quy định ...", "Đề án ... yêu cầu
# ..."): the legal basis every initiative in a field cites, whether or not a number is given.
NORMATIVE_CLAUSE = re.compile(
    r"\b(?:Luật|Nghị định|Thông tư|Quyết định|Nghị quyết|Chỉ thị|Công văn|Kế hoạch|Đề án|Chiến lược|"
    r"Chương trình giáo dục|Hướng dẫn|Bộ tiêu chí|Điều lệ|Quy chế)\b[^.;\n]{0,160}?"
    r"\b(?:quy định|ban hành|yêu cầu|hướng dẫn|nhấn mạnh|xác định|giao|phê duyệt|khẳng định|chỉ rõ)\b"
    r"|\b(?:ban hành|phê duyệt)\b[^.;\n]{0,60}?\b(?:Luật|Nghị định|Thông tư|Quyết định|Nghị quyết|Chỉ thị|"
    r"Kế hoạch|Đề án|Chiến lược|Chương trình|Hướng dẫn|Bộ tiêu chí)\b"
    # A standard instrument named with its origin: "Phiếu giám sát ... theo mẫu của Tổ chức Y tế Thế giới",
    # "phiếu đánh giá gồm 5 tiêu chí dựa trên các chỉ số của Bộ chuẩn".
    r"|\b(?:[Pp]hiếu|[Bb]ảng kiểm|[Bb]ộ công cụ|[Tt]hang đo|[Bb]ộ tiêu chí|[Bb]ộ chỉ số)\b[^.;\n]{0,120}?"
    r"\b(?:theo mẫu|của Tổ chức|của Bộ|theo [Hh]ướng dẫn|theo [Qq]uy định|dựa trên|ban hành)")


@dataclass(frozen=True)
class VerdictRule:
    """Document-level thresholds: when a source's matches make it a duplicate or a partial copy."""

    duplicate_solution: float = 0.40  # share of the submission's solution re-worded from the source
    # ... and the share of the source's own solution those matches land on: a re-worded duplicate
    # restates its source's solution, not one paragraph of it.
    source_solution: float = 0.30
    copied_solution: float = 0.50  # share of the solution copied (near-)verbatim
    wholesale_copy: float = 0.60  # share of the text in sections copied (near-)verbatim
    # Absolute amounts, whatever the document's length (councils' usual rules of thumb): a source
    # supplying this many strong matches, copied words or consecutive identical words is never green.
    strong_matches: int = 3
    strong_cosine: float = 0.92  # a paraphrase this close, sharing this much, counts as a strong match
    strong_overlap: float = 0.50
    copied_words: int = 150
    identical_run: int = 30


DEFAULT_RULE = VerdictRule()


def role_of(kind: str | None) -> str:
    if kind in BACKGROUND_KINDS:
        return "background"
    if kind in OUTCOME_KINDS:
        return "outcome"
    return "solution"  # solution, novelty, summary, an unrecognised or no section


def boilerplate_mask(text: str, instruments: bool = True) -> list[tuple[int, int]]:
    """Disjoint, sorted spans of text shared by design, never copied: sentences that cite legal
    documents or restate them, the stock phrases of the forms and, with `instruments`, the lines and
    named references of standard assessment instruments. (A solution may well be built around such
    an instrument: paraphrase detection keeps instrument text, only copy detection leaves it out.)"""
    spans = [(s, e) for s, e in clause_spans(text) if LEGAL_CITATION.search(text[s:e])]
    spans += [m.span() for m in STOCK_PHRASE.finditer(text)]
    if instruments:
        spans += [(s, e) for s, e in clause_spans(text) if NORMATIVE_CLAUSE.search(text[s:e])]
        spans += [m.span() for m in INSTRUMENT_LINE.finditer(text)]
        pos = 0
        for line in text.split("\n"):
            if is_instrument_row(line):
                spans.append((pos, pos + len(line)))
            pos += len(line) + 1
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def content_text(text: str, instruments: bool = True) -> str:
    """The passage without its boilerplate (see `boilerplate_mask`)."""
    spans = boilerplate_mask(text, instruments)
    if not spans:
        return text
    parts, pos = [], 0
    for s, e in spans:
        parts.append(text[pos:s])
        pos = e
    parts.append(text[pos:])
    return " ".join(parts)


def is_instrument_row(line: str) -> bool:
    """A table row of an instrument (criteria of an assessment form, a checklist, a questionnaire):
    cells of labels without a measured figure. Such rows are shared by design, never copied."""
    return " | " in line and not MEASURED.search(line)


def is_paraphrase(cosine: float, overlap: float) -> bool:
    """The same statement re-worded: embeddings this close sharing this much of the rare-word mass
    (a closer embedding needs fewer shared words: renamed tools, synonyms)."""
    return (cosine >= PARAPHRASE_COSINE and overlap >= PARAPHRASE_LEXICAL) or (
        cosine >= CLOSE_PARAPHRASE_COSINE and overlap >= CLOSE_PARAPHRASE_LEXICAL)


def same_figures(text: str, source_figures: set[str]) -> bool:
    """A copied table repeats its source's figures: a table laid out like the source's around figures
    of its own (an initial survey in the same instrument) is the author's own measurement."""
    figures = MEASURED.findall(text)
    return len(figures) < 2 or sum(f in source_figures for f in figures) * 2 >= len(figures)


def is_table(text: str) -> bool:
    """Mostly table rows: a table is not re-worded, it is copied with its figures or not at all."""
    lines = [line for line in text.split("\n") if line.strip()]
    return bool(lines) and sum(" | " in line for line in lines) * 2 >= len(lines)


def shingles(words: Sequence[str], n: int = SHINGLE) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)} or ({tuple(words)} if words else set())


def rare_word_overlap(sub_words: set[str], src_words: set[str], stats: ArchiveStats) -> float:
    """IDF-weighted share of the submission passage's words that the source passage also uses."""
    total = sum(stats.idf(w) for w in sub_words)
    if total <= 0:
        return 0.0
    return sum(stats.idf(w) for w in sub_words & src_words) / total


def information(words: Iterable[str], stats: ArchiveStats) -> float:
    """Rare-word mass of a text: what it says beyond the words every initiative uses."""
    return sum(max(0.0, stats.idf(w) - GENRE_IDF) for w in set(words))


def passage_weights(passages: Sequence[Passage]) -> np.ndarray:
    """Share of each passage that may count as evidence (0 = boilerplate)."""
    weights = np.ones(len(passages))
    for i, p in enumerate(passages):
        if p.section_kind in IGNORED_KINDS:
            weights[i] = 0.0
            continue
        legal = sum(e - s for s, e in boilerplate_mask(p.text))
        weights[i] = max(0.0, 1.0 - legal / max(1, len(p.text)))
    # Mostly-legal passages count for nothing rather than for their few remaining words.
    return np.where(weights < 0.5, 0.0, weights)


def supported(pairs: Sequence[tuple[int, int]], others: Sequence[tuple[int, int]] = (),
              reach: int = SUPPORT_REACH) -> list[int]:
    """Indices of the (submission i, source j) pairs with a neighbour: another pair (of `pairs` or
    `others`) at most `reach` passages away in the submission and `reach + 1` in the source, in either
    direction. Copied or re-worded content moves in blocks, even when steps are told in another order
    or a template moves whole sections; matches that merely share the topic are isolated."""
    kept = []
    for k, (i, j) in enumerate(pairs):
        if any(0 < abs(i2 - i) <= reach and abs(j2 - j) <= reach + 1 for i2, j2 in [*pairs, *others]):
            kept.append(k)
    return kept


@dataclass
class PairMatch:
    """One submission passage matched to one source passage (or source span, for copies)."""

    i: int  # submission passage
    j: int  # source passage
    similarity: float
    kind: MatchKind
    src_start: int
    src_end: int
    overlap: float = 1.0  # rare-word overlap, for paraphrases

    @property
    def strength(self) -> tuple[int, float]:
        return ({"verbatim": 2, "near_verbatim": 1}.get(self.kind, 0), self.similarity)


def pair_decision(text: str, other: str, cosine: float, stats: ArchiveStats) -> MatchKind | None:
    """The passage-level decision for one pair of texts on its own: how `text` relates to `other`
    (bench/eval_vnpara.py measures it on a public paraphrase corpus). Inside a document comparison
    the same tests run against the whole source, and a paraphrase also needs a neighbouring match."""
    copy_words = tokens(content_text(text))
    own = shingles(copy_words)
    theirs = shingles(tokens(content_text(other)))
    containment = len(own & theirs) / len(own) if own else 0.0
    if containment >= NEAR_VERBATIM_CONTAINMENT:
        return "verbatim" if containment >= VERBATIM_CONTAINMENT else "near_verbatim"
    words = tokens(content_text(text, instruments=False))
    if information(words, stats) < MIN_INFORMATION or is_table(text):
        return None
    overlap = rare_word_overlap(set(words), set(tokens(content_text(other, instruments=False))), stats)
    return "paraphrase" if is_paraphrase(cosine, overlap) else None


def _align_passages(sub, sub_vecs, src, src_vecs, stats, src_text, weights) -> list[PairMatch]:
    sims = np.asarray(sub_vecs, dtype=np.float32) @ np.asarray(src_vecs, dtype=np.float32).T
    src_words = [set(tokens(content_text(p.text, instruments=False))) for p in src]
    src_shingles = set().union(*(shingles(tokens(content_text(p.text))) for p in src)) if src else set()
    src_figures = set(MEASURED.findall(src_text or " ".join(p.text for p in src)))
    src_vocabulary = set().union(*src_words) if src_words else set()
    copies: list[PairMatch] = []
    weak_copies: list[PairMatch] = []  # copies of little information: kept only beside other matches
    paraphrases: list[PairMatch] = []
    for i, p in enumerate(sub):
        if weights[i] == 0 or not len(src):
            continue
        copy_words = tokens(content_text(p.text))
        own = shingles(copy_words)
        containment = len(own & src_shingles) / len(own) if own else 0.0
        top = np.argsort(-sims[i])[:CANDIDATES_PER_PASSAGE]
        words = tokens(content_text(p.text, instruments=False))
        info = information(words, stats)
        if containment >= NEAR_VERBATIM_CONTAINMENT and (not is_table(p.text) or same_figures(p.text, src_figures)):
            kind = "verbatim" if containment >= VERBATIM_CONTAINMENT else "near_verbatim"
            s, e = _source_span(p.text, src, top, src_text)
            # What the copy carries over: the information of the words it shares with the source.
            shared = information([w for w in copy_words if w in src_vocabulary], stats)
            (copies if shared >= MIN_INFORMATION / 2 else weak_copies).append(
                PairMatch(i, int(top[0]), containment, kind, s, e))
            continue
        if info < MIN_INFORMATION or is_table(p.text):
            continue  # generic text says nothing; a table is copied (same figures) or not at all
        overlaps = {int(j): rare_word_overlap(set(words), src_words[j], stats) for j in top}
        j = max(overlaps, key=overlaps.get)
        if is_paraphrase(float(sims[i, j]), overlaps[j]):
            paraphrases.append(PairMatch(i, j, float(sims[i, j]), "paraphrase", src[j].start, src[j].end, overlaps[j]))
    anchors = [(m.i, m.j) for m in copies]
    found = list(copies)
    for candidates in (paraphrases, weak_copies):
        kept = supported([(m.i, m.j) for m in candidates], anchors)
        found += [candidates[k] for k in kept]
    return sorted(found, key=lambda m: m.i)


def _source_span(text: str, src, top, src_text: str | None) -> tuple[int, int]:
    """Exact span of a copied passage in the source, searched around its nearest source passages."""
    if not src_text:
        return src[top[0]].start, src[top[0]].end
    from rapidfuzz import fuzz

    lo = max(0, min(src[j].start for j in top) - len(text))
    hi = min(len(src_text), max(src[j].end for j in top) + len(text))
    hit = fuzz.partial_ratio_alignment(text, src_text[lo:hi])
    return lo + hit.dest_start, lo + hit.dest_end


def _merge(sub, src, pairs: list[PairMatch], sub_text: str | None, src_text: str | None) -> list[Match]:
    """Adjacent passages matched the same way in the same section become one span."""
    groups: list[list[PairMatch]] = []
    for m in pairs:
        prev = groups[-1][-1] if groups else None
        if (
            prev is not None
            and m.i == prev.i + 1
            and sub[m.i].section_heading == sub[prev.i].section_heading
            and (m.kind == "paraphrase") == (prev.kind == "paraphrase")
        ):
            groups[-1].append(m)
        else:
            groups.append([m])
    matches = []
    for g in groups:
        start, end = sub[g[0].i].start, max(sub[m.i].end for m in g)
        s_start, s_end = min(m.src_start for m in g), max(m.src_end for m in g)
        kinds = {m.kind for m in g}
        kind = "verbatim" if kinds == {"verbatim"} else ("paraphrase" if "paraphrase" in kinds else "near_verbatim")
        matches.append(
            Match(
                section=sub[g[0].i].section_heading or "",
                text=sub_text[start:end] if sub_text is not None else " ".join(sub[m.i].text for m in g),
                start=start,
                end=end,
                source_section=src[g[0].j].section_heading or "",
                source_text=src_text[s_start:s_end] if src_text is not None else src[g[0].j].text,
                similarity=round(float(np.mean([m.similarity for m in g])), 4),
                kind=kind,
            )
        )
    return matches


def _covered(spans: Iterable[tuple[int, int]]) -> int:
    total, reach = 0, -1
    for s, e in sorted(spans):
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total


def longest_identical_run(a: str, b: str) -> int:
    """The longest run of consecutive identical words (case-insensitive) between two texts."""
    wa, wb = tokens(a), tokens(b)
    if not wa or not wb:
        return 0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).find_longest_match(0, len(wa), 0, len(wb)).size


def _background_match(match: Match, sub: Sequence[Passage]) -> bool:
    """Whether a merged match lies in background sections (its passages' role)."""
    return all(role_of(p.section_kind) == "background" for p in sub if match.start <= p.start < match.end)


def copied_run(match: Match) -> int:
    """Longest identical run of a copy, boilerplate (legal citations, instruments) left out."""
    return longest_identical_run(content_text(match.text), content_text(match.source_text))


@dataclass
class Candidate:
    """An archive document to compare with, as the store returns it."""

    doc_id: str
    passages: Sequence[Passage]
    vecs: np.ndarray
    text: str | None = None
    title: str = ""
    year: int | None = None
    unit: str = ""
    level: str | None = None


@dataclass
class _Comparison:
    """A submission against one source: its passage matches and what they add up to."""

    candidate: Candidate
    pairs: list[PairMatch]
    result: SourceComparison = field(default=None)


# How serious a verdict is, for ranking sources, round submissions and round peers alike.
VERDICT_RANK = {"duplicate": 3, "partial": 2, "related": 1, "none": 0, "original": 0}


def owned_lengths(passages: Sequence[Passage]) -> np.ndarray:
    """Characters each passage owns: passages overlap by a sentence, so each owns its text up to where
    the next one starts. Owned lengths add up to the text they cover, so shares never exceed 1."""
    lengths = np.zeros(len(passages))
    for k, p in enumerate(passages):
        nxt = passages[k + 1].start if k + 1 < len(passages) else p.end
        lengths[k] = max(0, min(p.end, nxt if nxt > p.start else p.end) - p.start)
    return lengths


@dataclass
class Features:
    """What a set of passage matches amounts to, for the verdict (sub-side only: it does not matter
    which archive document, or which version of one initiative, each match came from)."""

    coverage: float = 0.0
    solution_coverage: float = 0.0  # share of the solution matched, any way
    solution_paraphrase: float = 0.0  # share of the solution re-worded from the source
    solution_copied: float = 0.0  # share of the solution copied (near-)verbatim
    copied_share: float = 0.0
    copied_sections: list[str] = field(default_factory=list)
    copied_words: int = 0
    longest_run: int = 0
    # (kind, similarity, rare-word overlap, role) of every matched passage, so another rule can recount.
    evidence: list[tuple[str, float, float, str]] = field(default_factory=list)
    matched: bool = False
    source_solution: float = 1.0  # share of the source's solution the matches land on (source side)

    def strong_matches(self, rule: VerdictRule) -> int:
        """Copies and close paraphrases outside the background (which may legitimately resemble
        earlier work; a background section copied as a whole still counts, as a copied section)."""
        return sum(1 for kind, sim, overlap, role in self.evidence if role != "background" and (
            kind != "paraphrase" or (sim >= rule.strong_cosine and overlap >= rule.strong_overlap)))


def features(sub: Sequence[Passage], weights: np.ndarray, pairs: Sequence[PairMatch],
             runs: Iterable[int] = ()) -> Features:
    owned = owned_lengths(sub) * (weights > 0)
    total = owned.sum() or 1.0
    matched = {m.i for m in pairs}
    roles = [role_of(p.section_kind) for p in sub]
    solution = np.array([r == "solution" for r in roles])
    solution_total = (owned * solution).sum()
    coverage = sum(owned[i] for i in matched) / total
    copied_idx = {m.i for m in pairs if m.kind != "paraphrase"}
    copied_outside = {i for i in copied_idx if roles[i] != "background"}
    # A document without a recognisable solution section is judged on all of its text.
    in_solution = solution if solution_total >= 0.15 * total else np.ones(len(sub), dtype=bool)
    base = (owned * in_solution).sum() or 1.0

    def solution_share(indices) -> float:
        return round(min(1.0, sum(owned[i] for i in indices if in_solution[i]) / base), 4)

    copied, copied_paths = _copied_sections(sub, weights, copied_idx)
    in_copied = [k for k, p in enumerate(sub) if any(p.path()[: len(c)] == c for c in copied_paths)]
    return Features(
        coverage=round(min(1.0, coverage), 4),
        solution_coverage=solution_share(matched),
        solution_paraphrase=solution_share(matched - copied_idx),
        solution_copied=solution_share(copied_idx),
        copied_share=round(min(1.0, sum(owned[k] for k in in_copied) / total), 4),
        copied_sections=copied,
        copied_words=sum(len(content_text(sub[i].text[: int(owned[i])]).split()) for i in copied_outside),
        longest_run=max(runs, default=0),
        evidence=[(m.kind, m.similarity, m.overlap, roles[m.i]) for m in pairs],
        matched=bool(pairs),
    )


def _copied_sections(sub, weights, copied_idx) -> tuple[list[str], set[tuple[str, ...]]]:
    """Sections copied (near-)verbatim: their share of the section (sub-sections included). Each
    copied section is named at its highest copied level."""
    section_size: Counter = Counter()
    for i, (p, w) in enumerate(zip(sub, weights)):
        # A table of the author's own figures is neither copied nor counted against the section.
        if w > 0 and (i in copied_idx or not is_table(p.text)):
            for depth in range(1, len(p.path()) + 1):
                section_size[p.path()[:depth]] += len(p.text.split())
    copied_words: Counter = Counter()
    for i in copied_idx:
        for depth in range(1, len(sub[i].path()) + 1):
            copied_words[sub[i].path()[:depth]] += len(sub[i].text.split())

    def is_copied(path: tuple[str, ...]) -> bool:
        # A parent counts as copied only when every substantial sub-section is copied too: copying
        # "1." and "Bước 5" of a long "III." does not make all of "III." a copy.
        n = copied_words[path]
        if n < COPIED_SECTION_MIN_WORDS or n < COPIED_SECTION_SHARE * section_size[path]:
            return False
        children = [c for c in section_size if len(c) == len(path) + 1 and c[: len(path)] == path]
        return all(is_copied(c) for c in children if section_size[c] >= COPIED_SECTION_MIN_WORDS)

    paths = {path for path in section_size if is_copied(path)}
    # A parent whose copied text is one copied child's ("c) Hiệu quả ..." holding the copied results
    # of one sub-section and a few lines of its own) is named by that child.
    for path in sorted(paths, key=len):
        children = [c for c in paths if len(c) == len(path) + 1 and c[: len(path)] == path]
        if len(children) == 1 and copied_words[path] - copied_words[children[0]] < COPIED_SECTION_MIN_WORDS:
            paths.discard(path)
    paths = {p for p in paths if not any(p[:d] in paths for d in range(1, len(p)))}
    first = {p: min(q.start for q in sub if q.path()[: len(p)] == p) for p in paths}
    return list(dict.fromkeys(p[-1] for p in sorted(paths, key=first.get))), paths


def decide(f: Features, rule: VerdictRule = DEFAULT_RULE) -> SourceVerdict:
    """The verdict of a source from what its matches amount to: a duplicate holds the submission's
    solution (re-worded, or copied in the most part), or the whole document copied; a partial copy
    has copied sections or more copied text than chance allows; related matches are shown only."""
    if (f.copied_share >= rule.wholesale_copy or f.solution_copied >= rule.copied_solution
            or (f.matched and f.solution_paraphrase >= rule.duplicate_solution
                and f.source_solution >= rule.source_solution)):
        return "duplicate"
    if (f.copied_sections or f.strong_matches(rule) >= rule.strong_matches or f.copied_words >= rule.copied_words
            or f.longest_run >= rule.identical_run):
        return "partial"
    return "related" if f.matched else "none"


def source_verdict(source: SourceComparison, rule: VerdictRule = DEFAULT_RULE) -> SourceVerdict:
    """A reported source decided again under another rule (bench/eval.py's leave-one-family-out)."""
    return decide(source.features, rule)


def shared_content(sub: Sequence[Passage], src: Sequence[Passage], pairs: Sequence[PairMatch],
                   stats: ArchiveStats, limit: int = 6) -> tuple[list[str], list[str]]:
    """The distinctive phrases (runs of rare words in the same order) and the figures that matched
    solution passages share with the source: the steps, tools and artefacts a reviewer should see."""
    phrases: Counter = Counter()
    figures: dict[str, None] = {}
    for m in pairs:
        if role_of(sub[m.i].section_kind) == "background":
            continue
        own, other = sub[m.i].text, src[m.j].text
        other_words = set(tokens(other))
        run: list[str] = []
        for w in [*WORD.findall(own), ""]:
            if w and w.lower() in other_words and stats.idf(w.lower()) >= 2.0:
                run.append(w)
                continue
            if len(run) >= 2 and (run_text := " ".join(run)) in " ".join(WORD.findall(other)):
                phrases[run_text] = max(phrases[run_text], information([t.lower() for t in run], stats))
            run = []
        figures.update(dict.fromkeys(f for f in MEASURED.findall(own) if f in other and not f.isdigit()))
    best = sorted(phrases, key=lambda p: -phrases[p])[:limit]
    return best, list(figures)[:limit]


def compare_documents(
    sub: Sequence[Passage],
    sub_vecs: np.ndarray,
    src: Sequence[Passage],
    src_vecs: np.ndarray,
    *,
    stats: ArchiveStats,
    sub_text: str | None = None,
    src_text: str | None = None,
    doc_id: str = "",
    title: str = "",
    year: int | None = None,
    unit: str = "",
    rule: VerdictRule = DEFAULT_RULE,
) -> SourceComparison:
    """Compare a submission with one document (an archive document or another submission)."""
    candidate = Candidate(doc_id, src, src_vecs, src_text, title, year, unit)
    weights = passage_weights(sub)
    pairs = _align_passages(sub, sub_vecs, src, src_vecs, stats, src_text, weights)
    return _report(sub, weights, candidate, pairs, sub_text, stats, rule)


def _report(sub, weights, candidate: Candidate, pairs: list[PairMatch], sub_text, stats, rule,
            verdict_from: Features | None = None) -> SourceComparison:
    """The reported comparison with one source; `verdict_from` decides instead of the source's own
    matches (a version of an initiative takes the verdict of all its versions together)."""
    src = candidate.passages
    matches = _merge(sub, src, pairs, sub_text, candidate.text)
    runs = [copied_run(m) for m in matches if m.kind != "paraphrase" and not _background_match(m, sub)]
    own = features(sub, weights, pairs, runs)
    own.source_solution = solution_landed(src, pairs)
    decided = verdict_from or own
    verdict = decide(decided, rule)
    terms, figures = shared_content(sub, src, pairs, stats)
    return SourceComparison(
        doc_id=candidate.doc_id, title=candidate.title, year=candidate.year, unit=candidate.unit,
        level=candidate.level, verdict=verdict, coverage=own.coverage, score=round(min(1.0, own.coverage), 4),
        copied_sections=decided.copied_sections if verdict == "partial" else [],
        matches=matches, solution_coverage=decided.solution_coverage,
        strong_matches=decided.strong_matches(rule), copied_words=decided.copied_words,
        longest_run=decided.longest_run, shared_terms=terms, shared_figures=figures,
        features=decided, copied_share=decided.copied_share,
    )


def _versions(comparisons: list[_Comparison]) -> list[list[int]]:
    """Groups of comparisons whose sources are versions of one initiative: each pair of the group
    matches mostly the same submission passages (union-find over such pairs)."""
    parent = list(range(len(comparisons)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    matched = [{m.i for m in c.pairs} for c in comparisons]
    for a in range(len(comparisons)):
        for b in range(a + 1, len(comparisons)):
            if min(len(matched[a]), len(matched[b])) < VERSION_MIN_PASSAGES:
                continue
            if len(matched[a] & matched[b]) / len(matched[a] | matched[b]) >= VERSION_OVERLAP:
                parent[root(a)] = root(b)
    groups = defaultdict(list)
    for k in range(len(comparisons)):
        groups[root(k)].append(k)
    return list(groups.values())


def assess(
    sub: Sequence[Passage],
    sub_vecs: np.ndarray,
    candidates: Iterable[Candidate],
    *,
    stats: ArchiveStats,
    sub_text: str | None = None,
    keep_related: int = 5,
    rule: VerdictRule = DEFAULT_RULE,
) -> SimilarityReport:
    """Compare a submission with each candidate and summarise. Each submission passage is credited
    to one source (its best match), so per-source figures never overlap and add up to at most 100 %;
    versions of one initiative are judged together and all named. Sources are sorted by verdict,
    then by credited coverage; sources without any match are dropped and at most `keep_related`
    related ones are kept."""
    weights = passage_weights(sub)
    comparisons = [_Comparison(c, _align_passages(sub, sub_vecs, c.passages, c.vecs, stats, c.text, weights))
                   for c in candidates]
    groups = _versions(comparisons)
    best: dict[int, tuple[int, PairMatch]] = {}
    for k, comparison in enumerate(comparisons):
        for m in comparison.pairs:
            if m.i not in best or m.strength > best[m.i][1].strength:
                best[m.i] = (k, m)
    credited: dict[int, list[PairMatch]] = defaultdict(list)
    for k, m in best.values():
        credited[k].append(m)
    sources = []
    for members in groups:
        together = features(sub, weights, [m for k in members for m in credited[k]])
        together.longest_run = max((features_run(comparisons[k], sub, credited[k], sub_text) for k in members),
                                   default=0)
        together.source_solution = max(solution_landed(comparisons[k].candidate.passages, credited[k])
                                       for k in members)
        for k in members:
            pairs = sorted(credited[k], key=lambda m: m.i)
            report = _report(sub, weights, comparisons[k].candidate, pairs, sub_text, stats, rule,
                             verdict_from=together if len(members) > 1 else None)
            report.versions = [comparisons[o].candidate.doc_id for o in members if o != k]
            if report.verdict == "none" and report.versions and together.matched:
                report.verdict = decide(together, rule)
            sources.append(report)
    sources = sorted((s for s in sources if s.verdict != "none"),
                     key=lambda s: (-VERDICT_RANK[s.verdict], -s.solution_coverage, -s.coverage))
    related = [s for s in sources if s.verdict == "related"][:keep_related]
    sources = [s for s in sources if s.verdict != "related"] + related
    owned = owned_lengths(sub) * (weights > 0)
    score = sum(owned[i] for i in best) / (owned.sum() or 1.0)
    verdicts = {s.verdict for s in sources}
    verdict: DocumentVerdict = ("duplicate" if "duplicate" in verdicts
                                else "partial" if "partial" in verdicts else "original")
    return SimilarityReport(score=round(min(1.0, score), 4), verdict=verdict, sources=sources)


def solution_landed(src: Sequence[Passage], pairs: Sequence[PairMatch]) -> float:
    """Share of a source's solution (all of its text when it has no recognisable solution section)
    that the submission's matches land on."""
    owned = owned_lengths(src)
    in_solution = np.array([role_of(p.section_kind) == "solution" for p in src], dtype=bool)
    if (owned * in_solution).sum() < 0.15 * (owned.sum() or 1.0):
        in_solution = np.ones(len(src), dtype=bool)
    landed = {m.j for m in pairs}
    base = (owned * in_solution).sum() or 1.0
    return round(min(1.0, sum(owned[j] for j in landed if in_solution[j]) / base), 4)


def features_run(comparison: _Comparison, sub, pairs: Sequence[PairMatch], sub_text) -> int:
    """Longest run of identical words in one source's credited copies."""
    matches = _merge(sub, comparison.candidate.passages, sorted(pairs, key=lambda m: m.i), sub_text,
                     comparison.candidate.text)
    return max((copied_run(m) for m in matches if m.kind != "paraphrase" and not _background_match(m, sub)),
               default=0)


def fit_rule(examples: Sequence[tuple[SourceComparison, str]], base: VerdictRule = DEFAULT_RULE) -> VerdictRule:
    """The duplicate threshold that best separates labelled sources (gold "duplicate" against every
    other label): among the cut points with the fewest errors, the one in the widest gap between two
    neighbouring values (the largest margin); the rest of `base` is kept. Used by bench/eval.py for
    leave-one-family-out estimates."""
    values = sorted({round(s.features.solution_paraphrase, 4) for s, _ in examples})
    gaps = [((a + b) / 2, b - a) for a, b in zip(values, values[1:])] or [(base.duplicate_solution, 0.0)]

    def errors(cut: float) -> int:
        rule = replace(base, duplicate_solution=cut)
        return sum((decide(s.features, rule) == "duplicate") != (gold == "duplicate") for s, gold in examples)

    scored = [(errors(cut), -width, cut) for cut, width in gaps]
    return replace(base, duplicate_solution=min(scored)[2])
