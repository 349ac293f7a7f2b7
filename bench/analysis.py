"""The analyzer on generated regulation bases of 10, 100, 1,000 and 5,000 requirements, and on the
shipped library: seconds (wall and CPU) and solver queries, beside a naive peer run in the same
process.

    .venv/bin/python bench/analysis.py                      # both sets at 10, 100, 1000, 5000; the library
    .venv/bin/python bench/analysis.py --set hard --sizes 10 100 1000 --naive-limit 120 --no-library
    .venv/bin/python bench/analysis.py --library-only       # the table of the shipped library

The simple set has inputs in groups of eight (whole numbers with ranges, money, yes/no questions);
each group carries twenty random linear requirements over its inputs (`3 * a - 2 * b + c <= 140`),
some with an exemption, about one in ten a weaker copy of another (planted redundancy), and one
amount. The hard set (`generate_hard`) has per group requirements that share an income, assets, a
birth date and whole numbers, through definitions with a percentage parameter, a bracket of rates on
the income and rounding (`g_net = income - round(income * band, 2)`), an age from the birth date, and
planted redundancies (weaker copies, looser bounds of the same definition). Groups share no input,
as the regulations of different ministries share few: the analyzer is expected to find that out
and grow close to linearly.

Columns:
- analyze: every analysis `eenvoud analyze` runs (contradiction, redundancy, exemptions, branches,
  irrelevant inputs, documents, brackets), at one date, 2 s per query, as `eenvoud analyze` runs
  it: on every core, a regulation this large in `parts` that share nothing (analysis/parts.py):
  wall seconds, CPU seconds (user + system, the workers included) and solver queries; then the
  same on `1 worker` (the parts one after the other, wall seconds; the same findings, checked).
- redundancy: the analyzer's redundancy pass alone (the question the peer answers).
- naive: the peer (wall and CPU seconds, queries), the loop one writes first: for each
  requirement (greedily, last first, against the shrinking set), a new solver holding the domains
  and every other kept requirement, asked whether the requirement can fail. Run while it stays
  under --naive-limit seconds in total.
The two redundancy answers are compared: they must name the same requirements.

The shipped library: `analyze` over rules/ as `eenvoud analyze rules/` runs it (every regulation,
every date, the divergence across them, one worker process per core), then each regulation alone.
The tables are Markdown, to paste into bench/README.md with the load average printed beside them.

Targets (issue 3): 1,000 requirements analysed in under 5 s on this 2-core machine; (issue 11)
every shipped regulation under 3 s, the library under 10 s, 1,000 requirements of the hard set
under 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
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
                cond = _linear_condition(rng, ints, point)
            conditions.append(f"({cond})")
            unless = f"\n  unless {rng.choice(flags)} and {rng.choice(ints)} >= {rng.randint(50, 99)}" \
                if rng.random() < 0.1 else ""
            lines.append(f'requirement g{g}_r{k} "requirement {k} of group {g}": {cond}{unless}')
            made += 1
        lines.append(f'amount g{g}_benefit : money = max(€0, €{rng.randint(500, 2000)} - round({money} * 5%, 2))')
        lines.append("")
    return "\n".join(lines) + "\n"


def _linear_condition(rng: random.Random, ints: list[str], point: dict[str, int]) -> str:
    """A random linear bound over one to three whole-number inputs, met by `point` up to a slack."""
    terms = rng.sample(ints, rng.randint(1, 3))
    coefficients = {t: rng.randint(1, 5) for t in terms}
    at = sum(c * point[t] for t, c in coefficients.items())
    text = " + ".join(f"{c} * {t}" for t, c in coefficients.items())
    slack = rng.randint(0, 150)
    return f"{text} <= {at + slack}" if rng.random() < 0.5 else f"{text} >= {max(0, at - slack)}"

def generate_hard(size: int, seed: int = 11) -> str:
    """The harder set: per group of twenty requirements, inputs the requirements share (whole
    numbers, an income and assets in money, a yes/no question, a birth date), a percentage
    parameter, a bracket of rates on the income, rounded percentages of money (`round(income *
    band, 2)`), an age from the birth date; requirements over all of them, consistent by
    construction (a hidden case meets them all), about one in five a planted redundancy (a
    weaker copy, a looser bound of the same definition, an age bound implied by another)."""
    from decimal import ROUND_HALF_UP, Decimal

    rng = random.Random(seed)
    lines = [f'regulation hard_{size} "Generated, harder, {size} requirements"', ""]
    groups = max(1, size // GROUP_REQUIREMENTS)
    made = 0
    cent = Decimal("0.01")
    for g in range(groups):
        ints = [f"g{g}_n{k}" for k in range(4)]
        highs = {name: rng.choice([20, 100, 1000]) for name in ints}
        point = {name: rng.randint(0, hi) for name, hi in highs.items()}
        for name in ints:
            lines.append(f'input {name} : int 0..{highs[name]} "{name}"')
        lines.append(f'input g{g}_income : money €0.. "income {g}"')
        lines.append(f'input g{g}_assets : money €0.. "assets {g}"')
        lines.append(f'input g{g}_flag : bool "flag {g}"')
        lines.append(f'input g{g}_birth : date "birth date {g}"')
        rate = rng.choice([5, 8, 12, 30])
        lo, hi = rng.randint(10, 20) * 1000, rng.randint(30, 60) * 1000
        lines += [f'parameter g{g}_rate : percent "rate {g}"', f"  2025-01-01: {rate}%", "",
                  f'bracket g{g}_band : percent "band {g}" on g{g}_income', "  2025-01-01:",
                  f"    | .. €{lo}.00 => 0%", f"    | €{lo}.00 .. €{hi}.00 => 10%", f"    | €{hi}.00 .. => 20%", "",
                  f'define g{g}_age : int "age {g}" = years_between(g{g}_birth, reference_date)',
                  f'define g{g}_net : money "net {g}" = g{g}_income - round(g{g}_income * g{g}_band, 2)',
                  f'define g{g}_share : money "share {g}" = round(g{g}_assets * g{g}_rate, 2)', ""]
        income = Decimal(rng.randint(500_000, 7_000_000)) * cent
        assets = Decimal(rng.randint(0, 5_000_000)) * cent
        band = Decimal(0) if income < lo else Decimal("0.10") if income < hi else Decimal("0.20")
        net = income - (income * band).quantize(cent, ROUND_HALF_UP)
        share = (assets * Decimal(rate) / 100).quantize(cent, ROUND_HALF_UP)
        age = rng.randint(20, 60)
        conditions: list[str] = []
        nets: list[Decimal] = []
        want = GROUP_REQUIREMENTS if g < groups - 1 else size - made
        for k in range(want):
            roll = rng.random()
            if conditions and roll < 0.1:
                cond = f"{rng.choice(conditions)} or g{g}_flag"  # a weaker copy: redundant
            elif nets and roll < 0.2:
                cond = f"g{g}_net <= €{min(nets) + rng.randint(1, 5000)}"  # looser than a kept one
            elif roll < 0.3:
                limit = net + rng.randint(0, 3000)
                nets.append(limit)
                cond = f"g{g}_net <= €{limit}"
            elif roll < 0.4:
                cond = f"g{g}_share + g{g}_net <= €{share + net + rng.randint(0, 5000)}"
            elif roll < 0.5:
                low = rng.randint(16, 20)
                cond = f"g{g}_age >= {low}" if rng.random() < 0.5 else f"g{g}_age <= {rng.randint(age, 67)}"
            else:
                cond = _linear_condition(rng, ints, point)
            conditions.append(f"({cond})")
            unless = f"\n  unless g{g}_flag and {rng.choice(ints)} >= {rng.randint(5, 19)}" \
                if rng.random() < 0.1 else ""
            lines.append(f'requirement g{g}_r{k} "requirement {k} of group {g}": {cond}{unless}')
            made += 1
        lines.append(f'amount g{g}_benefit : money = max(€0, €{rng.randint(500, 2000)} - round(g{g}_net * g{g}_rate, 2))')
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


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def library() -> None:
    """The shipped library: `eenvoud analyze rules/` as a whole (every regulation, every date, the
    divergence across them; the worker processes the machine has), then each regulation alone in one
    process. CPU is user + system time of this process and its workers."""
    from eenvoud.library import Library

    lib = Library.load([str(ROOT / "rules")])
    lib.raise_for_errors()
    regs = list(lib.regulations.values())
    files = list(lib.files.values())
    print(f"\nshipped library ({ROOT / 'rules'}), load average {os.getloadavg()[0]:.2f} before")
    header = f"| {'regulation':<36} | {'dates':>5} | {'CPU s':>7} | {'wall s':>7} | {'queries':>7} | {'findings':>8} | unknown |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    cpu, wall = _cpu(), time.perf_counter()
    report = analyze(regs, library=files)
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    print(f"| {'whole library (analyze rules/)':<36} | {sum(len(r.dates) for r in report.regulations):>5} | {cpu:7.2f} | "
          f"{wall:7.2f} | {report.queries:>7} | {len(report.findings):>8} | {len(report.unknown):>7} |", flush=True)
    for reg in regs:
        if not reg.is_regulation():
            continue
        cpu, wall = _cpu(), time.perf_counter()
        one = analyze([reg], library=files, jobs=1)
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        print(f"| {reg.name:<36} | {len(one.regulations[0].dates):>5} | {cpu:7.2f} | {wall:7.2f} | {one.queries:>7} | "
              f"{len(one.findings):>8} | {len(one.unknown):>7} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--set", choices=["simple", "hard", "both"], default="both",
                        help="the simple generated set, the harder one (shared inputs, percentages of "
                             "money, rounding, brackets, dates), or both")
    parser.add_argument("--no-library", action="store_true", help="skip the shipped library's rows")
    parser.add_argument("--library-only", action="store_true", help="only the shipped library's rows")
    parser.add_argument("--naive-limit", type=float, default=90.0,
                        help="stop the naive peer past this many seconds (and skip larger sizes)")
    args = parser.parse_args()
    print(f"z3 {z3.get_version_string()}; one regulation per size, groups of {GROUP_REQUIREMENTS} "
          f"requirements; load average {os.getloadavg()[0]:.2f}")
    sets = [] if args.library_only else ["simple", "hard"] if args.set == "both" else [args.set]
    for which in sets:
        make = generate if which == "simple" else generate_hard
        print(f"\n{which} set")
        header = f"| {'requirements':>12} | {'analyze s':>9} | {'CPU s':>7} | {'parts':>5} | {'1 worker s':>10} | " \
                 f"{'queries':>8} | {'findings':>8} | {'redundancy s':>12} | {'queries':>8} | {'naive s':>8} | " \
                 f"{'CPU s':>7} | {'queries':>8} | same |"
        print(header)
        print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
        naive_on = True
        for size in args.sizes:
            reg = load_text(make(size), f"{which}_{size}.rules")
            # as `eenvoud analyze` runs it: a regulation this large in parts on every core
            # (analysis/parts.py), then on one worker (the parts one after the other)
            cpu, start = _cpu(), time.perf_counter()
            report = analyze([reg], day=DAY, budget=Budget(2.0))
            seconds, cpu = time.perf_counter() - start, _cpu() - cpu
            start = time.perf_counter()
            alone = analyze([reg], day=DAY, budget=Budget(2.0), jobs=1)
            one_worker = time.perf_counter() - start
            assert sorted(f.key for f in alone.findings) == sorted(f.key for f in report.findings)
            mine, my_queries, my_seconds = ours_redundancy(reg)
            peer_cpu = _cpu()
            peer = naive(reg, args.naive_limit) if naive_on else None
            peer_cpu = _cpu() - peer_cpu
            if peer is None:
                naive_on = False
                peer_text, same = f"{'> ' + format(args.naive_limit, 'g'):>8} | {'—':>7} | {'—':>8}", "—"
            else:
                peer_text = f"{peer[2]:8.2f} | {peer_cpu:7.2f} | {peer[1]:8d}"
                same = "yes" if sorted(peer[0]) == sorted(mine) else "NO"
            print(f"| {size:12d} | {seconds:9.2f} | {cpu:7.2f} | {report.regulations[0].parts:5d} | {one_worker:10.2f} | "
                  f"{report.queries:8d} | {len(report.findings):8d} | "
                  f"{my_seconds:12.2f} | {my_queries:8d} | {peer_text} | {same:>4} |", flush=True)
            if report.unknown:
                print(f"  {len(report.unknown)} unknown: " + "; ".join(u.subject for u in report.unknown[:5]))
    if not args.no_library:
        library()


if __name__ == "__main__":
    main()
