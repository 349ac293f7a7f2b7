"""What a saved file gets: its test blocks run, and the analyzer's findings, as diagnostics.

A failing test is an Error at the test's name, with what it expected and got and the values on the
path (as `eenvoud test` prints them). Passing tests are not diagnostics (the problems list is for
problems): every test gets a code lens, `✓ passed` or `✗ failed`, from the last save.

The analyzer (Z3, `eenvoud.analysis.analyze`) runs on the saved regulation with a resource budget
(Z3's rlimit, `Budget(backstop=False)`): no wall-clock limit, so the same text gives the same
findings on a quiet machine and a busy one. It runs on every date on which a parameter changes,
as `eenvoud analyze` does. A defect (a contradiction, a gap, a violated property, an exemption or
branch that never or always applies) is a Warning; what could be struck or asked less (a redundant
requirement, an irrelevant question, registry data asked again) is Information; what the solver
could not decide within its budget is a Hint, never a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types as lsp

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.findings import TITLES, Finding, Undecided
from eenvoud.analysis.prover import Budget
from eenvoud.engine.runner import TestResult, run_tests
from eenvoud.ir import nodes as n
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.lsp.documents import Snapshot
from eenvoud.lsp.occurrences import own_declaration
from eenvoud.lsp.positions import offsets_range, span_range
from eenvoud.source import SourceFile

WARNING_KINDS = {"contradiction", "bracket_gap", "bracket_overlap", "property_violated", "dead_exemption",
                 "constant_exemption", "dead_branch"}
# solver time per query, as Z3 resource units (`Budget.rlimit`), deterministic
DEFAULT_BUDGET = 0.5


@dataclass
class SaveResults:
    """The diagnostics and code lenses of one save; kept until the next save."""

    tests: list[lsp.Diagnostic] = field(default_factory=list)
    lenses: list[lsp.CodeLens] = field(default_factory=list)
    findings: list[lsp.Diagnostic] = field(default_factory=list)


def test_results(snap: Snapshot, encoding: str) -> tuple[list[lsp.Diagnostic], list[lsp.CodeLens]]:
    if snap.checked is None:
        return [], []
    diagnostics: list[lsp.Diagnostic] = []
    lenses: list[lsp.CodeLens] = []
    for result in run_tests(snap.checked):
        if result.test.span is None:
            continue
        where = span_range(result.test.span, encoding)
        if result.passed:
            lenses.append(lsp.CodeLens(range=where, command=lsp.Command(title="✓ passed", command="")))
            continue
        lenses.append(lsp.CodeLens(range=where, command=lsp.Command(title="✗ failed", command="")))
        diagnostics.append(lsp.Diagnostic(range=where, message=_failure(result), severity=lsp.DiagnosticSeverity.Error,
                                          code="test", source="eenvoud test"))
    return diagnostics, lenses


def _failure(result: TestResult) -> str:
    lines = [f'the test "{result.test.name}" fails:', *result.failures]
    if result.path:
        lines += ["values on the path:", *(f"  {x}" for x in result.path)]
    return "\n".join(lines)


def findings(snap: Snapshot, checked: CheckedRegulation, seconds: float, encoding: str) -> list[lsp.Diagnostic]:
    """The analyzer's findings for the regulation (nothing for a module: it is analyzed through the
    regulations that import it)."""
    if not checked.is_regulation():
        return []
    report = analyze([checked], budget=Budget(seconds, backstop=False), library=[checked])
    out = [_finding(snap, f, encoding) for f in report.findings]
    out += [_undecided(snap, u, encoding) for u in report.unknown]
    return out


def _finding(snap: Snapshot, f: Finding, encoding: str) -> lsp.Diagnostic:
    lines = [f"{TITLES.get(f.kind, f.kind)}: {f.message}"]
    if f.periods:
        lines.append("when: " + "; ".join(p.text() for p in f.periods))
    if f.because:
        lines.append("because: " + "; ".join(f.because))
    if f.proposal:
        lines.append(f"proposal: {f.proposal}")
    if f.witness is not None:
        facts = f.witness.to_json()["facts"]
        if isinstance(facts, dict) and facts:
            lines.append("witness: " + ", ".join(f"{k} = {v}" for k, v in facts.items()))
    severity = lsp.DiagnosticSeverity.Warning if f.kind in WARNING_KINDS else lsp.DiagnosticSeverity.Information
    return lsp.Diagnostic(range=_where(snap, f.span, f.subject, encoding), message="\n".join(lines),
                          severity=severity, code=f.kind, source="eenvoud analyze")


def _undecided(snap: Snapshot, u: Undecided, encoding: str) -> lsp.Diagnostic:
    title = TITLES.get(u.analysis, u.analysis)
    return lsp.Diagnostic(range=_where(snap, u.span, u.subject, encoding),
                          message=f"the solver could not decide within its budget ({title}, {u.subject}): {u.reason}",
                          severity=lsp.DiagnosticSeverity.Hint, code="unknown", source="eenvoud analyze")


def _where(snap: Snapshot, span: str | None, subject: str, encoding: str) -> lsp.Range:
    """A finding's place: its subject's name when this file declares it, else the line its span
    (`path:line:col`) names in this file, else the file's header."""
    decl = own_declaration(snap, subject)
    located = _parse_span(span)
    if located is not None and Path(located[0]).resolve() == snap.path:
        _, line, column = located
        if decl is not None and decl.span is not None and decl.span.line == line:
            return span_range(decl.span, encoding)
        return _line_range(snap.source, line, column, encoding)
    if decl is not None and decl.span is not None:
        return span_range(decl.span, encoding)
    header: n.Node | None = snap.rules if snap.rules is not None else None
    if header is not None and header.span is not None:
        return span_range(header.span, encoding)
    return offsets_range(snap.source, 0, 0, encoding)


def _parse_span(span: str | None) -> tuple[str, int, int] | None:
    if span is None:
        return None
    path, _, column = span.rpartition(":")
    path, _, line = path.rpartition(":")
    try:
        return path, int(line), int(column)
    except ValueError:
        return None


def _line_range(source: SourceFile, line: int, column: int, encoding: str) -> lsp.Range:
    text = source.line(line)
    start = sum(len(source.line(i)) + 1 for i in range(1, line)) + max(0, column - 1)
    end = start + len(text.rstrip()) - max(0, column - 1)
    return offsets_range(source, start, max(start, end), encoding)
