"""Hypothesis for the property tests: derandomized (the same examples on every run, so CI
is deterministic and a failure reproduces), no example database, bounded.
``FREIGABE_PROPERTY_EXAMPLES`` raises the number of examples per property (``make fuzz``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "freigabe",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=int(os.environ.get("FREIGABE_PROPERTY_EXAMPLES", "200")),
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("freigabe")
