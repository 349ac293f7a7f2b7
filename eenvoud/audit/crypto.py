"""Facts encrypted at rest: AES-256-GCM with a key ring from the environment.

`EENVOUD_FACTS_KEY` holds one or more keys, `ID:BASE64` separated by commas (or `EENVOUD_FACTS_KEY_FILE`
names a file holding them, one a line, `#` starting a comment). The first key encrypts; every key
decrypts. Each row records the id of the key its facts were encrypted with, so that a key can be
rotated: put the new key first, keep the old one after it, run `eenvoud rekey` (every row is then
under the new key), and drop the old one.

The decision id is the additional authenticated data: a ciphertext copied to another row does not
decrypt there. A key never reaches the store, an error message or a log line.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENV_KEY = "EENVOUD_FACTS_KEY"
ENV_KEY_FILE = "EENVOUD_FACTS_KEY_FILE"

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
NONCE = 12


class KeyRingError(Exception):
    """A key ring that cannot be used (never quoting a key)."""


class FactsUnreadable(Exception):
    """Facts whose key is no longer in the ring, or that were tampered with."""


def new_key(key_id: str) -> str:
    """A fresh key in the ring's notation, `ID:BASE64`."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


@dataclass(frozen=True)
class FactsCipher:
    keys: tuple[tuple[str, bytes], ...]
    _aead: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("the facts key ring is empty")
        for key_id, key in self.keys:
            self._aead[key_id] = AESGCM(key)

    def __repr__(self) -> str:  # never the keys
        return f"FactsCipher(key ids {[k for k, _ in self.keys]})"

    @property
    def current(self) -> str:
        return self.keys[0][0]

    @staticmethod
    def parse(text: str, where: str = ENV_KEY) -> FactsCipher:
        keys: list[tuple[str, bytes]] = []
        entries = [e.split("#", 1)[0].strip() for line in text.splitlines() for e in line.split(",")]
        for n, entry in enumerate(e for e in entries if e):
            key_id, sep, encoded = entry.partition(":")
            if not sep or not _ID.match(key_id):
                raise KeyRingError(f"{where}: key {n + 1} is not `ID:BASE64` (an id of letters, digits, `_.-`)")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"{where}: key `{key_id}` is not base64") from None
            if len(key) != 32:
                raise KeyRingError(f"{where}: key `{key_id}` has {len(key)} bytes; AES-256 needs 32")
            if any(key_id == k for k, _ in keys):
                raise KeyRingError(f"{where}: the key id `{key_id}` is there twice")
            keys.append((key_id, key))
        return FactsCipher(tuple(keys))

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None, default_file: Path | None = None) -> FactsCipher | None:
        """The ring in EENVOUD_FACTS_KEY, else in the file EENVOUD_FACTS_KEY_FILE names, else in
        `default_file` (created with a fresh key, readable by its owner only, when missing). None
        when there is none of these."""
        env = os.environ if env is None else env
        if env.get(ENV_KEY, "").strip():
            return FactsCipher.parse(env[ENV_KEY])
        path_text = env.get(ENV_KEY_FILE, "").strip()
        path = Path(path_text) if path_text else default_file
        if path is None:
            return None
        if not path_text and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("# the key ring of the facts in the decision store (eenvoud); keep it apart from the\n"
                        "# store in production: see docs/audit.md\n" + new_key("k1") + "\n")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyRingError(f"cannot read the facts key file {path}: {exc.strerror}") from None
        return FactsCipher.parse(text, str(path))

    def encrypt(self, plaintext: bytes, decision_id: str) -> tuple[bytes, str]:
        key_id = self.current
        nonce = os.urandom(NONCE)
        return nonce + self._aead[key_id].encrypt(nonce, plaintext, decision_id.encode()), key_id

    def decrypt(self, blob: bytes, key_id: str, decision_id: str) -> bytes:
        aead = self._aead.get(key_id)
        if aead is None:
            raise FactsUnreadable(f"the facts were encrypted with the key `{key_id}`, which is not in the ring")
        try:
            return aead.decrypt(blob[:NONCE], blob[NONCE:], decision_id.encode())
        except Exception:
            raise FactsUnreadable(f"the facts do not decrypt with the key `{key_id}`") from None
