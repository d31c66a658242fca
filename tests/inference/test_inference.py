"""Cluster-robust variance, wild cluster bootstrap, randomisation inference, multiple testing.

References: tests/references/inference/wild_refs.csv (wildboottest and pyfixest, produced by
make_refs.py there); statsmodels' OLS cluster covariance (CR1 with the same small-sample
factor) and ``multipletests(method="fdr_bh")`` (core dependency, so not a peer test).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DesignError, ParameterError
from kassaki_eval.inference import (benjamini_hochberg, cluster_vcov, draw_wild_weights,
                                    randomization_inference, romano_wolf, romano_wolf_wild,
                                    sharpened_qvalues, wild_cluster_bootstrap, wild_conf_int, wls)

REF = Path(__file__).resolve().parents[1] / "references" / "inference"
CASES = {
    "g15_rademacher_B9999": ("g15", "rademacher", 9999, 123),
    "g15_webb_B9999": ("g15", "webb", 9999, 7),
    "g15_rademacher_B999": ("g15", "rademacher", 999, 42),
    "g8_rademacher_enum": ("g8", "rademacher", 999, 1),
    "g8_webb_B999": ("g8", "webb", 999, 5),
}


@pytest.fixture(scope="module")
def wdata() -> pd.DataFrame:
    return pd.read_csv(REF / "wild_data.csv")


def _X(d: pd.DataFrame) -> np.ndarray:
    return np.column_stack([np.ones(len(d)), d["x1"], d["d"]])


def test_cr1_matches_statsmodels(wdata):
    import statsmodels.api as sm
    X = _X(wdata)
    fit = sm.OLS(wdata["y"], X).fit(cov_type="cluster", cov_kwds={"groups": wdata["g15"]})
    b, e, inv = wls(wdata["y"].to_numpy(), X)
    V = cluster_vcov(X, e, wdata["g15"].to_numpy(), xtx_inv=inv)
    np.testing.assert_allclose(V, fit.cov_params().to_numpy(), rtol=1e-10)


@pytest.mark.parametrize("case", list(CASES))
def test_wild_bootstrap_equals_wildboottest_and_pyfixest(wdata, case):
    """Same seed -> same draws -> identical t-statistic and p-value (exact)."""
    cl, wt, B, seed = CASES[case]
    ref = pd.read_csv(REF / "wild_refs.csv")
    ref = ref[ref["case"] == case]
    r = wild_cluster_bootstrap(wdata["y"].to_numpy(), _X(wdata), wdata[cl].to_numpy(), 2, B=B,
                               weights_type=wt, seed=seed)
    # tie rule: ties (the sign vectors +-1 that reproduce the sample under full enumeration)
    # count here, wildboottest counts only strictly larger draws: + 2 / 2**G when enumerating
    tie = 2 / r.B if r.full_enumeration else 0.0
    for _, row in ref.iterrows():
        assert r.t_stat == pytest.approx(row["t_stat"], rel=1e-10)
        assert r.p_value == pytest.approx(row["p_value"] + tie, abs=1e-12), row["package"]
    assert r.full_enumeration == (case == "g8_rademacher_enum")
    assert r.B == (256 if case == "g8_rademacher_enum" else B)


def test_full_enumeration_reported_and_exact():
    v, enum = draw_wild_weights(5, 32, "rademacher")
    assert enum and v.shape == (5, 32)
    assert len({tuple(c) for c in v.T}) == 32          # every sign vector once
    v, enum = draw_wild_weights(5, 31, "rademacher", seed=1)
    assert not enum and v.shape == (5, 31)


def test_wild_weights_moments():
    v, _ = draw_wild_weights(50, 4000, "webb", seed=3)
    assert abs(v.mean()) < 0.02 and abs((v ** 2).mean() - 1) < 0.02
    assert len(np.unique(v)) == 6


def test_wild_bootstrap_size_under_null_few_clusters():
    """Rejection rate at 5% under H0 with 12 clusters stays near 5% (200 replications)."""
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(12), 40)
    X = np.column_stack([np.ones(480), (g < 6).astype(float)])
    rej = 0
    for rep in range(200):
        y = rng.normal(size=12)[g] + rng.normal(size=480)
        rej += wild_cluster_bootstrap(y, X, g, 1, B=399, weights_type="webb", seed=rep).p_value < 0.05
    assert 0.01 <= rej / 200 <= 0.10


def test_wild_conf_int_inverts_the_test(wdata):
    y, X, g = wdata["y"].to_numpy(), _X(wdata), wdata["g15"].to_numpy()
    lo, hi = wild_conf_int(y, X, g, 2, B=999, seed=4, alpha=0.05)
    assert lo < 0.45 < hi or lo < wls(y, X)[0][2] < hi
    inside = wild_cluster_bootstrap(y, X, g, 2, r=lo + 0.01 * (hi - lo), B=999, seed=4)
    outside = wild_cluster_bootstrap(y, X, g, 2, r=lo - 0.05 * (hi - lo), B=999, seed=4)
    assert inside.p_value >= 0.05 > outside.p_value


def test_wild_errors(wdata):
    X = _X(wdata)
    with pytest.raises(DesignError, match="only 1 cluster"):
        wild_cluster_bootstrap(wdata["y"].to_numpy(), X, np.zeros(len(X)), 2)
    with pytest.raises(DesignError, match="no variation"):
        wild_cluster_bootstrap(np.ones(len(X)), X, wdata["g8"].to_numpy(), 2)
    with pytest.raises(ParameterError, match="'weights_type' parameter"):
        wild_cluster_bootstrap(wdata["y"].to_numpy(), X, wdata["g8"].to_numpy(), 2, weights_type="x")


def test_benjamini_hochberg_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], rtol=1e-14)


def test_sharpened_qvalues_properties():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    q = sharpened_qvalues(p)
    bh = benjamini_hochberg(p)
    # two-stage BKY is less conservative than BH, monotone in p, on the 0.001 grid
    assert np.all(q <= bh + 1e-3)
    assert np.all(np.diff(q[np.argsort(p)]) >= 0)
    assert np.allclose(q * 1000, np.round(q * 1000))
    # hand computation for three p-values (p=0.2 is rejected at q=0.072: stage 1 at
    # 0.072/1.072 rejects 2 of 3, stage 2 level 0.0672*3/(3-2)=0.2015 >= 0.2)
    assert sharpened_qvalues([0.001, 0.2, 0.04]).tolist() == [0.004, 0.072, 0.042]


def test_romano_wolf_controls_fwer_and_is_monotone():
    rng = np.random.default_rng(5)
    K, B = 5, 2000
    cov = 0.5 * np.ones((K, K)) + 0.5 * np.eye(K)
    tb = rng.multivariate_normal(np.zeros(K), cov, size=B)
    t = np.array([3.5, 2.2, 1.0, 0.3, -2.6])
    p = romano_wolf(t, tb)
    order = np.argsort(-np.abs(t))
    assert np.all(np.diff(p[order]) >= 0)
    # adjusted p-values are at least the single-test bootstrap p-values
    single = np.mean(np.abs(tb) >= np.abs(t), axis=0)
    assert np.all(p >= single - 1e-12)
    # the largest |t| is compared with the max over all K
    assert p[0] == pytest.approx(np.mean(np.abs(tb).max(axis=1) >= 3.5))


def test_romano_wolf_wild_shares_draws(wdata):
    y = wdata["y"].to_numpy()
    out = romano_wolf_wild({"y": y, "y2": y + 0.1 * wdata["x1"].to_numpy(), "noise":
                            np.random.default_rng(0).normal(size=len(y))},
                           _X(wdata), wdata["g15"].to_numpy(), 2, B=999, seed=2)
    assert list(out.columns) == ["outcome", "estimate", "t_stat", "p_value", "p_bh",
                                 "q_sharpened", "p_romano_wolf"]
    assert np.all(out["p_romano_wolf"] >= out["p_value"] - 1e-12)


def test_randomization_inference():
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"v": np.repeat(np.arange(20), 10), "s": np.repeat(np.arange(20) % 2, 10)})
    d["treat"] = np.repeat(rng.permutation(np.r_[np.ones(10), np.zeros(10)]), 10)
    stat = lambda df: df.loc[df.treat == 1, "y"].mean() - df.loc[df.treat == 0, "y"].mean()  # noqa: E731
    d["y"] = rng.normal(size=200) + 1.0 * d["treat"]
    res = randomization_inference(d, stat, assignment="treat", cluster="v", n_perm=299, seed=1)
    assert res.p_value < 0.02
    d["y"] = rng.normal(size=200)
    res0 = randomization_inference(d, stat, assignment="treat", cluster="v", strata="s",
                                   n_perm=299, seed=1)
    assert res0.p_value > 0.01
    with pytest.raises(DesignError, match="vary within cluster"):
        randomization_inference(d.assign(treat=np.arange(200) % 2), stat, assignment="treat",
                                cluster="v", n_perm=9)


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.parametrize("G,wt", [(7, "rademacher"), (11, "webb"), (30, "rademacher")])
def test_live_pyfixest_wildboottest(G, wt):
    """Fresh data: same seed -> identical p-value to pyfixest's wildboottest (WCR11)."""
    pf = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(G)
    n = 900
    g = rng.integers(0, G, n)
    df = pd.DataFrame({"g": g, "x": rng.normal(size=n), "d": (g % 2).astype(float)})
    df["y"] = 0.3 * df["x"] + 0.2 * df["d"] + rng.normal(size=G)[g] * 0.5 + rng.normal(size=n)
    fit = pf.feols("y ~ x + d", data=df, vcov={"CRV1": "g"})
    ref = fit.wildboottest(param="d", reps=999, seed=9, weights_type=wt)
    X = np.column_stack([np.ones(n), df["x"], df["d"]])
    r = wild_cluster_bootstrap(df["y"].to_numpy(), X, g, 2, B=999, seed=9, weights_type=wt)
    assert r.t_stat == pytest.approx(float(ref["t value"]), rel=1e-10)
    tie = 2 / r.B if r.full_enumeration else 0.0       # tie rule, see above
    assert r.p_value == pytest.approx(float(ref["Pr(>|t|)"]) + tie, abs=1e-12)
    assert r.full_enumeration == (G == 7)


# --------------------------------------------------------------------------------------------
# influence-function variance (the one helper used by weighting, matching and staggered)
# --------------------------------------------------------------------------------------------
def test_influence_vcov_reproduces_the_ols_sandwich():
    """OLS coefficients have influence function (X'X)^-1 x_i e_i: their IF covariance without
    correction is the CR0/HC0 sandwich of cluster_vcov(small_sample=False), and with the
    ``hc1`` correction G/(G-1) (clusters) or n/(n-1) (units) times it."""
    from kassaki_eval.inference import influence_se, influence_vcov, wls
    rng = np.random.default_rng(4)
    n, G = 300, 17
    g = rng.integers(0, G, n)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = X @ [1.0, 0.5, -0.2] + rng.normal(size=n) + rng.normal(size=G)[g]
    b, e, xtx_inv = wls(y, X)
    psi = (X * e[:, None]) @ xtx_inv
    for cl, m in ((None, n), (g, G)):
        V0 = cluster_vcov(X, e, cl, small_sample=False)
        assert np.allclose(influence_vcov(psi, cl, correction="none"), V0, rtol=1e-12, atol=0)
        assert np.allclose(influence_vcov(psi, cl), m / (m - 1) * V0, rtol=1e-12, atol=0)
        assert np.allclose(influence_se(psi, cl), np.sqrt(np.diag(m / (m - 1) * V0)), rtol=1e-12)
    # "cluster_only": no factor without clusters (R did's analytic SE), G/(G-1) with them
    assert np.allclose(influence_vcov(psi, None, correction="cluster_only"),
                       cluster_vcov(X, e, None, small_sample=False), rtol=1e-12, atol=0)
    # labels or integer codes give the same answer; 1-D input gives a float
    labels = np.array([f"v{k:02d}" for k in g])
    assert influence_se(psi[:, 1], labels) == pytest.approx(influence_se(psi[:, 1], g), rel=1e-14)
    assert isinstance(influence_vcov(psi[:, 1], g, scale=2.0), float)
    assert influence_vcov(psi[:, 1], g, scale=2.0) == pytest.approx(
        4 * influence_vcov(psi[:, 1], g), rel=1e-14)


def test_influence_vcov_bad_input():
    from kassaki_eval.inference import influence_vcov
    with pytest.raises(ParameterError, match="one entry per row"):
        influence_vcov(np.ones(5), cluster=[0, 1])
    with pytest.raises(ParameterError, match="correction"):
        influence_vcov(np.ones(5), correction="hc3")


# --------------------------------------------------------------------------------------------
# few clusters (issue 12): MacKinnon & Webb warnings, attainable floor, one tie rule
# --------------------------------------------------------------------------------------------
def test_three_clusters_one_treated_warns_and_reports_the_floor():
    """G = 3, one treated cluster: before, the restricted wild bootstrap returned p = 0.0 with
    no warning. Now: an EstimationWarning citing MacKinnon & Webb, p_floor = 2/2**3 = 0.25
    (full Rademacher enumeration, 8 draws) and p >= 0.25."""
    from kassaki_eval.exceptions import EstimationWarning
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(3), 40)
    d = (g == 0).astype(float)
    X = np.column_stack([np.ones(g.size), d])
    y = 5.0 * d + rng.normal(size=g.size) + rng.normal(size=3)[g]
    with pytest.warns(EstimationWarning, match=r"only 3 clusters.*1 treated cluster"):
        r = wild_cluster_bootstrap(y, X, g, 1, B=999)
    assert r.full_enumeration and r.B == 8 and r.n_treated_clusters == 1
    assert r.p_floor == 0.25 and r.p_value >= 0.25
    # the floor is attained: with a huge effect every non-trivial draw is smaller
    assert r.p_value == 0.25
    # the interval from inverting the same test uses the same tie rule: the null at the
    # estimate is never rejected, and a p-value floor of 0.25 > alpha leaves the interval
    # unbounded (in practice: bounded only by floating-point breakdown far away)
    lo, hi = wild_conf_int(y, X, g, 1, B=999)
    assert lo < -1e4 and hi > 1e4


def test_fifteen_clusters_no_few_cluster_warning(wdata):
    import warnings as _w
    with _w.catch_warnings(record=True) as rec:
        _w.simplefilter("always")
        r = wild_cluster_bootstrap(wdata["y"].to_numpy(), _X(wdata), wdata["g15"].to_numpy(), 2,
                                   B=199, seed=1)
    assert not [w for w in rec if "only 15 clusters" in str(w.message)]
    assert r.p_floor == pytest.approx(1 / 199) and not r.full_enumeration
