"""File -> Document: extraction, normalisation, section detection. No model is needed here."""
from __future__ import annotations

import time
from pathlib import Path

from indexing.config import Settings, get_settings
from indexing.document import Document
from indexing.extract import check_deadline, extract
from indexing.normalize import normalize_blocks
from indexing.sections import detect_sections, guess_title


def join_blocks(blocks) -> tuple[str, list[int]]:
    """Blocks become one text, one block per line, so offsets stay trivial to map back."""
    offsets, parts, pos = [], [], 0
    for block in blocks:
        offsets.append(pos)
        parts.append(block.text)
        pos += len(block.text) + 1
    return "\n".join(parts), offsets


def parse_document(path: str | Path, settings: Settings | None = None) -> Document:
    settings = settings or get_settings()
    deadline = time.monotonic() + settings.max_seconds_per_document
    extraction = extract(Path(path), settings=settings, deadline=deadline)
    check_deadline(deadline, settings)
    blocks, warnings = normalize_blocks(extraction.blocks)
    check_deadline(deadline, settings)
    text, offsets = join_blocks(blocks)
    detected = detect_sections(blocks, text, offsets)
    check_deadline(deadline, settings)
    doc = Document(
        text=text,
        blocks=blocks,
        block_offsets=offsets,
        format=extraction.format,
        template=detected.template,
        sections=detected.sections,
        missing_sections=detected.missing_sections,
        warnings=extraction.warnings + warnings,
        metadata=extraction.metadata,
        source_path=str(path),
    )
    doc.title = guess_title(doc)
    return doc
