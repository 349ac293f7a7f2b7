"""The lowered core (`eenvoud.core`) encoded into Z3 at one reference date, node by node as
`engine/evaluate.py` evaluates it.

The analyzer reasons about complete cases (every input known), so Kleene's third value never
arises and each node is an ordinary two-valued term. `lower(reg, day)` has already resolved the
parameters and bracket rows of the day, so they are constants and piecewise terms; sorts follow
the types (terms.py), inputs are variables with domains (variables.py), dates are kept by their
parts where the rules allow it (dates.py).

The analyses speak of expressions of the checked IR (a branch's condition, an exemption, a
property); `Encoding.term` and `Encoding.failure` lower them with `Core.lower` and encode the
core term, memoised per core node. Where the engine raises (`RoundedDivide` by zero, a `Lookup`
no row covers, a date shift out of range) the encoding builds a `failure` condition that follows
the engine's order of evaluation; the outcome of a case (`Outcome`: not eligible, error, or
eligible with amounts and documents) is built from those, as `decision.judge` decides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, assert_never

import z3

from eenvoud.analysis import dates
from eenvoud.analysis.outcomes import Z3_LOGIC, Outcome, outcomes_differ
from eenvoud.analysis.terms import (
    DIVISOR_CASES,
    FALSE,
    TRUE,
    arithmetic,
    compare,
    conjunction,
    constant,
    disjunction,
    divide,
    divide_by_cases,
    equal,
    fold,
    int_range,
    is_int_sorted,
    is_value,
    literal,
    multiply,
    negate,
    real,
    rounded,
    row_matches,
    same_sort,
    scale_leaves,
    to_real,
    zero,
)
from eenvoud.analysis.variables import (
    Axiom,
    NotDecimal,
    Var,
    derivation_axioms,
    finite_decimal,
    input_var,
    numbers_in,
)
from eenvoud.core import nodes as c
from eenvoud.core.lower import Core, lower
from eenvoud.core.outcome import order
from eenvoud.diagnostics import RuleError
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

Scope = Literal["rules", "decision"]


class NoValue(Exception):
    """A parameter or bracket without a value on the reference date: nothing to analyze then."""


@dataclass
class RequirementTerms:
    name: str
    condition: z3.BoolRef
    exemptions: list[z3.BoolRef]
    holds: z3.BoolRef


@dataclass
class Encoding:
    """A regulation at one reference date, in Z3. Build with `encode(reg, day)`."""

    reg: CheckedRegulation
    day: date
    core: Core
    inputs: dict[str, Var] = field(default_factory=dict)
    memo: dict[str, object] = field(default_factory=dict, repr=False)  # derived terms, built once
    axioms: dict[str, Axiom] = field(default_factory=dict)
    requirements: dict[str, RequirementTerms] = field(default_factory=dict)
    amounts: dict[str, z3.ExprRef] = field(default_factory=dict)  # the formula
    paid: dict[str, z3.ExprRef] = field(default_factory=dict)  # as decided: 0 when not eligible
    documents: dict[str, z3.BoolRef] = field(default_factory=dict)  # required when
    failures: dict[str, z3.BoolRef] = field(default_factory=dict)  # per declaration: the engine raises
    eligible: z3.BoolRef = TRUE
    # the declared range of each whole-number input (an enumeration's indexes), by its constant's id
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False)
    # per core node (its identity) and whether amounts are read as paid (see `_ref`)
    _terms: dict[tuple[c.Expr, bool], z3.ExprRef] = field(default_factory=dict, repr=False)
    _fails: dict[tuple[c.Expr, bool], z3.BoolRef] = field(default_factory=dict, repr=False)
    _lookups: dict[tuple[c.Lookup, bool], tuple[z3.ExprRef, z3.BoolRef]] = field(default_factory=dict,
                                                                                  repr=False)
    _reads_amount: dict[str, bool] = field(default_factory=dict, repr=False)
    # the (year, month, day) of the date terms that have them (see dates.py)
    calendar: dates.Calendar = field(default_factory=dates.Calendar, repr=False)

    # -- the whole regulation -------------------------------------------------------------------
    @property
    def defined(self) -> z3.BoolRef:
        """The outcome is not an error (a case that fails a requirement is decided, whatever its
        amounts would do)."""
        return negate(self.outcome().err)

    def requirement_error(self, r: str) -> z3.BoolRef:
        return self.failures.get(f"requirement {r}", FALSE)

    def fails(self, r: str) -> z3.BoolRef:
        """Requirement `r` is evaluated and fails (no exemption lets the case through)."""
        got = self.memo.get(f"fails {r}")  # built once: every analysis asks, per slice and per query
        if got is None:
            got = self.memo[f"fails {r}"] = conjunction([negate(self.requirement_error(r)),
                                                         negate(self.requirements[r].holds)])
        return got

    def meets(self, r: str) -> z3.BoolRef:
        """Requirement `r` does not fail: it holds, or it cannot be evaluated (the named literal
        of a requirement in every prover, so that a core cites the requirements it rests on)."""
        return negate(self.fails(r))

    def outcome(self, requirements: list[str] | None = None, amounts: list[str] | None = None,
                documents: list[str] | None = None) -> Outcome:
        """The outcome over these requirements, amounts and documents (default: all of them)."""
        reqs = list(self.requirements) if requirements is None else requirements
        amts = list(self.amounts) if amounts is None else amounts
        docs = list(self.documents) if documents is None else documents
        doc_errs = [self.failures.get(f"document {d}", FALSE) for d in docs]
        # the order of the outcome is written once, in the core
        kind = order(Z3_LOGIC, [self.fails(r) for r in reqs], [self.requirement_error(r) for r in reqs],
                     [*(self.failures.get(f"amount {a}", FALSE) for a in amts), *doc_errs])
        ne, err = kind.ne, kind.err
        doc_terms = tuple(
            fold(z3.If(e, z3.IntVal(2), z3.If(self.documents[d], z3.IntVal(1), z3.IntVal(0))))
            for d, e in zip(docs, doc_errs, strict=True))
        return Outcome(ne, err, tuple(self.amounts[a] for a in amts), doc_terms)

    def domain(self) -> list[z3.BoolRef]:
        return [a.formula for a in self.axioms.values()]

    def evaluate(self, term: z3.ExprRef, facts: Mapping[str, Value]) -> z3.ExprRef:
        """`term` on one complete case: a numeral (or true/false)."""
        pairs = [pair for name, var in self.inputs.items() if name in facts for pair in var.bind(facts[name])]
        return z3.simplify(z3.substitute(term, *pairs)) if pairs else z3.simplify(term)

    # -- expressions of the IR, through the core -----------------------------------------------------
    def lowered(self, e: n.Expr, scope: Scope = "rules") -> c.Expr:
        """`e` as a core term; in the scope "decision" (a property) `eligible` and amount names
        are the decision's."""
        got = self.core.lower(e, decision=scope == "decision")
        try:
            self.core.raise_problems(got)  # a parameter without a value, read only by `e`
        except RuleError as exc:
            raise NoValue("; ".join(d.message for d in exc.diagnostics)) from None
        return got

    def term(self, e: n.Expr, scope: Scope = "rules") -> z3.ExprRef:
        return self.core_term(self.lowered(e, scope), scope == "decision")

    def failure(self, e: n.Expr, scope: Scope = "rules") -> z3.BoolRef:
        """When the engine raises evaluating `e`."""
        return self.core_failure(self.lowered(e, scope), scope == "decision")

    def property_term(self, prop: n.Property) -> z3.BoolRef:
        """A property: `eligible` and amount names mean the decision (amounts as paid)."""
        return self.term(prop.expr, "decision")

    def property_failure(self, prop: n.Property) -> z3.BoolRef:
        return self.failure(prop.expr, "decision")

    # -- core terms (the nodes in the order of engine/evaluate.py) ------------------------------------
    def core_term(self, e: c.Expr, paid: bool = False) -> z3.ExprRef:
        """The Z3 term of a core node. With `paid`, a definition that reads an amount reads it
        as paid (so the engine replays a property: the decision's amounts are in its cache)."""
        key = (e, paid)
        got = self._terms.get(key)
        if got is None:
            got = self._term(e, paid)
            self._terms[key] = got
        return got

    def _term(self, e: c.Expr, paid: bool) -> z3.ExprRef:
        match e:
            case c.Const():
                return constant(e.value, e.type)
            case c.InputRef():
                return self.inputs[e.name].value
            case c.DefRef():
                if paid and e.name in self.paid:
                    return self.paid[e.name]
                return self.core_term(self.core.definitions[e.name], paid and self.reads_amount(e.name))
            case c.Decided():
                return self.eligible
            case c.Paid():
                return self.paid[e.name]
            case c.Unary():
                operand = self.core_term(e.operand, paid)
                match e.op:
                    case c.UnaryOp.NOT:
                        return fold(z3.Not(operand))
                    case c.UnaryOp.NEG:
                        return fold(-operand)
                    case _:
                        assert_never(e.op)
            case c.Binary():
                return self._binary(e, paid)
            case c.InSet():
                x = self.core_term(e.operand, paid)
                return fold(z3.Or([equal(x, self.core_term(o, paid)) for o in e.options]))
            case c.If():
                cond = self.core_term(e.cond, paid)
                a, b = same_sort(self.core_term(e.then, paid), self.core_term(e.else_, paid))
                if z3.is_true(cond):
                    return a
                if z3.is_false(cond):
                    return b
                if isinstance(e.type, t.DateType):
                    return self.calendar.choose_date(cond, a, b)
                return z3.If(cond, a, b)
            case c.Call():
                return self._call(e, paid)
            case c.Round():
                x = self.core_term(e.operand, paid)
                if x.sort() == z3.IntSort():
                    return x  # a whole number rounded to 0 or more decimals is itself
                return rounded(x, e.places, e.mode)
            case c.RoundedDivide():
                num, den = self.core_term(e.num, paid), self.core_term(e.den, paid)
                if den.sort() == z3.IntSort() and not is_value(den):
                    span = int_range(den, self.ranges)
                    if span is not None and span[1] - span[0] < DIVISOR_CASES:
                        return rounded(divide_by_cases(num, den, span), e.places, e.mode)
                return rounded(divide(to_real(num), to_real(den)), e.places, e.mode)
            case c.Lookup():
                return self._lookup(e, paid)[0]
            case _:
                assert_never(e)

    def _binary(self, e: c.Binary, paid: bool) -> z3.ExprRef:
        a, b = self.core_term(e.left, paid), self.core_term(e.right, paid)
        op = e.op
        if op.is_comparison and isinstance(e.left.type, t.DateType):
            pa, pb = self.calendar.parts(a), self.calendar.parts(b)
            if pa is not None and pb is not None:
                return dates.compare(op, pa, pb)
        match op:
            case c.Op.AND:
                return conjunction([a, b])
            case c.Op.OR:
                return disjunction([a, b])
            case c.Op.IMPLIES:
                return disjunction([negate(a), b])
            case c.Op.EQ | c.Op.NE | c.Op.LT | c.Op.LE | c.Op.GT | c.Op.GE:
                return compare(op, a, b)
            case c.Op.ADD | c.Op.SUB | c.Op.MUL:
                if isinstance(e.type, t.IntType):
                    return arithmetic(op, a, b)
                return arithmetic(op, to_real(a), to_real(b))
            case _:
                assert_never(op)

    def _call(self, e: c.Call, paid: bool) -> z3.ExprRef:
        args = [self.core_term(a, paid) for a in e.args]
        match e.func:
            case c.Func.MIN | c.Func.MAX:
                args = list(same_sort(*args))
                out = args[0]
                is_date = isinstance(e.type, t.DateType)
                is_min = e.func is c.Func.MIN
                for x in args[1:]:
                    po, px = self.calendar.parts(out), self.calendar.parts(x)
                    if is_date and po is not None and px is not None:
                        keep_old = dates.compare(c.Op.LE if is_min else c.Op.GE, po, px)
                        out = self.calendar.choose_date(keep_old, out, x)
                        continue
                    keep_old = (out <= x) if is_min else (out >= x)
                    out = fold(z3.If(keep_old, out, x))
                return out
            case c.Func.ABS:
                x = args[0]
                return fold(z3.If(x >= 0, x, -x))
            case c.Func.YEARS_BETWEEN | c.Func.MONTHS_BETWEEN:
                years = e.func is c.Func.YEARS_BETWEEN
                pa, pb = self.calendar.parts(args[0]), self.calendar.parts(args[1])
                constant_dates = z3.is_int_value(args[0]) and z3.is_int_value(args[1])
                if pa is not None and pb is not None and not constant_dates:
                    return dates.years_between_parts(pa, pb) if years else dates.months_between_parts(pa, pb)
                return dates.years_between(args[0], args[1]) if years else dates.months_between(args[0], args[1])
            case c.Func.DAYS_BETWEEN:
                return fold(args[1] - args[0])
            case c.Func.ADD_DAYS | c.Func.ADD_MONTHS | c.Func.ADD_YEARS:
                return self._shift(e.func, args[0], args[1])[0]
            case c.Func.FIRST_DAY_OF_NEXT_MONTH:
                return self.calendar.next_month(args[0])[0]
            case _:
                assert_never(e.func)

    def _shift(self, func: c.Func, d: z3.ExprRef, k: z3.ExprRef) -> tuple[z3.ExprRef, z3.BoolRef]:
        """A date shifted by days, months or years, and when the engine raises (out of range)."""
        if func is c.Func.ADD_DAYS:
            return dates.add_days(d, k)
        return self.calendar.add_months(d, k if func is c.Func.ADD_MONTHS else scale_leaves(k, 12))

    def _lookup(self, e: c.Lookup, paid: bool) -> tuple[z3.ExprRef, z3.BoolRef]:
        """The value of the first row whose interval holds the key, and the condition that no
        row does (the engine raises)."""
        key_ = (e, paid)
        got = self._lookups.get(key_)
        if got is not None:
            return got
        key = self.core_term(e.key, paid)
        key_parts = self.calendar.parts(key) if isinstance(e.key_type, t.DateType) else None
        if key_parts is not None:
            kp = key_parts
            matches = [conjunction([
                *([dates.compare(c.Op.GE, kp, _date_parts(r.lo))] if r.lo is not None else []),
                *([dates.compare(c.Op.LT, kp, _date_parts(r.hi))] if r.hi is not None else [])])
                for r in e.rows]
        else:
            matches = [row_matches(key, r, e.key_type) for r in e.rows]
        values = [constant(r.value, e.type) for r in e.rows]
        if not values:
            got = zero(e.type), TRUE
        else:
            out = values[-1]
            for m, value in zip(reversed(matches[:-1]), reversed(values[:-1]), strict=True):
                out = fold(z3.If(m, value, out))
            got = out, fold(z3.Not(z3.Or(matches)))
        self._lookups[key_] = got
        return got

    def reads_amount(self, name: str) -> bool:
        """Whether the definition `name` reads an amount, directly or through other definitions."""
        got = self._reads_amount.get(name)
        if got is None:
            self._reads_amount[name] = False  # the checker rejects cycles; this only guards the walk
            got = _reads(self.core.definitions[name], self)
            self._reads_amount[name] = got
        return got

    # -- failures: where the engine raises, in its order of evaluation -------------------------------
    def core_failure(self, e: c.Expr, paid: bool = False) -> z3.BoolRef:
        key = (e, paid)
        got = self._fails.get(key)
        if got is None:
            got = self._failure(e, paid)
            self._fails[key] = got
        return got

    def _failure(self, e: c.Expr, paid: bool) -> z3.BoolRef:
        def f(x: c.Expr) -> z3.BoolRef:
            return self.core_failure(x, paid)

        def term(x: c.Expr) -> z3.ExprRef:
            return self.core_term(x, paid)

        match e:
            case c.Const() | c.InputRef() | c.Decided() | c.Paid():
                return FALSE  # a decision's amounts were computed already: their failures count there
            case c.DefRef():
                if paid and e.name in self.paid:
                    return FALSE
                return self.core_failure(self.core.definitions[e.name], paid and self.reads_amount(e.name))
            case c.Unary():
                return f(e.operand)
            case c.Binary():
                left, right = f(e.left), f(e.right)
                match e.op:
                    case c.Op.AND | c.Op.IMPLIES:  # the right side is read only when the left is not false
                        return disjunction([left, conjunction([term(e.left), right])])
                    case c.Op.OR:
                        return disjunction([left, conjunction([negate(term(e.left)), right])])
                    case (c.Op.ADD | c.Op.SUB | c.Op.MUL | c.Op.EQ | c.Op.NE | c.Op.LT | c.Op.LE | c.Op.GT
                          | c.Op.GE):
                        return disjunction([left, right])
                    case _:
                        assert_never(e.op)
            case c.InSet():
                x = term(e.operand)
                parts = [f(e.operand)]
                missed: list[z3.BoolRef] = []
                for o in e.options:  # options are read in order until one matches
                    parts.append(conjunction([*missed, f(o)]))
                    missed.append(negate(equal(x, term(o))))
                return disjunction(parts)
            case c.If():
                cond = term(e.cond)
                a, b = f(e.then), f(e.else_)
                branch = a if z3.eq(a, b) else fold(z3.If(cond, a, b))
                return disjunction([f(e.cond), branch])
            case c.Call():
                parts = [f(a) for a in e.args]
                if e.func is c.Func.FIRST_DAY_OF_NEXT_MONTH:
                    parts.append(self.calendar.next_month(term(e.args[0]))[1])
                elif e.func.may_fail:
                    parts.append(self._shift(e.func, term(e.args[0]), term(e.args[1]))[1])
                return disjunction(parts)
            case c.Round():
                return f(e.operand)
            case c.RoundedDivide():
                return disjunction([f(e.num), f(e.den), fold(term(e.den) == 0)])
            case c.Lookup():
                return disjunction([f(e.key), self._lookup(e, paid)[1]])
            case _:
                assert_never(e)


def _date_parts(x: c.Value) -> dates.Civil:
    assert isinstance(x, date), x
    return dates.parts(x.toordinal())


children = c.children


def _reads(e: c.Expr, enc: Encoding) -> bool:
    """Whether a core term reads an amount (through `DefRef`s too)."""
    todo, seen = [e], set()
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, c.DefRef) and (x.name in enc.paid or enc.reads_amount(x.name)):
            return True
        todo.extend(children(x))
    return False


# -- building the encoding ------------------------------------------------------------------------


def encode(reg: CheckedRegulation, day: date) -> Encoding:
    """Encode `reg` at `day`. Raises NoValue when a parameter or bracket has no value then."""
    try:
        core = lower(reg, day)
    except RuleError as exc:
        raise NoValue("; ".join(d.message for d in exc.diagnostics)) from None
    enc = Encoding(reg, day, core)
    for decl in core.inputs:
        var, axioms = input_var(decl)
        enc.inputs[decl.name] = var
        if isinstance(decl.type, t.DateType):
            enc.calendar.with_parts(var.value, var.consts)
        for ax in axioms:
            enc.axioms[ax.name] = ax
        if isinstance(decl.type, t.IntType) and decl.type.lo is not None and decl.type.hi is not None:
            enc.ranges[var.const.get_id()] = (int(decl.type.lo), int(decl.type.hi))
        elif isinstance(decl.type, t.EnumType):
            enc.ranges[var.const.get_id()] = (0, len(decl.type.members) - 1)
    for ax in derivation_axioms(enc.inputs, day):  # one person: `age` follows from `birth_date`
        enc.axioms[ax.name] = ax
    holds: list[z3.BoolRef] = []
    for r in core.requirements:
        cond = enc.core_term(r.condition)
        exemptions = [enc.core_term(x) for x in r.exemptions]
        held = fold(z3.Or(cond, *exemptions)) if exemptions else cond
        enc.requirements[r.name] = RequirementTerms(r.name, cond, exemptions, held)
        holds.append(held)
        enc.failures[f"requirement {r.name}"] = _requirement_failure(enc, r)
    enc.eligible = conjunction(holds)
    for a in core.amounts:
        formula = enc.core_term(a.formula)
        enc.amounts[a.name] = formula
        zero_ = z3.RealVal(0) if formula.sort() == z3.RealSort() else z3.IntVal(0)
        enc.paid[a.name] = fold(z3.If(enc.eligible, formula, zero_))
        enc.failures[f"amount {a.name}"] = enc.core_failure(a.formula)
    for d in core.documents:
        enc.documents[d.name] = TRUE if d.required_when is None else enc.core_term(d.required_when)
        if d.required_when is not None:
            enc.failures[f"document {d.name}"] = enc.core_failure(d.required_when)
    enc.failures = {k: f for k, f in enc.failures.items() if not z3.is_false(f)}
    return enc


def _requirement_failure(enc: Encoding, r: c.Requirement) -> z3.BoolRef:
    """As `decision.judge`: the condition, then each exemption until one holds. (The values a
    reason shows are read afterwards and never make the requirement fail.)"""
    parts = [enc.core_failure(r.condition)]
    passed: list[z3.BoolRef] = [negate(enc.core_term(r.condition))]
    for x in r.exemptions:
        parts.append(conjunction([*passed, enc.core_failure(x)]))
        passed.append(negate(enc.core_term(x)))
    return disjunction(parts)


# what other modules have always imported from here
__all__ = [
    "FALSE", "TRUE", "Axiom", "Encoding", "NoValue", "NotDecimal", "Outcome", "RequirementTerms", "Scope", "Var",
    "conjunction", "disjunction", "divide", "encode", "equal", "finite_decimal", "fold", "is_int_sorted",
    "is_value", "literal", "multiply", "negate", "numbers_in", "outcomes_differ", "real", "rounded",
    "row_matches", "same_sort", "scale_leaves", "to_real",
]
