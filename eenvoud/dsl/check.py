"""Name resolution and type checking: parsed IR (with its imports) to checked IR.

One pass reports every error it finds in a file, not only the first. The Checker is assembled from
the modules that own each part:

- eenvoud.dsl.limits: how deep, long and large rules may be (checked first);
- eenvoud.dsl.names: what each name stands for, definitions checked on first use, cycles;
- eenvoud.dsl.types_check: the type of every expression, and the typing rules;
- eenvoud.dsl.declarations: inputs, parameters, brackets, definitions, amounts, requirements,
  documents, properties;
- eenvoud.dsl.tests_check: the test blocks;
- eenvoud.dsl.help: the hints diagnostics show.

Its names stay importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from eenvoud.diagnostics import Diagnostic
from eenvoud.dsl.help import (
    VERBS,
    arithmetic_help,
    bound_text,
    compare_help,
    lit_text,
    literal_help,
    money_hint,
    provided_span,
)
from eenvoud.dsl.limits import check_references
from eenvoud.dsl.names import KEYWORDS, RESERVED, Scope
from eenvoud.dsl.parser import ParsedFile
from eenvoud.dsl.tests_check import TestsCheck
from eenvoud.dsl.types_check import ROUNDING, arithmetic_type, assignable, literal_type, outside_domain
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation, Symbol, make_checked
from eenvoud.source import Span

__all__ = [
    "KEYWORDS", "RESERVED", "ROUNDING", "VERBS", "Checker", "Scope", "arithmetic_help", "arithmetic_type",
    "assignable", "bound_text", "compare_help", "lit_text", "literal_help", "literal_type", "money_hint",
    "outside_domain", "provided_span",
]


@dataclass
class Checker(TestsCheck):
    parsed: ParsedFile
    imports: tuple[CheckedRegulation, ...]
    hash: str
    canonical_text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    types: dict[int, t.Type] = field(default_factory=dict)
    # definitions, amounts and brackets of this file, checked lazily so that order does not matter
    _pending: dict[str, n.Definition | n.Amount | n.Bracket] = field(default_factory=dict)
    _checked: dict[str, n.Definition | n.Amount | n.Bracket] = field(default_factory=dict)
    _visiting: list[str] = field(default_factory=list)
    _order: list[str] = field(default_factory=list)
    _reported_cycles: set[frozenset[str]] = field(default_factory=set)

    # -- entry -------------------------------------------------------------------------------
    def run(self) -> CheckedRegulation | None:
        reg = self.parsed.regulation
        beyond = self._check_limits(reg)
        if beyond:
            # too deep to follow: the checks below recurse through chains of definitions
            self.diagnostics.extend(beyond)
            return None
        self._declare_imported()
        own = [d for d in reg.declarations]
        for decl in own:
            self._declare(decl)
        for decl in own:
            match decl:
                case n.Input():
                    self._check_input(decl)
                case n.Parameter():
                    self._check_parameter(decl)
                case n.Bracket() | n.Definition() | n.Amount():
                    self._ensure(decl.name)
                case n.Requirement() | n.Document():
                    pass
                case _:
                    assert_never(decl)
        requirements: list[n.Requirement] = []
        documents: list[n.Document] = []
        seen_docs: dict[str, n.Document] = {}
        for decl in own:
            if isinstance(decl, n.Requirement):
                requirements.append(self._check_requirement(decl))
            elif isinstance(decl, n.Document):
                if decl.name in seen_docs:
                    self._duplicate(decl.name, decl.span, seen_docs[decl.name].span)
                seen_docs[decl.name] = decl
                documents.append(self._check_document(decl))
        if reg.kind == "module":
            for decl in own:
                if isinstance(decl, n.Requirement | n.Amount | n.Document):
                    word = type(decl).__name__.lower()
                    self.error("E0108", f"a module cannot declare {'an' if word[0] in 'ae' else 'a'} {word}",
                               decl.span, "write `regulation` instead of `module` at the top of the file")
        self._check_includes(reg)
        properties = tuple(self._check_property(p) for p in reg.properties)
        tests = tuple(self._check_test(x, requirements) for x in reg.tests)
        self._check_test_names(reg.tests)
        if any(d.severity == "error" for d in self.diagnostics):
            return None
        return self._build(requirements, documents, tests, properties)

    def _check_limits(self, reg: n.Regulation) -> list[Diagnostic]:
        imported = [d for imp in self.imports for d in (*imp.definitions, *imp.amounts, *imp.brackets)]
        roots: list[tuple[str, n.Expr, Span | None]] = []
        for decl in reg.declarations:
            if isinstance(decl, n.Requirement):
                roots.append((f"the requirement `{decl.name}`", decl.condition, decl.span))
                roots += [(f"an `unless` of `{decl.name}`", e.condition, e.span) for e in decl.exemptions]
            elif isinstance(decl, n.Document) and decl.required_when is not None:
                roots.append((f"the document `{decl.name}`", decl.required_when, decl.span))
        roots += [(f'the property "{p.name}"', p.expr, p.span) for p in reg.properties]
        return check_references(reg.declarations, imported, roots)

    def _check_includes(self, reg: n.Regulation) -> None:
        """An `event` lists the regulations it bundles and nothing else, and only an event lists
        regulations. Whether each name is a regulation is for the Library, which knows them all."""
        if reg.kind != "event":
            for inc in reg.includes:
                self.error("E0112", "only an `event` can include regulations", inc.span,
                           "write `event` instead of `regulation` or `module` at the top of the file")
            return
        for item in reg.items:
            if not isinstance(item, n.Includes):
                self.error("E0112", "an event only lists the regulations it includes", item.span,
                           "declare this in a regulation or in a shared module")
        seen: set[str] = set()
        for inc in reg.includes:
            for name in inc.names:
                if name in seen:
                    self.error("E0113", f"the event includes `{name}` twice", inc.span)
                seen.add(name)
        if not seen:
            self.error("E0113", f"the event `{reg.name}` includes no regulation", reg.span,
                       "list them: `includes zorgtoeslag, huurtoeslag`")

    # -- result --------------------------------------------------------------------------------
    def _build(self, requirements: list[n.Requirement], documents: list[n.Document],
               tests: tuple[n.Test, ...], properties: tuple[n.Property, ...]) -> CheckedRegulation:
        reg = self.parsed.regulation
        imported_defs: list[n.Definition] = []
        imported_brackets: list[n.Bracket] = []
        for imp in self.imports:
            for d in imp.definitions:
                if d not in imported_defs:
                    imported_defs.append(d)
            for b in imp.brackets:
                if b not in imported_brackets:
                    imported_brackets.append(b)
        own_order = [self._checked[name] for name in self._order]
        definitions = tuple(imported_defs) + tuple(d for d in own_order if isinstance(d, n.Definition))
        brackets = tuple(imported_brackets) + tuple(d for d in own_order if isinstance(d, n.Bracket))
        amount_map = {a.name: a for a in own_order if isinstance(a, n.Amount)}
        amounts = tuple(amount_map[d.name] for d in reg.declarations if isinstance(d, n.Amount))
        types: dict[int, t.Type] = {}
        for imp in self.imports:
            types.update(imp.types)
        types.update(self.types)
        inputs = tuple(s.decl for s in self.symbols.values() if isinstance(s.decl, n.Input))
        parameters = tuple(s.decl for s in self.symbols.values() if isinstance(s.decl, n.Parameter))
        # definitions imported keep their own symbols; own ones were registered in _ensure
        return make_checked(
            kind=reg.kind, name=reg.name, title=reg.title, agency=reg.agency, source_url=reg.source,
            file=self.parsed.source, regulation=reg, imports=self.imports, symbols=dict(self.symbols),
            inputs=inputs, parameters=parameters, brackets=brackets, definitions=definitions,
            requirements=tuple(requirements), amounts=amounts, documents=tuple(documents), tests=tests,
            properties=properties, types=types, hash=self.hash, canonical_text=self.canonical_text,
        )
