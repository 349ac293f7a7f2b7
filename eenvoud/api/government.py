"""One government: a case decided against every regulation at once, and the facts still missing
across all of them, each asked once.

A fact is the same fact wherever an input of that name appears: that is what shared modules are
for. The open questions are ordered so that the one bearing on the most undetermined regulations
comes first, then the one that decides the most of them outright (it is the last fact they need),
then questions a registry can answer before those the citizen must, then the order of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from eenvoud.api.programs import Programs
from eenvoud.diagnostics import did_you_mean
from eenvoud.engine import values as v
from eenvoud.engine.decision import Decision
from eenvoud.engine.facts import FactError, FactsError, parse_facts
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library


@dataclass(frozen=True)
class Outcome:
    regulation: CheckedRegulation
    decision: Decision


def parse_for_all(library: Library, raw: object) -> dict[str, dict[str, Value]]:
    """Each regulation's facts from one JSON object. A field no regulation declares is an error
    (with the likely name); so is a value that any regulation holding that input rejects."""
    if not isinstance(raw, Mapping):
        raise FactsError([FactError("facts", "must be a JSON object of input names and values")])
    known = {i.name for reg in library.regulations.values() for i in reg.inputs}
    errors: list[FactError] = []
    for key in raw:
        if key not in known:
            hint = did_you_mean(str(key), known)
            errors.append(FactError(str(key), f"no regulation has an input `{key}`" + (f"; {hint}" if hint else "")))
    out: dict[str, dict[str, Value]] = {}
    for reg in library.regulations.values():
        try:
            out[reg.name] = parse_facts(reg, raw, allow_unknown=True)
        except FactsError as exc:
            errors.extend(e for e in exc.errors if e not in errors)
    if errors:
        raise FactsError(errors)
    return out


def decide_all(library: Library, programs: Programs, raw: object, day: date) -> dict[str, object]:
    facts = parse_for_all(library, raw)
    outcomes = [Outcome(reg, programs.decide(reg, facts[name], day)) for name, reg in library.regulations.items()]
    return {
        "date": day,
        "eligible": [o.regulation.name for o in outcomes if o.decision.eligible is True],
        "not_eligible": [o.regulation.name for o in outcomes if o.decision.eligible is False],
        "undetermined": [o.regulation.name for o in outcomes if o.decision.eligible is None],
        "regulations": [_outcome(o) for o in outcomes],
        "questions": open_questions(outcomes),
    }


def _outcome(o: Outcome) -> dict[str, object]:
    d = o.decision
    return {
        "regulation": o.regulation.name, "title": o.regulation.title, "agency": o.regulation.agency,
        "hash": d.hash, "outcome": d.outcome, "eligible": d.eligible,
        "amounts": {k: v.to_json(x, k in d.money_amounts) for k, x in d.amounts.items()},
        "missing": d.missing,
    }


def open_questions(outcomes: list[Outcome]) -> list[dict[str, object]]:
    merged: dict[str, dict[str, object]] = {}
    needs: dict[str, list[dict[str, object]]] = {}
    settles: dict[str, int] = {}
    for o in outcomes:
        d = o.decision
        for q in d.questions:
            if q.input not in merged:
                merged[q.input] = {"input": q.input, "label": q.label, "registry": q.registry}
            elif merged[q.input]["registry"] is None and q.registry is not None:
                merged[q.input]["registry"] = q.registry  # one registry holding it is enough
            needs.setdefault(q.input, []).append({"regulation": d.regulation, "requirements": list(q.needed_by)})
            if d.eligible is None and len(d.questions) == 1:
                settles[q.input] = settles.get(q.input, 0) + 1
    first_seen = {name: k for k, name in enumerate(merged)}

    def rank(name: str) -> tuple[int, int, int, int]:
        return (-len(needs[name]), -settles.get(name, 0), merged[name]["registry"] is None, first_seen[name])

    return [
        {**merged[name], "ask_citizen": merged[name]["registry"] is None, "settles": settles.get(name, 0),
         "needed_by": needs[name]}
        for name in sorted(merged, key=rank)
    ]
