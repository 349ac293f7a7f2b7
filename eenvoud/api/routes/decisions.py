"""/decisions: the decision store. A stored decision, its replay from the stored rule text and
facts, and the decision after an objection (corrected or added facts), linked to the first and
explained. The routes exist only on a server that keeps decisions (not with `eenvoud serve --no-store`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request, Response
from pydantic import Field, ValidationError
from starlette.types import Scope

from eenvoud.api.body import exact_json
from eenvoud.api.errors import ClientError, pydantic_errors
from eenvoud.api.keys import ENV_KEY_FILE, digest
from eenvoud.api.models import Closed, DecisionOut, ErrorOut
from eenvoud.api.routes.common import INVALID, UNAUTHORIZED, service
from eenvoud.api.security import bearer_token
from eenvoud.api.service import dump
from eenvoud.audit import Audit, CannotReplay, Made, NotFound

JSON = "application/json"
DECISION_HEADER = "X-Decision-Id"
log = logging.getLogger("eenvoud.api")

DecisionId = Annotated[str, Path(description="a decision's id, as returned in `decision_id` and `X-Decision-Id`",
                                 max_length=64)]
MISSING: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such decision, or no store"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "the decision's facts are no longer kept (retention), so it cannot be "
                                            "decided again"}}


class StoredDecisionOut(DecisionOut):
    decision_id: str | None = Field(default=None, description="present when the server keeps decisions: the id "
                                                               "under which this one is stored (also in X-Decision-Id)")


class RedecideRequest(Closed):
    """After an objection: the facts to correct or add (null makes a fact unknown); every other
    fact is the stored one."""

    facts: dict[str, Any] = Field(default_factory=dict, description="corrected or added facts, by input name")
    date: dt.date | None = Field(default=None, description="the reference date; the first decision's when left out")
    rules: Literal["stored", "current"] = Field(
        default="stored", description="`stored`: the rules the first decision was made with; `current`: the "
                                      "regulation as this server has it now")


class RedecisionOut(Closed):
    decision_id: str
    previous: str = Field(description="the decision this one redecides")
    changes: list[str] = Field(description="what changed, in plain language: facts, outcome, requirements, amounts")
    decision: StoredDecisionOut


# -- the caller: the API key's name, never the key -------------------------------------------------


_NAMED = re.compile(r"^\s*sha256:([0-9a-fA-F]{64})\s*#\s*(.+?)\s*$")


def key_names(env: Mapping[str, str] | None = None) -> dict[bytes, str]:
    """Names of keys, from the comments of the key file (`sha256:<hex>  # the citizen portal`)."""
    env = os.environ if env is None else env
    path = env.get(ENV_KEY_FILE, "").strip()
    names: dict[bytes, str] = {}
    if path:
        try:
            lines = FilePath(path).read_text(encoding="utf-8").splitlines()
        except OSError:
            return names
        for line in lines:
            m = _NAMED.match(line)
            if m:
                names[bytes.fromhex(m.group(1))] = m.group(2)[:200]
    return names


def caller(request: Request) -> str | None:
    """Who asked: the name of the API key used, or `key sha256:<first 12 hex digits of its hash>`
    for a key without a name; None on an open server."""
    return caller_in(request.app.state, request.scope)


def caller_in(state: Any, scope: Scope) -> str | None:
    """`caller` from the app's state and the request's ASGI scope (for the hot path, hot.py)."""
    if not state.keys.required:
        return None
    token = bearer_token(scope)
    if token is None:
        return None
    h = digest(token)
    name: str | None = state.key_names.get(h)
    return name if name is not None else f"key sha256:{h.hex()[:12]}"


# -- storing ---------------------------------------------------------------------------------------


async def store(audit: Audit, made: Made) -> Response:
    """Answer only once the decision is stored: an unstored decision is not given."""
    await stored(audit, made)
    return Response(made.body, media_type=JSON, headers={DECISION_HEADER: made.id})


async def stored(audit: Audit, made: Made) -> None:
    """Return once `made` is stored; a 503 when the store failed."""
    try:
        await audit.save_async(made)
    except Exception as exc:
        log.error("the decision store failed: %s", type(exc).__name__)  # never the message: it may quote facts
        raise HTTPException(503, "the decision could not be stored, so it is not given; try again later") from None


def _audit(request: Request) -> Audit:
    audit = service(request).audit
    if audit is None:
        raise HTTPException(404, "this server keeps no decisions (it was started with --no-store)")
    return audit


def _run(audit: Audit, what: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except CannotReplay as exc:
        raise HTTPException(409, f"cannot {what}: {exc}") from None


def router() -> APIRouter:
    r = APIRouter(prefix="/decisions", tags=["decisions"], responses={**UNAUTHORIZED, **MISSING})

    @r.get("/{decision_id}", summary="a stored decision: when, on which rules, for whom, and what was decided",
           description="The outcome exactly as returned, the regulation's content hash and the id of the rule "
                       "text it was made with, the engine version, the caller (an API key's name), the facts "
                       "(null once the retention run removed them), and the decisions that redecided it.")
    async def get_decision(decision_id: DecisionId, request: Request) -> Response:
        audit = _audit(request)
        stored = await asyncio.to_thread(_run, audit, "read it", audit.get, decision_id)
        return Response(dump(await asyncio.to_thread(audit.describe, stored)), media_type=JSON)

    @r.get("/{decision_id}/rules", summary="the rule text a decision was made with",
           description="The regulation and every file it imports, as written and in canonical form.")
    async def get_rules(decision_id: DecisionId, request: Request) -> Response:
        audit = _audit(request)
        stored = await asyncio.to_thread(_run, audit, "read it", audit.get, decision_id)
        files = await asyncio.to_thread(audit.rule_text, stored)
        return Response(dump({"decision_id": stored.id, "hash": stored.content_hash, "rule_set": stored.rule_set,
                              "files": files}), media_type=JSON)

    @r.get("/{decision_id}/replay", responses=CONFLICT,
           summary="decide again from the stored rule text and facts, and compare the bytes",
           description="`identical` is true when the replayed decision is byte for byte the stored one; "
                       "otherwise `differences` lists each JSON path that differs, and `engine_version` the "
                       "version then and now.")
    async def replay(decision_id: DecisionId, request: Request) -> Response:
        audit = _audit(request)
        result = await asyncio.to_thread(_run, audit, "replay it", audit.replay, decision_id)
        return Response(dump(result.to_json()), media_type=JSON)

    @r.post("/{decision_id}/redecide", response_model=RedecisionOut, responses={**CONFLICT, **INVALID},
            summary="the decision after an objection: corrected or added facts, stored and linked to the first",
            description="Decides with the stored facts and the corrections, on the first decision's date and "
                        "rules unless told otherwise; stores the new decision with a link to the first, and says "
                        "what changed in plain language.",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": RedecideRequest.model_json_schema(),
                "examples": {"corrected": {"summary": "a corrected income",
                                           "value": {"facts": {"income": "20000.00"}}}}}}}})
    async def redecide(decision_id: DecisionId, request: Request) -> Response:
        audit = _audit(request)
        data = await exact_json(request)
        if not isinstance(data, dict):
            raise ClientError.at(["body"], 'expected a JSON object like {"facts": {"income": "20000.00"}}',
                                 "model_type")
        try:
            body = RedecideRequest.model_validate(data)
        except ValidationError as exc:
            raise ClientError([{**e, "loc": ["body", *e["loc"]]} for e in pydantic_errors(exc.errors())]) from None
        svc = service(request)
        stored = await asyncio.to_thread(_run, audit, "read it", audit.get, decision_id)
        reg = svc.regulation(stored.regulation) if body.rules == "current" else None
        result = await asyncio.to_thread(_run, audit, "decide it again", audit.redecide, decision_id, body.facts,
                                         body.date, reg, caller(request))
        return Response(dump(result.to_json()), media_type=JSON, headers={DECISION_HEADER: result.made.id})

    return r
