"""Event study: uniform bands, pre-trend test, relative-magnitudes sensitivity, plot."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact.eventstudy import (
    event_study,
    flci_smoothness,
    honest_did,
    plot_event_study,
    pretrend_test,
    uniform_critical_value,
)
from kassaki_eval.impact.honestdid import relative_magnitudes_cs
from kassaki_eval.impact.staggered import aggregate, callaway_santanna
from kassaki_eval.results import EstimateResult

REF = Path(__file__).resolve().parents[1] / "references" / "did"


@pytest.fixture(scope="module")
def cs_universal(mpdta):
    return callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                             base_period="universal")


def test_sup_t_critical_value_independent_case():
    """With K independent standard-normal estimators the sup-t critical value is the
    (1-alpha) quantile of max |Z_k|: Phi^-1((1 + 0.95^(1/K)) / 2) = 2.4977 for K = 4."""
    rng = np.random.default_rng(0)
    n, K = 4000, 4
    psi = rng.normal(size=(n, K))
    se = np.sqrt((psi ** 2).sum(axis=0)) / n
    c = uniform_critical_value(psi, se, B=4999, seed=1)
    assert c == pytest.approx(stats.norm.ppf((1 + 0.95 ** (1 / K)) / 2), abs=0.06)


def test_event_study_band_between_pointwise_and_bonferroni(mpdta):
    res = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                            method="reg")
    es = event_study(res, seed=3)
    c = es.extras["uniform_critical_value"]
    K = len(es.terms)
    assert stats.norm.ppf(0.975) < c < stats.norm.ppf(1 - 0.025 / K)
    td = es.tidy()
    assert np.all(td["conf_low"] <= td["pw_low"]) and np.all(td["conf_high"] >= td["pw_high"])
    # same estimates as the dynamic aggregation (R did README: e=2 -0.1373)
    assert es["e=2"] == pytest.approx(aggregate(res, "dynamic")["e=2"])
    with pytest.raises(ParameterError):
        es.conf_int(0.1)


def test_pretrend_test_formula(mpdta):
    res = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat")
    dyn = aggregate(res, "dynamic")
    pt = pretrend_test(dyn)
    td = dyn.tidy()
    pre = (td["event_time"] < 0).to_numpy()
    psi = dyn.extras["influence"][:, pre]
    V = psi.T @ psi / dyn.extras["n_units"] ** 2
    th = td.loc[pre, "estimate"].to_numpy()
    assert pt["statistic"] == pytest.approx(th @ np.linalg.solve(V, th), rel=1e-10)
    assert pt["df"] == 3 and pt["p_value"] == pytest.approx(stats.chi2.sf(pt["statistic"], 3))


def test_pretrend_excludes_universal_reference(cs_universal):
    pt = pretrend_test(cs_universal)
    assert pt["df"] == 3        # e=-4, e=-3, e=-2; e=-1 is the reference (ATT = 0, no IF)


def test_honest_did_relative_magnitudes_is_honestdid_on_the_event_study(cs_universal):
    """honest_did feeds the C&S event study (universal base, e = -1 dropped) with the
    influence-function covariance to relative_magnitudes_cs (HonestDiD C-LF)."""
    h = honest_did(cs_universal, Mbar=[0.0, 1.0])
    assert isinstance(h, EstimateResult) and h.terms == ["Mbar=0", "Mbar=1"]
    dyn = aggregate(cs_universal, "dynamic")
    td = dyn.tidy()
    rows = td["term"].str.startswith("e=") & (td["event_time"] != -1)
    b = td.loc[rows, "estimate"].to_numpy()
    psi = dyn.extras["influence"][:, rows.to_numpy()]
    S = psi.T @ psi / dyn.extras["n_units"] ** 2
    direct = relative_magnitudes_cs(b, S, num_pre=3, Mbar=[0.0, 1.0], l_vec=[0.25] * 4,
                                    grid_points=100).tidy()
    t = h.tidy()
    np.testing.assert_allclose(t["conf_low"], direct["conf_low"], rtol=1e-12)
    np.testing.assert_allclose(t["conf_high"], direct["conf_high"], rtol=1e-12)
    assert t.loc[0, "estimate"] == pytest.approx(dyn["ATT"])
    # the robust set contains the estimated identified set and widens with Mbar
    assert np.all(t["conf_low"] <= t["id_low"]) and np.all(t["id_high"] <= t["conf_high"])
    width = t["conf_high"] - t["conf_low"]
    assert width[1] > width[0]
    ex = t.loc[t["excludes_zero"], "Mbar"]
    assert h.extras["breakdown_Mbar"] == (ex.max() if len(ex) else h.extras["breakdown_Mbar"])


def test_honest_did_single_event_time(cs_universal):
    r = honest_did(cs_universal, Mbar=[1.0], target=1)
    assert r.extras["l_vec"].tolist() == [0.0, 1.0, 0.0, 0.0]
    with pytest.raises(ParameterError, match="target"):
        honest_did(cs_universal, Mbar=[1.0], target=7)


def test_honest_did_needs_universal_base(mpdta):
    res = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat")
    with pytest.raises(ParameterError, match="base_period='universal'"):
        honest_did(res)


@pytest.mark.slow
def test_honest_did_coverage_under_linear_violation():
    """Monte Carlo (40 panels): a linear pre-trend continues after treatment (each post change
    of the bias equals the pre ones, so Delta^RM(1) holds); with Mbar = 1 the C-LF set covers
    the true effect (zero) in >= 90% of draws while the usual interval rarely does."""
    rng = np.random.default_rng(7)
    cover_rm, cover_usual = 0, 0
    R = 40
    for _ in range(R):
        n = 600
        coh = np.choose(np.arange(n) % 2, [0, 2005])
        rows = []
        a = rng.normal(size=n)
        for t in range(2001, 2008):
            trend = 0.05 * (t - 2001) * (coh > 0)          # violation of parallel trends
            rows.append(pd.DataFrame({"u": np.arange(n), "t": t, "c": coh,
                                      "y": a + trend + rng.normal(0, 0.3, n)}))
        d = pd.concat(rows)
        res = callaway_santanna(d, y="y", unit="u", time="t", cohort="c", method="reg",
                                base_period="universal")
        lo, hi = aggregate(res, "dynamic").conf_int().loc["ATT"]
        cover_usual += lo <= 0 <= hi
        h = honest_did(res, Mbar=[1.0]).tidy()
        cover_rm += h.loc[0, "conf_low"] <= 0 <= h.loc[0, "conf_high"]
    assert cover_rm / R >= 0.9
    assert cover_usual / R <= 0.2


def test_plot_event_study(mpdta):
    import matplotlib
    matplotlib.use("Agg")
    res = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat")
    ax = plot_event_study(event_study(res, seed=1, B=199))
    assert len(ax.collections) >= 2 and "pre-trend" in ax.get_title()


@pytest.mark.slow
@pytest.mark.peers
def test_honest_did_vs_diffdiff(mpdta):
    """diff-diff's relative-magnitudes bounds (mpdta, DR, universal base): its identified set
    (theta +/- Mbar max|pre first difference| sum_e l_e (e+1)) equals ours (HonestDiD's
    linear programs) to 1e-10. diff-diff's interval (identified set +/- z se, the pre-period
    maximum taken as known) is not HonestDiD's and is not compared."""
    dd = pytest.importorskip("diff_diff")
    import warnings
    warnings.filterwarnings("ignore")
    r = dd.CallawaySantAnna(control_group="never_treated", estimation_method="dr",
                            base_period="universal").fit(
        mpdta, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat",
        aggregate="event_study")
    ours = honest_did(callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year",
                                        cohort="first.treat", base_period="universal"),
                      Mbar=[0.0, 0.5, 1.0, 2.0]).tidy()
    for _, row in ours.iterrows():
        b = dd.compute_honest_did(r, method="relative_magnitude", M=row["Mbar"])
        assert row["id_low"] == pytest.approx(b.lb, abs=1e-10)
        assert row["id_high"] == pytest.approx(b.ub, abs=1e-10)


def test_flci_smoothness_honestdid_readme():
    """HonestDiD README (github.com/asheshrambachan/HonestDiD, "Regressions with controls";
    betahat and sigma from its knitr cache: tests/references/eventstudy/honestdid_readme.R):
    createSensitivityResults(..., numPrePeriods = 5, numPostPeriods = 2, Mvec = 0..0.05)
    prints the FLCIs below (3 significant digits). Tolerance: half a unit of the last printed
    digit plus 7e-5 for HonestDiD's simulated folded-normal quantile (10^6 draws; we use the
    exact one). Measured distance to the printed values: at most 6.2e-5 beyond rounding
    (M = 0.04, 0.05), under 2e-5 at M <= 0.02."""
    REFE = REF.parent / "eventstudy"
    b = pd.read_csv(REFE / "honestdid_readme_betahat.csv")["betahat"].to_numpy()
    S = pd.read_csv(REFE / "honestdid_readme_sigma.csv", index_col=0).to_numpy()
    published = {0.0: ("0.0264", "0.0607"), 0.01: ("0.0128", "0.0788"),
                 0.02: ("0.00186", "0.0908"), 0.03: ("-0.00814", "0.101"),
                 0.04: ("-0.0181", "0.111"), 0.05: ("-0.0281", "0.121")}
    r = flci_smoothness(b, S, num_pre=5, M=list(published))
    t = r.tidy().set_index("M")

    def tol(printed: str) -> float:
        return 0.5 * 10.0 ** -len(printed.split(".")[1]) + 7e-5

    for m, (lo, hi) in published.items():
        assert t.loc[m, "conf_low"] == pytest.approx(float(lo), abs=tol(lo)), m
        assert t.loc[m, "conf_high"] == pytest.approx(float(hi), abs=tol(hi)), m
    # the interval widens with M and the estimate at M = 0 removes any linear pre-trend
    assert np.all(np.diff(t["half_length"]) > 0)
    w = r.extras["weights"][0.0][:5]
    # invariant to a linear trend through e = -1: pre weights x (e + 1) cancel the post one
    assert np.sum(w * (np.arange(-6, -1) + 1)) + 1.0 * 1 == pytest.approx(0, abs=1e-7)


def test_honest_did_smoothness_from_cs(cs_universal):
    """honest_did(restriction="smoothness") feeds the C&S event study (universal base,
    e = -1 omitted) to flci_smoothness with the influence-function covariance."""
    r = honest_did(cs_universal, restriction="smoothness", M=[0.0, 0.02])
    dyn = aggregate(cs_universal, "dynamic")
    td = dyn.tidy()
    rows = td["term"].str.startswith("e=") & (td["event_time"] != -1)
    b = td.loc[rows, "estimate"].to_numpy()
    psi = dyn.extras["influence"][:, rows.to_numpy()]
    S = psi.T @ psi / dyn.extras["n_units"] ** 2
    direct = flci_smoothness(b, S, num_pre=3, M=[0.0, 0.02], l_vec=[0.25] * 4)
    np.testing.assert_allclose(r.tidy()["conf_low"], direct.tidy()["conf_low"], rtol=1e-8)
    assert r.provenance.options["restriction"] == "smoothness"
