"""The cheap pass before the solver, and the ranking of questions: the engine on a few completions.

`explore` completes the open facts of a partial case with a handful of answers (the ends of each
declared domain, the values next to the numbers the rules compare things with, the drafter's own
test cases) and decides each completion with the engine. Two completions that differ in one open
fact alone and in their outcome prove that fact relevant (a pair of replayed cases, no solver);
two completions that differ in eligibility, an amount or a document prove that part open. Only
what the pass has not shown goes to Z3 (`eenvoud.analysis.determinacy`).

`rank` orders the questions by how much an answer can settle: for each question, each of a few
representative answers is given to the engine (three-valued) with the facts known so far, and the
question whose answers leave the fewest facts still needed for eligibility and the amounts, on
average, comes first (an answer that settles them leaves none); a question that can only change a
document comes after every one that can change eligibility or an amount, and one that can only
change an amount after every one that can change eligibility (the look-ahead is three-valued: it
does not see that a high income refuses the case whatever the partner answers); ties go to a
question a registry can answer, then to the order of the rules.

Everything here is deterministic: the answers tried depend on the regulation, the date and the
facts only (a seeded draw), so a stored decision replays to the same bytes.
"""

from __future__ import annotations

import decimal
import random
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from eenvoud.analysis.variables import PERSON_DERIVATIONS, derivations_hold, rule_constants
from eenvoud.core.lower import lower
from eenvoud.engine.decision import Question, judge
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.facts import literal_value
from eenvoud.engine.values import CENT, EXACT, Value, years_between
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

# engine decisions the pass may spend per partial case (one takes 10 to 40 µs, 170 for the
# kindgebonden budget's months); past 80 the pass shows few facts the solver does not, at the
# pass's full price (bench/settle.py)
TRIES = 80
# random completions added to the typical one and the drafter's test cases
RANDOM_BASES = 6
# answers tried per open fact from one completion, and per question when ranking
SPREAD = 6
RANK_ANSWERS = 5
# the fewest answers per question a ranking under a budget tries (the two ends of its domain; one
# answer says little), once the budget pays for one per question
RANK_MIN = 2

# (kind, amounts, documents) as the engine decides a complete case: kind is "eligible",
# "not eligible" or "error"
Full = tuple[str, tuple[object, ...], tuple[object, ...]]


def full_outcome(prog: Program, case: Mapping[str, Value]) -> Full:
    verdict = judge(prog, Env(dict(case)), full=True)
    kind = "error" if verdict.error is not None else ("eligible" if verdict.eligible else "not eligible")
    return kind, tuple(verdict.amounts.values()), tuple(verdict.documents)


def differs(a: Full, b: Full) -> bool:
    """Two outcomes differ as `outcomes.outcomes_differ` has it: in kind, in an amount of two
    eligible cases, or in a document of two cases that are not errors."""
    if a[0] != b[0]:
        return True
    if a[0] == "eligible" and a[1] != b[1]:
        return True
    return a[0] != "error" and a[2] != b[2]


def parts_differ(a: Full, b: Full, amounts: Sequence[str], documents: Sequence[str]) -> set[str]:
    """The parts in which two outcomes differ, in the same sense: "kind", "amount:NAME",
    "document:NAME"."""
    out: set[str] = set()
    if a[0] != b[0]:
        out.add("kind")
    if a[0] == b[0] == "eligible":
        out |= {f"amount:{name}" for name, x, y in zip(amounts, a[1], b[1], strict=True) if x != y}
    if a[0] != "error" and b[0] != "error":
        out |= {f"document:{name}" for name, x, y in zip(documents, a[2], b[2], strict=True) if x != y}
    return out


def changes(a: Full, b: Full, amounts: Sequence[str], documents: Sequence[str]) -> tuple[str, ...]:
    """What an answer changed between two decisions, as a question's `can_change` lists it."""
    out: list[str] = []
    if a[0] != b[0]:
        out.append("eligible")
    out += [name for name, x, y in zip(amounts, a[1], b[1], strict=True) if x != y]
    out += [f"document:{name}" for name, x, y in zip(documents, a[2], b[2], strict=True) if x != y]
    return tuple(out)


# -- the answers worth trying -----------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """Per input of a regulation at a date: answers worth trying, the most typical first; and the
    drafter's test cases (as partial cases), which are usually eligible."""

    values: dict[str, list[Value]]
    tests: list[dict[str, Value]]


def answers(reg: CheckedRegulation, day: date) -> Answers:
    """Kept with the lowered core (`Core.compiled`), as the engine's program and the encoding are."""
    core = lower(reg, day)
    got = core.compiled.get("answers")
    if isinstance(got, Answers):
        return got
    numbers = rule_constants(reg, day)
    values = {i.name: candidates(i.type, numbers, day) for i in reg.inputs}
    tests = []
    for test in reg.tests:
        case = {}
        for g in test.given:
            if g.name in values:
                try:
                    case[g.name] = literal_value(g.value)
                except (TypeError, ValueError, AttributeError):
                    continue
        tests.append(case)
    out = Answers(values, tests)
    core.compiled["answers"] = out
    return out


def candidates(typ: t.Type, numbers: list[Decimal], day: date) -> list[Value]:
    """Answers worth trying for an input of type `typ`, inside its declared domain, the most
    typical first: both truth values, every option, the domain's ends, and each number the rules
    compare things with and its neighbours (for a date: the dates those numbers of years before
    `day`, and the days either side)."""
    match typ:
        case t.BoolType():
            return [False, True]
        case t.EnumType():
            return list(typ.members)
        case t.DateType():
            ages = sorted({int(x) for x in numbers if x == x.to_integral_value() and 0 <= x <= 120} | {0, 30, 70, 100})
            out: list[date] = []
            for age in ages:
                try:
                    at = day.replace(year=day.year - age)
                except ValueError:
                    at = day.replace(year=day.year - age, day=28)
                out += [at - timedelta(days=1), at, at + timedelta(days=1)]
            out = [d for d in out if (typ.lo is None or d >= typ.lo) and (typ.hi is None or d <= typ.hi)]
            typical = day.replace(year=day.year - 40, month=6, day=15) if day.year > 41 else day
            return list(dict.fromkeys([typical, *sorted(out)])) if _in(typical, typ) else sorted(set(out))
        case t.IntType() | t.MoneyType() | t.DecimalType():
            unit = Decimal(1) if isinstance(typ, t.IntType) else CENT
            lo = None if typ.lo is None else Decimal(typ.lo)
            hi = None if typ.hi is None else Decimal(typ.hi)
            points = {Decimal(0), Decimal(1)}
            if isinstance(typ, t.MoneyType):
                points |= {Decimal("1000000")}
            for c in numbers:
                points |= {c - unit, c, c + unit}
            if lo is not None:
                points.add(lo)
            if hi is not None:
                points.add(hi)
            keep = sorted(p for p in points if (lo is None or p >= lo) and (hi is None or p <= hi))
            if isinstance(typ, t.IntType):
                ints: list[Value] = list(dict.fromkeys(int(p) for p in keep if p == p.to_integral_value()))
                return ints
            if isinstance(typ, t.MoneyType):
                return list(dict.fromkeys(p.quantize(CENT) for p in keep if p == p.quantize(CENT)))
            return list(keep)
        case _:
            return []


def _in(value: date, typ: t.DateType) -> bool:
    return (typ.lo is None or value >= typ.lo) and (typ.hi is None or value <= typ.hi)


def spread(values: Sequence[Value], k: int) -> list[Value]:
    """At most k of the values, from across the whole list (its ends included)."""
    if len(values) <= k:
        return list(values)
    step = (len(values) - 1) / (k - 1)
    return [values[round(i * step)] for i in range(k)]


# -- the pass -----------------------------------------------------------------------------------------


@dataclass
class Pass:
    """What the engine showed on completions of a partial case."""

    # an open fact -> a completion and another answer to it alone that changes the outcome
    relevant: dict[str, tuple[dict[str, Value], Value]] = field(default_factory=dict)
    can_change: dict[str, tuple[str, ...]] = field(default_factory=dict)
    open_parts: set[str] = field(default_factory=set)  # "kind", "amount:NAME", "document:NAME"
    completions: list[tuple[dict[str, Value], Full]] = field(default_factory=list)
    tries: int = 0


def unread(prog: Program, facts: Mapping[str, Value], open_names: Sequence[str]) -> set[str]:
    """The open facts that the engine's three-valued evaluation of every requirement, amount and
    document does not read with the facts known so far: no answer to them can change anything
    (Kleene's logic reads whatever could still change a result), so they need no solver."""
    env = Env(dict(facts))
    read: set[str] = set()
    with decimal.localcontext(EXACT):
        verdict = judge(prog, env, full=True)
        for _status, _ex, _err, reads in verdict.statuses:
            read |= reads
        for reads in verdict.raw_reads.values():
            read |= reads
        for _d, doc_fn in prog.documents:
            if doc_fn is None:
                continue
            env.reads = set()
            try:
                if doc_fn(env) is None:
                    read |= env.reads
            except Exception:  # noqa: BLE001 - a failure is an outcome: keep every fact it may read
                return set()
    return {x for x in open_names if x not in read}


class Ties:
    """Inputs tied by the encoding's derivation axioms (`variables.derivation_axioms`: `age` is
    the whole years from `birth_date` to the decision date). A completion satisfies them; a pair
    shows an answer relevant as the solver's query does: the first case satisfies them, and the
    second too when the answer changed is a derived one (its axiom holds on the copy)."""

    def __init__(self, prog: Program):
        self.day = prog.day
        inputs = prog.reg.input_map
        self.pairs = [(d, src) for d, src in PERSON_DERIVATIONS
                      if d in inputs and src in inputs and isinstance(inputs[d].type, t.IntType)
                      and isinstance(inputs[src].type, t.DateType)]
        self.derived = {d for d, _src in self.pairs}
        self.types = {d: inputs[d].type for d in self.derived}

    def consistent(self, case: Mapping[str, Value]) -> bool:
        return derivations_hold(case, self.day, self.pairs)

    def repair(self, facts: Mapping[str, Value], completion: dict[str, Value]) -> dict[str, Value] | None:
        """The completion with each derived answer following from its source (or the source moved
        to a date that gives the known derived answer); None when no such completion is found."""
        out = dict(completion)
        for d, src in self.pairs:
            both = {**facts, **out}
            if d in out and src in both:
                born = both[src]
                if isinstance(born, date):
                    out[d] = years_between(born, self.day)
                    typ = self.types[d]
                    if isinstance(typ, t.IntType) and ((typ.lo is not None and out[d] < typ.lo)  # type: ignore[operator]
                                                       or (typ.hi is not None and out[d] > typ.hi)):  # type: ignore[operator]
                        return None
            elif src in out and d in facts:
                born, age = out[src], facts[d]
                if isinstance(born, date) and isinstance(age, int):
                    for year in (self.day.year - age, self.day.year - age - 1):
                        try:
                            moved = born.replace(year=year)
                        except ValueError:
                            moved = born.replace(year=year, day=28)
                        if years_between(moved, self.day) == age:
                            out[src] = moved
                            break
        return out if self.consistent({**facts, **out}) else None

    def witness(self, facts: Mapping[str, Value], before: Mapping[str, Value], after: Mapping[str, Value],
                x: str) -> bool:
        if not self.pairs:
            return True
        if not self.consistent({**facts, **before}):
            return False
        return x not in self.derived or self.consistent({**facts, **after})


def explore(prog: Program, facts: Mapping[str, Value], open_names: Sequence[str], tries: int = TRIES,
            search: Sequence[str] | None = None, stale: int | None = None) -> Pass:
    """Complete the open facts a few ways, decide each completion with the engine, and keep what
    that shows (see the module's docstring). `search`: the open facts worth showing relevant
    (default: all). `tries`: at most this many engine decisions; `stale`: stop once this many in a
    row showed nothing new (no fact relevant, no part open). Stopping early only leaves more to
    the solver (or to the three-valued fallback): nothing is claimed from what was not tried."""
    reg = prog.reg
    got = answers(reg, prog.day)
    amounts = [a.name for a, _fn in prog.amounts]
    documents = [d.name for d, _fn in prog.documents]
    out = Pass()
    if not open_names:
        return out
    targets = list(open_names if search is None else search)
    rng = random.Random(f"{reg.hash}|{prog.day}|{sorted((k, repr(v)) for k, v in facts.items())}")
    values = {x: got.values[x] for x in open_names}
    typical = {x: vs[0] for x, vs in values.items() if vs}
    if len(typical) < len(open_names):
        return out  # an input with no answer to try (an empty domain): the solver decides
    bases: list[dict[str, Value]] = []
    for test in got.tests:
        bases.append({**typical, **{x: v for x, v in test.items() if x in values}})
    bases.append(typical)
    for _ in range(RANDOM_BASES):
        bases.append({x: rng.choice(vs) for x, vs in values.items()})
    first: Full | None = None
    budget = tries
    quiet = 0  # decisions in a row that showed nothing new

    tied = Ties(prog)

    def decide(completion: dict[str, Value]) -> Full:
        nonlocal budget, first, quiet
        budget -= 1
        quiet += 1
        res = full_outcome(prog, {**facts, **completion})
        if not tied.consistent({**facts, **completion}):
            return res  # one side of a pair only (see `Ties`): not a completion
        out.completions.append((completion, res))
        if first is None:
            first = res
        else:
            parts = parts_differ(first, res, amounts, documents) - out.open_parts
            if parts:
                quiet = 0
                out.open_parts |= parts
        return res

    def spent() -> bool:
        # out of tries, or stopped learning: the rest is the solver's
        return budget <= 0 or (stale is not None and quiet >= stale)

    with decimal.localcontext(EXACT):
        # every base once (a drafter's test case is usually eligible: one answer away from many
        # limits), the eligible ones first
        seen: set[str] = set()
        starts: list[tuple[dict[str, Value], Full]] = []
        for proposed in bases:
            base = tied.repair(facts, proposed)
            if base is None:
                continue
            key = repr(sorted(base.items()))
            if key in seen or budget <= 0:
                continue
            seen.add(key)
            starts.append((base, decide(base)))
        starts.sort(key=lambda s: s[1][0] != "eligible")
        quiet = 0  # the bases are decided whatever they show: count from the search on
        # one answer at a time from the eligible bases (a limit is often one answer away)
        for base, before in starts:
            if spent() or before[0] != "eligible" or len(out.relevant) == len(targets):
                break
            for x in targets:
                if x in out.relevant or x in tied.derived:
                    continue
                for value in spread(values[x], SPREAD):
                    if value == base[x]:
                        continue
                    if spent():
                        break
                    after = decide({**base, x: value})
                    if differs(before, after):
                        out.relevant[x] = ({**facts, **base}, value)
                        out.can_change[x] = changes(before, after, amounts, documents)
                        quiet = 0
                        break
        # then from one completion to another that decides otherwise, one answer at a time (the
        # answers not yet shown relevant first): a step that changes the outcome shows its answer
        # relevant; more random completions while the budget lasts
        k = 0
        while not spent() and len(out.relevant) < len(targets):
            if k >= len(starts):
                k += 1
                extra = tied.repair(facts, {x: rng.choice(vs) for x, vs in values.items()})
                if extra is None:
                    budget -= 1
                    continue
                starts.append((extra, decide(extra)))
                a, a_out = starts[-1]
                b, b_out = starts[-2] if len(starts) > 1 else starts[-1]
            else:
                a, a_out = starts[k]
                b, b_out = starts[(k * 7 + 3) % len(starts)]
                k += 1
            if not differs(a_out, b_out):
                continue
            todo = sorted((x for x in open_names if a[x] != b[x]), key=lambda x: (x in out.relevant, x not in targets))
            current, before = dict(a), a_out
            for x in todo:
                if spent():
                    break
                step = {**current, x: b[x]}
                after = decide(step)
                if x not in out.relevant and differs(before, after) and tied.witness(facts, current, step, x):
                    out.relevant[x] = ({**facts, **current}, b[x])
                    out.can_change[x] = changes(before, after, amounts, documents)
                current, before = step, after
    out.tries = tries - budget
    return out


# -- the ranking --------------------------------------------------------------------------------------


def needed(prog: Program, facts: Mapping[str, Value]) -> int | None:
    """How many facts the engine's three-valued decision of `facts` still needs for eligibility
    and the amounts (none once they are decided); None when it is an error."""
    verdict = judge(prog, Env(dict(facts)), full=False)
    if verdict.error is not None:
        return None
    out: set[str] = set()
    if verdict.eligible is None:
        for status, _ex, _err, reads in verdict.statuses:
            if status == "unknown":
                out |= reads
    for reads in verdict.raw_reads.values():
        out |= reads
    return len(out)


def gains(prog: Program, facts: Mapping[str, Value], inputs: Sequence[str], k: int = RANK_ANSWERS) -> dict[str, float]:
    """Per open fact: how many facts still needed for eligibility and the amounts an answer to it
    settles, on average over a few representative answers (the fact itself included: an answer
    that decides the case settles all of them). Kept per (regulation hash, date, facts): the
    single-regulation ranking and one government's ask the same."""
    key = (prog.reg.hash, prog.day, tuple(sorted((x, repr(v)) for x, v in facts.items())), k)
    with _GAINS_LOCK:
        cached = _GAINS.get(key)
    todo = [x for x in inputs if cached is None or x not in cached]
    out = dict(cached or {})
    if todo:
        got = answers(prog.reg, prog.day)
        with decimal.localcontext(EXACT):
            now = needed(prog, facts) or 0
            for x in todo:
                tried = spread(got.values.get(x, []), k)
                after = [needed(prog, {**facts, x: value}) for value in tried]
                counted = [k for k in after if k is not None]
                # an answer that makes the case an error decides it too: it settles everything
                out[x] = now - (sum(counted) / len(tried)) if tried else 0.0
        with _GAINS_LOCK:
            _GAINS[key] = out
            _GAINS.move_to_end(key)
            while len(_GAINS) > 4096:
                _GAINS.popitem(last=False)
    return {x: out[x] for x in inputs}


_GAINS_LOCK = threading.Lock()
_GAINS: OrderedDict[tuple[object, ...], dict[str, float]] = OrderedDict()


def decides(q: Question) -> bool:
    """The question can change eligibility or an amount (not only a document), or that is not known."""
    return q.can_change is None or any(not c.startswith("document:") for c in q.can_change)


def rank(prog: Program, facts: Mapping[str, Value], questions: Sequence[Question],
         evaluations: int | None = None) -> tuple[Question, ...]:
    """The questions, the one whose answer settles most first (see the module's docstring).
    `evaluations`: about this many engine look-aheads (a few answers per question, at least
    `RANK_MIN` once there is one per question; with fewer, no look-ahead: what an answer can
    change, a registry first, then the order of the rules)."""
    if len(questions) <= 1:
        return tuple(questions)
    order = {i.name: k for k, i in enumerate(prog.reg.inputs)}
    scored: dict[str, float] = {}
    looked = [q.input for q in questions if decides(q)]
    per = RANK_ANSWERS if evaluations is None or not looked else min(RANK_ANSWERS, evaluations // len(looked))
    if per == 0 and evaluations is not None and evaluations >= RANK_MIN:
        # too few look-aheads for every question: the first ones in the cheap order get them (the
        # kindgebonden budget's 18 questions and 10 look-aheads: its sessions 5.5 -> 4.x questions)
        cheap = sorted(questions, key=lambda q: (not decides(q), not may_decide_eligibility(q), q.ask_citizen,
                                                  order.get(q.input, 0)))
        looked = [q.input for q in cheap if decides(q)][:evaluations // RANK_MIN]
        per = RANK_MIN
    if per > 0:
        scored = gains(prog, facts, looked, max(RANK_MIN, per))
    return tuple(sorted(questions, key=lambda q: (not decides(q), not may_decide_eligibility(q),
                                                   -scored.get(q.input, 0.0), q.ask_citizen, order.get(q.input, 0))))


def may_decide_eligibility(q: Question) -> bool:
    """The question can change whether the case is eligible (or that is not known). Asked before
    one that can only change an amount: the engine's look-ahead cannot see that a high income
    refuses the case whatever the partner answers, and a session ends once eligibility is
    settled and the amounts with it."""
    return q.can_change is None or "eligible" in q.can_change
