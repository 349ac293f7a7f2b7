"""Facts from JSON: every mistake is reported at once, each with the field's name; money is
exact whether it comes as a string or a JSON number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eenvoud.dsl.load import load_text
from eenvoud.engine.facts import FactsError, load_json, parse_facts

REG = load_text("""
regulation toeslag "Toeslag"
input age : int 0..130 "Leeftijd"
input insured : bool "Verzekerd"
input income : money €0.. "Inkomen"
input rate : percent 0%..100% "Percentage"
input hours : decimal "Uren"
input birth : date "Geboortedatum"
input work : one of {employed, self_employed, retired} "Werksituatie"
requirement adult : age >= 18
""", "toeslag.rules")


def errors(raw: object) -> dict[str, str]:
    with pytest.raises(FactsError) as exc:
        parse_facts(REG, raw)
    return {e.field: e.message for e in exc.value.errors}


def test_good_facts_become_typed_values() -> None:
    facts = parse_facts(REG, load_json(
        '{"age": 30, "insured": true, "income": "20000.5", "rate": 0.5, "hours": 32.25,'
        ' "birth": "1990-05-17", "work": "retired"}'
    ))
    assert facts == {"age": 30, "insured": True, "income": Decimal("20000.50"), "rate": Decimal("0.5"),
                     "hours": Decimal("32.25"), "birth": date(1990, 5, 17), "work": "retired"}
    assert str(facts["income"]) == "20000.50"


def test_a_json_number_for_money_is_read_exactly_never_as_float() -> None:
    facts = parse_facts(REG, load_json('{"income": 1234.56}'))
    assert facts["income"] == Decimal("1234.56") and isinstance(facts["income"], Decimal)
    assert parse_facts(REG, load_json('{"income": 0.1}'))["income"] == Decimal("0.10")


def test_null_and_absent_facts_are_unknown() -> None:
    assert parse_facts(REG, {"age": None}) == {}


def test_an_unknown_field_suggests_the_likely_name() -> None:
    assert errors({"incme": "10"}) == {"incme": "`toeslag` has no input `incme`; did you mean `income`?"}


def test_every_mistake_is_reported_at_once_with_its_field() -> None:
    got = errors({"age": "thirty", "insured": "yes", "income": "12.345", "birth": "17-05-1990",
                  "work": "retird", "rate": 2, "hours": "x"})
    assert set(got) == {"age", "insured", "income", "birth", "work", "rate", "hours"}
    assert got["age"] == 'expected a whole number, got "thirty"'
    assert got["insured"] == 'expected true or false, got "yes"'
    assert got["income"] == 'money has at most two decimals (cents), got "12.345"'
    assert got["birth"] == 'expected a date like "2025-01-01", got "17-05-1990"'
    assert got["work"].endswith("did you mean `retired`?")
    assert got["rate"] == "2 is above the highest allowed value 1.00"  # a percentage is a fraction: 100% is 1
    assert got["hours"].startswith("expected a number")


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"age": 131}, "age", "131 is above the highest allowed value 130"),
    ({"age": -1}, "age", "-1 is below the lowest allowed value 0"),
    ({"age": 17.5}, "age", "expected a whole number, got 17.5"),
    ({"age": True}, "age", "expected a whole number, got true"),
    ({"income": "-0.01"}, "income", "-0.01 is below the lowest allowed value 0"),
    ({"income": 12.345}, "income", "money has at most two decimals (cents), got 12.345"),
    ({"income": "NaN"}, "income", 'expected money as a string or a number, like "1987.00", got "NaN"'),
    ({"income": [1]}, "income", 'expected money as a string or a number, like "1987.00", got a list'),
    ({"income": "1e30"}, "income", '"1e30" is too large: at most 15 digits before the decimal point'),
    ({"insured": 1}, "insured", "expected true or false, got 1"),
    ({"age": "²"}, "age", "expected a whole number, got \"²\""),
])
def test_a_bad_value_is_named_with_its_field(raw: dict[str, object], field: str, message: str) -> None:
    assert errors(raw) == {field: message}


@pytest.mark.parametrize("text", ['{"age": 30', "[1, 2]", "", '{"age": 30,}', "{'age': 30}"])
def test_bad_json_is_a_facts_error(text: str) -> None:
    with pytest.raises(FactsError) as exc:
        parse_facts(REG, load_json(text))
    (error,) = exc.value.errors
    assert error.field == "facts"


def test_bad_json_says_where() -> None:
    with pytest.raises(FactsError, match="not valid JSON: .* at line 1 column 11"):
        load_json('{"age": 30')


@given(st.dictionaries(st.text(max_size=8), st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.decimals(allow_nan=True),
    st.floats(), st.lists(st.integers(), max_size=2),
), max_size=6))
def test_any_json_object_gives_facts_or_a_facts_error(raw: dict[str, object]) -> None:
    try:
        facts = parse_facts(REG, raw)
    except FactsError as exc:
        assert exc.errors and all(e.message for e in exc.errors)
        return
    assert set(facts) <= set(REG.input_map)
