"""The documents analysis asks the solver whether what a document provides can matter only when
the engine finds no pair of cases that shows it. A document asked when one of its own answers is
given (`required when adapted_home`) is required on one side of such a pair only; the engine's
pass takes either side (the huurtoeslag's adaptation statement on 2024-01-01 went to the solver
before, where one query took from 0.1 to 0.9 s depending on Z3's term numbering)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eenvoud.analysis.analyze import context_at
from eenvoud.analysis.documents import _matters_by_engine
from eenvoud.analysis.prover import Budget, Stats
from eenvoud.analysis.requirements import contradictions
from eenvoud.dsl.load import load_text

RULES = '''regulation toeslag "Toeslag"

input rent : money €0..€2_000 "Kale huur per maand"
input adapted_home : bool "De woning is aangepast"

requirement rent_cap "Huur niet te hoog": rent <= €900 or adapted_home

amount toeslag : money "Toeslag" = €100

document adaptation_statement "Verklaring dat de woning is aangepast"
  provides adapted_home
  required when adapted_home
'''


def test_a_document_required_on_one_side_of_the_pair_is_shown_to_matter_without_the_solver() -> None:
    reg = load_text(RULES, "toeslag.rules")
    ctx = context_at(reg, date(2025, 1, 1), Budget(1.0), Stats())
    assert not isinstance(ctx, str)
    contradictions(ctx)  # the base case: every requirement met
    # whichever model Z3 gave: a home not adapted, a rent under the cap
    ctx.base.update({"rent": Decimal("500.00"), "adapted_home": False})
    # a rent above the cap (one answer moved) with the home adapted requires the statement and is
    # eligible; the same case without the adaptation is not: the statement matters
    assert _matters_by_engine(ctx, "adaptation_statement", ("adapted_home",))
