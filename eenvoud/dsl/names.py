"""Name resolution: what a name in a rule file stands for.

Declarations of the file and of its imports become symbols; a definition, amount or bracket is
checked the first time a name uses it (so that order does not matter), and a name that depends on
itself is reported once per cycle. The mixin `Names` is the base of the Checker
(`eenvoud.dsl.check`): it holds the state that the type checking, the declarations and the tests
read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

from eenvoud.diagnostics import Diagnostic, did_you_mean
from eenvoud.dsl.parser import ParsedFile
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import BUILTIN_VALUES, DECISION_VALUES, FUNCTIONS, CheckedRegulation, Symbol
from eenvoud.source import Span

RESERVED = set(BUILTIN_VALUES) | set(DECISION_VALUES) | set(FUNCTIONS)
# Words the parser reads as part of the language wherever a name could also stand (an expression,
# an expectation): a declaration or option named so would parse but could never be used.
KEYWORDS = {"if", "then", "else", "not", "and", "or", "implies", "in", "true", "false", "undetermined", "missing",
            "sum"}


@dataclass
class Scope:
    """What an expression may see: `decision` in properties only."""

    decision: bool = False
    amounts_paid: bool = False
    # the months bound by the `sum for each month` around the expression, innermost last
    months: tuple[str, ...] = ()


class Names:
    """Symbols, and the names of expressions resolved to them."""

    # the state of one file's check; the fields are declared by Checker (eenvoud.dsl.check)
    parsed: ParsedFile
    imports: tuple[CheckedRegulation, ...]
    diagnostics: list[Diagnostic]
    symbols: dict[str, Symbol]
    types: dict[int, t.Type]
    _pending: dict[str, n.Definition | n.Amount | n.Bracket]
    _checked: dict[str, n.Definition | n.Amount | n.Bracket]
    _visiting: list[str]
    _order: list[str]
    _reported_cycles: set[frozenset[str]]

    def error(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, help))

    # -- given by the type checking and the declarations (eenvoud.dsl.types_check, .declarations) --
    def expr(self, e: n.Expr, scope: Scope, division_ok: bool = False) -> tuple[n.Expr, t.Type | None]:
        raise NotImplementedError

    def _check_lazy(self, decl: n.Definition | n.Amount | n.Bracket) -> tuple[n.Definition | n.Amount | n.Bracket, t.Type | None]:
        raise NotImplementedError

    # -- declarations ------------------------------------------------------------------------
    def _declare_imported(self) -> None:
        for imp in self.imports:
            for sym in imp.symbols.values():
                if sym.kind == "builtin":
                    continue
                prior = self.symbols.get(sym.name)
                if prior is not None and prior.origin != sym.origin:
                    self.error(
                        "E0104", f"`{sym.name}` is declared both in `{prior.origin}` and in `{sym.origin}`",
                        self._import_span(imp), "one government, one definition: keep one of the two",
                    )
                    continue
                self.symbols[sym.name] = sym

    def _import_span(self, imp: CheckedRegulation) -> Span | None:
        """The `import` line that brought `imp` in; the first one when it came in indirectly."""
        imports = self.parsed.regulation.imports
        here = Path(self.parsed.source.name).resolve().parent
        for i in imports:
            if (here / i.path).resolve() == Path(imp.file.name).resolve():
                return i.span
        return imports[0].span if imports else None

    def _declare(self, decl: n.Declaration) -> None:
        if isinstance(decl, n.Requirement | n.Document):
            return
        name = decl.name
        if name in RESERVED:
            self.error("E0105", f"`{name}` is a reserved name", decl.span, "choose another name")
            return
        if name in KEYWORDS:
            self.error("E0105", f"`{name}` is a word of the rules language, not a name", decl.span,
                       "choose another name")
            return
        prior = self.symbols.get(name)
        if prior is not None:
            self._duplicate(name, decl.span, prior.decl.span if prior.decl else None, prior.origin)
            return
        origin = self.parsed.source.name
        match decl:
            case n.Input():
                self.symbols[name] = Symbol(name, "input", decl.type, decl, origin)
            case n.Parameter():
                self.symbols[name] = Symbol(name, "parameter", decl.type, decl, origin)
            case n.Bracket():
                self.symbols[name] = Symbol(name, "bracket", decl.type, decl, origin)
                self._pending[name] = decl
            case n.Definition():
                # the type is filled in once the expression is checked
                self._pending[name] = decl
            case n.Amount():
                self._pending[name] = decl
            case _:
                assert_never(decl)

    def _duplicate(self, name: str, span: Span | None, first: Span | None, origin: str | None = None) -> None:
        where = f"first declared at {first}" if first else f"declared in `{origin}`"
        self.error("E0101", f"`{name}` is declared twice", span, where)

    # -- lazily checked: brackets, definitions, amounts ------------------------------------------
    def _ensure(self, name: str) -> t.Type | None:
        """Check the definition, amount or bracket `name` (once) and return its type."""
        if name in self._checked:
            sym = self.symbols.get(name)
            return sym.type if sym else None
        decl = self._pending.get(name)
        if decl is None:
            sym = self.symbols.get(name)
            return sym.type if sym else None
        if name in self._visiting:
            cycle = self._visiting[self._visiting.index(name):] + [name]
            key = frozenset(cycle)
            if key not in self._reported_cycles:
                self._reported_cycles.add(key)
                first = self._pending[cycle[0]]
                self.error("E0301", f"`{cycle[0]}` depends on itself: " + " -> ".join(f"`{c}`" for c in cycle),
                           first.span, "a definition cannot use its own value, directly or through others")
            return None
        self._visiting.append(name)
        try:
            checked, typ = self._check_lazy(decl)
        finally:
            self._visiting.pop()
        self._checked[name] = checked
        del self._pending[name]
        if typ is not None:
            kind = {n.Definition: "definition", n.Amount: "amount", n.Bracket: "bracket"}[type(decl)]
            self.symbols[name] = Symbol(name, kind, typ, checked, self.parsed.source.name)  # type: ignore[arg-type]
        self._order.append(name)
        return typ

    # -- names in expressions --------------------------------------------------------------------
    def _name(self, e: n.Name, scope: Scope) -> tuple[n.Expr, t.Type | None]:
        name = e.name
        if name == "reference_date" or name in scope.months:
            return e, t.DATE
        if name in DECISION_VALUES:
            if scope.decision:
                return e, t.BOOL
            self.error("E0106", f"`{name}` can only be used in a `property`", e.span,
                       "a requirement cannot depend on the decision it is part of")
            return e, None
        if name in self._pending or name in self._checked:
            typ = self._ensure(name)
            return e, typ
        sym = self.symbols.get(name)
        if sym is not None:
            return e, sym.type
        enum = self._enum_of(name)
        if enum is not None:
            lit = n.EnumLit(name, span=e.span)
            return lit, enum
        if name in FUNCTIONS:
            self.error("E0107", f"`{name}` is a function: call it with arguments, `{name}(...)`", e.span)
            return e, None
        known = list(self.symbols) + list(BUILTIN_VALUES) + (list(DECISION_VALUES) if scope.decision else [])
        # a misspelt option is as likely as a misspelt name
        known += [m for sym in self.symbols.values() if isinstance(sym.type, t.EnumType) for m in sym.type.members]
        help_ = did_you_mean(name, known)
        if re.search(rf"\bsum\s+for\s+each\s+month\s+{re.escape(name)}\b", self.parsed.source.text):
            help_ = f"`{name}` is the month of a sum over months: it is known only in that sum's body"
        self.error("E0100", f"unknown name `{name}`", e.span, help_)
        return e, None

    def _is_option(self, e: n.Expr) -> bool:
        return isinstance(e, n.Name) and e.name not in self.symbols and e.name not in self._pending \
            and self._enum_of(e.name) is not None

    def _option(self, e: n.Expr, other: t.Type | None, scope: Scope) -> tuple[n.Expr, t.Type | None]:
        """`e` checked as usual, except that an option's name compared with an enumeration that has
        it is that enumeration's option (two enumerations may share an option such as `none`)."""
        if self._is_option(e) and isinstance(other, t.EnumType) and isinstance(e, n.Name) \
                and e.name in other.members:
            lit = n.EnumLit(e.name, span=e.span)
            self.types[id(lit)] = other
            return lit, other
        return self.expr(e, scope)

    def _enum_of(self, member: str) -> t.EnumType | None:
        for sym in self.symbols.values():
            if isinstance(sym.type, t.EnumType) and member in sym.type.members:
                return sym.type
        return None

    def _inputs(self) -> list[str]:
        return [s.name for s in self.symbols.values() if s.kind == "input"]
