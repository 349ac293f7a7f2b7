"""One government in the API: a case decided against every regulation of the library at once (or
those a life event bundles), as JSON. The deciding and the merging of the open questions are the
engine's (`eenvoud.engine.government`); here are the API's scope (a field is accepted when any
regulation of the library declares it), the regulations not in force, and the answer's shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from eenvoud.analysis.determinacy import decision as settled_decision
from eenvoud.analysis.questions import decides, gains
from eenvoud.api.errors import ClientError
from eenvoud.api.programs import Programs
from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.engine import government as gov
from eenvoud.engine import values as v
from eenvoud.engine.decision import Decision
from eenvoud.engine.facts import FactError
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library


def decide_all(library: Library, programs: Programs, raw: object, day: date,
               event: CheckedRegulation | None = None,
               derived: Mapping[str, gov.Derived] | None = None) -> dict[str, object]:
    """Every regulation of the library, or those a life event bundles. A field is accepted when
    any regulation of the library declares it (the others of an event ignore it). `derived`: the
    library's derived facts (default: those of every file of the library), so that an event's
    regulations get them even when none of them imports the file that defines one."""
    regs = library.event_regulations(event) if event is not None else list(library.regulations.values())
    known = {i.name for reg in library.regulations.values() for i in reg.inputs}
    if derived is None:
        derived = gov.derivations([*library.regulations.values(), *library.modules.values()])
    result = gov.decide_all(regs, raw, day, programs.get, known, settle=settled_decision, derived=derived)
    refuse_disagreements(result.errors)
    result.raise_for_errors()
    decided = [(o.regulation, o.decision) for o in result.outcomes if o.decision is not None]
    if regs and not decided:
        # no regulation is in force on this date: the date itself is wrong
        raise RuleError([d for o in result.not_in_force if o.not_in_force for d in o.not_in_force.diagnostics])
    not_in_force = [_not_in_force(o.regulation, o.not_in_force) for o in result.not_in_force if o.not_in_force]
    return {
        "date": day,
        "event": None if event is None else event.name,
        "eligible": [reg.name for reg, d in decided if d.eligible is True],
        "not_eligible": [reg.name for reg, d in decided if d.eligible is False],
        "undetermined": [reg.name for reg, d in decided if d.eligible is None],
        "not_in_force": [str(x["regulation"]) for x in not_in_force],
        "regulations": [_outcome(reg, d) for reg, d in decided] + not_in_force,
        "questions": [q.to_json() for q in gov.open_questions([d for _, d in decided], derived,
                                                              _gains(programs, result, day))],
    }


def _gains(programs: Programs, result: gov.Government, day: date) -> dict[tuple[str, str], float]:
    """Per undetermined regulation and open question: how many facts still needed there an answer
    settles (`questions.gains`, as the single-regulation ranking has it; kept per facts)."""
    out: dict[tuple[str, str], float] = {}
    for o in result.decided:
        d = o.decision
        if d is None or d.error is not None or not d.questions:
            continue
        asked = [q.input for q in d.questions if decides(q)]
        for name, gain in gains(programs.get(o.regulation, day), o.facts, asked).items():
            out[(d.regulation, name)] = gain
    return out


def refuse_disagreements(errors: Sequence[FactError]) -> None:
    """One case is one person: a 422 that says which facts contradict each other (a derived fact
    and the facts it is derived from), quoting none of them."""
    disagreements = [e for e in errors if isinstance(e, gov.Disagreement)]
    if disagreements:
        raise ClientError([{"loc": ["body", "facts", e.field], "msg": e.safe, "type": "facts"} for e in disagreements])


def _outcome(reg: CheckedRegulation, d: Decision) -> dict[str, object]:
    return {
        "regulation": reg.name, "title": reg.title, "agency": reg.agency,
        "hash": d.hash, "outcome": d.outcome, "eligible": d.eligible,
        "amounts": {k: v.to_json(x, k in d.money_amounts) for k, x in d.amounts.items()},
        "missing": d.missing, "note": None,
    }


def _not_in_force(reg: CheckedRegulation, exc: RuleError) -> dict[str, object]:
    first: Diagnostic = exc.diagnostics[0]
    return {
        "regulation": reg.name, "title": reg.title, "agency": reg.agency, "hash": reg.hash,
        "outcome": "not in force", "eligible": None, "amounts": {}, "missing": [],
        "note": first.message + (f" ({first.help})" if first.help else ""),
    }
