"""The propensity score helpers (kassaki_eval/impact/_propensity.py) pinned by hand (issue 18,
mutation round of impact/_propensity.py).

Sources of the expected values, stated per test: the saturated logit (intercept and one
binary covariate), whose maximum-likelihood fitted probabilities are the weighted treated
shares within each cell; weighted means and standard deviations written out; Crump, Hotz,
Imbens & Mitnik (2009)'s threshold solved on paper for a four-unit example (``1 / (a (1 -
a)) = 8``); the trimming rules' bounds and labels as documented; the error contract word for
word. See docs/MUTATION.md, "impact/_propensity.py (helper mutD)".
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import (
    EstimationWarning,
    IdentificationError,
    ParameterError,
    SchemaError,
)
from kassaki_eval.impact import _common as C, _propensity as PR


def test_fit_logit_saturated_is_the_weighted_share_per_cell():
    """Intercept + binary x: p = weighted share of treated within x = 0 (3 / 4.5 = 2/3) and
    x = 1 (1 / 4 = 1/4); the same for weights times 1000 (weights rescaled to mean 1)."""
    x = np.array([0, 0, 0, 1, 1, 1, 1.0])
    d = np.array([1, 0, 1, 1, 0, 0, 0.0])
    w = np.array([1.0, 1.5, 2.0, 1.0, 1.0, 1.0, 1.0])
    want = np.where(x == 0, 3.0 / 4.5, 1.0 / 4.0)
    X1 = np.column_stack([np.ones(7), x])
    for scale in (1.0, 1000.0):
        fit = PR.fit_logit(X1, d, w * scale)
        assert fit.converged
        np.testing.assert_allclose(fit.fitted, want, atol=1e-10)
        np.testing.assert_allclose(fit.coef, [np.log(2.0), np.log(1 / 3) - np.log(2.0)],
                                   atol=1e-8)


def test_fit_logit_maxiter_and_separation_warning():
    """Complete separation (x < 0 all comparison, x > 0 all treated): no MLE, Newton does not
    converge, the fitted scores reach 0 and 1; the warning names the units at each end."""
    X1 = np.column_stack([np.ones(5), [-2.0, -1.0, 1.0, 2.0, 3.0]])
    d = np.array([0, 0, 1, 1, 1.0])
    with pytest.warns(EstimationWarning) as rec:
        fit = PR.fit_logit(X1, d, np.ones(5), owner="ipw")
    assert not fit.converged
    assert str(rec[0].message) == (
        "ipw: the logit did not converge in 50 Newton steps; the covariates (quasi-)separate "
        "treated and comparison units (2 units with a fitted probability below 1e-06, 3 above "
        "1 - 1e-06), so the maximum-likelihood estimate does not exist and those scores are 0 "
        "or 1 up to the last step. Fix: drop or coarsen the covariate that separates the arms, "
        "or trim the sample to common support.")
    np.testing.assert_array_equal(fit.fitted < 1e-6, [True, True, False, False, False])
    # the linear predictor is clipped to [-35, 35]: the scores' floor and ceiling, exactly
    assert fit.fitted[0] == 1 / (1 + np.exp(35.0))
    assert fit.fitted[-1] == 1 / (1 + np.exp(-35.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = PR.fit_logit(np.column_stack([np.ones(4), [0.0, 1, 2, 3]]),
                           np.array([0, 1, 0, 1.0]), np.ones(4), maxiter=1)
    assert not one.converged                         # one step is not enough, and no warning


def test_default_owner_and_the_callers_owner_in_the_warning():
    """Without ``owner`` the warning starts "propensity score:"; fit_ps passes its caller's."""
    x = np.array([-2.0, -1.0, 1.0, 2.0, 3.0])
    d = np.array([0, 0, 1, 1, 1])
    with pytest.warns(EstimationWarning, match=r"^propensity score: the logit did not"):
        PR.fit_logit(np.column_stack([np.ones(5), x]), d.astype(float), np.ones(5))
    with pytest.warns(EstimationWarning, match=r"^propensity score: the logit did not"):
        PR.propensity_logit(x[:, None], d, np.ones(5))
    P = _prepared(d)
    P = C.Prepared(P.y, P.d, x[:, None], ["x"], P.w, None, P.rows, 5, {}, "survey")
    with pytest.warns(EstimationWarning, match=r"^matching: the logit did not"):
        with pytest.raises(IdentificationError, match="and matching cannot identify"):
            PR.fit_ps(P, "matching")


def test_standardise_by_hand():
    """Weighted mean (1 + 3 + 2 * 5) / 4 = 3.5, variance (6.25 + 0.25 + 2 * 2.25) / 4 = 2.75;
    the constant column is dropped; an empty design is returned as is."""
    X = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    Z = PR.standardise(X, np.array([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(Z, (X[:, [0]] - 3.5) / np.sqrt(2.75), rtol=1e-12)
    E = np.empty((3, 0))
    assert PR.standardise(E, np.ones(3)) is E


def test_propensity_logit_design_and_scores():
    x = np.array([0, 0, 0, 1, 1, 1, 1.0])
    d = np.array([1, 0, 1, 1, 0, 0, 0])
    e, X1 = PR.propensity_logit(x[:, None], d, np.ones(7))
    z = (x - 4 / 7) / np.sqrt(4 / 7 * 3 / 7)
    np.testing.assert_allclose(X1, np.column_stack([np.ones(7), z]), rtol=1e-12)
    np.testing.assert_allclose(e, np.where(x == 0, 2 / 3, 1 / 4), atol=1e-10)


def _prepared(d, rows=None):
    d = np.asarray(d, dtype=np.int8)
    n = d.size
    rows = np.arange(n) if rows is None else np.asarray(rows)
    return C.Prepared(np.zeros(n), d, np.zeros((n, 0)), [], np.ones(n), None, rows,
                      int(rows.max()) + 1, {}, "survey")


def test_check_overlap_att_and_ate():
    """ATT: only treated units at 1 count (a comparison unit at 0 merely gets no weight);
    ATE: both ends. The counts in brackets are all units at 0 and at 1."""
    P = _prepared([1, 0, 1, 0, 1, 0], rows=[10, 11, 12, 13, 14, 15])
    e = np.array([0.5, 1e-9, 1 - 1e-9, 1 - 1e-9, 0.5, 0.5])
    with pytest.raises(IdentificationError) as ex:
        PR.check_overlap(e, P, "ipw", "ATT")
    assert str(ex.value) == (
        "survey: no overlap: 1 rows have an estimated propensity score of 0 (1) or 1 (2) (e.g. "
        "rows 12); for them no comparable unit exists in the other arm and ipw cannot identify "
        "the effect. Fix: trim the sample (trim='minmax' or 'crump'), drop the covariate that "
        "separates the arms perfectly, or restrict the estimand to the region of common "
        "support.")
    with pytest.raises(IdentificationError, match=r"^survey: no overlap: 3 rows .* \(e\.g\. rows "
                                                  r"11, 12, 13\)"):
        PR.check_overlap(e, P, "ipw", "ATE")
    PR.check_overlap(np.array([0.5, 1e-9, 0.5, 0.5, 0.5, 0.5]), P, "ipw", "ATT")   # quiet
    PR.check_overlap(np.full(6, 1e-6), P, "ipw")     # exactly PS_EPS is not 0


def _frame():
    x = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    d = [0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0]
    return pd.DataFrame({"x": x, "d": d, "y": np.arange(12.0),
                         "ps": [0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.5, 0.95, 0.95, 0.95,
                                0.95]})


def test_fit_ps_trim_with_a_given_score():
    df = _frame()
    P = C.prepare(df, "ipw", y="y", treatment="d", covariates=["x"], weights=None, cluster=None)
    Q, e, X1, label = PR.fit_ps_trim(P, "ipw", (0.2, 0.9), "ps", df)
    assert label == "[0.2, 0.9]"
    np.testing.assert_array_equal(Q.rows, np.arange(8))
    np.testing.assert_array_equal(e, [0.25] * 4 + [0.5] * 4)
    assert Q.dropped == {"trimmed ([0.2, 0.9])": 4}
    assert X1.shape == (8, 2) and np.all(X1[:, 0] == 1)
    Q, e, X1, label = PR.fit_ps_trim(P, "ipw", None, "ps", df)
    assert (label, len(e), Q is P) == ("none", 12, True)
    with pytest.raises(SchemaError) as ex:
        PR.fit_ps_trim(P, "ipw", None, "ps", df.assign(ps=[np.nan] + [0.5] * 11))
    assert str(ex.value) == "data: column 'ps' has missing propensity scores."


def test_fit_ps_trim_re_estimates_on_the_trimmed_sample():
    """Cells x = 0, 1, 2 have treated shares 1/4, 1/2, 3/4 (saturated in dummies); trimming at
    [0.3, 0.7] keeps the x = 1 cell, whose refitted score is 1/2."""
    df = _frame().assign(x=lambda f: f["x"].astype(str))
    P = C.prepare(df, "ipw", y="y", treatment="d", covariates=["x"], weights=None, cluster=None)
    Q, e, X1, label = PR.fit_ps_trim(P, "ipw", None, None, df)
    np.testing.assert_allclose(e, np.repeat([0.25, 0.5, 0.75], 4), atol=1e-9)
    Q, e, X1, label = PR.fit_ps_trim(P, "ipw", (0.3, 0.7), None, df)
    np.testing.assert_array_equal(Q.rows, [4, 5, 6, 7])
    np.testing.assert_allclose(e, 0.5, atol=1e-9)
    assert X1.shape[0] == 4
    # a rule that keeps every unit still refuses scores at 0 or 1
    sep = pd.DataFrame({"x": [0.0, 1, 2, 3], "d": [0, 0, 1, 1], "y": [1.0, 2, 3, 4]})
    S = C.prepare(sep, "ipw", y="y", treatment="d", covariates=["x"], weights=None,
                  cluster=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        with pytest.raises(IdentificationError, match="no overlap"):
            PR.fit_ps_trim(S, "ipw", (0.0, 1.0), None, sep)


def test_crump_alpha_by_hand():
    """e = (1/2, 1/2, 1/2, 0.02): g = 1 / (e (1 - e)) = (4, 4, 4, 51.02); max g > 2 mean g, the
    fixed point keeps the three 4s: gamma = 2 * 4 = 8, a = 1/2 - sqrt(1/4 - 1/8)."""
    a = PR.crump_alpha(np.array([0.5, 0.5, 0.5, 0.02]))
    assert a == pytest.approx(0.5 - np.sqrt(0.125), abs=1e-14)
    assert PR.crump_alpha(np.array([0.5, 0.4, 0.6])) == 0.0     # max g = 4.17 <= 2 mean g
    # g = (4, 4, 4, 20): max g = 20 > 2 mean g = 16 (but <= 3 mean g): trimmed, gamma = 8 again
    e20 = (1 - np.sqrt(1 - 4 / 20)) / 2                           # e (1 - e) = 1/20
    assert PR.crump_alpha(np.array([0.5, 0.5, 0.5, e20])) == pytest.approx(
        0.5 - np.sqrt(0.125), abs=1e-14)


def test_trim_mask_rules_bounds_and_labels():
    e = np.array([0.05, 0.1, 0.3, 0.5, 0.9, 0.95])
    d = np.array([0, 1, 0, 1, 1, 0])
    keep, label = PR.trim_mask(e, d, None)
    assert keep.all() and keep.dtype == bool and label == "none"
    keep, label = PR.trim_mask(e, d, (0.1, 0.9))
    np.testing.assert_array_equal(keep, [False, True, True, True, True, False])
    assert label == "[0.1, 0.9]"
    keep, label = PR.trim_mask(e, d, "crump_fixed")
    np.testing.assert_array_equal(keep, [False, True, True, True, True, False])
    assert label == "crump [0.1, 0.9]"
    # minmax: treated span [0.1, 0.9], comparison [0.05, 0.95]: keep [0.1, 0.9]
    keep, label = PR.trim_mask(e, d, "minmax")
    np.testing.assert_array_equal(keep, [False, True, True, True, True, False])
    assert label == "minmax [0.1000, 0.9000]"
    e2 = np.array([0.5, 0.5, 0.5, 0.02])
    keep, label = PR.trim_mask(e2, np.array([0, 1, 0, 1]), "crump")
    np.testing.assert_array_equal(keep, [True, True, True, False])
    assert label == f"crump alpha={0.5 - np.sqrt(0.125):.4f}" == "crump alpha=0.1464"


@pytest.mark.parametrize("rule", [(0.5, 0.5), (-0.1, 0.5), (0.2, 1.1), (0.9, 0.1)])
def test_trim_mask_bad_pairs(rule):
    with pytest.raises(ParameterError) as ex:
        PR.trim_mask(np.array([0.5]), np.array([1]), rule)
    assert str(ex.value) == ("The 'trim' parameter must be a (lo, hi) pair with 0 <= lo < hi "
                             f"<= 1. Got {rule!r} instead.")


def test_trim_mask_unknown_rule():
    with pytest.raises(ParameterError) as ex:
        PR.trim_mask(np.array([0.5]), np.array([1]), "cramp")
    assert str(ex.value) == ("The 'trim' parameter of trim must be one of {'crump', "
                             "'crump_fixed', 'minmax'}. Got 'cramp' instead.")
    keep, _ = PR.trim_mask(np.array([0.0, 1.0]), np.array([0, 1]), (0.0, 1.0))
    assert keep.all()                                              # the ends are inclusive
