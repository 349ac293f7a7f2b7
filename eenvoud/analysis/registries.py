"""Registries in time: whether a registry holds a fact for the period and in the sense a rule
reads it, from the input's binding and the shipped catalogue (`eenvoud/ir/registries.toml`).

A binding `from R [period] [judged]` is held, and a finding may then say that the fact need not be
asked (`registry_data_requested`), when

- it is not `judged` (a judgement, an estimate or an assessment needs the citizen or the agency,
  whatever evidence R has), and
- it names no period (the drafter's word, as a bare `from R` always meant), or R is not in the
  catalogue (a municipality's own administration: the drafter's word too), or the catalogue says
  that R holds facts of that period (`for year - 2` from BRI: yes; `for year`: no).

An input bound to a registry that does not hold it is asked of the citizen. When its answer
matters and there is something to propose, `registry_gap` says which period the law would have to
read (one the registry holds: `for year - 2` for this year's income), or what the registry would
have to hold, for the question to go: a proposal for the legislator, not for the form. A judgement
for which the registry holds no nearer fact (a joint household) is no finding: the binding says it.
"""

from __future__ import annotations

from dataclasses import dataclass

from eenvoud.analysis.context import Context
from eenvoud.analysis.findings import Witness
from eenvoud.ir import nodes as n
from eenvoud.ir.registries import lookup


@dataclass(frozen=True)
class Holding:
    """What a binding is worth: held or not, why (in words for the evidence), and when not held,
    what would let the question go."""

    registry: str
    held: bool
    reason: str
    proposal: str | None = None


def holding(decl: n.Input) -> Holding | None:
    """The binding of an input judged against the catalogue; None when it has none."""
    r = decl.registry
    if r is None:
        return None
    x = f"`{decl.name}`"
    entry = lookup(r)
    period = decl.period
    read = f"{x} {period.text()}" if period is not None else x
    if decl.judged:
        why = f"{read} is a judgement (`judged`): {r} holds evidence for it, not the fact"
        if entry is not None and period is not None and not entry.holds_period(period):
            why += f"; {r} holds facts {', '.join(entry.periods()) or 'of no period'}"
        nearest = entry.nearest(period) if entry is not None and period is not None else None
        proposal = None
        if nearest is not None and entry is not None and period is not None and entry.holds_period(nearest):
            proposal = (f"if the law read {x} {nearest.text()}, which {r} holds, instead of an estimate "
                        f"{period.text()}, nobody would be asked")
        return Holding(r, False, why, proposal)
    if period is None:
        return Holding(r, True, f"{r} holds {x}")
    if entry is None:
        return Holding(r, True, f"{r} holds {x} {period.text()} (the drafter's word: {r} is not in the catalogue)")
    if entry.holds_period(period):
        return Holding(r, True, f"{r} holds {read} ({entry.name}: {', '.join(entry.periods())})")
    held = ", ".join(entry.periods()) or "no figures of any period"
    why = f"{r} holds facts {held}, not {read}"
    nearest = entry.nearest(period)
    if nearest is not None and entry.holds_period(nearest):
        proposal = (f"if the law read {x} {nearest.text()}, which {r} holds, instead of {period.text()}, "
                    f"nobody would be asked")
    else:
        proposal = f"for {x} not to be asked, {r} would have to hold it {period.text()}"
    return Holding(r, False, why, proposal)


def holds(decl: n.Input) -> bool:
    """Whether a registry holds the input's fact for the period and in the sense the rule reads it:
    only then may a finding say that the citizen need not be asked."""
    h = holding(decl)
    return h is not None and h.held


def gap(ctx: Context, decl: n.Input, witness: Witness) -> None:
    """An input bound to a registry that does not hold it, whose answer matters (the witness):
    what the registry would have to hold for the question to go."""
    h = holding(decl)
    if h is None or h.held or h.proposal is None:
        return
    ctx.add("registry_gap", decl.name, decl, None, [h.reason],
            f"the citizen is asked `{decl.name}`, bound to {h.registry} but not held there: {h.reason}; "
            f"and the answer matters",
            witness, proposal=h.proposal)
