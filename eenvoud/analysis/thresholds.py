"""Where a requirement starts to fail: an answer moved from the base case, by bisection, to the
first value at which the requirement fails. The engine's cheap passes (is a requirement needed,
does a question matter) try the values next to the rules' constants first; a bound on a definition
with a bracket of rates, or an age from a birth date, starts to fail far from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal

from eenvoud.analysis.context import Context
from eenvoud.analysis.variables import PERSON_DERIVATIONS, grid_bounds
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t

# the farthest an unbounded answer is moved to look for a value that fails a requirement: in the
# input's unit (whole numbers, cents), 10 ** k for k up to this
FARTHEST = 12


def first_failing(ctx: Context, r: str, decl: n.Requirement, base: Mapping[str, Value],
                  only: str | None = None) -> Iterator[tuple[str, Value]]:
    """Per whole-number, money or date input of the requirement `r` (`only`: that input alone;
    not one that another input follows from or is derived from, nor a bool or an option, whose
    values are few), a value inside its declared domain at which the requirement fails (evaluated,
    false) next to one at which it does not, the other answers as in `base`: from the base case's
    answer (where it must not fail) towards the first of the domain's ends or of values ever
    farther away at which it fails, by bisection on the input's grid (some 40 evaluations of the
    one requirement)."""
    tied = {x for pair in PERSON_DERIVATIONS if all(y in ctx.input_order for y in pair) for x in pair}
    for name in sorted(ctx.deps.of_requirement(decl)):
        if only is not None and name != only:
            continue
        typ = ctx.reg.symbols[name].type
        at = base.get(name)
        if name in tied or at is None:
            continue
        to_grid: Callable[[Value], int]
        from_grid: Callable[[int], Value]
        match typ:
            case t.IntType():
                def to_grid(x: Value) -> int:
                    assert isinstance(x, int)
                    return x

                def from_grid(k: int) -> Value:
                    return k
            case t.MoneyType():
                def to_grid(x: Value) -> int:
                    assert isinstance(x, Decimal)
                    return int(x.scaleb(2))

                def from_grid(k: int) -> Value:
                    return Decimal(k).scaleb(-2)
            case t.DateType():
                def to_grid(x: Value) -> int:
                    assert isinstance(x, date)
                    return x.toordinal()

                def from_grid(k: int) -> Value:
                    return date.fromordinal(k)
            case _:
                continue
        lo, hi = grid_bounds(typ)

        def fails(k: int, name: str = name, from_grid: Callable[[int], Value] = from_grid) -> bool:
            return ctx.requirement_status({**base, name: from_grid(k)}, [r])[r] is False

        start = to_grid(at)
        far = [k for k in (lo, hi) if k is not None]
        far += [start + sign * 10 ** e for e in range(1, FARTHEST + 1) for sign in (1, -1)]
        within = [k for k in far if (lo is None or k >= lo) and (hi is None or k <= hi) and k != start]
        if fails(start):
            continue
        end = next((k for k in within if fails(k)), None)
        if end is None:
            continue
        good = start
        while abs(end - good) > 1:
            middle = (good + end) // 2
            if fails(middle):
                end = middle
            else:
                good = middle
        yield name, from_grid(end)


