"""docs/audit.md: its ```bash blocks run, in order, in one shell, against a store in a temporary
data folder with a test key and the shipped rules; each must exit 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.audit.conftest import KEY

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "audit.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def test_the_commands_in_docs_audit_md_run(tmp_path: Path) -> None:
    blocks = [m.group(2) for m in FENCE.finditer(DOC.read_text(encoding="utf-8")) if m.group(1) == "bash"]
    assert len(blocks) >= 3
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "EENVOUD_DATA_DIR": str(tmp_path / "data"), "EENVOUD_FACTS_KEY": KEY}
    env.pop("EENVOUD_DATABASE_URL", None)
    script = "set -euo pipefail\n" + "\n".join(blocks)
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "identical" in done.stdout
    assert (tmp_path / "data" / "decisions.sqlite3").is_file()
