"""Small sqlglot builders for the SQL backend (sql.py, sql_arith.py, sql_input.py).

sqlglot prints a tree as it is built, without adding the brackets that precedence would need: these
builders put them in. The names with an underscore are for the sql modules only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp


def _cast(e: exp.Expr, to: exp.DataType | str) -> exp.Expr:
    """CAST(e AS to), always. (sqlglot's `exp.cast` drops a cast whose operand is already cast to
    the same kind of type, whatever the precision and scale: CAST(CAST(x AS DECIMAL(24, 2)) AS
    DECIMAL(18, 2)) would lose the DECIMAL(18, 2) this module tracks.)"""
    return exp.Cast(this=e, to=exp.DataType.build(to) if isinstance(to, str) else to)


def col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def alias(e: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(e, name, quoted=True)


def _p(e: exp.Expr) -> exp.Expr:
    """Parenthesised: sqlglot prints a tree as it is built, without adding the brackets that
    precedence would need."""
    if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Null | exp.Paren | exp.Cast | exp.Func):
        return e
    return exp.Paren(this=e)


def _bin(cls: type[exp.Binary], a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Paren(this=cls(this=_p(a), expression=_p(b)))


def _not(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=exp.Not(this=_p(e)))


def _and(parts: Sequence[exp.Expr]) -> exp.Expr:
    if not parts:
        return exp.true()
    out = _p(parts[0])
    for x in parts[1:]:
        out = _bin(exp.And, out, x)
    return out


def _or(parts: Sequence[exp.Expr]) -> exp.Expr:
    if not parts:
        return exp.false()
    out = _p(parts[0])
    for x in parts[1:]:
        out = _bin(exp.Or, out, x)
    return out


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=exp.Is(this=_p(e), expression=exp.Null()))


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=exp.Not(this=exp.Is(this=_p(e), expression=exp.Null())))


def _case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Case:
    case = exp.Case()
    for cond, value in whens:
        case = case.when(cond, value)
    if default is not None:
        case = case.else_(default)
    return case


def _is_false(e: exp.Expr) -> exp.Expr:
    """True exactly when `e` is FALSE (not when it is NULL)."""
    return _not(exp.Coalesce(this=_p(e), expressions=[exp.true()]))


def _is_true(e: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=_p(e), expressions=[exp.false()])


def _simple(e: exp.Expr) -> bool:
    """Cheap to repeat: a column, a literal, a cast literal."""
    if isinstance(e, exp.Paren):
        return _simple(e.this)
    if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Null):
        return True
    return isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal)


def _decimal(p: int, s: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({p}, {s})")


def _subquery(rel: exp.Expr, name: str) -> exp.Expr:
    if isinstance(rel, exp.Select):
        return rel.subquery(name, copy=False)
    return rel
