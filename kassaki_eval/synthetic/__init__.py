"""The synthetic Pangkep world with known truth (``generate_world``)."""
from __future__ import annotations

from .params import WorldParams
from .world import PMT_COVARIATES, World, generate_world, pmt_features

__all__ = ["WorldParams", "World", "generate_world", "pmt_features", "PMT_COVARIATES"]
