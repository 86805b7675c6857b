"""Quality harness for the novelty check (issue: near-duplicate report).

Indexes the A documents of ../shared/corpus/dev/* plus the real documents as distractors, checks every
B/C/D and prints: re-worded duplicates found with the right source on top, same-topic new initiatives
wrongly flagged, partial copies found with their copied sections located, and the median check time.
Also runs on any folder of families in the same layout (e.g. data/demo via --families data/demo/families).
Skipped (exit 0) when ../shared is absent: a user's clone has no such folder.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexing.archive import Archive  # noqa: E402
from indexing.config import get_settings  # noqa: E402
from indexing.store import DocMeta  # noqa: E402

SHARED = REPO.parent / "shared" / "corpus"


def flagged_sections(source: dict) -> set[str]:
    return set(source.get("copied_sections") or [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "eval")
    parser.add_argument("--dev", type=Path, default=SHARED / "dev")
    parser.add_argument("--real", type=Path, default=SHARED / "real")
    parser.add_argument("--distractors", type=int, default=None, help="index only the first N real documents")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not args.dev.exists():
        print(f"no labelled corpus at {args.dev}; eval skipped")
        return 0

    archive = Archive(get_settings(data_dir=args.data_dir))
    families = sorted(p for p in args.dev.iterdir() if (p / "labels.json").exists())
    distractors = sorted(args.real.glob("*.txt")) if args.real.exists() else []
    if args.distractors is not None:
        distractors = distractors[: args.distractors]

    started = time.perf_counter()
    archive_ids: dict[str, str] = {}
    for family in families:
        archive_ids[family.name] = archive.add_file(family / "A.md").doc_id
    for path in distractors:
        archive.add_file(path, DocMeta(title=path.stem))
    print(f"archive: {archive.store.count_documents()} documents "
          f"({len(families)} dev A docs + {len(distractors)} real distractors), "
          f"indexed/verified in {time.perf_counter() - started:.0f} s")

    dup_ok = dup_n = false_flags = c_n = part_ok = part_n = 0
    times = []
    for family in families:
        labels = json.loads((family / "labels.json").read_text(encoding="utf-8"))
        for letter, info in sorted(labels["docs"].items()):
            if info.get("role") != "submission" or not (family / f"{letter}.md").exists():
                continue
            t0 = time.perf_counter()
            report = archive.check_file(family / f"{letter}.md").to_dict()
            times.append(time.perf_counter() - t0)
            sim = report["similarity"]
            sources = sim["sources"]
            top = sources[0] if sources else None
            target = archive_ids.get(family.name)
            kind = info.get("kind")
            line = f"{family.name}/{letter} [{kind}] verdict={sim['verdict']} score={sim['score']:.2f}"
            if top:
                line += f" top={top['doc_id']}{'(A)' if top['doc_id'] == target else ''}:{top['verdict']}" \
                        f" cov={top['coverage']:.2f}"
            if kind == "paraphrase":
                dup_n += 1
                ok = bool(top) and top["doc_id"] == target and top["verdict"] == "duplicate"
                dup_ok += ok
                line += "  OK" if ok else "  MISSED"
            elif kind == "same_topic_novel":
                c_n += 1
                flagged = any(s["verdict"] in ("duplicate", "partial") for s in sources)
                false_flags += flagged
                line += "  FALSE FLAG" if flagged else "  OK"
            elif kind == "partial_copy":
                part_n += 1
                src = next((s for s in sources if s["doc_id"] == target), None)
                expected = set(info.get("copied_sections") or [])
                found = flagged_sections(src) if src else set()
                ok = bool(src) and src["verdict"] == "partial" and expected <= found
                part_ok += ok
                line += f"  copied={sorted(found)}" + ("  OK" if ok else f"  MISSED (expected {sorted(expected)})")
            print(line)
            if args.verbose:
                for s in sources[:3]:
                    print(f"    {s['doc_id']} {s['verdict']} cov={s['coverage']:.3f} score={s['score']:.3f} "
                          f"matches={len(s['matches'])} {s['title'][:60]}")

    print()
    print(f"re-worded duplicates found with the right source on top: {dup_ok}/{dup_n}")
    print(f"same-topic new initiatives wrongly flagged:              {false_flags}/{c_n}")
    print(f"partial copies found with copied sections named:         {part_ok}/{part_n}")
    if times:
        print(f"median check time: {statistics.median(times):.1f} s per submission "
              f"(archive of {archive.store.count_documents()} documents, this machine: 2 CPU cores)")
    return 0 if (dup_ok == dup_n and false_flags == 0 and part_ok == part_n) else 1


if __name__ == "__main__":
    sys.exit(main())
