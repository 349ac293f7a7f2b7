"""Errors are outcomes (issue 9): a statutory condition that keeps cases away from a bracket gap or a
division by zero is never "redundant", an input that only decides between an amount and a gap is
never "irrelevant", `simplify` never strikes such a condition, and the gap is reported with a case
that qualifies whenever one reaches it. Each case is checked in the engine too: a case that fails a
requirement is not eligible, never an error.
"""

from __future__ import annotations

from datetime import date

import pytest

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.prover import Budget
from eenvoud.analysis.simplify import simplify
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import default_engine
from eenvoud.ir.checked import CheckedRegulation

DAY = date(2025, 1, 1)

BRACKET_FROM_18 = """regulation young "Toeslag vanaf 18"
input age : int 0..130 "Leeftijd"
bracket rate : money "Bedrag naar leeftijd" on age
  2024-01-01:
    | 18..30 => €100.00
    | 30.. => €200.00
requirement adult "Art. 1: 18 jaar of ouder" : age >= 18
amount benefit : money "Toeslag" = rate
"""

DIVISION_GUARD = """regulation wage "Uurloon"
input hours : int 0..80 "Uren per week"
input earnings : money €0.00..€10_000.00 "Verdiensten per week"
requirement works "Art. 2: ten minste een uur" : hours >= 1
amount hourly : money "Uurloon" = round(earnings / hours, 2)
"""

INCOME_FROM_ZERO = """regulation low "Inkomenstoeslag"
input income : money "Inkomen"
bracket rate : percent "Percentage naar inkomen" on income
  2024-01-01:
    | €0..€20_000 => 10%
    | €20_000.. => 0%
requirement non_negative "Art. 3: inkomen niet negatief" : income >= €0
amount supplement : money "Toeslag" = round(€1_000 * rate, 2)
"""

# `student` decides only between an amount and a gap: with `student`, the bracket on `age` is read
# for ages it does not cover
AMOUNT_OR_GAP = """regulation grant "Studietoeslag"
input age : int 0..130 "Leeftijd"
input student : bool "Studeert"
bracket rate : money "Bedrag naar leeftijd" on age
  2024-01-01:
    | 18..30 => €50.00
requirement adult "Art. 1: 16 jaar of ouder" : age >= 16
amount grant : money "Toeslag" = if student then rate else €10.00
"""

# a true redundancy beside a bracket that covers every key is still found
COVERED_REDUNDANT = """regulation covered "Gedekte tabel"
input age : int 0..130 "Leeftijd"
bracket rate : money "Bedrag naar leeftijd" on age
  2024-01-01:
    | ..30 => €100.00
    | 30.. => €200.00
requirement adult "Art. 1: 18 jaar of ouder" : age >= 18
requirement grown "Art. 2: 16 jaar of ouder" : age >= 16
amount benefit : money "Toeslag" = rate
"""


def _reg(text: str, name: str) -> CheckedRegulation:
    return load_text(text, f"{name}.rules")


def _findings(reg: CheckedRegulation) -> list[tuple[str, str]]:
    report = analyze([reg], day=DAY, budget=Budget(2.0, backstop=False))
    assert report.unknown == [], report.unknown
    return sorted((f.kind, f.subject) for f in report.findings)


@pytest.mark.parametrize(("text", "facts", "requirement"), [
    (BRACKET_FROM_18, {"age": 16}, "adult"),
    (DIVISION_GUARD, {"hours": 0, "earnings": "100.00"}, "works"),
])
def test_a_case_that_fails_a_requirement_is_not_eligible_never_an_error(text: str, facts: dict[str, object],
                                                                        requirement: str) -> None:
    reg = _reg(text, "case")
    engine = default_engine()
    d = engine.decide_json(reg, facts, DAY)
    assert d.error is None
    assert d.eligible is False
    assert [r.requirement for r in d.reasons if r.status == "fails"] == [requirement]
    assert d.to_json()["error"] is None


def test_a_negative_income_fails_the_requirement_instead_of_the_bracket() -> None:
    d = default_engine().decide_json(_reg(INCOME_FROM_ZERO, "low"), {"income": "-1.00"}, DAY)
    assert (d.eligible, d.error) == (False, None)


def test_an_eligible_case_in_a_gap_is_the_error_outcome_with_where_and_why() -> None:
    d = default_engine().decide_json(_reg(AMOUNT_OR_GAP, "grant"), {"age": 40, "student": True}, DAY)
    assert d.eligible is None and d.outcome == "error"
    assert d.error is not None
    assert d.error.message == "no row of the bracket `rate` covers the value 40"
    assert d.error.subject == "amount `grant`"
    assert d.error.span is not None and d.error.span.endswith("grant.rules:4:9")
    assert d.to_json()["amounts"] == {"grant": None}


@pytest.mark.parametrize(("text", "name"), [
    (BRACKET_FROM_18, "young"), (DIVISION_GUARD, "wage"), (INCOME_FROM_ZERO, "low"),
])
def test_a_guard_against_a_failure_is_needed(text: str, name: str) -> None:
    found = _findings(_reg(text, name))
    assert not [f for f in found if f[0] in ("redundant_requirement", "irrelevant_input")], found
    # the gap or division below the guard is reached only by cases the guard excludes: no finding
    assert found == []


def test_an_input_that_decides_between_an_amount_and_a_gap_is_relevant_and_the_gap_is_reported() -> None:
    reg = _reg(AMOUNT_OR_GAP, "grant")
    report = analyze([reg], day=DAY, budget=Budget(2.0, backstop=False))
    assert report.unknown == []
    kinds = sorted((f.kind, f.subject) for f in report.findings)
    # both stretches an eligible student reaches: 16 and 17, and 30 and up; `student` is relevant
    assert kinds == [("bracket_gap", "rate"), ("bracket_gap", "rate")], kinds
    ages = []
    for gap in report.findings:
        assert gap.witness is not None
        case = gap.witness.facts
        assert case["student"] is True and case["age"] >= 16
        ages.append(case["age"])
        # the witness qualifies (fails no requirement) and the engine's outcome for it is the error
        assert gap.witness.decision["failed"] == []
        assert "no row of the bracket `rate`" in str(gap.witness.decision["error"])
    assert sorted(a >= 30 for a in ages) == [False, True]


def test_a_true_redundancy_beside_a_covering_bracket_is_still_found() -> None:
    assert _findings(_reg(COVERED_REDUNDANT, "covered")) == [("redundant_requirement", "grown")]


@pytest.mark.parametrize(("text", "name", "requirement"), [
    (BRACKET_FROM_18, "young", "adult"), (DIVISION_GUARD, "wage", "works"), (INCOME_FROM_ZERO, "low", "non_negative"),
])
def test_simplify_keeps_the_statutory_condition(text: str, name: str, requirement: str) -> None:
    result = simplify(_reg(text, name), Budget(2.0, backstop=False))
    assert result.text is not None
    assert f"requirement {requirement}" in result.text
    assert result.removed == []


def test_simplify_removes_a_true_redundancy_and_proves_it_with_errors_as_outcomes() -> None:
    result = simplify(_reg(COVERED_REDUNDANT, "covered"), Budget(2.0, backstop=False))
    assert result.proved
    assert result.text is not None and "requirement grown" not in result.text
    assert "requirement adult" in result.text
