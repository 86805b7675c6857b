"""Vietnamese word and sentence segmentation (underthesea, imported lazily: it pulls in torch).

underthesea ships its CRF models inside the wheel, so nothing is downloaded (works with HF_HUB_OFFLINE=1).
Word segmentation is for lexical features only: embedding models want the raw NFC text, not
"kỹ_năng"-style joined words.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WHITESPACE = re.compile(r"\s+")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
# Letters and digits; "3,5" / "3.5" / "COVID-19" stay one token.
_SYLLABLE = re.compile(r"[^\W_](?:[^\W_]|[.,][0-9]|-[^\W_])*")


@lru_cache(maxsize=1)
def _underthesea():
    import underthesea

    return underthesea


def word_tokenize(text: str) -> list[str]:
    """Words as underthesea returns them: a multi-syllable word is one item with spaces ("kỹ năng");
    punctuation marks are items too."""
    return _underthesea().word_tokenize(text)


def sent_tokenize(text: str) -> list[str]:
    """Sentences as strings (see `sentence_spans` for positions)."""
    return [text[s:e] for s, e in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, in order, without surrounding whitespace.

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


def syllables(text: str) -> list[str]:
    """Lower-cased syllables and numbers, punctuation dropped; no model needed (for lexical shingles)."""
    # NFC first: a decomposed tone mark is not a word character and would split the syllable.
    return [m.group().lower() for m in _SYLLABLE.finditer(unicodedata.normalize("NFC", text))]
