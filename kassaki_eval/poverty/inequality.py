"""Inequality measures with design-based (linearised) standard errors.

Every function takes a :class:`~kassaki_eval.poverty.design.SurveyDesign` (or a DataFrame plus design
options), a welfare column, and optional ``by=`` domains, ``subset=`` and ``size=`` (household
size, for person-weighted measures), and returns an :class:`~kassaki_eval.results.EstimateResult`
with estimate, SE, CI (t with the domain's design df), design effect (SRS with replacement).

Influence functions (linearised variables) follow R's ``convey`` package:

- Gini: Osier (2009) / convey ``svygini`` (``T1 = sum w r y`` with ``r`` the cumulative weight,
  ties kept in row order as R's stable ``order``);
- GE(alpha) and Atkinson(epsilon): Biewen & Jenkins (2006) as in convey ``svygei``/``svyatk``,
  obtained here as the gradient of the index with respect to the totals ``sum w``,
  ``sum w y``, ``sum w y^a``, ``sum w log y``, ``sum w y log y``;
- quantiles: point = smallest y with weighted CDF >= p (R ``svyquantile(qrule="math")``,
  convey ``computeQuantiles``); SE and CI by Woodruff's method (R ``interval.type="Wald"``):
  a t interval for the CDF at the estimate, mapped back through the quantile function,
  SE = (upper - lower) / (2 t);
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

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import DesignError, ParameterError, Problem, require
from ..results import EstimateResult
from .design import (Domains, SurveyDesign, as_design, build_result, domain_sums,
                     effective_weights, ratio_of_totals, srs_variance)

__all__ = ["gini", "gen_entropy", "theil", "mld", "atkinson", "palma", "quantiles",
           "quantile_shares", "weighted_quantile", "kernel_density", "quantile_influence",
           "gini_influence"]


# ---------------------------------------------------------------------------------------------
# building blocks (also used by kassaki_eval.poverty)
# ---------------------------------------------------------------------------------------------

def _sorted_within(dom: Domains, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row order sorted by (domain, y), stable in row order for ties; rows outside dropped."""
    inside = np.flatnonzero(dom.codes >= 0)
    order = inside[np.lexsort((y[inside], dom.codes[inside]))]
    return order, dom.codes[order]


def _cumsum_within(v: np.ndarray, codes_sorted: np.ndarray, D: int) -> np.ndarray:
    """Cumulative sum restarting at each domain (inputs sorted by domain)."""
    cs = np.cumsum(v)
    tot = np.bincount(codes_sorted, weights=v, minlength=D)
    before = np.concatenate([[0.0], np.cumsum(tot)[:-1]])
    return cs - before[codes_sorted]


def weighted_quantile(dom: Domains, y: np.ndarray, w: np.ndarray, p: float | np.ndarray
                      ) -> np.ndarray:
    """Smallest y with weighted CDF >= p in each domain (R ``qrule="math"``): ``(D, len(p))``."""
    pp = np.atleast_1d(np.asarray(p, dtype=float))
    order, cs = _sorted_within(dom, y)
    ys, ws = y[order], w[order]
    cw = _cumsum_within(ws, cs, dom.n)
    N = np.bincount(cs, weights=ws, minlength=dom.n)
    F = cw / N[cs]
    out = np.empty((dom.n, len(pp)))
    starts = np.searchsorted(cs, np.arange(dom.n), side="left")
    ends = np.searchsorted(cs, np.arange(dom.n), side="right")
    for d in range(dom.n):  # loop over domains only (13 kecamatan), never over households
        Fd, yd = F[starts[d]:ends[d]], ys[starts[d]:ends[d]]
        # tolerance guards against cumulative-sum rounding at exact knots
        idx = np.searchsorted(Fd, pp - 1e-12, side="left")
        out[d] = yd[np.clip(idx, 0, len(yd) - 1)]
    return out


def _bandwidth(dom: Domains, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """convey's ``h_fun``: weighted SD (divisor N) over N^(1/5), N the sum of weights."""
    s = domain_sums(dom, np.column_stack([np.ones_like(y), y, y * y]), w)
    N, S1, S2 = s[:, 0], s[:, 1], s[:, 2]
    sd = np.sqrt(np.maximum(S2 - S1 * S1 / N, 0.0) / N)
    return sd / np.exp(0.2 * np.log(N))


def kernel_density(dom: Domains, y: np.ndarray, w: np.ndarray, at: np.ndarray,
                   h: np.ndarray | None = None) -> np.ndarray:
    """Gaussian-kernel weighted density of each domain at ``at[d]`` (convey ``densfun``)."""
    h = _bandwidth(dom, y, w) if h is None else h
    inside = dom.codes >= 0
    c = dom.codes[inside]
    u = (at[c] - y[inside]) / h[c]
    k = np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi)
    N = np.bincount(c, weights=w[inside], minlength=dom.n)
    return np.bincount(c, weights=w[inside] * k, minlength=dom.n) / (N * h)


def quantile_influence(dom: Domains, y: np.ndarray, w: np.ndarray, p: float,
                       q: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Quantile ``q_d`` of each domain and its influence function (zero outside the domain):
    ``-(1(y <= q) - p) / (N f(q))`` with f the kernel density (convey ``svyiqalpha``)."""
    q = weighted_quantile(dom, y, w, p)[:, 0] if q is None else q
    f = kernel_density(dom, y, w, q)
    N = np.bincount(dom.codes[dom.codes >= 0], weights=w[dom.codes >= 0], minlength=dom.n)
    z = np.zeros(len(y))
    inside = dom.codes >= 0
    c = dom.codes[inside]
    z[inside] = -((y[inside] <= q[c]).astype(float) - p) / (N[c] * f[c])
    return q, z


def gini_influence(dom: Domains, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gini of each domain and its influence function (convey ``svygini``; zero outside)."""
    order, cs = _sorted_within(dom, y)
    ys, ws = y[order], w[order]
    r = _cumsum_within(ws, cs, dom.n)
    G = _cumsum_within(ys * ws, cs, dom.n)
    N = np.bincount(cs, weights=ws, minlength=dom.n)
    Y = np.bincount(cs, weights=ys * ws, minlength=dom.n)
    T1 = np.bincount(cs, weights=r * ys * ws, minlength=dom.n)
    gini_v = (2 * T1 - Y) / (Y * N) - 1
    t1lin = Y[cs] - G + ys * ws + r * ys
    d1 = 2 / (Y * N)
    d2 = -2 * T1 / (Y * Y * N)
    d3 = -(2 * T1 - Y) / (Y * N * N)
    z = np.zeros(len(y))
    z[order] = d1[cs] * t1lin + d2[cs] * ys + d3[cs]
    return gini_v, z


def _positive(design: SurveyDesign, y: np.ndarray, dom: Domains, welfare: Any, what: str) -> None:
    bad = (dom.codes >= 0) & (y <= 0)
    if bad.any():
        raise DesignError(Problem(
            design.table, welfare if isinstance(welfare, str) else "welfare",
            f"must be > 0 for {what} (log or negative power of income)", int(bad.sum()),
            design._examples(bad), "restrict with subset= to positive welfare, or use gini/ge(2)."
        ).message())


def _setup(data: Any, design: Any, welfare: Any, by: Any, subset: Any, size: Any, owner: str
           ) -> tuple[SurveyDesign, np.ndarray, np.ndarray, Domains]:
    d = as_design(data, design, owner)
    y = d.column(welfare, owner, "welfare")
    w = effective_weights(d, size, owner)
    dom = d.domains(by, subset, owner=owner)
    return d, y, w, dom


def _terms(name: str, dom: Domains) -> list[str]:
    return [name if dom.name is None else f"{name}[{dom.name}={lab}]" for lab in dom.labels]


def _from_influence(d: SurveyDesign, dom: Domains, w: np.ndarray, est: np.ndarray,
                    z: np.ndarray, *, name: str, method: str, options: dict[str, Any],
                    conf_alpha: float, extras: dict[str, Any] | None = None) -> EstimateResult:
    zz = z if z.ndim == 2 else z[:, None]
    var = d.variance_of_totals(d.psu_totals(zz, dom, w), d.unit_squares(zz, dom, w))[:, 0]
    N = np.bincount(dom.codes[dom.codes >= 0], weights=w[dom.codes >= 0], minlength=dom.n)
    u = zz[:, 0] * N[np.maximum(dom.codes, 0)]
    srs = srs_variance(dom, u, w)[:, 0]
    return build_result(d, dom, terms=_terms(name, dom), estimate=est, variance=var,
                        srs_var=srs, method=method, options=options, conf_alpha=conf_alpha,
                        extras=extras)


# ---------------------------------------------------------------------------------------------
# public measures
# ---------------------------------------------------------------------------------------------

def gini(data: Any, welfare: str = "consumption_pc", *, design: Any = None,
         by: str | Sequence[str] | None = None, subset: Any = None, size: Any = None,
         conf_alpha: float = 0.05) -> EstimateResult:
    """Gini coefficient with convey's linearised SE (Osier 2009).

    Examples
    --------
    >>> import pandas as pd
    >>> from kassaki_eval.poverty import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 1, 1]})
    >>> gini(SurveyDesign(df, weight="w"), "y").estimates.round(3).tolist()
    [0.25]
    """
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "gini")
    est, z = gini_influence(dom, y, w)
    return _from_influence(d, dom, w, est, z, name="gini", method="gini",
                           options={"welfare": welfare, "size": size}, conf_alpha=conf_alpha)


def gen_entropy(data: Any, welfare: str = "consumption_pc", *, alpha: float = 1.0,
                design: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
                size: Any = None, conf_alpha: float = 0.05) -> EstimateResult:
    """Generalised entropy index GE(alpha) (alpha=0: mean log deviation, 1: Theil, 2: half CV²).

    The linearisation is the gradient with respect to the weighted totals used by the index
    (Biewen & Jenkins 2006; convey ``svygei``).
    """
    require(isinstance(alpha, (int, float)) and np.isfinite(alpha), "gen_entropy", "alpha",
            "a finite number", alpha)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "gen_entropy")
    a = float(alpha)
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
                           conf_alpha=conf_alpha, dom=dom,
                           options={"welfare": welfare, "alpha": a})


def theil(data: Any, welfare: str = "consumption_pc", **kw: Any) -> EstimateResult:
    """Theil index, GE(1)."""
    return gen_entropy(data, welfare, alpha=1.0, **kw)


def mld(data: Any, welfare: str = "consumption_pc", **kw: Any) -> EstimateResult:
    """Mean log deviation, GE(0)."""
    return gen_entropy(data, welfare, alpha=0.0, **kw)


def atkinson(data: Any, welfare: str = "consumption_pc", *, epsilon: float = 1.0,
             design: Any = None, by: str | Sequence[str] | None = None, subset: Any = None,
             size: Any = None, conf_alpha: float = 0.05) -> EstimateResult:
    """Atkinson index A(epsilon), epsilon > 0 (convey ``svyatk``; positive welfare only)."""
    require(isinstance(epsilon, (int, float)) and epsilon > 0, "atkinson", "epsilon",
            "a number > 0", epsilon)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "atkinson")
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
                           term=f"atkinson({e:g})", conf_alpha=conf_alpha, dom=dom,
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
          conf_alpha: float = 0.05) -> EstimateResult:
    """Palma ratio: welfare share of the top 10 % over that of the bottom 40 %."""
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "palma")
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
                           conf_alpha=conf_alpha)


def quantile_shares(data: Any, welfare: str = "consumption_pc", *,
                    cuts: Sequence[float] = (0.2, 0.4, 0.6, 0.8), design: Any = None,
                    by: str | Sequence[str] | None = None, subset: Any = None, size: Any = None,
                    conf_alpha: float = 0.05) -> EstimateResult:
    """Share of total welfare held by each quantile group (default quintiles)."""
    cs = [float(c) for c in cuts]
    require(all(0 < c < 1 for c in cs) and cs == sorted(cs), "quantile_shares", "cuts",
            "increasing probabilities in (0, 1)", cuts)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "quantile_shares")
    inside = dom.codes >= 0
    c = np.maximum(dom.codes, 0)
    U = np.bincount(dom.codes[inside], weights=(w * y)[inside], minlength=dom.n)
    bounds = [0.0] + cs + [1.0]
    below = [(np.zeros(dom.n), np.zeros(len(y)))]
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
    var = d.variance_of_totals(d.psu_totals(Zm, dom, w), d.unit_squares(Zm, dom, w))
    N = np.bincount(dom.codes[inside], weights=w[inside], minlength=dom.n)
    srs = srs_variance(dom, Zm * N[c][:, None], w)
    E = np.column_stack(est)
    terms = [f"{nm}" if dom.name is None else f"{nm}[{dom.name}={lab}]"
             for lab in dom.labels for nm in names]
    return build_result(d, dom, terms=terms, estimate=E, variance=var, srs_var=srs,
                        method="quantile_shares", measure=names * dom.n,
                        options={"welfare": welfare, "cuts": cs, "size": size},
                        conf_alpha=conf_alpha)


def quantiles(data: Any, welfare: str = "consumption_pc", *,
              probs: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9), design: Any = None,
              by: str | Sequence[str] | None = None, subset: Any = None, size: Any = None,
              conf_alpha: float = 0.05) -> EstimateResult:
    """Quantiles with Woodruff confidence intervals (R ``svyquantile(qrule="math",
    interval.type="Wald")``). SE = (upper - lower) / (2 t_{df}). The result carries its own
    intervals at level ``conf_alpha``.
    """
    pr = [float(p) for p in probs]
    require(all(0 < p < 1 for p in pr), "quantiles", "probs", "probabilities in (0, 1)", probs)
    d, y, w, dom = _setup(data, design, welfare, by, subset, size, "quantiles")
    Q = weighted_quantile(dom, y, w, np.array(pr))                 # (D, k)
    inside = dom.codes >= 0
    c = np.maximum(dom.codes, 0)
    N = np.bincount(dom.codes[inside], weights=w[inside], minlength=dom.n)
    # influence of the CDF at each estimated quantile: (1(y <= q) - F(q)) / N
    ind = (y[:, None] <= Q[c]).astype(float)
    Fq = domain_sums(dom, ind, w) / N[:, None]
    Z = np.where(inside[:, None], (ind - Fq[c]) / N[c][:, None], 0.0)
    var_F = d.variance_of_totals(d.psu_totals(Z, dom, w), d.unit_squares(Z, dom, w))
    df = d.domain_degf(dom)
    tcrit = np.where(np.isfinite(df) & (df > 0), stats.t.ppf(1 - conf_alpha / 2, np.maximum(df, 1)),
                     stats.norm.ppf(1 - conf_alpha / 2))
    seF = np.sqrt(np.maximum(var_F, 0))
    lo = np.empty_like(Q)
    hi = np.empty_like(Q)
    for j, p in enumerate(pr):
        pl = np.clip(p - tcrit * seF[:, j], 1e-12, 1.0)
        ph = np.clip(p + tcrit * seF[:, j], 1e-12, 1.0)
        for dd in range(dom.n):  # loop over domains x probabilities only
            sub = Domains(np.where(dom.codes == dd, 0, -1), ("x",), None)
            lo[dd, j] = weighted_quantile(sub, y, w, pl[dd])[0, 0]
            hi[dd, j] = weighted_quantile(sub, y, w, ph[dd])[0, 0]
    se = (hi - lo) / (2 * tcrit[:, None])
    names = [f"q{p:g}" for p in pr]
    terms = [nm if dom.name is None else f"{nm}[{dom.name}={lab}]"
             for lab in dom.labels for nm in names]
    return build_result(d, dom, terms=terms, estimate=Q, variance=se ** 2, srs_var=None,
                        method="quantiles", measure=names * dom.n,
                        options={"welfare": welfare, "probs": pr, "size": size,
                                 "rule": "R svyquantile qrule='math', Woodruff (Wald) interval"},
                        conf_alpha=conf_alpha,
                        own=(np.full(Q.size, np.nan), lo.reshape(-1), hi.reshape(-1)))
