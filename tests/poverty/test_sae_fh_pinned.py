"""Fay-Herriot pinned by closed forms (issue 18, mutation round on poverty/sae/fayherriot.py).

Every expected number here is a hand computation written out in the test, from the textbook
formulas (Rao & Molina 2015, *Small Area Estimation*, 2nd ed., sections 6.1-6.2):

* the **balanced** intercept-only model (equal sampling variances ``psi``): the direct
  estimates are iid ``N(mu, A + psi)``, so REML gives ``A + psi = S / (m - 1)`` and ML
  ``A + psi = S / m`` with ``S = sum (y - ybar)^2`` (truncated at ``A = 0``);
  ``beta = ybar``, ``Q = (A + psi) / m``; the shrinkage ``gamma = A / (A + psi)``; the EBLUP
  ``gamma y + (1 - gamma) ybar``; Prasad-Rao ``g1 = gamma psi``, ``g2 = (1 - gamma)^2 Q``,
  ``g3 = (1 - gamma)^2 * 2 (A + psi)^2 / m / (A + psi)``; the ML (Datta-Lahiri) bias of
  ``A``, ``b = -tr(Q X'V^-2 X) / sum V^-2 = -(A + psi) / m``;
* for unequal variances the (RE)ML score and log-likelihood from the projection matrix
  ``P = V^-1 - V^-1 X (X'V^-1 X)^-1 X'V^-1`` computed with dense matrices in the test (Rao &
  Molina (5.2.17)-(5.2.22)), and the Gaussian log-density of scipy for the ML likelihood.

The sample: y = 1, 2, 3, 4, 5 with psi = 1 (S = 10, ybar = 3), plus one domain without a
sample. REML: A = 10/4 - 1 = 1.5, gamma = 0.6, Q = 0.5; ML: A = 10/5 - 1 = 1, gamma = 0.5,
Q = 0.4.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import (
    EstimationWarning,
    IdentificationError,
    ParameterError,
)
from kassaki_eval.poverty.sae import fay_herriot, fh_fit
from kassaki_eval.poverty.sae.fayherriot import _loglik, _score

Z = stats.norm.ppf(0.975)


def _balanced(psi: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"area": ["a", "b", "c", "d", "e", "f"],
                         "y": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
                         "v": [psi] * 5 + [np.nan], "x": 0.0})


def _fh(df: pd.DataFrame, **kw):
    kw.setdefault("measure", "mean")
    return fay_herriot(df, "y", "v", [], domain="area", **kw)


# ---------------------------------------------------------------------------------------------
# the balanced model: every output by hand
# ---------------------------------------------------------------------------------------------

def test_balanced_reml_eblup_and_prasad_rao_mse_by_hand():
    res = _fh(_balanced())
    t = res.tidy()
    A, psi, m, V = 1.5, 1.0, 5, 2.5
    gam = A / V                                  # 0.6
    Q = V / m                                    # 0.5
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    eblup = gam * y + (1 - gam) * 3.0            # 1.8, 2.4, 3.0, 3.6, 4.2
    g1 = gam * psi                               # 0.6
    g2 = (1 - gam) ** 2 * Q                      # 0.08
    g3 = (1 - gam) ** 2 * (2 * V ** 2 / m) / V   # 0.16
    mse_in = g1 + g2 + 2 * g3                    # 1.0
    mse_out = A + Q                              # 2.0 (REML: A + x'Qx)
    assert res.extras["A"] == pytest.approx(A, abs=1e-12)
    assert res.extras["boundary"] is False
    assert res.extras["beta"].to_dict() == pytest.approx({"(Intercept)": 3.0}, abs=1e-12)
    assert res.extras["dl_bias"] == 0.0
    np.testing.assert_allclose(t["estimate"], [*eblup, 3.0], atol=1e-12)
    np.testing.assert_allclose(t["mse"], [mse_in] * 5 + [mse_out], atol=1e-12)
    np.testing.assert_allclose(res.extras["mse_transformed"], [mse_in] * 5 + [mse_out],
                               atol=1e-12)
    np.testing.assert_allclose(t["std_error"], np.sqrt([mse_in] * 5 + [mse_out]), atol=1e-12)
    np.testing.assert_allclose(t["gamma"], [gam] * 5 + [0.0], atol=1e-12)
    np.testing.assert_allclose(t["direct"], [*y, np.nan])
    np.testing.assert_allclose(t["direct_var"], [1.0] * 5 + [np.nan])
    assert t["in_sample"].tolist() == [True] * 5 + [False]
    assert t["method"].tolist() == ["FH"] * 5 + ["synthetic"]
    assert t["n_obs"].tolist() == [1] * 5 + [0]
    # no transformation: the normal interval estimate +- z sqrt(mse)
    se = np.sqrt([mse_in] * 5 + [mse_out])
    np.testing.assert_allclose(t["conf_low"], t["estimate"] - Z * se, atol=1e-12)
    np.testing.assert_allclose(t["conf_high"], t["estimate"] + Z * se, atol=1e-12)
    # REML log-likelihood: -1/2 [(m-p) log 2 pi + m log V + log(m / V) + S / V]
    ll = -0.5 * (4 * np.log(2 * np.pi) + 5 * np.log(V) + np.log(m / V) + 10 / V)
    assert res.extras["loglik"] == pytest.approx(ll, abs=1e-12)
    # model-scale diagnostics: standardised residuals (y - ybar)/sqrt(V), random effects
    ms = res.extras["model_scale"]
    np.testing.assert_allclose(ms["std_residuals"], (y - 3.0) / np.sqrt(V), atol=1e-12)
    np.testing.assert_allclose(ms["random_effects"], gam * (y - 3.0), atol=1e-12)
    assert res.provenance.options["mse"] == "Prasad-Rao"
    assert res.provenance.n_used == 5 and res.provenance.n_input == 6
    assert res.provenance.dropped == {"no direct estimate (synthetic x'beta)": 1}
    assert res.method == "fay_herriot_reml"


def test_balanced_ml_eblup_and_datta_lahiri_mse_by_hand():
    res = _fh(_balanced(), method="ml")
    t = res.tidy()
    A, psi, m, V = 1.0, 1.0, 5, 2.0
    gam, Q = A / V, V / m                        # 0.5, 0.4
    b = -V / m                                   # -0.4: tr(Q X'V^-2X) / sum V^-2 = (1/V)/(m/V^2)
    g1, g2 = gam * psi, (1 - gam) ** 2 * Q       # 0.5, 0.1
    g3 = (1 - gam) ** 2 * (2 * V ** 2 / m) / V   # 0.2
    mse_in = g1 + g2 + 2 * g3 - b * (1 - gam) ** 2   # 1.1
    mse_out = A + b + Q                          # 1.0
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert res.extras["A"] == pytest.approx(A, abs=1e-12)
    assert res.extras["dl_bias"] == pytest.approx(b, abs=1e-12)
    np.testing.assert_allclose(t["estimate"], [*(gam * y + (1 - gam) * 3.0), 3.0], atol=1e-12)
    np.testing.assert_allclose(t["mse"], [mse_in] * 5 + [mse_out], atol=1e-12)
    ll = -0.5 * (5 * np.log(2 * np.pi) + 5 * np.log(V) + 10 / V)
    assert res.extras["loglik"] == pytest.approx(ll, abs=1e-12)
    assert res.provenance.options["mse"] == "Datta-Lahiri"
    assert res.method == "fay_herriot_ml"
    assert res.summary().title == "Fay-Herriot (ML, none) mean"


def test_sigma2_u_fixed_is_used_as_given():
    """A fixed at 3 (psi = 1): gamma = 0.75, GLS beta = ybar (equal weights)."""
    res = _fh(_balanced(), sigma2_u=3.0)
    t = res.tidy()
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(t["estimate"][:5], 0.75 * y + 0.25 * 3.0, atol=1e-12)
    assert res.extras["A"] == 3.0 and res.extras["boundary"] is False
    assert res.provenance.options["sigma2_u_fixed"] == 3.0
    # at A = 3 the REML log-likelihood with V = 4
    ll = -0.5 * (4 * np.log(2 * np.pi) + 5 * np.log(4.0) + np.log(5 / 4.0) + 10 / 4.0)
    assert res.extras["loglik"] == pytest.approx(ll, abs=1e-12)
    zero = _fh(_balanced(), sigma2_u=0.0)        # no warning when A = 0 is the user's choice
    assert zero.extras["boundary"] is True
    np.testing.assert_allclose(zero.tidy()["estimate"], 3.0, atol=1e-12)


def test_boundary_fit_gives_the_synthetic_estimate_and_warns():
    """S / (m - 1) = 0.025 < psi = 1: the REML optimum is A = 0 (score at 0 negative)."""
    df = _balanced().assign(y=[2.9, 3.0, 3.1, 3.0, 3.0, np.nan])
    with pytest.warns(EstimationWarning, match="REML estimate of the random-effect variance "
                                               "is 0"):
        res = _fh(df)
    t = res.tidy()
    assert res.extras["A"] == 0.0 and res.extras["boundary"] is True
    np.testing.assert_allclose(t["estimate"], 3.0, atol=1e-12)
    np.testing.assert_allclose(t["gamma"], 0.0, atol=0)
    # A = 0: g1 = 0, g2 = Q = psi / m = 0.2, g3 = 1 * (2 psi^2 / m) / psi = 0.4
    np.testing.assert_allclose(t["mse"][:5], 0.2 + 2 * 0.4, atol=1e-12)
    with pytest.warns(EstimationWarning, match="ML estimate"):
        _fh(df, method="ml")


def test_fh_fit_returns_the_closed_form_optimum_and_its_fields():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    X = np.ones((5, 1))
    psi = np.ones(5)
    for method, A in (("reml", 1.5), ("ml", 1.0)):
        f = fh_fit(y, X, psi, method)
        assert f["A"] == pytest.approx(A, rel=1e-13)
        assert f["method"] == method and f["boundary"] is False and f["iterations"] > 0
        np.testing.assert_allclose(f["beta"], [3.0], atol=1e-12)
        np.testing.assert_allclose(f["Q"], [[(A + 1) / 5]], atol=1e-12)
    f0 = fh_fit(np.array([2.9, 3.0, 3.1, 3.0, 3.0]), X, psi)
    assert f0["A"] == 0.0 and f0["boundary"] is True and f0["iterations"] == 0
    with pytest.raises(ParameterError, match="'method' parameter of fh_fit"):
        fh_fit(y, X, psi, "mle")  # type: ignore[arg-type]


def test_score_without_a_root_raises_identification_error():
    """The search's guard. No valid input keeps the score positive (for large A it tends to
    -m / (2A) < 0), so the guard is reached with sampling variances so negative (-1e300) that
    A + psi stays negative for every A the search tries (4^200 x 1e-12 ~ 3e108); fh_fit is the
    low-level fit and does not check psi (fay_herriot does)."""
    y = np.array([0.0, 0.0, 0.0, 0.0, 0.0])
    X = np.ones((5, 1))
    psi = -np.arange(1.0, 6.0) * 1e300  # never valid input; fh_fit does not check psi
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IdentificationError, match="stays positive"):
            fh_fit(y, X, psi, "ml")


# ---------------------------------------------------------------------------------------------
# score and log-likelihood against the dense-matrix formulas (unequal variances)
# ---------------------------------------------------------------------------------------------

def _dense(A, y, X, psi):
    V = np.diag(A + psi)
    Vi = np.linalg.inv(V)
    XtViX = X.T @ Vi @ X
    P = Vi - Vi @ X @ np.linalg.inv(XtViX) @ X.T @ Vi
    return V, Vi, XtViX, P


UNEQ = (np.array([2.5, -0.8, 0.4, 3.9, -1.7, 1.1, 0.2]),
        np.column_stack([np.ones(7), [0.1, -0.4, 1.3, 0.8, -0.2, 1.7, 0.5]]),
        np.array([0.4, 0.9, 0.25, 0.6, 1.1, 0.3, 0.5]))


@pytest.mark.parametrize("A", [0.0, 0.37, 2.0])
def test_score_and_loglik_equal_the_dense_matrix_formulas(A):
    y, X, psi = UNEQ
    m, p = X.shape
    V, Vi, XtViX, P = _dense(A, y, X, psi)
    # ML: d/dA of log N(y; X beta_hat, V) = -1/2 tr(V^-1) + 1/2 (Py)'(Py)
    s_ml = -0.5 * np.trace(Vi) + 0.5 * float(y @ P @ P @ y)
    # REML: -1/2 tr(P) + 1/2 y'PPy
    s_reml = -0.5 * np.trace(P) + 0.5 * float(y @ P @ P @ y)
    assert _score(A, y, X, psi, "ml") == pytest.approx(s_ml, rel=1e-12)
    assert _score(A, y, X, psi, "reml") == pytest.approx(s_reml, rel=1e-12)
    beta = np.linalg.solve(XtViX, X.T @ Vi @ y)
    ll_ml = stats.multivariate_normal(X @ beta, V).logpdf(y)
    ll_reml = -0.5 * ((m - p) * np.log(2 * np.pi) + np.linalg.slogdet(V)[1]
                      + np.linalg.slogdet(XtViX)[1] + float(y @ P @ y))
    assert _loglik(A, y, X, psi, "ml") == pytest.approx(ll_ml, rel=1e-12)
    assert _loglik(A, y, X, psi, "reml") == pytest.approx(ll_reml, rel=1e-12)


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_unequal_variances_fit_is_the_root_of_the_dense_score(method):
    y, X, psi = UNEQ
    f = fh_fit(y, X, psi, method)
    A = f["A"]
    assert A > 0
    _, Vi, _, P = _dense(A, y, X, psi)
    tr = np.trace(P) if method == "reml" else np.trace(Vi)
    assert abs(-0.5 * tr + 0.5 * float(y @ P @ P @ y)) < 1e-10
    df = pd.DataFrame({"area": range(7), "y": y, "v": psi, "x": X[:, 1]})
    res = fay_herriot(df, "y", "v", ["x"], domain="area", method=method, measure="mean")
    t = res.tidy()
    gam = A / (A + psi)
    beta = np.linalg.solve(X.T @ np.diag(1 / (A + psi)) @ X, X.T @ (y / (A + psi)))
    np.testing.assert_allclose(t["estimate"], gam * y + (1 - gam) * (X @ beta), atol=1e-10)
    np.testing.assert_allclose(res.extras["beta"].to_numpy(), beta, atol=1e-10)
    assert list(res.extras["beta"].index) == ["(Intercept)", "x"]
    # Prasad-Rao with the REML/ML asymptotic variance 2 / sum V^-2 of A (Rao & Molina 6.2.2)
    Qm = np.linalg.inv(X.T @ np.diag(1 / (A + psi)) @ X)
    g1 = gam * psi
    g2 = (1 - gam) ** 2 * np.array([x @ Qm @ x for x in X])
    vA = 2 / np.sum((A + psi) ** -2.0)
    g3 = psi ** 2 * (A + psi) ** -3.0 * vA
    mse = g1 + g2 + 2 * g3
    if method == "ml":
        bA = -np.trace(Qm @ X.T @ np.diag((A + psi) ** -2.0) @ X) / np.sum((A + psi) ** -2.0)
        mse = mse - bA * (1 - gam) ** 2
    np.testing.assert_allclose(t["mse"], mse, rtol=1e-10)


def test_no_intercept_uses_only_the_covariates():
    y, X, psi = UNEQ
    df = pd.DataFrame({"area": range(7), "y": y, "v": psi, "x": X[:, 1]})
    res = fay_herriot(df, "y", "v", ["x"], domain="area", intercept=False, sigma2_u=0.5,
                      measure="mean")
    x = X[:, 1]
    w = 1 / (0.5 + psi)
    beta = np.sum(w * x * y) / np.sum(w * x * x)
    assert list(res.extras["beta"].index) == ["x"]
    assert res.extras["beta"]["x"] == pytest.approx(beta, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# transformations: the balanced model on the transformed scale
# ---------------------------------------------------------------------------------------------

def _balanced_log() -> pd.DataFrame:
    """theta = exp(1..5) with psi = theta^2: on the log scale y = 1..5 and psi / theta^2 = 1,
    the balanced model above (REML A = 1.5, gamma = 0.6, mse 1.0 in / 2.0 out, eta out = 3)."""
    t = np.exp([1.0, 2.0, 3.0, 4.0, 5.0])
    return pd.DataFrame({"area": list("abcdef"), "y": [*t, np.nan], "v": [*(t ** 2), np.nan],
                         "x": 0.0})


ETA = np.array([1.8, 2.4, 3.0, 3.6, 4.2, 3.0])
MSE_T = np.array([1.0] * 5 + [2.0])


def test_log_naive_backtransformation_by_hand():
    res = _fh(_balanced_log(), transformation="log", backtransformation="naive")
    t = res.tidy()
    np.testing.assert_allclose(t["estimate"], np.exp(ETA), rtol=1e-12)
    np.testing.assert_allclose(t["mse"], np.exp(2 * ETA) * MSE_T, rtol=1e-12)
    np.testing.assert_allclose(res.extras["eta"], ETA, atol=1e-12)
    np.testing.assert_allclose(res.extras["mse_transformed"], MSE_T, atol=1e-12)
    # the interval is computed on the log scale and back-transformed
    np.testing.assert_allclose(t["conf_low"], np.exp(ETA - Z * np.sqrt(MSE_T)), rtol=1e-12)
    np.testing.assert_allclose(t["conf_high"], np.exp(ETA + Z * np.sqrt(MSE_T)), rtol=1e-12)
    assert res.provenance.options["mse"] == "point^2 x Prasad-Rao"
    assert res.provenance.options["backtransformation"] == "naive"


def test_log_crude_backtransformation_by_hand():
    """emdi's crude: exp(eta + mse / 2) in and out of sample."""
    t = _fh(_balanced_log(), transformation="log", backtransformation="crude").tidy()
    point = np.exp(ETA + 0.5 * MSE_T)
    np.testing.assert_allclose(t["estimate"], point, rtol=1e-12)
    np.testing.assert_allclose(t["mse"], point ** 2 * MSE_T, rtol=1e-12)


def test_log_bias_corrected_out_of_sample_by_hand():
    """In sample exp(eta + A (1 - gamma) / 2) = exp(eta + 0.3); out of sample exp(eta + A / 2)
    = exp(3.75), its MSE point^2 x (A + x'Qx) = point^2 x 2."""
    res = _fh(_balanced_log(), transformation="log")
    t = res.tidy()
    np.testing.assert_allclose(t["estimate"][:5], np.exp(ETA[:5] + 0.5 * 1.5 * 0.4), rtol=1e-12)
    assert t["estimate"].iloc[5] == pytest.approx(np.exp(3.0 + 0.75), rel=1e-12)
    assert t["mse"].iloc[5] == pytest.approx(np.exp(2 * 3.75) * 2.0, rel=1e-12)
    assert res.provenance.options["mse"] == ("Slud-Maiti (in-sample), point^2 x Prasad-Rao "
                                             "(out-of-sample)")


def _balanced_arcsin() -> pd.DataFrame:
    """sqrt(theta) = sin(0.3 .. 0.7), n_eff = 25: psi_t = 1/100, S = 0.1, REML A + psi_t =
    0.1 / 4 = 0.025, A = 0.015, gamma = 0.6, eta = 0.38, 0.44, 0.5, 0.56, 0.62 (out: 0.5), mse_t
    out of sample A + (A + psi_t) / 5 = 0.02."""
    t = np.sin(np.array([0.3, 0.4, 0.5, 0.6, 0.7])) ** 2
    return pd.DataFrame({"area": list("abcdef"), "y": [*t, np.nan], "v": 0.001,
                         "n": [25.0] * 5 + [np.nan], "x": 0.0})


def test_arcsin_naive_and_bias_corrected_by_hand():
    df = _balanced_arcsin()
    eta = np.array([0.38, 0.44, 0.5, 0.56, 0.62, 0.5])
    nv = _fh(df, transformation="arcsin", n_eff="n", mse="none", backtransformation="naive")
    np.testing.assert_allclose(nv.extras["A"], 0.015, rtol=1e-12)
    np.testing.assert_allclose(nv.tidy()["estimate"], np.sin(eta) ** 2, rtol=1e-12)
    # mse="none": no MSE, no interval
    assert nv.tidy()["mse"].isna().all() and nv.tidy()["conf_low"].isna().all()
    assert nv.provenance.options["mse"] == "none"
    bc = _fh(df, transformation="arcsin", n_eff="n", mse="none")
    cvar = np.array([0.015 * 0.4] * 5 + [0.015])      # A (1 - gamma) in, A out of sample
    want = [_sin2_integral(e, v) for e, v in zip(eta, cvar, strict=True)]
    np.testing.assert_allclose(bc.tidy()["estimate"], want, rtol=1e-9)


def _sin2_integral(mu: float, var: float) -> float:
    """E[sin^2(x) 1{0 < x < pi/2}], x ~ N(mu, var), by numerical quadrature."""
    from scipy import integrate
    sd = np.sqrt(var)
    return integrate.quad(lambda x: np.sin(x) ** 2 * stats.norm.pdf(x, mu, sd), 0, np.pi / 2,
                          epsabs=1e-14, epsrel=1e-12)[0]


def test_arcsin_bias_corrected_equals_quadrature_and_naive_at_zero_variance():
    from kassaki_eval.poverty.sae import arcsin_bias_corrected
    mu = np.array([-0.2, 0.1, 0.7, 1.5, 1.7, 0.4])
    var = np.array([0.04, 0.01, 0.3, 0.02, 0.05, 0.0])
    got = arcsin_bias_corrected(mu, var)
    want = [_sin2_integral(m, v) for m, v in zip(mu[:5], var[:5], strict=True)]
    np.testing.assert_allclose(got[:5], want, rtol=1e-9, atol=1e-15)
    # zero variance: the point mass, sin^2 of mu clipped to [0, pi/2]
    assert got[5] == pytest.approx(np.sin(0.4) ** 2, rel=1e-15)
    clipped = arcsin_bias_corrected(np.array([-0.3, 2.0]), np.zeros(2))
    np.testing.assert_allclose(clipped, [0.0, 1.0], atol=1e-15)


# ---------------------------------------------------------------------------------------------
# bootstrap MSE, replicated by hand (balanced closed forms for every replicate)
# ---------------------------------------------------------------------------------------------

def _boot_by_hand(log: bool, B: int, seed: int) -> np.ndarray:
    """González-Manteiga et al. (2008): theta* = x'beta + u*, y* = theta*_in + e*, re-fit,
    EBLUP*, error against theta* (back-transformed with exp for the log model).

    Fitted model (both data sets are balanced with psi = 1 on the model scale): A = 1.5,
    beta = 3. Each replicate's REML fit is the closed form A* = max(0, S* / 4 - 1)."""
    rng = np.random.default_rng(seed)
    acc = np.zeros(6)
    for _ in range(B):
        th = 3.0 + rng.normal(0.0, np.sqrt(1.5), 6)
        yb = th[:5] + rng.normal(0.0, np.sqrt(np.ones(5)))
        ybar = yb.mean()
        A = max(0.0, np.sum((yb - ybar) ** 2) / 4 - 1.0)
        g = A / (A + 1.0)
        est = np.append(g * yb + (1 - g) * ybar, ybar)
        if log:
            est = np.exp(est + 0.5 * np.append(np.full(5, A * (1 - g)), A))
            th = np.exp(th)
        acc += (est - th) ** 2
    return acc / B


@pytest.mark.parametrize("log", [False, True])
def test_bootstrap_mse_equals_the_replicates_by_hand(log):
    df = _balanced_log() if log else _balanced()
    res = _fh(df, mse="bootstrap", B=7, seed=42, transformation="log" if log else "none")
    want = _boot_by_hand(log, 7, 42)
    np.testing.assert_allclose(res.tidy()["mse"], want, rtol=1e-9)
    np.testing.assert_allclose(res.extras["bootstrap_mse"], want, rtol=1e-9)
    assert res.provenance.options["mse"] == "parametric bootstrap (B=7)"
    assert res.provenance.options["B"] == 7 and res.provenance.options["seed"] == 42


@pytest.mark.parametrize("B", [0, 2.5, "10"])
def test_bootstrap_needs_a_positive_int_B(B):
    with pytest.raises(ParameterError, match=r"'B' parameter of fay_herriot must be an int >= 1"):
        _fh(_balanced(), mse="bootstrap", B=B)


# ---------------------------------------------------------------------------------------------
# benchmarking
# ---------------------------------------------------------------------------------------------

def test_ratio_and_difference_benchmarking_by_hand():
    df = _balanced().assign(pop=[1.0, 2.0, 3.0, 4.0, 5.0, 5.0])
    base = _fh(df).tidy()
    w = df["pop"].to_numpy() / 20.0
    agg = float(np.sum(w * base["estimate"]))
    r = _fh(df, benchmark=2.5, benchmark_weight="pop")
    f = 2.5 / agg
    t = r.tidy()
    np.testing.assert_allclose(t["estimate"], base["estimate"] * f, rtol=1e-12)
    np.testing.assert_allclose(t["mse"], base["mse"] * f ** 2, rtol=1e-12)
    assert r.extras["benchmark_factor"] == pytest.approx(f, rel=1e-12)
    np.testing.assert_allclose(t["conf_low"], t["estimate"] - Z * np.sqrt(t["mse"]), rtol=1e-12)
    d = _fh(df, benchmark=2.5, benchmark_weight="pop", benchmark_kind="difference")
    t = d.tidy()
    np.testing.assert_allclose(t["estimate"], base["estimate"] + (2.5 - agg), rtol=1e-12)
    np.testing.assert_allclose(t["mse"], base["mse"], rtol=1e-12)
    assert d.extras["benchmark_factor"] == pytest.approx(2.5 - agg, rel=1e-12)
    assert d.extras["eta"] is None and r.extras["eta"] is None
    assert d.provenance.options["benchmark_kind"] == "difference"
    assert d.provenance.options["benchmark"] == 2.5
    with pytest.raises(ParameterError, match=r"'benchmark_weight' parameter of fay_herriot must "
                                             r"name the domain weight column \(e\.g\. persons\) "
                                             r"when 'benchmark' is given\. Got None instead\.$"):
        _fh(df, benchmark=2.5)


def test_benchmarked_log_model_has_original_scale_intervals():
    """After benchmarking the transformed-scale interval no longer applies: estimate +- z se."""
    df = _balanced_log().assign(pop=1.0)
    t = _fh(df, transformation="log", backtransformation="naive", benchmark=100.0,
            benchmark_weight="pop").tidy()
    se = np.sqrt(t["mse"])
    np.testing.assert_allclose(t["conf_low"], t["estimate"] - Z * se, rtol=1e-12)
    np.testing.assert_allclose(t["conf_high"], t["estimate"] + Z * se, rtol=1e-12)
    assert float(t["estimate"].mean()) == pytest.approx(100.0, rel=1e-12)


def test_benchmarked_arcsin_bootstrap_interval_is_clipped_to_0_1():
    df = _balanced_arcsin().assign(pop=1.0)
    res = _fh(df, transformation="arcsin", n_eff="n", mse="bootstrap", B=5, seed=1,
              benchmark=0.1, benchmark_weight="pop", benchmark_kind="difference")
    t = res.tidy()
    se = np.sqrt(t["mse"].to_numpy())
    np.testing.assert_allclose(t["conf_low"], np.clip(t["estimate"] - Z * se, 0, 1), atol=1e-12)
    np.testing.assert_allclose(t["conf_high"], np.clip(t["estimate"] + Z * se, 0, 1),
                               atol=1e-12)
    assert (t["conf_low"] == 0).any()  # the clip is reached


def test_n_obs_column_is_reported():
    df = _balanced().assign(hh=[10, 20, 30, 40, 50, np.nan])
    assert _fh(df, n_obs="hh").tidy()["n_obs"].tolist() == [10, 20, 30, 40, 50, 0]


# ---------------------------------------------------------------------------------------------
# bad input: one clear error naming the parameter / column, the domains and the fix
# ---------------------------------------------------------------------------------------------

def test_bad_inputs_name_the_problem_and_the_fix():
    df = _balanced()
    with pytest.raises(ParameterError, match="'data' parameter of fay_herriot must be a "
                                             "DataFrame .* Got list instead"):
        fay_herriot([1, 2], "y", "v", [], domain="area")  # type: ignore[arg-type]
    for kw, name, col in ((dict(direct="yy"), "direct", "yy"), (dict(vardir="vv"), "vardir", "vv"),
                          (dict(domain="dd"), "domain", "dd"), (dict(n_eff="nn"), "n_eff", "nn"),
                          (dict(benchmark_weight="ww"), "benchmark_weight", "ww"),
                          (dict(n_obs="oo"), "n_obs", "oo")):
        args = {"direct": "y", "vardir": "v", "domain": "area", **kw}
        with pytest.raises(ParameterError, match=f"'{name}' parameter of fay_herriot must name "
                                                 f"a column of the area table. Got '{col}'"):
            fay_herriot(df, args.pop("direct"), args.pop("vardir"), [], **args)
    with pytest.raises(ParameterError, match="'n_eff' parameter .* transformation='arcsin'"):
        _fh(df, transformation="arcsin", mse="none")
    with pytest.raises(ParameterError, match="'backtransformation' .* 'bias_corrected' or "
                                             "'naive' with arcsin. Got 'crude'"):
        _fh(_balanced_arcsin(), transformation="arcsin", n_eff="n", mse="none",
            backtransformation="crude")
    neg = df.assign(v=[1.0, -1.0, np.nan, 1.0, 1.0, np.nan])
    with pytest.raises(ParameterError, match=r"column 'v' is missing or negative for 2 sampled "
                                             r"domains \(e\.g\. b, c\)\. Fix: give the sampling"):
        _fh(neg)
    lg = df.assign(y=[1.0, 0.0, -2.0, 4.0, 5.0, np.nan])
    with pytest.raises(ParameterError, match=r"log transformation needs direct > 0; 2 domains "
                                             r"are <= 0 \(e\.g\. b, c\)"):
        _fh(lg, transformation="log")
    arc = _balanced_arcsin()
    with pytest.raises(ParameterError, match="arcsin transformation needs direct in \\[0, 1\\]; "
                                             "column 'y'"):
        _fh(arc.assign(y=[0.1, 1.2, 0.3, 0.2, 0.1, np.nan]), transformation="arcsin",
            n_eff="n", mse="none")
    with pytest.raises(ParameterError, match="arcsin transformation needs direct in"):
        _fh(arc.assign(y=[0.1, -0.1, 0.3, 0.2, 0.1, np.nan]), transformation="arcsin",
            n_eff="n", mse="none")
    for bad in (0.0, np.nan):
        with pytest.raises(ParameterError,
                           match="column 'n' must be > 0 for every sampled domain\\.$"):
            _fh(arc.assign(n=[25.0, bad, 25.0, 25.0, 25.0, np.nan]), transformation="arcsin",
                n_eff="n", mse="none")
    # arcsin and log allow a zero sampling variance on the original scale only for arcsin
    zero = df.assign(v=[1.0, 0.0, 0.0, 1.0, 1.0, np.nan])
    with pytest.raises(ParameterError, match=r"column 'v' is 0 for 2 sampled domains \(e\.g\. "
                                             r"b, c\).*Fix: smooth the variances "
                                             r"\(direct_estimates\(\.\.\., smooth='few'\)\) or "
                                             r"use transformation='arcsin'\.$"):
        _fh(zero)
    with pytest.raises(IdentificationError, match="fay_herriot: 2 sampled domains for 2 "
                                                  "coefficients; .* Fix: fewer covariates"):
        fay_herriot(df.iloc[[0, 1, 5]].assign(x=[0.0, 1.0, 2.0]), "y", "v", ["x"],
                    domain="area")
    with pytest.raises(IdentificationError, match=r"collinear \(rank 1 < 2\)\. Fix: drop "
                                                               r"redundant covariates\.$"):
        fay_herriot(df, "y", "v", ["x"], domain="area")   # x = 0: collinear with the intercept
    three = df.assign(x=[1.0, 2.0, 3.0, 1.0, 2.0, 0.0]).assign(x2=lambda d: 2 * d["x"])
    with pytest.raises(IdentificationError, match=r"collinear \(rank 2 < 3\)"):
        fay_herriot(three, "y", "v", ["x", "x2"], domain="area")
    with pytest.raises(ParameterError, match=r"'mse' parameter of fay_herriot must be 'bootstrap' "
                                             r"or 'none' with transformation='arcsin' \(no "
                                             r"analytic MSE on the proportion scale\)\. Got "
                                             r"'analytic' instead\.$"):
        _fh(_balanced_arcsin(), transformation="arcsin", n_eff="n")
    with pytest.raises(ParameterError, match=r"5 domains have missing covariates \(e\.g\. a, b, "
                                             r"c, d, e\)"):
        fay_herriot(df.assign(x=[np.nan] * 5 + [1.0]), "y", "v", ["x"], domain="area")


def test_arcsin_accepts_zero_and_one_and_log_ignores_backtransformation_for_none():
    """The arcsin variance 1/(4 n) needs no sampling variance: p = 0 or 1 is fine; without a
    transformation the back-transformation option is ignored (recorded as bias_corrected)."""
    arc = _balanced_arcsin().assign(y=[0.0, 0.2, 0.3, 1.0, 0.25, np.nan], v=0.0)
    t = _fh(arc, transformation="arcsin", n_eff="n", mse="none").tidy()
    assert np.isfinite(t["estimate"]).all()
    r = _fh(_balanced(), backtransformation="naive")
    assert r.provenance.options["backtransformation"] == "bias_corrected"


def test_provenance_and_extras_of_an_analytic_fit():
    from kassaki_eval.results import hash_frame
    df = _balanced()
    res = _fh(df, method="ml")
    assert res.provenance.inputs_hash == hash_frame(df)
    o = res.provenance.options
    assert (o["method"], o["transformation"], o["direct"], o["vardir"], o["covariates"]) == (
        "ml", "none", "y", "v", [])
    assert res.extras["bootstrap_mse"] is None and res.extras["benchmark_factor"] is None


def test_fh_fit_accepts_a_dataframe_design_with_nullable_integer_columns():
    """``X`` as a DataFrame (e.g. ``df[["one", "dummy"]]`` with pandas' nullable Int64): the same
    fit as the float array (converted to float, not to an object array)."""
    y, X, psi = UNEQ
    Xd = pd.DataFrame({"one": pd.array([1] * 7, dtype="Int64"), "x": X[:, 1]})
    a, b = fh_fit(y, Xd, psi), fh_fit(y, X, psi)
    assert a["A"] == pytest.approx(b["A"], rel=1e-12)
    np.testing.assert_allclose(a["beta"], b["beta"], rtol=1e-12)


def test_fh_fit_bracket_grows_past_the_first_guess():
    """y = 0, 2, 4, 6, 8 with psi = 0.01: the REML optimum A = 40/4 - 0.01 = 9.99 lies above the
    bracket's first end max(var(y) = 8, psi) and above 4 (the bracket grows by factors of 4)."""
    f = fh_fit(np.array([0.0, 2.0, 4.0, 6.0, 8.0]), np.ones((5, 1)), np.full(5, 0.01))
    assert f["A"] == pytest.approx(9.99, rel=1e-13)


def test_log_model_of_integer_totals_equals_the_float_model():
    """Village totals in rupiah (~1e10) stored as int64: the log model's variance psi / theta^2
    must be computed in floating point (theta^2 ~ 1e20 overflows int64)."""
    tot = np.array([3, 5, 8, 13, 21]) * 10 ** 9 + np.array([1, 7, 3, 9, 5]) * 10 ** 8
    df = pd.DataFrame({"area": list("abcde"), "y": tot.astype(np.int64),
                       "v": (0.01 * tot.astype(float) ** 2), "x": 0.0})
    a = _fh(df, transformation="log").tidy()
    b = _fh(df.assign(y=df["y"].astype(float)), transformation="log").tidy()
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-14)
    np.testing.assert_allclose(a["mse"], b["mse"], rtol=1e-14)


def test_n_obs_non_numeric_entries_count_as_zero():
    df = _balanced().assign(hh=[10, 20, "n/a", 40, None, None])
    assert _fh(df, n_obs="hh").tidy()["n_obs"].tolist() == [10, 20, 0, 40, 0, 0]


def test_untransformed_bootstrap_interval_uses_the_bootstrap_mse():
    t = _fh(_balanced(), mse="bootstrap", B=7, seed=42).tidy()
    se = np.sqrt(_boot_by_hand(False, 7, 42))
    np.testing.assert_allclose(t["conf_low"], t["estimate"] - Z * se, rtol=1e-9)
    np.testing.assert_allclose(t["conf_high"], t["estimate"] + Z * se, rtol=1e-9)


def test_arcsin_interval_is_back_transformed_and_clipped_at_0_and_pi_over_2():
    """Balanced arcsin model (n_eff = 25, psi_t = 0.01) with proportions near 0 and 1: the
    interval is sin^2 of the transformed-scale interval eta +- z sqrt(mse_t), with the angle
    clipped to [0, pi/2] (so the bounds are 0 and 1 at the extremes)."""
    ang = np.array([0.05, 0.3, 0.8, 1.3, 1.52])
    df = pd.DataFrame({"area": list("abcdef"), "y": [*(np.sin(ang) ** 2), np.nan], "v": 0.0,
                       "n": [25.0] * 5 + [np.nan], "x": 0.0})
    t = _fh(df, transformation="arcsin", n_eff="n", mse="bootstrap", B=3, seed=9).tidy()
    m, psi = 5, 0.01
    ybar = ang.mean()
    V = np.sum((ang - ybar) ** 2) / (m - 1)                # REML: A + psi = S / (m - 1)
    A = V - psi
    gam = A / V
    eta = np.append(gam * ang + (1 - gam) * ybar, ybar)
    g1, g2, g3 = gam * psi, (1 - gam) ** 2 * V / m, (1 - gam) ** 2 * 2 * V / m
    mse_t = np.append(np.full(5, g1 + g2 + 2 * g3), A + V / m)
    half = Z * np.sqrt(mse_t)
    lo = np.sin(np.clip(eta - half, 0, np.pi / 2)) ** 2
    hi = np.sin(np.clip(eta + half, 0, np.pi / 2)) ** 2
    np.testing.assert_allclose(t["conf_low"], lo, atol=1e-12)
    np.testing.assert_allclose(t["conf_high"], hi, atol=1e-12)
    assert t["conf_low"].iloc[0] == 0.0 and t["conf_high"].iloc[4] == 1.0


def test_benchmarked_arcsin_interval_is_clipped_at_1():
    df = _balanced_arcsin().assign(pop=1.0)
    t = _fh(df, transformation="arcsin", n_eff="n", mse="bootstrap", B=5, seed=1,
            benchmark=0.9, benchmark_weight="pop", benchmark_kind="difference").tidy()
    se = np.sqrt(t["mse"].to_numpy())
    np.testing.assert_allclose(t["conf_high"], np.clip(t["estimate"] + Z * se, 0, 1),
                               atol=1e-12)
    assert (t["conf_high"] == 1.0).any()
