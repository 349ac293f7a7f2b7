"""Where things are, in the editor's terms: LSP positions against source spans.

The checker counts 1-based lines and columns in characters (Python's code points) of the text as
read (`SourceFile.from_text`: a byte order mark dropped, every line break made `\\n`). An LSP
position is a 0-based line and a column in code units of the negotiated encoding: UTF-16 unless the
client offered another. A Dutch label with `é` is one unit either way; an emoji outside the Basic
Multilingual Plane is one character and two UTF-16 units, so a column after it differs by one.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from eenvoud.source import SourceFile, Span

UTF16 = "utf-16"
UTF32 = "utf-32"
UTF8 = "utf-8"


def units(text: str, encoding: str = UTF16) -> int:
    """The code units `text` takes in `encoding`."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    return len(text.encode("utf-16-le")) // 2


def column_to_units(line: str, column: int, encoding: str = UTF16) -> int:
    """A 0-based character column of `line` as code units."""
    return units(line[:column], encoding)


def units_to_column(line: str, count: int, encoding: str = UTF16) -> int:
    """Code units into `line` as a 0-based character column; a position inside a character (half
    a surrogate pair) or past the end of the line stands at the end of that character or line."""
    taken = 0
    for index, char in enumerate(line):
        if taken >= count:
            return index
        taken += units(char, encoding)
    return len(line)


def position(source: SourceFile, offset: int, encoding: str = UTF16) -> lsp.Position:
    """The LSP position of a character offset of `source`."""
    line, column = source.position(offset)
    return lsp.Position(line=line - 1, character=column_to_units(source.line(line), column - 1, encoding))


def span_range(span: Span, encoding: str = UTF16) -> lsp.Range:
    return lsp.Range(start=position(span.file, span.start, encoding), end=position(span.file, span.end, encoding))


def offsets_range(source: SourceFile, start: int, end: int, encoding: str = UTF16) -> lsp.Range:
    return lsp.Range(start=position(source, start, encoding), end=position(source, end, encoding))


def offset(source: SourceFile, where: lsp.Position, encoding: str = UTF16) -> int:
    """The character offset of an LSP position in `source` (clamped to the text)."""
    lines = source.text.count("\n") + 1
    if where.line >= lines:
        return len(source.text)
    start, _ = _line_start(source, where.line + 1)
    return start + units_to_column(source.line(where.line + 1), where.character, encoding)


def _line_start(source: SourceFile, line: int) -> tuple[int, int]:
    """The offset where 1-based `line` starts, and its length."""
    start = 0
    for _ in range(line - 1):
        start = source.text.index("\n", start) + 1
    return start, len(source.line(line))


def end_of(text: str, encoding: str = UTF16) -> lsp.Position:
    """The position just past the last character of `text` as the editor holds it (any line
    breaks: `\\r\\n`, `\\r` and `\\n` end a line in LSP)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lsp.Position(line=len(lines) - 1, character=units(lines[-1], encoding))
