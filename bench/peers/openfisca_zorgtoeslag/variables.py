"""Inputs and formulas, one OpenFisca variable each; names match the Eenvoud rules."""

from __future__ import annotations

from typing import Any

import numpy as np
from openfisca_core.model_api import YEAR, Variable, max_, where

from openfisca_zorgtoeslag.entities import Person

__all__ = [
    "age", "insured", "has_partner", "partner_insured", "income", "assets",
    "asset_limit", "norm_premium", "premium", "calculated", "yearly_amount",
    "eligible", "zorgtoeslag", "monthly_payment",
]


def half_up(x: Any, places: int) -> Any:
    scale = 10.0**places
    return np.floor(np.asarray(x, dtype=np.float64) * scale + 0.5) / scale


class age(Variable):
    value_type = int
    entity = Person
    definition_period = YEAR
    label = "Leeftijd van de aanvrager"


class insured(Variable):
    value_type = bool
    entity = Person
    definition_period = YEAR
    label = "Verzekerd voor de Zorgverzekeringswet"


class has_partner(Variable):
    value_type = bool
    entity = Person
    definition_period = YEAR
    label = "Heeft een toeslagpartner"


class partner_insured(Variable):
    value_type = bool
    entity = Person
    definition_period = YEAR
    label = "De toeslagpartner is verzekerd voor de Zorgverzekeringswet"


class income(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "Toetsingsinkomen van aanvrager en toeslagpartner samen"


class assets(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "Vermogen op 1 januari"


class asset_limit(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR

    def formula(person, period, parameters):  # noqa: N805 (OpenFisca's convention)
        p = parameters(period.start).zorgtoeslag
        return where(person("has_partner", period), p.asset_limit_partner, p.asset_limit_single)


class norm_premium(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR

    def formula(person, period, parameters):  # noqa: N805
        p = parameters(period.start).zorgtoeslag
        rate = where(person("has_partner", period), p.partner_rate, p.single_rate)
        above = max_(0, person("income", period) - p.threshold_income)
        return half_up(rate * p.threshold_income + p.income_rate * above, 2)


class premium(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR

    def formula(person, period, parameters):  # noqa: N805
        p = parameters(period.start).zorgtoeslag
        return where(person("has_partner", period), p.standard_premium * 2, p.standard_premium)


class calculated(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR

    def formula(person, period, parameters):  # noqa: N805
        full = person("premium", period) - person("norm_premium", period)
        halved = person("has_partner", period) * np.logical_not(person("partner_insured", period))
        return where(halved, half_up(full * 0.5, 2), full)


class yearly_amount(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR

    def formula(person, period, parameters):  # noqa: N805
        return half_up(max_(0, person("calculated", period)), 0)


class eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = YEAR

    def formula(person, period, parameters):  # noqa: N805
        p = parameters(period.start)
        return (
            (person("age", period) >= 18)
            * person("insured", period)
            * (person("assets", period) <= person("asset_limit", period))
            * (person("yearly_amount", period) >= p.awir.minimum_amount)
        )


class zorgtoeslag(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "Zorgtoeslag per jaar"

    def formula(person, period, parameters):  # noqa: N805
        return where(person("eligible", period), person("yearly_amount", period), 0)


class monthly_payment(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "Voorschot per maand"

    def formula(person, period, parameters):  # noqa: N805
        return where(person("eligible", period), np.floor(person("yearly_amount", period) / 12), 0)
