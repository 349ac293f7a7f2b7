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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

import z3

from eenvoud.analysis.encode import (
    Encoding,
    NoValue,
    Outcome,
    Var,
    conjunction,
    encode,
    negate,
)
from eenvoud.analysis.inputs import copy_of
from eenvoud.analysis.outcomes import differ, outcomes_differ
from eenvoud.analysis.prover import Budget, Proved, Prover, Refuted, Stats, Unknown
from eenvoud.core.lower import lower
from eenvoud.engine.decision import Decision, Question, decide, default_engine
from eenvoud.engine.explanation import AMOUNT, CONCLUSION, is_dutch, whatever_line
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation

# a partial-facts decision may spend this much solver effort (rlimit units, deterministic; about
# 10 ms here) before it falls back to the three-valued answer
DEFAULT_BUDGET = Budget(0.01, backstop=False)


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
    key = (reg.hash, day, tuple(sorted((k, repr(v)) for k, v in facts.items())), budget.seconds)
    with _LOCK:
        got = _SETTLED.get(key)
        if got is not None:
            _SETTLED.move_to_end(key)
    if got is not None and decision is None:
        return got
    out = _settle(reg, facts, day, decision, budget)
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
    return settle(reg, facts, day, budget=DEFAULT_BUDGET).decision


_LOCK = threading.Lock()
_SETTLED: OrderedDict[tuple[object, ...], Settled] = OrderedDict()


def _settle(reg: CheckedRegulation, facts: Mapping[str, Value], day: date, decision: Decision | None,
            budget: Budget) -> Settled:
    prog = default_engine().program(reg, day)
    decision = decision if decision is not None else decide(prog, dict(facts))
    if decision.error is not None or _settled(decision):
        return Settled(decision, "rules")
    try:
        enc = _encoding(reg, day)
    except NoValue:
        return Settled(decision, "rules", "the regulation cannot be encoded on this date")
    open_names = [i.name for i in reg.inputs if i.name not in facts]
    known = [pair for name, value in facts.items() if name in enc.inputs for pair in enc.inputs[name].bind(value)]
    mine = _whole_outcome(enc)
    # the known facts fixed (z3.simplify of the result was measured slower: 32 against 23 ms)
    fixed = mine.substitute(known)
    prover = Prover({x: enc.inputs[x] for x in open_names}, [], budget, Stats())
    axioms: list[str] = []
    for ax in enc.axioms.values():
        if ax.input in open_names:
            axioms.append(prover.name(ax.name, ax.formula))
    copies, pairs, copy_axioms = _copies(enc, open_names)
    differs = outcomes_differ(fixed, fixed.substitute(pairs))
    answer = prover.check(axioms, [differs, *copy_axioms], also=copies, minimize=False)
    match answer:
        case Unknown():
            return Settled(decision, "rules", f"not proved for every answer: {answer.reason}")
        case Proved():
            return _decided_for_every_answer(prog, reg, facts, decision, prover, axioms, open_names)
        case Refuted():
            partly = _decided_in_part(reg, facts, decision, prover, axioms, fixed, open_names, pairs, copies,
                                      copy_axioms)
            if isinstance(partly, Settled):
                return partly
            return _only_relevant(prog, reg, facts, partly, enc, prover, axioms, fixed, open_names)


def _decided_in_part(reg: CheckedRegulation, facts: Mapping[str, Value], decision: Decision, prover: Prover,
                     axioms: list[str], fixed: Outcome, open_names: list[str],
                     pairs: list[tuple[z3.ExprRef, z3.ExprRef]], copies: list[Var],
                     copy_axioms: list[z3.BoolRef]) -> Decision | Settled:
    """The parts of the outcome that every answer leaves alike, when the whole does not: whether
    the case is eligible, each amount, each document (the partner's answer may change a document
    and nothing else: then eligibility is decided and only the document waits)."""
    other = fixed.substitute(pairs)

    def alike(diff: z3.BoolRef) -> bool | None:
        answer = prover.check(axioms, [diff, *copy_axioms], also=copies, minimize=False)
        if isinstance(answer, Unknown):
            return None
        return isinstance(answer, Proved)

    kind = alike(z3.Or(differ(fixed.ne, other.ne), differ(fixed.err, other.err)))
    if kind is None:
        return Settled(decision, "rules", "not proved for every answer: out of budget")
    if not kind:
        return decision
    sample = prover.check(axioms, [], minimize=False)
    if not isinstance(sample, Refuted):
        return decision
    done = default_engine().decide(reg, {**facts, **{x: sample.case[x] for x in open_names}}, decision.date)
    if done.error is not None:
        return decision  # an error for every answer: said by the full check, not in part
    amounts = dict(decision.amounts)
    for k, name in enumerate(done.amounts):
        if done.eligible is False or alike(conjunction([fixed.ok, other.ok,
                                                        differ(fixed.amounts[k], other.amounts[k])])):
            amounts[name] = done.amounts[name]
    documents = []
    for k, (doc, got) in enumerate(zip(decision.documents, done.documents, strict=True)):
        same = alike(conjunction([negate(fixed.err), negate(other.err),
                                  differ(fixed.documents[k], other.documents[k])]))
        documents.append({**doc, "required": got["required"]} if same else doc)
    line = whatever_line(", ".join(f"`{x}`" for x in decision.missing),
                         "eligible" if done.eligible else "not eligible", is_dutch(decision.explanation))
    return replace(decision, eligible=done.eligible, amounts=amounts, documents=tuple(documents),
                   explanation=(*_without_conclusion(decision.explanation), line), decided_by="solver")


def _whole_outcome(enc: Encoding) -> Outcome:
    got = enc.memo.get("outcome")
    if isinstance(got, Outcome):
        return got
    out = enc.outcome()
    enc.memo["outcome"] = out
    return out


def _settled(d: Decision) -> bool:
    return (d.eligible is not None and all(x is not None for x in d.amounts.values())
            and all(doc["required"] is not None for doc in d.documents))


def _copies(enc: Encoding, names: list[str]) -> tuple[list[Var], list[tuple[z3.ExprRef, z3.ExprRef]],
                                                        list[z3.BoolRef]]:
    """A second copy of each named input (`inputs.copy_of`), the substitution that makes them, and
    their domains."""
    copies: list[Var] = []
    pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = []
    axioms: list[z3.BoolRef] = []
    for x in names:
        copy, mine = copy_of(enc.inputs[x])
        copies.append(copy)
        pairs += mine
        axioms += [z3.substitute(ax.formula, *mine) for ax in enc.axioms.values() if ax.input == x]
    return copies, pairs, axioms


def _decided_for_every_answer(prog: object, reg: CheckedRegulation, facts: Mapping[str, Value],
                              decision: Decision, prover: Prover, axioms: list[str],
                              open_names: list[str]) -> Settled:
    sample = prover.check(axioms, [], minimize=False)
    if not isinstance(sample, Refuted):
        return Settled(decision, "rules", "no completion of the open facts lies in their domains")
    engine = default_engine()
    first = engine.decide(reg, {**facts, **{x: sample.case[x] for x in open_names}}, decision.date)
    # the proof says every completion decides alike: replay a second, different one as a check
    other = _other_completion(prover, axioms, open_names, sample.case)
    if other is not None:
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


def _without_conclusion(lines: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(x for x in lines if not x.startswith(CONCLUSION))


def _other_completion(prover: Prover, axioms: list[str], open_names: list[str],
                      first: Mapping[str, Value]) -> dict[str, Value] | None:
    differ = [prover.inputs[x].value != prover.inputs[x].bind(first[x])[0][1] for x in open_names
              if len(prover.inputs[x].consts) == 1]
    if not differ:
        return None
    answer = prover.check(axioms, [z3.Or(differ)] if len(differ) > 1 else differ, minimize=False)
    return dict(answer.case) if isinstance(answer, Refuted) else None


def _only_relevant(prog: object, reg: CheckedRegulation, facts: Mapping[str, Value], decision: Decision,
                   enc: Encoding, prover: Prover, axioms: list[str], fixed: object,
                   open_names: list[str]) -> Settled:
    """Keep the questions whose answer alone can still change the outcome, each with what it can
    change (read off the engine's decisions of the witness pair)."""
    assert isinstance(fixed, Outcome)
    engine = default_engine()
    can_change: dict[str, tuple[str, ...]] = {}
    # every open fact, not only those the three-valued evaluation read: an answer that can only
    # change a required document is a question too
    by_input = {q.input: q for q in decision.questions}
    candidates = [by_input.get(i.name) or Question(i.name, i.label, i.registry, (), judged=i.judged) for i in reg.inputs
                  if i.name in open_names]
    for q in candidates:
        x = q.input
        copies, pairs, copy_axioms = _copies(enc, [x])
        answer = prover.check(axioms, [outcomes_differ(fixed, fixed.substitute(pairs)), *copy_axioms],
                              also=copies, minimize=False)
        match answer:
            case Unknown():
                return Settled(decision, "rules", f"not proved for every answer: {answer.reason}")
            case Proved():
                continue  # no answer to it alone changes anything: not asked
            case Refuted():
                case = {**facts, **{y: answer.case[y] for y in open_names}}
                a = engine.decide(reg, case, decision.date)
                b = engine.decide(reg, {**case, x: answer.also[x]}, decision.date)
                changes = _changes(a, b)
                if not changes:
                    return Settled(decision, "rules", "the solver and the engine disagree on a witness: "
                                   "please report this")
                can_change[x] = changes
    questions = tuple(replace(q, can_change=can_change[q.input],
                              needed_by=q.needed_by or tuple(c for c in can_change[q.input] if c != "eligible"))
                      for q in candidates if q.input in can_change)
    # rank: what an answer can change most first, then a registry before the citizen
    questions = tuple(sorted(questions, key=lambda q: (-len(q.can_change or ()), q.ask_citizen)))
    dropped = [q.input for q in decision.questions if q.input not in can_change]
    explanation = decision.explanation
    if dropped:
        explanation = (*explanation, "Not asked, because no answer to it can change the outcome now: "
                       + ", ".join(dropped) + ".")
    return Settled(replace(decision, questions=questions, explanation=explanation, decided_by="solver"), "solver")


def _changes(a: Decision, b: Decision) -> tuple[str, ...]:
    out: list[str] = []
    if (a.outcome, a.eligible) != (b.outcome, b.eligible):
        out.append("eligible")
    for name in a.amounts:
        if a.amounts[name] != b.amounts.get(name):
            out.append(name)
    for da, db in zip(a.documents, b.documents, strict=True):
        if da["required"] != db["required"]:
            out.append(f"document:{da['document']}")
    return tuple(out)


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


__all__ = ["DEFAULT_BUDGET", "Settled", "settle", "Question"]
