"""Type checking of expressions: every expression gets its type, or None after a diagnostic.

Errors in an expression do not cascade: a sub-expression that failed has no type, and checks that
depend on it stay silent. The typing rules themselves (`arithmetic_type`, `literal_type`, ...) are
functions, shared with the tests and the docs.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import assert_never

from eenvoud.diagnostics import did_you_mean
from eenvoud.dsl.help import VERBS, arithmetic_help, bound_text, compare_help, money_hint
from eenvoud.dsl.names import KEYWORDS, RESERVED, Names, Scope
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import FUNCTIONS
from eenvoud.ir.names import names_in
from eenvoud.source import Span

ROUNDING = ("round", "floor", "ceil")



class Typing(Names):
    """Expressions and conditions: names resolved, types given, mismatches reported."""

    def condition(self, expr: n.Expr, what: str, scope: Scope | None = None) -> n.Expr:
        checked, typ = self.expr(expr, scope or Scope())
        if typ is not None and not isinstance(typ, t.BoolType):
            self.error("E0209", f"{what} must be true or false, but this is `{t.kind(typ)}`", expr.span,
                       "compare it with something, for example `x >= 18`")
        return checked

    def expr(self, e: n.Expr, scope: Scope, division_ok: bool = False) -> tuple[n.Expr, t.Type | None]:
        """Resolve names in `e` and give it a type; None when it has an error (already reported)."""
        out, typ = self._expr(e, scope, division_ok)
        if typ is not None:
            self.types[id(out)] = typ
        return out, typ

    def _expr(self, e: n.Expr, scope: Scope, division_ok: bool) -> tuple[n.Expr, t.Type | None]:
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
            case n.MonthSum():
                return self._month_sum(e, scope)
            case n.Call():
                return self._call(e, scope)
            case _:
                assert_never(e)

    # -- `sum for each month m in the year of Y: body` ------------------------------------------
    def _month_sum(self, e: n.MonthSum, scope: Scope) -> tuple[n.Expr, t.Type | None]:
        year, ytyp = self.expr(e.year, scope)
        ok = ytyp is not None
        if ytyp is not None and not isinstance(ytyp, t.DateType):
            self.error("E0223", f"a sum over months takes the year of a date, not of `{t.kind(ytyp)}`",
                       e.year.span, "for example `the year of reference_date`")
            ok = False
        var = e.var
        taken = self._taken(var, scope)
        if taken is not None:
            self.error("E0224", f"the month of a sum cannot be called `{var}`: {taken}", self._var_span(e),
                       "choose a name of its own for the month, for example `month_start`")
            ok = False
        body, btyp = self.expr(e.body, dataclasses.replace(scope, months=(*scope.months, var)))
        if btyp is not None and not isinstance(btyp, t.IntType | t.DecimalType | t.MoneyType):
            self.error("E0222", f"a sum over months adds money or numbers, not `{t.kind(btyp)}`", e.body.span,
                       "to count the months in which it holds, write `if ... then 1 else 0`"
                       if isinstance(btyp, t.BoolType) else
                       "the body is what one month gives: money (`if ... then €100.00 else €0.00`) or a number")
            ok = False
        if not ok or btyp is None:
            return n.month_sum(var, year, body, span=e.span), None
        starts = self._month_starts(year)
        months = tuple(self._substitute(body, var, start) for start in starts)
        return n.month_sum(var, year, body, months, starts, span=e.span), t.strip_domain(btyp)

    def _taken(self, var: str, scope: Scope) -> str | None:
        """Why `var` cannot name the month of a sum, or None when it can."""
        if var in scope.months:
            return "a sum around this one already names its month so"
        if var in RESERVED or var in KEYWORDS:
            return "that is a reserved name or a word of the language"
        if var in self.symbols or var in self._pending or var in self._checked:
            return "that is already a name of these rules"
        if self._enum_of(var) is not None:
            return "that is already an option of an enumeration"
        return None

    def _var_span(self, e: n.MonthSum) -> Span | None:
        """The month's name in `sum for each month NAME in ...`."""
        span = e.span
        if span is None:
            return None
        found = re.compile(rf"\bmonth\s+({re.escape(e.var)})\b").search(span.file.text, span.start, span.end)
        return span.file.span(found.start(1), found.end(1)) if found is not None else span

    def _typed(self, e: n.Expr, typ: t.Type) -> n.Expr:
        self.types[id(e)] = typ
        return e

    def _month_starts(self, year: n.Expr) -> tuple[n.Expr, ...]:
        """The first day of each month of the year of `year`, in the built-in functions alone:
        add_months(add_years(2000-01-01, years_between(2000-01-01, year)), k - 1)."""
        origin = self._typed(n.DateLit(n.YEAR_ORIGIN), t.DATE)
        years = self._typed(n.Call("years_between", (origin, year)), t.INT)
        first = self._typed(n.Call("add_years", (origin, years)), t.DATE)
        return (first, *(self._typed(n.Call("add_months", (first, self._typed(n.IntLit(k), t.INT))), t.DATE)
                         for k in range(1, 12)))

    def _substitute(self, e: n.Expr, var: str, by: n.Expr) -> n.Expr:
        """`e` with the name `var` replaced by `by`; what does not mention it is shared, and every
        new node has the type of the node it copies."""
        if var not in names_in(e):
            return e
        out: n.Expr
        match e:
            case n.BoolLit() | n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit() | n.EnumLit():
                return e
            case n.Name():
                return by if e.name == var else e
            case n.Unary():
                out = n.Unary(e.op, self._substitute(e.operand, var, by), span=e.span)
            case n.Binary():
                out = n.Binary(e.op, self._substitute(e.left, var, by), self._substitute(e.right, var, by),
                               span=e.span)
            case n.InSet():
                out = n.InSet(self._substitute(e.operand, var, by),
                              tuple(self._substitute(o, var, by) for o in e.options), span=e.span)
            case n.If():
                out = n.If(self._substitute(e.cond, var, by), self._substitute(e.then, var, by),
                           self._substitute(e.else_, var, by), span=e.span)
            case n.MonthSum():
                # an inner sum (with a month of another name): its year, body and copies
                year = self._substitute(e.year, var, by)
                starts = e.starts
                if year is not e.year:
                    starts = self._month_starts(year)
                    months = tuple(self._substitute(self._substitute(e.body, var, by), e.var, s) for s in starts)
                else:
                    months = tuple(self._substitute(m, var, by) for m in e.months)
                out = n.month_sum(e.var, year, self._substitute(e.body, var, by), months, starts, span=e.span)
            case n.Call():
                out = n.Call(e.func, tuple(self._substitute(a, var, by) for a in e.args), span=e.span)
            case _:
                assert_never(e)
        if id(e) in self.types:
            self.types[id(out)] = self.types[id(e)]
        return out

    def _binary(self, e: n.Binary, scope: Scope, division_ok: bool) -> tuple[n.Expr, t.Type | None]:
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

    def _call(self, e: n.Call, scope: Scope) -> tuple[n.Expr, t.Type | None]:
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
        if func == "first_day_of_next_month":
            if not arity(1, 1):
                return None
            if not isinstance(ts[0], t.DateType):
                self.error("E0218", f"`{func}` needs a date, not `{t.kind(ts[0])}`", e.args[0].span)
                return None
            return t.DATE
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


# -- typing rules, shared with the tests and the docs ----------------------------------------------

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

