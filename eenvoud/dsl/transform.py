"""The lark Transformer: builds one IR node per named grammar alternative, and nothing else.

Every node gets the span of the text it came from; names and types are left for the checker.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from eenvoud.dsl import dutch
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.source import SourceFile, Span


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return body.replace('\\"', '"').replace("\\\\", "\\")


def _number(text: str) -> Decimal:
    return Decimal(text.replace("_", ""))


class LiteralError(Exception):
    """A literal that the grammar accepts but that is not a value (2025-02-30)."""

    def __init__(self, message: str, token: Token, code: str = "E0004", help: str | None = None,
                 end: int | None = None):
        super().__init__(message)
        self.token = token
        self.code = code
        self.help = help
        self.end = end  # where the error's span ends, when past the token (`€7.575,00`)


@v_args(meta=True, inline=True)
class ToIR(Transformer[Token, n.Regulation]):
    def __init__(self, source: SourceFile):
        super().__init__()
        self._file = source

    # -- spans ------------------------------------------------------------------------------
    def _span(self, meta: Meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return self._file.span(meta.start_pos, meta.end_pos)

    def _tspan(self, token: Token) -> Span:
        start = token.start_pos or 0
        end = token.end_pos if token.end_pos is not None else start + len(token)
        return self._file.span(start, end)

    # -- file and header --------------------------------------------------------------------
    def file(self, meta: Meta, header: dict[str, Any], *items: n.Item) -> n.Regulation:
        return n.Regulation(
            header["kind"], header["name"], header["title"], header.get("agency"), header.get("source"),
            tuple(items), span=header["span"],
        )

    def _header(self, kind: str, meta: Meta, name: Token, *rest: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"kind": kind, "name": str(name), "title": None,
                                  "span": self._tspan(name)}
        for part in rest:
            if isinstance(part, Token):
                header["title"] = _unquote(part)
            elif part is not None:
                header[part[0]] = part[1]
        return header

    def regulation_header(self, meta: Meta, name: Token, *rest: Any) -> dict[str, Any]:
        return self._header("regulation", meta, name, *rest)

    def module_header(self, meta: Meta, name: Token, *rest: Any) -> dict[str, Any]:
        return self._header("module", meta, name, *rest)

    def event_header(self, meta: Meta, name: Token, *rest: Any) -> dict[str, Any]:
        return self._header("event", meta, name, *rest)

    def meta_agency(self, meta: Meta, s: Token) -> tuple[str, str]:
        return ("agency", _unquote(s))

    def meta_source(self, meta: Meta, s: Token) -> tuple[str, str]:
        return ("source", _unquote(s))

    # -- declarations -----------------------------------------------------------------------
    def import_decl(self, meta: Meta, path: Token) -> n.Import:
        return n.Import(_unquote(path), span=self._span(meta))

    def includes_decl(self, meta: Meta, *names: Token) -> n.Includes:
        return n.Includes(tuple(str(x) for x in names), span=self._span(meta))

    def input_decl(self, meta: Meta, name: Token, typ: t.Type, *rest: Any) -> n.Input:
        label = None
        registry: str | None = None
        period: n.RegistryPeriod | None = None
        judged = False
        for part in rest:
            if isinstance(part, Token):
                label = _unquote(part)
            elif isinstance(part, tuple):
                _, registry, period, judged = part
        return n.Input(str(name), typ, label, registry, period=period, judged=judged, span=self._tspan(name))

    def registry(self, meta: Meta, name: Token, period: n.RegistryPeriod | None,
                 judged: bool | None) -> tuple[str, str, n.RegistryPeriod | None, bool]:
        return ("registry", str(name), period, bool(judged))

    def period_on_date(self, meta: Meta) -> n.RegistryPeriod:
        return n.RegistryPeriod("on_date", span=self._span(meta))

    def period_until_date(self, meta: Meta) -> n.RegistryPeriod:
        return n.RegistryPeriod("until_date", span=self._span(meta))

    def period_year(self, meta: Meta) -> n.RegistryPeriod:
        return n.RegistryPeriod("year", span=self._span(meta))

    def period_years_back(self, meta: Meta, count: Token) -> n.RegistryPeriod:
        return n.RegistryPeriod("year", int(str(count).replace("_", "")), span=self._span(meta))

    def period_past_months(self, meta: Meta, count: Token) -> n.RegistryPeriod:
        return n.RegistryPeriod("past_months", int(str(count).replace("_", "")), span=self._span(meta))

    def period_next_months(self, meta: Meta, count: Token) -> n.RegistryPeriod:
        return n.RegistryPeriod("next_months", int(str(count).replace("_", "")), span=self._span(meta))

    def judged(self, meta: Meta) -> bool:
        return True

    def parameter_decl(self, meta: Meta, name: Token, typ: t.Type, *rest: Any) -> n.Parameter:
        label = None
        values: list[n.ParamValue] = []
        for part in rest:
            if isinstance(part, Token):
                label = _unquote(part)
            else:
                values.append(part)
        return n.Parameter(str(name), typ, label, tuple(values), span=self._tspan(name))

    def param_value(self, meta: Meta, day: Token, value: n.Literal, source: str | None = None) -> n.ParamValue:
        return n.ParamValue(self._date(day), value, source, span=self._span(meta))

    def source(self, meta: Meta, s: Token) -> str:
        return _unquote(s)

    def bracket_decl(self, meta: Meta, name: Token, typ: t.Type, *rest: Any) -> n.Bracket:
        label = None
        key: n.Expr | None = None
        versions: list[n.BracketVersion] = []
        for part in rest:
            if isinstance(part, Token) and part.type == "STRING":
                label = _unquote(part)
            elif isinstance(part, n.BracketVersion):
                versions.append(part)
            else:
                key = part
        assert key is not None
        return n.Bracket(str(name), typ, label, key, tuple(versions), span=self._tspan(name))

    def bracket_version(self, meta: Meta, day: Token, *rest: Any) -> n.BracketVersion:
        source = None
        rows: list[n.BracketRow] = []
        for part in rest:
            if isinstance(part, str) and not isinstance(part, Token):
                source = part
            else:
                rows.append(part)
        return n.BracketVersion(self._date(day), tuple(rows), source, span=self._tspan(day))

    def bracket_row(self, meta: Meta, lo: n.Literal | None, hi: n.Literal | None,
                    value: n.Literal) -> n.BracketRow:
        return n.BracketRow(lo, hi, value, span=self._span(meta))

    def define_decl(self, meta: Meta, name: Token, *rest: Any) -> n.Definition:
        typ, label, expr = self._typed_labelled(rest)
        return n.Definition(str(name), typ, label, expr, span=self._tspan(name))

    def type_annotation(self, meta: Meta, typ: t.Type) -> tuple[str, t.Type]:
        return ("type", typ)

    def _typed_labelled(self, rest: tuple[Any, ...]) -> tuple[t.Type | None, str | None, n.Expr]:
        typ = None
        label = None
        for part in rest[:-1]:
            if isinstance(part, Token):
                label = _unquote(part)
            elif isinstance(part, tuple) and part[0] == "type":
                typ = part[1]
        return typ, label, rest[-1]

    def requirement_decl(self, meta: Meta, name: Token, *rest: Any) -> n.Requirement:
        label = None
        article = None
        condition: n.Expr | None = None
        exemptions: list[n.Exemption] = []
        for part in rest:
            if isinstance(part, Token):
                label = _unquote(part)
            elif isinstance(part, tuple) and part[0] == "article":
                article = part[1]
            elif isinstance(part, n.Exemption):
                exemptions.append(part)
            else:
                condition = part
        assert condition is not None
        return n.Requirement(str(name), label, article, condition, tuple(exemptions), span=self._tspan(name))

    def article(self, meta: Meta, s: Token) -> tuple[str, str]:
        return ("article", _unquote(s))

    def exemption(self, meta: Meta, cond: n.Expr, label: str | None = None) -> n.Exemption:
        return n.Exemption(cond, label, span=self._span(meta))

    def label(self, meta: Meta, s: Token) -> str:
        return _unquote(s)

    def amount_decl(self, meta: Meta, name: Token, *rest: Any) -> n.Amount:
        typ = None
        label = None
        article = None
        for part in rest[:-1]:
            if isinstance(part, Token):
                label = _unquote(part)
            elif isinstance(part, tuple) and part[0] == "type":
                typ = part[1]
            elif isinstance(part, tuple) and part[0] == "article":
                article = part[1]
        return n.Amount(str(name), typ, label, article, rest[-1], span=self._tspan(name))

    def document_decl(self, meta: Meta, name: Token, *rest: Any) -> n.Document:
        label = None
        provides: list[str] = []
        required: n.Expr | None = None
        first = True
        for part in rest:
            if isinstance(part, Token) and part.type == "STRING" and first:
                label = _unquote(part)
            elif isinstance(part, Token) and part.type == "NAME":
                provides.append(str(part))
            elif isinstance(part, tuple) and part[0] == "required":
                required = part[1]
            first = False
        return n.Document(str(name), label, tuple(provides), required, span=self._tspan(name))

    def required_when(self, meta: Meta, expr: n.Expr) -> tuple[str, n.Expr]:
        return ("required", expr)

    def test_decl(self, meta: Meta, name: Token, day: Token, *rest: Any) -> n.Test:
        source = None
        given: tuple[n.Given, ...] = ()
        expects: list[n.Expectation] = []
        for part in rest:
            if isinstance(part, str):
                source = part
            elif isinstance(part, tuple) and part and isinstance(part[0], n.Given):
                given = part
            elif isinstance(part, list):
                expects.extend(part)
        return n.Test(_unquote(name), self._date(day), given, tuple(expects), source, span=self._tspan(name))

    def given(self, meta: Meta, *assignments: n.Given) -> tuple[n.Given, ...]:
        return tuple(assignments)

    def assignment(self, meta: Meta, name: Token, value: n.Literal) -> n.Given:
        return n.Given(str(name), value, span=self._tspan(name))

    def expect(self, meta: Meta, *expectations: n.Expectation) -> list[n.Expectation]:
        return list(expectations)

    def expect_eligible(self, meta: Meta) -> n.ExpectEligible:
        return n.ExpectEligible(True, span=self._span(meta))

    def expect_not_eligible(self, meta: Meta) -> n.ExpectEligible:
        return n.ExpectEligible(False, span=self._span(meta))

    def expect_undetermined(self, meta: Meta) -> n.ExpectEligible:
        return n.ExpectEligible(None, span=self._span(meta))

    def expect_missing(self, meta: Meta, *names: Token) -> n.ExpectMissing:
        return n.ExpectMissing(tuple(str(x) for x in names), span=self._span(meta))

    def expect_value(self, meta: Meta, name: Token, value: n.Literal) -> n.ExpectValue:
        return n.ExpectValue(str(name), value, span=self._tspan(name))

    def property_decl(self, meta: Meta, name: Token, *rest: Any) -> n.Property:
        on = rest[0] if len(rest) == 2 else None
        return n.Property(_unquote(name), on, rest[-1], span=self._tspan(name))

    def on_date(self, meta: Meta, day: Token) -> datetime.date:
        return self._date(day)

    # -- types ------------------------------------------------------------------------------
    def type_bool(self, meta: Meta) -> t.Type:
        return t.BOOL

    def type_int(self, meta: Meta, rng: tuple[Any, Any] | None = None) -> t.Type:
        lo, hi = rng or (None, None)
        return t.IntType(*(self._bound_int(b) for b in (lo, hi)))

    def _bound_int(self, b: n.Literal | None) -> int | None:
        if b is None:
            return None
        if isinstance(b, n.IntLit):
            return b.value
        raise LiteralError("the bounds of an `int` are whole numbers", self._fake_token(b))

    def _bound_num(self, b: n.Literal | None, want: type) -> Decimal | None:
        if b is None:
            return None
        if isinstance(b, n.MoneyLit | n.DecimalLit) and isinstance(b, want):
            return b.value
        if want is n.DecimalLit and isinstance(b, n.IntLit):
            return Decimal(b.value)
        what = "money amounts like `€0`" if want is n.MoneyLit else "numbers"
        raise LiteralError(f"the bounds of this type are {what}", self._fake_token(b))

    def _fake_token(self, lit: n.Literal) -> Token:
        tok = Token("BOUND", "")
        if lit.span is not None:
            tok.start_pos = lit.span.start
            tok.end_pos = lit.span.end
        return tok

    def type_decimal(self, meta: Meta, rng: tuple[Any, Any] | None = None) -> t.Type:
        lo, hi = rng or (None, None)
        return t.DecimalType(self._bound_num(lo, n.DecimalLit), self._bound_num(hi, n.DecimalLit))

    def type_percent(self, meta: Meta, rng: tuple[Any, Any] | None = None) -> t.Type:
        lo, hi = rng or (None, None)
        return t.DecimalType(self._bound_num(lo, n.DecimalLit), self._bound_num(hi, n.DecimalLit), True)

    def type_money(self, meta: Meta, rng: tuple[Any, Any] | None = None) -> t.Type:
        lo, hi = rng or (None, None)
        return t.MoneyType(self._bound_num(lo, n.MoneyLit), self._bound_num(hi, n.MoneyLit))

    def type_date(self, meta: Meta, rng: tuple[Any, Any] | None = None) -> t.Type:
        if rng is not None and any(b is not None for b in rng):
            b = rng[0] if rng[0] is not None else rng[1]
            raise LiteralError("a `date` input takes no range", self._fake_token(b))
        return t.DATE

    def type_enum(self, meta: Meta, *members: Token) -> t.Type:
        return t.EnumType(tuple(str(m) for m in members))

    def range(self, meta: Meta, lo: n.Literal | None, hi: n.Literal | None) -> tuple[Any, Any]:
        return lo, hi

    # -- expressions ------------------------------------------------------------------------
    def if_expr(self, meta: Meta, c: n.Expr, a: n.Expr, b: n.Expr) -> n.Expr:
        return n.If(c, a, b, span=self._span(meta))

    def month_sum(self, meta: Meta, var: Token, year: n.Expr, body: n.Expr) -> n.Expr:
        return n.month_sum(str(var), year, body, span=self._span(meta))

    def implies(self, meta: Meta, a: n.Expr, b: n.Expr) -> n.Expr:
        return n.Binary("implies", a, b, span=self._span(meta))

    def or_op(self, meta: Meta, a: n.Expr, b: n.Expr) -> n.Expr:
        return n.Binary("or", a, b, span=self._span(meta))

    def and_op(self, meta: Meta, a: n.Expr, b: n.Expr) -> n.Expr:
        return n.Binary("and", a, b, span=self._span(meta))

    def not_op(self, meta: Meta, a: n.Expr) -> n.Expr:
        return n.Unary("not", a, span=self._span(meta))

    def compare(self, meta: Meta, a: n.Expr, op: Token, b: n.Expr) -> n.Expr:
        return n.Binary(str(op), a, b, span=self._span(meta))

    def in_set(self, meta: Meta, a: n.Expr, *options: n.Expr) -> n.Expr:
        return n.InSet(a, tuple(options), span=self._span(meta))

    def arith(self, meta: Meta, a: n.Expr, op: Token, b: n.Expr) -> n.Expr:
        return n.Binary(str(op), a, b, span=self._span(meta))

    def neg(self, meta: Meta, a: n.Expr) -> n.Expr:
        return n.Unary("-", a, span=self._span(meta))

    def name(self, meta: Meta, name: Token) -> n.Expr:
        return n.Name(str(name), span=self._tspan(name))

    def call(self, meta: Meta, func: Token, *args: n.Expr | None) -> n.Expr:
        return n.Call(str(func), tuple(a for a in args if a is not None), span=self._span(meta))

    # -- literals ---------------------------------------------------------------------------
    def neg_literal(self, meta: Meta, lit: n.Literal) -> n.Literal:
        span = self._span(meta)
        match lit:
            case n.IntLit():
                return n.IntLit(-lit.value, span=span)
            case n.DecimalLit():
                return n.DecimalLit(-lit.value, lit.percent, span=span)
            case n.MoneyLit():
                return n.MoneyLit(-lit.value, span=span)
        raise LiteralError("only numbers and money can be negative", self._fake_token(lit))

    def enum_value(self, meta: Meta, tok: Token) -> n.Literal:
        return n.EnumLit(str(tok), span=self._tspan(tok))

    def money(self, meta: Meta, tok: Token) -> n.Literal:
        if len(str(tok).partition(".")[2].replace("_", "")) > 2:
            # `€7.575`: a Dutch thousands dot (or more decimals than cents): say what was meant
            self._too_precise(tok)
        return n.MoneyLit(_number(str(tok)[1:]), span=self._tspan(tok))

    def _too_precise(self, tok: Token) -> None:
        start = tok.start_pos or 0
        found = dutch.run_at(self._file.text, start)
        end = found[1] if found is not None and found[0] == start else tok.end_pos
        written = self._file.text[start:end]
        explained = dutch.reading(written) or dutch.reading(str(tok))
        if explained is None:
            explained = (f"money with more than two decimals: `{tok}`", "money is in whole cents: at most two decimals")
        elif dutch.reading(written) is None:
            end = tok.end_pos
        raise LiteralError(explained[0], tok, "E0009", explained[1], end)

    def percent(self, meta: Meta, tok: Token) -> n.Literal:
        return n.DecimalLit(_number(str(tok)[:-1]).scaleb(-2), True, span=self._tspan(tok))

    def decimal(self, meta: Meta, tok: Token) -> n.Literal:
        return n.DecimalLit(_number(str(tok)), span=self._tspan(tok))

    def int(self, meta: Meta, tok: Token) -> n.Literal:
        return n.IntLit(int(str(tok).replace("_", "")), span=self._tspan(tok))

    def date(self, meta: Meta, tok: Token) -> n.Literal:
        return n.DateLit(self._date(tok), span=self._tspan(tok))

    def true(self, meta: Meta) -> n.Literal:
        return n.BoolLit(True, span=self._span(meta))

    def false(self, meta: Meta) -> n.Literal:
        return n.BoolLit(False, span=self._span(meta))

    def _date(self, tok: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(tok))
        except ValueError:
            raise LiteralError(f"`{tok}` is not a date", tok) from None
