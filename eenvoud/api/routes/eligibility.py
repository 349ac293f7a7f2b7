"""/eligibility and /events: one government. A case against every regulation (or those of a life
event), and the open questions once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from eenvoud.api.body import eligibility_request, library_scope
from eenvoud.api.models import EventSummary, GovernmentOut
from eenvoud.api.routes.common import (
    INVALID,
    NOT_FOUND,
    NOT_JSON,
    TOO_LARGE,
    UNAUTHORIZED,
    request_body,
    service,
)

EventQuery = Annotated[str | None, Query(description="a life event (GET /events): only the regulations it bundles")]


def router(examples: dict[str, Any]) -> APIRouter:
    r = APIRouter(tags=["eligibility"], responses=UNAUTHORIZED)

    @r.post(
        "/eligibility",
        response_model=GovernmentOut,
        responses={**INVALID, **TOO_LARGE, **NOT_FOUND, **NOT_JSON},
        summary="decide a case against every regulation; list each open question once",
        description="Facts are shared: an input of the same name means the same fact in every regulation. "
                    "`questions` lists each missing fact once, with the regulations and requirements that "
                    "need it and the registry that holds it; the question bearing on the most regulations "
                    "comes first.",
        openapi_extra=request_body(examples),
    )
    async def eligibility_everywhere(request: Request, event: EventQuery = None) -> Response:
        svc = service(request)
        body = await eligibility_request(request, lambda: library_scope(svc.library))
        return Response(svc.decide_all(body, event), media_type="application/json")

    @r.get("/events", response_model=list[EventSummary],
           summary="life events: the regulations a person meets at once (birth, moving, turning 18)")
    async def events(request: Request) -> list[dict[str, object]]:
        return service(request).events()

    return r
