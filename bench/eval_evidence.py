"""Calibrate models/evidence.py against the labelled dev corpus in ../shared (skipped when absent).

Prints per-status accuracy, the confusion table and every disagreement with an excerpt of the section.
Usage: .venv/bin/python bench/eval_evidence.py [--corpus ../shared/corpus/dev] [--splitter]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexing.document import Block, Document, Section  # noqa: E402
from models.evidence import STATUSES, analyze_evidence  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "dev"

# Throwaway splitter, used when indexing.sections is not available (or with --splitter):
# heading-looking lines become sections, their kind guessed from keywords.
_NUMBERED = re.compile(r"^(?:(?P<roman>[IVX]+)|(?P<num>\d+(?:\.\d+)*)|(?P<letter>[a-zđ])\))\.?\s+\S")


def heading_level(line: str) -> int | None:
    """Markdown hashes, PHẦN, upper-case lines, roman/decimal/letter numbering; None for body lines."""
    hashes = len(line) - len(line.lstrip("#"))
    if hashes:
        return hashes
    if len(line.split()) > 20 or line.endswith((".", ";", ":", ",")):
        return None
    if line.startswith("PHẦN"):
        return 1
    if line.isupper() and not _NUMBERED.match(line) or line.startswith("Tóm tắt"):
        return 3
    match = _NUMBERED.match(line)
    if not match:
        return None
    if match["roman"]:
        return 2
    if match["num"]:
        return 3 + match["num"].count(".")
    return 6


_KIND_WORDS = [
    ("thảo luận", "discussion"),
    ("tóm tắt", "summary"),
    ("lí do", "reason"), ("lý do", "reason"),
    ("thực trạng", "current_state"), ("cơ sở thực tiễn", "current_state"),
    ("tình trạng giải pháp", "current_state"), ("khảo sát", "current_state"),
    ("tính mới", "novelty"), ("điểm khác biệt", "novelty"),
    ("khả năng áp dụng", "applicability"),
    ("nội dung", "solution"), ("biện pháp", "solution"), ("bước", "solution"),
    ("ý kiến của", "results"), ("kết quả", "results"),
    ("lợi ích", "benefits"), ("hiệu quả", "benefits"),
    ("kết luận", "conclusion"),
]


def _guess_kind(heading: str) -> str:
    low = heading.lower()
    return next((kind for word, kind in _KIND_WORDS if word in low), "other")


def split_markdown(path: Path) -> Document:
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[0] == "---":
        lines = lines[lines.index("---", 1) + 1 :]
    blocks: list[Block] = []
    for raw in lines:
        line = raw.strip().replace("**", "").strip("*")
        if not line or re.fullmatch(r"\|[-|: ]+\|", line):
            continue
        if line.startswith("|"):
            blocks.append(Block(" | ".join(c.strip() for c in line.strip("|").split("|")), kind="table_row"))
        else:
            blocks.append(Block(line))
    offsets, pos = [], 0
    for block in blocks:
        offsets.append(pos)
        pos += len(block.text) + 1
    text = "\n".join(b.text for b in blocks)
    sections: list[Section] = []
    stack: list[int] = []
    for block, start in zip(blocks, offsets):
        level = heading_level(block.text)
        if block.kind == "table_row" or level is None:
            continue
        heading = block.text.lstrip("#").strip()
        while stack and sections[stack[-1]].level >= level:
            stack.pop()
        sections.append(Section(heading, _guess_kind(heading), level, start + block.text.index(heading),
                                start + len(block.text) + 1, len(text), stack[-1] if stack else None))
        stack.append(len(sections) - 1)
    for i, section in enumerate(sections):
        later = [s.start for s in sections[i + 1 :] if s.level <= section.level]
        section.end = later[0] if later else len(text)
    return Document(text=text, blocks=blocks, block_offsets=offsets, format="md", sections=sections)


def load(path: Path, use_splitter: bool) -> Document:
    if not use_splitter:
        try:
            from indexing.pipeline import parse_document

            return parse_document(path)
        except ImportError:
            pass
    return split_markdown(path)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--splitter", action="store_true", help="use the throwaway Markdown splitter")
    parser.add_argument("--excerpt", type=int, default=400)
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}; skipped")
        return 0
    try:
        import indexing.sections  # noqa: F401

        print("sections from indexing.pipeline.parse_document" if not args.splitter else "sections from the throwaway splitter")
    except ImportError:
        print("indexing.sections not available: sections from the throwaway splitter")
    confusion: Counter = Counter()
    disagreements, unmatched = [], []
    for labels_path in sorted(args.corpus.glob("*/labels.json")):
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        for letter, expected in labels.get("evidence", {}).items():
            doc_path = labels_path.parent / f"{letter}.md"
            doc = load(doc_path, args.splitter)
            report = analyze_evidence(doc)
            by_heading = {}
            for item in report.sections:
                by_heading.setdefault(item.heading, item)
            for heading, gold in expected.items():
                item = by_heading.get(heading)
                if item is None:
                    unmatched.append(f"{labels_path.parent.name}/{letter}: {heading}")
                    continue
                confusion[gold, item.status] += 1
                if gold != item.status:
                    index = next(i for i, s in enumerate(doc.sections) if s.heading == heading)
                    body = doc.sections[index].body(doc.text)
                    disagreements.append((f"{labels_path.parent.name}/{letter}", heading, item.kind, gold,
                                          item, re.sub(r"\s+", " ", body)[: args.excerpt]))
    total = sum(confusion.values())
    correct = sum(n for (g, p), n in confusion.items() if g == p)
    print(f"sections judged: {total}, exact agreement: {correct / max(total, 1):.1%}")
    for status in STATUSES:
        n = sum(v for (g, _), v in confusion.items() if g == status)
        ok = confusion[status, status]
        print(f"  {status:8s} {ok}/{n} = {ok / max(n, 1):.1%}")
    n_missing = sum(v for (g, _), v in confusion.items() if g == "missing")
    caught = confusion["missing", "missing"] + confusion["missing", "weak"]
    print(f"missing recognised as missing or weak: {caught}/{n_missing} = {caught / max(n_missing, 1):.1%}")
    print("\nconfusion (rows = gold, columns = predicted)")
    print(" " * 10 + "".join(f"{s:>9s}" for s in STATUSES))
    for gold in STATUSES:
        print(f"{gold:10s}" + "".join(f"{confusion[gold, p]:9d}" for p in STATUSES))
    if unmatched:
        print(f"\nlabelled headings not found in the report ({len(unmatched)}):")
        for line in unmatched:
            print("  " + line)
    print(f"\ndisagreements ({len(disagreements)}):")
    for where, heading, kind, gold, item, excerpt in disagreements:
        print(f"- {where} [{kind}] {heading!r}: gold={gold} predicted={item.status}")
        for finding in item.findings:
            print(f"    · {finding}")
        print(f"    > {excerpt}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
