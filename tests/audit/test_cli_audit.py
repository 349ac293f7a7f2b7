"""The command line and the store: `eenvoud replay ID` (0 identical, 1 different), `eval --store`,
`retention`, `rekey`, and `eenvoud serve` keeping every decision under concurrent load (or none
with --no-store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from eenvoud.audit import Audit, open_store
from eenvoud.audit.crypto import FactsCipher, new_key
from eenvoud.cli import main
from eenvoud.library import Library
from tests.api.test_api_serve import free_port
from tests.audit.conftest import KEY

DAY = date(2025, 3, 1)
FACTS = {"income": "12000.00", "household": 2, "assets": "0.00"}


def test_replay_exits_0_when_identical_and_1_when_different(env: str, library: Library,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    reg = library.regulations["benefit"]
    audit = Audit.from_env()
    try:
        same = audit.decide(reg, FACTS, DAY).id
        decision = json.loads(audit.decide(reg, FACTS, DAY).body)
        decision.pop("decision_id")
        decision["eligible"], decision["amounts"]["benefit"] = False, "0.00"  # as a faulty engine had it
        other = audit.make(reg, DAY, FACTS, decision)
        audit.save(other)
    finally:
        audit.close()
    assert main(["replay", same]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["replay", other.id]) == 1
    shown = capsys.readouterr().out
    assert "DIFFERS" in shown and "engine 0.1.0 then" in shown.replace(Audit.version, "0.1.0")
    assert "eligible: false -> true" in shown and "amounts.benefit: 0.00 -> 900.00" in shown
    assert main(["replay", other.id, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["identical"] is False
    assert main(["replay", "no-such-decision"]) == 1
    assert "no decision `no-such-decision`" in capsys.readouterr().err


def test_eval_store_retention_and_rekey(env: str, rules_dir: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FACTS))
    assert main(["eval", str(rules_dir / "nl" / "benefit.rules"), "--facts", str(facts), "--date", "2025-03-01",
                 "--json", "--store"]) == 0
    decision_id = json.loads(capsys.readouterr().out)["decision_id"]
    assert main(["replay", decision_id]) == 0
    capsys.readouterr()

    monkeypatch.setenv("EENVOUD_FACTS_KEY", f"{new_key('k2')},{KEY}")
    assert main(["rekey"]) == 0
    assert "re-encrypted the facts of 1 decision under the key `k2`" in capsys.readouterr().out

    assert main(["retention", "--days", "30"]) == 0  # made just now: kept
    assert "removed the facts of 0 decisions" in capsys.readouterr().out
    assert main(["retention", "--days", "0"]) == 0
    assert "removed the facts of 1 decision " in capsys.readouterr().out
    assert main(["replay", decision_id]) == 1
    assert "retention" in capsys.readouterr().err


WAIT = 120  # seconds to wait for what will happen (a start, an answer, a stop), never a measure of speed


def _serve(rules: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "eenvoud.cli", "serve", "--rules", str(rules), "--port",
                                str(port), "--no-access-log", *args], env=dict(os.environ), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT  # a start that will happen, on a busy machine too
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.communicate()[0])
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("eenvoud serve did not start")


def _post(url: str, body: object) -> tuple[dict[str, object], str | None]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return json.loads(r.read()), r.headers.get("X-Decision-Id")


def test_serve_keeps_every_decision_under_concurrent_load(env: str, rules_dir: Path) -> None:
    process, url = _serve(rules_dir, "--workers", "2")
    clients, each = 8, 25
    answered: list[str] = []
    lock = threading.Lock()
    try:
        def client(i: int) -> None:
            for n in range(each):
                body = {"date": "2025-03-01", "facts": {**FACTS, "income": f"{i * 100 + n}.00"}}
                decision, header = _post(f"{url}/regulations/benefit/eligibility", body)
                assert decision["decision_id"] == header
                with lock:
                    answered.append(str(header))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        process.terminate()
        log = process.communicate(timeout=WAIT)[0]
    assert len(answered) == clients * each == len(set(answered)), log
    store = open_store(env)
    try:
        assert store.count() == clients * each
        assert sorted(store.ids()) == sorted(answered)
    finally:
        store.close()
    assert "12000" not in log and KEY.split(":", 1)[1] not in log
    assert main(["replay", answered[0]]) == 0 and main(["replay", answered[-1]]) == 0


def test_serve_no_store_keeps_nothing(env: str, rules_dir: Path) -> None:
    process, url = _serve(rules_dir, "--no-store")
    try:
        decision, header = _post(f"{url}/regulations/benefit/eligibility", {"date": "2025-03-01", "facts": FACTS})
    finally:
        process.terminate()
        process.communicate(timeout=WAIT)
    assert "decision_id" not in decision and header is None
    store = open_store(env)
    try:
        assert store.count() == 0
    finally:
        store.close()


def test_the_default_store_is_a_file_in_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         library: Library) -> None:
    monkeypatch.delenv("EENVOUD_DATABASE_URL", raising=False)
    monkeypatch.delenv("EENVOUD_FACTS_KEY", raising=False)
    monkeypatch.setenv("EENVOUD_DATA_DIR", str(tmp_path / "data"))
    audit = Audit.from_env()
    try:
        made = audit.decide(library.regulations["benefit"], FACTS, DAY)
        assert audit.replay(made.id).identical
    finally:
        audit.close()
    assert (tmp_path / "data" / "decisions.sqlite3").is_file()
    key = tmp_path / "data" / "facts.key"
    assert key.stat().st_mode & 0o777 == 0o600
    FactsCipher.from_env({}, default_file=key)  # a ring that parses
