"""Facts: a flat JSON object of input values, checked against the declared inputs.

Every mistake is reported at once, each with the field's name: an unknown field (with the likely
name), a wrong type, a value outside the input's domain, money with more than two decimals.
"""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, assert_never

from eenvoud.diagnostics import did_you_mean
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation


@dataclass(frozen=True)
class FactError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class FactsError(Exception):
    def __init__(self, errors: list[FactError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def load_json(text: str, what: str = "facts") -> Any:
    """JSON with exact numbers: 1234.56 becomes a Decimal, never a float."""
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FactsError([FactError(what, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]) from None


def parse_facts(reg: CheckedRegulation, raw: object, allow_unknown: bool = False) -> dict[str, Value]:
    """Typed input values from a JSON object; a null or absent field is an unknown fact."""
    if not isinstance(raw, Mapping):
        raise FactsError([FactError("facts", "must be a JSON object of input names and values")])
    inputs = reg.input_map
    errors: list[FactError] = []
    out: dict[str, Value] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            errors.append(FactError(str(key), "field names are texts"))
            continue
        decl = inputs.get(key)
        if decl is None:
            if not allow_unknown:
                hint = did_you_mean(key, inputs)
                errors.append(FactError(key, f"`{reg.name}` has no input `{key}`" + (f"; {hint}" if hint else "")))
            continue
        if value is None:
            continue
        try:
            out[key] = parse_value(decl.type, value)
        except ValueError as exc:
            errors.append(FactError(key, str(exc)))
    if errors:
        raise FactsError(errors)
    return out


def parse_value(typ: t.Type, value: object) -> Value:
    """One typed value, or ValueError with a message for the field."""
    match typ:
        case t.BoolType():
            if isinstance(value, bool):
                return value
            raise ValueError(f"expected true or false, got {_show(value)}")
        case t.IntType():
            number = _integer(value)
            _check_range(number, typ.lo, typ.hi)
            return number
        case t.DecimalType():
            dec = _decimal(value, "a number")
            _check_range(dec, typ.lo, typ.hi)
            return dec
        case t.MoneyType():
            dec = _decimal(value, 'money as a string or a number, like "1987.00"')
            if dec != dec.quantize(Decimal("0.01")):
                raise ValueError(f"money has at most two decimals (cents), got {_show(value)}")
            _check_range(dec, typ.lo, typ.hi)
            return dec.quantize(Decimal("0.01"))
        case t.DateType():
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            raise ValueError(f'expected a date like "2025-01-01", got {_show(value)}')
        case t.EnumType():
            if isinstance(value, str) and value in typ.members:
                return value
            hint = did_you_mean(value, typ.members) if isinstance(value, str) else None
            raise ValueError(
                "expected one of " + ", ".join(f'"{m}"' for m in typ.members) + f", got {_show(value)}"
                + (f"; {hint}" if hint else "")
            )
        case _:
            assert_never(typ)


# A fact has at most 15 digits before the decimal point (a thousand trillion, beyond any amount a
# regulation meets) and at most 10 after it: products of facts then stay within the 60 digits of
# exact arithmetic, and `1e999999999` is refused at once instead of being expanded.
MAX_DIGITS = 15
MAX_DECIMALS = 10
_WIDE = decimal.Context(prec=MAX_DIGITS + MAX_DECIMALS + 5)


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {_show(value)}")
    if isinstance(value, int):
        _check_size(Decimal(value), value)
        return value
    # ASCII digits only: str.isdigit() also takes "²" and other scripts' digits
    if isinstance(value, str) and re.fullmatch(rf"-?[0-9]{{1,{MAX_DIGITS}}}", value.strip()):
        return int(value)
    if isinstance(value, Decimal | float | str):
        try:
            dec = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            dec = Decimal("NaN")
        if dec.is_finite():
            _check_size(dec, value)
            if dec == dec.to_integral_value():
                return int(dec)
    raise ValueError(f"expected a whole number, got {_show(value)}")


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"expected {what}, got {_show(value)}")
    dec: Decimal | None = None
    if isinstance(value, int | Decimal):
        dec = Decimal(value)
    elif isinstance(value, float):
        # a float can only come from a caller that parsed JSON loosely; its shortest repr is exact
        dec = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if text.startswith("€"):
            text = text[1:]
        try:
            dec = Decimal(text)
        except InvalidOperation:
            dec = None
    if dec is None or not dec.is_finite():
        raise ValueError(f"expected {what}, got {_show(value)}")
    _check_size(dec, value)
    return dec


def _check_size(dec: Decimal, value: object) -> None:
    if dec and dec.adjusted() >= MAX_DIGITS:
        raise ValueError(f"{_show(value)} is too large: at most {MAX_DIGITS} digits before the decimal point")
    if dec.quantize(Decimal(1).scaleb(-MAX_DECIMALS), context=_WIDE) != dec:
        raise ValueError(f"{_show(value)} has more than {MAX_DECIMALS} decimals")


def _check_range(value: int | Decimal, lo: object, hi: object) -> None:
    if lo is not None and value < lo:  # type: ignore[operator]
        raise ValueError(f"{value} is below the lowest allowed value {lo}")
    if hi is not None and value > hi:  # type: ignore[operator]
        raise ValueError(f"{value} is above the highest allowed value {hi}")


def _show(value: object) -> str:
    if isinstance(value, str):
        # a message quotes what was sent, but not a megabyte of it
        return json.dumps(value if len(value) <= 40 else value[:37] + "...", ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float):
        return str(value)
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def literal_value(lit: n.Literal) -> Value:
    match lit:
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit():
            return lit.value
        case n.EnumLit():
            return lit.member
        case _:
            assert_never(lit)
