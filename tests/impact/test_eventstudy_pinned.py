"""Event study, pre-trend test, honest_did and the FLCI pinned by hand (issue 18, mutation
round of impact/eventstudy.py).

Sources of the expected values, stated per test: degenerate bootstrap designs whose sup-t
statistic is the same in every draw (so its quantile is known exactly), Wald / F statistics of
one or two hand-made influence columns, the minimum-variance trend-removing estimator worked
out on paper (M = 0), the Armstrong-Kolesar fixed-length interval of a one-pre-period design
(worst-case bias M exactly, the folded-normal quantile from scipy), and a linear programme
(scipy.optimize.linprog) for the worst-case bias of Rambachan & Roth's Delta^SD(M).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from kassaki_eval.exceptions import IdentificationError, ParameterError
from kassaki_eval.impact.eventstudy import (event_study, flci_smoothness, honest_did,
                                            plot_event_study, pretrend_test,
                                            uniform_critical_value)
from kassaki_eval.impact.honestdid import relative_magnitudes_cs
from kassaki_eval.impact.staggered import aggregate, callaway_santanna
from kassaki_eval.results import EstimateResult



@pytest.fixture(scope="module")
def cs_universal(mpdta):
    return callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year",
                             cohort="first.treat", base_period="universal")


@pytest.fixture(scope="module")
def cs_clustered(mpdta):
    """Universal base, clustered by groups of ten counties (50 clusters, constant within a
    county)."""
    m = mpdta.assign(grp=pd.factorize(mpdta["countyreal"])[0] // 10)
    return callaway_santanna(m, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                             base_period="universal", cluster="grp")


def _fake_dynamic(e, est, psi, *, codes=None, G=None, base="universal", alpha=0.05):
    """A hand-made dynamic aggregation: an overall row (influence column 0, estimate 0.5),
    then one row per event time; standard errors sqrt(sum psi^2) / n."""
    psi = np.asarray(psi, dtype=float)
    n = psi.shape[0]
    full = np.column_stack([np.ones(n), psi])
    se = np.sqrt((full ** 2).sum(0)) / n
    table = pd.DataFrame({"term": ["ATT"] + [f"e={x}" for x in e],
                          "estimate": [0.5, *est], "std_error": se, "n_obs": n,
                          "event_time": [np.nan, *[float(x) for x in e]]})
    return EstimateResult(table, method="cs_dynamic", alpha=alpha,
                          extras={"influence": full, "n_units": n, "cluster_codes": codes,
                                  "n_clusters": G, "base_period": base})


# --------------------------------------------------------------------------------------------
# uniform_critical_value
# --------------------------------------------------------------------------------------------
def test_critical_value_of_a_constant_sup_t_statistic():
    """psi with one non-zero row: every Rademacher draw gives |boot_k| = |psi_1k| / n, so the
    sup-t statistic is max_k |psi_1k| / (n se_k) in every draw and its quantile is that value.
    (3, 0) over n = 5 rows, se (1, 1): 3/5. With se (0.1, 1) and psi (3, -8): max(6, 1.6) = 6."""
    psi = np.zeros((5, 2))
    psi[0] = [3.0, 0.0]
    assert uniform_critical_value(psi, np.array([1.0, 1.0]), B=50, seed=1) == pytest.approx(
        0.6, rel=1e-14)
    psi[0] = [3.0, -8.0]
    assert uniform_critical_value(psi, np.array([0.1, 1.0]), B=50, seed=1) == pytest.approx(
        6.0, rel=1e-14)
    assert uniform_critical_value(psi, np.array([1.0, 1.0]), B=50, seed=1) == pytest.approx(
        1.6, rel=1e-14)


def test_critical_value_quantile_level_and_clusters():
    """Two rows (1, 1), n = 2, se 1: the draw is |v1 + v2| / 2, 0 or 1 with probability 1/2
    each. Its 0.95 quantile is 1 and its 0.3 quantile 0 (alpha = 0.7), for any seed with both
    values among the draws at those levels (B = 400).
    Clustered: both rows in cluster 0 of G = 2: the cluster sums (2, 0) times sqrt(2/1);
    every draw is |2 sqrt 2 v| / 2 = sqrt 2."""
    psi = np.ones((2, 1))
    se = np.array([1.0])
    assert uniform_critical_value(psi, se, B=400, seed=2) == 1.0
    assert uniform_critical_value(psi, se, B=400, seed=2, alpha=0.7) == 0.0
    c = uniform_critical_value(psi, se, B=30, seed=2, cluster_codes=np.array([0, 0]),
                               n_clusters=2)
    assert c == pytest.approx(np.sqrt(2), rel=1e-14)
    # codes without a cluster count: no clustering (the 0/1 draw above)
    assert uniform_critical_value(psi, se, B=400, seed=2, cluster_codes=np.array([0, 0])) == 1.0
    # the default B is 999 draws (a two-point statistic's 95 % quantile is then its top value)
    assert uniform_critical_value(psi, se, seed=4) == 1.0


# --------------------------------------------------------------------------------------------
# pretrend_test
# --------------------------------------------------------------------------------------------
def test_pretrend_wald_by_hand():
    """Two pre-periods with orthogonal influence columns: V = diag(sum psi^2) / n^2.
    psi_{-3} = (1, -1, 0, 0), psi_{-2} = (0, 0, 2, -2), n = 4: V = diag(2/16, 8/16);
    theta = (0.5, 1): W = 0.25 * 8 + 1 * 2 = 4, chi2 with 2 df. A post period (e = 0) and
    the reference (e = -1, all-zero influence) do not enter."""
    psi = np.array([[1.0, 0.0, 0.0, 5.0], [-1.0, 0.0, 0.0, 1.0], [0.0, 2.0, 0.0, 2.0],
                    [0.0, -2.0, 0.0, 3.0]])
    dyn = _fake_dynamic([-3, -2, -1, 0], [0.5, 1.0, 0.0, 9.0], psi)
    pt = pretrend_test(dyn)
    assert pt == {"statistic": pytest.approx(4.0, rel=1e-12), "df": 2,
                  "p_value": pytest.approx(np.exp(-2.0), rel=1e-12), "test": "chi2"}


def test_pretrend_clustered_uses_f_with_few_clusters():
    """Clusters {0, 1} {2, 3} {4, 5} (G = 3) of six units, one pre-period, psi = (1, 1, -1,
    -1, 2, 0), theta = 0.3: cluster sums (2, -2, 2), V = 3/2 * 12 / 36 = 1/2, W = 0.09 / 0.5
    = 0.18. G - 1 = 2 >= q = 1: F = W / 1 * (3 - 1) / (3 - 1) = 0.18 on (1, 2) df.
    With two pre-periods and G = 2 (G - 1 < q): chi2."""
    psi = np.array([[1.0], [1.0], [-1.0], [-1.0], [2.0], [0.0]])
    codes = np.array([0, 0, 1, 1, 2, 2])
    dyn = _fake_dynamic([-2], [0.3], psi, codes=codes, G=3)
    pt = pretrend_test(dyn)
    assert pt["statistic"] == pytest.approx(0.18, rel=1e-12)
    assert pt["df"] == 1 and pt["test"] == "F"
    assert pt["p_value"] == pytest.approx(stats.f.sf(0.18, 1, 2), rel=1e-12)
    # G = 4 clusters: F = W * (4 - 1) / (4 - 1) ... with q = 2: W / 2 * (4 - 2) / (4 - 1)
    psi2 = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, 1.0],
                     [0.0, 0.0], [0.0, 0.0], [-1.0, -1.0]])
    codes2 = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    dyn2 = _fake_dynamic([-3, -2], [0.2, -0.1], psi2, codes=codes2, G=4)
    S = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, 1.0], [-1.0, -1.0]])
    V = 4 / 3 * S.T @ S / 64
    th = np.array([0.2, -0.1])
    W = float(th @ np.linalg.pinv(V) @ th)
    pt2 = pretrend_test(dyn2)
    assert pt2["statistic"] == pytest.approx(W, rel=1e-10) and pt2["df"] == 2
    assert pt2["test"] == "F"
    assert pt2["p_value"] == pytest.approx(stats.f.sf(W / 2 * 2 / 3, 2, 2), rel=1e-10)
    # G = 3, q = 2: G - 1 = 2 >= 2: still F, on (2, 1) df
    dyn4 = _fake_dynamic([-3, -2], [0.2, -0.1], psi2, codes=np.array([0, 0, 1, 1, 2, 2, 0, 1]),
                         G=3)
    pt4 = pretrend_test(dyn4)
    assert pt4["test"] == "F"
    assert pt4["p_value"] == pytest.approx(stats.f.sf(pt4["statistic"] / 2 * 1 / 2, 2, 1),
                                           rel=1e-10)
    # G = 2, q = 2: G - 1 = 1 < 2: chi2
    dyn3 = _fake_dynamic([-3, -2], [0.2, -0.1], psi2, codes=np.array([0] * 4 + [1] * 4), G=2)
    assert pretrend_test(dyn3)["test"] == "chi2"


def test_pretrend_without_pre_periods_and_on_an_event_study(cs_universal):
    dyn = _fake_dynamic([-1, 0, 1], [0.0, 0.2, 0.3], np.array([[0.0, 1.0, 2.0],
                                                                 [0.0, -1.0, 1.0]]))
    pt = pretrend_test(dyn)
    assert np.isnan(pt["statistic"]) and np.isnan(pt["p_value"]) and pt["df"] == 0
    assert set(pt) == {"statistic", "df", "p_value"}
    # an event_study result (influence restricted to the event-time rows) gives the same test
    es = event_study(cs_universal, B=99, seed=1)
    a, b = pretrend_test(es), pretrend_test(cs_universal)
    assert a["statistic"] == pytest.approx(b["statistic"], rel=1e-12) and a["df"] == b["df"] == 3
    assert es.extras["pretrend"]["statistic"] == pytest.approx(b["statistic"], rel=1e-12)


# --------------------------------------------------------------------------------------------
# event_study
# --------------------------------------------------------------------------------------------
def test_event_study_band_is_estimate_plus_minus_c_se(cs_clustered):
    """The band is estimate +/- c se with c the sup-t value of the event-time influence
    columns with a positive standard error (e = -1 has none), clustered as the C&S result,
    at the same seed, B and alpha; the pointwise intervals and p-values are the dynamic
    aggregation's; the provenance adds B, seed and alpha."""
    dyn = aggregate(cs_clustered, "dynamic")
    es = event_study(cs_clustered, alpha=0.1, B=199, seed=5)
    td = dyn.tidy(0.1)
    rows = td["term"].str.startswith("e=").to_numpy()
    psi = dyn.extras["influence"][:, rows]
    se = td.loc[rows, "std_error"].to_numpy()
    ok = np.isfinite(se) & (se > 0)
    assert ok.sum() == rows.sum() - 1
    c = uniform_critical_value(psi[:, ok], se[ok], alpha=0.1, B=199, seed=5,
                               cluster_codes=dyn.extras["cluster_codes"],
                               n_clusters=dyn.extras["n_clusters"])
    assert dyn.extras["n_clusters"] == 50
    assert es.extras["uniform_critical_value"] == c
    out = es.tidy()
    est = td.loc[rows, "estimate"].to_numpy()
    np.testing.assert_allclose(out["conf_low"], est - c * se, rtol=1e-14)
    np.testing.assert_allclose(out["conf_high"], est + c * se, rtol=1e-14)
    np.testing.assert_allclose(out["pw_low"], td.loc[rows, "conf_low"], rtol=1e-14)
    np.testing.assert_allclose(out["pw_high"], td.loc[rows, "conf_high"], rtol=1e-14)
    np.testing.assert_allclose(out["p_value"], td.loc[rows, "p_value"], rtol=1e-14)
    assert list(out["term"]) == list(td.loc[rows, "term"])
    assert list(out["event_time"]) == list(td.loc[rows, "event_time"])
    assert es.alpha == 0.1 and es.method == "event_study"
    assert es.summary().title == "Event study (uniform sup-t bands)"
    opts = es.provenance.options
    assert (opts["B"], opts["seed"], opts["alpha"]) == (199, 5, 0.1)
    assert opts["cluster"] == "grp"
    assert es.provenance.method == "event_study"
    assert es.provenance.n_input == dyn.provenance.n_input
    assert es.provenance.n_used == dyn.provenance.n_used
    assert es.provenance.inputs_hash == dyn.provenance.inputs_hash
    assert es.provenance.dropped == dyn.provenance.dropped
    assert (es.extras["B"], es.extras["seed"]) == (199, 5)
    assert es.extras["overall"]["term"] == "ATT"
    assert es.extras["overall"]["estimate"] == pytest.approx(dyn["ATT"], rel=1e-14)
    np.testing.assert_array_equal(es.extras["influence"], psi)
    assert es.extras["pretrend"] == pretrend_test(dyn)
    # alpha defaults to the C&S result's
    assert event_study(cs_clustered, B=19, seed=1).alpha == dyn.alpha == 0.05


def test_event_study_refuses_other_results(mpdta):
    res = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year",
                            cohort="first.treat")
    simple = aggregate(res, "simple")
    with pytest.raises(ParameterError) as ei:
        event_study(simple)
    assert str(ei.value) == ("The 'res' parameter of event_study must be a callaway_santanna() "
                             f"result or its dynamic aggregation. Got a {simple.method!r} "
                             "result instead.")


# --------------------------------------------------------------------------------------------
# honest_did
# --------------------------------------------------------------------------------------------
def test_honest_did_clustered_covariance_and_event_study_input(cs_clustered):
    """Clustered C&S: the covariance passed to HonestDiD is G/(G-1) S'S / n^2 over cluster
    sums (e = -1 dropped, ordered by event time); an event_study result gives the same."""
    dyn = aggregate(cs_clustered, "dynamic")
    td = dyn.tidy()
    rows = (td["term"].str.startswith("e=") & (td["event_time"] != -1)).to_numpy()
    psi = dyn.extras["influence"][:, rows]
    codes, G, n = dyn.extras["cluster_codes"], dyn.extras["n_clusters"], dyn.extras["n_units"]
    S = np.zeros((G, psi.shape[1]))
    np.add.at(S, codes, psi)
    V = G / (G - 1) * S.T @ S / n ** 2
    b = td.loc[rows, "estimate"].to_numpy()
    direct = relative_magnitudes_cs(b, V, num_pre=3, Mbar=[0.5], l_vec=[0.25] * 4,
                                    grid_points=50, seed=3).tidy()
    h = honest_did(cs_clustered, Mbar=[0.5], grid_points=50, seed=3)
    np.testing.assert_allclose(h.tidy()["conf_low"], direct["conf_low"], rtol=1e-10)
    np.testing.assert_allclose(h.tidy()["conf_high"], direct["conf_high"], rtol=1e-10)
    assert h.extras["se"] == pytest.approx(direct["std_error"].iloc[0], rel=1e-10)
    es = event_study(cs_clustered, B=19, seed=1)
    h2 = honest_did(es, Mbar=[0.5], grid_points=50, seed=3)
    np.testing.assert_allclose(h2.tidy()["conf_low"], direct["conf_low"], rtol=1e-10)
    # smoothness: the same covariance to flci_smoothness
    fl = flci_smoothness(b, V, num_pre=3, M=[0.01], l_vec=[0.25] * 4).tidy()
    hs = honest_did(cs_clustered, restriction="smoothness", M=[0.01])
    np.testing.assert_allclose(hs.tidy()["conf_low"], fl["conf_low"], rtol=1e-8)
    np.testing.assert_allclose(hs.tidy()["conf_high"], fl["conf_high"], rtol=1e-8)


def test_honest_did_table_extras_and_provenance(cs_universal):
    h = honest_did(cs_universal, Mbar=[0.0, 3.0], target=2, grid_points=30, seed=7,
                   method="conditional", alpha=0.1)
    t = h.tidy()
    assert list(t["term"]) == ["Mbar=0", "Mbar=3"]
    assert list(t["n_obs"]) == [500, 500]
    assert list(t["excludes_zero"]) == list((t["conf_low"] > 0) | (t["conf_high"] < 0))
    ex = t.loc[t["excludes_zero"], "Mbar"]
    assert len(ex) >= 1
    assert h.extras["breakdown_Mbar"] == ex.max()
    assert h.extras["target"] == 2
    assert h.extras["event_times"] == [-4.0, -3.0, -2.0, 0.0, 1.0, 2.0, 3.0]
    assert h.extras["l_vec"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert h.extras["method"].startswith("relative magnitudes, HonestDiD conditional (Andrews")
    assert set(h.extras["grid"]) == {0.0, 3.0}
    assert all(len(g) == 30 for g in h.extras["grid"].values())
    assert h.alpha == 0.1 and h.method == "honest_did"
    assert h.summary().title == ("Sensitivity to violations of parallel trends (relative "
                                 "magnitudes)")
    assert h.provenance.options == {"Mbar": [0.0, 3.0], "target": 2,
                                    "restriction": "relative_magnitudes",
                                    "method": "conditional", "grid_points": 30, "seed": 7}
    assert h.provenance.method == "honest_did"
    direct = relative_magnitudes_cs(
        *_es_b_S(cs_universal), num_pre=3, Mbar=[0.0, 3.0], l_vec=[0, 0, 1, 0],
        alpha=0.1, method="conditional", grid_points=30, seed=7).tidy()
    np.testing.assert_allclose(t["conf_low"], direct["conf_low"], rtol=1e-12)
    # no Mbar of the grid excludes 0: NaN breakdown
    h0 = honest_did(cs_universal, Mbar=[3.0], grid_points=12)
    assert not h0.tidy()["excludes_zero"].any() and np.isnan(h0.extras["breakdown_Mbar"])


def _es_b_S(cs):
    dyn = aggregate(cs, "dynamic")
    td = dyn.tidy()
    rows = (td["term"].str.startswith("e=") & (td["event_time"] != -1)).to_numpy()
    psi = dyn.extras["influence"][:, rows]
    return td.loc[rows, "estimate"].to_numpy(), psi.T @ psi / dyn.extras["n_units"] ** 2


def test_honest_did_smoothness_provenance(cs_universal):
    h = honest_did(cs_universal, restriction="smoothness", M=[0.0, 0.01], target=1, alpha=0.1)
    assert h.provenance.options == {"restriction": "smoothness", "M": [0.0, 0.01],
                                    "target": 1, "method": "FLCI"}
    assert h.provenance.method == "honest_did" and h.method == "honest_did"
    assert h.provenance.inputs_hash == cs_universal.provenance.inputs_hash
    assert h.provenance.n_input == cs_universal.provenance.n_input
    assert h.provenance.n_used == cs_universal.provenance.n_used
    assert h.summary().title == ("Sensitivity to violations of parallel trends (smoothness, "
                                 "FLCI)")
    assert h.alpha == 0.1
    assert h.extras["event_times"] == [-4.0, -3.0, -2.0, 0.0, 1.0, 2.0, 3.0]
    assert h.extras["l_vec"].tolist() == [0.0, 1.0, 0.0, 0.0]
    b, S = _es_b_S(cs_universal)
    fl = flci_smoothness(b, S, num_pre=3, M=[0.0, 0.01], l_vec=[0, 1, 0, 0], alpha=0.1)
    np.testing.assert_allclose(h.tidy()["conf_high"], fl.tidy()["conf_high"], rtol=1e-8)
    assert set(h.extras["weights"]) == {0.0, 0.01}


def test_honest_did_errors(mpdta, cs_universal):
    res = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year",
                            cohort="first.treat")
    with pytest.raises(ParameterError) as ei:
        honest_did(res)
    assert str(ei.value) == (
        "The 'res' parameter of honest_did must come from callaway_santanna(..., "
        "base_period='universal') (pre-period effects relative to e = -1). Got "
        "base_period='varying' instead. Fix: re-run with base_period='universal'.")
    with pytest.raises(ParameterError, match="The 'restriction' parameter of honest_did"):
        honest_did(cs_universal, restriction="trend")
    for restriction in ("relative_magnitudes", "smoothness"):
        with pytest.raises(ParameterError) as ei:
            honest_did(cs_universal, restriction=restriction, target=5)
        assert str(ei.value) == ("The 'target' parameter of honest_did must be 'average' or a "
                                 "post-treatment event time in [0.0, 1.0, 2.0, 3.0]. Got 5 "
                                 "instead.")
    # no pre-period besides e = -1
    m = mpdta[(mpdta["year"] >= 2005) & mpdta["first.treat"].isin([0, 2006])]  # e = -1, 0, 1
    cs2 = callaway_santanna(m, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                            base_period="universal")
    with pytest.raises(IdentificationError) as ei:
        honest_did(cs2)
    assert str(ei.value) == ("honest_did: relative magnitudes need at least one pre-period "
                             "besides the reference e = -1 (one pre-period first difference) "
                             "and one post period. Fix: add earlier survey waves.")
    with pytest.raises(IdentificationError) as ei:
        honest_did(cs2, restriction="smoothness")
    assert str(ei.value) == ("honest_did: smoothness restrictions need at least one pre-period "
                             "besides the reference e = -1 and one post period. Fix: add "
                             "earlier survey waves.")
    # exactly one pre-period besides e = -1 (e = -2) is enough for both restrictions
    m3 = mpdta[(mpdta["year"] >= 2004) & mpdta["first.treat"].isin([0, 2006])]
    cs3 = callaway_santanna(m3, y="lemp", unit="countyreal", time="year",
                            cohort="first.treat", base_period="universal")
    assert honest_did(cs3, Mbar=[1.0], grid_points=20).extras["event_times"] == [-2.0, 0.0, 1.0]
    assert honest_did(cs3, restriction="smoothness", M=[0.0]).extras["event_times"] == [
        -2.0, 0.0, 1.0]


# --------------------------------------------------------------------------------------------
# flci_smoothness
# --------------------------------------------------------------------------------------------
def test_flci_m0_is_the_minimum_variance_trend_removing_estimator():
    """b = (0, 0.01, 0.05), Sigma = 1e-4 I, two pre-periods, one post. With pre weights
    (W1, W2 - W1) and W1 + W2 = 1 (removes a linear trend through e = -1) the variance is
    1e-4 (W1^2 + (1 - 2 W1)^2 + 1), minimal at W1 = 0.4: weights (0.4, 0.2, 1), estimate
    0.2 * 0.01 + 0.05 = 0.052, sd 1e-2 sqrt(1.2), half-length z_.975 sd."""
    r = flci_smoothness([0.0, 0.01, 0.05], np.eye(3) * 1e-4, num_pre=2, M=[0.0])
    row = r.tidy().iloc[0]
    sd = 1e-2 * np.sqrt(1.2)
    assert row["term"] == "M=0"
    assert row["estimate"] == pytest.approx(0.052, abs=1e-9)
    assert row["std_error"] == pytest.approx(sd, rel=1e-7)
    assert row["half_length"] == pytest.approx(stats.norm.ppf(0.975) * sd, rel=1e-7)
    assert row["conf_low"] == pytest.approx(0.052 - stats.norm.ppf(0.975) * sd, abs=1e-9)
    assert row["conf_high"] == pytest.approx(0.052 + stats.norm.ppf(0.975) * sd, abs=1e-9)
    assert np.isnan(row["p_value"]) and np.isnan(row["n_obs"]) and row["M"] == 0.0
    np.testing.assert_allclose(r.extras["weights"][0.0], [0.4, 0.2, 1.0], atol=1e-7)
    # alpha = 0.1: z_.95
    r10 = flci_smoothness([0.0, 0.01, 0.05], np.eye(3) * 1e-4, num_pre=2, M=[0.0], alpha=0.1)
    assert r10.tidy()["half_length"].iloc[0] == pytest.approx(stats.norm.ppf(0.95) * sd,
                                                              rel=1e-7)
    assert r10.alpha == 0.1
    assert r.method == "flci_smoothness"
    assert r.summary().title == "FLCI under smoothness restrictions (Rambachan & Roth 2023)"
    assert r.provenance.options == {"num_pre": 2, "l_vec": [1.0], "M": [0.0],
                                    "restriction": "smoothness (Delta^SD)"}


def _folded_quantile(p, t):
    return optimize.brentq(lambda q: stats.norm.cdf(q - t) - stats.norm.cdf(-q - t) - p,
                           0, abs(t) + 20)


def test_flci_one_pre_period_is_the_armstrong_kolesar_interval():
    """One pre-period (e = -2) and one post (e = 0): the only trend-removing estimator is
    b_0 + b_-2 (a linear trend through e = -1 has delta_-2 = -delta_0), its bias is
    delta_0 + delta_-2 = the second difference, at most M. FLCI: estimate b_0 + b_-2,
    half-length cv(M / s) s, cv(t) the 0.95 quantile of |N(t, 1)|, s^2 = 1'Sigma 1."""
    b = np.array([0.02, 0.1])
    S = np.array([[4e-4, 1e-4], [1e-4, 9e-4]])
    s = np.sqrt(4e-4 + 9e-4 + 2e-4)
    r = flci_smoothness(b, S, num_pre=1, M=[0.01, 0.05, 1.0])
    t = r.tidy().set_index("M")
    for m in (0.01, 0.05, 1.0):
        chi = _folded_quantile(0.95, m / s) * s
        assert t.loc[m, "estimate"] == pytest.approx(0.12, abs=1e-9)
        assert t.loc[m, "std_error"] == pytest.approx(s, rel=1e-7)
        assert t.loc[m, "half_length"] == pytest.approx(chi, rel=1e-6)
        assert t.loc[m, "conf_low"] == pytest.approx(0.12 - chi, abs=1e-7)
        np.testing.assert_allclose(r.extras["weights"][m], [1.0, 1.0], atol=1e-6)
    assert list(t.index) == [0.01, 0.05, 1.0]
    assert list(r.tidy()["term"]) == ["M=0.01", "M=0.05", "M=1"]
    assert r.provenance.method == "flci_smoothness"


def _worst_bias(v_pre, lv, m):
    """Worst case of v_pre' delta_pre + l' delta_post over delta with delta_-1 = 0 and every
    second difference in [-M, M] (a linear programme)."""
    K, P = len(v_pre), len(lv)
    n = K + 1 + P                                # e = -K-1 .. -1 .. P-1 (index K is e = -1)
    c = -np.r_[v_pre, 0.0, lv]
    A, ub = [], []
    for i in range(n - 2):
        row = np.zeros(n)
        row[i], row[i + 1], row[i + 2] = 1.0, -2.0, 1.0
        A += [row, -row]
        ub += [m, m]
    bounds = [(None, None)] * n
    bounds[K] = (0.0, 0.0)
    res = optimize.linprog(c, A_ub=np.array(A), b_ub=ub, bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun


def test_flci_two_pre_two_post_against_a_linear_programme():
    """K = 2 pre-periods, P = 2 post, l = (0.5, 0.5): the FLCI half-length is the smallest
    cv(bias(W) / s(W)) s(W) over the trend-removing estimators (Armstrong & Kolesar 2018),
    bias(W) the worst case over Delta^SD(M) by a linear programme, the one free weight by a
    fine grid then a bounded scalar search. The estimator's weights are those of the optimum
    (its bias and sd give its half-length)."""
    b = np.array([0.01, -0.02, 0.05, 0.08])
    A = np.array([[2.0, 0.5, 0.2, 0.1], [0.5, 1.5, 0.3, 0.2], [0.2, 0.3, 2.5, 0.8],
                  [0.1, 0.2, 0.8, 3.0]])
    S = A * 1e-4
    lv = np.array([0.5, 0.5])
    m = 0.02
    r = flci_smoothness(b, S, num_pre=2, M=[m], l_vec=lv)
    target = 1 * 0.5 + 2 * 0.5                    # weights that remove a trend sum to 1.5

    def half(w1):
        W = np.array([w1, target - w1])
        v = np.r_[W[0], W[1] - W[0], lv]
        s = np.sqrt(v @ S @ v)
        return _folded_quantile(0.95, _worst_bias(v[:2], lv, m) / s) * s

    grid = np.linspace(-3, 3, 601)
    vals = np.array([half(w) for w in grid])
    k = int(np.argmin(vals))
    best = optimize.minimize_scalar(half, bounds=(grid[max(k - 1, 0)], grid[min(k + 1, 600)]),
                                    method="bounded", options={"xatol": 1e-10})
    row = r.tidy().iloc[0]
    assert row["half_length"] == pytest.approx(best.fun, rel=1e-6)
    v = r.extras["weights"][m]
    assert v[2:].tolist() == [0.5, 0.5]
    assert v[0] + v[1] * 0 == pytest.approx(v[0])
    s = np.sqrt(v @ S @ v)
    assert row["std_error"] == pytest.approx(s, rel=1e-9)
    assert row["estimate"] == pytest.approx(v @ b, rel=1e-12)
    assert _folded_quantile(0.95, _worst_bias(v[:2], lv, m) / s) * s == pytest.approx(
        best.fun, rel=1e-6)


def test_flci_errors_and_default_target():
    b, S = [0.0, 0.01, 0.05, 0.02], np.eye(4) * 1e-4
    with pytest.raises(ParameterError) as ei:
        flci_smoothness(b, S, num_pre=2, l_vec=[1.0, 0.0, 0.0])
    assert str(ei.value) == ("The 'l_vec' parameter of flci_smoothness must have 2 entries (one "
                             "per post period). Got 3 instead.")
    for bad in (-0.01, float("nan"), float("inf")):
        with pytest.raises(ParameterError) as ei:
            flci_smoothness(b, S, num_pre=2, M=[0.0, bad])
        assert str(ei.value) == ("The 'M' parameter of flci_smoothness must hold non-negative "
                                 f"numbers. Got {bad!r} instead.")
    with pytest.raises(ParameterError, match="The 'num_pre' parameter of flci_smoothness"):
        flci_smoothness(b, S, num_pre=4)
    # default l_vec: the first post period
    a = flci_smoothness(b, S, num_pre=2, M=[0.0, 0.01])
    c = flci_smoothness(b, S, num_pre=2, M=[0.0, 0.01], l_vec=[1.0, 0.0])
    np.testing.assert_allclose(a.tidy()["conf_low"], c.tidy()["conf_low"], rtol=1e-12)
    assert a.provenance.options["l_vec"] == [1.0, 0.0]


# --------------------------------------------------------------------------------------------
# plot_event_study
# --------------------------------------------------------------------------------------------
def test_plot_event_study_draws_what_it_says(cs_universal):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    es = event_study(cs_universal, B=99, seed=2)
    ax = plot_event_study(es)
    td = es.tidy()
    assert ax.get_xlabel() == "years since the village entered the programme"
    assert ax.get_ylabel() == "effect"
    p = es.extras["pretrend"]["p_value"]
    assert ax.get_title() == f"Event study (pre-trend test p = {p:.2f})"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["95% uniform band", "pointwise CI", "pre-treatment", "post-treatment"]
    pts = {ln.get_label(): ln.get_xydata() for ln in ax.get_lines()
           if ln.get_label() in ("pre-treatment", "post-treatment")}
    pre = td["event_time"] < 0
    np.testing.assert_array_equal(pts["pre-treatment"][:, 0], td.loc[pre, "event_time"])
    np.testing.assert_array_equal(pts["post-treatment"][:, 1], td.loc[~pre, "estimate"])
    band = [np.asarray(s) for s in ax.collections[0].get_segments()]
    fin = td[np.isfinite(td["conf_low"])]
    drawn = [(s[0, 0], s[0, 1], s[1, 1]) for s in band if s.ndim == 2 and np.isfinite(s).all()]
    assert drawn == list(zip(fin["event_time"], fin["conf_low"], fin["conf_high"]))
    # the styling: a wide light band, thin dark whiskers, dots, the treatment line at -0.5
    assert ax.collections[0].get_linewidths()[0] == 10
    assert ax.collections[1].get_linewidths()[0] == 1.2
    assert pts and all(ln.get_marker() == "o" and ln.get_linestyle() == "None"
                       for ln in ax.get_lines() if ln.get_label() in pts)
    vline = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [-0.5, -0.5]]
    assert len(vline) == 1 and vline[0].get_linewidth() == 0.8
    assert vline[0].get_linestyle() == ":"
    assert not ax.get_legend().get_frame_on()
    plt.close(ax.figure)
    # a C&S result is turned into its event study; a given title and axes are used
    fig, ax2 = plt.subplots()
    out = plot_event_study(cs_universal, ax=ax2, title="mine")
    assert out is ax2 and ax2.get_title() == "mine"
    plt.close(fig)
    # no pre-trend p-value: the plain title
    nop = EstimateResult(td, method="event_study", own_intervals=True, extras={})
    ax3 = plot_event_study(nop)
    assert ax3.get_title() == "Event study"
    plt.close(ax3.figure)


def test_flci_m0_with_many_pre_periods_is_the_kkt_solution():
    """M = 0 is an equality-constrained quadratic programme: minimise the variance
    W'QW + c'W + s over the cumulative pre weights W subject to sum W = 1 (trend removal);
    its solution solves the linear KKT system [[2Q, 1], [1', 0]] (W, lambda) = (-c, 1).
    With 20 pre-periods SLSQP needs more than its default 100 iterations (119 here), so the
    iteration limit the function sets matters."""
    K = 20
    rng = np.random.default_rng(K)
    A = rng.normal(size=(K + 2, K + 2))
    S = (A @ A.T / (K + 2) + np.eye(K + 2)) * 1e-4
    b = rng.normal(size=K + 2) * 0.01
    D = np.eye(K)
    D[np.arange(1, K), np.arange(K - 1)] = -1.0
    lv = np.array([1.0, 0.0])
    Q, c = D.T @ S[:K, :K] @ D, 2 * D.T @ S[:K, K:] @ lv
    kkt = np.block([[2 * Q, np.ones((K, 1))], [np.ones((1, K)), np.zeros((1, 1))]])
    W = np.linalg.solve(kkt, np.r_[-c, 1.0])[:K]
    v = np.r_[D @ W, lv]
    r = flci_smoothness(b, S, num_pre=K, M=[0.0])
    row = r.tidy().iloc[0]
    assert row["std_error"] == pytest.approx(np.sqrt(v @ S @ v), rel=1e-12)
    np.testing.assert_allclose(r.extras["weights"][0.0], v, atol=1e-6)
    assert row["estimate"] == pytest.approx(v @ b, abs=1e-8)
