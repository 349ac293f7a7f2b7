"""UTF-16 positions against the checker's character columns, without a server."""

from __future__ import annotations

from lsprotocol import types as lsp

from eenvoud.lsp.positions import UTF8, UTF32, column_to_units, end_of, offset, position, units_to_column
from eenvoud.source import SourceFile

LINE = 'input a : bool "Café 😀" from BRP'


def test_a_character_outside_the_basic_plane_takes_two_utf16_units() -> None:
    after = LINE.index("from")
    assert column_to_units(LINE, after) == after + 1  # 😀 is one character, two UTF-16 units
    assert column_to_units(LINE, after, UTF32) == after
    assert column_to_units(LINE, after, UTF8) == after + 1 + 3  # é: 2 bytes, 😀: 4
    assert units_to_column(LINE, after + 1) == after


def test_offsets_and_positions_round_trip_on_every_line() -> None:
    source = SourceFile.from_text("x.rules", "regulation x\n\n" + LINE + "\n")
    for at in range(len(source.text)):
        assert offset(source, position(source, at)) == at


def test_a_position_inside_a_surrogate_pair_stands_after_the_character() -> None:
    source = SourceFile.from_text("x.rules", LINE)
    emoji = LINE.index("😀")
    assert offset(source, lsp.Position(line=0, character=emoji + 1)) == emoji + 1


def test_the_end_of_a_text_counts_utf16_units_and_any_line_break() -> None:
    assert end_of("a\r\nb😀") == lsp.Position(line=1, character=3)
    assert end_of("a\n") == lsp.Position(line=1, character=0)
