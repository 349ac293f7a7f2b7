"""/regulations: what each regulation asks, its facts' JSON Schema, and one case decided."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from eenvoud.api.models import DecisionOut, RegulationDetail, RegulationSummary
from eenvoud.api.routes.common import (
    INVALID,
    NOT_FOUND,
    TOO_LARGE,
    UNAUTHORIZED,
    BodyDep,
    DateQuery,
    RegulationId,
    ServiceDep,
    request_body,
)
from eenvoud.api.security import require_key

JSON = "application/json"


def router(examples: dict[str, Any]) -> APIRouter:
    r = APIRouter(prefix="/regulations", tags=["regulations"], dependencies=[Depends(require_key)],
                  responses=UNAUTHORIZED)

    @r.get("", response_model=list[RegulationSummary], summary="every regulation this server decides")
    def list_regulations(svc: ServiceDep) -> list[dict[str, object]]:
        return svc.list()

    @r.get("/{regulation_id}", response_model=RegulationDetail, responses=NOT_FOUND,
           summary="a regulation's inputs, requirements, amounts, documents and parameters on a date")
    def regulation(
        regulation_id: RegulationId, svc: ServiceDep, date: DateQuery = None
    ) -> dict[str, object]:
        return svc.detail(regulation_id, date)

    @r.get("/{regulation_id}/schema", responses={**NOT_FOUND, 200: {"content": {"application/schema+json": {}}}},
           summary="the JSON Schema of a regulation's facts, from its declared inputs")
    def facts_schema(regulation_id: RegulationId, svc: ServiceDep) -> dict[str, Any]:
        return svc.facts_schema(regulation_id)

    @r.post(
        "/{regulation_id}/eligibility",
        response_model=DecisionOut,
        responses={**NOT_FOUND, **INVALID, **TOO_LARGE},
        summary="decide one case: eligibility, amounts, reasons and the questions still open",
        description="The same decision object as `eenvoud eval --json`. A fact left out or null is "
                    "unknown: the decision is then `eligible: null` with the facts that could decide it.",
        openapi_extra=request_body(examples),
    )
    def eligibility(regulation_id: RegulationId, body: BodyDep, svc: ServiceDep) -> Response:
        return Response(svc.decide(regulation_id, body), media_type=JSON)

    return r
