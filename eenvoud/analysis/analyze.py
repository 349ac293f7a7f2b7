"""Running every analysis over regulations: at the date asked for, or at every date on which a
parameter or bracket of the regulation changes, with the periods in which each finding holds.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from eenvoud.analysis import brackets as brackets_
from eenvoud.analysis import branches as branches_
from eenvoud.analysis import burdens as burdens_
from eenvoud.analysis import documents as documents_
from eenvoud.analysis import exemptions as exemptions_
from eenvoud.analysis import inputs as inputs_
from eenvoud.analysis import parts as parts_
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
from eenvoud.engine.evaluate import Program
from eenvoud.engine.values import Value
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
    # for joining the parts of a regulation (parts.py): per date analysed and consistent, the
    # base case (where every requirement holds and nothing fails); a date without one had a
    # contradiction, or Z3 could not tell, or the encoding and the engine disagreed
    bases: dict[date, dict[str, Value]] = field(default_factory=dict)


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
    bases: dict[date, dict[str, Value]] = {}
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
        else:
            if not ctx.contradiction:
                bases[d] = dict(ctx.base)
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
                 _steps(reg) * (len(days) + 1), bases)


# The regulations (or parts of one) of a round, for the worker processes (forked: they inherit
# them, nothing is pickled but the index and the answer)
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


def _round(work: list[tuple[CheckedRegulation, tuple[date, ...]]], args: tuple[date | None, Budget,
           dict[str, tuple[str, str, str]], bool, bool], jobs: int | None, meter: _Meter,
           across: tuple[Sequence[CheckedRegulation], date, Budget] | None) -> tuple[list[_Done], Diverged]:
    """Analyse each regulation (or part) of `work`, and the divergence across the library when
    asked. More than one task: each in a fresh fork of this process (one task per child), so that it
    starts from the same solver state as when it is analysed alone, and the report, witnesses
    included, is the same whatever the number of workers. The divergence is submitted first (it
    reads the whole library: the largest), so that the round takes as long as its longest task."""
    global _ARGS, _DIVERGE
    tasks = len(work) + (across is not None)
    if tasks > 1 and "fork" in multiprocessing.get_all_start_methods():
        _WORK[:] = work
        _ARGS = args
        _DIVERGE = across
        try:
            with multiprocessing.get_context("fork").Pool(jobs_for(tasks, jobs), maxtasksperchild=1) as pool:
                across_task = pool.apply_async(_diverge_in_worker) if across is not None else None
                # the largest first, so that the pool ends together; the report keeps the given order
                order = sorted(range(len(work)), key=lambda k: -_steps(work[k][0]) * (len(work[k][1]) + 1))
                pending = {k: pool.apply_async(_in_worker, (k,)) for k in order}
                results: dict[int, _Done] = {}
                for k in order:
                    results[k] = pending[k].get()
                    for _ in range(results[k].steps):
                        meter.tick()
                diverged = across_task.get() if across_task is not None else ([], [])
                return [results[k] for k in range(len(work))], diverged
        finally:
            _WORK.clear()
            _ARGS = None
            _DIVERGE = None
    done = [_one(reg, days, *args, tick=meter.tick) for reg, days in work]
    return done, (_diverge(*across) if across is not None else ([], []))


def _joined(reg: CheckedRegulation, parts: list[CheckedRegulation], got: list[_Done]) -> _Done | None:
    """The report of a regulation from its parts' (see parts.py); None when it must be analysed
    whole: a part not consistent on some date, the parts analysed on different dates, or a witness
    the whole regulation decides otherwise."""
    first = got[0].entry
    if any((g.entry.dates, g.entry.skipped) != (first.dates, first.skipped) or set(g.bases) != set(first.dates)
           for g in got):
        return None
    bases: dict[date, dict[str, Value]] = {}
    for d in first.dates:
        bases[d] = {}
        for g in got:
            bases[d].update(g.bases[d])
    # every input in one part, whose base case holds it: the joined base cases are complete cases
    if not parts_.partition(reg, parts) or any(i.name not in base for base in bases.values() for i in reg.inputs):
        return None
    # the engine decides the joined base case on the whole where a witness is completed with it
    programs: dict[date, Program] = {}
    witnessed = {f.witness.date for g in got for f in g.findings if f.witness is not None}
    if not all(parts_.base_holds(reg, d, bases[d], programs) for d in sorted(witnessed) if d in bases):
        return None
    findings: list[Finding] = []
    for part, g in zip(parts, got, strict=True):
        for f in g.findings:
            whole = parts_.complete_witness(f, reg, part, bases, programs)
            if whole is None:
                return None
            findings.append(whole)
    return _Done(_ordered(findings), [u for g in got for u in g.unknown], [p for g in got for p in g.properties],
                 sum(g.echoes for g in got), RegulationReport(reg.name, reg.title, reg.file.name, first.dates,
                                                              first.skipped, parts=len(parts)),
                 sum(g.queries for g in got), sum(g.steps for g in got), bases)


def analyze(regs: Sequence[CheckedRegulation], day: date | None = None, budget: Budget | None = None,
            progress: Progress | None = None, library: Sequence[CheckedRegulation] = (),
            simplify: bool = False, parameter_echoes: bool = False, jobs: int | None = None) -> Report:
    """Analyze each regulation (modules are analyzed through the regulations that import them).
    `parameter_echoes`: also report the dead branches that only echo a parameter set by date.
    `jobs`: regulations (and parts of a large one, see parts.py) analysed at once in worker
    processes (default: one per core); the report is the same, in the same order, witnesses
    included, whatever the number."""
    budget = budget or Budget()
    started = time.perf_counter()
    report = Report()
    registry = registry_map([*library, *regs])
    work = [(reg, analysis_dates(reg, day)) for reg in regs if reg.is_regulation()]
    # a large regulation that falls apart into parts sharing nothing: each part a task of its own
    split = [[reg] if simplify else parts_.split(reg, _steps(reg)) for reg, _days in work]
    tasks = [(part, days) for (_reg, days), parts in zip(work, split, strict=True) for part in parts]
    meter = _Meter(sum(_steps(reg) * (len(days) + 1) for reg, days in tasks), callback=progress)
    # across regulations: one concept, two definitions
    across = bool(library) and len(work) > 1
    on = day or max((d for reg in library for d in reg.change_dates()), default=date.today())
    args = (day, budget, registry, simplify, parameter_echoes)
    got, diverged = _round(tasks, args, jobs, meter, (library, on, budget) if across else None)
    done: list[_Done | None] = []
    for (reg, _days), parts in zip(work, split, strict=True):
        mine, got = got[:len(parts)], got[len(parts):]
        done.append(mine[0] if len(parts) == 1 else _joined(reg, parts, mine))
    whole = [k for k, d in enumerate(done) if d is None]  # parts that must be analysed whole after all
    if whole:
        again, _ = _round([work[k] for k in whole], args, jobs, meter, None)
        for k, d in zip(whole, again, strict=True):
            done[k] = d
    queries = 0
    for (reg, _days), one in zip(work, done, strict=True):
        assert one is not None
        report.regs[reg.name] = reg
        report.properties += one.properties
        report.echoes += one.echoes
        report.findings += one.findings
        report.unknown += one.unknown
        report.regulations.append(one.entry)
        queries += one.queries
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
