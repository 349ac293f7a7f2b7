"""The checked IR compiled to SQL (sqlglot expressions), for DuckDB and Apache Spark.

A whole population is decided by one query: every person a row, every input a column. The query
gives, person by person, exactly what the engine gives (`eenvoud.engine.decision.outcome`):

- Money and decimals are SQL DECIMALs, never floats. Every intermediate carries an exact
  (precision, scale) that this module tracks itself and states with an explicit CAST, so that no
  database ever picks a type that rounds: a value that would not fit raises an overflow error in
  the database instead of being rounded (Spark runs with ANSI mode on and without precision loss).
- Rounding is the engine's: half away from zero, floor, ceil. A division only ever stands inside a
  rounding, and is computed on exact integers (the numerator and denominator scaled to whole
  numbers, then an integer division corrected by its remainder), never with SQL's `/`.
- Unknown facts are NULL, and NULL follows the engine's three-valued logic: SQL's AND, OR and NOT
  are already Kleene's; an `if` with an unknown condition is known only when both branches agree;
  `min`/`max` are unknown when any argument is (SQL's GREATEST and LEAST skip NULLs, so they are
  guarded).
- Parameters and bracket rows are resolved at the reference date into literals.
- Where the engine would raise (a division by zero, a bracket without a row for the key, a date out
  of range), the query cannot: it marks the row instead (`__needs_engine`, conservatively: also
  where the engine would not have reached that expression), and the batch decides those rows with
  the engine itself, which gives the exact outcome or the exact error.

The query is built in layers: each definition, amount, bracket and requirement is a column of its
own, computed in a SELECT over the previous layer, and any sub-expression that a construct needs
twice (the branches of an `if`, the parts of an exact division) is a helper column too, so that no
expression is copied into another.

Inputs arrive as they are in a file (text in a CSV, typed columns in Parquet). `parse` turns them
into typed columns and, per input, an error message for a value of the wrong type or outside the
input's domain; nothing is coerced (a TRY_CAST only runs after a pattern has shown the text is
exactly a value of the type).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal, assert_never

from sqlglot import exp

from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.engine.evaluate import Program, bracket_rows, parameter_value
from eenvoud.engine.values import localcontext_exact
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.source import Span

Dialect = Literal["duckdb", "spark"]

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

# Internal column names start with two underscores; an input file may not use such names.
ROW = "__row"
ELIGIBLE = "__eligible"
FAILED = "__failed"
NEEDS_ENGINE = "__needs_engine"


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


# -- small builders --------------------------------------------------------------------------------


def _cast(e: exp.Expr, to: exp.DataType | str) -> exp.Expr:
    """CAST(e AS to), always. (sqlglot's `exp.cast` drops a cast whose operand is already cast to
    the same kind of type, whatever the precision and scale: CAST(CAST(x AS DECIMAL(24, 2)) AS
    DECIMAL(18, 2)) would lose the DECIMAL(18, 2) this module tracks.)"""
    return exp.Cast(this=e, to=exp.DataType.build(to) if isinstance(to, str) else to)


def col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def alias(e: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(e, name, quoted=True)


def _p(e: exp.Expr) -> exp.Expr:
    """Parenthesised: sqlglot prints a tree as it is built, without adding the brackets that
    precedence would need."""
    if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Null | exp.Paren | exp.Cast | exp.Func):
        return e
    return exp.Paren(this=e)


def _bin(cls: type[exp.Binary], a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Paren(this=cls(this=_p(a), expression=_p(b)))


def _not(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=exp.Not(this=_p(e)))


def _and(parts: Sequence[exp.Expr]) -> exp.Expr:
    if not parts:
        return exp.true()
    out = _p(parts[0])
    for x in parts[1:]:
        out = _bin(exp.And, out, x)
    return out


def _or(parts: Sequence[exp.Expr]) -> exp.Expr:
    if not parts:
        return exp.false()
    out = _p(parts[0])
    for x in parts[1:]:
        out = _bin(exp.Or, out, x)
    return out


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=exp.Is(this=_p(e), expression=exp.Null()))


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=exp.Not(this=exp.Is(this=_p(e), expression=exp.Null())))


def _case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Case:
    case = exp.Case()
    for cond, value in whens:
        case = case.when(cond, value)
    if default is not None:
        case = case.else_(default)
    return case


def _is_false(e: exp.Expr) -> exp.Expr:
    """True exactly when `e` is FALSE (not when it is NULL)."""
    return _not(exp.Coalesce(this=_p(e), expressions=[exp.true()]))


def _is_true(e: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=_p(e), expressions=[exp.false()])


def _simple(e: exp.Expr) -> bool:
    """Cheap to repeat: a column, a literal, a cast literal."""
    if isinstance(e, exp.Paren):
        return _simple(e.this)
    if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Null):
        return True
    return isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal)


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


def _decimal(p: int, s: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({p}, {s})")


def _digits(value: int | Decimal | None) -> int:
    """Digits before the point of |value| (0 for a value below 1)."""
    if value is None:
        return 0
    whole = abs(int(value))
    return len(str(whole)) if whole else 0


# -- the compiler ----------------------------------------------------------------------------------


@dataclass
class SqlProgram:
    """A regulation compiled to SQL at one reference date, for one SQL dialect."""

    reg: CheckedRegulation
    day: date
    dialect: Dialect
    input_types: dict[str, SqlType]
    columns: dict[str, exp.Expr]  # internal column -> its expression, in creation order
    outputs: tuple[Output, ...]
    flags: tuple[exp.Expr, ...]
    layers: list[list[str]] = field(default_factory=list)
    # queries built for one input file's columns, kept: a batch over the same kind of file again
    # (the next month's extract) starts at once
    built: dict[object, object] = field(default_factory=dict, repr=False)

    @property
    def inputs(self) -> tuple[n.Input, ...]:
        return self.reg.inputs

    def sql(self, e: exp.Expr) -> str:
        return e.sql(dialect=self.dialect)

    # -- parsing the input file ---------------------------------------------------------------
    def parse(self, source: exp.Expr, source_types: Mapping[str, str],
              passthrough: Sequence[str]) -> exp.Select:
        """Typed inputs from the raw columns of `source` (which has `__row`): per input `__i_x`
        (the value; NULL when it is bad, so that a bad value never reaches a formula), `__e_x`
        (why the value is bad, or NULL) and `__t_x` (the value as text, for the report); `__bad`
        when any input of the row is bad. An input without a column is unknown for everyone."""
        inner: list[exp.Expr] = [col(ROW)]
        outer: list[exp.Expr] = [col(ROW)]
        inner += [col(name) for name in passthrough]
        outer += [col(name) for name in passthrough]
        bad: list[exp.Expr] = []
        for decl in self.inputs:
            name = decl.name
            typ = self._sql_type(self.input_types[name])
            value: exp.Expr
            error: exp.Expr
            text: exp.Expr
            wrong: exp.Expr
            if name not in source_types:
                value, error, text = _cast(exp.Null(), typ), _cast(exp.Null(), "VARCHAR"), \
                    _cast(exp.Null(), "VARCHAR")
                wrong = exp.false()
            else:
                value, error, wrong = self._parse_input(decl, col(name), source_types[name])
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

    def _parse_input(self, decl: n.Input, raw: exp.Expr, source_type: str) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
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
                                    _cast(value, self._sql_type(want)))], _cast(exp.Null(), self._sql_type(want)))
                else:
                    checks.append((_not(matches(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")),
                                   msg('expected money like 1987.00' if what == "money" else "expected a number")))
                    checks.append((_not(matches(rf"^[+-]?[0-9]*(\.[0-9]{{0,{scale}}}0*)?$")),
                                   msg("money has at most two decimals (cents)" if what == "money"
                                       else f"too many decimals for the batch: at most {scale}")))
                    checks.append((_not(matches(rf"^[+-]?0*[0-9]{{0,{digits}}}(\.[0-9]*)?$")),
                                   msg(f"too large for the batch: at most {digits} digits before the point")))
                    value = exp.TryCast(this=text, to=self._sql_type(want), safe=True)
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
            checks.append((_bin(exp.LT, value, self._literal_value(lo, want)),
                           msg(f"below the lowest allowed value {_show(lo)}")))
        if hi is not None:
            checks.append((_bin(exp.GT, value, self._literal_value(hi, want)),
                           msg(f"above the highest allowed value {_show(hi)}")))
        present = _not_null(raw) if kind != "text" else _not_null(text)
        error = _case([(_not(present), _cast(exp.Null(), "VARCHAR")), *checks])
        wrong = _is_true(_bin(exp.And, present, _or([c for c, _ in checks]))) if checks else exp.false()
        return value, error, wrong

    def _literal_value(self, value: object, want: SqlType) -> exp.Expr:
        if isinstance(value, date):
            return _cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
        if isinstance(value, int) and not isinstance(value, bool):
            return int_literal(value).sql
        assert isinstance(value, Decimal)
        return decimal_literal(value).sql

    # -- deciding ------------------------------------------------------------------------------
    def decide(self, parsed: exp.Expr, passthrough: Sequence[str], internal: bool = False,
               extra: Sequence[str] = ()) -> exp.Select:
        """The decision per row of `parsed` (the rows of `parse` that are not bad): `row`, the
        passthrough columns, `eligible`, each amount, `failed_requirement`. With `internal`, also
        `__needs_engine` and the typed inputs (`__i_x`); `extra` names more columns to keep."""
        rel: exp.Expr = parsed
        for k, layer in enumerate(self.layers, start=1):
            # copy=False: sqlglot's builders copy the whole tree at each step otherwise (quadratic)
            rel = exp.select(exp.Star(), *(alias(self.columns[c], c) for c in layer)).from_(
                _subquery(rel, f"__l{k}"), copy=False)
        final: list[exp.Expr] = [alias(col(ROW), "row")]
        final += [col(name) for name in passthrough]
        final += [alias(col(o.column), o.name) for o in self.outputs]
        if internal:
            final.append(col(NEEDS_ENGINE))
            final += [col(f"__i_{i.name}") for i in self.inputs]
        final += [col(c) for c in extra]
        return exp.select(*final).from_(_subquery(rel, "__decided"), copy=False)

    def _sql_type(self, typ: SqlType) -> exp.DataType:
        return _sql_type(typ)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)


def _subquery(rel: exp.Expr, name: str) -> exp.Expr:
    if isinstance(rel, exp.Select):
        return rel.subquery(name, copy=False)
    return rel


def _sql_type(typ: SqlType) -> exp.DataType:
    if isinstance(typ, Num):
        return exp.DataType.build("BIGINT") if typ.integer else _decimal(typ.p, typ.s)
    return exp.DataType.build({"bool": "BOOLEAN", "date": "DATE", "text": "VARCHAR"}[typ])


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


def compile_sql(reg: CheckedRegulation, day: date, dialect: Dialect = "duckdb") -> SqlProgram:
    """The regulation at `day` as SQL. Raises RuleError where the engine would refuse the date
    too (a parameter without a value then), or where a formula needs more than 38 digits."""
    if not reg.is_regulation():
        raise RuleError([Diagnostic("E0601", f"`{reg.name}` is a module: it decides no eligibility",
                                    reg.regulation.span)])
    key = (id(reg), reg.hash, day, dialect)
    cached = _COMPILED.get(key)
    if cached is not None and cached.reg is reg:
        return cached
    Program(reg, day)  # the same diagnostics as the engine for a date without parameter values
    program = _Compiler(reg, day, dialect).run()
    if len(_COMPILED) > 64:
        _COMPILED.clear()
    _COMPILED[key] = program
    return program


# compiled once per regulation, date and dialect, as the engine compiles a Program
_COMPILED: dict[tuple[int, str, date, str], SqlProgram] = {}


class _Compiler:
    def __init__(self, reg: CheckedRegulation, day: date, dialect: Dialect):
        self.reg = reg
        self.day = day
        self.dialect: Dialect = dialect
        self.columns: dict[str, exp.Expr] = {}
        self.flags: list[exp.Expr] = []
        self.names: dict[str, Val] = {}
        self.decls: dict[str, n.Definition | n.Amount | n.Bracket] = {
            **{d.name: d for d in reg.definitions},
            **{a.name: a for a in reg.amounts},
            **{b.name: b for b in reg.brackets},
        }
        self.input_types = {i.name: input_sql_type(i.type) for i in reg.inputs}
        self.span: Span | None = None
        # exact integer arithmetic for divisions: HUGEINT in DuckDB, DECIMAL(38, 0) in Spark
        self.big = exp.DataType.build("HUGEINT", dialect="duckdb") if dialect == "duckdb" else _decimal(38, 0)

    def run(self) -> SqlProgram:
        requirement_cols: list[tuple[n.Requirement, str]] = []
        for req in self.reg.requirements:
            self.span = req.span
            parts = [self.expr(req.condition).sql]
            parts += [self.expr(e.condition).sql for e in req.exemptions]
            name = f"__r_{req.name}"
            self.columns[name] = _or(parts)  # Kleene: holds if any holds, fails if all fail
            requirement_cols.append((req, name))
        self.columns[ELIGIBLE] = _and([col(c) for _, c in requirement_cols])
        # a CASE takes a branch only when its condition is TRUE: NULL (unknown) goes on
        self.columns[FAILED] = _case([(_not(col(c)), exp.Literal.string(r.name)) for r, c in requirement_cols],
                                     _cast(exp.Null(), "VARCHAR")) \
            if requirement_cols else _cast(exp.Null(), "VARCHAR")
        outputs = [Output("eligible", ELIGIBLE, "bool")]
        for amount in self.reg.amounts:
            self.span = amount.span
            raw = self.name(amount.name)
            assert isinstance(raw.type, Num)
            money = isinstance(self.reg.symbols[amount.name].type, t.MoneyType)
            if money:
                shown = self.round(raw, 2, "round")  # reported in cents, half up, as the engine does
                out_type: Num = Num(MONEY_DIGITS + 2, 2)
            else:
                shown, out_type = raw, raw.type
            zero = decimal_literal(Decimal("0.00")) if money else int_literal(0)
            name = f"__o_{amount.name}"
            self.columns[name] = _case([(col(ELIGIBLE), self.cast(shown, out_type)),
                                        (_not(col(ELIGIBLE)), self.cast(zero, out_type))],
                                       _cast(exp.Null(), _sql_type(out_type)))
            outputs.append(Output(amount.name, name, out_type, money))
        outputs.append(Output("failed_requirement", FAILED, "text"))
        self.columns[NEEDS_ENGINE] = _or(self.flags) if self.flags else exp.false()
        program = SqlProgram(self.reg, self.day, self.dialect, self.input_types, self.columns, tuple(outputs),
                             tuple(self.flags))
        program.layers = _layers(self.columns)
        return program

    # -- errors --------------------------------------------------------------------------------
    def too_wide(self, what: str) -> RuleError:
        return RuleError([Diagnostic(
            "E0602", f"{what} needs more than {MAX_PRECISION} digits, more than SQL's widest DECIMAL holds",
            self.span, "round the intermediate result, or decide these cases with `eenvoud eval`")])

    # -- helpers -------------------------------------------------------------------------------
    def let(self, v: Val) -> Val:
        """`v` as a column of its own when it is used more than once and is not cheap to repeat."""
        if _simple(v.sql):
            return v
        name = f"__h{len(self.columns)}"
        self.columns[name] = v.sql
        return Val(col(name), v.type)

    def cast(self, v: Val, to: SqlType) -> exp.Expr:
        if v.type == to:
            return v.sql
        if isinstance(v.sql, exp.Cast) and isinstance(v.sql.this, exp.Literal):
            return _cast(v.sql.this, _sql_type(to))
        return _cast(_p(v.sql), _sql_type(to))

    def common(self, types: Sequence[SqlType]) -> SqlType:
        """The type that holds every value of `types` exactly (capped at 38 digits: a value that
        does not fit then overflows loudly)."""
        nums = [x for x in types if isinstance(x, Num)]
        if len(nums) != len(types):
            return types[0]
        lo = min(x.bounds[0] for x in nums)
        hi = max(x.bounds[1] for x in nums)
        if all(x.integer for x in nums):
            return Num.of(lo, hi, 0, True)
        s = max(x.s for x in nums)
        if s > MAX_PRECISION:
            raise self.too_wide("a value")
        return Num.of(lo, hi, s)

    def as_decimal(self, v: Val) -> Val:
        assert isinstance(v.type, Num)
        if not v.type.integer:
            return v
        target = Num.of(*v.type.bounds, 0)
        return Val(self.cast(v, target), target)

    # -- names ---------------------------------------------------------------------------------
    def name(self, name: str) -> Val:
        got = self.names.get(name)
        if got is not None:
            return got
        sym = self.reg.symbols.get(name)
        if name == "reference_date":
            val = Val(_cast(exp.Literal.string(self.day.isoformat()), exp.DataType.build("DATE")), "date")
        elif sym is None:
            raise AssertionError(f"unresolved name {name}")
        elif sym.kind == "input":
            val = Val(col(f"__i_{name}"), self.input_types[name])
        elif sym.kind == "parameter":
            assert isinstance(sym.decl, n.Parameter)
            pv = parameter_value(sym.decl, self.day)
            assert pv is not None  # Program(reg, day) has reported a missing value
            val = self.literal(pv.value, sym.type)
        else:
            decl = self.decls[name]
            outer = self.span
            self.span = decl.span
            match decl:
                case n.Definition() | n.Amount():
                    inner = self.expr(decl.expr)
                case n.Bracket():
                    inner = self.bracket(decl)
                case _:
                    assert_never(decl)
            self.span = outer
            column = f"__v_{name}"
            self.columns[column] = inner.sql
            val = Val(col(column), inner.type)
        self.names[name] = val
        return val

    def literal(self, lit: n.Literal, typ: t.Type | None = None) -> Val:
        match lit:
            case n.BoolLit():
                return Val(exp.true() if lit.value else exp.false(), "bool")
            case n.IntLit():
                if isinstance(typ, t.DecimalType | t.MoneyType):
                    return decimal_literal(Decimal(lit.value))
                return int_literal(lit.value)
            case n.DecimalLit() | n.MoneyLit():
                return decimal_literal(lit.value)
            case n.DateLit():
                return Val(_cast(exp.Literal.string(lit.value.isoformat()), exp.DataType.build("DATE")), "date")
            case n.EnumLit():
                return Val(exp.Literal.string(lit.member), "text")
            case _:
                assert_never(lit)

    def const(self, e: n.Expr) -> int | Decimal | None:
        """The value of `e` when it is the same for every person (a literal or a parameter)."""
        match e:
            case n.IntLit() | n.DecimalLit() | n.MoneyLit():
                return e.value
            case n.Name():
                sym = self.reg.symbols.get(e.name)
                if sym is not None and sym.kind == "parameter":
                    assert isinstance(sym.decl, n.Parameter)
                    pv = parameter_value(sym.decl, self.day)
                    if pv is not None and isinstance(pv.value, n.IntLit | n.DecimalLit | n.MoneyLit):
                        return pv.value.value
        return None

    # -- expressions (same order as evaluate.py) -------------------------------------------------
    def expr(self, e: n.Expr) -> Val:
        match e:
            case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
                return self.literal(e)
            case n.Name():
                return self.name(e.name)
            case n.Unary():
                x = self.expr(e.operand)
                if e.op == "not":
                    return Val(_not(x.sql), "bool")
                assert isinstance(x.type, Num)
                lo, hi = x.type.bounds
                return Val(exp.Paren(this=exp.Neg(this=_p(x.sql))), Num(x.type.p, x.type.s, x.type.integer, -hi, -lo))
            case n.Binary():
                return self.binary(e)
            case n.InSet():
                x = self.let(self.expr(e.operand))
                return Val(_or([self.compare("==", x, self.expr(o)) for o in e.options]), "bool")
            case n.If():
                cond = self.let(self.expr(e.cond))
                a, b = self.expr(e.then), self.expr(e.else_)
                typ = self.common([a.type, b.type])
                a = self.let(Val(self.cast(a, typ), typ))
                b = self.let(Val(self.cast(b, typ), typ))
                known = constant(cond)
                ca, cb = constant(a), constant(b)
                if known is True or known is False:
                    return a if known else b
                if ca is not _UNKNOWN and cb is not _UNKNOWN:
                    if ca == cb:
                        return a  # the same whatever the condition, even an unknown one
                    return Val(_case([(cond.sql, a.sql), (_not(cond.sql), b.sql)]), typ, (cond.sql, ca, cb))
                # an unknown condition gives a value only when both branches give the same one
                return Val(_case([(cond.sql, a.sql), (_not(cond.sql), b.sql),
                                  (_bin(exp.EQ, a.sql, b.sql), a.sql)]), typ)
            case n.Call():
                return self.call(e)
            case _:
                assert_never(e)

    def binary(self, e: n.Binary) -> Val:
        op = e.op
        if op == "/":
            raise AssertionError("a division is compiled by the rounding around it")
        a, b = self.expr(e.left), self.expr(e.right)
        if op == "and":
            return Val(_bin(exp.And, a.sql, b.sql), "bool")
        if op == "or":
            return Val(_bin(exp.Or, a.sql, b.sql), "bool")
        if op == "implies":
            return Val(_bin(exp.Or, _not(a.sql), b.sql), "bool")
        if op in n.COMPARISON:
            return Val(self.compare(op, a, b), "bool")
        return self.arith(op, a, b)

    def compare(self, op: str, a: Val, b: Val) -> exp.Expr:
        cls = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
        if isinstance(a.type, Num) and isinstance(b.type, Num):
            typ = self.common([a.type, b.type])
            return _bin(cls, self.cast(a, typ), self.cast(b, typ))
        return _bin(cls, a.sql, b.sql)

    def arith(self, op: str, a: Val, b: Val) -> Val:
        assert isinstance(a.type, Num) and isinstance(b.type, Num)
        x, y = constant(a), constant(b)
        if x is not _UNKNOWN and y is not _UNKNOWN:
            # the same for everyone: computed here, exactly (the engine's arithmetic)
            with localcontext_exact():
                folded = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y}[op]()  # type: ignore[operator]
            if isinstance(folded, int) and a.type.integer and b.type.integer:
                return int_literal(folded)
            return decimal_literal(Decimal(folded))
        (alo, ahi), (blo, bhi) = a.type.bounds, b.type.bounds
        if a.choice is not None and y is not _UNKNOWN or b.choice is not None and x is not _UNKNOWN:
            # (if c then k1 else k2) * k: computed per branch, here
            cond, k1, k2 = a.choice if a.choice is not None else b.choice  # type: ignore[misc]
            other = b if a.choice is not None else a
            branches = []
            for k in (k1, k2):
                lit = int_literal(k) if isinstance(k, int) else decimal_literal(Decimal(k))  # type: ignore[arg-type]
                branches.append(self.arith(op, lit, other) if a.choice is not None else self.arith(op, other, lit))
            typ = self.common([v.type for v in branches])
            one, two = (Val(self.cast(v, typ), typ) for v in branches)
            return Val(_case([(cond, one.sql), (_not(cond), two.sql)]), typ, (cond, constant(one), constant(two)))
        if op in ("+", "-"):
            typ = self.common([a.type, b.type])
            assert isinstance(typ, Num)
            cls = exp.Add if op == "+" else exp.Sub
            lo, hi = (alo + blo, ahi + bhi) if op == "+" else (alo - bhi, ahi - blo)
            if typ.integer:
                return Val(_bin(cls, a.sql, b.sql), Num.of(lo, hi, 0, True))
            result = Num.of(lo, hi, typ.s)
            operand = _wide(typ) if result.p > WIDE else typ
            sql = _bin(cls, self.cast(a, operand), self.cast(b, operand))
            return Val(_cast(sql, _sql_type(result)), result)
        assert op == "*"
        corners = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
        if a.type.integer and b.type.integer:
            return Val(_bin(exp.Mul, a.sql, b.sql), Num.of(min(corners), max(corners), 0, True))
        a, b = self.as_decimal(a), self.as_decimal(b)
        assert isinstance(a.type, Num) and isinstance(b.type, Num)
        s = a.type.s + b.type.s
        if s > MAX_PRECISION:
            raise self.too_wide("this product")
        result = Num.of(min(corners), max(corners), s)
        if result.p > WIDE:
            a_sql, b_sql = self.cast(a, _wide(a.type)), self.cast(b, _wide(b.type))
        else:
            a_sql, b_sql = a.sql, b.sql
        return Val(_cast(_bin(exp.Mul, a_sql, b_sql), _sql_type(result)), result)

    def call(self, e: n.Call) -> Val:
        func = e.func
        if func in ("round", "floor", "ceil"):
            places = e.args[1].value if len(e.args) == 2 else 0  # type: ignore[union-attr]
            assert isinstance(places, int)
            target = e.args[0]
            if isinstance(target, n.Binary) and target.op == "/":
                return self.divide(target, places, func)
            return self.round(self.expr(target), places, func)
        args = [self.expr(a) for a in e.args]
        match func:
            case "min" | "max":
                if len(args) == 1:
                    return args[0]
                typ = self.common([a.type for a in args])
                parts = [self.let(Val(self.cast(a, typ), typ)) for a in args]
                values = [constant(x) for x in parts]
                if _UNKNOWN not in values:
                    pick_value = (min if func == "min" else max)(values)  # type: ignore[type-var]
                    return parts[values.index(pick_value)]
                cls = exp.Least if func == "min" else exp.Greatest
                pick = cls(this=parts[0].sql, expressions=[x.sql for x in parts[1:]], ignore_nulls=True)
                # GREATEST and LEAST skip NULLs; the engine's min and max are unknown then
                unknown = [_is_null(x.sql) for x, c in zip(parts, values, strict=True) if c is _UNKNOWN]
                if isinstance(typ, Num):  # max(€0, x) is never below 0, however low x goes
                    los = [x.type.bounds[0] for x in args if isinstance(x.type, Num)]
                    his = [x.type.bounds[1] for x in args if isinstance(x.type, Num)]
                    pick_ = min if func == "min" else max
                    typ = Num(typ.p, typ.s, typ.integer, pick_(los), pick_(his))
                return Val(_case([(_or(unknown), _cast(exp.Null(), _sql_type(typ)))], pick), typ)
            case "abs":
                a0 = args[0].type
                assert isinstance(a0, Num)
                lo, hi = a0.bounds
                low = Decimal(0) if lo <= 0 <= hi else min(abs(lo), abs(hi))
                return Val(exp.Abs(this=args[0].sql), Num(a0.p, a0.s, a0.integer, low, max(abs(lo), abs(hi))))
            case "years_between" | "months_between":
                a, b = self.let(args[0]), self.let(args[1])
                years = _bin(exp.Sub, exp.Year(this=b.sql), exp.Year(this=a.sql))
                if func == "years_between":
                    def md(x: exp.Expr) -> exp.Expr:
                        return _bin(exp.Add, _bin(exp.Mul, exp.Month(this=x), exp.Literal.number(100)), exp.Day(this=x))
                    earlier = _bin(exp.LT, md(b.sql), md(a.sql))
                    value = _bin(exp.Sub, years, _case([(earlier, exp.Literal.number(1))], exp.Literal.number(0)))
                else:
                    months = _bin(exp.Add, _bin(exp.Mul, years, exp.Literal.number(12)),
                                  _bin(exp.Sub, exp.Month(this=b.sql), exp.Month(this=a.sql)))
                    earlier = _bin(exp.LT, exp.Day(this=b.sql), exp.Day(this=a.sql))
                    value = _bin(exp.Sub, months, _case([(earlier, exp.Literal.number(1))], exp.Literal.number(0)))
                return Val(_cast(value, "BIGINT"), Num.of(-120_000, 120_000, 0, True))
            case "days_between":
                diff = exp.DateDiff(this=args[1].sql, expression=args[0].sql, unit=exp.var("DAY"))
                return Val(_cast(diff, "BIGINT"), Num.of(-3_700_000, 3_700_000, 0, True))
            case "add_days":
                # Spark's date_add and add_months take an INT count
                moved: exp.Expr = exp.DateAdd(this=args[0].sql, expression=_cast(args[1].sql, "INT"),
                                              unit=exp.var("DAY"))
                return self.checked_date(moved)
            case "add_months" | "add_years":
                months = args[1].sql if func == "add_months" else _bin(exp.Mul, args[1].sql, exp.Literal.number(12))
                return self.checked_date(exp.AddMonths(this=args[0].sql, expression=_cast(months, "INT")))
        raise AssertionError(func)

    def checked_date(self, moved: exp.Expr) -> Val:
        """A computed date; one outside the years 1 to 9999 is an error in the engine."""
        d = self.let(Val(_cast(moved, "DATE"), "date"))
        year = exp.Year(this=d.sql)
        self.flags.append(_is_true(_or([_bin(exp.LT, year, exp.Literal.number(1)),
                                        _bin(exp.GT, year, exp.Literal.number(9999))])))
        return d

    # -- brackets ------------------------------------------------------------------------------
    def bracket(self, b: n.Bracket) -> Val:
        version = bracket_rows(b, self.day)
        assert version is not None  # Program(reg, day) has reported it
        key = self.let(self.expr(b.key))
        values = [self.literal(r.value, b.type) for r in version.rows]
        typ = self.common([v.type for v in values]) if values else input_sql_type(b.type)
        whens: list[tuple[exp.Expr, exp.Expr]] = [(_is_null(key.sql), _cast(exp.Null(), _sql_type(typ)))]
        conds: list[exp.Expr] = []
        for row, value in zip(version.rows, values, strict=True):
            parts: list[exp.Expr] = []
            if row.lo is not None:
                parts.append(self.compare("<=", self.literal(row.lo, b.type), key))
            if row.hi is not None:
                parts.append(self.compare("<", key, self.literal(row.hi, b.type)))
            cond = _and(parts)
            conds.append(cond)
            whens.append((cond, self.cast(value, typ)))
        # no row for a known key: the engine raises, so the engine decides the row
        self.flags.append(_is_true(_bin(exp.And, _not_null(key.sql), _not(_or(conds)))))
        return Val(_case(whens), typ)

    # -- rounding --------------------------------------------------------------------------------
    def round(self, x: Val, places: int, func: str) -> Val:
        """round (half away from zero), floor or ceil of `x` to `places` decimals."""
        assert isinstance(x.type, Num)
        if x.type.integer:
            return x
        s = x.type.s
        lo, hi = x.type.bounds
        if s <= places:
            typ = Num.of(lo, hi, places)
            return Val(self.cast(x, typ), typ)
        unit = Decimal(1).scaleb(-places)
        if func == "round" and x.type.p <= WIDE:
            # a 64-bit DECIMAL: the database's own ROUND is exact and rounds half away from zero
            # (DuckDB on the scaled integer; Spark with BigDecimal's HALF_UP), and is fast
            typ = Num.of((lo / unit).to_integral_value(ROUND_FLOOR) * unit,
                         (hi / unit).to_integral_value(ROUND_CEILING) * unit, places)
            return Val(_cast(exp.Round(this=x.sql, decimals=exp.Literal.number(places)), _sql_type(typ)), typ)
        x = self.let(x)
        shift = Decimal(10) ** places
        scaled = self.times(x, shift, Num.of(lo * shift, hi * shift, s)) if places else x.sql
        half = decimal_literal(Decimal("0.5")).sql
        whole: exp.Expr
        if func == "floor":
            whole = exp.Floor(this=scaled)
        elif func == "ceil":
            whole = exp.Ceil(this=scaled)
        else:
            whole = _case([(_bin(exp.LT, x.sql, decimal_literal(Decimal(0)).sql), exp.Ceil(this=_bin(exp.Sub, scaled, half)))],
                          exp.Floor(this=_bin(exp.Add, scaled, half)))
        whole_type = Num.of((lo * shift).to_integral_value(ROUND_FLOOR) - 1,
                            (hi * shift).to_integral_value(ROUND_CEILING) + 1, 0)
        return self.unscale(Val(_cast(whole, _sql_type(whole_type)), whole_type), places)

    def unscale(self, whole: Val, places: int) -> Val:
        """An integer count of 10^-places units as the DECIMAL it stands for."""
        assert isinstance(whole.type, Num)
        if not places:
            return whole
        unit = Decimal(1).scaleb(-places)
        lo, hi = whole.type.bounds
        typ = Num.of(lo * unit, hi * unit, places)
        return Val(self.times(whole, unit, typ), typ)

    def times(self, x: Val, factor: Decimal, result: Num) -> exp.Expr:
        """`x` times a constant (a power of ten), as `result`."""
        assert isinstance(x.type, Num)
        unit = decimal_literal(factor)
        assert isinstance(unit.type, Num)
        if result.p > WIDE:
            product = _bin(exp.Mul, self.cast(x, _wide(x.type)), self.cast(unit, _wide(unit.type)))
        else:
            product = _bin(exp.Mul, x.sql, unit.sql)
        return _cast(product, _sql_type(result))

    def unscaled(self, v: Val, big: exp.DataType) -> tuple[exp.Expr, Decimal]:
        """`v` times 10^scale: a whole number, in the integer type `big`; and its largest size."""
        assert isinstance(v.type, Num)
        lo, hi = v.type.bounds
        size = max(abs(lo), abs(hi))
        if v.type.integer or v.type.s == 0:
            return _cast(_p(v.sql), big), size
        shift = Decimal(10) ** v.type.s
        if _digits(size * shift) > MAX_PRECISION:
            raise self.too_wide("this division")
        shifted = self.times(v, shift, Num.of(lo * shift, hi * shift, v.type.s))
        return _cast(shifted, big), size * shift

    def divide(self, e: n.Binary, places: int, func: str) -> Val:
        """round/floor/ceil(a / b, places), exact: with A and B the whole numbers a * 10^sa and
        b * 10^sb, the result is q * 10^-places where q = rounded(A * 10^(sb - sa + places) / B),
        an integer division corrected by its remainder."""
        a, b = self.expr(e.left), self.expr(e.right)
        assert isinstance(a.type, Num) and isinstance(b.type, Num)
        sa = 0 if a.type.integer else a.type.s
        sb = 0 if b.type.integer else b.type.s
        shift = sb - sa + places
        constant = self.const(e.right)
        (alo, ahi), (blo, bhi) = a.type.bounds, b.type.bounds
        # how large N and D can be decides the integer type: BIGINT when they stay well inside
        # 64 bits (2 r and q d must fit too), else HUGEINT (DuckDB) or DECIMAL(38, 0) (Spark)
        n_size = max(abs(alo), abs(ahi)) * Decimal(10) ** (sa + max(shift, 0))
        if constant is not None and constant > 0:
            d_size = Decimal(int(Decimal(constant).scaleb(sb)) * 10 ** max(-shift, 0))
        else:
            d_size = max(abs(blo), abs(bhi)) * Decimal(10) ** (sb + max(-shift, 0))
        if _digits(n_size) > MAX_PRECISION or _digits(d_size) > MAX_PRECISION:
            raise self.too_wide("this division")
        small = _digits(n_size) <= 17 and _digits(d_size) <= 17
        big = exp.DataType.build("BIGINT") if small else self.big
        word = Num(INT_DIGITS, 0, True) if small else Num(MAX_PRECISION, 0)
        num_sql, _ = self.unscaled(a, big)

        def big_int(value: int) -> exp.Expr:
            return _cast(exp.Literal.number(value), big)

        if shift > 0:
            num_sql = _bin(exp.Mul, num_sql, big_int(10 ** shift))
        if constant is not None and constant > 0:
            # the usual case, `x / 12`: a positive constant needs no sign handling and cannot be zero
            den_value = int(d_size)
            nn = self.let(Val(num_sql, word))
            dn = Val(big_int(den_value), word)
            q_lo = (alo / Decimal(constant) * Decimal(10) ** places).to_integral_value(ROUND_FLOOR) - 1
            q_hi = (ahi / Decimal(constant) * Decimal(10) ** places).to_integral_value(ROUND_CEILING) + 1
        else:
            den_sql, _ = self.unscaled(b, big)
            if shift < 0:
                den_sql = _bin(exp.Mul, den_sql, big_int(10 ** -shift))
            den = self.let(Val(den_sql, word))
            num = self.let(Val(num_sql, word))
            zero = big_int(0)
            negative = _bin(exp.LT, den.sql, zero)
            nn = self.let(Val(_case([(negative, exp.Paren(this=exp.Neg(this=_p(num.sql))))], num.sql), num.type))
            dn = self.let(Val(_case([(negative, exp.Paren(this=exp.Neg(this=_p(den.sql)))),
                                     (_bin(exp.GT, den.sql, zero), den.sql)]), den.type))
            # a division by zero: the engine raises, so the engine decides the row
            self.flags.append(_is_true(_bin(exp.And, _not_null(num.sql), _bin(exp.EQ, den.sql, zero))))
            q_lo, q_hi = -n_size - 1, n_size + 1  # |D| >= 1
        one, zero_ = big_int(1), big_int(0)
        q0 = self.let(Val(_cast(exp.IntDiv(this=_p(nn.sql), expression=_p(dn.sql)), big), nn.type))
        if constant is not None and constant > 0 and alo >= 0:
            # N >= 0 and D > 0: truncating and flooring agree, and 0 <= r < D already
            q = q0
            r = q0 if func == "floor" else self.let(Val(_bin(exp.Sub, nn.sql, _bin(exp.Mul, q0.sql, dn.sql)), nn.type))
        else:
            r0 = self.let(Val(_bin(exp.Sub, nn.sql, _bin(exp.Mul, q0.sql, dn.sql)), nn.type))
            # q0 is the quotient truncated (DuckDB) or floored; with r0 it becomes the floor q, 0 <= r < d
            below = _bin(exp.LT, r0.sql, zero_)
            q = self.let(Val(_case([(below, _bin(exp.Sub, q0.sql, one))], q0.sql), nn.type))
            r = self.let(Val(_case([(below, _bin(exp.Add, r0.sql, dn.sql))], r0.sql), nn.type))
        if func == "floor":
            result = q.sql
        elif func == "ceil":
            result = _bin(exp.Add, q.sql, _case([(_bin(exp.GT, r.sql, zero_), one)], zero_))
        else:
            twice = _bin(exp.Mul, r.sql, big_int(2))
            up = _or([_bin(exp.GT, twice, dn.sql),
                      _bin(exp.And, _bin(exp.EQ, twice, dn.sql), _bin(exp.GTE, nn.sql, zero_))])
            result = _bin(exp.Add, q.sql, _case([(up, one)], zero_))
        whole_type = Num.of(q_lo, q_hi, 0)
        whole = Val(_cast(result, _sql_type(whole_type)), whole_type)
        return self.unscale(whole, places)


def _wide(typ: Num) -> Num:
    """The same values in a DECIMAL wider than 18 digits. DuckDB multiplies two DECIMALs of at
    most 18 digits in 64 bits, even when the product needs more (it then raises an overflow):
    operands of a wide result are widened first."""
    return Num(max(typ.p, WIDE + 1), typ.s, typ.integer, typ.lo, typ.hi)


def _layers(columns: Mapping[str, exp.Expr]) -> list[list[str]]:
    """The columns grouped so that each group uses only columns of earlier groups (or inputs)."""
    depth: dict[str, int] = {}
    for name, e in columns.items():  # creation order: every column is created after what it uses
        uses = {c.name for c in e.find_all(exp.Column)}
        depth[name] = 1 + max((depth[u] for u in uses if u in depth), default=0)
    out: list[list[str]] = [[] for _ in range(max(depth.values(), default=0))]
    for name, d in depth.items():
        out[d - 1].append(name)
    return out
