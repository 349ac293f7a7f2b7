"""One regulation decided alone cross-checks a derived fact against its sources, as one government
does (issue 13): the zorgtoeslag asks both `age` and `birth_date`; sent together and disagreeing on
the decision date they are a 422 naming both fields (POST /regulations/zorgtoeslag/eligibility) or
a command-line error (eenvoud eval, exit 1), never a decision about two different people."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from eenvoud.api import create_app
from eenvoud.api.keys import ApiKeys
from eenvoud.cli import main
from eenvoud.library import Library

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
ZORGTOESLAG = ROOT / "rules" / "nl" / "rijk" / "zorgtoeslag.rules"
CASE = {"insured": True, "has_partner": False, "income": "20000.00", "assets": "0.00"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    lib = Library.load([ROOT / "rules"])
    lib.raise_for_errors()
    with TestClient(create_app(lib, keys=ApiKeys(), audit=None)) as c:
        yield c


def test_the_single_route_refuses_age_and_birth_date_that_disagree(client: TestClient) -> None:
    r = client.post("/regulations/zorgtoeslag/eligibility",
                    json={"date": "2025-01-01", "facts": {**CASE, "age": 30, "birth_date": "1950-01-01"}})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert {tuple(e["loc"]) for e in detail} == {("body", "facts", "age"), ("body", "facts", "birth_date")}
    assert all("`age` does not agree with `birth_date`" in e["msg"] for e in detail)
    assert all("1950" not in e["msg"] and "30" not in e["msg"] for e in detail)  # quotes no value sent


def test_the_single_route_decides_age_and_birth_date_that_agree(client: TestClient) -> None:
    both = client.post("/regulations/zorgtoeslag/eligibility",
                       json={"date": "2025-01-01", "facts": {**CASE, "age": 75, "birth_date": "1950-01-01"}})
    assert both.status_code == 200, both.text
    assert both.json()["eligible"] is True
    # on the birthday the age has changed: 74 the day before, 75 on it
    eve = client.post("/regulations/zorgtoeslag/eligibility",
                      json={"date": "2024-12-31", "facts": {**CASE, "age": 74, "birth_date": "1950-01-01"}})
    assert eve.status_code == 200, eve.text
    # either one alone is decided as before
    alone = client.post("/regulations/zorgtoeslag/eligibility",
                        json={"date": "2025-01-01", "facts": {**CASE, "age": 30}})
    assert alone.status_code == 200 and alone.json()["eligible"] is True


def test_eval_refuses_age_and_birth_date_that_disagree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps({**CASE, "age": 30, "birth_date": "1950-01-01"}), encoding="utf-8")
    code = main(["eval", str(ZORGTOESLAG), "--facts", str(path), "--date", "2025-01-01"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "age: `age` does not agree with `birth_date`" in err
    assert "birth_date: `age` does not agree with `birth_date`" in err
    assert "gives `age` 75, not 30" in err
    assert "Traceback" not in err
    # agreeing, they are decided
    path.write_text(json.dumps({**CASE, "age": 75, "birth_date": "1950-01-01"}), encoding="utf-8")
    assert main(["eval", str(ZORGTOESLAG), "--facts", str(path), "--date", "2025-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["eligible"] is True
