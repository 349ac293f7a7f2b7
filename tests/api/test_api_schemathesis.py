"""Schemathesis against the generated OpenAPI document: no 5xx whatever it sends, and every
answer matches the schema the document promises (status code, content type, body).

The app is built at import: schemathesis makes one test per operation when pytest collects.
The analysis route gets a stand-in analyzer: schemathesis sends many dates, and each would be a
full Z3 run; the real analyzer behind the route is tested in test_api_analysis.py.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from eenvoud.api import create_app
from eenvoud.api.analysis import Analyses
from eenvoud.api.keys import ApiKeys
from eenvoud.library import Library

LIBRARY = Library.load([Path(__file__).parent / "rules"])


def stand_in(reg: object, day: object, timeout: float) -> list[dict[str, object]]:
    return [{"kind": "irrelevant_input", "input": "age", "status": "proved"}]


APP = create_app(LIBRARY, keys=ApiKeys(), analyses=Analyses(analyzer=stand_in))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=100, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_5xx_and_every_answer_matches_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
