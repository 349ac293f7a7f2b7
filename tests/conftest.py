"""Shared test settings: hypothesis kept quick and deterministic.

Hypothesis runs without a deadline: on a loaded 2-core CI machine a single slow example is not a
bug, and timing belongs in `bench/`, never in tests.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "eenvoud",
    deadline=None,
    derandomize=os.environ.get("HYPOTHESIS_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("eenvoud")

