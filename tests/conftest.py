"""Shared test settings.

Hypothesis runs deterministically (derandomize=True), so CI and every laptop
see the same examples and a failure always reproduces. The "ci" profile is the
default; `HYPOTHESIS_PROFILE=thorough pytest tests/` tries six times as many examples.
"""

import gc
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


@pytest.fixture(scope="module")
def freeze_long_lived_objects():
    """Keep the garbage collector off pytest's own long-lived objects during a module.

    A render sweep makes thousands of short-lived matplotlib objects, so the collector runs
    often, and each full collection also walks everything pytest and its plugins hold:
    that was half the CPU time of the sweeps. gc.freeze() sets the objects alive now aside
    until the module ends; the renders' garbage is collected as usual, and nothing the
    tests check changes. Use it with pytestmark = pytest.mark.usefixtures(...).
    """
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
