"""Dutch habits of a drafter (issue 16): numbers in Dutch notation, Dutch words for the language's
English ones, and a file saved in another encoding than UTF-8, each reported with what was meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from eenvoud.diagnostics import RuleError
from eenvoud.dsl import dutch
from eenvoud.dsl.load import Loader, load_text

HEAD = 'regulation toy "Toy"\ninput assets : money "Vermogen"\ninput a : bool "A"\ninput b : bool "B"\n'


def diagnostic(text: str):  # type: ignore[no-untyped-def]
    with pytest.raises(RuleError) as exc:
        load_text(HEAD + text, "toy.rules")
    assert len(exc.value.diagnostics) == 1, exc.value
    return exc.value.diagnostics[0]


@pytest.mark.parametrize(("written", "meant"), [
    ("€7.575", "€7_575.00"),
    ("€7.575,00", "€7_575.00"),
    ("€7.575,5", "€7_575.50"),
    ("€1.000.000", "€1_000_000.00"),
    ("€141.896,00", "€141_896.00"),
])
def test_money_in_dutch_notation_is_an_error_with_the_intended_amount(written: str, meant: str) -> None:
    d = diagnostic(f'requirement r "R": assets <= {written}\n')
    assert d.code == "E0009"
    assert d.help is not None and f"did you mean `{meant}`?" in d.help
    assert d.span is not None and d.span.file.text[d.span.start:d.span.end] == written


@pytest.mark.parametrize("written", ["€0.125", "€12.3456", "€1_800.125", "€1800.125"])
def test_money_with_more_than_two_decimals_is_an_error(written: str) -> None:
    d = diagnostic(f'requirement r "R": assets <= {written}\n')
    assert d.code == "E0009"
    assert d.message.startswith("money has at most two decimals")
    assert d.help is not None and "whole cents" in d.help


@pytest.mark.parametrize("written", ["€7.5", "€7.50", "€7_575.00", "€0", "€1_000_000"])
def test_money_with_at_most_two_decimals_is_fine(written: str) -> None:
    load_text(HEAD + f'requirement r "R": assets <= {written}\n', "toy.rules")


def test_a_dutch_decimal_comma_in_a_test_fact_and_inside_a_call() -> None:
    d = diagnostic('requirement r "R": a\ntest "t" on 2025-01-01\n  given assets = €7.575,00, a = true\n'
                   '  expect eligible\n')
    assert (d.code, d.span.line if d.span else 0) == ("E0009", 7)
    d = diagnostic('define z = min(€7.575,00, assets)\n')
    assert d.code == "E0009" and "€7_575.00" in (d.help or "")
    d = diagnostic('amount x = assets * 13,67%\n')
    assert d.code == "E0009" and "`13.67%`" in (d.help or "")


@pytest.mark.parametrize(("text", "english"), [
    ('requirement r "R": a of b\n', "or"),
    ('requirement r "R": a en b\n', "and"),
    ('requirement r "R": niet a\n', "not"),
    ('amount x = als a dan €1.00 anders €0.00\n', "if"),
    ('amount x = if a dan €1.00 else €0.00\n', "then"),
    ('amount x = if a then €1.00 anders €0.00\n', "else"),
    ('requirement r "R": a tenzij b\n', "unless"),
    ('requirement r "R" artikel "1": a\n', "article"),
])
def test_a_dutch_word_gets_the_english_one(text: str, english: str) -> None:
    d = diagnostic(text)
    assert d.code == "E0002"
    assert d.help is not None and d.help.startswith(f"did you mean `{english}`?")
    assert "expected" not in d.help  # not the long list of every token that could come


def test_unknown_words_are_not_dutch() -> None:
    assert dutch.keyword_for("xyz") is None and dutch.reading("€7.50") is None
    assert dutch.reading("7") is None and dutch.reading("€1.5,0") is None


def test_a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.rules"
    path.write_bytes('regulation r "R"\r\n# Caf\xe9 en cr\xe8me\r\ninput x : bool "X"\r\n'.encode("latin-1"))
    with pytest.raises(RuleError) as exc:
        Loader().load(path)
    [d] = exc.value.diagnostics
    assert (d.code, d.location) == ("E0010", f"{path}:2:6")
    assert d.help is not None and "0xE9" in d.help and "é" in d.help
    rendered = d.render()
    assert rendered.startswith(f"{path}:2:6: error[E0010]: the file is not valid UTF-8")
    assert "2 | # Caf\ufffd en cr\ufffdme" in rendered
