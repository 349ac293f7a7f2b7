"""The checked IR encoded into Z3 at one reference date, mirroring `engine/evaluate.py` node by node.

The analyzer reasons about complete cases (every input known), so Kleene's third value never
arises and each node is an ordinary two-valued term. Sorts follow the types:

- bool is Bool; int, date (a day number, see `dates.py`) and an enumeration (the index of the
  option in its declaration) are Int;
- money, decimal and percent are Real: exact rationals, as the engine's Decimals are exact. A
  money input is an Int of cents seen through `cents / 100`, so that a witness is always a
  case the engine accepts (two decimals); rounding is written out with `to_int` (the floor).

Parameters and brackets are resolved at the reference date before encoding, so they are
constants and piecewise terms. Where the engine raises (a division by zero, a value no bracket
row covers, a date out of range) the encoding builds a `failure` condition that follows the
engine's order of evaluation; analyses quantify over the cases the engine can decide
(`defined`), and the bracket-gap analysis asks for the others.

The nodes are handled in the same order as in `engine/evaluate.py`, so that a reviewer can read
the two side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal, assert_never

import z3

from eenvoud.analysis import dates
from eenvoud.engine.evaluate import bracket_rows, parameter_value
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

Scope = Literal["rules", "decision"]
FALSE = z3.BoolVal(False)
TRUE = z3.BoolVal(True)


class NoValue(Exception):
    """A parameter or bracket without a value on the reference date: nothing to analyze then."""


@dataclass(frozen=True)
class Var:
    """One input: the Z3 constant the solver chooses, and the term the rules see."""

    name: str
    type: t.Type
    consts: tuple[z3.ExprRef, ...]  # one, but three for a date: its year, month and day
    value: z3.ExprRef
    registry: str | None

    @property
    def const(self) -> z3.ExprRef:
        return self.consts[0]

    def decode(self, model: z3.ModelRef) -> Value:
        """The input's value in a model, as the engine takes it."""
        got = model.eval(self.const, model_completion=True)
        match self.type:
            case t.BoolType():
                return z3.is_true(got)
            case t.IntType():
                return int(got.as_long())
            case t.MoneyType():
                return Decimal(int(got.as_long())).scaleb(-2)
            case t.DecimalType():
                frac = Fraction(got.as_fraction())
                dec = finite_decimal(frac)
                if dec is None:
                    raise NotDecimal(self.name)
                return dec
            case t.DateType():
                y, m, d = (model.eval(c, model_completion=True).as_long() for c in self.consts)
                return date(int(y), int(m), int(d))
            case t.EnumType():
                return self.type.members[int(got.as_long())]
            case _:
                assert_never(self.type)

    def bind(self, value: Value) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        """The numerals for the constants that give the input `value`."""
        match self.type:
            case t.BoolType():
                return [(self.const, z3.BoolVal(bool(value)))]
            case t.IntType():
                return [(self.const, z3.IntVal(int(value)))]  # type: ignore[arg-type]
            case t.MoneyType():
                cents = Decimal(value).scaleb(2)  # type: ignore[arg-type]
                return [(self.const, z3.IntVal(int(cents)))]
            case t.DecimalType():
                return [(self.const, real(Fraction(Decimal(value))))]  # type: ignore[arg-type]
            case t.DateType():
                assert isinstance(value, date)
                return list(zip(self.consts, (z3.IntVal(value.year), z3.IntVal(value.month), z3.IntVal(value.day)),
                                strict=True))
            case t.EnumType():
                return [(self.const, z3.IntVal(self.type.members.index(str(value))))]
            case _:
                assert_never(self.type)


class NotDecimal(Exception):
    """A model gave a decimal input a value with no finite decimal expansion (like 1/3)."""


@dataclass(frozen=True)
class Axiom:
    """A named domain assumption: a declared range, the options of an enumeration."""

    name: str  # how a finding cites it: "domain of `age`"
    text: str  # "`age` is 0..130"
    formula: z3.BoolRef
    input: str


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
    inputs: dict[str, Var] = field(default_factory=dict)
    axioms: dict[str, Axiom] = field(default_factory=dict)
    requirements: dict[str, RequirementTerms] = field(default_factory=dict)
    amounts: dict[str, z3.ExprRef] = field(default_factory=dict)  # the formula
    paid: dict[str, z3.ExprRef] = field(default_factory=dict)  # as decided: 0 when not eligible
    documents: dict[str, z3.BoolRef] = field(default_factory=dict)  # required when
    failures: dict[str, z3.BoolRef] = field(default_factory=dict)  # per declaration: the engine raises
    eligible: z3.BoolRef = TRUE
    _terms: dict[tuple[int, Scope], z3.ExprRef] = field(default_factory=dict, repr=False)
    _names: dict[tuple[str, Scope], z3.ExprRef] = field(default_factory=dict, repr=False)
    _fails: dict[tuple[int, Scope], z3.BoolRef] = field(default_factory=dict, repr=False)
    _name_fails: dict[tuple[str, Scope], z3.BoolRef] = field(default_factory=dict, repr=False)
    _decls: dict[str, n.Definition | n.Amount | n.Bracket] = field(default_factory=dict, repr=False)
    # the (year, month, day) of date terms that have them, by term id (see dates.py); `_keep`
    # holds the terms so that their ids stay theirs
    _parts: dict[int, dates.Civil] = field(default_factory=dict, repr=False)
    _keep: list[z3.ExprRef] = field(default_factory=list, repr=False)
    _shifted: dict[tuple[int, int], tuple[z3.ExprRef, z3.BoolRef]] = field(default_factory=dict, repr=False)

    # -- dates by their parts --------------------------------------------------------------------
    def parts(self, term: z3.ExprRef) -> dates.Civil | None:
        if z3.is_int_value(term):
            k = term.as_long()
            return dates.parts(k) if dates.FIRST <= k <= dates.LAST else None
        return self._parts.get(term.get_id())

    def with_parts(self, term: z3.ExprRef, p: dates.Civil) -> z3.ExprRef:
        self._parts[term.get_id()] = p
        self._keep.append(term)
        return term

    def date_of(self, p: dates.Civil) -> z3.ExprRef:
        """The day number of parts (a numeral when they are numerals)."""
        if all(z3.is_int_value(x) for x in p):
            y, m, d = (x.as_long() for x in p)
            try:
                return z3.IntVal(date(y, m, d).toordinal())
            except ValueError:
                return z3.IntVal(dates.FIRST)  # out of range: the failure condition says so
        return self.with_parts(dates.ordinal(*p), p)

    def choose_date(self, cond: z3.BoolRef, a: z3.ExprRef, b: z3.ExprRef) -> z3.ExprRef:
        """`if cond then a else b` for dates, keeping their parts."""
        out = fold(z3.If(cond, a, b))
        pa, pb = self.parts(a), self.parts(b)
        if pa is not None and pb is not None and not z3.is_int_value(out) and out.get_id() not in self._parts:
            self.with_parts(out, tuple(fold(z3.If(cond, x, y)) for x, y in zip(pa, pb, strict=True)))
        return out

    def add_months(self, d: z3.ExprRef, months: z3.ExprRef) -> tuple[z3.ExprRef, z3.BoolRef]:
        """`add_months`, and when the engine raises; by parts when the months are constants
        (or a bracket's constants)."""
        key = (d.get_id(), months.get_id())
        got = self._shifted.get(key)
        if got is None:
            p = self.parts(d)
            if p is not None and not z3.is_int_value(d) and _constant_leaves(months):
                got = self._add_months_parts(p, months)
            else:
                got = dates.add_months(d, months)
            self._shifted[key] = got
            self._keep += [d, months]
        return got

    def _add_months_parts(self, p: dates.Civil, months: z3.ExprRef) -> tuple[z3.ExprRef, z3.BoolRef]:
        if z3.is_int_value(months):
            q, fails = dates.add_months_parts(p, months.as_long())
            return self.date_of(q), fails
        cond = months.arg(0)
        a, fa = self._add_months_parts(p, months.arg(1))
        b, fb = self._add_months_parts(p, months.arg(2))
        return self.choose_date(cond, a, b), fold(z3.If(cond, fa, fb))

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
        return conjunction([negate(self.requirement_error(r)), negate(self.requirements[r].holds)])

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
        ne = disjunction(self.fails(r) for r in reqs)
        doc_errs = [self.failures.get(f"document {d}", FALSE) for d in docs]
        err = conjunction([negate(ne), disjunction([
            *(self.requirement_error(r) for r in reqs),
            *(self.failures.get(f"amount {a}", FALSE) for a in amts),
            *doc_errs])])
        doc_terms = tuple(
            fold(z3.If(e, z3.IntVal(2), z3.If(self.documents[d], z3.IntVal(1), z3.IntVal(0))))
            for d, e in zip(docs, doc_errs, strict=True))
        return Outcome(ne, err, tuple(self.amounts[a] for a in amts), doc_terms)

    def domain(self) -> list[z3.BoolRef]:
        return [a.formula for a in self.axioms.values()]

    def term(self, e: n.Expr, scope: Scope = "rules") -> z3.ExprRef:
        key = (id(e), scope)
        got = self._terms.get(key)
        if got is None:
            got = self._term(e, scope)
            self._terms[key] = got
        return got

    def property_term(self, prop: n.Property) -> z3.BoolRef:
        """A property: `eligible` and amount names mean the decision (amounts as paid)."""
        return self.term(prop.expr, "decision")

    def property_failure(self, prop: n.Property) -> z3.BoolRef:
        return self.failure(prop.expr, "decision")

    def evaluate(self, term: z3.ExprRef, facts: Mapping[str, Value]) -> z3.ExprRef:
        """`term` on one complete case: a numeral (or true/false)."""
        pairs = [pair for name, var in self.inputs.items() if name in facts for pair in var.bind(facts[name])]
        return z3.simplify(z3.substitute(term, *pairs)) if pairs else z3.simplify(term)

    # -- expressions (same order as engine/evaluate.py) --------------------------------------------
    def _term(self, e: n.Expr, scope: Scope) -> z3.ExprRef:
        match e:
            case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
                return literal(e, self.reg.type_of(e))
            case n.Name():
                return self.name(e.name, scope)
            case n.Unary():
                operand = self.term(e.operand, scope)
                if e.op == "not":
                    return fold(z3.Not(operand))
                return fold(-operand)
            case n.Binary():
                return self._binary(e, scope)
            case n.InSet():
                x = self.term(e.operand, scope)
                return fold(z3.Or([equal(x, self.term(o, scope)) for o in e.options]))
            case n.If():
                cond = self.term(e.cond, scope)
                a, b = same_sort(self.term(e.then, scope), self.term(e.else_, scope))
                if z3.is_true(cond):
                    return a
                if z3.is_false(cond):
                    return b
                if isinstance(self.reg.type_of(e), t.DateType):
                    return self.choose_date(cond, a, b)
                return z3.If(cond, a, b)
            case n.Call():
                return self._call(e, scope)
            case _:
                assert_never(e)

    def _binary(self, e: n.Binary, scope: Scope) -> z3.ExprRef:
        a, b = self.term(e.left, scope), self.term(e.right, scope)
        if e.op in n.COMPARISON and isinstance(self.reg.type_of(e.left), t.DateType):
            pa, pb = self.parts(a), self.parts(b)
            if pa is not None and pb is not None:
                return dates.compare(e.op, pa, pb)
        match e.op:
            case "and":
                return conjunction([a, b])
            case "or":
                return disjunction([a, b])
            case "implies":
                return disjunction([negate(a), b])
            case "/":
                raise AssertionError("a division is encoded by the rounding around it")
            case "==":
                return equal(a, b)
            case "!=":
                return fold(z3.Not(equal(a, b)))
        if e.op in ("<", "<=", ">", ">="):
            a, b = same_sort(a, b)
            return fold(_COMPARE[e.op](a, b))
        if isinstance(self.reg.type_of(e), t.IntType):
            x, y = a, b
        else:
            x, y = to_real(a), to_real(b)
        match e.op:
            case "+":
                return fold(x + y)
            case "-":
                return fold(x - y)
            case "*":
                return multiply(x, y)
        raise AssertionError(e.op)

    def _call(self, e: n.Call, scope: Scope) -> z3.ExprRef:
        func = e.func
        if func in ("round", "floor", "ceil"):
            places = e.args[1].value if len(e.args) == 2 and isinstance(e.args[1], n.IntLit) else 0
            target = e.args[0]
            if isinstance(target, n.Binary) and target.op == "/":
                num = to_real(self.term(target.left, scope))
                den = to_real(self.term(target.right, scope))
                return rounded(divide(num, den), places, func)
            x = self.term(target, scope)
            if x.sort() == z3.IntSort():
                return x  # a whole number rounded to 0 or more decimals is itself
            return rounded(x, places, func)
        args = [self.term(a, scope) for a in e.args]
        match func:
            case "min" | "max":
                args = list(same_sort(*args))
                out = args[0]
                is_date = isinstance(self.reg.type_of(e), t.DateType)
                for x in args[1:]:
                    po, px = self.parts(out), self.parts(x)
                    if is_date and po is not None and px is not None:
                        keep_old = dates.compare("<=" if func == "min" else ">=", po, px)
                        out = self.choose_date(keep_old, out, x)
                        continue
                    keep_old = (out <= x) if func == "min" else (out >= x)
                    out = fold(z3.If(keep_old, out, x))
                return out
            case "abs":
                x = args[0]
                return fold(z3.If(x >= 0, x, -x))
            case "years_between" | "months_between":
                pa, pb = self.parts(args[0]), self.parts(args[1])
                constant = z3.is_int_value(args[0]) and z3.is_int_value(args[1])
                if pa is not None and pb is not None and not constant:
                    return dates.years_between_parts(pa, pb) if func == "years_between" \
                        else dates.months_between_parts(pa, pb)
                if func == "years_between":
                    return dates.years_between(args[0], args[1])
                return dates.months_between(args[0], args[1])
            case "days_between":
                return fold(args[1] - args[0])
            case "add_days":
                return dates.add_days(args[0], args[1])[0]
            case "add_months":
                return self.add_months(args[0], args[1])[0]
            case "add_years":
                return self.add_months(args[0], scale_leaves(args[1], 12))[0]
        raise AssertionError(func)

    # -- names --------------------------------------------------------------------------------------
    def name(self, name: str, scope: Scope = "rules") -> z3.ExprRef:
        key = (name, scope)
        got = self._names.get(key)
        if got is None:
            got = self._name(name, scope)
            self._names[key] = got
        return got

    def _name(self, name: str, scope: Scope) -> z3.ExprRef:
        if name == "reference_date":
            return z3.IntVal(self.day.toordinal())
        if name == "eligible":
            return self.eligible
        sym = self.reg.symbols[name]
        match sym.kind:
            case "input":
                return self.inputs[name].value
            case "parameter":
                assert isinstance(sym.decl, n.Parameter)
                pv = parameter_value(sym.decl, self.day)
                if pv is None:
                    raise NoValue(f"the parameter `{name}` has no value on {self.day}")
                return literal(pv.value, sym.type)
            case "amount" if scope == "decision":
                return self.paid[name]
            case "definition" | "amount":
                # the term keeps the sort of its value, as the engine keeps the Python type of it
                decl = self._decls[name]
                assert isinstance(decl, n.Definition | n.Amount)
                return self.term(decl.expr, scope)
            case "bracket":
                decl = self._decls[name]
                assert isinstance(decl, n.Bracket)
                return self._bracket(decl, scope)[0]
            case "builtin":
                raise AssertionError(name)
        raise AssertionError(sym.kind)

    def _bracket(self, b: n.Bracket, scope: Scope) -> tuple[z3.ExprRef, z3.BoolRef]:
        """The value of the first row whose interval holds the key, and the condition that no
        row does (the engine raises)."""
        version = bracket_rows(b, self.day)
        if version is None:
            raise NoValue(f"the bracket `{b.name}` has no rows on {self.day}")
        key = self.term(b.key, scope)
        key_type = self.reg.type_of(b.key)
        key_parts = self.parts(key) if isinstance(key_type, t.DateType) else None
        if key_parts is not None:
            matches = [conjunction([
                *([dates.compare(">=", key_parts, dates.parts(r.lo.value.toordinal()))]  # type: ignore[union-attr]
                  if r.lo is not None else []),
                *([dates.compare("<", key_parts, dates.parts(r.hi.value.toordinal()))]  # type: ignore[union-attr]
                  if r.hi is not None else [])]) for r in version.rows]
        else:
            matches = [row_matches(key, r, key_type) for r in version.rows]
        values = [literal(r.value, b.type) for r in version.rows]
        if not values:
            return literal(n.IntLit(0), b.type), TRUE
        out = values[-1]
        for m, value in zip(reversed(matches[:-1]), reversed(values[:-1]), strict=True):
            out = fold(z3.If(m, value, out))
        return out, fold(z3.Not(z3.Or(matches)))

    # -- failures: where the engine raises, in its order of evaluation -------------------------------
    def failure(self, e: n.Expr, scope: Scope = "rules") -> z3.BoolRef:
        key = (id(e), scope)
        got = self._fails.get(key)
        if got is None:
            got = self._failure(e, scope)
            self._fails[key] = got
        return got

    def _failure(self, e: n.Expr, scope: Scope) -> z3.BoolRef:
        f = self.failure
        match e:
            case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
                return FALSE
            case n.Name():
                return self.name_failure(e.name, scope)
            case n.Unary():
                return f(e.operand, scope)
            case n.Binary():
                left, right = f(e.left, scope), f(e.right, scope)
                if e.op == "and":  # the right side is read only when the left is not false
                    return disjunction([left, conjunction([self.term(e.left, scope), right])])
                if e.op in ("or",):
                    return disjunction([left, conjunction([negate(self.term(e.left, scope)), right])])
                if e.op == "implies":
                    return disjunction([left, conjunction([self.term(e.left, scope), right])])
                return disjunction([left, right])
            case n.InSet():
                x = self.term(e.operand, scope)
                parts = [f(e.operand, scope)]
                missed: list[z3.BoolRef] = []
                for o in e.options:  # options are read in order until one matches
                    parts.append(conjunction([*missed, f(o, scope)]))
                    missed.append(negate(equal(x, self.term(o, scope))))
                return disjunction(parts)
            case n.If():
                cond = self.term(e.cond, scope)
                a, b = f(e.then, scope), f(e.else_, scope)
                branch = a if z3.eq(a, b) else fold(z3.If(cond, a, b))
                return disjunction([f(e.cond, scope), branch])
            case n.Call():
                if e.func in ("round", "floor", "ceil") and isinstance(e.args[0], n.Binary) and e.args[0].op == "/":
                    div = e.args[0]
                    den = self.term(div.right, scope)
                    return disjunction([f(div.left, scope), f(div.right, scope), fold(den == 0)])
                parts = [f(a, scope) for a in e.args]
                if e.func in ("add_days", "add_months", "add_years"):
                    d, k = self.term(e.args[0], scope), self.term(e.args[1], scope)
                    if e.func == "add_days":
                        parts.append(dates.add_days(d, k)[1])
                    else:
                        months = k if e.func == "add_months" else scale_leaves(k, 12)
                        parts.append(self.add_months(d, months)[1])
                return disjunction(parts)
            case _:
                assert_never(e)

    def name_failure(self, name: str, scope: Scope = "rules") -> z3.BoolRef:
        key = (name, scope)
        got = self._name_fails.get(key)
        if got is None:
            got = self._name_failure(name, scope)
            self._name_fails[key] = got
        return got

    def _name_failure(self, name: str, scope: Scope) -> z3.BoolRef:
        sym = self.reg.symbols.get(name)
        if sym is None or sym.kind in ("input", "parameter", "builtin"):
            return FALSE
        if sym.kind == "amount" and scope == "decision":
            return FALSE  # the decision's amounts were computed already: their failures count there
        decl = self._decls[name]
        match decl:
            case n.Definition() | n.Amount():
                return self.failure(decl.expr, scope)
            case n.Bracket():
                return disjunction([self.failure(decl.key, scope), self._bracket(decl, scope)[1]])
        raise AssertionError(name)


# -- building the encoding ------------------------------------------------------------------------


def encode(reg: CheckedRegulation, day: date) -> Encoding:
    """Encode `reg` at `day`. Raises NoValue when a parameter or bracket has no value then."""
    enc = Encoding(reg, day)
    enc._decls = {**{d.name: d for d in reg.definitions}, **{a.name: a for a in reg.amounts},
                  **{b.name: b for b in reg.brackets}}
    for decl in reg.inputs:
        var, axioms = _input(decl)
        enc.inputs[decl.name] = var
        if isinstance(decl.type, t.DateType):
            enc.with_parts(var.value, var.consts)
        for ax in axioms:
            enc.axioms[ax.name] = ax
    holds: list[z3.BoolRef] = []
    for r in reg.requirements:
        cond = enc.term(r.condition)
        exemptions = [enc.term(x.condition) for x in r.exemptions]
        held = fold(z3.Or(cond, *exemptions)) if exemptions else cond
        enc.requirements[r.name] = RequirementTerms(r.name, cond, exemptions, held)
        holds.append(held)
        enc.failures[f"requirement {r.name}"] = _requirement_failure(enc, r)
    enc.eligible = conjunction(holds)
    for a in reg.amounts:
        formula = enc.name(a.name)
        enc.amounts[a.name] = formula
        zero = z3.RealVal(0) if formula.sort() == z3.RealSort() else z3.IntVal(0)
        enc.paid[a.name] = fold(z3.If(enc.eligible, formula, zero))
        enc.failures[f"amount {a.name}"] = enc.name_failure(a.name)
    for d in reg.documents:
        enc.documents[d.name] = TRUE if d.required_when is None else enc.term(d.required_when)
        if d.required_when is not None:
            enc.failures[f"document {d.name}"] = enc.failure(d.required_when)
    enc.failures = {k: f for k, f in enc.failures.items() if not z3.is_false(f)}
    return enc


def _requirement_failure(enc: Encoding, r: n.Requirement) -> z3.BoolRef:
    """As `decision.judge`: the condition, then each exemption until one holds. (The values a
    reason shows are read afterwards and never make the requirement fail.)"""
    parts = [enc.failure(r.condition)]
    passed: list[z3.BoolRef] = [negate(enc.term(r.condition))]
    for x in r.exemptions:
        parts.append(conjunction([*passed, enc.failure(x.condition)]))
        passed.append(negate(enc.term(x.condition)))
    return disjunction(parts)


# -- outcomes: error is an outcome like any other (docs/language.md, "Outcomes") --------------------


@dataclass(frozen=True)
class Outcome:
    """The outcome of a case (or of one slice of it, the others neutral) as Z3 terms, as
    `decision.judge` decides it: not eligible when a requirement fails (`ne`); otherwise an error
    when a requirement, an amount or a document's condition cannot be evaluated (`err`);
    otherwise eligible with `amounts`. `documents` are 0 (not required), 1 (required) or 2 (cannot
    be evaluated, which for an eligible case is an error)."""

    ne: z3.BoolRef
    err: z3.BoolRef
    amounts: tuple[z3.ExprRef, ...]
    documents: tuple[z3.ExprRef, ...]

    @property
    def ok(self) -> z3.BoolRef:
        """Eligible, and every amount and document evaluated."""
        return conjunction([negate(self.ne), negate(self.err)])

    def substitute(self, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> Outcome:
        def sub(x: z3.ExprRef) -> z3.ExprRef:
            return z3.substitute(x, *pairs) if pairs else x
        return Outcome(sub(self.ne), sub(self.err), tuple(sub(a) for a in self.amounts),
                       tuple(sub(d) for d in self.documents))


def _differ(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    if z3.eq(a, b):
        return FALSE
    a, b = same_sort(a, b)
    return fold(a != b)


def outcomes_differ(a: Outcome, b: Outcome, documents: bool = True) -> z3.BoolRef:
    """Two outcomes of the same shape differ: in kind (not eligible, error, eligible), in an
    amount of an eligible case, or in a document of a case that is not an error."""
    parts = [_differ(a.ne, b.ne), _differ(a.err, b.err)]
    amounts = disjunction(_differ(x, y) for x, y in zip(a.amounts, b.amounts, strict=True))
    parts.append(conjunction([a.ok, b.ok, amounts]))
    if documents:
        docs = disjunction(_differ(x, y) for x, y in zip(a.documents, b.documents, strict=True))
        parts.append(conjunction([negate(a.err), negate(b.err), docs]))
    return disjunction(parts)




def numbers_in(e: n.Expr, out: list[Decimal]) -> None:
    """The number and money literals of an expression: what the rules compare things with."""
    match e:
        case n.IntLit() | n.DecimalLit() | n.MoneyLit():
            out.append(Decimal(e.value))
        case n.BoolLit() | n.DateLit() | n.EnumLit() | n.Name():
            pass
        case n.Unary():
            numbers_in(e.operand, out)
        case n.Binary():
            numbers_in(e.left, out)
            numbers_in(e.right, out)
        case n.InSet():
            numbers_in(e.operand, out)
            for o in e.options:
                numbers_in(o, out)
        case n.If():
            numbers_in(e.cond, out)
            numbers_in(e.then, out)
            numbers_in(e.else_, out)
        case n.Call():
            for a in e.args:
                numbers_in(a, out)
        case _:
            assert_never(e)


def _input(decl: n.Input) -> tuple[Var, list[Axiom]]:
    name, typ = decl.name, decl.type
    axioms: list[Axiom] = []

    def axiom(formula: z3.BoolRef, text: str) -> None:
        if not z3.is_true(formula):
            axioms.append(Axiom(f"domain of `{name}`", text, formula, name))

    match typ:
        case t.BoolType():
            const: z3.ExprRef = z3.Bool(name)
            return Var(name, typ, (const,), const, decl.registry), axioms
        case t.IntType():
            c = z3.Int(name)
            axiom(_bounds(c, typ.lo, typ.hi), f"`{name}` is {_range_text(typ.lo, typ.hi)}")
            return Var(name, typ, (c,), c, decl.registry), axioms
        case t.MoneyType():
            c = z3.Int(f"{name}__cents")
            value = z3.ToReal(c) / 100
            lo = None if typ.lo is None else int(typ.lo.scaleb(2).to_integral_value(rounding="ROUND_CEILING"))
            hi = None if typ.hi is None else int(typ.hi.scaleb(2).to_integral_value(rounding="ROUND_FLOOR"))
            axiom(_bounds(c, lo, hi), f"`{name}` is {_range_text(typ.lo, typ.hi, money=True)}")
            return Var(name, typ, (c,), value, decl.registry), axioms
        case t.DecimalType():
            r = z3.Real(name)
            lo_f = None if typ.lo is None else real(Fraction(typ.lo))
            hi_f = None if typ.hi is None else real(Fraction(typ.hi))
            axiom(_bounds(r, lo_f, hi_f), f"`{name}` is {_range_text(typ.lo, typ.hi)}")
            return Var(name, typ, (r,), r, decl.registry), axioms
        case t.DateType():
            p = (z3.Int(f"{name}__year"), z3.Int(f"{name}__month"), z3.Int(f"{name}__day"))
            lo_d = max(dates.FIRST, typ.lo.toordinal()) if typ.lo else dates.FIRST
            hi_d = min(dates.LAST, typ.hi.toordinal()) if typ.hi else dates.LAST
            formula = z3.And(dates.valid_parts(p), z3.Not(dates.earlier(p, dates.parts(lo_d))),
                             z3.Not(dates.earlier(dates.parts(hi_d), p)))
            axiom(formula, f"`{name}` is a date from {date.fromordinal(lo_d)} to {date.fromordinal(hi_d)}")
            return Var(name, typ, p, dates.ordinal(*p), decl.registry), axioms
        case t.EnumType():
            e = z3.Int(name)
            axiom(z3.And(e >= 0, e < len(typ.members)), f"`{name}` is one of {', '.join(typ.members)}")
            return Var(name, typ, (e,), e, decl.registry), axioms
        case _:
            assert_never(typ)


def _bounds(x: z3.ArithRef, lo: object, hi: object) -> z3.BoolRef:
    parts = []
    if lo is not None:
        parts.append(x >= lo)
    if hi is not None:
        parts.append(x <= hi)
    return z3.And(*parts) if parts else TRUE


def _range_text(lo: object, hi: object, money: bool = False) -> str:
    def show(x: object) -> str:
        return f"€{x}" if money else str(x)

    if lo is not None and hi is not None:
        return f"{show(lo)}..{show(hi)}"
    if lo is not None:
        return f"at least {show(lo)}"
    if hi is not None:
        return f"at most {show(hi)}"
    return "any value"


# -- term constructors that fold constants (as Cedar's symbolic compiler does) ---------------------


def real(x: Fraction | int) -> z3.RatNumRef:
    f = Fraction(x)
    return z3.RealVal(f"{f.numerator}/{f.denominator}")


def literal(lit: n.Literal, typ: t.Type) -> z3.ExprRef:
    """A literal as a value of `typ` (an integer literal in a decimal place is a Real)."""
    match lit:
        case n.BoolLit():
            return z3.BoolVal(lit.value)
        case n.IntLit():
            return z3.IntVal(lit.value) if is_int_sorted(typ) else real(lit.value)
        case n.DecimalLit() | n.MoneyLit():
            return real(Fraction(lit.value))
        case n.DateLit():
            return z3.IntVal(lit.value.toordinal())
        case n.EnumLit():
            assert isinstance(typ, t.EnumType)
            return z3.IntVal(typ.members.index(lit.member))
        case _:
            assert_never(lit)


def is_int_sorted(typ: t.Type) -> bool:
    return isinstance(typ, t.IntType | t.DateType | t.EnumType)


def row_matches(key: z3.ExprRef, row: n.BracketRow, key_type: t.Type) -> z3.BoolRef:
    parts: list[z3.BoolRef] = []
    if row.lo is not None:
        lo, k = same_sort(literal(row.lo, t.strip_domain(key_type)), key)
        parts.append(fold(lo <= k))
    if row.hi is not None:
        hi, k = same_sort(literal(row.hi, t.strip_domain(key_type)), key)
        parts.append(fold(k < hi))
    return conjunction(parts)


def is_value(x: z3.ExprRef) -> bool:
    return z3.is_int_value(x) or z3.is_rational_value(x) or z3.is_true(x) or z3.is_false(x)


def fold(x: z3.ExprRef) -> z3.ExprRef:
    """Simplify a term whose operands are all values (z3 itself builds `2 + 3` unevaluated)."""
    if z3.is_app(x) and x.num_args() > 0 and all(is_value(c) for c in x.children()):
        return z3.simplify(x)
    if z3.is_app_of(x, z3.Z3_OP_ITE):
        c = x.arg(0)
        if z3.is_true(c):
            return x.arg(1)
        if z3.is_false(c):
            return x.arg(2)
        if z3.eq(x.arg(1), x.arg(2)):
            return x.arg(1)
    return x


def to_real(x: z3.ExprRef) -> z3.ExprRef:
    if x.sort() == z3.IntSort():
        return real(x.as_long()) if z3.is_int_value(x) else z3.ToReal(x)
    return x


def same_sort(*xs: z3.ExprRef) -> tuple[z3.ExprRef, ...]:
    if any(x.sort() == z3.RealSort() for x in xs):
        return tuple(to_real(x) for x in xs)
    return xs


def equal(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    a, b = same_sort(a, b)
    return fold(a == b)


def multiply(a: z3.ExprRef, b: z3.ExprRef) -> z3.ExprRef:
    """a * b, kept linear where it can be: a constant is pushed into the branches of an `if`
    whose leaves are constants (a bracket's rate times an income is a piecewise-linear term)."""
    if is_value(a) and is_value(b):
        return fold(a * b)
    if is_value(a):
        a, b = b, a
    if is_value(b):
        # (x * c1) * c2 is x * (c1 * c2): one coefficient, as a drafter would write it
        if z3.is_app_of(a, z3.Z3_OP_MUL) and a.num_args() == 2 and is_value(a.arg(1)):
            return multiply(a.arg(0), fold(a.arg(1) * b))
        if z3.is_rational_value(b) and Fraction(b.as_fraction()) == 1:
            return a
        if z3.is_int_value(b) and b.as_long() == 1:
            return a
        return a * b
    if _constant_leaves(a):
        return _distribute(a, b)
    if _constant_leaves(b):
        return _distribute(b, a)
    return a * b


def scale_leaves(x: z3.ExprRef, k: int) -> z3.ExprRef:
    """x * k, pushed into the leaves of an `if` tree of constants."""
    if is_value(x):
        return fold(x * k)
    if z3.is_app_of(x, z3.Z3_OP_ITE) and _constant_leaves(x):
        return z3.If(x.arg(0), scale_leaves(x.arg(1), k), scale_leaves(x.arg(2), k))
    return x * k


def _constant_leaves(x: z3.ExprRef) -> bool:
    if is_value(x):
        return True
    return z3.is_app_of(x, z3.Z3_OP_ITE) and _constant_leaves(x.arg(1)) and _constant_leaves(x.arg(2))


def _distribute(ite: z3.ExprRef, other: z3.ExprRef) -> z3.ExprRef:
    if is_value(ite):
        return fold(ite * other)
    return z3.If(ite.arg(0), _distribute(ite.arg(1), other), _distribute(ite.arg(2), other))


def divide(num: z3.ExprRef, den: z3.ExprRef) -> z3.ExprRef:
    if is_value(den) and not is_value(num):
        d = Fraction(den.as_fraction())
        if d != 0:
            return multiply(num, real(1 / d))
    return fold(num / den)


def rounded(x: z3.ExprRef, places: int, func: str) -> z3.ExprRef:
    """round (half away from zero), floor or ceil of a Real to `places` decimals, exactly."""
    scale = 10 ** places
    r = multiply(x, real(scale))
    if func == "floor":
        q: z3.ExprRef = z3.ToInt(r)
    elif func == "ceil":
        q = -z3.ToInt(-r)
    else:
        half = real(Fraction(1, 2))
        q = z3.If(r >= 0, z3.ToInt(r + half), -z3.ToInt(-r + half))
    if is_value(r):
        q = z3.simplify(q)
    return fold(multiply(z3.ToReal(q), real(Fraction(1, scale))) if not is_value(q)
                else real(Fraction(q.as_long(), scale)))


def conjunction(xs: Iterable[z3.BoolRef]) -> z3.BoolRef:
    parts = []
    for x in xs:
        if z3.is_false(x):
            return FALSE
        if not z3.is_true(x):
            parts.append(x)
    if not parts:
        return TRUE
    return parts[0] if len(parts) == 1 else z3.And(parts)


def disjunction(xs: Iterable[z3.BoolRef]) -> z3.BoolRef:
    parts = []
    for x in xs:
        if z3.is_true(x):
            return TRUE
        if not z3.is_false(x):
            parts.append(x)
    if not parts:
        return FALSE
    return parts[0] if len(parts) == 1 else z3.Or(parts)


def negate(x: z3.BoolRef) -> z3.BoolRef:
    if z3.is_true(x):
        return FALSE
    if z3.is_false(x):
        return TRUE
    if z3.is_not(x):
        return x.arg(0)  # a requirement that cannot fail to evaluate keeps its own term
    return z3.Not(x)


def finite_decimal(f: Fraction) -> Decimal | None:
    """The Decimal equal to `f`, when its denominator has no prime factor but 2 and 5."""
    den = f.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    places = max(twos, fives)
    return Decimal(f.numerator * (10 ** places) // f.denominator).scaleb(-places)


_COMPARE: dict[str, Callable[[z3.ExprRef, z3.ExprRef], z3.BoolRef]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
