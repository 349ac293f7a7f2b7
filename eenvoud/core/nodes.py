"""The lowered core: one regulation at one reference date, the form every backend reads.

`lower(regulation, day)` (lower.py) turns a checked regulation into these nodes: parameters and
bracket rows are resolved for the date, operators and functions are enums, a rounded division is a
node of its own, and every node carries its type. What may fail is explicit in the node kind
(`Lookup`: no row covers the key; `RoundedDivide`: a division by zero; `Call` of a date shift:
a date out of range), so that the engine, the Z3 encoding and the SQL compiler each handle the
same closed set of nodes and mypy checks that each handles all of them (`assert_never`).

The outcome of a case over this core is written once, in `eenvoud.engine.decision.judge`, and the
encoding's `Outcome` and the SQL follow it (docs/language.md, "Outcomes").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import assert_never

from eenvoud.diagnostics import Diagnostic
from eenvoud.ir import nodes as n
from eenvoud.ir.types import Type
from eenvoud.source import Span

Value = bool | int | Decimal | date | str


class Op(Enum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    AND = "and"
    OR = "or"
    IMPLIES = "implies"

    @property
    def is_comparison(self) -> bool:
        return self in COMPARISONS

    @property
    def is_arithmetic(self) -> bool:
        return self in (Op.ADD, Op.SUB, Op.MUL)

    @property
    def is_logical(self) -> bool:
        return self in (Op.AND, Op.OR, Op.IMPLIES)


COMPARISONS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE})


class UnaryOp(Enum):
    NEG = "-"
    NOT = "not"


class Func(Enum):
    MIN = "min"
    MAX = "max"
    ABS = "abs"
    YEARS_BETWEEN = "years_between"
    MONTHS_BETWEEN = "months_between"
    DAYS_BETWEEN = "days_between"
    ADD_DAYS = "add_days"  # may fail: a date out of range
    ADD_MONTHS = "add_months"  # may fail
    ADD_YEARS = "add_years"  # may fail
    # "met ingang van de eerste dag van de maand volgend op ...": may fail (after December 9999)
    FIRST_DAY_OF_NEXT_MONTH = "first_day_of_next_month"

    @property
    def may_fail(self) -> bool:
        return self in (Func.ADD_DAYS, Func.ADD_MONTHS, Func.ADD_YEARS, Func.FIRST_DAY_OF_NEXT_MONTH)


class Rounding(Enum):
    ROUND = "round"  # half away from zero
    FLOOR = "floor"
    CEIL = "ceil"


@dataclass(frozen=True, eq=False)
class Term:
    """A node of the core. Identity, not structure, is its equality: backends memoise per node,
    and a definition read twice is one node read twice."""

    type: Type
    span: Span | None = field(default=None, kw_only=True, repr=False)
    # a parameter or bracket without a value on the day (E0402): the node holds a placeholder and
    # the diagnostic, and `Core.problems(term)` refuses every term that reads it
    missing: Diagnostic | None = field(default=None, kw_only=True, repr=False)


@dataclass(frozen=True, eq=False)
class Const(Term):
    """A literal, a parameter's value on the date, or the reference date."""

    value: Value


@dataclass(frozen=True, eq=False)
class InputRef(Term):
    name: str


@dataclass(frozen=True, eq=False)
class DefRef(Term):
    """A named definition, bracket or amount formula: `Core.definitions[name]`, evaluated once
    per case however often it is read."""

    name: str


@dataclass(frozen=True, eq=False)
class Unary(Term):
    op: UnaryOp
    operand: Expr


@dataclass(frozen=True, eq=False)
class Binary(Term):
    op: Op
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class InSet(Term):
    operand: Expr
    options: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class If(Term):
    cond: Expr
    then: Expr
    else_: Expr


@dataclass(frozen=True, eq=False)
class Call(Term):
    func: Func
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Round(Term):
    """round/floor/ceil of a number to `places` decimals (a whole number stays itself)."""

    mode: Rounding
    operand: Expr
    places: int


@dataclass(frozen=True, eq=False)
class RoundedDivide(Term):
    """round/floor/ceil(num / den, places), computed exactly from fractions. May fail: den = 0."""

    mode: Rounding
    num: Expr
    den: Expr
    places: int


@dataclass(frozen=True)
class Row:
    """lo <= key < hi (None: open) gives value."""

    lo: Value | None
    hi: Value | None
    value: Value


@dataclass(frozen=True, eq=False)
class Lookup(Term):
    """The value of the first row whose interval holds the key. May fail: no row covers it."""

    bracket: str
    key: Expr
    key_type: Type
    rows: tuple[Row, ...]


@dataclass(frozen=True, eq=False)
class Decided(Term):
    """In a property only: whether the case is eligible, as decided."""


@dataclass(frozen=True, eq=False)
class Paid(Term):
    """In a property only: an amount as paid (0 when not eligible)."""

    name: str


Expr = Const | InputRef | DefRef | Unary | Binary | InSet | If | Call | Round | RoundedDivide | Lookup | Decided | Paid


def children(e: Expr) -> tuple[Expr, ...]:
    """The operands of a core node (a `DefRef` names a definition; it has none)."""
    match e:
        case Const() | InputRef() | DefRef() | Decided() | Paid():
            return ()
        case Unary():
            return (e.operand,)
        case Binary():
            return (e.left, e.right)
        case InSet():
            return (e.operand, *e.options)
        case If():
            return (e.cond, e.then, e.else_)
        case Call():
            return e.args
        case Round():
            return (e.operand,)
        case RoundedDivide():
            return (e.num, e.den)
        case Lookup():
            return (e.key,)
        case _:
            assert_never(e)


@dataclass(frozen=True)
class Requirement:
    name: str
    label: str | None
    article: str | None
    condition: Expr
    exemptions: tuple[Expr, ...]
    exemption_labels: tuple[str | None, ...]
    decl: n.Requirement


@dataclass(frozen=True)
class Amount:
    name: str
    type: Type
    label: str | None
    article: str | None
    formula: Expr  # a DefRef to the amount's own formula
    decl: n.Amount

    @property
    def money(self) -> bool:
        from eenvoud.ir.types import MoneyType

        return isinstance(self.type, MoneyType)


@dataclass(frozen=True)
class Document:
    name: str
    label: str | None
    provides: tuple[str, ...]
    required_when: Expr | None  # None: always required
    decl: n.Document
