"""curve_points' order of households pinned (issue 18, session 13, seed-21 sample of plots.py).

Source: kassaki_eval/targeting/plots.py, ``curve_points``: households in ascending score
(a stable sort, so ties keep their row order), an unscored household (NaN) counted as a score
of +inf ("unscored households come last"), so it ties with a household scored +inf and keeps
its row order among them. x = cumulative weight share, y = cumulative poor-weight share, both
starting at 0; the numbers below are worked out by hand.
"""
from __future__ import annotations

import numpy as np

from kassaki_eval.targeting.plots import curve_points


def test_unscored_households_rank_as_plus_infinity_in_row_order():
    score = [np.nan, np.inf, 1.0, -np.inf]
    poor = [1, 0, 1, 0]
    w = [1.0, 2.0, 3.0, 4.0]
    x, y = curve_points(score, poor, w)
    # order: row 3 (-inf), row 2 (1.0), then the tie at +inf in row order: row 0 (NaN),
    # row 1 (inf); total weight 10, poor weight 1 + 3 = 4
    np.testing.assert_allclose(x, [0, 4 / 10, 7 / 10, 8 / 10, 10 / 10], rtol=1e-15)
    np.testing.assert_allclose(y, [0, 0, 3 / 4, 4 / 4, 4 / 4], rtol=1e-15)
    # unweighted, an unscored poor household before a scored one in the rows: still last
    x, y = curve_points([np.nan, 2.0, 1.0], [1, 0, 1])
    np.testing.assert_allclose(x, [0, 1 / 3, 2 / 3, 1], rtol=1e-15)
    np.testing.assert_allclose(y, [0, 1 / 2, 1 / 2, 1], rtol=1e-15)
