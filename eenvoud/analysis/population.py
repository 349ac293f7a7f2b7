"""How many applicants each finding touches, counted exactly over a population file (issue 11,
part 4): `eenvoud analyze --population FILE`.

The file is what `eenvoud batch` reads (CSV or Parquet, one row per person, one column per input;
a column no regulation asks is ignored, a missing or empty one is an unknown fact). What is
counted, per kind of burden:

- a **document**: the applicants who are eligible and must supply it (the engine's documents
  required, for an eligible decision);
- a **question**: the applicants who are asked it — with the answer left out, the engine still
  needs it (it is among the decision's open questions); an input that no requirement, amount or
  document reads is asked of everyone (only the form asks it);
- a **requirement**: the applicants it is evaluated for (its status is `holds` or `fails`: known).

`count_duckdb` counts a file on DuckDB, with the batch's own SQL (engine/sql.py: the query the
batch decides with, from the one lowered core) and one aggregate query per regulation and date
(`COUNT(*) FILTER (WHERE ...)`):

- documents and requirements from the query's columns per row: `eligible`, `__d_<document>`
  (required) and `__r_<requirement>` (NULL: unknown);
- a question from the same query over the rows with that one input set to NULL: when every other
  input a requirement or an amount reads is known, the input is the only unknown the engine can
  read, so it is an open question exactly when the decision is then undetermined, or eligible
  with an amount unknown;
- the rows the SQL cannot decide alone are decided by the engine, one by one, as the batch does:
  those it marks for the engine (`__needs_engine`: a bracket without a row, a division by zero,
  a date out of range), and, for a question, those where another input the rules read is unknown
  too (which of the unknowns the engine reads then depends on its order of evaluation).

`count` decides every row with the engine (`decision.decide`) and is the check on it:
tests/analysis/test_analysis_population.py asserts that both give the same counts on a generated
population of several regulations; bench/README.md has their times.

Without a population file, `domain_sample` draws a seeded sample of cases uniformly over each
input's declared domain, cut to a realistic range (dates of birth from 1900, other dates in the five
years before the decision date, money up to `SAMPLE_MONEY`, counts up to `SAMPLE_COUNT`, ages up to
100): counted the same way (by the engine: 200 rows), it estimates each burden's share of the
domain — a rank, not a count of applicants, and said so in the report.

A row that cannot be read for a regulation (a value outside an input's domain) counts for
nothing in that regulation and is counted apart (`bad`). The date of a finding is the start of its
last period (the rules now in force) or the date of the analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from eenvoud.engine.decision import Decision, decide
from eenvoud.engine.evaluate import Program
from eenvoud.engine.facts import FactsError, parse_facts
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir.checked import CheckedRegulation

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from eenvoud.engine.sql import SqlProgram

# "form_question": a question the rules never read on the date (never used in a period), which a form
# still asks of everyone: every row the regulation reads
CATEGORIES = ("document", "question", "requirement", "form_question")


class PopulationError(Exception):
    """The population file cannot be read (missing, not CSV or Parquet, malformed)."""


@dataclass(frozen=True)
class Count:
    """How many applicants of the population one burden touches."""

    regulation: str
    category: str  # document | question | requirement
    subject: str
    day: date
    count: int  # applicants it touches
    population: int  # rows the regulation could read

    @property
    def share(self) -> float:
        return self.count / self.population if self.population else 0.0

    def to_json(self) -> dict[str, object]:
        return {"regulation": self.regulation, "category": self.category, "subject": self.subject,
                "date": self.day.isoformat(), "count": self.count, "population": self.population}


@dataclass
class Population:
    """The rows of a population file, as raw values by column."""

    path: str
    rows: list[dict[str, object]]
    bad: dict[str, int] = field(default_factory=dict)  # per regulation: rows it could not read

    def __len__(self) -> int:
        return len(self.rows)


def _scan(path: str | Path) -> str:
    """DuckDB's table function reading the file: Parquet as it is typed, a CSV's every field as
    text (the engine's fact parser types it per regulation, as the batch reads it)."""
    p = Path(path)
    if not p.is_file():
        raise PopulationError(f"no population file {path}")
    quoted = "'" + str(p).replace("'", "''") + "'"
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet({quoted})"
    if suffix in (".csv", ".txt"):
        return f"read_csv({quoted}, header = true, all_varchar = true)"
    raise PopulationError(f"{path}: a population is a .csv or .parquet file")


def read_population(path: str | Path) -> Population:
    """Every row of a CSV or Parquet file, read by DuckDB (every CSV value as text, as the batch
    reads it; the engine's fact parser types it per regulation)."""
    import duckdb

    query = f"SELECT * FROM {_scan(path)}"
    con = duckdb.connect()
    try:
        rel = con.sql(query)
        names = list(rel.columns)
        rows = [dict(zip(names, values, strict=True)) for values in rel.fetchall()]
    except duckdb.Error as exc:
        raise PopulationError(f"{path}: {exc}") from None
    finally:
        con.close()
    return Population(str(path), [{k: _raw(v) for k, v in row.items()} for row in rows])


def _raw(value: object) -> object:
    """A value as the engine's fact parser reads JSON: an empty CSV field is unknown, a boolean
    text is a boolean, a date a text."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        low = text.lower()
        if low in ("true", "false"):
            return low == "true"
        return text
    if isinstance(value, date):
        return value.isoformat()
    return value


SAMPLE_SIZE = 200
SAMPLE_MONEY = 60_000  # euros: above it nearly nobody qualifies for what the library decides
SAMPLE_COUNT = 6
SAMPLE_SEED = 11


def domain_sample(regs: Iterable[CheckedRegulation], day: date, size: int = SAMPLE_SIZE,
                  seed: int = SAMPLE_SEED) -> Population:
    """`size` cases drawn uniformly over the inputs of `regs` (each input once, by name), inside
    their declared domains and a realistic range; the same seed gives the same cases."""
    import random

    from eenvoud.ir import types as t

    rng = random.Random(seed)
    inputs: dict[str, t.Type] = {}
    for reg in regs:
        for i in reg.inputs:
            inputs.setdefault(i.name, i.type)

    def draw(name: str, typ: t.Type) -> object:
        match typ:
            case t.BoolType():
                return rng.random() < 0.5
            case t.EnumType():
                return rng.choice(typ.members)
            case t.IntType():
                top = 100 if name == "age" or name.endswith("_age") else SAMPLE_COUNT
                lo = typ.lo if typ.lo is not None else 0
                hi = min(typ.hi if typ.hi is not None else lo + top, lo + top)
                return rng.randint(lo, max(lo, hi))
            case t.MoneyType() | t.DecimalType():
                lo_cents = int((typ.lo or 0) * 100)
                hi_cents = int(min(typ.hi if typ.hi is not None else SAMPLE_MONEY, SAMPLE_MONEY) * 100)
                cents = rng.randint(lo_cents, max(lo_cents, hi_cents))
                return f"{cents // 100}.{cents % 100:02d}"
            case t.DateType():
                first = date(1900, 1, 1) if "birth" in name else date(day.year - 5, 1, 1)
                lo_d = max(first, typ.lo) if typ.lo else first
                hi_d = min(day, typ.hi) if typ.hi else day
                return date.fromordinal(rng.randint(lo_d.toordinal(), max(lo_d, hi_d).toordinal())).isoformat()
            case _:
                return None

    from eenvoud.engine.values import years_between

    rows = [{name: draw(name, typ) for name, typ in inputs.items()} for _ in range(size)]
    for row in rows:  # one person: the age follows from the birth date (variables.PERSON_DERIVATIONS)
        if isinstance(row.get("age"), int) and isinstance(row.get("birth_date"), str):
            row["age"] = years_between(date.fromisoformat(str(row["birth_date"])), day)
    return Population(f"{size} cases sampled from the declared domains (seed {seed})", rows)


def _facts(reg: CheckedRegulation, row: Mapping[str, object]) -> dict[str, Value] | None:
    raw: dict[str, object] = {}
    for name, value in row.items():
        decl = reg.input_map.get(name)
        if decl is None or value is None:
            continue
        raw[name] = _typed(value, decl.type)
    try:
        return parse_facts(reg, raw, allow_unknown=True)
    except FactsError:
        return None


def _typed(value: object, typ: object) -> object:
    """CSV text for a number input as the number JSON would give (the fact parser wants a number
    for an int, a text or number for money)."""
    from eenvoud.ir import types as t

    if isinstance(value, str) and isinstance(typ, t.IntType):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def count(regs: Mapping[str, CheckedRegulation], population: Population,
          wanted: Iterable[tuple[str, str, str, date]]) -> dict[tuple[str, str, str, date], Count]:
    """The count of each wanted (regulation, category, subject, date) over the population."""
    by_reg_day: dict[tuple[str, date], list[tuple[str, str]]] = {}
    for regulation, category, subject, day in wanted:
        if category not in CATEGORIES:
            raise ValueError(f"unknown burden {category!r}")
        if regulation in regs:
            by_reg_day.setdefault((regulation, day), []).append((category, subject))
    out: dict[tuple[str, str, str, date], Count] = {}
    for (regulation, day), items in by_reg_day.items():
        reg = regs[regulation]
        try:
            prog = Program(reg, day)
        except Exception:  # noqa: BLE001 — a date without parameter values: nothing to count
            continue
        numbers = {item: 0 for item in items}
        used, _asked = _inputs(reg)
        read = 0
        for row in population.rows:
            facts = _facts(reg, row)
            if facts is None:
                population.bad[regulation] = population.bad.get(regulation, 0) + 1
                continue
            read += 1
            try:
                decision = decide(prog, dict(facts))
            except EvaluationError:
                continue
            for category, subject in items:
                if category == "form_question" or (
                        category == "question" and subject in reg.input_map and subject not in used):
                    numbers[(category, subject)] += 1  # read by no rule: the form asks it of everyone
                elif _touches(prog, decision, facts, category, subject):
                    numbers[(category, subject)] += 1
        for (category, subject), k in numbers.items():
            out[(regulation, category, subject, day)] = Count(regulation, category, subject, day, k, read)
    return out


def _inputs(reg: CheckedRegulation) -> tuple[set[str], set[str]]:
    """The inputs some requirement, amount or document of `reg` reads (through definitions), and
    of those the ones a requirement or amount reads: the ones an open question can be (what only a
    document reads is no question: documents decide nothing)."""
    from eenvoud.analysis.slices import Dependencies

    deps = Dependencies(reg)
    asked: set[str] = set()
    for r in reg.requirements:
        asked |= deps.of_requirement(r)
    for a in reg.amounts:
        asked |= deps.of_name(a.name)
    read = set(asked)
    for d in reg.documents:
        read |= deps.of_document(d)
    return read, asked


def _touches(prog: Program, decision: Decision, facts: Mapping[str, Value], category: str, subject: str) -> bool:
    if category == "document":
        return decision.eligible is True and any(
            d["document"] == subject and d["required"] is True for d in decision.documents)
    if category == "requirement":
        return any(r.requirement == subject and r.status in ("holds", "fails") for r in decision.reasons)
    # a question: left out, the engine still needs it
    if subject not in prog.reg.input_map:
        return False
    without = {k: v for k, v in facts.items() if k != subject}
    try:
        open_ = decide(prog, without)
    except EvaluationError:
        return False
    return any(q.input == subject for q in open_.questions)


# -- on DuckDB: the batch's query, counted by aggregates ----------------------------------------

Wanted = tuple[str, str, str, date]


def count_duckdb(regs: Mapping[str, CheckedRegulation], path: str | Path, wanted: Iterable[Wanted],
                 bad: dict[str, int] | None = None) -> dict[Wanted, Count]:
    """The count of each wanted (regulation, category, subject, date) over the population file at
    `path`, on DuckDB (the module's docstring says how); the same numbers as `count`. `bad`, when
    given, receives per regulation the rows it could not read."""
    import duckdb

    from eenvoud.engine.sql import compile_sql

    by_reg_day = _grouped(regs, wanted)
    out: dict[Wanted, Count] = {}
    con = duckdb.connect()
    try:
        schema = _load(con, path)
        for (regulation, day), items in by_reg_day.items():
            reg = regs[regulation]
            try:
                prog = compile_sql(reg, day, "duckdb")
                engine = Program(reg, day)
            except Exception:  # noqa: BLE001 — a date without parameter values (RuleError): nothing to count, as in `count`
                continue
            numbers, read, unread = _count_sql(con, prog, engine, schema, items)
            if bad is not None and unread:
                bad[regulation] = bad.get(regulation, 0) + unread
            for (category, subject), k in numbers.items():
                out[(regulation, category, subject, day)] = Count(regulation, category, subject, day, k, read)
    except duckdb.Error as exc:
        raise PopulationError(f"{path}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return out


def _grouped(regs: Mapping[str, CheckedRegulation], wanted: Iterable[Wanted]) -> dict[tuple[str, date], list[tuple[str, str]]]:
    by_reg_day: dict[tuple[str, date], list[tuple[str, str]]] = {}
    for regulation, category, subject, day in wanted:
        if category not in CATEGORIES:
            raise ValueError(f"unknown burden {category!r}")
        if regulation in regs:
            items = by_reg_day.setdefault((regulation, day), [])
            if (category, subject) not in items:
                items.append((category, subject))
    return by_reg_day


def _load(con: DuckDBPyConnection, path: str | Path) -> dict[str, str]:
    """The file as the table `__people` (a row number `__row`, then its columns; a CSV's every
    field as text, trimmed, empty as unknown, as `read_population` reads it); its column types."""
    scan = _scan(path)
    run = con.execute
    described = run(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    columns = []
    for name, typ, *_ in described:
        ident = '"' + str(name).replace('"', '""') + '"'
        if str(typ).upper() == "VARCHAR":
            columns.append(f"nullif(trim({ident}), '') AS {ident}")
        else:
            columns.append(ident)
    run(f"CREATE OR REPLACE TEMP TABLE __people AS SELECT row_number() OVER () AS __row, "
        f"{', '.join(columns)} FROM {scan}")
    return {"__row": "BIGINT", **{str(r[0]): str(r[1]) for r in described}}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _count_sql(con: DuckDBPyConnection, prog: SqlProgram, engine: Program, schema: Mapping[str, str],
               items: list[tuple[str, str]]) -> tuple[dict[tuple[str, str], int], int, int]:
    """The counts of `items` for one regulation on one date, the rows it read and those it could
    not. The rows are parsed once (`__parsed`); the decision query is rendered once, over a union
    of variants (`__variant` 0: the rows as they are, for documents and requirements; k: the rows
    with the k-th question left out) and counted in one aggregate query, grouped by variant; then
    the engine decides the rows the SQL leaves to it."""
    from sqlglot import exp

    from eenvoud.engine.sql import DOCUMENT, NEEDS_ENGINE, REQUIREMENT
    from eenvoud.engine.sql_types import _sql_type

    reg = prog.reg
    run = con.execute
    used, asked = _inputs(reg)
    inputs = [i.name for i in prog.inputs]
    numbers = {item: 0 for item in items}
    run(f"CREATE OR REPLACE TEMP TABLE __parsed AS {prog.sql(prog.parse(exp.table_('__people'), schema, []))}")

    plain = [(c, s) for c, s in items if c in ("document", "requirement")]
    keep = [column for column in (f"{REQUIREMENT if c == 'requirement' else DOCUMENT}{s}" for c, s in plain)
            if column in prog.columns]
    questions = [s for c, s in dict.fromkeys(items) if c == "question" and s in reg.input_map and s in used]
    # the variants: 0 the rows as they are; k the rows with questions[k - 1] unknown, and how many
    # other inputs an open question can be are unknown in the row (0: the SQL counts it alone)
    parts = ["SELECT 0 AS __variant, 0 AS __others, * FROM __parsed"]
    for k, subject in enumerate(questions, start=1):
        others = " + ".join(f"CAST({_q('__i_' + name)} IS NULL AS INTEGER)" for name in inputs
                            if name != subject and name in asked) or "0"
        null = exp.Cast(this=exp.Null(), to=exp.DataType.build(_sql_type(prog.input_types[subject]))).sql("duckdb")
        parts.append(f"SELECT {k} AS __variant, {others} AS __others, * REPLACE ({null} AS {_q('__i_' + subject)}) "
                     "FROM __parsed")
    run(f"CREATE OR REPLACE TEMP VIEW __src AS {' UNION ALL '.join(parts)}")
    decided = prog.sql(prog.decide(exp.table_("__src"), [], internal=True,
                                   extra=("__bad", "__variant", "__others", *dict.fromkeys(keep))))

    ok = f"NOT __bad AND NOT {NEEDS_ENGINE}"
    aggregates = ["count(*) FILTER (WHERE NOT __bad)", "count(*) FILTER (WHERE __bad)"]
    for category, subject in plain:
        column = f"{REQUIREMENT if category == 'requirement' else DOCUMENT}{subject}"
        if column not in keep:
            cond = "FALSE"
        elif category == "requirement":
            cond = f"{_q(column)} IS NOT NULL"  # holds or fails: evaluated
        else:
            cond = f"eligible IS TRUE AND {_q(column)} IS TRUE"  # eligible, and must supply it
        aggregates.append(f"count(*) FILTER (WHERE {ok} AND {cond})")
    # with the question the only unknown the rules can read, it is open exactly when the case is
    # undetermined, or eligible with an amount unknown
    amounts = [o.name for o in prog.outputs if o.name not in ("eligible", "failed_requirement")]
    unknown_amount = " OR ".join(f"{_q(a)} IS NULL" for a in amounts) or "FALSE"
    open_ = f"(eligible IS NULL OR (eligible IS TRUE AND ({unknown_amount})))"
    aggregates.append(f"count(*) FILTER (WHERE {ok} AND __others = 0 AND {open_})")
    rows = {int(r[0]): r[1:] for r in run(
        f"SELECT __variant, {', '.join(aggregates)} FROM ({decided}) AS __d GROUP BY __variant").fetchall()}
    base = rows.get(0)
    read, unread = (int(base[0]), int(base[1])) if base else (0, 0)
    if base:
        for item, k in zip(plain, base[2:], strict=False):
            numbers[item] = int(k)
    for k, subject in enumerate(questions, start=1):
        numbers[("question", subject)] = int(rows[k][-1]) if k in rows else 0

    # the rows the SQL leaves to the engine: marked for it, or (for a question) with another
    # unknown, when the question can be open (a case that is refused, or eligible with every
    # amount known, has no open question)
    picked = ", ".join(["__variant", *(_q(f"__i_{name}") for name in inputs)])
    first = "" if plain else "__variant > 0 AND "
    for values in run(f"SELECT {picked} FROM ({decided}) AS __d WHERE NOT __bad AND {first}({NEEDS_ENGINE} OR "
                      f"(__variant > 0 AND __others > 0 AND {open_}))").fetchall():
        variant = int(values[0])
        facts = {name: x for name, x in zip(inputs, values[1:], strict=True) if x is not None}
        decision = decide(engine, facts)
        if variant == 0:
            for category, subject in plain:
                if _touches(engine, decision, facts, category, subject):
                    numbers[(category, subject)] += 1
        elif any(q.input == questions[variant - 1] for q in decision.questions):
            numbers[("question", questions[variant - 1])] += 1

    for category, subject in items:
        if category == "form_question" or (category == "question" and subject in reg.input_map
                                           and subject not in used):
            numbers[(category, subject)] = read  # read by no rule: the form asks it of everyone
    return numbers, read, unread
