"""Properties that drafters state and the solver proves.

`property "nobody under 18 qualifies": age < 18 implies not eligible` holds iff
`domain ∧ defined ∧ ¬property` is unsat. In a property, `eligible` and amount names mean the
decision: an amount is its value as paid (0 when not eligible). A counterexample is a complete
case; the engine replays it (decides the case, then evaluates the property on that decision)
and must find the property false, and the finding names the requirements that let the case
through (when it is eligible) or that excluded it.
"""

from __future__ import annotations

from collections.abc import Mapping

from eenvoud.analysis.context import Context, Disagreement, span_text
from eenvoud.analysis.encode import negate
from eenvoud.analysis.findings import PropertyResult
from eenvoud.analysis.on_date import analysis_dates, context_at
from eenvoud.analysis.prover import Budget, Proved, Refuted, Stats, Unknown
from eenvoud.engine import values as v
from eenvoud.engine.decision import decide
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.values import EvaluationError, Maybe, Value
from eenvoud.ir import nodes as n
from eenvoud.ir.checked import CheckedRegulation


def evaluate_property(prog: Program, prop: n.Property, facts: Mapping[str, Value]) -> Maybe:
    """The property on one case, by the engine: the decision first, then the property over it."""
    d = decide(prog, dict(facts))
    env = Env(dict(facts))
    env.paid.update(d.amounts)
    env.paid["__eligible__"] = d.eligible
    for name, value in d.amounts.items():
        env.cache[name] = (value, set())  # an amount named in a property is the amount paid
    with v.localcontext_exact():
        return prog.expr(prop.expr)(env)


def properties(ctx: Context, only: list[n.Property] | None = None) -> list[PropertyResult]:
    """Check the properties that apply on the context's date (or `only` these)."""
    out: list[PropertyResult] = []
    todo = only if only is not None else [p for p in ctx.reg.properties if p.on is None or p.on == ctx.day]
    if not todo:
        return out
    prover = ctx.whole()
    domain = ctx.all_domain()
    for prop in todo:
        ctx.tick()
        span = span_text(prop)
        holds = ctx.enc.property_term(prop)
        answer = prover.check(domain, [negate(holds), negate(ctx.enc.property_failure(prop))])
        match answer:
            case Proved():
                out.append(PropertyResult(ctx.reg.name, prop.name, span, ctx.day, "proved"))
            case Unknown():
                ctx.undecided("property_violated", prop.name, prop, answer.reason)
                out.append(PropertyResult(ctx.reg.name, prop.name, span, ctx.day, "unknown", answer.reason))
            case Refuted():
                case = answer.case
                try:
                    replayed = evaluate_property(ctx.prog, prop, case)
                    witness = ctx.witness(case)
                except EvaluationError as exc:
                    replayed, witness = None, None
                    reason = f"the engine could not decide the counterexample: {exc}"
                if replayed is not False or witness is None:
                    reason = "the encoding and the engine disagree on a counterexample: please report this"
                    ctx.undecided("property_violated", prop.name, prop, reason)
                    out.append(PropertyResult(ctx.reg.name, prop.name, span, ctx.day, "unknown", reason))
                    continue
                d = ctx.decide(case)
                if d.eligible:
                    involved = [r.requirement for r in d.reasons]
                    how = "the case is eligible: it meets " + _listing(ctx, involved)
                else:
                    involved = [r.requirement for r in d.reasons if r.status == "fails"]
                    how = "the case is not eligible: it fails " + _listing(ctx, involved)
                message = f"the property \"{prop.name}\" does not hold: {how}"
                ctx.add("property_violated", prop.name, prop, None, involved, message, witness,
                        proposal="change the rules or the property")
                out.append(PropertyResult(ctx.reg.name, prop.name, span, ctx.day, "violated", message, witness))
    return out


def _listing(ctx: Context, names: list[str]) -> str:
    parts = []
    for r in names:
        art = ctx.article(r)
        parts.append(f"`{r}` ({art})" if art else f"`{r}`")
    return ", ".join(parts) if parts else "no requirement"


def prove_properties(reg: CheckedRegulation, budget: Budget) -> list[PropertyResult]:
    """Every `property` of a regulation, on its own date or on every analysis date: what
    `eenvoud test` runs beside the example tests."""
    out: list[PropertyResult] = []
    if not reg.is_regulation() or not reg.properties:
        return out
    stats = Stats()
    days = sorted({p.on for p in reg.properties if p.on is not None} | set(analysis_dates(reg)))
    for day in days:
        todo = [p for p in reg.properties if p.on == day or (p.on is None and day in analysis_dates(reg))]
        if not todo:
            continue
        ctx = context_at(reg, day, budget, stats)
        if isinstance(ctx, str):
            out += [PropertyResult(reg.name, p.name, span_text(p), day, "unknown", ctx)
                    for p in todo]
            continue
        try:
            out += properties(ctx, todo)
        except Disagreement as exc:
            out += [PropertyResult(reg.name, p.name, span_text(p), day, "unknown", str(exc))
                    for p in todo]
    return out
