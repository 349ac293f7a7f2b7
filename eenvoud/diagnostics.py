"""Diagnostics: what the checker says about a rule file, and how it is rendered.

A diagnostic has a code, a lowercase message with names in backticks, the span it points at and a
help line. It renders as `path:line:col: error[CODE]: message`, the source line with carets under
the span, and the help.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from eenvoud.source import Span

Severity = Literal["error", "warning"]
SHOWN = 120  # characters of a source line shown at most


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    help: str | None = None
    severity: Severity = "error"

    @property
    def location(self) -> str:
        return str(self.span) if self.span else "<input>"

    def render(self) -> str:
        head = f"{self.location}: {self.severity}[{self.code}]: {self.message}"
        lines = [head]
        if self.span is not None:
            text = self.span.file.line(self.span.line)
            gutter = str(self.span.line)
            pad = " " * len(gutter)
            column = self.span.column - 1
            if self.span.end_line == self.span.line:
                width = max(1, self.span.end_column - self.span.column)
            else:
                width = max(1, len(text) - column)
            if len(text) > SHOWN:
                # a line thousands of characters long (a generated file): show the part around
                # the span, marked where it is cut
                start = max(0, column - 20)
                end = min(len(text), start + SHOWN)
                text = ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")
                width = max(1, min(width, end - column))
                column += (3 if start else 0) - start
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text}")
            lines.append(f"{pad} | {' ' * column}{'^' * width}")
        if self.help:
            lines.append(f"  = help: {self.help}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.span.file.name if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "help": self.help,
        }


class RuleError(Exception):
    """Raised with every diagnostic found, when a rule file (or its imports) cannot be used."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(
            diagnostics,
            key=lambda d: (d.span.file.name, d.span.start) if d.span else ("", 0),
        )
        super().__init__(render_all(self.diagnostics))


def render_all(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n\n".join(d.render() for d in diagnostics)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A help line suggesting the closest known name, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None
