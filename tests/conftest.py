"""Shared fixtures. Worlds are generated once per test session (and per xdist worker)."""
from __future__ import annotations

import pytest

# Our own modules are imported directly: a broken import must fail the suite, never skip it.
from kassaki_eval.synthetic.world import generate_world


@pytest.fixture(scope="session")
def world():
    """The default Pangkep world (seed 2024, full scale)."""
    return generate_world(seed=2024)


@pytest.fixture(scope="session")
def small_world():
    """A 10 % scale world for fast tests of pipelines."""
    return generate_world(seed=7, scale=0.1)
