"""The WSGI app gunicorn serves: OpenFisca's own web API over this country package."""

from __future__ import annotations

from openfisca_web_api.app import create_app

from openfisca_zorgtoeslag import CountryTaxBenefitSystem

app = create_app(CountryTaxBenefitSystem())
