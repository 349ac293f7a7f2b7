"""The printer and the parser agree: parse(print(ir)) == ir for every shipped rule file and for
generated expressions and declarations; `eenvoud fmt` keeps comments and is idempotent.

Spans take no part in IR equality, so the comparison is about what the text says, not where.
"""

from __future__ import annotations

import string as strings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eenvoud.dsl.check import KEYWORDS
from eenvoud.dsl.parser import parse, parse_text
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir import types as t
from eenvoud.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "rules").rglob("*.rules"))
CASES = sorted((ROOT / "tests" / "dsl" / "cases" / "good").rglob("*.rules")) + sorted(
    (ROOT / "tests" / "dsl" / "cases" / "parse_only").glob("*.rules")
)
FILES = SHIPPED + CASES

# every word the grammar reserves somewhere; a generated name avoids them all
GRAMMAR_WORDS = KEYWORDS | {
    "regulation", "module", "agency", "source", "import", "input", "from", "bool", "int", "decimal",
    "percent", "money", "date", "one", "of", "parameter", "bracket", "on", "define", "requirement",
    "article", "unless", "label", "amount", "document", "provides", "required", "when", "test",
    "given", "expect", "eligible", "property", "event", "includes",
}


def reparse(reg: n.Regulation) -> n.Regulation:
    return parse_text(printer.regulation(reg), "<printed>").regulation


def test_there_is_a_shipped_rule_file() -> None:
    assert SHIPPED, "rules/ holds no rule file"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_printing_a_rule_file_parses_back_to_the_same_ir(path: Path) -> None:
    parsed = parse(SourceFile.read(path))
    assert reparse(parsed.regulation) == parsed.regulation


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_fmt_keeps_every_comment_and_is_idempotent(path: Path) -> None:
    parsed = parse(SourceFile.read(path))
    once = printer.regulation(parsed.regulation, parsed.comments)
    again = parse_text(once, "<formatted>")
    assert again.regulation == parsed.regulation
    assert [c.text for c in again.comments] == [c.text for c in parsed.comments]
    assert printer.regulation(again.regulation, again.comments) == once


# -- generated IR ------------------------------------------------------------------------------

names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(lambda s: s not in GRAMMAR_WORDS)
texts = st.text(alphabet=strings.ascii_letters + strings.digits + ' .,:;-€%()"\\/#éë', max_size=20)
days = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
fractions = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)

# in an expression a literal is never negative: `-5` is the negation of 5
literals = st.one_of(
    st.builds(n.BoolLit, st.booleans()),
    st.builds(n.IntLit, st.integers(0, 10**12)),
    st.builds(n.DecimalLit, fractions, st.booleans()),
    st.builds(n.MoneyLit, amounts),
    st.builds(n.DateLit, days),
)
# where a literal stands alone (a parameter's value, a test's fact) it may be negative
signed_literals = st.one_of(
    literals,
    st.builds(n.IntLit, st.integers(-10**6, -1)),
    st.builds(n.MoneyLit, amounts.map(lambda a: -a).filter(lambda a: a < 0)),
    st.builds(n.DecimalLit, fractions.map(lambda a: -a).filter(lambda a: a < 0), st.booleans()),
)
fact_values = st.one_of(signed_literals, st.builds(n.EnumLit, names))

OPS = list(n.ARITHMETIC + n.COMPARISON + n.LOGICAL)


def _compound(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    return st.one_of(
        st.builds(n.Unary, st.sampled_from(["-", "not"]), children),
        st.builds(n.Binary, st.sampled_from(OPS), children, children),
        st.builds(n.InSet, children, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(n.If, children, children, children),
        st.builds(n.Call, names, st.lists(children, max_size=3).map(tuple)),
    )


exprs: st.SearchStrategy[n.Expr] = st.recursive(
    st.one_of(literals, st.builds(n.Name, names)), _compound, max_leaves=12
)


@settings(max_examples=300)
@given(exprs)
def test_printing_an_expression_parses_back_to_it(e: n.Expr) -> None:
    reg = n.Regulation("regulation", "r", None, items=(n.Definition("x", None, None, e),))
    (d,) = reparse(reg).items
    assert isinstance(d, n.Definition)
    assert d.expr == e, printer.expr(e)


def test_precedence_examples() -> None:
    a, b, c = n.Name("a"), n.Name("b"), n.Name("c")
    cases: dict[str, n.Expr] = {
        "(a + b) * c": n.Binary("*", n.Binary("+", a, b), c),
        "a - (b - c)": n.Binary("-", a, n.Binary("-", b, c)),
        "a - b - c": n.Binary("-", n.Binary("-", a, b), c),
        "(a implies b) implies c": n.Binary("implies", n.Binary("implies", a, b), c),
        "a implies b implies c": n.Binary("implies", a, n.Binary("implies", b, c)),
        "not (a and b)": n.Unary("not", n.Binary("and", a, b)),
        "(not a) == b": n.Binary("==", n.Unary("not", a), b),
        "-(a * b)": n.Unary("-", n.Binary("*", a, b)),
        "(if a then b else c) + a": n.Binary("+", n.If(a, b, c), a),
        "(a < b) == c": n.Binary("==", n.Binary("<", a, b), c),
    }
    for text, e in cases.items():
        assert printer.expr(e) == text
        (d,) = parse_text(f"regulation r\ndefine x = {text}\n").regulation.items
        assert isinstance(d, n.Definition) and d.expr == e


types = st.one_of(
    st.just(t.BOOL),
    st.builds(t.IntType, st.none() | st.integers(-100, 0), st.none() | st.integers(1, 200)),
    st.builds(t.DecimalType, st.none() | st.just(Decimal(0)), st.none() | fractions.filter(bool), st.booleans()),
    st.builds(t.MoneyType, st.none() | st.just(Decimal(0)), st.none() | amounts.filter(bool)),
    st.just(t.DATE),
    st.lists(names, min_size=1, max_size=4, unique=True).map(lambda m: t.EnumType(tuple(m))),
)
labels = st.none() | texts


@st.composite
def parameters(draw: st.DrawFn) -> n.Parameter:
    when = sorted(draw(st.lists(days, min_size=1, max_size=3, unique=True)))
    values = tuple(n.ParamValue(d, draw(signed_literals), draw(labels)) for d in when)
    return n.Parameter(draw(names), draw(types), draw(labels), values)


@st.composite
def brackets(draw: st.DrawFn) -> n.Bracket:
    when = sorted(draw(st.lists(days, min_size=1, max_size=2, unique=True)))
    bound = st.none() | signed_literals
    versions = tuple(
        n.BracketVersion(d, tuple(n.BracketRow(draw(bound), draw(bound), draw(signed_literals))
                                  for _ in range(draw(st.integers(1, 3)))), draw(labels))
        for d in when
    )
    return n.Bracket(draw(names), draw(types), draw(labels), draw(exprs), versions)


expectations = st.one_of(
    st.builds(n.ExpectEligible, st.sampled_from([True, False, None])),
    st.builds(n.ExpectValue, names, fact_values),
    st.builds(n.ExpectMissing, st.lists(names, min_size=1, max_size=3).map(tuple)),
)

# a registry binding's period (`for year - 2`, `on decision date`, ...) and `judged`
periods = st.one_of(
    st.builds(n.RegistryPeriod, st.sampled_from(["on_date", "until_date"])),
    st.builds(n.RegistryPeriod, st.just("year"), st.integers(0, 100)),
    st.builds(n.RegistryPeriod, st.sampled_from(["past_months", "next_months"]), st.integers(1, 1_200)),
)
bound_inputs = st.builds(
    lambda name, typ, label, registry, period, judged: n.Input(name, typ, label, registry, period=period,
                                                              judged=judged),
    names, types, labels, names, st.none() | periods, st.booleans(),
)

items = st.one_of(
    st.builds(n.Import, texts),
    bound_inputs,
    st.builds(n.Includes, st.lists(names, min_size=1, max_size=3).map(tuple)),
    st.builds(n.Input, names, types, labels, st.none() | names),
    parameters(),
    brackets(),
    st.builds(n.Definition, names, st.none() | types, labels, exprs),
    st.builds(n.Requirement, names, labels, labels, exprs,
              st.lists(st.builds(n.Exemption, exprs, labels), max_size=2).map(tuple)),
    st.builds(n.Amount, names, st.none() | types, labels, labels, exprs),
    st.builds(n.Document, names, labels, st.lists(names, min_size=1, max_size=3).map(tuple), st.none() | exprs),
    st.builds(n.Test, texts, days, st.lists(st.builds(n.Given, names, fact_values), max_size=3).map(tuple),
              st.lists(expectations, min_size=1, max_size=3).map(tuple), labels),
    st.builds(n.Property, texts, st.none() | days, exprs),
)


@settings(max_examples=200)
@given(st.sampled_from(["regulation", "module", "event"]), names, labels, labels, labels, st.lists(items, max_size=6))
def test_printing_declarations_parses_back_to_them(
    kind: str, name: str, title: str | None, agency: str | None, source: str | None, body: list[n.Item]
) -> None:
    reg = n.Regulation(kind, name, title, agency, source, tuple(body))
    assert reparse(reg) == reg, printer.regulation(reg)
