"""Planted defects: for every kind of finding, rule files with a defect (the finding is reported,
with the right subject) and a clean twin (no finding at all).

Each case file (or folder, for findings across regulations) says what it expects in a comment:
`# expect: KIND SUBJECT` or `# clean: KIND`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.findings import KINDS
from eenvoud.analysis.prover import Budget
from eenvoud.library import Library

CASES = Path(__file__).parent / "cases"
ENTRIES = sorted(CASES.iterdir())


def _expectation(entry: Path) -> tuple[str, str | None]:
    files = sorted(entry.rglob("*.rules")) if entry.is_dir() else [entry]
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    found = re.search(r"^# expect: (\S+) (.+)$", text, re.M)
    if found:
        return found.group(1), found.group(2).strip()
    clean = re.search(r"^# clean: (\S+)$", text, re.M)
    assert clean, f"{entry} says neither `# expect:` nor `# clean:`"
    return clean.group(1), None


def _findings(entry: Path) -> list[tuple[str, str]]:
    lib = Library.load([entry])
    assert not lib.diagnostics, lib.diagnostics
    report = analyze(list(lib.regulations.values()), day=date(2025, 1, 1), budget=Budget(1.0),
                     library=list(lib.files.values()))
    assert not report.unknown, report.unknown
    return sorted((f.kind, f.subject) for f in report.findings)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_planted_defect_is_found_and_its_clean_twin_is_clean(entry: Path) -> None:
    kind, subject = _expectation(entry)
    found = _findings(entry)
    if subject is not None:
        assert (kind, subject) in found, found
    else:
        assert found == [], found


def test_every_kind_has_two_defects_and_clean_twins() -> None:
    defects: dict[str, int] = {}
    clean: dict[str, int] = {}
    for entry in ENTRIES:
        kind, subject = _expectation(entry)
        target = defects if subject is not None else clean
        target[kind] = target.get(kind, 0) + 1
    for kind in KINDS:
        assert defects.get(kind, 0) >= 2, kind
        assert clean.get(kind, 0) >= 2, kind
