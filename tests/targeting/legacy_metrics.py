"""The implementation of ``targeting_accuracy`` before it became linear in n (commit 1dc9042).

Frozen here as the reference the linear-time version must reproduce (test_metrics_linear.py):
it builds one row-level influence column per indicator and domain (O(n x indicators) memory
traffic, measured n^1.44). Not imported by the library.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from kassaki_eval.exceptions import ParameterError, Problem, SchemaError, check_option, require
from kassaki_eval.results import EstimateResult, Provenance, hash_frame
from kassaki_eval.poverty.design import SurveyDesign

__all__ = ["targeting_accuracy"]

BENCHMARKS = ("poverty_line", "quota")


# -- design-based variance ---------------------------------------------------------------

def _design(data: pd.DataFrame, weight: Any, strata: Any, psu: Any, lonely_psu: str,
            design: SurveyDesign | None, owner: str) -> tuple[SurveyDesign, np.ndarray]:
    """The survey design (kassaki_eval.poverty.design) and its weights, built from columns when needed.

    Weight ``None`` means 1 per row (a census or a hand-made example); PSU ``None`` means each
    row is its own PSU; strata ``None`` means one stratum.
    """
    if design is not None:
        if not isinstance(design, SurveyDesign):
            raise ParameterError(f"The 'design' parameter of {owner} must be a SurveyDesign or None. "
                                 f"Got {type(design).__name__} instead.")
        if design.n != len(data):
            raise ParameterError(f"The 'design' parameter of {owner} must describe the rows of data "
                                 f"({len(data)}). Got a design of {design.n} rows instead.")
        return design, design.weights
    n = len(data)
    w = np.ones(n) if weight is None else _col(data, weight, "weight").astype(float)
    cols: dict[str, Any] = {"_w": w}
    st = _opt_col(data, strata, "strata")
    ps = _opt_col(data, psu, "psu")
    if st is not None:
        cols["_s"] = st
    if ps is not None:
        cols["_p"] = ps
    tmp = pd.DataFrame(cols)
    d = SurveyDesign(tmp, weight="_w", strata="_s" if st is not None else None,
                     psu="_p" if ps is not None else None, lonely_psu=lonely_psu,  # type: ignore[arg-type]
                     nest=st is not None and ps is not None)
    return d, d.weights


# -- small helpers -----------------------------------------------------------------------

def _col(data: pd.DataFrame, spec: Any, name: str) -> np.ndarray:
    """A column given by name, or an array of the table's length."""
    if isinstance(spec, str):
        if spec not in data.columns:
            raise SchemaError([Problem("survey", spec, "is missing", len(data), (),
                                       f"pass the column holding the {name}, or its name with {name}=")])
        return data[spec].to_numpy()
    arr = np.asarray(spec)
    if arr.ndim != 1 or arr.shape[0] != len(data):
        raise ParameterError(f"The '{name}' parameter must be a column name or an array of length "
                             f"{len(data)}. Got {arr.shape} instead.")
    return arr


def _opt_col(data: pd.DataFrame, spec: Any, name: str) -> np.ndarray | None:
    return None if spec is None else _col(data, spec, name)


def _quantile_flag(y: np.ndarray, w: np.ndarray, share: float) -> np.ndarray:
    """Rows in the poorest ``share`` of the weighted distribution (ascending y, stable)."""
    order = np.argsort(y, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    flag = np.zeros(len(y), bool)
    # include a unit when its midpoint falls below the share: the closest match to the share
    flag[order[(cum - w[order] / (2 * w.sum())) < share]] = True
    return flag


def _deciles(y: np.ndarray, w: np.ndarray, k: int = 10) -> np.ndarray:
    order = np.argsort(y, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    mid = cum - w[order] / (2 * w.sum())
    d = np.empty(len(y), dtype=np.int64)
    d[order] = np.minimum(k, np.floor(k * mid).astype(np.int64) + 1)
    return d


def weighted_auc(target: Any, score: Any, weight: Any = None) -> tuple[float, np.ndarray]:
    """Weighted AUC that a target-group unit has a lower ``score`` than a non-target unit.

    Ties count one half. Returns the AUC and its influence values ``z`` (per unit, such that
    the linearised variance of the AUC is the design variance of ``Σ w z``). Equals
    ``sklearn.metrics.roc_auc_score(target, -score, sample_weight=weight)``.

    Examples
    --------
    >>> weighted_auc([1, 1, 0, 0], [1.0, 2.0, 3.0, 0.5])[0]
    0.5
    """
    t = np.asarray(target).astype(bool)
    s = np.asarray(score, dtype=float)
    w = np.ones(len(s)) if weight is None else np.asarray(weight, dtype=float)
    wp, wn = w[t].sum(), w[~t].sum()
    if wp <= 0 or wn <= 0:
        return float("nan"), np.zeros(len(s))
    sp, wpos = s[t], w[t]
    sn, wneg = s[~t], w[~t]
    op, on = np.argsort(sp), np.argsort(sn)
    sp_s, cwp = sp[op], np.concatenate([[0.0], np.cumsum(wpos[op])])
    sn_s, cwn = sn[on], np.concatenate([[0.0], np.cumsum(wneg[on])])
    # for each unit: weight of positives strictly below / equal, negatives strictly above / equal
    lo_p, hi_p = np.searchsorted(sp_s, s, "left"), np.searchsorted(sp_s, s, "right")
    lo_n, hi_n = np.searchsorted(sn_s, s, "left"), np.searchsorted(sn_s, s, "right")
    pos_below = cwp[lo_p]
    pos_eq = cwp[hi_p] - cwp[lo_p]
    neg_above = cwn[-1] - cwn[hi_n]
    neg_eq = cwn[hi_n] - cwn[lo_n]
    a = np.where(t, neg_above + 0.5 * neg_eq, pos_below + 0.5 * pos_eq)
    num = float(np.sum(w[t] * a[t]))
    auc = float(num / (wp * wn))
    z = (a - auc * np.where(t, wn, wp)) / (wp * wn)
    return auc, z


def confusion_table(target: Any, selected: Any, weight: Any = None) -> pd.DataFrame:
    """Weighted 2x2 table of target group (rows) by selection (columns).

    Examples
    --------
    >>> confusion_table([1, 1, 0, 0], [1, 0, 1, 0]).to_numpy().tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    t = np.asarray(target).astype(bool)
    s = np.asarray(selected).astype(bool)
    w = np.ones(len(t)) if weight is None else np.asarray(weight, dtype=float)
    cells = [[w[t & s].sum(), w[t & ~s].sum()], [w[~t & s].sum(), w[~t & ~s].sum()]]
    return pd.DataFrame(cells, index=pd.Index(["target", "non_target"], name="group"),
                        columns=pd.Index(["selected", "not_selected"], name="programme"))


# -- the main entry point ----------------------------------------------------------------

def targeting_accuracy(
    data: pd.DataFrame,
    *,
    selected: str | Any = "selected",
    poverty_line: float | None = None,
    welfare: str | Any = "consumption_pc",
    benefit: str | Any | None = None,
    score: str | Any | None = None,
    weight: str | Any | None = "weight",
    strata: str | Any | None = "stratum",
    psu: str | Any | None = "psu",
    size: str | Any | None = None,
    benchmarks: Sequence[str] = BENCHMARKS,
    by: Iterable[str] = ("zone", "head_sex"),
    cgh_share: float = 0.4,
    epsilon: float = 2.0,
    deciles: bool = True,
    design: SurveyDesign | None = None,
    lonely_psu: str = "adjust",
    alpha: float = 0.05,
) -> EstimateResult:
    """Inclusion/exclusion errors and distributional indicators with design-based CIs.

    Parameters
    ----------
    data : DataFrame
        Survey (or population) rows, one per household.
    selected : column name or array
        1 if the household is a beneficiary (e.g. ``desil <= 4``; unregistered households 0).
    poverty_line : float
        Rp per capita per month, on the scale of ``welfare``; needed for the
        ``"poverty_line"`` benchmark.
    welfare : column name or array
        Per-capita consumption.
    benefit : column name or array, optional
        Amount received; default the selection indicator (equal transfers).
    score : column name or array, optional
        A ranking score (lower = predicted poorer, e.g. predicted log consumption or desil) for
        the AUC.
    weight, strata, psu : column names or arrays, optional
        Survey design. ``None`` for weight means 1 (a census); ``None`` for psu means each row
        is its own PSU; ``None`` for strata means one stratum.
    design : SurveyDesign, optional
        Use this design instead of ``weight``/``strata``/``psu``.
    lonely_psu : {"fail", "certainty", "adjust", "average"}
        Rule for strata with one PSU (R survey's options) when the design is built here.
    size : column name or array, optional
        Household size: counts persons instead of households (weights ``w * size``).
    benchmarks : sequence of {"poverty_line", "quota"}
    by : iterable of column names
        Domains (each level of each column, besides the whole sample). Columns absent from
        ``data`` are skipped silently only if left at the default.
    cgh_share : float
        The bottom share for the CGH indicator (0.4 per Coady, Grosh & Hoddinott 2004; 0.1 for
        the bottom-decile variant).
    epsilon : float
        Inequality aversion of the distributional characteristic.
    deciles : bool
        Add coverage and benefit incidence by consumption decile.
    alpha : float

    Returns
    -------
    EstimateResult
        ``tidy()`` columns: the fixed ones, then ``benchmark``, ``by``, ``group``, ``decile``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"consumption_pc": [6, 8, 11, 15, 21, 25, 30, 40, 50, 100],
    ...                    "selected": [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]})
    >>> res = targeting_accuracy(df, poverty_line=20, weight=None, strata=None, psu=None, by=())
    >>> t = res.tidy().set_index(["term", "benchmark"])
    >>> float(t.loc[("exclusion_error", "poverty_line"), "estimate"])
    0.5
    """
    owner = "targeting_accuracy"
    for bench_name in benchmarks:
        check_option(owner, "benchmarks", bench_name, BENCHMARKS)
    require(isinstance(cgh_share, (float, int)) and 0 < cgh_share < 1, owner, "cgh_share", "a float in (0, 1)", cgh_share)
    require(isinstance(epsilon, (float, int)) and epsilon >= 0, owner, "epsilon", "a non-negative float", epsilon)
    if "poverty_line" in benchmarks:
        require(poverty_line is not None and np.isfinite(poverty_line) and poverty_line > 0, owner,
                "poverty_line", "a positive amount (Rp per capita per month) for the 'poverty_line' benchmark",
                poverty_line)
    n = len(data)
    y = _col(data, welfare, "welfare").astype(float)
    sel_raw: Any = _col(data, selected, "selected")
    sel_num = pd.to_numeric(pd.Series(sel_raw), errors="coerce").fillna(0).to_numpy(float)
    if np.any((sel_num != 0) & (sel_num != 1)):
        raise ParameterError(f"The 'selected' parameter of {owner} must be 0/1 (or boolean). "
                             f"Got {int(np.sum((sel_num != 0) & (sel_num != 1)))} other values instead.")
    s = sel_num.astype(bool)
    b = s.astype(float) if benefit is None else _col(data, benefit, "benefit").astype(float)
    design_, w0 = _design(data, weight, strata, psu, lonely_psu, design, owner)
    if size is not None:
        w0 = w0 * _col(data, size, "size").astype(float)
    bad = ~np.isfinite(y) | ~np.isfinite(w0) | (w0 <= 0) | ~np.isfinite(b)
    if bad.any():
        k = np.flatnonzero(bad)
        raise SchemaError([Problem("survey", "welfare/weight/benefit", "has missing, infinite or non-positive-weight rows",
                                   int(k.size), tuple(k[:5].tolist()), "drop or correct these rows first")])
    sc = None if score is None else _col(data, score, "score").astype(float)
    if sc is not None and np.isnan(sc).any():
        # unscored households (e.g. not in the registry) are ranked last: they cannot be reached
        sc = np.where(np.isnan(sc), np.inf, sc)
    domains: list[tuple[str, str, np.ndarray]] = [("all", "all", np.ones(n, bool))]
    default_by = tuple(by) == ("zone", "head_sex")
    for v in by:
        if isinstance(v, str) and v not in data.columns and default_by:
            continue
        col = _col(data, v, "by")
        for lev in sorted(pd.unique(pd.Series(col).dropna().astype(str))):
            domains.append((str(v), lev, pd.Series(col).astype(str).to_numpy() == lev))

    cov_rate = float(np.sum(w0 * s) / np.sum(w0))
    targets: dict[str, np.ndarray] = {}
    if "poverty_line" in benchmarks:
        targets["poverty_line"] = y < poverty_line
    if "quota" in benchmarks:
        targets["quota"] = _quantile_flag(y, w0, cov_rate)
    bottom = _quantile_flag(y, w0, cgh_share)
    dec = _deciles(y, w0) if deciles else None
    ypos = np.where(y > 0, y, np.min(y[y > 0]) if np.any(y > 0) else 1.0)
    beta = ypos ** (-float(epsilon))

    rows: list[dict[str, Any]] = []
    zs: list[np.ndarray] = []
    var_parts: list[np.ndarray] = []

    def flush() -> None:
        # variances in batches: memory stays at 32 influence columns, not one per term
        if zs:
            var_parts.append(design_.variance(np.column_stack(zs), weights=w0)[0])
            zs.clear()

    def ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, np.ndarray]:
        dw = np.sum(w0 * den)
        if dw <= 0:
            return float("nan"), np.zeros(n)
        r = float(np.sum(w0 * num) / dw)
        return r, (num - r * den) / dw

    def add(term: str, est: float, z: np.ndarray, bench: str, dv: str, lev: str, d: np.ndarray,
            decile: float = np.nan) -> None:
        rows.append({"term": term, "estimate": est, "n_obs": int(d.sum()), "benchmark": bench,
                     "by": dv, "group": lev, "decile": decile})
        zs.append(np.where(np.isfinite(z), z, 0.0))
        if len(zs) >= 32:
            flush()

    for dv, lev, d in domains:
        df_ = d.astype(float)
        for bench, T in targets.items():
            Tf, Sf = (T & d).astype(float), (s & d).astype(float)
            nT = ((~T) & d).astype(float)
            ee, z_ee = ratio(Tf * (1 - s), Tf)
            cov_t, z_ct = ratio(Tf * s, Tf)
            ie, z_ie = ratio(nT * s, Sf)
            ie_nt, z_ient = ratio(nT * s, nT)
            mis, z_mis = ratio(df_ * (T != s), df_)
            leak, z_leak = ratio(nT * b, d * b)
            add("exclusion_error", ee, z_ee, bench, dv, lev, d)
            add("inclusion_error", ie, z_ie, bench, dv, lev, d)
            add("inclusion_error_nontarget", ie_nt, z_ient, bench, dv, lev, d)
            add("coverage_target", cov_t, z_ct, bench, dv, lev, d)
            add("targeting_differential", cov_t - ie_nt, z_ct - z_ient, bench, dv, lev, d)
            add("mistargeting", mis, z_mis, bench, dv, lev, d)
            add("leakage", leak, z_leak, bench, dv, lev, d)
            if sc is not None:
                auc, z_auc = weighted_auc(T[d], sc[d], w0[d])
                zfull = np.zeros(n)
                zfull[d] = z_auc
                add("auc", auc, zfull, bench, dv, lev, d)
        cov, z_cov = ratio(df_ * s, df_)
        add("coverage", cov, z_cov, "none", dv, lev, d)
        # CGH: benefit share of the bottom group over its population share (ratio of ratios)
        bs, z_bs = ratio(d * b * bottom, d * b)
        ps, z_ps = ratio(df_ * bottom, df_)
        cgh = bs / ps if ps > 0 else float("nan")
        add("cgh", cgh, cgh * (z_bs / bs - z_ps / ps) if bs > 0 and ps > 0 else np.zeros(n), "none", dv, lev, d)
        bb, z_bb = ratio(d * b * beta, d * b)
        pb, z_pb = ratio(df_ * beta, df_)
        dc = bb / pb if pb > 0 else float("nan")
        add("distributional_characteristic", dc,
            dc * (z_bb / bb - z_pb / pb) if bb > 0 and pb > 0 else np.zeros(n), "none", dv, lev, d)
        if dec is not None:
            for q in range(1, 11):
                dq = (dec == q) & d
                c_q, z_q = ratio(dq * s, dq.astype(float))
                add("coverage_decile", c_q, z_q, "none", dv, lev, d, decile=float(q))
                i_q, z_i = ratio(dq * b, d * b)
                add("incidence_decile", i_q, z_i, "none", dv, lev, d, decile=float(q))
    flush()
    var = np.concatenate(var_parts)
    table = pd.DataFrame(rows)
    table.insert(2, "std_error", np.sqrt(var))
    table = table[["term", "estimate", "std_error", "n_obs", "benchmark", "by", "group", "decile"]]
    prov = Provenance(
        method="targeting_accuracy",
        options={"poverty_line": poverty_line, "benchmarks": list(benchmarks), "by": [str(v) for v in by],
                 "unit": "person" if size is not None else "household", "cgh_share": cgh_share,
                 "epsilon": epsilon, "coverage": cov_rate,
                 "lonely_psu": design_.lonely_psu,
                 "variance": "linearised (kassaki_eval.poverty.design, R svyrecvar); quantile cut-offs fixed"},
        inputs_hash=hash_frame(pd.DataFrame({"y": y, "s": s, "w": w0})), n_input=n, n_used=n)
    return EstimateResult(table, method="targeting_accuracy", alpha=alpha, provenance=prov,
                          title="Targeting accuracy")
