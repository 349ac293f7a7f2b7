"""IR to canonical rule text. `parse(print(ir)) == ir` for every regulation; `eenvoud fmt` uses it,
and the content hash is taken over its output.

Comments are not part of the IR, but a formatter that drops the drafter's source notes would be
useless: when the parsed comments are passed in, each is written back before the item it preceded
(or at the end of the line it shared with an item).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol, assert_never

from eenvoud.ir import nodes as n
from eenvoud.ir import types as t

# Binding strength, loosest first; an operand binding looser than its context gets parentheses.
_IF, _IMPLIES, _OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _NEG, _ATOM = range(10)
_LEVEL = {"implies": _IMPLIES, "or": _OR, "and": _AND, "+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT}
for _op in n.COMPARISON:
    _LEVEL[_op] = _CMP


class _Comment(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def text(self) -> str: ...


def string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _group(digits: str) -> str:
    out = []
    for i, ch in enumerate(reversed(digits)):
        if i and i % 3 == 0:
            out.append("_")
        out.append(ch)
    return "".join(reversed(out))


def decimal_text(value: Decimal, min_places: int = 0, grouped: bool = False) -> str:
    sign = "-" if value < 0 else ""
    text = format(abs(value).normalize(), "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if len(frac) < min_places:
        frac = frac + "0" * (min_places - len(frac))
    if grouped:
        whole = _group(whole)
    return sign + whole + ("." + frac if frac else "")


def money_text(value: Decimal) -> str:
    text = decimal_text(value, 2, grouped=True)
    return f"-€{text[1:]}" if text.startswith("-") else f"€{text}"


def percent_text(value: Decimal) -> str:
    return decimal_text(value.scaleb(2)) + "%"


def literal(lit: n.Literal) -> str:
    match lit:
        case n.BoolLit():
            return "true" if lit.value else "false"
        case n.IntLit():
            return str(lit.value)
        case n.DecimalLit():
            text = percent_text(lit.value) if lit.percent else decimal_text(lit.value)
            if not lit.percent and "." not in text:
                text += ".0"
            return text
        case n.MoneyLit():
            return money_text(lit.value)
        case n.DateLit():
            return lit.value.isoformat()
        case n.EnumLit():
            return lit.member
        case _:
            assert_never(lit)


def _bound(value: object) -> str:
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def type_text(typ: t.Type) -> str:
    match typ:
        case t.BoolType():
            return "bool"
        case t.IntType():
            return "int" + _range(typ.lo, typ.hi)
        case t.DecimalType():
            word = "percent" if typ.percent else "decimal"
            lo = None if typ.lo is None else (percent_text(typ.lo) if typ.percent else decimal_text(typ.lo))
            hi = None if typ.hi is None else (percent_text(typ.hi) if typ.percent else decimal_text(typ.hi))
            return word + _range(lo, hi)
        case t.MoneyType():
            return "money" + _range(
                None if typ.lo is None else money_text(typ.lo), None if typ.hi is None else money_text(typ.hi)
            )
        case t.DateType():
            return "date"
        case t.EnumType():
            return "one of {" + ", ".join(typ.members) + "}"
        case _:
            assert_never(typ)


def _range(lo: object, hi: object) -> str:
    if lo is None and hi is None:
        return ""
    return f" {'' if lo is None else lo}..{'' if hi is None else hi}"


def expr(e: n.Expr) -> str:
    return _expr(e)


def _level(e: n.Expr) -> int:
    match e:
        case n.If() | n.MonthSum():
            return _IF
        case n.Binary():
            return _LEVEL[e.op]
        case n.Unary():
            return _NOT if e.op == "not" else _NEG
        case n.InSet():
            return _CMP
        case _:
            return _ATOM


def _wrap(e: n.Expr, needs: bool) -> str:
    text = _expr(e)
    return f"({text})" if needs else text


def _expr(e: n.Expr) -> str:
    match e:
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
            text = literal(e)
            # a negative literal built by a pass prints as its negation, which parses back to a Unary
            return text
        case n.Name():
            return e.name
        case n.Unary():
            if e.op == "not":
                return "not " + _wrap(e.operand, _level(e.operand) < _NOT)
            return "-" + _wrap(e.operand, _level(e.operand) < _NEG or _is_negative_literal(e.operand))
        case n.Binary():
            level = _LEVEL[e.op]
            if e.op == "implies":
                left = _wrap(e.left, _level(e.left) <= level)
                right = _wrap(e.right, _level(e.right) < level)
            elif level == _CMP:
                left = _wrap(e.left, _level(e.left) <= level)
                right = _wrap(e.right, _level(e.right) <= level)
            else:
                left = _wrap(e.left, _level(e.left) < level)
                right = _wrap(e.right, _level(e.right) <= level)
            return f"{left} {e.op} {right}"
        case n.InSet():
            operand = _wrap(e.operand, _level(e.operand) <= _CMP)
            return f"{operand} in {{" + ", ".join(_expr(o) for o in e.options) + "}"
        case n.If():
            cond = _wrap(e.cond, _level(e.cond) == _IF)
            then = _wrap(e.then, _level(e.then) == _IF)
            return f"if {cond} then {then} else {_expr(e.else_)}"
        case n.MonthSum():
            year = _wrap(e.year, _level(e.year) == _IF)
            return f"sum for each month {e.var} in the year of {year}: {_expr(e.body)}"
        case n.Call():
            return f"{e.func}(" + ", ".join(_expr(a) for a in e.args) + ")"
        case _:
            assert_never(e)


def _is_negative_literal(e: n.Expr) -> bool:
    return isinstance(e, n.IntLit | n.DecimalLit | n.MoneyLit) and e.value < 0


class _Comments:
    def __init__(self, comments: Iterable[_Comment]):
        self.pending = sorted(comments, key=lambda c: (c.line, c.column))

    def before(self, line: int | None) -> list[str]:
        if line is None:
            return []
        out = [c.text for c in self.pending if c.line < line]
        self.pending = [c for c in self.pending if c.line >= line]
        return out

    def on(self, line: int | None) -> str:
        if line is None:
            return ""
        here = [c.text for c in self.pending if c.line == line]
        self.pending = [c for c in self.pending if c.line != line]
        return ("  " + "  ".join(here)) if here else ""

    def rest(self) -> list[str]:
        out = [c.text for c in self.pending]
        self.pending = []
        return out


def _line(node: n.Node) -> int | None:
    return node.span.line if node.span is not None else None


def regulation(reg: n.Regulation, comments: Sequence[_Comment] = ()) -> str:
    """The canonical text of a rule file."""
    c = _Comments(comments)
    out: list[str] = []
    out += c.before(_line(reg))
    head = f"{reg.kind} {reg.name}" + (f" {string(reg.title)}" if reg.title is not None else "")
    out.append(head + c.on(_line(reg)))
    if reg.agency is not None:
        out.append(f"  agency {string(reg.agency)}")
    if reg.source is not None:
        out.append(f"  source {string(reg.source)}")
    previous: str | None = "header"
    previous_multi = True
    for item in reg.items:
        leading = c.before(_line(item))
        lines = _item(item, c)
        kind = type(item).__name__
        multi = len(lines) > 1
        if previous is not None and (kind != previous or multi or previous_multi or leading):
            out.append("")
        out += leading
        first_line = _line(item)
        lines[0] += c.on(first_line)
        out += lines
        previous, previous_multi = kind, multi
    rest = c.rest()
    if rest:
        out.append("")
        out += rest
    return "\n".join(out) + "\n"


def _item(item: n.Item, c: _Comments) -> list[str]:
    match item:
        case n.Import():
            return [f"import {string(item.path)}"]
        case n.Input():
            text = f"input {item.name} : {type_text(item.type)}"
            if item.label is not None:
                text += f" {string(item.label)}"
            binding = item.binding_text()
            if binding is not None:
                text += f" {binding}"
            return [text]
        case n.Parameter():
            lines = [f"parameter {item.name} : {type_text(item.type)}" + _label(item.label)]
            for v in item.values:
                lines += ["  " + x for x in c.before(_line(v))]
                src = f" source {string(v.source)}" if v.source is not None else ""
                lines.append(f"  {v.valid_from.isoformat()}: {literal(v.value)}{src}" + c.on(_line(v)))
            return lines
        case n.Bracket():
            lines = [f"bracket {item.name} : {type_text(item.type)}{_label(item.label)} on {expr(item.key)}"]
            for version in item.versions:
                lines += ["  " + x for x in c.before(_line(version))]
                src = f" source {string(version.source)}" if version.source is not None else ""
                lines.append(f"  {version.valid_from.isoformat()}:{src}" + c.on(_line(version)))
                for row in version.rows:
                    lines += ["    " + x for x in c.before(_line(row))]
                    lo = "" if row.lo is None else literal(row.lo) + " "
                    hi = "" if row.hi is None else " " + literal(row.hi)
                    lines.append(f"    | {lo}..{hi} => {literal(row.value)}" + c.on(_line(row)))
            return lines
        case n.Definition():
            typ = f" : {type_text(item.type)}" if item.type is not None else ""
            return [f"define {item.name}{typ}{_label(item.label)} = {expr(item.expr)}"]
        case n.Requirement():
            art = f" article {string(item.article)}" if item.article is not None else ""
            lines = [f"requirement {item.name}{_label(item.label)}{art}: {expr(item.condition)}"]
            for ex in item.exemptions:
                lines += ["  " + x for x in c.before(_line(ex))]
                lab = f" label {string(ex.label)}" if ex.label is not None else ""
                lines.append(f"  unless {expr(ex.condition)}{lab}" + c.on(_line(ex)))
            return lines
        case n.Amount():
            typ = f" : {type_text(item.type)}" if item.type is not None else ""
            art = f" article {string(item.article)}" if item.article is not None else ""
            return [f"amount {item.name}{typ}{_label(item.label)}{art} = {expr(item.expr)}"]
        case n.Document():
            lines = [f"document {item.name}{_label(item.label)}", "  provides " + ", ".join(item.provides)]
            if item.required_when is not None:
                lines.append(f"  required when {expr(item.required_when)}")
            return lines
        case n.Test():
            src = f" source {string(item.source)}" if item.source is not None else ""
            lines = [f"test {string(item.name)} on {item.on.isoformat()}{src}"]
            if item.given:
                lines.append("  given " + ", ".join(f"{g.name} = {literal(g.value)}" for g in item.given))
            lines.append("  expect " + ", ".join(_expectation(e) for e in item.expects))
            return lines
        case n.Includes():
            return ["includes " + ", ".join(item.names)]
        case n.Property():
            on = f" on {item.on.isoformat()}" if item.on is not None else ""
            return [f"property {string(item.name)}{on}:", f"  {expr(item.expr)}"]
        case _:
            assert_never(item)


def _label(label: str | None) -> str:
    return f" {string(label)}" if label is not None else ""


def _expectation(e: n.Expectation) -> str:
    match e:
        case n.ExpectEligible():
            return {True: "eligible", False: "not eligible", None: "undetermined"}[e.value]
        case n.ExpectValue():
            return f"{e.name} = {literal(e.value)}"
        case n.ExpectMissing():
            return "missing {" + ", ".join(e.names) + "}"
        case _:
            assert_never(e)


def date_text(d: date) -> str:
    return d.isoformat()
