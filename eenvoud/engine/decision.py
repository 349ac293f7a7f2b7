"""Deciding one case: eligibility, amounts, the reasons per requirement, the facts still missing,
and a plain-language explanation. Every decision names the regulation, its hash and the date.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from eenvoud.core import nodes as c
from eenvoud.core.failure import error_possible
from eenvoud.core.failure import may_fail as failures
from eenvoud.core.lower import lower
from eenvoud.core.outcome import requirements_outcome
from eenvoud.engine import values as v
from eenvoud.engine.evaluate import Env, Program, parameter_value
from eenvoud.engine.explanation import CONCLUSION, explain, may_fail_line
from eenvoud.engine.facts import literal_value as _literal_value
from eenvoud.engine.facts import parse_facts
from eenvoud.engine.values import EXACT, EvaluationError, Maybe, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import collect_names as _names_in

Status = Literal["holds", "fails", "unknown", "error"]


@dataclass(frozen=True)
class DecisionError:
    """An evaluation failure that an eligible case reaches (no bracket row covers a value, a
    division by zero, a date out of range): an outcome of its own, with where it happened."""

    message: str
    span: str | None  # path:line:col of the bracket, division or call that failed
    article: str | None  # the article of the requirement, amount or document being evaluated
    subject: str  # "requirement `adult`", "amount `zorgtoeslag`", "document `x`"

    def to_json(self) -> dict[str, object]:
        return {"message": self.message, "span": self.span, "article": self.article, "in": self.subject}


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
    # what an answer can still change ("eligible", an amount, "document:NAME"), when the solver
    # has shown it (eenvoud.analysis.determinacy); None: not computed
    can_change: tuple[str, ...] | None = None
    # `from BRI for year judged`: the registry holds evidence, the answer is the citizen's (or the
    # agency's) judgement: asked, with the registry's figure as a starting point
    judged: bool = False

    @property
    def ask_citizen(self) -> bool:
        return self.registry is None or self.judged

    def to_json(self) -> dict[str, object]:
        return {"input": self.input, "label": self.label, "registry": self.registry,
                "ask_citizen": self.ask_citizen, "needed_by": list(self.needed_by),
                "can_change": None if self.can_change is None else list(self.can_change)}


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
    error: DecisionError | None = None  # set: the outcome is `error` and `eligible` is None
    # "rules": decided by the engine alone; "solver": proved for every answer to the open questions
    decided_by: str = "rules"

    @property
    def missing(self) -> list[str]:
        return [q.input for q in self.questions]

    @property
    def outcome(self) -> str:
        if self.error is not None:
            return "error"
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
            "error": None if self.error is None else self.error.to_json(),
            "decided_by": self.decided_by,
        }


class Engine:
    """Compiles each regulation once per reference date and decides cases with it. The program
    is kept with the lowered core in the one cache of `eenvoud.core.lower`."""

    def program(self, reg: CheckedRegulation, day: date) -> Program:
        core = lower(reg, day)  # may raise RuleError: a parameter without a value on that day
        prog = core.compiled.get("engine")
        if not isinstance(prog, Program):
            prog = Program(reg, day)  # a race compiles twice, harmlessly
            core.compiled["engine"] = prog
        return prog

    def decide(self, reg: CheckedRegulation, facts: dict[str, Value], day: date, *, cautious: bool = True) -> Decision:
        return decide(self.program(reg, day), facts, cautious=cautious)

    def decide_json(self, reg: CheckedRegulation, raw: object, day: date) -> Decision:
        return self.decide(reg, parse_facts(reg, raw), day)


_DEFAULT = Engine()


def default_engine() -> Engine:
    return _DEFAULT


# -- the outcome of one case: written once, read by decide, outcome and the batch's engine rows --


@dataclass
class Verdict:
    """What the rules decide for one case, before it is dressed as a Decision.

    The order is the semantics (docs/language.md, "Outcomes"): every requirement is evaluated; a
    case that fails one (and no exemption lets it through) is not eligible, whatever else fails to
    evaluate; otherwise an unknown requirement leaves it undetermined, and a requirement that
    cannot be evaluated makes it an error. Amounts, and the definitions only they read, are
    evaluated only for eligible cases, so their failures cannot make an ineligible case an error.
    A document's condition that cannot be evaluated is an error only for an eligible case."""

    eligible: bool | None
    statuses: list[tuple[Status, int | None, EvaluationError | None, set[str]]]
    amounts: dict[str, Maybe]
    raw_reads: dict[str, set[str]]  # amount -> unknown inputs it read (undetermined cases)
    documents: list[bool | None]
    error: DecisionError | None = None
    # the unknown inputs each amount and each document read, known or not (what may fail reads them)
    amount_reads: dict[str, set[str]] = field(default_factory=dict)
    document_reads: list[set[str]] = field(default_factory=list)


_FAILURES = (EvaluationError, decimal.DecimalException, ZeroDivisionError, OverflowError)


def _failure(exc: BaseException) -> EvaluationError:
    if isinstance(exc, EvaluationError):
        return exc
    if isinstance(exc, decimal.DecimalException):
        return EvaluationError("a number grew beyond the 60 digits that exact arithmetic keeps")
    return EvaluationError(str(exc) or type(exc).__name__)


def judge(prog: Program, env: Env, *, full: bool = True) -> Verdict:
    """The outcome of one case. `full` also collects what a Decision shows (the unknown inputs
    behind each requirement and amount, every document); the fast path stops at the first
    failing requirement."""
    statuses: list[tuple[Status, int | None, EvaluationError | None, set[str]]] = []
    first_error: tuple[n.Requirement, EvaluationError] | None = None
    with decimal.localcontext(EXACT):
        for req, cond, exemptions in prog.requirements:
            env.reads = set()
            try:
                status, exempted = _status(env, cond, exemptions)
                err = None
            except _FAILURES as exc:
                status, exempted, err = "error", None, _failure(exc)
                if first_error is None:
                    first_error = (req, err)
            statuses.append((status, exempted, err, env.reads))
            if status == "fails" and not full:
                break
        # the order of the outcome is written once, in the core
        kind = requirements_outcome(s[0] for s in statuses)
        error: DecisionError | None = None
        eligible: bool | None = {"not eligible": False, "eligible": True}.get(kind)
        if kind == "error":
            assert first_error is not None
            error = _decision_error(first_error[1], "requirement", first_error[0].name,
                                    first_error[0].article or first_error[0].label)
        amounts: dict[str, Maybe] = {}
        raw_reads: dict[str, set[str]] = {}
        amount_reads: dict[str, set[str]] = {}
        for a, fn in prog.amounts:
            if eligible is False:
                amounts[a.name] = _zero(prog, a)
                continue
            if error is not None:
                amounts[a.name] = None
                continue
            env.reads = set()
            try:
                value = fn(env)
            except _FAILURES as exc:
                if eligible is True:
                    error = _decision_error(_failure(exc), "amount", a.name, a.article or a.label)
                value = None  # undetermined: the answers still open may avoid the failure
            amounts[a.name] = value if eligible is True else None
            amount_reads[a.name] = env.reads
            if value is None:
                raw_reads[a.name] = env.reads
        documents: list[bool | None] = []
        document_reads: list[set[str]] = []
        env.reads = set()  # what the documents read is no question: they decide nothing
        if full or eligible is True:
            for d, doc_fn in prog.documents:
                env.reads = set()
                document_reads.append(env.reads)
                if doc_fn is None:
                    documents.append(True)
                    continue
                try:
                    documents.append(doc_fn(env))  # type: ignore[arg-type]
                except _FAILURES as exc:
                    documents.append(None)
                    if eligible is True and error is None:
                        error = _decision_error(_failure(exc), "document", d.name, d.label)
    if error is not None:
        eligible = None
        amounts = {a.name: None for a, _fn in prog.amounts}
    return Verdict(eligible, statuses, amounts, raw_reads, documents, error, amount_reads, document_reads)


def _decision_error(exc: EvaluationError, kind: str, name: str, article: str | None) -> DecisionError:
    span = exc.span
    return DecisionError(str(exc), None if span is None else str(span), article, f"{kind} `{name}`")


def _zero(prog: Program, amount: n.Amount) -> Maybe:
    return Decimal("0.00") if isinstance(prog.reg.symbols[amount.name].type, t.MoneyType) else 0


def outcome(prog: Program, facts: dict[str, Value]) -> tuple[bool | None, dict[str, Maybe]]:
    """Eligibility and amounts only: the fast path for batches and benchmarks. An error outcome
    raises EvaluationError (with the decision's message)."""
    verdict = judge(prog, Env(facts), full=False)
    if verdict.error is not None:
        raise EvaluationError(verdict.error.message)
    return verdict.eligible, verdict.amounts


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


def may_fail(prog: Program, verdict: Verdict, facts: dict[str, Value]) -> dict[str, list[str]]:
    """Where the verdict claims eligible or not eligible although an answer still open can make
    the rules fail for that completion (a bracket's gap, a division by zero, a date out of the
    calendar: an error, an outcome of its own): those answers, each with what they can make fail.
    Empty when the claim holds for every completion within the declared domains, or there is none.

    Read only for terms whose evaluation read a missing input (`eenvoud.core.failure`: Kleene
    evaluation reads every node a completion reaches, so a completion fails only at a node that
    may fail and whose operands read an input still missing)."""
    if verdict.eligible is None or verdict.error is not None:
        return {}
    if not any(s[3] for s in verdict.statuses) and not any(verdict.amount_reads.values()) \
            and not any(verdict.document_reads):
        return {}  # nothing missing was read: every completion evaluates as this case did
    mf = failures(prog.core)
    core = prog.core
    found: dict[str, list[str]] = {}

    def risky(terms: tuple[c.Expr, ...], reads: set[str], subject: str) -> bool:
        hit = [x for x in sorted(reads) if any(x in mf.risky(term) for term in terms)]
        for x in hit:
            found.setdefault(x, []).append(subject)
        return bool(hit)

    if verdict.eligible is False:
        # not eligible holds when some requirement that fails cannot fail to evaluate instead
        failing = [(r, reads) for r, (status, _ex, _err, reads) in zip(core.requirements, verdict.statuses, strict=False)
                   if status == "fails"]
        if any(not reads or not risky((r.condition, *r.exemptions), reads, r.name) for r, reads in failing):
            return {}
        return _refined(prog, facts, found)
    for r, (_status, _ex, _err, reads) in zip(core.requirements, verdict.statuses, strict=True):
        if reads:
            risky((r.condition, *r.exemptions), reads, r.name)
    for a in core.amounts:
        reads = verdict.amount_reads.get(a.name, set())
        if reads:
            risky((a.formula,), reads, a.name)
    for d, reads in zip(core.documents, verdict.document_reads, strict=False):
        if reads and d.required_when is not None:
            risky((d.required_when,), reads, f"document:{d.name}")
    return _refined(prog, facts, found)


def _unsure_documents(prog: Program, verdict: Verdict) -> None:
    """A refused or undetermined case's documents say `required` true or false only where no open
    answer can make their condition fail (a bracket's gap, say): there a completion's document is
    unknown (`judge` gives it None), so the partial case cannot claim it. An eligible claim's
    documents are part of `may_fail` (the whole decision is then undetermined); here eligibility
    does not depend on them (a refused case stays refused whatever its documents), so only the
    document's `required` becomes unknown. Static (`failure.MayFail.risky`): no shipped
    regulation's document condition is at risk, so none of their answers changes."""
    mf = None
    for k, (d, reads) in enumerate(zip(prog.core.documents, verdict.document_reads, strict=False)):
        if not reads or d.required_when is None or verdict.documents[k] is None:
            continue
        mf = mf or failures(prog.core)
        if reads & mf.risky(d.required_when):
            verdict.documents[k] = None


def _refined(prog: Program, facts: dict[str, Value], found: dict[str, list[str]]) -> dict[str, list[str]]:
    """`found` unless the completions, split on its answers, show none of them an error (an
    applicant born in 9990 whose AOW date leaves the calendar is not 21 either: not eligible)."""
    if not found:
        return found
    known = {k: x for k, x in facts.items() if x is not None}
    if _an_error(prog, known):
        return found  # a completion that is an error, found at once: no need to look further
    return found if error_possible(prog.core, known, list(found)) else {}


def _an_error(prog: Program, facts: dict[str, Value]) -> bool:
    """Whether one of two completions at the ends of the declared domains (every open date on the
    calendar's last day, or its first) is an error: a witness, cheaper than the sets' search."""
    for end in (_top, _bottom):
        case = dict(facts)
        for i in prog.reg.inputs:
            if i.name not in case:
                case[i.name] = end(i.type)
        try:
            if judge(prog, Env(case), full=False).error is not None:
                return True
        except Exception:  # noqa: BLE001 - a witness only: when it cannot be judged, look further
            continue
    return False


def _top(typ: t.Type) -> Value:
    match typ:
        case t.BoolType():
            return True
        case t.EnumType():
            return typ.members[-1]
        case t.DateType():
            return date.max
        case t.IntType():
            return typ.hi if typ.hi is not None else typ.lo if typ.lo is not None else 0
        case t.MoneyType() | t.DecimalType():
            return typ.hi if typ.hi is not None else typ.lo if typ.lo is not None else Decimal(0)
    return 0


def _bottom(typ: t.Type) -> Value:
    match typ:
        case t.BoolType():
            return False
        case t.EnumType():
            return typ.members[0]
        case t.DateType():
            return date.min
        case t.IntType():
            return typ.lo if typ.lo is not None else 0
        case t.MoneyType() | t.DecimalType():
            return typ.lo if typ.lo is not None else Decimal(0)
    return 0


def decide(prog: Program, facts: dict[str, Value], *, cautious: bool = True) -> Decision:
    """The decision for `facts`. `cautious` (every interface): eligible or not eligible only where
    no answer still open can make the rules fail (`may_fail`); without it, the rules' Kleene
    verdict as it stands, which a drafter's `test` block checks (`runner.py`)."""
    reg = prog.reg
    env = Env(facts)
    order = {i.name: k for k, i in enumerate(reg.inputs)}
    verdict = judge(prog, env)
    failing = may_fail(prog, verdict, facts) if cautious else {}
    if failing:
        # an open answer can still make the rules fail: claim neither eligible nor not eligible.
        # An amount the rules computed stays (it is what every completion that is not an error
        # pays: the kindgebonden budget per month, its yearly sum open); a not-eligible case's
        # zeros go, as they claimed the case not eligible
        verdict.amounts = {a.name: verdict.amounts.get(a.name) if verdict.eligible else None
                           for a, _fn in prog.amounts}
        verdict.eligible = None
    if cautious and verdict.eligible is not True:
        _unsure_documents(prog, verdict)
    eligible = verdict.eligible
    reasons: list[Reason] = []
    needed: dict[str, list[str]] = {}
    with decimal.localcontext(EXACT):
        for (req, _cond, _ex), (status, exempted, _err, reads) in zip(prog.requirements, verdict.statuses,
                                                                      strict=True):
            missing: tuple[str, ...] = ()
            if status == "unknown":
                missing = tuple(sorted(reads, key=order.__getitem__))
            used = _used_values(prog, env, req)
            reasons.append(Reason(
                req.name, status, req.label, req.article, used,
                (req.exemptions[exempted].label or "unless") if exempted is not None else None, missing,
            ))
        for a, _fn in prog.amounts:
            for i in verdict.raw_reads.get(a.name, ()):
                needed.setdefault(i, []).append(a.name)
        env.paid.update(verdict.amounts)
        env.paid["__eligible__"] = eligible
        documents: tuple[dict[str, object], ...] = tuple(
            {"document": d.name, "label": d.label, "provides": list(d.provides), "required": required}
            for (d, _fn), required in zip(prog.documents, verdict.documents, strict=True))
    if eligible is None and verdict.error is None:
        for r in reasons:
            for i in r.missing:
                needed.setdefault(i, []).insert(0, r.requirement)
        for i, subjects in failing.items():
            needed.setdefault(i, []).extend(subjects)
    questions = tuple(
        Question(i.name, i.label, i.registry, tuple(dict.fromkeys(needed[i.name])), judged=i.judged)
        for i in reg.inputs if i.name in needed
    )
    money_amounts = frozenset(a.name for a in reg.amounts if isinstance(reg.symbols[a.name].type, t.MoneyType))
    decision = Decision(reg.name, reg.hash, prog.day, eligible, verdict.amounts, money_amounts, tuple(reasons),
                        questions, documents, error=verdict.error)
    lines = explain(decision, reg)
    if failing:
        lines = [may_fail_line(decision.missing, lines) if x.startswith(CONCLUSION) else x for x in lines]
    return Decision(**{**decision.__dict__, "explanation": tuple(lines)})


def _used_values(prog: Program, env: Env, req: n.Requirement) -> dict[str, object]:
    names: list[str] = []
    for e in (req.condition, *(x.condition for x in req.exemptions)):
        _names_in(e, names)
    out: dict[str, object] = {}
    for name in names:
        sym = prog.reg.symbols.get(name)
        if sym is None or sym.kind == "builtin":
            continue
        try:
            value = prog.name(name)(env)
        except _FAILURES:
            value = None  # shown as unknown: the value cannot be evaluated for this case
        out[name] = v.to_json(value, isinstance(sym.type, t.MoneyType))
    return out




def parameters_at(reg: CheckedRegulation, day: date) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in reg.parameters:
        pv = parameter_value(p, day)
        out[p.name] = None if pv is None else v.to_json(_literal_value(pv.value), isinstance(p.type, t.MoneyType))
    return out


__all__ = ["Decision", "DecisionError", "Engine", "Reason", "Question", "Verdict", "decide", "judge", "may_fail", "outcome",
           "default_engine", "EXACT"]
