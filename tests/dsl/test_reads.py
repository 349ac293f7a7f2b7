"""Errors only about what the rules read, warnings about what nothing reads (issue 16): a test
date before an imported parameter's first value is an error only when the regulation reads that
parameter, and `eenvoud check` warns (W0001, exit 0) about inputs, definitions, parameters and
brackets that no requirement, amount, document, property or test reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from eenvoud.cli import main
from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import Loader
from eenvoud.dsl.reads import unused
from eenvoud.library import Library

MODULE = """module shared "Gedeeld"

input income : money "Inkomen"

parameter used_limit : money "Grens die de regeling leest"
  2024-01-01: €1_000.00

parameter other_limit : money "Grens die de regeling niet leest"
  2025-01-01: €2_000.00

parameter third_limit : money "Nog een grens"
  2025-01-01: €3_000.00

define high_income = income > other_limit + third_limit
"""

REGULATION = """regulation toy "Speelgoed"

import "shared.rules"

input age : int 0..130 "Leeftijd"
input unused_fact : bool "Een vraag die niets leest"

parameter forgotten : money "Een vergeten grens"
  2024-01-01: €5.00

define helper = age + 1

requirement low_income "Laag inkomen": income <= used_limit

test "in 2024" on 2024-06-01
  given income = €500
  expect eligible
"""


def _write(tmp_path: Path, regulation: str = REGULATION) -> Path:
    (tmp_path / "shared.rules").write_text(MODULE, encoding="utf-8")
    path = tmp_path / "toy.rules"
    path.write_text(regulation, encoding="utf-8")
    return path


def test_a_test_date_is_checked_only_against_what_the_regulation_reads(tmp_path: Path) -> None:
    # other_limit and third_limit have no value in 2024, but the regulation never reads them
    Loader().load(_write(tmp_path))


def test_a_parameter_the_regulation_reads_still_needs_a_value(tmp_path: Path) -> None:
    path = _write(tmp_path, REGULATION.replace("income <= used_limit", "income <= other_limit"))
    with pytest.raises(RuleError) as exc:
        Loader().load(path)
    assert [(d.code, d.message.split(" has")[0]) for d in exc.value.diagnostics] == [
        ("E0402", "the parameter `other_limit`")]


def test_unused_declarations_are_warnings(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lib = Library.load([tmp_path])
    assert lib.diagnostics == []
    warned = sorted((d.span.file.name.rsplit("/", 1)[-1], d.message) for d in unused(list(lib.files.values()))
                    if d.span is not None)
    assert warned == [
        ("shared.rules", "the definition `high_income` is not read by anything"),
        ("shared.rules", "the parameter `other_limit` is not read by anything"),
        ("shared.rules", "the parameter `third_limit` is not read by anything"),
        ("toy.rules", "the definition `helper` is not read by anything"),
        ("toy.rules", "the input `age` is not read by anything"),
        ("toy.rules", "the input `unused_fact` is not read by anything"),
        ("toy.rules", "the parameter `forgotten` is not read by anything"),
    ]
    assert all(d.code == "W0001" and d.severity == "warning" for d in unused(list(lib.files.values())))
    # a module checked without a file that imports it: its readers are elsewhere, no warning
    alone = Library.load([tmp_path / "shared.rules"])
    assert unused(list(alone.files.values())) == []
    assert path.exists()


def test_check_warns_and_still_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path)
    assert main(["check", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"{path}:6:7: warning[W0001]: the input `unused_fact` is not read by anything" in captured.err
    assert captured.out.strip().endswith("no errors, 4 warnings")
    assert main(["check", "--json", str(path)]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == [] and {w["code"] for w in data["warnings"]} == {"W0001"}


def test_the_shipped_library_has_no_error_from_unread_parameters() -> None:
    root = Path(__file__).resolve().parents[2] / "rules"
    lib = Library.load([root])
    assert lib.diagnostics == []
    # what the shipped library does not read is a warning, never an error
    assert all(d.severity == "warning" for d in unused(list(lib.files.values())))
