"""Hover: what a name means, from its declaration in the checked rules.

An input shows its label (the question), type and domain, registry binding (with what the
catalogue says the registry holds), the comment above it, where the shipped rules cite the
article, and the requirements, amounts and documents that read it, with their articles; a definition, amount or requirement its label, article and formula; a parameter or bracket
its value on one date, and every value it has.

The date (`HoverDate`): the `date` the editor passes in `initializationOptions`, else the date of
the file's first test (the drafter's own worked example, and the same on every machine), else
today's date.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lsprotocol import types as lsp

from eenvoud.dsl.reads import reachable
from eenvoud.ir import nodes as n
from eenvoud.ir import printer, registries
from eenvoud.ir import types as t
from eenvoud.lsp import occurrences as occ
from eenvoud.lsp.documents import Snapshot
from eenvoud.lsp.positions import span_range


@dataclass(frozen=True)
class HoverDate:
    day: date
    why: str  # how it was chosen, shown beside the value


def hover_date(snap: Snapshot, configured: date | None, today: date) -> HoverDate:
    if configured is not None:
        return HoverDate(configured, "the date set in the editor")
    if snap.rules is not None and snap.rules.tests:
        first = snap.rules.tests[0]
        return HoverDate(first.on, f'the date of the first test, "{first.name}"')
    return HoverDate(today, "today")


def hover(snap: Snapshot, offset: int, when: HoverDate, encoding: str) -> lsp.Hover | None:
    found = occ.at(snap, offset)
    if found is None or found.target is None:
        return None
    decl = occ.declaration(snap, found.target)
    if decl is None:
        return None
    sym = occ.symbol(snap, found.name)
    typ = sym.type if sym is not None and sym.origin == found.target.origin else None
    lines = describe(decl, typ, when)
    if isinstance(decl, n.Input | n.Parameter | n.Bracket | n.Definition):
        lines += read_by(snap, found.name)
    if decl.span is not None and decl.span.file.name != snap.source.name:
        lines.append(f"\n*declared in `{_relative(decl.span.file.name, snap.path)}`, line {decl.span.line}*")
    text = "\n".join(lines)
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=span_range(found.span, encoding))


SHOWN_READERS = 8


def read_by(snap: Snapshot, name: str) -> list[str]:
    """The requirements, amounts and documents of this file that read `name`, directly or through
    definitions, with their articles: where the law needs the fact."""
    reg = snap.checked
    if reg is None:
        return []
    found: list[str] = []
    items: list[n.Requirement | n.Amount | n.Document] = [*reg.requirements, *reg.amounts, *reg.documents]
    for item in items:
        if name in reachable(reg.symbols, [item]):
            word = type(item).__name__.lower()
            article = getattr(item, "article", None)
            found.append(f"{word} `{item.name}`" + (f" ({article})" if article else ""))
    if not found:
        return []
    more = len(found) - SHOWN_READERS
    shown = found[:SHOWN_READERS] + ([f"and {more} more"] if more > 0 else [])
    return ["", "read by " + "; ".join(shown)]


def describe(decl: n.Node, typ: t.Type | None, when: HoverDate) -> list[str]:
    """The hover text of a declaration, as Markdown lines."""
    match decl:
        case n.Input():
            return _input(decl)
        case n.Parameter():
            return _parameter(decl, when)
        case n.Bracket():
            return _bracket(decl, when)
        case n.Definition():
            return _formula("define", decl.name, decl.label, None, decl.type or typ, decl.expr, decl)
        case n.Amount():
            return _formula("amount", decl.name, decl.label, decl.article, decl.type or typ, decl.expr, decl)
        case n.Requirement():
            return _requirement(decl)
        case n.Document():
            return _document(decl)
    return []


def _head(word: str, name: str, label: str | None) -> list[str]:
    return [f"**{word} `{name}`**" + (f" — {label}" if label else "")]


def _type_lines(typ: t.Type) -> list[str]:
    text = printer.type_text(typ)
    bare = printer.type_text(t.strip_domain(typ))
    lines = [f"type: `{bare}`"]
    if text != bare and not isinstance(typ, t.EnumType):
        lines.append(f"domain: `{text[len(bare):].strip()}` (both ends included)")
    if isinstance(typ, t.EnumType):
        lines = [f"type: `{text}`"]
    return lines


def comment_above(decl: n.Node) -> list[str]:
    """The comment lines right above a declaration: where the shipped rules cite the article."""
    if decl.span is None:
        return []
    out: list[str] = []
    line = decl.span.line - 1
    while line >= 1 and decl.span.file.line(line).lstrip().startswith("#"):
        out.insert(0, decl.span.file.line(line).lstrip()[1:].strip())
        line -= 1
    return out


def _quote(lines: list[str]) -> list[str]:
    return ["", *("> " + x for x in lines)] if lines else []


def _input(decl: n.Input) -> list[str]:
    lines = _head("input", decl.name, decl.label) + [""]
    lines += [f"{x}  " for x in _type_lines(decl.type)]
    binding = decl.binding_text()
    if binding is None:
        lines.append("asked of the citizen (no registry binding)")
    else:
        lines.append(f"registry: `{binding}`")
        found = registries.lookup(decl.registry or "")
        if found is not None:
            lines.append(f"\n{found.name} ({found.keeper}) holds: {found.holds}")
    return lines + _quote(comment_above(decl))


def _value_on(values: list[tuple[date, str, str | None]], when: HoverDate) -> list[str]:
    current = [v for v in values if v[0] <= when.day]
    if current:
        day, text, source = current[-1]
        head = f"on {when.day.isoformat()} ({when.why}): **`{text}`**, valid from {day.isoformat()}"
        if source:
            head += f" (source: {source})"
    else:
        head = f"on {when.day.isoformat()} ({when.why}): no value yet; the first is from {values[0][0].isoformat()}"
    return [head]


def _parameter(decl: n.Parameter, when: HoverDate) -> list[str]:
    values = [(v.valid_from, printer.literal(v.value), v.source) for v in decl.values]
    lines = _head("parameter", decl.name, decl.label) + ["", f"type: `{printer.type_text(decl.type)}`", ""]
    lines += _value_on(values, when) if values else ["no values"]
    if len(values) > 1:
        lines += ["", "| from | value |", "|---|---|"] + [f"| {d.isoformat()} | `{v}` |" for d, v, _ in values]
    return lines + _quote(comment_above(decl))


def _bracket(decl: n.Bracket, when: HoverDate) -> list[str]:
    lines = _head("bracket", decl.name, decl.label)
    lines += ["", f"type: `{printer.type_text(decl.type)}`, on `{printer.expr(decl.key)}`", ""]
    current = [v for v in decl.versions if v.valid_from <= when.day]
    if not current:
        first = decl.versions[0].valid_from.isoformat() if decl.versions else "never"
        return lines + [f"on {when.day.isoformat()} ({when.why}): no rows yet; the first are from {first}"]
    version = current[-1]
    lines.append(f"on {when.day.isoformat()} ({when.why}), valid from {version.valid_from.isoformat()}:")
    lines.append("```")
    for row in version.rows:
        lo = f"{printer.literal(row.lo)} " if row.lo is not None else ""
        hi = f" {printer.literal(row.hi)}" if row.hi is not None else ""
        lines.append(f"| {lo}..{hi} => {printer.literal(row.value)}")  # as `eenvoud fmt` writes a row
    lines.append("```")
    return lines + _quote(comment_above(decl))


def _formula(word: str, name: str, label: str | None, article: str | None, typ: t.Type | None,
             expr: n.Expr, decl: n.Node) -> list[str]:
    lines = _head(word, name, label) + [""]
    if article:
        lines.append(f"article: {article}  ")
    if typ is not None:
        lines.append(f"type: `{printer.type_text(typ)}`")
    lines += ["```eenvoud", f"{name} = {printer.expr(expr)}", "```"]
    return lines + _quote(comment_above(decl))


def _requirement(decl: n.Requirement) -> list[str]:
    lines = _head("requirement", decl.name, decl.label) + [""]
    if decl.article:
        lines.append(f"article: {decl.article}")
    lines += ["```eenvoud", printer.expr(decl.condition)]
    lines += [f"  unless {printer.expr(x.condition)}" + (f'  # {x.label}' if x.label else "") for x in decl.exemptions]
    lines.append("```")
    return lines + _quote(comment_above(decl))


def _document(decl: n.Document) -> list[str]:
    lines = _head("document", decl.name, decl.label) + ["", "provides " + ", ".join(f"`{p}`" for p in decl.provides)]
    if decl.required_when is not None:
        lines.append(f"\nrequired when `{printer.expr(decl.required_when)}`")
    else:
        lines.append("\nalways required")
    return lines + _quote(comment_above(decl))


def _relative(path: str, start: Path) -> str:
    try:
        return str(Path(path).relative_to(start.parent))
    except ValueError:
        return os.path.relpath(path, start.parent)
