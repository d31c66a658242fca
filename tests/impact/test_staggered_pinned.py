"""Pins for kassaki_eval/impact/staggered.py found by mutmut (issue 18, helper mutstag).

Each test names its source: a hand computation in the test, a count from the data, the
mpdta file of tests/references/did/ (R did's example data) or an identity that holds by
construction (stated in the test). See docs/MUTATION.md, "impact/staggered.py".
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import (
    DesignError,
    EstimationWarning,
    IdentificationError,
    ParameterError,
    SchemaError,
)
from kassaki_eval.impact.staggered import aggregate, callaway_santanna, imputation

KW = {"y": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}


# ------------------------------------------------------------------------------ messages
def test_missing_cohort_and_cluster_columns_are_named(mpdta):
    with pytest.raises(ParameterError, match="'cohort' parameter of callaway_santanna must name "
                                             "a column of data. Got 'nope'"):
        callaway_santanna(mpdta, **{**KW, "cohort": "nope"})
    with pytest.raises(ParameterError, match="'cluster' parameter of imputation must name a "
                                             "column of data. Got 'nope'"):
        imputation(mpdta, **KW, cluster="nope")


def test_negative_cohort_message_names_the_function(mpdta):
    with pytest.raises(ParameterError, match="'cohort' parameter of callaway_santanna must name "
                                             "a column of first treated periods"):
        callaway_santanna(mpdta.assign(c=-1), **{**KW, "cohort": "c"})


def test_collinear_covariates_in_the_propensity_score_are_refused(mpdta):
    # ipw has no outcome regression, so the logit's own check fires: [1, lpop, 2 lpop] is singular
    with pytest.raises(IdentificationError, match=r"propensity-score logit is singular \(collinear "
                                                  r"covariates\)\. Fix: drop covariates\."):
        callaway_santanna(mpdta.assign(l2=2 * mpdta["lpop"]), **KW, method="ipw",
                          covariates=["lpop", "l2"])


def test_always_treated_and_anticipation_messages_carry_the_fix(mpdta):
    m = mpdta.copy()
    m.loc[m["first.treat"] == 2004, "first.treat"] = 2003
    with pytest.raises(IdentificationError, match="Fix: drop these always-treated units or add "
                                                  "earlier survey waves."):
        callaway_santanna(m, **KW)
    # cohort 2004 with one period of anticipation: no period p with p + 1 < 2004 (first is 2003)
    with pytest.raises(IdentificationError, match=r"cohort 2004 is treated in the first period "
                                                  r"\(2003\), so it has no pre-treatment period\. "
                                                  r"Fix: drop it or add earlier waves\."):
        callaway_santanna(mpdta, **KW, anticipation=1)


def test_no_never_treated_message_names_notyet(mpdta):
    with pytest.raises(IdentificationError, match=r"use control='notyet' \(identifies ATT\(g,t\) "
                                                  r"only while some cohort is still untreated\) "
                                                  r"or add never-treated villages\."):
        callaway_santanna(mpdta[mpdta["first.treat"] > 0], **KW)


def test_time_varying_cluster_message_lists_five_example_units(mpdta):
    # mpdta is sorted by county: the first five counties are the examples, comma-separated
    ex = ", ".join(map(str, np.sort(mpdta["countyreal"].unique())[:5]))
    m = mpdta.assign(c=np.where(mpdta["year"] == 2005, 1, 2))
    with pytest.raises(DesignError, match=f"within 500 units of 'countyreal' \\(e.g. {ex}\\);"):
        callaway_santanna(m, **KW, cluster="c")


def test_small_group_warning_is_prefixed_by_the_function(mpdta):
    keep = mpdta["countyreal"].isin(
        mpdta.loc[mpdta["first.treat"] == 2004, "countyreal"].unique()[:3])
    m = mpdta[(mpdta["first.treat"] != 2004) | keep]
    with pytest.warns(EstimationWarning, match=r"^callaway_santanna: few units in 1 group"):
        callaway_santanna(m, **KW)


def test_thin_cluster_warning_lists_every_cohort_comma_separated(mpdta):
    kec = np.where(mpdta["first.treat"] > 0, 0, 1 + mpdta["countyreal"] % 19)
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(mpdta.assign(kec=kec), **KW, cluster="kec")
    msgs = " | ".join(str(w.message) for w in rec)
    assert ("(first.treat = 2004: 1 cluster(s), first.treat = 2006: 1 cluster(s), "
            "first.treat = 2007: 1 cluster(s))") in msgs


@pytest.mark.skipif("MUTANT_UNDER_TEST" in __import__("os").environ,
                    reason="mutmut's trampoline adds two stack frames per library call")
def test_last_cohort_warning_points_at_the_callers_line(mpdta):
    with pytest.warns(EstimationWarning, match="last-treated cohort") as rec:
        callaway_santanna(mpdta[mpdta["first.treat"] > 0], **KW, control="notyet")
    assert {Path(w.filename).name for w in rec if "last-treated" in str(w.message)} == {
        Path(__file__).name}


def test_last_cohort_as_control_keeps_the_clusters(mpdta):
    m = mpdta[mpdta["first.treat"] > 0]
    with pytest.warns(EstimationWarning, match="last-treated cohort"):
        a = callaway_santanna(m, **KW, control="notyet")
    with pytest.warns(EstimationWarning, match="last-treated cohort"):
        b = callaway_santanna(m, **KW, control="notyet", cluster="countyreal")
    # clustering by the unit is the unclustered IF variance times G/(G-1) (CR1), G = counties
    G = m["countyreal"].nunique()
    np.testing.assert_allclose(b.std_errors, a.std_errors * np.sqrt(G / (G - 1)), rtol=1e-12)
    assert b.tidy()["df"].iloc[0] == G - 1


# ------------------------------------------------------------------------------ values
def test_balance_drop_with_cluster_equals_dropping_by_hand(mpdta):
    """panel='balance' with a cluster: same as removing the incomplete units beforehand."""
    m = mpdta.drop(index=mpdta.index[[0, 7, 12]])
    gone = mpdta.loc[mpdta.index[[0, 7, 12]], "countyreal"].unique()
    a = callaway_santanna(m, **KW, cluster="countyreal")
    b = callaway_santanna(mpdta[~mpdta["countyreal"].isin(gone)], **KW, cluster="countyreal")
    np.testing.assert_allclose(a.estimates, b.estimates, atol=1e-14)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-12)
    assert a.extras["n_clusters"] == 500 - len(gone)


def test_unit_weights_are_normalised_to_mean_one(mpdta):
    res = callaway_santanna(mpdta, **KW, weights="lpop")
    w = mpdta.groupby("countyreal")["lpop"].first().to_numpy()   # lpop is constant per county
    np.testing.assert_allclose(res.extras["unit_weight"], w / w.mean(), rtol=1e-12)


def test_pretrend_wald_with_one_pre_period_is_z_squared(mpdta):
    """Years 2004-2007 without cohort 2004: the only pre-treatment cell is ATT(2007,2006), so
    the Wald statistic is (estimate / se)^2 with 1 df (chi2(1) p-value = two-sided normal)."""
    sub = mpdta[(mpdta["year"] >= 2005) & (mpdta["first.treat"] != 2004)]
    res = callaway_santanna(sub, **KW)
    row = res.tidy().set_index("term").loc["ATT(2007,2006)"]
    pt = res.extras["pretrend"]
    z = row["estimate"] / row["std_error"]
    assert pt["df"] == 1
    assert pt["statistic"] == pytest.approx(z ** 2, rel=1e-10)
    assert pt["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)


def test_cross_section_counts_are_rows_in_t_and_base(mpdta):
    res = callaway_santanna(mpdta, **KW, panel="cross_section")
    row = res.tidy().set_index("term").loc["ATT(2004,2005)"]
    # post period t = 2005 >= g, so the base is g - 1 = 2003: rows of those two years
    yrs = mpdta["year"].isin([2003, 2005])
    assert row["n_treated"] == int((yrs & (mpdta["first.treat"] == 2004)).sum())
    assert row["n_control"] == int((yrs & (mpdta["first.treat"] == 0)).sum())


def test_aggregate_n_obs_is_rows_used_and_options_recorded(mpdta):
    res = callaway_santanna(mpdta, **KW)
    agg = aggregate(res, "dynamic", balance_e=1)
    assert (agg.tidy()["n_obs"] == len(mpdta)).all()          # 2500 county-years, not 500 units
    assert agg.provenance.options["balance_e"] == 1
    assert res.provenance.method == "callaway_santanna"


def test_imputation_tau_and_inputs_hash(mpdta):
    res = imputation(mpdta, **KW)
    tau = res.extras["tau"]
    assert list(tau.columns) == ["unit", "time", "tau"]
    # unweighted: the overall ATT is the mean of the treated observations' effects
    assert tau["tau"].mean() == pytest.approx(res["ATT"], rel=1e-12)
    other = imputation(mpdta.assign(lemp=mpdta["lemp"] + np.arange(len(mpdta)) % 3), **KW)
    assert other.provenance.inputs_hash != res.provenance.inputs_hash
    assert imputation(mpdta, **KW).provenance.inputs_hash == res.provenance.inputs_hash


def _text_panel():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"u": np.repeat(np.arange(40), 3), "t": np.tile([2021, 2022, 2023], 40)})
    d["g"] = np.where(d.u < 15, 2022, np.where(d.u < 25, 2023, 0))
    d["y"] = rng.normal(size=len(d)) + 0.5 * ((d.g > 0) & (d.t >= d.g))
    return d


@pytest.mark.parametrize("est", [callaway_santanna, imputation])
@pytest.mark.parametrize("col", ["y", "t", "g"])
def test_text_that_is_not_a_number_is_a_schema_error(est, col):
    """Text such as 'n/a' or a decimal comma in the outcome, period or cohort column was
    numpy's "could not convert string to float" (or a UFuncTypeError); now one SchemaError
    naming the column, the row count, the first units and the fix (session 8)."""
    d = _text_panel().astype({col: object})
    d.loc[3, col] = "n/a"      # unit 1
    d.loc[7, col] = "1,5"      # unit 2
    d.loc[8, col] = "1,5"      # unit 2 again: examples are distinct units
    with pytest.raises(SchemaError) as ei:
        est(d, y="y", unit="u", time="t", cohort="g")
    assert str(ei.value) == (
        f"data: 1 problem found\n  - data: column '{col}' holds text that is not a number: "
        f"3 rows (e.g. 1, 2). Fix: correct or drop those rows: {est.__name__} needs numbers "
        f"in '{col}' (numbers stored as text, such as '2024', are read as numbers).")


@pytest.mark.parametrize("est", [callaway_santanna, imputation])
def test_numbers_stored_as_text_give_the_same_estimates(est):
    """A panel read with dtype=str (years, cohorts and outcomes as text) gives exactly the
    estimates of the numeric panel (session 8; before, C&S failed on text years)."""
    d = _text_panel()
    want = est(d, y="y", unit="u", time="t", cohort="g").tidy()
    got = est(d.astype({"t": str, "g": str, "y": str}), y="y", unit="u", time="t",
              cohort="g").tidy()
    pd.testing.assert_frame_equal(got, want)
