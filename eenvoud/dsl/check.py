"""Name resolution and type checking: parsed IR (with its imports) to checked IR.

One pass reports every error it finds in a file, not only the first. Errors in an expression do
not cascade: a sub-expression that failed has no type (None), and checks that depend on it stay
silent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import assert_never

from eenvoud.diagnostics import Diagnostic, did_you_mean
from eenvoud.dsl.limits import check_references
from eenvoud.dsl.parser import ParsedFile
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import (
    BUILTIN_VALUES,
    DECISION_VALUES,
    FUNCTIONS,
    CheckedRegulation,
    Symbol,
    make_checked,
)
from eenvoud.ir.printer import literal, money_text, percent_text
from eenvoud.source import Span

RESERVED = set(BUILTIN_VALUES) | set(DECISION_VALUES) | set(FUNCTIONS)
# Words the parser reads as part of the language wherever a name could also stand (an expression,
# an expectation): a declaration or option named so would parse but could never be used.
KEYWORDS = {"if", "then", "else", "not", "and", "or", "implies", "in", "true", "false", "undetermined", "missing"}
ROUNDING = ("round", "floor", "ceil")


@dataclass
class _Scope:
    """What an expression may see: `decision` in properties only."""

    decision: bool = False
    amounts_paid: bool = False


@dataclass
class Checker:
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

    # -- diagnostics -------------------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, help))

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

    def _check_input(self, decl: n.Input) -> None:
        self._check_domain(decl.type, decl.span)

    def _check_domain(self, typ: t.Type, span: Span | None) -> None:
        lo = getattr(typ, "lo", None)
        hi = getattr(typ, "hi", None)
        if lo is not None and hi is not None and lo > hi:
            self.error("E0203", f"the range `{lo}..{hi}` is empty", span, "write the lower bound first")
        if isinstance(typ, t.EnumType):
            seen: set[str] = set()
            for m in typ.members:
                if m in seen:
                    self.error("E0204", f"`{m}` appears twice in the enumeration", span)
                if m in KEYWORDS or m in RESERVED:
                    self.error("E0105", f"the option `{m}` is a reserved word", span, "choose another name")
                seen.add(m)
                if m in self.symbols and self.symbols[m].kind != "builtin":
                    self.error("E0205", f"the option `{m}` has the same name as a declaration", span,
                               "rename one of the two: an option must not hide a name")

    def _check_parameter(self, decl: n.Parameter) -> None:
        self._check_domain(decl.type, decl.span)
        previous: date | None = None
        for v in decl.values:
            if previous is not None and v.valid_from <= previous:
                self.error("E0401", f"the values of `{decl.name}` must be in date order, each date once",
                           v.span, f"{v.valid_from} is not after {previous}: list the values from the oldest date")
            previous = v.valid_from
            self._check_literal(v.value, decl.type, f"`{decl.name}`")

    def _check_literal(self, lit: n.Literal, want: t.Type, what: str) -> bool:
        """Whether `lit` is a value of `want`, with a diagnostic when it is not."""
        got = literal_type(lit, want)
        if isinstance(lit, n.EnumLit) and isinstance(want, t.EnumType) and got is None:
            self.error("E0201", f"`{lit.member}` is not an option of {what}", lit.span,
                       did_you_mean(lit.member, want.members) or literal_help(lit, want))
            return False
        if got is None or not assignable(got, want):
            shown = f"`{t.kind(got)}`" if got is not None else f"the name `{lit_text(lit)}`"
            help_ = literal_help(lit, want)
            self.error("E0201", f"{what} is `{t.kind(want)}`, but this value is {shown}", lit.span, help_)
            return False
        problem = outside_domain(lit, want)
        if problem:
            self.error("E0202", f"`{lit_text(lit)}` is outside the domain of {what}: {problem}", lit.span)
            return False
        return True

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

    def _check_lazy(self, decl: n.Definition | n.Amount | n.Bracket) -> tuple[n.Definition | n.Amount | n.Bracket, t.Type | None]:
        match decl:
            case n.Definition():
                expr, typ = self.expr(decl.expr, _Scope())
                if typ is not None and decl.type is not None and not t.same_kind(typ, decl.type):
                    self.error("E0206", f"`{decl.name}` is declared `{t.kind(decl.type)}`, but its value is `{t.kind(typ)}`",
                               decl.span)
                final = decl.type if decl.type is not None else typ
                return n.Definition(decl.name, decl.type, decl.label, expr, span=decl.span), final
            case n.Amount():
                expr, typ = self.expr(decl.expr, _Scope())
                if typ is not None and not isinstance(typ, t.MoneyType | t.IntType | t.DecimalType):
                    self.error("E0207", f"the amount `{decl.name}` must be money or a number, not `{t.kind(typ)}`",
                               decl.expr.span or decl.span)
                    typ = None
                if typ is not None and decl.type is not None and not t.same_kind(typ, decl.type):
                    self.error("E0206", f"`{decl.name}` is declared `{t.kind(decl.type)}`, but its value is `{t.kind(typ)}`",
                               decl.expr.span or decl.span)
                final = decl.type if decl.type is not None else typ
                return n.Amount(decl.name, decl.type, decl.label, decl.article, expr, span=decl.span), final
            case n.Bracket():
                key, ktyp = self.expr(decl.key, _Scope())
                if ktyp is not None and not isinstance(ktyp, t.IntType | t.DecimalType | t.MoneyType | t.DateType):
                    self.error("E0208", f"a bracket is keyed on a number, money or a date, not `{t.kind(ktyp)}`",
                               decl.key.span)
                    ktyp = None
                self._check_domain(decl.type, decl.span)
                previous: date | None = None
                for version in decl.versions:
                    if previous is not None and version.valid_from <= previous:
                        self.error("E0401", f"the versions of `{decl.name}` must be in date order, each date once",
                                   version.span,
                                   f"{version.valid_from} is not after {previous}: list the versions from the oldest date")
                    previous = version.valid_from
                    for row in version.rows:
                        for bound in (row.lo, row.hi):
                            if bound is not None and ktyp is not None:
                                self._check_literal(bound, t.strip_domain(ktyp), f"the key of `{decl.name}`")
                        self._check_literal(row.value, decl.type, f"`{decl.name}`")
                return n.Bracket(decl.name, decl.type, decl.label, key, decl.versions, span=decl.span), decl.type
            case _:
                assert_never(decl)

    # -- requirements, documents, properties ------------------------------------------------------
    def _check_requirement(self, decl: n.Requirement) -> n.Requirement:
        if decl.name in self.symbols or decl.name in RESERVED:
            prior = self.symbols.get(decl.name)
            self._duplicate(decl.name, decl.span, prior.decl.span if prior and prior.decl else None)
        cond = self.condition(decl.condition, f"the requirement `{decl.name}`")
        exemptions = tuple(
            n.Exemption(self.condition(e.condition, "an `unless` exemption"), e.label, span=e.span)
            for e in decl.exemptions
        )
        return n.Requirement(decl.name, decl.label, decl.article, cond, exemptions, span=decl.span)

    def condition(self, expr: n.Expr, what: str, scope: _Scope | None = None) -> n.Expr:
        checked, typ = self.expr(expr, scope or _Scope())
        if typ is not None and not isinstance(typ, t.BoolType):
            self.error("E0209", f"{what} must be true or false, but this is `{t.kind(typ)}`", expr.span,
                       "compare it with something, for example `x >= 18`")
        return checked

    def _check_document(self, decl: n.Document) -> n.Document:
        for name in decl.provides:
            sym = self.symbols.get(name)
            if sym is None or sym.kind != "input":
                self.error("E0210", f"the document `{decl.name}` provides `{name}`, which is not an input",
                           _provided_span(decl, name),
                           did_you_mean(name, self._inputs()) or "a document provides answers to inputs")
        required = decl.required_when
        if required is not None:
            required = self.condition(required, "`required when`")
        return n.Document(decl.name, decl.label, decl.provides, required, span=decl.span)

    def _check_property(self, prop: n.Property) -> n.Property:
        if self.parsed.regulation.kind == "module":
            self.error("E0108", "a module cannot state a property", prop.span,
                       "properties speak of eligibility: put them in a regulation")
        expr = self.condition(prop.expr, f"the property \"{prop.name}\"", _Scope(decision=True, amounts_paid=True))
        return n.Property(prop.name, prop.on, expr, span=prop.span)

    # -- tests -------------------------------------------------------------------------------------
    def _check_test_names(self, tests: Iterable[n.Test]) -> None:
        seen: dict[str, n.Test] = {}
        for test in tests:
            if test.name in seen:
                self.error("E0506", f"two tests are named \"{test.name}\"", test.span,
                           f"first at {seen[test.name].span}; give each test its own name")
            seen[test.name] = test

    def _check_test(self, test: n.Test, requirements: list[n.Requirement]) -> n.Test:
        inputs = self._inputs()
        given_names: set[str] = set()
        for g in test.given:
            if g.name in given_names:
                self.error("E0505", f"`{g.name}` is given twice", g.span)
            given_names.add(g.name)
            sym = self.symbols.get(g.name)
            if sym is None or sym.kind != "input":
                kind = f"a {sym.kind}, not an input" if sym is not None else "not an input"
                self.error("E0501", f"the test gives `{g.name}`, which is {kind}", g.span,
                           did_you_mean(g.name, inputs) or "a test gives values to inputs only")
                continue
            self._check_literal(g.value, sym.type, f"`{g.name}`")
        for e in test.expects:
            match e:
                case n.ExpectEligible():
                    if self.parsed.regulation.kind == "module":
                        self.error("E0502", "a module has no eligibility to expect", e.span,
                                   "expect the value of a definition: `expect name = value`")
                case n.ExpectValue():
                    sym = self.symbols.get(e.name)
                    if sym is None or sym.kind not in ("definition", "amount", "bracket", "parameter"):
                        candidates = [s.name for s in self.symbols.values()
                                      if s.kind in ("definition", "amount", "bracket", "parameter")]
                        self.error("E0503", f"the test expects `{e.name}`, which is not an amount or definition",
                                   e.span, did_you_mean(e.name, candidates))
                    else:
                        self._check_literal(e.value, t.strip_domain(sym.type), f"`{e.name}`")
                case n.ExpectMissing():
                    for name in e.names:
                        if name not in inputs:
                            self.error("E0504", f"the test expects `{name}` to be missing, but it is not an input",
                                       e.span, did_you_mean(name, inputs))
                case _:
                    assert_never(e)
        self._check_dates(test.on, test.span, f"the test \"{test.name}\"")
        return test

    def _check_dates(self, day: date, span: Span | None, what: str) -> None:
        for sym in self.symbols.values():
            if sym.kind == "parameter" and isinstance(sym.decl, n.Parameter):
                first = sym.decl.values[0].valid_from if sym.decl.values else None
                if first is None or first > day:
                    self.error(
                        "E0402", f"the parameter `{sym.name}` has no value on {day}, the date of {what}",
                        span, f"its first value is from {first}" if first else "give it a value",
                    )
            elif sym.kind == "bracket" and isinstance(sym.decl, n.Bracket):
                first = sym.decl.versions[0].valid_from if sym.decl.versions else None
                if first is None or first > day:
                    self.error(
                        "E0402", f"the bracket `{sym.name}` has no rows on {day}, the date of {what}",
                        span, f"its first rows are from {first}" if first else "give it rows",
                    )

    def _inputs(self) -> list[str]:
        return [s.name for s in self.symbols.values() if s.kind == "input"]

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, e: n.Expr, scope: _Scope, division_ok: bool = False) -> tuple[n.Expr, t.Type | None]:
        """Resolve names in `e` and give it a type; None when it has an error (already reported)."""
        out, typ = self._expr(e, scope, division_ok)
        if typ is not None:
            self.types[id(out)] = typ
        return out, typ

    def _expr(self, e: n.Expr, scope: _Scope, division_ok: bool) -> tuple[n.Expr, t.Type | None]:
        match e:
            case n.BoolLit():
                return e, t.BOOL
            case n.IntLit():
                return e, t.INT
            case n.DecimalLit():
                return e, t.PERCENT if e.percent else t.DECIMAL
            case n.MoneyLit():
                return e, t.MONEY
            case n.DateLit():
                return e, t.DATE
            case n.EnumLit():
                enum = self._enum_of(e.member)
                if enum is None:
                    self.error("E0102", f"unknown option `{e.member}`", e.span)
                return e, enum
            case n.Name():
                return self._name(e, scope)
            case n.Unary():
                operand, typ = self.expr(e.operand, scope)
                out = n.Unary(e.op, operand, span=e.span)
                if typ is None:
                    return out, None
                if e.op == "not":
                    if not isinstance(typ, t.BoolType):
                        self.error("E0211", f"`not` needs true or false, not `{t.kind(typ)}`", e.span)
                        return out, None
                    return out, t.BOOL
                if not isinstance(typ, t.IntType | t.DecimalType | t.MoneyType):
                    self.error("E0211", f"`-` needs a number or money, not `{t.kind(typ)}`", e.span)
                    return out, None
                return out, t.strip_domain(typ)
            case n.Binary():
                return self._binary(e, scope, division_ok)
            case n.InSet():
                operand, typ = self.expr(e.operand, scope)
                options: list[n.Expr] = []
                result: t.Type | None = t.BOOL
                for opt in e.options:
                    if isinstance(opt, n.Name) and isinstance(typ, t.EnumType) and opt.name in typ.members \
                            and opt.name not in self.symbols:
                        lit = n.EnumLit(opt.name, span=opt.span)
                        self.types[id(lit)] = typ
                        options.append(lit)
                        continue
                    o, otyp = self.expr(opt, scope)
                    options.append(o)
                    if typ is not None and otyp is not None and not t.same_kind(typ, otyp):
                        self.error("E0212", f"cannot compare `{t.kind(typ)}` with `{t.kind(otyp)}`", opt.span)
                        result = None
                if typ is None:
                    result = None
                return n.InSet(operand, tuple(options), span=e.span), result
            case n.If():
                cond = self.condition(e.cond, "the condition of `if`", scope)
                then, a = self.expr(e.then, scope)
                else_, b = self.expr(e.else_, scope)
                if_ = n.If(cond, then, else_, span=e.span)
                if a is None or b is None:
                    return if_, None
                if not t.same_kind(a, b):
                    self.error("E0213", f"the branches of `if` differ: `{t.kind(a)}` and `{t.kind(b)}`", e.span,
                               "both branches must give the same kind of value")
                    return if_, None
                return if_, t.join(a, b)
            case n.Call():
                return self._call(e, scope)
            case _:
                assert_never(e)

    def _is_option(self, e: n.Expr) -> bool:
        return isinstance(e, n.Name) and e.name not in self.symbols and e.name not in self._pending \
            and self._enum_of(e.name) is not None

    def _option(self, e: n.Expr, other: t.Type | None, scope: _Scope) -> tuple[n.Expr, t.Type | None]:
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

    def _name(self, e: n.Name, scope: _Scope) -> tuple[n.Expr, t.Type | None]:
        name = e.name
        if name == "reference_date":
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
        self.error("E0100", f"unknown name `{name}`", e.span, did_you_mean(name, known))
        return e, None

    def _binary(self, e: n.Binary, scope: _Scope, division_ok: bool) -> tuple[n.Expr, t.Type | None]:
        if e.op in ("==", "!=") and self._is_option(e.left) and not self._is_option(e.right):
            # `none == b`: type the option by the enumeration it is compared with
            right, b = self.expr(e.right, scope)
            left, a = self._option(e.left, b, scope)
        else:
            left, a = self.expr(e.left, scope)
            right, b = self._option(e.right, a, scope) if e.op in ("==", "!=") else self.expr(e.right, scope)
        out = n.Binary(e.op, left, right, span=e.span)
        if e.op == "/" and not division_ok:
            self.error("E0220", "a division must say how it is rounded", e.span,
                       "the law says how to round: write `round(a / b, 2)`, `floor(a / b)` or `ceil(a / b)`")
            return out, None
        if a is None or b is None:
            return out, None
        op = e.op
        if op in n.LOGICAL:
            for side, typ in ((e.left, a), (e.right, b)):
                if not isinstance(typ, t.BoolType):
                    self.error("E0214", f"`{op}` needs true or false on both sides, not `{t.kind(typ)}`", side.span)
                    return out, None
            return out, t.BOOL
        if op in n.COMPARISON:
            if not t.same_kind(a, b):
                self.error("E0212", f"cannot compare `{t.kind(a)}` with `{t.kind(b)}`", e.span,
                           money_hint(e, a, b) or compare_help(a, b))
                return out, None
            if op not in ("==", "!=") and isinstance(a, t.BoolType | t.EnumType):
                self.error("E0215", f"`{op}` does not order `{t.kind(a)}` values", e.span, "use `==` or `!=`")
                return out, None
            return out, t.BOOL
        result = arithmetic_type(op, a, b)
        if result is None:
            hint = money_hint(e, a, b) if op in ("+", "-") else None
            self.error("E0216", f"cannot {VERBS[op]} `{t.kind(a)}` and `{t.kind(b)}`", e.span,
                       hint or arithmetic_help(op, a, b))
        return out, result

    def _call(self, e: n.Call, scope: _Scope) -> tuple[n.Expr, t.Type | None]:
        func = e.func
        if func not in FUNCTIONS:
            sym = self.symbols.get(func)
            if sym is not None:
                self.error("E0107", f"`{func}` is a {sym.kind}, not a function", e.span)
            else:
                self.error("E0100", f"unknown function `{func}`", e.span, did_you_mean(func, FUNCTIONS))
            for a in e.args:
                self.expr(a, scope)
            return e, None
        args: list[n.Expr] = []
        types: list[t.Type | None] = []
        for i, arg in enumerate(e.args):
            checked, typ = self.expr(arg, scope, division_ok=(func in ROUNDING and i == 0 and isinstance(arg, n.Binary)))
            args.append(checked)
            types.append(typ)
        out = n.Call(func, tuple(args), span=e.span)
        if any(x is None for x in types):
            return out, None
        ts: list[t.Type] = [x for x in types if x is not None]
        return out, self._signature(func, e, ts)

    def _signature(self, func: str, e: n.Call, ts: list[t.Type]) -> t.Type | None:
        def arity(lo: int, hi: int | None) -> bool:
            if len(ts) < lo or hi is not None and len(ts) > hi:
                want = str(lo) if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
                plural = "" if (hi or lo) == 1 else "s"
                self.error("E0217", f"`{func}` takes {want} argument{plural}, not {len(ts)}", e.span)
                return False
            return True

        def numeric(typ: t.Type, arg: n.Expr, allow_date: bool = False) -> bool:
            ok = isinstance(typ, t.IntType | t.DecimalType | t.MoneyType) or (allow_date and isinstance(typ, t.DateType))
            if not ok:
                self.error("E0218", f"`{func}` needs a number or money, not `{t.kind(typ)}`", arg.span)
            return ok

        if func in ("min", "max"):
            if not arity(1, None):
                return None
            result = ts[0]
            for typ, arg in zip(ts, e.args, strict=True):
                if not numeric(typ, arg, allow_date=True):
                    return None
                if not t.same_kind(result, typ):
                    self.error("E0219", f"`{func}` compares values of one kind, not `{t.kind(result)}` and `{t.kind(typ)}`",
                               arg.span)
                    return None
                result = t.join(result, typ)
            return result
        if func in ROUNDING:
            if not arity(1, 2) or not numeric(ts[0], e.args[0]):
                return None
            if len(ts) == 2:
                places = e.args[1]
                if not isinstance(places, n.IntLit) or not 0 <= places.value <= 10:
                    self.error("E0221", f"the decimals of `{func}` are a whole number from 0 to 10, written out",
                               places.span, f"for example `{func}(x, 2)` for cents")
                    return None
            return t.strip_domain(ts[0])
        if func == "abs":
            if not arity(1, 1) or not numeric(ts[0], e.args[0]):
                return None
            return t.strip_domain(ts[0])
        if func in ("years_between", "months_between", "days_between"):
            if not arity(2, 2):
                return None
            for typ, arg in zip(ts, e.args, strict=True):
                if not isinstance(typ, t.DateType):
                    self.error("E0218", f"`{func}` needs two dates, not `{t.kind(typ)}`", arg.span)
                    return None
            return t.INT
        if func in ("add_days", "add_months", "add_years"):
            if not arity(2, 2):
                return None
            if not isinstance(ts[0], t.DateType):
                self.error("E0218", f"`{func}` needs a date first, not `{t.kind(ts[0])}`", e.args[0].span)
                return None
            if not isinstance(ts[1], t.IntType):
                self.error("E0218", f"`{func}` needs a whole number second, not `{t.kind(ts[1])}`", e.args[1].span)
                return None
            return t.DATE
        raise AssertionError(func)

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


def _provided_span(decl: n.Document, name: str) -> Span | None:
    """Where `name` stands in the document's `provides` list (the IR keeps only the names), so
    that the caret points at the wrong name rather than at the document."""
    span = decl.span
    if span is None:
        return None
    text = span.file.text
    provides = re.compile(r"\bprovides\b").search(text, span.end)
    if provides is not None:
        found = re.compile(rf"\b{re.escape(name)}\b").search(text, provides.end())
        if found is not None:
            return span.file.span(found.start(), found.end())
    return span


# -- typing rules, shared with the tests and the docs ----------------------------------------------

VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}


def arithmetic_type(op: str, a: t.Type, b: t.Type) -> t.Type | None:
    """The type of `a op b`, or None when the units do not allow it.

    money + money is money; money * number is money; money / number is money; money / money is a
    number; money + number, money * money and anything with bool, date or an option are errors.
    """
    num_a, num_b = t.is_number(a), t.is_number(b)
    money_a, money_b = isinstance(a, t.MoneyType), isinstance(b, t.MoneyType)
    if op in ("+", "-"):
        if num_a and num_b:
            return t.join(a, b)
        if money_a and money_b:
            return t.MONEY
        return None
    if op == "*":
        if num_a and num_b:
            return t.INT if isinstance(a, t.IntType) and isinstance(b, t.IntType) else t.DECIMAL
        if (money_a and num_b) or (num_a and money_b):
            return t.MONEY
        return None
    if op == "/":
        if num_a and num_b:
            return t.DECIMAL
        if money_a and num_b:
            return t.MONEY
        if money_a and money_b:
            return t.DECIMAL
        return None
    raise AssertionError(op)


def arithmetic_help(op: str, a: t.Type, b: t.Type) -> str | None:
    if isinstance(a, t.MoneyType) and t.is_number(b) or isinstance(b, t.MoneyType) and t.is_number(a):
        if op in ("+", "-"):
            return "write the number as money, for example `€100`"
    if isinstance(a, t.MoneyType) and isinstance(b, t.MoneyType) and op == "*":
        return "money times money has no meaning; multiply money by a number or a percentage"
    if isinstance(a, t.DateType) or isinstance(b, t.DateType):
        return "use `add_days`, `add_months`, `add_years` or `days_between` for dates"
    if isinstance(a, t.BoolType) or isinstance(b, t.BoolType):
        return "true and false are not numbers; use `if ... then ... else ...`"
    return None


def money_hint(e: n.Binary, a: t.Type, b: t.Type) -> str | None:
    """`income <= 40000`: show the number written as money, the likely intent."""
    for side, other in ((e.right, a), (e.left, b)):
        if not isinstance(other, t.MoneyType):
            continue
        if isinstance(side, n.IntLit) or isinstance(side, n.DecimalLit) and not side.percent:
            return f"write the number as money: `{money_text(Decimal(side.value))}`"
    return None


def compare_help(a: t.Type, b: t.Type) -> str | None:
    if isinstance(a, t.MoneyType) and t.is_number(b) or isinstance(b, t.MoneyType) and t.is_number(a):
        return "write the number as money, for example `€0`"
    return None


def literal_type(lit: n.Literal, want: t.Type) -> t.Type | None:
    match lit:
        case n.BoolLit():
            return t.BOOL
        case n.IntLit():
            return t.INT
        case n.DecimalLit():
            return t.PERCENT if lit.percent else t.DECIMAL
        case n.MoneyLit():
            return t.MONEY
        case n.DateLit():
            return t.DATE
        case n.EnumLit():
            if isinstance(want, t.EnumType) and lit.member in want.members:
                return want
            return None
        case _:
            assert_never(lit)


def assignable(got: t.Type, want: t.Type) -> bool:
    if isinstance(want, t.DecimalType):
        return isinstance(got, t.IntType | t.DecimalType)
    if isinstance(want, t.EnumType):
        return isinstance(got, t.EnumType) and got.members == want.members
    return type(got) is type(want)


def outside_domain(lit: n.Literal, want: t.Type) -> str | None:
    value = getattr(lit, "value", None)
    lo = getattr(want, "lo", None)
    hi = getattr(want, "hi", None)
    if value is None or isinstance(value, bool | date):
        return None
    if lo is not None and value < lo:
        return f"below its lowest value `{bound_text(lo, want)}`"
    if hi is not None and value > hi:
        return f"above its highest value `{bound_text(hi, want)}`"
    return None


def bound_text(bound: object, typ: t.Type) -> str:
    """A domain bound as the drafter wrote it: `100%`, `€0.00`, `130`."""
    if isinstance(typ, t.MoneyType) and isinstance(bound, Decimal):
        return money_text(bound)
    if isinstance(typ, t.DecimalType) and typ.percent and isinstance(bound, Decimal):
        return percent_text(bound)
    return str(bound)


def lit_text(lit: n.Literal) -> str:
    return literal(lit)


def literal_help(lit: n.Literal, want: t.Type) -> str | None:
    if isinstance(want, t.MoneyType) and isinstance(lit, n.IntLit | n.DecimalLit):
        return f"write money with the euro sign: `€{lit.value}`"
    if isinstance(want, t.EnumType):
        return "one of: " + ", ".join(f"`{m}`" for m in want.members)
    if isinstance(want, t.BoolType):
        return "write `true` or `false`"
    if isinstance(want, t.DateType):
        return "write a date as `2025-01-01`"
    return None
