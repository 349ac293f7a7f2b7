"""One government: a case decided against every regulation at once, and the facts still missing
across all of them, each asked once.

A fact is the same fact wherever an input of that name appears: that is what shared modules are
for. The open questions are ordered so that the one bearing on the most regulations comes first;
among equals, the one that decides the most regulations outright (it is the last fact they need),
then the one the most rules (requirements and amounts) wait for, then a question a registry can
answer before one the citizen must, then the order of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from eenvoud.api.programs import Programs
from eenvoud.diagnostics import Diagnostic, RuleError, did_you_mean
from eenvoud.engine import values as v
from eenvoud.engine.decision import Decision, decide
from eenvoud.engine.facts import FactError, FactsError, parse_facts
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library


@dataclass(frozen=True)
class Outcome:
    regulation: CheckedRegulation
    decision: Decision


def parse_for_all(library: Library, raw: object, regs: list[CheckedRegulation]) -> dict[str, dict[str, Value]]:
    """Each of `regs`' facts from one JSON object. A field no regulation of the library declares is
    an error (with the likely name); so is a value that any of `regs` holding that input rejects."""
    if not isinstance(raw, Mapping):
        raise FactsError([FactError("facts", "must be a JSON object of input names and values")])
    known = {i.name for reg in library.regulations.values() for i in reg.inputs}
    errors: list[FactError] = []
    for key in raw:
        if key not in known:
            hint = did_you_mean(str(key), known)
            errors.append(FactError(str(key), f"no regulation has an input `{key}`" + (f"; {hint}" if hint else "")))
    out: dict[str, dict[str, Value]] = {}
    for reg in regs:
        try:
            out[reg.name] = parse_facts(reg, raw, allow_unknown=True)
        except FactsError as exc:
            errors.extend(e for e in exc.errors if e not in errors)
    if errors:
        raise FactsError(errors)
    return out


def decide_all(library: Library, programs: Programs, raw: object, day: date,
               event: CheckedRegulation | None = None) -> dict[str, object]:
    """Every regulation of the library, or those a life event bundles."""
    regs = library.event_regulations(event) if event is not None else list(library.regulations.values())
    facts = parse_for_all(library, raw, regs)
    outcomes: list[Outcome] = []
    not_in_force: list[dict[str, object]] = []
    errors: list[Diagnostic] = []
    for reg in regs:
        try:
            prog = programs.get(reg, day)
        except RuleError as exc:
            # a regulation with no parameter values yet on this date is not in force: the others
            # still decide (only when none is, the date itself is wrong)
            errors.extend(exc.diagnostics)
            not_in_force.append(_not_in_force(reg, exc))
            continue
        outcomes.append(Outcome(reg, decide(prog, facts[reg.name])))
    if regs and not outcomes:
        raise RuleError(errors)
    return {
        "date": day,
        "event": None if event is None else event.name,
        "eligible": [o.regulation.name for o in outcomes if o.decision.eligible is True],
        "not_eligible": [o.regulation.name for o in outcomes if o.decision.eligible is False],
        "undetermined": [o.regulation.name for o in outcomes if o.decision.eligible is None],
        "not_in_force": [str(x["regulation"]) for x in not_in_force],
        "regulations": [_outcome(o) for o in outcomes] + not_in_force,
        "questions": open_questions(outcomes),
    }


def _outcome(o: Outcome) -> dict[str, object]:
    d = o.decision
    return {
        "regulation": o.regulation.name, "title": o.regulation.title, "agency": o.regulation.agency,
        "hash": d.hash, "outcome": d.outcome, "eligible": d.eligible,
        "amounts": {k: v.to_json(x, k in d.money_amounts) for k, x in d.amounts.items()},
        "missing": d.missing, "note": None,
    }


def _not_in_force(reg: CheckedRegulation, exc: RuleError) -> dict[str, object]:
    first = exc.diagnostics[0]
    return {
        "regulation": reg.name, "title": reg.title, "agency": reg.agency, "hash": reg.hash,
        "outcome": "not in force", "eligible": None, "amounts": {}, "missing": [],
        "note": first.message + (f" ({first.help})" if first.help else ""),
    }


@dataclass
class _Open:
    input: str
    label: str | None
    registry: str | None
    order: int
    needed_by: list[dict[str, object]] = field(default_factory=list)
    rules: int = 0
    settles: int = 0

    def rank(self) -> tuple[int, int, int, bool, int]:
        return (-len(self.needed_by), -self.settles, -self.rules, self.registry is None, self.order)


def open_questions(outcomes: list[Outcome]) -> list[dict[str, object]]:
    merged: dict[str, _Open] = {}
    for o in outcomes:
        d = o.decision
        for q in d.questions:
            entry = merged.get(q.input)
            if entry is None:
                entry = merged[q.input] = _Open(q.input, q.label, q.registry, len(merged))
            elif entry.registry is None and q.registry is not None:
                entry.registry = q.registry  # one registry holding it is enough
            entry.needed_by.append({"regulation": d.regulation, "rules": list(q.needed_by)})
            entry.rules += len(q.needed_by)
            if d.eligible is None and len(d.questions) == 1:
                entry.settles += 1
    return [
        {"input": e.input, "label": e.label, "registry": e.registry, "ask_citizen": e.registry is None,
         "settles": e.settles, "needed_by": e.needed_by}
        for e in sorted(merged.values(), key=_Open.rank)
    ]
