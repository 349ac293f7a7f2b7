"""Bracket rows that overlap, and values of the key that no row covers.

The rows in force on the reference date are intervals `lo <= key < hi` over constants, so the
candidates come from a sweep over their bounds (as DMN table verifiers do), without a solver:
the uncovered stretches of the line, and the maximal groups of rows that share a stretch (one
finding per group, not one per pair). Each candidate then goes to Z3: `domain ∧ key ∈ stretch`
is sat iff some case reaches it, and only a reachable one is reported, with that case as witness.
The engine replays it: on a gap it stops with "no row covers", on an overlap it takes the first
row of the group and never reads the others there. A gap is reported only when a case that fails
no requirement reaches it (its outcome is then an error); one that only ineligible cases reach is
guarded by the requirements and harms no one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import z3

from eenvoud.analysis.context import Context
from eenvoud.analysis.encode import conjunction, fold, literal, same_sort
from eenvoud.analysis.prover import Prover, Refuted, Unknown
from eenvoud.engine import values as v
from eenvoud.engine.evaluate import Env, bracket_rows
from eenvoud.engine.facts import literal_value
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.printer import expr
from eenvoud.ir.printer import literal as lit_text

Point = Fraction | int  # a numeric bound, or a date as its ordinal


@dataclass(frozen=True)
class Stretch:
    """lo <= key < hi; None is unbounded."""

    lo: Point | None
    hi: Point | None


def brackets(ctx: Context) -> None:
    bare: dict[int, Prover] = {}
    for b in ctx.reg.brackets:
        version = bracket_rows(b, ctx.day)
        if version is None:
            continue
        ctx.tick()
        rows = [(_point(r.lo), _point(r.hi)) for r in version.rows]
        key_type = ctx.reg.type_of(b.key)
        key = ctx.enc.term(b.key)
        # The slice of the key's inputs: with the other inputs as in the base case (every other
        # requirement holds, nothing else fails) a case's outcome is that of its slice; asking
        # about the whole regulation made each bracket's queries as large as the regulation
        # (quadratic on the generated sets). Not when nobody qualifies: the base case is no such case.
        reads = ctx.deps.of_expr(b.key)
        s = ctx.slice_of("input", min(reads)) if reads and not ctx.contradiction else ctx.everything
        # the case's outcome is an error (it fails no requirement, and something cannot be evaluated)
        not_ineligible = ctx.enc.outcome(s.requirements, s.amounts, s.documents).err
        prover = bare.get(id(s))
        if prover is None:
            prover = bare[id(s)] = Prover({k: ctx.enc.inputs[k] for k in sorted(s.inputs)}, [], ctx.budget,
                                          ctx.stats)
            for ax in ctx.enc.axioms.values():
                if ax.input in s.inputs:
                    prover.name(ax.name, ax.formula)
        domain = ctx.domain(s)
        for gap in _gaps(rows):
            # only a gap that a case reaches without failing a requirement matters: such a case's
            # outcome is an error; a gap that only ineligible cases reach is guarded by the law
            answer = prover.check(domain, [_inside(key, gap, key_type), not_ineligible])
            match answer:
                case Refuted():
                    case = ctx.complete(answer.case)
                    decision = ctx.decide(case)
                    error = decision.error.message if decision.error is not None else None
                    if error is None or f"bracket `{b.name}`" not in error:
                        ctx.undecided("bracket_gap", b.name, b, "a case that qualifies reaches the gap, but the "
                                      "engine does not read the bracket there")
                        continue
                    shown = _stretch_text(gap, key_type)
                    ctx.add("bracket_gap", f"{b.name}", version, b.label, [],
                            f"no row of `{b.name}` covers `{_key_text(b)}` {shown}, and a case that meets every "
                            "requirement reaches it: its outcome is an error, not a decision",
                            ctx.witness_raw(case, f"the engine stops: {error}"),
                            proposal=f"give `{b.name}` a row for `{_key_text(b)}` {shown}, or a requirement "
                                     "that excludes such cases")
                case Unknown():
                    ctx.undecided("bracket_gap", b.name, b, answer.reason)
        for group, stretch in _overlaps(rows):
            answer = prover.check(domain, [_inside(key, stretch, key_type)])
            match answer:
                case Refuted():
                    answer = Refuted(ctx.complete(answer.case), answer.model, answer.also)
                    numbers = _and([str(i + 1) for i in group])
                    first = version.rows[group[0]]
                    if _engine_value(ctx, b, answer.case) != literal_value(first.value):
                        ctx.undecided("bracket_overlap", b.name, b, "the encoding and the engine disagree on a "
                                      "witness: please report this")
                        continue
                    values = {lit_text(version.rows[i].value) for i in group}
                    same = " (they give the same value)" if len(values) == 1 else ""
                    ctx.add("bracket_overlap", f"{b.name}.rows." + ",".join(str(i + 1) for i in group),
                            version.rows[group[1]], b.label, [],
                            f"rows {numbers} of `{b.name}` overlap for `{_key_text(b)}` "
                            f"{_stretch_text(stretch, key_type)}{same}: the first, {lit_text(first.value)}, "
                            "applies and the others never do there",
                            ctx.witness_raw(answer.case, f"row {group[0] + 1} applies"),
                            proposal=f"make the rows {numbers} of `{b.name}` meet without overlapping")
                case Unknown():
                    ctx.undecided("bracket_overlap", b.name, b, answer.reason)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _point(bound: n.Literal | None) -> Point | None:
    if bound is None:
        return None
    if isinstance(bound, n.DateLit):
        return bound.value.toordinal()
    assert isinstance(bound, n.IntLit | n.DecimalLit | n.MoneyLit)
    return Fraction(bound.value)


def _lt(a: Point | None, b: Point | None, a_is_lo: bool, b_is_lo: bool) -> bool:
    """a < b on the extended line, where None is -inf as a lower bound and +inf as an upper one."""
    if a is None:
        return a_is_lo and not (b is None and b_is_lo)
    if b is None:
        return not b_is_lo
    return a < b


def _gaps(rows: list[tuple[Point | None, Point | None]]) -> list[Stretch]:
    """The stretches no row covers, by a sweep over the rows sorted by their lower bound."""
    live = sorted((r for r in rows if r[0] is None or r[1] is None or r[0] < r[1]),
                  key=lambda r: (r[0] is not None, r[0] if r[0] is not None else 0))
    out: list[Stretch] = []
    reach: Point | None = None  # everything below `reach` is covered; None at the start: nothing
    started = False
    for lo, hi in live:
        if not started:
            if lo is not None:
                out.append(Stretch(None, lo))
            started = True
            reach = hi
            if hi is None:
                return out
            continue
        assert reach is not None
        if lo is not None and lo > reach:
            out.append(Stretch(reach, lo))
        if hi is None:
            return out
        if hi > reach:
            reach = hi
    if not started:
        return [Stretch(None, None)]
    out.append(Stretch(reach, None))
    return out


def _overlaps(rows: list[tuple[Point | None, Point | None]]) -> list[tuple[list[int], Stretch]]:
    """Maximal groups of rows that share a stretch of the line, each with one such stretch."""
    points = sorted({p for r in rows for p in r if p is not None})
    cuts: list[Stretch] = []
    edges: list[Point | None] = [None, *points, None]
    for a, b in zip(edges, edges[1:], strict=False):
        cuts.append(Stretch(a, b))
    groups: list[tuple[list[int], Stretch]] = []
    for cut in cuts:
        members = [i for i, (lo, hi) in enumerate(rows) if _covers(lo, hi, cut)]
        if len(members) < 2:
            continue
        if any(set(members) <= set(g) for g, _ in groups):
            continue
        groups = [(g, s) for g, s in groups if not set(g) < set(members)]
        groups.append((members, cut))
    return groups


def _covers(lo: Point | None, hi: Point | None, cut: Stretch) -> bool:
    lo_ok = lo is None or (cut.lo is not None and lo <= cut.lo)
    hi_ok = hi is None or (cut.hi is not None and cut.hi <= hi)
    nonempty = cut.lo is None or cut.hi is None or cut.lo < cut.hi
    return lo_ok and hi_ok and nonempty


def _inside(key: z3.ExprRef, s: Stretch, key_type: t.Type) -> z3.BoolRef:
    parts = []
    plain = t.strip_domain(key_type)
    for bound, is_lo in ((s.lo, True), (s.hi, False)):
        if bound is None:
            continue
        c = z3.IntVal(int(bound)) if isinstance(plain, t.DateType) else literal(_as_literal(bound, plain), plain)
        k, c = same_sort(key, c)
        parts.append(fold(c <= k) if is_lo else fold(k < c))
    return conjunction(parts)


def _as_literal(x: Point, typ: t.Type) -> n.Literal:
    f = Fraction(x)
    if isinstance(typ, t.IntType) and f.denominator == 1:
        return n.IntLit(int(f))
    value = Decimal(f.numerator) / Decimal(f.denominator)
    return n.MoneyLit(value) if isinstance(typ, t.MoneyType) else n.DecimalLit(value)


def _stretch_text(s: Stretch, key_type: t.Type) -> str:
    def show(p: Point) -> str:
        if isinstance(t.strip_domain(key_type), t.DateType):
            return date.fromordinal(int(p)).isoformat()
        return lit_text(_as_literal(p, t.strip_domain(key_type)))

    if s.lo is None and s.hi is None:
        return "at any value"
    if s.lo is None:
        return f"below {show(s.hi)}"  # type: ignore[arg-type]
    if s.hi is None:
        return f"from {show(s.lo)} up"
    return f"from {show(s.lo)} to below {show(s.hi)}"


def _key_text(b: n.Bracket) -> str:
    return expr(b.key)


def _engine_value(ctx: Context, b: n.Bracket, case: Mapping[str, Value]) -> object:
    """The bracket's value for a case, by the engine (the first row that holds the key)."""
    try:
        with v.localcontext_exact():
            return ctx.prog.name(b.name)(Env(dict(case)))
    except EvaluationError as exc:
        return exc


def _engine_error(ctx: Context, b: n.Bracket, case: Mapping[str, Value]) -> str | None:
    env = Env(dict(case))
    try:
        with v.localcontext_exact():
            ctx.prog.name(b.name)(env)
    except EvaluationError as exc:
        return str(exc)
    return None
