"""Planted defects: for every kind of finding, rule files with a defect (the finding is reported,
with the right subject) and a clean twin (no finding at all).

Each case file (or folder, for findings across regulations) says what it expects in a comment:
`# expect: KIND SUBJECT` or `# clean: KIND`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.findings import KINDS
from eenvoud.analysis.prover import Budget
from eenvoud.library import Library

CASES = Path(__file__).parent / "cases"
ENTRIES = sorted(CASES.iterdir())


def _expectation(entry: Path) -> tuple[str, str | None]:
    files = sorted(entry.rglob("*.rules")) if entry.is_dir() else [entry]
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    found = re.search(r"^# expect: (\S+) (.+)$", text, re.M)
    if found:
        return found.group(1), found.group(2).strip()
    clean = re.search(r"^# clean: (\S+)$", text, re.M)
    assert clean, f"{entry} says neither `# expect:` nor `# clean:`"
    return clean.group(1), None


def _findings(entry: Path) -> list[tuple[str, str]]:
    lib = Library.load([entry])
    assert not lib.diagnostics, lib.diagnostics
    report = analyze(list(lib.regulations.values()), day=date(2025, 1, 1), budget=Budget(1.0, backstop=False),
                     library=list(lib.files.values()))
    assert not report.unknown, report.unknown
    return sorted((f.kind, f.subject) for f in report.findings)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_planted_defect_is_found_and_its_clean_twin_is_clean(entry: Path) -> None:
    kind, subject = _expectation(entry)
    found = _findings(entry)
    if subject is not None:
        assert (kind, subject) in found, found
    else:
        assert found == [], found


def test_every_kind_has_two_defects_and_clean_twins() -> None:
    defects: dict[str, int] = {}
    clean: dict[str, int] = {}
    for entry in ENTRIES:
        kind, subject = _expectation(entry)
        target = defects if subject is not None else clean
        target[kind] = target.get(kind, 0) + 1
    for kind in KINDS:
        if kind == "unused_in_period":
            continue  # needs several dates (these cases are analysed on one): test_analysis_burdens.py
        if kind == "diverging_definition":
            continue  # needs several regulations (these cases are one each): test_diff.py
        assert defects.get(kind, 0) >= 2, kind
        assert clean.get(kind, 0) >= 2, kind


# The complete findings of each case, sorted: a finding the analyzer adds, or one it loses, fails.
# Read against the files: beside the planted defect, a requirement whose exemption holds for
# everyone is also redundant and the input only it reads irrelevant (constant_exemption_*); the
# input that only a dead branch reads is irrelevant (dead_branch_a); a document providing only
# what a registry already gives is also unnecessary (registry_question_b: one finding, both reasons).
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "bracket_gap_a.rules": [("bracket_gap", "rate")],
    "bracket_gap_a_clean.rules": [],
    "bracket_gap_b.rules": [("bracket_gap", "rate")],
    "bracket_gap_b_clean.rules": [],
    "bracket_overlap_a.rules": [("bracket_overlap", "rate.rows.1,2")],
    "bracket_overlap_a_clean.rules": [],
    "bracket_overlap_b.rules": [("bracket_overlap", "category.rows.2,3")],
    "bracket_overlap_b_clean.rules": [],
    "constant_exemption_a.rules": [
        ("constant_exemption", "income_test.unless.1"),
        ("irrelevant_input", "income"),
        ("redundant_requirement", "income_test"),
    ],
    "constant_exemption_a_clean.rules": [],
    "constant_exemption_b.rules": [
        ("constant_exemption", "income_test.unless.1"),
        ("irrelevant_input", "income"),
        ("redundant_requirement", "income_test"),
    ],
    "constant_exemption_b_clean.rules": [],
    "contradiction_a.rules": [("contradiction", "adult, minor")],
    "contradiction_a_clean.rules": [],
    "contradiction_b.rules": [("contradiction", "employed_only, retired_only")],
    "contradiction_b_clean.rules": [],
    "dead_branch_a.rules": [
        ("dead_branch", "limit.if.1.then"),
        ("irrelevant_input", "age"),
    ],
    "dead_branch_a_clean.rules": [],
    "dead_branch_b.rules": [("dead_branch", "benefit.if.1.then")],
    "dead_branch_b_clean.rules": [],
    "dead_exemption_a.rules": [("dead_exemption", "asset_test.unless.1")],
    "dead_exemption_a_clean.rules": [],
    "dead_exemption_b.rules": [("dead_exemption", "asset_test.unless.1")],
    "dead_exemption_b_clean.rules": [],
    "irrelevant_input_a.rules": [("irrelevant_input", "shoe_size")],
    "irrelevant_input_a_clean.rules": [],
    "irrelevant_input_b.rules": [("irrelevant_input", "has_car")],
    "irrelevant_input_b_clean.rules": [],
    "property_violated_a.rules": [("property_violated", "nobody under 18 qualifies")],
    "property_violated_a_clean.rules": [],
    "property_violated_b.rules": [("property_violated", "the benefit is never negative")],
    "property_violated_b_clean.rules": [],
    "redundant_a.rules": [("redundant_requirement", "adult")],
    "redundant_a_clean.rules": [],
    "redundant_b.rules": [("redundant_requirement", "floor_y")],
    "redundant_b_clean.rules": [],
    # a question asked in one file that another takes from a registry is a check error now (E0116:
    # one fact, one declaration); the planted defect is a document asking what the BRP holds
    "registry_question_a": [("registry_data_requested", "passport_copy")],
    "registry_question_a_clean": [],
    "registry_question_b.rules": [  # one finding per burden: unnecessary is among its reasons
        ("registry_data_requested", "income_statement"),
    ],
    "registry_question_b_clean.rules": [],
    "registry_gap_a.rules": [("registry_gap", "income")],  # the document asks what BRI does not hold yet
    "registry_gap_a_clean.rules": [],
    "registry_gap_b.rules": [("registry_gap", "expected_income")],
    "registry_gap_b_clean.rules": [],
    "unnecessary_document_a.rules": [("unnecessary_document", "proof_of_age")],
    "unnecessary_document_a_clean.rules": [],
    "unnecessary_document_b.rules": [("unnecessary_document", "asset_statement")],
    "unnecessary_document_b_clean.rules": [],
    "unnecessary_document_c.rules": [("unnecessary_document", "partner_statement")],
    "unnecessary_document_c_clean.rules": [],
}


def test_every_case_has_its_complete_findings_written_down() -> None:
    assert sorted(EXPECTED) == [e.name for e in ENTRIES]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_planted_case_has_exactly_its_findings(entry: Path) -> None:
    assert _findings(entry) == EXPECTED[entry.name]
