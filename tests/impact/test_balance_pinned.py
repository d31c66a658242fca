"""Balance table, plots and trimming table pinned rule by rule (issue 18, session 7).

Every expected value is worked out by hand in the test from the documented formulas:
weighted means and population variances, SMD = (m1 - m0) / sqrt((v1 + v0) / 2) on the
*unadjusted* pooled sd (Austin 2009), variance ratios, and, for the trimming table, a
saturated logit (one binary covariate: the fitted propensity is the treated share of each
cell, e = 1/20 and 50/100) with Crump et al. (2009)'s optimal alpha solved by hand
(1/(a(1-a)) = 8, a = 1/2 - sqrt(1/8)). See docs/MUTATION.md, "impact/balance.py".
"""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from kassaki_eval.exceptions import EstimationWarning, ParameterError  # noqa: E402
from kassaki_eval.impact import (  # noqa: E402
    balance_table, did_2x2, ipw, love_plot, overlap_plot, trimming_table,
)
from kassaki_eval.impact.balance import SMD_THRESHOLD  # noqa: E402


def _small() -> pd.DataFrame:
    return pd.DataFrame({"d": [1, 1, 1, 0, 0, 0, 0], "x": [1.0, 2, 3, 0, 1, 1, 2],
                         "z": [5.0, 5, 5, 5, 5, 5, 5], "w": [1.0, 1, 2, 1, 1, 1, 1]})


def test_unweighted_columns_and_meta_by_hand():
    bt = balance_table(_small(), treatment="d", covariates=["x", "z"])
    t = bt.table.set_index("covariate")
    # x: treated 1,2,3 (mean 2, var 2/3); control 0,1,1,2 (mean 1, var 1/2)
    assert list(bt.table.columns) == ["covariate", "mean_treated", "mean_control", "smd",
                                      "var_ratio"]
    assert t.loc["x", "mean_treated"] == pytest.approx(2.0, abs=1e-15)
    assert t.loc["x", "mean_control"] == pytest.approx(1.0, abs=1e-15)
    assert t.loc["x", "smd"] == pytest.approx(1.0 / np.sqrt((2 / 3 + 1 / 2) / 2), abs=1e-14)
    assert t.loc["x", "var_ratio"] == pytest.approx((2 / 3) / (1 / 2), abs=1e-14)
    # z is constant: no sd, so no SMD (NaN, not inf); 0/0 variance ratio is NaN too
    assert np.isnan(t.loc["z", "smd"]) and np.isnan(t.loc["z", "var_ratio"])
    assert bt.meta == {"n_treated": 3, "n_control": 4, "weights": "none",
                       "smd_denominator": "unadjusted pooled sd sqrt((s1^2+s0^2)/2)"}
    assert bt.max_abs_smd() == bt.max_abs_smd(adjusted=False) == pytest.approx(
        1.0 / np.sqrt(7 / 12), abs=1e-14)  # NaN is skipped


def test_adjusted_columns_and_meta_by_hand():
    df = _small()
    aw = np.array([1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0])
    bt = balance_table(df, treatment="d", covariates=["x"], weights="w", adjusted=aw)
    r = bt.table.iloc[0]
    # survey-weighted, unadjusted: treated 1,2,3 with w 1,1,2 -> mean 9/4
    m1 = 9 / 4
    v1 = ((1 - m1) ** 2 + (2 - m1) ** 2 + 2 * (3 - m1) ** 2) / 4
    m0, v0 = 1.0, 0.5
    sd = np.sqrt((v1 + v0) / 2)
    # adjusted weights (they already include the survey weights): treated 1 and 3 with 1, 1
    ma1, va1 = 2.0, 1.0
    # control 0 (x2), 1 (x1), 2 (x1) -> mean 3/4, var (2*(9/16) + 1/16 + 25/16)/4
    ma0 = 3 / 4
    va0 = (2 * (0 - ma0) ** 2 + (1 - ma0) ** 2 + (2 - ma0) ** 2) / 4
    assert list(bt.table.columns) == ["covariate", "mean_treated", "mean_control", "smd",
                                      "var_ratio", "mean_treated_adj", "mean_control_adj",
                                      "smd_adj", "var_ratio_adj"]
    assert r["smd"] == pytest.approx((m1 - m0) / sd, abs=1e-14)
    assert r["mean_treated_adj"] == pytest.approx(ma1, abs=1e-15)
    assert r["mean_control_adj"] == pytest.approx(ma0, abs=1e-15)
    assert r["smd_adj"] == pytest.approx((ma1 - ma0) / sd, abs=1e-14)  # the unadjusted sd
    assert r["var_ratio_adj"] == pytest.approx(va1 / va0, abs=1e-14)
    assert bt.meta == {"n_treated": 3, "n_control": 4, "weights": "w",
                       "smd_denominator": "unadjusted pooled sd sqrt((s1^2+s0^2)/2)",
                       "n_treated_adj": 2, "n_control_adj": 3}
    assert bt.max_abs_smd() == pytest.approx(abs(ma1 - ma0) / sd, abs=1e-14)
    assert bt.max_abs_smd(adjusted=False) == pytest.approx(abs(m1 - m0) / sd, abs=1e-14)


def test_adjusted_from_a_result_uses_its_balance_weights():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=400)})
    df["d"] = (rng.uniform(size=400) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    df["y"] = df["x"] + df["d"]
    r = ipw(df, y="y", treatment="d", covariates=["x"])
    a = balance_table(df, treatment="d", covariates=["x"], adjusted=r)
    b = balance_table(df, treatment="d", covariates=["x"],
                      adjusted=np.asarray(r.extras["balance_weights"]))
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.meta["method"] == r.method and "method" not in b.meta


def test_rows_with_missing_values_are_left_out_of_every_column():
    df = _small()
    df.loc[7] = [1, np.nan, 5.0, 1.0]           # a treated row without x
    aw = np.ones(8)
    bt = balance_table(df, treatment="d", covariates=["x"], adjusted=aw)
    assert bt.meta["n_treated"] == 3 and bt.meta["n_treated_adj"] == 3
    assert bt.table.iloc[0]["mean_treated_adj"] == pytest.approx(2.0, abs=1e-15)


def test_errors_word_for_word():
    df = _small()
    with pytest.raises(ParameterError) as info:
        balance_table(df, treatment="d", covariates=["x"], adjusted=np.ones(3))
    assert str(info.value) == ("The 'adjusted' parameter of balance_table must have one weight "
                               "per row of data (7). Got 3 instead.")
    with pytest.raises(ParameterError) as info:
        balance_table(df, treatment="d", covariates=["x"],
                      adjusted=np.array([0.0, 0, 0, 1, 1, 1, 1]))
    assert str(info.value) == ("The 'adjusted' weights of balance_table give an arm zero total "
                               "weight.")
    with pytest.raises(ParameterError, match="zero total weight"):
        balance_table(df, treatment="d", covariates=["x"],
                      adjusted=np.array([1.0, 1, 1, 0, 0, 0, 0]))
    panel = pd.DataFrame({"g": [0, 0, 1, 1] * 3, "post": [0, 1] * 6,
                          "y": np.arange(12.0) ** 1.5})
    res = did_2x2(panel, y="y", group="g", post="post")
    with pytest.raises(ParameterError) as info:
        balance_table(df, treatment="d", covariates=["x"], adjusted=res)
    assert str(info.value) == ("The 'adjusted' parameter of balance_table must be a result with "
                               "balance weights (matching, ipw, aipw, entropy balancing). Got a "
                               f"'{res.method}' result instead.")
    with pytest.raises(ParameterError) as info:
        overlap_plot(df, treatment="d")
    assert str(info.value) == ("The 'result' parameter of overlap_plot must hold a propensity "
                               "score, or data/treatment/covariates must be given. Got neither "
                               "instead.")


def test_exports(tmp_path):
    bt = balance_table(_small(), treatment="d", covariates=["x"], weights="w")
    assert bt.to_csv(tmp_path / "b.csv") == tmp_path / "b.csv"
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "b.csv"), bt.table, check_dtype=False)
    x = bt.to_excel(tmp_path / "b.xlsx", sheet_name="tabel")
    assert x == tmp_path / "b.xlsx"
    pd.testing.assert_frame_equal(pd.read_excel(x, sheet_name="tabel", engine="openpyxl"), bt.table,
                                  check_dtype=False)
    notes = pd.read_excel(x, sheet_name="notes", engine="openpyxl")
    assert notes.to_dict("list") == {"item": list(bt.meta),
                                     "value": [str(v) for v in bt.meta.values()]}
    tex = bt.to_latex(tmp_path / "b.tex")
    assert (tmp_path / "b.tex").read_text() == tex
    assert " 2.250 & 1.000 & " in tex          # means to three decimals (9/4 and 1)
    rows = [r for r in tex.splitlines() if "&" in r]
    assert rows[0].split("&")[0].strip() == "covariate"   # no index column
    assert rows[1].split("&")[0].strip() == "x"
    assert bt.to_latex() == tex
    assert repr(bt).splitlines()[1].split() == ["x", "2.250", "1.000",
                                                f"{bt.table['smd'].iloc[0]:.3f}",
                                                f"{bt.table['var_ratio'].iloc[0]:.3f}"]
    assert "<td>2.250</td>" in bt._repr_html_()
    t = bt.table
    t.loc[0, "smd"] = 99.0                     # .table is a copy
    assert bt.table.loc[0, "smd"] != 99.0


def test_love_plot_orders_by_smd_and_draws_the_threshold():
    df = _small().assign(v=[0.0, 1, 0, 0, 1, 0, 1])
    aw = np.array([1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0])
    bt = balance_table(df, treatment="d", covariates=["x", "v"], adjusted=aw)
    fig = love_plot(bt)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["v", "x"]  # smallest |SMD| first
    before, after = ax.collections
    sm = bt.table.set_index("covariate")
    np.testing.assert_allclose(before.get_offsets()[:, 0], sm.loc[["v", "x"], "smd"].abs())
    np.testing.assert_allclose(after.get_offsets()[:, 0], sm.loc[["v", "x"], "smd_adj"].abs())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["before", "after"]
    assert ax.get_xlabel() == "|standardised mean difference|"
    assert ax.lines[0].get_xdata()[0] == SMD_THRESHOLD == 0.1
    fig2 = bt.love_plot(threshold=0.25)
    assert fig2.axes[0].lines[0].get_xdata()[0] == 0.25
    unadj = love_plot(balance_table(df, treatment="d", covariates=["x", "v"]))
    assert len(unadj.axes[0].collections) == 1


def test_overlap_plot_from_data_and_from_a_result():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=300)})
    df["d"] = (rng.uniform(size=300) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    df["y"] = df["x"]
    fig = overlap_plot(df, treatment="d", covariates=["x"], bins=10)
    ax = fig.axes[0]
    assert len(ax.patches) == 20               # 10 bins per arm
    heights = np.array([p.get_height() for p in ax.patches])
    assert (heights[:10] >= 0).all() and (heights[10:] <= 0).all()   # comparison mirrored
    # each arm's density integrates to 1 over [0, 1] with bin width 1/10
    assert heights[:10].sum() * 0.1 == pytest.approx(1.0)
    assert -heights[10:].sum() * 0.1 == pytest.approx(1.0)
    assert ax.get_xlabel() == "propensity score"
    assert ax.get_ylabel() == "density (comparison mirrored)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["treated", "comparison"]
    r = ipw(df, y="y", treatment="d", covariates=["x"])
    fig2 = overlap_plot(result=r, bins=10)
    h2 = np.array([p.get_height() for p in fig2.axes[0].patches])
    np.testing.assert_allclose(h2, heights, atol=1e-6)   # the same fitted score


def _cells() -> pd.DataFrame:
    # cell A (x = 0): 20 units, 1 treated -> e = 0.05; cell B (x = 1): 100 units, 50 treated
    d = np.r_[np.ones(1), np.zeros(19), np.ones(50), np.zeros(50)].astype(int)
    x = np.r_[np.zeros(20), np.ones(100)]
    return pd.DataFrame({"d": d, "x": x, "w": np.where(x == 0, 2.0, 1.0)})


def test_trimming_table_by_hand():
    """Saturated logit: e = 0.05 in A, 0.5 in B. Crump: g = 1/(e(1-e)) is 4 (100 units) and
    21.05 (20 units); the fixed point keeps only the 4s (21.05 > 2 x their mean 4 grows no
    mean above 10.53 within 20 more units), gamma = 8, alpha = 1/2 - sqrt(1/4 - 1/8)."""
    t = trimming_table(_cells(), treatment="d", covariates=["x"], weights="w",
                       rules=("crump", "crump_fixed", "minmax", (0.04, 0.06)))
    a = 0.5 - np.sqrt(0.125)
    assert list(t.columns) == ["rule", "bounds", "n_dropped", "n_dropped_treated",
                               "n_dropped_control", "share_dropped"]
    assert t["rule"].tolist() == ["crump", "crump_fixed", "minmax", "fixed"]
    assert t["bounds"].tolist() == [f"crump alpha={a:.4f}", "crump [0.1, 0.9]",
                                    "minmax [0.0500, 0.5000]", "[0.04, 0.06]"]
    assert t["bounds"][0] == "crump alpha=0.1464"
    assert t["n_dropped"].tolist() == [20, 20, 0, 100]
    assert t["n_dropped_treated"].tolist() == [1, 1, 0, 50]
    assert t["n_dropped_control"].tolist() == [19, 19, 0, 50]
    # survey-weighted share: A weighs 20 x 2 = 40 of 140
    np.testing.assert_allclose(t["share_dropped"], [40 / 140, 40 / 140, 0.0, 100 / 140],
                               atol=1e-15)
    default = trimming_table(_cells(), treatment="d", covariates=["x"])
    assert default["rule"].tolist() == ["crump", "crump_fixed", "minmax"]
    assert default["share_dropped"].tolist()[0] == pytest.approx(20 / 120, abs=1e-15)


def test_plot_styles_as_documented():
    """The look the report and the tutorials describe: 'before' hollow red circles (C3),
    'after' filled blue (C0), a grey dashed threshold line of width 1, legend lower right
    without a frame; 6 inches wide and 0.3 inch per covariate + 1.5 high. Overlap plot:
    treated C0 up, comparison C1 down, bars as wide as the bins, 6 x 3.5 inches."""
    from matplotlib.colors import to_rgba
    df = _small().assign(v=[0.0, 1, 0, 0, 1, 0, 1])
    aw = np.array([1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0])
    fig = love_plot(balance_table(df, treatment="d", covariates=["x", "v"], adjusted=aw))
    ax = fig.axes[0]
    before, after = ax.collections
    assert before.get_facecolors().shape[0] == 0 or (before.get_facecolors()[:, 3] == 0).all()
    assert tuple(before.get_edgecolors()[0]) == to_rgba("C3")
    assert tuple(after.get_facecolors()[0]) == to_rgba("C0")
    import matplotlib.pyplot as plt
    circle = plt.figure().subplots().scatter([0], [0], marker="o").get_paths()[0].vertices
    for c in (before, after):                                     # both circles ("o")
        np.testing.assert_array_equal(c.get_paths()[0].vertices, circle)
    line = ax.lines[0]
    assert line.get_linestyle() == "--" and line.get_linewidth() == 1.0
    assert to_rgba(line.get_color()) == to_rgba("grey")
    leg = ax.get_legend()
    assert leg._loc == 4 and not leg.get_frame_on()                # 4 = "lower right"
    assert tuple(fig.get_size_inches()) == pytest.approx((6.0, 0.3 * 2 + 1.5))
    rng = np.random.default_rng(5)
    o = pd.DataFrame({"x": rng.normal(size=200)})
    o["d"] = (rng.uniform(size=200) < 0.5).astype(int)
    fig2 = overlap_plot(o, treatment="d", covariates=["x"], bins=8)
    ax2 = fig2.axes[0]
    assert tuple(fig2.get_size_inches()) == pytest.approx((6.0, 3.5))
    assert {p.get_facecolor() for p in ax2.patches[:8]} == {to_rgba("C0")}
    assert {p.get_facecolor() for p in ax2.patches[8:]} == {to_rgba("C1")}
    assert {round(p.get_width(), 12) for p in ax2.patches} == {0.125}
    assert [p.get_x() + p.get_width() / 2 for p in ax2.patches[:8]] == pytest.approx(
        [0.0625 + 0.125 * k for k in range(8)])
    assert ax2.lines[0].get_ydata()[0] == 0 and ax2.lines[0].get_linewidth() == 0.5
    assert to_rgba(ax2.lines[0].get_color()) == to_rgba("black")
    assert not ax2.get_legend().get_frame_on()
    # an Axes passed in is drawn on, and its Figure returned
    f3, a3 = plt.subplots()
    assert love_plot(balance_table(df, treatment="d", covariates=["x"]), ax=a3) is f3
    assert overlap_plot(o, treatment="d", covariates=["x"], ax=a3) is f3
    # the arms' colours are fixed, not the next ones of the Axes' colour cycle
    f4, a4 = plt.subplots()
    a4.bar([0.5], [1.0])
    overlap_plot(o, treatment="d", covariates=["x"], bins=8, ax=a4)
    assert {p.get_facecolor() for p in a4.patches[1:9]} == {to_rgba("C0")}
    assert {p.get_facecolor() for p in a4.patches[9:]} == {to_rgba("C1")}
    plt.close("all")


def test_messages_name_the_function_called():
    df = _small()
    with pytest.raises(ParameterError) as info:
        balance_table(df, treatment="treated", covariates=["x"])
    assert str(info.value) == ("The 'treatment' parameter of balance_table must name a column "
                               "of data. Got 'treated' instead.")
    # x separates the arms perfectly: the logit's warning names the function that fitted it
    sep = pd.DataFrame({"d": [0, 0, 0, 0, 1, 1, 1, 1], "x": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    for fn in (trimming_table, overlap_plot):
        with pytest.warns(EstimationWarning) as rec:
            fn(sep, treatment="d", covariates=["x"])
        assert [str(w.message).split(":")[0] for w in rec] == [fn.__name__]
        assert "the logit did not converge in 50 Newton steps" in str(rec[0].message)
    import matplotlib.pyplot as plt
    plt.close("all")
