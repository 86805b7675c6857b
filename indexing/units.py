"""Units (đơn vị) and levels of recognition: the law judges novelty "within the unit" (trong phạm vi
cơ sở), so a reviewer needs to know which sources come from the submission's own unit, which were
recognised at a higher level and which are dated after the submission (so cannot be its origin)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from indexing.text import fold

LEVELS = ("cơ sở", "huyện", "tỉnh", "toàn quốc")
# Abbreviations of unit names as authors write them, expanded before comparing.
ABBREVIATIONS = {
    "thcs": "trung học cơ sở", "thpt": "trung học phổ thông", "th": "tiểu học", "mn": "mầm non",
    "ptdtbt": "phổ thông dân tộc bán trú", "ptdtnt": "phổ thông dân tộc nội trú", "gdtx": "giáo dục thường xuyên",
    "gdnn": "giáo dục nghề nghiệp", "ubnd": "ủy ban nhân dân", "ttyt": "trung tâm y tế", "tyt": "trạm y tế",
    "tp": "thành phố", "tt": "thị trấn", "bvđk": "bệnh viện đa khoa",
}
_FOLDED_ABBREVIATIONS = {fold(k): v for k, v in ABBREVIATIONS.items()}
# Where a unit name stops being the unit and starts being its address.
_ADDRESS = re.compile(r",\s*(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh)\b.*$", re.IGNORECASE)
SAME_UNIT_SCORE = 90


@dataclass(frozen=True)
class SubmissionContext:
    """What is known of the submission itself: its unit, year and level (from the file or the form)."""

    unit: str | None = None
    year: int | None = None
    level: str | None = None


def unit_key(name: str) -> str:
    """A unit name folded, abbreviations expanded and the trailing address dropped: "Trường THCS
    Tân Thành, xã Tân Thành, huyện Hữu Lũng" -> "truong trung hoc cơ sơ tân thanh"."""
    name = _ADDRESS.sub("", name.strip())
    return fold(" ".join(_FOLDED_ABBREVIATIONS.get(w, w) for w in fold(name).split()))


def same_unit(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    ka, kb = unit_key(a), unit_key(b)
    return bool(ka) and bool(kb) and fuzz.token_set_ratio(ka, kb) >= SAME_UNIT_SCORE and (
        fuzz.ratio(ka, kb) >= SAME_UNIT_SCORE or ka in kb or kb in ka)


def level_rank(level: str | None) -> int:
    """0 for cơ sở (also when unknown), up to 3 for toàn quốc."""
    return LEVELS.index(level) if level in LEVELS else 0
