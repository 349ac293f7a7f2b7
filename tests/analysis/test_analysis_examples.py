"""The shipped library's report (examples/reports/analysis.json), held to issue 11's "done when":
no document counted twice, no parameter echo, no registry claim the catalogue does not support,
every witness plausible and one person per witness (the age agrees with the birth date)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from eenvoud.analysis.registries import holds
from eenvoud.engine.values import years_between
from eenvoud.ir.registries import lookup
from eenvoud.library import Library

REPORT = Path("examples/reports/analysis.json")


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return json.loads(REPORT.read_text(encoding="utf-8"))


def _findings(report: dict[str, object]) -> list[dict[str, object]]:
    found = report["findings"]
    assert isinstance(found, list)
    return found


def test_no_document_is_counted_twice(report: dict[str, object]) -> None:
    library = Library.load(["rules/"])
    documents = {(name, d.name) for name, reg in library.regulations.items() for d in reg.documents}
    seen: dict[tuple[str, str, str], int] = {}
    for f in _findings(report):
        regulation, subject = str(f["regulation"]), str(f["subject"])
        periods = f["periods"]
        assert isinstance(periods, list)
        if (regulation, subject) in documents and f["kind"] in ("registry_data_requested", "unnecessary_document"):
            for p in periods:
                key = (regulation, subject, str(p["from"]))
                seen[key] = seen.get(key, 0) + 1
    assert all(n == 1 for n in seen.values()), {k: n for k, n in seen.items() if n > 1}


def test_every_registry_claim_is_one_the_catalogue_supports(report: dict[str, object]) -> None:
    library = Library.load(["rules/"])
    for f in _findings(report):
        if f["kind"] != "registry_data_requested":
            continue
        reg = library.regulations[str(f["regulation"])]
        for b in f["because"]:  # type: ignore[attr-defined]
            m = re.match(r"^(\S+) holds `(\w+)`$", b) or re.match(r"^`\w+` takes `(\w+)` from (\S+)$", b)
            assert m is not None, b
            name = m.group(2) if b.endswith("`") else m.group(1)
            registry = m.group(1) if b.endswith("`") else m.group(2)
            decl = next((i for r in library.files.values() for i in r.inputs if i.name == name
                         and i.registry == registry), None) or reg.input_map.get(name)
            assert decl is not None and decl.registry == registry, (f["subject"], b)
            assert lookup(registry) is not None, f"{registry} is not in eenvoud/ir/registries.toml"
            assert holds(decl), (f["subject"], b)


def test_no_finding_only_echoes_a_parameter_set_by_date(report: dict[str, object]) -> None:
    assert not [f for f in _findings(report) if f["kind"] == "dead_branch"]


def test_every_witness_is_plausible_and_one_person(report: dict[str, object]) -> None:
    for f in _findings(report):
        w = f["witness"]
        if w is None:
            continue
        assert isinstance(w, dict)
        day = date.fromisoformat(w["date"])
        for facts in (w["facts"], {**w["facts"], **(w.get("changed") or {})}):
            born, age = facts.get("birth_date"), facts.get("age")
            if isinstance(born, str) and isinstance(age, int):
                assert years_between(date.fromisoformat(born), day) == age, (f["subject"], born, age)
            # counts are small (a diverging definition's witness comes from its own search, which
            # keeps its numbers in the domain: divergence.py)
            top = 120 if f["kind"] == "diverging_definition" else 10
            for name, value in facts.items():
                if isinstance(value, int) and not isinstance(value, bool) and name != "age":
                    assert 0 <= value <= top, (f["subject"], name, value)
