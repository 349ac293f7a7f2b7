"""What the browser tests share (imported by conftest.py and the tests, under a name of its own: a
test module importing `conftest` gets whichever conftest.py pytest loaded last)."""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EENVOUD_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "out" / "screenshots"
TIMEOUT_MS = 60_000  # a busy 2-core machine: a page or an answer may take seconds
# Chromium's switches: headless, no sandbox (a container), and nothing that goes on the network by itself
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools"}


def need_browser() -> None:
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
        """No request left the loopback, and no script of the page failed."""
        assert self.blocked == [], f"the page asked the network for {self.blocked}"
        assert not [c for c in self.console if c.startswith("pageerror")], self.console
