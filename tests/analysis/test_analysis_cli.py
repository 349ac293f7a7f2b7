"""`eenvoud analyze`, `eenvoud simplify` and the properties of `eenvoud test`, as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eenvoud.cli import main

CASES = Path(__file__).parent / "cases"


def test_analyze_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["analyze", str(CASES / "redundant_a.rules"), "--date", "2025-01-01", "--json", "--timeout", "1"])
    assert code == 0  # findings are not an error
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"summary", "findings", "unknown", "stats", "regulations"}
    assert set(data["stats"]) >= {"queries", "seconds"}
    [finding] = data["findings"]
    assert {"kind", "regulation", "subject", "span", "article", "because", "witness", "message"} <= set(finding)
    assert finding["kind"] == "redundant_requirement" and finding["subject"] == "adult"
    assert finding["regulation"] == "redundant_a"
    assert re.fullmatch(r".*redundant_a\.rules:\d+:\d+", finding["span"])
    assert finding["because"] == ["adult_21"] and finding["article"] == "Art. 1"
    assert finding["periods"] == [{"from": "2025-01-01", "to": "2025-01-01"}]


def test_analyze_without_a_date_says_in_which_periods_a_finding_holds(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text("""regulation r "r"
input income : money €0.. "Inkomen"
parameter limit : money "Grens"
  2024-01-01: €20_000
  2025-01-01: €40_000
requirement cap "Plafond": income <= €30_000
requirement limit_test "Grens": income <= limit
""", encoding="utf-8")
    assert main(["analyze", str(rules), "--json", "--timeout", "1"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    # 2024: the limit of €20,000 makes the cap redundant; 2025: the €40,000 limit is the redundant one
    periods = {f["subject"]: f["periods"] for f in findings if f["kind"] == "redundant_requirement"}
    assert periods == {"cap": [{"from": "2024-01-01", "to": "2024-12-31"}],
                       "limit_test": [{"from": "2025-01-01", "to": None}]}


def test_analyze_writes_a_self_contained_html_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    code = main(["analyze", str(CASES / "property_violated_a.rules"), str(CASES / "redundant_a.rules"),
                 "--date", "2025-01-01", "--format", "html", "--out", str(out), "--timeout", "1"])
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "nobody under 18 qualifies" in page and "<table>" in page
    assert not re.search(r"<(script|link|img)\b", page)  # nothing fetched when the page is opened
    assert "redundant_a: 1 finding" in capsys.readouterr().out


def test_analyze_markdown_report_shows_the_witness_and_the_simplified_text(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(CASES / "redundant_a.rules"), str(CASES / "property_violated_a.rules"),
                 "--date", "2025-01-01", "--format", "md", "--timeout", "1"]) == 0
    text = capsys.readouterr().out
    assert "| `age` |" in text  # the counterexample as a table
    assert "```diff" in text and "-requirement adult " in text


def test_analyze_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "no/such.rules"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_simplify_writes_the_proved_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "simple.rules"
    assert main(["simplify", str(CASES / "redundant_a.rules"), "-o", str(out), "--date", "2025-01-01"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "requirement adult_21" in text and "requirement adult " not in text
    err = capsys.readouterr().err
    assert "removed requirement `adult` (redundant)" in err and "proved by Z3" in err
    assert main(["check", str(out)]) == 0


def test_simplify_refuses_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simplify", str(CASES / "contradiction_a.rules"), "--date", "2025-01-01"]) == 1
    assert "contradict" in capsys.readouterr().err


def test_eenvoud_test_fails_on_a_violated_property_with_its_counterexample(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(CASES / "property_violated_a.rules"), "--timeout", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "nobody under 18 qualifies" in out and "counterexample: age = " in out
    assert main(["test", str(CASES / "property_violated_a_clean.rules"), "--timeout", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {p["status"] for p in data["properties"]} == {"proved"}


def test_a_branch_dead_in_one_period_and_live_in_the_next_gives_one_finding_per_period(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text("""regulation r "r"
input age : int 0..130 "Leeftijd"
parameter known : bool "Bedragen bekend"
  2024-01-01: true
  2025-01-01: false
requirement adult "18+": age >= 18
amount benefit : money = if known then €100 else €0
""", encoding="utf-8")
    # a branch that only echoes the parameter is reported only when asked (--parameter-echoes)
    assert main(["analyze", str(rules), "--json", "--timeout", "1", "--parameter-echoes"]) == 0
    found = {f["subject"]: f["periods"] for f in json.loads(capsys.readouterr().out)["findings"]
             if f["kind"] == "dead_branch"}
    assert found == {"benefit.if.1.else": [{"from": "2024-01-01", "to": "2024-12-31"}],
                     "benefit.if.1.then": [{"from": "2025-01-01", "to": None}]}


def test_two_requirements_that_say_the_same_give_one_finding(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text("""regulation r "r"
input age : int 0..130 "Leeftijd"
input insured : bool "Verzekerd"
requirement first "Volwassen en verzekerd": insured and age >= 18
requirement second "Verzekerd en niet jonger dan 18": not (18 > age) and insured
""", encoding="utf-8")
    assert main(["analyze", str(rules), "--json", "--date", "2025-01-01"]) == 0
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["kind"], finding["subject"], finding["because"]) == ("redundant_requirement", "second", ["first"])
    assert "says the same as `first`" in finding["message"]
