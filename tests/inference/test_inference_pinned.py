"""inference/core.py pinned where test_inference.py left room (issue 18: mutation testing).

References (tests/references/inference/, scripts and printed output committed there):
- ``sandwich_refs.csv`` / ``bh_refs.csv``: R sandwich 3.0.2 ``vcovHC``/``vcovCL`` (HC0, HC1,
  cluster adjustment on/off, lm weights) and R ``p.adjust(method = "BH")`` (``sandwich_refs.R``);
  tolerance 1e-9 relative (R prints 15 significant digits).
- ``draw_refs.csv`` / ``wild_more_refs.csv``: wildboottest 0.3.2 bootstrap weights for the four
  weight types, and restricted/unrestricted WCR11/WCU11 p-values of every p-value type
  (``make_more_refs.py``); same seed, same draws: p-values to 1e-12, t to 1e-10.
- hand computations, stated in each test (Anderson's grid procedure, Romano-Wolf stepdown on
  four draws, the enumeration order, the warnings' wording).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import (
    DesignError,
    EstimationWarning,
    IdentificationError,
    ParameterError,
)
from kassaki_eval.inference import (
    benjamini_hochberg,
    cluster_codes,
    cluster_vcov,
    draw_wild_weights,
    few_clusters_warning,
    influence_se,
    influence_vcov,
    randomization_inference,
    romano_wolf,
    romano_wolf_wild,
    sharpened_qvalues,
    wild_cluster_bootstrap,
    wild_conf_int,
    wls,
)

REF = Path(__file__).resolve().parents[1] / "references" / "inference"


@pytest.fixture(scope="module")
def wdata() -> pd.DataFrame:
    return pd.read_csv(REF / "wild_data.csv")


def _X(d):
    return np.column_stack([np.ones(len(d)), d["x1"], d["d"]])


def _w(n):
    return 1 + (np.arange(1, n + 1) % 5) / 2          # as sandwich_refs.R: 1, 1.5, ..., 3


def _r(case):
    ref = pd.read_csv(REF / "sandwich_refs.csv")
    ref = ref[ref["case"] == case]
    V = np.zeros((3, 3))
    V[ref["i"] - 1, ref["j"] - 1] = ref["value"]
    return V


# -- sandwich covariances -----------------------------------------------------------------------
def test_cluster_vcov_matches_r_sandwich(wdata):
    y, X, g = wdata["y"].to_numpy(), _X(wdata), wdata["g8"].to_numpy()
    b, e, inv = wls(y, X)
    np.testing.assert_allclose(cluster_vcov(X, e), _r("ols_hc1"), rtol=1e-9)
    np.testing.assert_allclose(cluster_vcov(X, e, small_sample=False), _r("ols_hc0"), rtol=1e-9)
    np.testing.assert_allclose(cluster_vcov(X, e, g, xtx_inv=inv, small_sample=False),
                               _r("ols_cl_g8_hc0_nocadjust"), rtol=1e-9)
    w = _w(len(y))
    bw, ew, _ = wls(y, X, w)
    # (X'WX)^-1 computed inside when not given
    np.testing.assert_allclose(cluster_vcov(X, ew, None, w), _r("wls_hc1"), rtol=1e-9)
    np.testing.assert_allclose(cluster_vcov(X, ew, g, w), _r("wls_cl_g8_hc1"), rtol=1e-9)
    # K of the small-sample factor: (n-1)/(n-K) with clusters, n/(n-K) without
    n = len(y)
    np.testing.assert_allclose(cluster_vcov(X, e, g, n_params=10),
                               cluster_vcov(X, e, g) * (n - 3) / (n - 10), rtol=1e-12)
    np.testing.assert_allclose(cluster_vcov(X, e, n_params=10),
                               _r("ols_hc1") * (n - 3) / (n - 10), rtol=1e-9)


def test_wild_bootstrap_se_is_r_cr1_and_weights_are_wls(wdata):
    y, X, g = wdata["y"].to_numpy(), _X(wdata), wdata["g8"].to_numpy()
    w = _w(len(y))
    with pytest.warns(EstimationWarning):
        r = wild_cluster_bootstrap(y, X, g, 2, B=99, seed=1, weights=w)
    bw = wls(y, X, w)[0]
    V = _r("wls_cl_g8_hc1")
    assert r.estimate == pytest.approx(bw[2], rel=1e-12)
    assert r.std_error == pytest.approx(np.sqrt(V[2, 2]), rel=1e-9)
    assert r.t_stat == pytest.approx(bw[2] / np.sqrt(V[2, 2]), rel=1e-9)
    with pytest.warns(EstimationWarning):
        r0 = wild_cluster_bootstrap(y, X, g, 2, B=99, seed=1, small_sample=False)
    assert r0.std_error == pytest.approx(np.sqrt(_r("ols_cl_g8_hc0_nocadjust")[2, 2]), rel=1e-9)
    with pytest.warns(EstimationWarning):
        rk = wild_cluster_bootstrap(y, X, g, 2, B=99, seed=1, n_params=10)
        r3 = wild_cluster_bootstrap(y, X, g, 2, B=99, seed=1)
    n = len(y)
    assert rk.std_error == pytest.approx(r3.std_error * np.sqrt((n - 3) / (n - 10)), rel=1e-12)
    assert rk.p_value == r3.p_value                     # the factor cancels in the p-value
    # a null value r: t = (b - r) / se
    with pytest.warns(EstimationWarning):
        rr = wild_cluster_bootstrap(y, X, g, 2, r=0.3, B=99, seed=1)
    assert rr.t_stat == pytest.approx((r3.estimate - 0.3) / r3.std_error, rel=1e-12)


def test_wls_refuses_collinear_regressors():
    x = np.arange(10.0)
    with pytest.raises(IdentificationError, match=r"perfectly collinear \(X'WX is singular\)\. "
                                                  "Fix: drop redundant covariates"):
        wls(x, np.column_stack([np.ones(10), x, 2 * x]))
    with pytest.raises(IdentificationError, match=r"\(nearly\) perfectly collinear \(condition "
                                                  r"number .*\)\. Fix: drop redundant"):
        wls(x, np.column_stack([np.ones(10), x, x + 1e-7 * np.sin(x)]))   # cond ~1e16


def test_cluster_codes_sorted_and_errors():
    codes, G = cluster_codes(np.array(["b", "a", "c", "a"]))
    assert codes.tolist() == [1, 0, 2, 0] and G == 3 and codes.dtype == np.int64
    with pytest.raises(ParameterError, match=r"'cluster' parameter of cluster_vcov must be "
                                             r"one-dimensional\. Got an array of shape \(2, 2\)"):
        cluster_codes(np.zeros((2, 2)))
    with pytest.raises(DesignError, match=r"own: the cluster id is missing for 2 rows\. Fix: fill"):
        cluster_codes(np.array([1.0, np.nan, 2.0, np.nan]), "own")
    with pytest.raises(DesignError, match=r"own: only 1 cluster in the data; cluster-robust "
                                          r"inference needs at least 2.*Fix: cluster at a finer"):
        cluster_codes(np.array([3, 3, 3]), "own")
    with pytest.raises(DesignError, match="only 0 cluster"):
        cluster_codes(np.array([], dtype=int))


def test_influence_vcov_codes_factors_and_scale():
    psi = np.array([[1.0, 2.0], [3.0, -1.0], [-2.0, 0.5], [0.5, 0.5]])
    # cluster sums for clusters {0,1} and {2,3}: (4, 1) and (-1.5, 1)
    S = np.array([[4.0, 1.0], [-1.5, 1.0]])
    for cl in ([7, 7, -3, -3], ["x", "x", "y", "y"], np.array([1, 1, 0, 0])):
        np.testing.assert_allclose(influence_vcov(psi, cl, correction="none"), S.T @ S)
        np.testing.assert_allclose(influence_vcov(psi, cl), 2 * S.T @ S)       # G/(G-1) = 2
        np.testing.assert_allclose(influence_vcov(psi, cl, correction="cluster_only"), 2 * S.T @ S)
        np.testing.assert_allclose(influence_se(psi, cl, scale=0.5),
                                   0.5 * np.sqrt(2 * np.diag(S.T @ S)))
    np.testing.assert_allclose(influence_vcov(psi), 4 / 3 * psi.T @ psi)      # n/(n-1)
    np.testing.assert_allclose(influence_vcov(psi, correction="cluster_only"), psi.T @ psi)
    np.testing.assert_allclose(influence_se(psi, correction="none", scale=3.0),
                               3.0 * np.sqrt(np.diag(psi.T @ psi)))
    np.testing.assert_allclose(influence_se(psi, correction="cluster_only"),
                               np.sqrt(np.diag(psi.T @ psi)))
    # one unit: the factor m/(m-1) is capped at m/1
    assert influence_vcov(np.array([2.0])) == 4.0
    assert influence_se(np.array([2.0]), [0]) == 2.0
    assert isinstance(influence_se(psi[:, 0]), float)
    with pytest.raises(ParameterError, match=r"'cluster' parameter must have one entry per row "
                                             r"of psi \(4\)\. Got 3 instead"):
        influence_se(psi, [0, 1, 1])


# -- bootstrap weights ---------------------------------------------------------------------------
@pytest.mark.parametrize("wt", ["rademacher", "webb", "mammen", "norm"])
def test_draws_equal_wildboottest(wt):
    ref = pd.read_csv(REF / "draw_refs.csv")
    ref = ref[ref["weights_type"] == wt]
    v, enum = draw_wild_weights(4, 5, wt, seed=11)
    assert not enum and v.shape == (4, 5)
    np.testing.assert_array_equal(v, ref["value"].to_numpy().reshape(4, 5))
    # a Generator is used as given
    v2, _ = draw_wild_weights(4, 5, wt, seed=np.random.default_rng(11))
    np.testing.assert_array_equal(v2, v)


def test_enumeration_order_and_switches():
    v, enum = draw_wild_weights(2, 4)
    assert enum and v.tolist() == [[-1, -1, 1, 1], [-1, 1, -1, 1]]   # itertools.product order
    v, enum = draw_wild_weights(2, 3)                                  # 2**2 > 3: random draws
    assert not enum and v.shape == (2, 3)
    v, enum = draw_wild_weights(2, 4, full_enumeration=False, seed=0)
    assert not enum and v.shape == (2, 4)
    v, enum = draw_wild_weights(3, 5, full_enumeration=True)           # forced: 8 columns
    assert enum and v.shape == (3, 8)
    v, enum = draw_wild_weights(2, 99, "webb", seed=0)                 # never enumerates Webb
    assert not enum and v.shape == (2, 99)
    with pytest.raises(ParameterError, match=r"'full_enumeration' parameter of draw_wild_weights "
                                             r"must be False for 'webb' weights\. Got True"):
        draw_wild_weights(2, 4, "webb", full_enumeration=True)
    for B in (0, 2.5, "9"):
        with pytest.raises(ParameterError, match="'B' parameter of draw_wild_weights must be a "
                                                 "positive integer"):
            draw_wild_weights(2, B)
    draw_wild_weights(2, 1)
    with pytest.raises(ParameterError, match="'weights_type' parameter of draw_wild_weights"):
        draw_wild_weights(2, 4, "gauss")


# -- the wild cluster bootstrap --------------------------------------------------------------------
@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("pval_type", ["two-tailed", "equal-tailed", ">", "<"])
def test_wcr_and_wcu_every_pvalue_type_equal_wildboottest(wdata, impose_null, pval_type):
    ref = pd.read_csv(REF / "wild_more_refs.csv")
    row = ref[(ref["impose_null"] == impose_null) & (ref["pval_type"] == pval_type)].iloc[0]
    r = wild_cluster_bootstrap(wdata["y"].to_numpy(), _X(wdata), wdata["g15"].to_numpy(), 2,
                               B=999, seed=42, impose_null=impose_null, pval_type=pval_type)
    assert r.t_stat == pytest.approx(row["t_stat"], rel=1e-10)
    assert r.p_value == pytest.approx(row["p_value"], abs=1e-12)
    assert (r.impose_null, r.pval_type, r.B, r.G, r.weights_type) == (impose_null, pval_type,
                                                                      999, 15, "rademacher")
    assert r.p_floor == pytest.approx(1 / 999) and r.n_treated_clusters == 7


def test_full_enumeration_floors_and_tie_rule():
    """G = 4, Rademacher, all 16 sign vectors. The sign vectors +-1 reproduce |t|: two-tailed
    floor 2/16, one-sided 1/16. One-sided p-values by definition from t_boot."""
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(4), 30)
    X = np.column_stack([np.ones(120), rng.normal(size=120)])
    y = 3.0 * X[:, 1] + rng.normal(size=120)
    with pytest.warns(EstimationWarning, match=r"only 4 clusters \(MacKinnon & Webb: below ~12 "
                                               r"the Rademacher wild bootstrap has at most 2\*\*4 "
                                               r"= 16 distinct draws; the smallest attainable "
                                               r"p-value is 0\.125; Webb weights give more\)\."):
        r = wild_cluster_bootstrap(y, X, g, 1, B=999)
    assert r.full_enumeration and r.B == 16 and r.p_floor == 0.125
    assert r.n_treated_clusters is None                # x is not a 0/1 regressor
    t, tb = r.t_stat, r.t_boot
    eps = 1e-9 * max(1.0, abs(t))
    assert r.p_value == np.mean(np.abs(tb) >= abs(t) - eps)
    for pt, expect in ((">", np.mean(tb >= t - eps)), ("<", np.mean(tb <= t + eps))):
        with pytest.warns(EstimationWarning):
            rp = wild_cluster_bootstrap(y, X, g, 1, B=999, pval_type=pt)
        assert rp.p_value == expect and rp.p_floor == 1 / 16
    with pytest.warns(EstimationWarning):
        re = wild_cluster_bootstrap(y, X, g, 1, B=999, pval_type="equal-tailed")
    assert re.p_value == min(1.0, 2 * min(np.mean(tb >= t - eps), np.mean(tb <= t + eps)))
    # the sign vectors -1 and +1 (first and last under enumeration) give exactly |t|
    assert abs(tb[0]) == pytest.approx(abs(t), rel=1e-9)
    assert abs(tb[-1]) == pytest.approx(abs(t), rel=1e-9)


def test_wild_bootstrap_input_errors(wdata):
    y, X, g = wdata["y"].to_numpy(), _X(wdata), wdata["g15"].to_numpy()
    with pytest.raises(ParameterError, match=r"'X' parameter of wild_cluster_bootstrap must be a "
                                             r"2-D array with 1200 rows\. Got shape \(1199, 3\)"):
        wild_cluster_bootstrap(y, X[1:], g, 2)
    with pytest.raises(ParameterError, match=r"'X' parameter .* Got shape \(1200,\)"):
        wild_cluster_bootstrap(y, X[:, 0], g, 0)
    for p in (3, -1, 1.0):
        with pytest.raises(ParameterError, match=r"'param' parameter of wild_cluster_bootstrap "
                                                 r"must be a column index in \[0, 2\]"):
            wild_cluster_bootstrap(y, X, g, p)
    with pytest.raises(ParameterError, match="'pval_type' parameter of wild_cluster_bootstrap"):
        wild_cluster_bootstrap(y, X, g, 2, pval_type="two-sided")
    with pytest.raises(DesignError, match=r"wild_cluster_bootstrap: the outcome has no variation "
                                          r"\(all 1200 values equal 2\.0\)\. Fix: check"):
        wild_cluster_bootstrap(np.full(1200, 2.0), X, g, 2)
    with pytest.raises(ParameterError, match=r"'draws' parameter of wild_cluster_bootstrap must "
                                             r"have 15 rows \(one per cluster\)\. "
                                             r"Got shape \(14, 9\)"):
        wild_cluster_bootstrap(y, X, g, 2, draws=np.ones((14, 9)))
    with pytest.raises(DesignError, match="wild_cluster_bootstrap: the cluster id is missing"):
        wild_cluster_bootstrap(y, X, np.where(np.arange(1200) == 5, np.nan, g), 2)


def test_given_draws_are_used_as_is(wdata):
    y, X, g = wdata["y"].to_numpy(), _X(wdata), wdata["g15"].to_numpy()
    v, _ = draw_wild_weights(15, 199, "webb", seed=8)
    a = wild_cluster_bootstrap(y, X, g, 2, draws=v)
    b = wild_cluster_bootstrap(y, X, g, 2, B=199, weights_type="webb", seed=8)
    np.testing.assert_array_equal(a.t_boot, b.t_boot)
    assert a.p_value == b.p_value and a.B == 199 and not a.full_enumeration


# -- few clusters: the warnings' wording --------------------------------------------------------
def test_few_treated_clusters_warning_names_the_side_and_the_floor():
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(13), 20)
    d = (g < 11).astype(float)                         # 11 treated, 2 untreated clusters
    X = np.column_stack([np.ones(g.size), d])
    y = rng.normal(size=g.size) + rng.normal(size=13)[g]
    with pytest.warns(EstimationWarning) as rec:
        r = wild_cluster_bootstrap(y, X, g, 1, B=199, seed=2)
    msg = str(rec[0].message)
    assert msg.startswith("wild_cluster_bootstrap: fragile inference: 2 untreated cluster(s) of "
                          "13 (MacKinnon & Webb 2017: with so few treated clusters the wild "
                          "cluster bootstrap is unreliable; the restricted bootstrap "
                          "under-rejects, the unrestricted over-rejects; report the p-value as "
                          "descriptive or use randomisation inference over clusters).")
    assert "only 13 clusters" not in msg and r.n_treated_clusters == 11
    # three treated and three untreated of 13: no warning at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wild_cluster_bootstrap(y, np.column_stack([np.ones(g.size), (g < 3) | (g > 9)]), g, 1,
                               B=99, seed=2)
    # the p-value at its floor is said so
    y2 = 10.0 * d + rng.normal(size=g.size)
    with pytest.warns(EstimationWarning, match=r"\)\. The p-value 0 is at the floor 0\.00503\.$"):
        wild_cluster_bootstrap(y2, X, g, 1, B=199, seed=2)


def test_few_clusters_warning_for_analytic_errors():
    with pytest.warns(EstimationWarning) as rec:
        few_clusters_warning("did_estimate", 11, 1)
    assert str(rec[0].message) == (
        "did_estimate: fragile inference: only 11 clusters (MacKinnon & Webb: cluster-robust "
        "t-tests over-reject below ~12 clusters; use inference='wild' with Webb weights); 1 "
        "treated cluster(s) of 11 (MacKinnon & Webb 2017: with so few treated clusters neither "
        "CR1 nor the wild bootstrap is reliable).")
    with pytest.warns(EstimationWarning, match=r"^did_estimate: fragile inference: 2 untreated "
                                               r"cluster\(s\) of 20 \("):
        few_clusters_warning("did_estimate", 20, 18)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        few_clusters_warning("did_estimate", 12, 3)
        few_clusters_warning("did_estimate", 12, 9)
        few_clusters_warning("did_estimate", 12)


# -- randomisation inference ---------------------------------------------------------------------
def test_randomization_inference_p_value_strata_and_joint_columns():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"v": np.repeat(np.arange(12), 3), "s": np.repeat(np.arange(12) % 3, 3)})
    d["treat"] = np.repeat((np.arange(12) < 6).astype(int), 3)
    d["cohort"] = np.repeat(np.where(np.arange(12) < 6, 2024, 0), 3)
    d["y"] = rng.normal(size=36) + d["treat"]
    seen = []

    def stat(df):
        # the treated count within each stratum is unchanged; treat and cohort move together
        seen.append(df.groupby("s")["treat"].sum().tolist())
        assert ((df["cohort"] > 0) == (df["treat"] == 1)).all()
        return df.loc[df.treat == 1, "y"].mean() - df.loc[df.treat == 0, "y"].mean()

    res = randomization_inference(d, stat, assignment=["treat", "cohort"], cluster="v",
                                  strata="s", n_perm=50, seed=4)
    assert all(s == seen[0] for s in seen) and len(seen) == 51 and res.n_perm == 50
    assert res.statistic == pytest.approx(stat(d))
    assert res.p_value == (1 + np.sum(np.abs(res.permuted) >= abs(res.statistic) - 1e-12)) / 51
    # without strata the treated count per stratum varies across permutations
    seen.clear()
    randomization_inference(d, stat, assignment=["treat", "cohort"], cluster="v", n_perm=50,
                            seed=4)
    assert len({tuple(s) for s in seen}) > 1
    # a statistic that ignores the assignment: every draw ties, p = 1
    r1 = randomization_inference(d, lambda df: 1.5, assignment="treat", cluster="v", n_perm=9,
                                 seed=0)
    assert r1.p_value == 1.0 and r1.permuted.tolist() == [1.5] * 9
    with pytest.raises(ParameterError, match=r"'assignment/cluster/strata' parameters of "
                                             r"randomization_inference must name columns of data\. "
                                             r"Got \['nope'\]"):
        randomization_inference(d, stat, assignment="treat", cluster="v", strata="nope")
    bad = d.assign(treat=np.arange(36) % 2)
    with pytest.raises(DesignError, match=r"data: column\(s\) \['treat'\] vary within cluster 'v' "
                                          r"for 12 clusters \(e\.g\. 0, 1, 2\)"):
        randomization_inference(bad, stat, assignment="treat", cluster="v", n_perm=9)


# -- multiple testing ---------------------------------------------------------------------------
def test_benjamini_hochberg_equals_r_p_adjust():
    ref = pd.read_csv(REF / "bh_refs.csv")
    np.testing.assert_allclose(benjamini_hochberg(ref["p"].to_numpy()), ref["bh"], rtol=1e-12)
    assert benjamini_hochberg([0.5, 0.9, 0.8]).tolist() == [0.9, 0.9, 0.9]
    assert benjamini_hochberg([1.0, 1.0]).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("bad", [[], [[0.1, 0.2]], [0.1, np.nan], [0.1, 1.2], [-0.1], [np.inf]])
def test_pvalue_checks(bad):
    for f, name in ((benjamini_hochberg, "benjamini_hochberg"),
                    (sharpened_qvalues, "sharpened_qvalues")):
        with pytest.raises(ParameterError, match=f"'pvalues' parameter of {name} must be a "
                                                 r"non-empty 1-D array of numbers in \[0, 1\]"):
            f(bad)


def test_sharpened_qvalues_hand_computed():
    # one p-value 0.03: stage 1 at q/(1+q) rejects once q/(1+q) >= 0.03, i.e. q >= 0.03093 -> the
    # grid value 0.031 (then r1 = m, stage 2 rejects everything); at q = 0.030 stage 1 rejects
    # nothing and stage 2's level 0.030/1.030 * 1/1 = 0.0291 < 0.03
    assert sharpened_qvalues([0.03]).tolist() == [0.031]
    # a coarser grid: the same rule on 0.01 steps -> 0.04
    assert sharpened_qvalues([0.03], step=0.01).tolist() == [0.04]
    # p = 1 is rejected only at q = 1 (stage 2 level q/(1+q) m / (m - r1) with r1 < m)
    assert sharpened_qvalues([1.0, 1.0]).tolist() == [1.0, 1.0]
    # input order is kept
    assert sharpened_qvalues([0.2, 0.04, 0.001]).tolist() == [0.072, 0.042, 0.004]


def test_romano_wolf_stepdown_by_hand():
    # |t| = 2 (hypothesis 0) and 1.6 (hypothesis 1); four draws.
    tb = np.array([[0.5, 3.0], [2.5, 0.2], [1.5, 0.1], [0.1, -0.1]])
    # hypothesis 0 (largest |t|): max over both columns 3, 2.5, 1.5, 0.1 -> 2 of 4 >= 2: 0.5
    # hypothesis 1: its own column |t*| 3, 0.2, 0.1, 0.1 -> 1 of 4 >= 1.6: 0.25, made monotone: 0.5
    assert romano_wolf([2.0, -1.6], tb).tolist() == [0.5, 0.5]
    # with the order reversed in the input the result follows the input order
    assert romano_wolf([-1.6, 2.0], tb[:, ::-1]).tolist() == [0.5, 0.5]
    # a draw equal to |t| counts (>=)
    assert romano_wolf([2.0], np.array([[2.0], [1.0]])).tolist() == [0.5]
    with pytest.raises(ParameterError, match=r"'t_boot' parameter of romano_wolf must be a \(B, "
                                             r"K\) array with K = 2\. Got shape \(4, 3\)"):
        romano_wolf([1.0, 2.0], np.ones((4, 3)))
    with pytest.raises(ParameterError, match=r"Got shape \(4,\)"):
        romano_wolf([1.0, 2.0], np.ones(4))


def test_romano_wolf_wild_columns_are_the_single_tests(wdata):
    y, X, g = wdata["y"].to_numpy(), _X(wdata), wdata["g15"].to_numpy()
    w = _w(len(y))
    ys = [y, y + 0.2 * wdata["x1"].to_numpy()]
    out = romano_wolf_wild(ys, X, g, 2, B=199, weights_type="webb", seed=5, weights=w)
    assert out["outcome"].tolist() == ["y0", "y1"]
    assert out.attrs == {"B": 199, "full_enumeration": False}
    for i, yy in enumerate(ys):
        r = wild_cluster_bootstrap(yy, X, g, 2, B=199, weights_type="webb", seed=5, weights=w)
        assert out.loc[i, "p_value"] == r.p_value
        assert out.loc[i, "t_stat"] == pytest.approx(r.t_stat, rel=1e-12)
        assert out.loc[i, "estimate"] == pytest.approx(r.estimate, rel=1e-12)
    np.testing.assert_array_equal(out["p_bh"], benjamini_hochberg(out["p_value"]))
    np.testing.assert_array_equal(out["q_sharpened"], sharpened_qvalues(out["p_value"]))
    # with 8 clusters and B >= 256 the shared draws are the full enumeration
    m = romano_wolf_wild({"a": y, "b": -y}, X, wdata["g8"].to_numpy(), 2, B=999)
    assert m["outcome"].tolist() == ["a", "b"] and m.attrs == {"B": 256, "full_enumeration": True}


def test_wild_conf_int_bounds_cross_alpha_with_weights(wdata):
    """Each bound is where the WCR p-value (same draws, weights as given) crosses alpha."""
    y, X, g = wdata["y"].to_numpy(), _X(wdata), wdata["g15"].to_numpy()
    w = _w(len(y))
    lo, hi = wild_conf_int(y, X, g, 2, alpha=0.1, B=199, weights_type="webb", seed=6, weights=w,
                           tol=1e-8)
    b = wls(y, X, w)[0][2]
    assert lo < b < hi
    se = wild_cluster_bootstrap(y, X, g, 2, B=199, weights_type="webb", seed=6, weights=w).std_error

    def p(r):
        return wild_cluster_bootstrap(y, X, g, 2, r=r, B=199, weights_type="webb", seed=6,
                                      weights=w).p_value
    for bound, out in ((lo, -1), (hi, 1)):
        assert p(bound - out * 1e-6 * se) >= 0.1 > p(bound + out * 1e-6 * se)
