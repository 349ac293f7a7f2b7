"""The lowered core (`eenvoud.core`) compiled to SQL (sqlglot expressions), for DuckDB and Apache
Spark.

A whole population is decided by one query: every person a row, every input a column. The query
gives, person by person, exactly what the engine gives (`eenvoud.engine.decision.judge`):

- Money and decimals are SQL DECIMALs, never floats, each with an exact (precision, scale) stated
  by an explicit CAST (sql_types.py), so that no database ever picks a type that rounds: a value
  that would not fit raises an overflow error in the database instead of being rounded (Spark runs
  with ANSI mode on and without precision loss). Rounding and division are exact (sql_arith.py).
- Unknown facts are NULL, and NULL follows the engine's three-valued logic: SQL's AND, OR and NOT
  are already Kleene's; an `if` with an unknown condition is known only when both branches agree;
  `min`/`max` are unknown when any argument is (SQL's GREATEST and LEAST skip NULLs, so they are
  guarded).
- The compiler reads only the core, where parameters are constants and brackets their rows, both
  resolved at the reference date; every operator and function is an enum it matches exhaustively.
- Where the engine would raise (a `RoundedDivide` by zero, a `Lookup` without a row for the key, a
  date shift out of range), the query cannot: it marks the row instead (`__needs_engine`,
  conservatively: also where the engine would not have reached that expression), and the batch
  decides those rows with the engine itself, which gives the exact outcome or the exact error.
  A failure inside a requirement marks the row whatever else holds; one only an amount or a
  document reads marks it only when the row is eligible (a case that fails a requirement is not
  eligible, whatever its amounts would do).

The query is built in layers: each definition, amount, bracket and requirement is a column of its
own, computed in a SELECT over the previous layer, and any sub-expression that a construct needs
twice (the branches of an `if`, the parts of an exact division) is a helper column too, so that no
expression is copied into another. Inputs are read from the file by sql_input.py.

(About 500 lines: the walk over the core, one exhaustive match per node kind, operator and
function, is kept in one place; its arithmetic is sql_arith.py.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, assert_never

from sqlglot import exp

from eenvoud.core import nodes as c
from eenvoud.core.lower import Core, lower
from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.engine.sql_arith import SqlArithmetic
from eenvoud.engine.sql_build import (
    _and,
    _bin,
    _case,
    _cast,
    _decimal,
    _is_null,
    _is_true,
    _not,
    _not_null,
    _or,
    _p,
    _subquery,
    alias,
    col,
)
from eenvoud.engine.sql_input import ROW, parse_inputs
from eenvoud.engine.sql_types import (
    _UNKNOWN,
    INPUT_MONEY_DIGITS,
    MAX_PRECISION,
    MONEY_DIGITS,
    Num,
    Output,
    SqlType,
    Val,
    _sql_type,
    constant,
    decimal_literal,
    input_sql_type,
    int_literal,
    parse_sql_type,
)
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.source import Span

Dialect = Literal["duckdb", "spark"]

# Internal column names start with two underscores; an input file may not use such names.
ELIGIBLE = "__eligible"
FAILED = "__failed"
NEEDS_ENGINE = "__needs_engine"
REQUIREMENT = "__r_"  # + a requirement's name: whether it holds (NULL: unknown)
DOCUMENT = "__d_"  # + a document's name: whether it is required (NULL: unknown)


@dataclass
class SqlProgram:
    """A regulation compiled to SQL at one reference date, for one SQL dialect."""

    reg: CheckedRegulation
    day: date
    dialect: Dialect
    input_types: dict[str, SqlType]
    columns: dict[str, exp.Expr]  # internal column -> its expression, in creation order
    outputs: tuple[Output, ...]
    flags: tuple[exp.Expr, ...]  # every mark for the engine (those of amounts and documents gated)
    layers: list[list[str]] = field(default_factory=list)
    # queries built for one input file's columns, kept: a batch over the same kind of file again
    # (the next month's extract) starts at once
    built: dict[object, object] = field(default_factory=dict, repr=False)

    @property
    def inputs(self) -> tuple[n.Input, ...]:
        return self.reg.inputs

    def sql(self, e: exp.Expr) -> str:
        return e.sql(dialect=self.dialect)

    def parse(self, source: exp.Expr, source_types: Mapping[str, str],
              passthrough: Sequence[str]) -> exp.Select:
        """Typed inputs from the raw columns of `source` (sql_input.parse_inputs)."""
        return parse_inputs(self.inputs, self.input_types, source, source_types, passthrough)

    def decide(self, parsed: exp.Expr, passthrough: Sequence[str], internal: bool = False,
               extra: Sequence[str] = ()) -> exp.Select:
        """The decision per row of `parsed` (the rows of `parse` that are not bad): `row`, the
        passthrough columns, `eligible`, each amount, `failed_requirement`. With `internal`, also
        `__needs_engine` and the typed inputs (`__i_x`); `extra` names more columns to keep."""
        rel: exp.Expr = parsed
        for k, layer in enumerate(self.layers, start=1):
            # copy=False: sqlglot's builders copy the whole tree at each step otherwise (quadratic)
            rel = exp.select(exp.Star(), *(alias(self.columns[name], name) for name in layer)).from_(
                _subquery(rel, f"__l{k}"), copy=False)
        final: list[exp.Expr] = [alias(col(ROW), "row")]
        final += [col(name) for name in passthrough]
        final += [alias(col(o.column), o.name) for o in self.outputs]
        if internal:
            final.append(col(NEEDS_ENGINE))
            final += [col(f"__i_{i.name}") for i in self.inputs]
        final += [col(name) for name in extra]
        return exp.select(*final).from_(_subquery(rel, "__decided"), copy=False)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)


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
    core = lower(reg, day)  # the engine's diagnostics for a date without parameter values
    program = _Compiler(core, dialect).run()
    if len(_COMPILED) > 64:
        _COMPILED.clear()
    _COMPILED[key] = program
    return program


# compiled once per regulation, date and dialect, as the engine compiles a Program
_COMPILED: dict[tuple[int, str, date, str], SqlProgram] = {}

Flags = dict[int, exp.Expr]  # the marks for the engine a term may set, by id, in creation order


class _Compiler(SqlArithmetic):
    def __init__(self, core: Core, dialect: Dialect):
        self.core = core
        self.dialect: Dialect = dialect
        self.columns: dict[str, exp.Expr] = {}
        self.names: dict[str, Val] = {}
        # the marks set while compiling a term: one scope per requirement, amount, document and
        # definition; a definition's marks join every scope that reads it
        self.scopes: list[Flags] = []
        self.def_flags: dict[str, Flags] = {}
        self.input_types = {i.name: input_sql_type(i.type) for i in core.inputs}
        self.span: Span | None = None
        # exact integer arithmetic for divisions: HUGEINT in DuckDB, DECIMAL(38, 0) in Spark
        self.big = exp.DataType.build("HUGEINT", dialect="duckdb") if dialect == "duckdb" else _decimal(38, 0)

    def flag(self, e: exp.Expr) -> None:
        self.scopes[-1][id(e)] = e

    def scoped(self, terms: Sequence[c.Expr], span: Span | None) -> tuple[list[Val], Flags]:
        """`terms` compiled, and the marks they set (their definitions' too)."""
        self.scopes.append({})
        self.span = span
        vals = [self.expr(x) for x in terms]
        return vals, self.scopes.pop()

    def run(self) -> SqlProgram:
        core = self.core
        requirement_flags: Flags = {}
        requirement_cols: list[tuple[c.Requirement, str]] = []
        for req in core.requirements:
            vals, flags = self.scoped([req.condition, *req.exemptions], req.decl.span)
            requirement_flags.update(flags)
            name = f"{REQUIREMENT}{req.name}"
            self.columns[name] = _or([v.sql for v in vals])  # Kleene: holds if any holds, fails if all fail
            requirement_cols.append((req, name))
        self.columns[ELIGIBLE] = _and([col(column) for _, column in requirement_cols])
        # a CASE takes a branch only when its condition is TRUE: NULL (unknown) goes on
        self.columns[FAILED] = _case([(_not(col(column)), exp.Literal.string(r.name)) for r, column in requirement_cols],
                                     _cast(exp.Null(), "VARCHAR")) \
            if requirement_cols else _cast(exp.Null(), "VARCHAR")
        # what only an eligible case reaches: the amounts and the documents
        eligible_flags: Flags = {}
        outputs = [Output("eligible", ELIGIBLE, "bool")]
        for amount in core.amounts:
            [raw], flags = self.scoped([amount.formula], amount.decl.span)
            eligible_flags.update(flags)
            assert isinstance(raw.type, Num)
            if amount.money:
                shown = self.round(raw, 2, c.Rounding.ROUND)  # reported in cents, half up, as the engine does
                out_type: Num = Num(MONEY_DIGITS + 2, 2)
            else:
                shown, out_type = raw, raw.type
            zero = decimal_literal(Decimal("0.00")) if amount.money else int_literal(0)
            name = f"__o_{amount.name}"
            self.columns[name] = _case([(col(ELIGIBLE), self.cast(shown, out_type)),
                                        (_not(col(ELIGIBLE)), self.cast(zero, out_type))],
                                       _cast(exp.Null(), _sql_type(out_type)))
            outputs.append(Output(amount.name, name, out_type, amount.money))
        for doc in core.documents:
            # a document is no output of the batch, but a column of its own (`__d_x`: whether the
            # case must supply it, as the engine's documents say), read by the analyzer's counts
            # (analysis/population.py); an eligible case its condition cannot be evaluated for is
            # an error, and marks the row
            column = f"{DOCUMENT}{doc.name}"
            if doc.required_when is None:
                self.columns[column] = exp.true()
                continue
            [required], flags = self.scoped([doc.required_when], doc.decl.span)
            self.columns[column] = required.sql
            if self.may_fail(doc.required_when):
                eligible_flags.update(flags)
        outputs.append(Output("failed_requirement", FAILED, "text"))
        gated = [f for k, f in eligible_flags.items() if k not in requirement_flags]
        marks = list(requirement_flags.values())
        if gated:
            marks.append(_bin(exp.And, _is_true(col(ELIGIBLE)), _or(gated)))
        self.columns[NEEDS_ENGINE] = _or(marks) if marks else exp.false()
        program = SqlProgram(core.reg, core.day, self.dialect, self.input_types, self.columns, tuple(outputs),
                             (*requirement_flags.values(), *gated))
        program.layers = _layers(self.columns)
        return program

    def may_fail(self, term: c.Expr) -> bool:
        """Whether evaluating `term` can raise in the engine (a node that may fail, here or in a
        definition it reads)."""
        match term:
            case c.Lookup():
                return True
            case c.RoundedDivide():
                k = self.const(term.den)
                return k is None or k <= 0 or self.may_fail(term.num)
            case c.Call():
                return term.func.may_fail or any(self.may_fail(a) for a in term.args)
            case c.Const() | c.InputRef():
                return False
            case c.DefRef():
                return self.may_fail(self.core.definitions[term.name])
            case c.Unary():
                return self.may_fail(term.operand)
            case c.Binary():
                return self.may_fail(term.left) or self.may_fail(term.right)
            case c.InSet():
                return any(self.may_fail(x) for x in (term.operand, *term.options))
            case c.If():
                return any(self.may_fail(x) for x in (term.cond, term.then, term.else_))
            case c.Round():
                return self.may_fail(term.operand)
            case c.Decided() | c.Paid():
                raise AssertionError("a property's term in a regulation's core")
            case _:
                assert_never(term)

    # -- values ----------------------------------------------------------------------------------
    def value(self, v: c.Value, typ: t.Type) -> Val:
        """A value the same for everyone, as a literal of `typ`."""
        match v:
            case bool():
                return Val(exp.true() if v else exp.false(), "bool")
            case int():
                if isinstance(typ, t.DecimalType | t.MoneyType):
                    return decimal_literal(Decimal(v))
                return int_literal(v)
            case Decimal():
                return decimal_literal(v)
            case date():
                return Val(_cast(exp.Literal.string(v.isoformat()), exp.DataType.build("DATE")), "date")
            case str():
                return Val(exp.Literal.string(v), "text")
            case _:
                assert_never(v)

    @staticmethod
    def const(term: c.Expr) -> int | Decimal | None:
        """The number `term` is when it is the same for every person (a literal or a parameter)."""
        if isinstance(term, c.Const) and isinstance(term.value, int | Decimal) and not isinstance(term.value, bool):
            return term.value
        return None

    def ref(self, name: str) -> Val:
        """A definition, bracket or amount formula: a column of its own, compiled once."""
        got = self.names.get(name)
        if got is None:
            self.scopes.append({})
            inner = self.expr(self.core.definitions[name])
            self.def_flags[name] = self.scopes.pop()
            column = f"__v_{name}"
            self.columns[column] = inner.sql
            got = self.names[name] = Val(col(column), inner.type)
        self.scopes[-1].update(self.def_flags[name])
        return got

    # -- terms -----------------------------------------------------------------------------------
    def expr(self, term: c.Expr) -> Val:
        outer = self.span
        if term.span is not None:
            self.span = term.span  # where a formula too wide for SQL is reported
        try:
            return self._expr(term)
        finally:
            self.span = outer

    def _expr(self, term: c.Expr) -> Val:
        match term:
            case c.Const():
                return self.value(term.value, term.type)
            case c.InputRef():
                return Val(col(f"__i_{term.name}"), self.input_types[term.name])
            case c.DefRef():
                return self.ref(term.name)
            case c.Unary():
                return self.unary(term)
            case c.Binary():
                return self.binary(term)
            case c.InSet():
                x = self.let(self.expr(term.operand))
                return Val(_or([self.compare(c.Op.EQ, x, self.expr(o)) for o in term.options]), "bool")
            case c.If():
                return self.if_(term)
            case c.Call():
                return self.call(term)
            case c.Round():
                return self.round(self.expr(term.operand), term.places, term.mode)
            case c.RoundedDivide():
                a, b = self.expr(term.num), self.expr(term.den)
                return self.divide(a, b, self.const(term.den), term.places, term.mode)
            case c.Lookup():
                return self.lookup(term)
            case c.Decided() | c.Paid():
                raise AssertionError("`eligible` and paid amounts are read by properties only, never by the SQL")
            case _:
                assert_never(term)

    def unary(self, term: c.Unary) -> Val:
        x = self.expr(term.operand)
        match term.op:
            case c.UnaryOp.NOT:
                return Val(_not(x.sql), "bool")
            case c.UnaryOp.NEG:
                assert isinstance(x.type, Num)
                lo, hi = x.type.bounds
                return Val(exp.Paren(this=exp.Neg(this=_p(x.sql))), Num(x.type.p, x.type.s, x.type.integer, -hi, -lo))
            case _:
                assert_never(term.op)

    def binary(self, term: c.Binary) -> Val:
        a, b = self.expr(term.left), self.expr(term.right)
        op = term.op
        match op:
            case c.Op.AND:
                return Val(_bin(exp.And, a.sql, b.sql), "bool")
            case c.Op.OR:
                return Val(_bin(exp.Or, a.sql, b.sql), "bool")
            case c.Op.IMPLIES:
                return Val(_bin(exp.Or, _not(a.sql), b.sql), "bool")
            case c.Op.EQ | c.Op.NE | c.Op.LT | c.Op.LE | c.Op.GT | c.Op.GE:
                return Val(self.compare(op, a, b), "bool")
            case c.Op.ADD | c.Op.SUB | c.Op.MUL:
                return self.arith(op, a, b)
            case _:
                assert_never(op)

    def if_(self, term: c.If) -> Val:
        cond = self.let(self.expr(term.cond))
        a, b = self.expr(term.then), self.expr(term.else_)
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

    def call(self, term: c.Call) -> Val:
        func = term.func
        args = [self.expr(a) for a in term.args]
        match func:
            case c.Func.MIN | c.Func.MAX:
                return self.pick(func == c.Func.MIN, args)
            case c.Func.ABS:
                a0 = args[0].type
                assert isinstance(a0, Num)
                lo, hi = a0.bounds
                low = Decimal(0) if lo <= 0 <= hi else min(abs(lo), abs(hi))
                return Val(exp.Abs(this=args[0].sql), Num(a0.p, a0.s, a0.integer, low, max(abs(lo), abs(hi))))
            case c.Func.YEARS_BETWEEN:
                a, b = self.let(args[0]), self.let(args[1])

                def md(x: exp.Expr) -> exp.Expr:
                    return _bin(exp.Add, _bin(exp.Mul, exp.Month(this=x), exp.Literal.number(100)), exp.Day(this=x))

                earlier = _bin(exp.LT, md(b.sql), md(a.sql))
                value = _bin(exp.Sub, _years(a, b), _case([(earlier, exp.Literal.number(1))], exp.Literal.number(0)))
                return Val(_cast(value, "BIGINT"), Num.of(-120_000, 120_000, 0, True))
            case c.Func.MONTHS_BETWEEN:
                a, b = self.let(args[0]), self.let(args[1])
                months = _bin(exp.Add, _bin(exp.Mul, _years(a, b), exp.Literal.number(12)),
                              _bin(exp.Sub, exp.Month(this=b.sql), exp.Month(this=a.sql)))
                earlier = _bin(exp.LT, exp.Day(this=b.sql), exp.Day(this=a.sql))
                value = _bin(exp.Sub, months, _case([(earlier, exp.Literal.number(1))], exp.Literal.number(0)))
                return Val(_cast(value, "BIGINT"), Num.of(-120_000, 120_000, 0, True))
            case c.Func.DAYS_BETWEEN:
                diff = exp.DateDiff(this=args[1].sql, expression=args[0].sql, unit=exp.var("DAY"))
                return Val(_cast(diff, "BIGINT"), Num.of(-3_700_000, 3_700_000, 0, True))
            case c.Func.ADD_DAYS:
                # Spark's date_add and add_months take an INT count
                moved: exp.Expr = exp.DateAdd(this=args[0].sql, expression=_cast(args[1].sql, "INT"),
                                              unit=exp.var("DAY"))
                return self.checked_date(moved)
            case c.Func.ADD_MONTHS:
                return self.checked_date(exp.AddMonths(this=args[0].sql, expression=_cast(args[1].sql, "INT")))
            case c.Func.ADD_YEARS:
                months = _bin(exp.Mul, args[1].sql, exp.Literal.number(12))
                return self.checked_date(exp.AddMonths(this=args[0].sql, expression=_cast(months, "INT")))
            case c.Func.FIRST_DAY_OF_NEXT_MONTH:
                start = exp.DateTrunc(this=args[0].sql, unit=exp.var("MONTH"))
                return self.checked_date(exp.AddMonths(this=_cast(start, "DATE"), expression=exp.Literal.number(1)))
            case _:
                assert_never(func)

    def pick(self, least: bool, args: list[Val]) -> Val:
        """min (`least`) or max of `args`: unknown when any is."""
        if len(args) == 1:
            return args[0]
        typ = self.common([a.type for a in args])
        parts = [self.let(Val(self.cast(a, typ), typ)) for a in args]
        values = [constant(x) for x in parts]
        if _UNKNOWN not in values:
            pick_value = (min if least else max)(values)  # type: ignore[type-var]
            return parts[values.index(pick_value)]
        cls = exp.Least if least else exp.Greatest
        chosen = cls(this=parts[0].sql, expressions=[x.sql for x in parts[1:]], ignore_nulls=True)
        # GREATEST and LEAST skip NULLs; the engine's min and max are unknown then
        unknown = [_is_null(x.sql) for x, k in zip(parts, values, strict=True) if k is _UNKNOWN]
        if isinstance(typ, Num):  # max(€0, x) is never below 0, however low x goes
            los = [x.type.bounds[0] for x in args if isinstance(x.type, Num)]
            his = [x.type.bounds[1] for x in args if isinstance(x.type, Num)]
            bound = min if least else max
            typ = Num(typ.p, typ.s, typ.integer, bound(los), bound(his))
        return Val(_case([(_or(unknown), _cast(exp.Null(), _sql_type(typ)))], chosen), typ)

    def checked_date(self, moved: exp.Expr) -> Val:
        """A computed date; one outside the years 1 to 9999 is an error in the engine."""
        d = self.let(Val(_cast(moved, "DATE"), "date"))
        year = exp.Year(this=d.sql)
        self.flag(_is_true(_or([_bin(exp.LT, year, exp.Literal.number(1)),
                                _bin(exp.GT, year, exp.Literal.number(9999))])))
        return d

    def lookup(self, term: c.Lookup) -> Val:
        """A bracket: the value of the first row whose interval holds the key."""
        key = self.let(self.expr(term.key))
        values = [self.value(r.value, term.type) for r in term.rows]
        typ = self.common([v.type for v in values]) if values else input_sql_type(term.type)
        whens: list[tuple[exp.Expr, exp.Expr]] = [(_is_null(key.sql), _cast(exp.Null(), _sql_type(typ)))]
        conds: list[exp.Expr] = []
        for row, value in zip(term.rows, values, strict=True):
            parts: list[exp.Expr] = []
            if row.lo is not None:
                parts.append(self.compare(c.Op.LE, self.value(row.lo, term.key_type), key))
            if row.hi is not None:
                parts.append(self.compare(c.Op.LT, key, self.value(row.hi, term.key_type)))
            cond = _and(parts)
            conds.append(cond)
            whens.append((cond, self.cast(value, typ)))
        # no row for a known key: the engine raises, so the engine decides the row
        self.flag(_is_true(_bin(exp.And, _not_null(key.sql), _not(_or(conds)))))
        return Val(_case(whens), typ)


def _years(a: Val, b: Val) -> exp.Expr:
    return _bin(exp.Sub, exp.Year(this=b.sql), exp.Year(this=a.sql))


def _layers(columns: Mapping[str, exp.Expr]) -> list[list[str]]:
    """The columns grouped so that each group uses only columns of earlier groups (or inputs)."""
    depth: dict[str, int] = {}
    for name, e in columns.items():  # creation order: every column is created after what it uses
        uses = {used.name for used in e.find_all(exp.Column)}
        depth[name] = 1 + max((depth[u] for u in uses if u in depth), default=0)
    out: list[list[str]] = [[] for _ in range(max(depth.values(), default=0))]
    for name, d in depth.items():
        out[d - 1].append(name)
    return out


__all__ = [
    "DOCUMENT", "ELIGIBLE", "FAILED", "REQUIREMENT", "INPUT_MONEY_DIGITS", "MAX_PRECISION", "NEEDS_ENGINE", "ROW", "Dialect", "Num",
    "Output", "SqlProgram", "SqlType", "Val", "alias", "col", "compile_sql", "input_sql_type", "parse_sql_type",
]
