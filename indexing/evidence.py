"""Evidence-gap analysis: does each section that claims an effect prove it?

Rules over cues, not a trained model: the labelled families are few and unseen ones are measured, so
the decisions rest on general principles kept as data in the lexicons folder (evidence.yaml, each cue
with a comment saying why it is or is not evidence). Evidence means a *measured outcome*: before/after
on the same measure, a control group, rates over a stated sample, money or time saved with how it was
computed, or confirmation by a named applying unit. Numbers that do not measure an outcome (dates,
section and document numbers, dimensions and quantities of materials, counts of steps or classes) are
not evidence.

Rows: one per section that claims an effect (results, benefits, effectiveness, applicability, novelty,
the applying unit's opinion, summary and conclusion) or gives the baseline they compare against (reason,
current situation). Procedure steps and the solution's own sections make no claim and get no row. A
section with sub-sections is judged on its whole text, because authors often put the proof in a
sub-section.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from indexing.document import Document, Section
from indexing.errors import InputError
from indexing.report import EvidenceGap, EvidenceSummary, SectionEvidence
from indexing.text import split_sentences

STATUSES = ("present", "weak", "missing")
LEXICON_FILE = "evidence.yaml"

# A figure: digits with Vietnamese/English separators, an optional range and an optional percent sign.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*(?:\s*[–-]\s*\d+(?:[.,]\d+)*)?(?:\s*%)?")
_NUM = r"\d[\d.,]*(?:\s*[–-]\s*\d[\d.,]*)?\s*%?"
_MAX_QUOTES = 3
_RANK = {"present": 2, "weak": 1, "missing": 0}
# Effect claims, most important first: the order the summary's gaps are listed in.
EFFECT_PROFILES = ("measured", "confirmation", "applicability", "summary", "novelty")


@dataclass
class EvidenceReport:
    sections: list[SectionEvidence] = field(default_factory=list)
    summary: EvidenceSummary | None = None
    document_findings: list[str] = field(default_factory=list)
    document_suggestions: list[str] = field(default_factory=list)


@dataclass
class Signals:
    """What was seen in one text; statuses are decided from these per profile."""

    figures: list[str] = field(default_factory=list)  # numbers that measure something
    context: list[str] = field(default_factory=list)  # numbers of materials, sizes, sessions: not outcomes
    ignored: list[str] = field(default_factory=list)  # dates, document and section numbers
    table_rows: int = 0  # table rows holding measured figures
    comparisons: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    calculations: list[str] = field(default_factory=list)
    confirmations: list[str] = field(default_factory=list)
    vague: list[str] = field(default_factory=list)  # "nhiều em", "phần lớn hộ", "một nửa"
    claims: list[str] = field(default_factory=list)
    percents_without_base: bool = False
    money_claims: bool = False

    @property
    def measured(self) -> bool:
        """A measured outcome: before/after, a rate over a sample, a worked-out saving, a table."""
        return bool(self.table_rows >= 2 or self.comparisons or self.samples or self.calculations)


class Lexicon:
    """evidence.yaml compiled once; all regexes are matched on lower-cased text."""

    def __init__(self, data: dict):
        self.data = data
        self.profiles_by_kind: dict[str, str] = data["profiles_by_kind"]
        self.profiles_by_heading = [(re.compile(p["pattern"]), p["profile"]) for p in data["profiles_by_heading"]]
        self.no_row_headings = re.compile(data["no_row_headings"])
        self.non_evidence = [re.compile(p, re.M) for p in data["non_evidence_numbers"]]
        units = "|".join(sorted(map(re.escape, data["context_units"]), key=len, reverse=True))
        # "40 × 30 × 25 cm", "2, 3, 4, 6, 8, 12 phần": every number of the list sizes the same thing.
        self.context_figure = re.compile(rf"\s*(?:(?:[×x*]|,|và|hoặc)\s*{_NUM}\s*)*(?:{units})(?![\wà-ỹđ])")
        self.comparisons = [re.compile(p.replace("NUM", _NUM)) for p in data["comparison_patterns"]]
        self.savings = [re.compile(p.replace("NUM", _NUM)) for p in data["savings_patterns"]]
        self.samples = [re.compile(p) for p in data["sample_patterns"]]
        quantifiers = "|".join(sorted(data["vague_quantifiers"], key=len, reverse=True))
        nouns = "|".join(sorted(data["population_nouns"], key=len, reverse=True))
        self.vague = re.compile(rf"(?<![\wà-ỹđ])(?:{quantifiers})\s+(?:\S+\s+)?(?:{nouns})(?![\wà-ỹđ])")
        self.word_quantities = data["word_quantities"]
        self.number_words = re.compile(data["number_word_quantity"])
        self.dissemination = [re.compile(p) for p in data["dissemination_patterns"]]
        self.money = re.compile(data["money_pattern"])
        self.claims = data["claim_phrases"]
        self.novelty_generic = sorted(data["novelty_generic"], key=len, reverse=True)
        self.novelty_contrast = [re.compile(p) for p in data["novelty_contrast"]]
        self.applied = [re.compile(p) for p in data["applied_patterns"]]
        self.potential = [re.compile(p) for p in data["potential_patterns"]]
        unit_words = "|".join(sorted(map(re.escape, data["unit_words"]), key=len, reverse=True))
        self.unit_word = re.compile(rf"\b(?:{unit_words})\b", re.I)
        self.confirmations = data["confirmation_phrases"]
        self.document_checks = {k: re.compile(v) for k, v in data["document_checks"].items()}
        self.messages: dict[str, str] = data["messages"]
        self.suggestions: dict = data["suggestions"]
        self.document_suggestions: dict[str, str] = data["document_suggestions"]
        self.overall: dict[str, str] = data["overall"]

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


def _figures(sentence: str, masked: str, lex: Lexicon) -> tuple[list[str], list[str]]:
    """The sentence's figures split into measures and context numbers (a number followed by a unit of
    size or a count of materials, sessions, classes, or part of a dimension "40 × 30 cm")."""
    measures, context = [], []
    for m in _FIGURE.finditer(masked):
        shown = sentence[m.start() : m.end()].strip()
        before = masked[max(0, m.start() - 3) : m.start()]
        if not shown.endswith("%") and (lex.context_figure.match(masked, m.end()) or re.search(r"[×x*]\s*$", before)):
            context.append(shown)
        else:
            measures.append(shown)
    return measures, context


def collect_signals(text: str, lex: Lexicon) -> Signals:
    sig = Signals()
    for sentence in split_sentences(text):
        masked, dropped = mask_non_evidence(sentence, lex)
        sig.ignored.extend(dropped)
        found, context = _figures(sentence, masked, lex)
        sig.figures.extend(found)
        sig.context.extend(context)
        sig.vague.extend(m.group() for m in lex.vague.finditer(masked))
        sig.vague.extend(w for w in lex.word_quantities if w in masked)
        sig.vague.extend(m.group() for m in lex.number_words.finditer(masked))
        if " | " in sentence:
            sig.table_rows += bool(found)
            continue  # a table row is evidence by itself; its cells are not sentences
        if found and any(p.search(masked) for p in lex.comparisons):
            sig.comparisons.append(sentence)
        if found and any(p.search(masked) for p in lex.samples):
            sig.samples.append(sentence)
        if found and any(p.search(masked) for p in lex.savings):
            sig.calculations.append(sentence)  # a saving shown with the figures it is worked out from
        if any(c in masked for c in lex.confirmations):
            sig.confirmations.append(sentence)
        if any(f.endswith("%") for f in found):
            sig.percents_without_base = True
        if lex.money.search(masked):
            sig.money_claims = True
        if not found and any(c in masked for c in lex.claims):
            sig.claims.append(sentence)
    sig.percents_without_base = sig.percents_without_base and not sig.measured
    return sig


def _figure_findings(sig: Signals, lex: Lexicon) -> list[str]:
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
    if sig.context:
        out.append(lex.msg("context_numbers", numbers=", ".join(list(dict.fromkeys(sig.context))[:6])))
    if sig.ignored and not sig.figures:
        out.append(lex.msg("ignored_numbers", numbers=", ".join(list(dict.fromkeys(sig.ignored))[:5])))
    out.extend(lex.msg("word_quantity", phrase=w) for w in list(dict.fromkeys(sig.vague))[:2])
    out.extend(lex.msg("unsupported_claim", sentence=_quote(s)) for s in sig.claims[:_MAX_QUOTES])
    return out


def _judge_measured(sig: Signals, named_confirmation: bool, lex: Lexicon) -> tuple[str, list[str]]:
    findings = _figure_findings(sig, lex)
    if named_confirmation:
        findings.insert(0, lex.msg("confirmation_found", sentence=_quote(sig.confirmations[0])))
    if sig.measured or named_confirmation:
        return "present", findings
    if sig.figures or sig.vague:
        return "weak", findings + [lex.msg("no_baseline")]
    return "missing", findings


def _judge_baseline(sig: Signals, lex: Lexicon, context_counts: bool = True) -> tuple[str, list[str]]:
    """The situation before: measured (a survey over a sample, a table, a comparison) or only sketched
    with context figures (classes, villages) or partial ones. A reason is not made "weak" by context
    figures (the textbook's "2 tiết thực hành"): only by figures about the group concerned."""
    findings = _figure_findings(sig, lex)
    if sig.measured:
        return "present", findings
    if sig.figures or sig.vague or (context_counts and sig.context):
        return "weak", findings
    return "missing", findings


def _judge_summary(sig: Signals, lex: Lexicon) -> tuple[str, list[str]]:
    findings = _figure_findings(sig, lex)
    # A summary or conclusion restates results: several distinct measures are the proof it gives.
    if sig.measured or len(set(sig.figures)) >= 3:
        return "present", findings
    if sig.figures or sig.vague:
        return "weak", findings + [lex.msg("no_baseline")]
    return "missing", findings


def _judge_confirmation(sig: Signals, lex: Lexicon) -> tuple[str, list[str]]:
    findings = _figure_findings(sig, lex)
    if sig.confirmations:
        findings.insert(0, lex.msg("confirmation_found", sentence=_quote(sig.confirmations[0])))
        return "present", findings
    if sig.measured:
        return "present", findings
    if sig.figures:
        return "weak", findings + [lex.msg("no_confirmation")]
    return "missing", findings + [lex.msg("no_confirmation")]


def _judge_novelty(text: str, sig: Signals, lex: Lexicon) -> tuple[str, list[str]]:
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


def _judge_applicability(text: str, sig: Signals, lex: Lexicon) -> tuple[str, list[str]]:
    applied_named, applied, potential_named, potential, introduced = [], [], [], [], []
    for sentence in split_sentences(text):
        masked, _ = mask_non_evidence(sentence, lex)
        named = names_unit(sentence, lex)
        if any(p.search(masked) for p in lex.applied):
            (applied_named if named else applied).append(sentence)
        elif any(p.search(masked) for p in lex.dissemination):
            introduced.append(sentence)
        elif any(p.search(masked) for p in lex.potential):
            (potential_named if named else potential).append(sentence)
    findings = [lex.msg("applied_named", sentence=_quote(s)) for s in applied_named[:2]]
    findings += [lex.msg("applied_unnamed", sentence=_quote(s)) for s in applied[:2]]
    findings += [lex.msg("introduced", sentence=_quote(s)) for s in introduced[:1]]
    findings += [lex.msg("potential_named", sentence=_quote(s)) for s in potential_named[:1]]
    findings += [lex.msg("potential_generic", sentence=_quote(s)) for s in potential[:1]]
    if applied_named and (sig.figures or sig.confirmations):
        return "present", findings
    if applied or applied_named or potential_named or introduced:
        return "weak", findings
    return "missing", findings


def names_unit(sentence: str, lex: Lexicon) -> bool:
    """A unit word followed, within five words, by a proper name ("xã Quang Lang", "Phòng khám đa
    khoa khu vực Châu Sơn") or a class code ("lớp 1B"); acronyms ("trường THCS") and common nouns
    alone do not name one."""
    for match in lex.unit_word.finditer(sentence):
        for token in re.findall(r"[\w/]+|[^\w\s]", sentence[match.end() :])[:5]:
            if not token[0].isalnum():
                break
            if re.fullmatch(r"\d+[A-ZĐ]\d*", token) or (token[0].isupper() and not token.isupper()):
                return True
    return False


def profile_for(section: Section, lex: Lexicon) -> str | None:
    heading = section.heading.lower()
    if lex.no_row_headings.search(heading):
        return None  # a procedure step: part of the solution, rolled up into it
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
    """None when the section makes no claim (theory, objective, a procedure step, references ...)."""
    section = doc.sections[index]
    profile = profile_for(section, lex)
    if profile is None:
        return None
    text = doc.text[section.body_start : _span_end(doc, index)]
    sig = collect_signals(text, lex)
    if profile == "novelty":
        status, findings = _judge_novelty(text, sig, lex)
    elif profile == "applicability":
        status, findings = _judge_applicability(text, sig, lex)
    elif profile == "confirmation":
        status, findings = _judge_confirmation(sig, lex)
    elif profile in ("baseline", "reason"):
        status, findings = _judge_baseline(sig, lex, context_counts=profile == "baseline")
    elif profile == "summary":
        status, findings = _judge_summary(sig, lex)
    else:
        # Confirmation by a named applying unit: the unit may be named in the sentence before the one
        # saying "đã có văn bản xác nhận".
        named = bool(sig.confirmations) and any(names_unit(s, lex) for s in split_sentences(text))
        status, findings = _judge_measured(sig, named, lex)
    children = _children(doc, index)
    if children and status != "missing":
        own = collect_signals(doc.text[section.body_start : doc.sections[children[0]].start], lex)
        proving = [doc.sections[c].heading for c in children
                   if collect_signals(doc.text[doc.sections[c].body_start : _span_end(doc, c)], lex).measured]
        if proving and not own.measured:
            findings.insert(0, lex.msg("evidence_in_children", children=", ".join(f"“{h}”" for h in proving)))
    return SectionEvidence(heading=section.heading, kind=section.kind, status=status, findings=findings,
                           suggestions=suggestions_for(profile, status, sig, lex), profile=profile)


def suggestions_for(profile: str, status: str, sig: Signals, lex: Lexicon) -> list[str]:
    """Advice that fits what the section holds: a percentage rule only where there are percentages,
    a calculation only where money is claimed, and so on (evidence.yaml `suggestions`)."""
    if status == "present":
        return []
    rules = lex.suggestions.get(profile, {}).get(status, [])
    facts = {"percents_without_base": sig.percents_without_base, "money": sig.money_claims and not sig.calculations,
             "vague": bool(sig.vague), "context_only": bool(sig.context) and not sig.figures,
             "claims": bool(sig.claims), "figures": bool(sig.figures)}
    chosen = [rule["text"] for rule in rules if all(facts.get(c, False) for c in rule.get("when", []))]
    return chosen[:2]


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


def summarize(rows: list[SectionEvidence], lex: Lexicon) -> EvidenceSummary:
    """The document's evidence at a glance: present when the results are measured and most effect
    claims are backed, missing when no effect claim is; and the three most important gaps."""
    effect = [r for r in rows if r.profile in EFFECT_PROFILES]
    measured = [r for r in effect if r.profile in ("measured", "confirmation")]
    if not effect or not any(_RANK[r.status] for r in measured or effect):
        status = "missing"
    elif any(r.status == "present" for r in measured) and sum(r.status != "present" for r in effect) * 2 <= len(effect):
        status = "present"
    else:
        status = "weak"
    order = {p: n for n, p in enumerate(EFFECT_PROFILES)}
    gaps = sorted((r for r in effect if r.status != "present"),
                  key=lambda r: (_RANK[r.status], order[r.profile]))
    return EvidenceSummary(status=status, text=lex.overall[status], gaps=[
        EvidenceGap(heading=r.heading, status=r.status,
                    suggestion=(r.suggestions or [lex.overall["default_suggestion"]])[0]) for r in gaps[:3]])


def analyze_evidence(doc: Document, lex: Lexicon) -> EvidenceReport:
    rows = [judged for i in range(len(doc.sections)) if (judged := judge_section(doc, i, lex))]
    findings, suggestions = _document_checks(doc, lex)
    return EvidenceReport(rows, summarize(rows, lex), findings, suggestions)
