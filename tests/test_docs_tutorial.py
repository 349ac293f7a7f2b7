"""Every rule block in the drafter's tutorial checks clean, and its tests pass as the text says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eenvoud.dsl.load import load_text
from eenvoud.engine.runner import run_tests

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
BLOCKS = re.findall(r"```rules\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), re.S)


def test_the_tutorial_has_rule_blocks() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_checks_clean_and_its_tests_pass(index: int) -> None:
    reg = load_text(BLOCKS[index], f"docs/tutorial.md#block{index + 1}")
    results = run_tests(reg)
    assert [r.failures for r in results if not r.passed] == []
