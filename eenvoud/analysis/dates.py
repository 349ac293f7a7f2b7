"""Dates as day numbers in Z3: the calendar arithmetic of `engine/values.py`, in linear integer terms.

A date is its proleptic Gregorian ordinal (`date.toordinal()`, 0001-01-01 is 1). Year, month and
day are recovered with Howard Hinnant's civil-from-days algorithm, which needs only additions,
multiplications by constants and divisions by constants: linear integer arithmetic, exact for
every date the engine accepts. When every argument is a constant the engine's own function is
called instead, so that the two cannot disagree on a constant.
"""

from __future__ import annotations

from datetime import date
from typing import TypeAlias, assert_never

import z3

from eenvoud.analysis.terms import constant_leaves, fold
from eenvoud.core.nodes import Op
from eenvoud.engine import values as v
from eenvoud.engine.values import EvaluationError

FIRST = date.min.toordinal()  # 1
LAST = date.max.toordinal()  # 9999-12-31
_EPOCH_SHIFT = 305  # ordinal + 305 = days since 1970-01-01 + 719468, Hinnant's shifted day count


def constant(term: z3.ArithRef) -> int | None:
    """The value of an integer term that is a numeral, else None."""
    term = z3.simplify(term) if not z3.is_int_value(term) else term
    return term.as_long() if z3.is_int_value(term) else None


def civil(day: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]:
    """(year, month, day of month) of a day number."""
    known = constant(day)
    if known is not None and FIRST <= known <= LAST:
        d = date.fromordinal(known)
        return z3.IntVal(d.year), z3.IntVal(d.month), z3.IntVal(d.day)
    z = day + _EPOCH_SHIFT
    era = z / 146097  # z > 0 for every valid date, so integer division is the floor
    doe = z - era * 146097
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    mp = (5 * doy + 2) / 153
    dd = doy - (153 * mp + 2) / 5 + 1
    m = z3.If(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + z3.If(m <= 2, 1, 0)
    return y, m, dd


def ordinal(y: z3.ArithRef, m: z3.ArithRef, d: z3.ArithRef) -> z3.ArithRef:
    """The day number of a (year, month, day) that exists."""
    yy = y - z3.If(m <= 2, 1, 0)
    era = yy / 400
    yoe = yy - era * 400
    mm = z3.If(m > 2, m - 3, m + 9)
    doy = (153 * mm + 2) / 5 + d - 1
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - _EPOCH_SHIFT


def _leap(y: z3.ArithRef) -> z3.BoolRef:
    return z3.And(y % 4 == 0, z3.Or(y % 100 != 0, y % 400 == 0))


def month_length(y: z3.ArithRef, m: z3.ArithRef) -> z3.ArithRef:
    return z3.If(m == 2, z3.If(_leap(y), 29, 28), z3.If(z3.Or(m == 4, m == 6, m == 9, m == 11), 30, 31))


def years_between(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """Whole years from a to b, as `values.years_between`."""
    ka, kb = constant(a), constant(b)
    if ka is not None and kb is not None and _valid(ka) and _valid(kb):
        return z3.IntVal(v.years_between(date.fromordinal(ka), date.fromordinal(kb)))
    ya, ma, da = civil(a)
    yb, mb, db = civil(b)
    earlier = z3.Or(mb < ma, z3.And(mb == ma, db < da))
    return yb - ya - z3.If(earlier, 1, 0)


def months_between(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    ka, kb = constant(a), constant(b)
    if ka is not None and kb is not None and _valid(ka) and _valid(kb):
        return z3.IntVal(v.months_between(date.fromordinal(ka), date.fromordinal(kb)))
    ya, ma, da = civil(a)
    yb, mb, db = civil(b)
    return (yb - ya) * 12 + (mb - ma) - z3.If(db < da, 1, 0)


def add_months(d: z3.ArithRef, months: z3.ArithRef) -> tuple[z3.ArithRef, z3.BoolRef]:
    """The same day `months` later (the month's last day when that day does not exist), and the
    condition under which the engine raises because the year leaves 1..9999."""
    kd, km = constant(d), constant(months)
    if kd is not None and km is not None and _valid(kd):
        try:
            return z3.IntVal(v.add_months(date.fromordinal(kd), km).toordinal()), z3.BoolVal(False)
        except EvaluationError:
            return z3.IntVal(FIRST), z3.BoolVal(True)
    y, m, dd = civil(d)
    total = y * 12 + (m - 1) + months
    ny = total / 12
    nm = total % 12 + 1
    last = month_length(ny, nm)
    nd = z3.If(dd <= last, dd, last)
    return ordinal(ny, nm, nd), z3.Or(ny < 1, ny > 9999)


def add_days(d: z3.ArithRef, days: z3.ArithRef) -> tuple[z3.ArithRef, z3.BoolRef]:
    result = d + days
    kr = constant(result)
    if kr is not None:
        return z3.IntVal(kr), z3.BoolVal(not _valid(kr))
    return result, z3.Or(result < FIRST, result > LAST)


def _valid(day: int) -> bool:
    return FIRST <= day <= LAST


# -- dates by their parts ----------------------------------------------------------------------------
#
# A date input is encoded by its year, month and day, and its day number is derived from them only
# where a rule needs one (`days_between`, `add_days`). Comparing dates, ages (`years_between`
# against the reference date) and `add_months` by a constant are then plain linear comparisons of
# the parts, with no division at all: what the shipped rules do with a birth date costs the solver
# almost nothing.

Civil = tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]


def parts(day: int) -> Civil:
    d = date.fromordinal(day)
    return z3.IntVal(d.year), z3.IntVal(d.month), z3.IntVal(d.day)


def _fold(x: z3.ExprRef) -> z3.ExprRef:
    if z3.is_app(x) and x.num_args() > 0 and all(
            z3.is_int_value(c) or z3.is_true(c) or z3.is_false(c) for c in x.children()):
        return z3.simplify(x)
    return x


# The comparisons of parts fold what is known in Python, before Z3 is asked to build anything: the
# same terms `_fold` makes (a node whose children are all values becomes its value; any other node
# stays as built), at a fraction of the cost (asking Z3 for a term's children is slow).


def _num(x: z3.ExprRef) -> int | None:
    # the Python API makes every integer numeral an IntNumRef (z3.is_int_value asks Z3 three times)
    return x.as_long() if isinstance(x, z3.IntNumRef) else None


_CONSTANTS = (z3.BoolVal(True), z3.BoolVal(False))  # kept, so that their ids stay theirs
_TRUTH = {_CONSTANTS[0].get_id(): True, _CONSTANTS[1].get_id(): False}


def _truth(x: z3.ExprRef) -> bool | None:
    # true and false are hash-consed: one id each (z3.is_true asks Z3 four times)
    if x.ctx is not _CONSTANTS[0].ctx:
        return True if z3.is_true(x) else False if z3.is_false(x) else None
    return _TRUTH.get(x.get_id())


# what a comparison of parts is while it is built: a Python bool where it is known, else a term
Tri: TypeAlias = "bool | z3.BoolRef"


def _z(x: Tri) -> z3.BoolRef:
    return z3.BoolVal(x) if isinstance(x, bool) else x


def _less(a: z3.ArithRef, b: z3.ArithRef) -> Tri:
    if isinstance(a, z3.IntNumRef) and isinstance(b, z3.IntNumRef):
        return bool(a.as_long() < b.as_long())
    return a < b


def _equal(a: z3.ArithRef, b: z3.ArithRef) -> Tri:
    if isinstance(a, z3.IntNumRef) and isinstance(b, z3.IntNumRef):
        return bool(a.as_long() == b.as_long())
    return a == b


def _either(a: Tri, b: Tri) -> Tri:
    return (a or b) if isinstance(a, bool) and isinstance(b, bool) else z3.Or(_z(a), _z(b))


def _both(*xs: Tri) -> Tri:
    return all(xs) if all(isinstance(x, bool) for x in xs) else z3.And(*(_z(x) for x in xs))


def _not(a: Tri) -> Tri:
    return (not a) if isinstance(a, bool) else z3.Not(a)


def _value(x: z3.ExprRef) -> bool:
    return isinstance(x, z3.IntNumRef | z3.RatNumRef) or _truth(x) is not None


def _ite(c: z3.BoolRef, a: z3.ExprRef, b: z3.ExprRef) -> z3.ExprRef:
    """`terms.fold(z3.If(c, a, b))`, deciding in Python what it would fold."""
    if _value(c) and _value(a) and _value(b):
        return z3.simplify(z3.If(c, a, b))
    known = _truth(c)
    if known is not None:
        return a if known else b
    if a.get_id() == b.get_id():
        return a
    return z3.If(c, a, b)


def _earlier(a: Civil, b: Civil) -> Tri:
    (ya, ma, da), (yb, mb, db) = a, b
    return _either(_less(ya, yb), _both(_equal(ya, yb), _either(_less(ma, mb), _both(_equal(ma, mb), _less(da, db)))))


def earlier(a: Civil, b: Civil) -> z3.BoolRef:
    """a < b, lexicographically on (year, month, day)."""
    return _z(_earlier(a, b))


def _same(a: Civil, b: Civil) -> Tri:
    return _both(*(_equal(x, y) for x, y in zip(a, b, strict=True)))


def same_day(a: Civil, b: Civil) -> z3.BoolRef:
    return _z(_same(a, b))


def compare(op: Op, a: Civil, b: Civil) -> z3.BoolRef:
    match op:
        case Op.LT:
            return earlier(a, b)
        case Op.GT:
            return earlier(b, a)
        case Op.LE:
            return _z(_not(_earlier(b, a)))
        case Op.GE:
            return _z(_not(_earlier(a, b)))
        case Op.EQ:
            return same_day(a, b)
        case Op.NE:
            return _z(_not(_same(a, b)))
        case Op.ADD | Op.SUB | Op.MUL | Op.AND | Op.OR | Op.IMPLIES:
            raise AssertionError(f"{op} is not a comparison")
        case _:
            assert_never(op)


# (`_fold` of a difference whose left side is itself a difference never folds: written as it is)
def years_between_parts(a: Civil, b: Civil) -> z3.ArithRef:
    (ya, ma, da), (yb, mb, db) = a, b
    return yb - ya - z3.If(earlier((z3.IntVal(0), mb, db), (z3.IntVal(0), ma, da)), 1, 0)


def months_between_parts(a: Civil, b: Civil) -> z3.ArithRef:
    (ya, ma, da), (yb, mb, db) = a, b
    return (yb - ya) * 12 + (mb - ma) - z3.If(_z(_less(db, da)), 1, 0)


def leap_shifted(y: z3.ArithRef, k: int) -> z3.BoolRef:
    """Whether year y + k is a leap year, by the residues of y itself (shared by every k, so
    that the solver meets three modulo terms per date, not three per case)."""
    return z3.And(y % 4 == (-k) % 4, z3.Or(y % 100 != (-k) % 100, y % 400 == (-k) % 400))


def valid_parts(p: Civil) -> z3.BoolRef:
    """The parts name a date the engine accepts."""
    y, m, d = p
    long_months = z3.Or(*(m == k for k in (1, 3, 5, 7, 8, 10, 12)))
    day_ok = z3.Or(d <= 28, z3.And(m != 2, z3.Or(d <= 30, long_months)),
                   z3.And(m == 2, d == 29, leap_shifted(y, 0)))
    return z3.And(y >= 1, y <= 9999, m >= 1, m <= 12, d >= 1, d <= 31, day_ok)


def add_months_parts(p: Civil, months: int) -> tuple[Civil, z3.BoolRef]:
    """The parts of the same day `months` later (clamped to the month's end), by cases on the
    month, and when the engine raises (the year leaves 1..9999)."""
    y, m, d = p

    def case(month: int) -> tuple[int, int, int, z3.ArithRef]:  # (month, year offset, new month, new day)
        offset, rest = divmod(month - 1 + months, 12)
        new = rest + 1
        if new == 2:
            last: z3.ArithRef = z3.If(leap_shifted(y, offset), 29, 28)
        else:
            last = z3.IntVal(_month_days(2001, new))
        # (`_fold` of an `if` on a comparison never folds it)
        return month, offset, new, z3.If(d <= last, d, last)

    known = _known(m)
    if known is not None:
        _, offset, new, day = case(known)
        ny = _plus(y, offset)
        return (ny, z3.IntVal(new), day), z3.Or(ny < 1, ny > 9999)
    cases = [case(month) for month in range(1, 13)]
    offset_t: z3.ArithRef = z3.IntVal(cases[-1][1])
    nm: z3.ArithRef = z3.IntVal(cases[-1][2])
    nd: z3.ArithRef = cases[-1][3]
    for month, offset, new, day in reversed(cases[:-1]):
        offset_t = z3.If(m == month, offset, offset_t)
        nm = z3.If(m == month, new, nm)
        nd = z3.If(m == month, day, nd)
    ny = _fold(y + offset_t)
    return (ny, nm, nd), z3.Or(ny < 1, ny > 9999)


def _plus(y: z3.ArithRef, k: int) -> z3.ArithRef:
    """`_fold(y + k)`."""
    ky = _num(y)
    return z3.IntVal(ky + k) if ky is not None else y + k


class Calendar:
    """The parts of the date terms of one encoding: a date input's (year, month, day), and what
    comparisons, `if`s and `add_months` by constants make of them, by the id of the day-number
    term (the terms are kept, so that their ids stay theirs)."""

    def __init__(self) -> None:
        self._parts: dict[int, Civil] = {}
        self._keep: list[z3.ExprRef] = []
        self._shifted: dict[tuple[int, int], tuple[z3.ExprRef, z3.BoolRef]] = {}

    def parts(self, term: z3.ExprRef) -> Civil | None:
        if z3.is_int_value(term):
            k = term.as_long()
            return parts(k) if FIRST <= k <= LAST else None
        return self._parts.get(term.get_id())

    def with_parts(self, term: z3.ExprRef, p: Civil) -> z3.ExprRef:
        self._parts[term.get_id()] = p
        self._keep.append(term)
        return term

    def date_of(self, p: Civil) -> z3.ExprRef:
        """The day number of parts (a numeral when they are numerals)."""
        if all(z3.is_int_value(x) for x in p):
            y, m, d = (x.as_long() for x in p)
            try:
                return z3.IntVal(date(y, m, d).toordinal())
            except ValueError:
                return z3.IntVal(FIRST)  # out of range: the failure condition says so
        return self.with_parts(ordinal(*p), p)

    def choose_date(self, cond: z3.BoolRef, a: z3.ExprRef, b: z3.ExprRef) -> z3.ExprRef:
        """`if cond then a else b` for dates, keeping their parts."""
        out = fold(z3.If(cond, a, b))
        pa, pb = self.parts(a), self.parts(b)
        if pa is not None and pb is not None and not z3.is_int_value(out) and out.get_id() not in self._parts:
            self.with_parts(out, tuple(fold(z3.If(cond, x, y)) for x, y in zip(pa, pb, strict=True)))
        return out

    def add_months(self, d: z3.ExprRef, months: z3.ExprRef) -> tuple[z3.ExprRef, z3.BoolRef]:
        """`add_months`, and when the engine raises; by parts when the months are constants
        (or a bracket's constants)."""
        key = (d.get_id(), months.get_id())
        got = self._shifted.get(key)
        if got is None:
            p = self.parts(d)
            if p is not None and not z3.is_int_value(d) and constant_leaves(months):
                got = self._add_months_parts(p, months)
            else:
                got = add_months(d, months)
            self._shifted[key] = got
            self._keep += [d, months]
        return got

    def _add_months_parts(self, p: Civil, months: z3.ExprRef) -> tuple[z3.ExprRef, z3.BoolRef]:
        if z3.is_int_value(months):
            q, fails = add_months_parts(p, months.as_long())
            return self.date_of(q), fails
        cond = months.arg(0)
        a, fa = self._add_months_parts(p, months.arg(1))
        b, fb = self._add_months_parts(p, months.arg(2))
        return self.choose_date(cond, a, b), fold(z3.If(cond, fa, fb))

    def next_month(self, d: z3.ExprRef) -> tuple[z3.ExprRef, z3.BoolRef]:
        """The first day of the next month, by the date's parts, and when the engine raises
        (after December 9999)."""
        known = constant(d)
        if known is not None:
            day = date.fromordinal(known)
            if (day.year, day.month) == (9999, 12):
                return z3.IntVal(known), z3.BoolVal(True)
            return z3.IntVal(v.first_day_of_next_month(day).toordinal()), z3.BoolVal(False)
        p = self.parts(d)
        y, m, _ = p if p is not None else civil(d)
        december = m == 12
        nxt = (_ite(december, y + 1, y), _ite(december, z3.IntVal(1), m + 1), z3.IntVal(1))
        # (`fold` of a conjunction of comparisons never folds it)
        return self.date_of(nxt), z3.And(december, y == 9999)


def _known(x: z3.ArithRef) -> int | None:
    return x.as_long() if z3.is_int_value(x) else None


def _month_days(y: int, m: int) -> int:
    import calendar

    return calendar.monthrange(y, m)[1] if 1 <= y <= 9999 else 31
