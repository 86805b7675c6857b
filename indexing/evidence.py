"""Evidence-gap analysis: does each claim-making section prove what it claims?

Rules, not a trained model: the dev corpus is small and unseen families are measured, so the
decisions rest on general cues (figures that are not dates or document numbers, tables, before/after
comparisons, sample sizes, named applying units) kept in the lexicons folder (evidence.yaml).

Nested sections: a parent (e.g. "2. Thực trạng" with "2.1 ... 2.3", or the TT18 container "Hiệu quả,
lợi ích thu được") is judged on its whole text, its own body plus its children, because authors often
put the proof in a sub-section; its findings say so. A child is judged on its own body only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from indexing.document import Document, Section
from indexing.errors import InputError
from indexing.report import SectionEvidence
from indexing.text import split_sentences

STATUSES = ("present", "weak", "missing")
LEXICON_FILE = "evidence.yaml"

# A figure: digits with Vietnamese/English separators, an optional range and an optional percent sign.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*(?:\s*[–-]\s*\d+(?:[.,]\d+)*)?(?:\s*%)?")
_NUM = r"\d[\d.,]*(?:\s*[–-]\s*\d[\d.,]*)?\s*%?"
_MAX_QUOTES = 3


@dataclass
class EvidenceReport:
    sections: list[SectionEvidence] = field(default_factory=list)
    document_findings: list[str] = field(default_factory=list)
    document_suggestions: list[str] = field(default_factory=list)


@dataclass
class _Signals:
    """What was seen in one text; statuses are decided from these per profile."""

    figures: list[str]
    ignored: list[str]
    table_rows: int
    comparisons: list[str]
    samples: list[str]
    word_quantities: list[str]
    claims: list[str]
    confirmations: list[str]
    calculations: list[str]


class Lexicon:
    """evidence.yaml compiled once; all regexes are matched on lower-cased text."""

    def __init__(self, data: dict):
        self.data = data
        self.profiles_by_kind: dict[str, str] = data["profiles_by_kind"]
        self.profiles_by_heading = [(re.compile(p["pattern"]), p["profile"]) for p in data["profiles_by_heading"]]
        self.non_evidence = [re.compile(p, re.M) for p in data["non_evidence_numbers"]]
        self.comparisons = [re.compile(p.replace("NUM", _NUM)) for p in data["comparison_patterns"]]
        self.savings = [re.compile(p) for p in data["savings_patterns"]]
        self.samples = [re.compile(p) for p in data["sample_patterns"]]
        self.word_quantities = data["word_quantities"]
        self.claims = data["claim_phrases"]
        self.novelty_generic = sorted(data["novelty_generic"], key=len, reverse=True)
        self.novelty_contrast = [re.compile(p) for p in data["novelty_contrast"]]
        self.applied = [re.compile(p) for p in data["applied_patterns"]]
        self.potential = [re.compile(p) for p in data["potential_patterns"]]
        units = "|".join(sorted(map(re.escape, data["unit_words"]), key=len, reverse=True))
        self.unit_word = re.compile(rf"\b(?:{units})\b", re.I)
        self.confirmations = data["confirmation_phrases"]
        self.document_checks = {k: re.compile(v) for k, v in data["document_checks"].items()}
        self.messages: dict[str, str] = data["messages"]
        self.suggestions: dict = data["suggestions"]
        self.document_suggestions: dict[str, str] = data["document_suggestions"]

    def msg(self, key: str, **values) -> str:
        return self.messages[key].format(**values)


@lru_cache(maxsize=4)
def load_lexicon(lexicons_dir: Path) -> Lexicon:
    """evidence.yaml of the lexicons folder (Settings.lexicons_dir), compiled once per folder."""
    path = Path(lexicons_dir) / LEXICON_FILE
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Lexicon(data)
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise InputError(f"Không đọc được bộ từ vựng minh chứng {path}.", detail=str(exc)) from exc


def mask_non_evidence(text: str, lex: Lexicon) -> tuple[str, list[str]]:
    """Lower-cases and blanks out dates, document numbers, ordinals...; returns the masked text
    (same length, so offsets still match) and what was blanked."""
    low = text.lower()
    ignored = []
    for pattern in lex.non_evidence:
        for match in pattern.finditer(low):
            if any(c.isdigit() for c in match.group()):
                ignored.append(text[match.start() : match.end()].strip())
        low = pattern.sub(lambda m: re.sub(r"\d", "◦", m.group()), low)
    return low, ignored


def _quote(sentence: str, limit: int = 220) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def collect_signals(text: str, lex: Lexicon) -> _Signals:
    figures, ignored, comparisons, samples, words, claims, confirmations, calculations = [], [], [], [], [], [], [], []
    table_rows = 0
    for sentence in split_sentences(text):
        masked, dropped = mask_non_evidence(sentence, lex)
        ignored.extend(dropped)
        found = [m.group().strip() for m in _FIGURE.finditer(masked)]
        figures.extend(sentence[m.start() : m.end()].strip() for m in _FIGURE.finditer(masked))
        if " | " in sentence and found:
            table_rows += 1
            continue  # a table row is evidence by itself; its cells are not sentences
        if found and any(p.search(masked) for p in lex.comparisons):
            comparisons.append(sentence)
        if any(p.search(masked) for p in lex.samples):
            samples.append(sentence)
        # A saving shown with its calculation: the saving and the figures it is worked out from.
        if len(found) >= 3 and any(p.search(masked) for p in lex.savings):
            calculations.append(sentence)
        words.extend(w for w in lex.word_quantities if w in masked)
        if any(c in masked for c in lex.confirmations):
            confirmations.append(sentence)
        if not found and any(c in masked for c in lex.claims):
            claims.append(sentence)
    return _Signals(figures, ignored, table_rows, comparisons, samples, words, claims, confirmations, calculations)


def _figure_findings(sig: _Signals, lex: Lexicon) -> list[str]:
    out = []
    if sig.table_rows:
        out.append(lex.msg("table_found", rows=sig.table_rows))
    if sig.comparisons:
        out.append(lex.msg("comparison_found", sentence=_quote(sig.comparisons[0])))
    if sig.samples:
        out.append(lex.msg("sample_found", sentence=_quote(sig.samples[0])))
    if sig.calculations:
        out.append(lex.msg("calculation_found", sentence=_quote(sig.calculations[0])))
    if sig.figures:
        shown = list(dict.fromkeys(sig.figures))
        out.append(lex.msg("figures_found", figures=", ".join(shown[:8]) + (", …" if len(shown) > 8 else "")))
    else:
        out.append(lex.msg("no_figures"))
        if sig.ignored:
            out.append(lex.msg("ignored_numbers", numbers=", ".join(list(dict.fromkeys(sig.ignored))[:5])))
    out.extend(lex.msg("word_quantity", phrase=w) for w in dict.fromkeys(sig.word_quantities))
    out.extend(lex.msg("unsupported_claim", sentence=_quote(s)) for s in sig.claims[:_MAX_QUOTES])
    return out


def _judge_quantitative(sig: _Signals, profile: str, lex: Lexicon) -> tuple[str, list[str]]:
    strong = (sig.table_rows >= 2 or sig.comparisons or sig.calculations
              or len(sig.samples) >= (1 if profile == "baseline" else 2))
    if profile == "summary":
        # A summary or conclusion restates results: several distinct figures are the proof it gives.
        strong = strong or len(set(sig.figures)) >= 3
    findings = _figure_findings(sig, lex)
    if strong:
        return "present", findings
    if sig.figures or sig.word_quantities:
        return "weak", findings + [lex.msg("no_baseline")]
    return "missing", findings


def _judge_confirmation(sig: _Signals, lex: Lexicon) -> tuple[str, list[str]]:
    findings = _figure_findings(sig, lex)
    if sig.confirmations:
        findings.insert(0, lex.msg("confirmation_found", sentence=_quote(sig.confirmations[0])))
        return "present", findings
    if sig.table_rows >= 2 or sig.samples or sig.comparisons:
        return "present", findings
    if sig.figures:
        return "weak", findings + [lex.msg("no_confirmation")]
    return "missing", findings + [lex.msg("no_confirmation")]


def _judge_novelty(text: str, sig: _Signals, lex: Lexicon) -> tuple[str, list[str]]:
    concrete, generic = [], []
    for sentence in split_sentences(text):
        low = sentence.lower()
        stripped = low
        for phrase in lex.novelty_generic:
            stripped = stripped.replace(phrase, " ")
        has_contrast = any(p.search(stripped) for p in lex.novelty_contrast)
        if stripped != low and not has_contrast:
            generic.append(sentence)
        elif len(stripped.split()) >= 6:
            concrete.append(sentence)
    findings = [lex.msg("novelty_concrete", sentence=_quote(s)) for s in concrete[:1]]
    findings += [lex.msg("novelty_generic", sentence=_quote(s)) for s in generic[:_MAX_QUOTES]]
    if concrete and sig.comparisons:
        return "present", findings + [lex.msg("comparison_found", sentence=_quote(sig.comparisons[0]))]
    if concrete:
        return "weak", findings + [lex.msg("novelty_unmeasured")]
    return "missing", findings


def _judge_applicability(text: str, sig: _Signals, lex: Lexicon) -> tuple[str, list[str]]:
    applied_named, applied, potential_named, potential = [], [], [], []
    for sentence in split_sentences(text):
        masked, _ = mask_non_evidence(sentence, lex)
        named = names_unit(sentence, lex)
        if any(p.search(masked) for p in lex.applied):
            (applied_named if named else applied).append(sentence)
        elif any(p.search(masked) for p in lex.potential):
            (potential_named if named else potential).append(sentence)
    findings = [lex.msg("applied_named", sentence=_quote(s)) for s in applied_named[:2]]
    findings += [lex.msg("applied_unnamed", sentence=_quote(s)) for s in applied[:2]]
    findings += [lex.msg("potential_named", sentence=_quote(s)) for s in potential_named[:1]]
    findings += [lex.msg("potential_generic", sentence=_quote(s)) for s in potential[:1]]
    if applied_named and (sig.figures or sig.confirmations):
        return "present", findings
    if applied or applied_named or potential_named:
        return "weak", findings
    return "missing", findings


def names_unit(sentence: str, lex: Lexicon) -> bool:
    """A unit word followed, within three words, by a proper name ("xã Quang Lang", "Hợp tác xã na
    Chiến Thắng") or a class code ("lớp 1B"); acronyms ("trường THCS") and common nouns do not name one."""
    for match in lex.unit_word.finditer(sentence):
        for token in re.findall(r"[\w/]+|[^\w\s]", sentence[match.end() :])[:3]:
            if not token[0].isalnum():
                break
            if re.fullmatch(r"\d+[A-ZĐ]\d*", token) or (token[0].isupper() and not token.isupper()):
                return True
    return False


def profile_for(section: Section, lex: Lexicon) -> str | None:
    heading = section.heading.lower()
    for pattern, profile in lex.profiles_by_heading:
        if pattern.search(heading):
            return profile
    return lex.profiles_by_kind.get(section.kind)


def _children(doc: Document, index: int) -> list[int]:
    return [i for i, s in enumerate(doc.sections) if s.parent == index]


def _span_end(doc: Document, index: int) -> int:
    """End of a section including its descendants, whatever convention the detector used for `end`."""
    return max([doc.sections[index].end] + [_span_end(doc, c) for c in _children(doc, index)])


def judge_section(doc: Document, index: int, lex: Lexicon) -> SectionEvidence | None:
    """None when the section makes no effectiveness claim (theory, objective, references, ...)."""
    section = doc.sections[index]
    profile = profile_for(section, lex)
    if profile is None:
        return None
    children = _children(doc, index)
    text = doc.text[section.body_start : _span_end(doc, index)]
    sig = collect_signals(text, lex)
    if profile == "novelty":
        status, findings = _judge_novelty(text, sig, lex)
    elif profile == "applicability":
        status, findings = _judge_applicability(text, sig, lex)
    elif profile == "confirmation":
        status, findings = _judge_confirmation(sig, lex)
    else:
        status, findings = _judge_quantitative(sig, profile, lex)
    if children:
        names = ", ".join(f"\"{doc.sections[c].heading}\"" for c in children)
        findings.insert(0, lex.msg("parent_note", children=names))
        if not doc.text[section.body_start : doc.sections[children[0]].start].strip():
            findings.insert(1, lex.msg("parent_own_body_empty"))
    suggestions = list(lex.suggestions.get(profile, {}).get(status, []))
    return SectionEvidence(heading=section.heading, kind=section.kind, status=status, findings=findings,
                           suggestions=suggestions)


def _document_checks(doc: Document, lex: Lexicon) -> tuple[list[str], list[str]]:
    findings, suggestions = [], []
    sentences = split_sentences(doc.text)
    # The form asks for a date: a cue sentence counts only when it holds one (dates are masked as "◦").
    first = next((s for s in sentences if lex.document_checks["first_application"].search(s.lower())
                  and "◦" in mask_non_evidence(s, lex)[0]), None)
    if first:
        findings.append(lex.msg("doc_first_application_found", sentence=_quote(first)))
    else:
        findings.append(lex.msg("doc_first_application_missing"))
        suggestions.append(lex.document_suggestions["first_application"])
    confirmed = next((s for s in sentences if lex.document_checks["confirmation"].search(s.lower())), None)
    if confirmed:
        findings.append(lex.msg("doc_confirmation_found", sentence=_quote(confirmed)))
    else:
        findings.append(lex.msg("doc_confirmation_missing"))
        suggestions.append(lex.document_suggestions["confirmation"])
    people = lex.document_checks["people"]
    if any(people.search(s.heading.lower()) for s in doc.sections) or any(
        people.search(s.lower()) for s in sentences if len(s.split()) <= 20
    ):
        findings.append(lex.msg("doc_people_found"))
    else:
        findings.append(lex.msg("doc_people_missing"))
        suggestions.append(lex.document_suggestions["people"])
    for name in doc.missing_sections:
        findings.append(lex.msg("doc_missing_section", section=name))
        suggestions.append(lex.document_suggestions["missing_section"].format(section=name))
    return findings, suggestions


def analyze_evidence(doc: Document, lex: Lexicon) -> EvidenceReport:
    sections = [judged for i in range(len(doc.sections)) if (judged := judge_section(doc, i, lex))]
    findings, suggestions = _document_checks(doc, lex)
    return EvidenceReport(sections, findings, suggestions)
