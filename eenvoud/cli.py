"""The `eenvoud` command. Human output for a terminal (rich), `--json` for machines.

A user's mistake (bad rules, bad facts, a missing file) ends with a clear message and exit code 1;
never with a Python traceback. Set EENVOUD_DEBUG=1 to see one for an internal error.

Longer than ~500 lines for a reason: the layering contract lets only this module import the
terminal libraries, so every command's argument parsing and printing lives here; each command is a
thin `cmd_*` function over the engine, the analyzer or the API, and none decides anything itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console

from eenvoud.diagnostics import Diagnostic, RuleError, render_all
from eenvoud.dsl.parser import parse
from eenvoud.engine.decision import Decision, default_engine
from eenvoud.engine.facts import FactsError, load_json, parse_facts
from eenvoud.engine.government import contradictions, decide_all, derivations
from eenvoud.engine.runner import TestResult, run_tests
from eenvoud.engine.values import EvaluationError
from eenvoud.ir import printer
from eenvoud.library import Library, rule_files
from eenvoud.source import SourceError, SourceFile


class UsageError(Exception):
    """A mistake in how the command was called: a missing file, a bad date."""


out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date like 2025-01-01") from None


def _emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _load(paths: Sequence[str]) -> Library:
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"no such file or folder: {p}")
    return Library.load(paths)


# -- check -----------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    lib = _load(args.paths)
    if getattr(args, "library", False):
        from eenvoud.dsl.policy import library_policy

        # the library's policy (docs/library.md): errors like the checker's, with P codes
        lib.diagnostics.extend(library_policy(lib.files.values()))
    files = list(rule_files(args.paths))
    from eenvoud.dsl.reads import unused

    # warnings only: what nothing reads (an error is only about what the rules read)
    warnings = unused(list(lib.files.values()))
    if args.json:
        _emit_json({"files": len(files), "errors": [d.to_json() for d in lib.diagnostics],
                    "warnings": [d.to_json() for d in warnings]})
        return 1 if lib.diagnostics else 0
    if warnings:
        err.print(render_all(warnings) + "\n", markup=False)
    if lib.diagnostics:
        err.print(render_all(lib.diagnostics), markup=False)
        n_files = len({d.span.file.name for d in lib.diagnostics if d.span}) or 1
        err.print(f"\n{len(lib.diagnostics)} error{'s' if len(lib.diagnostics) != 1 else ''} "
                  f"in {n_files} file{'s' if n_files != 1 else ''}", markup=False)
        return 1
    out.print(f"checked {len(files)} file{'s' if len(files) != 1 else ''}: "
              f"{len(lib.regulations)} regulation{'s' if len(lib.regulations) != 1 else ''}, "
              f"{len(lib.modules)} module{'s' if len(lib.modules) != 1 else ''}"
              + (f", {len(lib.events)} life event{'s' if len(lib.events) != 1 else ''}" if lib.events else "")
              + ", no errors"
              + (f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""), markup=False)
    return 0


# -- eval ------------------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    lib = _load([args.file])
    if lib.events and not lib.regulations:
        return _eval_event(args)
    lib.raise_for_errors()
    regs = list(lib.regulations.values())
    if len(regs) != 1:
        raise UsageError(f"{args.file} is a module, not a regulation: there is no eligibility to decide")
    reg = regs[0]
    raw = _read_facts(args.facts)
    facts = parse_facts(reg, raw)
    day = args.date or date.today()
    _refuse_disagreements(reg, facts, raw, day, Path(args.file))
    from eenvoud.analysis.determinacy import decision as settled_decision  # Z3 only when deciding

    decision = settled_decision(reg, facts, day)
    if args.lang is not None:  # the explanation in the language asked for (default: the rules' own)
        from eenvoud.engine.explanation import explain

        decision = dataclasses.replace(decision, explanation=tuple(explain(decision, reg, args.lang)))
    stored_id: str | None = None
    if args.store:
        audit = _audit()
        try:
            made = audit.make(reg, day, raw if isinstance(raw, dict) else {}, decision.to_json())
            audit.save(made)
        finally:
            audit.close()
        stored_id = made.id
    if args.json:
        _emit_json(decision.to_json() if stored_id is None else {"decision_id": stored_id, **decision.to_json()})
    else:
        _print_decision(decision, reg.title or reg.name)
        if stored_id is not None:
            out.print(f"stored as decision {stored_id}", markup=False)
    if decision.error is not None:
        # an outcome, but one the rules' drafter must hear of: a defect of the rules for this case
        where = f" at {decision.error.span}" if decision.error.span else ""
        print(f"error: the rules cannot be evaluated for this case: {decision.error.message}{where}, "
              f"in {decision.error.subject}", file=sys.stderr)
        return 1
    return 0


def _refuse_disagreements(reg: Any, facts: dict[str, Any], raw: object, day: date, file: Path) -> None:
    """A derived fact given beside the facts it is derived from (`age` and `birth_date`) must agree
    with them, as for one government. The file that defines it need not be imported by the
    regulation (module person_age is not imported by the zorgtoeslag): the library around the file
    is searched, and only the files that define a given input are loaded."""
    if not isinstance(raw, dict):
        return
    import re

    given = [k for k in raw if k in reg.input_map and raw[k] is not None]
    if not given:
        return
    pattern = re.compile(r"^define\s+(" + "|".join(re.escape(k) for k in given) + r")\b", re.M)
    holders = [str(p) for p in rule_files([_rules_root(file)]) if p.resolve() != file.resolve()
               and pattern.search(p.read_text(encoding="utf-8"))]
    found = [reg]
    if holders:
        lib = Library.load(holders)
        found += [*lib.regulations.values(), *lib.modules.values()]
    wrong = contradictions(reg, facts, raw, day, default_engine().program, derivations(found))
    if wrong:
        raise FactsError(list(wrong))


def _read_facts(where: str) -> object:
    if where == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(where).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read the facts file {where}: {exc.strerror}") from None
    return load_json(text, "facts")


def _rules_root(event_file: Path) -> Path:
    """The library an event's regulations live in: the nearest folder named `rules` above the
    event file, else the event file's own folder."""
    for parent in event_file.resolve().parents:
        if parent.name == "rules":
            return parent
    return event_file.resolve().parent


def _eval_event(args: argparse.Namespace) -> int:
    """A life event: one person's facts decided against every regulation the event includes. The
    facts are one flat object; each regulation takes the inputs it declares."""
    root = Path(args.rules) if args.rules else _rules_root(Path(args.file))
    paths = [str(root)]
    if root.resolve() not in Path(args.file).resolve().parents:
        paths.append(args.file)
    lib = _load(paths)
    lib.raise_for_errors()
    target = Path(args.file).resolve()
    event = next((e for p, e in lib.event_files.items() if p.resolve() == target), None)
    if event is None:
        raise UsageError(f"{args.file} is not an event file of {root}")
    regs = lib.event_regulations(event)
    day = args.date or date.today()
    from eenvoud.analysis.determinacy import decision as settled_decision  # Z3 only when deciding

    result = decide_all(regs, _read_facts(args.facts), day, default_engine().program,
                        scope=f" of the event `{event.name}`", settle=settled_decision,
                        derived=derivations([*lib.regulations.values(), *lib.modules.values()]))
    result.raise_for_errors()
    for o in result.outcomes:
        if o.not_in_force is not None:  # on the command line, a regulation not in force is an error
            raise o.not_in_force
    decisions = [o.decision for o in result.outcomes if o.decision is not None]
    if args.json:
        _emit_json({"event": event.name, "title": event.title, "date": day.isoformat(),
                    "decisions": [d.to_json() for d in decisions]})
        return 0
    out.print(f"[bold]{event.title or event.name}[/bold] ({event.name}) on {day.isoformat()}: "
              f"{len(regs)} regulation{'s' if len(regs) != 1 else ''}")
    for reg, d in zip(regs, decisions, strict=True):
        out.print()
        _print_decision(d, reg.title or reg.name)
    return 0


def _print_decision(d: Decision, title: str) -> None:
    colour = {True: "green", False: "red", None: "yellow"}[d.eligible]
    out.print(f"[bold]{title}[/bold] ({d.regulation}) on {d.date.isoformat()}: "
              f"[bold {colour}]{d.outcome.upper()}[/bold {colour}]")
    marks = {"Met:": "[green]✓[/green]", "Not met:": "[red]✗[/red]", "Not yet known:": "[yellow]?[/yellow]",
             "Voldaan:": "[green]✓[/green]", "Niet voldaan:": "[red]✗[/red]", "Nog niet bekend:": "[yellow]?[/yellow]"}
    for line in d.explanation:
        mark = next((m for prefix, m in marks.items() if line.startswith(prefix)), "[bold]→[/bold]")
        out.print(f"  {mark} ", end="")
        out.print(line, markup=False)
    if d.questions:
        out.print(f"[bold]Still needed[/bold] ({len(d.questions)} fact{'s' if len(d.questions) != 1 else ''})")
        for q in d.questions:
            source = ("ask the citizen" if not q.registry
                      else f"ask the citizen, with {q.registry}'s figure as a start (a judgement)" if q.judged
                      else f"held by {q.registry}: fetch it, do not ask")
            out.print(f"  - {q.input}: {q.label or ''} ({source})", markup=False)
    out.print(f"[dim]{d.hash}[/dim]")


# -- test ------------------------------------------------------------------------------------------

def cmd_test(args: argparse.Namespace) -> int:
    lib = _load(args.paths)
    lib.raise_for_errors()
    results: list[TestResult] = []
    engine = default_engine()
    for reg in lib.files.values():
        results.extend(run_tests(reg, engine))
    properties = _prove_properties(lib, args.timeout)
    summary = _property_summary(properties)
    proved, violated, unknown = (sum(p["status"] == s for p in summary) for s in ("proved", "violated", "unknown"))
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    # the closing line counts tests and properties together: a violated property fails the run
    # (exit 1) as a failed test does; a property the solver could not settle counts in neither
    code = 1 if failed or violated else 0
    if args.json:
        _emit_json({"passed": passed, "failed": failed, "results": [r.to_json() for r in results],
                    "properties": [_property_json(p) for p in properties],
                    "property_summary": summary,
                    "properties_proved": proved, "properties_violated": violated, "properties_unknown": unknown})
        return code
    for r in results:
        if r.passed:
            if args.verbose:
                out.print(f"[green]ok[/green]   {r.regulation}: {r.test.name}")
            continue
        out.print(f"[red]FAIL[/red] {r.location}: {r.regulation}: \"{r.test.name}\"")
        for f in r.failures:
            out.print(f"       {f}", markup=False)
        if r.path:
            out.print("       values on the path:", markup=False)
            for line in r.path:
                out.print(f"         {line}", markup=False)
    _print_properties(properties, args.verbose)
    tail = f", {unknown} unknown" if unknown else ""
    out.print(f"{passed} passed, {failed} failed; {proved} {'property' if proved == 1 else 'properties'} proved, "
              f"{violated} violated{tail}", markup=False)
    out.print(f"{passed + proved} passed, {failed + violated} failed", markup=False)
    return code


def _prove_properties(lib: Library, timeout: float) -> list[Any]:
    """The `property` blocks, proved or refuted by the analyzer (Z3)."""
    from eenvoud.analysis.properties import prove_properties
    from eenvoud.analysis.prover import Budget

    found: list[Any] = []
    for reg in lib.regulations.values():
        found += prove_properties(reg, Budget(timeout))
    return found


def _property_json(p: Any) -> dict[str, object]:
    return {"regulation": p.regulation, "property": p.name, "location": p.span, "date": p.day.isoformat(),
            "status": p.status, "detail": p.detail,
            "counterexample": p.witness.to_json() if p.witness is not None else None}


def _property_summary(properties: list[Any]) -> list[dict[str, Any]]:
    """One entry per property (its results on every date checked): violated when it fails on one
    date, proved when it holds on every one, else unknown; with the dates of each outcome."""
    grouped: dict[tuple[str, str], list[Any]] = {}
    for p in properties:
        grouped.setdefault((p.regulation, p.name), []).append(p)
    out = []
    for (regulation, name), results in grouped.items():
        statuses = {p.status for p in results}
        status = "violated" if "violated" in statuses else "proved" if statuses == {"proved"} else "unknown"
        out.append({"regulation": regulation, "property": name, "status": status,
                    "dates": {s: [p.day.isoformat() for p in results if p.status == s] for s in sorted(statuses)}})
    return out


def _print_properties(properties: list[Any], verbose: bool) -> None:
    """Each distinct outcome once, with the dates it holds on: a property violated the same way on
    four dates is one report, not four."""
    groups: dict[tuple[str, str, str, str | None], list[Any]] = {}
    for p in properties:
        groups.setdefault((p.regulation, p.name, p.status, p.detail), []).append(p)
    for (regulation, name, status, detail), results in groups.items():
        first = results[0]
        where = first.span or regulation
        days = ", ".join(str(p.day) for p in results)
        on = f"on {days}" if len(results) == 1 else f"on {len(results)} dates: {days}"
        if status == "proved":
            if verbose:
                out.print(f"[green]ok[/green]   {regulation}: property \"{name}\" {on} (proved by Z3)", markup=True)
        elif status == "violated":
            out.print(f"[red]FAIL[/red] {where}: {regulation}: property \"{name}\" {on}", markup=True)
            out.print(f"       {detail}", markup=False)
            witnesses = []
            for p in results:
                facts = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}"
                                  for k, v in p.witness.to_json()["facts"].items())
                if facts not in witnesses:
                    witnesses.append(facts)
            for facts in witnesses:
                out.print(f"       counterexample: {facts}", markup=False)
        else:
            out.print(f"[yellow]UNKNOWN[/yellow] {where}: {regulation}: property \"{name}\" {on}: {detail}",
                      markup=False)


# -- analyze, simplify ----------------------------------------------------------------------------


def cmd_analyze(args: argparse.Namespace) -> int:
    from eenvoud.analysis import report as reports
    from eenvoud.analysis.analyze import analyze
    from eenvoud.analysis.prover import Budget

    lib = _load(args.paths)
    lib.raise_for_errors()
    if getattr(args, "population", None) and not Path(args.population).is_file():  # before minutes of analysis
        raise UsageError(f"no population file {args.population}")
    fmt = "json" if args.json else args.format
    targets: list[tuple[str, str | None]] = []  # (format, file); one run can write several reports
    for path in args.out or []:
        suffix = {".json": "json", ".md": "md", ".html": "html", ".htm": "html"}.get(Path(path).suffix.lower())
        if fmt is None and suffix is None:
            raise UsageError(f"say which format to write to {path}: --format md|html, --json, or end it in "
                             ".md, .html or .json")
        targets.append((fmt or suffix or "json", path))
    if not targets and fmt is not None:
        targets.append((fmt, None))
    from rich.progress import Progress

    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("analysing", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = analyze(list(lib.regulations.values()), day=args.date, budget=Budget(args.timeout),
                         progress=progress, library=list(lib.files.values()),
                         simplify=any(f in ("md", "html") for f, _ in targets),
                         parameter_echoes=args.parameter_echoes)
    if args.lang is None:  # the rules' own language: Dutch when most regulations are written in Dutch
        from eenvoud.engine.explanation import language

        langs = [language(r) for r in lib.regulations.values()]
        args.lang = "nl" if langs.count("nl") * 2 >= len(langs) else "en"
    counts = None
    if getattr(args, "population", None):  # exact counts of the applicants each burden touches
        from eenvoud.analysis.population import PopulationError

        try:
            counts = reports.population_counts(report, args.population)
        except PopulationError as exc:
            raise UsageError(str(exc)) from None
    if not targets:
        _print_findings(report)
        return 0
    for kind, path in targets:
        text = {"json": lambda: json.dumps(reports.to_json(report, args.lang, counts), indent=2,
                                           ensure_ascii=False) + "\n",
                "md": lambda: reports.markdown(report, args.lang, counts),
                "html": lambda: reports.html(report, args.lang, counts)}[kind]()
        if path is None:
            sys.stdout.write(text)
            continue
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    if any(path is not None for _, path in targets):
        for line in reports.terminal_summary(report):
            out.print(line, markup=False)
        for _, path in targets:
            out.print(f"wrote {path}", markup=False)
    return 0


def _print_findings(report: Any) -> None:
    from eenvoud.analysis.findings import TITLES

    for f in report.findings:
        when = "; ".join(p.text() for p in f.periods)
        out.print(f"[bold]{TITLES[f.kind]}[/bold] {f.regulation}: {f.subject}")
        out.print(f"  {f.span or ''}{' (' + f.article + ')' if f.article else ''} {when}", markup=False)
        out.print(f"  {f.message}", markup=False)
        if f.because:
            out.print("  because: " + "; ".join(f.because), markup=False)
        if f.witness is not None:
            facts = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}"
                              for k, v in f.witness.to_json(report.regs.get(f.regulation))["facts"].items())
            out.print(f"  witness: {facts}", markup=False)
    for u in report.unknown:
        out.print(f"[yellow]unknown[/yellow] {u.regulation}: {u.subject} ({TITLES.get(u.analysis, u.analysis)}): "
                  f"{u.reason}", markup=False)
    from eenvoud.analysis.report import terminal_summary

    for line in terminal_summary(report):
        out.print(line, markup=False)


def cmd_simplify(args: argparse.Namespace) -> int:
    from eenvoud.analysis.prover import Budget
    from eenvoud.analysis.simplify import relocate_imports, simplify

    lib = _load([args.file])
    lib.raise_for_errors()
    regs = list(lib.regulations.values())
    if len(regs) != 1:
        raise UsageError(f"{args.file} is not a regulation: there is nothing to simplify")
    result = simplify(regs[0], budget=Budget(args.timeout), day=args.date)
    if not result.proved or result.text is None:
        err.print(f"error: simplify refuses `{regs[0].name}`: {result.note}", markup=False)
        return 1
    for line in result.removed:
        err.print(f"removed {line}", markup=False)
    for line in result.kept:
        err.print(f"kept {line}", markup=False)
    err.print(result.note, markup=False)
    if args.out:
        # written elsewhere: its relative imports are rewritten to be found from there
        text = relocate_imports(result.text, Path(args.file), Path(args.out))
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror}") from None
    else:
        sys.stdout.write(result.text)
    return 0


# -- fmt -------------------------------------------------------------------------------------------


def cmd_fmt(args: argparse.Namespace) -> int:
    changed: list[Path] = []
    diagnostics: list[Diagnostic] = []
    for path in rule_files(args.paths):
        try:
            source = SourceFile.read(path)
        except (OSError, SourceError) as exc:
            raise UsageError(f"cannot read {path}: {exc}") from None
        try:
            parsed = parse(source)
        except RuleError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        text = printer.regulation(parsed.regulation, parsed.comments)
        if text != source.text:
            changed.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    if diagnostics:
        err.print(render_all(diagnostics), markup=False)
        return 1
    if args.check:
        for p in changed:
            out.print(f"would reformat {p}", markup=False)
        return 1 if changed else 0
    for p in changed:
        out.print(f"reformatted {p}", markup=False)
    return 0


# -- matrix ----------------------------------------------------------------------------------------


def cmd_matrix(args: argparse.Namespace) -> int:
    from eenvoud.analysis import matrix as mx

    lib = _load(args.paths)
    lib.raise_for_errors()
    if not lib.regulations:
        raise UsageError("no regulations in " + ", ".join(args.paths) + ": nothing to compare")
    m = mx.build(list(lib.regulations.values()), root=Path.cwd())
    fmt = "json" if args.json else args.format
    if fmt is None and args.out:
        fmt = {".json": "json", ".md": "md", ".csv": "csv", ".html": "html", ".htm": "html"}.get(
            Path(args.out).suffix.lower())
    fmt = fmt or "md"
    text = json.dumps(m.to_json(), indent=2, ensure_ascii=False) + "\n" if fmt == "json" else mx.FORMATS[fmt](m)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        err.print(f"wrote {args.out}: {len(m.facts)} facts, {len(m.regulations)} regulations", markup=False)
    else:
        sys.stdout.write(text)
    return 0


# -- serve -----------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from eenvoud.api.server import ServeError, default_rules, serve  # fastapi only when serving

    rules = args.rules or default_rules()
    if rules is None:
        raise UsageError("no rules folder: run from the repository, or give one with --rules DIR")
    lib = _load([str(rules)])
    lib.raise_for_errors()
    if not lib.regulations:
        raise UsageError(f"no regulations in {rules}: nothing to serve")
    if not 0 < args.port < 65536:
        raise UsageError(f"`{args.port}` is not a port number (1-65535)")
    from eenvoud.audit import ENV_STORE

    # read by the app each worker builds: the store is on unless --no-store
    os.environ[ENV_STORE] = "off" if args.no_store else "on"
    if not args.no_store:
        _audit().close()  # a store that cannot be opened stops the command before it listens
        err.print(f"eenvoud: decisions are kept in {_store_name()} (docs/audit.md; --no-store to keep none)",
                  markup=False)
    try:
        return serve(lib, Path(rules), host=args.host, port=args.port, workers=args.workers,
                     access_log=not args.no_access_log)
    except ServeError as exc:
        raise UsageError(str(exc)) from None


# -- batch -----------------------------------------------------------------------------------------


def cmd_batch(args: argparse.Namespace) -> int:
    """Exit codes (docs/scale.md): 0 every row decided, 1 bad rows reported in the errors file,
    2 the batch could not run (its rules, files or options; nothing written)."""
    from eenvoud.engine.batch import BatchError

    try:
        return _batch(args)
    except RuleError as exc:
        err.print(render_all(exc.diagnostics), markup=False)
    except (UsageError, BatchError) as exc:
        err.print(f"error: {exc}", markup=False)
    return 2


def _batch(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from eenvoud.engine.batch import run_batch  # duckdb (and pyspark) only for a batch

    lib = _load([args.file])
    lib.raise_for_errors()
    regs = list(lib.regulations.values())
    if len(regs) != 1:
        raise UsageError(f"{args.file} is a module, not a regulation: there is no eligibility to decide")
    day = args.date or date.today()
    bar = Progress(TextColumn("{task.description:<9}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=args.json)
    with bar:
        task = bar.add_task("reading", total=1.0)

        def report(stage: str, fraction: float | None) -> None:
            bar.update(task, description=stage, completed=fraction or 0.0, total=None if fraction is None else 1.0)

        result = run_batch(regs[0], day, args.input, args.output, engine=args.engine, progress=report,
                           spark_master=args.spark_master, id_column=args.id)
    run_id: str | None = None
    if args.store:
        audit = _audit()
        try:
            run_id = audit.record_run(regs[0], day, Path(args.input), Path(args.output), {
                "people": result.people, "eligible": result.eligible, "not_eligible": result.not_eligible,
                "undetermined": result.undetermined, "errors": result.bad_rows}).id
        finally:
            audit.close()
    if args.json:
        _emit_json(result.to_json() if run_id is None else {"run_id": run_id, **result.to_json()})
        return 1 if result.bad_rows else 0
    if run_id is not None:
        out.print(f"stored as run {run_id}", markup=False)
    for name in result.missing_columns:
        err.print(f"warning: the input has no column `{name}`: it is unknown for every person", markup=False)
    rate = result.people / result.seconds if result.seconds else 0.0
    out.print(f"[bold]{regs[0].title or regs[0].name}[/bold] on {day.isoformat()}: {result.people:,} people "
              f"in {result.seconds:.1f} s ({rate:,.0f} per second, {result.engine})")
    out.print(f"  [green]eligible[/green] {result.eligible:,}   [red]not eligible[/red] {result.not_eligible:,}   "
              f"[yellow]undetermined[/yellow] {result.undetermined:,}")
    out.print(f"  results: {result.output}", markup=False)
    out.print(f"  rows: {result.rows_in:,} in = {result.rows_out:,} out + {result.error_rows:,} in the errors file",
              markup=False)
    if result.engine_rows:
        out.print(f"  {result.engine_rows:,} rows decided by the engine (a division by zero, a bracket gap or a date "
                  "out of range in the SQL)", markup=False)
    if result.bad_rows:
        err.print(f"error: {result.bad_rows:,} row{'s' if result.bad_rows != 1 else ''} not decided; "
                  f"every reason is in {result.errors_path}", markup=False)
        for e in result.errors[:10]:
            where = f"row {e.row}" + (f", `{e.column}`" if e.column else "")
            value = f" (got {e.value!r})" if e.value is not None else ""
            place = ", ".join(([f"line {e.line}"] if e.line is not None else [])
                              + ([f"{result.id_column} {e.id}"] if e.id else []))
            err.print(f"  {where}: {e.message}{value}" + (f" [{place}]" if place else ""), markup=False)
        if result.bad_rows > 10 or len(result.errors) > 10:
            err.print("  ...", markup=False)
        return 1
    return 0


# -- diff ------------------------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    import tempfile

    from eenvoud.analysis.diff import DiffError, compare, count_population
    from eenvoud.analysis.prover import Budget

    if args.new is None and args.new_date is None:
        raise UsageError("give a second file (`diff OLD.rules NEW.rules --date D`) or a second date "
                         "(`diff FILE --date D1 --new-date D2`)")
    old_lib = _load([args.old])
    old_lib.raise_for_errors()
    new_lib = old_lib if args.new is None else _load([args.new])
    new_lib.raise_for_errors()
    regs = []
    for path, lib in ((args.old, old_lib), (args.new or args.old, new_lib)):
        found = list(lib.regulations.values())
        if len(found) != 1:
            raise UsageError(f"{path} is not one regulation: there is no eligibility to compare")
        regs.append(found[0])
    old_day = args.date or date.today()
    new_day = args.new_date or old_day
    try:
        result = compare(regs[0], old_day, regs[1], new_day, budget=Budget(args.timeout), bound=args.regions)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    if args.population:
        from eenvoud.engine.batch import BatchError

        if not Path(args.population).exists():
            raise UsageError(f"no such file: {args.population}")
        with tempfile.TemporaryDirectory(prefix="eenvoud-diff-") as work:
            try:
                count_population(result, args.population, work)
            except BatchError as exc:
                raise UsageError(str(exc)) from None
    if args.json:
        _emit_json(result.to_json())
        return 0
    _print_diff(result)
    return 0


def _print_diff(result: Any) -> None:
    o, n = result.old, result.new
    out.print(f"[bold]{o.reg.title or o.reg.name}[/bold]: {o.reg.file.name} on {o.day.isoformat()} -> "
              f"{n.reg.file.name} on {n.day.isoformat()}")
    words = {"gains": "gain eligibility", "loses": "lose eligibility", "more": "get more", "less": "get less"}
    kinds = [("eligible", "gains"), ("eligible", "loses")]
    kinds += [(a, c) for a in result.amounts for c in ("more", "less")]
    for outcome, change in kinds:
        regions = [r for r in result.regions if (r.outcome, r.change) == (outcome, change)]
        subject = "" if outcome == "eligible" else f" {outcome}"
        complete = result.complete.get(f"{outcome}/{change}", False)
        if not regions:
            note = "proved: nobody" if complete else "none found (not proved)"
            out.print(f"\n[bold]who {words[change]}{subject}[/bold]: {note}", markup=True)
            continue
        more = "" if complete else f" (the first {len(regions)}; there may be more)"
        out.print(f"\n[bold]who {words[change]}{subject}[/bold]: {len(regions)} region"
                  f"{'s' if len(regions) != 1 else ''}{more}")
        for i, r in enumerate(regions, 1):
            exact = "" if r.exact else " (some cases in)"
            out.print(f"  {i}.{exact} " + "\n     and ".join(
                (a.text if pos else a.negated) + (f"  ({a.label})" if a.label else "") for a, pos in r.literals),
                markup=False)
            facts = ", ".join(f"{k} = {json.dumps(x, ensure_ascii=False)}"
                              for k, x in r.to_json((o.reg, n.reg))["witness"].items())
            out.print(f"     e.g. {facts}: {r.old_value} -> {r.new_value}", markup=False)
    for x in result.extremes:
        word = "largest gain" if x.kind == "largest_gain" else "largest loss"
        out.print(f"\n{word} of {x.amount}: {x.to_json((o.reg, n.reg))['change']} "
                  f"({x.old_value} -> {x.new_value})", markup=False)
    if result.errors:
        out.print(f"\n[yellow]{len(result.errors)} region{'s' if len(result.errors) != 1 else ''} where only one "
                  "version cannot be evaluated[/yellow] (see --json)")
    for u in result.unknown:
        out.print(f"[yellow]unknown[/yellow] {u['outcome']} {u['change']}: {u['reason']}", markup=False)
    if result.population is not None:
        p = result.population
        out.print(f"\n[bold]population[/bold]: {p['people']:,} people ({p['seconds']} s)")
        for c in p["changes"]:
            euros = f", {c['euros']} euros ({c['amount']})" if c.get("euros") is not None else ""
            out.print(f"  {c['outcome']} {c['change']}: {c['people']:,} people{euros}", markup=False)
        for name, tot in p.get("totals", {}).items():
            out.print(f"  total {name}: {tot['old']} -> {tot['new']} ({tot['change']})", markup=False)
    out.print(f"\n{result.queries} solver queries, {result.seconds:.1f} s", markup=False)


# -- the decision store: replay, retention, key rotation ---------------------------------------------


def _audit() -> Any:
    from eenvoud.audit import Audit, StoreError
    from eenvoud.audit.crypto import KeyRingError

    try:
        return Audit.from_env()
    except (StoreError, KeyRingError) as exc:
        raise UsageError(str(exc)) from None


def _store_name() -> str:
    """The store's URL without a password."""
    import re

    from eenvoud.audit import database_url

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", database_url())


def cmd_replay(args: argparse.Namespace) -> int:
    from eenvoud.audit import CannotReplay, NotFound

    audit = _audit()
    try:
        result = audit.replay(args.decision_id)
    except (NotFound, CannotReplay) as exc:
        raise UsageError(str(exc)) from None
    finally:
        audit.close()
    if args.json:
        _emit_json(result.to_json())
        return 0 if result.identical else 1
    versions = f"engine {result.engine_then} then, {result.engine_now} now"
    if result.identical:
        out.print(f"decision {result.decision_id}: replayed from the stored rule text and facts: identical, "
                  f"{len(result.stored)} bytes ({versions})", markup=False)
        return 0
    out.print(f"decision {result.decision_id}: the replay DIFFERS from the stored decision ({versions}):",
              markup=False)
    for d in result.differences:
        out.print(f"  {d.text()}", markup=False)
    return 1


def cmd_retention(args: argparse.Namespace) -> int:
    from datetime import timedelta

    if args.days < 0:
        raise UsageError("--days is a number of days, 0 or more")
    audit = _audit()
    try:
        removed = audit.remove_facts(timedelta(days=args.days))
    finally:
        audit.close()
    out.print(f"removed the facts of {removed} decision{'s' if removed != 1 else ''} made more than {args.days} "
              f"day{'s' if args.days != 1 else ''} ago; their outcomes, hashes and rule text remain", markup=False)
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    from eenvoud.audit.crypto import FactsUnreadable

    audit = _audit()
    try:
        if audit.cipher is None:
            raise UsageError("this store keeps no facts (EENVOUD_STORE_FACTS=no): nothing to re-encrypt")
        n = audit.rekey()
        current = audit.cipher.current
    except FactsUnreadable as exc:
        raise UsageError(f"{exc}: put every key still in use in EENVOUD_FACTS_KEY, after the new one") from None
    finally:
        audit.close()
    out.print(f"re-encrypted the facts of {n} decision{'s' if n != 1 else ''} under the key `{current}`",
              markup=False)
    return 0


# -- main ------------------------------------------------------------------------------------------


# -- lsp -------------------------------------------------------------------------------------------


def cmd_lsp(args: argparse.Namespace) -> int:
    # imported here: the language server (pygls) costs nothing to the other commands' startup
    from eenvoud.lsp.server import serve

    serve()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eenvoud", description="Rules as code for government regulations: check, decide, test, analyze."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("check", help="parse and type-check rule files")
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or folders")
    p.add_argument("--json", action="store_true", help="diagnostics as JSON")
    p.add_argument("--library", action="store_true",
                   help="also hold the files to the library's policy (sources, articles, agency, registries, "
                        "documents, six tests per regulation: docs/library.md); a breach is an error")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("eval", help="decide one case")
    p.add_argument("file", metavar="FILE", help="the regulation's rule file")
    p.add_argument("--facts", required=True, metavar="FACTS.json", help="facts as a flat JSON object ('-' for stdin)")
    p.add_argument("--date", type=_date, metavar="D", help="reference date (default: today)")
    p.add_argument("--json", action="store_true", help="the decision as JSON")
    p.add_argument("--lang", choices=("nl", "en"), default=None,
                   help="the explanation's language (default: the rules' own, Dutch for Dutch rules)")
    p.add_argument("--rules", metavar="DIR",
                   help="for a life-event file: the folder holding its regulations (default: the `rules` folder above it)")
    p.add_argument("--store", action="store_true",
                   help="keep the decision in the decision store (EENVOUD_DATABASE_URL; docs/audit.md)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("test", help="run the test blocks of rule files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="list passing tests too")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per solver query for properties")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("analyze", help="prove which requirements, questions and documents can go (Z3)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or folders")
    p.add_argument("--date", type=_date, metavar="D",
                   help="reference date (default: every date on which a parameter changes)")
    p.add_argument("--json", action="store_true", help="findings as JSON")
    p.add_argument("--format", choices=("md", "html"), help="a report for analysts")
    p.add_argument("--out", metavar="FILE", action="append",
                   help="write the JSON or report here; repeat it to write several (format from .json, .md, .html)")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per solver query (default 2)")
    p.add_argument("--parameter-echoes", action="store_true",
                   help="also report dead branches that only echo a yes/no parameter set by date")
    p.add_argument("--lang", choices=("nl", "en"), default=None,
                   help="language of the report (default: the rules' own, Dutch for Dutch rules)")
    p.add_argument("--population", metavar="FILE",
                   help="CSV or Parquet of applicants (as `batch` reads): rank what to strike by how many it touches")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("simplify", help="write a regulation without what Z3 proves removable")
    p.add_argument("file", metavar="FILE", help="the regulation's rule file")
    p.add_argument("-o", "--out", metavar="OUT", help="write the simplified text here (default: standard output)")
    p.add_argument("--date", type=_date, metavar="D",
                   help="reference date (default: every date on which a parameter changes)")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per solver query (default 2)")
    p.set_defaults(func=cmd_simplify)

    p = sub.add_parser("diff", help="who gains and who loses between two versions of a regulation (Z3)")
    p.add_argument("old", metavar="OLD", help="the regulation's rule file (the old version)")
    p.add_argument("new", metavar="NEW", nargs="?", help="the new version (default: OLD on --new-date)")
    p.add_argument("--date", type=_date, metavar="D", help="reference date (of the old version; default: today)")
    p.add_argument("--new-date", type=_date, metavar="D2", help="reference date of the new version (default: --date)")
    p.add_argument("--population", metavar="PEOPLE", help="count each change on a population (.csv or .parquet)")
    p.add_argument("--regions", type=int, default=8, help="at most this many regions per change (default 8)")
    p.add_argument("--json", action="store_true", help="the comparison as JSON")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per solver query (default 2)")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("fmt", help="rewrite rule files in canonical form")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--check", action="store_true", help="only report files that would change; exit 1 if any")
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser("matrix", help="the ask-once matrix: every fact, the regulations and agencies that need it")
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or folders (a library)")
    p.add_argument("--json", action="store_true", help="the matrix as JSON")
    p.add_argument("--format", choices=("md", "csv", "html"), help="Markdown (default), CSV or an offline HTML page")
    p.add_argument("--out", metavar="FILE", help="write it here (format from .json, .md, .csv, .html)")
    p.set_defaults(func=cmd_matrix)

    p = sub.add_parser("serve", help="run the eligibility API (HTTP)")
    p.add_argument("--rules", metavar="DIR", help="rule files or a folder (default: the shipped rules/)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument("--no-access-log", action="store_true", help="no line per request in the log")
    p.add_argument("--no-store", action="store_true",
                   help="keep no decisions (by default each is stored: EENVOUD_DATABASE_URL, docs/audit.md)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("batch", help="decide a whole population file (CSV or Parquet) with SQL")
    p.add_argument("file", metavar="FILE", help="the regulation's rule file")
    p.add_argument("--input", required=True, metavar="PEOPLE", help="people, one per row: .csv or .parquet")
    p.add_argument("--output", required=True, metavar="RESULTS", help="results: .csv or .parquet (bad rows go to "
                   "RESULTS.errors.csv)")
    p.add_argument("--date", type=_date, metavar="D", help="reference date (default: today)")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="duckdb in-process (default) or Apache Spark")
    p.add_argument("--spark-master", metavar="URL", help="Spark master (default: local[*])")
    p.add_argument("--id", metavar="COLUMN", help="the column that names a person in the errors file "
                   "(default: the input's first column)")
    p.add_argument("--json", action="store_true", help="the summary as JSON")
    p.add_argument("--store", action="store_true",
                   help="record the run (rules, date, the population file's hash, counts) in the decision store")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("replay", help="decide a stored decision again from its stored rules and facts")
    p.add_argument("decision_id", metavar="ID", help="the decision's id (`decision_id`, X-Decision-Id)")
    p.add_argument("--json", action="store_true", help="the comparison as JSON")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("retention", help="remove the facts of old decisions from the store (keeps outcomes)")
    p.add_argument("--days", type=int, required=True, metavar="N",
                   help="remove the facts of decisions made more than N days ago")
    p.set_defaults(func=cmd_retention)

    p = sub.add_parser("lsp", help="the language server for editors (LSP on stdin and stdout; docs/editors.md)")
    p.set_defaults(func=cmd_lsp)

    p = sub.add_parser("rekey", help="re-encrypt the stored facts under the first key of EENVOUD_FACTS_KEY")
    p.set_defaults(func=cmd_rekey)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except RuleError as exc:
        err.print(render_all(exc.diagnostics), markup=False)
        return 1
    except FactsError as exc:
        err.print("error: the facts are not valid", markup=False)
        for e in exc.errors:
            err.print(f"  {e.field}: {e.message}", markup=False)
        return 1
    except EvaluationError as exc:
        err.print(f"error: the rules cannot be evaluated for this case: {exc}", markup=False)
        return 1
    except UsageError as exc:
        err.print(f"error: {exc}", markup=False)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an internal error: a bug of ours, never shown as a traceback
        if os.environ.get("EENVOUD_DEBUG"):
            raise
        err.print(f"internal error: {type(exc).__name__}: {exc}\n"
                  "this is a bug in eenvoud; run again with EENVOUD_DEBUG=1 for details", markup=False)
        return 2


if __name__ == "__main__":
    sys.exit(main())
