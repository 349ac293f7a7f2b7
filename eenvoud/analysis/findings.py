"""What the analyzer reports: findings (each proved by Z3, with its evidence), questions the solver
could not decide in time (`unknown`), and the figures of the run. `Report.to_json` is the JSON
contract of `eenvoud analyze --json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from eenvoud.engine import values as v
from eenvoud.engine.values import Value
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

KINDS = (
    "contradiction",
    "redundant_requirement",
    "dead_exemption",
    "constant_exemption",
    "dead_branch",
    "irrelevant_input",
    "unused_in_period",
    "registry_data_requested",
    "registry_gap",
    "unnecessary_document",
    "bracket_overlap",
    "bracket_gap",
    "property_violated",
    "diverging_definition",
)

TITLES = {
    "contradiction": "Contradiction: nobody can qualify",
    "redundant_requirement": "Redundant requirement",
    "dead_exemption": "Exemption that never applies",
    "constant_exemption": "Exemption that always applies",
    "dead_branch": "Dead branch",
    "irrelevant_input": "Irrelevant question",
    "unused_in_period": "Never used in a period",
    "registry_data_requested": "Registry data requested again",
    "registry_gap": "Asked although bound to a registry: what the registry would have to hold (proposal for the legislator)",
    "unnecessary_document": "Unnecessary document",
    "bracket_overlap": "Overlapping bracket rows",
    "bracket_gap": "Gap in a bracket",
    "property_violated": "Property violated",
    "diverging_definition": "Diverging definitions of one concept across regulations",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None  # None: still in force

    def to_json(self) -> dict[str, str | None]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat() if self.end else None}

    def text(self) -> str:
        if self.end is None:
            return f"from {self.start.isoformat()}"
        if self.end == self.start:
            return f"on {self.start.isoformat()}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True)
class Witness:
    """A concrete case, replayed through the engine, with what the engine decided for it."""

    date: date
    facts: dict[str, Value]
    decision: dict[str, object]  # eligible, amounts (as reported), documents required
    changed: dict[str, Value] | None = None  # a second case: the same facts but these
    decision_after: dict[str, object] | None = None
    note: str | None = None

    def to_json(self, reg: CheckedRegulation | None = None) -> dict[str, object]:
        out: dict[str, object] = {
            "date": self.date.isoformat(),
            "facts": facts_json(self.facts, reg),
            "decision": self.decision,
        }
        if self.changed is not None:
            out["changed"] = facts_json(self.changed, reg)
            out["decision_after"] = self.decision_after
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Finding:
    kind: str
    regulation: str
    subject: str
    span: str | None
    article: str | None
    because: tuple[str, ...]
    witness: Witness | None
    message: str
    periods: tuple[Period, ...] = ()
    day: date | None = None  # the reference date it was found on (before periods are merged)
    proposal: str | None = None  # how the rule text would change, in one line
    reasons: tuple[str, ...] = ()  # every reason, when findings on one burden were merged into this one
    consequences: tuple[str, ...] = ()  # what follows from it and is not reported apart (items, findings)
    caveat: str | None = None  # what the encoding simplifies that the finding rests on

    @property
    def key(self) -> tuple[str, ...]:
        # the message is part of what is claimed: a bracket with another gap, or a requirement
        # redundant for another reason, in another period is another finding
        return (self.kind, self.regulation, self.subject, self.message)

    def to_json(self, reg: CheckedRegulation | None = None) -> dict[str, object]:
        return {
            "kind": self.kind,
            "regulation": self.regulation,
            "subject": self.subject,
            "span": self.span,
            "article": self.article,
            "because": list(self.because),
            "witness": self.witness.to_json(reg) if self.witness else None,
            "message": self.message,
            "periods": [p.to_json() for p in self.periods],
            "title": TITLES.get(self.kind, self.kind),
            "proposal": self.proposal,
            "reasons": list(self.reasons),
            "consequences": list(self.consequences),
            "caveat": self.caveat,
        }


@dataclass(frozen=True)
class Undecided:
    """A question the solver could not answer within its budget: said as such, never a finding."""

    analysis: str  # the kind of finding it would have been
    regulation: str
    subject: str
    span: str | None
    reason: str
    periods: tuple[Period, ...] = ()
    day: date | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return (self.analysis, self.regulation, self.subject)

    def to_json(self) -> dict[str, object]:
        return {"analysis": self.analysis, "regulation": self.regulation, "subject": self.subject,
                "span": self.span, "reason": self.reason, "periods": [p.to_json() for p in self.periods]}


@dataclass(frozen=True)
class PropertyResult:
    """The outcome of one `property` block on one date: proved, violated or unknown."""

    regulation: str
    name: str
    span: str | None
    day: date
    status: str  # "proved" | "violated" | "unknown"
    detail: str | None = None
    witness: Witness | None = None


@dataclass
class RegulationReport:
    regulation: str
    title: str | None
    file: str
    dates: tuple[date, ...]
    skipped: tuple[str, ...] = ()  # dates not analyzed, with why
    simplified: str | None = None  # proposed text, when simplify proved it equivalent
    simplify_note: str | None = None
    parts: int = 1  # analysed in this many parts that share nothing (analysis/parts.py)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    unknown: list[Undecided] = field(default_factory=list)
    regulations: list[RegulationReport] = field(default_factory=list)
    properties: list[PropertyResult] = field(default_factory=list)
    queries: int = 0
    seconds: float = 0.0
    echoes: int = 0  # dead branches left out as echoes of a parameter set by date (per date)
    regs: dict[str, CheckedRegulation] = field(default_factory=dict)  # by name: how to show values

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json(self.regs.get(f.regulation)) for f in self.findings],
            "unknown": [u.to_json() for u in self.unknown],
            "stats": {"queries": self.queries, "seconds": round(self.seconds, 3)},
        }

    def counts(self) -> dict[str, dict[str, int]]:
        """Findings per regulation and kind."""
        out: dict[str, dict[str, int]] = {}
        for f in self.findings:
            out.setdefault(f.regulation, {}).setdefault(f.kind, 0)
            out[f.regulation][f.kind] += 1
        return out


def periods(days: list[date], all_days: tuple[date, ...], single: bool) -> tuple[Period, ...]:
    """The periods covered by `days`, out of the analysis dates `all_days` (each in force until the
    next). `single`: the user asked for one date, so the period is that date."""
    if single:
        return tuple(Period(d, d) for d in days)
    out: list[Period] = []
    index = {d: i for i, d in enumerate(all_days)}
    for d in sorted(days):
        i = index[d]
        end = all_days[i + 1] - timedelta(days=1) if i + 1 < len(all_days) else None
        if out and out[-1].end is not None and out[-1].end + timedelta(days=1) == d:
            out[-1] = Period(out[-1].start, end)
        else:
            out.append(Period(d, end))
    return tuple(out)


def merge_periods(items: list[Any], all_days: tuple[date, ...], single: bool) -> list[Any]:
    """One entry per key, with the periods in which it holds; the details are those of the
    first date on which it was found."""
    first: dict[tuple[str, ...], Any] = {}
    days: dict[tuple[str, ...], list[date]] = {}
    for item in items:
        first.setdefault(item.key, item)
        days.setdefault(item.key, []).append(item.day)
    return [replace(first[k], periods=periods(days[k], all_days, single)) for k in first]


def facts_json(facts: dict[str, Value], reg: CheckedRegulation | None) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in facts.items():
        is_money = reg is not None and name in reg.symbols and isinstance(reg.symbols[name].type, t.MoneyType)
        out[name] = v.to_json(value, is_money)
    return out
