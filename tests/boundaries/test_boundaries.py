"""Boundary cases that pin behaviour a small bug would change (issue 18).

Each test names the mutation it kills; every one was checked to FAIL with the mutation applied
by hand (see docs/MUTATION.md). Reference values are computed in the test from first principles
or come from R (tests/references/boundaries/make_lonely_fpc_refs.R -> lonely_fpc.out).
"""
from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.data.pseudonymise import pseudonymise_registry
from kassaki_eval.exceptions import ReportError
from kassaki_eval.impact import rd_estimate
from kassaki_eval.impact.verdict import verdict_from_survey
from kassaki_eval.poverty import SurveyDesign, change, fgt
from kassaki_eval.poverty.measures import _fgt_dline
from kassaki_eval.reporting import i18n
from kassaki_eval.reporting.disclosure import merge_small_groups

REF = Path(__file__).resolve().parents[1] / "references"


def _p(res):
    return float(res.tidy()["estimate"].iloc[0])


# -- poverty line: strictly below is poor -------------------------------------------------
def test_household_exactly_on_the_line_is_not_poor_by_default():
    """Kills ``y < z`` -> ``y <= z`` in fgt. Source: fgt docstring (World Bank, BPS, laeken
    arpr: poor = y < z); ``line_rule="weak"`` is R convey's ``y <= z``."""
    df = pd.DataFrame({"c": [100.0, 200.0, 300.0, 400.0], "weight": [1.0, 1.0, 1.0, 1.0]})
    strict = fgt(df, "c", line=200.0, g=0, design=SurveyDesign(df, weight="weight"))
    weak = fgt(df, "c", line=200.0, g=0, design=SurveyDesign(df, weight="weight"),
               line_rule="weak")
    assert _p(strict) == pytest.approx(0.25, abs=1e-15)   # only 100 < 200
    assert _p(weak) == pytest.approx(0.50, abs=1e-15)     # 100 and 200 <= 200
    # the gap and severity do not depend on the rule (the household on the line adds 0)
    for g in (1, 2):
        a = fgt(df, "c", line=200.0, g=g, design=SurveyDesign(df, weight="weight"))
        b = fgt(df, "c", line=200.0, g=g, design=SurveyDesign(df, weight="weight"),
                line_rule="weak")
        assert _p(a) == pytest.approx(_p(b), rel=1e-15)
        assert _p(a) == pytest.approx(0.5 ** g / 4, rel=1e-15)


# -- lonely PSU "adjust" with an fpc ------------------------------------------------------
@pytest.mark.parametrize("rule", ["adjust", "certainty"])
def test_lonely_psu_with_fpc_matches_r_survey(rule):
    """Kills "adjust" ignoring the fpc (scale 1 instead of 1 - f for the lonely stratum).
    R survey 4.1.1, options(survey.lonely.psu=rule), svydesign(ids=~dnum, strata=~strat,
    fpc=~fpc, nest=TRUE): make_lonely_fpc_refs.R -> lonely_fpc.out. Tolerance 1e-12 relative
    (R printed 15 significant digits)."""
    d = pd.read_csv(REF / "boundaries" / "lonely_fpc.csv")
    ref = pd.read_csv(REF / "boundaries" / "lonely_fpc_ref.csv").set_index(["rule", "stat"])
    des = SurveyDesign(d, weight="pw", strata="strat", psu="dnum", fpc="fpc", nest=True,
                       lonely_psu=rule)
    m, t = des.mean("api00").tidy().iloc[0], des.total("enroll").tidy().iloc[0]
    assert m["estimate"] == pytest.approx(ref.loc[(rule, "mean"), "estimate"], rel=1e-12)
    assert m["std_error"] == pytest.approx(ref.loc[(rule, "mean"), "se"], rel=1e-12)
    assert t["std_error"] == pytest.approx(ref.loc[(rule, "total"), "se"], rel=1e-12)


# -- relative line: derivative of P(g) with respect to the line ---------------------------
@pytest.mark.parametrize("g", [1.0, 2.0, 3.0])
def test_fgt_line_derivative_equals_numerical_derivative(g):
    """Kills any change to the analytic dP(g)/dz used in the relative-line SE (the default
    suite only checked that the relative-line SE differs from the fixed-line SE). Reference:
    central finite difference of fgt's own point estimate at z +- 1e-4 z (P(g) is smooth in
    z for g >= 1 away from the data points). Tolerance 1e-6 relative."""
    rng = np.random.default_rng(18)
    n = 400
    df = pd.DataFrame({"c": rng.lognormal(0, 0.6, n), "weight": rng.uniform(1, 5, n),
                       "kec": rng.integers(0, 3, n)})
    des = SurveyDesign(df, weight="weight")
    z = float(np.quantile(df["c"], 0.4))
    dom = des.domains("kec", None, owner="test")
    y, w = df["c"].to_numpy(), df["weight"].to_numpy()
    N = np.bincount(df["kec"], weights=w)
    ana = _fgt_dline(dom, y, w, np.full(n, z), g, N)
    eps = 1e-4 * z
    up = fgt(df, "c", line=z + eps, g=g, by="kec", design=des).estimates
    dn = fgt(df, "c", line=z - eps, g=g, by="kec", design=des).estimates
    np.testing.assert_allclose(ana, (up - dn) / (2 * eps), rtol=1e-6)


# -- verdict_from_survey's default threshold ----------------------------------------------
def test_verdict_from_survey_default_threshold_is_one_point(small_world):
    """Kills a changed default threshold (0.01 = the programme's one-point goal, README and
    reporting.params goal_pp = 1.0). The p-value of the goal is recomputed from the estimate:
    P(change < -0.01) one-sided, with the result's own distribution (normal or t)."""
    assert inspect.signature(verdict_from_survey).parameters["threshold"].default == 0.01
    res = verdict_from_survey(small_world.survey, year=2025)
    assert res.extras["threshold"] == 0.01
    ex = verdict_from_survey(small_world.survey, year=2025, threshold=0.01)
    assert res.extras["p_value_goal"] == pytest.approx(ex.extras["p_value_goal"], rel=1e-12)
    other = verdict_from_survey(small_world.survey, year=2025, threshold=0.1)
    assert abs(other.extras["p_value_goal"] - res.extras["p_value_goal"]) > 1e-6


# -- RD bandwidths h/b are used -----------------------------------------------------------
def test_rd_user_bandwidth_gives_the_local_linear_fit_by_hand():
    """Kills ``h``/``b`` not passed on to rdrobust (a 'monotonic' n_obs check is also met by a
    constant bandwidth). Reference: the conventional sharp-RD estimate is the difference of
    the intercepts of two triangular-kernel weighted linear fits within h (Calonico, Cattaneo
    & Titiunik 2014, eq. 3), computed here with numpy. Tolerance 1e-8 absolute."""
    senate = pd.read_csv(REF / "rd" / "rdrobust_senate.csv")
    res = {}
    for h, b in ((10.0, 20.0), (25.0, 40.0)):
        r = rd_estimate(senate, y="vote", running="margin", cutoff=0, treated_side="above",
                        h=h, b=b)
        t = r.tidy().set_index("term")
        assert t.loc["Conventional", "h_left"] == pytest.approx(h)
        assert t.loc["Conventional", "b_right"] == pytest.approx(b)
        s = senate.dropna(subset=["vote", "margin"])
        x, yv = s["margin"].to_numpy(), s["vote"].to_numpy()
        ints = []
        for side in (x >= 0, x < 0):
            m = side & (np.abs(x) <= h)
            sw = np.sqrt(1 - np.abs(x[m]) / h)
            X = np.column_stack([np.ones(m.sum()), x[m]])
            beta = np.linalg.lstsq(X * sw[:, None], yv[m] * sw, rcond=None)[0]
            ints.append(beta[0])
        assert t.loc["Conventional", "estimate"] == pytest.approx(ints[0] - ints[1], abs=1e-8)
        res[h] = (t.loc["Conventional", "estimate"], t.loc["Robust", "estimate"])
    assert abs(res[10.0][0] - res[25.0][0]) > 1e-3 and abs(res[10.0][1] - res[25.0][1]) > 1e-3


# -- personal-data columns are all removed ------------------------------------------------
#: The raw registry's personal columns (contracts.PII_COLUMNS as documented in issue 18's
#: baseline: NIK, family-card numbers and names in their Indonesian and English spellings).
EXPECTED_PII = ("no_kk", "nik_head", "name_head", "nik", "nama", "name", "nama_kepala",
                "nama_krt", "nik_krt", "nokk", "no_kk_head")


def test_every_personal_column_is_removed_by_pseudonymise():
    """Kills a name dropped from PII_COLUMNS: each personal column of a raw registry, named
    independently here, is absent after pseudonymisation (also in upper case)."""
    raw = pd.DataFrame({c: ["7310010101800001"] for c in EXPECTED_PII})
    raw["desil"] = [3]
    out = pseudonymise_registry(raw, demo=True)
    assert list(out.columns) == ["family_id", "desil"]
    up = pseudonymise_registry(raw.rename(columns=str.upper).rename(columns={"NO_KK": "no_kk"}),
                               demo=True)
    assert list(up.columns) == ["family_id", "DESIL"]


# -- small-group merging at exactly k -----------------------------------------------------
def test_group_of_exactly_k_is_kept_and_k_minus_1_is_merged():
    """Kills ``count < k`` -> ``count <= k`` in merge_small_groups (the docstring: groups with
    fewer than k households are merged)."""
    tab = pd.DataFrame({"grp": ["a", "b", "c", "d"], "n": [20, 19, 30, 5],
                        "poor": [4.0, 3.0, 6.0, 1.0]})
    out = merge_small_groups(tab, group_col="grp", count_col="n", k=20, sum_cols=["poor"])
    got = dict(zip(out["grp"], out["n"], strict=True))
    assert got == {"a": 20, "other": 24, "c": 30}
    assert out.loc[out["grp"] == "other", "poor"].iloc[0] == 4.0


# -- a missing language fails -------------------------------------------------------------
def test_missing_language_text_raises_instead_of_falling_back(monkeypatch):
    """Kills a silent fallback to English: a key with only an 'en' text must raise for 'id'."""
    cat = dict(i18n.catalogue())
    cat["nb9.only_en"] = {"en": "English only"}
    monkeypatch.setattr(i18n, "catalogue", lambda path=None: cat)
    assert i18n.t("nb9.only_en", "en") == "English only"
    with pytest.raises(ReportError, match="has no 'id' text"):
        i18n.t("nb9.only_en", "id")


def test_household_exactly_on_the_line_in_change():
    """Kills ``y < z`` -> ``y <= z`` in the shared FGT scores (poverty._common.fgt_scores, used
    by change() and the decompositions): a wave-1 household on the line is not poor, so P0 is
    1/4 in both waves (change 0); with line_rule="weak" it is 2/4 -> 1/4 (change -1/4)."""
    df = pd.DataFrame({"year": [2020] * 4 + [2021] * 4,
                       "c": [100.0, 200.0, 300.0, 400.0, 150.0, 250.0, 300.0, 400.0],
                       "weight": 1.0, "hh_size": 1})
    strict = change(df, "c", line=200.0, years=(2020, 2021), g=0, design={"weight": "weight"})
    weak = change(df, "c", line=200.0, years=(2020, 2021), g=0, design={"weight": "weight"},
                  line_rule="weak")
    td, tw = strict.tidy().set_index("term"), weak.tidy().set_index("term")
    assert float(td["estimate"].iloc[-1]) == pytest.approx(0.0, abs=1e-15)
    assert float(tw["estimate"].iloc[-1]) == pytest.approx(-0.25, abs=1e-15)
