"""/regulations/{id}/analysis: the analyzer's proved findings, cached per content hash."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from eenvoud.api.analysis import AnalysisBusy, AnalysisPending, AnalyzerUnavailable
from eenvoud.api.models import AnalysisOut, ErrorOut
from eenvoud.api.routes.common import NOT_FOUND, UNAUTHORIZED, DateQuery, RegulationId, service


def router() -> APIRouter:
    r = APIRouter(prefix="/regulations", tags=["analysis"],
                  responses=UNAUTHORIZED)

    @r.get(
        "/{regulation_id}/analysis",
        response_model=AnalysisOut,
        responses={**NOT_FOUND, 503: {"model": ErrorOut, "description": "no analyzer, still running, or too many waiting"}},
        summary="redundant, conflicting and dead rules, irrelevant questions: each proved by Z3",
        description="Computed once per content hash and date. Each solver query has a time limit; a query "
                    "that runs out is reported as `unknown`, never as a finding.",
    )
    async def analysis(regulation_id: RegulationId, request: Request, date: DateQuery = None) -> AnalysisOut:
        svc = service(request)
        try:
            reg, day, result, cached = await svc.analysis(regulation_id, date)
        except AnalyzerUnavailable:
            raise HTTPException(503, "the analyzer is not available in this build of eenvoud") from None
        except AnalysisBusy:
            raise HTTPException(
                503, f"{svc.analyses.max_pending} analyses are running or waiting already: ask again later",
                headers={"Retry-After": "30"},
            ) from None
        except AnalysisPending:
            raise HTTPException(
                503, f"the analysis is still running after {svc.analyses.budget:g} s; it goes on: ask again",
                headers={"Retry-After": "10"},
            ) from None
        return AnalysisOut(
            regulation=reg.name, hash=reg.hash, date=day, cached=cached, seconds=f"{result.seconds:.3f}",
            findings=result.findings, unknown=result.unknown, stats=result.stats,
        )

    return r
