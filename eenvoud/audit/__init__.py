"""The decision store: every decision kept (append-only), with the rule text it was made with and
its facts encrypted, so that it can be shown, replayed byte for byte and made again after an
objection. See docs/audit.md."""

from eenvoud.audit.config import ENV_STORE, ENV_URL, database_url, open_store
from eenvoud.audit.recorder import (
           ENGINE_VERSION,
           Audit,
           CannotReplay,
           Made,
           NotFound,
           Redecision,
           Replay,
           encode,
)
from eenvoud.audit.store import DecisionStore, StoreError

__all__ = ["Audit", "CannotReplay", "DecisionStore", "ENGINE_VERSION", "ENV_STORE", "ENV_URL", "Made", "NotFound",
           "Redecision", "Replay", "StoreError", "database_url", "encode", "open_store"]
