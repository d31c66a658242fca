"""Poverty targeting.

PMT models, registry scoring and quota selection, targeting accuracy with design-based
confidence intervals, comparison of rules under one budget, and figures.

See the module docs of :mod:`.pmt`, :mod:`.selection`, :mod:`.metrics`, :mod:`.rules` and
:mod:`.plots` for definitions and sources.

Registry scale (docs/SCALE.md): :func:`score_registry`, :func:`select_quota` and
:func:`targeting_accuracy` take a pandas DataFrame or the path of a Parquet dataset (a file or
a hive-partitioned folder); a path runs out of core on DuckDB (:mod:`.scale`) with the same
results. :func:`ingest_registry` streams a CSV/.xlsx registry into such a dataset,
:func:`linked_accuracy` evaluates a beneficiary list against a survey linked by ``family_id``,
:func:`registry_profile_table` profiles either input, and :func:`national_targeting`
(:mod:`.distributed`) scores and selects district by district on joblib or a
``dask.distributed`` cluster.
"""
from .distributed import NationalSelection, district_partitions, national_targeting, run_tasks
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
from .scale import (
                  PROFILE_COLUMNS,
                  DatasetSelection,
                  IngestResult,
                  connect,
                  dataset_sql,
                  ingest_registry,
                  linked_accuracy,
                  registry_profile_table,
                  score_dataset,
                  select_quota_dataset,
)
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
    # registry scale: out of core (DuckDB) and distributed (Dask)
    "PROFILE_COLUMNS",
    "DatasetSelection",
    "IngestResult",
    "connect",
    "dataset_sql",
    "ingest_registry",
    "linked_accuracy",
    "registry_profile_table",
    "score_dataset",
    "select_quota_dataset",
    "NationalSelection",
    "district_partitions",
    "national_targeting",
    "run_tasks",
]
