"""Runs the `test` blocks of rule files: the drafter's own examples, in the drafter's terms."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import assert_never

from eenvoud.diagnostics import RuleError
from eenvoud.engine import values as v
from eenvoud.engine.decision import Decision, Engine, default_engine
from eenvoud.engine.evaluate import Program
from eenvoud.engine.facts import literal_value
from eenvoud.engine.values import EvaluationError, Maybe, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import names_in
from eenvoud.ir.printer import literal, money_text


@dataclass(frozen=True)
class TestResult:
    regulation: str
    test: n.Test
    failures: tuple[str, ...]  # "expected ..., got ..." lines; empty when the test passed
    # for a failed test: the values on the path to what failed (`name = value`, definitions,
    # parameters and inputs the failing expectation reads, directly or through definitions)
    path: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def location(self) -> str:
        return str(self.test.span) if self.test.span else self.regulation

    def to_json(self) -> dict[str, object]:
        return {"regulation": self.regulation, "test": self.test.name, "location": self.location,
                "passed": self.passed, "failures": list(self.failures), "path": list(self.path)}


def run_tests(reg: CheckedRegulation, engine: Engine | None = None) -> list[TestResult]:
    engine = engine or default_engine()
    return [run_test(reg, test, engine) for test in reg.tests]


def run_test(reg: CheckedRegulation, test: n.Test, engine: Engine) -> TestResult:
    facts: dict[str, Value] = {g.name: literal_value(g.value) for g in test.given}
    try:
        prog = engine.program(reg, test.on)
        # the rules' own answer for the facts given (Kleene): a test leaves out the facts it does not
        # test (the kindgebonden budget's yearly sum), and is not about the completions no test
        # gives (a child born in 9999, whose 18th birthday leaves the calendar), which `eval` and the
        # API leave undetermined (engine.decision.may_fail)
        decision = engine.decide(reg, facts, test.on, cautious=False)
    except EvaluationError as exc:
        return TestResult(reg.name, test, (f"the rules could not be evaluated: {exc}",))
    failures: list[str] = []
    roots: list[str] = []  # what the failed expectations read: their path is shown
    for e in test.expects:
        match e:
            case n.ExpectEligible():
                if decision.error is not None:
                    failures.append(f"expected {_outcome(e.value)}, got an error: {decision.error.message} "
                                    f"(in {decision.error.subject})")
                elif decision.eligible != e.value:
                    failures.append(f"expected {_outcome(e.value)}, got {_outcome(decision.eligible)}{_why(decision)}")
                    failed = {r.requirement for r in decision.reasons if r.status == "fails"}
                    roots += [name for r in reg.requirements if (not failed or r.name in failed)
                              for name in _requirement_names(r)]
            case n.ExpectValue():
                sym = reg.symbols[e.name]
                if sym.kind == "amount" and reg.is_regulation():
                    got: Maybe = decision.amounts.get(e.name)
                else:
                    from eenvoud.engine.evaluate import Env

                    env = Env(facts)
                    try:
                        with v.localcontext_exact():
                            got = prog.name(e.name)(env)
                    except EvaluationError as exc:
                        # a value the decision did not need (a definition, a bracket) can still fail
                        failures.append(f"expected {e.name} = {literal(e.value)}, but it cannot be evaluated: {exc}")
                        continue
                want = literal_value(e.value)
                if not _equal(got, want, sym.type):
                    failures.append(f"expected {e.name} = {literal(e.value)}, got {_show(got, sym.type)}")
                    roots.append(e.name)
            case n.ExpectMissing():
                if set(decision.missing) != set(e.names):
                    failures.append("expected missing {" + ", ".join(e.names) + "}, got missing {"
                                    + ", ".join(decision.missing) + "}")
            case _:
                assert_never(e)
    path = path_values(reg, prog, facts, roots) if failures else ()
    return TestResult(reg.name, test, tuple(failures), path)


SHOWN_ON_PATH = 16  # values of a failed test's path shown at most


def _requirement_names(r: n.Requirement) -> list[str]:
    out = names_in(r.condition)
    for x in r.exemptions:
        out += [name for name in names_in(x.condition) if name not in out]
    return out


def path_values(reg: CheckedRegulation, prog: Program, facts: dict[str, Value],
                roots: list[str]) -> tuple[str, ...]:
    """`name = value` for every definition, amount, bracket, parameter and input that `roots`
    read, directly or through definitions: the values that led to what a failed test got. Those
    furthest from the roots come first, so that the list reads as the computation goes."""
    from eenvoud.engine.evaluate import Env

    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str, depth: int) -> None:
        if name in seen or name not in reg.symbols or depth > 64:
            return
        seen.add(name)
        decl = reg.symbols[name].decl
        reads: list[str] = []
        if isinstance(decl, n.Definition | n.Amount):
            reads = names_in(decl.expr)
        elif isinstance(decl, n.Bracket):
            reads = names_in(decl.key)
        for other in reads:
            visit(other, depth + 1)
        order.append(name)

    for root in roots:
        visit(root, 0)
    env = Env(dict(facts))
    shown: list[str] = []
    for name in order:
        sym = reg.symbols[name]
        if sym.kind == "builtin":
            continue
        if sym.kind == "input":
            value: Maybe = facts.get(name)
            shown.append(f"{name} = {_show(value, sym.type)}" + (" (given)" if value is not None else ""))
            continue
        try:
            with v.localcontext_exact():
                value = prog.name(name)(env)
        except EvaluationError as exc:
            shown.append(f"{name}: cannot be evaluated: {exc}")
            continue
        except RuleError:  # a parameter without a value on the date: the failure says so already
            continue
        kind = {"parameter": " (parameter)", "bracket": " (bracket)"}.get(sym.kind, "")
        shown.append(f"{name} = {_show(value, sym.type)}{kind}")
    if len(shown) > SHOWN_ON_PATH:
        shown = shown[:SHOWN_ON_PATH - 1] + [f"... and {len(shown) - SHOWN_ON_PATH + 1} more"]
    return tuple(shown)


def _equal(got: Maybe, want: Value, typ: t.Type) -> bool:
    if got is None:
        return False
    if isinstance(typ, t.MoneyType) and isinstance(got, Decimal | int):
        # money is compared as it is reported: to the cent
        return Decimal(v.money(Decimal(got))) == want
    return bool(got == want)


def _outcome(value: bool | None) -> str:
    return {True: "eligible", False: "not eligible", None: "undetermined"}[value]


def _why(d: Decision) -> str:
    failed = [r.requirement for r in d.reasons if r.status == "fails"]
    if failed:
        return " (fails: " + ", ".join(failed) + ")"
    if d.eligible is None:
        return " (missing: " + ", ".join(d.missing) + ")"
    return ""


def _show(value: Maybe, typ: t.Type) -> str:
    if value is None:
        return "unknown"
    if isinstance(typ, t.MoneyType) and isinstance(value, Decimal | int):
        return money_text(Decimal(v.money(Decimal(value))))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return v.to_json(value)  # type: ignore[return-value]
    return str(value)
