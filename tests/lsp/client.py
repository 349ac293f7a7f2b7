"""A small LSP client for the tests: `eenvoud lsp` as a subprocess, spoken to in Content-Length
framed JSON-RPC over its stdin and stdout, as an editor does.

Responses are awaited with a generous timeout (a busy machine is slow, not wrong): the tests
assert what the server says, never how fast.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMEOUT = 180.0  # seconds to wait for one response or notification (the first: the server starting, at load 20)
ANALYSIS_TIMEOUT = 300.0  # the analyzer (Z3) on a save, on a machine shared with others


class LspError(Exception):
    pass


class Client:
    def __init__(self, cwd: Path | None = None) -> None:
        env = dict(os.environ)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "eenvoud", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd, env=env,
        )
        self._next_id = 0
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self._responses: dict[int, dict[str, Any]] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr: list[bytes] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.versions: dict[str, int] = {}

    # -- framing ----------------------------------------------------------------------------------
    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self._messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            assert length is not None, "a message without Content-Length"
            body = stream.read(length)
            self._messages.put(json.loads(body.decode("utf-8")))

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.process.stdin.flush()

    def _pump(self, timeout: float) -> dict[str, Any]:
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no message from the server in {timeout} s; stderr:\n{self.stderr()}") from None
        if message is None:
            raise LspError(f"the server closed its output; stderr:\n{self.stderr()}")
        if "id" in message and "method" in message:  # a request from the server: answer it
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            self.notifications.append(message)
        elif "id" in message:
            self._responses[message["id"]] = message
        else:
            self.notifications.append(message)
        return message

    # -- requests and notifications ----------------------------------------------------------------
    def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Any:
        response = self.request_raw(method, params, timeout)
        if "error" in response:
            raise LspError(response["error"].get("message", str(response["error"])))
        return response.get("result")

    def request_raw(self, method: str, params: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        self._next_id += 1
        ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        while ident not in self._responses:
            self._pump(timeout)
        return self._responses.pop(ident)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first notification (seen before or from now on) that `predicate` accepts; each is
        taken once."""
        while True:
            for index, message in enumerate(self.notifications):
                if predicate(message):
                    return self.notifications.pop(index)
            self._pump(timeout)

    def diagnostics(self, uri: str, predicate: Callable[[list[dict[str, Any]]], bool] = lambda d: True,
                    timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """The diagnostics of the first publication for `uri` that `predicate` accepts."""
        message = self.wait_for(
            lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            and predicate(m["params"]["diagnostics"]), timeout)
        return list(message["params"]["diagnostics"])

    # -- the session ---------------------------------------------------------------------------------
    def initialize(self, root: Path | None = None, options: dict[str, Any] | None = None,
                   capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "processId": os.getpid(), "capabilities": capabilities or {},
            "rootUri": root.resolve().as_uri() if root else None,
            "workspaceFolders": [{"uri": root.resolve().as_uri(), "name": root.name}] if root else None,
        }
        if options is not None:
            params["initializationOptions"] = options
        result = self.request("initialize", params)
        self.notify("initialized", {})
        return dict(result)

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.versions[uri] = 1
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "eenvoud", "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                               "contentChanges": [{"text": text}]})

    def edit(self, uri: str, range_: dict[str, Any], text: str) -> None:
        self.versions[uri] += 1
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                               "contentChanges": [{"range": range_, "text": text}]})

    def save(self, uri: str) -> None:
        self.notify("textDocument/didSave", {"textDocument": {"uri": uri}})

    def close(self) -> int:
        """shutdown, exit, and the server's exit code."""
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            return self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def position(text: str, needle: str, occurrence: int = 0, delta: int = 0) -> dict[str, int]:
    """The LSP position (UTF-16) of the `occurrence`-th `needle` in `text`, plus `delta` characters."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += delta
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return {"line": line, "character": len(text[start:index].encode("utf-16-le")) // 2}


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    """`text` with LSP text edits applied (UTF-16 positions), last first."""
    lines = text.split("\n")

    def offset(pos: dict[str, int]) -> int:
        start = sum(len(line) + 1 for line in lines[:pos["line"]])
        line = lines[pos["line"]] if pos["line"] < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos["character"]:
                return start + i
            units += len(ch.encode("utf-16-le")) // 2
        return start + len(line)

    spans = sorted(((offset(e["range"]["start"]), offset(e["range"]["end"]), e["newText"]) for e in edits),
                   reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text
