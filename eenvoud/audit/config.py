"""Which store: `EENVOUD_DATABASE_URL` (`sqlite:///PATH` or `postgresql://...`), by default the
SQLite file `decisions.sqlite3` in the data folder: `$EENVOUD_DATA_DIR`, else
`$XDG_DATA_HOME/eenvoud`, else `~/.local/share/eenvoud` (never the repository)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from eenvoud.audit.store import DecisionStore, StoreError

ENV_URL = "EENVOUD_DATABASE_URL"
ENV_DATA_DIR = "EENVOUD_DATA_DIR"
ENV_STORE = "EENVOUD_STORE"          # on | off: whether the API stores decisions (`eenvoud serve` sets it)
ENV_KEEP_FACTS = "EENVOUD_STORE_FACTS"  # no: keep outcomes and hashes, never the facts
DEFAULT_FILE = "decisions.sqlite3"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_DATA_DIR):
        return Path(env[ENV_DATA_DIR])
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "eenvoud"
    return Path.home() / ".local" / "share" / "eenvoud"


def database_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    url = env.get(ENV_URL, "").strip()
    return url or f"sqlite:///{data_dir(env) / DEFAULT_FILE}"


def open_store(url: str) -> DecisionStore:
    """The store at `url`: `sqlite:///relative/path`, `sqlite:////absolute/path` or
    `sqlite:///:memory:` is not allowed (the store outlives the process); `postgresql://...`."""
    if url.startswith("sqlite:///"):
        from eenvoud.audit.sqlite import SQLiteStore

        path = url.removeprefix("sqlite:///")
        if not path or path == ":memory:":
            raise StoreError(f"{ENV_URL}: a SQLite store needs a file, like sqlite:///var/lib/eenvoud/decisions.sqlite3")
        return SQLiteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        from eenvoud.audit.postgres import PostgresStore

        return PostgresStore(url)
    scheme = url.split(":", 1)[0]
    raise StoreError(f"{ENV_URL}: `{scheme}` is not a store this server knows; use sqlite:///PATH or postgresql://...")
