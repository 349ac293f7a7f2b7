"""The storage interface of the decision store, the records it keeps, and the one writer thread.

A store is append-only: a decision, once saved, is never changed nor deleted. The two exceptions
concern its facts, never its outcome or hashes: the retention run removes them, and a key rotation
re-encrypts them.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class StoreError(Exception):
    """A store that cannot be opened or written (a bad URL, a server that does not answer)."""


@dataclass(frozen=True)
class RuleSet:
    """The rule text a decision was made with: the regulation and every file it imports, each as
    written (the source) and in canonical form, as JSON. `id` is the SHA-256 of `bundle`: stored
    once, however many decisions use it."""

    id: str
    regulation_hash: str
    bundle: str


@dataclass(frozen=True)
class Record:
    """One decision as saved. `facts` is the ciphertext of the facts as given (JSON) and
    `facts_key` the id of the key; both None when facts are not kept. `outcome` is the decision
    JSON exactly as returned."""

    id: str
    made_at: datetime
    regulation: str
    content_hash: str
    rule_set: RuleSet
    engine_version: str
    date: str
    facts: bytes | None
    facts_key: str | None
    outcome: str
    caller: str | None
    previous: str | None = None


@dataclass(frozen=True)
class Stored:
    """A decision as read back."""

    id: str
    made_at: datetime
    regulation: str
    content_hash: str
    rule_set: str
    engine_version: str
    date: str
    facts: bytes | None
    facts_key: str | None
    facts_removed_at: datetime | None
    outcome: str
    caller: str | None
    previous: str | None


@dataclass(frozen=True)
class Run:
    """A batch run: one regulation, one date, one population file, and its counts."""

    id: str
    made_at: datetime
    regulation: str
    content_hash: str
    rule_set: RuleSet
    engine_version: str
    date: str
    population: str
    population_hash: str
    output_hash: str | None
    people: int
    eligible: int
    not_eligible: int
    undetermined: int
    errors: int
    caller: str | None


class DecisionStore(Protocol):
    """What the audit needs of a database; SQLite and PostgreSQL implement it."""

    kind: str
    local: bool  # a commit is a write to a local file (no round trip): the event loop may commit itself

    def save(self, records: Sequence[Record]) -> None:
        """Save the records (and their rule sets, when new) in one transaction."""

    def try_save(self, records: Sequence[Record]) -> bool:
        """`save`, or False at once when another writer holds the lock (only a local store is asked)."""

    def get(self, decision_id: str) -> Stored | None: ...

    def rule_set(self, rule_set_id: str) -> str | None:
        """The bundle of a rule set."""

    def later(self, decision_id: str) -> list[str]:
        """The decisions that redecided this one, oldest first."""

    def count(self) -> int: ...

    def ids(self) -> list[str]:
        """Every decision id, oldest first."""

    def remove_facts(self, made_before: datetime, now: datetime) -> int:
        """Remove the facts of every decision made before `made_before`; the number removed."""

    def encrypted_facts(self, not_key: str) -> list[tuple[str, bytes, str]]:
        """(id, facts, key id) of every decision whose facts are under a key other than `not_key`."""

    def replace_facts(self, rows: Sequence[tuple[str, bytes, str]]) -> None:
        """Re-encrypted facts: (id, facts, key id)."""

    def save_run(self, run: Run) -> None: ...

    def get_run(self, run_id: str) -> Run | None: ...

    def close(self) -> None: ...


class Writer:
    """Saves records in groups: one transaction for every record that is waiting (group commit),
    so a busy server pays for one commit per batch, not per decision. Callers wait for the commit:
    nothing is answered before it is stored.

    From a thread, `save` hands the record to the one writer thread. From the event loop,
    `save_async` on a local store (SQLite) commits on the loop itself, once the requests already
    ready in this turn of the loop have added theirs: one transaction for all of them, no thread
    hand-off, no waiting when no one else is. Only when another thread or process holds the
    store's lock does the batch go to the writer thread (the loop never waits for another process),
    as one transaction, and the loop is woken once for the whole batch. On a store across the
    network (PostgreSQL) every batch goes to the writer thread, so the loop never waits for a round
    trip.

    (A batch of several decisions was once always handed to the thread, so that the loop could go
    on answering during the commit: on a machine whose cores the workers already fill, that bought
    no parallelism and cost a thread wake-up and a loop wake-up per decision; bench/README.md.)"""

    def __init__(self, store: DecisionStore, max_batch: int = 512) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[list[Record], Future[None]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._inline = bool(getattr(store, "local", False))
        # per event loop: the records waiting for the commit scheduled on it
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[Record, asyncio.Future[None]]]] = {}

    async def save_async(self, record: Record) -> None:
        """Store `record`; return once it is committed."""
        if self._closed:
            raise StoreError("the decision store is closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        waiting = self._pending.get(loop)
        if waiting is None:
            waiting = self._pending[loop] = []
            loop.call_soon(self._commit_pending, loop)  # after the callbacks already ready
        waiting.append((record, done))
        await done

    def _commit_pending(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, [])
        if not batch:
            return
        if not self._inline:
            self._hand_over(loop, batch)
            return
        try:
            done = self.store.try_save([r for r, _ in batch])
        except BaseException as exc:  # every waiting caller hears of it
            _settle_all([f for _, f in batch], exc)
            if not isinstance(exc, Exception):
                raise
            return
        if done:
            _settle_all([f for _, f in batch], None)
            return
        # another thread or process is writing: the writer thread waits for it, not the loop
        self._hand_over(loop, batch)

    def _hand_over(self, loop: asyncio.AbstractEventLoop, batch: list[tuple[Record, asyncio.Future[None]]]) -> None:
        """To the writer thread, in one transaction; the loop is woken once when it is committed."""
        try:
            committed = self._submit([r for r, _ in batch])
        except BaseException as exc:
            _settle_all([f for _, f in batch], exc)
            if not isinstance(exc, Exception):
                raise
            return
        committed.add_done_callback(functools.partial(_settle_from, loop, [f for _, f in batch]))

    def submit(self, record: Record) -> Future[None]:
        return self._submit([record])

    def _submit(self, records: list[Record]) -> Future[None]:
        future: Future[None] = Future()
        if self._thread is None:
            with self._lock:
                if self._closed:
                    raise StoreError("the decision store is closed")
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="eenvoud-audit-writer", daemon=True)
                    self._thread.start()
        self._queue.put((records, future))
        return future

    def save(self, record: Record) -> None:
        self.submit(record).result()

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            size = len(item[0])
            while size < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
                size += len(nxt[0])
            try:
                self.store.save([r for records, _ in batch for r in records])
            except BaseException as exc:  # every waiting caller hears of it
                for _, f in batch:
                    f.set_exception(exc)
            else:
                for _, f in batch:
                    f.set_result(None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()


def _settle_from(loop: asyncio.AbstractEventLoop, waiting: list[asyncio.Future[None]], committed: Future[None]) -> None:
    exc = committed.exception()
    try:
        loop.call_soon_threadsafe(_settle_all, waiting, exc)
    except RuntimeError:  # the loop is closed: no one is left to tell
        pass


def _settle_all(waiting: list[asyncio.Future[None]], exc: BaseException | None) -> None:
    for f in waiting:
        if f.done():  # a caller that went away: its decision is kept all the same
            continue
        if exc is not None:
            f.set_exception(exc)
        else:
            f.set_result(None)
