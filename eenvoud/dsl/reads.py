"""What a rule file reads: the names its requirements, amounts, documents, properties and tests
read, directly or through definitions, amounts and brackets.

The checker reports a parameter without a value on a test's date only when the file reads it
(E0402), and `eenvoud check` warns about the inputs, definitions, parameters and brackets that
nothing reads (W0001).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from eenvoud.diagnostics import Diagnostic
from eenvoud.ir import nodes as n
from eenvoud.ir.checked import CheckedRegulation, Symbol
from eenvoud.ir.names import names_in
from eenvoud.source import Span


def direct_reads(item: object) -> list[str]:
    """The names one declaration, property or test reads directly (a test: what it expects)."""
    out: list[str] = []
    match item:
        case n.Definition() | n.Amount() | n.Property():
            out = names_in(item.expr)
        case n.Bracket():
            out = names_in(item.key)
        case n.Requirement():
            out = names_in(item.condition)
            for x in item.exemptions:
                out += [name for name in names_in(x.condition) if name not in out]
        case n.Document():
            out = names_in(item.required_when) if item.required_when is not None else []
        case n.Test():
            for e in item.expects:
                if isinstance(e, n.ExpectValue):
                    out.append(e.name)
                elif isinstance(e, n.ExpectMissing):
                    out += list(e.names)
    return out


def roots(reg: n.Regulation, exported: bool = True) -> list[object]:
    """What a file exists for: a regulation's requirements, amounts, documents, properties and
    tests; with `exported`, a module's own definitions and brackets too (they are there for the
    files that import it)."""
    out: list[object] = []
    for item in reg.items:
        if isinstance(item, n.Requirement | n.Amount | n.Document | n.Property | n.Test):
            out.append(item)
        elif exported and reg.kind == "module" and isinstance(item, n.Definition | n.Bracket):
            out.append(item)
    return out


UNUSED = (n.Input, n.Parameter, n.Definition, n.Bracket)


def unused(files: Sequence[CheckedRegulation]) -> list[Diagnostic]:
    """Warnings (W0001) for the inputs, definitions, parameters and brackets of `files` that
    nothing in them reads: no requirement, amount, document, property or test, directly or
    through definitions. A module's declarations are judged only when a file among `files`
    imports it (its readers are its importers; others may be outside `files`)."""
    used: set[tuple[str, str]] = set()  # (the file that declares it, name)
    imported: set[int] = set()
    for reg in files:
        for name in reachable(reg.symbols, roots(reg.regulation, exported=False)):
            sym = reg.symbols.get(name)
            if sym is not None:
                used.add((sym.origin, name))
        imported |= {id(m.regulation) for m in reg.imports}
    out: list[Diagnostic] = []
    for reg in files:
        if reg.kind == "module" and id(reg.regulation) not in imported:
            continue
        if reg.kind not in ("module", "regulation"):
            continue
        for decl in reg.regulation.declarations:
            if isinstance(decl, UNUSED) and (reg.file.name, decl.name) not in used:
                what = {n.Input: "input", n.Parameter: "parameter", n.Definition: "definition",
                        n.Bracket: "bracket"}[type(decl)]
                help_ = "no requirement, amount, document, property or test reads it, directly or " + (
                    "through definitions, in this module or the files that import it" if reg.kind == "module"
                    else "through definitions") + "; remove it, or use it where the law does"
                if isinstance(decl, n.Input) and decl.registry is None:
                    help_ += "; a portal would still ask for it"
                out.append(Diagnostic("W0001", f"the {what} `{decl.name}` is not read by anything",
                                      _name_span(decl), help_, severity="warning"))
    return out


def _name_span(decl: n.Node) -> Span | None:
    """The declared name, not the whole declaration."""
    span = decl.span
    name = getattr(decl, "name", None)
    if span is None or name is None:
        return span
    found = re.compile(rf"\b{re.escape(name)}\b").search(span.file.text, span.start, span.end)
    return span.file.span(found.start(), found.end()) if found is not None else span


def reachable(symbols: Mapping[str, Symbol], start: Iterable[object]) -> set[str]:
    """Every name `start` reads, directly or through definitions, amounts and brackets."""
    seen: set[str] = set()
    todo = [name for item in start for name in direct_reads(item)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        sym = symbols.get(name)
        if sym is not None and sym.decl is not None:
            todo += direct_reads(sym.decl)
    return seen
