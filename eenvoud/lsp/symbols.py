"""The outline of a rule file (textDocument/documentSymbol): its inputs, parameters, brackets,
definitions, requirements, amounts, documents, tests and properties, in the order written.

A declaration's range runs from its keyword to the end of its last line before the next item (the
comments that lead into the next one stay with that one); its selection range is its name.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from eenvoud.ir import nodes as n
from eenvoud.lsp.documents import Snapshot
from eenvoud.lsp.positions import offsets_range, span_range
from eenvoud.source import SourceFile

Outlined = (n.Input | n.Parameter | n.Bracket | n.Definition | n.Requirement | n.Amount | n.Document | n.Test
            | n.Property)
KINDS: dict[type, tuple[str, lsp.SymbolKind]] = {
    n.Input: ("input", lsp.SymbolKind.Field),
    n.Parameter: ("parameter", lsp.SymbolKind.Constant),
    n.Bracket: ("bracket", lsp.SymbolKind.Array),
    n.Definition: ("define", lsp.SymbolKind.Function),
    n.Requirement: ("requirement", lsp.SymbolKind.Boolean),
    n.Amount: ("amount", lsp.SymbolKind.Number),
    n.Document: ("document", lsp.SymbolKind.File),
    n.Test: ("test", lsp.SymbolKind.Method),
    n.Property: ("property", lsp.SymbolKind.Interface),
}


def document_symbols(snap: Snapshot, encoding: str) -> list[lsp.DocumentSymbol]:
    if snap.rules is None:
        return []
    items: list[Outlined] = [i for i in snap.rules.items
                             if isinstance(i, Outlined) and i.span is not None]
    source = snap.source
    starts = [_keyword_start(source, i) for i in items]
    out: list[lsp.DocumentSymbol] = []
    for index, item in enumerate(items):
        assert item.span is not None
        word, kind = KINDS[type(item)]
        end = _end_before(source, starts[index + 1] if index + 1 < len(items) else len(source.text))
        end = max(end, item.span.end)
        name = item.name if not isinstance(item, n.Test | n.Property) else f'"{item.name}"'
        label = getattr(item, "label", None)
        detail = word + (f": {label}" if label else "")
        if isinstance(item, n.Test):
            detail = f"test on {item.on.isoformat()}"
        out.append(lsp.DocumentSymbol(
            name=name, detail=detail, kind=kind,
            range=offsets_range(source, starts[index], end, encoding),
            selection_range=span_range(item.span, encoding),
        ))
    return out


def _keyword_start(source: SourceFile, item: Outlined) -> int:
    """Where the item's keyword (`input`, `test`, ...) stands: the last one before its name."""
    assert item.span is not None
    word = KINDS[type(item)][0]
    found = source.text.rfind(word, 0, item.span.start)
    return found if found >= 0 else item.span.start


def _end_before(source: SourceFile, start: int) -> int:
    """The end of the last line before `start` that is neither blank nor a comment line."""
    text = source.text
    end = start
    while end > 0:
        line_start = text.rfind("\n", 0, end - 1) + 1 if end > 0 else 0
        line = text[line_start:end]
        if line.strip() and not line.lstrip().startswith("#"):
            return line_start + len(line.rstrip())
        if line_start == 0:
            return 0
        end = line_start
    return end
