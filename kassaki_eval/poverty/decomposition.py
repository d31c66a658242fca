"""Decompositions of the change in poverty between two waves.

- :func:`datt_ravallion` -- Datt & Ravallion (1992): growth, redistribution and a residual;
- :func:`shapley_growth_redistribution` -- the Shapley version (Shorrocks 2013), whose two
  components add up to the total change exactly.

Both work on real welfare with one poverty line (value the earlier wave at the later wave's
prices first) and return an :class:`~kassaki_eval.results.EstimateResult` with one term per
component. They are point decompositions: ``std_error`` is NaN (not estimated). The sampling
error of the total change, with the panel overlap of the two waves, is
:func:`kassaki_eval.poverty.change`.

Example
-------
>>> import pandas as pd
>>> from kassaki_eval.poverty import shapley_growth_redistribution
>>> df = pd.DataFrame({"year": [1, 1, 2, 2], "c": [100.0, 300, 250, 300], "w": [1.0, 1, 1, 1]})
>>> r = shapley_growth_redistribution(df, "c", line=200, years=(1, 2), design={"weight": "w"},
...                                   size=None)
>>> r.estimates.round(3).tolist()
[-0.25, -0.25, -0.5]
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import DesignError, ParameterError, Problem, check_option
from ..results import EstimateResult, Provenance, hash_frame
from ._common import check_keywords, exponent_and_level, fgt_scores
from .design import SurveyDesign

__all__ = ["datt_ravallion", "shapley_growth_redistribution"]


def _scaled_fgt(y: np.ndarray, w: np.ndarray, z: float, g: float, factor: float,
                strict: bool = True) -> float:
    h = fgt_scores(y * factor, np.full(len(y), z), g, strict)
    return float(np.sum(w * h) / np.sum(w))


def _weight_column(owner: str, design: Any, deprecated: Mapping[str, Any]) -> str:
    """Return the weight column.

    From ``design=`` (a SurveyDesign or a mapping of its options) or, deprecated, from
    ``weight=`` (default ``"weight"``).
    """
    if design is not None:
        if "weight" in deprecated:
            raise ParameterError(f"The 'design' parameter of {owner} replaces 'weight'; give one "
                                 f"or the other. Got both instead.")
        if isinstance(design, SurveyDesign):
            return design.weight_col
        if isinstance(design, Mapping) and "weight" in design:
            return str(design["weight"])
        raise ParameterError(f"The 'design' parameter of {owner} must be a SurveyDesign or a "
                             f"mapping of SurveyDesign options with 'weight'. Got "
                             f"{design!r} instead.")
    warnings.warn(f"Passing the weights of {owner} as weight= (or not at all, meaning "
                  f"weight='weight') is deprecated and will be removed in the next release; use "
                  f"design={{'weight': ...}} or a SurveyDesign.", DeprecationWarning,
                  stacklevel=5)  # the caller of datt_ravallion / shapley_growth_redistribution
    return str(deprecated.get("weight", "weight"))


def _inputs(owner: str, data: Any, welfare: str, years: tuple[int, int], year: str,
            design: Any, size: Any, deprecated: Mapping[str, Any]
            ) -> tuple[pd.DataFrame, str, tuple[np.ndarray, ...]]:
    if isinstance(data, SurveyDesign):
        if design is not None:
            raise ParameterError(f"The 'design' parameter of {owner} must be None when 'data' "
                                 f"is a SurveyDesign. Got {type(design).__name__} instead.")
        design, data = data, data.data
    weight = _weight_column(owner, design, deprecated)
    out = []
    for yr in years:
        s = data[data[year] == yr]
        if s.empty:
            raise DesignError(f"{owner}: no rows for year {yr} in column '{year}'. Fix: pass "
                              f"two years present in the survey.")
    # a missing welfare, weight or size was counted as "not poor" in P(a, a) and P(b, b) and
    # made the means (so both counterfactual paths) NaN: a finite, wrong decomposition
    in_years = data[year].isin(list(years)).to_numpy()
    span = f"in the rows of years {years[0]} and {years[1]}"

    def refuse(col: str, mask: np.ndarray, rule: str, fix: str) -> None:
        ex = (design.examples(mask) if isinstance(design, SurveyDesign)
              else tuple(f"row {i}" for i in np.flatnonzero(mask)[:5]))
        table = design.table if isinstance(design, SurveyDesign) else "data"
        raise DesignError(Problem(table, col, rule, int(mask.sum()), ex, fix).message())

    vals = {}
    for col in (welfare, weight) + ((size,) if isinstance(size, str) else ()):
        v = pd.to_numeric(data[col], errors="coerce").to_numpy(float)
        bad = in_years & ~np.isfinite(v)
        if bad.any():
            refuse(col, bad, f"is missing or not finite {span}",
                   f"impute them or drop those rows before {owner} (both years' means and "
                   "poverty rates need every household).")
        # a zero or negative weight or size gave a finite, wrong decomposition (design= as a
        # mapping skips SurveyDesign's weight check; household size is never checked there)
        neg = in_years & (v <= 0)
        if col != welfare and neg.any():
            refuse(col, neg, f"must be > 0 {span} (zero or negative found)",
                   "household size is at least 1." if col != weight else
                   f"repair the weights, or drop out-of-scope rows before {owner}; a subgroup "
                   "is analysed with its own rows, not with zero weights.")
        vals[col] = v
    for yr in years:
        rows = (data[year] == yr).to_numpy()
        wv = vals[weight][rows] * (vals[size][rows] if isinstance(size, str) else 1.0)
        out += [vals[welfare][rows], wv]
    return data, weight, tuple(out)


def _paths(owner: str, data: Any, welfare: str, line: float, years: tuple[int, int],
           year: str, design: Any, size: Any, g: float | None, line_rule: str, alpha: float,
           deprecated: Mapping[str, Any]
           ) -> tuple[pd.DataFrame, str, float, float, tuple[float, float, float, float]]:
    """Check the options and return P(a, a), P(b, b) and the two counterfactual paths.

    ``P(b, a)`` is the first year's distribution scaled to the second year's mean (mean b,
    Lorenz a); ``P(a, b)`` the second year's scaled to the first year's mean.
    """
    check_keywords(owner, deprecated, ("weight", "conf_alpha"))
    alpha, g = exponent_and_level(owner, alpha, g, exponent_name="g", default=0,
                                  stacklevel=4,  # user -> public function -> _paths -> here
                                  conf_alpha=deprecated.get("conf_alpha"))
    data, weight, (ya_, wa, yb_, wb) = _inputs(owner, data, welfare, years, year, design, size,
                                               deprecated)
    check_option(owner, "line_rule", line_rule, ("strict", "weak"))
    strict = line_rule == "strict"
    mua, mub = np.sum(wa * ya_) / wa.sum(), np.sum(wb * yb_) / wb.sum()
    paths = (_scaled_fgt(ya_, wa, line, g, 1.0, strict),
             _scaled_fgt(yb_, wb, line, g, 1.0, strict),
             _scaled_fgt(ya_, wa, line, g, mub / mua, strict),
             _scaled_fgt(yb_, wb, line, g, mua / mub, strict))
    return data, weight, alpha, g, paths


def _result(owner: str, method: str, components: dict[str, float], data: pd.DataFrame,
            years: tuple[int, int], year: str, options: dict[str, Any], alpha: float
            ) -> EstimateResult:
    used = data[data[year].isin(list(years))]
    n = int(len(used))
    table = pd.DataFrame({"term": list(components), "estimate": list(components.values()),
                          "std_error": np.nan, "n_obs": n})
    prov = Provenance(method=method, options={**options, "years": list(years),
                                              "std_error": "not estimated (point decomposition)"},
                      inputs_hash=hash_frame(used), n_input=int(len(data)), n_used=n,
                      dropped={} if n == len(data) else
                      {f"years other than {years[0]}, {years[1]}": int(len(data) - n)})
    return EstimateResult(table, method=method, alpha=alpha, provenance=prov)


def datt_ravallion(data: Any, welfare: str = "consumption_pc", *, line: float,
                   years: tuple[int, int], year: str = "year", design: Any = None,
                   size: Any = "hh_size", g: float | None = None,
                   line_rule: Literal["strict", "weak"] = "strict", alpha: float = 0.05,
                   **deprecated: Any) -> EstimateResult:
    """Datt & Ravallion (1992) decomposition of the change in P(g) (real welfare, one line).

    ``growth = P(mu_b, L_a) - P(mu_a, L_a)``: the first-year distribution scaled to the second
    year's mean; ``redistribution = P(mu_a, L_b) - P(mu_a, L_a)``: the second-year distribution
    scaled to the first year's mean; ``residual`` closes the identity.

    Parameters
    ----------
    data : DataFrame or SurveyDesign
        Both waves in one table (a ``year`` column).
    design : SurveyDesign or mapping
        The weights (``{"weight": "weight"}`` or a :class:`SurveyDesign`); ``weight=`` is the
        deprecated old way.
    g : float
        FGT exponent (default 0; ``alpha`` outside (0, 1) is its deprecated old name).
    line_rule : {"strict", "weak"}
        ``y < z`` (default) or ``y <= z`` is poor.
    alpha : float
        Level of the (not estimated) intervals, kept for the common signature.

    Returns
    -------
    EstimateResult
        Terms ``growth``, ``redistribution``, ``residual``, ``total``; point values only
        (``std_error`` NaN).
    """
    owner = "datt_ravallion"
    data, weight, alpha, g, (Paa, Pbb, Pba, Pab) = _paths(
        owner, data, welfare, line, years, year, design, size, g, line_rule, alpha, deprecated)
    growth, redis = Pba - Paa, Pab - Paa
    total = Pbb - Paa
    comps = {"growth": growth, "redistribution": redis, "residual": total - growth - redis,
             "total": total}
    return _result(owner, "datt_ravallion", comps, data, years, year,
                   {"welfare": welfare, "line": line, "g": g, "weight": weight, "size": size},
                   alpha)


def shapley_growth_redistribution(data: Any, welfare: str = "consumption_pc", *,
                                  line: float, years: tuple[int, int], year: str = "year",
                                  design: Any = None, size: Any = "hh_size",
                                  g: float | None = None,
                                  line_rule: Literal["strict", "weak"] = "strict",
                                  alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Shapley (Shorrocks 2013) growth/redistribution decomposition.

    Each component is the average of its two Datt-Ravallion paths, so growth +
    redistribution = total exactly.

    Parameters as :func:`datt_ravallion`. Returns terms ``growth``, ``redistribution``,
    ``total`` (point values; ``std_error`` NaN).
    """
    owner = "shapley_growth_redistribution"
    data, weight, alpha, g, (Paa, Pbb, Pba, Pab) = _paths(
        owner, data, welfare, line, years, year, design, size, g, line_rule, alpha, deprecated)
    growth = 0.5 * ((Pba - Paa) + (Pbb - Pab))
    redis = 0.5 * ((Pab - Paa) + (Pbb - Pba))
    comps = {"growth": growth, "redistribution": redis, "total": Pbb - Paa}
    return _result(owner, "shapley_growth_redistribution", comps, data, years, year,
                   {"welfare": welfare, "line": line, "g": g, "weight": weight, "size": size},
                   alpha)
