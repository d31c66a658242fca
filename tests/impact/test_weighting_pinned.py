"""IPW, AIPW and entropy balancing pinned by hand (issue 18, mutation round of weighting.py).

Every expected number below is worked out in the test from the estimator's published
definition, independently of the library's code path:

- IPW with a given propensity (``ps=``): the Hajek ratios and their linearisation (Lunceford &
  Davidian 2004, eq. 9 with the propensity known), in exact fractions;
- IPW with an estimated propensity: the stacked M-estimation variance written as "Hajek
  linearisation + dtau/dgamma * IF(gamma)", with ``dtau/dgamma`` by central finite
  differences of the Hajek estimate in the logit coefficients and the logit fitted by
  statsmodels' GLM (a different design parameterisation: the correction is invariant to it);
- AIPW with given nuisances (``predictions=``): DoubleML's IRM scores, in exact fractions;
  with its own nuisances: arm-wise weighted least squares (numpy) and the weighted logit
  (statsmodels);
- entropy balancing on one binary covariate: the balancing weights are then post-
  stratification weights (Hainmueller 2012, section 3: with one binary moment the
  KL-closest weights keep the base weights' proportions within each cell), the estimate the
  post-stratified difference and its linearisation the post-stratification delta method.

The variance convention is ``influence_vcov``'s: ``n / (n - 1) * sum z_i^2`` over units
(clusters with ``cluster=``).
"""
from __future__ import annotations

import warnings
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import (EstimationWarning, IdentificationError, ParameterError,
                                     SchemaError)
from kassaki_eval.impact import aipw, entropy_balancing, ipw, propensity_score


def _sum_sq(z) -> F:
    return sum((F(v) ** 2 for v in z), F(0))


def _hc1(z, cluster=None) -> float:
    """n/(n-1) * sum z^2 over units, or G/(G-1) * sum over cluster sums."""
    if cluster is None:
        n = len(z)
        return float(F(n, n - 1) * _sum_sq(z))
    sums: dict = {}
    for zi, g in zip(z, cluster):
        sums[g] = sums.get(g, F(0)) + F(zi)
    G = len(sums)
    return float(F(G, G - 1) * _sum_sq(sums.values()))


# --------------------------------------------------------------------------------------------
# IPW with a given propensity score
# --------------------------------------------------------------------------------------------
def _ipw_data() -> pd.DataFrame:
    """Two treated, four comparison units, one row with a missing outcome (dropped)."""
    return pd.DataFrame({
        "y": [5.0, 3.0, 2.0, 1.0, 4.0, 0.0, np.nan],
        "d": [1, 1, 0, 0, 0, 0, 1],
        "e": [0.5, 0.8, 0.5, 0.25, 0.2, 0.75, 0.5],
        "w": [1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 1.0],
        "x": [0.3, 1.0, 0.1, 0.7, 0.2, 0.4, 0.5],
        "g": [1, 2, 1, 3, 2, 3, 1],
    })


def test_ipw_att_with_given_propensity_by_hand():
    """ATT: a1 = w d, a0 = w (1 - d) e / (1 - e).
    Treated: a1 = (1, 2), mu1 = (5 + 6) / 3 = 11/3.
    Controls: a0 = (1*1, 3*1/3, 2*1/4, 1*3) = (1, 1, 1/2, 3), sum 11/2,
    mu0 = (2 + 1 + 2 + 0) / (11/2) = 10/11; ATT = 11/3 - 10/11 = 91/33.
    z = a1 (y - mu1) / 3 - a0 (y - mu0) / (11/2) = (4/9, -4/9, -24/121, -2/121, -34/121, 60/121);
    variance 6/5 * sum z^2. ESS of the controls (11/2)^2 / (1 + 1 + 1/4 + 9) = 121/45.
    Balance weights a/sum(a) * n_treated: (2/3, 4/3 | 4/11, 4/11, 2/11, 12/11), 0 for the
    dropped row."""
    df = _ipw_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ipw(df, y="y", treatment="d", covariates=["x"], ps="e", weights="w")
    z = [F(4, 9), F(-4, 9), F(-24, 121), F(-2, 121), F(-34, 121), F(60, 121)]
    assert sum(z) == 0
    assert r["ATT"] == pytest.approx(91 / 33, rel=1e-13)
    assert r.std_errors["ATT"] == pytest.approx(np.sqrt(_hc1(z)), rel=1e-12)
    row = r.tidy().iloc[0]
    assert (row["term"], row["n_obs"], row["n_treated"], row["n_control"]) == ("ATT", 6, 2, 4)
    assert r.extras["ess_control"] == pytest.approx(121 / 45, rel=1e-13)
    np.testing.assert_allclose(r.extras["balance_weights"],
                               [2 / 3, 4 / 3, 4 / 11, 4 / 11, 2 / 11, 12 / 11, 0.0], rtol=1e-13)
    np.testing.assert_allclose(r.extras["propensity"], df["e"][:6], rtol=0)
    assert list(r.extras["rows"]) == [0, 1, 2, 3, 4, 5]
    assert r.method == "ipw"
    assert r.summary().title == "IPW (Hajek) ATT"
    assert r.provenance.options == {"estimand": "ATT", "trim": "none", "ps": "e",
                                    "weights": "w", "cluster": None, "n_covariates": 1}
    assert dict(r.provenance.dropped) == {"missing y": 1}
    # clustered: cluster sums of z, G/(G-1)
    rc = ipw(df, y="y", treatment="d", covariates=["x"], ps="e", weights="w", cluster="g")
    assert rc["ATT"] == pytest.approx(91 / 33, rel=1e-13)
    assert rc.std_errors["ATT"] == pytest.approx(np.sqrt(_hc1(z, df["g"][:6])), rel=1e-12)
    assert rc.provenance.options["cluster"] == "g"


def test_ipw_ate_with_given_propensity_by_hand():
    """ATE: a1 = w d / e, a0 = w (1 - d) / (1 - e).
    Treated: a1 = (1/0.5, 2/0.8) = (2, 5/2), sum 9/2, mu1 = (10 + 15/2) / (9/2) = 35/9.
    Controls: a0 = (1/0.5, 3/0.75, 2/0.8, 1/0.25) = (2, 4, 5/2, 4), sum 25/2,
    mu0 = (4 + 4 + 10 + 0) / (25/2) = 36/25; ATE = 35/9 - 36/25 = 551/225.
    Balance weights a/sum(a) * n (n = 6)."""
    df = _ipw_data()
    r = ipw(df, y="y", treatment="d", covariates=["x"], ps="e", weights="w", estimand="ATE")
    a1, s1, mu1 = [F(2), F(5, 2)], F(9, 2), F(35, 9)
    a0, s0, mu0 = [F(2), F(4), F(5, 2), F(4)], F(25, 2), F(36, 25)
    y = [F(5), F(3), F(2), F(1), F(4), F(0)]
    z = [a * (yi - mu1) / s1 for a, yi in zip(a1, y[:2])] + \
        [-a * (yi - mu0) / s0 for a, yi in zip(a0, y[2:])]
    assert r["ATE"] == pytest.approx(551 / 225, rel=1e-13)
    assert r.std_errors["ATE"] == pytest.approx(np.sqrt(_hc1(z)), rel=1e-12)
    assert r.summary().title == "IPW (Hajek) ATE"
    bw = [float(a / s1 * 6) for a in a1] + [float(a / s0 * 6) for a in a0] + [0.0]
    np.testing.assert_allclose(r.extras["balance_weights"], bw, rtol=1e-13)
    assert r.extras["ess_control"] == pytest.approx(float(s0 ** 2 / sum(a * a for a in a0)),
                                                    rel=1e-13)
    rc = ipw(df, y="y", treatment="d", covariates=["x"], ps="e", weights="w", estimand="ATE",
             cluster="g")
    assert rc.std_errors["ATE"] == pytest.approx(np.sqrt(_hc1(z, df["g"][:6])), rel=1e-12)


def test_ipw_warns_when_a_few_comparison_units_carry_the_estimate():
    """ESS of the controls below 10 % of their number: one control with odds 999 among 19
    with odds 1/99 (e = 0.01): a0 = (999, 19 x 1/99); ESS = sum^2 / sum of squares ~ 1.04 < 2.
    With 9 such controls among 19 (ESS about 9) there is no warning."""
    n_c = 20
    e = np.r_[np.full(5, 0.5), 0.999, np.full(n_c - 1, 0.01)]
    d = np.r_[np.ones(5), np.zeros(n_c)].astype(int)
    df = pd.DataFrame({"y": np.arange(25.0), "d": d, "e": e, "x": np.arange(25.0) % 3})
    a0 = np.r_[999.0, np.full(n_c - 1, 0.01 / 0.99)]
    ess = a0.sum() ** 2 / np.sum(a0 ** 2)
    with pytest.warns(EstimationWarning) as rec:
        r = ipw(df, y="y", treatment="d", covariates=["x"], ps="e")
    msg = str(rec[0].message)
    assert msg == (f"ipw: the comparison arm's effective sample size is {ess:.0f} of 20 units; "
                   "a few units carry the estimate (poor overlap). Consider trim='crump'.")
    assert r.extras["ess_control"] == pytest.approx(ess, rel=1e-12)
    # nine controls with odds 9 among the twenty: ESS about 9, above 2: no warning
    e2 = np.r_[np.full(5, 0.5), np.full(9, 0.9), np.full(n_c - 9, 0.01)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ipw(df.assign(e=e2), y="y", treatment="d", covariates=["x"], ps="e")


def test_ipw_warning_threshold_is_ten_percent_of_the_controls():
    """The warning fires when the controls' ESS is below 0.1 x their number. Controls with
    a0 = (1, c, ..., c) (odds c = 1e-6 for all but one): ESS = (1 + (m - 1) c)^2 / (1 + (m - 1)
    c^2), just above 1. With m = 10 controls the threshold is 1 (no warning), with m = 11 it
    is 1.1 (warning)."""
    c = 1e-6
    e_c = c / (1 + c)  # odds c
    for n_c, warns in ((10, False), (11, True)):
        e = np.r_[np.full(3, 0.5), 0.5, np.full(n_c - 1, e_c)]
        d = np.r_[np.ones(3), np.zeros(n_c)].astype(int)
        df = pd.DataFrame({"y": np.arange(3.0 + n_c), "d": d, "e": e,
                           "x": np.arange(3.0 + n_c) % 2})
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            ipw(df, y="y", treatment="d", covariates=["x"], ps="e")
        got = [w for w in rec if issubclass(w.category, EstimationWarning)]
        assert bool(got) is warns, (n_c, [str(w.message) for w in got])


# --------------------------------------------------------------------------------------------
# IPW with an estimated propensity: the stacked M-estimation variance
# --------------------------------------------------------------------------------------------
def _sim(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n)
    e = 1 / (1 + np.exp(-(-0.3 + 0.7 * x1 + 0.5 * x2)))
    d = (rng.uniform(size=n) < e).astype(int)
    y = 1 + x1 + 0.5 * x2 + d * (1 + 0.5 * x1) + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": y, "w": rng.uniform(0.5, 2, n),
                         "g": rng.integers(0, 25, n)})


def _hajek(gamma, X, d, y, w, estimand):
    e = 1 / (1 + np.exp(-(X @ gamma)))
    if estimand == "ATE":
        a1, a0 = w * d / e, w * (1 - d) / (1 - e)
    else:
        a1, a0 = w * d, w * (1 - d) * e / (1 - e)
    return np.sum(a1 * y) / a1.sum() - np.sum(a0 * y) / a0.sum(), a1, a0, e


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_ipw_estimated_ps_variance_is_the_stacked_m_estimator(estimand):
    """se^2 = n/(n-1) sum_i (h_i + s_i' H^-1 dtau/dgamma)^2 with h_i the Hajek linearisation,
    s_i = w_i (d_i - e_i) x_i the logit score, H = sum w e (1 - e) x x' and dtau/dgamma by
    central differences (step 1e-6) of the Hajek estimate in the logit coefficients; the logit
    is statsmodels' GLM on the raw covariates (the library standardises them: same fit).
    Also with clusters (G/(G-1) over cluster sums)."""
    import statsmodels.api as sm
    df = _sim(600, 7)
    X = np.column_stack([np.ones(len(df)), df[["x1", "x2"]].to_numpy(float)])
    d, y, w = df["d"].to_numpy(float), df["y"].to_numpy(float), df["w"].to_numpy(float)
    gam = sm.GLM(d, X, family=sm.families.Binomial(), var_weights=w).fit(tol=1e-13).params
    tau, a1, a0, e = _hajek(gam, X, d, y, w, estimand)
    mu1, mu0 = np.sum(a1 * y) / a1.sum(), np.sum(a0 * y) / a0.sum()
    h = a1 * (y - mu1) / a1.sum() - a0 * (y - mu0) / a0.sum()
    step = 1e-6
    grad = np.array([(_hajek(gam + step * np.eye(3)[k], X, d, y, w, estimand)[0]
                      - _hajek(gam - step * np.eye(3)[k], X, d, y, w, estimand)[0]) / (2 * step)
                     for k in range(3)])
    H = (X * (w * e * (1 - e))[:, None]).T @ X
    z = h + (X * (w * (d - e))[:, None]) @ np.linalg.solve(H, grad)
    n = len(z)
    for cluster in (None, "g"):
        r = ipw(df, y="y", treatment="d", covariates=["x1", "x2"], weights="w",
                estimand=estimand, cluster=cluster)
        assert r[estimand] == pytest.approx(tau, rel=1e-8)
        np.testing.assert_allclose(r.extras["propensity"], e, atol=1e-9)
        if cluster is None:
            v = n / (n - 1) * np.sum(z ** 2)
        else:
            s = pd.Series(z).groupby(df["g"].to_numpy()).sum().to_numpy()
            v = len(s) / (len(s) - 1) * np.sum(s ** 2)
        assert r.std_errors[estimand] == pytest.approx(np.sqrt(v), rel=1e-6)
        assert r.provenance.options["ps"] == "logit"
        assert r.provenance.options["n_covariates"] == 2


# --------------------------------------------------------------------------------------------
# AIPW
# --------------------------------------------------------------------------------------------
def _aipw_data() -> pd.DataFrame:
    return pd.DataFrame({
        "y": [4.0, 6.0, 1.0, 3.0, 2.0],
        "d": [1, 1, 0, 0, 0],
        "x": [1.0, 2.0, 0.0, 1.0, 2.0],
        "w": [1.0, 1.0, 2.0, 1.0, 1.0],
        "g": [1, 2, 1, 2, 3],
    })


def _aipw_predictions() -> pd.DataFrame:
    return pd.DataFrame({"m0": [2.0, 3.0, 1.0, 2.0, 3.0], "m1": [4.0, 5.0, 3.0, 4.0, 5.0],
                         "e": [0.5, 0.8, 0.25, 0.5, 0.2]})


def test_aipw_ate_with_given_nuisances_by_hand():
    """psi = m1 - m0 + d (y - m1)/e - (1 - d)(y - m0)/(1 - e):
    unit 1: 2 + 0/0.5 = 2; unit 2: 2 + 1/0.8 = 13/4; unit 3: 2 - 0/0.75 = 2;
    unit 4: 2 - 1/0.5 = 0; unit 5: 2 - (-1)/0.8 = 13/4.
    Weights (1, 1, 2, 1, 1), W = 6: ATE = (2 + 13/4 + 4 + 0 + 13/4) / 6 = 25/12.
    z = w (psi - ATE) / W; influence = psi - ATE; balance weights w (d/e + (1-d)/(1-e))."""
    df, pr = _aipw_data(), _aipw_predictions()
    r = aipw(df, y="y", treatment="d", covariates=["x"], weights="w", predictions=pr)
    psi = [F(2), F(13, 4), F(2), F(0), F(13, 4)]
    w = [F(1), F(1), F(2), F(1), F(1)]
    tau = F(25, 12)
    assert sum(wi * p for wi, p in zip(w, psi)) / 6 == tau
    z = [wi * (p - tau) / 6 for wi, p in zip(w, psi)]
    assert r["ATE"] == pytest.approx(25 / 12, rel=1e-13)
    assert r.std_errors["ATE"] == pytest.approx(np.sqrt(_hc1(z)), rel=1e-12)
    np.testing.assert_allclose(r.extras["influence"], [float(p - tau) for p in psi], rtol=1e-13)
    np.testing.assert_allclose(r.extras["balance_weights"], [2, 1.25, 2 / 0.75, 2, 1 / 0.8],
                               rtol=1e-13)
    for k in ("m0", "m1"):
        np.testing.assert_array_equal(r.extras[k], pr[k])
    np.testing.assert_array_equal(r.extras["propensity"], pr["e"])
    assert r.summary().title == "AIPW (doubly robust) ATE"
    assert r.method == "aipw"
    assert r.provenance.options == {"estimand": "ATE", "trim": "external", "weights": "w",
                                    "cluster": None, "outcome_model": "linear by arm",
                                    "ps_model": "external"}
    rc = aipw(df, y="y", treatment="d", covariates=["x"], weights="w", predictions=pr,
              cluster="g")
    assert rc.std_errors["ATE"] == pytest.approx(np.sqrt(_hc1(z, df["g"])), rel=1e-12)


def test_aipw_att_with_given_nuisances_by_hand():
    """psi = d (y - m0) - e (1 - d)(y - m0)/(1 - e):
    unit 1: 4 - 2 = 2; unit 2: 6 - 3 = 3; unit 3: -(1/3)(0) = 0; unit 4: -(1)(1) = -1;
    unit 5: -(1/4)(-1) = 1/4. sum w psi = 2 + 3 + 0 - 1 + 1/4 = 17/4; sum w d = 2:
    ATT = 17/8. pbar = 2/6; influence = (psi - d ATT) / pbar; z = w influence / 6.
    Balance weights w (d + (1 - d) e/(1 - e))."""
    df, pr = _aipw_data(), _aipw_predictions()
    r = aipw(df, y="y", treatment="d", covariates=["x"], weights="w", predictions=pr,
             estimand="ATT")
    psi = [F(2), F(3), F(0), F(-1), F(1, 4)]
    d = [1, 1, 0, 0, 0]
    w = [F(1), F(1), F(2), F(1), F(1)]
    tau = F(17, 8)
    phi = [(p - di * tau) / F(1, 3) for p, di in zip(psi, d)]
    z = [wi * f / 6 for wi, f in zip(w, phi)]
    assert r["ATT"] == pytest.approx(17 / 8, rel=1e-13)
    assert r.std_errors["ATT"] == pytest.approx(np.sqrt(_hc1(z)), rel=1e-12)
    np.testing.assert_allclose(r.extras["influence"], [float(f) for f in phi], rtol=1e-13)
    np.testing.assert_allclose(r.extras["balance_weights"], [1, 1, 2 / 3, 1, 0.25], rtol=1e-13)
    assert r.summary().title == "AIPW (doubly robust) ATT"


def test_aipw_given_nuisances_trimmed_and_checked():
    """A (lo, hi) trim on the given scores drops the units outside and records them; a given
    score of 1 for a treated unit is refused (no overlap); a missing column is named."""
    df, pr = _aipw_data(), _aipw_predictions()
    r = aipw(df, y="y", treatment="d", covariates=["x"], weights="w", predictions=pr,
             trim=(0.22, 0.9))
    # unit 5 (e = 0.2) dropped: psi over units 1-4 = (2, 13/4, 2, 0), w = (1, 1, 2, 1)
    assert r["ATE"] == pytest.approx((2 + 13 / 4 + 4 + 0) / 5, rel=1e-13)
    assert dict(r.provenance.dropped) == {"trimmed ([0.22, 0.9])": 1}
    assert r.provenance.options["trim"] == "[0.22, 0.9]"
    assert list(r.extras["rows"]) == [0, 1, 2, 3]
    np.testing.assert_array_equal(r.extras["m0"], [2.0, 3.0, 1.0, 2.0])
    np.testing.assert_array_equal(r.extras["m1"], [4.0, 5.0, 3.0, 4.0])
    np.testing.assert_array_equal(r.extras["propensity"], [0.5, 0.8, 0.25, 0.5])
    with pytest.raises(IdentificationError, match="no overlap: 1 rows .*propensity score"):
        aipw(df, y="y", treatment="d", covariates=["x"], predictions=pr.assign(
            e=[1.0, 0.8, 0.25, 0.5, 0.2]), estimand="ATT")
    bad = pr.drop(columns="m1")
    with pytest.raises(ParameterError) as ei:
        aipw(df, y="y", treatment="d", covariates=["x"], predictions=bad)
    assert str(ei.value) == ("The 'predictions' parameter of aipw must have columns m0, m1, e. "
                             "Got ['m0', 'e'] instead.")
    for miss in ("m0", "e"):
        with pytest.raises(ParameterError, match="must have columns m0, m1, e"):
            aipw(df, y="y", treatment="d", covariates=["x"], predictions=pr.drop(columns=miss))


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_aipw_own_nuisances_are_armwise_wls_and_the_weighted_logit(estimand):
    """m1, m0: weighted least squares of y on (1, outcome covariates) in each arm (numpy),
    predicted for everyone; e: the survey-weighted logit on ``covariates`` (statsmodels GLM
    with var_weights). Outcome covariates differ from the propensity covariates here."""
    import statsmodels.api as sm
    df = _sim(500, 3)
    df["x3"] = np.random.default_rng(0).normal(size=len(df))
    d, y, w = df["d"].to_numpy(), df["y"].to_numpy(float), df["w"].to_numpy(float)
    Xo = np.column_stack([np.ones(len(df)), df[["x1", "x3"]].to_numpy(float)])
    m = {}
    for arm in (0, 1):
        s = d == arm
        sw = np.sqrt(w[s])
        b = np.linalg.lstsq(Xo[s] * sw[:, None], y[s] * sw, rcond=None)[0]
        m[arm] = Xo @ b
    Xp = np.column_stack([np.ones(len(df)), df[["x1", "x2"]].to_numpy(float)])
    e = sm.GLM(d.astype(float), Xp, family=sm.families.Binomial(),
               var_weights=w).fit(tol=1e-13).fittedvalues
    r = aipw(df, y="y", treatment="d", covariates=["x1", "x2"], outcome_covariates=["x1", "x3"],
             weights="w", estimand=estimand)
    np.testing.assert_allclose(r.extras["m1"], m[1], atol=1e-9)
    np.testing.assert_allclose(r.extras["m0"], m[0], atol=1e-9)
    np.testing.assert_allclose(r.extras["propensity"], e, atol=1e-9)
    ref = aipw(df, y="y", treatment="d", covariates=["x1"], weights="w", estimand=estimand,
               predictions=pd.DataFrame({"m0": m[0], "m1": m[1], "e": np.asarray(e)}))
    assert r[estimand] == pytest.approx(ref[estimand], rel=1e-8)
    assert r.std_errors[estimand] == pytest.approx(ref.std_errors[estimand], rel=1e-7)
    assert r.provenance.options["ps_model"] == "logit"
    assert r.provenance.options["trim"] == "none"
    # default outcome covariates = the propensity covariates
    r2 = aipw(df, y="y", treatment="d", covariates=["x1", "x2"], weights="w", estimand=estimand)
    Xo2 = Xp
    for arm, key in ((0, "m0"), (1, "m1")):
        s = d == arm
        sw = np.sqrt(w[s])
        b = np.linalg.lstsq(Xo2[s] * sw[:, None], y[s] * sw, rcond=None)[0]
        np.testing.assert_allclose(r2.extras[key], Xo2 @ b, atol=1e-9)


def test_aipw_own_nuisances_with_trimming_refit_on_the_kept_units():
    """trim=(lo, hi): units with an estimated score outside are dropped, the logit and the
    outcome models are re-fitted on the kept units (equal to a fit on the kept rows)."""
    df = _sim(500, 5)
    r0 = aipw(df, y="y", treatment="d", covariates=["x1", "x2"])
    e0 = r0.extras["propensity"]
    keep = (e0 >= 0.3) & (e0 <= 0.7)
    assert 50 < (~keep).sum() < 450
    r = aipw(df, y="y", treatment="d", covariates=["x1", "x2"], trim=(0.3, 0.7))
    ref = aipw(df[keep], y="y", treatment="d", covariates=["x1", "x2"])
    assert r["ATE"] == pytest.approx(ref["ATE"], rel=1e-9)
    assert r.std_errors["ATE"] == pytest.approx(ref.std_errors["ATE"], rel=1e-9)
    np.testing.assert_allclose(r.extras["m1"], ref.extras["m1"], atol=1e-9)
    assert dict(r.provenance.dropped) == {"trimmed ([0.3, 0.7])": int((~keep).sum())}
    assert r.extras["balance_weights"][~keep].tolist() == [0.0] * int((~keep).sum())


# --------------------------------------------------------------------------------------------
# entropy balancing on one binary covariate = post-stratification
# --------------------------------------------------------------------------------------------
def _eb_data() -> pd.DataFrame:
    """Treated: x = (1, 1, 0), w = (1, 1, 2), y = (10, 6, 5).
    Controls: x = (1, 1, 0, 0, 0), w = (1, 3, 1, 1, 2), y = (4, 8, 1, 2, 3).
    A constant column c (dropped before balancing)."""
    return pd.DataFrame({
        "y": [10.0, 6.0, 5.0, 4.0, 8.0, 1.0, 2.0, 3.0],
        "d": [1, 1, 1, 0, 0, 0, 0, 0],
        "x": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        "c": 7.0,
        "w": [1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 1.0, 2.0],
        "g": [1, 2, 3, 1, 2, 3, 1, 2],
    })


def test_entropy_balancing_att_is_post_stratification_by_hand():
    """Target: the treated share of x = 1, (1 + 1) / 4 = 1/2. Control cells: x = 1 with
    weights (1, 3) (total 4, mean y (4 + 24)/4 = 7), x = 0 with (1, 1, 2) (total 4, mean
    (1 + 2 + 6)/4 = 9/4). Balancing weights p0 = 1/2 * w / 4 within each cell =
    (1/8, 3/8 | 1/8, 1/8, 1/4). mu0 = 7/2 + 9/8 = 37/8, mu1 = (10 + 6 + 10)/4 = 13/2,
    ATT = 15/8.
    Linearisation (post-stratification delta method): treated r = y - cell mean of the
    controls = (3, -1, 11/4), weighted mean 15/8, z = w (r - 15/8) / 4 = (9/32, -23/32, 14/32);
    controls z = -p0 (y - cell mean) = (3/8, -3/8, 5/32, 1/32, -3/16)."""
    df = _eb_data()
    r = entropy_balancing(df, y="y", treatment="d", covariates=["x", "c"], weights="w")
    z = [F(9, 32), F(-23, 32), F(14, 32), F(3, 8), F(-3, 8), F(5, 32), F(1, 32), F(-3, 16)]
    assert sum(z) == 0
    assert r["ATT"] == pytest.approx(15 / 8, rel=1e-9)
    assert r.std_errors["ATT"] == pytest.approx(np.sqrt(_hc1(z)), rel=1e-8)
    # balance weights: treated w / 4 * 3, controls p0 * 3
    np.testing.assert_allclose(r.extras["balance_weights"],
                               [3 / 4, 3 / 4, 3 / 2, 3 / 8, 9 / 8, 3 / 8, 3 / 8, 3 / 4],
                               rtol=1e-9)
    # ESS of the controls: 1 / sum p0^2 = 1 / (1/64 + 9/64 + 1/64 + 1/64 + 4/64) = 4
    assert r.extras["ess_control"] == pytest.approx(4.0, rel=1e-9)
    assert r.summary().title == "Entropy balancing ATT"
    assert r.method == "entropy_balancing"
    assert r.provenance.options == {"estimand": "ATT", "weights": "w", "cluster": None,
                                    "moments": 1, "n_covariates": 1}
    rc = entropy_balancing(df, y="y", treatment="d", covariates=["x", "c"], weights="w",
                           cluster="g")
    assert rc.std_errors["ATT"] == pytest.approx(np.sqrt(_hc1(z, df["g"])), rel=1e-8)


def test_entropy_balancing_ate_is_post_stratification_by_hand():
    """Target: the full-sample share of x = 1, (1 + 1 + 1 + 3) / 12 = 1/2. Treated cells:
    x = 1 weights (1, 1) mean 8, x = 0 weight 2 mean 5: p1 = (1/4, 1/4 | 1/2). Controls as
    in the ATT: p0 = (1/8, 3/8 | 1/8, 1/8, 1/4), cell means 7 and 9/4.
    ATE = (1/2 * 8 + 1/2 * 5) - 37/8 = 13/2 - 37/8 = 15/8.
    Linearisation: the target share term w (reg - mean_w reg) / W with reg = cell effect
    (8 - 7 = 1 for x = 1, 5 - 9/4 = 11/4 for x = 0; weighted mean 15/8), W = 12, plus
    p1 (y - treated cell mean) for the treated and -p0 (y - control cell mean) for the
    controls."""
    df = _eb_data()
    r = entropy_balancing(df, y="y", treatment="d", covariates=["x"], weights="w",
                          estimand="ATE")
    w = [F(v) for v in (1, 1, 2, 1, 3, 1, 1, 2)]
    x = [1, 1, 0, 1, 1, 0, 0, 0]
    reg = [F(1) if xi else F(11, 4) for xi in x]
    share = [wi * (g - F(15, 8)) / 12 for wi, g in zip(w, reg)]
    arm = [F(1, 4) * 2, F(1, 4) * -2, F(0),                       # p1 (y - 8), p1 (y - 5)
           -F(1, 8) * -3, -F(3, 8) * 1, -F(1, 8) * F(-5, 4), -F(1, 8) * F(-1, 4),
           -F(1, 4) * F(3, 4)]
    z = [a + b for a, b in zip(share, arm)]
    assert r["ATE"] == pytest.approx(15 / 8, rel=1e-9)
    assert r.std_errors["ATE"] == pytest.approx(np.sqrt(_hc1(z)), rel=1e-8)
    np.testing.assert_allclose(r.extras["balance_weights"],
                               np.array([1 / 4, 1 / 4, 1 / 2, 1 / 8, 3 / 8, 1 / 8, 1 / 8, 1 / 4])
                               * 8, rtol=1e-9)
    assert r.extras["ess_control"] == pytest.approx(4.0, rel=1e-9)
    assert r.summary().title == "Entropy balancing ATE"
    assert r.provenance.options["estimand"] == "ATE"
    assert r.provenance.options["n_covariates"] == 1


def test_entropy_balancing_outside_the_hull_message():
    """Every comparison unit has x = 0 while the treated mean is 1/2: no weights can match."""
    df = _eb_data().assign(x=[1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    with pytest.raises(IdentificationError) as ei:
        entropy_balancing(df, y="y", treatment="d", covariates=["x"])
    msg = str(ei.value)
    assert msg.startswith("data: entropy balancing cannot match the covariate means (largest "
                          "standardised gap ")
    assert msg.endswith("the target means lie outside the convex hull of the comparison "
                        "units (no overlap). Fix: drop or coarsen the covariate that separates "
                        "the arms, or trim the sample to common support.")


# --------------------------------------------------------------------------------------------
# propensity_score
# --------------------------------------------------------------------------------------------
def test_propensity_score_is_the_weighted_logit_aligned_with_the_index():
    import statsmodels.api as sm
    df = _sim(300, 9)
    df.index = np.arange(len(df)) * 10 + 5
    df.loc[df.index[4], "x1"] = np.nan
    ps = propensity_score(df, treatment="d", covariates=["x1", "x2"], weights="w")
    assert ps.name == "propensity"
    assert ps.dtype == np.float64
    assert list(ps.index) == list(df.index)
    assert np.isnan(ps.iloc[4]) and ps.drop(df.index[4]).notna().all()
    ok = df.drop(df.index[4])
    X = np.column_stack([np.ones(len(ok)), ok[["x1", "x2"]].to_numpy(float)])
    ref = sm.GLM(ok["d"].to_numpy(float), X, family=sm.families.Binomial(),
                 var_weights=ok["w"].to_numpy(float)).fit(tol=1e-13).fittedvalues
    np.testing.assert_allclose(ps.drop(df.index[4]).to_numpy(), ref, atol=1e-9)


def test_propensity_score_overlap_rule_depends_on_the_estimand():
    """Comparison units separated at a score of 0 are refused for the ATE, accepted for the
    ATT (they only get zero weight); an unknown estimand is refused."""
    rng = np.random.default_rng(4)
    x0 = rng.normal(size=200)
    x = np.r_[x0, np.full(20, -40.0)]
    d = np.r_[(rng.uniform(size=200) < 1 / (1 + np.exp(-2 * x0))).astype(int), np.zeros(20, int)]
    df = pd.DataFrame({"x": x, "d": d})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        with pytest.raises(IdentificationError, match=r"no overlap: 20 rows .*score of 0 \(20\)"):
            propensity_score(df, treatment="d", covariates=["x"])
        ps = propensity_score(df, treatment="d", covariates=["x"], estimand="ATT")
    assert (ps.iloc[200:] < 1e-6).all()
    with pytest.raises(ParameterError, match="'estimand' parameter of propensity_score"):
        propensity_score(df, treatment="d", covariates=["x"], estimand="ATC")
    with pytest.raises(SchemaError):
        propensity_score(df.assign(d=2), treatment="d", covariates=["x"])


# --------------------------------------------------------------------------------------------
# messages name the estimator; the warning points at the caller
# --------------------------------------------------------------------------------------------
def test_messages_name_the_estimator():
    df = _eb_data()
    for fn, name in ((ipw, "ipw"), (aipw, "aipw"), (entropy_balancing, "entropy_balancing")):
        with pytest.raises(ParameterError) as ei:
            fn(df, y="y", treatment="d", covariates=["nope"])
        assert str(ei.value) == (f"The 'covariates' parameter of {name} must name columns of "
                                 "data. Got ['nope'] instead (not in data).")
        with pytest.raises(ParameterError, match=f"The 'estimand' parameter of {name} must be"):
            fn(df, y="y", treatment="d", covariates=["x"], estimand="ATC")
    # the overlap refusal names the estimator that cannot identify the effect
    sep = _sim(300, 2)
    sep["s"] = sep["d"].astype(float)
    for fn, name in ((ipw, "ipw"), (aipw, "aipw")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            with pytest.raises(IdentificationError, match=f"other arm and {name} cannot identify"):
                fn(sep, y="y", treatment="d", covariates=["x1", "s"], estimand="ATE")
    with pytest.raises(IdentificationError,
                       match="other arm and aipw cannot identify"):
        aipw(_aipw_data(), y="y", treatment="d", covariates=["x"],
             predictions=_aipw_predictions().assign(e=[0.5, 0.8, 0.25, 0.5, 0.0]))


@pytest.mark.skipif("MUTANT_UNDER_TEST" in __import__("os").environ,
                    reason="mutmut's trampoline adds stack frames per library call")
def test_ipw_warning_points_at_the_callers_line():
    n_c = 20
    e = np.r_[np.full(5, 0.5), 0.999, np.full(n_c - 1, 0.01)]
    d = np.r_[np.ones(5), np.zeros(n_c)].astype(int)
    df = pd.DataFrame({"y": np.arange(25.0), "d": d, "e": e, "x": np.arange(25.0) % 3})
    with pytest.warns(EstimationWarning, match="effective sample size") as rec:
        ipw(df, y="y", treatment="d", covariates=["x"], ps="e")
    assert {w.filename for w in rec} == {__file__}


def test_entropy_balancing_gap_of_a_column_constant_in_one_arm():
    """ATE: every treated unit has x = 1, the full-sample mean of x is 5/8 (5 of 8 units with
    equal weights): the treated arm cannot be balanced, its standardised gap is the raw gap
    1 - 5/8 = 0.375 (a column without spread is not rescaled)."""
    df = _eb_data().assign(x=[1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    with pytest.raises(IdentificationError, match=r"largest standardised gap 0\.38\)"):
        entropy_balancing(df, y="y", treatment="d", covariates=["x"], estimand="ATE")
