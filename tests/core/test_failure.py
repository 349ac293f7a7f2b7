"""What may fail (eenvoud/core/failure.py): the nodes of a lowered core that some values within the
declared domains make fail, the spans they are judged by, and the search that shows a set of
completions free of errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eenvoud.core.failure import Span, error_possible, may_fail
from eenvoud.core.lower import build
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import default_engine
from eenvoud.engine.evaluate import Env
from eenvoud.engine.facts import literal_value
from eenvoud.engine.values import localcontext_exact
from eenvoud.library import Library

DAY = date(2025, 1, 1)

TEXT = """regulation g "generated"
input b : int 0..5 "b"
input c : int 3..5 "c"
input n : int 0..4 "n"
input m : int 1..4 "m"
input born : date "born"
bracket gap : money "a gap at 2" on b
  2024-01-01:
    | ..2 => €10.00
    | 3.. => €20.00
bracket covered : money "no gap where c can be" on c
  2024-01-01:
    | ..2 => €10.00
    | 3.. => €20.00
bracket closed : money "no row above 4" on b
  2024-01-01:
    | ..5 => €10.00
define by_n : money "n may be 0" = round(€10.00 / n, 2)
define by_m : money "m is never 0" = round(€10.00 / m, 2)
define later : date "a shift of a date with no domain" = add_years(born, 18)
define fixed : date "a shift of a constant" = add_years(2000-01-01, 18)
requirement r "r" : b >= 0
amount x1 : money "x1" = gap
amount x2 : money "x2" = covered
amount x3 : money "x3" = closed
amount x4 : money "x4" = by_n
amount x5 : money "x5" = by_m
amount x6 : int "x6" = years_between(later, fixed)
amount x7 : int "x7" = years_between(fixed, 2030-01-01)
"""


def _core():  # type: ignore[no-untyped-def]
    return build(load_text(TEXT, "g.rules"), DAY)


def test_each_kind_of_node_that_may_fail_is_found_and_only_where_the_domains_reach_it() -> None:
    core = _core()
    mf = may_fail(core)
    risky = {a.name: mf.risky(a.formula) for a in core.amounts}
    assert risky == {"x1": {"b"}, "x2": set(), "x3": {"b"}, "x4": {"n"}, "x5": set(), "x6": {"born"}, "x7": set()}
    whys = {a.name: [h.why for h in mf.hazards(a.formula)] for a in core.amounts}
    assert whys["x1"] == ["no row of the bracket `gap` covers 2"]
    assert whys["x3"] == ["no row of the bracket `closed` covers 5"]
    assert whys["x4"] == ["a divisor that may be 0"]
    assert whys["x6"] == ["`add_years` may leave the calendar"]


def test_spans_follow_the_declared_domains() -> None:
    core = _core()
    mf = may_fail(core)
    assert mf.span(core.definitions["by_m"]) == Span(Decimal("2.50"), Decimal("10.00"))
    assert mf.span(core.definitions["fixed"]) == Span(date(2018, 1, 1), date(2018, 1, 1))
    later = mf.span(core.definitions["later"])
    assert later is not None and later.lo == date(19, 1, 1) and later.hi == date.max


def test_the_sets_search_proves_a_guarded_gap_unreachable_and_finds_an_open_one() -> None:
    guarded = TEXT.replace('amount x1 : money "x1" = gap', 'amount x1 : money "x1" = if b >= 3 then gap else €0.00') \
        .replace('amount x3 : money "x3" = closed', 'amount x3 : money "x3" = €0.00')
    reg = load_text(guarded, "g.rules")
    core = build(reg, DAY)
    # only x1 reads b through its gap, now behind a guard; the others have their facts
    facts = {"c": 3, "n": 1, "m": 1, "born": date(1990, 1, 1)}
    assert may_fail(core).risky(core.amounts[0].formula) == {"b"}  # the pass alone cannot see the guard
    assert not error_possible(core, facts, ["b"])
    core = _core()
    assert error_possible(core, facts, ["b"])


def test_every_value_the_engine_computes_on_the_shipped_tests_lies_in_its_span() -> None:
    # the spans are the analysis's soundness: a value outside one could hide a failure
    lib = Library.load(["rules"])
    engine = default_engine()
    checked = 0
    for reg in lib.regulations.values():
        for test in reg.tests:
            prog = engine.program(reg, test.on)
            mf = may_fail(prog.core)
            env = Env({g.name: literal_value(g.value) for g in test.given})
            for name, term in prog.core.definitions.items():
                span = mf.span(term)
                if span is None:
                    continue
                try:
                    with localcontext_exact():
                        value = prog.name(name)(env)
                except Exception:  # noqa: BLE001 - a value that cannot be evaluated lies in any span
                    continue
                if value is None or isinstance(value, bool):
                    continue
                got = value if isinstance(value, date) else Decimal(value)
                assert span.lo <= got <= span.hi, (reg.name, test.name, name, value, span)  # type: ignore[operator]
                checked += 1
    assert checked > 1_000
