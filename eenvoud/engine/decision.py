"""Deciding one case: eligibility, amounts, the reasons per requirement, the facts still missing,
and a plain-language explanation. Every decision names the regulation, its hash and the date.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from eenvoud.engine import values as v
from eenvoud.engine.evaluate import Env, Program, parameter_value
from eenvoud.engine.facts import literal_value as _literal_value
from eenvoud.engine.facts import parse_facts
from eenvoud.engine.values import EXACT, Maybe, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import collect_names as _names_in
from eenvoud.ir.printer import percent_text

Status = Literal["holds", "fails", "unknown"]


@dataclass(frozen=True)
class Reason:
    requirement: str
    status: Status
    label: str | None
    article: str | None
    values: dict[str, object]
    exemption: str | None = None  # the `unless` that made it hold, when one did
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "requirement": self.requirement, "status": self.status, "label": self.label,
            "article": self.article, "values": self.values,
        }
        if self.exemption is not None:
            out["exemption"] = self.exemption
        if self.missing:
            out["missing"] = list(self.missing)
        return out


@dataclass(frozen=True)
class Question:
    """A fact still needed: asked of the citizen, or fetched from the registry that holds it."""

    input: str
    label: str | None
    registry: str | None
    needed_by: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"input": self.input, "label": self.label, "registry": self.registry,
                "ask_citizen": self.registry is None, "needed_by": list(self.needed_by)}


@dataclass(frozen=True)
class Decision:
    regulation: str
    hash: str
    date: date
    eligible: bool | None
    amounts: dict[str, Maybe]
    money_amounts: frozenset[str]
    reasons: tuple[Reason, ...]
    questions: tuple[Question, ...]
    documents: tuple[dict[str, object], ...]
    explanation: tuple[str, ...] = field(default=())

    @property
    def missing(self) -> list[str]:
        return [q.input for q in self.questions]

    @property
    def outcome(self) -> str:
        return {True: "eligible", False: "not eligible", None: "undetermined"}[self.eligible]

    def to_json(self) -> dict[str, Any]:
        return {
            "regulation": self.regulation,
            "date": self.date.isoformat(),
            "hash": self.hash,
            "eligible": self.eligible,
            "amounts": {k: v.to_json(x, k in self.money_amounts) for k, x in self.amounts.items()},
            "missing": self.missing,
            "questions": [q.to_json() for q in self.questions],
            "reasons": [r.to_json() for r in self.reasons],
            "documents": list(self.documents),
            "explanation": list(self.explanation),
        }


class Engine:
    """Compiles each regulation once per reference date and decides cases with it."""

    # a server asked about many dates must not grow without end: least recently used go first
    MAX_PROGRAMS = 512

    def __init__(self) -> None:
        # keyed by content hash and date: two loads of the same text share a program, and a
        # reloaded, changed regulation can never be served the old one's program
        self._programs: OrderedDict[tuple[str, date], Program] = OrderedDict()
        self._lock = threading.Lock()

    def program(self, reg: CheckedRegulation, day: date) -> Program:
        key = (reg.hash, day)
        with self._lock:
            prog = self._programs.get(key)
            if prog is not None:
                self._programs.move_to_end(key)
                return prog
        prog = Program(reg, day)  # compiled outside the lock; a race compiles twice, harmlessly
        with self._lock:
            self._programs[key] = prog
            while len(self._programs) > self.MAX_PROGRAMS:
                self._programs.popitem(last=False)
        return prog

    def decide(self, reg: CheckedRegulation, facts: dict[str, Value], day: date) -> Decision:
        return decide(self.program(reg, day), facts)

    def decide_json(self, reg: CheckedRegulation, raw: object, day: date) -> Decision:
        return self.decide(reg, parse_facts(reg, raw), day)


_DEFAULT = Engine()


def default_engine() -> Engine:
    return _DEFAULT


def outcome(prog: Program, facts: dict[str, Value]) -> tuple[bool | None, dict[str, Maybe]]:
    """Eligibility and amounts only: the fast path for batches and benchmarks."""
    env = Env(facts)
    with v.localcontext_exact():
        eligible: bool | None = True
        for _req, cond, exemptions in prog.requirements:
            status = _status(env, cond, exemptions)[0]
            if status == "fails":
                eligible = False
                break
            if status == "unknown":
                eligible = None
        amounts = {a.name: _paid(eligible, fn(env), a, prog) for a, fn in prog.amounts}
    return eligible, amounts


def _status(env: Env, cond: Any, exemptions: list[Any]) -> tuple[Status, int | None]:
    c = cond(env)
    if c is True:
        return "holds", None
    unknown = c is None
    for i, ex in enumerate(exemptions):
        x = ex(env)
        if x is True:
            return "holds", i
        if x is None:
            unknown = True
    return ("unknown" if unknown else "fails"), None


def _paid(eligible: bool | None, raw: Maybe, amount: n.Amount, prog: Program) -> Maybe:
    if eligible is False:
        return Decimal("0.00") if isinstance(prog.reg.symbols[amount.name].type, t.MoneyType) else 0
    if eligible is None:
        return None
    return raw


def decide(prog: Program, facts: dict[str, Value]) -> Decision:
    reg = prog.reg
    env = Env(facts)
    reasons: list[Reason] = []
    eligible: bool | None = True
    order = {i.name: k for k, i in enumerate(reg.inputs)}
    needed: dict[str, list[str]] = {}
    with v.localcontext_exact():
        for req, cond, exemptions in prog.requirements:
            env.reads = set()
            status, exempted = _status(env, cond, exemptions)
            missing: tuple[str, ...] = ()
            if status == "unknown":
                missing = tuple(sorted(env.reads, key=order.__getitem__))
            used = _used_values(prog, env, req)
            reasons.append(Reason(
                req.name, status, req.label, req.article, used,
                (req.exemptions[exempted].label or "unless") if exempted is not None else None, missing,
            ))
            if status == "fails":
                eligible = False
            elif status == "unknown" and eligible is True:
                eligible = None
        raw: dict[str, Maybe] = {}
        for a, fn in prog.amounts:
            env.reads = set()
            raw[a.name] = fn(env)
            if eligible is not False and raw[a.name] is None:
                for i in env.reads:
                    needed.setdefault(i, []).append(a.name)
        amounts = {a.name: _paid(eligible, raw[a.name], a, prog) for a, _fn in prog.amounts}
        env.paid.update(amounts)
        env.paid["__eligible__"] = eligible
        documents = tuple(_document(d, fn, env) for d, fn in prog.documents)
    if eligible is None:
        for r in reasons:
            for i in r.missing:
                needed.setdefault(i, []).insert(0, r.requirement)
    questions = tuple(
        Question(i.name, i.label, i.registry, tuple(dict.fromkeys(needed[i.name])))
        for i in reg.inputs if i.name in needed
    )
    money_amounts = frozenset(a.name for a in reg.amounts if isinstance(reg.symbols[a.name].type, t.MoneyType))
    decision = Decision(reg.name, reg.hash, prog.day, eligible, amounts, money_amounts, tuple(reasons),
                        questions, documents)
    return Decision(**{**decision.__dict__, "explanation": tuple(explain(decision, reg))})


def _document(d: n.Document, fn: Any, env: Env) -> dict[str, object]:
    required: bool | None = True if fn is None else fn(env)
    return {"document": d.name, "label": d.label, "provides": list(d.provides), "required": required}


def _used_values(prog: Program, env: Env, req: n.Requirement) -> dict[str, object]:
    names: list[str] = []
    for e in (req.condition, *(x.condition for x in req.exemptions)):
        _names_in(e, names)
    out: dict[str, object] = {}
    for name in names:
        sym = prog.reg.symbols.get(name)
        if sym is None or sym.kind == "builtin":
            continue
        value = prog.name(name)(env)
        out[name] = v.to_json(value, isinstance(sym.type, t.MoneyType))
    return out




# -- plain language ------------------------------------------------------------------------------


def _show(name: str, value: object, reg: CheckedRegulation) -> str:
    sym = reg.symbols.get(name)
    if value is None:
        return f"{name} unknown"
    if sym is not None and isinstance(sym.type, t.MoneyType):
        return f"{name} = €{_thousands(str(value))}"
    if sym is not None and isinstance(sym.type, t.DecimalType) and sym.type.percent:
        return f"{name} = {percent_text(Decimal(str(value)))}"
    if isinstance(value, bool):
        return f"{name} = {'yes' if value else 'no'}"
    return f"{name} = {value}"


def _thousands(text: str) -> str:
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ",".join(groups) + ("." + frac if frac else "")


def explain(d: Decision, reg: CheckedRegulation) -> list[str]:
    """One sentence per requirement, then the conclusion and the amounts, in plain language."""
    lines: list[str] = []
    for r in d.reasons:
        what = r.label or r.requirement
        art = f" ({r.article})" if r.article else ""
        values = ", ".join(_show(k, x, reg) for k, x in r.values.items())
        if r.status == "holds":
            why = f" by the exemption: {r.exemption}" if r.exemption else ""
            lines.append(f"Met: {what}{art}{why}" + (f" — {values}." if values and not r.exemption else "."))
        elif r.status == "fails":
            lines.append(f"Not met: {what}{art} — {values}." if values else f"Not met: {what}{art}.")
        else:
            needed = ", ".join(r.missing) if r.missing else "a fact"
            lines.append(f"Not yet known: {what}{art} — needs {needed}.")
    if d.eligible is True:
        lines.append(f"Conclusion: eligible for {reg.title or reg.name} on {d.date.isoformat()}.")
    elif d.eligible is False:
        failed = [r.label or r.requirement for r in d.reasons if r.status == "fails"]
        lines.append(f"Conclusion: not eligible on {d.date.isoformat()}, because "
                     + "; ".join(failed) + (" is not met." if len(failed) == 1 else " are not met."))
    else:
        held = sum(1 for q in d.questions if q.registry)
        note = ""
        if held == len(d.questions):
            note = " A registry holds each of them: nothing needs to be asked of the citizen."
        elif held:
            note = f" A registry holds {held} of them; only the others need to be asked."
        lines.append("Conclusion: undetermined until these facts are known: "
                     + ", ".join(q.input for q in d.questions) + "." + note)
    for a in reg.amounts:
        value = d.amounts[a.name]
        if value is None:
            continue
        shown = f"€{_thousands(v.money(value))}" if a.name in d.money_amounts else str(value)  # type: ignore[arg-type]
        art = f" ({a.article})" if a.article else ""
        lines.append(f"Amount: {a.label or a.name}{art} = {shown}.")
    return lines


def parameters_at(reg: CheckedRegulation, day: date) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in reg.parameters:
        pv = parameter_value(p, day)
        out[p.name] = None if pv is None else v.to_json(_literal_value(pv.value), isinstance(p.type, t.MoneyType))
    return out


__all__ = ["Decision", "Engine", "Reason", "Question", "decide", "outcome", "default_engine", "EXACT"]
