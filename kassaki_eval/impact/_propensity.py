"""The propensity score: one weighted logit, overlap checks and trimming rules (internal).

Used by :mod:`~kassaki_eval.impact.weighting`, :mod:`~kassaki_eval.impact.matching`,
:mod:`~kassaki_eval.impact.balance` and the doubly robust / IPW cells of
:func:`~kassaki_eval.impact.staggered.callaway_santanna`.

:func:`fit_logit` is the package's only logistic regression. Behaviour, chosen once:

- Newton-Raphson on the (survey-)weighted log-likelihood, weights rescaled to mean 1 (the
  estimate does not depend on their scale), started at the intercept-only fit;
- a step that would lower the log-likelihood is halved (up to 30 times); the log-likelihood is
  evaluated at the linear predictor as is, while for the probabilities (score and Hessian) the
  linear predictor is clipped to ``[-35, 35]`` (they stay inside ``[6e-16, 1 - 6e-16]``, no
  overflow),
  and ``1e-12`` is added to the Hessian's diagonal so that a step stays defined when columns
  are collinear (the fitted probabilities depend only on the column space);
- convergence: the largest coefficient change below ``tol * (1 + max |coef|)``
  (``tol = 1e-10``), at most ``maxiter = 50`` steps.

Under complete or quasi-complete separation the maximum-likelihood estimate does not exist:
the coefficients grow without bound (about one unit of the linear predictor per step), Newton
does not converge and the separated units' fitted probabilities reach 0 or 1. When both hold
(no convergence, and some fitted probability within ``1e-6`` of 0 or 1) :func:`fit_logit`
emits an :class:`~kassaki_eval.exceptions.EstimationWarning` naming how many units are at 0
and at 1 (R's ``glm`` warns "fitted probabilities numerically 0 or 1 occurred" in the same
situation) and returns the last iterate. (Collinear columns, e.g. village dummies nested in
zone dummies, also stop the coefficients from converging, but the fitted probabilities are
then unique and unaffected: no warning.) What to do
with scores at 0 or 1 is the caller's decision (IPW/AIPW/matching refuse units without
overlap, see :func:`check_overlap`; Callaway-Sant'Anna clips to ``[1e-6, 1 - 1e-6]`` and trims
comparison units above 0.995 as DRDID does).

Before this module the package had two logits: this one (from ``weighting.py``) and a plain
Newton iteration in ``staggered.py`` (no step control, an error on a singular Hessian,
overflow under separation). Both converge to the same maximum-likelihood estimate when it
exists, so the numbers on the reference data are unchanged (checked to 1e-10).
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..exceptions import (
    EstimationWarning,
    IdentificationError,
    ParameterError,
    SchemaError,
    check_option,
)
from ._common import Prepared, TrimRule, subset

__all__ = ["PS_EPS", "LogitFit", "fit_logit", "standardise", "propensity_logit", "check_overlap",
           "fit_ps", "fit_ps_trim", "crump_alpha", "trim_mask"]

# A propensity below this (or above 1 minus it) counts as 0 or 1: the unit has no
# counterpart in the other arm and the weights explode.
PS_EPS = 1e-6


class LogitFit(NamedTuple):
    """Result of :func:`fit_logit`."""

    coef: np.ndarray
    fitted: np.ndarray
    converged: bool


def fit_logit(X1: np.ndarray, d: np.ndarray, w: np.ndarray, *, maxiter: int = 50,
              tol: float = 1e-10, owner: str = "propensity score") -> LogitFit:
    """Weighted logistic regression of ``d`` on ``X1`` (first column the intercept).

    See the module docstring for the algorithm and the behaviour under separation.

    Examples
    --------
    >>> import numpy as np
    >>> X1 = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> fit = fit_logit(X1, np.array([0.0, 1.0, 0.0, 1.0]), np.ones(4))
    >>> bool(fit.converged), fit.fitted.round(3).tolist()
    (True, [0.204, 0.388, 0.612, 0.796])
    >>> round(float(fit.fitted.sum()), 8)  # the intercept's score equation: sum p = sum d
    2.0
    """
    ws = w / w.mean()
    beta = np.zeros(X1.shape[1])
    # start at the weighted mean so the first step is well behaved
    pbar = np.clip(np.average(d, weights=ws), 1e-6, 1 - 1e-6)
    beta[0] = np.log(pbar / (1 - pbar))
    converged = False
    for _ in range(maxiter):
        lin = X1 @ beta
        eta = np.clip(lin, -35, 35)
        p = 1.0 / (1.0 + np.exp(-eta))
        g = X1.T @ (ws * (d - p))
        W = ws * p * (1 - p)
        H = (X1 * W[:, None]).T @ X1
        try:
            step = np.linalg.solve(H + 1e-12 * np.eye(H.shape[0]), g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        # halve the step when the log-likelihood would fall (separation makes steps huge). The
        # log-likelihood is taken at the unclipped linear predictor (logaddexp is exact for any
        # value): a clipped one is flat beyond +-35, so a unit of the wrong arm out there (a
        # treated unit at eta < -35) made every step towards the maximum look like a fall, and
        # 30 halvings later a step of 2^-30 passed the convergence test short of the maximum
        ll0 = np.sum(ws * (d * lin - np.logaddexp(0, lin)))
        t = 1.0
        for _ in range(30):
            nb = beta + t * step
            e2 = X1 @ nb
            ll1 = np.sum(ws * (d * e2 - np.logaddexp(0, e2)))
            if ll1 >= ll0 - 1e-12:
                break
            t /= 2
        beta = beta + t * step
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(beta))):
            converged = True
            break
    # the scores one column at a time, not X1 @ beta: a BLAS kernel sums a row differently by
    # its position, so units with the same covariates got scores an ulp apart on some
    # processors, and matching broke their ties in another order than MatchIt (data order)
    eta = X1[:, 0] * beta[0]
    for j in range(1, X1.shape[1]):
        eta = eta + X1[:, j] * beta[j]
    eta = np.clip(eta, -35, 35)
    p = 1.0 / (1.0 + np.exp(-eta))
    n0 = int(np.sum(p < PS_EPS))
    n1 = int(np.sum(p > 1 - PS_EPS))
    if not converged and n0 + n1:
        warnings.warn(
            f"{owner}: the logit did not converge in {maxiter} Newton steps; the covariates "
            f"(quasi-)separate treated and comparison units ({n0} units with a fitted "
            f"probability below {PS_EPS:g}, {n1} above 1 - {PS_EPS:g}), so the "
            "maximum-likelihood estimate does not exist and those scores are 0 or 1 up to the "
            "last step. Fix: drop or coarsen the covariate that separates the arms, or trim "
            "the sample to common support.", EstimationWarning, stacklevel=3)
    return LogitFit(beta, p, converged)


def standardise(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Centre and scale columns (weighted) so Newton steps are well conditioned.

    Constant columns are dropped (they are collinear with the intercept).
    """
    if X.shape[1] == 0:
        return X
    mu = np.average(X, axis=0, weights=w)
    sd = np.sqrt(np.average((X - mu) ** 2, axis=0, weights=w))
    ok = sd > 1e-12
    return (X[:, ok] - mu[ok]) / sd[ok]


def propensity_logit(X: np.ndarray, d: np.ndarray, w: np.ndarray,
                     owner: str = "propensity score") -> tuple[np.ndarray, np.ndarray]:
    """Fitted propensity of a covariate design without intercept, and the design used.

    The design used is the standardised one with intercept, ``[1, standardise(X)]``.
    """
    X1 = np.column_stack([np.ones(len(d)), standardise(X, w)])
    return fit_logit(X1, d.astype(float), w, owner=owner).fitted, X1


def check_overlap(e: np.ndarray, P: Prepared, owner: str, estimand: str = "ATE") -> None:
    """Refuse units with a propensity of (numerically) 0 or 1: they have no counterpart.

    For the ATT only treated units with e = 1 matter: comparison units with e = 0 merely get
    zero weight.
    """
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
            f"other arm and {owner} cannot identify the effect. Fix: trim the sample "
            "(trim='minmax' or 'crump'), drop the covariate that separates the arms perfectly, "
            "or restrict the estimand to the region of common support."
        )


def fit_ps(P: Prepared, owner: str, estimand: str = "ATE") -> tuple[np.ndarray, np.ndarray]:
    """Propensity scores and the standardised design with intercept used to fit them.

    Refuses units without overlap (:func:`check_overlap`).
    """
    e, X1 = propensity_logit(P.X, P.d, P.w, owner)
    check_overlap(e, P, owner, estimand)
    return e, X1


def fit_ps_trim(P: Prepared, owner: str, trim: TrimRule, ps: str | None,
                data: pd.DataFrame, estimand: str = "ATE"
                ) -> tuple[Prepared, np.ndarray, np.ndarray, str]:
    """Estimate (or read from column ``ps``) the propensity, trim, and re-estimate.

    The re-estimation uses the trimmed sample.
    """
    if ps is not None:
        e = data[ps].to_numpy(dtype=float)[P.rows]
        if not np.all(np.isfinite(e)):
            raise SchemaError(f"{P.table}: column '{ps}' has missing propensity scores.")
        check_overlap(e, P, owner, estimand)
        X1 = np.column_stack([np.ones(len(P.d)), standardise(P.X, P.w)])
    else:
        if trim is not None:
            # trimming needs a score first; estimate without the overlap check so that the
            # rule can remove the units with e in {0, 1}
            e, X1 = propensity_logit(P.X, P.d, P.w, owner)
        else:
            e, X1 = fit_ps(P, owner, estimand)
    keep, label = trim_mask(e, P.d, trim)
    if not keep.any():
        raise IdentificationError(
            f"{P.table}: trimming ({label}) keeps none of the {keep.size} rows: the treated and "
            f"comparison units' propensity scores do not overlap, so {owner} has no region of "
            "common support. Fix: drop or coarsen the covariate that separates the arms, or "
            "use another trimming rule.")
    if not keep.all():
        P = subset(P, keep, f"trimmed ({label})")
        if ps is not None:
            e = e[keep]
            X1 = X1[keep]
        else:
            e, X1 = fit_ps(P, owner, estimand)
    elif trim is not None and ps is None:
        check_overlap(e, P, owner, estimand)
    return P, e, X1, label


# --------------------------------------------------------------------------------------------
# trimming
# --------------------------------------------------------------------------------------------
def crump_alpha(e: np.ndarray) -> float:
    """Crump, Hotz, Imbens & Mitnik (2009, Biometrika 96(1)) optimal trimming threshold.

    Keep ``alpha <= e <= 1 - alpha`` where alpha solves
    ``1/(a(1-a)) = 2 E[1/(e(1-e)) | 1/(e(1-e)) <= 1/(a(1-a))]``; 0 when no trimming is
    optimal (``max 1/(e(1-e)) <= 2 E[1/(e(1-e))]``).
    """
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
