"""The checker's suggestions as edits (eenvoud.lsp.fixes), over diagnostics the checker gives."""

from __future__ import annotations

import pytest

from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.dsl.load import load_text
from eenvoud.lsp.fixes import fix


def _diagnostics(text: str) -> list[Diagnostic]:
    with pytest.raises(RuleError) as caught:
        load_text(text, "example.rules")
    return list(caught.value.diagnostics)


def _fixed(text: str) -> str:
    [d] = _diagnostics(text)
    found = fix(d)
    assert found is not None, d.render()
    _, start, end, new_text = found
    return text[:start] + new_text + text[end:]


HEAD = 'regulation example\n\ninput income : money "Inkomen"\n\n'


@pytest.mark.parametrize(("written", "fixed"), [
    ("requirement low : incme <= €1\n", "requirement low : income <= €1\n"),  # E0100
    ("requirement low : income <= 40000\n", "requirement low : income <= €40_000.00\n"),  # E0212
    ("requirement low : income = €1\n", "requirement low : income == €1\n"),  # E0002
    ("requirement low : income <= €1.000.000\n", "requirement low : income <= €1_000_000.00\n"),  # E0009
    ("requirement low : income <= €1\n\ntest \"t\" on 2025-01-01\n  given incom = €1\n  expect eligible\n",
     "requirement low : income <= €1\n\ntest \"t\" on 2025-01-01\n  given income = €1\n  expect eligible\n"),  # E0501
])
def test_a_suggestion_is_an_edit_that_makes_the_file_check(written: str, fixed: str) -> None:
    assert _fixed(HEAD + written) == HEAD + fixed
    load_text(HEAD + fixed, "example.rules")


def test_a_help_that_is_advice_is_not_an_edit() -> None:
    [d] = _diagnostics(HEAD + "define total = income + true\nrequirement low : total <= €1\n")
    assert d.help is not None
    assert fix(d) is None
