"""Power and MDE: closed forms against hand computation and statsmodels, and by simulation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact.power import (clusters_needed, design_effect, mde_cluster, mde_did,
                                       mde_staggered, power_cluster, simulate_power)


def test_mde_hand_computation():
    # Bloom (2005): M_{J-2} = t_.975 + t_.80 on 98 df; SE = sqrt(rho/(P(1-P)J) + (1-rho)/(P(1-P)Jn))
    M = stats.t.ppf(0.975, 98) + stats.t.ppf(0.8, 98)
    se = np.sqrt(0.1 / (0.25 * 100) + 0.9 / (0.25 * 100 * 50))
    assert mde_cluster(100, 50, 0.1) == pytest.approx(M * se, rel=1e-12)
    # take-up 50%: the effect on participants must be twice as large
    assert mde_cluster(100, 50, 0.1, takeup=0.5) == pytest.approx(2 * M * se, rel=1e-12)
    # covariates explaining 40% at both levels shrink the MDE by sqrt(0.6)
    assert mde_cluster(100, 50, 0.1, r2=0.4) == pytest.approx(M * se * np.sqrt(0.6), rel=1e-12)


def test_large_J_matches_statsmodels_t_test_with_design_effect():
    from statsmodels.stats.power import TTestIndPower
    J, n, rho = 2000, 20, 0.05
    n_eff = (J / 2) * n / design_effect(n, rho)
    es = TTestIndPower().solve_power(nobs1=n_eff, alpha=0.05, power=0.8, ratio=1.0)
    assert mde_cluster(J, n, rho) == pytest.approx(es, rel=0.005)


def test_power_inverts_mde_and_clusters_needed():
    m = mde_cluster(60, 30, 0.12, r2=0.3)
    assert power_cluster(m, 60, 30, 0.12, r2=0.3) == pytest.approx(0.8, abs=1e-4)
    J = clusters_needed(m, 30, 0.12, r2=0.3)
    assert J in (59, 60, 61)
    assert power_cluster(0.0, 60, 30, 0.12) == pytest.approx(0.05, abs=1e-12)


def test_did_factor():
    base = mde_cluster(80, 40, 0.1)
    assert mde_did(80, 40, 0.1, autocorr=0.0) == pytest.approx(base * np.sqrt(2))
    assert mde_did(80, 40, 0.1, n_pre=2, n_post=1, autocorr=0.6) == pytest.approx(
        base * np.sqrt(0.4 * 3 / 2))


def test_parameter_errors():
    with pytest.raises(ParameterError, match="'icc' parameter"):
        mde_cluster(50, 10, 1.5)
    with pytest.raises(ParameterError, match="'n_clusters' parameter"):
        mde_cluster(2, 10, 0.1)
    with pytest.raises(ParameterError, match="'takeup' parameter"):
        mde_cluster(50, 10, 0.1, takeup=0.2, control_takeup=0.3)


def test_mde_by_simulation_cluster_randomised():
    """Effect = closed-form MDE: the simulated power of a t-test on cluster means
    (J - 2 df) is 0.80 (400 simulations, MC s.e. 0.02)."""
    J, n, rho = 40, 25, 0.1
    mde = mde_cluster(J, n, rho)

    def one(rng, eff):
        treat = rng.permutation(np.r_[np.ones(J // 2), np.zeros(J // 2)])
        u = rng.normal(0, np.sqrt(rho), J)
        e = rng.normal(0, np.sqrt(1 - rho), (J, n)).mean(axis=1)
        ybar = u + e + eff * treat
        t = stats.ttest_ind(ybar[treat == 1], ybar[treat == 0])
        return t.pvalue, ybar[treat == 1].mean() - ybar[treat == 0].mean()

    res = simulate_power(one, mde, n_sims=400, seed=3)
    assert abs(res["power"] - 0.8) < 3 * 0.02 + 0.01


def test_mde_staggered_monotone():
    a = mde_staggered({2024: 35, 2025: 35}, 33, [2023, 2024, 2025], 76, 0.1, autocorr=0.5)
    b = mde_staggered({2024: 70, 2025: 70}, 66, [2023, 2024, 2025], 76, 0.1, autocorr=0.5)
    assert b < a
    assert mde_staggered({2024: 35}, 33, [2023, 2024, 2025], 76, 0.1, base="all") < \
        mde_staggered({2024: 35}, 33, [2023, 2024, 2025], 76, 0.1, base="short") * 1.2


@pytest.mark.slow
def test_world_simulated_power_matches_closed_form(world):
    """On the synthetic world: untreated outcomes (consumption_pc_y0) of the surveyed households,
    placebo roll-out of a 2025 cohort over half of the surveyed villages, C&S with never-treated
    controls (ATT(2025,2025): one pre, one post period), effect added to treated villages.
    Inputs of mde_did (ICC, households per village, autocorrelation of village means, sd) are
    estimated from the same data. Simulated power at the closed-form MDE: 0.80 +/- 0.12
    (200 simulations)."""
    from kassaki_eval.impact.staggered import callaway_santanna, aggregate
    pop = world.population[["year", "hh_id", "consumption_pc_y0"]]
    s = world.survey[["year", "hh_id", "village_code", "weight", "hh_size"]].merge(pop, on=["year", "hh_id"])
    s["y"] = np.log(s["consumption_pc_y0"])
    vm = s.groupby(["village_code", "year"])["y"].mean().unstack()
    J = vm.shape[0]
    n = s.groupby(["village_code", "year"]).size().mean()
    sd = s["y"].std()
    # ICC from the 2024 cross-section (one-way ANOVA estimator)
    d24 = s[s.year == 2024]
    vmean = d24.groupby("village_code")["y"].transform("mean")
    sw = ((d24["y"] - vmean) ** 2).sum() / (len(d24) - J)
    sb = (vm[2024].var() - sw / n)
    icc = max(sb, 0) / (sb + sw)
    auto = np.corrcoef(vm[2024], vm[2025])[0, 1]
    mde = mde_did(J, n, icc, autocorr=auto, sd=sd)
    villages = vm.index.to_numpy()
    base = s.groupby(["village_code", "year"])["y"].mean().rename("y").reset_index()

    def one(rng, eff):
        tr = rng.permutation(np.r_[np.ones(J // 2), np.zeros(J - J // 2)])
        coh = pd.Series(np.where(tr == 1, 2025, 0), index=villages)
        d = base.assign(cohort=base["village_code"].map(coh).to_numpy())
        d["y"] = d["y"] + eff * ((d["cohort"] == 2025) & (d["year"] == 2025))
        r = callaway_santanna(d, y="y", unit="village_code", time="year", cohort="cohort", method="reg")
        row = r.tidy().set_index("term").loc["ATT(2025,2025)"]
        return row["p_value"], row["estimate"]

    res = simulate_power(one, mde, n_sims=200, seed=5)
    print(f"world power check: simulated {res}, closed-form MDE {mde:.4f} (ICC {icc:.3f}, autocorr {auto:.3f}, n {n:.1f}, J {J}, sd {sd:.3f})")
    assert abs(res["power"] - 0.8) < 0.12, (res, mde, icc, auto, n, J)


def test_power_staggered_inverts_mde_staggered():
    from kassaki_eval.impact.power import power_staggered
    args = ({2024: 25, 2025: 15}, 32, [2023, 2024, 2025], 76, 0.03)
    for a in (0.0, 0.6):
        m = mde_staggered(*args, autocorr=a, sd=0.3)
        # the MDE formula ignores the far rejection tail (it adds ~4e-6 here)
        assert power_staggered(m, *args, autocorr=a, sd=0.3) == pytest.approx(0.8, abs=1e-4)
        assert power_staggered(-m, *args, autocorr=a, sd=0.3) == pytest.approx(0.8, abs=1e-4)
    # no effect: the test's size; power rises with the effect
    assert power_staggered(0.0, *args, sd=0.3) == pytest.approx(0.05, abs=1e-12)
    assert power_staggered(0.01, *args, sd=0.3) < power_staggered(0.02, *args, sd=0.3)


def test_intra_cluster_correlation_recovers_a_known_icc():
    """Random-intercept data with rho = 0.1 (unequal cluster sizes): the ANOVA estimator is
    within 0.02 of the truth (400 clusters; its sampling s.e. here is ~0.008)."""
    from kassaki_eval.impact.power import intra_cluster_correlation
    rng = np.random.default_rng(11)
    sizes = rng.integers(5, 60, size=400)
    g = np.repeat(np.arange(400), sizes)
    y = rng.normal(0, np.sqrt(0.1), 400)[g] + rng.normal(0, np.sqrt(0.9), g.size)
    d = pd.DataFrame({"v": g, "y": y})
    assert intra_cluster_correlation(d, y="y", cluster="v") == pytest.approx(0.1, abs=0.02)
    # no between-cluster variance: 0 (negative estimates are clipped)
    d0 = pd.DataFrame({"v": g, "y": rng.normal(size=g.size)})
    assert 0 <= intra_cluster_correlation(d0, y="y", cluster="v") < 0.01
    with pytest.raises(ParameterError, match="'cluster' parameter"):
        intra_cluster_correlation(d, y="y", cluster="village")
