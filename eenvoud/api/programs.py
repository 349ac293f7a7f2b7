"""Compiled regulations per reference date, kept in a bounded cache.

The engine compiles a regulation once per date. A server takes dates from anyone, so the cache
here is bounded: a client walking through every day of a century costs compile time, not memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from eenvoud.engine.decision import Decision, decide
from eenvoud.engine.evaluate import Program
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation


class Programs:
    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._cache: OrderedDict[tuple[int, date], Program] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, reg: CheckedRegulation, day: date) -> Program:
        key = (id(reg), day)
        with self._lock:
            prog = self._cache.get(key)
            if prog is not None:
                self._cache.move_to_end(key)
                return prog
        prog = Program(reg, day)  # may raise RuleError: a parameter without a value on that day
        with self._lock:
            self._cache[key] = prog
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return prog

    def decide(self, reg: CheckedRegulation, facts: dict[str, Value], day: date) -> Decision:
        return decide(self.get(reg, day), facts)
