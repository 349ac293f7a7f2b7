"""Asking a citizen as little as possible: an interactive session simulated over the shipped library.

    .venv/bin/python bench/questions.py                    # 1,000 cases per regulation
    .venv/bin/python bench/questions.py --cases 100 --regulations zorgtoeslag

For each regulation, complete cases are drawn (seeded: the same every run) from each input's
domain, around the numbers the rules compare things with. A session starts from nothing, asks the
first question the decision lists, takes the answer from the hidden complete case, and repeats
until the decision is settled. Three policies, same cases, same run:

- rules: the engine's three-valued decision (Kleene) and its questions in their order (before
  issue 12);
- by count: the decision settled for every open answer (`eenvoud.analysis.determinacy`), its
  questions in the order before the ranking by what settles most (what an answer can change
  most first, then a registry before the citizen, then the order of the rules);
- solver: the same decision with its questions ranked by what an answer settles most
  (`eenvoud.analysis.questions.rank`).

Each must end in the decision of the complete case (eligibility and amounts): `wrong` counts the
sessions that did not (it must be 0). Printed per regulation: questions asked on average and at
most, the sessions where the solver (ranked) asked fewer / more than the rules, and the CPU time per case
(both sessions). Regulations run in parallel over `--processes` processes (2 by default).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eenvoud.analysis.determinacy import settle  # noqa: E402
from eenvoud.analysis.variables import PERSON_DERIVATIONS  # noqa: E402
from eenvoud.engine.decision import Decision, default_engine  # noqa: E402
from eenvoud.engine.values import Value, years_between  # noqa: E402
from eenvoud.ir import nodes as n  # noqa: E402
from eenvoud.ir import types as t  # noqa: E402
from eenvoud.ir.checked import CheckedRegulation  # noqa: E402
from eenvoud.library import Library  # noqa: E402

DAY = date(2025, 1, 1)


def constants(reg: CheckedRegulation) -> list[Decimal]:
    """The money and number values the regulation's parameters hold on DAY: where answers matter."""
    from eenvoud.core.lower import parameter_value

    out: list[Decimal] = []
    for p in reg.parameters:
        pv = parameter_value(p, DAY)
        if pv is not None and isinstance(pv.value, n.IntLit | n.DecimalLit | n.MoneyLit):
            out.append(Decimal(pv.value.value))
    return out


def draw(rng: random.Random, decl: n.Input, near: list[Decimal]) -> Value:
    typ = decl.type
    match typ:
        case t.BoolType():
            return rng.random() < 0.5
        case t.IntType():
            lo = typ.lo if typ.lo is not None else 0
            hi = typ.hi if typ.hi is not None else lo + 100
            return rng.randint(lo, min(hi, lo + 100))
        case t.MoneyType():
            lo = typ.lo if typ.lo is not None else Decimal(0)
            if near and rng.random() < 0.6:
                base = rng.choice(near) * Decimal(rng.choice(["0.5", "0.9", "1", "1.1", "2"]))
            else:
                base = Decimal(rng.randint(0, 60_000))
            value = max(lo, base).quantize(Decimal("0.01"))
            if typ.hi is not None:
                value = min(value, typ.hi.quantize(Decimal("0.01")))
            return value
        case t.DecimalType():
            return Decimal(rng.randint(0, 100))
        case t.DateType():
            return date(1930, 1, 1) + timedelta(days=rng.randint(0, 95 * 365))
        case t.EnumType():
            return rng.choice(typ.members)
        case _:
            raise AssertionError(typ)


def person(reg: CheckedRegulation, case: dict[str, Value]) -> dict[str, Value]:
    """One case is one person: a derived input (`age`) follows the input it is derived from
    (`birth_date`), as the API requires and the solver assumes."""
    for derived, source in PERSON_DERIVATIONS:
        if derived in case and isinstance(case.get(source), date):
            decl = reg.input_map[derived]
            age = years_between(case[source], DAY)  # type: ignore[arg-type]
            typ = decl.type
            if isinstance(typ, t.IntType) and (typ.lo is None or age >= typ.lo) and (typ.hi is None or age <= typ.hi):
                case[derived] = age
            else:
                case[source] = date(DAY.year - 40, 6, 15)
                case[derived] = years_between(case[source], DAY)  # type: ignore[arg-type]
    return case


def session(reg: CheckedRegulation, case: dict[str, Value],
            ask: Callable[[dict[str, Value]], Decision]) -> tuple[int, Decision]:
    known: dict[str, Value] = {}
    for asked in range(len(reg.inputs) + 1):
        d = ask(known)
        settled = d.error is not None or (
            d.eligible is not None and all(x is not None for x in d.amounts.values()))
        if settled or not d.questions:
            return asked, d
        x = d.questions[0].input
        known[x] = case[x]
    raise AssertionError("a session asked more questions than the regulation has inputs")


def by_can_change(reg: CheckedRegulation, d: Decision) -> Decision:
    """The settled decision's questions in the order before the ranking: what an answer can
    change most first, then a registry before the citizen, then the order of the rules (a fixed
    baseline: it does not start from the ranked order, so it does not move with the ranking)."""
    order = {i.name: k for k, i in enumerate(reg.inputs)}
    return replace(d, questions=tuple(sorted(d.questions, key=lambda q: (-len(q.can_change or ()),
                                                                         q.ask_citizen, order.get(q.input, 0)))))


def run(name: str, count: int) -> dict[str, object]:
    """`count` seeded complete cases of one regulation, a session per case and policy."""
    lib = Library.load([ROOT / "rules"])
    reg = lib.regulations[name]
    engine = default_engine()
    rng = random.Random(name)
    near = constants(reg)
    cases = [person(reg, {i.name: draw(rng, i, near) for i in reg.inputs}) for _ in range(count)]
    totals: dict[str, list[int]] = {"rules": [], "count": [], "solver": []}
    wrong = {"rules": 0, "count": 0, "solver": 0}
    start = time.process_time()
    for case in cases:
        full = engine.decide(reg, case, DAY)
        by_rules = session(reg, case, lambda known: engine.decide(reg, known, DAY))
        by_solver = session(reg, case, lambda known: settle(reg, known, DAY).decision)
        by_count = session(reg, case, lambda known: by_can_change(reg, settle(reg, known, DAY).decision))
        for policy, (asked, d) in (("rules", by_rules), ("count", by_count), ("solver", by_solver)):
            if (d.error is None) != (full.error is None) or (
                    full.error is None and (d.eligible, d.amounts) != (full.eligible, full.amounts)):
                wrong[policy] += 1
            totals[policy].append(asked)
    return {"name": name, "cases": len(cases), "totals": totals, "wrong": wrong,
            "cpu": time.process_time() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--regulations", nargs="*", default=None)
    parser.add_argument("--processes", type=int, default=2, help="regulations run side by side (default 2)")
    args = parser.parse_args()
    lib = Library.load([ROOT / "rules"])
    lib.raise_for_errors()
    names = args.regulations or sorted(lib.regulations)
    print(f"{'regulation':<38} {'cases':>6} {'rules':>6} {'max':>4} {'by count':>9} {'solver':>7} {'max':>4} "
          f"{'fewer':>6} {'more':>5} {'wrong':>6} {'cpu ms/case':>12}", flush=True)
    # the longest first (the most inputs), so that the two processes end together
    names.sort(key=lambda name: -len(lib.regulations[name].inputs))
    rows: dict[str, str] = {}
    with ProcessPoolExecutor(max_workers=max(1, args.processes)) as pool:
        for future in as_completed([pool.submit(run, name, args.cases) for name in names]):
            got = future.result()
            totals = got["totals"]
            assert isinstance(totals, dict)
            r, c, s = totals["rules"], totals["count"], totals["solver"]
            fewer = sum(b < a for a, b in zip(r, s, strict=True))
            more = sum(b > a for a, b in zip(r, s, strict=True))
            wrong = got["wrong"]
            assert isinstance(wrong, dict)
            cpu = got["cpu"]
            assert isinstance(cpu, float)
            row = (f"{got['name']:<38} {len(r):>6} {sum(r) / len(r):>6.2f} {max(r):>4} {sum(c) / len(c):>9.2f} "
                   f"{sum(s) / len(s):>7.2f} {max(s):>4} {fewer:>6} {more:>5} {sum(wrong.values()):>6} "
                   f"{1000 * cpu / len(r):>12.1f}")
            rows[str(got["name"])] = row
            print(row, flush=True)
    print("\nsorted:")
    for name in sorted(rows):
        print(rows[name])


if __name__ == "__main__":
    main()
