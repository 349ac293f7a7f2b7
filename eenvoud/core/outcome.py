"""The order in which a case is decided, written once (docs/language.md, "Outcomes, errors included").

1. not eligible when a requirement fails (whatever else cannot be evaluated or is unknown);
2. otherwise undetermined while a requirement is unknown;
3. otherwise an error when a requirement cannot be evaluated;
4. otherwise eligible, and only then are the amounts (and documents) evaluated: one that cannot be
   evaluated makes the outcome an error.

The engine applies it to the statuses it computed (`requirements_outcome`, `decision.judge`); the
Z3 encoding applies the same order to terms (`order`, over its own Boolean logic): one statement,
two carriers. The SQL's Kleene AND of the requirement columns is steps 1-2, and it hands every row
that might reach 3 or 4 to the engine (its flags); the suite checks all of them against each other
(tests/engine/test_one_oracle.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, Literal, Protocol, TypeVar

Status = Literal["holds", "fails", "unknown", "error"]
Kind = Literal["eligible", "not eligible", "undetermined", "error"]

B = TypeVar("B")


def requirements_outcome(statuses: Iterable[Status]) -> Kind:
    """Steps 1-3 on the requirements' statuses; "eligible" means: evaluate the amounts now."""
    seen = set(statuses)
    if "fails" in seen:
        return "not eligible"
    if "unknown" in seen:
        return "undetermined"
    if "error" in seen:
        return "error"
    return "eligible"


class Logic(Protocol[B]):
    """The Boolean operations a symbolic backend provides for its terms."""

    def any(self, xs: Iterable[B]) -> B: ...
    def all(self, xs: Iterable[B]) -> B: ...
    def negate(self, x: B) -> B: ...


class Order(Generic[B]):
    """The outcome's kind as terms of one logic: `ne` (not eligible) and `err` (an error)."""

    def __init__(self, ne: B, err: B):
        self.ne = ne
        self.err = err


def order(logic: Logic[B], fails: Sequence[B], requirement_errors: Sequence[B],
          later_errors: Sequence[B]) -> Order[B]:
    """Steps 1, 3 and 4 for complete cases (nothing unknown): not eligible when some requirement
    fails; otherwise an error when a requirement, or (for the eligible case that remains) an
    amount or a document, cannot be evaluated."""
    ne = logic.any(fails)
    err = logic.all([logic.negate(ne), logic.any([*requirement_errors, *later_errors])])
    return Order(ne, err)
