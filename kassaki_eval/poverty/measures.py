"""Poverty measurement with design-based inference.

Measures (each returns an :class:`~kassaki_eval.results.EstimateResult` with estimate,
linearised SE, t interval on the domain's design df, and design effect):

- :func:`fgt` -- Foster-Greer-Thorbecke P(alpha) for any alpha >= 0 (P0 headcount, P1 depth,
  P2 severity), person-weighted with ``size=`` (weights x household size, as BPS publishes);
  several alphas and all domains in one pass of ``np.bincount``;
- :func:`watts`, :func:`sst` (Sen-Shorrocks-Thon), :func:`mean_consumption`;
- relative lines (:class:`RelativeLine`): a share of a quantile of the same sample; the SE
  includes the estimated line's own influence function, as R ``convey`` (``svyfgt`` with
  ``type_thresh="relq"``, ``svyarpr``): IF = (h_i - P)/N + dP/dline * IF_line, with
  IF_line = share * IF_quantile, IF_quantile = -(1(y <= q) - p) / (N f(q)), f a Gaussian
  kernel density with convey's bandwidth (weighted SD / N^(1/5)). For alpha = 0, dP/dline is the
  domain's kernel density at the line (convey ``svyarpr``); for alpha > 0 it is
  (1/N) sum w alpha ((z - y)/z)^(alpha-1) y / z^2 over the poor (convey omits the weight in this
  average; we keep it, which is the derivative of the weighted estimator);
- :func:`profile` and :func:`kecamatan_table` -- P0/P1/P2 by group with population share and
  contribution to total poverty;
- :func:`change` -- the change between two survey waves with an SE that accounts for the panel
  overlap (see its docstring), :func:`datt_ravallion` and :func:`shapley_growth_redistribution`;
- :func:`poverty_lines`, :func:`line_for`, :func:`incidence_curve`,
  :func:`plot_incidence_curve`.

A person is poor when per-capita consumption is strictly below the line (``y < z``), the World
Bank / BPS convention. Poverty rates are proportions in [0, 1].

Example
-------
>>> import pandas as pd
>>> from kassaki_eval.poverty import SurveyDesign
>>> from kassaki_eval.poverty import fgt
>>> df = pd.DataFrame({"c": [300.0, 500, 700, 900], "w": [1.0, 1, 1, 1], "hh": [5, 4, 3, 2]})
>>> res = fgt(SurveyDesign(df, weight="w"), welfare="c", line=600, size="hh")
>>> round(res["p0"], 4)
0.6429
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from scipy import stats

from .. import reference
from ..exceptions import DesignError, ParameterError, Problem, check_option, require
from ..results import EstimateResult, Provenance, hash_frame
from ._common import (
    build_result,
    check_keywords,
    domain_sums,
    effective_weights,
    exponent_and_level,
    fgt_scores,
    gini_influence,
    kernel_density,
    quantile_influence,
    renamed_keywords,
    result_table,
    srs_variance,
)
from .decomposition import datt_ravallion, shapley_growth_redistribution  # noqa: F401 (moved)
from .design import Domains, SurveyDesign, as_design

__all__ = ["RelativeLine", "fgt", "watts", "sst", "mean_consumption", "profile",
           "profile_table", "kecamatan_table", "change", "poverty_lines", "line_for",
           "incidence_curve", "plot_incidence_curve"]


@dataclass(frozen=True)
class RelativeLine:
    """A line equal to ``share`` times the ``quantile`` of welfare in the whole sample.

    E.g. 60 % of the median: ``RelativeLine(0.6, 0.5)``. Estimated with the same weights
    (person weights when ``size=`` is given); its sampling error enters the SE. Rows with a
    missing welfare value (left out with ``na_rm=True`` or outside ``subset=``) do not enter
    the quantile.
    """

    share: float = 0.6
    quantile: float = 0.5


# ---------------------------------------------------------------------------------------------
def _setup(data: Any, design: Any, welfare: Any, by: Any, subset: Any, size: Any, owner: str,
           levels: Sequence[Any] | None = None, na_rm: bool = False
           ) -> tuple[SurveyDesign, np.ndarray, np.ndarray, Domains]:
    d = as_design(data, design, owner)
    dom = d.domains(by, subset, levels=levels, owner=owner)
    y, dom = d.values_in(welfare, dom, owner, "welfare", na_rm)
    neg = (y < 0) & (dom.codes >= 0)
    if neg.any():
        raise DesignError(Problem(d.table, welfare if isinstance(welfare, str) else "welfare",
                                  "must be >= 0", int(neg.sum()), d.examples(neg),
                                  "consumption cannot be negative; repair the rows.").message())
    w = effective_weights(d, size, owner)
    return d, y, w, dom


def _line_values(d: SurveyDesign, line: Any, y: np.ndarray, w: np.ndarray, owner: str,
                 welfare: Any = None) -> tuple[np.ndarray, np.ndarray | None, Any]:
    """Per-row line, the line's influence function (relative lines) and a description.

    A relative line is the quantile of the rows whose ``welfare`` is observed: rows with a
    missing value (left out by ``na_rm`` or outside the domain) do not enter it.
    """
    if isinstance(line, RelativeLine):
        require(0 < line.quantile < 1 and line.share > 0, owner, "line",
                "a RelativeLine with share > 0 and quantile in (0, 1)", line)
        observed = np.ones(d.n, dtype=bool)
        if isinstance(welfare, str) and welfare in d.data.columns:
            observed = np.isfinite(pd.to_numeric(d.data[welfare], errors="coerce")
                                   .to_numpy(dtype=float))
        full = Domains(np.where(observed, 0, -1).astype(np.int64), ("all",), None)
        q, zq = quantile_influence(full, y, w, line.quantile)
        theta = line.share * q[0]
        return np.full(d.n, theta), line.share * zq, {"relative": line.share, "quantile":
                                                       line.quantile, "value": float(theta)}
    if isinstance(line, str):
        z = d.column(line, owner, "line")
    elif np.isscalar(line):
        zs = float(line)  # type: ignore[arg-type]
        if not (np.isfinite(zs) and zs > 0):
            raise ParameterError(f"The 'line' parameter of {owner} must be finite and > 0. Got "
                                 f"{line!r} instead.")
        return zs, None, zs  # type: ignore[return-value]
    else:
        z = np.asarray(line, dtype=float)
        if z.shape != (d.n,):
            raise ParameterError(f"The 'line' parameter of {owner} must be a number, a column "
                                 f"name, an array with one value per row or a RelativeLine. Got "
                                 f"shape {z.shape} instead.")
    if not np.all(np.isfinite(z) & (z > 0)):
        raise ParameterError(f"The 'line' parameter of {owner} must be finite and > 0. Got "
                             f"{line!r} instead.")
    desc = float(z[0]) if np.all(z == z[0]) else (line if isinstance(line, str) else "per-row")
    return z, None, desc


def _stage2(d: SurveyDesign, w: np.ndarray, doms: Sequence[Domains], H: Sequence[np.ndarray],
            P: np.ndarray, N: np.ndarray, extra: tuple[np.ndarray, np.ndarray] | None = None
            ) -> np.ndarray | None:
    """PSU totals of squared unit scores (two-stage designs only): ``(Psu, D', k)``.

    Unit score of domain d, measure j: ``1(i in d) (H_ij - P_dj) / N_d`` plus, for an
    estimated line, ``dP_dj * IF_line_i`` on every row (``extra = (dP, IF_line)``).
    """
    if not d.two_stage:
        return None
    all_dom = d.domains(None, owner="stage2")
    cols = []
    off = 0
    for dd in doms:
        inside = dd.codes >= 0
        c = np.maximum(dd.codes, 0)
        for g in range(dd.n):
            m = inside & (c == g)
            for j, h in enumerate(H):
                z = np.where(m, (h - P[off + g, j]) / N[off + g], 0.0)
                if extra is not None:
                    z = z + extra[0][off + g, j] * extra[1]
                cols.append(z)
        off += dd.n
    usq = d.unit_squares(cols, all_dom, w)
    return None if usq is None else usq[:, 0, :].reshape(d.n_psu, off, len(H))


def _fgt_dline(dom: Domains, y: np.ndarray, w: np.ndarray, z: np.ndarray, a: float,
               N: np.ndarray) -> np.ndarray:
    """Differentiate each domain's P(g) with respect to a common line."""
    if a == 0:
        return kernel_density(dom, y, w, np.full(dom.n, z[0]))
    poor = y < z
    der = np.where(poor, a * np.where(poor, (z - y) / z, 0.0) ** (a - 1) * y / z ** 2, 0.0)
    return domain_sums(dom, der, w)[:, 0] / N


def fgt(data: Any, welfare: str = "consumption_pc", *, line: Any,
        g: float | Sequence[float] | None = None, design: Any = None, size: Any = None,
        by: str | Sequence[str] | None = None, subset: Any = None,
        levels: Sequence[Any] | None = None, total: bool = False,
        df: Literal["design", "normal"] = "design", ci: Literal["wald", "logit"] = "wald",
        line_rule: Literal["strict", "weak"] = "strict", na_rm: bool = False,
        alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Foster-Greer-Thorbecke poverty measures P(g) with linearised SEs.

    Parameters
    ----------
    data : SurveyDesign or DataFrame
        The sample (with ``design=`` options when a DataFrame).
    welfare : str
        Per-capita consumption column (Rp per month).
    line : float, str, array or RelativeLine
        Poverty line: one value, a column (a line per row: year/region), or a relative line.
    g : float or sequence of floats
        FGT exponent(s) >= 0 (R convey ``svyfgt(g=)``): 0 headcount (default), 1 depth,
        2 severity. Called ``alpha`` before issue 16; for one release an ``alpha`` that cannot
        be a confidence level (a list, or a number outside (0, 1)) is still read as the
        exponent, with a ``DeprecationWarning``.
    design : SurveyDesign or mapping, optional
        The design, or the :class:`SurveyDesign` options when ``data`` is a DataFrame.
    size : str, optional
        Household-size column: person-level measures (weights x size).
    by, subset, levels
        Domains: group column(s), a boolean mask, the domain labels required (an absent level
        raises :class:`DesignError`).
    total : bool
        With ``by``: also return the overall rows (group ``"all"``, first), from the same pass.
    df : {"design", "normal"}
        Intervals: Student t with the domain's design df (R ``degf``: PSUs minus strata with
        domain rows), or normal. With few PSUs per domain and a variance dominated by the
        within-PSU term (two-stage designs), t intervals are conservative (see the coverage
        study in tests/poverty/test_measures.py).
    ci : {"wald", "logit"}
        ``"logit"``: the headcount P0's interval is built on the logit scale and mapped back
        (R ``svyciprop(method="logit")``), which keeps it in (0, 1) and corrects the skew of
        small proportions; other measures keep Wald intervals. The result then carries its
        own intervals at ``alpha``.
    line_rule : {"strict", "weak"}
        Who is poor: ``"strict"`` ``y < z`` (default; World Bank, BPS, laeken ``arpr``) or
        ``"weak"`` ``y <= z`` (R convey ``svyfgt``). Only the headcount can differ: the gap
        of a unit exactly on the line is 0.
    na_rm : bool
        Leave rows with missing welfare out of the estimate, keeping the design (R
        ``na.rm=TRUE``). Missing welfare outside the domains estimated never matters.
    alpha : float
        Intervals at level 1 - alpha (``conf_alpha`` is its deprecated old name).

    Returns
    -------
    EstimateResult
        One row per domain and exponent: terms ``p0``, ``p1``... (``p0[kec_code=73.10.01]``).

    Examples
    --------
    >>> import pandas as pd
    >>> from kassaki_eval.poverty import SurveyDesign
    >>> df = pd.DataFrame({"c": [300.0, 500, 700, 900], "w": [1.0, 1, 1, 1]})
    >>> fgt(SurveyDesign(df, weight="w"), "c", line=600, g=[0, 1]).estimates.round(3).tolist()
    [0.5, 0.167]
    """
    owner = "fgt"
    check_keywords(owner, deprecated, ("conf_alpha",))
    alpha, g = exponent_and_level(owner, alpha, g, exponent_name="g", default=0,
                                  stacklevel=3, conf_alpha=deprecated.get("conf_alpha"))
    check_option(owner, "ci", ci, ("wald", "logit"))
    check_option(owner, "df", df, ("design", "normal"))
    check_option(owner, "line_rule", line_rule, ("strict", "weak"))
    alphas: list[float] = ([cast(float, g)] if np.isscalar(g)
                           else list(cast("Sequence[float]", g)))
    for a in alphas:
        require(bool(isinstance(a, (int, float, np.integer, np.floating)) and a >= 0), owner, "g",
                "a number >= 0 (or a list of them)", g)
    d = as_design(data, design, owner)
    n_out = int((d.domains(by, subset, levels=levels, owner=owner).codes < 0).sum())
    d, y, w, dom = _setup(d, None, welfare, by, subset, size, owner, levels, na_rm)
    z, zline, line_desc = _line_values(d, line, y, w, owner, welfare)
    poor = y < z if line_rule == "strict" else y <= z
    gap = np.where(poor, (z - y) / z, 0.0) if any(a != 0 for a in alphas) else None
    fa = [float(a) for a in alphas]
    gp = cast(np.ndarray, gap)  # not None whenever an exponent is not 0, the only use below
    H = [poor.astype(float) if a == 0 else (gp if a == 1 else (gp * gp if a == 2 else gp ** a))
         for a in fa]
    # one pass: PSU x domain totals of w and w*h_j; domain totals are their column sums
    pt = d.psu_totals([None] + H, dom, w)                                 # (Psu, D, 1+k)
    doms = [dom]
    want_total = total and dom.name is not None
    if want_total:
        if n_out:
            raise ParameterError("The 'total' parameter of fgt must be False when 'subset' or "
                                 "'levels' drop rows. Got True instead.")
        # domains partition the sample: overall PSU totals are the sum over domains
        pt = np.concatenate([pt.sum(axis=1, keepdims=True), pt], axis=1)
        inside = dom.codes >= 0
        doms = [d.domains(None, owner=owner) if inside.all() else
                Domains(np.where(inside, 0, -1).astype(np.int64), ("all",), None), dom]
    tot = pt.sum(axis=0)                                                  # (D', 1+k)
    N = tot[:, 0]
    P = tot[:, 1:] / N[:, None]                                           # (D', k)
    zt = (pt[:, :, 1:] - pt[:, :, :1] * P[None]) / N[None, :, None]
    if zline is not None:
        # add the estimated line's term; IF_line lives on the whole sample, not the domain
        dP = np.vstack([np.column_stack([_fgt_dline(dd, y, w, z, a, Nd) for a in fa])
                        for dd, Nd in zip(doms, np.split(N, np.cumsum([x.n for x in doms])[:-1]),
                                          strict=True)])
        all_dom = Domains(np.zeros(d.n, dtype=np.int64), ("all",), None)
        lt = d.psu_totals(zline, all_dom, w)[:, 0, 0]                     # (Psu,)
        zt = zt + lt[:, None, None] * dP[None]
    sq = _stage2(d, w, doms, H, P, N, None if zline is None else (dP, zline))
    var = d.variance(totals=zt, squares=sq, dom=doms)                          # (D', k)
    if zline is None:
        # SRS-with-replacement variance from domain totals: svyvar(h) / n (svyvar with
        # n/(n-1)); sum w h^2 reuses P(2a) totals when 2a is among the alphas
        inside = dom.codes >= 0
        cc = dom.codes if inside.all() else dom.codes[inside]
        n_d = np.bincount(cc, minlength=dom.n).astype(float)
        S2 = []
        for j, a in enumerate(fa):
            if a == 0:
                S2.append(tot[:, 1 + j])
            elif 2 * a in fa:
                S2.append(tot[:, 1 + fa.index(2 * a)])
            else:
                hh = w * H[j] * H[j]
                part = np.bincount(cc, weights=hh if inside.all() else hh[inside], minlength=dom.n)
                S2.append(np.concatenate([[part.sum()], part]) if want_total else part)
        if want_total:
            n_d = np.concatenate([[n_d.sum()], n_d])
        with np.errstate(divide="ignore", invalid="ignore"):
            srs = (np.column_stack(S2) / N[:, None] - P * P) / (n_d - 1)[:, None]
    else:
        srs = np.full_like(var, np.nan)
    names = [f"p{a:g}" for a in alphas]
    opts = {"welfare": welfare, "line": line_desc, "g": alphas, "size": size, "na_rm": na_rm,
            "poor": "y < line" if line_rule == "strict" else "y <= line"}
    results = []
    off = 0
    for dd in doms:
        sl = slice(off, off + dd.n)
        off += dd.n
        terms = [nm if dd.name is None else f"{nm}[{dd.name}={lab}]"
                 for lab in dd.labels for nm in names]
        own = None
        if ci == "logit":
            dfd = d.domain_degf(dd) if df == "design" else np.full(dd.n, np.inf)
            crit = np.where(np.isfinite(dfd), stats.t.ppf(1 - alpha / 2, np.maximum(dfd, 1)),
                            stats.norm.ppf(1 - alpha / 2))
            cr = np.repeat(crit, len(fa))
            est = P[sl].reshape(-1)
            se = np.sqrt(np.maximum(var[sl], 0)).reshape(-1)
            lo, hi = est - cr * se, est + cr * se
            is0 = np.tile(np.array(fa) == 0, dd.n) & (est > 0) & (est < 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                L = np.log(est / (1 - est))
                sl_ = se / (est * (1 - est))
            lo = np.where(is0, 1 / (1 + np.exp(-(L - cr * sl_))), lo)
            hi = np.where(is0, 1 / (1 + np.exp(-(L + cr * sl_))), hi)
            dfr = np.repeat(dfd, len(fa))
            with np.errstate(divide="ignore", invalid="ignore"):
                stat = est / se
            pv = np.where(np.isfinite(dfr), 2 * stats.t.sf(np.abs(stat), np.maximum(dfr, 1)),
                          2 * stats.norm.sf(np.abs(stat)))
            own = (pv, lo, hi)
        results.append(result_table(d, dd, terms=terms, estimate=P[sl], variance=var[sl],
                                    srs_var=srs[sl], method="fgt", measure=names * dd.n,
                                    options={**opts, "ci": ci}, df_mode=df, own=own))
    table = results[0][0] if len(results) == 1 else pd.concat([t for t, _ in results],
                                                                ignore_index=True)
    return EstimateResult(table, method="fgt", alpha=alpha, provenance=results[-1][1],
                          own_intervals=ci == "logit")


def watts(data: Any, welfare: str = "consumption_pc", *, line: Any, design: Any = None,
          size: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
          na_rm: bool = False, alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Watts index: mean of log(line / y) over the poor (zero for the non-poor)."""
    alpha = renamed_keywords("watts", deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
    owner = "watts"
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, owner, na_rm=na_rm)
    z, zline, line_desc = _line_values(d, line, y, w, owner, welfare)
    poor = y < z
    bad = poor & (y <= 0) & (dom.codes >= 0)
    if bad.any():
        raise DesignError(Problem(d.table, welfare, "is 0 for poor units (Watts needs log y)",
                                  int(bad.sum()), d.examples(bad),
                                  "repair zero consumption or use fgt().").message())
    h = np.where(poor, np.log(z / np.where(y > 0, y, 1.0)), 0.0)
    A = np.column_stack([np.ones(d.n), h])
    tot = domain_sums(dom, A, w)
    N = tot[:, 0]
    W = tot[:, 1] / N
    pt = d.psu_totals(A, dom, w)
    zt = (pt[:, :, 1] - pt[:, :, 0] * W[None]) / N[None]
    if zline is not None:
        # d Watts / d line = (1/N) sum_poor w / line
        dW = domain_sums(dom, poor.astype(float) / z, w)[:, 0] / N
        all_dom = Domains(np.zeros(d.n, dtype=np.int64), ("all",), None)
        zt = zt + d.psu_totals(zline, all_dom, w)[:, 0, 0][:, None] * dW[None]
    sq = _stage2(d, w, [dom], [h], W[:, None], N,
                 None if zline is None else (dW[:, None], zline))
    var = d.variance(totals=zt, squares=None if sq is None else sq[:, :, 0], dom=dom)
    c = np.maximum(dom.codes, 0)
    u = np.where(dom.codes >= 0, h - W[c], 0.0)
    srs = srs_variance(dom, u, w)[:, 0] if zline is None else np.full(dom.n, np.nan)
    terms = ["watts" if dom.name is None else f"watts[{dom.name}={lab}]" for lab in dom.labels]
    return build_result(d, dom, terms=terms, estimate=W, variance=var, srs_var=srs,
                        method="watts", alpha=alpha,
                        options={"welfare": welfare, "line": line_desc, "size": size})


def sst(data: Any, welfare: str = "consumption_pc", *, line: Any, design: Any = None,
        size: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
        na_rm: bool = False, alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Sen-Shorrocks-Thon index: SST = P1 (1 + G(x)).

    x the poverty-gap ratios of everyone (0 for the non-poor), G their Gini (Osberg & Xu
    2000); = P0 * P1_poor * (1 + G_poor). Linearised by the product rule with the Gini
    influence function. Absolute lines only.
    """
    alpha = renamed_keywords("sst", deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
    owner = "sst"
    if isinstance(line, RelativeLine):
        raise ParameterError("The 'line' parameter of sst must be an absolute line (number, "
                             "column or array). Got a RelativeLine instead.")
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, owner, na_rm=na_rm)
    z, _, line_desc = _line_values(d, line, y, w, owner)
    x = fgt_scores(y, z, 1.0)
    inside = dom.codes >= 0
    c = np.maximum(dom.codes, 0)
    N = domain_sums(dom, np.ones(d.n), w)[:, 0]
    P1 = domain_sums(dom, x, w)[:, 0] / N
    G, zg = gini_influence(dom, x, w)
    G = np.nan_to_num(G)
    zp1 = np.where(inside, (x - P1[c]) / N[c], 0.0)
    est = P1 * (1 + G)
    zz = (1 + G[c]) * zp1 + P1[c] * np.nan_to_num(zg)
    var = d.variance(zz, dom, w)[:, 0]
    srs = srs_variance(dom, zz * N[c], w)[:, 0]
    terms = ["sst" if dom.name is None else f"sst[{dom.name}={lab}]" for lab in dom.labels]
    return build_result(d, dom, terms=terms, estimate=est, variance=var, srs_var=srs,
                        method="sst", alpha=alpha,
                        options={"welfare": welfare, "line": line_desc, "size": size})


def mean_consumption(data: Any, welfare: str = "consumption_pc", *, design: Any = None,
                     size: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
                     na_rm: bool = False, alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Mean per-capita consumption (person-weighted with ``size=``), linearised as a ratio."""
    alpha = renamed_keywords("mean_consumption", deprecated,
                             {"conf_alpha": "alpha"}).get("alpha", alpha)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "mean_consumption", na_rm=na_rm)
    A = np.column_stack([np.ones(d.n), y])
    tot = domain_sums(dom, A, w)
    N, M = tot[:, 0], tot[:, 1] / tot[:, 0]
    pt = d.psu_totals(A, dom, w)
    sq = _stage2(d, w, [dom], [y], M[:, None], N)
    var = d.variance(totals=(pt[:, :, 1] - pt[:, :, 0] * M[None]) / N[None],
                     squares=None if sq is None else sq[:, :, 0], dom=dom)
    c = np.maximum(dom.codes, 0)
    srs = srs_variance(dom, np.where(dom.codes >= 0, y - M[c], 0.0), w)[:, 0]
    terms = ["mean" if dom.name is None else f"mean[{dom.name}={lab}]" for lab in dom.labels]
    return build_result(d, dom, terms=terms, estimate=M, variance=var, srs_var=srs,
                        method="mean_consumption", alpha=alpha,
                        options={"welfare": welfare, "size": size})


# ---------------------------------------------------------------------------------------------
# profiles
# ---------------------------------------------------------------------------------------------

def profile(data: Any, welfare: str = "consumption_pc", *, line: Any, by: str,
            design: Any = None, size: Any = "hh_size", g: Sequence[float] = (0, 1, 2),
            line_rule: Literal["strict", "weak"] = "strict", alpha: float = 0.05,
            **deprecated: Any) -> EstimateResult:
    """Poverty profile by group, with population shares and contributions to poverty.

    P(g) of each group and of the whole sample, with each group's population share and
    contribution to total poverty (share x P_g(group) / P_g(total), summing to 1 over groups).

    Parameters
    ----------
    data, welfare, line, design, size
        As :func:`fgt`.
    by : str
        Group column.
    g : sequence of float
        FGT exponents (``alphas`` is the deprecated old name).
    line_rule : {"strict", "weak"}
        ``y < z`` or ``y <= z`` is poor (see :func:`fgt`).
    alpha : float
        Intervals at level 1 - alpha (``conf_alpha`` is the deprecated old name).

    Returns
    -------
    EstimateResult
        One row per group and exponent (terms ``p0[kec_code=...]``), then the whole-sample
        rows (group ``"total"``, terms ``p0``...). Extra columns ``pop_share`` and
        ``contribution``. :func:`profile_table` gives the same numbers one row per group.
    """
    owner = "profile"
    new = renamed_keywords(owner, deprecated, {"alphas": "g", "conf_alpha": "alpha"})
    g, alpha = new.get("g", g), new.get("alpha", alpha)
    gs = list(g)
    d = as_design(data, design, owner)
    both = fgt(d, welfare, line=line, g=gs, size=size, by=by, total=True, alpha=alpha,
               line_rule=line_rule)
    t = both.tidy()
    k = len(gs)
    tot_res, by_res = t.iloc[:k].copy(), t.iloc[k:].copy()
    w = effective_weights(d, size, owner)
    dom = d.domains(by, owner=owner)
    pop = np.bincount(dom.codes[dom.codes >= 0], weights=w[dom.codes >= 0], minlength=dom.n)
    share = pop / pop.sum()
    gi = np.repeat(np.arange(dom.n), k)
    tot_est = np.tile(tot_res["estimate"].to_numpy(), dom.n)
    est = by_res["estimate"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = np.where(tot_est > 0, share[gi] * est / tot_est, np.nan)
    by_res["pop_share"] = share[gi]
    by_res["contribution"] = contrib
    tot_res["group"] = "total"
    tot_res["pop_share"] = 1.0
    tot_res["contribution"] = 1.0
    table = pd.concat([by_res, tot_res], ignore_index=True)
    table = table.drop(columns=["statistic", "p_value", "conf_low", "conf_high"])
    prov = both.provenance
    return EstimateResult(table, method="profile", alpha=alpha,
                          provenance=Provenance(method="profile",
                                                options={**dict(prov.options), "by": by},
                                                inputs_hash=prov.inputs_hash,
                                                n_input=prov.n_input, n_used=prov.n_used,
                                                dropped=dict(prov.dropped)))


def profile_table(data: Any, welfare: str = "consumption_pc", *, line: Any, by: str,
                  design: Any = None, size: Any = "hh_size", g: Sequence[float] = (0, 1, 2),
                  line_rule: Literal["strict", "weak"] = "strict", alpha: float = 0.05,
                  **deprecated: Any) -> pd.DataFrame:
    """Poverty profile as a table: one row per group and a last row ``total``.

    The numbers of :func:`profile`; columns ``group``, ``pop_share``, ``n_obs`` and, for each
    exponent, ``p{g}``, ``p{g}_se``, ``p{g}_low``, ``p{g}_high`` (interval at level 1 - alpha)
    and ``p{g}_contribution``.
    """
    new = renamed_keywords("profile_table", deprecated, {"alphas": "g", "conf_alpha": "alpha"})
    g, alpha = new.get("g", g), new.get("alpha", alpha)
    gs = list(g)
    t = profile(data, welfare, line=line, by=by, design=design, size=size, g=gs,
                line_rule=line_rule, alpha=alpha).tidy()
    k = len(gs)
    by_res, tot_res = t.iloc[:-k], t.iloc[-k:]
    rows = []
    for start in range(0, len(by_res), k):
        grp = by_res.iloc[start:start + k]
        first = grp.iloc[0]
        r: dict[str, Any] = {"group": first["group"], "pop_share": first["pop_share"],
                             "n_obs": int(first["n_obs"])}
        for j, a in enumerate(gs):
            hit = grp.iloc[j]
            nm = f"p{a:g}"
            r[nm] = hit["estimate"]
            r[f"{nm}_se"] = hit["std_error"]
            r[f"{nm}_low"], r[f"{nm}_high"] = hit["conf_low"], hit["conf_high"]
            r[f"{nm}_contribution"] = hit["contribution"]
        rows.append(r)
    tot_row: dict[str, Any] = {"group": "total", "pop_share": 1.0,
                               "n_obs": int(tot_res.iloc[0]["n_obs"])}
    for j, a in enumerate(gs):
        nm = f"p{a:g}"
        x = tot_res.iloc[j]
        tot_row.update({nm: x["estimate"], f"{nm}_se": x["std_error"], f"{nm}_low": x["conf_low"],
                        f"{nm}_high": x["conf_high"], f"{nm}_contribution": 1.0})
    rows.append(tot_row)
    out = pd.DataFrame(rows)
    out.attrs["by"] = by
    return out


def kecamatan_table(data: Any, welfare: str = "consumption_pc", *, line: Any,
                    design: Any = None, size: Any = "hh_size", by: str = "kec_code",
                    district: str | None = None,
                    line_rule: Literal["strict", "weak"] = "strict",
                    alpha: float = 0.05) -> pd.DataFrame:
    """Kecamatan poverty table (proportions).

    Names from :func:`kassaki_eval.reference.kecamatan`, zone, P0 with its interval at level
    1 - alpha, P1, P2, population share and contribution to P0.

    Every rate and share is a proportion in [0, 1] (the report formats percentages); columns
    ``kec_code, kecamatan, zone, households_sampled, population_share, p0, p0_ci_low,
    p0_ci_high, p1, p2, contribution_to_p0``, one row per kecamatan and a last row ``total``.
    """
    prof = profile_table(data, welfare, line=line, by=by, design=design, size=size,
                         line_rule=line_rule, alpha=alpha)
    ref = reference.kecamatan(district)[["kec_kemendagri", "kecamatan", "zone"]]
    names = dict(zip(ref["kec_kemendagri"], ref["kecamatan"], strict=True))
    zones = dict(zip(ref["kec_kemendagri"], ref["zone"], strict=True))
    out = pd.DataFrame({
        "kec_code": prof["group"],
        "kecamatan": [names.get(g, "Total" if g == "total" else str(g)) for g in prof["group"]],
        "zone": [zones.get(g, "") for g in prof["group"]],
        "households_sampled": prof["n_obs"],
        "population_share": prof["pop_share"],
        "p0": prof["p0"],
        "p0_ci_low": prof["p0_low"],
        "p0_ci_high": prof["p0_high"],
        "p1": prof["p1"],
        "p2": prof["p2"],
        "contribution_to_p0": prof["p0_contribution"],
    })
    return out


# ---------------------------------------------------------------------------------------------
# change over time and decompositions
# ---------------------------------------------------------------------------------------------

def _wave_if_totals(d: SurveyDesign, y: np.ndarray, z: Any, w: np.ndarray, g: float,
                    dom: Domains, strict: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """P(alpha) by domain and the PSU totals of its influence function: (D,), (Psu, D)."""
    h = fgt_scores(y, z, g, strict)
    pt = d.psu_totals([None, h], dom, w)
    tot = pt.sum(axis=0)
    P = tot[:, 1] / tot[:, 0]
    return P, (pt[:, :, 1] - pt[:, :, 0] * P[None]) / tot[None, :, 0]


def _wave_sq(d: SurveyDesign, y: np.ndarray, z: Any, w: np.ndarray, g: float,
             dom: Domains, P: np.ndarray, strict: bool = True) -> np.ndarray | None:
    N = domain_sums(dom, np.ones(d.n), w)[:, 0]
    sq = _stage2(d, w, [dom], [fgt_scores(y, z, g, strict)], P[:, None], N)
    return None if sq is None else sq[:, :, 0]


def _psu_keys(d: SurveyDesign, wave: Any = None) -> pd.Series:
    """(stratum, PSU) label of each PSU code of a design.

    Without a PSU column each household is its own PSU: it is matched across waves by the
    design's ``id_column`` when there is one and its ids are unique, and otherwise not at all
    (its key carries the ``wave``), so the waves count as independent samples. (Before,
    household i of one wave was matched with row i of the other: the SE depended on the row
    order.)
    """
    s = d.data[d.strata_col].astype(str) if d.strata_col else pd.Series("all", index=d.data.index)
    if d.psu_col:
        p = d.data[d.psu_col].astype(str)
    elif d.id_column and d.data[d.id_column].astype(str).is_unique:
        p = "id\x1e" + d.data[d.id_column].astype(str)
    else:
        p = f"row of {wave}\x1e" + pd.Series(np.arange(d.n), index=d.data.index).astype(str)
    key = (s + "\x1f" + p).to_numpy()
    out = np.empty(d.n_psu, dtype=object)
    out[d.psu_codes] = key
    return pd.Series(out)


def _wave_design_spec(owner: str, data: Any, design: Any, deprecated: Mapping[str, Any]
                      ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the pooled table and the design options of each wave (see :func:`change`)."""
    old = {k: deprecated[k] for k in ("weight", "strata", "psu", "lonely_psu") if k in deprecated}
    if isinstance(data, SurveyDesign):
        if design is not None:
            raise ParameterError(f"The 'design' parameter of {owner} must be None when 'data' "
                                 f"is a SurveyDesign. Got {type(design).__name__} instead.")
        design, data = data, data.data
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"The 'data' parameter of {owner} must be a DataFrame or a "
                             f"SurveyDesign. Got {type(data).__name__} instead.")
    if design is not None and old:
        raise ParameterError(f"The 'design' parameter of {owner} replaces {sorted(old)}; give "
                             f"one or the other. Got both instead.")
    if isinstance(design, SurveyDesign):
        return data, dict(design.spec())
    if isinstance(design, Mapping):
        return data, dict(design)
    if design is not None:
        raise ParameterError(f"The 'design' parameter of {owner} must be a SurveyDesign or a "
                             f"mapping of SurveyDesign options. Got {type(design).__name__} "
                             f"instead.")
    import warnings
    warnings.warn(f"Passing the design of {owner} as weight=/strata=/psu=/lonely_psu= (or not at "
                  f"all, meaning weight='weight', strata='stratum', psu='psu') is deprecated and "
                  f"will be removed in the next release; use design={{'weight': ..., 'strata': "
                  f"..., 'psu': ..., 'lonely_psu': ...}} or a SurveyDesign.", DeprecationWarning,
                  stacklevel=3)
    spec = {"weight": "weight", "strata": "stratum", "psu": "psu", "lonely_psu": "fail"}
    spec.update(old)
    return data, spec


def change(data: Any, welfare: str = "consumption_pc", *, line: Any,
           years: tuple[int, int], year: str = "year", design: Any = None,
           size: Any = "hh_size", g: float | None = None, by: str | None = None,
           line_rule: Literal["strict", "weak"] = "strict", alpha: float = 0.05,
           **deprecated: Any) -> EstimateResult:
    r"""Change in P(alpha) between two waves, with an SE that accounts for the panel overlap.

    ``V(P_b - P_a) = V(P_a) + V(P_b) - 2 Cov(P_a, P_b)``. Each variance is the usual
    ultimate-cluster variance of its own wave's design. The covariance comes from the PSUs
    (villages) present in both waves, within each stratum h (Kish 1965, sec. 12.4, for
    with-replacement PSU samples that overlap in ``n_c`` PSUs):

    .. math:: \widehat{Cov}_h = \frac{n_{c}}{n_{c} - 1} \sum_{j \in C_h}
              (t^a_j - \bar t^a_{C_h})(t^b_j - \bar t^b_{C_h})

    where ``t_j`` are the PSU totals of each wave's influence function. Panel households make
    a village's two totals co-move, so the overlap lowers the SE of a change. With all PSUs
    common this equals the variance of the PSU totals of ``z_b - z_a``; with none it is zero
    (independent samples). Strata with fewer than two common PSUs add no covariance. Without
    a PSU column each household is its own PSU, matched across waves by the design's
    ``id_column`` (unique ids) or else not at all (independent samples), never by row order.
    df = the smaller of the two waves' design df.

    Parameters
    ----------
    data : DataFrame or SurveyDesign
        Both waves in one table (a ``year`` column).
    line : float, dict or str
        A number, a dict ``{year: line}`` or a column name (absolute lines).
    design : SurveyDesign or mapping
        The sampling design of each wave: a mapping of :class:`SurveyDesign` options (e.g.
        ``{"weight": "weight", "strata": "stratum", "psu": "psu", "lonely_psu": "adjust"}``)
        or a :class:`SurveyDesign` of the pooled table (its options are reused; each wave is
        its own sample, see :meth:`SurveyDesign.for_rows`). Until issue 16 the design came as
        ``weight=``, ``strata=``, ``psu=``, ``lonely_psu=`` (defaults ``"weight"``,
        ``"stratum"``, ``"psu"``, ``"fail"``); for one release those keywords, and a call
        with no design at all (the old defaults), still work with a ``DeprecationWarning``.
    g : float
        FGT exponent (0 headcount, default). ``alpha`` outside (0, 1) is still read as the
        exponent for one release, with a ``DeprecationWarning``.
    line_rule : {"strict", "weak"}
        ``y < z`` or ``y <= z`` is poor (see :func:`fgt`).
    alpha : float
        Intervals at level 1 - alpha (``conf_alpha`` is the deprecated old name).

    Returns
    -------
    EstimateResult
        Terms ``p{g}_{year_a}``, ``p{g}_{year_b}`` and ``change`` (per domain with ``by``);
        ``extras["covariance"]`` and ``extras["correlation"]`` hold the estimated covariance.
    """
    owner = "change"
    check_keywords(owner, deprecated, ("weight", "strata", "psu", "lonely_psu", "conf_alpha"))
    check_option(owner, "line_rule", line_rule, ("strict", "weak"))
    alpha, g = exponent_and_level(owner, alpha, g, exponent_name="g", default=0,
                                  stacklevel=3, conf_alpha=deprecated.get("conf_alpha"))
    data, spec = _wave_design_spec(owner, data, design, deprecated)
    ya, yb = years
    if isinstance(line, RelativeLine):
        raise ParameterError(f"The 'line' parameter of {owner} must be absolute (number, dict "
                             f"year->line or column). Got a RelativeLine instead.")
    waves = []
    for yr in (ya, yb):
        sub = data[data[year] == yr].reset_index(drop=True)
        if sub.empty:
            raise DesignError(f"{owner}: the table has no rows for year {yr} (column '{year}'). "
                              f"Fix: pass two years present in the survey.")
        d = SurveyDesign(sub, **spec)
        y = d.column(welfare, owner, "welfare")
        if isinstance(line, Mapping):
            if yr not in line:
                raise ParameterError(f"The 'line' parameter of {owner} must give a line for "
                                     f"years {ya} and {yb}. Got {dict(line)!r} instead.")
            z: Any = float(line[yr])
        else:
            z, _, _ = _line_values(d, line, y, d.weights, owner)
        w = effective_weights(d, size, owner)
        dom = d.domains(by, owner=owner)
        waves.append((d, y, z, w, dom))
    (da, _, _, _, doma), (db, _, _, _, domb) = waves
    if doma.labels != domb.labels:
        raise DesignError(Problem(
            da.table, by or "*", "has domains sampled in one wave only",
            len(set(doma.labels) ^ set(domb.labels)), tuple(set(doma.labels) ^ set(domb.labels)),
            "restrict both waves to the domains sampled in both.").message())
    strict = line_rule == "strict"
    Pa, ta = _wave_if_totals(*waves[0][:4], float(g), doma, strict)
    Pb, tb = _wave_if_totals(*waves[1][:4], float(g), domb, strict)
    Va = da.variance(totals=ta, squares=_wave_sq(*waves[0][:4], float(g), doma, Pa, strict),
                     dom=doma)
    Vb = db.variance(totals=tb, squares=_wave_sq(*waves[1][:4], float(g), domb, Pb, strict),
                     dom=domb)
    ka, kb = _psu_keys(da, ya), _psu_keys(db, yb)
    common = pd.Index(ka).intersection(pd.Index(kb))
    cov = np.zeros(doma.n)
    if len(common):
        ia = pd.Index(ka).get_indexer(common)
        ib = pd.Index(kb).get_indexer(common)
        st = da.psu_stratum[ia]
        A, B = ta[ia], tb[ib]
        nc = np.bincount(st, minlength=da.n_strata).astype(float)
        ma = np.stack([np.bincount(st, weights=A[:, j], minlength=da.n_strata)
                       for j in range(doma.n)], axis=1) / np.maximum(nc, 1)[:, None]
        mb = np.stack([np.bincount(st, weights=B[:, j], minlength=da.n_strata)
                       for j in range(doma.n)], axis=1) / np.maximum(nc, 1)[:, None]
        prod = (A - ma[st]) * (B - mb[st])
        sp = np.stack([np.bincount(st, weights=prod[:, j], minlength=da.n_strata)
                       for j in range(doma.n)], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.where(nc >= 2, nc / (nc - 1), 0.0)
        cov = fac @ sp
    Vd = Va + Vb - 2 * cov
    est = np.column_stack([Pa, Pb, Pb - Pa])
    var = np.column_stack([Va, Vb, Vd])
    names = [f"p{g:g}_{ya}", f"p{g:g}_{yb}", "change"]
    terms = [nm if doma.name is None else f"{nm}[{doma.name}={lab}]"
             for lab in doma.labels for nm in names]
    dfa, dfb = da.domain_degf(doma), db.domain_degf(domb)
    n_a, n_b = da.domain_counts(doma), db.domain_counts(domb)
    table = pd.DataFrame({
        "term": terms, "estimate": est.reshape(-1),
        "std_error": np.sqrt(np.maximum(var, 0)).reshape(-1),
        "n_obs": np.column_stack([n_a, n_b, n_a + n_b]).reshape(-1),
        "df": np.column_stack([dfa, dfb, np.minimum(dfa, dfb)]).reshape(-1),
        "group": np.repeat(np.array(doma.labels, dtype=object), 3),
        "measure": names * doma.n,
    })
    prov = Provenance(method="poverty_change",
                      options={**da.options(), "welfare": welfare, "g": g,
                               "years": [ya, yb], "size": size, "by": by,
                               "common_psus": int(len(common)),
                               "covariance": "Kish (1965) overlapping PSU samples"},
                      inputs_hash=hash_frame(data[data[year].isin([ya, yb])]),
                      n_input=int(len(data)), n_used=int(da.n + db.n),
                      dropped={f"years other than {ya}, {yb}": int(len(data) - da.n - db.n)})
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.sqrt(Va * Vb)
    return EstimateResult(table, method="poverty_change", alpha=alpha, provenance=prov,
                          extras={"covariance": cov, "correlation": corr,
                                  "common_psus": int(len(common))})


# ---------------------------------------------------------------------------------------------
# poverty lines and the incidence curve
# ---------------------------------------------------------------------------------------------

def poverty_lines(years: Sequence[int] | None = None, district: str | None = None) -> pd.DataFrame:
    """Poverty lines (Rp per capita per month) by year, region and kind.

    Kinds ``total`` and ``extreme``, from the district reference data, with their source and
    whether they are verified.
    """
    lines = reference.poverty_lines(district)
    if years is not None:
        lines = lines[lines["year"].isin(list(years))]
    return lines.reset_index(drop=True)


def line_for(data: pd.DataFrame, *, year: str = "year", kind: str = "total",
             district: str | None = None) -> np.ndarray:
    """Return the district line of each row's year (one value per row)."""
    yrs = data[year].unique()
    mp = {int(y): reference.poverty_line(int(y), kind=kind, district=district) for y in yrs}
    return data[year].map(mp).to_numpy(dtype=float)


def incidence_curve(data: Any, welfare: str = "consumption_pc", *, lines: Sequence[float],
                    design: Any = None, size: Any = None, by: str | None = None,
                    line_rule: Literal["strict", "weak"] = "strict", alpha: float = 0.05,
                    **deprecated: Any) -> EstimateResult:
    """Poverty incidence curve: P0 (with SE and CI) at each line in ``lines``.

    One :func:`fgt` per line (and domain). ``alpha``: intervals at level 1 - alpha
    (``conf_alpha`` is the deprecated old name).

    Returns
    -------
    EstimateResult
        Terms ``p0[line=z]`` (``p0[by=g][line=z]``); extra columns ``line`` and ``group``.
        :func:`plot_incidence_curve` draws it. Before issue 16 this returned a DataFrame
        with columns ``line, group, p0, std_error, conf_low, conf_high``; ``tidy()`` holds
        the same numbers (``estimate`` for ``p0``).
    """
    alpha = renamed_keywords("incidence_curve", deprecated,
                             {"conf_alpha": "alpha"}).get("alpha", alpha)
    zs = [float(z) for z in lines]
    if not zs:
        raise ParameterError("The 'lines' parameter of incidence_curve must hold at least one "
                             "poverty line. Got an empty sequence instead.")
    parts = []
    results = [fgt(data, welfare, line=z, design=design, size=size, by=by,
                   line_rule=line_rule, alpha=alpha) for z in zs]
    for z, r in zip(zs, results, strict=True):
        t = r.tidy().drop(columns=["statistic", "p_value", "conf_low", "conf_high"])
        t["term"] = [f"{term}[line={z:g}]" for term in t["term"]]
        t["line"] = z
        parts.append(t)
    table = pd.concat(parts, ignore_index=True)
    prov = results[0].provenance
    return EstimateResult(table, method="incidence_curve", alpha=alpha,
                          provenance=Provenance(method="incidence_curve",
                                                options={**dict(prov.options), "line": zs},
                                                inputs_hash=prov.inputs_hash,
                                                n_input=prov.n_input, n_used=prov.n_used,
                                                dropped=dict(prov.dropped)))


def plot_incidence_curve(curve: EstimateResult | pd.DataFrame, *,
                         marks: Mapping[str, float] | None = None,
                         ax: Any = None, title: str | None = None) -> Any:
    """Plot the incidence curve with its confidence band; returns the Figure (no show).

    ``marks`` draws vertical lines (e.g. ``{"poverty line": 420000, "extreme": 322170}``).
    The default title gives the band's level: 1 - alpha of an :class:`EstimateResult` (a
    DataFrame's band is taken as 95 %, the default).
    """
    level = 0.95
    if isinstance(curve, EstimateResult):
        level = 1 - curve.alpha
        curve = curve.tidy().rename(columns={"estimate": "p0"})
    import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()
    if ax is None:
        fig = plt.figure(figsize=(7, 4.5))
        ax = fig.subplots()
    else:
        fig = ax.figure
    for g, sub in curve.groupby("group", sort=False):
        ax.plot(sub["line"], 100 * sub["p0"], label=str(g))
        ax.fill_between(sub["line"], 100 * sub["conf_low"], 100 * sub["conf_high"], alpha=0.2)
    for lab, v in (marks or {}).items():
        ax.axvline(v, color="grey", linestyle="--", linewidth=1)
        ax.text(v, ax.get_ylim()[1] * 0.95, f" {lab}", rotation=90, va="top", fontsize=8)
    ax.set_xlabel("poverty line (Rp per capita per month)")
    ax.set_ylabel("headcount P0 (%)")
    ax.set_title(title or f"Poverty incidence curve ({100 * level:g} % CI)")
    if curve["group"].nunique() > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
