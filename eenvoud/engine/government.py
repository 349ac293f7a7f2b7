"""One government: one case decided against several regulations at once (every regulation of a
library, or those a life event bundles), and the facts still missing across all of them, each
asked once. The API's `/eligibility` and `eenvoud eval EVENT` both decide here.

A fact is the same fact wherever an input of that name appears: that is what shared modules are
for. So the facts are one flat object; each regulation takes the inputs it declares. A field no
regulation in scope declares is an error (with the likely name), and so is a value that any
regulation holding that input rejects; each such error is reported once, all of them together.

A regulation with no parameter values yet on the reference date is not in force: the others still
decide, and the caller says what that means for it.

The open questions are ordered so that the one bearing on the most regulations comes first; among
equals, the one that decides the most regulations outright (it is the last fact they need), then
the one the most rules (requirements and amounts) wait for, then a question a registry can answer
before one the citizen must, then the order of the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from eenvoud.diagnostics import RuleError, did_you_mean
from eenvoud.engine.decision import Decision, decide
from eenvoud.engine.evaluate import Program
from eenvoud.engine.facts import FactError, FactsError, parse_facts
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation

# a regulation compiled for a date: the engine's cache, or the API's bounded one
Compile = Callable[[CheckedRegulation, date], Program]

NOT_AN_OBJECT = FactError("facts", "must be a JSON object of input names and values")


@dataclass(frozen=True)
class Outcome:
    """One regulation's part: its decision, or why it is not in force on the date."""

    regulation: CheckedRegulation
    decision: Decision | None
    not_in_force: RuleError | None = None


@dataclass
class Government:
    """The decisions, in the order of the regulations asked about; or, when the facts are not
    valid, no decision and every error in the facts (one per field and message)."""

    day: date
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[FactError] = field(default_factory=list)

    @property
    def decided(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.decision is not None]

    @property
    def not_in_force(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.not_in_force is not None]

    def raise_for_errors(self) -> None:
        if self.errors:
            raise FactsError(self.errors)


def parse_for_all(raw: object, regs: Sequence[CheckedRegulation], known: Collection[str],
                  scope: str = "") -> tuple[dict[str, dict[str, Value]], list[FactError]]:
    """Each of `regs`' facts from one JSON object, and every error in it. `known`: the input names
    accepted (a field outside it is an error, said as "no regulation{scope} has an input")."""
    if not isinstance(raw, Mapping):
        return {}, [NOT_AN_OBJECT]
    errors: list[FactError] = []
    for key in raw:
        if key not in known:
            hint = did_you_mean(str(key), known)
            errors.append(FactError(str(key), f"no regulation{scope} has an input `{key}`"
                                    + (f"; {hint}" if hint else "")))
    out: dict[str, dict[str, Value]] = {}
    for reg in regs:
        try:
            out[reg.name] = parse_facts(reg, raw, allow_unknown=True)
        except FactsError as exc:
            errors.extend(e for e in exc.errors if e not in errors)
    return out, errors


def decide_all(regs: Sequence[CheckedRegulation], raw: object, day: date, program: Compile,
               known: Collection[str] | None = None, scope: str = "",
               settle: Callable[[CheckedRegulation, dict[str, Value], date], Decision] | None = None) -> Government:
    """`raw` decided against each of `regs` on `day`, each compiled by `program`. `known`: the input
    names accepted in `raw` (default: those of `regs`); see `parse_for_all`. `settle`: how a layer
    above decides one regulation (the solver's decision for every open answer); by default the
    engine's three-valued decision."""
    if known is None:
        known = {i.name for reg in regs for i in reg.inputs}
    facts, errors = parse_for_all(raw, regs, known, scope)
    result = Government(day, errors=errors)
    if errors:
        return result
    for reg in regs:
        try:
            prog = program(reg, day)
        except RuleError as exc:
            result.outcomes.append(Outcome(reg, None, exc))
            continue
        decided = decide(prog, facts[reg.name]) if settle is None else settle(reg, facts[reg.name], day)
        result.outcomes.append(Outcome(reg, decided))
    return result


@dataclass
class OpenQuestion:
    """A fact still missing, asked once for every regulation that needs it."""

    input: str
    label: str | None
    registry: str | None
    order: int
    needed_by: list[dict[str, object]] = field(default_factory=list)
    rules: int = 0
    settles: int = 0

    def rank(self) -> tuple[int, int, int, bool, int]:
        return (-len(self.needed_by), -self.settles, -self.rules, self.registry is None, self.order)

    def to_json(self) -> dict[str, object]:
        return {"input": self.input, "label": self.label, "registry": self.registry,
                "ask_citizen": self.registry is None, "settles": self.settles, "needed_by": self.needed_by}


def open_questions(decisions: Sequence[Decision]) -> list[OpenQuestion]:
    """The questions of all `decisions` merged by input, the most useful first."""
    merged: dict[str, OpenQuestion] = {}
    for d in decisions:
        for q in d.questions:
            entry = merged.get(q.input)
            if entry is None:
                entry = merged[q.input] = OpenQuestion(q.input, q.label, q.registry, len(merged))
            elif entry.registry is None and q.registry is not None:
                entry.registry = q.registry  # one registry holding it is enough
            entry.needed_by.append({"regulation": d.regulation, "rules": list(q.needed_by)})
            entry.rules += len(q.needed_by)
            if d.eligible is None and len(d.questions) == 1:
                entry.settles += 1
    return sorted(merged.values(), key=OpenQuestion.rank)
