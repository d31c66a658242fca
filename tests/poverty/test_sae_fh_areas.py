"""Fay-Herriot behaviour areas left open by session 12's seed-21 sample (issue 18).

* the (RE)ML boundary: a score exactly 0 at ``A = 0`` is the boundary optimum (``s0 <= 0``);
* the bracket search's bound: 200 expansions of the first guess by 4, not 199 or 201;
* the identification error word for word (``m <= p``), and ``m = p + 1`` accepted;
* the parametric bootstrap with a fixed ``sigma2_u``: every replicate keeps ``A`` fixed.

Every expected value is a closed form written out in the test (Rao & Molina 2015, sections
6.1-6.2; the balanced model of tests/poverty/test_sae_fh_pinned.py) or a numpy replay of the
bootstrap's formulas with the same random stream.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import EstimationWarning, IdentificationError
from kassaki_eval.poverty.sae import fay_herriot, fh_fit
from kassaki_eval.poverty.sae.fayherriot import _score


def _balanced() -> pd.DataFrame:
    return pd.DataFrame({"area": ["a", "b", "c", "d", "e", "f"],
                         "y": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
                         "v": [1.0] * 5 + [np.nan], "x": 0.0})


# ---------------------------------------------------------------------------------------------
# the boundary: score exactly 0 at A = 0
# ---------------------------------------------------------------------------------------------

def test_score_exactly_zero_at_a_zero_is_the_boundary_optimum():
    """ML, intercept only, y = 1, -1, 1, -1, psi = 1: ybar = 0, S = 4 = m psi, so the ML score
    at A = 0, -m / (2 psi) + S / (2 psi^2) = -2 + 2, is exactly 0 and A = 0 is the optimum
    (A + psi = S / m = 1). The fit is the boundary one: no root search (0 iterations) and
    ``boundary`` True, so fay_herriot warns that every EBLUP is the synthetic estimate."""
    y = np.array([1.0, -1.0, 1.0, -1.0])
    X = np.ones((4, 1))
    psi = np.ones(4)
    assert _score(0.0, y, X, psi, "ml") == 0.0            # the precondition, exactly
    f = fh_fit(y, X, psi, "ml")
    assert f["A"] == 0.0 and f["boundary"] is True and f["iterations"] == 0
    df = pd.DataFrame({"area": ["a", "b", "c", "d", "e"], "y": [1.0, -1.0, 1.0, -1.0, np.nan],
                       "v": [1.0] * 4 + [np.nan]})
    with pytest.warns(EstimationWarning) as rec:
        res = fay_herriot(df, "y", "v", [], domain="area", method="ml", measure="mean")
    assert [str(w.message) for w in rec if w.category is EstimationWarning] == [
        "fay_herriot: the ML estimate of the random-effect variance is 0: every EBLUP equals "
        "the synthetic estimate x'beta. The covariates explain all between-domain variation or "
        "the sampling variances are too large."]
    assert res.extras["boundary"] is True and res.extras["A"] == 0.0
    np.testing.assert_allclose(res.tidy()["estimate"], 0.0, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# the bracket search: at most 200 expansions by 4
# ---------------------------------------------------------------------------------------------

def _far(c2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y = c, c, c, c with x = 1, -1, 1, -1 and no intercept, psi = 1: the GLS slope is 0, so
    S = 4 c^2 and the ML score -2 / V + 2 c^2 / V^2 is positive exactly while V = A + 1 < c^2.
    The first guess is max(var y = 0, max psi = 1, 1e-12) = 1, then 4, 16, ... 4^k."""
    c = np.sqrt(c2)
    return np.full(4, c), np.array([[1.0], [-1.0], [1.0], [-1.0]]), np.ones(4)


def test_bracket_search_allows_exactly_200_expansions():
    """c^2 = 2^399 = 2 x 4^199: the score is positive at 4^199 (V = 4^199 + 1 < c^2) and
    negative at 4^200, so the bracket [0, 4^200] needs exactly 200 expansions; the ML optimum
    is A = c^2 - psi = 2^399 (psi = 1 is below its precision). c^2 = 2^401 needs 201: the
    search gives up with the error, word for word."""
    y, X, psi = _far(2.0 ** 399)
    f = fh_fit(y, X, psi, "ml")
    assert f["A"] == pytest.approx(2.0 ** 399, rel=1e-12)
    assert f["boundary"] is False
    y, X, psi = _far(2.0 ** 401)
    with pytest.raises(IdentificationError) as e:
        fh_fit(y, X, psi, "ml")
    assert str(e.value) == (
        "Fay-Herriot: the (RE)ML score for the random-effect variance stays positive; the model "
        "does not converge. Fix: check the sampling variances (are they on the scale of the "
        "direct estimates?) and the covariates.")


# ---------------------------------------------------------------------------------------------
# identification: m sampled domains for p coefficients
# ---------------------------------------------------------------------------------------------

def test_too_few_sampled_domains_error_word_for_word_and_m_equal_p_plus_1_fits():
    """Intercept + x = 2 coefficients: 2 sampled domains are refused with the message; 3 fit
    (with sigma2_u = 0.5 fixed: GLS with equal variances is OLS, y = 1, 2, 3 on x = 0, 1, 3
    gives slope Sxy / Sxx = 3 / (14/3) = 9/14 and intercept 2 - 9/14 * 4/3 = 8/7, by hand)."""
    df = _balanced()
    with pytest.raises(IdentificationError) as e:
        fay_herriot(df.iloc[[0, 1, 5]].assign(x=[0.0, 1.0, 2.0]), "y", "v", ["x"],
                    domain="area")
    assert str(e.value) == ("fay_herriot: 2 sampled domains for 2 coefficients; the model is "
                            "not identified. Fix: fewer covariates.")
    three = df.iloc[[0, 1, 2, 5]].assign(x=[0.0, 1.0, 3.0, 2.0])
    res = fay_herriot(three, "y", "v", ["x"], domain="area", sigma2_u=0.5, measure="mean")
    beta = res.extras["beta"]
    assert beta["x"] == pytest.approx(9 / 14, rel=1e-12)
    assert beta["(Intercept)"] == pytest.approx(8 / 7, rel=1e-12)
    assert res.provenance.n_used == 3


# ---------------------------------------------------------------------------------------------
# bootstrap MSE with a fixed sigma2_u
# ---------------------------------------------------------------------------------------------

def test_bootstrap_with_a_fixed_sigma2_u_keeps_a_fixed_in_every_replicate():
    """González-Manteiga et al. (2008) with A fixed at 3 (psi = 1, the balanced model):
    beta = ybar = 3 (equal weights), theta* = 3 + u*, u* ~ N(0, 3); y* = theta*_in + e*;
    each replicate's EBLUP uses the SAME gamma = 3 / 4 and its own GLS beta* = mean(y*):
    EBLUP* = 0.75 y* + 0.25 mean(y*) in sample, mean(y*) out of sample. Replayed with the same
    random stream (numpy default_rng(5), the draws in the library's order)."""
    B, seed = 6, 5
    rng = np.random.default_rng(seed)
    acc = np.zeros(6)
    for _ in range(B):
        th = 3.0 + rng.normal(0.0, np.sqrt(3.0), 6)
        yb = th[:5] + rng.normal(0.0, np.sqrt(np.ones(5)))
        est = np.append(0.75 * yb + 0.25 * yb.mean(), yb.mean())
        acc += (est - th) ** 2
    want = acc / B
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # a fixed A = 3: no boundary warning
        res = fay_herriot(_balanced(), "y", "v", [], domain="area", measure="mean",
                          mse="bootstrap", B=B, seed=seed, sigma2_u=3.0)
    np.testing.assert_allclose(res.extras["bootstrap_mse"], want, rtol=1e-12)
    np.testing.assert_allclose(res.tidy()["mse"], want, rtol=1e-12)
    assert res.extras["A"] == 3.0
