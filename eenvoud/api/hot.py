"""The hot path: `POST /regulations/{id}/eligibility`, nearly every request a server gets, answered
before FastAPI routes it.

FastAPI's routing (its router tries route after route), its dependency resolution (run even for a
handler that declares none) and its exception middleware were 0.2 to 0.3 ms of CPU of a decision's
0.65 ms in process (cProfile, 2026-12-01, store on): more than the decision itself. This ASGI
middleware, the innermost one (after the key check and the body limit), matches the one path and
method as FastAPI's route would (`{regulation_id}` is one path segment, not empty), calls the same
`regulations.decide`, and sends the answer as the route sends it: the same bytes, status and
headers. An exception goes to the app's own exception handlers (errors.py), looked up as Starlette
looks them up, so a client's mistake is the same 4xx; one that has no handler goes up to errors.Guard.
Every other request, and this path with another method or a trailing slash, goes on to FastAPI, and
FastAPI's route stays, for the OpenAPI document and for any request that reaches it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from eenvoud.api.body import parse_json
from eenvoud.api.routes.decisions import DECISION_HEADER, caller_in
from eenvoud.api.routes.regulations import decide

PREFIX = "/regulations/"
SUFFIX = "/eligibility"
_JSON = (b"content-type", b"application/json")
_DECISION = DECISION_HEADER.lower().encode("latin-1")


class HotRoutes:
    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api  # for its state (the service, the keys) and its exception handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        regulation_id = _eligibility(scope)
        if regulation_id is None:
            await self.app(scope, receive, send)
            return
        state = self.api.state
        try:
            data = parse_json(await _body(receive), _header(scope, b"content-type"))
            body, decision_id = await decide(state.service, regulation_id, data, caller_in(state, scope))
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send)
            return
        # the headers as Starlette's Response writes them for the route: its own, then length and type
        headers = [(b"content-length", str(len(body)).encode("latin-1")), _JSON]
        if decision_id is not None:
            headers.insert(0, (_DECISION, decision_id.encode("latin-1")))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _handler(self, exc: Exception) -> Any:
        """The app's handler for `exc`, as Starlette's ExceptionMiddleware finds it (by status code
        for an HTTPException, then by class); None for what only ServerErrorMiddleware would handle."""
        handlers = self.api.exception_handlers
        if isinstance(exc, HTTPException) and exc.status_code in handlers:
            return handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls is Exception:
                return None
            if cls in handlers:
                return handlers[cls]
        return None


def _eligibility(scope: Scope) -> str | None:
    """The regulation id when this is `POST /regulations/{id}/eligibility`, else None."""
    if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
        return None
    path: str = scope["path"]
    if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
        return None
    regulation_id = path[len(PREFIX):-len(SUFFIX)]
    return regulation_id if regulation_id and "/" not in regulation_id else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _body(receive: Receive) -> bytes:
    """The request body, as Starlette's Request.body() reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if not message.get("more_body", False):
                return chunk if not chunks else b"".join([*chunks, chunk])
            chunks.append(chunk)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
