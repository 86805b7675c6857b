"""Quality harness for the novelty check.

One archive holds the archive documents of every labelled family (dev families of ../shared and the
families written for this project in bench/families: A, extra versions A2/A3 of a cluster, or a real
document named by `archive_source`) plus the real documents of ../shared as distractors. Every
submission (B/C/D) is checked and judged against its labels:
- `paraphrase`: verdict duplicate with its source on top, and every other version (`also_duplicates`)
  named as a duplicate source too;
- `same_topic_novel`: no source flagged duplicate or partial;
- `partial_copy`: its source flagged partial with the copied sections named;
- `scattered_copy`: never green: the verdict is one of `expected_verdict` with its source named.

Then leave-one-family-out: the document-level thresholds (`matching.VerdictRule`) are chosen on the
other families only and the held-out family is judged with them; the margins between the weakest
duplicate and the strongest non-duplicate are printed. Families whose files are missing (e.g. no
../shared) are skipped; exit status 1 when a shipped verdict is wrong.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexing.archive import Archive  # noqa: E402
from indexing.config import get_settings  # noqa: E402
from indexing.matching import VerdictRule, fit_rule, source_verdict  # noqa: E402
from indexing.store import DocMeta  # noqa: E402

SHARED = REPO.parent / "shared" / "corpus"
DEMO_ARCHIVE = REPO / "data" / "demo" / "archive"
FLAGGED = ("duplicate", "partial")


@dataclass
class Case:
    family: str
    letter: str
    path: Path
    info: dict
    sources: list = field(default_factory=list)  # SourceComparison, best first
    verdict: str = ""
    score: float = 0.0


def archive_files(family: Path, labels: dict) -> dict[str, Path]:
    """Letter -> file of every archive document of a family (None when a file is missing)."""
    found = {}
    for letter, info in labels["docs"].items():
        if info.get("role") != "archive":
            continue
        path = SHARED / info["archive_source"] if info.get("archive_source") else family / f"{letter}.md"
        found[letter] = path if path.exists() else None
    return found


def load_families(roots: list[Path]) -> list[tuple[Path, dict]]:
    families = []
    for root in roots:
        if root.exists():
            families += [(p, json.loads((p / "labels.json").read_text(encoding="utf-8")))
                         for p in sorted(root.iterdir()) if (p / "labels.json").exists()]
    return [(p, labels) for p, labels in families if all(archive_files(p, labels).values())]


def judge(case: Case, ids: dict[tuple[str, str], str], verdict_of) -> tuple[bool, str]:
    """(right?, detail) for one submission, with `verdict_of(source)` deciding each source."""
    info, fam = case.info, case.family
    decided = [(s, verdict_of(s)) for s in case.sources]
    flagged = [(s, v) for s, v in decided if v in FLAGGED]
    kind = info.get("kind")
    if kind == "paraphrase":
        versions = {ids[fam, x] for x in [info["duplicate_of"], *info.get("also_duplicates", [])]}
        dups = [s for s, v in decided if v == "duplicate"]
        # Duplicates are listed first, best first: one of the versions on top, every version named.
        ok = bool(dups) and dups[0].doc_id in versions and versions <= {s.doc_id for s in dups}
        return ok, f"duplicates={[s.doc_id for s in dups][:4]}"
    if kind == "same_topic_novel":
        return not flagged, f"flagged={[(s.doc_id, v) for s, v in flagged]}"
    if kind == "partial_copy":
        target = ids[fam, info.get("copied_from") or "A"]
        src = next(((s, v) for s, v in decided if s.doc_id == target), None)
        expected = set(info.get("copied_sections") or [])
        found = set(src[0].copied_sections) if src and src[1] == "partial" else set()
        ok = src is not None and src[1] == "partial" and expected <= found
        return ok, f"copied={sorted(found)} expected={sorted(expected)}"
    if kind == "scattered_copy":
        target = ids[fam, info.get("copied_from") or "A"]
        src = next(((s, v) for s, v in decided if s.doc_id == target), None)
        ok = src is not None and src[1] in info.get("expected_verdict", FLAGGED)
        return ok, f"source verdict={src[1] if src else None}"
    return True, "unlabelled kind"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "eval")
    parser.add_argument("--families", type=Path, nargs="+",
                        default=[SHARED / "dev", REPO / "bench" / "families", REPO / "bench" / "heldout"])
    parser.add_argument("--real", type=Path, default=SHARED / "real")
    parser.add_argument("--distractors", type=int, default=None, help="index only the first N real documents")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    families = load_families(args.families)
    if not families:
        print("no labelled families found; eval skipped")
        return 0
    archive = Archive(get_settings(data_dir=args.data_dir))
    ids, cases = build_archive(archive, families, args)
    for case in cases:
        started = time.perf_counter()
        report = archive.check_file(case.path)
        case.seconds = time.perf_counter() - started
        sim = report.similarity
        case.sources, case.verdict, case.score = sim.sources, sim.verdict, sim.score
    shipped_ok = print_shipped(cases, ids, args.verbose)
    shipped_ok &= print_distinct_initiatives(archive, ids)
    print_lofo(cases, ids)
    times = [c.seconds for c in cases]
    print(f"median check time: {statistics.median(times):.1f} s per submission "
          f"(archive of {archive.store.count_documents()} documents, this machine: 2 CPU cores)")
    return 0 if shipped_ok else 1


def build_archive(archive: Archive, families, args) -> tuple[dict, list[Case]]:
    started = time.perf_counter()
    ids: dict[tuple[str, str], str] = {}
    used_real: set[Path] = set()
    cases = []
    for family, labels in families:
        for letter, path in archive_files(family, labels).items():
            info = labels["docs"][letter]
            ids[family.name, letter] = archive.add_file(path, DocMeta(title=info.get("title", ""))).doc_id
            used_real.add(path.resolve())
        for letter, info in sorted(labels["docs"].items()):
            if info.get("role") == "submission" and (family / f"{letter}.md").exists():
                cases.append(Case(family.name, letter, family / f"{letter}.md", info))
    # The demo archive: eight distinct initiatives (two of them on one problem, hypertension, with
    # different solutions), none a copy of another.
    for path in sorted(DEMO_ARCHIVE.glob("*.md")):
        ids["demo", path.stem] = archive.add_file(path).doc_id
    distractors = [p for p in sorted(args.real.glob("*.txt")) if p.resolve() not in used_real] \
        if args.real.exists() else []
    if args.distractors is not None:
        distractors = distractors[: args.distractors]
    for path in distractors:
        archive.add_file(path, DocMeta(title=path.stem))
    demo = sum(1 for family, _ in ids if family == "demo")
    print(f"archive: {archive.store.count_documents()} documents ({len(ids) - demo} archive documents of "
          f"{len(families)} families + {demo} demo initiatives + {len(distractors)} real distractors), ready in "
          f"{time.perf_counter() - started:.0f} s")
    return ids, cases


def print_distinct_initiatives(archive: Archive, ids) -> bool:
    """Each demo archive document checked against the archive without itself: no other demo
    document may come out as its duplicate or partial copy."""
    demo = {doc_id: name for (family, name), doc_id in ids.items() if family == "demo"}
    flagged = []
    for doc_id, name in demo.items():
        report = archive.check_document(archive.stored_document(doc_id), exclude=doc_id)
        flagged += [(name, demo[s.doc_id], s.verdict) for s in report.similarity.sources
                    if s.doc_id in demo and s.verdict in FLAGGED]
    print(f"\ndemo archive, {len(demo)} distinct initiatives checked against each other: "
          f"{len(flagged)} flagged" + "".join(f"\n  WRONG {a} -> {b}: {v}" for a, b, v in flagged))
    return not flagged


def print_shipped(cases: list[Case], ids, verbose: bool) -> bool:
    print("\n## verdicts as shipped (thresholds in indexing/matching.py)")
    tally: dict[str, list[int]] = {}
    for case in cases:
        ok, detail = judge(case, ids, lambda s: s.verdict)
        kind = case.info.get("kind")
        tally.setdefault(kind, [0, 0])[0] += ok
        tally[kind][1] += 1
        top = case.sources[0] if case.sources else None
        line = (f"{case.family}/{case.letter} [{kind}] verdict={case.verdict} score={case.score:.2f}"
                + (f" top={top.doc_id}:{top.verdict} reworded={top.features.solution_paraphrase:.2f}" if top else "")
                + f"  {detail}  {'OK' if ok else 'WRONG'}")
        print(line)
        if verbose:
            for s in case.sources[:4]:
                f = s.features
                print(f"    {s.doc_id} {s.verdict} cov={s.coverage:.3f} solution: reworded={f.solution_paraphrase:.3f} "
                      f"copied={f.solution_copied:.3f}; copied share={f.copied_share:.2f} strong={s.strong_matches} "
                      f"words={s.copied_words} run={s.longest_run} versions={len(s.versions)} {s.title[:40]}")
    names = {"paraphrase": "re-worded duplicates flagged, their source(s) named",
             "same_topic_novel": "same-topic new initiatives NOT flagged",
             "partial_copy": "partial copies flagged partial, copied sections named",
             "scattered_copy": "copies scattered in a long document not reported green"}
    print()
    for kind, (ok, n) in sorted(tally.items()):
        print(f"{names.get(kind, kind):58s} {ok}/{n}")
    return all(ok == n for ok, n in tally.values())


def print_lofo(cases: list[Case], ids) -> None:
    """Leave-one-family-out: thresholds fitted on the other families judge the held-out one."""
    print("\n## leave-one-family-out (document-level thresholds fitted without the family scored)")
    families = sorted({c.family for c in cases})
    total_ok = total = 0
    for family in families:
        train = [c for c in cases if c.family != family]
        rule = fit_rule(training_examples(train, ids))
        held = [c for c in cases if c.family == family]
        results = [judge(c, ids, lambda s, rule=rule: source_verdict(s, rule))[0] for c in held]
        total_ok += sum(results)
        total += len(results)
        examples = training_examples(held, ids)
        dups = [x.features.solution_paraphrase for x, label in examples if label == "duplicate"]
        others = [x.features.solution_paraphrase for x, label in examples if label != "duplicate"]
        margin = (f"weakest duplicate {min(dups):.2f}" if dups else "no duplicate") + \
            (f", strongest other {max(others):.2f}" if others else "")
        print(f"{family:7s} {sum(results)}/{len(results)}  threshold {rule.duplicate_solution:.2f} "
              f"(fitted on the other families); re-worded solution share: {margin}"
              + ("" if all(results) else "  <- WRONG"))
    print(f"leave-one-family-out: {total_ok}/{total} submissions judged right")
    examples = training_examples(cases, ids)
    rule = VerdictRule()
    # Duplicates found by re-wording (not by a wholesale or solution copy) against everything else.
    reworded = [x for x, label in examples if label == "duplicate" and x.features.copied_share < rule.wholesale_copy
                and x.features.solution_copied < rule.copied_solution]
    others = [x for x, label in examples if label != "duplicate"]
    if reworded and others:
        weakest = min(reworded, key=lambda s: s.features.solution_paraphrase)
        strongest = max(others, key=lambda s: s.features.solution_paraphrase)
        print(f"margin on the re-worded share of the solution: weakest duplicate "
              f"{weakest.features.solution_paraphrase:.2f} ({weakest.title[:40]}), strongest non-duplicate "
              f"{strongest.features.solution_paraphrase:.2f} ({strongest.title[:40]}); shipped threshold "
              f"{rule.duplicate_solution:.2f}")
    if reworded and others:
        # The source side: how much of the source's own solution the matches land on.
        suspects = [x for x in others if x.features.solution_paraphrase >= rule.duplicate_solution]
        weakest = min(reworded, key=lambda s: s.features.source_solution)
        line = (f"margin on the share of the source's solution matched: weakest duplicate "
                f"{weakest.features.source_solution:.2f} ({weakest.title[:40]})")
        if suspects:
            strongest = max(suspects, key=lambda s: s.features.source_solution)
            line += (f", strongest non-duplicate above the re-worded threshold "
                     f"{strongest.features.source_solution:.2f} ({strongest.title[:40]})")
        print(line + f"; shipped threshold {rule.source_solution:.2f}")
    copies = [x for x, label in examples if label != "duplicate"]
    if copies:
        worst = max(copies, key=lambda s: s.features.solution_copied)
        print(f"strongest non-duplicate copy of a solution: {worst.features.solution_copied:.2f} "
              f"({worst.title[:40]}); shipped threshold {rule.copied_solution:.2f}")


def training_examples(cases: list[Case], ids) -> list[tuple[object, str]]:
    """(source comparison, gold verdict) pairs: the labelled source of each submission and every
    other candidate source (which must not be a duplicate)."""
    examples = []
    for case in cases:
        info = case.info
        gold_ids = {}
        if info.get("kind") == "paraphrase":
            for letter in [info["duplicate_of"], *info.get("also_duplicates", [])]:
                gold_ids[ids[case.family, letter]] = "duplicate"
        elif info.get("kind") == "partial_copy":
            gold_ids[ids[case.family, info.get("copied_from") or "A"]] = "partial"
        elif info.get("kind") == "scattered_copy":
            gold_ids[ids[case.family, info.get("copied_from") or "A"]] = "partial"
        for s in case.sources:
            examples.append((s, gold_ids.get(s.doc_id, "none")))
    return examples


if __name__ == "__main__":
    sys.exit(main())
