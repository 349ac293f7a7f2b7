"""Compiled regulations per reference date: the engine's one bounded cache (`eenvoud.core.lower`).

A server takes dates from anyone; the cache is bounded, so a client walking through every day of a
century costs compile time, not memory.
"""

from __future__ import annotations

from datetime import date

from eenvoud.engine.decision import Decision, decide, default_engine
from eenvoud.engine.evaluate import Program
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation


class Programs:
    def get(self, reg: CheckedRegulation, day: date) -> Program:
        return default_engine().program(reg, day)  # may raise RuleError: no parameter value that day

    def decide(self, reg: CheckedRegulation, facts: dict[str, Value], day: date) -> Decision:
        return decide(self.get(reg, day), facts)
