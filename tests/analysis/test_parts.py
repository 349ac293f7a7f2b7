"""A large regulation analysed in parts (eenvoud/analysis/parts.py): the parts share nothing, the
joined report says what the whole regulation's says, its witnesses are cases of the whole that
the engine decides as shown, and a part that finds nobody qualifies sends the regulation back to
be analysed whole."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from eenvoud.analysis import parts
from eenvoud.analysis.analyze import _steps, analyze
from eenvoud.analysis.context import decision_json
from eenvoud.analysis.findings import Report
from eenvoud.analysis.prover import Budget
from eenvoud.analysis.report import to_json
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import decide
from eenvoud.engine.evaluate import Program
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import names_in
from eenvoud.library import Library

DAY = date(2025, 1, 1)

# one group: a registry claim with a witness (the document asks what BRI holds), a registry gap
# with a witness (BRI holds another year than the rule reads), a redundant requirement, a dead
# exemption, an irrelevant question and a bracket with a gap
GROUP = '''
input g{k}_partner : bool "Partner {k}" from BRP on decision date
input g{k}_income : money €0.. "Toetsingsinkomen {k}" from BRI for year{period}
input g{k}_children : int 0..10 "Kinderen {k}"
input g{k}_unused : bool "Niet gelezen {k}"

bracket g{k}_rate : percent "Tarief {k}" on g{k}_income
  2025-01-01:
    | .. €10_000.00 => 0%
    | €12_000.00 .. => 10%

define g{k}_net : money "Netto {k}" = g{k}_income - round(g{k}_income * g{k}_rate, 2)

requirement g{k}_income_test "Inkomen {k}": g{k}_income <= (if g{k}_partner then €40_000 else €30_000)
requirement g{k}_children_test "Kinderen {k}": g{k}_children <= 8
  unless g{k}_children >= 11
requirement g{k}_loose "Ruim {k}": g{k}_children <= 9
requirement g{k}_net_test "Netto {k}": g{k}_net >= €0

amount g{k}_benefit : money "Toeslag {k}" = max(€0, €1_000 - round(g{k}_net * 5%, 2))

document g{k}_statement "Inkomensverklaring {k}"
  provides g{k}_income
  required when g{k}_partner
'''


def regulation(groups: int, contradiction_in: int | None = None) -> str:
    text = 'regulation toeslagen "Toeslagen in groepen"\n'
    for k in range(groups):
        text += GROUP.format(k=k, period=" - 2" if k % 2 == 0 else "")
        if k == contradiction_in:
            text += f'requirement g{k}_never "Nooit {k}": g{k}_children > 10\n'
    return text


def _report(path: Path, jobs: int) -> Report:
    lib = Library.load([path])
    lib.raise_for_errors()
    return analyze(list(lib.regulations.values()), day=DAY, budget=Budget(2.0, backstop=False),
                   library=list(lib.files.values()), jobs=jobs)


def _json(report: Report) -> str:
    out = to_json(report)
    out.pop("stats", None)  # seconds
    return json.dumps(out, sort_keys=True, default=str)


def _claims(report: Report) -> list[tuple[object, ...]]:
    """What the findings say, without their witnesses (those follow the solver's state)."""
    return sorted((f.kind, f.subject, f.because, f.message, f.span) for f in report.findings)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "PART_STEPS", 15)  # the forks inherit it


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "toeslagen.rules"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_large_regulation_falls_apart_into_parts_that_share_nothing(small_parts: None) -> None:
    reg = load_text(regulation(4), "toeslagen.rules")
    got = parts.split(reg, _steps(reg))
    assert len(got) == 4
    seen: dict[str, int] = {}
    for k, part in enumerate(got):
        names = {d.name for d in (*part.inputs, *part.parameters, *part.brackets, *part.definitions)}
        for name in names:
            assert name not in seen, f"`{name}` in parts {seen[name]} and {k}"
            seen[name] = k
        # closed: everything a kept declaration reads is kept
        for r in part.requirements:
            assert all(x in part.symbols for x in names_in(r.condition))
    assert sum(len(p.requirements) for p in got) == len(reg.requirements)
    assert sum(len(p.documents) for p in got) == len(reg.documents)
    assert len({p.hash for p in got} | {reg.hash}) == 5  # a part is never taken for the whole


def test_what_ties_declarations_keeps_them_in_one_part(small_parts: None) -> None:
    shared = regulation(4) + '\nparameter cap : money "Plafond"\n  2025-01-01: €50_000\n' \
        'requirement g0_cap "Plafond 0": g0_income <= cap\nrequirement g3_cap "Plafond 3": g3_income <= cap\n'
    got = parts.split(load_text(shared, "x.rules"), 10_000)
    together = [p for p in got if any(i.name == "g0_income" for i in p.inputs)]
    assert any(i.name == "g3_income" for i in together[0].inputs)  # one parameter ties them
    person = 'regulation p "P"\ninput age : int 0..120 "Leeftijd"\ninput birth_date : date "Geboren"\n' \
        'requirement adult "Volwassen": age >= 18\nrequirement born "Geboren": birth_date <= 2000-01-01\n'
    assert len(parts.split(load_text(person, "p.rules"), 10_000)) == 1  # `age` follows from `birth_date`
    with_property = regulation(4) + '\nproperty "goed":\n  g0_benefit >= €0\n'
    assert len(parts.split(load_text(with_property, "q.rules"), 10_000)) == 1  # may read every part


def _whole_witnesses_replay(report: Report, reg: CheckedRegulation) -> int:
    prog = Program(reg, DAY)
    inputs = {i.name for i in reg.inputs}
    seen = 0
    for f in report.findings:
        w = f.witness
        if w is None:
            continue
        seen += 1
        assert set(w.facts) == inputs, f"{f.kind} {f.subject}: not a case of the whole regulation"
        assert decision_json(decide(prog, dict(w.facts))) == w.decision
        if w.changed is not None:
            assert decision_json(decide(prog, {**w.facts, **w.changed})) == w.decision_after
    return seen


def test_the_joined_report_says_what_the_whole_says_with_witnesses_of_the_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, regulation(4))
    monkeypatch.setattr(parts, "PART_STEPS", 10**9)
    whole = _report(path, 1)
    monkeypatch.setattr(parts, "PART_STEPS", 15)
    joined = _report(path, 2)
    assert (whole.regulations[0].parts, joined.regulations[0].parts) == (1, 4)
    assert not whole.unknown and not joined.unknown
    kinds = {f.kind for f in joined.findings}
    assert {"registry_data_requested", "registry_gap", "redundant_requirement", "dead_exemption",
            "irrelevant_input", "bracket_gap"} <= kinds, kinds
    assert _claims(joined) == _claims(whole)
    reg = next(iter(Library.load([path]).regulations.values()))
    assert _whole_witnesses_replay(joined, reg) >= 8


def test_the_joined_report_is_the_same_whatever_the_number_of_workers(tmp_path: Path, small_parts: None) -> None:
    path = _write(tmp_path, regulation(4))
    assert _json(_report(path, 1)) == _json(_report(path, 2))


def test_nobody_qualifying_in_one_part_sends_the_regulation_back_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, regulation(4, contradiction_in=2))
    monkeypatch.setattr(parts, "PART_STEPS", 10**9)
    whole = _report(path, 1)
    monkeypatch.setattr(parts, "PART_STEPS", 15)
    joined = _report(path, 2)
    assert joined.regulations[0].parts == 1  # analysed whole after all
    found = [(f.kind, f.subject) for f in joined.findings]
    assert ("contradiction", "g2_children_test, g2_never") in found or \
        any(k == "contradiction" and "g2_never" in s for k, s in found), found
    # nobody qualifies: the other parts' redundancies would be vacuous, and are not claimed
    assert not [f for f in joined.findings if f.kind == "redundant_requirement"]
    assert _claims(joined) == _claims(whole)
