"""Asking a citizen as little as possible: an interactive session simulated over the shipped library.

    .venv/bin/python bench/questions.py                    # 1,000 cases per regulation
    .venv/bin/python bench/questions.py --cases 100 --regulations zorgtoeslag

For each regulation, complete cases are drawn (seeded: the same every run) from each input's
domain, around the numbers the rules compare things with. A session starts from nothing, asks the
first question the decision lists, takes the answer from the hidden complete case, and repeats
until the decision is settled. Two policies, same cases, same run:

- rules: the engine's three-valued decision (Kleene) and its questions in their order (before
  issue 12);
- solver: the decision settled for every open answer (`eenvoud.analysis.determinacy`) and its
  ranked questions, each of which can still change something.

Both must end in the decision of the complete case (eligibility and amounts): the run stops if
not. Printed per regulation: questions asked on average and at most, and the time per session.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eenvoud.analysis.determinacy import settle  # noqa: E402
from eenvoud.engine.decision import Decision, default_engine  # noqa: E402
from eenvoud.engine.values import Value  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--regulations", nargs="*", default=None)
    args = parser.parse_args()
    lib = Library.load([ROOT / "rules"])
    lib.raise_for_errors()
    engine = default_engine()
    names = args.regulations or sorted(lib.regulations)
    print(f"{'regulation':<38} {'cases':>6} {'rules: asked':>13} {'max':>4} {'solver: asked':>14} {'max':>4} "
          f"{'ms/session':>11}")
    for name in names:
        reg = lib.regulations[name]
        rng = random.Random(name)
        near = constants(reg)
        cases = [{i.name: draw(rng, i, near) for i in reg.inputs} for _ in range(args.cases)]
        totals = {"rules": [], "solver": []}
        start = time.perf_counter()
        for case in cases:
            full = engine.decide(reg, case, DAY)
            by_rules = session(reg, case, lambda known, reg=reg: engine.decide(reg, known, DAY))
            by_solver = session(reg, case, lambda known, reg=reg: settle(reg, known, DAY).decision)
            for policy, (asked, d) in (("rules", by_rules), ("solver", by_solver)):
                if d.error is None and full.error is None and (d.eligible, d.amounts) != (full.eligible, full.amounts):
                    raise SystemExit(f"{name}: the {policy} session ended in {d.eligible} {d.amounts}, the complete "
                                     f"case is {full.eligible} {full.amounts}: {case}")
                totals[policy].append(asked)
        elapsed = time.perf_counter() - start
        r, s = totals["rules"], totals["solver"]
        print(f"{name:<38} {len(cases):>6} {sum(r) / len(r):>13.2f} {max(r):>4} {sum(s) / len(s):>14.2f} "
              f"{max(s):>4} {1000 * elapsed / len(cases):>11.1f}")


if __name__ == "__main__":
    main()
