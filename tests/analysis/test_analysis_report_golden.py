"""The analyst's report, golden: a small regulation with a redundant requirement, an irrelevant
question, a document whose fact a registry holds and a population, rendered in Markdown (Dutch and
English) and compared with the reviewed text in tests/analysis/golden/. Change the report on
purpose with `EENVOUD_UPDATE_GOLDEN=1 pytest tests/analysis/test_analysis_report_golden.py`, then
read the diff. The run's figures (queries, seconds) are masked."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from eenvoud.cli import main

GOLDEN = Path(__file__).parent / "golden"

RULES = """regulation toeslag_g "Toeslag voor de gouden test"
input age : int 0..130 "Leeftijd" from BRP
input income : money €0.. "Inkomen"
input shoe_size : int 15..55 "Schoenmaat"

requirement adult "18 jaar of ouder" article "Art. 1": age >= 18
requirement income_test "Inkomen" article "Art. 2": income <= €30_000
# Art. 3 stelt de leeftijdsgrens voor deze toeslag op 21 jaar.
requirement adult_21 "21 jaar of ouder" article "Art. 3": age >= 21

document birth_certificate "Geboorteakte"
  provides age
  required when age < 30
"""

PEOPLE = "age,income,shoe_size\n" + "\n".join(
    f"{age},{income}.00,{40 + k % 5}" for k, (age, income) in enumerate(
        [(17, 10_000), (19, 12_000), (22, 20_000), (25, 40_000), (28, 15_000), (35, 25_000), (41, 31_000),
         (55, 5_000), (67, 18_000), (80, 9_000)])) + "\n"


def _masked(text: str) -> str:
    return re.sub(r"\d+ (vragen aan de solver|solver queries) in [\d.]+ s", r"N \1 in S s", text)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_report_reads_as_reviewed(tmp_path: Path, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "toeslag_g.rules"
    rules.write_text(RULES, encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    out = tmp_path / "report.md"
    cwd = Path.cwd()
    os.chdir(tmp_path)  # the spans name the rule file relative to here
    try:
        assert main(["analyze", "toeslag_g.rules", "--date", "2025-01-01", "--timeout", "1", "--lang", lang,
                     "--population", "people.csv", "--out", str(out)]) == 0
    finally:
        os.chdir(cwd)
    got = _masked(out.read_text(encoding="utf-8"))
    expected = GOLDEN / f"report_{lang}.md"
    if os.environ.get("EENVOUD_UPDATE_GOLDEN") == "1":
        expected.write_text(got, encoding="utf-8")
    assert expected.exists(), f"no {expected.name}: write it with EENVOUD_UPDATE_GOLDEN=1 and read it"
    assert got == expected.read_text(encoding="utf-8")
