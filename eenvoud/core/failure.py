"""What may fail: for each core term, the inputs an answer to which can make its evaluation fail.

The engine raises in three places only (nodes.py): a `Lookup` no row of which covers the key, a
`RoundedDivide` by zero, a date shift (`add_days`, `add_months`, `add_years`,
`first_day_of_next_month`) out of the calendar. (Exact arithmetic past 60 digits cannot happen:
a fact has at most 15 digits before the point and 10 after it, `engine.facts.MAX_DIGITS`.) This
pass finds, once per lowered core (a regulation on a date), the nodes of those kinds that may fail
for SOME values of the inputs within their declared domains: conservative and syntactic, with
the range of each node's operands computed by interval arithmetic over the declared domains:

- a bracket whose rows leave a gap, or an open lower or upper end, within the range of its key;
- a division whose divisor's range holds 0;
- a date shift whose extreme arguments leave the years 1 to 9999.

It never claims a node cannot fail when it can (an interval holds every value its term can take),
and may claim it can when it cannot (a guard `if b > 0 then a / b` is not read). A node that may
fail is a hazard; the inputs its operands read are the answers that can make it fail (a hazard
whose operands are all known evaluates as it will in every completion).

The three-valued decision (`engine.decision.decide`) consults it only for a requirement, amount or
document whose evaluation read a missing input: Kleene evaluation reads every node a completion
can reach (an `and` whose left side is unknown evaluates its right side, an `if` whose condition
is unknown both branches), so a completion can fail only at a hazard whose operand was unknown,
that is, through a missing input the term read and that the hazard's operands read. Where that can
happen the decision does not claim eligible or not eligible: an error is an outcome of its own.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, assert_never

from eenvoud.core import nodes as c
from eenvoud.core.dates import at_month, month_index, months_between, next_month, years_between
from eenvoud.ir import types as t

if TYPE_CHECKING:
    from eenvoud.core.lower import Core

INF = Decimal("Infinity")
FIRST = date.min  # 0001-01-01: the engine's calendar, as Python's
LAST = date.max  # 9999-12-31
_LOOSE = decimal.Context(prec=80, traps=[])
_DOWN = decimal.Context(prec=80, rounding=decimal.ROUND_FLOOR, traps=[])
_UP = decimal.Context(prec=80, rounding=decimal.ROUND_CEILING, traps=[])


@dataclass(frozen=True)
class Span:
    """Every value a term can take lies in lo..hi (both included): numbers as Decimals, with
    ±Infinity for an open end, or dates."""

    lo: Decimal | date
    hi: Decimal | date


NUMBERS = Span(-INF, INF)
DATES = Span(FIRST, LAST)


@dataclass(frozen=True)
class Hazard:
    """A node that may fail, why, and the inputs its operands read (the answers that can make it)."""

    node: c.Expr
    why: str
    inputs: frozenset[str]


Abs = bool | str | Span | None  # what a term can be: a truth value, an option, a span; None: anything


class Abstract:
    """The core evaluated over sets of cases: each input a value (a fact), a span (numbers and
    dates), or anything (`None`: its declared domain). `value(e)` holds every value `e` takes
    in those cases (a truth value only when every case agrees); `fails(e)` is False only when no
    case can make evaluating `e` fail, read in the engine's order (the right side of an `and` only
    when the left one may be true, an `if`'s branch only when its condition may choose it).
    Memoised per node: one environment, one evaluation of each node. `visits` counts the nodes
    evaluated, a deterministic measure of its cost."""

    def __init__(self, core: Core, facts: Mapping[str, object] | None = None,
                 spans: Mapping[str, Abs] | None = None):
        self.core = core
        self.facts = facts or {}
        self.spans = spans or {}
        self._values: dict[int, Abs] = {}
        self._fails: dict[int, bool] = {}
        self._keep: list[c.Expr] = []
        self.visits = 0

    # -- values ---------------------------------------------------------------------------------------
    def value(self, e: c.Expr) -> Abs:
        key = id(e)
        if key in self._values:
            return self._values[key]
        self._values[key] = _whole(e.type)  # a cycle (the checker rejects them) reads the whole type
        self.visits += 1
        got = self._value(e)
        self._values[key] = got
        self._keep.append(e)
        return got

    def span(self, e: c.Expr) -> Span | None:
        x = self.value(e)
        return x if isinstance(x, Span) else _whole(e.type) if x is None else None

    def _value(self, e: c.Expr) -> Abs:
        match e:
            case c.Const():
                return _point(e.value)
            case c.InputRef():
                if e.name in self.facts:
                    return _point(self.facts[e.name])
                if e.name in self.spans:
                    return self.spans[e.name]
                return _declared(e.type)
            case c.DefRef():
                got = self.core.definitions.get(e.name)
                return _whole(e.type) if got is None else self.value(got)
            case c.Decided() | c.Paid():
                return _whole(e.type)
            case c.Unary():
                x = self.value(e.operand)
                if e.op is c.UnaryOp.NOT:
                    return (not x) if isinstance(x, bool) else None
                if isinstance(x, Span) and isinstance(x.lo, Decimal) and isinstance(x.hi, Decimal):
                    return Span(-x.hi, -x.lo)
                return _whole(e.type)
            case c.Binary():
                return self._binary(e)
            case c.InSet():
                x = self.value(e.operand)
                options = [self.value(o) for o in e.options]
                if any(_same(x, o) is True for o in options):
                    return True
                return False if all(_same(x, o) is False for o in options) else None
            case c.If():
                k = self.value(e.cond)
                if k is True:
                    return self.value(e.then)
                if k is False:
                    return self.value(e.else_)
                a, b = self.value(e.then), self.value(e.else_)
                return a if a == b else _hull(a, b, e.type)
            case c.Call():
                return self._call(e)
            case c.Round():
                x = self.span(e.operand)
                if x is None or not isinstance(x.lo, Decimal) or not isinstance(x.hi, Decimal):
                    return _whole(e.type)
                return Span(_rounded(x.lo, e.places, decimal.ROUND_FLOOR), _rounded(x.hi, e.places, decimal.ROUND_CEILING))
            case c.RoundedDivide():
                return self._divide(e)
            case c.Lookup():
                key = self.span(e.key)
                values = [_point(r.value) for r in e.rows if key is None or _meets(r, key)]
                out: Abs = values[0] if values else _whole(e.type)
                for v in values[1:]:
                    out = out if out == v else _hull(out, v, e.type)
                return out
            case _:
                assert_never(e)

    def _binary(self, e: c.Binary) -> Abs:
        if e.op.is_logical:
            a = self.value(e.left)
            if e.op is c.Op.AND and a is False:
                return False
            if e.op is c.Op.OR and a is True:
                return True
            if e.op is c.Op.IMPLIES and a is False:
                return True
            b = self.value(e.right)
            if e.op is c.Op.AND:
                return False if b is False else True if a is True and b is True else None
            if e.op is c.Op.OR:
                return True if b is True else False if a is False and b is False else None
            return True if b is True else False if a is True and b is False else None
        a, b = self.value(e.left), self.value(e.right)
        if e.op.is_comparison:
            return _compare(e.op, a, b)
        if not (isinstance(a, Span) and isinstance(b, Span) and all(isinstance(x, Decimal) for x in (a.lo, a.hi, b.lo, b.hi))):
            return _whole(e.type)
        alo, ahi, blo, bhi = a.lo, a.hi, b.lo, b.hi
        assert isinstance(alo, Decimal) and isinstance(ahi, Decimal) and isinstance(blo, Decimal) \
            and isinstance(bhi, Decimal)
        match e.op:
            case c.Op.ADD:
                return _numbers(_DOWN.add(alo, blo), _UP.add(ahi, bhi))
            case c.Op.SUB:
                return _numbers(_DOWN.subtract(alo, bhi), _UP.subtract(ahi, blo))
            case _:
                lows = [_times(x, y, _DOWN) for x in (alo, ahi) for y in (blo, bhi)]
                highs = [_times(x, y, _UP) for x in (alo, ahi) for y in (blo, bhi)]
                return _numbers(min(lows), max(highs))

    def _divide(self, e: c.RoundedDivide) -> Abs:
        a, b = self.span(e.num), self.span(e.den)
        if a is None or b is None or not all(isinstance(x, Decimal) for x in (a.lo, a.hi, b.lo, b.hi)):
            return _whole(e.type)
        assert isinstance(b.lo, Decimal) and isinstance(b.hi, Decimal)
        if not (b.lo > 0 or b.hi < 0):
            return _whole(e.type)
        lows = [_over(x, y, _DOWN) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]  # type: ignore[arg-type]
        highs = [_over(x, y, _UP) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]  # type: ignore[arg-type]
        return Span(_rounded(min(lows), e.places, decimal.ROUND_FLOOR),
                    _rounded(max(highs), e.places, decimal.ROUND_CEILING))

    def _call(self, e: c.Call) -> Abs:
        spans = [self.span(a) for a in e.args]
        match e.func:
            case c.Func.MIN | c.Func.MAX:
                if any(s is None for s in spans) or len({type(s.lo) for s in spans if s is not None}) != 1:
                    return _whole(e.type)
                pick = min if e.func is c.Func.MIN else max
                return Span(pick(s.lo for s in spans if s is not None),
                            pick(s.hi for s in spans if s is not None))
            case c.Func.ABS:
                x = spans[0]
                if x is None or not isinstance(x.lo, Decimal) or not isinstance(x.hi, Decimal):
                    return _whole(e.type)
                if x.lo >= 0:
                    return x
                if x.hi <= 0:
                    return Span(-x.hi, -x.lo)
                return Span(Decimal(0), max(-x.lo, x.hi))
            case c.Func.YEARS_BETWEEN | c.Func.MONTHS_BETWEEN | c.Func.DAYS_BETWEEN:
                a, b = _dates(spans[0]), _dates(spans[1])
                between = {c.Func.YEARS_BETWEEN: years_between, c.Func.MONTHS_BETWEEN: months_between,
                           c.Func.DAYS_BETWEEN: lambda x, y: (y - x).days}[e.func]
                # fewer whole years the later the start and the earlier the end
                return Span(Decimal(between(a.hi, b.lo)), Decimal(between(a.lo, b.hi)))
            case c.Func.ADD_DAYS | c.Func.ADD_MONTHS | c.Func.ADD_YEARS | c.Func.FIRST_DAY_OF_NEXT_MONTH:
                return self.shift(e)[0]
            case _:
                assert_never(e.func)

    def shift(self, e: c.Call) -> tuple[Span, bool]:
        """The span of a date shift and whether it may leave the calendar. Each shift is monotone
        in the date and in the count, so the extremes come from the ends of their spans."""
        d = _dates(self.span(e.args[0]))
        assert isinstance(d.lo, date) and isinstance(d.hi, date)
        if e.func is c.Func.FIRST_DAY_OF_NEXT_MONTH:
            fails = d.hi >= date(9999, 12, 1)
            hi = min(d.hi, date(9999, 11, 30))
            return Span(next_month(min(d.lo, hi)), next_month(hi)), fails
        k = self.span(e.args[1])
        if k is None or not isinstance(k.lo, Decimal) or not isinstance(k.hi, Decimal) \
                or not k.lo.is_finite() or not k.hi.is_finite():
            return DATES, True
        klo, khi = int(k.lo), int(k.hi)
        if e.func is c.Func.ADD_DAYS:
            lo_ord, hi_ord = d.lo.toordinal() + klo, d.hi.toordinal() + khi
            fails = lo_ord < 1 or hi_ord > LAST.toordinal()
            return Span(date.fromordinal(min(max(1, lo_ord), LAST.toordinal())),
                        date.fromordinal(max(min(LAST.toordinal(), hi_ord), 1))), fails
        scale = 12 if e.func is c.Func.ADD_YEARS else 1
        lo_m, hi_m = month_index(d.lo) + klo * scale, month_index(d.hi) + khi * scale
        fails = lo_m < month_index(FIRST) or hi_m > month_index(LAST)
        lo = FIRST if lo_m < month_index(FIRST) else LAST if lo_m > month_index(LAST) else at_month(d.lo, lo_m)
        hi = LAST if hi_m > month_index(LAST) else FIRST if hi_m < month_index(FIRST) else at_month(d.hi, hi_m)
        return Span(lo, hi), fails

    # -- failures -------------------------------------------------------------------------------------
    def hazard(self, e: c.Expr) -> str | None:
        """Why the node `e` itself may fail in these cases (its operands' own failures aside)."""
        match e:
            case c.Lookup():
                return _uncovered(e, self.span(e.key))
            case c.RoundedDivide():
                den = self.span(e.den)
                if den is not None and isinstance(den.lo, Decimal) and isinstance(den.hi, Decimal) \
                        and (den.lo > 0 or den.hi < 0):
                    return None
                return "a divisor that may be 0"
            case c.Call() if e.func.may_fail:
                return f"`{e.func.value}` may leave the calendar" if self.shift(e)[1] else None
            case _:
                return None

    def fails(self, e: c.Expr) -> bool:
        """Whether evaluating `e` may fail in these cases, in the engine's order of evaluation."""
        key = id(e)
        got = self._fails.get(key)
        if got is None:
            self._fails[key] = False  # a cycle (the checker rejects them)
            got = self._failing(e)
            self._fails[key] = got
            self._keep.append(e)
        return got

    def _failing(self, e: c.Expr) -> bool:
        match e:
            case c.Const() | c.InputRef() | c.Decided() | c.Paid():
                return False
            case c.DefRef():
                got = self.core.definitions.get(e.name)
                return got is not None and self.fails(got)
            case c.Binary() if e.op.is_logical:
                if self.fails(e.left):
                    return True
                a = self.value(e.left)
                stops = (e.op is c.Op.OR and a is True) or (e.op is not c.Op.OR and a is False)
                return not stops and self.fails(e.right)
            case c.If():
                if self.fails(e.cond):
                    return True
                k = self.value(e.cond)
                return (k is not False and self.fails(e.then)) or (k is not True and self.fails(e.else_))
            case c.InSet():
                return any(self.fails(x) for x in c.children(e))  # options read until one matches
            case _:
                return any(self.fails(x) for x in c.children(e)) or self.hazard(e) is not None


class MayFail:
    """The may-fail analysis of one lowered core over the declared domains. Build with
    `may_fail(core)` (kept with the core)."""

    def __init__(self, core: Core):
        self.core = core
        self.domains = Abstract(core)  # every input anything its declared domain allows
        self._inputs: dict[int, frozenset[str]] = {}
        self._hazards: dict[int, tuple[Hazard, ...]] = {}
        self._risky: dict[int, frozenset[str]] = {}
        self._keep: list[c.Expr] = []  # the nodes whose ids key the memos

    def span(self, e: c.Expr) -> Span | None:
        return self.domains.span(e)

    # -- what a decision asks -----------------------------------------------------------------------
    def risky(self, term: c.Expr) -> frozenset[str]:
        """The inputs an answer to which can make `term` fail (through the definitions it reads):
        empty when no value within the declared domains can."""
        got = self._risky.get(id(term))
        if got is None:
            got = frozenset().union(*(h.inputs for h in self.hazards(term)))
            self._risky[id(term)] = got
            self._keep.append(term)
        return got

    def hazards(self, term: c.Expr) -> tuple[Hazard, ...]:
        """The nodes of `term` (through the definitions it reads) that may fail, each once."""
        got = self._hazards.get(id(term))
        if got is not None:
            return got
        found: list[Hazard] = []
        for e in self._reached(term):
            why = self.domains.hazard(e)
            if why is not None:
                found.append(Hazard(e, why, frozenset().union(*(self.inputs(x) for x in c.children(e)))))
        out = tuple(found)
        self._hazards[id(term)] = out
        self._keep.append(term)
        return out

    def inputs(self, term: c.Expr) -> frozenset[str]:
        """The inputs `term` reads, through the definitions it names."""
        got = self._inputs.get(id(term))
        if got is not None:
            return got
        out = frozenset(e.name for e in self._reached(term) if isinstance(e, c.InputRef))
        self._inputs[id(term)] = out
        self._keep.append(term)
        return out

    def _reached(self, term: c.Expr) -> Iterator[c.Expr]:
        """Every node of `term` and of the definitions it names, each once (depth first)."""
        seen: set[int] = set()
        todo: list[c.Expr] = [term]
        while todo:
            e = todo.pop()
            if id(e) in seen:
                continue
            seen.add(id(e))
            yield e
            if isinstance(e, c.DefRef) and e.name in self.core.definitions:
                todo.append(self.core.definitions[e.name])
            todo.extend(c.children(e))


# what one decision may spend proving that no completion is an error, in nodes evaluated over
# sets of cases (a regulation's core is a few hundred to 2,000 nodes): deterministic, never the clock
BOXES_BUDGET = 12_000


def error_possible(core: Core, facts: Mapping[str, object], split: Sequence[str],
                   budget: int = BOXES_BUDGET) -> bool:
    """Whether some completion of `facts` (each input not in it anything its declared domain
    allows) may be an error: conservative (True when not shown otherwise within `budget`).

    The completions are evaluated as sets (`Abstract`): where in every one of them a requirement
    fails that cannot fail to evaluate, or nothing that is evaluated can fail, none is an error;
    otherwise the set is split in two on one of the inputs `split` (the answers that may make the
    rules fail) and each half is tried, until the budget is spent. (An applicant born in 9990 has
    an AOW date past the calendar, but is not 21 either: not eligible, not an error.)"""
    decls = {i.name: i.type for i in core.inputs}
    names = [x for x in split if x in decls and x not in facts]
    boxes: list[tuple[dict[str, Abs], int]] = [({}, 0)]
    spent = 0
    while boxes:
        box, depth = boxes.pop()
        ab = Abstract(core, facts, box)
        safe = _no_error(ab)
        spent += ab.visits
        if safe:
            continue
        if spent >= budget:
            return True
        halves = None
        for k in range(len(names)):
            x = names[(depth + k) % len(names)]
            halves = _halves(decls[x], box.get(x, _declared(decls[x])) if x in box else _declared(decls[x]))
            if halves is not None:
                boxes.extend(({**box, x: h}, depth + 1) for h in halves)
                break
        if halves is None:
            return True  # nothing left to split: a completion here may be an error
    return False


def _no_error(ab: Abstract) -> bool:
    """No case of `ab` is an error (the outcome's order: core/outcome.py)."""
    core = ab.core
    may_fail_any = False
    for r in core.requirements:
        value, fails = ab.value(r.condition), ab.fails(r.condition)
        status: str = "holds" if value is True else "fails" if value is False else "unknown"
        if value is not True:
            for x in r.exemptions:
                fails = fails or ab.fails(x)
                got = ab.value(x)
                if got is True:
                    status = "holds"
                    break
                if got is None:
                    status = "unknown"
        if status == "fails" and not fails:
            return True  # not eligible in every case here, whatever else cannot be evaluated
        may_fail_any = may_fail_any or fails
    if may_fail_any:
        return False
    # the eligible cases evaluate the amounts and the documents
    return not any(ab.fails(a.formula) for a in core.amounts) and \
        not any(d.required_when is not None and ab.fails(d.required_when) for d in core.documents)


def _halves(typ: t.Type, now: Abs) -> list[Abs] | None:
    """`now` (an input's values in a set of cases) split in two (an option: one set per option)."""
    match typ:
        case t.BoolType():
            return [True, False] if now is None else None
        case t.EnumType():
            return list(typ.members) if now is None else None
        case t.DateType():
            if not isinstance(now, Span) or not isinstance(now.lo, date) or not isinstance(now.hi, date) \
                    or now.lo >= now.hi:
                return None
            day = (now.lo.toordinal() + now.hi.toordinal()) // 2
            return [Span(now.lo, date.fromordinal(day)), Span(date.fromordinal(day + 1), now.hi)]
        case t.IntType() | t.DecimalType() | t.MoneyType():
            if not isinstance(now, Span) or not isinstance(now.lo, Decimal) or not isinstance(now.hi, Decimal) \
                    or now.lo >= now.hi:
                return None
            lo, hi = now.lo, now.hi
            if lo.is_finite() and hi.is_finite():
                mid = (lo + hi) / 2
            elif lo < 0 < hi:
                mid = Decimal(0)
            elif hi.is_infinite():
                mid = lo * 2 + 1000
            else:
                mid = hi * 2 - 1000
            if isinstance(typ, t.IntType):
                mid = mid.to_integral_value(rounding=decimal.ROUND_FLOOR)
                return [Span(lo, mid), Span(mid + 1, hi)]
            return [Span(lo, mid), Span(mid, hi)]
        case _:
            return None


def _uncovered(e: c.Lookup, key: Span | None) -> str | None:
    """Why some key within `key` may find no row (None: every value there finds one). Rows are
    lo <= key < hi, None an open end; only whether some row holds each value matters here."""
    rows = e.rows
    if key is None:  # a key of no kind with a span (the checker keys brackets on numbers and dates)
        return None if any(r.lo is None and r.hi is None for r in rows) else \
            f"the bracket `{e.bracket}` may have no row for its key"
    point: object = key.lo  # the least value of the key not yet shown to find a row
    while True:
        reach: object | None = None  # how far the rows that hold `point` reach (excluded)
        for r in rows:
            if r.lo is not None and _gt(r.lo, point):
                continue
            if r.hi is None:
                return None  # this row holds every value from `point` up
            if _gt(r.hi, point) and (reach is None or _gt(r.hi, reach)):
                reach = r.hi
        if reach is None:
            return f"no row of the bracket `{e.bracket}` covers {_show(point)}"
        if _gt(reach, key.hi):
            return None
        point = reach


def _gt(a: object, b: object) -> bool:
    if isinstance(a, date) or isinstance(b, date):
        return a > b  # type: ignore[operator]
    return Decimal(a) > Decimal(b)  # type: ignore[arg-type]


def _show(x: object) -> str:
    if isinstance(x, Decimal) and x.is_infinite():
        return "the values below its rows" if x < 0 else "the values above its rows"
    return str(x)


def _point(value: object) -> Abs:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, date):
        return Span(value, value)
    return Span(Decimal(value), Decimal(value))  # type: ignore[arg-type]


def _same(a: Abs, b: Abs) -> bool | None:
    """Whether a == b in every case (True), in none (False), or not known (None)."""
    if a is None or b is None:
        return None
    if isinstance(a, Span) and isinstance(b, Span):
        if type(a.lo) is not type(b.lo):
            return None
        if a.lo == a.hi == b.lo == b.hi:
            return True
        return False if a.hi < b.lo or b.hi < a.lo else None  # type: ignore[operator]
    if isinstance(a, Span) or isinstance(b, Span):
        return None
    return a == b


def _compare(op: c.Op, a: Abs, b: Abs) -> bool | None:
    if op is c.Op.EQ:
        return _same(a, b)
    if op is c.Op.NE:
        same = _same(a, b)
        return None if same is None else not same
    if not (isinstance(a, Span) and isinstance(b, Span)) or type(a.lo) is not type(b.lo):
        return None
    lo_a, hi_a, lo_b, hi_b = a.lo, a.hi, b.lo, b.hi
    match op:
        case c.Op.LT:
            return True if hi_a < lo_b else False if lo_a >= hi_b else None  # type: ignore[operator]
        case c.Op.LE:
            return True if hi_a <= lo_b else False if lo_a > hi_b else None  # type: ignore[operator]
        case c.Op.GT:
            return True if lo_a > hi_b else False if hi_a <= lo_b else None  # type: ignore[operator]
        case c.Op.GE:
            return True if lo_a >= hi_b else False if hi_a < lo_b else None  # type: ignore[operator]
        case _:
            return None


def _meets(r: c.Row, key: Span) -> bool:
    """Some key within `key` lies in the row (lo <= key < hi)."""
    try:
        return (r.lo is None or not _gt(r.lo, key.hi)) and (r.hi is None or _gt(r.hi, key.lo))
    except TypeError:
        return True


def _numbers(lo: Decimal, hi: Decimal) -> Span:
    return Span(-INF if lo.is_nan() else lo, INF if hi.is_nan() else hi)


def _times(x: Decimal, y: Decimal, ctx: decimal.Context) -> Decimal:
    if x == 0 or y == 0:
        return Decimal(0)  # 0 x ±Infinity: the bound is 0 (an interval's end, not a limit)
    return ctx.multiply(x, y)


def _over(x: Decimal, y: Decimal, ctx: decimal.Context) -> Decimal:
    if y.is_infinite():
        return Decimal(0) if x.is_finite() else (INF if (x > 0) == (y > 0) else -INF)
    return ctx.divide(x, y)


def _rounded(x: Decimal | date, places: int, mode: str) -> Decimal:
    assert isinstance(x, Decimal)
    if not x.is_finite():
        return x
    return x.quantize(Decimal(1).scaleb(-places), rounding=mode, context=_LOOSE)


def _hull(a: Abs, b: Abs, typ: t.Type) -> Abs:
    if not isinstance(a, Span) or not isinstance(b, Span) or type(a.lo) is not type(b.lo):
        return _whole(typ)
    return Span(min(a.lo, b.lo), max(a.hi, b.hi))


def _whole(typ: t.Type) -> Span | None:
    """The span of any value of the type's kind (its domain is a promise of inputs only)."""
    match t.strip_domain(typ):
        case t.IntType() | t.DecimalType() | t.MoneyType():
            return NUMBERS
        case t.DateType():
            return DATES
        case _:
            return None


def _declared(typ: t.Type) -> Span | None:
    """An input's span: its declared domain (what a fact must lie in to be accepted)."""
    match typ:
        case t.IntType() | t.DecimalType() | t.MoneyType():
            return Span(-INF if typ.lo is None else Decimal(typ.lo), INF if typ.hi is None else Decimal(typ.hi))
        case t.DateType():
            return Span(typ.lo or FIRST, typ.hi or LAST)
        case _:
            return None


def _dates(s: Span | None) -> Span:
    return s if s is not None and isinstance(s.lo, date) else DATES


def may_fail(core: Core) -> MayFail:
    """The may-fail analysis of `core`, computed once and kept with it (`Core.compiled`)."""
    got = core.compiled.get("may_fail")
    if not isinstance(got, MayFail):
        got = MayFail(core)  # a race builds it twice, harmlessly
        core.compiled["may_fail"] = got
    return got


__all__ = ["Abstract", "BOXES_BUDGET", "Hazard", "MayFail", "Span", "error_possible", "may_fail"]

