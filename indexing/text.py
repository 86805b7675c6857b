"""Vietnamese text basics shared by every layer: words, folding, the upper-case test, sentences and
heading numbering. Rare-word statistics, keyword search, highlighting and the report's side-by-side
marks all cut words here, so they agree on what a word is.

Words are runs of `\\w` characters: a Vietnamese word is one or more such syllables ("học sinh"),
and syllables are what overlap statistics, FTS5's unicode61 tokenizer and highlighting work on.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# --------------------------------------------------------------------------------------------- words

WORD = re.compile(r"\w+")
# Letters only (no digits, no underscore): what can be spelled like a Vietnamese syllable.
LETTER_WORD = re.compile(r"[^\W\d_]+")


def words(text: str) -> list[str]:
    return WORD.findall(text)


def tokens(text: str) -> list[str]:
    """Lower-cased words (syllables); what rare-word statistics, shingles and highlighting compare."""
    return WORD.findall(text.lower())


def letter_words(text: str) -> list[str]:
    return LETTER_WORD.findall(unicodedata.normalize("NFC", text))


# ------------------------------------------------------------------------------------------- folding

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_TONE_TABLE = dict.fromkeys(map(ord, TONE_MARKS))


def casefold(text: str) -> str:
    """NFC + Unicode case folding (SQLite's own lower() only folds ASCII)."""
    return unicodedata.normalize("NFC", text).casefold()


def fold(text: str) -> str:
    """Comparison key for headings and form labels: lower case, tone marks dropped (so old/new tone
    placement agree), i/y merged, punctuation turned into spaces. Vowel shapes (â, ơ, ư, ...) and đ
    are kept: "phần" and "phân" fold alike, "thực" and "thuc" do not."""
    text = unicodedata.normalize("NFD", text.lower()).translate(_TONE_TABLE)
    text = unicodedata.normalize("NFC", text).replace("y", "i")
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _unaccent_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {cp: None for cp in range(0x0300, 0x0370)}  # combining marks
    for cp in range(0x00C0, 0x1F00):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if base and base != chr(cp):
            table[cp] = base
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


_UNACCENT = _unaccent_table()


def unaccent(text: str) -> str:
    """Search key: lower case with every diacritic gone and đ -> d ("Đo huyết áp" -> "do huyet ap"),
    how people type on a phone without a Vietnamese keyboard. A translate table, not NFD per call:
    search tokenises every passage it shows."""
    return text.lower().translate(_UNACCENT)


def has_diacritics(text: str) -> bool:
    return unaccent(text) != text.lower()


def search_tokens(text: str, *, accents: bool = False) -> list[str]:
    """What archive search indexes and matches: every syllable, then every pair of neighbouring
    syllables joined by "_" ("huyet", "ap", "huyet_ap"), so a two-syllable word is one term and no
    pair spans punctuation. Unaccented by default; `accents=True` keeps the diacritics."""
    text = text.lower() if accents else unaccent(text)
    syllables = list(WORD.finditer(text))
    pairs = [f"{a.group()}_{b.group()}" for a, b in zip(syllables, syllables[1:])
             if text[a.end():b.start()].isspace()]
    return [m.group() for m in syllables] + pairs


def strip_tone(ch: str) -> tuple[str, str]:
    """('ộ') -> ('ô', '\u0323'): the letter without its tone mark, and the mark ('' if none)."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in decomposed if c in TONE_MARKS)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return base, tone


# ---------------------------------------------------------------------------------------- upper case


def all_caps(text: str, min_letters: int = 1) -> bool:
    """At least `min_letters` letters, all of them upper case ("CƠ SỞ LÝ LUẬN", not "UBND xã")."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= min_letters and all(c.isupper() for c in letters)


# ----------------------------------------------------------------------------------------- sentences

# A line "ends a sentence" when its last character is one of these (":" and ";" end a lead-in).
SENTENCE_END = tuple(".!?:;…")
# A sentence break inside one line: end punctuation, space, then a capital (a heading never has one).
SENTENCE_BREAK = re.compile(r"[.!?…]\s+[A-ZĐÀ-Ỹ]")
# Clauses: cut at every . ! ? … ; and line break. Boilerplate (legal citations) is masked per clause,
# so "Căn cứ Nghị định 13/2012/NĐ-CP;" never takes the clause after it along.
_CLAUSE = re.compile(r"[^.!?…;\n]+[.!?…;]*")
# Evidence sentences: a break after . ! ? ; only when a capital, digit, quote or dash follows, so
# "3,5 lần." inside a table row or "TS. Nguyễn" do not split the way a bare full stop would.
_EVIDENCE_BREAK = re.compile(r"(?<=[.!?;])\s+(?=[\"“(]?[A-ZÀ-ỸĐ0-9-])")
_WHITESPACE = re.compile(r"\s+")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def clause_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _CLAUSE.finditer(text)]


def split_sentences(text: str) -> list[str]:
    """Lines first (table rows and list items are lines), then sentence ends inside a line; cheap and
    model-free, for the evidence rules that quote sentences."""
    out = []
    for line in text.split("\n"):
        out.extend(s.strip() for s in _EVIDENCE_BREAK.split(line) if s.strip())
    return out


@lru_cache(maxsize=1)
def _underthesea():
    import underthesea  # imported lazily: it pulls in torch; its CRF models ship inside the wheel

    return underthesea


def segment_words(text: str) -> list[str]:
    """Vietnamese words of a short text such as a search query (underthesea's segmenter): "ứng dụng
    công nghệ thông tin" -> ["ứng dụng", "công nghệ thông tin"]. Punctuation comes back as words of
    its own; text without diacritics is not segmented reliably."""
    return _underthesea().word_tokenize(text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text` (underthesea's sentence tokenizer), in order, without
    surrounding whitespace; what passages are packed from.

    Sentences never cross a line break (lines are blocks: headings, list items). underthesea returns
    strings whose whitespace may differ from the input, so each one is located again by its
    non-whitespace characters. A piece without any letter or digit ("…") and a bare list number
    ("2.") are merged into the neighbouring sentence instead of standing alone."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        if line.group().strip():
            spans.extend(_line_spans(text, line.start(), line.end()))
    return spans


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    line = text[start:end]
    # Non-whitespace characters of the line and where each one sits in `text`.
    positions = [start + i for i, c in enumerate(line) if not c.isspace()]
    compact = "".join(text[p] for p in positions)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in _underthesea().sent_tokenize(line):
        needle = _WHITESPACE.sub("", sentence)
        if not needle:
            continue
        found = compact.find(needle, cursor)
        # underthesea never rewrites characters today; if it ever does, take the same number of characters.
        begin = found if found >= 0 else cursor
        stop = min(begin + len(needle), len(compact))
        if begin >= stop:
            continue
        spans.append((positions[begin], positions[stop - 1] + 1))
        cursor = stop
    if cursor < len(compact):  # anything underthesea dropped belongs to the last sentence
        tail = (positions[cursor], positions[-1] + 1)
        spans = spans[:-1] + [(spans[-1][0], tail[1])] if spans else [tail]
    return _merge_fragments(text, spans)


_LIST_MARKER = r"\(?(?:[0-9]{1,3}|[a-zđ])[.)]"
# Only after ":" / ";" — "học sinh lớp 12." is a sentence end, not the start of an item.
_TRAILING_MARKER = re.compile(rf"[:;]\s+({_LIST_MARKER})$", re.I)


def _merge_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    pending_start: int | None = None
    for i, (s, e) in enumerate(spans):
        piece = text[s:e]
        if re.fullmatch(_LIST_MARKER, piece, re.I):  # "2." / "b)" opens the next item
            pending_start = s if pending_start is None else pending_start
            continue
        trailing = _TRAILING_MARKER.search(piece) if i + 1 < len(spans) else None
        marker_start = s + trailing.start(1) if trailing else None
        if trailing:  # "Các bước: 1." -> "Các bước:" + "1. Chuẩn bị."
            e = s + trailing.start() + 1
            piece = text[s:e]
        if pending_start is not None:
            s, pending_start = pending_start, None
        if not _LETTER_OR_DIGIT.search(piece) and merged:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
        if marker_start is not None:
            pending_start = marker_start
    if pending_start is not None:
        last = spans[-1][1]
        merged = merged[:-1] + [(merged[-1][0], last)] if merged else [(pending_start, last)]
    return merged


# ---------------------------------------------------------------------------------- heading numbering

# Bullet glyphs as they come out of Word, PDF (incl. Symbol/Wingdings private-use code points and
# unmapped "(cid:n)" glyphs) and plain text.
BULLET = re.compile(
    r"^\s*(?:[-–—•●○◦▪■□♦❖➢➤►✓✔·*+\uf0a7\uf0b7\uf0d8\uf076\uf0fc\uf0e0]|\(cid:\d+\))(?!\d)\s*"
)
# "Bước 2:" opening a procedure step line (extractors keep it as its own block).
STEP_LINE = re.compile(r"^\s*Bước\s+\d+\s*[.:)]", re.IGNORECASE)
# "PHẦN I.", "CHƯƠNG 2", "MỤC 3", "II.", "1.1.", "2.3.1" — unambiguous section numbering (but not
# "2.250", a Vietnamese thousands separator).
STRONG_NUMBERING = re.compile(
    r"^\s*(?:(?:PHẦN|Phần|CHƯƠNG|Chương|MỤC|Mục)\s+(?:[IVXLC]+|\d+)\b|[IVXLC]+[.)]\s|\d{1,2}(?:\.\d{1,2})+\.?\s)"
)
# "1.", "a)" open a heading or a numbered list item; which one depends on length and style.
WEAK_NUMBERING = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-zđ][.)])\s", re.IGNORECASE)
# "a. Khái quát ...", "b) Nội dung ...": lettered sub-headings and items start a new line.
LETTER_ITEM = re.compile(r"^[a-zđ][.)]\s")

_ROMAN = {"I": 1, "V": 5, "X": 10}
_ORDINALS = {"nhất": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7}
_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_SEP = r"\s*(?:[.:)\-–]\s*|\s+)"

# "Bước 2.", "Biện pháp 3:", "Giải pháp II -" as the start of a heading's title.
STEP = re.compile(r"(?i:bước|biện pháp|giải pháp)\s+(?P<n>\d{1,2}|[IVX]+|[A-Z])\b\s*(?:[.:)\-–]\s*|$)")
# Order matters: "PHẦN I." before roman numerals, "3.1. Biện pháp 1:" is arabic then step in the title.
_NUMBERING = [
    ("part", re.compile(r"(?i:phần)\s+(?:(?i:thứ)\s+(?P<ord>\w+)|(?P<n>[IVX]+|\d{1,2}|[A-E]))\b" + _SEP)),
    ("chapter", re.compile(r"(?i:chương)\s+(?P<n>[IVX]+|\d{1,2})\b" + _SEP)),
    ("step", STEP),
    ("roman", re.compile(r"(?P<n>[IVX]{1,5})\s*[.)]\s+")),
    ("upper", re.compile(r"(?P<n>[A-HJ-UYĐ])[.)]\s+")),
    ("arabic", re.compile(r"(?P<n>\d{1,2}(?:\.\d{1,2})+)\.?\s+|(?P<n1>\d{1,2})[.)]\s+")),
    ("letter", re.compile(r"(?P<n>[a-zđ])[.)]\s+")),
    ("bullet", re.compile(r"[-*+•–]\s+")),
]
_PART_WORD = re.compile(r"(?i:phần)\s+(?=\w)")


@dataclass
class Numbering:
    """How a heading line is numbered and what follows the number."""

    style: str  # part | chapter | step | roman | upper | arabic | letter | bullet | plain
    depth: int = 1  # for arabic: 1 for "1.", 2 for "1.1.", ...
    number: int | None = None
    path: tuple[int, ...] = ()
    title: str = ""  # text after the numbering


def roman_value(value: str) -> int:
    total = 0
    for ch, nxt in zip(value, value[1:] + " "):
        total += -_ROMAN[ch] if _ROMAN.get(nxt, 0) > _ROMAN[ch] else _ROMAN[ch]
    return total


def _step_number(value: str) -> int:
    if value.isdigit():
        return int(value)
    if set(value) <= set(_ROMAN):
        return roman_value(value)
    return ord(value)


def parse_numbering(text: str, emphasised: bool) -> Numbering:
    """The numbering of a heading line; `emphasised` (bold, heading style or upper case) lets an
    unnumbered "PHẦN MỞ ĐẦU" count as a part."""
    for style, pattern in _NUMBERING:
        m = pattern.match(text)
        if not m:
            continue
        title = text[m.end() :]
        if style in ("step", "chapter"):
            return Numbering(style, number=_step_number(m["n"]), title=title)
        if style == "part":
            n = _ORDINALS.get(m["ord"].lower()) if m["ord"] else _step_number(m["n"])
            return Numbering("part", number=n, title=title)
        if style == "roman":
            return Numbering("roman", number=roman_value(m["n"]), title=title)
        if style == "upper":
            return Numbering("upper", number=ord(m["n"]), title=title)
        if style == "arabic":
            path = tuple(int(p) for p in (m["n"] or m["n1"]).split("."))
            return Numbering("arabic", depth=len(path), number=path[-1], path=path, title=title)
        if style == "letter":
            return Numbering("letter", number=_LETTERS.find(m["n"]), title=title)
        return Numbering("bullet", title=title)
    if emphasised and _PART_WORD.match(text):  # "PHẦN MỞ ĐẦU", "PHẦN NỘI DUNG"
        return Numbering("part", title=text[_PART_WORD.match(text).end() :])
    return Numbering("plain", title=text)


# ------------------------------------------------------------------------------------------ syllables

VOWELS = "aăâeêioôơuưy"
ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])"
CONSONANTS = frozenset("bcdđghklmnpqrstvx")
_OPEN_RHYMES = (
    "a ai ao au ay âu ây e eo ê êu i ia iu iêu o oa oai oao oay oe oeo oi ô ôi ơ ơi u ua uây ui uê "
    "uơ uy uya uyu uôi ư ưa ưi ưu ươi ươu y yêu"
).split()
_CLOSED_NUCLEI = "a ă â e ê i o ô ơ u ư y oa oă oe oo uâ uê uy iê yê uyê uô ươ".split()
_SYLLABLE = re.compile(
    rf"{ONSET}?(?:{'|'.join(sorted(_OPEN_RHYMES, key=len, reverse=True))}"
    rf"|(?:{'|'.join(sorted(_CLOSED_NUCLEI, key=len, reverse=True))})(?:ch|nh|ng|[cmnpt]))"
)


@lru_cache(maxsize=1 << 16)  # a document has a few thousand distinct words
def is_syllable(word: str) -> bool:
    """True when `word` is spelled like one Vietnamese syllable: onset + rhyme, at most one tone mark
    on a vowel. Spelling only: "ban" and "toi" pass, "the" passes too (it is "thé" without a tone)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [i for i, c in enumerate(decomposed) if c in TONE_MARKS]
    if len(tones) > 1:
        return False
    if tones and unicodedata.normalize("NFC", decomposed[: tones[0]])[-1:] not in set(VOWELS):
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None
