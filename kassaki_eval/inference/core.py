"""Inference for few clusters.

Cluster-robust variance, wild cluster bootstrap, randomisation inference and multiple-testing
corrections.

What is implemented, and how it relates to the usual references:

- :func:`cluster_vcov`: CR1 sandwich with the small-sample factor of Stata and fixest
  (``G/(G-1) * (N-1)/(N-K)``), or HC1 when no cluster is given. Weighted least squares is
  handled by the usual ``sqrt(w)`` transform.
- :func:`wild_cluster_bootstrap`: the restricted wild cluster bootstrap (WCR11 in the
  notation of MacKinnon, Nielsen & Webb 2023), Rademacher / Webb / Mammen / normal weights,
  full enumeration of the ``2**G`` Rademacher sign vectors when ``2**G <= B``. The bootstrap
  is vectorised over draws: with cluster-level scores precomputed, every bootstrap t-statistic
  is one column of a ``G x G`` matrix product (Roodman, MacKinnon, Nielsen & Webb 2019,
  "Fast and wild"). Draws are generated exactly as ``wildboottest`` (and so ``pyfixest``)
  generate them for the same ``seed``, so p-values agree draw for draw.
- :func:`randomization_inference`: permutes a cluster-level assignment (within strata) and
  recomputes any statistic; p-value ``(1 + #{|T*| >= |T|}) / (1 + R)``.
- :func:`benjamini_hochberg`, :func:`sharpened_qvalues` (Anderson 2008, the two-stage
  Benjamini-Krieger-Yekutieli procedure on a 0.001 grid exactly as Anderson's Stata code),
  :func:`romano_wolf` (stepdown on bootstrap t-statistics; Clarke, Romano & Wolf 2020) and
  :func:`romano_wolf_wild` (the same with shared wild-bootstrap draws across outcomes).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import DesignError, EstimationWarning, ParameterError, check_option, require

__all__ = [
    "cluster_codes",
    "wls",
    "cluster_vcov",
    "influence_vcov",
    "influence_se",
    "few_clusters_warning",
    "WildBootstrapResult",
    "wild_cluster_bootstrap",
    "draw_wild_weights",
    "wild_conf_int",
    "RandomizationResult",
    "randomization_inference",
    "benjamini_hochberg",
    "sharpened_qvalues",
    "romano_wolf",
    "romano_wolf_wild",
]

WildWeights = Literal["rademacher", "webb", "mammen", "norm"]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def cluster_codes(cluster: Any, owner: str = "cluster_vcov") -> tuple[np.ndarray, int]:
    """Integer codes ``0..G-1`` in sorted order of the cluster labels, and ``G``.

    Sorted order matters: it is the order in which ``wildboottest`` assigns bootstrap weights
    to clusters (``np.unique``), so the same seed gives the same draw for the same cluster.
    """
    arr = np.asarray(cluster)
    if arr.ndim != 1:
        raise ParameterError(f"The 'cluster' parameter of {owner} must be one-dimensional. "
                             f"Got an array of shape {arr.shape} instead.")
    if pd.isna(pd.Series(arr)).any():
        n = int(pd.isna(pd.Series(arr)).sum())
        raise DesignError(f"{owner}: the cluster id is missing for {n} rows. Fix: fill the "
                          "cluster id (village or kecamatan code) or drop those rows.")
    _, codes = np.unique(arr, return_inverse=True)
    G = int(codes.max()) + 1 if codes.size else 0
    if G < 2:
        raise DesignError(f"{owner}: only {G} cluster in the data; cluster-robust inference "
                          "needs at least 2 (and the wild bootstrap is advisable below ~50). "
                          "Fix: cluster at a finer level (village instead of kecamatan) or use "
                          "heteroskedasticity-robust errors.")
    return codes.astype(np.int64), G


def wls(y: np.ndarray, X: np.ndarray, weights: np.ndarray | None = None
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares: ``(beta, residuals, (X'WX)^-1)``.

    Raises :class:`~kassaki_eval.exceptions.IdentificationError` when ``X'WX`` is singular.
    """
    from ..exceptions import IdentificationError
    y = np.asarray(y, dtype=float)
    X = np.ascontiguousarray(X, dtype=float)  # row-major: same bits for any input layout
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    Xw = X * w[:, None]
    xtx = X.T @ Xw
    try:
        xtx_inv = np.linalg.inv(xtx)
    except np.linalg.LinAlgError as e:
        raise IdentificationError("The regressors are perfectly collinear (X'WX is singular). "
                                  "Fix: drop redundant covariates or fixed effects.") from e
    if np.linalg.cond(xtx) > 1e14:
        raise IdentificationError("The regressors are (nearly) perfectly collinear "
                                  f"(condition number {np.linalg.cond(xtx):.2e}). Fix: drop "
                                  "redundant covariates or fixed effects.")
    beta = xtx_inv @ (Xw.T @ y)
    return beta, y - X @ beta, xtx_inv


def cluster_vcov(
    X: np.ndarray,
    resid: np.ndarray,
    cluster: Any | None = None,
    weights: np.ndarray | None = None,
    *,
    xtx_inv: np.ndarray | None = None,
    n_params: int | None = None,
    small_sample: bool = True,
) -> np.ndarray:
    """Cluster-robust (CR1) or heteroskedasticity-robust (HC1) covariance of WLS coefficients.

    Parameters
    ----------
    X : (n, k) array
        Regressors (after any fixed-effect demeaning).
    resid : (n,) array
        Residuals of the weighted fit.
    cluster : array-like, optional
        Cluster ids; ``None`` gives HC1.
    weights : (n,) array, optional
        Analytic / survey weights used in the fit.
    xtx_inv : (k, k) array, optional
        ``(X'WX)^-1`` if already computed.
    n_params : int, optional
        ``K`` in the small-sample factor; defaults to ``X.shape[1]``. Pass the number of
        coefficients plus non-nested fixed effects to reproduce fixest/Stata.
    small_sample : bool
        Multiply by ``G/(G-1) * (N-1)/(N-K)`` (CR1) or ``N/(N-K)`` (HC1).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(100), rng.normal(size=100)])
    >>> y = X @ [1.0, 2.0] + rng.normal(size=100)
    >>> b, e, inv = wls(y, X)
    >>> cluster_vcov(X, e, np.repeat(np.arange(10), 10)).shape
    (2, 2)
    """
    X = np.ascontiguousarray(X, dtype=float)  # row-major: same bits for any input layout
    e = np.asarray(resid, dtype=float)
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if xtx_inv is None:
        xtx_inv = np.linalg.inv(X.T @ (X * w[:, None]))
    K = k if n_params is None else int(n_params)
    scores = X * (w * e)[:, None]
    if cluster is None:
        meat = scores.T @ scores
        factor = n / (n - K) if small_sample else 1.0
    else:
        codes, G = cluster_codes(cluster)
        # per-column bincount: much faster than np.add.at for cluster sums
        S = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=G)
                             for j in range(k)])
        meat = S.T @ S
        factor = (G / (G - 1)) * ((n - 1) / (n - K)) if small_sample else 1.0
    return factor * (xtx_inv @ meat @ xtx_inv)


IFCorrection = Literal["hc1", "cluster_only", "none"]


def _if_sums(psi: np.ndarray, cluster: Any | None) -> tuple[np.ndarray, int]:
    """Rows (units, or cluster sums of the rows) whose cross-product is the meat; their count."""
    if cluster is None:
        return psi, psi.shape[0]
    codes = np.asarray(cluster)
    if codes.shape[0] != psi.shape[0]:
        raise ParameterError("The 'cluster' parameter must have one entry per row of psi "
                             f"({psi.shape[0]}). Got {codes.shape[0]} instead.")
    # integer codes 0..G-1 with every cluster present are used as they are (no sort); labels,
    # and integer ids with gaps (village codes), are numbered 0..G-1 over the clusters present:
    # G is the number of clusters in the factor m/(m-1)
    dense = (np.issubdtype(codes.dtype, np.integer) and codes.size > 0 and codes.min() >= 0
             and codes.max() < codes.size and bool(np.bincount(codes).all()))
    if not dense:
        codes = np.unique(codes, return_inverse=True)[1]
    G = int(codes.max()) + 1 if codes.size else 0
    S = np.column_stack([np.bincount(codes, weights=psi[:, j], minlength=G)
                         for j in range(psi.shape[1])])
    return S, G


def _if_factor(m: int, clustered: bool, correction: str) -> float:
    check_option("influence_vcov", "correction", correction, ["hc1", "cluster_only", "none"])
    if correction == "none" or (correction == "cluster_only" and not clustered):
        return 1.0
    return m / max(m - 1, 1)


def influence_vcov(psi: np.ndarray, cluster: Any | None = None, *, scale: float = 1.0,
                   correction: IFCorrection = "hc1") -> Any:
    """Covariance of estimators from their influence functions (linearisation variance).

    The estimators' errors are ``scale * sum_i psi_i`` (``psi`` one row per unit and one
    column per estimator; e.g. ``scale = 1/n`` for an influence function ``psi`` with
    ``theta_hat - theta = mean(psi)``). The covariance is
    ``c * scale**2 * sum_i psi_i psi_i'`` or, with ``cluster``, the same over cluster sums
    ``sum_g (sum_{i in g} psi_i)(...)'``. The factor ``c`` is ``m/(m-1)`` with ``m`` the number
    of units or clusters (``correction="hc1"``, the survey-linearisation convention of R
    ``survey`` for PSUs), ``1`` without clusters and ``G/(G-1)`` with them
    (``"cluster_only"``, R ``did``'s analytic standard errors), or ``1`` (``"none"``).

    Parameters
    ----------
    psi : (n,) or (n, k) array
    cluster : array, optional
        Cluster labels or integer codes ``0..G-1``, one per row.
    scale : float
    correction : {"hc1", "cluster_only", "none"}

    Returns
    -------
    float for a 1-D ``psi``, else the ``(k, k)`` covariance matrix.

    Examples
    --------
    >>> import numpy as np
    >>> psi = np.array([1.0, -1.0, 2.0, -2.0])
    >>> influence_vcov(psi, correction="none")
    10.0
    >>> influence_vcov(psi, cluster=[0, 0, 1, 1])  # cluster sums are 0: no variance left
    0.0
    """
    arr = np.asarray(psi, dtype=float)
    S, m = _if_sums(arr.reshape(arr.shape[0], -1), cluster)
    V = _if_factor(m, cluster is not None, correction) * scale ** 2 * (S.T @ S)
    return float(V[0, 0]) if arr.ndim == 1 else V


def influence_se(psi: np.ndarray, cluster: Any | None = None, *, scale: float = 1.0,
                 correction: IFCorrection = "hc1") -> Any:
    """Standard errors ``sqrt(diag(influence_vcov(...)))`` without the ``(k, k)`` matrix.

    Cheap for many estimators on many units. Same arguments as :func:`influence_vcov`; a
    float for a 1-D ``psi``.
    """
    arr = np.asarray(psi, dtype=float)
    S, m = _if_sums(arr.reshape(arr.shape[0], -1), cluster)
    se = (
        np.sqrt(_if_factor(m, cluster is not None, correction) * np.einsum("ij,ij->j", S, S))
        * scale
    )
    return float(se[0]) if arr.ndim == 1 else se


# --------------------------------------------------------------------------------------------
# wild cluster bootstrap
# --------------------------------------------------------------------------------------------
_WEBB = np.concatenate(
    [-np.sqrt(np.array([3.0, 2.0, 1.0]) / 2), np.sqrt(np.array([1.0, 2.0, 3.0]) / 2)]
)


def draw_wild_weights(G: int, B: int, weights_type: WildWeights = "rademacher",
                      seed: int | np.random.Generator | None = None,
                      full_enumeration: bool | None = None) -> tuple[np.ndarray, bool]:
    """Bootstrap weights, a ``(G, B)`` matrix, and whether they are a full enumeration.

    Random draws are generated exactly as ``wildboottest.weights.draw_weights`` does, so the
    same integer ``seed`` gives the same matrix as ``wildboottest`` / ``pyfixest``.
    Rademacher weights are enumerated (all ``2**G`` sign vectors, ``B`` becomes ``2**G``) when
    ``2**G <= B`` unless ``full_enumeration=False``.
    """
    check_option("draw_wild_weights", "weights_type", weights_type,
                 ["rademacher", "webb", "mammen", "norm"])
    require(isinstance(B, (int, np.integer)) and B >= 1, "draw_wild_weights", "B",
            "a positive integer", B)
    enum = (weights_type == "rademacher" and G <= 30 and 2 ** G <= B) if full_enumeration is None \
        else bool(full_enumeration)
    if enum:
        if weights_type != "rademacher":
            raise ParameterError("The 'full_enumeration' parameter of draw_wild_weights must be "
                                 f"False for {weights_type!r} weights. Got True instead.")
        v = np.array(list(product([-1, 1], repeat=G)), dtype=float).T
        return v, True
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = G * B
    if weights_type == "rademacher":
        v = rng.choice([-1, 1], size=n, replace=True).astype(float)
    elif weights_type == "webb":
        v = rng.choice(_WEBB, size=n, replace=True)
    elif weights_type == "mammen":
        v = rng.choice(np.array([-1, 1]) * (np.sqrt(5) + np.array([-1, 1])) / 2, size=n,
                       replace=True, p=(np.sqrt(5) + np.array([1, -1])) / (2 * np.sqrt(5)))
    else:
        v = rng.normal(size=n)
    return v.reshape(G, B), False


@dataclass(frozen=True)
class WildBootstrapResult:
    """Outcome of :func:`wild_cluster_bootstrap`.

    Attributes
    ----------
    estimate, t_stat, p_value : float
        Unrestricted coefficient, its CR1 t-statistic and the bootstrap p-value
        (two-tailed: share of ``|t*| >= |t|``, see the tie rule below; ``equal-tailed`` and
        one-sided on request).
    B : int
        Number of bootstrap draws actually used (``2**G`` under full enumeration).
    full_enumeration : bool
    G : int
        Number of clusters.
    weights_type, impose_null : as requested.
    t_boot : (B,) array
    """

    estimate: float
    std_error: float
    t_stat: float
    p_value: float
    B: int
    full_enumeration: bool
    G: int
    weights_type: str
    impose_null: bool
    pval_type: str
    t_boot: np.ndarray = field(repr=False)
    p_floor: float = 0.0
    n_treated_clusters: int | None = None


def _check_finite(owner: str, **arrays: np.ndarray | None) -> None:
    """Refuse missing or infinite values: they would give a NaN t-statistic and p = 0."""
    for name, a in arrays.items():
        if a is None:
            continue
        bad = ~np.isfinite(a)
        if bad.any():
            rows = np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))
            raise DesignError(f"{owner}: '{name}' has missing or infinite values in {rows.size} "
                              f"rows (e.g. rows {', '.join(map(str, rows[:3]))}). Fix: drop "
                              "those rows (or impute) before the call.")


def _wild_core(y: np.ndarray, X: np.ndarray, codes: np.ndarray, G: int, j: int, r: float,
               v: np.ndarray, impose_null: bool, ssc: float, weights: np.ndarray | None
               ) -> tuple[float, float, float, np.ndarray]:
    """Vectorised WCR/WCU11: returns (beta_j, se_j, t, t_boot)."""
    n, k = X.shape
    if weights is not None:
        sw = np.sqrt(np.asarray(weights, dtype=float))
        X = X * sw[:, None]
        y = y * sw
    xtx = X.T @ X
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (X.T @ y)
    Rv = xtx_inv[:, j]                       # (X'X)^-1 R'
    if impose_null:
        # restricted estimate: beta - (X'X)^-1 R' (R beta - r) / (R (X'X)^-1 R')
        beta_0 = beta - Rv * (beta[j] - r) / xtx_inv[j, j]
    else:
        beta_0 = beta
    u0 = y - X @ beta_0                      # residuals that get multiplied by v
    # cluster-level objects: S_g = X_g' u0_g (k), c_g = R(X'X)^-1 S_g, and
    # H[g, h] = R (X'X)^-1 X_g'X_g (X'X)^-1 S_h, so that the bootstrap score of cluster g is
    # (c_g v_g - sum_h H[g,h] v_h): one (G, G) @ (G, B) product for all draws.
    Xu = X * u0[:, None]
    S = np.column_stack([np.bincount(codes, weights=Xu[:, m], minlength=G) for m in range(k)])
    c = S @ Rv                               # (G,)
    a = X @ Rv                               # (n,) = X (X'X)^-1 R'
    # D_g = a_g' X_g  (G, k)
    aX = X * a[:, None]
    D = np.column_stack([np.bincount(codes, weights=aX[:, m], minlength=G) for m in range(k)])
    H = D @ xtx_inv @ S.T                    # (G, G)
    A = np.diag(c) - H
    numer = c @ v                            # (B,); under WCU this is b* - b_hat
    scores_b = A @ v                         # (G, B)
    denom = ssc * np.einsum("gb,gb->b", scores_b, scores_b)
    t_boot = numer / np.sqrt(denom)
    # the original t-statistic with CR1
    e = y - X @ beta
    Xe = X * e[:, None]
    Sg = np.column_stack([np.bincount(codes, weights=Xe[:, m], minlength=G) for m in range(k)])
    cg = Sg @ Rv
    se = float(np.sqrt(ssc * (cg @ cg)))
    t = float((beta[j] - r) / se)
    return float(beta[j]), se, t, t_boot


def wild_cluster_bootstrap(
    y: np.ndarray,
    X: np.ndarray,
    cluster: Any,
    param: int,
    *,
    r: float = 0.0,
    B: int = 9999,
    weights_type: WildWeights = "rademacher",
    impose_null: bool = True,
    seed: int | np.random.Generator | None = None,
    weights: np.ndarray | None = None,
    draws: np.ndarray | None = None,
    small_sample: bool = True,
    n_params: int | None = None,
    pval_type: Literal["two-tailed", "equal-tailed", ">", "<"] = "two-tailed",
    full_enumeration: bool | None = None,
    cluster_sides: tuple[int, int] | None = None,
) -> WildBootstrapResult:
    """Wild cluster bootstrap test of ``H0: beta[param] = r`` (WCR11 by default).

    Parameters
    ----------
    y, X : arrays
        Outcome and regressors (include the intercept; demean fixed effects first or add
        them as dummies). ``X`` columns are coefficients.
    cluster : array-like
        Cluster ids (bootstrap clusters = variance clusters).
    param : int
        Column of ``X`` under test.
    r : float
        Null value.
    B : int
        Number of draws; Rademacher weights are fully enumerated when ``2**G <= B``.
    weights_type : {"rademacher", "webb", "mammen", "norm"}
        Webb's six-point weights are advisable with fewer than ~12 clusters.
    impose_null : bool
        WCR (True, recommended) or WCU.
    seed : int or Generator
        Same integer seed as ``wildboottest``/``pyfixest`` gives the same draws.
    weights : array, optional
        WLS weights (the regression is run on ``sqrt(w)``-scaled data).
    draws : (G, B) array, optional
        Bootstrap weights to use instead of drawing them (shared draws, e.g. Romano-Wolf).
    small_sample : bool
        CR1 factor ``G/(G-1) (N-1)/(N-K)`` in every t-statistic (cancels in the p-value).
    n_params : int, optional
        ``K`` of the small-sample factor (default ``X.shape[1]``).
    pval_type : str
        ``two-tailed`` is ``mean(|t*| >= |t|)``: draws as extreme as the sample count (under
        full enumeration ``wildboottest``, which counts only ``>``, is lower by ``2/2**G``).
        Warns (EstimationWarning) with fewer than 12 clusters or at most 2 treated or untreated
        clusters (MacKinnon & Webb 2017, 2018); ``p_floor`` is the smallest attainable p-value.
    cluster_sides : (int, int), optional
        Treated and untreated cluster counts for that warning. By default they are counted
        from column ``param`` when it is 0/1: clusters where it is non-zero somewhere, and the
        others. Give them when the column is not a treatment dummy (a demeaned one) or when
        clusters mix treated and comparison units.

    Returns
    -------
    WildBootstrapResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(12), 50)
    >>> X = np.column_stack([np.ones(600), (g % 2).astype(float)])
    >>> y = 0.1 * X[:, 1] + rng.normal(size=600) + rng.normal(size=12)[g]
    >>> res = wild_cluster_bootstrap(y, X, g, param=1, B=999, seed=3)
    >>> res.full_enumeration, res.B
    (False, 999)
    """
    owner = "wild_cluster_bootstrap"
    check_option(owner, "pval_type", pval_type, ["two-tailed", "equal-tailed", ">", "<"])
    y = np.asarray(y, dtype=float)
    X = np.ascontiguousarray(X, dtype=float)  # row-major: same bits for any input layout
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ParameterError(f"The 'X' parameter of {owner} must be a 2-D array with "
                             f"{y.shape[0]} rows. Got shape {X.shape} instead.")
    require(isinstance(param, (int, np.integer)) and 0 <= param < X.shape[1], owner, "param",
            f"a column index in [0, {X.shape[1] - 1}]", param)
    wts = None if weights is None else np.asarray(weights, dtype=float)
    _check_finite(owner, y=y, X=X, weights=wts)
    if np.nanstd(y) == 0:
        raise DesignError(f"{owner}: the outcome has no variation (all {y.size} values equal "
                          f"{y[0]}). Fix: check the outcome column.")
    codes, G = cluster_codes(cluster, owner)
    if draws is None:
        v, enum = draw_wild_weights(G, B, weights_type, seed, full_enumeration)
    else:
        v = np.asarray(draws, dtype=float)
        if v.shape[0] != G:
            raise ParameterError(f"The 'draws' parameter of {owner} must have {G} rows (one per "
                                 f"cluster). Got shape {v.shape} instead.")
        enum = False
    n, k = X.shape
    K = k if n_params is None else int(n_params)
    ssc = ((n - 1) / (n - K)) * (G / (G - 1)) if small_sample else 1.0
    beta, se, t, t_boot = _wild_core(y, X, codes, G, int(param), float(r), v, impose_null, ssc,
                                     wts)
    p = _wild_pvalue(t, t_boot, pval_type)
    if cluster_sides is None:
        n_tr, n_un = _treated_clusters(X[:, int(param)], codes, G), None
    else:
        n_tr, n_un = (int(c) for c in cluster_sides)
    floor = _p_floor(G, v.shape[1], enum, pval_type)
    _warn_few_clusters(owner, G, n_tr, floor, p, n_un)
    return WildBootstrapResult(estimate=beta, std_error=se, t_stat=t, p_value=p, B=v.shape[1],
                               full_enumeration=enum, G=G, weights_type=str(weights_type),
                               impose_null=impose_null, pval_type=pval_type, t_boot=t_boot,
                               p_floor=floor, n_treated_clusters=n_tr)


def _wild_pvalue(t: float, t_boot: np.ndarray, pval_type: str = "two-tailed") -> float:
    """Bootstrap p-value with the one tie rule of this module.

    A draw at least as extreme as the sample counts (``|t*| >= |t|``, up to a relative tolerance of
    1e-9 for floating-point noise). Under the restricted bootstrap the draws ``v = +1`` and
    ``v = -1`` (all clusters the same sign) reproduce the sample's ``|t|`` exactly, so under full
    enumeration the p-value is an exact randomisation p-value ``#{|t*| >= |t|} / 2**G`` and never
    below ``2 / 2**G`` (0.25 with G = 3). ``wildboottest``/``pyfixest`` count only strictly larger
    draws; with random draws ties have probability ~0 and the two rules agree, under full
    enumeration they differ by exactly ``2 / 2**G`` (tested).
    """
    eps = 1e-9 * max(1.0, abs(t))
    if pval_type == "two-tailed":
        return float(np.mean(np.abs(t_boot) >= np.abs(t) - eps))
    if pval_type == "equal-tailed":
        return float(min(1.0, 2 * min(float(np.mean(t_boot >= t - eps)),
                                      float(np.mean(t_boot <= t + eps)))))
    if pval_type == ">":
        return float(np.mean(t_boot >= t - eps))
    return float(np.mean(t_boot <= t + eps))


def _treated_clusters(x: np.ndarray, codes: np.ndarray, G: int) -> int | None:
    """Clusters with a non-zero value of a 0/1 regressor; None when it is not 0/1.

    These are the treated clusters of a DiD or treatment dummy.
    """
    if not np.isin(x, (0.0, 1.0)).all():
        return None
    return int(np.count_nonzero(np.bincount(codes, weights=x, minlength=G) > 0))


def _p_floor(G: int, B: int, enum: bool, pval_type: str) -> float:
    """Smallest p-value the bootstrap can return.

    ``2/2**G`` two-tailed under full Rademacher enumeration (the two sign vectors that reproduce the
    sample), ``1/2**G`` one-sided; ``1/B`` with random draws (a reported 0 then means ``p < 1/B``).
    """
    if enum:
        return (2.0 if pval_type == "two-tailed" else 1.0) / 2 ** G
    return 1.0 / B


def few_clusters_warning(owner: str, G: int, n_treated: int | None = None,
                         n_untreated: int | None = None) -> None:
    """Warn (EstimationWarning) when cluster-robust inference is fragile.

    Fragile means fewer than 12 clusters, or at most 2 treated or untreated clusters (MacKinnon &
    Webb 2017, 2018: CR1 t-tests over-reject badly with few treated clusters, whatever G). For
    estimators that report analytic CR1 errors; :func:`wild_cluster_bootstrap` warns by itself.
    ``n_untreated`` counts the clusters holding comparison units; it defaults to
    ``G - n_treated`` (treatment constant within clusters). Give it when clusters mix treated
    and comparison units (villages of both groups in every kecamatan): such a cluster is on
    both sides.
    """
    msgs = []
    if G < 12:
        msgs.append(f"only {G} clusters (MacKinnon & Webb: cluster-robust t-tests over-reject "
                    "below ~12 clusters; use inference='wild' with Webb weights)")
    side_msg = _few_side(G, n_treated, n_untreated)
    if side_msg is not None:
        few, side = side_msg
        msgs.append(f"{few} {side} cluster(s) of {G} (MacKinnon & Webb 2017: with so few "
                    f"{side} clusters neither CR1 nor the wild bootstrap is reliable)")
    if msgs:
        warnings.warn(f"{owner}: fragile inference: " + "; ".join(msgs) + ".",
                      EstimationWarning, stacklevel=3)


def _few_side(G: int, n_treated: int | None, n_untreated: int | None
              ) -> tuple[int, str] | None:
    """The smaller side and its count when it has at most 2 clusters (None otherwise).

    ``n_untreated`` defaults to ``G - n_treated``; ties name the treated side.
    """
    if n_treated is None:
        return None
    n_un = G - n_treated if n_untreated is None else int(n_untreated)
    if n_treated > 2 and n_un > 2:
        return None
    return (n_treated, "treated") if n_treated <= n_un else (n_un, "untreated")


def _warn_few_clusters(owner: str, G: int, n_treated: int | None, floor: float, p: float,
                       n_untreated: int | None = None) -> None:
    """Warn when the wild cluster bootstrap is unreliable (MacKinnon & Webb).

    MacKinnon & Webb (2017, J. Applied Econometrics 32(2); 2018, Econometrics Journal 21(2)):
    the wild cluster bootstrap is unreliable with very few clusters and, whatever G, with very
    few treated (or untreated) clusters: with one treated cluster the restricted bootstrap
    under-rejects severely and the unrestricted one over-rejects.
    """
    msgs = []
    if G < 12:
        msgs.append(f"only {G} clusters (MacKinnon & Webb: below ~12 the Rademacher wild "
                    f"bootstrap has at most 2**{G} = {2 ** G} distinct draws; the smallest "
                    f"attainable p-value is {floor:.3g}; Webb weights give more)")
    side_msg = _few_side(G, n_treated, n_untreated)
    if side_msg is not None:
        few, side = side_msg
        msgs.append(f"{few} {side} cluster(s) of {G} (MacKinnon & Webb 2017: with so few "
                    f"{side} clusters the wild cluster bootstrap is unreliable; the restricted "
                    "bootstrap under-rejects, the unrestricted over-rejects; report the p-value "
                    "as descriptive or use randomisation inference over clusters)")
    if msgs:
        tail = f" The p-value {p:.3g} is at the floor {floor:.3g}." if p <= floor + 1e-15 else ""
        warnings.warn(f"{owner}: fragile inference: " + "; ".join(msgs) + "." + tail,
                      EstimationWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------
# randomisation inference
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RandomizationResult:
    """Outcome of :func:`randomization_inference`."""

    statistic: float
    p_value: float
    n_perm: int
    permuted: np.ndarray = field(repr=False)


def randomization_inference(
    data: pd.DataFrame,
    statistic: Callable[[pd.DataFrame], float],
    *,
    assignment: str | Sequence[str],
    cluster: str,
    strata: str | None = None,
    n_perm: int = 999,
    seed: int | None = None,
) -> RandomizationResult:
    """Fisher randomisation test of the sharp null of no effect for a randomised roll-out.

    The cluster-level assignment columns (``assignment``, e.g. ``cohort`` or ``treated``) are
    permuted across clusters (within ``strata`` if given), exactly as a lottery over villages
    would have re-drawn them, and ``statistic`` is recomputed on each permuted data set.

    Returns the observed statistic and ``p = (1 + #{|T*| >= |T|}) / (1 + n_perm)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"v": np.repeat(np.arange(20), 5)})
    >>> d["treat"] = (d["v"] < 10).astype(int)
    >>> d["y"] = rng.normal(size=100) + 0.8 * d["treat"]
    >>> stat = lambda df: df.loc[df.treat == 1, "y"].mean() - df.loc[df.treat == 0, "y"].mean()
    >>> res = randomization_inference(d, stat, assignment="treat", cluster="v", n_perm=199, seed=1)
    >>> 0 < res.p_value <= 1
    True
    """
    owner = "randomization_inference"
    cols = [assignment] if isinstance(assignment, str) else list(assignment)
    need = cols + [cluster] + ([strata] if strata else [])
    miss = [c for c in need if c not in data.columns]
    if miss:
        raise ParameterError(f"The 'assignment/cluster/strata' parameters of {owner} must name "
                             f"columns of data. Got {miss} instead.")
    clus = data[[cluster] + cols + ([strata] if strata else [])].drop_duplicates()
    if clus[cluster].duplicated().any():
        bad = clus.loc[clus[cluster].duplicated(), cluster].unique()
        raise DesignError(f"data: column(s) {cols} vary within cluster '{cluster}' for "
                          f"{len(bad)} clusters (e.g. {', '.join(map(str, bad[:3]))}); "
                          "randomisation inference permutes cluster-level assignments. Fix: "
                          "use a cluster-level assignment or cluster at the assignment level.")
    rng = np.random.default_rng(seed)
    t_obs = float(statistic(data))
    codes = pd.Index(clus[cluster]).get_indexer(data[cluster])
    vals = clus[cols].to_numpy()
    groups = [np.arange(len(clus))] if strata is None else \
        [np.flatnonzero((clus[strata] == s).to_numpy()) for s in clus[strata].unique()]
    out = np.empty(n_perm)
    for b in range(n_perm):  # loop over permutations (each recomputes a user statistic)
        perm = np.arange(len(clus))
        for idx in groups:
            perm[idx] = rng.permutation(idx)
        d = data.copy()
        new = vals[perm][codes]
        for m, c in enumerate(cols):
            d[c] = new[:, m]
        out[b] = statistic(d)
    p = (1 + np.sum(np.abs(out) >= abs(t_obs) - 1e-12)) / (1 + n_perm)
    return RandomizationResult(statistic=t_obs, p_value=float(p), n_perm=n_perm, permuted=out)


# --------------------------------------------------------------------------------------------
# multiple testing
# --------------------------------------------------------------------------------------------
def _check_p(p: Any, owner: str) -> np.ndarray:
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or np.any(~np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ParameterError(f"The 'pvalues' parameter of {owner} must be a non-empty 1-D array "
                             f"of numbers in [0, 1]. Got {p!r} instead.")
    return arr


def benjamini_hochberg(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg (1995) adjusted p-values (q-values), in input order.

    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = _check_p(pvalues, "benjamini_hochberg")
    m = p.size
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def sharpened_qvalues(pvalues: Sequence[float], step: float = 0.001) -> np.ndarray:
    """Anderson (2008) sharpened FDR q-values (Benjamini, Krieger & Yekutieli 2006 two-stage).

    Follows Anderson's published Stata code: for q from 1 down to ``step`` in steps of
    ``step``, run the two-stage procedure at level q; a hypothesis' q-value is the smallest q
    at which it is rejected.

    Anderson, M. L. (2008), JASA 103(484), 1481-1495, appendix code ``fdr_sharpened_qvalues.do``.

    >>> sharpened_qvalues([0.001, 0.2, 0.04]).tolist()
    [0.004, 0.072, 0.042]
    """
    p = _check_p(pvalues, "sharpened_qvalues")
    m = p.size
    order = np.argsort(p, kind="stable")
    ps = p[order]
    rank = np.arange(1, m + 1)
    nsteps = int(round(1 / step))
    qgrid = np.round(np.arange(nsteps, 0, -1) * step, 10)          # 1.000 ... step
    qadj = qgrid / (1 + qgrid)
    # stage 1: number rejected by BH at level q/(1+q)
    rej1 = (qadj[:, None] * rank[None, :] / m) >= ps[None, :]
    r1 = np.where(rej1.any(axis=1), m - np.argmax(rej1[:, ::-1], axis=1), 0)
    with np.errstate(divide="ignore"):
        q2 = np.where(r1 < m, qadj * m / np.maximum(m - r1, 1), np.inf)
    rej2 = (q2[:, None] * rank[None, :] / m) >= ps[None, :]
    r2 = np.where(rej2.any(axis=1), m - np.argmax(rej2[:, ::-1], axis=1), 0)
    # smallest q on the grid at which rank <= r2
    qv = np.ones(m)
    for q, rr in zip(qgrid, r2, strict=False):  # 1000 grid points, vector inside
        qv[:rr] = q
    out = np.empty(m)
    out[order] = qv
    return np.round(out, 10)


def romano_wolf(t_stat: Sequence[float], t_boot: np.ndarray) -> np.ndarray:
    """Romano-Wolf stepdown adjusted p-values from bootstrap t-statistics under the null.

    Parameters
    ----------
    t_stat : (K,) observed t-statistics.
    t_boot : (B, K) bootstrap t-statistics whose distribution approximates the null (e.g.
        the restricted wild bootstrap's ``t*``, or unrestricted ``(b* - b)/se*``), drawn with
        the *same* resampling for all K outcomes so their dependence is kept.

    Returns
    -------
    (K,) adjusted p-values, in input order: for the j-th largest ``|t|``, the share of draws in
    which the maximum ``|t*|`` over the hypotheses not yet rejected exceeds ``|t_j|``, made
    monotone (Romano & Wolf 2005; Clarke, Romano & Wolf 2020, Stata ``rwolf``).
    """
    t = np.abs(np.asarray(t_stat, dtype=float))
    tb = np.abs(np.asarray(t_boot, dtype=float))
    if tb.ndim != 2 or tb.shape[1] != t.size:
        raise ParameterError("The 't_boot' parameter of romano_wolf must be a (B, K) array with "
                             f"K = {t.size}. Got shape {tb.shape} instead.")
    order = np.argsort(-t)
    # running max over the hypotheses ordered from smallest |t| to the current one
    tb_sorted = tb[:, order]
    maxes = np.maximum.accumulate(tb_sorted[:, ::-1], axis=1)[:, ::-1]  # max over j..K
    p_step = np.mean(maxes >= t[order][None, :], axis=0)
    p_step = np.maximum.accumulate(p_step)
    out = np.empty(t.size)
    out[order] = p_step
    return out


def romano_wolf_wild(
    ys: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    X: np.ndarray,
    cluster: Any,
    param: int,
    *,
    B: int = 9999,
    weights_type: WildWeights = "rademacher",
    seed: int | None = None,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Romano-Wolf adjusted p-values for one coefficient across several outcomes.

    Uses the restricted wild cluster bootstrap with the same draws for every outcome.

    Returns a DataFrame with ``outcome, estimate, t_stat, p_value`` (single-test wild
    bootstrap), ``p_bh``, ``q_sharpened`` and ``p_romano_wolf``.
    """
    names = list(ys.keys()) if isinstance(ys, Mapping) else [f"y{i}" for i in range(len(ys))]
    vals = list(ys.values()) if isinstance(ys, Mapping) else list(ys)
    codes, G = cluster_codes(cluster, "romano_wolf_wild")
    v, enum = draw_wild_weights(G, B, weights_type, seed)
    rows, boots = [], []
    for nm, yy in zip(names, vals, strict=False):
        r = wild_cluster_bootstrap(yy, X, cluster, param, draws=v, weights=weights)
        rows.append(
            {"outcome": nm, "estimate": r.estimate, "t_stat": r.t_stat, "p_value": r.p_value}
        )
        boots.append(r.t_boot)
    out = pd.DataFrame(rows)
    tb = np.column_stack(boots)
    out["p_bh"] = benjamini_hochberg(out["p_value"].to_numpy())
    out["q_sharpened"] = sharpened_qvalues(out["p_value"].to_numpy())
    out["p_romano_wolf"] = romano_wolf(out["t_stat"].to_numpy(), tb)
    out.attrs["B"] = v.shape[1]
    out.attrs["full_enumeration"] = enum
    return out


def wild_conf_int(
    y: np.ndarray,
    X: np.ndarray,
    cluster: Any,
    param: int,
    *,
    alpha: float = 0.05,
    B: int = 9999,
    weights_type: WildWeights = "rademacher",
    seed: int | np.random.Generator | None = None,
    weights: np.ndarray | None = None,
    n_params: int | None = None,
    tol: float = 1e-6,
) -> tuple[float, float]:
    """Confidence interval by inverting the restricted wild cluster bootstrap test.

    The same draws are used for every null value ``r``; each bound is the ``r`` at which the
    two-tailed bootstrap p-value crosses ``alpha`` (bisection to ``tol`` times the CR1 standard
    error), as ``boottest`` does in Stata. The search starts at the estimate and steps out by
    ``se``, ``2 se``, ``4 se``, ... until the p-value is below ``alpha`` (a bound is infinite
    when 60 steps do not get there), then bisects; the bound is the final bracket's midpoint.
    """
    y = np.asarray(y, dtype=float)
    X = np.ascontiguousarray(X, dtype=float)  # row-major: same bits for any input layout
    _check_finite("wild_conf_int", y=y, X=X,
                  weights=None if weights is None else np.asarray(weights, dtype=float))
    codes, G = cluster_codes(cluster, "wild_conf_int")
    v, _ = draw_wild_weights(G, B, weights_type, seed)
    n, k = X.shape
    K = k if n_params is None else int(n_params)
    ssc = ((n - 1) / (n - K)) * (G / (G - 1))

    def pval(r: float) -> float:
        _, _, t, tb = _wild_core(y, X, codes, G, int(param), r, v, True, ssc, weights)
        return _wild_pvalue(t, tb)

    b, se, _, _ = _wild_core(y, X, codes, G, int(param), 0.0, v, True, ssc, weights)

    def bound(direction: float) -> float:
        inside, step = b, se
        outside = b + direction * step
        for _ in range(60):  # expand until rejected
            if pval(outside) < alpha:
                break
            inside, step = outside, step * 2
            outside = b + direction * step
        else:
            return float(direction * np.inf)
        while abs(outside - inside) > tol * se:
            mid = 0.5 * (inside + outside)
            if pval(mid) < alpha:
                outside = mid
            else:
                inside = mid
        return 0.5 * (inside + outside)

    return bound(-1.0), bound(1.0)
