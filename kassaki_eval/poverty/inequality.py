"""Inequality measures with design-based (linearised) standard errors.

Every function takes a :class:`~kassaki_eval.poverty.design.SurveyDesign` (or a DataFrame plus
design options), a welfare column, and optional ``by=`` domains, ``subset=`` and ``size=``
(household size, for person-weighted measures), and returns an
:class:`~kassaki_eval.results.EstimateResult` with estimate, SE, CI (t with the domain's design
df), design effect (SRS with replacement).

Influence functions (linearised variables) follow R's ``convey`` package:

- Gini: Eurostat's estimator as laeken ``gini`` (``(2 sum w r y - sum w^2 y) / (N Y) - 1``,
  invariant to the scale of the weights), linearised as Osier (2009) / convey ``svygini``
  linearise ``T1 = sum w r y`` (``r`` the cumulative weight); convey's point uses
  ``sum w y`` for the second term and so differs (tests/references/inequality/README.md);
- GE(epsilon) and Atkinson(epsilon): Biewen & Jenkins (2006) as in convey ``svygei``/``svyatk``,
  obtained here as the gradient of the index with respect to the totals ``sum w``,
  ``sum w y``, ``sum w y^a``, ``sum w log y``, ``sum w y log y``;
- quantiles: point = smallest y with weighted CDF >= p (R ``svyquantile(qrule="math")``,
  the default) or weighted Hyndman-Fan type 7 (``qrule="hf7"``); CI by Woodruff's method as
  R survey >= 4.0: a t interval for the CDF at the estimate, ``F(q) +- t se``, mapped back
  through the same rule, SE = (upper - lower) / (2 t);
- income below a quantile (Palma, quantile shares): the influence function
  ``y 1(y <= q) - q (1(y <= q) - p)`` (Langel & Tille 2011), where the kernel densities of
  convey's ``svyqsr`` cancel exactly; convey estimates both densities and so differs slightly.

Example
-------
>>> import numpy as np, pandas as pd
>>> from kassaki_eval.poverty import SurveyDesign
>>> from kassaki_eval.poverty.inequality import gini
>>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 1, 1]})
>>> round(gini(SurveyDesign(df, weight="w"), "y")["gini"], 4)
0.25
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from scipy import stats

from ..exceptions import DesignError, Problem, check_option, require
from ..results import EstimateResult
from ._common import (
    build_result,
    check_keywords,
    domain_sums,
    domain_terms,
    effective_weights,
    exponent_and_level,
    gini_influence,
    kernel_density,
    quantile_influence,
    ratio_of_totals,
    renamed_keywords,
    srs_variance,
    weighted_quantile,
    weighted_quantile_hf7,
)
from .design import Domains, SurveyDesign, as_design

__all__ = ["gini", "gen_entropy", "theil", "mld", "atkinson", "palma", "quantiles",
           "quantile_shares", "weighted_quantile", "weighted_quantile_hf7", "kernel_density",
           "quantile_influence", "gini_influence"]


# weighted_quantile, kernel_density, quantile_influence and gini_influence live in
# kassaki_eval.poverty._common (shared with measures) and are re-exported here.


def _positive(design: SurveyDesign, y: np.ndarray, dom: Domains, welfare: Any, what: str) -> None:
    bad = (dom.codes >= 0) & (y <= 0)
    if bad.any():
        raise DesignError(Problem(
            design.table, welfare if isinstance(welfare, str) else "welfare",
            f"must be > 0 for {what} (log or negative power of income)", int(bad.sum()),
            design.examples(bad), "restrict with subset= to positive welfare, or use gini/ge(2)."
        ).message())


def _setup(data: Any, design: Any, welfare: Any, by: Any, subset: Any, size: Any, owner: str,
           na_rm: bool = False) -> tuple[SurveyDesign, np.ndarray, np.ndarray, Domains]:
    d = as_design(data, design, owner)
    dom = d.domains(by, subset, owner=owner)
    y, dom = d.values_in(welfare, dom, owner, "welfare", na_rm)
    w = effective_weights(d, size, owner)
    return d, y, w, dom


def _from_influence(d: SurveyDesign, dom: Domains, w: np.ndarray, est: np.ndarray,
                    z: np.ndarray, *, name: str, method: str, options: dict[str, Any],
                    alpha: float, extras: dict[str, Any] | None = None) -> EstimateResult:
    zz = z if z.ndim == 2 else z[:, None]
    var = d.variance(zz, dom, w)[:, 0]
    N = np.bincount(dom.codes[dom.codes >= 0], weights=w[dom.codes >= 0], minlength=dom.n)
    u = zz[:, 0] * N[np.maximum(dom.codes, 0)]
    srs = srs_variance(dom, u, w)[:, 0]
    return build_result(d, dom, terms=domain_terms(name, dom), estimate=est, variance=var,
                        srs_var=srs, method=method, options=options, alpha=alpha,
                        extras=extras)


# ---------------------------------------------------------------------------------------------
# public measures
# ---------------------------------------------------------------------------------------------

def gini(data: Any, welfare: str = "consumption_pc", *, design: Any = None,
         by: str | Sequence[str] | None = None, subset: Any = None, size: Any = None,
         na_rm: bool = False, alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Gini coefficient with convey's linearised SE (Osier 2009).

    Examples
    --------
    >>> import pandas as pd
    >>> from kassaki_eval.poverty import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 1, 1]})
    >>> gini(SurveyDesign(df, weight="w"), "y").estimates.round(3).tolist()
    [0.25]
    """
    alpha = renamed_keywords("gini", deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "gini", na_rm)
    est, z = gini_influence(dom, y, w)
    return _from_influence(d, dom, w, est, z, name="gini", method="gini",
                           options={"welfare": welfare, "size": size}, alpha=alpha)


def gen_entropy(data: Any, welfare: str = "consumption_pc", *, epsilon: float | None = None,
                design: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
                size: Any = None, na_rm: bool = False, alpha: float = 0.05,
                **deprecated: Any) -> EstimateResult:
    """Generalised entropy index GE(epsilon) (0: mean log deviation, 1: Theil, 2: half CV²).

    The linearisation is the gradient with respect to the weighted totals used by the index
    (Biewen & Jenkins 2006; convey ``svygei``, whose parameter is also called ``epsilon``).

    Parameters
    ----------
    epsilon : float
        The GE parameter (default 1, Theil). Until issue 16 it was called ``alpha``; for one
        release ``alpha`` outside (0, 1) (or with ``conf_alpha``) is still read as the GE
        parameter, with a ``DeprecationWarning``.
    alpha : float
        Intervals at level 1 - alpha (``conf_alpha`` is its deprecated old name).
    """
    return _gen_entropy(data, welfare, stacklevel=4, epsilon=epsilon, design=design, by=by,
                        subset=subset, size=size, na_rm=na_rm, alpha=alpha, **deprecated)


def _gen_entropy(data: Any, welfare: str, *, stacklevel: int, epsilon: float | None = None,
                 design: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
                 size: Any = None, na_rm: bool = False, alpha: float = 0.05,
                 owner: str = "gen_entropy", **deprecated: Any) -> EstimateResult:
    """Compute :func:`gen_entropy`, :func:`theil` and :func:`mld`.

    ``stacklevel``: that of the deprecation warnings as seen from ``exponent_and_level``, 4
    for each public function (the user's call -> public function -> here -> there).
    ``owner``: the public function's name, which the messages give.
    """
    check_keywords(owner, deprecated, ("conf_alpha",))
    alpha, epsilon = exponent_and_level(owner, alpha, epsilon, exponent_name="epsilon",
                                        default=1.0, stacklevel=stacklevel,
                                        conf_alpha=deprecated.get("conf_alpha"),
                                        meaning="GE parameter")
    require(isinstance(epsilon, (int, float, np.integer, np.floating)) and np.isfinite(epsilon),
            owner, "epsilon", "a finite number", epsilon)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, owner, na_rm)
    a = float(epsilon)
    if a in (0.0, 1.0) or a < 0:
        _positive(d, y, dom, welfare, f"GE({a:g})")
    ly = np.log(np.where(y > 0, y, 1.0))
    if a == 0.0:
        vars_ = {"U1": y, "T0": ly}
        val = lambda T: -T["T0"] / T["_N"] + np.log(T["U1"] / T["_N"])  # noqa: E731
        grad = lambda T: {"_N": T["T0"] / T["_N"] ** 2 - 1 / T["_N"], "U1": 1 / T["U1"],  # noqa: E731
                          "T0": -1 / T["_N"]}
    elif a == 1.0:
        vars_ = {"U1": y, "T1": y * ly}
        val = lambda T: T["T1"] / T["U1"] - np.log(T["U1"] / T["_N"])  # noqa: E731
        grad = lambda T: {"T1": 1 / T["U1"], "U1": -T["T1"] / T["U1"] ** 2 - 1 / T["U1"],  # noqa: E731
                          "_N": 1 / T["_N"]}
    else:
        vars_ = {"U1": y, "Ua": np.power(np.where(y > 0, y, 0.0), a) if a > 0 else y ** a}

        def val(T: dict[str, np.ndarray]) -> np.ndarray:
            return (T["_N"] ** (a - 1) * T["U1"] ** (-a) * T["Ua"] - 1) / (a * (a - 1))

        def grad(T: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            N, U1, Ua = T["_N"], T["U1"], T["Ua"]
            return {"_N": N ** (a - 2) * U1 ** (-a) * Ua / a,
                    "U1": -N ** (a - 1) * U1 ** (-a - 1) * Ua / (a - 1),
                    "Ua": N ** (a - 1) * U1 ** (-a) / (a * (a - 1))}
    name = {0.0: "mld", 1.0: "theil"}.get(a, f"ge({a:g})")
    return ratio_of_totals(d, vars_, val, grad, size=size, method=f"ge({a:g})", term=name,
                           alpha=alpha, dom=dom,
                           options={"welfare": welfare, "epsilon": a})


def theil(data: Any, welfare: str = "consumption_pc", **kw: Any) -> EstimateResult:
    """Theil index, GE(1); keywords as :func:`gen_entropy`."""
    return _gen_entropy(data, welfare, stacklevel=4, epsilon=1.0, owner="theil", **kw)


def mld(data: Any, welfare: str = "consumption_pc", **kw: Any) -> EstimateResult:
    """Mean log deviation, GE(0); keywords as :func:`gen_entropy`."""
    return _gen_entropy(data, welfare, stacklevel=4, epsilon=0.0, owner="mld", **kw)


def atkinson(data: Any, welfare: str = "consumption_pc", *, epsilon: float = 1.0,
             design: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
             size: Any = None, na_rm: bool = False, alpha: float = 0.05,
             **deprecated: Any) -> EstimateResult:
    """Atkinson index A(epsilon), epsilon > 0 (convey ``svyatk``; positive welfare only)."""
    alpha = renamed_keywords("atkinson", deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
    require(isinstance(epsilon, (int, float)) and epsilon > 0, "atkinson", "epsilon",
            "a number > 0", epsilon)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "atkinson", na_rm)
    _positive(d, y, dom, welfare, "the Atkinson index")
    e = float(epsilon)
    yy = np.where(y > 0, y, 1.0)
    if e == 1.0:
        vars_ = {"U1": y, "T0": np.log(yy)}

        def val(T: dict[str, np.ndarray]) -> np.ndarray:
            return 1 - T["_N"] / T["U1"] * np.exp(T["T0"] / T["_N"])

        def grad(T: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            N, U1, T0 = T["_N"], T["U1"], T["T0"]
            E = np.exp(T0 / N)
            return {"_N": -E / U1 + E * T0 / (N * U1), "U1": N * E / U1 ** 2, "T0": -E / U1}
    else:
        a_, b_ = -e / (1 - e), 1 / (1 - e)
        vars_ = {"U1": y, "V": yy ** (1 - e)}

        def val(T: dict[str, np.ndarray]) -> np.ndarray:
            return 1 - T["_N"] ** a_ * T["V"] ** b_ / T["U1"]

        def grad(T: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            N, U1, V = T["_N"], T["U1"], T["V"]
            return {"_N": -a_ * N ** (a_ - 1) * V ** b_ / U1,
                    "V": -b_ * N ** a_ * V ** (b_ - 1) / U1,
                    "U1": N ** a_ * V ** b_ / U1 ** 2}
    return ratio_of_totals(d, vars_, val, grad, size=size, method=f"atkinson({e:g})",
                           term=f"atkinson({e:g})", alpha=alpha, dom=dom,
                           options={"welfare": welfare, "epsilon": e})


def _below_total_influence(dom: Domains, y: np.ndarray, w: np.ndarray, p: float
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Total welfare held by units at or below the p-quantile, and its influence function."""
    q = weighted_quantile(dom, y, w, p)[:, 0]
    inside = dom.codes >= 0
    c = np.maximum(dom.codes, 0)
    below = (y <= q[c]) & inside
    tot = np.bincount(dom.codes[inside], weights=(w * y * below)[inside], minlength=dom.n)
    z = np.where(inside, y * below - q[c] * (below.astype(float) - p), 0.0)
    return tot, z


def palma(data: Any, welfare: str = "consumption_pc", *, design: Any = None,
          by: str | Sequence[str] | None = None, subset: Any = None, size: Any = None,
          na_rm: bool = False, alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Palma ratio: welfare share of the top 10 % over that of the bottom 40 %."""
    alpha = renamed_keywords("palma", deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "palma", na_rm)
    inside = dom.codes >= 0
    c = np.maximum(dom.codes, 0)
    U = np.bincount(dom.codes[inside], weights=(w * y)[inside], minlength=dom.n)
    t90, z90 = _below_total_influence(dom, y, w, 0.9)
    t40, z40 = _below_total_influence(dom, y, w, 0.4)
    top = U - t90
    est = top / t40
    z_top = np.where(inside, y, 0.0) - z90
    z = (z_top - est[c] * z40) / t40[c]
    z = np.where(inside, z, 0.0)
    return _from_influence(d, dom, w, est, z, name="palma", method="palma",
                           options={"welfare": welfare, "size": size,
                                    "linearisation": "Langel & Tille (2011) total below quantile"},
                           alpha=alpha)


def quantile_shares(data: Any, welfare: str = "consumption_pc", *,
                    cuts: Sequence[float] = (0.2, 0.4, 0.6, 0.8), design: Any = None,
                    by: str | Sequence[str] | None = None, subset: Any = None, size: Any = None,
                    na_rm: bool = False, alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
    """Share of total welfare held by each quantile group (default quintiles)."""
    alpha = renamed_keywords("quantile_shares", deprecated,
                             {"conf_alpha": "alpha"}).get("alpha", alpha)
    cs = [float(c) for c in cuts]
    require(all(0 < c < 1 for c in cs) and cs == sorted(cs), "quantile_shares", "cuts",
            "increasing probabilities in (0, 1)", cuts)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "quantile_shares", na_rm)
    inside = dom.codes >= 0
    c = np.maximum(dom.codes, 0)
    U = np.bincount(dom.codes[inside], weights=(w * y)[inside], minlength=dom.n)
    bounds = [0.0] + cs + [1.0]
    below: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(dom.n), np.zeros(len(y)))]
    for p in cs:
        below.append(_below_total_influence(dom, y, w, p))
    below.append((U, np.where(inside, y, 0.0)))
    Z, est, names = [], [], []
    for g in range(len(bounds) - 1):
        num = below[g + 1][0] - below[g][0]
        zn = below[g + 1][1] - below[g][1]
        s = num / U
        Z.append(np.where(inside, (zn - s[c] * y) / U[c], 0.0))
        est.append(s)
        names.append(f"share[{bounds[g]:g}-{bounds[g + 1]:g}]")
    Zm = np.column_stack(Z)
    var = d.variance(Zm, dom, w)
    N = np.bincount(dom.codes[inside], weights=w[inside], minlength=dom.n)
    srs = srs_variance(dom, Zm * N[c][:, None], w)
    E = np.column_stack(est)
    terms = [f"{nm}" if dom.name is None else f"{nm}[{dom.name}={lab}]"
             for lab in dom.labels for nm in names]
    return build_result(d, dom, terms=terms, estimate=E, variance=var, srs_var=srs,
                        method="quantile_shares", measure=names * dom.n,
                        options={"welfare": welfare, "cuts": cs, "size": size},
                        alpha=alpha)


def quantiles(data: Any, welfare: str = "consumption_pc", *,
              probs: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9), design: Any = None,
              by: str | Sequence[str] | None = None, subset: Any = None, size: Any = None,
              qrule: Literal["math", "hf7"] = "math", na_rm: bool = False, alpha: float = 0.05,
              **deprecated: Any) -> EstimateResult:
    """Quantiles with Woodruff confidence intervals, as R survey >= 4.0 ``svyquantile``.

    Parameters
    ----------
    probs : sequence of float
        Probabilities in (0, 1).
    qrule : {"math", "hf7"}
        How a quantile is read off the weighted distribution (R's ``qrule``): ``"math"``
        (default, as R's default) the smallest value whose weighted CDF is >= p (the inverse
        of the empirical CDF, Hyndman-Fan type 1); ``"hf7"`` linear interpolation,
        Hyndman-Fan type 7 with weights (R's ``quantile()`` default for equal weights).
    alpha : float
        Intervals at level 1 - alpha (``conf_alpha`` is the deprecated old name).

    Notes
    -----
    Interval (Woodruff 1952, R ``interval.type="mean"``, the default since survey 4.0): the
    design-based t interval (df: the domain's design df, R ``degf``) of the estimated CDF at
    the estimate, ``F(q) +- t se(F(q))``, mapped back through the same ``qrule``; a bound is
    NaN when the CDF interval leaves [0, 1] (R does the same). Before issue 12 the interval
    was centred at ``p`` instead of ``F(q)``. SE = (upper - lower) / (2 t). The result
    carries its own intervals at level ``alpha``. Checked against R on apistrat and apiclus2
    (tests/references/survey/make_quantile_refs.R).
    """
    alpha = renamed_keywords("quantiles", deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
    check_option("quantiles", "qrule", qrule, ("math", "hf7"))
    qfun = weighted_quantile if qrule == "math" else weighted_quantile_hf7
    pr = [float(p) for p in probs]
    require(all(0 < p < 1 for p in pr), "quantiles", "probs", "probabilities in (0, 1)", probs)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "quantiles", na_rm)
    Q = qfun(dom, y, w, np.array(pr))                              # (D, k)
    inside = dom.codes >= 0
    c = np.maximum(dom.codes, 0)
    N = np.bincount(dom.codes[inside], weights=w[inside], minlength=dom.n)
    # the CDF at each estimated quantile, F(q) = mean of 1(y <= q), and its influence
    # function (1(y <= q) - F(q)) / N (R: svymean(x <= qhat))
    ind = (y[:, None] <= Q[c]).astype(float)
    Fq = domain_sums(dom, ind, w) / N[:, None]
    Z = np.where(inside[:, None], (ind - Fq[c]) / N[c][:, None], 0.0)
    var_F = d.variance(Z, dom, w)
    df = d.domain_degf(dom)
    tcrit = np.where(np.isfinite(df) & (df > 0), stats.t.ppf(1 - alpha / 2, np.maximum(df, 1)),
                     stats.norm.ppf(1 - alpha / 2))
    seF = np.sqrt(np.maximum(var_F, 0))
    lo = np.full_like(Q, np.nan)
    hi = np.full_like(Q, np.nan)
    for dd in range(dom.n):  # loop over domains only
        sub = Domains(np.where(dom.codes == dd, 0, -1), ("x",), None)
        pl = Fq[dd] - tcrit[dd] * seF[dd]
        ph = Fq[dd] + tcrit[dd] * seF[dd]
        ok_l, ok_h = pl >= 0, ph <= 1
        if ok_l.any():
            lo[dd, ok_l] = qfun(sub, y, w, pl[ok_l])[0]
        if ok_h.any():
            hi[dd, ok_h] = qfun(sub, y, w, ph[ok_h])[0]
    se = (hi - lo) / (2 * tcrit[:, None])
    names = [f"q{p:g}" for p in pr]
    terms = [nm if dom.name is None else f"{nm}[{dom.name}={lab}]"
             for lab in dom.labels for nm in names]
    return build_result(d, dom, terms=terms, estimate=Q, variance=se ** 2, srs_var=None,
                        method="quantiles", measure=names * dom.n,
                        options={"welfare": welfare, "probs": pr, "size": size, "qrule": qrule,
                                 "interval": "Woodruff, centred at F(q) (R svyquantile >= 4.0, "
                                             "interval.type='mean')"},
                        alpha=alpha,
                        own=(np.full(Q.size, np.nan), lo.reshape(-1), hi.reshape(-1)))
