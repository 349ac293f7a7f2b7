"""Exact arithmetic on typed SQL values, for the compiler in sql.py (its base class).

Every operation states the SQL type of its result (sql_types.py) with an explicit CAST, widened
where DuckDB would otherwise compute in 64 bits and overflow. Rounding is the engine's: half away
from zero, floor, ceil. A division only ever stands inside a rounding (`RoundedDivide` in the
core), and is computed on exact integers (the numerator and denominator scaled to whole numbers,
then an integer division corrected by its remainder), never with SQL's `/`. A division by a value
that may be zero marks the row for the engine (`flag`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import assert_never

from sqlglot import exp

from eenvoud.core import nodes as c
from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.engine.sql_build import _bin, _case, _cast, _is_true, _not, _not_null, _or, _p, _simple, col
from eenvoud.engine.sql_types import (
    _UNKNOWN,
    INT_DIGITS,
    MAX_PRECISION,
    WIDE,
    Num,
    SqlType,
    Val,
    _digits,
    _sql_type,
    _wide,
    constant,
    decimal_literal,
    int_literal,
)
from eenvoud.engine.values import localcontext_exact
from eenvoud.source import Span

_COMPARE: dict[c.Op, type[exp.Binary]] = {
    c.Op.EQ: exp.EQ, c.Op.NE: exp.NEQ, c.Op.LT: exp.LT, c.Op.LE: exp.LTE, c.Op.GT: exp.GT, c.Op.GE: exp.GTE,
}


class SqlArithmetic:
    """Typed, exact SQL arithmetic. The compiler gives it the columns to put helpers in, the
    integer type of exact divisions (`big`), the place in the rules being compiled (`span`, for
    E0602) and where a row is marked for the engine (`flag`)."""

    columns: dict[str, exp.Expr]
    big: exp.DataType
    span: Span | None

    def flag(self, e: exp.Expr) -> None:
        raise NotImplementedError

    # -- errors --------------------------------------------------------------------------------
    def too_wide(self, what: str) -> RuleError:
        return RuleError([Diagnostic(
            "E0602", f"{what} needs more than {MAX_PRECISION} digits, more than SQL's widest DECIMAL holds",
            self.span, "round the intermediate result, or decide these cases with `eenvoud eval`")])

    # -- helpers -------------------------------------------------------------------------------
    def let(self, v: Val) -> Val:
        """`v` as a column of its own when it is used more than once and is not cheap to repeat."""
        if _simple(v.sql):
            return v
        name = f"__h{len(self.columns)}"
        self.columns[name] = v.sql
        return Val(col(name), v.type)

    def cast(self, v: Val, to: SqlType) -> exp.Expr:
        if v.type == to:
            return v.sql
        if isinstance(v.sql, exp.Cast) and isinstance(v.sql.this, exp.Literal):
            return _cast(v.sql.this, _sql_type(to))
        return _cast(_p(v.sql), _sql_type(to))

    def common(self, types: Sequence[SqlType]) -> SqlType:
        """The type that holds every value of `types` exactly (capped at 38 digits: a value that
        does not fit then overflows loudly)."""
        nums = [x for x in types if isinstance(x, Num)]
        if len(nums) != len(types):
            return types[0]
        lo = min(x.bounds[0] for x in nums)
        hi = max(x.bounds[1] for x in nums)
        if all(x.integer for x in nums):
            return Num.of(lo, hi, 0, True)
        s = max(x.s for x in nums)
        if s > MAX_PRECISION:
            raise self.too_wide("a value")
        return Num.of(lo, hi, s)

    def as_decimal(self, v: Val) -> Val:
        assert isinstance(v.type, Num)
        if not v.type.integer:
            return v
        target = Num.of(*v.type.bounds, 0)
        return Val(self.cast(v, target), target)

    # -- comparing and computing -------------------------------------------------------------------
    def compare(self, op: c.Op, a: Val, b: Val) -> exp.Expr:
        cls = _COMPARE[op]
        if isinstance(a.type, Num) and isinstance(b.type, Num):
            typ = self.common([a.type, b.type])
            return _bin(cls, self.cast(a, typ), self.cast(b, typ))
        return _bin(cls, a.sql, b.sql)

    def arith(self, op: c.Op, a: Val, b: Val) -> Val:
        """a + b, a - b or a * b (`op` is one of those)."""
        assert isinstance(a.type, Num) and isinstance(b.type, Num)
        x, y = constant(a), constant(b)
        if x is not _UNKNOWN and y is not _UNKNOWN:
            # the same for everyone: computed here, exactly (the engine's arithmetic)
            with localcontext_exact():
                folded = {c.Op.ADD: lambda: x + y, c.Op.SUB: lambda: x - y,  # type: ignore[operator]
                          c.Op.MUL: lambda: x * y}[op]()  # type: ignore[operator]
            if isinstance(folded, int) and a.type.integer and b.type.integer:
                return int_literal(folded)
            return decimal_literal(Decimal(folded))
        (alo, ahi), (blo, bhi) = a.type.bounds, b.type.bounds
        if a.choice is not None and y is not _UNKNOWN or b.choice is not None and x is not _UNKNOWN:
            # (if c then k1 else k2) * k: computed per branch, here
            cond, k1, k2 = a.choice if a.choice is not None else b.choice  # type: ignore[misc]
            other = b if a.choice is not None else a
            branches = []
            for k in (k1, k2):
                lit = int_literal(k) if isinstance(k, int) else decimal_literal(Decimal(k))  # type: ignore[arg-type]
                branches.append(self.arith(op, lit, other) if a.choice is not None else self.arith(op, other, lit))
            typ = self.common([v.type for v in branches])
            one, two = (Val(self.cast(v, typ), typ) for v in branches)
            return Val(_case([(cond, one.sql), (_not(cond), two.sql)]), typ, (cond, constant(one), constant(two)))
        if op in (c.Op.ADD, c.Op.SUB):
            typ = self.common([a.type, b.type])
            assert isinstance(typ, Num)
            cls = exp.Add if op == c.Op.ADD else exp.Sub
            lo, hi = (alo + blo, ahi + bhi) if op == c.Op.ADD else (alo - bhi, ahi - blo)
            if typ.integer:
                return Val(_bin(cls, a.sql, b.sql), Num.of(lo, hi, 0, True))
            result = Num.of(lo, hi, typ.s)
            operand = _wide(typ) if result.p > WIDE else typ
            sql = _bin(cls, self.cast(a, operand), self.cast(b, operand))
            return Val(_cast(sql, _sql_type(result)), result)
        assert op == c.Op.MUL, op
        corners = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
        if a.type.integer and b.type.integer:
            return Val(_bin(exp.Mul, a.sql, b.sql), Num.of(min(corners), max(corners), 0, True))
        a, b = self.as_decimal(a), self.as_decimal(b)
        assert isinstance(a.type, Num) and isinstance(b.type, Num)
        s = a.type.s + b.type.s
        if s > MAX_PRECISION:
            raise self.too_wide("this product")
        result = Num.of(min(corners), max(corners), s)
        if result.p > WIDE:
            a_sql, b_sql = self.cast(a, _wide(a.type)), self.cast(b, _wide(b.type))
        else:
            a_sql, b_sql = a.sql, b.sql
        return Val(_cast(_bin(exp.Mul, a_sql, b_sql), _sql_type(result)), result)

    # -- rounding --------------------------------------------------------------------------------
    def round(self, x: Val, places: int, mode: c.Rounding) -> Val:
        """round (half away from zero), floor or ceil of `x` to `places` decimals."""
        assert isinstance(x.type, Num)
        if x.type.integer:
            return x
        s = x.type.s
        lo, hi = x.type.bounds
        if s <= places:
            typ = Num.of(lo, hi, places)
            return Val(self.cast(x, typ), typ)
        unit = Decimal(1).scaleb(-places)
        if mode == c.Rounding.ROUND and x.type.p <= WIDE:
            # a 64-bit DECIMAL: the database's own ROUND is exact and rounds half away from zero
            # (DuckDB on the scaled integer; Spark with BigDecimal's HALF_UP), and is fast
            typ = Num.of((lo / unit).to_integral_value(ROUND_FLOOR) * unit,
                         (hi / unit).to_integral_value(ROUND_CEILING) * unit, places)
            return Val(_cast(exp.Round(this=x.sql, decimals=exp.Literal.number(places)), _sql_type(typ)), typ)
        x = self.let(x)
        shift = Decimal(10) ** places
        scaled = self.times(x, shift, Num.of(lo * shift, hi * shift, s)) if places else x.sql
        half = decimal_literal(Decimal("0.5")).sql
        whole: exp.Expr
        match mode:
            case c.Rounding.FLOOR:
                whole = exp.Floor(this=scaled)
            case c.Rounding.CEIL:
                whole = exp.Ceil(this=scaled)
            case c.Rounding.ROUND:
                whole = _case([(_bin(exp.LT, x.sql, decimal_literal(Decimal(0)).sql),
                                exp.Ceil(this=_bin(exp.Sub, scaled, half)))],
                              exp.Floor(this=_bin(exp.Add, scaled, half)))
            case _:
                assert_never(mode)
        whole_type = Num.of((lo * shift).to_integral_value(ROUND_FLOOR) - 1,
                            (hi * shift).to_integral_value(ROUND_CEILING) + 1, 0)
        return self.unscale(Val(_cast(whole, _sql_type(whole_type)), whole_type), places)

    def unscale(self, whole: Val, places: int) -> Val:
        """An integer count of 10^-places units as the DECIMAL it stands for."""
        assert isinstance(whole.type, Num)
        if not places:
            return whole
        unit = Decimal(1).scaleb(-places)
        lo, hi = whole.type.bounds
        typ = Num.of(lo * unit, hi * unit, places)
        return Val(self.times(whole, unit, typ), typ)

    def times(self, x: Val, factor: Decimal, result: Num) -> exp.Expr:
        """`x` times a constant (a power of ten), as `result`."""
        assert isinstance(x.type, Num)
        unit = decimal_literal(factor)
        assert isinstance(unit.type, Num)
        if result.p > WIDE:
            product = _bin(exp.Mul, self.cast(x, _wide(x.type)), self.cast(unit, _wide(unit.type)))
        else:
            product = _bin(exp.Mul, x.sql, unit.sql)
        return _cast(product, _sql_type(result))

    def unscaled(self, v: Val, big: exp.DataType) -> tuple[exp.Expr, Decimal]:
        """`v` times 10^scale: a whole number, in the integer type `big`; and its largest size."""
        assert isinstance(v.type, Num)
        lo, hi = v.type.bounds
        size = max(abs(lo), abs(hi))
        if v.type.integer or v.type.s == 0:
            return _cast(_p(v.sql), big), size
        shift = Decimal(10) ** v.type.s
        if _digits(size * shift) > MAX_PRECISION:
            raise self.too_wide("this division")
        shifted = self.times(v, shift, Num.of(lo * shift, hi * shift, v.type.s))
        return _cast(shifted, big), size * shift

    def divide(self, a: Val, b: Val, k: int | Decimal | None, places: int, mode: c.Rounding) -> Val:
        """round/floor/ceil(a / b, places), exact: with A and B the whole numbers a * 10^sa and
        b * 10^sb, the result is q * 10^-places where q = rounded(A * 10^(sb - sa + places) / B),
        an integer division corrected by its remainder. `k` is b's value when it is the same for
        everyone (a literal or a parameter)."""
        assert isinstance(a.type, Num) and isinstance(b.type, Num)
        sa = 0 if a.type.integer else a.type.s
        sb = 0 if b.type.integer else b.type.s
        shift = sb - sa + places
        (alo, ahi), (blo, bhi) = a.type.bounds, b.type.bounds
        # how large N and D can be decides the integer type: BIGINT when they stay well inside
        # 64 bits (2 r and q d must fit too), else HUGEINT (DuckDB) or DECIMAL(38, 0) (Spark)
        n_size = max(abs(alo), abs(ahi)) * Decimal(10) ** (sa + max(shift, 0))
        if k is not None and k > 0:
            d_size = Decimal(int(Decimal(k).scaleb(sb)) * 10 ** max(-shift, 0))
        else:
            d_size = max(abs(blo), abs(bhi)) * Decimal(10) ** (sb + max(-shift, 0))
        if _digits(n_size) > MAX_PRECISION or _digits(d_size) > MAX_PRECISION:
            raise self.too_wide("this division")
        small = _digits(n_size) <= 17 and _digits(d_size) <= 17
        big = exp.DataType.build("BIGINT") if small else self.big
        word = Num(INT_DIGITS, 0, True) if small else Num(MAX_PRECISION, 0)
        num_sql, _ = self.unscaled(a, big)

        def big_int(value: int) -> exp.Expr:
            return _cast(exp.Literal.number(value), big)

        if shift > 0:
            num_sql = _bin(exp.Mul, num_sql, big_int(10 ** shift))
        if k is not None and k > 0:
            # the usual case, `x / 12`: a positive constant needs no sign handling and cannot be zero
            den_value = int(d_size)
            nn = self.let(Val(num_sql, word))
            dn = Val(big_int(den_value), word)
            q_lo = (alo / Decimal(k) * Decimal(10) ** places).to_integral_value(ROUND_FLOOR) - 1
            q_hi = (ahi / Decimal(k) * Decimal(10) ** places).to_integral_value(ROUND_CEILING) + 1
        else:
            den_sql, _ = self.unscaled(b, big)
            if shift < 0:
                den_sql = _bin(exp.Mul, den_sql, big_int(10 ** -shift))
            den = self.let(Val(den_sql, word))
            num = self.let(Val(num_sql, word))
            zero = big_int(0)
            negative = _bin(exp.LT, den.sql, zero)
            nn = self.let(Val(_case([(negative, exp.Paren(this=exp.Neg(this=_p(num.sql))))], num.sql), num.type))
            dn = self.let(Val(_case([(negative, exp.Paren(this=exp.Neg(this=_p(den.sql)))),
                                     (_bin(exp.GT, den.sql, zero), den.sql)]), den.type))
            # a division by zero: the engine raises, so the engine decides the row
            self.flag(_is_true(_bin(exp.And, _not_null(num.sql), _bin(exp.EQ, den.sql, zero))))
            q_lo, q_hi = -n_size - 1, n_size + 1  # |D| >= 1
        one, zero_ = big_int(1), big_int(0)
        q0 = self.let(Val(_cast(exp.IntDiv(this=_p(nn.sql), expression=_p(dn.sql)), big), nn.type))
        if k is not None and k > 0 and alo >= 0:
            # N >= 0 and D > 0: truncating and flooring agree, and 0 <= r < D already
            q = q0
            r = q0 if mode == c.Rounding.FLOOR else \
                self.let(Val(_bin(exp.Sub, nn.sql, _bin(exp.Mul, q0.sql, dn.sql)), nn.type))
        else:
            r0 = self.let(Val(_bin(exp.Sub, nn.sql, _bin(exp.Mul, q0.sql, dn.sql)), nn.type))
            # q0 is the quotient truncated (DuckDB) or floored; with r0 it becomes the floor q, 0 <= r < d
            below = _bin(exp.LT, r0.sql, zero_)
            q = self.let(Val(_case([(below, _bin(exp.Sub, q0.sql, one))], q0.sql), nn.type))
            r = self.let(Val(_case([(below, _bin(exp.Add, r0.sql, dn.sql))], r0.sql), nn.type))
        result: exp.Expr
        match mode:
            case c.Rounding.FLOOR:
                result = q.sql
            case c.Rounding.CEIL:
                result = _bin(exp.Add, q.sql, _case([(_bin(exp.GT, r.sql, zero_), one)], zero_))
            case c.Rounding.ROUND:
                twice = _bin(exp.Mul, r.sql, big_int(2))
                up = _or([_bin(exp.GT, twice, dn.sql),
                          _bin(exp.And, _bin(exp.EQ, twice, dn.sql), _bin(exp.GTE, nn.sql, zero_))])
                result = _bin(exp.Add, q.sql, _case([(up, one)], zero_))
            case _:
                assert_never(mode)
        whole_type = Num.of(q_lo, q_hi, 0)
        whole = Val(_cast(result, _sql_type(whole_type)), whole_type)
        return self.unscale(whole, places)
