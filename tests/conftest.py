"""Shared test settings: where the project is, and hypothesis kept quick and deterministic.

Hypothesis runs without a deadline: on a loaded 2-core CI machine a single slow example is not a
bug, and timing belongs in `bench/`, never in tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile(
    "eenvoud",
    deadline=None,
    derandomize=os.environ.get("HYPOTHESIS_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("eenvoud")


def update_golden() -> bool:
    """Whether golden files are rewritten instead of compared (EENVOUD_UPDATE_GOLDEN=1)."""
    return os.environ.get("EENVOUD_UPDATE_GOLDEN") == "1"
