"""An OpenFisca reform of the peer for bench/diff.py: the zorgtoeslag's adulthood by birth date
(art. 1 lid 1 onder c Wzt: a verzekerde from the first day of the month after the month of the
18th birthday), as rules/nl/rijk/zorgtoeslag.rules decides it, so that the peer and Eenvoud decide
the same people when a population carries birth dates. The base package (bench/api.py,
bench/batch.py) is unchanged: it counts from the age alone.

`adult = age >= 19 or age >= 18 and first_day_of_next_month(birth_date + 18 years) <= period start`,
in numpy's calendar months (exact for days 1-28; bench/diff.py generates no later day).
"""

from __future__ import annotations

from datetime import date

import numpy as np
from openfisca_core.model_api import ETERNITY, YEAR, Reform, Variable

from openfisca_zorgtoeslag.entities import Person


class birth_date(Variable):  # noqa: N801 (OpenFisca's convention: the variable's name)
    value_type = date
    entity = Person
    definition_period = ETERNITY
    label = "Geboortedatum"


class eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Person
    definition_period = YEAR

    def formula(person, period, parameters):  # noqa: N805
        p = parameters(period.start)
        age = person("age", period)
        born = person("birth_date", period).astype("datetime64[M]")
        adult_from = (born + np.timedelta64(18 * 12 + 1, "M")).astype("datetime64[D]")
        start = np.datetime64(str(period.start), "D")
        adult = (age >= 19) | ((age >= 18) & (adult_from <= start))
        return (
            adult
            * person("insured", period)
            * (person("assets", period) <= person("asset_limit", period))
            * (person("yearly_amount", period) >= p.awir.minimum_amount)
        )


class AdultByBirthDate(Reform):
    name = "Zorgtoeslag: verzekerde vanaf de maand na de 18e verjaardag"

    def apply(self) -> None:
        self.add_variable(birth_date)
        self.update_variable(eligible)
