"""The checker's diagnostics as the editor shows them.

Each keeps its code (`E0216`), its lowercase message and its span; the help line follows the
message (`help: ...`), as `eenvoud check` prints it, so every client shows it. W0001 is a Warning.
A diagnostic in an imported file is shown at the `import` that brings that file in (directly or
through other imports): the drafter sees that the file they are in cannot be checked, and why.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.dsl.limits import MAX_IMPORTS
from eenvoud.dsl.parser import parse
from eenvoud.lsp.documents import Snapshot
from eenvoud.lsp.positions import offsets_range, span_range
from eenvoud.source import SourceError, SourceFile

SOURCE = "eenvoud"


def shown(snap: Snapshot, encoding: str) -> list[tuple[Diagnostic, lsp.Diagnostic]]:
    """Every diagnostic of `snap` as one in this document, with the checker's diagnostic it shows."""
    out: list[tuple[Diagnostic, lsp.Diagnostic]] = []
    for d in snap.diagnostics:
        if d.span is not None and Path(d.span.file.name).resolve() == snap.path:
            where = span_range(d.span, encoding)
            message = d.message
        else:
            where = _import_range(snap, d, encoding)
            message = f"in {d.location}: {d.message}"
        if d.help:
            message += f"\nhelp: {d.help}"
        severity = lsp.DiagnosticSeverity.Warning if d.severity == "warning" else lsp.DiagnosticSeverity.Error
        tags = [lsp.DiagnosticTag.Unnecessary] if d.code == "W0001" else None
        out.append((d, lsp.Diagnostic(range=where, message=message, severity=severity, code=d.code,
                                      source=SOURCE, tags=tags)))
    return out


def _import_range(snap: Snapshot, d: Diagnostic, encoding: str) -> lsp.Range:
    """The `import` that brings in the file `d` points into, directly or through other imports;
    else the header."""
    imports = snap.rules.imports if snap.rules is not None else ()
    target = Path(d.span.file.name).resolve() if d.span is not None else None
    for imp in imports:
        if imp.span is not None and target is not None and target in _reached(snap.path.parent / imp.path):
            return span_range(imp.span, encoding)
    first_line_end = snap.source.text.find("\n")
    return offsets_range(snap.source, 0, first_line_end if first_line_end >= 0 else len(snap.source.text), encoding)


def _reached(start: Path) -> set[Path]:
    """`start` and every file it imports, directly or not, as far as they parse (only asked when an
    imported file has errors)."""
    seen: set[Path] = set()
    todo = [start.resolve()]
    while todo and len(seen) <= 10 * MAX_IMPORTS:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            rules = parse(SourceFile.read(path)).regulation
        except (OSError, SourceError, RuleError, RecursionError):
            continue
        todo += [(path.parent / imp.path).resolve() for imp in rules.imports]
    return seen
