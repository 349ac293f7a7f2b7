"""Three-valued (Kleene) logic: an unknown fact makes an answer unknown only where the answer
really depends on it. `false and unknown` is false, `true or unknown` is true.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import decide, outcome
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.values import Maybe, Value

DAY = date(2025, 1, 1)

LOGIC = load_text("""
regulation logic "Kleene"
input a : bool "A"
input b : bool "B"
input n : int "N"
input w : one of {x, y, z} "W"
define both = a and b
define either = a or b
define neither = not a
define follows = a implies b
define pick = if a then n else 7
define member = w in {x, y}
define bigger = n > 3
""", "logic.rules")
PROG = Program(LOGIC, DAY)

truth = st.sampled_from([True, False, None])


def value(name: str, **facts: Value | None) -> Maybe:
    known = {k: x for k, x in facts.items() if x is not None}
    return PROG.name(name)(Env(known))


# Kleene's strong logic: order false < unknown < true; `and` is the minimum, `or` the maximum
_RANK = {False: 0, None: 1, True: 2}
_BY_RANK = {0: False, 1: None, 2: True}


def k_and(x: bool | None, y: bool | None) -> bool | None:
    return _BY_RANK[min(_RANK[x], _RANK[y])]


def k_or(x: bool | None, y: bool | None) -> bool | None:
    return _BY_RANK[max(_RANK[x], _RANK[y])]


def k_not(x: bool | None) -> bool | None:
    return None if x is None else not x


@given(truth, truth)
def test_and_or_not_implies_follow_kleene(a: bool | None, b: bool | None) -> None:
    assert value("both", a=a, b=b) == k_and(a, b)
    assert value("either", a=a, b=b) == k_or(a, b)
    assert value("neither", a=a) == k_not(a)
    assert value("follows", a=a, b=b) == k_or(k_not(a), b)


def test_the_cases_a_drafter_relies_on() -> None:
    assert value("both", a=False) is False  # false and unknown
    assert value("both", b=False) is False  # unknown and false
    assert value("both", a=True) is None  # true and unknown
    assert value("either", a=True) is True  # true or unknown
    assert value("either", b=False) is None  # unknown or false
    assert value("follows", a=False) is True  # false implies anything
    assert value("follows", b=True) is True  # anything implies true


def test_if_with_an_unknown_condition_is_known_only_when_both_branches_agree() -> None:
    assert value("pick", a=True, n=3) == 3
    assert value("pick", a=False) == 7
    assert value("pick", n=7) == 7  # a unknown, but both branches give 7
    assert value("pick", n=8) is None
    assert value("pick", a=True) is None


def test_membership_and_comparison_with_unknowns() -> None:
    assert value("member", w="x") is True
    assert value("member", w="z") is False
    assert value("member") is None
    assert value("bigger", n=4) is True
    assert value("bigger") is None


REG = load_text("""
regulation toeslag "Toeslag"
input age : int 0..130 "Leeftijd" from BRP
input insured : bool "Verzekerd" from ZVW
input income : money "Inkomen"
input student : bool "Student"
requirement adult "Meerderjarig" article "art. 1" : age >= 18
requirement insured_nl "Verzekerd" article "art. 2" : insured
requirement low_income "Inkomen" article "art. 3" : income <= €30_000
  unless student label "art. 3 lid 2: studenten"
amount benefit : money "Toeslag" = max(€0, €1_000 - round(income * 2%, 2))
""", "toeslag.rules")
RPROG = Program(REG, DAY)


def test_one_failing_requirement_decides_whatever_is_unknown() -> None:
    d = decide(RPROG, {"age": 12})
    assert d.eligible is False
    assert d.missing == []  # nothing asked: no answer can change a refusal
    assert d.to_json()["amounts"] == {"benefit": "0.00"}
    assert [r.status for r in d.reasons] == ["fails", "unknown", "unknown"]


def test_undetermined_lists_exactly_the_facts_that_could_decide_it() -> None:
    d = decide(RPROG, {"age": 30, "insured": True, "income": Decimal("40000.00")})
    assert d.eligible is None
    assert d.missing == ["student"]  # the income is known and too high: only the exemption can help
    assert d.amounts == {"benefit": None}
    assert d.to_json()["amounts"] == {"benefit": None}


def test_missing_facts_name_their_registry_and_what_needs_them() -> None:
    d = decide(RPROG, {})
    assert d.eligible is None
    assert d.missing == ["age", "insured", "income", "student"]
    by_input = {q.input: q for q in d.questions}
    assert by_input["age"].registry == "BRP" and by_input["age"].to_json()["ask_citizen"] is False
    assert by_input["income"].registry is None and by_input["income"].to_json()["ask_citizen"] is True
    assert by_input["age"].needed_by[0] == "adult"
    assert "benefit" in by_input["income"].needed_by


def test_an_exemption_makes_a_failing_requirement_hold() -> None:
    d = decide(RPROG, {"age": 20, "insured": True, "income": Decimal("50000.00"), "student": True})
    assert d.eligible is True
    low = d.reasons[2]
    assert low.status == "holds" and low.exemption == "art. 3 lid 2: studenten"
    assert d.amounts["benefit"] == Decimal("0.00")


def test_reasons_carry_label_article_and_the_values_used() -> None:
    d = decide(RPROG, {"age": 30, "insured": True, "income": Decimal("20000.00"), "student": False})
    assert d.eligible is True
    assert [r.to_json() for r in d.reasons] == [
        {"requirement": "adult", "status": "holds", "label": "Meerderjarig", "article": "art. 1",
         "values": {"age": 30}},
        {"requirement": "insured_nl", "status": "holds", "label": "Verzekerd", "article": "art. 2",
         "values": {"insured": True}},
        {"requirement": "low_income", "status": "holds", "label": "Inkomen", "article": "art. 3",
         "values": {"income": "20000.00", "student": False}},
    ]
    assert d.amounts["benefit"] == Decimal("600.00")
    assert any("Meerderjarig (art. 1)" in line for line in d.explanation)
    # Dutch labels: the explanation is Dutch, money as a Dutch reader writes it; English on request
    assert d.explanation[-1] == "Bedrag: Toeslag = € 600,00."
    from eenvoud.engine.explanation import explain

    assert explain(d, REG, "en")[-1] == "Amount: Toeslag = €600.00."


def test_the_fast_path_agrees_with_the_full_decision() -> None:
    for facts in ({}, {"age": 12}, {"age": 30, "insured": True, "income": Decimal("20000.00"), "student": False},
                  {"age": 30, "insured": True, "income": Decimal("40000.00")}):
        d = decide(RPROG, facts)  # type: ignore[arg-type]
        assert outcome(RPROG, facts) == (d.eligible, d.amounts)  # type: ignore[arg-type]


@pytest.mark.parametrize("facts", [{"age": 30}, {"insured": False}, {}])
def test_a_decision_names_regulation_hash_and_date(facts: dict[str, Value]) -> None:
    j = decide(RPROG, facts).to_json()
    assert j["regulation"] == "toeslag" and j["date"] == "2025-01-01" and j["hash"] == REG.hash
    assert j["hash"].startswith("sha256:")
