"""Life events: every persona in examples/events/ is decided against each regulation of its event,
without error and with the outcomes written down beside it; and `eenvoud eval` does the same from the
command line."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from eenvoud.cli import main
from eenvoud.engine.decision import default_engine
from eenvoud.engine.facts import load_json, parse_facts
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
PERSONAS = ROOT / "examples" / "events"
# Inputs that are no fact about a person but a figure the encoding lacks (docs/library.md): a persona
# leaves them out, and a regulation that needs one says so as a missing fact.
ENCODING_GAPS = {"basishuur_above_minimum", "amount_this_year", "other_cost_of_living_norm"}
REQUIRED_EVENTS = {"turning_18", "birth_of_child", "moving_house", "retirement", "low_income"}


@pytest.fixture(scope="module")
def library() -> Library:
    lib = Library.load([RULES])
    assert lib.diagnostics == []
    return lib


def _event_files() -> list[Path]:
    return sorted((RULES / "nl" / "events").glob("*.rules"))


def _persona(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    facts = load_json((PERSONAS / f"{name}.json").read_text(encoding="utf-8"))
    expected = json.loads((PERSONAS / f"{name}.expected.json").read_text(encoding="utf-8"))
    return facts, expected


def test_the_life_events_of_the_issue_exist(library: Library) -> None:
    assert REQUIRED_EVENTS <= set(library.events)
    for event in library.events.values():
        assert library.event_regulations(event), event.name
        assert len(library.event_regulations(event)) == len(event.included)


@pytest.mark.parametrize("name", sorted(REQUIRED_EVENTS))
def test_persona_covers_exactly_the_inputs_of_its_regulations(library: Library, name: str) -> None:
    facts, expected = _persona(name)
    regs = library.event_regulations(library.events[name])
    inputs = {i.name for reg in regs for i in reg.inputs}
    assert set(facts) <= inputs, f"fields no regulation of the event declares: {set(facts) - inputs}"
    # the kindgebonden budget's birth dates of children the persona does not have (beyond
    # `children_in_year`) are no fact about this person
    absent = {f"child_{k}_birth_date" for k in range(int(facts.get("children_in_year", 0)) + 1, 7)}
    gaps = ENCODING_GAPS | absent
    assert inputs - gaps <= set(facts), f"inputs the persona leaves out: {inputs - gaps - set(facts)}"
    assert set(expected["outcomes"]) == {reg.name for reg in regs}


@pytest.mark.parametrize("name", sorted(REQUIRED_EVENTS))
def test_persona_gets_its_expected_outcomes(library: Library, name: str) -> None:
    facts, expected = _persona(name)
    day = date.fromisoformat(expected["date"])
    engine = default_engine()
    for reg in library.event_regulations(library.events[name]):
        decision = engine.decide(reg, parse_facts(reg, facts, allow_unknown=True), day)
        want = expected["outcomes"][reg.name]
        out = decision.to_json()
        assert decision.outcome == want["outcome"], (reg.name, decision.explanation)
        assert out["amounts"] == want["amounts"], reg.name
        assert out["missing"] == want.get("missing", []), reg.name
        assert all(isinstance(a, Decimal) for a in decision.amounts.values() if a is not None)


@pytest.mark.parametrize("name", sorted(REQUIRED_EVENTS))
def test_eval_decides_the_persona_against_every_regulation_of_the_event(
        library: Library, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    _facts, expected = _persona(name)
    code = main(["eval", str(RULES / "nl" / "events" / f"{name}.rules"), "--facts", str(PERSONAS / f"{name}.json"),
                 "--date", expected["date"], "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["event"] == name
    got = {d["regulation"]: d for d in out["decisions"]}
    assert list(got) == list(expected["outcomes"])
    for reg, want in expected["outcomes"].items():
        assert got[reg]["amounts"] == want["amounts"]
        assert {True: "eligible", False: "not eligible", None: "undetermined"}[got[reg]["eligible"]] == want["outcome"]


def test_eval_of_an_event_in_a_terminal_names_every_regulation(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", str(RULES / "nl" / "events" / "retirement.rules"), "--facts",
                 str(PERSONAS / "retirement.json"), "--date", "2024-06-15"])
    assert code == 0
    text = capsys.readouterr().out
    for title in ("Algemene Ouderdomswet", "Wet op de zorgtoeslag", "Wet op de huurtoeslag",
                  "Individuele inkomenstoeslag gemeente Utrecht", "Kwijtschelding gemeentelijke belastingen Utrecht"):
        assert title in text
    # Her kwijtschelding is decided with the AOW-age norm (art. 22 Participatiewet): the regulation is named
    # with its outcome and the amount it remits, and no figure the encoding lacks is asked of her any more.
    assert "Kwijtschelding gemeentelijke belastingen Utrecht (kwijtschelding_utrecht) on 2024-06-15: NOT ELIGIBLE" in text
    assert "Kwijtschelding van de aanslag (Art. 11 URIW) = € 0,00" in text
    assert "other_cost_of_living_norm" not in text
    assert "UNDETERMINED" not in text


def test_eval_of_an_event_rejects_a_field_no_regulation_of_it_declares(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts, _ = _persona("turning_18")
    bad = tmp_path / "facts.json"
    bad.write_text(json.dumps({**facts, "rentt": "450.00"}), encoding="utf-8")
    code = main(["eval", str(RULES / "nl" / "events" / "turning_18.rules"), "--facts", str(bad), "--date", "2024-03-15"])
    assert code == 1
    err = capsys.readouterr().err
    assert "rentt" in err and "rent" in err
    assert "Traceback" not in err


def test_every_event_file_has_a_persona() -> None:
    for path in _event_files():
        assert (PERSONAS / f"{path.stem}.json").is_file(), path.stem
        assert (PERSONAS / f"{path.stem}.expected.json").is_file(), path.stem


@pytest.mark.parametrize("name", sorted(REQUIRED_EVENTS))
def test_persona_age_agrees_with_its_birth_date(name: str) -> None:
    """The zorgtoeslag asks an age, the others read the BRP birth date: a persona tells one story."""
    from eenvoud.engine.values import years_between

    facts, expected = _persona(name)
    if "age" in facts and "birth_date" in facts:
        day = date.fromisoformat(expected["date"])
        assert facts["age"] == years_between(date.fromisoformat(facts["birth_date"]), day)
