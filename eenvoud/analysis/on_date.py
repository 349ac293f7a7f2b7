"""A regulation made ready to analyze on a date: the dates to analyze it at, and the context (its
program and its encoding) on each. `analyze`, `properties` and `simplify` all start from here.
"""

from __future__ import annotations

from datetime import date

from eenvoud.analysis.context import Context
from eenvoud.analysis.encode import NoValue, encode
from eenvoud.analysis.prover import Budget, Stats
from eenvoud.diagnostics import RuleError
from eenvoud.engine.evaluate import Program
from eenvoud.ir.checked import CheckedRegulation


def analysis_dates(reg: CheckedRegulation, day: date | None = None) -> tuple[date, ...]:
    """The reference dates to analyze at: the one asked for, or every date on which a parameter
    or bracket changes (today when nothing in the regulation depends on a date)."""
    if day is not None:
        return (day,)
    return reg.change_dates() or (date.today(),)


def context_at(reg: CheckedRegulation, day: date, budget: Budget, stats: Stats,
               registry: dict[str, tuple[str, str, str]] | None = None) -> Context | str:
    """A regulation ready to analyze on `day`, or why it cannot be (a parameter without a value)."""
    try:
        prog = Program(reg, day)
        enc = encode(reg, day)
    except RuleError as exc:
        return "; ".join(d.message for d in exc.diagnostics)
    except NoValue as exc:
        return str(exc)
    return Context(reg, day, enc, prog, budget, stats, registry or {})
