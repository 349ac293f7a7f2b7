"""The browser tests: the real server (`eenvoud serve` on a free loopback port) and a real headless
Chromium, Debian's (`.ci/chromium.sh` installs it), driven by Playwright for Python.

Every request the pages make to anything but the loopback server is aborted and recorded; each
test asserts that none was attempted: the pages work with the network off. Screenshots of each
state go to out/screenshots/<test>/ (ignored by git).

Without Chromium the tests are skipped, and say why; with CI=true a missing browser is a failure.
Tests wait for states of the DOM (Playwright's auto-waiting, with generous timeouts for a busy
machine), never for a fixed time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARGS, CHROMIUM, ROOT, SHOTS, TIMEOUT_MS, Offline, Server, free_port, need_browser


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`eenvoud serve --rules rules/` as a drafter starts it, its decisions kept in a temporary folder."""
    need_browser()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("EENVOUD_API_KEYS", "EENVOUD_API_KEY_FILE")}
    env["EENVOUD_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    log = (tmp_path_factory.mktemp("server") / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "eenvoud.cli", "serve", "--rules", "rules", "--port", str(port)],
        cwd=ROOT, env=env, text=True, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a start that will happen: on a busy machine loading rules/ takes a while
    try:
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"eenvoud serve stopped: {log.read()}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("eenvoud serve did not answer /health within 300 s") from None
                time.sleep(0.2)  # polling the server's start, not waiting for the page
        yield Server(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


# -- the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def offline(browser: Any) -> Iterator[tuple[Any, Offline]]:
    """A fresh page (1400 x 900) with the network off; at the end, no external request was tried."""
    net = Offline()
    context = browser.new_context(viewport={"width": 1400, "height": 900}, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", net.route)
    page = context.new_page()
    page.on("console", lambda m: net.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: net.console.append(f"pageerror: {e}"))
    try:
        yield page, net
        net.assert_none_external()
    finally:
        context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """out/screenshots/<test>/: the screenshots of this test's states (ignored by git)."""
    folder = SHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
