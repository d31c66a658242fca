"""Power and minimum detectable effects for cluster-randomised and staggered roll-outs.

Closed forms (Bloom 1995, 2005; Duflo, Glennerster & Kremer 2007, eq. 11-12):

    MDE = M_{J-2} * sqrt( rho (1 - R2_c) / (P (1-P) J)
                          + (1 - rho) (1 - R2_i) / (P (1-P) J n) ) * sigma / (c - s)

with ``M_{J-2} = t_{1-alpha/2} + t_{power}`` on ``J - 2`` degrees of freedom (one-sided:
``t_{1-alpha}``),
``rho`` the intra-cluster correlation, ``n`` households per cluster, ``J`` clusters, ``P`` the
treated share of clusters, ``R2`` the share of variance explained by covariates (cluster and
individual level), ``c`` and ``s`` the take-up in treated and control clusters.

For difference-in-differences on cluster means (:func:`mde_did`) the variance of the
estimator is ``(1 - a) (m + r) / (m r)`` times that of a single cross-section comparison,
with ``a`` the correlation over time of the cluster means and ``m``, ``r`` the numbers of
pre- and post-treatment periods (McKenzie 2012, J. Dev. Econ. 99(2), for equicorrelated
periods). :func:`mde_staggered` applies it cohort by cohort against the never-treated
clusters and averages the cohort effects with weights proportional to their size; the
never-treated control mean is shared by all cohorts, which is accounted for by treating the
control part of the cohorts' errors as perfectly correlated (conservative). Use
:func:`simulate_power` to check a design by simulation (on the synthetic world, in the tests).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import ParameterError, check_option, require

__all__ = ["mde_cluster", "power_cluster", "clusters_needed", "mde_did", "mde_staggered",
           "power_staggered", "simulate_power", "design_effect", "intra_cluster_correlation"]


def _check(owner: str, **kw: float | None) -> None:
    for name, v in kw.items():
        if v is None:
            if name != "r2_cluster":
                require(False, owner, name, "a number", v)
            continue
        if not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
            require(False, owner, name, "a finite number", v)
        if name in ("icc", "r2", "r2_cluster", "autocorr", "control_takeup"):
            require(0 <= v < 1 or (name == "icc" and v == 1), owner, name, "a number in [0, 1)", v)
        elif name in ("treat_share", "alpha", "power"):
            require(0 < v < 1, owner, name, "a number in (0, 1)", v)
        elif name == "takeup":
            require(0 < v <= 1, owner, name, "a number in (0, 1]", v)
        elif name == "n_clusters":
            require(v >= 3, owner, name, "at least 3", v)
        elif name in ("cluster_size", "sd"):
            require(v > 0, owner, name, "positive", v)


def design_effect(cluster_size: float, icc: float) -> float:
    """Kish design effect of cluster sampling, ``1 + (n - 1) rho``."""
    return 1.0 + (cluster_size - 1.0) * icc


def _multiplier(df: float, alpha: float, power: float, two_sided: bool) -> float:
    q = 1 - alpha / 2 if two_sided else 1 - alpha
    return float(stats.t.ppf(q, df) + stats.t.ppf(power, df))


def _se_unit(
    n_clusters: float,
    cluster_size: float,
    icc: float,
    r2: float,
    r2_cluster: float | None,
    treat_share: float,
) -> float:
    r2c = r2 if r2_cluster is None else r2_cluster
    P = treat_share
    v = icc * (1 - r2c) / (P * (1 - P) * n_clusters) + \
        (1 - icc) * (1 - r2) / (P * (1 - P) * n_clusters * cluster_size)
    return float(np.sqrt(v))


def mde_cluster(
    n_clusters: int,
    cluster_size: float,
    icc: float,
    *,
    r2: float = 0.0,
    r2_cluster: float | None = None,
    treat_share: float = 0.5,
    takeup: float = 1.0,
    control_takeup: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    sd: float = 1.0,
    two_sided: bool = True,
) -> float:
    """Minimum detectable effect of a cluster-randomised design.

    In outcome units; of the effect *of treatment on the treated*, i.e. the ITT divided by
    ``takeup - control_takeup``.

    >>> round(mde_cluster(100, 50, 0.1), 4)   # 100 villages, 50 households each, ICC 0.1
    0.1944
    """
    _check("mde_cluster", n_clusters=n_clusters, cluster_size=cluster_size, icc=icc, r2=r2,
           r2_cluster=r2_cluster, treat_share=treat_share, takeup=takeup,
           control_takeup=control_takeup, alpha=alpha, power=power, sd=sd)
    if takeup <= control_takeup:
        raise ParameterError("The 'takeup' parameter of mde_cluster must exceed control_takeup. "
                             f"Got takeup={takeup!r}, control_takeup={control_takeup!r} instead.")
    M = _multiplier(n_clusters - 2, alpha, power, two_sided)
    return (
        M
        * _se_unit(n_clusters, cluster_size, icc, r2, r2_cluster, treat_share)
        * sd
        / (takeup - control_takeup)
    )


def power_cluster(
    effect: float,
    n_clusters: int,
    cluster_size: float,
    icc: float,
    *,
    r2: float = 0.0,
    r2_cluster: float | None = None,
    treat_share: float = 0.5,
    takeup: float = 1.0,
    control_takeup: float = 0.0,
    alpha: float = 0.05,
    sd: float = 1.0,
    two_sided: bool = True,
) -> float:
    """Power to detect ``effect`` (treatment-on-treated units) in a cluster-randomised design."""
    _check("power_cluster", n_clusters=n_clusters, cluster_size=cluster_size, icc=icc, r2=r2,
           r2_cluster=r2_cluster, treat_share=treat_share, takeup=takeup,
           control_takeup=control_takeup, alpha=alpha, sd=sd)
    if takeup <= control_takeup:
        raise ParameterError("The 'takeup' parameter of power_cluster must exceed control_takeup. "
                             f"Got takeup={takeup!r}, control_takeup={control_takeup!r} instead.")
    df = n_clusters - 2
    se = _se_unit(n_clusters, cluster_size, icc, r2, r2_cluster, treat_share) * sd
    lam = abs(effect) * (takeup - control_takeup) / se
    q = stats.t.ppf(1 - alpha / 2 if two_sided else 1 - alpha, df)
    return float(stats.t.cdf(lam - q, df) + (stats.t.cdf(-lam - q, df) if two_sided else 0.0))


def clusters_needed(
    effect: float,
    cluster_size: float,
    icc: float,
    *,
    power: float = 0.8,
    max_clusters: int = 100_000,
    **kw: Any,
) -> int:
    """Smallest number of clusters with power >= ``power`` for ``effect``.

    Other arguments as :func:`power_cluster`.
    """
    lo, hi = 3, 4
    while power_cluster(effect, hi, cluster_size, icc, **kw) < power:
        hi *= 2
        if hi > max_clusters:
            raise ParameterError(
                "The 'effect' parameter of clusters_needed is too small to be "
                f"detected with at most {max_clusters} clusters. Got {effect!r} instead."
            )
    while lo < hi:
        mid = (lo + hi) // 2
        if power_cluster(effect, mid, cluster_size, icc, **kw) >= power:
            hi = mid
        else:
            lo = mid + 1
    return int(lo)


def mde_did(
    n_clusters: int,
    cluster_size: float,
    icc: float,
    *,
    n_pre: int = 1,
    n_post: int = 1,
    autocorr: float = 0.0,
    r2: float = 0.0,
    treat_share: float = 0.5,
    takeup: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    sd: float = 1.0,
    two_sided: bool = True,
) -> float:
    """MDE of a difference-in-differences on cluster means (see module docstring).

    ``autocorr`` is the correlation over time of the cluster means (include the sampling noise
    of the means if households are re-sampled each wave).

    >>> round(mde_did(100, 50, 0.1, autocorr=0.5), 4)   # (1 - 0.5) * 2 = 1: as one cross-section
    0.1944
    """
    _check("mde_did", n_clusters=n_clusters, cluster_size=cluster_size, icc=icc, autocorr=autocorr,
           r2=r2, treat_share=treat_share, takeup=takeup, alpha=alpha, power=power, sd=sd)
    require(n_pre >= 1 and n_post >= 1, "mde_did", "n_pre/n_post", "at least 1", (n_pre, n_post))
    base = mde_cluster(n_clusters, cluster_size, icc, r2=r2, treat_share=treat_share, takeup=takeup,
                       alpha=alpha, power=power, sd=sd, two_sided=two_sided)
    return base * float(np.sqrt((1 - autocorr) * (n_pre + n_post) / (n_pre * n_post)))


def _staggered_se(
    cohorts: Mapping[int, int], n_never: int, periods: Any, cluster_size: float, icc: float,
    autocorr: float, r2: float, sd: float, base: str, owner: str,
) -> tuple[float, int]:
    """Standard error (per unit take-up) of the simple C&S ATT, and the number of clusters."""
    check_option(owner, "base", base, ["short", "all"])
    periods = np.sort(np.asarray(periods))
    if n_never < 2:
        raise ParameterError(
            f"The 'n_never' parameter of {owner} must be at least 2. Got {n_never!r} instead."
        )
    bad = {g: J for g, J in cohorts.items()
           if isinstance(J, bool) or not isinstance(J, (int, np.integer)) or J < 1}
    if bad:
        raise ParameterError(
            f"The 'cohorts' parameter of {owner} must give each cohort a whole number of "
            f"clusters, at least 1. Got {bad!r} instead. Fix: give the number of clusters "
            "first treated in each period, and leave out periods in which none start."
        )
    sig2 = sd ** 2 * (1 - r2) * (icc + (1 - icc) / cluster_size)   # variance of a cluster mean
    var_t, var_c, wts = [], [], []
    for g, J in cohorts.items():
        m = int(np.sum(periods < g)) if base == "all" else min(1, int(np.sum(periods < g)))
        r = int(np.sum(periods >= g))
        if m == 0 or r == 0:
            continue
        k = (1 - autocorr) * (m + r) / (m * r)
        var_t.append(sig2 * k / J)
        var_c.append(sig2 * k / n_never)
        wts.append(J * r)
    if not wts:
        raise ParameterError(f"The 'cohorts' parameter of {owner} must include a cohort with "
                             "pre- and post-treatment periods. Got none.")
    w = np.array(wts, float) / np.sum(wts)
    # treated parts independent across cohorts; control parts shared (perfectly correlated)
    v = float(np.sum(w ** 2 * np.array(var_t)) + (np.sum(w * np.sqrt(var_c))) ** 2)
    return float(np.sqrt(v)), int(sum(cohorts.values()) + n_never)


def mde_staggered(
    cohorts: Mapping[int, int],
    n_never: int,
    periods: list[int] | np.ndarray,
    cluster_size: float,
    icc: float,
    *,
    autocorr: float = 0.0,
    r2: float = 0.0,
    takeup: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    sd: float = 1.0,
    base: Literal["short", "all"] = "short",
) -> float:
    """MDE of the simple (cohort-size-weighted) C&S ATT in a staggered roll-out.

    Parameters
    ----------
    cohorts : {first treated period: number of clusters}
    n_never : never-treated clusters
    periods : survey periods
    base : ``"short"`` (C&S: one base period ``g-1`` per ATT(g,t), ``m = 1``) or ``"all"``
        (all pre-periods, as the imputation estimator).
    """
    _check("mde_staggered", cluster_size=cluster_size, icc=icc, autocorr=autocorr, r2=r2,
           takeup=takeup, alpha=alpha, power=power, sd=sd)
    se, J = _staggered_se(cohorts, n_never, periods, cluster_size, icc, autocorr, r2, sd, base,
                          "mde_staggered")
    return _multiplier(J - 2, alpha, power, True) * se / takeup


def power_staggered(
    effect: float,
    cohorts: Mapping[int, int],
    n_never: int,
    periods: list[int] | np.ndarray,
    cluster_size: float,
    icc: float,
    *,
    autocorr: float = 0.0,
    r2: float = 0.0,
    takeup: float = 1.0,
    alpha: float = 0.05,
    sd: float = 1.0,
    base: Literal["short", "all"] = "short",
) -> float:
    """Power of the two-sided test of the simple C&S ATT to detect ``effect``.

    The design and the variance are those of :func:`mde_staggered` (``t`` on ``J - 2``
    degrees of freedom, ``J`` all clusters), so ``power_staggered(mde_staggered(...), ...)``
    is the ``power`` the MDE was computed for.

    >>> mde = mde_staggered({2024: 20, 2025: 20}, 30, [2023, 2024, 2025], 80, 0.03,
    ...                     autocorr=0.5, sd=0.3)
    >>> round(power_staggered(mde, {2024: 20, 2025: 20}, 30, [2023, 2024, 2025], 80, 0.03,
    ...                       autocorr=0.5, sd=0.3), 3)
    0.8
    """
    _check("power_staggered", cluster_size=cluster_size, icc=icc, autocorr=autocorr, r2=r2,
           takeup=takeup, alpha=alpha, sd=sd)
    se, J = _staggered_se(cohorts, n_never, periods, cluster_size, icc, autocorr, r2, sd, base,
                          "power_staggered")
    df = J - 2
    lam = abs(effect) * takeup / se
    q = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.t.cdf(lam - q, df) + stats.t.cdf(-lam - q, df))


def intra_cluster_correlation(data: pd.DataFrame, *, y: str, cluster: str) -> float:
    """One-way ANOVA estimator of the intra-cluster correlation of ``y`` (Donner 1986).

    ``(MSB - MSW) / (MSB + (n0 - 1) MSW)`` with ``n0 = (N - sum n_j^2 / N) / (J - 1)`` for
    unequal cluster sizes; negative estimates are returned as 0. This is the ``rho`` of the
    power formulas. Do not derive it from the design effect of a weighted estimate, ``(deff -
    1) / (m - 1)``: that deff also holds the unequal-weighting and stratification effects
    and overstates ``rho`` (by 2-4 times on the demo survey).

    >>> d = pd.DataFrame({"v": [1, 1, 2, 2, 3, 3], "y": [0., 0., 1., 1., 0., 1.]})
    >>> round(intra_cluster_correlation(d, y="y", cluster="v"), 4)
    0.5
    """
    owner = "intra_cluster_correlation"
    for col in (y, cluster):
        if col not in data.columns:
            raise ParameterError(f"The '{'y' if col == y else 'cluster'}' parameter of {owner} "
                                 f"must name a column of data. Got {col!r} instead.")
    d = data[[y, cluster]].dropna()
    yv = d[y].to_numpy(dtype=float)
    codes, _ = pd.factorize(d[cluster])
    J, N = int(codes.max()) + 1 if len(codes) else 0, len(yv)
    require(J >= 2 and N > J, owner, "data", "at least two clusters and more rows than clusters",
            f"{J} clusters, {N} rows")
    nj = np.bincount(codes, minlength=J).astype(float)
    mj = np.bincount(codes, weights=yv, minlength=J) / nj
    msb = float(np.sum(nj * (mj - yv.mean()) ** 2) / (J - 1))
    msw = float(np.sum((yv - mj[codes]) ** 2) / (N - J))
    n0 = (N - float(np.sum(nj ** 2)) / N) / (J - 1)
    den = msb + (n0 - 1) * msw
    return float(max((msb - msw) / den, 0.0)) if den > 0 else 0.0


def simulate_power(
    estimate: Callable[[np.random.Generator, float], tuple[float, float]],
    effect: float,
    *,
    n_sims: int = 200,
    alpha: float = 0.05,
    seed: int | None = None,
) -> dict[str, float]:
    """Share of ``n_sims`` simulated studies that reject ``H0: effect = 0`` at ``alpha``.

    ``estimate(rng, effect)`` must simulate one data set with true effect ``effect`` and
    return ``(p_value, estimate)``.
    """
    rng = np.random.default_rng(seed)
    res = np.array([estimate(rng, effect) for _ in range(n_sims)])
    rej = res[:, 0] < alpha
    return {
        "power": float(rej.mean()),
        "mc_se": float(np.sqrt(rej.mean() * (1 - rej.mean()) / n_sims)),
        "mean_estimate": float(res[:, 1].mean()),
        "n_sims": n_sims,
    }
