"""However a valid rule file is broken, the checker answers with its own diagnostics or accepts
it; never with another exception (a traceback is a bug, whatever the input).

Valid files (the shipped rules and the good test cases) are mutated by deleting, duplicating,
swapping and replacing tokens and characters. What still checks must also format, and run its
tests, without an exception other than the engine's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from eenvoud.diagnostics import RuleError, render_all
from eenvoud.dsl.load import Loader
from eenvoud.dsl.parser import parse
from eenvoud.engine.decision import Engine
from eenvoud.engine.runner import run_tests
from eenvoud.engine.values import EvaluationError
from eenvoud.ir import printer
from eenvoud.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "rules").rglob("*.rules")) + sorted(
    (ROOT / "tests" / "dsl" / "cases" / "good").rglob("*.rules")
)
TEXTS = {p: p.read_text(encoding="utf-8") for p in SOURCES}

TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|€?[0-9][0-9_.]*%?|[0-9]{4}-[0-9]{2}-[0-9]{2}'
    r"|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|=>|\.\.|\S"
)
# characters a drafter's typo or a broken editor could plausibly bring
ODD = list("\"'{}()[]:,.=<>+-*/%€$#|_\\\t\n 0123456789aZé") + ["\u00a0", "\ufeff", "\u200b", "\x00"]


@dataclass(frozen=True)
class Mutation:
    kind: str
    a: int
    b: int
    char: str


def tokens(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN.finditer(text)]


def mutate(text: str, m: Mutation) -> str:
    toks = tokens(text)
    if not toks or not text:
        return text + m.char
    i, j = m.a % len(toks), m.b % len(toks)
    (s1, e1), (s2, e2) = toks[i], toks[j]
    c1, c2 = m.a % len(text), m.b % len(text)
    match m.kind:
        case "delete_token":
            return text[:s1] + text[e1:]
        case "duplicate_token":
            return text[:e1] + " " + text[s1:e1] + text[e1:]
        case "swap_tokens":
            if s1 > s2:
                (s1, e1), (s2, e2) = (s2, e2), (s1, e1)
            if e1 > s2 or (s1, e1) == (s2, e2):
                return text
            return text[:s1] + text[s2:e2] + text[e1:s2] + text[s1:e1] + text[e2:]
        case "replace_token":
            return text[:s1] + text[s2:e2] + text[e1:]
        case "delete_line":
            lines = text.split("\n")
            del lines[m.a % len(lines)]
            return "\n".join(lines)
        case "delete_char":
            return text[:c1] + text[c1 + 1:]
        case "insert_char":
            return text[:c1] + m.char + text[c1:]
        case "swap_chars":
            lo, hi = sorted((c1, c2))
            if lo == hi:
                return text
            return text[:lo] + text[hi] + text[lo + 1:hi] + text[lo] + text[hi + 1:]
        case "truncate":
            return text[:c1]
    raise AssertionError(m.kind)


mutations = st.builds(
    Mutation,
    st.sampled_from(["delete_token", "duplicate_token", "swap_tokens", "replace_token", "delete_line",
                     "delete_char", "insert_char", "swap_chars", "truncate"]),
    st.integers(0, 100_000),
    st.integers(0, 100_000),
    st.sampled_from(ODD),
)


def test_there_are_files_to_mutate() -> None:
    assert len(SOURCES) >= 3


@settings(max_examples=250)
@given(st.sampled_from(SOURCES), st.lists(mutations, min_size=1, max_size=3))
def test_a_mutated_file_gets_diagnostics_or_checks(path: Path, steps: list[Mutation]) -> None:
    text = TEXTS[path]
    for m in steps:
        text = mutate(text, m)
    source = SourceFile.from_text(path.relative_to(ROOT).as_posix(), text)
    try:
        # loaded as if it stood at its own place, so that its imports resolve
        reg = Loader().load_source(source, path.resolve())
    except RuleError as exc:
        assert exc.diagnostics, "a RuleError without a diagnostic"
        rendered = render_all(exc.diagnostics)
        assert "Traceback" not in rendered
        for d in exc.diagnostics:
            assert d.code.startswith("E")
        return
    # it still checks: it must format to text that parses to the same file, and run its tests
    parsed = parse(source)
    again = parse(SourceFile.from_text("<formatted>", printer.regulation(parsed.regulation, parsed.comments)))
    assert again.regulation == parsed.regulation
    try:
        run_tests(reg, Engine())  # a fresh engine: the default one keeps every program it compiled
    except EvaluationError:
        pass


def test_mutation_helpers_change_the_text() -> None:
    text = 'regulation t "x"\ninput a : bool\n'
    assert mutate(text, Mutation("delete_token", 0, 0, "")) == ' t "x"\ninput a : bool\n'
    assert mutate(text, Mutation("swap_tokens", 0, 1, "")) == 't regulation "x"\ninput a : bool\n'
    assert mutate(text, Mutation("insert_char", 1, 0, "€")) == 'r€egulation t "x"\ninput a : bool\n'
