"""Typical money in a pair witness (issue 11): an amount of a few cents (an assessment of €0.01
remitted against €0.00) moves to whole euros or a typical amount, held or free, where the engine
still shows the pair; the changed answer is re-chosen when it must be; declared domains and the
inputs a finding freezes stay the hard limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.plausible import pair_claim, plausible_pair, typical_money
from eenvoud.analysis.prover import Budget
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import default_engine
from eenvoud.engine.values import Value
from eenvoud.library import Library

DAY = date(2025, 1, 1)

REMISSION = """regulation remission "a remission of the assessment"
input assessment : money {domain} "assessment"
input income : money €0.00.. "income"
input owner : bool "owner"
define remitted : money "remitted" = max(assessment - income, €0.00)
requirement something_to_remit "something to remit" : remitted > €0.00
amount kwijtschelding : money "remission" = remitted
"""


def _outcome(text: str):  # type: ignore[no-untyped-def]
    reg = load_text(text, "r.rules")

    def outcome(f: Mapping[str, Value]) -> tuple[object, ...]:
        d = default_engine().decide(reg, dict(f), DAY)
        return (d.outcome, tuple(sorted(d.amounts.items())))

    return outcome


def test_typical_money_is_whole_euros_then_a_few_hundred() -> None:
    assert typical_money(Decimal("300.00")) == []
    assert typical_money(Decimal("0.00")) == []
    assert typical_money(Decimal("317.02"))[:3] == [Decimal("300.00"), Decimal("320.00"), Decimal("317.00")]
    few = typical_money(Decimal("0.01"))
    assert few[0] == Decimal("0.00") and few[1] == Decimal("250.00")
    assert all(m % 1 == 0 for m in few)


def test_a_held_assessment_of_a_cent_moves_to_a_typical_one_and_the_changed_answer_is_rechosen() -> None:
    outcome = _outcome(REMISSION.format(domain="€0.01.."))
    inputs = load_text(REMISSION.format(domain="€0.01.."), "r.rules").inputs
    # the solver's pair: €0.01 remitted against €0.00; an income of €0.29 leaves nothing to remit
    case: dict[str, Value] = {"assessment": Decimal("0.01"), "income": Decimal("0.00"), "owner": False}
    changed: dict[str, Value] = {"income": Decimal("0.29")}
    want = pair_claim(outcome(case), outcome({**case, **changed}))
    got, other = plausible_pair(case, changed, inputs, DAY, outcome, {})
    assert pair_claim(outcome(got), outcome({**got, **other})) == want  # the engine still shows the pair
    assert got["assessment"] == Decimal("250.00")
    assert other["income"] % 1 == 0 and other["income"] >= Decimal("250.00")
    assert outcome(got)[0] == "eligible" and outcome({**got, **other})[0] == "not eligible"


def test_the_declared_domain_stays_the_hard_limit() -> None:
    # an assessment of at most €0.05: no typical amount lies inside, the cent stays
    text = REMISSION.format(domain="€0.01..€0.05")
    outcome = _outcome(text)
    inputs = load_text(text, "r.rules").inputs
    case: dict[str, Value] = {"assessment": Decimal("0.01"), "income": Decimal("0.00"), "owner": False}
    got, other = plausible_pair(case, {"income": Decimal("0.29")}, inputs, DAY, outcome, {})
    assert got["assessment"] == Decimal("0.01")
    assert pair_claim(outcome(got), outcome({**got, **other}))[2] is True


def test_a_frozen_amount_does_not_move() -> None:
    text = REMISSION.format(domain="€0.01..")
    outcome = _outcome(text)
    inputs = load_text(text, "r.rules").inputs
    case: dict[str, Value] = {"assessment": Decimal("0.01"), "income": Decimal("0.00"), "owner": False}
    got, _other = plausible_pair(case, {"income": Decimal("0.29")}, inputs, DAY, outcome, {},
                                 frozenset({"assessment"}))
    assert got["assessment"] == Decimal("0.01")


def test_the_kwijtschelding_witnesses_show_no_assessment_of_a_few_cents() -> None:
    # the Utrecht witness of `expected_net_income_month` was an assessment of €0.01 (remission
    # €0.01 against €0.00): replayed and valid, not a typical case
    lib = Library.load(["rules"])
    reg = lib.regulations["kwijtschelding_utrecht"]
    report = analyze([reg], day=date(2025, 1, 1), budget=Budget(1.0, backstop=False), jobs=1)
    seen = 0
    for f in report.findings:
        w = f.witness
        if w is None:
            continue
        for facts in (w.facts, w.changed or {}):
            for name, value in facts.items():
                if isinstance(value, Decimal):
                    seen += 1
                    assert not Decimal(0) < value < 10, (f.kind, f.subject, name, value)
        if w.changed is not None:
            # replayed: the engine's decisions of the two cases still differ
            assert w.decision_after is not None and w.decision != w.decision_after, (f.kind, f.subject)
    assert seen > 0
