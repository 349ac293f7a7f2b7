"""Concepts, not names (issue 13, part 1): an input declared in two files of a library with another
type, domain, registry or label is a check error showing both declarations, and such a library is
not served; a derived fact (`age` from `birth_date`) is derived once for every regulation, and a given
value that disagrees is an error naming both fields, never two different people."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import pytest

from eenvoud.api import create_app
from eenvoud.api.keys import ApiKeys
from eenvoud.cli import main
from eenvoud.diagnostics import RuleError
from eenvoud.library import Library

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
PERSONAS = ROOT / "examples" / "events"

# the new user's municipal regulation of the issue: the Participatiewet's assets, on the application date
MUNICIPAL = """\
regulation bijzondere_bijstand_voorbeeld "Bijzondere bijstand (voorbeeld)"
  agency "Gemeente Voorbeeld"

input assets : money €0.. "Vermogen op de aanvraagdatum (art. 34 Participatiewet)"

requirement assets_below_limit "Het vermogen is niet hoger dan de grens" article "Art. 34 Pw": assets <= €7_850.00
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def conflicting(tmp_path: Path) -> Path:
    """The shipped library with the municipal regulation beside it."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    target = root / "nl" / "gemeente" / "voorbeeld"
    target.mkdir(parents=True)
    (target / "bijzondere_bijstand.rules").write_text(MUNICIPAL, encoding="utf-8")
    return root


def test_the_shipped_library_declares_each_fact_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", RULES)
    assert code == 0, err
    assert "no errors" in out
    lib = Library.load([RULES])
    # the birth date is the BRP's, declared in module person, for the zorgtoeslag as for the others
    for reg in lib.regulations.values():
        if "birth_date" in reg.input_map:
            assert Path(reg.symbols["birth_date"].origin).name == "person.rules", reg.name


def test_an_input_declared_with_another_meaning_is_a_check_error(
        conflicting: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(conflicting.parent)
    code, out, err = run(capsys, "check", "rules")
    assert code == 1
    assert "no errors" not in out
    assert "error[E0116]" in err
    # both declarations, each as path:line:col, and the fix
    assert "rules/nl/gemeente/voorbeeld/bijzondere_bijstand.rules:4:7" in err
    assert re.search(r"at rules/nl/common/awir\.rules:\d+:7 as `money`", err)
    assert "the domains" in err and "the labels" in err
    assert "declare it once in a module under rules/nl/common/ and import it" in err


def test_check_json_lists_the_conflict(conflicting: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--json", conflicting)
    assert code == 1
    errors = json.loads(out)["errors"]
    assert [e["code"] for e in errors] == ["E0116"]
    assert errors[0]["file"].endswith("bijzondere_bijstand.rules")
    assert re.search(r"awir\.rules:\d+:7", errors[0]["message"])


@pytest.mark.parametrize("change, differs", [
    ('input assets : money "Vermogen (rendementsgrondslag) van aanvrager en toeslagpartner op 1 januari" from BRI',
     "the registries"),
    ('input assets : int "Vermogen (rendementsgrondslag) van aanvrager en toeslagpartner op 1 januari"', "the types"),
    ('input assets : money "Vermogen op de aanvraagdatum"', "the labels"),
])
def test_each_kind_of_difference_is_named(tmp_path: Path, change: str, differs: str) -> None:
    shutil.copy(RULES / "nl" / "common" / "awir.rules", tmp_path / "awir.rules")
    (tmp_path / "other.rules").write_text(f"regulation other\n\n{change}\n\nrequirement r : true\n", encoding="utf-8")
    lib = Library.load([tmp_path])
    assert [d.code for d in lib.diagnostics] == ["E0116"]
    assert differs in lib.diagnostics[0].message


def test_the_same_declaration_in_two_files_is_no_error(tmp_path: Path) -> None:
    text = 'input assets : money "Vermogen op 1 januari"\n'
    (tmp_path / "a.rules").write_text("regulation a\n\n" + text + "\nrequirement r : assets <= €1\n", encoding="utf-8")
    (tmp_path / "b.rules").write_text("regulation b\n\n" + text.replace("op 1", "op  1") + "\nrequirement r : true\n",
                                      encoding="utf-8")
    assert Library.load([tmp_path]).diagnostics == []


def test_a_derived_fact_of_another_kind_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text('regulation a\n\ninput age : int 0..130 "Leeftijd" from BRP\n\n'
                                      "requirement r : age >= 18\n", encoding="utf-8")
    (tmp_path / "b.rules").write_text('regulation b\n\ninput birth_date : date "Geboortedatum" from BRP\n\n'
                                      "define age = birth_date\n\nrequirement r : age <= reference_date\n",
                                      encoding="utf-8")
    lib = Library.load([tmp_path])
    assert [d.code for d in lib.diagnostics] == ["E0116"]
    assert "derived fact" in lib.diagnostics[0].message


def test_serve_refuses_the_library_with_the_diagnostic(conflicting: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "serve", "--rules", conflicting, "--no-store", "--port", "8765")
    assert code == 1
    assert "error[E0116]" in err and re.search(r"awir\.rules:\d+:7", err)


def test_the_api_factory_refuses_the_library(conflicting: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eenvoud.api.app import app_from_env

    monkeypatch.setenv("EENVOUD_RULES", str(conflicting))
    monkeypatch.setenv("EENVOUD_STORE", "off")
    with pytest.raises(RuleError) as exc:
        app_from_env()
    assert any(d.code == "E0116" for d in exc.value.diagnostics)


# -- derived facts: age from birth_date ---------------------------------------------------------------


def _turning_18() -> dict[str, object]:
    facts = json.loads((PERSONAS / "turning_18.json").read_text(encoding="utf-8"))
    assert facts["age"] == 18 and facts["birth_date"] == "2006-03-15"
    return facts


def test_the_turning_18_event_does_not_ask_the_age_when_the_birth_date_is_given(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = _turning_18()
    del facts["age"]
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    code, out, err = run(capsys, "eval", RULES / "nl" / "events" / "turning_18.rules", "--facts", path,
                         "--date", "2024-04-15", "--json")
    assert code == 0, err
    decisions = {d["regulation"]: d for d in json.loads(out)["decisions"]}
    assert decisions["zorgtoeslag"]["eligible"] is True
    assert decisions["huurtoeslag"]["eligible"] is True
    assert all("age" not in d["missing"] for d in decisions.values())


def test_age_and_birth_date_that_disagree_are_a_cli_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = {**_turning_18(), "age": 30}
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    code, out, err = run(capsys, "eval", RULES / "nl" / "events" / "turning_18.rules", "--facts", path,
                         "--date", "2024-04-15")
    assert code == 1
    assert out == ""
    assert "age: `age` does not agree with `birth_date`" in err
    assert "birth_date:" in err
    assert "gives `age` 18, not 30" in err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def shipped() -> TestClient:
    lib = Library.load([RULES])
    lib.raise_for_errors()
    with TestClient(create_app(lib, keys=ApiKeys(), audit=None)) as c:
        yield c


def test_one_government_refuses_age_and_birth_date_that_disagree(shipped: TestClient) -> None:
    """AOW by birth date, zorgtoeslag by age: `age = 30` with `birth_date = 1950-01-01` is two people."""
    r = shipped.post("/eligibility", json={"date": "2025-01-01", "facts": {"age": 30, "birth_date": "1950-01-01"}})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert {tuple(e["loc"]) for e in detail} == {("body", "facts", "age"), ("body", "facts", "birth_date")}
    assert all("`age` does not agree with `birth_date`" in e["msg"] for e in detail)
    assert all("1950" not in e["msg"] and "30" not in e["msg"] for e in detail)  # quotes no value sent


def test_one_government_derives_the_age_from_the_birth_date(shipped: TestClient) -> None:
    r = shipped.post("/eligibility", json={"date": "2025-01-01", "facts": {"birth_date": "1950-01-01"}})
    assert r.status_code == 200
    out = r.json()
    asked = {q["input"] for q in out["questions"]}
    assert "age" not in asked and "birth_date" not in asked
    # the same answer with an age that agrees
    same = shipped.post("/eligibility", json={"date": "2025-01-01", "facts": {"birth_date": "1950-01-01", "age": 75}})
    assert same.status_code == 200
    assert same.json()["questions"] == out["questions"]


def test_one_government_shows_one_label_per_fact(shipped: TestClient) -> None:
    r = shipped.post("/eligibility", json={"date": "2025-01-01", "facts": {}})
    assert r.status_code == 200
    by_input = {q["input"]: q for q in r.json()["questions"]}
    assert by_input["assets"]["label"] == "Vermogen (rendementsgrondslag) van aanvrager en toeslagpartner op 1 januari"


def test_the_age_is_asked_as_the_birth_date_once_for_every_regulation(shipped: TestClient) -> None:
    """The zorgtoeslag's `age` is the BRP birth date's age: one question, `birth_date`, for all."""
    r = shipped.post("/eligibility", params={"event": "turning_18"}, json={"date": "2024-04-15", "facts": {}})
    assert r.status_code == 200
    questions = {q["input"]: q for q in r.json()["questions"]}
    assert "age" not in questions
    assert questions["birth_date"]["registry"] == "BRP"
    assert {n["regulation"] for n in questions["birth_date"]["needed_by"]} == {"zorgtoeslag", "huurtoeslag"}
