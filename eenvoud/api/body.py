"""Request bodies read as exact JSON: a number with a fraction becomes a Decimal, never a float,
so "income": 20000.10 reaches the engine as exactly 20000.10.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from eenvoud.api.errors import ClientError, pydantic_errors
from eenvoud.api.models import EligibilityRequest


def _no_constants(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON number")


async def exact_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise ClientError.at(["body"], 'the request needs a JSON body, like {"date": "2025-01-01", "facts": {}}',
                             "missing")
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ClientError.at(["body"], f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                             "json_invalid") from None
    except UnicodeDecodeError:
        raise ClientError.at(["body"], "the body is not UTF-8 text", "json_invalid") from None
    except ValueError as exc:
        raise ClientError.at(["body"], f"not valid JSON: {exc}", "json_invalid") from None
    except RecursionError:
        raise ClientError.at(["body"], "the JSON is nested too deeply", "json_invalid") from None


async def eligibility_request(request: Request) -> EligibilityRequest:
    data = await exact_json(request)
    if not isinstance(data, dict):
        raise ClientError.at(["body"], 'expected a JSON object like {"date": "2025-01-01", "facts": {}}',
                             "model_type")
    try:
        return EligibilityRequest.model_validate(data)
    except ValidationError as exc:
        errors = pydantic_errors(exc.errors())
        raise ClientError([{**e, "loc": ["body", *e["loc"]]} for e in errors]) from None
