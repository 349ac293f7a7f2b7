"""The columns the batch's query computes beside its outputs, read by the analyzer's population
counts (analysis/population.py): `__r_<requirement>` (whether it holds; NULL: unknown) and
`__d_<document>` (whether the case must supply it) agree with the engine's decision, person by
person, on every row the query does not leave to the engine."""

from __future__ import annotations

import zlib
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp
from test_sql_equivalence import DAY, IDS, REGULATIONS, generate_people, write_csv

from eenvoud.engine.decision import decide, judge
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.sql import DOCUMENT, NEEDS_ENGINE, REQUIREMENT, compile_sql
from eenvoud.ir.checked import CheckedRegulation


@pytest.mark.parametrize(("name", "reg"), REGULATIONS, ids=IDS)
def test_requirement_and_document_columns_are_the_engines(name: str, reg: CheckedRegulation, tmp_path: Path) -> None:
    people = generate_people(reg, DAY, 2_000, seed=zlib.crc32(name.encode()) % 1000)
    source = tmp_path / "people.csv"
    write_csv(reg, people, source)
    prog = compile_sql(reg, DAY, "duckdb")
    extra = [f"{REQUIREMENT}{r.name}" for r in reg.requirements] + [f"{DOCUMENT}{d.name}" for d in reg.documents]
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE __people AS SELECT row_number() OVER () AS __row, * "
                    f"FROM read_csv('{source}', header = true, all_varchar = true)")
        schema = {str(r[0]): str(r[1]) for r in con.execute("DESCRIBE __people").fetchall()}
        query = prog.decide(prog.parse(exp.table_("__people"), schema, []), [], internal=True,
                            extra=("__bad", *extra))
        cursor = con.execute(f"SELECT row, eligible, __bad, {NEEDS_ENGINE}, {', '.join(extra)} FROM ({prog.sql(query)})")
        rows = cursor.fetchall()
    engine = Program(reg, DAY)
    compared = 0
    for row, eligible, bad, needs_engine, *values in rows:
        if bad or needs_engine:
            continue
        person = people[int(row) - 1]
        facts = {k: v for k, v in person.items() if v is not None}
        decision = decide(engine, facts)
        # the query's eligibility is the rules' Kleene verdict (`judge`); a Decision also leaves
        # undetermined a case an open answer can still make fail (core/failure.py)
        assert eligible == judge(engine, Env(dict(facts))).eligible
        assert decision.eligible in (eligible, None)
        status = {True: "holds", False: "fails", None: "unknown"}
        for r, got in zip(reg.requirements, values, strict=False):
            assert status[got] == next(x.status for x in decision.reasons if x.requirement == r.name), (row, r.name)
        for d, got in zip(reg.documents, values[len(reg.requirements):], strict=True):
            want = next(x["required"] for x in decision.documents if x["document"] == d.name)
            assert got == want, (row, d.name, person)
        compared += 1
    assert compared > len(people) // 2
