"""Document -> passages: a few sentences each, with a small overlap, never crossing a section boundary.

Passages are what gets embedded and compared, so every one keeps its exact span in `Document.text`
(reports quote and highlight it) and the section it belongs to (duplicates are reported per section).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexing.document import Document, Passage, section_path
from indexing.text import sentence_spans

_WORD = re.compile(r"\S+")
# Table rows and list items are short, self-contained statements: splitting them into "sentences"
# would glue the next row's first words onto this one's last.
_WHOLE_BLOCK_KINDS = {"table_row", "list_item"}


@dataclass
class _Unit:
    """A sentence (or table row / list item, or a slice of an over-long sentence) in `Document.text`."""

    start: int
    end: int
    words: int


@dataclass
class _Region:
    """A stretch of text owned by one section (or by none: text before the first section)."""

    start: int
    end: int
    section: int | None


def make_passages(
    doc: Document,
    *,
    target_words: int = 60,
    max_words: int = 110,
    overlap_sentences: int = 1,
) -> list[Passage]:
    passages: list[Passage] = []
    blocks = _blocks(doc)
    for region in _regions(doc):
        units = _units(doc.text, blocks, region, max_words)
        for start, end in _group(units, target_words, max_words, overlap_sentences):
            section = doc.sections[region.section] if region.section is not None else None
            passages.append(
                Passage(
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    section_index=region.section,
                    section_heading=section.heading if section else None,
                    section_kind=section.kind if section else None,
                    ordinal=len(passages),
                    section_path=section_path(doc.sections, region.section),
                )
            )
    return passages


def _regions(doc: Document) -> list[_Region]:
    """Split the text into maximal stretches owned by a single section, leaving out heading lines.

    Sections may nest (a parent's span can contain its children), so each stretch belongs to the
    innermost section covering it; the parent's own text before and after a child becomes separate
    regions, which keeps every passage inside exactly one section.
    """
    text_len = len(doc.text)
    cuts = {0, text_len}
    for s in doc.sections:
        cuts.update(min(max(x, 0), text_len) for x in (s.start, s.body_start, s.end))
    bounds = sorted(cuts)

    regions: list[_Region] = []
    for a, b in zip(bounds, bounds[1:]):
        if any(s.start <= a and b <= s.body_start for s in doc.sections):
            continue  # heading line: template boilerplate, identical across documents
        covering = [i for i, s in enumerate(doc.sections) if s.body_start <= a and b <= s.end]
        owner = max(covering, key=lambda i: (doc.sections[i].body_start, i)) if covering else None
        if regions and regions[-1].section == owner and regions[-1].end == a:
            regions[-1].end = b
        else:
            regions.append(_Region(a, b, owner))
    return regions


def _blocks(doc: Document) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each block; a Document built from plain text gets one block per line."""
    if doc.blocks and len(doc.block_offsets) == len(doc.blocks):
        return [(off, off + len(b.text), b.kind) for b, off in zip(doc.blocks, doc.block_offsets)]
    spans, pos = [], 0
    for line in doc.text.split("\n"):
        spans.append((pos, pos + len(line), "paragraph"))
        pos += len(line) + 1
    return spans


def _units(text: str, blocks: list[tuple[int, int, str]], region: _Region, max_words: int) -> list[_Unit]:
    units: list[_Unit] = []
    for b_start, b_end, kind in blocks:
        start, end = max(b_start, region.start), min(b_end, region.end)
        if start >= end:
            continue
        piece = text[start:end]
        if kind in _WHOLE_BLOCK_KINDS:
            spans = [(0, len(piece))]
        else:
            spans = sentence_spans(piece)
        for s, e in spans:
            units.extend(_split_long(text, start + s, start + e, max_words))
    return units


def _split_long(text: str, start: int, end: int, max_words: int) -> list[_Unit]:
    """Trim a unit to its words; cut one longer than `max_words` at word boundaries."""
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    return [
        _Unit(words[i][0], words[min(i + max_words, len(words)) - 1][1], min(max_words, len(words) - i))
        for i in range(0, len(words), max_words)
    ]


def _group(
    units: list[_Unit], target_words: int, max_words: int, overlap: int
) -> list[tuple[int, int]]:
    """Greedy packing: close a chunk once it reaches `target_words` or the next unit would overflow
    `max_words`; the next chunk repeats the last `overlap` units so a sentence pair split across
    two chunks is still seen together once."""
    chunks: list[tuple[int, int]] = []
    current: list[_Unit] = []
    fresh = 0  # units in `current` not already emitted in the previous chunk
    for unit in units:
        size = sum(u.words for u in current)
        if current and size + unit.words > max_words:
            if fresh:
                chunks.append((current[0].start, current[-1].end))
            current, fresh = _overlap_tail(current, unit, overlap, max_words), 0
        current.append(unit)
        fresh += 1
        if sum(u.words for u in current) >= target_words:
            chunks.append((current[0].start, current[-1].end))
            current, fresh = _overlap_tail(current, None, overlap, max_words), 0
    if fresh:
        chunks.append((current[0].start, current[-1].end))
    return chunks


def _overlap_tail(current: list[_Unit], nxt: _Unit | None, overlap: int, max_words: int) -> list[_Unit]:
    """The last `overlap` units of a closed chunk, dropped one by one while they would leave no room
    for the next unit (and never the whole chunk, or nothing would move forward)."""
    tail = current[-overlap:] if 0 < overlap < len(current) else []
    need = nxt.words if nxt else 1
    while tail and sum(u.words for u in tail) + need > max_words:
        tail = tail[1:]
    return tail
