"""`lower(regulation, day)`: a checked regulation made the core that every backend reads.

Parameters become constants and brackets their rows in force on the day; `round(a / b, k)` becomes
one `RoundedDivide`; operator and function names become enums; every node gets the type the
checker gave its source. A parameter or bracket without a value on the day is a diagnostic
(E0402), all of them at once, as the engine has always said it.

Lowered cores are kept per (content hash, day), least recently used first out: the engine, the
analyzer and the SQL compiler share them, and each backend keeps what it compiled from a core in
the core (`Core.compiled`): one cache, not one per backend. A server takes dates from anyone, so
the cache is bounded: a client walking through every day of a century costs compile time, not
memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import assert_never

from eenvoud.core import nodes as c
from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.source import Span

_UNARY = {"-": c.UnaryOp.NEG, "not": c.UnaryOp.NOT}
_BINARY = {op.value: op for op in c.Op}
_FUNCS = {f.value: f for f in c.Func}
_ROUNDING = {r.value: r for r in c.Rounding}


def parameter_value(param: n.Parameter, day: date) -> n.ParamValue | None:
    """The value of `param` in force on `day`: the last one whose date is not after it."""
    found = None
    for pv in param.values:
        if pv.valid_from <= day:
            found = pv
    return found


def bracket_rows(bracket: n.Bracket, day: date) -> n.BracketVersion | None:
    found = None
    for version in bracket.versions:
        if version.valid_from <= day:
            found = version
    return found


def literal_value(lit: n.Literal) -> c.Value:
    match lit:
        case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit():
            return lit.value
        case n.EnumLit():
            return lit.member
        case _:
            assert_never(lit)


@dataclass
class Core:
    """A regulation at one reference date, lowered. Build with `lower(reg, day)`."""

    reg: CheckedRegulation
    day: date
    inputs: tuple[n.Input, ...] = ()
    requirements: tuple[c.Requirement, ...] = ()
    amounts: tuple[c.Amount, ...] = ()
    documents: tuple[c.Document, ...] = ()
    # definitions, brackets and amount formulas by name, each lowered once, in the order first read
    definitions: dict[str, c.Expr] = field(default_factory=dict)
    _memo: dict[tuple[int, bool], c.Expr] = field(default_factory=dict, repr=False)
    _keep: list[n.Expr] = field(default_factory=list, repr=False)  # so that the ids in _memo stay theirs
    _problem_memo: dict[int, tuple[Diagnostic, ...]] = field(default_factory=dict, repr=False)
    _decls: dict[str, n.Definition | n.Amount | n.Bracket] = field(default_factory=dict, repr=False)
    _lowering: set[str] = field(default_factory=set, repr=False)
    # what each backend compiled from this core ("engine": its Program, ...): kept with the core
    # in the one cache, so that a core and its programs leave memory together
    compiled: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.reg.name

    @property
    def hash(self) -> str:
        return self.reg.hash

    def ref(self, name: str) -> c.Expr:
        """A declared name as a term (definitions, brackets and amounts as a `DefRef`, lowered once)."""
        return self._name(name, decision=False, span=None)

    def lower(self, e: n.Expr, decision: bool = False) -> c.Expr:
        """An expression of the checked IR as a core term (memoised per node). With `decision`
        (a property), `eligible` and amount names mean the decision itself."""
        key = (id(e), decision)
        got = self._memo.get(key)
        if got is None:
            got = self._lower(e, decision)
            self._memo[key] = got
            self._keep.append(e)
        return got

    def problems(self, term: c.Expr) -> tuple[Diagnostic, ...]:
        """The parameters and brackets without a value on the day that `term` reads, through the
        definitions it names (E0402), each once."""
        got = self._problem_memo.get(id(term))
        if got is not None:
            return got
        found: dict[str, Diagnostic] = {}
        seen: set[str] = set()
        todo: list[c.Expr] = [term]
        while todo:
            e = todo.pop()
            if e.missing is not None:
                found.setdefault(e.missing.message, e.missing)
            if isinstance(e, c.DefRef) and e.name not in seen and e.name in self.definitions:
                seen.add(e.name)
                todo.append(self.definitions[e.name])
            todo.extend(c.children(e))
        out = tuple(found.values())
        self._problem_memo[id(term)] = out
        return out

    def raise_problems(self, *terms: c.Expr) -> None:
        """Refuse `terms` when they read a parameter or bracket without a value on the day."""
        found: dict[str, Diagnostic] = {}
        for term in terms:
            for d in self.problems(term):
                found.setdefault(d.message, d)
        if found:
            raise RuleError(list(found.values()))

    # -- expressions ----------------------------------------------------------------------------
    def _lower(self, e: n.Expr, decision: bool) -> c.Expr:
        typ = self.reg.type_of(e)
        span = e.span
        match e:
            case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
                return c.Const(typ, literal_value(e), span=span)
            case n.Name():
                return self._name(e.name, decision, span)
            case n.Unary():
                return c.Unary(typ, _UNARY[e.op], self.lower(e.operand, decision), span=span)
            case n.Binary():
                if e.op == "/":
                    raise AssertionError("the checker lets a division stand only inside its rounding")
                return c.Binary(typ, _BINARY[e.op], self.lower(e.left, decision), self.lower(e.right, decision),
                                span=span)
            case n.InSet():
                return c.InSet(typ, self.lower(e.operand, decision),
                               tuple(self.lower(o, decision) for o in e.options), span=span)
            case n.If():
                return c.If(typ, self.lower(e.cond, decision), self.lower(e.then, decision),
                            self.lower(e.else_, decision), span=span)
            case n.MonthSum():
                return self._month_sum(e, typ, decision)
            case n.Call():
                return self._call(e, typ, decision)
            case _:
                assert_never(e)

    def _month_sum(self, e: n.MonthSum, typ: t.Type, decision: bool) -> c.Expr:
        """`sum for each month m in the year of Y: body`: the twelve checked copies of the body,
        added up. When the year is fixed on the day (`reference_date`, a date, a parameter), each
        copy's month is a constant, the first day of its month; otherwise it is computed from Y."""
        if len(e.months) != 12 or len(e.starts) != 12:
            raise AssertionError("a sum over months is lowered only once checked")
        year = self.lower(e.year, decision)
        if isinstance(year, c.Const) and isinstance(year.value, date):
            for k, start in enumerate(e.starts, start=1):
                self._memo[(id(start), decision)] = c.Const(t.DateType(), date(year.value.year, k, 1),
                                                            span=start.span)
                self._keep.append(start)
        # added pairwise, (January + February) + (March + April), ...: four levels of `+`, not eleven
        terms = [self.lower(month, decision) for month in e.months]
        while len(terms) > 1:
            pairs = [c.Binary(typ, c.Op.ADD, a, b, span=e.span) for a, b in zip(terms[::2], terms[1::2], strict=False)]
            terms = pairs + (terms[-1:] if len(terms) % 2 else [])
        return terms[0]

    def _call(self, e: n.Call, typ: t.Type, decision: bool) -> c.Expr:
        mode = _ROUNDING.get(e.func)
        if mode is not None:
            places_arg = e.args[1] if len(e.args) == 2 else None
            places = places_arg.value if isinstance(places_arg, n.IntLit) else 0
            target = e.args[0]
            if isinstance(target, n.Binary) and target.op == "/":
                return c.RoundedDivide(typ, mode, self.lower(target.left, decision),
                                       self.lower(target.right, decision), places, span=target.span)
            return c.Round(typ, mode, self.lower(target, decision), places, span=e.span)
        return c.Call(typ, _FUNCS[e.func], tuple(self.lower(a, decision) for a in e.args), span=e.span)

    # -- names ----------------------------------------------------------------------------------
    def _name(self, name: str, decision: bool, span: Span | None) -> c.Expr:
        sp = span
        if name == "reference_date":
            return c.Const(t.DateType(), self.day, span=sp)
        if name == "eligible":
            return c.Decided(t.BoolType(), span=sp)
        sym = self.reg.symbols[name]
        match sym.kind:
            case "input":
                return c.InputRef(sym.type, name, span=sp)
            case "parameter":
                assert isinstance(sym.decl, n.Parameter)
                pv = parameter_value(sym.decl, self.day)
                if pv is None:
                    first = sym.decl.values[0].valid_from if sym.decl.values else None
                    missing = Diagnostic(
                        "E0402", f"the parameter `{name}` has no value on {self.day}", sym.decl.span,
                        f"its first value is from {first}" if first else "give it a value")
                    return c.Const(sym.type, _placeholder(sym.type), span=sp, missing=missing)
                return c.Const(sym.type, literal_value(pv.value), span=sp)
            case "amount" if decision:
                return c.Paid(sym.type, name, span=sp)
            case "definition" | "amount" | "bracket":
                self._define(name)
                return c.DefRef(self.definitions[name].type if name in self.definitions else sym.type, name,
                                span=sp)
            case "builtin":
                raise AssertionError(name)
        raise AssertionError(sym.kind)

    def _define(self, name: str) -> None:
        if name in self.definitions or name in self._lowering:
            return
        self._lowering.add(name)  # the checker rejects cycles; this only guards the recursion
        try:
            decl = self._decls[name]
            match decl:
                case n.Definition() | n.Amount():
                    self.definitions[name] = self.lower(decl.expr)
                case n.Bracket():
                    self.definitions[name] = self._bracket(decl)
                case _:
                    assert_never(decl)
        finally:
            self._lowering.discard(name)

    def _bracket(self, b: n.Bracket) -> c.Expr:
        version = bracket_rows(b, self.day)
        key = self.lower(b.key)
        missing = None
        if version is None:
            missing = Diagnostic("E0402", f"the bracket `{b.name}` has no rows on {self.day}", b.span)
            rows: tuple[c.Row, ...] = ()
        else:
            rows = tuple(c.Row(None if r.lo is None else literal_value(r.lo),
                               None if r.hi is None else literal_value(r.hi), literal_value(r.value))
                         for r in version.rows)
        return c.Lookup(b.type, b.name, key, self.reg.type_of(b.key), rows, span=b.span, missing=missing)


def _placeholder(typ: t.Type) -> c.Value:
    """A value of the right kind for a parameter without one; the core is refused before use."""
    match t.strip_domain(typ):
        case t.BoolType():
            return False
        case t.IntType():
            return 0
        case t.DateType():
            return date(1, 1, 1)
        case t.EnumType() as e:
            return e.members[0]
        case _:
            from decimal import Decimal

            return Decimal(0)


def build(reg: CheckedRegulation, day: date) -> Core:
    """Lower `reg` at `day` (no cache). Raises RuleError listing every parameter and bracket
    without a value on the day that the requirements, amounts or documents read."""
    core = Core(reg, day, inputs=reg.inputs)
    core._decls = {**{d.name: d for d in reg.definitions}, **{a.name: a for a in reg.amounts},
                   **{b.name: b for b in reg.brackets}}
    core.requirements = tuple(
        c.Requirement(r.name, r.label, r.article, core.lower(r.condition),
                      tuple(core.lower(x.condition) for x in r.exemptions),
                      tuple(x.label for x in r.exemptions), r)
        for r in reg.requirements)
    amounts = []
    for a in reg.amounts:
        formula = core.ref(a.name)
        amounts.append(c.Amount(a.name, reg.symbols[a.name].type, a.label, a.article, formula, a))
    core.amounts = tuple(amounts)
    core.documents = tuple(
        c.Document(d.name, d.label, d.provides, None if d.required_when is None else core.lower(d.required_when), d)
        for d in reg.documents)
    core.raise_problems(*(r.condition for r in core.requirements), *(x for r in core.requirements for x in r.exemptions),
                        *(a.formula for a in core.amounts),
                        *(d.required_when for d in core.documents if d.required_when is not None))
    return core


class _Cache:
    MAX = 512

    def __init__(self) -> None:
        self._cores: OrderedDict[tuple[str, date, int], Core] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, reg: CheckedRegulation, day: date) -> Core:
        # the regulation object is part of the key: a core holds its declarations, and two loads
        # of one text are two objects (cheap to lower twice; never a stale declaration)
        key = (reg.hash, day, id(reg))
        with self._lock:
            got = self._cores.get(key)
            if got is not None and got.reg is reg:
                self._cores.move_to_end(key)
                return got
        core = build(reg, day)
        with self._lock:
            self._cores[key] = core
            while len(self._cores) > self.MAX:
                self._cores.popitem(last=False)
        return core


_CACHE = _Cache()


def lower(reg: CheckedRegulation, day: date) -> Core:
    """The core of `reg` at `day`, lowered once and shared by every backend."""
    return _CACHE.get(reg, day)


__all__ = ["Core", "bracket_rows", "build", "literal_value", "lower", "parameter_value"]
