"""Property-based tests (Hypothesis) of the estimators' invariants (issue 18).

Example counts are modest (``max_examples`` 15-30) so that the default suite stays fast; the
properties are exact identities or inequalities of the estimators' definitions, so every
tolerance is a floating-point one.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kassaki_eval.poverty import SurveyDesign, fgt, gini, mean_consumption
from kassaki_eval.poverty.decomposition import shapley_growth_redistribution
from kassaki_eval.reporting.disclosure import partitions, suppress_small_cells
from kassaki_eval.targeting import targeting_accuracy
from kassaki_eval.targeting.metrics import confusion_table

FAST = settings(max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# consumption in Rp thousands per capita per month: positive, distinct enough to be realistic
cons = st.floats(min_value=50.0, max_value=5000.0, allow_nan=False, allow_infinity=False)
wts = st.floats(min_value=0.5, max_value=50.0, allow_nan=False, allow_infinity=False)


@st.composite
def samples(draw, n_min: int = 6, n_max: int = 40):
    """A weighted sample with strata and PSUs (2 strata x >= 2 PSUs, so SEs exist)."""
    n = draw(st.integers(n_min, n_max))
    y = draw(st.lists(cons, min_size=n, max_size=n))
    w = draw(st.lists(wts, min_size=n, max_size=n))
    psu = np.arange(n) % 4
    return pd.DataFrame({"c": y, "weight": w, "stratum": psu % 2, "psu": psu,
                         "hh_size": draw(st.lists(st.integers(1, 8), min_size=n, max_size=n))})


def _est(res):
    t = res.tidy()
    return t["estimate"].to_numpy(dtype=float), t["std_error"].to_numpy(dtype=float)


def _design(df):
    return SurveyDesign(df, weight="weight", strata="stratum", psu="psu", nest=True)


def _all(df, line):
    """Estimates and SEs of FGT(0,1,2), Gini and the mean on one design."""
    d = _design(df)
    parts = [fgt(d, "c", line=line, g=[0, 1, 2], size="hh_size"), gini(d, "c"),
             mean_consumption(d, "c", size="hh_size")]
    return [_est(p) for p in parts]


# -- weight-scale and permutation invariance ------------------------------------------------
@FAST
@given(df=samples(), scale=st.floats(0.01, 1000.0), q=st.floats(0.1, 0.9))
def test_weight_scale_invariance(df, scale, q):
    """Multiplying every weight by a constant changes no estimate and no SE (all are ratios
    of weighted totals)."""
    line = float(np.quantile(df["c"], q))
    a = _all(df, line)
    b = _all(df.assign(weight=df["weight"] * scale), line)
    for (ea, sa), (eb, sb) in zip(a, b, strict=True):
        np.testing.assert_allclose(eb, ea, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sb, sa, rtol=1e-7, atol=1e-12)


@FAST
@given(df=samples(), seed=st.integers(0, 2**32 - 1), q=st.floats(0.1, 0.9))
def test_row_permutation_invariance(df, seed, q):
    """The row order of the survey changes no estimate and no SE."""
    line = float(np.quantile(df["c"], q))
    perm = np.random.default_rng(seed).permutation(len(df))
    a = _all(df, line)
    b = _all(df.iloc[perm].reset_index(drop=True), line)
    for (ea, sa), (eb, sb) in zip(a, b, strict=True):
        np.testing.assert_allclose(eb, ea, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sb, sa, rtol=1e-7, atol=1e-12)


# -- FGT monotonicity -----------------------------------------------------------------------
@FAST
@given(df=samples(), z1=cons, z2=cons, g=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]))
def test_fgt_non_decreasing_in_the_line(df, z1, z2, g):
    lo, hi = sorted((z1, z2))
    d = _design(df)
    p_lo = _est(fgt(d, "c", line=lo, g=g))[0][0]
    p_hi = _est(fgt(d, "c", line=hi, g=g))[0][0]
    assert p_lo <= p_hi + 1e-12
    assert 0.0 <= p_lo <= 1.0 and 0.0 <= p_hi <= 1.0


@FAST
@given(df=samples(), q=st.floats(0.05, 0.95))
def test_fgt_non_increasing_in_g(df, q):
    """Each poor unit's normalised gap is in (0, 1], so gap^g falls with g: P0 >= P0.5 >= P1
    >= P2 >= P3, and P(g) > 0 iff P0 > 0."""
    line = float(np.quantile(df["c"], q))
    p = _est(fgt(_design(df), "c", line=line, g=[0, 0.5, 1, 2, 3]))[0]
    assert np.all(np.diff(p) <= 1e-12), p
    assert (p[0] > 0) == (p[-1] > 0)


# -- decomposition identities ---------------------------------------------------------------
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=samples(10, 30), b=samples(10, 30), q=st.floats(0.2, 0.8),
       g=st.sampled_from([0.0, 1.0, 2.0]))
def test_shapley_adds_up(a, b, q, g):
    """growth + redistribution = total = P(g) in year b - P(g) in year a (Shorrocks 2013)."""
    df = pd.concat([a.assign(year=2020), b.assign(year=2021)], ignore_index=True)
    line = float(np.quantile(df["c"], q))
    t = shapley_growth_redistribution(df, "c", line=line, years=(2020, 2021),
                                      design={"weight": "weight"}, g=g).tidy()
    v = dict(zip(t["term"], t["estimate"], strict=True))
    assert v["growth"] + v["redistribution"] == pytest.approx(v["total"], abs=1e-12)
    pa = _est(fgt(a, "c", line=line, g=g, size="hh_size", design={"weight": "weight"}))[0][0]
    pb = _est(fgt(b, "c", line=line, g=g, size="hh_size", design={"weight": "weight"}))[0][0]
    assert v["total"] == pytest.approx(pb - pa, abs=1e-12)


# -- targeting error identities -------------------------------------------------------------
@FAST
@given(df=samples(8, 40), sel=st.lists(st.booleans(), min_size=40, max_size=40),
       q=st.floats(0.2, 0.8), scale=st.floats(0.01, 100.0))
def test_targeting_errors_follow_the_confusion_table(df, sel, q, scale):
    """Exclusion, inclusion, coverage and mistargeting from targeting_accuracy equal their
    definitions on the weighted confusion table (metrics module docstring), and do not move
    when the weights are rescaled."""
    s = np.array(sel[: len(df)], dtype=int)
    if s.sum() == 0 or s.sum() == len(s):
        s[0], s[-1] = 1, 0
    line = float(np.quantile(df["c"], q))
    target = (df["c"] < line).to_numpy()
    if not target.any():
        return
    df = df.assign(selected=s)

    def terms(d):
        t = targeting_accuracy(d, welfare="c", poverty_line=line, benchmarks=("poverty_line",),
                               design={"weight": "weight"}, by=()).tidy()
        t = t[t["benchmark"] == "poverty_line"]
        return dict(zip(t["term"], t["estimate"], strict=False))

    v = terms(df)
    ct = confusion_table(target, s, df["weight"]).to_numpy()
    (tp, fn), (fp, tn) = ct
    assert v["exclusion_error"] == pytest.approx(fn / (tp + fn), rel=1e-12)
    assert v["coverage_target"] == pytest.approx(1 - v["exclusion_error"], abs=1e-12)
    assert v["inclusion_error"] == pytest.approx(fp / (tp + fp), rel=1e-12)
    assert v["mistargeting"] == pytest.approx((fn + fp) / ct.sum(), rel=1e-12)
    if fp + tn > 0:
        assert v["inclusion_error_nontarget"] == pytest.approx(fp / (fp + tn), rel=1e-12)
    v2 = terms(df.assign(weight=df["weight"] * scale))
    for k in ("exclusion_error", "inclusion_error", "mistargeting", "coverage_target"):
        assert v2[k] == pytest.approx(v[k], rel=1e-9, abs=1e-12)


# -- disclosure: no published cell below k --------------------------------------------------
@FAST
@given(counts=st.lists(st.integers(0, 60), min_size=1, max_size=12), k=st.integers(1, 30),
       n_dims=st.integers(1, 3), use_group=st.booleans())
def test_suppression_never_exposes_a_cell_below_k(counts, k, n_dims, use_group):
    """After suppress_small_cells no row with count < k shows a value or its count, rows at
    or above k that stay published are unchanged, and (group tables) no partition holds
    exactly one suppressed row among two or more, which the partition total would reveal."""
    n = len(counts)
    tab = pd.DataFrame({"dimension": [f"d{i % n_dims}" for i in range(n)],
                        "n_hh": counts, "p0": np.linspace(0.1, 0.9, n)})
    if use_group:
        tab.insert(1, "group", [f"g{i}" for i in range(n)])
    out = suppress_small_cells(tab, count_col="n_hh", k=k)
    small = tab["n_hh"] < k
    assert out.loc[small, "p0"].isna().all() and out.loc[small, "n_hh"].isna().all()
    assert out.loc[small, "suppressed"].all()
    shown = ~out["suppressed"]
    assert (out.loc[shown, "n_hh"] >= k).all()
    np.testing.assert_array_equal(out.loc[shown, "p0"], tab.loc[shown, "p0"])
    part = partitions(tab)
    if part is not None:
        # a partition of one row has no complement to suppress (its total is that row)
        g = out.groupby(part.to_numpy())["suppressed"]
        per, size = g.sum(), g.size()
        assert not ((per == 1) & (size > 1)).any(), per
