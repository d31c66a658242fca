"""The linear-time ``targeting_accuracy`` reproduces the implementation it replaced.

Reference: ``legacy_metrics.targeting_accuracy``, the code of commit 1dc9042 frozen in this
folder. Tolerances: estimates (rates) to 1e-12 absolute -- both sides add the same weighted
indicators, only the order of the floating-point additions differs; standard errors to 1e-9
relative (the PSU totals are formed as sums of base totals instead of sums of row-level
influence values). Row order, terms, domains and counts must be identical.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.targeting import targeting_accuracy

from .conftest import make_households
from .legacy_metrics import targeting_accuracy as legacy_accuracy

KEYS = ["term", "benchmark", "by", "group", "decile", "n_obs"]


def _same(new, old) -> None:
    a, b = new.tidy(), old.tidy()
    assert len(a) == len(b)
    pd.testing.assert_frame_equal(a[KEYS].reset_index(drop=True), b[KEYS].reset_index(drop=True))
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-9, atol=1e-15, equal_nan=True)


def test_demo_world_equals_legacy(world):
    s = world.survey[world.survey["year"] == 2023].reset_index(drop=True)
    s = s.assign(selected=(s["desil"].fillna(99) <= 4).astype(int))
    line = reference.poverty_line(2023)
    new = targeting_accuracy(s, poverty_line=line, score="desil")
    old = legacy_accuracy(s, poverty_line=line, score="desil", lonely_psu="adjust")
    _same(new, old)
    per = targeting_accuracy(s, poverty_line=line, size="hh_size", by=("zone",), deciles=False)
    _same(per, legacy_accuracy(s, poverty_line=line, size="hh_size", by=("zone",), deciles=False))


@pytest.mark.parametrize("case", ["census", "no_strata", "benefit_score", "design_object"])
def test_toy_cases_equal_legacy(case):
    df = make_households(4000, seed=5)
    rng = np.random.default_rng(2)
    df["selected"] = (rng.random(len(df)) < 0.3).astype(int)
    df["benefit"] = df["selected"] * rng.uniform(50, 150, len(df))
    df["score"] = np.round(np.log(df["consumption_pc"]) + rng.normal(0, 0.3, len(df)), 1)  # ties
    df.loc[::17, "score"] = np.nan  # unscored: ranked last
    line = 420_000
    if case == "census":
        with pytest.warns(DeprecationWarning, match="design="):
            new = targeting_accuracy(df, poverty_line=line, weight=None, strata=None, psu=None, score="score")
        _same(new, legacy_accuracy(df, poverty_line=line, weight=None, strata=None, psu=None, score="score"))
        _same(targeting_accuracy(df, poverty_line=line, design={"weight": None}, score="score"), new)
    elif case == "no_strata":
        new = targeting_accuracy(df, poverty_line=line, design={"weight": "weight", "psu": "psu"},
                                 by=("zone", "kec_code"))
        _same(new, legacy_accuracy(df, poverty_line=line, strata=None, by=("zone", "kec_code")))
    elif case == "benefit_score":
        new = targeting_accuracy(df, poverty_line=line, benefit="benefit", score="score", cgh_share=0.1)
        _same(new, legacy_accuracy(df, poverty_line=line, benefit="benefit", score="score", cgh_share=0.1))
    else:
        d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu", lonely_psu="certainty", nest=True)
        new = targeting_accuracy(df, poverty_line=line, design=d, score="score")
        _same(new, legacy_accuracy(df, poverty_line=line, design=d, score="score"))


def test_two_stage_design_equals_legacy():
    df = make_households(3000, seed=8)
    df["selected"] = (df["consumption_pc"] < df["consumption_pc"].quantile(0.3)).astype(int)
    df["n_psu_pop"] = 40
    df["hh_in_psu"] = df.groupby("psu")["psu"].transform("size") * 20
    d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu", fpc="n_psu_pop", fpc2="hh_in_psu")
    _same(targeting_accuracy(df, poverty_line=420_000, design=d),
          legacy_accuracy(df, poverty_line=420_000, design=d))


def test_design_is_taken_one_way():
    df = make_households(500, seed=1).assign(selected=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the design argument alone: no deprecation warning
        a = targeting_accuracy(df, poverty_line=420_000, by=(), deciles=False)
    d = SurveyDesign(df, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust", nest=True)
    b = targeting_accuracy(df, poverty_line=420_000, by=(), deciles=False, design=d)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    with pytest.warns(DeprecationWarning, match="'psu'"):
        c = targeting_accuracy(df, poverty_line=420_000, by=(), deciles=False, psu="psu")
    pd.testing.assert_frame_equal(a.tidy(), c.tidy())
    from kassaki_eval.exceptions import ParameterError
    with pytest.raises(ParameterError, match="cannot be combined"):
        targeting_accuracy(df, poverty_line=420_000, design=d, weight="weight")
    with pytest.raises(ParameterError, match="SurveyDesign or a mapping"):
        targeting_accuracy(df, poverty_line=420_000, design="weight")
