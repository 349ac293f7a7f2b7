"""Facts are personal data: they never reach a log, not even when something breaks."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from eenvoud.api import create_app
from eenvoud.api.keys import ApiKeys
from eenvoud.api.server import _options
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


@pytest.fixture
def served(library: Library, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, uvicorn.Server]]:
    """The API under uvicorn as `eenvoud serve` runs it (its options: the access log on), in a thread
    on a free loopback port. Its log goes to pytest's capture (whatever configured uvicorn before)."""
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("uvicorn.error"), "propagate", True)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(library, keys=ApiKeys()), log_config=None, **_options(access_log=True))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_answers_and_refusals_are_logged_without_facts(
    served: tuple[str, uvicorn.Server], caplog: pytest.LogCaptureFixture
) -> None:
    url, server = served
    with caplog.at_level(logging.DEBUG), httpx.Client(base_url=url) as http:
        answers = [
            http.post("/regulations/zorgtoeslag/eligibility",
                      json={"date": "2025-01-01", "facts": {"income": SECRET_INCOME}}).status_code,
            http.post("/eligibility", json={"date": "2025-01-01", "facts": {"income": SECRET_INCOME, "age": 300}}
                      ).status_code,
            http.post("/regulations/zorgtoeslag/eligibility", json={"facts": {"income": SECRET_INCOME + "1"}}
                      ).status_code,
        ]
        server.should_exit = True  # every line is written before the server stops
    assert answers == [200, 422, 422]
    # every request is logged with its method, path and status (uvicorn's access log) ...
    access = [r.args for r in caplog.records if r.name == "uvicorn.access"]
    assert [(a[1], a[2], a[4]) for a in access if isinstance(a, tuple)] == [
        ("POST", "/regulations/zorgtoeslag/eligibility", 200),
        ("POST", "/eligibility", 422),
        ("POST", "/regulations/zorgtoeslag/eligibility", 422),
    ]
    assert 'POST /eligibility HTTP/1.1" 422' in caplog.text
    # ... and no fact value, accepted or refused, reaches the log
    assert SECRET_INCOME not in caplog.text
