"""Declarations: inputs, parameters, brackets, definitions, amounts, requirements, documents and
properties, each checked against its type, its domain and the rules of its kind."""

from __future__ import annotations

from datetime import date
from typing import assert_never

from eenvoud.diagnostics import did_you_mean
from eenvoud.dsl.help import lit_text, literal_help, provided_span
from eenvoud.dsl.names import KEYWORDS, RESERVED, Scope
from eenvoud.dsl.types_check import Typing, assignable, literal_type, outside_domain
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.source import Span

# the longest period a registry binding may name (E0120)
MAX_YEARS_BACK = 100
MAX_MONTHS = 1_200


class Declarations(Typing):
    """Each kind of declaration checked; definitions, amounts and brackets on first use."""

    def _check_input(self, decl: n.Input) -> None:
        self._check_domain(decl.type, decl.span)
        if decl.period is not None:
            self._check_period(decl.period, decl.span)

    def _check_period(self, period: n.RegistryPeriod, span: Span | None) -> None:
        """A registry binding's period: at least one, at most 100 years back or 1,200 months."""
        where = period.span or span
        written = period.span.file.text[period.span.start:period.span.end] if period.span is not None else ""
        if period.kind == "year" and period.count == 0 and "-" in written:
            self.error("E0120", "`for year - 0` is the year of the decision date", where, "write `for year`")
        elif period.kind == "year" and period.count > MAX_YEARS_BACK:
            self.error("E0120", f"`{period.text()}` reaches back more than {MAX_YEARS_BACK} years", where,
                       "no registry keeps a fact that long; check the number")
        elif period.kind in ("past_months", "next_months") and period.count == 0:
            self.error("E0120", f"`{period.text()}` is an empty period", where,
                       "write at least 1 month, or `on decision date` for the state on that day")
        elif period.kind in ("past_months", "next_months") and period.count > MAX_MONTHS:
            self.error("E0120", f"`{period.text()}` is more than {MAX_MONTHS:,} months", where,
                       "for a whole history up to the decision, write `until decision date`")

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

    # -- lazily checked (see Names._ensure): brackets, definitions, amounts ----------------------
    def _check_lazy(self, decl: n.Definition | n.Amount | n.Bracket) -> tuple[n.Definition | n.Amount | n.Bracket, t.Type | None]:
        match decl:
            case n.Definition():
                expr, typ = self.expr(decl.expr, Scope())
                if typ is not None and decl.type is not None and not t.same_kind(typ, decl.type):
                    self.error("E0206", f"`{decl.name}` is declared `{t.kind(decl.type)}`, but its value is `{t.kind(typ)}`",
                               decl.span)
                final = decl.type if decl.type is not None else typ
                return n.Definition(decl.name, decl.type, decl.label, expr, span=decl.span), final
            case n.Amount():
                expr, typ = self.expr(decl.expr, Scope())
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
                key, ktyp = self.expr(decl.key, Scope())
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

    def _check_document(self, decl: n.Document) -> n.Document:
        for name in decl.provides:
            sym = self.symbols.get(name)
            if sym is None or sym.kind != "input":
                self.error("E0210", f"the document `{decl.name}` provides `{name}`, which is not an input",
                           provided_span(decl, name),
                           did_you_mean(name, self._inputs()) or "a document provides answers to inputs")
        required = decl.required_when
        if required is not None:
            required = self.condition(required, "`required when`")
        return n.Document(decl.name, decl.label, decl.provides, required, span=decl.span)

    def _check_property(self, prop: n.Property) -> n.Property:
        if self.parsed.regulation.kind == "module":
            self.error("E0108", "a module cannot state a property", prop.span,
                       "properties speak of eligibility: put them in a regulation")
        expr = self.condition(prop.expr, f"the property \"{prop.name}\"", Scope(decision=True, amounts_paid=True))
        return n.Property(prop.name, prop.on, expr, span=prop.span)
