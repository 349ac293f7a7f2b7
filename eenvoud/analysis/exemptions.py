"""Exemptions (`unless`) that never apply, or always apply.

Dead exemption: `others ∧ domain ∧ ¬condition ∧ ¬(the other exemptions) ∧ exemption` is unsat iff
there is no case that the exemption lets through: whenever it holds, the requirement is met anyway
(its own condition or another exemption holds) or the case fails another requirement. Removing
it changes no outcome.

Constant exemption: `others ∧ domain ∧ ¬exemption` is unsat iff the exemption holds for every case
that meets the other requirements: the requirement it belongs to never excludes anyone.
"""

from __future__ import annotations

import decimal

from eenvoud.analysis.context import Context
from eenvoud.analysis.encode import negate
from eenvoud.analysis.prover import Proved, Unknown
from eenvoud.engine.evaluate import Env
from eenvoud.engine.values import EXACT, EvaluationError
from eenvoud.ir.printer import expr as text


def exemptions(ctx: Context) -> None:
    if ctx.contradiction:
        return  # nobody qualifies: every exemption is vacuously dead
    for r in ctx.reg.requirements:
        if not r.exemptions:
            continue
        s = ctx.slice_of("requirement", r.name)
        prover = ctx.prover(s)
        domain = ctx.domain(s)
        others = [x for x in s.requirements if x != r.name]
        terms = ctx.enc.requirements[r.name]
        for i, ex in enumerate(r.exemptions):
            ctx.tick()
            subject = f"{r.name}.unless.{i + 1}"
            shown = f"`unless {text(ex.condition)}`"
            mine = terms.exemptions[i]
            rest = [negate(x) for j, x in enumerate(terms.exemptions) if j != i]
            answer = prover.check(others + domain, [negate(terms.condition), *rest, mine], witness=False)
            match answer:
                case Proved():
                    alone = prover.check(domain, [mine], witness=False)
                    if isinstance(alone, Proved):
                        why = "it can never hold" + _domains(alone.core)
                        because = list(alone.core)
                    elif any(c in s.requirements for c in answer.core):
                        reqs = [c for c in answer.core if c in s.requirements]
                        why = "it only holds for cases that fail " + " or ".join(f"`{c}`" for c in reqs) \
                              + " anyway"
                        because = list(answer.core)
                    else:
                        why = f"whenever it holds, `{r.name}` is already met without it"
                        because = list(answer.core)
                    ctx.add("dead_exemption", subject, ex, ctx.article(r.name), because,
                            f"the exemption {shown} of `{r.name}` never applies: {why}",
                            proposal=f"remove {shown} from `{r.name}`")
                case Unknown():
                    ctx.undecided("dead_exemption", subject, ex, answer.reason)
            if _fails_on_base(ctx, r.name, i):
                # the base case meets every requirement and the exemption does not hold for it:
                # not constant, with no solver
                ctx.stats.without_solver += 1
                continue
            answer = prover.check(others + domain, [negate(mine)], witness=False)
            match answer:
                case Proved():
                    reqs = [c for c in answer.core if c in s.requirements]
                    among = ("every case that meets " + " and ".join(f"`{c}`" for c in reqs)) if reqs \
                        else "every case"
                    ctx.add("constant_exemption", subject, ex, ctx.article(r.name), list(answer.core),
                            f"the exemption {shown} of `{r.name}` always applies: it holds for {among}"
                            + _domains(answer.core) + f", so `{r.name}` never excludes anyone",
                            proposal=f"remove requirement `{r.name}` with its exemptions")
                case Unknown():
                    ctx.undecided("constant_exemption", subject, ex, answer.reason)


def _fails_on_base(ctx: Context, requirement: str, i: int) -> bool:
    """Exemption `i` of the requirement is evaluated false by the engine on the base case (where
    every requirement holds and nothing fails): a case of `others ∧ domain ∧ ¬exemption`."""
    if ctx.contradiction:
        return False
    _cond, exemptions = ctx.closures(requirement)
    try:
        with decimal.localcontext(EXACT):
            return exemptions[i](Env(dict(ctx.base))) is False
    except (EvaluationError, ArithmeticError):
        return False


def _domains(core: tuple[str, ...]) -> str:
    domains = [c for c in core if c.startswith("domain of ")]
    return f" (given the {' and the '.join(domains)})" if domains else ""
