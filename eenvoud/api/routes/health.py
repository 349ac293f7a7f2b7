from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

from eenvoud.api.models import HealthOut
from eenvoud.api.routes.common import ServiceDep

try:
    VERSION = version("eenvoud")
except PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0+unknown"

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="the server is up (needs no API key)")
def health(svc: ServiceDep) -> HealthOut:
    return HealthOut(status="ok", regulations=len(svc.library.regulations), version=VERSION)
