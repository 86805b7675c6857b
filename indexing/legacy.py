"""Legacy Vietnamese 8-bit encodings (TCVN3/ABC, VNI-Windows, BK HCM2): detection and conversion to
Unicode. Their character tables live in the lexicons folder (`legacy_encodings.json`)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from indexing.text import LETTER_WORD, is_syllable

LegacyEncoding = Literal["tcvn3", "vni", "bkhcm2"]
TABLES_FILE = "legacy_encodings.json"

LEGACY_WARNINGS = {
    "tcvn3": "Văn bản dùng bảng mã cũ TCVN3 (ABC) và đã được chuyển sang Unicode.",
    "vni": "Văn bản dùng bảng mã cũ VNI và đã được chuyển sang Unicode.",
    "bkhcm2": "Văn bản dùng bảng mã cũ BK HCM2 và đã được chuyển sang Unicode.",
}

_TOKEN_EDGES = " \t\n.,;:!?()[]{}\"'“”‘’…–—/-"
_MIN_LEGACY_WORDS = 2


class LegacyTables:
    """{"tcvn3": {char: letter}, "vni" / "bkhcm2": {char sequence: letter}}, compiled once."""

    def __init__(self, tables: dict[str, dict[str, str]]):
        self.tables = tables
        self._tcvn3 = str.maketrans(tables["tcvn3"])
        # Longest sequence first: "oâ" before "o".
        self._patterns = {
            name: re.compile("|".join(map(re.escape, sorted(tables[name], key=len, reverse=True))))
            for name in ("vni", "bkhcm2")
        }

    def convert(self, text: str, encoding: LegacyEncoding) -> str:
        """Turn TCVN3, VNI-Windows or BK HCM2 mojibake into Unicode (NFC). TCVN3 has no upper-case toned
        letters (those came from separate .VnTimeH fonts reusing the lower-case codes), so they come out
        lower-case."""
        if encoding == "tcvn3":
            return text.translate(self._tcvn3)
        if encoding in self._patterns:
            table = self.tables[encoding]
            return self._patterns[encoding].sub(lambda m: table[m.group()], text)
        raise ValueError(f"unknown legacy encoding: {encoding}")

    def detect(self, text: str) -> LegacyEncoding | None:
        """"tcvn3", "vni", "bkhcm2" or None. Looks at the words holding non-ASCII characters: mojibake
        words are not Vietnamese syllables but become ones once converted, while genuine Unicode
        Vietnamese is already made of syllables and French or German words (été, für) rarely turn into
        any. Fires when converting fixes at least half of those words and more words than are already
        fine."""
        found = {w.strip(_TOKEN_EDGES) for w in text.split()}
        found = [w for w in found if w and not w.isascii()]
        if not found:
            return None
        already_fine = sum(1 for w in found if is_syllable(w))
        best, best_gain = None, 0
        for encoding in ("tcvn3", "vni", "bkhcm2"):
            gain = sum(1 for w in found if not is_syllable(w) and _all_syllables(self.convert(w, encoding)))
            if gain > best_gain:
                best, best_gain = encoding, gain
        if best_gain >= max(_MIN_LEGACY_WORDS, already_fine + 1, len(found) / 2):
            return best
        return None


def _all_syllables(word: str) -> bool:
    parts = LETTER_WORD.findall(word)
    return bool(parts) and "".join(parts) == word and all(map(is_syllable, parts))


@lru_cache(maxsize=4)
def load_legacy_tables(lexicons_dir: Path) -> LegacyTables:
    data = json.loads((Path(lexicons_dir) / TABLES_FILE).read_text(encoding="utf-8"))
    return LegacyTables({name: data[name] for name in ("tcvn3", "vni", "bkhcm2")})
