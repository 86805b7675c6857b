"""Vietnamese text normalisation that keeps an exact map back to the original characters.

Every step is a regex substitution over (text, offsets), so a span found in normalised text can be
shown in the submitted document. Also: legacy-encoding (TCVN3 / VNI) detection and conversion, and a
"is this Vietnamese at all?" check based on syllable structure.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Literal

from indexing.config import DATA_ROOT
from indexing.document import Block

LegacyEncoding = Literal["tcvn3", "vni", "bkhcm2"]

LEGACY_WARNINGS = {
    "tcvn3": "Văn bản dùng bảng mã cũ TCVN3 (ABC) và đã được chuyển sang Unicode.",
    "vni": "Văn bản dùng bảng mã cũ VNI và đã được chuyển sang Unicode.",
    "bkhcm2": "Văn bản dùng bảng mã cũ BK HCM2 và đã được chuyển sang Unicode.",
}


@dataclass
class NormalizedText:
    """`offsets[i]` is the index in the original string of normalised char i; `offsets[-1]` is len(original)."""

    text: str
    offsets: list[int]

    def to_original(self, span: tuple[int, int]) -> tuple[int, int]:
        """Original span of normalised `span` (end exclusive). The end is where the next kept character
        came from, so characters dropped right after the span (extra spaces, invisible marks) are included."""
        start, end = span
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end]


Repl = str | Callable[[re.Match], str]  # a plain string is inserted literally (no group references)


def _sub(pattern: re.Pattern, repl: Repl, text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """re.sub that carries the offset map: replacement char i maps to matched char min(i, len-1), so
    same-length replacements map one to one, shorter ones keep their first characters' origins and
    longer ones repeat the last; order is preserved, hence offsets stay monotonic."""
    parts: list[str] = []
    new_offsets: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        start, end = m.span()
        replacement = repl(m) if callable(repl) else repl
        parts.append(text[pos:start])
        new_offsets.extend(offsets[pos:start])
        parts.append(replacement)
        last = max(end - start - 1, 0)
        new_offsets.extend(offsets[start + min(i, last)] for i in range(len(replacement)))
        pos = end
    if not parts:
        return text, offsets
    parts.append(text[pos:])
    new_offsets.extend(offsets[pos:])  # includes the end sentinel
    return "".join(parts), new_offsets


def _nfc(text: str) -> tuple[str, list[int]]:
    """NFC cluster by cluster: a character joins the previous cluster when it may compose or reorder
    with it (combining marks, Hangul jamo, ...); every composed char maps to its cluster's start."""
    if unicodedata.is_normalized("NFC", text):
        return text, list(range(len(text) + 1))
    out: list[str] = []
    offsets: list[int] = []
    cluster_start = 0
    for i in range(1, len(text) + 1):
        if i < len(text):
            ch = text[i]
            # Below U+0300 nothing combines with a preceding character, which keeps Latin text fast.
            if ord(ch) >= 0x300:
                prev = text[cluster_start:i]
                if unicodedata.combining(ch) or unicodedata.normalize("NFC", prev + ch) != (
                    unicodedata.normalize("NFC", prev) + unicodedata.normalize("NFC", ch)
                ):
                    continue
        composed = unicodedata.normalize("NFC", text[cluster_start:i])
        out.append(composed)
        offsets.extend([cluster_start] * len(composed))
        cluster_start = i
    offsets.append(len(text))
    return "".join(out), offsets


# --- tone placement -------------------------------------------------------------------------------

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
VOWELS = "aăâeêioôơuưy"
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])"
_CONSONANTS = set("bcdđghklmnpqrstvx")

# Nuclei "glide + vowel" whose tone sits on the glide in an open syllable (hòa, khỏe, thủy) but on the
# vowel in the other spelling (hoà, khoẻ, thuỷ). We use the glide placement: it is the most common in
# Vietnamese documents and what underthesea's normaliser emits. With a final consonant or glide
# (hoạch, khoét, thuyền, ngoài) both spellings agree, and "qu" is an onset, so quý/quà never change.
OPEN_GLIDE_NUCLEI = {("o", "a"), ("o", "e"), ("u", "y")}


def _split_tone(ch: str) -> tuple[str, str]:
    """('ộ') -> ('ô', '\u0323'): the letter without its tone mark, and the mark ('' if none)."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in decomposed if c in TONE_MARKS)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return base, tone


def _retone(word: str) -> str:
    """hoà -> hòa, THUỶ -> THỦY, Khoẻ -> Khỏe; anything else is returned unchanged.

    Hand-written rather than underthesea.text_normalize because that is a lookup of whole tokens
    (exact match, at most 6 characters: "Thuỷ," or "Hoà." keep their spelling), its default tokenizer
    re-spaces punctuation (breaking the offset map) and importing it loads torch. This rule works per
    syllable, replaces characters one for one and preserves case."""
    if len(word) < 2 or len(word) > 5:
        return word
    glide, glide_tone = _split_tone(word[-2])
    vowel, tone = _split_tone(word[-1])
    onset = word[:-2].lower()
    if (
        not tone
        or glide_tone
        or (glide.lower(), vowel.lower()) not in OPEN_GLIDE_NUCLEI
        or not all(c in _CONSONANTS for c in onset)
        or onset.endswith("q")
    ):
        return word
    moved = unicodedata.normalize("NFC", word[-2] + tone)
    return word[:-2] + moved + vowel


_WORD = re.compile(r"[^\W\d_]+")
# Words ending in o/u + a tone-marked a/e/y: the only ones `_retone` can change.
_RETONE_CANDIDATE = re.compile(r"(?<![^\W\d_])[^\W\d_]{0,3}[oOuU][àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸỳýỷỹỵỲÝỶỸỴ](?![^\W\d_])")


# --- character clean-up ---------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Invisible in print, so deleting them (rather than spacing) keeps "sáng\u00adkiến" one word.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff]")
_SPACES = re.compile(r"[^\S\n ]|[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # any Unicode space or control but " ", "\n"
_ETH = re.compile("[ðÐ]")  # Icelandic eth typed for đ/Đ (same glyph in many fonts)
_RUNS_OF_SPACES = re.compile(r" {2,}")
_LINE_EDGE_SPACES = re.compile(r"^ +| +$", re.M)
# Bullet glyphs at line start, including Symbol/Wingdings bullets that Word exports as private-use
# characters (U+F0B7 and friends); dashes only count when a space follows, so "-5 °C" stays.
_BULLET = re.compile("^(?:[•●▪◦○■□◆♦❖➢➤►▸‣⁃∙✓✔\uf000-\uf0ff] ?|[-–—] )", re.M)


def normalize_text(text: str) -> NormalizedText:
    """NFC, one tone-mark style, plain spaces, stripped lines, "- " bullets; curly quotes are kept."""
    text, offsets = _nfc(text)
    text, offsets = _sub(_LINE_BREAKS, "\n", text, offsets)
    text, offsets = _sub(_INVISIBLE, "", text, offsets)
    text, offsets = _sub(_SPACES, " ", text, offsets)
    text, offsets = _sub(_ETH, lambda m: "Đ" if m.group() == "Ð" else "đ", text, offsets)
    text, offsets = _sub(_RETONE_CANDIDATE, lambda m: _retone(m.group()), text, offsets)
    text, offsets = _sub(_RUNS_OF_SPACES, " ", text, offsets)
    text, offsets = _sub(_LINE_EDGE_SPACES, "", text, offsets)
    text, offsets = _sub(_BULLET, "- ", text, offsets)
    # A bullet alone on its line leaves a trailing space.
    text, offsets = _sub(_LINE_EDGE_SPACES, "", text, offsets)
    return NormalizedText(text, offsets)


# --- Vietnamese syllables -------------------------------------------------------------------------

_OPEN_RHYMES = (
    "a ai ao au ay âu ây e eo ê êu i ia iu iêu o oa oai oao oay oe oeo oi ô ôi ơ ơi u ua uây ui uê "
    "uơ uy uya uyu uôi ư ưa ưi ưu ươi ươu y yêu"
).split()
_CLOSED_NUCLEI = "a ă â e ê i o ô ơ u ư y oa oă oe oo uâ uê uy iê yê uyê uô ươ".split()
_SYLLABLE = re.compile(
    rf"{_ONSET}?(?:{'|'.join(sorted(_OPEN_RHYMES, key=len, reverse=True))}"
    rf"|(?:{'|'.join(sorted(_CLOSED_NUCLEI, key=len, reverse=True))})(?:ch|nh|ng|[cmnpt]))"
)
# Letters that are typical of Vietnamese among Latin-script languages: ă â đ ê ô ơ ư ĩ ũ and the
# tone-marked vowels outside Latin-1 (ạ, ả, ấ, ...).
_VIETNAMESE_MARKS = re.compile("[ăâđêôơưĩũ\u1ea0-\u1ef9]")


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


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text))


def vietnamese_ratio(text: str) -> float:
    """Share of alphabetic words spelled like Vietnamese syllables (0.0 when there are no words)."""
    words = _words(text)
    return sum(map(is_syllable, words)) / len(words) if words else 0.0


def is_vietnamese(text: str, min_ratio: float = 0.7, min_marked: float = 0.15) -> bool:
    """Vietnamese text WITH diacritics. Plain-ASCII Vietnamese ("sang kien kinh nghiem") is rejected
    on purpose: it cannot be told apart from other Latin text reliably, the embedding model and the
    lexicons expect diacritics, and official documents always carry them. Real Vietnamese prose has
    well over a third of its words with ă â đ ê ô ơ ư ĩ ũ or a tone mark outside Latin-1; French or
    German text only shares the occasional â ê ô."""
    words = _words(text)
    if not words:
        return False
    syllables = [w for w in words if is_syllable(w)]
    marked = sum(1 for w in syllables if _VIETNAMESE_MARKS.search(w.lower()))
    return len(syllables) / len(words) >= min_ratio and marked / len(words) >= min_marked


# --- legacy encodings -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def legacy_tables() -> dict[str, dict[str, str]]:
    """{"tcvn3": {char: letter}, "vni" / "bkhcm2": {char sequence: letter}} from
    data/lexicons/legacy_encodings.json."""
    data = json.loads((DATA_ROOT / "lexicons" / "legacy_encodings.json").read_text(encoding="utf-8"))
    return {"tcvn3": data["tcvn3"], "vni": data["vni"], "bkhcm2": data["bkhcm2"]}


@lru_cache(maxsize=None)
def _sequence_pattern(encoding: str) -> re.Pattern:
    keys = sorted(legacy_tables()[encoding], key=len, reverse=True)  # longest first: "oâ" before "o"
    return re.compile("|".join(map(re.escape, keys)))


def convert_legacy(text: str, encoding: LegacyEncoding) -> str:
    """Turn TCVN3, VNI-Windows or BK HCM2 mojibake into Unicode (NFC). TCVN3 has no upper-case toned letters
    (those came from separate .VnTimeH fonts reusing the lower-case codes), so they come out lower-case."""
    if encoding == "tcvn3":
        return text.translate(str.maketrans(legacy_tables()["tcvn3"]))
    if encoding in ("vni", "bkhcm2"):
        table = legacy_tables()[encoding]
        return _sequence_pattern(encoding).sub(lambda m: table[m.group()], text)
    raise ValueError(f"unknown legacy encoding: {encoding}")


_TOKEN_EDGES = " \t\n.,;:!?()[]{}\"'“”‘’…–—/-"
_MIN_LEGACY_WORDS = 2


def detect_legacy_encoding(text: str) -> LegacyEncoding | None:
    """"tcvn3", "vni", "bkhcm2" or None. Looks at the words holding non-ASCII characters: mojibake words are not
    Vietnamese syllables but become ones once converted, while genuine Unicode Vietnamese is already
    made of syllables and French or German words (été, für) rarely turn into any. Fires when converting
    fixes at least half of those words and more words than are already fine."""
    words = {w.strip(_TOKEN_EDGES) for w in text.split()}
    words = [w for w in words if w and not w.isascii()]
    if not words:
        return None
    already_fine = sum(1 for w in words if is_syllable(w))
    best, best_gain = None, 0
    for encoding in ("tcvn3", "vni", "bkhcm2"):
        gain = sum(
            1 for w in words if not is_syllable(w) and _all_syllables(convert_legacy(w, encoding))
        )
        if gain > best_gain:
            best, best_gain = encoding, gain
    if best_gain >= max(_MIN_LEGACY_WORDS, already_fine + 1, len(words) / 2):
        return best
    return None


def _all_syllables(word: str) -> bool:
    parts = _WORD.findall(word)
    return bool(parts) and "".join(parts) == word and all(map(is_syllable, parts))


def normalize_blocks(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Convert a legacy-encoded document (decided on all blocks together), normalise every block and
    drop blocks left empty. Returns new blocks and Vietnamese warnings for the user."""
    warnings: list[str] = []
    encoding = detect_legacy_encoding("\n".join(b.text for b in blocks))
    if encoding:
        warnings.append(LEGACY_WARNINGS[encoding])
    result = []
    for block in blocks:
        raw = convert_legacy(block.text, encoding) if encoding else block.text
        # A block is one line of `Document.text`: a line break inside it (form feed, U+2028 from PDF or
        # text exports) is only a visual wrap.
        text = " ".join(line for line in normalize_text(raw).text.split("\n") if line)
        if text:
            result.append(Block(text, block.kind, block.heading_level, block.bold, block.page))
    return result, warnings
