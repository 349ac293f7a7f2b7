"""Soak: the probes of issue 14 against a real `eenvoud serve --workers 2` on loopback, with figures.

    python bench/soak.py [--half-sent 1100] [--rules tests/api/rules]

1. a valid decision: median latency over 200 calls;
2. a 60,000-name body (under 1 MiB): its status, answer size and time, and the /health and
   decision calls sent meanwhile;
3. N half-sent requests held open, then 75 normal requests: how many fail, and how long until
   the server has closed the half-sent ones;
4. kill -9 of one worker: how long until it is replaced and every call answers again.

Loopback only; every wait is bounded; it stops the server and ends by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
VALID = {"date": "2025-01-01", "facts": {"children": 2, "resident": True}}
JSON = {"content-type": "application/json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def until(check, within: float = 60.0) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > within:
            raise SystemExit("soak: a bounded wait ran out")
        time.sleep(0.02)
    return time.monotonic() - start


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--half-sent", type=int, default=1100)
    ap.add_argument("--rules", default=str(ROOT / "tests" / "api" / "rules"))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.half_sent + 512)), hard))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "eenvoud.cli", "serve", "--rules", args.rules, "--port", str(port),
                               "--workers", "2", "--no-access-log", "--no-store"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def up() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        until(up)
        until(lambda: len(children(server.pid)) == 2)
        path = f"{url}/regulations/kinderbijslag/eligibility"
        with httpx.Client(timeout=30, headers=JSON) as http:
            times = []
            for _ in range(200):
                t = time.perf_counter()
                http.post(path, content=json.dumps(VALID))
                times.append(time.perf_counter() - t)
        print(f"1. valid decision: median {statistics.median(times) * 1000:.2f} ms over 200 calls")

        big = json.dumps({"date": "2025-01-01", "facts": {f"f{i:05d}": 1 for i in range(60_000)}})
        side: dict[str, float] = {}

        def meanwhile() -> None:
            t = time.perf_counter()
            httpx.get(f"{url}/health", timeout=30)
            side["health"] = time.perf_counter() - t
            t = time.perf_counter()
            httpx.post(path, content=json.dumps(VALID), headers=JSON, timeout=30)
            side["decision"] = time.perf_counter() - t

        th = threading.Thread(target=meanwhile)
        t = time.perf_counter()
        th.start()
        r = httpx.post(path, content=big, headers=JSON, timeout=60)
        took = time.perf_counter() - t
        th.join(60)
        print(f"2. 60,000 names ({len(big):,} bytes): {r.status_code}, {len(r.content)} bytes, {took * 1000:.1f} ms; "
              f"meanwhile /health {side['health'] * 1000:.1f} ms, a decision {side['decision'] * 1000:.1f} ms")

        slow = []
        for _ in range(args.half_sent):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"POST /eligibility HTTP/1.1\r\nHost: x\r\n")
                slow.append(s)
            except OSError:
                break
        failed = 0
        t = time.perf_counter()
        for _ in range(75):
            try:
                ok = httpx.post(path, content=json.dumps(VALID), headers=JSON, timeout=15).status_code == 200
            except httpx.HTTPError:
                ok = False
            failed += not ok
        normal = time.perf_counter() - t

        def all_closed() -> bool:
            for s in slow:
                s.setblocking(False)
                try:
                    if s.recv(1) != b"":
                        return False
                except BlockingIOError:
                    return False
                except OSError:
                    pass
            return True

        closed_in = until(all_closed, 60)
        for s in slow:
            s.close()
        print(f"3. {len(slow)} half-sent requests held open: {failed} of 75 normal requests failed "
              f"({normal:.2f} s for the 75); every half-sent one closed by the server {closed_in:.1f} s later")

        before = children(server.pid)
        victim = min(before)
        t = time.perf_counter()
        os.kill(victim, signal.SIGKILL)
        errors = 0
        for _ in range(200):
            try:
                httpx.get(f"{url}/health", timeout=5)
            except httpx.HTTPError:
                errors += 1
        until(lambda: len(children(server.pid)) == 2 and victim not in children(server.pid))
        replaced = time.perf_counter() - t
        print(f"4. kill -9 of worker {victim}: replaced within {replaced:.2f} s; {errors} of 200 calls right after "
              f"the kill failed")
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    lines = [line for line in log.splitlines() if "stopped (" in line]
    print("   log: " + (lines[0] if lines else "(no line about the worker)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
