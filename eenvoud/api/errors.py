"""Errors as a client sees them, and the handlers that make sure a client's mistake is a 4xx.

Validation errors keep FastAPI's shape, `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`,
with the JSON path of the field in `loc` (["body", "facts", "income"]). An answer lists at most
MAX_ERRORS problems; when there were more, `"omitted"` counts the rest. The value sent is never
echoed back nor logged: facts are personal data (a message names the field and says what was
expected, and the JSON type of what came). An internal error is logged with where it happened,
never with the request body or the exception's message, which may quote a fact.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eenvoud.diagnostics import RuleError
from eenvoud.engine.facts import FactsError
from eenvoud.engine.values import EvaluationError

log = logging.getLogger("eenvoud.api")

Loc = Sequence[str | int]

MAX_ERRORS = 50  # problems listed in one answer; "omitted" counts the rest


class ClientError(Exception):
    """A mistake in the request, at a JSON path; `omitted`: more problems, found but not listed."""

    def __init__(self, errors: list[dict[str, Any]], omitted: int = 0):
        self.errors = errors
        self.omitted = omitted
        super().__init__(f"{len(errors) + omitted} error(s) in the request")

    @staticmethod
    def at(loc: Loc, msg: str, type_: str = "value_error") -> ClientError:
        return ClientError([{"loc": list(loc), "msg": msg, "type": type_}])


def facts_errors(exc: FactsError, prefix: Loc = ("body", "facts")) -> ClientError:
    """The engine names each wrong field; the API puts it at its place in the request body. The
    API's own check (body.py) refuses every value the engine would, with messages that quote no
    value; should the engine still refuse one, its message (which may quote it) is not passed on."""
    errors = []
    for e in exc.errors:
        loc = list(prefix) if e.field == "facts" else [*prefix, e.field]
        errors.append({"loc": loc, "msg": "the value is not valid for this input", "type": "facts"})
    return ClientError(errors)


def safe_text(text: str) -> str:
    """Text that can be sent as UTF-8: an unpaired surrogate is shown as its escape, `\\ud800`."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def unprocessable(errors: list[dict[str, Any]], omitted: int = 0) -> JSONResponse:
    """422 with the first MAX_ERRORS problems, and how many more there were."""
    omitted += max(0, len(errors) - MAX_ERRORS)
    shown = [{"loc": [x if isinstance(x, int) else safe_text(str(x)) for x in e["loc"]],
              "msg": safe_text(str(e["msg"])), "type": str(e["type"])} for e in errors[:MAX_ERRORS]]
    body: dict[str, Any] = {"detail": shown}
    if omitted:
        body["omitted"] = omitted
    return JSONResponse(body, status_code=422)


def pydantic_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the `input` and `url` they carry."""
    out = []
    for e in errors:
        loc = [x if isinstance(x, int) else str(x) for x in e.get("loc", ())]
        msg = str(e.get("msg", "invalid"))
        if e.get("type") == "extra_forbidden" and loc:
            msg = f"unknown field `{loc[-1]}`"
        out.append({"loc": loc, "msg": msg, "type": str(e.get("type", "value_error"))})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ClientError)
    async def client_error(_request: Request, exc: ClientError) -> JSONResponse:
        return unprocessable(exc.errors, exc.omitted)

    @app.exception_handler(RequestValidationError)
    async def request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return unprocessable(pydantic_errors(exc.errors()))

    @app.exception_handler(FactsError)
    async def facts_error(_request: Request, exc: FactsError) -> JSONResponse:
        return unprocessable(facts_errors(exc).errors)

    @app.exception_handler(RuleError)
    async def rule_error(_request: Request, exc: RuleError) -> JSONResponse:
        # the only rule error a request can meet: a date on which a parameter has no value yet
        msgs = [d.message + (f" ({d.help})" if d.help else "") for d in exc.diagnostics]
        return unprocessable([{"loc": ["body", "date"], "msg": m, "type": "date"} for m in msgs])

    @app.exception_handler(EvaluationError)
    async def evaluation_error(_request: Request, exc: EvaluationError) -> JSONResponse:
        return unprocessable([{
            "loc": ["body", "facts"],
            "msg": "the rules cannot be evaluated for this case",  # the message may quote a fact
            "type": "evaluation",
        }])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


class Guard:
    """Outermost ASGI middleware: an exception nothing else handled is a bug of ours. It is logged
    with where it happened and what kind it was, never with its message (which may quote a fact)
    and never re-raised to the server, whose own log would print the message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # the client went away, or the server closed a request too slow to arrive: no one to answer
            log.debug("the client left during %s %s", scope.get("method"), scope.get("path"))
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("internal error on %s %s: %s\n%s", scope.get("method"), scope.get("path"),
                      type(exc).__name__, frames)
            if not started:
                body = json.dumps({"detail": "internal error: a bug in eenvoud, not in the request"}).encode()
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
