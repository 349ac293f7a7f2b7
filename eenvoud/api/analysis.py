"""The analyzer's findings for the API: computed once per content hash and date, under a time budget.

The analysis runs in a worker thread, so the server keeps answering eligibility requests while Z3
works. Each solver query has its own limit inside the analyzer (a query that runs out is reported
as `unknown`); the wall-clock budget here is the backstop for the whole run. When it passes, the
client is told to come back, and the run goes on and lands in the cache for that next request.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eenvoud.ir.checked import CheckedRegulation


class AnalyzerUnavailable(Exception):
    """The analyzer is not installed in this build."""


class AnalysisPending(Exception):
    """The analysis ran past the request's budget; it goes on, and a later request gets it."""


@dataclass
class AnalysisResult:
    findings: list[dict[str, Any]]
    summary: dict[str, Any] | None
    seconds: float


def find_analyzer() -> Callable[..., Any] | None:
    """The analyzer's entry point, if this build has one."""
    try:
        module = importlib.import_module("eenvoud.analysis")
    except ImportError:
        return None
    for name in ("analyze", "run"):
        fn = getattr(module, name, None)
        if callable(fn):
            return fn
    return None


def _call(fn: Callable[..., Any], reg: CheckedRegulation, day: date, query_timeout: float) -> Any:
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {}
    for name in ("day", "date", "on", "reference_date"):
        if name in params:
            kwargs[name] = day
            break
    for name in ("timeout", "query_timeout", "seconds"):
        if name in params:
            kwargs[name] = query_timeout
            break
    return fn(reg, **kwargs)


def _as_json(x: Any) -> Any:
    to_json = getattr(x, "to_json", None)
    return to_json() if callable(to_json) else x


def normalise(result: Any, seconds: float) -> AnalysisResult:
    """The analyzer's report as findings and a summary, whatever container it comes in."""
    data = _as_json(result)
    if isinstance(data, dict):
        findings = [_as_json(f) for f in data.get("findings", [])]
        summary = {k: x for k, x in data.items() if k != "findings"}
        return AnalysisResult(findings, summary or None, seconds)
    return AnalysisResult([_as_json(f) for f in data], None, seconds)


@dataclass
class Analyses:
    """Findings per (content hash, date). `budget` is the wall-clock seconds one request waits;
    `query_timeout` the solver's limit per query."""

    budget: float = 20.0
    query_timeout: float = 2.0
    analyzer: Callable[..., Any] | None = None
    _done: dict[tuple[str, date], AnalysisResult] = field(default_factory=dict)
    _running: dict[tuple[str, date], asyncio.Future[AnalysisResult]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.analyzer is None:
            self.analyzer = find_analyzer()

    async def get(self, reg: CheckedRegulation, day: date) -> tuple[AnalysisResult, bool]:
        """The findings, and whether they came from the cache."""
        key = (reg.hash, day)
        done = self._done.get(key)
        if done is not None:
            return done, True
        if self.analyzer is None:
            raise AnalyzerUnavailable
        future = self._running.get(key)
        if future is None:
            future = asyncio.ensure_future(asyncio.to_thread(self._run, reg, day))
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
        result = _call(self.analyzer, reg, day, self.query_timeout)
        return normalise(result, time.perf_counter() - start)

    def _finish(self, key: tuple[str, date], future: asyncio.Future[AnalysisResult]) -> None:
        self._running.pop(key, None)
        if not future.cancelled() and future.exception() is None:
            self._done[key] = future.result()
