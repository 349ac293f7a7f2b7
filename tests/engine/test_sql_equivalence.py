"""The batch (SQL) decides every person exactly as the engine does: eligibility, every amount to the
cent, the first failing requirement, and the same rows it cannot decide (an evaluation error).

10,000 generated people per shipped regulation and per fixture regulation on DuckDB (from CSV),
2,000 more from a Parquet file with typed columns, and 1,000 on Spark when pyspark and Java are
there. The people are drawn around the regulation's own constants (limits, bracket bounds,
parameter values, plus or minus a cent), with rounding ties, unknown facts, month ends and
29 February, so that the boundaries and the three-valued logic are where most of them land.
"""

from __future__ import annotations

import csv
import random
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlglot import exp

from eenvoud.engine.batch import decide_row, run_batch
from eenvoud.engine.evaluate import Program, bracket_rows, parameter_value
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "sql_rules"
DAY = date(2025, 1, 1)


def _regulations() -> list[tuple[str, CheckedRegulation]]:
    paths = [ROOT / "rules", FIXTURES, ROOT / "tests" / "dsl" / "cases" / "good" / "all_constructs.rules"]
    # a file with errors is test_shipped_rules.py's failure to report, not a reason to test nothing
    lib = Library.load([p for p in paths if p.exists()])
    return sorted(lib.regulations.items())


REGULATIONS = _regulations()
IDS = [name for name, _ in REGULATIONS]


# -- people ------------------------------------------------------------------------------------


def _constants(reg: CheckedRegulation, day: date) -> dict[str, set[Any]]:
    """The literal values a regulation compares against, by kind: where boundaries are."""
    found: dict[str, set[Any]] = {"number": set(), "date": set()}

    def lit(x: n.Literal | None) -> None:
        if isinstance(x, n.IntLit | n.DecimalLit | n.MoneyLit):
            found["number"].add(Decimal(x.value))
        elif isinstance(x, n.DateLit):
            found["date"].add(x.value)

    def walk(e: n.Expr) -> None:
        match e:
            case n.IntLit() | n.DecimalLit() | n.MoneyLit() | n.DateLit():
                lit(e)
            case n.Unary():
                walk(e.operand)
            case n.Binary():
                walk(e.left)
                walk(e.right)
            case n.InSet():
                walk(e.operand)
                for o in e.options:
                    walk(o)
            case n.If():
                walk(e.cond)
                walk(e.then)
                walk(e.else_)
            case n.Call():
                for a in e.args:
                    walk(a)
            case _:
                pass

    for p in reg.parameters:
        pv = parameter_value(p, day)
        if pv is not None:
            lit(pv.value)
    for b in reg.brackets:
        version = bracket_rows(b, day)
        for row in version.rows if version else ():
            lit(row.lo)
            lit(row.hi)
    for d in (*reg.definitions, *reg.amounts):
        walk(d.expr)
    for r in reg.requirements:
        walk(r.condition)
        for x in r.exemptions:
            walk(x.condition)
    return found


def _clamp(x: Any, typ: t.Type) -> Any:
    lo, hi = getattr(typ, "lo", None), getattr(typ, "hi", None)
    if lo is not None and x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x


def generate_people(reg: CheckedRegulation, day: date, count: int, seed: int) -> list[dict[str, Value | None]]:
    rnd = random.Random(seed)
    consts = _constants(reg, day)
    numbers = sorted(consts["number"])
    money_points = [c for c in numbers if abs(c) >= 1] or [Decimal(100)]
    top = max(abs(c) for c in money_points) * 2

    def money(typ: t.MoneyType) -> Decimal:
        r = rnd.random()
        if r < 0.35:
            c = rnd.choice(money_points) * rnd.choice([1, 1, 1, 2, Decimal("0.5")])
            x = c + rnd.choice([Decimal("-1"), Decimal("-0.01"), 0, 0, Decimal("0.01"), Decimal("1")])
        elif r < 0.45:
            x = Decimal(rnd.randint(0, 400)) / 4  # quarters and halves: rounding ties
        elif r < 0.5:
            x = Decimal(0)
        else:
            x = Decimal(rnd.randint(0, int(top * 100))) / 100
        if typ.lo is None and rnd.random() < 0.2:
            x = -x
        hi = typ.hi if typ.hi is not None else Decimal("9999999999.99")
        lo = typ.lo if typ.lo is not None else -hi
        return min(max(x, lo), hi).quantize(Decimal("0.01"))

    def number(typ: t.DecimalType) -> Decimal:
        lo = typ.lo if typ.lo is not None else Decimal(-100)
        hi = typ.hi if typ.hi is not None else Decimal(100)
        r = rnd.random()
        if r < 0.15:
            x = Decimal(rnd.choice([lo, hi, 0, Decimal("0.5"), 1]))
        elif r < 0.3 and numbers:
            x = rnd.choice(numbers) + rnd.choice([0, 0, Decimal("0.0001"), Decimal("-0.0001")])
        else:
            x = lo + (hi - lo) * Decimal(rnd.randint(0, 10_000)) / 10_000
        return Decimal(_clamp(x, typ)).quantize(Decimal("0.0001")).normalize()

    def integer(typ: t.IntType) -> int:
        lo = typ.lo if typ.lo is not None else -1000
        hi = typ.hi if typ.hi is not None else 1000
        r = rnd.random()
        if r < 0.2:
            return int(_clamp(rnd.choice([lo, hi, lo + 1, hi - 1, 0, 1, 17, 18, 19]), typ))
        ints = [int(c) for c in numbers if c == int(c) and lo <= c <= hi]
        if r < 0.35 and ints:
            return int(_clamp(rnd.choice(ints) + rnd.choice([-1, 0, 1]), typ))
        return rnd.randint(lo, hi)

    def a_date() -> date:
        r = rnd.random()
        if r < 0.15:
            year = rnd.choice([1952, 1960, 1996, 2000, 2004, 2008, 2024])
            return date(year, 2, 29)
        if r < 0.3:
            month = rnd.choice([1, 3, 5, 7, 8, 10, 12])
            return date(rnd.randint(1950, 2030), month, 31)
        if r < 0.45:
            years = rnd.choice([18, 17, 65, 67, 0, 1])
            try:
                base = day.replace(year=day.year - years)
            except ValueError:
                base = day.replace(year=day.year - years, day=28)
            return base + timedelta(days=rnd.choice([-1, 0, 1]))
        if r < 0.55 and consts["date"]:
            return rnd.choice(sorted(consts["date"])) + timedelta(days=rnd.choice([-1, 0, 1]))
        return day - timedelta(days=rnd.randint(-3650, 36500))

    def value(decl: n.Input) -> Value | None:
        if rnd.random() < 0.07:
            return None  # an unknown fact
        typ = decl.type
        match typ:
            case t.BoolType():
                return rnd.random() < 0.5
            case t.IntType():
                return integer(typ)
            case t.MoneyType():
                return money(typ)
            case t.DecimalType():
                return number(typ)
            case t.DateType():
                return a_date()
            case t.EnumType():
                return rnd.choice(typ.members)
        raise AssertionError(typ)

    return [{i.name: value(i) for i in reg.inputs} for _ in range(count)]


def _text(x: Value | None) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, Decimal):
        return format(x, "f")
    if isinstance(x, date):
        return x.isoformat()
    return str(x)


def write_csv(reg: CheckedRegulation, people: list[dict[str, Value | None]], path: Path) -> None:
    names = [i.name for i in reg.inputs]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["person", *names])
        for k, person in enumerate(people):
            w.writerow([f"p{k}", *(_text(person[name]) for name in names)])


def _sql_type(typ: t.Type) -> str:
    match typ:
        case t.BoolType():
            return "BOOLEAN"
        case t.IntType():
            return "INTEGER"
        case t.MoneyType():
            return "DECIMAL(18, 2)"
        case t.DecimalType():
            return "DECIMAL(20, 6)"
        case t.DateType():
            return "DATE"
        case t.EnumType():
            return "VARCHAR"
    raise AssertionError(typ)


def write_parquet(reg: CheckedRegulation, people: list[dict[str, Value | None]], path: Path) -> None:
    """Typed columns, as a registry extract would have them."""
    scratch = path.with_suffix(".csv")
    write_csv(reg, people, scratch)
    casts = ", ".join(f'CAST("{i.name}" AS {_sql_type(i.type)}) AS "{i.name}"' for i in reg.inputs)
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT person, {casts} FROM read_csv('{scratch}', header = true, all_varchar = true)) "
                    f"TO '{path}' (FORMAT parquet)")


# -- comparing ---------------------------------------------------------------------------------


def expected(reg: CheckedRegulation, day: date, people: list[dict[str, Value | None]]) -> Iterator[tuple[int, Any]]:
    prog = Program(reg, day)
    for k, person in enumerate(people, start=1):
        facts = {name: x for name, x in person.items() if x is not None}
        try:
            yield k, decide_row(prog, facts)
        except EvaluationError:
            yield k, "error"


def results(path: Path) -> dict[int, dict[str, Any]]:
    scan = f"read_parquet('{path}/*.parquet')" if path.is_dir() else f"read_parquet('{path}')"
    with duckdb.connect() as con:
        cursor = con.execute(f"SELECT * FROM {scan}")
        names = [d[0] for d in cursor.description]
        return {int(r[0]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


def error_rows(path: Path) -> set[int]:
    if not path.exists():
        return set()
    with path.open(encoding="utf-8") as f:
        return {int(r["row"]) for r in csv.DictReader(f)}


def assert_same(reg: CheckedRegulation, day: date, people: list[dict[str, Value | None]], out: Path) -> None:
    got = results(out)
    errors = error_rows(out.with_name(out.name.rsplit(".", 1)[0] + ".errors.csv"))
    mismatches = []
    for row, want in expected(reg, day, people):
        if want == "error":
            if row not in errors or row in got:
                mismatches.append((row, people[row - 1], "engine: evaluation error", got.get(row)))
            continue
        have = got.get(row)
        if have is None:
            mismatches.append((row, people[row - 1], want, "missing from the output"))
            continue
        assert have["person"] == f"p{row - 1}"  # carried columns stay with their person
        if any(have[k] != x for k, x in want.items()):
            mismatches.append((row, people[row - 1], want, {k: have[k] for k in want}))
    assert not mismatches, f"{len(mismatches)} people differ; the first: {mismatches[:3]}"
    assert len(got) + len(errors) == len(people)


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reg"), REGULATIONS, ids=IDS)
def test_duckdb_decides_10000_people_as_the_engine_does(name: str, reg: CheckedRegulation, tmp_path: Path) -> None:
    people = generate_people(reg, DAY, 10_000, seed=zlib.crc32(name.encode()) % 1000)
    source, out = tmp_path / "people.csv", tmp_path / "results.parquet"
    write_csv(reg, people, source)
    result = run_batch(reg, DAY, source, out)
    assert result.people == 10_000
    assert_same(reg, DAY, people, out)


@pytest.mark.parametrize(("name", "reg"), REGULATIONS, ids=IDS)
def test_duckdb_from_typed_parquet_in_2024(name: str, reg: CheckedRegulation, tmp_path: Path) -> None:
    day = date(2024, 6, 1)
    people = generate_people(reg, day, 2_000, seed=7)
    source, out = tmp_path / "people.parquet", tmp_path / "results.parquet"
    write_parquet(reg, people, source)
    run_batch(reg, day, source, out)
    assert_same(reg, day, people, out)


def _spark_ready() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'eenvoud[spark]')"
    java = shutil.which("java")
    if java is None:
        return "no Java on this machine"
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "Java does not run"
    return None


SPARK_MISSING = _spark_ready()


@pytest.mark.skipif(SPARK_MISSING is not None, reason=SPARK_MISSING or "")
@pytest.mark.parametrize(("name", "reg"), REGULATIONS, ids=IDS)
def test_spark_runs_the_same_sql_on_1000_people(name: str, reg: CheckedRegulation, tmp_path: Path) -> None:
    """The compiled query itself on Spark, one query per regulation: every row the SQL decides
    (not marked for the engine) equals the engine, and every row where the engine raises is
    marked. (The whole `eenvoud batch` on Spark, with its files, is the test below.)"""
    from eenvoud.engine.batch import spark_session
    from eenvoud.engine.sql import compile_sql

    spark = spark_session()
    people = generate_people(reg, DAY, 1_000, seed=11)
    source = tmp_path / "people.csv"
    write_csv(reg, people, source)
    frame = spark.read.option("header", True).csv(str(source))
    frame = frame.withColumn("__row", frame["person"].substr(2, 9).cast("bigint") + 1)
    frame.createOrReplaceTempView("__people")
    prog = compile_sql(reg, DAY, "spark")
    parsed = prog.parse(exp.table_("__people"), dict(frame.dtypes), ["person"])
    query = prog.decide(parsed, ["person"], internal=True, extra=("__bad",))
    rows = {int(r["row"]): r.asDict() for r in spark.sql(prog.sql(query)).collect()}
    assert len(rows) == 1_000
    mismatches = []
    for row, want in expected(reg, DAY, people):
        have = rows[row]
        assert not have["__bad"]
        if want == "error":
            if not have["__needs_engine"]:
                mismatches.append((row, people[row - 1], "engine: evaluation error, not marked", have))
        elif not have["__needs_engine"] and any(have[k] != x for k, x in want.items()):
            mismatches.append((row, people[row - 1], want, {k: have[k] for k in want}))
    assert not mismatches, f"{len(mismatches)} people differ; the first: {mismatches[:3]}"


@pytest.mark.skipif(SPARK_MISSING is not None, reason=SPARK_MISSING or "")
@pytest.mark.parametrize("name", ["zorgtoeslag", "sql_arithmetic"])
def test_spark_batch_decides_1000_people_as_the_engine_does(name: str, tmp_path: Path) -> None:
    """`eenvoud batch --engine spark` end to end: row numbers, bad rows in the errors file, the
    rows the engine decides, the output folder."""
    reg = dict(REGULATIONS)[name]
    people = generate_people(reg, DAY, 1_000, seed=13)
    source, out = tmp_path / "people.csv", tmp_path / "results.parquet"
    write_csv(reg, people, source)
    result = run_batch(reg, DAY, source, out, engine="spark")
    assert result.people == 1_000
    assert_same(reg, DAY, people, out)


def _extremes(reg: CheckedRegulation, day: date, count: int, seed: int) -> list[dict[str, Value | None]]:
    """People whose numbers sit at the edges of what the batch takes: the domain's bounds, or
    money of thirteen digits, positive and negative, where no domain is declared."""
    from eenvoud.engine.sql import INPUT_MONEY_DIGITS

    rnd = random.Random(seed)
    people = generate_people(reg, day, count, seed)
    top = Decimal(10) ** INPUT_MONEY_DIGITS - Decimal("0.01")
    for person in people:
        for decl in reg.inputs:
            typ = decl.type
            if rnd.random() < 0.5:
                continue
            if isinstance(typ, t.MoneyType):
                lo = typ.lo if typ.lo is not None else -top
                hi = typ.hi if typ.hi is not None else top
                person[decl.name] = rnd.choice([lo, hi])
            elif isinstance(typ, t.DecimalType | t.IntType) and typ.lo is not None and typ.hi is not None:
                person[decl.name] = rnd.choice([typ.lo, typ.hi])
    return people


@pytest.mark.parametrize(("name", "reg"), REGULATIONS, ids=IDS)
def test_duckdb_at_the_edges_of_the_domains(name: str, reg: CheckedRegulation, tmp_path: Path) -> None:
    """The SQL types are as narrow as the values allow; at the largest values they still hold
    them exactly (a type too narrow would end the batch with an overflow)."""
    people = _extremes(reg, DAY, 500, seed=3)
    source, out = tmp_path / "people.csv", tmp_path / "results.parquet"
    write_csv(reg, people, source)
    run_batch(reg, DAY, source, out)
    assert_same(reg, DAY, people, out)
