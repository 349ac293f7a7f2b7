"""Registries in time: the catalogue, bindings against it, and what the analyzer claims from them.

A registry claim (`registry_data_requested`) is made only when the registry holds the fact for the
period the rule reads and the binding is not `judged`; a binding for the wrong period gives no
claim but a `registry_gap` proposal.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.findings import KINDS, TITLES
from eenvoud.analysis.prover import Budget
from eenvoud.analysis.registries import holding, holds
from eenvoud.dsl.parser import parse_text
from eenvoud.ir import nodes as n
from eenvoud.ir.registries import catalogue, lookup
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parents[2]


def _input(binding: str) -> n.Input:
    reg = parse_text(f'regulation x\ninput income : money €0.. "Inkomen" {binding}\n').regulation
    item = reg.items[0]
    assert isinstance(item, n.Input)
    return item


# -- the catalogue ----------------------------------------------------------------------------------


def test_the_catalogue_loads_with_the_registries_the_library_uses() -> None:
    ids = {r.id for r in catalogue()}
    assert {"BRP", "BRI", "POLISADMINISTRATIE", "SVB", "DUO", "UWV", "KADASTER", "RDW", "ZVW"} <= ids
    assert lookup("IB") is lookup("BRI") is not None
    assert lookup("brk") is lookup("KADASTER")
    assert lookup("BGHU") is None  # a tax office's own administration: not a base registry


def test_every_entry_has_a_source_or_says_why_not() -> None:
    for r in catalogue():
        assert r.holds and r.does_not_hold, r.id
        assert r.sources or r.unsourced, f"{r.id} has no source and does not say why"
        for s in r.sources:
            assert s.title and s.url.startswith(("https://", "http://")), (r.id, s)
    # an entry without any source is the exception, and says so
    assert [r.id for r in catalogue() if not r.sources] == ["ZVW"]


def test_every_registry_the_shipped_library_binds_is_catalogued_or_the_drafters_word() -> None:
    lib = Library.load([ROOT / "rules"])
    names = {i.registry for f in lib.files.values() for i in f.inputs if i.registry is not None}
    assert {x for x in names if lookup(x) is None} == {"BGHU", "GEMEENTE_UTRECHT"}


def test_the_new_kind_has_a_title() -> None:
    assert "registry_gap" in KINDS and "registry_gap" in TITLES


# -- bindings against the catalogue -----------------------------------------------------------------


@pytest.mark.parametrize("binding, held", [
    ("from BRI", True),  # a bare binding: the drafter's word, as it always was
    ("from BRI for year - 2", True),
    ("from BRI for year - 5", True),
    ("from BRI for year", False),  # this year's income: an estimate, the BRI holds finished years
    ("from BRI for year - 1", False),  # only once the return is in: not at every decision date
    ("from BRI for year - 2 judged", False),
    ("from BRI judged", False),
    ("from POLISADMINISTRATIE for past 12 months", True),
    ("from POLISADMINISTRATIE for next 12 months", False),  # an expectation
    ("from BRP on decision date", True),
    ("from BRP on decision date judged", False),
    ("from SVB until decision date", True),
    ("from GEMEENTE_UTRECHT for past 12 months", True),  # not catalogued: the drafter's word
])
def test_a_binding_is_held_only_for_a_period_the_registry_holds(binding: str, held: bool) -> None:
    assert holds(_input(binding)) is held


def test_no_binding_is_no_holding() -> None:
    assert holding(_input("")) is None


def test_a_wrong_period_says_which_period_would_do() -> None:
    h = holding(_input("from BRI for year judged"))
    assert h is not None and not h.held and h.proposal is not None
    assert "for year - 2" in h.proposal
    h = holding(_input("from POLISADMINISTRATIE for next 12 months judged"))
    assert h is not None and h.proposal is not None and "for past 12 months" in h.proposal


# -- what the analyzer claims -----------------------------------------------------------------------

DOCUMENT_ASKS_INCOME = '''regulation toeslag "A document asks for the income"
input has_partner : bool "Partner" from BRP on decision date
input income : money €0.. "Toetsingsinkomen" {binding}

requirement income_test "Inkomen": income <= (if has_partner then €40_000 else €30_000)

document income_statement "Inkomensverklaring"
  provides income
  required when has_partner
'''


def _findings(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "toeslag.rules"
    path.write_text(text, encoding="utf-8")
    lib = Library.load([path])
    assert not lib.diagnostics, lib.diagnostics
    report = analyze(list(lib.regulations.values()), day=date(2025, 1, 1), budget=Budget(1.0),
                     library=list(lib.files.values()))
    assert not report.unknown, report.unknown
    return sorted((f.kind, f.subject) for f in report.findings)


def test_the_right_period_gives_a_registry_claim(tmp_path: Path) -> None:
    found = _findings(tmp_path, DOCUMENT_ASKS_INCOME.format(binding="from BRI for year - 2"))
    assert ("registry_data_requested", "income_statement") in found
    assert ("registry_gap", "income") not in found


def test_a_binding_for_the_wrong_period_gives_no_registry_claim(tmp_path: Path) -> None:
    found = _findings(tmp_path, DOCUMENT_ASKS_INCOME.format(binding="from BRI for year"))
    assert not [f for f in found if f[0] == "registry_data_requested"], found
    assert ("unnecessary_document", "income_statement") not in found  # the document is what asks it
    assert ("registry_gap", "income") in found


def test_a_judged_binding_gives_no_registry_claim(tmp_path: Path) -> None:
    found = _findings(tmp_path, DOCUMENT_ASKS_INCOME.format(binding="from BRI for year judged"))
    assert not [f for f in found if f[0] == "registry_data_requested"], found
    assert ("registry_gap", "income") in found  # read `for year - 2` and BRI would answer


def test_a_judgement_with_nothing_nearer_to_propose_is_no_finding(tmp_path: Path) -> None:
    found = _findings(tmp_path, DOCUMENT_ASKS_INCOME.format(binding="from BRI judged"))
    assert not [f for f in found if f[0].startswith("registry")], found
