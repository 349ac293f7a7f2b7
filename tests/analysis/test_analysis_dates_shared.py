"""What the analysis of one regulation carries from one of its dates to the next (inputs.py): the
pairs that showed an answer mattering are hints, re-checked on each date. A pair that no longer
shows it hides nothing: an input that stops mattering on a later date is still found irrelevant
from that date, and a case whose age no longer follows its birth date is not used at all.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.inputs import fits_date
from eenvoud.analysis.prover import Budget
from eenvoud.dsl.load import load_text
from eenvoud.ir.checked import CheckedRegulation

BONUS_ENDS = """regulation bonus "Toeslag met een bonus die vervalt"
input bonus_asked : bool "Vraagt de bonus aan"
input income : money €0.00..€100_000.00 "Inkomen per maand"
parameter bonus : money "Bonus"
  2024-01-01: €10.00
  2025-01-01: €0.00
requirement low_income "Art. 1: inkomen onder €1.000" : income < €1_000.00
amount allowance : money "Toeslag" = €100.00 + (if bonus_asked then bonus else €0.00)
"""


def _load(text: str) -> CheckedRegulation:
    reg = load_text(text, "bonus.rules")
    assert isinstance(reg, CheckedRegulation)
    return reg


def test_an_input_that_stops_mattering_is_found_irrelevant_from_that_date() -> None:
    report = analyze([_load(BONUS_ENDS)], budget=Budget(2.0, backstop=False))
    assert not report.unknown
    found = [f for f in report.findings if f.kind == "irrelevant_input" and f.subject == "bonus_asked"]
    assert len(found) == 1
    # irrelevant from 2025-01-01 on, not before: the 2024 pair that showed it matter was re-checked
    assert [(p.start, p.end) for p in found[0].periods] == [(date(2025, 1, 1), None)]
    assert not [f for f in report.findings if f.kind == "irrelevant_input" and f.subject == "income"]


def test_a_case_from_another_date_keeps_its_age_only_where_it_follows_the_birth_date() -> None:
    case = {"birth_date": date(1980, 6, 1), "age": 43}
    assert fits_date(SimpleNamespace(day=date(2024, 1, 1)), case)  # type: ignore[arg-type]
    assert not fits_date(SimpleNamespace(day=date(2024, 7, 1)), case)  # type: ignore[arg-type]
    assert fits_date(SimpleNamespace(day=date(2024, 7, 1)), {"birth_date": date(1980, 6, 1)})  # type: ignore[arg-type]
