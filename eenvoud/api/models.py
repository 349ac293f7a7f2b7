"""Request and response models: what the OpenAPI document promises, and what the tests hold the
API to. Money is always a string with two decimals ("1234.50"), never a JSON number, so that no
client's float can round it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

JsonScalar = str | int | bool | None
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests --------------------------------------------------------------------------------------


class EligibilityRequest(Closed):
    """One case: the reference date and the facts known so far. A fact left out, or null, is
    unknown; the answer then says which facts could still decide it."""

    date: dt.date | None = Field(
        default=None, description="the reference date of the decision; today when left out",
        examples=["2025-01-01"],
    )
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="input name -> value; money as a string with at most two decimals (\"20000.00\") "
                    "or a JSON number; see GET /regulations/{id}/schema for one regulation's inputs",
    )

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        return iso_date(value)


def iso_date(value: object) -> object:
    """Only a date written YYYY-MM-DD: pydantic would also take a number of seconds since 1970, and
    Python's fromisoformat "20250101" and "2025-W01-1". The message does not quote what came."""
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    kind = "text" if isinstance(value, str) else "a number" if isinstance(value, int | float) else "another kind"
    raise PydanticCustomError("date", 'expected a date like "2025-01-01" (YYYY-MM-DD), got {kind}', {"kind": kind})


# -- regulations -----------------------------------------------------------------------------------


class Version(Closed):
    """A period in which every parameter and bracket of the regulation keeps one value."""

    valid_from: dt.date | None = Field(description="the first day of the period; null: since always")
    valid_until: dt.date | None = Field(description="the last day of the period; null: still in force")


class RegulationSummary(Closed):
    id: str
    title: str | None
    agency: str | None
    source: str | None
    hash: str = Field(description="content hash of the regulation and its imports: decisions name it")
    versions: list[Version]


class Domain(Closed):
    minimum: str | int | None = None
    maximum: str | int | None = None
    members: list[str] | None = None


class InputInfo(Closed):
    name: str
    type: str = Field(description="bool, int, decimal, percent, money, date or enum")
    domain: Domain
    label: str | None
    registry: str | None = Field(description="the base registry that holds this fact; null: ask the citizen")
    ask_citizen: bool
    registry_period: str | None = Field(
        default=None, description="the period of the registry's fact the rule reads, as written in the rules "
                                  "(`on decision date`, `for year - 2`, ...); null: not said")
    judged: bool = Field(default=False, description="the fact is a judgement (an estimate, an assessment) that "
                                                    "needs the citizen or the agency; the registry holds evidence")


class ParameterInfo(Closed):
    name: str
    label: str | None
    type: str
    value: JsonScalar = Field(description="the value in force on the reference date")
    valid_from: dt.date | None


class RequirementInfo(Closed):
    name: str
    label: str | None
    article: str | None
    condition: str
    exemptions: list[str]


class AmountInfo(Closed):
    name: str
    label: str | None
    article: str | None
    type: str | None
    formula: str


class DocumentInfo(Closed):
    name: str
    label: str | None
    provides: list[str]
    required_when: str | None = Field(description="the condition in the rules language; null: always required")


class RegulationDetail(Closed):
    id: str
    title: str | None
    agency: str | None
    source: str | None
    hash: str
    date: dt.date
    versions: list[Version]
    inputs: list[InputInfo]
    parameters: list[ParameterInfo]
    requirements: list[RequirementInfo]
    amounts: list[AmountInfo]
    documents: list[DocumentInfo]


# -- decisions: the same object as `eenvoud eval --json` -----------------------------------------


class QuestionOut(Closed):
    input: str
    label: str | None
    registry: str | None
    ask_citizen: bool
    needed_by: list[str] = Field(description="the requirements and amounts this fact could still decide")
    can_change: list[str] | None = Field(
        default=None, description="what an answer can still change, as the solver showed it: \"eligible\", an "
                                  "amount's name or \"document:NAME\"; null when only the engine decided")


class ReasonOut(Closed):
    requirement: str
    status: Literal["holds", "fails", "unknown", "error"]
    label: str | None
    article: str | None
    values: dict[str, JsonScalar]
    exemption: str | None = Field(default=None, description="present when an `unless` made it hold")
    missing: list[str] | None = Field(default=None, description="present when unknown: the facts it needs")


class DocumentStatus(Closed):
    document: str
    label: str | None
    provides: list[str]
    required: bool | None


class EvaluationFailure(Closed):
    message: str = Field(description="what could not be evaluated, e.g. no row of a bracket covers a value")
    span: str | None = Field(description="path:line:col in the rules where it happened")
    article: str | None = Field(description="the article of the requirement, amount or document being evaluated")
    in_: str = Field(alias="in", description="the requirement, amount or document being evaluated")


class DecisionOut(Closed):
    regulation: str
    date: dt.date
    hash: str
    eligible: bool | None = Field(description="true, false, or null: undetermined until `missing` is known")
    amounts: dict[str, JsonScalar] = Field(description="money as a string with two decimals; null when undetermined")
    missing: list[str]
    questions: list[QuestionOut]
    reasons: list[ReasonOut]
    documents: list[DocumentStatus]
    explanation: list[str]
    error: EvaluationFailure | None = Field(
        default=None, description="set when the rules cannot be evaluated for an eligible case (the outcome "
                                  "`error`; `eligible` is then null); null otherwise")
    decided_by: Literal["rules", "solver"] = Field(
        default="rules", description="\"solver\": proved the same for every answer to the open questions")


# -- one government: every regulation at once --------------------------------------------------


class Need(Closed):
    regulation: str
    rules: list[str] = Field(description="the requirements and amounts of that regulation that need the fact")
    can_change: list[str] | None = Field(default=None, description="what an answer can still change in that "
                                         "regulation (\"eligible\", an amount, \"document:NAME\"), when the "
                                         "solver has shown it; null: not computed")


class OpenQuestion(Closed):
    input: str
    label: str | None
    registry: str | None
    ask_citizen: bool
    settles: int = Field(description="the number of undetermined regulations for which this is the only "
                                     "question left: answering it decides them")
    needed_by: list[Need]


class RegulationOutcome(Closed):
    regulation: str
    title: str | None
    agency: str | None
    hash: str
    outcome: Literal["eligible", "not eligible", "undetermined", "not in force", "error"]
    eligible: bool | None
    amounts: dict[str, JsonScalar]
    missing: list[str]
    note: str | None = Field(description="why a regulation is not in force on the date")


class GovernmentOut(Closed):
    date: dt.date
    event: str | None = Field(description="the life event asked about; null: every regulation")
    eligible: list[str]
    not_eligible: list[str]
    undetermined: list[str]
    not_in_force: list[str] = Field(description="regulations with no parameter values yet on the date")
    regulations: list[RegulationOutcome]
    questions: list[OpenQuestion] = Field(
        description="each still-missing fact once, with every regulation it can still change; the one whose "
                    "answer settles the most across them first (ties: a registry before the citizen)"
    )


class EventSummary(Closed):
    id: str
    title: str | None
    regulations: list[str] = Field(description="the regulations a person meets at once in this life event")


# -- analysis, health, errors -----------------------------------------------------------------------


class AnalysisOut(Closed):
    regulation: str
    hash: str
    date: dt.date
    cached: bool
    seconds: str = Field(description="how long the analysis took, in seconds")
    findings: list[dict[str, Any]] = Field(description="each proved by the solver, with a witness case or the "
                                                       "rules that imply it")
    unknown: list[dict[str, Any]] = Field(description="questions the solver could not settle within its time "
                                                      "limit: not findings")
    stats: dict[str, Any] | None = None


class HealthOut(Closed):
    status: Literal["ok"]
    regulations: int
    version: str


class ErrorOut(BaseModel):
    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    detail: list[FieldError] = Field(description="at most 50 problems, each at the JSON path of its field")
    omitted: int | None = Field(default=None, description="present when there were more problems than "
                                                          "listed: how many more")
