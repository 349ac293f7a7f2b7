"""POST /diff: an agency's own what-if. Two versions of a regulation (two rule texts on a date, or a
regulation of the library on two dates) compared by `eenvoud.analysis.diff`, bounded by the solver
budget (a few regions per change, each query under its resource limit) and the body limits."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from eenvoud.api.body import exact_json
from eenvoud.api.errors import ClientError
from eenvoud.api.routes.common import INVALID, NOT_JSON, TOO_LARGE, UNAUTHORIZED, service
from eenvoud.diagnostics import RuleError
from eenvoud.ir.checked import CheckedRegulation

MAX_TEXT = 200_000  # characters of one rule text
REGIONS = 4  # regions per change: the what-if answers within seconds, not minutes
SECONDS = 1.0  # per solver query
_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _date(body: dict[str, Any], field: str, required: bool) -> dt.date | None:
    raw = body.get(field)
    if raw is None:
        if required:
            raise ClientError.at(["body", field], "a date like 2025-01-01 is required", "missing")
        return None
    import re

    if not isinstance(raw, str) or not re.match(_DATE, raw):
        raise ClientError.at(["body", field], "expected a date like 2025-01-01", "date_parsing")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ClientError.at(["body", field], "no such date", "date_parsing") from None


def _text(body: dict[str, Any], field: str) -> CheckedRegulation:
    from eenvoud.dsl.load import load_text

    raw = body.get(field)
    if not isinstance(raw, str) or not raw.strip():
        raise ClientError.at(["body", field], "expected the rule text of a regulation", "string_type")
    if len(raw) > MAX_TEXT:
        raise ClientError.at(["body", field], f"a rule text has at most {MAX_TEXT:,} characters", "string_too_long")
    try:
        reg = load_text(raw, f"<{field}>")
    except RuleError as exc:
        first = exc.diagnostics[0]
        where = f" (line {first.span.line})" if first.span is not None else ""
        raise ClientError.at(["body", field], f"the rules do not check: {first.message}{where}",
                             "value_error") from None
    if not reg.is_regulation():
        raise ClientError.at(["body", field], "a regulation is needed, not a module", "value_error")
    return reg


def router() -> APIRouter:
    r = APIRouter(tags=["analysis"], responses=UNAUTHORIZED)

    @r.post(
        "/diff",
        responses={**INVALID, **TOO_LARGE, **NOT_JSON},
        summary="who gains and who loses between two versions of a regulation (Z3)",
        description='Body: {"old": RULES, "new": RULES, "date": D} (two texts, one date; rules that import '
                    'files are not accepted here) or {"regulation": ID, "date": D1, "new_date": D2} (a '
                    "regulation of the library on two dates). The answer is `eenvoud diff --json`: regions "
                    "(outcome, change, condition, witness, old_value, new_value), each witness replayed by the "
                    f"engine; at most {REGIONS} regions per change, {SECONDS:g} s per solver query.",
    )
    async def diff(request: Request) -> JSONResponse:
        from eenvoud.analysis.diff import DiffError, compare
        from eenvoud.analysis.prover import Budget

        body = await exact_json(request)
        if not isinstance(body, dict):
            raise ClientError.at(["body"], 'expected a JSON object like {"regulation": "zorgtoeslag", '
                                 '"date": "2024-01-01", "new_date": "2025-01-01"}', "model_attributes_type")
        unknown = sorted(set(body) - {"old", "new", "regulation", "date", "new_date"})
        if unknown:
            raise ClientError.at(["body", unknown[0]], "unknown field: send old and new, or regulation",
                                 "extra_forbidden")
        day = _date(body, "date", True)
        assert day is not None
        if "regulation" in body:
            if "old" in body or "new" in body:
                raise ClientError.at(["body", "regulation"], "send either regulation or old and new, not both",
                                     "value_error")
            rid = body["regulation"]
            if not isinstance(rid, str):
                raise ClientError.at(["body", "regulation"], "expected a regulation id", "string_type")
            reg = service(request).regulation(rid)
            old_reg, new_reg = reg, reg
            new_day = _date(body, "new_date", True)
        else:
            old_reg, new_reg = _text(body, "old"), _text(body, "new")
            new_day = _date(body, "new_date", False)
        assert new_day is not None or "regulation" not in body

        def run() -> dict[str, Any]:
            result = compare(old_reg, day, new_reg, new_day or day, budget=Budget(SECONDS, backstop=False),
                             bound=REGIONS)
            return result.to_json()

        try:
            data = await asyncio.to_thread(run)
        except DiffError as exc:
            raise ClientError.at(["body", "date"], str(exc), "value_error") from None
        return JSONResponse(data)

    return r
