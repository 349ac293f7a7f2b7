"""Exact money, the rounding functions, date functions and brackets, as a drafter sees them."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import decide
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.values import EvaluationError, Maybe, Value, localcontext_exact

DAY = date(2025, 1, 1)


def evaluate(defs: str, name: str, day: date = DAY, **facts: Value) -> Maybe:
    """The value of `name` in a module declaring `defs`, for the facts given."""
    reg = load_text("module m\n" + defs, "m.rules")
    with localcontext_exact():
        return Program(reg, day).name(name)(Env(dict(facts)))


# -- exact money --------------------------------------------------------------------------------

PREMIUM = load_text("""
regulation premie "Normpremie"
input income : money "Toetsingsinkomen"
parameter income_rate : percent "Percentage boven het drempelinkomen"
  2024-01-01: 13.67%
parameter threshold : money "Drempelinkomen"
  2024-01-01: €26_819.00
requirement any : income >= €0
amount part : money = round(income_rate * max(€0, income - threshold), 2)
""", "premie.rules")


def test_a_half_cent_that_float_loses_is_kept_exactly() -> None:
    # 13.67% of €1_250.00 above the threshold is exactly €170.875, which rounds (half up) to
    # €170.88; in float the product is 170.87499999999997 and every float rounding gives €170.87
    above = 1250.00
    as_float = above * 0.1367
    assert round(as_float, 2) == 170.87
    assert math.floor(as_float * 100 + 0.5) / 100 == 170.87
    d = decide(Program(PREMIUM, DAY), {"income": Decimal("28069.00")})
    assert d.eligible is True
    assert d.amounts["part"] == Decimal("170.88")
    assert d.to_json()["amounts"] == {"part": "170.88"}


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_money_addition_is_exact_to_the_cent(a_cents: int, b_cents: int) -> None:
    a, b = Decimal(a_cents).scaleb(-2), Decimal(b_cents).scaleb(-2)
    got = evaluate("input a : money\ninput b : money\ndefine s = a + b - €0.10", "s", a=a, b=b)
    assert got == Decimal(a_cents + b_cents - 10).scaleb(-2)


def test_money_times_a_percentage_keeps_every_digit() -> None:
    got = evaluate("input a : money\ndefine s = a * 13.67%", "s", a=Decimal("1987.00"))
    assert got == Decimal("271.6229")


def test_decision_reports_money_with_two_decimals_half_up() -> None:
    reg = load_text("""
regulation r
input a : money
requirement ok : a >= €0
amount x : money = a * 50%
""")
    d = decide(Program(reg, DAY), {"a": Decimal("0.05")})
    assert d.amounts["x"] == Decimal("0.025")  # the formula's exact value
    assert d.to_json()["amounts"]["x"] == "0.03"  # reported to the cent, half up


# -- rounding ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "want"), [
    ("round(€2.5)", Decimal("3")),
    ("round(-€2.5)", Decimal("-3")),  # half away from zero
    ("floor(-€2.5)", Decimal("-3")),
    ("ceil(-€2.5)", Decimal("-2")),
    ("round(€10 / 3, 2)", Decimal("3.33")),
    ("ceil(€10 / 3, 2)", Decimal("3.34")),
    ("floor(€20 / 3, 2)", Decimal("6.66")),
    ("round(€20 / 3, 2)", Decimal("6.67")),
    ("round(€1 * 0.125, 2)", Decimal("0.13")),  # a money literal has at most two decimals (E0009)
    ("round(-€1 * 0.125, 2)", Decimal("-0.13")),
    ("round(€1_234.56 * 1.005 / 1, 2)", Decimal("1240.73")),
    ("round(€1_000 / 7, 4)", Decimal("142.8571")),
    ("floor(7 / 2)", 3),
    ("ceil(7 / 2)", 4),
    ("round(-7 / 2)", -4),
    ("round(€2_112 / 12, 2)", Decimal("176.00")),
])
def test_rounding_functions(expr: str, want: Value) -> None:
    assert evaluate(f"define x = {expr}", "x") == want


@given(st.integers(-10**12, 10**12), st.integers(1, 10**6))
def test_a_rounded_division_is_the_exact_quotient_rounded(num: int, den: int) -> None:
    got = evaluate("input a : int\ninput b : int\ndefine x = round(a / b, 2)", "x", a=num, b=den)
    scaled = abs(num) * 100  # the oracle: integer arithmetic, half away from zero
    q, r = divmod(scaled, den)
    if 2 * r >= den:
        q += 1
    assert got == Decimal(q if num >= 0 else -q).scaleb(-2)


def test_division_by_zero_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="division by zero"):
        evaluate("input b : int\ndefine x = round(€10 / b, 2)", "x", b=0)


# -- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("born", "on", "years"), [
    (date(2000, 2, 29), date(2018, 2, 28), 17),  # born on 29 February: not yet 18 on 28 February
    (date(2000, 2, 29), date(2018, 3, 1), 18),  # but 18 on 1 March
    (date(2000, 2, 29), date(2020, 2, 29), 20),
    (date(2007, 1, 1), date(2025, 1, 1), 18),
    (date(2007, 1, 2), date(2025, 1, 1), 17),
    (date(2025, 1, 1), date(2024, 1, 1), -1),
])
def test_years_between_is_the_age_on_a_day(born: date, on: date, years: int) -> None:
    assert evaluate("input b : date\ninput d : date\ndefine x = years_between(b, d)", "x", b=born, d=on) == years


def test_the_age_on_the_reference_date() -> None:
    defs = "input b : date\ndefine age = years_between(b, reference_date)"
    assert evaluate(defs, "age", day=date(2025, 2, 28), b=date(2007, 2, 28)) == 18
    assert evaluate(defs, "age", day=date(2025, 2, 27), b=date(2007, 2, 28)) == 17


@pytest.mark.parametrize(("expr", "want"), [
    ("add_months(2024-01-31, 1)", date(2024, 2, 29)),
    ("add_months(2023-01-31, 1)", date(2023, 2, 28)),
    ("add_months(2024-03-31, -1)", date(2024, 2, 29)),
    ("add_years(2024-02-29, 1)", date(2025, 2, 28)),
    ("add_years(2024-02-29, 4)", date(2028, 2, 29)),
    ("add_days(2024-02-28, 1)", date(2024, 2, 29)),
    ("add_days(2025-02-28, 1)", date(2025, 3, 1)),
    ("days_between(2024-01-01, 2025-01-01)", 366),
    ("months_between(2024-01-31, 2024-02-29)", 0),
    ("months_between(2024-01-15, 2025-03-15)", 14),
    ("max(2024-01-01, 2025-06-30)", date(2025, 6, 30)),
])
def test_date_functions(expr: str, want: Value) -> None:
    assert evaluate(f"define x = {expr}", "x") == want


def test_a_date_out_of_range_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError):
        evaluate("define x = add_years(9999-01-01, 1)", "x")


# -- brackets ---------------------------------------------------------------------------------

BRACKET = """
input income : money
bracket rate : percent "Tarief" on income
  2024-01-01:
    | ..€10_000 => 1%
    | €10_000..€20_000 => 2%
    | €20_000..€30_000 => 3%
  2025-01-01:
    | ..€20_000 => 5%
    | €20_000.. => 6%
"""


@pytest.mark.parametrize(("income", "day", "rate"), [
    ("0.00", date(2024, 6, 1), "0.01"),
    ("9999.99", date(2024, 6, 1), "0.01"),
    ("10000.00", date(2024, 6, 1), "0.02"),  # a row holds its lower bound, not its upper
    ("29999.99", date(2024, 12, 31), "0.03"),
    ("19999.99", date(2025, 1, 1), "0.05"),  # the version in force on the date
    ("20000.00", date(2025, 1, 1), "0.06"),
    ("1000000.00", date(2026, 1, 1), "0.06"),
])
def test_bracket_lookup(income: str, day: date, rate: str) -> None:
    assert evaluate(BRACKET, "rate", day=day, income=Decimal(income)) == Decimal(rate)


def test_a_bracket_gap_is_an_evaluation_error_naming_the_bracket_and_value() -> None:
    with pytest.raises(EvaluationError, match=r"`rate` covers the value 30000\.00"):
        evaluate(BRACKET, "rate", day=date(2024, 6, 1), income=Decimal("30000.00"))


def test_a_bracket_with_an_unknown_key_is_unknown() -> None:
    assert evaluate(BRACKET, "rate") is None
