"""Long-running work started from the web: review rounds (đợt xét duyệt) and archive imports.

Each runs in a background thread over files already saved in a private temporary folder, reports
progress as it goes and deletes the folder when done. The work itself is the archive's
(`Archive.review_round`, `Archive.add_file`); this module only schedules it and records progress.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import threading
from pathlib import Path

from indexing.errors import UNEXPECTED_MESSAGE, SangkienError
from indexing.store import DocMeta
from service.db import ServiceDB

log = logging.getLogger(__name__)


def error_message(exc: Exception) -> str:
    if isinstance(exc, SangkienError):
        return exc.message
    log.exception("unexpected error in a background job")
    return UNEXPECTED_MESSAGE


def start(target, *args) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


def run_round(archive, db: ServiceDB, work_lock, round_id: str, user_id: int, files: list[tuple[str, Path]],
              folder: Path) -> None:
    """Run a review round, saving each submission's report and the progress as it goes."""
    try:
        db.update_round(round_id, status="running")
        done = []

        def on_checked(entry, report) -> None:
            if report is not None:
                entry.report_id = db.save_report(user_id, entry.filename, report, round_id=round_id)
            done.append(entry)
            db.update_round(round_id, done=len(done), results=[e.to_dict() for e in done])

        ranked = archive.review_round(files, on_checked=on_checked, work_lock=work_lock)
        db.update_round(round_id, status="done", results=[e.to_dict() for e in ranked])
    except Exception as exc:
        db.update_round(round_id, status="failed", error=error_message(exc))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


IMPORT_CHUNK = 8


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
            # A few files at a time under the work lock: their passages are embedded together, and
            # checks waiting for the lock get their turn between chunks.
            for start in range(0, len(files), IMPORT_CHUNK):
                chunk = files[start:start + IMPORT_CHUNK]
                names = {path: (filename, meta) for filename, path, meta in chunk}

                def done(path, outcome, names=names):
                    filename, meta = names[path]
                    result = {"filename": filename, "doc_id": None, "title": meta.get("title") or filename,
                              "created": False, "error": None}
                    if isinstance(outcome, Exception):
                        result["error"] = error_message(outcome)
                    else:
                        result.update(doc_id=outcome.doc_id, title=outcome.title, created=outcome.created)
                    job["results"].append(result)
                    job["done"] += 1

                with work_lock:  # add_files settles every file, with an error in place of a failure
                    archive.add_files([(path, DocMeta(**meta)) for _, path, meta in chunk], on_done=done)
            job["status"] = "done"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
