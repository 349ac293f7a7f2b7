"""Reading an input file into typed inputs, for the SQL backend (`SqlProgram.parse`).

Inputs arrive as they are in a file (text in a CSV, typed columns in Parquet). `parse_inputs`
turns them into typed columns and, per input, an error message for a value of the wrong type or
outside the input's domain; nothing is coerced (a TRY_CAST only runs after a pattern has shown the
text is exactly a value of the type). The kind of a source column (`_source_kind`) comes from its
DuckDB or Spark type name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import assert_never

from sqlglot import exp

from eenvoud.engine.sql_build import (
    _bin,
    _case,
    _cast,
    _decimal,
    _is_null,
    _is_true,
    _not,
    _not_null,
    _or,
    alias,
    col,
)
from eenvoud.engine.sql_types import (
    DECIMAL_DIGITS,
    INT_DIGITS,
    MONEY_DIGITS,
    Num,
    SqlType,
    _sql_type,
    decimal_literal,
    int_literal,
    parse_sql_type,
)
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t

ROW = "__row"  # the row number column of the source; internal names start with two underscores


def parse_inputs(inputs: Sequence[n.Input], input_types: Mapping[str, SqlType], source: exp.Expr,
                 source_types: Mapping[str, str], passthrough: Sequence[str]) -> exp.Select:
    """Typed inputs from the raw columns of `source` (which has `__row`): per input `__i_x`
    (the value; NULL when it is bad, so that a bad value never reaches a formula), `__e_x`
    (why the value is bad, or NULL) and `__t_x` (the value as text, for the report); `__bad`
    when any input of the row is bad. An input without a column is unknown for everyone."""
    inner: list[exp.Expr] = [col(ROW)]
    outer: list[exp.Expr] = [col(ROW)]
    inner += [col(name) for name in passthrough]
    outer += [col(name) for name in passthrough]
    bad: list[exp.Expr] = []
    for decl in inputs:
        name = decl.name
        typ = _sql_type(input_types[name])
        value: exp.Expr
        error: exp.Expr
        text: exp.Expr
        wrong: exp.Expr
        if name not in source_types:
            value, error, text = _cast(exp.Null(), typ), _cast(exp.Null(), "VARCHAR"), \
                _cast(exp.Null(), "VARCHAR")
            wrong = exp.false()
        else:
            value, error, wrong = _parse_input(decl, col(name), source_types[name])
            text = _cast(col(name), "VARCHAR")
            bad.append(col(f"__b_{name}"))
        # the message is only computed where it is read (the errors file); deciding needs the flag
        inner += [alias(value, f"__p_{name}"), alias(error, f"__e_{name}"), alias(text, f"__t_{name}"),
                  alias(wrong, f"__b_{name}")]
        # read wide, checked against the domain, then held in the domain's narrow type
        outer += [alias(_case([(col(f"__b_{name}"), _cast(exp.Null(), typ))], _cast(col(f"__p_{name}"), typ)),
                        f"__i_{name}"), col(f"__e_{name}"), col(f"__t_{name}")]
    outer.append(alias(_or(bad), "__bad"))
    inner_select = exp.select(*inner).from_(source, copy=False)
    return exp.select(*outer).from_(inner_select.subquery("__parsed", copy=False), copy=False)


def _parse_input(decl: n.Input, raw: exp.Expr, source_type: str) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
    """The value read, the message when it is bad (else NULL), and whether it is bad."""
    typ = decl.type
    want = parse_sql_type(decl.type)
    kind = _source_kind(source_type)
    text = exp.Nullif(this=exp.Trim(this=_cast(raw, "VARCHAR")), expression=exp.Literal.string(""))
    checks: list[tuple[exp.Expr, exp.Expr]] = []
    msg = exp.Literal.string

    def matches(pattern: str) -> exp.Expr:
        return exp.RegexpLike(this=text, expression=exp.Literal.string(pattern))

    value: exp.Expr
    match typ:
        case t.BoolType():
            if kind == "bool":
                value = raw
            else:
                lower = exp.Lower(this=text)
                value = _case([(exp.EQ(this=lower, expression=msg("true")), exp.true()),
                               (exp.EQ(this=lower, expression=msg("false")), exp.false())])
                checks.append((_is_null(value), msg("expected true or false")))
        case t.IntType():
            assert isinstance(want, Num)
            if kind == "int" and source_type.strip().lower() in _SMALL_INTS:
                value = _cast(raw, "BIGINT")  # nothing to check but the domain
            elif kind == "int":
                value = exp.TryCast(this=raw, to=exp.DataType.build("BIGINT"), safe=True)
                limit = int_literal(10 ** INT_DIGITS).sql
                checks.append((_or([_is_null(value), _bin(exp.GTE, exp.Abs(this=value), limit)]),
                               msg(f"too large for the batch: at most {INT_DIGITS} digits")))
            else:
                # a whole number, possibly written with a zero fraction (30.0 from a float column)
                checks.append((_not(matches(r"^[+-]?[0-9]+(\.0*)?$")), msg("expected a whole number")))
                checks.append((_not(matches(rf"^[+-]?0*[0-9]{{1,{INT_DIGITS}}}(\.0*)?$")),
                               msg(f"too large for the batch: at most {INT_DIGITS} digits")))
                whole = exp.RegexpExtract(this=text, expression=exp.Literal.string(r"^([+-]?[0-9]+)"),
                                          group=exp.Literal.number(1))
                value = exp.TryCast(this=whole, to=exp.DataType.build("BIGINT"), safe=True)
                checks.append((_is_null(value), msg("expected a whole number")))
        case t.MoneyType() | t.DecimalType():
            assert isinstance(want, Num)
            scale, digits = want.s, want.digits
            what = "money" if isinstance(typ, t.MoneyType) else "a number"
            wide = MONEY_DIGITS if what == "money" else DECIMAL_DIGITS
            if kind.startswith("decimal(") and _fits_decimal(kind, wide, scale):
                # typed: only its size to check (DECIMAL(18, 2) holds more than the batch takes)
                value = _cast(raw, _decimal(wide + scale, scale))
                top = Decimal(10) ** digits
                checks.append((_or([_bin(exp.GTE, value, decimal_literal(top).sql),
                                    _bin(exp.LTE, value, decimal_literal(-top).sql)]),
                               msg(f"too large for the batch: at most {digits} digits before the point")))
                value = _case([(_bin(exp.LT, exp.Abs(this=value), decimal_literal(top).sql),
                                _cast(value, _sql_type(want)))], _cast(exp.Null(), _sql_type(want)))
            else:
                checks.append((_not(matches(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")),
                               msg('expected money like 1987.00' if what == "money" else "expected a number")))
                checks.append((_not(matches(rf"^[+-]?[0-9]*(\.[0-9]{{0,{scale}}}0*)?$")),
                               msg("money has at most two decimals (cents)" if what == "money"
                                   else f"too many decimals for the batch: at most {scale}")))
                checks.append((_not(matches(rf"^[+-]?0*[0-9]{{0,{digits}}}(\.[0-9]*)?$")),
                               msg(f"too large for the batch: at most {digits} digits before the point")))
                value = exp.TryCast(this=text, to=_sql_type(want), safe=True)
                checks.append((_is_null(value), msg("expected money like 1987.00" if what == "money"
                                                    else "expected a number")))
        case t.DateType():
            if kind == "date":
                value = raw
            else:
                value = exp.TryCast(this=text, to=exp.DataType.build("DATE"), safe=True)
                checks.append((_or([_not(matches(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")), _is_null(value)]),
                               msg("expected a date like 2025-01-01")))
        case t.EnumType():
            value = text
            options = ", ".join(typ.members)
            checks.append((_not(exp.In(this=text, expressions=[msg(m) for m in typ.members])),
                           msg(f"expected one of: {options}")))
        case _:
            assert_never(typ)
    lo, hi = getattr(typ, "lo", None), getattr(typ, "hi", None)
    if lo is not None:
        checks.append((_bin(exp.LT, value, _literal_value(lo, want)),
                       msg(f"below the lowest allowed value {_show(lo)}")))
    if hi is not None:
        checks.append((_bin(exp.GT, value, _literal_value(hi, want)),
                       msg(f"above the highest allowed value {_show(hi)}")))
    present = _not_null(raw) if kind != "text" else _not_null(text)
    error = _case([(_not(present), _cast(exp.Null(), "VARCHAR")), *checks])
    wrong = _is_true(_bin(exp.And, present, _or([c for c, _ in checks]))) if checks else exp.false()
    return value, error, wrong


def _literal_value(value: object, want: SqlType) -> exp.Expr:
    if isinstance(value, date):
        return _cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, int) and not isinstance(value, bool):
        return int_literal(value).sql
    assert isinstance(value, Decimal)
    return decimal_literal(value).sql


# whole-number column types whose every value fits the batch's eighteen digits
_SMALL_INTS = {"tinyint", "smallint", "integer", "int", "short", "byte", "utinyint", "usmallint",
               "uinteger", "int8", "int16", "int32"}


def _source_kind(source_type: str) -> str:
    """What a column of the input file holds, from its DuckDB or Spark type name."""
    s = source_type.strip().lower()
    if s in ("boolean", "bool"):
        return "bool"
    if s in ("tinyint", "smallint", "integer", "int", "bigint", "long", "short", "byte", "hugeint",
             "utinyint", "usmallint", "uinteger", "ubigint", "int8", "int16", "int32", "int64"):
        return "int"
    if s.startswith("decimal(") or s.startswith("numeric("):
        return "decimal(" + s.split("(", 1)[1].replace(" ", "")
    if s == "date":
        return "date"
    if s in ("varchar", "string", "text") or s.startswith("varchar("):
        return "text"
    return "other"


def _fits_decimal(kind: str, digits: int, scale: int) -> bool:
    m = re.fullmatch(r"decimal\((\d+),(\d+)\)", kind)
    if not m:
        return False
    p, s = int(m.group(1)), int(m.group(2))
    return s <= scale and p - s <= digits


def _show(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
