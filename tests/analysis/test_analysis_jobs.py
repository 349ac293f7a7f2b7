"""The analyzer's report is the same whatever the number of worker processes (`jobs=`,
EENVOUD_JOBS), the divergence across regulations included: it runs in the pool beside the
regulations, in a fresh fork like each of them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.findings import Report
from eenvoud.analysis.prover import Budget
from eenvoud.analysis.report import to_json
from eenvoud.library import Library

SHARED = """module shared "Gedeelde invoer"

input wages : money €0.00..€1_000_000.00 "Loon per jaar"
input benefits : money €0.00..€1_000_000.00 "Uitkeringen per jaar"
"""
A = """regulation regeling_a "Regeling A"

import "shared.rules"

define total_income : money "Inkomen per jaar van de aanvrager" = wages + benefits

requirement low_income "Laag inkomen": total_income <= €30_000.00
requirement some_wages "Enig loon": wages >= €0.00

amount toeslag_a : money "Toeslag A" = €100.00
"""
B = """regulation regeling_b "Regeling B"

import "shared.rules"

define yearly_income : money "Inkomen per jaar van de aanvrager" = wages

requirement low_income_b "Laag inkomen": yearly_income <= €20_000.00

amount toeslag_b : money "Toeslag B" = €50.00
"""


def _report(tmp: Path, jobs: int) -> str:
    lib = Library.load([tmp])
    lib.raise_for_errors()
    report: Report = analyze(list(lib.regulations.values()), day=date(2025, 1, 1),
                             budget=Budget(1.0, backstop=False), library=list(lib.files.values()), jobs=jobs)
    out = to_json(report)
    out.pop("stats", None)  # seconds
    return json.dumps(out, sort_keys=True, default=str)


def test_the_report_is_the_same_whatever_the_number_of_workers(tmp_path: Path) -> None:
    for name, text in (("shared.rules", SHARED), ("a.rules", A), ("b.rules", B)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    one, two = _report(tmp_path, 1), _report(tmp_path, 2)
    assert one == two
    found = json.loads(one)["findings"]
    kinds = {f["kind"] for f in found}
    assert {"diverging_definition", "redundant_requirement"} <= kinds
