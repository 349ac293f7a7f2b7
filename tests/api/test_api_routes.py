"""Every route as an agency's developer meets it: what it answers, and how it says no."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eenvoud import cli
from eenvoud.library import Library

RULES = Path(__file__).parent / "rules"

DAY = "2025-01-01"
JSON_TYPE = {"content-type": "application/json"}  # the API refuses a body sent as anything else (415)
SINGLE_LOW_INCOME = {"age": 30, "insured": True, "has_partner": False, "income": "20000.00", "assets": "0.00"}


def decide(client: TestClient, facts: object, regulation: str = "zorgtoeslag", day: str | None = DAY):
    body: dict[str, object] = {"facts": facts}
    if day is not None:
        body["date"] = day
    return client.post(f"/regulations/{regulation}/eligibility", json=body)


def only_error(response) -> dict:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert len(detail) == 1, detail
    return detail[0]


# -- health and listing ---------------------------------------------------------------------------


def test_health(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["regulations"] == 3


def test_list_regulations_with_versions_and_hash(client: TestClient, library: Library) -> None:
    r = client.get("/regulations")
    assert r.status_code == 200
    regs = {x["id"]: x for x in r.json()}
    assert list(regs) == ["huurtoeslag", "kinderbijslag", "zorgtoeslag"]
    z = regs["zorgtoeslag"]
    assert z["title"] == "Wet op de zorgtoeslag"
    assert z["agency"] == "Belastingdienst/Toeslagen"
    assert z["hash"] == library.regulations["zorgtoeslag"].hash
    assert z["versions"] == [
        {"valid_from": "2024-01-01", "valid_until": "2024-12-31"},
        {"valid_from": "2025-01-01", "valid_until": None},
    ]
    # a regulation without dated parameters has one version, in force always
    assert regs["kinderbijslag"]["versions"] == [{"valid_from": None, "valid_until": None}]


# -- one regulation -------------------------------------------------------------------------------


def test_regulation_detail_parameters_follow_the_date(client: TestClient) -> None:
    r2024 = client.get("/regulations/zorgtoeslag", params={"date": "2024-06-01"}).json()
    r2025 = client.get("/regulations/zorgtoeslag", params={"date": "2025-06-01"}).json()
    premium = {d["date"]: p["value"] for d in (r2024, r2025) for p in d["parameters"] if p["name"] == "standard_premium"}
    assert premium == {"2024-06-01": "1987.00", "2025-06-01": "2112.00"}
    inputs = {i["name"]: i for i in r2025["inputs"]}
    assert inputs["age"] == {
        "name": "age", "type": "int", "domain": {"minimum": 0, "maximum": 130, "members": None},
        "label": "Leeftijd van de aanvrager", "registry": "BRP", "ask_citizen": False,
        "registry_period": None, "judged": False,
    }
    assert inputs["assets"]["registry"] is None and inputs["assets"]["ask_citizen"] is True
    assert inputs["income"]["domain"]["minimum"] == "0.00"
    assert r2025["documents"] == [{"name": "income_statement", "label": "Inkomensverklaring",
                                   "provides": ["income"], "required_when": "has_partner"}]
    assert [q["name"] for q in r2025["requirements"]] == ["adult", "insured_nl", "income_test", "asset_test"]
    assert r2025["requirements"][3]["exemptions"] == ["age > 100"]


def test_regulation_detail_lists_enum_members(client: TestClient) -> None:
    inputs = {i["name"]: i for i in client.get("/regulations/huurtoeslag").json()["inputs"]}
    assert inputs["housing"]["type"] == "enum"
    assert inputs["housing"]["domain"]["members"] == ["rent_independent", "rent_room", "owner"]


def test_before_the_first_version_parameters_have_no_value(client: TestClient) -> None:
    r = client.get("/regulations/zorgtoeslag", params={"date": "2000-01-01"})
    assert r.status_code == 200
    assert all(p["value"] is None for p in r.json()["parameters"])


def test_unknown_regulation_is_404_with_the_likely_name(client: TestClient) -> None:
    for r in (client.get("/regulations/zorgtoeslg"), client.get("/regulations/zorgtoeslg/schema"),
              decide(client, {}, "zorgtoeslg")):
        assert r.status_code == 404
        assert r.json() == {"detail": "no regulation `zorgtoeslg`; did you mean `zorgtoeslag`?"}
    r = client.get("/regulations/nothing-like-it")
    assert r.status_code == 404
    assert "`huurtoeslag`, `kinderbijslag`, `zorgtoeslag`" in r.json()["detail"]


def test_bad_date_in_query_is_422(client: TestClient) -> None:
    r = client.get("/regulations/zorgtoeslag", params={"date": "tomorrow"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "date"]


# -- decisions ------------------------------------------------------------------------------------


def test_decision_is_the_same_object_as_eval_json(client: TestClient, tmp_path: Path, capsys) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(SINGLE_LOW_INCOME))
    code = cli.main(["eval", str(RULES / "zorgtoeslag.rules"), "--facts", str(facts), "--date", DAY, "--json"])
    assert code == 0
    from_cli = json.loads(capsys.readouterr().out)
    r = decide(client, SINGLE_LOW_INCOME)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == from_cli
    assert from_cli["eligible"] is True
    assert from_cli["amounts"] == {"zorgtoeslag": "131.12"}


def test_undetermined_decision_lists_the_questions(client: TestClient) -> None:
    facts = {"age": 30, "insured": True, "has_partner": True, "income": "20000"}
    d = decide(client, facts).json()
    assert d["eligible"] is None
    assert d["amounts"] == {"zorgtoeslag": None}
    assert d["missing"] == ["assets"]
    assert d["questions"] == [{"input": "assets", "label": "Vermogen op 1 januari", "registry": None,
                               "ask_citizen": True, "needed_by": ["asset_test"],
                               "can_change": ["eligible", "zorgtoeslag"]}]
    assert d["decided_by"] == "solver"


def test_not_eligible_pays_zero(client: TestClient) -> None:
    d = decide(client, {**SINGLE_LOW_INCOME, "assets": "200000.00"}).json()
    assert d["eligible"] is False
    assert d["amounts"] == {"zorgtoeslag": "0.00"}
    assert [r["status"] for r in d["reasons"]] == ["holds", "holds", "holds", "fails"]


def test_null_and_absent_facts_are_both_unknown(client: TestClient) -> None:
    a = decide(client, {"age": 30, "income": None}).json()
    b = decide(client, {"age": 30}).json()
    assert a == b
    assert a["eligible"] is None


def test_money_is_exact_whether_sent_as_number_or_string(client: TestClient) -> None:
    as_string = decide(client, {**SINGLE_LOW_INCOME, "income": "28406.10"}).json()
    raw = json.dumps({"date": DAY, "facts": SINGLE_LOW_INCOME | {"income": "X"}}).replace('"X"', "28406.10")
    as_number = client.post("/regulations/zorgtoeslag/eligibility", content=raw,
                            headers={"content-type": "application/json"}).json()
    assert as_number == as_string
    # a number with more digits than a float holds keeps every one of them (a float would give .02)
    big = '{"date": "2025-01-01", "facts": {"assets": 100000000000000.01}}'
    d = client.post("/regulations/zorgtoeslag/eligibility", content=big, headers=JSON_TYPE).json()
    asset_reason = next(r for r in d["reasons"] if r["requirement"] == "asset_test")
    assert asset_reason["values"]["assets"] == "100000000000000.01"


def test_date_defaults_to_today(client: TestClient) -> None:
    from datetime import date

    d = decide(client, SINGLE_LOW_INCOME, day=None).json()
    assert d["date"] == date.today().isoformat()


def test_each_wrong_fact_is_named_by_its_json_path(client: TestClient) -> None:
    r = decide(client, {"age": "thirty", "insured": "yes", "income": "12.345", "assets": -5, "incme": 1})
    assert r.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in r.json()["detail"]}
    assert errors == {
        ("body", "facts", "age"): "expected a whole number like 30, got text",
        ("body", "facts", "insured"): "expected true or false, got text",
        ("body", "facts", "income"): "money has at most two decimals (cents)",
        ("body", "facts", "assets"): "below the lowest allowed value 0.00",
        ("body", "facts", "incme"): "`zorgtoeslag` has no input `incme`; did you mean `income`?",
    }


def test_value_outside_the_domain(client: TestClient) -> None:
    e = only_error(decide(client, {"age": 131}))
    assert e["loc"] == ["body", "facts", "age"]
    assert e["msg"] == "above the highest allowed value 130"
    e = only_error(decide(client, {"housing": "castle"}, "huurtoeslag"))
    assert e["loc"] == ["body", "facts", "housing"]
    assert e["msg"].startswith('expected one of "rent_independent", "rent_room", "owner", got text')


@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        ('{"date": "2025-01-01", "facts": [1, 2]}', ["body", "facts"], "valid dictionary"),
        ('{"date": "2025-13-01", "facts": {}}', ["body", "date"], 'expected a date like "2025-01-01"'),
        ('{"date": 20250101, "facts": {}}', ["body", "date"], 'expected a date like "2025-01-01"'),
        ('{"date": "2025-01-01", "fact": {}}', ["body", "fact"], "unknown field `fact`"),
        ('{"date": "2025-01-01", "facts": {"age": 30,}}', ["body"], "not valid JSON"),
        ('{"date": "2025-01-01", "facts": {"assets": NaN}}', ["body"], "not valid JSON"),
        ("[1, 2, 3]", ["body"], "expected a JSON object"),
        ("", ["body"], "the request needs a JSON body"),
        (b"\xff\xfe{\x00", ["body"], "not"),
        ("[" * 100_000 + "]" * 100_000, ["body"], "nested too deeply"),
    ],
)
def test_malformed_bodies_are_422_at_their_place(client: TestClient, body: str | bytes, loc: list,
                                                 fragment: str) -> None:
    r = client.post("/regulations/zorgtoeslag/eligibility", content=body, headers=JSON_TYPE)
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]
    assert errors[0]["loc"] == loc
    assert fragment in errors[0]["msg"]


def test_a_date_before_the_regulation_is_in_force(client: TestClient) -> None:
    r = decide(client, SINGLE_LOW_INCOME, day="2020-01-01")
    assert r.status_code == 422
    errors = r.json()["detail"]
    assert {tuple(e["loc"]) for e in errors} == {("body", "date")}
    assert "the parameter `standard_premium` has no value on 2020-01-01" in errors[0]["msg"]


def test_rules_that_cannot_be_evaluated_for_an_eligible_case_answer_the_error_outcome(tmp_path: Path) -> None:
    """An evaluation failure is an outcome (docs/language.md, "Outcomes"), not the client's
    mistake: 200 with `eligible` null and `error` naming the bracket, the value and the rule."""
    from eenvoud.api import create_app
    from eenvoud.api.keys import ApiKeys

    (tmp_path / "gap.rules").write_text(
        'regulation gap "with a gap in a bracket"\n'
        "input income : money\n"
        "input adult : bool\n"
        'bracket rate : percent "r" on income\n'
        "  2025-01-01:\n"
        "    | ..€10_000 => 1%\n"
        "    | €20_000.. => 2%\n"
        "requirement low : rate < 2%\n"
        'requirement grown "Art. 1" : adult\n'
    )
    lib = Library.load([tmp_path])
    lib.raise_for_errors()
    with TestClient(create_app(lib, keys=ApiKeys())) as c:
        assert decide(c, {"income": "5000", "adult": True}, "gap").json()["eligible"] is True
        r = decide(c, {"income": "15000", "adult": True}, "gap")
        # a requirement that fails decides, whatever cannot be evaluated beside it
        ineligible = decide(c, {"income": "15000", "adult": False}, "gap").json()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["eligible"] is None
    assert body["error"]["message"] == "no row of the bracket `rate` covers the value 15000.00"
    assert body["error"]["in"] == "requirement `low`"
    assert body["error"]["span"].endswith("gap.rules:4:9")
    assert [x["status"] for x in body["reasons"]] == ["error", "holds"]
    assert ineligible["eligible"] is False and ineligible["error"] is None


# -- body size ------------------------------------------------------------------------------------


def test_body_over_one_mib_is_413(client: TestClient) -> None:
    padding = "x" * (1024 * 1024)
    r = client.post("/regulations/zorgtoeslag/eligibility",
                    content=json.dumps({"date": DAY, "facts": {"pad": padding}}))
    assert r.status_code == 413
    assert "larger than 1048576 bytes" in r.json()["detail"]


def test_streamed_body_over_one_mib_is_413(client: TestClient) -> None:
    def chunks():
        yield b'{"date": "2025-01-01", "facts": {"pad": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}}'

    r = client.post("/eligibility", content=chunks())  # no Content-Length: chunked
    assert r.status_code == 413


def test_body_just_under_the_limit_is_read(client: TestClient) -> None:
    body = json.dumps({"date": DAY, "facts": {"age": 30}})
    body += " " * (1024 * 1024 - len(body))
    assert decide(client, {"age": 30}).json() == client.post(
        "/regulations/zorgtoeslag/eligibility", content=body, headers=JSON_TYPE).json()


# -- the documentation ------------------------------------------------------------------------------


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) == {
        "/health", "/regulations", "/regulations/{regulation_id}", "/regulations/{regulation_id}/schema",
        "/regulations/{regulation_id}/eligibility", "/regulations/{regulation_id}/analysis", "/eligibility",
        "/events", "/matrix", "/diff",
    }
    body = paths["/regulations/{regulation_id}/eligibility"]["post"]["requestBody"]["content"]["application/json"]
    example = body["examples"]["complete"]["value"]
    # the example is the library's own first test case, and it decides
    assert decide(client, example["facts"], "huurtoeslag", example["date"]).status_code == 200
    assert client.get("/docs").status_code == 200
