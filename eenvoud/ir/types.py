"""Value types of the rules language.

A type carries its domain where one is declared (`int 0..130`, `money €0..`); two types of the same
kind are compatible whatever their domains. Money is exact: Decimal in the engine, integer cents or
exact rationals in the solver, DECIMAL in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import assert_never


@dataclass(frozen=True)
class BoolType:
    pass


@dataclass(frozen=True)
class IntType:
    lo: int | None = None
    hi: int | None = None


@dataclass(frozen=True)
class DecimalType:
    lo: Decimal | None = None
    hi: Decimal | None = None
    percent: bool = False  # shown as a percentage (`13.67%`); arithmetic is the same


@dataclass(frozen=True)
class MoneyType:
    lo: Decimal | None = None
    hi: Decimal | None = None


@dataclass(frozen=True)
class DateType:
    lo: date | None = None
    hi: date | None = None


@dataclass(frozen=True)
class EnumType:
    members: tuple[str, ...]


Type = BoolType | IntType | DecimalType | MoneyType | DateType | EnumType

BOOL = BoolType()
INT = IntType()
DECIMAL = DecimalType()
PERCENT = DecimalType(percent=True)
MONEY = MoneyType()
DATE = DateType()


def kind(t: Type) -> str:
    """The kind of a type, ignoring its domain: what the type checker compares."""
    match t:
        case BoolType():
            return "bool"
        case IntType():
            return "int"
        case DecimalType():
            return "percent" if t.percent else "decimal"
        case MoneyType():
            return "money"
        case DateType():
            return "date"
        case EnumType():
            return "one of {" + ", ".join(t.members) + "}"
        case _:
            assert_never(t)


def is_number(t: Type) -> bool:
    """int, decimal and percent: the unit-less numbers."""
    return isinstance(t, IntType | DecimalType)


def same_kind(a: Type, b: Type) -> bool:
    """Whether values of `a` and `b` can be compared or joined (int and decimal mix freely)."""
    if is_number(a) and is_number(b):
        return True
    if isinstance(a, EnumType) and isinstance(b, EnumType):
        return a.members == b.members
    return type(a) is type(b)


def strip_domain(t: Type) -> Type:
    match t:
        case BoolType() | EnumType():
            return t
        case IntType():
            return INT
        case DecimalType():
            return PERCENT if t.percent else DECIMAL
        case MoneyType():
            return MONEY
        case DateType():
            return DATE
        case _:
            assert_never(t)


def join(a: Type, b: Type) -> Type:
    """The type of a value that is either an `a` or a `b` (branches of `if`, arguments of `min`)."""
    if isinstance(a, IntType) and isinstance(b, IntType):
        return INT
    if is_number(a) and is_number(b):
        if isinstance(a, DecimalType) and isinstance(b, DecimalType) and a.percent and b.percent:
            return PERCENT
        return DECIMAL
    return strip_domain(a)
