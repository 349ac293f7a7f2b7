"""Before the solver is asked whether a requirement can be struck, the engine looks for a case that
fails it alone (`requirements._needed_by_engine`): the base case with one answer moved next to the
requirement's constants, and, where the requirement starts to fail far from them, moved by
bisection to the first value that fails it (a bound on a definition with a bracket of rates, an
age from a birth date)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eenvoud.analysis.analyze import context_at
from eenvoud.analysis.context import Context
from eenvoud.analysis.prover import Budget, Stats
from eenvoud.analysis.requirements import _needed_by_engine, contradictions
from eenvoud.dsl.load import load_text

RULES = '''regulation toeslag "Toeslag"

input income : money €0.. "Inkomen"
input birth_date : date "Geboortedatum"

bracket rate : percent "Tarief" on income
  2025-01-01:
    | .. €10_000.00 => 0%
    | €10_000.00 .. => 20%

define net : money "Netto" = income - round(income * rate, 2)
define age : int "Leeftijd" = years_between(birth_date, reference_date)

requirement net_cap "Netto niet te hoog": net <= €40_000
requirement some_income "Enig inkomen": income >= €1_000
requirement adult "Volwassen": age >= 18
requirement born "Geboren": birth_date <= 2020-01-01
'''


def _context() -> Context:
    """The rules on 2025-01-01 with a base case every requirement meets: an income of €20,000 (a
    net of €16,000), born in 1980."""
    ctx = context_at(load_text(RULES, "toeslag.rules"), date(2025, 1, 1), Budget(1.0), Stats())
    assert not isinstance(ctx, str)
    contradictions(ctx)
    ctx.base.update({"income": Decimal("20000.00"), "birth_date": date(1980, 5, 1)})
    return ctx


def test_a_requirement_that_fails_far_from_its_constants_is_shown_needed_by_the_engine() -> None:
    ctx = _context()
    needed = set().union(*(_needed_by_engine(ctx, s) for s in ctx.slices))
    # net passes €40,000 at an income of €50,000.01, far from the constant 40,000; an age of 17
    # is a birth date in 2007, far from the constant 18
    assert {"net_cap", "adult"} <= needed, needed


def test_a_question_whose_answer_matters_far_from_the_constants_is_shown_by_the_engine() -> None:
    from eenvoud.analysis.inputs import _by_threshold

    ctx = _context()
    found = _by_threshold(ctx, ctx.slice_of("input", "income"), "income")
    assert found is not None
    case, value = found
    # the first income at which the net passes €40,000: eligible at the one, not at the other
    assert value == Decimal("50000.01") and case["income"] == Decimal("20000.00")
    born = _by_threshold(ctx, ctx.slice_of("input", "birth_date"), "birth_date")
    assert born is not None and born[1] == date(2007, 1, 2)  # 17 on 2025-01-01
