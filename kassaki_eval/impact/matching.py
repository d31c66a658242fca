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

import warnings
from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from ..exceptions import (
    EstimationWarning,
    IdentificationError,
    ParameterError,
    check_option,
    require,
)
from ..inference import influence_vcov as if_variance
from ..results import EstimateResult
from ._common import (
    Estimand,
    TrimRule,
    check_estimand as _check_estimand,
    estimand_result as _result,
    full_weights as _full_weights,
    outcome_of as _y,
    prepare,
    subset as _subset,
)
from ._propensity import crump_alpha, fit_ps_trim as _fit_ps_trim

__all__ = ["ps_matching", "overlap_diagnostics", "difference_in_means", "matched_data"]

Distance = Literal["logit", "probability"]
DimSE = Literal["classical", "HC2", "HC1", "cluster"]
MOrder = Literal["largest", "smallest", "data"]
#: a target unit with a propensity beyond [PS_NEAR, 1 - PS_NEAR] counts as near-separated
PS_NEAR = 0.01
#: warn when more than this share of target units is near-separated (3 of 20,000 in a
#: benign simulation with logit slope 1 are; 6 % are with slope 3, where matching is biased)
EXTREME_SHARE = 0.01
#: warn when more than this share of target units lies outside the other arm's score range
#: (a few always do: the most extreme treated unit of a sample usually beats the most extreme
#: control; 0.4 % of 926 treated in the docstring example, 3 % on Dehejia-Wahba's CPS sample)
OUTSIDE_SHARE = 0.10


def overlap_diagnostics(e: np.ndarray, d: np.ndarray, estimand: str = "ATT") -> dict[str, Any]:
    """Overlap of the propensity score between the arms, for the target units of ``estimand``.

    Returns a dict with ``n_target``; ``n_extreme``: target units with ``e > 0.99`` (ATT:
    treated units; ATE: every unit, also ``e < 0.01``); ``n_outside_support``: target units
    whose score lies outside the range of the other arm's scores (their nearest neighbour is
    the most extreme unit of that arm); ``crump_alpha``: the optimal trimming threshold of
    Crump, Hotz, Imbens & Mitnik (2009, Biometrika 96(1)) and ``n_outside_crump``, the
    target units outside ``[crump_alpha, 1 - crump_alpha]``; ``e_min_treated``,
    ``e_max_treated``, ``e_min_control``, ``e_max_control``.

    Examples
    --------
    >>> import numpy as np
    >>> o = overlap_diagnostics(np.array([0.2, 0.5, 0.995, 0.1, 0.3]), np.array([1, 1, 1, 0, 0]))
    >>> o["n_extreme"], o["n_outside_support"]
    (1, 2)
    """
    d = np.asarray(d).astype(bool)
    e = np.asarray(e, dtype=float)
    e1, e0 = e[d], e[~d]
    if estimand == "ATT":
        target = d
        extreme = d & (e > 1 - PS_NEAR)
        outside = d & ((e > e0.max()) | (e < e0.min()))
    else:
        target = np.ones(e.size, dtype=bool)
        extreme = (e > 1 - PS_NEAR) | (e < PS_NEAR)
        outside = (d & ((e > e0.max()) | (e < e0.min()))) | (~d & ((e > e1.max()) |
                                                                   (e < e1.min())))
    a = crump_alpha(np.clip(e, 1e-12, 1 - 1e-12))
    return {"n_target": int(target.sum()), "n_extreme": int(extreme.sum()),
            "n_outside_support": int(outside.sum()), "crump_alpha": a,
            "n_outside_crump": int((target & ((e < a) | (e > 1 - a))).sum()),
            "e_min_treated": float(e1.min()), "e_max_treated": float(e1.max()),
            "e_min_control": float(e0.min()), "e_max_control": float(e0.max())}


def _overlap_message(owner: str, o: dict[str, Any]) -> str:
    return (f"{owner}: weak overlap (near-separation): of {o['n_target']} target units, "
            f"{o['n_extreme']} have a propensity beyond [{PS_NEAR}, {1 - PS_NEAR}] and "
            f"{o['n_outside_support']} lie outside the other arm's propensity range "
            f"(treated {o['e_min_treated']:.3f}-{o['e_max_treated']:.3f}, comparison "
            f"{o['e_min_control']:.3f}-{o['e_max_control']:.3f}); their nearest matches are "
            "far away and the estimate can be badly biased. Fix: trim='crump' (Crump et al. "
            f"2009; here alpha = {o['crump_alpha']:.3f}, dropping {o['n_outside_crump']} "
            "target units and changing the estimand to the trimmed population), or revise the "
            "covariates.")


def _knn(src: np.ndarray, dst: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Find the k nearest ``dst`` points of every ``src`` point (1-D). Returns (dist, idx)."""
    nn = NearestNeighbors(n_neighbors=min(k, dst.size)).fit(dst[:, None])
    dist, idx = nn.kneighbors(src[:, None])
    return dist, idx


def _knn_first(src: np.ndarray, dst: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_knn`, but ties at the k-th distance go to the first ``dst`` units.

    First in data order is MatchIt's rule, so matched sets are reproducible. Only rows with
    such a tie are resolved one by one.
    """
    kk = min(k + 1, dst.size)
    dist, idx = _knn(src, dst, kk)
    if kk == k:                       # every dst unit is a neighbour: nothing to break
        return dist, idx
    tie = dist[:, k - 1] == dist[:, k]
    dist, idx = dist[:, :k].copy(), idx[:, :k].copy()
    if tie.any():
        order = np.argsort(dst, kind="stable")
        sd = dst[order]
        for i in np.flatnonzero(tie):
            r = dist[i, k - 1] * (1 + 1e-9) + 1e-300   # sklearn's distance may round
            lo = np.searchsorted(sd, src[i] - r, "left")
            hi = np.searchsorted(sd, src[i] + r, "right")
            cand = order[lo:hi]
            if cand.size < k:  # pragma: no cover - defensive: keep sklearn's choice
                continue
            cd = np.abs(dst[cand] - src[i])
            pick = cand[np.lexsort((cand, cd))[:k]]
            idx[i] = pick
            dist[i] = np.abs(dst[pick] - src[i])
    return dist, idx


def _greedy_without_replacement(src: np.ndarray, dst: np.ndarray, k: int,
                                caliper: float, order: str = "largest") -> np.ndarray:
    """Greedy 1:k matching without replacement on a 1-D score.

    Returns an (n_src, k) array of indices into ``dst`` (-1 = no match). Units are served in
    ``order`` (MatchIt's ``m.order``: ``"largest"`` score first, ``"smallest"`` first, or
    ``"data"`` order); each takes the nearest still-free ``dst`` unit (ties: the one first
    in data order, as MatchIt). With ``k > 1`` every unit gets its first match before any
    gets its second (MatchIt's ``ratio``).
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
    if order == "largest":
        serve = np.argsort(-src, kind="stable")
    elif order == "smallest":
        serve = np.argsort(src, kind="stable")
    else:
        serve = np.arange(src.size)
    for r in range(k):
        for t in serve:
            p = pos[t]
            rgt = find_r(p) if p < n else n
            lft = find_l(p - 1)
            if lft >= 0:
                # several free units may share the left neighbour's score: take the one
                # first in data order (the leftmost free position of that block)
                lft = find_r(int(np.searchsorted(sd, sd[lft], "left")))
            best = -1
            if rgt < n and lft >= 0:
                dr, dl = abs(sd[rgt] - src[t]), abs(src[t] - sd[lft])
                best = rgt if (dr < dl or (dr == dl and order_d[rgt] < order_d[lft])) else lft
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
    """Abadie-Imbens conditional variance by matching within the arm.

    Returns J/(J+1)(Y - mean_J)^2 and the signed residual sqrt(J/(J+1)) (Y - mean_J).
    """
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
    distance: Distance = "logit", m_order: MOrder = "largest", alpha: float = 0.05,
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
        Maximum distance in standard deviations of the ``distance`` score; target units with
        no neighbour within it are dropped (counted in provenance ``dropped``).
    weights, cluster : str, optional
        Survey weight and PSU columns. With ``cluster`` the Abadie-Imbens variance is replaced
        by a clustered linearised variance of the same linear form (conditional-variance
        term omitted).
    trim : rule, optional
        Propensity trimming before matching (see
        :func:`kassaki_eval.impact.balance.trimming_table`).
    ps : str, optional
        Column holding a propensity score computed elsewhere.
    var_matches : int
        ``J``, own-arm neighbours for the conditional variance (Abadie-Imbens).
    distance : {"logit", "probability"}
        Scale of the score that is matched on: the logit of the propensity (Rosenbaum &
        Rubin 1985; the default here) or the propensity itself (MatchIt's default,
        ``distance = "glm"``).
    m_order : {"largest", "smallest", "data"}
        Without replacement: the order in which target units pick their match (MatchIt's
        ``m.order``; its default for a propensity score is ``"largest"``).
        ``distance="probability", replace=False, m_order="largest"`` (and ``k`` for MatchIt's
        ``ratio``) reproduces ``MatchIt::matchit(method = "nearest")``: same matched pairs and
        ATT on MatchIt's ``lalonde`` (``tests/references/matching/matchit_lalonde.R``).
    alpha : float
        Confidence level is ``1 - alpha``.

    Returns
    -------
    EstimateResult
        One row with ``n_treated``, ``n_control``, ``n_matched_controls`` (distinct
        comparison units used), the overlap diagnostics of :func:`overlap_diagnostics`
        (``crump_alpha``, ``n_outside_support``, ``n_extreme``) and extras ``matches`` (row
        positions), ``propensity``, ``balance_weights``, ``overlap``.

    Warns
    -----
    EstimationWarning
        Near-separation without trimming: more than 1 % of the target units with a
        propensity beyond ``[0.01, 0.99]``, or more than 10 % of them outside the other arm's
        score range (constants ``PS_NEAR``, ``EXTREME_SHARE``, ``OUTSIDE_SHARE``). Their
        nearest matches are
        far away and the estimate can be badly biased; ``trim="crump"`` (Crump, Hotz, Imbens
        & Mitnik 2009) removes them, changing the estimand to the trimmed population.

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
    check_option(owner, "distance", distance, ["logit", "probability"])
    check_option(owner, "m_order", m_order, ["largest", "smallest", "data"])
    if not replace and estimand == "ATE":
        raise ParameterError(f"The 'replace' parameter of {owner} must be True when "
                             "estimand='ATE' (every unit is matched, so comparison units must "
                             "be reused). Got False instead.")
    P = prepare(data, owner, y=y, treatment=treatment, covariates=covariates,
                weights=weights, cluster=cluster)
    P, e, _, label = _fit_ps_trim(P, owner, trim, ps, data, estimand)
    overlap = overlap_diagnostics(e, P.d, estimand)
    if trim is None and (overlap["n_extreme"] > EXTREME_SHARE * overlap["n_target"]
                         or overlap["n_outside_support"] > OUTSIDE_SHARE * overlap["n_target"]):
        warnings.warn(_overlap_message(owner, overlap), EstimationWarning, stacklevel=2)
    score = np.log(e / (1 - e)) if distance == "logit" else e.copy()
    # MatchIt: caliper in SDs of the distance (std.caliper = TRUE), sd with n - 1
    cal = np.inf if caliper is None else float(caliper) * float(np.std(score, ddof=1))
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
            dist, nb = _knn_first(score[src], score[dst], k)
            loc = np.where(dist <= cal, dst[nb], -1)
        else:
            if dst.size < src.size * k:
                warnings.warn(f"{owner}: {src.size} treated need {src.size * k} comparison "
                              f"units without replacement but only {dst.size} exist; the "
                              "unmatched treated are dropped.", EstimationWarning, stacklevel=2)
            loc_d = _greedy_without_replacement(score[src], score[dst], k, cal, m_order)
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
    if not (keep & is_target).any():
        raise IdentificationError(
            f"{P.table}: no target unit ({estimand}) has a match within the caliper "
            f"(caliper={caliper} sd of the {distance} score, a distance of {cal:.3g}); there is "
            "nothing left to estimate. Fix: widen the caliper or use caliper=None.")
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

    n_used_controls = int(np.unique(used[~d[used]]).size)
    # balance weights: the weight of each unit in the matched comparison (scaled to counts)
    if estimand == "ATT":
        bw = np.where(d, w / w[d].sum() * d.sum(), c_use / c_use[~d].sum() * d.sum())
    else:
        bw = c * n
    res = _result(P, tau, se, estimand, "ps_matching",
                  f"PS nearest-neighbour matching {estimand}", alpha,
                  {"estimand": estimand, "k": int(k), "replace": bool(replace),
                   "caliper": caliper, "trim": label, "variance": var_label,
                   "var_matches": int(var_matches), "weights": weights, "cluster": cluster,
                   "distance": distance, "m_order": m_order if not replace else None},
                  {"propensity": e, "matches": np.where(valid, P.rows[mi], -1),
                   "balance_weights": _full_weights(P, bw), "overlap": overlap}, data,
                  columns={"n_matched_controls": n_used_controls,
                           "crump_alpha": overlap["crump_alpha"],
                           "n_outside_support": overlap["n_outside_support"],
                           "n_extreme": overlap["n_extreme"]})
    return res


def difference_in_means(
    data: pd.DataFrame, *, y: str, treatment: str, weights: str | None = None,
    cluster: str | None = None, se: DimSE = "HC2", alpha: float = 0.05,
) -> EstimateResult:
    """Difference in (weighted) means of ``y`` between ``treatment == 1`` and ``0``.

    The OLS slope of ``y`` on ``[1, treatment]`` (WLS with ``weights``), with a choice of
    standard error.

    Parameters
    ----------
    data : DataFrame
    y, treatment : str
        Outcome and binary (0/1) treatment.
    weights : str, optional
        Weights (survey weights, or the matching weights of a matched sample as MatchIt's
        ``match.data()`` gives them), used as in R's ``lm(weights = )``.
    cluster : str, optional
        Cluster id (e.g. the PSU, or the matched pair); required by ``se="cluster"``.
    se : {"classical", "HC2", "HC1", "cluster"}
        ``"classical"``: the homoskedastic OLS error ``s^2 (X'WX)^-1`` with
        ``s^2 = sum w e^2 / (n - 2)`` and Student's t with ``n - 2`` df, as R's
        ``summary(lm())`` and the textbook two-sample t test with pooled variance (what
        Dehejia & Wahba 1999 report for the NSW experiment: 1,794 (633));
        ``"HC2"`` (default): heteroskedasticity-robust, unbiased under randomisation for the
        unweighted difference (Welch's error; Imbens & Kolesar 2016); ``"HC1"``: White's
        with ``n/(n-2)``; ``"cluster"``: CR1 as Stata and R ``sandwich::vcovCL`` (``G/(G-1)
        (n-1)/(n-2)``), normal reference.
    alpha : float
        Confidence level is ``1 - alpha``.

    Returns
    -------
    EstimateResult
        One row ``difference`` with ``mean_treated``, ``mean_control``, ``n_treated``,
        ``n_control`` (and ``df`` for the classical error).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 6.0], "d": [0, 0, 1, 1, 1]})
    >>> r = difference_in_means(df, y="y", treatment="d", se="classical")
    >>> round(r["difference"], 4), round(float(r.std_errors.iloc[0]), 4)
    (2.8333, 1.198)
    """
    owner = "difference_in_means"
    check_option(owner, "se", se, ["classical", "HC2", "HC1", "cluster"])
    if se == "cluster" and cluster is None:
        raise ParameterError(f"The 'cluster' parameter of {owner} must name the cluster column "
                             "when se='cluster'. Got None instead.")
    P = prepare(data, owner, y=y, treatment=treatment, covariates=[], weights=weights,
                cluster=cluster)
    yv, d, w = _y(P), P.d.astype(float), P.w
    n = yv.size
    X = np.column_stack([np.ones(n), d])
    XtWX_inv = np.linalg.inv((X * w[:, None]).T @ X)
    beta = XtWX_inv @ ((X * w[:, None]).T @ yv)
    e = yv - X @ beta
    df = np.inf
    if se == "classical":
        s2 = float(np.sum(w * e * e) / (n - 2))
        V = s2 * XtWX_inv
        df = float(n - 2)
    elif se in ("HC2", "HC1"):
        if se == "HC2":
            h = np.einsum("ij,jk,ik->i", X * w[:, None], XtWX_inv, X)   # leverages of WLS
            u2 = w * w * e * e / np.clip(1 - h, 1e-12, None)
        else:
            u2 = w * w * e * e * n / (n - 2)
        V = XtWX_inv @ ((X * u2[:, None]).T @ X) @ XtWX_inv
    else:
        cl = cast(np.ndarray, P.cluster)  # se='cluster' required a cluster column above
        S = np.column_stack([np.bincount(cl, weights=X[:, j] * w * e) for j in range(2)])
        G = S.shape[0]
        V = XtWX_inv @ (S.T @ S) @ XtWX_inv * G / (G - 1) * (n - 1) / (n - 2)
    sd = float(np.sqrt(V[1, 1]))
    m1 = float(np.average(yv[d == 1], weights=w[d == 1]))
    m0 = float(np.average(yv[d == 0], weights=w[d == 0]))
    cols: dict[str, Any] = {"mean_treated": m1, "mean_control": m0}
    if np.isfinite(df):
        cols["df"] = df
    res = _result(P, float(beta[1]), sd, "difference", "difference_in_means",
                  "Difference in means", alpha,
                  {"se": se, "weights": weights, "cluster": cluster}, {}, data, columns=cols)
    return res


def matched_data(res: EstimateResult, data: pd.DataFrame) -> pd.DataFrame:
    """The matched sample of an ATT :func:`ps_matching` result, as MatchIt returns it.

    Without replacement: MatchIt's ``match.data()``: the matched treated and comparison
    rows of ``data`` with ``subclass`` (one per treated unit) and ``weights`` (treated 1; a
    comparison unit ``sum 1/k_s`` over the subclasses it serves, rescaled so the comparison
    weights sum to their count). With replacement: MatchIt's ``get_matches()``: one row per
    unit per subclass (a comparison unit used twice appears twice), treated weight 1 and
    comparison weight ``1/k_s`` rescaled the same way. Survey weights are not included:
    multiply them in for a population estimate.

    The effect MatchIt's documentation estimates after matching is
    ``difference_in_means(matched, y=..., treatment=..., weights="weights",
    cluster="subclass", se="cluster")`` (``lm(y ~ treat, weights)`` with
    ``sandwich::vcovCL(cluster = ~subclass)``).
    """
    if res.method != "ps_matching" or res.provenance.options.get("estimand") != "ATT":
        raise ParameterError("The 'res' parameter of matched_data must be an ATT result of "
                             f"ps_matching. Got a {res.method!r} result instead.")
    M = np.asarray(res.extras["matches"])
    rows = np.asarray(res.extras["rows"])
    d = np.asarray(res.extras["treatment"]).astype(bool)
    tpos = rows[d]                                  # input positions of the treated
    mt = M[d]                                       # their matches (input positions, -1 none)
    ok = (mt >= 0).any(axis=1)
    tpos, mt = tpos[ok], mt[ok]
    k_s = (mt >= 0).sum(axis=1)
    sub = np.arange(1, tpos.size + 1)
    pairs_c = mt[mt >= 0]
    sub_c = np.repeat(sub, k_s)
    w_c = np.repeat(1.0 / k_s, k_s)
    if res.provenance.options.get("replace"):
        idx = np.concatenate([tpos, pairs_c])
        out = data.iloc[idx].copy()
        out["subclass"] = np.concatenate([sub, sub_c])
        wc = w_c * w_c.size / w_c.sum()
        out["weights"] = np.concatenate([np.ones(tpos.size), wc])
        return out.sort_values("subclass", kind="stable")
    uc, inv = np.unique(pairs_c, return_inverse=True)
    wsum = np.bincount(inv, weights=w_c)
    wsum = wsum * uc.size / wsum.sum()
    first_sub = np.full(uc.size, 0)
    first_sub[inv[::-1]] = sub_c[::-1]
    out = data.iloc[np.concatenate([tpos, uc])].copy()
    out["subclass"] = np.concatenate([sub, first_sub])
    out["weights"] = np.concatenate([np.ones(tpos.size), wsum])
    return out
