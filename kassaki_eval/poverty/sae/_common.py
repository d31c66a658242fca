"""Shared helpers of :mod:`kassaki_eval.poverty.sae` (transformations, result assembly).

Nothing here is public API; the sibling modules import these names.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...exceptions import ParameterError
from ...results import EstimateResult, Provenance

__all__ = ["assemble", "design_matrix", "reliability", "village_labels"]

#: BPS relative-standard-error convention for publishing estimates (DOMAIN.md marks it [U]).
RSE_THRESHOLDS: tuple[float, float] = (0.25, 0.50)


def design_matrix(df: pd.DataFrame, covariates: Sequence[str], owner: str, table: str,
                  intercept: bool = True) -> np.ndarray:
    """Numeric covariate matrix (with an intercept column first when ``intercept``)."""
    missing = [c for c in covariates if c not in df.columns]
    if missing:
        raise ParameterError(f"The 'covariates' parameter of {owner} must name columns of "
                             f"{table}. Got {missing} which are not there; columns are "
                             f"{list(df.columns)[:15]}.")
    cols = [pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in covariates]
    X = np.column_stack(([np.ones(len(df))] if intercept else []) + cols) if (cols or intercept) \
        else np.empty((len(df), 0))
    return X


def village_labels(codes: Sequence[Any]) -> pd.DataFrame:
    """Name, kecamatan and zone of each village code from the district reference.

    Missing (NaN) when the code is not a reference village, e.g. in the emdi test data.
    """
    from ... import reference
    ref = reference.villages()[["kemendagri_code", "name", "kecamatan", "kec_kemendagri", "zone"]]
    ref = ref.rename(columns={"kemendagri_code": "village_code", "kec_kemendagri": "kec_code"})
    out = pd.DataFrame({"village_code": list(codes)}).merge(ref, on="village_code", how="left")
    return out


def reliability(cv: np.ndarray, thresholds: tuple[float, float] = RSE_THRESHOLDS) -> np.ndarray:
    """Publication class from the relative standard error (coefficient of variation).

    ``cv <= thresholds[0]``: ``reliable``; ``<= thresholds[1]``: ``caution``; above:
    ``unreliable``; not finite (estimate 0): ``unreliable``. The default (25 %, 50 %) is the BPS
    convention as reported in DOMAIN.md, marked there as *not verified* [U]: pass your own.
    """
    lo, hi = thresholds
    if not (0 < lo < hi):
        raise ParameterError("The 'rse_thresholds' parameter must be two increasing positive "
                             f"numbers (reliable, caution). Got {thresholds!r} instead.")
    cv = np.asarray(cv, dtype=float)
    return np.where(~np.isfinite(cv), "unreliable",
                    np.where(cv <= lo, "reliable", np.where(cv <= hi, "caution", "unreliable")))


def assemble(*, domains: Sequence[Any], measure: str | Sequence[str], estimate: np.ndarray,
             mse: np.ndarray,
             n_obs: np.ndarray, method: Sequence[str] | str, extra: Mapping[str, Any],
             conf_alpha: float, provenance: Provenance, own: tuple[np.ndarray, np.ndarray] | None,
             extras: Mapping[str, Any] | None, title: str, domain_name: str = "village_code",
             rse_thresholds: tuple[float, float] = RSE_THRESHOLDS,
             labels: bool = True) -> EstimateResult:
    """Build the :class:`EstimateResult` of a small-area estimator (one row per domain)."""
    est = np.asarray(estimate, dtype=float)
    mse = np.asarray(mse, dtype=float)
    se = np.sqrt(np.maximum(mse, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est)
    dom = list(domains)
    meas = [measure] * len(dom) if isinstance(measure, str) else list(measure)
    table = pd.DataFrame({
        "term": [f"{ms}[{domain_name}={d}]" for ms, d in zip(meas, dom, strict=True)],
        "estimate": est, "std_error": se, "n_obs": np.asarray(n_obs, dtype=np.int64),
        "df": np.inf,
    })
    if own is not None:
        lo, hi = own
        with np.errstate(divide="ignore", invalid="ignore"):
            table["p_value"] = 2 * stats.norm.sf(np.abs(est / se))
        table["conf_low"], table["conf_high"] = lo, hi
    table[domain_name] = dom
    if labels and domain_name == "village_code":
        lab = village_labels(dom)
        table["name"] = lab["name"].to_numpy()
        table["kec_code"] = lab["kec_code"].to_numpy()
        table["kecamatan"] = lab["kecamatan"].to_numpy()
        table["zone"] = lab["zone"].to_numpy()
    table["measure"] = meas
    table["mse"] = mse
    table["cv"] = cv
    table["method"] = method if isinstance(method, str) else list(method)
    table["reliability"] = reliability(cv, rse_thresholds)
    for k, v in extra.items():
        table[k] = v
    return EstimateResult(table, method=provenance.method, alpha=conf_alpha,
                          provenance=provenance, own_intervals=own is not None,
                          extras=extras, title=title)
