"""targeting/rules.py behaviours found unpinned by the seed-21 sample (session 12, lead)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import EstimationWarning
from kassaki_eval.results import hash_frame
from kassaki_eval.targeting import compare_rules


def test_household_exactly_on_the_line_is_not_poor_before_the_transfer():
    """Poverty is y < z (BPS; the same strict rule as poverty.measures). Four one-person
    households 10, 20, 30, 40 with z = 20; the rule's score picks the household exactly on the
    line (score 1, the lowest). It was not poor, so one transfer of 5 to it changes nothing:
    fgt0 change 0 (with y <= z it would be -1/4); the one poor household (10) is not reached:
    exclusion error 1. Kills x_compare_rules__mutmut_157."""
    df = pd.DataFrame({"consumption_pc": [10.0, 20.0, 30.0, 40.0], "hh_size": 1,
                       "score": [5.0, 1.0, 5.0, 5.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)     # tiny survey: poorest10 NaN
        t = compare_rules(df, {"pick": "score"}, budget=5, transfer=5, poverty_line=20,
                          design={"weight": None}).tidy().set_index("term")["estimate"]
    assert t["fgt0_change"] == 0.0
    assert t["exclusion_error"] == 1.0


def test_poorest10_warning_quotes_the_poorest_households_share_not_the_first_rows():
    """Sizes 1, 3, 1, 1 with the poorest household second: it holds 3 of the 6 people, 50 %
    (the first row holds 17 %). Kills x_compare_rules__mutmut_190 (np.argmin(None) = row 0)."""
    df = pd.DataFrame({"consumption_pc": [30.0, 10.0, 20.0, 40.0], "hh_size": [1, 3, 1, 1]})
    with pytest.warns(EstimationWarning) as rec:
        compare_rules(df, {"perfect": "consumption_pc"}, budget=30, transfer=15,
                      poverty_line=25, design={"weight": None})
    assert [str(r.message) for r in rec] == [
        "compare_rules: poorest10_reached is not estimable (NaN): no household falls in the "
        "poorest 10 % of people, because the poorest household alone holds 50 % of the person "
        "weight (4 households). Use a larger survey."]


def test_inputs_hash_is_the_documented_frame():
    """The provenance hash is that of the (y, m, w) frame, columns named so: manifests of past
    reports are compared by this hash, so renaming a column would make every old report look
    changed. Kills x_compare_rules__mutmut_540 ('W')."""
    df = pd.DataFrame({"consumption_pc": [6.0, 8.0, 11.0, 15.0, 30.0, 40.0], "hh_size": 2,
                       "weight": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]})
    r = compare_rules(df, {"perfect": "consumption_pc"}, budget=30, transfer=15,
                      poverty_line=20, design={"weight": "weight"})
    want = hash_frame(pd.DataFrame({"y": df["consumption_pc"].to_numpy(float),
                                    "m": np.full(6, 2.0), "w": df["weight"].to_numpy(float)}))
    assert r.provenance.inputs_hash == want
