"""Every place a rule file names a declaration, and the declaration each one means.

A declaration is known by the file that declares it and its name (`Target`): the checker's symbols
say which file that is (`Symbol.origin`), so a name used in a regulation and declared in an
imported module leads into the module, wherever the import chain goes. While a file has errors,
its own declarations and the symbols of the imports that did check still resolve.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import assert_never

from eenvoud.dsl.help import provided_span
from eenvoud.ir import nodes as n
from eenvoud.ir.checked import Symbol
from eenvoud.lsp.documents import Snapshot
from eenvoud.source import Span


@dataclass(frozen=True)
class Target:
    """A declaration: the file that declares it (its path as loaded) and its name."""

    origin: str
    name: str


@dataclass(frozen=True)
class Occurrence:
    name: str
    span: Span
    declaration: bool  # the name where it is declared, not a use
    target: Target | None  # None: a name that resolves to nothing (an error the checker reports)


def expression_names(e: n.Expr) -> Iterator[n.Name]:
    """The names an expression mentions, every occurrence, with their spans."""
    match e:
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
            return
        case n.Name():
            yield e
        case n.Unary():
            yield from expression_names(e.operand)
        case n.Binary():
            yield from expression_names(e.left)
            yield from expression_names(e.right)
        case n.InSet():
            yield from expression_names(e.operand)
            for o in e.options:
                yield from expression_names(o)
        case n.If():
            yield from expression_names(e.cond)
            yield from expression_names(e.then)
            yield from expression_names(e.else_)
        case n.Call():
            for a in e.args:
                yield from expression_names(a)
        case _:
            assert_never(e)


def _expressions(item: n.Item) -> list[n.Expr]:
    match item:
        case n.Bracket():
            return [item.key]
        case n.Definition() | n.Amount() | n.Property():
            return [item.expr]
        case n.Requirement():
            return [item.condition, *(x.condition for x in item.exemptions)]
        case n.Document():
            return [item.required_when] if item.required_when is not None else []
        case _:
            return []


def _named_in(span: Span, names: tuple[str, ...]) -> Iterator[tuple[str, Span]]:
    """Each of `names` where it stands inside `span` (`missing {a, b}` keeps only the names)."""
    text = span.file.text
    for name in names:
        found = re.compile(rf"\b{re.escape(name)}\b").search(text, span.start, span.end)
        if found is not None:
            yield name, span.file.span(found.start(), found.end())


def _spots(reg: n.Regulation) -> Iterator[tuple[str, Span, bool]]:
    """(name, span, is its declaration) for every name the file writes that may mean a declaration."""
    for item in reg.items:
        if isinstance(item, n.Input | n.Parameter | n.Bracket | n.Definition | n.Requirement | n.Amount
                      | n.Document) and item.span is not None:
            yield item.name, item.span, True
        for e in _expressions(item):
            for use in expression_names(e):
                if use.span is not None:
                    yield use.name, use.span, False
        if isinstance(item, n.Document):
            for provided in item.provides:
                span = provided_span(item, provided)
                if span is not None and span != item.span:
                    yield provided, span, False
        if isinstance(item, n.Test):
            for g in item.given:
                if g.span is not None:
                    yield g.name, g.span, False
            for x in item.expects:
                if isinstance(x, n.ExpectValue) and x.span is not None:
                    yield x.name, x.span, False
                elif isinstance(x, n.ExpectMissing) and x.span is not None:
                    for missing, span in _named_in(x.span, x.names):
                        yield missing, span, False


def symbol(snap: Snapshot, name: str) -> Symbol | None:
    """What `name` stands for in the file: the checker's symbol, or while the file does not check,
    that of an import that does."""
    if snap.checked is not None:
        return snap.checked.symbols.get(name)
    for imp in reversed(snap.imports):
        if name in imp.symbols:
            return imp.symbols[name]
    return None


def own_declaration(snap: Snapshot, name: str) -> n.Declaration | None:
    if snap.rules is None:
        return None
    for decl in snap.rules.declarations:
        if decl.name == name:
            return decl
    return None


def resolve(snap: Snapshot, name: str) -> Target | None:
    if own_declaration(snap, name) is not None:
        return Target(snap.source.name, name)
    sym = symbol(snap, name)
    if sym is None or sym.kind == "builtin":
        return None
    return Target(sym.origin, name)


def occurrences(snap: Snapshot) -> list[Occurrence]:
    if snap.rules is None:
        return []
    return [Occurrence(name, span, declared, resolve(snap, name))
            for name, span, declared in _spots(snap.rules)]


def at(snap: Snapshot, offset: int) -> Occurrence | None:
    """The name the cursor is on (or just after)."""
    for occ in occurrences(snap):
        if occ.span.start <= offset <= occ.span.end:
            return occ
    return None


def declaration(snap: Snapshot, target: Target) -> n.Node | None:
    """The declaration node of `target`, from this file or one of its imports."""
    if target.origin == snap.source.name:
        return own_declaration(snap, target.name)
    sym = symbol(snap, target.name)
    if sym is not None and sym.origin == target.origin:
        return sym.decl
    return None
