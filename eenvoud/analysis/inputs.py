"""Irrelevant inputs, and questions that ask the citizen for what a registry holds.

Irrelevant input: take a second copy `x'` of the input and compare the outcomes of its slice on
`x` and on `x'`: `domain ∧ domain(x') ∧ defined ∧ defined' ∧ outcome(x) ≠ outcome(x')` is unsat iff
no answer to the question ever changes eligibility, an amount or a required document: stop asking
it. (Outcomes outside the input's slice do not read it, and the requirements of the other slices
can be met independently.)

Registry data requested again (questions): an input the citizen is asked (no `from`) that another
rule file of the library takes `from` a registry, and that changes an outcome here (the witness is
the pair of cases that shows it).
"""

from __future__ import annotations

import z3

from eenvoud.analysis.context import Context, same_outcome
from eenvoud.analysis.encode import Var, conjunction, disjunction, negate
from eenvoud.analysis.prover import Proved, Refuted, Unknown
from eenvoud.analysis.slices import Slice
from eenvoud.analysis.findings import Witness
from eenvoud.engine.values import EvaluationError
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t


def copy_of(var: Var) -> tuple[Var, list[tuple[z3.ExprRef, z3.ExprRef]]]:
    const = z3.Const(f"{var.const}'", var.const.sort())
    return Var(var.name, var.type, const, z3.substitute(var.value, (var.const, const)), var.registry), \
        [(var.const, const)]


def differ(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    if z3.eq(a, b):
        return z3.BoolVal(False)
    return a != b  # type: ignore[return-value]


def outcome_differs(ctx: Context, s: Slice, pairs: list[tuple[z3.ExprRef, z3.ExprRef]],
                    documents: bool = True) -> tuple[z3.BoolRef, list[z3.BoolRef]]:
    """The slice's outcome on the original inputs differs from that on the copies; and the copy's
    own conditions (its failures do not happen)."""
    def sub(x: z3.ExprRef) -> z3.ExprRef:
        return z3.substitute(x, *pairs)

    eligible = conjunction(ctx.enc.requirements[r].holds for r in s.requirements)
    eligible2 = sub(eligible)
    parts = [differ(eligible, eligible2)]
    amounts = disjunction(differ(ctx.enc.amounts[a], sub(ctx.enc.amounts[a])) for a in s.amounts)
    parts.append(conjunction([eligible, eligible2, amounts]))  # type: ignore[list-item]
    if documents:
        parts += [differ(ctx.enc.documents[d], sub(ctx.enc.documents[d])) for d in s.documents]
    copies = [negate(sub(ctx.enc.failures[k])) for k in s.failures if k in ctx.enc.failures]  # type: ignore[arg-type]
    return disjunction(parts), copies


def irrelevant(ctx: Context) -> None:
    if ctx.contradiction:
        return  # nobody qualifies: no answer changes eligibility, and saying so helps no one
    for decl in ctx.reg.inputs:
        ctx.tick()
        x = decl.name
        s = ctx.slice_of("input", x)
        var = ctx.enc.inputs[x]
        copy, pairs = copy_of(var)
        diff, copies = outcome_differs(ctx, s, pairs)
        axioms = [z3.substitute(ax.formula, *pairs) for ax in ctx.enc.axioms.values() if ax.input == x]
        prover = ctx.prover(s)
        answer = prover.check(ctx.domain(s), [diff, *copies, *axioms], also=[copy])
        match answer:
            case Proved():
                used = bool(s.requirements or s.amounts or s.documents)
                why = "whatever the answer, eligibility, every amount and every required document stay the same" \
                    if used else "no requirement, amount or document reads it"
                ctx.add("irrelevant_input", x, decl, None, list(answer.core),
                        f"the question `{x}` never changes any outcome: {why}; stop asking it",
                        proposal=f"remove input `{x}`")
            case Refuted():
                other = answer.also[x]
                case = ctx.complete(answer.case)
                try:
                    witness = ctx.witness(case, {x: other})
                    before = ctx.decide(case)
                    after = ctx.decide({**case, x: other})
                except EvaluationError as exc:
                    ctx.undecided("irrelevant_input", x, decl, f"the engine could not decide the witness: {exc}")
                    continue
                if same_outcome(before, after, documents=True):
                    ctx.undecided("irrelevant_input", x, decl,
                                  "the encoding and the engine disagree on a witness: please report this")
                    continue
                _registry_question(ctx, x, decl, witness)
            case Unknown():
                ctx.undecided("irrelevant_input", x, decl, answer.reason)


def _registry_question(ctx: Context, x: str, decl: n.Input, witness: Witness) -> None:
    if decl.registry is not None:
        return
    held = ctx.library_registry.get(x)
    if held is None:
        return
    registry, other, kind = held
    if kind != t.kind(t.strip_domain(decl.type)):
        return
    ctx.add("registry_data_requested", x, decl, None, [f"`{other}` takes `{x}` from {registry}"],
            f"the citizen is asked `{x}`, which {registry} already holds (`{other}` takes it from there), "
            f"and the answer matters: ask {registry} instead",
            witness, proposal=f"declare `input {x} ... from {registry}`")
