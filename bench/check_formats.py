"""Format invariance: every labelled document of ../shared/corpus/dev (or `--dev bench/families`) rendered
as DOCX, PDF, TXT and legacy DOC the way authors type them, parsed back, and its section tree compared
with the Markdown parse of the same text.

How the renderings look:
- DOCX: plain paragraphs, no heading styles (as most authors type them); Markdown headings, `**bold**`
  and upper-case lines are bold paragraphs, lettered sub-headings "a) ..." stay plain paragraphs,
  tables are Word tables.
- DOCX-AUTO: the same, but what Word's AutoFormat makes of a typed "a) ..." or "1. ...": automatic
  numbering, the label no longer in the paragraph's text.
- DOCX-STYLES: Markdown headings as Word heading styles (Heading 1, 2, ...), everything else as DOCX.
- PDF: Markdown headings in a bigger bold font, bold lines bold, tables drawn as grids; long headings
  wrap over two lines or more (the summary says how many did).
- TXT: the text without any markup (what "Save as plain text" gives).
- DOC, DOC-AUTO: the DOCX and DOCX-AUTO renderings converted by LibreOffice (`soffice --convert-to doc`);
  skipped when soffice is missing.

For each document the list of (heading, level, kind) must be identical to the Markdown parse; each
difference is printed, then one summary line per format (with how many documents get a passage count
within one of the Markdown parse's). The labelled headings (evidence and copied
sections) are also looked up with their exact text, as before.

Usage: .venv/bin/python bench/check_formats.py [--dev ../shared/corpus/dev] [--formats docx,pdf,...]
"""
from __future__ import annotations

import argparse
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.render_documents import (  # noqa: E402
    docx_items,
    items_from_markdown,
    make_docx,
    make_pdf,
    make_txt,
    pdf_wrapped_headings,
    plain_text,
)
from indexing.chunking import make_passages  # noqa: E402
from indexing.config import Settings  # noqa: E402
from indexing.parse import parse_document  # noqa: E402

FORMATS = ("docx", "docx-auto", "docx-styles", "pdf", "txt", "doc", "doc-auto")
DOC_FROM = {"doc": "docx", "doc-auto": "docx-auto"}  # the DOCX rendering each .doc is converted from


def tree(doc) -> list[tuple[str, int, str]]:
    return [(s.heading, s.level, s.kind) for s in doc.sections]


def convert_to_doc(docx_files: list[Path], out: Path) -> dict[Path, Path]:
    """One LibreOffice run for all files, with a private profile (a running soffice keeps its own)."""
    tool = shutil.which("soffice") or shutil.which("libreoffice")
    if tool is None or not docx_files:
        return {}
    target = out / "doc"
    target.mkdir(exist_ok=True)
    subprocess.run(
        [tool, f"-env:UserInstallation={(out / 'lo-profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "doc", "--outdir", str(target), *map(str, docx_files)],
        capture_output=True, timeout=60 + 10 * len(docx_files), check=False,
    )
    return {f: target / (f.stem + ".doc") for f in docx_files if (target / (f.stem + ".doc")).is_file()}


def show_diff(name: str, reference: list, other: list) -> int:
    """Print the rows that differ; returns how many rows of either side are not matched."""
    fmt = lambda row: f"L{row[1]} {row[2]:<13} {row[0]}"  # noqa: E731
    changed = 0
    matcher = difflib.SequenceMatcher(a=reference, b=other, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            continue
        changed += max(a1 - a0, b1 - b0)
        for row in reference[a0:a1]:
            print(f"  {name}  - md   {fmt(row)}")
        for row in other[b0:b1]:
            print(f"  {name}  + {name.rsplit('.', 1)[1]:<4} {fmt(row)}")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", type=Path, default=REPO.parent / "shared" / "corpus" / "dev")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset of " + ",".join(FORMATS))
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    if unknown := set(formats) - set(FORMATS):
        parser.error(f"unknown formats {sorted(unknown)}")
    if not args.dev.exists():
        print(f"no labelled corpus at {args.dev}; skipped")
        return 0
    settings = Settings()
    docs: list[tuple[str, Path, dict, set]] = []  # name, source, label info, labelled headings
    for family in sorted(p for p in args.dev.iterdir() if (p / "labels.json").exists()):
        labels = json.loads((family / "labels.json").read_text(encoding="utf-8"))
        for letter, info in sorted(labels["docs"].items()):
            source = family / f"{letter}.md"
            if source.exists():
                wanted = set(labels.get("evidence", {}).get(letter, {})) | set(info.get("copied_sections") or [])
                docs.append((f"{family.name}/{letter}", source, info, wanted))

    same = {fmt: 0 for fmt in formats}
    close = {fmt: 0 for fmt in formats}  # documents whose passage count is within 1 of the Markdown one
    spread = {fmt: 0 for fmt in formats}  # the largest passage count difference
    rows_off = {fmt: 0 for fmt in formats}
    found = {fmt: [0, 0] for fmt in ["md", *formats]}
    rows_total, wrapped = 0, 0
    missing_tool = False
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rendered: dict[str, dict[str, Path]] = {}
        for name, source, _, _ in docs:
            stem = name.replace("/", "_")
            body = source.read_text(encoding="utf-8").split("---\n", 2)[2]
            items = items_from_markdown(body)
            files = {}
            if {"docx", "doc"} & set(formats):
                files["docx"] = make_docx(out / f"{stem}.docx", docx_items(items))
            if {"docx-auto", "doc-auto"} & set(formats):
                files["docx-auto"] = make_docx(out / f"{stem}-auto.docx", docx_items(items), auto_numbering=True)
            if "docx-styles" in formats:
                files["docx-styles"] = make_docx(out / f"{stem}-styles.docx", items)
            if "pdf" in formats:
                files["pdf"] = make_pdf(out / f"{stem}.pdf", items)
                wrapped += pdf_wrapped_headings(items)
            if "txt" in formats:
                files["txt"] = make_txt(out / f"{stem}.txt", plain_text(items))
            rendered[name] = files
        sources = [files[DOC_FROM[fmt]] for fmt in formats if fmt in DOC_FROM for files in rendered.values()]
        converted = convert_to_doc(sources, out)
        missing_tool = bool(sources) and not converted
        for fmt in [fmt for fmt in formats if fmt in DOC_FROM]:
            for files in rendered.values():
                if files[DOC_FROM[fmt]] in converted:
                    files[fmt] = converted[files[DOC_FROM[fmt]]]

        for name, source, info, wanted in docs:
            reference_doc = parse_document(source, settings)
            reference = tree(reference_doc)
            passages = len(make_passages(reference_doc))
            rows_total += len(reference)
            for fmt in [fmt for fmt in formats if fmt not in rendered[name] and not missing_tool]:
                print(f"{name}.{fmt}: not rendered (LibreOffice could not convert it)")
            for fmt, doc in [("md", reference_doc)] + [
                (fmt, parse_document(rendered[name][fmt], settings)) for fmt in formats if fmt in rendered[name]
            ]:
                headings = {s.heading for s in doc.sections}
                found[fmt][0] += len(wanted & headings)
                found[fmt][1] += len(wanted)
                if fmt == "md":
                    continue
                if doc.template != reference_doc.template:
                    print(f"{name}.{fmt}: template {doc.template}, Markdown {reference_doc.template} "
                          f"(labelled {info.get('template')})")
                off = show_diff(f"{name}.{fmt}", reference, tree(doc))
                rows_off[fmt] += off
                same[fmt] += off == 0 and doc.template == reference_doc.template
                difference = abs(len(make_passages(doc)) - passages)
                if difference > 1:
                    print(f"{name}.{fmt}: {len(make_passages(doc))} passages, Markdown {passages}")
                close[fmt] += difference <= 1
                spread[fmt] = max(spread[fmt], difference)

    print(f"{len(docs)} documents, {rows_total} Markdown sections; {wrapped} headings wrap in the PDF renderings")
    for fmt in formats:
        if fmt in DOC_FROM and missing_tool:
            print(f"{fmt}: skipped (LibreOffice soffice not found or conversion failed)")
            continue
        ok, n = found[fmt]
        print(f"{fmt}: section trees identical to Markdown {same[fmt]}/{len(docs)}; rows differing "
              f"{rows_off[fmt]}/{rows_total}; passages within ±1 {close[fmt]}/{len(docs)} (max off by "
              f"{spread[fmt]}); labelled headings found with exact text {ok}/{n}")
    ok, n = found["md"]
    print(f"md: labelled headings found with exact text {ok}/{n}")
    done = [fmt for fmt in formats if not (fmt in DOC_FROM and missing_tool)]
    return 0 if all(same[fmt] == len(docs) for fmt in done) else 1


if __name__ == "__main__":
    sys.exit(main())
