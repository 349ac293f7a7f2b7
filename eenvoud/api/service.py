"""What the routes call: the library, compiled programs and analyses behind one object, so that
handlers only translate HTTP into these calls and back.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import HTTPException

from eenvoud.analysis.determinacy import decision as settled_decision
from eenvoud.api import describe, government, schema
from eenvoud.api.analysis import Analyses, AnalysisResult, find_analyzer
from eenvoud.api.models import EligibilityRequest
from eenvoud.api.programs import Programs
from eenvoud.audit import Audit, Made
from eenvoud.diagnostics import did_you_mean
from eenvoud.engine import government as gov
from eenvoud.engine.facts import parse_facts
from eenvoud.engine.values import Value
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library


def _iso(x: object) -> str:
    if isinstance(x, date):
        return x.isoformat()
    raise TypeError(f"{type(x).__name__} is not JSON")


# built once (json.dumps with options builds an encoder each call); answers are trees, not graphs
_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_iso, check_circular=False).encode


def dump(data: Any) -> bytes:
    return _dump(data).encode()


class Service:
    def __init__(self, library: Library, analyses: Analyses | None = None, audit: Audit | None = None) -> None:
        self.library = library
        self.audit = audit  # the decision store; None: decisions are not kept
        self.programs = Programs()
        # the library's derived facts (`age` from `birth_date`), for the one-regulation route too
        self.derived = gov.derivations([*library.regulations.values(), *library.modules.values()])
        self.analyses = analyses if analyses is not None else Analyses(
            analyzer=find_analyzer([*library.regulations.values(), *library.modules.values()]))

    def regulation(self, regulation_id: str) -> CheckedRegulation:
        reg = self.library.get(regulation_id)
        if reg is None:
            hint = did_you_mean(regulation_id, self.library.regulations)
            known = ", ".join(f"`{r}`" for r in sorted(self.library.regulations)) or "none"
            raise HTTPException(404, f"no regulation `{regulation_id}`; "
                                     + (hint if hint else f"the regulations here are {known}"))
        return reg

    def summaries(self) -> list[dict[str, object]]:
        return [describe.summary(r) for _, r in sorted(self.library.regulations.items())]

    def detail(self, regulation_id: str, day: date | None) -> dict[str, object]:
        return describe.detail(self.regulation(regulation_id), day or date.today())

    def facts_schema(self, regulation_id: str) -> dict[str, Any]:
        return schema.facts_schema(self.regulation(regulation_id))

    def _facts(self, reg: CheckedRegulation, request: EligibilityRequest) -> tuple[dict[str, Value], date]:
        """One regulation's facts and date; a derived fact given beside its sources that disagrees
        with them (`age` against `birth_date`) is refused as the one-government answer refuses it."""
        facts = parse_facts(reg, request.facts)
        day = request.date or date.today()
        government.refuse_disagreements(gov.contradictions(reg, facts, request.facts, day, self.programs.get,
                                                           self.derived))
        return facts, day

    def decide(self, regulation_id: str, request: EligibilityRequest) -> bytes:
        """The decision as JSON bytes: the same object as `eenvoud eval --json`."""
        reg = self.regulation(regulation_id)
        facts, day = self._facts(reg, request)
        return dump(settled_decision(reg, facts, day).to_json())

    def decide_for_store(self, regulation_id: str, request: EligibilityRequest, caller: str | None) -> Made:
        """The decision with its id, and the record the caller must store before answering."""
        assert self.audit is not None
        reg = self.regulation(regulation_id)
        facts, day = self._facts(reg, request)
        return self.audit.make(reg, day, request.facts, settled_decision(reg, facts, day).to_json(), caller)

    def event(self, event_id: str) -> CheckedRegulation:
        event = self.library.events.get(event_id)
        if event is None:
            hint = did_you_mean(event_id, self.library.events)
            known = ", ".join(f"`{e}`" for e in sorted(self.library.events)) or "none"
            raise HTTPException(404, f"no life event `{event_id}`; "
                                     + (hint if hint else f"the life events here are {known}"))
        return event

    def events(self) -> list[dict[str, object]]:
        return [{"id": e.name, "title": e.title, "regulations": [r.name for r in self.library.event_regulations(e)]}
                for _, e in sorted(self.library.events.items())]

    def decide_all(self, request: EligibilityRequest, event_id: str | None = None) -> bytes:
        event = self.event(event_id) if event_id is not None else None
        return dump(government.decide_all(self.library, self.programs, request.facts, request.date or date.today(),
                                          event, self.derived))

    async def analysis(self, regulation_id: str, day: date | None) -> tuple[CheckedRegulation, date, AnalysisResult, bool]:
        reg = self.regulation(regulation_id)
        day = day or date.today()
        result, cached = await self.analyses.get(reg, day)
        return reg, day, result, cached
