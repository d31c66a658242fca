"""Power and MDE formulas pinned by hand (issue 18, mutation round of impact/power.py).

Expected values are the closed forms of the module docstring written out in the test (Bloom
2005; Duflo, Glennerster & Kremer 2007, eq. 11-12; McKenzie 2012 for the DiD factor), with
``scipy.stats.t`` for the t quantiles, or exact hand arithmetic (the ANOVA ICC, the
simulation counter).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact.power import (clusters_needed, design_effect, intra_cluster_correlation,
                                       mde_cluster, mde_did, mde_staggered, power_cluster,
                                       power_staggered, simulate_power)


def test_design_effect_is_kish():
    """1 + (n - 1) rho: 1 + 49 * 0.1 = 5.9; a cluster of one has no design effect."""
    assert design_effect(50, 0.1) == pytest.approx(5.9, rel=1e-15)
    assert design_effect(1, 0.7) == 1.0
    assert design_effect(11, 1.0) == 11.0


def _se_unit(J, n, icc, r2, r2c, P):
    return np.sqrt(icc * (1 - r2c) / (P * (1 - P) * J) + (1 - icc) * (1 - r2) / (P * (1 - P) * J * n))


def test_mde_cluster_every_argument_by_hand():
    """J = 40, n = 25, rho = 0.2, R2 = 0.3 (households), R2_c = 0.5 (clusters), P = 0.3,
    take-up 0.9 vs 0.2, alpha 0.1, power 0.9, sd 2; two- and one-sided."""
    J, n, icc = 40, 25, 0.2
    se = _se_unit(J, n, icc, 0.3, 0.5, 0.3)
    M2 = stats.t.ppf(1 - 0.1 / 2, J - 2) + stats.t.ppf(0.9, J - 2)
    M1 = stats.t.ppf(1 - 0.1, J - 2) + stats.t.ppf(0.9, J - 2)
    kw = dict(r2=0.3, r2_cluster=0.5, treat_share=0.3, takeup=0.9, control_takeup=0.2,
              alpha=0.1, power=0.9, sd=2.0)
    assert mde_cluster(J, n, icc, **kw) == pytest.approx(M2 * se * 2 / 0.7, rel=1e-12)
    assert mde_cluster(J, n, icc, two_sided=False, **kw) == pytest.approx(M1 * se * 2 / 0.7,
                                                                         rel=1e-12)
    # r2_cluster defaults to r2
    se_same = _se_unit(J, n, icc, 0.3, 0.3, 0.5)
    M = stats.t.ppf(0.975, J - 2) + stats.t.ppf(0.8, J - 2)
    assert mde_cluster(J, n, icc, r2=0.3) == pytest.approx(M * se_same, rel=1e-12)


def test_power_cluster_every_argument_by_hand():
    """Power = T(lam - q) + T(-lam - q) (two-sided; the second term only then), T the t cdf on
    J - 2 df, lam = |effect| (c - s) / se, q = t_{1 - alpha/2} (one-sided t_{1 - alpha})."""
    J, n, icc = 40, 25, 0.2
    kw = dict(r2=0.3, r2_cluster=0.5, treat_share=0.3, takeup=0.9, control_takeup=0.2,
              alpha=0.1, sd=2.0)
    se = _se_unit(J, n, icc, 0.3, 0.5, 0.3) * 2.0
    for effect in (0.15, -0.15):
        lam = 0.15 * 0.7 / se
        q2, q1 = stats.t.ppf(0.95, J - 2), stats.t.ppf(0.9, J - 2)
        two = stats.t.cdf(lam - q2, J - 2) + stats.t.cdf(-lam - q2, J - 2)
        one = stats.t.cdf(lam - q1, J - 2)
        assert power_cluster(effect, J, n, icc, **kw) == pytest.approx(two, rel=1e-12)
        assert power_cluster(effect, J, n, icc, two_sided=False, **kw) == pytest.approx(
            one, rel=1e-12)
    # one-sided: the MDE at power p has power exactly p (no far rejection tail)
    m = mde_cluster(J, n, icc, two_sided=False, power=0.85, **kw)
    assert power_cluster(m, J, n, icc, two_sided=False, **kw) == pytest.approx(0.85, rel=1e-12)
    # no effect, one-sided: the size alpha
    assert power_cluster(0.0, J, n, icc, two_sided=False, **kw) == pytest.approx(0.1, rel=1e-12)


def test_clusters_needed_is_the_smallest_sufficient_number():
    """The answer J has power >= target and J - 1 has not; a huge effect needs the minimum of
    3 clusters; other arguments reach power_cluster."""
    for eff, kw in ((0.3, {}), (0.2, {"r2": 0.5, "takeup": 0.8}), (0.05, {})):
        J = clusters_needed(eff, 20, 0.1, power=0.9, **kw)
        assert power_cluster(eff, J, 20, 0.1, **kw) >= 0.9
        assert power_cluster(eff, J - 1, 20, 0.1, **kw) < 0.9
    # the search's upper end doubles from 4: 9 clusters needs one doubling past 8
    for eff in np.linspace(0.3, 1.2, 10):
        J = clusters_needed(eff, 20, 0.1)
        assert power_cluster(eff, J, 20, 0.1) >= 0.8 > (power_cluster(eff, J - 1, 20, 0.1)
                                                         if J > 3 else 0.0)
    assert clusters_needed(50.0, 20, 0.1) == 3
    with pytest.raises(ParameterError) as ei:
        clusters_needed(0.001, 20, 0.1, max_clusters=1000)
    assert str(ei.value) == ("The 'effect' parameter of clusters_needed is too small to be "
                             "detected with at most 1000 clusters. Got 0.001 instead.")
    # max_clusters is honoured: 0.05 needs more than 100 clusters of 20 at rho 0.1
    need = clusters_needed(0.05, 20, 0.1)
    assert need > 100
    with pytest.raises(ParameterError, match="at most 64 clusters"):
        clusters_needed(0.05, 20, 0.1, max_clusters=64)
    # the limit is inclusive: an effect that needs between 33 and 64 clusters is found with
    # max_clusters=64 (the search's upper end reaches exactly 64 = 4 * 2^4)
    need = clusters_needed(0.3, 20, 0.1)
    assert 32 < need <= 64
    assert clusters_needed(0.3, 20, 0.1, max_clusters=64) == need


def test_mde_did_passes_every_argument_on():
    """MDE_DiD = MDE of one cross-section (same arguments) * sqrt((1 - a)(m + r)/(m r))."""
    kw = dict(r2=0.25, treat_share=0.4, takeup=0.6, alpha=0.1, power=0.9, sd=1.5)
    for two_sided in (True, False):
        base = mde_cluster(60, 30, 0.05, two_sided=two_sided, **kw)
        got = mde_did(60, 30, 0.05, n_pre=3, n_post=2, autocorr=0.3, two_sided=two_sided, **kw)
        assert got == pytest.approx(base * np.sqrt(0.7 * 5 / 6), rel=1e-12)
    # defaults: one pre, one post, autocorrelation 0 -> sqrt(2)
    assert mde_did(60, 30, 0.05) == pytest.approx(mde_cluster(60, 30, 0.05) * np.sqrt(2),
                                                  rel=1e-12)
    with pytest.raises(ParameterError) as ei:
        mde_did(60, 30, 0.05, n_pre=0)
    assert str(ei.value) == ("The 'n_pre/n_post' parameter of mde_did must be at least 1. "
                             "Got (0, 1) instead.")
    with pytest.raises(ParameterError, match=r"Got \(1, 0\) instead"):
        mde_did(60, 30, 0.05, n_post=0)
    mde_did(60, 30, 0.05, n_pre=1, n_post=1, autocorr=0.0)  # the boundaries are allowed
    with pytest.raises(ParameterError, match="'autocorr' parameter of mde_did must be a number "
                                             r"in \[0, 1\)"):
        mde_did(60, 30, 0.05, autocorr=1.0)


def _stag_se(cohorts, n_never, periods, n, icc, a, r2, sd, base):
    """The module docstring's staggered variance, cohort by cohort (written out for the test)."""
    sig2 = sd ** 2 * (1 - r2) * (icc + (1 - icc) / n)
    vt, vc, wt = [], [], []
    for g, J in cohorts.items():
        pre = sum(p < g for p in periods)
        m = pre if base == "all" else min(1, pre)
        r = sum(p >= g for p in periods)
        if m and r:
            k = (1 - a) * (m + r) / (m * r)
            vt.append(sig2 * k / J)
            vc.append(sig2 * k / n_never)
            wt.append(J * r)
    w = np.array(wt) / sum(wt)
    return np.sqrt(np.sum(w ** 2 * vt) + np.sum(w * np.sqrt(vc)) ** 2)


def test_staggered_variance_by_hand():
    """Cohorts 2024 (20 clusters) and 2025 (10), 30 never treated, periods 2022-2025, n = 50,
    rho = 0.1, a = 0.4, R2 = 0.2, sd = 2: sigma^2 of a cluster mean = 4 * 0.8 * (0.1 + 0.9/50)
    = 0.3776. base "short": 2024 has m = 1, r = 2 (k = 0.6 * 3/2 = 0.9), 2025 has m = 1,
    r = 1 (k = 1.2); weights J r = (40, 10) -> (0.8, 0.2).
    v = 0.8^2 * 0.3776 * 0.9/20 + 0.2^2 * 0.3776 * 1.2/10
        + (0.8 sqrt(0.3776 * 0.9/30) + 0.2 sqrt(0.3776 * 1.2/30))^2.
    base "all": 2024 m = 2 (k = 0.6), 2025 m = 3 (k = 0.8). J = 20 + 10 + 30 = 60 clusters."""
    sig2 = 4 * 0.8 * (0.1 + 0.9 / 50)
    assert sig2 == pytest.approx(0.3776, rel=1e-14)
    v_short = (0.64 * sig2 * 0.9 / 20 + 0.04 * sig2 * 1.2 / 10
               + (0.8 * np.sqrt(sig2 * 0.9 / 30) + 0.2 * np.sqrt(sig2 * 1.2 / 30)) ** 2)
    v_all = (0.64 * sig2 * 0.6 / 20 + 0.04 * sig2 * 0.8 / 10
             + (0.8 * np.sqrt(sig2 * 0.6 / 30) + 0.2 * np.sqrt(sig2 * 0.8 / 30)) ** 2)
    coh, per = {2024: 20, 2025: 10}, [2025, 2022, 2024, 2023]
    kw = dict(autocorr=0.4, r2=0.2, sd=2.0)
    M = stats.t.ppf(0.975, 58) + stats.t.ppf(0.8, 58)
    assert mde_staggered(coh, 30, per, 50, 0.1, **kw) == pytest.approx(M * np.sqrt(v_short),
                                                                       rel=1e-12)
    assert mde_staggered(coh, 30, per, 50, 0.1, base="all", **kw) == pytest.approx(
        M * np.sqrt(v_all), rel=1e-12)
    assert np.sqrt(v_short) == pytest.approx(_stag_se(coh, 30, per, 50, 0.1, 0.4, 0.2, 2.0,
                                                      "short"), rel=1e-14)
    # take-up, alpha and power
    M2 = stats.t.ppf(0.95, 58) + stats.t.ppf(0.9, 58)
    assert mde_staggered(coh, 30, per, 50, 0.1, takeup=0.5, alpha=0.1, power=0.9, **kw) == \
        pytest.approx(M2 * np.sqrt(v_short) / 0.5, rel=1e-12)
    # power: T(lam - q) + T(-lam - q), lam = |effect| takeup / se, q = t_{1 - alpha/2}, 58 df
    se = np.sqrt(v_short)
    for eff in (0.2, -0.2):
        lam = 0.2 * 0.5 / se
        q = stats.t.ppf(0.95, 58)
        want = stats.t.cdf(lam - q, 58) + stats.t.cdf(-lam - q, 58)
        assert power_staggered(eff, coh, 30, per, 50, 0.1, takeup=0.5, alpha=0.1, **kw) == \
            pytest.approx(want, rel=1e-12)
    lam = 0.2 / np.sqrt(v_all)
    q = stats.t.ppf(0.975, 58)
    assert power_staggered(0.2, coh, 30, per, 50, 0.1, base="all", **kw) == pytest.approx(
        stats.t.cdf(lam - q, 58) + stats.t.cdf(-lam - q, 58), rel=1e-12)


def test_staggered_cohorts_without_pre_or_post_periods_are_skipped():
    """A cohort first treated before the first period (no pre-period) or after the last (no
    post-period) adds nothing to the variance but its clusters count in J (the t degrees of
    freedom)."""
    per = [2023, 2024, 2025]
    se = _stag_se({2024: 20}, 30, per, 40, 0.05, 0.0, 0.0, 1.0, "short")
    # J = 20 + 30 = 50 without, 20 + 5 + 7 + 30 = 62 with the two idle cohorts
    for coh, J in (({2024: 20}, 50), ({2024: 20, 2023: 5, 2026: 7}, 62)):
        M = stats.t.ppf(0.975, J - 2) + stats.t.ppf(0.8, J - 2)
        assert mde_staggered(coh, 30, per, 40, 0.05) == pytest.approx(M * se, rel=1e-12)
    with pytest.raises(ParameterError) as ei:
        mde_staggered({2023: 5, 2026: 7}, 30, per, 40, 0.05)
    assert str(ei.value) == ("The 'cohorts' parameter of mde_staggered must include a cohort "
                             "with pre- and post-treatment periods. Got none.")
    with pytest.raises(ParameterError) as ei:
        power_staggered(0.1, {2024: 20}, 1, per, 40, 0.05)
    assert str(ei.value) == ("The 'n_never' parameter of power_staggered must be at least 2. "
                             "Got 1 instead.")
    mde_staggered({2024: 20}, 2, per, 40, 0.05)  # two never-treated clusters are enough
    # counts from pandas (numpy integers, as value_counts gives them) are whole numbers too
    assert (mde_staggered({2024: np.int64(20)}, 30, per, 40, 0.05)
            == mde_staggered({2024: 20}, 30, per, 40, 0.05))
    assert mde_staggered({2024: 1}, 30, per, 40, 0.05) > 0  # one cluster in a cohort is allowed


@pytest.mark.parametrize("call, message", [
    (lambda: mde_cluster(50, 10, 1.5), "The 'icc' parameter of mde_cluster must be a number in "
                                        "[0, 1). Got 1.5 instead."),
    (lambda: mde_cluster(50, 10, -0.1), "The 'icc' parameter of mde_cluster must be a number in "
                                         "[0, 1). Got -0.1 instead."),
    (lambda: mde_cluster(50, 10, None), "The 'icc' parameter of mde_cluster must be a number. "
                                        "Got None instead."),
    (lambda: mde_cluster(50, 10, float("nan")), "The 'icc' parameter of mde_cluster must be a "
                                                "finite number. Got nan instead."),
    (lambda: mde_cluster(50, "10", 0.1), "The 'cluster_size' parameter of mde_cluster must be a "
                                         "finite number. Got '10' instead."),
    (lambda: mde_cluster(50, 10, 0.1, r2=1.0), "The 'r2' parameter of mde_cluster must be a "
                                                "number in [0, 1). Got 1.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, r2_cluster=1.0), "The 'r2_cluster' parameter of "
                                                        "mde_cluster must be a number in [0, 1). "
                                                        "Got 1.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, control_takeup=1.0), "The 'control_takeup' parameter of "
                                                            "mde_cluster must be a number in "
                                                            "[0, 1). Got 1.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, treat_share=1.0), "The 'treat_share' parameter of "
                                                         "mde_cluster must be a number in (0, 1). "
                                                         "Got 1.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, treat_share=0.0), "The 'treat_share' parameter of "
                                                         "mde_cluster must be a number in (0, 1). "
                                                         "Got 0.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, alpha=0.0), "The 'alpha' parameter of mde_cluster must be "
                                                   "a number in (0, 1). Got 0.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, power=1.0), "The 'power' parameter of mde_cluster must be "
                                                   "a number in (0, 1). Got 1.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, takeup=0.0), "The 'takeup' parameter of mde_cluster must be "
                                                    "a number in (0, 1]. Got 0.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, takeup=1.5), "The 'takeup' parameter of mde_cluster must be "
                                                    "a number in (0, 1]. Got 1.5 instead."),
    (lambda: mde_cluster(2, 10, 0.1), "The 'n_clusters' parameter of mde_cluster must be at "
                                      "least 3. Got 2 instead."),
    (lambda: mde_cluster(50, 0, 0.1), "The 'cluster_size' parameter of mde_cluster must be "
                                      "positive. Got 0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, sd=0.0), "The 'sd' parameter of mde_cluster must be "
                                                "positive. Got 0.0 instead."),
    (lambda: mde_cluster(50, 10, 0.1, takeup=0.3, control_takeup=0.3),
     "The 'takeup' parameter of mde_cluster must exceed control_takeup. Got takeup=0.3, "
     "control_takeup=0.3 instead."),
    (lambda: power_cluster(0.1, 50, 10, 0.1, alpha=1.0), "The 'alpha' parameter of power_cluster "
                                                          "must be a number in (0, 1). Got 1.0 "
                                                          "instead."),
    (lambda: power_cluster(0.1, 50, 10, 0.1, r2=-0.5), "The 'r2' parameter of power_cluster must "
                                                        "be a number in [0, 1). Got -0.5 "
                                                        "instead."),
    (lambda: power_cluster(0.1, 50, 10, 0.1, sd=-1.0), "The 'sd' parameter of power_cluster must "
                                                        "be positive. Got -1.0 instead."),
    (lambda: power_cluster(0.1, 50, 10, 0.1, takeup=0.0), "The 'takeup' parameter of "
                                                           "power_cluster must be a number in "
                                                           "(0, 1]. Got 0.0 instead."),
    (lambda: power_cluster(0.1, 50, 10, 0.1, treat_share=0.0), "The 'treat_share' parameter of "
                                                                "power_cluster must be a number "
                                                                "in (0, 1). Got 0.0 instead."),
    (lambda: power_cluster(0.1, 2, 10, 0.1), "The 'n_clusters' parameter of power_cluster must "
                                             "be at least 3. Got 2 instead."),
    (lambda: power_cluster(0.1, 50, 0, 0.1), "The 'cluster_size' parameter of power_cluster must "
                                             "be positive. Got 0 instead."),
    (lambda: power_cluster(0.1, 50, 10, 1.2), "The 'icc' parameter of power_cluster must be a "
                                              "number in [0, 1). Got 1.2 instead."),
    (lambda: mde_did(50, 10, 0.1, r2=1.0), "The 'r2' parameter of mde_did must be a number in "
                                           "[0, 1). Got 1.0 instead."),
    (lambda: mde_did(50, 10, 0.1, power=0.0), "The 'power' parameter of mde_did must be a number "
                                              "in (0, 1). Got 0.0 instead."),
    (lambda: mde_did(2, 10, 0.1), "The 'n_clusters' parameter of mde_did must be at least 3. "
                                  "Got 2 instead."),
    (lambda: mde_did(50, 10, 0.1, treat_share=0.0), "The 'treat_share' parameter of mde_did "
                                                    "must be a number in (0, 1). Got 0.0 "
                                                    "instead."),
    (lambda: mde_did(50, 10, 0.1, takeup=0.0), "The 'takeup' parameter of mde_did must be a "
                                               "number in (0, 1]. Got 0.0 instead."),
    (lambda: mde_did(50, 10, 0.1, alpha=0.0), "The 'alpha' parameter of mde_did must be a "
                                              "number in (0, 1). Got 0.0 instead."),
    (lambda: mde_did(50, 0, 0.1), "The 'cluster_size' parameter of mde_did must be positive. "
                                  "Got 0 instead."),
    (lambda: mde_did(50, 10, 1.5), "The 'icc' parameter of mde_did must be a number in [0, 1). "
                                   "Got 1.5 instead."),
    (lambda: mde_did(50, 10, 0.1, sd=0.0), "The 'sd' parameter of mde_did must be positive. "
                                           "Got 0.0 instead."),
    (lambda: mde_staggered({2024: 9}, 1, [2023, 2024], 10, 0.1),
     "The 'n_never' parameter of mde_staggered must be at least 2. Got 1 instead."),
    # a cohort of 0 clusters divided by zero (ZeroDivisionError), a negative or fractional one
    # gave an MDE silently (bug noticed in session 7, fixed in session 8)
    (lambda: mde_staggered({2024: 0, 2025: 20}, 30, [2023, 2024, 2025], 80, 0.03),
     "The 'cohorts' parameter of mde_staggered must give each cohort a whole number of "
     "clusters, at least 1. Got {2024: 0} instead. Fix: give the number of clusters first "
     "treated in each period, and leave out periods in which none start."),
    (lambda: power_staggered(0.01, {2024: -5, 2025: 2.5}, 30, [2023, 2024, 2025], 80, 0.03),
     "The 'cohorts' parameter of power_staggered must give each cohort a whole number of "
     "clusters, at least 1. Got {2024: -5, 2025: 2.5} instead. Fix: give the number of "
     "clusters first treated in each period, and leave out periods in which none start."),
    (lambda: mde_staggered({2024: True}, 30, [2023, 2024, 2025], 80, 0.03),
     "The 'cohorts' parameter of mde_staggered must give each cohort a whole number of "
     "clusters, at least 1. Got {2024: True} instead. Fix: give the number of clusters first "
     "treated in each period, and leave out periods in which none start."),
    # power_cluster checks its take-up arguments as mde_cluster does (bug fixed: they were
    # not checked, and an impossible design got a power)
    (lambda: power_cluster(0.1, 50, 10, 0.1, r2_cluster=1.0), "The 'r2_cluster' parameter of "
                                                               "power_cluster must be a number in "
                                                               "[0, 1). Got 1.0 instead."),
    (lambda: power_cluster(0.1, 50, 10, 0.1, control_takeup=-0.1),
     "The 'control_takeup' parameter of power_cluster must be a number in [0, 1). Got -0.1 "
     "instead."),
    (lambda: power_cluster(0.1, 50, 10, 0.1, takeup=0.3, control_takeup=0.5),
     "The 'takeup' parameter of power_cluster must exceed control_takeup. Got takeup=0.3, "
     "control_takeup=0.5 instead."),
    (lambda: clusters_needed(0.1, 10, 0.1, takeup=0.2, control_takeup=0.2),
     "The 'takeup' parameter of power_cluster must exceed control_takeup. Got takeup=0.2, "
     "control_takeup=0.2 instead."),
    # a misspelt base is refused (bug fixed: anything but "all" silently meant "short")
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, base="al"),
     "The 'base' parameter of mde_staggered must be one of {'short', 'all'}. Got 'al' instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], 10, 0.1, base="Short"),
     "The 'base' parameter of power_staggered must be one of {'short', 'all'}. Got 'Short' "
     "instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 0, 0.1), "The 'cluster_size' parameter of "
                                                                 "mde_staggered must be positive. "
                                                                 "Got 0 instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, autocorr=-0.1),
     "The 'autocorr' parameter of mde_staggered must be a number in [0, 1). Got -0.1 instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, takeup=0.0),
     "The 'takeup' parameter of mde_staggered must be a number in (0, 1]. Got 0.0 instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, power=1.0),
     "The 'power' parameter of mde_staggered must be a number in (0, 1). Got 1.0 instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, r2=1.0),
     "The 'r2' parameter of mde_staggered must be a number in [0, 1). Got 1.0 instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, sd=0.0),
     "The 'sd' parameter of mde_staggered must be positive. Got 0.0 instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 1.5),
     "The 'icc' parameter of mde_staggered must be a number in [0, 1). Got 1.5 instead."),
    (lambda: mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, alpha=0.0),
     "The 'alpha' parameter of mde_staggered must be a number in (0, 1). Got 0.0 instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], 10, 0.1, alpha=1.0),
     "The 'alpha' parameter of power_staggered must be a number in (0, 1). Got 1.0 instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], 10, 0.1, takeup=2.0),
     "The 'takeup' parameter of power_staggered must be a number in (0, 1]. Got 2.0 instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], -1, 0.1),
     "The 'cluster_size' parameter of power_staggered must be positive. Got -1 instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], 10, -0.2),
     "The 'icc' parameter of power_staggered must be a number in [0, 1). Got -0.2 instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], 10, 0.1, autocorr=1.0),
     "The 'autocorr' parameter of power_staggered must be a number in [0, 1). Got 1.0 instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], 10, 0.1, r2=1.0),
     "The 'r2' parameter of power_staggered must be a number in [0, 1). Got 1.0 instead."),
    (lambda: power_staggered(0.1, {2024: 9}, 9, [2023, 2024], 10, 0.1, sd=0.0),
     "The 'sd' parameter of power_staggered must be positive. Got 0.0 instead."),
])
def test_parameter_messages(call, message):
    with pytest.raises(ParameterError) as ei:
        call()
    assert str(ei.value) == message


def test_parameter_boundaries_that_are_allowed():
    """icc 0 and 1, r2 0, take-up 1, 3 clusters, numpy scalars: all accepted (finite MDEs)."""
    for v in (mde_cluster(50, 10, 0.0), mde_cluster(50, 10, 1.0), mde_cluster(3, 10, 0.1),
              mde_cluster(np.int64(50), np.float64(10.0), np.float32(0.1)),
              mde_cluster(50, 10, 0.1, r2=0.0, r2_cluster=0.0, control_takeup=0.0, takeup=1.0),
              mde_did(50, 10, 0.1, autocorr=0.0),
              mde_staggered({2024: 9}, 9, [2023, 2024], 10, 0.1, autocorr=0.0, r2=0.0)):
        assert np.isfinite(v) and v > 0
    # icc = 1: only the cluster term is left, sqrt(1 / (0.25 * 50))
    M = stats.t.ppf(0.975, 48) + stats.t.ppf(0.8, 48)
    assert mde_cluster(50, 10, 1.0) == pytest.approx(M * np.sqrt(1 / 12.5), rel=1e-12)


def test_intra_cluster_correlation_by_hand():
    """Clusters A = (1, 2, 3), B = (4, 6), C = (5): N = 6, J = 3, grand mean 3.5, cluster means
    2, 5, 5. MSB = (3 * 2.25 + 2 * 2.25 + 2.25) / 2 = 27/4; MSW = (1 + 0 + 1 + 1 + 1 + 0) / 3
    = 4/3; n0 = (6 - (9 + 4 + 1)/6) / 2 = 11/6.
    rho = (27/4 - 4/3) / (27/4 + (5/6)(4/3)) = (65/12) / (283/36) = 195/283.
    Rows with a missing value are dropped; text cluster labels work."""
    d = pd.DataFrame({"v": ["A", "A", "A", "B", "B", "C", "C", "D"],
                      "y": [1.0, 2.0, 3.0, 4.0, 6.0, 5.0, np.nan, 7.0]})
    d.loc[7, "v"] = None
    assert intra_cluster_correlation(d, y="y", cluster="v") == pytest.approx(195 / 283,
                                                                            rel=1e-13)


def test_intra_cluster_correlation_clipped_and_degenerate():
    """Equal cluster means: MSB = 0, MSW = 1, n0 = 2: (0 - 1)/(0 + 1) = -1 -> 0. All values
    equal: MSB = MSW = 0, the ratio is undefined -> 0."""
    d = pd.DataFrame({"v": [1, 1, 2, 2], "y": [0.0, 2.0, 1.0, 1.0]})
    assert intra_cluster_correlation(d, y="y", cluster="v") == 0.0
    assert intra_cluster_correlation(d.assign(y=3.0), y="y", cluster="v") == 0.0
    # two clusters with means 0 and 2 (grand mean 1): MSB = (2 * 1 + 2 * 1) / 1 = 4,
    # MSW = (1 + 1 + 1 + 1) / 2 = 2, n0 = (4 - 8/4) / 1 = 2: (4 - 2) / (4 + 2) = 1/3
    d2 = pd.DataFrame({"v": [1, 1, 2, 2], "y": [-1.0, 1.0, 1.0, 3.0]})
    assert intra_cluster_correlation(d2, y="y", cluster="v") == pytest.approx(1 / 3, rel=1e-13)


def test_intra_cluster_correlation_errors():
    d = pd.DataFrame({"v": [1, 1, 2], "y": [0.0, 1.0, 2.0]})
    with pytest.raises(ParameterError) as ei:
        intra_cluster_correlation(d, y="z", cluster="v")
    assert str(ei.value) == ("The 'y' parameter of intra_cluster_correlation must name a column "
                             "of data. Got 'z' instead.")
    with pytest.raises(ParameterError) as ei:
        intra_cluster_correlation(d, y="y", cluster="w")
    assert str(ei.value) == ("The 'cluster' parameter of intra_cluster_correlation must name a "
                             "column of data. Got 'w' instead.")
    with pytest.raises(ParameterError) as ei:
        intra_cluster_correlation(d.assign(v=1), y="y", cluster="v")
    assert str(ei.value) == ("The 'data' parameter of intra_cluster_correlation must be at least "
                             "two clusters and more rows than clusters. Got '1 clusters, 3 "
                             "rows' instead.")
    with pytest.raises(ParameterError, match="Got '3 clusters, 3 rows' instead"):
        intra_cluster_correlation(d.assign(v=[1, 2, 3]), y="y", cluster="v")
    with pytest.raises(ParameterError, match="Got '0 clusters, 0 rows' instead"):
        intra_cluster_correlation(d.assign(y=np.nan), y="y", cluster="v")


def test_simulate_power_counts_strict_rejections():
    """p-values cycle through (0.01, 0.05, 0.2, 0.04): at alpha = 0.05 two of four reject
    (0.05 is not below 0.05): power 1/2, MC s.e. sqrt(1/4 / 4) = 1/4; estimates (1, 2, 3, 4)
    have mean 5/2. The generator is numpy's default_rng(seed)."""
    ps = [0.01, 0.05, 0.2, 0.04]
    calls = []

    def est(rng, eff):
        i = len(calls)
        calls.append((rng.random(), eff))
        return ps[i % 4], float(i % 4 + 1)

    res = simulate_power(est, 0.3, n_sims=8, seed=12)
    assert res == {"power": 0.5, "mc_se": pytest.approx(0.25 / np.sqrt(2), rel=1e-15),
                   "mean_estimate": 2.5, "n_sims": 8}
    ref = np.random.default_rng(12)
    assert [c[0] for c in calls] == [ref.random() for _ in range(8)]
    assert {c[1] for c in calls} == {0.3}
    calls.clear()
    res = simulate_power(est, 0.1, n_sims=4, alpha=0.03, seed=1)
    assert res["power"] == 0.25 and res["mc_se"] == pytest.approx(np.sqrt(3 / 64), rel=1e-15)
    calls.clear()
    res = simulate_power(est, 0.1)  # defaults: 200 simulations at alpha 0.05
    assert res["n_sims"] == 200 and len(calls) == 200
    assert res["power"] == 0.5
