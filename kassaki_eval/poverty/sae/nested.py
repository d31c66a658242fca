r"""The nested-error (one random intercept) linear mixed model, fitted by REML, vectorised.

:math:`y_{ij} = x_{ij}'\beta + u_i + e_{ij}`, :math:`u_i \sim N(0, \sigma_u^2)`,
:math:`e_{ij} \sim N(0, \sigma_e^2)` (Battese, Harter & Fuller 1988).

With :math:`\delta = \sigma_u^2 / \sigma_e^2` and :math:`\gamma_i = \delta n_i / (1 + \delta
n_i)`, every REML quantity is a function of the group sums of ``X`` and ``y``: the profile
REML criterion in :math:`\delta` costs ``O(m p^2)`` per evaluation after one ``O(n p)`` pass,
so the Box-Cox parameter can be chosen by REML (an outer 1-D search) in milliseconds.
Agreement with R lme4 (REML) is checked in ``tests/poverty/test_sae_ebp.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ...exceptions import IdentificationError

__all__ = ["NestedErrorFit", "GroupSums", "fit_nested_error"]


@dataclass(frozen=True)
class GroupSums:
    """Sufficient statistics of ``X`` for the nested-error model (independent of ``y``)."""

    groups: np.ndarray     # (n,) int codes 0..m-1
    n_i: np.ndarray        # (m,)
    Sx: np.ndarray         # (m, p) group sums of X
    XtX: np.ndarray        # (p, p)

    @classmethod
    def build(cls, X: np.ndarray, groups: np.ndarray, m: int) -> GroupSums:
        """Group sums of ``X`` for integer ``groups`` in ``0..m-1``."""
        n_i = np.bincount(groups, minlength=m).astype(float)
        Sx = np.zeros((m, X.shape[1]))
        np.add.at(Sx, groups, X)
        return cls(groups, n_i, Sx, X.T @ X)


@dataclass(frozen=True)
class NestedErrorFit:
    """REML fit of the nested-error model.

    Holds ``beta``, ``sigma2_u``, ``sigma2_e``, ``u`` (EBLUP random effects per group),
    ``gamma`` (shrinkage per group), ``reml_crit`` (-2 REML log-likelihood, lme4's REMLcrit),
    ``cov_beta`` and ``boundary`` (``sigma2_u`` at 0).
    """

    beta: np.ndarray
    sigma2_u: float
    sigma2_e: float
    u: np.ndarray
    gamma: np.ndarray
    reml_crit: float
    cov_beta: np.ndarray
    boundary: bool


def _profile(log_delta: float, gs: GroupSums, Sy: np.ndarray, Xty: np.ndarray, yty: float,
             N: int, p: int) -> tuple[float, np.ndarray, float, np.ndarray]:
    delta = np.exp(log_delta)
    n = gs.n_i
    c = delta / (1.0 + delta * n)                        # gamma_i / n_i
    XHX = gs.XtX - (gs.Sx * c[:, None]).T @ gs.Sx
    XHy = Xty - gs.Sx.T @ (c * Sy)
    yHy = yty - float(np.sum(c * Sy * Sy))
    L = np.linalg.cholesky(XHX)
    b = np.linalg.solve(L.T, np.linalg.solve(L, XHy))
    rHr = yHy - float(b @ XHy)
    s2e = rHr / (N - p)
    crit = ((N - p) * (1 + np.log(2 * np.pi * s2e)) + float(np.sum(np.log1p(delta * n)))
            + 2 * float(np.sum(np.log(np.diag(L)))))
    return crit, b, s2e, XHX


def fit_nested_error(y: np.ndarray, gs: GroupSums, X: np.ndarray | None = None,
                     *, bounds: tuple[float, float] = (-18.0, 9.0)) -> NestedErrorFit:
    """REML fit of the random-intercept model for response ``y``.

    ``X`` is required (``gs`` holds only its group sums). Maximises the profile REML over
    ``log delta``.
    """
    if X is None:
        raise ValueError("X is required")
    N, p = X.shape
    m = len(gs.n_i)
    if N - p <= 0:
        raise IdentificationError(f"nested-error model: {N} observations for {p} coefficients.")
    Sy = np.bincount(gs.groups, weights=y, minlength=m)
    Xty = X.T @ y
    yty = float(y @ y)
    args = (gs, Sy, Xty, yty, N, p)
    try:
        res = optimize.minimize_scalar(lambda t: _profile(t, *args)[0], bounds=bounds,
                                       method="bounded", options={"xatol": 1e-10,
                                                                  "maxiter": 500})
    except np.linalg.LinAlgError as e:
        raise IdentificationError("nested-error model: X'V^-1X is singular (collinear "
                                  "covariates). Fix: drop redundant covariates.") from e
    if not res.success:
        raise IdentificationError("nested-error model: the REML search did not converge "
                                  f"({res.message}). Fix: rescale the covariates or check the "
                                  "response transformation.")
    t = float(res.x)
    boundary = t <= bounds[0] + 1e-3
    if boundary:
        t = -np.inf
    crit, b, s2e, XHX = (_profile(t, *args) if np.isfinite(t)
                         else _profile_zero(gs, Sy, Xty, yty, N, p))
    delta = float(np.exp(t)) if np.isfinite(t) else 0.0
    n = gs.n_i
    gamma = delta * n / (1 + delta * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = np.where(n > 0, Sy / np.maximum(n, 1), 0.0)
        xbar = gs.Sx / np.maximum(n, 1)[:, None]
    u = gamma * (ybar - xbar @ b)
    return NestedErrorFit(beta=b, sigma2_u=delta * s2e, sigma2_e=s2e, u=u, gamma=gamma,
                          reml_crit=crit, cov_beta=s2e * np.linalg.inv(XHX), boundary=boundary)


def _profile_zero(gs: GroupSums, Sy: np.ndarray, Xty: np.ndarray, yty: float, N: int,
                  p: int) -> tuple[float, np.ndarray, float, np.ndarray]:
    L = np.linalg.cholesky(gs.XtX)
    b = np.linalg.solve(L.T, np.linalg.solve(L, Xty))
    s2e = (yty - float(b @ Xty)) / (N - p)
    crit = (N - p) * (1 + np.log(2 * np.pi * s2e)) + 2 * float(np.sum(np.log(np.diag(L))))
    return crit, b, s2e, gs.XtX
