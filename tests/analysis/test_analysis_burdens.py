"""One finding per burden (issue 11): a chain that a yes/no parameter switches off by date is one
`unused_in_period` finding, its dead branches are echoes (shown only when asked), a question it
makes irrelevant is folded into it, and a document's findings are merged into one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.burdens import merge_document
from eenvoud.analysis.findings import Finding
from eenvoud.analysis.prover import Budget
from eenvoud.dsl.load import load_text

SWITCHED = """regulation switched "Switched"
input age : int 0..130 "age"
input elderly_partner : bool "the partner has reached the AOW age"
parameter separate_elderly : bool "elderly households apart"
  2024-01-01: true
  2025-01-01: false
parameter elderly_bonus : money "bonus for the elderly"
  2024-01-01: €100.00
define elderly : bool "elderly household" = separate_elderly and elderly_partner
requirement adult "adult": age >= 18
amount benefit : money "benefit" = if elderly then elderly_bonus else €50.00
"""


def _report(echoes: bool = False):  # type: ignore[no-untyped-def]
    reg = load_text(SWITCHED, "switched.rules")
    return analyze([reg], budget=Budget(1.0, backstop=False), parameter_echoes=echoes)


def test_a_chain_switched_off_by_a_parameter_is_one_finding_from_that_date() -> None:
    report = _report()
    kinds = sorted(f.kind for f in report.findings)
    assert kinds == ["unused_in_period"], [f.message for f in report.findings]
    f = report.findings[0]
    assert f.subject == "separate_elderly"
    assert [(p.start, p.end) for p in f.periods] == [(date(2025, 1, 1), None)]
    assert {"elderly_partner", "elderly", "elderly_bonus"} <= set(f.consequences)
    assert "`separate_elderly` = no" in f.message
    assert report.echoes >= 1  # the dead `then` branch of `if elderly` in 2025, left out


def test_parameter_echoes_are_reported_when_asked() -> None:
    report = _report(echoes=True)
    assert any(f.kind == "dead_branch" and f.subject == "benefit.if.1.then" for f in report.findings)


def test_a_document_is_reported_once_with_all_its_reasons() -> None:
    registry = Finding("registry_data_requested", "r", "proof", None, None, ("BRP holds `x`",), None,
                       "asks for `x` (BRP)", proposal="take `x` from the registry")
    unnecessary = Finding("unnecessary_document", "r", "proof", None, None, ("BRP holds `x`",), None,
                          "the document is unnecessary", proposal="remove document `proof`")
    merged = merge_document([registry, unnecessary])
    assert merged.kind == "registry_data_requested"
    assert merged.reasons == ("asks for `x` (BRP)", "the document is unnecessary")
    assert merged.because == ("BRP holds `x`",)
    assert merged.proposal == "take `x` from the registry; remove document `proof`"


def test_a_divergence_that_follows_from_another_is_folded_into_it() -> None:
    from eenvoud.analysis.burdens import fold_divergences
    from eenvoud.analysis.findings import Finding
    from eenvoud.library import Library

    lib = Library.load(["rules/"])
    regs = {r.name: r for r in lib.files.values()}

    def div(name: str) -> Finding:
        return Finding("diverging_definition", "kwijtschelding_utrecht",
                       f"kwijtschelding_utrecht.{name} / kwijtschelding_hdsr.{name}", None, None, (), None, name)

    root, after, further = div("cost_of_living"), div("means_allowance"), div("remission_assets")
    got = fold_divergences([further, root, after], regs)
    assert [f.subject for f in got] == [root.subject]  # the root pair reports once
    assert set(got[0].consequences) == {after.subject, further.subject}


def test_a_divergence_sharing_one_side_with_its_cause_is_folded_too() -> None:
    from eenvoud.analysis.burdens import fold_divergences
    from eenvoud.analysis.findings import Finding
    from eenvoud.library import Library

    regs = {r.name: r for r in Library.load(["rules/"]).files.values()}
    pw = "participatiewet.pw_norm_month_without_holiday_pay"
    cause = Finding("diverging_definition", "kwijtschelding", f"kwijtschelding.household_norm / {pw}", None, None, (),
                    None, "cause")
    follows = Finding("diverging_definition", "kwijtschelding", f"kwijtschelding.cost_of_living_base / {pw}", None,
                      None, (), None, "follows")
    got = fold_divergences([follows, cause], regs)
    assert [f.subject for f in got] == [cause.subject] and got[0].consequences == (follows.subject,)


def test_analyze_reports_a_divergence_once_with_what_follows_from_it(tmp_path: Path) -> None:
    """The whole run folds diverging definitions (burdens.fold_divergences is called by analyze)."""
    import json

    from eenvoud.cli import main

    (tmp_path / "shared.rules").write_text('module shared "Gedeeld"\n\n'
                                           'input income : money €0..€100_000 "Inkomen per maand"\n', encoding="utf-8")
    for name, norm in (("a", "income"), ("b", "round(income * 90%, 2)")):
        (tmp_path / f"{name}.rules").write_text(
            f'regulation reg_{name} "Regeling {name}"\n\nimport "shared.rules"\n\n'
            f'define norm : money "Norm voor de berekening" = {norm}\n'
            'define room : money "Ruimte voor de berekening" = norm + €10.00\n\n'
            'requirement some_room "Er is ruimte": room > €0.00\n', encoding="utf-8")
    out = tmp_path / "report.json"
    assert main(["analyze", str(tmp_path), "--date", "2025-01-01", "--timeout", "1", "--out", str(out)]) == 0
    found = [f for f in json.loads(out.read_text(encoding="utf-8"))["findings"] if f["kind"] == "diverging_definition"]
    assert [(f["subject"], f["consequences"]) for f in found] == [("reg_a.norm / reg_b.norm", ["reg_a.room / reg_b.room"])]
