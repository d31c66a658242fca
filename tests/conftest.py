"""Shared fixtures. Worlds are generated once per test session (and per xdist worker)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def world():
    """The default Pangkep world (seed 2024, full scale)."""
    synthetic = pytest.importorskip("kassaki_eval.synthetic.world")
    return synthetic.generate_world(seed=2024)


@pytest.fixture(scope="session")
def small_world():
    """A 10 % scale world for fast tests of pipelines."""
    synthetic = pytest.importorskip("kassaki_eval.synthetic.world")
    return synthetic.generate_world(seed=7, scale=0.1)
