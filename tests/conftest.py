"""Shared test settings.

Hypothesis runs deterministically (derandomize=True), so CI and every laptop
see the same examples and a failure always reproduces. The "ci" profile is the
default; `HYPOTHESIS_PROFILE=thorough pytest tests/` tries six times as many examples.
"""

import os

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile(
    "ci",
    derandomize=True,  # the same examples on every run
    deadline=None,  # timings on a shared CI runner are noisy
    max_examples=100,
    database=None,  # derandomized runs need no example database (and write no .hypothesis/)
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=600)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    """A freshly seeded generator for each test."""
    return np.random.default_rng(0)
