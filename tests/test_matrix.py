"""The ask-once matrix (issue 13, part 2): every fact of the shipped library with the regulations and
agencies that need it, its registry and the documents that ask it; the facts of several agencies
first; JSON, Markdown, CSV and an offline HTML page."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from eenvoud.analysis import matrix as mx
from eenvoud.cli import main
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@pytest.fixture(scope="module")
def library() -> Library:
    lib = Library.load([RULES])
    lib.raise_for_errors()
    return lib


@pytest.fixture(scope="module")
def matrix(library: Library) -> mx.Matrix:
    return mx.build(list(library.regulations.values()), root=ROOT)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_input_of_the_library_is_a_fact(library: Library, matrix: mx.Matrix) -> None:
    inputs = {i.name for reg in library.regulations.values() for i in reg.inputs}
    assert {f.name for f in matrix.facts} == inputs
    for f in matrix.facts:
        want = sorted(r.name for r in library.regulations.values() if f.name in r.input_map)
        assert sorted(f.regulations) == want, f.name
        assert sorted(f.agencies) == sorted({library.regulations[r].agency or r for r in want}), f.name


def test_facts_of_several_agencies_come_first(matrix: mx.Matrix) -> None:
    counts = [len(f.agencies) for f in matrix.facts]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > 1
    shared = {f.name for f in matrix.facts if len(f.agencies) > 1}
    # the BRP birth date: toeslagen, SVB, Utrecht and BghU all need it
    assert {"birth_date", "lives_with_partner", "partner_aow_age_reached"} <= shared


def test_registry_documents_and_derivation(matrix: mx.Matrix) -> None:
    by = {f.name: f for f in matrix.facts}
    assert by["birth_date"].registry == "BRP"
    assert by["birth_date"].declared_in == "rules/nl/common/person.rules"
    assert by["income"].registry == "BRI"
    # for which period the registry holds it, and whether it is a judgement (registries in time)
    assert (by["income"].registry_period, by["income"].judged) == ("for year", True)
    assert by["income"].to_json()["registry_period"] == "for year"
    assert by["assets"].registry is None
    assert {d["regulation"] for d in by["assets"].documents} >= {"zorgtoeslag", "huurtoeslag"}
    # the zorgtoeslag's `age` is the BRP birth date's age (module person_age)
    assert by["age"].derived_from == ["birth_date"]
    assert by["age"].to_json()["ask_citizen"] is False
    assert by["rent"].to_json()["ask_citizen"] is True


def test_json_shape_of_the_issue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "matrix", RULES, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["facts"]
    for f in data["facts"]:
        assert {"name", "label", "regulations", "agencies", "registry", "documents"} <= set(f)
    assert data["facts"][0]["name"] == "birth_date"


def test_markdown_and_csv(capsys: pytest.CaptureFixture[str], matrix: mx.Matrix) -> None:
    code, out, _ = run(capsys, "matrix", RULES)
    assert code == 0
    assert out.startswith("# The ask-once matrix")
    assert out.count("\n| `") == len(matrix.facts)
    code, out, _ = run(capsys, "matrix", RULES, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == [f.name for f in matrix.facts]
    assert next(r for r in rows if r["name"] == "income")["registry"] == "BRI"


def test_html_is_offline_with_an_inline_heat_map(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  matrix: mx.Matrix) -> None:
    out = tmp_path / "matrix.html"
    code, _, err = run(capsys, "matrix", RULES, "--out", out)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and page.count("<rect") >= len(matrix.facts) * len(matrix.regulations)
    # nothing fetched: no script, no external link, image or style sheet
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "@import" not in page and "url(" not in page


def test_out_picks_the_format_from_the_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix, check in ((".json", lambda t: json.loads(t)["facts"]), (".csv", lambda t: t.startswith("name,")),
                          (".md", lambda t: t.startswith("# "))):
        path = tmp_path / f"m{suffix}"
        assert run(capsys, "matrix", RULES, "--out", path)[0] == 0
        assert check(path.read_text(encoding="utf-8")), suffix


def test_a_library_with_errors_has_no_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.rules").write_text('regulation a\n\ninput x : int "X"\n\nrequirement r : x >= 1\n', encoding="utf-8")
    (tmp_path / "b.rules").write_text('regulation b\n\ninput x : bool "X"\n\nrequirement r : x\n', encoding="utf-8")
    code, out, err = run(capsys, "matrix", tmp_path)
    assert code == 1 and out == ""
    assert "E0116" in err
