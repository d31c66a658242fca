"""Datt-Ravallion and Shapley decompositions pinned by hand (issue 18, decomposition.py).

Worked example (every number below is computed on paper, line z = 200):

* year 1: welfare 100, 200, 400 with weights 1, 2, 1 and household sizes 2, 1, 1: person
  weights 2, 2, 1 (sum 5), mean mu_a = (200 + 400 + 400) / 5 = 200;
* year 2: welfare 150, 250, 500 with weights 1, 1, 2 and sizes 1, 3, 1: person weights 1, 3, 2
  (sum 6), mean mu_b = (150 + 750 + 1000) / 6 = 950 / 3;
* a year-3 row that must be ignored.

Headcount (g = 0), strict (y < z): P_aa = 2/5 (only 100 is poor: weight 2 of 5); P_bb = 1/6
(150). Counterfactuals: year 1 scaled by mu_b / mu_a = 19/12 -> 158.3, 316.7, 633.3:
P_ba = 2/5; year 2 scaled by mu_a / mu_b = 12/19 -> 94.7, 157.9, 315.8: P_ab = (1 + 3) / 6 = 2/3.
Datt-Ravallion: growth = P_ba - P_aa = 0, redistribution = P_ab - P_aa = 2/3 - 2/5 = 4/15,
total = 1/6 - 2/5 = -7/30, residual = -7/30 - 4/15 = -1/2.
Shapley: growth = ((P_ba - P_aa) + (P_bb - P_ab)) / 2 = (0 + (1/6 - 2/3)) / 2 = -1/4;
redistribution = ((P_ab - P_aa) + (P_bb - P_ba)) / 2 = (4/15 + (1/6 - 2/5)) / 2 = 1/60.

Weak line (y <= z): the household at exactly 200 becomes poor: P_aa = 4/5, P_bb = 1/6, P_ba =
2/5, P_ab = 2/3.

Poverty gap (g = 1, strict): P_aa = 2 x 0.5 / 5 = 1/5; P_bb = 1 x 0.25 / 6 = 1/24;
P_ba = 2 x (1 - 158.33/200) / 5 = 2 x (5/24) / 5 = 1/12; P_ab = (1 x (1 - 94.74/200) + 3 x
(1 - 157.89/200)) / 6 = (10/19 + 3 x 4/19) / 6 = 11/57.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DesignError, ParameterError
from kassaki_eval.poverty import SurveyDesign, datt_ravallion, shapley_growth_redistribution
from kassaki_eval.results import hash_frame


def _data() -> pd.DataFrame:
    return pd.DataFrame({"year": [1, 1, 1, 2, 2, 2, 3],
                         "c": [100.0, 200.0, 400.0, 150.0, 250.0, 500.0, 999.0],
                         "w": [1.0, 2.0, 1.0, 1.0, 1.0, 2.0, 5.0],
                         "hh": [2, 1, 1, 1, 3, 1, 1]})


KW = {"line": 200.0, "years": (1, 2), "design": {"weight": "w"}, "size": "hh"}


def _est(r) -> dict[str, float]:
    return dict(zip(r.terms, r.estimates, strict=True))


def test_headcount_decompositions_by_hand():
    dr = datt_ravallion(_data(), "c", **KW)
    assert dr.terms == ["growth", "redistribution", "residual", "total"]
    assert _est(dr) == pytest.approx({"growth": 0.0, "redistribution": 4 / 15,
                                      "residual": -1 / 2, "total": -7 / 30}, abs=1e-15)
    sh = shapley_growth_redistribution(_data(), "c", **KW)
    assert sh.terms == ["growth", "redistribution", "total"]
    assert _est(sh) == pytest.approx({"growth": -1 / 4, "redistribution": 1 / 60,
                                      "total": -7 / 30}, abs=1e-15)


def test_weak_line_counts_the_household_on_the_line():
    # P_aa = 4/5, P_bb = 1/6, P_ba = 2/5, P_ab = 2/3
    dr = datt_ravallion(_data(), "c", line_rule="weak", **KW)
    assert _est(dr) == pytest.approx({"growth": 2 / 5 - 4 / 5, "redistribution": 2 / 3 - 4 / 5,
                                      "residual": (1 / 6 - 4 / 5) - (2 / 5 - 4 / 5)
                                      - (2 / 3 - 4 / 5), "total": 1 / 6 - 4 / 5}, abs=1e-15)
    sh = shapley_growth_redistribution(_data(), "c", line_rule="weak", **KW)
    assert _est(sh)["growth"] == pytest.approx(0.5 * ((2 / 5 - 4 / 5) + (1 / 6 - 2 / 3)),
                                               abs=1e-15)
    assert dr.provenance.options["g"] == 0


def test_poverty_gap_decompositions_by_hand():
    Paa, Pbb, Pba, Pab = 1 / 5, 1 / 24, 1 / 12, 11 / 57
    dr = datt_ravallion(_data(), "c", g=1, **KW)
    assert _est(dr) == pytest.approx({"growth": Pba - Paa, "redistribution": Pab - Paa,
                                      "residual": (Pbb - Paa) - (Pba - Paa) - (Pab - Paa),
                                      "total": Pbb - Paa}, abs=1e-15)
    sh = shapley_growth_redistribution(_data(), "c", g=1, **KW)
    assert _est(sh) == pytest.approx({"growth": 0.5 * ((Pba - Paa) + (Pbb - Pab)),
                                      "redistribution": 0.5 * ((Pab - Paa) + (Pbb - Pba)),
                                      "total": Pbb - Paa}, abs=1e-15)


def test_without_household_size_the_weights_are_the_survey_weights():
    """size=None: weights 1, 2, 1 and 1, 1, 2; P_aa = 1/4, P_bb = 1/4; mu_a = 900/4 = 225,
    mu_b = 1400/4 = 350; year 1 scaled by 350/225 -> 155.6 (poor), 311.1, 622.2: P_ba = 1/4;
    year 2 scaled by 225/350 -> 96.4, 160.7, 321.4: P_ab = 2/4."""
    dr = datt_ravallion(_data(), "c", **{**KW, "size": None})
    assert _est(dr) == pytest.approx({"growth": 0.0, "redistribution": 1 / 4, "residual": -1 / 4,
                                      "total": 0.0}, abs=1e-15)


def test_result_provenance_and_table():
    data = _data()
    for fn, method in ((datt_ravallion, "datt_ravallion"),
                       (shapley_growth_redistribution, "shapley_growth_redistribution")):
        r = fn(data, "c", alpha=0.1, **KW)
        t = r.tidy()
        assert (t["n_obs"] == 6).all() and t["std_error"].isna().all()
        assert r.method == method and r.alpha == 0.1
        p = r.provenance
        assert p.method == method and p.n_input == 7 and p.n_used == 6
        assert p.dropped == {"years other than 1, 2": 1}
        assert p.inputs_hash == hash_frame(data[data["year"].isin([1, 2])])
        assert p.options == {"welfare": "c", "line": 200.0, "g": 0, "weight": "w", "size": "hh",
                             "years": [1, 2],
                             "std_error": "not estimated (point decomposition)"}
        # only the two years: nothing dropped
        r2 = fn(data[data["year"] < 3], "c", **KW)
        assert r2.provenance.dropped == {} and r2.provenance.n_input == 6


def test_year_column_and_design_forms():
    data = _data().rename(columns={"year": "wave"})
    a = datt_ravallion(data, "c", year="wave", **KW)
    b = datt_ravallion(SurveyDesign(data, weight="w"), "c", year="wave",
                       **{k: v for k, v in KW.items() if k != "design"})
    np.testing.assert_array_equal(a.estimates, b.estimates)
    assert b.provenance.options["weight"] == "w"


def test_errors_name_the_parameter_and_the_fix():
    data = _data()
    with pytest.raises(DesignError, match=r"^datt_ravallion: no rows for year 4 in column "
                                          r"'year'\. Fix: pass two years present in the "
                                          r"survey\.$"):
        datt_ravallion(data, "c", **{**KW, "years": (1, 4)})
    with pytest.raises(ParameterError, match=r"^The 'design' parameter of datt_ravallion "
                                             r"replaces 'weight'; give one or the other\. Got "
                                             r"both instead\.$"):
        datt_ravallion(data, "c", weight="w", **KW)
    with pytest.raises(ParameterError, match=r"^The 'design' parameter of "
                                             r"shapley_growth_redistribution must be a "
                                             r"SurveyDesign or a mapping of SurveyDesign options "
                                             r"with 'weight'\. Got \{'w': 'w'\} instead\.$"):
        shapley_growth_redistribution(data, "c", **{**KW, "design": {"w": "w"}})
    with pytest.raises(ParameterError, match=r"^The 'design' parameter of datt_ravallion must "
                                             r"be None when 'data' is a SurveyDesign\. Got dict "
                                             r"instead\.$"):
        datt_ravallion(SurveyDesign(data, weight="w"), "c", **KW)
    with pytest.raises(ParameterError, match=r"^The 'line_rule' parameter of datt_ravallion "
                                             r"must be one of \{'strict', 'weak'\}\. Got "
                                             r"'loose' instead\.$"):
        datt_ravallion(data, "c", line_rule="loose", **KW)
    with pytest.raises(ParameterError, match=r"^The 'alpha' parameter of datt_ravallion must be "
                                             r"the confidence level, a float in \(0, 1\)\. Got "
                                             r"1 instead \(the exponent is 'g', already given "
                                             r"as 2\)\.$"):
        datt_ravallion(data, "c", alpha=1, g=2, **KW)
    with pytest.raises(TypeError, match=r"datt_ravallion\(\) got an unexpected keyword "
                                        r"argument 'weights'"):
        datt_ravallion(data, "c", weights="w", **KW)


def test_deprecated_weight_keyword_warns_and_defaults_to_weight():
    data = _data().rename(columns={"w": "weight"})
    kw = {k: v for k, v in KW.items() if k != "design"}
    with pytest.warns(DeprecationWarning, match=r"Passing the weights of datt_ravallion as "
                                                r"weight= .* use design=\{'weight': \.\.\.\} or "
                                                r"a SurveyDesign"):
        r = datt_ravallion(data, "c", **kw)
    assert r.provenance.options["weight"] == "weight"
    with pytest.warns(DeprecationWarning):
        r = datt_ravallion(data.rename(columns={"weight": "w2"}), "c", weight="w2", **kw)
    assert r.provenance.options["weight"] == "w2"
    assert _est(r)["total"] == pytest.approx(-7 / 30, abs=1e-15)


def test_deprecated_alpha_as_exponent_and_conf_alpha_still_work():
    """The old call: alpha = the FGT exponent, conf_alpha = the confidence level."""
    with pytest.warns(DeprecationWarning) as rec:
        r = datt_ravallion(_data(), "c", alpha=1, conf_alpha=0.1, **KW)
    assert r.alpha == 0.1 and r.provenance.options["g"] == 1
    assert _est(r)["total"] == pytest.approx(1 / 24 - 1 / 5, abs=1e-15)
    msgs = [str(w.message) for w in rec]
    assert any("'conf_alpha' parameter of datt_ravallion is deprecated" in m for m in msgs)
    assert any("use 'g=1'" in m for m in msgs)


def test_deprecation_warning_points_at_the_caller():
    data = _data().rename(columns={"w": "weight"})
    kw = {k: v for k, v in KW.items() if k != "design"}
    with pytest.warns(DeprecationWarning, match="Passing the weights") as rec:
        shapley_growth_redistribution(data, "c", **kw)
    if "MUTANT_UNDER_TEST" not in os.environ:   # mutmut's trampoline adds a frame
        assert rec[0].filename == __file__
