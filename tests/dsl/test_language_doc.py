"""Every example in docs/language.md is what the page says it is: a `rules` block parses, a
`rules complete` block checks clean and its tests pass, a `rules error CODE` block is rejected
with that code and, when a `text` block follows it, with exactly that output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from eenvoud.diagnostics import RuleError, render_all
from eenvoud.dsl.check import KEYWORDS
from eenvoud.dsl.load import load_text
from eenvoud.dsl.parser import parse_text
from eenvoud.engine.runner import run_tests
from eenvoud.ir.checked import FUNCTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"
TEXT = DOC.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(rules[^\n]*)\n(.*?)^```\n(?:\s*^```text\n(.*?)^```\n)?", re.S | re.M)
HEADER = re.compile(r"^\s*(#[^\n]*\n|\s)*(regulation|module|event)\b")


@dataclass(frozen=True)
class Block:
    line: int
    kind: str  # "parse" | "complete" | "error"
    code: str | None
    text: str
    output: str | None


def _blocks() -> list[Block]:
    out = []
    for m in FENCE.finditer(TEXT):
        info = m.group(1).split()
        kind = {1: "parse"}.get(len(info), info[1] if len(info) > 1 else "parse")
        assert kind in ("parse", "complete", "error"), f"unknown block kind: {m.group(1)}"
        out.append(Block(TEXT.count("\n", 0, m.start()) + 1, kind, info[2] if kind == "error" else None,
                         m.group(2), m.group(3)))
    return out


BLOCKS = _blocks()


def whole(block: Block) -> str:
    return block.text if HEADER.match(block.text) else "regulation example\n" + block.text


def test_the_reference_has_examples_of_every_kind() -> None:
    kinds = [b.kind for b in BLOCKS]
    assert kinds.count("complete") >= 15 and kinds.count("error") >= 5 and kinds.count("parse") >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"line{b.line}-{b.kind}")
def test_example(block: Block) -> None:
    text = whole(block)
    match block.kind:
        case "parse":
            parse_text(text, "example.rules")
        case "complete":
            reg = load_text(text, "example.rules")
            failures = [(r.test.name, r.failures) for r in run_tests(reg) if not r.passed]
            assert failures == []
        case "error":
            with pytest.raises(RuleError) as exc:
                load_text(text, "example.rules")
            assert block.code in {d.code for d in exc.value.diagnostics}, render_all(exc.value.diagnostics)
            if block.output is not None:
                assert render_all(exc.value.diagnostics) + "\n" == block.output


def test_every_diagnostic_code_of_the_checker_is_listed() -> None:
    root = DOC.parents[1] / "eenvoud"
    codes = set()
    for path in root.rglob("*.py"):
        codes |= set(re.findall(r'"(E\d{4})"', path.read_text(encoding="utf-8")))
    listed = set(re.findall(r"^\| `(E\d{4})` \|", TEXT, re.M))
    assert codes - listed == set(), "codes the reference does not explain"
    assert listed - codes == set(), "codes the reference lists but nothing raises"


def test_every_function_and_reserved_word_is_documented() -> None:
    for f in FUNCTIONS:
        assert f"`{f}(" in TEXT, f
    for word in KEYWORDS:
        assert f"`{word}`" in TEXT, word


def test_ranges_are_written_as_fmt_writes_them() -> None:
    """`..` in the docs as `eenvoud fmt` writes it: a bracket row with a space on each side
    (`| 18 .. 67 => €100.00`), a domain without (`int 0..130`)."""
    from eenvoud.ir import printer

    tutorial = DOC.parent / "tutorial.md"
    for text in (TEXT, tutorial.read_text(encoding="utf-8")):
        for m in FENCE.finditer(text):
            if "error" in m.group(1):
                continue
            body = m.group(2)
            parsed = parse_text(body if HEADER.match(body) else "regulation example\n" + body)
            printed = {line.strip() for line in printer.regulation(parsed.regulation, parsed.comments).splitlines()}
            for line in body.splitlines():
                if line.strip().startswith("|"):
                    assert line.strip() in printed, f"a bracket row not as fmt writes it: {line.strip()}"
                elif line.strip().startswith("input "):
                    domain = line.split('"')[0]
                    assert not re.search(r"[0-9%] \.\.|\.\. [0-9€-]", domain), line
