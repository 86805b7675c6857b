"""Section detection across formats: every dev document of ../shared rendered as DOCX (plain
paragraphs, no heading styles, as most authors type them), PDF and TXT, parsed back, and each labelled
heading looked up with its exact text. Skipped when ../shared is absent.

Usage: .venv/bin/python bench/check_formats.py [--dev ../shared/corpus/dev]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.render_documents import make_docx, make_pdf, make_txt  # noqa: E402
from indexing.config import Settings  # noqa: E402
from indexing.parse import parse_document  # noqa: E402


def items_from_markdown(body: str) -> list:
    """`**bold**` and upper-case lines bold, `|` rows a table (PDF: lines), everything else a plain paragraph."""
    items, rows = [], []
    for line in body.splitlines() + [""]:
        line = line.strip().lstrip("#").strip()
        if line.startswith("|"):
            if not set(line) <= set("|-: "):
                rows.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if rows:
            items.append(("table", rows))
            rows = []
        if line.startswith("**") and line.endswith("**") and len(line) > 4:
            items.append(("bold", line.strip("*").strip()))
        elif line:
            items.append(("bold", line) if line.isupper() else ("para", line))
    return items


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", type=Path, default=REPO.parent / "shared" / "corpus" / "dev")
    args = parser.parse_args()
    if not args.dev.exists():
        print(f"no labelled corpus at {args.dev}; skipped")
        return 0
    totals: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for family in sorted(p for p in args.dev.iterdir() if (p / "labels.json").exists()):
            labels = json.loads((family / "labels.json").read_text(encoding="utf-8"))
            for letter, info in sorted(labels["docs"].items()):
                source = family / f"{letter}.md"
                if not source.exists():
                    continue
                wanted = set(labels.get("evidence", {}).get(letter, {})) | set(info.get("copied_sections") or [])
                body = source.read_text(encoding="utf-8").split("---\n", 2)[2]
                items = items_from_markdown(body)
                pdf_items = [i for it in items
                             for i in ([("para", " | ".join(r)) for r in it[1]] if it[0] == "table" else [it])]
                files = {
                    "docx": make_docx(out / f"{family.name}{letter}.docx", items),
                    "pdf": make_pdf(out / f"{family.name}{letter}.pdf", pdf_items),
                    "txt": make_txt(out / f"{family.name}{letter}.txt", body.replace("**", "")),
                }
                for fmt, path in files.items():
                    doc = parse_document(path, Settings())
                    found = {s.heading for s in doc.sections}
                    missed = sorted(wanted - found)
                    ok, n = totals.setdefault(fmt, [0, 0])
                    totals[fmt] = [ok + len(wanted) - len(missed), n + len(wanted)]
                    template_ok = doc.template == info.get("template")
                    if missed or not template_ok:
                        print(f"{family.name}/{letter}.{fmt}: template {doc.template} "
                              f"(expected {info.get('template')}); missed {missed}")
    for fmt, (ok, n) in totals.items():
        print(f"{fmt}: labelled headings found with exact text {ok}/{n}")
    return 0 if all(ok == n for ok, n in totals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
