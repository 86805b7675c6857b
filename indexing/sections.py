"""Template section detection: which blocks are headings, how they nest, what each one is for.

Headings are recognised from their form (numbering, Markdown/DOCX heading level, bold) and from the
section aliases of the templates (`indexing.templates`). Aliases are compared on a folded key so that
"lí"/"lý", "hoà"/"hòa" and upper/lower case do not matter. Nesting follows the numbering styles in the
order they are opened (PHẦN > I. > 1. > 1.1. > a) in the usual case), so documents that skip a level or
use their own numbering still get a sensible tree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexing.document import Block, Section
from indexing.templates import SectionDef, Template
from indexing.text import SENTENCE_BREAK, STEP, Numbering, all_caps, fold, parse_numbering

PAGE_REF = re.compile(r"(?:\s*[.…·_]{3,}\s*|\t+\s*)\d{1,3}\s*$")
_MARKDOWN_HASHES = re.compile(r"#{1,6}\s+")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})([^*\s](?:[^*]*[^*\s])?)\1")
_TOC_TITLES = (fold("mục lục"), fold("mục lục nội dung"))
_STEP_WORDS = tuple(fold(word) + " " for word in ("bước", "biện pháp", "giải pháp"))


def is_upper(text: str) -> bool:
    """An upper-case heading line (three letters at least, so "I." or "UB" do not count)."""
    return all_caps(text, min_letters=3)


# "Lạng Sơn, ngày 20 tháng 10 năm 2023": the date line a signature block starts with.
_DATE_LINE = re.compile(r"^[^.:;]{0,80}\bngày\b[\s\d./…_-]*\btháng\b[\s\d./…_-]*\bnăm\b[\s\d./…_-]*$", re.IGNORECASE)


def _not_a_heading_here(c: _Candidate, previous: Block | None, previous_accepted: bool, in_outline: bool) -> bool:
    """An unnumbered heading-like line that the line before it says is content: the title of a form,
    table or figure announced by a lead-in ("... bằng phiếu sau:"), or, once the outline has begun,
    the signature block after its date line ("Tác giả sáng kiến", a name)."""
    if c.numbering.style != "plain" or c.md_level is not None or previous is None:
        return False
    before = previous.text.strip()
    if in_outline and _DATE_LINE.match(before):
        return True
    return (not previous_accepted and previous.kind in ("paragraph", "list_item") and before.endswith(":")
            and not c.matches and len(before.split()) > 3)


@dataclass
class _Match:
    template: str
    sdef: SectionDef
    score: float
    specific: bool  # matched an alias of three or more words, not a generic "Nội dung", "Phạm vi"


def _match_template(key: str, template: Template, allow_prefix: bool) -> _Match | None:
    from rapidfuzz import fuzz, process

    index = template.alias_index
    if key in index:
        return _Match(template.id, index[key], 100.0, key.count(" ") >= 2)
    words = key.split()
    if allow_prefix:
        for n in range(len(words) - 1, 1, -1):  # longest alias first
            sdef = index.get(" ".join(words[:n]))
            # A short alias ("thực trạng") may only be followed by a few words ("thực trạng vấn đề"),
            # otherwise "kết quả khảo sát đầu năm" would read as a results heading.
            if sdef and (n >= 3 or len(words) - n <= 3):
                return _Match(template.id, sdef, 90.0 + min(n, 9), n >= 3)
    hit = process.extractOne(key, template.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=90)
    if hit:  # a near miss (typo, missing word) never beats an exact or prefix match
        return _Match(template.id, index[hit[0]], 80.0 + (hit[1] - 90), hit[0].count(" ") >= 2)
    return None


def _best_match(key: str, templates: list[Template], allow_prefix: bool) -> dict[str, _Match]:
    """Best matching section definition per template id."""
    if not key or key.count(" ") > 25:
        return {}
    found = {t.id: _match_template(key, t, allow_prefix) for t in templates}
    return {tid: m for tid, m in found.items() if m}


# ---------------------------------------------------------------- candidates


@dataclass
class _Candidate:
    block: int
    start: int  # offset of the heading in text
    heading: str
    body_start: int
    numbering: Numbering
    md_level: int | None
    strong: bool  # heading style or bold: the author marked it as a heading
    key: str  # folded title used for alias matching
    matches: dict[str, _Match]


def _candidate(index: int, block: Block, text: str, offset: int, templates: list[Template]) -> _Candidate | None:
    raw = text[offset : offset + len(block.text)]
    line = raw.strip()
    if not line or block.kind == "table_row" or line.startswith("|") or PAGE_REF.search(line):
        return None
    if len(line) > 250 and ":" not in line[:150]:
        return None  # a paragraph; only "label: long value" lines this long can hold a heading
    lead = len(raw) - len(raw.lstrip())
    md_level = block.heading_level if block.kind == "heading" else None
    if m := _MARKDOWN_HASHES.match(line):  # Markdown kept verbatim in a .txt file
        md_level, lead, line = len(m.group().strip()), lead + m.end(), line[m.end() :]
    bold = block.bold
    if m := _EMPHASIS.fullmatch(line):  # **bold** or *italic* line left verbatim by the extractor
        bold, lead, line = True, lead + len(m[1]), m[2]
    strong = bold or block.kind == "heading" or md_level is not None
    numbering = parse_numbering(line, strong or is_upper(line))
    title = numbering.title.strip()
    body_start = offset + len(block.text) + 1
    heading = line

    # "3. Lĩnh vực áp dụng: Tổ chức cán bộ." is a field label with its value on the same line.
    label, colon, value = title.partition(":")
    allow_prefix = numbering.style != "plain" or strong or is_upper(line) or line.endswith(":")
    matches = _best_match(fold(title), templates, allow_prefix)
    named_step = STEP.match(title)  # "3.1. Biện pháp 1: Biên soạn ..." is one heading
    if colon and value.strip() and numbering.style not in ("step", "plain") and not named_step:
        label_matches = _best_match(fold(label), templates, True)
        if label_matches or not _looks_like_heading(title, numbering, strong):
            cut = line.index(title) + len(label)
            heading = line[:cut].rstrip()
            rest = line[cut + 1 :]
            body_start = offset + lead + cut + 1 + (len(rest) - len(rest.lstrip()))
            title, matches = label.strip(), label_matches
    heading = heading.rstrip(" :.") or heading
    start = offset + lead
    return _Candidate(index, start, heading, min(body_start, len(text)), numbering, md_level, strong,
                      fold(title), matches)


_SECTION_NUMBERING = ("part", "chapter", "roman", "step")


def _looks_like_heading(title: str, numbering: Numbering, strong: bool) -> bool:
    words = title.split()
    if not words:
        return numbering.style == "step"  # "Biện pháp 1:" with its name on the next line
    # Bold, a heading style or an unambiguous section number ("3.1.", "II.", "Biện pháp 2:") allows a
    # longer title; plain text has no bold, so the number must do.
    sectioned = numbering.style in _SECTION_NUMBERING or (numbering.style == "arabic" and numbering.depth >= 2)
    if len(words) > (25 if strong or sectioned else 20):
        return False
    first = title.lstrip("“\"'(«")[:1]
    if not (first.isupper() or first.isdigit()):
        return False
    if SENTENCE_BREAK.search(title.rstrip(".")) or title.endswith((";", ",")):
        return False
    if title.endswith(".") and len(words) > 10:
        return False
    return not (title.endswith(":") and len(words) > 12)



def _accept(c: _Candidate) -> bool:
    """Form-level decision; the nesting pass may still drop numbered list items."""
    title = c.numbering.title.strip()
    words = len(c.key.split())
    style = c.numbering.style
    if style == "bullet":
        # "* Tính mới của sáng kiến:" is a heading in many forms; other bullets are list items.
        return bool(c.matches) and words <= 12 and (title.endswith(":") or c.heading != title.rstrip(" :"))
    if style == "plain":
        if c.matches:
            return words <= 12 and (c.strong or is_upper(title) or not title.endswith("."))
        return c.strong and _looks_like_heading(title, c.numbering, True)
    if c.matches:
        return words <= 25
    return _looks_like_heading(title, c.numbering, c.strong)


def _toc_blocks(blocks: list[Block]) -> set[int]:
    """Blocks of a table of contents: a "Mục lục" line and the run of short lines after it, up to the
    line that repeats the first entry (where the body starts) or a real paragraph."""
    skip: set[int] = set()
    for i, block in enumerate(blocks):
        if fold(_MARKDOWN_HASHES.sub("", block.text).strip("* :")) not in _TOC_TITLES:
            continue
        skip.add(i)
        first = None
        for j in range(i + 1, len(blocks)):
            line = blocks[j].text.strip()
            if not line:
                continue
            entry = fold(PAGE_REF.sub("", line).rstrip(" 0123456789|"))
            if first is None:
                first = entry
            elif entry == first or len(line.split()) > 25:
                break
            skip.add(j)
    return skip


# ---------------------------------------------------------------- detection


@dataclass
class SectionDetection:
    sections: list[Section]
    template: str | None
    missing_sections: list[str]
    # When no template is recognised: the one the document comes closest to, and what it lacks of it.
    closest_template: str | None = None
    closest_missing: list[str] = field(default_factory=list)


_TEMPLATE_EVIDENCE = {"form_field": 0.5, "conclusion": 0.5, "references": 0.0, "appendix": 0.0}


def _template_scores(candidates: list[_Candidate], blocks: list[Block],
                     templates: list[Template]) -> list[tuple[float, Template]]:
    """How strongly the headings (and a title line naming the form) point to each template, best first."""
    # Markers count only as title lines near the top, not when a form merely cites another form.
    titles = [f" {fold(b.text)} " for b in blocks[:30] if b.kind != "table_row" and len(b.text.split()) <= 15]
    scored = []
    for template in templates:
        weights: dict[int, float] = {}
        for c in candidates:
            if m := c.matches.get(template.id):
                # Headings every report has (conclusion, references), every form has (name, field of
                # application) or generic ones ("Nội dung") say little about the template followed.
                weight = _TEMPLATE_EVIDENCE.get(m.sdef.kind, 1.0) * (1.0 if m.specific else 0.5)
                weights[id(m.sdef)] = max(weights.get(id(m.sdef), 0.0), weight)
        score = sum(weights.values())
        if any(f" {k} " in line for k in template.marker_keys for line in titles):
            score += 2.5
        scored.append((score, template))
    return sorted(scored, key=lambda st: -st[0])


# A template is recognised from this much evidence; below it, the closest one is only named (and only
# when at least two of its headings are there: one shared heading is not a resemblance).
TEMPLATE_EVIDENCE_MIN = 3.0
CLOSEST_EVIDENCE_MIN = 1.5


def detect_sections(blocks: list[Block], text: str, block_offsets: list[int],
                    templates: list[Template]) -> SectionDetection:
    toc = _toc_blocks(blocks)
    candidates = []
    for i, block in enumerate(blocks):
        if i in toc:
            continue
        c = _candidate(i, block, text, block_offsets[i], templates)
        if c and _accept(c):
            previous_accepted = bool(candidates) and candidates[-1].block == i - 1
            in_outline = any(o.matches or o.numbering.style not in ("plain", "bullet") for o in candidates)
            if not _not_a_heading_here(c, blocks[i - 1] if i else None, previous_accepted, in_outline):
                candidates.append(c)
    candidates = _drop_empty_duplicates(candidates)
    scored = _template_scores(candidates, blocks, templates)
    best_score, best = scored[0] if scored and scored[0][0] > 0 else (0.0, None)
    template = best if best_score >= TEMPLATE_EVIDENCE_MIN else None
    sections = _nest(candidates, template, len(text))
    detection = SectionDetection(sections, template.id if template else None, _missing(sections, template, candidates))
    if template is None and best is not None and best_score >= CLOSEST_EVIDENCE_MIN:
        detection.closest_template = best.id
        detection.closest_missing = _missing(sections, best, candidates)
    return detection


def _drop_empty_duplicates(candidates: list[_Candidate]) -> list[_Candidate]:
    """An outline without a "Mục lục" title: a run of three or more headings on consecutive lines whose
    texts reappear later. The later occurrences are the sections."""
    runs: list[list[int]] = []
    for i, c in enumerate(candidates):
        if runs and candidates[runs[-1][-1]].block == c.block - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    drop = set()
    for run in runs:
        if len(run) < 3:
            continue
        for i in run[:-1]:  # the last one of the run has a body
            key = fold(candidates[i].heading)
            if any(fold(c.heading) == key for c in candidates[i + 1 :]):
                drop.add(i)
    return [c for i, c in enumerate(candidates) if i not in drop]


@dataclass
class _Open:
    styles: tuple[tuple, ...]
    number: int | None
    path: tuple[int, ...]
    section: int
    container: bool  # an unnumbered heading that numbered headings may nest under
    def_id: str | None  # template section it matched


def _styles(c: _Candidate) -> tuple[tuple, ...]:
    """Outline styles of a heading: its Markdown/Word heading level first (when set), then its numbering."""
    numbering = c.numbering.style
    if numbering == "arabic":
        key = ("arabic", c.numbering.depth)
    elif numbering == "step":
        key = ("step", fold(c.heading.split()[0]))
    else:
        key = (numbering,)
    if c.md_level is None:
        return (key,)
    return (("h", c.md_level),) if numbering == "plain" else (("h", c.md_level), key)


def _find(stack: list[_Open], styles: tuple[tuple, ...]) -> int | None:
    for style in styles:  # an explicit heading level decides before the numbering does
        pos = next((k for k, o in enumerate(stack) if style in o.styles), None)
        if pos is not None:
            return pos
    return None


_RANKS = {"part": 0, "chapter": 1, "upper": 2, "roman": 3, "arabic": 4, "letter": 20}


def _outranks(style: tuple, other: tuple) -> bool:
    """True when `style` is a more major heading than `other` in the usual Vietnamese outline order
    (PHẦN > CHƯƠNG > A. > I. > 1. > 1.1. > a)), or a higher Markdown/Word heading level."""
    if style[0] == "h" or other[0] == "h":
        return style[0] == other[0] == "h" and style[1] < other[1]
    if style[0] not in _RANKS or other[0] not in _RANKS:
        return False
    rank = _RANKS[style[0]] + (style[1] if style[0] == "arabic" else 0)
    return rank < _RANKS[other[0]] + (other[1] if other[0] == "arabic" else 0)


def _nest(candidates: list[_Candidate], template: Template | None, text_len: int) -> list[Section]:
    sections: list[Section] = []
    stack: list[_Open] = []
    parents_of = {d.parent for d in template.sections if d.parent} if template else set()
    started = False
    for c in candidates:
        match = _pick_match(c, template)
        styles = _styles(c)
        plain = c.numbering.style == "plain" and c.md_level is None
        if not started and not match and c.numbering.style in ("plain", "bullet"):
            continue  # title page: document title, motto, template marker
        if not match and any(sections[o.section].kind == "references" for o in stack) and c.md_level is None:
            continue  # numbered entries of a bibliography
        if plain and match and match.sdef.level == 1:
            stack.clear()
        elif plain:
            # "Tính mới của sáng kiến:" closes the "Giải pháp 2:" before it and goes back under its
            # template parent ("Nội dung sáng kiến"); other unnumbered headings nest where they stand.
            parent_pos = next((k for k, o in enumerate(stack) if match and o.def_id == match.sdef.parent), None)
            pos = parent_pos + 1 if parent_pos is not None else _find(stack, styles)
            if pos is not None:
                del stack[pos:]
        else:
            while stack and stack[-1].styles == (("plain",),) and not stack[-1].container:
                stack.pop()
            pos = _find(stack, styles)
            if pos is None:
                # "I. TÌNH TRẠNG ..." after the form fields "1." ... "6." is not their child.
                pos = next((k for k, o in enumerate(stack)
                            if any(_outranks(a, b) for a in styles for b in o.styles)), None)
                if pos is not None:
                    del stack[pos:]
            else:
                prev = stack[pos]
                if (c.md_level is None and not match and not c.strong and prev.number is not None
                        and c.numbering.number is not None and c.numbering.number <= prev.number
                        and c.numbering.path[:-1] == prev.path[:-1]):
                    continue  # numbering restarts: a numbered list inside the body, not a sibling
                del stack[pos:]
        started = True
        parent = stack[-1].section if stack else None
        kind = _kind(c, match, sections[parent].kind if parent is not None else None)
        sections.append(Section(c.heading, kind, len(stack) + 1, c.start, c.body_start, text_len, parent))
        container = bool(match and match.sdef.id in parents_of)
        stack.append(_Open(styles, c.numbering.number, c.numbering.path, len(sections) - 1, container,
                           match.sdef.id if match else None))
    for i, section in enumerate(sections):
        section.end = next((s.start for s in sections[i + 1 :] if s.level <= section.level), text_len)
    return sections


def _pick_match(c: _Candidate, template: Template | None) -> _Match | None:
    if template and template.id in c.matches:
        return c.matches[template.id]
    return max(c.matches.values(), key=lambda m: m.score, default=None)


def _kind(c: _Candidate, match: _Match | None, parent_kind: str | None) -> str:
    if match:
        return match.sdef.kind
    if c.numbering.style == "step" or fold(c.numbering.title).startswith(_STEP_WORDS):
        return "solution"
    if parent_kind and parent_kind != "form_field":
        return parent_kind
    return "other"


def _missing(sections: list[Section], template: Template | None, candidates: list[_Candidate]) -> list[str]:
    if template is None:
        return []
    found_defs = set()
    headings = {s.heading for s in sections}
    for c in candidates:
        if c.heading in headings and template.id in c.matches:
            found_defs.add(c.matches[template.id].sdef.id + "|" + c.matches[template.id].sdef.name)
    kinds = {s.kind for s in sections}
    missing = []
    for sdef in template.sections:
        if not sdef.required or f"{sdef.id}|{sdef.name}" in found_defs:
            continue
        if sdef.kind in ("other", "form_field") or sdef.kind not in kinds:
            missing.append(sdef.name)
    return missing
