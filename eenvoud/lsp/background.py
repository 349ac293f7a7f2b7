"""The one thread that runs the work of a save (tests, the analyzer) off the server's event loop,
so that diagnostics, hovers and the rest answer while Z3 searches.

One thread, not a pool: Z3's Python API shares one context, which two threads must not use at once;
saves are handled in order. The thread is a daemon: `exit` ends the server at once, whatever query
is running.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_Job = tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]


class Background:
    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on the background thread; the event loop goes on meanwhile."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="eenvoud-on-save", daemon=True)
            self._thread.start()
        self._jobs.put((work, future, loop))
        return await future

    def _serve(self) -> None:
        while True:
            work, future, loop = self._jobs.get()
            try:
                result = work()
            except BaseException as exc:  # handed to the awaiting handler, which reports it
                log.exception("background work failed")
                loop.call_soon_threadsafe(_settle, future, None, exc)
                continue
            loop.call_soon_threadsafe(_settle, future, result, None)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
