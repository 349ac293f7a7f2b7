"""Formatting: the text `eenvoud fmt` writes (the IR printer, comments kept), as one edit.

A file that is not valid syntax is left as it is (no edits): the printer needs the parsed file, and
the diagnostics already say what is wrong.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from eenvoud.diagnostics import RuleError
from eenvoud.dsl.parser import parse
from eenvoud.ir import printer
from eenvoud.lsp.documents import Snapshot
from eenvoud.lsp.positions import end_of


def format_edits(snap: Snapshot, editor_text: str, encoding: str) -> list[lsp.TextEdit]:
    try:
        parsed = parse(snap.source)  # with its comments, which the checked rules do not keep
    except (RuleError, RecursionError):
        return []
    text = printer.regulation(parsed.regulation, parsed.comments)
    if text == editor_text:
        return []
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=end_of(editor_text, encoding))
    return [lsp.TextEdit(range=whole, new_text=text)]
