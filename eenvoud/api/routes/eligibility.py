"""/eligibility: one government. A case against every regulation, and the open questions once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from eenvoud.api.body import eligibility_request
from eenvoud.api.models import GovernmentOut
from eenvoud.api.routes.common import INVALID, TOO_LARGE, UNAUTHORIZED, request_body, service


def router(examples: dict[str, Any]) -> APIRouter:
    r = APIRouter(tags=["eligibility"], responses=UNAUTHORIZED)

    @r.post(
        "/eligibility",
        response_model=GovernmentOut,
        responses={**INVALID, **TOO_LARGE},
        summary="decide a case against every regulation; list each open question once",
        description="Facts are shared: an input of the same name means the same fact in every regulation. "
                    "`questions` lists each missing fact once, with the regulations and requirements that "
                    "need it and the registry that holds it; the question bearing on the most regulations "
                    "comes first.",
        openapi_extra=request_body(examples),
    )
    async def eligibility_everywhere(request: Request) -> Response:
        body = await eligibility_request(request)
        return Response(service(request).decide_all(body), media_type="application/json")

    return r
