"""Figures return matplotlib Figures built from the right numbers."""
from __future__ import annotations

import numpy as np
import pytest
import pandas as pd
from matplotlib.figure import Figure

from kassaki_eval.targeting import curve_points, performance_triangle, targeting_curve, triangle_indicators


def test_targeting_curve_points_and_figure(toy_survey):
    # perfect ranking covers every poor person once the poor share is targeted
    x, y = curve_points([1, 2, 3, 4, 5], [1, 1, 0, 0, 0])
    assert x.tolist() == [0, .2, .4, .6, .8, 1.0]
    assert y.tolist() == [0, .5, 1, 1, 1, 1]
    fig = targeting_curve(toy_survey, {"log consumption + noise": np.log(toy_survey.consumption_pc)
                                       + np.random.default_rng(0).normal(0, .3, len(toy_survey))},
                          poverty_line=420_000)
    assert isinstance(fig, Figure)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3  # the rule, perfect, random
    yv = lines[0].get_ydata()
    assert np.all(np.diff(yv) >= 0) and yv[-1] == pytest.approx(1.0)


def test_performance_triangle():
    df = pd.DataFrame({"consumption_pc": [10, 10, 30, 40], "hh_size": [1, 2, 1, 1],
                       "b": [5, 0, 5, 0], "weight": 1.0})
    ind = triangle_indicators(df, benefit="b", poverty_line=20)
    # poor persons: 1 + 2 = 3, covered 1 -> 1/3; benefits to poor 5 of 10; generosity 5 / 10
    assert ind == {"coverage": 1 / 3, "incidence": 0.5, "generosity": 0.5}
    fig = performance_triangle({"A": ind, "B": {"coverage": .2, "incidence": .9, "generosity": .3}})
    assert isinstance(fig, Figure) and fig.axes[0].name == "polar"
