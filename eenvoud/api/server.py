"""`eenvoud serve`: the API on uvicorn.

With several workers, each worker process binds its own listening socket to the same port with
SO_REUSEPORT, and the kernel spreads the connections evenly over them. (uvicorn's own `--workers`
shares one socket, and under load a few workers can end up holding most keep-alive connections,
which shows as a long tail of latency.) The library is loaded and checked once, before the
workers fork.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from eenvoud.api.app import create_app, default_rules
from eenvoud.api.keys import ApiKeys, KeyFileError
from eenvoud.library import Library

__all__ = ["serve", "default_rules", "ServeError"]


class ServeError(Exception):
    """A server that cannot start: a bad key file, a port in use."""


def _options(access_log: bool) -> dict[str, Any]:
    # the access log has method, path and status: no facts
    return {"log_level": "info", "server_header": False, "access_log": access_log}


def serve(library: Library, rules: Path, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          access_log: bool = True) -> int:
    try:
        keys = ApiKeys.from_env()  # read now, so a bad key file stops the command before it listens
    except KeyFileError as exc:
        raise ServeError(str(exc)) from None
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(create_app(library, keys=keys), host=host, port=port, workers=1, **_options(access_log))
        return 0
    try:
        # without SO_REUSEPORT: fails when anything, another `eenvoud serve` too, holds the port
        _bind(host, port, share=False).close()
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    context = multiprocessing.get_context("fork")
    ready = context.Semaphore(0)
    children = [context.Process(target=_worker, args=(library, keys, host, port, access_log, ready), daemon=True)
                for _ in range(workers)]
    for child in children:
        child.start()
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

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()
    # uvicorn shuts down on SIGTERM and then re-raises it: a worker ended by it stopped as asked
    stopped = (0, -signal.SIGTERM, -signal.SIGINT)
    return max((0 if child.exitcode in stopped else abs(child.exitcode or 1)) for child in children)


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
    sock = _bind(host, port)
    sock.set_inheritable(True)
    config = uvicorn.Config(create_app(library, keys=keys), host=host, port=port, backlog=2048,
                            **_options(access_log))
    server = _Server(config, ready)
    server.run(sockets=[sock])
    sys.exit(0)
