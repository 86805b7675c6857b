"""Near-duplicate detection between a submission and archive initiatives. Model-free: everything here
works on passages (text + span + section), their L2-normalised embeddings and archive-wide statistics.

Why several layers: whole-document cosine cannot tell a re-worded duplicate from a new solution on the
same topic (both sit at 0.97-0.99 with e5-small), and word n-grams miss every re-worded sentence. What
does separate them is *distinctive* content carried across: a submission passage counts as a
paraphrase only when it has a close embedding neighbour in the source AND that neighbour shares its
rare (high-IDF) words - same tools, artefacts, steps. Verbatim copying is found lexically (syllable
shingles, rapidfuzz for the exact source span). Boilerplate never counts: legal citations, form fields,
references/appendix sections and passages that many archive documents share.

Calibrated on the dev families of ../shared with real documents as distractors (`make eval`, bench/eval.py)
and checked on held-out families written for this project (bench/families):
re-worded duplicates cover 0.32-0.52 of the submission outside copied sections, same-topic new
solutions and partial copies at most 0.15, with or without the 71 real distractors in the archive
(a young archive borrows word statistics from the shipped background documents, see
`indexing.stats.background_stats`); the threshold is 0.25.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from indexing.document import Passage
from indexing.report import DocumentVerdict, Match, MatchKind, SimilarityReport, SourceComparison, SourceVerdict
from indexing.stats import ArchiveStats
from indexing.text import clause_spans, tokens

# Section kinds whose text is never evidence of copying: they are filled-in forms, bibliographies or
# attachments that legitimately repeat across initiatives.
IGNORED_KINDS = frozenset({"references", "appendix", "form_field"})

# Thresholds (cosines assume multilingual-e5-small passage embeddings).
PARAPHRASE_COSINE = 0.89  # embedding neighbour close enough to be the same statement
PARAPHRASE_LEXICAL = 0.40  # share of the passage's rare-word mass found in that neighbour
VERBATIM_CONTAINMENT = 0.90  # share of the passage's syllable trigrams found in the source
NEAR_VERBATIM_CONTAINMENT = 0.60
COMMON_PASSAGE_DOCS = 3  # a passage matching this many archive documents is boilerplate
COMMON_PASSAGE_COSINE = 0.90
DUPLICATE_COVERAGE = 0.25  # coverage of the submission outside copied sections
COPIED_SECTION_SHARE = 0.50  # a section is copied when this share of it is (near-)verbatim
COPIED_SECTION_MIN_WORDS = 40
WHOLESALE_COPY_SHARE = 0.60  # copied sections covering this much of the text make a duplicate
CANDIDATES_PER_PASSAGE = 3  # embedding neighbours among which the lexical check picks the partner
SHINGLE = 3

# "Nghị định số 45/2020/NĐ-CP", "Thông tư 18/2013/TT-BKHCN", "Luật Giáo dục năm 2019", "Điều 5".
LEGAL_CITATION = re.compile(
    r"\b\d+/\d{4}/[A-ZĐ]{1,6}(?:-[A-ZĐ]{1,8})*"
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


def count_matching_docs(scores: np.ndarray, doc_ids: np.ndarray, threshold: float = COMMON_PASSAGE_COSINE,
                        exclude: str | None = None) -> np.ndarray:
    """How many distinct archive documents each submission passage matches above `threshold`.

    `scores`/`doc_ids` are (n, k) results of a nearest-neighbour search of the submission passages in
    the whole archive (FAISS inner product); `exclude` drops one document, e.g. the candidate source.
    """
    counts = np.zeros(len(scores), dtype=int)
    for i, (row, ids) in enumerate(zip(scores, doc_ids)):
        counts[i] = len({d for s, d in zip(row, ids) if s >= threshold and d != exclude})
    return counts


def boilerplate_mask(text: str) -> list[tuple[int, int]]:
    """Disjoint, sorted spans of text shared by design, never copied: sentences that cite legal
    documents and the stock phrases of the forms."""
    spans = [(s, e) for s, e in clause_spans(text) if LEGAL_CITATION.search(text[s:e])]
    spans += [m.span() for m in STOCK_PHRASE.finditer(text)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def content_text(text: str) -> str:
    """The passage without its boilerplate (legal citations, stock phrases)."""
    spans = boilerplate_mask(text)
    if not spans:
        return text
    parts, pos = [], 0
    for s, e in spans:
        parts.append(text[pos:s])
        pos = e
    parts.append(text[pos:])
    return " ".join(parts)


def shingles(words: Sequence[str], n: int = SHINGLE) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)} or ({tuple(words)} if words else set())


def rare_word_overlap(sub_words: set[str], src_words: set[str], stats: ArchiveStats) -> float:
    """IDF-weighted share of the submission passage's words that the source passage also uses."""
    total = sum(stats.idf(w) for w in sub_words)
    if total <= 0:
        return 0.0
    return sum(stats.idf(w) for w in sub_words & src_words) / total


def passage_weights(passages: Sequence[Passage], doc_freq: np.ndarray | None = None) -> np.ndarray:
    """Share of each passage that may count as evidence (0 = boilerplate)."""
    weights = np.ones(len(passages))
    for i, p in enumerate(passages):
        if p.section_kind in IGNORED_KINDS:
            weights[i] = 0.0
            continue
        legal = sum(e - s for s, e in boilerplate_mask(p.text))
        weights[i] = max(0.0, 1.0 - legal / max(1, len(p.text)))
        if doc_freq is not None and doc_freq[i] >= COMMON_PASSAGE_DOCS:
            weights[i] = 0.0
    # Mostly-legal passages count for nothing rather than for their few remaining words.
    return np.where(weights < 0.5, 0.0, weights)


def order_consistent(pairs: Sequence[tuple[int, int]], reach: int = 3) -> list[int]:
    """Indices of the (submission i, source j) pairs that have an order-consistent neighbour: another
    pair at most `reach` passages away in the submission whose source passage lies on the same side,
    at most `reach + 1` passages away. Copied or re-worded content moves in blocks that keep their
    inner order (even when a template moves whole sections); matches that merely share the topic are
    isolated or scattered."""
    kept = []
    for k, (i, j) in enumerate(pairs):
        for i2, j2 in pairs:
            di, dj = i2 - i, j2 - j
            if 0 < abs(di) <= reach and 0 <= dj * (1 if di > 0 else -1) <= reach + 1:
                kept.append(k)
                break
    return kept


@dataclass
class _PairMatch:
    i: int  # submission passage
    j: int  # source passage
    similarity: float
    kind: MatchKind
    src_start: int
    src_end: int


def _align_passages(sub, sub_vecs, src, src_vecs, stats, src_text, weights) -> list[_PairMatch]:
    sims = np.asarray(sub_vecs, dtype=np.float32) @ np.asarray(src_vecs, dtype=np.float32).T
    src_words = [set(tokens(content_text(p.text))) for p in src]
    src_shingles = set().union(*(shingles(tokens(content_text(p.text))) for p in src)) if src else set()
    found: list[_PairMatch] = []
    paraphrases: list[tuple[int, int]] = []
    for i, p in enumerate(sub):
        if weights[i] == 0 or not len(src):
            continue
        words = tokens(content_text(p.text))
        own = shingles(words)
        containment = len(own & src_shingles) / len(own) if own else 0.0
        top = np.argsort(-sims[i])[:CANDIDATES_PER_PASSAGE]
        if containment >= NEAR_VERBATIM_CONTAINMENT:
            kind = "verbatim" if containment >= VERBATIM_CONTAINMENT else "near_verbatim"
            s, e = _source_span(p.text, src, top, src_text)
            found.append(_PairMatch(i, int(top[0]), containment, kind, s, e))
            continue
        overlaps = {int(j): rare_word_overlap(set(words), src_words[j], stats) for j in top}
        j = max(overlaps, key=overlaps.get)
        if sims[i, j] >= PARAPHRASE_COSINE and overlaps[j] >= PARAPHRASE_LEXICAL:
            paraphrases.append((i, j))
    for k in order_consistent(paraphrases):
        i, j = paraphrases[k]
        found.append(_PairMatch(i, j, float(sims[i, j]), "paraphrase", src[j].start, src[j].end))
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


def _merge(sub, src, pairs: list[_PairMatch], sub_text: str | None, src_text: str | None) -> list[Match]:
    """Adjacent passages matched the same way in the same section become one span."""
    groups: list[list[_PairMatch]] = []
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


def compare_documents(
    sub: Sequence[Passage],
    sub_vecs: np.ndarray,
    src: Sequence[Passage],
    src_vecs: np.ndarray,
    *,
    stats: ArchiveStats,
    sub_text: str | None = None,
    src_text: str | None = None,
    sub_doc_freq: np.ndarray | None = None,
    doc_id: str = "",
    title: str = "",
    year: int | None = None,
    unit: str = "",
) -> SourceComparison:
    """Compare a submission with one archive document.

    `sub_doc_freq` (optional) is, per submission passage, the number of *other* archive documents it
    matches (see `count_matching_docs`); passages common to many documents are ignored.
    """
    weights = passage_weights(sub, sub_doc_freq)
    pairs = _align_passages(sub, sub_vecs, src, src_vecs, stats, src_text, weights)
    matches = _merge(sub, src, pairs, sub_text, src_text)

    countable = [(p.start, p.end) for p, w in zip(sub, weights) if w > 0]
    total = _covered(countable) or 1
    coverage = _covered((m.start, m.end) for m in matches) / total
    score = sum(m.similarity * (m.end - m.start) for m in matches) / total

    # Sections copied (near-)verbatim: their share of the section (sub-sections included), then what
    # remains outside them. Each copied section is named at its highest copied level.
    section_size: Counter = Counter()
    for p, w in zip(sub, weights):
        if w > 0:
            for depth in range(1, len(p.path()) + 1):
                section_size[p.path()[:depth]] += len(p.text.split())
    copied_words: Counter = Counter()
    for i in {m.i for m in pairs if m.kind != "paraphrase"}:
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

    copied_paths = {path for path in section_size if is_copied(path)}
    copied_paths = {p for p in copied_paths if not any(p[:d] in copied_paths for d in range(1, len(p)))}
    copied = list(dict.fromkeys(p[-1] for p in sorted(copied_paths, key=lambda p: min(
        q.start for q in sub if q.path()[: len(p)] == p))))

    def in_copied_section(p: Passage) -> bool:
        return any(p.path()[: len(c)] == c for c in copied_paths)

    in_copied = [(p.start, p.end) for p, w in zip(sub, weights) if w > 0 and in_copied_section(p)]
    copied_share = _covered(in_copied) / total
    copied_headings = {p.section_heading or "" for p in sub if in_copied_section(p)}
    rest = [m for m in matches if m.section not in copied_headings]
    rest_total = total - _covered(in_copied)
    rest_coverage = _covered((m.start, m.end) for m in rest) / rest_total if rest_total > 0 else 0.0

    if copied_share >= WHOLESALE_COPY_SHARE or (rest_coverage >= DUPLICATE_COVERAGE and coverage >= DUPLICATE_COVERAGE):
        verdict: SourceVerdict = "duplicate"
    elif copied:
        verdict = "partial"
    elif matches:
        verdict = "related"
    else:
        verdict = "none"
    return SourceComparison(
        doc_id=doc_id, title=title, year=year, unit=unit, verdict=verdict,
        coverage=round(min(1.0, coverage), 4), score=round(min(1.0, score), 4), matches=matches,
        copied_sections=copied if verdict == "partial" else [],
        rest_coverage=round(rest_coverage, 4), copied_share=round(copied_share, 4),
    )


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


# How serious a verdict is, for ranking sources, round submissions and round peers alike.
VERDICT_RANK = {"duplicate": 3, "partial": 2, "related": 1, "none": 0, "original": 0}


def assess(
    sub: Sequence[Passage],
    sub_vecs: np.ndarray,
    candidates: Iterable[Candidate],
    *,
    stats: ArchiveStats,
    sub_text: str | None = None,
    sub_doc_freq: np.ndarray | None = None,
    keep_related: int = 5,
) -> SimilarityReport:
    """Compare a submission with each candidate and summarise. Sources are sorted by verdict then
    score; sources without any match are dropped and at most `keep_related` related ones are kept."""
    sources = [
        compare_documents(
            sub, sub_vecs, c.passages, c.vecs, stats=stats, sub_text=sub_text, src_text=c.text,
            sub_doc_freq=sub_doc_freq, doc_id=c.doc_id, title=c.title, year=c.year, unit=c.unit,
        )
        for c in candidates
    ]
    sources = sorted((s for s in sources if s.verdict != "none"), key=lambda s: (-VERDICT_RANK[s.verdict], -s.score))
    related = [s for s in sources if s.verdict == "related"][:keep_related]
    sources = [s for s in sources if s.verdict != "related"] + related

    weights = passage_weights(sub, sub_doc_freq)
    total = _covered((p.start, p.end) for p, w in zip(sub, weights) if w > 0) or 1
    score = _covered((m.start, m.end) for s in sources for m in s.matches) / total
    verdicts = {s.verdict for s in sources}
    verdict: DocumentVerdict = ("duplicate" if "duplicate" in verdicts
                                else "partial" if "partial" in verdicts else "original")
    return SimilarityReport(score=round(min(1.0, score), 4), verdict=verdict, sources=sources)
