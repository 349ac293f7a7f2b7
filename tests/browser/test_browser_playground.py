"""The playground (/playground) in a real browser with the network off: it loads the zorgtoeslag,
shows a diagnostic as you type and clears it when fixed, shows an input's label on hover, decides
a case from the facts form with its reasons, runs the tests, and shows the analyzer's findings with
a witness one click away. Each state is screenshot into out/screenshots/<test>/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from browser_support import Offline, Server
from playwright.sync_api import expect

ANALYSIS_MS = 180_000  # a Z3 run on a busy machine; the page asks again while it runs


def open_playground(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/playground")
    expect(page.locator("#file")).to_have_value("rijk/zorgtoeslag.rules")
    expect(page.locator("#no-errors")).to_be_visible()
    expect(page.locator("#facts .fact")).to_have_count(7)


def settle(page: Any) -> None:
    """Two animation frames: what the last change queued (a scroll event, a layout) has happened."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def line_of(page: Any, prefix: str) -> int:
    """The 1-based number of the first line of the editor's text that starts with `prefix`."""
    lines: list[str] = page.locator("#editor").input_value().split("\n")
    return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))


def test_playground_loads_offline(server: Server, offline: tuple[Any, Offline], shots: Path) -> None:
    page, net = offline
    open_playground(page, server)
    assert "regulation zorgtoeslag" in page.locator("#editor").input_value()
    # the highlighted layer and the editor hold the same text
    assert page.locator("#highlight").inner_text().rstrip("\n") == page.locator("#editor").input_value().rstrip("\n")
    expect(page.locator("#status")).to_contain_text("zorgtoeslag checks")
    page.screenshot(path=str(shots / "loaded.png"))
    assert not [c for c in net.console if c.startswith("error")], net.console  # no asset missing, no CSP refusal
    net.assert_none_external()


def test_a_typo_shows_a_diagnostic_and_fixing_it_clears_it(server: Server, offline: tuple[Any, Offline],
                                                           shots: Path) -> None:
    page, net = offline
    open_playground(page, server)
    line = line_of(page, "requirement")
    page.evaluate("line => window.playground.goTo(line, 1)", line)
    page.keyboard.type('requirement typo "Een tikfout" article "Art. 0": €0.00 <= incme\n')
    diagnostic = page.locator("#diagnostics .diagnostic.error")
    expect(diagnostic).to_have_count(1)
    expect(diagnostic).to_contain_text("incme")
    expect(diagnostic).to_contain_text("did you mean `income`")
    expect(diagnostic.locator(".where")).to_have_text(re.compile(rf"^{line}:\d+$"))
    expect(page.locator("#marks mark.error")).to_have_text("incme")
    expect(page.locator("#decide")).to_be_disabled()
    page.screenshot(path=str(shots / "diagnostic.png"))
    # the fix: "incme" becomes "income"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("End")
    for _ in range(3):
        page.keyboard.press("Backspace")
    page.keyboard.type("come")
    expect(page.locator("#no-errors")).to_be_visible()
    expect(page.locator("#diagnostics .diagnostic")).to_have_count(0)
    expect(page.locator("#marks mark")).to_have_count(0)
    expect(page.locator("#decide")).to_be_enabled()
    page.screenshot(path=str(shots / "fixed.png"))
    # another file: the edits are not dropped without asking
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.locator("#file").select_option("common/awir.rules")
    expect(page.locator("#file")).to_have_value("rijk/zorgtoeslag.rules")
    assert asked and "not saved" in asked[0]
    assert "requirement typo" in page.locator("#editor").input_value()
    page.once("dialog", lambda d: d.accept())
    page.locator("#file").select_option("common/awir.rules")
    expect(page.locator("#editor")).to_have_value(re.compile(r"module awir"))
    expect(page.locator("#no-errors")).to_be_visible()
    net.assert_none_external()


def test_hovering_an_input_shows_its_label(server: Server, offline: tuple[Any, Offline], shots: Path) -> None:
    page, net = offline
    open_playground(page, server)
    line = line_of(page, "input insured")
    page.evaluate("line => window.playground.reveal(line, 1)", line)
    settle(page)  # the scroll's event (which hides a tooltip) before the pointer moves
    point = page.evaluate("line => window.playground.pointAt(line, 9)", line)  # on `insured`
    page.mouse.move(point["x"], point["y"])
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_attribute("data-name", "insured")
    expect(tooltip).to_contain_text("Verzekerd voor de Zorgverzekeringswet")
    expect(tooltip).to_contain_text("bool")
    expect(tooltip).to_contain_text("from ZVW")
    page.screenshot(path=str(shots / "hover.png"))
    # the same for the text cursor, below the editor
    page.evaluate("line => window.playground.goTo(line, 9)", line)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#cursor-info")).to_contain_text("insured (input): Verzekerd voor de Zorgverzekeringswet")
    net.assert_none_external()


def test_the_facts_form_decides_with_reasons(server: Server, offline: tuple[Any, Offline], shots: Path) -> None:
    page, net = offline
    open_playground(page, server)
    page.locator("#date").fill("2025-01-01")
    page.locator("#fact-age").fill("30")
    page.locator("#fact-insured").click()  # unknown -> yes
    expect(page.locator("#fact-insured")).to_be_checked()
    page.locator("#fact-has_partner").click()  # unknown -> yes -> no
    page.locator("#fact-has_partner").click()
    expect(page.locator("#fact-has_partner")).not_to_be_checked()
    page.locator("#fact-income").fill("20000.00")
    page.locator("#fact-assets").fill("0.00")
    page.locator("#decide").click()
    expect(page.locator("#outcome")).to_have_text("eligible")
    expect(page.locator("#decision table.amounts")).to_contain_text("1573.00")
    expect(page.locator("#explanation li").first).to_be_visible()
    expect(page.locator("#explanation")).to_contain_text("Voldaan: De aanvrager is verzekerd")
    expect(page.locator('#reasons li[data-requirement="insured_zvw"]')).to_have_class(re.compile("holds"))
    page.screenshot(path=str(shots / "decided.png"))
    # an unknown income: undetermined, and the income is the question left
    page.locator('.fact[data-name="income"] .clear').click()
    page.locator("#decide").click()
    expect(page.locator("#outcome")).to_have_text("undetermined")
    expect(page.locator("#questions")).to_contain_text("income")
    page.screenshot(path=str(shots / "undetermined.png"))
    net.assert_none_external()


def test_running_the_tests_shows_the_counts(server: Server, offline: tuple[Any, Offline], shots: Path) -> None:
    page, net = offline
    open_playground(page, server)
    page.locator("#run-tests").click()
    summary = page.locator("#test-summary")
    expect(summary).to_have_text(re.compile(r"^\d+ passed, 0 failed$"))
    assert int(summary.inner_text().split()[0]) >= 10
    page.screenshot(path=str(shots / "tests.png"))
    net.assert_none_external()


def test_the_analysis_shows_a_finding_and_its_witness(server: Server, offline: tuple[Any, Offline],
                                                      shots: Path) -> None:
    page, net = offline
    open_playground(page, server)
    page.locator("#date").fill("2025-01-01")
    page.locator("#analyze").click()
    expect(page.locator("#analysis-summary")).to_be_visible(timeout=ANALYSIS_MS)
    findings = page.locator("#findings .finding")
    expect(findings.first).to_be_visible()
    first = findings.filter(has=page.locator(".show-witness")).first
    witness = first.locator(".witness")
    expect(witness).to_be_hidden()
    page.screenshot(path=str(shots / "findings.png"))
    first.locator(".show-witness").click()
    expect(witness).to_be_visible()
    expect(witness.locator("table.witness-facts tr").first).to_be_visible()
    assert witness.locator("table.witness-facts tr").count() >= 3
    expect(witness).to_contain_text("Outcome:")
    witness.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "witness.png"))
    # the witness decided in the form: the engine agrees with what the analyzer found
    witness.get_by_role("button", name="Decide this case").click()
    expect(page.locator("#outcome")).to_be_visible()
    net.assert_none_external()


FORMS = '''regulation forms "Every kind of input"
input work : one of {employed, retired} "Werksituatie"
input since : date "Sinds"
input share : percent 0%..100% "Deel"
input paid : money €0.00.. "Betaald"
input children : int 0..20 "Kinderen"
input resident : bool "Woont hier"
requirement r "R" article "1": resident and work == retired and since <= 2025-01-01 and share >= 50% and paid <= €100.00 and children >= 1
'''


def test_the_facts_form_has_a_control_for_each_type(server: Server, offline: tuple[Any, Offline], shots: Path) -> None:
    page, net = offline
    open_playground(page, server)
    page.locator("#file").select_option("(a new file)")
    expect(page.locator("#editor")).to_have_value("")
    page.locator("#editor").fill(FORMS)
    expect(page.locator("#no-errors")).to_be_visible()
    expect(page.locator("#facts .fact")).to_have_count(6)
    expect(page.locator("select#fact-work option")).to_have_text(["— unknown —", "employed", "retired"])
    expect(page.locator("#fact-since")).to_have_attribute("type", "date")
    for name, step in (("share", "any"), ("paid", "0.01"), ("children", "1")):
        expect(page.locator(f"#fact-{name}")).to_have_attribute("type", "number")
        expect(page.locator(f"#fact-{name}")).to_have_attribute("step", step)
    expect(page.locator("#fact-children")).to_have_attribute("max", "20")
    expect(page.locator("#fact-resident")).to_have_attribute("type", "checkbox")
    assert page.locator("#fact-resident").evaluate("box => box.indeterminate")  # unknown until answered
    page.locator("#date").fill("2025-01-01")
    page.locator("#fact-work").select_option("retired")
    page.locator("#fact-since").fill("2020-01-01")
    page.locator("#fact-share").fill("0.6")
    page.locator("#fact-paid").fill("50.00")
    page.locator("#fact-children").fill("2")
    page.locator("#decide").click()
    expect(page.locator("#outcome")).to_have_text("undetermined")
    expect(page.locator("#questions")).to_contain_text("resident")
    page.locator("#fact-resident").click()
    page.locator("#decide").click()
    expect(page.locator("#outcome")).to_have_text("eligible")
    page.screenshot(path=str(shots / "every-type.png"))
    # a value the input does not allow: the form says which, and why
    page.locator("#fact-children").fill("21")
    page.locator("#decide").click()
    expect(page.locator("#decision-problem")).to_contain_text("facts.children")
    net.assert_none_external()
