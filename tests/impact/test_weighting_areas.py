"""weighting.py: behaviour areas found open by the seed-23 sample (issue 18, session 12).

- ``propensity_score``'s input errors name ``propensity_score`` (the message texts are
  ``impact/_common.prepare``'s, written out word for word here);
- entropy balancing's dual solver: on a well-posed problem (continuous covariates inside the
  comparison units' hull) it finishes without any warning (an unknown or misspelt solver
  option makes scipy warn) and the balancing weights match the target means to 1e-9
  (Hainmueller 2012, eq. 4: the first moments are matched exactly).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact import entropy_balancing, propensity_score


def _df() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 120
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 3, n)
    d = (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.6 * x1 - 0.3 * x2 + 0.2)))).astype(int)
    y = 1 + x1 + 0.5 * x2 + d + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": y, "w": rng.uniform(0.5, 2, n)})


def test_propensity_score_input_errors_name_the_function():
    df = _df()
    cases = [
        (dict(data=df.to_numpy()), "The 'data' parameter of propensity_score must be a pandas "
                                   "DataFrame. Got ndarray instead."),
        (dict(treatment="nope"), "The 'treatment' parameter of propensity_score must name a "
                                 "column of data. Got 'nope' instead."),
        (dict(weights="nope"), "The 'weights' parameter of propensity_score must name a column "
                               "of data. Got 'nope' instead."),
        (dict(covariates=["x1", "zz"]), "The 'covariates' parameter of propensity_score must "
                                        "name columns of data. Got ['zz'] instead (not in "
                                        "data)."),
    ]
    for over, msg in cases:
        kw = {"data": df, "treatment": "d", "covariates": ["x1", "x2"], **over}
        data = kw.pop("data")
        with pytest.raises(ParameterError) as ei:
            propensity_score(data, **kw)
        assert str(ei.value) == msg


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_entropy_balancing_solver_is_quiet_and_balances_exactly(estimand):
    """Target: the survey-weighted treated means (ATT) or full-sample means (ATE) of x1, x2;
    the balance weights of each balanced arm, normalised, reproduce them (numpy average)."""
    df = _df()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = entropy_balancing(df, y="y", treatment="d", covariates=["x1", "x2"], weights="w",
                              estimand=estimand)
    X, d, w = df[["x1", "x2"]].to_numpy(), df["d"].to_numpy() == 1, df["w"].to_numpy()
    bw = r.extras["balance_weights"]
    if estimand == "ATT":
        target = np.average(X[d], axis=0, weights=w[d])
        arms = [~d]
    else:
        target = np.average(X, axis=0, weights=w)
        arms = [d, ~d]
    for arm in arms:
        np.testing.assert_allclose(np.average(X[arm], axis=0, weights=bw[arm]), target,
                                   rtol=0, atol=1e-9)
