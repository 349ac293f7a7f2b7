"""A whole population against the zorgtoeslag: people per second and peak memory for the engine
(one case at a time), `eenvoud batch` on DuckDB, and OpenFisca's vectorised calculation of the
same regulation (bench/peers/openfisca_zorgtoeslag), in the same run, on the same Parquet files.

    .venv/bin/python bench/batch.py                       # 1,000,000 and 10,000,000 people
    .venv/bin/python bench/batch.py --sizes 1000000 --engine-sample 20000

Every case runs in a child process of its own, so that its peak memory (the child's maximum
resident set, from wait4) is its own; the time is measured inside the child, from reading the
input to the results written, without Python's start-up; each child runs its case twice and the
faster run counts (warm, for both). DuckDB and OpenFisca children run --repeat times, alternating,
and the fastest counts (the machine is shared):

- duckdb: the whole `eenvoud batch` (read Parquet, check every row's types and domains, decide,
  write Parquet, count the outcomes), exact DECIMAL arithmetic.
- openfisca: read the same columns into numpy (through DuckDB), build the simulation, calculate
  eligible, zorgtoeslag and monthly_payment (OpenFisca's float32), write them to Parquet. No
  checks of the input.
- engine: `decide_row` person after person on the first --engine-sample people (already read into
  Python), extrapolated to the full size: it says so in the table.

Then the results are compared: DuckDB with the engine on the engine's sample (must be 0
differences), OpenFisca with DuckDB on everyone (people whose eligibility or any amount differs by
a cent or more).

Needs the `bench` extra (openfisca-core). Targets on this 2-core machine: DuckDB at least as fast as
OpenFisca while exact, and 10,000,000 people in under 30 seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(__file__).resolve().parent / "peers"
RULES = ROOT / "rules" / "nl" / "rijk" / "zorgtoeslag.rules"
DAY = date(2025, 1, 1)
YEAR = "2025"


# -- the population ----------------------------------------------------------------------------


def generate(path: Path, size: int) -> None:
    """Synthetic residents as a registry extract would hold them: typed columns, every fact known
    (a partner's insurance only where there is a partner). Seeded: the same file every run."""
    import duckdb

    with duckdb.connect() as con:
        con.execute("SELECT setseed(0.2025)")
        con.execute(f"""COPY (
          SELECT CAST(i + 100000000 AS BIGINT) AS bsn,
                 CAST(floor(random() * 100) AS INTEGER) AS age,
                 random() < 0.98 AS insured,
                 partner AS has_partner,
                 CASE WHEN partner THEN random() < 0.97 END AS partner_insured,
                 CAST(CASE WHEN r < 0.3 THEN floor(random() * 2500000)
                           WHEN r < 0.7 THEN 2500000 + floor(random() * 3500000)
                           ELSE 6000000 + floor(random() * 14000000) END / 100 AS DECIMAL(18, 2)) AS income,
                 CAST(CASE WHEN q < 0.85 THEN floor(random() * 5000000)
                           WHEN q < 0.95 THEN 5000000 + floor(random() * 20000000)
                           ELSE 25000000 + floor(random() * 175000000) END / 100 AS DECIMAL(18, 2)) AS assets
          FROM (SELECT i, random() < 0.45 AS partner, random() AS r, random() AS q FROM range({size}) t(i))
        ) TO '{path}' (FORMAT parquet)""")


# -- the cases (each in a child process) --------------------------------------------------------


def _regulation() -> Any:
    from eenvoud.library import Library

    lib = Library.load([RULES])
    lib.raise_for_errors()
    return lib.regulations["zorgtoeslag"]


def case_duckdb(source: Path, out: Path, size: int, sample: int) -> dict[str, Any]:
    import duckdb

    from eenvoud.engine.batch import run_batch

    reg = _regulation()
    # warm up on ten people (imports, sqlglot's dialect, DuckDB's Parquet reader, the compiled
    # query), as OpenFisca builds its tax-benefit system before its clock starts
    warm = out.with_name(out.stem + "_warm.parquet")
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_parquet('{source}') LIMIT 10) TO '{warm}' (FORMAT parquet)")
    run_batch(reg, DAY, warm, out)
    result = min((run_batch(reg, DAY, source, out) for _ in range(2)), key=lambda r: r.seconds)  # as OpenFisca
    assert result.people == size and result.bad_rows == 0, result.to_json()
    return {"seconds": result.seconds, "people": size, "eligible": result.eligible}


def case_openfisca(source: Path, out: Path, size: int, sample: int) -> dict[str, Any]:
    import duckdb
    import numpy as np

    sys.path.insert(0, str(PEERS))
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_zorgtoeslag import CountryTaxBenefitSystem

    system = CountryTaxBenefitSystem()  # loading the rules is not timed, as for the others

    def once() -> dict[str, Any]:
        started = time.perf_counter()
        with duckdb.connect() as con:
            columns = con.execute(
                "SELECT bsn, age, insured, has_partner, coalesce(partner_insured, false) AS partner_insured, "
                f"CAST(income AS DOUBLE) AS income, CAST(assets AS DOUBLE) AS assets FROM read_parquet('{source}')"
            ).fetchnumpy()
            read = time.perf_counter() - started
            simulation = SimulationBuilder().build_default_simulation(system, count=len(columns["bsn"]))
            for name in ("age", "insured", "has_partner", "partner_insured", "income", "assets"):
                simulation.set_input(name, YEAR, np.asarray(columns[name]))
            results = {  # noqa: F841 (read by DuckDB below, by name)
                "bsn": np.asarray(columns["bsn"]),
                "eligible": simulation.calculate("eligible", YEAR),
                "zorgtoeslag": simulation.calculate("zorgtoeslag", YEAR),
                "monthly_payment": simulation.calculate("monthly_payment", YEAR),
            }
            computed = time.perf_counter() - started
            con.execute(f"COPY (SELECT * FROM results) TO '{out}' (FORMAT parquet)")
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "people": size, "read": read, "computed": computed - read,
                "dtype": str(results["zorgtoeslag"].dtype)}

    # twice in the same process, the faster counts: as for DuckDB, warm
    return min((once(), once()), key=lambda f: f["seconds"])


def case_engine(source: Path, out: Path, size: int, sample: int) -> dict[str, Any]:
    import duckdb

    from eenvoud.engine.batch import decide_row
    from eenvoud.engine.evaluate import Program

    reg = _regulation()
    program = Program(reg, DAY)
    names = [i.name for i in reg.inputs]
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT bsn, {', '.join(names)} FROM read_parquet('{source}') LIMIT {sample}").fetchall()
    people = [(r[0], {k: x for k, x in zip(names, r[1:], strict=True) if x is not None}) for r in rows]
    started = time.perf_counter()
    decided = [(bsn, decide_row(program, facts)) for bsn, facts in people]
    seconds = time.perf_counter() - started
    with duckdb.connect() as con:
        con.execute("CREATE TABLE r (bsn BIGINT, eligible BOOLEAN, zorgtoeslag DECIMAL(18, 2), "
                    "monthly_payment DECIMAL(18, 2), failed_requirement VARCHAR)")
        con.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?)",
                        [(bsn, d["eligible"], d["zorgtoeslag"], d["monthly_payment"], d["failed_requirement"])
                         for bsn, d in decided])
        con.execute(f"COPY r TO '{out}' (FORMAT parquet)")
    return {"seconds": seconds * size / len(people), "people": size, "sample": len(people),
            "sample_seconds": seconds}


CASES = {"engine": case_engine, "duckdb": case_duckdb, "openfisca": case_openfisca}


# -- the parent --------------------------------------------------------------------------------


def run_case(name: str, source: Path, out: Path, size: int, sample: int) -> dict[str, Any]:
    """One case in a child process; its figures, and its peak memory from wait4."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--case", name, "--input", str(source), "--output", str(out),
         "--size", str(size), "--engine-sample", str(sample)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"the {name} case failed (exit {child.returncode})")
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    figures["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return figures


def differences(a: Path, b: Path, exact_cents: bool) -> tuple[int, int]:
    """People in both files whose eligibility or an amount differs (by a cent or more)."""
    import duckdb

    with duckdb.connect() as con:
        cents = "round(CAST(x.{c} AS DOUBLE) * 100) <> round(CAST(y.{c} AS DOUBLE) * 100)" if not exact_cents \
            else "x.{c} <> y.{c}"
        differ = " OR ".join(["x.eligible IS DISTINCT FROM y.eligible"] +
                             [cents.format(c=c) for c in ("zorgtoeslag", "monthly_payment")])
        row = con.execute(f"SELECT count(*), count(*) FILTER ({differ}) FROM read_parquet('{a}') x "
                          f"JOIN read_parquet('{b}') y USING (bsn)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engine-sample", type=int, default=50_000,
                        help="people the engine decides one by one; its time is extrapolated")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/eenvoud-bench"), help="where the files go")
    parser.add_argument("--repeat", type=int, default=3, help="runs of DuckDB and OpenFisca; the fastest counts")
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case:  # a child
        figures = CASES[args.case](args.input, args.output, args.size, args.engine_sample)
        print(json.dumps(figures))
        return 0

    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"zorgtoeslag on {DAY}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    print(f"{'people':>12}  {'case':<10} {'seconds':>8} {'people/s':>12} {'peak MB':>8}  exactness")
    verdicts: list[str] = []
    for size in args.sizes:
        source = args.dir / f"people_{size}.parquet"
        if not source.exists():
            generate(source, size)
        sample = min(args.engine_sample, size)
        figures = {"engine": run_case("engine", source, args.dir / f"results_engine_{size}.parquet", size, sample)}
        for _ in range(args.repeat):  # alternating, so that both meet the same background load
            for name in ("duckdb", "openfisca"):
                got = run_case(name, source, args.dir / f"results_{name}_{size}.parquet", size, sample)
                if name not in figures or got["seconds"] < figures[name]["seconds"]:
                    figures[name] = got
        compared, engine_diff = differences(args.dir / f"results_engine_{size}.parquet",
                                            args.dir / f"results_duckdb_{size}.parquet", exact_cents=True)
        everyone, peer_diff = differences(args.dir / f"results_duckdb_{size}.parquet",
                                          args.dir / f"results_openfisca_{size}.parquet", exact_cents=False)
        notes = {
            "engine": f"extrapolated from {sample:,} people ({figures['engine']['sample_seconds']:.1f} s)",
            "duckdb": f"{engine_diff} of {compared:,} differ from the engine (exact DECIMAL)",
            "openfisca": f"{peer_diff:,} of {everyone:,} differ from the exact result "
                         f"({figures['openfisca']['dtype']}; compute {figures['openfisca']['computed']:.2f} s "
                         f"of the total)",
        }
        for name, f in figures.items():
            rate = size / f["seconds"]
            print(f"{size:>12,}  {name:<10} {f['seconds']:>8.2f} {rate:>12,.0f} {f['peak_mb']:>8.0f}  {notes[name]}")
        ratio = figures["openfisca"]["seconds"] / figures["duckdb"]["seconds"]
        verdicts.append(f"{size:,} people: DuckDB {ratio:.2f}x OpenFisca's speed "
                        f"({'met' if ratio >= 1 else 'NOT met'}: at least as fast), exact: "
                        f"{'yes' if engine_diff == 0 else 'NO'}")
        if size >= 10_000_000:
            seconds = figures["duckdb"]["seconds"] * 10_000_000 / size
            verdicts.append(f"10,000,000 people on DuckDB in {seconds:.1f} s "
                            f"({'met' if seconds < 30 else 'NOT met'}: under 30 s)")
    for v in verdicts:
        print(v)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
