"""What the routers share: the service, the documented error responses, the request body's schema."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import BeforeValidator

from eenvoud.api.models import EligibilityRequest, ErrorOut, ValidationErrorOut, iso_date
from eenvoud.api.service import Service


def service(request: Request) -> Service:
    """The app's service. Handlers take the Request and call this, rather than declaring
    dependencies: FastAPI's dependency resolution was a large share of a decision's time."""
    svc: Service = request.app.state.service
    return svc

# any id but the library's is a 404, so a plain string, not an enum; app.py adds the library's ids
# as examples to the OpenAPI document
RegulationId = Annotated[str, Path(description="a regulation's id, as listed by GET /regulations")]
DateQuery = Annotated[dt.date | None, BeforeValidator(iso_date),
                      Query(description="the reference date (YYYY-MM-DD); today when left out")]


UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut, "description": "an API key is needed"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such regulation"}}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationErrorOut, "description": "a field is wrong: `loc` is its JSON path"}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"model": ErrorOut, "description": "the body is over 1 MiB"}}
NOT_JSON: dict[int | str, dict[str, Any]] = {
    415: {"model": ErrorOut, "description": "the body was not sent as `Content-Type: application/json`"}
}


def request_body(examples: dict[str, Any]) -> dict[str, Any]:
    """The body as OpenAPI shows it. The route reads the raw body itself, so that numbers are
    parsed exactly, and FastAPI would otherwise not know its schema."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": EligibilityRequest.model_json_schema(),
                    "examples": examples,
                }
            },
        }
    }
