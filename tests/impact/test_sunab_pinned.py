"""sun_abraham pinned rule by rule, from mutmut's survivors (issue 18, session 7).

Sources, per test: diff-diff 3.13.0's ``SunAbraham`` on mpdta for clustered standard errors,
Sun & Abraham's last-treated control group and anticipation
(tests/references/eventstudy/make_sunab_refs.py and its printed sunab_output.txt); counts
worked out by hand from mpdta's cohorts (20 counties first treated in 2004, 40 in 2006, 131 in
2007, 309 never; 2003-2007); identities that hold by construction (stated in each test); the
error contract word for word (what, where, the fix). See docs/MUTATION.md, "impact/sunab.py".
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import (
    EstimationWarning,
    IdentificationError,
    ParameterError,
    SchemaError,
)
from kassaki_eval.impact.sunab import sun_abraham

REFS = Path(__file__).resolve().parents[1] / "references"
KW = dict(y="lemp", unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    m = pd.read_csv(REFS / "did" / "mpdta.csv")
    m["cl"] = m["countyreal"] % 37  # the clusters of make_sunab_refs.py's "cluster" config
    return m


def _ref(config: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = pd.read_csv(REFS / "eventstudy" / "sunab_mpdta_diffdiff.csv")
    ref = ref[ref["config"] == config]
    w = ref["term"].str.startswith("w(")
    return ref[~w].set_index("term"), ref[w]


@pytest.mark.parametrize("config", ["cluster", "last_treated", "anticipation1"])
def test_matches_diffdiff_beyond_the_default(mpdta, config):
    """diff-diff 3.13.0: estimates to 1e-10 absolute, standard errors to 1e-8 relative
    (measured 2e-13), interaction weights to 1e-12. ``last_treated`` is SA section 4.1's
    control group, given to diff-diff by hand (2007 recoded as never treated, 2007 dropped)."""
    data, kw = mpdta, {}
    if config == "cluster":
        kw = {"cluster": "cl"}
    elif config == "last_treated":
        kw = {"control_group": "last_treated"}
    else:
        data, kw = mpdta[mpdta["first.treat"] != 2004], {"anticipation": 1}
    r = sun_abraham(data, **KW, **kw)
    est, wts = _ref(config)
    t = r.tidy().set_index("term")
    assert list(t.index) == list(est.index)
    np.testing.assert_allclose(t["estimate"], est["estimate"], atol=1e-10)
    np.testing.assert_allclose(t["std_error"], est["std_error"], rtol=1e-8)
    ce = r.extras["cohort_effects"]
    got = {(int(g), int(e)): w for g, e, w in ce[["cohort", "event_time", "iw_weight"]]
           .itertuples(index=False)}
    for term, w in wts[["term", "estimate"]].itertuples(index=False):
        g, e = (int(v) for v in term[2:-1].split(","))
        assert got[(g, e)] == pytest.approx(w, abs=1e-12)
    assert r.extras["n_clusters"] == (37 if config == "cluster" else data["countyreal"].nunique())
    assert r.extras["reference_period"] == (-2 if config == "anticipation1" else -1)
    assert r.provenance.options["cluster"] == ("cl" if config == "cluster" else "countyreal")


def test_last_treated_drops_every_row_from_the_last_cohorts_year(mpdta):
    # 2007 is the last cohort: every county's 2007 row goes (500 counties)
    r = sun_abraham(mpdta, **KW, control_group="last_treated")
    assert dict(r.provenance.dropped) == {"periods from the last cohort's treatment (2007) on": 500}
    assert r.provenance.n_used == 2000 and r.provenance.n_input == 2500


def test_n_obs_counts_the_treated_rows_of_each_cell(mpdta):
    """By hand from the cohorts (20 in 2004, 40 in 2006, 131 in 2007; years 2003-2007):
    e = t - g; the ATT row counts the post-treatment cells (e >= 0)."""
    assert mpdta.groupby("first.treat")["countyreal"].nunique().to_dict() == {
        0: 309, 2004: 20, 2006: 40, 2007: 131}
    r = sun_abraham(mpdta, **KW)
    n = r.tidy().set_index("term")["n_obs"].to_dict()
    assert n == {"ATT": 20 * 4 + 40 * 2 + 131,          # 2004: e=0..3, 2006: e=0,1, 2007: e=0
                 "e=-4": 131,                            # 2007 in 2003
                 "e=-3": 40 + 131,                       # 2006 in 2003, 2007 in 2004
                 "e=-2": 40 + 131,                       # 2006 in 2004, 2007 in 2005
                 "e=0": 20 + 40 + 131, "e=1": 20 + 40, "e=2": 20, "e=3": 20}


def test_result_shape_provenance_and_alpha(mpdta):
    from scipy.stats import norm
    r = sun_abraham(mpdta, **KW, alpha=0.10)
    assert r.method == "sun_abraham" and r.provenance.method == "sun_abraham"
    assert r.summary().title == "Sun-Abraham interaction-weighted event study"
    assert dict(r.provenance.options) == {"control_group": "never_treated", "anticipation": 0,
                                          "weights": None, "cluster": "countyreal",
                                          "reference": -1}
    assert set(r.extras) == {"cohort_effects", "vcov", "vcov_cells", "n_clusters",
                             "reference_period", "critical_value"}
    assert list(r.extras["cohort_effects"].columns) == [
        "cohort", "event_time", "estimate", "std_error", "iw_weight", "att_weight"]
    # the ATT weights are the post cells' shares of treated rows: 2004 e=0 has 20 of 291
    ce = r.extras["cohort_effects"].set_index(["cohort", "event_time"])
    assert ce.loc[(2004.0, 0), "att_weight"] == pytest.approx(20 / 291, abs=1e-15)
    assert ce.loc[(2007.0, -4), "att_weight"] == 0.0
    assert r.extras["vcov_cells"].shape == (len(ce), len(ce))
    assert r.alpha == 0.10
    assert r.extras["critical_value"] == pytest.approx(norm.ppf(0.95), abs=1e-15)
    t = r.tidy().set_index("term")
    assert t.loc["ATT", "conf_high"] - t.loc["ATT", "estimate"] == pytest.approx(
        norm.ppf(0.95) * t.loc["ATT", "std_error"], rel=1e-12)


def test_unit_weights_equal_duplicated_units(mpdta):
    """Identity: a unit weight of 2 is the unit given twice (its copy gets its own unit effect,
    equal to the original's at the optimum), so point estimates and IW weights agree; standard
    errors do not (the copy is a cluster of its own)."""
    m = mpdta.copy()
    m["w"] = np.where(m["countyreal"] % 3 == 0, 2.0, 1.0)
    twice = m[m["w"] == 2.0].assign(countyreal=lambda d: d["countyreal"] + 100_000)
    a = sun_abraham(m, **KW, weights="w")
    b = sun_abraham(pd.concat([m, twice], ignore_index=True), **KW)
    np.testing.assert_allclose(a.estimates, b.estimates, atol=1e-10)
    np.testing.assert_allclose(a.extras["cohort_effects"]["iw_weight"],
                               b.extras["cohort_effects"]["iw_weight"], atol=1e-14)
    assert a.provenance.options["weights"] == "w"


@pytest.mark.parametrize("bad", [0.0, np.inf, -1.0, np.nan])
def test_weights_must_be_positive_and_finite(mpdta, bad):
    m = mpdta.copy()
    m["w"] = 1.0
    m.loc[7, "w"] = bad
    if np.isnan(bad):  # a missing weight drops its row, as any missing value does
        r = sun_abraham(m, **KW, weights="w")
        assert dict(r.provenance.dropped) == {"missing values": 1}
        return
    with pytest.raises(ParameterError) as info:
        sun_abraham(m, **KW, weights="w")
    assert str(info.value) == "The 'weights' column of sun_abraham must hold positive numbers."


def test_missing_values_drop_their_rows(mpdta):
    # identity: the same estimate as on the data without those rows
    m = mpdta.copy()
    m.loc[[3, 10, 11, 400], "lemp"] = np.nan
    r = sun_abraham(m, **KW)
    assert dict(r.provenance.dropped) == {"missing values": 4}
    assert r.provenance.n_used == 2496
    s = sun_abraham(m.dropna(subset=["lemp"]), **KW)
    np.testing.assert_allclose(r.estimates, s.estimates, atol=1e-14)


@pytest.mark.parametrize("value", [-1, True, 1.5, "1"])
def test_anticipation_must_be_a_non_negative_integer(mpdta, value):
    with pytest.raises(ParameterError) as info:
        sun_abraham(mpdta, **KW, anticipation=value)
    assert str(info.value) == ("The 'anticipation' parameter of sun_abraham must be a "
                               f"non-negative integer. Got {value!r} instead.")


@pytest.mark.parametrize("param", ["y", "unit", "time", "cohort", "weights", "cluster"])
def test_every_column_parameter_is_checked(mpdta, param):
    kw = {**KW, param: "nope"}
    with pytest.raises(ParameterError) as info:
        sun_abraham(mpdta, **kw)
    assert str(info.value).startswith(f"The '{param}' parameter of sun_abraham must name a "
                                      "column of data. Got 'nope' instead (columns: ")


def test_a_repeated_unit_period_pair_is_refused(mpdta):
    # the repeated rows differ in the outcome: the rule is about (unit, period) pairs
    extra = mpdta.head(3).assign(lemp=lambda d: d["lemp"] + 1.0)
    with pytest.raises(ParameterError) as info:
        sun_abraham(pd.concat([mpdta, extra]), **KW)
    assert str(info.value) == ("data: 3 rows repeat a (countyreal, year) pair; sun_abraham "
                               "needs a panel with one row per unit and period. Fix: aggregate "
                               "or de-duplicate first.")


@pytest.mark.parametrize("col", ["year", "first.treat"])
def test_time_and_cohort_must_be_whole_periods(mpdta, col):
    m = mpdta.copy()
    m[col] = m[col].astype(float)
    m.loc[m[col] > 0, col] += 0.5
    with pytest.raises(ParameterError) as info:
        sun_abraham(m, **KW)
    assert str(info.value) == ("The 'time' and 'cohort' columns of sun_abraham must hold whole "
                               "periods (e.g. years). Got non-integer values instead.")


def test_a_cohort_without_reference_period_is_dropped_with_a_warning(mpdta):
    # anticipation=1: 2004's reference period 2002 is not observed; its 20 x 5 rows go, and
    # what is left is diff-diff's "anticipation1" configuration (mpdta without 2004)
    with pytest.warns(EstimationWarning) as rec:
        r = sun_abraham(mpdta, **KW, anticipation=1)
    msgs = [str(w.message) for w in rec if issubclass(w.category, EstimationWarning)]
    assert msgs == ["sun_abraham: cohort(s) 2004 have no observed reference period (e = -2) "
                    "and are dropped (100 rows): their effects are not identified relative to "
                    "the pre-treatment period."]
    assert dict(r.provenance.dropped) == {"cohorts treated in the first period": 100}
    est, _ = _ref("anticipation1")
    np.testing.assert_allclose(r.tidy().set_index("term")["estimate"], est["estimate"],
                               atol=1e-10)


@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ,
                    reason="mutmut's trampoline adds stack frames per library call")
def test_the_warning_points_at_the_callers_line(mpdta):
    with pytest.warns(EstimationWarning) as rec:
        sun_abraham(mpdta, **KW, anticipation=1)
    assert {Path(w.filename).name for w in rec} == {Path(__file__).name}


def _panel(cohorts: dict[int, int], periods: dict[int, list[int]] | None = None,
           t: range = range(1, 5)) -> pd.DataFrame:
    """Unit -> first treated period (0 = never); ``periods`` restricts a unit's rows."""
    rows = [(u, s, g) for u, g in cohorts.items() for s in (periods or {}).get(u, list(t))]
    d = pd.DataFrame(rows, columns=["u", "t", "g"])
    d["y"] = 0.3 * d["u"] + 0.1 * d["t"] ** 2 + np.where((d["g"] > 0) & (d["t"] >= d["g"]), 1.0,
                                                          0.0) + 0.01 * (d["u"] * d["t"] % 7)
    return d


P = dict(y="y", unit="u", time="t", cohort="g")


def test_collinear_dummies_name_the_rank_and_the_fix():
    # cohort 3, periods 1-4; the never-treated units stop after period 3: in period 4 only
    # the (3, e=1) dummy is on, the same column as period 4's effect -> rank 2 of 3
    d = _panel({1: 3, 2: 3, 3: 3, 4: 0, 5: 0, 6: 0}, {4: [1, 2, 3], 5: [1, 2, 3], 6: [1, 2, 3]})
    with pytest.raises(IdentificationError) as info:
        sun_abraham(d, **P)
    assert str(info.value) == ("data: the cohort x relative-period dummies are collinear with "
                               "the fixed effects (rank 2 of 3). Fix: check that the control "
                               "group is observed in every period.")


def test_a_cohort_seen_only_in_its_reference_period():
    d = _panel({1: 3, 2: 3, 3: 0, 4: 0, 5: 0}, {1: [2], 2: [2]})
    with pytest.raises(IdentificationError) as info:
        sun_abraham(d, **P)
    assert str(info.value) == ("data: no cohort x relative-period cell besides the reference "
                               "e=-1.")


@pytest.mark.parametrize("cohorts, kw", [
    ({1: 1, 2: 1, 3: 0, 4: 0}, {}),                                  # treated in period 1
    ({1: 1, 2: 1, 3: 3, 4: 3}, {"control_group": "last_treated"}),   # 3 is the control
])
def test_no_cohort_with_a_pre_period_left(cohorts, kw):
    d = _panel(cohorts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        with pytest.raises(IdentificationError) as info:
            sun_abraham(d, **P, **kw)
    assert str(info.value) == ("data: no treated cohort with a pre-treatment period is left "
                               "for sun_abraham. Fix: check column 'g'.")


def test_one_treated_cohort_is_enough():
    # identity: one cohort, no covariates -> e=0 is the 2x2 of period 3 vs 2 (treated minus
    # never-treated change in means), worked out here from the data
    d = _panel({1: 3, 2: 3, 3: 0, 4: 0, 5: 0})
    r = sun_abraham(d, **P)
    m = d.pivot(index="u", columns="t", values="y")
    tr, co = m.loc[[1, 2]], m.loc[[3, 4, 5]]
    by_hand = (tr[3] - tr[2]).mean() - (co[3] - co[2]).mean()
    assert r["e=0"] == pytest.approx(by_hand, abs=1e-12)
    assert r.terms == ["ATT", "e=-2", "e=0", "e=1"]


def test_numbers_stored_as_text_are_read_as_numbers(mpdta):
    # a CSV read with dtype=str (how ids are kept safe from Excel) gives the same estimates
    text = mpdta.astype({"year": str, "lemp": str, "first.treat": str})
    a, b = sun_abraham(mpdta, **KW), sun_abraham(text, **KW)
    np.testing.assert_allclose(a.estimates, b.estimates, atol=1e-14)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-12)


@pytest.mark.parametrize("col", ["lemp", "year", "first.treat"])
def test_text_that_is_not_a_number_is_a_schema_error(mpdta, col):
    """Text such as 'n/a' or a decimal comma in the outcome, period or cohort column was
    numpy's "could not convert string to float"; now one SchemaError naming the column, the
    row count, the first counties and the fix (session 8)."""
    d = mpdta.astype({col: object})
    rows = [0, 5, 6]               # counties of rows 0, 5 (row 6 repeats row 5's county)
    d.loc[rows, col] = ["n/a", "7,5", "7,5"]
    ids = list(dict.fromkeys(d.loc[rows, "countyreal"].tolist()))
    assert len(ids) == 2
    with pytest.raises(SchemaError) as ei:
        sun_abraham(d, **KW)
    assert str(ei.value) == (
        f"data: 1 problem found\n  - data: column '{col}' holds text that is not a number: "
        f"3 rows (e.g. {ids[0]}, {ids[1]}). Fix: correct or drop those rows: sun_abraham needs "
        f"numbers in '{col}' (numbers stored as text, such as '2024', are read as numbers).")
