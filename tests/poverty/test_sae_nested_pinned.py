r"""The nested-error REML fit pinned (issue 18, mutation round on poverty/sae/nested.py).

Two kinds of expected values:

* **Balanced one-way ANOVA by hand** (intercept only, m = 3 groups of n = 3): for a balanced
  design REML equals the ANOVA estimators when these are positive (Searle, Casella & McCulloch
  1992, *Variance Components*, sec. 3.8 and 6.8): ``sigma2_e = MSW``, ``sigma2_u = (MSB - MSW)
  / n``, ``beta = grand mean``, ``gamma = n sigma2_u / (sigma2_e + n sigma2_u)``, ``u_i =
  gamma (ybar_i - ybar)``, ``cov(beta) = (sigma2_e + n sigma2_u) / (m n)`` and lme4's REML
  criterion ``-2 l_R = (N - p) log(2 pi) + log|V| + log|X'V^-1 X| + r'V^-1 r``. With
  y = (1, 2, 3 | 4, 6, 8 | 7, 8, 9): group means 2, 6, 8, grand mean 16/3, SSW = 12, MSW = 2,
  MSB = 3 (100 + 4 + 64) / 9 / 2 = 28, so sigma2_e = 2, sigma2_u = 26/3, gamma = 13/14,
  cov = 28/9, |V| = (2^2 * 28)^3, X'V^-1X = 9/28, r'V^-1 r = 12/2 + 56/28 = 8.
  When MSB < MSW the REML estimate of sigma2_u is 0 (boundary) and the fit is OLS with
  ``sigma2_e = RSS / (N - p)`` and ``-2 l_R = (N - p)(1 + log(2 pi s2e)) + log|X'X|``.
* **Dense matrices** for an unbalanced design with a covariate and an empty group: the
  criterion above, GLS beta, BLUP ``u_i = sigma2_u 1'V_i^-1 (y_i - X_i beta)`` and
  ``(X'V^-1 X)^-1`` computed with the full ``N x N`` V in numpy, and the REML maximum found
  by scipy's Nelder-Mead over ``(log sigma2_u, log sigma2_e)`` (not the module's 1-D profile).

The agreement with R lme4 1.1.31 on emdi's data is in tests/poverty/test_sae_ebp.py
(committed reference values, tests/references/sae/lme4_nested_error.txt).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from kassaki_eval.exceptions import IdentificationError
from kassaki_eval.poverty.sae import nested
from kassaki_eval.poverty.sae.nested import GroupSums, NestedErrorFit, fit_nested_error

Y_BAL = np.array([1.0, 2, 3, 4, 6, 8, 7, 8, 9])
G_BAL = np.repeat([0, 1, 2], 3)


def _balanced(y=Y_BAL):
    X = np.ones((9, 1))
    return fit_nested_error(y, GroupSums.build(X, G_BAL, 3), X)


def test_group_sums_by_hand():
    X = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0], [1.0, 7.0]])
    g = np.array([2, 0, 2, 2])
    gs = GroupSums.build(X, g, 4)
    np.testing.assert_array_equal(gs.groups, g)
    np.testing.assert_array_equal(gs.n_i, [1.0, 0.0, 3.0, 0.0])
    assert gs.n_i.dtype == np.float64
    np.testing.assert_array_equal(gs.Sx, [[1.0, 3.0], [0.0, 0.0], [3.0, 14.0], [0.0, 0.0]])
    # X'X = [[4, 17], [17, 4 + 9 + 25 + 49]]
    np.testing.assert_array_equal(gs.XtX, [[4.0, 17.0], [17.0, 87.0]])


def test_balanced_fit_equals_the_anova_estimators():
    fit = _balanced()
    assert isinstance(fit, NestedErrorFit)
    assert not fit.boundary
    np.testing.assert_allclose(fit.sigma2_e, 2.0, rtol=1e-8)
    np.testing.assert_allclose(fit.sigma2_u, 26 / 3, rtol=1e-8)
    np.testing.assert_allclose(fit.beta, [16 / 3], rtol=1e-12)
    np.testing.assert_allclose(fit.gamma, [13 / 14] * 3, rtol=1e-8)
    np.testing.assert_allclose(fit.u, np.array([-10 / 3, 2 / 3, 8 / 3]) * 13 / 14, rtol=1e-8)
    np.testing.assert_allclose(fit.cov_beta, [[28 / 9]], rtol=1e-8)
    crit = 8 * math.log(2 * math.pi) + 3 * math.log(112) + math.log(9 / 28) + 8
    np.testing.assert_allclose(fit.reml_crit, crit, rtol=1e-12)


def test_between_variance_below_within_is_the_boundary_ols_fit():
    # group means 2, 2.5, 1.5 hardly differ: MSB = 3 * (0 + 0.25 + 0.25) / 2 = 0.75 < MSW =
    # (2 + 2 + 2) / 6 = 1
    y = np.array([1.0, 2, 3, 1.5, 2.5, 3.5, 0.5, 1.5, 2.5])
    fit = _balanced(y)
    assert fit.boundary is True
    assert fit.sigma2_u == 0.0
    np.testing.assert_array_equal(fit.gamma, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(fit.u, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(fit.beta, [2.0], rtol=1e-12)
    # OLS: RSS = sum (y - 2)^2 = SSW + SSB = 6 + 1.5 = 7.5 over N - p = 8
    s2e = 7.5 / 8
    np.testing.assert_allclose(fit.sigma2_e, s2e, rtol=1e-12)
    np.testing.assert_allclose(fit.cov_beta, [[s2e / 9]], rtol=1e-12)
    crit = 8 * (1 + math.log(2 * math.pi * s2e)) + math.log(9)
    np.testing.assert_allclose(fit.reml_crit, crit, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# unbalanced, with a covariate and an empty group: dense matrices
# ---------------------------------------------------------------------------------------------

# groups 2 and 6 (the last) have nobody, group 5 one household
G_U = np.array([0, 0, 1, 1, 1, 3, 3, 3, 3, 4, 4, 5])
M_U = 7
X_U = np.column_stack([np.ones(12),
                       [0.5, 1.0, 2.0, -1.0, 0.0, 1.5, 2.5, 0.0, 1.0, 3.0, 2.0, 1.0]])
Y_U = np.array([2.0, 3.1, 6.5, 2.0, 4.2, 1.0, 2.4, -0.8, 0.9, 5.5, 4.1, 4.4])


def _dense(s2u: float, s2e: float):
    """-2 REML log-likelihood, GLS beta, BLUP u and (X'V^-1X)^-1 with the full V."""
    Z = (G_U[:, None] == np.arange(M_U)[None, :]).astype(float)
    V = s2e * np.eye(len(G_U)) + s2u * Z @ Z.T
    Vi = np.linalg.inv(V)
    XVX = X_U.T @ Vi @ X_U
    b = np.linalg.solve(XVX, X_U.T @ Vi @ Y_U)
    r = Y_U - X_U @ b
    N, p = X_U.shape
    crit = ((N - p) * np.log(2 * np.pi) + np.linalg.slogdet(V)[1]
            + np.linalg.slogdet(XVX)[1] + r @ Vi @ r)
    u = s2u * Z.T @ Vi @ r
    return crit, b, u, np.linalg.inv(XVX)


def _fit_u():
    return fit_nested_error(Y_U, GroupSums.build(X_U, G_U, M_U), X_U)


def test_unbalanced_fit_equals_dense_reml():
    fit = _fit_u()
    assert not fit.boundary and fit.sigma2_u > 0.5
    crit, b, u, cov = _dense(fit.sigma2_u, fit.sigma2_e)
    np.testing.assert_allclose(fit.reml_crit, crit, rtol=1e-12)
    np.testing.assert_allclose(fit.beta, b, rtol=1e-10)
    np.testing.assert_allclose(fit.u, u, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.cov_beta, cov, rtol=1e-10)
    n = np.array([2.0, 3.0, 0.0, 4.0, 2.0, 1.0, 0.0])
    d = fit.sigma2_u / fit.sigma2_e
    np.testing.assert_allclose(fit.gamma, d * n / (1 + d * n), rtol=1e-12)
    # the empty groups: no shrinkage and no effect (not NaN)
    assert fit.gamma[2] == fit.gamma[6] == 0.0 and fit.u[2] == fit.u[6] == 0.0
    # the maximum: Nelder-Mead on the dense criterion in both variances
    opt = optimize.minimize(lambda t: _dense(np.exp(t[0]), np.exp(t[1]))[0],
                            x0=[0.0, 0.0], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000})
    np.testing.assert_allclose(fit.sigma2_u, np.exp(opt.x[0]), rtol=1e-6)
    np.testing.assert_allclose(fit.sigma2_e, np.exp(opt.x[1]), rtol=1e-6)
    assert fit.reml_crit <= opt.fun + 1e-11


def test_an_interior_optimum_near_the_lower_bound_is_not_the_boundary():
    # the optimum at log delta = t; a lower bound 0.5 below it is still an interior fit
    t = math.log(_fit_u().sigma2_u / _fit_u().sigma2_e)
    fit = fit_nested_error(Y_U, GroupSums.build(X_U, G_U, M_U), X_U, bounds=(t - 0.5, t + 5))
    assert not fit.boundary
    np.testing.assert_allclose(fit.sigma2_u, _fit_u().sigma2_u, rtol=1e-6)
    # the optimum above the upper bound: the fit sits at the upper bound, not the boundary
    fit = fit_nested_error(Y_U, GroupSums.build(X_U, G_U, M_U), X_U, bounds=(t - 3, t - 1))
    assert not fit.boundary
    np.testing.assert_allclose(math.log(fit.sigma2_u / fit.sigma2_e), t - 1, atol=1e-6)
    # a lower bound above the optimum: the fit sits at that bound and is called the boundary
    # (sigma2_u = 0, OLS), as for a true zero
    fit = fit_nested_error(Y_U, GroupSums.build(X_U, G_U, M_U), X_U, bounds=(t + 1, t + 4))
    assert fit.boundary and fit.sigma2_u == 0.0


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def test_x_is_required():
    X = np.ones((9, 1))
    with pytest.raises(ValueError, match="^X is required$"):
        fit_nested_error(Y_BAL, GroupSums.build(X, G_BAL, 3))


@pytest.mark.parametrize("n", [2, 3])
def test_no_more_observations_than_coefficients(n):
    X = np.column_stack([np.ones(n), np.arange(n), np.arange(n) ** 2])[:, :3]
    g = np.zeros(n, dtype=np.int64)
    with pytest.raises(IdentificationError) as ei:
        fit_nested_error(np.arange(n, dtype=float), GroupSums.build(X, g, 1), X)
    assert str(ei.value) == f"nested-error model: {n} observations for 3 coefficients."


def test_four_observations_for_three_coefficients_fit():
    X = np.column_stack([np.ones(4), [0.0, 1, 2, 3], [0.0, 1, 4, 8]])
    g = np.array([0, 0, 1, 1])
    fit = fit_nested_error(np.array([1.0, 2.0, 2.5, 5.0]), GroupSums.build(X, g, 2), X)
    assert np.all(np.isfinite(fit.beta))


def test_collinear_covariates_message():
    X = np.column_stack([np.ones(9), np.arange(9.0), 2 * np.arange(9.0)])
    with pytest.raises(IdentificationError) as ei:
        fit_nested_error(Y_BAL, GroupSums.build(X, G_BAL, 3), X)
    assert str(ei.value) == ("nested-error model: X'V^-1X is singular (collinear covariates). "
                             "Fix: drop redundant covariates.")
    assert isinstance(ei.value.__cause__, np.linalg.LinAlgError)


def test_search_that_does_not_converge_message(monkeypatch):
    seen = {}

    def fake(fun, bounds, method, options):
        seen.update(bounds=bounds, method=method, options=options, f0=fun(0.0))
        return optimize.OptimizeResult(x=0.0, success=False, message="Maximum number of "
                                       "function calls reached.")

    monkeypatch.setattr(nested.optimize, "minimize_scalar", fake)
    with pytest.raises(IdentificationError) as ei:
        _balanced()
    assert str(ei.value) == ("nested-error model: the REML search did not converge (Maximum "
                             "number of function calls reached.). Fix: rescale the covariates "
                             "or check the response transformation.")
    assert seen["bounds"] == (-18.0, 9.0) and seen["method"] == "bounded"
    assert seen["options"] == {"xatol": 1e-10, "maxiter": 500}
    # the function searched is the REML criterion in log delta (delta = 1 at 0):
    # -2 l_R at sigma2_u = sigma2_e, from the dense formula of the balanced design
    s2e = (12 + 56 / 4) / 8       # r'H r / (N - p) with H = sigma2_e V^-1, n delta = 3
    crit = 8 * (1 + math.log(2 * math.pi * s2e)) + 3 * math.log(4) + math.log(9 / 4)
    np.testing.assert_allclose(seen["f0"], crit, rtol=1e-12)
