"""Issue 14, the batch: no person is lost or misread, and a failed run leaves nothing that looks
complete. Each test is one failure of the probe: a row with the wrong number of fields, a
duplicate header, a blank line, the input as output, unwritable paths, a kill -9, a full disk,
the missing hash and date. Every test counts rows: in = out + errors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from eenvoud.cli import main

ROOT = Path(__file__).resolve().parents[2]
ZORG = ROOT / "rules" / "nl" / "rijk" / "zorgtoeslag.rules"
HEADER = "bsn,age,insured,has_partner,partner_insured,income,assets\n"


def batch(capsys: pytest.CaptureFixture[str], people: Path, out: Path, *extra: str) -> tuple[int, dict, str]:
    code = main(["batch", str(ZORG), "--input", str(people), "--output", str(out), "--date", "2025-01-01",
                 "--json", *extra])
    captured = capsys.readouterr()
    summary = json.loads(captured.out) if captured.out.strip() else {}
    return code, summary, captured.err


def _sql(query: str) -> list[tuple[Any, ...]]:
    relation = duckdb.sql(query)
    if relation is None:  # a statement, not a query
        return []
    return [tuple(r) for r in relation.fetchall()]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def assert_rows_add_up(summary: dict, out: Path) -> None:
    """in = out + errors, from the summary and from the files themselves."""
    errors_file = out.with_name(out.name.rsplit(".", 1)[0] + ".errors.csv")
    written = len(read_csv(out)) if out.suffix == ".csv" else \
        _sql(f"SELECT count(*) FROM '{out}'")[0][0]
    named = len({r["row"] for r in read_csv(errors_file)}) if errors_file.exists() else 0
    assert summary["rows_out"] == written and summary["error_rows"] == named
    assert summary["rows_in"] == summary["rows_out"] + summary["error_rows"] == summary["people"]


def no_files(folder: Path, *keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# -- a row with the wrong number of fields, blank lines, row numbers, the id column --------------


def test_the_probe_file_one_short_row_no_longer_makes_everyone_undetermined(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: DuckDB read the file as one column, everyone undetermined, bad_rows 0, exit 0."""
    people = tmp_path / "f.csv"
    people.write_text(HEADER + "100,30,true,false,,20000.00,0.00\n13,30,true\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    code, summary, _ = batch(capsys, people, out)
    assert code == 1
    assert (summary["eligible"], summary["undetermined"], summary["bad_rows"]) == (1, 0, 1)
    assert [r["bsn"] for r in read_csv(out)] == ["100"]
    errors = read_csv(tmp_path / "o.errors.csv")
    assert [(e["row"], e["line"], e["id"], e["message"]) for e in errors] == [
        ("2", "3", "13", "the row has 3 fields, the header 7")]
    assert_rows_add_up(summary, out)


def test_every_kind_of_bad_row_in_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Short and long rows, blank lines, a quoted field over two lines, bad values: each bad row
    is named by its row (its physical line less one), its line and its id; no blank line shifts
    a later row; every row in is a row out or a row in the errors file."""
    lines = [
        HEADER.strip(),                      # line 1
        "1,30,true,false,,20000,0",          # 2: good
        "",                                  # 3: blank, no row
        "2,abc,true,false,,20000,0",         # 4: not a number
        "3,30,true",                         # 5: too few fields
        "4,30,true,false,,20000,0,9",        # 6: too many fields
        '"5',                                # 7: a quoted id over two lines: good
        '5",30,true,false,,20000,0',         # 8
        "",                                  # 9: blank
        "",                                  # 10: blank
        "6,30,yes,false,,20000,0",           # 11: not true/false
        "7,131,true,false,,20000,0",         # 12: above the domain
        "8,30,true,false,,20000.005,0",      # 13: more than cents
        "9",                                 # 14: one field
        "10,30,true,false,,20000,0",         # 15: good
    ]
    people = tmp_path / "people.csv"
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    code, summary, stderr = batch(capsys, people, out)
    assert code == 1, stderr
    assert summary["rows_in"] == 10 and summary["rows_out"] == 3 and summary["error_rows"] == 7
    assert_rows_add_up(summary, out)
    assert [(r["row"], r["bsn"], r["eligible"]) for r in read_csv(out)] == [
        ("1", "1", "true"), ("6", "5\n5", "true"), ("14", "10", "true")]
    errors = [(e["row"], e["line"], e["id"], e["column"], e["message"]) for e in read_csv(tmp_path / "results.errors.csv")]
    assert errors == [
        ("3", "4", "2", "age", "expected a whole number"),
        ("4", "5", "3", "", "the row has 3 fields, the header 7"),
        ("5", "6", "4", "", "the row has 8 fields, the header 7"),
        ("10", "11", "6", "insured", "expected true or false"),
        ("11", "12", "7", "age", "above the highest allowed value 130"),
        ("12", "13", "8", "income", "money has at most two decimals (cents)"),
        ("13", "14", "9", "", "the row has 1 fields, the header 7"),
    ]


def test_a_short_row_deep_in_a_large_file_is_one_bad_row(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the same short row past the sniffer's sample stopped the whole batch (exit 1, no
    output). Now it is one bad row among 200,000, by its line, with every other row decided in
    place."""
    people = tmp_path / "people.csv"
    short, blank = 150_000, 120_000  # a short row, and a blank line before it
    with people.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for k in range(1, 200_001):
            if k == blank:
                f.write("\n")
            f.write(f"{k},30,true\n" if k == short else f"{k},30,true,false,,{k % 50_000},0\n")
    out = tmp_path / "results.parquet"
    code, summary, stderr = batch(capsys, people, out)
    assert code == 1, stderr
    assert (summary["rows_in"], summary["rows_out"], summary["error_rows"]) == (200_000, 199_999, 1)
    assert_rows_add_up(summary, out)
    [error] = read_csv(tmp_path / "results.errors.csv")
    assert (error["row"], error["line"], error["id"]) == (str(short + 1), str(short + 2), str(short))
    # the row is the physical line less one: after the blank line every row is one further on
    mismatched = _sql(f"SELECT count(*) FROM '{out}' WHERE row <> CAST(bsn AS BIGINT) + "
                      f"CASE WHEN CAST(bsn AS BIGINT) >= {blank} THEN 1 ELSE 0 END")[0]
    assert mismatched == (0,)


def test_many_gaps_keep_row_numbers_and_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """More blank lines and short rows than a CASE holds: a join numbers the rows, in order."""
    people = tmp_path / "people.csv"
    with people.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for k in range(1, 3_001):
            f.write(f"{k},30,true\n" if k % 7 == 0 else f"{k},30,true,false,,{k},0\n")
            if k % 5 == 0:
                f.write("\n")
    out = tmp_path / "results.csv"
    code, summary, _ = batch(capsys, people, out)
    assert code == 1
    assert (summary["rows_in"], summary["error_rows"]) == (3_000, 3_000 // 7)
    assert_rows_add_up(summary, out)
    rows = read_csv(out)
    assert [int(r["row"]) for r in rows] == sorted(int(r["row"]) for r in rows)
    # row = line - 1, and line of person k = 1 + k + the blank lines before it
    assert all(int(r["row"]) == int(r["bsn"]) + (int(r["bsn"]) - 1) // 5 for r in rows)
    errors = read_csv(tmp_path / "results.errors.csv")
    assert all(int(e["row"]) == int(e["id"]) + (int(e["id"]) - 1) // 5 for e in errors)


def test_the_id_column_can_be_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text("age,insured,has_partner,partner_insured,income,assets,client\n"
                      "30,true,false,,20000,0,c1\nx,true,false,,20000,0,c2\n30,true\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    code, summary, _ = batch(capsys, people, out, "--id", "client")
    assert code == 1 and summary["id_column"] == "client"
    assert [e["id"] for e in read_csv(tmp_path / "results.errors.csv")] == ["c2", ""]
    assert_rows_add_up(summary, out)
    code, _, stderr = batch(capsys, people, out, "--id", "bsn")
    assert code == 2 and "`--id bsn`: the input has no such column" in stderr


# -- the header ------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "message"), [
    ("bsn,income,income", "names `income` twice (columns 2 and 3)"),
    ("bsn,,income", "has no name for column 2"),
    ("", "has no header line"),
])
def test_a_header_that_cannot_be_read_stops_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, message: str) -> None:
    """Before: `income,income` was accepted (the first used, the second renamed `income_1`)."""
    people = tmp_path / "people.csv"
    people.write_text(header + ("\n1,2,3\n" if header else ""), encoding="utf-8")
    code, summary, stderr = batch(capsys, people, tmp_path / "out.csv")
    assert code == 2 and message in stderr and summary == {}
    assert no_files(tmp_path, "people.csv") == []


# -- paths -----------------------------------------------------------------------------------


def test_the_input_is_never_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `--input X --output X` overwrote the people with the results."""
    people = tmp_path / "people.csv"
    text = HEADER + "1,30,true,false,,20000,0\n"
    people.write_text(text, encoding="utf-8")
    code, _, stderr = batch(capsys, people, people)
    assert code == 2 and "is the input" in stderr
    code, _, stderr = batch(capsys, people, tmp_path / "." / "people.csv")
    assert code == 2 and "is the input" in stderr
    assert people.read_text(encoding="utf-8") == text


def test_unwritable_paths_are_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: an unwritable errors path or output folder was an "internal error", exit 2 (and
    the output was already written). Simulated without permissions (the tests may run as root):
    the errors path is a folder, the output folder's parent is a file."""
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "1,30,true,false,,20000,0\n2,x,true,false,,20000,0\n", encoding="utf-8")
    (tmp_path / "out.errors.csv").mkdir()
    code, _, stderr = batch(capsys, people, tmp_path / "out.csv")
    assert code == 2 and "cannot write" in stderr and "it is a folder" in stderr
    assert "internal error" not in stderr and not (tmp_path / "out.csv").exists()
    code, _, stderr = batch(capsys, people, tmp_path / "people.csv" / "sub" / "out.csv")
    assert code == 2 and "cannot create the output folder" in stderr and "internal error" not in stderr
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        code, _, stderr = batch(capsys, people, locked / "out.csv")
        assert code == 2 and "cannot write in the output folder" in stderr


# -- hash and date in the output ---------------------------------------------------------------


def test_the_output_carries_the_hash_and_the_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "1,30,true,false,,20000,0\n2,x,true,false,,20000,0\n", encoding="utf-8")
    code, summary, _ = batch(capsys, people, tmp_path / "out.parquet")
    assert code == 1
    kv = {bytes(k).decode(): bytes(v).decode() for k, v in _sql(
        f"SELECT key, value FROM parquet_kv_metadata('{tmp_path / 'out.parquet'}')")}
    assert kv == {"eenvoud.regulation": "zorgtoeslag", "eenvoud.hash": summary["hash"], "eenvoud.date": "2025-01-01"}
    assert summary["metadata_file"] is None

    code, summary, _ = batch(capsys, people, tmp_path / "out.csv")
    meta = json.loads((tmp_path / "out.meta.json").read_text(encoding="utf-8"))
    assert summary["metadata_file"] == str(tmp_path / "out.meta.json")
    assert {k: meta[k] for k in ("regulation", "hash", "date", "output", "errors_file", "rows_in", "rows_out",
                                 "error_rows")} == {
        "regulation": "zorgtoeslag", "hash": summary["hash"], "date": "2025-01-01", "output": "out.csv",
        "errors_file": "out.errors.csv", "rows_in": 2, "rows_out": 1, "error_rows": 1}


# -- a run that fails leaves nothing that looks complete ----------------------------------------


def _big_file(path: Path, rows: int, bad_every: int = 0) -> None:
    """A population CSV, written by DuckDB (fast); every `bad_every`-th age is not a number."""
    age = f"CASE WHEN i % {bad_every} = 0 THEN 'x' ELSE '30' END" if bad_every else "'30'"
    _sql(f"COPY (SELECT i AS bsn, {age} AS age, 'true' AS insured, 'false' AS has_partner, "
               f"NULL AS partner_insured, (i % 50000)::VARCHAR AS income, '0' AS assets FROM range(1, {rows + 1}) "
               f"AS t(i)) TO '{path}' (FORMAT csv, HEADER true)")


@pytest.mark.parametrize(("bad_every", "wait_for"), [(0, "results.csv"), (2, "results.errors.csv")])
def test_kill_9_leaves_no_output_that_looks_complete(tmp_path: Path, bad_every: int, wait_for: str) -> None:
    """Before: a run killed after 5 s left a partial CSV at the final name that parsed cleanly; a
    kill during the errors pass left a complete output beside a 0-byte errors file. The batch
    is killed once its temporary output (or errors file) appears."""
    people = tmp_path / "people.csv"
    _big_file(people, 3_000_000, bad_every)
    out = tmp_path / "results.csv"
    out.write_text("an earlier run's output\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from eenvoud.cli import main; sys.exit(main())", "batch", str(ZORG), "--input", str(people),
                             "--output", str(out), "--date", "2025-01-01", "--json"],
                            stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr").open("w"))
    temp = tmp_path / f".{wait_for}.{proc.pid}.tmp"
    deadline = time.monotonic() + 300
    while not temp.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert temp.exists(), f"no temporary file: exit {proc.poll()}, {(tmp_path / 'stderr').read_text()[-500:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    names = no_files(tmp_path, "people.csv", "results.csv", "stderr")
    assert "results.errors.csv" not in names and "results.meta.json" not in names
    assert all(n.startswith(".") and n.endswith(".tmp") for n in names)  # only the temporary files
    assert out.read_text(encoding="utf-8") == "an earlier run's output\n"  # untouched


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB file system (tmpfs, mounted as root), removed afterwards; skipped where it
    cannot be mounted (the /dev/full test below runs everywhere)."""
    where = tmp_path / "small"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_full_disk_leaves_no_file_that_looks_complete(small_disk: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a full disk during the errors file left it cut at row 20,430 of 40,000, beside a
    complete output, exit 2. Now: exit 2 with the reason, and neither file."""
    people = tmp_path / "people.csv"
    _big_file(people, 40_000, bad_every=1)  # every row bad: a small output, a large errors file
    out = small_disk / "results.csv"
    code, _, stderr = batch(capsys, people, out)
    assert code == 2 and "No space left on device" in stderr and "internal error" not in stderr
    assert no_files(small_disk) == []


def test_a_write_error_in_the_errors_file_publishes_nothing(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The same without a mount: the temporary errors file is /dev/full (every write: ENOSPC)."""
    people = tmp_path / "people.csv"
    _big_file(people, 10_000, bad_every=3)
    (tmp_path / f".results.errors.csv.{os.getpid()}.tmp").symlink_to("/dev/full")
    code, _, stderr = batch(capsys, people, tmp_path / "results.csv")
    assert code == 2 and "No space left on device" in stderr
    assert no_files(tmp_path, "people.csv") == []


def _spark_missing() -> str | None:
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    return None if shutil.which("java") else "no Java on this machine"


@pytest.mark.skipif(_spark_missing() is not None, reason=_spark_missing() or "")
def test_spark_reports_a_row_with_the_wrong_number_of_fields(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """On Spark too a short or long row is a bad row (by its record number and id, without a
    line), every other row decided; the output folder is renamed only when complete."""
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "100,30,true,false,,20000.00,0.00\n13,30,true\n14,30,true,false,,1,0,9\n"
                      "15,x,true,false,,20000,0\n16,30,true,false,,20000,0\n", encoding="utf-8")
    out = tmp_path / "results.parquet"
    code, summary, stderr = batch(capsys, people, out, "--engine", "spark")
    assert code == 1, stderr
    assert (summary["rows_in"], summary["rows_out"], summary["error_rows"]) == (5, 2, 3)
    errors = [(e["row"], e["line"], e["id"], e["message"]) for e in read_csv(tmp_path / "results.errors.csv")]
    assert errors == [("2", "", "13", "the row has 3 fields, the header 7"),
                      ("3", "", "14", "the row has 8 fields, the header 7"),
                      ("4", "", "15", "expected a whole number")]
    assert sorted(r[0] for r in _sql(f"SELECT bsn FROM '{out}/*.parquet'")) == ["100", "16"]
    assert json.loads((tmp_path / "results.meta.json").read_text(encoding="utf-8"))["hash"] == summary["hash"]
    assert no_files(tmp_path, "people.csv", "results.parquet", "results.errors.csv", "results.meta.json") == []
