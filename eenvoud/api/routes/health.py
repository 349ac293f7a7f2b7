from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request

from eenvoud.api.models import HealthOut
from eenvoud.api.routes.common import service

try:
    VERSION = version("eenvoud")
except PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0+unknown"

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="the server is up (needs no API key)")
async def health(request: Request) -> HealthOut:
    return HealthOut(status="ok", regulations=len(service(request).library.regulations), version=VERSION)
