"""What a regulation never reads on a date, and why: definitions, parameters, brackets and inputs
that a decision cannot evaluate on that date because a condition that only parameters (or the
reference date) decide is constant there — a yes/no parameter that switches a chain off by date.

`usage(ctx)` walks the decision as the engine evaluates it (every requirement and exemption, every
required-when, every amount), following a name into its declaration, and prunes what the engine
never reaches on the date: the branch of an `if` whose condition folds to a constant, the right side
of an `and`/`implies` whose left side folds to false and of an `or` whose left side folds to true.
The constants are those of the encoding at the date (`Encoding.term`: parameters are constants,
the term constructors fold them), so this is exact, and needs no solver.

`unused_findings` compares the dates of one regulation: an item read on some analysis date and not
on another is `unused_in_period` on the latter, one finding per date (merged into periods later)
naming the whole chain and the parameters that switch it off — the root cause. Its consequences
are folded into it: a question that is irrelevant because it is never read (its `irrelevant_input`
finding), and the dead branches that only echo the parameter (see `branches.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import assert_never

import z3

from eenvoud.analysis.context import Context
from eenvoud.analysis.findings import Finding
from eenvoud.engine.evaluate import parameter_value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.names import names_in
from eenvoud.ir.printer import expr as text

SWITCH_BUILTINS = ("reference_date",)  # constant on a date, like a parameter


@dataclass
class Usage:
    """What the decision reads on one date, and the parameters whose value pruned something."""

    used: set[str] = field(default_factory=set)
    switches: set[str] = field(default_factory=set)
    # each place the date fixed: the parameters that fixed it, and every name in what it skipped
    pruned: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)

    def roots(self, missing: set[str]) -> set[str]:
        """The parameters whose value skipped some of `missing`."""
        out: set[str] = set()
        for switches, skipped in self.pruned:
            if skipped & missing:
                out |= switches
        return out


def constant(ctx: Context, cond: n.Expr) -> bool | None:
    """The value of a condition on the context's date when it does not depend on any input (the
    encoding folds parameters and the reference date), else None."""
    try:
        term = ctx.enc.term(cond)
    except Exception:  # a name the encoding cannot read in this scope: not constant
        return None
    if z3.is_true(term):
        return True
    if z3.is_false(term):
        return False
    return None


def switches_of(ctx: Context, cond: n.Expr) -> set[str]:
    """The parameters (and the reference date) a condition reads, through definitions."""
    out: set[str] = set()
    seen: set[str] = set()
    todo = list(names_in(cond))
    decls = _decls(ctx)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        sym = ctx.reg.symbols.get(name)
        if name in SWITCH_BUILTINS:
            out.add(name)
        elif sym is not None and sym.kind == "parameter":
            out.add(name)
        elif name in decls:
            todo += names_in(_body(decls[name]))
    return out


_BOOLEAN_OPS = ("and", "or", "implies", "==", "!=", "<", "<=", ">", ">=")


def root(ctx: Context, switches: set[str]) -> set[str]:
    """Of the parameters that fix a condition, the yes/no ones: what a drafter sets by date to
    switch a rule on or off (the amounts beside them only take part). All of them when none is."""
    flags = {s for s in switches if s in ctx.reg.symbols and isinstance(ctx.reg.symbols[s].type, t.BoolType)}
    return flags or switches


def is_echo(ctx: Context, cond: n.Expr) -> bool:
    """A condition that is constant on the date only because of parameters or the date itself."""
    return constant(ctx, cond) is not None and bool(switches_of(ctx, cond))


def _decls(ctx: Context) -> dict[str, n.Definition | n.Amount | n.Bracket]:
    reg = ctx.reg
    return {**{d.name: d for d in reg.definitions}, **{a.name: a for a in reg.amounts},
            **{b.name: b for b in reg.brackets}}


def _body(decl: n.Definition | n.Amount | n.Bracket) -> n.Expr:
    return decl.key if isinstance(decl, n.Bracket) else decl.expr


def usage(ctx: Context) -> Usage:
    cached = getattr(ctx, "_usage", None)
    if isinstance(cached, Usage):
        return cached
    out = Usage()
    decls = _decls(ctx)

    def visit(name: str) -> None:
        if name in out.used:
            return
        sym = ctx.reg.symbols.get(name)
        if sym is None or sym.kind == "builtin":
            return
        out.used.add(name)
        if name in decls:
            walk(_body(decls[name]))

    def reach(e: n.Expr) -> set[str]:
        """Every name `e` reads, through declarations, without pruning."""
        found: set[str] = set()
        todo = list(names_in(e))
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                if name in decls:
                    todo += names_in(_body(decls[name]))
        return found

    def prune(cond: n.Expr, *skipped: n.Expr | None, whole: bool = False) -> bool | None:
        """The value the date fixes for `cond` (None if it does not); for `and`/`or`/`if`, the
        parts it skips; `whole`: the condition itself is skipped (its value is fixed)."""
        value = constant(ctx, cond)
        if value is not None:
            found = switches_of(ctx, cond)
            roots = root(ctx, found)
            out.switches |= roots
            out.used |= found - set(SWITCH_BUILTINS)
            names: set[str] = reach(cond) if whole else set()
            for x in skipped:
                if x is not None:
                    names |= reach(x)
            out.pruned.append((frozenset(roots), frozenset(names - found)))
        return value

    def fixed(e: n.Expr) -> bool:
        """A condition whose value the date fixes: what it reads cannot matter (only the
        parameters that fix it do)."""
        match e:
            case n.Binary() if e.op in _BOOLEAN_OPS:
                pass
            case n.Unary() if e.op == "not":
                pass
            case n.InSet():
                pass
            case n.Name() if e.name in decls:
                pass
            case _:
                return False
        return bool(switches_of(ctx, e)) and prune(e, whole=True) is not None

    def walk(e: n.Expr) -> None:
        if fixed(e):
            return
        match e:
            case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
                return
            case n.Name():
                visit(e.name)
            case n.Unary():
                walk(e.operand)
            case n.Binary():
                walk(e.left)
                if e.op in ("and", "implies") and constant(ctx, e.left) is False:
                    prune(e.left, e.right)
                    return
                if e.op == "or" and constant(ctx, e.left) is True:
                    prune(e.left, e.right)
                    return
                walk(e.right)
            case n.InSet():
                walk(e.operand)
                for o in e.options:
                    walk(o)
            case n.If():
                walk(e.cond)
                value = constant(ctx, e.cond)
                if value is not None:
                    prune(e.cond, e.else_ if value else e.then)
                if value is not False:
                    walk(e.then)
                if value is not True:
                    walk(e.else_)
            case n.Call():
                for a in e.args:
                    walk(a)
            case _:
                assert_never(e)

    for r in ctx.reg.requirements:
        walk(r.condition)
        for x in r.exemptions:
            walk(x.condition)
    for a in ctx.reg.amounts:
        visit(a.name)
    for d in ctx.reg.documents:
        if d.required_when is not None:
            walk(d.required_when)
    object.__setattr__(ctx, "_usage", out)
    return out


def _kind(ctx: Context, name: str) -> str:
    sym = ctx.reg.symbols.get(name)
    return sym.kind if sym is not None else "definition"


def _shown(ctx: Context, name: str) -> str:
    """A switch with its value on the date: `two_household_types` = yes."""
    if name in SWITCH_BUILTINS:
        return f"`{name}` = {ctx.day.isoformat()}"
    p = next((p for p in ctx.reg.parameters if p.name == name), None)
    pv = parameter_value(p, ctx.day) if p is not None else None
    if pv is None:
        return f"`{name}`"
    value = pv.value
    if isinstance(value, n.BoolLit):
        return f"`{name}` = {'yes' if value.value else 'no'}"
    return f"`{name}` = {text(value)}"


_ORDER = ("input", "definition", "parameter", "bracket", "amount")
_WORDS = {"input": "questions", "definition": "definitions", "parameter": "parameters", "bracket": "brackets",
          "amount": "amounts"}


def unused_findings(contexts: Iterable[Context]) -> dict[int, Finding]:
    """Per context (by id): the `unused_in_period` finding of its date, when some item the
    regulation reads on another analysis date is never read on this one."""
    contexts = list(contexts)
    if len(contexts) < 2:
        return {}
    uses = {id(c): usage(c) for c in contexts}
    everywhere: set[str] = set().union(*(u.used for u in uses.values()))
    out: dict[int, Finding] = {}
    for ctx in contexts:
        u = uses[id(ctx)]
        missing = everywhere - u.used
        if not missing:
            continue
        order = {name: k for k, name in enumerate(ctx.reg.symbols)}
        groups: dict[str, list[str]] = {}
        for name in sorted(missing, key=lambda x: order.get(x, 0)):
            groups.setdefault(_kind(ctx, name), []).append(name)
        parts = [f"{_WORDS[k]} " + ", ".join(f"`{x}`" for x in groups[k]) for k in _ORDER if k in groups]
        switches = sorted(u.roots(missing) - missing)
        why = (" because " + " and ".join(_shown(ctx, s) for s in switches)) if switches else ""
        questions = groups.get("input", [])
        message = (f"never used on this date{why}: " + "; ".join(parts)
                   + (". Nobody needs to be asked " + ", ".join(f"`{q}`" for q in questions) + " for this period"
                      if questions else ""))
        subject = ", ".join(switches) if switches else "unused"
        decl = next((p for p in ctx.reg.parameters if p.name in switches), None)
        proposal = ("drop the questions " + ", ".join(f"`{q}`" for q in questions) + " from the form for this period; "
                    if questions else "") + "keep the rules for the periods that still read them"
        out[id(ctx)] = Finding(
            "unused_in_period", ctx.reg.name, subject, _span(decl), decl.label if decl is not None else None,
            tuple(_shown(ctx, s).replace("`", "") for s in switches), None, message, day=ctx.day,
            proposal=proposal, consequences=tuple(sorted(missing, key=lambda x: order.get(x, 0))))
    return out


def _span(node: n.Node | None) -> str | None:
    from eenvoud.analysis.context import span_text

    return span_text(node)
