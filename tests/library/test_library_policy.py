"""The library's policy as a command: `eenvoud check --library` holds rule files to what
tests/library asks of the shipped library (eenvoud/dsl/policy.py), as errors with P codes at
file:line:col; the shipped library keeps it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eenvoud.cli import main
from eenvoud.dsl.policy import CODES, MIN_TESTS, library_policy
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"

TEST = '''test "{n}" on 2025-01-01{source}
  given age = {age}
  expect {outcome}
'''


def regulation(*, sources: bool, tests: int) -> str:
    """A valid regulation: with every source, article, agency, registry and document the policy asks
    for (sources=True), or with none of them; with `tests` tests."""
    src = (lambda text: f' source "{text}"') if sources else (lambda text: "")
    text = 'regulation toy "Toy"\n' + (f'  agency "Gemeente"\n{src("https://example.org/wet")[1:]}\n' if sources else "")
    text += f'\ninput age : int 0..130 "Leeftijd"{" from BRP" if sources else ""}\n'
    text += f'\nparameter limit : money "Grens"\n  2025-01-01: €10.00{src("Stcrt. 2024, 1")}\n'
    text += f'\nbracket factor : decimal "Factor" on age\n  2025-01-01:{src("Tabel 1")}\n  | ..18 => 0.5\n  | 18.. => 1\n'
    text += f'\nrequirement adult "18 jaar of ouder"{" article " + chr(34) + "Art. 1" + chr(34) if sources else ""}: age >= 18\n'
    text += f'\namount paid : money "Betaald"{" article " + chr(34) + "Art. 2" + chr(34) if sources else ""} = round(limit * factor, 2)\n'
    if sources:
        text += '\ndocument id_card "Identiteitsbewijs"\n  provides age\n'
    for i in range(tests):
        age = 18 + i if i % 2 == 0 else 17 - i
        outcome = "eligible" if age >= 18 else "not eligible"
        text += "\n" + TEST.format(n=f"test {i}", source=src(f"Computed from art. 1, case {i}"), age=age, outcome=outcome)
    return text


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "toy.rules").write_text(text, encoding="utf-8")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_shipped_library_keeps_its_policy(capsys: pytest.CaptureFixture[str]) -> None:
    lib = Library.load([RULES])
    assert lib.diagnostics == []
    assert library_policy(lib.files.values()) == []
    code, out, err = run(capsys, "check", "--library", RULES)
    assert code == 0, err
    assert "no errors" in out


def test_a_regulation_that_keeps_the_policy_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write(tmp_path, regulation(sources=True, tests=MIN_TESTS))
    lib = Library.load([folder])
    assert lib.diagnostics == []
    assert library_policy(lib.files.values()) == []
    code, _, err = run(capsys, "check", "--library", folder)
    assert code == 0, err


def test_a_regulation_without_sources_and_with_two_tests_fails(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = write(tmp_path, regulation(sources=False, tests=2))
    # a valid file: `check` alone passes it, only the library's policy refuses it
    code, _, err = run(capsys, "check", folder)
    assert code == 0, err
    code, out, err = run(capsys, "check", "--library", folder)
    assert code == 1 and out == ""
    path = folder / "toy.rules"
    assert f"{path}:1:12: error[P0001]: the regulation `toy` has 2 tests; the library asks for at least 6" in err
    assert f"{path}:1:12: error[P0010]: the regulation `toy` names no source" in err
    assert f"{path}:1:12: error[P0009]: the regulation `toy` names no agency" in err
    assert f"{path}:1:12: error[P0007]: the regulation `toy` reads no registry" in err
    assert f"{path}:1:12: error[P0008]: the regulation `toy` lists no document" in err
    assert f"{path}:6:3: error[P0003]: the value of the parameter `limit` from 2025-01-01 cites no source" in err
    assert f"{path}:9:3: error[P0004]: the table of the bracket `factor` from 2025-01-01 cites no source" in err
    assert f"{path}:13:13: error[P0005]: the requirement `adult` names no article" in err
    assert f"{path}:15:8: error[P0006]: the amount `paid` names no article" in err
    assert f'{path}:17:6: error[P0002]: the test "test 0" cites no source' in err
    assert "  = help: add `source \"...\"` after its date" in err
    assert err.rstrip().endswith("11 errors in 1 file")


def test_check_library_json_gives_the_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write(tmp_path, regulation(sources=False, tests=2))
    code, out, _ = run(capsys, "check", "--library", "--json", folder)
    assert code == 1
    codes = sorted(e["code"] for e in json.loads(out)["errors"])
    assert codes == ["P0001", "P0002", "P0002", "P0003", "P0004", "P0005", "P0006", "P0007", "P0008", "P0009",
                     "P0010"]
    assert set(codes) == set(CODES)


@pytest.mark.parametrize("tests", [0, 1, MIN_TESTS - 1])
def test_fewer_than_six_tests_is_p0001(tmp_path: Path, tests: int) -> None:
    lib = Library.load([write(tmp_path, regulation(sources=True, tests=tests))])
    assert [d.code for d in library_policy(lib.files.values())] == ["P0001"]


def test_a_module_needs_sources_but_no_tests_documents_or_agency(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "shared.rules").write_text(
        'module shared "Gedeeld"\n\nparameter limit : money "Grens"\n  2025-01-01: €10.00\n', encoding="utf-8")
    lib = Library.load([folder])
    assert lib.diagnostics == []
    assert [d.code for d in library_policy(lib.files.values())] == ["P0010", "P0003"]


def test_every_policy_code_is_documented_and_raised() -> None:
    doc = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `(P\d{4})` \|", doc, re.M)) == set(CODES)
    source = (ROOT / "eenvoud" / "dsl" / "policy.py").read_text(encoding="utf-8")
    raised = set(re.findall(r'Diagnostic\(\s*"(P\d{4})"', source))
    assert raised == set(CODES)
