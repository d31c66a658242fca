"""Targeting metrics on hand-computed confusion tables and on published worked examples.

Sources
-------
- Grosh, Leite, Wai-Poi & Tesliuc (eds., 2022), *Revisiting Targeting in Social Assistance*,
  World Bank, ch. 7, table 7.3 "Inclusion and Exclusion Errors in a 10-Person Economy"
  (p. 474): incomes 6, 8, 11, 15, 21, 25, 30, 40, 50, 100; poverty line 20 (gaps 14, 12, 9, 5:
  total gap $40, headcount 40 %); benchmark PL = the poverty line, P20 = the poorest 20 %.
  Published errors: scenario 1 (persons 1, 2) PL EE 50 % IE 0 %, P20 EE 0 % IE 0 %;
  scenario 2 (persons 2, 3) PL EE 50 % IE 0 %, P20 EE 50 % IE 50 %; scenario 3 (persons 3, 4)
  PL EE 50 % IE 0 %, P20 EE 100 % IE 100 %. (Scenario 4's errors were cut off in the copy we
  read, so they are not asserted.)
- Alatas, Banerjee, Hanna, Olken & Tobias (2012), AER 102(4), table 3, row "Mean in PMT
  treatment": error 0.30 (full population, N = 5,753), inclusion error 0.18 (sample: the
  3,725 non-poor), exclusion error 0.52 (sample: the 2,028 poor).
- Coady, Grosh & Hoddinott (2004) indicator, worked example in Grosh, Coady & Hoddinott (2003),
  *Targeting Methods for Transfers*, Social Safety Nets Primer Note 10: "if a program
  delivers 60 per cent of its benefits to this group [the bottom 40 %], the outcome indicator
  is (60 divided by 40 =) 1.5".
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.targeting import confusion_table, targeting_accuracy, weighted_auc

NOD = dict(design={"weight": None}, by=())  # a census: no design
REF = Path(__file__).resolve().parents[1] / "references" / "targeting"


def _est(res, term, benchmark="poverty_line", by="all", group="all", decile=None):
    t = res.tidy()
    m = (t.term == term) & (t.benchmark == benchmark) & (t.by == by) & (t.group == group)
    if decile is not None:
        m &= t.decile == decile
    row = t[m]
    assert len(row) == 1, (term, benchmark, by, group)
    return row.iloc[0]


def test_hand_computed_confusion_table():
    # 10 households, weights 1. Poor (welfare < 100): h1..h4. Selected: h1, h2, h5.
    #   confusion: poor & selected = 2 (h1, h2); poor & not = 2 (h3, h4);
    #              non-poor & selected = 1 (h5); non-poor & not = 5.
    # exclusion error = 2 / 4 = 0.5; inclusion error (share of beneficiaries non-poor) = 1 / 3;
    # Alatas inclusion (share of non-poor selected) = 1 / 6; coverage of poor = 0.5;
    # targeting differential = 0.5 - 1/6 = 1/3; mistargeting = (2 + 1) / 10 = 0.3;
    # leakage with benefits h1 = 10, h2 = 10, h5 = 20: 20 / 40 = 0.5.
    df = pd.DataFrame({"consumption_pc": [50, 60, 70, 80, 120, 130, 140, 150, 160, 170],
                       "selected": [1, 1, 0, 0, 1, 0, 0, 0, 0, 0],
                       "benefit": [10, 10, 0, 0, 20, 0, 0, 0, 0, 0]})
    res = targeting_accuracy(df, poverty_line=100, benefit="benefit", benchmarks=("poverty_line",), **NOD)
    expect = {"exclusion_error": 0.5, "inclusion_error": 1 / 3, "inclusion_error_nontarget": 1 / 6,
              "coverage_target": 0.5, "targeting_differential": 1 / 3, "mistargeting": 0.3, "leakage": 0.5}
    for term, v in expect.items():
        assert _est(res, term)["estimate"] == pytest.approx(v, abs=1e-12), term
    assert confusion_table(df.consumption_pc < 100, df.selected).to_numpy().tolist() == [[2, 2], [1, 5]]
    # SE of a proportion within a subgroup, SRS with replacement (each row its own PSU):
    # z_i = T_i (1 - S_i - p) / n_T, V = n/(n-1) Σ z_i² = n/(n-1) p(1-p)/n_T
    #   = 10/9 * 0.25 / 4 = 0.069444 -> SE 0.263523
    assert _est(res, "exclusion_error")["std_error"] == pytest.approx(np.sqrt(10 / 9 * 0.25 / 4), rel=1e-12)


GROSH = pd.read_csv(REF / "grosh2022_table7_3.csv")
ALATAS = pd.read_csv(REF / "alatas2012_table3.csv").set_index("quantity")
CGH = pd.read_csv(REF / "cgh_example.csv")


@pytest.mark.parametrize("scenario", sorted(GROSH["scenario"].unique()))
def test_grosh_2022_table_7_3(scenario):
    income = [6, 8, 11, 15, 21, 25, 30, 40, 50, 100]
    ref = GROSH[GROSH.scenario == scenario]
    chosen = [int(p) for p in ref["beneficiaries"].iloc[0].split()]
    df = pd.DataFrame({"consumption_pc": income, "selected": [int(p in chosen) for p in range(1, 11)]})
    res = targeting_accuracy(df, poverty_line=20, **NOD)
    # PL benchmark: poor = income < 20 (persons 1-4); P20 = programme size: 2 beneficiaries
    # of 10 -> the poorest 20 % (persons 1, 2) form the target group
    for _, r in ref.iterrows():
        assert _est(res, "exclusion_error", r.benchmark)["estimate"] == pytest.approx(r.exclusion_error, abs=1e-12)
        assert _est(res, "inclusion_error", r.benchmark)["estimate"] == pytest.approx(r.inclusion_error, abs=1e-12)


def test_alatas_2012_table_3_from_reported_shares():
    # Rebuild the PMT arm's confusion table from the reported shares: 3,725 non-poor of whom
    # round(0.18 * 3725) = round(670.5) = 670 targeted (half to even; 671 would do as well);
    # 2,028 poor of whom round(0.52 * 2028) = round(1054.56) = 1,055 missed.
    n_np = int(ALATAS.loc["inclusion_error", "n_obs"])
    n_p = int(ALATAS.loc["exclusion_error", "n_obs"])
    inc = round(ALATAS.loc["inclusion_error", "value"] * n_np)
    exc = round(ALATAS.loc["exclusion_error", "value"] * n_p)
    assert (inc, exc) == (670, 1055)
    poor = np.r_[np.ones(n_p), np.zeros(n_np)].astype(bool)
    sel = np.r_[np.arange(n_p) >= exc, np.arange(n_np) < inc].astype(int)
    df = pd.DataFrame({"consumption_pc": np.where(poor, 1.0, 3.0), "selected": sel})
    res = targeting_accuracy(df, poverty_line=2.0, benchmarks=("poverty_line",), **NOD)
    # Alatas' inclusion error is per non-poor household (our inclusion_error_nontarget)
    assert round(_est(res, "inclusion_error_nontarget")["estimate"], 2) == ALATAS.loc["inclusion_error", "value"]
    assert round(_est(res, "exclusion_error")["estimate"], 2) == ALATAS.loc["exclusion_error", "value"]
    # (670 + 1055) / 5753 = 0.29985 -> 0.30; 670 / 3725 = 0.17987 -> 0.18
    assert round(_est(res, "mistargeting")["estimate"], 2) == ALATAS.loc["mistargeting", "value"]
    assert _est(res, "mistargeting")["n_obs"] == ALATAS.loc["mistargeting", "n_obs"]


def test_cgh_worked_example_and_uniform_transfer():
    # 10 people with distinct welfare; the bottom 40 % are persons 1-4. Benefits: 60 to the
    # bottom four (15 each), 40 to the other six -> share 0.6 / 0.4 = 1.5.
    share = float(CGH["benefit_share_bottom40"].iloc[0])
    df = pd.DataFrame({"consumption_pc": np.arange(1, 11) * 10.0,
                       "selected": 1, "benefit": [100 * share / 4] * 4 + [100 * (1 - share) / 6] * 6})
    res = targeting_accuracy(df, poverty_line=25, benefit="benefit", **NOD)
    assert _est(res, "cgh", "none")["estimate"] == pytest.approx(float(CGH["cgh_indicator"].iloc[0]), rel=1e-12)
    # a uniform transfer: CGH = 1 and distributional characteristic = 1 by construction
    uni = targeting_accuracy(df.assign(benefit=1.0), poverty_line=25, benefit="benefit", **NOD)
    assert _est(uni, "cgh", "none")["estimate"] == pytest.approx(1.0)
    assert _est(uni, "distributional_characteristic", "none")["estimate"] == pytest.approx(1.0)
    # all benefit to the poorest person: DC = y1^-2 / mean(y^-2) = 0.01 / 0.015498 (eps = 2)
    one = targeting_accuracy(df.assign(benefit=[1.0] + [0] * 9), poverty_line=25, benefit="benefit", **NOD)
    beta = (np.arange(1, 11) * 10.0) ** -2
    assert _est(one, "distributional_characteristic", "none")["estimate"] == pytest.approx(beta[0] / beta.mean())
    # bottom-decile variant: all to person 1 -> share 1 / 0.1 = 10
    dec = targeting_accuracy(df.assign(benefit=[1.0] + [0] * 9), poverty_line=25, benefit="benefit",
                             cgh_share=0.1, **NOD)
    assert _est(dec, "cgh", "none")["estimate"] == pytest.approx(10.0)


def test_quota_benchmark_equal_errors_and_deciles(toy_survey):
    df = toy_survey.copy()
    rng = np.random.default_rng(0)
    noisy = np.log(df.consumption_pc) + rng.normal(0, 0.3, len(df))
    df["selected"] = (noisy < np.quantile(noisy, 0.25)).astype(int)
    res = targeting_accuracy(df, poverty_line=420_000, design={"weight": None, "strata": "stratum", "psu": "psu", "nest": True, "lonely_psu": "adjust"}, score=noisy, by=("zone", "head_sex"))
    # unweighted quota benchmark: target and programme have the same size -> IE = EE
    assert _est(res, "exclusion_error", "quota")["estimate"] == pytest.approx(
        _est(res, "inclusion_error", "quota")["estimate"], abs=1e-12)
    # TD = coverage of target - coverage of non-target
    td = _est(res, "targeting_differential")["estimate"]
    assert td == pytest.approx(_est(res, "coverage_target")["estimate"]
                               - _est(res, "inclusion_error_nontarget")["estimate"])
    # decile incidences sum to one; coverage falls from decile 1 to 10
    t = res.tidy()
    inc = t[(t.term == "incidence_decile") & (t.by == "all")]
    assert inc["estimate"].sum() == pytest.approx(1.0)
    cov = t[(t.term == "coverage_decile") & (t.by == "all")].sort_values("decile")["estimate"].to_numpy()
    assert cov[0] > 0.6 and cov[-1] < 0.05
    # AUC equals scikit-learn's (weights 1 here)
    poor = df.consumption_pc < 420_000
    assert _est(res, "auc")["estimate"] == pytest.approx(roc_auc_score(poor, -noisy), rel=1e-12)
    # domain point estimates equal the estimates on the subset
    isl = df.zone == "island"
    sub = targeting_accuracy(df[isl], poverty_line=420_000, design={"weight": None, "strata": "stratum", "psu": "psu", "nest": True, "lonely_psu": "adjust"}, benchmarks=("poverty_line",),
                             by=())
    assert _est(res, "exclusion_error", by="zone", group="island")["estimate"] == pytest.approx(
        _est(sub, "exclusion_error")["estimate"])
    assert set(t.loc[t.by == "head_sex", "group"]) == {"F", "M"}


def test_weighted_auc_matches_sklearn_and_influence_is_the_derivative():
    rng = np.random.default_rng(1)
    n = 400
    t = rng.random(n) < 0.3
    s = np.round(rng.normal(size=n) - t, 1)  # ties on purpose
    w = rng.uniform(1, 5, n)
    auc, z = weighted_auc(t, s, w)
    assert auc == pytest.approx(roc_auc_score(t, -s, sample_weight=w), rel=1e-12)
    # the influence value of unit k is d AUC / d w_k (finite difference, step 1e-6)
    for k in (3, 50):
        w2 = w.copy()
        w2[k] += 1e-6
        assert (weighted_auc(t, s, w2)[0] - auc) / 1e-6 == pytest.approx(z[k], rel=1e-4)


def test_clustered_se_equals_textbook_ratio_formula(toy_survey):
    # Independent code path: the ratio estimator's linearised variance with one stratum and
    # clusters, V = n_c/(n_c-1) Σ_c (e_c - mean e)², e_c = Σ_{i∈c} w_i (a_i - R b_i) / Σ w b
    df = toy_survey.copy()
    df["selected"] = (df.consumption_pc < df.consumption_pc.quantile(0.3)).astype(int)
    df.loc[df.sample(frac=0.3, random_state=1).index, "selected"] = 0
    res = targeting_accuracy(df, poverty_line=420_000, design={"weight": "weight", "psu": "psu"}, benchmarks=("poverty_line",), by=())
    poor = (df.consumption_pc < 420_000).to_numpy()
    a = poor & (df.selected.to_numpy() == 0)
    w = df.weight.to_numpy()
    R = np.sum(w * a) / np.sum(w * poor)
    e = pd.Series(w * (a - R * poor) / np.sum(w * poor)).groupby(df.psu.to_numpy()).sum()
    V = len(e) / (len(e) - 1) * np.sum((e - e.mean()) ** 2)
    row = _est(res, "exclusion_error")
    assert row["estimate"] == pytest.approx(R, rel=1e-12)
    assert row["std_error"] == pytest.approx(np.sqrt(V), rel=1e-10)


def test_errors():
    df = pd.DataFrame({"consumption_pc": [1.0, 2.0], "selected": [1, 2]})
    with pytest.raises(ParameterError, match="'selected' parameter of targeting_accuracy must be 0/1"):
        targeting_accuracy(df, poverty_line=1.5, **NOD)
    with pytest.raises(ParameterError, match="'poverty_line' parameter"):
        targeting_accuracy(df.assign(selected=1), poverty_line=None, **NOD)
    with pytest.raises(ParameterError, match="'benchmarks' parameter"):
        targeting_accuracy(df.assign(selected=1), poverty_line=1.5, benchmarks=("median",), **NOD)


def test_design_object_equals_design_columns(toy_survey):
    from kassaki_eval.poverty import SurveyDesign
    df = toy_survey.assign(selected=(toy_survey.consumption_pc < 5e5).astype(int))
    a = targeting_accuracy(df, poverty_line=420_000, by=("zone",), deciles=False).tidy()
    d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust")
    b = targeting_accuracy(df, poverty_line=420_000, by=("zone",), deciles=False, design=d).tidy()
    pd.testing.assert_frame_equal(a, b)
    # person level (weights x household size) changes the estimates
    c = targeting_accuracy(df, poverty_line=420_000, by=(), deciles=False, size="hh_size").tidy()
    assert not np.allclose(c.estimate.to_numpy(), a[a.by == "all"].estimate.to_numpy())
