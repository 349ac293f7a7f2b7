"""One regulation on one reference date, ready to be analyzed: its encoding, its slices with one
solver each, the engine program that replays witnesses, and the findings so far.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, assert_never

import z3

from eenvoud.analysis.encode import Encoding
from eenvoud.analysis.findings import Finding, Undecided, Witness
from eenvoud.analysis.plausible import claim_of, plausible, plausible_pair
from eenvoud.analysis.prover import Budget, Prover, Stats
from eenvoud.analysis.slices import Dependencies, Slice, slices
from eenvoud.analysis.variables import rule_constants
from eenvoud.engine import values as v
from eenvoud.engine.decision import Decision, decide, judge
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

# the constants of the rules the engine's probes try values next to, at most (see `constants_for`)
CONSTANTS = 80


class Disagreement(Exception):
    """A witness that the engine does not decide as the encoding said: a bug in one of the two.
    The question it answered is reported as unknown, never as a finding."""


@dataclass
class Context:
    reg: CheckedRegulation
    day: date
    enc: Encoding
    prog: Program
    budget: Budget
    stats: Stats
    # input name -> (registry, regulation, kind of type) for every input some rule file of the
    # library takes `from REGISTRY`
    library_registry: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unknown: list[Undecided] = field(default_factory=list)
    base: dict[str, Value] = field(default_factory=dict)  # a case meeting every requirement
    contradiction: bool = False  # nobody qualifies, or Z3 could not tell: claim nothing vacuous
    consistency_unknown: bool = False  # ... and it was the latter
    redundant: list[str] = field(default_factory=list)
    progress: Callable[[], None] | None = None
    parameter_echoes: bool = False  # report dead branches that only echo a parameter set by date
    echoes: int = 0  # ... and how many were left out
    slices: list[Slice] = field(default_factory=list)
    deps: Dependencies = field(init=False)
    everything: Slice = field(init=False)
    _closures: dict[str, Any] = field(default_factory=dict)  # engine closures by item
    # per slice (its id): its requirements with their closures, the one that failed last first
    _fail_order: dict[int, list[tuple[Any, Any]]] = field(default_factory=dict)
    _slice_index: dict[tuple[str, str], Slice] = field(default_factory=dict)
    _provers: dict[int, Prover] = field(default_factory=dict)
    _typical: dict[str, Value] | None = None
    _engine_cases: list[dict[str, Value]] | None = None
    _domain_formula: z3.BoolRef | None = None  # every domain axiom, made once

    def __post_init__(self) -> None:
        self.deps = Dependencies(self.reg)
        self.slices = slices(self.reg)
        self.everything = Slice(
            {i.name for i in self.reg.inputs}, [r.name for r in self.reg.requirements],
            [a.name for a in self.reg.amounts], [d.name for d in self.reg.documents], list(self.enc.failures))
        self.base = domain_case(self.reg)
        self.requirement_decl = {r.name: r for r in self.reg.requirements}
        # the numbers the rules compare with, at most CONSTANTS of them: the engine's probes try
        # values next to each (per slice when there are more: `constants_for`)
        self._all_constants = rule_constants(self.reg, self.day)
        self.constants = self._all_constants[:CONSTANTS]
        self._slice_constants: dict[int, list[Decimal]] = {}
        self.input_order = {i.name: k for k, i in enumerate(self.reg.inputs)}

    def constants_for(self, s: Slice) -> list[Decimal]:
        """The numbers the rules compare the inputs of slice `s` with: every constant of the
        regulation while there are at most CONSTANTS of them (as in every shipped regulation);
        otherwise those its own requirements, amounts and documents read (directly or through
        definitions, brackets and parameters), at most CONSTANTS spread across them. The smallest
        CONSTANTS of a large regulation's are another slice's as often as not: the engine's
        searches then miss the thresholds that matter and leave the question to the solver."""
        if len(self._all_constants) <= CONSTANTS:
            return self.constants
        got = self._slice_constants.get(id(s))
        if got is None:
            names = {*s.requirements, *s.amounts, *s.documents}
            for r in s.requirements:
                decl = self.requirement_decl[r]
                for e in (decl.condition, *(x.condition for x in decl.exemptions)):
                    names |= self.deps.reads(e)
            for a in s.amounts:
                names |= self.deps.uses(a)
            for d in self.reg.documents:
                if d.name in s.documents and d.required_when is not None:
                    names |= self.deps.reads(d.required_when)
            mine = rule_constants(self.reg, self.day, names)
            step = max(1, -(-len(mine) // CONSTANTS))
            got = self._slice_constants[id(s)] = mine[::step][:CONSTANTS]
        return got

    # -- slices and their solvers ---------------------------------------------------------------------
    def slice_of(self, kind: str, name: str) -> Slice:
        if not self._slice_index:
            for s in self.slices:
                for items, k in ((s.requirements, "requirement"), (s.amounts, "amount"), (s.documents, "document"),
                                 (s.inputs, "input")):
                    for item in items:
                        self._slice_index[(k, item)] = s
        return self._slice_index[(kind, name)]

    def prover(self, s: Slice) -> Prover:
        got = self._provers.get(id(s))
        if got is None:
            # no background: a case the engine cannot evaluate is a case like any other, with the
            # outcome `error`; leaving such cases out is what once made `adult` "redundant" beside a
            # bracket that starts at 18
            got = Prover({k: self.enc.inputs[k] for k in sorted(s.inputs)}, [], self.budget, self.stats)
            for ax in self.enc.axioms.values():
                if ax.input in s.inputs:
                    got.name(ax.name, ax.formula)
            for r in s.requirements:
                got.name(r, self.enc.meets(r))  # the requirement does not fail (holds, or errors)
            self._provers[id(s)] = got
        return got

    def domain(self, s: Slice) -> list[str]:
        """The names of the domain axioms of a slice's inputs: assumed in every query on it."""
        return [ax.name for ax in self.enc.axioms.values() if ax.input in s.inputs]

    def whole(self) -> Prover:
        """One solver over the whole regulation, for questions that cross slices (properties,
        documents)."""
        return self.prover(self.everything)

    def all_domain(self) -> list[str]:
        return self.domain(self.everything)

    def complete(self, case: Mapping[str, Value]) -> dict[str, Value]:
        """A witness of one slice made a complete case: the other inputs as in the base case,
        where every other slice's requirements hold."""
        return {i.name: case.get(i.name, self.base[i.name]) for i in self.reg.inputs}

    # -- the engine ----------------------------------------------------------------------------------
    def decide(self, facts: Mapping[str, Value]) -> Decision:
        return decide(self.prog, dict(facts))

    def fast_outcome(self, facts: Mapping[str, Value]) -> tuple[object, ...]:
        """The outcome by the engine (`decision.judge`): ("error", message) for an error,
        otherwise eligibility, the amounts and the documents required."""
        verdict = judge(self.prog, Env(dict(facts)))
        if verdict.error is not None:
            # the documents too: a witness moved to plausible values must keep what it shows
            return ("error", verdict.error.message, tuple(verdict.documents))
        if verdict.eligible is False:
            return (False, tuple(verdict.documents))
        return verdict.eligible, tuple(verdict.amounts.values()), tuple(verdict.documents)

    def _compiled(self) -> None:
        """The engine's closures by item: requirement, amount and document."""
        if not self._closures:
            self._closures = {f"requirement {r.name}": (cond, exemptions) for r, cond, exemptions in self.prog.requirements}
            self._closures.update({f"amount {a.name}": fn for a, fn in self.prog.amounts})
            self._closures.update({f"document {d.name}": fn for d, fn in self.prog.documents})

    def closures(self, requirement: str) -> tuple[Any, Any]:
        """The engine's closures of a requirement: its condition and its exemptions."""
        self._compiled()
        got: tuple[Any, Any] = self._closures[f"requirement {requirement}"]
        return got

    def slice_outcome(self, s: Slice, facts: Mapping[str, Value]) -> tuple[object, ...]:
        """The part of the outcome a slice decides (its requirements, amounts and documents), by
        the engine, with the semantics of `decision.judge`: not eligible when one of its
        requirements fails; otherwise ("error",) when one of them, an amount or a document cannot
        be evaluated; otherwise the amounts. With the other inputs as in the base case (where every
        other requirement holds and nothing fails), it differs between two cases exactly when the
        whole outcome does."""
        self._compiled()
        env = Env(dict(facts))
        failures = (EvaluationError, decimal.DecimalException)
        # once one requirement fails the others cannot change the answer: the requirement that
        # failed last is tried first (the engine's searches move one answer at a time, and the
        # same requirement tends to fail again), and the rest are not evaluated
        order = self._fail_order.get(id(s))
        if order is None:
            order = self._fail_order[id(s)] = [self._closures[f"requirement {r}"] for r in s.requirements]
        with decimal.localcontext(v.EXACT):
            failed = error = False
            for k, (cond, exemptions) in enumerate(order):
                try:
                    held = cond(env) is True or any(x(env) is True for x in exemptions)
                except failures:
                    error = True
                    continue
                if not held:
                    failed = True
                    if k:
                        order.insert(0, order.pop(k))
                    break
            docs: list[object] = []
            for d in s.documents:
                fn = self._closures[f"document {d}"]
                try:
                    docs.append(True if fn is None else fn(env))
                except failures:
                    docs.append("error")
                    error = True
            if failed:
                return (False, *docs)
            if error:
                return ("error",)
            amounts: list[object] = []
            for a in s.amounts:
                try:
                    amounts.append(self._closures[f"amount {a}"](env))
                except failures:
                    return ("error",)
        return (True, *amounts, *docs)

    def document_required(self, name: str, facts: Mapping[str, Value]) -> bool | None:
        """Whether the engine requires document `name` for a complete case; None where its
        condition cannot be evaluated."""
        self._compiled()
        fn = self._closures[f"document {name}"]
        if fn is None:
            return True
        with decimal.localcontext(v.EXACT):
            try:
                return fn(Env(dict(facts))) is True
            except (EvaluationError, decimal.DecimalException):
                return None

    def in_domain(self, facts: Mapping[str, Value]) -> bool:
        """The case lies inside every input's declared domain (the domain axioms hold for it)."""
        if self._domain_formula is None:
            axioms = [ax.formula for ax in self.enc.axioms.values()]
            self._domain_formula = z3.And(axioms) if axioms else z3.BoolVal(True)
        return z3.is_true(self._domain_formula) or z3.is_true(self.enc.evaluate(self._domain_formula, facts))

    def engine_cases(self) -> list[dict[str, Value]]:
        """Complete cases inside the domains for the engine's cheap passes: the base case, the
        drafter's test cases (completed from the base case) and the base case with one answer
        moved to a value next to a constant of the rules. A question the engine answers on one of
        them (a case that requires a document, a pair that differs) needs no solver."""
        if self._engine_cases is None:
            from eenvoud.engine.facts import literal_value

            out = [dict(self.base)]
            for test in self.reg.tests:
                case = {**self.base, **{g.name: literal_value(g.value) for g in test.given if g.name in self.base}}
                try:
                    if self.in_domain(case):
                        out.append(case)
                except (TypeError, ValueError, ArithmeticError):
                    pass
            self._engine_cases = out
        return self._engine_cases

    def requirement_status(self, facts: Mapping[str, Value], names: list[str]) -> dict[str, bool | None]:
        """Whether each named requirement holds for a complete case, by the engine (fast path);
        None where it cannot be evaluated."""
        self._compiled()
        env = Env(dict(facts))
        out: dict[str, bool | None] = {}
        with decimal.localcontext(v.EXACT):
            for name in names:
                cond, exemptions = self._closures[f"requirement {name}"]
                try:
                    out[name] = cond(env) is True or any(x(env) is True for x in exemptions)
                except (EvaluationError, decimal.DecimalException):
                    out[name] = None
        return out

    def all_hold(self, facts: Mapping[str, Value], names: list[str]) -> bool:
        """Whether every named requirement holds for a complete case, by the engine (one that
        cannot be evaluated does not hold). Stops at the first that does not, and moves it to the
        front of `names`: the next case, one answer away, tends to fail it too."""
        self._compiled()
        env = Env(dict(facts))
        with decimal.localcontext(v.EXACT):
            for k, name in enumerate(names):
                cond, exemptions = self._closures[f"requirement {name}"]
                try:
                    held = cond(env) is True or any(x(env) is True for x in exemptions)
                except (EvaluationError, decimal.DecimalException):
                    held = False
                if not held:
                    if k:
                        names.insert(0, names.pop(k))
                    return False
        return True

    def typical(self) -> dict[str, Value]:
        """The base case (every requirement met) with realistic values where the engine shows that
        they meet every requirement too: what a plausible witness moves towards."""
        if self._typical is None:
            base = dict(self.base)
            try:
                ok = self.fast_outcome(base)[0] is True
            except EvaluationError:
                ok = False
            self._typical = plausible(base, self.reg.inputs, self.day, lambda f: self.fast_outcome(f)[0], {}) \
                if ok else base
        return self._typical

    def _frozen(self, brackets: bool = False) -> frozenset[str]:
        """Inputs a plausible witness must not move: for a bracket's witness, what bracket keys read
        (the engine's decision alone does not show that the key still falls in the stretch)."""
        out: set[str] = set()
        for b in self.reg.brackets if brackets else ():
            out |= self.deps.of_expr(b.key)
        return frozenset(out)

    def _shown(self, facts: Mapping[str, Value]) -> object:
        """What a witness shows: the engine's outcome and the value of every property (a property
        reads inputs too, so a counterexample stays one)."""
        return claim_of(self.fast_outcome(facts)), tuple(_property_value(self.prog, p, facts) for p in self.reg.properties)

    def _failed(self, facts: Mapping[str, Value]) -> frozenset[str]:
        status = self.requirement_status(facts, [r.name for r in self.reg.requirements])
        return frozenset(k for k, held in status.items() if held is False)

    def plausible(self, facts: Mapping[str, Value], changed: Mapping[str, Value] | None = None
                  ) -> tuple[dict[str, Value], dict[str, Value] | None]:
        """A witness (and the other case of a pair) moved to realistic values: see plausible.py."""
        complete = self.complete(facts)
        frozen = self._frozen() | frozenset(changed or {})
        if changed is None:
            got = plausible(complete, self.reg.inputs, self.day, self._shown, self.typical(), frozen, self._failed)
            return {k: got[k] for k in facts}, None
        got, other = plausible_pair(complete, changed, self.reg.inputs, self.day, self.fast_outcome, self.typical(),
                                    self._frozen())
        return {k: got[k] for k in facts}, other

    def witness(self, facts: Mapping[str, Value], changed: Mapping[str, Value] | None = None,
                note: str | None = None) -> Witness:
        try:
            facts, changed = self.plausible(facts, changed)
        except (EvaluationError, ArithmeticError):
            pass  # keep the solver's case: realism is a preference
        d = self.decide(facts)
        after = None
        if changed is not None:
            after = decision_json(self.decide({**facts, **changed}))
        return Witness(self.day, self.ordered(facts), decision_json(d), dict(changed) if changed is not None else None,
                       after, note)

    def ordered(self, facts: Mapping[str, Value]) -> dict[str, Value]:
        """The facts in the order the inputs are declared: how the drafter reads them."""
        return {i.name: facts[i.name] for i in self.reg.inputs if i.name in facts}

    def witness_raw(self, facts: Mapping[str, Value], note: str) -> Witness:
        """A witness the engine may not be able to decide (a bracket gap): the error is its point."""
        def raw(f: Mapping[str, Value]) -> object:
            try:
                return decision_json(self.decide(f))
            except EvaluationError as exc:
                return str(exc)

        full = self.complete(facts)
        moved = plausible(full, self.reg.inputs, self.day, raw, self.typical(), self._frozen(brackets=True))
        facts = {k: moved[k] for k in facts}
        try:
            decision: dict[str, object] = decision_json(self.decide(facts))
        except EvaluationError as exc:
            decision = {"error": str(exc)}
        return Witness(self.day, self.ordered(facts), decision, note=note)

    # -- reporting -----------------------------------------------------------------------------------
    def add(self, kind: str, subject: str, node: n.Node | None, article: str | None, because: list[str],
            message: str, witness: Witness | None = None, proposal: str | None = None) -> None:
        self.findings.append(Finding(kind, self.reg.name, subject, span_text(node), article, tuple(because),
                                     witness, message, day=self.day, proposal=proposal))

    def undecided(self, analysis: str, subject: str, node: n.Node | None, reason: str) -> None:
        self.unknown.append(Undecided(analysis, self.reg.name, subject, span_text(node), reason, day=self.day))

    def tick(self) -> None:
        if self.progress is not None:
            self.progress()

    def article(self, requirement: str) -> str | None:
        r = self.requirement_decl[requirement]
        return r.article or r.label


def _property_value(prog: Program, prop: n.Property, facts: Mapping[str, Value]) -> object:
    """A property on one case, by the engine, as `properties.evaluate_property` (which imports this
    module: repeated here so that the analyzer's modules import each other without a circle)."""
    d = decide(prog, dict(facts))
    env = Env(dict(facts))
    env.paid.update(d.amounts)
    env.paid["__eligible__"] = d.eligible
    for name, value in d.amounts.items():
        env.cache[name] = (value, set())
    with v.localcontext_exact():
        return prog.expr(prop.expr)(env)


def span_text(node: n.Node | None) -> str | None:
    """file:line:col, the file relative to the working folder when it lies below it (an imported
    module is loaded by its absolute path)."""
    if node is None or node.span is None:
        return None
    name = node.span.file.name
    path = Path(name)
    if path.is_absolute():
        try:
            name = str(path.relative_to(Path.cwd()))
        except ValueError:
            pass
    return f"{name}:{node.span.line}:{node.span.column}"


def decision_json(d: Decision) -> dict[str, object]:
    return {
        "eligible": d.eligible,
        **({"error": d.error.message} if d.error is not None else {}),
        "amounts": {k: v.to_json(x, k in d.money_amounts) for k, x in d.amounts.items()},
        "failed": [r.requirement for r in d.reasons if r.status == "fails"],
        "documents": [doc["document"] for doc in d.documents if doc["required"] is True],
    }


def same_outcome(a: Decision, b: Decision, documents: bool = False) -> bool:
    if a.outcome != b.outcome or a.eligible != b.eligible or a.amounts != b.amounts:
        return False
    if documents:
        return [d["required"] for d in a.documents] == [d["required"] for d in b.documents]
    return True


def domain_case(reg: CheckedRegulation) -> dict[str, Value]:
    """A case inside every input's domain: the value a witness shows for an input it does not
    constrain."""
    return {i.name: _default(i.type) for i in reg.inputs}


def _default(typ: t.Type) -> Value:
    match typ:
        case t.BoolType():
            return False
        case t.IntType():
            return _clamp(0, typ.lo, typ.hi)  # type: ignore[return-value]
        case t.MoneyType():
            lo = typ.lo.quantize(Decimal("0.01"), rounding="ROUND_CEILING") if typ.lo is not None else None
            hi = typ.hi.quantize(Decimal("0.01"), rounding="ROUND_FLOOR") if typ.hi is not None else None
            return _clamp(Decimal("0.00"), lo, hi)  # type: ignore[return-value]
        case t.DecimalType():
            return _clamp(Decimal(0), typ.lo, typ.hi)  # type: ignore[return-value]
        case t.DateType():
            d = date(2000, 1, 1)
            if typ.lo is not None and d < typ.lo:
                d = typ.lo
            if typ.hi is not None and d > typ.hi:
                d = typ.hi
            return d
        case t.EnumType():
            return typ.members[0]
        case _:
            assert_never(typ)


def _clamp(x: object, lo: object, hi: object) -> object:
    if lo is not None and x < lo:  # type: ignore[operator]
        return lo
    if hi is not None and x > hi:  # type: ignore[operator]
        return hi
    return x


def engine_error(fn: Callable[[], object]) -> str | None:
    try:
        fn()
    except EvaluationError as exc:
        return str(exc)
    return None


def z3_true(x: z3.ExprRef) -> bool:
    return z3.is_true(z3.simplify(x))
