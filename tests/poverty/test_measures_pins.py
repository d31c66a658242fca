"""Pins found by mutation testing of kassaki_eval/poverty/measures.py (issue 18).

Each test names the mutmut survivors it kills (docs/MUTATION.md). Expected values are computed
in the test by hand or by calling the estimator the wrapper delegates to (``fgt``, pinned
against svy and R survey in tests/poverty/test_design.py) on the same inputs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.exceptions import DesignError, ParameterError
from kassaki_eval.poverty import (
    RelativeLine,
    SurveyDesign,
    change,
    fgt,
    incidence_curve,
    kecamatan_table,
    mean_consumption,
    plot_incidence_curve,
    profile,
    profile_table,
    sst,
    watts,
)
from kassaki_eval.poverty._common import quantile_influence
from kassaki_eval.poverty.measures import _fgt_dline


def _parepare_sample() -> pd.DataFrame:
    """Two PSUs per kecamatan of Parepare (the second district), odd column names, one
    household exactly on the line 400 in every kecamatan."""
    rng = np.random.default_rng(7)
    codes = reference.kecamatan("parepare")["kec_kemendagri"].tolist()
    rows = []
    for k, code in enumerate(codes):
        for p in range(2):
            for i in range(6):
                c = 400.0 if (p == 0 and i == 0) else float(rng.uniform(150, 900))
                rows.append({"kec": code, "vil": f"{k}-{p}", "wt": 1.0 + k + p,
                             "members": 1 + (i % 4), "cons": c})
    return pd.DataFrame(rows)


def test_kecamatan_table_passes_every_option_on():
    """Kills kecamatan_table mutants that drop or replace welfare=, design=, size=,
    line_rule=, alpha= or district= on the way to profile_table (x_kecamatan_table__mutmut_15,
    20, 23-26, 28). Reference: fgt called directly with the same options."""
    df = _parepare_sample()
    spec = {"weight": "wt", "strata": "kec", "psu": "vil"}
    tab = kecamatan_table(df, "cons", line=400.0, design=spec, size="members", by="kec",
                          district="parepare", line_rule="weak", alpha=0.1)
    ref = reference.kecamatan("parepare").set_index("kec_kemendagri")
    body = tab.iloc[:-1].set_index("kec_code")
    assert list(body.index) == list(ref.index)
    assert list(body["kecamatan"]) == list(ref["kecamatan"])
    assert list(body["zone"]) == list(ref["zone"])
    assert tab["kecamatan"].iloc[-1] == "Total"
    direct = fgt(SurveyDesign(df, **spec), "cons", line=400.0, g=[0, 1, 2], size="members",
                 by="kec", line_rule="weak", alpha=0.1).tidy()
    for g in (0, 1, 2):
        d = direct[direct["measure"] == f"p{g}"].set_index("group")
        np.testing.assert_allclose(body[f"p{g}"], d.loc[body.index, "estimate"], rtol=1e-13)
    d0 = direct[direct["measure"] == "p0"].set_index("group").loc[body.index]
    np.testing.assert_allclose(body["p0_ci_low"], d0["conf_low"], rtol=1e-12)
    np.testing.assert_allclose(body["p0_ci_high"], d0["conf_high"], rtol=1e-12)
    # by hand: weak rule counts the household on the line as poor (persons = wt x members)
    one = df[df["kec"] == ref.index[0]]
    pw = one["wt"] * one["members"]
    assert body["p0"].iloc[0] == pytest.approx(pw[one["cons"] <= 400].sum() / pw.sum(),
                                               rel=1e-14)
    assert (one["cons"] == 400).sum() == 1


def test_line_derivative_counts_only_the_strictly_poor():
    """Kills ``poor = y <= z`` in _fgt_dline (x__fgt_dline__mutmut_17). The module docstring's
    derivative (1/N) sum w g ((z - y)/z)^(g-1) y / z^2 runs over the poor, y < z: a unit on
    the line adds nothing. By hand, y = 1, 2, 4, z = 2, g = 1, unit weights: only y = 1 is
    poor, 1 * 1 / 2^2 = 0.25, over N = 3."""
    y = np.array([1.0, 2.0, 4.0])
    w = np.ones(3)
    d = SurveyDesign(pd.DataFrame({"w": w}), weight="w")
    dom = d.domains(None, owner="test")
    out = _fgt_dline(dom, y, w, np.full(3, 2.0), 1.0, np.array([3.0]))
    assert out[0] == pytest.approx(0.25 / 3, rel=1e-15)


# -- Watts: a mean of h = 1(y < z) log(z / y); relative line; two-stage designs --------------

def _two_stage(seed: int = 3, on_line: float | None = None) -> pd.DataFrame:
    """3 strata x 4 PSUs x 5 households; fpc = 10 PSUs per stratum, fpc2 = 40 households per
    PSU (a two-stage design, R svydesign(id=~psu+hh, fpc=~fpc+fpc2))."""
    rng = np.random.default_rng(seed)
    n = 60
    df = pd.DataFrame({"h": np.repeat(["s0", "s1", "s2"], 20),
                       "psu": np.repeat([f"p{i:02d}" for i in range(12)], 5),
                       "w": rng.uniform(5, 15, n), "hh": rng.integers(1, 7, n),
                       "c": rng.lognormal(6.0, 0.5, n), "grp": rng.choice(["a", "b"], n),
                       "fpc": 10.0, "fpc2": 40.0})
    if on_line is not None:
        df.loc[[4, 33], "c"] = on_line
    return df


TWO = {"weight": "w", "strata": "h", "psu": "psu", "fpc": "fpc", "fpc2": "fpc2"}
ONE = {"weight": "w", "strata": "h", "psu": "psu"}


@pytest.mark.parametrize("spec", [ONE, TWO], ids=["one-stage", "two-stage"])
def test_watts_equals_the_design_mean_of_its_scores(spec):
    """Watts is the (person-weighted) mean of h = 1(y < z) log(z / y): its estimate, SE, df
    and deff equal SurveyDesign.mean of h (R-checked: svymean on apistrat, apiclus2 two-stage
    in tests/poverty/test_design.py). Kills x_watts__mutmut_171, 189 (two-stage squares),
    238 (srs variance -> deff) and 257 (provenance option 'size')."""
    df = _two_stage()
    z = float(np.median(df["c"]))
    df["h_w"] = np.where(df["c"] < z, np.log(z / df["c"]), 0.0)
    d = SurveyDesign(df, **spec)
    for by in (None, "grp"):
        got = watts(d, "c", line=z, size="hh", by=by).tidy()
        ref = d.mean("h_w", size="hh", by=by).tidy()
        for col in ("estimate", "std_error", "df", "deff", "n_obs"):
            np.testing.assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float),
                                       rtol=1e-10, err_msg=col)
    assert watts(d, "c", line=z, size="hh").provenance.options["size"] == "hh"


def _relative_watts_reference(d: SurveyDesign, df: pd.DataFrame, share: float, p: float,
                              by: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Watts with a relative line and its SE from the module docstring's influence function,
    built here: z_i = 1(i in d) (h_i - W_d) / N_d + dW_d/dline * IF_line_i, with
    dW/dline = (1/N_d) sum_{poor in d} w / line (differentiating W by hand) and IF_line =
    share * IF of the weighted quantile (the line's own term, as in fgt); variance of
    sum w z from the design (SurveyDesign.variance, R-checked)."""
    y, w = df["c"].to_numpy(), d.weights * df["hh"].to_numpy()
    full = d.domains(None, owner="test")
    q, zq = quantile_influence(full, y, w, p)
    line = share * q[0]
    lif = share * zq
    dom = d.domains(by, owner="test")
    h = np.where(y < line, np.log(line / y), 0.0)
    cols, est = [], []
    for g in range(dom.n):
        m = dom.codes == g
        N = w[m].sum()
        W = np.sum(w[m] * h[m]) / N
        dW = np.sum(w[m] * (y[m] < line)) / line / N
        cols.append(np.where(m, (h - W) / N, 0.0) + dW * lif)
        est.append(W)
    var = d.variance(np.column_stack(cols), full, w)[0]
    return np.array(est), np.sqrt(var)


@pytest.mark.parametrize("spec", [ONE, TWO], ids=["one-stage", "two-stage"])
def test_watts_relative_line_se_is_the_documented_influence_function(spec):
    """Kills the relative-line Watts mutants: y not passed to the line (x_watts__mutmut_47),
    dW computed over the wrong domain/weights (134, 136, 138), the line term dropped from
    the two-stage squares (173). Reference: _relative_watts_reference (by hand). rtol 1e-10."""
    df = _two_stage()
    d = SurveyDesign(df, **spec)
    for by in (None, "grp"):
        res = watts(d, "c", line=RelativeLine(0.6, 0.5), size="hh", by=by)
        est, se = _relative_watts_reference(d, df, 0.6, 0.5, by)
        np.testing.assert_allclose(res.estimates, est, rtol=1e-12)
        np.testing.assert_allclose(res.std_errors, se, rtol=1e-10)


def test_watts_zero_consumption_of_the_poor_says_why_and_what_to_do():
    """Kills x_watts__mutmut_68/77 (count and rule of the message)."""
    df = _two_stage()
    df.loc[[1, 3], "c"] = 0.0
    with pytest.raises(DesignError) as e:
        watts(SurveyDesign(df, **ONE), "c", line=500.0)
    msg = str(e.value)
    assert "column 'c' is 0 for poor units (Watts needs log y): 2 rows" in msg
    assert "Fix: repair zero consumption or use fgt()." in msg


def test_sst_se_of_a_group_does_not_depend_on_its_label_order():
    """Kills ``inside = dom.codes > 0`` in sst (x_sst__mutmut_71: domain code 0 loses its
    P1 term). Renaming the other group so that 'b' sorts first must not change b's SE."""
    df = _two_stage()
    z = float(np.median(df["c"]))
    first = sst(SurveyDesign(df, **ONE), "c", line=z, by="grp").tidy().set_index("group")
    df2 = df.assign(grp=df["grp"].replace({"a": "c"}))
    second = sst(SurveyDesign(df2, **ONE), "c", line=z, by="grp").tidy().set_index("group")
    assert first.loc["b", "std_error"] == pytest.approx(second.loc["b", "std_error"], rel=1e-12)
    assert first.loc["a", "std_error"] == pytest.approx(second.loc["c", "std_error"], rel=1e-12)


def test_mean_consumption_na_rm_keeps_the_design():
    """Kills na_rm not passed on by mean_consumption (x_mean_consumption__mutmut_32).
    Reference: SurveyDesign.mean(na_rm=True) (checked against R na.rm=TRUE in test_design)."""
    df = _two_stage()
    df.loc[[2, 17], "c"] = np.nan
    d = SurveyDesign(df, **ONE)
    got = mean_consumption(d, "c", size="hh", na_rm=True).tidy().iloc[0]
    ref = d.mean("c", size="hh", na_rm=True).tidy().iloc[0]
    assert got["estimate"] == pytest.approx(ref["estimate"], rel=1e-13)
    assert got["std_error"] == pytest.approx(ref["std_error"], rel=1e-12)
    with pytest.raises(DesignError, match="na_rm=True"):
        mean_consumption(d, "c", size="hh")


# -- fgt on two-stage designs, total rows with na_rm, df="normal", owner in messages ----------

def test_fgt_two_stage_equals_the_design_mean_of_its_scores():
    """P(g) is the mean of 1(y < z) ((z - y)/z)^g: on a two-stage design (fpc + fpc2) fgt's
    SE must equal SurveyDesign.mean of that score (R-checked on apiclus2 in test_design).
    Kills the second-stage squares dropped or mis-built in fgt (x_fgt__mutmut_338, 348) and
    in mean_consumption (which must equal SurveyDesign.mean of welfare)."""
    df = _two_stage()
    z = float(np.median(df["c"]))
    for g in (0, 1, 2):
        df[f"s{g}"] = np.where(df["c"] < z, ((z - df["c"]) / z) ** g, 0.0)
    d = SurveyDesign(df, **TWO)
    got = fgt(d, "c", line=z, g=[0, 1, 2], size="hh", by="grp", total=True).tidy()
    for g in (0, 1, 2):
        ref = pd.concat([d.mean(f"s{g}", size="hh").tidy(),
                         d.mean(f"s{g}", size="hh", by="grp").tidy()], ignore_index=True)
        mine = got[got["measure"] == f"p{g}"].reset_index(drop=True)
        np.testing.assert_allclose(mine["estimate"], ref["estimate"], rtol=1e-12)
        np.testing.assert_allclose(mine["std_error"], ref["std_error"], rtol=1e-10)
    mc = mean_consumption(d, "c", size="hh", by="grp").tidy()
    ref = d.mean("c", size="hh", by="grp").tidy()
    np.testing.assert_allclose(mc["std_error"], ref["std_error"], rtol=1e-10)


def test_mean_consumption_lonely_average_counts_the_strata_of_each_domain():
    """Kills mean_consumption not passing its domains to the variance (lonely_psu="average"
    then averages over every stratum instead of those present in the domain; R's svyby).
    Reference: SurveyDesign.mean (R-checked, test_lonely_psu_rules_match_r_survey...)."""
    df = _two_stage()
    df = df[~((df["h"] == "s2") & (df["psu"] != "p08"))].copy()   # s2 keeps one PSU
    df.loc[df["h"] == "s2", "grp"] = "a"                           # group b never in s2
    d = SurveyDesign(df, weight="w", strata="h", psu="psu", lonely_psu="average")
    got = mean_consumption(d, "c", by="grp").tidy()
    ref = d.mean("c", by="grp").tidy()
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-12)


def test_fgt_total_row_with_na_rm_is_the_overall_estimate():
    """With na_rm=True rows with missing welfare leave every domain; total=True then builds
    its own 'all' domain. Kills x_fgt__mutmut_268 (its label) and pins the numbers: the total
    rows equal fgt(na_rm=True) without by."""
    df = _two_stage()
    df.loc[[0, 25], "c"] = np.nan
    d = SurveyDesign(df, **ONE)
    both = fgt(d, "c", line=500.0, g=[0, 1], by="grp", total=True, na_rm=True).tidy()
    alone = fgt(d, "c", line=500.0, g=[0, 1], na_rm=True).tidy()
    assert list(both["group"].iloc[:2]) == ["all", "all"]
    np.testing.assert_allclose(both["estimate"].iloc[:2], alone["estimate"], rtol=1e-13)
    np.testing.assert_allclose(both["std_error"].iloc[:2], alone["std_error"], rtol=1e-12)


def test_fgt_df_normal_gives_normal_intervals():
    """Kills x_fgt__mutmut_68 ("normal" no longer accepted): df="normal" is the normal
    interval estimate +- 1.959964 SE (scipy.stats.norm.ppf(0.975))."""
    df = _two_stage()
    t = fgt(SurveyDesign(df, **ONE), "c", line=500.0, df="normal").tidy().iloc[0]
    half = 1.959963984540054 * t["std_error"]
    assert t["conf_low"] == pytest.approx(t["estimate"] - half, rel=1e-12)
    assert t["conf_high"] == pytest.approx(t["estimate"] + half, rel=1e-12)


def test_messages_name_the_function_called():
    """Errors name the public function the user called (x__setup__mutmut_13, x_profile__
    mutmut_10, x_change__mutmut_63)."""
    df = _two_stage()
    d = SurveyDesign(df, **ONE)
    with pytest.raises(ParameterError, match="'by' parameter of watts must name columns"):
        watts(d, "c", line=500.0, by="nope")
    with pytest.raises(ParameterError, match="'design' parameter of profile must be"):
        profile(df, "c", line=500.0, by="grp", design=5)
    with pytest.raises(ParameterError, match="'design' parameter of change must be"):
        change(df.assign(year=2023), "c", line=500.0, years=(2023, 2024), design=5)


# -- profile, profile_table, kecamatan_table ---------------------------------------------------

def test_profile_deprecated_keywords_provenance_and_table_columns():
    """profile(alphas=, conf_alpha=) and profile_table(conf_alpha=) still work for one release
    (x_profile__mutmut_23, 27, x_profile_table__mutmut_22); provenance names the method and
    the grouping (x_profile__mutmut_170-193); profile_table's columns carry fgt's SE, the
    total's n_obs and attrs['by'] (x_profile_table__mutmut_95, 115, 139). Reference: fgt."""
    df = _two_stage()
    d = SurveyDesign(df, **ONE)
    new = profile(d, "c", line=500.0, by="grp", size="hh", g=[0, 2], alpha=0.1).tidy()
    with pytest.warns(DeprecationWarning, match="'alphas' parameter of profile"):
        with pytest.warns(DeprecationWarning, match="'conf_alpha' parameter of profile"):
            old = profile(d, "c", line=500.0, by="grp", size="hh", alphas=[0, 2],
                          conf_alpha=0.1)
    assert old.alpha == 0.1
    pd.testing.assert_frame_equal(old.tidy(), new)
    assert old.provenance.method == "profile" and old.provenance.options["by"] == "grp"
    with pytest.warns(DeprecationWarning, match="'conf_alpha' parameter of profile_table"):
        tab = profile_table(d, "c", line=500.0, by="grp", size="hh", conf_alpha=0.1)
    ref = fgt(d, "c", line=500.0, g=[0, 1, 2], by="grp", size="hh", total=True,
              alpha=0.1).tidy()
    for g in (0, 1, 2):
        r = ref[ref["measure"] == f"p{g}"]
        np.testing.assert_allclose(tab[f"p{g}_se"], np.r_[r["std_error"].iloc[1:],
                                                          r["std_error"].iloc[0]], rtol=1e-13)
        np.testing.assert_allclose(tab[f"p{g}_low"], np.r_[r["conf_low"].iloc[1:],
                                                           r["conf_low"].iloc[0]], rtol=1e-13)
    assert tab["n_obs"].iloc[-1] == len(df) and tab.attrs["by"] == "grp"


def test_kecamatan_table_columns_are_the_documented_ones():
    """Kills renamed columns (x_kecamatan_table__mutmut_63...): the docstring's column list."""
    tab = kecamatan_table(_parepare_sample(), "cons", line=400.0, by="kec", size="members",
                          district="parepare",
                          design={"weight": "wt", "strata": "kec", "psu": "vil"})
    assert list(tab.columns) == ["kec_code", "kecamatan", "zone", "households_sampled",
                                 "population_share", "p0", "p0_ci_low", "p0_ci_high", "p1",
                                 "p2", "contribution_to_p0"]
    assert tab["households_sampled"].tolist() == [12, 12, 12, 12, 48]


# -- change ------------------------------------------------------------------------------------

def _waves(on_line: float | None = None) -> pd.DataFrame:
    a = _two_stage(seed=3, on_line=on_line).assign(year=2023)
    b = _two_stage(seed=4, on_line=on_line).assign(year=2024)
    return pd.concat([a, b], ignore_index=True)


def _strict_p0(df: pd.DataFrame, z: float) -> pd.DataFrame:
    return df.assign(poor=(df["c"] < z).astype(float))


def test_change_two_stage_wave_ses_use_the_strict_rule():
    """Two households per wave sit exactly on the line; on a two-stage design each wave's SE
    must be the design SE of the mean of the indicator 1(y < z) (1(y <= z) with the weak
    rule) (SurveyDesign.mean, R-checked). Kills the rule lost in the second-stage squares
    (x_change__mutmut_189, x__wave_sq__mutmut_27)."""
    z = 400.0
    both = _strict_p0(_waves(on_line=z), z)
    both["poor_weak"] = (both["c"] <= z).astype(float)
    for rule, col in (("strict", "poor"), ("weak", "poor_weak")):
        r = change(both, "c", line=z, years=(2023, 2024), design=TWO, size="hh",
                   line_rule=rule).tidy()
        for k, yr in enumerate((2023, 2024)):
            wave = SurveyDesign(both[both["year"] == yr].reset_index(drop=True), **TWO)
            ref = wave.mean(col, size="hh").tidy().iloc[0]
            assert r["estimate"].iloc[k] == pytest.approx(ref["estimate"], rel=1e-13)
            assert r["std_error"].iloc[k] == pytest.approx(ref["std_error"], rel=1e-10)


@pytest.mark.parametrize("year", [2023, 2024])
def test_change_lonely_average_uses_the_strata_of_each_domain(year):
    """lonely_psu="average" by domain: each wave's SE equals fgt's on that wave (fgt passes
    its domains, R-checked in test_design). Kills x_change__mutmut_177 (dom=None; first
    wave) and x_change__mutmut_202 (wave b's variance without its domains; second wave)."""
    both = _waves()
    keep = ~((both["h"] == "s2") & (~both["psu"].isin(["p08"])))
    both = both[keep].copy()
    both.loc[both["h"] == "s2", "grp"] = "a"
    spec = {"weight": "w", "strata": "h", "psu": "psu", "lonely_psu": "average"}
    r = change(both, "c", line=500.0, years=(2023, 2024), design=spec, size="hh",
               by="grp").tidy()
    wave = SurveyDesign(both[both["year"] == year].reset_index(drop=True), **spec)
    ref = fgt(wave, "c", line=500.0, size="hh", by="grp").tidy()
    got = r[r["measure"] == f"p0_{year}"]
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-12)


def test_change_line_column_result_names_and_deprecated_design_keywords():
    """A line given as a column (x_change__mutmut_98); the result's method and provenance
    (387, 411, 450, 456); the old weight=/strata=/psu=/lonely_psu= keywords, all four read
    (x__wave_design_spec__mutmut_8: lonely_psu lost means "fail" on a lonely stratum)."""
    both = _waves()
    num = change(both, "c", line=500.0, years=(2023, 2024), design=ONE, size="hh")
    col = change(both.assign(zl=500.0), "c", line="zl", years=(2023, 2024), design=ONE,
                 size="hh")
    pd.testing.assert_frame_equal(num.tidy(), col.tidy())
    assert num.method == "poverty_change" and num.provenance.method == "poverty_change"
    assert num.extras["common_psus"] == 12 and num.provenance.options["common_psus"] == 12
    lonely = both[~((both["h"] == "s2") & (both["psu"] != "p08"))]
    spec = {"weight": "w", "strata": "h", "psu": "psu", "lonely_psu": "adjust"}
    ref = change(lonely, "c", line=500.0, years=(2023, 2024), design=spec, size="hh").tidy()
    with pytest.warns(DeprecationWarning, match="weight=/strata=/psu=/lonely_psu="):
        old = change(lonely, "c", line=500.0, years=(2023, 2024), size="hh", **spec).tidy()
    pd.testing.assert_frame_equal(old, ref)


def test_change_with_a_domain_in_one_wave_only_says_what_to_do():
    """Kills the message's fix dropped or changed (x_change__mutmut_135, 147)."""
    both = _waves()
    both.loc[(both["year"] == 2024), "grp"] = "a"
    with pytest.raises(DesignError) as e:
        change(both, "c", line=500.0, years=(2023, 2024), design=ONE, size="hh", by="grp")
    assert "has domains sampled in one wave only: 1 row (e.g. b)" in str(e.value)
    assert "Fix: restrict both waves to the domains sampled in both." in str(e.value)


# -- incidence curve and its plot --------------------------------------------------------------

def test_incidence_curve_conf_alpha_and_the_plot_draws_percentages():
    """incidence_curve(conf_alpha=) is still read (x_incidence_curve__mutmut_7, 23). The plot
    draws 100 x P0 against the line, a band from 100 x conf_low to 100 x conf_high, the
    marks as grey dashed vertical lines labelled at 95 % of the y range, the axis labels, and
    returns the figure of a given ax (x_plot_incidence_curve__mutmut_20-92)."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    d = SurveyDesign(_two_stage(), **ONE)
    grid = [300.0, 450.0, 600.0]
    ref = incidence_curve(d, "c", lines=grid, alpha=0.1).tidy()
    with pytest.warns(DeprecationWarning, match="'conf_alpha' parameter of incidence_curve"):
        old = incidence_curve(d, "c", lines=grid, conf_alpha=0.1)
    assert old.alpha == 0.1
    pd.testing.assert_frame_equal(old.tidy(), ref)
    fig0, ax = plt.subplots()
    fig = plot_incidence_curve(old, marks={"line": 450.0}, ax=ax)
    assert fig is fig0
    curve = ax.lines[0]
    np.testing.assert_allclose(curve.get_xdata(), grid)
    np.testing.assert_allclose(curve.get_ydata(), 100 * ref["estimate"], rtol=1e-14)
    band = ax.collections[0]
    assert band.get_alpha() == 0.2
    verts = band.get_paths()[0].vertices
    assert verts[:, 1].min() == pytest.approx(100 * ref["conf_low"].min(), rel=1e-12)
    assert verts[:, 1].max() == pytest.approx(100 * ref["conf_high"].max(), rel=1e-12)
    mark = ax.lines[1]
    assert list(mark.get_xdata()) == [450.0, 450.0]
    assert matplotlib.colors.to_hex(mark.get_color()) == matplotlib.colors.to_hex("grey")
    assert mark.get_linestyle() == "--"
    txt = ax.texts[0]
    assert txt.get_text() == " line" and txt.get_rotation() == 90
    assert txt.get_position()[1] == pytest.approx(0.95 * ax.get_ylim()[1], rel=1e-12)
    assert ax.get_xlabel() == "poverty line (Rp per capita per month)"
    assert ax.get_ylabel() == "headcount P0 (%)"
    plt.close(fig)


# -- logit intervals with normal df; no stray numpy warnings -----------------------------------

def test_logit_interval_with_normal_df_by_hand():
    """ci="logit", df="normal": P0's interval is expit(logit(p) -+ z se / (p (1 - p))) with
    z = 1.959964 (x_fgt__mutmut_507: the normal quantile at 1 + alpha/2), P1 keeps
    p1 -+ z se on both sides (x_fgt__mutmut_534: the upper bound)."""
    d = SurveyDesign(_two_stage(), **ONE)
    t = fgt(d, "c", line=500.0, g=[0, 1], df="normal", ci="logit").tidy().set_index("measure")
    z = 1.959963984540054
    p, se = t.loc["p0", "estimate"], t.loc["p0", "std_error"]
    L, s = np.log(p / (1 - p)), se / (p * (1 - p))
    assert t.loc["p0", "conf_low"] == pytest.approx(1 / (1 + np.exp(-(L - z * s))), rel=1e-12)
    assert t.loc["p0", "conf_high"] == pytest.approx(1 / (1 + np.exp(-(L + z * s))), rel=1e-12)
    p1, se1 = t.loc["p1", "estimate"], t.loc["p1", "std_error"]
    assert t.loc["p1", "conf_low"] == pytest.approx(p1 - z * se1, rel=1e-12)
    assert t.loc["p1", "conf_high"] == pytest.approx(p1 + z * se1, rel=1e-12)


def test_single_row_and_zero_poverty_domains_raise_no_numpy_warning():
    """A domain with one sampled row (SRS variance 0/0) and a domain with P0 = 0 (logit of 0)
    give NaN/degenerate numbers silently, not a RuntimeWarning (x_fgt__mutmut_411, 549:
    the np.errstate guards)."""
    import warnings
    df = _two_stage()
    df["dom"] = np.where(df.index == 0, "one", np.where(df["c"] > 300, "rich", "poor"))
    df.loc[df["dom"] == "rich", "c"] += 1000.0
    # one row whose variance rounds to -8.7e-19 instead of 0: (S2/N - P^2) / 0 -> -inf
    df.loc[0, ["w", "c"]] = [3.4398107176008175, 464.18947533381095]
    d = SurveyDesign(df, **ONE)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        t = fgt(d, "c", line=500.0, g=[0, 1], by="dom", ci="logit").tidy()
    assert set(t["group"]) == {"one", "poor", "rich"}
    assert t.loc[(t["group"] == "rich") & (t["measure"] == "p0"), "estimate"].iloc[0] == 0.0


def test_line_description_and_relative_line_message():
    """The provenance names the line: its value, the column of a varying per-row line, or
    "per-row" for a varying array (x__line_values__mutmut_100); a bad RelativeLine names the
    'line' parameter (x__line_values__mutmut_3)."""
    df = _two_stage()
    d = SurveyDesign(df, **ONE)
    zl = np.where(df["h"] == "s0", 450.0, 500.0)
    by_col = fgt(SurveyDesign(df.assign(zl=zl), **ONE), "c", line="zl")
    assert by_col.provenance.options["line"] == "zl"
    assert fgt(d, "c", line=zl).provenance.options["line"] == "per-row"
    assert fgt(d, "c", line=np.full(len(df), 450.0)).provenance.options["line"] == 450.0
    with pytest.raises(ParameterError, match="'line' parameter of fgt must be a RelativeLine"):
        fgt(d, "c", line=RelativeLine(0.6, 1.5))


def test_relative_line_leaves_out_rows_with_missing_welfare():
    """A relative line is the quantile of the observed welfare: rows whose welfare is missing
    (left out by na_rm, or outside `subset`) do not enter it. It used to count them as 0
    (the fill value of SurveyDesign.values_in), pulling the median down. Reference: the same
    estimator on the design holding only the observed rows (for_rows), whose point estimate
    and line depend on the observed (y, w) only; by hand, the weighted median of y = 1..18
    without rows 0, 1, 6 lies at 11 here, and 0.9 x 11 = 9.9."""
    rng = np.random.default_rng(11)
    df = pd.DataFrame({"h": np.repeat(["a", "b", "c"], 6),
                       "psu": np.repeat([f"v{i}" for i in range(6)], 3),
                       "w": rng.uniform(1, 4, 18), "y": np.arange(1.0, 19.0)})
    df.loc[[0, 1, 6], "y"] = np.nan
    obs = df["y"].notna().to_numpy()
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    y, w = df["y"].to_numpy()[obs], df["w"].to_numpy()[obs]
    cum = np.cumsum(w[np.argsort(y)]) / w.sum()
    assert np.sort(y)[np.searchsorted(cum, 0.5)] == 11.0  # smallest y with F(y) >= 0.5
    line = RelativeLine(share=0.9, quantile=0.5)
    for fn in (fgt, watts):
        ref = fn(d.for_rows(obs), "y", line=line)
        for res in (fn(d, "y", line=line, na_rm=True), fn(d, "y", line=line, subset=obs)):
            assert res.provenance.options["line"]["value"] == pytest.approx(9.9, rel=1e-12)
            assert res.estimates.iloc[0] == pytest.approx(ref.estimates.iloc[0], rel=1e-12)


# ==============================================================================================
# Second round (helper mutL, session 10): survivors of a FRESH seeded sample (seed 19, 120 of
# 2,900 mutants). Each test names the mutants it kills.
# ==============================================================================================
def test_fgt_p1_relative_line_two_stage_se_is_the_documented_influence_function():
    """P1 with a relative line on the two-stage design: SE from the module docstring's IF built
    here, z_i = 1(i in d)(gap_i - P1_d)/N_d + dP1_d/dline * IF_line_i with dP1/dline =
    (1/N_d) sum_{poor in d} w y / line^2 (differentiating P1 by hand), IF_line = share * IF
    of the weighted quantile; variance of sum w z from SurveyDesign.variance (R-checked).
    Kills x_fgt__mutmut_359 (the line term dropped from the second-stage squares)."""
    df = _two_stage()
    d = SurveyDesign(df, **TWO)
    y, w = df["c"].to_numpy(), d.weights * df["hh"].to_numpy()
    full = d.domains(None, owner="test")
    q, zq = quantile_influence(full, y, w, 0.5)
    line = 0.6 * q[0]
    poor = y < line
    gap = np.where(poor, (line - y) / line, 0.0)
    N = w.sum()
    P1 = np.sum(w * gap) / N
    dP = np.sum(w * poor * y) / line ** 2 / N
    z = (gap - P1) / N + dP * 0.6 * zq
    se = np.sqrt(d.variance(z[:, None], full, w)[0, 0])
    res = fgt(d, "c", line=RelativeLine(0.6, 0.5), g=1, size="hh")
    assert res.estimates.iloc[0] == pytest.approx(P1, rel=1e-12)
    assert res.std_errors.iloc[0] == pytest.approx(se, rel=1e-10)


def test_fgt_srs_variance_and_deff_by_hand():
    """Equal weights, every row its own PSU, no strata: the design variance of P is
    P(1-P)/(n-1) for P0 (n/(n-1) sum ((h-P)/n)^2) and the SRS-with-replacement variance
    (sum h^2/n - P^2)/(n-1) is the same, so deff = 1 exactly, for every exponent. With
    g = [1, 3] the sum of squares of P1 must not be read from P3's totals. Kills
    x_fgt__mutmut_425 (srs times n-1) and x_fgt__mutmut_389 (3a instead of 2a)."""
    c = np.array([100.0, 200, 300, 350, 450, 600, 800, 1000])
    d = SurveyDesign(pd.DataFrame({"c": c, "w": 1.0}), weight="w")
    res = fgt(d, "c", line=400.0, g=[0, 1, 3]).tidy()
    np.testing.assert_allclose(res["deff"], 1.0, rtol=1e-12)
    n = len(c)
    p0 = 4 / 8
    assert res["std_error"].iloc[0] == pytest.approx(np.sqrt(p0 * (1 - p0) / (n - 1)), rel=1e-12)
    gap = np.where(c < 400, (400 - c) / 400, 0.0)
    p1 = gap.mean()
    assert res["std_error"].iloc[1] == pytest.approx(
        np.sqrt((np.mean(gap ** 2) - p1 ** 2) / (n - 1)), rel=1e-12)


def test_fgt_total_with_levels_that_drop_rows_is_refused():
    """levels= keeps only some domains, so the overall rows would not be the sample's:
    refused word for word. Kills x_fgt__mutmut_136 (levels ignored when counting)."""
    df = _two_stage()
    with pytest.raises(ParameterError) as e:
        fgt(SurveyDesign(df, **ONE), "c", line=500.0, by="h", levels=["s0", "s1"], total=True)
    assert str(e.value) == ("The 'total' parameter of fgt must be False when 'subset' or "
                            "'levels' drop rows. Got True instead.")


def test_change_of_identical_waves_is_zero_with_full_covariance():
    """Both waves the same households in the same PSUs (PSU ids restart within each stratum,
    as BPS numbers them): Cov(P_a, P_b) = V(P_a), so the change's variance is 0 and the
    correlation 1, per domain too (Kish 1965 with every PSU common). Kills x__psu_keys__mutmut_2
    (strata left out of the PSU key), x_change__mutmut_239 (stratum means times nc),
    _439 (correlation)."""
    a = _two_stage().assign(year=2023)
    a["psu"] = a.groupby("h").cumcount() // 5           # 0..3 in every stratum
    both = pd.concat([a, a.assign(year=2024)], ignore_index=True)
    spec = {"weight": "w", "strata": "h", "psu": "psu", "nest": True}
    for by in (None, "grp"):
        r = change(both, "c", line=500.0, years=(2023, 2024), design=spec, size="hh", by=by)
        t = r.tidy()
        va = t[t["measure"] == "p0_2023"]["std_error"].to_numpy() ** 2
        vb = t[t["measure"] == "p0_2024"]["std_error"].to_numpy() ** 2
        np.testing.assert_allclose(vb, va, rtol=1e-12)
        np.testing.assert_allclose(r.extras["covariance"], va, rtol=1e-10)
        np.testing.assert_allclose(r.extras["correlation"], 1.0, rtol=1e-10)
        np.testing.assert_allclose(t[t["measure"] == "change"]["std_error"], 0.0, atol=1e-9)
        assert r.extras["common_psus"] == 12


def test_change_provenance_counts_the_other_years():
    """Three years in the table, two compared: n_input is the whole table and the third
    year's rows are the dropped ones. Kills x_change__mutmut_399 and _428."""
    a = _two_stage()
    both = pd.concat([a.assign(year=2022), a.assign(year=2023), a.head(10).assign(year=2024)],
                     ignore_index=True)
    r = change(both, "c", line=500.0, years=(2022, 2024), design=ONE, size="hh")
    assert r.provenance.n_input == 130
    assert r.provenance.n_used == 70
    assert r.provenance.dropped == {"years other than 2022, 2024": 60}


def test_change_deprecated_exponent_warns():
    """alpha=2 (an exponent, not a level) still works with a DeprecationWarning naming change.
    Kills x_change__mutmut_49 (stacklevel=None: warnings.warn refuses it)."""
    both = _waves()
    with pytest.warns(DeprecationWarning, match="'alpha' parameter of change as the"):
        old = change(both, "c", line=500.0, years=(2023, 2024), design=ONE, size="hh", alpha=2)
    new = change(both, "c", line=500.0, years=(2023, 2024), design=ONE, size="hh", g=2)
    pd.testing.assert_frame_equal(old.tidy(), new.tidy())


def test_incidence_curve_messages_and_provenance():
    """Kills x_incidence_curve__mutmut_33 (message), _97 / _109 (provenance method)."""
    d = SurveyDesign(_two_stage(), **ONE)
    with pytest.raises(ParameterError) as e:
        incidence_curve(d, "c", lines=[])
    assert str(e.value) == ("The 'lines' parameter of incidence_curve must hold at least one "
                            "poverty line. Got an empty sequence instead.")
    assert incidence_curve(d, "c", lines=[400.0]).provenance.method == "incidence_curve"


def test_plot_incidence_curve_legend_names_the_groups_in_small_type():
    """Kills x_plot_incidence_curve__mutmut_40 (labels 'None') and _109 (legend font size)."""
    import matplotlib.pyplot as plt
    d = SurveyDesign(_two_stage(), **ONE)
    fig = plot_incidence_curve(incidence_curve(d, "c", lines=[300.0, 500.0], by="grp"))
    leg = fig.axes[0].get_legend()
    assert [t.get_text() for t in leg.get_texts()] == ["a", "b"]
    assert all(t.get_fontsize() == 8 for t in leg.get_texts())
    plt.close(fig)


def test_line_for_uses_the_district_asked_for_and_poverty_lines_index():
    """Kills x_line_for__mutmut_10 (district dropped) and x_poverty_lines__mutmut_9 (the old
    index kept as a column). Reference: reference.poverty_line of each year."""
    from kassaki_eval.poverty import line_for, poverty_lines
    df = pd.DataFrame({"year": [2023, 2024, 2023]})
    for dist in ("parepare", "pangkep"):
        want = [reference.poverty_line(y, district=dist) for y in (2023, 2024, 2023)]
        np.testing.assert_array_equal(line_for(df, district=dist), want)
    assert not np.array_equal(line_for(df, district="parepare"), line_for(df, district="pangkep"))
    lines = poverty_lines(years=[2024], district="parepare")
    assert list(lines.columns) == list(reference.poverty_lines("parepare").columns)
    assert list(lines.index) == list(range(len(lines)))


def test_mean_consumption_deprecated_alpha_and_messages_name_the_function():
    """Kills x_mean_consumption__mutmut_10 / _12 (conf_alpha's warning and mapping) and _41
    (the owner in _setup's messages)."""
    d = SurveyDesign(_two_stage(), **ONE)
    with pytest.warns(DeprecationWarning) as rec:
        old = mean_consumption(d, "c", conf_alpha=0.1)
    assert [str(w.message) for w in rec] == [
        "The 'conf_alpha' parameter of mean_consumption is deprecated and will be removed in the "
        "next release; use 'alpha' instead."]
    assert old.alpha == 0.1
    with pytest.raises(ParameterError) as e:
        mean_consumption(d, "nope")
    assert str(e.value) == ("The 'welfare' parameter of mean_consumption must name a column of "
                            "survey. Got 'nope' instead.")


def test_profile_table_with_one_exponent():
    """g=(0,): one row per group; group, share and n_obs from it (x_profile_table__mutmut_74
    read a second row that does not exist). Reference: fgt by group."""
    df = _two_stage()
    d = SurveyDesign(df, **ONE)
    tab = profile_table(d, "c", line=500.0, by="grp", size="hh", g=(0,))
    ref = fgt(d, "c", line=500.0, by="grp", size="hh").tidy()
    assert tab["group"].tolist() == ["a", "b", "total"]
    np.testing.assert_allclose(tab["p0"].iloc[:2], ref["estimate"], rtol=1e-13)
    assert tab["n_obs"].tolist() == [int((df["grp"] == "a").sum()), int((df["grp"] == "b").sum()),
                                     60]


def test_sst_relative_line_message_word_for_word():
    """Kills x_sst__mutmut_31."""
    with pytest.raises(ParameterError) as e:
        sst(SurveyDesign(_two_stage(), **ONE), "c", line=RelativeLine())
    assert str(e.value) == ("The 'line' parameter of sst must be an absolute line (number, "
                            "column or array). Got a RelativeLine instead.")


def test_change_messages_name_the_designs_table():
    """A design built with table="hh2024" is named so in change()'s messages (before session
    12 the wave designs dropped the table name and said "survey")."""
    both = _waves()
    both.loc[(both["year"] == 2024), "grp"] = "a"
    des = SurveyDesign(both, **ONE, table="hh2024")
    with pytest.raises(DesignError) as e:
        change(des, "c", line=500.0, years=(2023, 2024), size="hh", by="grp")
    assert str(e.value).startswith("hh2024: column 'grp' has domains sampled in one wave only")
    with pytest.raises(ParameterError) as e:
        change(des, "nope", line=500.0, years=(2023, 2024), size="hh")
    assert str(e.value) == ("The 'welfare' parameter of change must name a column of hh2024. "
                            "Got 'nope' instead.")
