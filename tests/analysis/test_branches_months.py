"""Dead branches of an `if` in the body of a `sum for each month`: the twelve month copies are one
`if` as written. A branch is dead only when it is dead in every copy (one that applies in one month
is alive), and then it is one finding, not twelve."""

from __future__ import annotations

from datetime import date

from eenvoud.analysis.analyze import analyze
from eenvoud.analysis.prover import Budget
from eenvoud.dsl.load import load_text

ONE_MONTH = """regulation one_month "A supplement in the month after the birth"
input born : date "Geboren"
input pay : money €0..€1_000 "Bedrag per jaar"

requirement born_in_february "Geboren in februari 2025": born >= 2025-02-01 and born <= 2025-02-28
define month_sum : money = sum for each month m in the year of reference_date: if first_day_of_next_month(born) == m then pay else €0.00
amount yearly : money "Per jaar" = round(month_sum / 12, 2)
"""

EVERY_MONTH = """regulation every_month "A supplement for a birth before 1900"
input born : date "Geboren"
input pay : money €0..€1_000 "Bedrag per jaar"

requirement born_this_century "Geboren na 2000": born >= 2000-01-01
define month_sum : money = sum for each month m in the year of reference_date: if born < 1900-01-01 and m >= born then pay else €0.00
amount yearly : money "Per jaar" = round(month_sum / 12, 2)
"""

# two `if`s per copy, one nested in the other's branch, and a month sum inside a month sum
NESTED = """regulation nested "Months within months"
input born : date "Geboren"
input pay : money €0..€1_000 "Bedrag per jaar"

requirement born_this_century "Geboren na 2000": born >= 2000-01-01
define month_sum : money = sum for each month m in the year of reference_date: if m >= born then (if born < 1900-01-01 then €1.00 else pay) else €0.00
define twice : int = sum for each month m in the year of reference_date: sum for each month k in the year of m: if born < 1900-01-01 and m <= k then 1 else 0
amount yearly : money "Per jaar" = round(month_sum / 12, 2)
amount count : int "Aantal" = twice
"""


def _dead(text: str) -> list[str]:
    reg = load_text(text)
    report = analyze([reg], day=date(2025, 1, 1), budget=Budget(1.0, backstop=False))
    assert not report.unknown, report.unknown
    return sorted(f.subject for f in report.findings if f.kind == "dead_branch")


def test_a_branch_reachable_in_one_month_copy_only_is_not_dead() -> None:
    # the `then` branch applies in March alone, the `else` branch in every other month
    assert _dead(ONE_MONTH) == []


def test_a_branch_dead_in_every_month_copy_is_reported_once() -> None:
    assert _dead(EVERY_MONTH) == ["month_sum.if.1.then"]


def test_nested_ifs_and_nested_month_sums_are_grouped_copy_by_copy() -> None:
    # month_sum: the outer `if` is #1 (its twelve copies), the inner one #13; `twice`: one `if` in
    # 144 copies
    assert _dead(NESTED) == ["month_sum.if.13.then", "twice.if.1.then"]
