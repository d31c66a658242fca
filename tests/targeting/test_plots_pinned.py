"""The targeting figures pinned (issue 18, session 9, mutmut survivors of targeting/plots.py).

Every expected value is worked out by hand from the definitions in the module's docstrings on
data of 3-6 rows: the curve is (cumulative weight share, cumulative poor-weight share) over
the households in ascending score order, unscored ones last; the triangle's coverage, incidence
and generosity as defined in ``triangle_indicators`` (Grosh et al. 2022, ch. 7). What a reader
sees (labels, styles, limits, titles, the legend) is pinned as written in the code, since the
report's figures show them. See docs/MUTATION.md, "targeting/plots.py".
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.targeting.plots import (
    curve_points,
    performance_triangle,
    targeting_curve,
    triangle_indicators,
)

# -- curve_points -------------------------------------------------------------------------

def test_curve_points_weights_ties_and_unscored_last():
    # ascending score: row 1 (s=1, w=3, poor), then the tie at s=2 in row order (stable
    # sort): row 0 (w=2, poor) before row 3 (w=1, not poor), then row 2 (no score, w=4,
    # poor) last
    score = [2.0, 1.0, np.nan, 2.0]
    poor = [1, 1, 1, 0]
    w = [2.0, 3.0, 4.0, 1.0]
    x, y = curve_points(score, poor, w)
    # order 1, 0, 3, 2; total weight 10, poor weight 2 + 3 + 4 = 9
    np.testing.assert_allclose(x, [0, 3 / 10, 5 / 10, 6 / 10, 10 / 10], rtol=1e-15)
    np.testing.assert_allclose(y, [0, 3 / 9, 5 / 9, 5 / 9, 9 / 9], rtol=1e-15)
    # without weights every household counts 1
    x, y = curve_points(score, poor)
    np.testing.assert_allclose(x, [0, .25, .5, .75, 1.0], rtol=1e-15)
    np.testing.assert_allclose(y, [0, 1 / 3, 2 / 3, 2 / 3, 1.0], rtol=1e-15)


def test_curve_points_without_poor_is_flat_zero():
    x, y = curve_points([3, 1, 2], [0, 0, 0], [1.0, 1.0, 2.0])
    np.testing.assert_allclose(x, [0, .25, .75, 1.0], rtol=1e-15)
    assert y.tolist() == [0.0, 0.0, 0.0, 0.0] and len(y) == 4


def test_curve_points_boolean_poor_and_text_numbers():
    x, y = curve_points(np.array(["3", "1", "2"]), np.array([True, False, True]))
    np.testing.assert_allclose(y, [0, 0, .5, 1.0], rtol=1e-15)


# -- targeting_curve ----------------------------------------------------------------------

DF = pd.DataFrame({"consumption_pc": [6.0, 8.0, 11.0, 15.0, 21.0, 25.0],
                   "pmt": [7.0, 5.0, 12.0, 20.0, 14.0, 30.0],
                   "weight": [1.0, 1.0, 2.0, 1.0, 1.0, 2.0],
                   "hh_size": [2.0, 1.0, 1.0, 3.0, 1.0, 1.0]})


def test_targeting_curve_lines_styles_and_axes():
    fig = targeting_curve(DF, {"PMT": "pmt"}, poverty_line=15.0)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert tuple(fig.get_size_inches()) == (5.5, 5.0)
    ax = fig.axes[0]
    rule, perfect, rand = ax.get_lines()
    # poor: consumption < 15 (strict: the household at 15 is not poor): rows 0, 1, 2
    # PMT order 1, 0, 2, 4, 3, 5; weights 1, 1, 2, 1, 1, 2 of 8; poor weights 1, 1, 2 of 4
    np.testing.assert_allclose(rule.get_xdata(), np.array([0, 1, 2, 4, 5, 6, 8]) / 8)
    np.testing.assert_allclose(rule.get_ydata(), np.array([0, 1, 2, 4, 4, 4, 4]) / 4)
    assert rule.get_label() == "PMT" and rule.get_linewidth() == 1.6
    # perfect: ordered by consumption itself (rows 0..5)
    np.testing.assert_allclose(perfect.get_xdata(), np.array([0, 1, 2, 4, 5, 6, 8]) / 8)
    np.testing.assert_allclose(perfect.get_ydata(), np.array([0, 1, 2, 4, 4, 4, 4]) / 4)
    assert perfect.get_label() == "perfect (true welfare)"
    assert perfect.get_color() == "black" and perfect.get_linestyle() == "--"
    assert perfect.get_linewidth() == 1
    assert list(rand.get_xdata()) == [0, 1] and list(rand.get_ydata()) == [0, 1]
    assert rand.get_label() == "random" and rand.get_color() == "grey"
    assert rand.get_linestyle() == ":" and rand.get_linewidth() == 1
    assert ax.get_xlabel() == "share of population targeted"
    assert ax.get_ylabel() == "share of the poor covered"
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (0.0, 1.01)
    assert ax.get_title() == "Targeting accuracy"
    leg = ax.get_legend()
    assert [t.get_text() for t in leg.get_texts()] == ["PMT", "perfect (true welfare)", "random"]
    assert leg._loc == 4                          # matplotlib's code of "lower right"
    assert leg.get_texts()[0].get_fontsize() == 8


def test_targeting_curve_person_weights_and_no_weight():
    # size multiplies the weight: person weights 2, 1, 2, 3, 1, 2 of 11; poor 2, 1, 2 of 5
    fig = targeting_curve(DF, {"PMT": "pmt"}, poverty_line=15.0, size="hh_size")
    rule = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(rule.get_xdata(), np.array([0, 1, 3, 5, 6, 9, 11]) / 11)
    np.testing.assert_allclose(rule.get_ydata(), np.array([0, 1, 3, 5, 5, 5, 5]) / 5)
    # weight=None: every household 1
    fig = targeting_curve(DF, {"PMT": DF["pmt"].to_numpy()}, poverty_line=15.0, weight=None)
    rule = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(rule.get_xdata(), np.arange(7) / 6)
    np.testing.assert_allclose(rule.get_ydata(), np.array([0, 1, 2, 3, 3, 3, 3]) / 3)


def test_targeting_curve_draws_on_a_given_axis_and_names_each_rule():
    fig0 = Figure()
    ax = fig0.add_subplot(1, 1, 1)
    fig = targeting_curve(DF, {1: "pmt", "by hand": [1, 2, 3, 4, 5, 6]}, poverty_line=15.0,
                          ax=ax)
    assert fig is fig0
    assert [ln.get_label() for ln in ax.get_lines()] == ["1", "by hand",
                                                        "perfect (true welfare)", "random"]
    plt.close("all")


def test_targeting_curve_needs_a_rule():
    with pytest.raises(ParameterError) as e:
        targeting_curve(DF, {}, poverty_line=15.0)
    assert str(e.value) == ("The 'scores' parameter of targeting_curve must name at least one "
                            "rule. Got {} instead.")


# -- triangle_indicators ------------------------------------------------------------------

def test_triangle_indicators_weighted_by_hand():
    df = pd.DataFrame({"consumption_pc": [10.0, 12.0, 20.0, 30.0],
                       "hh_size": [2.0, 1.0, 3.0, 1.0],
                       "b": [6.0, 0.0, 4.0, 2.0],
                       "weight": [1.0, 3.0, 2.0, 1.0]})
    ind = triangle_indicators(df, benefit="b", poverty_line=20.0)
    # poor (< 20; 20 itself is not): rows 0, 1; person weights 2 and 3
    # coverage: poor persons reached 2 of 5
    # incidence: household-weighted benefit to the poor 6 of 6 + 8 + 2 = 16
    # generosity: poor recipients (row 0): sum wp * b / m = 2 * 3 = 6 over sum wp * y = 20
    assert ind == {"coverage": 2 / 5, "incidence": 6 / 16, "generosity": 6 / 20}
    # without weights: coverage 2 of 3 poor persons, incidence 6 of 12, generosity 6 / 20
    ind = triangle_indicators(df, benefit="b", poverty_line=20.0, weight=None)
    assert ind == {"coverage": 2 / 3, "incidence": 6 / 12, "generosity": 6 / 20}
    # another size column and the welfare column by name
    df2 = df.rename(columns={"hh_size": "art", "consumption_pc": "y"})
    assert triangle_indicators(df2, benefit="b", poverty_line=20.0, size="art",
                               welfare="y") == {"coverage": 2 / 5, "incidence": 6 / 16,
                                                "generosity": 6 / 20}


def test_triangle_generosity_is_nan_without_poor_recipients():
    df = pd.DataFrame({"consumption_pc": [10.0, 30.0], "hh_size": 1.0, "b": [0.0, 5.0],
                       "weight": 1.0})
    ind = triangle_indicators(df, benefit="b", poverty_line=20.0)
    assert ind["coverage"] == 0.0 and ind["incidence"] == 0.0
    assert math.isnan(ind["generosity"])


# -- performance_triangle -----------------------------------------------------------------

def test_performance_triangle_axes_and_closed_polygons():
    ind = {"A": {"coverage": .6, "incidence": .3, "generosity": .1},
           "B": {"generosity": .3, "coverage": .2, "incidence": .7, "extra": 9}}
    fig = performance_triangle(ind)
    assert tuple(fig.get_size_inches()) == (5.5, 5.0)
    ax = fig.axes[0]
    assert ax.name == "polar"
    ang = np.pi / 2 + np.arange(3) * 2 * np.pi / 3      # coverage on top, then anticlockwise
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["A", "B"]
    np.testing.assert_allclose(lines[0].get_xdata(), np.append(ang, ang[0]), rtol=1e-15)
    assert list(lines[0].get_ydata()) == [.6, .3, .1, .6]
    assert list(lines[1].get_ydata()) == [.2, .7, .3, .2]
    assert lines[0].get_linewidth() == 1.6
    fills = ax.patches
    assert len(fills) == 2 and all(p.get_alpha() == 0.15 for p in fills)
    np.testing.assert_allclose(ax.get_xticks(), ang, rtol=1e-15)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["coverage", "incidence",
                                                           "generosity"]
    assert ax.get_ylim() == (0.0, 1.0)
    assert ax.get_title() == "Performance triangle"
    leg = ax.get_legend()
    assert [t.get_text() for t in leg.get_texts()] == ["A", "B"]
    assert leg._loc == 1                          # "upper right"
    assert leg.get_texts()[0].get_fontsize() == 8
    bbox = leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert (round(bbox.x0, 6), round(bbox.y0, 6)) == (1.25, 1.1)


def test_performance_triangle_on_a_given_axis():
    fig0 = Figure()
    ax = fig0.add_subplot(1, 1, 1, projection="polar")
    assert performance_triangle({"A": {"coverage": 1, "incidence": 1, "generosity": 1}},
                                ax=ax) is fig0
    assert len(fig0.axes) == 1 and [ln.get_label() for ln in ax.get_lines()] == ["A"]


def test_performance_triangle_errors_word_for_word():
    with pytest.raises(ParameterError) as e:
        performance_triangle({})
    assert str(e.value) == ("The 'indicators' parameter of performance_triangle must hold at "
                            "least one programme. Got {} instead.")
    with pytest.raises(ParameterError) as e:
        performance_triangle({"A": {"coverage": .5, "incidence": .5}})
    assert str(e.value) == ("The 'indicators' parameter of performance_triangle must give "
                            "['coverage', 'incidence', 'generosity'] for each programme. Got "
                            "['coverage', 'incidence'] for 'A' instead.")


# -- second round (survivors of the first) ------------------------------------------------

def test_curve_points_poor_weight_below_one():
    # one poor household of weight 0.5 (poor weight 0 < 0.5 < 1): the curve still rises to 1
    x, y = curve_points([2, 1], [1, 0], [0.5, 0.25])
    np.testing.assert_allclose(x, [0, 1 / 3, 1.0], rtol=1e-15)
    assert y.tolist() == [0.0, 0.0, 1.0]


def test_each_figure_is_one_full_size_panel():
    fig = targeting_curve(DF, {"PMT": "pmt"}, poverty_line=15.0)
    assert fig.axes[0].get_subplotspec().get_geometry() == (1, 1, 0, 0)
    fig = performance_triangle({"A": {"coverage": .5, "incidence": .5, "generosity": .5}})
    assert fig.axes[0].get_subplotspec().get_geometry() == (1, 1, 0, 0)


def test_triangle_fill_is_closed_and_a_programme_reaching_nobody_starts_at_zero():
    ang = np.pi / 2 + np.arange(3) * 2 * np.pi / 3
    fig = performance_triangle({"none": {"coverage": 0, "incidence": 0, "generosity": 0},
                                "A": {"coverage": .6, "incidence": .3, "generosity": .1}})
    ax = fig.axes[0]
    # the radial axis starts at 0 even when every value is 0 (autoscaling would go below)
    assert ax.get_ylim() == (0.0, 1.0)
    only = performance_triangle({"none": {"coverage": 0, "incidence": 0, "generosity": 0}})
    assert only.axes[0].get_ylim() == (0.0, 1.0)
    xy = ax.patches[1].get_xy()
    np.testing.assert_allclose(xy[:, 0], np.append(ang, ang[0]), rtol=1e-15)
    assert xy[:, 1].tolist() == [.6, .3, .1, .6]


@pytest.mark.parametrize("kw, what", [
    ({"welfare": "nope"}, "welfare"), ({"size": "nope"}, "size"),
    ({"weight": "nope"}, "weight")])
def test_targeting_curve_missing_columns_name_the_argument(kw, what):
    from kassaki_eval.exceptions import SchemaError
    with pytest.raises(SchemaError) as e:
        targeting_curve(DF, {"PMT": "pmt"}, poverty_line=15.0, **kw)
    assert f"pass the column holding the {what}, or its name with {what}=" in str(e.value)


@pytest.mark.parametrize("kw, what", [
    ({"welfare": "nope"}, "welfare"), ({"size": "nope"}, "size"),
    ({"benefit": "nope"}, "benefit"), ({"weight": "nope"}, "weight")])
def test_triangle_indicators_missing_columns_name_the_argument(kw, what):
    from kassaki_eval.exceptions import SchemaError
    df = DF.assign(b=1.0)
    with pytest.raises(SchemaError) as e:
        triangle_indicators(df, **{"benefit": "b", "poverty_line": 15.0, **kw})
    assert f"pass the column holding the {what}, or its name with {what}=" in str(e.value)
