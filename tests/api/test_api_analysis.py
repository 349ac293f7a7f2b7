"""GET /regulations/{id}/analysis: findings cached per content hash, under a time budget.

No test here depends on how fast the machine is: an analysis that must outlast its budget is held
on an event until the test has seen the 503, every wait for something that will happen is long
(a busy 2-core machine is slow, not wrong), and the real analyzer's client comes back while it
runs, as the 503 tells it to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eenvoud.api import create_app
from eenvoud.api.analysis import Analyses, find_analyzer
from eenvoud.api.keys import ApiKeys
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "subject": self.subject, "status": "proved"}


WAIT = 600.0  # seconds to wait for something that will happen (never a measure of speed)


class CountingAnalyzer:
    """Answers at once, or, with `held`, once the test sets the event."""

    def __init__(self, held: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, date, float]] = []
        self.held = held

    def __call__(self, reg: CheckedRegulation, day: date, timeout: float) -> list[Finding]:
        self.calls.append((reg.name, day, timeout))
        if self.held is not None:
            self.held.wait(WAIT)
        return [Finding("redundant_requirement", f"{reg.name}.asset_test")]


def come_back(client: TestClient, path: str, params: dict[str, str]) -> Any:
    """GET `path`, again while the analysis is still running (the 503 says to come back)."""
    deadline = time.monotonic() + WAIT
    while True:
        r = client.get(path, params=params)
        if r.status_code != 503 or "still running" not in r.text or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


@pytest.fixture
def fake(library: Library) -> Iterator[tuple[TestClient, CountingAnalyzer]]:
    analyzer = CountingAnalyzer()
    app = create_app(library, keys=ApiKeys(), analyses=Analyses(budget=WAIT, query_timeout=1.5, analyzer=analyzer))
    with TestClient(app) as c:
        yield c, analyzer


def test_findings_are_computed_once_per_hash_and_date(fake: tuple[TestClient, CountingAnalyzer],
                                                      library: Library) -> None:
    client, analyzer = fake
    first = client.get("/regulations/zorgtoeslag/analysis", params={"date": "2025-01-01"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["regulation"] == "zorgtoeslag"
    assert body["hash"] == library.regulations["zorgtoeslag"].hash
    assert body["date"] == "2025-01-01"
    assert body["cached"] is False
    assert body["findings"] == [{"kind": "redundant_requirement", "subject": "zorgtoeslag.asset_test",
                                 "status": "proved"}]
    again = client.get("/regulations/zorgtoeslag/analysis", params={"date": "2025-01-01"}).json()
    assert again["cached"] is True and again["findings"] == body["findings"]
    # the solver's per-query limit is passed on
    assert analyzer.calls == [("zorgtoeslag", date(2025, 1, 1), 1.5)]
    client.get("/regulations/zorgtoeslag/analysis", params={"date": "2024-01-01"})
    assert len(analyzer.calls) == 2


def test_analysis_of_an_unknown_regulation_is_404(fake: tuple[TestClient, CountingAnalyzer]) -> None:
    client, analyzer = fake
    assert client.get("/regulations/nope/analysis").status_code == 404
    assert analyzer.calls == []


def test_an_analysis_past_its_budget_is_503_and_lands_in_the_cache(library: Library) -> None:
    held = threading.Event()  # the analysis cannot end before the test has seen the 503
    analyzer = CountingAnalyzer(held)
    app = create_app(library, keys=ApiKeys(), analyses=Analyses(budget=0.1, analyzer=analyzer))
    with TestClient(app) as client:
        r = client.get("/regulations/kinderbijslag/analysis", params={"date": "2025-01-01"})
        assert r.status_code == 503
        assert r.headers["retry-after"] == "10"
        assert "still running" in r.json()["detail"]
        held.set()
        r = come_back(client, "/regulations/kinderbijslag/analysis", {"date": "2025-01-01"})
    assert r.status_code == 200 and r.json()["findings"]
    assert len(analyzer.calls) == 1  # the retries waited for the same run


def test_eligibility_is_answered_while_an_analysis_runs(library: Library) -> None:
    started, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def blocking(reg: CheckedRegulation, day: date, timeout: float) -> list[Finding]:
        started.set()
        # released only once an eligibility request got through while the solver "ran"
        outcome["released"] = release.wait(WAIT)
        return []

    app = create_app(library, keys=ApiKeys(), analyses=Analyses(budget=WAIT, analyzer=blocking))
    with TestClient(app) as client:
        t = threading.Thread(target=lambda: outcome.setdefault("r", client.get("/regulations/zorgtoeslag/analysis")))
        t.start()
        assert started.wait(WAIT)
        assert client.post("/eligibility", json={"date": "2025-01-01", "facts": {}}).status_code == 200
        release.set()
        t.join(WAIT)
    assert outcome["released"] is True
    assert outcome["r"].status_code == 200


def test_the_real_analyzer_or_a_clear_503(client: TestClient) -> None:
    r = come_back(client, "/regulations/kinderbijslag/analysis", {"date": "2025-01-01"})
    if find_analyzer() is None:
        assert r.status_code == 503
        assert r.json() == {"detail": "the analyzer is not available in this build of eenvoud"}
    else:
        assert r.status_code == 200, r.text
        body = r.json()
        assert isinstance(body["findings"], list) and isinstance(body["unknown"], list)
        assert all(f["regulation"] == "kinderbijslag" for f in body["findings"])


def test_the_real_analyzer_finds_what_the_fixture_plants(client: TestClient) -> None:
    if find_analyzer() is None:
        pytest.skip("no analyzer in this build")
    # zorgtoeslag's income_statement asks for `income`, which the BRI holds
    r = come_back(client, "/regulations/zorgtoeslag/analysis", {"date": "2025-01-01"})
    assert r.status_code == 200, r.text
    kinds = {(f["kind"], f["subject"]) for f in r.json()["findings"]}
    assert ("registry_data_requested", "income_statement") in kinds


def test_a_client_cannot_queue_analyses_without_end(library: Library) -> None:
    release = threading.Event()

    def slow(reg: CheckedRegulation, day: date, timeout: float) -> list[Finding]:
        release.wait(WAIT)  # running and waiting until the test has asked three times
        return []

    app = create_app(library, keys=ApiKeys(), analyses=Analyses(budget=0.05, analyzer=slow, max_pending=2))
    with TestClient(app) as client:
        statuses = [client.get("/regulations/zorgtoeslag/analysis", params={"date": f"2025-01-0{d}"})
                    for d in (1, 2, 3)]
        release.set()
    assert [r.status_code for r in statuses] == [503, 503, 503]
    assert "still running" in statuses[0].json()["detail"]
    assert "2 analyses are running or waiting already" in statuses[2].json()["detail"]
