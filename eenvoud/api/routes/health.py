from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Depends

from eenvoud.api.models import HealthOut
from eenvoud.api.routes.common import service
from eenvoud.api.service import Service

try:
    VERSION = version("eenvoud")
except PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0+unknown"

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="the server is up (needs no API key)")
def health(svc: Service = Depends(service)) -> HealthOut:
    return HealthOut(status="ok", regulations=len(svc.library.regulations), version=VERSION)
