"""Poverty targeting.

PMT models, registry scoring and quota selection, targeting accuracy with design-based
confidence intervals, comparison of rules under one budget, and figures.

See the module docs of :mod:`.pmt`, :mod:`.selection`, :mod:`.metrics`, :mod:`.rules` and
:mod:`.plots` for definitions and sources.
"""
from .metrics import BENCHMARKS, confusion_table, targeting_accuracy, weighted_auc
from .plots import curve_points, performance_triangle, targeting_curve, triangle_indicators
from .pmt import (
                  LOG_FEATURES,
                  OLSPMT,
                  PMT_FEATURES,
                  BoostingPMT,
                  ElasticNetPMT,
                  LassoPMT,
                  QuantilePMT,
                  pmt_target,
                  validate_pmt,
)
from .rules import DEFAULT_POINTS, UNIVERSAL, budget_selection, compare_rules, demographic_scorecard
from .selection import (
                  RAW_ID_COLUMNS,
                  Selection,
                  assign_desil,
                  rank_scores,
                  score_registry,
                  select_quota,
)

__all__ = [
    "BENCHMARKS",
    "confusion_table",
    "targeting_accuracy",
    "weighted_auc",
    "curve_points",
    "performance_triangle",
    "targeting_curve",
    "triangle_indicators",
    "LOG_FEATURES",
    "PMT_FEATURES",
    "BoostingPMT",
    "ElasticNetPMT",
    "LassoPMT",
    "OLSPMT",
    "QuantilePMT",
    "pmt_target",
    "validate_pmt",
    "DEFAULT_POINTS",
    "UNIVERSAL",
    "budget_selection",
    "compare_rules",
    "demographic_scorecard",
    "RAW_ID_COLUMNS",
    "Selection",
    "assign_desil",
    "rank_scores",
    "score_registry",
    "select_quota",
]
