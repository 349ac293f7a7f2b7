"""Diverging definitions in the shipped library (issue 13, part 3): the income of the Awir (the
toetsingsinkomen) against the income of the Participatiewet, and the partner (the Awir's
toeslagpartner against the Participatiewet's gezamenlijke huishouding), each with a witness that
the engine, computing both definitions again here, shows to differ."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import z3

from eenvoud.analysis.divergence import KIND, _simple_case, diverging_definitions
from eenvoud.analysis.findings import Finding
from eenvoud.analysis.prover import Budget
from eenvoud.engine import values as v
from eenvoud.engine.decision import default_engine
from eenvoud.engine.evaluate import Env
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parents[2]
D2025 = date(2025, 1, 1)
INCOME = "pw_inkomen.yearly_income / awir_inkomen.yearly_income"
PARTNER = "kwijtschelding.aow_household / huurtoeslag.elderly_household"


@pytest.fixture(scope="module")
def found() -> dict[str, Finding]:
    lib = Library.load([ROOT / "rules"])
    lib.raise_for_errors()
    got, _ = diverging_definitions(list(lib.files.values()), D2025)
    assert all(f.kind == KIND for f in got)
    return {f.subject: f for f in got}


def _replayed(f: Finding) -> tuple[object, object]:
    """Both definitions computed by the engine on the witness; each file takes its own inputs."""
    lib = Library.load([ROOT / "rules"])
    assert f.witness is not None
    out = []
    for where in f.subject.split(" / "):
        file_name, name = where.split(".")
        reg = next(r for r in lib.files.values() if r.name == file_name)
        facts = {k: x for k, x in f.witness.facts.items() if k in reg.input_map}
        with v.localcontext_exact():
            out.append(default_engine().program(reg, D2025).name(name)(Env(facts)))
    return out[0], out[1]


def test_at_least_two_diverging_definitions_with_income_and_partner(found: dict[str, Finding]) -> None:
    assert len(found) >= 2
    assert INCOME in found and PARTNER in found
    for f in found.values():
        assert f.witness is not None
        first, second = _replayed(f)
        assert first != second, f.subject
        shown = f.witness.decision["values"]  # type: ignore[index]
        assert list(shown.values()) == [v.to_json(first, isinstance(first, Decimal)),  # type: ignore[union-attr]
                                        v.to_json(second, isinstance(second, Decimal))], f.subject


def test_income_differs_by_partner_and_by_the_tax_withheld(found: dict[str, Finding]) -> None:
    f = found[INCOME]
    regions = f.witness.decision["regions"]  # type: ignore[union-attr,index]
    # the partner: a gezamenlijke huishouding that is no toeslagpartnerschap, or the reverse
    assert any("lives_with_partner and not has_partner" in r for r in regions)
    assert any("not lives_with_partner and has_partner" in r for r in regions)
    # gross against net: without an aanslag the Awir counts the belastbaar loon, the Pw what is left
    # after the loonheffing
    assert any("not income_tax_assessed" in r and "payroll_tax_year > €0.00" in r for r in regions)
    assert {"has_partner", "lives_with_partner", "payroll_tax_year", "wages_year"} <= set(f.because)


def test_the_partner_witness_is_one_partner_in_one_sense_only(found: dict[str, Finding]) -> None:
    w = found[PARTNER].witness
    assert w is not None and w.facts["has_partner"] != w.facts["lives_with_partner"]


FACTS = """module feiten
input wages : money €0.00.. "Loon"
input tax : money €0.00.. "Ingehouden loonheffing"
input married : bool "Gehuwd"
"""


def _library(tmp_path: Path, first: str, second: str) -> list[object]:
    (tmp_path / "feiten.rules").write_text(FACTS, encoding="utf-8")
    for name, expr in (("a", first), ("b", second)):
        (tmp_path / f"{name}.rules").write_text(
            f'module {name}\n\nimport "feiten.rules"\n\ndefine income : money "Inkomen" = {expr}\n', encoding="utf-8")
    lib = Library.load([tmp_path])
    lib.raise_for_errors()
    return list(lib.files.values())


def test_two_definitions_that_agree_are_no_finding(tmp_path: Path) -> None:
    files = _library(tmp_path, "max(€0.00, wages - tax)", "if tax >= wages then €0.00 else wages - tax")
    assert diverging_definitions(files, D2025) == ([], [])  # type: ignore[arg-type]


def test_gross_against_net_is_found_with_an_exact_region(tmp_path: Path) -> None:
    files = _library(tmp_path, "wages", "max(€0.00, wages - tax)")
    found, unknown = diverging_definitions(files, D2025)  # type: ignore[arg-type]
    assert not unknown and len(found) == 1
    f = found[0]
    assert f.witness is not None
    assert f.witness.facts["wages"] > 0 and f.witness.facts["tax"] > 0  # type: ignore[operator]
    # they differ exactly where tax is withheld from wages: said in the rules' words, no "(in some cases)"
    assert f.witness.decision["regions"][0] == "tax > €0.00 and wages > €0.00"  # type: ignore[index]


def test_a_witness_does_not_depend_on_what_else_was_encoded(found: dict[str, Finding]) -> None:
    # the two kwijtscheldingen alone encode far fewer terms first than the whole library; the least
    # readable case (usable_capacity's took z3.Optimize seconds, and past its limit in another order)
    # is the same
    lib = Library.load([ROOT / "rules/nl/common",
                        ROOT / "rules/nl/gemeente/utrecht/kwijtschelding.rules",
                        ROOT / "rules/nl/waterschap/hdsr/kwijtschelding.rules"])
    lib.raise_for_errors()
    alone, _ = diverging_definitions(list(lib.files.values()), D2025)
    usable = "kwijtschelding_utrecht.usable_capacity / kwijtschelding_hdsr.usable_capacity"
    got = {f.subject: f for f in alone}
    assert usable in got
    for subject, f in got.items():
        assert f.message == found[subject].message, subject


def test_the_least_case_is_the_one_optimize_finds() -> None:
    # the lexicographic least case by bisection, as z3.Optimize with "lex" priority finds it
    x, y, p = z3.Int("x"), z3.Int("y"), z3.Bool("p")
    s = z3.Solver()
    s.add(x >= 0, y >= 0, x <= 5000, y <= 5000, z3.Or(x + y >= 1234, p), z3.Implies(p, x % 7 == 3))
    differ = z3.Or(x * 3 + y >= 2000, z3.And(p, y > 17))
    order = [z3.If(p, 1, 0), y, x]
    model = _simple_case(s, differ, [], [y % 10 == 0], [], order, set(), Budget())
    opt = z3.Optimize()
    opt.set("priority", "lex")
    opt.add(*s.assertions(), differ, y % 10 == 0)
    for o in order:
        opt.minimize(o)
    assert model is not None and opt.check() == z3.sat
    assert [model.eval(o, model_completion=True) for o in order] == [
        opt.model().eval(o, model_completion=True) for o in order]
