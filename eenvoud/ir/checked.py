"""The checked IR: a regulation whose names are resolved and whose every expression has a type.

Only the type checker (`eenvoud.dsl.check`) builds one: backends (engine, analyzer, SQL) accept
nothing else, so no unchecked shortcut reaches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

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
