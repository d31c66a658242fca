"""targeting_accuracy pinned where test_metrics.py left room (issue 18: mutation testing).

References: ``legacy_metrics.targeting_accuracy`` (the row-level implementation frozen in this
folder, see test_metrics_linear.py for why it is a reference) on the options the linear-time
code treats separately -- domain columns with missing and numeric levels, zero welfare, person
counts, benefits, unscored households, other ``epsilon`` / ``cgh_share`` -- and hand
computations on ten-household tables (stated in each test).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from kassaki_eval.exceptions import ParameterError, SchemaError
from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.targeting import targeting_accuracy, weighted_auc
from kassaki_eval.targeting.metrics import confusion_table

from .conftest import make_households
from .legacy_metrics import targeting_accuracy as legacy_accuracy
from .test_metrics_linear import _same

NOD = dict(design={"weight": None}, by=())


def _rich(n: int = 1500, seed: int = 21) -> pd.DataFrame:
    df = make_households(n, seed=seed)
    rng = np.random.default_rng(seed)
    df["selected"] = (rng.random(n) < 0.35).astype(int)
    df["benefit"] = df["selected"] * rng.uniform(50, 150, n)
    df["score"] = np.round(np.log(df["consumption_pc"]) + rng.normal(0, 0.3, n), 1)
    df.loc[::13, "score"] = np.nan                     # unscored: ranked last
    df["zone"] = df["zone"].astype(object)
    df.loc[::29, "zone"] = np.nan                      # rows in no level of the domain
    df.loc[::31, "consumption_pc"] = 0.0               # zero welfare: beta of the smallest y > 0
    df["grp"] = rng.choice([2, 10, 3], n)              # levels in string order: "10", "2", "3"
    return df


@pytest.mark.parametrize("two_stage", [False, True])
def test_every_option_equals_the_row_level_reference(two_stage):
    df = _rich()
    if two_stage:
        df["n_psu_pop"] = 40
        df["hh_in_psu"] = df.groupby("psu")["psu"].transform("size") * 20
        d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu", fpc="n_psu_pop",
                         fpc2="hh_in_psu")
    else:
        d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu", nest=True)
    kw = dict(poverty_line=420_000, benefit="benefit", score="score", size="hh_size",
              by=("zone", "grp"), cgh_share=0.3, epsilon=1.5, design=d)
    new = targeting_accuracy(df, **kw)
    _same(new, legacy_accuracy(df, **kw))
    t = new.tidy()
    assert t.loc[t.by == "grp", "group"].unique().tolist() == ["10", "2", "3"]
    assert t.loc[t.by == "zone", "group"].unique().tolist() == ["island", "mainland"]
    # n_obs of a level counts its rows; rows without a zone are in no zone level
    n_isl = int((df["zone"] == "island").sum())
    assert set(t.loc[(t.by == "zone") & (t.group == "island"), "n_obs"]) == {n_isl}
    assert set(t.loc[t.by == "all", "n_obs"]) == {len(df)}


def test_quota_only_and_no_deciles_equal_the_reference():
    df = _rich(seed=5)
    kw = dict(benchmarks=("quota",), deciles=False, by=("head_sex",),
              design=SurveyDesign(df, weight="weight", strata="stratum", psu="psu", nest=True))
    new = targeting_accuracy(df, **kw)
    _same(new, legacy_accuracy(df, **kw))
    t = new.tidy()
    assert set(t["benchmark"]) == {"quota", "none"} and t["decile"].isna().all()
    assert "auc" not in set(t["term"])


def _ten():
    # ten households, weights 1; welfare 10..100; poor (< 45): h1-h4
    return pd.DataFrame({"consumption_pc": np.arange(1, 11) * 10.0,
                         "selected": [1, 0, 1, 0, 1, 0, 0, 0, 0, 1],
                         "grp": ["a", "b"] * 5})


def test_auc_per_domain_equals_sklearn_on_the_subset():
    df = _ten()
    score = np.array([1.0, 3.0, 2.0, 6.0, 4.0, 5.0, 9.0, 7.0, 8.0, 10.0])
    res = targeting_accuracy(df, poverty_line=45, score=score, design={"weight": None},
                             by=("grp",), benchmarks=("poverty_line",), deciles=False)
    t = res.tidy().set_index(["term", "by", "group"])
    poor = df["consumption_pc"] < 45
    assert t.loc[("auc", "all", "all"), "estimate"] == pytest.approx(roc_auc_score(poor, -score))
    for g in ("a", "b"):
        m = (df["grp"] == g).to_numpy()
        assert t.loc[("auc", "grp", g), "estimate"] == pytest.approx(
            roc_auc_score(poor[m], -score[m]), rel=1e-12)


def test_hand_computed_person_level_errors():
    # persons instead of households: weights x size. Poor h1-h4 with sizes 1, 2, 3, 4 (10
    # persons); selected poor: h1, h3 (4 persons) -> exclusion error 6/10 = 0.6; selected
    # non-poor: h5 (size 5), h10 (size 10) -> inclusion error 15 / (4 + 15) = 15/19
    df = _ten().assign(size=np.arange(1, 11))
    res = targeting_accuracy(df, poverty_line=45, size="size", benchmarks=("poverty_line",),
                             **NOD)
    t = res.tidy().set_index(["term", "benchmark"])["estimate"]
    assert t[("exclusion_error", "poverty_line")] == pytest.approx(0.6, abs=1e-12)
    assert t[("inclusion_error", "poverty_line")] == pytest.approx(15 / 19, abs=1e-12)
    # programme coverage of persons: (1 + 3 + 5 + 10) / 55
    assert t[("coverage", "none")] == pytest.approx(19 / 55, abs=1e-12)
    assert res.provenance.options["unit"] == "person"
    assert res.provenance.options["coverage"] == pytest.approx(19 / 55)


def test_hand_computed_deciles_and_quota():
    # ten households, one per decile; selected h1, h3, h5, h10
    df = _ten()
    res = targeting_accuracy(df, poverty_line=45, **NOD)
    t = res.tidy()
    cov = t[t.term == "coverage_decile"].set_index("decile")["estimate"]
    assert cov.to_dict() == {float(q): float(q in (1, 3, 5, 10)) for q in range(1, 11)}
    inc = t[t.term == "incidence_decile"].set_index("decile")["estimate"]
    assert inc.to_dict() == pytest.approx({float(q): 0.25 * (q in (1, 3, 5, 10))
                                           for q in range(1, 11)})
    # quota: coverage 4/10 -> the poorest four (h1-h4) are the target; 2 of them selected
    q = t[t.benchmark == "quota"].set_index("term")["estimate"]
    assert q["exclusion_error"] == pytest.approx(0.5) and q["inclusion_error"] == pytest.approx(0.5)
    assert q["mistargeting"] == pytest.approx(0.4)   # h2, h4 missed; h5, h10 leaked
    # leakage (equal benefits): the selected outside the target, 2 of 4
    assert q["leakage"] == pytest.approx(0.5)
    # the rows: benchmark terms, then coverage, cgh, distributional_characteristic, deciles
    assert t["term"].tolist()[:17] == ["exclusion_error", "inclusion_error",
                                       "inclusion_error_nontarget", "coverage_target",
                                       "targeting_differential", "mistargeting", "leakage"] * 2 \
        + ["coverage", "cgh", "distributional_characteristic"]
    assert t["benchmark"].tolist()[:14] == ["poverty_line"] * 7 + ["quota"] * 7


def test_zero_welfare_takes_the_smallest_positive_in_the_characteristic():
    # all the benefit to a household with welfare 0: beta = 10^-2 (the smallest positive y),
    # DC = beta_1 / mean(beta) with beta = (10, 10, 20, ..., 90)^-2 (eps = 2)
    y = np.r_[0.0, np.arange(1, 10) * 10.0]
    df = pd.DataFrame({"consumption_pc": y, "selected": 1, "b": [1.0] + [0.0] * 9})
    res = targeting_accuracy(df, poverty_line=25, benefit="b", **NOD)
    beta = np.r_[10.0, np.arange(1, 10) * 10.0] ** -2
    t = res.tidy().set_index("term")["estimate"]
    assert t["distributional_characteristic"] == pytest.approx(beta[0] / beta.mean(), rel=1e-12)
    res1 = targeting_accuracy(df, poverty_line=25, benefit="b", epsilon=1, **NOD)
    b1 = 1 / np.r_[10.0, np.arange(1, 10) * 10.0]
    assert res1.tidy().set_index("term")["estimate"]["distributional_characteristic"] == \
        pytest.approx(b1[0] / b1.mean(), rel=1e-12)


def test_weighted_auc_edge_cases_and_confusion_labels():
    auc, z = weighted_auc([1, 1, 1], [1.0, 2.0, 3.0])
    assert np.isnan(auc) and z.tolist() == [0.0, 0.0, 0.0]
    auc, z = weighted_auc([0, 0], [1.0, 2.0], [1.0, 2.0])
    assert np.isnan(auc) and z.tolist() == [0.0, 0.0]
    # ties count one half: one target at 1 vs non-targets at 1 and 2 (weights 1, 3) -> (0.5 + 3) / 4
    auc, _ = weighted_auc([1, 0, 0], [1.0, 1.0, 2.0], [2.0, 1.0, 3.0])
    assert auc == pytest.approx(3.5 / 4)
    ct = confusion_table([1, 1, 0, 0], [1, 0, 1, 1], [1.0, 2.0, 3.0, 4.0])
    assert ct.to_numpy().tolist() == [[1.0, 2.0], [7.0, 0.0]]
    assert ct.index.tolist() == ["target", "non_target"] and ct.index.name == "group"
    assert ct.columns.tolist() == ["selected", "not_selected"] and ct.columns.name == "programme"


def test_bad_rows_one_problem_with_the_first_row_numbers():
    # (the design refuses bad weights itself; a bad household size reaches this check)
    df = _ten().assign(size=[1.0, 0.0, 1.0, 1.0, -2.0, 1.0, 1.0, np.nan, 1.0, 1.0])
    with pytest.raises(SchemaError) as e:
        targeting_accuracy(df, poverty_line=45, size="size", **NOD)
    (p,) = e.value.problems
    assert (p.table, p.column, p.count, p.examples) == ("survey", "welfare/weight/benefit", 3,
                                                         (1, 4, 7))
    assert p.rule == "has missing, infinite or non-positive-weight rows"
    assert p.fix == "drop or correct these rows first"
    bad_y = _ten().assign(consumption_pc=[np.inf] + [10.0] * 9)
    with pytest.raises(SchemaError):
        targeting_accuracy(bad_y, poverty_line=45, **NOD)
    with pytest.raises(SchemaError):
        targeting_accuracy(_ten(), poverty_line=45, benefit=[np.nan] + [1.0] * 9, **NOD)


def test_parameter_errors_name_the_parameter_and_the_rule():
    df = _ten()
    with pytest.raises(ParameterError, match=r"'selected' parameter of targeting_accuracy must "
                                             r"be 0/1 \(or boolean\)\. Got 2 other values"):
        targeting_accuracy(df.assign(selected=[2, 1, 0, 3, 1, 0, 0, 0, 0, 1]), poverty_line=45,
                           **NOD)
    for v in (0, 1, 1.5, "0.4"):
        with pytest.raises(ParameterError, match=r"'cgh_share' parameter of targeting_accuracy "
                                                 r"must be a float in \(0, 1\)"):
            targeting_accuracy(df, poverty_line=45, cgh_share=v, **NOD)
    for v in (-0.5, "2"):
        with pytest.raises(ParameterError, match="'epsilon' parameter of targeting_accuracy must "
                                                 "be a non-negative float"):
            targeting_accuracy(df, poverty_line=45, epsilon=v, **NOD)
    targeting_accuracy(df, poverty_line=45, epsilon=0, **NOD)      # 0 is allowed (no aversion)
    for v in (None, 0, -1.0, np.inf, np.nan):
        with pytest.raises(ParameterError, match="'poverty_line' parameter of targeting_accuracy "
                                                 r"must be a positive amount \(Rp per capita"):
            targeting_accuracy(df, poverty_line=v, **NOD)
    # no line needed for the quota benchmark alone
    targeting_accuracy(df, poverty_line=None, benchmarks=("quota",), **NOD)
    # a domain column asked for by name must exist (only the default domains are optional)
    with pytest.raises(SchemaError, match="nope"):
        targeting_accuracy(df, poverty_line=45, design={"weight": None}, by=("nope",))
    r = targeting_accuracy(df, poverty_line=45, design={"weight": None})   # default by: skipped
    assert set(r.tidy()["by"]) == {"all"}


def test_boolean_and_text_selection_and_provenance():
    df = _ten()
    a = targeting_accuracy(df, poverty_line=45, **NOD)
    b = targeting_accuracy(df.assign(selected=df["selected"].astype(bool)), poverty_line=45, **NOD)
    c = targeting_accuracy(df.assign(selected=df["selected"].astype(str)), poverty_line=45, **NOD)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    pd.testing.assert_frame_equal(a.tidy(), c.tidy())
    r = targeting_accuracy(df, poverty_line=45, design={"weight": None}, by=("grp",),
                           cgh_share=0.2, epsilon=1.0, alpha=0.1, benchmarks=("poverty_line",))
    o = r.provenance.options
    assert (o["poverty_line"], o["benchmarks"], o["by"], o["unit"], o["cgh_share"],
            o["epsilon"]) == (45, ["poverty_line"], ["grp"], "household", 0.2, 1.0)
    assert o["coverage"] == pytest.approx(0.4)
    assert o["variance"].startswith("linearised")
    assert r.alpha == 0.1 and r.method == "targeting_accuracy"
    assert (r.provenance.n_input, r.provenance.n_used) == (10, 10)
    # a 90 % interval: estimate +- 1.645 se
    t = r.tidy()
    row = t[t.term == "exclusion_error"].iloc[0]
    assert row["conf_high"] - row["estimate"] == pytest.approx(1.6448536 * row["std_error"],
                                                               rel=1e-6)


def test_parquet_path_is_read_like_the_frame(tmp_path):
    df = _ten()
    df.to_parquet(tmp_path / "s.parquet")
    a = targeting_accuracy(df, poverty_line=45, **NOD)
    b = targeting_accuracy(tmp_path / "s.parquet", poverty_line=45, **NOD)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())


# -- pinned after the mutmut run of 2026-12-02 (issue 18, helper mutmet) ----------------------

def test_auc_with_one_target_household_and_a_level_without_targets():
    # line 15: only h1 (welfare 10, score 3) is poor, weight 1. Non-poor with a higher score:
    # all 9 but h2 (1) and h3 (2) -> AUC 7/9; in grp "a" (h1, h3, h5, h7, h9: scores 3, 2, 4, 9,
    # 8) 3 of 4; grp "b" has no poor household: AUC undefined (NaN), not an error
    df = _ten()
    score = np.array([3.0, 1.0, 2.0, 6.0, 4.0, 5.0, 9.0, 7.0, 8.0, 10.0])
    res = targeting_accuracy(df, poverty_line=15, score=score, design={"weight": None},
                             by=("grp",), benchmarks=("poverty_line",), deciles=False)
    t = res.tidy().set_index(["term", "by", "group"])["estimate"]
    assert t[("auc", "all", "all")] == pytest.approx(7 / 9, rel=1e-12)
    assert t[("auc", "grp", "a")] == pytest.approx(3 / 4, rel=1e-12)
    assert np.isnan(t[("auc", "grp", "b")])


def test_two_stage_design_with_a_level_absent_from_psus_equals_the_reference():
    # domain level "b" only in the first PSU: the PSU-by-level tables of the squares must keep
    # their full (n_psu, L) shape when the last cells are empty
    df = make_households(600, seed=8)
    df["n_psu_pop"] = 40
    df["hh_in_psu"] = df.groupby("psu")["psu"].transform("size") * 20
    first = df["psu"] == df["psu"].min()
    df["grp"] = np.where(first & (np.arange(len(df)) % 2 == 0), "b", "a")
    rng = np.random.default_rng(8)
    df["selected"] = (rng.random(len(df)) < 0.35).astype(int)
    d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu", fpc="n_psu_pop",
                     fpc2="hh_in_psu")
    kw = dict(poverty_line=420_000, by=("grp",), design=d)
    _same(targeting_accuracy(df, **kw), legacy_accuracy(df, **kw))


def test_confusion_table_of_integer_weights_is_float():
    ct = confusion_table([1, 0, 1], [1, 1, 0], [2, 3, 4])
    assert ct.to_numpy().tolist() == [[2.0, 4.0], [3.0, 0.0]]
    assert (ct.dtypes == np.float64).all()


def test_a_poverty_line_below_one_on_a_small_welfare_scale():
    # welfare in millions of Rp: the line 0.000045 is a positive amount like 45 on the Rp scale
    df = _ten()
    a = targeting_accuracy(df, poverty_line=45, **NOD).tidy()
    b = targeting_accuracy(df.assign(consumption_pc=df["consumption_pc"] / 1e6),
                           poverty_line=45 / 1e6, **NOD).tidy()
    pd.testing.assert_frame_equal(a, b)


def test_all_zero_welfare_gives_a_characteristic_of_one():
    # no positive welfare: beta = 1 for every household (y taken as 1), so DC = 1
    df = _ten().assign(consumption_pc=0.0)
    t = targeting_accuracy(df, poverty_line=45, **NOD).tidy().set_index("term")["estimate"]
    assert t["distributional_characteristic"] == pytest.approx(1.0, abs=1e-12)


def test_score_and_design_errors_name_the_parameter():
    df = _ten()
    with pytest.raises(SchemaError) as e:
        targeting_accuracy(df, poverty_line=45, score="pmt_score", **NOD)
    (p,) = e.value.problems
    assert (p.column, p.rule) == ("pmt_score", "is missing")
    assert p.fix == "pass the column holding the score, or its name with score="
    with pytest.raises(ParameterError, match=r"The 'score' parameter must be a column name or "
                                             r"an array of length 10\. Got \(3,\) instead"):
        targeting_accuracy(df, poverty_line=45, score=[1.0, 2.0, 3.0], **NOD)
    with pytest.raises(ParameterError, match=r"The 'design' parameter of targeting_accuracy must "
                                             r"describe the rows of data \(10\)\. Got a design "
                                             r"of 5 rows instead"):
        targeting_accuracy(df, poverty_line=45, by=(),
                           design=SurveyDesign(df.head(5).assign(weight=1.0), weight="weight"))


def test_cgh_when_no_benefit_reaches_the_bottom_and_in_a_level_without_bottom_households():
    # selected h7-h10 only (welfare 70-100): the bottom 40 % (h1-h4) get nothing, so the CGH
    # share is 0 in every draw -- row by row b * bottom = 0, the influence values are all 0
    # and so is the linearised SE. grp "rich" (h7-h10) has no bottom household: its bottom
    # share is 0 and CGH undefined (NaN), without a 0/0 warning
    df = _ten().assign(selected=[0] * 6 + [1] * 4, grp=["poor"] * 6 + ["rich"] * 4,
                       weight=1.0, psu=np.arange(10), stratum=1)
    d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu")
    kw = dict(poverty_line=45, by=("grp",), design=d, deciles=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = targeting_accuracy(df, **kw)
    t = res.tidy().set_index(["term", "by", "group"])
    assert t.loc[("cgh", "all", "all"), "estimate"] == 0.0
    assert t.loc[("cgh", "all", "all"), "std_error"] == 0.0
    assert np.isnan(t.loc[("cgh", "grp", "rich"), "estimate"])
    _same(res, legacy_accuracy(df, **kw))


def test_result_title_variance_note_and_inputs_hash():
    # the provenance's hash is the documented one of the inputs (welfare y, selection s,
    # weights w, kassaki_eval.results.hash_frame), so manifests of two runs compare
    from kassaki_eval.results import hash_frame
    df = _ten()
    r = targeting_accuracy(df, poverty_line=45, **NOD)
    assert r.summary().title == "Targeting accuracy"   # the summary's heading
    assert r.provenance.options["variance"] == ("linearised (kassaki_eval.poverty.design, R "
                                                "svyrecvar); quantile cut-offs fixed")
    assert r.provenance.inputs_hash == hash_frame(pd.DataFrame({
        "y": df["consumption_pc"].to_numpy(float), "s": df["selected"].astype(bool).to_numpy(),
        "w": np.ones(10)}))
