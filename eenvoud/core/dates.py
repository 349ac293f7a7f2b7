"""The civil calendar as the rules read it: whole years and months between two dates, and a date
moved by whole months. Written once for the engine (`engine/values.py`, which raises when a date
would leave the calendar) and the may-fail pass (`core/failure.py`, which reasons over spans of
dates and cannot import the engine: it sits below it)."""

from __future__ import annotations

import calendar
from datetime import date


def years_between(a: date, b: date) -> int:
    """Whole years from a to b: the age on b of someone born on a. Someone born on 29 February
    turns a year older on 1 March in a year without 29 February."""
    years = b.year - a.year
    if (b.month, b.day) < (a.month, a.day):
        years -= 1
    return years


def months_between(a: date, b: date) -> int:
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if b.day < a.day:
        months -= 1
    return months


def month_index(d: date) -> int:
    """The month `d` falls in, counted from January of year 0: whole months add to it."""
    return d.year * 12 + d.month - 1


def at_month(d: date, index: int) -> date:
    """The day of `d` in the month `index` (`month_index`), or that month's last day when it has
    no such day. Raises ValueError when the month lies outside the years 1 to 9999."""
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def next_month(d: date) -> date:
    """The first day of the month after the one `d` falls in (ValueError past December 9999)."""
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
