"""Throughput and latency of `POST /regulations/zorgtoeslag/eligibility`, beside OpenFisca's web API
serving the same computation (bench/peers/openfisca_zorgtoeslag), in the same run.

    .venv/bin/python bench/api.py                 # 1, 10 and 50 concurrent clients, 3 x 5 s each
    .venv/bin/python bench/api.py --duration 10 --clients 1 10 50 100

Both servers run on loopback in their own processes; the load comes from a second process (this
file with --client): N keep-alive connections, each sending its next request as soon as the answer
to the last one is in (closed loop), for a fixed time after a warm-up. Latency is measured per
request from the first byte sent to the last byte received. The machine has 2 cores, shared by
the server and the client, as a real deployment's load balancer would share them.

Needs the `bench` extra (openfisca-core[web-api], gunicorn, uvloop, httptools).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(__file__).resolve().parent / "peers"
RULES = ROOT / "rules"

# the case: a single adult on 2025-01-01, the zorgtoeslag's worked example 1
FACTS = {"age": 30, "insured": True, "has_partner": False, "partner_insured": False,
         "income": "20000.00", "assets": "0.00"}
OPENFISCA_FACTS = {**FACTS, "income": 20000, "assets": 0}
EXPECTED = {"eligible": True, "zorgtoeslag": "1573.00", "monthly_payment": "131.00"}


# -- the load generator (a second process) -----------------------------------------------------------


class Connection(asyncio.Protocol):
    """One closed-loop client: sends the request, waits for the whole answer, sends it again.
    Callbacks only, no coroutine per request, so the client costs as little CPU as it can."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.buffer = bytearray()
        self.sent = 0
        self.transport: asyncio.Transport | None = None
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.sent = time.perf_counter_ns()
        self.transport.write(self.run.next())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        close = False
        status = int(head[9:12])
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip() == b"close":
                close = True
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        self.run.record(time.perf_counter_ns() - self.sent, status)
        if self.run.stopping:
            assert self.transport is not None
            self.transport.close()
        elif close:
            assert self.transport is not None
            self.transport.close()  # a server without keep-alive: connection_lost reconnects
        else:
            self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


@dataclass
class Run:
    requests: list[bytes]
    recording: bool = False
    stopping: bool = False

    def __post_init__(self) -> None:
        self.latencies: list[int] = []
        self.errors = 0
        self._next = 0

    def next(self) -> bytes:
        """The requests in turn (one, or many different cases so that no answer is cached)."""
        request = self.requests[self._next % len(self.requests)]
        self._next += 1
        return request

    def record(self, nanoseconds: int, status: int) -> None:
        if not self.recording:
            return
        if status == 200:
            self.latencies.append(nanoseconds)
        else:
            self.errors += 1


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its live descendants, from /proc (Linux):
    the servers' own CPU per request, which other work on the machine inflates far less than wall
    time."""
    total = 0.0
    todo = [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


async def client(host: str, port: int, requests: list[bytes], clients: int, warmup: float,
                 duration: float, server_pid: int | None = None) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    run = Run(requests)

    async def keep_connected() -> None:
        while not run.stopping:
            _, conn = await loop.create_connection(lambda: Connection(run), host, port)
            await conn.lost

    tasks = [asyncio.ensure_future(keep_connected()) for _ in range(clients)]
    await asyncio.sleep(warmup)
    cpu_before = tree_cpu(server_pid) if server_pid else 0.0
    run.recording = True
    start = time.perf_counter()
    await asyncio.sleep(duration)
    run.recording = False
    elapsed = time.perf_counter() - start
    cpu = tree_cpu(server_pid) - cpu_before if server_pid else float("nan")
    run.stopping = True
    await asyncio.wait(tasks, timeout=10)
    lat = sorted(run.latencies)

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6 if lat else float("nan")

    return {"clients": clients, "requests": len(lat), "errors": run.errors, "seconds": elapsed,
            "throughput": len(lat) / elapsed, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": lat[-1] / 1e6 if lat else float("nan"),
            "server_cpu_ms": cpu / len(lat) * 1e3 if lat else float("nan")}


def http_request(host: str, port: int, path: str, body: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def client_main(args: argparse.Namespace) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    body = Path(args.body).read_bytes()
    # a JSON list: many bodies, sent in turn (the partial-facts run: no two alike, nothing cached)
    bodies = [json.dumps(b).encode() for b in json.loads(body)] if body.lstrip().startswith(b"[") else [body]
    requests = [http_request(args.host, args.port, args.path, b) for b in bodies]
    result = asyncio.run(client(args.host, args.port, requests, args.clients, args.warmup, args.duration,
                                args.server_pid))
    print(json.dumps(result))


# -- the servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} stopped before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status: it is up
                return
            time.sleep(0.2)
    raise SystemExit(f"{what} did not come up within 60 s")


@dataclass
class Server:
    name: str
    config: str
    port: int
    path: str
    body: bytes
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_eenvoud(workers: int, launcher: str, access_log: bool, store: bool = True,
                  data_dir: str | None = None) -> Server:
    port = free_port()
    env = {**os.environ, "EENVOUD_RULES": str(RULES)}
    if data_dir is not None:  # the decision store's folder (decisions.sqlite3 and the facts key)
        env["EENVOUD_DATA_DIR"] = data_dir
    if launcher == "serve":  # the product: `eenvoud serve` (one SO_REUSEPORT socket per worker)
        cmd = [sys.executable, "-m", "eenvoud.cli", "serve", "--rules", str(RULES), "--port", str(port),
               "--workers", str(workers)]
        config = f"eenvoud serve --workers {workers}"
    else:  # uvicorn's own multi-process mode (one shared socket), for comparison
        cmd = [sys.executable, "-m", "uvicorn", "eenvoud.api:app_from_env", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--backlog", "4096"]
        config = f"uvicorn --workers {workers}"
    if not access_log:
        cmd.append("--no-access-log")
        config += " --no-access-log"
    if not store and launcher == "serve":  # the decision store (docs/audit.md) off: OpenFisca keeps nothing
        cmd.append("--no-store")
        config += " --no-store"
    log = ROOT / "bench" / f".eenvoud-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=sink)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, "eenvoud")
        if launcher == "serve" and workers > 1:  # until every worker listens
            deadline = time.monotonic() + 60
            while b"eenvoud: serving" not in log.read_bytes() and time.monotonic() < deadline:
                time.sleep(0.1)
        else:  # uvicorn says nothing of the kind: give its workers time
            time.sleep(3)
    finally:
        log.unlink(missing_ok=True)
    body = json.dumps({"date": "2025-01-01", "facts": FACTS}).encode()
    return Server("eenvoud", config + " (uvloop + httptools)", port, "/regulations/zorgtoeslag/eligibility",
                  body, process)


def start_openfisca(workers: int, threads: int) -> Server:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PEERS), os.environ.get("PYTHONPATH", "")])}
    worker_class = "gthread" if threads > 1 else "sync"
    cmd = [sys.executable, "-m", "gunicorn", "openfisca_zorgtoeslag.web:app", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--threads", str(threads), "--worker-class", worker_class,
           "--log-level", "warning", "--backlog", "4096", "--keep-alive", "30"]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_up(f"http://127.0.0.1:{port}/entities", process, "openfisca")
    sys.path.insert(0, str(PEERS))
    from openfisca_zorgtoeslag import situation

    body = json.dumps(situation(OPENFISCA_FACTS)).encode()
    return Server("openfisca", f"gunicorn {worker_class}, {workers} workers x {threads} threads", port,
                  "/calculate", body, process)


def check_same_answer(eenvoud: Server, openfisca: Server) -> None:
    """Both servers compute the same zorgtoeslag for the benchmark's case."""
    def post(server: Server) -> Any:
        req = urllib.request.Request(f"http://127.0.0.1:{server.port}{server.path}", data=server.body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    d = post(eenvoud)
    got = {"eligible": d["eligible"], **d["amounts"]}
    p = post(openfisca)["persons"]["applicant"]
    of = {"eligible": p["eligible"]["2025"], "zorgtoeslag": f"{p['zorgtoeslag']['2025']:.2f}",
          "monthly_payment": f"{p['monthly_payment']['2025']:.2f}"}
    if got != EXPECTED or of != EXPECTED:
        raise SystemExit(f"the servers disagree with the expected answer {EXPECTED}: eenvoud {got}, openfisca {of}")


def partial_bodies(run: int = 0, count: int = 20_000) -> bytes:
    """Cases with the partner questions open and incomes that differ (nothing is answered from a
    cache): the engine leaves each undetermined and the solver settles it (issue 12). Each client
    process starts at the first body, and the server keeps settled cases: so each `run` (0-249)
    moves every income by `run` cents, and no run sends a case an earlier one sent (the incomes stay
    between €15,000 and €65,000: the same kind of case in every run)."""
    open_facts = {k: v for k, v in FACTS.items() if k not in ("has_partner", "partner_insured")}
    cents = run % 250
    return json.dumps([{"date": "2025-01-01",
                        "facts": {**open_facts, "income": f"{15_000 + k * 2.5 + cents / 100:.2f}"}}
                       for k in range(count)]).encode()


def measure(server: Server, clients: int, warmup: float, duration: float, body: bytes | None = None) -> dict[str, Any]:
    body_file = ROOT / "bench" / f".body-{server.name}.json"
    body_file.write_bytes(body if body is not None else server.body)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--client", "--port", str(server.port), "--path", server.path,
             "--body", str(body_file), "--clients", str(clients), "--warmup", str(warmup),
             "--duration", str(duration), "--server-pid", str(server.process.pid)],
            check=True, capture_output=True, text=True, timeout=warmup + duration + 60,
        )
    finally:
        body_file.unlink(missing_ok=True)
    return dict(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--body", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per server and client count, alternating servers; the median run is shown")
    parser.add_argument("--eenvoud-workers", type=int, default=2)
    parser.add_argument("--eenvoud-launcher", choices=["serve", "uvicorn"], default="serve")
    parser.add_argument("--access-log", action="store_true", help="keep eenvoud's access log on")
    parser.add_argument("--no-store", action="store_true",
                        help="serve without the decision store (each decision is kept by default)")
    # 3 sync workers was OpenFisca's best of 2, 3 and 4 sync workers and 2 gthread workers x 4
    # threads at 10 and 50 clients on this machine
    parser.add_argument("--data-dir", metavar="DIR",
                        help="the decision store's folder (EENVOUD_DATA_DIR); by default a new, empty one in a "
                             "temporary folder, removed after the run")
    parser.add_argument("--openfisca-workers", type=int, default=3)
    parser.add_argument("--openfisca-threads", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--no-partial", action="store_true",
                        help="leave out the partial-facts run (eenvoud settling open cases with the solver)")
    args = parser.parse_args()
    if args.client:
        args.clients = args.clients[0]
        client_main(args)
        return

    scratch = tempfile.TemporaryDirectory(prefix="eenvoud-bench-") if args.data_dir is None else None
    data_dir = args.data_dir if scratch is None else scratch.name
    eenvoud = start_eenvoud(args.eenvoud_workers, args.eenvoud_launcher, args.access_log, not args.no_store,
                            data_dir)
    openfisca = start_openfisca(args.openfisca_workers, args.openfisca_threads)
    results: list[dict[str, Any]] = []
    partial_runs = itertools.count()  # each partial run sends cases no earlier one sent
    try:
        check_same_answer(eenvoud, openfisca)
        print(f"eenvoud:   {eenvoud.config}" + ("" if args.no_store else f"; decision store in {data_dir}"))
        print(f"openfisca: {openfisca.config}")
        print(f"{os.cpu_count()} cores; case: {json.dumps(FACTS)} on 2025-01-01; {args.duration:g} s per "
              f"run after {args.warmup:g} s warm-up; median of {args.repeat} runs")
        # other work on the machine shows in every figure: say how busy it was
        print("load average before: {:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg()))
        print(f"{'server':<10} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} "
              f"{'CPU ms/req':>10}")
        for clients in args.clients:
            row: dict[str, dict[str, Any]] = {}
            runs: dict[str, list[dict[str, Any]]] = {"eenvoud": [], "openfisca": []}
            for _ in range(args.repeat):  # alternating, so that both meet the same background load
                for server in (eenvoud, openfisca):
                    runs[server.name].append(measure(server, clients, args.warmup, args.duration))
            for server in (eenvoud, openfisca):
                ordered = sorted(runs[server.name], key=lambda x: x["throughput"])
                r = ordered[len(ordered) // 2]
                row[server.name] = r
                results.append({"server": server.name, "config": server.config, **r})
                print(f"{server.name:<10} {clients:>7} {r['throughput']:>9.0f} {r['p50_ms']:>8.2f} "
                      f"{r['p99_ms']:>8.2f} {r['max_ms']:>8.2f} {r['errors']:>6} {r['server_cpu_ms']:>10.3f}",
                      flush=True)
            ratio = row["eenvoud"]["throughput"] / max(row["openfisca"]["throughput"], 1e-9)
            print(f"{'':<10} {'':>7} eenvoud / openfisca throughput: {ratio:.1f}x", flush=True)
            if not args.no_partial:
                partial = sorted((measure(eenvoud, clients, args.warmup, args.duration, partial_bodies(next(partial_runs)))
                                  for _ in range(args.repeat)), key=lambda x: x["throughput"])[args.repeat // 2]
                results.append({"server": "eenvoud-partial", "config": eenvoud.config, **partial})
                print(f"{'partial':<10} {clients:>7} {partial['throughput']:>9.0f} {partial['p50_ms']:>8.2f} "
                      f"{partial['p99_ms']:>8.2f} {partial['max_ms']:>8.2f} {partial['errors']:>6} "
                      f"{partial['server_cpu_ms']:>10.3f}   (eenvoud, partner questions open: settled by the solver)",
                      flush=True)
                ratio = partial["throughput"] / max(row["openfisca"]["throughput"], 1e-9)
                print(f"{'':<10} {'':>7} eenvoud partial / openfisca complete throughput: {ratio:.1f}x", flush=True)
            print(flush=True)
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        eenvoud.stop()
        openfisca.stop()
        if scratch is not None:
            scratch.cleanup()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
