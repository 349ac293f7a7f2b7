"""Shared test settings: hypothesis kept quick and deterministic, solver limits resource limits.

Hypothesis runs without a deadline: on a loaded 2-core CI machine a single slow example is not a
bug, and timing belongs in `bench/`, never in tests. For the same reason every solver budget a test
does not state itself (the CLI's `--timeout`, the API's analyses, servers and commands the tests
start, which inherit the environment) has no wall-clock backstop: EENVOUD_BACKSTOP=off leaves
Z3's resource limit alone, so a busy machine gives the same answers as an idle one.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# before any test builds a Budget; a command the tests start inherits it
os.environ.setdefault("EENVOUD_BACKSTOP", "off")

settings.register_profile(
    "eenvoud",
    deadline=None,
    derandomize=os.environ.get("HYPOTHESIS_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("eenvoud")

