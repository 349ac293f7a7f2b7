"""The three-valued decision (`decided_by: "rules"`) claims eligible or not eligible only where no
answer still open can make the rules fail (issue 12): an error is an outcome of its own, so a case
whose open answer can fall in a bracket's gap, divide by zero or leave the calendar is undetermined,
with that answer as a question; one whose open answers cannot reach the failure stays decided."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import default_engine

DAY = date(2025, 1, 1)

GAP = """regulation g "generated"
input a : int 0..2 "a"
input b : int 0..5 "b"
input p : bool "p"
input q : bool "q"
bracket rate : money "r" on b
  2024-01-01:
    | ..2 => €10.00
    | 3.. => €20.00
requirement r1 "r1" : a >= 1
requirement r2 "r2" : q or rate > €15.00
amount pay : money "pay" = if p then €1.00 else rate
amount guarded : money "guarded" = if b >= 3 then rate else €0.00
amount fixed : money "fixed" = €7.00
"""


def test_an_open_answer_that_can_fall_in_the_gap_leaves_the_case_undetermined_and_is_asked() -> None:
    reg = load_text(GAP, "g.rules")
    engine = default_engine()
    d = engine.decide(reg, {"a": 1, "q": True, "p": False}, DAY)
    # every requirement holds whatever b is, but b = 2 finds no row of `rate`: an error
    assert engine.decide(reg, {"a": 1, "q": True, "p": False, "b": 2}, DAY).outcome == "error"
    assert d.eligible is None and d.outcome == "undetermined" and d.error is None
    # pay and guarded read b; what the rules computed stays (what every completion that is not an
    # error pays)
    assert d.amounts == {"pay": None, "guarded": None, "fixed": Decimal("7.00")}
    assert d.missing == ["b"]
    assert set(d.questions[0].needed_by) >= {"pay"}
    assert "Conclusion: undetermined: an answer to `b` can still make the rules fail." in d.explanation
    assert d.to_json()["decided_by"] == "rules"


def test_an_open_answer_that_cannot_reach_the_gap_leaves_the_case_decided() -> None:
    reg = load_text(GAP.replace("amount pay : money \"pay\" = if p then €1.00 else rate\n", ""), "g.rules")
    engine = default_engine()
    # `guarded` reads b's bracket only where b >= 3, which every row covers: eligible, amount open
    d = engine.decide(reg, {"a": 1, "q": True}, DAY)
    assert d.eligible is True and d.amounts["guarded"] is None and d.missing == ["b"]
    for b in range(6):
        assert engine.decide(reg, {"a": 1, "q": True, "b": b}, DAY).outcome == "eligible"


def test_not_eligible_is_kept_only_when_a_failing_requirement_cannot_fail_to_evaluate() -> None:
    reg = load_text(GAP, "g.rules")
    engine = default_engine()
    # r2 fails for every b that has a row (rate > €15 only for b >= 3 ... but q decides): with
    # q false, r2 reads b's bracket; b = 2 makes it an error, and r1 holds: undetermined
    d = engine.decide(reg, {"a": 1, "q": False, "p": True}, DAY)
    assert d.eligible is None and "b" in d.missing
    # r1 fails whatever b is, and r1 cannot fail to evaluate: not eligible
    d = engine.decide(reg, {"a": 0, "q": False, "p": True}, DAY)
    assert d.eligible is False
    for b in range(6):
        assert engine.decide(reg, {"a": 0, "q": False, "p": True, "b": b}, DAY).outcome == "not eligible"


def test_complete_cases_are_decided_as_before() -> None:
    reg = load_text(GAP, "g.rules")
    d = default_engine().decide(reg, {"a": 1, "q": True, "p": False, "b": 4}, DAY)
    assert d.eligible is True and str(d.amounts["pay"]) == "20.00"


@st.composite
def regulations(draw: st.DrawFn) -> tuple[str, dict[str, list[object]]]:
    """Small regulations over three ints and two bools whose brackets may have gaps or open ends
    and whose divisions may divide by zero, in requirements, amounts and documents."""
    a_hi, b_hi, k_hi = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(0, 3))
    c1 = draw(st.integers(0, b_hi))
    lower = draw(st.sampled_from(["..", "0.."]))
    rows = f"    | {lower}{c1} => €10.00\n"
    if draw(st.booleans()):
        rows += f"    | {c1}..{c1 + 1} => €15.00\n"
    rows += f"    | {c1 + 1}..{'' if draw(st.booleans()) else b_hi} => €20.00\n"
    cond = draw(st.sampled_from(["p", "q or rate > €12.00", "a >= 1", "rate >= €10.00 and p", "p and rate >= €10.00",
                                 "if p then rate > €12.00 else a > 0", "share > €2.00 or q"]))
    amount = draw(st.sampled_from(["rate", "if p then €1.00 else rate", "share", "if k > 0 then share else €0.00",
                                   "if b >= 3 then rate else €5.00", "€3.00"]))
    doc_when = draw(st.sampled_from(["p", "rate > €12.00", "q and share > €1.00"]))
    text = f"""regulation g "generated"
input a : int 0..{a_hi} "a"
input b : int 0..{b_hi} "b"
input k : int 0..{k_hi} "k"
input p : bool "p"
input q : bool "q"
bracket rate : money "r" on b
  2024-01-01:
{rows}define share : money "s" = round(€10.00 / k, 2)
requirement r1 "r1" : {cond}
requirement r2 "r2" : a >= {draw(st.integers(0, a_hi))} or q
amount pay : money "pay" = {amount}
document d "d"
  provides q
  required when {doc_when}
"""
    domains: dict[str, list[object]] = {"a": list(range(a_hi + 1)), "b": list(range(b_hi + 1)),
                                        "k": list(range(k_hi + 1)), "p": [False, True], "q": [False, True]}
    return text, domains


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(regulations(), st.data())
def test_what_the_three_valued_decision_claims_every_completion_gets(
        generated: tuple[str, dict[str, list[object]]], data: st.DataObject) -> None:
    text, domains = generated
    try:
        reg = load_text(text, "g.rules")
    except RuleError:
        assume(False)
        return
    engine = default_engine()
    names = list(domains)
    known = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
    facts = {x: data.draw(st.sampled_from(domains[x])) for x in known}
    d = engine.decide(reg, facts, DAY)
    if d.eligible is None:
        return
    open_names = [x for x in names if x not in facts]
    for values in itertools.product(*(domains[x] for x in open_names)):
        full = engine.decide(reg, {**facts, **dict(zip(open_names, values, strict=True))}, DAY)
        # errors included: a completion that is an error contradicts eligible and not eligible
        assert full.outcome == d.outcome, (text, facts, values, full.outcome, d.outcome)
        for name, value in d.amounts.items():
            if value is not None:
                assert full.amounts[name] == value, (text, facts, values, name)


REFUSED_DOCUMENT = """regulation g "generated"
input a : int 0..3 "a"
input b : int 0..3 "b"
input p : bool "p"
input q : bool "q"
bracket rate : money "r" on b
  2024-01-01:
    | ..1 => €10.00
    | 2.. => €20.00
requirement r1 "r1" : a >= 1
amount pay : money "pay" = rate
document d "d"
  provides q
  required when rate >= €10.00 or p
"""


def test_a_refused_case_claims_no_document_an_open_answer_can_make_fail() -> None:
    # refused whatever the answers (a = 0). Kleene says `d` is required (`p` is true), but b = 1
    # falls in the bracket's gap: that completion's document is unknown, so the partial case cannot
    # claim it. The refusal itself stands (a failed requirement refuses whatever else fails)
    reg = load_text(REFUSED_DOCUMENT, "g.rules")
    engine = default_engine()
    assert engine.decide(reg, {"a": 0, "p": True, "b": 1}, DAY).documents[0]["required"] is None
    partial = engine.decide(reg, {"a": 0, "p": True}, DAY)
    assert partial.eligible is False
    assert partial.documents[0]["required"] is None
    assert engine.decide(reg, {"a": 0, "p": True}, DAY, cautious=False).documents[0]["required"] is True
    # an answer given outside the gap settles the document again
    assert engine.decide(reg, {"a": 0, "p": True, "b": 3}, DAY).documents[0]["required"] is True
