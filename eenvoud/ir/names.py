"""The names an expression mentions: one pass that the engine's reasons and the analyzer's slicing
both read."""

from __future__ import annotations

from typing import assert_never

from eenvoud.ir import nodes as n


def names_in(e: n.Expr) -> list[str]:
    """The names an expression mentions directly, in order, each once."""
    out: list[str] = []
    collect_names(e, out)
    return out


def collect_names(e: n.Expr, out: list[str]) -> None:
    match e:
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
            pass
        case n.Name():
            if e.name not in out:
                out.append(e.name)
        case n.Unary():
            collect_names(e.operand, out)
        case n.Binary():
            collect_names(e.left, out)
            collect_names(e.right, out)
        case n.InSet():
            collect_names(e.operand, out)
            for o in e.options:
                collect_names(o, out)
        case n.If():
            collect_names(e.cond, out)
            collect_names(e.then, out)
            collect_names(e.else_, out)
        case n.MonthSum():
            # the year and the body as written: the month's own name is bound, not a name of the rules
            collect_names(e.year, out)
            inner: list[str] = []
            collect_names(e.body, inner)
            out.extend(name for name in inner if name != e.var and name not in out)
        case n.Call():
            for a in e.args:
                collect_names(a, out)
        case _:
            assert_never(e)
