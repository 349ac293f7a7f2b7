"""/regulations: what each regulation asks, its facts' JSON Schema, and one case decided."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from eenvoud.api.body import eligibility_body, exact_json, regulation_scope
from eenvoud.api.models import RegulationDetail, RegulationSummary
from eenvoud.api.routes.common import (
    INVALID,
    NOT_FOUND,
    NOT_JSON,
    TOO_LARGE,
    UNAUTHORIZED,
    DateQuery,
    RegulationId,
    request_body,
    service,
)
from eenvoud.api.routes.decisions import DECISION_HEADER, StoredDecisionOut, caller, stored
from eenvoud.api.service import Service

JSON = "application/json"


def router(examples: dict[str, Any]) -> APIRouter:
    r = APIRouter(prefix="/regulations", tags=["regulations"],
                  responses=UNAUTHORIZED)

    @r.get("", response_model=list[RegulationSummary], summary="every regulation this server decides")
    async def list_regulations(request: Request) -> list[dict[str, object]]:
        return service(request).summaries()

    @r.get("/{regulation_id}", response_model=RegulationDetail, responses=NOT_FOUND,
           summary="a regulation's inputs, requirements, amounts, documents and parameters on a date")
    async def regulation(
        regulation_id: RegulationId, request: Request, date: DateQuery = None
    ) -> dict[str, object]:
        return service(request).detail(regulation_id, date)

    @r.get("/{regulation_id}/schema", responses=NOT_FOUND,
           summary="the JSON Schema of a regulation's facts, from its declared inputs")
    async def facts_schema(regulation_id: RegulationId, request: Request) -> dict[str, Any]:
        return service(request).facts_schema(regulation_id)

    @r.post(
        "/{regulation_id}/eligibility",
        response_model=StoredDecisionOut,
        responses={**NOT_FOUND, **INVALID, **TOO_LARGE, **NOT_JSON},
        summary="decide one case: eligibility, amounts, reasons and the questions still open",
        description="The same decision object as `eenvoud eval --json`. A fact left out or null is "
                    "unknown: the decision is then `eligible: null` with the facts that could decide it. When "
                    "the server keeps decisions, the answer has `decision_id`, also in the `X-Decision-Id` header, "
                    "and is stored before it is given.",
        openapi_extra=request_body(examples),
    )
    async def eligibility(regulation_id: RegulationId, request: Request) -> Response:
        # nearly every request is one of these: hot.py answers them before FastAPI routes them, with
        # the same `decide`; this route documents them and answers any that reach FastAPI
        data = await exact_json(request)
        body, decision_id = await decide(service(request), regulation_id, data, caller(request))
        return Response(body, media_type=JSON, headers=None if decision_id is None else {DECISION_HEADER: decision_id})

    return r


async def decide(svc: Service, regulation_id: str, data: Any, who: str | None) -> tuple[bytes, str | None]:
    """One case decided from its parsed body (`body.parse_json`): the answer's bytes, and the id under
    which the decision is stored (None when the server keeps none); stored before this returns."""
    body = eligibility_body(data, lambda: regulation_scope(svc.regulation(regulation_id)))
    if svc.audit is None:
        return svc.decide(regulation_id, body), None
    made = svc.decide_for_store(regulation_id, body, who)
    await stored(svc.audit, made)
    return made.body, made.id
