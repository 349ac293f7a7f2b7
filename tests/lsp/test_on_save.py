"""On save: the file's tests run and the analyzer (Z3) looks at it, over real JSON-RPC."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.lsp.client import ANALYSIS_TIMEOUT, position

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests/analysis/cases"

TESTED = """regulation example "Voorbeeld"

input income : money €0.. "Inkomen"

requirement low "Laag inkomen": income <= €20_000

amount benefit : money "Toeslag" = €1_000 - round(income * 2%, 2)

test "a low income" on 2025-01-01
  given income = €10_000
  expect eligible, benefit = €800

test "a wrong expectation" on 2025-01-01
  given income = €15_000
  expect eligible, benefit = €750
"""


def _codes(diagnostics: list[dict[str, Any]]) -> set[str]:
    return {str(d.get("code")) for d in diagnostics}


def test_a_planted_redundant_requirement_is_reported_on_save(start: Any, tmp_path: Path) -> None:
    path = tmp_path / "redundant_a.rules"
    shutil.copy(CASES / "redundant_a.rules", path)
    text = path.read_text(encoding="utf-8")
    client = start(tmp_path)
    uri = client.open(path)
    assert client.diagnostics(uri) == []  # it checks clean: the finding is the analyzer's, on save
    client.save(uri)
    found = client.diagnostics(uri, lambda ds: "redundant_requirement" in _codes(ds), timeout=ANALYSIS_TIMEOUT)
    [redundant] = [d for d in found if d["code"] == "redundant_requirement"]
    assert redundant["severity"] == 3  # Information: something to strike, not a mistake
    assert redundant["source"] == "eenvoud analyze"
    assert redundant["range"]["start"] == position(text, "requirement adult ", delta=len("requirement "))
    assert redundant["message"].startswith("Redundant requirement")
    assert "adult_21" in redundant["message"]  # the requirement that implies it
    assert not [d for d in found if d["severity"] == 1]


def test_the_clean_twin_gets_no_finding_on_save(start: Any, tmp_path: Path) -> None:
    path = tmp_path / "redundant_a_clean.rules"
    shutil.copy(CASES / "redundant_a_clean.rules", path)
    client = start(tmp_path, capabilities={"workspace": {"codeLens": {"refreshSupport": True}}})
    uri = client.open(path)
    assert client.diagnostics(uri) == []
    client.save(uri)
    # tests first, then the analyzer: the second publication after the save is the analyzer's
    client.diagnostics(uri, timeout=ANALYSIS_TIMEOUT)
    assert client.diagnostics(uri, timeout=ANALYSIS_TIMEOUT) == []


def test_a_failing_test_is_an_error_at_the_test_and_every_test_gets_a_lens(start: Any, tmp_path: Path) -> None:
    path = tmp_path / "example.rules"
    path.write_text(TESTED, encoding="utf-8")
    client = start(tmp_path)
    uri = client.open(path)
    assert client.diagnostics(uri) == []  # a failing test is not a checker's error: it shows on save
    client.save(uri)
    found = client.diagnostics(uri, lambda ds: "test" in _codes(ds), timeout=ANALYSIS_TIMEOUT)
    [failed] = [d for d in found if d["code"] == "test"]
    assert failed["severity"] == 1
    assert failed["range"]["start"] == position(TESTED, '"a wrong expectation"')
    assert 'the test "a wrong expectation" fails' in failed["message"]
    assert "expected benefit = €750.00, got €700.00" in failed["message"]
    lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri}})
    titles = {lens["range"]["start"]["line"]: lens["command"]["title"] for lens in lenses}
    assert titles == {position(TESTED, '"a low income"')["line"]: "✓ passed",
                      position(TESTED, '"a wrong expectation"')["line"]: "✗ failed"}
    # fixed and saved again: the failure is gone
    fixed = TESTED.replace("benefit = €750", "benefit = €700")
    client.change(uri, fixed)
    client.save(uri)
    client.diagnostics(uri, lambda ds: "test" not in _codes(ds), timeout=ANALYSIS_TIMEOUT)
