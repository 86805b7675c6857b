"""Vietnamese text normalisation: NFC, one tone-mark placement, plain spaces and bullets, legacy
encodings converted; and the "is this Vietnamese at all?" check based on syllable structure."""
from __future__ import annotations

import re
import unicodedata

from indexing.document import Block
from indexing.legacy import LEGACY_WARNINGS, LegacyTables
from indexing.text import CONSONANTS, is_syllable, letter_words, strip_tone

# --- tone placement -------------------------------------------------------------------------------

# Nuclei "glide + vowel" whose tone sits on the glide in an open syllable (hòa, khỏe, thủy) but on the
# vowel in the other spelling (hoà, khoẻ, thuỷ). We use the glide placement: it is the most common in
# Vietnamese documents and what underthesea's normaliser emits. With a final consonant or glide
# (hoạch, khoét, thuyền, ngoài) both spellings agree, and "qu" is an onset, so quý/quà never change.
OPEN_GLIDE_NUCLEI = {("o", "a"), ("o", "e"), ("u", "y")}


def _retone(word: str) -> str:
    """hoà -> hòa, THUỶ -> THỦY, Khoẻ -> Khỏe; anything else is returned unchanged.

    Hand-written rather than underthesea.text_normalize because that is a lookup of whole tokens
    (exact match, at most 6 characters: "Thuỷ," or "Hoà." keep their spelling), its default tokenizer
    re-spaces punctuation and importing it loads torch. This rule works per syllable, replaces
    characters one for one and preserves case."""
    if len(word) < 2 or len(word) > 5:
        return word
    glide, glide_tone = strip_tone(word[-2])
    vowel, tone = strip_tone(word[-1])
    onset = word[:-2].lower()
    if (
        not tone
        or glide_tone
        or (glide.lower(), vowel.lower()) not in OPEN_GLIDE_NUCLEI
        or not all(c in CONSONANTS for c in onset)
        or onset.endswith("q")
    ):
        return word
    moved = unicodedata.normalize("NFC", word[-2] + tone)
    return word[:-2] + moved + vowel


# Words ending in o/u + a tone-marked a/e/y: the only ones `_retone` can change.
_RETONE_CANDIDATE = re.compile(r"(?<![^\W\d_])[^\W\d_]{0,3}[oOuU][àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸỳýỷỹỵỲÝỶỸỴ](?![^\W\d_])")


# --- character clean-up ---------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Invisible in print, so deleting them (rather than spacing) keeps "sáng\u00adkiến" one word.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff]")
_SPACES = re.compile(r"[^\S\n ]|[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # any Unicode space or control but " ", "\n"
_ETH = re.compile("[ðÐ]")  # Icelandic eth typed for đ/Đ (same glyph in many fonts)
_RUNS_OF_SPACES = re.compile(r" {2,}")
_LINE_EDGE_SPACES = re.compile(r"^ +| +$", re.M)
# Bullet glyphs at line start, including Symbol/Wingdings bullets that Word exports as private-use
# characters (U+F0B7 and friends); dashes only count when a space follows, so "-5 °C" stays.
_BULLET = re.compile("^(?:[•●▪◦○■□◆♦❖➢➤►▸‣⁃∙✓✔\uf000-\uf0ff] ?|[-–—] )", re.M)


def normalize_text(text: str) -> str:
    """NFC, one tone-mark style, plain spaces, stripped lines, "- " bullets; curly quotes are kept."""
    text = _LINE_BREAKS.sub("\n", text)
    # Invisible characters go before composing: one between a letter and its tone mark would keep them apart.
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    text = _SPACES.sub(" ", text)
    text = _ETH.sub(lambda m: "Đ" if m.group() == "Ð" else "đ", text)
    text = _RETONE_CANDIDATE.sub(lambda m: _retone(m.group()), text)
    text = _RUNS_OF_SPACES.sub(" ", text)
    text = _LINE_EDGE_SPACES.sub("", text)
    text = _BULLET.sub("- ", text)
    text = _LINE_EDGE_SPACES.sub("", text)  # a bullet alone on its line leaves a trailing space
    # Moving a tone mark next to a stray second one (ill-formed input) can leave a decomposable pair.
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def normalize_blocks(blocks: list[Block], legacy: LegacyTables) -> tuple[list[Block], list[str]]:
    """Convert a legacy-encoded document (decided on all blocks together), normalise every block and
    drop blocks left empty. Returns new blocks and Vietnamese warnings for the user."""
    warnings: list[str] = []
    encoding = legacy.detect("\n".join(b.text for b in blocks))
    if encoding:
        warnings.append(LEGACY_WARNINGS[encoding])
    result = []
    for block in blocks:
        raw = legacy.convert(block.text, encoding) if encoding else block.text
        # A block is one line of `Document.text`: a line break inside it (form feed, U+2028 from PDF or
        # text exports) is only a visual wrap.
        text = " ".join(line for line in normalize_text(raw).split("\n") if line)
        if text:
            result.append(Block(text, block.kind, block.heading_level, block.bold, block.page))
    return result, warnings


# --- is it Vietnamese? ----------------------------------------------------------------------------

# Letters that are typical of Vietnamese among Latin-script languages: ă â đ ê ô ơ ư ĩ ũ and the
# tone-marked vowels outside Latin-1 (ạ, ả, ấ, ...).
_VIETNAMESE_MARKS = re.compile("[ăâđêôơưĩũ\u1ea0-\u1ef9]")


def is_vietnamese(text: str, min_ratio: float = 0.7, min_marked: float = 0.15) -> bool:
    """Vietnamese text WITH diacritics. Plain-ASCII Vietnamese ("sang kien kinh nghiem") is rejected
    on purpose: it cannot be told apart from other Latin text reliably, the embedding model and the
    lexicons expect diacritics, and official documents always carry them. Real Vietnamese prose has
    well over a third of its words with ă â đ ê ô ơ ư ĩ ũ or a tone mark outside Latin-1; French or
    German text only shares the occasional â ê ô."""
    found = letter_words(text)
    if not found:
        return False
    syllables = [w for w in found if is_syllable(w)]
    marked = sum(1 for w in syllables if _VIETNAMESE_MARKS.search(w.lower()))
    return len(syllables) / len(found) >= min_ratio and marked / len(found) >= min_marked
