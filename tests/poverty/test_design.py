"""SurveyDesign: linearised variance against svy and R survey, domains, lonely PSUs, errors.

References: tests/references/survey/README.md (sources, design options, tolerances).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DesignError, KassakiError, ParameterError
from kassaki_eval.poverty import SurveyDesign, fgt, mean_consumption

REF = Path(__file__).resolve().parent.parent / "references" / "survey"
LINE = 2000.0  # as in make_refs.py


@pytest.fixture(scope="module")
def api() -> pd.DataFrame:
    return pd.read_csv(REF / "apistrat.csv")


@pytest.fixture(scope="module")
def wb() -> pd.DataFrame:
    d = pd.read_csv(REF / "hld_sample_wb_2023.csv")
    d["stratum"] = d["geo1"] + "_" + d["urbrur"]
    return d


@pytest.fixture(scope="module")
def svy_ref() -> pd.DataFrame:
    return pd.read_csv(REF / "svy_reference.csv", keep_default_na=False)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# --- published R survey outputs (printed precision) -------------------------------------------

def test_r_survey_stratified_fpc_mean_and_total(api: pd.DataFrame) -> None:
    # R survey tests/api.Rout.save: svymean(~api00, dstrat) 662.29 (9.4089);
    # svytotal(~enroll, dstrat) 3687178 (114642); dstrat has strata=stype, fpc=fpc
    d = SurveyDesign(api, weight="pw", strata="stype", fpc="fpc")
    m = d.mean("api00").tidy().iloc[0]
    assert abs(m["estimate"] - 662.29) < 0.005
    assert abs(m["std_error"] - 9.4089) < 0.00005
    t = d.total("enroll").tidy().iloc[0]
    assert abs(t["estimate"] - 3687178) < 0.5
    assert abs(t["std_error"] - 114642) < 0.5


def test_r_survey_unstratified_mean_and_svyby(api: pd.DataFrame) -> None:
    # metasurvey 0.0.24 vignette (R survey): svymean 662.2874 (9.585429);
    # svyby(~api00, ~stype, svymean): E 12.49343, H 15.34078, M 16.50239
    d = SurveyDesign(api, weight="pw")
    m = d.mean("api00").tidy().iloc[0]
    assert abs(m["estimate"] - 662.2874) < 0.00005
    assert abs(m["std_error"] - 9.585429) < 0.0000005
    by = d.mean("api00", by="stype").tidy().set_index("group")
    for g, est, se in [("E", 674.43, 12.49343), ("H", 625.82, 15.34078), ("M", 636.60, 16.50239)]:
        assert abs(by.loc[g, "estimate"] - est) < 0.005
        assert abs(by.loc[g, "std_error"] - se) < 0.000005


def test_r_survey_two_stage_cluster_apiclus2() -> None:
    # R survey tests/api.Rout.save on apiclus2 (40 districts, 126 schools):
    # dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2): svymean(~api00) 670.81 (30.099)
    # dclus2wr <- svydesign(id=~dnum+snum, weights=~pw):  svymean(~api00) 670.81 (30.712)
    a = pd.read_csv(REF / "apiclus2.csv")
    two = SurveyDesign(a, weight="pw", psu="dnum", fpc="fpc1", fpc2="fpc2").mean("api00")
    wr = SurveyDesign(a, weight="pw", psu="dnum").mean("api00")
    assert abs(two.estimates.iloc[0] - 670.81) < 0.005
    assert abs(two.std_errors.iloc[0] - 30.099) < 0.0005
    assert abs(wr.std_errors.iloc[0] - 30.712) < 0.0005


# --- svy (third-party implementation), committed output ---------------------------------------

def _ours_wb(wb: pd.DataFrame, measure: str, weight: str, by: str | None) -> pd.DataFrame:
    d = SurveyDesign(wb, weight="hhweight", strata="stratum", psu="ea")
    size = "hhsize" if weight == "hhweight*hhsize" else None
    if measure == "mean(pc_exp)":
        res = mean_consumption(d, "pc_exp", size=size, by=by)
    else:
        g = {"mean(poor)": 0, "mean(gap1)": 1, "mean(gap2)": 2}[measure]
        res = fgt(d, "pc_exp", line=LINE, g=g, size=size, by=by)
    t = res.tidy()
    t["group"] = t["group"].astype(str)
    return t.set_index("group")


def test_agrees_with_svy_points_1e10_ses_1e6(wb: pd.DataFrame, api: pd.DataFrame,
                                             svy_ref: pd.DataFrame) -> None:
    worst_p = worst_se = 0.0
    checked = 0
    for (ds, design, measure, weight, by), grp in svy_ref.groupby(
            ["dataset", "design", "measure", "weight", "by"], sort=False):
        byv = by or None
        if ds == "wb2023":
            ours = _ours_wb(wb, measure, weight, byv)
        else:
            strata = "stype" if design == "strata=stype" else None
            t = SurveyDesign(api, weight="pw", strata=strata).mean("api00", by=byv).tidy()
            t["group"] = t["group"].astype(str)
            ours = t.set_index("group")
        for _, r in grp.iterrows():
            o = ours.loc[str(r["group"])]
            worst_p = max(worst_p, _rel(o["estimate"], r["estimate"]))
            worst_se = max(worst_se, _rel(o["std_error"], r["se"]))
            assert o["df"] == r["df"], (ds, measure, by, r["group"])
            checked += 1
    assert checked == len(svy_ref) == 41
    assert worst_p < 1e-10, worst_p
    assert worst_se < 1e-6, worst_se


# --- design semantics --------------------------------------------------------------------------

def _toy(lonely: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for h, n_psu in enumerate([3, 4, 1 if lonely else 2]):
        for j in range(n_psu):
            for _ in range(5):
                rows.append({"h": f"s{h}", "psu": f"s{h}p{j}", "w": rng.uniform(1, 3),
                             "y": rng.normal(10 + h, 2)})
    return pd.DataFrame(rows)


def test_domain_keeps_design_equals_zeroed_scores() -> None:
    # R subset semantics: a domain mean's variance = variance of the full-design total of
    # z_i = 1(i in d) (y_i - mean_d) / N_d (PSUs without domain rows still count)
    df = _toy()
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    mask = (df["y"] > 10).to_numpy()
    res = d.mean("y", subset=mask).tidy().iloc[0]
    y, w = df["y"].to_numpy(), df["w"].to_numpy()
    md = np.sum(w * y * mask) / np.sum(w * mask)
    z = np.where(mask, (y - md) / np.sum(w * mask), 0.0)
    t = pd.Series(w * z).groupby(df["psu"]).sum()
    hs = df.groupby("psu")["h"].first()
    v = 0.0
    for _h, tt in t.groupby(hs):
        n = len(tt)
        v += n / (n - 1) * np.sum((tt - tt.mean()) ** 2)
    assert res["estimate"] == pytest.approx(md, rel=1e-12)
    assert res["std_error"] == pytest.approx(np.sqrt(v), rel=1e-12)
    # df: PSUs with domain rows minus strata with domain rows (R degf on a subset)
    n_psu = df.loc[mask, "psu"].nunique()
    n_str = df.loc[mask, "h"].nunique()
    assert res["df"] == n_psu - n_str


def test_lonely_psu_rules() -> None:
    df = _toy(lonely=True)
    with pytest.raises(DesignError, match="single PSU"):
        SurveyDesign(df, weight="w", strata="h", psu="psu")
    v = {r: SurveyDesign(df, weight="w", strata="h", psu="psu", lonely_psu=r).total("y")
         .std_errors.iloc[0] ** 2 for r in ("certainty", "adjust", "average")}
    # certainty: the lonely stratum adds nothing; average: the other strata's mean variance
    # replaces it (x H / H_ok); adjust: its PSU total centred at 0 (R survey semantics)
    assert v["average"] == pytest.approx(v["certainty"] * 3 / 2, rel=1e-12)
    lonely_total = float((df.loc[df["h"] == "s2", "w"] * df.loc[df["h"] == "s2", "y"]).sum())
    assert v["adjust"] == pytest.approx(v["certainty"] + lonely_total ** 2, rel=1e-12)


@pytest.mark.parametrize("rule", ["average", "adjust", "certainty", "remove"])
def test_lonely_psu_rules_match_r_survey_overall_and_by_domain(rule: str) -> None:
    # R survey 4.1.1 options(survey.lonely.psu=rule), svymean/svytotal and svyby by stype on
    # apistrat with district PSUs and one single-PSU stratum "L" (make_lonely_refs.R ->
    # lonely_psu.out/.csv). Domains H and M have no row in the lonely stratum, E has.
    # Tolerance 1e-12 relative (R's values are printed to 15 digits).
    d = pd.read_csv(REF / "api_lonely.csv")
    ref = pd.read_csv(REF / "lonely_psu.csv")
    des = SurveyDesign(d, weight="pw", strata="strat", psu="dnum", nest=True, lonely_psu=rule)
    n = 0
    for stat, var in (("mean", "api00"), ("total", "enroll")):
        for by in (None, "stype"):
            res = des.mean(var, by=by) if stat == "mean" else des.total(var, by=by)
            for row in res.tidy().itertuples():
                g = "all" if by is None else row.group
                r = ref[(ref["rule"] == rule) & (ref["stat"] == stat) & (ref["group"] == g)]
                assert row.estimate == pytest.approx(r["estimate"].iloc[0], rel=1e-12)
                assert row.std_error == pytest.approx(r["se"].iloc[0], rel=1e-12), (stat, g)
                n += 1
    assert n == 8
    # the FGT path (PSU totals formed by the estimator) follows the same rule: P0 of a
    # 0/1 indicator is its mean
    d2 = d.assign(low=(d["api00"] < 650).astype(float))
    des2 = SurveyDesign(d2, weight="pw", strata="strat", psu="dnum", nest=True, lonely_psu=rule)
    f = fgt(des2, "api00", line=650, by="stype", total=True).tidy()
    m = pd.concat([des2.mean("low").tidy(), des2.mean("low", by="stype").tidy()])
    np.testing.assert_allclose(f["std_error"], m["std_error"], rtol=1e-12)


def test_fpc_as_fraction_equals_population_size(api: pd.DataFrame) -> None:
    a = api.copy()
    a["frac"] = a.groupby("stype")["stype"].transform("size") / a["fpc"]
    s1 = SurveyDesign(a, weight="pw", strata="stype", fpc="fpc").mean("api00").std_errors.iloc[0]
    s2 = SurveyDesign(a, weight="pw", strata="stype", fpc="frac").mean("api00").std_errors.iloc[0]
    assert s1 == pytest.approx(s2, rel=1e-12)


def test_deff_is_ratio_to_srs_with_replacement(api: pd.DataFrame) -> None:
    d = SurveyDesign(api, weight="pw")
    t = d.mean("api00").tidy().iloc[0]
    y, w = api["api00"].to_numpy(), api["pw"].to_numpy()
    n = len(y)
    m = np.sum(w * y) / w.sum()
    s2 = np.sum(w * (y - m) ** 2) / w.sum() * n / (n - 1)
    assert t["deff"] == pytest.approx(t["std_error"] ** 2 / (s2 / n), rel=1e-12)


# --- clear errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_weights_raise(bad: float) -> None:
    df = _toy()
    df.loc[[2, 7], "w"] = bad
    df["hh_id"] = [f"H{i:03d}" for i in range(len(df))]
    with pytest.raises(DesignError) as e:
        SurveyDesign(df, weight="w", strata="h", psu="psu", table="survey", id_column="hh_id")
    msg = str(e.value)
    assert "survey" in msg and "'w'" in msg and "2 rows" in msg and "H002" in msg and "Fix" in msg
    assert isinstance(e.value, KassakiError) and isinstance(e.value, ValueError)


def test_psu_in_two_strata_raises_unless_nested() -> None:
    df = _toy()
    df["psu2"] = df["psu"].str[-2:]  # p0, p1... repeat across strata
    with pytest.raises(DesignError, match="more than one stratum"):
        SurveyDesign(df, weight="w", strata="h", psu="psu2")
    a = SurveyDesign(df, weight="w", strata="h", psu="psu2", nest=True).mean("y").tidy()
    b = SurveyDesign(df, weight="w", strata="h", psu="psu").mean("y").tidy()
    assert a["std_error"].iloc[0] == pytest.approx(b["std_error"].iloc[0], rel=1e-12)


def test_empty_domain_raises() -> None:
    df = _toy()
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    with pytest.raises(DesignError, match="empty"):
        d.mean("y", subset=np.zeros(len(df), dtype=bool))
    with pytest.raises(DesignError, match="no sampled row"):
        fgt(d, "y", line=10, by="h", levels=["s0", "s9"])


def test_parameter_errors() -> None:
    df = _toy()
    with pytest.raises(ParameterError, match="lonely_psu"):
        SurveyDesign(df, weight="w", lonely_psu="drop")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'weight'"):
        SurveyDesign(df, weight="nope")


def _order_stats(api: pd.DataFrame, group: str) -> np.ndarray:
    return np.sort(api.loc[api["stype"] == group, "api00"].to_numpy())


@pytest.mark.parametrize("qrule", ["math", "hf7"])
def test_quantile_intervals_match_r_survey_4(api: pd.DataFrame, qrule: str) -> None:
    # R survey 4.1.1 svyquantile(..., qrule=, ci=TRUE), Woodruff interval centred at F(q)
    # (make_quantile_refs.R -> quantiles.out/.csv): apistrat stratified with fpc (overall and
    # the subset of each stype, = svyby) and apiclus2 with district PSUs. Points, bounds and
    # SEs to 1e-10 relative (hf7 interpolates: rounding ~1e-11), except the three "math" rows
    # below where R's qs() is off by one order statistic and we keep the definition.
    from kassaki_eval.poverty import quantiles
    ref = pd.read_csv(REF / "quantiles.csv")
    ref = ref[ref["qrule"] == qrule]
    c2 = pd.read_csv(REF / "apiclus2.csv")
    designs = {"apistrat": SurveyDesign(api, weight="pw", strata="stype", fpc="fpc"),
               "apiclus2": SurveyDesign(c2, weight="pw", psu="dnum")}
    known = {("H", 0.1, "estimate"), ("H", 0.1, "std_error"), ("H", 0.1, "conf_low"),
             ("H", 0.1, "conf_high"), ("M", 0.1, "conf_low"), ("M", 0.1, "std_error")}
    checked = 0
    for name, by in (("apistrat", None), ("apiclus2", None), ("apistrat", "stype")):
        t = quantiles(designs[name], "api00", by=by, qrule=qrule).tidy()
        for row in t.itertuples():
            g = "all" if by is None else row.group
            p = float(row.measure[1:])
            r = ref[(ref["data"] == name) & (ref["group"] == g) & np.isclose(ref["p"], p)].iloc[0]
            for col, rc in (("estimate", "quantile"), ("conf_low", "lower"),
                            ("conf_high", "upper"), ("std_error", "se")):
                if qrule == "math" and (g, p, col) in known:
                    continue
                assert getattr(row, col) == pytest.approx(r[rc], rel=1e-10), (name, g, p, col)
                checked += 1
    assert checked == 100 - (len(known) if qrule == "math" else 0)  # 25 quantiles x 4
    if qrule == "math":
        t = quantiles(designs["apistrat"], "api00", by="stype").tidy().set_index("term")
        h, m = _order_stats(api, "H"), _order_stats(api, "M")
        # H, p = 0.1: 5 of 50 equal weights, F(h[4]) = 0.1 exactly; R's qs() tests
        # p - cumw/W == 0 in floating point, gets 1.4e-17 and returns the next value h[5]
        r_h = ref[(ref["data"] == "apistrat") & (ref["group"] == "H") & np.isclose(ref["p"], 0.1)]
        assert t.loc["q0.1[stype=H]", "estimate"] == h[4] and r_h["quantile"].iloc[0] == h[5]
        # M, p = 0.1, lower bound: the CDF bound 0.016 is below the first knot 1/50, where
        # R's qs() falls back to index 1 and returns the second value m[1]; the definition
        # (smallest y with F(y) >= p) gives m[0]
        r_m = ref[(ref["data"] == "apistrat") & (ref["group"] == "M") & np.isclose(ref["p"], 0.1)]
        assert t.loc["q0.1[stype=M]", "conf_low"] == m[0] and r_m["lower"].iloc[0] == m[1]


def _opt_ref() -> pd.DataFrame:
    # R survey 4.1.1, make_options_refs.R -> options.out / options.csv (15 digits)
    return pd.read_csv(REF / "options.csv").set_index(["case", "term"])


def test_mean_total_df_option_matches_r_confint(api: pd.DataFrame) -> None:
    ref = _opt_ref()
    d = SurveyDesign(api, weight="pw", strata="stype", fpc="fpc")
    for df, case in (("normal", "ci_normal"), ("design", "ci_t")):
        for res, term in ((d.mean("api00", df=df), "mean_api00"),
                          (d.total("enroll", df=df), "total_enroll")):
            t = res.tidy().iloc[0]
            r = ref.loc[(case, term)]
            # 1e-8: apistrat.csv carries pw to 8 decimals (R's are float32 artefacts, README)
            assert t["conf_low"] == pytest.approx(r["conf_low"], rel=1e-8), (case, term)
            assert t["conf_high"] == pytest.approx(r["conf_high"], rel=1e-8), (case, term)
            assert np.isinf(t["df"]) == (df == "normal")
    with pytest.raises(ParameterError, match="'df'"):
        d.mean("api00", df="t")  # type: ignore[arg-type]


def test_na_rm_keeps_the_design_as_r() -> None:
    # api99 missing for 3 H and 2 E schools (api_missing.csv, written by the R script)
    ref = _opt_ref()
    miss = pd.read_csv(REF / "api_missing.csv")
    assert int(miss["api99"].isna().sum()) == 5
    d = SurveyDesign(miss, weight="pw", strata="stype", fpc="fpc")
    with pytest.raises(DesignError, match="na_rm=True"):
        d.mean("api99")
    checks = [(d.mean("api99", na_rm=True), ["mean_api99"]),
              (d.total("api99", na_rm=True), ["total_api99"]),
              (d.mean("api99", by="stype", na_rm=True),
               ["mean_api99[E]", "mean_api99[H]", "mean_api99[M]"]),
              # missing values outside the domain do not matter (no na_rm needed)
              (d.mean("api99", subset=(miss["stype"] == "M").to_numpy()),
               ["mean_api99[M] without na.rm"])]
    for res, terms in checks:
        t = res.tidy()
        for (_, row), term in zip(t.iterrows(), terms, strict=True):
            r = ref.loc[("na_rm", term)]
            assert row["estimate"] == pytest.approx(r["estimate"], rel=1e-12), term
            assert row["std_error"] == pytest.approx(r["se"], rel=1e-12), term
    # n_obs and df count the observed rows only (R degf on the subset)
    t = d.mean("api99", by="stype", na_rm=True).tidy().set_index("group")
    assert t.loc["H", "n_obs"] == 47 and t.loc["H", "df"] == 46
