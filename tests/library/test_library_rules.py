"""The shipped regulation library: three levels of government, every value and test with its source,
every requirement and amount with its article, at least six passing tests per regulation (the
library's policy, eenvoud/dsl/policy.py: what `eenvoud check --library` says), and laws that hold for
every case (hypothesis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eenvoud.dsl.policy import library_policy
from eenvoud.engine.decision import default_engine
from eenvoud.engine.runner import run_tests
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
EXPECTED = {
    "rijk": {"zorgtoeslag", "huurtoeslag", "kindgebonden_budget", "aow"},
    "gemeente": {"individuele_inkomenstoeslag_utrecht", "kwijtschelding_utrecht"},
    "waterschap": {"kwijtschelding_hdsr"},
}


@pytest.fixture(scope="module")
def library() -> Library:
    lib = Library.load([RULES])
    assert lib.diagnostics == []
    return lib


def _own_file(lib: Library, name: str) -> Path:
    return next(p for p, r in lib.files.items() if r.name == name)


def test_regulations_of_ministry_municipality_and_water_board(library: Library) -> None:
    for level, names in EXPECTED.items():
        for name in names:
            assert name in library.regulations, name
            assert f"/{level}/" in _own_file(library, name).as_posix(), name


def _breaches(lib: Library, *codes: str) -> list[str]:
    """What breaks the library's policy (eenvoud/dsl/policy.py, `eenvoud check --library`), of these codes."""
    return [d.render() for d in library_policy(lib.files.values()) if d.code in codes]


def test_at_least_six_passing_tests_per_regulation_and_sixty_in_all(library: Library) -> None:
    total = 0
    for reg in library.files.values():
        results = run_tests(reg)
        assert [r.test.name for r in results if not r.passed] == [], reg.name
        total += len(results)
    assert _breaches(library, "P0001") == []  # at least six per regulation
    assert total >= 60


def test_every_test_and_parameter_value_cites_its_source(library: Library) -> None:
    # tests (P0002), parameter values (P0003), bracket versions (P0004), and the file's law (P0010)
    assert _breaches(library, "P0002", "P0003", "P0004", "P0010") == []


def test_every_requirement_and_amount_names_its_article(library: Library) -> None:
    assert _breaches(library, "P0005", "P0006") == []


def test_every_regulation_reads_registries_and_lists_its_documents(library: Library) -> None:
    # a registry (P0007), documents (P0008), an agency (P0009)
    assert _breaches(library, "P0007", "P0008", "P0009") == []


def test_shared_definitions_are_declared_once(library: Library) -> None:
    """The toeslagen share the Awir inputs; the municipality and the water board share the URIW."""
    def origin(reg: CheckedRegulation, name: str) -> str:
        return Path(reg.symbols[name].origin).name

    for name in ("zorgtoeslag", "huurtoeslag", "kindgebonden_budget"):
        reg = library.regulations[name]
        assert {origin(reg, x) for x in ("has_partner", "income", "assets", "minimum_amount")} == {"awir.rules"}
    for name in ("kwijtschelding_utrecht", "kwijtschelding_hdsr"):
        assert origin(library.regulations[name], "net_disposable_income") == "kwijtschelding.rules"
    for name in ("aow", "huurtoeslag", "individuele_inkomenstoeslag_utrecht"):
        assert origin(library.regulations[name], "aow_age_reached") == "aow_age.rules"


# -- laws that hold for every case ------------------------------------------------------------------

KWIJTSCHELDING_CASE: dict[str, Value] = {
    "birth_date": date(1980, 1, 1), "lives_with_partner": False, "partner_aow_age_reached": False,
    "children_under_12": 0, "children_12_to_15": 0, "children_16_17": 0, "cost_sharers": 0,
    "housing_costs_month": Decimal("0.00"), "health_premium_month": Decimal("0.00"),
    "other_expenses_month": Decimal("0.00"), "car_value": Decimal("0.00"), "car_indispensable": False,
    "other_assets": Decimal("0.00"),
}
cents = st.integers(min_value=0, max_value=400_000).map(lambda c: Decimal(c).scaleb(-2))


@settings(max_examples=60)
@given(income=cents, more=cents, balance=cents, tax=cents)
def test_kwijtschelding_never_exceeds_the_aanslag_and_falls_as_income_rises(
        library: Library, income: Decimal, more: Decimal, balance: Decimal, tax: Decimal) -> None:
    engine = default_engine()
    for name, field in (("kwijtschelding_utrecht", "municipal_tax_assessment"),
                        ("kwijtschelding_hdsr", "water_board_tax_assessment")):
        reg = library.regulations[name]
        base = {**KWIJTSCHELDING_CASE, "bank_balance": balance, field: tax}
        low = engine.decide(reg, {**base, "expected_net_income_month": income}, date(2025, 1, 1))
        high = engine.decide(reg, {**base, "expected_net_income_month": income + more}, date(2025, 1, 1))
        a, b = low.amounts["kwijtschelding"], high.amounts["kwijtschelding"]
        assert a is not None and b is not None
        assert isinstance(a, Decimal) and isinstance(b, Decimal)
        assert Decimal(0) <= b <= a <= tax


@settings(max_examples=60)
@given(income=st.integers(min_value=0, max_value=120_000), more=st.integers(min_value=0, max_value=40_000),
       teens=st.integers(min_value=0, max_value=3), partner=st.booleans(),
       day=st.sampled_from([date(2024, 1, 1), date(2025, 1, 1)]))
def test_kindgebonden_budget_never_rises_with_income(library: Library, income: int, more: int, teens: int,
                                                      partner: bool, day: date) -> None:
    reg = library.regulations["kindgebonden_budget"]
    case: dict[str, Value] = {"has_partner": partner, "assets": Decimal(0), "receives_child_benefit": True,
                               "children_under_12": 1, "children_12_to_15": teens, "children_16_17": 0,
                               # no birthday in the reference date's month (art. 2 lid 11: per month)
                               "children_born_this_month": 0, "children_turned_12_this_month": 0,
                               "children_turned_16_this_month": 0, "children_turned_18_this_month": 0}
    engine = default_engine()
    low = engine.decide(reg, {**case, "income": Decimal(income)}, day).amounts["kindgebonden_budget"]
    high = engine.decide(reg, {**case, "income": Decimal(income + more)}, day).amounts["kindgebonden_budget"]
    assert isinstance(low, Decimal) and isinstance(high, Decimal)
    assert high <= low


@settings(max_examples=60)
@given(rent=st.integers(min_value=0, max_value=95_000).map(lambda c: Decimal(c).scaleb(-2)),
       size=st.integers(min_value=0, max_value=3))
def test_huurtoeslag_never_pays_more_than_the_rent_above_the_basishuur(library: Library, rent: Decimal,
                                                                        size: int) -> None:
    reg = library.regulations["huurtoeslag"]
    case: dict[str, Value] = {
        "birth_date": date(1990, 1, 1), "has_partner": size > 0, "income": Decimal(10_000), "assets": Decimal(0),
        "rent": rent, "service_costs": Decimal(0), "self_contained_home": True, "registered_at_address": True,
        "co_residents": 0, "co_resident_income": Decimal(0), "adult_23_or_older_in_home": True,
        "adapted_home": False, "partner_aow_age_reached": False, "children_under_12": max(0, size - 1),
        "children_12_to_15": 0, "children_16_17": 0,
    }
    d = default_engine().decide(reg, case, date(2024, 1, 1))
    monthly = d.amounts["monthly_amount"]
    assert isinstance(monthly, Decimal)
    assert Decimal(0) <= monthly <= max(Decimal(0), rent - Decimal("188.95"))
