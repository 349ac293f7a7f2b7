"""GET /regulations/{id}/schema: a portal that validates its form against the published schema never
meets a 422 for a value, and the schema refuses what the API refuses."""

from __future__ import annotations

from typing import Any

import jsonschema_rs  # comes with schemathesis (dev extra)
import pytest
from fastapi.testclient import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st

REGULATIONS = ["zorgtoeslag", "huurtoeslag", "kinderbijslag"]


def schema_of(client: TestClient, reg: str) -> dict[str, Any]:
    r = client.get(f"/regulations/{reg}/schema")
    assert r.status_code == 200
    return r.json()


@pytest.mark.parametrize("reg", REGULATIONS)
def test_the_schema_is_a_valid_2020_12_schema_of_every_input(client: TestClient, reg: str) -> None:
    schema = schema_of(client, reg)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema_rs.meta.is_valid(schema)
    inputs = client.get(f"/regulations/{reg}").json()["inputs"]
    assert list(schema["properties"]) == [i["name"] for i in inputs]
    assert schema["additionalProperties"] is False


def test_the_schema_speaks_of_registries_and_domains(client: TestClient) -> None:
    props = schema_of(client, "zorgtoeslag")["properties"]
    assert props["age"] == {
        "type": ["integer", "null"], "minimum": 0, "maximum": 130, "title": "Leeftijd van de aanvrager",
        "x-registry": "BRP", "description": "held by the registry BRP: fetch it there, do not ask the citizen",
    }
    assert props["assets"]["x-registry"] is None
    assert props["income"]["x-type"] == "money" and props["income"]["x-minimum"] == "0.00"
    housing = schema_of(client, "huurtoeslag")["properties"]["housing"]
    assert housing["enum"] == ["rent_independent", "rent_room", "owner", None]


def _values(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the property's schema allows, drawn from the schema itself."""
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    kinds = prop["type"]
    options: list[st.SearchStrategy[Any]] = []
    if "null" in kinds:
        options.append(st.none())
    if "boolean" in kinds:
        options.append(st.booleans())
    if "integer" in kinds:
        options.append(st.integers(prop.get("minimum"), prop.get("maximum")))
    if "string" in kinds and "pattern" in prop:
        options.append(st.from_regex(prop["pattern"]))
    if "string" in kinds and prop.get("format") == "date":
        options.append(st.dates().map(lambda d: d.isoformat()))
    return st.one_of(options)


@st.composite
def facts_allowed_by_the_schema(draw: st.DrawFn, schemas: dict[str, dict[str, Any]]) -> tuple[str, dict]:
    reg = draw(st.sampled_from(REGULATIONS))
    props = schemas[reg]["properties"]
    facts = draw(st.fixed_dictionaries({}, optional={k: _values(p) for k, p in props.items()}))
    return reg, facts


@pytest.fixture(scope="module")
def schemas(client: TestClient) -> dict[str, dict[str, Any]]:
    return {reg: schema_of(client, reg) for reg in REGULATIONS}


def test_every_value_the_schema_allows_is_accepted(client: TestClient, schemas: dict) -> None:
    validators = {reg: jsonschema_rs.validator_for(s) for reg, s in schemas.items()}

    @settings(max_examples=150)
    @given(facts_allowed_by_the_schema(schemas))
    def check(case: tuple[str, dict]) -> None:
        reg, facts = case
        # Python's `$` also matches before a final newline; JSON Schema's does not
        assume(validators[reg].is_valid(facts))
        r = client.post(f"/regulations/{reg}/eligibility", json={"date": "2025-01-01", "facts": facts})
        assert r.status_code == 200, (facts, r.text)

    check()


@pytest.mark.parametrize(
    ("reg", "facts"),
    [
        ("zorgtoeslag", {"age": 131}),
        ("zorgtoeslag", {"age": "30"}),
        ("zorgtoeslag", {"income": "12.345"}),
        ("zorgtoeslag", {"income": "-1.00"}),
        ("zorgtoeslag", {"income": "1234567890123456"}),
        ("zorgtoeslag", {"incme": "1.00"}),
        ("huurtoeslag", {"housing": "castle"}),
        ("kinderbijslag", {"resident": "yes"}),
    ],
)
def test_what_the_api_refuses_the_schema_refuses(client: TestClient, schemas: dict, reg: str, facts: dict) -> None:
    assert not jsonschema_rs.validator_for(schemas[reg]).is_valid(facts)
    r = client.post(f"/regulations/{reg}/eligibility", json={"date": "2025-01-01", "facts": facts})
    # "30" for an int is accepted by the lenient parser, but the schema only promises integers
    assert r.status_code == (200 if facts == {"age": "30"} else 422)
