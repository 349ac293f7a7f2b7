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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import assert_never

import z3

from eenvoud.analysis.context import Context
from eenvoud.analysis.encode import negate
from eenvoud.analysis.inputs import candidate_values, find_case, seeds
from eenvoud.analysis.prover import Answer, Proved, Prover, Refuted, Unknown
from eenvoud.analysis.slices import Slice
from eenvoud.analysis.unused import constant, is_echo, usage
from eenvoud.diagnostics import RuleError
from eenvoud.engine import values as v
from eenvoud.engine.evaluate import Compiled, Env
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir.names import names_in
from eenvoud.ir.printer import expr as text


@dataclass(frozen=True)
class _Site:
    node: n.If
    path: tuple[tuple[n.Expr, bool], ...]  # (condition, polarity) that must hold to reach it


# One `if` as written: its copies (twelve for an `if` in the body of a `sum for each month`, one
# otherwise). A branch of it is dead when it is dead in every copy: an `if` that applies in one month
# only is alive, and one dead in every month is one finding, not twelve.
Group = list[_Site]


@dataclass(eq=False)
class _Goal:
    """One branch of one `if` as written, to be shown alive or proved dead."""

    index: int  # the `if`'s number in its declaration (its first copy's)
    group: Group
    which: str  # "then" | "else"
    sites: list[_Site] = field(default_factory=list)  # the copies that may be dead (no echo) ...
    copies: list[list[z3.BoolRef]] = field(default_factory=list)  # ... and what reaching the branch there takes
    alive: bool = False
    _formula: z3.BoolRef | None = None

    @property
    def formula(self) -> z3.BoolRef:
        """Reaching the branch in some copy: one term (built once; Z3's Python API is slow at it)."""
        if self._formula is None:
            terms = [z3.And(c) if len(c) > 1 else c[0] if c else z3.BoolVal(True) for c in self.copies]
            self._formula = z3.Or(terms) if len(terms) > 1 else terms[0]
        return self._formula

    @property
    def extra(self) -> list[z3.BoolRef]:
        """The query that asks for a case reaching the branch (as one query per `if` asked before)."""
        return list(self.copies[0]) if len(self.copies) == 1 else [self.formula]


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
        groups = list(_groups(expr, ()))
        if not groups:
            continue
        s = _slice(ctx, owner)
        prover = ctx.prover(s) if s is not None else ctx.whole()
        domain = ctx.domain(s) if s is not None else ctx.all_domain()
        assume = domain + ((s.requirements if s is not None else list(ctx.enc.requirements))
                           if eligible_context else [])
        goals: list[_Goal] = []
        k = 0
        for group in groups:
            ctx.tick()
            index = k + 1
            k += len(group)
            then = _Goal(index, group, "then")
            else_ = _Goal(index, group, "else")
            echoes: list[tuple[_Site, bool]] = []
            for site in group:
                if not ctx.parameter_echoes and is_echo(ctx, site.node.cond):
                    # constant only because of a parameter set by date (or, in a month's copy, by the
                    # month): not a finding of its own
                    ctx.echoes += 1
                    echoes.append((site, constant(ctx, site.node.cond) is True))
                    continue
                path = [_holds(ctx, c, pol) for c, pol in site.path]
                cond = ctx.enc.term(site.node.cond)
                then.sites.append(site)
                else_.sites.append(site)
                then.copies.append([*path, cond])
                else_.copies.append([*path, negate(cond)])
            if not then.copies:
                continue  # an echo in every copy
            for site, value in echoes:
                # the branch a copy's constant takes applies wherever that copy is reached
                g = then if value else else_
                g.sites.append(site)
                g.copies.append([_holds(ctx, c, pol) for c, pol in site.path])
            goals += [then, else_]
        engine = partial(_by_engine, ctx, goals, s if eligible_context else None, eligible_context)
        engine(None)
        dead = _cover(ctx, prover, assume, [g for g in goals if not g.alive], engine)
        for then, else_ in zip(goals[::2], goals[1::2], strict=True):
            answers: dict[str, Answer | None] = {}
            for g in (then, else_):
                # a branch the disjunction proved dead needs its own query only for the finding's core
                answers[g.which] = None if g.alive or g in dead else prover.check(assume, g.extra)
            if all(g in dead or isinstance(answers[g.which], Proved) for g in (then, else_)):
                continue  # the `if` itself is never reached: the enclosing dead branch is reported
            node = then.group[0].node
            subject = f"{owner}.if.{then.index}"
            shown = f"`if {text(node.cond)} then ...`"
            for g, keep in ((then, node.else_), (else_, node.then)):
                answer = answers[g.which]
                if g in dead:
                    answer = prover.check(assume, g.extra)  # proved again, with a minimal core
                match answer:
                    case Proved():
                        reqs = [c for c in answer.core if c in ctx.enc.requirements]
                        context = (" for anyone who qualifies (" + ", ".join(f"`{r}`" for r in reqs) + ")"
                                   if reqs else "")
                        ctx.add("dead_branch", f"{subject}.{g.which}", node, article, list(answer.core),
                                f"the `{g.which}` branch of {shown} in `{owner}` never applies{context}: "
                                f"the condition is always {'false' if g.which == 'then' else 'true'} there",
                                proposal=f"replace {shown} by `{text(keep)}`")
                    case Unknown():
                        ctx.undecided("dead_branch", subject, node, answer.reason)


def _cover(ctx: Context, prover: Prover, assume: list[str], goals: list[_Goal],
           engine: Callable[[Iterable[dict[str, Value]] | None], None]) -> set[_Goal]:
    """Coverage by disjunction: ask for one case that reaches ANY of the branches not yet shown
    alive, mark every branch that case reaches (each evaluated in the model), let the engine try
    the case's neighbours on the rest, and repeat. When the disjunction is unsat, every branch
    left is dead (one proof for all of them): the set returned. A disjunction the solver cannot
    decide leaves its branches to their own queries."""
    todo = list(goals)
    while todo:
        answer = prover.check(assume, [z3.Or([g.formula for g in todo])], minimize=False)
        if isinstance(answer, Proved):
            return set(todo)
        if not isinstance(answer, Refuted):
            return set()
        model = answer.model
        if not all(_holds_in(model, prover.meaning[a]) for a in assume):
            return set()  # a partial model whose completion is no case (cannot happen): each asks alone
        reached = [g for g in todo if _holds_in(model, g.formula)]
        if not reached:
            return set()  # the model shows none of them (cannot happen): each asks on its own
        for g in reached:
            g.alive = True
        todo = [g for g in todo if not g.alive]
        case = ctx.complete(answer.case)
        seeds(ctx).append(case)
        if todo:
            engine(_neighbours(ctx, case, todo))
            todo = [g for g in todo if not g.alive]
    return set()


def _holds_in(model: z3.ModelRef, x: z3.BoolRef) -> bool:
    return z3.is_true(model.eval(x, model_completion=True))


def _neighbours(ctx: Context, case: dict[str, Value], goals: list[_Goal]) -> Iterator[dict[str, Value]]:
    """A case the solver found, and that case with one answer the branches left read moved to a value
    the engine's probes try (next to a constant of the rules; a date some years before the
    reference date): the k-th child's branch is often the (k-1)-th child's with its own date."""
    names: set[str] = set()
    for g in goals:
        for site in g.sites:
            names |= ctx.deps.of_expr(site.node.cond)
            for c, _ in site.path:
                names |= ctx.deps.of_expr(c)
    yield case
    for decl in ctx.reg.inputs:
        if decl.name in names:
            for value in candidate_values(ctx, decl):
                if value != case[decl.name]:
                    yield {**case, decl.name: value}


# cases the engine tries per declaration before the solver (each case is tried on every `if` of the
# declaration not yet shown alive), and how many in a row may show nothing new before it stops: past
# that, one query of the coverage by disjunction is cheaper
BRANCH_PROBES = 200
BRANCH_STALE = 40


def _by_engine(ctx: Context, goals: list[_Goal], s: Slice | None, eligible: bool,
               cases: Iterable[dict[str, Value]] | None = None) -> None:
    """Mark the branches the engine takes on cases it evaluates that reach their `if` (its path
    holds; and, in the context of eligibility, every requirement of the slice holds): alive, with no
    solver. (On a case the engine evaluates without an error, a term has the engine's value.) One
    environment per case serves every `if` of the declaration, so each definition is computed once."""
    todo = [g for g in goals if not g.alive]
    if not todo:
        return
    # per site: the closures of its path's conditions and of its own, each with the value that
    # reaches the branch; one closure per node, so that a condition the copies share is computed
    # once per case
    fns: dict[int, Compiled] = {}
    steps: dict[int, list[tuple[int, bool]] | None] = {}

    def closure(e: n.Expr) -> int:
        if id(e) not in fns:
            fns[id(e)] = ctx.prog.expr(e)
        return id(e)

    for g in todo:
        for site in g.sites:
            if id(site) not in steps:
                try:
                    steps[id(site)] = [(closure(c), pol) for c, pol in site.path] + [(closure(site.node.cond), True)]
                except RuleError:
                    steps[id(site)] = None
    reqs = (s.requirements if s is not None else list(ctx.enc.requirements)) if eligible else []
    failures = (EvaluationError, ArithmeticError)
    shown = 0
    failed = object()
    stale = 0

    def probe(case: dict[str, Value]) -> bool:
        nonlocal todo, shown, stale
        stale += 1
        if stale > BRANCH_STALE:
            return True
        env = Env(dict(case))
        values: dict[int, object] = {}

        def value(key: int) -> object:
            got = values.get(key, values)
            if got is values:
                try:
                    got = fns[key](env)
                except failures:
                    got = failed
                values[key] = got
            return got

        qualifies: bool | None = None
        with decimal.localcontext(v.EXACT):
            for g in todo:
                want = g.which == "then"
                for site in g.sites:
                    path = steps[id(site)]
                    if path is None:
                        continue
                    *reach, (cond, _) = path
                    if not all(value(key) is pol for key, pol in reach) or value(cond) is not want:
                        continue
                    if qualifies is None:
                        qualifies = not reqs or all(x is True for x in ctx.requirement_status(case, reqs).values())
                    if not qualifies:
                        return False  # no branch counts on a case that does not qualify
                    g.alive = True
                    shown += 1
                    stale = 0
                    break
        todo = [g for g in todo if not g.alive]
        return not todo

    if cases is None:
        find_case(ctx, probe, BRANCH_PROBES)
    else:
        for case in cases:
            try:
                if probe(case):
                    break
            except (EvaluationError, ArithmeticError):
                continue
    ctx.stats.without_solver += shown


def _groups(e: n.Expr, path: tuple[tuple[n.Expr, bool], ...]) -> Iterator[Group]:
    """The `if`s of an expression, each with its copies: the copies of the body of a `sum for each
    month` are alike, so the k-th `if` of each month's copy is the same `if` as written."""
    match e:
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit() | n.Name():
            return
        case n.Unary():
            yield from _groups(e.operand, path)
        case n.Binary():
            yield from _groups(e.left, path)
            if e.op in ("and", "implies"):
                yield from _groups(e.right, (*path, (e.left, True)))
            elif e.op == "or":
                yield from _groups(e.right, (*path, (e.left, False)))
            else:
                yield from _groups(e.right, path)
        case n.InSet():
            yield from _groups(e.operand, path)
            for o in e.options:
                yield from _groups(o, path)
        case n.If():
            yield [_Site(e, path)]
            yield from _groups(e.cond, path)
            yield from _groups(e.then, (*path, (e.cond, True)))
            yield from _groups(e.else_, (*path, (e.cond, False)))
        case n.MonthSum() if len(e.months) > 1:
            yield from _groups(e.args[0], path)
            months = [list(_groups(m, path)) for m in e.months]
            if any(len(m) != len(months[0]) for m in months):  # not alike after all: each on its own
                for m in months:
                    yield from m
                return
            for copies in zip(*months, strict=True):
                yield [site for group in copies for site in group]
        case n.Call():
            for a in e.args:
                yield from _groups(a, path)
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
