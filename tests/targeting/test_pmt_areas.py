"""Behaviour areas of targeting/pmt.py left open by the fresh seed-21 sample (session 12).

Small hand-made tables (six to eight households), so the file runs in seconds: the k-fold
bounds of validate_pmt (n_splits equal to the number of rows is leave-one-out), its inputs hash
(covariates, y and the weights), the poverty-line quantile of QuantilePMT (households strictly
below the line, weighted), and scoring after a fit that failed half-way (not fitted, in the
package's words).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import NotFittedError, ParameterError
from kassaki_eval.results import hash_frame
from kassaki_eval.targeting import OLSPMT, QuantilePMT, validate_pmt


def _xy(n: int = 8) -> tuple[pd.DataFrame, np.ndarray]:
    x = np.arange(1.0, n + 1)
    X = pd.DataFrame({"x": x})
    y = 12.0 + 0.1 * x + np.array([0.3, -0.2, 0.1, 0.0, -0.4, 0.2, 0.05, -0.1])[:n]
    return X, y


def test_kfold_n_splits_up_to_the_number_of_rows_is_leave_one_out():
    """n_splits = 8 on 8 rows: 8 folds of one row; the pooled out-of-fold rmse equals the
    leave-one-out OLS residuals (numpy lstsq without row i, by hand). 9 folds: the error."""
    X, y = _xy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # r2 of a one-row fold is 0/0
        res = validate_pmt(OLSPMT(features=["x"], log_features=[]), X, y, n_splits=8)
    t = res.tidy()
    assert sorted(set(t["fold"]) - {"all"}, key=int) == [str(k) for k in range(1, 9)]
    A = np.column_stack([np.ones(8), X["x"].to_numpy()])
    loo = np.empty(8)
    for i in range(8):
        keep = np.arange(8) != i
        beta = np.linalg.lstsq(A[keep], y[keep], rcond=None)[0]
        loo[i] = A[i] @ beta
    np.testing.assert_allclose(res.extras["oof_prediction"], loo, rtol=1e-12)
    rmse = t.loc[(t["term"] == "rmse") & (t["fold"] == "all"), "estimate"].iloc[0]
    assert rmse == pytest.approx(np.sqrt(np.mean((y - loo) ** 2)), rel=1e-12)
    with pytest.raises(ParameterError) as e:
        validate_pmt(OLSPMT(features=["x"], log_features=[]), X, y, n_splits=9)
    assert str(e.value) == ("The 'n_splits' parameter of validate_pmt must be an integer in "
                            "[2, 8]. Got 9 instead.")


def test_validate_inputs_hash_covers_covariates_y_and_weights():
    """The provenance hash is hash_frame of X with y and the weights as columns _y, _w (ones
    without weights); other weights give another hash."""
    X, y = _xy()
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 1.0, 2.0, 1.0])
    m = OLSPMT(features=["x"], log_features=[])
    a = validate_pmt(m, X, y, sample_weight=w, n_splits=2)
    assert a.provenance.inputs_hash == hash_frame(X.assign(_y=y, _w=w))
    b = validate_pmt(m, X, y, sample_weight=w[::-1], n_splits=2)
    assert b.provenance.inputs_hash != a.provenance.inputs_hash
    c = validate_pmt(m, X, y, n_splits=2)
    assert c.provenance.inputs_hash == hash_frame(X.assign(_y=y, _w=np.ones(8)))


def test_quantile_from_the_poverty_line_counts_households_strictly_below():
    """Consumption 100..600 with a household exactly on the line 300: not below it. Weights 1:
    share 2/6; weights (1, 1, 2, 1, 1, 1): (1 + 1) / 7; a line at 350: 3/6 (by hand)."""
    c = np.array([100.0, 200.0, 300.0, 400.0, 500.0, 600.0])
    X = pd.DataFrame({"x": np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0])})
    y = np.log(c)
    kw = dict(features=["x"], log_features=[])
    assert QuantilePMT(poverty_line=300.0, **kw).fit(X, y).quantile_ == pytest.approx(2 / 6)
    w = np.array([1.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    m = QuantilePMT(poverty_line=300.0, **kw).fit(X, y, sample_weight=w)
    assert m.quantile_ == pytest.approx(2 / 7)
    assert QuantilePMT(poverty_line=350.0, **kw).fit(X, y).quantile_ == pytest.approx(3 / 6)


def test_scoring_after_a_fit_that_failed_half_way_is_not_fitted():
    """QuantilePMT(quantile=1.5).fit stores the features, then refuses the quantile: the
    estimator is not fitted, and predict / get_feature_names_out say so in full."""
    X, y = _xy(6)
    m = QuantilePMT(quantile=1.5, features=["x"], log_features=[])
    with pytest.raises(ParameterError) as e:
        m.fit(X, y)
    assert str(e.value) == ("The 'quantile' parameter of QuantilePMT must be a float in (0, 1). "
                            "Got 1.5 instead.")
    assert m.features_ == ["x"]                     # set before the failure
    msg = ("This QuantilePMT instance is not fitted yet. Call 'fit' with the survey's PMT "
           "covariates and log per-capita consumption before scoring.")
    for call in (lambda: m.predict(X), m.get_feature_names_out):
        with pytest.raises(NotFittedError) as e:
            call()
        assert str(e.value) == msg
