"""The checked IR: a regulation whose names are resolved and whose every expression has a type.

Only the type checker (`eenvoud.dsl.check`) builds one: backends (engine, analyzer, SQL) accept
nothing else, so no unchecked shortcut reaches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, TypeVar

from eenvoud.ir import nodes as n
from eenvoud.ir.types import Type
from eenvoud.source import SourceFile

SymbolKind = Literal["input", "parameter", "bracket", "definition", "amount", "builtin"]

# Names every expression may use without declaring them.
BUILTIN_VALUES = ("reference_date",)
# Names only a `property` may use: the decision itself.
DECISION_VALUES = ("eligible",)
FUNCTIONS = (
    "min", "max", "round", "floor", "ceil", "abs",
    "years_between", "months_between", "days_between", "add_days", "add_months", "add_years",
    "first_day_of_next_month",
)

_TOKEN = object()
_Named = TypeVar("_Named", n.Input, n.Parameter, n.Bracket, n.Definition, n.Requirement, n.Amount,
                  n.Document)


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: SymbolKind
    type: Type
    decl: n.Node | None  # None for built-ins
    origin: str  # the file that declares it


@dataclass(frozen=True, eq=False)
class CheckedRegulation:
    """A regulation (or shared module) with its imports merged in, checked and typed.

    `definitions` are in dependency order: each one's references come before it.
    `types` maps id(expression node) to the type of that expression.
    """

    token: object = field(repr=False)
    kind: str
    name: str
    title: str | None
    agency: str | None
    source_url: str | None
    file: SourceFile
    regulation: n.Regulation  # the file as written (imports not merged)
    imports: tuple[CheckedRegulation, ...]
    symbols: Mapping[str, Symbol]
    inputs: tuple[n.Input, ...]
    parameters: tuple[n.Parameter, ...]
    brackets: tuple[n.Bracket, ...]
    definitions: tuple[n.Definition, ...]
    requirements: tuple[n.Requirement, ...]
    amounts: tuple[n.Amount, ...]
    documents: tuple[n.Document, ...]
    tests: tuple[n.Test, ...]
    properties: tuple[n.Property, ...]
    types: Mapping[int, Type]
    hash: str
    canonical_text: str

    def __post_init__(self) -> None:
        if self.token is not _TOKEN:
            raise TypeError("a CheckedRegulation is built by eenvoud.dsl.check only")

    def type_of(self, expr: n.Expr) -> Type:
        return self.types[id(expr)]

    def symbol(self, name: str) -> Symbol:
        return self.symbols[name]

    @property
    def input_map(self) -> dict[str, n.Input]:
        return {i.name: i for i in self.inputs}

    def change_dates(self) -> tuple[date, ...]:
        """Every date on which a parameter or bracket of this regulation takes a new value."""
        days: set[date] = set()
        for p in self.parameters:
            days.update(v.valid_from for v in p.values)
        for b in self.brackets:
            days.update(v.valid_from for v in b.versions)
        return tuple(sorted(days))

    def is_regulation(self) -> bool:
        return self.kind == "regulation"

    def is_event(self) -> bool:
        return self.kind == "event"

    @property
    def included(self) -> tuple[str, ...]:
        """The regulations a life event bundles, by name, in the order written."""
        return tuple(name for inc in self.regulation.includes for name in inc.names)


def make_checked(**kwargs: object) -> CheckedRegulation:
    return CheckedRegulation(token=_TOKEN, **kwargs)  # type: ignore[arg-type]


def restricted(reg: CheckedRegulation, keep: frozenset[str], part: str) -> CheckedRegulation:
    """`reg` with only the declarations named in `keep` (inputs, parameters, brackets, definitions,
    requirements, amounts and documents; `keep` must be closed under what they read, which the caller
    guarantees). Still checked: every kept expression keeps its types and names. The analyzer
    analyses the parts of a large regulation that share nothing this way, each as a regulation of
    its own (`eenvoud.analysis.parts`). Its hash tells the part apart, so that nothing keyed by a
    regulation's hash mistakes it for the whole."""
    def kept(xs: tuple[_Named, ...]) -> tuple[_Named, ...]:
        return tuple(x for x in xs if x.name in keep)

    symbols = {k: s for k, s in reg.symbols.items() if s.kind == "builtin" or k in keep}
    return make_checked(
        kind=reg.kind, name=reg.name, title=reg.title, agency=reg.agency, source_url=reg.source_url,
        file=reg.file, regulation=reg.regulation, imports=reg.imports, symbols=symbols,
        inputs=kept(reg.inputs), parameters=kept(reg.parameters), brackets=kept(reg.brackets),
        definitions=kept(reg.definitions), requirements=kept(reg.requirements), amounts=kept(reg.amounts),
        documents=kept(reg.documents), tests=reg.tests, properties=(), types=reg.types,
        hash=f"{reg.hash}#{part}", canonical_text=reg.canonical_text)
