"""kassaki_eval/poverty/measures.py pinned by behaviour area (issue 18, session 11).

Fast, deterministic tests: every expected number is computed IN THE TEST with numpy on the
explicit formula named in the docstring (the linearised ultimate-cluster variance of a ratio,
R ``survey``'s ``svymean`` / ``svyciprop`` conventions; FGT 1984; Kish 1965 sec. 12.4 for the
panel covariance), or is a closed form written out. The first group repeats, on fixed data,
the invariants that tests/properties/test_invariants.py checks with Hypothesis (weight scale,
row order, monotonicity in the line and in g), so the module's mutation list can use this
file instead of the slow property file; the property tests stay in the default suite.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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

SPEC = {"weight": "w", "strata": "h", "psu": "psu", "nest": True}


def _sample(seed: int = 11, n: int = 36) -> pd.DataFrame:
    """Two strata x three PSUs, unequal weights and household sizes, two groups (blocks of
    six rows) that cut across PSUs, consumption with ties and one value exactly on the line 500."""
    rng = np.random.default_rng(seed)
    psu = np.arange(n) % 6
    c = np.round(rng.uniform(150, 1100, n), 0)
    c[3] = 500.0
    c[4] = c[5]
    return pd.DataFrame({"c": c, "w": np.round(rng.uniform(0.5, 9.0, n), 2),
                         "h": psu % 2, "psu": psu, "hh": 1 + (np.arange(n) * 7) % 5,
                         "grp": np.where((np.arange(n) // 6) % 2 == 1, "b", "a")})


def _uc_var(t_psu: np.ndarray, strat: np.ndarray) -> float:
    """Ultimate-cluster variance of PSU totals t: sum_h n_h/(n_h-1) sum_j (t_hj - mean_h)^2
    (R survey, with-replacement PSUs)."""
    v = 0.0
    for h in np.unique(strat):
        t = t_psu[strat == h]
        v += len(t) / (len(t) - 1) * ((t - t.mean()) ** 2).sum()
    return v


def _by_hand(df: pd.DataFrame, score: np.ndarray, inside: np.ndarray, wts: np.ndarray
             ) -> tuple[float, float, float]:
    """Ratio estimate sum w s / sum w over the domain, its linearised variance and the
    SRS-with-replacement variance svyvar(s)/n (R deff='replace'); PSUs are numbered 0..5
    with stratum psu % 2."""
    w = np.where(inside, wts, 0.0)
    N = w.sum()
    P = (w * score).sum() / N
    z = np.where(inside, (score - P) / N, 0.0)
    tp = np.array([(w * z)[df["psu"].to_numpy() == j].sum() for j in range(6)])
    var = _uc_var(tp, np.arange(6) % 2)
    n = inside.sum()
    srs = ((w * (score - P) ** 2).sum() / N) * n / (n - 1) / n
    return P, var, srs


def _fgt_h(c: np.ndarray, z: float, a: float, weak: bool = False) -> np.ndarray:
    poor = c <= z if weak else c < z
    return poor.astype(float) if a == 0 else np.where(poor, (z - c) / z, 0.0) ** a


# -- invariants on fixed data (the property file's, deterministic) ----------------------------
def test_weight_scale_and_row_order_change_no_estimate_and_no_se():
    """Every estimate is a ratio of weighted totals: weights x 7.3 and a permutation of the
    rows change neither estimates nor SEs (tests/properties/test_invariants.py's properties on
    three fixed samples)."""
    for seed in (1, 2, 3):
        df = _sample(seed)
        perm = np.random.default_rng(seed).permutation(len(df))
        variants = [df, df.assign(w=df["w"] * 7.3), df.iloc[perm].reset_index(drop=True)]
        outs = []
        for v in variants:
            d = SurveyDesign(v, **SPEC)
            outs.append([r.tidy()[["estimate", "std_error"]].to_numpy() for r in
                         (fgt(d, "c", line=520.0, g=[0, 1, 2], size="hh"),
                          mean_consumption(d, "c", size="hh"),
                          watts(d, "c", line=520.0), sst(d, "c", line=520.0))])
        for other in outs[1:]:
            for a, b in zip(outs[0], other, strict=True):
                np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-13)


def test_fgt_is_non_decreasing_in_the_line_and_non_increasing_in_g():
    """Each poor unit's gap is in (0, 1]: P(g) falls with g and rises with the line; all
    in [0, 1]; P(g) > 0 iff P0 > 0 (FGT 1984)."""
    d = SurveyDesign(_sample(5), **SPEC)
    gs = [0, 0.5, 1, 2, 3]
    prev = np.zeros(len(gs))
    for z in (100.0, 160.0, 300.0, 500.0, 500.5, 800.0, 1200.0):
        p = fgt(d, "c", line=z, g=gs).estimates.values
        assert np.all(np.diff(p) <= 1e-15), p
        assert np.all(p >= prev - 1e-15) and np.all((p >= 0) & (p <= 1))
        assert (p[0] > 0) == (p[-1] > 0)
        prev = p
    assert fgt(d, "c", line=100.0).estimates.values[0] == 0.0


# -- fgt: estimates, SEs, df, deff, intervals, options ----------------------------------------
@pytest.mark.parametrize("g", [0, 0.5, 1, 2, 3])
def test_fgt_estimate_se_df_deff_and_interval_by_hand(g):
    """P(g) = sum w h / sum w with h = 1(y<z) ((z-y)/z)^g (FGT 1984), person weights w x hh;
    SE from the ultimate-cluster variance of the linearised scores (R svymean), df = 6 PSUs
    - 2 strata, deff = V / (svyvar(h)/n), interval P +- t(0.975, 4) SE; by group and overall.
    The exponents are asked together with 2g so the SRS branch that reuses P(2g) runs."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    c, wp = df["c"].to_numpy(), (df["w"] * df["hh"]).to_numpy()
    gs = [g] if 2 * g in (0, g) else [g, 2 * g]
    r = fgt(d, "c", line=500.0, g=gs, size="hh", by="grp", total=True)
    t = r.tidy()
    assert t["term"].tolist() == [f"p{a:g}" for a in gs] + [
        f"p{a:g}[grp={lab}]" for lab in ("a", "b") for a in gs]
    assert t["measure"].tolist() == [f"p{a:g}" for a in gs] * 3
    assert t["group"].tolist() == ["all"] * len(gs) + ["a"] * len(gs) + ["b"] * len(gs)
    row = 0
    for inside in (np.ones(len(df), bool), df["grp"].eq("a").to_numpy(),
                   df["grp"].eq("b").to_numpy()):
        for a in gs:
            P, V, S = _by_hand(df, _fgt_h(c, 500.0, a), inside, wp)
            x = t.iloc[row]
            np.testing.assert_allclose(x["estimate"], P, rtol=1e-12)
            np.testing.assert_allclose(x["std_error"], np.sqrt(V), rtol=1e-9)
            np.testing.assert_allclose(x["deff"], V / S, rtol=1e-9)
            assert x["df"] == 4 and x["n_obs"] == inside.sum()
            q = stats.t.ppf(0.975, 4)
            np.testing.assert_allclose([x["conf_low"], x["conf_high"]],
                                       [P - q * np.sqrt(V), P + q * np.sqrt(V)], rtol=1e-9)
            row += 1


def test_fgt_alpha_df_normal_weak_rule_and_subset():
    """alpha=0.1 gives t(0.95, 4) intervals; df='normal' gives z intervals and df=inf;
    line_rule='weak' counts the unit on the line (y <= z); subset= is a domain (the rows
    outside it count 0, kept in the design). Sources: as the test above."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    c, w = df["c"].to_numpy(), df["w"].to_numpy()
    P, V, _ = _by_hand(df, _fgt_h(c, 500.0, 0), np.ones(len(df), bool), w)
    t = fgt(d, "c", line=500.0, alpha=0.1).tidy().iloc[0]
    q = stats.t.ppf(0.95, 4)
    np.testing.assert_allclose([t["conf_low"], t["conf_high"]],
                               [P - q * V ** .5, P + q * V ** .5], rtol=1e-9)
    tn = fgt(d, "c", line=500.0, df="normal").tidy().iloc[0]
    assert tn["df"] == np.inf
    qn = stats.norm.ppf(0.975)
    np.testing.assert_allclose([tn["conf_low"], tn["conf_high"]],
                               [P - qn * V ** .5, P + qn * V ** .5], rtol=1e-9)
    np.testing.assert_allclose(tn["p_value"], 2 * stats.norm.sf(P / V ** .5), rtol=1e-9)
    Pw, Vw, _ = _by_hand(df, _fgt_h(c, 500.0, 0, weak=True), np.ones(len(df), bool), w)
    rw = fgt(d, "c", line=500.0, line_rule="weak")
    np.testing.assert_allclose(rw.estimates.values[0], Pw, rtol=1e-12)
    np.testing.assert_allclose(rw.std_errors.values[0], Vw ** .5, rtol=1e-9)
    assert Pw > P
    assert rw.provenance.options["poor"] == "y <= line"
    sub = df["c"].to_numpy() > 300
    Ps, Vs, _ = _by_hand(df, _fgt_h(c, 500.0, 1), sub, w)
    rs = fgt(d, "c", line=500.0, g=1, subset=sub)
    np.testing.assert_allclose(rs.estimates.values[0], Ps, rtol=1e-12)
    np.testing.assert_allclose(rs.std_errors.values[0], Vs ** .5, rtol=1e-9)
    assert rs.provenance.n_used == sub.sum() and rs.provenance.n_input == len(df)
    assert rs.provenance.dropped == {"outside the domain (kept in the design, z=0)":
                                     int((~sub).sum())}


def test_fgt_line_column_and_per_row_array_and_their_descriptions():
    """A line per row (column or array) enters h row by row; the provenance's line is the
    number when all rows share it, else the column's name or 'per-row'."""
    df = _sample()
    z = np.where(df["h"] == 0, 450.0, 600.0)
    d = SurveyDesign(df.assign(z=z, z1=500.0), **SPEC)
    c, w = df["c"].to_numpy(), df["w"].to_numpy()
    poor = c < z
    h = np.where(poor, (z - c) / z, 0.0) ** 2
    P, V, _ = _by_hand(df, h, np.ones(len(df), bool), w)
    for line, desc in (("z", "z"), (z, "per-row")):
        r = fgt(d, "c", line=line, g=2)
        np.testing.assert_allclose(r.estimates.values[0], P, rtol=1e-12)
        np.testing.assert_allclose(r.std_errors.values[0], V ** .5, rtol=1e-9)
        assert r.provenance.options["line"] == desc
    assert fgt(d, "c", line="z1").provenance.options["line"] == 500.0
    assert fgt(d, "c", line=np.full(len(df), 500.0)).provenance.options["line"] == 500.0
    o = fgt(d, "c", line=500.0, g=[0, 2], size="hh").provenance.options
    assert (o["welfare"], o["line"], o["g"], o["size"], o["na_rm"], o["poor"], o["ci"]) == (
        "c", 500.0, [0, 2], "hh", False, "y < line", "wald")
    assert fgt(d, "c", line=500.0, ci="logit").provenance.options["ci"] == "logit"


def test_fgt_exponent_types_and_errors_word_for_word():
    """numpy integer / float exponents are numbers; negative, text or a list with text are
    refused with the standard message; bad options and lines name the parameter."""
    d = SurveyDesign(_sample(), **SPEC)
    ref = fgt(d, "c", line=500.0, g=[0, 1]).estimates.values
    np.testing.assert_array_equal(fgt(d, "c", line=500.0, g=[np.int64(0), np.float64(1)])
                                  .estimates.values, ref)
    np.testing.assert_array_equal(fgt(d, "c", line=500.0, g=np.int64(1)).estimates.values, ref[1:])
    assert fgt(d, "c", line=500.0, g=np.int64(1)).tidy()["term"].tolist() == ["p1"]
    for bad in (-1, [0, -0.5]):
        with pytest.raises(ParameterError) as e:
            fgt(d, "c", line=500.0, g=bad)
        assert str(e.value) == (f"The 'g' parameter of fgt must be a number >= 0 (or a list of "
                                f"them). Got {bad!r} instead.")
    with pytest.raises(ParameterError, match="'g' parameter of fgt must be a number >= 0"):
        fgt(d, "c", line=500.0, g=[0, "1"])
    msgs = {("ci", "x"): "{'wald', 'logit'}", ("df", "t"): "{'design', 'normal'}",
            ("line_rule", "<="): "{'strict', 'weak'}"}
    for (name, val), allowed in msgs.items():
        with pytest.raises(ParameterError) as e:
            fgt(d, "c", line=500.0, **{name: val})
        assert str(e.value) == (f"The '{name}' parameter of fgt must be one of {allowed}. "
                                f"Got {val!r} instead.")
    for bad in (0.0, -3.0, float("nan"), float("inf")):
        with pytest.raises(ParameterError) as e:
            fgt(d, "c", line=bad)
        assert str(e.value) == (f"The 'line' parameter of fgt must be finite and > 0. Got "
                                f"{bad!r} instead.")
    arr = np.full(36, 500.0)
    arr[2] = 0.0
    with pytest.raises(ParameterError, match=r"^The 'line' parameter of fgt must be finite and "
                                             r"> 0\. Got array\("):
        fgt(d, "c", line=arr)
    with pytest.raises(ParameterError) as e:
        fgt(d, "c", line=[500.0, 600.0])
    assert str(e.value) == ("The 'line' parameter of fgt must be a number, a column name, an "
                            "array with one value per row or a RelativeLine. Got shape (2,) "
                            "instead.")
    for rl in (RelativeLine(0.6, 0.0), RelativeLine(0.6, 1.0), RelativeLine(0.0, 0.5)):
        with pytest.raises(ParameterError) as e:
            fgt(d, "c", line=rl)
        assert str(e.value) == ("The 'line' parameter of fgt must be a RelativeLine with share "
                                f"> 0 and quantile in (0, 1). Got {rl!r} instead.")


def test_negative_welfare_message_names_the_column_and_count_not_outside_the_domain():
    """Negative consumption inside the domain is refused with table, column, count and fix;
    outside the domain (subset) it is not read."""
    df = _sample()
    df.loc[[2, 7], "c"] = -5.0
    d = SurveyDesign(df, **SPEC)
    for f in (fgt, watts, sst):
        with pytest.raises(DesignError) as e:
            f(d, "c", line=500.0)
        msg = str(e.value)
        assert "'c'" in msg and "must be >= 0" in msg and "2 row" in msg
        assert "consumption cannot be negative; repair the rows." in msg
    with pytest.raises(DesignError, match="must be >= 0"):
        mean_consumption(d, "c")
    ok = df["c"].to_numpy() >= 0
    assert np.isfinite(fgt(d, "c", line=500.0, subset=ok).estimates.values[0])
    assert np.isfinite(mean_consumption(d, "c", subset=ok).estimates.values[0])


def test_fgt_relative_line_value_and_description():
    """RelativeLine(0.6, 0.5): the line is 0.6 x the weighted median (person weights with
    size=), R survey's default quantile rule on the same sample; the provenance gives share,
    quantile and value; P0 is the share of persons below that line."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    r = fgt(d, "c", line=RelativeLine(0.6, 0.5), size="hh")
    desc = r.provenance.options["line"]
    assert desc["relative"] == 0.6 and desc["quantile"] == 0.5
    # the value is 0.6 x a sample value with a weighted CDF crossing 0.5 (a data point)
    c, wp = df["c"].to_numpy(), (df["w"] * df["hh"]).to_numpy()
    o = np.argsort(c)
    cdf = np.cumsum(wp[o]) / wp.sum()
    qv = c[o][np.searchsorted(cdf, 0.5)]
    np.testing.assert_allclose(desc["value"], 0.6 * qv, rtol=1e-12)
    np.testing.assert_allclose(r.estimates.values[0], wp[c < 0.6 * qv].sum() / wp.sum(), rtol=1e-12)
    assert np.isnan(r.tidy()["deff"].iloc[0])


# -- watts, sst, mean_consumption -------------------------------------------------------------
def test_watts_sst_mean_by_group_by_hand():
    """Watts = mean of log(z/y) over the poor (0 else); SST = P1 (1 + Gini of the gap ratios
    x), SE by the product rule (checked against the same linearisation written here with the
    Gini influence function of Deville 1999 / R convey svygini: estimate only); mean = ratio.
    SEs of Watts and the mean are the ultimate-cluster variance of the ratio's scores."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    c, w = df["c"].to_numpy(), df["w"].to_numpy()
    wp = w * df["hh"].to_numpy()
    hW = np.where(c < 500, np.log(500.0 / c), 0.0)
    rw = watts(d, "c", line=500.0, by="grp").tidy()
    rm = mean_consumption(d, "c", size="hh", by="grp").tidy()
    rs = sst(d, "c", line=500.0, by="grp").tidy()
    assert rw["term"].tolist() == ["watts[grp=a]", "watts[grp=b]"]
    assert rm["term"].tolist() == ["mean[grp=a]", "mean[grp=b]"]
    assert rs["term"].tolist() == ["sst[grp=a]", "sst[grp=b]"]
    for i, lab in enumerate(("a", "b")):
        inside = df["grp"].eq(lab).to_numpy()
        P, V, S = _by_hand(df, hW, inside, w)
        np.testing.assert_allclose(rw["estimate"][i], P, rtol=1e-12)
        np.testing.assert_allclose(rw["std_error"][i], V ** .5, rtol=1e-9)
        np.testing.assert_allclose(rw["deff"][i], V / S, rtol=1e-9)
        M, VM, SM = _by_hand(df, c, inside, wp)
        np.testing.assert_allclose(rm["estimate"][i], M, rtol=1e-12)
        np.testing.assert_allclose(rm["std_error"][i], VM ** .5, rtol=1e-9)
        np.testing.assert_allclose(rm["deff"][i], VM / SM, rtol=1e-9)
        x, ww = np.where(c < 500, (500 - c) / 500, 0.0)[inside], w[inside]
        o = np.argsort(x, kind="stable")
        xs, ws = x[o], ww[o]
        cw = np.cumsum(ws)
        gini = (2 * (ws * xs * (cw - ws / 2)).sum() / (ws.sum() * (ws * xs).sum())) - 1
        p1 = (ww * x).sum() / ww.sum()
        np.testing.assert_allclose(rs["estimate"][i], p1 * (1 + gini), rtol=1e-9)
    for r, m in ((watts(d, "c", line=500.0), "watts"), (sst(d, "c", line=500.0), "sst"),
                 (mean_consumption(d, "c"), "mean")):
        assert r.tidy()["term"].tolist() == [m]
    o = watts(d, "c", line=500.0, size="hh").provenance.options
    assert (o["welfare"], o["line"], o["size"]) == ("c", 500.0, "hh")
    o = sst(d, "c", line=500.0, size="hh").provenance.options
    assert (o["welfare"], o["line"], o["size"]) == ("c", 500.0, "hh")
    o = mean_consumption(d, "c", size="hh").provenance.options
    assert (o["welfare"], o["size"]) == ("c", "hh")
    assert watts(d, "c", line=500.0).method == "watts"
    assert sst(d, "c", line=500.0).method == "sst"
    assert mean_consumption(d, "c").method == "mean_consumption"


@pytest.mark.parametrize("f", [watts, sst, mean_consumption])
def test_wrappers_alpha_and_conf_alpha(f):
    """alpha= sets the interval level (t(0.95, 4) at 0.1); conf_alpha= is its deprecated
    name, with the warning naming the function."""
    d = SurveyDesign(_sample(), **SPEC)
    kw = {} if f is mean_consumption else {"line": 500.0}
    r = f(d, "c", alpha=0.1, **kw)
    t = r.tidy().iloc[0]
    q = stats.t.ppf(0.95, 4)
    np.testing.assert_allclose([t["conf_low"], t["conf_high"]],
                               [t["estimate"] - q * t["std_error"],
                                t["estimate"] + q * t["std_error"]], rtol=1e-10)
    assert r.alpha == 0.1
    with pytest.warns(DeprecationWarning, match=f"'conf_alpha' parameter of {f.__name__} is "
                                                "deprecated"):
        old = f(d, "c", conf_alpha=0.1, **kw)
    assert old.alpha == 0.1
    pd.testing.assert_frame_equal(old.tidy(), r.tidy())


def test_watts_relative_line_and_zero_consumption_outside_domain():
    """Watts with zero consumption outside the domain is fine (only the domain's poor are
    read); the relative line's value is the same as fgt's (one quantile rule)."""
    df = _sample()
    df.loc[0, "c"] = 0.0
    d = SurveyDesign(df, **SPEC)
    sub = df["c"].to_numpy() > 0
    c, w = df["c"].to_numpy(), df["w"].to_numpy()
    P, _, _ = _by_hand(df, np.where(c < 500, np.log(500 / np.where(c > 0, c, 1)), 0.0), sub, w)
    np.testing.assert_allclose(watts(d, "c", line=500.0, subset=sub).estimates.values[0], P,
                               rtol=1e-12)
    with pytest.raises(DesignError, match="is 0 for poor units"):
        watts(d, "c", line=500.0)
    d2 = SurveyDesign(_sample(), **SPEC)
    a = watts(d2, "c", line=RelativeLine(0.5, 0.5)).provenance.options["line"]
    b = fgt(d2, "c", line=RelativeLine(0.5, 0.5)).provenance.options["line"]
    assert a == b


# -- profile, profile_table, kecamatan_table --------------------------------------------------
def test_profile_shares_contributions_and_columns():
    """pop_share = group's share of person weights, contribution = share x P(group)/P(all)
    (sums to 1), total rows last with share and contribution 1; no test columns."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    r = profile(d, "c", line=500.0, by="grp", size="hh", g=(0, 2))
    t = r.tidy()
    assert r.method == "profile" and r.provenance.method == "profile"
    assert r.provenance.options["by"] == "grp"
    assert t["group"].tolist() == ["a", "a", "b", "b", "total", "total"]
    assert t["term"].tolist() == ["p0[grp=a]", "p2[grp=a]", "p0[grp=b]", "p2[grp=b]", "p0", "p2"]
    wp = (df["w"] * df["hh"]).to_numpy()
    c = df["c"].to_numpy()
    share = np.array([wp[df["grp"] == g].sum() for g in ("a", "b")]) / wp.sum()
    np.testing.assert_allclose(t["pop_share"], np.r_[np.repeat(share, 2), 1, 1], rtol=1e-12)
    for j, a in enumerate((0, 2)):
        h = _fgt_h(c, 500.0, a)
        tot = (wp * h).sum() / wp.sum()
        for i, g in enumerate(("a", "b")):
            m = df["grp"].eq(g).to_numpy()
            pg = (wp[m] * h[m]).sum() / wp[m].sum()
            np.testing.assert_allclose(t["contribution"][2 * i + j], share[i] * pg / tot,
                                       rtol=1e-12)
    np.testing.assert_allclose(t["contribution"].iloc[4:], 1.0)
    np.testing.assert_allclose(t.groupby("measure")["contribution"].sum(), 2.0, rtol=1e-12)
    # no poor at all: the contribution is undefined (NaN), not 0 or inf
    z = profile(d, "c", line=50.0, by="grp", size="hh", g=(0,)).tidy()
    assert z["contribution"].iloc[:2].isna().all()


def test_profile_table_columns_and_attrs_and_kecamatan_names():
    """profile_table's columns per exponent, n_obs, attrs['by']; kecamatan_table names a
    code from reference.kecamatan, leaves an unknown code as its text and names the total."""
    ref = reference.kecamatan(None)
    codes = ref["kec_kemendagri"].tolist()[:2]
    df = _sample()
    df["kec"] = np.where(df["grp"] == "a", codes[0], codes[1])
    d = SurveyDesign(df, **SPEC)
    tab = profile_table(d, "c", line=500.0, by="kec", size="hh", g=(0, 1), alpha=0.1)
    assert list(tab.columns) == ["group", "pop_share", "n_obs",
                                 "p0", "p0_se", "p0_low", "p0_high", "p0_contribution",
                                 "p1", "p1_se", "p1_low", "p1_high", "p1_contribution"]
    assert tab.attrs["by"] == "kec"
    assert tab["n_obs"].tolist() == [18, 18, 36]
    f = fgt(d, "c", line=500.0, by="kec", size="hh", g=[0, 1], alpha=0.1, total=True).tidy()
    np.testing.assert_allclose(tab[["p0", "p1"]].to_numpy().reshape(-1),
                               np.r_[f["estimate"].iloc[2:], f["estimate"].iloc[:2]])
    np.testing.assert_allclose(tab[["p0_low", "p1_low"]].to_numpy().reshape(-1),
                               np.r_[f["conf_low"].iloc[2:], f["conf_low"].iloc[:2]])
    np.testing.assert_allclose(tab[["p0_high", "p1_high"]].to_numpy().reshape(-1),
                               np.r_[f["conf_high"].iloc[2:], f["conf_high"].iloc[:2]])
    np.testing.assert_allclose(tab[["p0_se", "p1_se"]].to_numpy().reshape(-1),
                               np.r_[f["std_error"].iloc[2:], f["std_error"].iloc[:2]])
    assert tab.iloc[-1][["p0_contribution", "p1_contribution", "pop_share"]].tolist() == [1, 1, 1]
    kt = kecamatan_table(d, "c", line=500.0, by="kec", size="hh")
    names = dict(zip(ref["kec_kemendagri"], ref["kecamatan"], strict=True))
    zones = dict(zip(ref["kec_kemendagri"], ref["zone"], strict=True))
    assert kt["kecamatan"].tolist() == [names[codes[0]], names[codes[1]], "Total"]
    assert kt["zone"].tolist() == [zones[codes[0]], zones[codes[1]], ""]
    assert kt["households_sampled"].tolist() == [18, 18, 36]
    df["kec"] = np.where(df["grp"] == "a", "X1", "X2")
    kt2 = kecamatan_table(SurveyDesign(df, **SPEC), "c", line=500.0, by="kec", size="hh")
    assert kt2["kecamatan"].tolist() == ["X1", "X2", "Total"]
    assert kt2["zone"].tolist() == ["", "", ""]


# -- change -----------------------------------------------------------------------------------
def _two_waves() -> pd.DataFrame:
    """Wave a: PSUs 0..5; wave b: PSUs 2..7 (2..5 common; 6, 7 new), strata psu % 2."""
    a = _sample(21)
    b = _sample(22)
    b["psu"] = b["psu"] + 2
    b["h"] = b["psu"] % 2
    return pd.concat([a.assign(year=2023), b.assign(year=2024)], ignore_index=True)


def test_change_partial_overlap_covariance_by_hand():
    """Kish (1965) 12.4: Cov = sum_h n_c/(n_c-1) sum_{j common} (t^a_j - mean_a)(t^b_j -
    mean_b) over the PSUs in both waves, t the PSU totals of each wave's linearised P0 scores;
    V(change) = Va + Vb - 2 Cov; df = min of the waves' df; n_obs of the change = both."""
    both = _two_waves()
    r = change(both, "c", line=500.0, years=(2023, 2024), design=SPEC, size=None, g=1)
    t = r.tidy()
    assert t["term"].tolist() == ["p1_2023", "p1_2024", "change"]
    assert t["measure"].tolist() == ["p1_2023", "p1_2024", "change"]
    tots, Ps, Vs = [], [], []
    for yr in (2023, 2024):
        df = both[both["year"] == yr].reset_index(drop=True)
        c, w = df["c"].to_numpy(), df["w"].to_numpy()
        h = _fgt_h(c, 500.0, 1)
        N = w.sum()
        P = (w * h).sum() / N
        z = w * (h - P) / N
        ids = sorted(df["psu"].unique())
        tp = {j: z[df["psu"].to_numpy() == j].sum() for j in ids}
        tots.append(tp)
        Ps.append(P)
        Vs.append(_uc_var(np.array([tp[j] for j in ids]), np.array(ids) % 2))
    cov = 0.0
    for hh in (0, 1):
        com = [j for j in range(2, 6) if j % 2 == hh]
        ta = np.array([tots[0][j] for j in com])
        tb = np.array([tots[1][j] for j in com])
        cov += len(com) / (len(com) - 1) * ((ta - ta.mean()) * (tb - tb.mean())).sum()
    np.testing.assert_allclose(t["estimate"], [Ps[0], Ps[1], Ps[1] - Ps[0]], rtol=1e-12)
    np.testing.assert_allclose(r.extras["covariance"], [cov], rtol=1e-9)
    np.testing.assert_allclose(r.extras["correlation"], [cov / np.sqrt(Vs[0] * Vs[1])],
                               rtol=1e-9)
    np.testing.assert_allclose(t["std_error"],
                               np.sqrt([Vs[0], Vs[1], Vs[0] + Vs[1] - 2 * cov]), rtol=1e-9)
    assert t["n_obs"].tolist() == [36, 36, 72]
    assert t["df"].tolist() == [4, 4, 4]
    assert r.extras["common_psus"] == 4
    o = r.provenance.options
    assert (o["welfare"], o["g"], o["years"], o["size"], o["by"], o["common_psus"]) == (
        "c", 1, [2023, 2024], None, None, 4)
    assert o["covariance"] == "Kish (1965) overlapping PSU samples"
    assert r.provenance.method == "poverty_change" and r.method == "poverty_change"
    assert r.provenance.n_used == 72 and r.provenance.dropped == {
        "years other than 2023, 2024": 0}
    # one common PSU per stratum: no covariance (n_c < 2)
    one = both[~((both["year"] == 2024) & both["psu"].isin([2, 3]))]
    r1 = change(one, "c", line=500.0, years=(2023, 2024), design=SPEC, size=None, g=1)
    assert r1.extras["common_psus"] == 2
    np.testing.assert_array_equal(r1.extras["covariance"], [0.0])


def test_change_by_group_and_dict_line_and_weak_rule():
    """by=: terms per group, group column repeated three times; a dict line per year; the
    weak rule counts units on the line (P0 by hand, FGT 1984)."""
    both = _two_waves()
    both.loc[both.index[5], "c"] = 400.0
    r = change(both, "c", line={2023: 500.0, 2024: 400.0}, years=(2023, 2024), design=SPEC,
               size="hh", by="grp", line_rule="weak")
    t = r.tidy()
    assert t["term"].tolist() == [f"{m}[grp={g}]" for g in ("a", "b")
                                  for m in ("p0_2023", "p0_2024", "change")]
    assert t["group"].tolist() == ["a"] * 3 + ["b"] * 3
    for i, g in enumerate(("a", "b")):
        ests = []
        for yr, z in ((2023, 500.0), (2024, 400.0)):
            df = both[(both["year"] == yr) & (both["grp"] == g)]
            wp = (df["w"] * df["hh"]).to_numpy()
            ests.append((wp * (df["c"].to_numpy() <= z)).sum() / wp.sum())
        np.testing.assert_allclose(t["estimate"].iloc[3 * i:3 * i + 3],
                                   [ests[0], ests[1], ests[1] - ests[0]], rtol=1e-12)
    with pytest.raises(ParameterError) as e:
        change(both, "c", line={2023: 500.0}, years=(2023, 2024), design=SPEC, size="hh")
    assert str(e.value) == ("The 'line' parameter of change must give a line for years 2023 and "
                            "2024. Got {2023: 500.0} instead.")
    with pytest.raises(DesignError) as e:
        change(both, "c", line=500.0, years=(2023, 2025), design=SPEC, size="hh")
    assert str(e.value) == ("change: the table has no rows for year 2025 (column 'year'). "
                            "Fix: pass two years present in the survey.")
    with pytest.raises(ParameterError) as e:
        change(both, "c", line=RelativeLine(), years=(2023, 2024), design=SPEC)
    assert str(e.value) == ("The 'line' parameter of change must be absolute (number, dict "
                            "year->line or column). Got a RelativeLine instead.")
    with pytest.raises(ParameterError) as e:
        change(both, "c", line=500.0, years=(2023, 2024), design=SPEC, line_rule="x")
    assert str(e.value) == ("The 'line_rule' parameter of change must be one of {'strict', "
                            "'weak'}. Got 'x' instead.")


def test_change_design_forms_and_their_messages():
    """design= as a SurveyDesign of the pooled table, as a mapping or as the old keywords give
    the same result; the wrong combinations are refused word for word."""
    both = _two_waves()
    ref = change(both, "c", line=500.0, years=(2023, 2024), design=SPEC, size="hh").tidy()
    sd = SurveyDesign(both, **SPEC)
    pd.testing.assert_frame_equal(change(sd, "c", line=500.0, years=(2023, 2024),
                                         size="hh").tidy(), ref)
    pd.testing.assert_frame_equal(change(both, "c", line=500.0, years=(2023, 2024),
                                         design=sd, size="hh").tidy(), ref)
    with pytest.raises(ParameterError) as e:
        change(sd, "c", line=500.0, years=(2023, 2024), design=SPEC, size="hh")
    assert str(e.value) == ("The 'design' parameter of change must be None when 'data' is a "
                            "SurveyDesign. Got dict instead.")
    with pytest.raises(ParameterError) as e:
        change(both.to_dict(), "c", line=500.0, years=(2023, 2024), design=SPEC, size="hh")
    assert str(e.value) == ("The 'data' parameter of change must be a DataFrame or a "
                            "SurveyDesign. Got dict instead.")
    with pytest.raises(ParameterError) as e:
        change(both, "c", line=500.0, years=(2023, 2024), design=SPEC, weight="w", psu="psu")
    assert str(e.value) == ("The 'design' parameter of change replaces ['psu', 'weight']; give "
                            "one or the other. Got both instead.")
    with pytest.raises(ParameterError) as e:
        change(both, "c", line=500.0, years=(2023, 2024), design=["w"])
    assert str(e.value) == ("The 'design' parameter of change must be a SurveyDesign or a "
                            "mapping of SurveyDesign options. Got list instead.")
    old = both.rename(columns={"w": "weight", "h": "stratum"})
    with pytest.warns(DeprecationWarning) as rec:
        dep = change(old, "c", line=500.0, years=(2023, 2024), lonely_psu="fail", size="hh")
    assert [str(x.message) for x in rec] == [
        "Passing the design of change as weight=/strata=/psu=/lonely_psu= (or not at all, "
        "meaning weight='weight', strata='stratum', psu='psu') is deprecated and will be removed "
        "in the next release; use design={'weight': ..., 'strata': ..., 'psu': ..., "
        "'lonely_psu': ...} or a SurveyDesign."]
    np.testing.assert_allclose(dep.tidy()["estimate"], ref["estimate"], rtol=1e-12)
    # nest is not in the old keywords: PSU ids 0..7 are unique anyway, so the SEs agree
    np.testing.assert_allclose(dep.tidy()["std_error"], ref["std_error"], rtol=1e-12)


def test_change_without_strata_or_psu_columns():
    """No strata: one stratum 'all'. No PSU column: each household is its own PSU; they are
    matched across waves by the design's id_column (Kish formula with one stratum over the
    households in both waves, computed here), never by row order: without id_column (or with
    repeated ids) the waves are independent samples (covariance 0), and reordering the rows
    of a wave changes nothing. REAL BUG fixed in session 11: households were matched by row
    number, so the change's SE depended on the row order."""
    both = _two_waves()
    n = 36
    both["hid"] = np.r_[np.arange(n), (np.arange(n) + 5) % n]    # a panel, rows in another order
    za = []
    for yr in (2023, 2024):
        df = both[both["year"] == yr].sort_values("hid")
        c, w = df["c"].to_numpy(), df["w"].to_numpy()
        h = (c < 500).astype(float)
        P = (w * h).sum() / w.sum()
        za.append(w * (h - P) / w.sum())
    cov = n / (n - 1) * ((za[0] - za[0].mean()) * (za[1] - za[1].mean())).sum()
    perm = both.copy()
    perm.iloc[n:] = perm.iloc[n:].iloc[np.random.default_rng(0).permutation(n)].to_numpy()
    for tab in (both, perm):
        r = change(tab, "c", line=500.0, years=(2023, 2024), design={"weight": "w",
                                                                    "id_column": "hid"},
                   size=None)
        assert r.extras["common_psus"] == n
        np.testing.assert_allclose(r.extras["covariance"], [cov], rtol=1e-9)
        r0 = change(tab, "c", line=500.0, years=(2023, 2024), design={"weight": "w"}, size=None)
        assert r0.extras["common_psus"] == 0
        np.testing.assert_array_equal(r0.extras["covariance"], [0.0])
        t0 = r0.tidy()
        np.testing.assert_allclose(t0["std_error"].iloc[2] ** 2,
                                   t0["std_error"].iloc[0] ** 2 + t0["std_error"].iloc[1] ** 2,
                                   rtol=1e-12)
    dup = both.assign(hid=both["hid"] // 2)
    r2 = change(dup, "c", line=500.0, years=(2023, 2024), design={"weight": "w",
                                                                 "id_column": "hid"}, size=None)
    assert r2.extras["common_psus"] == 0
    rs = change(both, "c", line=500.0, years=(2023, 2024), design={"weight": "w", "psu": "psu"},
                size=None)
    assert rs.extras["common_psus"] == 4


# -- lines, incidence curve, plot -------------------------------------------------------------
def test_poverty_lines_years_filter_and_line_for_kind():
    """poverty_lines(years=) keeps those years only (all years without it); line_for reads
    the kind asked for (reference.poverty_line)."""
    from kassaki_eval.poverty import line_for, poverty_lines
    allx = poverty_lines()
    assert len(allx) == len(reference.poverty_lines(None))
    one = poverty_lines(years=[2023])
    assert set(one["year"]) == {2023} and len(one) == (allx["year"] == 2023).sum()
    df = pd.DataFrame({"yr": [2024, 2023]})
    np.testing.assert_array_equal(line_for(df, year="yr", kind="extreme"),
                                  [reference.poverty_line(2024, kind="extreme"),
                                   reference.poverty_line(2023, kind="extreme")])
    assert line_for(df, year="yr").dtype == float


def test_incidence_curve_terms_lines_by_and_values():
    """One fgt per line: terms p0[line=z] (p0[grp=..][line=z] with by=), the line column, the
    fgt numbers; provenance lists the lines."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    r = incidence_curve(d, "c", lines=[400, 500.5], by="grp", size="hh", line_rule="weak",
                        alpha=0.1)
    t = r.tidy()
    assert t["term"].tolist() == ["p0[grp=a][line=400]", "p0[grp=b][line=400]",
                                  "p0[grp=a][line=500.5]", "p0[grp=b][line=500.5]"]
    assert t["line"].tolist() == [400.0, 400.0, 500.5, 500.5]
    assert t["group"].tolist() == ["a", "b", "a", "b"]
    ref = [fgt(d, "c", line=z, by="grp", size="hh", line_rule="weak", alpha=0.1).tidy()
           for z in (400.0, 500.5)]
    np.testing.assert_allclose(t["estimate"], np.r_[ref[0]["estimate"], ref[1]["estimate"]])
    np.testing.assert_allclose(t["std_error"], np.r_[ref[0]["std_error"], ref[1]["std_error"]])
    q = stats.t.ppf(0.95, 4)
    np.testing.assert_allclose(t["conf_low"], t["estimate"] - q * t["std_error"],
                               rtol=1e-10)
    assert r.alpha == 0.1 and r.method == "incidence_curve"
    assert r.provenance.options["line"] == [400.0, 500.5]
    assert r.provenance.options["size"] == "hh"
    with pytest.warns(DeprecationWarning, match="'conf_alpha' parameter of incidence_curve"):
        old = incidence_curve(d, "c", lines=[400], conf_alpha=0.1)
    assert old.alpha == 0.1


def test_plot_incidence_curve_axes_band_marks_and_given_ax():
    """The plot draws 100 x p0 against the line, a band from the interval, dashed grey marks
    with their labels, axis labels and the default title; an ax given is drawn on."""
    import matplotlib
    import matplotlib.pyplot as plt
    matplotlib.use("Agg", force=False)
    d = SurveyDesign(_sample(), **SPEC)
    cur = incidence_curve(d, "c", lines=[300.0, 500.0, 700.0])
    t = cur.tidy()
    fig = plot_incidence_curve(cur, marks={"line": 500.0})
    ax = fig.axes[0]
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, [300, 500, 700])
    np.testing.assert_allclose(y, 100 * t["estimate"], rtol=1e-12)
    assert ax.get_legend() is None
    band = ax.collections[0]
    verts = band.get_paths()[0].vertices
    np.testing.assert_allclose(verts[:, 1].max(), 100 * t["conf_high"].max(), rtol=1e-12)
    np.testing.assert_allclose(verts[:, 1].min(), 100 * t["conf_low"].min(), rtol=1e-12)
    assert band.get_alpha() == 0.2
    mark = ax.lines[1]
    assert list(mark.get_xdata()) == [500.0, 500.0]
    assert mark.get_linestyle() == "--" and mark.get_color() == "grey"
    assert mark.get_linewidth() == 1
    txt = ax.texts[0]
    assert txt.get_text() == " line" and txt.get_rotation() == 90 and txt.get_fontsize() == 8
    assert txt.get_va() == "top"
    np.testing.assert_allclose(txt.get_position(), (500.0, ax.get_ylim()[1] * 0.95 / 1), rtol=0.2)
    assert ax.get_xlabel() == "poverty line (Rp per capita per month)"
    assert ax.get_ylabel() == "headcount P0 (%)"
    assert ax.get_title() == "Poverty incidence curve (95 % CI)"
    assert tuple(fig.get_size_inches()) == (7.0, 4.5)
    plt.close(fig)
    # REAL BUG fixed in session 11: the title said 95 % whatever the curve's alpha
    fig90 = plot_incidence_curve(incidence_curve(d, "c", lines=[300.0, 500.0], alpha=0.1))
    assert fig90.axes[0].get_title() == "Poverty incidence curve (90 % CI)"
    plt.close(fig90)
    fig2, ax2 = plt.subplots()
    out = plot_incidence_curve(t.rename(columns={"estimate": "p0"}), ax=ax2, title="T")
    assert out is fig2 and ax2.get_title() == "T" and len(ax2.lines) == 1
    plt.close(fig2)


def test_warnings_are_not_raised_by_plain_calls():
    """Plain calls raise no warning at all (no deprecation, no numpy 0/0)."""
    d = SurveyDesign(_sample(), **SPEC)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fgt(d, "c", line=500.0, g=[0, 1, 2], by="grp", total=True, ci="logit")
        watts(d, "c", line=RelativeLine())
        profile_table(d, "c", line=500.0, by="grp", size="hh")


def test_fgt_logit_p_values_alpha_and_the_edges():
    """ci='logit' (R svyciprop(method='logit')): P0's interval on the logit scale with
    t(1 - alpha/2, df), other exponents Wald; p-values 2 t.sf(|P/SE|, df) (normal with
    df='normal'); a P0 of exactly 0 keeps the Wald interval (the logit is undefined)."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    for dfm, q, pv in (("design", stats.t.ppf(0.95, 4), lambda s: 2 * stats.t.sf(s, 4)),
                       ("normal", stats.norm.ppf(0.95), lambda s: 2 * stats.norm.sf(s))):
        r = fgt(d, "c", line=500.0, g=[1, 0], ci="logit", alpha=0.1, df=dfm)
        t = r.tidy()
        assert r.alpha == 0.1
        p1, p0 = t.iloc[0], t.iloc[1]
        np.testing.assert_allclose([p1["conf_low"], p1["conf_high"]],
                                   [p1["estimate"] - q * p1["std_error"],
                                    p1["estimate"] + q * p1["std_error"]], rtol=1e-10)
        P, s = p0["estimate"], p0["std_error"]
        L, sl = np.log(P / (1 - P)), s / (P * (1 - P))
        np.testing.assert_allclose([p0["conf_low"], p0["conf_high"]],
                                   [1 / (1 + np.exp(-(L - q * sl))),
                                    1 / (1 + np.exp(-(L + q * sl)))], rtol=1e-10)
        np.testing.assert_allclose(t["p_value"], pv(t["estimate"] / t["std_error"]), rtol=1e-9)
    # nobody poor in group 'b' (everyone there moved 1000 above the line)
    low = df.assign(c=np.where(df["grp"] == "b", df["c"] + 1000.0, df["c"]))
    t0 = fgt(SurveyDesign(low, **SPEC), "c", line=400.0, by="grp", ci="logit").tidy()
    assert t0["estimate"].iloc[1] == 0.0 and t0["std_error"].iloc[1] == 0.0
    assert (t0["conf_low"].iloc[1], t0["conf_high"].iloc[1]) == (0.0, 0.0)


def test_fgt_total_without_by_is_one_row_and_two_stage_mean():
    """total=True without by= adds nothing (one row 'p0'); mean_consumption on a two-stage
    design (fpc2) equals SurveyDesign.mean of the same column (R-checked in test_design.py:
    svymean on apiclus2)."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    r = fgt(d, "c", line=500.0, total=True)
    assert r.tidy()["term"].tolist() == ["p0"]
    pd.testing.assert_frame_equal(r.tidy(), fgt(d, "c", line=500.0).tidy())
    two = df.assign(fpc=10, fpc2=40)
    spec = {**SPEC, "fpc": "fpc", "fpc2": "fpc2"}
    d2 = SurveyDesign(two, **spec)
    a = mean_consumption(d2, "c", size="hh", by="grp").tidy()
    b = d2.mean("c", size="hh", by="grp").tidy()
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-10)
    np.testing.assert_allclose(a["deff"], b["deff"], rtol=1e-10)


def test_negative_and_zero_welfare_messages_word_for_word():
    """The messages name the table, the column (or 'welfare' for an array), the row count,
    a few ids (the design's id_column, else row numbers) and the fix."""
    df = pd.DataFrame({"c": [-1.0, 2, 3, -4], "w": 1.0, "hid": ["a", "b", "c", "d"]})
    d = SurveyDesign(df, weight="w")
    with pytest.raises(DesignError) as e:
        fgt(d, "c", line=2.5)
    assert str(e.value) == ("survey: column 'c' must be >= 0: 2 rows (e.g. row 0, row 3). Fix: "
                            "consumption cannot be negative; repair the rows.")
    with pytest.raises(DesignError) as e:
        mean_consumption(SurveyDesign(df, weight="w", id_column="hid", table="hh2024"), "c")
    assert str(e.value) == ("hh2024: column 'c' must be >= 0: 2 rows (e.g. a, d). Fix: "
                            "consumption cannot be negative; repair the rows.")
    with pytest.raises(DesignError) as e:
        fgt(d, np.array([-1.0, 2, 3, 4]), line=2.5)
    assert str(e.value) == ("survey: column 'welfare' must be >= 0: 1 row (e.g. row 0). Fix: "
                            "consumption cannot be negative; repair the rows.")
    with pytest.raises(DesignError) as e:
        watts(SurveyDesign(df.assign(c=[0.0, 2, 3, 4]), weight="w"), "c", line=2.5)
    assert str(e.value) == ("survey: column 'c' is 0 for poor units (Watts needs log y): 1 row "
                            "(e.g. row 0). Fix: repair zero consumption or use fgt().")
    # a relative line of an array welfare: every row enters the quantile (median 2 -> line 1.2)
    r = fgt(d, np.array([1.0, 2, 3, 4]), line=RelativeLine(0.6, 0.5))
    assert r.provenance.options["line"]["value"] == pytest.approx(1.2, rel=1e-12)
    assert r.estimates.values[0] == 0.25


# -- seed-21 sample survivors (session 11), by behaviour --------------------------------------
def test_change_alpha_and_its_deprecated_name():
    """change(alpha=0.1): the result's level is 0.1 (intervals t(0.95, df)); conf_alpha= is
    its deprecated name, accepted with the warning. Kills x_change__mutmut_28 (conf_alpha not
    an allowed keyword), _62 (conf_alpha ignored), _455 (alpha not passed to the result)."""
    both = _two_waves()
    r = change(both, "c", line=500.0, years=(2023, 2024), design=SPEC, size="hh", alpha=0.1)
    assert r.alpha == 0.1
    t = r.tidy()
    q = stats.t.ppf(0.95, t["df"].to_numpy(dtype=float))
    np.testing.assert_allclose(t["conf_high"], t["estimate"] + q * t["std_error"], rtol=1e-10)
    with pytest.warns(DeprecationWarning, match="'conf_alpha' parameter of change is deprecated"):
        old = change(both, "c", line=500.0, years=(2023, 2024), design=SPEC, size="hh",
                     conf_alpha=0.1)
    assert old.alpha == 0.1
    pd.testing.assert_frame_equal(old.tidy(), t)


def test_dataframe_with_design_options_and_the_design_message():
    """A DataFrame plus design= options is the same as the SurveyDesign (fgt, mean_consumption,
    watts, sst); a DataFrame without design options is refused naming the function. Kills
    x_fgt__mutmut_124 (owner dropped from the message) and x_mean_consumption__mutmut_26
    (design= options ignored)."""
    df = _sample()
    d = SurveyDesign(df, **SPEC)
    for f, kw in ((fgt, {"line": 500.0}), (mean_consumption, {}), (watts, {"line": 500.0}),
                  (sst, {"line": 500.0})):
        pd.testing.assert_frame_equal(f(df, "c", design=SPEC, **kw).tidy(),
                                      f(d, "c", **kw).tidy())
        with pytest.raises(ParameterError) as e:
            f(df, "c", **kw)
        assert str(e.value) == (f"The 'design' parameter of {f.__name__} must be a SurveyDesign, "
                                "or a dict of SurveyDesign options when 'data' is a DataFrame. "
                                "Got NoneType instead.")


def test_result_methods_and_profile_without_poor_warns_nothing():
    """Each result names its method; a profile with nobody poor gives NaN contributions
    without a numpy 0/0 warning. Kills x_fgt__mutmut_692 (method) and x_profile__mutmut_115
    (the 0/0 warning no longer silenced)."""
    d = SurveyDesign(_sample(), **SPEC)
    assert fgt(d, "c", line=500.0).method == "fgt"
    assert fgt(d, "c", line=500.0, ci="logit").method == "fgt"
    assert fgt(d, "c", line=500.0, by="grp", total=True).method == "fgt"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = profile(d, "c", line=50.0, by="grp", size="hh", g=(0, 1)).tidy()
    assert z["contribution"].iloc[:4].isna().all()


def test_unknown_keyword_names_the_function_as_python_would():
    """An unknown keyword is Python's TypeError naming the function. Kills x_change__mutmut_13
    of the seed-22 sample (the owner dropped: 'None() got ...')."""
    both = _two_waves()
    with pytest.raises(TypeError) as e:
        change(both, "c", line=500.0, years=(2023, 2024), design=SPEC, size="hh", weights="w")
    assert str(e.value) == "change() got an unexpected keyword argument 'weights'"
    with pytest.raises(TypeError) as e:
        fgt(SurveyDesign(_sample(), **SPEC), "c", line=500.0, level=0.9)
    assert str(e.value) == "fgt() got an unexpected keyword argument 'level'"
