"""Hypothesis profiles. The default (CI) profile is Hypothesis' own (100 examples per test).

``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py`` runs the fuzz tests with
10,000 examples each and a larger corpus of malformed files (README «可靠性»).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
