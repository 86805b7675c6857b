"""Archive-wide word statistics: token document frequencies and the IDF weights they give."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from indexing.text import tokens


@dataclass
class ArchiveStats:
    """Token document frequencies are additive: the store keeps them current in the same transaction
    as every document write, and can rebuild them from the stored texts."""

    n_docs: int = 0
    token_df: Counter = field(default_factory=Counter)

    def add_document(self, text: str) -> None:
        self.n_docs += 1
        self.token_df.update(set(tokens(text)))

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> ArchiveStats:
        stats = cls()
        for text in texts:
            stats.add_document(text)
        return stats

    def merged(self, other: ArchiveStats) -> ArchiveStats:
        return ArchiveStats(self.n_docs + other.n_docs, self.token_df + other.token_df)

    def idf(self, token: str) -> float:
        # Smoothed; syllables found in every archive document weigh ~0, unseen ones the most.
        return math.log((self.n_docs + 1) / (self.token_df.get(token, 0) + 1))


@lru_cache(maxsize=4)
def background_stats(directory: Path) -> ArchiveStats:
    """Token document frequencies of the background documents (Markdown/TXT files under `directory`):
    a young archive of a few documents cannot tell genre words from rare ones by itself."""
    files = sorted(p for p in Path(directory).rglob("*") if p.suffix.lower() in {".md", ".txt"})
    return ArchiveStats.from_texts(p.read_text(encoding="utf-8") for p in files)
