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


# --------------------------------------------------------------------------------------------
# fit_logit's Newton iteration (helper mutG, session 9): step-halving, the least-squares step
# of a singular Hessian, the convergence test, the clipped probabilities, the warning's caller
# --------------------------------------------------------------------------------------------
def _loglik(X1, d, w, beta):
    """The weighted log-likelihood, weights rescaled to mean 1 (module docstring)."""
    eta = X1 @ beta
    return float(np.sum(w / w.mean() * (d * eta - np.logaddexp(0, eta))))


def _plain_newton_step(X1, d, w, beta):
    """One full Newton step of the weighted logit, written out: (X'WX)^-1 X'w(d - p)."""
    ws = w / w.mean()
    p = 1 / (1 + np.exp(-(X1 @ beta)))
    H = X1.T @ (X1 * (ws * p * (1 - p))[:, None])
    return np.linalg.solve(H, X1.T @ (ws * (d - p)))


def _start(d, w):
    """The documented starting point: the intercept-only fit, log(pbar / (1 - pbar))."""
    pbar = np.average(d, weights=w)
    return np.log(pbar / (1 - pbar))


def _newton_as_documented(X1, d, w, maxiter):
    """The module docstring's algorithm, written independently: Newton from the intercept-only
    fit, the probabilities from the linear predictor clipped to [-35, 35], a step halved while
    the (unclipped) log-likelihood would fall, no convergence test (``maxiter`` steps)."""
    ws = w / w.mean()
    beta = np.zeros(X1.shape[1])
    beta[0] = _start(d, ws)
    for _ in range(maxiter):
        p = 1 / (1 + np.exp(-np.clip(X1 @ beta, -35, 35)))
        H = X1.T @ (X1 * (ws * p * (1 - p))[:, None]) + 1e-12 * np.eye(X1.shape[1])
        step = np.linalg.solve(H, X1.T @ (ws * (d - p)))
        t = 1.0
        while _loglik(X1, d, ws, beta + t * step) < _loglik(X1, d, ws, beta) - 1e-12 and t > 1e-9:
            t /= 2
        beta = beta + t * step
    return beta


def test_fit_logit_halves_a_newton_step_that_lowers_the_likelihood():
    """Rare treatment, the one treated unit at x = 7 and a comparison unit at x = 9: the first
    full Newton step from the intercept-only fit overshoots (the log-likelihood falls), its
    half does not; so after one step the coefficients are the start plus half the step."""
    X1 = np.column_stack([np.ones(5), [-3.0, -1.0, 0.0, 7.0, 9.0]])
    d = np.array([0, 0, 0, 1, 0.0])
    w = np.array([4.0, 4.0, 4.0, 1.0, 1.0])
    b0 = np.array([_start(d, w), 0.0])                   # log((1/14) / (13/14)) = -log 13
    assert b0[0] == pytest.approx(-np.log(13.0), abs=1e-14)
    step = _plain_newton_step(X1, d, w, b0)
    ll0 = _loglik(X1, d, w, b0)
    assert _loglik(X1, d, w, b0 + step) < ll0 - 0.04      # the full step: a fall (0.046)
    assert _loglik(X1, d, w, b0 + step / 2) > ll0          # its half: a rise
    fit = PR.fit_logit(X1, d, w, maxiter=1)
    np.testing.assert_allclose(fit.coef, b0 + step / 2, rtol=1e-10)
    assert not fit.converged
    # and at the end the maximum: the score equations X'w(d - p) = 0
    fit = PR.fit_logit(X1, d, w)
    assert fit.converged
    np.testing.assert_allclose(X1.T @ (w * (d - fit.fitted)), 0, atol=1e-10)


@pytest.mark.parametrize("treated", [[0, 1, 1, 1, 0], [1, 0, 0, 0, 1]])
def test_fit_logit_reaches_the_maximum_with_a_unit_of_the_other_arm_far_out(treated):
    """A treated unit at x = 45 (weight 0.02) far in the comparison units' tail: at the maximum
    its linear predictor is about -50 (and +50 with the arms swapped). The fit must stop at the
    maximum, where the score equations X'w(d - p) = 0 hold (p at the exact, unclipped linear
    predictor); statsmodels' GLM(Binomial, var_weights) gives (12.18840626, -1.38442667).
    (Before session 9 the step-halving test used the clipped log-likelihood, flat beyond -35,
    every step looked like a fall and the fit "converged" at (12.2228, -1.3896).)"""
    x = np.array([8.0, 7.0, 45.0, -4.0, 4.0])
    X1 = np.column_stack([np.ones(5), x])
    d = np.array(treated, dtype=float)
    w = np.array([3.0, 36.0, 0.02, 13.0, 0.5])
    fit = PR.fit_logit(X1, d, w)
    assert fit.converged
    sign = 1 if treated[1] == 1 else -1
    np.testing.assert_allclose(fit.coef, sign * np.array([12.18840626, -1.38442667]), atol=1e-7)
    eta = X1 @ fit.coef
    assert sign * eta[2] < -35                       # the unit out there, beyond the clip
    p = 1 / (1 + np.exp(-eta))
    np.testing.assert_allclose(X1.T @ (w / w.mean() * (d - p)), 0, atol=1e-9)


def test_fit_logit_duplicated_column_takes_the_least_squares_step():
    """The same covariate twice, in the hundreds: X'WX + 1e-12 I is exactly singular in floating
    point (1e-12 is below the rounding of diagonal entries near 1e5), np.linalg.solve refuses,
    and the step is the least-squares (minimum-norm) solution: the slope of the one-column fit
    split equally between the two copies, the same fitted probabilities."""
    x = np.arange(8) * 100.0
    d = np.array([0, 0, 1, 0, 1, 0, 1, 1.0])
    w = np.ones(8)
    X2 = np.column_stack([np.ones(8), x, x])
    # the premise: at the start (p = 1/2 for every unit) the solve step fails
    H = X2.T @ (X2 * 0.25)
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.solve(H + 1e-12 * np.eye(3), X2.T @ (d - 0.5))
    one = PR.fit_logit(X2[:, :2], d, w)
    two = PR.fit_logit(X2, d, w)
    assert one.converged and two.converged
    np.testing.assert_allclose(two.fitted, one.fitted, rtol=1e-10)
    np.testing.assert_allclose(two.coef, [one.coef[0], one.coef[1] / 2, one.coef[1] / 2],
                               rtol=1e-8)


def test_fit_logit_convergence_test_is_relative_to_the_largest_coefficient():
    """Convergence: the largest coefficient change below tol * (1 + max |coef|). Plain Newton on
    the docstring's four-unit example (no step is halved there): with tol set to twice the
    4th change over (1 + max |coef| after it), the fit stops converged after exactly 4 steps
    (the 3rd change is far larger); tol / (1 + max |coef|) would not stop it there."""
    X1 = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    d = np.array([0, 1, 0, 1.0])
    w = np.ones(4)
    betas = [np.array([0.0, 0.0])]                       # start: pbar = 1/2, log 1 = 0
    for _ in range(4):
        b = betas[-1]
        step = _plain_newton_step(X1, d, w, b)
        assert _loglik(X1, d, w, b + step) > _loglik(X1, d, w, b)   # no halving
        betas.append(b + step)
    change = [np.max(np.abs(betas[k + 1] - betas[k])) for k in range(4)]
    big = [np.max(np.abs(betas[k + 1])) for k in range(4)]
    tol = 2 * change[3] / (1 + big[3])
    assert change[2] > tol * (1 + big[2])                # not converged after 3 steps
    assert change[3] > tol / (1 + big[3])                # nor by a test divided by the size
    fit = PR.fit_logit(X1, d, w, maxiter=4, tol=tol)
    assert fit.converged
    np.testing.assert_allclose(fit.coef, betas[4], rtol=1e-9)
    assert not PR.fit_logit(X1, d, w, maxiter=3, tol=tol).converged


def test_fit_logit_last_iterate_under_separation():
    """Under complete separation the coefficients are the last of ``maxiter`` Newton steps of
    the documented algorithm, in which the probabilities come from the linear predictor clipped
    to [-35, 35]: once the separated units pass +-35 their scores and weights stop changing
    and the slope settles near 31.3 (an unclipped predictor gives other iterates)."""
    X1 = np.column_stack([np.ones(5), [-2.0, -1.0, 1.0, 2.0, 3.0]])
    for d in (np.array([0, 0, 1, 1, 1.0]), np.array([1, 1, 0, 0, 0.0])):
        with pytest.warns(EstimationWarning):
            fit = PR.fit_logit(X1, d, np.ones(5))
        want = _newton_as_documented(X1, d, np.ones(5), 50)
        np.testing.assert_allclose(fit.coef, want, rtol=1e-9, atol=1e-12)
        assert abs(want[1]) == pytest.approx(31.3, abs=0.1)


@pytest.mark.skipif("MUTANT_UNDER_TEST" in __import__("os").environ,
                    reason="mutmut's trampoline adds stack frames per library call")
def test_propensity_logit_warning_points_at_its_caller():
    """The separation warning is reported at the line that called propensity_logit (stacklevel
    3: fit_logit, propensity_logit, the caller), here this test file."""
    x = np.array([[-2.0], [-1.0], [1.0], [2.0], [3.0]])
    with pytest.warns(EstimationWarning) as rec:
        PR.propensity_logit(x, np.array([0, 0, 1, 1, 1]), np.ones(5))
    assert rec[0].filename == __file__


def test_fit_ps_default_estimand_refuses_both_ends():
    """fit_ps without an estimand checks both ends (ATE): a comparison unit at 0 is refused."""
    d = np.array([0, 0, 1, 1, 1])
    P = _prepared(d)
    P = C.Prepared(P.y, P.d, np.array([[-2.0], [-1.0], [1.0], [2.0], [3.0]]), ["x"], P.w, None,
                   P.rows, 5, {}, "survey")
    with pytest.warns(EstimationWarning), pytest.raises(IdentificationError,
                                                        match=r"^survey: no overlap: 5 rows"):
        PR.fit_ps(P, "ipw")


def test_fit_logit_starting_point_and_its_clip():
    """maxiter=0 returns the starting point: the intercept-only fit log(pbar / (1 - pbar)) with
    pbar the weighted treated share (here 2 / 8 with weights 1, 1, 3, 3: log(1/3)), clipped to
    [1e-6, 1 - 1e-6] when every unit is in one arm (log-odds -+log(999999), finite)."""
    X1 = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    w = np.array([1.0, 1.0, 3.0, 3.0])
    fit = PR.fit_logit(X1, np.array([1, 1, 0, 0.0]), w, maxiter=0)
    np.testing.assert_allclose(fit.coef, [np.log(1 / 3), 0.0], rtol=1e-14)
    np.testing.assert_allclose(fit.fitted, 0.25, rtol=1e-14)
    assert not fit.converged
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        ones = PR.fit_logit(X1, np.ones(4), w, maxiter=0)
        zeros = PR.fit_logit(X1, np.zeros(4), w, maxiter=0)
    np.testing.assert_allclose(ones.coef, [np.log((1 - 1e-6) / 1e-6), 0.0], rtol=1e-9)
    np.testing.assert_allclose(zeros.coef, [-np.log((1 - 1e-6) / 1e-6), 0.0], rtol=1e-9)


def test_propensity_logit_standardises_with_the_survey_weights():
    """The design's column is (x - weighted mean) / weighted sd: weights 1, 1, 2 on x = 0, 1, 3
    give mean 7/4 and variance (49/16 + 9/16 + 2 * 25/16) / 4 = 27/16."""
    x = np.array([0.0, 1.0, 3.0])
    _, X1 = PR.propensity_logit(x[:, None], np.array([1, 0, 1]), np.array([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(X1[:, 1], (x - 7 / 4) / np.sqrt(27 / 16), rtol=1e-12)


def _cells(xs, ds):
    """A frame whose covariate is a category (dummies: the fit is saturated, each cell's score
    is its treated share; a cell without treated units gets a score of numerically 0)."""
    return pd.DataFrame({"x": [str(v) for v in xs], "d": ds, "y": np.arange(len(ds), dtype=float)})


def test_fit_ps_trim_passes_the_estimand_on():
    """Cells x = 0 (3 comparison units: score ~0), x = 1 (treated share 1/2), x = 2 (3/4). The
    ATT only refuses treated units at 1, so it accepts; the ATE refuses the x = 0 cell, on
    every path: no trimming, a rule that keeps everyone, a rule that drops the x = 2 cell
    (re-estimated on the rest), and a given score."""
    df = _cells([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], [0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0])
    df["ps"] = [1e-9] * 3 + [0.5] * 4 + [0.75] * 4
    P = C.prepare(df, "ipw", y="y", treatment="d", covariates=["x"], weights=None, cluster=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        for trim, ps in ((None, None), ((0.0, 1.0), None), ((0.0, 0.7), None), (None, "ps")):
            Q, e, X1, label = PR.fit_ps_trim(P, "ipw", trim, ps, df, estimand="ATT")
            assert len(e) == (7 if trim == (0.0, 0.7) else 11)
            with pytest.raises(IdentificationError, match=r"^data: no overlap: 3 rows .* and ipw "
                                                          r"cannot identify"):
                PR.fit_ps_trim(P, "ipw", trim, ps, df)


def test_fit_ps_trim_minmax_and_the_owner_in_the_warning():
    """A separating covariate with trimming: the score is estimated first without the overlap
    check (the warning names the caller), then 'minmax' keeps the common support of the two
    arms' scores, here [max(min e_t, min e_c), min(max e_t, max e_c)]."""
    sep = pd.DataFrame({"x": [0.0, 1, 2, 3], "d": [0, 0, 1, 1], "y": [1.0, 2, 3, 4]})
    S = C.prepare(sep, "ipw", y="y", treatment="d", covariates=["x"], weights=None, cluster=None)
    with pytest.warns(EstimationWarning, match=r"^ipw: the logit did not converge"):
        with pytest.raises(IdentificationError) as ex:
            PR.fit_ps_trim(S, "ipw", "minmax", None, sep)
    assert str(ex.value) == (
        "data: trimming (minmax [1.0000, 0.0000]) keeps none of the 4 rows: the treated and "
        "comparison units' propensity scores do not overlap, so ipw has no region of common "
        "support. Fix: drop or coarsen the covariate that separates the arms, or use another "
        "trimming rule.")
    df = _cells([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], [0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0])
    P = C.prepare(df, "ipw", y="y", treatment="d", covariates=["x"], weights=None, cluster=None)
    Q, e, X1, label = PR.fit_ps_trim(P, "ipw", "minmax", None, df)
    assert label == "minmax [0.3333, 0.7500]" and len(e) == 11


def test_trim_mask_upper_bounds():
    """crump: e = 0.98 has g = 51.02 (the mirror of 0.02): dropped by the upper bound 1 - a.
    minmax: treated span [0.05, 0.95], comparison [0.1, 0.9]: keep [0.1, 0.9]."""
    keep, _ = PR.trim_mask(np.array([0.5, 0.5, 0.5, 0.98]), np.array([0, 1, 0, 1]), "crump")
    np.testing.assert_array_equal(keep, [True, True, True, False])
    e = np.array([0.05, 0.1, 0.3, 0.5, 0.9, 0.95])
    keep, label = PR.trim_mask(e, np.array([1, 0, 1, 0, 0, 1]), "minmax")
    np.testing.assert_array_equal(keep, [False, True, True, True, True, False])
    assert label == "minmax [0.1000, 0.9000]"
