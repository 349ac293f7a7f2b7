"""`eenvoud serve`: the API on uvicorn.

With several workers, each worker process binds its own listening socket to the same port with
SO_REUSEPORT, and the kernel spreads the connections evenly over them. (uvicorn's own `--workers`
shares one socket, and under load a few workers can end up holding most keep-alive connections,
which shows as a long tail of latency.) The library is loaded and checked once, before the
workers fork. The parent supervises the workers: one that dies (a crash, `kill -9`, the OOM
killer) is logged and replaced by a fresh fork; one that keeps dying stops the server.

Every worker guards itself against slow and idle clients (defaults below, in docs/api.md):

- a client has TIMEOUT_REQUEST seconds to send a whole request (head and body), counted from its
  connection or from the last answer; then the connection is closed;
- an idle keep-alive connection is closed after TIMEOUT_KEEP_ALIVE seconds (uvicorn's own);
- at most MAX_CONNECTIONS connections are open per worker: one more closes the oldest connection
  still waiting for its request (an idle or half-sent one), else the new one. So half-sent
  requests cannot hold all the worker's files, and a normal client still gets in;
- a request head is at most H11_MAX_HEAD bytes (h11; httptools has its own limit, 80 KiB).

The access log has the method, the path without its query string, and the status: `?bsn=...`
never reaches it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import uvicorn

from eenvoud.api.app import create_app, default_rules
from eenvoud.api.keys import ApiKeys, KeyFileError
from eenvoud.library import Library

__all__ = ["serve", "default_rules", "ServeError"]


class ServeError(Exception):
    """A server that cannot start: a bad key file, a port in use."""


TIMEOUT_REQUEST = 10.0  # seconds to send a whole request, from the connection or the last answer
TIMEOUT_KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open (uvicorn's default)
MAX_CONNECTIONS = 512  # open connections per worker, well under the usual limit of 1,024 files
H11_MAX_HEAD = 64 * 1024  # bytes of a request head, when uvicorn speaks h11
MAX_RESTARTS = 5  # workers replaced within RESTART_WINDOW seconds before the server gives up
RESTART_WINDOW = 60.0


class QueryFree(logging.Filter):
    """uvicorn's access log line without the query string: `POST /eligibility?bsn=1` is logged as
    `POST /eligibility`. A filter on the logger, so every handler (and pytest's capture) sees the
    line without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def leave_queries_out_of_the_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryFree) for f in access.filters):
        access.addFilter(QueryFree())


def guarded_protocol(request_timeout: float = TIMEOUT_REQUEST, max_connections: int = MAX_CONNECTIONS) -> Any:
    """uvicorn's HTTP protocol (httptools) with a deadline for each request and a cap on open
    connections; see the module's docstring. None when httptools is missing (uvicorn then speaks
    h11, with only the keep-alive timeout and the head limit)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
        return None

    order = itertools.count()

    class Guarded(HttpToolsProtocol):
        waiting_since: int | None = None  # waiting for (the rest of) a request since then (an order, not a time)
        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(Joined(transport, self.loop))  # type: ignore[arg-type]
            self._wait()
            open_ = [c for c in self.connections if not c.transport.is_closing()]
            if len(open_) > max_connections:
                waiting = [c for c in open_ if isinstance(c, Guarded) and c is not self and c.waiting_since is not None]
                victim = min(waiting, key=lambda c: c.waiting_since or 0) if waiting else self
                victim._cancel()
                victim.waiting_since = None
                victim.transport.close()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self.waiting_since = None
            self._cancel()

        def on_response_complete(self) -> None:
            self.transport.flush()  # type: ignore[attr-defined]  # the answer is whole: out now, not at the turn's end
            super().on_response_complete()
            if not self.transport.is_closing():
                self._wait()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            self.waiting_since = None
            super().connection_lost(exc)

        def _wait(self) -> None:
            self._cancel()
            self.waiting_since = next(order)
            self.deadline = self.loop.call_later(request_timeout, self._too_slow)

        def _cancel(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _too_slow(self) -> None:
            self.deadline = None
            if self.waiting_since is not None and not self.transport.is_closing():
                self.transport.close()

    return Guarded


class Joined:
    """A connection's transport that joins the writes of one turn of the event loop into one write.
    uvicorn writes a response's head and its body separately: two system calls, two TCP segments
    (the socket has TCP_NODELAY) and a client woken twice per answer; joined, one of each. The
    bytes and their order are unchanged; what is held goes out when the protocol says the answer
    is complete (`flush`), else at the end of the turn, and always before the connection closes."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)

    def flush(self) -> None:
        held = self._held
        if not held:
            return
        self._held = []
        if not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # everything else is the transport's own
        return getattr(self._transport, name)


def _options(access_log: bool, request_timeout: float = TIMEOUT_REQUEST,
             max_connections: int = MAX_CONNECTIONS) -> dict[str, Any]:
    # the access log has method, path (without the query string) and status: no facts
    leave_queries_out_of_the_access_log()
    options: dict[str, Any] = {
        "log_level": "info", "server_header": False, "access_log": access_log,
        "timeout_keep_alive": TIMEOUT_KEEP_ALIVE,
        # uvicorn answers 503 beyond this many requests at once; the guard keeps the connections under it
        "limit_concurrency": max_connections + 1,
        "h11_max_incomplete_event_size": H11_MAX_HEAD,
    }
    protocol = guarded_protocol(request_timeout, max_connections)
    if protocol is not None:
        options["http"] = protocol
    return options


def serve(library: Library, rules: Path, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          access_log: bool = True) -> int:
    try:
        keys = ApiKeys.from_env()  # read now, so a bad key file stops the command before it listens
    except KeyFileError as exc:
        raise ServeError(str(exc)) from None
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        config = uvicorn.Config(create_app(library, keys=keys), host=host, port=port, **_options(access_log))
        leave_queries_out_of_the_access_log()  # again: the config set up logging
        uvicorn.Server(config).run()
        return 0
    try:
        # without SO_REUSEPORT: fails when anything, another `eenvoud serve` too, holds the port
        _bind(host, port, share=False).close()
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    context = multiprocessing.get_context("fork")
    ready = context.Semaphore(0)

    def start() -> Any:
        child = context.Process(target=_worker, args=(library, keys, host, port, access_log, ready), daemon=True)
        child.start()
        return child

    children = [start() for _ in range(workers)]
    # say "serving" once every worker listens: a client connecting earlier would find only some of
    # them, and its keep-alive connections would stay there
    for _ in children:
        while not ready.acquire(timeout=1.0):
            if any(not child.is_alive() for child in children):
                for child in children:
                    child.terminate()
                raise ServeError("a worker stopped while starting; see the log above")
    print(f"eenvoud: serving {len(library.regulations)} regulations on http://{host}:{port} "
          f"with {workers} workers (Ctrl-C to stop)", file=sys.stderr, flush=True)
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return _supervise(children, start, lambda: stopping)


def _supervise(children: list[Any], start: Any, stopping: Any) -> int:
    """Wait for the workers; replace one that dies while the server is not stopping. More than
    MAX_RESTARTS deaths within RESTART_WINDOW seconds stop the server (exit 1): a worker that
    cannot live would otherwise be forked forever."""
    deaths: deque[float] = deque()
    while True:
        running = [c for c in children if c.exitcode is None]
        if not running:
            break
        multiprocessing.connection.wait([c.sentinel for c in running], timeout=1.0)
        if stopping():
            continue
        for i, child in enumerate(children):
            if child.exitcode is None:
                continue
            now = time.monotonic()
            deaths.append(now)
            while deaths and deaths[0] < now - RESTART_WINDOW:
                deaths.popleft()
            if len(deaths) > MAX_RESTARTS:
                print(f"eenvoud: worker {child.pid} stopped ({_how(child.exitcode)}); {len(deaths)} workers "
                      f"stopped within {RESTART_WINDOW:g} s: stopping the server", file=sys.stderr, flush=True)
                for other in children:
                    if other.is_alive():
                        other.terminate()
                for other in children:
                    other.join(30)
                return 1
            children[i] = start()
            print(f"eenvoud: worker {child.pid} stopped ({_how(child.exitcode)}); started worker "
                  f"{children[i].pid} in its place", file=sys.stderr, flush=True)
    # uvicorn shuts down on SIGTERM and then re-raises it: a worker ended by it stopped as asked
    stopped = (0, -signal.SIGTERM, -signal.SIGINT)
    return max((0 if child.exitcode in stopped else abs(child.exitcode or 1)) for child in children)


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def _bind(host: str, port: int, share: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, telling the parent when it listens."""

    def __init__(self, config: uvicorn.Config, ready: Any) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.ready.release()


def _worker(library: Library, keys: ApiKeys, host: str, port: int, access_log: bool, ready: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers with SIGTERM
    # a worker forked in place of a dead one would inherit the parent's handler: uvicorn restores
    # it when it stops and raises the signal again, which must end the worker, not run the parent's
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sock = _bind(host, port)
    sock.set_inheritable(True)
    config = uvicorn.Config(create_app(library, keys=keys), host=host, port=port, backlog=2048,
                            **_options(access_log))
    leave_queries_out_of_the_access_log()  # again: the config set up logging
    server = _Server(config, ready)
    server.run(sockets=[sock])
    sys.exit(0)
