"""Inequality measures pinned where test_inequality.py left room (issue 18: mutation testing).

References:
- GE(epsilon) and Atkinson(epsilon), points, SEs and t intervals: R survey 4.1.1's
  ``svycontrast`` (delta method by symbolic differentiation) of ``svytotal``, script and printed
  output in tests/references/inequality/make_ge_refs.R / ge_refs.out / ge_refs.csv; tolerance
  1e-9 relative (15 printed digits; the two sides sum in different orders);
- Palma, quantile shares, quantiles and the error texts: hand computations on small tables,
  stated in each test, from the formulas in the module docstring (Langel & Tille 2011 total
  below a quantile; the weighted quantile rules of R svyquantile) and the exception templates
  of kassaki_eval.exceptions.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import DesignError, ParameterError
from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.poverty.inequality import (
    atkinson,
    gen_entropy,
    gini,
    mld,
    palma,
    quantile_shares,
    quantiles,
    theil,
)

REF = Path(__file__).resolve().parent.parent / "references"


def _designs() -> dict[str, tuple[SurveyDesign, str | None, str | None]]:
    strat = pd.read_csv(REF / "survey" / "apistrat.csv")
    clus2 = pd.read_csv(REF / "survey" / "apiclus2.csv")
    clus2["par"] = np.where(clus2["snum"] % 2 == 0, "even", "odd")
    return {"apistrat": (SurveyDesign(strat, weight="pw", strata="stype"), None, None),
            "apiclus2": (SurveyDesign(clus2, weight="pw", psu="dnum"), "par", None),
            "apistrat_size": (SurveyDesign(strat, weight="pw", strata="stype"), None, "enroll")}


def test_ge_and_atkinson_match_r_survey_delta_method():
    ref = pd.read_csv(REF / "inequality" / "ge_refs.csv")
    designs = _designs()
    seen = 0
    for (data, measure, par), rows in ref.groupby(["data", "measure", "parameter"], sort=False):
        d, by, size = designs[data]
        for dom_by in ([None, by] if by else [None]):
            if measure == "ge":
                r = gen_entropy(d, "api00", epsilon=par, by=dom_by, size=size)
            else:
                r = atkinson(d, "api00", epsilon=par, by=dom_by, size=size)
            t = r.tidy()
            for row in t.itertuples():
                dom = "all" if dom_by is None else row.term.split("=")[1].rstrip("]")
                e = rows.set_index("domain").loc[dom]
                where = (data, measure, par, dom)
                assert row.estimate == pytest.approx(e["estimate"], rel=1e-9), where
                assert row.std_error == pytest.approx(e["se"], rel=1e-9), where
                assert row.conf_low == pytest.approx(e["conf_low"], rel=1e-9), where
                assert row.conf_high == pytest.approx(e["conf_high"], rel=1e-9), where
                seen += 1
    assert seen == len(ref)


# --------------------------------------------------------------------------------------------
# hand computations on y = 1..10, equal weights (one stratum, every row its own PSU: the
# variance of a total is n/(n-1) sum (t_i - mean t)^2, R svytotal with ids=~1; df = n - 1)
# --------------------------------------------------------------------------------------------

Y10 = np.arange(1.0, 11.0)
T9 = stats.t.ppf(0.975, 9)


def _ten(**cols) -> SurveyDesign:
    return SurveyDesign(pd.DataFrame({"y": Y10, "w": 1.0, **cols}), weight="w")


def _se(z: list[float], n: int | None = None) -> float:
    z = np.asarray(z, dtype=float)
    n = n or len(z)
    return float(np.sqrt(n / (n - 1) * np.sum((z - z.sum() / n) ** 2)))


def test_palma_by_hand():
    # q90 = 9 and q40 = 4 (smallest y with F >= p); top = 55 - 45 = 10, bottom = 1+2+3+4 = 10
    # z90 = y 1(y<=9) - 9 (1(y<=9) - 0.9), z40 = y 1(y<=4) - 4 (1(y<=4) - 0.4),
    # z = ((y - z90) - 1.0 z40) / 10: 0.23, 0.13, 0.03, then -0.07 (y = 4..9), 0.03 (y = 10)
    z = [0.23, 0.13, 0.03] + [-0.07] * 6 + [0.03]
    r = palma(_ten(), "y")
    t = r.tidy().iloc[0]
    assert t["term"] == "palma" and r.method == "palma"
    assert t["estimate"] == pytest.approx(1.0, rel=1e-14)
    assert t["std_error"] == pytest.approx(_se(z), rel=1e-12)
    assert t["conf_low"] == pytest.approx(1.0 - T9 * _se(z), rel=1e-12)
    assert t["deff"] == pytest.approx(1.0, rel=1e-12)   # equal weights, every row a PSU
    assert t["df"] == 9
    assert r.provenance.options["linearisation"] == "Langel & Tille (2011) total below quantile"
    assert r.provenance.options["welfare"] == "y"
    # two domains, the second with y doubled (Palma is scale free, z too): each domain's SE is
    # the total's over all 20 rows with z = 0 outside: sqrt(20/19 sum z^2)
    df = pd.DataFrame({"y": np.r_[Y10, 2 * Y10], "w": 1.0, "g": ["a"] * 10 + ["b"] * 10})
    t = palma(SurveyDesign(df, weight="w"), "y", by="g").tidy()
    assert t["term"].tolist() == ["palma[g=a]", "palma[g=b]"]
    np.testing.assert_allclose(t["estimate"], [1.0, 1.0], rtol=1e-14)
    np.testing.assert_allclose(t["std_error"], [_se(z + [0.0] * 10)] * 2, rtol=1e-12)
    # persons: the poorest household has 2 members; N = 11, F(4) = 5/11 >= 0.4 -> q40 = 4,
    # F(9) = 10/11 >= 0.9 -> q90 = 9; bottom 2*1 + 2 + 3 + 4 = 11, top 10: Palma 10/11
    p = palma(_ten(hh=[2] + [1] * 9), "y", size="hh")
    assert p.estimates.iloc[0] == pytest.approx(10 / 11, rel=1e-14)
    assert p.provenance.options["size"] == "hh"


def test_quantile_shares_by_hand():
    # quintile cut points 2, 4, 6, 8: shares (1+2, 3+4, 5+6, 7+8, 9+10) / 55
    r = quantile_shares(_ten(), "y")
    t = r.tidy()
    assert t["term"].tolist() == ["share[0-0.2]", "share[0.2-0.4]", "share[0.4-0.6]",
                                  "share[0.6-0.8]", "share[0.8-1]"]
    assert t["measure"].tolist() == t["term"].tolist()
    np.testing.assert_allclose(t["estimate"], np.array([3, 7, 11, 15, 19]) / 55, rtol=1e-14)
    # z of the total below q_p: y 1(y<=q) - q (1(y<=q) - p); share g: (dz_g - s_g y) / 55
    below = [np.zeros(10)] + [Y10 * (Y10 <= q) - q * ((Y10 <= q) - p)
                              for q, p in [(2, .2), (4, .4), (6, .6), (8, .8)]] + [Y10]
    s = np.array([3, 7, 11, 15, 19]) / 55
    ses = [_se((below[g + 1] - below[g] - s[g] * Y10) / 55) for g in range(5)]
    np.testing.assert_allclose(t["std_error"], ses, rtol=1e-12)
    np.testing.assert_allclose(t["deff"], 1.0, rtol=1e-12)
    assert r.provenance.options["cuts"] == [0.2, 0.4, 0.6, 0.8]
    # halves: cut 0.5 -> q = 5, shares 15/55 and 40/55; two domains, named per domain
    df = pd.DataFrame({"y": np.r_[Y10, 2 * Y10], "w": 1.0, "g": ["a"] * 10 + ["b"] * 10})
    t = quantile_shares(SurveyDesign(df, weight="w"), "y", cuts=[0.5], by="g").tidy()
    assert t["term"].tolist() == ["share[0-0.5][g=a]", "share[0.5-1][g=a]",
                                  "share[0-0.5][g=b]", "share[0.5-1][g=b]"]
    assert t["measure"].tolist() == ["share[0-0.5]", "share[0.5-1]"] * 2
    np.testing.assert_allclose(t["estimate"], [15 / 55, 40 / 55] * 2, rtol=1e-14)
    z5 = Y10 * (Y10 <= 5) - 5 * ((Y10 <= 5) - 0.5)
    lo = (z5 - 15 / 55 * Y10) / 55
    np.testing.assert_allclose(t["std_error"], [_se(np.r_[lo, np.zeros(10)])] * 4, rtol=1e-12)


def test_quantiles_by_hand_math_and_hf7():
    # math: q0.5 = 5 (F(5) = 0.5); F's SE: sqrt(10/9 * 10 (0.5/10)^2) = 1/6; t(9) interval
    # 0.5 -/+ t/6 = 0.123, 0.877 -> y 2 and 9; SE (9 - 2) / (2 t).
    # q0.1 = 1, F's SE 0.1: 0.1 - 0.1 t < 0 -> lower bound NaN (as R), upper 0.326 -> y 4
    r = quantiles(_ten(), "y", probs=[0.1, 0.5])
    t = r.tidy()
    assert t["term"].tolist() == ["q0.1", "q0.5"]
    assert t["estimate"].tolist() == [1.0, 5.0]
    assert np.isnan(t["conf_low"].iloc[0]) and t["conf_high"].iloc[0] == 4.0
    assert t["conf_low"].iloc[1] == 2.0 and t["conf_high"].iloc[1] == 9.0
    assert t["std_error"].iloc[1] == pytest.approx(7 / (2 * T9), rel=1e-12)
    assert np.isnan(t["std_error"].iloc[0])
    assert r.provenance.options["qrule"] == "math" and r.provenance.options["probs"] == [0.1, 0.5]
    # hf7 with equal weights = numpy's linear quantile (1 + 9 p here); F(5.5) = 0.5 again,
    # interval at p = 0.5 -/+ t/6
    h = quantiles(_ten(), "y", probs=[0.25, 0.5], qrule="hf7").tidy()
    np.testing.assert_allclose(h["estimate"], np.quantile(Y10, [0.25, 0.5]), rtol=1e-14)
    lo, hi = np.quantile(Y10, [0.5 - T9 / 6, 0.5 + T9 / 6])
    assert h["conf_low"].iloc[1] == pytest.approx(lo, rel=1e-12)
    assert h["conf_high"].iloc[1] == pytest.approx(hi, rel=1e-12)
    assert h["std_error"].iloc[1] == pytest.approx((hi - lo) / (2 * T9), rel=1e-12)
    # level 90 %: t(9) at 0.95: 0.5 -/+ t/6 = 0.1942, 0.8058 -> y 2 and 9 again; q0.25 = 3
    # (F(3) = 0.3): SE sqrt(10/9 (3 * 0.7^2 + 7 * 0.3^2) / 100) = sqrt(0.21 / 9 * 10 / 10)
    t90 = stats.t.ppf(0.95, 9)
    g = quantiles(_ten(), "y", probs=[0.25], alpha=0.1).tidy().iloc[0]
    seF = np.sqrt(10 / 9 * (3 * 0.7 ** 2 + 7 * 0.3 ** 2) / 100)
    lo_p, hi_p = 0.3 - t90 * seF, 0.3 + t90 * seF
    exp_lo = Y10[np.searchsorted(np.arange(1, 11) / 10, lo_p - 1e-12)]
    exp_hi = Y10[np.searchsorted(np.arange(1, 11) / 10, hi_p - 1e-12)]
    assert (g["estimate"], g["conf_low"], g["conf_high"]) == (3.0, exp_lo, exp_hi)
    # two domains: the second domain's quantiles are those of 2 y
    df = pd.DataFrame({"y": np.r_[Y10, 2 * Y10], "w": 1.0, "g": ["a"] * 10 + ["b"] * 10})
    t = quantiles(SurveyDesign(df, weight="w"), "y", probs=[0.5], by="g").tidy()
    assert t["term"].tolist() == ["q0.5[g=a]", "q0.5[g=b]"]
    assert t["measure"].tolist() == ["q0.5", "q0.5"]
    assert t["estimate"].tolist() == [5.0, 10.0]
    assert t["conf_high"].tolist() == [9.0, 18.0]


def test_ge_terms_methods_defaults_and_wrappers():
    d = _ten()
    for eps, term in [(0, "mld"), (1, "theil"), (2, "ge(2)"), (0.5, "ge(0.5)"), (-1, "ge(-1)")]:
        r = gen_entropy(d, "y", epsilon=eps)
        assert r.tidy()["term"].tolist() == [term]
        assert r.method == f"ge({eps:g})"
        assert r.provenance.options["epsilon"] == float(eps)
    # GE(2) = half the squared CV: population variance 8.25 / 5.5^2 / 2
    assert gen_entropy(d, "y", epsilon=2).estimates.iloc[0] == pytest.approx(
        8.25 / 5.5 ** 2 / 2, rel=1e-13)
    # default epsilon 1 (Theil); theil()/mld() are GE(1)/GE(0) with the other keywords passed
    th = np.mean(Y10 / 5.5 * np.log(Y10 / 5.5))
    assert gen_entropy(d, "y").estimates.iloc[0] == pytest.approx(th, rel=1e-13)
    assert theil(d, "y").tidy()["term"].tolist() == ["theil"]
    assert mld(d, "y").tidy()["term"].tolist() == ["mld"]
    a = theil(d, "y", alpha=0.1).tidy().iloc[0]
    b = gen_entropy(d, "y", epsilon=1, alpha=0.1).tidy().iloc[0]
    assert a["conf_low"] == b["conf_low"]
    assert mld(d, "y").estimates.iloc[0] == pytest.approx(
        np.log(5.5) - np.mean(np.log(Y10)), rel=1e-13)
    for eps, term in [(1, "atkinson(1)"), (0.5, "atkinson(0.5)"), (2, "atkinson(2)")]:
        r = atkinson(d, "y", epsilon=eps)
        assert r.tidy()["term"].tolist() == [term] and r.method == term
    # A(2) = 1 - harmonic mean / mean
    assert atkinson(d, "y", epsilon=2).estimates.iloc[0] == pytest.approx(
        1 - 10 / np.sum(1 / Y10) / 5.5, rel=1e-13)
    # positive-power GE accepts zero welfare: GE(2) of (0, 2): CV^2 / 2 = 1 / 2
    z = SurveyDesign(pd.DataFrame({"y": [0.0, 2.0], "w": 1.0}), weight="w")
    assert gen_entropy(z, "y", epsilon=2).estimates.iloc[0] == pytest.approx(0.5, rel=1e-13)
    assert gen_entropy(z, "y", epsilon=0.5).estimates.iloc[0] == pytest.approx(
        (np.mean(np.sqrt([0.0, 2.0])) / 1.0 - 1) / (0.5 * -0.5), rel=1e-13)


def test_gini_deff_and_options():
    # equal weights, every row its own PSU: design and SRS variance coincide
    r = gini(_ten(hh=1), "y", size="hh")
    assert r.tidy()["deff"].iloc[0] == pytest.approx(1.0, rel=1e-12)
    assert r.provenance.options["size"] == "hh" and r.method == "gini"
    df = pd.DataFrame({"y": np.r_[Y10, 2 * Y10], "w": 1.0, "g": ["a"] * 10 + ["b"] * 10})
    t = gini(SurveyDesign(df, weight="w"), "y", by="g").tidy()
    assert t["term"].tolist() == ["gini[g=a]", "gini[g=b]"]
    # Gini of 1..10: sum |yi - yj| / (2 n^2 mean) = 330 / (2 * 100 * 5.5) = 0.3
    np.testing.assert_allclose(t["estimate"], [0.3, 0.3], rtol=1e-13)
    # a domain's SRS variance uses its own rows only, the design variance all 20 rows with
    # zeros outside: deff = (20/19 sum z^2) / (10/9 sum z^2 / 10 * 10) with sum z = 0
    np.testing.assert_allclose(t["deff"], [(20 / 19) / (10 / 9)] * 2, rtol=1e-12)


def test_errors_carry_the_fix():
    d = _ten()
    neg = SurveyDesign(pd.DataFrame({"y": [0.0, -1.0, 2.0], "w": 1.0}), weight="w")
    fix = "Fix: restrict with subset= to positive welfare, or use gini/ge(2)."
    for call, what in [(lambda: gen_entropy(neg, "y", epsilon=0), "GE(0)"),
                       (lambda: gen_entropy(neg, "y", epsilon=1), "GE(1)"),
                       (lambda: gen_entropy(neg, "y", epsilon=-1), "GE(-1)"),
                       (lambda: atkinson(neg, "y", epsilon=0.5), "the Atkinson index")]:
        with pytest.raises(DesignError) as e:
            call()
        assert str(e.value) == (f"survey: column 'y' must be > 0 for {what} (log or negative "
                                f"power of income): 2 rows (e.g. row 0, row 1). {fix}")
    # rows outside the domain do not count
    sub = gen_entropy(neg, "y", epsilon=0, subset=np.array([False, False, True]))
    assert sub.estimates.iloc[0] == pytest.approx(0.0, abs=1e-15)
    cases = [
        (lambda: gen_entropy(d, "y", epsilon=np.inf),
         "The 'epsilon' parameter of gen_entropy must be a finite number. Got inf instead."),
        (lambda: gen_entropy(d, "y", epsilon="2"),
         "The 'epsilon' parameter of gen_entropy must be a finite number. Got '2' instead."),
        (lambda: atkinson(d, "y", epsilon=0),
         "The 'epsilon' parameter of atkinson must be a number > 0. Got 0 instead."),
        (lambda: atkinson(d, "y", epsilon="1"),
         "The 'epsilon' parameter of atkinson must be a number > 0. Got '1' instead."),
        (lambda: quantile_shares(d, "y", cuts=(0.4, 0.2)),
         "The 'cuts' parameter of quantile_shares must be increasing probabilities in (0, 1). "
         "Got (0.4, 0.2) instead."),
        (lambda: quantile_shares(d, "y", cuts=[0.0, 0.5]),
         "The 'cuts' parameter of quantile_shares must be increasing probabilities in (0, 1). "
         "Got [0.0, 0.5] instead."),
        (lambda: quantile_shares(d, "y", cuts=[0.5, 1.0]),
         "The 'cuts' parameter of quantile_shares must be increasing probabilities in (0, 1). "
         "Got [0.5, 1.0] instead."),
        (lambda: quantiles(d, "y", probs=[0.5, 1.0]),
         "The 'probs' parameter of quantiles must be probabilities in (0, 1). "
         "Got [0.5, 1.0] instead."),
        (lambda: quantiles(d, "y", probs=[0.0]),
         "The 'probs' parameter of quantiles must be probabilities in (0, 1). "
         "Got [0.0] instead."),
        (lambda: quantiles(d, "y", qrule="hf1"),
         "The 'qrule' parameter of quantiles must be one of {'math', 'hf7'}. "
         "Got 'hf1' instead."),
    ]
    for call, msg in cases:
        with pytest.raises(ParameterError) as e:
            call()
        assert str(e.value) == msg


def test_deprecated_conf_alpha_and_na_rm():
    d = _ten()
    for fn in (gini, palma, quantile_shares, quantiles, atkinson):
        with pytest.warns(DeprecationWarning, match="conf_alpha"):
            old = fn(d, "y", conf_alpha=0.1).tidy()
        new = fn(d, "y", alpha=0.1).tidy()
        pd.testing.assert_frame_equal(old, new)
        assert not new["conf_low"].equals(fn(d, "y").tidy()["conf_low"])
    with pytest.warns(DeprecationWarning):
        old = gen_entropy(d, "y", epsilon=2, conf_alpha=0.1).tidy()
    pd.testing.assert_frame_equal(old, gen_entropy(d, "y", epsilon=2, alpha=0.1).tidy())
    # alpha outside (0, 1) is the old name of the GE parameter
    with pytest.warns(DeprecationWarning):
        old = gen_entropy(d, "y", alpha=2).tidy()
    pd.testing.assert_frame_equal(old, gen_entropy(d, "y", epsilon=2).tidy())
    # na_rm: a missing welfare is dropped from every measure
    miss = SurveyDesign(pd.DataFrame({"y": np.r_[Y10, np.nan], "w": 1.0}), weight="w")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in (gini, palma, quantile_shares, quantiles, atkinson, gen_entropy):
            a = fn(miss, "y", na_rm=True).tidy()
            b = fn(d, "y").tidy()
            np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-14)


def test_rows_outside_the_domain_never_matter():
    # domain estimation: the welfare of rows outside subset= (here 0 and -1, which a log or a
    # negative power cannot take) changes nothing; compared with the same rows made positive
    s = np.array([False, False, True, True, True])
    bad = SurveyDesign(pd.DataFrame({"y": [0.0, -1.0, 2.0, 4.0, 3.0], "w": 1.0}), weight="w")
    ok = SurveyDesign(pd.DataFrame({"y": [5.0, 7.0, 2.0, 4.0, 3.0], "w": 1.0}), weight="w")
    calls = [lambda d, e=e: gen_entropy(d, "y", epsilon=e, subset=s) for e in (0, 1, 2, 0.5)]
    calls += [lambda d, e=e: atkinson(d, "y", epsilon=e, subset=s) for e in (1, 0.5, 2, 3)]
    calls += [lambda d: gini(d, "y", subset=s), lambda d: palma(d, "y", subset=s)]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("error")          # and no numpy warning on the way
            a, b = call(bad).tidy(), call(ok).tidy()
        cols = ["estimate", "std_error", "conf_low", "conf_high", "deff"]
        np.testing.assert_allclose(a[cols].to_numpy(float), b[cols].to_numpy(float),
                                   rtol=1e-12)


def test_quantile_bounds_outside_the_cdf_domain_and_one_psu_domains():
    # q0.9 = 9, F's SE sqrt(10/9 (0.9^2 + 9 * 0.1^2) / 100) = 0.1: 0.9 + 0.1 t(9) > 1 -> the
    # upper bound is NaN (as R); 0.9 - 0.1 t = 0.674 -> y 7 (F(7) = 0.7)
    r = quantiles(_ten(), "y", probs=[0.9], size=None)
    t = r.tidy().iloc[0]
    assert (t["estimate"], t["conf_low"]) == (9.0, 7.0) and np.isnan(t["conf_high"])
    assert r.method == "quantiles" and r.provenance.options["size"] is None
    # a domain of one row has 0 design df: the normal quantile is used, the CDF is 1 with
    # SE 0, so both bounds are the value itself and the SE is 0
    df = pd.DataFrame({"y": np.r_[Y10, 7.0], "w": 1.0, "g": ["a"] * 10 + ["b"]})
    t = quantiles(SurveyDesign(df, weight="w"), "y", probs=[0.5], by="g").tidy()
    assert t["df"].tolist() == [9.0, 0.0]
    assert t[["estimate", "conf_low", "conf_high", "std_error"]].iloc[1].tolist() == [7.0, 7.0,
                                                                                       7.0, 0.0]
    # subset=: the same as the ten rows alone (the interval is read off the domain's rows)
    s = quantiles(SurveyDesign(df, weight="w"), "y", probs=[0.5, 0.9],
                  subset=df["g"].eq("a").to_numpy()).tidy()
    assert s["estimate"].tolist() == [5.0, 9.0]
    assert s["conf_low"].tolist() == [2.0, 7.0]
    sh = quantile_shares(SurveyDesign(df, weight="w"), "y", subset=df["g"].eq("a").to_numpy())
    np.testing.assert_allclose(sh.estimates, np.array([3, 7, 11, 15, 19]) / 55, rtol=1e-14)


def test_mld_passes_keywords_and_messages_name_the_function():
    d = _ten()
    a = mld(d, "y", alpha=0.1).tidy().iloc[0]
    assert a["conf_low"] == gen_entropy(d, "y", epsilon=0, alpha=0.1).tidy().iloc[0]["conf_low"]
    assert a["conf_low"] != mld(d, "y").tidy().iloc[0]["conf_low"]
    for fn in (gini, gen_entropy, atkinson, palma, quantile_shares, quantiles):
        name = fn.__name__
        with pytest.raises(ParameterError) as e:
            fn(d, "nope")
        assert str(e.value) == (f"The 'welfare' parameter of {name} must name a column of "
                                "survey. Got 'nope' instead.")
        if name != "gen_entropy":
            with pytest.warns(DeprecationWarning) as rec:
                fn(d, "y", conf_alpha=0.1)
            assert str(rec[0].message) == (f"The 'conf_alpha' parameter of {name} is "
                                           "deprecated and will be removed in the next "
                                           "release; use 'alpha' instead.")


def test_frame_with_design_options_default_welfare_and_missing_values():
    df = pd.DataFrame({"consumption_pc": Y10, "w": 1.0})
    d = _ten()
    for fn in (gini, gen_entropy, theil, mld, atkinson, palma, quantile_shares, quantiles):
        # a DataFrame with design= options is the same design; welfare defaults to
        # consumption_pc
        a = fn(df, design={"weight": "w"}).tidy()
        b = fn(d, "y").tidy()
        pd.testing.assert_frame_equal(a, b)
    r = atkinson(d, "y", epsilon=0.5)
    assert (r.provenance.options["welfare"], r.provenance.options["epsilon"]) == ("y", 0.5)
    assert quantile_shares(d, "y").method == "quantile_shares"
    # a missing welfare without na_rm is refused, with the fix
    miss = SurveyDesign(pd.DataFrame({"y": [1.0, np.nan, 3.0], "w": 1.0}), weight="w")
    for fn in (gini, gen_entropy, atkinson, palma, quantile_shares, quantiles):
        with pytest.raises(DesignError) as e:
            fn(miss, "y")
        assert str(e.value) == (
            "survey: column 'y' is missing or not finite in the rows estimated: 1 row "
            "(e.g. row 1). Fix: impute them, or pass na_rm=True to leave those rows out of "
            "the estimate (the design is kept, as R's na.rm=TRUE).")
