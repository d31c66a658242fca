"""Selection-on-observables estimators by weighting: IPW, AIPW and entropy balancing.

All three estimate the ATT or the ATE of a binary ``treatment`` on ``y`` under
unconfoundedness given ``covariates`` and overlap. Survey weights (``weights``) enter every
step: the propensity score is a survey-weighted logit, the estimands are the
survey-weighted (population) ATT/ATE, and the variance is the linearised (influence-function)
variance of the weighted estimator, clustered by ``cluster`` (the survey PSU) when given.
Strata are not used in the variance (conservative when strata explain variance).

- :func:`propensity_score`: survey-weighted logit by Newton-Raphson; raises
  :class:`~kassaki_eval.exceptions.IdentificationError` when some units have a propensity
  of (numerically) 0 or 1, i.e. no overlap.
- :func:`ipw`: inverse-probability weighting with normalised (Hajek) weights. The standard
  error accounts for the estimation of the propensity score (stacked M-estimation;
  Lunceford & Davidian 2004), so it is not the conservative "weights known" error.
- :func:`aipw`: augmented IPW (doubly robust; Robins, Rotnitzky & Zhao 1994) with linear
  outcome models per arm and influence-function standard errors. The ATE score is DoubleML's
  IRM ``ATE`` score and the ATT score is its ``ATTE`` score (checked against DoubleML in
  ``tests/impact/test_weighting.py``).
- :func:`entropy_balancing`: Hainmueller (2012) weights that match the first moments
  of the covariates exactly, from the convex dual solved with ``scipy.optimize``; the
  standard error linearises the estimator around the balancing-weighted regression of ``y``
  on the covariates (Zhao & Percival 2017: entropy balancing is doubly robust for a linear
  outcome model).

Each result stores, in ``extras``: ``propensity`` (when estimated), ``balance_weights``
(the implied weight of every input row for the covariate balance after adjustment, 0 for
dropped rows), ``treatment`` and ``rows`` (the positions of the input rows used).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from ..exceptions import EstimationWarning, IdentificationError, ParameterError
from ..inference import influence_vcov
from ..results import EstimateResult
from ._common import (
    Estimand,
    Prepared,
    TrimRule,
    check_estimand,
    design_matrix,
    estimand_result,
    full_weights,
    outcome_of,
    prepare,
    subset,
)
from ._propensity import check_overlap, crump_alpha, fit_ps, fit_ps_trim, standardise, trim_mask

__all__ = ["propensity_score", "ipw", "aipw", "entropy_balancing", "trim_mask",
           "crump_alpha", "design_matrix"]


def propensity_score(
    data: pd.DataFrame, *, treatment: str, covariates: Sequence[str],
    weights: str | None = None, estimand: Estimand = "ATE",
) -> pd.Series:
    """Survey-weighted logit propensity score ``P(treatment = 1 | covariates)``.

    Returns a Series aligned with ``data.index`` (NaN for rows with missing values).
    Raises :class:`IdentificationError` when a score is 0 or 1 (no overlap; for
    ``estimand="ATT"`` only treated units with a score of 1 count).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200)})
    >>> df["d"] = (rng.uniform(size=200) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> ps = propensity_score(df, treatment="d", covariates=["x"])
    >>> bool(ps.between(0, 1).all())
    True
    """
    P = prepare(data, "propensity_score", y=None, treatment=treatment, covariates=covariates,
                weights=weights, cluster=None)
    check_estimand(estimand, "propensity_score")
    e, _ = fit_ps(P, "propensity_score", estimand)
    out = pd.Series(np.nan, index=data.index, name="propensity")
    out.iloc[P.rows] = e
    return out


# --------------------------------------------------------------------------------------------
# IPW (Hajek)
# --------------------------------------------------------------------------------------------
def ipw(
    data: pd.DataFrame, *, y: str, treatment: str, covariates: Sequence[str],
    estimand: Estimand = "ATT", weights: str | None = None, cluster: str | None = None,
    trim: TrimRule = None, ps: str | None = None, alpha: float = 0.05,
) -> EstimateResult:
    """Inverse-probability-weighted ATT/ATE with normalised (Hajek) weights.

    Parameters
    ----------
    data : DataFrame
    y, treatment : str
        Outcome and binary (0/1) treatment columns.
    covariates : list of str
        Confounders; text columns become dummies.
    estimand : {"ATT", "ATE"}
    weights : str, optional
        Survey weight column.
    cluster : str, optional
        PSU column for a clustered variance.
    trim : {"crump", "crump_fixed", "minmax"} or (lo, hi), optional
        Trimming rule applied to the estimated score before re-estimating it.
    ps : str, optional
        Column with a propensity score computed elsewhere (then the variance treats it as
        known, which is conservative for the ATE).
    alpha : float

    Returns
    -------
    EstimateResult
        One row (``ATT`` or ``ATE``) with ``n_treated``, ``n_control``, ``ess_control``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> df["d"] = (rng.uniform(size=2000) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> df["y"] = 1.0 * df.d + df.x + rng.normal(size=2000)
    >>> r = ipw(df, y="y", treatment="d", covariates=["x"], estimand="ATE")
    >>> abs(r["ATE"] - 1) < 0.2
    True
    """
    owner = "ipw"
    check_estimand(estimand, owner)
    P = prepare(data, owner, y=y, treatment=treatment, covariates=covariates,
                weights=weights, cluster=cluster)
    P, e, X1, label = fit_ps_trim(P, owner, trim, ps, data, estimand)
    yv, d, w = outcome_of(P), P.d.astype(float), P.w
    if estimand == "ATE":
        a1 = w * d / e
        a0 = w * (1 - d) / (1 - e)
    else:
        a1 = w * d
        a0 = w * (1 - d) * e / (1 - e)
    mu1 = np.sum(a1 * yv) / a1.sum()
    mu0 = np.sum(a0 * yv) / a0.sum()
    tau = mu1 - mu0
    # linearised contributions of the Hajek ratios (weights fixed) ...
    z = a1 * (yv - mu1) / a1.sum() - a0 * (yv - mu0) / a0.sum()
    if ps is None:
        # ... plus the propensity-score estimation term: dtau/dgamma * IF(gamma)
        if estimand == "ATE":
            g1 = -(X1 * (a1 * (1 - e) * (yv - mu1))[:, None]).sum(0) / a1.sum()
            g0 = (X1 * (a0 * e * (yv - mu0))[:, None]).sum(0) / a0.sum()
        else:
            g1 = np.zeros(X1.shape[1])
            g0 = (X1 * (a0 * (yv - mu0))[:, None]).sum(0) / a0.sum()
        H = (X1 * (w * e * (1 - e))[:, None]).T @ X1
        score = X1 * (w * (d - e))[:, None]
        z = z + score @ np.linalg.solve(H, g1 - g0)
    se = float(np.sqrt(influence_vcov(z, P.cluster)))
    ess0 = a0.sum() ** 2 / np.sum(a0 ** 2)
    bw = a1 / a1.sum() * (d.sum() if estimand == "ATT" else len(d)) + \
        a0 / a0.sum() * (d.sum() if estimand == "ATT" else len(d))
    res = estimand_result(P, float(tau), se, estimand, "ipw", f"IPW (Hajek) {estimand}", alpha,
                          {"estimand": estimand, "trim": label, "ps": ps or "logit",
                   "weights": weights, "cluster": cluster, "n_covariates": len(P.names)},
                          {"propensity": e, "balance_weights": full_weights(P, bw),
                   "ess_control": float(ess0)}, data)
    if ess0 < 0.1 * (len(d) - d.sum()):
        warnings.warn(f"ipw: the comparison arm's effective sample size is {ess0:.0f} of "
                      f"{int(len(d) - d.sum())} units; a few units carry the estimate (poor "
                      "overlap). Consider trim='crump'.", EstimationWarning, stacklevel=2)
    return res


# --------------------------------------------------------------------------------------------
# AIPW
# --------------------------------------------------------------------------------------------
def _wls_predict(X1: np.ndarray, y: np.ndarray, w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fit WLS of y on X1 in ``mask`` and predict for everyone."""
    Xm = X1[mask]
    sw = np.sqrt(w[mask])
    beta = np.linalg.lstsq(Xm * sw[:, None], y[mask] * sw, rcond=None)[0]
    return X1 @ beta


def aipw(
    data: pd.DataFrame, *, y: str, treatment: str, covariates: Sequence[str],
    estimand: Estimand = "ATE", weights: str | None = None, cluster: str | None = None,
    trim: TrimRule = None, outcome_covariates: Sequence[str] | None = None,
    predictions: pd.DataFrame | None = None, alpha: float = 0.05,
) -> EstimateResult:
    """Augmented IPW (doubly robust) ATE/ATT with influence-function standard errors.

    Outcome models: survey-weighted linear regressions of ``y`` on ``outcome_covariates``
    (default: ``covariates``) fitted separately in each arm; propensity: survey-weighted
    logit on ``covariates``. The estimate is consistent if either model is right.

    Scores (DoubleML's IRM scores, survey-weighted): ATE
    ``m1 - m0 + d (y - m1)/e - (1 - d)(y - m0)/(1 - e)``; ATT
    ``[d (y - m0) - e (1 - d)(y - m0)/(1 - e)] / P(d = 1)``. The variance is the weighted
    mean of the squared score (nuisance estimation is first-order negligible for these
    Neyman-orthogonal scores), clustered by ``cluster`` when given.

    Parameters
    ----------
    predictions : DataFrame, optional
        Externally fitted nuisance predictions with columns ``m0``, ``m1``, ``e`` (aligned
        with ``data``); e.g. cross-fitted machine-learning predictions.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> df["d"] = (rng.uniform(size=2000) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> df["y"] = 2.0 * df.d + df.x + rng.normal(size=2000)
    >>> r = aipw(df, y="y", treatment="d", covariates=["x"])
    >>> abs(r["ATE"] - 2) < 0.2
    True
    """
    owner = "aipw"
    check_estimand(estimand, owner)
    ocov = list(covariates) if outcome_covariates is None else list(outcome_covariates)
    allcov = list(dict.fromkeys([*covariates, *ocov]))
    P = prepare(data, owner, y=y, treatment=treatment, covariates=allcov, weights=weights,
                cluster=cluster)
    sub = data.iloc[P.rows]
    Xps, _ = design_matrix(sub, covariates)
    Xout, _ = design_matrix(sub, ocov)
    if predictions is not None:
        for c in ("m0", "m1", "e"):
            if c not in predictions.columns:
                raise ParameterError("The 'predictions' parameter of aipw must have columns "
                                     f"m0, m1, e. Got {list(predictions.columns)} instead.")
        pr = predictions.iloc[P.rows]
        m0, m1, e = (pr[c].to_numpy(dtype=float) for c in ("m0", "m1", "e"))
        check_overlap(e, P, owner, estimand)
        label = "external"
        if trim is not None:
            keep, label = trim_mask(e, P.d, trim)
            P = subset(P, keep, f"trimmed ({label})")
            m0, m1, e = m0[keep], m1[keep], e[keep]
    else:
        Pps = Prepared(P.y, P.d, Xps, [], P.w, P.cluster, P.rows, P.n_input, P.dropped, P.table)
        Pps, e, _, label = fit_ps_trim(Pps, owner, trim, None, data, estimand)
        keep = np.isin(P.rows, Pps.rows)
        P = subset(P, keep, f"trimmed ({label})") if not keep.all() else P
        Xo1 = np.column_stack([np.ones(len(P.d)), standardise(Xout[keep], P.w)])
        m1 = _wls_predict(Xo1, outcome_of(P), P.w, P.d == 1)
        m0 = _wls_predict(Xo1, outcome_of(P), P.w, P.d == 0)
    yv, d, w = outcome_of(P), P.d.astype(float), P.w
    W = w.sum()
    if estimand == "ATE":
        psi_b = m1 - m0 + d * (yv - m1) / e - (1 - d) * (yv - m0) / (1 - e)
        tau = float(np.sum(w * psi_b) / W)
        phi = psi_b - tau
        z = w * phi / W
    else:
        pbar = np.sum(w * d) / W
        psi_b = d * (yv - m0) - e * (1 - d) * (yv - m0) / (1 - e)
        tau = float(np.sum(w * psi_b) / np.sum(w * d))
        phi = (psi_b - d * tau) / pbar
        z = w * phi / W
    se = float(np.sqrt(influence_vcov(z, P.cluster)))
    if estimand == "ATE":
        bw = w * (d / e + (1 - d) / (1 - e))
    else:
        bw = w * (d + (1 - d) * e / (1 - e))
    return estimand_result(P, tau, se, estimand, "aipw", f"AIPW (doubly robust) {estimand}", alpha,
                           {"estimand": estimand, "trim": label, "weights": weights,
                    "cluster": cluster, "outcome_model": "linear by arm",
                    "ps_model": "logit" if predictions is None else "external"},
                           {"propensity": e, "m0": m0, "m1": m1, "influence": phi,
                    "balance_weights": full_weights(P, bw)}, data)


# --------------------------------------------------------------------------------------------
# entropy balancing
# --------------------------------------------------------------------------------------------
def _ebal_weights(X: np.ndarray, q: np.ndarray, target: np.ndarray, owner: str,
                  table: str) -> np.ndarray:
    """Hainmueller (2012) weights: minimise KL(w || q) s.t. sum w x = target, sum w = 1.

    Dual: min_l log sum q exp(l'(x - target)); convex, solved by Newton (trust-region).
    """
    Xc = X - target
    sd = Xc.std(axis=0)
    sd[sd == 0] = 1.0
    Z = Xc / sd  # scale columns so the dual is well conditioned; weights are unchanged
    qn = q / q.sum()

    def f(lam: np.ndarray) -> tuple[float, np.ndarray]:
        eta = Z @ lam
        m = eta.max()
        u = qn * np.exp(eta - m)
        s = u.sum()
        p = u / s
        return float(np.log(s) + m), Z.T @ p

    def hess(lam: np.ndarray) -> np.ndarray:
        eta = Z @ lam
        u = qn * np.exp(eta - eta.max())
        p = u / u.sum()
        mz = Z.T @ p
        return (Z * p[:, None]).T @ Z - np.outer(mz, mz)

    sol = optimize.minimize(f, np.zeros(Z.shape[1]), jac=True, hess=hess,
                            method="trust-exact", options={"gtol": 1e-10, "maxiter": 500})
    eta = Z @ sol.x
    u = qn * np.exp(eta - eta.max())
    p = u / u.sum()
    gap = np.max(np.abs(Z.T @ p))
    if not np.isfinite(gap) or gap > 1e-6:
        raise IdentificationError(
            f"{table}: entropy balancing cannot match the covariate means (largest standardised "
            f"gap {gap:.2g}); the target means lie outside the convex hull of the comparison "
            f"units (no overlap). Fix: drop or coarsen the covariate that separates the arms, "
            "or trim the sample to common support.")
    return p


def entropy_balancing(
    data: pd.DataFrame, *, y: str, treatment: str, covariates: Sequence[str],
    estimand: Estimand = "ATT", weights: str | None = None, cluster: str | None = None,
    alpha: float = 0.05,
) -> EstimateResult:
    """Entropy-balancing ATT/ATE (Hainmueller 2012, Political Analysis 20(1)).

    ATT: comparison weights closest (in Kullback-Leibler divergence) to the survey weights
    such that the weighted comparison means of ``covariates`` equal the survey-weighted treated
    means exactly. ATE: both arms are balanced to the full-sample survey-weighted means.

    Standard error: linearisation around the balancing-weighted least-squares fit of ``y`` on
    the covariates in each arm (the estimator equals a weighted regression-imputation
    estimator; Zhao & Percival 2017), clustered by ``cluster`` when given.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> df["d"] = (rng.uniform(size=2000) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> df["y"] = 1.5 * df.d + df.x + rng.normal(size=2000)
    >>> r = entropy_balancing(df, y="y", treatment="d", covariates=["x"])
    >>> abs(r["ATT"] - 1.5) < 0.2
    True
    """
    owner = "entropy_balancing"
    check_estimand(estimand, owner)
    P = prepare(data, owner, y=y, treatment=treatment, covariates=covariates,
                weights=weights, cluster=cluster)
    yv, d, w, X = outcome_of(P), P.d.astype(bool), P.w, P.X
    keepcol = X.std(axis=0) > 0
    X = X[:, keepcol]
    X1 = np.column_stack([np.ones(len(d)), X])
    W = w.sum()
    bw = np.zeros(len(d))
    z = np.zeros(len(d))
    if estimand == "ATT":
        target = np.average(X[d], axis=0, weights=w[d])
        p0 = _ebal_weights(X[~d], w[~d], target, owner, P.table)
        Wt = w[d].sum()
        # imputation form: tau = mean_t(y - x'b) - sum_c p (y - x'b), b from the weighted controls
        beta = np.linalg.lstsq(X1[~d] * np.sqrt(p0)[:, None], yv[~d] * np.sqrt(p0),
                               rcond=None)[0]
        r = yv - X1 @ beta
        mu1 = np.sum(w[d] * yv[d]) / Wt
        mu0 = float(np.sum(p0 * yv[~d]))
        tau = mu1 - mu0
        rt = r[d]
        z[d] = w[d] * (rt - np.average(rt, weights=w[d])) / Wt
        rc = r[~d]
        z[~d] = -p0 * (rc - np.sum(p0 * rc))
        bw[d] = w[d] / Wt * d.sum()
        bw[~d] = p0 * d.sum()
    else:
        target = np.average(X, axis=0, weights=w)
        p1 = _ebal_weights(X[d], w[d], target, owner, P.table)
        p0 = _ebal_weights(X[~d], w[~d], target, owner, P.table)
        b1 = np.linalg.lstsq(X1[d] * np.sqrt(p1)[:, None], yv[d] * np.sqrt(p1), rcond=None)[0]
        b0 = np.linalg.lstsq(X1[~d] * np.sqrt(p0)[:, None], yv[~d] * np.sqrt(p0), rcond=None)[0]
        tau = float(np.sum(p1 * yv[d]) - np.sum(p0 * yv[~d]))
        reg = X1 @ (b1 - b0)
        z = w * (reg - np.sum(w * reg) / W) / W
        r1 = yv[d] - X1[d] @ b1
        r0 = yv[~d] - X1[~d] @ b0
        z[d] += p1 * (r1 - np.sum(p1 * r1))
        z[~d] -= p0 * (r0 - np.sum(p0 * r0))
        bw[d] = p1 * len(d)
        bw[~d] = p0 * len(d)
    se = float(np.sqrt(influence_vcov(z, P.cluster)))
    pc = bw[~d] / bw[~d].sum()
    ess0 = float(1.0 / np.sum(pc ** 2))
    return estimand_result(P, float(tau), se, estimand, "entropy_balancing",
                           f"Entropy balancing {estimand}", alpha,
                           {"estimand": estimand, "weights": weights, "cluster": cluster,
                    "moments": 1, "n_covariates": int(keepcol.sum())},
                           {"balance_weights": full_weights(P, bw), "ess_control": ess0}, data)
