"""The engine is the one oracle (issue 9, point 5): the engine's decision (`decide`), the batch's
engine rows (`decide_row`), the analyzer's Z3 encoding (`Encoding.outcome()`) and the whole DuckDB
batch (`run_batch`) give every complete case the same outcome.

The outcome (docs/language.md): a case that fails a requirement (no exemption lets it through) is
not eligible, whatever else cannot be evaluated; otherwise a requirement, amount or document
condition that cannot be evaluated (no bracket row covers the key, a division by zero) makes it an
error; otherwise it is eligible, with its amounts (money compared to the cent).

Hypothesis writes small regulations as rule TEXT (through the real parser and checker): one to
three int or money inputs with domains, a bool, a bracket whose rows may leave holes (or overlap,
or be empty), a rounded division whose denominator can be zero, requirements on the inputs, the
bracket or the division, some with `unless` exemptions, amounts reading the bracket and/or the
division, sometimes a document required on one of them. Each regulation gets a handful of complete
cases inside the domains, drawn towards the bracket bounds and the zeros of the denominator; all
of one regulation's cases go to the batch as ONE CSV (a DuckDB batch costs about half a second).
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pytest
import z3
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eenvoud.analysis.encode import encode
from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import load_text
from eenvoud.engine.batch import decide_row, errors_path_for, run_batch
from eenvoud.engine.decision import decide
from eenvoud.engine.evaluate import Program
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

DAY = date(2025, 1, 1)
BACKENDS = ("decide", "decide_row", "z3", "duckdb")

Outcome = tuple[Any, ...]  # ("not eligible",) | ("error",) | ("eligible", amounts...) | ("other", what)


# -- the outcome of every case, by each backend -------------------------------------------------------


def _cents(x: Fraction) -> int:
    """Money as reported: cents, half away from zero (the engine's ROUND_HALF_UP)."""
    sign = -1 if x < 0 else 1
    return sign * int(abs(x) * 100 + Fraction(1, 2))


def _canonical(reg: CheckedRegulation, values: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for amount, x in zip(reg.amounts, values, strict=True):
        if x is None or isinstance(x, str):
            out.append(x)  # an unknown or unsimplified amount: never equal to a number
            continue
        f = x if isinstance(x, Fraction) else Fraction(x)
        out.append(("€", _cents(f)) if isinstance(reg.symbols[amount.name].type, t.MoneyType) else f)
    return tuple(out)


def by_decide(reg: CheckedRegulation, prog: Program, facts: dict[str, Value]) -> Outcome:
    d = decide(prog, facts)
    if d.error is not None:
        return ("error",)
    if d.eligible is False:
        return ("not eligible",)
    if d.eligible is True:
        return ("eligible", *_canonical(reg, [d.amounts[a.name] for a in reg.amounts]))
    return ("other", "undetermined")


def by_decide_row(reg: CheckedRegulation, prog: Program, facts: dict[str, Value]) -> Outcome:
    try:
        row = decide_row(prog, facts)
    except EvaluationError:
        return ("error",)
    if row["eligible"] is False:
        return ("not eligible",)
    if row["eligible"] is True:
        return ("eligible", *_canonical(reg, [row[a.name] for a in reg.amounts]))
    return ("other", row["eligible"])


def _z3_value(x: z3.ExprRef) -> Fraction | str:
    if z3.is_int_value(x):
        return Fraction(x.as_long())
    if z3.is_rational_value(x):
        return Fraction(x.numerator_as_long(), x.denominator_as_long())
    return f"unsimplified: {x}"


def by_z3(reg: CheckedRegulation, enc: Any, facts: dict[str, Value]) -> Outcome:
    out = enc.outcome()
    ne, err = enc.evaluate(out.ne, facts), enc.evaluate(out.err, facts)
    if z3.is_true(ne):
        return ("not eligible",)
    if not z3.is_false(ne):
        return ("other", f"ne unsimplified: {ne}")
    if z3.is_true(err):
        return ("error",)
    if not z3.is_false(err):
        return ("other", f"err unsimplified: {err}")
    return ("eligible", *_canonical(reg, [_z3_value(enc.evaluate(a, facts)) for a in out.amounts]))


def _text(x: Value) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, Decimal):
        return format(x, "f")
    return str(x)


def by_duckdb(reg: CheckedRegulation, cases: list[dict[str, Value]]) -> list[Outcome]:
    names = [i.name for i in reg.inputs]
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "cases.csv", Path(tmp) / "results.parquet"
        with source.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["person", *names])
            for k, case in enumerate(cases):
                w.writerow([f"c{k}", *(_text(case[name]) for name in names)])
        result = run_batch(reg, DAY, source, target, engine="duckdb", threads=1)
        assert result.people == len(cases)
        errors_file = errors_path_for(target)
        errors: dict[int, str] = {}
        if errors_file.exists():
            with errors_file.open(encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    # only the rules may fail here: every value is inside its domain
                    assert r["column"] == "" and r["message"].startswith("the rules cannot be evaluated"), r
                    errors[int(r["row"])] = r["message"]
        with duckdb.connect() as con:
            cursor = con.execute(f"SELECT * FROM read_parquet('{target}')")
            cols = [d[0] for d in cursor.description]
            rows = {int(r[0]): dict(zip(cols, r, strict=True)) for r in cursor.fetchall()}
    outcomes: list[Outcome] = []
    for k in range(1, len(cases) + 1):
        if k in errors:
            outcomes.append(("error",) if k not in rows else ("other", "in the errors file and the output"))
            continue
        row = rows.get(k)
        if row is None:
            outcomes.append(("other", "neither in the output nor in the errors file"))
        elif row["eligible"] is False:
            outcomes.append(("not eligible",))
        elif row["eligible"] is True:
            outcomes.append(("eligible", *_canonical(reg, [row[a.name] for a in reg.amounts])))
        else:
            outcomes.append(("other", row["eligible"]))
    return outcomes


def four_outcomes(reg: CheckedRegulation, cases: list[dict[str, Value]]) -> list[dict[str, Outcome]]:
    """Per case, what each of the four backends decides."""
    prog = Program(reg, DAY)
    enc = encode(reg, DAY)
    batch = by_duckdb(reg, cases)
    return [{"decide": by_decide(reg, prog, c), "decide_row": by_decide_row(reg, prog, c),
             "z3": by_z3(reg, enc, c), "duckdb": b} for c, b in zip(cases, batch, strict=True)]


def assert_agree(text: str, cases: list[dict[str, Value]], got: list[dict[str, Outcome]]) -> None:
    for case, outcomes in zip(cases, got, strict=True):
        assert outcomes["decide"][0] in ("eligible", "not eligible", "error"), (text, case, outcomes)
        assert len(set(outcomes.values())) == 1, f"the backends disagree\n{text}\ncase {case}\n{outcomes}"


# -- generated regulations ----------------------------------------------------------------------------------


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}€{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _number(hundredths: int) -> str:
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    return f"{sign}{whole}" if frac == 0 else f"{sign}{whole}.{frac:02d}"


def _literal(kind: str, units: int) -> str:
    """A literal of a kind, from whole units (int), cents (money) or hundredths (number)."""
    if kind == "money":
        return _money(units)
    return _number(units) if kind == "number" else str(units)


@dataclass
class NumInput:
    name: str
    kind: str  # int | money
    lo: int  # whole numbers, or cents
    hi: int
    open_hi: bool  # the domain is written without its upper end (cases stay below `hi`)
    points: set[int] = field(default_factory=set)  # where cases should land: bounds, zeros

    def decl(self) -> str:
        hi = "" if self.open_hi else _literal(self.kind, self.hi)
        return f'input {self.name} : {self.kind} {_literal(self.kind, self.lo)}..{hi} "{self.name}"'

    def value(self, units: int) -> Value:
        return units if self.kind == "int" else Decimal(units).scaleb(-2)


@dataclass
class Term:
    """An expression the requirements and amounts can read, with its kind and the range of values
    (in units of its kind) where comparisons are interesting."""

    text: str
    kind: str  # int | money | number
    lo: int
    hi: int


@st.composite
def regulations(draw: st.DrawFn) -> tuple[str, list[dict[str, Value]]]:
    # the inputs
    nums: list[NumInput] = []
    for k in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["int", "money"]))
        if kind == "int":
            lo = draw(st.sampled_from([-5, 0, 0, 1, 10]))
            hi = lo + draw(st.integers(0, 60))
        else:
            lo = draw(st.sampled_from([-10_000, -100, 0, 0, 500]))
            hi = lo + draw(st.integers(0, 100_000))
        nums.append(NumInput(f"x{k}", kind, lo, hi, draw(st.booleans()) and draw(st.booleans()),
                             {lo, hi, 0, 1, -1}))
    terms: list[Term] = [Term(x.name, x.kind, x.lo, x.hi) for x in nums]
    decls = [x.decl() for x in nums] + ['input flag : bool "flag"']

    with_bracket, with_division = draw(st.sampled_from([(True, True), (True, True), (True, False), (False, True)]))
    bracket_term: Term | None = None
    if with_bracket:
        key = draw(st.sampled_from(nums))
        vkind = draw(st.sampled_from(["int", "money"]))
        span = key.hi - key.lo
        bound = st.integers(key.lo - 2, key.hi + 2) if span < 50 else st.integers(key.lo - span // 10, key.hi + span // 10)
        cuts = sorted(set(draw(st.lists(bound, min_size=2, max_size=5))))
        assume(len(cuts) >= 2)
        rows: list[tuple[int | None, int | None]] = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            if draw(st.integers(0, 3)) > 0:  # else a hole
                rows.append((a, b))
        if not rows or draw(st.booleans()):
            rows.append((cuts[-1], None))
        if draw(st.booleans()):
            rows[0] = (None, rows[0][1])
        if draw(st.integers(0, 4)) == 0:  # a row anywhere: overlapping, empty or reversed
            rows.insert(draw(st.integers(0, len(rows))), (draw(st.none() | bound), draw(st.none() | bound)))
        vrange = (-3, 12) if vkind == "int" else (-500, 5_000)
        lines = []
        for row_lo, row_hi in rows:
            row_value = draw(st.integers(*vrange))
            lo_text = "" if row_lo is None else _literal(key.kind, row_lo)
            hi_text = "" if row_hi is None else _literal(key.kind, row_hi)
            lines.append(f"    | {lo_text}..{hi_text} => {_literal(vkind, row_value)}")
            key.points.update(b + d for b in (row_lo, row_hi) if b is not None for d in (-1, 0))
        decls.append(f'bracket br : {vkind} "br" on {key.name}\n  2024-01-01:\n' + "\n".join(lines))
        bracket_term = Term("br", vkind, *vrange)

    division_term: Term | None = None
    if with_division:
        den = draw(st.sampled_from(nums))
        shift = draw(st.sampled_from([0, 0, den.lo, den.hi, draw(st.integers(den.lo, den.hi))]))
        den_text = den.name if shift == 0 else f"({den.name} - {_literal(den.kind, shift)})"
        den.points.update({shift, shift + 1, shift - 1})
        numerators = [x for x in terms + ([bracket_term] if bracket_term else [])
                      if den.kind == "int" or x.kind == "money"]
        if numerators and draw(st.integers(0, 5)) > 0:
            num = draw(st.sampled_from(numerators))
            num_text, num_kind = num.text, num.kind
        else:
            num_kind = den.kind
            num_text = _literal(num_kind, draw(st.sampled_from([1, 100, 1_000, 12_345])))
        kind = "money" if num_kind == "money" and den.kind == "int" else "number"
        func = draw(st.sampled_from(["round", "round", "round", "floor", "ceil"]))
        places = draw(st.sampled_from([2, 2, 0, 1]))
        decls.append(f"define d = {func}({num_text} / {den_text}, {places})")
        scale = 100 if kind == "number" else 1
        division_term = Term("d", kind, -200 * scale, 2_000 * scale)

    readable = [x for x in (bracket_term, division_term) if x is not None]

    def comparison(subjects: list[Term]) -> str:
        if draw(st.integers(0, 5)) == 0:
            return draw(st.sampled_from(["flag", "not flag"]))
        s = draw(st.sampled_from(subjects))
        op = draw(st.sampled_from([">=", ">=", ">", "<=", "<=", "<", "!=", "=="]))
        third = (s.hi - s.lo) // 3
        # mostly a condition most cases meet, so that eligible cases and errors are common too
        low, high = {">": (s.lo, s.lo + third), "<": (s.hi - third, s.hi)}.get(op[0], (s.lo, s.hi))
        return f"{s.text} {op} {_literal(s.kind, draw(st.integers(low, high)))}"

    subjects = terms + readable * 2
    for k in range(draw(st.sampled_from([1, 1, 2, 3]))):
        line = f"requirement r{k} : {comparison(subjects)}"
        for j in range(draw(st.sampled_from([0, 0, 1, 2]))):
            line += f'\n  unless {comparison(subjects)} label "e{k}{j}"'
        decls.append(line)

    # amounts: the first reads the bracket and/or the division
    def as_money(x: Term) -> str:
        return x.text if x.kind == "money" else f"{x.text} * {_money(draw(st.sampled_from([100, 125, 1_050])))}"

    first = draw(st.lists(st.sampled_from(readable), min_size=1, max_size=2, unique_by=lambda x: x.text))
    extra = draw(st.lists(st.sampled_from(terms), max_size=1))
    parts = [as_money(x) for x in first + extra]
    expr = parts[0]
    for p in parts[1:]:
        expr += f" {draw(st.sampled_from(['+', '-']))} {p}"
    if draw(st.booleans()):
        expr = f"max(€0, {expr})"
    decls.append(f"amount pay : money = {expr}")
    numbers = [x for x in readable + terms if x.kind != "money"]
    if draw(st.booleans()) and numbers:
        picked = draw(st.lists(st.sampled_from(numbers), min_size=1, max_size=2, unique_by=lambda x: x.text))
        decls.append("amount score = " + " + ".join(x.text for x in picked))

    if readable and draw(st.integers(0, 3)) == 0:
        decls.append(f'document doc "doc" provides {nums[0].name}\n  required when {comparison(readable)}')

    text = "regulation generated\n\n" + "\n".join(decls) + "\n"

    def case_value(x: NumInput) -> st.SearchStrategy[int]:
        near = sorted(p for p in x.points if x.lo <= p <= x.hi)
        return st.sampled_from(near) | st.integers(x.lo, x.hi) if near else st.integers(x.lo, x.hi)

    case = st.fixed_dictionaries({**{x.name: case_value(x).map(x.value) for x in nums}, "flag": st.booleans()})
    cases = draw(st.lists(case, min_size=1, max_size=25))
    return text, cases


@settings(max_examples=60, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(regulations())
def test_the_four_backends_agree_on_generated_regulations(generated: tuple[str, list[dict[str, Value]]]) -> None:
    text, cases = generated
    try:
        reg = load_text(text, "generated.rules")
    except RuleError:
        assume(False)
        raise  # unreachable: assume(False) ends the example
    assert_agree(text, cases, four_outcomes(reg, cases))


# -- explicit examples: a failing requirement beats what cannot be evaluated ----------------------------


ADULT_BRACKET = """regulation adult_bracket

input age : int 0..130 "Leeftijd"

bracket rate : money "Bedrag naar leeftijd" on age
  2024-01-01:
    | 18..67 => €100
    | 67.. => €150
{extra}
requirement adult : age >= 18

amount benefit : money = rate
"""

DIVISION_GUARD = """regulation division_guard

input hours : int 0..80 "Uren"
input earnings : money €0.. "Verdiensten"
{extra}
requirement worked : hours >= 1

amount hourly : money = round(earnings / hours, 2)
"""

BRACKET_FROM_ZERO = """regulation bracket_from_zero

input income : money "Inkomen"

bracket rate : percent "Tarief" on income
  2024-01-01:
    | €0..€20_000 => 10%
    | €20_000.. => 5%
{extra}
requirement known : income >= €0

amount benefit : money = round(rate * €1_000, 2)
"""

EXAMPLES = [
    # the guard alone; the thing it guards also read by a requirement before it (evaluated, and
    # failing to evaluate, for the case the guard refuses); an exemption that cannot be evaluated
    pytest.param(ADULT_BRACKET, "", {"age": 16}, {"age": 30}, ("eligible", ("€", 10_000)), id="bracket-from-18"),
    pytest.param(ADULT_BRACKET, "requirement modest : rate <= €200\n", {"age": 16}, {"age": 70},
                 ("eligible", ("€", 15_000)), id="bracket-from-18-read-by-a-requirement"),
    pytest.param(ADULT_BRACKET, "requirement modest : age > 100 unless rate >= €0 label \"x\"\n", {"age": 16},
                 {"age": 20}, ("eligible", ("€", 10_000)), id="bracket-from-18-in-an-exemption"),
    pytest.param(DIVISION_GUARD, "", {"hours": 0, "earnings": Decimal("500.00")},
                 {"hours": 3, "earnings": Decimal("100.00")}, ("eligible", ("€", 3_333)), id="division-guard"),
    pytest.param(DIVISION_GUARD, "requirement low_wage : round(earnings / hours, 2) <= €20\n",
                 {"hours": 0, "earnings": Decimal("500.00")}, {"hours": 8, "earnings": Decimal("100.00")},
                 ("eligible", ("€", 1_250)), id="division-guard-read-by-a-requirement"),
    pytest.param(BRACKET_FROM_ZERO, "", {"income": Decimal("-1.00")}, {"income": Decimal("0.00")},
                 ("eligible", ("€", 10_000)), id="bracket-from-0"),
    pytest.param(BRACKET_FROM_ZERO, "requirement rated : rate > 0%\n", {"income": Decimal("-1.00")},
                 {"income": Decimal("25000.00")}, ("eligible", ("€", 5_000)), id="bracket-from-0-read-by-a-requirement"),
]


@pytest.mark.parametrize(("template", "extra", "refused", "accepted", "paid"), EXAMPLES)
def test_a_failed_requirement_is_not_eligible_in_all_four(template: str, extra: str, refused: dict[str, Value],
                                                           accepted: dict[str, Value], paid: Outcome) -> None:
    text = template.format(extra=extra and "\n" + extra)
    reg = load_text(text, "example.rules")
    got = four_outcomes(reg, [refused, accepted])
    assert got[0] == dict.fromkeys(BACKENDS, ("not eligible",)), f"{text}\n{got[0]}"
    assert got[1] == dict.fromkeys(BACKENDS, paid), f"{text}\n{got[1]}"


def test_an_uncovered_key_without_a_guard_is_an_error_in_all_four() -> None:
    """The counterpart: nothing refuses the 16-year-old, so the bracket's gap is an error."""
    text = ADULT_BRACKET.format(extra="").replace("requirement adult : age >= 18", "requirement alive : age >= 0")
    reg = load_text(text, "example.rules")
    got = four_outcomes(reg, [{"age": 16}])
    assert got[0] == dict.fromkeys(BACKENDS, ("error",)), f"{text}\n{got[0]}"
