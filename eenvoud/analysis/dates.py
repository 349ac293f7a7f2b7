"""Dates as day numbers in Z3: the calendar arithmetic of `engine/values.py`, in linear integer terms.

A date is its proleptic Gregorian ordinal (`date.toordinal()`, 0001-01-01 is 1). Year, month and
day are recovered with Howard Hinnant's civil-from-days algorithm, which needs only additions,
multiplications by constants and divisions by constants: linear integer arithmetic, exact for
every date the engine accepts. When every argument is a constant the engine's own function is
called instead, so that the two cannot disagree on a constant.
"""

from __future__ import annotations

from datetime import date

import z3

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
