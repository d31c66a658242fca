"""Diagnostics, the village table and change over time for small-area estimates.

- :func:`ebp_diagnostics_table` -- marginal / conditional R² (Nakagawa & Schielzeth 2013), ICC,
  normality of unit residuals and village random effects (skewness, kurtosis, Shapiro-Wilk);
- :func:`fh_diagnostics_table` -- the same checks for the Fay-Herriot standardised residuals
  and random effects;
- :func:`village_table` -- the publication table (code, name, kecamatan, estimate, MSE, CV,
  interval, method, reliability class);
- :func:`village_change` -- change of an indicator between two waves per village with its MSE,
  and the person-weighted average change of KASSAKI and other villages.

Reliability rule: relative standard error (CV) <= 25 % reliable, 25-50 % use with caution,
> 50 % unreliable. DOMAIN.md reports this as the BPS convention but marks it unverified [U]:
it is the ``rse_thresholds`` parameter of every estimator, not a constant.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...exceptions import ParameterError
from ...results import EstimateResult, Provenance
from ._common import RSE_THRESHOLDS, assemble

__all__ = ["ebp_diagnostics_table", "fh_diagnostics_table", "village_table", "village_change",
           "village_quota_table", "RSE_THRESHOLDS"]


def _normality(x: np.ndarray, name: str) -> dict[str, Any]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    sw = stats.shapiro(x[:5000]) if len(x) >= 3 else None
    return {"quantity": name, "n": len(x), "skewness": float(stats.skew(x)),
            "kurtosis": float(stats.kurtosis(x, fisher=False)),
            "shapiro_w": float(sw.statistic) if sw is not None else np.nan,
            "shapiro_p": float(sw.pvalue) if sw is not None else np.nan}


def ebp_diagnostics_table(result: EstimateResult) -> pd.DataFrame:
    """Model diagnostics of an :func:`~kassaki_eval.poverty.sae.ebp` result (one row per check).

    Rows: ``r2_marginal`` (variance of the fixed part / total), ``r2_conditional`` (fixed part +
    village effects / total), ``icc`` (sigma_u^2 / (sigma_u^2 + sigma_e^2)), then normality of
    the Pearson residuals and of the predicted village effects (skewness, kurtosis -- 3 for a
    normal --, Shapiro-Wilk on at most 5,000 values: with thousands of households it rejects
    any small departure, so read skewness and kurtosis first).
    """
    ex = result.extras
    if "model" not in ex or "residuals" not in ex:
        raise ParameterError("The 'result' parameter of ebp_diagnostics_table must come from "
                             f"ebp(). Got a {result.method!r} result instead.")
    m = ex["model"]
    fixed = ex["X_sample"] @ m["beta"].to_numpy()
    vf = float(np.var(fixed))
    su, se = m["sigma2_u"], m["sigma2_e"]
    tot = vf + su + se
    rows = [{"quantity": "r2_marginal", "value": vf / tot},
            {"quantity": "r2_conditional", "value": (vf + su) / tot},
            {"quantity": "icc", "value": su / (su + se)}]
    out = pd.DataFrame(rows)
    res = ex["residuals"] / np.sqrt(se)
    if su > 0:
        re_row = _normality(ex["random_effects"].to_numpy() / np.sqrt(su), "random_effects")
    else:
        # sigma_u^2 = 0: every predicted village effect is 0, so their distribution has no
        # shape to test; the row counts the villages and leaves the statistics empty
        re_row = {"quantity": "random_effects", "n": len(ex["random_effects"]),
                  "skewness": np.nan, "kurtosis": np.nan, "shapiro_w": np.nan,
                  "shapiro_p": np.nan}
    norm = pd.DataFrame([_normality(res, "residuals"), re_row])
    return pd.concat([out, norm], ignore_index=True)


def fh_diagnostics_table(result: EstimateResult) -> pd.DataFrame:
    """Fay-Herriot diagnostics, one row per check.

    Rows: ``sigma2_u`` (A), ``mean_gamma`` (mean shrinkage weight of the sampled domains), then
    normality of the standardised residuals ``(y - x'b) / sqrt(A + psi)`` on the model scale
    and of the predicted area effects.
    """
    ex = result.extras
    t = result.tidy()
    if "A" not in ex:
        raise ParameterError("The 'result' parameter of fh_diagnostics_table must come from "
                             f"fay_herriot(). Got a {result.method!r} result instead.")
    ins = t["in_sample"].to_numpy(bool)
    rows = [{"quantity": "sigma2_u", "value": ex["A"]},
            {"quantity": "mean_gamma", "value": float(t.loc[ins, "gamma"].mean())}]
    out = pd.DataFrame(rows)
    if ex.get("model_scale") is not None:
        ms = ex["model_scale"]
        std = ms["std_residuals"]
        re_ = ms["random_effects"]
        out = pd.concat([out, pd.DataFrame([_normality(std, "std_residuals"),
                                            _normality(re_, "random_effects")])],
                        ignore_index=True)
    return out


def village_table(result: EstimateResult, measure: str | None = None,
                  alpha: float | None = None) -> pd.DataFrame:
    """Return the publication table of a small-area result, one row per village.

    Columns: ``village_code, name, kecamatan, zone, measure, estimate, mse, std_error, cv,
    conf_low, conf_high, method, reliability, n_obs`` (and ``direct`` for Fay-Herriot).
    ``measure`` selects one indicator of an EBP result (``p0`` by default); for a result of one
    indicator it may be left out, and when given it must be that indicator.
    """
    t = result.tidy(alpha)
    if "measure" in t and (measure is not None or t["measure"].nunique() > 1):
        meas = measure or "p0"
        if meas not in set(t["measure"]):
            raise ParameterError(f"The 'measure' parameter of village_table must be one of "
                                 f"{sorted(set(t['measure']))}. Got {meas!r} instead.")
        t = t[t["measure"] == meas]
    cols = [c for c in ("village_code", "name", "kecamatan", "zone", "measure", "estimate",
                        "mse", "std_error", "cv", "conf_low", "conf_high", "method",
                        "reliability", "n_obs", "direct") if c in t.columns]
    return t[cols].reset_index(drop=True)


def village_change(before: EstimateResult, after: EstimateResult, *,
                   treated: pd.Series | None = None, weight: pd.Series | None = None,
                   measure: str = "p0", alpha: float = 0.05,
                   rse_thresholds: tuple[float, float] = RSE_THRESHOLDS) -> EstimateResult:
    """Change of ``measure`` per village between two waves, with the MSE of the change.

    ``MSE(change) = MSE(before) + MSE(after)``: the covariance of the two waves' errors is taken
    as 0. The waves share villages, panel households and model structure, so the covariance is
    usually positive and this MSE is conservative (intervals too wide rather than too narrow).

    With ``treated`` (a 0/1 Series indexed by village code: KASSAKI villages) and ``weight``
    (persons per village), two extra rows give the weighted mean change of KASSAKI villages and
    of the others, and one their difference; their MSE adds the villages' MSEs with squared
    weights (between-village error covariances ignored, a stated approximation).

    Returns an :class:`EstimateResult` with terms ``change_p0[village_code=...]`` then
    ``change_p0[group=kassaki]``, ``[group=other]``, ``[group=kassaki-other]``.
    """
    a = village_table(before, measure).set_index("village_code")
    b = village_table(after, measure).set_index("village_code")
    for wave, tab in (("before", a), ("after", b)):
        dup = tab.index[tab.index.duplicated()].unique()
        if len(dup):
            # (it failed inside zip() or pandas with "argument 2 is shorter than argument 1")
            raise ParameterError(
                f"The '{wave}' parameter of village_change must have one row per village "
                f"({measure!r}). Got {len(dup)} villages more than once, e.g. "
                f"{list(dup[:5])}. Fix: pass one small-area result per wave.")
    common = a.index.intersection(b.index)
    if len(common) == 0:
        raise ParameterError("village_change: the two results share no village.")
    d = b.loc[common, "estimate"] - a.loc[common, "estimate"]
    mse = b.loc[common, "mse"] + a.loc[common, "mse"]
    doms: list[Any] = list(common)
    est = d.to_numpy(float)
    mses = mse.to_numpy(float)
    meth = [f"{x}/{y}" for x, y in zip(a.loc[common, "method"], b.loc[common, "method"],
                                       strict=True)]
    names = ["village_code"] * len(common)
    if treated is not None:
        if weight is None:
            raise ParameterError("The 'weight' parameter of village_change must be given with "
                                 "'treated' (persons per village). Got None instead.")
        tr = treated.reindex(common)
        w = weight.reindex(common).astype(float)
        for pname, miss in (("treated", tr.isna()), ("weight", w.isna())):
            if miss.any():
                raise ParameterError(
                    f"The '{pname}' parameter of village_change must cover every village of "
                    f"the results: {int(miss.sum())} of {len(common)} are missing, e.g. "
                    f"{list(common[miss.to_numpy()][:5])}. Fix: give a value for each of "
                    "those village codes (its index).")
        not01 = ~tr.isin([0, 1]).to_numpy()
        if not01.any():
            raise ParameterError(
                "The 'treated' parameter of village_change must be 0 or 1 per village (1: "
                f"KASSAKI). Got other values for {int(not01.sum())} villages, e.g. "
                f"{dict(list(tr[not01].items())[:5])}.")
        grp = {}
        for gname, mask in (("kassaki", tr.to_numpy() == 1), ("other", tr.to_numpy() != 1)):
            if not w.to_numpy()[mask].sum() > 0:
                raise ParameterError(
                    f"village_change: the '{gname}' group (treated == "
                    f"{1 if gname == 'kassaki' else 0}) has {int(mask.sum())} of the "
                    f"{len(common)} villages and no positive 'weight', so its mean change and "
                    "the difference of the groups are undefined. Fix: leave out 'treated' and "
                    "'weight' for the villages' changes alone, or check 'treated'.")
            ww = w.to_numpy()[mask] / w.to_numpy()[mask].sum()
            grp[gname] = (float(ww @ est[mask]), float(ww ** 2 @ mses[mask]))
        diff = (grp["kassaki"][0] - grp["other"][0], grp["kassaki"][1] + grp["other"][1])
        for gname, (e, v) in (*grp.items(), ("kassaki-other", diff)):
            doms.append(gname)
            est = np.append(est, e)
            mses = np.append(mses, v)
            meth.append("weighted mean of villages")
            names.append("group")
    prov = Provenance(method="village_change",
                      options={"measure": measure, "mse": "sum of the waves' MSEs "
                               "(covariance 0, conservative)"},
                      n_input=len(common), n_used=len(common))
    res = assemble(domains=doms, measure=f"change_{measure}", estimate=est, mse=mses,
                   n_obs=np.zeros(len(doms), dtype=np.int64), method=meth, extra={},
                   conf_alpha=alpha, provenance=prov, own=None, extras={},
                   title=f"Change of {measure} per village", domain_name="village_code",
                   rse_thresholds=rse_thresholds, labels=True)
    t = res.tidy()
    t["term"] = [f"change_{measure}[{n}={d}]" for n, d in zip(names, doms, strict=True)]
    return EstimateResult(t[[c for c in t.columns if c not in ("statistic", "p_value",
                                                                 "conf_low", "conf_high")]],
                          method="village_change", alpha=alpha, provenance=prov,
                          title=f"Change of {measure} per village")



def village_quota_table(result: EstimateResult, population: pd.Series, total: int, *,
                        measure: str = "p0", alpha: float | None = None) -> pd.DataFrame:
    """Village quotas proportional to the estimated number of poor, with their uncertainty.

    ``poor_d = estimate_d x population_d`` (population: persons or households per village,
    a Series indexed by village code, matching the estimate's unit); ``quota_d`` distributes
    ``total`` slots in proportion to ``poor_d`` by the largest-remainder method (quotas add up
    to ``total`` exactly). ``quota_low`` / ``quota_high`` are the shares implied by the
    village's interval end points with the other villages at their estimates: a per-village
    sensitivity band, not a joint interval.
    """
    t = village_table(result, measure, alpha).set_index("village_code")
    pop = population.reindex(t.index).astype(float)
    if pop.isna().any():
        miss = list(t.index[pop.isna()][:5])
        raise ParameterError("The 'population' parameter of village_quota_table must cover "
                             f"every village; missing e.g. {miss}.")
    if not (isinstance(total, (int, np.integer)) and total >= 0):
        raise ParameterError("The 'total' parameter of village_quota_table must be an int "
                             f">= 0. Got {total!r} instead.")
    bad = ~np.isfinite(t["estimate"].to_numpy(float)) | (pop < 0).to_numpy()
    if bad.any():
        raise ParameterError(
            "village_quota_table: the estimate must be a number and the population >= 0 in "
            f"every village; {int(bad.sum())} of {len(t)} villages are not, e.g. "
            f"{list(t.index[bad][:5])}. Fix: check the result ({measure!r}) and 'population'.")
    poor = t["estimate"].clip(lower=0) * pop
    if not poor.sum() > 0:
        raise ParameterError(
            f"village_quota_table: the estimated number of poor is 0 in all {len(t)} villages "
            f"(every {measure!r} estimate is <= 0 or every population 0), so there is no "
            f"share to divide {total} slots by. Fix: check the result and 'population'.")
    share = poor / poor.sum()
    raw = share * total
    q = np.floor(raw).astype(int)
    left = int(total - q.sum())
    if left > 0:
        order = np.argsort(-(raw - q).to_numpy(), kind="stable")[:left]
        q.iloc[order] += 1
    rest = poor.sum() - poor
    lo = t["conf_low"].clip(lower=0) * pop
    hi = t["conf_high"].clip(lower=0) * pop
    out = pd.DataFrame({
        "name": t.get("name"), "kecamatan": t.get("kecamatan"),
        "estimate": t["estimate"], "population": pop, "poor": poor, "share": share,
        "quota": q, "quota_low": total * lo / (rest + lo), "quota_high": total * hi / (rest + hi),
        "reliability": t["reliability"]})
    return out.reset_index()
