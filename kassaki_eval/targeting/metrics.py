"""Targeting accuracy with design-based (linearised) confidence intervals.

Every indicator is a ratio of weighted survey totals, or a smooth function of such ratios, so
its standard error comes from the linearised (influence-function) variance of the survey
design (:class:`kassaki_eval.poverty.design.SurveyDesign`, R survey's ``svyrecvar``).

Definitions (``w`` = survey weight, times household size when ``size`` is given; ``T`` = in
the target group; ``S`` = selected; ``b`` = benefit, default ``S``):

=========================== ============================================================
term                        definition
=========================== ============================================================
``exclusion_error``         share of the target group not selected, Σw T(1-S) / Σw T
                            (Grosh et al. 2022, annex 7A; Alatas et al. 2012)
``inclusion_error``         share of the selected outside the target group,
                            Σw (1-T)S / Σw S (Grosh et al. 2022, table 7.3)
``inclusion_error_nontarget`` share of the non-target group selected, Σw (1-T)S / Σw (1-T)
                            (Alatas et al. 2012, table 3, whose inclusion error is this)
``coverage_target``         1 - exclusion error
``targeting_differential``  coverage of the target group minus coverage of the rest
                            (Ravallion 2000, WBER 14(2))
``mistargeting``            share misclassified, Σw 1[T != S] / Σw (Alatas et al. 2012)
``leakage``                 share of benefits going outside the target group, Σw b(1-T) / Σw b
``auc``                     area under the ROC curve of ``score`` for the target group
                            (lower score = predicted poorer); weighted Mann-Whitney
``coverage``                programme coverage, Σw S / Σw
``cgh``                     Coady-Grosh-Hoddinott (2004) indicator: share of benefits going
                            to the bottom ``cgh_share`` of the welfare distribution, divided
                            by that group's population share (nominally 0.4; the realised
                            weighted share is used, equal to 0.4 up to ties)
``distributional_characteristic`` Σw b β / Σw b divided by Σw β / Σw with β = y^-ε
                            (Coady & Skoufias 2004): 1 for a uniform transfer, above 1
                            when benefits go to lower welfare
``coverage_decile``         coverage in consumption decile ``decile``
``incidence_decile``        share of benefits going to decile ``decile``
=========================== ============================================================

Two benchmarks define the target group (Grosh et al. 2022, ch. 7): ``"poverty_line"``
(welfare below the line) and ``"quota"`` (the poorest share of the population equal to the
programme's coverage, so that target and programme have the same size and, unweighted,
inclusion error = exclusion error). Both lines are set on the whole sample; domain rows
(``by``) apply the district's lines within the domain. ``cgh``, ``distributional_characteristic``,
``coverage`` and the decile terms do not depend on the benchmark (``benchmark = "none"``).

Quantile cut-offs (the quota line, the bottom-40 % line and the deciles) are treated as
fixed in the variance: their own sampling error is ignored (a first-order approximation).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError, Problem, SchemaError, check_option, require
from ..poverty.design import SurveyDesign
from ..results import EstimateResult, Provenance, hash_frame
from ._common import (
    DEFAULT_DESIGN,
    UNSET,
    col,
    deciles_of,
    quantile_flag,
    read_dataset,
    resolve_design,
)

__all__ = ["targeting_accuracy", "confusion_table", "weighted_auc", "BENCHMARKS", "DEFAULT_DESIGN"]

BENCHMARKS = ("poverty_line", "quota")


# -- small helpers -----------------------------------------------------------------------

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


# -- linear-time accumulation ---------------------------------------------------------------
#
# Every indicator is a ratio of weighted totals (or a smooth function of ratios), so its
# influence values are a linear combination of a few row-level "base" variables with
# per-domain coefficients, z = sum_k c_k[domain] x_k. The design variance needs only the PSU
# totals t = sum_{i in PSU} w_i z_i = sum_k c_k B_k with B_k the PSU-by-domain totals of w x_k:
# a handful of bincounts per domain variable instead of one row-level column per indicator.

Combo = dict[str, np.ndarray]  # base-variable name -> coefficient per domain level


def _scale(c: Combo, f: np.ndarray) -> Combo:
    return {k: v * f for k, v in c.items()}


def _add(*cs: Combo) -> Combo:
    out: Combo = {}
    for c in cs:
        for k, v in c.items():
            out[k] = out[k] + v if k in out else v
    return out


class _Domain:
    """One domain variable (``"all"`` or a ``by`` column): level codes and PSU-by-level totals."""

    def __init__(self, name: str, levels: list[str], codes: np.ndarray, design: SurveyDesign,
                 w: np.ndarray) -> None:
        self.name, self.levels = name, levels
        self.L = len(levels)
        inside = codes >= 0
        self.all_in = bool(inside.all())
        self.inside = inside
        self.codes = codes
        self.n_obs = np.bincount(codes[inside], minlength=self.L)
        self.n_psu = design.n_psu
        self.code = (design.psu_codes * self.L + codes)[inside] if not self.all_in else \
            design.psu_codes * self.L + codes
        self.w = w if self.all_in else w[inside]
        self.rows: dict[str, np.ndarray] = {}   # row-level base variables (for two-stage squares)
        self.B: dict[str, np.ndarray] = {}      # (n_psu, L) totals of w x
        self.S: dict[str, np.ndarray] = {}      # (L,) domain totals

    def put(self, name: str, x: np.ndarray | None, keep_rows: bool) -> None:
        xi = None if x is None else (x if self.all_in else x[self.inside])
        wt = self.w if xi is None else self.w * xi
        b = np.bincount(self.code, weights=wt, minlength=self.n_psu * self.L).reshape(
            self.n_psu, self.L
        )
        self.B[name] = b
        self.S[name] = b.sum(axis=0)
        if keep_rows:
            self.rows[name] = np.ones(len(self.w)) if xi is None else np.asarray(xi, dtype=float)

    def ratio(self, num: str, den: str) -> tuple[np.ndarray, Combo]:
        dw = self.S[den]
        ok = dw > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(ok, self.S[num] / np.where(ok, dw, 1.0), np.nan)
            inv = np.where(ok, 1.0 / np.where(ok, dw, 1.0), 0.0)
        return r, {num: inv, den: -np.where(ok, r, 0.0) * inv}

    def totals(self, c: Combo) -> np.ndarray:
        """PSU-by-level totals of w z for the combination ``c``: ``(n_psu, L)``."""
        t = np.zeros((self.n_psu, self.L))
        for k, v in c.items():
            t += self.B[k] * v[None, :]
        return t

    def squares(self, c: Combo) -> np.ndarray:
        """PSU-by-level totals of (w z)^2 (two-stage designs only)."""
        lev = self.codes if self.all_in else self.codes[self.inside]
        z = np.zeros(len(self.w))
        for k, v in c.items():
            z += self.rows[k] * v[lev]
        return np.bincount(self.code, weights=(self.w * z) ** 2,
                           minlength=self.n_psu * self.L).reshape(self.n_psu, self.L)

    def drop(self, names: Iterable[str]) -> None:
        for k in list(names):
            self.B.pop(k, None)
            self.S.pop(k, None)
            self.rows.pop(k, None)


def _auc_sorted(order: np.ndarray, t: np.ndarray, s: np.ndarray, w: np.ndarray
                ) -> tuple[float, np.ndarray]:
    """Weighted AUC and its influence values for the rows ``order`` (sorted by ascending ``s``).

    Linear time given the sort; the same quantities as :func:`weighted_auc`.
    """
    ss, ts, ws = s[order], t[order], w[order]
    wp_row, wn_row = np.where(ts, ws, 0.0), np.where(ts, 0.0, ws)
    wp, wn = wp_row.sum(), wn_row.sum()
    z = np.zeros(len(s))
    if wp <= 0 or wn <= 0:
        return float("nan"), z
    m = len(ss)
    new = np.empty(m, bool)
    new[0] = True
    new[1:] = ss[1:] != ss[:-1]
    gid = np.cumsum(new) - 1
    gp = np.bincount(gid, weights=wp_row)
    gn = np.bincount(gid, weights=wn_row)
    cp = np.concatenate([[0.0], np.cumsum(gp)])   # positives strictly below group g: cp[g]
    cn = np.concatenate([[0.0], np.cumsum(gn)])
    pos_below, pos_eq = cp[gid], gp[gid]
    neg_above, neg_eq = cn[-1] - cn[gid + 1], gn[gid]
    a = np.where(ts, neg_above + 0.5 * neg_eq, pos_below + 0.5 * pos_eq)
    auc = float(np.sum(wp_row * a) / (wp * wn))
    z[order] = (a - auc * np.where(ts, wn, wp)) / (wp * wn)
    return auc, z


# -- the main entry point ----------------------------------------------------------------

_BENCH_TERMS = (
    "exclusion_error",
    "inclusion_error",
    "inclusion_error_nontarget",
    "coverage_target",
    "targeting_differential",
    "mistargeting",
    "leakage",
)


def targeting_accuracy(
    data: pd.DataFrame | str | Path,
    *,
    selected: str | Any = "selected",
    poverty_line: float | None = None,
    welfare: str | Any = "consumption_pc",
    benefit: str | Any | None = None,
    score: str | Any | None = None,
    design: SurveyDesign | Mapping[str, Any] | None = None,
    size: str | Any | None = None,
    benchmarks: Sequence[str] = BENCHMARKS,
    by: Iterable[str] = ("zone", "head_sex"),
    cgh_share: float = 0.4,
    epsilon: float = 2.0,
    deciles: bool = True,
    alpha: float = 0.05,
    weight: Any = UNSET,
    strata: Any = UNSET,
    psu: Any = UNSET,
    lonely_psu: Any = UNSET,
) -> EstimateResult:
    """Inclusion/exclusion errors and distributional indicators with design-based CIs.

    Time and memory are linear in the number of rows: one sort of welfare and one of the
    score, then a few ``bincount`` passes per domain variable (see the module notes).

    Parameters
    ----------
    data : DataFrame, or str or Path of a Parquet dataset
        Survey (or population) rows, one per household. A path (a Parquet file, or a folder
        of them with hive partitions, e.g. ``survey/province=73/district=73.10/...``) is read
        into memory first: the survey is a sample. To link a survey to a registry-scale
        beneficiary list without loading the list, use
        :func:`~kassaki_eval.targeting.scale.linked_accuracy`.
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
    design : SurveyDesign or mapping, optional
        The survey design of ``data``: a :class:`~kassaki_eval.poverty.design.SurveyDesign`
        built on ``data``, or a mapping of its options (``{"weight": "weight", "strata":
        "stratum", "psu": "psu", "lonely_psu": "adjust", "nest": True}``), built on ``data``
        itself. ``"weight": None`` in the mapping means one per row (a census). Default
        :data:`DEFAULT_DESIGN`.
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
        Confidence level of the intervals (0.05: 95 %).
    weight, strata, psu, lonely_psu
        Deprecated (one release): pass ``design`` instead. They build the same design.

    Returns
    -------
    EstimateResult
        ``tidy()`` columns: the fixed ones, then ``benchmark``, ``by``, ``group``, ``decile``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"consumption_pc": [6, 8, 11, 15, 21, 25, 30, 40, 50, 100],
    ...                    "selected": [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]})
    >>> res = targeting_accuracy(df, poverty_line=20, design={"weight": None}, by=())
    >>> t = res.tidy().set_index(["term", "benchmark"])
    >>> float(t.loc[("exclusion_error", "poverty_line"), "estimate"])
    0.5
    """
    owner = "targeting_accuracy"
    if not isinstance(data, pd.DataFrame):
        data = read_dataset(data, owner, "data")
    for bench_name in benchmarks:
        check_option(owner, "benchmarks", bench_name, BENCHMARKS)
    require(
        isinstance(cgh_share, (float, int)) and 0 < cgh_share < 1,
        owner,
        "cgh_share",
        "a float in (0, 1)",
        cgh_share,
    )
    require(
        isinstance(epsilon, (float, int)) and epsilon >= 0,
        owner,
        "epsilon",
        "a non-negative float",
        epsilon,
    )
    if "poverty_line" in benchmarks:
        require(
            poverty_line is not None and np.isfinite(poverty_line) and poverty_line > 0,
            owner,
            "poverty_line",
            "a positive amount (Rp per capita per month) for the 'poverty_line' benchmark",
            poverty_line,
        )
    n = len(data)
    y = col(data, welfare, "welfare").astype(float)
    sel_raw: Any = col(data, selected, "selected")
    sel_num = pd.to_numeric(pd.Series(sel_raw), errors="coerce").fillna(0).to_numpy(float)
    if np.any((sel_num != 0) & (sel_num != 1)):
        raise ParameterError(
            f"The 'selected' parameter of {owner} must be 0/1 (or boolean). "
            f"Got {int(np.sum((sel_num != 0) & (sel_num != 1)))} other values instead."
        )
    s = sel_num.astype(bool)
    b = s.astype(float) if benefit is None else col(data, benefit, "benefit").astype(float)
    design_ = resolve_design(data, design, {"weight": weight, "strata": strata, "psu": psu,
                                             "lonely_psu": lonely_psu}, owner)
    w0 = design_.weights
    if size is not None:
        w0 = w0 * col(data, size, "size").astype(float)
    bad = ~np.isfinite(y) | ~np.isfinite(w0) | (w0 <= 0) | ~np.isfinite(b)
    if bad.any():
        k = np.flatnonzero(bad)
        raise SchemaError(
            [
                Problem(
                    "survey",
                    "welfare/weight/benefit",
                    "has missing, infinite or non-positive-weight rows",
                    int(k.size),
                    tuple(k[:5].tolist()),
                    "drop or correct these rows first",
                )
            ]
        )
    sc = None if score is None else col(data, score, "score").astype(float)
    if sc is not None and np.isnan(sc).any():
        # unscored households (e.g. not in the registry) are ranked last: they cannot be reached
        sc = np.where(np.isnan(sc), np.inf, sc)

    # domain variables: "all", then each level of each ``by`` column (levels in string order)
    dom_vars: list[tuple[str, list[str], np.ndarray]] = [
        ("all", ["all"], np.zeros(n, dtype=np.int64))
    ]
    default_by = tuple(by) == ("zone", "head_sex")
    for v in by:
        if isinstance(v, str) and v not in data.columns and default_by:
            continue
        by_col = pd.Series(col(data, v, "by"))
        raw_codes, uni = pd.factorize(by_col)          # NaN -> -1
        uni_str = [str(u) for u in pd.Series(uni, dtype=object).astype(str)]
        levels = sorted(set(uni_str))
        pos = {lev: i for i, lev in enumerate(levels)}
        remap = np.array([pos[u] for u in uni_str], dtype=np.int64)
        codes = np.where(raw_codes >= 0, remap[np.maximum(raw_codes, 0)] if len(remap) else -1, -1)
        dom_vars.append((str(v), levels, codes.astype(np.int64)))

    cov_rate = float(np.sum(w0 * s) / np.sum(w0))
    y_order = np.argsort(y, kind="stable")
    targets: dict[str, np.ndarray] = {}
    if "poverty_line" in benchmarks:
        targets["poverty_line"] = y < poverty_line
    if "quota" in benchmarks:
        targets["quota"] = quantile_flag(y, w0, cov_rate, y_order)
    bottom = quantile_flag(y, w0, cgh_share, y_order)
    dec = deciles_of(y, w0, order=y_order) if deciles else None
    del y_order
    ypos = np.where(y > 0, y, np.min(y[y > 0]) if np.any(y > 0) else 1.0)
    beta = ypos ** (-float(epsilon))
    sc_order = np.argsort(sc, kind="stable") if sc is not None else None
    two_stage = design_.two_stage

    # results[(domain var, level, term, benchmark, decile)] = (estimate, PSU totals column)
    est: dict[tuple[str, str, str, str, float], float] = {}
    var: dict[tuple[str, str, str, str, float], float] = {}
    nobs: dict[tuple[str, str], int] = {}

    for dv, levels, codes in dom_vars:
        D = _Domain(dv, levels, codes, design_, w0)
        for i, lev in enumerate(levels):
            nobs[(dv, lev)] = int(D.n_obs[i])
        pending: list[tuple[tuple[str, str, float], np.ndarray, Combo]] = []

        def add(term: str, bench: str, e: np.ndarray, c: Combo, decile: float = np.nan) -> None:
            pending.append(((term, bench, decile), e, c))  # noqa: B023

        # add() and flush() run inside this iteration only, so the loop variables they read
        # (pending, D, levels, dv) are the current ones; D is deleted at the end of the body.
        def flush() -> None:
            if not pending:  # noqa: B023
                return
            cols = [D.totals(c) for _, _, c in pending]                  # noqa: B023, F821
            T = np.stack(cols, axis=2)                                       # (n_psu, L, k)
            sq = (np.stack([D.squares(c) for _, _, c in pending], axis=2)  # noqa: B023, F821
                  if two_stage else None)
            V = design_.variance(totals=T, squares=sq)                       # (L, k)
            for j, ((term, bench, decile), e, _) in enumerate(pending):      # noqa: B023
                for li, lev in enumerate(levels):  # noqa: B023
                    key = (dv, lev, term, bench, decile)  # noqa: B023
                    est[key] = float(e[li])
                    var[key] = float(V[li, j])
            pending.clear()                                                  # noqa: B023

        for bench, T_ in targets.items():
            nT = ~T_
            names = {"T": T_, "T_not_S": T_ & ~s, "T_S": T_ & s, "nT_S": nT & s, "S": s, "nT": nT,
                     "miss": T_ != s, "nT_b": nT * b, "b": b, "one": None}
            for name, x in names.items():
                D.put(name, None if x is None else x.astype(float), two_stage)
            ee, c_ee = D.ratio("T_not_S", "T")
            cov_t, c_ct = D.ratio("T_S", "T")
            ie, c_ie = D.ratio("nT_S", "S")
            ie_nt, c_ient = D.ratio("nT_S", "nT")
            mis, c_mis = D.ratio("miss", "one")
            leak, c_leak = D.ratio("nT_b", "b")
            add("exclusion_error", bench, ee, c_ee)
            add("inclusion_error", bench, ie, c_ie)
            add("inclusion_error_nontarget", bench, ie_nt, c_ient)
            add("coverage_target", bench, cov_t, c_ct)
            add(
                "targeting_differential",
                bench,
                cov_t - ie_nt,
                _add(c_ct, _scale(c_ient, np.full(D.L, -1.0))),
            )
            add("mistargeting", bench, mis, c_mis)
            add("leakage", bench, leak, c_leak)
            if sc is not None and sc_order is not None:
                zrow = np.zeros(n)
                aucs = np.full(D.L, np.nan)
                lev_sorted = codes[sc_order]
                for li in range(D.L):
                    o = sc_order[lev_sorted == li]
                    if len(o):
                        aucs[li], zl = _auc_sorted(o, T_, sc, w0)
                        zrow[o] = zl[o]
                D.put("auc_z", zrow, two_stage)
                add("auc", bench, aucs, {"auc_z": np.ones(D.L)})
            flush()
            D.drop(list(names) + ["auc_z"])
        # benchmark-free terms
        for name, x in {"S": s, "one": None, "b_bot": b * bottom, "b": b, "bot": bottom,
                        "b_beta": b * beta, "beta": beta}.items():
            D.put(name, None if x is None else np.asarray(x, dtype=float), two_stage)
        cov, c_cov = D.ratio("S", "one")
        add("coverage", "none", cov, c_cov)
        for num_b, den_b, num_p, term in (("b_bot", "b", "bot", "cgh"),
                                          ("b_beta", "b", "beta", "distributional_characteristic")):
            bs, c_bs = D.ratio(num_b, den_b)
            ps, c_ps = D.ratio(num_p, "one")
            with np.errstate(divide="ignore", invalid="ignore"):
                val = np.where(ps > 0, bs / ps, np.nan)
                # delta method of bs / ps: d/d bs = 1 / ps, d/d ps = -val / ps, for a benefit
                # share of any sign (negative amounts gave a standard error of 0 before)
                ok = np.isfinite(bs) & (ps > 0)
                f_bs = np.where(ok, 1.0 / np.where(ok, ps, 1.0), 0.0)
                f_ps = np.where(ok, -val / np.where(ok, ps, 1.0), 0.0)
            add(term, "none", val, _add(_scale(c_bs, f_bs), _scale(c_ps, f_ps)))
        flush()
        D.drop(["S", "one", "b_bot", "bot", "b_beta", "beta"])
        if dec is not None:
            for q in range(1, 11):
                dq = (dec == q)
                D.put("dq_s", (dq & s).astype(float), two_stage)
                D.put("dq", dq.astype(float), two_stage)
                D.put("dq_b", dq * b, two_stage)
                c_q, cc_q = D.ratio("dq_s", "dq")
                add("coverage_decile", "none", c_q, cc_q, float(q))
                i_q, ci_q = D.ratio("dq_b", "b")
                add("incidence_decile", "none", i_q, ci_q, float(q))
                flush()
                D.drop(["dq_s", "dq", "dq_b"])
        del D

    # rows in the documented order: domains, then benchmarks' terms, then the others
    bench_terms = list(_BENCH_TERMS) + (["auc"] if sc is not None else [])
    rows: list[dict[str, Any]] = []
    ses: list[float] = []
    for dv, levels, _ in dom_vars:
        for lev in levels:
            keys: list[tuple[str, str, float]] = [
                (t, bench, np.nan) for bench in targets for t in bench_terms
            ]
            keys += [
                (t, "none", np.nan) for t in ("coverage", "cgh", "distributional_characteristic")
            ]
            if dec is not None:
                keys += [
                    (t, "none", float(q))
                    for q in range(1, 11)
                    for t in ("coverage_decile", "incidence_decile")
                ]
            for term, bench, decile in keys:
                key = (dv, lev, term, bench, decile)
                rows.append(
                    {
                        "term": term,
                        "estimate": est[key],
                        "n_obs": nobs[(dv, lev)],
                        "benchmark": bench,
                        "by": dv,
                        "group": lev,
                        "decile": decile,
                    }
                )
                ses.append(var[key])
    table = pd.DataFrame(rows)
    table.insert(2, "std_error", np.sqrt(np.asarray(ses, dtype=float)))
    table = table[["term", "estimate", "std_error", "n_obs", "benchmark", "by", "group", "decile"]]
    prov = Provenance(
        method="targeting_accuracy",
        options={
            "poverty_line": poverty_line,
            "benchmarks": list(benchmarks),
            "by": [str(v) for v in by],
            "unit": "person" if size is not None else "household",
            "cgh_share": cgh_share,
            "epsilon": epsilon,
            "coverage": cov_rate,
            "lonely_psu": design_.lonely_psu,
            "variance": "linearised (kassaki_eval.poverty.design, R svyrecvar); "
                        "quantile cut-offs fixed",
        },
        inputs_hash=hash_frame(pd.DataFrame({"y": y, "s": s, "w": w0})),
        n_input=n,
        n_used=n,
    )
    return EstimateResult(table, method="targeting_accuracy", alpha=alpha, provenance=prov,
                          title="Targeting accuracy")
