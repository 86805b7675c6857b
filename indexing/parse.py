"""File -> Document: extraction, normalisation, section detection, title. No model is needed here."""
from __future__ import annotations

import time
from pathlib import Path

from indexing.config import Settings
from indexing.document import Document
from indexing.extract import check_deadline, extract
from indexing.legacy import load_legacy_tables
from indexing.sections import detect_sections
from indexing.templates import load_templates
from indexing.title import guess_title
from indexing.vietnamese import normalize_blocks


def join_blocks(blocks) -> tuple[str, list[int]]:
    """Blocks become one text, one block per line, so offsets stay trivial to map back."""
    offsets, parts, pos = [], [], 0
    for block in blocks:
        offsets.append(pos)
        parts.append(block.text)
        pos += len(block.text) + 1
    return "\n".join(parts), offsets


def parse_document(path: str | Path, settings: Settings) -> Document:
    deadline = time.monotonic() + settings.max_seconds_per_document
    extraction = extract(Path(path), settings, deadline)
    check_deadline(deadline, settings)
    blocks, warnings = normalize_blocks(extraction.blocks, load_legacy_tables(settings.lexicons_dir))
    check_deadline(deadline, settings)
    text, offsets = join_blocks(blocks)
    detected = detect_sections(blocks, text, offsets, load_templates(settings.templates_dir))
    check_deadline(deadline, settings)
    doc = Document(
        text=text,
        blocks=blocks,
        block_offsets=offsets,
        format=extraction.format,
        template=detected.template,
        sections=detected.sections,
        missing_sections=detected.missing_sections,
        closest_template=detected.closest_template,
        closest_missing=detected.closest_missing,
        warnings=extraction.warnings + warnings,
        metadata=extraction.metadata,
        source_path=str(path),
    )
    doc.title = guess_title(doc)
    return doc
