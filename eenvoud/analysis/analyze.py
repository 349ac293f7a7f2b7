"""Running every analysis over regulations: at the date asked for, or at every date on which a
parameter or bracket of the regulation changes, with the periods in which each finding holds.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from eenvoud.analysis import brackets as brackets_
from eenvoud.analysis import branches as branches_
from eenvoud.analysis import burdens as burdens_
from eenvoud.analysis import documents as documents_
from eenvoud.analysis import exemptions as exemptions_
from eenvoud.analysis import inputs as inputs_
from eenvoud.analysis import properties as properties_
from eenvoud.analysis import requirements as requirements_
from eenvoud.analysis import simplify as simplify_
from eenvoud.analysis import unused as unused_
from eenvoud.analysis.context import Context, Disagreement
from eenvoud.analysis.findings import (
    KINDS,
    Finding,
    PropertyResult,
    RegulationReport,
    Report,
    Undecided,
    merge_periods,
)
from eenvoud.analysis.on_date import analysis_dates, context_at
from eenvoud.analysis.prover import Budget, Stats
from eenvoud.analysis.registries import holds
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

Progress = Callable[[int, int], None]  # (done, total) steps


@dataclass
class _Meter:
    total: int
    done: int = 0
    callback: Progress | None = None

    def tick(self) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(min(self.done, self.total), self.total)


def registry_map(regs: Iterable[CheckedRegulation]) -> dict[str, tuple[str, str, str]]:
    """Every input some rule file takes from a registry: name -> (registry, file's regulation, kind)."""
    out: dict[str, tuple[str, str, str]] = {}
    for reg in regs:
        for i in reg.inputs:
            if i.registry is not None and holds(i) and i.name not in out:  # held for the period read
                out[i.name] = (i.registry, reg.name, t.kind(t.strip_domain(i.type)))
    return out


def _steps(reg: CheckedRegulation) -> int:
    return (2 * len(reg.requirements) + sum(len(r.exemptions) for r in reg.requirements) + len(reg.inputs)
            + len(reg.documents) + len(reg.brackets) + len(reg.properties) + len(reg.definitions) + 1)


def run_all(ctx: Context) -> list[PropertyResult]:
    """Every single-regulation analysis, cheap and foundational first."""
    requirements_.contradictions(ctx)
    requirements_.redundant(ctx)
    exemptions_.exemptions(ctx)
    branches_.branches(ctx)
    inputs_.irrelevant(ctx)
    documents_.documents(ctx)
    brackets_.brackets(ctx)
    return properties_.properties(ctx)


@dataclass
class _Done:
    """What the analysis of one regulation adds to the report."""

    findings: list[Finding]
    unknown: list[Undecided]
    properties: list[PropertyResult]
    echoes: int
    entry: RegulationReport
    queries: int
    steps: int


def _one(reg: CheckedRegulation, days: tuple[date, ...], day: date | None, budget: Budget,
         registry: dict[str, tuple[str, str, str]], simplify: bool, parameter_echoes: bool,
         tick: Callable[[], None] | None) -> _Done:
    """Every analysis of one regulation on each of its dates, with the periods merged."""
    stats = Stats()
    properties: list[PropertyResult] = []
    echoes = 0
    findings: list[Finding] = []
    unknown: list[Undecided] = []
    skipped: list[str] = []
    analyzed: list[date] = []
    contexts: list[Context] = []
    for d in days:
        ctx = context_at(reg, d, budget, stats, registry)
        if isinstance(ctx, str):
            skipped.append(f"{d.isoformat()}: {ctx}")
            continue
        ctx.progress = tick
        ctx.parameter_echoes = parameter_echoes
        analyzed.append(d)
        try:
            properties += run_all(ctx)
        except Disagreement as exc:
            ctx.undecided("contradiction", reg.name, None, f"the encoding and the engine disagree: {exc}")
        unknown += ctx.unknown
        contexts.append(ctx)
    unused = unused_.unused_findings(contexts)
    for ctx in contexts:  # one finding per burden, root causes first
        findings += burdens_.fold(ctx, unused.get(id(ctx)))
        echoes += ctx.echoes
    for prop in reg.properties:  # a property with its own date is checked on that date
        if prop.on is None or prop.on in days:
            continue
        ctx = context_at(reg, prop.on, budget, stats, registry)
        if isinstance(ctx, str):
            skipped.append(f"{prop.on.isoformat()} (property \"{prop.name}\"): {ctx}")
            continue
        properties += properties_.properties(ctx, [prop])
        findings += [f for f in ctx.findings]
        unknown += ctx.unknown
    all_days = tuple(sorted(set(analyzed) | {f.day for f in findings if f.day} | {u.day for u in unknown if u.day}))
    entry = RegulationReport(reg.name, reg.title, reg.file.name, tuple(analyzed), tuple(skipped))
    if simplify:
        result = simplify_.simplify(reg, budget=budget, day=day, stats=stats, analysed=contexts)
        entry.simplified = result.text
        entry.simplify_note = result.note
    return _Done(_ordered(merge_periods(findings, all_days, day is not None)),
                 merge_periods(unknown, all_days, day is not None), properties, echoes, entry, stats.queries,
                 _steps(reg) * (len(days) + 1))


# The regulations of one run, for the worker processes (forked: they inherit them, nothing is pickled
# but the index and the answer)
_WORK: list[tuple[CheckedRegulation, tuple[date, ...]]] = []
_ARGS: tuple[date | None, Budget, dict[str, tuple[str, str, str]], bool, bool] | None = None
# ... and the divergence across them: the library, the date and the budget
_DIVERGE: tuple[Sequence[CheckedRegulation], date, Budget] | None = None
Diverged = tuple[list[Finding], list[Undecided]]


def _in_worker(k: int) -> _Done:
    assert _ARGS is not None
    reg, days = _WORK[k]
    return _one(reg, days, *_ARGS, tick=None)


def _diverge(library: Sequence[CheckedRegulation], on: date, budget: Budget) -> Diverged:
    from eenvoud.analysis.divergence import diverging_definitions

    found, undecided = diverging_definitions(library, on, budget)
    return merge_periods(found, (on,), True), merge_periods(undecided, (on,), True)


def _diverge_in_worker() -> Diverged:
    assert _DIVERGE is not None
    return _diverge(*_DIVERGE)


def jobs_for(n: int, jobs: int | None) -> int:
    """Worker processes for `n` regulations: one per core by default (EENVOUD_JOBS sets it)."""
    if jobs is None:
        env = os.environ.get("EENVOUD_JOBS", "")
        jobs = int(env) if env.isdigit() else (os.cpu_count() or 1)
    return max(1, min(jobs, n))


def analyze(regs: Sequence[CheckedRegulation], day: date | None = None, budget: Budget | None = None,
            progress: Progress | None = None, library: Sequence[CheckedRegulation] = (),
            simplify: bool = False, parameter_echoes: bool = False, jobs: int | None = None) -> Report:
    """Analyze each regulation (modules are analyzed through the regulations that import them).
    `parameter_echoes`: also report the dead branches that only echo a parameter set by date.
    `jobs`: regulations analysed at once in worker processes (default: one per core); the report
    is the same, in the same order, witnesses included, whatever the number."""
    global _ARGS, _DIVERGE
    budget = budget or Budget()
    started = time.perf_counter()
    report = Report()
    registry = registry_map([*library, *regs])
    work = [(reg, analysis_dates(reg, day)) for reg in regs if reg.is_regulation()]
    meter = _Meter(sum(_steps(reg) * (len(days) + 1) for reg, days in work), callback=progress)
    done: list[_Done] = []
    workers = jobs_for(len(work), jobs)
    # across regulations: one concept, two definitions
    across = bool(library) and len(work) > 1
    on = day or max((d for reg in library for d in reg.change_dates()), default=date.today())
    diverged: Diverged = ([], [])
    if len(work) > 1 and workers >= 1 and "fork" in multiprocessing.get_all_start_methods():
        # each regulation in a fresh fork of this process (one task per child): it starts from the
        # same solver state as when it is analysed alone, so that the report, witnesses included, is
        # the same whatever the number of workers. The divergence across the regulations is one
        # more task, submitted first (it reads the whole library: the largest), so that the run
        # takes as long as its longest task rather than the regulations and then the divergence.
        _WORK[:] = work
        _ARGS = (day, budget, registry, simplify, parameter_echoes)
        _DIVERGE = (library, on, budget) if across else None
        try:
            with multiprocessing.get_context("fork").Pool(workers, maxtasksperchild=1) as pool:
                across_task = pool.apply_async(_diverge_in_worker) if across else None
                # the largest first, so that the pool ends together; the report keeps the given order
                order = sorted(range(len(work)), key=lambda k: -_steps(work[k][0]) * (len(work[k][1]) + 1))
                pending = {k: pool.apply_async(_in_worker, (k,)) for k in order}
                results: dict[int, _Done] = {}
                for k in order:
                    results[k] = pending[k].get()
                    for _ in range(results[k].steps):
                        meter.tick()
                done = [results[k] for k in range(len(work))]
                if across_task is not None:
                    diverged = across_task.get()
        finally:
            _WORK.clear()
            _ARGS = None
            _DIVERGE = None
    else:
        done = [_one(reg, days, day, budget, registry, simplify, parameter_echoes, meter.tick) for reg, days in work]
        if across:
            diverged = _diverge(library, on, budget)
    queries = 0
    for (reg, _days), got in zip(work, done, strict=True):
        report.regs[reg.name] = reg
        report.properties += got.properties
        report.echoes += got.echoes
        report.findings += got.findings
        report.unknown += got.unknown
        report.regulations.append(got.entry)
        queries += got.queries
    if across:
        report.findings += diverged[0]
        report.unknown += diverged[1]
        for reg in library:
            report.regs.setdefault(reg.name, reg)
        report.findings = burdens_.fold_divergences(report.findings, report.regs)  # consequences folded
    report.queries = queries
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(meter.total, meter.total)
    return report


def _ordered(findings: list[Finding]) -> list[Finding]:
    rank = {k: i for i, k in enumerate(KINDS)}
    return sorted(findings, key=lambda f: (rank[f.kind], _line(f.span), f.subject))


def _line(span: str | None) -> tuple[str, int, int]:
    if span is None:
        return ("", 0, 0)
    path, _, rest = span.rpartition(":")
    path2, _, line = path.rpartition(":")
    try:
        return (path2, int(line), int(rest))
    except ValueError:
        return (span, 0, 0)
