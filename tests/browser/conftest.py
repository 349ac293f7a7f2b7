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
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EENVOUD_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "out" / "screenshots"
TIMEOUT_MS = 60_000  # a busy 2-core machine: a page or an answer may take seconds
# never Playwright's own browser download; Chromium as the brief of .ci/chromium.sh says
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools"}


def _need_browser() -> None:
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright for Python is not installed (pip install -e '.[dev]')"
        else:
            return
    else:
        reason = f"no Chromium at {CHROMIUM} (.ci/chromium.sh installs Debian's chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


# -- the server ------------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`eenvoud serve --rules rules/` as a drafter starts it, its decisions kept in a temporary folder."""
    _need_browser()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("EENVOUD_API_KEYS", "EENVOUD_API_KEY_FILE")}
    env["EENVOUD_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    log = (tmp_path_factory.mktemp("server") / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "eenvoud.cli", "serve", "--rules", "rules", "--port", str(port)],
        cwd=ROOT, env=env, text=True, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
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
                    raise AssertionError("eenvoud serve did not answer /health within 90 s") from None
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
    _need_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Offline:
    """A browser context in which every request off the loopback is aborted and recorded."""

    blocked: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlparse(url)
        if parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def assert_none_external(self) -> None:
        assert self.blocked == [], f"the page asked the network for {self.blocked}"


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
