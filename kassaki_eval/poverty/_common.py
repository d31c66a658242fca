"""Building blocks shared by the estimators of :mod:`kassaki_eval.poverty`.

Not a public API: the estimators in ``measures``, ``inequality`` (and ``sae``) import these so
that no module reaches into another's private names. Variance always goes through
:meth:`SurveyDesign.variance <kassaki_eval.poverty.design.SurveyDesign.variance>`, the one
variance entry point; this module only aggregates (domain totals, PSU totals via the design),
linearises and assembles results.

- :func:`person_weights`, :func:`domain_sums`, :func:`srs_variance`, :func:`build_result`,
  :func:`ratio_of_totals`, :func:`domain_terms`: estimator plumbing;
- :func:`weighted_quantile`, :func:`kernel_density`, :func:`quantile_influence`,
  :func:`gini_influence`: distribution building blocks (quantiles, densities, Gini), also
  re-exported publicly by :mod:`kassaki_eval.poverty.inequality`;
- :func:`renamed_keywords`, :func:`exponent_and_level`: the one-release deprecation path of the
  keywords renamed by issue 16 (``alpha`` = confidence level only).
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError, check_option
from ..results import EstimateResult, Provenance

if TYPE_CHECKING:  # pragma: no cover
    from .design import Domains, SurveyDesign

__all__ = ["effective_weights", "domain_sums", "srs_variance", "build_result", "result_table",
           "ratio_of_totals",
           "domain_terms", "weighted_quantile", "weighted_quantile_hf7", "kernel_density",
           "fgt_scores", "check_keywords", "quantile_influence", "gini_influence",
           "renamed_keywords",
           "exponent_and_level"]


def effective_weights(design: SurveyDesign, size: str | np.ndarray | None, owner: str
                      ) -> np.ndarray:
    """Return the design weights, times household size for person-level measures.

    See :meth:`SurveyDesign.person_weights`.
    """
    return design.person_weights(size, owner)


def domain_terms(name: str, dom: Domains) -> list[str]:
    """Term labels ``name`` (one domain) or ``name[by=label]`` for each domain."""
    return [name if dom.name is None else f"{name}[{dom.name}={lab}]" for lab in dom.labels]


def domain_sums(dom: Domains, values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted domain totals of each column: ``(D, k)``."""
    vals = values if values.ndim == 2 else values[:, None]
    inside = dom.codes >= 0
    c = dom.codes[inside]
    return np.stack([np.bincount(c, weights=w[inside] * vals[inside, j], minlength=dom.n)
                     for j in range(vals.shape[1])], axis=1)


def srs_variance(dom: Domains, u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """SRS-with-replacement variance of an estimator with per-unit influence ``u``.

    R's ``deff="replace"``: ``svyvar(u) / n`` within each domain, where ``svyvar`` is the weighted
    variance with the ``n/(n-1)`` factor. ``u`` must be on the per-unit (mean) scale.
    """
    uu = u if u.ndim == 2 else u[:, None]
    inside = dom.codes >= 0
    c = dom.codes[inside]
    wi = w[inside]
    n = np.bincount(c, minlength=dom.n).astype(float)
    W = np.bincount(c, weights=wi, minlength=dom.n)
    out = np.empty((dom.n, uu.shape[1]))
    for j in range(uu.shape[1]):
        x = uu[inside, j]
        m = np.bincount(c, weights=wi * x, minlength=dom.n) / W
        ss = np.bincount(c, weights=wi * (x - m[c]) ** 2, minlength=dom.n) / W
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, j] = ss * n / (n - 1) / n
    return out


def build_result(
    design: SurveyDesign,
    dom: Domains,
    *,
    terms: Sequence[str],
    estimate: np.ndarray,
    variance: np.ndarray,
    srs_var: np.ndarray | None,
    method: str,
    options: Mapping[str, Any],
    alpha: float = 0.05,
    measure: Sequence[str] | None = None,
    extra_cols: Mapping[str, Sequence[Any]] | None = None,
    extras: Mapping[str, Any] | None = None,
    own: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    df_mode: str = "design",
) -> EstimateResult:
    """Assemble an :class:`EstimateResult` for D domains x k measures (flattened row-major).

    ``df_mode="design"`` stores R's domain degf (t intervals); ``"normal"`` stores an
    infinite df (normal intervals). :func:`result_table` gives its table and provenance.
    """
    table, prov = result_table(design, dom, terms=terms, estimate=estimate, variance=variance,
                               srs_var=srs_var, method=method, options=options,
                               measure=measure, extra_cols=extra_cols, own=own,
                               df_mode=df_mode)
    return EstimateResult(table, method=method, alpha=alpha, provenance=prov,
                          own_intervals=own is not None, extras=extras)


def result_table(
    design: SurveyDesign,
    dom: Domains,
    *,
    terms: Sequence[str],
    estimate: np.ndarray,
    variance: np.ndarray,
    srs_var: np.ndarray | None,
    method: str,
    options: Mapping[str, Any],
    measure: Sequence[str] | None = None,
    extra_cols: Mapping[str, Sequence[Any]] | None = None,
    own: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    df_mode: str = "design",
) -> tuple[pd.DataFrame, Provenance]:
    """Build the result table and provenance of :func:`build_result` (to stack several)."""
    check_option("build_result", "df", df_mode, ("design", "normal"))
    est = np.asarray(estimate, dtype=float).reshape(-1)
    var = np.asarray(variance, dtype=float).reshape(-1)
    k = len(est) // dom.n
    n_obs = design.domain_counts(dom)
    n_used = int(n_obs.sum())
    df = design.domain_degf(dom) if df_mode == "design" else np.full(dom.n, np.inf)
    se = np.sqrt(np.maximum(var, 0.0))
    table = pd.DataFrame({
        "term": list(terms),
        "estimate": est,
        "std_error": se,
        "n_obs": np.repeat(n_obs, k),
        "df": np.repeat(df, k),
    })
    if srs_var is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            table["deff"] = var / np.asarray(srs_var, dtype=float).reshape(-1)
    else:
        table["deff"] = np.nan
    # filled one by one: np.array(labels) makes tuple labels (by= several columns) 2-D
    labels = np.empty(dom.n, dtype=object)
    for i, lab in enumerate(dom.labels):
        labels[i] = lab
    table["group"] = np.repeat(labels, k)
    table["measure"] = list(measure) if measure is not None else [method] * len(est)
    for c, v in (extra_cols or {}).items():
        table[c] = list(v)
    if own is not None:
        table["p_value"], table["conf_low"], table["conf_high"] = own
    prov = Provenance(
        method=method,
        options={**design.options(), **dict(options), "by": dom.name,
                 "df": ("PSUs minus strata with domain rows (R degf)" if df_mode == "design"
                        else "normal intervals (infinite df)"),
                 "deff": "design variance / SRS-with-replacement variance (R deff='replace')"},
        inputs_hash=design.inputs_hash,
        n_input=design.n,
        n_used=n_used,
        dropped={} if n_used == design.n else {"outside the domain (kept in the design, z=0)":
                                               design.n - n_used},
    )
    return table, prov


def ratio_of_totals(
    design: SurveyDesign,
    variables: Mapping[str, np.ndarray],
    value_fn: Any,
    grad_fn: Any,
    *,
    by: str | Sequence[str] | None = None,
    subset: np.ndarray | None = None,
    size: str | np.ndarray | None = None,
    method: str,
    term: str,
    alpha: float = 0.05,
    deff: bool = True,
    dom: Domains | None = None,
    options: Mapping[str, Any] | None = None,
    df: str = "design",
) -> EstimateResult:
    """Estimate a smooth function of domain totals and linearise it by its gradient.

    ``variables`` maps names to per-row values ``a_j``; the totals ``T_j = sum_d w a_j`` and
    ``T["_N"] = sum_d w`` are passed (as arrays over domains) to ``value_fn`` and ``grad_fn``
    (which returns ``{name: dvalue/dT_name}``). The PSU totals of the influence function are
    ``sum_j grad_j * t_psu(a_j)``: one bincount per variable, whatever the number of domains.
    """
    owner = method
    w = effective_weights(design, size, owner)
    dom = dom or design.domains(by, subset, owner=owner)
    names = list(variables) + ["_N"]
    A = np.column_stack([variables[k] for k in variables] + [np.ones(design.n)])
    tot = domain_sums(dom, A, w)                                   # (D, m)
    T = {nm: tot[:, j] for j, nm in enumerate(names)}
    est = np.asarray(value_fn(T), dtype=float)
    grads = grad_fn(T)
    G = np.column_stack([np.asarray(grads.get(nm, np.zeros(dom.n)), dtype=float)
                         * np.ones(dom.n) for nm in names])        # (D, m)
    pt = design.psu_totals(A, dom, w)                              # (P, D, m)
    zt = np.einsum("pdm,dm->pd", pt, G)
    sq = None
    if design.two_stage:
        zu = (A * G[np.maximum(dom.codes, 0)]).sum(axis=1)
        usq = design.unit_squares(zu, dom, w)
        sq = None if usq is None else usq[:, :, 0]
    var = design.variance(totals=zt, squares=sq, dom=dom)
    srs = None
    if deff:
        # per-unit influence u_i = N_d * sum_j grad_j a_ij (mean scale)
        u = (A * G[np.maximum(dom.codes, 0)]).sum(axis=1) * T["_N"][np.maximum(dom.codes, 0)]
        srs = srs_variance(dom, u, w)[:, 0] * 1.0
        # srs_variance gives var of a mean; the estimator's scale is (1/N) * total of u
    terms = domain_terms(term, dom)
    size_desc = size if isinstance(size, str) or size is None else "array"
    return build_result(design, dom, terms=terms, estimate=est, variance=var, srs_var=srs,
                        method=method, options={**(options or {}), "size": size_desc},
                        alpha=alpha, df_mode=df)


# ---------------------------------------------------------------------------------------------
# distribution building blocks (quantiles, kernel density, Gini)
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


def weighted_quantile_hf7(dom: Domains, y: np.ndarray, w: np.ndarray, p: float | np.ndarray
                          ) -> np.ndarray:
    """Weighted Hyndman-Fan type 7 quantile of each domain: ``(D, len(p))``.

    R survey's ``qrule="hf7"``.

    Sorted values ``y_(k)`` are placed at ``p_k = W_{k-1} / W_{n-1}`` (``W`` the cumulative
    weight, ``W_0 = 0``) and interpolated linearly, clamped at the ends, as R's
    ``survey:::qrule_hf7``; with equal weights this is R's default ``quantile(type = 7)``.
    """
    pp = np.atleast_1d(np.asarray(p, dtype=float))
    order, cs = _sorted_within(dom, y)
    ys, ws = y[order], w[order]
    out = np.empty((dom.n, len(pp)))
    starts = np.searchsorted(cs, np.arange(dom.n), side="left")
    ends = np.searchsorted(cs, np.arange(dom.n), side="right")
    for d in range(dom.n):  # loop over domains only
        yd, wd = ys[starts[d]:ends[d]], ws[starts[d]:ends[d]]
        if len(yd) == 1:
            out[d] = yd[0]
            continue
        cw = np.cumsum(wd)
        pk = np.concatenate([[0.0], cw[:-1]]) / cw[-2]
        out[d] = np.interp(pp, pk, yd)
    return out


def _bandwidth(dom: Domains, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Convey's ``h_fun``: weighted SD (divisor N) over N^(1/5), N the sum of weights."""
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
    """Quantile ``q_d`` of each domain and its influence function (zero outside the domain).

    ``-(1(y <= q) - p) / (N f(q))`` with f the kernel density (convey ``svyiqalpha``).
    """
    q = weighted_quantile(dom, y, w, p)[:, 0] if q is None else q
    f = kernel_density(dom, y, w, q)
    N = np.bincount(dom.codes[dom.codes >= 0], weights=w[dom.codes >= 0], minlength=dom.n)
    z = np.zeros(len(y))
    inside = dom.codes >= 0
    c = dom.codes[inside]
    z[inside] = -((y[inside] <= q[c]).astype(float) - p) / (N[c] * f[c])
    return q, z


def gini_influence(dom: Domains, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gini of each domain and its influence function (zero outside the domain).

    The estimator is Eurostat's (laeken ``gini``):
    ``G = (2 T1 - S) / (Y N) - 1`` with ``T1 = sum w r y`` (``r`` the cumulative weight in
    increasing ``y``), ``S = sum w^2 y``, ``Y = sum w y``, ``N = sum w``. It is invariant to the
    scale of the weights and to the order of tied ``y``. (convey ``svygini`` and kassaki-eval
    before issue 12 use ``Y`` for ``S``, which is the same only when every weight is 1, so that
    multiplying the weights by a constant moved the estimate.) The influence function is the
    derivative of ``G`` with respect to each unit's weight (Deville 1999), as convey
    linearises ``T1`` (Osier 2009): ``dT1/dw_k = Y - G_k + w_k y_k + r_k y_k`` with ``G_k``
    the cumulative ``w y``, and ``dS/dw_k = 2 w_k y_k``.
    """
    order, cs = _sorted_within(dom, y)
    ys, ws = y[order], w[order]
    r = _cumsum_within(ws, cs, dom.n)
    G = _cumsum_within(ys * ws, cs, dom.n)
    N = np.bincount(cs, weights=ws, minlength=dom.n)
    Y = np.bincount(cs, weights=ys * ws, minlength=dom.n)
    T1 = np.bincount(cs, weights=r * ys * ws, minlength=dom.n)
    S = np.bincount(cs, weights=ws * ws * ys, minlength=dom.n)
    num = 2 * T1 - S
    gini_v = num / (Y * N) - 1
    t1lin = Y[cs] - G + ys * ws + r * ys
    z = np.zeros(len(y))
    z[order] = ((2 * t1lin - 2 * ws * ys) / (Y * N)[cs] - (num / (Y * Y * N))[cs] * ys
                - (num / (Y * N * N))[cs])
    return gini_v, z




# ---------------------------------------------------------------------------------------------
# one-release deprecation path for renamed keywords (issue 16: ``alpha`` = confidence level)
# ---------------------------------------------------------------------------------------------

def renamed_keywords(owner: str, given: Mapping[str, Any], renames: Mapping[str, str]
                     ) -> dict[str, Any]:
    """Map deprecated keywords to their new names, warning once per keyword.

    ``given`` holds the ``**deprecated`` keywords of an estimator, ``renames`` maps each
    accepted old name to its new name. An unknown keyword raises ``TypeError`` exactly as
    Python would for a function without ``**kwargs``.
    """
    out: dict[str, Any] = {}
    for old, value in given.items():
        if old not in renames:
            raise TypeError(f"{owner}() got an unexpected keyword argument {old!r}")
        new = renames[old]
        warnings.warn(f"The '{old}' parameter of {owner} is deprecated and will be removed in "
                      f"the next release; use '{new}' instead.", DeprecationWarning, stacklevel=3)
        out[new] = value
    return out


def check_keywords(owner: str, given: Mapping[str, Any], allowed: Sequence[str]) -> None:
    """Raise ``TypeError`` (as Python would) for a keyword outside ``allowed``."""
    for k in given:
        if k not in allowed:
            raise TypeError(f"{owner}() got an unexpected keyword argument {k!r}")


def exponent_and_level(owner: str, alpha: Any, exponent: Any, *, exponent_name: str,
                       default: Any, stacklevel: int, conf_alpha: Any = None,
                       meaning: str = "exponent") -> tuple[float, Any]:
    """Split the old two-meaning ``alpha`` into (confidence level, exponent).

    ``stacklevel`` is that of the ``DeprecationWarning`` as seen from this function: 3 when the
    public estimator calls it directly, one more per private function in between (each caller
    passes its own, so the warning points at the user's call: Python's default filters show a
    DeprecationWarning only when it is attributed to ``__main__``).

    Until issue 16 ``alpha`` was the FGT exponent (``fgt``, ``profile``, ``change``) or the GE
    parameter (``gen_entropy``), and ``conf_alpha`` the confidence level. Now ``alpha`` is only
    the confidence level and the exponent is ``g`` (R convey ``svyfgt``) or ``epsilon``
    (convey ``svygei``). For one release the old use keeps working with a
    ``DeprecationWarning``: an ``alpha`` that cannot be a confidence level (a list, or a
    number outside (0, 1)), or any ``alpha`` other than 0.05 given together with the old
    ``conf_alpha``, is read as the exponent. A number in (0, 1) alone is the confidence level.
    """
    old_exp = None
    scalar = np.isscalar(alpha) and isinstance(alpha, (int, float, np.integer, np.floating))
    if not scalar or not (0 < float(alpha) < 1):
        old_exp = alpha
    elif conf_alpha is not None and float(alpha) != 0.05:
        old_exp = alpha
    level = 0.05 if old_exp is not None else float(alpha)
    if old_exp is not None:
        if exponent is not None:
            raise ParameterError(
                f"The 'alpha' parameter of {owner} must be the confidence level, a float in "
                f"(0, 1). Got {alpha!r} instead (the {meaning} is '{exponent_name}', "
                f"already given as {exponent!r}).")
        warnings.warn(f"The 'alpha' parameter of {owner} as the {meaning} is deprecated and will "
                      f"be removed in the next release; use '{exponent_name}={alpha!r}' (alpha "
                      f"now means only the confidence level).", DeprecationWarning,
                      stacklevel=stacklevel)
        exponent = old_exp
    if conf_alpha is not None:
        warnings.warn(f"The 'conf_alpha' parameter of {owner} is deprecated and will be removed "
                      f"in the next release; use 'alpha' instead.", DeprecationWarning,
                      stacklevel=stacklevel)
        level = conf_alpha
    return level, (default if exponent is None else exponent)


def fgt_scores(y: np.ndarray, z: Any, g: float, strict: bool = True) -> np.ndarray:
    """Per-unit FGT scores ``1(poor) ((z - y) / z)^g`` (``g = 0``: the poverty indicator).

    Poor means ``y < z`` (``strict``, the World Bank / BPS convention) or ``y <= z``.
    """
    poor = y < z if strict else y <= z
    if g == 0:
        return poor.astype(float)
    gap = np.where(poor, (z - y) / z, 0.0)
    return gap ** g
