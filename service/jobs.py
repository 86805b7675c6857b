"""Long-running work started from the web: review rounds (đợt xét duyệt) and archive imports.

Each runs in a background thread over files already saved in a private temporary folder, reports
progress as it goes and deletes the folder when done.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import threading
from pathlib import Path

from indexing.errors import SangkienError
from indexing.archive import reporting_refs
from indexing.matching import compare_documents
from indexing.store import DocMeta
from service.db import ServiceDB
from service.errors import UNEXPECTED_MESSAGE

log = logging.getLogger("sangkien.service")

VERDICT_RANK = {"duplicate": 3, "partial": 2, "related": 1, "original": 0, "none": 0}


def error_message(exc: Exception) -> str:
    if isinstance(exc, SangkienError):
        return exc.message
    log.exception("unexpected error in a background job")
    return UNEXPECTED_MESSAGE


def start(target, *args) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


def run_round(archive, db: ServiceDB, work_lock, round_id: str, user_id: int, files: list[tuple[str, Path]],
              folder: Path) -> None:
    """Check every submission against the archive, then every pair of submissions against each other
    with the archive's matching code (so a copy between two candidates of the same round is seen)."""
    try:
        db.update_round(round_id, status="running")
        entries, parsed = [], []
        for n, (filename, path) in enumerate(files):
            entry = {"index": n, "filename": filename, "title": filename, "report_id": None, "error": None,
                     "archive": None, "peers": [], "score": 0.0, "verdict": "original"}
            try:
                with work_lock:
                    doc = archive.read(path)
                    passages, vectors = archive.embed_document(doc)
                    report = archive.check_document(doc, embedded=(passages, vectors))
                entry["report_id"] = db.save_report(user_id, filename, report, round_id=round_id)
                entry["title"] = report["document"]["title"] or filename
                similarity = report["similarity"]
                top = similarity["sources"][0] if similarity["sources"] else None
                entry["archive"] = {
                    "score": similarity["score"], "verdict": similarity["verdict"],
                    "top_source": {k: top[k] for k in ("doc_id", "title", "year", "verdict", "score")} if top else None,
                }
                refs = reporting_refs(passages, doc.sections)
                parsed.append((n, doc, refs, vectors))
            except Exception as exc:  # one unreadable file must not sink the whole round
                entry["error"] = error_message(exc)
            entries.append(entry)
            db.update_round(round_id, done=n + 1, results=entries)
        stats = archive.archive_stats()
        for i, doc_i, refs_i, vec_i in parsed:
            for j, doc_j, refs_j, vec_j in parsed:
                if i == j:
                    continue
                comparison = compare_documents(refs_i, vec_i, refs_j, vec_j, stats=stats, sub_text=doc_i.text,
                                               src_text=doc_j.text)
                if comparison.verdict != "none":
                    entries[i]["peers"].append({
                        "index": j, "filename": entries[j]["filename"], "title": entries[j]["title"],
                        "verdict": comparison.verdict, "score": comparison.score, "coverage": comparison.coverage,
                    })
        for entry in entries:
            entry["peers"].sort(key=lambda p: (-VERDICT_RANK[p["verdict"]], -p["score"]))
            verdicts = [p["verdict"] for p in entry["peers"]]
            if entry["archive"]:
                verdicts.append(entry["archive"]["verdict"])
            worst = max(verdicts, key=VERDICT_RANK.get, default="original")
            entry["verdict"] = worst if worst in ("duplicate", "partial") else "original"
            entry["score"] = max([p["score"] for p in entry["peers"]] + [(entry["archive"] or {}).get("score", 0.0)])
        ranked = sorted(entries, key=lambda e: (e["error"] is not None, -VERDICT_RANK[e["verdict"]], -e["score"]))
        db.update_round(round_id, status="done", results=ranked)
    except Exception as exc:
        db.update_round(round_id, status="failed", error=error_message(exc))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class ImportJobs:
    """Archive imports live only in memory: the archive itself records what was stored, the job
    only serves the progress bar of the administrator who started it."""

    def __init__(self):
        self.jobs: dict[str, dict] = {}

    def create(self, user_id: int, total: int) -> str:
        job_id = secrets.token_urlsafe(9)
        self.jobs[job_id] = {"id": job_id, "user_id": user_id, "status": "running", "done": 0, "total": total,
                             "results": []}
        return job_id

    def get(self, job_id: str) -> dict | None:
        return self.jobs.get(job_id)

    def run(self, archive, work_lock, job_id: str, files: list[tuple[str, Path, dict]], folder: Path) -> None:
        job = self.jobs[job_id]
        try:
            for filename, path, meta in files:
                result = {"filename": filename, "doc_id": None, "title": meta.get("title") or filename,
                          "created": False, "error": None}
                try:
                    with work_lock:
                        added = archive.add_file(path, DocMeta(**meta))
                    result.update(doc_id=added.doc_id, title=added.title, created=added.created)
                except Exception as exc:
                    result["error"] = error_message(exc)
                job["results"].append(result)
                job["done"] += 1
            job["status"] = "done"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
