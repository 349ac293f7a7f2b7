"""Rule files the checker must reject with exactly the diagnostics a drafter is shown, and rule
files it must accept.

Each `cases/bad/NAME.rules` has a `NAME.expected` beside it holding the rendered diagnostics
(`path:line:col: error[CODE]: message`, the source line, carets, help). Rewrite them after a
deliberate change with `EENVOUD_UPDATE_GOLDEN=1 pytest tests/dsl`, then read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eenvoud.diagnostics import RuleError, render_all
from eenvoud.dsl.load import Loader
from eenvoud.dsl.parser import parse
from eenvoud.engine.runner import run_tests
from eenvoud.ir import nodes as n
from eenvoud.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
BAD = sorted((CASES / "bad").glob("*.rules"))
GOOD = sorted((CASES / "good").rglob("*.rules"))
PARSE_ONLY = sorted((CASES / "parse_only").glob("*.rules"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def diagnostics_of(path: Path) -> str:
    """What `eenvoud check` prints for `path`, with paths relative to the checkout."""
    # the file is read under its relative name so that the golden files hold no absolute path;
    # files reached through an import are shown by the loader under their resolved path
    source = SourceFile.from_text(relative(path), path.read_text(encoding="utf-8"))
    try:
        Loader().load_source(source, path.resolve())
    except RuleError as exc:
        return render_all(exc.diagnostics).replace(str(ROOT) + "/", "") + "\n"
    return ""


def test_enough_bad_cases() -> None:
    assert len(BAD) >= 35


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file_gives_expected_diagnostics(path: Path) -> None:
    got = diagnostics_of(path)
    assert got, f"{relative(path)} checks clean, but it is meant to be rejected"
    expected = path.with_suffix(".expected")
    if os.environ.get("EENVOUD_UPDATE_GOLDEN") == "1":
        expected.write_text(got, encoding="utf-8")
    assert expected.exists(), f"no {expected.name}: write it with EENVOUD_UPDATE_GOLDEN=1 and read it"
    assert got == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file_diagnostics_are_well_formed(path: Path) -> None:
    try:
        Loader().load(path)
    except RuleError as exc:
        diagnostics = exc.diagnostics
    else:
        pytest.fail(f"{relative(path)} checks clean")
    for d in diagnostics:
        assert d.code.startswith("E") and len(d.code) == 5
        assert not d.message[:1].isupper(), d.message
        assert d.span is not None, f"{d.code} has no position"
        assert d.span.line >= 1 and d.span.column >= 1


def test_no_orphan_golden_files() -> None:
    rules = {p.stem for p in BAD}
    orphans = [p.name for p in (CASES / "bad").glob("*.expected") if p.stem not in rules]
    assert orphans == []


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_file_checks_clean(path: Path) -> None:
    assert diagnostics_of(path) == ""


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_file_tests_pass(path: Path) -> None:
    results = run_tests(Loader().load(path))
    assert [r.failures for r in results if not r.passed] == []


def test_spec_example_as_written_parses() -> None:
    # SPEC.md's sketch uses parameters it never declares: it must parse, and checking it names them
    (path,) = [p for p in PARSE_ONLY if p.stem == "spec_example"]
    parsed = parse(SourceFile.read(path))
    assert [r.name for r in parsed.regulation.declarations if isinstance(r, n.Requirement)] == [
        "adult", "insured_nl", "income_test", "asset_test"]
    with pytest.raises(RuleError) as exc:
        Loader().load(path)
    unknown = sorted(d.message for d in exc.value.diagnostics)
    assert unknown == [
        "unknown name `asset_limit`", "unknown name `norm_premium`",
        "unknown name `partner_income_limit`", "unknown name `single_income_limit`",
    ]


@pytest.mark.parametrize("path", PARSE_ONLY, ids=lambda p: p.stem)
def test_parse_only_file_parses(path: Path) -> None:
    parse(SourceFile.read(path))


@pytest.mark.parametrize(("expr", "code"), [
    (" + ".join(["a"] * 3000), "E0005"),  # a sum thousands of terms long
    ("not " * 3000 + "(a > 0)", "E0005"),  # too deep
    ("-" * 3000 + "a", "E0005"),
])
def test_rules_nested_too_deeply_get_a_diagnostic(expr: str, code: str) -> None:
    with pytest.raises(RuleError) as exc:
        Loader().load_source(SourceFile.from_text("deep.rules", f"regulation r\ninput a : int\ndefine x = {expr}\n"))
    (d,) = exc.value.diagnostics
    assert (d.code, d.span and (d.span.line, d.span.column)) == (code, (3, 12))


def test_a_chain_of_definitions_too_deep_to_evaluate_is_refused_by_the_checker() -> None:
    lines = ["regulation r", "input a : int", "define d0 = a"]
    lines += [f"define d{i} = d{i - 1} + 1" for i in range(1, 600)] + ["requirement q : d599 > 0"]
    with pytest.raises(RuleError) as exc:
        Loader().load_source(SourceFile.from_text("chain.rules", "\n".join(lines)))
    # once, where the chain crosses the limit: not at each of the 500 definitions after it
    (d,) = exc.value.diagnostics
    assert (d.code, d.span and d.span.line) == ("E0006", 3 + 64)
