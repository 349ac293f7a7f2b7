"""The screenshots of docs/tutorial.md, section 7, made by walking its steps in the playground: an
empty file, a misspelt name and its diagnostic, a hover, the whole sportpas decided, its tests, its
analysis with a witness, and the analyzer's report of the same file.

With EENVOUD_UPDATE_SCREENSHOTS=1 the PNGs are written into docs/tutorial/ (review and commit
them); otherwise into out/screenshots/ (ignored by git), so that `make test` leaves the checkout
clean, and the committed PNGs must exist, each one named in the tutorial."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from browser_support import ROOT, Offline, Server
from playwright.sync_api import expect

TUTORIAL = ROOT / "docs" / "tutorial.md"
PICTURES = ROOT / "docs" / "tutorial"
UPDATE = os.environ.get("EENVOUD_UPDATE_SCREENSHOTS") == "1"
NAMES = ["playground-start.png", "playground-diagnostic.png", "playground-hover.png", "playground-decision.png",
         "playground-tests.png", "playground-analysis.png", "report.png"]
ANALYSIS_MS = 180_000

# the first lines of the sportpas, with the name misspelt at the end of the last line
DRAFT = '''regulation sportpas "Verordening sportpas (voorbeeld)"

input household_income : money €0.00.. "Netto maandinkomen van het huishouden" from BRI

parameter income_limit : money "Inkomensgrens per maand (art. 2)"
  2025-01-01: €1_850.00 source "Besluit sportpas 2025, art. 1"

'''
TYPED = 'requirement low_income "Laag inkomen" article "Art. 2": household_incom <= income_limit'


def whole_file() -> str:
    """The tutorial's whole sportpas: the rules block of section 7."""
    section = TUTORIAL.read_text(encoding="utf-8").split("\n## 7.", 1)[1]
    match = re.search(r"```rules\n(.*?)```", section, re.S)
    assert match, "section 7 of the tutorial has the whole file"
    return match.group(1)


def test_the_tutorials_screenshots(server: Server, offline: tuple[Any, Offline], shots: Path,
                                   tmp_path: Path) -> None:
    page, net = offline
    out = PICTURES if UPDATE else shots
    out.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    editor = page.locator("#editor")

    # the playground as it opens: the zorgtoeslag
    page.goto(f"{server.url}/playground")
    expect(page.locator("#no-errors")).to_be_visible()
    expect(page.locator("#facts .fact")).to_have_count(7)
    page.locator("#date").fill("2025-01-01")
    page.locator("#date").blur()
    page.screenshot(path=str(out / "playground-start.png"))

    # a new file, the first lines, and a misspelt name typed
    page.locator("#file").select_option("(a new file)")
    expect(editor).to_have_value("")
    expect(page.locator("#diagnostics .diagnostic.error")).to_have_count(1)
    editor.fill(DRAFT)
    expect(page.locator("#no-errors")).to_be_visible()
    page.evaluate("() => window.playground.goTo(99, 1)")
    page.keyboard.type(TYPED)
    diagnostic = page.locator("#diagnostics .diagnostic.error")
    expect(diagnostic).to_contain_text("household_incom")
    expect(diagnostic).to_contain_text("did you mean `household_income`")
    page.screenshot(path=str(out / "playground-diagnostic.png"))

    # fixed; the input's label on hover
    page.evaluate("col => window.playground.goTo(8, col)", TYPED.index("household_incom") + len("household_incom") + 1)
    page.keyboard.type("e")
    expect(page.locator("#no-errors")).to_be_visible()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    point = page.evaluate("() => window.playground.pointAt(3, 10)")  # on `household_income`
    page.mouse.move(point["x"], point["y"])
    expect(page.locator("#tooltip")).to_contain_text("Netto maandinkomen van het huishouden")
    expect(page.locator("#tooltip")).to_contain_text("from BRI")
    page.screenshot(path=str(out / "playground-hover.png"))
    page.mouse.move(5, 5)
    expect(page.locator("#tooltip")).to_be_hidden()

    # the whole file: the facts form, a case decided
    editor.fill(whole_file())
    expect(page.locator("#no-errors")).to_be_visible()
    expect(page.locator("#facts .fact")).to_have_count(5)
    expect(page.locator("#date")).to_have_value("2025-01-01")
    page.locator("#fact-child_age").fill("10")
    page.locator("#fact-household_income").fill("1850.00")
    page.locator("#fact-club_fee").fill("180.00")
    page.locator("#fact-lives_in_municipality").click()
    page.locator("#fact-foster_child").click()
    page.locator("#fact-foster_child").click()
    expect(page.locator("#fact-foster_child")).not_to_be_checked()
    page.locator("#decide").click()
    expect(page.locator("#outcome")).to_have_text("eligible")
    expect(page.locator("#decision table.amounts")).to_contain_text("162.00")
    expect(page.locator("#explanation")).to_contain_text("Art. 2 lid 2")
    page.locator("#facts").scroll_into_view_if_needed()
    page.locator("#decide").scroll_into_view_if_needed()
    page.screenshot(path=str(out / "playground-decision.png"))

    # the tests
    page.locator("#run-tests").click()
    expect(page.locator("#test-summary")).to_have_text("3 passed, 0 failed")
    page.locator("#tests-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(out / "playground-tests.png"))

    # the analysis: the payslips ask for what the BRI holds; the witness one click away
    page.locator("#facts-panel summary").click()  # folded: the analysis in view
    page.locator("#analyze").click()
    expect(page.locator("#analysis-summary")).to_be_visible(timeout=ANALYSIS_MS)
    finding = page.locator('#findings .finding[data-kind="registry_data_requested"]').first
    expect(finding).to_contain_text("household_income")
    finding.locator(".show-witness").click()
    expect(finding.locator(".witness")).to_be_visible()
    expect(finding.locator(".witness")).to_contain_text("household_income")
    page.locator("#analysis-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(out / "playground-analysis.png"))
    net.assert_none_external()

    # the analyzer's report of the same file, from file://
    rules = tmp_path / "sportpas.rules"
    rules.write_text(whole_file(), encoding="utf-8")
    report = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "eenvoud.cli", "analyze", str(rules), "--out", str(report),
                           "--lang", "en"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert report.is_file(), done.stderr
    page.goto(report.as_uri())
    expect(page.locator("#strike")).to_be_visible()
    expect(page.locator("figure svg").first).to_be_visible()
    page.screenshot(path=str(out / "report.png"))

    text = TUTORIAL.read_text(encoding="utf-8")
    for name in NAMES:
        assert (out / name).stat().st_size > 10_000, name
        assert f"(tutorial/{name})" in text, f"docs/tutorial.md does not show {name}"
    committed = sorted(p.name for p in PICTURES.glob("*.png"))
    assert committed == sorted(NAMES), (
        "docs/tutorial/ holds other screenshots than the tutorial shows: run "
        "EENVOUD_UPDATE_SCREENSHOTS=1 pytest tests/browser/test_browser_tutorial.py and commit docs/tutorial/")
    net.assert_none_external()
