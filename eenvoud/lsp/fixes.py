"""Quick fixes: the checker's own suggestions, applied to the text.

A diagnostic carries its help as text (eenvoud.diagnostics), and a suggestion in it is the text
between backticks: `did you mean `or`?` for a Dutch `of` (dsl/dutch.py), `did you mean
`€7_575.00`?` for `€7.575`, `did you mean `income`?` for a misspelt name, `to compare, write `==``
for `=`. A suggestion becomes an edit only where the diagnostic's span is the one word or number
it replaces; a help that points at a whole declaration stays advice.

`write the number as money: `€40_000.00`` points at the whole comparison: the edit replaces the one
plain number inside it that has that value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lsprotocol import types as lsp

from eenvoud.diagnostics import Diagnostic
from eenvoud.lsp.positions import offsets_range, span_range

DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
WRITE_EQUALS = re.compile(r"to compare, write `==`")
AS_MONEY = re.compile(r"write the number as money: `(€[0-9_.]+)`")
PLAIN_NUMBER = re.compile(r"(?<![€\w.])([0-9][0-9_]*(?:\.[0-9][0-9_]*)?)(?![\w.%])")


def fix(d: Diagnostic) -> tuple[str, int, int, str] | None:
    """(title, start, end, new text) of the edit that applies the diagnostic's suggestion."""
    if d.span is None or not d.help:
        return None
    written = d.span.file.text[d.span.start:d.span.end]
    one_token = bool(written) and not any(c.isspace() for c in written)
    found = DID_YOU_MEAN.search(d.help)
    if found is not None and one_token and found.group(1) != written:
        return f"Replace `{written}` with `{found.group(1)}`", d.span.start, d.span.end, found.group(1)
    if WRITE_EQUALS.search(d.help) and written == "=":
        return "Replace `=` with `==`", d.span.start, d.span.end, "=="
    money = AS_MONEY.search(d.help)
    if money is not None:
        want = _value(money.group(1).lstrip("€"))
        numbers = [m for m in PLAIN_NUMBER.finditer(written) if _value(m.group(1)) == want]
        if want is not None and len(numbers) == 1:
            start = d.span.start + numbers[0].start(1)
            end = d.span.start + numbers[0].end(1)
            return f"Write `{numbers[0].group(1)}` as money: `{money.group(1)}`", start, end, money.group(1)
    return None


def _value(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return None


def code_actions(uri: str, diagnostics: list[tuple[Diagnostic, lsp.Diagnostic]], wanted: lsp.Range,
                 encoding: str) -> list[lsp.CodeAction]:
    """A quick fix for each diagnostic with a suggestion whose range meets `wanted`."""
    out: list[lsp.CodeAction] = []
    for d, shown in diagnostics:
        if d.span is None or not _meets(span_range(d.span, encoding), wanted):
            continue
        found = fix(d)
        if found is None:
            continue
        title, start, end, new_text = found
        edit = lsp.TextEdit(range=offsets_range(d.span.file, start, end, encoding), new_text=new_text)
        out.append(lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[shown],
                                  is_preferred=True, edit=lsp.WorkspaceEdit(changes={uri: [edit]})))
    return out


def _meets(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)
    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)
