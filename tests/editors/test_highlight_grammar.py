"""The TextMate grammar of the rules language, held to the language's own lexer.

Every shipped rule file is tokenized by vscode-textmate (as VS Code does, through
editors/vscode/test/tokenize.js) and by lark with the contextual lexer of eenvoud/dsl/grammar.lark;
each lark token must be scoped as what it is (a keyword of grammar.lark as a keyword, a type word as
a type, money, dates, percentages and numbers as constant.numeric, texts as strings, comments as
comments, declared names as their declarations), white space must be plain, and nothing invalid.
eenvoud/dsl/highlight.py and eenvoud/api/static/highlight.js must tokenize as vscode-textmate does.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lark import Lark, Token

from eenvoud.dsl import highlight as hl
from eenvoud.ir.checked import DECISION_VALUES, FUNCTIONS
from tests.editors.conftest import EXTENSION, ROOT

GRAMMAR_JSON = EXTENSION / "syntaxes" / "eenvoud.tmLanguage.json"
LARK = ROOT / "eenvoud" / "dsl" / "grammar.lark"
BROWSER = ROOT / "eenvoud" / "api" / "static" / "highlight.js"
RULE_FILES = sorted((ROOT / "rules").rglob("*.rules"))
# every construct of the language once, and what is not valid (an unterminated text, a stray sign)
SAMPLE = '''# a comment with "quotes" and € signs
regulation sample "Voorbeeld" agency "Gemeente" source "https://example.org/a#b"
import "common/person.rules"
input age : int 0..130 "Leeftijd" from BRP on decision date
input income : money "Inkomen" from BRI for year - 2 judged
input wages : money -€10.50..€1_000_000 "Loon" from UWV for past 12 months
input plan : one of {rent, own,} "Wonen" from BRP until decision date
input next_wages : money "Loon" from UWV for next 3 months
input rate_in : percent 0%..100% "Deel"
parameter limit : money "Grens"
  2025-01-01: €1_234.56 source "Stcrt. 2024, 1"
bracket band : decimal "Band" on age
  2025-01-01: source "Tabel"
  | ..18 => 0.5
  | 18.. => -1.25
define adult : bool "Volwassen" = age >= 18 and not (income > limit) or age in {18, 19}
define share : decimal = if adult then round(income * 13.5% / 12, 2) else max(0, 1) - abs(-1)
define start : date = first_day_of_next_month(add_years(reference_date, 18))
MONTH_SUM
requirement old "Oud" article "Art. 1 lid 2": adult implies age != 17 unless age == 16 label "Uitzondering"
amount paid : money "Betaald" article "Art. 3" = limit
document proof "Bewijs" provides income, age required when adult
test "een test" on 2025-01-01 source "Berekend"
  given age = 30, income = €0, plan = rent, adult = true
  expect eligible, paid = €1_234.56
  expect not eligible, undetermined, missing {income}
property "altijd" on 2025-01-01: eligible implies adult <= true
define bad = 'x' $ "unterminated
'''


def lark_keywords() -> set[str]:
    """Every word written in quotes in grammar.lark: the language's keywords."""
    text = re.sub(r"//[^\n]*", "", LARK.read_text(encoding="utf-8"))
    return set(re.findall(r'"([a-z]+)"', text))


# the sum over the months of a year, where the grammar has it
SAMPLE = SAMPLE.replace("MONTH_SUM\n", "define months_paid : money = sum for each month m in the year of reference_date: limit\n"
                        if "each" in lark_keywords() else "")


# -- the grammar's copies ----------------------------------------------------------------------------


def test_the_package_ships_the_editors_grammar_byte_for_byte() -> None:
    assert (ROOT / "eenvoud" / "dsl" / "eenvoud.tmLanguage.json").read_bytes() == GRAMMAR_JSON.read_bytes(), (
        "run python editors/vscode/sync_grammar.py")


def test_the_browser_highlighter_embeds_the_same_grammar() -> None:
    js = BROWSER.read_text(encoding="utf-8")
    m = re.search(r"\n  var GRAMMAR = (.*);\n  // END GRAMMAR\n", js)
    assert m is not None
    assert json.loads(m.group(1)) == json.loads(GRAMMAR_JSON.read_text(encoding="utf-8")), (
        "run python editors/vscode/sync_grammar.py")


def test_every_rule_is_a_match_in_the_shared_subset_of_regular_expressions() -> None:
    """No begin/end rules (highlight.py and highlight.js follow single-line matches only), and no
    construct that Python's re, JavaScript and Oniguruma read differently."""
    grammar = json.loads(GRAMMAR_JSON.read_text(encoding="utf-8"))
    rules = list(hl._rules(grammar))
    assert len(rules) > 30
    for rule in rules:
        src = rule.regex.pattern
        for construct in (r"\h", r"\G", r"\A", r"\z", r"\Z", r"\w", r"\W", r"\d", "(?i", "(?x", "(?<", "++", "*+", "?+"):
            assert construct not in src, (construct, src)
        assert not rule.regex.match(""), f"a rule that matches nothing: {src}"


# -- the keywords of grammar.lark ---------------------------------------------------------------------


TYPE_WORDS = {"bool", "int", "decimal", "percent", "money", "date", "one"}
CONSTANT_WORDS = {"true", "false"}


def expected_keyword_scope(word: str, previous: str | None) -> str:
    """The scope (prefix) a keyword of grammar.lark must have: types are storage.type, `true` and
    `false` constant.language, every other word a keyword (`date` of `decision date` a keyword too)."""
    if word in CONSTANT_WORDS:
        return "constant.language."
    if (word in TYPE_WORDS and not (word == "date" and previous == "decision")) or (word == "of" and previous == "one"):
        return "storage.type."
    return "keyword."


def test_every_keyword_of_grammar_lark_is_scoped_on_its_own() -> None:
    words = sorted(lark_keywords())
    assert {"regulation", "requirement", "unless", "judged", "months", "undetermined"} <= set(words)
    tokens = hl.tokenize("\n".join(words))
    for word, line in zip(words, tokens, strict=True):
        assert [(t.start, t.end) for t in line] == [(0, len(word))], word
        inner = line[0].scopes[-1]
        assert inner.startswith(expected_keyword_scope(word, None)), (word, inner)


# -- lark's tokens against the TextMate scopes ---------------------------------------------------------


@dataclass(frozen=True)
class LarkToken:
    kind: str  # a keyword ("input"), a sign ("=>"), or a terminal (NAME, MONEY, COMMENT, ...)
    line: int  # 0-based
    start: int
    end: int


def _lark() -> tuple[Lark, list[Token]]:
    comments: list[Token] = []
    parser = Lark(LARK.read_text(encoding="utf-8"), parser="lalr", keep_all_tokens=True,
                  lexer_callbacks={"COMMENT": comments.append})
    return parser, comments


_PARSER = _lark()


def lark_tokens(text: str) -> list[LarkToken]:
    """The tokens of lark's contextual lexer as the parser took them (with every keyword and sign:
    keep_all_tokens), and the comments, as the checker sees them."""
    parser, comments = _PARSER
    comments.clear()
    tree = parser.parse(text)
    out = []
    for tok in [*tree.scan_values(lambda v: isinstance(v, Token)), *comments]:
        pattern = parser.get_terminal(tok.type).pattern
        kind = pattern.value if pattern.type == "str" else tok.type
        value = str(tok).rstrip("\r\n")
        assert tok.line is not None and tok.column is not None
        out.append(LarkToken(kind, tok.line - 1, tok.column - 1, tok.column - 1 + len(value)))
    return sorted(out, key=lambda t: (t.line, t.start))


Scopes = tuple[str, ...]
TokenLines = list[list[tuple[int, int, Scopes]]]


def per_char(lines: TokenLines, text: str) -> list[list[Scopes]]:
    """The scopes of every character, line by line (a token list covers its whole line)."""
    out = []
    for raw, tokens in zip(re.split(r"\r\n|\r|\n", text), lines, strict=True):
        chars: list[Scopes] = [()] * len(raw)
        for start, end, scopes in tokens:
            for i in range(start, end):
                chars[i] = tuple(scopes)
        out.append(chars)
    return out


SIGNS_OPERATOR = {"=", "=>", "..", "-", "+", "*", "/", "==", "!=", "<=", ">=", "<", ">"}
NUMERIC = {"MONEY": "constant.numeric.money", "PERCENT": "constant.numeric.percent", "DATE": "constant.numeric.date",
           "DECIMAL_NUMBER": "constant.numeric.decimal", "INT": "constant.numeric.integer"}
DECLARES = {"input": "variable.parameter.", "regulation": "entity.name.namespace.", "module": "entity.name.namespace.",
            "event": "entity.name.namespace.", "from": "entity.name.type.registry.",
            **{w: "entity.name.function." for w in ("parameter", "bracket", "define", "requirement", "amount", "document")}}


def expected_scope(tok: LarkToken, previous: LarkToken | None, text: str) -> str:
    prev = previous.kind if previous is not None and previous.line == tok.line else None
    if tok.kind.isalpha() and tok.kind.islower():
        return expected_keyword_scope(tok.kind, prev)
    if tok.kind in NUMERIC:
        return NUMERIC[tok.kind]
    if tok.kind == "STRING":
        return "string.quoted."
    if tok.kind == "COMMENT":
        return "comment.line."
    if tok.kind == "NAME":
        if text in DECISION_VALUES:
            return "keyword."  # `eligible` in a property: the decision, the word of `expect eligible`
        if prev in DECLARES:
            return DECLARES[prev]
        return "variable." if text not in hl_functions() else "support.function."
    if tok.kind in SIGNS_OPERATOR or tok.kind in {"CMP_OP", "ADD_OP", "MUL_OP"}:
        return "keyword.operator."
    return "punctuation."


def hl_functions() -> set[str]:
    return set(FUNCTIONS)


def problems(text: str, lines: TokenLines) -> Iterator[str]:
    """What the TextMate tokens get wrong, against lark's tokens of the same text."""
    chars = per_char(lines, text)
    raw = re.split(r"\r\n|\r|\n", text)
    covered = [[False] * len(line) for line in raw]
    previous: LarkToken | None = None
    for tok in lark_tokens(text):
        word = raw[tok.line][tok.start:tok.end]
        want = expected_scope(tok, previous, word)
        for i in range(tok.start, tok.end):
            covered[tok.line][i] = True
            scopes = chars[tok.line][i]
            inner = scopes[-1] if scopes else "(plain)"
            if not inner.startswith(want):
                yield f"{tok.line + 1}:{i + 1}: {tok.kind} `{word}` is scoped {inner}, not {want}"
                break
        if tok.kind != "COMMENT":
            previous = tok
    for n, line in enumerate(raw):
        for i, ch in enumerate(line):
            if not covered[n][i] and chars[n][i]:
                yield f"{n + 1}:{i + 1}: white space {ch!r} is scoped {chars[n][i]}"
            if any(s.startswith("invalid.") for s in chars[n][i]):
                yield f"{n + 1}:{i + 1}: {ch!r} is scoped invalid"


def python_tokens(text: str, highlighter: hl.Highlighter | None = None) -> TokenLines:
    h = highlighter or hl.default_highlighter()
    return [[(t.start, t.end, t.scopes) for t in line] for line in h.tokenize(text)]


@pytest.fixture(scope="module")
def vscode_tokens(vscode_extension: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, TokenLines]:
    """vscode-textmate's tokens of every shipped rule file and of SAMPLE, by path."""
    sample = tmp_path_factory.mktemp("editors") / "sample.rules"
    sample.write_text(SAMPLE, encoding="utf-8")
    paths = [str(p) for p in RULE_FILES] + [str(sample)]
    run = subprocess.run(["node", str(vscode_extension / "test" / "tokenize.js"), *paths],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    out = {path: [[(s, e, tuple(sc)) for s, e, sc in line] for line in lines] for path, lines in result.items()}
    out["SAMPLE"] = out.pop(str(sample))
    return out


def test_the_shipped_rules_are_many() -> None:
    assert len(RULE_FILES) >= 20


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT / "rules")))
def test_vscode_scopes_every_token_of_a_shipped_file_as_what_it_is(vscode_tokens: dict[str, TokenLines],
                                                                  path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert list(problems(text, vscode_tokens[str(path)])) == []


def test_vscode_scopes_every_construct_of_the_sample(vscode_tokens: dict[str, TokenLines]) -> None:
    valid = SAMPLE.rsplit("define bad", 1)[0]
    n = len(valid.split("\n"))
    lines = [*vscode_tokens["SAMPLE"][:n - 1], []]  # the last line of `valid` is empty
    assert list(problems(valid, lines)) == []
    # what is not valid is marked so
    last = per_char(vscode_tokens["SAMPLE"], SAMPLE)[-2]
    bad = SAMPLE.split("\n")[-2]
    assert last[bad.index("'")][-1].startswith("invalid.illegal")
    assert last[bad.index("$")][-1].startswith("invalid.illegal")
    assert last[bad.index('"')][-1].startswith("invalid.illegal.unterminated-string")


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT / "rules")))
def test_highlight_py_tokenizes_as_vscode(vscode_tokens: dict[str, TokenLines], path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_same(text, python_tokens(text), vscode_tokens[str(path)])


def test_highlight_py_tokenizes_the_sample_as_vscode(vscode_tokens: dict[str, TokenLines]) -> None:
    assert_same(SAMPLE, python_tokens(SAMPLE), vscode_tokens["SAMPLE"])


def assert_same(text: str, ours: TokenLines, theirs: TokenLines) -> None:
    a, b = per_char(ours, text), per_char(theirs, text)
    for n, (x, y) in enumerate(zip(a, b, strict=True)):
        for i, (p, q) in enumerate(zip(x, y, strict=True)):
            assert p == q, f"line {n + 1}, column {i + 1}: highlight.py {p}, vscode-textmate {q}"


# -- the checks can fail ----------------------------------------------------------------------------------


def _without(pred: Callable[[dict[str, Any]], bool]) -> hl.Highlighter:
    grammar = json.loads(GRAMMAR_JSON.read_text(encoding="utf-8"))
    for entry in grammar["repository"].values():
        entry["patterns"] = [p for p in entry["patterns"] if not pred(p)]
    return hl.Highlighter(grammar)


@pytest.mark.parametrize(("dropped", "expected"), [
    ("constant.numeric.money.eenvoud", "MONEY `€1_234.56` is scoped"),
    ("constant.numeric.date.eenvoud", "DATE `2025-01-01` is scoped"),
    ("constant.numeric.percent.eenvoud", "PERCENT `13.5%` is scoped"),
    ("comment.line.number-sign.eenvoud", "COMMENT `# a comment"),
    ("keyword.other.outcome.eenvoud", "undetermined `undetermined` is scoped"),
    ("storage.type.primitive.eenvoud", "int `int` is scoped"),
    ("variable.other.eenvoud", "NAME `limit` is scoped"),
])
def test_a_grammar_without_a_rule_fails_the_check(dropped: str, expected: str) -> None:
    valid = SAMPLE.rsplit("define bad", 1)[0]
    assert list(problems(valid, python_tokens(valid))) == []
    broken = _without(lambda p: p.get("name") == dropped)
    found = list(problems(valid, python_tokens(valid, broken)))
    assert any(expected in p for p in found), found


def test_a_keyword_scoped_as_a_name_fails_the_check() -> None:
    """`unless` matched only by the identifier rule: the check names it."""
    valid = SAMPLE.rsplit("define bad", 1)[0]
    broken = _without(lambda p: "unless" in p.get("match", ""))
    found = list(problems(valid, python_tokens(valid, broken)))
    assert any("unless `unless` is scoped variable.other.eenvoud, not keyword." in p for p in found), found


# -- highlight.py's HTML, and the browser's -----------------------------------------------------------------


def test_highlight_py_gives_spans_by_scope() -> None:
    html = hl.highlight('input age : int 0..130 "Leeftijd <18>" from BRP  # a & b\n')
    assert html == (
        '<span class="tok-keyword">input</span> <span class="tok-input">age</span> '
        '<span class="tok-punctuation">:</span> <span class="tok-type">int</span> '
        '<span class="tok-number">0</span><span class="tok-operator">..</span><span class="tok-number">130</span> '
        '<span class="tok-string">"Leeftijd &lt;18&gt;"</span> <span class="tok-keyword">from</span> '
        '<span class="tok-registry">BRP</span>  <span class="tok-comment"># a &amp; b</span>\n')


def test_highlight_js_gives_the_html_of_highlight_py(node: str) -> None:
    texts = {str(p): p.read_text(encoding="utf-8") for p in RULE_FILES} | {"SAMPLE": SAMPLE}
    script = ("const h = require(process.argv[1]); const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "const out = {}; for (const k in texts) out[k] = h.highlight(texts[k]);"
              "process.stdout.write(JSON.stringify({out, global: typeof globalThis.eenvoudHighlight}));")
    run = subprocess.run([node, "-e", script, str(BROWSER)], input=json.dumps(texts), capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["global"] == "function"
    for key, text in texts.items():
        assert result["out"][key] == hl.highlight(text), key
