"""The typed contracts the pipeline hands to its edges: the parse result and the check report.

`sangkien parse/check --json`, the HTTP API (as `response_model`s, so /docs shows the real schema),
the web pages, the PDF export and the service's saved reports all read these models; `to_dict()` is
the one JSON form. Vietnamese wording for people lives in the service (`service/wording.py`).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from indexing.document import Document

MatchKind = Literal["verbatim", "near_verbatim", "paraphrase"]
SourceVerdict = Literal["duplicate", "partial", "related", "none"]
DocumentVerdict = Literal["duplicate", "partial", "original"]
EvidenceStatus = Literal["present", "weak", "missing"]


class ReportModel(BaseModel):
    # Saved reports of older versions may carry keys this version no longer writes.
    model_config = ConfigDict(extra="ignore")

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")


# --- parse -----------------------------------------------------------------------------------------

class SectionInfo(ReportModel):
    """A detected template section; offsets index the normalised document text."""

    heading: str
    kind: str
    start: int
    end: int


class ParsedSection(ReportModel):
    heading: str
    kind: str
    level: int
    start: int
    end: int
    words: int = Field(description="words in the section's own body")


class ParseReport(ReportModel):
    title: str
    format: str
    template: str | None
    sections: list[ParsedSection]
    missing_sections: list[str]
    warnings: list[str]
    words: int

    @classmethod
    def from_document(cls, doc: Document) -> ParseReport:
        return cls(
            title=doc.title, format=doc.format, template=doc.template,
            sections=[ParsedSection(heading=s.heading, kind=s.kind, level=s.level, start=s.start, end=s.end,
                                    words=doc.word_count(s.body_start, s.end)) for s in doc.sections],
            missing_sections=doc.missing_sections, warnings=doc.warnings, words=doc.word_count(),
        )


# --- similarity ------------------------------------------------------------------------------------

class Match(ReportModel):
    """A span of the submission and the archive span it corresponds to."""

    section: str = Field(description="heading of the submission section")
    text: str
    start: int
    end: int
    source_section: str
    source_text: str
    similarity: float
    kind: MatchKind


class SourceComparison(ReportModel):
    """One archive document compared with the submission."""

    doc_id: str
    title: str = ""
    year: int | None = None
    unit: str = ""
    verdict: SourceVerdict = "none"
    coverage: float = Field(0.0, description="share of the submission's countable text matched in this source")
    score: float = 0.0
    copied_sections: list[str] = Field(default_factory=list, description="submission headings, for `partial`")
    matches: list[Match] = Field(default_factory=list)
    # Why: what the verdict rests on (see the README, "How the novelty check decides").
    solution_coverage: float = Field(0.0, description="share of the submission's solution found in this source")
    strong_matches: int = Field(0, description="copied passages and close paraphrases outside the background")
    copied_words: int = Field(0, description="words of the submission copied (near-)verbatim")
    longest_run: int = Field(0, description="longest run of consecutive identical words")
    shared_terms: list[str] = Field(default_factory=list, description="distinctive phrases the solutions share")
    shared_figures: list[str] = Field(default_factory=list, description="figures the solutions share")
    versions: list[str] = Field(default_factory=list,
                                description="other archive documents that are versions of the same initiative")
    # Where the source stands relative to the submission (the law's test is novelty within the unit).
    same_unit: bool = False
    higher_level: bool = Field(False, description="recognised at a higher level than the submission's")
    after_submission: bool = Field(False, description="dated after the submission: it cannot be its origin")
    level: str | None = None
    # For calibration (bench/), not part of the report: the features the verdict was decided from.
    features: Any = Field(None, exclude=True)
    copied_share: float = Field(0.0, exclude=True)


class SimilarityReport(ReportModel):
    score: float = Field(description="share of the submission's countable text matched in the archive")
    verdict: DocumentVerdict
    sources: list[SourceComparison]


# --- evidence --------------------------------------------------------------------------------------

class SectionEvidence(ReportModel):
    heading: str
    kind: str
    status: EvidenceStatus
    findings: list[str] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    # How the section was judged: measured (results, benefits), baseline (reason, current situation),
    # summary, novelty, applicability or confirmation (the applying unit's opinion).
    profile: str = ""


class EvidenceGap(ReportModel):
    heading: str
    status: EvidenceStatus
    suggestion: str


class EvidenceSummary(ReportModel):
    """The document's evidence at a glance, and its most important gaps with what to do."""

    status: EvidenceStatus
    text: str
    gaps: list[EvidenceGap] = Field(default_factory=list)


# --- the check report ------------------------------------------------------------------------------

class DocumentSummary(ReportModel):
    title: str
    template: str | None
    template_name: str | None = Field(None, description="the template's Vietnamese name")
    # When no template is recognised: the closest one and what it would still need.
    closest_template_name: str | None = None
    closest_missing: list[str] = Field(default_factory=list)
    sections: list[SectionInfo]
    missing_sections: list[str]
    # The submission's own unit, year and level, when the file or the form says them.
    unit: str | None = None
    year: int | None = None
    level: str | None = None


class CheckReport(ReportModel):
    """`sangkien check --json`, `POST /api/check`: the submission, its similarity with the archive,
    the evidence of each claim-bearing section and what the reader should know about the file."""

    document: DocumentSummary
    # "archive": checked against the archive; "pair": compared with one other given file.
    mode: Literal["archive", "pair"] = "archive"
    similarity: SimilarityReport
    evidence: list[SectionEvidence]
    evidence_summary: EvidenceSummary | None = None
    document_findings: list[str]
    document_suggestions: list[str]
    warnings: list[str]

    @staticmethod
    def summarize(doc: Document, context=None, template_name: str | None = None,
                  closest_name: str | None = None) -> DocumentSummary:
        return DocumentSummary(
            title=doc.title, template=doc.template, template_name=template_name,
            missing_sections=doc.missing_sections,
            closest_template_name=closest_name, closest_missing=doc.closest_missing if closest_name else [],
            sections=[SectionInfo(heading=s.heading, kind=s.kind, start=s.start, end=s.end) for s in doc.sections],
            unit=getattr(context, "unit", None), year=getattr(context, "year", None),
            level=getattr(context, "level", None),
        )


# --- review rounds ---------------------------------------------------------------------------------

class SourceSummary(ReportModel):
    """A round submission's result against the archive."""

    score: float
    verdict: DocumentVerdict
    top_source: dict | None = Field(None, description="doc_id, title, year, verdict, score of the first source")


class PeerMatch(ReportModel):
    """Another submission of the same round that this one shares content with."""

    index: int
    filename: str
    title: str
    verdict: SourceVerdict
    score: float
    coverage: float


class RoundEntry(ReportModel):
    index: int
    filename: str
    title: str
    report_id: str | None = None
    error: str | None = None
    archive: SourceSummary | None = None
    peers: list[PeerMatch] = Field(default_factory=list)
    score: float = 0.0
    verdict: DocumentVerdict = "original"


# --- archive search --------------------------------------------------------------------------------

class SearchFilters(ReportModel):
    year: int | None = None
    field: str | None = Field(None, description="part of the field (lĩnh vực), without case or diacritics")
    unit: str | None = Field(None, description="part of the unit's name, without case or diacritics")
    level: str | None = Field(None, description="one of the levels (cơ sở, huyện, tỉnh, toàn quốc)")

    def active(self) -> bool:
        return any(v not in (None, "") for v in self.model_dump().values())


class SearchSnippet(ReportModel):
    section: str | None = Field(description="heading of the passage's section (None: before the first heading)")
    text: str = Field(description="part of the passage, '…' where text was left out")
    highlights: list[tuple[int, int]] = Field(description="character spans of the query's words in `text`")
    passage_id: int


class SearchHit(ReportModel):
    doc_id: str
    title: str
    year: int | None
    unit: str | None
    field: str | None
    level: str | None
    relevance: Literal["high", "medium", "low"] = Field(
        description="high/medium: strong evidence the document is about the query; low: related")
    score: float = Field(description="ranking score: semantic z + weighted word coverage + weighted title z")
    coverage: float = Field(description="IDF-weighted share of the query's words found in one passage with "
                                        "the title and unit")
    snippets: list[SearchSnippet]


class SearchPage(ReportModel):
    query: str
    understood_as: str | None = Field(description="the query as read (diacritics restored, abbreviations "
                                                  "expanded), when it differs from what was typed")
    words: list[str] = Field(description="the query's words that count (function words left out)")
    filters: SearchFilters
    total: int = Field(description="documents found (all pages)")
    page: int
    per_page: int
    hits: list[SearchHit]
    timings_ms: dict[str, float] = Field(description="'embed' (the query's embedding) and 'total'")


class SimilarDocument(ReportModel):
    """An archive document sharing content with another, as the novelty check judges it."""
    doc_id: str
    title: str
    year: int | None
    unit: str | None
    field: str | None
    verdict: SourceVerdict = Field(description="duplicate / partial / related (close passages, below a partial copy)")
    score: float = Field(description="mức tương đồng: share of the document's text matched in the other")
    coverage: float = Field(description="share of the document's text credited to this one")
    solution_coverage: float = Field(description="share of the document's solution found in this one")
