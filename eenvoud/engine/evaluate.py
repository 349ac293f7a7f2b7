"""The checked IR compiled, once per reference date, into Python closures that decide a case.

Three-valued (Kleene): an unknown fact is None, and None spreads only where the answer really
depends on it (`false and unknown` is false). Node kinds are handled in the same order as in
`eenvoud.analysis.encode`, so that the two can be read side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import assert_never

from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.engine import values as v
from eenvoud.engine.facts import literal_value as _literal
from eenvoud.engine.values import EXACT, EvaluationError, Maybe, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation


class Env:
    """One case: its facts, and the definitions computed so far."""

    __slots__ = ("facts", "cache", "paid", "reads")

    def __init__(self, facts: dict[str, Value]):
        self.facts = facts
        self.cache: dict[str, tuple[Maybe, set[str]]] = {}
        self.paid: dict[str, Maybe] = {}  # amounts as decided, for properties
        # the unknown inputs the evaluation so far has read: exactly the facts that could still
        # change its result, since Kleene logic reads no more than the answer depends on
        self.reads: set[str] = set()


Compiled = Callable[[Env], Maybe]


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


class Program:
    """A regulation compiled at one reference date."""

    def __init__(self, reg: CheckedRegulation, day: date):
        self.reg = reg
        self.day = day
        self.problems: list[Diagnostic] = []
        self._names: dict[str, Compiled] = {}
        self._decls = {
            **{d.name: d for d in reg.definitions},
            **{a.name: a for a in reg.amounts},
            **{b.name: b for b in reg.brackets},
        }
        try:
            self.requirements = [
                (r, self.expr(r.condition), [self.expr(e.condition) for e in r.exemptions])
                for r in reg.requirements
            ]
            self.amounts = [(a, self.name(a.name)) for a in reg.amounts]
            self.documents = [(d, self.expr(d.required_when) if d.required_when is not None else None)
                              for d in reg.documents]
        except RecursionError:
            # compiling follows chains of definitions; hundreds deep is the drafter's to fix
            raise RuleError([Diagnostic(
                "E0005", "the rules nest too deeply to evaluate", reg.regulation.span,
                "a chain of definitions is hundreds of levels deep; shorten it",
            )]) from None
        if self.problems:
            raise RuleError(self.problems)

    # -- names ----------------------------------------------------------------------------------
    def name(self, name: str) -> Compiled:
        """The compiled value of a declared name (memoised per case for definitions)."""
        if name in self._names:
            return self._names[name]
        sym = self.reg.symbols.get(name)
        fn: Compiled
        if name == "reference_date":
            day = self.day
            fn = lambda env: day  # noqa: E731
        elif name == "eligible":
            fn = lambda env: env.paid.get("__eligible__")  # noqa: E731
        elif sym is None:
            raise AssertionError(f"unresolved name {name}")
        elif sym.kind == "input":
            def fn(env: Env, name: str = name) -> Maybe:
                x = env.facts.get(name)
                if x is None:
                    env.reads.add(name)
                return x
        elif sym.kind == "parameter":
            assert isinstance(sym.decl, n.Parameter)
            pv = parameter_value(sym.decl, self.day)
            if pv is None:
                first = sym.decl.values[0].valid_from if sym.decl.values else None
                self.problems.append(Diagnostic(
                    "E0402", f"the parameter `{name}` has no value on {self.day}", sym.decl.span,
                    f"its first value is from {first}" if first else "give it a value"))
                value: Maybe = None
            else:
                value = _literal(pv.value)
            fn = _constant(value)
        else:
            fn = self._memoised(name)
        self._names[name] = fn
        return fn

    def _memoised(self, name: str) -> Compiled:
        # placeholder first: a definition used twice is compiled once
        cell: list[Compiled] = []

        def fn(env: Env) -> Maybe:
            got = env.cache.get(name)
            if got is None:
                outer = env.reads
                env.reads = set()
                value = cell[0](env)
                env.cache[name] = (value, env.reads)
                outer |= env.reads
                env.reads = outer
                return value
            env.reads |= got[1]
            return got[0]

        self._names[name] = fn
        decl = self._decls[name]
        match decl:
            case n.Definition() | n.Amount():
                cell.append(self.expr(decl.expr))
            case n.Bracket():
                cell.append(self._bracket(decl))
            case _:
                raise AssertionError(decl)
        return fn

    def _bracket(self, b: n.Bracket) -> Compiled:
        version = bracket_rows(b, self.day)
        if version is None:
            self.problems.append(Diagnostic("E0402", f"the bracket `{b.name}` has no rows on {self.day}", b.span))
            return lambda env: None
        key = self.expr(b.key)
        rows = [(None if r.lo is None else _literal(r.lo), None if r.hi is None else _literal(r.hi), _literal(r.value))
                for r in version.rows]
        name = b.name
        span = b.span
        key_is_money = isinstance(self.reg.type_of(b.key), t.MoneyType)

        def fn(env: Env) -> Maybe:
            k = key(env)
            if k is None:
                return None
            for lo, hi, value in rows:
                if (lo is None or lo <= k) and (hi is None or k < hi):  # type: ignore[operator]
                    return value
            raise EvaluationError(f"no row of the bracket `{name}` covers the value {v.to_json(k, key_is_money)}",
                                  span)

        return fn

    # -- expressions (same order as analysis/encode.py) -------------------------------------------
    def expr(self, e: n.Expr) -> Compiled:
        match e:
            case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
                value = _literal(e)
                return lambda env: value
            case n.Name():
                return self.name(e.name)
            case n.Unary():
                operand = self.expr(e.operand)
                if e.op == "not":
                    return lambda env: None if (x := operand(env)) is None else not x
                return lambda env: None if (x := operand(env)) is None else -x  # type: ignore[operator]
            case n.Binary():
                return self._binary(e)
            case n.InSet():
                operand = self.expr(e.operand)
                options = [self.expr(o) for o in e.options]

                def in_set(env: Env) -> Maybe:
                    x = operand(env)
                    unknown = x is None
                    for o in options:
                        y = o(env)
                        if y is None:
                            unknown = True
                        elif x == y:
                            return True
                    return None if unknown else False

                return in_set
            case n.If():
                cond, then, else_ = self.expr(e.cond), self.expr(e.then), self.expr(e.else_)

                def if_(env: Env) -> Maybe:
                    c = cond(env)
                    if c is True:
                        return then(env)
                    if c is False:
                        return else_(env)
                    a, b = then(env), else_(env)  # unknown condition: known only if both agree
                    return a if a is not None and a == b else None

                return if_
            case n.Call():
                return self._call(e)
            case _:
                assert_never(e)

    def _binary(self, e: n.Binary) -> Compiled:
        left, right = self.expr(e.left), self.expr(e.right)
        match e.op:
            case "and":
                def and_(env: Env) -> Maybe:
                    a = left(env)
                    if a is False:
                        return False
                    b = right(env)
                    if b is False:
                        return False
                    return None if a is None or b is None else True
                return and_
            case "or":
                def or_(env: Env) -> Maybe:
                    a = left(env)
                    if a is True:
                        return True
                    b = right(env)
                    if b is True:
                        return True
                    return None if a is None or b is None else False
                return or_
            case "implies":
                def implies(env: Env) -> Maybe:
                    a = left(env)
                    if a is False:
                        return True
                    b = right(env)
                    if b is True:
                        return True
                    return None if a is None or b is None else False
                return implies
            case "/":
                raise AssertionError("a division is compiled by the rounding around it")
        op = _OPERATORS[e.op]
        exact = e.op in ("+", "-", "*") and not isinstance(self.reg.type_of(e), t.IntType)

        # both sides are evaluated even when the left one is unknown, so that the unknown inputs
        # of both are read: either could be the fact a portal still has to ask
        def binary(env: Env) -> Maybe:
            a = left(env)
            b = right(env)
            if a is None or b is None:
                return None
            return op(a, b)  # type: ignore[return-value]

        if exact:
            exact_op = _EXACT_OPS[e.op]

            def exact_binary(env: Env) -> Maybe:
                a = left(env)
                b = right(env)
                if a is None or b is None:
                    return None
                return exact_op(Decimal(a), Decimal(b))  # type: ignore[arg-type]
            return exact_binary
        return binary

    def _call(self, e: n.Call) -> Compiled:
        func = e.func
        if func in ("round", "floor", "ceil"):
            places = e.args[1].value if len(e.args) == 2 else 0  # type: ignore[union-attr]
            target = e.args[0]
            result_int = isinstance(self.reg.type_of(e), t.IntType)
            if isinstance(target, n.Binary) and target.op == "/":
                num, den = self.expr(target.left), self.expr(target.right)
                span = target.span

                def rounded_division(env: Env) -> Maybe:
                    a = num(env)
                    b = den(env)
                    if a is None or b is None:
                        return None
                    if b == 0:
                        raise EvaluationError("division by zero", span)
                    q = v.divide(a, b, places, func)  # type: ignore[arg-type]
                    return int(q) if result_int else q

                return rounded_division
            arg = self.expr(target)

            def rounded(env: Env) -> Maybe:
                x = arg(env)
                return None if x is None else v.round_number(x, places, func)  # type: ignore[arg-type]

            return rounded
        args = [self.expr(a) for a in e.args]
        impl = _FUNCTIONS[func]
        span = e.span

        def call(env: Env) -> Maybe:
            values = [a(env) for a in args]
            if any(x is None for x in values):
                return None
            try:
                return impl(*values)
            except EvaluationError as exc:  # a date out of range: say where
                if exc.span is None:
                    exc.span = span
                raise

        return call


def _constant(value: Maybe) -> Compiled:
    return lambda env: value




_OPERATORS: dict[str, Callable[[object, object], object]] = {
    "+": lambda a, b: a + b,  # type: ignore[operator]
    "-": lambda a, b: a - b,  # type: ignore[operator]
    "*": lambda a, b: a * b,  # type: ignore[operator]
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}

# Exact decimal arithmetic: the EXACT context traps any result that would need rounding.
_EXACT_OPS: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": EXACT.add,
    "-": EXACT.subtract,
    "*": EXACT.multiply,
}

_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "min": lambda *xs: min(xs),
    "max": lambda *xs: max(xs),
    "abs": lambda x: abs(x),
    "years_between": v.years_between,
    "months_between": v.months_between,
    "days_between": lambda a, b: (b - a).days,
    "add_days": v.add_days,
    "add_months": v.add_months,
    "add_years": lambda d, years: v.add_months(d, 12 * years),
}
