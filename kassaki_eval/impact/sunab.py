"""Sun & Abraham (2021) interaction-weighted (IW) event-study estimator.

Sun, L. and Abraham, S. (2021), "Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects", *Journal of Econometrics* 225(2): 175-199.

The dynamic TWFE regression with relative-period dummies is contaminated by effects from other
periods when effects differ between cohorts. The IW estimator avoids it in three steps:

1. a two-way fixed-effects regression of ``y`` on unit and period effects and a full set of
   cohort x relative-period dummies ``D_{g,e} = 1{G_i = g, t - g = e}`` for every treated
   cohort ``g`` and relative period ``e`` except the reference ``e = -1 - anticipation``;
   the control cohort (never-treated units, or the last-treated cohort with the periods from
   its treatment on dropped) has no dummies. Its coefficients ``delta_{g,e}`` are the
   cohort-specific effects CATT(g, e) (SA eq. 13);
2. the weights ``w_{g,e}``: the share of cohort ``g`` among the treated observations at
   relative period ``e`` (SA's ``Pr(G = g | G in the cohorts observed at e)``, estimated by
   sample shares; with ``weights`` by weighted shares);
3. ``IW_e = sum_g w_{g,e} delta_{g,e}``; the overall ``ATT`` weights the post-treatment cells
   ``(g, e >= 0)`` by their number of treated observations (diff-diff's overall
   ATT).

Standard errors: cluster-robust (by unit, or by ``cluster``) sandwich of the regression with
``G/(G-1) (n-1)/(n-k-T)`` (``k`` dummies, ``T`` periods; the unit effects, nested in the
clusters, are not counted: diff-diff's convention), and the weights treated as fixed,
``w' V w`` (as diff-diff does; SA's appendix adds a term for the estimated shares, which is
not included).
Checked against diff-diff's ``SunAbraham`` on ``mpdta`` (``tests/impact/test_sunab.py``).
"""
from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import (
    EstimationWarning,
    IdentificationError,
    ParameterError,
    check_option,
    require,
)
from ..results import EstimateResult, Provenance, hash_frame
from ._common import as_list, check_columns, demean_2way, numeric_values

__all__ = ["sun_abraham"]

ControlGroup = Literal["never_treated", "last_treated"]


def sun_abraham(
    data: pd.DataFrame, *, y: str, unit: str, time: str, cohort: str,
    control_group: ControlGroup = "never_treated", anticipation: int = 0,
    weights: str | None = None, cluster: str | None = None, alpha: float = 0.05,
) -> EstimateResult:
    """Sun-Abraham interaction-weighted event-study estimates and the overall ATT.

    Parameters
    ----------
    data : DataFrame
        A panel, one row per unit and period.
    y, unit, time : str
        Outcome, unit id and period (integer-valued, e.g. the year).
    cohort : str
        First treated period of the unit; 0 (or missing) for never-treated units.
    control_group : {"never_treated", "last_treated"}
        Never-treated units, or (when there are none, SA section 4.1) the last-treated
        cohort, whose periods from its treatment on are dropped.
    anticipation : int
        Periods of anticipation; the reference period is ``e = -1 - anticipation``.
    weights : str, optional
        Unit weights (constant within unit): WLS and weighted cohort shares.
    cluster : str, optional
        Cluster id for the standard errors (default: the unit).
    alpha : float
        Confidence level is ``1 - alpha``.

    Returns
    -------
    EstimateResult
        Row ``ATT`` (overall), then ``e=<k>`` for every relative period (the reference one
        excluded) with column ``event_time``; ``extras['cohort_effects']`` holds the
        regression coefficients CATT(g, e) with their standard errors and IW weights,
        ``extras['vcov']`` the covariance of the ``e=`` rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> u = np.repeat(np.arange(300), 6); t = np.tile(np.arange(2000, 2006), 300)
    >>> g = np.repeat(rng.choice([0, 2002, 2004], 300), 6)
    >>> yv = 0.1 * u % 3 + 0.2 * (t - 2000) + np.where((g > 0) & (t >= g), 1.0, 0.0)
    >>> df = pd.DataFrame({"u": u, "t": t, "g": g, "y": yv + rng.normal(0, 0.1, u.size)})
    >>> r = sun_abraham(df, y="y", unit="u", time="t", cohort="g")
    >>> round(r["ATT"], 1), r.terms[:3]
    (1.0, ['ATT', 'e=-4', 'e=-3'])
    """
    owner = "sun_abraham"
    check_option(owner, "control_group", control_group, ["never_treated", "last_treated"])
    require(isinstance(anticipation, (int, np.integer)) and not isinstance(anticipation, bool)
            and anticipation >= 0, owner, "anticipation", "a non-negative integer",
            anticipation)
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"The 'data' parameter of {owner} must be a pandas DataFrame. "
                             f"Got {type(data).__name__} instead.")
    check_columns(data, owner, y=y, unit=unit, time=time, cohort=cohort, weights=weights,
                  cluster=cluster)
    cols = [c for c in dict.fromkeys([y, unit, time, weights, cluster]) if c is not None]
    df = data[cols].copy()
    num = numeric_values(data[list(dict.fromkeys([unit, y, time, cohort, *as_list(weights)]))]
                         .assign(**{cohort: data[cohort].fillna(0)}),
                         [cohort, y, time, *as_list(weights)], "data", owner, id_col=unit)
    df["_g"] = num[cohort]
    dropped: dict[str, int] = {}
    na = df[cols].isna().any(axis=1).to_numpy()
    if na.any():
        dropped["missing values"] = int(na.sum())
        df = df.loc[~na]
    tv = df[time].to_numpy(dtype=float)
    gv = df["_g"].to_numpy()
    if np.any(tv != np.round(tv)) or np.any(gv != np.round(gv)):
        raise ParameterError(f"The 'time' and 'cohort' columns of {owner} must hold whole "
                             "periods (e.g. years). Got non-integer values instead.")
    if df.duplicated([unit, time]).any():
        n = int(df.duplicated([unit, time]).sum())
        raise ParameterError(f"data: {n} rows repeat a ({unit}, {time}) pair; {owner} needs a "
                             "panel with one row per unit and period. Fix: aggregate or "
                             "de-duplicate first.")
    treated_cohorts = np.unique(gv[gv > 0])
    if control_group == "never_treated":
        if not (gv == 0).any():
            raise IdentificationError(
                f"data: column '{cohort}' has no never-treated units (0 or missing), so "
                f"{owner} has no control group. Fix: control_group='last_treated' (the "
                "last-treated cohort as control, Sun & Abraham 2021 section 4.1).")
    else:
        if treated_cohorts.size < 2:
            raise IdentificationError(f"data: only {treated_cohorts.size} treated cohort; "
                                      "control_group='last_treated' needs at least two.")
        last = treated_cohorts.max()
        keep = tv < last - anticipation
        if (~keep).any():
            why = f"periods from the last cohort's treatment ({last:g}) on"
            dropped[why] = int((~keep).sum())
        df = df.loc[keep]
        gv = np.where(df["_g"].to_numpy() == last, 0.0, df["_g"].to_numpy())
        tv = df[time].to_numpy(dtype=float)
        treated_cohorts = treated_cohorts[treated_cohorts < last]
    # cohorts treated before the first observed period have no pre-period: not identified
    early = treated_cohorts[treated_cohorts - anticipation <= tv.min()]
    if early.size:
        m = np.isin(gv, early)
        dropped["cohorts treated in the first period"] = int(m.sum())
        warnings.warn(f"{owner}: cohort(s) {', '.join(f'{g:g}' for g in early)} have no "
                      f"observed reference period (e = {-1 - int(anticipation)}) and are "
                      f"dropped ({int(m.sum())} rows): their effects are not identified "
                      "relative to the pre-treatment period.", EstimationWarning, stacklevel=2)
        df, gv, tv = df.loc[~m], gv[~m], tv[~m]
        treated_cohorts = np.setdiff1d(treated_cohorts, early)
    if treated_cohorts.size == 0:
        raise IdentificationError(f"data: no treated cohort with a pre-treatment period is "
                                  f"left for {owner}. Fix: check column '{cohort}'.")
    yv = df[y].to_numpy(dtype=float)
    w = df[weights].to_numpy(dtype=float) if weights else np.ones(len(df))
    if np.any(w <= 0) or not np.all(np.isfinite(w)):
        raise ParameterError(f"The 'weights' column of {owner} must hold positive numbers.")
    ui = pd.factorize(df[unit])[0]
    ti = pd.factorize(df[time], sort=True)[0]
    ref = -1 - int(anticipation)
    rel = np.where(gv > 0, tv - gv, np.nan)
    cells = sorted({(float(g), int(e))
                    for g, e in zip(gv[gv > 0], rel[gv > 0], strict=True) if e != ref})
    if not cells:
        raise IdentificationError(f"data: no cohort x relative-period cell besides the "
                                  f"reference e={ref}.")
    X = np.zeros((len(df), len(cells)))
    index = {c: j for j, c in enumerate(cells)}
    treated = gv > 0
    for i in np.flatnonzero(treated):
        j = index.get((float(gv[i]), int(rel[i])))
        if j is not None:
            X[i, j] = 1.0
    M = demean_2way(np.column_stack([yv, X]), ui, ti, w)
    yd, Xd = M[:, 0], M[:, 1:]
    XtWX = (Xd * w[:, None]).T @ Xd
    rank = np.linalg.matrix_rank(XtWX)
    if rank < len(cells):
        raise IdentificationError(f"data: the cohort x relative-period dummies are collinear "
                                  f"with the fixed effects (rank {rank} of {len(cells)}). "
                                  "Fix: check that the control group is observed in every "
                                  "period.")
    A = np.linalg.inv(XtWX)
    beta = A @ ((Xd * w[:, None]).T @ yd)
    resid = yd - Xd @ beta
    cl = pd.factorize(df[cluster])[0] if cluster else ui
    G = int(cl.max()) + 1
    S = np.column_stack([np.bincount(cl, weights=Xd[:, j] * w * resid, minlength=G)
                         for j in range(len(cells))])
    n, k = len(df), len(cells)
    n_t = int(ti.max()) + 1
    # small-sample factor: the dummies and the period effects count, the unit effects (nested
    # in the clusters) do not (diff-diff's convention, which the tests compare with)
    V = A @ (S.T @ S) @ A * (G / (G - 1)) * ((n - 1) / (n - k - n_t))

    # interaction weights: shares of the treated observations (weighted) per relative period
    wt = pd.DataFrame({"g": gv[treated], "e": rel[treated], "w": w[treated]})
    mass = wt.groupby(["g", "e"])["w"].sum()
    events = sorted({e for _, e in cells})
    L = np.zeros((len(events), k))
    rows_w = np.zeros(k)
    for r_, e in enumerate(events):
        js = [index[(g, ee)] for g, ee in cells if ee == e]
        m = np.array([mass.get((cells[j][0], float(e)), 0.0) for j in js])
        L[r_, js] = m / m.sum()
        rows_w[js] = L[r_, js]
    iw = L @ beta
    iw_V = L @ V @ L.T
    post = [j for j, (_, e) in enumerate(cells) if e >= 0]
    if not post:
        raise IdentificationError(f"data: no post-treatment period is observed for {owner}.")
    c_post = np.zeros(k)
    m_post = np.array([mass.get((cells[j][0], float(cells[j][1])), 0.0) for j in post])
    c_post[post] = m_post / m_post.sum()
    att = float(c_post @ beta)
    att_se = float(np.sqrt(max(c_post @ V @ c_post, 0.0)))

    n_e = [int(((rel == e) & treated).sum()) for e in events]
    table = pd.DataFrame({
        "term": ["ATT", *[f"e={e}" for e in events]],
        "estimate": [att, *iw],
        "std_error": [att_se, *np.sqrt(np.clip(np.diag(iw_V), 0, None))],
        "n_obs": [int(sum(((rel == cells[j][1]) & (gv == cells[j][0])).sum() for j in post)),
                  *n_e],
        "event_time": [np.nan, *events],
    })
    ce = pd.DataFrame({"cohort": [g for g, _ in cells], "event_time": [e for _, e in cells],
                       "estimate": beta, "std_error": np.sqrt(np.diag(V)), "iw_weight": rows_w,
                       "att_weight": c_post})
    prov = Provenance(method="sun_abraham",
                      options={"control_group": control_group, "anticipation": anticipation,
                               "weights": weights, "cluster": cluster or unit,
                               "reference": ref},
                      inputs_hash=hash_frame(data), n_input=len(data), n_used=len(df),
                      dropped=dropped)
    extras: dict[str, Any] = {"cohort_effects": ce, "vcov": iw_V, "vcov_cells": V,
                              "n_clusters": G, "reference_period": ref,
                              "critical_value": float(stats.norm.ppf(1 - alpha / 2))}
    return EstimateResult(table, method="sun_abraham", alpha=alpha, provenance=prov,
                          extras=extras,
                          title="Sun-Abraham interaction-weighted event study")
