"""POST /eligibility: one government. Every regulation decided at once, each open question asked once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

DAY = "2025-01-01"


def everywhere(client: TestClient, facts: dict) -> dict:
    r = client.post("/eligibility", json={"date": DAY, "facts": facts})
    assert r.status_code == 200, r.text
    return r.json()


def test_each_question_once_the_one_whose_answer_settles_most_first(client: TestClient) -> None:
    out = everywhere(client, {"age": 30, "income": "20000.00"})
    assert out["undetermined"] == ["huurtoeslag", "kinderbijslag", "zorgtoeslag"]
    assert out["eligible"] == [] and out["not_eligible"] == []
    questions = out["questions"]
    # ranked by how much an answer settles across the regulations it can still change: assets bears
    # on two; housing comes before rent, because "owner" refuses the huurtoeslag outright (nothing
    # more to ask for it) while most rents leave the housing question open; has_partner can only
    # change a document (whether the income statement must be filed), so it comes last
    assert [q["input"] for q in questions] == ["assets", "housing", "resident", "insured", "rent", "children",
                                               "has_partner"]
    partner = next(q for q in questions if q["input"] == "has_partner")
    assert partner["needed_by"] == [{"regulation": "zorgtoeslag", "rules": ["document:income_statement"],
                                     "can_change": ["document:income_statement"]}]
    assets = questions[0]
    # listed once, with every regulation it can still change and what it can change there
    assert assets == {
        "input": "assets", "label": "Vermogen op 1 januari", "registry": None, "ask_citizen": True, "settles": 0,
        "needed_by": [{"regulation": "huurtoeslag", "rules": ["asset_test"], "can_change": ["eligible"]},
                      {"regulation": "zorgtoeslag", "rules": ["asset_test"], "can_change": ["eligible", "zorgtoeslag"]}],
    }
    rent = next(q for q in questions if q["input"] == "rent")
    # rent decides a requirement and the amount
    assert rent["needed_by"][0]["rules"] == ["rent_limit", "huurtoeslag"]
    insured = next(q for q in questions if q["input"] == "insured")
    assert insured["registry"] == "ZVW" and insured["ask_citizen"] is False


def test_a_question_that_decides_regulations_outright_is_counted(client: TestClient) -> None:
    facts = {"age": 30, "income": "20000.00", "insured": True, "has_partner": False,
             "rent": "700.00", "housing": "rent_independent", "children": 0, "resident": True}
    out = everywhere(client, facts)
    assert out["not_eligible"] == ["kinderbijslag"]
    assert out["undetermined"] == ["huurtoeslag", "zorgtoeslag"]
    assert [(q["input"], q["settles"]) for q in out["questions"]] == [("assets", 2)]
    out = everywhere(client, {**facts, "assets": "1000.00"})
    assert out["eligible"] == ["huurtoeslag", "zorgtoeslag"]
    assert out["questions"] == []
    amounts = {r["regulation"]: r["amounts"] for r in out["regulations"]}
    assert amounts == {"huurtoeslag": {"huurtoeslag": "250.00"}, "kinderbijslag": {"kinderbijslag": "0.00"},
                       "zorgtoeslag": {"zorgtoeslag": "131.12"}}


def test_registries_and_outcomes_per_regulation(client: TestClient) -> None:
    out = everywhere(client, {"housing": "owner"})
    huur = next(r for r in out["regulations"] if r["regulation"] == "huurtoeslag")
    assert huur["outcome"] == "not eligible" and huur["eligible"] is False
    assert huur["agency"] == "Belastingdienst/Toeslagen"
    assert huur["amounts"] == {"huurtoeslag": "0.00"}
    # nothing is asked for a regulation that is already decided
    assert all(n["regulation"] != "huurtoeslag" for q in out["questions"] for n in q["needed_by"])


def test_unknown_and_wrong_facts_across_regulations(client: TestClient) -> None:
    r = client.post("/eligibility", json={"date": DAY, "facts": {"age": 300, "chidren": 2, "rent": "x"}})
    assert r.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in r.json()["detail"]}
    assert errors == {
        ("body", "facts", "chidren"): "no regulation has an input `chidren`; did you mean `children`?",
        ("body", "facts", "age"): "above the highest allowed value 130",  # once, not per regulation
        ("body", "facts", "rent"): 'expected money like "1987.00" or 1987.00, got text',
    }


VALUES = {
    "age": st.integers(0, 130), "insured": st.booleans(), "has_partner": st.booleans(),
    "income": st.sampled_from(["0.00", "20000.00", "38520.00", "38520.01", "90000.00"]),
    "assets": st.sampled_from(["0.00", "37395.00", "37395.01", "141896.00", "141896.01"]),
    "rent": st.sampled_from(["0.00", "500.00", "900.07", "900.08"]),
    "housing": st.sampled_from(["rent_independent", "rent_room", "owner"]),
    "children": st.integers(0, 20), "resident": st.booleans(),
}


@settings(max_examples=60)
@given(st.fixed_dictionaries({}, optional=VALUES))
def test_everywhere_agrees_with_each_regulation_alone(client: TestClient, facts: dict) -> None:
    out = everywhere(client, facts)
    asked: dict[str, int] = {}
    for summary in out["regulations"]:
        reg = summary["regulation"]
        own = {k: x for k, x in facts.items()
               if k in {i["name"] for i in client.get(f"/regulations/{reg}").json()["inputs"]}}
        alone = client.post(f"/regulations/{reg}/eligibility", json={"date": DAY, "facts": own}).json()
        assert summary["eligible"] == alone["eligible"]
        assert summary["amounts"] == alone["amounts"]
        assert summary["missing"] == alone["missing"]
        for q in alone["questions"]:
            asked[q["input"]] = asked.get(q["input"], 0) + 1
    # every missing fact is listed exactly once, with every regulation that needs it
    assert {q["input"]: len(q["needed_by"]) for q in out["questions"]} == asked
    # a question that can only change a document comes after every one that can change more
    only_documents = [all(c.startswith("document:") for n in q["needed_by"] for c in n["can_change"] or ["?"])
                      for q in out["questions"]]
    assert only_documents == sorted(only_documents)


def test_life_events_are_listed(client: TestClient) -> None:
    assert client.get("/events").json() == [
        {"id": "new_parent", "title": "Een kind krijgen", "regulations": ["kinderbijslag", "zorgtoeslag"]}
    ]


def test_a_life_event_decides_only_its_regulations(client: TestClient) -> None:
    r = client.post("/eligibility", params={"event": "new_parent"},
                    json={"date": DAY, "facts": {"age": 30, "income": "20000.00", "rent": "700.00"}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["event"] == "new_parent"
    assert [x["regulation"] for x in out["regulations"]] == ["kinderbijslag", "zorgtoeslag"]
    # rent belongs to a regulation outside the event: accepted, and asked of nobody
    assert all(q["input"] not in ("rent", "housing") for q in out["questions"])
    assert everywhere(client, {})["event"] is None


def test_an_unknown_life_event_is_404(client: TestClient) -> None:
    r = client.post("/eligibility", params={"event": "new_parents"}, json={"date": DAY, "facts": {}})
    assert r.status_code == 404
    assert r.json() == {"detail": "no life event `new_parents`; did you mean `new_parent`?"}


def test_a_regulation_not_yet_in_force_is_said_so_and_the_others_decide(client: TestClient) -> None:
    r = client.post("/eligibility", json={"date": "2024-06-01", "facts": {"children": 1, "resident": True}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["not_in_force"] == ["huurtoeslag"]
    assert out["eligible"] == ["kinderbijslag"]
    huur = next(x for x in out["regulations"] if x["regulation"] == "huurtoeslag")
    assert huur["outcome"] == "not in force"
    assert huur["note"] == "the parameter `max_rent` has no value on 2024-06-01 (its first value is from 2025-01-01)"
    assert all(n["regulation"] != "huurtoeslag" for q in out["questions"] for n in q["needed_by"])


def test_a_date_before_every_regulation_is_422(tmp_path) -> None:
    import shutil
    from pathlib import Path

    from eenvoud.api import create_app
    from eenvoud.api.keys import ApiKeys
    from eenvoud.library import Library

    shutil.copy(Path(__file__).parent / "rules" / "zorgtoeslag.rules", tmp_path)
    with TestClient(create_app(Library.load([tmp_path]), keys=ApiKeys())) as c:
        r = c.post("/eligibility", json={"date": "2020-01-01", "facts": {}})
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {("body", "date")}
