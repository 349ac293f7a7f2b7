"""The analyzer's findings for the API: computed once per content hash and date, under a time budget.

The analysis runs in a worker thread of its own, one analysis at a time (Z3 is not to be shared
between threads, and two at once would starve the decisions of CPU), so the server keeps answering
eligibility requests while Z3 works. Each solver query has its own limit inside the analyzer (a
query that runs out is reported as `unknown`, never as a finding); the wall-clock budget here is
the backstop for the whole run. When it passes, the client is told to come back, and the run goes
on and lands in the cache for that next request.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eenvoud.ir.checked import CheckedRegulation


class AnalyzerUnavailable(Exception):
    """The analyzer is not installed in this build."""


class AnalysisPending(Exception):
    """The analysis ran past the request's budget; it goes on, and a later request gets it."""


class AnalysisBusy(Exception):
    """Too many analyses are waiting already: a client asking for many dates cannot queue hours."""


# (regulation, reference date, seconds per solver query) -> a report with to_json(), or findings
Analyzer = Callable[[CheckedRegulation, date, float], Any]


@dataclass
class AnalysisResult:
    findings: list[dict[str, Any]]
    unknown: list[dict[str, Any]]
    stats: dict[str, Any] | None
    seconds: float


def find_analyzer(library: Sequence[CheckedRegulation] = ()) -> Analyzer | None:
    """The Z3 analyzer, if this build has it. `library`: the other regulations, whose registries
    tell which facts are already held."""
    try:
        from eenvoud.analysis.analyze import analyze
        from eenvoud.analysis.prover import Budget
    except ImportError:
        return None

    def run(reg: CheckedRegulation, day: date, query_timeout: float) -> Any:
        return analyze([reg], day=day, budget=Budget(seconds=query_timeout), library=library)

    return run


def _as_json(x: Any) -> Any:
    to_json = getattr(x, "to_json", None)
    return to_json() if callable(to_json) else x


def normalise(result: Any, seconds: float) -> AnalysisResult:
    """The analyzer's report (or a plain list of findings) as the API shows it."""
    data = _as_json(result)
    if isinstance(data, dict):
        return AnalysisResult([_as_json(f) for f in data.get("findings", [])],
                              [_as_json(u) for u in data.get("unknown", [])], data.get("stats"), seconds)
    return AnalysisResult([_as_json(f) for f in data], [], None, seconds)


@dataclass
class Analyses:
    """Findings per (content hash, date). `budget` is the wall-clock seconds one request waits;
    `query_timeout` the solver's limit per query."""

    budget: float = 20.0
    query_timeout: float = 2.0
    analyzer: Analyzer | None = None
    max_pending: int = 4
    max_cached: int = 512
    _done: OrderedDict[tuple[str, date], AnalysisResult] = field(default_factory=OrderedDict)
    _running: dict[tuple[str, date], asyncio.Future[AnalysisResult]] = field(default_factory=dict)
    _worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="eenvoud-analysis"))

    async def get(self, reg: CheckedRegulation, day: date) -> tuple[AnalysisResult, bool]:
        """The findings, and whether they came from the cache."""
        key = (reg.hash, day)
        done = self._done.get(key)
        if done is not None:
            self._done.move_to_end(key)
            return done, True
        if self.analyzer is None:
            raise AnalyzerUnavailable
        future = self._running.get(key)
        if future is None and len(self._running) >= self.max_pending:
            raise AnalysisBusy
        if future is None:
            future = asyncio.get_running_loop().run_in_executor(self._worker, self._run, reg, day)
            self._running[key] = future
            future.add_done_callback(lambda f: self._finish(key, f))
        try:
            result = await asyncio.wait_for(asyncio.shield(future), self.budget)
        except TimeoutError:
            raise AnalysisPending from None
        return result, False

    def _run(self, reg: CheckedRegulation, day: date) -> AnalysisResult:
        assert self.analyzer is not None
        start = time.perf_counter()
        result = self.analyzer(reg, day, self.query_timeout)
        return normalise(result, time.perf_counter() - start)

    def _finish(self, key: tuple[str, date], future: asyncio.Future[AnalysisResult]) -> None:
        self._running.pop(key, None)
        if not future.cancelled() and future.exception() is None:
            self._done[key] = future.result()
            while len(self._done) > self.max_cached:
                self._done.popitem(last=False)
