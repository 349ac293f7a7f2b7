"""Decided for every open answer: with facts missing, is the outcome the same whatever the answers?

The engine decides first (three-valued, Kleene). When that leaves the outcome open, Z3 is asked
over the regulation's core at that date with the known facts fixed: two completions of the open
facts within their declared domains, `outcome(c1) ≠ outcome(c2)` (errors included). Unsat: every
answer gives the same outcome; one completion decided by the engine says which, and a second one
(the open facts at other values of their domains) is replayed through the engine as a check. Sat:
the outcome is still open, and each open fact is asked only when two completions that differ in it
alone can differ in outcome (semantic relevance, not "the rule reads it"); what it can change is
read off the engine's decisions of that witness pair. A query out of budget leaves today's
three-valued answer, marked as such: never a guess.

This is the determinacy query of docs/analysis.md (IDP-Z3's relevance, served under a budget).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date

import z3

from eenvoud.analysis.encode import (
    Encoding,
    NoValue,
    Outcome,
    Var,
    conjunction,
    disjunction,
    encode,
    negate,
)
from eenvoud.analysis.inputs import copy_of
from eenvoud.analysis.outcomes import differ, outcomes_differ
from eenvoud.analysis.prover import Answer, Budget, Proved, Refuted, Unknown
from eenvoud.analysis.questions import (
    RANK_MIN,
    TRIES,
    Pass,
    Ties,
    changes,
    differs,
    explore,
    full_outcome,
    parts_differ,
    rank,
    unread,
)
from eenvoud.analysis.variables import PERSON_DERIVATIONS, NotDecimal
from eenvoud.core.lower import lower
from eenvoud.engine.decision import Decision, Question, decide, default_engine, judge
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.explanation import AMOUNT, CONCLUSION, is_dutch, whatever_line
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation


@dataclass(frozen=True)
class Cost(Budget):
    """What one partial-facts decision may spend, all of it in deterministic units (never the
    clock: a stored decision replays to the same bytes on a busy machine, and the same facts get
    the same answer whatever else the process is doing): at most `queries` solver queries of
    at most `units` rlimit units each, `total` units in all (a query's set-up charged by the size
    of the regulation's core, times the share of the pair's formula its parts take); asked only
    with at most `open` question-nodes (questions open times core nodes); `tries` engine decisions in the pass before the solver (and at most
    `work` core nodes' worth: decisions times the size of the regulation's core), which also stops
    once `stale` in a row showed nothing new; `rank` core nodes' worth of engine
    look-aheads for ordering the questions. Past any of them the decision is the engine's three-valued one (or, out of
    look-aheads only, its questions in a cheaper order), marked `decided_by: "rules"`: never a
    guess. (`seconds` is the far wall-clock backstop only, off by default.)"""

    units: int = 12_000
    queries: int = 3
    # the solver's work for the whole decision, in rlimit units: each query is charged its set-up
    # (`SETUP` units per node of the regulation's core: the known facts substituted, the formula
    # asserted and preprocessed) and the rlimit it is given (`units`, or what is left)
    total: int = 30_000
    tries: int = 80
    stale: int = 8
    # the ranking's look-aheads, in the same core nodes' worth (a few answers per question)
    rank: int = 20_000
    # the pass's engine work: decisions times the size of the regulation's core (its nodes), so
    # that a regulation whose decision evaluates ten times as much gets a tenth of the decisions
    work: int = 20_000
    # the ranking's look-aheads when the decision falls back (out of budget), in the same units;
    # 0: the cheap order (what an answer can change, a registry first, the rules' order), about 1
    # ms less per huurtoeslag fallback but its sessions 7.7 questions instead of 4 (bench/README.md).
    # 12,000: every huurtoeslag question gets its look-aheads, the kindgebonden budget's first 3 in
    # the cheap order (its sessions 3.9 questions, 3.4 at 20,000 for 2 ms more a fallback)
    fallback_rank: int = 12_000
    # the solver is asked only when the questions the three-valued decision leaves, times the
    # core's nodes, come to at most this: past it the pair queries (two completions of that many
    # open facts through that much of the rules) ran out of the budget (bench/settle.py: no
    # huurtoeslag partial case with more than 4 questions settled, 629 nodes; no kwijtschelding
    # one with more than 6, 433 nodes; the zorgtoeslag's 217 nodes settle with all 7 open), so the
    # decision falls back at once, before the engine's pass
    open: int = 3_000

    @property
    def rlimit(self) -> int:
        return self.units


# a partial-facts decision's budget: a few ms of CPU at the median (bench/settle.py, bench/README.md).
# The solver queries are bimodal: proofs and easy witnesses take a few thousand rlimit units, the
# rest millions, so a larger limit buys few answers at a high price; the engine pass stops once it
# stops learning. Only the parts the three-valued decision left open are asked (a refused case: its
# undetermined documents, a few nodes), and a case with many questions open falls back at once
# (`open`): the kindgebonden budget's core (2,000 nodes) is asked about refused cases only (a query
# about its eligibility costs more to set up than `total` allows).
# For a caller that can wait, a larger one: `settle(..., budget=Cost(units=36_000, total=400_000,
# queries=8, work=80_000, stale=80, rank=200_000))`; a plain `Budget` is its rlimit per query and no
# other cap (the behaviour before this budget)
DEFAULT_BUDGET = Cost(backstop=False)


# a query's set-up, charged against `Cost.total` in rlimit units per node of the core, times the
# share of the pair's whole formula that the query's parts take (`_setup`; measured for the whole:
# substituting and asserting take 0.6 ms for the zorgtoeslag's 217 nodes, 4.5 ms for the
# kindgebonden budget's 2,000, some 2.3 µs a node, and Z3's preprocessing of it more; a rlimit unit
# of search is 0.25 to 0.5 µs), and the least rlimit worth giving a query
SETUP = 10
MIN_QUERY = 2_000
# the pass always decides a few completions (the samples a proof is replayed on come from them)
MIN_TRIES = 4


def _size(reg: CheckedRegulation, day: date) -> int:
    """The regulation's core on `day`, in nodes (requirements, amounts, documents, definitions;
    a shared node once): what one engine decision evaluates, roughly. Kept with the core."""
    core = lower(reg, day)
    got = core.compiled.get("size")
    if isinstance(got, int):
        return got
    seen: set[int] = set()

    def count(x: object) -> int:
        if isinstance(x, tuple | list):
            return sum(count(y) for y in x)
        if isinstance(x, dict):
            return sum(count(y) for y in x.values())
        if not is_dataclass(x) or isinstance(x, type) or id(x) in seen:
            return 0
        seen.add(id(x))
        return 1 + sum(count(getattr(x, f.name)) for f in fields(x))

    out = max(1, count((core.requirements, core.amounts, core.documents, core.definitions)))
    core.compiled["size"] = out
    return out


def _looks(reg: CheckedRegulation, day: date, budget: Budget) -> int:
    """The engine look-aheads the ranking may spend on this regulation."""
    return _caps(budget).rank // _size(reg, day)


def _caps(budget: Budget) -> Cost:
    return budget if isinstance(budget, Cost) else \
        Cost(budget.seconds, budget.backstop, units=budget.rlimit, queries=1_000, total=1 << 60, tries=TRIES,
             stale=TRIES, rank=1 << 60, work=1 << 60, fallback_rank=1 << 60, open=1 << 60)


@dataclass(frozen=True)
class Settled:
    decision: Decision
    decided_by: str  # "rules": the engine alone; "solver": proved for every open answer
    note: str | None = None  # why the solver did not settle it (out of budget), when it did not


def settle(reg: CheckedRegulation, facts: Mapping[str, Value], day: date, decision: Decision | None = None,
           budget: Budget = DEFAULT_BUDGET) -> Settled:
    """The decision for `facts`, decided for every open answer where Z3 proves it, and with only
    the questions that can still change the outcome. Kept per (regulation hash, date, facts, budget):
    a portal asks the same partial case again as its user goes back and forth."""
    key = (reg.hash, day, tuple(sorted((k, repr(v)) for k, v in facts.items())), _caps(budget))
    with _LOCK:
        got = _SETTLED.get(key)
        if got is not None:
            _SETTLED.move_to_end(key)
    if got is not None:
        return got  # `decision`, when given, is the engine's for these same facts
    out = _settle(reg, facts, day, decision, budget)
    if out.decided_by == "rules" and len(out.decision.questions) > 1:
        # out of budget: today's three-valued answer (the same questions), asked in ranked order,
        # with the look-aheads the budget leaves a fallback (`Cost.fallback_rank`; 0: the cheap order)
        prog = default_engine().program(reg, day)
        looks = _caps(budget).fallback_rank // _size(reg, day)
        questions = rank(prog, facts, out.decision.questions, looks)
        note = out.note
        if note is not None and looks < len(questions):
            note += ("; the questions in the rules' order (no look-aheads)" if looks < RANK_MIN else
                     f"; look-aheads for the first {looks // RANK_MIN} questions in the rules' order only")
        out = replace(out, decision=replace(out.decision, questions=questions), note=note)
    with _LOCK:
        _SETTLED[key] = out
        while len(_SETTLED) > 4096:
            _SETTLED.popitem(last=False)
    return out


def decision(reg: CheckedRegulation, facts: Mapping[str, Value], day: date) -> Decision:
    """The decision every interface returns: the engine's, settled for every open answer by the
    solver where it can be (the same bytes on any machine: a resource limit, no clock)."""
    prog = default_engine().program(reg, day)
    first = decide(prog, dict(facts))
    if first.error is not None or _settled(first):
        return first
    return settle(reg, facts, day, first, budget=DEFAULT_BUDGET).decision  # not decided twice


_LOCK = threading.Lock()
_SETTLED: OrderedDict[tuple[object, ...], Settled] = OrderedDict()


def _settle(reg: CheckedRegulation, facts: Mapping[str, Value], day: date, decision: Decision | None,
            budget: Budget) -> Settled:
    prog = default_engine().program(reg, day)
    decision = decision if decision is not None else decide(prog, dict(facts))
    if decision.error is not None or _settled(decision):
        return Settled(decision, "rules")
    if not Ties(prog).consistent(facts):
        # two people (`age` against `birth_date`; the API refuses such facts): no completion is
        # one person, so nothing is claimed for every answer
        return Settled(decision, "rules", "the facts given contradict each other (a derived fact and its source)")
    caps = _caps(budget)
    size = _size(reg, day)
    if len(decision.questions) * size > caps.open:
        return Settled(decision, "rules", f"out of budget ({len(decision.questions)} questions open on a core of "
                       f"{size:,} nodes: the solver is asked up to {caps.open:,} question-nodes)")
    amounts = [a.name for a, _fn in prog.amounts]
    # only the parts the three-valued decision left open can differ between completions
    undecided = _undecided(decision, amounts, judge(prog, Env(dict(facts)), full=True).document_reads)
    refused = decision.eligible is False
    try:
        setup = _setup(reg, day, undecided, refused)
    except NoValue:
        return Settled(decision, "rules", "the regulation cannot be encoded on this date")
    if caps.total - setup < caps.units:
        # the set-up of one query leaves no query's search: decided before the engine's pass,
        # which only serves the solver (the kindgebonden budget's 2,000 nodes: a query about its
        # eligibility or amounts costs more to set up than the default budget allows)
        return Settled(decision, "rules", f"out of budget (a query on this regulation's core, {size:,} nodes, "
                       f"costs more to set up than the {caps.total:,} rlimit units per decision allow)")
    open_names = [i.name for i in reg.inputs if i.name not in facts]
    documents = [d.name for d, _fn in prog.documents]
    # 1. the engine: a fact its three-valued evaluation does not read is no question; the others
    # are tried on a few completions, and what those show needs no solver
    idle = unread(prog, facts, open_names)
    tries = min(caps.tries, max(MIN_TRIES, caps.work // size))
    shown = explore(prog, facts, open_names, tries=tries, search=[x for x in open_names if x not in idle],
                    stale=caps.stale)
    can_change = dict(shown.can_change)
    open_parts = set(shown.open_parts)
    # 2. Z3 for the rest, lazily: the encoding of (regulation, date) is built once and kept
    z: _Queries | None = None

    def queries() -> _Queries:
        nonlocal z
        if z is None:
            z = _Queries(_encoding(reg, day), facts, open_names, caps, setup, refused=refused)
        return z

    # relevance: the facts the pass did not show relevant are irrelevant together, or a witness
    # pair (replayed through the engine, one answer at a time) shows one of them relevant
    rest = [x for x in open_names if x not in can_change and x not in idle]
    try:
        while rest:
            answer = queries().differ(rest, undecided)
            match answer:
                case Unknown():
                    return Settled(decision, "rules", f"not proved for every answer: {answer.reason}")
                case Proved():
                    break
                case Refuted():
                    found = _walk(prog, facts, open_names, rest, answer, amounts, documents, open_parts)
                    if not found:
                        return Settled(decision, "rules", "the solver and the engine disagree on a witness: "
                                       "please report this")
                    can_change.update(found)
                    rest = [x for x in rest if x not in found]
    except NoValue:
        return Settled(decision, "rules", "the regulation cannot be encoded on this date")
    if not can_change:
        return _decided_for_every_answer(reg, facts, decision, shown)
    # 3. the parts every answer leaves alike (only when eligibility is: else the decision stays
    # open as the engine has it)
    partly = decision
    # pairs of completions that differ in their kind (eligible, not eligible, an error): walked
    # below, they show which answers can change eligibility
    kinds: list[tuple[Mapping[str, Value], Mapping[str, Value]]] = []
    if "kind" not in open_parts:
        got = _decided_in_part(prog, reg, facts, decision, shown, open_parts, queries, amounts, documents,
                               undecided, kinds)
        if isinstance(got, Settled):
            return got
        partly = got
    else:
        partly = _not_decided(decision)
    if partly.eligible is None:
        # an answer that can make the rules fail can change eligibility (a failing completion leaves
        # it undetermined), even where its witness pair showed only an amount: say so in `can_change`
        first = shown.completions[0] if shown.completions else None
        other = next((c for c in shown.completions if first is not None and c[1][0] != first[1][0]), None)
        if first is not None and other is not None:
            kinds.append((first[0], other[0]))
        for one, two in kinds:
            for x in _flips(prog, facts, open_names, one, two):
                can_change[x] = ("eligible", *(c for c in can_change.get(x, ()) if c != "eligible"))
    # 4. only the relevant questions, ranked by how much an answer settles
    by_input = {q.input: q for q in decision.questions}
    candidates = [by_input.get(i.name) or Question(i.name, i.label, i.registry, (), judged=i.judged)
                  for i in reg.inputs if i.name in can_change]
    questions = tuple(replace(q, can_change=can_change[q.input],
                              needed_by=q.needed_by or tuple(c for c in can_change[q.input] if c != "eligible"))
                      for q in candidates)
    questions = rank(prog, facts, questions, _looks(reg, day, caps))
    dropped = [q.input for q in decision.questions if q.input not in can_change]
    explanation = partly.explanation
    if dropped:
        explanation = (*explanation, "Not asked, because no answer to it can change the outcome now: "
                       + ", ".join(dropped) + ".")
    return Settled(replace(partly, questions=questions, explanation=explanation, decided_by="solver"), "solver")


def _walk(prog: Program, facts: Mapping[str, Value], open_names: list[str], rest: list[str], answer: Refuted,
          amounts: list[str], documents: list[str], open_parts: set[str]) -> dict[str, tuple[str, ...]]:
    """The solver's witness pair differs in several of `rest` at once: go from one case to the
    other one answer at a time with the engine; each step that changes the outcome shows that
    answer relevant (a pair of cases differing in it alone)."""
    current = {**facts, **{y: answer.case[y] for y in open_names}}
    before = full_outcome(prog, current)
    start = before
    tied = Ties(prog)
    found: dict[str, tuple[str, ...]] = {}
    # tied answers last (a source such as `birth_date`, then a derived one such as `age`): a step
    # counts only from a case whose ties hold, as the query's does, and a changed tied answer
    # breaks them for every step after it
    sources = {src for _d, src in tied.pairs}
    for x in sorted(rest, key=lambda y: (y in tied.derived) * 2 + (y in sources)):
        if x not in answer.also or answer.also[x] == current[x]:
            continue
        step = {**current, x: answer.also[x]}
        after = full_outcome(prog, step)
        if differs(before, after) and tied.witness({}, current, step, x):
            found[x] = changes(before, after, amounts, documents)
        current, before = step, after
    if tied.consistent(current):
        open_parts |= parts_differ(start, before, amounts, documents)
    return found


def _flips(prog: Program, facts: Mapping[str, Value], open_names: list[str], one: Mapping[str, Value],
           two: Mapping[str, Value]) -> set[str]:
    """Go from completion `one` to `two` one answer at a time with the engine: the answers whose
    step makes the rules fail (or stops them failing) can change eligibility (a pair of cases
    differing in that answer alone, replayed). Only errors: an answer that turns eligible into not
    eligible was shown relevant by its own witness already, and listing `eligible` for it too
    would move it ahead in the ranking (bench/questions.py: the zorgtoeslag's partner question,
    2.70 -> 2.90 questions a session)."""
    tied = Ties(prog)
    current = {**facts, **{y: one[y] for y in open_names}}
    before = full_outcome(prog, current)
    out: set[str] = set()
    sources = {src for _d, src in tied.pairs}
    for x in sorted(open_names, key=lambda y: (y in tied.derived) * 2 + (y in sources)):
        if x not in two or two[x] == current[x]:
            continue
        step = {**current, x: two[x]}
        after = full_outcome(prog, step)
        if before[0] != after[0] and "error" in (before[0], after[0]) and tied.witness({}, current, step, x):
            out.add(x)
        current, before = step, after
    return out


class _Queries:
    """The solver's side of one partial case. `differ(names, parts)`: can two completions that
    differ only in the open facts `names` differ in the outcome (in `parts` of it, when given)?
    The terms are built once per encoding (`_Terms`); a query substitutes the known facts and the
    answers kept alike into the one formula it asks about (one call: shared subterms once)."""

    def __init__(self, enc: Encoding, facts: Mapping[str, Value], open_names: list[str], budget: Cost,
                 setup: int = 0, refused: bool = False):
        self.enc = enc
        self.left = budget.queries  # solver queries this decision may still ask
        self.units = budget.total  # and rlimit units (set-ups included)
        self.setup = setup
        self.terms = _terms(enc)
        self.open_names = open_names
        self.budget = budget
        # refused whatever the answers (the three-valued decision says not eligible: Kleene's is
        # sound): only documents can differ, and no completion is an error (a failing requirement
        # comes first), so a document part is the document's terms alone, not the core's errors
        self.refused = refused
        self.known: list[tuple[z3.ExprRef, z3.ExprRef]] = []
        for name, value in facts.items():
            if name in enc.inputs:
                for var in (enc.inputs[name], self.terms.copies[name][0]):
                    self.known += var.bind(value)
        # the known facts go into the open facts' axioms too: `age` open follows the `birth_date`
        # given (left free, the solver found pairs of two people that the engine then refused)
        # (only a derived input's axioms read another input: the others are left as they are)
        self.axioms = [self._known(ax.formula) if ax.input in _DERIVED else ax.formula
                       for ax in enc.axioms.values() if ax.input in open_names]
        # (new lists: the terms' own are shared by every decision on this encoding)
        self.copy_axioms = {x: [self._known(f) for f in self.terms.copies[x][1]] if x in _DERIVED
                            else list(self.terms.copies[x][1]) for x in open_names}
        # a derived fact given (`age`) with its source open (`birth_date`): its axiom, with the
        # known facts in, binds the source on both sides of the pair (else the solver's pairs are
        # two people, which the engine's walk then refuses)
        for d, src in PERSON_DERIVATIONS:
            if d in facts and src in open_names and d in enc.inputs and src in enc.inputs:
                to_copy = list(zip(enc.inputs[src].consts, self.terms.copies[src][0].consts, strict=True))
                for ax in enc.axioms.values():
                    if ax.input == d:
                        bound = self._known(ax.formula)
                        self.axioms.append(bound)
                        self.copy_axioms[src].append(z3.substitute(bound, *to_copy))

    def _known(self, formula: z3.BoolRef) -> z3.BoolRef:
        return z3.substitute(formula, *self.known) if self.known else formula

    def differ(self, names: list[str], parts: list[str] | None) -> Answer:
        """One query on a fresh solver given the whole of it at once (Z3 then preprocesses it as
        one problem: the known facts are numerals, most of the outcome folds away), under the
        budget's resource limit: the same answer on any machine."""
        formula = self.terms.differ(parts, self.refused)
        if z3.is_false(formula):
            return Proved(())
        rlimit = min(self.budget.rlimit, self.units - self.setup)
        if self.left <= 0 or rlimit < min(MIN_QUERY, self.budget.rlimit):
            return Unknown(f"out of budget ({self.budget.queries} solver queries, {self.budget.total:,} rlimit "
                           "units per decision)")
        # (charged before the set-up: a query the budget cannot pay for costs nothing)
        self.left -= 1
        self.units -= self.setup + rlimit
        chosen = set(names)
        copies = self.terms.copies
        same = [(c, o) for x in self.open_names if x not in chosen
                for c, o in zip(copies[x][0].consts, self.enc.inputs[x].consts, strict=True)]
        pairs = self.known + same
        formula = z3.substitute(formula, *pairs) if pairs else formula  # one call: shared subterms once
        if z3.is_false(formula):
            return Proved(())
        solver = _solver()
        solver.set("rlimit", rlimit)
        solver.set("timeout", self.budget.timeout_ms)
        solver.add(*self.axioms, *(f for x in names for f in self.copy_axioms[x]), formula)
        result = solver.check()
        if result == z3.unsat:
            return Proved(())
        if result == z3.unknown:
            return Unknown(f"the solver ran out of its budget ({rlimit:,} rlimit units of search)")
        model = solver.model()
        try:
            case = {x: self.enc.inputs[x].decode(model) for x in self.open_names}
            also = {x: copies[x][0].decode(model) for x in names}
        except NotDecimal:
            return Unknown("the only cases Z3 found have decimals with no finite expansion")
        return Refuted(case, model, also)


def _solver() -> z3.Solver:
    """A fresh solver for one query: Z3's simplifier, value propagation and equation solving
    first, then its SMT core (the known facts are numerals: most of the outcome folds away before
    the search). Asserting into it costs nothing (the default solver internalises the whole
    formula on `add`), and within the same resource limit it answers more of these queries."""
    global _TACTIC
    if _TACTIC is None:
        _TACTIC = z3.Then("simplify", "propagate-values", "solve-eqs", "smt")
    return _TACTIC.solver()


_TACTIC: z3.Tactic | None = None
_DERIVED = frozenset(d for d, _src in PERSON_DERIVATIONS)


class _Terms:
    """Per encoding: a copy of every input (with its domain on the copy), the whole outcome on the
    inputs and on the copies, and the formulas "the two differ" (in the whole, in eligibility, in
    one amount, in one document), each built once."""

    def __init__(self, enc: Encoding):
        self.whole = _whole_outcome(enc)
        self.copies: dict[str, tuple[Var, list[z3.BoolRef]]] = {}
        pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = []
        for x, var in enc.inputs.items():
            copy, mine = copy_of(var)
            self.copies[x] = (copy, [z3.substitute(ax.formula, *mine) for ax in enc.axioms.values()
                                     if ax.input == x])
            pairs += mine
        self.other = self.whole.substitute(pairs)
        self.amounts = list(enc.amounts)
        self.documents = list(enc.documents)
        self._lock = threading.Lock()
        self._formulas: dict[tuple[tuple[str, ...], bool] | None, z3.BoolRef] = {}
        self._nodes: dict[tuple[tuple[str, ...], bool] | None, int] = {}

    def _part(self, part: str, refused: bool) -> z3.BoolRef:
        a, b = self.whole, self.other
        if refused and part.startswith("document:"):
            k = self.documents.index(part.partition(":")[2])
            return differ(a.documents[k], b.documents[k])
        if part == "kind":
            return z3.Or(differ(a.ne, b.ne), differ(a.err, b.err))
        kind, _, name = part.partition(":")
        if kind == "amount":
            k = self.amounts.index(name)
            return conjunction([a.ok, b.ok, differ(a.amounts[k], b.amounts[k])])
        k = self.documents.index(name)
        return conjunction([negate(a.err), negate(b.err), differ(a.documents[k], b.documents[k])])

    def differ(self, parts: list[str] | None, refused: bool = False) -> z3.BoolRef:
        """`refused`: every completion is refused (see `_Queries`); the parts are documents."""
        key = None if parts is None else (tuple(parts), refused)
        with self._lock:
            got = self._formulas.get(key)
            if got is None:
                got = outcomes_differ(self.whole, self.other) if parts is None else \
                    disjunction([self._part(p, refused) for p in parts])
                if len(self._formulas) < 1024:  # the parts a decision leaves open: a few sets per regulation
                    self._formulas[key] = got
        return got

    def nodes(self, parts: list[str] | None, refused: bool = False) -> int:
        """The size of `differ(parts, refused)` in Z3 nodes, counted once per formula."""
        key = None if parts is None else (tuple(parts), refused)
        with self._lock:
            got = self._nodes.get(key)
        if got is None:
            got = _count(self.differ(parts, refused))
            with self._lock:
                if len(self._nodes) < 1024:
                    self._nodes[key] = got
        return got


def _setup(reg: CheckedRegulation, day: date, parts: list[str], refused: bool) -> int:
    """A query's set-up in rlimit units (the known facts and the answers kept alike substituted,
    the formula asserted and preprocessed): `SETUP` per node of the core, times the share of the
    pair's whole formula that the query's `parts` take (a refused case's documents: a few nodes)."""
    terms = _terms(_encoding(reg, day))
    return -(-SETUP * _size(reg, day) * terms.nodes(parts, refused) // max(1, terms.nodes(None)))


def _terms(enc: Encoding) -> _Terms:
    got = enc.memo.get("determinacy")
    if isinstance(got, _Terms):
        return got
    out = _Terms(enc)
    enc.memo["determinacy"] = out
    return out


def _decided_in_part(prog: Program, reg: CheckedRegulation, facts: Mapping[str, Value], decision: Decision,
                     shown: Pass, open_parts: set[str], queries: Callable[[], _Queries], amounts: list[str],
                     documents: list[str], undecided: list[str],
                     kinds: list[tuple[Mapping[str, Value], Mapping[str, Value]]]) -> Decision | Settled:
    """The parts of the outcome that every answer leaves alike, when the whole does not: whether
    the case is eligible, each amount, each document (the partner's answer may change a document
    and nothing else: then eligibility is decided and only the document waits)."""
    sample = shown.completions[0][0] if shown.completions else None
    if sample is None:
        return decision
    done = default_engine().decide(reg, {**facts, **sample}, decision.date)
    if done.error is not None:
        # a completion that is an error: the case is not decided, whatever the requirements say
        return _not_decided(decision)
    q = queries()
    # eligibility and the amounts and documents the pass did not show open, in one query: alike
    # together (unsat), or a witness pair (replayed) shows which of them differ; the amounts are
    # asked of an eligible sample only (eligibility alike: every completion is eligible then)
    todo = ["kind", *(f"amount:{name}" for name in amounts if done.eligible and f"amount:{name}" not in open_parts)]
    todo += [f"document:{name}" for name in documents if f"document:{name}" not in open_parts]
    todo = [p for p in todo if p in undecided]
    while todo:
        answer = q.differ(q.open_names, todo)
        if isinstance(answer, Unknown):
            return Settled(decision, "rules", "not proved for every answer: out of budget")
        if isinstance(answer, Proved):
            break
        assert isinstance(answer, Refuted)
        a = full_outcome(prog, {**facts, **{y: answer.case[y] for y in q.open_names}})
        b = full_outcome(prog, {**facts, **{y: answer.also.get(y, answer.case[y]) for y in q.open_names}})
        seen = parts_differ(a, b, amounts, documents) & set(todo)
        if "kind" in seen:
            kinds.append((answer.case, {y: answer.also.get(y, answer.case[y]) for y in q.open_names}))
        if "kind" in seen or (not seen and "kind" in todo):
            # eligibility is open (or the pair does not say what differs: no claim); where the
            # requirements alone gave an answer, the pair differs in an error: not decided either
            return _not_decided(decision)
        if not seen:
            return Settled(decision, "rules", "the solver and the engine disagree on a witness: please report this")
        open_parts |= seen
        todo = [p for p in todo if p not in seen]
    decided_amounts = dict(decision.amounts)
    for name in done.amounts:
        if done.eligible is False or f"amount:{name}" not in open_parts:
            decided_amounts[name] = done.amounts[name]
    docs = tuple({**doc, "required": got["required"]} if f"document:{doc['document']}" not in open_parts else doc
                 for doc, got in zip(decision.documents, done.documents, strict=True))
    line = whatever_line(", ".join(f"`{x}`" for x in decision.missing),
                         "eligible" if done.eligible else "not eligible", is_dutch(decision.explanation))
    return replace(decision, eligible=done.eligible, amounts=decided_amounts, documents=docs,
                   explanation=(*_without_conclusion(decision.explanation), line), decided_by="solver")


def _count(formula: z3.BoolRef) -> int:
    """The formula's size in Z3 nodes (shared ones once), counted by Z3."""
    goal = z3.Goal()
    goal.add(formula)
    return int(z3.Z3_goal_num_exprs(goal.ctx.ref(), goal.goal))


def _whole_outcome(enc: Encoding) -> Outcome:
    got = enc.memo.get("outcome")
    if isinstance(got, Outcome):
        return got
    out = enc.outcome()
    enc.memo["outcome"] = out
    return out


def _undecided(d: Decision, amounts: list[str], document_reads: list[set[str]]) -> list[str]:
    """The parts of the outcome ("kind", "amount:NAME", "document:NAME") that the engine's
    three-valued decision leaves open. Kleene's evaluation is sound: a part it decided with facts
    missing is that for every completion, so only these can differ between two completions (not
    eligible: a requirement fails whatever the answers, the amounts are nil; eligible: an error in
    an amount or a document still open can change the kind). Asking Z3 about these alone spares
    it the amounts' arithmetic when the case is refused and only a document waits. A document
    whose condition read an open fact stays in even when decided: a completion may fail to evaluate
    it (the engine checks that only for an eligible claim), an outcome of its own."""
    out = [] if d.eligible is False else ["kind"]
    if d.eligible is True:
        out += [f"amount:{name}" for name in amounts if d.amounts.get(name) is None]
    elif d.eligible is None:
        out += [f"amount:{name}" for name in amounts]
    out += [f"document:{doc['document']}" for doc, reads in zip(d.documents, document_reads, strict=True)
            if doc["required"] is None or reads]
    return out


def _settled(d: Decision) -> bool:
    return (d.eligible is not None and all(x is not None for x in d.amounts.values())
            and all(doc["required"] is not None for doc in d.documents))


def _decided_for_every_answer(reg: CheckedRegulation, facts: Mapping[str, Value], decision: Decision,
                              shown: Pass) -> Settled:
    """Every open fact proved irrelevant: every completion decides alike. Two completions the pass
    decided (the first, and the one differing from it in the most answers) are replayed as a check."""
    if not shown.completions:
        return Settled(decision, "rules", "no completion of the open facts lies in their domains")
    engine = default_engine()
    sample = shown.completions[0][0]
    first = engine.decide(reg, {**facts, **sample}, decision.date)
    other = max(shown.completions, key=lambda c: sum(c[0][x] != sample[x] for x in sample))[0]
    if other != sample:
        second = engine.decide(reg, {**facts, **other}, decision.date)
        if (second.outcome, second.eligible, second.amounts) != (first.outcome, first.eligible, first.amounts):
            return Settled(decision, "rules", "the solver's proof and the engine disagree: please report this")
    asked = ", ".join(f"`{x}`" for x in decision.missing) or "the open questions"
    line = whatever_line(asked, first.outcome, is_dutch(decision.explanation))
    documents = tuple(
        {**doc, "required": done["required"]} for doc, done in zip(decision.documents, first.documents, strict=True))
    settled = replace(decision, eligible=first.eligible, amounts=first.amounts, questions=(),
                      documents=documents, error=first.error,
                      explanation=(*_without_conclusion(decision.explanation), line,
                                   *[x for x in first.explanation if x.startswith(AMOUNT)]))
    return Settled(replace(settled, decided_by="solver"), "solver")


def _not_decided(decision: Decision) -> Decision:
    """The decision when completions differ in their kind. Where the three-valued engine concluded
    from the requirements alone (all known), the completions that differ from it are errors (an
    amount whose bracket has no row for an answer still open): an error is an outcome, so the case
    is not decided yet, and the answer must not say eligible."""
    if decision.eligible is None:
        return decision
    names = ", ".join(f"`{x}`" for x in decision.missing)
    line = (f"Conclusie: nog niet te bepalen: een antwoord op {names} kan de regels nog laten falen."
            if is_dutch(decision.explanation) else
            f"Conclusion: undetermined: an answer to {names} can still make the rules fail.")
    return replace(decision, eligible=None, explanation=(*_without_conclusion(decision.explanation), line))


def _without_conclusion(lines: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(x for x in lines if not x.startswith(CONCLUSION))


class _Encodings:
    """Encodings per lowered core, kept with it in the one cache (`Core.compiled`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recent: OrderedDict[int, Encoding] = OrderedDict()

    def get(self, reg: CheckedRegulation, day: date) -> Encoding:
        core = lower(reg, day)
        got = core.compiled.get("z3")
        if isinstance(got, Encoding):
            return got
        enc = encode(reg, day)
        core.compiled["z3"] = enc
        return enc


_ENCODINGS = _Encodings()


def _encoding(reg: CheckedRegulation, day: date) -> Encoding:
    return _ENCODINGS.get(reg, day)


__all__ = ["DEFAULT_BUDGET", "Cost", "Settled", "settle", "Question"]
