"""Irrelevant inputs, and questions that ask the citizen for what a registry holds.

Irrelevant input: take a second copy `x'` of the input and compare the outcomes of its slice on
`x` and on `x'`: `domain ∧ domain(x') ∧ outcome(x) ≠ outcome(x')` is unsat iff no answer to the
question ever changes eligibility, an amount, a required document or whether the case is an error
(an evaluation failure is an outcome: nothing is assumed about failing cases): stop asking
it. (Outcomes outside the input's slice do not read it, and the requirements of the other slices
can be met independently.)

Registry data requested again (questions): an input the citizen is asked (no `from`) that another
rule file of the library takes `from` a registry, and that changes an outcome here (the witness is
the pair of cases that shows it).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import z3

from eenvoud.analysis.context import Context
from eenvoud.analysis.encode import NotDecimal, Var, outcomes_differ
from eenvoud.analysis.outcomes import Outcome
from eenvoud.analysis.prover import Proved, Refuted, Unknown
from eenvoud.analysis.registries import gap, holding
from eenvoud.analysis.slices import Slice
from eenvoud.analysis.thresholds import first_failing
from eenvoud.analysis.unused import usage
from eenvoud.analysis.variables import derivations_hold
from eenvoud.engine.facts import literal_value
from eenvoud.engine.values import CENT, EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t


def copy_of(var: Var) -> tuple[Var, list[tuple[z3.ExprRef, z3.ExprRef]]]:
    """A second copy of an input: fresh constants, and the substitution that makes it."""
    pairs = [(c, z3.Const(f"{c}'", c.sort())) for c in var.consts]
    return Var(var.name, var.type, tuple(p[1] for p in pairs), z3.substitute(var.value, *pairs),
               var.registry), pairs


def outcome_differs(ctx: Context, s: Slice, pairs: list[tuple[z3.ExprRef, z3.ExprRef]],
                    documents: bool = True, mine: Outcome | None = None) -> tuple[z3.BoolRef, list[z3.BoolRef]]:
    """The slice's outcome on the original inputs differs from that on the copies, errors being
    an outcome like any other (an answer that only decides between an amount and a bracket gap
    matters). The second part, once the copies' own conditions, is empty: nothing is assumed.
    `mine`: the slice's outcome, when the caller has it already."""
    if mine is None:
        mine = ctx.enc.outcome(s.requirements, s.amounts, s.documents if documents else [])
    return outcomes_differ(mine, mine.substitute(pairs), documents), []


def irrelevant(ctx: Context) -> None:
    if ctx.contradiction:
        return  # nobody qualifies: no answer changes eligibility, and saying so helps no one
    shown = _relevant_by_engine(ctx)
    outcomes: dict[int, Outcome] = {}
    for decl in ctx.reg.inputs:
        ctx.tick()
        x = decl.name
        if x in shown:  # the engine showed a case where the answer matters: no solver needed
            ctx.stats.without_solver += 1
            case, other = shown[x]
            _registry_question(ctx, x, decl, case, other)
            continue
        s = ctx.slice_of("input", x)
        found = _by_threshold(ctx, s, x)
        if found is not None:  # the engine moved the answer to where a requirement fails
            ctx.stats.without_solver += 1
            case, other = found
            _shared(ctx).setdefault(x, []).append((case, other))
            _registry_question(ctx, x, decl, case, other)
            continue
        mine = outcomes.get(id(s))  # built once per slice, not once per input of it
        if mine is None:
            mine = outcomes[id(s)] = ctx.enc.outcome(s.requirements, s.amounts, s.documents)
        query, copy = irrelevance_query(ctx, s, x, mine)
        prover = ctx.prover(s)
        near = _near_known(ctx, s, x, query, copy)
        answer = near if near is not None else _cheap(ctx, s, x, query, copy)
        if answer is None:  # the witness shown by the assumption solver's model did not replay
            answer = prover.check(ctx.domain(s), query, also=[copy])
        match answer:
            case Proved():
                used = bool(s.requirements or s.amounts or s.documents)
                why = "whatever the answer, eligibility, every amount and every required document stay the same" \
                    if used else "no requirement, amount or document reads it"
                ctx.add("irrelevant_input", x, decl, None, list(answer.core),
                        f"the question `{x}` never changes any outcome: {why}; stop asking it",
                        proposal=f"remove input `{x}`")
            case Refuted():
                other = answer.also[x]
                case = ctx.complete(answer.case)
                try:
                    differs = ctx.slice_outcome(s, case) != ctx.slice_outcome(s, {**case, x: other})
                except EvaluationError as exc:
                    ctx.undecided("irrelevant_input", x, decl, f"the engine could not decide the witness: {exc}")
                    continue
                if not differs:
                    ctx.undecided("irrelevant_input", x, decl,
                                  "the encoding and the engine disagree on a witness: please report this")
                    continue
                _shared(ctx).setdefault(x, []).append((case, other))
                # a case where one answer matters is a good place to look for the next: the engine
                # tries the slice's inputs still to come from it (a few values each)
                later = [i.name for i in ctx.reg.inputs[ctx.input_order[x] + 1:]
                         if i.name in s.inputs and i.name not in shown]
                shown.update(_from_case(ctx, s, case, later))
                _registry_question(ctx, x, decl, case, other)
            case Unknown():
                ctx.undecided("irrelevant_input", x, decl, answer.reason)


def _by_threshold(ctx: Context, s: Slice, x: str) -> tuple[dict[str, Value], Value] | None:
    """A pair that shows the answer to `x` matters: the base case (every requirement met) and the
    answer moved to where a requirement of the slice that reads it starts to fail (thresholds.py),
    decided by the engine: not eligible against eligible."""
    base = ctx.complete({})
    try:
        before = ctx.slice_outcome(s, base)
    except (EvaluationError, ArithmeticError):
        return None
    for r in s.requirements:
        decl = ctx.requirement_decl[r]
        if x not in ctx.deps.of_requirement(decl):
            continue
        for _name, value in first_failing(ctx, r, decl, base, only=x):
            try:
                if ctx.slice_outcome(s, {**base, x: value}) != before:
                    return base, value
            except (EvaluationError, ArithmeticError):
                continue
    return None


def irrelevance_query(ctx: Context, s: Slice, x: str, mine: Outcome | None = None
                      ) -> tuple[list[z3.BoolRef], Var]:
    """The formulas of "the answer to `x` can change an outcome of slice `s`" (besides the slice's
    domains), and the copy of `x` they read."""
    copy, pairs = copy_of(ctx.enc.inputs[x])
    diff, copies = outcome_differs(ctx, s, pairs, mine=mine)
    axioms = [z3.substitute(ax.formula, *pairs) for ax in ctx.enc.axioms.values() if ax.input == x]
    return [diff, *copies, *axioms], copy


def _cheap(ctx: Context, s: Slice, x: str, query: list[z3.BoolRef], copy: Var) -> Proved | Refuted | Unknown | None:
    """The irrelevance query on the prover's assumption solver first (`witness=False`: no solver
    to build per input; what it leaves open goes the usual way, fresh solvers included). Unsat:
    the same canonical core as from a fresh solver. Sat: its model's pair is the witness when the
    engine replays it (a case that answers the question both ways with different outcomes); the
    model follows what the solver learnt from earlier queries on the slice, which the same run
    repeats in the same order (deterministic). A model the engine does not confirm, or with a
    decimal no fact can state, gives None: the caller asks the full query, as before."""
    prover = ctx.prover(s)
    answer = prover.check(ctx.domain(s), query, also=[copy], witness=False, model=True)
    if not isinstance(answer, Refuted) or answer.case:
        return answer  # proved, undecided, or a witness from the fresh solvers (already decoded)
    assert answer.model is not None
    try:
        case, other = prover.decode(answer.model), copy.decode(answer.model)
    except NotDecimal:
        return None
    full = ctx.complete(case)
    try:
        if ctx.slice_outcome(s, full) == ctx.slice_outcome(s, {**full, x: other}):
            return None
    except (EvaluationError, ArithmeticError):
        return None
    return Refuted(case, answer.model, {x: other})


def _near_known(ctx: Context, s: Slice, x: str, query: list[z3.BoolRef], copy: Var) -> Refuted | None:
    """Where a pair showed on another date that `x` matters: the same query narrowed to the cases
    that answer every other question but the amounts as that pair's case does (a smaller problem:
    the amounts against the date's norms), on a small budget. A case it finds is a case of the
    full query (replayed through the engine like any other); otherwise, None: the full query
    decides."""
    for case, _value in _shared(ctx).get(x, ())[-1:]:
        fix: list[z3.BoolRef] = []
        for name in sorted(s.inputs):
            var = ctx.enc.inputs[name]
            if name == x or name not in case or isinstance(var.type, t.MoneyType | t.DecimalType):
                continue
            fix += [c == value for c, value in var.bind(case[name])]
        answer = ctx.prover(s).check(ctx.domain(s), [*query, *fix], also=[copy], quick=True)
        if isinstance(answer, Refuted):
            return answer
    return None


def _registry_question(ctx: Context, x: str, decl: n.Input, case: dict[str, Value], value: Value) -> None:
    """A question that matters (the case shows it) and that another rule file takes from a
    registry. An input bound to a registry that does not hold it for the period and in the sense
    the rule reads (eenvoud/analysis/registries.py) is asked too: say what the registry would have
    to hold."""
    bound = holding(decl)
    if bound is not None and bound.held:
        return
    if bound is not None:
        try:
            gap(ctx, decl, ctx.witness(case, {x: value}))
        except EvaluationError as exc:
            ctx.undecided("registry_gap", x, decl, f"the engine could not decide the witness: {exc}")
        return
    held = ctx.library_registry.get(x)
    if held is None:
        return
    registry, other, kind = held
    if kind != t.kind(t.strip_domain(decl.type)):
        return
    try:
        witness = ctx.witness(case, {x: value})
    except EvaluationError as exc:
        ctx.undecided("registry_data_requested", x, decl, f"the engine could not decide the witness: {exc}")
        return
    if witness.decision == witness.decision_after:
        ctx.undecided("registry_data_requested", x, decl,
                      "the encoding and the engine disagree on a witness: please report this")
        return
    ctx.add("registry_data_requested", x, decl, None, [f"`{other}` takes `{x}` from {registry}"],
            f"the citizen is asked `{x}`, which {registry} already holds (`{other}` takes it from there), "
            f"and the answer matters: ask {registry} instead",
            witness, proposal=f"declare `input {x} ... from {registry}`")


# -- cheap before expensive: the engine looks for a case where the answer matters -----------------


# engine decisions the search may spend per regulation and date (one takes some 30 µs, so about
# 0.15 s at most): past that, the solver is the cheaper way. Measured on the kwijtscheldingen (HDSR,
# Utrecht): the search finds what it finds within the first 5,000 or so; the inputs it had not found
# by then it seldom found at all (the old 40,000 spent 0.3-0.4 s per date on them), where the
# solver settles each in some 15 ms
ENGINE_TRIES = 5000


def _relevant_by_engine(ctx: Context) -> dict[str, tuple[dict[str, Value], Value]]:
    """Inputs for which changing the answer changes the engine's outcome: per slice, from the
    base case, the drafter's test cases and seeded samples (the slice's inputs taken from them,
    the others from the base case), then from the base case with one other answer changed. First
    of all, the pairs that showed an answer mattering on the regulation's dates analysed before
    this one (`relevant_pairs`), and the cases next to them."""
    values = {i.name: candidate_values(ctx, i) for i in ctx.reg.inputs}
    found: dict[str, tuple[dict[str, Value], Value]] = {}
    budget = [ENGINE_TRIES]
    starts = _bases(ctx, values)
    # an input the decision never reads on the date (unused.py) cannot change an outcome: no case
    # shows it, and searching for one would try every start with every value; the solver proves it
    used = usage(ctx).used
    shared = _shared(ctx)
    for s in ctx.slices:
        names = sorted((x for x in s.inputs if x in used), key=lambda name: ctx.input_order[name])
        if not names:
            continue

        def outcome(case: dict[str, Value], s: Slice = s) -> tuple[object, ...] | None:
            try:
                return ctx.slice_outcome(s, case)
            except (EvaluationError, ArithmeticError):
                return None

        def search(base: dict[str, Value], todo: list[str], width: int = 1000,
                   outcome: Callable[[dict[str, Value]], tuple[object, ...] | None] = outcome) -> None:
            if budget[0] < 0:  # spent: no try is left to show anything (the base's outcome unread)
                return
            before = outcome(base)
            if before is None:
                return
            for x in todo:
                if x in found:
                    continue
                for value in _spread(values[x], width):
                    budget[0] -= 1
                    if budget[0] < 0:
                        return
                    if value == base[x]:
                        continue
                    after = outcome({**base, x: value})
                    if after is not None and after != before:
                        found[x] = (dict(base), value)
                        break

        # first the pairs that showed an answer mattering on the regulation's other dates: on most
        # dates most still do (one pair each, where the search below spends thousands)
        for x in names:
            for case, value in shared.get(x, ()):
                if x in found:
                    break
                if _shows(ctx, x, case, value, outcome):
                    found[x] = (dict(case), value)
        # ... and where such a pair no longer shows it (a norm moved with the date), the cases next
        # to it: one other answer moved to a value near a constant of the rules
        for x in names:
            for case, _value in shared.get(x, ())[-2:]:
                for y in names:
                    if x in found or budget[0] < 0:
                        break
                    if y == x:
                        continue
                    for w in _spread(values[y], 12):
                        near = {**case, y: w}
                        if fits_date(ctx, near):
                            search(near, [x], 12)
        for start in starts:
            search({**ctx.base, **{x: start[x] for x in names}}, names)
        for y in names:
            todo = [x for x in names if x not in found and x != y]
            if not todo:
                break
            for value in _spread(values[y], 8):
                search({**ctx.base, y: value}, todo, 12)
    for x, pair in found.items():
        if pair not in shared.get(x, []):
            shared.setdefault(x, []).append(pair)
    return found


def _shared(ctx: Context) -> dict[str, list[tuple[dict[str, Value], Value]]]:
    """Per input, the pairs (a complete case and another answer) that showed the answer matter on
    the regulation's dates analysed so far, in the order found."""
    memo = ctx.stats.memo.setdefault("relevant inputs", {})
    assert isinstance(memo, dict)
    got: dict[str, list[tuple[dict[str, Value], Value]]] = memo.setdefault(ctx.reg.name, {})
    return got


def _shows(ctx: Context, x: str, case: dict[str, Value], value: Value,
           outcome: Callable[[dict[str, Value]], tuple[object, ...] | None]) -> bool:
    """A pair from another date shows on this one that the answer to `x` matters: the engine's
    outcomes differ, and what ties the case to the date still holds (`age` is the whole years from
    `birth_date` to this date: `variables.derivation_axioms`); the declared domains do not depend
    on the date."""
    other = {**case, x: value}
    if not (fits_date(ctx, case) and fits_date(ctx, other)):
        return False
    before, after = outcome(case), outcome(other)
    return before is not None and after is not None and before != after


def _from_case(ctx: Context, s: Slice, case: dict[str, Value], todo: list[str], width: int = 12
               ) -> dict[str, tuple[dict[str, Value], Value]]:
    """The inputs of `todo` whose answer, moved from `case` to one of a few candidate values,
    changes the engine's outcome of slice `s`, each with the pair that shows it."""
    out: dict[str, tuple[dict[str, Value], Value]] = {}
    try:
        before = ctx.slice_outcome(s, case)
    except (EvaluationError, ArithmeticError):
        return out
    for x in todo:
        decl = ctx.reg.input_map[x]
        for value in _spread(candidate_values(ctx, decl), width):
            if value == case[x]:
                continue
            try:
                after = ctx.slice_outcome(s, {**case, x: value})
            except (EvaluationError, ArithmeticError):
                continue
            if after != before:
                out[x] = (dict(case), value)
                _shared(ctx).setdefault(x, []).append(out[x])
                break
    return out


def fits_date(ctx: Context, facts: dict[str, Value]) -> bool:
    """What ties a case to the date holds for it: `age` is the whole years from `birth_date` to
    the context's date (`variables.derivation_axioms`). Every other domain axiom is the same on
    every date."""
    return derivations_hold(facts, ctx.day)


def relevant_pairs(ctx: Context, x: str) -> list[tuple[dict[str, Value], Value]]:
    """Pairs (a complete case, another answer to `x`) that showed, on this regulation's dates
    analysed so far, that the answer to `x` changes an outcome of its slice: for other questions
    about `x` to start from (re-check each: another date, another outcome)."""
    return [(case, value) for case, value in _shared(ctx).get(x, ()) if fits_date(ctx, case)
            and fits_date(ctx, {**case, x: value})]


def seeds(ctx: Context) -> list[dict[str, Value]]:
    """Complete cases other passes had the solver find on this date (the branches' coverage: each
    reaches some `if` for someone who qualifies), for the engine's search to start from: a case
    that reaches the third child's branch is one where the third child's birth date matters."""
    got = getattr(ctx, "_seeds", None)
    if got is None:
        got = []
        ctx._seeds = got  # type: ignore[attr-defined]
    return got


def _bases(ctx: Context, values: dict[str, list[Value]]) -> list[dict[str, Value]]:
    """Cases to start from: the base case Z3 found (every requirement met), the cases the other
    passes had the solver find (`seeds`), the drafter's own test cases, and a few cases drawn from
    the candidate values (seeded: the same every run)."""
    out = [dict(ctx.base)]
    out += [{**ctx.base, **case} for case in seeds(ctx)]
    for test in ctx.reg.tests:
        out.append({**ctx.base, **{g.name: literal_value(g.value) for g in test.given if g.name in ctx.base}})
    rng = random.Random(0)
    for _ in range(20):
        out.append({name: rng.choice(vs) if vs and rng.random() < 0.5 else ctx.base[name]
                    for name, vs in values.items()})
    return out


def _spread(values: list[Value], k: int) -> list[Value]:
    """At most k of the values, from across the whole list (small and large amounts alike)."""
    if len(values) <= k:
        return values
    step = (len(values) - 1) / (k - 1)
    return [values[round(i * step)] for i in range(k)]


def candidate_values(ctx: Context, decl: n.Input) -> list[Value]:
    """Answers worth trying for an input: its domain's ends and the neighbours of the constants
    the rules compare things with."""
    typ = decl.type
    base = ctx.base[decl.name]
    match typ:
        case t.BoolType():
            return [not base]
        case t.EnumType():
            return [m for m in typ.members if m != base]
        case t.DateType():
            assert isinstance(base, date)
            out: list[date] = []
            for years in (-90, -70, -67, -60, -30, -21, -18, -16, -5, 1, 10):
                try:
                    out.append(base.replace(year=max(1, min(9999, ctx.day.year + years))))
                except ValueError:
                    out.append(base.replace(year=max(1, min(9999, ctx.day.year + years)), day=28))
            return [d for d in out if (typ.lo is None or d >= typ.lo) and (typ.hi is None or d <= typ.hi)]
        case t.IntType() | t.MoneyType() | t.DecimalType():
            unit = Decimal(1) if isinstance(typ, t.IntType) else Decimal("0.01")
            points = {Decimal(0), Decimal(1), Decimal(10), Decimal(1000), Decimal(100000)}
            for c in ctx.constants_for(ctx.slice_of("input", decl.name)):
                points |= {c - unit, c, c + unit}
            lo, hi = typ.lo, typ.hi
            if lo is not None:
                points.add(Decimal(lo))
            if hi is not None:
                points.add(Decimal(hi))
            keep = sorted(p for p in points if (lo is None or p >= lo) and (hi is None or p <= hi))
            if isinstance(typ, t.IntType):
                return list(dict.fromkeys(int(p) for p in keep if p == p.to_integral_value()))
            if isinstance(typ, t.MoneyType):
                return list(dict.fromkeys(p.quantize(CENT) for p in keep if p == p.quantize(CENT)))
            return list(keep)
        case _:
            return []


# -- cases for the engine's cheap passes over other questions (documents, branches) ---------------

# engine decisions a cheap pass may spend on one question (one takes some 20 µs)
ENGINE_PROBES = 3_000


def probe_cases(ctx: Context) -> Iterator[dict[str, Value]]:
    """Cases inside the domains: the base case and the drafter's tests, then the base case with
    one answer moved to a value next to a constant of the rules."""
    yield from ctx.engine_cases()
    base = ctx.base
    for decl in ctx.reg.inputs:
        for value in candidate_values(ctx, decl):
            yield {**base, decl.name: value}


def find_case(ctx: Context, pred: Callable[[dict[str, Value]], bool], limit: int = ENGINE_PROBES
              ) -> dict[str, Value] | None:
    """The first of `probe_cases` (at most `limit` of them) for which `pred` holds."""
    for k, case in enumerate(probe_cases(ctx)):
        if k >= limit:
            return None
        try:
            if pred(case):
                return case
        except (EvaluationError, ArithmeticError):
            continue
    return None
