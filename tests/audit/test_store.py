"""The decision store, the same tests on SQLite and PostgreSQL: stored and replayed byte for byte,
under the rules a decision was made with; concurrent load; a redecision linked and explained;
retention; key rotation; append-only."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from eenvoud.audit import Audit, CannotReplay, NotFound, open_store
from eenvoud.audit.crypto import FactsCipher, new_key
from eenvoud.library import Library
from tests.audit.conftest import BENEFIT, load_library, write_rules

DAY = date(2025, 3, 1)
FACTS = {"income": "12000.00", "household": 2, "assets": Decimal("250.5")}


def test_stored_and_replayed_byte_for_byte(audit: Audit, library: Library) -> None:
    reg = library.regulations["benefit"]
    made = audit.decide(reg, FACTS, DAY, caller="the citizen portal")
    decision = json.loads(made.body)
    assert decision["decision_id"] == made.id and decision["eligible"] is True
    assert decision["amounts"]["benefit"] == "900.00"

    stored = audit.get(made.id)
    assert stored.outcome.encode() == made.body
    assert (stored.regulation, stored.content_hash, stored.date) == ("benefit", reg.hash, "2025-03-01")
    assert stored.caller == "the citizen portal" and stored.engine_version == audit.version
    assert audit.facts(stored) == FACTS  # exactly as given: 250.5 stays a Decimal
    assert [f["name"] for f in audit.rule_text(stored)] == [reg.imports[0].file.name, reg.file.name]

    replay = audit.replay(made.id)
    assert replay.identical and replay.replayed == made.body and replay.differences == []


def test_an_error_outcome_replays_with_the_same_place_in_the_rules(audit: Audit, library: Library) -> None:
    made = audit.decide(library.regulations["benefit"], {**FACTS, "household": 0}, DAY)
    decision = json.loads(made.body)
    assert decision["error"] is not None and decision["error"]["span"].startswith(str(library.regulations["benefit"].file.name))
    assert audit.replay(made.id).identical


def test_a_changed_regulation_replays_under_the_rules_it_was_made_with(audit: Audit, rules_dir: Path) -> None:
    old = load_library(rules_dir).regulations["benefit"]
    made = audit.decide(old, FACTS, DAY)
    # the regulation changes: a lower limit in the shared module, another formula
    write_rules(rules_dir, BENEFIT.replace("(10 * household)", "(20 * household)"))
    (rules_dir / "shared" / "base.rules").write_text(
        (rules_dir / "shared" / "base.rules").read_text().replace("€30_000.00", "€10_000.00"))
    new = load_library(rules_dir).regulations["benefit"]
    assert new.hash != old.hash
    assert json.loads(audit.decide(new, FACTS, DAY).body)["eligible"] is False
    replay = audit.replay(made.id)
    assert replay.identical, replay.differences


def test_a_difference_is_shown_path_by_path_with_the_engine_versions(store_url: str, cipher: FactsCipher,
                                                                    library: Library) -> None:
    reg = library.regulations["benefit"]
    then = Audit(open_store(store_url), cipher, version="0.0.1")
    try:
        # a decision as an engine that computed differently would have stored it
        decision = json.loads(Audit.decide(then, reg, FACTS, DAY).body)
        decision.pop("decision_id")
        decision["amounts"]["benefit"] = "901.00"
        made = then.make(reg, DAY, FACTS, decision)
        then.save(made)
    finally:
        then.close()
    now = Audit(open_store(store_url), cipher)
    try:
        replay = now.replay(made.id)
    finally:
        now.close()
    assert not replay.identical
    assert [d.to_json() for d in replay.differences] == [
        {"path": "amounts.benefit", "stored": "901.00", "replayed": "900.00"}]
    assert replay.to_json()["engine_version"] == {"stored": "0.0.1", "replayed": now.version}


def test_concurrent_load_loses_nothing(audit: Audit, library: Library) -> None:
    reg = library.regulations["benefit"]
    threads, each = 8, 100
    made: list[list[str]] = [[] for _ in range(threads)]

    def client(i: int) -> None:
        for n in range(each):
            made[i].append(audit.decide(reg, {**FACTS, "income": f"{1000 * i + n}.00"}, DAY).id)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    ids = [i for m in made for i in m]
    assert len(ids) == threads * each == len(set(ids))
    assert audit.store.count() == threads * each
    assert sorted(audit.store.ids()) == sorted(ids)
    for i in (ids[0], ids[len(ids) // 2], ids[-1]):
        assert audit.replay(i).identical


def test_a_redecision_is_linked_and_explained(audit: Audit, library: Library) -> None:
    reg = library.regulations["benefit"]
    first = audit.decide(reg, {**FACTS, "income": "40000.00"}, DAY, caller="case system")
    assert json.loads(first.body)["eligible"] is False
    again = audit.redecide(first.id, {"income": "12000.00"}, caller="objections team")
    new = json.loads(again.made.body)
    assert new["eligible"] is True and new["date"] == "2025-03-01"
    stored = audit.get(again.made.id)
    assert stored.previous == first.id and stored.caller == "objections team"
    assert audit.store.later(first.id) == [again.made.id]
    assert audit.describe(audit.get(first.id))["redecided_by"] == [again.made.id]
    assert again.changes == [
        "Fact `income` corrected: 40000.00 -> 12000.00.",
        "Outcome: not eligible -> eligible.",
        "Requirement `low_income` (Inkomen onder de grens, Art. 1) now holds; before, it did not hold "
        "(income 40000.00 -> 12000.00).",
        "Amount `benefit` changed: 0.00 -> 900.00, because `income` changed and the case is now eligible.",
    ]
    assert audit.replay(again.made.id).identical


def test_retention_removes_facts_and_keeps_outcomes_and_hashes(store_url: str, cipher: FactsCipher,
                                                               library: Library) -> None:
    reg = library.regulations["benefit"]
    now = [datetime(2025, 1, 1, tzinfo=UTC)]
    audit = Audit(open_store(store_url), cipher, clock=lambda: now[0])
    try:
        old = audit.decide(reg, FACTS, DAY)
        now[0] += timedelta(days=20)
        recent = audit.decide(reg, FACTS, DAY)
        now[0] += timedelta(days=20)
        assert audit.remove_facts(timedelta(days=30)) == 1
        assert audit.remove_facts(timedelta(days=30)) == 0
        gone, kept = audit.get(old.id), audit.get(recent.id)
        assert gone.facts is None and gone.facts_key is None and gone.facts_removed_at == now[0]
        assert gone.outcome.encode() == old.body and gone.content_hash == reg.hash
        assert audit.rule_text(gone)  # the rule text stays
        assert audit.describe(gone)["facts"] is None and audit.describe(gone)["facts_kept"] is False
        assert kept.facts is not None and audit.replay(recent.id).identical
        with pytest.raises(CannotReplay, match="retention"):
            audit.replay(old.id)
    finally:
        audit.close()


def test_facts_are_encrypted_and_keys_rotate(store_url: str, library: Library) -> None:
    reg = library.regulations["benefit"]
    k1, k2 = new_key("k1"), new_key("k2")
    first = Audit(open_store(store_url), FactsCipher.parse(k1))
    try:
        made = first.decide(reg, FACTS, DAY)
        stored = first.get(made.id)
        assert stored.facts_key == "k1" and stored.facts is not None
        assert b"12000.00" not in stored.facts and b"income" not in stored.facts
    finally:
        first.close()
    # rotation: the new key first, the old one after it; rekey; then the old one can go
    both = Audit(open_store(store_url), FactsCipher.parse(f"{k2},{k1}"))
    try:
        assert both.replay(made.id).identical
        assert both.rekey() == 1 and both.rekey() == 0
    finally:
        both.close()
    only_new = Audit(open_store(store_url), FactsCipher.parse(k2))
    try:
        assert only_new.get(made.id).facts_key == "k2"
        assert only_new.replay(made.id).identical
    finally:
        only_new.close()
    only_old = Audit(open_store(store_url), FactsCipher.parse(k1))
    try:
        with pytest.raises(CannotReplay, match="`k2`"):
            only_old.replay(made.id)
    finally:
        only_old.close()


def test_the_store_is_append_only(audit: Audit, library: Library, store_url: str) -> None:
    made = audit.decide(library.regulations["benefit"], FACTS, DAY)
    if store_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(store_url.removeprefix("sqlite:///"))
        errors: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)
    else:
        import psycopg

        conn = psycopg.connect(store_url, autocommit=True)  # type: ignore[assignment]
        errors = (psycopg.Error,)
    try:
        for sql in (f"UPDATE decisions SET outcome = '{{}}' WHERE id = '{made.id}'",
                    f"DELETE FROM decisions WHERE id = '{made.id}'",
                    "DELETE FROM rule_sets"):
            with pytest.raises(errors, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()
    assert audit.get(made.id).outcome.encode() == made.body


def test_unknown_decision(audit: Audit) -> None:
    with pytest.raises(NotFound):
        audit.replay("no-such-id")


def test_a_batch_run_is_recorded(audit: Audit, library: Library, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("income,household,assets\n12000.00,2,0.00\n", encoding="utf-8")
    run = audit.record_run(library.regulations["benefit"], DAY, people, None,
                           {"people": 1, "eligible": 1, "not_eligible": 0, "undetermined": 0, "errors": 0})
    back = audit.store.get_run(run.id)
    assert back is not None
    assert (back.content_hash, back.date, back.people, back.eligible) == (run.content_hash, "2025-03-01", 1, 1)
    assert back.population_hash == run.population_hash and back.population_hash.startswith("sha256:")
    assert back.rule_set.bundle == run.rule_set.bundle
