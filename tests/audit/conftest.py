"""Fixtures for the decision store's tests: the same tests on SQLite and on a real PostgreSQL.

PostgreSQL comes from EENVOUD_TEST_POSTGRES_URL, which `make test` (and so `.ci/run`) sets after
`.ci/postgres.sh` has installed and started a server. Without it the PostgreSQL cases are skipped,
and say so; with CI=true a missing PostgreSQL fails them instead: CI skips nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from eenvoud.audit import Audit, open_store
from eenvoud.audit.crypto import FactsCipher
from eenvoud.library import Library

PG_ENV = "EENVOUD_TEST_POSTGRES_URL"
# a test key (the same in every import of this module); only the tests use it
KEY = "k1:" + base64.b64encode(hashlib.sha256(b"eenvoud audit tests").digest()).decode()

BASE = """\
module base "Gedeelde grenzen"

parameter limit : money "Inkomensgrens"
  2025-01-01: €30_000.00
"""

BENEFIT = """\
# a small regulation for the store's tests: an import, an amount that can divide by zero
regulation benefit "Testuitkering"
  agency "Testdienst"

import "../shared/base.rules"

input income : money €0.. "Inkomen" from BRI
input household : int 0..10 "Aantal personen in het huishouden" from BRP
input assets : money €0.. "Vermogen"

requirement low_income "Inkomen onder de grens" article "Art. 1" : income <= limit
requirement low_assets "Vermogen onder de grens" article "Art. 2" : assets <= €10_000

amount benefit : money "Uitkering per persoon" article "Art. 3" = round((limit - income) / (10 * household), 2)
"""


def write_rules(root: Path, benefit: str = BENEFIT) -> Path:
    (root / "shared").mkdir(parents=True, exist_ok=True)
    (root / "nl").mkdir(parents=True, exist_ok=True)
    (root / "shared" / "base.rules").write_text(BASE, encoding="utf-8")
    (root / "nl" / "benefit.rules").write_text(benefit, encoding="utf-8")
    return root


def load_library(root: Path) -> Library:
    lib = Library.load([root])
    lib.raise_for_errors()
    return lib


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    return write_rules(tmp_path / "rules")


@pytest.fixture
def library(rules_dir: Path) -> Library:
    return load_library(rules_dir)


def postgres_url() -> str | None:
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and no PostgreSQL: {PG_ENV} is not set (`make test` sets it from .ci/postgres.sh)")
    pytest.skip(f"no PostgreSQL: {PG_ENV} is not set (`make test` runs .ci/postgres.sh to install and start one)")
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a schema of its own in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'decisions.sqlite3'}"
        return
    import psycopg

    base = postgres_url()
    assert base is not None
    schema = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]


@pytest.fixture
def cipher() -> FactsCipher:
    return FactsCipher.parse(KEY)


@pytest.fixture
def audit(store_url: str, cipher: FactsCipher) -> Iterator[Audit]:
    a = Audit(open_store(store_url), cipher)
    yield a
    a.close()


@pytest.fixture
def env(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment a server or the CLI reads: this store, this key, a data folder in tmp."""
    monkeypatch.setenv("EENVOUD_DATABASE_URL", store_url)
    monkeypatch.setenv("EENVOUD_FACTS_KEY", KEY)
    monkeypatch.setenv("EENVOUD_DATA_DIR", str(tmp_path / "data"))
    return store_url
