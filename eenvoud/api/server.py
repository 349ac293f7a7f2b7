"""`eenvoud serve`: the API on uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn

from eenvoud.api.app import ENV_RULES, create_app, default_rules
from eenvoud.api.keys import ApiKeys, KeyFileError
from eenvoud.library import Library

__all__ = ["serve", "default_rules", "KeyFileError"]


def serve(library: Library, rules: Path, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> int:
    keys = ApiKeys.from_env()  # read now, so a bad key file stops the command before it listens
    common = {"host": host, "port": port, "log_level": "info", "server_header": False,
              "access_log": True}  # the access log has method, path and status: no facts
    if workers > 1:
        # each worker process builds its own app from the same folder
        os.environ[ENV_RULES] = str(rules)
        uvicorn.run("eenvoud.api:app_from_env", factory=True, workers=workers, **common)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(library, keys=keys), **common)  # type: ignore[arg-type]
    return 0
