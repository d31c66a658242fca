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

from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..exceptions import (
    EstimationWarning, IdentificationError, ParameterError, Problem, SchemaError, check_option,
)
from ..results import EstimateResult, Provenance, hash_frame

__all__ = ["propensity_score", "ipw", "aipw", "entropy_balancing", "trim_mask",
           "crump_alpha", "design_matrix"]

Estimand = Literal["ATT", "ATE"]
TrimRule = Literal["crump", "crump_fixed", "minmax"] | tuple[float, float] | None

# A propensity below this (or above 1 minus it) counts as 0 or 1: the unit has no
# counterpart in the other arm and the weights explode.
PS_EPS = 1e-6


# --------------------------------------------------------------------------------------------
# shared preparation (also used by matching.py and balance.py)
# --------------------------------------------------------------------------------------------
@dataclass
class Prepared:
    """Validated arrays of one estimation problem (internal)."""

    y: np.ndarray | None
    d: np.ndarray
    X: np.ndarray            # covariate design WITHOUT intercept (dummies expanded)
    names: list[str]
    w: np.ndarray            # survey weights (1 when none)
    cluster: np.ndarray | None
    rows: np.ndarray         # positions in the input frame
    n_input: int
    dropped: dict[str, int]
    table: str


def design_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric design of ``covariates``: numeric columns as is, text/categorical columns as
    0/1 dummies with the first level dropped. No intercept.

    Examples
    --------
    >>> import pandas as pd
    >>> X, names = design_matrix(pd.DataFrame({"a": [1.0, 2.0], "s": ["M", "F"]}), ["a", "s"])
    >>> names
    ['a', 's[M]']
    """
    cols: list[np.ndarray] = []
    names: list[str] = []
    for c in covariates:
        s = data[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols.append(s.to_numpy(dtype=float))
            names.append(str(c))
        else:
            levels = sorted(pd.unique(s.dropna().astype(str)))
            for lev in levels[1:]:
                cols.append((s.astype(str) == lev).to_numpy(dtype=float))
                names.append(f"{c}[{lev}]")
    X = np.column_stack(cols) if cols else np.empty((len(data), 0))
    return X, names


def prepare(
    data: pd.DataFrame, owner: str, *, y: str | None, treatment: str,
    covariates: Sequence[str], weights: str | None, cluster: str | None,
    table: str = "data",
) -> Prepared:
    """Validate columns, drop rows with missing values (recorded), check the treatment is
    binary and the weights positive."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"The 'data' parameter of {owner} must be a pandas DataFrame. "
                             f"Got {type(data).__name__} instead.")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    for name, val in (("y", y), ("treatment", treatment), ("weights", weights),
                      ("cluster", cluster)):
        if val is not None and val not in data.columns:
            raise ParameterError(f"The '{name}' parameter of {owner} must name a column of "
                                 f"data. Got {val!r} instead.")
    missing_cov = [c for c in covariates if c not in data.columns]
    if missing_cov:
        raise ParameterError(f"The 'covariates' parameter of {owner} must name columns of "
                             f"data. Got {missing_cov!r} instead (not in data).")
    used = [c for c in [y, treatment, weights, cluster, *covariates] if c is not None]
    keep = np.ones(len(data), dtype=bool)
    dropped: dict[str, int] = {}
    for c in dict.fromkeys(used):
        na = data[c].isna().to_numpy()
        new = na & keep
        if new.any():
            dropped[f"missing {c}"] = int(new.sum())
        keep &= ~na
    rows = np.flatnonzero(keep)
    sub = data.iloc[rows]
    dvals = sub[treatment].to_numpy()
    try:
        dnum = dvals.astype(float)
        bad = ~np.isin(dnum, (0.0, 1.0))
    except (TypeError, ValueError):
        dnum = None
        bad = np.ones(len(dvals), dtype=bool)
    if bad.any():
        ex = tuple(int(r) for r in rows[np.flatnonzero(bad)[:5]])
        raise SchemaError([Problem(table, treatment, "must be binary (0/1)", int(bad.sum()), ex,
                                   "code the treatment as 0 (comparison) / 1 (treated); for a "
                                   "multi-valued or continuous treatment, dichotomise it first "
                                   "or use a dose-response method.")], table)
    d = dnum.astype(np.int8)
    if d.min() == d.max():
        raise IdentificationError(f"{table}: column '{treatment}' is {int(d[0])} for all "
                                  f"{len(d)} rows; both treated and comparison units are needed. "
                                  "Fix: check the treatment definition or the sample filter.")
    X, names = design_matrix(sub, covariates)
    if X.shape[1] and not np.isfinite(X).all():
        raise SchemaError(f"{table}: covariates contain non-finite values (inf). Fix: recode them.")
    if weights is None:
        w = np.ones(len(sub))
    else:
        w = sub[weights].to_numpy(dtype=float)
        badw = ~np.isfinite(w) | (w <= 0)
        if badw.any():
            ex = tuple(int(r) for r in rows[np.flatnonzero(badw)[:5]])
            raise SchemaError([Problem(table, weights, "has non-positive or non-finite weights",
                                       int(badw.sum()), ex, "survey weights must be > 0; drop "
                                       "or repair those rows.")], table)
    yv = None
    if y is not None:
        try:
            yv = sub[y].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise SchemaError(f"{table}: column '{y}' is not numeric. Fix: pass a numeric "
                              "outcome.") from None
    cl = None
    if cluster is not None:
        cl = pd.factorize(sub[cluster])[0]
    return Prepared(yv, d, X, names, w, cl, rows, len(data), dropped, table)


def _y(P: Prepared) -> np.ndarray:
    """The outcome of a prepared problem (estimators always prepare with an outcome)."""
    if P.y is None:  # pragma: no cover - internal invariant, not user input
        raise RuntimeError("internal: outcome missing from a prepared estimation problem")
    return P.y


def if_variance(z: np.ndarray, cluster: np.ndarray | None) -> float:
    """Variance of a sum of linearised contributions ``z`` (already scaled so the estimator's
    error is ``sum(z)``): HC-type ``n/(n-1) * sum(z^2)``, or clustered
    ``G/(G-1) * sum_g (sum_{i in g} z_i)^2``."""
    if cluster is None:
        n = z.size
        return float(n / max(n - 1, 1) * np.sum(z * z))
    zg = np.bincount(cluster, weights=z)
    G = zg.size
    return float(G / max(G - 1, 1) * np.sum(zg * zg))


def _logit_newton(X1: np.ndarray, d: np.ndarray, w: np.ndarray, maxiter: int = 50,
                  tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, bool]:
    """Survey-weighted logistic regression (X1 includes the intercept). Returns
    (coefficients, fitted probabilities, converged). Weights are rescaled to mean 1 for
    numerical stability (the estimate does not depend on their scale)."""
    ws = w / w.mean()
    beta = np.zeros(X1.shape[1])
    # start at the weighted mean so the first step is well behaved
    pbar = np.clip(np.average(d, weights=ws), 1e-6, 1 - 1e-6)
    beta[0] = np.log(pbar / (1 - pbar))
    converged = False
    for _ in range(maxiter):
        eta = np.clip(X1 @ beta, -35, 35)
        p = 1.0 / (1.0 + np.exp(-eta))
        g = X1.T @ (ws * (d - p))
        W = ws * p * (1 - p)
        H = (X1 * W[:, None]).T @ X1
        try:
            step = np.linalg.solve(H + 1e-12 * np.eye(H.shape[0]), g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        # halve the step when the log-likelihood would fall (separation makes steps huge)
        ll0 = np.sum(ws * (d * eta - np.logaddexp(0, eta)))
        t = 1.0
        for _ in range(30):
            nb = beta + t * step
            e2 = np.clip(X1 @ nb, -35, 35)
            ll1 = np.sum(ws * (d * e2 - np.logaddexp(0, e2)))
            if ll1 >= ll0 - 1e-12:
                break
            t /= 2
        beta = beta + t * step
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(beta))):
            converged = True
            break
    eta = np.clip(X1 @ beta, -35, 35)
    return beta, 1.0 / (1.0 + np.exp(-eta)), converged


def _standardise(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Centre and scale columns (weighted) so Newton steps are well conditioned; constant
    columns are dropped (they are collinear with the intercept)."""
    if X.shape[1] == 0:
        return X
    mu = np.average(X, axis=0, weights=w)
    sd = np.sqrt(np.average((X - mu) ** 2, axis=0, weights=w))
    ok = sd > 1e-12
    return (X[:, ok] - mu[ok]) / sd[ok]


def _fit_ps(P: Prepared, owner: str, estimand: str = "ATE") -> tuple[np.ndarray, np.ndarray]:
    """Propensity scores and the standardised design with intercept used to fit them."""
    Z = _standardise(P.X, P.w)
    X1 = np.column_stack([np.ones(len(P.d)), Z])
    _, e, _ = _logit_newton(X1, P.d.astype(float), P.w)
    _check_overlap(e, P, owner, estimand)
    return e, X1


def _check_overlap(e: np.ndarray, P: Prepared, owner: str, estimand: str = "ATE") -> None:
    """Units with a propensity of (numerically) 0 or 1 have no counterpart. For the ATT only
    treated units with e = 1 matter: comparison units with e = 0 merely get zero weight."""
    if estimand == "ATT":
        bad = (P.d == 1) & (e > 1 - PS_EPS)
    else:
        bad = (e < PS_EPS) | (e > 1 - PS_EPS)
    if bad.any():
        ex = ", ".join(str(int(r)) for r in P.rows[np.flatnonzero(bad)[:5]])
        n0 = int(((e < PS_EPS)).sum())
        n1 = int((e > 1 - PS_EPS).sum())
        raise IdentificationError(
            f"{P.table}: no overlap: {int(bad.sum())} rows have an estimated propensity score of "
            f"0 ({n0}) or 1 ({n1}) (e.g. rows {ex}); for them no comparable unit exists in the "
            f"other arm and {owner} cannot identify the effect. Fix: trim the sample (trim='minmax' "
            "or 'crump'), drop the covariate that separates the arms perfectly, or restrict the "
            "estimand to the region of common support.")


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
    _check_estimand(estimand, "propensity_score")
    e, _ = _fit_ps(P, "propensity_score", estimand)
    out = pd.Series(np.nan, index=data.index, name="propensity")
    out.iloc[P.rows] = e
    return out


# --------------------------------------------------------------------------------------------
# trimming
# --------------------------------------------------------------------------------------------
def crump_alpha(e: np.ndarray) -> float:
    """Crump, Hotz, Imbens & Mitnik (2009, Biometrika 96(1)) optimal trimming threshold:
    keep ``alpha <= e <= 1 - alpha`` where alpha solves
    ``1/(a(1-a)) = 2 E[1/(e(1-e)) | 1/(e(1-e)) <= 1/(a(1-a))]``; 0 when no trimming is
    optimal (``max 1/(e(1-e)) <= 2 E[1/(e(1-e))]``)."""
    g = 1.0 / (e * (1 - e))
    if g.max() <= 2 * g.mean():
        return 0.0
    gs = np.sort(g)
    cm = np.cumsum(gs) / np.arange(1, gs.size + 1)
    # smallest gamma = gs[k] with gs[k] >= 2 * mean(gs[:k+1]) ... search the fixed point
    ok = gs <= 2 * cm
    k = int(np.flatnonzero(ok).max()) if ok.any() else 0
    gamma = 2 * cm[k]
    # 1/(a(1-a)) = gamma  =>  a = 1/2 - sqrt(1/4 - 1/gamma)
    return float(0.5 - np.sqrt(max(0.25 - 1.0 / gamma, 0.0)))


def trim_mask(e: np.ndarray, d: np.ndarray, rule: TrimRule) -> tuple[np.ndarray, str]:
    """Boolean keep-mask for a trimming rule and a label for provenance.

    ``"crump"``: optimal Crump et al. (2009) threshold; ``"crump_fixed"``: their rule of
    thumb ``[0.1, 0.9]``; ``"minmax"``: common support ``[max(min e_t, min e_c),
    min(max e_t, max e_c)]`` (Dehejia & Wahba 1999); ``(lo, hi)``: fixed bounds.
    """
    if rule is None:
        return np.ones(e.size, dtype=bool), "none"
    if isinstance(rule, tuple):
        lo, hi = float(rule[0]), float(rule[1])
        if not (0 <= lo < hi <= 1):
            raise ParameterError("The 'trim' parameter must be a (lo, hi) pair with "
                                 f"0 <= lo < hi <= 1. Got {rule!r} instead.")
        return (e >= lo) & (e <= hi), f"[{lo:g}, {hi:g}]"
    check_option("trim", "trim", rule, ["crump", "crump_fixed", "minmax"])
    if rule == "crump":
        a = crump_alpha(e)
        return (e >= a) & (e <= 1 - a), f"crump alpha={a:.4f}"
    if rule == "crump_fixed":
        return (e >= 0.1) & (e <= 0.9), "crump [0.1, 0.9]"
    lo = max(e[d == 1].min(), e[d == 0].min())
    hi = min(e[d == 1].max(), e[d == 0].max())
    return (e >= lo) & (e <= hi), f"minmax [{lo:.4f}, {hi:.4f}]"


def _subset(P: Prepared, keep: np.ndarray, reason: str) -> Prepared:
    if keep.all():
        return P
    dropped = dict(P.dropped)
    dropped[reason] = int((~keep).sum())
    d = P.d[keep]
    if d.min() == d.max():
        raise IdentificationError(f"{P.table}: trimming ({reason}) leaves only "
                                  f"{'treated' if d[0] else 'comparison'} units. Fix: use a "
                                  "milder trimming rule.")
    return Prepared(None if P.y is None else P.y[keep], d, P.X[keep], P.names, P.w[keep],
                    None if P.cluster is None else pd.factorize(P.cluster[keep])[0],
                    P.rows[keep], P.n_input, dropped, P.table)


def _fit_ps_trim(P: Prepared, owner: str, trim: TrimRule, ps: str | None,
                 data: pd.DataFrame, estimand: str = "ATE"
                 ) -> tuple[Prepared, np.ndarray, np.ndarray, str]:
    """Estimate (or read) the propensity, trim, and re-estimate on the trimmed sample."""
    if ps is not None:
        e = data[ps].to_numpy(dtype=float)[P.rows]
        if not np.all(np.isfinite(e)):
            raise SchemaError(f"{P.table}: column '{ps}' has missing propensity scores.")
        _check_overlap(e, P, owner, estimand)
        X1 = np.column_stack([np.ones(len(P.d)), _standardise(P.X, P.w)])
    else:
        if trim is not None:
            # trimming needs a score first; estimate without the overlap check so that the
            # rule can remove the units with e in {0, 1}
            Z = _standardise(P.X, P.w)
            X1 = np.column_stack([np.ones(len(P.d)), Z])
            _, e, _ = _logit_newton(X1, P.d.astype(float), P.w)
        else:
            e, X1 = _fit_ps(P, owner, estimand)
    keep, label = trim_mask(e, P.d, trim)
    if not keep.all():
        P = _subset(P, keep, f"trimmed ({label})")
        if ps is not None:
            e = e[keep]
            X1 = X1[keep]
        else:
            e, X1 = _fit_ps(P, owner, estimand)
    elif trim is not None and ps is None:
        _check_overlap(e, P, owner, estimand)
    return P, e, X1, label


def _result(P: Prepared, est: float, se: float, estimand: str, method: str, title: str,
            alpha: float, options: dict[str, Any], extras: dict[str, Any],
            data: pd.DataFrame, columns: dict[str, Any] | None = None) -> EstimateResult:
    n1 = int(P.d.sum())
    table = pd.DataFrame({"term": [estimand], "estimate": [est], "std_error": [se],
                          "n_obs": [len(P.d)], "n_treated": [n1],
                          "n_control": [len(P.d) - n1], **{k: [v] for k, v in
                                                          (columns or {}).items()}})
    prov = Provenance(method=method, options=options, inputs_hash=hash_frame(data),
                      n_input=P.n_input, n_used=len(P.d), dropped=P.dropped)
    extras = {"rows": P.rows, "treatment": P.d, **extras}
    return EstimateResult(table, method=method, alpha=alpha, provenance=prov, extras=extras,
                          title=title)


def _full_weights(P: Prepared, bw: np.ndarray) -> np.ndarray:
    out = np.zeros(P.n_input)
    out[P.rows] = bw
    return out


def _check_estimand(estimand: str, owner: str) -> None:
    check_option(owner, "estimand", estimand, ["ATT", "ATE"])


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
    _check_estimand(estimand, owner)
    P = prepare(data, owner, y=y, treatment=treatment, covariates=covariates,
                weights=weights, cluster=cluster)
    P, e, X1, label = _fit_ps_trim(P, owner, trim, ps, data, estimand)
    yv, d, w = _y(P), P.d.astype(float), P.w
    W = w.sum()
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
    se = float(np.sqrt(if_variance(z, P.cluster)))
    ess0 = a0.sum() ** 2 / np.sum(a0 ** 2)
    bw = a1 / a1.sum() * (d.sum() if estimand == "ATT" else len(d)) + \
        a0 / a0.sum() * (d.sum() if estimand == "ATT" else len(d))
    res = _result(P, float(tau), se, estimand, "ipw", f"IPW (Hajek) {estimand}", alpha,
                  {"estimand": estimand, "trim": label, "ps": ps or "logit",
                   "weights": weights, "cluster": cluster, "n_covariates": len(P.names)},
                  {"propensity": e, "balance_weights": _full_weights(P, bw),
                   "ess_control": float(ess0)}, data)
    if ess0 < 0.1 * (len(d) - d.sum()):
        import warnings
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
    _check_estimand(estimand, owner)
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
        _check_overlap(e, P, owner, estimand)
        label = "external"
        if trim is not None:
            keep, label = trim_mask(e, P.d, trim)
            P = _subset(P, keep, f"trimmed ({label})")
            m0, m1, e = m0[keep], m1[keep], e[keep]
    else:
        Pps = Prepared(P.y, P.d, Xps, [], P.w, P.cluster, P.rows, P.n_input, P.dropped, P.table)
        Pps, e, _, label = _fit_ps_trim(Pps, owner, trim, None, data, estimand)
        keep = np.isin(P.rows, Pps.rows)
        P = _subset(P, keep, f"trimmed ({label})") if not keep.all() else P
        Xo1 = np.column_stack([np.ones(len(P.d)), _standardise(Xout[keep], P.w)])
        m1 = _wls_predict(Xo1, _y(P), P.w, P.d == 1)
        m0 = _wls_predict(Xo1, _y(P), P.w, P.d == 0)
    yv, d, w = _y(P), P.d.astype(float), P.w
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
    se = float(np.sqrt(if_variance(z, P.cluster)))
    if estimand == "ATE":
        bw = w * (d / e + (1 - d) / (1 - e))
    else:
        bw = w * (d + (1 - d) * e / (1 - e))
    return _result(P, tau, se, estimand, "aipw", f"AIPW (doubly robust) {estimand}", alpha,
                   {"estimand": estimand, "trim": label, "weights": weights,
                    "cluster": cluster, "outcome_model": "linear by arm",
                    "ps_model": "logit" if predictions is None else "external"},
                   {"propensity": e, "m0": m0, "m1": m1, "influence": phi,
                    "balance_weights": _full_weights(P, bw)}, data)


# --------------------------------------------------------------------------------------------
# entropy balancing
# --------------------------------------------------------------------------------------------
def _ebal_weights(X: np.ndarray, q: np.ndarray, target: np.ndarray, owner: str,
                  table: str) -> np.ndarray:
    """Hainmueller (2012) weights: minimise KL(w || q) s.t. sum w x = target, sum w = 1.
    Dual: min_l log sum q exp(l'(x - target)); convex, solved by Newton (trust-region)."""
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
    _check_estimand(estimand, owner)
    P = prepare(data, owner, y=y, treatment=treatment, covariates=covariates,
                weights=weights, cluster=cluster)
    yv, d, w, X = _y(P), P.d.astype(bool), P.w, P.X
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
    se = float(np.sqrt(if_variance(z, P.cluster)))
    pc = bw[~d] / bw[~d].sum()
    ess0 = float(1.0 / np.sum(pc ** 2))
    return _result(P, float(tau), se, estimand, "entropy_balancing",
                   f"Entropy balancing {estimand}", alpha,
                   {"estimand": estimand, "weights": weights, "cluster": cluster,
                    "moments": 1, "n_covariates": int(keepcol.sum())},
                   {"balance_weights": _full_weights(P, bw), "ess_control": ess0}, data)
