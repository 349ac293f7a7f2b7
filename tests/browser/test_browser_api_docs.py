"""/docs (Swagger UI) and /redoc render in a real browser with the network off: the operations are
in the DOM, and not one request left the loopback (tests/api/test_api_docs.py checks the asset URLs;
this checks that the pages work)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser_support import Offline, Server
from playwright.sync_api import expect


def test_swagger_ui_renders_offline(server: Server, offline: tuple[Any, Offline], shots: Path) -> None:
    page, net = offline
    page.goto(f"{server.url}/docs")
    # the operations list, built by Swagger UI's script from /openapi.json
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Eenvoud eligibility API")
    operations = page.locator(".opblock .opblock-summary-path")
    expect(operations.first).to_be_visible()
    expect(page.locator('.opblock-summary-path[data-path="/regulations/{regulation_id}/eligibility"]')).to_have_count(1)
    assert operations.count() >= 8
    page.screenshot(path=str(shots / "docs.png"))
    # an operation opens, with its request body's example
    page.locator('.opblock-post .opblock-summary-path[data-path="/regulations/{regulation_id}/eligibility"]').click()
    expect(page.locator(".opblock.is-open .body-param__example, .opblock.is-open .highlight-code").first).to_be_visible()
    page.screenshot(path=str(shots / "docs-operation.png"))
    net.assert_none_external()


def test_redoc_renders_offline(server: Server, offline: tuple[Any, Offline], shots: Path) -> None:
    page, net = offline
    page.goto(f"{server.url}/redoc")
    expect(page.locator("h1").first).to_contain_text("Eenvoud eligibility API")
    # the side menu lists the tags and their operations; the body has each operation's heading
    expect(page.locator('[role="menuitem"]').first).to_be_visible()
    expect(page.get_by_text("decide one case: eligibility, amounts, reasons and the questions still open").first).to_be_attached()
    assert page.locator('[role="menuitem"]').count() >= 8
    page.screenshot(path=str(shots / "redoc.png"))
    net.assert_none_external()
