"""The irrelevance question on the prover's assumption solver (`inputs._cheap`): an irrelevant
input gets the same canonical core as on fresh solvers; a relevant one gets a witness pair that the
engine replays (the two answers give different outcomes), and the same pair on a repeated run
(in a fresh process, as the fresh solvers' witnesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from eenvoud.analysis import inputs
from eenvoud.analysis.context import Context
from eenvoud.analysis.on_date import context_at
from eenvoud.analysis.prover import Budget, Proved, Refuted, Stats
from eenvoud.dsl.load import load_text

DAY = date(2025, 1, 1)

RULES = """regulation assumed "Assumed"
input income : money €0..€100000 "income"
input children : int 0..10 "children"
input shoe_size : int 20..50 "shoe size"
requirement low_income "low income": income * 12 <= €30000 + children * €500
requirement sizes "sizes": shoe_size <= 60
amount benefit : money "benefit" = round(income / 4, 2)
"""


def _context() -> Context:
    reg = load_text(RULES, "assumed.rules")
    ctx = context_at(reg, DAY, Budget(1.0, backstop=False), Stats())
    assert isinstance(ctx, Context)
    return ctx


def _answer(ctx: Context, x: str, witness: bool) -> Proved | Refuted:
    s = ctx.slice_of("input", x)
    query, copy = inputs.irrelevance_query(ctx, s, x)
    answer = inputs._cheap(ctx, s, x, query, copy) if witness is False else \
        ctx.prover(s).check(ctx.domain(s), query, also=[copy])
    assert isinstance(answer, Proved | Refuted), answer
    return answer


def test_an_irrelevant_input_has_the_same_core_either_way() -> None:
    cheap, full = _answer(_context(), "shoe_size", False), _answer(_context(), "shoe_size", True)
    assert isinstance(cheap, Proved) and cheap == full
    assert cheap.core == ("domain of `shoe_size`",)


def _pairs() -> list[tuple[str, dict[str, object], object]]:
    ctx = _context()
    out = []
    for x in ("income", "children"):
        answer = _answer(ctx, x, False)
        assert isinstance(answer, Refuted)
        s = ctx.slice_of("input", x)
        case = ctx.complete(answer.case)
        assert ctx.slice_outcome(s, case) != ctx.slice_outcome(s, {**case, x: answer.also[x]})
        out.append((x, case, answer.also[x]))
    return out


def test_a_relevant_input_gets_a_witness_the_engine_replays() -> None:
    assert [x for x, _case, _other in _pairs()] == ["income", "children"]


# A run in a fresh process: Z3 numbers its terms in the order they are made, and a model follows
# the numbering (in one process a second context makes other literals: another model, as on the
# fresh solvers), so "the same on repeated runs" is a property of whole runs
RUN = """
import json, sys
sys.path.insert(0, {tests!r})
import test_irrelevant_inputs_assumed as T
from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.prover import Budget
from eenvoud.dsl.load import load_text
pairs = T._pairs()
report = analyze([load_text(T.RULES, "assumed.rules")], day=T.DAY, budget=Budget(1.0, backstop=False), jobs=1)
assert not report.unknown
print(json.dumps([pairs, [f.to_json() for f in report.findings]], default=str, sort_keys=True))
"""


def test_the_witnesses_and_the_report_are_the_same_on_repeated_runs() -> None:
    code = RUN.format(tests=str(Path(__file__).parent))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).parents[2]).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    findings = json.loads(runs[0])[1]
    assert any(f["kind"] == "irrelevant_input" and f["subject"] == "shoe_size" for f in findings)
