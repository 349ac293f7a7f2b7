"""Runtime values and the exact arithmetic the engine, the solver encoding and SQL all follow.

bool, int, Decimal (money and decimals), date and str (an enumeration's option); None is unknown.
No float anywhere: + - * on Decimals run in a context that traps any inexact result, and a division
is always rounded explicitly (the checker requires it), computed from exact fractions.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

from eenvoud.core.dates import at_month, month_index, next_month
from eenvoud.core.dates import months_between as months_between  # the engine's, re-exported
from eenvoud.core.dates import years_between as years_between

Value = bool | int | Decimal | date | str
Maybe = Value | None

# 60 digits hold any product of two money amounts and a percentage exactly; Inexact is trapped so
# that a result that would need rounding raises instead of being silently rounded.
EXACT = decimal.Context(
    prec=60,
    rounding=ROUND_HALF_UP,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

ROUNDING_MODES = {"round": ROUND_HALF_UP, "floor": ROUND_FLOOR, "ceil": ROUND_CEILING}
CENT = Decimal("0.01")


@contextmanager
def localcontext_exact() -> Iterator[decimal.Context]:
    """The exact context for a whole evaluation, so that no implicit operation rounds.

    A result that exact arithmetic cannot hold (more than 60 digits, from huge facts or literals)
    ends the evaluation with an EvaluationError, never with a bare decimal exception."""
    with decimal.localcontext(EXACT) as ctx:
        try:
            yield ctx
        except decimal.DecimalException:
            raise EvaluationError("a number grew beyond the 60 digits that exact arithmetic keeps") from None
        except RecursionError:
            raise EvaluationError("the rules nest too deeply to evaluate") from None


class EvaluationError(Exception):
    """A rule that cannot be evaluated for a case: a division by zero, a bracket with a gap.

    `span` is where in the rules it happened (the bracket, the division), when known; the
    decision adds the requirement, amount or document it was evaluating and that one's article."""

    def __init__(self, message: str, span: object | None = None):
        super().__init__(message)
        self.span = span


def round_number(value: int | Decimal, places: int, func: str) -> int | Decimal:
    """round (half away from zero), floor or ceil to `places` decimals."""
    if isinstance(value, int):
        if places >= 0:
            return value
    mode = ROUNDING_MODES[func]
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=mode, context=_LOOSE)


def round_fraction(value: Fraction, places: int, func: str) -> Decimal:
    """Round an exact quotient: the result is what the law's rounding gives, with no float or
    truncated intermediate on the way."""
    scaled = value * (10 ** places)
    num, den = scaled.numerator, scaled.denominator
    if func == "floor":
        q = num // den
    elif func == "ceil":
        q = -((-num) // den)
    else:  # half away from zero
        q = (abs(num) * 2 + den) // (2 * den)
        q = q if num >= 0 else -q
    return Decimal(q).scaleb(-places, context=_LOOSE) if places else Decimal(q)


def divide(a: int | Decimal, b: int | Decimal, places: int, func: str) -> Decimal:
    if b == 0:
        raise EvaluationError("division by zero")
    return round_fraction(Fraction(a) / Fraction(b), places, func)


def add_months(d: date, months: int) -> date:
    """The same day `months` later; the last day of the month when that day does not exist."""
    index = month_index(d) + months
    if not 1 <= index // 12 <= 9999:
        raise EvaluationError("date out of range")
    return at_month(d, index)


def first_day_of_next_month(d: date) -> date:
    """The first day of the month after the one `d` falls in: where Dutch law says "met ingang
    van de eerste dag van de maand volgend op die waarin ..." (a right from the month after a
    birthday, for example)."""
    if d.month == 12 and d.year == 9999:
        raise EvaluationError("date out of range")
    return next_month(d)


def add_days(d: date, days: int) -> date:
    try:
        return date.fromordinal(d.toordinal() + days)
    except (ValueError, OverflowError):
        raise EvaluationError("date out of range") from None


_LOOSE = decimal.Context(prec=60, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """Money as the API and the CLI show it: two decimals, half up when a formula left more."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP, context=_LOOSE))


def to_json(value: Maybe, is_money: bool = False) -> object:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return money(value) if is_money else format(value.normalize(context=_LOOSE), "f")
    return value
