"""Z3 term constructors that fold constants (as Cedar's symbolic compiler does), and the values of
the core (`eenvoud.core.nodes.Value`) as Z3 numerals.

z3 builds `2 + 3` unevaluated and `And(True, x)` as written; these constructors fold what is
constant, so that a requirement that cannot fail keeps its own term, a bracket's rate times an
income stays linear (a constant is pushed into the branches of an `if` of constants), and the
solver sees no more than the rules say. Sorts follow the types: bool is Bool; int, date (a day
number) and an enumeration (the option's index) are Int; money, decimal and percent are Real.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, assert_never

import z3
from z3.z3 import _to_expr_ref as _expr  # a term of the right class (BoolRef, ArithRef) for an AST

from eenvoud.core import nodes as c
from eenvoud.core.lower import literal_value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t

FALSE = z3.BoolVal(False)
TRUE = z3.BoolVal(True)


def real(x: Fraction | int) -> z3.RatNumRef:
    f = Fraction(x)
    return z3.RealVal(f"{f.numerator}/{f.denominator}")


def is_int_sorted(typ: t.Type) -> bool:
    return isinstance(typ, t.IntType | t.DateType | t.EnumType)


def constant(value: c.Value, typ: t.Type) -> z3.ExprRef:
    """A value of the core as a numeral of `typ` (a whole number in a decimal place is a Real)."""
    match value:
        case bool():
            return z3.BoolVal(value)
        case int():
            return z3.IntVal(value) if is_int_sorted(typ) else real(value)
        case Decimal():
            return real(Fraction(value))
        case date():
            return z3.IntVal(value.toordinal())
        case str():
            assert isinstance(typ, t.EnumType), typ
            return z3.IntVal(typ.members.index(value))
        case _:
            assert_never(value)


def literal(lit: n.Literal, typ: t.Type) -> z3.ExprRef:
    """A literal of the IR as a value of `typ`."""
    return constant(literal_value(lit), typ)


def zero(typ: t.Type) -> z3.ExprRef:
    return z3.IntVal(0) if is_int_sorted(typ) else real(0)


def is_value(x: z3.ExprRef) -> bool:
    return z3.Z3_is_numeral_ast(x.ctx_ref(), x.as_ast()) or truth(x) != 0  # terms are Int, Real or Bool


def fold(x: z3.ExprRef) -> z3.ExprRef:
    """Simplify a term whose operands are all values (z3 itself builds `2 + 3` unevaluated).
    Through Z3's C API: the wrapper's `children()` and `is_app_of` build a Python object per
    operand and declaration, and this runs for every term the encoding builds."""
    ref, ast = x.ctx_ref(), x.as_ast()
    if z3.Z3_get_ast_kind(ref, ast) != z3.Z3_APP_AST:
        return x
    app = z3.Z3_to_app(ref, ast)
    k = z3.Z3_get_app_num_args(ref, app)
    if k == 0:
        return x
    args = [z3.Z3_get_app_arg(ref, app, i) for i in range(k)]
    if all(z3.Z3_is_numeral_ast(ref, a) or z3.Z3_get_bool_value(ref, a) != z3.Z3_L_UNDEF for a in args):
        return z3.simplify(x)
    if k == 3 and z3.Z3_get_decl_kind(ref, z3.Z3_get_app_decl(ref, app)) == z3.Z3_OP_ITE:
        cond = z3.Z3_get_bool_value(ref, args[0])
        if cond == z3.Z3_L_TRUE:
            return _expr(args[1], x.ctx)
        if cond == z3.Z3_L_FALSE:
            return _expr(args[2], x.ctx)
        if z3.Z3_is_eq_ast(ref, args[1], args[2]):
            return _expr(args[1], x.ctx)
    return x


def _is_real(x: z3.ExprRef) -> bool:
    """x.sort() == z3.RealSort(), without building two sort objects."""
    ref = x.ctx_ref()
    return bool(z3.Z3_get_sort_kind(ref, z3.Z3_get_sort(ref, x.as_ast())) == z3.Z3_REAL_SORT)


def to_real(x: z3.ExprRef) -> z3.ExprRef:
    ref = x.ctx_ref()
    if z3.Z3_get_sort_kind(ref, z3.Z3_get_sort(ref, x.as_ast())) == z3.Z3_INT_SORT:
        return real(x.as_long()) if z3.is_int_value(x) else z3.ToReal(x)
    return x


def same_sort(*xs: z3.ExprRef) -> tuple[z3.ExprRef, ...]:
    if any(_is_real(x) for x in xs):
        return tuple(to_real(x) for x in xs)
    return xs


def equal(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    a, b = same_sort(a, b)
    return fold(a == b)


def compare(op: c.Op, a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    """A comparison of two numbers (or enumeration indexes, or day numbers)."""
    match op:
        case c.Op.EQ:
            return equal(a, b)
        case c.Op.NE:
            return fold(z3.Not(equal(a, b)))
        case c.Op.LT | c.Op.LE | c.Op.GT | c.Op.GE:
            a, b = same_sort(a, b)
            return fold(_order(op, a, b))
        case c.Op.ADD | c.Op.SUB | c.Op.MUL | c.Op.AND | c.Op.OR | c.Op.IMPLIES:
            raise AssertionError(f"{op} is not a comparison")
        case _:
            assert_never(op)


def _order(op: c.Op, a: z3.ArithRef, b: z3.ArithRef) -> z3.BoolRef:
    if op is c.Op.LT:
        return a < b
    if op is c.Op.LE:
        return a <= b
    if op is c.Op.GT:
        return a > b
    return a >= b


def arithmetic(op: c.Op, x: z3.ExprRef, y: z3.ExprRef) -> z3.ExprRef:
    match op:
        case c.Op.ADD:
            return fold(x + y)
        case c.Op.SUB:
            return fold(x - y)
        case c.Op.MUL:
            return multiply(x, y)
        case c.Op.EQ | c.Op.NE | c.Op.LT | c.Op.LE | c.Op.GT | c.Op.GE | c.Op.AND | c.Op.OR | c.Op.IMPLIES:
            raise AssertionError(f"{op} is not arithmetic")
        case _:
            assert_never(op)


def multiply(a: z3.ExprRef, b: z3.ExprRef) -> z3.ExprRef:
    """a * b, kept linear where it can be: a constant is pushed into the branches of an `if`
    whose leaves are constants (a bracket's rate times an income is a piecewise-linear term)."""
    if is_value(a) and is_value(b):
        return fold(a * b)
    if is_value(a):
        a, b = b, a
    if is_value(b):
        # (x * c1) * c2 is x * (c1 * c2): one coefficient, as a drafter would write it
        if z3.is_app_of(a, z3.Z3_OP_MUL) and a.num_args() == 2 and is_value(a.arg(1)):
            return multiply(a.arg(0), fold(a.arg(1) * b))
        if z3.is_rational_value(b) and Fraction(b.as_fraction()) == 1:
            return a
        if z3.is_int_value(b) and b.as_long() == 1:
            return a
        return a * b
    if constant_leaves(a):
        return _distribute(a, b)
    if constant_leaves(b):
        return _distribute(b, a)
    return a * b


def scale_leaves(x: z3.ExprRef, k: int) -> z3.ExprRef:
    """x * k, pushed into the leaves of an `if` tree of constants."""
    if is_value(x):
        return fold(x * k)
    if z3.is_app_of(x, z3.Z3_OP_ITE) and constant_leaves(x):
        return z3.If(x.arg(0), scale_leaves(x.arg(1), k), scale_leaves(x.arg(2), k))
    return x * k


def constant_leaves(x: z3.ExprRef) -> bool:
    """A value, or an `if` tree whose leaves are values (a bracket of constants)."""
    if is_value(x):
        return True
    return z3.is_app_of(x, z3.Z3_OP_ITE) and constant_leaves(x.arg(1)) and constant_leaves(x.arg(2))


def _distribute(ite: z3.ExprRef, other: z3.ExprRef) -> z3.ExprRef:
    if is_value(ite):
        return fold(ite * other)
    return z3.If(ite.arg(0), _distribute(ite.arg(1), other), _distribute(ite.arg(2), other))


def divide(num: z3.ExprRef, den: z3.ExprRef) -> z3.ExprRef:
    if is_value(den) and not is_value(num):
        d = Fraction(den.as_fraction())
        if d != 0:
            return multiply(num, real(1 / d))
    return fold(num / den)


# a division by a whole-number term whose values lie in a range no wider than this is written out
# by cases on the divisor, each a division by a constant: linear, where `num / den` is not
DIVISOR_CASES = 64


def int_range(x: z3.ExprRef, ranges: Mapping[int, tuple[int, int]]) -> tuple[int, int] | None:
    """Bounds of an integer term over the inputs' declared ranges (`ranges`: by the id of an input's
    constant), through sums, differences, constant multiples and `if`s; None when unbounded."""
    if z3.is_int_value(x):
        return x.as_long(), x.as_long()
    if z3.is_const(x):
        return ranges.get(x.get_id())
    if z3.is_app_of(x, z3.Z3_OP_ITE):
        a, b = int_range(x.arg(1), ranges), int_range(x.arg(2), ranges)
        return None if a is None or b is None else (min(a[0], b[0]), max(a[1], b[1]))
    if z3.is_app_of(x, z3.Z3_OP_ADD) or z3.is_app_of(x, z3.Z3_OP_SUB):
        parts = [int_range(k, ranges) for k in x.children()]
        if any(p is None for p in parts):
            return None
        lo, hi = parts[0]  # type: ignore[misc]
        for p in parts[1:]:
            assert p is not None
            if z3.is_app_of(x, z3.Z3_OP_ADD):
                lo, hi = lo + p[0], hi + p[1]
            else:
                lo, hi = lo - p[1], hi - p[0]
        return lo, hi
    if z3.is_app_of(x, z3.Z3_OP_MUL) and x.num_args() == 2:
        a, b = int_range(x.arg(0), ranges), int_range(x.arg(1), ranges)
        if a is None or b is None or (a[0] != a[1] and b[0] != b[1]):
            return None
        products = [p * q for p in a for q in b]
        return min(products), max(products)
    if z3.is_app_of(x, z3.Z3_OP_UMINUS):
        a = int_range(x.arg(0), ranges)
        return None if a is None else (-a[1], -a[0])
    return None


def divide_by_cases(num: z3.ExprRef, den: z3.ExprRef, span: tuple[int, int]) -> z3.ExprRef:
    """num / den for a whole-number `den` known to lie in `span`: by cases on its value, each a
    division by a constant (linear). Outside the span (never, within the domains) the plain
    quotient, so that the term stays exact for any value."""
    out = divide(to_real(num), to_real(den))
    lo, hi = span
    for k in range(hi, lo - 1, -1):
        if k != 0:
            out = z3.If(den == k, divide(to_real(num), real(k)), out)
    return out


def rounded(x: z3.ExprRef, places: int, mode: c.Rounding) -> z3.ExprRef:
    """round (half away from zero), floor or ceil of a Real to `places` decimals, exactly."""
    scale = 10 ** places
    r = multiply(x, real(scale))
    q: z3.ExprRef
    match mode:
        case c.Rounding.FLOOR:
            q = z3.ToInt(r)
        case c.Rounding.CEIL:
            q = -z3.ToInt(-r)
        case c.Rounding.ROUND:
            half = real(Fraction(1, 2))
            q = z3.If(r >= 0, z3.ToInt(r + half), -z3.ToInt(-r + half))
        case _:
            assert_never(mode)
    if is_value(r):
        q = z3.simplify(q)
    return fold(multiply(z3.ToReal(q), real(Fraction(1, scale))) if not is_value(q)
                else real(Fraction(q.as_long(), scale)))


def truth(x: z3.ExprRef) -> int:
    """1 for `true`, -1 for `false`, 0 for any other term: z3.is_true and z3.is_false in one call
    into Z3 (they build the declaration's wrapper each time, some 6 µs; this is called some
    hundred thousand times per analysis of a large regulation)."""
    return z3.Z3_get_bool_value(x.ctx_ref(), x.as_ast())


def conjunction(xs: Iterable[z3.BoolRef]) -> z3.BoolRef:
    parts = []
    for x in xs:
        known = truth(x)
        if known < 0:
            return FALSE
        if not known:
            parts.append(x)
    if not parts:
        return TRUE
    return parts[0] if len(parts) == 1 else _connective(z3.Z3_mk_and, parts)


def disjunction(xs: Iterable[z3.BoolRef]) -> z3.BoolRef:
    parts = []
    for x in xs:
        known = truth(x)
        if known > 0:
            return TRUE
        if not known:
            parts.append(x)
    if not parts:
        return FALSE
    return parts[0] if len(parts) == 1 else _connective(z3.Z3_mk_or, parts)


def either(parts: list[z3.BoolRef]) -> z3.BoolRef:
    """z3.Or(parts), at least two, as written: `disjunction` without its look at each part (for a
    caller that knows none of them is true or false)."""
    return _connective(z3.Z3_mk_or, parts)


def _connective(make: Any, parts: list[z3.BoolRef]) -> z3.BoolRef:
    """z3.And(parts) or z3.Or(parts) without the wrapper's coercion of every operand (the operands
    are Boolean terms of one context already)."""
    array = (z3.Ast * len(parts))(*[p.as_ast() for p in parts])
    ctx = parts[0].ctx
    return z3.BoolRef(make(ctx.ref(), len(parts), array), ctx)


def negate(x: z3.BoolRef) -> z3.BoolRef:
    known = truth(x)
    if known:
        return FALSE if known > 0 else TRUE
    ref, ast = x.ctx_ref(), x.as_ast()
    if z3.Z3_get_ast_kind(ref, ast) == z3.Z3_APP_AST:
        app = z3.Z3_to_app(ref, ast)
        if z3.Z3_get_decl_kind(ref, z3.Z3_get_app_decl(ref, app)) == z3.Z3_OP_NOT:
            # a requirement that cannot fail to evaluate keeps its own term
            return z3.BoolRef(z3.Z3_get_app_arg(ref, app, 0), x.ctx)
    return z3.BoolRef(z3.Z3_mk_not(ref, ast), x.ctx)


def row_matches(key: z3.ExprRef, row: c.Row, key_type: t.Type) -> z3.BoolRef:
    """lo <= key < hi for a row of a bracket whose key is a number."""
    parts: list[z3.BoolRef] = []
    plain = t.strip_domain(key_type)
    if row.lo is not None:
        lo, k = same_sort(constant(row.lo, plain), key)
        parts.append(fold(lo <= k))
    if row.hi is not None:
        hi, k = same_sort(constant(row.hi, plain), key)
        parts.append(fold(k < hi))
    return conjunction(parts)
