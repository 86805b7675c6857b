"""Section detection against the labelled dev corpus: for every dev document, which labelled headings
were found (exact text) with which kind, and which template was detected. Also lists the sections of
the real initiative reports. Needs ../shared (skipped when absent).

    .venv/bin/python bench/check_sections.py [--real] [--show FAMILY/LETTER]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexing.config import Settings  # noqa: E402
from indexing.document import Document  # noqa: E402
from indexing.parse import parse_document  # noqa: E402

SHARED = REPO.parent / "shared" / "corpus"
SETTINGS = Settings()


def parse(path: Path) -> Document:
    """The product's own parse (extraction, normalisation, sections, title)."""
    return parse_document(path, SETTINGS)


def show(doc: Document) -> None:
    print(f"  template={doc.template} title={doc.title[:90]!r}")
    for s in doc.sections:
        print(f"  {'  ' * (s.level - 1)}{s.heading[:80]}  [{s.kind}, L{s.level}, {len(s.body(doc.text).split())} từ]")
    if doc.missing_sections:
        print("  missing:", "; ".join(doc.missing_sections))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--real", action="store_true", help="also list sections of corpus/real/skkn_*")
    parser.add_argument("--show", action="append", default=[], help="print the section tree of FAMILY/LETTER")
    args = parser.parse_args()
    if not SHARED.exists():
        print("../shared not found: nothing to check")
        return 0
    found = total = templates_ok = docs = 0
    for labels_path in sorted(SHARED.glob("dev/*/labels.json")):
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        for letter, info in sorted(labels["docs"].items()):
            doc = parse(labels_path.parent / f"{letter}.md")
            name = f"{labels_path.parent.name}/{letter}"
            by_heading = {s.heading: s for s in doc.sections}
            wanted = list(labels["evidence"].get(letter, {})) + list(info.get("copied_sections", []))
            misses = [h for h in wanted if h not in by_heading]
            found += len(wanted) - len(misses)
            total += len(wanted)
            docs += 1
            templates_ok += doc.template == info["template"]
            flag = "ok " if doc.template == info["template"] and not misses else "BAD"
            kinds = ", ".join(f"{h} [{by_heading[h].kind}]" for h in wanted if h in by_heading)
            print(f"{flag} {name}: template {doc.template} (gold {info['template']}); "
                  f"{len(wanted) - len(misses)}/{len(wanted)} headings; missing_sections={doc.missing_sections}")
            print(f"     {kinds}")
            for h in misses:
                print(f"     NOT FOUND: {h!r}")
            if name in args.show:
                show(doc)
    print(f"\nheadings found: {found}/{total}; templates right: {templates_ok}/{docs}")
    if args.real:
        for path in sorted(SHARED.glob("real/skkn_*.txt")):
            print(f"\n== {path.name}")
            show(parse(path))
    return 0 if found == total and templates_ok == docs else 1


if __name__ == "__main__":
    raise SystemExit(main())
