"""The audit: decisions recorded as they are made, read back, replayed and made again after an
objection. Everything here goes through the storage interface (`DecisionStore`), so it is the same
on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from eenvoud.analysis.determinacy import decision as settled_decision
from eenvoud.audit import rules as stored_rules
from eenvoud.audit.config import ENV_KEEP_FACTS, data_dir, database_url, open_store
from eenvoud.audit.crypto import FactsCipher
from eenvoud.audit.diff import Difference, byte_differences, explain
from eenvoud.audit.store import DecisionStore, Record, Run, Stored, Writer
from eenvoud.engine.facts import parse_facts
from eenvoud.ir.checked import CheckedRegulation


def engine_version() -> str:
    try:
        return metadata.version("eenvoud")
    except metadata.PackageNotFoundError:
        return "unknown"


ENGINE_VERSION = engine_version()


class NotFound(Exception):
    """No decision with that id in the store."""


class CannotReplay(Exception):
    """A decision whose facts are gone (the retention run) or cannot be read (a key rotated away)."""


# one encoder for every decision (json.dumps with options builds a new one each call); no cycle
# check: a decision is a tree of plain values built by to_json()
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def encode(data: Any) -> bytes:
    """A decision's bytes, as the API returns them."""
    return _encode(data).encode()


def facts_json(facts: Any) -> str:
    """Facts as given, as JSON, exactly: a Decimal (a JSON number with a fraction, read exactly) is
    written back as the same number."""
    try:  # no Decimal in them (money sent as strings, as docs/api.md asks): one call of json's C encoder
        return json.dumps(facts, ensure_ascii=False, separators=(",", ":"), default=_not_plain)
    except _HasDecimal:
        return _exact_json(facts)


class _HasDecimal(Exception):
    pass


def _not_plain(value: Any) -> Any:
    raise _HasDecimal


def _exact_json(facts: Any) -> str:
    if isinstance(facts, Decimal):
        if not facts.is_finite():
            raise ValueError("not a JSON number")
        return str(facts)
    if isinstance(facts, Mapping):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + _exact_json(v)
                              for k, v in facts.items()) + "}"
    if isinstance(facts, list | tuple):
        return "[" + ",".join(_exact_json(v) for v in facts) + "]"
    return json.dumps(facts, ensure_ascii=False)


def read_facts(text: str | bytes) -> dict[str, Any]:
    data = json.loads(text, parse_float=Decimal)
    return data if isinstance(data, dict) else {}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Made:
    """A decision made and ready to store: its id, its bytes, its record."""

    id: str
    body: bytes
    record: Record


@dataclass(frozen=True)
class Replay:
    decision_id: str
    stored: bytes
    replayed: bytes
    engine_then: str
    engine_now: str
    differences: list[Difference]

    @property
    def identical(self) -> bool:
        return self.stored == self.replayed

    def to_json(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id, "identical": self.identical,
                "engine_version": {"stored": self.engine_then, "replayed": self.engine_now},
                "differences": [d.to_json() for d in self.differences],
                "stored": json.loads(self.stored), "replayed": json.loads(self.replayed)}


@dataclass(frozen=True)
class Redecision:
    previous: str
    made: Made
    changes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"decision_id": self.made.id, "previous": self.previous, "changes": self.changes,
                "decision": json.loads(self.made.body)}


@dataclass
class Audit:
    store: DecisionStore
    cipher: FactsCipher | None
    keep_facts: bool = True
    clock: Callable[[], datetime] = _now
    version: str = ENGINE_VERSION
    writer: Writer = field(init=False)

    def __post_init__(self) -> None:
        self.writer = Writer(self.store)
        if self.keep_facts and self.cipher is None:
            self.keep_facts = False

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> Audit:
        env = os.environ if env is None else env
        keep = env.get(ENV_KEEP_FACTS, "yes").strip().lower() not in ("no", "0", "false", "off")
        cipher = FactsCipher.from_env(env, default_file=data_dir(env) / "facts.key") if keep else None
        return Audit(open_store(database_url(env)), cipher, keep_facts=keep)

    # -- recording ---------------------------------------------------------------------------------

    def make(self, reg: CheckedRegulation, day: date, facts: Mapping[str, Any], decision: Mapping[str, Any],
             caller: str | None = None, previous: str | None = None) -> Made:
        """The decision with its id, as bytes, and the record to store; `facts` as given."""
        decision_id = str(uuid.uuid4())
        body = encode({"decision_id": decision_id, **decision})
        blob: bytes | None = None
        key_id: str | None = None
        if self.keep_facts and self.cipher is not None:
            blob, key_id = self.cipher.encrypt(facts_json(facts).encode(), decision_id)
        record = Record(decision_id, self.clock(), reg.name, reg.hash, stored_rules.rule_set(reg), self.version,
                        day.isoformat(), blob, key_id, body.decode(), caller, previous)
        return Made(decision_id, body, record)

    def save(self, made: Made) -> None:
        self.writer.save(made.record)

    async def save_async(self, made: Made) -> None:
        await self.writer.save_async(made.record)

    def decide(self, reg: CheckedRegulation, facts: Mapping[str, Any], day: date, caller: str | None = None,
               previous: str | None = None) -> Made:
        """Decide, and store the decision (waiting for its commit)."""
        decision = settled_decision(reg, parse_facts(reg, dict(facts)), day).to_json()
        made = self.make(reg, day, facts, decision, caller, previous)
        self.save(made)
        return made

    # -- reading -----------------------------------------------------------------------------------

    def get(self, decision_id: str) -> Stored:
        stored = self.store.get(decision_id)
        if stored is None:
            raise NotFound(f"no decision `{decision_id}` in the store")
        return stored

    def facts(self, stored: Stored) -> dict[str, Any] | None:
        """The facts as given, decrypted; None when they were not kept or have been removed."""
        if stored.facts is None or stored.facts_key is None:
            return None
        if self.cipher is None:
            raise CannotReplay("the facts are encrypted and this server has no facts key (EENVOUD_FACTS_KEY)")
        from eenvoud.audit.crypto import FactsUnreadable

        try:
            return read_facts(self.cipher.decrypt(stored.facts, stored.facts_key, stored.id))
        except FactsUnreadable as exc:
            raise CannotReplay(str(exc)) from None

    def rules(self, stored: Stored) -> CheckedRegulation:
        bundle = self.store.rule_set(stored.rule_set)
        if bundle is None:
            raise CannotReplay(f"the rule set {stored.rule_set} is not in the store")
        try:
            return stored_rules.load(bundle, stored.content_hash)
        except stored_rules.RulesError as exc:
            raise CannotReplay(str(exc)) from None

    def rule_text(self, stored: Stored) -> list[dict[str, str]]:
        bundle = self.store.rule_set(stored.rule_set)
        return [] if bundle is None else stored_rules.files(bundle)

    def describe(self, stored: Stored) -> dict[str, Any]:
        """A stored decision as the API shows it."""
        try:
            facts = self.facts(stored)
        except CannotReplay:
            facts = None
        return {
            "decision_id": stored.id, "made_at": stored.made_at.astimezone(UTC).isoformat(),
            "regulation": stored.regulation, "hash": stored.content_hash, "rule_set": stored.rule_set,
            "engine_version": stored.engine_version, "date": stored.date, "caller": stored.caller,
            "previous": stored.previous, "redecided_by": self.store.later(stored.id),
            "facts": None if facts is None else _plain(facts), "facts_kept": stored.facts is not None,
            "facts_removed_at": None if stored.facts_removed_at is None
            else stored.facts_removed_at.astimezone(UTC).isoformat(),
            "outcome": json.loads(stored.outcome),
        }

    # -- replay, redecision --------------------------------------------------------------------------

    def replay(self, decision_id: str) -> Replay:
        """Decide again from the stored rule text and facts; the same id, so the bytes compare."""
        stored = self.get(decision_id)
        facts = self.facts(stored)
        if facts is None:
            when = f" on {stored.facts_removed_at.date().isoformat()}" if stored.facts_removed_at else ""
            raise CannotReplay(f"the facts of decision `{decision_id}` are not kept (removed by the retention "
                               f"run{when}, or never stored); its outcome and hashes remain")
        reg = self.rules(stored)
        day = date.fromisoformat(stored.date)
        decision = settled_decision(reg, parse_facts(reg, facts), day).to_json()
        replayed = encode({"decision_id": stored.id, **decision})
        stored_bytes = stored.outcome.encode()
        return Replay(stored.id, stored_bytes, replayed, stored.engine_version, self.version,
                      byte_differences(stored_bytes, replayed))

    def redecide(self, decision_id: str, corrections: Mapping[str, Any], day: date | None = None,
                 reg: CheckedRegulation | None = None, caller: str | None = None) -> Redecision:
        """After an objection: the stored facts with `corrections` (corrected or added facts; null
        makes a fact unknown), decided by the stored rules (or `reg`) on the same date (or `day`);
        stored, linked to the first decision, and explained."""
        stored = self.get(decision_id)
        before = self.facts(stored)
        if before is None:
            raise CannotReplay(f"the facts of decision `{decision_id}` are not kept: send every fact again in a "
                               "new decision")
        reg = reg if reg is not None else self.rules(stored)
        facts = {**before, **corrections}
        made = self.decide(reg, facts, day or date.fromisoformat(stored.date), caller, previous=stored.id)
        old = json.loads(stored.outcome)
        new = json.loads(made.body)
        return Redecision(stored.id, made, explain(old, new, before, facts, reg))

    # -- retention, key rotation, batch runs -------------------------------------------------------------

    def remove_facts(self, older_than: timedelta) -> int:
        """Retention: remove the facts of decisions made more than `older_than` ago. Their outcome,
        hashes and rule text remain."""
        now = self.clock()
        return self.store.remove_facts(now - older_than, now)

    def rekey(self) -> int:
        """Re-encrypt every decision's facts under the ring's first key (after a key rotation)."""
        if self.cipher is None:
            return 0
        rows = []
        for decision_id, blob, key_id in self.store.encrypted_facts(self.cipher.current):
            plain = self.cipher.decrypt(blob, key_id, decision_id)
            new, new_key = self.cipher.encrypt(plain, decision_id)
            rows.append((decision_id, new, new_key))
        if rows:
            self.store.replace_facts(rows)
        return len(rows)

    def record_run(self, reg: CheckedRegulation, day: date, population: Path, output: Path | None,
                   counts: Mapping[str, int], caller: str | None = None) -> Run:
        """A batch run: the rules, the date, the population file's hash and the counts."""
        run = Run(str(uuid.uuid4()), self.clock(), reg.name, reg.hash, stored_rules.rule_set(reg), self.version,
                  day.isoformat(), str(population), _file_hash(population),
                  _file_hash(output) if output is not None and output.is_file() else None,
                  counts.get("people", 0), counts.get("eligible", 0), counts.get("not_eligible", 0),
                  counts.get("undetermined", 0), counts.get("errors", 0), caller)
        self.store.save_run(run)
        return run

    def close(self) -> None:
        self.writer.close()
        self.store.close()


def _plain(value: Any) -> Any:
    """JSON-ready: a number with a fraction, read exactly, shown as its exact text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
