"""What settling a partial case costs: CPU time per partial-facts decision, per shipped regulation.

    .venv/bin/python bench/settle.py                      # 300 partial cases per regulation
    .venv/bin/python bench/settle.py --cases 100 --regulations zorgtoeslag

Partial cases are drawn (seeded: the same every run) from the complete cases of bench/questions.py
(one person each: a derived `age` follows the `birth_date`), each input kept or left out at random; only those the engine's three-valued decision leaves open
are kept (a decided case costs nothing extra: `determinacy.decision` returns the engine's). Each is
settled once with the cache emptied (`determinacy.settle`, the default budget, given the engine's
decision as `determinacy.decision` gives it: the time is what settling costs on top), after a warm-up
that builds the regulation's encoding (kept per regulation and date, as a server keeps it). Time
is the process's CPU time (`time.process_time`), not the wall clock: the machine is shared.

Printed per regulation: the median and 99th percentile of the CPU per case, the share of cases
the solver settled or trimmed (`decided_by: "solver"`), and how many fell back (out of budget).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from questions import DAY, constants, draw, person  # noqa: E402

from eenvoud.analysis import determinacy  # noqa: E402
from eenvoud.analysis import questions as ranking  # noqa: E402
from eenvoud.engine.decision import default_engine  # noqa: E402
from eenvoud.engine.values import Value  # noqa: E402
from eenvoud.ir.checked import CheckedRegulation  # noqa: E402
from eenvoud.library import Library  # noqa: E402


def partial_cases(reg: CheckedRegulation, count: int, seed: str) -> list[dict[str, Value]]:
    """`count` partial cases the engine leaves open (seeded)."""
    rng = random.Random(f"settle:{seed}")
    near = constants(reg)
    engine = default_engine()
    out: list[dict[str, Value]] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for _ in range(count * 50):
        if len(out) >= count:
            break
        # one person: `age` follows `birth_date` (the API refuses facts where they disagree)
        full = person(reg, {i.name: draw(rng, i, near) for i in reg.inputs})
        keep = rng.random()
        facts = {k: v for k, v in full.items() if rng.random() < keep}
        key = tuple(sorted((k, repr(v)) for k, v in facts.items()))
        if key in seen:
            continue
        d = engine.decide(reg, facts, DAY)
        if d.error is not None or determinacy._settled(d):
            continue
        seen.add(key)
        out.append(facts)
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--regulations", nargs="*", default=None)
    args = parser.parse_args()
    lib = Library.load([ROOT / "rules"])
    lib.raise_for_errors()
    names = args.regulations or sorted(lib.regulations)
    print(f"{'regulation':<38} {'cases':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'solver':>7} "
          f"{'fallback':>9}")
    every: list[float] = []
    for name in names:
        reg = lib.regulations[name]
        cases = partial_cases(reg, args.cases, name)
        if not cases:
            continue
        engine = default_engine()
        # warm-up: the encoding of (regulation, date) and its terms, as a server keeps them (the
        # first case may fall back before the solver, which builds them lazily)
        determinacy.settle(reg, cases[0], DAY)
        determinacy._terms(determinacy._encoding(reg, DAY))
        times: list[float] = []
        solver = fallback = 0
        for facts in cases:
            determinacy._SETTLED.clear()
            ranking._GAINS.clear()  # the ranking's look-aheads, kept per facts
            first = engine.decide(reg, facts, DAY)  # today's decision: what settling costs on top of it
            start = time.process_time()
            got = determinacy.settle(reg, facts, DAY, first)
            times.append(1000 * (time.process_time() - start))
            solver += got.decided_by == "solver"
            fallback += got.note is not None and got.decided_by == "rules"
        every += times
        print(f"{name:<38} {len(cases):>6} {statistics.median(times):>8.2f} {pct(times, 0.99):>8.2f} "
              f"{max(times):>8.2f} {solver:>7} {fallback:>9}", flush=True)
    if every:
        print(f"{'all':<38} {len(every):>6} {statistics.median(every):>8.2f} {pct(every, 0.99):>8.2f} "
              f"{max(every):>8.2f}")


if __name__ == "__main__":
    main()
