"""The `eenvoud` command as a user meets it: what it prints, and its exit codes. A user's mistake
ends with a clear message and exit code 1, never with a Python traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eenvoud.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "dsl" / "cases"
SPEC = CASES / "good" / "spec_example.rules"
ALL = CASES / "good" / "all_constructs.rules"
BAD = sorted((CASES / "bad").glob("*.rules"))
ZORGTOESLAG = ROOT / "rules" / "nl" / "rijk" / "zorgtoeslag.rules"

# `eval --json` as issue 2 fixes it, with the questions (which registry holds each missing fact)
# and the documents the decision asks for
EVAL_KEYS = {"regulation", "date", "hash", "eligible", "amounts", "missing", "reasons", "explanation",
             "questions", "documents", "error", "decided_by"}
REASON_KEYS = {"requirement", "status", "label", "article", "values"}


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def facts_file(tmp_path: Path, facts: object | str) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(facts if isinstance(facts, str) else json.dumps(facts), encoding="utf-8")
    return path


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text
        assert "internal error" not in text


SINGLE = {"age": 30, "insured": True, "has_partner": False, "income": "20000.00", "assets": "0.00"}


# -- check ------------------------------------------------------------------------------------

def test_check_accepts_good_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", CASES / "good")
    assert code == 0
    # inputs that nothing reads are warnings, not errors: the exit code stays 0
    assert out.strip() == "checked 5 files: 4 regulations, 1 module, no errors, 2 warnings"
    assert "all_constructs.rules:13:7: warning[W0001]: the input `hours` is not read by anything" in err
    assert "partner.rules:6:7: warning[W0001]: the input `partner_income` is not read by anything" in err


def test_check_reports_every_error_with_position_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", CASES / "bad" / "multiple_errors.rules")
    assert code == 1
    assert "multiple_errors.rules:6:21: error[E0100]: unknown name `ag`" in err
    assert "  = help: did you mean `age`?" in err
    assert "6 | requirement adult : ag >= 18" in err
    assert err.rstrip().endswith("4 errors in 1 file")
    assert out == ""


def test_check_json_lists_the_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--json", CASES / "bad" / "unknown_name.rules")
    assert code == 1
    data = json.loads(out)
    assert data["files"] == 1
    (error,) = data["errors"]
    assert error["code"] == "E0100" and error["line"] == 5 and error["column"] == 26
    assert error["help"] == "did you mean `income`?"
    assert error["file"].endswith("unknown_name.rules")


def test_check_of_a_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "no/such/file.rules")
    assert code == 1
    assert "no such file or folder: no/such/file.rules" in err


# the broken files (without a syntax error) that are already in canonical form: `fmt --check` passes them
CANONICAL_BAD = {
    "cycle_self", "domain_empty_range", "duplicate_declaration", "enum_duplicate_option", "enum_option_hides_name",
    "function_without_call", "import_missing", "import_redeclared", "module_expects_eligible",
    "parameter_dates_out_of_order", "parameter_outside_domain", "parameter_wrong_value_type", "reserved_keyword",
    "type_date_arithmetic", "type_division_not_rounded", "type_function_arity", "type_min_mixed_kinds",
    "type_money_plus_bool", "type_money_plus_number", "type_money_times_money", "type_round_of_bool",
    "type_round_places_not_literal",
}


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_no_traceback_for_any_broken_file(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          path: Path) -> None:
    for argv in (["check", path], ["test", path],
                 ["eval", path, "--facts", facts_file(tmp_path, {}), "--date", "2025-01-01"]):
        code, out, err = run(capsys, *argv)
        assert code == 1, argv
        assert_no_traceback(out, err)
        assert "error" in err
    # fmt only parses: a file with a syntax error does not format (exit 1); one with a type error
    # does, and `--check` exits 1 only when it is not in canonical form
    code, out, err = run(capsys, "fmt", "--check", path)
    assert_no_traceback(out, err)
    # a limit (E0005-E0008) is the parser's too: such a file does not format either
    if path.stem.startswith("syntax_") or path.stem.endswith("_too_deep"):
        assert (code, out) == (1, "")
        assert "error[E000" in err
    elif path.stem in CANONICAL_BAD:
        assert (code, out, err) == (0, "", "")
    else:
        assert (code, out, err) == (1, f"would reformat {path}\n", "")


def test_a_file_that_is_not_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "latin1.rules"
    path.write_bytes('regulation r "Caf\xe9"\n'.encode("latin-1"))
    for argv in (["check", path], ["fmt", path], ["test", path]):
        code, out, err = run(capsys, *argv)
        assert code == 1
        assert "not valid UTF-8" in err
        assert f"{path}:1:18:" in err  # path:line:col of the first bad byte
        assert_no_traceback(out, err)


# -- eval -------------------------------------------------------------------------------------

def test_eval_json_follows_the_contract(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "eval", SPEC, "--facts", facts_file(tmp_path, SINGLE), "--date", "2025-01-01",
                       "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == EVAL_KEYS
    assert data["regulation"] == "zorgtoeslag" and data["date"] == "2025-01-01"
    assert data["hash"].startswith("sha256:") and len(data["hash"]) == len("sha256:") + 64
    assert data["eligible"] is True
    assert data["amounts"] == {"zorgtoeslag": "1012.00"}
    assert data["missing"] == []
    assert [r["requirement"] for r in data["reasons"]] == ["adult", "insured_nl", "income_test", "asset_test"]
    for r in data["reasons"]:
        assert REASON_KEYS <= set(r) <= REASON_KEYS | {"exemption", "missing"}
        assert r["status"] == "holds"
    assert data["reasons"][0] == {"requirement": "adult", "status": "holds", "label": "Art. 1: 18 jaar of ouder",
                                  "article": None, "values": {"age": 30}}
    assert data["reasons"][2]["values"] == {"income": "20000.00", "income_limit": "38520.00"}
    assert all(isinstance(line, str) for line in data["explanation"]) and data["explanation"]


def test_eval_json_when_not_eligible_and_when_undetermined(capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    code, out, _ = run(capsys, "eval", SPEC, "--facts", facts_file(tmp_path, {**SINGLE, "age": 17}),
                       "--date", "2025-01-01", "--json")
    data = json.loads(out)
    assert code == 0  # the evaluation ran, whatever its outcome
    assert data["eligible"] is False and data["amounts"] == {"zorgtoeslag": "0.00"}
    assert data["reasons"][0]["status"] == "fails"

    code, out, _ = run(capsys, "eval", SPEC, "--facts", facts_file(tmp_path, {"age": 30, "insured": True}),
                       "--date", "2025-01-01", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["eligible"] is None and data["amounts"] == {"zorgtoeslag": None}
    # settled by the solver: each question can still change something, the one that can change
    # the most first (a registry first among equals)
    assert data["decided_by"] == "solver"
    assert sorted(data["missing"]) == ["assets", "has_partner", "income"]
    assert {q["input"]: q["registry"] for q in data["questions"]} == {
        "has_partner": "BRP", "income": "BRI", "assets": None}
    assert all(q["can_change"] for q in data["questions"])
    sizes = [len(q["can_change"]) for q in data["questions"]]
    assert sizes == sorted(sizes, reverse=True)


def test_eval_money_as_json_numbers_is_exact(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    facts = facts_file(tmp_path, '{"age": 30, "insured": true, "has_partner": false,'
                                 ' "income": 20000.10, "assets": 0.1}')
    code, out, _ = run(capsys, "eval", SPEC, "--facts", facts, "--date", "2025-01-01", "--json")
    assert code == 0
    assert json.loads(out)["reasons"][2]["values"]["income"] == "20000.10"


def test_eval_human_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "eval", SPEC, "--facts", facts_file(tmp_path, {"age": 30}), "--date", "2025-01-01")
    assert code == 0
    assert "UNDETERMINED" in out
    assert "insured" in out and "ZVW" in out
    assert "sha256:" in out


def test_eval_reads_facts_from_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(SINGLE)))
    code, out, _ = run(capsys, "eval", SPEC, "--facts", "-", "--date", "2025-01-01", "--json")
    assert code == 0 and json.loads(out)["eligible"] is True


@pytest.mark.parametrize(("facts", "says"), [
    ({"age": "old"}, 'age: expected a whole number, got "old"'),
    ({"agee": 30}, "agee: `zorgtoeslag` has no input `agee`; did you mean `age`?"),
    ({"income": "1.001"}, "income: money has at most two decimals (cents)"),
    ({"age": 200}, "age: 200 is above the highest allowed value 130"),
    ('{"age": ', "facts: not valid JSON"),
    ("[]", "facts: must be a JSON object"),
])
def test_eval_with_bad_facts_names_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             facts: object, says: str) -> None:
    code, out, err = run(capsys, "eval", SPEC, "--facts", facts_file(tmp_path, facts), "--date", "2025-01-01")
    assert code == 1
    assert "the facts are not valid" in err
    assert says in err
    assert_no_traceback(out, err)


def test_eval_usage_mistakes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "eval", SPEC, "--facts", tmp_path / "none.json")
    assert code == 1 and "cannot read the facts file" in err
    code, _, err = run(capsys, "eval", CASES / "good" / "shared" / "partner.rules", "--facts",
                       facts_file(tmp_path, {}))
    assert code == 1 and "is a module, not a regulation" in err
    with pytest.raises(SystemExit) as exc:
        main(["eval", str(SPEC), "--facts", str(facts_file(tmp_path, {})), "--date", "2025-02-30"])
    assert exc.value.code == 2
    assert "is not a date like 2025-01-01" in capsys.readouterr().err


def test_eval_on_a_date_without_parameter_values(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "eval", SPEC, "--facts", facts_file(tmp_path, SINGLE), "--date", "2023-06-01")
    assert code == 1
    assert "has no value on 2023-06-01" in err
    assert_no_traceback(out, err)


def test_eval_of_the_shipped_zorgtoeslag(capsys: pytest.CaptureFixture[str]) -> None:
    facts = ROOT / "examples" / "zorgtoeslag" / "single-low-income.json"
    code, out, _ = run(capsys, "eval", ZORGTOESLAG, "--facts", facts, "--date", "2025-01-01", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == EVAL_KEYS
    assert data["regulation"] == "zorgtoeslag" and data["eligible"] is True
    assert all(isinstance(v, str) and v.count(".") == 1 and len(v.split(".")[1]) == 2
               for v in data["amounts"].values())


# -- test -------------------------------------------------------------------------------------

def test_test_passes_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", CASES / "good")
    assert code == 0
    # tests and properties apart, then the closing line CI reads: both together
    assert out.strip().splitlines()[-2:] == ["15 passed, 0 failed; 4 properties proved, 0 violated",
                                             "19 passed, 0 failed"]


def test_test_failure_shows_expected_and_got(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "spec.rules"
    path.write_text(SPEC.read_text(encoding="utf-8").replace("zorgtoeslag = €1_012.00", "zorgtoeslag = €1_013.00"),
                    encoding="utf-8")
    code, out, _ = run(capsys, "test", path)
    assert code == 1
    assert 'FAIL' in out and '"single adult, low income"' in out
    assert "expected zorgtoeslag = €1_013.00, got €1_012.00" in out
    # the values that led there: the parameters the amount reads, and the amount itself
    assert ("       values on the path:\n"
            "         standard_premium = €2_112.00 (parameter)\n"
            "         norm_premium = €1_100.00 (parameter)\n"
            "         zorgtoeslag = €1_012.00\n") in out
    assert out.strip().splitlines()[-2:] == ["3 passed, 1 failed; 1 property proved, 0 violated", "4 passed, 1 failed"]

    code, out, _ = run(capsys, "test", "--json", path)
    data = json.loads(out)
    assert code == 1 and data["passed"] == 3 and data["failed"] == 1
    assert (data["properties_proved"], data["properties_violated"], data["properties_unknown"]) == (1, 0, 0)
    (failed,) = [r for r in data["results"] if not r["passed"]]
    assert failed["failures"] == ["expected zorgtoeslag = €1_013.00, got €1_012.00"]
    assert failed["path"][-1] == "zorgtoeslag = €1_012.00"


def test_test_failure_on_eligibility_says_why(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "spec.rules"
    path.write_text(SPEC.read_text(encoding="utf-8").replace(
        "assets = €200_000\n  expect not eligible", "assets = €200_000\n  expect eligible"), encoding="utf-8")
    code, out, _ = run(capsys, "test", path)
    assert code == 1
    assert "expected eligible, got not eligible (fails: asset_test)" in out
    # what the failing requirement and its exemption read
    for line in ("assets = €200_000.00 (given)", "asset_limit = €141_896.00 (parameter)", "age = 30 (given)"):
        assert f"         {line}\n" in out


def test_test_reports_a_property_violated_on_several_dates_once(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    path = tmp_path / "prop.rules"
    path.write_text("""regulation toy "Toy"
input age : int 0..130 "Leeftijd"
parameter limit : int "Grens"
  2024-01-01: 18
  2025-01-01: 18
  2026-01-01: 18
requirement adult "Meerderjarig": age >= limit - 2
property "nobody under 18 qualifies": age < 18 implies not eligible
property "nobody under 10 qualifies": age < 10 implies not eligible
test "an adult" on 2025-01-01
  given age = 30
  expect eligible
""", encoding="utf-8")
    code, out, _ = run(capsys, "test", path, "--timeout", "2")
    assert code == 1
    lines = out.strip().splitlines()
    fails = [line for line in lines if line.startswith("FAIL")]
    assert len(fails) == 1, out  # one report, not one per date
    assert 'property "nobody under 18 qualifies" on ' in fails[0] and " dates: " in fails[0]
    assert sum(line.strip().startswith("counterexample:") for line in lines) == 1
    # one property proved (on every date), one violated: counted per property, not per date
    assert lines[-2:] == ["1 passed, 0 failed; 1 property proved, 1 violated", "2 passed, 1 failed"]
    code, out, _ = run(capsys, "test", path, "--timeout", "2", "--json")
    data = json.loads(out)
    assert code == 1 and (data["properties_proved"], data["properties_violated"]) == (1, 1)
    (violated,) = [p for p in data["property_summary"] if p["status"] == "violated"]
    assert len(violated["dates"]["violated"]) >= 2


# -- fmt --------------------------------------------------------------------------------------

MESSY = """regulation   r   "Rommelig"   # the title
input a:int 0..10 "A"
# about b
input  b : money
requirement   r1 : a>=1 and(b<=€10)
"""


def test_fmt_check_then_fmt_then_check_again(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "messy.rules"
    path.write_text(MESSY, encoding="utf-8")
    code, out, _ = run(capsys, "fmt", "--check", path)
    assert code == 1 and f"would reformat {path}" in out
    assert path.read_text(encoding="utf-8") == MESSY  # --check changes nothing
    code, out, _ = run(capsys, "fmt", path)
    assert code == 0 and f"reformatted {path}" in out
    text = path.read_text(encoding="utf-8")
    assert "# the title" in text and "# about b" in text
    assert "requirement r1: a >= 1 and b <= €10.00" in text
    code, out, _ = run(capsys, "fmt", "--check", path)
    assert code == 0 and out == ""


def test_fmt_a_folder_keeps_its_meaning(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    copy = tmp_path / "good"
    shutil.copytree(CASES / "good", copy)
    code, out, _ = run(capsys, "fmt", copy)
    assert code == 0 and "reformatted" in out
    # a formatted file still checks and its tests still pass
    code, out, _ = run(capsys, "test", copy)
    assert code == 0 and out.strip().splitlines()[-1] == "19 passed, 0 failed"
    code, out, _ = run(capsys, "fmt", "--check", copy)
    assert code == 0 and out == ""


def test_fmt_refuses_a_broken_file_without_touching_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.rules"
    path.write_text("regulation r\ninput a : \n", encoding="utf-8")
    code, _, err = run(capsys, "fmt", path)
    assert code == 1 and "error[E0" in err
    assert path.read_text(encoding="utf-8") == "regulation r\ninput a : \n"


# -- as a process -----------------------------------------------------------------------------

def _process(*argv: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "eenvoud.cli", *map(str, argv)], capture_output=True, text=True,
                          input=stdin, cwd=ROOT, timeout=60)


def test_the_process_exit_codes_and_no_traceback() -> None:
    ok = _process("check", SPEC)
    assert ok.returncode == 0
    bad = _process("check", CASES / "bad")
    assert bad.returncode == 1
    assert "error[E" in bad.stderr
    assert_no_traceback(bad.stdout, bad.stderr)
    facts = _process("eval", SPEC, "--facts", "-", "--date", "2025-01-01", "--json", stdin='{"age": "x"}')
    assert facts.returncode == 1 and "age: expected a whole number" in facts.stderr
    assert_no_traceback(facts.stdout, facts.stderr)
    usage = _process("frobnicate")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


def test_a_test_whose_value_cannot_be_evaluated_fails_alone(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    path = tmp_path / "gap.rules"
    path.write_text("""module m
input income : money
bracket rate : percent on income
  2024-01-01:
    | ..€10 => 1%
define big = €999999999999999999999
define huge = big * 99999999999999999999.5 * 99999999999999999999.5
test "in the gap" on 2024-01-01
  given income = €20
  expect rate = 1%
test "too many digits" on 2024-01-01
  expect huge = €1
test "in the row" on 2024-01-01
  given income = €5
  expect rate = 1%
""", encoding="utf-8")
    code, out, err = run(capsys, "test", path)
    assert code == 1
    assert "expected rate = 1%, but it cannot be evaluated: no row of the bracket `rate` covers the value 20.00" in out
    assert "a number grew beyond the 60 digits that exact arithmetic keeps" in out
    assert out.strip().splitlines()[-1] == "1 passed, 2 failed"
    assert_no_traceback(out, err)


def test_eval_of_a_case_the_rules_cannot_decide(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "gap.rules"
    path.write_text("""regulation r
input income : money
bracket rate : percent on income
  2024-01-01:
    | ..€10 => 1%
requirement low : rate < 5%
""", encoding="utf-8")
    code, out, err = run(capsys, "eval", path, "--facts", facts_file(tmp_path, {"income": "20"}), "--date",
                         "2024-06-01")
    assert code == 1
    assert "cannot be evaluated for this case: no row of the bracket `rate` covers the value 20.00" in err
    assert_no_traceback(out, err)


# -- simplify -o elsewhere ----------------------------------------------------------------------

def test_simplify_out_elsewhere_rewrites_relative_imports(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    src = tmp_path / "lib" / "nl"
    src.mkdir(parents=True)
    (tmp_path / "lib" / "common.rules").write_text(
        'module common "Gedeeld"\ninput age : int 0..130 "Leeftijd" from BRP\n', encoding="utf-8")
    reg = src / "toy.rules"
    reg.write_text("""regulation toy "Leeftijd twee keer"
import "../common.rules"  # the shared age
input income : money €0.. "Inkomen" from BRI
requirement adult "18 jaar of ouder" article "Art. 1": age >= 18
requirement income_test "Inkomen" article "Art. 2": income <= €30_000
requirement adult_21 "21 jaar of ouder" article "Art. 3": age >= 21
""", encoding="utf-8")
    out = tmp_path / "elsewhere" / "deeper" / "toy.rules"
    out.parent.mkdir(parents=True)
    code, _, err = run(capsys, "simplify", reg, "-o", out, "--date", "2025-01-01")
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert 'import "../../lib/common.rules"' in text and "# the shared age" in text
    assert "adult_21" in text and "requirement adult " not in text
    code, out_, err = run(capsys, "check", out)
    assert code == 0, err  # the new file finds its import (no E0110)
    # written beside the original, the import stays as it was
    beside = src / "toy_simpler.rules"
    assert run(capsys, "simplify", reg, "-o", beside, "--date", "2025-01-01")[0] == 0
    assert 'import "../common.rules"' in beside.read_text(encoding="utf-8")


# -- explanations: Dutch for Dutch rules, English with --lang en -----------------------------------

def test_eval_explains_dutch_rules_in_dutch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    facts = facts_file(tmp_path, {"age": 30, "insured": True, "has_partner": False, "income": "20000.00",
                                  "assets": "200000.00"})
    code, out, _ = run(capsys, "eval", ZORGTOESLAG, "--facts", facts, "--date", "2025-01-01", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["eligible"] is False and EVAL_KEYS <= set(data)
    lines = data["explanation"]
    assert any(line.startswith("Voldaan: ") for line in lines)
    (failed,) = [line for line in lines if line.startswith("Niet voldaan: ")]
    assert "assets = € 200.000,00, asset_limit = € 141.896,00." in failed
    (conclusion,) = [line for line in lines if line.startswith("Conclusie: ")]
    assert conclusion.startswith("Conclusie: geen recht op 1 januari 2025, omdat niet is voldaan aan: ")
    assert lines[-1].startswith("Bedrag: ") and lines[-1].endswith(" = € 0,00.")
    assert not any(word in " ".join(lines) for word in ("Met:", "Conclusion:", "Not met:", "€141,896.00"))
    # the JSON fields are the same in English; only the explanation's words change
    code, out, _ = run(capsys, "eval", ZORGTOESLAG, "--facts", facts, "--date", "2025-01-01", "--json", "--lang", "en")
    english = json.loads(out)
    assert {k: v for k, v in english.items() if k != "explanation"} == {k: v for k, v in data.items() if k != "explanation"}
    assert any(line.startswith("Not met: ") and "asset_limit = €141,896.00." in line for line in english["explanation"])
    assert any(line.startswith("Conclusion: not eligible on 2025-01-01") for line in english["explanation"])


def test_eval_explains_english_rules_in_english(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "en.rules"
    path.write_text('regulation bonus "Winter bonus"\ninput age : int 0..130 "The applicant\'s age in years"\n'
                    'requirement adult "The applicant is an adult" article "Section 1": age >= 18\n'
                    'amount bonus : money "The bonus" = €1_250.00\n', encoding="utf-8")
    code, out, _ = run(capsys, "eval", path, "--facts", facts_file(tmp_path, {"age": 40}), "--date", "2025-01-01",
                       "--json")
    lines = json.loads(out)["explanation"]
    assert lines[0] == "Met: The applicant is an adult (Section 1) — age = 40."
    assert lines[-1] == "Amount: The bonus = €1,250.00."
    code, out, _ = run(capsys, "eval", path, "--facts", facts_file(tmp_path, {"age": 40}), "--date", "2025-01-01",
                       "--json", "--lang", "nl")
    lines = json.loads(out)["explanation"]
    assert lines[0] == "Voldaan: The applicant is an adult (Section 1) — age = 40."
    assert lines[-1] == "Bedrag: The bonus = € 1.250,00."


def test_an_import_path_with_a_nul_character_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    # Path.resolve raises ValueError on NUL: it was an internal error (exit 2) before
    path = tmp_path / "nul.rules"
    path.write_text('regulation x "X"\nimport "a\0b"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", path)
    assert code == 1
    assert f"{path}:2:1: error[E0110]" in err
    assert "internal error" not in err
