"""Help for the drafter: the hints and texts that diagnostics of the checker show.

Did-you-mean itself (`did_you_mean`) lives in eenvoud.diagnostics, beside the rendering.
"""

from __future__ import annotations

import re
from decimal import Decimal

from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.printer import literal, money_text, percent_text
from eenvoud.source import Span

VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}



def arithmetic_help(op: str, a: t.Type, b: t.Type) -> str | None:
    if isinstance(a, t.MoneyType) and t.is_number(b) or isinstance(b, t.MoneyType) and t.is_number(a):
        if op in ("+", "-"):
            return "write the number as money, for example `€100`"
    if isinstance(a, t.MoneyType) and isinstance(b, t.MoneyType) and op == "*":
        return "money times money has no meaning; multiply money by a number or a percentage"
    if isinstance(a, t.DateType) or isinstance(b, t.DateType):
        return "use `add_days`, `add_months`, `add_years` or `days_between` for dates"
    if isinstance(a, t.BoolType) or isinstance(b, t.BoolType):
        return "true and false are not numbers; use `if ... then ... else ...`"
    return None


def money_hint(e: n.Binary, a: t.Type, b: t.Type) -> str | None:
    """`income <= 40000`: show the number written as money, the likely intent."""
    for side, other in ((e.right, a), (e.left, b)):
        if not isinstance(other, t.MoneyType):
            continue
        if isinstance(side, n.IntLit) or isinstance(side, n.DecimalLit) and not side.percent:
            return f"write the number as money: `{money_text(Decimal(side.value))}`"
    return None


def compare_help(a: t.Type, b: t.Type) -> str | None:
    if isinstance(a, t.MoneyType) and t.is_number(b) or isinstance(b, t.MoneyType) and t.is_number(a):
        return "write the number as money, for example `€0`"
    return None


def bound_text(bound: object, typ: t.Type) -> str:
    """A domain bound as the drafter wrote it: `100%`, `€0.00`, `130`."""
    if isinstance(typ, t.MoneyType) and isinstance(bound, Decimal):
        return money_text(bound)
    if isinstance(typ, t.DecimalType) and typ.percent and isinstance(bound, Decimal):
        return percent_text(bound)
    return str(bound)


def lit_text(lit: n.Literal) -> str:
    return literal(lit)


def literal_help(lit: n.Literal, want: t.Type) -> str | None:
    if isinstance(want, t.MoneyType) and isinstance(lit, n.IntLit | n.DecimalLit):
        return f"write money with the euro sign: `€{lit.value}`"
    if isinstance(want, t.EnumType):
        return "one of: " + ", ".join(f"`{m}`" for m in want.members)
    if isinstance(want, t.BoolType):
        return "write `true` or `false`"
    if isinstance(want, t.DateType):
        return "write a date as `2025-01-01`"
    return None



def provided_span(decl: n.Document, name: str) -> Span | None:
    """Where `name` stands in the document's `provides` list (the IR keeps only the names), so
    that the caret points at the wrong name rather than at the document."""
    span = decl.span
    if span is None:
        return None
    text = span.file.text
    provides = re.compile(r"\bprovides\b").search(text, span.end)
    if provides is not None:
        found = re.compile(rf"\b{re.escape(name)}\b").search(text, provides.end())
        if found is not None:
            return span.file.span(found.start(), found.end())
    return span
