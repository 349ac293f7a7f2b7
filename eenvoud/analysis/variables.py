"""The inputs of a regulation in Z3: one variable per input (three for a date), the axioms of
their declared domains, and the way back from a model to a case the engine accepts (`Var.decode`)
and from a case to numerals (`Var.bind`). Also the constants the rules compare inputs with
(`numbers_in`), from which the analyses draw candidate values.

A money input is an Int of cents seen through `cents / 100`, so that a witness always has two
decimals; a date input is its year, month and day (see `dates.py`); an enumeration is the index of
its option in the declaration.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import assert_never

import z3

from eenvoud.analysis import dates
from eenvoud.analysis.terms import TRUE, real
from eenvoud.engine.values import Value, years_between
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation


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


def rule_constants(reg: CheckedRegulation, day: date, only: Container[str] | None = None) -> list[Decimal]:
    """The numbers a regulation compares things with on `day`, sorted: the literals of its
    definitions, amounts, requirements, exemptions and documents' conditions, its parameter values and
    its bracket bounds (`only`: of the declarations so named). The engine's cheap passes (the
    analyzer's probes, settling open questions) try values at and next to them."""
    from eenvoud.engine.evaluate import bracket_rows, parameter_value

    def kept(name: str) -> bool:
        return only is None or name in only

    found: list[Decimal] = []
    for d in reg.definitions:
        if kept(d.name):
            numbers_in(d.expr, found)
    for a in reg.amounts:
        if kept(a.name):
            numbers_in(a.expr, found)
    for r in reg.requirements:
        if kept(r.name):
            numbers_in(r.condition, found)
            for x in r.exemptions:
                numbers_in(x.condition, found)
    for doc in reg.documents:
        if doc.required_when is not None and kept(doc.name):
            numbers_in(doc.required_when, found)
    out = set(found)
    for p in reg.parameters:
        pv = parameter_value(p, day) if kept(p.name) else None
        if pv is not None and isinstance(pv.value, n.IntLit | n.DecimalLit | n.MoneyLit):
            out.add(Decimal(pv.value.value))
    for b in reg.brackets:
        if not kept(b.name):
            continue
        version = bracket_rows(b, day)
        for row in version.rows if version else ():
            for lit in (row.lo, row.hi):
                if isinstance(lit, n.IntLit | n.DecimalLit | n.MoneyLit):
                    out.add(Decimal(lit.value))
    return sorted(out)

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


def grid_bounds(typ: t.IntType | t.MoneyType | t.DateType) -> tuple[int | None, int | None]:
    """The declared domain of a whole-number, money or date input on the grid its variable counts
    in: whole numbers, cents (rounded inward), day numbers (within the calendar the engine
    accepts); None for an open end."""
    match typ:
        case t.IntType():
            return (None if typ.lo is None else int(typ.lo)), (None if typ.hi is None else int(typ.hi))
        case t.MoneyType():
            return (None if typ.lo is None else int(typ.lo.scaleb(2).to_integral_value(rounding="ROUND_CEILING")),
                    None if typ.hi is None else int(typ.hi.scaleb(2).to_integral_value(rounding="ROUND_FLOOR")))
        case t.DateType():
            return (max(dates.FIRST, typ.lo.toordinal()) if typ.lo else dates.FIRST,
                    min(dates.LAST, typ.hi.toordinal()) if typ.hi else dates.LAST)
        case _:
            assert_never(typ)


def input_var(decl: n.Input) -> tuple[Var, list[Axiom]]:
    """The variable of an input and the axioms of its declared domain."""
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
            lo, hi = grid_bounds(typ)
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
            lo_d, hi_d = grid_bounds(typ)
            assert lo_d is not None and hi_d is not None
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


# Inputs that are one fact about one person: the library derives `age` from `birth_date` (module
# person_age, rules/nl/common/age.rules; `engine.government.derivations`), and the one-government
# answer refuses the two when they disagree. A regulation that asks both (the zorgtoeslag) gets
# the derivation as an axiom of its cases, so that no witness pairs an age of 18 with a birth date
# in 1984. (derived input, the input it is derived from)
PERSON_DERIVATIONS = (("age", "birth_date"),)


def derivations_hold(case: Mapping[str, Value], day: date,
                     pairs: Iterable[tuple[str, str]] = PERSON_DERIVATIONS) -> bool:
    """Each derived answer of `case` follows from its source on `day` (`age` is the whole years
    from `birth_date` to `day`, as `years_between`), where the case gives both."""
    for derived, source in pairs:
        born, got = case.get(source), case.get(derived)
        if isinstance(born, date) and got is not None and got != years_between(born, day):
            return False
    return True


def derivation_axioms(inputs: dict[str, Var], day: date) -> list[Axiom]:
    """The axioms that tie a derived input to the input it is derived from, on the decision date
    `day`: `age` is the whole years from `birth_date` to `day` (as `years_between`)."""
    out: list[Axiom] = []
    for derived, source in PERSON_DERIVATIONS:
        a, b = inputs.get(derived), inputs.get(source)
        if a is None or b is None or not isinstance(a.type, t.IntType) or not isinstance(b.type, t.DateType):
            continue
        years = dates.years_between_parts(b.consts, dates.parts(day.toordinal()))
        out.append(Axiom(f"`{derived}` from `{source}`",
                         f"`{derived}` is the whole years from `{source}` to {day.isoformat()}",
                         a.const == years, derived))
    return out


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
