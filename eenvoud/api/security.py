"""The API-key check, as ASGI middleware: when the server has keys, every request but /health
needs `Authorization: Bearer <key>`. Middleware rather than a FastAPI dependency because it costs
nothing when the server has no keys, and a dependency on every route was a measurable share of a
request's time. The OpenAPI document declares the scheme (see app.py)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from eenvoud.api.keys import ApiKeys

OPEN_PATHS = frozenset({"/health"})
SCHEME = {"bearerAuth": {"type": "http", "scheme": "bearer",
                         "description": "an API key; needed only when the server was started with keys"}}
_REFUSAL = json.dumps({"detail": "this server needs an API key: send `Authorization: Bearer <key>`"}).encode()


class KeyCheck:
    def __init__(self, app: ASGIApp, keys: ApiKeys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys.required or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self.keys.accepts(bearer_token(scope)):
            await self.app(scope, receive, send)
            return
        await send({
            "type": "http.response.start", "status": 401,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(_REFUSAL)).encode()),
                        (b"www-authenticate", b"Bearer")],
        })
        await send({"type": "http.response.body", "body": _REFUSAL})


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None
