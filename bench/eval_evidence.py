"""Evidence statuses (indexing/evidence.py) against labelled families: agreement per family, per
status, the confusion table and every disagreement with an excerpt of the section.

The rules have no parameter fitted to the labels, so leave-one-family-out agreement is each family's
own agreement; `bench/heldout` holds families written to the same convention and kept out of rule
writing (the honest estimate on unseen documents). Skipped for a corpus that is absent.
Usage: .venv/bin/python bench/eval_evidence.py [--corpus ../shared/corpus/dev] [--quiet]
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

from indexing.config import Settings  # noqa: E402
from indexing.evidence import STATUSES, analyze_evidence, load_lexicon  # noqa: E402
from indexing.parse import parse_document  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "dev"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--excerpt", type=int, default=400)
    parser.add_argument("--quiet", action="store_true", help="figures only, no disagreement listing")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}; skipped")
        return 0
    settings = Settings()
    confusion: Counter = Counter()
    per_family: dict[str, list[int]] = {}
    disagreements, unmatched = [], []
    for labels_path in sorted(args.corpus.glob("*/labels.json")):
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        for letter, expected in labels.get("evidence", {}).items():
            doc_path = labels_path.parent / f"{letter}.md"
            doc = parse_document(doc_path, settings)
            report = analyze_evidence(doc, load_lexicon(settings.lexicons_dir))
            by_heading = {}
            for item in report.sections:
                by_heading.setdefault(item.heading, item)
            for heading, gold in expected.items():
                item = by_heading.get(heading)
                if item is None:
                    unmatched.append(f"{labels_path.parent.name}/{letter}: {heading}")
                    continue
                confusion[gold, item.status] += 1
                tally = per_family.setdefault(labels_path.parent.name, [0, 0])
                tally[0] += gold == item.status
                tally[1] += 1
                if gold != item.status:
                    index = next(i for i, s in enumerate(doc.sections) if s.heading == heading)
                    body = doc.sections[index].body(doc.text)
                    disagreements.append((f"{labels_path.parent.name}/{letter}", heading, item.kind, gold,
                                          item, re.sub(r"\s+", " ", body)[: args.excerpt]))
    total = sum(confusion.values())
    correct = sum(n for (g, p), n in confusion.items() if g == p)
    print(f"{args.corpus}: sections judged: {total}, exact agreement: {correct / max(total, 1):.1%}")
    print("  per family (leave-one-family-out: no parameter is fitted to the labels): " + ", ".join(
        f"{name} {ok}/{n}" for name, (ok, n) in sorted(per_family.items())))
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
    if args.quiet:
        return 0
    for where, heading, kind, gold, item, excerpt in disagreements:
        print(f"- {where} [{kind}] {heading!r}: gold={gold} predicted={item.status}")
        for finding in item.findings:
            print(f"    · {finding}")
        print(f"    > {excerpt}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
