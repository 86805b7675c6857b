"""Archive search: which stored initiatives are about what someone typed, best first, or none.

1. **The query** is cut into words with underthesea ("công nghệ thông tin" is one word). A query
   typed without diacritics first gets them back from the archive's own text: the passages its
   syllables match vote, pair by pair, for the accented form (`restore_diacritics`), so the
   segmenter and the embedding model read Vietnamese. Function words (data/lexicons/search.yaml)
   are dropped; an abbreviation ("THCS") also matches its expansion, which the model reads.
2. **Candidates**: the passages nearest to the query's embedding (vector index) and the passages
   with the best BM25 over the query's words (keyword index: unaccented syllables and syllable
   pairs, so a two-syllable word is one term and no single common syllable carries a hit).
3. **Evidence** per candidate document, in units of the archive's own spread for this query:
   - `z`: (best passage cosine - mean cosine of the query to a sample of archive passages) / their
     standard deviation; `z3` the same for the mean of its three best passages (a document about the
     topic answers in several places, a chance match in one);
   - `title_z`: the same for the title's embedding, against a sample of titles;
   - `coverage`: the IDF-weighted share of the query's words found in one passage together with the
     document's title and unit, so "trường mầm non thành phố Lạng Sơn" finds the topic in the text
     and the place in the unit; a word typed with diacritics found only without them counts half.
4. **The rule** (`SearchRule`, chosen on the dev and calibration queries of bench/search, see
   bench/eval_search.py): the query is answered only when some document has strong evidence
   (`z3` high, or most of the query's words with some semantic support); then every document with
   some evidence is a hit, ranked by `z + coverage_weight * coverage + title_weight * title_z`.
5. **Snippets**: each hit's best passages, cut around the query's words, marked at word boundaries.
"""
from __future__ import annotations

import logging
import math
import re
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from indexing.errors import InputError
from indexing.keyword_index import KeywordIndex, Term
from indexing.report import SearchFilters, SearchHit, SearchPage, SearchSnippet
from indexing.text import WORD, has_diacritics, segment_words, unaccent

log = logging.getLogger(__name__)

LEXICON_FILE = "search.yaml"
MAX_QUERY_CHARS = 300
SEMANTIC_POOL = 1000  # nearest passages read per query
KEYWORD_POOL = 300  # best BM25 passages read per query
EXAMINED_DOCUMENTS = 40  # per candidate list (semantic, keyword): documents whose words are checked
SNIPPETS = 3
SNIPPET_CHARS = 320
FOLDED_CREDIT = 0.5  # a word typed with diacritics, found only without them
PARTIAL_CREDIT = 0.5  # a longer word found only syllable by syllable


@dataclass(frozen=True)
class SearchRule:
    """Weights of the ranking score and the thresholds of what is shown (see the module doc). The
    values are the grid point `bench/eval_search.py` chooses on the dev and calibration queries of
    bench/search: the best nDCG@10 with at most 0.5 hits per absent-topic query."""
    coverage_weight: float = 4.0
    title_weight: float = 0.5
    found_semantic: float = 3.0  # z3 alone that answers a query
    found_coverage: float = 0.5  # or this share of the query's words ...
    found_support: float = 1.0  # ... with at least this z3
    weak_semantic: float = 2.0  # a document is a hit (once the query is answered) with this z3 ...
    weak_coverage: float = 0.4  # ... or this share of the query's words
    # Below this answer margin (see `answer_margin`) the query may be about nothing in the archive:
    # only the best `unsure_hits` documents with strong evidence are shown, not the related ones.
    confident_margin: float = 0.4
    unsure_hits: int = 1
    high_score: float = 6.0  # strong evidence and this score: "high" relevance


SEARCH_RULE = SearchRule()


# --- lexicon -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchLexicon:
    stopwords: frozenset[str]  # lower case, with diacritics
    abbreviations: dict[str, str]  # unaccented key -> expansion
    variants: dict[str, tuple[str, ...]]  # lower-case word -> the other words of its group

    def expansion(self, word: str) -> str | None:
        key = unaccent(word)
        if key in self.abbreviations and (len(key) >= 3 or word.isupper()):
            return self.abbreviations[key]
        return None

    def alternatives(self, word: str) -> list[str]:
        """Other ways of writing `word`: an abbreviation's expansion, the other words of its group."""
        found = [self.expansion(word)] if self.expansion(word) else []
        return found + list(self.variants.get(word.lower(), ()))

    def is_phrase(self, text: str) -> bool:
        return text.lower() in self.variants or self.expansion(text) is not None


@lru_cache(maxsize=8)
def load_search_lexicon(lexicons_dir: Path) -> SearchLexicon:
    data = yaml.safe_load((Path(lexicons_dir) / LEXICON_FILE).read_text(encoding="utf-8"))
    nfc = lambda text: unicodedata.normalize("NFC", str(text)).strip()  # noqa: E731
    stop = frozenset(nfc(w) for w in str(data["stopwords"]).split())
    abbreviations = {unaccent(k): nfc(v) for k, v in data["abbreviations"].items()}
    variants: dict[str, tuple[str, ...]] = {}
    for group in data.get("variants") or []:
        words = [nfc(w).lower() for w in group]
        for w in words:
            variants[w] = tuple(dict.fromkeys(variants.get(w, ()) + tuple(o for o in words if o != w)))
    return SearchLexicon(stop, abbreviations, variants)


# --- the query -----------------------------------------------------------------------------------
def pair_tokens(syllables: tuple[str, ...]) -> tuple[str, ...]:
    """Index tokens a passage must hold for a word: its syllable, or each pair of neighbours."""
    if len(syllables) == 1:
        return syllables
    return tuple(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]))


@dataclass(frozen=True)
class QueryWord:
    """One word of the query that counts: "huyết áp" (syllables ("huyet", "ap"))."""
    text: str
    syllables: tuple[str, ...]  # unaccented
    accented: tuple[str, ...] | None  # lower case with diacritics, when the query was typed with them
    alternatives: tuple[tuple[str, ...], ...] = ()  # unaccented syllables of other ways to write it

    def forms(self) -> tuple[tuple[str, ...], ...]:
        return tuple(pair_tokens(form) for form in (self.syllables, *self.alternatives))

    def term(self) -> Term:
        return Term(self.forms())


@dataclass
class AnalysedQuery:
    typed: str
    accented: bool
    words: list[QueryWord]
    understood: str  # what the embedding model reads: diacritics restored, abbreviations expanded
    weights: dict[QueryWord, float] = field(default_factory=dict)  # IDF of each word
    syllable_weights: dict[str, float] = field(default_factory=dict)  # IDF of the syllables of long words
    scale: tuple[float, float] = (0.0, 1.0)  # mean and spread of its cosines to archive passages


def clean_query(text: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not text:
        raise InputError("Hãy nhập nội dung cần tìm.")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(f"Nội dung tìm kiếm dài quá {MAX_QUERY_CHARS} ký tự; hãy rút gọn thành vài từ khóa.")
    return text


def restore_diacritics(typed: str, texts: list[str]) -> str:
    """`typed` (no diacritics) with each syllable written as the archive writes it: a Viterbi pass
    that scores each accented reading by how often neighbouring pairs occur in `texts` (with a small
    weight for single syllables). Syllables the texts never hold stay as typed; letter case is kept."""
    singles: dict[str, Counter] = defaultdict(Counter)
    pairs: Counter = Counter()
    for text in texts:
        found = [w.lower() for w in WORD.findall(text)]
        for w in found:
            singles[unaccent(w)][w] += 1
        pairs.update(zip(found, found[1:]))
    spans = list(WORD.finditer(typed))
    keys = [unaccent(m.group()) for m in spans]
    if not keys:
        return typed
    options = [list(singles[k]) or [k] for k in keys]
    best = {c: (0.01 * singles[keys[0]][c], [c]) for c in options[0]}
    for i in range(1, len(keys)):
        best = {c: max((score + pairs[(prev, c)] + 0.01 * singles[keys[i]][c], path + [c])
                       for prev, (score, path) in best.items())
                for c in options[i]}
    chosen = max(best.values())[1]
    out, cursor = [], 0
    for m, word in zip(spans, chosen):
        original = m.group()
        word = word.upper() if original.isupper() and len(original) > 1 else (
            word[:1].upper() + word[1:] if original[:1].isupper() else word)
        out += [typed[cursor:m.start()], word]
        cursor = m.end()
    return "".join(out) + typed[cursor:]


def join_phrases(chunks: list[str], lexicon: SearchLexicon, longest: int = 4) -> list[str]:
    """Neighbouring words the lexicon knows as one ("trả" "tiền" -> "trả tiền"): the segmenter
    does not always keep them together."""
    out, i = [], 0
    while i < len(chunks):
        for n in range(min(longest, len(chunks) - i), 1, -1):
            joined = " ".join(chunks[i:i + n])
            if lexicon.is_phrase(joined):
                out.append(joined)
                i += n
                break
        else:
            out.append(chunks[i])
            i += 1
    return out


def analyse_query(typed: str, lexicon: SearchLexicon, restored: str | None = None) -> AnalysedQuery:
    """The words that count in a query (see the module doc); `restored` is the query with its
    diacritics given back (for a query typed without them)."""
    accented = has_diacritics(typed)
    text = restored or typed
    words: list[QueryWord] = []
    for chunk in join_phrases(segment_words(text), lexicon):
        syllables = WORD.findall(chunk)
        if not syllables or all(s.lower() in lexicon.stopwords for s in syllables):
            continue
        words.append(QueryWord(
            text=chunk, syllables=tuple(unaccent(s) for s in syllables),
            accented=tuple(s.lower() for s in syllables) if accented else None,
            alternatives=tuple(tuple(unaccent(s) for s in WORD.findall(a)) for a in lexicon.alternatives(chunk))))
    words = list(dict.fromkeys(words))
    understood = " ".join(lexicon.expansion(w) or w for w in re.split(r"(\W+)", text) if w).strip()
    understood = re.sub(r"\s+", " ", understood)
    return AnalysedQuery(typed, accented, words, understood)


def add_neighbour_pairs(query: AnalysedQuery, keyword: KeywordIndex) -> None:
    """Two neighbouring one-syllable words the archive also writes side by side ("nhóm" "Zalo")
    count once more as a pair: a phrase the segmenter did not know."""
    singles = [w for w in query.words if len(w.syllables) == 1 and not w.alternatives]
    candidates = []
    for a, b in zip(query.words, query.words[1:]):
        if a in singles and b in singles:
            candidates.append(QueryWord(f"{a.text} {b.text}", a.syllables + b.syllables,
                                        a.accented + b.accented if a.accented and b.accented else None))
    known = keyword.doc_freqs([pair_tokens(c.syllables)[0] for c in candidates])
    query.words += [c for c in candidates if known.get(pair_tokens(c.syllables)[0], 0) > 0]


def word_weights(query: AnalysedQuery, keyword: KeywordIndex, n_passages: int) -> None:
    """IDF of each word over the archive's passages (a word the archive never holds weighs most),
    and of each syllable of the longer words (their partial matches)."""
    syllables = {s for w in query.words if len(w.syllables) > 1 for s in w.syllables}
    tokens = {t for w in query.words for form in w.forms() for t in form} | syllables
    df = keyword.doc_freqs(tokens)
    idf = lambda freq: math.log(1 + (n_passages - freq + 0.5) / (freq + 0.5))  # noqa: E731
    for w in query.words:
        query.weights[w] = idf(max(min(df.get(t, 0) for t in form) for form in w.forms()))
    query.syllable_weights = {s: idf(df.get(s, 0)) for s in syllables}


# --- word evidence -------------------------------------------------------------------------------
_GAP = re.compile(r"[^\w\s]+")


@lru_cache(maxsize=20000)
def _matchable(text: str, accents: bool) -> str:
    """" word word | word ": lower case (unaccented unless `accents`), punctuation as a barrier, so
    a pair is found by substring search and never across a comma or a full stop."""
    text = text.lower() if accents else unaccent(text)
    return " " + " ".join(_GAP.sub(" | ", text).split()) + " "


def holds(matchable: str, syllables: tuple[str, ...]) -> bool:
    return f" {' '.join(syllables)} " in matchable


def word_credit(word: QueryWord, plain: str, exact: str | None, syllable_weights: dict[str, float]) -> float:
    """1 when the text holds the word as typed (or another way to write it), FOLDED_CREDIT when it
    holds it only without the diacritics typed; for a longer word not found whole, PARTIAL_CREDIT
    times the IDF share of its syllables found (so a rare syllable counts, a common one hardly)."""
    if any(holds(plain, form) for form in word.alternatives):
        return 1.0
    if holds(plain, word.syllables):
        if word.accented is None or exact is None or holds(exact, word.accented):
            return 1.0
        return FOLDED_CREDIT
    if len(word.syllables) > 1 and syllable_weights:
        total = sum(syllable_weights.get(s, 0.0) for s in word.syllables) or 1.0
        found = sum(syllable_weights.get(s, 0.0) for s in word.syllables if holds(plain, (s,)))
        return PARTIAL_CREDIT * found / total
    return 0.0


def coverage(query: AnalysedQuery, texts: list[str]) -> float:
    """Weighted share of the query's words found in the union of `texts` (a passage, its document's
    title and unit)."""
    total = sum(query.weights.values())
    if not total:
        return 0.0
    plain = "".join(_matchable(t, False) for t in texts)
    exact = "".join(_matchable(t, True) for t in texts) if query.accented else None
    return sum(query.weights[w] * word_credit(w, plain, exact, query.syllable_weights) for w in query.words) / total


def highlight_spans(text: str, query: AnalysedQuery) -> list[tuple[int, int]]:
    """Character spans of the query's words in `text`, whole words only, longest first."""
    found = list(WORD.finditer(text))
    keys = [unaccent(m.group()) for m in found]
    wanted = sorted({form for w in query.words for form in (w.syllables, *w.alternatives)}, key=len, reverse=True)
    spans, used = [], set()
    for i in range(len(found)):
        for syllables in wanted:
            n = len(syllables)
            if i + n <= len(found) and tuple(keys[i:i + n]) == syllables and not used & set(range(i, i + n)):
                spans.append((found[i].start(), found[i + n - 1].end()))
                used.update(range(i, i + n))
                break
    return sorted(spans)


def snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> tuple[str, list]:
    """The part of a passage shown under a hit: the `width` characters around most of the marked
    words, cut at word boundaries, with "…" where text was left out; spans shifted to match."""
    if len(text) <= width:
        return text, spans
    starts = [s for s, _ in spans] or [0]
    best = max(starts, key=lambda s: sum(1 for a, b in spans if s <= a and b <= s + width))
    start = max(0, min(best - width // 5, len(text) - width))
    end = min(len(text), start + width)
    while start > 0 and not text[start - 1].isspace():
        start += 1
    while end < len(text) and not text[end].isspace():
        end -= 1
    prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    shown = prefix + text[start:end].strip() + suffix
    offset = len(prefix) - start - (len(text[start:end]) - len(text[start:end].lstrip()))
    return shown, [(a + offset, b + offset) for a, b in spans if a >= start and b <= end]


# --- the search ------------------------------------------------------------------------------------
@dataclass
class Background:
    """What a query's cosines are measured against: a sample of the archive's passage vectors and
    of its title vectors (each at most ~1000 rows, refreshed when the archive changes)."""
    passages: np.ndarray
    titles: np.ndarray

    def passage_scale(self, qvec: np.ndarray) -> tuple[float, float]:
        return _scale(self.passages @ qvec)

    def title_scale(self, qvec: np.ndarray) -> tuple[float, float]:
        return _scale(self.titles @ qvec)


def _scale(cosines: np.ndarray) -> tuple[float, float]:
    if len(cosines) < 2:
        return 0.0, 1.0
    return float(cosines.mean()), max(float(cosines.std()), 1e-3)


@dataclass
class Candidate:
    doc_id: str
    cosines: list[tuple[float, int]] = field(default_factory=list)  # (cosine, passage id), best first
    keyword: list[tuple[float, int]] = field(default_factory=list)  # (BM25, passage id), best first
    z: float = -9.0
    z3: float = -9.0
    title_z: float = 0.0
    coverage: float = 0.0
    score: float = 0.0
    strong: bool = False


@dataclass
class SearchContext:
    """What one search reads; built by `Archive.search` for each call."""
    store: object
    keyword: KeywordIndex
    vectors: object  # VectorIndex
    embed: object  # callable: text -> (dim,) query vector
    lexicon: SearchLexicon
    background: Background
    rule: SearchRule = SEARCH_RULE


def search(ctx: SearchContext, text: str, filters: SearchFilters | None = None, page: int = 1,
           per_page: int = 10) -> SearchPage:
    """One page of hits for `text` (see the module doc); an empty page when nothing is about it."""
    started = time.perf_counter()
    filters = filters or SearchFilters()
    typed = clean_query(text)
    scope = ctx.store.documents_matching(**filters.model_dump()) if filters.active() else None
    query = understand(ctx, typed, scope)
    timings = {"embed": 0.0}
    hits: list[Candidate] = []
    if query.words and ctx.store.count_passages() and (scope is None or scope):
        candidates, timings["embed"] = gather_candidates(ctx, query, scope)
        hits = choose_hits(candidates, ctx.rule)
    first = (max(page, 1) - 1) * per_page
    shown = hits[first:first + per_page]
    infos = ctx.store.document_infos([c.doc_id for c in shown])
    page_hits = [describe_hit(ctx, query, c, infos[c.doc_id]) for c in shown if c.doc_id in infos]
    timings["total"] = (time.perf_counter() - started) * 1000
    log.debug("search %r: %d hits in %.0f ms", typed, len(hits), timings["total"])
    return SearchPage(
        query=typed, understood_as=query.understood if query.understood != typed else None,
        words=[w.text for w in query.words], filters=filters, total=len(hits), page=max(page, 1),
        per_page=per_page, hits=page_hits, timings_ms={k: round(v, 1) for k, v in timings.items()})


def understand(ctx: SearchContext, typed: str, scope: list[str] | None) -> AnalysedQuery:
    """The query's words, with diacritics restored from the archive when it was typed without."""
    restored = None
    if not has_diacritics(typed):
        syllables = tuple(unaccent(s) for s in WORD.findall(typed))
        probe = [Term(((s,),)) for s in syllables] + [Term(((f"{a}_{b}",),)) for a, b in zip(syllables, syllables[1:])]
        found = ctx.keyword.search(probe, 50, scope)
        restored = restore_diacritics(typed, [p.text for p in ctx.store.passages_by_ids([pid for pid, _ in found])])
    query = analyse_query(typed, ctx.lexicon, restored)
    if query.words:
        add_neighbour_pairs(query, ctx.keyword)
        word_weights(query, ctx.keyword, max(ctx.store.count_passages(), 1))
    return query


def gather_candidates(ctx: SearchContext, query: AnalysedQuery, scope: list[str] | None):
    """Candidate documents with their evidence, and the embedding time in ms."""
    started = time.perf_counter()
    qvec = np.asarray(ctx.embed(query.understood), dtype=np.float32).reshape(-1)
    embed_ms = (time.perf_counter() - started) * 1000
    allowed = ctx.store.passage_ids_of(scope) if scope is not None else None
    pool = min(SEMANTIC_POOL, len(allowed) if allowed is not None else ctx.vectors.ntotal)
    scores, ids = ctx.vectors.search(qvec[None, :], max(pool, 1), allowed=allowed)
    semantic = [(float(s), int(i)) for s, i in zip(scores[0], ids[0]) if i >= 0]
    keyword = [(b, pid) for pid, b in ctx.keyword.search([w.term() for w in query.words], KEYWORD_POOL, scope)]
    owners = ctx.store.passage_owners([pid for _, pid in semantic + keyword])
    candidates: dict[str, Candidate] = {}
    for (value, pid), kind in [(x, "cosines") for x in semantic] + [(x, "keyword") for x in keyword]:
        if pid in owners:
            getattr(candidates.setdefault(owners[pid], Candidate(owners[pid])), kind).append((value, pid))
    # Passages outside the pool are at most as close as its last one (exact when the pool is all).
    exhaustive = len(semantic) >= (len(allowed) if allowed is not None else ctx.vectors.ntotal)
    floor = -1.0 if exhaustive or not semantic else semantic[-1][0]
    weigh_evidence(ctx, query, qvec, list(candidates.values()), floor)
    return list(candidates.values()), embed_ms


def weigh_evidence(ctx: SearchContext, query: AnalysedQuery, qvec: np.ndarray, candidates: list[Candidate],
                   floor: float) -> None:
    rule = ctx.rule
    mu, sd = query.scale = ctx.background.passage_scale(qvec)
    for c in candidates:
        best = [s for s, _ in c.cosines[:3]]
        best += [floor] * (3 - len(best))
        c.z, c.z3 = (best[0] - mu) / sd, (float(np.mean(best)) - mu) / sd
    ids, titles = ctx.store.title_vectors([c.doc_id for c in candidates])
    tmu, tsd = ctx.background.title_scale(qvec)
    title_z = dict(zip(ids, ((titles @ qvec - tmu) / tsd).tolist())) if len(ids) else {}
    for c in candidates:
        c.title_z = title_z.get(c.doc_id, 0.0)
    examined = {c.doc_id: c for c in sorted(candidates, key=lambda c: -(c.z + rule.title_weight * c.title_z))
                [:EXAMINED_DOCUMENTS]}
    examined |= {c.doc_id: c for c in sorted((c for c in candidates if c.keyword), key=lambda c: -c.keyword[0][0])
                 [:EXAMINED_DOCUMENTS]}
    infos = ctx.store.document_infos(examined)
    wanted = [pid for c in examined.values() for pid in [p for _, p in c.cosines[:2]] + [p for _, p in c.keyword[:2]]]
    texts: dict[str, list[str]] = defaultdict(list)
    for p in ctx.store.passages_by_ids(list(dict.fromkeys(wanted))):
        texts[p.doc_id].append(p.text)
    for doc_id, c in examined.items():
        info = infos.get(doc_id)
        meta = [info.title or "", info.unit or ""] if info else []
        c.coverage = max([coverage(query, [t, *meta]) for t in texts[doc_id]] or [coverage(query, meta)])
    score_candidates(candidates, rule)


def score_candidates(candidates: list[Candidate], rule: SearchRule) -> None:
    for c in candidates:
        c.score = c.z + rule.coverage_weight * c.coverage + rule.title_weight * c.title_z
        c.strong = c.z3 >= rule.found_semantic or (c.coverage >= rule.found_coverage and c.z3 >= rule.found_support)


def answer_margin(candidates: list[Candidate], rule: SearchRule) -> float:
    """How far the query's best document is from answering it, in z units (> 0: answered): by z3
    alone, or by coverage (a tenth of the query's words = half a z unit) with z3 support."""
    return max((max(c.z3 - rule.found_semantic,
                    min(5 * (c.coverage - rule.found_coverage), c.z3 - rule.found_support)) for c in candidates),
               default=-9.0)


def choose_hits(candidates: list[Candidate], rule: SearchRule) -> list[Candidate]:
    """Nothing unless some document has strong evidence; then, if the query is answered with a
    margin, every document with some evidence, else only the strong ones; best first."""
    if not any(c.strong for c in candidates):
        return []
    if answer_margin(candidates, rule) < rule.confident_margin:
        return sorted((c for c in candidates if c.strong), key=lambda c: -c.score)[:rule.unsure_hits]
    hits = [c for c in candidates if c.strong or c.z3 >= rule.weak_semantic or c.coverage >= rule.weak_coverage]
    return sorted(hits, key=lambda c: -c.score)


def relevance_of(c: Candidate, rule: SearchRule) -> str:
    if c.strong:
        return "high" if c.score >= rule.high_score else "medium"
    return "low"


def describe_hit(ctx: SearchContext, query: AnalysedQuery, c: Candidate, info) -> SearchHit:
    """A hit as shown: its metadata and its best passages, cut around the query's words."""
    pids = list(dict.fromkeys([p for _, p in c.cosines[:5]] + [p for _, p in c.keyword[:5]]))
    cosine = {p: s for s, p in c.cosines}
    mu, sd = query.scale
    ranked = sorted(((((cosine.get(p.id, mu) - mu) / sd) + ctx.rule.coverage_weight * coverage(query, [p.text]), p)
                     for p in ctx.store.passages_by_ids(pids)), key=lambda x: -x[0])
    snippets = []
    for _, p in ranked[:SNIPPETS]:
        text, spans = snippet(p.text, highlight_spans(p.text, query))
        snippets.append(SearchSnippet(section=p.section_heading, text=text, highlights=spans, passage_id=p.id))
    return SearchHit(
        doc_id=c.doc_id, title=info.title, year=info.year, unit=info.unit, field=info.field, level=info.level,
        relevance=relevance_of(c, ctx.rule), score=round(c.score, 3), coverage=round(c.coverage, 3),
        snippets=snippets)
