"""/playground: a page for drafters, served by `eenvoud serve`, and the routes behind it.

The page (eenvoud/api/static/playground/) edits one rule file in the browser: diagnostics as you
type, the label and type of a name under the pointer, a facts form built from the inputs, the
decision with its reasons, the file's tests, and the analyzer's findings with their witnesses.
Each route here only translates HTTP into calls of the front end (`eenvoud.dsl`), the engine and
the analyzer, and their answers back; none decides anything itself.

The text stands in for one file of the served library (by default the zorgtoeslag's), or for a
new file at the library's root: its imports are resolved from that file's folder, and only to files the library has loaded (and
checked) already, so that a text cannot make the server read any other file. The text is bounded
(MAX_TEXT), as every body is (limits.py); a text that does not check is answered with its
diagnostics, never with a 500. The routes are left out of the OpenAPI document: they are the
page's, not the eligibility API's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eenvoud.analysis.determinacy import decision as settled_decision
from eenvoud.api import describe
from eenvoud.api.analysis import AnalysisBusy, AnalysisPending, AnalyzerUnavailable
from eenvoud.api.body import check_facts, is_json, regulation_scope
from eenvoud.api.errors import ClientError, pydantic_errors
from eenvoud.api.limits import MAX_BODY
from eenvoud.api.models import iso_date
from eenvoud.api.routes.common import service
from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.dsl.load import Loader
from eenvoud.dsl.parser import ParsedFile, parse
from eenvoud.dsl.reads import unused
from eenvoud.engine.facts import parse_facts
from eenvoud.engine.runner import run_tests
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library
from eenvoud.source import SourceFile

# characters of rule text: the largest shipped regulation has some 63,000; a body is at most
# MAX_BODY bytes anyway (limits.py), and the parser is shared by the whole server
MAX_TEXT = MAX_BODY // 4
DEFAULT = "zorgtoeslag"  # the regulation the page starts with, when the library has it
NEW = "(a new file)"  # a file of one's own, at the library's root: its imports are relative to it
NEW_FILE = "playground.rules"
PAGE = "index.html"

_SURROGATE = re.compile("[\ud800-\udfff]")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# -- the pages: nothing but this server ------------------------------------------------------------

# The browser pages the server serves (/docs, /redoc, the playground) may load only from this server:
# the pages work offline, and a page cannot send what it shows anywhere else. ReDoc's bundle shows
# Redocly's logo from its CDN, with no option to leave it out: under this policy the browser never
# asks for it (the image hides itself when it does not load). Inline scripts and styles: Swagger UI
# is started by an inline script, ReDoc and Swagger UI style with inline styles.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
       "frame-ancestors 'self'; base-uri 'self'; form-action 'self'")
# the playground's own page has no inline script or style at all: stricter still
PLAYGROUND_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")
PAGES = {"/docs": CSP, "/redoc": CSP, "/playground": PLAYGROUND_CSP}


class OfflinePages:
    """ASGI middleware: the Content-Security-Policy of each page in PAGES."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = PAGES.get(scope["path"]) if scope["type"] == "http" else None
        if policy is None:
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", policy.encode())]
            await send(message)

        await self.app(scope, receive, with_policy)


# -- the requests --------------------------------------------------------------------------------


Day = Annotated[dt.date | None, BeforeValidator(iso_date)]


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=MAX_TEXT, description="the rule file's text")
    file: str | None = Field(None, max_length=500, description="the library file the text stands for")


class HoverIn(TextIn):
    line: int = Field(ge=1, le=1_000_000)
    column: int = Field(ge=1, le=1_000_000)
    date: Day = None


class DecideIn(TextIn):
    facts: dict[str, Any] = Field(default_factory=dict)
    date: Day = None


class AnalyzeIn(TextIn):
    date: Day = None


Body = TypeVar("Body", bound=TextIn)


async def _read(request: Request, model: type[Body]) -> Body:
    """The body, exactly (numbers with a fraction as Decimal), held to `model`."""
    raw = await request.body()
    if not is_json(request.headers.get("content-type")):
        raise HTTPException(415, 'the body must be JSON, sent with the header "Content-Type: application/json"')
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ClientError.at(["body"], "the body is not valid JSON (UTF-8)", "json_invalid") from None
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        raise ClientError([{**e, "loc": ["body", *e["loc"]]} for e in pydantic_errors(exc.errors())]) from None
    if _SURROGATE.search(body.text):
        raise ClientError.at(["body", "text"], "the text is not valid Unicode (it has an unpaired surrogate)",
                             "unicode")
    return body


# -- the library the text lives in ----------------------------------------------------------------


@dataclass
class Workspace:
    """The served library's files, by the name the page shows (relative to the library's root), and
    NEW: a file of one's own at the library's root, which is not in the library."""

    library: Library
    files: dict[str, Path]  # shown name -> resolved path
    default: str | None
    root: Path

    @staticmethod
    def of(library: Library) -> Workspace:
        paths = {p.resolve(): reg for p, reg in library.files.items()}
        root = _common_root(list(paths))
        files = {p.relative_to(root).as_posix() if root else p.name: p for p in sorted(paths)}
        regs = {name: paths[p] for name, p in files.items() if paths[p].is_regulation()}
        default = next((name for name, reg in regs.items() if reg.name == DEFAULT), None)
        if default is None:
            default = next(iter(sorted(regs)), None) or next(iter(files), None)
        return Workspace(library, files, default, root or Path.cwd().resolve())

    def path(self, name: str | None) -> Path:
        key = name if name is not None else self.default
        if key == NEW:
            return self.root / NEW_FILE
        if key is None or key not in self.files:
            raise ClientError.at(["body", "file"], "not a file of the served library: ask GET /playground/start "
                                                   "for their names", "file")
        return self.files[key]

    def cache(self) -> dict[Path, CheckedRegulation]:
        """The library's checked files, as a loader's cache: imports of them cost a lookup."""
        return {p.resolve(): reg for p, reg in self.library.files.items()}


def _common_root(paths: list[Path]) -> Path | None:
    if not paths:
        return None
    root = paths[0].parent
    for p in paths[1:]:
        while root not in p.parents:
            if root.parent == root:
                return None
            root = root.parent
    return root


@dataclass
class Checked:
    """What the front end made of a text: the checked regulation, else the diagnostics (and the
    parsed file, when only the checker refused it)."""

    diagnostics: list[Diagnostic]
    reg: CheckedRegulation | None
    parsed: ParsedFile | None
    source: SourceFile


def check_text(ws: Workspace, text: str, file: str | None) -> Checked:
    path = ws.path(file)
    source = SourceFile.from_text(path.name, text)
    try:
        parsed = parse(source)
    except RuleError as exc:
        return Checked(list(exc.diagnostics), None, None, source)
    cache = ws.cache()
    outside = [
        Diagnostic("E0110", f"the playground imports only files of the served library; `{imp.path}` is not one",
                   imp.span, "import a module of the library by its path relative to this file")
        for imp in parsed.regulation.imports if _target(path.parent, imp.path) not in cache
    ]
    if outside:
        return Checked(outside, None, parsed, source)
    try:
        reg = Loader(cache=cache).load_source(source, path)  # the loader's own copy of the cache
    except RuleError as exc:
        return Checked(list(exc.diagnostics), None, parsed, source)
    warnings = [d for d in unused([reg]) if d.span is not None and d.span.file is source]
    return Checked(warnings, reg, parsed, source)


def _target(folder: Path, written: str) -> Path | None:
    """The file an import names, as the loader finds it; None for a path no file can have (a NUL
    character, which the operating system refuses with a ValueError, not an OSError)."""
    if "\0" in written:
        return None
    try:
        return (folder / written).resolve()
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return None


def _checked(ws: Workspace, body: TextIn) -> CheckedRegulation:
    """The text's regulation, or a 422 that lists its errors."""
    result = check_text(ws, body.text, body.file)
    if result.reg is None:
        errors = [d for d in result.diagnostics if d.severity == "error"]
        raise ClientError([
            {"loc": ["body", "text"], "type": d.code,
             "msg": f"{d.span.line}:{d.span.column}: {d.message}" if d.span else d.message}
            for d in errors
        ])
    return result.reg


def _regulation(reg: CheckedRegulation, what: str) -> CheckedRegulation:
    if not reg.is_regulation():
        raise ClientError.at(["body", "text"], f"`{reg.name}` is a {reg.kind}, not a regulation: it has no "
                                               f"{what}", "kind")
    return reg


def diagnostic_json(d: Diagnostic, source: SourceFile) -> dict[str, object]:
    """The diagnostic with the end of its span; one about another file (an import) has no line of
    this text: its place is named in the message."""
    out = d.to_json()
    span = d.span
    if span is not None and span.file is not source:
        out.update(line=None, column=None, message=f"{d.message} (in {span.file.name}:{span.line}:{span.column})")
        span = None
    out["end_line"] = span.end_line if span else None
    out["end_column"] = span.end_column if span else None
    return out


# -- hover ---------------------------------------------------------------------------------------


def word_at(source: SourceFile, line: int, column: int) -> str | None:
    """The name the 1-based (line, column) is on, or just after (a cursor at a word's end)."""
    at = column - 1
    for m in _WORD.finditer(source.line(line)):
        if m.start() <= at <= m.end():
            return m.group(0)
    return None


def _declarations(result: Checked) -> dict[str, n.Node]:
    decls: dict[str, n.Node] = {}
    files = [*(r.regulation for r in result.reg.imports)] if result.reg else []
    own = result.reg.regulation if result.reg else result.parsed.regulation if result.parsed else None
    for regulation in [*files, *([own] if own else [])]:
        for d in regulation.declarations:
            name = getattr(d, "name", None)
            if isinstance(name, str):
                decls[name] = d
        for item in regulation.items:
            if isinstance(item, n.Requirement | n.Document):
                decls[item.name] = item
    return decls


def hover(result: Checked, line: int, column: int, day: dt.date) -> dict[str, object]:
    name = word_at(result.source, line, column)
    decl = _declarations(result).get(name) if name else None
    if name is None or decl is None:
        return {"name": name, "kind": None}
    out: dict[str, object] = {"name": name, "kind": type(decl).__name__.lower(), "label": getattr(decl, "label", None)}
    typ = getattr(decl, "type", None)
    if typ is None and result.reg is not None and name in result.reg.symbols:
        typ = result.reg.symbols[name].type
    if typ is not None:
        out["type"] = printer.type_text(typ)
        out["domain"] = describe.domain(typ)
    if isinstance(decl, n.Input):
        out["registry"] = decl.binding_text()
    elif isinstance(decl, n.Parameter):
        current = [v for v in decl.values if v.valid_from <= day]
        out["values"] = [f"{v.valid_from.isoformat()}: {printer.literal(v.value)}" for v in decl.values]
        out["value"] = printer.literal(current[-1].value) if current else None
    elif isinstance(decl, n.Definition | n.Amount):
        out["formula"] = printer.expr(decl.expr)
        out["article"] = getattr(decl, "article", None)
    elif isinstance(decl, n.Requirement):
        out["article"] = decl.article
        out["formula"] = printer.expr(decl.condition)
    elif isinstance(decl, n.Document):
        out["provides"] = list(decl.provides)
    return out


# -- the answers ---------------------------------------------------------------------------------


def start_date(reg: CheckedRegulation | None) -> dt.date:
    """The latest date on which the regulation's values changed, up to today: a date it has values on."""
    today = dt.date.today()
    days = [d for d in reg.change_dates() if d <= today] if reg is not None else []
    return days[-1] if days else today


def regulation_json(reg: CheckedRegulation) -> dict[str, object]:
    return {
        "name": reg.name, "kind": reg.kind, "title": reg.title, "hash": reg.hash,
        "inputs": [describe.input_info(i) for i in reg.inputs],
        "example": describe.example_facts(reg) if reg.is_regulation() else {},
        "tests": len(reg.tests),
    }


def placed(reg: CheckedRegulation, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each finding with `at`: the line and column, in this text, of what it is about. Findings are
    kept per content hash, which comments and layout do not change: a cached finding's own span may
    be of another text with the same rules."""
    own = {name: d.span for name, d in _declarations(Checked([], reg, None, reg.file)).items()
           if d.span is not None and d.span.file is reg.file}
    out = []
    for f in findings:
        span = own.get(str(f.get("subject")))
        out.append({**f, "at": {"line": span.line, "column": span.column} if span else None})
    return out


def router(library: Library) -> APIRouter:
    ws = Workspace.of(library)
    r = APIRouter(prefix="/playground", include_in_schema=False)
    page = resources.files("eenvoud.api").joinpath("static", "playground", PAGE)

    async def threaded(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return await run_in_threadpool(fn)

    @r.get("", response_class=HTMLResponse)
    async def playground() -> HTMLResponse:
        return HTMLResponse(page.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})

    @r.get("/start")
    async def start(file: str | None = None) -> dict[str, Any]:
        """The text of a file of the library (the zorgtoeslag when none is named), or an empty one."""
        path = ws.path(file)
        reg = ws.cache().get(path)
        return {
            "file": NEW if reg is None else next(k for k, v in ws.files.items() if v == path),
            "text": "" if reg is None else reg.file.text,  # as the server loaded it
            "date": start_date(reg),
            "files": [*ws.files, NEW],
        }

    @r.post("/check")
    async def check(request: Request) -> dict[str, Any]:
        body = await _read(request, TextIn)

        def run() -> dict[str, Any]:
            result = check_text(ws, body.text, body.file)
            return {"ok": result.reg is not None,
                    "diagnostics": [diagnostic_json(d, result.source) for d in result.diagnostics],
                    "regulation": regulation_json(result.reg) if result.reg is not None else None}

        return await threaded(run)

    @r.post("/hover")
    async def hover_route(request: Request) -> dict[str, Any]:
        body = await _read(request, HoverIn)
        return await threaded(lambda: hover(check_text(ws, body.text, body.file), body.line, body.column,
                                            body.date or dt.date.today()))

    @r.post("/decide")
    async def decide(request: Request) -> dict[str, Any]:
        body = await _read(request, DecideIn)

        def run() -> dict[str, Any]:
            reg = _regulation(_checked(ws, body), "eligibility to decide")
            facts, errors, omitted = check_facts(body.facts, *regulation_scope(reg))
            if errors:
                raise ClientError(errors, omitted)
            day = body.date or start_date(reg)
            decision: dict[str, Any] = settled_decision(reg, parse_facts(reg, facts), day).to_json()
            return decision

        return await threaded(run)

    @r.post("/test")
    async def test(request: Request) -> dict[str, Any]:
        body = await _read(request, TextIn)

        def run() -> dict[str, Any]:
            results = run_tests(_checked(ws, body))
            passed = sum(x.passed for x in results)
            return {"passed": passed, "failed": len(results) - passed, "results": [x.to_json() for x in results]}

        return await threaded(run)

    @r.post("/analyze")
    async def analyze(request: Request) -> dict[str, Any]:
        body = await _read(request, AnalyzeIn)
        reg = _regulation(await run_in_threadpool(_checked, ws, body), "rules to analyse")
        svc = service(request)
        day = body.date or start_date(reg)
        try:
            result, cached = await svc.analyses.get(reg, day)
        except AnalyzerUnavailable:
            raise HTTPException(503, "the analyzer is not available in this build of eenvoud") from None
        except AnalysisBusy:
            raise HTTPException(503, f"{svc.analyses.max_pending} analyses are running or waiting already: "
                                     "ask again later", headers={"Retry-After": "30"}) from None
        except AnalysisPending:
            raise HTTPException(503, f"the analysis is still running after {svc.analyses.budget:g} s; it goes "
                                     "on: ask again", headers={"Retry-After": "5"}) from None
        return {"regulation": reg.name, "hash": reg.hash, "date": day, "cached": cached,
                "seconds": f"{result.seconds:.3f}", "findings": placed(reg, result.findings), "unknown": result.unknown,
                "stats": result.stats}

    return r
