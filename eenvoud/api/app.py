"""The FastAPI application, built from a library of checked regulations."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from eenvoud.api import describe, errors
from eenvoud.api.analysis import Analyses
from eenvoud.api.hot import HotRoutes
from eenvoud.api.keys import ApiKeys
from eenvoud.api.limits import MAX_BODY, BodyLimit
from eenvoud.api.routes import analysis, decisions, diff, eligibility, health, matrix, playground, regulations
from eenvoud.api.security import OPEN_PATHS, SCHEME, KeyCheck
from eenvoud.api.service import Service
from eenvoud.audit import ENV_STORE, Audit
from eenvoud.library import Library

ENV_RULES = "EENVOUD_RULES"

DESCRIPTION = """\
Ask whether a person qualifies for a regulation, why, and which facts are still missing; or ask
every regulation at once, and get each open question once.

* Money is exact: send it as a string with at most two decimals (`"20000.00"`); JSON numbers are
  read exactly too. Answers give money as strings with two decimals.
* A fact left out or `null` is unknown: the decision is then `eligible: null` with the questions
  that could still decide it, and whether a base registry holds each.
* Every decision names the regulation, its content hash and the reference date.
* When the server has API keys, every route but `/health` needs `Authorization: Bearer <key>`.
* When the server keeps decisions, each one has a `decision_id` (also in `X-Decision-Id`) and can be
  read back, replayed and decided again after an objection under `/decisions`.
"""

_FROM_ENV: Any = object()


def audit_from_env(default: bool = False) -> Audit | None:
    """The decision store when EENVOUD_STORE is `on` (or unset and `default`); see docs/audit.md."""
    setting = os.environ.get(ENV_STORE, "").strip().lower()
    on = setting in ("on", "1", "yes", "true") if setting else default
    return Audit.from_env() if on else None


def create_app(
    library: Library,
    *,
    keys: ApiKeys | None = None,
    max_body: int = MAX_BODY,
    analyses: Analyses | None = None,
    audit: Audit | None = _FROM_ENV,
) -> FastAPI:
    """The API over `library`. Keys default to those in the environment (EENVOUD_API_KEYS,
    EENVOUD_API_KEY_FILE); with none, the API is open. The decision store defaults to the one the
    environment names when EENVOUD_STORE=on (`eenvoud serve` sets it), else none; the app closes
    it when it shuts down."""
    if audit is _FROM_ENV:
        audit = audit_from_env()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if audit is not None:
            audit.close()

    # /docs and /redoc from Swagger UI and ReDoc shipped in the fastapi-offline package (served under
    # /static-offline-docs), never from a CDN: the docs work without internet
    app = FastAPIOffline(
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from Swagger's validator
        # FastAPI's OpenTelemetry: off. Nothing leaves this server, and with it on FastAPI asks the
        # global providers on every request whether one is configured (about 15 us of a decision)
        telemetry={"tracing": False, "metrics": False, "logs": False, "auto_configure": False},
        title="Eenvoud eligibility API",
        description=DESCRIPTION,
        version="1",
        openapi_tags=[
            {"name": "regulations", "description": "what each regulation asks, and one case decided"},
            {"name": "eligibility", "description": "one government: a case against every regulation"},
            {"name": "analysis", "description": "proved findings about a regulation's rules"},
            {"name": "matrix", "description": "the ask-once matrix: which facts several agencies need"},
            {"name": "decisions", "description": "the decisions kept: read back, replayed, decided again"},
            {"name": "health", "description": "for load balancers"},
        ],
    )
    app.state.keys = keys if keys is not None else ApiKeys.from_env()
    app.state.key_names = decisions.key_names()
    app.state.service = Service(library, analyses, audit)
    examples = _examples(library)
    # routes are matched in order: the decisions first, as nearly every request is one
    app.include_router(regulations.router(examples))
    app.include_router(eligibility.router(examples))
    app.include_router(analysis.router())
    app.include_router(diff.router())
    app.include_router(matrix.router())
    if audit is not None:  # the store's routes exist only on a server that keeps decisions
        app.include_router(decisions.router())
    app.include_router(health.router)
    # the drafter's playground (/playground) and the scripts it loads: shipped in the package, no CDN
    app.include_router(playground.router(library))
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static", check_dir=False), name="static")
    errors.install(app)
    _document(app, sorted(library.regulations))
    app.add_middleware(HotRoutes, api=app)  # innermost: POST /regulations/{id}/eligibility past FastAPI's routing
    app.add_middleware(playground.OfflinePages)  # /docs, /redoc, /playground load from this server only
    app.add_middleware(BodyLimit, max_body=max_body)
    app.add_middleware(KeyCheck, keys=app.state.keys)  # before the body is read
    app.add_middleware(errors.Guard)  # added last: outermost
    return app


def _document(app: FastAPI, ids: list[str]) -> None:
    """The API-key scheme (checked by middleware, so FastAPI does not know it), and the library's
    regulation ids as examples of the `regulation_id` path parameter."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            spec.setdefault("components", {})["securitySchemes"] = SCHEME
            for path, item in spec.get("paths", {}).items():
                for op in item.values():
                    if path not in OPEN_PATHS:
                        op["security"] = [{"bearerAuth": []}]
                    for param in op.get("parameters", []):
                        if param.get("name") == "regulation_id" and ids:
                            param["examples"] = {i: {"value": i} for i in ids}
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _examples(library: Library) -> dict[str, Any]:
    if not library.regulations:
        return {"empty": {"summary": "no facts known yet", "value": {"date": "2025-01-01", "facts": {}}}}
    reg = library.regulations[sorted(library.regulations)[0]]
    facts = describe.example_facts(reg)
    day = reg.tests[0].on.isoformat() if reg.tests else "2025-01-01"
    partial = dict(list(facts.items())[: max(1, len(facts) // 2)])
    return {
        "complete": {"summary": f"every fact known ({reg.name})", "value": {"date": day, "facts": facts}},
        "partial": {"summary": "some facts still unknown: the answer lists the questions left",
                    "value": {"date": day, "facts": partial}},
    }


def default_rules() -> Path | None:
    """The shipped `rules/` folder: in the current folder, else beside the package's checkout."""
    for candidate in (Path.cwd() / "rules", Path(__file__).resolve().parents[2] / "rules"):
        if candidate.is_dir():
            return candidate
    return None


def app_from_env() -> FastAPI:
    """For `uvicorn --factory eenvoud.api:app_from_env` (several workers): the rules folder comes
    from EENVOUD_RULES, else the shipped `rules/`."""
    rules = os.environ.get(ENV_RULES) or default_rules()
    if rules is None:
        raise SystemExit("error: no rules folder: set EENVOUD_RULES")
    library = Library.load([rules])
    library.raise_for_errors()
    return create_app(library, audit=audit_from_env(default=True))  # serving: decisions are kept by default
