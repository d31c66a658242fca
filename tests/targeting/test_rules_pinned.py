"""compare_rules, budget_selection and demographic_scorecard pinned (issue 18, mutation round).

Sources of the expected values:
- R 4.2.2 + survey 4.1.1 on a 12-household stratified design with a tied boundary class, a
  household without a score, persons per household and unequal weights: every estimate and
  its linearised standard error (svyratio for the person-weighted shares, svytotal for the
  totals; script and printed output in tests/references/targeting/rules_design.R /
  rules_design_output.csv, relative tolerance 1e-10);
- hand computations written out next to each assertion;
- the error template of kassaki_eval/exceptions.py (``require``) and the project rule that
  bad input gives one clear error naming the fix: messages are pinned word for word.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import EstimationWarning, ParameterError, SchemaError
from kassaki_eval.targeting import budget_selection, compare_rules, demographic_scorecard
from kassaki_eval.targeting.rules import DEFAULT_POINTS, UNIVERSAL

# Economies of fewer than ten people have an empty poorest 10 % (the first person's midpoint
# is above 0.10): poorest10_reached is then 0 / 0, NaN with numpy's RuntimeWarning. Those
# tests pin other rows.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered in scalar divide")

REF_DIR = Path(__file__).resolve().parents[1] / "references" / "targeting"
DESIGN = {"weight": "weight", "strata": "stratum", "psu": "psu"}
NOD = {"design": {"weight": None}}
TERMS = ["fgt0_change", "fgt1_change", "fgt0_change_per_billion", "fgt1_change_per_billion",
         "gap_reduction_per_rp", "poorest10_reached", "poorest10_households_reached",
         "exclusion_error", "budget_spent"]


def _design_data() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "rules_design.csv")


def _r_reference() -> tuple[pd.DataFrame, dict[str, float]]:
    text = (REF_DIR / "rules_design_output.csv").read_text().splitlines()
    before = {ln.split()[1]: float(ln.split()[2]) for ln in text
              if ln.startswith("# fgt") and len(ln.split()) == 3}
    ref = pd.read_csv(REF_DIR / "rules_design_output.csv", comment="#", skipinitialspace=True)
    return ref, before


def test_every_estimate_and_standard_error_matches_r_survey():
    df = _design_data()
    res = compare_rules(df, {"desil": "desil", "welfare": "consumption_pc", "all": UNIVERSAL},
                        budget=750, transfer=15, poverty_line=20, design=DESIGN)
    ref, before = _r_reference()
    got = res.tidy()
    assert list(got["rule"]) == [r for r in ("desil", "welfare", "all") for _ in TERMS]
    assert list(got["term"]) == TERMS * 3
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-10, atol=1e-12)
    assert (got["n_obs"] == 12).all()
    assert res.extras["fgt0_before"] == pytest.approx(before["fgt0_before"], rel=1e-12)
    assert res.extras["fgt1_before"] == pytest.approx(before["fgt1_before"], rel=1e-12)
    # the R script's transfer probabilities (desil: class 1 holds weight 25, class 2 weight 62,
    # 50 transfers -> class 1 fully, class 2 (50 - 25) / 62 = 0.4032..., the NaN household none)
    prob = budget_selection(df["desil"], df["weight"], 750 / 15)
    np.testing.assert_allclose(prob, [1, 25 / 62, 1, 25 / 62, 0, 0, 25 / 62, 0, 0, 0, 0, 0],
                               rtol=1e-15)
    # the 95 % interval is estimate +- 1.959964 SE (EstimateResult's normal interval)
    row = got.iloc[0]
    assert row["conf_low"] == pytest.approx(row["estimate"] - 1.959963984540054 * row["std_error"])


def test_alpha_sets_the_interval_level():
    df = _design_data()
    res = compare_rules(df, {"d": "desil"}, budget=750, transfer=15, poverty_line=20,
                        design=DESIGN, alpha=0.10)
    assert res.alpha == 0.10
    t = res.tidy().iloc[0]
    assert t["conf_high"] == pytest.approx(t["estimate"] + 1.6448536269514722 * t["std_error"])


def test_result_layout_provenance_and_extras():
    df = _design_data()
    res = compare_rules(df, {"desil": "desil"}, budget=750, transfer=15, poverty_line=20,
                        design=DESIGN)
    assert res.method == "compare_rules"
    assert res.summary().title == "Targeting rules under one budget"
    raw = res._table  # the estimator's own table, before tidy() adds the intervals
    assert list(raw.columns) == ["term", "estimate", "std_error", "n_obs", "rule"]
    prov = res.provenance
    assert prov.method == "compare_rules"
    assert prov.n_input == 12 and prov.n_used == 12
    assert prov.options["budget"] == 750 and prov.options["transfer"] == 15
    assert prov.options["poverty_line"] == 20 and prov.options["rules"] == ["desil"]
    assert prov.options["fgt0_before"] == res.extras["fgt0_before"]
    assert prov.options["fgt1_before"] == res.extras["fgt1_before"]
    # the inputs hash covers welfare, size and weights: changing a weight changes it
    df2 = df.copy()
    df2.loc[0, "weight"] = 11
    other = compare_rules(df2, {"desil": "desil"}, budget=750, transfer=15, poverty_line=20,
                          design=DESIGN)
    assert other.provenance.inputs_hash != prov.inputs_hash
    df3 = df.copy()
    df3.loc[0, "hh_size"] = 4
    assert compare_rules(df3, {"desil": "desil"}, budget=750, transfer=15, poverty_line=20,
                         design=DESIGN).provenance.inputs_hash != prov.inputs_hash
    df4 = df.copy()
    df4.loc[0, "consumption_pc"] = 7
    assert compare_rules(df4, {"desil": "desil"}, budget=750, transfer=15, poverty_line=20,
                         design=DESIGN).provenance.inputs_hash != prov.inputs_hash
    # the score is not an input of the hash (the rules are options)
    df5 = df.copy()
    df5["desil"] = df5["desil"][::-1].to_numpy()
    assert compare_rules(df5, {"desil": "desil"}, budget=750, transfer=15, poverty_line=20,
                         design=DESIGN).provenance.inputs_hash == prov.inputs_hash


def test_rule_given_as_an_array_and_text_scores():
    """A score may be an array; text that is not a number is an unscored household."""
    df = pd.DataFrame({"consumption_pc": [6, 8, 11, 30], "hh_size": 1})
    # 2 transfers of 15 (budget 30): the array ranks persons 3 and 4 first
    by_array = compare_rules(df, {"a": np.array([3.0, 4.0, 1.0, 2.0])}, budget=30, transfer=15,
                             poverty_line=20, **NOD).tidy().set_index("term")["estimate"]
    # person 3 (11 + 15 = 26) leaves poverty, person 4 was not poor: FGT0 3/4 -> 2/4
    assert by_array["fgt0_change"] == pytest.approx(-0.25)
    # gap before: 14 + 12 + 9 = 35 (over 4 x 20); after: 14 + 12 = 26 -> -9 / 80
    assert by_array["fgt1_change"] == pytest.approx(-9 / 80)
    # text scores: "x" cannot be ranked, so only persons 1 ("1") and 2 ("2") are reached
    df["s"] = ["1", "2", "x", None]
    by_text = compare_rules(df, {"s": "s"}, budget=30, transfer=15, poverty_line=20,
                            **NOD).tidy().set_index("term")["estimate"]
    # persons 1 and 2: 6 + 15 = 21 and 8 + 15 = 23 leave poverty: 3/4 -> 1/4; gap 35 -> 9
    assert by_text["fgt0_change"] == pytest.approx(-0.5)
    assert by_text["fgt1_change"] == pytest.approx(-26 / 80)
    # the universal rule named by the constant: 30 / 4 = 7.5 each, nobody crosses 20
    uni = compare_rules(df, {"u": "universal"}, budget=30, transfer=15, poverty_line=20,
                        **NOD).tidy().set_index("term")["estimate"]
    assert uni["fgt0_change"] == 0.0
    # gap 35 -> 6.5 + 4.5 + 1.5 = 12.5: change -22.5 / 80; reduction 22.5 per 30
    assert uni["fgt1_change"] == pytest.approx(-22.5 / 80)
    assert uni["gap_reduction_per_rp"] == pytest.approx(0.75)


def test_household_size_spreads_the_transfer_per_person():
    # one household of 3 at 15 per person, line 20: a transfer of 15 gives 5 per person -> 20,
    # exactly on the line: not poor (y < z)
    df = pd.DataFrame({"consumption_pc": [15.0, 40.0], "hh_size": [3, 1]})
    t = compare_rules(df, {"w": "consumption_pc"}, budget=15, transfer=15, poverty_line=20,
                      **NOD).tidy().set_index("term")["estimate"]
    # persons: 3 poor of 4 -> 0 of 4
    assert t["fgt0_change"] == pytest.approx(-0.75)
    # gap: 3 persons x 5 = 15 Rp a month removed, per Rp 15 spent
    assert t["gap_reduction_per_rp"] == pytest.approx(1.0)
    assert t["exclusion_error"] == pytest.approx(0.0)
    # 14.99: the household stays just below the line (14.99 / 3 = 4.9967 per person)
    t2 = compare_rules(df, {"w": "consumption_pc"}, budget=14.99, transfer=14.99,
                       poverty_line=20, **NOD).tidy().set_index("term")["estimate"]
    assert t2["fgt0_change"] == 0.0


def test_exclusion_error_without_poor_people_is_missing_with_zero_influence():
    df = pd.DataFrame({"consumption_pc": [30.0, 40.0, 50.0, 60.0], "hh_size": 1})
    res = compare_rules(df, {"w": "consumption_pc"}, budget=30, transfer=15, poverty_line=20,
                        **NOD)
    t = res.tidy().set_index("term")
    assert np.isnan(t.loc["exclusion_error", "estimate"])
    # its influence values are zero (not NaN), so the other rows' variances are unaffected
    assert t.loc["exclusion_error", "std_error"] == 0.0
    assert t.loc["budget_spent", "estimate"] == pytest.approx(1.0)
    assert t.loc["budget_spent", "std_error"] == 0.0


def test_budget_spent_when_too_few_households_can_be_reached():
    # 4 transfers bought, 2 households scored: half the budget finds a recipient
    df = pd.DataFrame({"consumption_pc": [6.0, 8.0, 11.0, 30.0], "hh_size": 1,
                       "s": [1.0, 2.0, np.nan, np.nan]})
    t = compare_rules(df, {"s": "s"}, budget=60, transfer=15, poverty_line=20,
                      **NOD).tidy().set_index("term")["estimate"]
    assert t["budget_spent"] == pytest.approx(0.5)
    # poor persons 1, 2, 3; 3 is not reached: exclusion 1/3
    assert t["exclusion_error"] == pytest.approx(1 / 3)
    # per billion: -0.5 / 60 * 1e9 (persons 1 and 2 leave poverty: FGT0 -2/4)
    assert t["fgt0_change_per_billion"] == pytest.approx(-0.5 / 60 * 1e9)


def test_parameter_errors_word_for_word():
    df = pd.DataFrame({"consumption_pc": [6.0, 30.0], "hh_size": 1})
    ok = dict(budget=30, transfer=15, poverty_line=20)
    cases = [
        ({"budget": 0}, "The 'budget' parameter of compare_rules must be a positive amount "
                        "(Rp per month). Got 0 instead."),
        ({"budget": -5.0}, "The 'budget' parameter of compare_rules must be a positive amount "
                           "(Rp per month). Got -5.0 instead."),
        ({"budget": float("inf")}, "The 'budget' parameter of compare_rules must be a positive "
                                   "amount (Rp per month). Got inf instead."),
        ({"transfer": 0}, "The 'transfer' parameter of compare_rules must be a positive amount "
                          "(Rp per household). Got 0 instead."),
        ({"transfer": float("nan")}, "The 'transfer' parameter of compare_rules must be a "
                                     "positive amount (Rp per household). Got nan instead."),
        ({"poverty_line": 0}, "The 'poverty_line' parameter of compare_rules must be a positive "
                              "amount. Got 0 instead."),
        ({"poverty_line": float("inf")}, "The 'poverty_line' parameter of compare_rules must be "
                                         "a positive amount. Got inf instead."),
        ({"budget": 1000, "transfer": 1500.4},
         "The 'budget' parameter of compare_rules must buy at least one transfer of Rp1,500. "
         "Got Rp1,000 instead."),
    ]
    for kw, msg in cases:
        with pytest.raises(ParameterError) as e:
            compare_rules(df, {"u": "universal"}, **{**ok, **kw}, **NOD)
        assert str(e.value) == msg
    with pytest.raises(ParameterError) as e:
        compare_rules(df, {}, **ok, **NOD)
    assert str(e.value) == ("The 'rules' parameter of compare_rules must name at least one "
                            "rule. Got {} instead.")
    # a budget of exactly one transfer is accepted
    t = compare_rules(df, {"w": "consumption_pc"}, budget=15, transfer=15, poverty_line=20,
                      **NOD).tidy().set_index("term")["estimate"]
    assert t["budget_spent"] == pytest.approx(1.0)


@pytest.mark.parametrize("bad, count", [
    ({"consumption_pc": [6.0, np.nan, 30.0]}, 1),
    ({"consumption_pc": [6.0, np.inf, 30.0]}, 1),
    ({"hh_size": [1, 0, 0]}, 2),
    ({"hh_size": [0.5, 1, 1]}, 1),
    ({"consumption_pc": [np.nan, np.nan, 30.0], "hh_size": [1, 1, 0]}, 3),
])
def test_bad_rows_are_one_schema_error_with_the_count(bad, count):
    # (weights <= 0 never get here: SurveyDesign refuses them first, with its own message)
    df = pd.DataFrame({"consumption_pc": [6.0, 8.0, 30.0], "hh_size": 1, "weight": 1.0})
    for k, v in bad.items():
        df[k] = v
    with pytest.raises(SchemaError) as e:
        compare_rules(df, {"u": "universal"}, budget=30, transfer=15, poverty_line=20,
                      design={"weight": "weight"})
    assert str(e.value) == (
        "survey: 1 problem found\n  - survey: column 'welfare/size/weight' has missing welfare, "
        f"size < 1 or weights <= 0: {count} row{'s' if count != 1 else ''}. "
        "Fix: drop or correct these rows first")


def test_budget_selection_edges():
    # the docstring's example
    assert budget_selection([1, 2, 2, 3], [1, 1, 1, 1], 2).tolist() == [1.0, 0.5, 0.5, 0.0]
    # no transfers, negative transfers, nothing scored: nobody receives
    assert budget_selection([1, 2], [1, 1], 0).tolist() == [0.0, 0.0]
    assert budget_selection([1, 2], [1, 1], -1).tolist() == [0.0, 0.0]
    assert budget_selection([np.nan, np.nan], [1, 1], 1).tolist() == [0.0, 0.0]
    # more transfers than households: everyone scored receives with probability 1 (not more)
    assert budget_selection([2, 1, np.nan], [1, 1, 1], 10).tolist() == [1.0, 1.0, 0.0]
    # a fraction of the first class: 0.5 transfers over a class of weight 2
    assert budget_selection([5, 5, 9], [1, 1, 1], 0.5).tolist() == [0.25, 0.25, 0.0]
    # unsorted scores with weights: order 3 (w 4), 1 (w 1), 2 (w 2); 4.5 transfers
    # -> class 3 fully (4), class 1 gets 0.5 / 1, class 2 nothing
    np.testing.assert_allclose(budget_selection([2, 3, 1], [1, 2, 4], 4.5), [0.5, 0.0, 1.0])
    # fractional n over classes of weights 2 and 3: 3.5 -> 1 and 1.5 / 3
    np.testing.assert_allclose(budget_selection([1, 1, 2], [1, 1, 3], 3.5), [1, 1, 0.5])
    out = budget_selection([1], [1], 1)
    assert out.dtype == np.float64


def test_scorecard_points_caps_and_missing_columns():
    df = pd.DataFrame({"n_elderly": [0, 1, 3, 0], "n_children": [0, 2, 7, 3],
                       "head_sex": ["F", "M", "F", "f"]})
    # defaults: elderly 1 (any member 65+), 1 a child up to 3, female head 1 ("F" only)
    assert DEFAULT_POINTS == {"elderly": 1.0, "child": 1.0, "max_children": 3,
                              "female_head": 1.0}
    assert demographic_scorecard(df).tolist() == [-1.0, -3.0, -5.0, -3.0]
    # custom points replace the defaults key by key
    got = demographic_scorecard(df, {"elderly": 2.0, "child": 0.5, "max_children": 5})
    # row 2: 2 + 0.5 * 2 = 3; row 3: 2 + 0.5 * 5 + 1 = 5.5; row 4: 0.5 * 3 = 1.5
    assert got.tolist() == [-1.0, -3.0, -5.5, -1.5]
    assert got.dtype == np.float64
    for c in ("n_elderly", "n_children", "head_sex"):
        with pytest.raises(SchemaError) as e:
            demographic_scorecard(df.drop(columns=c))
        assert str(e.value) == (
            f"survey: 1 problem found\n  - survey: column '{c}' is missing: 4 rows. Fix: the "
            "demographic scorecard needs n_elderly, n_children and head_sex")


def test_the_default_design_is_used_without_design_and_does_not_warn(toy_survey):
    df = toy_survey.copy()
    args = dict(budget=0.2 * df.weight.sum() * 150_000, transfer=150_000, poverty_line=420_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        default = compare_rules(df, {"u": "universal"}, **args).tidy()
    explicit = compare_rules(df, {"u": "universal"}, design={
        "weight": "weight", "strata": "stratum", "psu": "psu", "lonely_psu": "adjust",
        "nest": True}, **args).tidy()
    np.testing.assert_allclose(default["std_error"], explicit["std_error"], rtol=1e-12)


def test_missing_columns_name_the_argument_to_fix():
    df = pd.DataFrame({"consumption_pc": [6.0, 30.0], "hh_size": 1, "s": [1.0, 2.0]})
    args = dict(budget=30, transfer=15, poverty_line=20, **NOD)
    cases = [
        (dict(welfare="cons"), "cons", "welfare"),
        (dict(size="n_members"), "n_members", "size"),
    ]
    for kw, column, arg in cases:
        with pytest.raises(SchemaError) as e:
            compare_rules(df, {"u": "universal"}, **kw, **args)
        assert str(e.value) == (
            f"survey: 1 problem found\n  - survey: column '{column}' is missing: 2 rows. "
            f"Fix: pass the column holding the {arg}, or its name with {arg}=")
    with pytest.raises(SchemaError) as e:
        compare_rules(df, {"desil": "desil"}, **args)
    assert str(e.value) == (
        "survey: 1 problem found\n  - survey: column 'desil' is missing: 2 rows. "
        "Fix: pass the column holding the rules['desil'], or its name with rules['desil']=")
    with pytest.raises(ParameterError) as e:
        compare_rules(df, {"a": [1.0, 2.0, 3.0]}, **args)
    assert str(e.value) == ("The 'rules['a']' parameter must be a column name or an array of "
                            "length 2. Got (3,) instead.")


def test_poorest10_not_estimable_on_a_tiny_survey_warns_with_the_reason():
    """Four equal households of one person: each holds 25 % of the person weight, so the
    poorest one's weight-share midpoint (12.5 %) is above 10 % and nobody is in the poorest
    10 %. poorest10_reached is 0/0: NaN with an EstimationWarning naming the reason (it was
    numpy's 'invalid value encountered in scalar divide' pointing into rules.py); the other
    indicators are unaffected."""
    from kassaki_eval.exceptions import EstimationWarning

    df = pd.DataFrame({"consumption_pc": [6, 8, 11, 15], "hh_size": 1})
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = compare_rules(df, {"perfect": "consumption_pc"}, budget=30, transfer=15,
                            poverty_line=20, design={"weight": None})
    msgs = [(w.category, str(w.message)) for w in rec]
    assert msgs == [(EstimationWarning,
                     "compare_rules: poorest10_reached is not estimable (NaN): no household "
                     "falls in the poorest 10 % of people, because the poorest household alone "
                     "holds 25 % of the person weight (4 households). Use a larger survey.")]
    # stacklevel=2: the warning names the caller's line (not in mutmut's copy, whose
    # trampoline adds frames; its stacklevel mutants are checked by hand)
    import kassaki_eval.targeting.rules as rules_module
    if "mutants" not in Path(rules_module.__file__).parts:
        assert rec[0].filename == __file__
    t = res.tidy().set_index("term")
    assert np.isnan(t.loc["poorest10_reached", "estimate"])
    assert np.isnan(t.loc["poorest10_reached", "std_error"])
    assert t.loc["poorest10_households_reached", "estimate"] == 0.0
    # the 2 transfers of 15 reach the two poorest (6 and 8 -> 21 and 23, both above 20):
    # 4 poor before, 2 after: fgt0 change -2/4; exclusion error 2/4
    assert t.loc["fgt0_change", "estimate"] == pytest.approx(-0.5)
    assert t.loc["exclusion_error", "estimate"] == pytest.approx(0.5)
    assert np.isfinite(t.drop(index="poorest10_reached")["std_error"]).all()

    # one household more (5 of 20 % each): the poorest's midpoint is 10 %, not below: still none
    df5 = pd.DataFrame({"consumption_pc": [6, 8, 11, 15, 30], "hh_size": 1})
    with pytest.warns(EstimationWarning, match="alone holds 20 % of the person weight"):
        compare_rules(df5, {"perfect": "consumption_pc"}, budget=30, transfer=15,
                      poverty_line=20, design={"weight": None})
    # six households: 1/6 each, midpoint 8.3 %: the poorest is in, reached by the perfect rule
    df6 = pd.DataFrame({"consumption_pc": [6, 8, 11, 15, 30, 40], "hh_size": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r6 = compare_rules(df6, {"perfect": "consumption_pc"}, budget=30, transfer=15,
                           poverty_line=20, design={"weight": None})
    assert r6.tidy().set_index("term").loc["poorest10_reached", "estimate"] == 1.0


def test_shares_in_the_poorest10_warning_and_missing_scores_given_as_none():
    """(Fresh mutmut sample, seed 19.) Three equal households: the poorest holds 1/3 of the
    people, printed '33 %' (x 100, not x 101: 33.66 would print 34). A score of None (an
    object column) is a missing score, as NaN: never reached."""
    df3 = pd.DataFrame({"consumption_pc": [6, 8, 11], "hh_size": 1})
    with pytest.warns(EstimationWarning, match=r"alone holds 33 % of the person weight "
                                               r"\(3 households\)"):
        compare_rules(df3, {"perfect": "consumption_pc"}, budget=30, transfer=15,
                      poverty_line=20, design={"weight": None})
    # 2 transfers, lowest first: score 1, then the two tied 2s share the second one
    assert budget_selection([1, None, 2, 2], [1, 1, 1, 1], 2).tolist() == [1.0, 0.0, 0.5, 0.5]


def test_exclusion_error_with_small_weights_and_quiet_without_poor_people():
    """(Fresh mutmut sample, seed 19.) Two poor households of weight 0.4 (poor persons'
    weight 0.8: the influence values were dropped for a total at or below 1). One transfer
    (budget / transfer = 1 weighted household) goes lowest score first: A (0.4), then the rich
    household R (0.6) exhausts it; B is not reached. Exclusion error 0.4 / 0.8 = 1/2.
    Influence values z = w * poor * ((1 - prob) - 1/2) / 0.8: A -0.25, B +0.25, others 0; the
    with-replacement variance of a total over the 4 rows (each its own PSU, no strata):
    n / (n - 1) * sum (z - mean z)^2 = 4/3 * 0.125 = 1/6, SE = sqrt(1/6). Without poor people
    the estimate is NaN without numpy's 0/0 warning."""
    df = pd.DataFrame({"consumption_pc": [6.0, 30.0, 8.0, 40.0], "hh_size": 1,
                       "s": [1.0, 2.0, 3.0, 4.0], "w": [0.4, 0.6, 0.4, 1.0]})
    t = compare_rules(df, {"s": "s"}, design={"weight": "w"}, budget=15, transfer=15,
                      poverty_line=10).tidy().set_index("term")
    assert t.loc["exclusion_error", "estimate"] == pytest.approx(0.5)
    assert t.loc["exclusion_error", "std_error"] == pytest.approx(np.sqrt(1 / 6), rel=1e-12)
    rich = pd.DataFrame({"consumption_pc": [30.0, 40.0, 50.0, 60.0, 70.0, 80.0], "hh_size": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = compare_rules(rich, {"w": "consumption_pc"}, budget=30, transfer=15,
                          poverty_line=20, design={"weight": None})
    assert np.isnan(r.tidy().set_index("term").loc["exclusion_error", "estimate"])
