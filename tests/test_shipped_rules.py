"""The shipped library: every file checks clean, every test block passes, and the zorgtoeslag gives
the Dienst Toeslagen's published amounts to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from eenvoud.engine.decision import default_engine
from eenvoud.engine.runner import run_tests
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@pytest.fixture(scope="module")
def library() -> Library:
    return Library.load([RULES])


def test_every_shipped_file_checks_clean(library: Library) -> None:
    assert library.diagnostics == []
    assert "zorgtoeslag" in library.regulations


def test_every_test_block_passes(library: Library) -> None:
    failures = [(r.regulation, r.test.name, r.failures)
                for reg in library.files.values() for r in run_tests(reg) if not r.passed]
    assert failures == []


@pytest.mark.parametrize(
    ("day", "facts", "yearly", "monthly"),
    [
        # Dienst Toeslagen, Berekening zorgtoeslag 2024, voorbeeld 1 and 2
        (date(2024, 1, 1), {"has_partner": False, "income": "19000"}, "1483.00", "123.00"),
        (date(2024, 1, 1), {"has_partner": True, "partner_insured": False, "income": "33200"}, "980.00", "81.00"),
        # Berekening zorgtoeslag 2025, voorbeeld 1 and 2; Belastingdienst table 2025
        (date(2025, 1, 1), {"has_partner": False, "income": "20000"}, "1573.00", "131.00"),
        (date(2025, 1, 1), {"has_partner": True, "partner_insured": False, "income": "33200"}, "1177.00", "98.00"),
        (date(2025, 1, 1), {"has_partner": False, "income": "33500"}, "876.00", "73.00"),
        (date(2025, 1, 1), {"has_partner": True, "partner_insured": True, "income": "46000"}, "600.00", "50.00"),
    ],
)
def test_zorgtoeslag_official_amounts(library: Library, day: date, facts: dict[str, object],
                                      yearly: str, monthly: str) -> None:
    reg = library.regulations["zorgtoeslag"]
    case = {"age": 30, "insured": True, "assets": "0.00", **facts}
    decision = default_engine().decide_json(reg, case, day)
    out = decision.to_json()
    assert out["eligible"] is True
    assert out["amounts"] == {"zorgtoeslag": yearly, "monthly_payment": monthly}
    assert all(isinstance(a, Decimal) for a in decision.amounts.values())


def test_undetermined_lists_the_facts_that_could_decide(library: Library) -> None:
    reg = library.regulations["zorgtoeslag"]
    decision = default_engine().decide_json(
        reg, {"age": 41, "insured": True, "has_partner": True, "assets": "12000.00"}, date(2025, 1, 1))
    out = decision.to_json()
    assert out["eligible"] is None
    assert out["amounts"]["zorgtoeslag"] is None
    # in the order of the inputs; `income` comes from the shared Awir module, imported first
    assert out["missing"] == ["income", "partner_insured"]
    assert {q["input"]: q["registry"] for q in out["questions"]} == {"partner_insured": "ZVW", "income": "BRI"}


def test_every_shipped_file_is_in_canonical_form() -> None:
    """`eenvoud fmt --check rules/` holds: the library reads the same way everywhere."""
    from eenvoud.dsl.parser import parse
    from eenvoud.ir import printer
    from eenvoud.library import rule_files
    from eenvoud.source import SourceFile

    off = []
    for path in rule_files([RULES]):
        source = SourceFile.read(path)
        parsed = parse(source)
        if printer.regulation(parsed.regulation, parsed.comments) != source.text:
            off.append(str(path.relative_to(ROOT)))
    assert off == []
