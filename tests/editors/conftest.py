"""The VS Code extension, built once per session by .ci/vscode.sh (`npm ci`, `vsce package`).

Without npm the editors' tests that need node are skipped, saying why; with CI=true that is a
failure instead (as .ci/postgres.sh does for the decision store's tests): CI skips nothing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
VSIX = EXTENSION / "dist" / "eenvoud.vsix"
BUILD = ROOT / ".ci" / "vscode.sh"


def _without(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: the VS Code extension and its tests must not be skipped)")
    pytest.skip(f"{what}: the VS Code extension is not built and its tests are skipped (CI=true makes this a failure)")


@pytest.fixture(scope="session")
def node() -> str:
    """The node command: the highlighter of the browser (eenvoud/api/static/highlight.js) runs on it."""
    found = shutil.which("node")
    if found is None:
        _without("node is not installed")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def vscode_extension(node: str) -> Path:
    """editors/vscode with its npm packages installed and dist/eenvoud.vsix built (by .ci/vscode.sh,
    which does nothing when both are up to date)."""
    if shutil.which("npm") is None:
        _without("npm is not installed")
    (EXTENSION / "dist").mkdir(exist_ok=True)
    # two pytest workers build it once: the second waits for the first
    with open(EXTENSION / "dist" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = subprocess.run([str(BUILD)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f".ci/vscode.sh failed:\n{run.stderr}"
    assert VSIX.is_file(), f".ci/vscode.sh built no {VSIX.relative_to(ROOT)} although npm is installed:\n{run.stderr}"
    assert (EXTENSION / "node_modules" / "vscode-textmate").is_dir(), run.stderr
    return EXTENSION
