"""The numeric type algebra of the SQL backend: every value the compiled query computes has an SQL
type this module states (`Num`: DECIMAL(p, s) or BIGINT, with the interval its values lie in; or
bool, date, text), so that no database ever picks a type that rounds. Literals, the types inputs are
read and held in, and the widening DuckDB's 64-bit DECIMALs need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, assert_never

from sqlglot import exp

from eenvoud.engine.sql_build import _cast, _decimal
from eenvoud.ir import types as t

MAX_PRECISION = 38  # DECIMAL(38, s) is the widest type both DuckDB and Spark have
MONEY_DIGITS = 16  # money results are DECIMAL(18, 2): sixteen digits before the point
# Money inputs take thirteen digits before the point (below ten trillion euros: any person's or
# company's figure), so that a money input times a percentage still fits DuckDB's 64-bit DECIMAL;
# a larger value is a bad row, reported as such.
INPUT_MONEY_DIGITS = 13
DECIMAL_DIGITS = 18  # decimal inputs are DECIMAL(28, 10) unless their domain is narrower
DECIMAL_SCALE = 10
INT_DIGITS = 18  # whole-number inputs are BIGINT; eighteen digits always fit
WIDE = 18  # DuckDB keeps a DECIMAL of up to 18 digits in 64 bits, a wider one in 128


@dataclass(frozen=True)
class Num:
    """A numeric SQL type: DECIMAL(p, s), or BIGINT (`integer`), and the interval [lo, hi] its
    values lie in. The interval is what keeps the types narrow: `max(€0, x)` of a wide `x` can
    be small, and DuckDB computes a DECIMAL of up to 18 digits in 64 bits, a wider one in 128."""

    p: int
    s: int = 0
    integer: bool = False
    lo: Decimal | None = field(default=None, compare=False)
    hi: Decimal | None = field(default=None, compare=False)

    @staticmethod
    def of(lo: Decimal | int, hi: Decimal | int, s: int, integer: bool = False) -> Num:
        """The narrowest type that holds every value in [lo, hi] with `s` decimals."""
        lo, hi = Decimal(lo), Decimal(hi)
        p = max(1, _digits(max(abs(lo), abs(hi))) + s)
        if integer:
            return Num(min(p, INT_DIGITS + 1), 0, True, lo, hi)
        return Num(min(p, MAX_PRECISION), s, False, lo, hi)

    @property
    def digits(self) -> int:
        """Digits before the point."""
        return self.p - self.s

    @property
    def bounds(self) -> tuple[Decimal, Decimal]:
        if self.lo is not None and self.hi is not None:
            return self.lo, self.hi
        top = Decimal(10) ** self.digits - Decimal(1).scaleb(-self.s)
        return -top, top


SqlType = Num | Literal["bool", "date", "text"]


@dataclass(frozen=True)
class Val:
    sql: exp.Expr
    type: SqlType
    # `if c then k1 else k2` with constant k1 and k2: (c, k1, k2), so that arithmetic with a
    # constant folds into each branch (its decimals then stay as few as the results need)
    choice: tuple[exp.Expr, object, object] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Output:
    """An output column: its name in the results and its SQL type."""

    name: str
    column: str  # the internal column holding it
    type: SqlType
    money: bool = False


_UNKNOWN = object()


def constant(v: Val) -> object:
    """The value of `v` when it is a literal (the same for every person), else `_UNKNOWN`."""
    e = v.sql
    if isinstance(e, exp.Boolean):
        return bool(e.this)
    if isinstance(e, exp.Literal) and e.is_string and v.type == "text":
        return e.this
    if isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal) and isinstance(v.type, Num):
        return int(e.this.this) if v.type.integer else Decimal(e.this.this)
    return _UNKNOWN


def decimal_literal(value: Decimal) -> Val:
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    else:
        value = value.normalize()  # 1213.7883800 is 1213.78838: the fewest decimals, the narrowest type
    text = format(value, "f")
    s = max(0, -int(value.as_tuple().exponent))
    whole = text.lstrip("-").split(".")[0].lstrip("0")
    p = max(1, len(whole) + s)
    return Val(_cast(exp.Literal.string(text), _decimal(p, s)), Num(p, s, False, value, value))


def int_literal(value: int) -> Val:
    return Val(_cast(exp.Literal.number(value), exp.DataType.build("BIGINT")), Num.of(value, value, 0, True))



def _digits(value: int | Decimal | None) -> int:
    """Digits before the point of |value| (0 for a value below 1)."""
    if value is None:
        return 0
    whole = abs(int(value))
    return len(str(whole)) if whole else 0



def _sql_type(typ: SqlType) -> exp.DataType:
    if isinstance(typ, Num):
        return exp.DataType.build("BIGINT") if typ.integer else _decimal(typ.p, typ.s)
    return exp.DataType.build({"bool": "BOOLEAN", "date": "DATE", "text": "VARCHAR"}[typ])



def _wide(typ: Num) -> Num:
    """The same values in a DECIMAL wider than 18 digits. DuckDB multiplies two DECIMALs of at
    most 18 digits in 64 bits, even when the product needs more (it then raises an overflow):
    operands of a wide result are widened first."""
    return Num(max(typ.p, WIDE + 1), typ.s, typ.integer, typ.lo, typ.hi)



def parse_sql_type(typ: t.Type) -> SqlType:
    """The type an input's values are read into, before its domain is checked: the widest the
    batch takes (BIGINT, DECIMAL(18, 2) for money, DECIMAL(28, 10) for decimals)."""
    match typ:
        case t.IntType():
            return Num(INT_DIGITS, 0, True)
        case t.MoneyType():
            return Num(INPUT_MONEY_DIGITS + 2, 2)
        case t.DecimalType():
            return Num(DECIMAL_DIGITS + DECIMAL_SCALE, DECIMAL_SCALE)
        case _:
            return input_sql_type(typ)


def input_sql_type(typ: t.Type) -> SqlType:
    """How an input is held in SQL; the domain, where one is declared, narrows the type (narrow
    decimals are faster: DuckDB keeps up to 18 digits in a 64-bit integer)."""
    match typ:
        case t.BoolType():
            return "bool"
        case t.IntType() | t.MoneyType() | t.DecimalType():
            full = parse_sql_type(typ)
            assert isinstance(full, Num)
            lo, hi = full.bounds
            lo = max(lo, Decimal(typ.lo)) if typ.lo is not None else lo
            hi = min(hi, Decimal(typ.hi)) if typ.hi is not None else hi
            return Num.of(lo, hi, full.s, full.integer)
        case t.DateType():
            return "date"
        case t.EnumType():
            return "text"
        case _:
            assert_never(typ)

