"""API keys: optional, kept only as SHA-256 hashes, compared in constant time.

Keys come from `EENVOUD_API_KEYS` (comma-separated keys, hashed as soon as they are read) and from
a file named by `EENVOUD_API_KEY_FILE` that holds one `sha256:<hex>` hash a line (`#` starts a
comment), so the clear keys need never be written to the server's disk:

    printf %s "$KEY" | sha256sum   # the hex digest to put in the file, after `sha256:`
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_KEYS = "EENVOUD_API_KEYS"
ENV_KEY_FILE = "EENVOUD_API_KEY_FILE"

_HASH_LINE = re.compile(r"^sha256:([0-9a-fA-F]{64})$")


class KeyFileError(Exception):
    """A key file that cannot be read or holds something other than hashes."""


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


@dataclass(frozen=True)
class ApiKeys:
    """The hashes of the keys that may call the API; none means the API is open."""

    hashes: tuple[bytes, ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.hashes)

    @staticmethod
    def of(keys: Iterable[str]) -> ApiKeys:
        return ApiKeys(tuple(digest(k) for k in keys if k))

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> ApiKeys:
        env = os.environ if env is None else env
        hashes = [digest(k.strip()) for k in env.get(ENV_KEYS, "").split(",") if k.strip()]
        path = env.get(ENV_KEY_FILE, "").strip()
        if path:
            hashes.extend(read_key_file(Path(path)))
        return ApiKeys(tuple(hashes))

    def accepts(self, presented: str | None) -> bool:
        """Whether `presented` is one of the keys. Every stored hash is compared, each in constant
        time, so the answer's timing tells nothing about which key came close."""
        if presented is None:
            return False
        candidate = digest(presented)
        found = False
        for h in self.hashes:
            found |= hmac.compare_digest(candidate, h)
        return found


def read_key_file(path: Path) -> list[bytes]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"cannot read the API key file {path}: {exc.strerror}") from None
    hashes: list[bytes] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _HASH_LINE.match(line)
        if m is None:
            raise KeyFileError(
                f"{path}:{number}: expected `sha256:` and 64 hex digits; the file holds hashes of keys, "
                "never the keys themselves"
            )
        hashes.append(bytes.fromhex(m.group(1)))
    return hashes
