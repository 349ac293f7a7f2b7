"""`eenvoud batch` as a user meets it: results per person, bad rows reported with their row number
and never decided or coerced, clear errors for mistakes in the files, exit codes a pipeline can
trust."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from eenvoud.cli import main

ROOT = Path(__file__).resolve().parents[2]
ZORG = ROOT / "rules" / "nl" / "rijk" / "zorgtoeslag.rules"
FIXTURES = Path(__file__).resolve().parent / "sql_rules"
HEADER = "bsn,age,insured,has_partner,partner_insured,income,assets\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def batch(capsys: pytest.CaptureFixture[str], rules: Path, people: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "batch", rules, "--input", people, "--output", out, "--date", "2025-01-01", *extra)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_results_per_person_in_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text(HEADER
                      + "111,30,true,false,,20000,0\n"  # Dienst Toeslagen 2025, voorbeeld 1
                      + "222,30,true,true,false,33200.00,0\n"  # voorbeeld 2: partner not insured
                      + "333,17,true,false,,20000,0\n"
                      + "444,30,true,false,,,0\n", encoding="utf-8")  # income unknown
    out = tmp_path / "results.csv"
    code, stdout, stderr = batch(capsys, ZORG, people, out)
    assert code == 0, stderr
    assert "4 people" in stdout and "eligible 2" in stdout and "undetermined 1" in stdout
    assert out.read_text(encoding="utf-8").splitlines() == [
        "row,bsn,eligible,zorgtoeslag,monthly_payment,failed_requirement",
        "1,111,true,1573.00,131.00,",
        "2,222,true,1177.00,98.00,",
        "3,333,false,0.00,0.00,adult",
        "4,444,,,,",
    ]
    assert not (tmp_path / "results.errors.csv").exists()


def test_parquet_output_is_typed_and_exact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "1,30,true,false,,33500,0\n", encoding="utf-8")
    out = tmp_path / "results.parquet"
    assert batch(capsys, ZORG, people, out)[0] == 0
    with duckdb.connect() as con:
        types = dict(con.execute(f"DESCRIBE SELECT * FROM '{out}'").fetchall()[i][:2] for i in range(6))
        row = con.execute(f"SELECT zorgtoeslag, monthly_payment FROM '{out}'").fetchone()
    assert types["eligible"] == "BOOLEAN"
    assert types["zorgtoeslag"] == "DECIMAL(18,2)"
    assert row is not None and str(row[0]) == "876.00" and str(row[1]) == "73.00"  # the published table


def test_bad_rows_are_reported_with_row_numbers_and_never_decided(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text(HEADER
                      + "1,30,true,false,,20000,0\n"
                      + "2,abc,true,false,,20000,0\n"  # not a number
                      + "3,30,yes,false,,20000,0\n"  # not true/false
                      + "4,30,true,false,,20000.005,0\n"  # more than cents
                      + "5,131,true,false,,20000,0\n"  # above the domain 0..130
                      + "6,30,true,false,,-5.00,0\n"  # below the domain €0..
                      + "7,30,true,false,,\"20,000\",0\n"  # a thousands separator
                      + "8,30,true,false,,12345678901234567,0\n"  # too large for DECIMAL(18, 2)
                      + "9,30.0,true,false,,20000,1e5\n"  # 30.0 is a whole number; 1e5 is not money
                      + "10,30,true,false,,20000,0\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    code, stdout, stderr = batch(capsys, ZORG, people, out)
    assert code == 1
    assert "8 rows not decided" in stderr and "results.errors.csv" in stderr
    assert "row 2, `age`: expected a whole number (got 'abc')" in stderr
    assert [r["row"] for r in read_csv(out)] == ["1", "10"]
    errors = [(r["row"], r["column"], r["value"], r["message"]) for r in read_csv(tmp_path / "results.errors.csv")]
    assert errors == [
        ("2", "age", "abc", "expected a whole number"),
        ("3", "insured", "yes", "expected true or false"),
        ("4", "income", "20000.005", "money has at most two decimals (cents)"),
        ("5", "age", "131", "above the highest allowed value 130"),
        ("6", "income", "-5.00", "below the lowest allowed value 0.00"),
        ("7", "income", "20,000", "expected money like 1987.00"),
        ("8", "income", "12345678901234567", "too large for the batch: at most 13 digits before the point"),
        ("9", "assets", "1e5", "expected money like 1987.00"),
    ]


def test_row_numbers_hold_in_a_large_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DuckDB reads a large CSV in parallel; row numbers still name the person in the file."""
    people = tmp_path / "people.csv"
    bad = {1, 77_777, 150_000}
    with people.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for k in range(1, 150_001):
            f.write(f"{k},{'x' if k in bad else 30},true,false,,{k % 50_000},0\n")
    out = tmp_path / "results.parquet"
    code, _, _ = batch(capsys, ZORG, people, out)
    assert code == 1
    assert {int(r["row"]) for r in read_csv(tmp_path / "results.errors.csv")} == bad
    with duckdb.connect() as con:
        mismatched = con.execute(f"SELECT count(*) FROM '{out}' WHERE CAST(bsn AS BIGINT) <> row").fetchone()
        count = con.execute(f"SELECT count(*) FROM '{out}'").fetchone()
    assert mismatched == (0,) and count == (150_000 - len(bad),)


def test_typed_parquet_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Registry extracts come typed; a float column is checked value by value, not rounded."""
    people = tmp_path / "people.parquet"
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT * FROM (VALUES
            (30, true, false, NULL::BOOLEAN, 20000.0::DOUBLE, 0.1::DOUBLE),
            (30, true, false, NULL, 0.1::DOUBLE + 0.2::DOUBLE, 0),
            (200::INTEGER, true, false, NULL, 20000, 0)
        ) AS t(age, insured, has_partner, partner_insured, income, assets)) TO '{people}' (FORMAT parquet)""")
    out = tmp_path / "results.csv"
    code, _, _ = batch(capsys, ZORG, people, out)
    assert code == 1
    assert [r["zorgtoeslag"] for r in read_csv(out)] == ["1573.00"]
    errors = [(r["row"], r["column"], r["message"]) for r in read_csv(tmp_path / "results.errors.csv")]
    assert errors == [("2", "income", "money has at most two decimals (cents)"),
                      ("3", "age", "above the highest allowed value 130")]


def test_a_missing_column_is_unknown_for_everyone_with_a_warning(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text("age,insured,has_partner,income\n30,true,false,20000\n", encoding="utf-8")
    code, stdout, stderr = batch(capsys, ZORG, people, tmp_path / "out.csv")
    assert code == 0
    assert "the input has no column `assets`: it is unknown for every person" in stderr
    assert "undetermined 1" in stdout


@pytest.mark.parametrize(("header", "message"), [
    ("age,insured,has_partner,incme,assets", "the input column `incme` is not an input of `zorgtoeslag`; did you mean `income`?"),
    ("age,insured,eligible,income,assets", "the input column `eligible` has the name of an output column"),
    ("age,__row,income", "names starting with two underscores are reserved"),
])
def test_mistakes_in_the_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, message: str) -> None:
    people = tmp_path / "people.csv"
    people.write_text(header + "\n" + ",".join("1" for _ in header.split(",")) + "\n", encoding="utf-8")
    code, stdout, stderr = batch(capsys, ZORG, people, tmp_path / "out.csv")
    assert code == 2  # could not run (issue 14: was 1, the code of bad rows)
    assert message in stderr
    assert "Traceback" not in stderr + stdout


@pytest.mark.parametrize(("name", "message"), [
    ("people.json", "is neither .csv nor .parquet"),
    ("absent.csv", "no such input file"),
])
def test_mistakes_in_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, message: str) -> None:
    people = tmp_path / name
    if name.endswith(".json"):
        people.write_text("[]", encoding="utf-8")
    code, _, stderr = batch(capsys, ZORG, people, tmp_path / "out.csv")
    assert code == 2 and message in stderr  # could not run (issue 14: was 1, the code of bad rows)


def test_a_module_has_no_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text("has_partner\ntrue\n", encoding="utf-8")
    code, _, stderr = batch(capsys, FIXTURES / "shared_household.rules", people, tmp_path / "out.csv")
    assert code == 2 and "is a module" in stderr  # could not run (issue 14: was 1)


def test_rows_the_rules_cannot_decide_are_errors_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A division by zero or a bracket gap: the engine decides those rows, and reports the ones it
    cannot evaluate, like a bad row."""
    people = tmp_path / "people.csv"
    people.write_text("amount,other,rate,ratio,count,flag,kind\n"
                      "10.00,5.00,0.5,2,4,true,low\n"
                      "10.00,5.00,0.5,0,4,true,low\n"  # amount / ratio: a division by zero
                      "10.00,5.00,0.5,2,11,true,mid\n"  # no row of the bracket for 11
                      "10.00,5.00,0.5,2,0,false,low\n", encoding="utf-8")  # other / count, count = 0
    out = tmp_path / "results.csv"
    code, stdout, stderr = batch(capsys, FIXTURES / "arithmetic.rules", people, out, "--json")
    assert code == 1
    summary = json.loads(stdout)
    assert summary["people"] == 4 and summary["decided"] == 1 and summary["bad_rows"] == 3
    assert summary["engine_rows"] == 3
    assert [e["message"] for e in summary["errors"]] == [
        "the rules cannot be evaluated: division by zero",
        "the rules cannot be evaluated: no row of the bracket `step` covers the value 11",
        "the rules cannot be evaluated: division by zero",
    ]
    assert [r["row"] for r in read_csv(out)] == ["1"]


def test_a_clean_run_removes_a_stale_errors_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "1,30,true,false,,20000,0\n", encoding="utf-8")
    stale = tmp_path / "out.errors.csv"
    stale.write_text("row,column,value,message\n9,age,x,old\n", encoding="utf-8")
    assert batch(capsys, ZORG, people, tmp_path / "out.csv")[0] == 0
    assert not stale.exists()


def test_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "1,30,true,false,,20000,0\n2,30,false,false,,20000,0\n", encoding="utf-8")
    code, stdout, _ = batch(capsys, ZORG, people, tmp_path / "out.parquet", "--json")
    summary = json.loads(stdout)
    assert code == 0
    assert {k: summary[k] for k in ("regulation", "date", "engine", "people", "eligible", "not_eligible")} == {
        "regulation": "zorgtoeslag", "date": "2025-01-01", "engine": "duckdb", "people": 2, "eligible": 1,
        "not_eligible": 1}
    assert summary["hash"].startswith("sha256:")


def test_a_case_failing_a_requirement_is_not_eligible_whatever_its_amount(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 16-year-old beside `requirement adult: age >= 18` and an amount whose bracket starts at
    18 is not eligible with €0.00 (never an error, and never sent to the engine); an eligible case
    in a gap of the bracket is an error row, in the errors file and not in the output."""
    rules = tmp_path / "gaps.rules"
    rules.write_text("""regulation gaps "Gaten"
input age : int 0..130 "Leeftijd"
bracket by_age : money "Bedrag naar leeftijd" on age
  2024-01-01:
    | 18..30 => €100.00
    | 40.. => €200.00
requirement adult "Volwassen": age >= 18
amount benefit : money = by_age
""", encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("bsn,age\n1,16\n2,35\n3,20\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    code, stdout, _ = batch(capsys, rules, people, out, "--json")
    assert code == 1
    summary = json.loads(stdout)
    assert (summary["people"], summary["decided"], summary["bad_rows"]) == (3, 2, 1)
    assert summary["engine_rows"] == 1  # the 35-year-old only
    assert out.read_text(encoding="utf-8").splitlines() == [
        "row,bsn,eligible,benefit,failed_requirement",
        "1,1,false,0.00,adult",
        "3,3,true,100.00,",
    ]
    errors = read_csv(tmp_path / "results.errors.csv")
    assert [(e["row"], e["column"]) for e in errors] == [("2", "")]
    assert errors[0]["message"].startswith("the rules cannot be evaluated: no row of the bracket `by_age`")
