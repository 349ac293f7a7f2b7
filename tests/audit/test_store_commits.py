"""How decisions reach the store from the event loop: grouped in one commit per turn of the loop,
never answered before they are committed, kept when the process dies right after, and written by
several processes to one SQLite file without losing any."""

from __future__ import annotations

import asyncio
import fcntl
import multiprocessing
import os
import signal
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from eenvoud.analysis.determinacy import decision as settled_decision
from eenvoud.audit import Audit, StoreError, open_store
from eenvoud.audit.crypto import FactsCipher
from eenvoud.audit.recorder import _exact_json, facts_json, read_facts
from eenvoud.audit.sqlite import SQLiteStore
from eenvoud.engine.facts import parse_facts
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library
from tests.audit.conftest import KEY, load_library, write_rules

DAY = date(2025, 3, 1)
FACTS = {"income": "12000.00", "household": 2, "assets": "250.50"}


def _made(audit: Audit, reg: CheckedRegulation, n: int) -> Any:
    facts = {**FACTS, "income": f"{n}.00"}
    return audit.make(reg, DAY, facts, settled_decision(reg, parse_facts(reg, facts), DAY).to_json())


def test_concurrent_decisions_on_one_loop_are_kept_in_few_commits_and_replay(audit: Audit,
                                                                              library: Library) -> None:
    reg = library.regulations["benefit"]
    saves: list[int] = []
    store = audit.store
    for name in ("save", "try_save"):
        inner = getattr(store, name)

        def counted(records: Any, inner: Any = inner) -> Any:
            saves.append(len(records))
            return inner(records)

        setattr(store, name, counted)

    async def clients() -> list[str]:
        made = [_made(audit, reg, n) for n in range(300)]
        await asyncio.gather(*(audit.save_async(m) for m in made))
        return [m.id for m in made]

    ids = asyncio.run(clients())
    assert audit.store.count() == 300 and sorted(audit.store.ids()) == sorted(ids)
    assert sum(saves) == 300 and len(saves) < 300  # grouped: not one commit per decision
    for i in (ids[0], ids[150], ids[-1]):
        assert audit.replay(i).identical


def test_one_decision_at_a_time_is_committed_before_save_async_returns(tmp_path: Path, library: Library) -> None:
    audit = Audit(open_store(f"sqlite:///{tmp_path / 'd.sqlite3'}"), FactsCipher.parse(KEY))
    reg = library.regulations["benefit"]

    async def one_by_one() -> None:
        for n in range(20):
            made = _made(audit, reg, n)
            await audit.save_async(made)
            assert audit.store.get(made.id) is not None  # readable the moment the answer could go out

    asyncio.run(one_by_one())
    audit.close()


def _locked(tmp_path: Path, library: Library) -> tuple[Audit, CheckedRegulation, SQLiteStore, int]:
    """An audit on a SQLite store whose writer lock another open file holds, as another process
    would: the audit, the regulation, the store and the other file (to unlock and close)."""
    path = tmp_path / "d.sqlite3"
    audit = Audit(open_store(f"sqlite:///{path}"), FactsCipher.parse(KEY))
    store = audit.store
    assert isinstance(store, SQLiteStore)
    other = os.open(f"{path}-lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    return audit, library.regulations["benefit"], store, other


def test_when_another_process_holds_the_lock_the_writer_thread_waits_not_the_loop(tmp_path: Path,
                                                                                  library: Library) -> None:
    audit, reg, store, other = _locked(tmp_path, library)
    refused: list[bool] = []
    inner = store.try_save

    def try_save(records: Any) -> bool:
        done = inner(records)
        if not done:
            refused.append(True)
            fcntl.flock(other, fcntl.LOCK_UN)  # the other writer finishes; the writer thread goes on
        return done

    store.try_save = try_save  # type: ignore[method-assign]

    async def clients() -> list[str]:
        made = [_made(audit, reg, 1)]  # a lone decision: the loop tries the lock itself
        await asyncio.gather(*(audit.save_async(m) for m in made))
        return [m.id for m in made]

    ids = asyncio.run(clients())
    os.close(other)
    assert refused == [True]
    assert sorted(store.ids()) == sorted(ids)
    audit.close()


def test_a_group_the_lock_refuses_goes_to_the_writer_thread_in_one_transaction(tmp_path: Path,
                                                                             library: Library) -> None:
    audit, reg, store, other = _locked(tmp_path, library)
    tried: list[int] = []
    saved: list[int] = []
    inner_try, inner_save = store.try_save, store.save

    def try_save(records: Any) -> bool:
        tried.append(len(records))
        done = inner_try(records)
        if not done:
            fcntl.flock(other, fcntl.LOCK_UN)
        return done

    def save(records: Any) -> None:
        saved.append(len(records))
        inner_save(records)

    store.try_save = try_save  # type: ignore[method-assign]
    store.save = save  # type: ignore[method-assign]

    async def clients() -> list[str]:
        made = [_made(audit, reg, n) for n in range(7)]
        await asyncio.gather(*(audit.save_async(m) for m in made))
        return [m.id for m in made]

    ids = asyncio.run(clients())
    os.close(other)
    assert tried == [7] and saved == [7]  # tried on the loop as one group, then one transaction on the thread
    assert sorted(store.ids()) == sorted(ids)
    audit.close()


def test_a_failed_commit_is_reported_to_every_waiting_decision(tmp_path: Path, library: Library) -> None:
    audit = Audit(open_store(f"sqlite:///{tmp_path / 'd.sqlite3'}"), FactsCipher.parse(KEY))
    reg = library.regulations["benefit"]

    def broken(records: Any) -> bool:
        raise StoreError("disk full")

    audit.store.try_save = broken  # type: ignore[method-assign]  # a lone decision, on the loop
    audit.store.save = broken  # type: ignore[method-assign,assignment]  # a group, on the writer thread

    async def clients() -> list[BaseException | None]:
        made = [_made(audit, reg, n) for n in range(3)]
        return list(await asyncio.gather(*(audit.save_async(m) for m in made), return_exceptions=True))

    assert all(isinstance(r, StoreError) for r in asyncio.run(clients()))
    audit.close()


def test_a_closed_store_takes_no_decision(tmp_path: Path, library: Library) -> None:
    audit = Audit(open_store(f"sqlite:///{tmp_path / 'd.sqlite3'}"), FactsCipher.parse(KEY))
    made = _made(audit, library.regulations["benefit"], 1)
    audit.close()
    with pytest.raises(StoreError):
        asyncio.run(audit.save_async(made))


# -- several processes, and a process that dies ----------------------------------------------------


def _writer_process(rules: str, path: str, start: int, count: int, out: Any) -> None:
    """A server worker: decisions saved from its event loop, each id reported once its save returned."""
    audit = Audit(open_store(f"sqlite:///{path}"), FactsCipher.parse(KEY))
    reg = load_library(Path(rules)).regulations["benefit"]

    async def run() -> None:
        for k in range(start, start + count, 5):
            made = [_made(audit, reg, n) for n in range(k, min(k + 5, start + count))]
            await asyncio.gather(*(audit.save_async(m) for m in made))
            for m in made:
                out.send(m.id)

    asyncio.run(run())
    out.send(None)
    audit.close()


def test_several_processes_write_one_file_and_lose_nothing(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules")
    path = tmp_path / "d.sqlite3"
    ctx = multiprocessing.get_context("fork")
    pipes = [ctx.Pipe(duplex=False) for _ in range(3)]
    procs = [ctx.Process(target=_writer_process, args=(str(rules), str(path), 1000 * i, 120, w))
             for i, (_, w) in enumerate(pipes)]
    for p in procs:
        p.start()
    acknowledged: list[str] = []
    for r, _ in pipes:
        while (i := r.recv()) is not None:
            acknowledged.append(i)
    for p in procs:
        p.join()
        assert p.exitcode == 0
    store = open_store(f"sqlite:///{path}")
    assert len(acknowledged) == 360 and sorted(store.ids()) == sorted(acknowledged)
    store.close()


def test_every_decision_answered_survives_the_process_being_killed(tmp_path: Path) -> None:
    """The crash the store promises to survive: the server process killed (SIGKILL, no clean-up)
    at any point after a decision's save returned, that is after it could have been answered."""
    rules = write_rules(tmp_path / "rules")
    path = tmp_path / "d.sqlite3"
    ctx = multiprocessing.get_context("fork")
    r, w = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_writer_process, args=(str(rules), str(path), 0, 100_000, w))
    proc.start()
    acknowledged = [r.recv() for _ in range(137)]  # killed mid-stream, between two commits or in one
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    while r.poll():  # ids it sent before it died
        i = r.recv()
        if i is not None:
            acknowledged.append(i)
    audit = Audit(open_store(f"sqlite:///{path}"), FactsCipher.parse(KEY))
    kept = set(audit.store.ids())
    assert set(acknowledged) <= kept
    assert audit.replay(acknowledged[-1]).identical
    audit.close()


# -- the facts as given ----------------------------------------------------------------------------


@pytest.mark.parametrize("facts", [
    {"income": "20000.00", "naam": "Zoë", "kinderen": [1, 2], "partner": None, "ok": True},
    {"income": Decimal("20000.10"), "list": [Decimal("1.0"), {"x": Decimal("-0.5")}], "n": 3},
    {},
])
def test_facts_are_written_as_given(facts: dict[str, Any]) -> None:
    text = facts_json(facts)
    assert text == _exact_json(facts)  # the one-call path and the exact walk write the same bytes
    assert read_facts(text) == facts


def test_a_store_made_before_gets_the_partial_index_and_keeps_its_decisions(tmp_path: Path, library: Library) -> None:
    """Stores made before 2026-12 had AUTOINCREMENT and a full index on `previous`: they open, keep
    every decision and their links, and from then on write no index entry for a first decision."""
    import sqlite3

    from eenvoud.audit import sqlite as sqlite_store

    path = tmp_path / "old.sqlite3"
    old_schema = sqlite_store.SCHEMA.replace("seq INTEGER PRIMARY KEY,\n  id TEXT NOT NULL UNIQUE,\n  made_at",
                                             "seq INTEGER PRIMARY KEY AUTOINCREMENT,\n  id TEXT NOT NULL UNIQUE,\n"
                                             "  made_at", 1).replace(" WHERE previous IS NOT NULL", "")
    assert "AUTOINCREMENT" in old_schema.split("CREATE TABLE IF NOT EXISTS runs")[0]
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(old_schema)
    audit = Audit(sqlite_store.SQLiteStore(path), FactsCipher.parse(KEY))
    reg = library.regulations["benefit"]
    first = audit.decide(reg, FACTS, DAY)
    audit.close()
    with sqlite3.connect(path) as conn:  # as it was: the old index, before the store opens it again
        conn.execute("DROP INDEX decisions_previous")
        conn.execute("CREATE INDEX decisions_previous ON decisions(previous)")
    audit = Audit(sqlite_store.SQLiteStore(path), FactsCipher.parse(KEY))
    again = audit.redecide(first.id, {"income": "13000.00"})
    assert audit.store.later(first.id) == [again.made.id]
    assert audit.replay(first.id).identical and audit.store.count() == 2
    audit.close()
    with sqlite3.connect(path) as conn:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'decisions_previous'").fetchone()
    assert "WHERE previous IS NOT NULL" in sql
