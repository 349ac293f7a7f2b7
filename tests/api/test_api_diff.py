"""POST /diff: two rule texts on a date, or a regulation of the library on two dates."""

from __future__ import annotations

from fastapi.testclient import TestClient

OLD = """regulation toy "Toy"
input income : money €0.00..€100_000.00 "Inkomen"
parameter limit : money "Grens"
  2024-01-01: €20_000.00
requirement low "Inkomen onder de grens": income <= limit
amount benefit : money "Toeslag" = €1_000.00
"""
NEW = OLD.replace("€20_000.00", "€22_000.00").replace("= €1_000.00", "= €900.00")


def test_two_texts(client: TestClient) -> None:
    r = client.post("/diff", json={"old": OLD, "new": NEW, "date": "2024-06-01"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert {"old", "new", "regions", "unknown"} <= set(got)
    changes = {(x["outcome"], x["change"]) for x in got["regions"]}
    assert changes == {("eligible", "gains"), ("benefit", "less")}
    gains = next(x for x in got["regions"] if x["change"] == "gains")
    assert gains["condition"] == "income > limit (old) and income <= limit (new)"
    assert gains["old_value"] is False and gains["new_value"] is True


def test_a_regulation_on_two_dates(client: TestClient) -> None:
    r = client.post("/diff", json={"regulation": "zorgtoeslag", "date": "2024-01-01", "new_date": "2025-01-01"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert any(x["change"] == "gains" for x in got["regions"])
    assert got["complete"]["eligible/loses"] is True


def test_bad_input_names_the_field(client: TestClient) -> None:
    r = client.post("/diff", json={"old": OLD, "new": "regulation x \"X\"\nrequirement a: nothing", "date": "2024-06-01"})
    assert r.status_code == 422 and "new" in r.text
    r = client.post("/diff", json={"old": OLD, "new": NEW})
    assert r.status_code == 422 and "date" in r.text
    r = client.post("/diff", json={"regulation": "zorgtoeslag", "date": "2024-01-01"})
    assert r.status_code == 422 and "new_date" in r.text
    r = client.post("/diff", json={"regulation": "nope", "date": "2024-01-01", "new_date": "2025-01-01"})
    assert r.status_code == 404
    r = client.post("/diff", json={"old": OLD, "new": NEW, "date": "2024-06-01", "extra": 1})
    assert r.status_code == 422 and "extra" in r.text
