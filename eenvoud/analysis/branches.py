"""Dead branches: an `if` whose condition is never true (or never false) where it is evaluated.

For an `if c then a else b` reached under the path condition P (the enclosing `if`s, and the
left side of an `and`/`or`/`implies` it sits on the right of): `context ∧ domain ∧ P ∧ c` is unsat
iff the `then` branch never applies, and `context ∧ domain ∧ P ∧ ¬c` is unsat iff the `else`
branch never applies. The context is empty for definitions that requirements or documents read;
for one read only by amounts it is eligibility, since an amount is paid only when every
requirement holds (`if age < 18 then €0 else ...` in an amount is dead when minors never qualify).

Two kinds of dead branch are not reported (they are consequences, folded into their root cause):
a branch of a declaration that the decision never evaluates on the date (vacuous: see `unused.py`,
whose `unused_in_period` finding names it), and a branch whose condition is constant on the date
only because of parameters or the reference date — an echo of a yes/no parameter set by date, whose
effect is the `unused_in_period` finding. `--parameter-echoes` (`Context.parameter_echoes`) shows
the echoes as dead branches again.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import assert_never

import z3

from eenvoud.analysis.context import Context
from eenvoud.analysis.encode import negate
from eenvoud.analysis.inputs import find_case
from eenvoud.analysis.prover import Proved, Unknown
from eenvoud.analysis.slices import Slice
from eenvoud.analysis.unused import is_echo, usage
from eenvoud.diagnostics import RuleError
from eenvoud.engine import values as v
from eenvoud.engine.evaluate import Env
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir.names import names_in
from eenvoud.ir.printer import expr as text


@dataclass(frozen=True)
class _Site:
    node: n.If
    path: tuple[tuple[n.Expr, bool], ...]  # (condition, polarity) that must hold to reach it


def branches(ctx: Context) -> None:
    read_by_rules = _read_by_rules(ctx)
    used = usage(ctx).used
    evaluated = {d.name for d in ctx.reg.definitions} | {b.name for b in ctx.reg.brackets} \
        | {a.name for a in ctx.reg.amounts}
    for owner, expr, article in _declarations(ctx):
        if owner in evaluated and owner not in used:
            continue  # never evaluated on this date: its branches are vacuously dead (unused_in_period)
        eligible_context = owner not in read_by_rules and owner in _read_by_amounts(ctx)
        if eligible_context and ctx.contradiction:
            continue  # nobody is paid anything: every amount branch is vacuously dead
        sites = list(_sites(expr, ()))
        if not sites:
            continue
        s = _slice(ctx, owner)
        prover = ctx.prover(s) if s is not None else ctx.whole()
        domain = ctx.domain(s) if s is not None else ctx.all_domain()
        assume = domain + ((s.requirements if s is not None else list(ctx.enc.requirements))
                           if eligible_context else [])
        for k, site in enumerate(sites, start=1):
            ctx.tick()
            if not ctx.parameter_echoes and is_echo(ctx, site.node.cond):
                ctx.echoes += 1  # constant only because of a parameter set by date: not a finding of its own
                continue
            path = [_holds(ctx, c, pol) for c, pol in site.path]
            cond = ctx.enc.term(site.node.cond)
            reached = _reached_by_engine(ctx, site, s if eligible_context else None, eligible_context)
            then_dead = None if True in reached else prover.check(assume, [*path, cond])
            else_dead = None if False in reached else prover.check(assume, [*path, negate(cond)])
            if isinstance(then_dead, Proved) and isinstance(else_dead, Proved):
                continue  # the `if` itself is never reached: the enclosing dead branch is reported
            subject = f"{owner}.if.{k}"
            shown = f"`if {text(site.node.cond)} then ...`"
            for answer, which, keep in ((then_dead, "then", site.node.else_), (else_dead, "else", site.node.then)):
                match answer:
                    case Proved():
                        reqs = [c for c in answer.core if c in ctx.enc.requirements]
                        context = (" for anyone who qualifies (" + ", ".join(f"`{r}`" for r in reqs) + ")"
                                   if reqs else "")
                        ctx.add("dead_branch", f"{subject}.{which}", site.node, article, list(answer.core),
                                f"the `{which}` branch of {shown} in `{owner}` never applies{context}: "
                                f"the condition is always {'false' if which == 'then' else 'true'} there",
                                proposal=f"replace {shown} by `{text(keep)}`")
                    case Unknown():
                        ctx.undecided("dead_branch", subject, site.node, answer.reason)


# cases the engine tries per `if` (a branch has many sites; past this the solver is cheaper)
BRANCH_PROBES = 200


def _reached_by_engine(ctx: Context, site: _Site, s: Slice | None, eligible: bool) -> set[bool]:
    """The values of the condition on cases the engine evaluates that reach the `if` (its path
    holds; and, in the context of eligibility, every requirement of the slice holds): a branch
    the engine takes on such a case is alive, with no solver. (On a case the engine evaluates
    without an error, a term has the engine's value.)"""
    try:
        conds = [(ctx.prog.expr(c), pol) for c, pol in site.path]
        cond = ctx.prog.expr(site.node.cond)
    except RuleError:
        return set()
    reqs = (s.requirements if s is not None else list(ctx.enc.requirements)) if eligible else []
    seen: set[bool] = set()

    def probe(case: dict[str, Value]) -> bool:
        env = Env(dict(case))
        with decimal.localcontext(v.EXACT):
            if not all(fn(env) is pol for fn, pol in conds):
                return False
            value = cond(env)
        if not isinstance(value, bool) or value in seen:
            return False
        if reqs and not all(x is True for x in ctx.requirement_status(case, reqs).values()):
            return False
        seen.add(value)
        return len(seen) == 2

    find_case(ctx, probe, BRANCH_PROBES)
    if seen:
        ctx.stats.without_solver += len(seen)
    return seen


def _sites(e: n.Expr, path: tuple[tuple[n.Expr, bool], ...]) -> Iterator[_Site]:
    match e:
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit() | n.Name():
            return
        case n.Unary():
            yield from _sites(e.operand, path)
        case n.Binary():
            yield from _sites(e.left, path)
            if e.op in ("and", "implies"):
                yield from _sites(e.right, (*path, (e.left, True)))
            elif e.op == "or":
                yield from _sites(e.right, (*path, (e.left, False)))
            else:
                yield from _sites(e.right, path)
        case n.InSet():
            yield from _sites(e.operand, path)
            for o in e.options:
                yield from _sites(o, path)
        case n.If():
            yield _Site(e, path)
            yield from _sites(e.cond, path)
            yield from _sites(e.then, (*path, (e.cond, True)))
            yield from _sites(e.else_, (*path, (e.cond, False)))
        case n.Call():
            for a in e.args:
                yield from _sites(a, path)
        case _:
            assert_never(e)


def _holds(ctx: Context, cond: n.Expr, polarity: bool) -> z3.BoolRef:
    term = ctx.enc.term(cond)
    return term if polarity else negate(term)


def _declarations(ctx: Context) -> Iterator[tuple[str, n.Expr, str | None]]:
    reg = ctx.reg
    for d in reg.definitions:
        yield d.name, d.expr, d.label
    for b in reg.brackets:
        yield b.name, b.key, b.label
    for a in reg.amounts:
        yield a.name, a.expr, a.article or a.label
    for r in reg.requirements:
        yield r.name, r.condition, r.article or r.label
        for i, x in enumerate(r.exemptions, start=1):
            yield f"{r.name}.unless.{i}", x.condition, r.article or r.label
    for doc in reg.documents:
        if doc.required_when is not None:
            yield doc.name, doc.required_when, doc.label


def _read_by_rules(ctx: Context) -> set[str]:
    """Declarations that requirements or documents read (directly or through others)."""
    out: set[str] = set()
    roots: list[n.Expr] = []
    for r in ctx.reg.requirements:
        out.add(r.name)
        roots.append(r.condition)
        for i, x in enumerate(r.exemptions, start=1):
            out.add(f"{r.name}.unless.{i}")
            roots.append(x.condition)
    for d in ctx.reg.documents:
        out.add(d.name)
        if d.required_when is not None:
            roots.append(d.required_when)
    for e in roots:
        for name in _names(e):
            out.add(name)
            out |= ctx.deps.uses(name)
    return out


def _read_by_amounts(ctx: Context) -> set[str]:
    out: set[str] = set()
    for a in ctx.reg.amounts:
        out.add(a.name)
        out |= ctx.deps.uses(a.name)
    return out


def _names(e: n.Expr) -> list[str]:
    return names_in(e)


def _slice(ctx: Context, owner: str) -> Slice | None:
    """The slice holding every input the declaration reads, if one does."""
    base = owner.split(".unless.")[0]
    if base in ctx.requirement_decl:
        return ctx.slice_of("requirement", base)
    if any(d.name == base for d in ctx.reg.documents):
        return ctx.slice_of("document", base)
    inputs = ctx.deps.of_name(base)
    for s in ctx.slices:
        if inputs <= s.inputs and (inputs or not s.inputs):
            return s
    return None
