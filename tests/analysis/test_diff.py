"""`eenvoud diff`: regions where two versions differ, witnesses replayed by the engine, and counts
on a population equal to the engine's person by person."""

from __future__ import annotations

import csv
import json
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from eenvoud.analysis.diff import Diff, compare, count_population
from eenvoud.cli import main
from eenvoud.dsl.load import load
from eenvoud.engine.decision import default_engine

ROOT = Path(__file__).resolve().parents[2]
ZORGTOESLAG = ROOT / "rules/nl/rijk/zorgtoeslag.rules"
D2024, D2025 = date(2024, 1, 1), date(2025, 1, 1)


@pytest.fixture(scope="module")
def zt() -> object:
    return load(ZORGTOESLAG)


@pytest.fixture(scope="module")
def forward(zt: object) -> Diff:
    return compare(zt, D2024, zt, D2025, bound=4)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def backward(zt: object) -> Diff:
    return compare(zt, D2025, zt, D2024, bound=4, extremes=False)  # type: ignore[arg-type]


def _replayed(d: Diff) -> None:
    """Every region's witness shows the claimed change in the engine, decided here again."""
    engine = default_engine()
    for r in d.regions:
        old = engine.decide(d.old.reg, {k: x for k, x in r.witness.items() if k in d.old.reg.input_map}, d.old.day)
        new = engine.decide(d.new.reg, {k: x for k, x in r.witness.items() if k in d.new.reg.input_map}, d.new.day)
        assert old.error is None and new.error is None
        if r.change == "gains":
            assert (old.eligible, new.eligible) == (False, True), r.condition
        elif r.change == "loses":
            assert (old.eligible, new.eligible) == (True, False), r.condition
        else:
            a, b = old.amounts[r.outcome], new.amounts[r.outcome]
            assert old.eligible and new.eligible
            assert (b > a) if r.change == "more" else (b < a), r.condition  # type: ignore[operator]


def test_zorgtoeslag_2024_to_2025_gains_with_witnesses_and_nobody_loses(forward: Diff) -> None:
    gains = [r for r in forward.regions if r.change == "gains"]
    assert gains, "the higher limits of 2025 let people in"
    # the asset limit went up: a region says so in the rules' own words, for both years
    assert any("assets <= asset_limit (2025-01-01)" in r.condition and "assets > asset_limit (2024-01-01)"
               in r.condition for r in gains)
    _replayed(forward)
    # every limit and every amount went up: Z3 proves that nobody loses and nobody gets less
    assert forward.complete["eligible/loses"] and not [r for r in forward.regions if r.change == "loses"]
    assert forward.complete["zorgtoeslag/less"] and not [r for r in forward.regions if r.change == "less"]
    assert any(r.change == "more" and r.outcome == "zorgtoeslag" for r in forward.regions)
    assert not forward.unknown
    gain = [x for x in forward.extremes if x.amount == "zorgtoeslag" and x.kind == "largest_gain"]
    assert gain and gain[0].value == Decimal("3010.00")  # the 2025 maximum for a couple, lost to the 2024 asset limit


def test_zorgtoeslag_2025_to_2024_loses_with_witnesses(backward: Diff) -> None:
    loses = [r for r in backward.regions if r.change == "loses"]
    assert loses
    assert backward.complete["eligible/gains"] and not [r for r in backward.regions if r.change == "gains"]
    assert any(r.change == "less" for r in backward.regions)
    _replayed(backward)


OLD = """regulation toy "Toy"
input income : money €0.00..€100_000.00 "Inkomen"
input single : bool "Alleenstaand"
parameter limit : money "Grens"
  2024-01-01: €20_000.00
requirement low "Inkomen onder de grens": income <= limit
amount benefit : money "Toeslag" = if single then €1_000.00 else €1_500.00
"""

NEW = """regulation toy "Toy"
input income : money €0.00..€100_000.00 "Inkomen"
input single : bool "Alleenstaand"
parameter limit : money "Grens"
  2024-01-01: €22_000.00
requirement low "Inkomen onder de grens": income <= limit
requirement not_rich "Niet rijk": single or income <= €15_000.00
amount benefit : money "Toeslag" = if single then €1_100.00 else €1_400.00
"""


def test_cli_json_contract_and_two_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.rules").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.rules").write_text(NEW, encoding="utf-8")
    code = main(["diff", str(tmp_path / "old.rules"), str(tmp_path / "new.rules"), "--date", "2024-06-01", "--json"])
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    assert {"old", "new", "regions", "unknown"} <= set(got)
    for r in got["regions"]:
        assert {"outcome", "change", "condition", "witness", "old_value", "new_value"} <= set(r)
        assert r["outcome"] in ("eligible", "benefit") and r["change"] in ("gains", "loses", "more", "less")
    changes = {(r["outcome"], r["change"]) for r in got["regions"]}
    assert changes == {("eligible", "gains"), ("eligible", "loses"), ("benefit", "more"), ("benefit", "less")}
    gains = [r for r in got["regions"] if r["change"] == "gains"]
    assert any("income > limit (old)" in r["condition"] and "income <= limit (new)" in r["condition"] for r in gains)
    loses = [r for r in got["regions"] if r["change"] == "loses"]
    assert any("income > €15_000.00" in r["condition"] and "not single" in r["condition"] for r in loses)
    # nothing changes: still exit 0, no regions
    code = main(["diff", str(tmp_path / "old.rules"), str(tmp_path / "old.rules"), "--date", "2024-06-01", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["regions"] == []


def test_an_error_in_a_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.rules").write_text(OLD, encoding="utf-8")
    (tmp_path / "bad.rules").write_text(OLD.replace("income <= limit", "income <= nothing"), encoding="utf-8")
    assert main(["diff", str(tmp_path / "old.rules"), str(tmp_path / "bad.rules"), "--date", "2024-06-01"]) == 1
    assert "nothing" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "missing.rules"), "--date", "2024-06-01", "--new-date", "2025-01-01"]) == 1


def _population(path: Path, n: int, seed: int = 13) -> None:
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["bsn", "age", "birth_date", "insured", "has_partner", "partner_insured", "income", "assets"])
        for i in range(n):
            age = rnd.choice([17, 18, 18, 19, 30, 45, 70])
            birth = date(2024 - age - rnd.choice([0, 1]), rnd.randint(1, 12), rnd.randint(1, 28))
            partner = rnd.random() < 0.5
            income = rnd.choice([rnd.randint(0, 60_000_00), rnd.randint(37_000_00, 51_000_00)])
            assets = rnd.choice([0, rnd.randint(139_000_00, 181_000_00)])
            w.writerow([i, age, birth.isoformat(), rnd.random() < 0.95, partner, rnd.random() < 0.9,
                        f"{Decimal(income) / 100:.2f}", f"{Decimal(assets) / 100:.2f}"])


def test_population_counts_equal_the_engine_person_by_person(forward: Diff, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    _population(people, 5_000)
    got = count_population(forward, str(people), str(tmp_path))
    engine = default_engine()
    counts: dict[tuple[str, str], int] = {}
    euros: dict[tuple[str, str], Decimal] = {}
    from eenvoud.engine.facts import parse_facts

    reg = forward.old.reg
    with people.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            raw = {k: x for k, x in row.items() if k != "bsn"}
            facts = parse_facts(reg, {
                "age": int(raw["age"]), "birth_date": raw["birth_date"], "insured": raw["insured"] == "True",
                "has_partner": raw["has_partner"] == "True", "partner_insured": raw["partner_insured"] == "True",
                "income": raw["income"], "assets": raw["assets"]})
            old = engine.decide(reg, facts, forward.old.day)
            new = engine.decide(reg, facts, forward.new.day)
            if old.eligible is False and new.eligible is True:
                key = ("eligible", "gains")
                counts[key] = counts.get(key, 0) + 1
                euros[key] = euros.get(key, Decimal(0)) + new.amounts["zorgtoeslag"]  # type: ignore[operator]
            if old.eligible is True and new.eligible is False:
                key = ("eligible", "loses")
                counts[key] = counts.get(key, 0) + 1
                euros[key] = euros.get(key, Decimal(0)) - old.amounts["zorgtoeslag"]  # type: ignore[operator]
            if old.eligible and new.eligible:
                for name in ("zorgtoeslag", "monthly_payment"):
                    a, b = old.amounts[name], new.amounts[name]
                    if a != b:
                        key = (name, "more" if b > a else "less")  # type: ignore[operator]
                        counts[key] = counts.get(key, 0) + 1
                        euros[key] = euros.get(key, Decimal(0)) + b - a  # type: ignore[operator]
    assert got["people"] == 5_000
    for c in got["changes"]:
        key = (c["outcome"], c["change"])
        assert c["people"] == counts.get(key, 0), key
        assert Decimal(c["euros"]) == euros.get(key, Decimal(0)), key
    assert counts[("eligible", "gains")] > 0 and counts[("zorgtoeslag", "more")] > 0


def test_diverging_definitions_in_the_shipped_library() -> None:
    from eenvoud.analysis.divergence import diverging_definitions
    from eenvoud.library import Library

    lib = Library.load([ROOT / "rules"])
    found, _ = diverging_definitions(list(lib.files.values()), D2025)
    subjects = {f.subject for f in found}
    # the partner: the Awir's toeslagpartner (huurtoeslag) against the Participatiewet's gezamenlijke huishouding
    partner = next(f for f in found if f.subject == "kwijtschelding.aow_household / huurtoeslag.elderly_household")
    assert partner.witness is not None and partner.witness.facts["has_partner"] != partner.witness.facts[
        "lives_with_partner"]
    assert "huurtoeslag.asset_limit / zorgtoeslag.asset_limit" in subjects
    assert all(f.kind == "diverging_definition" and f.witness is not None for f in found)


def test_region_witnesses_are_plausible_people(forward: Diff) -> None:
    """A region's witness is moved towards a typical case (analysis/plausible.py) while it stays in
    its region and shows the change: no one born around 1900, money in whole euros where a whole
    euro keeps the region (`_replayed` above replays the moved witnesses)."""
    from eenvoud.engine.values import years_between

    for r in forward.regions:
        born = r.witness.get("birth_date")
        assert isinstance(born, date) and years_between(born, forward.new.day) <= 70, (r.condition, born)
        assert r.witness.get("age") == years_between(born, forward.new.day)
    cents = [x for r in forward.regions for x in r.witness.values() if isinstance(x, Decimal) and x % 1]
    assert len(cents) <= 1, cents  # a cent above a limit, where the region needs it
