"""Facts are personal data: they never reach a log, not even when something breaks."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from eenvoud.api import create_app
from eenvoud.api.keys import ApiKeys
from eenvoud.library import Library

SECRET_INCOME = "98765.43"


def test_a_bug_is_a_500_without_a_traceback_and_without_facts_in_the_log(
    library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(library, keys=ApiKeys())

    def broken(regulation_id: str, request: object) -> bytes:
        raise RuntimeError(f"failed on {request}")  # the message quotes the facts

    app.state.service.decide = broken
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.DEBUG):
        r = client.post("/regulations/zorgtoeslag/eligibility",
                        json={"date": "2025-01-01", "facts": {"income": SECRET_INCOME}})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error: a bug in eenvoud, not in the request"}
    assert "RuntimeError" in caplog.text and "/regulations/zorgtoeslag/eligibility" in caplog.text
    assert SECRET_INCOME not in caplog.text


def test_answers_and_refusals_log_no_facts(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        client.post("/regulations/zorgtoeslag/eligibility", json={"date": "2025-01-01", "facts": {"income": SECRET_INCOME}})
        client.post("/eligibility", json={"date": "2025-01-01", "facts": {"income": SECRET_INCOME, "age": 300}})
        client.post("/regulations/zorgtoeslag/eligibility", json={"facts": {"income": SECRET_INCOME + "1"}})
    assert SECRET_INCOME not in caplog.text
