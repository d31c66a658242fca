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


# ==============================================================================================
# Second round (helper mutL, session 10): survivors of a FRESH seeded sample (seed 19, 120 of
# 3,308 mutants). Each test names the mutants it kills; expected numbers come from the data
# (counts), a hand identity stated in the test, or numpy least squares written out here.
# ==============================================================================================
def test_all_controls_trimmed_messages_word_for_word():
    """600 treated units and 2 never-treated: every comparison unit's propensity score is
    about 600/602 > 0.995, so all of them are trimmed (panel: `_att_2x2`; repeated cross-
    sections: `_att_2x2_rc`). Kills x__att_2x2__mutmut_195, x__att_2x2_rc__mutmut_170."""
    rng = np.random.default_rng(3)
    nu = 602
    d = pd.DataFrame({"u": np.repeat(np.arange(nu), 2), "t": np.tile([2021, 2022], nu)})
    d["g"] = np.where(d.u < 600, 2022, 0)
    d["x"] = np.repeat(rng.normal(size=nu), 2)
    d["y"] = rng.normal(size=len(d))
    kw = {"y": "y", "unit": "u", "time": "t", "cohort": "g", "covariates": ["x"]}
    for method in ("ipw", "dr"):
        with pytest.warns(EstimationWarning, match="few units"):
            with pytest.raises(IdentificationError) as ei:
                callaway_santanna(d, **kw, method=method)
        assert str(ei.value) == ("No comparison units left after propensity-score trimming (all "
                                 "controls have scores >= 0.995). Fix: fewer covariates.")
        with pytest.warns(EstimationWarning, match="few rows per period"):
            with pytest.raises(IdentificationError) as ei:
                callaway_santanna(d, **kw, method=method, panel="cross_section")
        assert str(ei.value) == ("No comparison observations left after propensity-score "
                                 "trimming (all scores >= 0.995). Fix: fewer covariates.")


def test_const_formula_weighted_and_unweighted_by_hand():
    """`_att_2x2_const` (no covariates; callaway_santanna uses it for reg, ipw and dr alike):
    ATT = weighted mean of dY among the treated minus that among the comparison units, and the
    influence function n w_i D_i (dY_i - m_t) / sum(w D) - n w_i (1 - D_i) (dY_i - m_c) /
    sum(w (1 - D)) (DRDID reg_did_panel with X = 1), written out here; w = None is w = 1.
    (Session 11: its unreachable ipw / dr branches were removed, see docs/MUTATION.md.)"""
    from kassaki_eval.impact.staggered import _att_2x2_const
    rng = np.random.default_rng(0)
    n = 50
    dY = rng.normal(size=n)
    D = (rng.random(n) < 0.4).astype(float)
    for w in (rng.uniform(0.5, 2, n), None):
        ww = np.ones(n) if w is None else w
        mt = np.sum(ww * D * dY) / np.sum(ww * D)
        mc = np.sum(ww * (1 - D) * dY) / np.sum(ww * (1 - D))
        inf = (n * ww * D * (dY - mt) / np.sum(ww * D)
               - n * ww * (1 - D) * (dY - mc) / np.sum(ww * (1 - D)))
        att, got = _att_2x2_const(dY, D if w is not None else D.astype(bool), w)
        assert att == pytest.approx(mt - mc, abs=1e-14)
        np.testing.assert_allclose(got, inf, atol=1e-13, rtol=0)


def test_propensity_score_is_free_of_the_covariates_scale(mpdta):
    """A logit's fitted scores do not change when a covariate is centred and multiplied by
    10^6 (e.g. Rupiah instead of millions): the same ATT(g,t). The singularity check must use
    the condition number sv[0] / sv[-1], not a product. Kills x__cell_pscore__mutmut_13."""
    a = callaway_santanna(mpdta, **KW, method="ipw", covariates=["lpop"])
    big = mpdta.assign(lpop=(mpdta["lpop"] - mpdta["lpop"].mean()) * 1e6)
    b = callaway_santanna(big, **KW, method="ipw", covariates=["lpop"])
    np.testing.assert_allclose(b.estimates, a.estimates, atol=1e-12)
    np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-9)


def test_singular_propensity_score_raises_cleanly_without_numpy_warnings(mpdta):
    """A covariate that is 0 everywhere: X'WX has an exactly zero singular value, refused
    before any division (no RuntimeWarning), and a well-posed ipw fit emits no warning at all
    (no numpy DeprecationWarning). Kills x__cell_pscore__mutmut_9 (sv[+1]) and _20
    (np.finfo(None), deprecated in numpy 1.25)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(IdentificationError, match=r"^The propensity-score logit is singular"):
            callaway_santanna(mpdta.assign(z=0.0), **KW, method="ipw", covariates=["lpop", "z"])
        callaway_santanna(mpdta, **KW, method="ipw", covariates=["lpop"])


def test_last_cohort_as_control_warning_and_dropped_rows_word_for_word(mpdta):
    """No never-treated units: cohort 2007 becomes the comparison group; the year 2007 is
    dropped (one row for each of the 309 treated counties). Counts from the data. Kills
    x_callaway_santanna__mutmut_158 (cohort name None) and x__last_cohort_as_control__mutmut_44."""
    m = mpdta[mpdta["first.treat"] > 0]
    n07 = m.loc[m["first.treat"] == 2007, "countyreal"].nunique()
    n_drop = int((m["year"] >= 2007).sum())
    with pytest.warns(EstimationWarning) as rec:
        res = callaway_santanna(m, **KW, control="notyet")
    msgs = [str(w.message) for w in rec]
    assert ("callaway_santanna: no never-treated units; as R did does with control='notyet', the "
            f"last-treated cohort (first.treat = 2007, {n07} units) serves as the comparison "
            f"group and the periods from 2007 on are dropped ({n_drop} unit-periods). ATT(g,t) "
            "is reported for the earlier cohorts only.") in msgs
    assert res.provenance.dropped == {
        "unit-periods from 2007 on (no never-treated units: cohort 2007 is the comparison "
        "group, as R did)": n_drop}


def test_parameter_and_column_messages_word_for_word(mpdta):
    """Kills x_callaway_santanna__mutmut_29 (the option's name), x__prepare__mutmut_13 (the
    unit column not checked), x__prepare__mutmut_123 (table name of the cohort check),
    x__prepare__mutmut_207 (owner of the one-cluster error)."""
    with pytest.raises(ParameterError) as ei:
        callaway_santanna(mpdta, **KW, method="xx")
    assert str(ei.value) == ("The 'method' parameter of callaway_santanna must be one of {'dr', "
                             "'ipw', 'reg'}. Got 'xx' instead.")
    with pytest.raises(ParameterError, match=r"^The 'unit' parameter of callaway_santanna must "
                                             r"name a column of data\. Got 'nope' instead"):
        callaway_santanna(mpdta, **{**KW, "unit": "nope"})
    # the cohort of county 1 changes in 2007 (mpdta is sorted by county and year)
    m = mpdta.copy()
    first = m["countyreal"].iloc[0]
    m.loc[(m["countyreal"] == first) & (m["year"] == 2007), "first.treat"] = 2006
    with pytest.raises(DesignError) as ei:
        callaway_santanna(m, **KW)
    assert str(ei.value) == (
        f"data: column 'first.treat' changes over time within 1 units of 'countyreal' (e.g. "
        f"{first}); the cohort is the first period a unit is treated. Fix: use one value per "
        "unit (e.g. groupby('countyreal')['first.treat'].transform('first')).")
    with pytest.raises(DesignError) as ei:
        callaway_santanna(mpdta.assign(k="73.10.01"), **KW, cluster="k")
    assert str(ei.value).startswith("callaway_santanna: only 1 cluster in the data;")


def test_cohorts_after_the_last_period_are_never_treated(mpdta):
    """A cohort after the panel's last year (2010 > 2007) is never treated within the sample,
    as R did: identical to coding it 0. Kills x__prepare__mutmut_308 (set to 1 instead)."""
    late = mpdta["first.treat"] == 2004
    a = callaway_santanna(mpdta.assign(c=np.where(late, 2010, mpdta["first.treat"])),
                          **{**KW, "cohort": "c"})
    b = callaway_santanna(mpdta.assign(c=np.where(late, 0, mpdta["first.treat"])),
                          **{**KW, "cohort": "c"})
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())


def test_pretrend_wald_uses_the_clustered_covariance(mpdta):
    """One pre-treatment cell (see test_pretrend_wald_with_one_pre_period_is_z_squared), with
    40 clusters: the Wald statistic is (estimate / clustered se)^2. Kills x__wald__mutmut_17."""
    sub = mpdta[(mpdta["year"] >= 2005) & (mpdta["first.treat"] != 2004)]
    res = callaway_santanna(sub.assign(k=sub["countyreal"] % 40), **KW, cluster="k")
    row = res.tidy().set_index("term").loc["ATT(2007,2006)"]
    z = row["estimate"] / row["std_error"]
    assert res.extras["pretrend"]["statistic"] == pytest.approx(z ** 2, rel=1e-10)
    plain = callaway_santanna(sub, **KW).tidy().set_index("term").loc["ATT(2007,2006)"]
    assert abs(row["std_error"] / plain["std_error"] - 1) > 1e-3   # clustering matters here


def test_thin_cluster_warning_word_for_word(mpdta):
    """Treated counties all in cluster 0, never-treated in 1..19: 20 clusters, each of the
    three cohorts in one. Kills x__warn_small_samples__mutmut_87."""
    kec = np.where(mpdta["first.treat"] > 0, 0, 1 + mpdta["countyreal"] % 19)
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(mpdta.assign(kec=kec), **KW, cluster="kec")
    assert ("callaway_santanna: fragile inference: the treated units of 3 cohort(s) sit in at "
            "most 2 of the 20 clusters (first.treat = 2004: 1 cluster(s), first.treat = 2006: 1 "
            "cluster(s), first.treat = 2007: 1 cluster(s)); MacKinnon & Webb (2017): with so "
            "few treated clusters the cluster-robust standard errors of those ATT(g,t) are "
            "unreliable (they over-reject). Report them as descriptive."
            ) in [str(w.message) for w in rec]


def test_nothing_identified_message_word_for_word(mpdta):
    """Repeated cross-sections whose never-treated rows are all from 2003: every ATT(g,t)
    compares two years, one of them without comparison rows, so every cell is skipped (as R
    did) and nothing is identified. Kills x_callaway_santanna__mutmut_406."""
    m = mpdta[(mpdta["first.treat"] > 0) | (mpdta["year"] == 2003)]
    with pytest.raises(IdentificationError) as ei:
        callaway_santanna(m, **KW, panel="cross_section")
    assert str(ei.value) == (
        f"data: no ATT(g,t) is identified: there are no never-treated and no not-yet-treated "
        f"units to compare with ({len(m)} units, cohorts 2004, 2006, 2007). Fix: the "
        "evaluation needs villages that are not (yet) in the programme.")


def test_result_title_and_inputs_hash(mpdta):
    """Kills x_callaway_santanna__mutmut_581 (hash left out) and _620 (title None)."""
    from kassaki_eval.impact._common import hash_columns
    res = callaway_santanna(mpdta, **KW, method="reg", covariates=["lpop"])
    assert res.summary().title == "Callaway-Sant'Anna ATT(g,t) of lemp (reg, never controls)"
    assert res.provenance.inputs_hash == hash_columns(
        mpdta, ["lemp", "countyreal", "year", "first.treat", "lpop"])
    assert res.provenance.inputs_hash != hash_columns(
        mpdta, ["lemp", "countyreal", "year", "first.treat"])


def test_aggregate_errors_reference_row_alpha_and_options(mpdta):
    """Kills x_aggregate__mutmut_90 / _350 (messages), _400 (the universal base's reference
    cell has an influence function of zeros: its se is NaN, not 0), _448 (options key),
    _463 (alpha passed on)."""
    res = callaway_santanna(mpdta, **KW, alpha=0.1)
    with pytest.raises(IdentificationError) as ei:
        aggregate(res, "dynamic", max_e=-1)      # anticipation 0: no post cell has e <= -1
    assert str(ei.value) == ("No post-treatment ATT(g,t) to aggregate. Fix: the data need "
                             "periods at or after the first treatment.")
    # one period of anticipation: e = -1 cells are "post", so max_e = -1 leaves no e >= 0
    sub = mpdta[mpdta["first.treat"] != 2004]
    ra = callaway_santanna(sub, **KW, anticipation=1)
    with pytest.raises(IdentificationError) as ei:
        aggregate(ra, "dynamic", max_e=-1)
    assert str(ei.value) == "No event time >= 0 to aggregate."
    agg = aggregate(res, "dynamic")
    assert agg.alpha == 0.1
    assert aggregate(res, "dynamic", alpha=0.2).alpha == 0.2
    assert agg.provenance.options["aggregation"] == "dynamic"
    uni = aggregate(callaway_santanna(mpdta, **KW, base_period="universal"), "dynamic").tidy()
    ref = uni.set_index("term").loc["e=-1"]
    assert ref["estimate"] == 0.0 and np.isnan(ref["std_error"])
    assert np.isfinite(uni.set_index("term").loc["e=-2", "std_error"])


def _imp_panel(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nu, T = 30, 4
    d = pd.DataFrame({"u": np.repeat(np.arange(nu), T), "t": np.tile(2020 + np.arange(T), nu)})
    d["g"] = np.where(d.u < 10, 2022, np.where(d.u < 18, 2023, 0))
    d["x1"] = rng.normal(size=len(d))
    d["x2"] = 1e7 + 1e5 * rng.normal(size=len(d))      # Rupiah-sized, with within variation
    d["w"] = rng.uniform(0.5, 2.0, size=len(d))
    d["y"] = (0.3 * d.u + 0.2 * d.t + 0.5 * d.x1 + 2e-6 * d.x2 + rng.normal(size=len(d))
              + 0.7 * ((d.g > 0) & (d.t >= d.g)))
    return d


def _imputation_by_hand(d: pd.DataFrame, covs: list[str], weighted: bool) -> float:
    """BJS by numpy: WLS of y on unit and period dummies (and covs) on untreated rows, effects
    y - fit on treated rows, their (weighted) mean."""
    treated = (d.g > 0) & (d.t >= d.g)
    U = pd.get_dummies(d.u).to_numpy(float)
    Tm = pd.get_dummies(d.t).to_numpy(float)[:, 1:]
    # covariates centred (absorbed by the unit dummies; keeps lstsq well conditioned)
    X = np.column_stack([U, Tm] + [d[c].to_numpy(float) - d[c].mean() for c in covs])
    w = d["w"].to_numpy() if weighted else np.ones(len(d))
    u0 = ~treated.to_numpy()
    sw = np.sqrt(w[u0])
    beta = np.linalg.lstsq(X[u0] * sw[:, None], d.y.to_numpy()[u0] * sw, rcond=None)[0]
    tau = d.y.to_numpy() - X @ beta
    return float(np.sum(w[~u0] * tau[~u0]) / np.sum(w[~u0]))


def test_imputation_weights_and_two_covariates_against_least_squares():
    """Kills x_imputation__mutmut_111 (weights ignored), _199 / _202 (the collinearity check's
    raw variances: one mean over both covariates refuses x1 next to a Rupiah-sized x2; a sum
    over rows breaks with two covariates)."""
    d = _imp_panel()
    kw = {"y": "y", "unit": "u", "time": "t", "cohort": "g"}
    got = imputation(d, **kw, weights="w")["ATT"]
    assert got == pytest.approx(_imputation_by_hand(d, [], True), rel=1e-10)
    assert got != pytest.approx(_imputation_by_hand(d, [], False), rel=1e-6)
    got2 = imputation(d, **kw, covariates=["x1", "x2"])["ATT"]
    assert got2 == pytest.approx(_imputation_by_hand(d, ["x1", "x2"], False), rel=1e-8)


def test_imputation_drops_a_last_unit_never_observed_untreated():
    """The last unit (in row order) is treated from the first period: its rows cannot be
    imputed, are dropped and counted, and the result equals the one without that unit, with
    covariates too. Kills x_imputation__mutmut_418 (bincount without minlength)."""
    d = _imp_panel()
    extra = d[d.u == 0].assign(u=99, g=2020)
    both = pd.concat([d, extra], ignore_index=True)
    kw = {"y": "y", "unit": "u", "time": "t", "cohort": "g", "covariates": ["x1"]}
    a = imputation(both, **kw)
    b = imputation(d, **kw)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert a.provenance.dropped == {
        "treated obs. with no untreated obs. of the unit or period (not imputable)": 4}


def test_imputation_method_and_options(mpdta):
    """Kills x_imputation__mutmut_529 (options key) and _558 (method name)."""
    res = imputation(mpdta, **KW)
    assert res.method == "imputation"
    assert dict(res.provenance.options) == {
        "y": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat",
        "covariates": [], "weights": None, "cluster": "countyreal", "anticipation": 0}


def test_village_panel_missing_keep_column_is_named():
    """Kills x_village_panel__mutmut_24 (keep not checked: a bare KeyError)."""
    from kassaki_eval.impact.staggered import village_panel
    s = pd.DataFrame({"village_code": [1, 1], "year": [2020, 2021], "weight": [1.0, 1.0],
                      "hh_size": [4, 4], "poor": [0.0, 1.0]})
    with pytest.raises(ParameterError, match=r"^The 'keep' parameter of village_panel must name "
                                             r"a column of data\. Got 'kec_code' instead"):
        village_panel(s, outcomes=["poor"])


def test_imputation_time_invariant_covariate_message_word_for_word(mpdta):
    """lpop is constant within county in mpdta: absorbed by the unit effects, refused with the
    covariate named. Kills x_imputation__mutmut_240 (message case)."""
    with pytest.raises(IdentificationError) as ei:
        imputation(mpdta, **KW, covariates=["lpop"])
    assert str(ei.value) == (
        "data: covariate(s) ['lpop'] are collinear with the unit and period effects among "
        "untreated observations (e.g. time-invariant). Fix: drop them; unit effects already "
        "absorb time-invariant covariates.")


# ==============================================================================================
# Third round (helper mutM, session 11): pinning by behaviour area (every function, branch,
# parameter, message and returned column), not by a mutant sample. Sources as above: counts
# from the data, identities stated in the test, or numpy written out here.
# ==============================================================================================
def _rp(m: pd.DataFrame) -> pd.DataFrame:
    """lpop as a Rupiah-sized level: 1e8 + 1e6 * lpop (an affine map of lpop)."""
    return m.assign(rp=1e8 + 1e6 * m["lpop"])


@pytest.mark.parametrize("panel", ["balance", "cross_section"])
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_rupiah_sized_covariate_is_not_called_collinear(mpdta, method, panel):
    """REAL BUG (session 11): a covariate with a huge mean (1e8 + 1e6 lpop, a raw Rupiah level)
    was refused as "singular (collinear covariates)" by every method, because the condition
    number of X'WX with an intercept exceeded 1/eps. Every 2x2 model has an intercept, so an
    affine map of a covariate leaves ATT(g,t) and its influence function unchanged: the
    estimates must equal those with lpop itself (to rounding)."""
    kw = {**KW, "method": method, "panel": panel}
    if panel == "cross_section":
        kw["unit"] = None
    a = callaway_santanna(mpdta, **kw, covariates=["lpop"])
    b = callaway_santanna(_rp(mpdta), **kw, covariates=["rp"])
    np.testing.assert_allclose(b.estimates, a.estimates, atol=1e-12, rtol=0)
    np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-10)


def test_constant_covariate_is_still_refused_as_collinear(mpdta):
    """A covariate equal to 5 everywhere is collinear with the intercept (centred, its column is
    0): each method names the model that is singular, word for word."""
    m = mpdta.assign(c=5.0)
    want = {
        ("ipw", "balance"): "The propensity-score logit is singular (collinear covariates). "
                            "Fix: drop covariates.",
        ("reg", "balance"): "The outcome regression on the controls is singular (collinear "
                            "covariates). Fix: drop covariates.",
        ("reg", "cross_section"): "The outcome regression on the comparison group, base period "
                                  "is singular (too few observations or collinear covariates). "
                                  "Fix: drop covariates.",
        ("ipw", "cross_section"): "The propensity-score logit is singular (collinear "
                                  "covariates). Fix: drop covariates.",
    }
    for (method, panel), msg in want.items():
        with pytest.raises(IdentificationError) as ei:
            callaway_santanna(m, **KW, method=method, panel=panel, covariates=["lpop", "c"])
        assert str(ei.value) == msg


def test_comparison_clusters_not_untreated_clusters_are_counted(mpdta):
    """REAL BUG (session 11): the cluster warning counted "untreated" clusters as those without
    any treated unit. With villages of several cohorts in every cluster it said "0 (or 2)
    untreated cluster(s)" although every cluster holds comparison units (never-treated, or with
    control='notyet' not-yet-treated ones): a false alarm. Now the comparison side counts the
    clusters holding comparison units."""
    # 13 clusters (county id mod 13), each with treated and never-treated counties (counted)
    m = mpdta.assign(k=mpdta["countyreal"] % 13)
    assert m[m["first.treat"] > 0]["k"].nunique() == 13 == m[m["first.treat"] == 0]["k"].nunique()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callaway_santanna(m, **KW, cluster="k")
    # no never-treated, control='notyet': cohort 2007 (R did's rule) is the comparison group;
    # county id mod 30: cohorts 2004/2006 sit in 14 clusters of the 16, cohort 2007 in all 16
    nn = mpdta[mpdta["first.treat"] > 0].assign(k=lambda d: d["countyreal"] % 30)
    assert nn["k"].nunique() == 16
    assert nn[nn["first.treat"] < 2007]["k"].nunique() == 14
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(nn, **KW, cluster="k", control="notyet")
    assert not [w for w in rec if "fragile" in str(w.message)]


def test_few_comparison_clusters_warning_word_for_word(mpdta):
    """Never-treated counties all in clusters 0 and 1, treated counties in 2..21: 22 clusters,
    2 of them hold the comparison units. With control='notyet' the cohorts after the first
    (2006, 2007) are comparison units too: 20 more clusters, no warning."""
    ft = mpdta["first.treat"]
    rank = mpdta["countyreal"].rank(method="dense").astype(int)     # 1..500
    k = np.where(ft == 0, rank % 2, 2 + rank % 20)
    m = mpdta.assign(k=k)
    assert m["k"].nunique() == 22
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(m, **KW, cluster="k")
    assert [str(w.message) for w in rec if "fragile" in str(w.message)] == [
        "callaway_santanna: fragile inference: 2 comparison cluster(s) of 22 (MacKinnon & Webb "
        "2017: with so few comparison clusters neither CR1 nor the wild bootstrap is reliable)."]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callaway_santanna(m, **KW, cluster="k", control="notyet")


def test_few_clusters_and_few_treated_clusters_word_for_word(mpdta):
    """5 clusters (county id mod 5); then every treated county in cluster 0 of 20."""
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(mpdta.assign(k=mpdta["countyreal"] % 5), **KW, cluster="k")
    assert [str(w.message) for w in rec] == [
        "callaway_santanna: fragile inference: only 5 clusters (MacKinnon & Webb: cluster-robust "
        "t-tests over-reject below ~12 clusters)."]
    kec = np.where(mpdta["first.treat"] > 0, 0, 1 + mpdta["countyreal"] % 19)
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(mpdta.assign(kec=kec), **KW, cluster="kec")
    assert ("callaway_santanna: fragile inference: 1 treated cluster(s) of 20 (MacKinnon & Webb "
            "2017: with so few treated clusters neither CR1 nor the wild bootstrap is reliable)."
            ) in [str(w.message) for w in rec]
    # 12 clusters is not "few" (the threshold is < 12): county id mod 12 has 12 values
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callaway_santanna(mpdta.assign(k=mpdta["countyreal"] % 12), **KW, cluster="k")


def test_prepare_messages_word_for_word(mpdta):
    """Single period, duplicated rows, repeated cross-section passed as a panel, always-treated
    units, anticipation and unit=None: each message in full (counts and ids from the data)."""
    one = mpdta[mpdta["year"] == 2005]
    with pytest.raises(IdentificationError) as ei:
        callaway_santanna(one, **KW)
    assert str(ei.value) == ("data: column 'year' has a single period (2005); DiD needs at least "
                             "two. Fix: stack the survey waves.")
    dup = pd.concat([mpdta, mpdta.iloc[[5, 0]]], ignore_index=True)
    first2 = mpdta["countyreal"].iloc[[5, 0]].tolist()
    with pytest.raises(DesignError) as ei:
        callaway_santanna(dup, **KW)
    assert str(ei.value) == (
        f"data: 2 duplicated (countyreal, year) rows (e.g. {first2[0]}, {first2[1]}); a panel has "
        "one row per unit and period. Fix: aggregate or drop duplicates (see village_panel()).")
    d = mpdta.assign(obs=np.arange(len(mpdta)))
    with pytest.raises(DesignError) as ei:
        callaway_santanna(d, **{**KW, "unit": "obs"}, panel="pairwise")
    assert str(ei.value) == (
        "data: every unit of 'obs' is observed in a single period of 'year' (2500 units, 5 "
        "periods): this is a repeated cross-section, not a panel, so panel='pairwise' finds no "
        "unit to difference over time. Fix: pass panel='cross_section' (Sant'Anna & Zhao 2020 "
        "repeated cross-section estimators, as R did with panel=FALSE), or check that 'obs' is "
        "the household/village id that repeats across waves.")
    m = mpdta.copy()
    m.loc[m["first.treat"] == 2004, "first.treat"] = 2003
    ids = np.sort(m.loc[m["first.treat"] == 2003, "countyreal"].unique())[:5]
    with pytest.raises(IdentificationError) as ei:
        callaway_santanna(m, **KW)
    assert str(ei.value) == (
        f"data: 20 units of 'countyreal' have 'first.treat' at or before the first period 2003 "
        f"(e.g. {', '.join(map(str, ids))}), so their untreated outcome is never observed and "
        "ATT(g,t) is not identified. Fix: drop these always-treated units or add earlier survey "
        "waves.")
    for bad in (-1, 1.0, "1"):
        with pytest.raises(ParameterError) as ei:
            callaway_santanna(mpdta, **KW, anticipation=bad)
        assert str(ei.value) == ("The 'anticipation' parameter of callaway_santanna must be a "
                                 f"non-negative integer. Got {bad!r} instead.")
    with pytest.raises(ParameterError) as ei:
        callaway_santanna(mpdta, **{**KW, "unit": None})
    assert str(ei.value) == ("The 'unit' parameter of callaway_santanna must name the unit id "
                             "column for panel='balance'. Got None instead (None only with "
                             "panel='cross_section').")
    with pytest.raises(IdentificationError) as ei:
        callaway_santanna(mpdta.assign(c=0), **{**KW, "cohort": "c"})
    assert str(ei.value) == ("data: no unit is ever treated (column 'c' is 0 for all 500 units). "
                             "Fix: check the cohort column.")
    for opt, val, allowed in (("control", "nev", "{'never', 'notyet'}"),
                              ("base_period", "uni", "{'varying', 'universal'}"),
                              ("panel", "bal", "{'balance', 'unbalanced', 'pairwise', "
                                               "'cross_section'}")):
        with pytest.raises(ParameterError) as ei:
            callaway_santanna(mpdta, **KW, **{opt: val})
        assert str(ei.value) == (f"The '{opt}' parameter of callaway_santanna must be one of "
                                 f"{allowed}. Got {val!r} instead.")


def test_no_never_and_too_few_periods_message_word_for_word(mpdta):
    """No never-treated, control='notyet', a single cohort (2004): R did's last-cohort rule
    leaves no treated cohort."""
    m = mpdta[mpdta["first.treat"] == 2004]
    with pytest.raises(IdentificationError) as ei:
        callaway_santanna(m, **KW, control="notyet")
    assert str(ei.value) == (
        "data: no ATT(g,t) is identified: there are no never-treated and no not-yet-treated "
        "units to compare with (1 cohort(s): 2004; with the last-treated cohort 2004 as "
        "comparison group, R did's rule, fewer than two periods or no treated cohort remain). "
        "Fix: add never-treated (comparison) villages or earlier survey waves.")
    # two cohorts (2006, 2007), three periods of anticipation: periods before 2007 - 3 = 2004
    # leave 2003 only
    m2 = mpdta[mpdta["first.treat"] > 2004]
    with pytest.raises(IdentificationError, match=r"\(2 cohort\(s\): 2006, 2007; with the "
                                                  r"last-treated cohort 2007 as comparison"):
        callaway_santanna(m2, **KW, control="notyet", anticipation=3)


def test_weights_that_vary_by_wave_use_the_first_row(mpdta):
    """Weights differing between waves: the unit's weight is its first row's (row order), the
    units are counted in `dropped` (not dropped), and the result equals the one with that
    weight in every row."""
    m = mpdta.assign(w=mpdta["lpop"])
    first = m.groupby("countyreal")["w"].transform("first")
    vary = m["countyreal"].isin(m["countyreal"].unique()[:7]) & (m["year"] == 2006)
    m.loc[vary, "w"] = m.loc[vary, "w"] + 3.0
    a = callaway_santanna(m, **KW, weights="w")
    b = callaway_santanna(m.assign(w=first), **KW, weights="w")
    np.testing.assert_allclose(a.estimates, b.estimates, atol=1e-14)
    assert a.provenance.dropped == {
        "(not dropped) units whose weight varies by wave; first wave's weight used": 7}
    assert b.provenance.dropped == {}


def _dup_units(m: pd.DataFrame, unit: str = "countyreal") -> pd.DataFrame:
    """Every unit twice (the copy with a new id): equal to integer weights of 2."""
    return pd.concat([m, m.assign(**{unit: m[unit] + 100_000})], ignore_index=True)


@pytest.mark.parametrize("panel", ["balance", "cross_section", "unbalanced"])
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_weights_equal_duplicated_units(mpdta, method, panel):
    """Integer weights are frequency weights for the point estimates: weight 2 on half of the
    counties (chosen by id) equals listing those counties twice. Pins the weights in every
    formula of the panel and repeated-cross-section estimators with a covariate."""
    heavy = mpdta["countyreal"] % 2 == 0
    kw = {**KW, "method": method, "panel": panel, "covariates": ["lpop"]}
    a = callaway_santanna(mpdta.assign(w=np.where(heavy, 2.0, 1.0)), **kw, weights="w")
    b = callaway_santanna(pd.concat([mpdta, _dup_units(mpdta[heavy])[heavy.sum():]],
                                    ignore_index=True), **kw)
    np.testing.assert_allclose(a.estimates, b.estimates, atol=1e-10, rtol=0)
    if method == "dr":       # without covariates too (the intercept-only formulas)
        kw["covariates"] = None
        a = callaway_santanna(mpdta.assign(w=np.where(heavy, 2.0, 1.0)), **kw, weights="w")
        b = callaway_santanna(pd.concat([mpdta, _dup_units(mpdta[heavy])[heavy.sum():]],
                                        ignore_index=True), **kw)
        np.testing.assert_allclose(a.estimates, b.estimates, atol=1e-12, rtol=0)


def test_cells_columns_counts_extras_and_provenance(mpdta):
    """mpdta: 309 never-treated counties, cohorts 2004 (20), 2006 (40), 2007 (131), years
    2003-2007. With control='notyet' a cell's comparison units are the never-treated plus the
    other cohorts treated after max(t, base): the counts below are sums of those cohort sizes
    (e.g. ATT(2004,2006): base 2003, 309 + 131 = 440; ATT(2007,2004): base 2003, 309 + 40)."""
    res = callaway_santanna(mpdta, **KW, control="notyet")
    t = res.tidy()
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                               "conf_low", "conf_high", "n_obs", "df", "group", "time",
                               "event_time", "post", "n_treated", "n_control"]
    want = {  # term: (n_treated, n_control, event_time, post)
        "ATT(2004,2004)": (20, 480, 0, 1), "ATT(2004,2005)": (20, 480, 1, 1),
        "ATT(2004,2006)": (20, 440, 2, 1), "ATT(2004,2007)": (20, 309, 3, 1),
        "ATT(2006,2004)": (40, 440, -2, 0), "ATT(2006,2005)": (40, 440, -1, 0),
        "ATT(2006,2006)": (40, 440, 0, 1), "ATT(2006,2007)": (40, 309, 1, 1),
        "ATT(2007,2004)": (131, 349, -3, 0), "ATT(2007,2005)": (131, 349, -2, 0),
        "ATT(2007,2006)": (131, 309, -1, 0), "ATT(2007,2007)": (131, 309, 0, 1)}
    assert list(t["term"]) == list(want)
    got = {r.term: (r.n_treated, r.n_control, r.event_time, r.post) for r in t.itertuples()}
    assert got == want
    assert (t["n_obs"] == t["n_treated"] + t["n_control"]).all()
    assert np.isinf(t["df"]).all()
    assert list(t["group"]) == [2004.0] * 4 + [2006.0] * 4 + [2007.0] * 4
    assert list(t["time"]) == [2004, 2005, 2006, 2007] * 3
    ex = res.extras
    units = np.sort(mpdta["countyreal"].unique())
    np.testing.assert_array_equal(ex["units"], units)
    coh = mpdta.groupby("countyreal")["first.treat"].first().loc[units].to_numpy(float)
    np.testing.assert_array_equal(ex["unit_cohort"], coh)
    np.testing.assert_array_equal(ex["periods"], [2003, 2004, 2005, 2006, 2007])
    np.testing.assert_array_equal(ex["unit_weight"], np.ones(500))
    assert ex["influence"].shape == (500, 12)
    assert (ex["n_units"], ex["cluster_codes"], ex["n_clusters"]) == (500, None, None)
    assert (ex["base_period"], ex["control"], ex["anticipation"], ex["y"]) == (
        "varying", "notyet", 0, "lemp")
    assert dict(res.provenance.options) == {
        "y": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat",
        "control": "notyet", "method": "dr", "covariates": [], "weights": None, "cluster": None,
        "anticipation": 0, "base_period": "varying", "panel": "balance"}
    assert (res.provenance.n_input, res.provenance.n_used, res.provenance.dropped) == (
        2500, 2500, {})
    assert res.method == "cs_did" and res.alpha == 0.05
    c = callaway_santanna(mpdta.assign(k=mpdta["countyreal"] % 13), **KW, cluster="k")
    assert (c.tidy()["df"] == 12.0).all() and c.extras["n_clusters"] == 13
    np.testing.assert_array_equal(c.extras["cluster_codes"],
                                  np.sort(mpdta["countyreal"].unique()) % 13)


def test_unit_ids_in_any_layout_give_the_same_cells(mpdta):
    """Integer ids (lookup table), integer ids spread wider than the table (hash path), text
    ids in sorted order (run-length scan) and in unsorted order (hash, first appearance): the
    same ATT(g,t), and extras['units'] lists the ids in the order of the codes."""
    base = callaway_santanna(mpdta, **KW, method="reg")
    ids = np.sort(mpdta["countyreal"].unique())
    wide = mpdta.assign(countyreal=mpdta["countyreal"] * 10**9)
    r1 = callaway_santanna(wide, **KW, method="reg")
    np.testing.assert_array_equal(r1.extras["units"], ids * 10**9)
    txt = mpdta.assign(countyreal=mpdta["countyreal"].map(lambda v: f"u{v:06d}"))
    r2 = callaway_santanna(txt, **KW, method="reg")
    assert list(r2.extras["units"]) == [f"u{v:06d}" for v in ids]
    rev = txt.iloc[::-1]
    r3 = callaway_santanna(rev, **KW, method="reg")
    assert list(r3.extras["units"]) == [f"u{v:06d}" for v in ids[::-1]]
    for r in (r1, r2, r3):
        np.testing.assert_allclose(r.estimates, base.estimates, atol=1e-13)
        np.testing.assert_allclose(r.std_errors, base.std_errors, rtol=1e-11)


def test_anticipation_equals_the_cohort_moved_one_period_earlier(mpdta):
    """With anticipation a, cohort g is treated from g - a on (the post cells, the base period
    g - 1 - a, and the not-yet-treated cut max(t, base) + a): one period of anticipation gives
    the ATT(g,t) of cohort g - 1 without it, for every method and control group, and the
    same simple and group aggregations. mpdta without cohort 2004 (no pre-period for 2003)."""
    sub = mpdta[mpdta["first.treat"] != 2004]
    moved = sub.assign(c=np.where(sub["first.treat"] > 0, sub["first.treat"] - 1, 0))
    for control in ("never", "notyet"):
        for method in ("reg", "dr"):
            cov = ["lpop"] if method == "dr" else None
            a = callaway_santanna(sub, **KW, anticipation=1, control=control, method=method,
                                  covariates=cov)
            b = callaway_santanna(moved, **{**KW, "cohort": "c"}, control=control, method=method,
                                  covariates=cov)
            ta, tb = a.tidy(), b.tidy()
            np.testing.assert_allclose(ta["estimate"], tb["estimate"], atol=1e-13)
            np.testing.assert_allclose(ta["std_error"], tb["std_error"], rtol=1e-11)
            np.testing.assert_array_equal(ta["group"], tb["group"] + 1)
            np.testing.assert_array_equal(ta["post"], tb["post"])
            np.testing.assert_array_equal(ta["n_control"], tb["n_control"])
            assert a.extras["pretrend"]["statistic"] == pytest.approx(
                b.extras["pretrend"]["statistic"], rel=1e-10)
            for typ in ("simple", "group"):
                ga, gb = aggregate(a, typ), aggregate(b, typ)
                np.testing.assert_allclose(ga.estimates, gb.estimates, atol=1e-13)
                np.testing.assert_allclose(ga.std_errors, gb.std_errors, rtol=1e-11)
    ia = imputation(sub, **KW, anticipation=1)
    ib = imputation(moved, **{**KW, "cohort": "c"})
    assert ia["ATT"] == pytest.approx(ib["ATT"], abs=1e-13)
    assert ia.std_errors["ATT"] == pytest.approx(ib.std_errors["ATT"], rel=1e-11)
    assert ia.provenance.options["anticipation"] == 1


def test_pretrend_wald_cells_and_no_pre_period(mpdta):
    """The Wald test uses the pre-treatment cells with a standard error: 5 with the varying
    base (2006: 2004, 2005; 2007: 2004-2006), 5 with the universal base (the reference cells
    2005 of 2006 and 2006 of 2007 have ATT = 0 and no se; 2006: 2003, 2004; 2007: 2003-2005).
    Two periods, one cohort treated in the second: no pre cell, statistic and p NaN, df 0."""
    assert callaway_santanna(mpdta, **KW).extras["pretrend"]["df"] == 5
    uni = callaway_santanna(mpdta, **KW, base_period="universal")
    assert uni.extras["pretrend"]["df"] == 5
    tu = uni.tidy().set_index("term")
    assert tu.loc["ATT(2006,2005)", "estimate"] == 0.0
    assert np.isnan(tu.loc["ATT(2006,2005)", "std_error"])
    assert (tu.loc["ATT(2006,2005)", "n_treated"], tu.loc["ATT(2006,2005)", "n_control"]) == (0, 0)
    assert list(tu.index[:5]) == ["ATT(2004,2003)", "ATT(2004,2004)", "ATT(2004,2005)",
                                  "ATT(2004,2006)", "ATT(2004,2007)"]
    two = mpdta[mpdta["year"].isin([2003, 2004]) & mpdta["first.treat"].isin([0, 2004])]
    pt = callaway_santanna(two, **KW).extras["pretrend"]
    assert pt["df"] == 0 and np.isnan(pt["statistic"]) and np.isnan(pt["p_value"])


def test_pairwise_skips_cells_without_treated_units(mpdta):
    """panel='pairwise': every county of cohort 2004 loses its 2005 row, so the cells comparing
    2005 with the base 2003 have no treated unit and are skipped (as R did), the others kept;
    cohort 2004's other cells use its 20 counties."""
    gone = (mpdta["first.treat"] == 2004) & (mpdta["year"] == 2005)
    res = callaway_santanna(mpdta[~gone], **KW, panel="pairwise")
    t = res.tidy().set_index("term")
    assert "ATT(2004,2005)" not in t.index
    assert t.loc["ATT(2004,2006)", "n_treated"] == 20
    assert len(t) == 11 and res.extras["influence"].shape == (500, 11)
    assert res.provenance.n_used == 2500 - 20


def test_aggregate_by_hand_max_e_min_e_balance_e(mpdta):
    """Unweighted, so the cohort weights are cohort sizes (2004: 20, 2006: 40, 2007: 131):
    group with max_e=0 keeps each cohort's e=0 cell; dynamic with balance_e=1 keeps cohorts
    with at least 1 period after treatment (2004, 2006) and e in [1 - 4, 1]; min_e / max_e
    cut the event times and the overall ATT averages the kept e >= 0. Estimates from the
    ATT(g,t) by hand; the overall se from the kept event-time influence functions."""
    res = callaway_santanna(mpdta, **KW)
    a = res.tidy().set_index("term")["estimate"]
    n = {2004: 20, 2006: 40, 2007: 131}
    g0 = aggregate(res, "group", max_e=0)
    for g in n:
        assert g0[f"g={g}"] == pytest.approx(a[f"ATT({g},{g})"], abs=1e-14)
    want = sum(n[g] * a[f"ATT({g},{g})"] for g in n) / sum(n.values())
    assert g0["ATT"] == pytest.approx(want, abs=1e-14)
    b1 = aggregate(res, "dynamic", balance_e=1)
    assert list(b1.tidy()["term"]) == ["ATT", "e=-2", "e=-1", "e=0", "e=1"]
    for e in (-2, -1, 0, 1):
        cells = [(g, g + e) for g in (2004, 2006) if f"ATT({g},{g + e})" in a.index]
        want = (sum(n[g] * a[f"ATT({g},{t})"] for g, t in cells) / sum(n[g] for g, _ in cells))
        assert b1[f"e={e}"] == pytest.approx(want, abs=1e-14), e
    assert b1["ATT"] == pytest.approx((b1["e=0"] + b1["e=1"]) / 2, abs=1e-14)
    full = aggregate(res, "dynamic")
    cut = aggregate(res, "dynamic", min_e=-1, max_e=1)
    assert list(cut.tidy()["term"]) == ["ATT", "e=-1", "e=0", "e=1"]
    for e in (-1, 0, 1):
        assert cut[f"e={e}"] == pytest.approx(full[f"e={e}"], abs=1e-14)
        assert cut.std_errors[f"e={e}"] == pytest.approx(full.std_errors[f"e={e}"], rel=1e-12)
    assert cut["ATT"] == pytest.approx((full["e=0"] + full["e=1"]) / 2, abs=1e-14)
    IF = full.extras["influence"]
    cols = [full.tidy()["term"].tolist().index(f"e={e}") for e in (0, 1)]
    se = np.sqrt(np.sum(IF[:, cols].mean(axis=1) ** 2)) / 500
    assert cut.std_errors["ATT"] == pytest.approx(se, rel=1e-12)


def test_aggregate_result_fields_and_messages(mpdta):
    """Columns, the extra column per type, n_obs and df (13 clusters), method, provenance,
    extras; the type option and a result that is not callaway_santanna's, word for word."""
    res = callaway_santanna(mpdta.assign(k=mpdta["countyreal"] % 13), **KW, cluster="k")
    for typ, col in (("simple", None), ("group", "group"), ("calendar", "time"),
                     ("dynamic", "event_time")):
        agg = aggregate(res, typ)
        t = agg.tidy()
        base = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                "conf_high", "n_obs", "df"]
        assert list(t.columns) == base + ([col] if col else [])
        assert (t["n_obs"] == 2500).all() and (t["df"] == 12.0).all()
        assert agg.method == f"cs_{typ}"
        assert agg.provenance.method == f"aggregate_{typ}"
        assert agg.provenance.options["aggregation"] == typ
        assert agg.provenance.options["cluster"] == "k"
        assert agg.provenance.inputs_hash == res.provenance.inputs_hash
        assert agg.extras["aggregation"] == typ
        assert agg.extras["parent_terms"] == res.tidy()["term"].tolist()
        assert agg.extras["n_clusters"] == 13
        assert agg.extras["influence"].shape == (500, len(t))
        if col:
            assert np.isnan(t[col].iloc[0])
    assert list(aggregate(res, "calendar").tidy()["time"].iloc[1:]) == [2004, 2005, 2006, 2007]
    assert list(aggregate(res, "group").tidy()["group"].iloc[1:]) == [2004, 2006, 2007]
    with pytest.raises(ParameterError) as ei:
        aggregate(res, "event")
    assert str(ei.value) == ("The 'type' parameter of aggregate must be one of {'simple', "
                             "'group', 'calendar', 'dynamic'}. Got 'event' instead.")
    imp = imputation(mpdta, **KW)
    with pytest.raises(ParameterError) as ei:
        aggregate(imp, "group")
    assert str(ei.value) == ("The 'res' parameter of aggregate must be a callaway_santanna() "
                             "result. Got a 'imputation' result instead.")


def _bjs_by_hand(d: pd.DataFrame, covs: list[str], w: np.ndarray, clus: np.ndarray,
                 mask_fn) -> tuple[float, float]:
    """BJS (2024) imputation estimate and Theorem 3 variance by numpy with explicit dummies.

    Z = unit dummies, period dummies (first dropped), covariates; beta by WLS on untreated rows;
    the estimate sum_i v_i y_i is linear in y with v_i = wt1_i on treated rows (wt1 the target
    weights, summing to 1) and v = -W0 Z0 (Z0'W0Z0)^-1 Z1' wt1 on untreated rows. Residuals:
    untreated y - Z beta; treated tau minus its v-weighted cohort x period mean. se =
    sqrt(sum_c (sum_{i in c} v_i e_i)^2)."""
    tr = ((d.g > 0) & (d.t >= d.g)).to_numpy()
    Z = np.column_stack([pd.get_dummies(d.u).to_numpy(float),
                         pd.get_dummies(d.t).to_numpy(float)[:, 1:]]
                        + [d[c].to_numpy(float) for c in covs])
    y = d.y.to_numpy(float)
    u0 = ~tr
    A = Z[u0].T @ (Z[u0] * w[u0][:, None])
    beta = np.linalg.solve(A, Z[u0].T @ (w[u0] * y[u0]))
    tau = y - Z @ beta
    mask = mask_fn(d) & tr
    wt1 = np.where(mask, w, 0.0)
    wt1 = wt1 / wt1.sum()
    v = wt1.copy()
    v[u0] = -w[u0] * (Z[u0] @ np.linalg.solve(A, Z[tr].T @ wt1[tr]))
    cell = d.g.astype(str) + "_" + d.t.astype(str)
    e = tau.copy()
    for c in cell[tr].unique():
        s = (cell == c).to_numpy() & tr
        if v[s].sum() != 0:
            e[s] = tau[s] - np.sum(v[s] * tau[s]) / v[s].sum()
    S = pd.Series(v * e).groupby(clus).sum().to_numpy()
    return float(np.sum(wt1 * tau)), float(np.sqrt(np.sum(S ** 2)))


@pytest.mark.parametrize("covs", [[], ["x1"]])
def test_imputation_weighted_clustered_se_by_hand(covs):
    """Estimate and clustered standard error of the overall ATT, one horizon and one cell,
    with row weights, a covariate and 6 clusters, against _bjs_by_hand (numpy)."""
    d = _imp_panel()
    d["k"] = d["u"] % 6
    res = imputation(d, y="y", unit="u", time="t", cohort="g", covariates=covs, weights="w",
                     cluster="k")
    w, clus = d["w"].to_numpy(), d["k"].to_numpy()
    for term, fn in (("ATT", lambda x: x.g > 0),
                     ("e=1", lambda x: x.t - x.g == 1),
                     ("ATT(2022,2023)", lambda x: (x.g == 2022) & (x.t == 2023))):
        est, se = _bjs_by_hand(d, covs, w, clus, fn)
        assert res[term] == pytest.approx(est, rel=1e-9), term
        assert res.std_errors[term] == pytest.approx(se, rel=1e-8), term
    t = res.tidy()
    assert (t["df"] == 5.0).all() and res.extras["n_clusters"] == 6
    assert res.provenance.options["cluster"] == "k"


def test_imputation_rows_columns_and_horizons_off():
    """Rows: ATT, then e = 0, 1, 2 (cohort 2022 in 2022-2023, 2023 in 2023), then the cells
    sorted by cohort and period; n_obs = treated rows of each (10 units of 2022, 8 of 2023);
    horizons=False leaves the ATT row only."""
    d = _imp_panel()
    res = imputation(d, y="y", unit="u", time="t", cohort="g")
    t = res.tidy()
    assert list(t["term"]) == ["ATT", "e=0", "e=1", "ATT(2022,2022)", "ATT(2022,2023)",
                               "ATT(2023,2023)"]
    assert list(t["n_obs"]) == [28, 18, 10, 10, 10, 8]
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                               "conf_low", "conf_high", "n_obs", "df", "event_time", "group",
                               "time"]
    np.testing.assert_array_equal(t["event_time"], [np.nan, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(t["group"], [np.nan, np.nan, np.nan, 2022, 2022, 2023])
    assert (t["df"] == 29.0).all()
    assert res.provenance.n_used == 120 and res.provenance.n_input == 120
    assert res.extras["tau"].shape == (28, 3)
    one = imputation(d, y="y", unit="u", time="t", cohort="g", horizons=False, alpha=0.1)
    assert list(one.tidy()["term"]) == ["ATT"] and one.alpha == 0.1
    assert one["ATT"] == pytest.approx(res["ATT"], abs=1e-15)


def test_imputation_messages_word_for_word(mpdta):
    with pytest.raises(IdentificationError) as ei:
        imputation(mpdta.assign(c=0), **{**KW, "cohort": "c"})
    assert str(ei.value) == ("data: no treated observations ('c' > 0 and 'year' >= cohort). "
                             "Fix: check the cohort column.")
    m = mpdta[mpdta["first.treat"] > 0].assign(c=2003)
    with pytest.raises(IdentificationError) as ei:
        imputation(m, **{**KW, "cohort": "c"})
    assert str(ei.value) == (
        "data: no treated observation can be imputed: treated units have no untreated period, "
        "or no untreated units remain in treated periods (no never- or not-yet-treated units). "
        "Fix: add pre-treatment waves or comparison villages.")
    with pytest.raises(DesignError, match="'k'"):
        imputation(mpdta.assign(k=mpdta["year"] % 2), **KW, cluster="k")


def test_imputation_last_period_without_untreated_rows_is_dropped():
    """No never-treated units and every unit treated by 2023: the 2023 rows (no untreated
    observation in that period) cannot be imputed: 18 rows dropped and counted, the rest as
    if 2023 were not in the data."""
    d = _imp_panel()
    nn = d[d.g > 0]
    a = imputation(nn, y="y", unit="u", time="t", cohort="g")
    b = imputation(nn[nn.t < 2023], y="y", unit="u", time="t", cohort="g")
    assert a.provenance.dropped == {
        "treated obs. with no untreated obs. of the unit or period (not imputable)": 18}
    assert a["ATT"] == pytest.approx(b["ATT"], abs=1e-13)
    assert a.std_errors["ATT"] == pytest.approx(b.std_errors["ATT"], rel=1e-11)


def test_village_panel_frame_by_hand():
    """Person-weighted means (weight x persons), pop_weight, n_households and the first value
    of each keep column; persons=None gives household-weighted means; custom column names."""
    from kassaki_eval.impact.staggered import village_panel
    s = pd.DataFrame({"desa": ["b", "a", "a", "b", "a"], "tahun": [1, 1, 1, 1, 2],
                      "w": [1.0, 2.0, 1.0, 3.0, 4.0], "art": [2, 1, 3, 1, 2],
                      "poor": [1.0, 0.0, 1.0, 0.0, 1.0], "inc": [10.0, 20.0, 30.0, 40.0, 50.0],
                      "kec": ["k1", "k2", "k3", "k4", "k5"]})
    vp = village_panel(s, outcomes=["poor", "inc"], village="desa", time="tahun", weight="w",
                       persons="art", keep=["kec"])
    assert list(vp.columns) == ["desa", "tahun", "poor", "inc", "pop_weight", "n_households",
                                "kec"]
    # a,1: rows 2 (w 2, 1 person) and 3 (w 1, 3 persons): person weights 2 and 3
    # b,1: rows 1 (w 1, 2 persons) and 4 (w 3, 1 person): person weights 2 and 3
    want = pd.DataFrame({"desa": ["a", "a", "b"], "tahun": [1, 2, 1],
                         "poor": [3 / 5, 1.0, 2 / 5], "inc": [(40 + 90) / 5, 50.0,
                                                              (20 + 120) / 5],
                         "pop_weight": [5.0, 8.0, 5.0], "n_households": [2, 1, 2],
                         "kec": ["k2", "k5", "k1"]})
    pd.testing.assert_frame_equal(vp, want, check_dtype=False)
    hh = village_panel(s, outcomes=["poor"], village="desa", time="tahun", weight="w",
                       persons=None, keep=[])
    assert list(hh.columns) == ["desa", "tahun", "poor", "pop_weight", "n_households"]
    np.testing.assert_allclose(hh["poor"], [1 / 3, 1.0, 1 / 4])   # a1: (0*2+1*1)/3; b1: 1/4
    np.testing.assert_allclose(hh["pop_weight"], [3.0, 4.0, 4.0])


def test_small_group_warnings_word_for_word(mpdta):
    """3 never-treated counties kept (R did's threshold: covariates + 5 = 5 units); with
    repeated cross-sections the count is rows per period (15 rows over 5 years = 3)."""
    never = mpdta.loc[mpdta["first.treat"] == 0, "countyreal"].unique()[:3]
    m = mpdta[(mpdta["first.treat"] > 0) | mpdta["countyreal"].isin(never)]
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(m, **KW)
    assert [str(w.message) for w in rec] == [
        "callaway_santanna: few units in 1 group(s) (never treated: 3; R did warns below 5 = "
        "covariates + 5): their ATT(g,t) and standard errors rest on very few units. Fix: pool "
        "cohorts or add villages."]
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(m, **{**KW, "unit": None}, panel="cross_section")
    assert [str(w.message) for w in rec] == [
        "callaway_santanna: few rows per period in 1 group(s) (never treated: 3; R did warns "
        "below 5 = covariates + 5): their ATT(g,t) and standard errors rest on very few units. "
        "Fix: pool cohorts or add villages."]
    # exactly 5 units is not "few" (the rule is < covariates + 5)
    five = mpdta.loc[mpdta["first.treat"] == 0, "countyreal"].unique()[:5]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callaway_santanna(mpdta[(mpdta["first.treat"] > 0) | mpdta["countyreal"].isin(five)],
                          **KW)


def test_last_cohort_rule_equals_recoding_it_never_treated(mpdta):
    """R did's rule with a covariate: the last cohort (2007) becomes the comparison group and
    the periods from 2007 on are dropped; identical to doing that by hand (cohort 2007 coded
    0, years < 2007 kept) with control='notyet'."""
    antic = 0
    nn = mpdta[mpdta["first.treat"] > 0]
    kw = {**KW, "control": "notyet", "covariates": ["lpop"]}
    with pytest.warns(EstimationWarning, match="last-treated cohort"):
        a = callaway_santanna(nn, **kw)
    hand = nn[nn["year"] < 2007 - antic].assign(
        c=lambda d: np.where(d["first.treat"] == 2007, 0, d["first.treat"]))
    b = callaway_santanna(hand, **{**kw, "cohort": "c"})
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert a.provenance.n_used == len(hand)


def test_missing_values_and_bad_weights(mpdta):
    """Rows with a missing outcome are dropped and counted, then (panel='balance') their units;
    non-positive weights are refused with the column and rows named."""
    m = mpdta.copy()
    m.loc[[1, 2, 11], "lemp"] = np.nan          # counties of rows 1-2 and 11: two units
    res = callaway_santanna(m, **KW)
    assert res.provenance.dropped == {
        "missing lemp": 3, "units not observed in every period (panel='balance')": 2}
    assert res.provenance.n_used == 2500 - 10 and res.provenance.n_input == 2500
    w = mpdta["lpop"].to_numpy().copy()
    w[[0, 4]] = [0.0, -1.0]
    for est in (callaway_santanna, imputation):
        with pytest.raises(DesignError) as ei:
            est(mpdta.assign(w=w), **KW, weights="w")
        assert str(ei.value) == ("data: column 'w' has 2 non-positive or non-finite weights "
                                 "(e.g. rows 0, 4). Fix: survey weights must be > 0; drop or "
                                 "repair those rows.")


@pytest.mark.parametrize("cohort,year,what", [
    (2004, 2004, "treated group, period t"), (2004, 2003, "treated group, base period"),
    (0, 2004, "comparison group, period t")])
def test_cross_section_outcome_regressions_name_the_singular_one(mpdta, cohort, year, what):
    """Repeated cross-sections, dr: the covariate is constant (0) on the rows of one group and
    year of the first cell ATT(2004,2004) (base 2003), so that group's outcome regression is
    singular (collinear with its intercept) and the message names it."""
    mask = (mpdta["first.treat"] == cohort) & (mpdta["year"] == year)
    m = mpdta.assign(x=mpdta["lpop"].where(~mask, 0.0))
    with pytest.raises(IdentificationError) as ei:
        callaway_santanna(m, **{**KW, "unit": None}, panel="cross_section", method="dr",
                          covariates=["x"])
    assert str(ei.value) == (f"The outcome regression on the {what} is singular (too few "
                             "observations or collinear covariates). Fix: drop covariates.")


# ---------------------------------------------------------------------------------------------
# survivors of the fresh seed-21 sample (session 11), each test names the mutant(s)
# ---------------------------------------------------------------------------------------------
def _ipw_panel_by_hand(dY, D, x):
    """DRDID std_ipw_did_panel for one 2x2 cell, unweighted, numpy: logit score (the package's
    fit_logit, not under test here) clipped to [1e-6, 1 - 1e-6], controls with a score >= 0.995
    trimmed, normalised IPW weights, the influence function with the score's estimation effect;
    se = sqrt(sum inf^2) / n (callaway_santanna's scaling)."""
    from kassaki_eval.impact._propensity import fit_logit
    n = dY.size
    X = np.column_stack([np.ones(n), x])
    ps = np.clip(fit_logit(X, D, np.ones(n)).fitted, 1e-6, 1 - 1e-6)
    trim = np.where(D == 1, 1.0, (ps < 0.995).astype(float))
    wt, wc = trim * D, trim * ps * (1 - D) / (1 - ps)
    et, ec = np.mean(wt * dY) / wt.mean(), np.mean(wc * dY) / wc.mean()
    H = np.linalg.inv(X.T @ (X * (ps * (1 - ps))[:, None])) * n
    lin = (X * (D - ps)[:, None]) @ H
    M2 = (X * (wc * (dY - ec))[:, None]).mean(axis=0)
    inf = (wt * (dY - et)) / wt.mean() - (wc * (dY - ec) + lin @ M2) / wc.mean()
    return et - ec, np.sqrt(np.sum(inf ** 2)) / n


def test_ipw_score_clipped_below_one_by_hand():
    """Three treated units with a covariate far out (x = 400) get a fitted score of 1 - 7e-16:
    it must be clipped to 1 - 1e-6 (DRDID), which changes the standard error by ~1e-6
    (relative). Kills x__att_2x2__mutmut_60 (upper clip dropped)."""
    rng = np.random.default_rng(2)
    n = 200
    D = (rng.random(n) < 0.4).astype(float)
    x = rng.normal(size=n)
    x[np.flatnonzero(D)[:3]] = 400.0
    y0 = rng.normal(size=n)
    dY = rng.normal(size=n) + 0.3 * x / 400
    d = pd.DataFrame({"u": np.tile(np.arange(n), 2), "t": np.repeat([2020, 2021], n),
                      "g": np.tile(np.where(D == 1, 2021, 0), 2), "x": np.tile(x, 2),
                      "y": np.r_[y0, y0 + dY]})
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # the logit warns about near-separation
        res = callaway_santanna(d, y="y", unit="u", time="t", cohort="g", method="ipw",
                                covariates=["x"])
    att, se = _ipw_panel_by_hand(dY, D, x)
    assert res["ATT(2021,2021)"] == pytest.approx(att, abs=1e-10)
    assert res.std_errors["ATT(2021,2021)"] == pytest.approx(se, rel=1e-9)


def test_outlier_elsewhere_leaves_a_cells_scores_alone(mpdta):
    """A covariate with one far outlier (a county of cohort 2007, x = 1e4) in a cell it does not
    enter: after the global centring and scaling, the other cells' covariate varies little (the
    smallest singular value of X'WX is ~1e-3), yet the problem is well posed (the condition
    number is scale-free): cohort 2004's and 2006's ATT(g,t) equal those without the outlier.
    Kills x__cell_pscore__mutmut_12 (an absolute threshold sv[-1] <= 1)."""
    c07 = mpdta.loc[mpdta["first.treat"] == 2007, "countyreal"].iloc[0]
    x = mpdta["lpop"].where(mpdta["countyreal"] != c07, 1e4)
    a = callaway_santanna(mpdta.assign(x=x), **KW, method="ipw", covariates=["x"]).tidy()
    b = callaway_santanna(mpdta.assign(x=mpdta["lpop"]), **KW, method="ipw",
                          covariates=["x"]).tidy()
    keep = (a["group"] < 2007).to_numpy()
    np.testing.assert_allclose(a.loc[keep, "estimate"], b.loc[keep, "estimate"], atol=1e-9)


def test_two_cohorts_without_never_treated(mpdta):
    """No never-treated and two cohorts (2004, 2007): R did's rule leaves cohort 2004 against
    cohort 2007 in 2003-2006. Kills x__last_cohort_as_control__mutmut_10 (`< 3` cohorts)."""
    m = mpdta[mpdta["first.treat"].isin([2004, 2007])]
    with pytest.warns(EstimationWarning, match="last-treated cohort"):
        res = callaway_santanna(m, **KW, control="notyet")
    assert list(res.tidy()["term"]) == ["ATT(2004,2004)", "ATT(2004,2005)", "ATT(2004,2006)"]
    assert (res.tidy()["n_control"] == 131).all()


def test_missing_cluster_and_covariate_columns_are_named(mpdta):
    """Kills x__prepare__mutmut_18 (cluster not checked) and _7 (covariates not checked)."""
    with pytest.raises(ParameterError) as ei:
        callaway_santanna(mpdta, **KW, cluster="kec")
    assert str(ei.value).startswith("The 'cluster' parameter of callaway_santanna must name a "
                                    "column of data. Got 'kec' instead")
    with pytest.raises(ParameterError) as ei:
        callaway_santanna(mpdta, **KW, covariates=["lpop", "age"])
    assert str(ei.value).startswith("The 'covariates' parameter of callaway_santanna must name "
                                    "a column of data. Got 'age' instead")


def test_notyet_comparison_clusters_exclude_the_first_cohort(mpdta):
    """control='notyet': comparison units are the never-treated and the cohorts after the first
    (2006, 2007), here all in clusters 0 and 1, while the first cohort (2004) sits in clusters
    2..21: 2 comparison clusters of 22. Kills x__warn_small_samples__mutmut_68 (`>=` counts
    the first cohort as comparison)."""
    rank = mpdta["countyreal"].rank(method="dense").astype(int)
    k = np.where(mpdta["first.treat"] == 2004, 2 + rank % 20, rank % 2)
    m = mpdta.assign(k=k)
    assert m["k"].nunique() == 22
    with pytest.warns(EstimationWarning) as rec:
        callaway_santanna(m, **KW, cluster="k", control="notyet")
    assert [str(w.message) for w in rec if "fragile inference: 2 comparison" in str(w.message)
            ] == ["callaway_santanna: fragile inference: 2 comparison cluster(s) of 22 "
                  "(MacKinnon & Webb 2017: with so few comparison clusters neither CR1 nor the "
                  "wild bootstrap is reliable)."]


def test_aggregate_title(mpdta):
    """Kills x_aggregate__mutmut_460 (title None)."""
    res = callaway_santanna(mpdta, **KW)
    for typ in ("simple", "dynamic"):
        assert aggregate(res, typ).summary().title == f"Callaway-Sant'Anna, {typ} aggregation"


def test_periods_counted_from_zero_give_the_same_cells(mpdta):
    """Periods 0-4 instead of 2003-2007 (cohort 2004 becomes 1, 2006 becomes 3; 0 stays never
    treated): the same ATT(g,t) with the labels shifted by 2003. Kills
    x_callaway_santanna__mutmut_130 (cohorts > 1 only: cohort 1 lost)."""
    z = mpdta.assign(year=mpdta["year"] - 2003,
                     c=np.where(mpdta["first.treat"] > 0, mpdta["first.treat"] - 2003, 0))
    a = callaway_santanna(z, **{**KW, "cohort": "c"}).tidy()
    b = callaway_santanna(mpdta, **KW).tidy()
    assert list(a["term"])[:2] == ["ATT(1,1)", "ATT(1,2)"]
    np.testing.assert_allclose(a["estimate"], b["estimate"], atol=1e-14)
    np.testing.assert_array_equal(a["group"], b["group"] - 2003)


def test_imputation_names_only_the_collinear_covariate(mpdta):
    """Two covariates, one time-varying (x) and one time-invariant (lpop): only lpop is named.
    Kills x_imputation__mutmut_237 (`bad and covs` names both)."""
    x = np.random.default_rng(0).normal(size=len(mpdta))
    with pytest.raises(IdentificationError) as ei:
        imputation(mpdta.assign(x=x), **KW, covariates=["x", "lpop"])
    assert str(ei.value).startswith("data: covariate(s) ['lpop'] are collinear")


def test_imputation_time_varying_cluster_message_word_for_word(mpdta):
    """Kills x_imputation__mutmut_81 (table name)."""
    ex = ", ".join(map(str, np.sort(mpdta["countyreal"].unique())[:5]))
    with pytest.raises(DesignError) as ei:
        imputation(mpdta.assign(k=mpdta["year"] % 2), **KW, cluster="k")
    assert str(ei.value) == (
        f"data: column 'k' changes over time within 500 units of 'countyreal' (e.g. {ex}); the "
        "cluster id must be constant for a unit. Fix: use the village or kecamatan of the "
        "unit's first wave (e.g. groupby(unit)[cluster].transform('first')).")


def test_village_panel_time_column_and_text_numbers():
    """A missing time column is named (kills x_village_panel__mutmut_21); an outcome stored as
    text ("0", "1") is read as numbers, the same means (kills _50, dtype not forced)."""
    from kassaki_eval.impact.staggered import village_panel
    s = pd.DataFrame({"village_code": [1, 1, 2], "year": [2020, 2020, 2020],
                      "weight": [1.0, 2.0, 1.0], "hh_size": [4, 4, 2], "poor": [0.0, 1.0, 1.0],
                      "kec_code": ["a"] * 3, "zone": ["z"] * 3})
    with pytest.raises(ParameterError, match=r"^The 'time' parameter of village_panel must "
                                             r"name a column of data\. Got 'tahun' instead"):
        village_panel(s, outcomes=["poor"], time="tahun")
    a = village_panel(s.assign(poor=["0", "1", "1"]), outcomes=["poor"])
    # village 1: person weights 4 and 8 -> 8 / 12
    np.testing.assert_allclose(a["poor"], [8 / 12, 1.0], rtol=1e-15)
    assert a["poor"].dtype == np.float64


def test_cohort_just_after_the_panel_is_treated_with_anticipation(mpdta):
    """REAL BUG (session 11): with anticipation a, a cohort g after the last period T but with
    g - a <= T is affected inside the sample (from g - a on); it was recoded never-treated
    (the rule was g > T) and used as an untreated comparison group. R did recodes only
    g > T + a. Years 2003-2006, cohorts 2006 and 2007, one period of anticipation: cohort 2007
    is treated (its ATT(2007,2006) is a post cell) and the result equals anticipation 0 with
    both cohorts moved one period earlier (the identity of
    test_anticipation_equals_the_cohort_moved_one_period_earlier)."""
    sub = mpdta[(mpdta["first.treat"] != 2004) & (mpdta["year"] <= 2006)]
    a = callaway_santanna(sub, **KW, anticipation=1)
    moved = sub.assign(c=np.where(sub["first.treat"] > 0, sub["first.treat"] - 1, 0))
    b = callaway_santanna(moved, **{**KW, "cohort": "c"})
    ta, tb = a.tidy(), b.tidy()
    assert list(ta["term"]) == [f"ATT({g},{t})" for g in (2006, 2007)
                                for t in (2004, 2005, 2006)]
    np.testing.assert_allclose(ta["estimate"], tb["estimate"], atol=1e-13)
    np.testing.assert_array_equal(ta["post"], [0, 1, 1, 0, 0, 1])
    assert (ta["n_control"] == 309).all()              # the never-treated only


# ---------------------------------------------------------------------------------------------
# survivors of the second fresh sample (seed 22, 60 mutants; session 11)
# ---------------------------------------------------------------------------------------------
def _rc_data(n: int = 400, seed: int = 5):
    """Repeated cross-sections whose treated rows' covariate differs between the periods (so
    every estimation-effect term of the influence function is non-zero), with weights."""
    rng = np.random.default_rng(seed)
    post = (rng.random(n) < 0.5).astype(float)
    D = (rng.random(n) < 0.4).astype(float)
    x = rng.normal(size=n) + 0.5 * D + 0.3 * post * D
    y = 1 + x + 0.5 * post + 0.3 * D + 0.2 * D * post + 0.4 * x * post + rng.normal(size=n)
    return y, post, D, np.column_stack([np.ones(n), x]), rng.uniform(0.5, 2, n)


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_influence_functions_are_the_derivatives_of_the_estimates(method):
    """The influence function of a (weighted) estimator is the derivative of the estimate with
    respect to the contamination of the sample by one observation: scaling observation i's
    weight by (1 + h) moves the ATT by h * inf_i / n (weights normalised to mean 1). Checked by
    central finite differences (h = 1e-6, error O(h^2)) for 8 observations (2 per group) of the
    repeated-cross-section estimators (Sant'Anna & Zhao 2020, with the propensity-score and
    all four outcome-regression estimation effects) and of the panel ones (DRDID).

    This test decided the sign of the base-period control outcome regression's estimation
    effect in the repeated-cross-section DR estimator (session 12): with R DRDID's drdid_rc
    sign (added; moderndid too) the IF differs from the derivative by ~8e-3 on the comparison
    group's base-period rows; with csdid's (subtracted, now used) every row agrees to 5e-10
    (tests/references/did/README.md)."""
    from kassaki_eval.impact.staggered import _att_2x2, _att_2x2_rc
    y, post, D, Xc, w = _rc_data(200)
    n = y.size

    def panel(ww):
        return _att_2x2(y, D, Xc, ww, method)

    def rc(ww):
        return _att_2x2_rc(y, post, D, Xc, ww, method)

    # two observations of each group: treated / comparison x base period / period t
    obs = np.concatenate([np.flatnonzero((D == a) & (post == b))[:2]
                          for a in (0, 1) for b in (0, 1)])
    for est in (rc, panel):
        _, inf = est(w)
        h = 1e-6
        for i in obs:
            wp, wm = w.copy(), w.copy()
            wp[i] *= 1 + h
            wm[i] *= 1 - h
            num = (est(wp)[0] - est(wm)[0]) / (2 * h)
            assert num == pytest.approx(inf[i] / n, abs=1e-8), (method, i)


def test_outcome_regression_singularity_raises_without_numpy_warnings(mpdta):
    """Two covariates, one of them constant (a zero column once centred): the controls' outcome
    regression is refused before any division by its zero singular value (no RuntimeWarning).
    Kills x__att_2x2__mutmut_23 (s[+1] tested instead of the smallest singular value)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(IdentificationError, match=r"^The outcome regression on the "
                                                      r"controls is singular"):
            callaway_santanna(mpdta.assign(c=5.0), **KW, method="reg", covariates=["lpop", "c"])


def test_dropped_units_leave_units_and_provenance_right(mpdta):
    """panel='balance' drops the 2 counties with a missing outcome: extras['units'] lists the
    498 others (kills x__prepare__mutmut_307, units None), and aggregate keeps the parent's
    dropped rows (kills x_aggregate__mutmut_445)."""
    m = mpdta.copy()
    m.loc[[1, 11], "lemp"] = np.nan
    gone = mpdta.loc[[1, 11], "countyreal"].to_numpy()
    res = callaway_santanna(m, **KW)
    want = np.setdiff1d(np.sort(mpdta["countyreal"].unique()), gone)
    np.testing.assert_array_equal(res.extras["units"], want)
    agg = aggregate(res, "group")
    assert agg.provenance.dropped == res.provenance.dropped == {
        "missing lemp": 2, "units not observed in every period (panel='balance')": 2}


def test_imputation_missing_unit_column_is_named(mpdta):
    """Kills x_imputation__mutmut_21 (unit not checked)."""
    with pytest.raises(ParameterError, match=r"^The 'unit' parameter of imputation must name a "
                                             r"column of data\. Got 'desa' instead"):
        imputation(mpdta, **{**KW, "unit": "desa"})
