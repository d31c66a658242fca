"""RD wrappers around rdrobust / rddensity: the US Senate incumbency RD (documented rdrobust
output), PMT-style sharp/fuzzy designs with village cutoffs, diagnostics, clear errors.

Sources and tolerances: tests/references/rd/README.md.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from kassaki_eval.exceptions import (  # noqa: E402
    DataWarning, EstimationWarning, IdentificationError, ParameterError,
)
from kassaki_eval.impact import (  # noqa: E402
    normalise_running, rd_balance, rd_bandwidths, rd_density, rd_estimate, rd_placebo, rd_plot,
)
from kassaki_eval.impact.rd import rd_multi_cutoff  # noqa: E402
from kassaki_eval.results import EstimateResult  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "references" / "rd"


@pytest.fixture(scope="module")
def senate() -> pd.DataFrame:
    return pd.read_csv(REF / "rdrobust_senate.csv")


def test_senate_incumbency_documented_output(senate):
    """Calonico, Cattaneo, Farrell & Titiunik (2017, Stata Journal 17(2)) senate example:
    conventional 7.414 (1.459), CI [4.555, 10.273]; robust z 4.311, CI [4.094, 10.919];
    h = 17.754, b = 28.028; 360 | 323 effective observations. Tolerance 5e-4."""
    r = rd_estimate(senate, y="vote", running="margin", cutoff=0, treated_side="above")
    t = r.tidy().set_index("term")
    tol = 5e-4
    assert t.loc["Conventional", "estimate"] == pytest.approx(7.414, abs=tol)
    assert t.loc["Conventional", "std_error"] == pytest.approx(1.459, abs=tol)
    assert t.loc["Conventional", "conf_low"] == pytest.approx(4.555, abs=tol)
    assert t.loc["Conventional", "conf_high"] == pytest.approx(10.273, abs=tol)
    assert t.loc["Robust", "statistic"] == pytest.approx(4.311, abs=tol)
    assert t.loc["Robust", "conf_low"] == pytest.approx(4.094, abs=tol)
    assert t.loc["Robust", "conf_high"] == pytest.approx(10.919, abs=tol)
    assert t.loc["Robust", "h_left"] == pytest.approx(17.754, abs=tol)
    assert t.loc["Robust", "b_right"] == pytest.approx(28.028, abs=tol)
    assert (t.loc["Robust", "n_h_left"], t.loc["Robust", "n_h_right"]) == (360, 323)
    # own intervals: another alpha must be re-estimated, not recomputed from se
    with pytest.raises(ParameterError):
        r.conf_int(alpha=0.1)
    # the PMT convention (treated below) flips the sign, nothing else
    flip = rd_estimate(senate.assign(m=-senate.margin), y="vote", running="m",
                       treated_side="below")
    assert flip["Conventional"] == pytest.approx(7.414131, abs=1e-5)


def test_senate_density_test(senate):
    """rddensity 3.0 on margin: T_jk = -0.875, p = 0.381 (recorded output; no manipulation)."""
    r = rd_density(senate, running="margin", treated_side="above")
    t = r.tidy().iloc[0]
    assert t["statistic"] == pytest.approx(-0.875, abs=5e-4)
    assert t["p_value"] == pytest.approx(0.381, abs=5e-4)


def _pmt_world(n: int, seed: int, fuzzy_gap: float = 0.6) -> pd.DataFrame:
    """Villages with their own quota cutoffs; eligibility below the cutoff; take-up jumps by
    ``fuzzy_gap``; effect of take-up 0.5 (so ITT at the cutoff = 0.5 * fuzzy_gap)."""
    rng = np.random.default_rng(seed)
    v = rng.integers(0, 40, n)
    cut = rng.normal(13.4, 0.1, 40)[v]
    score = rng.normal(13.45, 0.3, n)
    elig = score <= cut
    take = rng.uniform(size=n) < np.where(elig, 0.05 + fuzzy_gap, 0.05)
    y = 2 * (score - cut) + 0.5 * take + rng.normal(0, 0.3, n)
    age = rng.normal(40, 8, n)
    return pd.DataFrame({"village": v, "cutoff": cut, "score": score, "take": take.astype(int),
                         "y": y, "age": age})


def test_sharp_and_fuzzy_pmt_with_village_cutoffs():
    df = _pmt_world(20_000, 1)
    z = normalise_running(df, running="score", cutoff="cutoff")
    assert ((z >= 0) == (df.score <= df.cutoff)).all()
    itt = rd_estimate(df, y="y", running="score", cutoff="cutoff", cluster="village")
    lo, hi = itt.conf_int().loc["Robust"]
    assert lo < 0.3 < hi
    late = rd_estimate(df, y="y", running="score", cutoff="cutoff", fuzzy="take")
    lo, hi = late.conf_int().loc["Robust"]
    assert lo < 0.5 < hi
    assert late.extras["first_stage"]["jump"] == pytest.approx(0.6, abs=0.08)
    assert late.provenance.method == "rd_fuzzy"


def test_diagnostics_balance_placebo_bandwidths_plot():
    df = _pmt_world(8000, 2)
    bal = rd_balance(df, covariates=["age"], running="score", cutoff="cutoff")
    assert bal.tidy()["p_value"].iloc[0] > 0.01  # age is balanced by construction
    plc = rd_placebo(df, y="y", running="score", cutoff="cutoff", placebo=[-0.2, 0.2])
    assert plc.terms == ["placebo -0.2", "placebo +0.2"]
    assert (plc.tidy()["p_value"] > 0.001).all()
    bw = rd_bandwidths(df, y="y", running="score", cutoff="cutoff",
                       multipliers=(0.5, 1, 2)).tidy()
    assert list(bw["multiplier"]) == [0.5, 1, 2]
    assert bw["n_obs"].is_monotonic_increasing
    fig = rd_plot(df, y="y", running="score", cutoff="cutoff")
    assert fig.axes and len(fig.axes[0].lines) >= 2


def test_error_too_few_points_on_a_side():
    df = _pmt_world(3000, 3)
    few = df[(df.score > df.cutoff) | (df.index < 40)]  # ~15 eligible rows left
    n_elig = int((few.score <= few.cutoff).sum())
    with pytest.raises(IdentificationError, match=rf"only {n_elig} rows .* eligible"):
        rd_estimate(few, y="y", running="score", cutoff="cutoff")


def test_error_treatment_does_not_change_at_cutoff():
    df = _pmt_world(6000, 4, fuzzy_gap=0.0)
    with pytest.raises(IdentificationError, match="does not change at the cutoff"):
        rd_estimate(df, y="y", running="score", cutoff="cutoff", fuzzy="take")
    with pytest.raises(IdentificationError, match="does not change at the cutoff"):
        rd_estimate(df.assign(take=1), y="y", running="score", cutoff="cutoff", fuzzy="take")


def test_error_parameters():
    df = _pmt_world(500, 5)
    with pytest.raises(ParameterError, match="The 'kernel' parameter of rd_estimate"):
        rd_estimate(df, y="y", running="score", kernel="gauss")
    with pytest.raises(ParameterError, match="The 'cutoff' parameter"):
        normalise_running(df, running="score", cutoff="nope")


def test_world_survey_rd_at_pmt_cutoff(world):
    """On the default world's 2025 survey (treated villages), the robust RD interval at the
    registry's desil-4 cutoff holds the population ITT of eligibility at the cutoff
    (computed from the world's potential outcomes by a local linear fit of the population
    within 0.06 score points)."""
    s = world.survey
    s = s[(s["year"] == 2025) & (s["treated_village"] == 1) & s["family_id"].notna()]
    s = s.merge(world.registry[["family_id", "pmt_score"]], on="family_id", how="inner")
    s = s.assign(y=np.log(s["consumption_pc"]))
    th = world.truth["desil_thresholds"]
    cut = float(th.loc[th["desil"] == 4, "upper_pmt_score"].iloc[0])
    r = rd_estimate(s, y="y", running="pmt_score", cutoff=cut, treated_side="below",
                    cluster="psu")
    pop = world.population
    pop = pop[(pop["year"] == 2025) & (pop["treated_village"] == 1) & pop["family_id"].notna()]
    z = cut - pop["pmt_score"].to_numpy()
    tau = np.log(pop["consumption_pc"].to_numpy()) - np.log(pop["consumption_pc_y0"].to_numpy())
    side = []
    for m in (z >= 0, z < 0):
        m = m & (np.abs(z) <= 0.06)
        k = np.sqrt(1 - np.abs(z[m]) / 0.06)
        X = np.column_stack([np.ones(m.sum()), z[m]])
        side.append(np.linalg.lstsq(X * k[:, None], tau[m] * k, rcond=None)[0][0])
    truth = side[0] - side[1]
    lo, hi = r.conf_int().loc["Robust"]
    assert lo < truth < hi
    assert 0 < truth < 0.1  # eligibility raises consumption at the cutoff


# --- discrete running variable (issue 12) -------------------------------------------------
DISCRETE = json.loads((REF / "discrete_refs.json").read_text())


@pytest.mark.parametrize("mp", ["adjust", "off"])
def test_discrete_running_variable_equals_rdrobust(senate, mp, capsys):
    """floor(margin): 69 | 90 distinct values, mass points on both sides. Our wrapper with
    masspoints=mp equals rdrobust 2.1.1 called directly (tests/references/rd/
    make_discrete_refs.py, printed output in discrete_output.txt) to 1e-8 relative; rdrobust's
    "Mass points detected" print is captured (nothing on stdout) and becomes a DataWarning."""
    ref = DISCRETE[f"rdrobust_{mp}"]
    df = senate.assign(mf=np.floor(senate.margin))
    with pytest.warns(DataWarning, match=r"'mf' has mass points \(69 distinct .* 90 among"):
        r = rd_estimate(df, y="vote", running="mf", treated_side="above", masspoints=mp)
    assert capsys.readouterr().out == ""
    t = r.tidy()
    np.testing.assert_allclose(t["estimate"], ref["coef"], rtol=1e-8)
    np.testing.assert_allclose(t["std_error"], ref["se"], rtol=1e-8)
    np.testing.assert_allclose(t["conf_low"], ref["ci_low"], rtol=1e-8)
    np.testing.assert_allclose(t["conf_high"], ref["ci_high"], rtol=1e-8)
    np.testing.assert_allclose(t[["h_left", "h_right"]].iloc[0], ref["h"], rtol=1e-8)
    assert [t["n_h_left"].iloc[0], t["n_h_right"].iloc[0]] == ref["N_h"]
    assert (t["n_unique_left"].iloc[0], t["n_unique_right"].iloc[0]) == (69, 90)
    assert r.provenance.options["masspoints"] == mp
    assert ("Mass points detected" in r.extras["rdrobust_stdout"]) == (mp == "adjust")


def test_discrete_density_equals_rddensity(senate, capsys):
    """rd_density on floor(margin) equals rddensity 3.0 with massPoints=True / False
    (discrete_refs.json), and stays silent: 69 and 90 distinct values are enough."""
    df = senate.assign(mf=np.floor(senate.margin))
    for mp, key in (("adjust", "True"), ("off", "False")):
        ref = DISCRETE[f"rddensity_massPoints_{key}"]
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataWarning)
            t = rd_density(df, running="mf", treated_side="above", masspoints=mp).tidy().iloc[0]
        assert t["statistic"] == pytest.approx(ref["t_jk"], rel=1e-8)
        assert t["p_value"] == pytest.approx(ref["p_jk"], rel=1e-8)
        assert t["h_left"] == pytest.approx(ref["h_left"], rel=1e-8)
    assert capsys.readouterr().out == ""


def test_density_warns_on_few_mass_points():
    """Without manipulation, 5,000 N(0,1) draws floored to a coarse grid make the density
    test reject (measured: 8 | 8 distinct values, p = 0.0004): the result must carry a
    DataWarning; a fine grid (64 | 67 values, p = 0.59) must not."""
    x = np.random.default_rng(1).normal(size=5000)
    coarse = pd.DataFrame({"x": np.floor(x / 0.5)})
    with pytest.warns(DataWarning, match="8 distinct values .* p-value is not reliable"):
        r = rd_density(coarse, running="x", treated_side="above")
    assert r.tidy()["p_value"].iloc[0] < 0.01      # the spurious rejection the warning flags
    fine = pd.DataFrame({"x": np.floor(x / 0.05)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert rd_density(fine, running="x", treated_side="above").tidy()["p_value"].iloc[0] > 0.1


def test_discrete_rdrobust_failure_is_our_error(senate, capsys):
    """floor(margin / 20): 5 | 6 distinct values; rdrobust raises a bare Exception ("Not
    enough variability ..."), which must reach the user as IdentificationError naming the
    distinct-value counts, with nothing printed."""
    df = senate.assign(m20=np.floor(senate.margin / 20))
    with pytest.raises(IdentificationError, match=r"rdrobust could not .* 5 distinct values "
                                                  r"on the other side and 6"):
        rd_estimate(df, y="vote", running="m20", treated_side="above")
    assert capsys.readouterr().out == ""
    with pytest.raises(ParameterError, match="The 'masspoints' parameter of rd_estimate"):
        rd_estimate(senate, y="vote", running="margin", masspoints="yes")


def test_bandwidths_result_shape(senate):
    """rd_bandwidths returns an EstimateResult (issue 16); its x1 row is rd_estimate's Robust
    row and its conventional columns the documented senate output (7.414, [4.555, 10.273])."""
    bw = rd_bandwidths(senate, y="vote", running="margin", treated_side="above",
                       multipliers=(0.5, 1.0))
    assert isinstance(bw, EstimateResult) and bw.terms == ["h x0.5", "h x1"]
    t = bw.tidy().set_index("term")
    assert t.loc["h x1", "conventional"] == pytest.approx(7.414, abs=5e-4)
    assert t.loc["h x1", "conventional_low"] == pytest.approx(4.555, abs=5e-4)
    assert t.loc["h x1", "conf_low"] == pytest.approx(4.094, abs=5e-4)    # robust
    assert t.loc["h x0.5", "h_left"] == pytest.approx(17.754 / 2, abs=5e-4)


# --- multiple cutoffs: rdmulti (issue 12) -------------------------------------------------
MULTI = json.loads((REF / "rdmulti_refs.json").read_text())


@pytest.fixture(scope="module")
def multic() -> pd.DataFrame:
    return pd.read_csv(REF / "simdata_multic.csv")


def test_multi_cutoff_published_rdmulti_baseline(multic, capsys):
    """rdmulti's own numerical contract on its illustration data (rdpackages/rdmulti,
    Python/rdmulti/tests/test_numerical_contracts.py; see make_rdmulti_refs.py): conventional
    484.83090323 (c=33), 297.98107945 (c=66), 398.91490949 (weighted), 436.40049184 (pooled)
    to 1e-6 rel. (their tolerance); bandwidths 14.6619828, 11.9522678, 13.6840172 (1e-7) and
    weights 0.54018692, 0.45981308 (1e-8); effective n exact. rdmc's table is not printed."""
    r = rd_multi_cutoff(multic, y="y", running="x", cutoff="c", treated_side="above")
    assert capsys.readouterr().out == ""
    assert r.terms == ["cutoff=33", "cutoff=66", "weighted", "pooled"]
    t = r.tidy().set_index("term")
    np.testing.assert_allclose(t["conventional"],
                               [484.83090323, 297.98107945, 398.91490949, 436.40049184],
                               rtol=1e-6)
    # the pooled bandwidth differs from the contract's 13.6840172 by 3.2e-7 with rdrobust
    # 2.1.1 (13.6840175; their own check, rtol = atol = 1e-8, would fail too): 1e-7 rel.
    np.testing.assert_allclose(t.loc[["cutoff=33", "cutoff=66", "pooled"], "h_left"],
                               [14.6619828, 11.9522678, 13.6840172], rtol=1e-7)
    np.testing.assert_allclose(t["weight"].iloc[:2], [0.54018692, 0.45981308], rtol=1e-8)
    assert t["n_h_left"].tolist() == [149, 120, 269, 273]
    assert t["n_h_right"].tolist() == [140, 126, 266, 277]
    ref = MULTI["default"]      # the rest of rdmc's output, printed by make_rdmulti_refs.py
    np.testing.assert_allclose(t["estimate"], ref["B"], rtol=1e-10)
    np.testing.assert_allclose(t["std_error"] ** 2, ref["V"], rtol=1e-10)
    np.testing.assert_allclose(t["conf_low"], ref["CI_low"], rtol=1e-10)
    np.testing.assert_allclose(t["p_value"], ref["Pv"], rtol=1e-8, atol=1e-300)
    # the pooled row is rd_estimate's normalise-and-pool Robust row
    pooled = rd_estimate(multic, y="y", running="x", cutoff="c", treated_side="above")
    assert t.loc["pooled", "estimate"] == pytest.approx(pooled["Robust"], rel=1e-12)


def test_multi_cutoff_weights_cluster_and_pmt_side(multic):
    """Survey weights and clusters reach every rdrobust call, pooled included (rdmc called
    directly with the same options: rdmulti_refs.json, 1e-10 rel.); the PMT convention
    (eligible below) with the mirrored data gives the same numbers."""
    w = 0.8 + 0.4 * np.random.default_rng(12).uniform(size=len(multic))
    df = multic.assign(w=w, g=np.arange(len(multic)) // 20)
    r = rd_multi_cutoff(df, y="y", running="x", cutoff="c", treated_side="above", p=2,
                        weights="w", cluster="g")
    ref = MULTI["weighted_cluster_p2"]
    t = r.tidy()
    np.testing.assert_allclose(t["estimate"], ref["B"], rtol=1e-10)
    np.testing.assert_allclose(t["std_error"] ** 2, ref["V"], rtol=1e-10)
    np.testing.assert_allclose(t["weight"].iloc[:2], ref["W"], rtol=1e-10)
    mirror = df.assign(x=-df.x, c=-df.c)
    rb = rd_multi_cutoff(mirror, y="y", running="x", cutoff="c", treated_side="below", p=2,
                         weights="w", cluster="g").tidy()
    np.testing.assert_allclose(rb["estimate"], t["estimate"].to_numpy()[[1, 0, 2, 3]], rtol=1e-9)
    assert rb["term"].tolist() == ["cutoff=-66", "cutoff=-33", "weighted", "pooled"]


def test_multi_cutoff_failed_cutoff_warns(multic):
    """A cutoff with too few observations (c = 50 for 30 rows) makes rdrobust fail inside
    rdmc: the result keeps it with weight 0 and NaN estimates, and warns."""
    df = multic.copy()
    df.loc[df.index[:30], "c"] = 50.0
    with pytest.warns(EstimationWarning, match=r"rdrobust failed at 1 of 3 cutoffs \(e.g. 50\)"):
        r = rd_multi_cutoff(df, y="y", running="x", cutoff="c", treated_side="above")
    t = r.tidy().set_index("term")
    assert t.loc["cutoff=50", "weight"] == 0 and np.isnan(t.loc["cutoff=50", "estimate"])
    with pytest.raises(ParameterError, match="The 'cutoff' parameter of rd_multi_cutoff"):
        rd_multi_cutoff(df, y="y", running="x", cutoff=33.0)
