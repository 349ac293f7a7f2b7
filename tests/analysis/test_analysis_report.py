"""The analyst's report (issue 11, part 4): what to strike first, ranked by burden; Dutch by default
and English with `--lang en`; inline SVG charts and nothing fetched from another host; the Markdown
and the JSON carry the same summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eenvoud.cli import main

RULES = """regulation toeslag_x "Toeslag voor de test"
input age : int 0..130 "Leeftijd"
input income : money €0.. "Inkomen"
input shoe_size : int 15..55 "Schoenmaat"

requirement adult "18 jaar of ouder" article "Art. 1": age >= 18
requirement income_test "Inkomen" article "Art. 2": income <= €30_000
requirement adult_21 "21 jaar of ouder" article "Art. 3": age >= 21

document proof_of_age "Bewijs van leeftijd"
  provides age
  required when age > 140
"""


def _write(tmp_path: Path, fmt: str, *extra: str) -> str:
    rules = tmp_path / "toeslag_x.rules"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / f"report.{fmt}"
    assert main(["analyze", str(rules), "--date", "2025-01-01", "--timeout", "1", "--out", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8")


def test_the_summary_comes_first_and_lists_what_to_strike_ranked_by_burden(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _write(tmp_path, "md")
    strike, details = text.index("## Wat kan vervallen"), text.index("# Details per regeling")
    assert strike < text.index("## Waar de bevindingen zitten") < details
    summary = text[strike:details]
    # the planted redundant requirement, with its regulation's title and the finding's reason
    row = next(line for line in summary.splitlines() if "`adult`" in line)
    assert "Toeslag voor de test" in row and "Volgt uit `adult_21`." in row
    assert "Overbodige voorwaarde" in row
    # one table, ranked by the share of the domain each touches (the question and the requirement
    # touch every case, the document that is never required none); the ranking is explained
    assert summary.index("`shoe_size`") < summary.index("`adult`") < summary.index("`proof_of_age`")
    assert "deel van het domein" in summary and "| ≈ 100% |" in row
    assert "1 bewijsstukken, 1 vragen en 1 voorwaarden" in summary


def test_dutch_by_default_and_english_with_lang_en(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dutch = _write(tmp_path, "html")
    assert '<html lang="nl">' in dutch and "<h1>Analyse van de regels</h1>" in dutch
    assert "Wat kan vervallen" in dutch and "Overbodige vraag" in dutch and "What to strike" not in dutch
    english = _write(tmp_path, "html", "--lang", "en")
    assert '<html lang="en">' in english and "<h1>Analysis of the rules</h1>" in english
    assert "What to strike" in english and "Irrelevant question" in english and "Wat kan vervallen" not in english
    assert "## What to strike" in _write(tmp_path, "md", "--lang", "en")


def test_the_html_draws_its_charts_inline_and_fetches_nothing(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    page = _write(tmp_path, "html")
    # the share of the domain per item to strike, findings by kind, every document's burden,
    # documents per regulation
    assert page.count("<svg") == 4 and "<rect" in page
    assert page.index("Wat kan vervallen") < page.index("<svg") < page.index('id="finding-1"')
    assert not re.search(r"https?://", page)  # no external host, not even an SVG namespace
    assert not re.search(r"<(script|link|img|iframe|object)\b", page)


def test_the_json_gains_the_same_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(_write(tmp_path, "json"))
    assert list(data)[0] == "summary" and {"findings", "unknown", "stats"} <= set(data)
    strike = data["summary"]["strike"]
    assert [(s["rank"], s["category"], s["subject"]) for s in strike] == [
        (1, "question", "shoe_size"), (2, "requirement", "adult"), (3, "document", "proof_of_age")]
    assert strike[1]["regulation_title"] == "Toeslag voor de test" and strike[1]["kind"] == "redundant_requirement"
    assert data["summary"]["documents_per_regulation"] == [
        {"regulation": "toeslag_x", "title": "Toeslag voor de test", "documents": 1, "to_strike": 1}]
    findings = {f["subject"]: f for f in data["findings"]}
    # the reason is short, in the report's language (Dutch); the finding's sentence and its English
    # message are in the JSON too
    assert strike[1]["reason"] == "Volgt uit `adult_21`."
    assert findings["adult"]["text"]["sentence"].startswith("Wie voldoet aan `adult_21`")
    assert "is redundant" in findings["adult"]["message"]
    assert findings["adult"]["text"]["caveat"] and findings["adult"]["text"]["proposal"] == "schrap de voorwaarde `adult`"


ENGLISH = """regulation benefit_x "Benefit for the test"
input age : int 0..130 "Age of the applicant"
input income : money €0.. "Income of the applicant"

requirement adult "The applicant is 18 or older": age >= 18
requirement adult_21 "The applicant is 21 or older": age >= 21
requirement low_income "The income is at most the limit": income <= €30_000
"""


def test_the_report_is_in_the_rules_language_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "benefit_x.rules"
    rules.write_text(ENGLISH, encoding="utf-8")
    out = tmp_path / "report.md"
    assert main(["analyze", str(rules), "--date", "2025-01-01", "--timeout", "1", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## What to strike" in text and "Wat kan vervallen" not in text
    assert main(["analyze", str(rules), "--date", "2025-01-01", "--timeout", "1", "--out", str(out),
                 "--lang", "nl"]) == 0
    assert "## Wat kan vervallen" in out.read_text(encoding="utf-8")


PARTLY = """regulation toeslag_d "Toeslag voor de test, bewijsstuk deels uit een registratie"
input age : int 0..130 "Leeftijd" from BRP
input income : money €0.. "Inkomen"

requirement adult_21 "21 jaar of ouder": age >= 21
requirement income_test "Inkomen": income <= €30_000

document statement "Verklaring van leeftijd en inkomen"
  provides age, income
  required when age < 30
"""


def test_a_document_a_registry_holds_only_in_part_stays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "toeslag_d.rules"
    rules.write_text(PARTLY, encoding="utf-8")
    out = tmp_path / "report.json"
    assert main(["analyze", str(rules), "--date", "2025-01-01", "--timeout", "1", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    # what goes is the question for the held fact in it, not the document (the income stays asked)
    assert [(s["category"], s["subject"]) for s in data["summary"]["strike"]] == [("question", "age")]
    assert "in `statement`" in data["summary"]["strike"][0]["label"]
    assert data["summary"]["documents_per_regulation"][0]["to_strike"] == 0
    finding = next(f for f in data["findings"] if f["subject"] == "statement")
    assert "voor `income` blijft het nodig" in finding["text"]["sentence"]


def test_a_finding_on_a_shared_module_is_in_the_details_and_the_counts() -> None:
    from datetime import date

    from eenvoud.analysis import report as reports
    from eenvoud.analysis.findings import Finding, Period, RegulationReport, Report

    r = Report()
    r.regulations.append(RegulationReport("toeslag_a", "Toeslag A", "a.rules", (date(2025, 1, 1),)))
    r.findings.append(Finding("diverging_definition", "shared_module", "shared_module.x / other.x", None, None, (),
                              None, "`x` of shared_module and `x` of other differ", (Period(date(2025, 1, 1), None),)))
    text = reports.markdown(r, "nl")
    assert "## shared_module (`shared_module`)" in text and "### 1. Uiteenlopende definities" in text
    assert "1 bevindingen en 0 onbekend" in text
    assert "| shared_module (`shared_module`) | 1 | 1 |" in text


def test_a_question_never_used_in_a_period_is_struck_for_that_period(tmp_path: Path) -> None:
    from datetime import date

    from eenvoud.analysis import report as reports
    from eenvoud.analysis.findings import Finding, Period, RegulationReport, Report
    from eenvoud.dsl.load import load

    rules = tmp_path / "toeslag_x.rules"
    rules.write_text(RULES, encoding="utf-8")
    reg = load(rules)
    r = Report()
    r.regs[reg.name] = reg
    r.regulations.append(RegulationReport(reg.name, reg.title, str(rules), (date(2025, 1, 1),)))
    r.findings.append(Finding("unused_in_period", reg.name, "shoe_rule", None, None, ("shoe_rule = yes",), None,
                              "never used", (Period(date(2025, 1, 1), None),), consequences=("shoe_size", "shoe_def")))
    text = reports.markdown(r, "nl")
    assert ("Doordat `shoe_rule` = ja, worden in deze periode nooit gebruikt: de vragen `shoe_size`; en de "
            "definities en parameters `shoe_def`") in text
    strike = reports.to_json(r, "nl")["summary"]["strike"]  # type: ignore[index]
    # the form asks it of everyone, though no rule reads it then
    assert [(s["category"], s["subject"], s["domain_share"]) for s in strike] == [("question", "shoe_size", 1.0)]


def test_the_proposed_text_is_coloured_by_the_editors_grammar(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # issue 16: one TextMate grammar for the editor, the playground and the reports
    html = _write(tmp_path, "html")
    pre = html[html.index('<pre class="rules">'):]
    pre = pre[:pre.index("</pre>")]
    # the struck requirement: its `-` kept, then its words coloured as the editor colours them
    assert '<span class="del">-<span class="tok-keyword">requirement</span>' in pre
    assert '<span class="tok-string">&quot;18 jaar of ouder&quot;</span>' in pre or \
        '<span class="tok-string">"18 jaar of ouder"</span>' in pre
    # the unified diff's header lines stay plain text
    assert re.search(r"^--- ", pre.split(">", 1)[1], re.M)


def test_the_dutch_evidence_of_a_registry_binding_is_dutch(tmp_path: Path) -> None:
    """`Bewezen uit` in a Dutch report is followed by Dutch words: what a registry holds, whether
    the fact is a judgement, the type of an input, a yes/no parameter (report._because)."""
    from eenvoud.analysis.registries import holding
    from eenvoud.analysis.report import _because
    from eenvoud.dsl.load import load

    rules = tmp_path / "t.rules"
    rules.write_text('regulation t "T"\n'
                     'input wages : money €0.00.. "Loon" from POLISADMINISTRATIE for next 12 months judged\n'
                     'input age : int 0..130 "Leeftijd" from BRP\n'
                     'requirement low "Laag loon": wages <= €1_000\n', encoding="utf-8")
    reg = load(rules)
    judged = holding(reg.input_map["wages"])
    assert judged is not None and "judgement" in judged.reason
    said = _because(judged.reason, reg, "nl")
    assert said.startswith("`wages` over de komende 12 maanden") and "oordeel" in said and "holds" not in said
    assert _because("BRP holds `age`", reg, "nl") == "BRP heeft `age`"
    assert _because("domain of `age`", reg, "nl").startswith("het gegeven `age` is van het type")
    assert _because("low", reg, "nl") == "voorwaarde `low`: Laag loon"
    assert _because("flag = yes", reg, "nl") == "`flag` = ja"
    assert _because("BRP holds `age`", reg, "en") == "BRP holds `age`"  # English stays English
