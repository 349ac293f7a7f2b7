"""Rule text as highlighted HTML, with the TextMate grammar of the editors.

One grammar serves every place rules are shown in colour: VS Code reads
`editors/vscode/syntaxes/eenvoud.tmLanguage.json`, this module reads its copy shipped in the package
(`eenvoud/dsl/eenvoud.tmLanguage.json`, byte-identical: tests/editors checks it), and the browser's
`eenvoud/api/static/highlight.js` embeds it. Every rule of that grammar is a single-line `match` in
the subset of regular expressions that Oniguruma, Python's `re` and JavaScript share, so the three
tokenize alike; tests/editors holds this module to vscode-textmate over every shipped rule file.

A line is tokenized as TextMate does: from a position, the rule whose match starts first wins (the
first rule in the grammar's order when two start at the same place), its match is scoped with the
rule's `name` and the `captures` of its groups, and the scan goes on after it. What no rule matches
(white space) is plain text.

    highlight('input age : int "Leeftijd"')
    # '<span class="tok-keyword">input</span> <span class="tok-input">age</span> <span class="tok-punctuation">:</span> ...'

The classes, by the innermost scope of a token (`CLASSES`): tok-comment, tok-string, tok-number
(money, dates, percentages, numbers), tok-constant (`true`, `false`), tok-type, tok-operator,
tok-keyword, tok-definition (the name a declaration declares), tok-input (the name an `input`
declares), tok-registry (`from BRP`), tok-builtin (functions, `reference_date`), tok-name (other
names), tok-punctuation, tok-invalid.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

GRAMMAR = "eenvoud.tmLanguage.json"

# (scope prefix, class): the first prefix that the innermost scope of a token starts with
CLASSES: tuple[tuple[str, str], ...] = (
    ("comment", "tok-comment"),
    ("string", "tok-string"),
    ("constant.numeric", "tok-number"),
    ("constant.language", "tok-constant"),
    ("storage.type", "tok-type"),
    ("keyword.operator", "tok-operator"),
    ("keyword", "tok-keyword"),
    ("entity.name.type.registry", "tok-registry"),
    ("entity.name", "tok-definition"),
    ("variable.parameter", "tok-input"),
    ("variable.language", "tok-builtin"),
    ("support", "tok-builtin"),
    ("variable", "tok-name"),
    ("punctuation", "tok-punctuation"),
    ("invalid", "tok-invalid"),
)

_LINES = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Token:
    """A run of one line with one list of scopes: columns `start` to `end` (exclusive, 0-based),
    the grammar's root scope left out (no scopes: plain text)."""

    start: int
    end: int
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    name: str | None
    captures: tuple[tuple[int, str], ...]


class GrammarError(ValueError):
    """A grammar this module cannot follow (a begin/end rule, an unknown include)."""


def _rules(grammar: Mapping[str, Any]) -> Iterator[_Rule]:
    """The grammar's rules in their order of precedence, its includes followed."""
    repository: Mapping[str, Any] = grammar.get("repository", {})

    def walk(patterns: list[Any], seen: tuple[str, ...]) -> Iterator[_Rule]:
        for p in patterns:
            if "include" in p:
                ref = p["include"]
                if not ref.startswith("#") or ref[1:] not in repository:
                    raise GrammarError(f"include {ref!r}: only includes of the repository (#name) are followed")
                if ref in seen:
                    raise GrammarError(f"include {ref!r} includes itself")
                yield from walk([repository[ref[1:]]], (*seen, ref))
            elif "patterns" in p and "match" not in p:
                yield from walk(p["patterns"], seen)
            elif "match" in p:
                captures = tuple(sorted((int(k), v["name"]) for k, v in p.get("captures", {}).items() if "name" in v))
                yield _Rule(re.compile(p["match"]), p.get("name"), captures)
            else:
                raise GrammarError(f"a rule this highlighter cannot follow (only `match` rules): {sorted(p)}")

    yield from walk(list(grammar["patterns"]), ())


class Highlighter:
    """Tokenizes and highlights rule text with one TextMate grammar (a dict, as read from JSON)."""

    def __init__(self, grammar: Mapping[str, Any]):
        self.scope = str(grammar.get("scopeName", "source.eenvoud"))
        self.rules = tuple(_rules(grammar))

    def tokenize_line(self, line: str) -> list[Token]:
        tokens: list[Token] = []
        # the last match of each rule: still the first at or after `pos` while it starts there or later
        found: list[re.Match[str] | None | bool] = [False] * len(self.rules)
        pos = 0
        while pos < len(line):
            best: tuple[_Rule, re.Match[str]] | None = None
            for i, rule in enumerate(self.rules):
                m = found[i]
                if m is False or (isinstance(m, re.Match) and m.start() < pos):
                    m = found[i] = rule.regex.search(line, pos)
                if not isinstance(m, re.Match) or m.end() == m.start():
                    continue
                if best is None or m.start() < best[1].start():
                    best = (rule, m)
                    if m.start() == pos:
                        break
            if best is None:
                break
            rule, m = best
            if m.start() > pos:
                tokens.append(Token(pos, m.start(), ()))
            tokens.extend(_scoped(rule, m))
            pos = m.end()
        if pos < len(line):
            tokens.append(Token(pos, len(line), ()))
        return tokens

    def tokenize(self, text: str) -> list[list[Token]]:
        """One list of tokens per line (lines split at \\n, \\r\\n and \\r, as the editors do)."""
        return [self.tokenize_line(line) for line in _LINES.split(text)]

    def highlight(self, text: str) -> str:
        """The text as HTML: each token in a `<span class="tok-...">`, plain text escaped; lines
        joined with \\n (put it in a `<pre>`)."""
        lines = _LINES.split(text)
        out = []
        for line, tokens in zip(lines, self.tokenize(text), strict=True):
            parts = []
            for tok in tokens:
                piece = html.escape(line[tok.start:tok.end], quote=False)
                cls = css_class(tok.scopes)
                parts.append(f'<span class="{cls}">{piece}</span>' if cls else piece)
            out.append("".join(parts))
        return "\n".join(out)


def _scoped(rule: _Rule, m: re.Match[str]) -> Iterator[Token]:
    """The tokens of one match: the rule's name over all of it, a capture's name over its group."""
    start, end = m.span()
    scopes: list[tuple[str, ...]] = [(rule.name,) if rule.name else () for _ in range(start, end)]
    for group, name in rule.captures:
        if group > (m.re.groups or 0):
            continue
        g0, g1 = m.span(group)
        for i in range(max(g0, start), min(g1, end)):
            scopes[i - start] = (*scopes[i - start], name)
    run = start
    for i in range(start + 1, end + 1):
        if i == end or scopes[i - start] != scopes[run - start]:
            yield Token(run, i, scopes[run - start])
            run = i


def css_class(scopes: tuple[str, ...]) -> str | None:
    """The class of a token, by its innermost scope; None for plain text."""
    if not scopes:
        return None
    inner = scopes[-1]
    for prefix, cls in CLASSES:
        if inner == prefix or inner.startswith(prefix + "."):
            return cls
    return "tok-other"


def grammar_text() -> str:
    """The grammar as shipped in the package (the bytes of the editors' file)."""
    return resources.files("eenvoud.dsl").joinpath(GRAMMAR).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_highlighter() -> Highlighter:
    return Highlighter(json.loads(grammar_text()))


def tokenize(text: str) -> list[list[Token]]:
    """Rule text as tokens, one list per line, with the shipped grammar."""
    return default_highlighter().tokenize(text)


def highlight(text: str) -> str:
    """Rule text as HTML spans (`<span class="tok-keyword">input</span> ...`), with the shipped grammar."""
    return default_highlighter().highlight(text)
