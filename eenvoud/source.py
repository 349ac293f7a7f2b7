"""Source files and spans: where a piece of rule text came from.

A leaf module: it imports nothing of eenvoud, so every other part can use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    """The text of one rule file, with the name it is shown under in diagnostics."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @staticmethod
    def from_text(name: str, text: str) -> SourceFile:
        """The text as read: a leading byte order mark dropped, and every line break (`\\r\\n`
        from Windows, a lone `\\r` from an old Mac) made `\\n`, so that lines, columns and
        comments are where the drafter sees them."""
        text = text.removeprefix("\ufeff")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                starts.append(i + 1)
        return SourceFile(name, text, tuple(starts))

    @staticmethod
    def read(path: str | Path) -> SourceFile:
        p = Path(path)
        data = p.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError.not_utf8(str(p), data, exc.start) from None
        return SourceFile.from_text(str(p), text)

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, without its newline."""
        if number < 1 or number > len(self._line_starts):
            return ""
        start = self._line_starts[number - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        import bisect

        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(self, start, end, line, col, end_line, end_col)


class SourceError(Exception):
    """A file that cannot be read as rule text at all (missing, not UTF-8). For a file that is not
    UTF-8, `span` is the first bad byte, in the text read with that byte replaced by `\ufffd`."""

    def __init__(self, message: str, span: Span | None = None, help: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.help = help

    @staticmethod
    def not_utf8(name: str, data: bytes, bad: int) -> SourceError:
        source = SourceFile.from_text(name, data.decode("utf-8", errors="replace"))
        # the same offset in the text as read (byte order mark dropped, line breaks made `\n`)
        before = data[:bad].decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        span = source.span(len(before), len(before) + 1)
        byte = data[bad]
        help_ = f"the byte 0x{byte:02X} is not UTF-8" + (
            f" (`{bytes([byte]).decode('cp1252')}` in Windows-1252?)" if byte >= 0x80 and byte not in
            (0x81, 0x8D, 0x8F, 0x90, 0x9D) else "") + "; save the file as UTF-8"
        return SourceError(f"{span}: the file is not valid UTF-8 (byte {bad})", span, help_)


@dataclass(frozen=True)
class Span:
    """A range of characters in a source file; 1-based line and column of both ends."""

    file: SourceFile = field(repr=False)
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line}:{self.column}"

    @property
    def location(self) -> str:
        return str(self)
