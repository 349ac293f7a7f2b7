"""The decision store in a SQLite file: WAL (readers never wait for the writer), writes under one
lock on one connection.

Several processes (`eenvoud serve --workers N`) write to one file. SQLite's own lock makes a
writer that finds it taken sleep and poll (1, 2, 5, 10 ... 100 ms, up to `busy_timeout`): under
load two workers kept meeting there, and a decision waited tens of milliseconds for a lock held
a tenth of one. So writers first take an exclusive `flock` on `<file>-lock`, on which the kernel
wakes the next one the moment it is free; SQLite's lock still guards against writers that do not
take it (the sqlite3 shell, an older eenvoud).

A commit appends to the WAL without fsync (synchronous=NORMAL): a committed decision survives the
process being killed; on a power loss the last commits before it may be lost. The WAL is copied
back into the file (a checkpoint, with its fsyncs) by a thread of its own rather than by whichever
commit crosses the threshold, so that no answer waits for it."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eenvoud.audit.store import Record, RuleSet, Run, Stored, StoreError

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's own lock alone
    fcntl = None  # type: ignore[assignment]

CHECKPOINT_EVERY = 200  # decisions between checkpoints (about the 1,000 WAL pages of SQLite's own)

SCHEMA = """
CREATE TABLE IF NOT EXISTS rule_sets (
  id TEXT PRIMARY KEY,
  regulation_hash TEXT NOT NULL,
  bundle TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  made_at TEXT NOT NULL,
  regulation TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  rule_set TEXT NOT NULL REFERENCES rule_sets(id),
  engine_version TEXT NOT NULL,
  decision_date TEXT NOT NULL,
  facts BLOB,
  facts_key TEXT,
  facts_removed_at TEXT,
  outcome TEXT NOT NULL,
  caller TEXT,
  previous TEXT REFERENCES decisions(id)
);
CREATE INDEX IF NOT EXISTS decisions_previous ON decisions(previous) WHERE previous IS NOT NULL;
CREATE INDEX IF NOT EXISTS decisions_made_at ON decisions(made_at);
CREATE TABLE IF NOT EXISTS runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  made_at TEXT NOT NULL,
  regulation TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  rule_set TEXT NOT NULL REFERENCES rule_sets(id),
  engine_version TEXT NOT NULL,
  decision_date TEXT NOT NULL,
  population TEXT NOT NULL,
  population_hash TEXT NOT NULL,
  output_hash TEXT,
  people INTEGER NOT NULL,
  eligible INTEGER NOT NULL,
  not_eligible INTEGER NOT NULL,
  undetermined INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  caller TEXT
);
CREATE TRIGGER IF NOT EXISTS decisions_append_only BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'the decision store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_outcome_fixed
BEFORE UPDATE OF id, made_at, regulation, content_hash, rule_set, engine_version, decision_date, outcome, caller,
  previous ON decisions
BEGIN SELECT RAISE(ABORT, 'the decision store is append-only: only facts can be removed or re-encrypted'); END;
CREATE TRIGGER IF NOT EXISTS rule_sets_append_only BEFORE DELETE ON rule_sets
BEGIN SELECT RAISE(ABORT, 'the decision store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS rule_sets_fixed BEFORE UPDATE ON rule_sets
BEGIN SELECT RAISE(ABORT, 'the decision store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_append_only BEFORE DELETE ON runs
BEGIN SELECT RAISE(ABORT, 'the decision store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_fixed BEFORE UPDATE ON runs
BEGIN SELECT RAISE(ABORT, 'the decision store is append-only'); END;
"""

_COLUMNS = ("id, made_at, regulation, content_hash, rule_set, engine_version, decision_date, facts, facts_key, "
            "facts_removed_at, outcome, caller, previous")
_RUN_COLUMNS = ("id, made_at, regulation, content_hash, rule_set, engine_version, decision_date, population, "
                "population_hash, output_hash, people, eligible, not_eligible, undetermined, errors, caller")


def _time(t: datetime) -> str:
    # fixed width, "%Y-%m-%dT%H:%M:%S.%fZ": text order is time order (isoformat: a fifth of strftime's time)
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _partial_previous_index(conn: sqlite3.Connection) -> None:
    """A store made before the index on `previous` left out the decisions without one (nearly all:
    an entry each, a page written each commit) gets the partial index. (`seq` lost AUTOINCREMENT,
    a write to sqlite_sequence each commit, in stores made since; rows are never deleted, so the
    numbers are the same. An older table keeps it.)"""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'decisions_previous'").fetchone()
    if row is None or "WHERE" in str(row[0]).upper():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DROP INDEX decisions_previous")
        conn.execute("CREATE INDEX decisions_previous ON decisions(previous) WHERE previous IS NOT NULL")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class SQLiteStore:
    kind = "sqlite"
    local = True  # a commit is a write to a local file: the event loop may commit itself

    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._write = self._connect(busy_timeout)
            self._write.execute("PRAGMA journal_mode=WAL")
            self._write.executescript(SCHEMA)
            _partial_previous_index(self._write)
            self._read = self._connect(busy_timeout)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the decision store {self.path}: {exc}") from None
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._known: set[str] = set()
        self._busy_timeout = busy_timeout
        self._lock_fd = -1
        self._lock_pid = -1
        self._since_checkpoint = 0
        self._checkpoint_due = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._closing = False

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=NORMAL")  # in WAL: durable across a crash of the process
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it (above)
        return conn

    # -- writing -------------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The write connection, under this process's lock and the file lock all processes share."""
        with self._write_lock:
            if self._closing:
                raise StoreError("the decision store is closed")
            fd = self._file_lock()
            if fd >= 0:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield self._write
            finally:
                if fd >= 0:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def try_save(self, records: Sequence[Record]) -> bool:
        """`save`, unless another thread or process is writing: then False, and nothing done. For
        the event loop, which must never wait for another process (one that holds the lock and is
        then descheduled would stop every request of this one)."""
        if not self._write_lock.acquire(blocking=False):
            return False
        try:
            if self._closing:
                raise StoreError("the decision store is closed")
            fd = self._file_lock()
            if fd >= 0:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
            try:
                self._insert(records)
            finally:
                if fd >= 0:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            return True
        finally:
            self._write_lock.release()

    def _file_lock(self) -> int:
        if fcntl is None:
            return -1
        if self._lock_pid != os.getpid():  # opened again after a fork: a lock is per open file
            self._lock_fd = os.open(f"{self.path}-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_pid = os.getpid()
        return self._lock_fd

    def _written(self, decisions: int) -> None:
        self._since_checkpoint += decisions
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._since_checkpoint = 0
            if self._checkpointer is None:
                self._checkpointer = threading.Thread(target=self._checkpoints, name="eenvoud-audit-checkpoint",
                                                      daemon=True)
                self._checkpointer.start()
            self._checkpoint_due.set()

    def _checkpoints(self) -> None:
        """Copy the WAL back into the file while writers go on (PASSIVE: it waits for no one)."""
        try:
            conn = self._connect(self._busy_timeout)
        except sqlite3.Error:
            return  # the commits go on; SQLite checkpoints when the last connection closes
        try:
            while True:
                self._checkpoint_due.wait()
                self._checkpoint_due.clear()
                if self._closing:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    pass  # tried again after the next CHECKPOINT_EVERY decisions
        finally:
            conn.close()

    def save(self, records: Sequence[Record]) -> None:
        with self._writing():
            self._insert(records)

    def _insert(self, records: Sequence[Record]) -> None:
        """One transaction; the caller holds both locks."""
        c = self._write
        c.execute("BEGIN IMMEDIATE")
        try:
            for rs in {r.rule_set.id: r.rule_set for r in records if r.rule_set.id not in self._known}.values():
                c.execute("INSERT OR IGNORE INTO rule_sets (id, regulation_hash, bundle) VALUES (?, ?, ?)",
                          (rs.id, rs.regulation_hash, rs.bundle))
            c.executemany(
                "INSERT INTO decisions (id, made_at, regulation, content_hash, rule_set, engine_version, "
                "decision_date, facts, facts_key, outcome, caller, previous) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.id, _time(r.made_at), r.regulation, r.content_hash, r.rule_set.id, r.engine_version, r.date,
                  r.facts, r.facts_key, r.outcome, r.caller, r.previous) for r in records])
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        self._known.update(r.rule_set.id for r in records)
        self._written(len(records))

    def _one(self, sql: str, args: tuple[object, ...]) -> tuple[Any, ...] | None:
        with self._read_lock:
            row: tuple[Any, ...] | None = self._read.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return list(self._read.execute(sql, args).fetchall())

    def get(self, decision_id: str) -> Stored | None:
        row = self._one(f"SELECT {_COLUMNS} FROM decisions WHERE id = ?", (decision_id,))
        if row is None:
            return None
        (id_, made_at, regulation, content_hash, rule_set, engine_version, day, facts, facts_key, removed, outcome,
         caller, previous) = row
        return Stored(str(id_), _parse_time(str(made_at)), str(regulation), str(content_hash), str(rule_set),
                      str(engine_version), str(day), None if facts is None else bytes(facts),
                      None if facts_key is None else str(facts_key),
                      None if removed is None else _parse_time(str(removed)), str(outcome),
                      None if caller is None else str(caller), None if previous is None else str(previous))

    def rule_set(self, rule_set_id: str) -> str | None:
        row = self._one("SELECT bundle FROM rule_sets WHERE id = ?", (rule_set_id,))
        return None if row is None else str(row[0])

    def later(self, decision_id: str) -> list[str]:
        return [str(r[0]) for r in self._all("SELECT id FROM decisions WHERE previous = ? ORDER BY seq", (decision_id,))]

    def count(self) -> int:
        row = self._one("SELECT count(*) FROM decisions", ())
        return int(row[0]) if row else 0

    def ids(self) -> list[str]:
        return [str(r[0]) for r in self._all("SELECT id FROM decisions ORDER BY seq")]

    def remove_facts(self, made_before: datetime, now: datetime) -> int:
        with self._writing() as c:
            cur = c.execute(
                "UPDATE decisions SET facts = NULL, facts_key = NULL, facts_removed_at = ? "
                "WHERE made_at < ? AND facts IS NOT NULL", (_time(now), _time(made_before)))
            return cur.rowcount

    def encrypted_facts(self, not_key: str) -> list[tuple[str, bytes, str]]:
        return [(str(i), bytes(f), str(k)) for i, f, k in self._all(
            "SELECT id, facts, facts_key FROM decisions WHERE facts IS NOT NULL AND facts_key <> ? ORDER BY seq",
            (not_key,))]

    def replace_facts(self, rows: Sequence[tuple[str, bytes, str]]) -> None:
        with self._writing() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.executemany("UPDATE decisions SET facts = ?, facts_key = ? WHERE id = ? AND facts IS NOT NULL",
                              [(f, k, i) for i, f, k in rows])
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def save_run(self, run: Run) -> None:
        with self._writing() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                rs = run.rule_set
                c.execute("INSERT OR IGNORE INTO rule_sets (id, regulation_hash, bundle) VALUES (?, ?, ?)",
                          (rs.id, rs.regulation_hash, rs.bundle))
                c.execute(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                          (run.id, _time(run.made_at), run.regulation, run.content_hash, rs.id, run.engine_version,
                           run.date, run.population, run.population_hash, run.output_hash, run.people, run.eligible,
                           run.not_eligible, run.undetermined, run.errors, run.caller))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def get_run(self, run_id: str) -> Run | None:
        row = self._one(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if row is None:
            return None
        rs_id = str(row[4])
        bundle = self.rule_set(rs_id) or ""
        return Run(str(row[0]), _parse_time(str(row[1])), str(row[2]), str(row[3]), RuleSet(rs_id, str(row[3]), bundle),
                   str(row[5]), str(row[6]), str(row[7]), str(row[8]), None if row[9] is None else str(row[9]),
                   int(row[10]), int(row[11]), int(row[12]), int(row[13]), int(row[14]),
                   None if row[15] is None else str(row[15]))

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self._closing = True
            self._checkpoint_due.set()
            checkpointer = self._checkpointer
        if checkpointer is not None:
            checkpointer.join()
        with self._write_lock, self._read_lock:
            self._write.close()
            self._read.close()
            if self._lock_fd >= 0 and self._lock_pid == os.getpid():
                os.close(self._lock_fd)
                self._lock_fd = -1
