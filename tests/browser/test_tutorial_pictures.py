"""The tutorial's pictures are committed (without a browser too): every image docs/tutorial.md shows
is a PNG in docs/tutorial/, and every PNG there is shown. tests/browser/test_browser_tutorial.py
makes them again (EENVOUD_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_picture_of_the_tutorial_is_committed() -> None:
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\((tutorial/[^)]+)\)", text)
    assert len(shown) >= 7
    for ref in shown:
        picture = ROOT / "docs" / ref
        assert picture.is_file(), ref
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", ref
    assert sorted(p.name for p in (ROOT / "docs" / "tutorial").glob("*.png")) == sorted(Path(r).name for r in shown)
