"""The lowered core: what every backend reads (issue 9, point 2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eenvoud.core import nodes as c
from eenvoud.core.lower import lower
from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import load_text
from eenvoud.engine.decision import default_engine

TEXT = """regulation r "r"
input income : money "Inkomen"
input hours : int 0..80 "Uren"
parameter limit : money "Grens"
  2024-01-01: €20_000.00
parameter later : money "Later"
  2025-01-01: €5.00
bracket rate : percent "Tarief" on income
  2024-01-01:
    | ..€10_000 => 10%
    | €10_000.. => 5%
define hourly = round(income / hours, 2)
define uses_later = later + €1.00
requirement low : income <= limit
amount pay : money "pay" = round(income * rate, 2)
"""


def test_parameters_are_constants_and_brackets_rows_on_the_day() -> None:
    core = lower(load_text(TEXT, "r.rules"), date(2024, 6, 1))
    low = core.requirements[0].condition
    assert isinstance(low, c.Binary) and low.op is c.Op.LE
    assert isinstance(low.right, c.Const) and low.right.value == Decimal("20000.00")
    rate = core.definitions["rate"]
    assert isinstance(rate, c.Lookup) and [r.value for r in rate.rows] == [Decimal("0.10"), Decimal("0.05")]
    hourly = core.ref("hourly")
    assert isinstance(core.definitions[hourly.name], c.RoundedDivide)  # type: ignore[union-attr]
    assert core.definitions["hourly"].mode is c.Rounding.ROUND  # type: ignore[union-attr]


def test_one_cache_for_every_backend() -> None:
    reg = load_text(TEXT, "r.rules")
    day = date(2024, 6, 1)
    assert lower(reg, day) is lower(reg, day)
    assert default_engine().program(reg, day) is lower(reg, day).compiled["engine"]


def test_a_parameter_without_a_value_is_refused_every_time_it_is_read() -> None:
    reg = load_text(TEXT, "r.rules")
    prog = default_engine().program(reg, date(2024, 6, 1))  # the regulation itself is in force
    for _ in range(2):  # not only the first time: a cached core keeps what it lacks
        with pytest.raises(RuleError) as exc:
            prog.name("uses_later")
        assert exc.value.diagnostics[0].code == "E0402"
        assert "`later` has no value on 2024-06-01" in exc.value.diagnostics[0].message
    assert prog.name("hourly") is not None
