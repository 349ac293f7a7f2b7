"""The analyzer on generated regulation bases of 10, 100, 1,000 and 5,000 requirements: seconds and
solver queries per size, beside a naive peer run in the same process.

    .venv/bin/python bench/analysis.py                      # 10, 100, 1000, 5000
    .venv/bin/python bench/analysis.py --sizes 10 100 1000 --naive-limit 120

The generated regulation has inputs in groups of eight (whole numbers with ranges, money, yes/no
questions); each group carries twenty random linear requirements over its inputs (`3 * a - 2 * b
+ c <= 140`), some with an exemption, about one in ten a weaker copy of another (planted
redundancy), and one amount. Groups share no input, as the regulations of different ministries
share few: the analyzer is expected to find that out and grow close to linearly.

Columns:
- analyze: every analysis `eenvoud analyze` runs (contradiction, redundancy, exemptions, branches,
  irrelevant inputs, documents, brackets), at one date, 2 s per query: seconds and solver queries.
- redundancy: the analyzer's redundancy pass alone (the question the peer answers).
- naive: the peer, the loop one writes first: for each requirement (greedily, last first, against
  the shrinking set), a new solver holding the domains and every other kept requirement, asked
  whether the requirement can fail. Run while it stays under --naive-limit seconds in total.
The two redundancy answers are compared: they must name the same requirements.

Target (issue 3): 1,000 requirements analysed in under 5 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from pathlib import Path

import z3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eenvoud.analysis import requirements as requirements_  # noqa: E402
from eenvoud.analysis.analyze import analyze, context_at  # noqa: E402
from eenvoud.analysis.encode import encode, negate  # noqa: E402
from eenvoud.analysis.prover import Budget, Stats  # noqa: E402
from eenvoud.dsl.load import load_text  # noqa: E402
from eenvoud.ir.checked import CheckedRegulation  # noqa: E402

DAY = date(2025, 1, 1)
GROUP_INPUTS = 8
GROUP_REQUIREMENTS = 20


def generate(size: int, seed: int = 7) -> str:
    """A regulation with `size` requirements, in groups that share no input."""
    rng = random.Random(seed)
    lines = [f'regulation generated_{size} "Generated, {size} requirements"', ""]
    groups = max(1, size // GROUP_REQUIREMENTS)
    made = 0
    for g in range(groups):
        ints = [f"g{g}_n{k}" for k in range(5)]
        money = f"g{g}_amount"
        flags = [f"g{g}_flag{k}" for k in range(2)]
        # a hidden case that meets every requirement of the group, so that the group is consistent
        highs = {name: rng.choice([100, 200, 1000]) for name in ints}
        point = {name: rng.randint(0, hi) for name, hi in highs.items()}
        point_money = rng.randint(1_000, 90_000)
        for name in ints:
            lines.append(f'input {name} : int 0..{highs[name]} "{name}"')
        lines.append(f'input {money} : money €0.. "{money}"')
        for name in flags:
            lines.append(f'input {name} : bool "{name}"')
        conditions: list[str] = []
        want = GROUP_REQUIREMENTS if g < groups - 1 else size - made
        for k in range(want):
            if conditions and rng.random() < 0.1:
                # a weaker copy of an earlier requirement: planted redundancy
                cond = f"{rng.choice(conditions)} or {rng.choice(flags)}"
            elif rng.random() < 0.15:
                cond = f"{money} <= €{point_money + rng.randint(0, 20_000)}"
            else:
                terms = rng.sample(ints, rng.randint(1, 3))
                coefficients = {t: rng.randint(1, 5) for t in terms}
                at = sum(c * point[t] for t, c in coefficients.items())
                text = " + ".join(f"{c} * {t}" for t, c in coefficients.items())
                slack = rng.randint(0, 150)
                cond = f"{text} <= {at + slack}" if rng.random() < 0.5 else f"{text} >= {max(0, at - slack)}"
            conditions.append(f"({cond})")
            unless = f"\n  unless {rng.choice(flags)} and {rng.choice(ints)} >= {rng.randint(50, 99)}" \
                if rng.random() < 0.1 else ""
            lines.append(f'requirement g{g}_r{k} "requirement {k} of group {g}": {cond}{unless}')
            made += 1
        lines.append(f'amount g{g}_benefit : money = max(€0, €{rng.randint(500, 2000)} - round({money} * 5%, 2))')
        lines.append("")
    return "\n".join(lines) + "\n"


def naive(reg: CheckedRegulation, limit: float) -> tuple[list[str], int, float] | None:
    """The peer: a new solver per question. None when it runs past `limit` seconds."""
    start = time.perf_counter()
    enc = encode(reg, DAY)
    domain = [a.formula for a in enc.axioms.values()]
    kept = [r.name for r in reg.requirements]
    redundant: list[str] = []
    queries = 0
    for name in reversed([r.name for r in reg.requirements]):
        s = z3.Solver()
        s.set("timeout", 2000)
        s.add(*domain)
        s.add(*[enc.requirements[x].holds for x in kept if x != name])
        s.add(negate(enc.requirements[name].holds))
        queries += 1
        if s.check() == z3.unsat:
            kept.remove(name)
            redundant.append(name)
        if time.perf_counter() - start > limit:
            return None
    return redundant, queries, time.perf_counter() - start


def ours_redundancy(reg: CheckedRegulation) -> tuple[list[str], int, float]:
    start = time.perf_counter()
    stats = Stats()
    ctx = context_at(reg, DAY, Budget(2.0), stats)
    assert not isinstance(ctx, str)
    requirements_.contradictions(ctx)
    requirements_.redundant(ctx)
    return list(ctx.redundant), stats.queries, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--naive-limit", type=float, default=90.0,
                        help="stop the naive peer past this many seconds (and skip larger sizes)")
    args = parser.parse_args()
    print(f"z3 {z3.get_version_string()}; one regulation per size, groups of {GROUP_REQUIREMENTS} "
          f"requirements over {GROUP_INPUTS} inputs")
    header = f"{'requirements':>12} | {'analyze s':>9} {'queries':>8} {'findings':>8} | " \
             f"{'redundancy s':>12} {'queries':>8} | {'naive s':>8} {'queries':>8} | same"
    print(header)
    print("-" * len(header))
    naive_on = True
    for size in args.sizes:
        reg = load_text(generate(size), f"generated_{size}.rules")
        start = time.perf_counter()
        report = analyze([reg], day=DAY, budget=Budget(2.0))
        seconds = time.perf_counter() - start
        mine, my_queries, my_seconds = ours_redundancy(reg)
        peer = naive(reg, args.naive_limit) if naive_on else None
        if peer is None:
            naive_on = False
            peer_text, same = f"{'> ' + format(args.naive_limit, 'g'):>8} {'—':>8}", "—"
        else:
            peer_text = f"{peer[2]:8.2f} {peer[1]:8d}"
            same = "yes" if sorted(peer[0]) == sorted(mine) else "NO"
        print(f"{size:12d} | {seconds:9.2f} {report.queries:8d} {len(report.findings):8d} | "
              f"{my_seconds:12.2f} {my_queries:8d} | {peer_text} | {same}", flush=True)
        if report.unknown:
            print(f"{'':12} | {len(report.unknown)} unknown: " + "; ".join(u.subject for u in report.unknown[:5]))


if __name__ == "__main__":
    main()
