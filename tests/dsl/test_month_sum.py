"""`sum for each month m in the year of Y: body` (docs/language.md, "Sums over the months of a
year"): parsed, printed back, checked into twelve closed copies, lowered with constant months."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eenvoud.core import nodes as c
from eenvoud.core.lower import lower
from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import load_text
from eenvoud.dsl.parser import parse_text
from eenvoud.engine.decision import default_engine
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir.names import names_in

TEXT = """regulation r "r"
input born : date "Geboren"
input start : date "Start"
input pay : money "Bedrag per jaar"
define month_sum : money = sum for each month m in the year of reference_date: if first_day_of_next_month(born) <= m then pay else €0.00
define later = (sum for each month m in the year of start: if start <= m then 1 else 0) + 1
define nested = sum for each month m in the year of reference_date: sum for each month k in the year of m: if m <= k then 1 else 0
requirement born_yet : born <= reference_date
amount yearly : money "Per jaar" = round(month_sum / 12, 2)
"""


def _definition(reg: object, name: str) -> n.Expr:
    return next(d.expr for d in reg.definitions if d.name == name)  # type: ignore[attr-defined]


def _nodes(e: n.Expr) -> list[n.Expr]:
    out = [e]
    match e:
        case n.Unary():
            out += _nodes(e.operand)
        case n.Binary():
            out += _nodes(e.left) + _nodes(e.right)
        case n.InSet():
            for x in (e.operand, *e.options):
                out += _nodes(x)
        case n.If():
            out += _nodes(e.cond) + _nodes(e.then) + _nodes(e.else_)
        case n.Call():
            for a in e.args:
                out += _nodes(a)
    return out


def test_it_parses_to_a_month_sum_and_prints_back_the_same() -> None:
    parsed = parse_text(TEXT, "r.rules").regulation
    text = printer.regulation(parsed)
    assert "define later = (sum for each month m in the year of start: if start <= m then 1 else 0) + 1" in text
    assert "sum for each month m in the year of reference_date: sum for each month k in the year of m: " in text
    again = parse_text(text, "r.rules").regulation
    assert again == parsed
    assert printer.regulation(again) == text
    e = next(d.expr for d in parsed.items if isinstance(d, n.Definition) and d.name == "month_sum")
    assert isinstance(e, n.MonthSum) and e.var == "m" and e.args == (e.year, e.body) and e.months == ()


def test_the_checker_makes_twelve_closed_copies() -> None:
    reg = load_text(TEXT, "r.rules")
    e = _definition(reg, "month_sum")
    assert isinstance(e, n.MonthSum) and len(e.months) == 12 and len(e.starts) == 12
    assert e.args == (e.year, *e.months)
    for month in e.months:
        assert "m" not in names_in(month)
        assert not any(isinstance(x, n.Name) and x.name == "m" for x in _nodes(month))
        assert all(id(x) in reg.types for x in _nodes(month))  # every copied node has its type
    assert names_in(e) == ["reference_date", "born", "pay"]  # the month is bound, not read
    nested = _definition(reg, "nested")
    assert isinstance(nested, n.MonthSum)
    for month in nested.months:
        assert not any(isinstance(x, n.Name) and x.name in ("m", "k") for x in _nodes(month))


def test_the_months_are_constants_in_the_core_when_the_year_is_the_decision_date() -> None:
    core = lower(load_text(TEXT, "r.rules"), date(2025, 6, 1))
    core.ref("month_sum")
    seen: set[object] = set()
    dates: set[date] = set()
    calls: set[c.Func] = set()
    todo: list[c.Expr] = [core.definitions["month_sum"]]
    while todo:
        term = todo.pop()
        if id(term) in seen:
            continue
        seen.add(id(term))
        if isinstance(term, c.Const) and isinstance(term.value, date):
            dates.add(term.value)
        if isinstance(term, c.Call):
            calls.add(term.func)
        todo += c.children(term)
    assert {date(2025, k, 1) for k in range(1, 13)} <= dates
    assert c.Func.YEARS_BETWEEN not in calls and c.Func.ADD_MONTHS not in calls  # no month computed
    core.ref("later")
    later_calls = set()
    todo = [core.definitions["later"]]
    while todo:
        term = todo.pop()
        if isinstance(term, c.Call):
            later_calls.add(term.func)
        todo += c.children(term)
    assert c.Func.YEARS_BETWEEN in later_calls  # the year of an input: each month computed from it


@pytest.mark.parametrize(("born", "day", "months"), [
    (date(2025, 3, 15), date(2025, 6, 1), 9),  # from April
    (date(2025, 3, 1), date(2025, 6, 1), 9),  # the 1st is in March too: from April
    (date(2024, 12, 31), date(2025, 1, 1), 12),  # born last year: every month
    (date(2025, 11, 30), date(2025, 12, 31), 1),  # December only
])
def test_the_engine_sums_the_months_that_count(born: date, day: date, months: int) -> None:
    reg = load_text(TEXT, "r.rules")
    decision = default_engine().decide(reg, {"born": born, "pay": Decimal("1200.00")}, day)
    assert decision.eligible is True
    assert decision.amounts["yearly"] == Decimal(100 * months).quantize(Decimal("0.01"))


def test_the_sum_of_an_unknown_year_is_unknown() -> None:
    reg = load_text(TEXT + 'amount counted : int = later\n', "r.rules")
    decision = default_engine().decide(reg, {"born": date(2020, 1, 1), "pay": Decimal("1200.00")}, date(2025, 6, 1))
    assert decision.amounts["counted"] is None and "start" in decision.missing


@pytest.mark.parametrize(("body", "code"), [
    ("true", "E0222"),
    ("m", "E0222"),
])
def test_a_body_that_is_no_money_or_number_is_refused(body: str, code: str) -> None:
    text = f'regulation r "r"\ndefine x = sum for each month m in the year of reference_date: {body}\n'
    with pytest.raises(RuleError) as exc:
        load_text(text, "r.rules")
    assert [d.code for d in exc.value.diagnostics] == [code]
    assert exc.value.diagnostics[0].span is not None and exc.value.diagnostics[0].help


def test_sum_is_a_word_of_the_language() -> None:
    with pytest.raises(RuleError) as exc:
        load_text('regulation r "r"\ninput sum : int "Som"\n', "r.rules")
    assert [d.code for d in exc.value.diagnostics] == ["E0105"]
    # `for`, `each`, `month`, `the`, `year` and `of` stay names wherever a name can stand
    reg = load_text('regulation r "r"\ninput month : int 1..12 "Maand"\ninput each : int "Elk"\n'
                    'requirement r : month + each >= 1\n', "r.rules")
    assert {i.name for i in reg.inputs} == {"month", "each"}


def test_the_limits_reach_into_the_body() -> None:
    """E0005 counts the sum as four levels on top of its body, E0007 the body's parts once, and E0008
    and E0006 look inside the body as anywhere else."""
    deep = "€1.00" + " + €1.00" * 60  # 60 levels: with the sum's four, 64
    load_text(f'regulation r "r"\ndefine x = sum for each month m in the year of reference_date: {deep}\n', "r.rules")
    with pytest.raises(RuleError) as exc:
        load_text(f'regulation r "r"\ndefine x = sum for each month m in the year of reference_date: {deep} + €1.00\n',
                  "r.rules")
    assert [d.code for d in exc.value.diagnostics] == ["E0005"]
    terms = ["€1.00"] * 1024
    while len(terms) > 1:  # a balanced sum: 2,047 parts, 10 levels
        terms = [f"({a} + {b})" for a, b in zip(terms[::2], terms[1::2], strict=True)]
    with pytest.raises(RuleError) as exc:
        load_text(f'regulation r "r"\ndefine x = sum for each month m in the year of reference_date: {terms[0]}\n',
                  "r.rules")
    assert [d.code for d in exc.value.diagnostics] == ["E0007"]
    with pytest.raises(RuleError) as exc:
        load_text('regulation r "r"\ndefine x = sum for each month m in the year of reference_date: '
                  '€1_000_000_000_000_000_000_000_000.00\n', "r.rules")
    assert [d.code for d in exc.value.diagnostics] == ["E0008"]
    chain = "\n".join(f"define d{i} = d{i + 1} + €1.00" for i in range(70)) + "\ndefine d70 = €1.00\n"
    with pytest.raises(RuleError) as exc:
        load_text('regulation r "r"\ndefine x = sum for each month m in the year of reference_date: d0\n' + chain,
                  "r.rules")
    assert "E0006" in [d.code for d in exc.value.diagnostics]


@pytest.mark.parametrize(("start", "counted"), [
    (date(1995, 3, 10), 10),  # April to December 1995, plus one: a year long before 2000
    (date(2031, 12, 1), 2),  # December only
    (date(2025, 1, 1), 13),  # every month
])
def test_the_year_of_a_date_the_case_gives(start: date, counted: int) -> None:
    reg = load_text(TEXT + 'amount counted : int = later\n', "r.rules")
    decision = default_engine().decide(reg, {"born": date(2020, 1, 1), "pay": Decimal("1200.00"), "start": start},
                                       date(2025, 6, 1))
    assert decision.amounts["counted"] == counted


@pytest.mark.parametrize("facts", [
    {"born": date(2025, 3, 15), "pay": Decimal("1200.00"), "start": date(1995, 3, 10)},
    {"born": date(2024, 12, 31), "pay": Decimal("999.99"), "start": date(2031, 12, 1)},
    {"born": date(2025, 11, 30), "pay": Decimal("12.00"), "start": date(2025, 1, 1)},
])
def test_the_solver_sums_the_months_as_the_engine(facts: dict[str, object]) -> None:
    """The Z3 encoding reads the same core: each month's copy, a constant month or one computed
    from a date the case gives."""
    from fractions import Fraction

    import z3

    from eenvoud.analysis.encode import encode

    reg = load_text(TEXT + 'amount counted : int = later\n', "r.rules")
    day = date(2025, 6, 1)
    decision = default_engine().decide(reg, facts, day)  # type: ignore[arg-type]
    enc = encode(reg, day)
    for name in ("yearly", "counted"):
        got = enc.evaluate(enc.paid[name], facts)  # type: ignore[arg-type]
        value = got.as_long() if z3.is_int_value(got) else Fraction(got.as_fraction())  # type: ignore[attr-defined]
        assert Fraction(decision.amounts[name]) == value, name  # type: ignore[arg-type]
