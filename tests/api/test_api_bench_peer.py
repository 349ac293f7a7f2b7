"""The benchmark's peer is honest: the OpenFisca country package in bench/peers computes the same
zorgtoeslag as the shipped rules for every complete test case in them (skipped without the
`bench` extra)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("openfisca_web_api")

from eenvoud.engine.decision import default_engine  # noqa: E402
from eenvoud.engine.facts import literal_value  # noqa: E402
from eenvoud.library import Library  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ("age", "insured", "has_partner", "partner_insured", "income", "assets")


@pytest.fixture(scope="module")
def openfisca():
    sys.path.insert(0, str(ROOT / "bench" / "peers"))
    try:
        from openfisca_zorgtoeslag import situation
        from openfisca_zorgtoeslag.web import app
    finally:
        sys.path.remove(str(ROOT / "bench" / "peers"))
    return app.test_client(), situation


def test_openfisca_peer_agrees_with_the_rules(openfisca) -> None:
    client, situation = openfisca
    reg = Library.load([ROOT / "rules"]).regulations["zorgtoeslag"]
    compared = 0
    for test in reg.tests:
        facts = {g.name: literal_value(g.value) for g in test.given}
        if set(facts) - set(INPUTS):
            continue
        facts.setdefault("partner_insured", False)
        if set(facts) != set(INPUTS):
            continue
        decision = default_engine().decide(reg, facts, test.on)
        if decision.missing:
            continue  # not complete for the rules (at 18 the birth date decides; the peer has none)
        plain = {k: float(x) if isinstance(x, Decimal) else x for k, x in facts.items()}
        r = client.post("/calculate", json=situation(plain, str(test.on.year)))
        assert r.status_code == 200, r.get_data(as_text=True)
        person = r.get_json()["persons"]["applicant"]
        year = str(test.on.year)
        assert person["eligible"][year] == decision.eligible, test.name
        assert Decimal(str(person["zorgtoeslag"][year])) == decision.amounts["zorgtoeslag"], test.name
        assert Decimal(str(person["monthly_payment"][year])) == decision.amounts["monthly_payment"], test.name
        compared += 1
    assert compared >= 10
