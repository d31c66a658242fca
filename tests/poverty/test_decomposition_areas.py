"""Datt-Ravallion and Shapley decompositions: behaviour areas of the seed-21 sample (issue 18).

* the line rule on every one of the four paths (a household exactly on the line in each);
* the welfare, weight and size values of the two years: numbers written as text or as pandas'
  nullable types are read as numbers (as ``fgt`` reads them); a missing value is refused with
  the column, the count and the rows (before: counted as "not poor" in P(a, a) / P(b, b) and
  turning both counterfactual paths into 0, a finite wrong decomposition).

Worked example (on paper, line z = 150, weights 1, no household size):
year a: 75, 150, 375 (mean 200); year b: 150, 300, 750 (mean 400). mu_b / mu_a = 2 exactly, so
year a scaled to b's mean is 150, 300, 750 and year b scaled to a's mean is 75, 150, 375: every
path has one household exactly on the line.
strict (y < z): P_aa = 1/3, P_bb = 0, P_ba = 0, P_ab = 1/3;
weak (y <= z): P_aa = 2/3, P_bb = 1/3, P_ba = 1/3, P_ab = 2/3.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DesignError
from kassaki_eval.poverty import SurveyDesign, datt_ravallion, shapley_growth_redistribution

KW = {"line": 150.0, "years": (1, 2), "design": {"weight": "w"}, "size": None}


def _data() -> pd.DataFrame:
    return pd.DataFrame({"year": [1, 1, 1, 2, 2, 2],
                         "c": [75.0, 150.0, 375.0, 150.0, 300.0, 750.0],
                         "w": 1.0, "hh": [1, 1, 1, 1, 1, 1]})


def _est(r) -> dict[str, float]:
    return dict(zip(r.terms, r.estimates, strict=True))


def _dr(Paa, Pbb, Pba, Pab):
    """Datt & Ravallion (1992): growth = P_ba - P_aa, redistribution = P_ab - P_aa."""
    return {"growth": Pba - Paa, "redistribution": Pab - Paa,
            "residual": (Pbb - Paa) - (Pba - Paa) - (Pab - Paa), "total": Pbb - Paa}


def _sh(Paa, Pbb, Pba, Pab):
    """Shorrocks (2013): each component the mean of its two paths."""
    return {"growth": 0.5 * ((Pba - Paa) + (Pbb - Pab)),
            "redistribution": 0.5 * ((Pab - Paa) + (Pbb - Pba)), "total": Pbb - Paa}


@pytest.mark.parametrize("rule, P", [("strict", (1 / 3, 0.0, 0.0, 1 / 3)),
                                     ("weak", (2 / 3, 1 / 3, 1 / 3, 2 / 3))])
def test_line_rule_applies_to_all_four_paths(rule, P):
    assert _est(datt_ravallion(_data(), "c", line_rule=rule, **KW)) == pytest.approx(
        _dr(*P), abs=1e-15)
    assert _est(shapley_growth_redistribution(_data(), "c", line_rule=rule, **KW)) == \
        pytest.approx(_sh(*P), abs=1e-15)


def test_welfare_as_text_or_nullable_numbers_reads_as_numbers():
    """As fgt does (pd.to_numeric): "75.0" is 75, Int64 / Float64 / float32 are their values."""
    want = _est(datt_ravallion(_data(), "c", **KW))
    for col in (_data()["c"].astype(str), _data()["c"].astype("Int64"),
                _data()["c"].astype("Float64"), _data()["c"].astype("float32")):
        assert _est(datt_ravallion(_data().assign(c=col), "c", **KW)) == want
    sized = {**KW, "size": "hh"}
    assert _est(datt_ravallion(_data().assign(hh=_data()["hh"].astype(str),
                                              w=_data()["w"].astype("Float64")), "c",
                               **sized)) == want


def test_missing_welfare_weight_or_size_is_refused_with_the_rows():
    """Before the fix a missing welfare in year a gave a finite, wrong decomposition."""
    df = _data().assign(c=pd.array([75, None, 375, 150, 300, 750], dtype="Int64"))
    with pytest.raises(DesignError) as e:
        shapley_growth_redistribution(df, "c", **KW)
    assert str(e.value) == (
        "data: column 'c' is missing or not finite in the rows of years 1 and 2: 1 row (e.g. "
        "row 1). Fix: impute them or drop those rows before shapley_growth_redistribution "
        "(both years' means and poverty rates need every household).")
    bad_w = _data().assign(w=[1.0, 1.0, np.nan, 1.0, np.inf, 1.0])
    with pytest.raises(DesignError) as e:
        datt_ravallion(bad_w, "c", **KW)
    assert str(e.value) == (
        "data: column 'w' is missing or not finite in the rows of years 1 and 2: 2 rows (e.g. "
        "row 2, row 4). Fix: impute them or drop those rows before datt_ravallion (both "
        "years' means and poverty rates need every household).")
    bad_hh = _data().assign(hh=[1, 1, 1, 1, 1, None])
    with pytest.raises(DesignError, match=r"^data: column 'hh' is missing or not finite in "
                                          r"the rows of years 1 and 2: 1 row \(e\.g\. row 5\)"):
        datt_ravallion(bad_hh, "c", **{**KW, "size": "hh"})
    # a SurveyDesign names its own table and its pseudonymous ids
    des = SurveyDesign(df.assign(hid=["h1", "h2", "h3", "h4", "h5", "h6"]), weight="w",
                       id_column="hid")
    with pytest.raises(DesignError, match=r"^survey: column 'c' is missing or not finite in "
                                          r"the rows of years 1 and 2: 1 row \(e\.g\. h2\)\. "):
        datt_ravallion(des, "c", line=150.0, years=(1, 2), size=None)


def test_zero_or_negative_weight_or_size_is_refused_with_the_rows():
    """Session 14: with design= as a mapping a zero or negative weight (and, in every path, a
    zero or negative household size) gave a finite, wrong decomposition. Refused like a missing
    value, with the rows; a year-3 row outside the two years is not checked."""
    bad_w = _data().assign(w=[1.0, 0.0, 1.0, 1.0, -2.0, 1.0])
    for f in (datt_ravallion, shapley_growth_redistribution):
        with pytest.raises(DesignError) as e:
            f(bad_w, "c", **KW)
        assert str(e.value) == (
            "data: column 'w' must be > 0 in the rows of years 1 and 2 (zero or negative "
            "found): 2 rows (e.g. row 1, row 4). Fix: repair the weights, or drop out-of-scope "
            f"rows before {f.__name__}; a subgroup is analysed with its own rows, not with zero "
            "weights.")
    bad_hh = _data().assign(hh=[1, 1, 0, 1, 1, 1])
    with pytest.raises(DesignError) as e:
        datt_ravallion(bad_hh, "c", **{**KW, "size": "hh"})
    assert str(e.value) == (
        "data: column 'hh' must be > 0 in the rows of years 1 and 2 (zero or negative found): "
        "1 row (e.g. row 2). Fix: household size is at least 1.")
    des = SurveyDesign(bad_hh.assign(hid=["h1", "h2", "h3", "h4", "h5", "h6"]), weight="w",
                       id_column="hid")
    with pytest.raises(DesignError, match=r"^survey: column 'hh' must be > 0 .*\(e\.g\. h3\)"):
        datt_ravallion(des, "c", line=150.0, years=(1, 2), size="hh")
    year3 = pd.concat([_data(), pd.DataFrame({"year": [3], "c": [1.0], "w": [0.0],
                                              "hh": [0]})], ignore_index=True)
    assert _est(datt_ravallion(year3, "c", **{**KW, "size": "hh"})) == \
        _est(datt_ravallion(_data(), "c", **{**KW, "size": "hh"}))


def test_missing_values_outside_the_two_years_are_ignored():
    """A year-3 row with missing welfare, weight and size changes nothing (only n_input)."""
    extra = pd.concat([_data(), pd.DataFrame({"year": [3], "c": [np.nan], "w": [np.nan],
                                              "hh": [np.nan]})], ignore_index=True)
    r = datt_ravallion(extra, "c", **{**KW, "size": "hh"})
    assert _est(r) == pytest.approx(_dr(1 / 3, 0.0, 0.0, 1 / 3), abs=1e-15)
    assert r.provenance.n_input == 7 and r.provenance.n_used == 6
