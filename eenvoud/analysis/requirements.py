"""Contradictions and redundant requirements.

Contradiction: the requirements of a slice, with the input domains, are unsat iff no case meets
them all: nobody qualifies. The finding cites a minimal conflicting set.

Redundant requirement: `others ∧ domain ∧ ¬r` is unsat iff every case that meets the other
requirements meets `r` too. Eligibility is the conjunction of the requirements and amounts are paid
only when eligible, so removing `r` then changes no outcome. The requirements are taken greedily,
last first, against the shrinking set of those kept: what is reported redundant can be removed
all together, and of two identical requirements only the later one is reported.

Cheap before expensive: before a requirement goes to the solver, (1) a requirement identical to one
kept (the same Z3 term; z3 hash-conses terms) or (2) a single-input bound implied by another bound
or by the input's domain (an interval sweep) names its likely core, so that the solver is asked a
two-formula question; (3) a case that fails only this requirement, found by moving the base case
to the boundaries of the requirement's constants and deciding it with the engine, proves the
requirement is needed with no solver at all. Being needed is monotone (fewer other requirements
only make a failing case easier to find), so it stays true as the set shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import assert_never

import z3

from eenvoud.analysis.context import Context, Disagreement
from eenvoud.analysis.encode import FALSE, TRUE, conjunction, disjunction, negate, numbers_in
from eenvoud.analysis.prover import Proved, Refuted, Unknown
from eenvoud.analysis.slices import Slice
from eenvoud.analysis.terms import either
from eenvoud.analysis.thresholds import first_failing
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.printer import expr as printer_expr


def contradictions(ctx: Context) -> None:
    """Find the slices whose requirements no case meets; build the base case from the others."""
    for s in ctx.slices:
        if not s.requirements and not any(k in ctx.enc.failures for k in s.failures):
            continue  # nothing to meet and nothing that can fail: any answers do
        prover = ctx.prover(s)
        # the base case: every requirement of the slice holds and nothing in it fails to evaluate
        # (an eligible case whose amounts and documents the engine computes)
        clean = negate(ctx.enc.outcome(s.requirements, s.amounts, s.documents).err)
        answer = prover.check(s.requirements + ctx.domain(s), [] if z3.is_true(clean) else [clean])
        ctx.tick()
        if isinstance(answer, Proved):
            # is anyone eligible at all, errors aside? If so, every such case is an error
            bare = prover.check(s.requirements + ctx.domain(s),
                                [negate(disjunction(ctx.enc.requirement_error(r) for r in s.requirements))],
                                witness=False)
            answer = bare if not isinstance(bare, Refuted) else Proved(())
        match answer:
            case Refuted():
                ctx.base.update({k: answer.case[k] for k in s.inputs})
            case Proved() if not any(c in s.requirements for c in answer.core):
                # no requirement is to blame: every case of this slice that meets its requirements
                # cannot be evaluated (a division by zero, a bracket gap): an error for everyone
                # who would qualify; the gap or failure analyses report where
                ctx.contradiction = True
                ctx.consistency_unknown = True
                ctx.undecided("contradiction", ", ".join(s.requirements or s.amounts or s.documents), None,
                              "the engine cannot evaluate any case that meets the requirements: every one "
                              "divides by zero or falls in a bracket gap")
            case Proved():
                ctx.contradiction = True
                reqs = [c for c in answer.core if c in s.requirements]
                last = ctx.requirement_decl[reqs[-1]] if reqs else None
                names = " and ".join(f"`{r}`" for r in reqs) if len(reqs) < 3 else \
                    ", ".join(f"`{r}`" for r in reqs[:-1]) + f" and `{reqs[-1]}`"
                ctx.add("contradiction", ", ".join(reqs), last, ctx.article(reqs[-1]) if reqs else None,
                        list(answer.core),
                        f"no case meets {names} together" + _domain_note(answer.core)
                        + ": nobody qualifies", proposal="repeal or amend one of " + names)
            case Unknown():
                ctx.contradiction = True  # not known to be consistent: claim nothing vacuous
                ctx.consistency_unknown = True
                ctx.undecided("contradiction", ", ".join(s.requirements), None, answer.reason)
    if not ctx.contradiction:
        base = ctx.decide(ctx.base)
        if base.error is not None:
            raise Disagreement(f"the engine cannot decide the base case of `{ctx.reg.name}`: {base.error.message}")
        if base.eligible is not True:
            raise Disagreement(f"the engine finds the base case of `{ctx.reg.name}` not eligible")


def redundant(ctx: Context) -> None:
    if ctx.contradiction:
        return  # when nobody qualifies every requirement is vacuously redundant: say nothing
    for s in ctx.slices:
        _redundant_in(ctx, s)


def _redundant_in(ctx: Context, s: Slice) -> None:
    prover = ctx.prover(s)
    domain = ctx.domain(s)
    kept = list(s.requirements)
    needed = _needed_by_engine(ctx, s)
    bounds = {r: _bound(ctx, r) for r in s.requirements}
    # a requirement's normal form and the id of its term (z3 hash-conses terms: two requirements
    # with the same term have the same id), to find an identical one without asking Z3 each time
    texts = {r: (normal_form(ctx.requirement_decl[r]), ctx.enc.requirements[r].holds.get_id())
             for r in s.requirements}
    errors = _Errors(ctx, s)
    for r in reversed(s.requirements):
        ctx.tick()
        if r in needed:
            ctx.stats.without_solver += 1
            continue
        others = [x for x in kept if x != r]
        query = [errors.query(r, others)]
        hint = _hint(ctx, r, others, bounds, domain, texts)
        # only whether a case exists that fails r alone matters, never the case: witness=False
        answer = prover.check(hint + domain, query, witness=False) if hint is not None else None
        if not isinstance(answer, Proved):
            answer = prover.check(others + domain, query, witness=False)
        match answer:
            case Proved():
                kept.remove(r)
                ctx.redundant.append(r)
                _report(ctx, r, answer.core, texts)
            case Refuted():
                pass
            case Unknown():
                ctx.undecided("redundant_requirement", r, ctx.requirement_decl[r], answer.reason)


class _Errors:
    """Whether `r` matters, per requirement of one slice: some case has another outcome with `r`
    than without it, given that the `others` do not fail (they are the prover's assumptions, and
    a case failing one of them is not eligible either way): `r` fails, or `r` cannot be evaluated
    where nothing else in the slice fails to evaluate (with `r` the case is an error, without it
    it is eligible). Errors are outcomes: a requirement that keeps a case away from a bracket gap
    or a division by zero is needed.

    The parts that do not depend on `r` are sorted out once per slice (folding every other
    requirement's error condition again per question was quadratic in the slice), giving the
    same term as `disjunction` would, so that the solver sees the same query."""

    def __init__(self, ctx: Context, s: Slice):
        self.ctx = ctx
        self.error = {x: ctx.enc.requirement_error(x) for x in s.requirements}
        # an error condition that folded to false adds nothing to a disjunction; one that is true
        # makes it true
        self.open = {x for x, e in self.error.items() if not z3.is_false(e)}
        self.certain = {x for x in self.open if z3.is_true(self.error[x])}
        self.tail = [f for f in (*(ctx.enc.failures.get(f"amount {a}", FALSE) for a in s.amounts),
                                 *(ctx.enc.failures.get(f"document {d}", FALSE) for d in s.documents))
                     if not z3.is_false(f)]
        self.tail_true = any(z3.is_true(f) for f in self.tail)

    def matters(self, r: str, others: list[str]) -> z3.BoolRef:
        parts = [x for x in others if x in self.open]
        if self.tail_true or any(x in self.certain for x in parts):
            rest = TRUE  # as `disjunction`: a part that is true makes it true
        else:
            terms = [self.error[x] for x in parts] + self.tail
            rest = FALSE if not terms else terms[0] if len(terms) == 1 else either(terms)
        return disjunction([self.ctx.enc.fails(r), conjunction([self.error[r], negate(rest)])])

    def query(self, r: str, others: list[str]) -> z3.BoolRef:
        """`matters(r, others)`, the same term, with `r` in `open` (its error condition neither
        false nor true) asked about without `negate` and `conjunction`'s calls into Z3 per part:
        the error condition of `r` folded to false (the common case: nothing in `r` can fail to
        evaluate) leaves `fails(r)` alone."""
        if r not in self.open:
            return self.ctx.enc.fails(r)
        return self.matters(r, others)


def _report(ctx: Context, r: str, core: tuple[str, ...],
            texts: dict[str, tuple[str, int]] | None = None) -> None:
    """`texts`: the normal forms and term ids of the slice's requirements, when known (see
    `_redundant_in`): the same test as z3.eq and normal_form, without recomputing them."""
    decl = ctx.requirement_decl[r]
    reqs = [c for c in core if c in ctx.requirement_decl]

    def text(x: str) -> tuple[str, int]:
        got = texts.get(x) if texts is not None else None
        return got if got is not None else (normal_form(ctx.requirement_decl[x]),
                                            ctx.enc.requirements[x].holds.get_id())

    mine = text(r)
    same = [x for x in reqs if text(x)[1] == mine[1] or text(x)[0] == mine[0]]
    if same:
        why = f"it says the same as `{same[0]}`"
    elif reqs:
        why = "every case that meets " + " and ".join(f"`{x}`" for x in reqs) + " meets it too"
    else:
        why = "every case allowed by the input domains meets it"
    extra = _domain_note(core)
    ctx.add("redundant_requirement", r, decl, ctx.article(r), list(core),
            f"`{r}` is redundant: {why}{extra}; removing it changes no outcome",
            proposal=f"remove requirement `{r}`")


def _domain_note(core: tuple[str, ...]) -> str:
    domains = [c for c in core if c.startswith("domain of ")]
    return f" (given the {' and the '.join(domains)})" if domains else ""


# -- cheap passes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A single-input bound `lo <=/< x <=/< hi`, on the input's grid."""

    input: str
    lo: Fraction | None
    lo_strict: bool
    hi: Fraction | None
    hi_strict: bool

    def within(self, other: Interval) -> bool:
        """Every value in self is in other."""
        if other.lo is not None:
            if self.lo is None or self.lo < other.lo or (self.lo == other.lo and other.lo_strict
                                                         and not self.lo_strict):
                return False
        if other.hi is not None:
            if self.hi is None or self.hi > other.hi or (self.hi == other.hi and other.hi_strict
                                                         and not self.hi_strict):
                return False
        return True

    def meet(self, other: Interval) -> Interval:
        lo, lo_s = self.lo, self.lo_strict
        if other.lo is not None and (lo is None or other.lo > lo or (other.lo == lo and other.lo_strict)):
            lo, lo_s = other.lo, other.lo_strict
        hi, hi_s = self.hi, self.hi_strict
        if other.hi is not None and (hi is None or other.hi < hi or (other.hi == hi and other.hi_strict)):
            hi, hi_s = other.hi, other.hi_strict
        return Interval(self.input, lo, lo_s, hi, hi_s)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def _bound(ctx: Context, r: str) -> Interval | None:
    """The requirement as an interval on one numeric input, when it is that simple."""
    decl = ctx.requirement_decl[r]
    e = decl.condition
    if decl.exemptions or not isinstance(e, n.Binary) or e.op not in _FLIP:
        return None
    if isinstance(e.left, n.Name) and _is_literal(e.right):
        name, op, lit = e.left.name, e.op, e.right
    elif isinstance(e.right, n.Name) and _is_literal(e.left):
        name, op, lit = e.right.name, _FLIP[e.op], e.left
    else:
        return None
    sym = ctx.reg.symbols.get(name)
    if sym is None or sym.kind != "input" or not isinstance(sym.type, t.IntType | t.MoneyType | t.DecimalType):
        return None
    assert isinstance(lit, n.IntLit | n.DecimalLit | n.MoneyLit)
    c = Fraction(lit.value)
    unit = Fraction(1) if isinstance(sym.type, t.IntType) else Fraction(1, 100) if isinstance(sym.type, t.MoneyType) else None
    lo = hi = None
    lo_s = hi_s = False
    match op:
        case ">=":
            lo = c
        case ">":
            lo, lo_s = c, True
        case "<=":
            hi = c
        case "<":
            hi, hi_s = c, True
        case "==":
            lo = hi = c
    if unit is not None:  # on a grid, a strict bound is the next point of the grid
        if lo is not None:
            lo = _floor_to(lo, unit) + unit if lo_s else _ceil_to(lo, unit)
        if hi is not None:
            hi = _ceil_to(hi, unit) - unit if hi_s else _floor_to(hi, unit)
        lo_s = hi_s = False
    return Interval(name, lo, lo_s, hi, hi_s)


def _ceil_to(x: Fraction, unit: Fraction) -> Fraction:
    return Fraction(-((-x / unit).__floor__())) * unit


def _floor_to(x: Fraction, unit: Fraction) -> Fraction:
    return Fraction((x / unit).__floor__()) * unit


def _is_literal(e: n.Expr) -> bool:
    return isinstance(e, n.IntLit | n.DecimalLit | n.MoneyLit)


_COMMUTATIVE = ("and", "or", "+", "*", "==", "!=")
_MIRROR = {">": "<", ">=": "<="}
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


def normal_form(r: n.Requirement) -> str:
    """The requirement's text with the order of commutative operands, the direction of comparisons
    and negated comparisons normalised: two requirements with the same normal form say the same
    thing (hash-normalised duplicates; the solver still confirms)."""
    parts = [_normal(r.condition)] + sorted(_normal(x.condition) for x in r.exemptions)
    return " unless ".join(parts)


def _normal(e: n.Expr) -> str:
    match e:
        case n.Binary() if e.op in _MIRROR:
            return _normal(n.Binary(_MIRROR[e.op], e.right, e.left))
        case n.Binary() if e.op in _COMMUTATIVE:
            left, right = sorted((_normal(e.left), _normal(e.right)))
            return f"({left} {e.op} {right})"
        case n.Binary():
            return f"({_normal(e.left)} {e.op} {_normal(e.right)})"
        case n.Unary() if e.op == "not" and isinstance(e.operand, n.Binary) and e.operand.op in _NEGATED:
            inner = e.operand
            return _normal(n.Binary(_NEGATED[inner.op], inner.left, inner.right))
        case n.Unary():
            return f"({e.op} {_normal(e.operand)})"
        case n.InSet():
            return f"({_normal(e.operand)} in " + ", ".join(sorted(_normal(o) for o in e.options)) + ")"
        case n.If():
            return f"(if {_normal(e.cond)} then {_normal(e.then)} else {_normal(e.else_)})"
        case n.Call():
            return f"{e.func}(" + ", ".join(_normal(a) for a in e.args) + ")"
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit() | n.Name():
            return printer_expr(e)
        case _:
            assert_never(e)


def _domain_interval(ctx: Context, name: str) -> Interval:
    typ = ctx.reg.symbols[name].type
    lo = getattr(typ, "lo", None)
    hi = getattr(typ, "hi", None)
    return Interval(name, None if lo is None else Fraction(lo), False, None if hi is None else Fraction(hi), False)


def _hint(ctx: Context, r: str, others: list[str], bounds: dict[str, Interval | None],
          domain: list[str], texts: dict[str, tuple[str, int]]) -> list[str] | None:
    """A likely small core for `r`: an identical kept requirement, or a bound (with the domain)
    that lies inside r's bound. None when there is no such shortcut. `texts`: the normal forms
    and term ids."""
    mine_text, mine_id = texts[r]
    for x in others:
        if texts[x][1] == mine_id or texts[x][0] == mine_text:
            return [x]
    mine = bounds.get(r)
    if mine is None:
        return None
    dom = _domain_interval(ctx, mine.input)
    if dom.within(mine):
        return []
    for x in others:
        b = bounds.get(x)
        if b is not None and b.input == mine.input and b.meet(dom).within(mine):
            return [x]
    return None


def _needed_by_engine(ctx: Context, s: Slice) -> set[str]:
    """Requirements for which the engine decides a case that fails them alone: needed."""
    if len(s.requirements) < 2:
        return set()
    out: set[str] = set()
    # the base case on the slice's inputs only: the slice's requirements read no other input, and
    # copying the whole regulation's base case per moved case (twice: here and in the engine's
    # environment) cost more than evaluating it on the hard generated set
    base = {k: ctx.base[k] for k in s.inputs if k in ctx.base}
    for r in s.requirements:
        decl = ctx.requirement_decl[r]
        others = [x for x in s.requirements if x != r]  # reordered by all_hold: a blocker first
        for name, value in _boundary_values(ctx, decl):
            case = {**base, name: value}
            # r first: most moved cases still meet it, and then the others need no evaluation
            if ctx.requirement_status(case, [r])[r] is not False:
                continue
            if ctx.all_hold(case, others):
                out.add(r)  # with r: not eligible; without it: eligible or an error
                break
        else:
            # where the requirement starts to fail may lie far from its own constants (a bound on
            # a definition with a bracket of rates, an age from a birth date): each answer moved
            # to the first value that fails it, found by bisection
            for name, value in first_failing(ctx, r, decl, base):
                if ctx.all_hold({**base, name: value}, others):
                    out.add(r)
                    break
    return out


def _linear_values(ctx: Context, decl: n.Requirement) -> list[tuple[str, Value]]:
    """For a bound on a sum of whole-number inputs with whole coefficients (`3 * a + 2 * b <= 140`):
    the values of each input, the others as in the base case, next to where the sum meets the
    bound (the constants themselves are rarely near it)."""
    e = decl.condition
    if not isinstance(e, n.Binary) or e.op not in ("<", "<=", ">", ">=") or not isinstance(e.right, n.IntLit):
        return []
    terms: dict[str, int] = {}
    if not _linear_terms(e.left, terms):
        return []
    base: dict[str, int] = {}
    for name in terms:
        sym = ctx.reg.symbols.get(name)
        value = ctx.base.get(name)
        if sym is None or sym.kind != "input" or not isinstance(sym.type, t.IntType) \
                or not isinstance(value, int) or isinstance(value, bool):
            return []  # a definition, a parameter, money: not this simple
        base[name] = value
    out: list[tuple[str, Value]] = []
    for name, c in terms.items():
        if not c:
            continue
        rest = e.right.value - sum(k * base[x] for x, k in terms.items() if x != name)
        at = Fraction(rest, c)
        dom = _domain_interval(ctx, name)
        for x in (at.__floor__() - 1, at.__floor__(), at.__ceil__(), at.__ceil__() + 1):
            if (dom.lo is None or x >= dom.lo) and (dom.hi is None or x <= dom.hi):
                out.append((name, x))
    return out


def _linear_terms(e: n.Expr, into: dict[str, int]) -> bool:
    """`e` as a sum of `whole * input` (or a lone input): the coefficients, added into `into`."""
    match e:
        case n.Binary(op="+", left=left, right=right):
            return _linear_terms(left, into) and _linear_terms(right, into)
        case n.Binary(op="*", left=n.IntLit(value=k), right=n.Name(name=name)) | \
                n.Binary(op="*", left=n.Name(name=name), right=n.IntLit(value=k)):
            pass
        case n.Name(name=name):
            k = 1
        case _:
            return False
    into[name] = into.get(name, 0) + k
    return True


def _boundary_values(ctx: Context, decl: n.Requirement) -> list[tuple[str, Value]]:
    """Values of the requirement's inputs next to the constants it mentions: where a single
    requirement typically starts to fail. (Whole numbers and cents are counted as integers of the
    input's unit: Fraction arithmetic per value cost more than the engine's evaluation of the case.)"""
    found: list[Decimal] = []
    numbers_in(decl.condition, found)
    consts = [Fraction(x) for x in found]
    out: list[tuple[str, Value]] = []
    for name in sorted(ctx.deps.of_requirement(decl)):
        typ = ctx.reg.symbols[name].type
        match typ:
            case t.BoolType():
                out.append((name, not ctx.base[name]))
            case t.EnumType():
                out += [(name, m) for m in typ.members if m != ctx.base[name]]
            case t.IntType() | t.MoneyType():
                dom = _domain_interval(ctx, name)
                scale = 1 if isinstance(typ, t.IntType) else 100  # units of the grid per 1
                # the domain's bounds in units, rounded inward (a value on the grid is within them
                # exactly when it is within these)
                lo = None if dom.lo is None else -((-dom.lo.numerator * scale) // dom.lo.denominator)
                hi = None if dom.hi is None else (dom.hi.numerator * scale) // dom.hi.denominator
                for c in consts:
                    floor = (c.numerator * scale) // c.denominator
                    ceil = -((-c.numerator * scale) // c.denominator)
                    for x in (floor - 1, ceil + 1, floor):
                        if (lo is None or x >= lo) and (hi is None or x <= hi):
                            out.append((name, x if scale == 1 else Decimal(x).scaleb(-2)))
            case t.DecimalType() | t.DateType():
                pass
    out += _linear_values(ctx, decl)
    # a value reached from two constants (the requirement's coefficients are constants too) is
    # one case: a quarter of the hard generated set's were repeats
    return list(dict.fromkeys(out))
