"""Text to IR: the LALR parser over grammar.lark, and syntax errors as diagnostics."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib import resources

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError

from eenvoud.diagnostics import Diagnostic, RuleError, did_you_mean
from eenvoud.dsl import dutch
from eenvoud.dsl.limits import check_tree
from eenvoud.dsl.transform import LiteralError, ToIR
from eenvoud.ir import nodes as n
from eenvoud.source import SourceFile


@dataclass(frozen=True)
class Comment:
    line: int
    column: int
    text: str  # with its leading '#'


@dataclass(frozen=True)
class ParsedFile:
    source: SourceFile
    regulation: n.Regulation
    comments: tuple[Comment, ...]


_comments: list[Token] = []
_lock = threading.Lock()
_parser = Lark(
    resources.files("eenvoud.dsl").joinpath("grammar.lark").read_text(encoding="utf-8"),
    parser="lalr",
    propagate_positions=True,
    maybe_placeholders=True,
    lexer_callbacks={"COMMENT": _comments.append},
)

# How terminals are named in a syntax error: the drafter never sees lark's internal names.
_TERMINALS = {
    "NAME": "a name", "STRING": "a quoted text", "INT": "a whole number", "DECIMAL_NUMBER": "a number",
    "MONEY": "a money amount like `€1_987.00`", "PERCENT": "a percentage like `13.67%`",
    "DATE": "a date like `2025-01-01`", "CMP_OP": "a comparison", "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*` or `/`", "COLON": "`:`", "COMMA": "`,`", "LPAR": "`(`", "RPAR": "`)`",
    "LBRACE": "`{`", "RBRACE": "`}`", "EQUAL": "`=`", "MINUS": "`-`", "VBAR": "`|`",
    "$END": "the end of the file",
}


def _describe(terminal: str) -> str:
    if terminal in _TERMINALS:
        return _TERMINALS[terminal]
    pattern = _parser.get_terminal(terminal).pattern if terminal in _terminal_names() else None
    if pattern is not None and pattern.type == "str":
        return f"`{pattern.value}`"
    return terminal.lower()


_names_cache: set[str] = set()


def _terminal_names() -> set[str]:
    if not _names_cache:
        _names_cache.update(t.name for t in _parser.terminals)
    return _names_cache


KEYWORDS = (
    "regulation", "module", "agency", "source", "import", "input", "from", "parameter", "bracket", "on",
    "define", "requirement", "article", "unless", "label", "amount", "document", "provides", "required",
    "when", "test", "given", "expect", "eligible", "undetermined", "missing", "property", "if", "then",
    "else", "and", "or", "not", "implies", "in", "true", "false", "bool", "int", "decimal", "percent",
    "money", "date", "one", "of", "event", "includes", "decision", "until", "for", "year", "past", "next",
    "months", "judged", "sum", "each", "month", "the",
)


def _expected(expected: set[str]) -> str:
    if {"NAME", "MONEY", "INT"} <= expected and "STRING" not in expected:
        return "a value: a name, a number, money like `€100.00`, or `(`"
    words = sorted({_describe(e) for e in expected})
    if len(words) > 8:
        keywords = [w for w in words if w.startswith("`") and w[1:-1].isalpha()]
        words = [w for w in words if w not in keywords] + (["a keyword"] if keywords else [])
    return ", ".join(words)


def parse(source: SourceFile) -> ParsedFile:
    """Parse one rule file. Raises RuleError with a diagnostic when the text is not valid syntax."""
    with _lock:
        _comments.clear()
        try:
            tree = _parser.parse(source.text)
        except UnexpectedInput as exc:
            raise RuleError([_syntax_diagnostic(source, exc)]) from None
        comments = tuple(
            Comment(c.line or 0, c.column or 0, str(c).rstrip()) for c in _comments
        )
    # too deep, too large or too long to go further: the Transformer below recurses
    beyond = check_tree(source, tree)
    if beyond:
        raise RuleError(beyond)
    try:
        regulation = ToIR(source).transform(tree)
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, LiteralError):
            tok = inner.token
            start = tok.start_pos or 0
            end = tok.end_pos if tok.end_pos is not None else start + 1
            end = inner.end if inner.end is not None else end
            raise RuleError([Diagnostic(inner.code, str(inner), source.span(start, end), inner.help)]) from None
        raise
    return ParsedFile(source, regulation, comments)


def parse_text(text: str, name: str = "<text>") -> ParsedFile:
    return parse(SourceFile.from_text(name, text))


def _syntax_diagnostic(source: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    pos = exc.pos_in_stream if exc.pos_in_stream is not None else len(source.text)
    return _dutch(source, exc, pos) or _plain_syntax_diagnostic(source, exc, pos)


_WORD_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*$")


def _dutch(source: SourceFile, exc: UnexpectedInput, pos: int) -> Diagnostic | None:
    """A syntax error that comes from writing Dutch: a number in Dutch notation (`€7.575,00`,
    `13,67%`), or a Dutch word where the language has an English one (`of` for `or`)."""
    text = source.text
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        pos = exc.token.start_pos or 0
    # the error stands at a `,` or `.` inside a number, or just after `€7.575,`
    for at in (pos, pos - 1):
        if 0 < at < len(text) and text[at] in ",." and text[at - 1].isdigit():
            found = dutch.run_at(text, at)
            if found is not None and found[0] < at < found[1] - 1:
                explained = dutch.reading(text[found[0]:found[1]])
                if explained is not None:
                    return Diagnostic("E0009", explained[0], source.span(*found), explained[1])
    if not isinstance(exc, UnexpectedToken) or exc.token.type == "$END":
        return None
    tok = exc.token
    start = tok.start_pos or 0
    end = tok.end_pos if tok.end_pos is not None else start + len(tok)
    help_ = dutch.word_help(str(tok))
    if help_ is not None:
        return Diagnostic("E0002", f"unexpected `{tok}`", source.span(start, end), help_)
    # `niet x`, `als x dan ...`: the Dutch word was read as a name, and the error comes after it
    line_start = text.rfind("\n", 0, start) + 1
    before = _WORD_BEFORE.search(text, line_start, start)
    if before is not None and dutch.keyword_for(before.group(1)) is not None:
        word = before.group(1)
        return Diagnostic("E0002", f"unexpected `{tok}` after `{word}`",
                          source.span(before.start(1), before.end(1)), dutch.word_help(word))
    return None


def _plain_syntax_diagnostic(source: SourceFile, exc: UnexpectedInput, pos: int) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        ch = source.text[pos] if pos < len(source.text) else ""
        help_ = None
        if ch == "'":
            help_ = 'texts are written in double quotes: "like this"'
        elif ch == '"':
            help_ = "a text must end with `\"` on the same line"
        elif ch in "$£":
            help_ = "money is written with the euro sign: `€1_987.00`"
        elif ch == "=" and source.text[pos:pos + 2] == "=>":
            help_ = "`=>` is only for the rows of a bracket"
        return Diagnostic("E0001", f"unexpected character `{ch}`", source.span(pos, pos + 1), help_)
    if isinstance(exc, UnexpectedEOF):
        end = len(source.text)
        return Diagnostic(
            "E0003", "the file ends in the middle of a declaration",
            source.span(max(0, end - 1), end), f"expected {_expected(set(exc.expected))}",
        )
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            end = len(source.text)
            return Diagnostic(
                "E0003", "the file ends in the middle of a declaration",
                source.span(max(0, end - 1), end), f"expected {_expected(set(exc.expected))}",
            )
        start = tok.start_pos or 0
        end = tok.end_pos if tok.end_pos is not None else start + len(tok)
        help_ = f"expected {_expected(set(exc.expected))}"
        if tok.type == "EQUAL" and "CMP_OP" in exc.expected:
            help_ = "to compare, write `==`"
        elif str(tok) == "=>":
            help_ = "`=>` is only for the rows of a bracket"
        elif set(exc.expected) <= {"REGULATION", "MODULE", "EVENT"}:
            help_ = 'a rule file starts with `regulation name "title"`, `module name "title"` or `event name "title"`'
        elif tok.type == "NAME":
            keyword = did_you_mean(str(tok), KEYWORDS)
            if keyword is not None:
                help_ = keyword
        return Diagnostic("E0002", f"unexpected `{tok}`", source.span(start, end), help_)
    return Diagnostic("E0002", "syntax error", source.span(pos, pos + 1))
