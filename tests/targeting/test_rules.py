"""Rules under one budget, checked on Grosh et al. (2022) ch. 7's 10-person economy.

Source: Grosh, Leite, Wai-Poi & Tesliuc (eds., 2022), *Revisiting Targeting in Social
Assistance*, ch. 7, table 7.3 (p. 474) and text on p. 489: budget $30, poverty line 20,
incomes 6, 8, 11, 15, 21, 25, 30, 40, 50, 100 (total gap $40).
- scenario 2 (persons 2 and 3 get $15 each): "the cost-benefit ratio is 0.70 ($21 was needed
  and $30 was transferred)";
- scenario 4 (everyone gets $3): "no impact on the poverty headcount ... some reduction in the
  poverty gap (30 percent) as $12 reached the poor of the $30 transferred, representing a
  cost-benefit ratio of 0.4".
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import warnings

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.targeting import budget_selection, compare_rules, demographic_scorecard

INCOME = [6, 8, 11, 15, 21, 25, 30, 40, 50, 100]
NOD = dict(design={"weight": None})  # one row, one unit: the book's economy is a census


def _economy() -> pd.DataFrame:
    # scenario 2's rule: a score that ranks persons 2 and 3 first
    return pd.DataFrame({"consumption_pc": INCOME, "hh_size": 1,
                         "scenario2": [5, 1, 2, 6, 7, 8, 9, 10, 11, 12]})


REF = pd.read_csv(Path(__file__).resolve().parents[1] / "references" / "targeting" / "grosh2022_p489.csv")


def test_grosh_2022_cost_benefit_ratios():
    res = compare_rules(_economy(), {"s2": "scenario2", "s4": "universal", "perfect": "consumption_pc"},
                        budget=30, transfer=15, poverty_line=20, **NOD)
    t = res.tidy().set_index(["rule", "term"])["estimate"]
    # FGT1 before: gap 40 / (10 people x line 20) = 0.20
    assert res.extras["fgt1_before"] == pytest.approx(0.20)
    for _, r in REF.iterrows():
        rule = f"s{r.scenario}"
        if r.quantity == "fgt1_relative_change":
            # 30 % less gap: FGT1 0.20 -> 0.14
            assert t[(rule, "fgt1_change")] / res.extras["fgt1_before"] == pytest.approx(r.value, abs=1e-12)
        else:
            assert t[(rule, r.quantity)] == pytest.approx(r.value, abs=1e-12)
    # hand-computed: perfect targeting lifts persons 1 and 2 (6+15, 8+15 > 20): FGT0 0.4 -> 0.2,
    # gap 40 -> 9 + 5 = 14, reduction 26 per $30
    assert t[("perfect", "fgt0_change")] == pytest.approx(-0.2)
    assert t[("perfect", "gap_reduction_per_rp")] == pytest.approx(26 / 30)
    # the poorest 10 % is person 1: reached by "perfect" and the universal rule, not by s2
    assert t[("perfect", "poorest10_reached")] == 1.0
    assert t[("s2", "poorest10_reached")] == 0.0
    assert t[("s4", "poorest10_reached")] == 1.0
    assert t[("perfect", "budget_spent")] == pytest.approx(1.0)
    # per billion: change / 30 * 1e9
    assert t[("perfect", "fgt0_change_per_billion")] == pytest.approx(-0.2 / 30 * 1e9)


def test_budget_selection_splits_boundary_ties_and_skips_unscored():
    # 3 transfers; scores 1, 2, 2, 2, NaN: the first gets one, the three tied share two
    f = budget_selection([1, 2, 2, 2, np.nan], np.ones(5), 3)
    np.testing.assert_allclose(f, [1, 2 / 3, 2 / 3, 2 / 3, 0])
    # weighted: weight 10 each, 25 transfers -> 1, 1, 0.5
    np.testing.assert_allclose(budget_selection([3, 1, 2], [10, 10, 10], 25), [0.5, 1, 1])


def test_registry_desil_rule_with_unregistered_households(toy_survey):
    df = toy_survey.copy()
    desil = pd.qcut(np.log(df.consumption_pc) + np.random.default_rng(0).normal(0, .4, len(df)), 10,
                    labels=False) + 1.0
    desil[::7] = np.nan  # not registered: never reached
    df["desil"] = desil
    df["demog"] = demographic_scorecard(df)
    budget = 0.2 * df.weight.sum() * 150_000
    res = compare_rules(df, {"desil": "desil", "demographic": "demog", "universal": "universal"},
                        budget=budget, transfer=150_000, poverty_line=420_000)
    t = res.tidy().set_index(["rule", "term"])
    for rule in ("desil", "demographic", "universal"):
        assert t.loc[(rule, "budget_spent"), "estimate"] == pytest.approx(1.0)
        assert t.loc[(rule, "fgt0_change"), "estimate"] <= 0
        assert t.loc[(rule, "fgt0_change"), "std_error"] > 0
    # a welfare-correlated ranking beats the demographic scorecard on the poverty gap
    assert t.loc[("desil", "fgt1_change"), "estimate"] < t.loc[("demographic", "fgt1_change"), "estimate"]
    reached = t.loc[("desil", "poorest10_reached"), "estimate"]
    assert 0 < reached < 1


def test_scorecard_points_and_errors():
    df = pd.DataFrame({"n_elderly": [2, 0, 0], "n_children": [0, 4, 1], "head_sex": ["M", "F", "M"]})
    # elderly -> 1; children capped at 3 -> 3, female -> 1; one child -> 1
    assert demographic_scorecard(df).tolist() == [-1.0, -4.0, -1.0]
    assert demographic_scorecard(df, {"female_head": 5}).tolist() == [-1.0, -8.0, -1.0]
    with pytest.raises(ParameterError, match="must buy at least one transfer"):
        compare_rules(_economy(), {"u": "universal"}, budget=10, transfer=15, poverty_line=20, **NOD)


def test_design_argument_and_the_deprecated_column_keywords(toy_survey):
    """compare_rules takes design= like the rest of the library; weight/strata/psu/lonely_psu
    still work for one release with a DeprecationWarning and give the same numbers."""
    df = toy_survey.copy()
    df["demog"] = demographic_scorecard(df)
    args = dict(budget=0.2 * df.weight.sum() * 150_000, transfer=150_000, poverty_line=420_000)
    rules = {"demographic": "demog", "universal": "universal"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default and design= paths do not warn
        default = compare_rules(df, rules, **args).tidy()
        explicit = compare_rules(df, rules, design=SurveyDesign(
            df, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust", nest=True),
            **args).tidy()
        mapping = compare_rules(df, rules, design={"weight": "weight", "strata": "stratum",
                                                    "psu": "psu", "lonely_psu": "adjust",
                                                    "nest": True}, **args).tidy()
    with pytest.warns(DeprecationWarning, match="compare_rules: the 'psu', 'strata', 'weight'"):
        legacy = compare_rules(df, rules, weight="weight", strata="stratum", psu="psu", **args).tidy()
    for other in (explicit, mapping, legacy):
        np.testing.assert_allclose(other["estimate"], default["estimate"], rtol=1e-12)
        np.testing.assert_allclose(other["std_error"], default["std_error"], rtol=1e-12)
    # the design matters: without strata and PSUs the standard errors change
    srs = compare_rules(df, rules, design={"weight": "weight"}, **args).tidy()
    assert not np.allclose(srs["std_error"], default["std_error"])
    np.testing.assert_allclose(srs["estimate"], default["estimate"], rtol=1e-12)
    # the unweighted census of the old keywords (weight=None, no strata, no PSUs) = {"weight": None}
    with pytest.warns(DeprecationWarning):
        old = compare_rules(_economy(), {"u": "universal"}, budget=30, transfer=15,
                            poverty_line=20, weight=None, strata=None, psu=None).tidy()
    new = compare_rules(_economy(), {"u": "universal"}, budget=30, transfer=15, poverty_line=20,
                        **NOD).tidy()
    np.testing.assert_allclose(old["estimate"], new["estimate"], rtol=1e-12)
    np.testing.assert_allclose(old["std_error"], new["std_error"], rtol=1e-12)
    with pytest.raises(ParameterError, match="cannot be combined"):
        compare_rules(df, rules, design={"weight": "weight"}, weight="weight", **args)
