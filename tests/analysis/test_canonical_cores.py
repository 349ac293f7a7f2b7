"""Cited cores are canonical: when several minimal sets of requirements and domains prove a finding,
the one cited is the one deletion keeps trying the formulas in the order they were named, last
first (a slice names its domains, then its requirements in file order), whatever Z3's own core
was. So the because-list of a finding is the same on repeated runs, after other rules were
encoded (Z3 numbers its terms in the order they are made, and its cores follow the numbering),
and whether a query ran on a fresh solver or on the prover's assumption solver."""

from __future__ import annotations

from datetime import date

import z3

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.encode import Var
from eenvoud.analysis.prover import Budget, Proved, Prover, Refuted, Stats
from eenvoud.dsl.load import load_text
from eenvoud.ir import types as t

DAY = date(2025, 1, 1)

# `weak` is implied by `first`, by `second` and by `third` alone (and `fourth` by the domain of `y`),
# `low_again` by `low` and by the domain of `n`, through products, so that neither the hint of
# identical requirements nor the interval sweep names a core: which one Z3 returns is its own choice
# (before cores were canonical, it cited `low` for `low_again`)
RULES = """regulation cores "Cores"
input x : int 0..100 "x"
input y : int 0..50 "y"
requirement first "first": 2 * x >= 40
requirement second "second": 3 * x >= 90
requirement third "third": 2 * x + y >= 100 and y <= 10
requirement weak "weak": 2 * x >= 10
requirement fourth "fourth": 2 * y <= 120
input n : int 0..20 "n"
requirement low "low": 1 * n >= 0
requirement low_again "low again": 5 * n >= 0
"""


def _because() -> dict[str, tuple[str, ...]]:
    reg = load_text(RULES, "cores.rules")
    report = analyze([reg], day=DAY, budget=Budget(1.0, backstop=False), jobs=1)
    assert not report.unknown
    return {f.subject: f.because for f in report.findings if f.kind == "redundant_requirement"}


def _disturb() -> None:
    """Make Z3 number later terms differently: unrelated terms and solved queries in between."""
    xs = z3.Ints(" ".join(f"junk{k}" for k in range(300)))
    s = z3.Solver()
    for k, x in enumerate(xs):
        s.add(x * (k + 1) >= k, x <= 1000 - k)
    assert s.check() == z3.sat


def test_the_cited_core_is_the_canonical_one() -> None:
    got = _because()
    # `fourth` first (last first): only the domain of `y` is needed; then `weak`: `first` is the
    # earliest requirement that implies it alone
    assert got["fourth"] == ("domain of `y`",)
    assert got["weak"] == ("first",)
    # `low_again` follows from `low` and from the domain of `n` alone: the domain is named first
    assert got["low_again"] == ("domain of `n`",) and got["low"] == ("domain of `n`",)


def test_the_cited_cores_are_the_same_whatever_was_encoded_before() -> None:
    first = _because()
    _disturb()
    assert _because() == first
    load_text(RULES.replace("regulation cores", "regulation other"), "other.rules")
    _disturb()
    assert _because() == first


def _prover() -> tuple[Prover, z3.ArithRef]:
    x = z3.Int("x")
    prover = Prover({"x": Var("x", t.IntType(0, 100), (x,), x, None)}, [], Budget(1.0, backstop=False), Stats())
    prover.name("domain of `x`", z3.And(x >= 0, x <= 100))
    prover.name("at least 10", x >= 10)
    prover.name("at least 20", x >= 20)
    prover.name("even", x % 2 == 0)
    return prover, x


def test_the_core_follows_the_order_of_naming_not_of_the_question() -> None:
    for witness in (True, False):
        prover, x = _prover()
        names = ["domain of `x`", "at least 10", "at least 20", "even"]
        assert prover.check(names, [x < 5], witness=witness) == Proved(("at least 10",))
        # the cited names keep the question's order; which ones are cited does not depend on it
        assert prover.check(list(reversed(names)), [x < 5], witness=witness) == Proved(("at least 10",))
        assert prover.check(names, [x < 15], witness=witness) == Proved(("at least 20",))


def test_a_question_without_witness_is_still_closed() -> None:
    prover, x = _prover()
    answer = prover.check(["domain of `x`", "even"], [x > 98], witness=False)
    assert isinstance(answer, Refuted) and answer.case == {}
    assert prover.check(["domain of `x`"], [x > 100], witness=False) == Proved(("domain of `x`",))
