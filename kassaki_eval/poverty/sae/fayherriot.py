r"""Area-level small-area estimation: the Fay-Herriot model (Fay & Herriot 1979).

For domain (village) :math:`d` the direct estimate :math:`\hat\theta_d` (possibly transformed)
with known sampling variance :math:`\psi_d` follows

.. math::  \hat\theta_d = x_d'\beta + u_d + e_d,\quad u_d \sim N(0, A),\
    e_d \sim N(0, \psi_d).

The EBLUP is :math:`\gamma_d \hat\theta_d + (1-\gamma_d) x_d'\hat\beta` with
:math:`\gamma_d = A / (A + \psi_d)`; out-of-sample domains get the synthetic
:math:`x_d'\hat\beta`.

- :math:`A` is fitted by REML or ML to the *exact* optimum: the root of the score is bracketed
  and solved by Brent's method to machine precision (R ``sae::mseFH`` stops Fisher scoring at a
  relative change of 1e-4 and emdi's ``optimize`` at about 1e-4 absolute, which is why their
  fixtures can differ from the exact optimum in the 5th digit; see tests/references/sae/).
- Analytic MSE: Prasad-Rao (REML) ``g1 + g2 + 2 g3``; Datta-Lahiri (ML) ``... - b B_d^2``;
  out-of-sample ``A + x Q x'`` (+ ``b`` for ML), as R ``emdi``.
- Transformations: ``log`` (``psi / theta^2``) with Slud-Maiti bias-corrected back-transformation
  and MSE, or emdi's "crude" ``exp(theta + mse/2)``; ``arcsin`` (``asin(sqrt(p))``, variance
  ``1 / (4 n_eff)``) with the bias-corrected back-transformation
  ``E[sin^2(theta) 1{0<theta<pi/2}]`` under the conditional normal (closed form via the complex
  error function, equal to emdi's numerical integral).
- Parametric bootstrap MSE (González-Manteiga et al. 2008) on the original scale for every
  transformation; ratio or difference benchmarking to a district total.

Example
-------
>>> import numpy as np, pandas as pd
>>> from kassaki_eval.poverty.sae import fay_herriot
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"area": range(30), "x": rng.normal(size=30)})
>>> df["psi"] = 0.5
>>> df["y"] = 1 + df["x"] + rng.normal(0, 1, 30) + rng.normal(0, 0.5 ** 0.5, 30)
>>> res = fay_herriot(df, "y", "psi", ["x"], domain="area", measure="mean")
>>> res.tidy()[["estimate", "mse", "method"]].shape
(30, 3)
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ...exceptions import (
    EstimationWarning,
    IdentificationError,
    ParameterError,
    check_option,
)
from ...results import EstimateResult, Provenance, hash_frame
from ._common import RSE_THRESHOLDS, assemble, design_matrix

__all__ = ["FHMethod", "FHTransformation", "arcsin_bias_corrected", "fay_herriot", "fh_fit"]

FHMethod = Literal["reml", "ml"]
FHTransformation = Literal["none", "log", "arcsin"]
FHBacktransformation = Literal["bias_corrected", "naive", "crude"]
FHMse = Literal["analytic", "bootstrap", "none"]
Benchmark = Literal["ratio", "difference"]


# ---------------------------------------------------------------------------------------------
# the model on the (transformed) scale
# ---------------------------------------------------------------------------------------------

def _gls(y: np.ndarray, X: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W = 1.0 / V
    XtWX = X.T @ (W[:, None] * X)
    Q = np.linalg.inv(XtWX)
    beta = Q @ (X.T @ (W * y))
    return beta, Q, y - X @ beta


def _score(A: float, y: np.ndarray, X: np.ndarray, psi: np.ndarray, method: str) -> float:
    V = A + psi
    W = 1.0 / V
    _, Q, r = _gls(y, X, V)
    quad = float(np.sum((W * r) ** 2))
    if method == "ml":
        return -0.5 * float(W.sum()) + 0.5 * quad
    trP = float(W.sum()) - float(np.trace(Q @ (X.T @ ((W * W)[:, None] * X))))
    return -0.5 * trP + 0.5 * quad


def _loglik(A: float, y: np.ndarray, X: np.ndarray, psi: np.ndarray, method: str) -> float:
    V = A + psi
    _, Q, r = _gls(y, X, V)
    m, p = X.shape
    ll = -0.5 * (np.sum(np.log(V)) + np.sum(r * r / V))
    if method == "reml":
        ll += 0.5 * np.linalg.slogdet(Q)[1] - 0.5 * (m - p) * np.log(2 * np.pi)
    else:
        ll -= 0.5 * m * np.log(2 * np.pi)
    return float(ll)


def fh_fit(y: np.ndarray, X: np.ndarray, psi: np.ndarray, method: FHMethod = "reml",
           *, maxiter: int = 200) -> dict[str, Any]:
    """Fit the Fay-Herriot variance ``A`` by REML or ML to the exact optimum.

    Returns a dict with ``A``, ``beta``, ``Q`` (``(X'V^-1X)^-1``), ``loglik``, ``boundary`` (the
    optimum is ``A = 0``) and ``iterations``. Raises :class:`IdentificationError` when the score
    has no root (likelihood increasing without bound).
    """
    check_option("fh_fit", "method", method, ("reml", "ml"))
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    psi = np.asarray(psi, float)
    s0 = _score(0.0, y, X, psi, method)
    if s0 <= 0:
        A, it, boundary = 0.0, 0, True
    else:
        hi = max(float(np.var(y)), float(np.max(psi)), 1e-12)
        k = 0
        while _score(hi, y, X, psi, method) > 0:
            hi *= 4.0
            k += 1
            if k > 200:
                raise IdentificationError(
                    "Fay-Herriot: the (RE)ML score for the random-effect variance stays positive; "
                    "the model does not converge. Fix: check the sampling variances (are they "
                    "on the scale of the direct estimates?) and the covariates.")
        A, res = optimize.brentq(_score, 0.0, hi, args=(y, X, psi, method), xtol=1e-300,
                                 rtol=4 * np.finfo(float).eps, maxiter=maxiter, full_output=True)
        if not res.converged:  # pragma: no cover - brentq raises before
            raise IdentificationError("Fay-Herriot: the variance search did not converge.")
        it, boundary = res.iterations, False
        # the score can have several roots; keep the global maximum against the boundary
        if _loglik(0.0, y, X, psi, method) > _loglik(A, y, X, psi, method):
            A, boundary = 0.0, True
    beta, Q, _ = _gls(y, X, A + psi)
    return {"A": float(A), "beta": beta, "Q": Q, "loglik": _loglik(A, y, X, psi, method),
            "boundary": boundary, "iterations": it, "method": method}


def _analytic_mse(A: float, X: np.ndarray, psi: np.ndarray, Q: np.ndarray, X_out: np.ndarray,
                  method: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Prasad-Rao (REML) or Datta-Lahiri (ML) MSE, in-sample and out-of-sample (emdi's forms)."""
    V = A + psi
    Vi = 1.0 / V
    B = psi * Vi
    g1 = psi * (1.0 - B)
    g2 = B ** 2 * np.einsum("ij,jk,ik->i", X, Q, X)
    varA = 2.0 / np.sum(Vi ** 2)
    g3 = B ** 2 * varA * Vi
    mse_in = g1 + g2 + 2.0 * g3
    h_out = np.einsum("ij,jk,ik->i", X_out, Q, X_out)
    b = 0.0
    if method == "ml":
        b = -float(np.trace(Q @ (X.T @ ((Vi ** 2)[:, None] * X)))) / np.sum(Vi ** 2)
        mse_in = mse_in - b * B ** 2
    mse_out = A + b + h_out
    return mse_in, mse_out, b


def _slud_maiti_mse(A: float, X: np.ndarray, psi: np.ndarray, Q: np.ndarray,
                    beta: np.ndarray) -> np.ndarray:
    """Slud & Maiti (2006) MSE of the bias-corrected exp back-transformation (emdi's formula)."""
    nu = X @ beta
    tau = A + psi
    gam = A / tau
    h = np.einsum("ij,jk,ik->i", X, Q, X)
    vs = 2.0 / np.sum(1.0 / tau ** 2)
    S = np.sum(h / tau ** 2)
    r2 = psi ** 2 / tau ** 2
    e = np.exp(-gam * psi)
    big = np.exp(2 * nu + A * (1 + gam))
    base = np.exp(2 * (nu + A))
    return (base * (1 - e) + r2 * big * h + vs * r2 * big * (0.25 * (1 + 3 * gam) ** 2 + 1 / tau)
            - base * (2 * (1 - e) * h - vs * (2 + (r2 - 2) * e) * S
                      + vs * (2 + (2 * r2 - 2) * e - (psi ** 2 / tau ** 3) * e
                              * (1 + psi ** 2 / (2 * tau)))))


def arcsin_bias_corrected(mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """``∫_0^{π/2} sin²(x) φ(x; mu, var) dx``: emdi's bias-corrected arcsin back-transformation.

    Closed form: ``sin² = (1 - cos 2x)/2`` and the Gaussian integral of ``cos 2x`` over an
    interval is the real part of a complex normal CDF (scipy's complex ``erf``).
    """
    mu = np.asarray(mu, float)
    s = np.sqrt(np.asarray(var, float))
    out = np.sin(np.clip(mu, 0, np.pi / 2)) ** 2
    ok = s > 0
    if ok.any():
        m, sd = mu[ok], s[ok]
        a, b = (0.0 - m) / sd, (np.pi / 2 - m) / sd

        def Phi(z: Any) -> Any:
            return 0.5 * (1 + special.erf(z / np.sqrt(2)))

        k = 2 * sd
        mass = stats.norm.cdf(b) - stats.norm.cdf(a)
        cos_part = np.real(np.exp(2j * m - 0.5 * k * k) * (Phi(b - 1j * k) - Phi(a - 1j * k)))
        out[ok] = 0.5 * mass - 0.5 * cos_part
    return out


# ---------------------------------------------------------------------------------------------

def _transform(theta: np.ndarray, psi: np.ndarray, transformation: str,
               n_eff: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if transformation == "none":
        return theta, psi
    if transformation == "log":
        return np.log(theta), psi / theta ** 2
    assert n_eff is not None  # checked by the caller
    return np.arcsin(np.sqrt(theta)), np.asarray(1.0 / (4.0 * n_eff), dtype=float)


class _Backtransform:
    """Back-transformation of EBLUPs to the original scale (vectorised over replicates)."""

    def __init__(self, transformation: str, kind: str) -> None:
        self.t, self.kind = transformation, kind

    def point(self, eblup: np.ndarray, cvar: np.ndarray, mse_t: np.ndarray) -> np.ndarray:
        """``cvar``: conditional variance A(1-gamma) in-sample, A out-of-sample (transformed)."""
        if self.t == "none":
            return eblup
        if self.t == "log":
            if self.kind == "naive":
                return np.exp(eblup)
            if self.kind == "crude":
                return np.exp(eblup + 0.5 * mse_t)
            return np.exp(eblup + 0.5 * cvar)
        if self.kind == "naive":
            return np.sin(np.clip(eblup, 0, np.pi / 2)) ** 2
        return arcsin_bias_corrected(eblup, cvar)

    def truth(self, theta: np.ndarray) -> np.ndarray:
        if self.t == "none":
            return theta
        if self.t == "log":
            return np.exp(theta)
        return np.sin(np.clip(theta, 0, np.pi / 2)) ** 2


def _fh_core(y: np.ndarray, X: np.ndarray, psi: np.ndarray, Xo: np.ndarray, method: str,
             A_fixed: float | None) -> dict[str, Any]:
    if A_fixed is None:
        fit = fh_fit(y, X, psi, method)  # type: ignore[arg-type]
    else:
        beta, Q, _ = _gls(y, X, A_fixed + psi)
        fit = {"A": float(A_fixed), "beta": beta, "Q": Q, "boundary": A_fixed == 0,
               "loglik": _loglik(A_fixed, y, X, psi, method), "iterations": 0, "method": method}
    A = fit["A"]
    gam = A / (A + psi)
    fit["gamma"] = gam
    fit["eblup_in"] = gam * y + (1 - gam) * (X @ fit["beta"])
    fit["eblup_out"] = Xo @ fit["beta"]
    return fit


def fay_herriot(
    data: pd.DataFrame,
    direct: str,
    vardir: str,
    covariates: Sequence[str],
    *,
    domain: str = "village_code",
    method: FHMethod = "reml",
    transformation: FHTransformation = "none",
    backtransformation: FHBacktransformation = "bias_corrected",
    n_eff: str | None = None,
    mse: FHMse = "analytic",
    B: int = 200,
    seed: int | None = None,
    benchmark: float | None = None,
    benchmark_weight: str | None = None,
    benchmark_kind: Benchmark = "ratio",
    sigma2_u: float | None = None,
    intercept: bool = True,
    n_obs: str | None = None,
    measure: str = "p0",
    rse_thresholds: tuple[float, float] = RSE_THRESHOLDS,
    alpha: float = 0.05,
) -> EstimateResult:
    """Fay-Herriot EBLUP for every domain of ``data`` (sampled or not) with its MSE.

    Parameters
    ----------
    data : DataFrame
        One row per domain. Domains without a sample have ``direct`` (and ``vardir``) missing
        and get the synthetic estimate ``x'beta``. Covariates must be present for all rows.
    direct, vardir : str
        Direct estimate and its sampling variance (on the original scale).
    covariates : sequence of str
        Numeric area-level covariates (an intercept is added unless ``intercept=False``).
    domain : str
        Domain id column (``village_code`` adds name, kecamatan and zone from the reference).
    method : {"reml", "ml"}
    transformation : {"none", "log", "arcsin"}
        ``arcsin`` needs ``n_eff`` (effective sample size: ``psi = 1 / (4 n_eff)``).
    backtransformation : {"bias_corrected", "naive", "crude"}
        ``log``: Slud-Maiti (in-sample; ``exp(eta + A/2)`` out-of-sample), naive ``exp``, or emdi's
        crude ``exp(eta + mse/2)``. ``arcsin``: the truncated-normal integral or naive ``sin^2``.
    mse : {"analytic", "bootstrap", "none"}
        ``analytic``: Prasad-Rao (REML) / Datta-Lahiri (ML) on the transformed scale; for ``log``
        Slud-Maiti (bias-corrected) or ``point^2 * mse`` (crude/naive); not available for
        ``arcsin`` (use ``bootstrap``). ``bootstrap``: parametric bootstrap with ``B`` replicates
        on the original scale (González-Manteiga et al. 2008).
    benchmark : float, optional
        District value the weighted estimates must add up to (e.g. the direct district P0),
        with weights ``benchmark_weight`` (e.g. persons per village, normalised to sum 1).
        ``ratio`` scales estimates (MSE scaled by the factor squared); ``difference`` shifts them
        (MSE unchanged). Neither adds the benchmarking term to the MSE (a stated approximation).
    sigma2_u : float, optional
        Fix the random-effect variance instead of estimating it (for reproducing published runs).
    n_obs : str, optional
        Column with the sampled households per domain (reported as ``n_obs``).

    Returns
    -------
    EstimateResult
        One row per domain: fixed tidy columns, then the domain id (and name, kec_code,
        kecamatan, zone for villages), ``measure, mse, cv, method`` (``FH`` or ``synthetic``),
        ``reliability`` (RSE classes), ``direct, direct_var, gamma, in_sample``. Intervals are
        ``estimate ± z sqrt(mse)`` without a transformation; with one they are computed on the
        transformed scale and back-transformed (so they stay inside [0, 1] for arcsin).
        ``extras``: ``A`` (sigma2_u), ``beta``, ``loglik``, ``boundary``, ``bootstrap_mse``.
    """
    owner = "fay_herriot"
    check_option(owner, "method", method, ("reml", "ml"))
    check_option(owner, "transformation", transformation, ("none", "log", "arcsin"))
    check_option(owner, "backtransformation", backtransformation,
                 ("bias_corrected", "naive", "crude"))
    check_option(owner, "mse", mse, ("analytic", "bootstrap", "none"))
    check_option(owner, "benchmark_kind", benchmark_kind, ("ratio", "difference"))
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"The 'data' parameter of {owner} must be a DataFrame with one row "
                             f"per domain. Got {type(data).__name__} instead.")
    for name, col in (("direct", direct), ("vardir", vardir), ("domain", domain),
                      ("n_eff", n_eff), ("benchmark_weight", benchmark_weight), ("n_obs", n_obs)):
        if col is not None and col not in data.columns:
            raise ParameterError(f"The '{name}' parameter of {owner} must name a column of the "
                                 f"area table. Got {col!r} instead.")
    if transformation == "arcsin" and n_eff is None:
        raise ParameterError(f"The 'n_eff' parameter of {owner} must name the effective sample "
                             "size column when transformation='arcsin'. Got None instead.")
    if transformation == "arcsin" and mse == "analytic":
        raise ParameterError(f"The 'mse' parameter of {owner} must be 'bootstrap' or 'none' with "
                             "transformation='arcsin' (no analytic MSE on the proportion scale). "
                             "Got 'analytic' instead.")
    if transformation == "none" and backtransformation != "bias_corrected":
        backtransformation = "bias_corrected"  # nothing to back-transform
    if transformation == "arcsin" and backtransformation == "crude":
        raise ParameterError(f"The 'backtransformation' parameter of {owner} must be "
                             "'bias_corrected' or 'naive' with arcsin. Got 'crude' instead.")
    if data[domain].duplicated().any():
        dup = data.loc[data[domain].duplicated(), domain].tolist()
        raise ParameterError(f"area table: column '{domain}' has {len(dup)} duplicated domains "
                             f"(e.g. {', '.join(map(str, dup[:5]))}); one row per domain.")
    X_all = design_matrix(data, covariates, owner, "the area table", intercept)
    bad_x = ~np.isfinite(X_all).all(axis=1)
    if bad_x.any():
        ex = data.loc[bad_x, domain].tolist()[:5]
        raise ParameterError(f"area table: {int(bad_x.sum())} domains have missing covariates "
                             f"(e.g. {', '.join(map(str, ex))}). Fix: covariates are needed for "
                             "every domain, sampled or not.")
    theta = pd.to_numeric(data[direct], errors="coerce").to_numpy(float)
    psi = pd.to_numeric(data[vardir], errors="coerce").to_numpy(float)
    ins = np.isfinite(theta)
    if (ins & ~np.isfinite(psi)).any() or (ins & (psi < 0)).any():
        m = ins & (~np.isfinite(psi) | (psi < 0))
        raise ParameterError(f"area table: column '{vardir}' is missing or negative for "
                             f"{int(m.sum())} sampled domains (e.g. "
                             f"{', '.join(map(str, data.loc[m, domain].tolist()[:5]))}). Fix: "
                             "give the sampling variance of every direct estimate.")
    if transformation == "log" and (theta[ins] <= 0).any():
        m = ins & ~(theta > 0)
        raise ParameterError(f"area table: the log transformation needs direct > 0; "
                             f"{int(m.sum())} domains are <= 0 (e.g. "
                             f"{', '.join(map(str, data.loc[m, domain].tolist()[:5]))}).")
    neff = None
    if n_eff is not None:
        neff = pd.to_numeric(data[n_eff], errors="coerce").to_numpy(float)
    if transformation == "arcsin":
        if ((theta[ins] < 0) | (theta[ins] > 1)).any():
            raise ParameterError(f"area table: the arcsin transformation needs direct in [0, 1]; "
                                 f"column '{direct}' has values outside.")
        if not (np.isfinite(neff[ins]) & (neff[ins] > 0)).all():  # type: ignore[index]
            raise ParameterError(f"area table: column '{n_eff}' must be > 0 for every sampled "
                                 "domain.")
    if transformation == "none":
        zero = ins & (psi <= 0)
        if zero.any():
            raise ParameterError(
                f"area table: column '{vardir}' is 0 for {int(zero.sum())} sampled domains (e.g. "
                f"{', '.join(map(str, data.loc[zero, domain].tolist()[:5]))}): a direct estimate "
                "with no sampling error (all or no households poor?). Fix: smooth the variances "
                "(direct_estimates(..., smooth='few')) or use transformation='arcsin'.")
    m_in = int(ins.sum())
    p = X_all.shape[1]
    if m_in <= p:
        raise IdentificationError(f"{owner}: {m_in} sampled domains for {p} coefficients; the "
                                  "model is not identified. Fix: fewer covariates.")
    if np.linalg.matrix_rank(X_all[ins]) < p:
        raise IdentificationError(f"{owner}: the covariates of the sampled domains are collinear "
                                  f"(rank {np.linalg.matrix_rank(X_all[ins])} < {p}). Fix: drop "
                                  "redundant covariates.")
    y_t, psi_t = _transform(theta[ins], psi[ins], transformation,
                            None if neff is None else neff[ins])
    X, Xo = X_all[ins], X_all[~ins]
    fit = _fh_core(y_t, X, psi_t, Xo, method, sigma2_u)
    A, Q, beta = fit["A"], fit["Q"], fit["beta"]
    if fit["boundary"] and sigma2_u is None:
        warnings.warn(f"{owner}: the {method.upper()} estimate of the random-effect variance is "
                      "0: every EBLUP equals the synthetic estimate x'beta. The covariates explain "
                      "all between-domain variation or the sampling variances are too large.",
                      EstimationWarning, stacklevel=2)
    mse_in_t, mse_out_t, b_dl = _analytic_mse(A, X, psi_t, Q, Xo, method)
    cvar_in = A * (1 - fit["gamma"])
    cvar_out = np.full(len(Xo), A)
    bt = _Backtransform(transformation, backtransformation)
    est = np.empty(len(data))
    est[ins] = bt.point(fit["eblup_in"], cvar_in, mse_in_t)
    est[~ins] = bt.point(fit["eblup_out"], cvar_out, mse_out_t)
    eta: np.ndarray | None = np.empty(len(data))
    eta[ins], eta[~ins] = fit["eblup_in"], fit["eblup_out"]  # type: ignore[index]
    mse_t = np.empty(len(data))
    mse_t[ins], mse_t[~ins] = mse_in_t, mse_out_t
    mse_v = np.full(len(data), np.nan)
    mse_label = "none"
    if mse == "analytic":
        mse_label = "Prasad-Rao" if method == "reml" else "Datta-Lahiri"
        if transformation == "none":
            mse_v = mse_t.copy()
        elif backtransformation == "bias_corrected":
            mse_v[ins] = _slud_maiti_mse(A, X, psi_t, Q, beta)
            mse_v[~ins] = est[~ins] ** 2 * mse_out_t
            mse_label = f"Slud-Maiti (in-sample), point^2 x {mse_label} (out-of-sample)"
        else:
            mse_v = est ** 2 * mse_t
            mse_label = f"point^2 x {mse_label}"
    boot = None
    if mse == "bootstrap":
        boot = _bootstrap_mse(X_all, ins, psi_t, A, beta, method, bt, B, seed, sigma2_u)
        mse_v = boot
        mse_label = f"parametric bootstrap (B={B})"
    bench_factor = None
    if benchmark is not None:
        if benchmark_weight is None:
            raise ParameterError(f"The 'benchmark_weight' parameter of {owner} must name the "
                                 "domain weight column (e.g. persons) when 'benchmark' is given. "
                                 "Got None instead.")
        wts = pd.to_numeric(data[benchmark_weight], errors="coerce").to_numpy(float)
        wts = wts / wts.sum()
        agg = float(np.sum(wts * est))
        if benchmark_kind == "ratio":
            bench_factor = benchmark / agg
            est = est * bench_factor
            mse_v = mse_v * bench_factor ** 2
            eta = None  # intervals on the original scale after benchmarking
        else:
            bench_factor = benchmark - agg
            est = est + bench_factor
            eta = None
    # intervals
    z = stats.norm.ppf(1 - alpha / 2)
    own = None
    if transformation != "none" and eta is not None and mse != "none":
        # delta-method scale of the transformed-scale interval width
        half = z * np.sqrt(np.maximum(mse_t, 0))
        lo_t, hi_t = eta - half, eta + half
        own = (bt.truth(lo_t), bt.truth(hi_t))
    elif transformation == "arcsin" or mse == "none":
        se = np.sqrt(np.maximum(mse_v, 0))
        own = (np.clip(est - z * se, 0, 1) if transformation == "arcsin" else est - z * se,
               np.clip(est + z * se, 0, 1) if transformation == "arcsin" else est + z * se)
    n_o = (pd.to_numeric(data[n_obs], errors="coerce").fillna(0).to_numpy()
           if n_obs is not None else ins.astype(np.int64))
    direct_var = np.where(ins, psi, np.nan)
    gamma_all = np.zeros(len(data))
    gamma_all[ins] = fit["gamma"]
    prov = Provenance(
        method=f"fay_herriot_{method}",
        options={"direct": direct, "vardir": vardir, "covariates": list(covariates),
                 "method": method, "transformation": transformation,
                 "backtransformation": backtransformation, "mse": mse_label, "B": B,
                 "seed": seed, "benchmark": benchmark, "benchmark_kind": benchmark_kind,
                 "sigma2_u_fixed": sigma2_u, "rse_thresholds": rse_thresholds},
        inputs_hash=hash_frame(data), n_input=len(data), n_used=m_in,
        dropped=({"no direct estimate (synthetic x'beta)": int((~ins).sum())}
                 if (~ins).any() else {}),
    )
    extras = {"A": A, "beta": pd.Series(beta, index=(["(Intercept)"] if intercept else [])
                                        + list(covariates)),
              "loglik": fit["loglik"], "boundary": fit["boundary"], "mse_transformed": mse_t,
              "eta": eta if eta is not None else None, "bootstrap_mse": boot,
              "benchmark_factor": bench_factor, "dl_bias": b_dl,
              "model_scale": {"std_residuals": (y_t - X @ beta) / np.sqrt(A + psi_t),
                              "random_effects": fit["eblup_in"] - X @ beta}}
    return assemble(
        domains=data[domain].tolist(), measure=measure, estimate=est, mse=mse_v, n_obs=n_o,
        method=np.where(ins, "FH", "synthetic").tolist(),
        extra={"direct": np.where(ins, theta, np.nan), "direct_var": direct_var,
               "gamma": gamma_all, "in_sample": ins},
        conf_alpha=alpha, provenance=prov, own=own, extras=extras,
        title=f"Fay-Herriot ({method.upper()}, {transformation}) {measure}",
        domain_name=domain, rse_thresholds=rse_thresholds)


def _bootstrap_mse(X_all: np.ndarray, ins: np.ndarray, psi_t: np.ndarray, A: float,
                   beta: np.ndarray, method: str, bt: _Backtransform, B: int, seed: int | None,
                   sigma2_u: float | None) -> np.ndarray:
    """Parametric bootstrap MSE (González-Manteiga et al. 2008) on the original scale."""
    if not (isinstance(B, (int, np.integer)) and B >= 1):
        raise ParameterError(f"The 'B' parameter of fay_herriot must be an int >= 1. Got {B!r} "
                             "instead.")
    rng = np.random.default_rng(seed)
    M = len(X_all)
    X, Xo = X_all[ins], X_all[~ins]
    acc = np.zeros(M)
    n_fail = 0
    for _ in range(int(B)):
        theta_t = X_all @ beta + rng.normal(0.0, np.sqrt(A), M)
        y_b = theta_t[ins] + rng.normal(0.0, np.sqrt(psi_t))
        try:
            f = _fh_core(y_b, X, psi_t, Xo, method, sigma2_u)
        except IdentificationError:
            n_fail += 1
            continue
        mse_in, mse_out, _ = _analytic_mse(f["A"], X, psi_t, f["Q"], Xo, method)
        est = np.empty(M)
        est[ins] = bt.point(f["eblup_in"], f["A"] * (1 - f["gamma"]), mse_in)
        est[~ins] = bt.point(f["eblup_out"], np.full(len(Xo), f["A"]), mse_out)
        acc += (est - bt.truth(theta_t)) ** 2
    if n_fail:
        warnings.warn(f"fay_herriot: {n_fail} of {B} bootstrap replicates did not converge and "
                      "were skipped.", EstimationWarning, stacklevel=3)
    return acc / max(int(B) - n_fail, 1)
