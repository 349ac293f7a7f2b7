"""`eenvoud lsp`: the language server, over stdin and stdout (pygls does the protocol, the
JSON-RPC framing and the document sync).

Each open document is checked as it changes, with its imports read from the editor when they are
open too; on save its tests run and the analyzer looks at it, on a background thread. The features
themselves live beside this module, each in its own: hover, navigation, symbols, fixes,
formatting, on_save.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from eenvoud.diagnostics import Diagnostic
from eenvoud.lsp import navigation
from eenvoud.lsp.background import Background
from eenvoud.lsp.diagnostics import shown
from eenvoud.lsp.documents import Files, Snapshot
from eenvoud.lsp.fixes import code_actions
from eenvoud.lsp.formatting import format_edits
from eenvoud.lsp.hover import hover, hover_date
from eenvoud.lsp.on_save import DEFAULT_BUDGET, SaveResults, findings, test_results
from eenvoud.lsp.positions import offset
from eenvoud.lsp.symbols import document_symbols

log = logging.getLogger(__name__)
DEBOUNCE = 0.15  # seconds without a change before a changed document is checked


class RulesServer(LanguageServer):
    """The server and what it knows of the open rule files."""

    def __init__(self) -> None:
        super().__init__("eenvoud", "0.1.0", text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.files = Files()
        self.snapshots: dict[str, Snapshot] = {}
        self.checked_text: dict[str, str] = {}  # the text each snapshot was checked from
        self.pending: dict[str, asyncio.TimerHandle] = {}  # checks scheduled after a change
        self.shown: dict[str, list[tuple[Diagnostic, lsp.Diagnostic]]] = {}
        self.saved: dict[str, SaveResults] = {}
        self.saves: dict[str, int] = {}  # the number of the latest save of each document
        self.hover_day: date | None = None  # initializationOptions.date
        self.budget = DEFAULT_BUDGET  # initializationOptions.analysisBudget
        self.background = Background()

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    def path(self, uri: str) -> Path:
        raw = self.workspace.get_text_document(uri).path
        return Path(raw).resolve()

    def recheck(self, uri: str) -> Snapshot:
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        doc = self.workspace.get_text_document(uri)
        path = self.path(uri)
        self.files.open[path] = doc.source
        snap = self.files.snapshot(path)
        assert snap is not None  # an open document always has a text
        self.snapshots[uri] = snap
        self.checked_text[uri] = doc.source
        self.shown[uri] = shown(snap, self.encoding)
        self.publish(uri)
        return snap

    def recheck_importers(self, changed: Path) -> None:
        """Open documents that import `changed` (directly or not) are checked again."""
        for uri, snap in list(self.snapshots.items()):
            if snap.path == changed:
                continue
            imported = {Path(reg.file.name).resolve() for reg in snap.imports}
            if snap.rules is not None:
                imported |= {(snap.path.parent / imp.path).resolve() for imp in snap.rules.imports}
            if changed in imported:
                self.recheck(uri)

    def publish(self, uri: str) -> None:
        saved = self.saved.get(uri, SaveResults())
        diagnostics = [d for _, d in self.shown.get(uri, [])] + saved.tests + saved.findings
        doc = self.workspace.get_text_document(uri)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=doc.version))

    def snapshot(self, uri: str) -> Snapshot:
        """The document checked as the editor has it now (a request may come before the check that a
        change scheduled)."""
        snap = self.snapshots.get(uri)
        if snap is None or self.checked_text.get(uri) != self.workspace.get_text_document(uri).source:
            snap = self.recheck(uri)
            self.recheck_importers(snap.path)
        return snap

    def check_soon(self, uri: str) -> None:
        """Check the document once the drafter pauses typing (DEBOUNCE seconds without a change): a
        burst of keystrokes is one check, not one per key. When the check happens changes nothing
        in what it says."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.files.open[self.path(uri)] = self.workspace.get_text_document(uri).source
        self.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE, self._check_now, uri)

    def _check_now(self, uri: str) -> None:
        self.pending.pop(uri, None)
        if uri not in self.snapshots:
            return  # closed meanwhile
        snap = self.recheck(uri)
        self.recheck_importers(snap.path)


server = RulesServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: RulesServer, params: lsp.InitializeParams) -> None:
    options: Any = params.initialization_options or {}
    if isinstance(options, dict):
        day = options.get("date")
        if isinstance(day, str):
            try:
                ls.hover_day = date.fromisoformat(day)
            except ValueError:
                log.warning("initializationOptions.date %r is not a date like 2025-01-01", day)
        budget = options.get("analysisBudget")
        if isinstance(budget, int | float) and budget > 0:
            ls.budget = float(budget)
    folders = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
    for uri in folders:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path is not None:
            ls.files.folders.append(Path(path).resolve())


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: RulesServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.recheck(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: RulesServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.check_soon(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RulesServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = ls.path(uri)
    ls.files.open.pop(path, None)
    waiting = ls.pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    ls.checked_text.pop(uri, None)
    ls.snapshots.pop(uri, None)
    ls.shown.pop(uri, None)
    ls.saved.pop(uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    ls.recheck_importers(path)  # they read the file from disk again


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: RulesServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    """A rule file changed on disk (another editor, `git checkout`): the open documents that import it
    are checked again (the kept checks of unchanged imports notice the change by themselves)."""
    for change in params.changes:
        path = to_fs_path(change.uri)
        if path is not None:
            ls.recheck_importers(Path(path).resolve())


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
async def did_save(ls: RulesServer, params: lsp.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    snap = ls.snapshot(uri)
    number = ls.saves.get(uri, 0) + 1
    ls.saves[uri] = number
    encoding = ls.encoding

    def current() -> bool:
        return ls.saves.get(uri) == number and uri in ls.snapshots

    # the tests first (the engine: quick), then the analyzer (Z3: longer), each published when done
    tests, lenses = await ls.background.run(lambda: test_results(snap, encoding) if current() else ([], []))
    if not current():
        return
    previous = ls.saved.get(uri, SaveResults())
    ls.saved[uri] = SaveResults(tests, lenses, previous.findings if snap.checked is not None else [])
    ls.publish(uri)
    _refresh_lenses(ls)
    if snap.checked is None:
        return
    checked = snap.checked
    found = await ls.background.run(
        lambda: findings(snap, checked, ls.budget, encoding) if current() else None)
    if found is None or not current():
        return
    ls.saved[uri].findings = found
    ls.publish(uri)


def _refresh_lenses(ls: RulesServer) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace is not None and workspace.code_lens is not None and workspace.code_lens.refresh_support:
        ls.workspace_code_lens_refresh(None)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def on_hover(ls: RulesServer, params: lsp.HoverParams) -> lsp.Hover | None:
    snap = ls.snapshot(params.text_document.uri)
    when = hover_date(snap, ls.hover_day, date.today())
    return hover(snap, offset(snap.source, params.position, ls.encoding), when, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: RulesServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    snap = ls.snapshot(params.text_document.uri)
    return navigation.definition(snap, offset(snap.source, params.position, ls.encoding), ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: RulesServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    snap = ls.snapshot(params.text_document.uri)
    return navigation.references(ls.files, snap, offset(snap.source, params.position, ls.encoding),
                                 params.context.include_declaration, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
def on_prepare_rename(ls: RulesServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
    snap = ls.snapshot(params.text_document.uri)
    return navigation.rename_range(snap, offset(snap.source, params.position, ls.encoding), ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def on_rename(ls: RulesServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    snap = ls.snapshot(params.text_document.uri)
    try:
        return navigation.rename(ls.files, snap, offset(snap.source, params.position, ls.encoding),
                                 params.new_name, ls.encoding)
    except navigation.RenameRefused as exc:
        raise JsonRpcInvalidParams(str(exc)) from None


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_document_symbol(ls: RulesServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    return document_symbols(ls.snapshot(params.text_document.uri), ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: RulesServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
    uri = params.text_document.uri
    return format_edits(ls.snapshot(uri), ls.workspace.get_text_document(uri).source, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def on_code_action(ls: RulesServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    ls.snapshot(uri)
    return code_actions(uri, ls.shown.get(uri, []), params.range, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: RulesServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    return ls.saved.get(params.text_document.uri, SaveResults()).lenses


def serve() -> None:
    """Speak LSP on stdin and stdout until the client says `exit`."""
    server.start_io()
