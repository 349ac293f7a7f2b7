"""The catalogue of the Dutch base registries and key sources (`registries.toml` beside this file):
what each holds, for which periods relative to the decision date, and its sources.

An input's binding (`from BRI for year - 2`) names a registry and a period; `Registry.holds_period`
says whether the registry holds a fact of that period. What a binding means for the analyzer is
decided in `eenvoud/analysis/registries.py`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from eenvoud.ir.nodes import RegistryPeriod


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Registry:
    id: str
    name: str
    keeper: str
    holds: str
    does_not_hold: str
    on_decision_date: bool
    until_decision_date: bool
    years_back_from: int | None  # holds `for year - N` for every N >= this; None: no yearly figures
    past_months: bool
    sources: tuple[Source, ...]
    unsourced: str | None = None
    aliases: tuple[str, ...] = ()

    def holds_period(self, period: RegistryPeriod) -> bool:
        match period.kind:
            case "on_date":
                return self.on_decision_date
            case "until_date":
                return self.until_decision_date
            case "year":
                return self.years_back_from is not None and period.count >= self.years_back_from
            case "past_months":
                return self.past_months
            case "next_months":
                return False  # an expectation: no registry holds what has not happened yet
        raise ValueError(f"unknown period kind {period.kind!r}")

    def periods(self) -> list[str]:
        """The periods it holds, in the words of a binding."""
        out = []
        if self.on_decision_date:
            out.append("on decision date")
        if self.until_decision_date:
            out.append("until decision date")
        if self.years_back_from is not None:
            out.append(f"for year - {self.years_back_from} and earlier")
        if self.past_months:
            out.append("for past N months")
        return out

    def nearest(self, period: RegistryPeriod) -> RegistryPeriod | None:
        """The period it does hold closest to the one asked, when there is an obvious one: a
        finished year for a running year, past months for the next months."""
        if period.kind == "year" and self.years_back_from is not None:
            return RegistryPeriod("year", self.years_back_from)
        if period.kind == "next_months" and self.past_months:
            return RegistryPeriod("past_months", period.count)
        if period.kind == "next_months" and self.years_back_from is not None:
            return RegistryPeriod("year", self.years_back_from)
        return None

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "keeper": self.keeper, "aliases": list(self.aliases),
                "holds": self.holds, "does_not_hold": self.does_not_hold, "periods": self.periods(),
                "sources": [{"title": s.title, "url": s.url} for s in self.sources],
                "unsourced": self.unsourced}


def _entry(key: str, raw: dict[str, object]) -> Registry:
    sources = raw.get("sources", [])
    assert isinstance(sources, list)
    years = raw.get("years_back_from")
    return Registry(
        id=key, name=str(raw["name"]), keeper=str(raw["keeper"]), holds=str(raw["holds"]),
        does_not_hold=str(raw["does_not_hold"]), on_decision_date=bool(raw["on_decision_date"]),
        until_decision_date=bool(raw["until_decision_date"]),
        years_back_from=int(years) if isinstance(years, int) else None,
        past_months=bool(raw["past_months"]),
        sources=tuple(Source(str(s["title"]), str(s["url"])) for s in sources),
        unsourced=str(raw["unsourced"]) if "unsourced" in raw else None,
        aliases=tuple(str(a) for a in raw.get("aliases", [])),  # type: ignore[attr-defined]
    )


@cache
def catalogue() -> tuple[Registry, ...]:
    """Every registry of the shipped catalogue, in its order."""
    text = resources.files("eenvoud.ir").joinpath("registries.toml").read_text(encoding="utf-8")
    return tuple(_entry(key, raw) for key, raw in tomllib.loads(text).items())


@cache
def _by_name() -> dict[str, Registry]:
    out: dict[str, Registry] = {}
    for r in catalogue():
        for name in (r.id, *r.aliases):
            out[name.upper()] = r
    return out


def lookup(name: str) -> Registry | None:
    """The catalogue's entry for a registry as a binding names it (`BRI`, `IB`), or None."""
    return _by_name().get(name.upper())
