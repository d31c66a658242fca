"""impact/balance.py: behaviour areas left open by the seed-21 sample (issue 18, session 13).

- adjusted weights are scale-free: any positive arm total is accepted (only a zero total is an
  error), and weights summing to 1 give the same table as the same weights times 4;
- the love plot's "after" dots are blue circles ("o", "C0") also on an Axes the caller already
  drew on and under a style that changes the default scatter marker;
- every function's column errors name the function called (``prepare``'s owner).

Expected values: the by-hand numbers of test_balance_pinned.py's
``test_adjusted_columns_and_meta_by_hand`` (same data, adjusted weights divided by 4).
"""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from test_balance_pinned import _small  # noqa: E402  (same directory: pytest prepends it)

from kassaki_eval.exceptions import ParameterError  # noqa: E402
from kassaki_eval.impact import (  # noqa: E402
    balance_table,
    love_plot,
    overlap_plot,
    trimming_table,
)

AW = np.array([1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0])


def test_adjusted_weights_with_small_arm_totals_are_accepted_and_scale_free():
    """AW / 4: treated total 2/4 = 0.5, control total 4/4 = 1 (both positive, neither above
    1): no error, and the means by hand of the pinned test: treated 1 and 3 with equal
    weights -> 2; control 0 (x2), 1, 2 -> 3/4; counts of positive weights 2 and 3."""
    df = _small()
    small = balance_table(df, treatment="d", covariates=["x"], weights="w", adjusted=AW / 4)
    big = balance_table(df, treatment="d", covariates=["x"], weights="w", adjusted=AW)
    r = small.table.iloc[0]
    assert r["mean_treated_adj"] == pytest.approx(2.0, abs=1e-15)
    assert r["mean_control_adj"] == pytest.approx(0.75, abs=1e-15)
    assert small.meta["n_treated_adj"] == 2 and small.meta["n_control_adj"] == 3
    np.testing.assert_allclose(small.table.drop(columns="covariate").to_numpy(float),
                               big.table.drop(columns="covariate").to_numpy(float),
                               rtol=1e-14)
    # one arm's total tiny but positive (control 1e-9 each): still a table
    tiny = np.where(df["d"] == 1, AW, AW * 1e-9)
    t = balance_table(df, treatment="d", covariates=["x"], adjusted=tiny).table.iloc[0]
    assert t["mean_control_adj"] == pytest.approx(0.75, abs=1e-12)


def test_love_plot_after_dots_are_blue_circles_on_a_used_axes_and_any_style():
    """On an Axes that already holds a scatter (the next colour of its cycle is C1, not C0) and
    under ``scatter.marker = 's'``: 'before' and 'after' are still circles, 'after' still C0."""
    bt = balance_table(_small().assign(v=[0.0, 1, 0, 0, 1, 0, 1]), treatment="d",
                       covariates=["x", "v"], adjusted=AW)
    circle = plt.figure().subplots().scatter([0], [0], marker="o").get_paths()[0].vertices
    with matplotlib.rc_context({"scatter.marker": "s"}):
        fig, ax = plt.subplots()
        ax.scatter([0.5], [0.5])                 # the caller's own dots first
        assert love_plot(bt, ax=ax) is fig
        _, before, after = ax.collections
        assert tuple(after.get_facecolors()[0]) == to_rgba("C0")
        for c in (before, after):
            np.testing.assert_array_equal(c.get_paths()[0].vertices, circle)
    plt.close("all")


@pytest.mark.parametrize("fn", [balance_table, trimming_table, overlap_plot])
def test_column_errors_name_the_function_called(fn):
    with pytest.raises(ParameterError) as info:
        fn(_small(), treatment="treated", covariates=["x"])
    assert str(info.value) == (f"The 'treatment' parameter of {fn.__name__} must name a column "
                               "of data. Got 'treated' instead.")
    with pytest.raises(ParameterError) as info:
        fn(_small(), treatment="d", covariates=["x", "age"])
    assert str(info.value) == (f"The 'covariates' parameter of {fn.__name__} must name "
                               "columns of data. Got ['age'] instead (not in data).")
    plt.close("all")
