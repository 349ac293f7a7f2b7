"""`simplify` keeps every decision: its output decides every generated case as the input does."""

from __future__ import annotations

from datetime import date

from analysis_regulations import DATES, cases, regulations
from hypothesis import given, settings
from hypothesis import strategies as st

from eenvoud.analysis.prover import Budget
from eenvoud.analysis.simplify import simplify
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import Decision, decide
from eenvoud.engine.evaluate import Program
from eenvoud.engine.values import EvaluationError, Value


def _outcome(prog: Program, facts: dict[str, Value]) -> tuple[object, ...] | str:
    try:
        d: Decision = decide(prog, facts)
    except EvaluationError as exc:
        return f"error: {exc}"
    return (d.eligible, tuple(sorted(d.amounts.items())))


@settings(max_examples=20)
@given(regulations(depth=2, planted=True), st.lists(cases(), min_size=6, max_size=6), st.sampled_from(DATES))
def test_simplified_regulation_decides_every_case_as_the_original(
        text: str, facts_list: list[dict[str, Value]], day: date) -> None:
    reg = load_text(text, "generated.rules")
    result = simplify(reg, budget=Budget(0.2, backstop=False), day=day)
    if not result.proved:
        return  # refusing is always allowed; writing a wrong text never is
    assert result.regulation is not None and result.text is not None
    again = load_text(result.text, "generated.rules")
    before, after = Program(reg, day), Program(again, day)
    for facts in facts_list:
        assert _outcome(before, facts) == _outcome(after, facts), (text, result.text, facts)


def test_simplify_removes_a_redundant_requirement_and_says_so() -> None:
    text = """regulation r "r"
input age : int 0..130 "Leeftijd"
requirement adult "18+": age >= 18
requirement adult_21 "21+": age >= 21
"""
    result = simplify(load_text(text, "r.rules"), budget=Budget(1.0, backstop=False), day=date(2025, 1, 1))
    assert result.proved
    assert result.removed == ["requirement `adult` (redundant)"]
    assert "adult_21" in (result.text or "") and "requirement adult " not in (result.text or "")


def test_simplify_refuses_when_nobody_qualifies() -> None:
    text = """regulation r "r"
input age : int 0..130 "Leeftijd"
requirement adult "18+": age >= 18
requirement minor "<16": age < 16
"""
    result = simplify(load_text(text, "r.rules"), budget=Budget(1.0, backstop=False), day=date(2025, 1, 1))
    assert not result.proved and result.text is None
    assert "contradict" in result.note
