"""Plain dataclasses that flow through the pipeline: file -> blocks -> document -> sections -> passages."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]


@dataclass
class Block:
    """One logical line of an extracted document (a paragraph, heading, list item or table row).

    `heading_level` is only set when the source format says so (DOCX heading style, Markdown `#`);
    `bold` is true when every run of the line is bold (a common way to mark headings in Word).
    """

    text: str
    kind: BlockKind = "paragraph"
    heading_level: int | None = None
    bold: bool = False
    page: int | None = None


@dataclass
class Extraction:
    """What an extractor returns: ordered blocks plus what the user should know about the file."""

    blocks: list[Block]
    format: str  # "pdf" | "docx" | "doc" | "txt" | "md"
    warnings: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)  # e.g. Markdown front matter, DOCX core properties


@dataclass
class Section:
    """A template section. Offsets index `Document.text`; `start` is the heading's first character,
    `body_start` the first character after the heading line, `end` is exclusive."""

    heading: str  # exactly as written (after Unicode normalisation)
    kind: str  # canonical kind: reason, objective, scope, theory, current_state, solution, ...
    level: int
    start: int
    body_start: int
    end: int
    parent: int | None = None  # index into Document.sections

    def body(self, text: str) -> str:
        return text[self.body_start : self.end]


@dataclass
class Document:
    text: str  # normalised NFC text, blocks joined by "\n"
    blocks: list[Block]
    block_offsets: list[int]  # start offset of each block in `text`
    format: str
    title: str = ""
    template: str | None = None
    sections: list[Section] = field(default_factory=list)
    missing_sections: list[str] = field(default_factory=list)
    closest_template: str | None = None  # when `template` is None: the one it comes closest to ...
    closest_missing: list[str] = field(default_factory=list)  # ... and the sections it lacks of it
    warnings: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    source_path: str | None = None

    def word_count(self, start: int = 0, end: int | None = None) -> int:
        return len(self.text[start:end].split())


@dataclass
class Passage:
    """A chunk of a few sentences, tied to its section and character span in its document's text.
    The same type serves a submission being checked and a passage read back from the archive (which
    then also has its store `id`, the FAISS id, and its `doc_id`)."""

    text: str
    start: int
    end: int
    section_index: int | None
    section_heading: str | None
    section_kind: str | None
    ordinal: int = 0
    # Headings from the outermost section down to `section_heading`; a copied section is named at the
    # highest level that is copied as a whole ("5. Cơ sở thực tiễn", not each of its sub-sections).
    section_path: tuple[str, ...] | None = None
    id: int | None = None
    doc_id: str | None = None

    def path(self) -> tuple[str, ...]:
        return self.section_path or (self.section_heading or "",)


def section_path(sections: list[Section], index: int | None) -> tuple[str, ...] | None:
    """Headings from the outermost section down to `sections[index]`."""
    if index is None:
        return None
    path = []
    while index is not None:
        path.append(sections[index].heading)
        index = sections[index].parent
    return tuple(reversed(path))
