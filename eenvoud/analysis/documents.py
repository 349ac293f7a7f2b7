"""Documents: registry data requested again, and documents that are unnecessary.

For a document D that provides the facts F and is required when W:

- never required: `domain ∧ defined ∧ W` is unsat iff no case requires D.
- registry data requested again: some fact of F is an input `from` a registry, and
  `domain ∧ defined ∧ W` is sat (the witness is a case for which the engine requires D).
- covered: every fact of F comes from a registry, or from another document D' that provides it
  and is required whenever D is (`domain ∧ defined ∧ W ∧ ¬W'` is unsat).
- never matters: with a copy F' of the facts, `domain ∧ defined ∧ defined' ∧ W ∧ outcome(F) ≠
  outcome(F')` is unsat iff, whenever D is required, what it says changes neither eligibility nor
  any amount.

D is an unnecessary document when it is never required, covered, or never matters.
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from eenvoud.analysis.context import Context
from eenvoud.analysis.encode import FALSE, disjunction, negate
from eenvoud.analysis.inputs import (
    ENGINE_PROBES,
    candidate_values,
    copy_of,
    find_case,
    outcome_differs,
    probe_cases,
    relevant_pairs,
)
from eenvoud.analysis.prover import Proved, Refuted, Unknown
from eenvoud.analysis.registries import holds
from eenvoud.analysis.slices import Slice
from eenvoud.engine.values import EvaluationError, Value


def documents(ctx: Context) -> None:
    if not ctx.reg.documents:
        return
    prover = ctx.whole()
    domain = ctx.all_domain()
    inputs = ctx.reg.input_map
    for d in ctx.reg.documents:
        ctx.tick()
        required = ctx.enc.documents[d.name]
        label = f"`{d.name}`"
        # never required, and never an error either (for an eligible case that is an outcome).
        # Cheap first: a case the engine requires it for (or cannot evaluate its condition on)
        # refutes that; not where the solver's case becomes a witness (a fact a registry holds)
        if not any(holds(inputs[f]) for f in d.provides) and \
                find_case(ctx, _required_or_error(ctx, d.name)) is not None:
            ctx.stats.without_solver += 1
        else:
            answer = prover.check(domain, [disjunction([required, ctx.enc.failures.get(f"document {d.name}",
                                                                                        FALSE)])])
            if isinstance(answer, Unknown):
                ctx.undecided("unnecessary_document", d.name, d, answer.reason)
                continue
            if isinstance(answer, Proved):
                ctx.add("unnecessary_document", d.name, d, d.label, list(answer.core),
                        f"the document {label} is never required: no case meets its `required when`",
                        proposal=f"remove document {label}")
                continue
        held = [f for f in d.provides if holds(inputs[f])]  # for the period and in the sense read
        if held:
            assert isinstance(answer, Refuted)
            # an eligible applicant who must file it makes the plainest witness, when there is one
            # (and one whose case the engine evaluates: a requirement's literal also admits errors)
            eligible = prover.check(domain + list(ctx.enc.requirements), [required, ctx.enc.defined]) \
                if not ctx.contradiction else answer
            if isinstance(eligible, Refuted):
                answer = eligible
            try:
                witness = ctx.witness(answer.case)
            except EvaluationError as exc:
                ctx.undecided("registry_data_requested", d.name, d, f"the engine could not decide the witness: {exc}")
                witness = None
            if witness is not None and d.name not in witness.decision["documents"]:  # type: ignore[operator]
                ctx.undecided("registry_data_requested", d.name, d,
                              "the encoding and the engine disagree on a witness: please report this")
            elif witness is not None:
                facts = ", ".join(f"`{f}` ({inputs[f].registry})" for f in held)
                ctx.add("registry_data_requested", d.name, d, d.label,
                        [f"{inputs[f].registry} holds `{f}`" for f in held],
                        f"the document {label} asks for {facts}, which the registry already holds",
                        witness, proposal=f"take {', '.join(f'`{f}`' for f in held)} from the registry, "
                                          f"not from {label}")
        covered: dict[str, str] = {}
        for f in d.provides:
            if holds(inputs[f]):
                covered[f] = f"{inputs[f].registry} holds `{f}`"
                continue
            for other in ctx.reg.documents:
                if other.name == d.name or f not in other.provides:
                    continue
                if find_case(ctx, _required_without(ctx, d.name, other.name)) is not None:
                    ctx.stats.without_solver += 1  # a case requires this document and not the other
                    continue
                cover = prover.check(domain, [required, negate(ctx.enc.documents[other.name])])
                if isinstance(cover, Proved):
                    covered[f] = f"`{other.name}` provides `{f}` whenever {label} is required"
                    break
        if len(covered) == len(d.provides):
            ctx.add("unnecessary_document", d.name, d, d.label, [covered[f] for f in d.provides],
                    f"the document {label} is unnecessary: every fact it provides is already known "
                    "when it is required (" + "; ".join(covered[f] for f in d.provides) + ")",
                    proposal=f"remove document {label}")
            continue
        if ctx.contradiction:
            continue
        if _matters_by_engine(ctx, d.name, d.provides):
            ctx.stats.without_solver += 1  # the engine shows a case where what it provides matters
            continue
        pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = []
        axioms = []
        for f in d.provides:
            _, p = copy_of(ctx.enc.inputs[f])
            pairs += p
            axioms += [z3.substitute(ax.formula, *p) for ax in ctx.enc.axioms.values() if ax.input == f]
        diff, copies = outcome_differs(ctx, ctx.everything, pairs, documents=False)
        matters = prover.check(domain, [required, diff, *copies, *axioms])
        match matters:
            case Proved():
                ctx.add("unnecessary_document", d.name, d, d.label, list(matters.core),
                        f"the document {label} is unnecessary: whenever it is required, what it provides ("
                        + ", ".join(f"`{f}`" for f in d.provides) + ") changes neither eligibility nor any amount",
                        proposal=f"remove document {label}")
            case Unknown():
                ctx.undecided("unnecessary_document", d.name, d, matters.reason)


# -- cheap before expensive: the engine looks for a case first ---------------------------------------


def _required_or_error(ctx: Context, name: str) -> Callable[[dict[str, Value]], bool]:
    return lambda case: ctx.document_required(name, case) is not False


def _required_without(ctx: Context, name: str, other: str) -> Callable[[dict[str, Value]], bool]:
    return lambda case: ctx.document_required(name, case) is True and ctx.document_required(other, case) is False


def _matters_by_engine(ctx: Context, name: str, provides: tuple[str, ...] | list[str]) -> bool:
    """A case that requires the document and a second one that differs from it only in what the
    document provides, with different outcomes (eligibility, an amount, or an error): the
    query `required ∧ outcome(F) ≠ outcome(F')` is then sat, with no solver (the case that
    requires it is F, the other F')."""
    whole = Slice(ctx.everything.inputs, ctx.everything.requirements, ctx.everything.amounts, [], [])
    # first the pairs that showed a provided fact matter to its slice (inputs.py, on this date or
    # an earlier one): where such a case requires the document, one pair settles it
    # a document asked when one of its own answers is given (`required when adapted_home`) is
    # required on one side of such a pair only: either side will do
    for f in provides:
        for case, value in relevant_pairs(ctx, f):
            for one, other in ((case, {**case, f: value}), ({**case, f: value}, case)):
                try:
                    if ctx.document_required(name, one) is True and \
                            ctx.slice_outcome(whole, one) != ctx.slice_outcome(whole, other):
                        return True
                except (EvaluationError, ArithmeticError):
                    continue
    tries = 0
    values = {f: candidate_values(ctx, ctx.reg.input_map[f]) for f in provides}
    for case in probe_cases(ctx):
        tries += 1
        if tries > ENGINE_PROBES:
            return False
        try:
            required = ctx.document_required(name, case) is True
            before: tuple[object, ...] | None = None
            for f in provides:
                for value in values[f]:
                    tries += 1
                    if value == case[f]:
                        continue
                    moved = {**case, f: value}
                    # the case that requires the document may be either side of the pair: a
                    # document asked when one of its own answers is given (`required when
                    # adapted_home`) is required only on the side that gives it
                    if not required and ctx.document_required(name, moved) is not True:
                        continue
                    if before is None:
                        before = ctx.slice_outcome(whole, case)
                    if ctx.slice_outcome(whole, moved) != before:
                        return True
        except (EvaluationError, ArithmeticError):
            continue
    return False
