"""How many applicants each finding touches, counted exactly over a population file (issue 11,
part 4): `eenvoud analyze --population FILE`.

The file is what `eenvoud batch` reads (CSV or Parquet, one row per person, one column per input;
a column no regulation asks is ignored, a missing or empty one is an unknown fact). DuckDB reads
it; every row is then decided by the engine (`decision.decide`) on the finding's date, so the
counts are exact and agree with the batch row for row. What is counted, per kind of burden:

- a **document**: the applicants who are eligible and must supply it (the engine's documents
  required, for an eligible decision);
- a **question**: the applicants who are asked it — with the answer left out, the engine still
  needs it (it is among the decision's open questions); an input that no requirement, amount or
  document reads is asked of everyone (only the form asks it);
- a **requirement**: the applicants it is evaluated for (its status is `holds` or `fails`: known).

Without a population file, `domain_sample` draws a seeded sample of cases uniformly over each
input's declared domain, cut to a realistic range (dates of birth from 1900, other dates in the five
years before the decision date, money up to `SAMPLE_MONEY`, counts up to `SAMPLE_COUNT`, ages up to
100): counted the same way, it estimates each burden's share of the domain — a rank, not a count
of applicants, and said so in the report.

A row the engine cannot read for a regulation (a value outside an input's domain) counts for
nothing in that regulation and is counted apart (`bad`). The date of a finding is the start of its
last period (the rules now in force) or the date of the analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from eenvoud.engine.decision import Decision, decide
from eenvoud.engine.evaluate import Program
from eenvoud.engine.facts import FactsError, parse_facts
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir.checked import CheckedRegulation

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


def read_population(path: str | Path) -> Population:
    """Every row of a CSV or Parquet file, read by DuckDB (every CSV value as text, as the batch
    reads it; the engine's fact parser types it per regulation)."""
    import duckdb

    p = Path(path)
    if not p.is_file():
        raise PopulationError(f"no population file {path}")
    quoted = "'" + str(p).replace("'", "''") + "'"
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        query = f"SELECT * FROM read_parquet({quoted})"
    elif suffix in (".csv", ".txt"):
        query = f"SELECT * FROM read_csv({quoted}, header = true, all_varchar = true)"
    else:
        raise PopulationError(f"{path}: a population is a .csv or .parquet file")
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
        used = _read_inputs(reg)
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


def _read_inputs(reg: CheckedRegulation) -> set[str]:
    """The inputs some requirement, amount or document of `reg` reads (through definitions)."""
    from eenvoud.analysis.slices import Dependencies

    deps = Dependencies(reg)
    out: set[str] = set()
    for r in reg.requirements:
        out |= deps.of_requirement(r)
    for a in reg.amounts:
        out |= deps.of_name(a.name)
    for d in reg.documents:
        out |= deps.of_document(d)
    return out


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
