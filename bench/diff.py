"""`eenvoud diff` on a population: the zorgtoeslag on 2024-01-01 against 2025-01-01, who gains,
who loses, who gets more or less, counted on 1,000,000 generated people with the euros summed
exactly, beside an OpenFisca reform of the same change on the same people.

    .venv/bin/python bench/diff.py                          # 1,000,000 people, 50,000 checked
    .venv/bin/python bench/diff.py --size 100000 --sample 10000

Stages, each timed by the wall clock and by this process's CPU time (user + system, every thread:
DuckDB's threads count), because the machine is shared and the wall clock alone says little:

1. regions: `compare` (Z3) describes the regions of change, every witness replayed in both versions.
2. population: `count_population` decides everyone with both versions on DuckDB (`run_batch`), joins
   the two results on the row and counts each change, the euros summed in DECIMAL.
3. engine: a seeded sample (--sample people) decided one by one by the engine in both versions; each
   person's eligibility and amounts must equal the batch's, and so must the sample's counts and euros.
4. openfisca: the peer (bench/peers/openfisca_zorgtoeslag with its AdultByBirthDate reform, so that
   it reads the birth date as the rules do) computes both years on the same people, vectorised, and
   counts the same changes with numpy (float32 amounts, summed in float64); then it is compared
   person by person with the exact result.

The population is generated with DuckDB's seeded random() (the same Parquet file every run), in
/tmp by default: ages 15-99 with a birth date that agrees with the age on 2025-01-01, a partner for
45%, incomes and assets with a share near the limits of both years.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(__file__).resolve().parent / "peers"
RULES = ROOT / "rules" / "nl" / "rijk" / "zorgtoeslag.rules"
OLD, NEW = date(2024, 1, 1), date(2025, 1, 1)
AMOUNTS = ("zorgtoeslag", "monthly_payment")
CHANGES = (("eligible", "gains"), ("eligible", "loses"), ("zorgtoeslag", "more"), ("zorgtoeslag", "less"),
           ("monthly_payment", "more"), ("monthly_payment", "less"))

T = TypeVar("T")


def generate(path: Path, size: int) -> None:
    import duckdb

    with duckdb.connect() as con:
        con.execute("SELECT setseed(0.1324)")
        con.execute(f"""COPY (
          SELECT CAST(i + 100000000 AS BIGINT) AS bsn, age,
                 make_date(2024 - age, CAST(1 + floor(m * 12) AS INTEGER), CAST(2 + floor(d * 27) AS INTEGER))
                   AS birth_date,
                 random() < 0.98 AS insured,
                 partner AS has_partner,
                 CASE WHEN partner THEN random() < 0.97 END AS partner_insured,
                 CAST(CASE WHEN r < 0.25 THEN floor(random() * 2500000)
                           WHEN r < 0.55 THEN 2500000 + floor(random() * 2500000)
                           WHEN r < 0.75 THEN 3600000 + floor(random() * 1400000)
                           ELSE 5000000 + floor(random() * 10000000) END / 100 AS DECIMAL(18, 2)) AS income,
                 CAST(CASE WHEN q < 0.80 THEN floor(random() * 5000000)
                           WHEN q < 0.92 THEN 13500000 + floor(random() * 5000000)
                           ELSE 5000000 + floor(random() * 30000000) END / 100 AS DECIMAL(18, 2)) AS assets
          FROM (SELECT i,
                       CAST(CASE WHEN random() < 0.04 THEN 18 ELSE 15 + floor(random() * 85) END AS INTEGER) AS age,
                       random() AS m, random() AS d, random() < 0.45 AS partner, random() AS r, random() AS q
                FROM range({size}) t(i))
        ) TO '{path}' (FORMAT parquet)""")


def timed(what: Callable[[], T]) -> tuple[T, float, float]:
    """The result, the wall-clock seconds and this process's CPU seconds (all threads)."""
    def cpu() -> float:
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    c0, w0 = cpu(), time.perf_counter()
    got = what()
    return got, time.perf_counter() - w0, cpu() - c0


def _change_of(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """A person's changes as count_population defines them, with the euros of each."""
    out: list[tuple[str, str, Decimal]] = []
    if old["eligible"] is False and new["eligible"] is True:
        out.append(("eligible", "gains", new["zorgtoeslag"] - old["zorgtoeslag"]))
    if old["eligible"] is True and new["eligible"] is False:
        out.append(("eligible", "loses", new["zorgtoeslag"] - old["zorgtoeslag"]))
    if old["eligible"] is True and new["eligible"] is True:
        for name in AMOUNTS:
            if new[name] != old[name]:
                out.append((name, "more" if new[name] > old[name] else "less", new[name] - old[name]))
    return out


def check_sample(source: Path, work: Path, sample: int) -> dict[str, Any]:
    """The engine, person by person, on a seeded sample, against the batch's rows for them."""
    import duckdb

    from eenvoud.dsl.load import load
    from eenvoud.engine.batch import decide_row
    from eenvoud.engine.evaluate import Program
    from eenvoud.engine.facts import parse_facts

    reg = load(RULES)
    programs = {OLD: Program(reg, OLD), NEW: Program(reg, NEW)}
    names = [i.name for i in reg.inputs]

    def batch_side(name: str) -> str:
        return (f"(SELECT CAST(bsn AS BIGINT) AS bsn, eligible, CAST(zorgtoeslag AS DECIMAL(18, 2)) AS zorgtoeslag, "
                f"CAST(monthly_payment AS DECIMAL(18, 2)) AS monthly_payment FROM read_parquet('{work / name}'))")

    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT p.bsn, {', '.join('p.' + x for x in names)}, o.eligible, o.zorgtoeslag, o.monthly_payment, "
            f"n.eligible, n.zorgtoeslag, n.monthly_payment "
            f"FROM (SELECT * FROM read_parquet('{source}') USING SAMPLE reservoir({sample} ROWS) REPEATABLE (7)) p "
            f"JOIN {batch_side('old.parquet')} o USING (bsn) JOIN {batch_side('new.parquet')} n USING (bsn)").fetchall()
    k = len(names)
    differ = 0
    engine_counts: dict[tuple[str, str], list[Any]] = {c: [0, Decimal(0)] for c in CHANGES}
    batch_counts: dict[tuple[str, str], list[Any]] = {c: [0, Decimal(0)] for c in CHANGES}
    for row in rows:
        facts = parse_facts(reg, {x: (v.isoformat() if isinstance(v, date) else
                                      str(v) if isinstance(v, Decimal) else v)
                                  for x, v in zip(names, row[1:1 + k], strict=True) if v is not None})
        mine = [decide_row(programs[day], facts) for day in (OLD, NEW)]
        theirs = [dict(zip(("eligible", *AMOUNTS), row[1 + k + 3 * j:4 + k + 3 * j], strict=True)) for j in (0, 1)]
        if any(m[x] != t[x] for m, t in zip(mine, theirs, strict=True) for x in ("eligible", *AMOUNTS)):
            differ += 1
        for counts, (o, n) in ((engine_counts, mine), (batch_counts, theirs)):
            for outcome, change, euros in _change_of(o, n):
                counts[(outcome, change)][0] += 1
                counts[(outcome, change)][1] += euros
    return {"people": len(rows), "differ": differ, "engine": engine_counts, "batch": batch_counts,
            "same_counts": engine_counts == batch_counts}


def openfisca(source: Path, work: Path) -> tuple[dict[str, Any], float, float]:
    """The peer's reform on everyone, and its figures; then (untimed) its agreement, person by
    person, with the exact result."""
    import duckdb
    import numpy as np

    sys.path.insert(0, str(PEERS))
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_zorgtoeslag import CountryTaxBenefitSystem
    from openfisca_zorgtoeslag.reforms import AdultByBirthDate

    system = AdultByBirthDate(CountryTaxBenefitSystem())  # building the system is not timed

    def run() -> dict[str, Any]:
        with duckdb.connect() as con:
            cols = con.execute(
                "SELECT bsn, age, birth_date, insured, has_partner, coalesce(partner_insured, false) AS partner_insured, "
                f"CAST(income AS DOUBLE) AS income, CAST(assets AS DOUBLE) AS assets FROM read_parquet('{source}')"
            ).fetchnumpy()
        sim = SimulationBuilder().build_default_simulation(system, count=len(cols["bsn"]))
        sim.set_input("birth_date", "ETERNITY", np.asarray(cols["birth_date"]).astype("datetime64[D]"))
        out: dict[str, Any] = {"bsn": np.asarray(cols["bsn"])}
        for year in ("2024", "2025"):
            for name in ("age", "insured", "has_partner", "partner_insured", "income", "assets"):
                sim.set_input(name, year, np.asarray(cols[name]))
            for name in ("eligible", *AMOUNTS):
                out[f"{name}_{year}"] = sim.calculate(name, year)
        e0, e1 = out["eligible_2024"], out["eligible_2025"]
        both = e0 & e1
        z0, z1 = out["zorgtoeslag_2024"].astype(np.float64), out["zorgtoeslag_2025"].astype(np.float64)
        counts: dict[tuple[str, str], tuple[int, float]] = {
            ("eligible", "gains"): (int((~e0 & e1).sum()), float((z1 - z0)[~e0 & e1].sum())),
            ("eligible", "loses"): (int((e0 & ~e1).sum()), float((z1 - z0)[e0 & ~e1].sum())),
        }
        for name in AMOUNTS:
            a, b = out[f"{name}_2024"].astype(np.float64), out[f"{name}_2025"].astype(np.float64)
            # a cent or more: OpenFisca's float32 is not exact
            more, less = both & (np.round((b - a) * 100) > 0), both & (np.round((b - a) * 100) < 0)
            counts[(name, "more")] = (int(more.sum()), float((b - a)[more].sum()))
            counts[(name, "less")] = (int(less.sum()), float((b - a)[less].sum()))
        out["counts"] = counts
        out["dtype"] = str(out["zorgtoeslag_2025"].dtype)
        return out

    got, wall, cpu = timed(run)
    results = {k: v for k, v in got.items() if k not in ("counts", "dtype")}  # noqa: F841 (read by DuckDB by name)

    def exact(name: str) -> str:
        return (f"(SELECT CAST(bsn AS BIGINT) AS bsn, eligible, CAST(zorgtoeslag AS DOUBLE) AS zorgtoeslag, "
                f"CAST(monthly_payment AS DOUBLE) AS monthly_payment FROM read_parquet('{work / name}'))")

    cents = "round({a} * 100) <> round({b} * 100)"
    differ = " OR ".join(["o.eligible IS DISTINCT FROM r.eligible_2024", "n.eligible IS DISTINCT FROM r.eligible_2025"]
                         + [cents.format(a=f"{side}.{name}", b=f"r.{name}_{year}")
                            for side, year in (("o", "2024"), ("n", "2025")) for name in AMOUNTS])
    eligibility = "o.eligible IS DISTINCT FROM r.eligible_2024 OR n.eligible IS DISTINCT FROM r.eligible_2025"
    with duckdb.connect() as con:
        row = con.execute(f"SELECT count(*), count(*) FILTER ({differ}), count(*) FILTER ({eligibility}) "
                          f"FROM results r JOIN {exact('old.parquet')} o USING (bsn) "
                          f"JOIN {exact('new.parquet')} n USING (bsn)").fetchone()
    assert row is not None
    got["compared"], got["differ"], got["differ_eligible"] = int(row[0]), int(row[1]), int(row[2])
    return got, wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000, help="people the engine decides one by one")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/eenvoud-bench-diff"), help="where the files go")
    parser.add_argument("--regions", type=int, default=8, help="regions per change (as eenvoud diff --regions)")
    args = parser.parse_args()

    from eenvoud.analysis.diff import compare, count_population
    from eenvoud.dsl.load import load

    args.dir.mkdir(parents=True, exist_ok=True)
    source = args.dir / f"people_{args.size}.parquet"
    if not source.exists():
        generate(source, args.size)
    load_before = os.getloadavg()[0]
    print(f"zorgtoeslag {OLD} -> {NEW}, {args.size:,} people ({source}), {os.cpu_count()} cores, "
          f"load average {load_before:.2f} at the start")
    reg = load(RULES)
    diff, w_regions, c_regions = timed(lambda: compare(reg, OLD, reg, NEW, bound=args.regions))
    print(f"regions: {len(diff.regions)} ({', '.join(sorted({f'{r.outcome}/{r.change}' for r in diff.regions}))}), "
          f"complete: {sorted(k for k, v in diff.complete.items() if v)}; unknown {len(diff.unknown)}")
    with tempfile.TemporaryDirectory(prefix="work-", dir=args.dir) as tmp:
        work = Path(tmp)
        pop, w_pop, c_pop = timed(lambda: count_population(diff, str(source), str(work)))
        sample, w_sample, c_sample = timed(lambda: check_sample(source, work, min(args.sample, args.size)))
        peer, w_peer, c_peer = openfisca(source, work)
    exact = {(c["outcome"], c["change"]): (c["people"], Decimal(c["euros"])) for c in pop["changes"]}

    print(f"\n{'stage':<28} {'wall s':>8} {'CPU s':>8}  what")
    print(f"{'regions (Z3, replayed)':<28} {w_regions:>8.2f} {c_regions:>8.2f}  {len(diff.regions)} regions, "
          f"{diff.queries} queries")
    print(f"{'population (DuckDB, exact)':<28} {w_pop:>8.2f} {c_pop:>8.2f}  {pop['people']:,} people x 2 versions, "
          f"{pop['bad_rows']} bad rows, {pop['undetermined']} undetermined")
    print(f"{'engine sample':<28} {w_sample:>8.2f} {c_sample:>8.2f}  {sample['people']:,} people x 2 versions "
          f"one by one: {sample['differ']} differ from the batch; counts and euros "
          f"{'equal' if sample['same_counts'] else 'NOT EQUAL'}")
    print(f"{'OpenFisca reform':<28} {w_peer:>8.2f} {c_peer:>8.2f}  {args.size:,} people x 2 years ({peer['dtype']}): "
          f"{peer['differ']:,} of {peer['compared']:,} differ from the exact result by a cent or more "
          f"({peer['differ_eligible']:,} of them in eligibility)")

    print(f"\n{'change':<24} {'people':>10} {'euros (exact)':>18} {'OpenFisca people':>17} {'OpenFisca euros':>18}"
          f" {'sample: engine = batch':>24}")
    for key in CHANGES:
        people, euros = exact.get(key, (0, Decimal(0)))
        fp, fe = peer["counts"][key]
        ep, ee = sample["engine"][key]
        bp, be = sample["batch"][key]
        same = "yes" if (ep, ee) == (bp, be) else "NO"
        print(f"{key[0] + ' ' + key[1]:<24} {people:>10,} {euros:>18,} {fp:>17,} {fe:>18,.2f} "
              f"{f'{ep:,} / {ee:,} {same}':>24}")
    totals = pop.get("totals", {})
    for name, t in totals.items():
        print(f"total {name}: {t['old']} -> {t['new']} (change {t['change']})")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    ok = sample["differ"] == 0 and sample["same_counts"]
    print("the engine's sample agrees with the population counts" if ok else "DISAGREEMENT on the sample")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
