"""A minimal OpenFisca country package computing the zorgtoeslag as rules/nl/rijk/zorgtoeslag.rules
does (2024 and 2025: eligibility, yearly amount, monthly advance), so that bench/api.py can put
OpenFisca's web API beside Eenvoud's on the same computation.

It follows OpenFisca's conventions: one person entity, yearly variables, parameters in YAML, numpy
formulas. Money is OpenFisca's float32, as in its country packages; rounding to cents and euros is
written half up to match the law (numpy's round is half to even).
"""

from __future__ import annotations

from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from openfisca_zorgtoeslag import variables
from openfisca_zorgtoeslag.entities import ENTITIES

PARAMETERS = Path(__file__).parent / "parameters"


class CountryTaxBenefitSystem(TaxBenefitSystem):
    def __init__(self) -> None:
        super().__init__(ENTITIES)
        self.load_parameters(str(PARAMETERS))
        for name in variables.__all__:
            self.add_variable(getattr(variables, name))


def situation(facts: dict[str, object], year: str = "2025") -> dict[str, object]:
    """The /calculate body for one person: the facts as inputs, the outcomes asked for."""
    person: dict[str, object] = {name: {year: value} for name, value in facts.items()}
    for output in ("eligible", "zorgtoeslag", "monthly_payment"):
        person[output] = {year: None}
    return {"persons": {"applicant": person}}
