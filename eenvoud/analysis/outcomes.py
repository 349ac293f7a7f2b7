"""Outcomes as Z3 terms: error is an outcome like any other (docs/language.md, "Outcomes").

`Encoding.outcome()` builds one; redundancy, irrelevance, documents and simplify compare two with
`outcomes_differ`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import z3

from eenvoud.analysis.terms import FALSE, conjunction, disjunction, fold, negate, same_sort


@dataclass(frozen=True)
class Outcome:
    """The outcome of a case (or of one slice of it, the others neutral) as Z3 terms, as
    `decision.judge` decides it: not eligible when a requirement fails (`ne`); otherwise an error
    when a requirement, an amount or a document's condition cannot be evaluated (`err`);
    otherwise eligible with `amounts`. `documents` are 0 (not required), 1 (required) or 2 (cannot
    be evaluated, which for an eligible case is an error)."""

    ne: z3.BoolRef
    err: z3.BoolRef
    amounts: tuple[z3.ExprRef, ...]
    documents: tuple[z3.ExprRef, ...]

    @property
    def ok(self) -> z3.BoolRef:
        """Eligible, and every amount and document evaluated."""
        return conjunction([negate(self.ne), negate(self.err)])

    def substitute(self, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> Outcome:
        def sub(x: z3.ExprRef) -> z3.ExprRef:
            return z3.substitute(x, *pairs) if pairs else x
        return Outcome(sub(self.ne), sub(self.err), tuple(sub(a) for a in self.amounts),
                       tuple(sub(d) for d in self.documents))


def differ(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    """`a != b`, folded to false when the two are one term."""
    if z3.eq(a, b):
        return FALSE
    a, b = same_sort(a, b)
    return fold(a != b)


def outcomes_differ(a: Outcome, b: Outcome, documents: bool = True) -> z3.BoolRef:
    """Two outcomes of the same shape differ: in kind (not eligible, error, eligible), in an
    amount of an eligible case, or in a document of a case that is not an error."""
    parts = [differ(a.ne, b.ne), differ(a.err, b.err)]
    amounts = disjunction(differ(x, y) for x, y in zip(a.amounts, b.amounts, strict=True))
    parts.append(conjunction([a.ok, b.ok, amounts]))
    if documents:
        docs = disjunction(differ(x, y) for x, y in zip(a.documents, b.documents, strict=True))
        parts.append(conjunction([negate(a.err), negate(b.err), docs]))
    return disjunction(parts)


class _Z3Logic:
    """Z3's Boolean operations, folding constants, for `eenvoud.core.outcome.order`."""

    def any(self, xs: Iterable[z3.BoolRef]) -> z3.BoolRef:
        return disjunction(xs)

    def all(self, xs: Iterable[z3.BoolRef]) -> z3.BoolRef:
        return conjunction(xs)

    def negate(self, x: z3.BoolRef) -> z3.BoolRef:
        return negate(x)


Z3_LOGIC = _Z3Logic()
