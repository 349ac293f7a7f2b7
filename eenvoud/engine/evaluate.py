"""The lowered core (`eenvoud.core`) compiled, once per reference date, into Python closures that
evaluate a case; `decision.judge` decides with them.

Three-valued (Kleene): an unknown fact is None, and None spreads only where the answer really
depends on it (`false and unknown` is false). What may fail raises EvaluationError with the span of
the node that failed (a `Lookup` with no row, a `RoundedDivide` by zero, a date shift out of range).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import assert_never

from eenvoud.core import nodes as c
from eenvoud.core.lower import Core, bracket_rows, lower, parameter_value
from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.engine import values as v
from eenvoud.engine.values import EXACT, EvaluationError, Maybe, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

__all__ = ["Compiled", "Env", "Program", "bracket_rows", "parameter_value"]


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


class Program:
    """A regulation compiled at one reference date: the lowered core (`eenvoud.core`) made
    closures. `requirements`, `amounts` and `documents` pair each declaration with its closures."""

    def __init__(self, reg: CheckedRegulation, day: date):
        self.reg = reg
        self.day = day
        self.core: Core = lower(reg, day)  # raises RuleError (E0402) for a parameter without a value
        self._names: dict[str, Compiled] = {}
        self._terms: dict[int, tuple[c.Expr, Compiled]] = {}
        try:
            self.requirements = [
                (r.decl, self.term(r.condition), [self.term(x) for x in r.exemptions])
                for r in self.core.requirements
            ]
            self.amounts = [(a.decl, self.term(a.formula)) for a in self.core.amounts]
            self.documents = [(d.decl, self.term(d.required_when) if d.required_when is not None else None)
                              for d in self.core.documents]
        except RecursionError:
            # compiling follows chains of definitions; the checker's limits keep them shallow
            raise RuleError([Diagnostic(
                "E0005", "the rules nest too deeply to evaluate", reg.regulation.span,
                "a chain of definitions is hundreds of levels deep; shorten it",
            )]) from None

    # -- names and IR expressions (for tests, reasons and properties) ----------------------------
    def name(self, name: str) -> Compiled:
        """The compiled value of a declared name (memoised per case for definitions)."""
        got = self._names.get(name)
        if got is None:
            ref = self.core.ref(name)
            self.core.raise_problems(ref)  # a parameter without a value on the day, read only here
            got = self.term(ref)
            self._names[name] = got
        return got

    def expr(self, e: n.Expr, decision: bool = False) -> Compiled:
        """An expression of the checked IR; `decision` (a property): `eligible` and amount names
        are the decision's (`env.paid`)."""
        term = self.core.lower(e, decision)
        self.core.raise_problems(term)
        return self.term(term)

    # -- core terms -------------------------------------------------------------------------------
    def term(self, e: c.Expr) -> Compiled:
        got = self._terms.get(id(e))
        if got is None:
            got = (e, self._term(e))  # the node is kept with its closure, so its id stays its own
            self._terms[id(e)] = got
        return got[1]

    def _term(self, e: c.Expr) -> Compiled:
        match e:
            case c.Const():
                value = e.value
                return lambda env: value
            case c.InputRef():
                name = e.name

                def read(env: Env) -> Maybe:
                    x = env.facts.get(name)
                    if x is None:
                        env.reads.add(name)
                    return x
                return read
            case c.DefRef():
                return self._memoised(e.name)
            case c.Decided():
                return lambda env: env.paid.get("__eligible__")
            case c.Paid():
                paid = e.name
                return lambda env: env.paid.get(paid)
            case c.Unary():
                operand = self.term(e.operand)
                match e.op:
                    case c.UnaryOp.NOT:
                        return lambda env: None if (x := operand(env)) is None else not x
                    case c.UnaryOp.NEG:
                        return lambda env: None if (x := operand(env)) is None else -x  # type: ignore[operator]
                    case _:
                        assert_never(e.op)
            case c.Binary():
                return self._binary(e)
            case c.InSet():
                operand = self.term(e.operand)
                options = [self.term(o) for o in e.options]

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
            case c.If():
                cond, then, else_ = self.term(e.cond), self.term(e.then), self.term(e.else_)

                def if_(env: Env) -> Maybe:
                    k = cond(env)
                    if k is True:
                        return then(env)
                    if k is False:
                        return else_(env)
                    a, b = then(env), else_(env)  # unknown condition: known only if both agree
                    return a if a is not None and a == b else None

                return if_
            case c.Call():
                return self._call(e)
            case c.Round():
                arg = self.term(e.operand)
                places, mode = e.places, e.mode.value

                def rounded(env: Env) -> Maybe:
                    x = arg(env)
                    return None if x is None else v.round_number(x, places, mode)  # type: ignore[arg-type]

                return rounded
            case c.RoundedDivide():
                num, den = self.term(e.num), self.term(e.den)
                places, mode, span = e.places, e.mode.value, e.span
                result_int = isinstance(e.type, t.IntType)

                def rounded_division(env: Env) -> Maybe:
                    a = num(env)
                    b = den(env)
                    if a is None or b is None:
                        return None
                    if b == 0:
                        raise EvaluationError("division by zero", span)
                    q = v.divide(a, b, places, mode)  # type: ignore[arg-type]
                    return int(q) if result_int else q

                return rounded_division
            case c.Lookup():
                return self._lookup(e)
            case _:
                assert_never(e)

    def _memoised(self, name: str) -> Compiled:
        got = self._names.get(name)
        if got is not None:
            return got
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
        cell.append(self.term(self.core.definitions[name]))
        return fn

    def _lookup(self, e: c.Lookup) -> Compiled:
        key = self.term(e.key)
        rows = [(r.lo, r.hi, r.value) for r in e.rows]
        name, span = e.bracket, e.span
        key_is_money = isinstance(t.strip_domain(e.key_type), t.MoneyType)

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

    def _binary(self, e: c.Binary) -> Compiled:
        left, right = self.term(e.left), self.term(e.right)
        match e.op:
            case c.Op.AND:
                def and_(env: Env) -> Maybe:
                    a = left(env)
                    if a is False:
                        return False
                    b = right(env)
                    if b is False:
                        return False
                    return None if a is None or b is None else True
                return and_
            case c.Op.OR:
                def or_(env: Env) -> Maybe:
                    a = left(env)
                    if a is True:
                        return True
                    b = right(env)
                    if b is True:
                        return True
                    return None if a is None or b is None else False
                return or_
            case c.Op.IMPLIES:
                def implies(env: Env) -> Maybe:
                    a = left(env)
                    if a is False:
                        return True
                    b = right(env)
                    if b is True:
                        return True
                    return None if a is None or b is None else False
                return implies
            case c.Op.ADD | c.Op.SUB | c.Op.MUL if not isinstance(e.type, t.IntType):
                # exact decimal arithmetic: the EXACT context traps any result that would round
                exact_op = _EXACT_OPS[e.op]

                def exact_binary(env: Env) -> Maybe:
                    a = left(env)
                    b = right(env)
                    if a is None or b is None:
                        return None
                    return exact_op(Decimal(a), Decimal(b))  # type: ignore[arg-type]
                return exact_binary
            case c.Op.ADD | c.Op.SUB | c.Op.MUL | c.Op.EQ | c.Op.NE | c.Op.LT | c.Op.LE | c.Op.GT | c.Op.GE:
                op = _OPERATORS[e.op]

                # both sides are evaluated even when the left one is unknown, so that the unknown
                # inputs of both are read: either could be the fact a portal still has to ask
                def binary(env: Env) -> Maybe:
                    a = left(env)
                    b = right(env)
                    if a is None or b is None:
                        return None
                    return op(a, b)  # type: ignore[return-value]
                return binary
            case _:
                assert_never(e.op)

    def _call(self, e: c.Call) -> Compiled:
        args = [self.term(a) for a in e.args]
        impl = _FUNCTIONS[e.func]
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




_OPERATORS: dict[c.Op, Callable[[object, object], object]] = {
    c.Op.ADD: lambda a, b: a + b,  # type: ignore[operator]
    c.Op.SUB: lambda a, b: a - b,  # type: ignore[operator]
    c.Op.MUL: lambda a, b: a * b,  # type: ignore[operator]
    c.Op.EQ: lambda a, b: a == b,
    c.Op.NE: lambda a, b: a != b,
    c.Op.LT: lambda a, b: a < b,  # type: ignore[operator]
    c.Op.LE: lambda a, b: a <= b,  # type: ignore[operator]
    c.Op.GT: lambda a, b: a > b,  # type: ignore[operator]
    c.Op.GE: lambda a, b: a >= b,  # type: ignore[operator]
}

# Exact decimal arithmetic: the EXACT context traps any result that would need rounding.
_EXACT_OPS: dict[c.Op, Callable[[Decimal, Decimal], Decimal]] = {
    c.Op.ADD: EXACT.add,
    c.Op.SUB: EXACT.subtract,
    c.Op.MUL: EXACT.multiply,
}

_FUNCTIONS: dict[c.Func, Callable[..., Value]] = {
    c.Func.MIN: lambda *xs: min(xs),
    c.Func.MAX: lambda *xs: max(xs),
    c.Func.ABS: lambda x: abs(x),
    c.Func.YEARS_BETWEEN: v.years_between,
    c.Func.MONTHS_BETWEEN: v.months_between,
    c.Func.DAYS_BETWEEN: lambda a, b: (b - a).days,
    c.Func.ADD_DAYS: v.add_days,
    c.Func.ADD_MONTHS: v.add_months,
    c.Func.ADD_YEARS: lambda d, years: v.add_months(d, 12 * years),
    c.Func.FIRST_DAY_OF_NEXT_MONTH: v.first_day_of_next_month,
}
