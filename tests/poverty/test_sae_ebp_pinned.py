"""Unit-level EBP pinned by hand computations (issue 18, mutation round on sae/unitlevel.py).

Sources of the expected values, each written out in the test:

* the transformations' closed forms (Box-Cox 1964: ``((y + s)^lam - 1) / lam``, ``log(y + s)``
  at ``lam = 0``; log-shift ``log(y + s)``) and emdi's geometric-mean standardised versions
  (Rojas-Perilla et al. 2020, eq. 2: ``(y^lam - 1) / (lam gm^(lam - 1))``, ``gm log y``);
* the person-weighted FGT indicators ``sum_j w_j 1{y_j < z} ((z - y_j)/z)^a / sum_j w_j`` and
  the mean, on a handful of households;
* Guadarrama, Molina & Rao (2018), section 3: the pseudo-EBLUP ``beta_w = {sum w x (x - g
  xbar_w)'}^-1 sum w x (y - g ybar_w)``, ``gamma_iw = s2u / (s2u + s2e sum w^2 / (sum w)^2)``,
  ``u_iw = gamma_iw (ybar_iw - xbar_iw' beta_w)`` with dense loops over villages;
* the conditional distribution of Molina & Rao (2010): a sampled village's random effect has
  variance ``s2u (1 - gamma_i)``, a non-sampled one ``s2u``;
* with no unit-level error (``sigma2_e = 0``) and no random effect the Monte Carlo predictor
  is deterministic: the indicators of the back-transformed linear predictor.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import (
    DataWarning,
    EstimationWarning,
    ParameterError,
    SchemaError,
)
from kassaki_eval.poverty.sae import ebp
from kassaki_eval.poverty.sae.nested import GroupSums, fit_nested_error
from kassaki_eval.poverty.sae.unitlevel import (
    _aggregator,
    _choose_parameter,
    _extreme_villages,
    _fit_model,
    _indicators,
    _levels,
    _predict,
    _shift_for,
    _std_transform,
    _Trafo,
    check_covariates,
    covariate_matrix,
)

Z = 1.959963984540054
REF = Path(__file__).resolve().parents[1] / "references" / "sae" / "emdi"


# ---------------------------------------------------------------------------------------------
# transformations
# ---------------------------------------------------------------------------------------------

def test_transformations_forward_and_back_by_hand():
    y = np.array([0.5, 1.0, 3.0, 8.0])
    assert _Trafo("none").fwd(y) is y and _Trafo("none").back(y) is y
    t = _Trafo("log", 0.0, 2.0)
    np.testing.assert_allclose(t.fwd(y), np.log(y + 2.0), rtol=1e-15)
    np.testing.assert_allclose(t.back(np.log(y + 2.0)), y, rtol=1e-14)
    t = _Trafo("log_shift", 1.5)
    np.testing.assert_allclose(t.fwd(y), np.log(y + 1.5), rtol=1e-15)
    np.testing.assert_allclose(t.back(np.log(y + 1.5)), y, rtol=1e-14)
    t = _Trafo("box_cox", 0.5, 2.0)
    fwd = ((y + 2.0) ** 0.5 - 1) / 0.5
    np.testing.assert_allclose(t.fwd(y), fwd, rtol=1e-15)
    np.testing.assert_allclose(t.back(fwd), y, rtol=1e-13)
    # lam -> 0 is the log (|lam| <= 1e-12), in both directions
    t0 = _Trafo("box_cox", 1e-13, 2.0)
    np.testing.assert_allclose(t0.fwd(y), np.log(y + 2.0), rtol=1e-15)
    np.testing.assert_allclose(t0.back(np.log(y + 2.0)), y, rtol=1e-14)
    # a negative lambda and no shift
    t = _Trafo("box_cox", -0.5, 0.0)
    fwd = (y ** -0.5 - 1) / -0.5
    np.testing.assert_allclose(t.fwd(y), fwd, rtol=1e-15)
    np.testing.assert_allclose(t.back(fwd), y, rtol=1e-13)
    # beyond the range of the Box-Cox transform (1 + lam t < 0, lam > 0): the back-transform
    # is 0 on the shifted scale, i.e. -shift
    np.testing.assert_allclose(_Trafo("box_cox", 0.5, 2.0).back(np.array([-3.0, -2.0])),
                               [-2.0, -2.0], atol=1e-15)
    # float32 blocks (the Monte Carlo) stay float32
    b32 = _Trafo("box_cox", 0.5, 2.0).back(np.array([1.0, 2.0], dtype=np.float32))
    assert b32.dtype == np.float32
    np.testing.assert_allclose(b32, (np.array([1.0, 2.0]) * 0.5 + 1) ** 2 - 2, rtol=1e-6)


def test_shift_makes_the_minimum_one_when_not_positive():
    assert _shift_for(np.array([-3.0, 5.0])) == 4.0
    assert _shift_for(np.array([0.0, 2.0])) == 1.0
    assert _shift_for(np.array([0.5, 2.0])) == 0.0


def test_geometric_mean_standardised_transformations_by_hand():
    y = np.array([1.0, 2.0, 4.0, 8.0])
    gm = np.exp(np.mean(np.log(y)))              # = 2^(1.5)
    assert gm == pytest.approx(2 ** 1.5, rel=1e-15)
    np.testing.assert_allclose(_std_transform(y, "box_cox", 0.5),
                               (y ** 0.5 - 1) / (0.5 * gm ** -0.5), rtol=1e-14)
    np.testing.assert_allclose(_std_transform(y, "box_cox", 0.0), gm * np.log(y), rtol=1e-14)
    # non-positive values: shifted so that the minimum is 1 (y - min + 1)
    yn = np.array([-2.0, 0.0, 3.0])
    yy = yn + 3.0
    g = np.exp(np.mean(np.log(yy)))
    np.testing.assert_allclose(_std_transform(yn, "box_cox", 2.0), (yy ** 2 - 1) / (2 * g),
                               rtol=1e-14)
    # a zero minimum: y - 0 + 1
    yz = np.array([0.0, 1.0, 3.0])
    g = np.exp(np.mean(np.log(yz + 1)))
    np.testing.assert_allclose(_std_transform(yz, "box_cox", 0.0), g * np.log(yz + 1),
                               rtol=1e-14)
    # log-shift: gm(y + s) log(y + s); a shift that leaves y + s <= 0 is moved by |min y| + 1
    g = np.exp(np.mean(np.log(y + 0.5)))
    np.testing.assert_allclose(_std_transform(y, "log_shift", 0.5), g * np.log(y + 0.5),
                               rtol=1e-14)
    s = 1.0 + 2.0 + 1.0
    g = np.exp(np.mean(np.log(yn + s)))
    np.testing.assert_allclose(_std_transform(yn, "log_shift", 1.0), g * np.log(yn + s),
                               rtol=1e-14)


def _cubic_sample(n_groups: int = 8, per: int = 40, seed: int = 3):
    """y^3 ~ normal (mean 1000, sd 150) per village: the REML Box-Cox optimum is near 3,
    beyond the default search interval (-1, 2)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), per)
    y = (1000 + rng.normal(0, 40, n_groups)[g] + rng.normal(0, 150, len(g))) ** (1 / 3)
    X = np.ones((len(g), 1))
    return y, X, GroupSums.build(X, g, n_groups)


def test_default_search_intervals_and_the_edge_warning():
    y, X, gs = _cubic_sample()
    with pytest.warns(EstimationWarning, match=r"REML box_cox parameter 2 is at the edge of the "
                                               r"search interval \(-1\.0, 2\.0\); widen "
                                               r"'interval'"):
        lam = _choose_parameter(y, X, gs, "box_cox", None)
    assert lam == pytest.approx(2.0, abs=1e-4)
    # a user interval that contains the optimum: no warning, interior optimum
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lam = _choose_parameter(y, X, gs, "box_cox", (0.0, 6.0))
    assert 2.2 < lam < 5.0
    # log-shift: default (0, ptp(y) / 2) for positive y; (|min| + 1, ptp / 2) otherwise
    with pytest.warns(EstimationWarning, match=r"log_shift parameter .* interval "
                                               rf"\(0\.0, {np.ptp(y) / 2:.6g}"):
        _choose_parameter(y, X, gs, "log_shift", None)
    yn = np.exp(np.random.default_rng(4).normal(0, 1, len(y))) - 0.5  # minimum below 0
    lo = abs(float(np.min(yn))) + 1
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        s = _choose_parameter(yn, X, gs, "log_shift", None)
    assert lo <= s <= np.ptp(yn) / 2
    for w in rec:
        assert f"({lo!r}, {float(np.ptp(yn)) / 2!r})" in str(w.message)


def test_edge_warning_threshold_is_1e_4_of_the_interval_width():
    """The optimum lam* (found on a wide interval) 1.2e-3 inside the lower end of an interval
    of width 10.0012: 1.2e-3 > 1e-4 x 10.0012 (a threshold of 1e-4 x (hi + lo) ~ 1.6e-3 would
    warn), so no warning; 5e-5 inside an interval of width ~1 (threshold 1e-4): warns."""
    y, X, gs = _cubic_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        star = _choose_parameter(y, X, gs, "box_cox", (0.0, 6.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _choose_parameter(y, X, gs, "box_cox", (star - 1.2e-3, star + 10.0))
    assert got == pytest.approx(star, abs=1e-5)
    with pytest.warns(EstimationWarning, match="at the edge of the search interval"):
        _choose_parameter(y, X, gs, "box_cox", (star - 0.05e-3, star + 1.0))


# ---------------------------------------------------------------------------------------------
# covariates
# ---------------------------------------------------------------------------------------------

def _tables():
    survey = pd.DataFrame({"v": ["a", "a", "b", "b", "b"], "x": [1.0, 2.0, 3.0, 4.0, 6.0],
                           "c": ["lo", "hi", "mid", "hi", "lo"],
                           "weight": [1.0, 3.0, 1.0, 1.0, 2.0]})
    registry = pd.DataFrame({"v": ["a", "b", "c", "c"], "x": [1.0, 2.0, 3.0, 6.0],
                             "c": pd.Categorical(["mid", "lo", "hi", "hi"])})
    return survey, registry


def test_covariate_matrix_is_intercept_numeric_and_dummies_dropping_the_first_level():
    survey, registry = _tables()
    levels = _levels(registry, survey, ["x", "c"])
    assert levels == {"c": ["hi", "lo", "mid"]}
    X = covariate_matrix(survey, ["x", "c"], levels, "survey")
    np.testing.assert_array_equal(X, [[1, 1, 1, 0], [1, 2, 0, 0], [1, 3, 0, 1], [1, 4, 0, 0],
                                      [1, 6, 1, 0]])
    # a categorical of integer codes (e.g. an education level 1..3) gives dummies, not a number
    reg = registry.assign(e=pd.Categorical([3, 1, 2, 2]))
    sv = survey.assign(e=[1, 2, 2, 3, 1])
    lev = _levels(reg, sv, ["e"])
    assert lev == {"e": [1, 2, 3]}
    np.testing.assert_array_equal(covariate_matrix(sv, ["e"], lev, "survey"),
                                  [[1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 0]])
    # object and string columns are categorical too
    for dtype in (object, "string"):
        reg = registry.assign(c=registry["c"].astype(str).astype(dtype))
        assert _levels(reg, survey, ["c"]) == {"c": ["hi", "lo", "mid"]}


def test_covariate_problems_name_table_column_rows_and_fix():
    survey, registry = _tables()
    levels = _levels(registry, survey, ["x"])
    bad = survey.assign(x=[1.0, np.nan, 3.0, "?", 5.0])
    with pytest.raises(SchemaError) as e:
        covariate_matrix(bad, ["x", "zz"], levels, "survey")
    msg = str(e.value)
    assert "survey: column 'x' is missing or not numeric: 2 rows (e.g. row 1, row 3)." in msg
    assert "Fix: impute or drop those rows before the EBP." in msg
    assert "column 'zz' is missing (a model covariate): 5 rows" in msg
    assert "Fix: give both tables the same covariates." in msg
    assert e.value.table == "survey" and msg.startswith("survey: 2 problems found")
    assert [(p.column, p.count) for p in e.value.problems] == [("x", 2), ("zz", 5)]
    odd = survey.assign(c=["lo", "new", "new", "other", "hi"])
    with pytest.raises(SchemaError) as e:
        _levels(registry, odd, ["c"])
    msg = str(e.value)
    assert ("survey: column 'c' has categories the registry does not use (registry levels: "
            "['hi', 'lo', 'mid']): 3 rows (e.g. new, other)") in msg
    assert "Fix: recode the survey categories to the registry's definitions." in msg
    assert msg.startswith("survey: 1 problem found") and e.value.table == "survey"
    assert e.value.problems[0].count == 3


def test_check_covariates_compares_weighted_survey_and_registry_means_by_hand():
    survey, registry = _tables()
    with pytest.warns(DataWarning, match=r"^ebp: 2 covariates differ between the survey and "
                                         r"the registry by more than 0\.25 registry SDs: c=lo "
                                         r"\(survey 0\.375 vs registry 0\.25\), c=mid \(survey "
                                         r"0\.125 vs registry 0\.25\)\. They may be defined "
                                         r"differently .* Fix: harmonise them or drop them from "
                                         r"the model\.$"):
        tab = check_covariates(survey, registry, ["x", "c"])
    tab = tab.set_index("covariate")
    # x: survey weighted mean (1 + 6 + 3 + 4 + 12) / 8 = 3.25; registry mean 3, sd (ddof 0)
    # sqrt(((1-3)^2 + (2-3)^2 + 0 + 3^2) / 4) = sqrt(3.5); 0.25 / sqrt(3.5) = 0.134 < 0.25
    assert tab.loc["x", "survey_mean"] == pytest.approx(26 / 8, rel=1e-15)
    assert tab.loc["x", "registry_mean"] == 3.0
    assert tab.loc["x", "registry_sd"] == pytest.approx(np.sqrt(3.5), rel=1e-15)
    assert tab.loc["x", "std_diff"] == pytest.approx(0.25 / np.sqrt(3.5), rel=1e-14)
    # shares: hi (3 + 1) / 8 vs 2 / 4; lo (1 + 2) / 8 vs 1 / 4; mid 1 / 8 vs 1 / 4, sd of a
    # share 1/4 = sqrt(1/4 x 3/4): 0.125 / 0.433 = 0.289 > 0.25
    assert tab.loc["c=hi", "survey_mean"] == 0.5 and tab.loc["c=hi", "registry_mean"] == 0.5
    assert tab.loc["c=hi", "std_diff"] == 0.0
    assert tab.loc["c=lo", "survey_mean"] == 3 / 8
    sd = np.sqrt(0.25 * 0.75)
    assert tab.loc["c=lo", "registry_sd"] == pytest.approx(sd, rel=1e-15)
    assert tab.loc["c=lo", "std_diff"] == pytest.approx(0.125 / sd, rel=1e-14)
    assert tab.loc["c=mid", "std_diff"] == pytest.approx(0.125 / sd, rel=1e-14)
    assert tab["flag"].to_dict() == {"x": False, "c=hi": False, "c=lo": True, "c=mid": True}
    # a lower tolerance flags x too; a missing survey value is left out of the weighted mean
    s2 = survey.assign(x=[1.0, 2.0, 3.0, 4.0, np.nan])
    with pytest.warns(DataWarning, match="3 covariates differ .* more than 0.1 registry SDs: x "
                                         r"\(survey 2\.33 vs registry 3\)"):
        tab = check_covariates(s2, registry, ["x", "c"], tol=0.1).set_index("covariate")
    assert tab.loc["x", "survey_mean"] == pytest.approx(14 / 6, rel=1e-15)
    # a covariate constant in the registry: 0 when the survey agrees, infinite otherwise
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tab = check_covariates(survey.assign(k=1.0), registry.assign(k=1.0), ["k"])
    assert tab["std_diff"].tolist() == [0.0] and tab["flag"].tolist() == [False]
    with pytest.warns(DataWarning, match="1 covariates differ"):
        tab = check_covariates(survey.assign(k=2.0), registry.assign(k=1.0), ["k"])
    assert tab["std_diff"].tolist() == [np.inf] and tab["flag"].tolist() == [True]
    # another weight column
    tab = check_covariates(survey.assign(w2=1.0), registry, ["x"], weight="w2", tol=1.0)
    assert tab["survey_mean"].tolist() == [16 / 5]


# ---------------------------------------------------------------------------------------------
# indicators, the model fit, the Monte Carlo predictor
# ---------------------------------------------------------------------------------------------

def test_person_weighted_fgt_and_mean_by_hand():
    """Two villages; household 2 sits exactly on the line (not poor: y < z is strict)."""
    z = 100.0
    y = np.array([[50.0], [100.0], [80.0], [150.0], [20.0]], dtype=np.float32)
    codes = np.array([0, 0, 0, 1, 1])
    pw = np.array([2.0, 1.0, 1.0, 3.0, 1.0])
    agg = _aggregator(codes, 2, pw)
    out = _indicators(y.copy(), agg, z)
    assert out.shape == (2, 4, 1)
    # village 0: weights 2, 1, 1 (sum 4): poor 50 and 80 -> p0 = 3/4; gaps 0.5, 0.2:
    # p1 = (2 x 0.5 + 0.2) / 4 = 0.3; p2 = (2 x 0.25 + 0.04) / 4 = 0.135; mean 280 / 4 = 70
    # village 1: weights 3, 1: poor 20 -> p0 = 1/4, p1 = 0.8 / 4, p2 = 0.64 / 4, mean 470 / 4
    want = np.array([[0.75, 0.3, 0.135, 70.0], [0.25, 0.2, 0.16, 117.5]])
    np.testing.assert_allclose(out[:, :, 0], want, rtol=1e-6)


def _toy(weights: bool = False):
    """Three sampled villages of five, 8 households each, one covariate."""
    rng = np.random.default_rng(7)
    g = np.repeat([0, 1, 2], 8)
    x = rng.normal(0, 1, len(g))
    y = 2.0 + 0.5 * x + np.array([-0.6, 0.1, 0.7])[g] + rng.normal(0, 0.5, len(g))
    X = np.column_stack([np.ones(len(g)), x])
    w = rng.uniform(0.5, 3.0, len(g)) if weights else None
    return y, X, g, w


def test_unweighted_model_maps_sampled_villages_and_conditional_variances():
    y, X, g, _ = _toy()
    gs = GroupSums.build(X, g, 3)
    dom_map = np.array([4, 0, 2])                # sample groups -> population villages
    mod = _fit_model(y, X, gs, "none", None, None, None, dom_map, 5)
    f = fit_nested_error(y, gs, X)
    assert mod.fit.sigma2_u == f.sigma2_u > 0
    np.testing.assert_array_equal(mod.beta, f.beta)
    u = np.zeros(5)
    u[dom_map] = f.u
    np.testing.assert_array_equal(mod.u, u)
    sv = np.full(5, np.sqrt(f.sigma2_u))          # not sampled: the prior sd
    sv[dom_map] = np.sqrt(f.sigma2_u * (1 - f.gamma))
    np.testing.assert_allclose(mod.sig_v, sv, rtol=1e-15)
    assert mod.trafo == _Trafo("none", 0.0, 0.0)
    # log: the shift makes the minimum 1 when y has values <= 0, and the fit is on log(y + s)
    ml = _fit_model(y - 2.5, X, gs, "log", None, None, None, dom_map, 5)
    s = abs(float(np.min(y - 2.5))) + 1
    assert ml.trafo == _Trafo("log", 0.0, s)
    np.testing.assert_array_equal(ml.fit.beta, fit_nested_error(np.log(y - 2.5 + s), gs, X).beta)
    # log-shift with a fixed parameter that leaves y + s <= 0: moved by |min y| + 1
    ms = _fit_model(y - 2.5, X, gs, "log_shift", 0.1, None, None, dom_map, 5)
    assert ms.trafo.lam == pytest.approx(0.1 + s, rel=1e-15) and ms.trafo.shift == 0.0
    mb = _fit_model(y, X, gs, "box_cox", 0.7, None, None, dom_map, 5)
    assert mb.trafo == _Trafo("box_cox", 0.7, 0.0)


def test_pseudo_ebp_weights_follow_guadarrama_molina_rao_by_hand():
    y, X, g, w = _toy(weights=True)
    gs = GroupSums.build(X, g, 3)
    mod = _fit_model(y, X, gs, "none", None, None, w, np.arange(3), 3)
    f = fit_nested_error(y, gs, X)          # variance components: the unweighted REML fit
    s2u, s2e = f.sigma2_u, f.sigma2_e
    p = X.shape[1]
    lhs, rhs = np.zeros((p, p)), np.zeros(p)
    gam, ybw, xbw = [], [], []
    for i in range(3):
        k = g == i
        wi, Xi, yi = w[k], X[k], y[k]
        d2 = np.sum(wi ** 2) / np.sum(wi) ** 2
        gi = s2u / (s2u + s2e * d2)
        yb, xb = np.sum(wi * yi) / np.sum(wi), (wi @ Xi) / np.sum(wi)
        for j in range(len(yi)):
            lhs += wi[j] * np.outer(Xi[j], Xi[j] - gi * xb)
            rhs += wi[j] * Xi[j] * (yi[j] - gi * yb)
        gam.append(gi)
        ybw.append(yb)
        xbw.append(xb)
    beta = np.linalg.solve(lhs, rhs)
    gam = np.array(gam)
    u = gam * (np.array(ybw) - np.array(xbw) @ beta)
    np.testing.assert_allclose(mod.beta, beta, rtol=1e-12)
    np.testing.assert_allclose(mod.u, u, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(mod.sig_v, np.sqrt(s2u * (1 - gam)), rtol=1e-12)
    assert not np.allclose(beta, f.beta)      # the weights matter in this sample


def test_monte_carlo_predictor_without_noise_is_the_indicators_of_the_linear_predictor():
    y, X, g, _ = _toy()
    gs = GroupSums.build(X, g, 3)
    mod = _fit_model(y, X, gs, "log_shift", 1.0, None, None, np.arange(3), 3)
    quiet = replace(mod, fit=replace(mod.fit, sigma2_e=0.0), sig_v=np.zeros(3))
    codes = g.astype(np.int64)
    pw = np.arange(1.0, len(g) + 1)
    agg = _aggregator(codes, 3, pw)
    mean, sd = _predict(quiet, X, codes, 3, 2.5, agg, 5, np.random.default_rng(1), 2,
                        spread=True)
    yb = np.exp(X @ quiet.beta + quiet.u[codes]) - 1.0
    want = np.zeros((3, 4))
    for i in range(3):
        k = codes == i
        gap = np.maximum((2.5 - yb[k]) / 2.5, 0)
        wi = pw[k] / pw[k].sum()
        want[i] = [wi @ (gap > 0), wi @ gap, wi @ gap ** 2, wi @ yb[k]]
    np.testing.assert_allclose(mean, want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(sd, 0.0, atol=1e-5)
    only = _predict(quiet, X, codes, 3, 2.5, agg, 3, np.random.default_rng(1), 7)
    np.testing.assert_allclose(only, want, rtol=2e-6, atol=1e-7)


def test_monte_carlo_spread_is_the_random_effect_sd():
    """With sigma2_e = 0 and no transformation, one replicate's village mean is mu_i + v_i,
    v_i ~ N(0, sig_v_i^2): the replicate sd estimates sig_v_i (L = 4000: relative standard
    error of an sd 1/sqrt(2L) = 1.1 %; tolerance 5 %) and the average is within 4 MC errors."""
    y, X, g, _ = _toy()
    gs = GroupSums.build(X, g, 3)
    mod = _fit_model(y, X, gs, "none", None, None, None, np.array([0, 2, 3]), 4)
    m0 = replace(mod, fit=replace(mod.fit, sigma2_e=0.0))
    Xp = np.column_stack([np.ones(8), np.linspace(-1, 1, 8)])
    codes = np.repeat(np.arange(4), 2).astype(np.int64)
    agg = _aggregator(codes, 4, np.ones(8))
    L = 4000
    mean, sd = _predict(m0, Xp, codes, 4, 1.0, agg, L, np.random.default_rng(11), 1000,
                        spread=True)
    np.testing.assert_allclose(sd[:, 3], m0.sig_v, rtol=0.05)
    mu = np.array([(Xp[codes == i] @ m0.beta).mean() + m0.u[i] for i in range(4)])
    assert np.all(np.abs(mean[:, 3] - mu) < 4 * m0.sig_v / np.sqrt(L))
    assert m0.sig_v[1] == pytest.approx(np.sqrt(mod.fit.sigma2_u), rel=1e-15)  # not sampled


def test_extreme_villages_are_all_or_none_poor():
    poor = np.array([True, True, False, False, True, False])
    s_dom = np.array([0, 0, 1, 1, 3, 3])
    np.testing.assert_array_equal(_extreme_villages(poor, s_dom, 5), [0, 1])
    # one sampled household is always all or none poor
    np.testing.assert_array_equal(_extreme_villages(np.array([False, True, False]),
                                                    np.array([0, 0, 2]), 3), [2])


# ---------------------------------------------------------------------------------------------
# ebp(): the result table, extras, errors
# ---------------------------------------------------------------------------------------------

def _frames():
    y, X, g, w = _toy(weights=True)
    survey = pd.DataFrame({"v": np.array(["a", "c", "e"])[g], "inc": np.exp(y), "x": X[:, 1],
                           "hh_size": 1 + (np.arange(len(g)) % 3), "weight": w})
    rng = np.random.default_rng(5)
    vv = np.repeat(["a", "b", "c", "d", "e"], [10, 6, 12, 5, 9])
    registry = pd.DataFrame({"v": vv, "x": rng.normal(0, 1, len(vv)),
                             "hh_size": 1 + rng.integers(0, 4, len(vv))})
    return survey, registry


def _ebp(survey, registry, **kw):
    kw = {"line": 8.0, "welfare": "inc", "domain": "v", "transformation": "log", "L": 3,
          "mse": "none", "seed": 1, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return ebp(survey, registry, ["x"], **kw)


def test_ebp_table_and_extras():
    survey, registry = _frames()
    res = _ebp(survey, registry)
    t = res.tidy()
    assert t["term"].tolist()[:5] == ["p0[v=a]", "p1[v=a]", "p2[v=a]", "mean[v=a]", "p0[v=b]"]
    assert t["v"].tolist() == list(np.repeat(list("abcde"), 4))
    assert t["measure"].tolist() == ["p0", "p1", "p2", "mean"] * 5
    assert t["method"].tolist() == list(np.repeat(["EBP", "EBP-synthetic", "EBP",
                                                   "EBP-synthetic", "EBP"], 4))
    assert t["n_obs"].tolist() == list(np.repeat([8, 0, 8, 0, 8], 4))
    assert t["n_households"].tolist() == list(np.repeat([10, 6, 12, 5, 9], 4))
    assert t["mse"].isna().all()
    ex = res.extras
    np.testing.assert_array_equal(t["estimate"].to_numpy(), ex["point"].ravel())
    assert list(ex["domains"]) == list("abcde")
    assert ex["sampled"].tolist() == [True, False, True, False, True]
    md = ex["model"]
    assert list(md["beta"].index) == ["(Intercept)", "x"]
    assert (md["n_sample"], md["n_sampled_villages"], md["n_villages"]) == (24, 3, 5)
    assert md["transformation"] == "log" and md["lambda"] == 0.0 and md["shift"] == 0.0
    # the fit is the nested-error REML fit of log(inc) (inc > 0: no shift)
    X = np.column_stack([np.ones(24), survey["x"]])
    g = pd.factorize(survey["v"], sort=True)[0]
    f = fit_nested_error(np.log(survey["inc"].to_numpy()), GroupSums.build(X, g, 3), X)
    np.testing.assert_allclose(md["beta"].to_numpy(), f.beta, rtol=1e-12)
    assert (md["sigma2_u"], md["sigma2_e"], md["reml_crit"]) == pytest.approx(
        (f.sigma2_u, f.sigma2_e, f.reml_crit), rel=1e-12)
    assert md["boundary"] is False
    np.testing.assert_allclose(md["cov_beta"], f.cov_beta, rtol=1e-12)
    np.testing.assert_allclose(ex["random_effects"].to_numpy(), f.u, rtol=1e-10)
    assert list(ex["random_effects"].index) == ["a", "c", "e"]
    fitted = X @ f.beta + f.u[g]
    np.testing.assert_allclose(ex["fitted"], fitted, rtol=1e-10)
    np.testing.assert_allclose(ex["residuals"], np.log(survey["inc"]) - fitted, atol=1e-10)
    np.testing.assert_allclose(ex["y_transformed"], np.log(survey["inc"]), rtol=1e-15)
    np.testing.assert_array_equal(ex["X_sample"], X)
    np.testing.assert_allclose(ex["mc_se"], ex["replicate_sd"] / np.sqrt(3), rtol=1e-15)
    assert ex["covariate_check"]["covariate"].tolist() == ["x"]
    o = res.provenance.options
    assert (o["transformation"], o["L"], o["B"], o["mse"], o["seed"], o["line"]) == (
        "log", 3, 100, "none", 1, 8.0)
    assert o["covariates"] == ["x"] and o["weights"] is None and o["size"] == "hh_size"
    assert o["parameter"] == 0.0 and o["shift"] == 0.0
    assert res.provenance.n_input == res.provenance.n_used == 24
    assert res.method == "ebp" and res.summary().title == "EBP (log, L=3, B=100)"


def test_ebp_bootstrap_intervals_clip_the_fgt_rows_only():
    survey, registry = _frames()
    res = _ebp(survey, registry, mse="bootstrap", B=2, L=2)
    t = res.tidy()
    se = np.sqrt(t["mse"].to_numpy())
    assert np.isfinite(se).all() and (se > 0).any()
    fgt = t["measure"].isin(["p0", "p1", "p2"]).to_numpy()
    lo, hi = t["estimate"] - Z * se, t["estimate"] + Z * se
    np.testing.assert_allclose(t["conf_low"][fgt], np.clip(lo[fgt], 0, 1), atol=1e-12)
    np.testing.assert_allclose(t["conf_high"][fgt], np.clip(hi[fgt], 0, 1), atol=1e-12)
    np.testing.assert_allclose(t["conf_low"][~fgt], lo[~fgt], rtol=1e-12)
    np.testing.assert_allclose(t["conf_high"][~fgt], hi[~fgt], rtol=1e-12)
    assert (lo[fgt] < 0).any() and (hi[fgt] > 1).any()      # both clips are exercised
    np.testing.assert_array_equal(res.extras["mse"].ravel(), t["mse"].to_numpy())


def test_ebp_is_reproducible_from_its_seed():
    survey, registry = _frames()
    a = _ebp(survey, registry, mse="bootstrap", B=2, L=2, seed=3).tidy()
    b = _ebp(survey, registry, mse="bootstrap", B=2, L=2, seed=3).tidy()
    c = _ebp(survey, registry, mse="bootstrap", B=2, L=2, seed=4).tidy()
    np.testing.assert_array_equal(a["estimate"], b["estimate"])
    np.testing.assert_array_equal(a["mse"], b["mse"])
    assert not np.array_equal(a["mse"], c["mse"])


def test_ebp_parameter_and_column_errors():
    survey, registry = _frames()
    for kw, msg in ((dict(L=0), r"'L' parameter of ebp must be an int >= 1\. Got 0 instead"),
                    (dict(L=2.0), r"'L' parameter of ebp must be an int >= 1\. Got 2\.0"),
                    (dict(B=0, mse="bootstrap"), r"'B' parameter of ebp must be an int >= 1\."
                                                 r" Got 0 instead")):
        with pytest.raises(ParameterError, match=msg):
            _ebp(survey, registry, **kw)
    _ebp(survey, registry, B=0)                  # no bootstrap: B = 0 is fine
    with pytest.raises(SchemaError) as e:
        _ebp(survey.drop(columns=["inc", "hh_size"]), registry)
    assert "survey: column 'inc' is missing" in str(e.value) and e.value.table == "survey"
    assert "survey: column 'hh_size' is missing" in str(e.value)
    assert "Fix: add the column." in str(e.value)
    with pytest.raises(SchemaError, match="survey: column 'w8' is missing"):
        _ebp(survey, registry, weights="w8")
    with pytest.raises(SchemaError, match="registry: column 'hh_size' is missing"):
        _ebp(survey, registry.drop(columns=["hh_size"]))
    bad = survey.assign(inc=survey["inc"].astype(object))
    bad.loc[[2, 5], "inc"] = "n/a"
    with pytest.raises(SchemaError, match=r"survey: column 'inc' is missing or not numeric: 2 "
                                          r"rows \(e\.g\. row 2, row 5\)\. Fix: drop or impute"):
        _ebp(bad, registry)
    with pytest.raises(SchemaError, match=r"registry: column 'zz' is missing \(an area "
                                          r"covariate\)") as e:
        _ebp(survey, registry, area_covariates=("zz",))
    assert e.value.problems[0].examples == () and e.value.problems[0].count == len(registry)
    # survey villages missing from the registry: count, the missing codes only, the fix
    with pytest.raises(SchemaError) as e:
        _ebp(survey, registry[registry["v"] != "c"])
    assert str(e.value).endswith(
        "survey: column 'v' has villages that are not in the registry (no auxiliary data): 8 "
        "rows (e.g. c). Fix: check the village codes (Kemendagri 73.10.KK.NNNN in both tables) "
        "or add the villages' registry extract.")


def test_area_covariates_enter_as_village_means_of_the_registry():
    survey, registry = _frames()
    registry["pmt"] = np.arange(len(registry), dtype=float)
    with pytest.warns(EstimationWarning, match=r"^ebp: the REML village variance is 0 "
                                               r"\(boundary\): the village effects are not "
                                               r"identified from this sample; every village gets "
                                               r"the synthetic prediction x'beta\. Check the "
                                               r"covariates and the sample\.$") as rec:
        res = _ebp(survey, registry, area_covariates=("pmt",))
    if "MUTANT_UNDER_TEST" not in os.environ:   # mutmut's trampoline adds a frame
        assert rec[0].filename == __file__    # stacklevel: the caller of ebp
    md = res.extras["model"]
    assert list(md["beta"].index) == ["(Intercept)", "x", "pmt_vmean"]
    vm = registry.groupby("v")["pmt"].mean()
    np.testing.assert_allclose(res.extras["X_sample"][:, 2], vm.loc[survey["v"]].to_numpy())
    assert res.provenance.options["covariates"] == ["x", "pmt_vmean"]


def test_ebp_weights_use_the_pseudo_ebp():
    survey, registry = _frames()
    res = _ebp(survey, registry, weights="weight")
    X = np.column_stack([np.ones(24), survey["x"]])
    g = pd.factorize(survey["v"], sort=True)[0]
    gs = GroupSums.build(X, g, 3)
    mod = _fit_model(np.log(survey["inc"].to_numpy()), X, gs, "none", None, None,
                     survey["weight"].to_numpy(), np.arange(3), 3)
    np.testing.assert_allclose(res.extras["model"]["beta"].to_numpy(), mod.beta, rtol=1e-12)
    assert res.provenance.options["weights"] == "weight"


def test_a_fixed_parameter_is_never_re_estimated_not_even_in_the_bootstrap(monkeypatch):
    from kassaki_eval.poverty.sae import unitlevel

    def boom(*a, **k):
        raise AssertionError("the REML parameter search ran although 'parameter' was given")

    monkeypatch.setattr(unitlevel, "_choose_parameter", boom)
    survey, registry = _frames()
    res = _ebp(survey, registry, transformation="box_cox", parameter=0.3, mse="bootstrap", B=2,
               L=2)
    assert res.extras["model"]["lambda"] == 0.3
    assert res.provenance.options["parameter"] == 0.3


def test_an_empty_search_interval_is_a_parameter_error():
    # welfare from -5 to -1: the default log-shift interval (|min| + 1, ptp / 2) = (6, 2) is
    # empty; scipy's "lower bound exceeds upper bound" used to come out instead
    _, X, gs = _cubic_sample()
    y = np.linspace(-5.0, -1.0, X.shape[0])
    msg = ("ebp: the search interval for the log_shift parameter is empty (6 to 2); welfare "
           "runs from -5 to -1. Fix: pass interval=(low, high) with low < high (for log_shift, "
           "low above -min(welfare)), or parameter=, or another transformation.")
    with pytest.raises(ParameterError) as info:
        _choose_parameter(y, X, gs, "log_shift", None)
    assert str(info.value) == msg
    with pytest.raises(ParameterError, match=r"box_cox parameter is empty \(2 to 2\)"):
        _choose_parameter(np.exp(y), X, gs, "box_cox", (2.0, 2.0))
