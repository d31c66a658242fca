"""Helpers shared by the targeting modules (metrics, rules, the out-of-core engine).

Not public API: names here may change without deprecation.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError, Problem, SchemaError
from ..poverty.design import SurveyDesign

__all__ = [
    "DEFAULT_DESIGN",
    "UNSET",
    "col",
    "opt_col",
    "quantile_flag",
    "deciles_of",
    "resolve_design",
    "design_from_columns",
    "dataset_path",
    "read_dataset",
]


def dataset_path(source: Any, owner: str, param: str) -> Path:
    """``source`` as the path of a Parquet dataset, or one clear error for anything else.

    The public targeting functions take a pandas DataFrame or such a path (a ``.parquet``
    file or a folder of them, hive-partitioned or not); this checks the second case.
    """
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.is_file() or (p.is_dir() and any(p.rglob("*.parquet"))):
            return p
        from ..exceptions import DataFileError

        raise DataFileError(
            f"{p} is not a Parquet file or a folder holding Parquet files (the '{param}' "
            f"parameter of {owner}). Fix: pass a DataFrame, or the path written by "
            f"ingest_registry / score_registry / synthetic.national.write_registry."
        )
    raise ParameterError(
        f"The '{param}' parameter of {owner} must be a pandas DataFrame or the path of a "
        f"Parquet dataset. Got {type(source).__name__} instead."
    )


def read_dataset(source: Any, owner: str, param: str) -> pd.DataFrame:
    """A (small) Parquet dataset read into memory: one file, or a folder in path order.

    For tables that are a sample (a survey), not a registry. Hive partition folders
    (``key=value``) become columns, as in DuckDB's ``hive_partitioning``.
    """
    import pyarrow.dataset as ds

    p = dataset_path(source, owner, param)
    return ds.dataset(str(p), format="parquet",
                      partitioning="hive" if p.is_dir() else None).to_table().to_pandas()


def col(data: pd.DataFrame, spec: Any, name: str) -> np.ndarray:
    """A column given by name, or an array of the table's length."""
    if isinstance(spec, str):
        if spec not in data.columns:
            raise SchemaError(
                [
                    Problem(
                        "survey",
                        spec,
                        "is missing",
                        len(data),
                        (),
                        f"pass the column holding the {name}, or its name with {name}=",
                    )
                ]
            )
        return data[spec].to_numpy()
    arr = np.asarray(spec)
    if arr.ndim != 1 or arr.shape[0] != len(data):
        raise ParameterError(f"The '{name}' parameter must be a column name or an array of length "
                             f"{len(data)}. Got {arr.shape} instead.")
    return arr


def opt_col(data: pd.DataFrame, spec: Any, name: str) -> np.ndarray | None:
    return None if spec is None else col(data, spec, name)


def quantile_flag(
    y: np.ndarray, w: np.ndarray, share: float, order: np.ndarray | None = None
) -> np.ndarray:
    """Rows in the poorest ``share`` of the weighted distribution (ascending y, stable)."""
    order = np.argsort(y, kind="stable") if order is None else order
    cum = np.cumsum(w[order]) / w.sum()
    flag = np.zeros(len(y), bool)
    # include a unit when its midpoint falls below the share: the closest match to the share
    flag[order[(cum - w[order] / (2 * w.sum())) < share]] = True
    return flag


def deciles_of(
    y: np.ndarray, w: np.ndarray, k: int = 10, order: np.ndarray | None = None
) -> np.ndarray:
    order = np.argsort(y, kind="stable") if order is None else order
    cum = np.cumsum(w[order]) / w.sum()
    mid = cum - w[order] / (2 * w.sum())
    d = np.empty(len(y), dtype=np.int64)
    d[order] = np.minimum(k, np.floor(k * mid).astype(np.int64) + 1)
    return d


# -- the survey design: one way in ---------------------------------------------------------

#: The design ``targeting_accuracy`` builds when none is given: the contract's survey columns
#: (``docs/ARCHITECTURE.md``, table ``survey``), PSU ids unique within a stratum.
DEFAULT_DESIGN: Mapping[str, Any] = {"weight": "weight", "strata": "stratum", "psu": "psu",
                                     "nest": True, "lonely_psu": "adjust"}

UNSET: Any = object()


def resolve_design(
    data: pd.DataFrame, design: Any, legacy: dict[str, Any], owner: str
) -> SurveyDesign:
    """The survey design of ``data``: a :class:`SurveyDesign`, or a mapping of its options.

    ``legacy`` holds the deprecated ``weight``/``strata``/``psu``/``lonely_psu`` arguments that
    were passed explicitly; they build the same design (one release of deprecation).
    """
    given = {k: v for k, v in legacy.items() if v is not UNSET}
    if given:
        if design is not None:
            raise ParameterError(f"The 'design' parameter of {owner} cannot be combined with "
                                 f"{sorted(given)}. Got both instead; pass the design only.")
        warnings.warn(
            f"{owner}: the {', '.join(repr(k) for k in sorted(given))} argument(s) are "
            "deprecated and will be removed in the next release; pass "
            "design=SurveyDesign(...) or design={'weight': ..., 'strata': ..., 'psu': ...}.",
            DeprecationWarning,
            stacklevel=3,
        )
        opts: dict[str, Any] = {
            "weight": legacy["weight"] if legacy["weight"] is not UNSET else "weight",
            "strata": legacy["strata"] if legacy["strata"] is not UNSET else "stratum",
            "psu": legacy["psu"] if legacy["psu"] is not UNSET else "psu",
            "lonely_psu": legacy["lonely_psu"] if legacy["lonely_psu"] is not UNSET else "adjust",
        }
        opts["nest"] = opts["strata"] is not None and opts["psu"] is not None
        design = opts
    if design is None:
        design = DEFAULT_DESIGN
    if isinstance(design, SurveyDesign):
        if design.n != len(data):
            raise ParameterError(
                f"The 'design' parameter of {owner} must describe the rows of data "
                f"({len(data)}). Got a design of {design.n} rows instead."
            )
        return design
    if not isinstance(design, Mapping):
        raise ParameterError(
            f"The 'design' parameter of {owner} must be a SurveyDesign or a mapping of "
            f"its options (weight, strata, psu, ...). Got {type(design).__name__} instead."
        )
    opts = dict(design)
    frame = data
    extra: dict[str, Any] = {}
    # arrays (deprecated) and weight=None (a census: each row counts once) need a column to name
    for key, default_name in (("weight", "_unit_weight"), ("strata", "_stratum"), ("psu", "_psu")):
        v = opts.get(key)
        if key == "weight" and v is None:
            extra[default_name] = np.ones(len(data))
            opts[key] = default_name
        elif v is not None and not isinstance(v, str):
            arr = np.asarray(v)
            if arr.ndim != 1 or arr.shape[0] != len(data):
                raise ParameterError(
                    f"The '{key}' parameter must be a column name or an array of length "
                    f"{len(data)}. Got {arr.shape} instead."
                )
            extra[default_name] = arr
            opts[key] = default_name
        elif isinstance(v, str) and v not in data.columns:
            raise SchemaError(
                [
                    Problem(
                        "survey",
                        v,
                        "is missing",
                        len(data),
                        (),
                        f"pass the column holding the {key} in design={{'{key}': ...}}, "
                        "or a SurveyDesign",
                    )
                ]
            )
    if extra:
        frame = data.assign(**extra)  # copy-on-write: the user's columns are not copied
    return SurveyDesign(frame, **opts)


def design_from_columns(data: pd.DataFrame, weight: Any, strata: Any, psu: Any, lonely_psu: str,
                        owner: str) -> tuple[SurveyDesign, np.ndarray]:
    """The design given by columns (or arrays) of ``data``, built on ``data``; and its weights.

    ``weight=None``: one per row; ``psu=None``: each row its own PSU; ``strata=None``: one stratum.
    """
    d = resolve_design(
        data,
        {
            "weight": weight,
            "strata": strata,
            "psu": psu,
            "lonely_psu": lonely_psu,
            "nest": strata is not None and psu is not None,
        },
        {},
        owner,
    )
    return d, d.weights
