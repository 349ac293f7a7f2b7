"""The analyzer's burden counts (`eenvoud analyze --population FILE`) over a generated population,
on DuckDB (the batch's SQL, counted by aggregates) beside the engine deciding row by row, and the
two compared on the rows both count.

    .venv/bin/python bench/population.py                         # 100,000 rows on DuckDB, 10,000 on the engine
    .venv/bin/python bench/population.py --rows 20000 --engine-rows 20000

The population: `domain_sample` over every input of the shipped library (one value per input name,
uniform over its declared domain cut to a realistic range: every fact known), seeded. What is
counted, as the report counts it: every document and every requirement of every regulation, and
the first three inputs each regulation's rules read as questions, on 2025-01-01.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eenvoud.analysis.population import (  # noqa: E402
    _read_inputs,
    count,
    count_duckdb,
    domain_sample,
    read_population,
)
from eenvoud.library import Library  # noqa: E402

DAY = date(2025, 1, 1)


def _write(rows: list[dict[str, object]], path: Path) -> None:
    names = sorted({k for row in rows for k in row})
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["bsn", *names])
        for k, row in enumerate(rows):
            w.writerow([k, *("" if row.get(n) is None else str(row[n]).lower() if isinstance(row[n], bool)
                              else row[n] for n in names)])


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--engine-rows", type=int, default=10_000)
    args = ap.parse_args()
    lib = Library.load([ROOT / "rules"])
    regs = {name: reg for name, reg in sorted(lib.regulations.items()) if reg.is_regulation()}
    wanted = []
    for name, reg in regs.items():
        wanted += [(name, "document", d.name, DAY) for d in reg.documents]
        wanted += [(name, "requirement", r.name, DAY) for r in reg.requirements]
        read = _read_inputs(reg)
        wanted += [(name, "question", i.name, DAY) for i in reg.inputs if i.name in read][:3]
    rows = domain_sample(list(regs.values()), DAY, size=args.rows, seed=11).rows
    with tempfile.TemporaryDirectory() as tmp:
        full, part = Path(tmp) / "people.csv", Path(tmp) / "part.csv"
        _write(rows, full)
        _write(rows[: args.engine_rows], part)
        print(f"{len(regs)} regulations, {len(wanted)} counts; load average {os.getloadavg()[0]:.2f}")
        _, wall, cpu = _timed(count_duckdb, regs, full, wanted)
        print(f"DuckDB, {args.rows:,} rows: {wall:.1f} s wall, {cpu:.1f} s CPU")
        on_duckdb, wall, cpu = _timed(count_duckdb, regs, part, wanted)
        print(f"DuckDB, {args.engine_rows:,} rows: {wall:.1f} s wall, {cpu:.1f} s CPU")
        on_engine, wall, cpu = _timed(lambda: count(regs, read_population(part), wanted))
        print(f"engine, {args.engine_rows:,} rows: {wall:.1f} s wall, {cpu:.1f} s CPU")
        print("the same counts" if on_duckdb == on_engine else "THE COUNTS DIFFER")
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
