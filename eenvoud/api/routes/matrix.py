"""/matrix: the ask-once matrix of the library the server decides with (eenvoud.analysis.matrix):
for every fact, the regulations and agencies that need it, the registry that holds it and the
documents that ask it; the facts that more than one agency needs first. JSON, or Markdown, CSV or an
offline HTML page with `?format=`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from eenvoud.analysis import matrix as mx
from eenvoud.api.routes.common import UNAUTHORIZED, service


class MatrixDocument(BaseModel):
    regulation: str
    document: str
    label: str


class MatrixFact(BaseModel):
    name: str
    label: str | None
    type: str
    regulations: list[str]
    agencies: list[str]
    registry: str | None
    registry_period: str | None
    judged: bool
    ask_citizen: bool
    documents: list[MatrixDocument]
    derived_from: list[str]
    declared_in: str


class MatrixRegulation(BaseModel):
    name: str
    agency: str | None


class MatrixOut(BaseModel):
    facts: list[MatrixFact]
    regulations: list[MatrixRegulation]
    shared_by_agencies: int


FormatQuery = Annotated[Literal["json", "md", "csv", "html"], Query(
    description="json (default), md (Markdown), csv, or html (one page, no script, nothing fetched)")]

MEDIA = {"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}


def router() -> APIRouter:
    r = APIRouter(tags=["matrix"], responses=UNAUTHORIZED)
    cache: dict[int, tuple[object, mx.Matrix]] = {}

    def matrix_of(request: Request) -> mx.Matrix:
        library = service(request).library
        got = cache.get(id(library))
        if got is None or got[0] is not library:
            got = cache[id(library)] = (library, mx.build(list(library.regulations.values()), root=None))
        return got[1]

    @r.get(
        "/matrix",
        response_model=MatrixOut,
        responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}}},
        summary="the ask-once matrix: every fact, the regulations and agencies that need it, its registry",
        description="The facts needed by more than one agency come first. `registry` is the base registry that "
                    "holds the fact (null: the citizen is asked, unless `derived_from` names the facts it "
                    "follows from); `documents` are the documents that ask it today.",
    )
    async def matrix(request: Request, format: FormatQuery = "json") -> Response:
        m = matrix_of(request)
        if format == "json":
            return Response(MatrixOut.model_validate(m.to_json()).model_dump_json(), media_type="application/json")
        return Response(mx.FORMATS[format](m), media_type=MEDIA[format])

    return r
