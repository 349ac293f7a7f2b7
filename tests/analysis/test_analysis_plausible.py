"""Plausible witnesses (issue 11): realistic values where the claim allows them, never a lost
claim, and the shipped library's example report shows only plausible cases."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from eenvoud.analysis.plausible import plausible, realistic
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t

DAY = date(2025, 1, 1)
INPUTS = (n.Input("birth_date", t.DateType(), "born"), n.Input("assets", t.MoneyType(), "assets"),
          n.Input("children", t.IntType(), "children"))


def _age(f: Mapping[str, Value]) -> int:
    born = f["birth_date"]
    assert isinstance(born, date)
    return DAY.year - born.year - ((DAY.month, DAY.day) < (born.month, born.day))


def test_an_implausible_case_moves_to_a_realistic_one_that_shows_the_same() -> None:
    case: dict[str, Value] = {"birth_date": date(301, 2, 3), "assets": Decimal("-0.01"), "children": 90000}
    got = plausible(case, INPUTS, DAY, lambda f: _age(f) >= 67, {})
    assert _age(got) >= 67
    assert all(realistic(got[i.name], i.type, DAY) for i in INPUTS)


def test_realism_never_breaks_the_claim() -> None:
    # only a negative amount shows the point: the witness keeps it
    case: dict[str, Value] = {"birth_date": date(1980, 1, 1), "assets": Decimal("-5.00"), "children": 0}
    got = plausible(case, INPUTS, DAY, lambda f: f["assets"] < 0, {})  # type: ignore[operator]
    assert got["assets"] == Decimal("-5.00")


def test_a_witness_fails_one_requirement_where_one_suffices() -> None:
    def failed(f: Mapping[str, Value]) -> frozenset[str]:
        return frozenset(k for k, ok in (("adult", _age(f) >= 18), ("poor", f["assets"] <= 1000)) if not ok)

    case: dict[str, Value] = {"birth_date": date(2020, 1, 1), "assets": Decimal("5000.00"), "children": 0}
    base: dict[str, Value] = {"birth_date": date(1985, 1, 1), "assets": Decimal("0.00"), "children": 0}
    got = plausible(case, INPUTS, DAY, lambda f: bool(failed(f)), base, failed=failed)
    assert len(failed(got)) == 1


def test_the_shipped_library_report_shows_plausible_witnesses() -> None:
    report = json.loads(Path("examples/reports/analysis.json").read_text(encoding="utf-8"))
    for f in report["findings"]:
        w = f["witness"]
        if w is None:
            continue
        day = date.fromisoformat(w["date"])
        for facts in (w["facts"], w.get("changed") or {}):
            for name, value in facts.items():
                if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
                    assert date(1900, 1, 1) <= date.fromisoformat(value) <= day, (f["subject"], name, value)
                elif isinstance(value, str):
                    try:
                        amount = Decimal(value)
                    except ArithmeticError:
                        continue
                    assert amount >= 0, (f["subject"], name, value)
                elif isinstance(value, int) and not isinstance(value, bool):
                    assert 0 <= value <= 120, (f["subject"], name, value)


AGED = (n.Input("birth_date", t.DateType(), "born"), n.Input("age", t.IntType(0, 130), "age"),
        n.Input("children", t.IntType(), "children"))


def test_age_follows_the_birth_date_and_never_moves_by_itself() -> None:
    # the solver's case: 18 years old, born in 9982 — one person cannot be both
    case: dict[str, Value] = {"birth_date": date(9982, 12, 31), "age": 18, "children": 0}
    got = plausible(case, AGED, DAY, lambda f: f["age"] >= 18, {})  # type: ignore[operator]
    assert got["age"] == _age(got) and got["age"] >= 18
    assert date(1900, 1, 1) <= got["birth_date"] <= DAY  # type: ignore[operator]
    # a typical adult where the claim allows it
    assert 18 <= got["age"] <= 90  # type: ignore[operator]


def test_counts_are_small_where_the_claim_allows() -> None:
    case: dict[str, Value] = {"birth_date": date(1980, 1, 1), "assets": Decimal("0.00"), "children": 17}
    got = plausible(case, INPUTS, DAY, lambda f: f["children"] >= 1, {})  # type: ignore[operator]
    assert 1 <= got["children"] <= 2  # type: ignore[operator]


def test_money_is_rounded_where_the_claim_allows() -> None:
    case: dict[str, Value] = {"birth_date": date(1980, 1, 1), "assets": Decimal("317.02"), "children": 0}
    got = plausible(case, INPUTS, DAY, lambda f: f["assets"] > 0, {})  # type: ignore[operator]
    assert got["assets"] == Decimal("300.00")
    tiny: dict[str, Value] = {"birth_date": date(1980, 1, 1), "assets": Decimal("0.01"), "children": 0}
    assert plausible(tiny, INPUTS, DAY, lambda f: f["assets"] > 0, {})["assets"] == Decimal("100.00")  # type: ignore[operator]


def test_a_childs_birth_date_is_a_childs() -> None:
    inputs = (n.Input("child_1_birth_date", t.DateType(), "born"),)
    case: dict[str, Value] = {"child_1_birth_date": date(1983, 12, 31)}
    got = plausible(case, inputs, DAY, lambda f: True, {})
    born = got["child_1_birth_date"]
    assert isinstance(born, date) and 0 <= DAY.year - born.year <= 17


def test_a_pair_witness_is_a_typical_adult_and_its_changed_answer_whole_euros() -> None:
    """A pair of cases (a question that matters): the changed answer moves to whole euros, and the
    first case to an adult near 40, re-choosing the changed answer where the held one no longer
    shows the pair (the limit of a 40-year-old is another than an 18-year-old's)."""
    from eenvoud.analysis.plausible import pair_claim, plausible_pair

    inputs = (n.Input("birth_date", t.DateType(), "born"), n.Input("income", t.MoneyType(), "income"))

    def outcome(f: Mapping[str, Value]) -> tuple[object, ...]:
        limit = Decimal(1500) if _age(f) >= 21 else Decimal(1000)
        return (f["income"] <= limit,)  # type: ignore[operator]

    case: dict[str, Value] = {"birth_date": date(2006, 6, 1), "income": Decimal("0.00")}
    changed: dict[str, Value] = {"income": Decimal("1000.01")}
    want = pair_claim(outcome(case), outcome({**case, **changed}))
    got, other = plausible_pair(case, changed, inputs, DAY, outcome, {})
    assert pair_claim(outcome(got), outcome({**got, **other})) == want  # the pair still shows
    assert 25 <= _age(got) <= 55
    assert other["income"] % 1 == 0 and outcome({**got, **other}) == (False,)
