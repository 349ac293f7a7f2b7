"""The API-key check: a dependency on every router but /health."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from eenvoud.api.keys import ApiKeys

bearer = HTTPBearer(auto_error=False, description="an API key; needed only when the server has keys")


async def require_key(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> None:
    keys: ApiKeys = request.app.state.keys
    if not keys.required:
        return
    if credentials is None or not keys.accepts(credentials.credentials):
        raise HTTPException(
            status_code=401,
            detail="this server needs an API key: send `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
