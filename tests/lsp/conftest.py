from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp.client import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[object]:
    """Start `eenvoud lsp` and initialize it: `start(root=..., options=...)`; shut down after."""
    clients: list[Client] = []

    def _start(root: Path | None = None, options: dict[str, object] | None = None,
               capabilities: dict[str, object] | None = None) -> Client:
        client = Client(cwd=ROOT)
        clients.append(client)
        client.initialize(root, options, capabilities)
        return client

    yield _start
    for client in clients:
        if client.process.poll() is None:
            client.process.kill()
            client.process.wait()
