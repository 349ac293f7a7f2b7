"""The Z3 encoding decides every case as the engine does: eligibility, every amount, every
document, and whether the engine can decide the case at all."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import z3
from analysis_regulations import DATES, cases, regulations
from hypothesis import given, settings
from hypothesis import strategies as st

from eenvoud.analysis import dates as zdates
from eenvoud.analysis.encode import encode
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import decide
from eenvoud.engine.evaluate import Program
from eenvoud.engine.values import EvaluationError, Value


def _value(term: z3.ExprRef) -> object:
    if z3.is_true(term):
        return True
    if z3.is_false(term):
        return False
    if z3.is_int_value(term):
        return term.as_long()  # type: ignore[attr-defined]
    if z3.is_rational_value(term):
        return Fraction(term.as_fraction())  # type: ignore[attr-defined]
    raise AssertionError(f"not a value: {term}")


def _same(engine: object, solver: object) -> bool:
    if isinstance(engine, bool) or isinstance(solver, bool):
        return engine is solver
    return Fraction(engine) == solver  # type: ignore[arg-type]


@settings(max_examples=60)
@given(regulations(), st.lists(cases(), min_size=3, max_size=3), st.sampled_from(DATES))
def test_the_encoding_decides_every_case_as_the_engine(text: str, facts_list: list[dict[str, Value]],
                                                       day: date) -> None:
    reg = load_text(text, "generated.rules")
    prog = Program(reg, day)
    enc = encode(reg, day)
    for facts in facts_list:
        try:
            decision = decide(prog, facts)
        except EvaluationError:
            decision = None
        if decision is not None and decision.error is not None:
            decision = None  # an error is an outcome of its own: the case is not defined
        defined = _value(enc.evaluate(enc.defined, facts))
        assert defined is (decision is not None), (text, facts)
        if decision is None:
            continue
        assert _value(enc.evaluate(enc.eligible, facts)) is decision.eligible, (text, facts)
        for name, paid in enc.paid.items():
            assert _same(decision.amounts[name], _value(enc.evaluate(paid, facts))), (name, text, facts)
        for doc in decision.documents:
            got = _value(enc.evaluate(enc.documents[str(doc["document"])], facts))
            assert got is doc["required"], (doc, text, facts)


@settings(max_examples=200)
@given(st.dates(date(1, 3, 1), date(9999, 12, 31)))
def test_day_numbers_convert_to_the_calendar_and_back(day: date) -> None:
    """The civil-from-days terms agree with Python's calendar (solved, not folded)."""
    x = z3.Int("x")
    y, m, d = zdates.civil(x)
    back = zdates.ordinal(y, m, d)
    s = z3.Solver()
    s.add(x == day.toordinal())
    assert s.check() == z3.sat
    model = s.model()
    got = tuple(model.eval(v).as_long() for v in (y, m, d, back))  # type: ignore[attr-defined]
    assert got == (day.year, day.month, day.day, day.toordinal())
