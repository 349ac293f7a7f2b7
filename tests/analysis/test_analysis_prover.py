"""The prover's closed answers: a proof with a minimal core, a case the engine accepts, or unknown —
and a query that runs out of time is never a finding."""

from __future__ import annotations

from datetime import date

import z3

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.encode import Var
from eenvoud.analysis.prover import Budget, Proved, Prover, Refuted, Stats, Unknown
from eenvoud.dsl.load import load_text
from eenvoud.ir import types as t


def _prover(budget: float = 1.0) -> tuple[Prover, z3.ArithRef]:
    x = z3.Int("x")
    prover = Prover({"x": Var("x", t.IntType(0, 100), (x,), x, None)}, [], Budget(budget, backstop=False), Stats())
    prover.name("domain of `x`", z3.And(x >= 0, x <= 100))
    return prover, x


def test_a_proof_cites_a_minimal_core() -> None:
    prover, x = _prover()
    prover.name("at least 10", x >= 10)
    prover.name("at least 20", x >= 20)
    prover.name("even", x % 2 == 0)
    answer = prover.check(["domain of `x`", "at least 10", "at least 20", "even"], [x < 5])
    assert answer == Proved(("at least 10",)) or answer == Proved(("at least 20",))


def test_a_refutation_is_a_case_inside_the_domain() -> None:
    prover, x = _prover()
    answer = prover.check(["domain of `x`"], [x > 98])
    assert isinstance(answer, Refuted) and answer.case["x"] in (99, 100)


def test_a_query_out_of_time_is_unknown_and_says_so() -> None:
    a, b, c = z3.Ints("a b c")
    prover = Prover({}, [a > 0, b > 0, c > 0], Budget(0.05, backstop=False), Stats())
    answer = prover.check([], [a * a * a + b * b * b == c * c * c])
    assert isinstance(answer, Unknown) and "time limit" in answer.reason


def test_a_redundancy_the_solver_cannot_settle_is_unknown_never_a_finding() -> None:
    # a³ + b³ = c³ has no solution in positive whole numbers (Euler): the requirement below can
    # never fail, so it is redundant, but no SMT solver proves Fermat's theorem in 0.05 s; the limit is
    # a resource limit only (no wall-clock backstop), so a busy machine gives the same answer
    reg = load_text("""regulation fermat "f"
input a : int 1..1000000 "a"
input b : int 1..1000000 "b"
input c : int 1..1000000 "c"
requirement positive "a is positive": a >= 1
requirement not_a_cube_sum "no cube sum": a * a * a + b * b * b != c * c * c
""", "fermat.rules")
    report = analyze([reg], day=date(2025, 1, 1), budget=Budget(0.05, backstop=False))
    assert [f for f in report.findings if f.subject == "not_a_cube_sum"] == []
    assert any(u.subject == "not_a_cube_sum" and "time limit" in u.reason for u in report.unknown)
