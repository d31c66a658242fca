"""Propensity-score nearest-neighbour matching for the ATT and the ATE.

:func:`ps_matching` matches each target unit (the treated for the ATT; every unit for the
ATE) to its ``k`` nearest neighbours of the other arm on the logit of the propensity score,
with an optional caliper (in standard deviations of the logit score; Austin 2011 recommends
0.2) and with or without replacement.

Survey weights (DuGoff, Schuler & Stuart 2014): the propensity score is a survey-weighted
logit; the imputed counterfactual of a target unit is the survey-weighted mean of its
matches; the estimand averages the target units with their survey weights, so it is the
population ATT/ATE.

Standard errors: Abadie & Imbens (2006, Econometrica 74(1)), eq. (14)-(15) for the population
ATT/ATE, written for survey weights. With ``a_i`` the normalised weight of target unit ``i``
and ``m_ij`` the weight of match ``j`` in ``i``'s imputation, and ``c_j`` the total weight of
unit ``j`` in the estimator,

``V = sum_i a_i^2 (Yhat1_i - Yhat0_i - tau)^2 + sum_j (c_j^2 - a_j^2 - sum_i a_i^2 m_ij^2) s2_j``

where ``s2_j`` is the conditional variance estimated by matching ``j`` to its ``J``
nearest units of its own arm (AI's ``J/(J+1) (Y_j - mean)^2``). With unit weights this is
AI's formula exactly. The propensity score is treated as known: Abadie & Imbens (2016,
Econometrica 84(2)) show this is conservative for the ATE; for the ATT the correction can go
either way. Without replacement the same formula is used (each comparison unit is used at
most once, so the second term is ~0), i.e. the matched sample is analysed as given
(the usual practice, cf. MatchIt's guidance).

Matching without replacement is greedy, best-first (target units with the highest
propensity first, as MatchIt's ``m.order = "largest"``); the loop runs over target units,
not over all households, and uses a skip list so each step is O(1) amortised.
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from ..exceptions import IdentificationError, ParameterError, require
from ..results import EstimateResult
from ..inference import influence_vcov as if_variance
from ._common import (
    Estimand, TrimRule, check_estimand as _check_estimand, estimand_result as _result,
    full_weights as _full_weights, outcome_of as _y, prepare, subset as _subset,
)
from ._propensity import fit_ps_trim as _fit_ps_trim

__all__ = ["ps_matching"]


def _knn(src: np.ndarray, dst: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest ``dst`` points of every ``src`` point (1-D). Returns (dist, idx)."""
    nn = NearestNeighbors(n_neighbors=min(k, dst.size)).fit(dst[:, None])
    dist, idx = nn.kneighbors(src[:, None])
    return dist, idx


def _greedy_without_replacement(src: np.ndarray, dst: np.ndarray, k: int,
                                caliper: float) -> np.ndarray:
    """Greedy 1:k matching without replacement on a 1-D score.

    Returns an (n_src, k) array of indices into ``dst`` (-1 = no match). Units are served
    best-first (highest score first); each takes the nearest still-free ``dst`` unit.
    """
    order_d = np.argsort(dst, kind="stable")
    sd = dst[order_d]
    n = sd.size
    free_right = np.arange(n + 1)   # next free position >= i (n = none)
    free_left = np.arange(-1, n)    # free_left[i+1] = previous free position <= i (-1 = none)

    def find_r(i: int) -> int:
        root = i
        while free_right[root] != root:
            root = free_right[root]
        while free_right[i] != root:  # path compression
            free_right[i], i = root, free_right[i]
        return root

    def find_l(i: int) -> int:  # i is a position in [-1, n-1]
        root = i
        while root >= 0 and free_left[root + 1] != root:
            root = free_left[root + 1]
        while i >= 0 and free_left[i + 1] != root:
            free_left[i + 1], i = root, free_left[i + 1]
        return root

    out = np.full((src.size, k), -1, dtype=np.int64)
    pos = np.searchsorted(sd, src)
    serve = np.argsort(-src, kind="stable")
    for r in range(k):
        for t in serve:
            p = pos[t]
            rgt = find_r(p) if p < n else n
            lft = find_l(p - 1)
            best = -1
            if rgt < n and lft >= 0:
                best = rgt if abs(sd[rgt] - src[t]) <= abs(src[t] - sd[lft]) else lft
            elif rgt < n:
                best = rgt
            elif lft >= 0:
                best = lft
            if best < 0 or abs(sd[best] - src[t]) > caliper:
                continue
            out[t, r] = order_d[best]
            free_right[best] = best + 1
            free_left[best + 1] = best - 1
    return out


def _same_arm_variance(score: np.ndarray, y: np.ndarray, d: np.ndarray, J: int,
                       residual: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Abadie-Imbens conditional variance by matching within the arm: J/(J+1)(Y - mean_J)^2,
    and the signed residual sqrt(J/(J+1)) (Y - mean_J)."""
    s2 = np.zeros(y.size)
    res = np.zeros(y.size)
    for arm in (0, 1):
        idx = np.flatnonzero(d == arm)
        if idx.size < 2:
            continue
        Jm = min(J, idx.size - 1)
        _, nb = _knn(score[idx], score[idx], Jm + 1)
        # drop self; with ties self may not come first, so drop it wherever it is and else
        # drop the last neighbour, keeping exactly Jm
        self_pos = nb == np.arange(idx.size)[:, None]
        drop = np.where(self_pos.any(1), self_pos.argmax(1), Jm)
        keepm = np.ones(nb.shape, dtype=bool)
        keepm[np.arange(idx.size), drop] = False
        ybar = y[idx][nb[keepm].reshape(idx.size, Jm)].mean(axis=1)
        dev = y[idx] - ybar
        s2[idx] = Jm / (Jm + 1) * dev ** 2
        res[idx] = np.sqrt(Jm / (Jm + 1)) * dev
    return s2, res


def ps_matching(
    data: pd.DataFrame, *, y: str, treatment: str, covariates: Sequence[str],
    estimand: Estimand = "ATT", k: int = 1, replace: bool = True,
    caliper: float | None = None, weights: str | None = None, cluster: str | None = None,
    trim: TrimRule = None, ps: str | None = None, var_matches: int = 1,
    alpha: float = 0.05,
) -> EstimateResult:
    """Propensity-score nearest-neighbour matching estimate of the ATT or ATE.

    Parameters
    ----------
    data : DataFrame
    y, treatment, covariates : str, str, list of str
        Outcome, binary (0/1) treatment and the covariates of the propensity model.
    estimand : {"ATT", "ATE"}
    k : int
        Neighbours per target unit.
    replace : bool
        Match with replacement (a comparison unit can serve several target units).
    caliper : float, optional
        Maximum distance in standard deviations of the logit propensity; target units with
        no neighbour within it are dropped (counted in provenance ``dropped``).
    weights, cluster : str, optional
        Survey weight and PSU columns. With ``cluster`` the Abadie-Imbens variance is replaced
        by a clustered linearised variance of the same linear form (conditional-variance
        term omitted).
    trim : rule, optional
        Propensity trimming before matching (see :func:`kassaki_eval.impact.balance.trimming_table`).
    ps : str, optional
        Column holding a propensity score computed elsewhere.
    var_matches : int
        ``J``, own-arm neighbours for the conditional variance (Abadie-Imbens).
    alpha : float

    Returns
    -------
    EstimateResult
        One row with ``n_treated``, ``n_control``, ``n_matched_controls`` (distinct
        comparison units used) and extras ``matches`` (row positions), ``propensity``,
        ``balance_weights``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> df = pd.DataFrame({"x": rng.normal(size=3000)})
    >>> df["d"] = (rng.uniform(size=3000) < 1 / (1 + np.exp(1 - df.x))).astype(int)
    >>> df["y"] = 1.0 * df.d + df.x + rng.normal(size=3000)
    >>> r = ps_matching(df, y="y", treatment="d", covariates=["x"], caliper=0.2)
    >>> abs(r["ATT"] - 1) < 0.25
    True
    """
    owner = "ps_matching"
    _check_estimand(estimand, owner)
    require(isinstance(k, (int, np.integer)) and k >= 1, owner, "k", "an integer >= 1", k)
    require(isinstance(var_matches, (int, np.integer)) and var_matches >= 1, owner,
            "var_matches", "an integer >= 1", var_matches)
    require(caliper is None or (isinstance(caliper, (int, float)) and caliper > 0), owner,
            "caliper", "None or a positive number (sd of the logit propensity)", caliper)
    if not replace and estimand == "ATE":
        raise ParameterError(f"The 'replace' parameter of {owner} must be True when "
                             "estimand='ATE' (every unit is matched, so comparison units must "
                             "be reused). Got False instead.")
    P = prepare(data, owner, y=y, treatment=treatment, covariates=covariates,
                weights=weights, cluster=cluster)
    P, e, _, label = _fit_ps_trim(P, owner, trim, ps, data, estimand)
    score = np.log(e / (1 - e))
    cal = np.inf if caliper is None else float(caliper) * float(np.std(score))
    d = P.d.astype(bool)

    # --- match: for each target unit, k neighbours in the other arm ---------------------
    n = len(d)
    targets_arms = [1] if estimand == "ATT" else [1, 0]
    match_idx = np.full((n, k), -1, dtype=np.int64)   # positions in the sample
    for arm in targets_arms:
        src = np.flatnonzero(d == arm)
        dst = np.flatnonzero(d != arm)
        if dst.size < k and replace:
            raise IdentificationError(f"{P.table}: only {dst.size} units in the "
                                      f"{'comparison' if arm else 'treated'} arm; k={k} "
                                      "neighbours cannot be found. Fix: lower k.")
        if replace:
            dist, nb = _knn(score[src], score[dst], k)
            loc = np.where(dist <= cal, dst[nb], -1)
        else:
            if dst.size < src.size * k:
                import warnings
                from ..exceptions import EstimationWarning
                warnings.warn(f"{owner}: {src.size} treated need {src.size * k} comparison "
                              f"units without replacement but only {dst.size} exist; the "
                              "unmatched treated are dropped.", EstimationWarning, stacklevel=2)
            loc_d = _greedy_without_replacement(score[src], score[dst], k, cal)
            loc = np.where(loc_d >= 0, dst[np.clip(loc_d, 0, None)], -1)
        match_idx[src] = loc
    is_target = d.copy() if estimand == "ATT" else np.ones(n, dtype=bool)
    # drop target units without any match inside the caliper (this changes the estimand:
    # the effect is for the matched target units). Under the ATE a dropped unit may have
    # served as somebody's match; those links are removed too, until nothing changes.
    keep = np.ones(n, dtype=bool)
    while True:
        mi_ok = (match_idx >= 0) & keep[np.clip(match_idx, 0, None)]
        newly = keep & is_target & ~mi_ok.any(axis=1)
        if not newly.any():
            break
        keep &= ~newly
    if not keep.all():
        old_to_new = np.cumsum(keep) - 1
        match_idx = np.where(mi_ok, old_to_new[np.clip(match_idx, 0, None)], -1)[keep]
        P = _subset(P, keep, "no match within caliper")
        score, e, is_target = score[keep], e[keep], is_target[keep]
        d = P.d.astype(bool)
        n = len(d)

    yv, w = _y(P), P.w
    valid = match_idx >= 0
    mi = np.clip(match_idx, 0, None)
    mw = np.where(valid, w[mi], 0.0)                      # survey weights of matches
    m = mw / mw.sum(axis=1, keepdims=True).clip(min=1e-300)  # m_ij (rows sum to 1)
    yhat_other = np.sum(m * yv[mi], axis=1)
    yhat1 = np.where(d, yv, yhat_other)
    yhat0 = np.where(d, yhat_other, yv)
    a = np.where(is_target, w, 0.0)
    a = a / a.sum()
    tau = float(np.sum(a * (yhat1 - yhat0)))

    # total weight c_j of every unit in the estimator (signed by arm)
    contrib = (a[:, None] * m)[valid]
    used = mi[valid]
    c_use = np.bincount(used, weights=contrib, minlength=n)
    c = np.where(is_target, a, 0.0) + c_use
    sign = np.where(d, 1.0, -1.0)
    if P.cluster is None:
        s2, _ = _same_arm_variance(score, yv, d.astype(np.int8), var_matches)
        sq = np.bincount(used, weights=((a[:, None] * m) ** 2)[valid], minlength=n)
        own = np.where(is_target, a, 0.0) ** 2
        het = np.sum(np.where(is_target, a ** 2 * (yhat1 - yhat0 - tau) ** 2, 0.0))
        var = het + np.sum((c * c - own - sq) * s2)
        var_label = "abadie-imbens"
    else:
        # clustered linearisation of the linear form tau = sum_j sign_j c_j y_j: the
        # heterogeneity term of the target units plus each unit's residual (estimated by
        # own-arm matching) times its weight as a match; summed within clusters
        _, r = _same_arm_variance(score, yv, d.astype(np.int8), var_matches, residual=True)
        z = np.where(is_target, a * ((yhat1 - yhat0) - tau), 0.0) + sign * c_use * r
        var = if_variance(z, P.cluster)
        var_label = "clustered linearisation"
    se = float(np.sqrt(max(var, 0.0)))

    n_used_controls = int(np.unique(used[~d[used]]).size) if used.size else 0
    # balance weights: the weight of each unit in the matched comparison (scaled to counts)
    if estimand == "ATT":
        bw = np.where(d, w / w[d].sum() * d.sum(), c_use / c_use[~d].sum() * d.sum())
    else:
        bw = c * n
    res = _result(P, tau, se, estimand, "ps_matching",
                  f"PS nearest-neighbour matching {estimand}", alpha,
                  {"estimand": estimand, "k": int(k), "replace": bool(replace),
                   "caliper": caliper, "trim": label, "variance": var_label,
                   "var_matches": int(var_matches), "weights": weights, "cluster": cluster},
                  {"propensity": e, "matches": np.where(valid, P.rows[mi], -1),
                   "balance_weights": _full_weights(P, bw)}, data,
                  columns={"n_matched_controls": n_used_controls})
    return res
