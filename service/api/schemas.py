"""Response models of the HTTP API that are not core reports: what the routers return around them."""
from __future__ import annotations

from pydantic import BaseModel

from indexing.report import CheckReport, RoundEntry, SimilarDocument


class Health(BaseModel):
    status: str
    documents: int
    demo: bool


class Me(BaseModel):
    name: str
    role: str
    role_label: str


class CheckResponse(CheckReport):
    report_id: str


class SavedReport(CheckReport):
    report_id: str
    filename: str
    created_at: str


class ReportRow(BaseModel):
    id: str
    user_id: int
    filename: str
    title: str
    score: float
    verdict: str
    created_at: str


class ReportList(BaseModel):
    total: int
    reports: list[ReportRow]


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    year: int | None
    unit: str | None
    field: str | None
    level: str | None
    authors: str | None
    format: str
    created_at: str
    passages: int
    filename: str | None

    @classmethod
    def from_info(cls, info) -> DocumentOut:
        return cls(doc_id=info.id, title=info.title, year=info.year, unit=info.unit, field=info.field,
                   level=info.level, authors=info.authors, format=info.format, created_at=info.created_at,
                   passages=info.passage_count, filename=info.filename)


class StoredSection(BaseModel):
    heading: str
    kind: str
    level: int
    start: int
    body_start: int
    end: int


class DocumentDetail(DocumentOut):
    text: str
    sections: list[StoredSection]


class DocumentList(BaseModel):
    total: int
    documents: list[DocumentOut]


class AddedDocument(BaseModel):
    doc_id: str
    title: str
    created: bool


class Deleted(BaseModel):
    deleted: str


class SimilarList(BaseModel):
    doc_id: str
    similar: list[SimilarDocument]


class JobStarted(BaseModel):
    id: str
    total: int


class ImportResult(BaseModel):
    filename: str
    doc_id: str | None
    title: str
    created: bool
    error: str | None


class ImportStatus(BaseModel):
    id: str
    status: str
    done: int
    total: int
    results: list[ImportResult]


class RoundRow(BaseModel):
    id: str
    name: str
    created_at: str
    status: str
    done: int
    total: int


class RoundList(BaseModel):
    rounds: list[RoundRow]


class RoundDetail(RoundRow):
    user_id: int
    results: list[RoundEntry]
    error: str | None
