"""End to end: `eenvoud serve` on a free loopback port, called over HTTP, and the curl examples of
docs/api.md run against it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api.md"
SECRET_INCOME = "87654.32"
WAIT = 120  # seconds to wait for what will happen (a start, an answer, a stop): a busy machine is slow, not wrong


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]

    def log(self) -> str:
        """Everything the server wrote, once it has stopped."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=WAIT)
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(*args: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "eenvoud.cli", "serve", "--port", str(port), *args],
        cwd=ROOT, env={**os.environ, **(env or {})}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"eenvoud serve stopped: {process.communicate()[0]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return Server(url, process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"eenvoud serve did not answer /health within {WAIT} s")


def call(url: str, body: object | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def shipped() -> Iterator[Server]:
    """The default: the shipped rules/ folder, found from the working directory."""
    server = start()
    yield server
    if server.process.poll() is None:
        server.process.terminate()
        server.process.wait(timeout=WAIT)


def test_serve_answers_over_http(shipped: Server) -> None:
    status, regs = call(f"{shipped.url}/regulations")
    assert status == 200
    assert "zorgtoeslag" in [r["id"] for r in regs]
    facts = {"age": 30, "insured": True, "has_partner": False, "income": SECRET_INCOME, "assets": "0.00"}
    status, decision = call(f"{shipped.url}/regulations/zorgtoeslag/eligibility",
                            {"date": "2025-01-01", "facts": facts})
    assert status == 200
    assert decision["eligible"] is False  # far above the income limit
    status, error = call(f"{shipped.url}/regulations/zorgtoeslag/eligibility",
                         {"date": "2025-01-01", "facts": {"income": SECRET_INCOME, "age": -1}})
    assert status == 422 and error["detail"][0]["loc"] == ["body", "facts", "age"]


# -- docs/api.md ---------------------------------------------------------------------------------

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def doc_examples() -> list[tuple[str, str | None]]:
    """Each ```bash block, with the ```json block that follows it (its expected answer), if any."""
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]
    examples = []
    for i, (lang, text) in enumerate(blocks):
        if lang == "bash":
            follows = blocks[i + 1] if i + 1 < len(blocks) else None
            examples.append((text, follows[1] if follows and follows[0] == "json" else None))
    return examples


def contains(actual: Any, documented: Any) -> bool:
    """Whether the answer holds what the doc shows: objects may leave keys out, lists elements
    (in order); the doc's `"...": "..."` in an object and `"..."` in a list say so (they stand for
    what is left out, and match nothing themselves)."""
    if isinstance(documented, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v)
                                                for k, v in documented.items() if k != "...")
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return False
        it = iter(actual)
        return all(any(contains(a, d) for a in it) for d in documented if d != "...")
    return bool(actual == documented)


def test_the_docs_have_examples() -> None:
    examples = doc_examples()
    assert len(examples) >= 10
    assert all("127.0.0.1:8000" in cmd for cmd, _ in examples)


def test_the_curl_examples_in_the_docs(shipped: Server) -> None:
    for command, expected in doc_examples():
        live = command.replace("http://127.0.0.1:8000", shipped.url)
        deadline = time.monotonic() + 5 * WAIT
        while True:
            run = subprocess.run(["bash", "-c", "set -euo pipefail\n" + live], capture_output=True, text=True,
                                 timeout=WAIT)
            # the analysis route answers 503 "still running" past its budget (a busy machine), and
            # a client comes back, as the answer says
            if "still running" not in run.stdout or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert run.returncode == 0, (command, run.stderr)
        if expected is None:
            assert run.stdout.strip(), command
            continue
        answer = json.loads(run.stdout)
        assert contains(answer, json.loads(expected)), (command, run.stdout)


def test_facts_never_reach_the_server_log(shipped: Server) -> None:
    call(f"{shipped.url}/eligibility", {"date": "2025-01-01", "facts": {"income": SECRET_INCOME}})
    call(f"{shipped.url}/eligibility", {"date": "2025-01-01", "facts": {"income": SECRET_INCOME, "x": 1}})
    log = shipped.log()
    assert "POST /eligibility" in log  # the access log is there, with the path only
    assert SECRET_INCOME not in log


def test_serve_with_keys_from_the_environment() -> None:
    server = start("--rules", str(ROOT / "tests" / "api" / "rules"), env={"EENVOUD_API_KEYS": "k1,k2"})
    try:
        assert call(f"{server.url}/health")[0] == 200
        assert call(f"{server.url}/regulations")[0] == 401
        assert call(f"{server.url}/regulations", headers={"Authorization": "Bearer k2"})[0] == 200
    finally:
        log = server.log()
    assert "k1" not in log.replace("k1,", "")


def test_serve_refuses_rules_with_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.rules").write_text('regulation bad "x"\ninput age : int\nrequirement adult : ag >= 18\n')
    run = subprocess.run([sys.executable, "-m", "eenvoud.cli", "serve", "--rules", str(tmp_path), "--port", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=WAIT)
    assert run.returncode == 1
    assert "bad.rules:3" in run.stderr and "did you mean `age`?" in run.stderr
    assert "Traceback" not in run.stderr


def test_serve_with_two_workers_and_a_port_already_held() -> None:
    server = start("--rules", str(ROOT / "tests" / "api" / "rules"), "--workers", "2")
    try:
        for _ in range(20):
            status, d = call(f"{server.url}/regulations/kinderbijslag/eligibility",
                             {"date": "2025-01-01", "facts": {"children": 2, "resident": True}})
            assert status == 200 and d["amounts"] == {"kinderbijslag": "600.00"}
        port = server.url.rsplit(":", 1)[1]
        run = subprocess.run([sys.executable, "-m", "eenvoud.cli", "serve", "--rules", str(ROOT / "tests" / "api" / "rules"),
                              "--workers", "2", "--port", port], cwd=ROOT, capture_output=True, text=True, timeout=WAIT)
        assert run.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in run.stderr
    finally:
        log = server.log()
    assert "with 2 workers" in log
    assert server.process.returncode == 0


def test_the_writes_of_one_turn_of_the_loop_go_out_as_one() -> None:
    """server.Joined: a response's head and body in one write, in order; flushed before a close."""
    import asyncio

    from eenvoud.api.server import Joined

    class Transport:
        def __init__(self) -> None:
            self.writes: list[bytes] = []
            self.closed = False

        def write(self, data: bytes) -> None:
            assert not self.closed
            self.writes.append(data)

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

        def get_extra_info(self, name: str) -> str:
            return f"info {name}"

    async def run() -> Transport:
        t = Transport()
        joined = Joined(t, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        joined.write(b"{}")
        assert t.writes == []  # held until the end of this turn
        await asyncio.sleep(0)
        assert t.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
        joined.write(b"last")
        joined.close()  # what is held goes out first
        assert t.writes[-1] == b"last" and t.closed
        assert joined.get_extra_info("socket") == "info socket"
        await asyncio.sleep(0)
        assert len(t.writes) == 2
        return t

    asyncio.run(run())
