"""The SQL backend on its own: the law that the compiled query decides as the engine does, for any
people hypothesis can make up; the engine's semantics where SQL differs by default; and the
regulations SQL cannot run exactly, refused with a location."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import load_text
from eenvoud.engine.batch import decide_row
from eenvoud.engine.evaluate import Program
from eenvoud.engine.sql import compile_sql
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library

FIXTURES = Path(__file__).resolve().parent / "sql_rules"
DAY = date(2025, 1, 1)
ARITHMETIC = Library.load([FIXTURES / "arithmetic.rules"]).regulations["sql_arithmetic"]


def sql_decide(reg: CheckedRegulation, day: date, people: list[dict[str, Value | None]]) -> list[dict[str, Any]]:
    """The compiled query over `people` in DuckDB, rows in order, with `__needs_engine`."""
    prog = compile_sql(reg, day)
    names = [i.name for i in reg.inputs]
    with duckdb.connect() as con:
        columns = ", ".join(f'"{n}" VARCHAR' for n in names)
        con.execute(f"CREATE TABLE __people (__row BIGINT, {columns})")
        con.executemany(f"INSERT INTO __people VALUES (?, {', '.join('?' for _ in names)})",
                        [[k, *(_text(p[n]) for n in names)] for k, p in enumerate(people, start=1)])
        schema = {n: "VARCHAR" for n in names}
        query = prog.decide(prog.parse(exp.table_("__people"), schema, []), [], internal=True, extra=("__bad",))
        cursor = con.execute(prog.sql(query) + ' ORDER BY "row"')
        cols = [d[0] for d in cursor.description]
        return [dict(zip(cols, r, strict=True)) for r in cursor.fetchall()]


def _text(x: Value | None) -> str | None:
    if x is None:
        return None
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, Decimal):
        return format(x, "f")
    return str(x)


def person_strategy(reg: CheckedRegulation) -> st.SearchStrategy[dict[str, Value | None]]:
    def of(typ: t.Type) -> st.SearchStrategy[Any]:
        match typ:
            case t.BoolType():
                return st.booleans()
            case t.IntType():
                return st.integers(typ.lo if typ.lo is not None else -10**6, typ.hi if typ.hi is not None else 10**6)
            case t.MoneyType():
                lo = typ.lo if typ.lo is not None else Decimal("-1e7")
                hi = typ.hi if typ.hi is not None else Decimal("1e7")
                return st.decimals(lo, hi, places=2)
            case t.DecimalType():
                lo = typ.lo if typ.lo is not None else Decimal(-1000)
                hi = typ.hi if typ.hi is not None else Decimal(1000)
                return st.decimals(lo, hi, places=4)
            case t.EnumType():
                return st.sampled_from(typ.members)
            case t.DateType():
                return st.dates(date(1900, 1, 1), date(2100, 12, 31))
        raise AssertionError(typ)

    return st.fixed_dictionaries({i.name: st.none() | of(i.type) for i in reg.inputs})


@settings(max_examples=40)
@given(st.lists(person_strategy(ARITHMETIC), min_size=1, max_size=25))
def test_the_compiled_query_decides_as_the_engine(people: list[dict[str, Value | None]]) -> None:
    """For any people: every row the SQL decides equals the engine, to the cent; every row where
    the engine raises is one the SQL leaves to the engine."""
    prog = Program(ARITHMETIC, DAY)
    for person, row in zip(people, sql_decide(ARITHMETIC, DAY, people), strict=True):
        assert not row["__bad"]
        try:
            want = decide_row(prog, {k: x for k, x in person.items() if x is not None})
        except EvaluationError:
            assert row["__needs_engine"], person
            continue
        if not row["__needs_engine"]:
            assert {k: row[k] for k in want} == want, person


REG = load_text("""
regulation semantics "Semantiek"
input x : money "x"
input y : money "y"
input flag : bool "vlag"
define biggest : money = max(x, y)
define either : money = if flag then €5.00 else €5.00
define half : money = round(x / 2, 0)
define down : money = floor(x / 3, 1)
define up : money = ceil(x / 3, 1)
requirement known : biggest >= €0.00 or either == €5.00
amount a_biggest : money = biggest
amount a_either : money = either
amount a_half : money = half
amount a_down : money = down
amount a_up : money = up
""", "semantics.rules")


@pytest.mark.parametrize(("facts", "expected"), [
    # GREATEST skips NULLs in SQL; the engine's max is unknown when an argument is
    ({"x": Decimal("1.00"), "flag": True}, {"a_biggest": None, "a_either": Decimal("5.00")}),
    # an unknown condition with equal branches is known
    ({"x": Decimal("1.00"), "y": Decimal("2.00")}, {"a_biggest": Decimal("2.00"), "a_either": Decimal("5.00")}),
    # half away from zero, both ways; floor and ceil of negatives
    ({"x": Decimal("-5.00"), "y": Decimal("0.00")}, {"a_half": Decimal("-3.00"), "a_down": Decimal("-1.70"),
                                                     "a_up": Decimal("-1.60")}),
    ({"x": Decimal("5.00"), "y": Decimal("0.00")}, {"a_half": Decimal("3.00"), "a_down": Decimal("1.60"),
                                                    "a_up": Decimal("1.70")}),
])
def test_where_sql_differs_by_default(facts: dict[str, Value], expected: dict[str, Any]) -> None:
    person = {i.name: facts.get(i.name) for i in REG.inputs}
    row = sql_decide(REG, DAY, [person])[0]
    assert row["eligible"] is True
    assert {k: row[k] for k in expected} == expected
    want = decide_row(Program(REG, DAY), facts)
    assert {k: want[k] for k in expected} == expected


def test_a_formula_beyond_38_digits_is_refused_with_its_location() -> None:
    reg = load_text("""
regulation wide "Breed"
input r : percent 0%..100% "r"
amount tiny : decimal = r * r * r * r
""", "wide.rules")
    with pytest.raises(RuleError) as exc:
        compile_sql(reg, DAY)
    diagnostic = exc.value.diagnostics[0]
    assert diagnostic.code == "E0602" and "38 digits" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == 4


def test_a_module_is_refused() -> None:
    module = Library.load([FIXTURES / "shared_household.rules"]).modules["sql_household"]
    with pytest.raises(RuleError) as exc:
        compile_sql(module, DAY)
    assert exc.value.diagnostics[0].code == "E0601"


def test_a_date_without_parameter_values_is_refused_as_the_engine_refuses_it() -> None:
    with pytest.raises(RuleError) as exc:
        compile_sql(ARITHMETIC, date(2023, 1, 1))
    assert exc.value.diagnostics[0].code == "E0402"


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_the_sql_has_no_float_and_no_division(dialect: str) -> None:
    """Money never passes through a float, and SQL's `/` (a DOUBLE in DuckDB) is never used."""
    prog = compile_sql(ARITHMETIC, DAY, dialect)  # type: ignore[arg-type]
    schema = {i.name: "VARCHAR" for i in ARITHMETIC.inputs}
    sql = prog.sql(prog.decide(prog.parse(exp.table_("__people"), schema, []), []))
    for word in ("DOUBLE", "FLOAT", "REAL", " / "):
        assert word not in sql.upper()


ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
SHIPPED = sorted(Library.load([ROOT / "rules"]).regulations.items())


@pytest.mark.parametrize(("name", "reg"), SHIPPED, ids=[name for name, _ in SHIPPED])
def test_the_compiled_sql_of_each_shipped_regulation_is_its_golden_file(name: str, reg: CheckedRegulation) -> None:
    """The decide query of every regulation in rules/ at 2025-01-01 on DuckDB (built as above:
    every input a VARCHAR column) is tests/engine/golden/<regulation>.duckdb.sql, to the byte.
    A change to the compiler or to a regulation shows here first; when it is meant, rewrite the
    files with `EENVOUD_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/engine/test_sql_compile.py`
    and read their diff before committing it."""
    prog = compile_sql(reg, DAY, "duckdb")
    schema = {i.name: "VARCHAR" for i in reg.inputs}
    sql = prog.sql(prog.decide(prog.parse(exp.table_("__people"), schema, []), [])) + "\n"
    path = GOLDEN / f"{name}.duckdb.sql"
    if os.environ.get("EENVOUD_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with EENVOUD_UPDATE_GOLDEN=1 to write it"
    assert sql == path.read_text(encoding="utf-8"), \
        f"the SQL of `{name}` differs from {path}; if meant, rewrite it with EENVOUD_UPDATE_GOLDEN=1"


def test_a_failure_only_an_amount_reaches_marks_eligible_rows_only() -> None:
    """A bracket or a division that only an amount reads sends a row to the engine only when the
    row is eligible: a case that fails a requirement is not eligible whatever its amounts would
    do. A failure inside a requirement marks the row whatever else holds."""
    reg = load_text("""
regulation marks "Markeringen"
input age : int 0..130 "Leeftijd"
input parts : int 0..10 "Delen"
bracket by_age : money "Bedrag naar leeftijd" on age
  2024-01-01:
    | 18..30 => €100.00
    | 40.. => €200.00
bracket by_parts : int "Stappen" on parts
  2024-01-01:
    | 1.. => 1
requirement adult "Volwassen": age >= 18
requirement some "Iets": by_parts >= 1 or parts == 0
amount benefit : money = by_age
amount share : money = round(by_age / parts, 2)
""", "marks.rules")
    people: list[dict[str, Value | None]] = [
        {"age": 16, "parts": 2},  # not eligible: the gap in by_age is never reached
        {"age": 35, "parts": 2},  # eligible, in the gap: the engine's error
        {"age": 20, "parts": 2},  # eligible, in a row
        {"age": 16, "parts": 0},  # a gap in a requirement's bracket: marked although not eligible
    ]
    rows = sql_decide(reg, DAY, people)
    assert [r["__needs_engine"] for r in rows] == [False, True, False, True]
    assert (rows[0]["eligible"], rows[0]["benefit"], rows[0]["share"]) == (False, Decimal("0.00"), Decimal("0.00"))
    assert (rows[2]["eligible"], rows[2]["benefit"], rows[2]["share"]) == (True, Decimal("100.00"), Decimal("50.00"))
    prog = Program(reg, DAY)
    assert decide_row(prog, {"age": 16, "parts": 0})["eligible"] is False
    with pytest.raises(EvaluationError):
        decide_row(prog, {"age": 35, "parts": 2})
