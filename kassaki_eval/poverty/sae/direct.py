"""Village direct estimates, their sampling variances (with GVF smoothing) and the area table.

Villages are the survey's PSUs, so the survey's own design gives a village estimate no
between-PSU variance. The sampling variance of a village estimate is the *within-village*
variance: households are the units, the village is a stratum (``SurveyDesign(strata=village,
psu=None)``, households drawn with replacement), computed with the public
:class:`~kassaki_eval.poverty.SurveyDesign` and :func:`~kassaki_eval.poverty.fgt`.

Villages with few households (or with every / no household poor, where the estimated variance
is 0) get a generalised variance function (GVF) value instead:
``log v_d = a + b log n_d + c log(p_k (1 - p_k))`` fitted by OLS over the villages with at least
``min_n`` households and ``0 < p_d < 1`` (``p_k``: the direct rate of the village's kecamatan,
a stable stand-in for the unknown village rate), with the log-normal correction ``exp(s^2/2)``.
"""
from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from ...exceptions import (
    DataWarning,
    ParameterError,
    Problem,
    SchemaError,
    check_option,
)
from ..design import SurveyDesign
from ..measures import fgt

__all__ = ["DEFAULT_AREA_COVARIATES", "area_table", "direct_estimates", "registry_village_means"]

Smooth = Literal["few", "all", "none"]

#: Village-level registry covariates used by default in the Fay-Herriot model.
DEFAULT_AREA_COVARIATES: tuple[str, ...] = ("mean_pmt_score", "share_desil_1to4", "island")


def direct_estimates(survey: pd.DataFrame, *, line: float, domain: str = "village_code",
                     welfare: str = "consumption_pc", weight: str = "weight",
                     size: str | None = "hh_size", g: float = 0, group: str = "kec_code",
                     smooth: Smooth = "few", min_n: int = 30) -> pd.DataFrame:
    """Direct FGT(g) per domain with its within-domain sampling variance, GVF-smoothed.

    Parameters
    ----------
    survey : DataFrame
        One survey wave.
    line : float
        Poverty line.
    g : float
        FGT exponent (0 headcount, 1 gap, 2 severity).
    group : str
        Coarser domain used as the stable rate in the GVF (kecamatan).
    smooth : {"few", "all", "none"}
        ``few``: GVF variance for domains with fewer than ``min_n`` households or a zero
        variance; ``all``: GVF variance everywhere; ``none``: raw variances (zeros kept).
    min_n : int
        Threshold of "few households" (30 by default, a common rule; a parameter).

    Returns
    -------
    DataFrame
        ``domain, group, n, direct, var_direct, var_gvf, vardir, smoothed, n_eff, deff``;
        ``vardir`` is what the Fay-Herriot model uses; ``n_eff = p(1-p)/vardir`` (with the
        kecamatan rate where the village rate is 0 or 1) feeds the arcsin transformation.
    """
    owner = "direct_estimates"
    check_option(owner, "smooth", smooth, ("few", "all", "none"))
    for c in (domain, welfare, weight, group) + ((size,) if size else ()):
        if c not in survey.columns:
            raise ParameterError(f"The survey must have a '{c}' column for {owner}. Columns are "
                                 f"{list(survey.columns)[:12]}.")
    s = survey.reset_index(drop=True)
    d = SurveyDesign(s, weight=weight, strata=domain, lonely_psu="certainty")
    r = fgt(d, welfare, line=line, g=g, size=size, by=domain, df="normal").tidy()
    out = pd.DataFrame({domain: r["group"].to_numpy(), "n": r["n_obs"].to_numpy(),
                        "direct": r["estimate"].to_numpy(),
                        "var_direct": r["std_error"].to_numpy() ** 2})
    grp = s.groupby(domain)[group].first()
    out[group] = out[domain].map(grp).to_numpy()
    dg = SurveyDesign(s, weight=weight, strata=group, lonely_psu="certainty")
    rk = fgt(dg, welfare, line=line, g=g, size=size, by=group, df="normal").tidy()
    pk = pd.Series(rk["estimate"].to_numpy(), index=rk["group"].to_numpy())
    pdist = float(fgt(dg, welfare, line=line, g=g, size=size).estimates.iloc[0])
    ptil = out[group].map(pk).to_numpy(float)
    ptil = np.where((ptil > 0) & (ptil < 1), ptil, pdist)
    # the GVF uses the headcount's binomial shape p(1-p); for g > 0 it is a working shape
    shape = ptil * (1 - ptil)
    n = out["n"].to_numpy(float)
    v = out["var_direct"].to_numpy(float)
    p = out["direct"].to_numpy(float)
    fit_rows = (n >= min_n) & (v > 0) & (p > 0) & (p < 1)
    var_gvf = np.full(len(out), np.nan)
    if fit_rows.sum() >= 5:
        Z = np.column_stack([np.ones(len(out)), np.log(n), np.log(shape)])
        coef, *_ = np.linalg.lstsq(Z[fit_rows], np.log(v[fit_rows]), rcond=None)
        res = np.log(v[fit_rows]) - Z[fit_rows] @ coef
        s2 = float(res @ res) / max(int(fit_rows.sum()) - 3, 1)
        var_gvf = np.exp(Z @ coef + 0.5 * s2)
    elif smooth != "none":
        warnings.warn(f"{owner}: only {int(fit_rows.sum())} domains have >= {min_n} households "
                      "and 0 < estimate < 1; the GVF cannot be fitted and variances are not "
                      "smoothed.", DataWarning, stacklevel=2)
    if smooth == "none" or not np.isfinite(var_gvf).any():
        use = np.zeros(len(out), bool)
    elif smooth == "all":
        use = np.ones(len(out), bool)
    else:
        use = (n < min_n) | (v <= 0)
    vardir = np.where(use, var_gvf, v)
    out["var_gvf"] = var_gvf
    out["vardir"] = vardir
    out["smoothed"] = use
    with np.errstate(divide="ignore", invalid="ignore"):
        pv = np.where((p > 0) & (p < 1) & ~use, p * (1 - p), shape)
        out["n_eff"] = pv / vardir
        out["deff"] = vardir / (pv / n)
    extreme = (p <= 0) | (p >= 1)
    if extreme.any():
        ex = out.loc[extreme, domain].tolist()
        warnings.warn(f"{owner}: {int(extreme.sum())} domains have every or no household below "
                      f"the line (e.g. {', '.join(map(str, ex[:5]))}); their direct variance is 0"
                      + ("; the GVF variance is used instead." if smooth != "none" else
                         "; use smooth='few' or the arcsin transformation."),
                      DataWarning, stacklevel=2)
    return out[[domain, group, "n", "direct", "var_direct", "var_gvf", "vardir", "smoothed",
                "n_eff", "deff"]]


def registry_village_means(registry: pd.DataFrame, *, domain: str = "village_code",
                           size: str = "hh_size") -> pd.DataFrame:
    """Village-level covariates from the registry.

    Columns: ``n_families, n_persons, mean_pmt_score`` (person-weighted), ``share_desil_1to4``
    (share of persons in desil 1-4), ``island``.
    """
    need = [domain, size, "pmt_score", "desil", "zone"]
    miss = [c for c in need if c not in registry.columns]
    if miss:
        raise SchemaError([Problem("registry", c, "is missing (needed for village covariates)", 0,
                                   (), "use the post-ingest registry table.") for c in miss])
    r = registry
    hh = pd.to_numeric(r[size], errors="coerce").to_numpy(float)
    des = pd.to_numeric(r["desil"], errors="coerce").to_numpy(float)
    score = pd.to_numeric(r["pmt_score"], errors="coerce").to_numpy(float)
    # a missing score or size would drop the family from one side of the weighted mean only
    # (a village of scores 10 and missing got 5.0): refuse, as the registry contract does
    problems = []
    for col, bad, rule in ((size, ~(np.isfinite(hh) & (hh >= 1)), "is missing, not a number "
                            "or below 1"),
                           ("pmt_score", ~np.isfinite(score), "is missing or not a number")):
        if bad.any():
            ex = tuple(pd.unique(r[domain].to_numpy()[bad])[:5].tolist())
            problems.append(Problem("registry", col, f"{rule} (needed for village covariates; "
                                    "examples are villages)", int(bad.sum()), ex,
                                    "use the post-ingest registry table (its contract requires "
                                    "it), or repair or drop those families."))
    if problems:
        raise SchemaError(problems, "registry")
    tmp = pd.DataFrame({domain: r[domain].to_numpy(), "w": hh,
                        "wp": hh * score,
                        "w14": hh * ((des >= 1) & (des <= 4)),
                        "island": (r["zone"].to_numpy() == "island").astype(float)})
    g = tmp.groupby(domain, sort=True)
    out = pd.DataFrame({"n_families": g.size(), "n_persons": g["w"].sum(),
                        "mean_pmt_score": g["wp"].sum() / g["w"].sum(),
                        "share_desil_1to4": g["w14"].sum() / g["w"].sum(),
                        "island": g["island"].max()}).reset_index()
    return out


def area_table(survey: pd.DataFrame, registry: pd.DataFrame, *, line: float,
               villages: pd.DataFrame | None = None, domain: str = "village_code",
               g: float = 0, smooth: Smooth = "few", min_n: int = 30,
               size: str | None = "hh_size") -> pd.DataFrame:
    """One row per village of the district: registry covariates plus the direct estimate.

    Villages of the reference (or ``villages``) without a sample have missing ``direct``.
    A survey village absent from the registry (or the reference) is an error: the model has
    no covariates for it.
    """
    from ... import reference
    ref = reference.villages() if villages is None else villages
    code_col = "kemendagri_code" if "kemendagri_code" in ref.columns else domain
    reg = registry_village_means(registry, domain=domain)
    surv_v = pd.Index(pd.unique(survey[domain]))
    missing_reg = surv_v.difference(reg[domain])
    if len(missing_reg):
        raise SchemaError([Problem(
            "survey", domain, "has villages that are not in the registry (no covariates)",
            int(survey[domain].isin(missing_reg).sum()), tuple(missing_reg[:5]),
            "check the village codes (Kemendagri 73.10.KK.NNNN in both tables) or add the "
            "villages' registry extract.")])
    missing_ref = surv_v.difference(ref[code_col])
    if len(missing_ref):
        raise SchemaError([Problem(
            "survey", domain, "has villages that are not in the village reference",
            int(survey[domain].isin(missing_ref).sum()), tuple(missing_ref[:5]),
            "use Kemendagri codes of the district's villages.")])
    no_reg = pd.Index(ref[code_col]).difference(reg[domain])
    if len(no_reg):
        warnings.warn(f"area_table: {len(no_reg)} reference villages have no registry families "
                      f"(e.g. {', '.join(map(str, no_reg[:5]))}); they get no estimate.",
                      DataWarning, stacklevel=2)
    # direct_estimates' warnings (few domains for the GVF, all/none poor) are re-issued here,
    # so they point at the caller of area_table, not at this line (Python's default filters
    # hide warnings attributed to library code)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        de = direct_estimates(survey, line=line, domain=domain, g=g, smooth=smooth,
                              min_n=min_n, size=size)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    base = pd.DataFrame({domain: ref[code_col].to_numpy()})
    out = base.merge(reg, on=domain, how="inner").merge(
        de.drop(columns=["kec_code"], errors="ignore"), on=domain, how="left")
    out["n"] = out["n"].fillna(0).astype(np.int64)
    out["pop_share"] = out["n_persons"] / out["n_persons"].sum()
    return out

