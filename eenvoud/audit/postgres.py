"""The decision store on PostgreSQL (psycopg 3): for an agency, whose database is backed up,
replicated and audited by people whose job that is. Writes go through one connection under a
lock (the audit's writer thread is the only writer in a process); reads through another."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from eenvoud.audit.store import Record, RuleSet, Run, Stored, StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS rule_sets (
  id TEXT PRIMARY KEY,
  regulation_hash TEXT NOT NULL,
  bundle TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  made_at TIMESTAMPTZ NOT NULL,
  regulation TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  rule_set TEXT NOT NULL REFERENCES rule_sets(id),
  engine_version TEXT NOT NULL,
  decision_date DATE NOT NULL,
  facts BYTEA,
  facts_key TEXT,
  facts_removed_at TIMESTAMPTZ,
  outcome TEXT NOT NULL,
  caller TEXT,
  previous TEXT REFERENCES decisions(id)
);
CREATE INDEX IF NOT EXISTS decisions_previous ON decisions(previous);
CREATE INDEX IF NOT EXISTS decisions_made_at ON decisions(made_at);
CREATE TABLE IF NOT EXISTS runs (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  made_at TIMESTAMPTZ NOT NULL,
  regulation TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  rule_set TEXT NOT NULL REFERENCES rule_sets(id),
  engine_version TEXT NOT NULL,
  decision_date DATE NOT NULL,
  population TEXT NOT NULL,
  population_hash TEXT NOT NULL,
  output_hash TEXT,
  people BIGINT NOT NULL,
  eligible BIGINT NOT NULL,
  not_eligible BIGINT NOT NULL,
  undetermined BIGINT NOT NULL,
  errors BIGINT NOT NULL,
  caller TEXT
);
CREATE OR REPLACE FUNCTION eenvoud_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the decision store is append-only: only facts can be removed or re-encrypted'; END $$;
CREATE OR REPLACE TRIGGER decisions_append_only BEFORE DELETE OR UPDATE OF id, made_at, regulation, content_hash,
  rule_set, engine_version, decision_date, outcome, caller, previous ON decisions
  FOR EACH ROW EXECUTE FUNCTION eenvoud_append_only();
CREATE OR REPLACE TRIGGER rule_sets_append_only BEFORE DELETE OR UPDATE ON rule_sets
  FOR EACH ROW EXECUTE FUNCTION eenvoud_append_only();
CREATE OR REPLACE TRIGGER runs_append_only BEFORE DELETE OR UPDATE ON runs
  FOR EACH ROW EXECUTE FUNCTION eenvoud_append_only();
"""

_COLUMNS = ("id, made_at, regulation, content_hash, rule_set, engine_version, decision_date::text, facts, facts_key, "
            "facts_removed_at, outcome, caller, previous")
_RUN_COLUMNS = ("id, made_at, regulation, content_hash, rule_set, engine_version, decision_date, population, "
                "population_hash, output_hash, people, eligible, not_eligible, undetermined, errors, caller")


class PostgresStore:
    local = False  # a commit is a round trip: the audit's writer thread makes it, never the event loop
    kind = "postgresql"

    def __init__(self, url: str, connect_timeout: int = 10) -> None:
        self.url = url
        try:
            self._write = psycopg.connect(url, connect_timeout=connect_timeout, autocommit=True)
            with self._write.transaction():
                # several workers may start at once: one creates the schema, the others wait
                self._write.execute("SELECT pg_advisory_xact_lock(4242150001)")
                self._write.execute(SCHEMA)
            self._read = psycopg.connect(url, connect_timeout=connect_timeout, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the decision store on PostgreSQL: {_no_password(str(exc), url)}") from None
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._known: set[str] = set()

    def try_save(self, records: Sequence[Record]) -> bool:
        self.save(records)  # never called: the audit's writer thread saves to PostgreSQL
        return True

    def save(self, records: Sequence[Record]) -> None:
        with self._write_lock, self._write.transaction(), self._write.cursor() as cur:
            new = {r.rule_set.id: r.rule_set for r in records if r.rule_set.id not in self._known}
            if new:
                cur.executemany("INSERT INTO rule_sets (id, regulation_hash, bundle) VALUES (%s, %s, %s) "
                                "ON CONFLICT (id) DO NOTHING",
                                [(rs.id, rs.regulation_hash, rs.bundle) for rs in new.values()])
            cur.executemany(
                "INSERT INTO decisions (id, made_at, regulation, content_hash, rule_set, engine_version, "
                "decision_date, facts, facts_key, outcome, caller, previous) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(r.id, r.made_at, r.regulation, r.content_hash, r.rule_set.id, r.engine_version, r.date, r.facts,
                  r.facts_key, r.outcome, r.caller, r.previous) for r in records])
        self._known.update(r.rule_set.id for r in records)

    def _one(self, sql: str, args: tuple[object, ...]) -> tuple[Any, ...] | None:
        with self._read_lock:
            return self._read.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return list(self._read.execute(sql, args).fetchall())

    def get(self, decision_id: str) -> Stored | None:
        row = self._one(f"SELECT {_COLUMNS} FROM decisions WHERE id = %s", (decision_id,))
        if row is None:
            return None
        (id_, made_at, regulation, content_hash, rule_set, engine_version, day, facts, facts_key, removed, outcome,
         caller, previous) = row
        return Stored(id_, made_at, regulation, content_hash, rule_set, engine_version, day,
                      None if facts is None else bytes(facts), facts_key, removed, outcome, caller, previous)

    def rule_set(self, rule_set_id: str) -> str | None:
        row = self._one("SELECT bundle FROM rule_sets WHERE id = %s", (rule_set_id,))
        return None if row is None else str(row[0])

    def later(self, decision_id: str) -> list[str]:
        return [r[0] for r in self._all("SELECT id FROM decisions WHERE previous = %s ORDER BY seq", (decision_id,))]

    def count(self) -> int:
        row = self._one("SELECT count(*) FROM decisions", ())
        return int(row[0]) if row else 0

    def ids(self) -> list[str]:
        return [r[0] for r in self._all("SELECT id FROM decisions ORDER BY seq")]

    def remove_facts(self, made_before: datetime, now: datetime) -> int:
        with self._write_lock, self._write.transaction():
            cur = self._write.execute(
                "UPDATE decisions SET facts = NULL, facts_key = NULL, facts_removed_at = %s "
                "WHERE made_at < %s AND facts IS NOT NULL", (now, made_before))
            return cur.rowcount

    def encrypted_facts(self, not_key: str) -> list[tuple[str, bytes, str]]:
        return [(i, bytes(f), k) for i, f, k in self._all(
            "SELECT id, facts, facts_key FROM decisions WHERE facts IS NOT NULL AND facts_key <> %s ORDER BY seq",
            (not_key,))]

    def replace_facts(self, rows: Sequence[tuple[str, bytes, str]]) -> None:
        with self._write_lock, self._write.transaction(), self._write.cursor() as cur:
            cur.executemany("UPDATE decisions SET facts = %s, facts_key = %s WHERE id = %s AND facts IS NOT NULL",
                            [(f, k, i) for i, f, k in rows])

    def save_run(self, run: Run) -> None:
        rs = run.rule_set
        with self._write_lock, self._write.transaction():
            self._write.execute("INSERT INTO rule_sets (id, regulation_hash, bundle) VALUES (%s, %s, %s) "
                                "ON CONFLICT (id) DO NOTHING", (rs.id, rs.regulation_hash, rs.bundle))
            self._write.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({', '.join(['%s'] * 16)})",
                (run.id, run.made_at, run.regulation, run.content_hash, rs.id, run.engine_version, run.date,
                 run.population, run.population_hash, run.output_hash, run.people, run.eligible, run.not_eligible,
                 run.undetermined, run.errors, run.caller))

    def get_run(self, run_id: str) -> Run | None:
        row = self._one(f"SELECT {_RUN_COLUMNS.replace('decision_date', 'decision_date::text')} FROM runs "
                        "WHERE id = %s", (run_id,))
        if row is None:
            return None
        rs = RuleSet(row[4], row[3], self.rule_set(row[4]) or "")
        return Run(row[0], row[1], row[2], row[3], rs, row[5], row[6], row[7], row[8], row[9],
                   int(row[10]), int(row[11]), int(row[12]), int(row[13]), int(row[14]), row[15])

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self._write.close()
            self._read.close()


def _no_password(message: str, url: str) -> str:
    """psycopg's message, without the password should it quote the URL."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        password = conninfo_to_dict(url).get("password")
    except Exception:
        return message
    return message.replace(str(password), "***") if password else message
