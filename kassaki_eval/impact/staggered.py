"""Staggered difference-in-differences.

Callaway & Sant'Anna (2021) and the imputation estimator of Borusyak, Jaravel & Spiess (2024).

:func:`callaway_santanna` estimates every group-time ATT(g,t) on a (balanced or unbalanced)
panel of households or villages, as R ``did::att_gt`` does for panel data:

- each ATT(g,t) is a 2x2 comparison of cohort ``g`` with the never-treated (``control="never"``)
  or with units not yet treated by ``max(t, base) + anticipation`` (``control="notyet"``),
  between period ``t`` and the base period (``g-1-anticipation`` after treatment; the previous
  period (``base_period="varying"``) or ``g-1-anticipation`` (``"universal"``) before);
- ``method="dr"`` is DRDID's ``drdid_panel`` (logit propensity score, OLS outcome model on the
  controls, propensity scores clipped to [1e-6, 1-1e-6], controls with score >= 0.995
  trimmed), ``"ipw"`` is ``std_ipw_did_panel`` (normalised IPW) and ``"reg"`` is
  ``reg_did_panel``; covariates are taken at the base period. This is the estimator R ``did``,
  ``csdid`` and ``moderndid`` use (not DRDID's "improved" ``drdid_imp_panel``);
- standard errors come from the influence functions: ``sqrt(sum(psi_i^2)) / n`` with ``psi``
  the unit-level influence function scaled to the full sample, or with ``cluster`` the
  cluster sums of ``psi`` (CR1-style factor ``G/(G-1)``, t with ``G-1`` df; R ``did`` only
  offers clustering through its bootstrap, so clustered SEs are ours, not R's).
- unbalanced panels: ``panel="balance"`` keeps units seen in every period (R's default);
  ``panel="unbalanced"`` is R did's ``allow_unbalanced_panel=TRUE`` (every observed
  unit-period, repeated-cross-section estimators, influence function summed within unit);
  ``panel="pairwise"`` (not an R did option) uses, for each ATT(g,t), the panel estimator on
  the units observed in both ``t`` and the base period (a rotating survey panel); the rows
  dropped are recorded in the provenance.
- repeated cross-sections (Susenas waves): ``panel="cross_section"`` is R did's
  ``panel=FALSE``, Sant'Anna & Zhao (2020) ``drdid_rc`` (locally efficient doubly robust),
  ``std_ipw_did_rc`` and ``reg_did_rc`` with covariates at each row's own period; checked
  against moderndid and csdid on mpdta treated as repeated cross-sections.
- no never-treated units with ``control="notyet"``: as R did, the last-treated cohort is the
  comparison group and the periods from its treatment on are dropped (with a warning).

:func:`aggregate` reproduces ``did::aggte`` (simple, group, calendar, dynamic) including the
influence-function term for the estimated cohort weights.

:func:`imputation` is the BJS imputation estimator (unit and period effects, and time-varying
covariates by Frisch-Waugh-Lovell, estimated on untreated observations) with the conservative
clustered variance of BJS Theorem 3 (treated residuals demeaned within cohort x period cells, no
leave-out correction).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import (
    DesignError,
    EstimationWarning,
    IdentificationError,
    ParameterError,
    check_option,
)
from ..inference import cluster_codes, influence_se, influence_vcov
from ..results import EstimateResult, Provenance, hash_frame
from ._common import (
    as_list,
    check_cluster_constant,
    check_columns,
    check_outcome,
    check_weights,
    demean_2way,
    drop_missing,
    fe_solve,
    hash_columns,
    numeric_values,
)
from ._propensity import fit_logit

__all__ = ["callaway_santanna", "aggregate", "imputation", "village_panel"]

_TRIM = 0.995


# --------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------
@dataclass
class _Panel:
    Y: np.ndarray            # (n, T) outcome, NaN where unobserved
    X: np.ndarray | None     # (n, T, p) covariates, NaN where unobserved
    G: np.ndarray            # (n,) cohort (first treated period), 0 = never
    w: np.ndarray            # (n,) unit weights normalised to mean 1
    periods: np.ndarray      # (T,)
    clus: np.ndarray | None  # (n,) cluster codes
    n_clusters: int | None
    units: np.ndarray
    dropped: dict[str, int]
    n_used: int


def _unit_constant(d: pd.DataFrame, ui: np.ndarray, nu: int, col: str, table: str,
                   unit: str, what: str) -> np.ndarray:
    """Per-unit value of a column that must not vary within unit (first occurrence)."""
    v = d[col].to_numpy()
    last = np.empty(nu, dtype=np.int64)
    last[ui] = np.arange(len(ui))                     # one scatter: last row of each unit
    val = v[last]
    first = last
    if pd.api.types.is_numeric_dtype(d[col]):
        diff = v != val[ui]
        if np.issubdtype(v.dtype, np.floating):
            diff &= ~(np.isnan(v) & np.isnan(val[ui]))
    else:
        diff = pd.Series(v).to_numpy() != pd.Series(val[ui]).to_numpy()
    if diff.any():
        bad = np.unique(ui[diff])
        ex = d[unit].to_numpy()[first[bad[:5]]]
        raise DesignError(f"{table}: column '{col}' changes over time within {len(bad)} units "
                          f"of '{unit}' (e.g. {', '.join(map(str, ex))}); {what}. Fix: use one "
                          f"value per unit (e.g. groupby('{unit}')['{col}'].transform('first')).")
    return val


def _codes(col: pd.Series, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and unique values of a column.

    With O(n) shortcuts for the usual panel layouts: small-range integers (years) by a lookup
    table, ids already sorted by a run-length scan; otherwise pandas' hash factorisation.
    """
    v = col.to_numpy()
    if v.size and np.issubdtype(v.dtype, np.integer):
        lo, hi = int(v.min()), int(v.max())
        if hi - lo < 4 * v.size + 1024:
            present = np.bincount(v - lo, minlength=hi - lo + 1) > 0
            vals = np.flatnonzero(present) + lo
            lut = np.cumsum(present) - 1
            return lut[v - lo].astype(np.int64), vals
    if not sort and v.size > 1 and col.is_monotonic_increasing:
        start = np.empty(v.size, dtype=bool)
        start[0] = True
        start[1:] = v[1:] != v[:-1]
        return np.cumsum(start) - 1, v[start]
    codes, uniq = pd.factorize(col, sort=sort)
    return codes.astype(np.int64), np.asarray(uniq)


def _numbers_as_numbers(d: pd.DataFrame, num: dict[str, np.ndarray], cols: list[str]
                        ) -> pd.DataFrame:
    """Periods and cohorts stored as text (``"2024"``) replaced by their numbers.

    Whole numbers become integers, so that they sort and compare as numbers.
    """
    new = {}
    for c in cols:
        if not pd.api.types.is_numeric_dtype(d[c]):
            v = num[c]
            new[c] = v.astype(np.int64) if np.all(v == np.round(v)) else v
    return d.assign(**new) if new else d


def _prepare(data: pd.DataFrame, owner: str, y: str, unit: str, time: str, cohort: str,
             covariates: list[str], weights: str | None, cluster: str | None,
             panel: str, anticipation: int = 0) -> _Panel:
    check_columns(data, owner, y=y, unit=unit, time=time, cohort=cohort,
                  covariates=covariates, weights=weights, cluster=cluster)
    cols = [y, unit, time, cohort] + covariates + as_list(weights) + as_list(cluster)
    d, dropped = drop_missing(data, list(dict.fromkeys(cols)), unit)
    num = numeric_values(d, [y, time, cohort, *covariates, *as_list(weights)], "data", owner,
                         id_col=unit)
    d = _numbers_as_numbers(d, num, [time, cohort])
    yv = num[y]
    check_outcome(yv, "data", y)
    ui, units = _codes(d[unit])
    ti, periods = _codes(d[time], sort=True)
    nu, T = len(units), len(periods)
    if T < 2:
        raise IdentificationError(f"data: column '{time}' has a single period ({periods[0]}); "
                                  "DiD needs at least two. Fix: stack the survey waves.")
    key = ui.astype(np.int64) * T + ti
    if np.bincount(key, minlength=nu * T).max() > 1:
        dup = pd.Series(key).duplicated().to_numpy()
        ex = d[unit].to_numpy()[dup][:5]
        raise DesignError(f"data: {int(dup.sum())} duplicated ({unit}, {time}) rows (e.g. "
                          f"{', '.join(map(str, ex))}); a panel has one row per unit and period. "
                          "Fix: aggregate or drop duplicates (see village_panel()).")
    G = _unit_constant(d, ui, nu, cohort, "data", unit,
                       "the cohort is the first period a unit is treated").astype(float)
    if np.any(G < 0):
        raise ParameterError(f"The 'cohort' parameter of {owner} must name a column of first "
                             "treated periods (0 = never treated). Got negative values instead.")
    if weights:
        wv = d[weights].to_numpy(dtype=float)
        check_weights(wv, "data", weights)
        # survey weights may differ by wave; R did needs one weight per unit: use the first
        w = np.zeros(nu)
        order = np.arange(len(ui))[::-1]
        w[ui[order]] = wv[order]
        varying = np.bincount(ui, weights=(wv != w[ui]).astype(float), minlength=nu) > 0
        if varying.any():
            dropped = dict(dropped)
            dropped["(not dropped) units whose weight varies by wave; first wave's weight used"] = (
                int(varying.sum())
            )
    else:
        w = np.ones(nu)
    Y = np.full((nu, T), np.nan)
    Y[ui, ti] = yv
    X = None
    if covariates:
        # centred and scaled: every 2x2 model has an intercept, so ATT(g,t) and its influence
        # function do not change (a reparameterisation), but a raw level such as Rupiah (mean
        # ~1e8) no longer makes X'WX look singular ("collinear") in floating point
        xv = d[covariates].to_numpy(dtype=float)
        mu, sd = xv.mean(axis=0), xv.std(axis=0)
        X = np.full((nu, T, len(covariates)), np.nan)
        X[ui, ti, :] = (xv - mu) / np.where(sd > 0, sd, 1.0)
    clus, Gc = None, None
    if cluster:
        cvals = _unit_constant(d, ui, nu, cluster, "data", unit,
                               "the cluster id must be constant for a unit")
        clus, Gc = cluster_codes(cvals, owner)
    obs = ~np.isnan(Y)
    if panel in ("balance", "pairwise") and nu > 1 and obs.sum(axis=1).max() <= 1:
        raise DesignError(
            f"data: every unit of '{unit}' is observed in a single period of '{time}' "
            f"({nu} units, {T} periods): this is a repeated cross-section, not a panel, so "
            f"panel={panel!r} finds no unit to difference over time. Fix: pass "
            "panel='cross_section' (Sant'Anna & Zhao 2020 repeated cross-section estimators, "
            "as R did with panel=FALSE), or check that '{unit}' is the household/village id "
            "that repeats across waves.".replace("{unit}", str(unit)))
    keep = np.ones(nu, dtype=bool)
    if panel == "balance":
        full = obs.all(axis=1)
        if not full.all():
            dropped = dict(dropped)
            dropped["units not observed in every period (panel='balance')"] = int((~full).sum())
            keep = full
    # cohorts treated at or before the first period have no pre-period: R did drops them with
    # a warning; we refuse, because silently changing the estimand is worse.
    always = (G > 0) & (G <= periods[0]) & keep
    if always.any():
        ex = units[np.flatnonzero(always)[:5]]
        raise IdentificationError(
            f"data: {int(always.sum())} units of '{unit}' have '{cohort}' at or before the first "
            f"period {periods[0]} (e.g. {', '.join(map(str, ex))}), so their untreated outcome is "
            "never observed and ATT(g,t) is not identified. Fix: drop these always-treated units "
            "or add earlier survey waves.")
    if not keep.all():
        Y, G, w = Y[keep], G[keep], w[keep]
        X = X[keep] if X is not None else None
        units = units[keep]
        if clus is not None:
            clus, Gc = cluster_codes(clus[keep], owner)
    # cohorts treated (with anticipation: affected, from g - anticipation on) only after the
    # last period are never treated within the sample (as R did does, max(t) + anticipation)
    late = G > periods[-1] + anticipation
    G = np.where(late, 0.0, G)
    w = w / w.mean()
    return _Panel(Y=Y, X=X, G=G, w=w, periods=periods, clus=clus, n_clusters=Gc, units=units,
                  dropped=dropped, n_used=int(np.sum(~np.isnan(Y))))


# --------------------------------------------------------------------------------------------
# the 2x2 panel estimators (DRDID), returning (att, influence function on the subset)
# --------------------------------------------------------------------------------------------
def _warn_small_samples(P: _Panel, owner: str, cohort: str, n_covs: int, per_row: bool,
                        control: str = "never") -> None:
    """Warn (EstimationWarning) about groups and clusters too small for reliable inference.

    - Groups: R ``did`` (``pre_process_did``) warns when a group (a cohort, or the
      never-treated) has fewer than ``covariates + 5`` units (rows per period with
      repeated cross-sections); the same threshold and the same count here.
    - Clusters: MacKinnon & Webb (2017, 2018): cluster-robust inference is fragile below ~12
      clusters or with at most 2 treated (or untreated) clusters
      (as :func:`~kassaki_eval.inference.few_clusters_warning`), and an ATT(g,t) rests on the
      clusters of its cohort: cohorts whose units sit in at most 2 clusters are listed. The
      untreated side counts the clusters that hold comparison units (never-treated, the
      last-treated cohort under R did's rule, and with ``control="notyet"`` the cohorts after
      the first, not yet treated while it is), not the clusters without any treated unit:
      villages of several cohorts in every kecamatan are not "0 untreated clusters".
    """
    vals, cnt = np.unique(P.G, return_counts=True)
    size = cnt / len(P.periods) if per_row else cnt.astype(float)
    req = n_covs + 5
    small = [(v, k) for v, k in zip(vals, size, strict=True) if k < req]
    if small:
        what = ", ".join(f"{'never treated' if v == 0 else f'{cohort} = {v:g}'}: {k:g}"
                         for v, k in small)
        unit = "rows per period" if per_row else "units"
        warnings.warn(
            f"{owner}: few {unit} in {len(small)} group(s) ({what}; R did warns below "
            f"{req} = covariates + 5): their ATT(g,t) and standard errors rest on very few "
            "units. Fix: pool cohorts or add villages.", EstimationWarning, stacklevel=3)
    if P.clus is None or P.n_clusters is None:
        return
    Gc = int(P.n_clusters)
    treated = P.G > 0
    comp = P.G == 0
    if control == "notyet":
        comp = comp | (P.G > P.G[treated].min())
    n_tr, n_co = int(np.unique(P.clus[treated]).size), int(np.unique(P.clus[comp]).size)
    msgs = []
    if Gc < 12:
        msgs.append(f"only {Gc} clusters (MacKinnon & Webb: cluster-robust t-tests over-reject "
                    "below ~12 clusters)")
    for k, side in ((n_tr, "treated"), (n_co, "comparison")):
        if k <= 2:
            msgs.append(f"{k} {side} cluster(s) of {Gc} (MacKinnon & Webb 2017: with so few "
                        f"{side} clusters neither CR1 nor the wild bootstrap is reliable)")
    if msgs:
        warnings.warn(f"{owner}: fragile inference: " + "; ".join(msgs) + ".",
                      EstimationWarning, stacklevel=3)
    thin = [(g, int(np.unique(P.clus[P.G == g]).size)) for g in vals[vals > 0]]
    thin = [(g, k) for g, k in thin if k <= 2]
    if thin:
        what = ", ".join(f"{cohort} = {g:g}: {k} cluster(s)" for g, k in thin)
        warnings.warn(
            f"{owner}: fragile inference: the treated units of {len(thin)} cohort(s) sit in at "
            f"most 2 of the {P.n_clusters} clusters ({what}); MacKinnon & Webb (2017): with so "
            "few treated clusters the cluster-robust standard errors of those ATT(g,t) are "
            "unreliable (they over-reject). Report them as descriptive.",
            EstimationWarning, stacklevel=3)


def _last_cohort_as_control(P: _Panel, glist: np.ndarray, anticipation: int, cohort: str
                            ) -> _Panel:
    """No never-treated units and ``control="notyet"``: R ``did``'s rule (``pre_process_did``).

    The last-treated cohort becomes the comparison group (its cohort is set to 0) and the
    periods from its treatment on (``t >= g_max - anticipation``) are dropped, since no unit
    is untreated there. Without this the last cohort's pre-period cells would be estimated
    against earlier cohorts ("mirror" cells) and weighted as a treated group in
    :func:`aggregate`.
    """
    gmax = float(glist.max())
    keep_t = P.periods < gmax - anticipation
    if keep_t.sum() < 2 or glist.size < 2:
        raise IdentificationError(
            f"data: no ATT(g,t) is identified: there are no never-treated and no not-yet-treated "
            f"units to compare with ({glist.size} cohort(s): {', '.join(f'{g:g}' for g in glist)}; "
            f"with the last-treated cohort {gmax:g} as comparison group, R did's rule, fewer than "
            "two periods or no treated cohort remain). "
            "Fix: add never-treated (comparison) villages or earlier survey waves.")
    Y = P.Y[:, keep_t]
    X = P.X[:, keep_t, :] if P.X is not None else None
    G = np.where(P.G == gmax, 0.0, P.G)
    dropped = dict(P.dropped)
    n_drop = int(np.sum(~np.isnan(P.Y[:, ~keep_t])))
    dropped[f"unit-periods from {gmax:g} on (no never-treated units: cohort {gmax:g} is the "
            "comparison group, as R did)"] = n_drop
    warnings.warn(
        f"callaway_santanna: no never-treated units; as R did does with control='notyet', the "
        f"last-treated cohort ({cohort} = {gmax:g}, {int(np.sum(P.G == gmax))} units) serves as "
        f"the comparison group and the periods from {gmax - anticipation:g} on are dropped "
        f"({n_drop} unit-periods). ATT(g,t) is reported for the earlier cohorts only.",
        EstimationWarning, stacklevel=3)
    return _Panel(Y=Y, X=X, G=G, w=P.w, periods=P.periods[keep_t], clus=P.clus,
                  n_clusters=P.n_clusters, units=P.units, dropped=dropped,
                  n_used=int(np.sum(~np.isnan(Y))))


def _cell_pscore(Xc: np.ndarray, D: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Propensity score of one 2x2 cell (the package's one logit).

    Refuses collinear covariates, whose score covariance would be singular.
    """
    sv = np.linalg.svd(Xc.T @ (Xc * w[:, None]), compute_uv=False)
    if sv[-1] <= 0 or sv[0] / sv[-1] > 1 / np.finfo(float).eps:
        raise IdentificationError("The propensity-score logit is singular (collinear "
                                  "covariates). Fix: drop covariates.")
    return fit_logit(Xc, D, w, owner="callaway_santanna").fitted


def _ols_fit_lin(Xc: np.ndarray, y: np.ndarray, wsel: np.ndarray, n: int, what: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted OLS of ``y`` on ``Xc`` over the rows with ``wsel > 0``.

    Returns fitted values for every row and the asymptotic linear representation of the
    coefficients (n x k).
    """
    XpX = Xc.T @ (Xc * wsel[:, None]) / n
    sv = np.linalg.svd(XpX, compute_uv=False)
    if sv[-1] <= 0 or sv[0] / sv[-1] > 1 / np.finfo(float).eps:
        raise IdentificationError(f"The outcome regression on the {what} is singular (too few "
                                  "observations or collinear covariates). Fix: drop covariates.")
    XpX_inv = np.linalg.inv(XpX)
    beta = XpX_inv @ (Xc.T @ (wsel * y)) / n
    fit = Xc @ beta
    return fit, (Xc * (wsel * (y - fit))[:, None]) @ XpX_inv


def _att_2x2_rc(y: np.ndarray, post: np.ndarray, D: np.ndarray, Xc: np.ndarray, w: np.ndarray,
                method: str) -> tuple[float, np.ndarray]:
    """One ATT(g,t) from repeated cross-sections and its influence function (one per row).

    Sant'Anna & Zhao (2020) as in R ``DRDID`` -- ``drdid_rc`` (the locally efficient
    doubly robust estimator), ``std_ipw_did_rc`` (normalised IPW) and ``reg_did_rc``
    (outcome regression), which R ``did`` uses with ``panel=FALSE``. Propensity scores are
    clipped to [1e-6, 1-1e-6] and comparison rows with a score >= 0.995 are trimmed. One
    difference from R: the DR influence function subtracts the base-period outcome
    regression's estimation effects (the derivative of the estimate, as csdid); R DRDID 1.2.3
    adds them, so DR-with-covariates SEs differ from R's by ~0.1-0.6 % on mpdta
    (tests/references/did/README.md).
    """
    n = y.size
    w = w / w.mean()
    k = Xc.shape[1]
    pre = 1.0 - post
    C = 1.0 - D
    if method in ("reg", "dr"):
        oc_pre, lin_c_pre = _ols_fit_lin(Xc, y, w * C * pre, n, "comparison group, base period")
        oc_post, lin_c_post = _ols_fit_lin(Xc, y, w * C * post, n, "comparison group, period t")
    if method == "reg":
        w_tpre, w_tpost, w_c = w * D * pre, w * D * post, w * D
        a_tpre, a_tpost, a_c = w_tpre * y, w_tpost * y, w_c * (oc_post - oc_pre)
        e_tpre = a_tpre.mean() / w_tpre.mean()
        e_tpost = a_tpost.mean() / w_tpost.mean()
        e_c = a_c.mean() / w_c.mean()
        inf_treat = (a_tpost - w_tpost * e_tpost) / w_tpost.mean() \
            - (a_tpre - w_tpre * e_tpre) / w_tpre.mean()
        M1 = (Xc * w_c[:, None]).mean(axis=0)
        inf_cont = (a_c - w_c * e_c + lin_c_post @ M1 - lin_c_pre @ M1) / w_c.mean()
        return float(e_tpost - e_tpre - e_c), inf_treat - inf_cont
    if k == 1:
        ps = np.full(n, np.sum(w * D) / np.sum(w))
    else:
        ps = _cell_pscore(Xc, D, w)
    ps = np.clip(ps, 1e-6, 1 - 1e-6)
    Hps = np.linalg.inv(Xc.T @ (Xc * (ps * (1 - ps) * w)[:, None])) * n
    lin_ps = (Xc * (w * (D - ps))[:, None]) @ Hps
    trim = np.ones(n)
    trim[D == 0] = ps[D == 0] < _TRIM
    odds = ps / (1 - ps)
    w_tpre, w_tpost = trim * w * D * pre, trim * w * D * post
    w_cpre, w_cpost = trim * w * odds * C * pre, trim * w * odds * C * post
    if min(w_cpre.sum(), w_cpost.sum()) == 0:
        raise IdentificationError("No comparison observations left after propensity-score "
                                  "trimming (all scores >= 0.995). Fix: fewer covariates.")
    oc = 0.0 if method == "ipw" else post * oc_post + pre * oc_pre
    r = y - oc

    def part(wv: np.ndarray, v: np.ndarray) -> tuple[float, np.ndarray]:
        m = wv.mean()
        a = float((wv * v).mean() / m)
        return a, (wv * v - wv * a) / m

    a_tpre, i_tpre = part(w_tpre, r)
    a_tpost, i_tpost = part(w_tpost, r)
    a_cpre, i_cpre = part(w_cpre, r)
    a_cpost, i_cpost = part(w_cpost, r)
    M2_pre = (Xc * (w_cpre * (r - a_cpre))[:, None]).mean(axis=0) / w_cpre.mean()
    M2_post = (Xc * (w_cpost * (r - a_cpost))[:, None]).mean(axis=0) / w_cpost.mean()
    inf_ps = lin_ps @ (M2_post - M2_pre)
    if method == "ipw":
        att = (a_tpost - a_tpre) - (a_cpost - a_cpre)
        return float(att), (i_tpost - i_tpre) - (i_cpost - i_cpre + inf_ps)
    # locally efficient doubly robust (drdid_rc)
    ot_pre, lin_t_pre = _ols_fit_lin(Xc, y, w * D * pre, n, "treated group, base period")
    ot_post, lin_t_post = _ols_fit_lin(Xc, y, w * D * post, n, "treated group, period t")
    w_d, w_dt1, w_dt0 = trim * w * D, w_tpost, w_tpre
    a_dpost, i_dpost = part(w_d, ot_post - oc_post)
    a_dt1, i_dt1 = part(w_dt1, ot_post - oc_post)
    a_dpre, i_dpre = part(w_d, ot_pre - oc_pre)
    a_dt0, i_dt0 = part(w_dt0, ot_pre - oc_pre)
    att = (a_tpost - a_tpre) - (a_cpost - a_cpre) + (a_dpost - a_dt1) - (a_dpre - a_dt0)
    M1_post = -(Xc * (w_tpost * post)[:, None]).mean(axis=0) / w_tpost.mean()
    M1_pre = -(Xc * (w_tpre * pre)[:, None]).mean(axis=0) / w_tpre.mean()
    # the ATT holds -att_treat_pre and +att_cont_pre, so the base-period regression's
    # estimation effects enter with a minus (the derivative; csdid's drdid_rc). R DRDID's
    # drdid_rc (1.2.3) and moderndid add them: tests/references/did/README.md
    inf_treat = i_tpost - i_tpre + lin_c_post @ M1_post - lin_c_pre @ M1_pre
    M3_post = -(Xc * (w_cpost * post)[:, None]).mean(axis=0) / w_cpost.mean()
    M3_pre = -(Xc * (w_cpre * pre)[:, None]).mean(axis=0) / w_cpre.mean()
    inf_cont = i_cpost - i_cpre + inf_ps + lin_c_post @ M3_post - lin_c_pre @ M3_pre
    inf_eff = (i_dpost - i_dt1) - (i_dpre - i_dt0)
    mom_post = (Xc * (w_d / w_d.mean() - w_dt1 / w_dt1.mean())[:, None]).mean(axis=0)
    mom_pre = (Xc * (w_d / w_d.mean() - w_dt0 / w_dt0.mean())[:, None]).mean(axis=0)
    inf_or = (lin_t_post - lin_c_post) @ mom_post - (lin_t_pre - lin_c_pre) @ mom_pre
    return float(att), inf_treat - inf_cont + inf_eff + inf_or


def _att_2x2(dY: np.ndarray, D: np.ndarray, Xc: np.ndarray, w: np.ndarray, method: str
             ) -> tuple[float, np.ndarray]:
    """One ATT(g,t) and its influence function (length = subset size), DRDID panel formulas.

    Only with covariates: ``Xc`` is the intercept and at least one covariate (its one caller,
    :func:`callaway_santanna`, sends the intercept-only cells to :func:`_att_2x2_const`).
    """
    n = dY.size
    w = w / w.mean()
    if method in ("reg", "dr"):
        wc = w * (1 - D)
        XpX = Xc.T @ (Xc * wc[:, None]) / n
        s = np.linalg.svd(XpX, compute_uv=False)
        if s[-1] <= 0 or s[0] / s[-1] > 1 / np.finfo(float).eps:
            raise IdentificationError("The outcome regression on the controls is singular "
                                      "(collinear covariates). Fix: drop covariates.")
        XpX_inv = np.linalg.inv(XpX)
        beta = XpX_inv @ (Xc.T @ (wc * dY)) / n
        out = Xc @ beta
        lin_ols = (Xc * (wc * (dY - out))[:, None]) @ XpX_inv   # (n, k)
    if method in ("ipw", "dr"):
        ps = np.clip(_cell_pscore(Xc, D, w), 1e-6, 1 - 1e-6)
        W = ps * (1 - ps) * w
        Hps = np.linalg.inv(Xc.T @ (Xc * W[:, None])) * n
        lin_ps = (Xc * (w * (D - ps))[:, None]) @ Hps
    if method == "reg":
        wt = w * D
        mt = wt.mean()
        att_t = wt * dY
        att_c = wt * out
        eta_t = att_t.mean() / mt
        eta_c = att_c.mean() / mt
        inf_t = (att_t - wt * eta_t) / mt
        M1 = (Xc * wt[:, None]).mean(axis=0)
        inf_c = (att_c - wt * eta_c + lin_ols @ M1) / mt
        return float(eta_t - eta_c), inf_t - inf_c
    trim = np.ones(n, dtype=bool)
    trim[D == 0] = ps[D == 0] < _TRIM
    wt = trim * w * D
    wcn = trim * w * ps * (1 - D) / (1 - ps)
    mt, mc = wt.mean(), wcn.mean()
    if mc == 0:
        raise IdentificationError("No comparison units left after propensity-score trimming "
                                  "(all controls have scores >= 0.995). Fix: fewer covariates.")
    if method == "ipw":
        att_t = wt * dY
        att_c = wcn * dY
        eta_t = att_t.mean() / mt
        eta_c = att_c.mean() / mc
        inf_t = (att_t - wt * eta_t) / mt
        M2 = (Xc * (wcn * (dY - eta_c))[:, None]).mean(axis=0)
        inf_c = (att_c - wcn * eta_c + lin_ps @ M2) / mc
        return float(eta_t - eta_c), inf_t - inf_c
    # doubly robust
    r = dY - out
    att_t = wt * r
    att_c = wcn * r
    eta_t = att_t.mean() / mt
    eta_c = att_c.mean() / mc
    M1 = (Xc * wt[:, None]).mean(axis=0)
    inf_t = (att_t - wt * eta_t - lin_ols @ M1) / mt
    M2 = (Xc * (wcn * (r - eta_c))[:, None]).mean(axis=0)
    M3 = (Xc * wcn[:, None]).mean(axis=0)
    inf_c = (att_c - wcn * eta_c + lin_ps @ M2 - lin_ols @ M3) / mc
    return float(eta_t - eta_c), inf_t - inf_c


def _att_2x2_const(dY: np.ndarray, D: np.ndarray, w: np.ndarray | None
                   ) -> tuple[float, np.ndarray]:
    """One ATT(g,t) without covariates and its influence function, with vectors only.

    DRDID's ``reg_did_panel`` with ``X = 1``: the (weighted) mean of ``dY`` among the treated
    minus that among the comparison units. Without covariates ``ipw`` and ``dr`` are the same
    estimator with the same influence function (normalised IPW weights with a constant score
    are the comparison units' own weights; the outcome model is their mean), so
    :func:`callaway_santanna` uses this one formula for all three methods. The hot path of
    large household panels.
    """
    n = dY.size
    if w is None:
        # unweighted fast path (the same formula with w = 1): one pass with np.where
        Db = D.astype(bool)
        nt = int(np.count_nonzero(Db))
        nc = n - nt
        sum_t = float(dY[Db].sum())
        out = (float(dY.sum()) - sum_t) / nc
        eta_t = sum_t / nt
        inf = np.where(Db, (dY - eta_t) * (n / nt), (dY - out) * (-n / nc))
        return eta_t - out, inf
    w = w / w.mean()
    wt = w * D
    wc = w - wt
    swt, swc = wt.sum(), wc.sum()
    mt = swt / n
    out = float(wc @ dY) / swc
    eta_t = float(wt @ dY) / swt
    # treated part minus the OLS estimation effect (the control part att_c - wt*eta_c is
    # wt*out - wt*out = 0); computed in place to keep temporaries to two vectors
    inf = dY - eta_t
    inf *= wt
    inf *= 1.0 / mt
    tmp = dY - out
    tmp *= wc
    tmp *= n / swc
    inf -= tmp
    return eta_t - out, inf


# --------------------------------------------------------------------------------------------
# Callaway & Sant'Anna
# --------------------------------------------------------------------------------------------
def callaway_santanna(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str | None,
    time: str,
    cohort: str,
    control: Literal["never", "notyet"] = "never",
    method: Literal["dr", "ipw", "reg"] = "dr",
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    panel: Literal["balance", "unbalanced", "pairwise", "cross_section"] = "balance",
    alpha: float = 0.05,
) -> EstimateResult:
    """Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (households or villages).
    y, unit, time : str
        Outcome, unit id and period (integer years) columns.
    cohort : str
        First treated period of the unit (0 = never treated), constant within unit.
    control : {"never", "notyet"}
        Never-treated units only, or never plus not-yet-treated units.
    method : {"dr", "ipw", "reg"}
        Doubly robust, inverse probability weighting, outcome regression.
    covariates : list of str, optional
        Covariates (values at the base period enter the 2x2 models).
    weights : str, optional
        Sampling weights (one per unit; the first wave's weight is used if they vary).
    cluster : str, optional
        Cluster id (constant within unit) for clustered SEs.
    anticipation : int
        Periods of anticipation.
    base_period : {"varying", "universal"}
        As in R ``did``. HonestDiD sensitivity needs ``"universal"``.
    panel : {"balance", "unbalanced", "pairwise", "cross_section"}
        ``"balance"`` (R did's default ``panel=TRUE``): panel estimators on the units seen in
        every period. ``"unbalanced"`` (R did's ``allow_unbalanced_panel=TRUE``): every
        observed unit-period is used with the repeated-cross-section estimators and the
        influence function is summed within unit. ``"cross_section"`` (R did's
        ``panel=FALSE``): repeated cross-sections (e.g. Susenas waves), every row its own
        sampling unit, Sant'Anna & Zhao (2020) ``drdid_rc`` / ``std_ipw_did_rc`` /
        ``reg_did_rc``; ``unit`` may be None and covariates are each row's own values.
        With ``method="dr"`` and covariates the SEs of these two follow csdid, not R
        DRDID 1.2.3, whose ``drdid_rc`` influence function has the base-period
        outcome-regression terms with the wrong sign (0.1-0.6 % on mpdta;
        tests/references/did/README.md).
        ``"pairwise"`` is *not* an R did option: panel (differenced) estimators on the units
        observed in both ``t`` and the base period of each cell (a rotating panel); it
        differs from ``"unbalanced"``, which does not difference within unit.

    Returns
    -------
    EstimateResult
        One row per ATT(g,t): ``term`` ``ATT(g,t)``, with columns ``group``, ``time``,
        ``event_time``, ``post``; the influence functions and the pre-trend Wald test are in
        ``extras`` (``influence``, ``pretrend``); pass it to :func:`aggregate`.

    Examples
    --------
    >>> res = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year",
    ...                         cohort="first.treat", method="reg")  # doctest: +SKIP
    >>> aggregate(res, "group")["ATT"]  # doctest: +SKIP
    -0.0310...
    """
    owner = "callaway_santanna"
    check_option(owner, "control", control, ["never", "notyet"])
    check_option(owner, "method", method, ["dr", "ipw", "reg"])
    check_option(owner, "base_period", base_period, ["varying", "universal"])
    check_option(owner, "panel", panel, ["balance", "unbalanced", "pairwise", "cross_section"])
    if not (isinstance(anticipation, (int, np.integer)) and anticipation >= 0):
        raise ParameterError(f"The 'anticipation' parameter of {owner} must be a non-negative "
                             f"integer. Got {anticipation!r} instead.")
    covs = as_list(covariates)
    n_input = len(data)
    rc = panel in ("unbalanced", "cross_section")
    data_in, unit_in = data, unit
    if panel == "cross_section":
        unit_in = "__kassaki_row__"
        data_in = data.assign(**{unit_in: np.arange(len(data))})
    elif unit is None:
        raise ParameterError(f"The 'unit' parameter of {owner} must name the unit id column for "
                             f"panel={panel!r}. Got None instead (None only with "
                             "panel='cross_section').")
    assert unit_in is not None  # set above for cross-sections; None was refused otherwise
    P = _prepare(data_in, owner, y, unit_in, time, cohort, covs, weights, cluster, panel,
                 anticipation)
    periods, G, n = P.periods, P.G, len(P.G)
    glist = np.sort(np.unique(G[G > 0]))
    if glist.size == 0:
        raise IdentificationError(f"data: no unit is ever treated (column '{cohort}' is 0 for all "
                                  f"{n} units). Fix: check the cohort column.")
    never = G == 0
    if control == "never" and not never.any():
        raise IdentificationError(
            f"data: no never-treated units (every one of the {n} units has '{cohort}' > 0), so "
            "control='never' has no comparison group. Fix: use control='notyet' (identifies "
            "ATT(g,t) only while some cohort is still untreated) or add never-treated villages.")
    if control == "notyet" and not never.any():
        P = _last_cohort_as_control(P, glist, anticipation, cohort)
        periods, G = P.periods, P.G
        glist = np.sort(np.unique(G[G > 0]))
        never = G == 0
    _warn_small_samples(P, owner, cohort, len(covs), per_row=panel == "cross_section",
                        control=control)
    # 1) enumerate the cells and their base periods
    cells: list[tuple[float, int, int, bool]] = []   # (g, t index, base index, is reference)
    for g in glist:
        # base for post periods: last period p with p + anticipation < g
        pre_idx = np.flatnonzero(periods + anticipation < g)
        if pre_idx.size == 0:
            raise IdentificationError(
                f"data: cohort {g:g} is treated in the first period "
                f"({periods[0]}), so it has no pre-treatment period. Fix: drop "
                "it or add earlier waves."
            )
        gbase = int(pre_idx[-1])
        for ti in range(len(periods)):
            post = periods[ti] + anticipation >= g
            if post or base_period == "universal":
                bi = gbase
            elif ti == 0:
                continue
            else:
                bi = ti - 1
            cells.append((float(g), ti, bi, ti == bi))
    # 2) estimate; the influence functions go straight into one (n, cells) array
    psi = np.zeros((n, len(cells)))
    Ycol = [np.ascontiguousarray(P.Y[:, j]) for j in range(len(periods))]
    obs = [~np.isnan(c) for c in Ycol]
    if rc:
        # one row per observed unit-period: (unit index, period index)
        r_id, r_t = np.nonzero(~np.isnan(P.Y))
        r_y = P.Y[r_id, r_t]
        r_x = P.X[r_id, r_t, :] if P.X is not None else None
    rows, keep_cols = [], []
    treated_of = {g: G == g for g in glist}
    weighted = weights is not None and not np.all(P.w == P.w[0])
    for j, (g, ti, bi, ref) in enumerate(cells):
        t = periods[ti]
        if ref:
            # universal base: the reference period itself, ATT = 0 by construction
            rows.append((g, t, 0.0, 0, 0, True))
            keep_cols.append(j)
            continue
        b = periods[bi]
        treated = treated_of[g]
        if control == "never":
            ctrl = never
        else:
            cut = max(t, b) + anticipation
            ctrl = never | ((G > cut) & (G != g))
        if rc:
            sel = np.flatnonzero(((r_t == ti) | (r_t == bi)) & (treated | ctrl)[r_id])
            postv = (r_t[sel] == ti).astype(float)
            Dv = treated[r_id[sel]].astype(float)
            cnt = [np.sum(Dv * postv), np.sum(Dv * (1 - postv)), np.sum((1 - Dv) * postv),
                   np.sum((1 - Dv) * (1 - postv))]
            if min(cnt) == 0:
                continue  # a group is missing in t or in the base period: skipped, as R did
            Xc = (
                np.ones((sel.size, 1))
                if r_x is None
                else np.column_stack([np.ones(sel.size), r_x[sel]])
            )
            att, inf = _att_2x2_rc(r_y[sel], postv, Dv, Xc, P.w[r_id[sel]], method)
            psi[:, j] = np.bincount(r_id[sel], weights=(n / sel.size) * inf, minlength=n)
            rows.append((g, t, att, int(cnt[0] + cnt[1]), int(cnt[2] + cnt[3]), False))
            keep_cols.append(j)
            continue
        ok = obs[ti] & obs[bi]
        idx = np.flatnonzero((treated | ctrl) & ok)
        n1 = idx.size
        D = treated[idx]
        nt = int(np.count_nonzero(D))
        nc = n1 - nt
        if nt == 0 or nc == 0:
            # no comparison (or no treated) units for this cell: not identified, skipped as R
            # did does (the message below fires if nothing at all is identified)
            continue
        dY = Ycol[ti][idx] - Ycol[bi][idx]
        if P.X is not None:
            Xc = np.column_stack([np.ones(n1), P.X[idx, bi, :]])
            att, inf = _att_2x2(dY, D.astype(float), Xc, P.w[idx], method)
        else:
            # without covariates reg, ipw and dr are the same estimator (same influence
            # function, shown algebraically and in the tests): use the cheapest formula
            att, inf = _att_2x2_const(dY, D, P.w[idx] if weighted else None)
        psi[idx, j] = (n / n1) * inf
        rows.append((g, t, att, nt, nc, False))
        keep_cols.append(j)
    if not rows:
        raise IdentificationError(
            f"data: no ATT(g,t) is identified: there are no never-treated and no not-yet-treated "
            f"units to compare with ({n} units, cohorts {', '.join(f'{v:g}' for v in glist)}). "
            "Fix: the evaluation needs villages that are not (yet) in the programme.")
    if len(keep_cols) < len(cells):
        psi = psi[:, keep_cols]
    tab = pd.DataFrame(rows, columns=["group", "time", "estimate", "n_treated", "n_control", "ref"])
    se = influence_se(psi, P.clus, scale=1 / n, correction="cluster_only")
    se = np.where(tab["ref"].to_numpy(), np.nan, se)
    tab["std_error"] = se
    tab["term"] = [f"ATT({g:g},{t:g})" for g, t in zip(tab["group"], tab["time"], strict=False)]
    tab["event_time"] = tab["time"] - tab["group"]
    tab["post"] = (tab["time"] + anticipation >= tab["group"]).astype(int)
    tab["n_obs"] = tab["n_treated"] + tab["n_control"]
    tab["df"] = float(P.n_clusters - 1) if P.n_clusters else np.inf
    tab = tab[["term", "estimate", "std_error", "n_obs", "df", "group", "time", "event_time",
               "post", "n_treated", "n_control"]]
    # pre-trend Wald test on the pre-treatment ATT(g,t) (R did's W / Wpval)
    pre = (tab["post"].to_numpy() == 0) & ~np.isnan(se)
    pretrend = _wald(tab["estimate"].to_numpy()[pre], psi[:, pre], n, P.clus, P.n_clusters)
    extras = {
        "influence": psi,
        "n_units": n,
        "units": P.units,
        "unit_cohort": G,
        "unit_weight": P.w,
        "cluster_codes": P.clus,
        "n_clusters": P.n_clusters,
        "periods": periods,
        "pretrend": pretrend,
        "base_period": base_period,
        "control": control,
        "anticipation": anticipation,
        "y": y,
    }
    prov = Provenance(
        method=owner,
        options={"y": y, "unit": unit, "time": time, "cohort": cohort, "control": control,
                 "method": method, "covariates": covs, "weights": weights, "cluster": cluster,
                 "anticipation": anticipation, "base_period": base_period, "panel": panel},
        inputs_hash=hash_columns(data, [y, unit, time, cohort, *covs, *as_list(weights),
                                        *as_list(cluster)]),
        n_input=n_input, n_used=P.n_used,
        dropped=P.dropped)
    return EstimateResult(
        tab,
        method="cs_did",
        alpha=alpha,
        provenance=prov,
        extras=extras,
        title=f"Callaway-Sant'Anna ATT(g,t) of {y} ({method}, {control} controls)",
    )


def _wald(theta: np.ndarray, psi: np.ndarray, n: int, clus: np.ndarray | None,
          Gc: int | None) -> dict[str, float]:
    """Wald test that all ``theta`` are zero, with the IF-based covariance."""
    q = theta.size
    if q == 0:
        return {"statistic": np.nan, "df": 0, "p_value": np.nan}
    V = influence_vcov(psi, clus, scale=1 / n, correction="cluster_only")
    try:
        W = float(theta @ np.linalg.solve(V, theta))
    except np.linalg.LinAlgError:
        W = float(theta @ np.linalg.pinv(V) @ theta)
    return {"statistic": W, "df": q, "p_value": float(stats.chi2.sf(W, q))}


# --------------------------------------------------------------------------------------------
# aggregation (did::aggte)
# --------------------------------------------------------------------------------------------
def _wif(keepers: np.ndarray, pg: np.ndarray, w: np.ndarray, Gunit: np.ndarray,
         group: np.ndarray) -> np.ndarray:
    """Influence function of the estimated aggregation weights (did:::wif)."""
    s = pg[keepers].sum()
    ind = (Gunit[:, None] == group[keepers][None, :]) * w[:, None] - pg[keepers][None, :]  # (n, k)
    if1 = ind / s
    if2 = ind.sum(axis=1)[:, None] * (pg[keepers] / s ** 2)[None, :]
    return if1 - if2


def aggregate(
    res: EstimateResult,
    type: Literal["simple", "group", "calendar", "dynamic"] = "group",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    alpha: float | None = None,
) -> EstimateResult:
    """Aggregate ATT(g,t) as R ``did::aggte``: ``simple``, ``group``, ``calendar``, ``dynamic``.

    The first row (term ``ATT``) is the overall summary (for ``dynamic``, the average over
    event times ``e >= 0``; for ``group`` the cohort-size-weighted average of the group
    effects; for ``calendar`` the average over periods); the other rows are the group,
    period or event-time effects (terms ``g=2004``, ``t=2006``, ``e=-1``). Standard errors
    include the influence of the estimated cohort shares.

    Examples
    --------
    >>> aggregate(res, "dynamic").tidy()  # doctest: +SKIP
    """
    owner = "aggregate"
    check_option(owner, "type", type, ["simple", "group", "calendar", "dynamic"])
    ex = res.extras
    if "influence" not in ex or "unit_cohort" not in ex:
        raise ParameterError(f"The 'res' parameter of {owner} must be a callaway_santanna() "
                             f"result. Got a {res.method!r} result instead.")
    tab = res.tidy()
    psi = ex["influence"]
    n = ex["n_units"]
    Gu, w = ex["unit_cohort"], ex["unit_weight"]
    clus, Gc = ex["cluster_codes"], ex["n_clusters"]
    group = tab["group"].to_numpy(dtype=float)
    tt = tab["time"].to_numpy(dtype=float)
    att = tab["estimate"].to_numpy(dtype=float)
    glist = np.sort(np.unique(group))
    pg_g = np.array([np.mean(w * (Gu == g)) for g in glist])
    pg = pg_g[np.searchsorted(glist, group)]
    antic = ex["anticipation"]
    keepers = np.flatnonzero((group <= tt + antic) & (tt <= group + max_e))
    if keepers.size == 0:
        raise IdentificationError("No post-treatment ATT(g,t) to aggregate. Fix: the data need "
                                  "periods at or after the first treatment.")
    names, ests, ifs, extra = [], [], [], []

    def agg_if(which: np.ndarray, wts: np.ndarray, wif: np.ndarray | None, a: np.ndarray,
               inf: np.ndarray) -> np.ndarray:
        out = inf[:, which] @ wts
        if wif is not None:
            out = out + wif @ a[which]
        return out

    if type == "simple":
        wts = pg[keepers] / pg[keepers].sum()
        est = float(att[keepers] @ wts)
        f = agg_if(keepers, wts, _wif(keepers, pg, w, Gu, group), att, psi)
        names, ests, ifs, extra = ["ATT"], [est], [f], [np.nan]
        col = None
    elif type == "group":
        gl = [g for g in glist if np.any((group == g) & (g <= tt + antic) & (tt <= group + max_e))]
        att_gl, if_g = [], []
        for g in gl:
            wh = np.flatnonzero((group == g) & (g <= tt + antic) & (tt <= group + max_e))
            att_gl.append(float(att[wh].mean()))
            if_g.append(agg_if(wh, pg[wh] / pg[wh].sum(), None, att, psi))
        att_g = np.array(att_gl)
        IFg = np.column_stack(if_g)
        pgg = pg_g[np.searchsorted(glist, gl)]
        wif = _wif(np.arange(len(gl)), pgg, w, Gu, np.array(gl))
        overall = float(att_g @ (pgg / pgg.sum()))
        f = IFg @ (pgg / pgg.sum()) + wif @ att_g
        names = ["ATT"] + [f"g={g:g}" for g in gl]
        ests = [overall] + list(att_g)
        ifs = [f] + [IFg[:, j] for j in range(len(gl))]
        extra = [np.nan] + list(gl)
        col = "group"
    elif type == "calendar":
        tl = np.sort(np.unique(tt))
        tl = tl[tl >= group.min()]
        att_tl, if_t, used = [], [], []
        for t1 in tl:
            wh = np.flatnonzero((tt == t1) & (group <= tt + antic))
            if wh.size == 0:
                continue
            wts = pg[wh] / pg[wh].sum()
            att_tl.append(float(att[wh] @ wts))
            if_t.append(agg_if(wh, wts, _wif(wh, pg, w, Gu, group), att, psi))
            used.append(t1)
        att_t = np.array(att_tl)
        IFt = np.column_stack(if_t)
        overall = float(att_t.mean())
        f = IFt.mean(axis=1)
        names = ["ATT"] + [f"t={t:g}" for t in used]
        ests = [overall] + list(att_t)
        ifs = [f] + [IFt[:, j] for j in range(len(used))]
        extra = [np.nan] + used
        col = "time"
    else:
        e_all = tt - group
        incl = np.ones(len(att), dtype=bool)
        if balance_e is not None:
            # as did::aggte: keep groups observed for at least balance_e periods after
            # treatment, and event times in [balance_e - (T_max - T_min), balance_e]
            periods_all = np.asarray(ex["periods"], dtype=float)
            last, first = periods_all.max(), periods_all.min()
            incl = (last - group) >= balance_e
            incl &= (e_all <= balance_e) & (e_all >= balance_e - (last - first))
        eseq = np.sort(np.unique(e_all[incl]))
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        att_el, if_e = [], []
        for e in eseq:
            wh = np.flatnonzero((e_all == e) & incl)
            wts = pg[wh] / pg[wh].sum()
            att_el.append(float(att[wh] @ wts))
            if_e.append(agg_if(wh, wts, _wif(wh, pg, w, Gu, group), att, psi))
        att_e = np.array(att_el)
        IFe = np.column_stack(if_e)
        epos = eseq >= 0
        if not epos.any():
            raise IdentificationError("No event time >= 0 to aggregate.")
        overall = float(att_e[epos].mean())
        f = IFe[:, epos].mean(axis=1)
        names = ["ATT"] + [f"e={e:g}" for e in eseq]
        ests = [overall] + list(att_e)
        ifs = [f] + [IFe[:, j] for j in range(len(eseq))]
        extra = [np.nan] + list(eseq)
        col = "event_time"
    IF = np.column_stack(ifs)
    se = influence_se(IF, clus, scale=1 / n, correction="cluster_only")
    # the universal-base reference period has an exactly-zero influence function
    se = np.where(np.all(IF == 0, axis=0), np.nan, se)
    out = pd.DataFrame({"term": names, "estimate": ests, "std_error": se,
                        "n_obs": int(res.provenance.n_used or n),
                        "df": float(Gc - 1) if Gc else np.inf})
    if col:
        out[col] = extra
    extras = dict(ex)
    extras.update({"influence": IF, "aggregation": type, "parent_terms": tab["term"].tolist()})
    prov = Provenance(method=f"aggregate_{type}", options={**dict(res.provenance.options),
                                                           "aggregation": type,
                                                           "min_e": min_e, "max_e": max_e,
                                                           "balance_e": balance_e},
                      inputs_hash=res.provenance.inputs_hash, n_input=res.provenance.n_input,
                      n_used=res.provenance.n_used, dropped=res.provenance.dropped)
    return EstimateResult(out, method=f"cs_{type}", alpha=res.alpha if alpha is None else alpha,
                          provenance=prov, extras=extras,
                          title=f"Callaway-Sant'Anna, {type} aggregation")


# --------------------------------------------------------------------------------------------
# imputation estimator (Borusyak, Jaravel & Spiess 2024)
# --------------------------------------------------------------------------------------------
def imputation(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    anticipation: int = 0,
    horizons: bool = True,
    alpha: float = 0.05,
) -> EstimateResult:
    """Imputation DiD estimator of Borusyak, Jaravel & Spiess (2024).

    Unit and period effects (and time-varying ``covariates``, by Frisch-Waugh-Lovell on the
    untreated observations) are fitted by (weighted) least squares on the untreated
    observations (never treated, and treated units before ``cohort - anticipation``); each
    treated observation's effect is ``y - a_i - l_t``. Reported: the overall ATT (weighted mean
    over treated observations) and, with ``horizons=True``, the effect by event time ``e>=0``
    and by cohort x period (``ATT(g,t)``).

    Variance: BJS Theorem 3's conservative estimator, clustered (by ``cluster``, default the
    unit): ``sum_c (sum_{it in c} v_it e_it)^2`` with the implicit weights ``v`` of the linear
    estimator and residuals ``e`` (untreated: the FE residual; treated: the effect minus its
    cohort x period mean). The leave-out refinement of BJS is not implemented.
    """
    owner = "imputation"
    covs = as_list(covariates)
    check_columns(data, owner, y=y, unit=unit, time=time, cohort=cohort, weights=weights,
                  cluster=cluster, covariates=covs)
    n_input = len(data)
    cols = [y, unit, time, cohort] + covs + as_list(weights) + as_list(cluster)
    d, dropped = drop_missing(data, list(dict.fromkeys(cols)), unit)
    num = numeric_values(d, [y, time, cohort, *covs, *as_list(weights)], "data", owner,
                         id_col=unit)
    d = _numbers_as_numbers(d, num, [time, cohort])
    yv = num[y]
    check_outcome(yv, "data", y)
    if cluster:
        check_cluster_constant(d, unit, cluster, "data")
    ui, units = pd.factorize(d[unit])
    periods, ti = np.unique(d[time].to_numpy(), return_inverse=True)
    nu, nt = len(units), len(periods)
    G = d[cohort].to_numpy(dtype=float)
    tv = d[time].to_numpy(dtype=float)
    treated = (G > 0) & (tv + anticipation >= G)
    if not treated.any():
        raise IdentificationError(f"data: no treated observations ('{cohort}' > 0 and '{time}' >= "
                                  "cohort). Fix: check the cohort column.")
    untreated = ~treated
    w = np.ones(len(d)) if weights is None else d[weights].to_numpy(dtype=float)
    if weights:
        check_weights(w, "data", weights)
    # treated observations of units never observed untreated, or in periods without untreated
    # observations, cannot be imputed: drop them and say so
    has_u = np.bincount(ui[untreated], minlength=nu) > 0
    has_t = np.bincount(ti[untreated], minlength=nt) > 0
    ok = untreated | (has_u[ui] & has_t[ti])
    if not ok.all():
        dropped = dict(dropped)
        dropped["treated obs. with no untreated obs. of the unit or period (not imputable)"] = int(
            (~ok).sum()
        )
        if not (treated & ok).any():
            raise IdentificationError("data: no treated observation can be imputed: treated units "
                                      "have no untreated period, or no untreated units remain in "
                                      "treated periods (no never- or not-yet-treated units). Fix: "
                                      "add pre-treatment waves or comparison villages.")
    keep = ok
    yv, G, tv, w, treated, ui, ti = (
        yv[keep],
        G[keep],
        tv[keep],
        w[keep],
        treated[keep],
        ui[keep],
        ti[keep],
    )
    d = d.loc[keep]
    u0 = ~treated
    Xv = d[covs].to_numpy(dtype=float) if covs else np.zeros((len(yv), 0))
    k = Xv.shape[1]
    if k:
        # FWL on the untreated observations: two-way demeaned covariates and outcome
        Z0 = demean_2way(np.column_stack([yv[u0], Xv[u0]]), pd.factorize(ui[u0])[0],
                         pd.factorize(ti[u0])[0], w[u0])
        Xt0 = Z0[:, 1:]
        XtWX = Xt0.T @ (Xt0 * w[u0][:, None])
        raw = np.sum(w[u0][:, None] * (Xv[u0] - Xv[u0].mean(axis=0)) ** 2, axis=0)
        # a covariate with (almost) no variation left after the unit and period effects is
        # time-invariant or collinear: refuse rather than return noise
        if np.any(np.diag(XtWX) <= 1e-10 * np.maximum(raw, 1e-300)) or np.linalg.cond(XtWX) > 1e12:
            bad = [
                c
                for c, v0, v1 in zip(covs, np.diag(XtWX), raw, strict=False)
                if v0 <= 1e-10 * max(v1, 1e-300)
            ]
            raise IdentificationError(
                f"data: covariate(s) {bad or covs} are collinear with the unit and period effects "
                "among untreated observations (e.g. time-invariant). Fix: drop them; unit "
                "effects already absorb time-invariant covariates.")
        XtWX_inv = np.linalg.inv(XtWX)
        beta = XtWX_inv @ (Xt0.T @ (w[u0] * Z0[:, 0]))
    else:
        beta = np.zeros(0)
        XtWX_inv = np.zeros((0, 0))
    yx = yv - Xv @ beta
    # fit FE on untreated obs
    a, lam = fe_solve(
        ui[u0],
        ti[u0],
        w[u0],
        np.bincount(ui[u0], weights=w[u0] * yx[u0], minlength=nu),
        np.bincount(ti[u0], weights=w[u0] * yx[u0], minlength=nt),
        nu,
        nt,
    )
    fit = a[ui] + lam[ti] + Xv @ beta
    tau = yv - fit
    e_t = tv - G
    # estimands: overall, by horizon, by (g,t)
    specs: list[tuple[str, np.ndarray, dict[str, Any]]] = [("ATT", treated, {})]
    if horizons:
        for e in np.sort(np.unique(e_t[treated])):
            specs.append((f"e={e:g}", treated & (e_t == e), {"event_time": e}))
        gt = (
            pd.DataFrame({"g": G[treated], "t": tv[treated]})
            .drop_duplicates()
            .sort_values(["g", "t"])
        )
        for g, t in gt.itertuples(index=False):
            specs.append((f"ATT({g:g},{t:g})", treated & (G == g) & (tv == t),
                          {"group": g, "time": t, "event_time": t - g}))
    clus_col = cluster or unit
    ccodes, Gc = cluster_codes(d[clus_col].to_numpy(), owner)
    # residuals for the variance: untreated FE residuals; treated effects minus cell means
    cell = pd.factorize(pd.Series(G).astype(str) + "_" + pd.Series(tv).astype(str))[0]
    rows = []
    for name, mask, info in specs:
        wt1 = np.where(mask, w, 0.0)
        wt1 = wt1 / wt1.sum()
        est = float(np.sum(wt1 * tau))
        # v for untreated: -W0 Z0 (Z0'W0Z0)^-1 Z1' wt1 with Z = [unit, period dummies, X],
        # solved blockwise (FWL): q_x from the partialled-out covariates, then the FE part
        ru = np.bincount(ui, weights=wt1, minlength=nu)
        rt = np.bincount(ti, weights=wt1, minlength=nt)
        ga, gl = fe_solve(ui[u0], ti[u0], w[u0], ru, rt, nu, nt)
        v = wt1.copy()
        if k:
            f0 = ga[ui[u0]] + gl[ti[u0]]
            rx = Xv.T @ wt1 - Xv[u0].T @ (w[u0] * f0)
            qx = XtWX_inv @ rx
            xq = Xv[u0] @ qx
            ha, hl = fe_solve(ui[u0], ti[u0], w[u0],
                              ru - np.bincount(ui[u0], weights=w[u0] * xq, minlength=nu),
                              rt - np.bincount(ti[u0], weights=w[u0] * xq, minlength=nt), nu, nt)
            v[u0] = -w[u0] * (ha[ui[u0]] + hl[ti[u0]] + xq)
        else:
            v[u0] = -w[u0] * (ga[ui[u0]] + gl[ti[u0]])
        # treated residual: tau minus its v-weighted cell mean
        cnum = np.bincount(cell, weights=np.where(treated, v * tau, 0.0))
        den = np.bincount(cell, weights=np.where(treated, v, 0.0))
        cm = np.divide(cnum, den, out=np.zeros_like(cnum), where=den != 0)
        eps = np.where(treated, tau - cm[cell], yv - fit)
        S = np.bincount(ccodes, weights=v * eps, minlength=Gc)
        se = float(np.sqrt(np.sum(S ** 2)))
        rows.append({"term": name, "estimate": est, "std_error": se, "n_obs": int(mask.sum()),
                     "df": float(Gc - 1), **info})
    tab = pd.DataFrame(rows)
    prov = Provenance(method=owner, options={"y": y, "unit": unit, "time": time, "cohort": cohort,
                                             "covariates": covs, "weights": weights,
                                             "cluster": clus_col, "anticipation": anticipation},
                      inputs_hash=hash_frame(data[[y, unit, time, cohort]]), n_input=n_input,
                      n_used=int(len(yv)), dropped=dropped)
    return EstimateResult(tab, method="imputation", alpha=alpha, provenance=prov,
                          extras={"tau": pd.DataFrame({"unit": d[unit].to_numpy()[treated],
                                                       "time": tv[treated], "tau": tau[treated]}),
                                  "n_clusters": Gc},
                          title=f"Imputation DiD (Borusyak-Jaravel-Spiess) of {y}")


# --------------------------------------------------------------------------------------------
# village panel from the household survey
# --------------------------------------------------------------------------------------------
def village_panel(
    survey: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    village: str = "village_code",
    time: str = "year",
    weight: str = "weight",
    persons: str | None = "hh_size",
    keep: Sequence[str] = ("kec_code", "zone"),
) -> pd.DataFrame:
    """Collapse a household survey to a village x year panel of weighted means.

    Means are person-weighted (``weight * hh_size``) when ``persons`` is given, so that a
    village mean of a "poor" indicator is the village headcount ratio. The returned frame has
    one row per village and year with the outcome means, ``pop_weight`` (sum of person
    weights), ``n_households``, and the ``keep`` columns (first value).
    """
    need = [village, time, weight] + list(outcomes) + ([persons] if persons else []) + list(keep)
    check_columns(survey, "village_panel", outcomes=list(outcomes), village=village, time=time,
                  weight=weight, persons=persons, keep=list(keep))
    d = survey[need].copy()
    pw = d[weight].to_numpy(dtype=float) * (d[persons].to_numpy(dtype=float) if persons else 1.0)
    d["_pw"] = pw
    for c in outcomes:
        d[f"_{c}"] = d[c].to_numpy(dtype=float) * pw
    gb = d.groupby([village, time], observed=True, sort=True)
    out = gb[[f"_{c}" for c in outcomes] + ["_pw"]].sum()
    for c in outcomes:
        out[c] = out[f"_{c}"] / out["_pw"]
    out["pop_weight"] = out["_pw"]
    out["n_households"] = gb.size()
    for c in keep:
        out[c] = gb[c].first()
    out = out.drop(columns=[f"_{c}" for c in outcomes] + ["_pw"]).reset_index()
    return out
