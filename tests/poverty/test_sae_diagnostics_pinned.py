"""The small-area diagnostics and tables pinned (issue 18, mutation round on
poverty/sae/diagnostics.py), fast: small hand-made results instead of fitted models.

The results are built with ``_common.assemble`` (the same constructor ebp() and
fay_herriot() use) or as an ``EstimateResult`` carrying the extras those estimators store
(unitlevel.py: ``model``, ``X_sample``, ``residuals``, ``random_effects``; fayherriot.py:
``A``, ``model_scale``, the ``gamma`` and ``in_sample`` columns). Expected values:

* R^2 and ICC from their definitions in ``ebp_diagnostics_table``'s docstring (Nakagawa &
  Schielzeth 2013), worked out in the comments;
* skewness ``m3 / m2^1.5`` and kurtosis ``m4 / m2^2`` (moments about the mean, divisor n; 3
  for a normal) computed with numpy in the test; the Shapiro-Wilk W and p from
  ``scipy.stats.shapiro`` on the values the docstring names (at most the first 5,000);
* village changes, group means and quotas by hand in the comments (module docstrings:
  ``MSE(change) = MSE(before) + MSE(after)``; group mean with weights ``w / sum w`` and MSE
  ``sum (w / sum w)^2 MSE``; largest-remainder quotas; ``quota_low = total lo / (rest + lo)``);
* village names from the district reference (73.10.01.1001 Sapuka, .2002 Sabaru, .2003 Balo
  Baloang, .2004 Sabalana; kecamatan Liukang Tangaya, zone island).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.poverty.sae import (
    ebp_diagnostics_table,
    fh_diagnostics_table,
    village_change,
    village_quota_table,
    village_table,
)
from kassaki_eval.poverty.sae._common import assemble
from kassaki_eval.poverty.sae.diagnostics import _normality
from kassaki_eval.results import EstimateResult, Provenance

A, B, C, D = "73.10.01.1001", "73.10.01.2002", "73.10.01.2003", "73.10.01.2004"
Z95 = 1.959963984540054        # Phi^-1(0.975)


def _moments(x):
    x = np.asarray(x, float)
    d = x - x.mean()
    m2, m3, m4 = (d ** 2).mean(), (d ** 3).mean(), (d ** 4).mean()
    return m3 / m2 ** 1.5, m4 / m2 ** 2


def _result(domains, estimate, mse, *, measure="p0", method="FH", own=None, extra=None,
            extras=None, alpha=0.05, prov="fay_herriot", rse=(0.25, 0.5)):
    n = len(domains)
    return assemble(domains=domains, measure=measure, estimate=np.asarray(estimate, float),
                    mse=np.asarray(mse, float), n_obs=np.arange(1, n + 1), method=method,
                    extra=extra or {}, conf_alpha=alpha, provenance=Provenance(method=prov),
                    own=own, extras=extras or {}, title="t", rse_thresholds=rse)


# ---------------------------------------------------------------------------------------------
# _normality
# ---------------------------------------------------------------------------------------------

def test_normality_row_by_hand_non_finite_values_left_out():
    x = [1.0, 2.0, 4.0, 8.0, np.nan, np.inf, -np.inf, 3.0]
    got = _normality(np.array(x), "res")
    fin = [1.0, 2.0, 4.0, 8.0, 3.0]
    sk, ku = _moments(fin)
    sw = stats.shapiro(fin)
    assert list(got) == ["quantity", "n", "skewness", "kurtosis", "shapiro_w", "shapiro_p"]
    assert got["quantity"] == "res" and got["n"] == 5
    assert got["skewness"] == pytest.approx(sk, rel=1e-12)
    assert got["kurtosis"] == pytest.approx(ku, rel=1e-12)
    assert got["shapiro_w"] == pytest.approx(sw.statistic, rel=1e-12)
    assert got["shapiro_p"] == pytest.approx(sw.pvalue, rel=1e-12)
    assert sk > 0                            # the sign is pinned too (right tail at 8)


def test_normality_three_values_get_shapiro_two_do_not():
    got = _normality([0.0, 1.0, 5.0], "x")
    assert got["n"] == 3 and np.isfinite(got["shapiro_w"]) and np.isfinite(got["shapiro_p"])
    got = _normality([0.0, 1.0], "x")
    assert got["n"] == 2 and np.isnan(got["shapiro_w"]) and np.isnan(got["shapiro_p"])
    assert got["skewness"] == 0.0 and got["kurtosis"] == 1.0   # two points: m4 / m2^2 = 1


def test_normality_shapiro_on_the_first_5000_values_moments_on_all():
    x = np.tile([-1.5, -0.5, 0.0, 0.5, 1.5], 1000).astype(float)
    x = np.append(x, 40.0)                     # value 5001: outside Shapiro-Wilk only
    got = _normality(x, "x")
    sw = stats.shapiro(x[:5000])
    sk, ku = _moments(x)
    assert got["n"] == 5001
    assert got["shapiro_w"] == pytest.approx(sw.statistic, rel=1e-12)
    assert got["shapiro_p"] == pytest.approx(sw.pvalue, rel=1e-9)
    assert got["skewness"] == pytest.approx(sk, rel=1e-10)
    assert got["kurtosis"] == pytest.approx(ku, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# ebp_diagnostics_table
# ---------------------------------------------------------------------------------------------

RES = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 0.25])
RE = pd.Series([0.3, -0.1, 0.9, -0.4], index=[A, B, C, D])


def _ebp_like(sigma2_u=0.5, sigma2_e=2.0):
    # fixed part x'b = 1 + 2 x at x = 0, 1, 2, 3: 1, 3, 5, 7, variance (divisor n) 5
    X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    extras = {"model": {"beta": pd.Series([1.0, 2.0], index=["(Intercept)", "x"]),
                        "sigma2_u": sigma2_u, "sigma2_e": sigma2_e},
              "residuals": RES, "random_effects": RE, "X_sample": X}
    return _result([A], [0.1], [0.001], method="EBP", prov="ebp", extras=extras)


def test_ebp_diagnostics_by_hand():
    dg = ebp_diagnostics_table(_ebp_like())
    assert list(dg["quantity"]) == ["r2_marginal", "r2_conditional", "icc", "residuals",
                                    "random_effects"]
    assert list(dg.columns) == ["quantity", "value", "n", "skewness", "kurtosis",
                                "shapiro_w", "shapiro_p"]
    assert list(dg.index) == [0, 1, 2, 3, 4]
    # total = 5 + 0.5 + 2 = 7.5: 5 / 7.5, 5.5 / 7.5, 0.5 / 2.5
    np.testing.assert_allclose(dg["value"].iloc[:3], [2 / 3, 11 / 15, 0.2], rtol=1e-12)
    assert dg["value"].iloc[3:].isna().all() and dg["n"].iloc[:3].isna().all()
    # Pearson residuals e / sqrt(2) and effects u / sqrt(0.5): skewness, kurtosis and W do not
    # depend on the scale, so the raw values' moments are the expected ones
    for row, x in ((3, RES), (4, RE.to_numpy())):
        sk, ku = _moments(x)
        sw = stats.shapiro(x)
        assert dg["n"].iloc[row] == len(x)
        assert dg["skewness"].iloc[row] == pytest.approx(sk, rel=1e-10)
        assert dg["kurtosis"].iloc[row] == pytest.approx(ku, rel=1e-10)
        assert dg["shapiro_w"].iloc[row] == pytest.approx(sw.statistic, rel=1e-10)
        assert dg["shapiro_p"].iloc[row] == pytest.approx(sw.pvalue, rel=1e-9)


def test_ebp_diagnostics_with_sigma2_u_zero():
    dg = ebp_diagnostics_table(_ebp_like(sigma2_u=0.0)).set_index("quantity")
    # total 5 + 0 + 2 = 7: r2 both 5/7, icc 0
    assert dg.loc["r2_marginal", "value"] == pytest.approx(5 / 7, rel=1e-12)
    assert dg.loc["r2_conditional", "value"] == pytest.approx(5 / 7, rel=1e-12)
    assert dg.loc["icc", "value"] == 0.0
    # every predicted effect is 0: the row counts the villages' effects (len(RE)) and has no
    # statistics (it showed n = 1, the length of a stand-in array)
    assert dg.loc["random_effects", "n"] == len(RE)
    assert np.isnan(dg.loc["random_effects", ["skewness", "kurtosis", "shapiro_w"]]
                    .to_numpy(float)).all()


def test_ebp_diagnostics_refuses_other_results():
    fh = _result([A], [0.1], [0.001], extras={"A": 1.0})
    with pytest.raises(ParameterError) as ei:
        ebp_diagnostics_table(fh)
    assert str(ei.value) == ("The 'result' parameter of ebp_diagnostics_table must come from "
                             "ebp(). Got a 'fay_herriot' result instead.")
    # both extras are needed
    only_model = _result([A], [0.1], [0.001], prov="ebp", extras={"model": {}})
    with pytest.raises(ParameterError):
        ebp_diagnostics_table(only_model)
    only_res = _result([A], [0.1], [0.001], prov="ebp", extras={"residuals": RES})
    with pytest.raises(ParameterError):
        ebp_diagnostics_table(only_res)


# ---------------------------------------------------------------------------------------------
# fh_diagnostics_table
# ---------------------------------------------------------------------------------------------

STD = np.array([0.5, -1.5, 2.0, 0.25])
RE_FH = np.array([0.1, -0.3, 0.05, 0.6])


def _fh_like(model_scale=True):
    extras = {"A": 0.04}
    if model_scale:
        extras["model_scale"] = {"std_residuals": STD, "random_effects": RE_FH}
    return _result([A, B, C, D, "X9"], [0.1, 0.2, 0.3, 0.4, 0.5], [0.01] * 5,
                   extras=extras, extra={"gamma": [0.2, 0.4, 0.5, 0.7, 0.0],
                                         "in_sample": [True, True, True, True, False]})


def test_fh_diagnostics_by_hand():
    fd = fh_diagnostics_table(_fh_like())
    assert list(fd["quantity"]) == ["sigma2_u", "mean_gamma", "std_residuals",
                                    "random_effects"]
    assert list(fd.index) == [0, 1, 2, 3]
    # A, and the mean gamma of the four sampled villages (0.2 + 0.4 + 0.5 + 0.7) / 4
    assert fd["value"].iloc[0] == 0.04
    assert fd["value"].iloc[1] == pytest.approx(0.45, rel=1e-12)
    for row, x in ((2, STD), (3, RE_FH)):
        sk, ku = _moments(x)
        assert fd["n"].iloc[row] == 4
        assert fd["skewness"].iloc[row] == pytest.approx(sk, rel=1e-10)
        assert fd["kurtosis"].iloc[row] == pytest.approx(ku, rel=1e-10)
        assert fd["shapiro_w"].iloc[row] == pytest.approx(stats.shapiro(x).statistic,
                                                          rel=1e-10)


def test_fh_diagnostics_without_model_scale_has_two_rows():
    fd = fh_diagnostics_table(_fh_like(model_scale=False))
    assert list(fd.columns) == ["quantity", "value"]
    assert list(fd["quantity"]) == ["sigma2_u", "mean_gamma"]


def test_fh_diagnostics_refuses_other_results():
    with pytest.raises(ParameterError) as ei:
        fh_diagnostics_table(_ebp_like())
    assert str(ei.value) == ("The 'result' parameter of fh_diagnostics_table must come from "
                             "fay_herriot(). Got a 'ebp' result instead.")


# ---------------------------------------------------------------------------------------------
# village_table
# ---------------------------------------------------------------------------------------------

def _ebp_multi():
    # two villages x four indicators, in ebp()'s order (village by village)
    meas = ["p0", "p1", "p2", "mean"] * 2
    est = [0.2, 0.05, 0.02, 900.0, 0.4, 0.1, 0.04, 700.0]
    mse = [0.0025, 1e-4, 1e-5, 100.0, 0.04, 4e-4, 4e-5, 400.0]
    return _result([A] * 4 + [B] * 4, est, mse, measure=meas,
                   method=["EBP"] * 4 + ["EBP-synthetic"] * 4, prov="ebp",
                   extra={"n_households": [5] * 4 + [0] * 4})


VT_COLS = ["village_code", "name", "kecamatan", "zone", "measure", "estimate", "mse",
           "std_error", "cv", "conf_low", "conf_high", "method", "reliability", "n_obs"]


def test_village_table_picks_p0_by_default_and_the_measure_asked():
    t = village_table(_ebp_multi())
    assert list(t.columns) == VT_COLS
    assert list(t.index) == [0, 1]
    assert list(t["village_code"]) == [A, B] and list(t["measure"]) == ["p0", "p0"]
    assert list(t["name"]) == ["Sapuka", "Sabaru"]
    assert list(t["kecamatan"]) == ["Liukang Tangaya"] * 2
    assert list(t["zone"]) == ["island"] * 2
    np.testing.assert_array_equal(t["estimate"], [0.2, 0.4])
    np.testing.assert_allclose(t["std_error"], [0.05, 0.2], rtol=1e-12)
    np.testing.assert_allclose(t["cv"], [0.25, 0.5], rtol=1e-12)
    # mse 0.0025 -> se 0.05, cv 0.05 / 0.2 = 0.25 up to rounding
    assert list(t["method"]) == ["EBP", "EBP-synthetic"]
    assert list(t["n_obs"]) == [1, 5]
    np.testing.assert_allclose(t["conf_low"], [0.2 - Z95 * 0.05, 0.4 - Z95 * 0.2], rtol=1e-12)
    np.testing.assert_allclose(t["conf_high"], [0.2 + Z95 * 0.05, 0.4 + Z95 * 0.2], rtol=1e-12)
    m = village_table(_ebp_multi(), "mean")
    np.testing.assert_array_equal(m["estimate"], [900.0, 700.0])
    assert list(m["measure"]) == ["mean", "mean"] and list(m.index) == [0, 1]


def test_village_table_alpha_and_the_direct_column():
    t = village_table(_ebp_multi(), "p1", alpha=0.1)
    z90 = 1.6448536269514722
    np.testing.assert_allclose(t["conf_low"], [0.05 - z90 * 0.01, 0.1 - z90 * 0.02],
                               rtol=1e-12)
    fh = _result([A, B], [0.3, 0.1], [0.01, 0.0004],
                 extra={"direct": [0.35, np.nan], "gamma": [0.5, 0.0]})
    t = village_table(fh)
    assert list(t.columns) == VT_COLS + ["direct"]
    assert t["direct"].iloc[0] == 0.35 and np.isnan(t["direct"].iloc[1])


def test_village_table_single_measure_result_is_returned_whole():
    fh = _result([A, B], [0.3, 0.1], [0.01, 0.0004], measure="mean")
    t = village_table(fh)
    assert list(t["measure"]) == ["mean", "mean"]


def test_village_table_single_measure_result_refuses_another_measure():
    """A one-indicator result asked for another indicator is an error: village_table returned
    the result whole, so village_change(before, after, measure="p0") of two 'mean' results
    labelled the change of the means change_p0."""
    fh = _result([A, B], [0.3, 0.1], [0.01, 0.0004], measure="mean")
    assert list(village_table(fh, "mean")["estimate"]) == [0.3, 0.1]
    with pytest.raises(ParameterError) as ei:
        village_table(fh, "p0")
    assert str(ei.value) == ("The 'measure' parameter of village_table must be one of "
                             "['mean']. Got 'p0' instead.")
    after = _result([A, B], [0.2, 0.1], [0.01, 0.0004], measure="mean")
    with pytest.raises(ParameterError, match=r"must be one of \['mean'\]. Got 'p0' instead"):
        village_change(fh, after)
    res = village_change(fh, after, measure="mean")
    assert list(res.tidy()["measure"]) == ["change_mean", "change_mean"]


def test_village_table_unknown_measure_message():
    with pytest.raises(ParameterError) as ei:
        village_table(_ebp_multi(), "gini")
    assert str(ei.value) == ("The 'measure' parameter of village_table must be one of "
                             "['mean', 'p0', 'p1', 'p2']. Got 'gini' instead.")


# ---------------------------------------------------------------------------------------------
# village_change
# ---------------------------------------------------------------------------------------------

def _waves():
    before = _result([A, B, C], [0.30, 0.20, 0.50], [0.0004, 0.0009, 0.0016],
                     method=["FH", "FH", "synthetic"])
    after = _result([D, C, B, A], [0.9, 0.35, 0.15, 0.24], [0.01, 0.0009, 0.0016, 0.0005],
                    method=["FH", "FH", "FH", "synthetic"])
    return before, after


def test_village_change_per_village_by_hand():
    res = village_change(*_waves())
    assert isinstance(res, EstimateResult)
    assert res.method == "village_change" and res.alpha == 0.05
    t = res.tidy()
    # common villages in the order of `before`: A, B, C
    assert list(t["term"]) == [f"change_p0[village_code={v}]" for v in (A, B, C)]
    assert list(t["village_code"]) == [A, B, C]
    np.testing.assert_allclose(t["estimate"], [-0.06, -0.05, -0.15], atol=1e-15)
    np.testing.assert_allclose(t["mse"], [0.0009, 0.0025, 0.0025], rtol=1e-12)
    np.testing.assert_allclose(t["std_error"], [0.03, 0.05, 0.05], rtol=1e-12)
    np.testing.assert_allclose(t["conf_low"], t["estimate"] - Z95 * t["std_error"],
                               rtol=1e-12)
    assert list(t["method"]) == ["FH/synthetic", "FH/FH", "synthetic/FH"]
    assert list(t["measure"]) == ["change_p0"] * 3
    assert list(t["n_obs"]) == [0, 0, 0]
    assert list(t["name"]) == ["Sapuka", "Sabaru", "Balo Baloang"]
    # cv = 0.03 / 0.06 = 0.5, 1, 1/3
    assert list(t["reliability"]) == ["caution", "unreliable", "caution"]
    assert res.summary().title == "Change of p0 per village"
    prov = res.provenance
    assert prov.method == "village_change" and prov.n_input == 3 and prov.n_used == 3
    assert prov.options == {"measure": "p0", "mse": "sum of the waves' MSEs (covariance 0, "
                                                     "conservative)"}


def test_village_change_alpha_thresholds_and_measure():
    before = _result([A, B], [0.30, 900.0], [0.0004, 4.0], measure=["p1", "mean"])
    after = _result([A, B], [0.20, 910.0], [0.0005, 5.0], measure=["p1", "mean"])
    res = village_change(before, after, measure="mean", alpha=0.1, rse_thresholds=(0.1, 0.2))
    t = res.tidy()
    assert res.alpha == 0.1
    assert list(t["term"]) == [f"change_mean[village_code={B}]"]
    assert t["estimate"].iloc[0] == 10.0 and t["mse"].iloc[0] == 9.0
    # cv = 3 / 10 = 0.3 > 0.2
    assert list(t["reliability"]) == ["unreliable"]
    z90 = 1.6448536269514722
    assert t["conf_low"].iloc[0] == pytest.approx(10 - z90 * 3, rel=1e-12)
    assert res.summary().title == "Change of mean per village"
    assert res.provenance.options["measure"] == "mean"


def test_village_change_group_means_by_hand():
    treated = pd.Series({A: 1, B: 0, C: 1, D: 0, "other": 1})
    weight = pd.Series({A: 100, B: 50, C: 300, D: 7})
    t = village_change(*_waves(), treated=treated, weight=weight).tidy()
    assert list(t["term"])[3:] == ["change_p0[group=kassaki]", "change_p0[group=other]",
                                   "change_p0[group=kassaki-other]"]
    assert list(t["village_code"])[3:] == ["kassaki", "other", "kassaki-other"]
    # KASSAKI: A and C with weights 1/4, 3/4: -0.06 / 4 - 0.15 * 3 / 4 = -0.1275,
    #   MSE 0.0009 / 16 + 0.0025 * 9 / 16 = 0.00146250
    # other: B alone: -0.05, MSE 0.0025; difference -0.0775, MSE 0.0039625
    np.testing.assert_allclose(t["estimate"].iloc[3:], [-0.1275, -0.05, -0.0775], rtol=1e-12)
    np.testing.assert_allclose(t["mse"].iloc[3:], [0.0014625, 0.0025, 0.0039625], rtol=1e-12)
    assert list(t["method"])[3:] == ["weighted mean of villages"] * 3
    assert t["name"].iloc[3:].isna().all()


def test_village_change_errors():
    before, after = _waves()
    other = _result(["X1"], [0.1], [0.01])
    with pytest.raises(ParameterError) as ei:
        village_change(before, other)
    assert str(ei.value) == "village_change: the two results share no village."
    tr = pd.Series({A: 1, B: 0, C: 1})
    with pytest.raises(ParameterError) as ei:
        village_change(before, after, treated=tr)
    assert str(ei.value) == ("The 'weight' parameter of village_change must be given with "
                             "'treated' (persons per village). Got None instead.")
    with pytest.raises(ParameterError) as ei:
        village_change(before, after, treated=tr.drop([A, C]),
                       weight=pd.Series({A: 1, B: 1, C: 1}))
    assert str(ei.value) == ("The 'treated' parameter of village_change must cover every "
                             "village of the results: 2 of 3 are missing, e.g. "
                             f"{[A, C]}. Fix: give a value for each of those village codes "
                             "(its index).")
    with pytest.raises(ParameterError) as ei:
        village_change(before, after, treated=tr, weight=pd.Series({A: 1, C: 1}))
    assert str(ei.value) == ("The 'weight' parameter of village_change must cover every "
                             f"village of the results: 1 of 3 are missing, e.g. {[B]}. Fix: "
                             "give a value for each of those village codes (its index).")


def test_village_change_treated_must_be_0_or_1():
    """Bug fixed (session 9): a value other than 0 and 1 was silently counted as 'other'."""
    before, after = _waves()
    w = pd.Series({A: 1, B: 1, C: 1})
    with pytest.raises(ParameterError) as ei:
        village_change(before, after, treated=pd.Series({A: 1, B: 2, C: -1}), weight=w)
    assert str(ei.value) == ("The 'treated' parameter of village_change must be 0 or 1 per "
                             "village (1: KASSAKI). Got other values for 2 villages, e.g. "
                             f"{{{B!r}: 2, {C!r}: -1}}.")
    # booleans and floats 0.0 / 1.0 are 0 / 1
    t = village_change(before, after, treated=pd.Series({A: True, B: False, C: True}),
                       weight=pd.Series({A: 1.0, B: 1.0, C: 3.0})).tidy()
    # KASSAKI A, C with weights 1/4, 3/4 as in test_village_change_group_means_by_hand
    np.testing.assert_allclose(t["estimate"].iloc[3:], [-0.1275, -0.05, -0.0775], rtol=1e-12)


@pytest.mark.parametrize("treated, gname, value, k", [
    ({A: 1, B: 1, C: 1}, "other", 0, 0),
    ({A: 0, B: 0, C: 0}, "kassaki", 1, 0),
    ({A: 1, B: 0, C: 0}, "kassaki", 1, 1),      # its one village has weight 0
])
def test_village_change_empty_group_is_an_error(treated, gname, value, k):
    """Bug fixed (session 9): with every village KASSAKI, the 'other' group's mean change was
    0 with MSE 0 (an empty weighted sum), and the difference silently the KASSAKI mean."""
    before, after = _waves()
    with pytest.raises(ParameterError) as ei:
        village_change(before, after, treated=pd.Series(treated),
                       weight=pd.Series({A: 0.0, B: 2.0, C: 3.0}))
    assert str(ei.value) == (
        f"village_change: the '{gname}' group (treated == {value}) has {k} of the 3 villages "
        "and no positive 'weight', so its mean change and the difference of the groups are "
        "undefined. Fix: leave out 'treated' and 'weight' for the villages' changes alone, "
        "or check 'treated'.")


# ---------------------------------------------------------------------------------------------
# village_quota_table
# ---------------------------------------------------------------------------------------------

def _quota_result():
    est = [0.2, 0.5, -0.1, 0.3]
    lo = np.array([0.1, 0.3, -0.2, 0.2])
    hi = np.array([0.3, 0.7, 0.1, 0.4])
    return _result([A, B, C, D], est, [0.0025, 0.01, 0.01, 0.0025], own=(lo, hi),
                   method="EBP")


POP = pd.Series({D: 60, C: 50, B: 40, A: 100, "73.10.01.2005": 9})


def test_village_quotas_by_hand():
    q = village_quota_table(_quota_result(), POP, 10)
    assert list(q.columns) == ["village_code", "name", "kecamatan", "estimate", "population",
                               "poor", "share", "quota", "quota_low", "quota_high",
                               "reliability"]
    assert list(q["village_code"]) == [A, B, C, D]
    assert list(q["name"]) == ["Sapuka", "Sabaru", "Balo Baloang", "Sabalana"]
    assert list(q["kecamatan"]) == ["Liukang Tangaya"] * 4
    np.testing.assert_array_equal(q["population"], [100.0, 40.0, 50.0, 60.0])
    # poor = max(estimate, 0) x population = 20, 20, 0, 18 (sum 58)
    np.testing.assert_allclose(q["poor"], [20.0, 20.0, 0.0, 18.0], rtol=1e-12)
    np.testing.assert_allclose(q["share"], [20 / 58, 20 / 58, 0.0, 18 / 58], rtol=1e-12)
    # 10 x share = 3.448, 3.448, 0, 3.103: floors 3, 3, 0, 3 (9); the one slot left goes to
    # the largest remainder, a tie of A and B broken by order (A first)
    assert list(q["quota"]) == [4, 3, 0, 3]
    # lo x pop = 10, 12, 0 (clipped), 12; rest = 58 - poor = 38, 38, 58, 40
    np.testing.assert_allclose(q["quota_low"], [100 / 48, 120 / 50, 0.0, 120 / 52],
                               rtol=1e-12)
    # hi x pop = 30, 28, 5, 24
    np.testing.assert_allclose(q["quota_high"], [300 / 68, 280 / 66, 50 / 63, 240 / 64],
                               rtol=1e-12)
    # cv 0.25, 0.2, 1, 1/6
    assert list(q["reliability"]) == ["reliable", "reliable", "unreliable", "reliable"]


def test_village_quotas_several_slots_left_and_zero_total():
    # poor 20, 20, 0, 18; total 3: raw 1.034, 1.034, 0, 0.931 -> floors 1, 1, 0, 0, one left:
    # the largest remainder is D's 0.931
    q = village_quota_table(_quota_result(), POP, np.int64(3))
    assert list(q["quota"]) == [1, 1, 0, 1]
    # total 5: raw 1.724, 1.724, 0, 1.552 -> floors 1, 1, 0, 1, two left: A and B
    q = village_quota_table(_quota_result(), POP, 5)
    assert list(q["quota"]) == [2, 2, 0, 1]
    q = village_quota_table(_quota_result(), POP, 0)
    assert list(q["quota"]) == [0, 0, 0, 0]
    np.testing.assert_array_equal(q["quota_low"], [0.0] * 4)
    # fewer than one poor person in all: still shares (poor 0.2, 0.5, 0, 0.3 of 1.0)
    tiny = pd.Series({A: 1, B: 1, C: 1, D: 1})
    q = village_quota_table(_quota_result(), tiny, 10)
    np.testing.assert_allclose(q["share"], [0.2, 0.5, 0.0, 0.3], rtol=1e-12)
    assert list(q["quota"]) == [2, 5, 0, 3]


def test_village_quotas_other_measure_and_alpha():
    res = _ebp_multi()
    q = village_quota_table(res, pd.Series({A: 10, B: 30}), 7, measure="p1", alpha=0.1)
    # poor = 0.05 x 10, 0.1 x 30 = 0.5, 3: raw 1, 6 -> exact
    assert list(q["quota"]) == [1, 6]
    z90 = 1.6448536269514722
    lo_a = (0.05 - z90 * 0.01) * 10
    np.testing.assert_allclose(q["quota_low"].iloc[0], 7 * lo_a / (3 + lo_a), rtol=1e-12)


def test_village_quota_errors():
    res = _quota_result()
    with pytest.raises(ParameterError) as ei:
        village_quota_table(res, POP.drop([B, D]), 10)
    assert str(ei.value) == ("The 'population' parameter of village_quota_table must cover "
                             f"every village; missing e.g. {[B, D]}.")
    for bad in (-1, 2.0, "10", None):
        with pytest.raises(ParameterError) as ei:
            village_quota_table(res, POP, bad)
        assert str(ei.value) == ("The 'total' parameter of village_quota_table must be an int "
                                 f">= 0. Got {bad!r} instead.")


def test_village_quotas_without_any_poor_is_an_error():
    """Bug fixed (session 9): every estimate <= 0 gave 0 / 0 shares and pandas'
    IntCastingNaNError ("Cannot convert non-finite values (NA or inf) to integer")."""
    res = _result([A, B], [0.0, -0.1], [0.01, 0.01], own=(np.zeros(2), np.ones(2)))
    with pytest.raises(ParameterError) as ei:
        village_quota_table(res, pd.Series({A: 10, B: 20}), 5)
    assert str(ei.value) == ("village_quota_table: the estimated number of poor is 0 in all 2 "
                             "villages (every 'p0' estimate is <= 0 or every population 0), so "
                             "there is no share to divide 5 slots by. Fix: check the result and "
                             "'population'.")
    with pytest.raises(ParameterError, match="is 0 in all 4 villages"):
        village_quota_table(_quota_result(), pd.Series({A: 0, B: 0, C: 0, D: 0}), 5)


def test_village_quotas_need_finite_estimates_and_population_at_least_0():
    res = _result([A, B, C], [0.2, np.nan, 0.1], [0.01] * 3, own=(np.zeros(3), np.ones(3)))
    msg = ("village_quota_table: the estimate must be a number and the population >= 0 in "
           "every village; {k} of 3 villages are not, e.g. {ids}. Fix: check the result "
           "('p0') and 'population'.")
    with pytest.raises(ParameterError) as ei:
        village_quota_table(res, pd.Series({A: 10, B: 20, C: 5}), 5)
    assert str(ei.value) == msg.format(k=1, ids=[B])
    ok = _result([A, B, C], [0.2, 0.3, 0.1], [0.01] * 3, own=(np.zeros(3), np.ones(3)))
    with pytest.raises(ParameterError) as ei:
        village_quota_table(ok, pd.Series({A: -10, B: 20, C: -5}), 5)
    assert str(ei.value) == msg.format(k=2, ids=[A, C])
    # a population of 0 is allowed
    q = village_quota_table(ok, pd.Series({A: 0, B: 20, C: 5}), 5)
    # poor 0, 6, 0.5: raw 0, 4.615, 0.385; floors 0, 4, 0 and the slot left to the larger
    # remainder (0.615)
    assert list(q["quota"]) == [0, 5, 0]
