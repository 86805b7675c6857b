"""The demo archive in data/demo is well-formed, and its labels say what its texts really are."""
from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
DOCS = sorted(p.relative_to(DEMO).as_posix() for p in DEMO.glob("*/*.md"))
LABELS = json.loads((DEMO / "labels.json").read_text(encoding="utf-8"))
FRONT_MATTER_KEYS = {"title", "author", "unit", "year", "field"}
# Words are runs of letters, so table pipes, numbers and dates do not count.
WORD = re.compile(r"[^\W\d_]+")
TOP_LEVEL_HEADING = re.compile(r"^\d+\.\s")


def split_front_matter(rel: str) -> tuple[dict, str]:
    text = (DEMO / rel).read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{rel}: thiếu YAML front matter"
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def lines(rel: str) -> list[str]:
    return split_front_matter(rel)[1].splitlines()


def section_text(rel: str, heading: str) -> str:
    """Body of a top-level numbered section: from its heading line to the next `N. ...` line."""
    body = lines(rel)
    start = body.index(heading) + 1
    end = next((i for i in range(start, len(body)) if TOP_LEVEL_HEADING.match(body[i])), len(body))
    return "\n".join(body[start:end]).strip()


def sentences(text: str) -> list[str]:
    """Sentences of prose lines; headings (no final stop) are template text every document shares."""
    prose = [line for line in text.splitlines() if line.rstrip().endswith((".", ":", ";", "!", "?"))]
    return [s for line in prose for s in re.split(r"(?<=[.!?:;])\s+", line.strip()) if len(WORD.findall(s)) >= 8]


def test_demo_set_has_archive_and_submissions():
    assert sum(d.startswith("archive/") for d in DOCS) == 8
    assert sum(d.startswith("submissions/") for d in DOCS) == 4
    assert set(LABELS["docs"]) == set(DOCS)


@pytest.mark.parametrize("rel", DOCS)
def test_front_matter_parses(rel):
    meta, body = split_front_matter(rel)
    assert FRONT_MATTER_KEYS <= set(meta)
    assert all(isinstance(meta[k], str) and meta[k].strip() for k in FRONT_MATTER_KEYS - {"year"})
    assert isinstance(meta["year"], int) and 2010 <= meta["year"] <= 2025
    assert meta["year"] == LABELS["docs"][rel]["year"]
    assert meta["title"] == LABELS["docs"][rel]["title"]


@pytest.mark.parametrize("rel", DOCS + ["manifest.csv", "labels.json"])
def test_files_are_utf8_nfc(rel):
    text = (DEMO / rel).read_bytes().decode("utf-8")  # strict: raises on a bad byte
    assert unicodedata.is_normalized("NFC", text)
    assert "\r" not in text and "\ufeff" not in text


@pytest.mark.parametrize("rel", DOCS)
def test_word_count_in_range_and_written_with_diacritics(rel):
    words = WORD.findall(split_front_matter(rel)[1])
    assert 700 <= len(words) <= 1300, f"{rel}: {len(words)} từ"
    # Text typed without diacritics would still count words; most Vietnamese syllables carry a mark.
    marked = sum(any(ord(c) > 127 for c in w) for w in words)
    assert marked / len(words) > 0.4


def test_total_size_stays_small():
    total = sum(len(WORD.findall(split_front_matter(rel)[1])) for rel in DOCS)
    assert total <= 14_000


def test_manifest_lists_every_archive_doc_with_its_front_matter():
    with open(DEMO / "manifest.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["path", "title", "year", "unit", "field"]
        rows = list(reader)
    assert sorted(r["path"] for r in rows) == [d for d in DOCS if d.startswith("archive/")]
    for row in rows:
        assert (DEMO / row["path"]).is_file()
        meta, _ = split_front_matter(row["path"])
        assert (row["title"], int(row["year"]), row["unit"], row["field"]) == (
            meta["title"], meta["year"], meta["unit"], meta["field"])


def test_labels_roles_and_targets_are_consistent():
    docs = LABELS["docs"]
    for rel, label in docs.items():
        assert label["role"] == ("archive" if rel.startswith("archive/") else "submission")
        assert label["template"] in {"SKKN", "TT18", "T291"}
        for key in ("duplicate_of", "copied_from", "same_topic_as"):
            if label.get(key):
                assert docs[label[key]]["role"] == "archive"
    kinds = {docs[d]["kind"] for d in DOCS if d.startswith("submissions/")}
    assert kinds == {"paraphrase", "same_topic_novel", "partial_copy", "original"}
    dup = docs["submissions/dup_reworded.md"]
    # The re-worded duplicate must also change template, or it would be found by headings alone.
    assert dup["template"] != docs[dup["duplicate_of"]]["template"]


@pytest.mark.parametrize("rel", sorted(LABELS["evidence"]))
def test_evidence_headings_appear_once_verbatim(rel):
    body = lines(rel)
    for heading, level in LABELS["evidence"][rel].items():
        assert level in {"present", "weak", "missing"}
        assert body.count(heading) == 1, f"{rel}: {heading!r}"


def test_every_submission_and_three_archive_docs_have_evidence_labels():
    labelled = set(LABELS["evidence"])
    assert {d for d in DOCS if d.startswith("submissions/")} <= labelled
    assert sum(d.startswith("archive/") for d in labelled) >= 3
    # The weak-evidence submission must give the self-check something to report.
    assert set(LABELS["evidence"]["submissions/original.md"].values()) == {"missing"}


def test_copied_sections_are_near_verbatim_and_the_rest_is_new():
    rel = "submissions/partial_copy.md"
    label = LABELS["docs"][rel]
    source = label["copied_from"]
    for heading in label["copied_sections"]:
        copied, original = section_text(rel, heading), section_text(source, heading)
        assert copied != original, "a light edit is expected, not an identical copy"
        assert fuzz.ratio(copied, original) >= 95
    own = [s for s in sentences(split_front_matter(rel)[1])
           if not any(s in section_text(rel, h) for h in label["copied_sections"])]
    source_sentences = sentences(split_front_matter(source)[1])
    borrowed = [s for s in own if max(fuzz.ratio(s, t) for t in source_sentences) >= 90]
    assert borrowed == []


@pytest.mark.parametrize("rel", ["submissions/dup_reworded.md", "submissions/same_topic_new.md"])
def test_reworded_submissions_share_no_sentence_with_their_archive_doc(rel):
    label = LABELS["docs"][rel]
    source = label.get("duplicate_of") or label["same_topic_as"]
    source_sentences = sentences(split_front_matter(source)[1])
    for s in sentences(split_front_matter(rel)[1]):
        assert max(fuzz.ratio(s, t) for t in source_sentences) < 80, s
