"""Benchmarks: indexing throughput, check latency against growing archives, resumable bulk import.

Prints figures (nothing is asserted) and writes them to bench/out/bench-<date>[-quick].txt:
1. indexing throughput of the demo archive (+ real documents of ../shared/corpus/real when present):
   passages/s and pages/min (1 page = 500 words) through `Archive.add_file`, next to the bare model's
   `Embedder.encode_passages` on the same passages, with a per-stage breakdown (timers wrapped around
   the pipeline functions, no product hooks);
2. check latency of a ~20-page submission against synthetic archives of 100 / 1,000 / 10,000 documents
   (real passage texts, vectors perturbed from their real embeddings, ~40 passages per document);
   every size is measured in a fresh subprocess so its peak RSS is the checker's own;
3. resumable import: `sangkien index FOLDER` killed with SIGKILL mid-way, then run again.

    .venv/bin/python bench/bench.py --data-dir ./var/bench [--quick] [--real 8]

Set SANGKIEN_MODEL to an already built model folder to skip building it (otherwise it is built once,
into SANGKIEN_MODEL_CACHE_DIR or <data-dir>/models, and shared by every archive of the bench).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexing.archive import Archive  # noqa: E402
from indexing.config import get_settings  # noqa: E402
from indexing.document import Document, Passage  # noqa: E402
from indexing.store import ArchiveStore, DocMeta  # noqa: E402
from indexing.vector_index import VectorIndex, index_consistent  # noqa: E402

SHARED_REAL = REPO.parent / "shared" / "corpus" / "real"
DEMO = REPO / "data" / "demo"
SEARCH_QUERIES = REPO / "bench" / "search" / "queries_dev.jsonl"
WORDS_PER_PAGE = 500
SUBMISSION_WORDS = 10_000
PASSAGES_PER_DOC = 40
# Noise added to a real passage vector for a synthetic one: cosine to the original ~0.9, about what
# two re-wordings of one statement score with e5-small, so neighbourhoods look like real ones.
VECTOR_NOISE = 0.48


class Output:
    """print() that also keeps the lines for the report file."""

    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


class Stages:
    """Wall time per pipeline stage, collected by wrapping the functions that implement each stage."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, stack: contextlib.ExitStack, owner, name: str, stage: str) -> None:
        original = getattr(owner, name)
        own = name in vars(owner)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        setattr(owner, name, timed)
        stack.callback(setattr, owner, name, original) if own else stack.callback(delattr, owner, name)


def peak_rss_mb() -> float:
    """This process's own peak: VmHWM resets on exec, ru_maxrss keeps the parent's high-water mark."""
    with contextlib.suppress(OSError), open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    mem = ""
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        kb = next((int(line.split()[1]) for line in fh if line.startswith("MemTotal")), 0)
        mem = f", {kb / 1024 ** 2:.1f} GiB RAM"
    usable = len(os.sched_getaffinity(0))
    return f"{cpu}, {os.cpu_count()} logical cores ({usable} usable){mem}; Python {platform.python_version()}"


def real_documents(count: int) -> list[Path]:
    """`count` real documents spread over the size-sorted corpus (short reports to long decrees)."""
    if count <= 0 or not SHARED_REAL.exists():
        return []
    files = sorted(SHARED_REAL.glob("*.txt"), key=lambda p: (p.stat().st_size, p.name))
    step = max(1, len(files) // count)
    return files[::step][:count]


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# --- 1. indexing throughput ------------------------------------------------------------------------

def bench_throughput(data_dir: Path, real_count: int, out: Output) -> Archive:
    from indexing import archive as archive_module
    from indexing import parse as pipeline
    from indexing.chunking import make_passages
    from indexing.import_csv import read_manifest

    out("## 1. Indexing throughput (Archive.add_file: parse + chunk + embed + store + FAISS)")
    archive = Archive(get_settings(data_dir=fresh_dir(data_dir)))
    started = time.perf_counter()
    archive.embedder.encode_passages(["khởi động mô hình"])
    model_load = time.perf_counter() - started
    started = time.perf_counter()
    warm_up = make_passages(pipeline.parse_document(DEMO / "submissions" / "original.md", archive.settings))
    segmenter_load = time.perf_counter() - started
    # The first encode calls pay for torch's kernel set-up; neither side of the comparison should.
    started = time.perf_counter()
    archive.embedder.encode_passages([p.text for p in warm_up])
    encoder_warm_up = time.perf_counter() - started
    out(f"one-off costs (excluded below): model load {model_load:.1f} s, first parse+segment {segmenter_load:.1f} s, "
        f"encoder warm-up {encoder_warm_up:.1f} s")

    jobs = [(path, DocMeta(**{k: v for k, v in meta.items() if v is not None}))
            for path, meta in read_manifest(DEMO / "manifest.csv")]
    jobs += [(path, DocMeta(title=path.stem)) for path in real_documents(real_count)]

    stages = Stages()
    with contextlib.ExitStack() as stack:
        for owner, name, stage in [
            (pipeline, "extract", "extract"),
            (pipeline, "normalize_blocks", "normalise"),
            (pipeline, "detect_sections", "sections"),
            (pipeline, "guess_title", "sections"),
            (archive_module, "make_passages", "chunk (sentence segmentation)"),
            (archive.embedder, "encode_passages", "embed"),
            (archive.store, "add_document", "store (SQLite + FTS)"),
            (archive.store, "find_by_hash", "store (SQLite + FTS)"),
            (VectorIndex, "add", "FAISS add + save"),
            (VectorIndex, "save", "FAISS add + save"),
        ]:
            stages.wrap(stack, owner, name, stage)
        started = time.perf_counter()
        for path, meta in jobs:
            archive.add_file(path, meta)
        total = time.perf_counter() - started

    store = archive.store
    docs, _ = store.list_documents(limit=10_000)
    words = sum(len(store.get_document(d.id).text.split()) for d in docs)
    passages = store.passages_by_ids(store.passage_ids())
    texts = [p.text for p in passages]
    started = time.perf_counter()
    archive.embedder.encode_passages(texts)
    bare = time.perf_counter() - started

    pages = words / WORDS_PER_PAGE
    real = len(jobs) - 8
    real_note = f" + {real} real documents from ../shared" if real else (
        "" if SHARED_REAL.exists() else " (../shared absent)")
    out(f"corpus: {len(docs)} documents = 8 demo{real_note}; {words:,} words = {pages:.0f} pages "
        f"(1 page = {WORDS_PER_PAGE} words); {len(texts):,} passages")
    out(f"pipeline : {total:7.1f} s  {len(texts) / total:6.1f} passages/s  {pages / total * 60:6.1f} pages/min")
    out(f"bare model: {bare:7.1f} s  {len(texts) / bare:6.1f} passages/s  {pages / bare * 60:6.1f} pages/min"
        f"  (Embedder.encode_passages on the same passages, batch {archive.embedder.batch_size})")
    out(f"pipeline / bare model time: {total / bare:.2f}x "
        f"(overhead {100 * (total - bare) / total:.0f}% of pipeline time)")
    accounted = sum(stages.seconds.values())
    for stage, seconds in sorted(stages.seconds.items(), key=lambda kv: -kv[1]):
        out(f"  {stage:32s} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")
    out(f"  {'other (language check, meta)':32s} {total - accounted:7.2f} s  {100 * (total - accounted) / total:5.1f}%")
    out()
    return archive


# --- 2. check latency --------------------------------------------------------------------------------

def build_submission(path: Path, settings) -> tuple[int, int]:
    """A valid ~20-page initiative: the template sections of the first demo document, each filled with
    the same section's bodies from every demo document until ~10,000 words."""
    from indexing.parse import parse_document

    sources = sorted((DEMO / "archive").glob("*.md")) + sorted((DEMO / "submissions").glob("*.md"))
    docs = [parse_document(p, settings) for p in sources]
    headings: dict[str, str] = {}  # kind -> heading, in order of first appearance
    bodies: dict[str, list[str]] = defaultdict(list)
    words = 0
    for doc in docs:
        for s in doc.sections:
            if s.parent is None and words < SUBMISSION_WORDS:
                headings.setdefault(s.kind, s.heading)
                body = s.body(doc.text).strip()
                bodies[s.kind].append(body)
                words += len(body.split())
    parts = ["BÁO CÁO MÔ TẢ SÁNG KIẾN", "", f"Tên sáng kiến: {docs[0].title}", ""]
    for kind, heading in headings.items():
        parts += [heading, "", "\n\n".join(bodies[kind]), ""]
    text = "\n".join(parts)
    path.write_text(text, encoding="utf-8")
    return len(text.split()), len(headings)


def synthetic_docs(pool_texts, pool_vectors, pool_meta, pool_docs, start: int, count: int, rng):
    """Documents made of real passages (mostly consecutive ones of one real document, some from
    elsewhere) with vectors perturbed from the real ones."""
    dim = pool_vectors.shape[1]
    by_doc = defaultdict(list)
    for i, d in enumerate(pool_docs):
        by_doc[d].append(i)
    groups = list(by_doc.values())
    for n in range(start, start + count):
        group = groups[rng.integers(len(groups))]
        size = int(rng.integers(PASSAGES_PER_DOC - 10, PASSAGES_PER_DOC + 11))
        offset = int(rng.integers(len(group)))
        picks = [group[(offset + k) % len(group)] if rng.random() < 0.7 else int(rng.integers(len(pool_texts)))
                 for k in range(size)]
        header = f"Sáng kiến tổng hợp số {n} của đơn vị thử nghiệm {n % 97}"
        text, passages, pos = [header], [], len(header) + 1
        for ordinal, i in enumerate(picks):
            heading, kind = pool_meta[i]
            passages.append(Passage(pool_texts[i], pos, pos + len(pool_texts[i]), None, heading, kind, ordinal))
            text.append(pool_texts[i])
            pos += len(pool_texts[i]) + 1
        noise = rng.standard_normal((size, dim)).astype(np.float32) * (VECTOR_NOISE / np.sqrt(dim))
        vectors = pool_vectors[picks] + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        doc = Document(text="\n".join(text), blocks=[], block_offsets=[], format="txt", title=header)
        yield doc, passages, vectors, DocMeta(title=header, year=2015 + n % 10)


def grow_archive(data_dir: Path, manifest: dict, pool, have: int, want: int, rng, out: Output) -> None:
    layout = get_settings(data_dir=data_dir)
    store = ArchiveStore(layout.archive_db)
    if store.meta_get("model_id") is None:
        store.meta_set("model_id", manifest["model_id"])
    index_dir = layout.index_dir
    index = VectorIndex.load(index_dir, manifest) if have else VectorIndex(manifest["dimension"], "Flat", manifest)
    started = time.perf_counter()
    ids, vectors = [], []
    for doc, passages, doc_vectors, meta in synthetic_docs(*pool, have, want - have, rng):
        # The title's vector: the mean of the document's (search reads it; embedding 10,000 made-up
        # titles would only slow the build down).
        title_vector = doc_vectors.mean(axis=0) / np.linalg.norm(doc_vectors.mean(axis=0))
        ids += store.passage_ids(store.add_document(doc, passages, doc_vectors, meta, title_vector))
        vectors.append(doc_vectors)
        if len(ids) >= 20_000:  # bounded memory: the vectors live in FAISS, not twice in Python
            index.add(ids, np.concatenate(vectors))
            ids, vectors = [], []
    if ids:
        index.add(ids, np.concatenate(vectors))
    stored = time.perf_counter() - started
    started = time.perf_counter()
    index.save(index_dir)
    saved = time.perf_counter() - started
    size = sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) / 1024 ** 2
    out(f"  built {want - have:,} documents in {stored:.1f} s ({1000 * stored / (want - have):.1f} ms/doc: "
        f"add_document + FAISS add), FAISS save {saved:.1f} s; {index.ntotal:,} vectors; "
        f"data dir {size:,.0f} MB; builder peak RSS {peak_rss_mb():,.0f} MB")
    store.close()


def check_worker(data_dir: Path, submission: Path, repeat: int) -> dict:
    """Runs in a fresh process: cold costs once, then `repeat` checks with a per-stage breakdown."""
    from indexing import archive as archive_module

    archive = Archive(get_settings(data_dir=data_dir))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    archive.embedder.encode_passages(["khởi động mô hình"])
    timings["model load"] = time.perf_counter() - started
    started = time.perf_counter()
    index = archive.index
    timings["FAISS index load (+ consistency check)"] = time.perf_counter() - started
    started = time.perf_counter()
    archive.archive_stats()
    timings["archive_stats() from the store's token table"] = time.perf_counter() - started
    # Warm-up on a short document: first-call costs of the segmenter, lexicons and FAISS threads.
    archive.check_document(archive.read(DEMO / "submissions" / "original.md"))
    doc = archive.read(submission)
    runs = []
    for _ in range(repeat):
        stages = Stages()
        with contextlib.ExitStack() as stack:
            stages.wrap(stack, archive, "embed_document", "embed submission (chunk + encode)")
            stages.wrap(stack, index, "search", "FAISS search")
            stages.wrap(stack, archive, "find_candidates", "_candidates")
            stages.wrap(stack, archive, "compare_with_archive", "_compare")
            stages.wrap(stack, archive, "archive_stats", "archive_stats() warm")
            stages.wrap(stack, archive_module, "assess", "assess (alignment of candidates)")
            stages.wrap(stack, archive_module, "analyze_evidence", "evidence analysis")
            started = time.perf_counter()
            report = archive.check_document(doc)
            total = time.perf_counter() - started
        s = stages.seconds
        runs.append({
            "embed submission (chunk + encode)": s["embed submission (chunk + encode)"],
            "FAISS search": s["FAISS search"],
            "candidate lookup (passage owners, ranking)": s["_candidates"] - s["FAISS search"],
            "candidate comparison (load + assess)": s["_compare"] - s["_candidates"] - s["archive_stats() warm"],
            "  of which assess": s["assess (alignment of candidates)"],
            "evidence analysis": s["evidence analysis"],
            "total check": total,
        })
    result = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return {
        "cold": timings, "warm": result, "peak_rss_mb": peak_rss_mb(),
        "verdict": report.similarity.verdict, "sources": len(report.similarity.sources),
        "documents": archive.store.count_documents(), "vectors": index.ntotal,
        "search": search_latency(archive),
    }


def search_latency(archive: Archive, rounds: int = 2) -> dict:
    """Archive search on the dev queries of bench/search: the keyword index built from the store
    once, then every query `rounds` times; milliseconds without the query embedding."""
    started = time.perf_counter()
    archive.keyword  # noqa: B018 - builds the keyword index from the store (the synthetic archive has none)
    build = time.perf_counter() - started
    queries = [json.loads(line)["query"] for line in SEARCH_QUERIES.read_text(encoding="utf-8").splitlines()]
    archive.search(queries[0])
    own, hits = [], []
    for _ in range(rounds):
        for query in queries:
            page = archive.search(query)
            own.append(page.timings_ms["total"] - page.timings_ms["embed"])
            hits.append(page.total)
    own.sort()
    return {"keyword_index_build_s": build, "queries": len(own), "p50_ms": statistics.median(own),
            "p95_ms": own[int(0.95 * (len(own) - 1))], "max_ms": own[-1], "mean_hits": statistics.mean(hits)}


def bench_check(data_dir: Path, archive: Archive, sizes: list[int], repeat: int, out: Output) -> None:
    from indexing.chunking import make_passages

    out("## 2. Check latency of a ~20-page submission (synthetic archives, fresh process per size)")
    work = fresh_dir(data_dir)
    submission = work / "submission-20p.md"
    words, sections = build_submission(submission, archive.settings)
    sub_passages = len(make_passages(archive.read(submission)))
    out(f"submission: {words:,} words = {words / WORDS_PER_PAGE:.0f} pages, {sections} template sections, "
        f"{sub_passages} passages")
    store = archive.store
    ids = store.passage_ids()
    passages = store.passages_by_ids(ids)
    pool = ([p.text for p in passages], store.passage_vectors(ids),
            [(p.section_heading, p.section_kind) for p in passages], [p.doc_id for p in passages])
    out(f"synthetic documents: {PASSAGES_PER_DOC}±10 passages drawn from {len(ids):,} real passages, "
        f"vectors = real vector + noise (cosine ~{1 / np.sqrt(1 + VECTOR_NOISE ** 2):.2f}), normalised")
    rng = np.random.default_rng(7)
    archive_dir, have = work / "archive", 0
    manifest = archive.manifest()
    for size in sizes:
        out(f"- archive of {size:,} documents")
        grow_archive(archive_dir, manifest, pool, have, size, rng, out)
        have = size
        proc = subprocess.run(
            [sys.executable, __file__, "--check-worker", str(archive_dir), str(submission), "--repeat", str(repeat)],
            capture_output=True, text=True, env=os.environ,
        )
        if proc.returncode:
            out(f"  check worker failed: {proc.stderr.strip()[-2000:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        cold = ", ".join(f"{k} {v:.2f} s" for k, v in result["cold"].items())
        out(f"  fresh process: {cold}")
        out(f"  check (median of {repeat}; verdict {result['verdict']}, {result['sources']} sources reported):")
        for key, seconds in result["warm"].items():
            out(f"    {key:44s} {seconds * 1000:8.0f} ms")
        out(f"  checker peak RSS {result['peak_rss_mb']:,.0f} MB ({result['vectors']:,} vectors in FAISS)")
        search = result["search"]
        out(f"  search ({search['queries']} queries of bench/search; keyword index built from the store in "
            f"{search['keyword_index_build_s']:.1f} s): without the query embedding p50 {search['p50_ms']:.1f} ms, "
            f"p95 {search['p95_ms']:.1f} ms, max {search['max_ms']:.1f} ms; {search['mean_hits']:.1f} hits per query")
    out()


# --- 3. resumable bulk import ---------------------------------------------------------------------

def store_counts(db: Path) -> tuple[int, int]:
    if not db.exists():
        return 0, 0
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        try:
            return (conn.execute("SELECT count(*) FROM documents").fetchone()[0],
                    conn.execute("SELECT count(*) FROM passages").fetchone()[0])
        except sqlite3.OperationalError:  # schema not created yet
            return 0, 0


def consistency(data_dir: Path) -> str:
    layout = get_settings(data_dir=data_dir)
    store = ArchiveStore(layout.archive_db)
    try:
        index = VectorIndex.load(layout.index_dir, {})
    except Exception as exc:  # a missing or torn index is a finding here, not a failure
        return f"no usable FAISS index ({type(exc).__name__}); the next run rebuilds it from the store"
    finally:
        store_passages = store.count_passages()
    ok = index_consistent(store, index)
    store.close()
    verdict = "consistent" if ok else "out of step (the next run rebuilds FAISS from the store)"
    return f"store {store_passages:,} passages, FAISS {index.ntotal:,} vectors -> {verdict}"


def bench_resume(data_dir: Path, real_count: int, kill_after: int, out: Output) -> None:
    out("## 3. Resumable bulk import: `sangkien index FOLDER`, SIGKILL mid-way, then run again")
    work = fresh_dir(data_dir)
    folder = work / "incoming"
    folder.mkdir()
    sources = sorted((DEMO / "archive").glob("*.md")) + sorted((DEMO / "submissions").glob("*.md"))
    for path in sources + real_documents(real_count):
        shutil.copy(path, folder / path.name)
    files = len(list(folder.iterdir()))
    archive_dir = work / "archive"
    db = get_settings(data_dir=archive_dir).archive_db
    cli = Path(sys.executable).parent / "sangkien"
    command = [str(cli), "index", str(folder), "--data-dir", str(archive_dir)]

    started = time.perf_counter()
    with open(work / "run1.log", "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ)
        while proc.poll() is None and store_counts(db)[0] < kill_after:
            time.sleep(0.05)
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    first = time.perf_counter() - started
    docs_before, passages_before = store_counts(db)
    out(f"folder: {files} files; run 1 {'killed (SIGKILL)' if killed else 'finished before the kill'} "
        f"after {first:.1f} s with {docs_before} documents / {passages_before:,} passages stored")
    out(f"  on disk after the kill: {consistency(archive_dir)}")

    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    second = time.perf_counter() - started
    docs_after, passages_after = store_counts(db)
    summary = next((line for line in proc.stdout.splitlines() if line.startswith("Đã xử lý")), proc.stderr[-300:])
    out(f"run 2: exit {proc.returncode} in {second:.1f} s; {files} files: {docs_before} already stored (skipped), "
        f"{docs_after - docs_before} new; archive now {docs_after} documents / {passages_after:,} passages")
    out(f"  CLI: {summary.strip()}")
    out(f"  after run 2: {consistency(archive_dir)}")
    out()


# --- main --------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--quick", action="store_true", help="archives of 100 and 1,000 documents only, fewer files")
    parser.add_argument("--real", type=int, default=None,
                        help="real documents from ../shared to index (default 8, quick 4)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="archive sizes for the check latency")
    parser.add_argument("--repeat", type=int, default=None,
                        help="checks per archive size, median reported (default 3, quick 1)")
    parser.add_argument("--check-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    repeat = args.repeat or (1 if args.quick else 3)
    if args.check_worker:
        print(json.dumps(check_worker(*args.check_worker, repeat)))
        return 0

    from models.builder import ensure_model

    real_count = args.real if args.real is not None else (0 if args.quick else 8)
    sizes = args.sizes or ([100, 1_000] if args.quick else [100, 1_000, 10_000])
    data_dir = args.data_dir.resolve()
    out = Output()
    out(f"# sangkien bench {datetime.now():%Y-%m-%d %H:%M}{' (quick)' if args.quick else ''}")
    out(f"machine: {machine()}")
    # One model build for every archive and subprocess of the bench.
    os.environ.setdefault("SANGKIEN_MODEL_CACHE_DIR", str(data_dir / "models"))
    started = time.perf_counter()
    settings = get_settings(data_dir=data_dir / "throughput")
    model = ensure_model(settings)
    out(f"model: {model} (ready in {time.perf_counter() - started:.1f} s); "
        f"embed batch {settings.embed_batch_size}, torch threads = usable cores")
    out()

    archive = bench_throughput(data_dir / "throughput", real_count, out)
    bench_check(data_dir / "check", archive, sizes, repeat, out)
    bench_resume(data_dir / "resume", 0 if args.quick else real_count, 3 if args.quick else 4, out)

    out(f"bench peak RSS (this process) {peak_rss_mb():,.0f} MB")
    report = REPO / "bench" / "out" / f"bench-{datetime.now():%Y-%m-%d}{'-quick' if args.quick else ''}.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(out.lines) + "\n", encoding="utf-8")
    print(f"written to {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
