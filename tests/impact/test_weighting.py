"""IPW, AIPW and entropy balancing: published NSW numbers, DoubleML agreement, recovery of
known effects, survey weights, clear errors.

References: tests/references/matching/README.md (sources, tolerances, make_refs.py).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import IdentificationError, KassakiError, ParameterError, SchemaError
from kassaki_eval.impact import aipw, entropy_balancing, ipw, propensity_score
from kassaki_eval.impact.weighting import crump_alpha

REF = Path(__file__).resolve().parents[1] / "references" / "matching"
COV = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def nsw() -> pd.DataFrame:
    return pd.read_csv(REF / "nsw_dw.csv")


def _sim(n: int, seed: int, tau_slope: float = 0.5) -> pd.DataFrame:
    """Confounded design with known ATE = 1 and ATT = 1 + slope * E[x1 | d = 1]."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n)
    e = 1 / (1 + np.exp(-(-0.5 + 0.8 * x1 + 0.5 * x2)))
    d = (rng.uniform(size=n) < e).astype(int)
    y = 1 + x1 + 0.5 * x2 + d * (1 + tau_slope * x1) + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": y, "w": rng.uniform(0.5, 2, n),
                         "g": rng.integers(0, 80, n)})


def test_experimental_benchmark_nsw(nsw):
    """Dehejia & Wahba (1999, Table 3): experimental difference in means $1,794 (s.e. 633).
    In a randomised experiment IPW with a constant-only score is the difference in means."""
    nsw = nsw.assign(one=1.0)
    diff = nsw.loc[nsw.treat == 1, "re78"].mean() - nsw.loc[nsw.treat == 0, "re78"].mean()
    assert diff == pytest.approx(1794, abs=0.5)
    # with covariates (randomised: the adjusted estimates stay within one s.e. of 1,794)
    for fn in (ipw, aipw, entropy_balancing):
        r = fn(nsw, y="re78", treatment="treat", covariates=COV, estimand="ATT")
        assert abs(r["ATT"] - 1794) < 633, fn.__name__
        assert 550 < r.std_errors["ATT"] < 800


def test_aipw_matches_doubleml_given_same_nuisances(nsw):
    """DoubleML 0.11.4 IRM scores with our nuisance predictions (make_refs.py): estimate to
    1e-8 relative, s.e. to 2e-3 relative (n vs n - 1 in the variance)."""
    ref = json.loads((REF / "doubleml_aipw.json").read_text())
    for est in ("ATE", "ATT"):
        r = aipw(nsw, y="re78", treatment="treat", covariates=COV, estimand=est)
        assert r[est] == pytest.approx(ref[f"{est}_external"]["coef"], rel=1e-8)
        assert r.std_errors[est] == pytest.approx(ref[f"{est}_external"]["se"], rel=2e-3)
        # DoubleML's own cross-fitted fit: within half a standard error, s.e. within 20 %
        assert abs(r[est] - ref[f"{est}_crossfit"]["coef"]) < 0.5 * r.std_errors[est]
        assert r.std_errors[est] == pytest.approx(ref[f"{est}_crossfit"]["se"], rel=0.2)


@pytest.mark.peers
def test_aipw_matches_doubleml_live(nsw):
    """Live run of DoubleML with our nuisances (same check as the committed reference)."""
    dml = pytest.importorskip("doubleml")
    from sklearn.linear_model import LinearRegression, LogisticRegression
    for score, est in (("ATE", "ATE"), ("ATTE", "ATT")):
        r = aipw(nsw, y="re78", treatment="treat", covariates=COV, estimand=est)
        data = dml.DoubleMLData(nsw, y_col="re78", d_cols="treat", x_cols=COV)
        m = dml.DoubleMLIRM(data, ml_g=LinearRegression(), ml_m=LogisticRegression(),
                            n_folds=2, score=score, trimming_threshold=1e-12)
        ex = r.extras
        m.fit(external_predictions={"treat": {"ml_g0": ex["m0"][:, None],
                                              "ml_g1": ex["m1"][:, None],
                                              "ml_m": ex["propensity"][:, None]}})
        assert r[est] == pytest.approx(float(m.coef[0]), rel=1e-8)
        assert r.std_errors[est] == pytest.approx(float(m.se[0]), rel=2e-3)


@pytest.mark.parametrize("fn", [ipw, aipw, entropy_balancing])
@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_recovers_known_effect_with_survey_weights(fn, estimand):
    """One large confounded sample: every estimator's 99.9 % interval holds the truth
    (ATE = 1; ATT = 1 + 0.5 E[x1 | d = 1], computed on the sample's treated)."""
    df = _sim(20_000, 11)
    truth = 1.0 if estimand == "ATE" else 1 + 0.5 * np.average(df.x1[df.d == 1],
                                                               weights=df.w[df.d == 1])
    r = fn(df, y="y", treatment="d", covariates=["x1", "x2"], estimand=estimand, weights="w")
    lo, hi = r.conf_int(alpha=0.001).iloc[0]
    assert lo < truth < hi
    # naive difference is far off: the design is confounded
    naive = df.y[df.d == 1].mean() - df.y[df.d == 0].mean()
    assert abs(naive - truth) > 0.5


def test_survey_weights_change_the_estimand():
    """Effects differ by stratum; weights that over-represent one stratum move the weighted
    ATE towards that stratum's effect (weights are used, not ignored)."""
    rng = np.random.default_rng(3)
    n = 8000
    s = rng.binomial(1, 0.5, n)
    d = rng.binomial(1, 0.5, n)
    y = d * np.where(s == 1, 2.0, 0.0) + rng.normal(size=n)
    df = pd.DataFrame({"s": s, "d": d, "y": y, "w": np.where(s == 1, 9.0, 1.0)})
    unw = ipw(df, y="y", treatment="d", covariates=["s"], estimand="ATE")["ATE"]
    wtd = ipw(df, y="y", treatment="d", covariates=["s"], estimand="ATE", weights="w")["ATE"]
    assert unw == pytest.approx(1.0, abs=0.1)
    assert wtd == pytest.approx(1.8, abs=0.1)


def test_clustered_variance_larger_with_cluster_shocks():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(60), 50)
    u = rng.normal(0, 1, 60)[g]
    d = rng.binomial(1, 0.5, g.size)
    df = pd.DataFrame({"g": g, "d": d, "x": rng.normal(size=g.size),
                       "y": u * (1 + d) + rng.normal(size=g.size)})
    a = aipw(df, y="y", treatment="d", covariates=["x"])
    b = aipw(df, y="y", treatment="d", covariates=["x"], cluster="g")
    assert b.std_errors.iloc[0] > 1.5 * a.std_errors.iloc[0]


def test_entropy_balancing_balances_exactly():
    df = _sim(3000, 2)
    r = entropy_balancing(df, y="y", treatment="d", covariates=["x1", "x2"], weights="w")
    bw = r.extras["balance_weights"]
    d = df.d.to_numpy() == 1
    for c in ("x1", "x2"):
        t = np.average(df[c][d], weights=df.w[d])
        c0 = np.average(df[c][~d], weights=bw[~d])
        assert c0 == pytest.approx(t, abs=1e-6)


def test_crump_alpha_rule():
    """Crump et al. (2009): no trimming when max 1/(e(1-e)) <= 2 E[1/(e(1-e))]; with
    extreme scores the threshold is in (0, 0.5) and close to their 0.1 rule of thumb for
    a Beta-like spread."""
    assert crump_alpha(np.full(100, 0.5)) == 0.0
    e = np.random.default_rng(0).beta(0.7, 0.7, 20_000).clip(1e-4, 1 - 1e-4)
    a = crump_alpha(e)
    assert 0.03 < a < 0.2
    g = 1 / (e * (1 - e))
    # the fixed point: 1/(a(1-a)) = 2 E[g | g <= 1/(a(1-a))]
    gam = 1 / (a * (1 - a))
    assert gam == pytest.approx(2 * g[g <= gam].mean(), rel=1e-3)


def test_trimming_records_dropped_rows():
    df = _sim(4000, 4)
    df.loc[:50, "x1"] = 6.0  # far right tail: propensities near 1
    r = ipw(df, y="y", treatment="d", covariates=["x1", "x2"], trim="crump_fixed")
    dropped = dict(r.provenance.dropped)
    assert any(k.startswith("trimmed") for k in dropped)
    assert sum(dropped.values()) == 4000 - int(r.tidy()["n_obs"].iloc[0])


# ---------------------------------------------------------------------------- clear errors
def test_error_non_binary_treatment():
    df = _sim(200, 1)
    df.loc[[3, 7], "d"] = 2
    with pytest.raises(SchemaError, match=r"'d' must be binary.*2 rows.*e\.g\. 3, 7"):
        ipw(df, y="y", treatment="d", covariates=["x1"])
    with pytest.raises(ValueError):  # also a ValueError for users catching built-ins
        aipw(df, y="y", treatment="d", covariates=["x1"])


def test_error_no_overlap():
    df = _sim(400, 1)
    df["sep"] = df["d"].astype(float)  # a covariate that separates the arms perfectly
    with pytest.raises(IdentificationError, match="no overlap: .*propensity score of 0"):
        ipw(df, y="y", treatment="d", covariates=["x1", "sep"], estimand="ATE")
    with pytest.raises(KassakiError):
        propensity_score(df, treatment="d", covariates=["sep"])


def test_error_entropy_balancing_outside_hull():
    df = _sim(400, 1)
    df["z"] = np.where(df.d == 1, 5.0 + df.x1 * 0, 0.0) + np.random.default_rng(0).normal(0, .1, 400)
    with pytest.raises(IdentificationError, match="convex hull"):
        entropy_balancing(df, y="y", treatment="d", covariates=["z"])


def test_error_bad_parameters():
    df = _sim(200, 1)
    with pytest.raises(ParameterError, match="The 'estimand' parameter of ipw must be"):
        ipw(df, y="y", treatment="d", covariates=["x1"], estimand="ATC")
    with pytest.raises(ParameterError, match="The 'covariates' parameter"):
        aipw(df, y="y", treatment="d", covariates=["nope"])
    with pytest.raises(IdentificationError, match="both treated and comparison"):
        ipw(df.assign(d=1), y="y", treatment="d", covariates=["x1"])


def _world_domain(world):
    """Eligible households of treated villages in the world's own 2025 survey, with the PMT
    features of the registry, and the population ATT of take-up (the truth)."""
    from kassaki_eval.synthetic.world import pmt_features
    s = world.survey
    s = s[(s["year"] == 2025) & (s["treated_village"] == 1) & (s["eligible"] == 1)].copy()
    s = pd.concat([s.reset_index(drop=True),
                   pmt_features(s).reset_index(drop=True).add_prefix("f_")], axis=1)
    s["y"] = np.log(s["consumption_pc"])
    pop = world.population
    pop = pop[(pop["year"] == 2025) & (pop["treated_village"] == 1) & (pop["eligible"] == 1)
              & (pop["treated"] == 1)]
    truth = float(np.mean(np.log(pop["consumption_pc"]) - np.log(pop["consumption_pc_y0"])))
    cov = [c for c in s.columns if c.startswith("f_") and c != "f_asset_car"] + \
        ["zone", "village_code"]
    return s, cov, truth


@pytest.mark.parametrize("name", ["ipw", "aipw", "entropy_balancing", "ps_matching"])
def test_world_survey_recovers_population_att(world, name):
    """On the default world's own Susenas-like survey (2025, stratified, PSU = village),
    each estimator's 95 % CI holds the population ATT of take-up (selection on observables
    holds in the default world: ``selection_unobs = 0``)."""
    from kassaki_eval import impact
    s, cov, truth = _world_domain(world)
    fn = getattr(impact, name)
    r = fn(s, y="y", treatment="participates", covariates=cov, estimand="ATT",
           weights="weight", cluster="psu")
    lo, hi = r.conf_int().iloc[0]
    assert lo < truth < hi, (name, r["ATT"], truth)


# --------------------------------------------------------------------------------------------
# the one propensity logit (kassaki_eval.impact._propensity.fit_logit)
# --------------------------------------------------------------------------------------------
def test_fit_logit_matches_statsmodels_and_is_weight_scale_free(nsw):
    """Survey-weighted logit = statsmodels GLM(Binomial, var_weights) to 1e-8 in the fitted
    probabilities; multiplying the weights by a constant changes nothing."""
    import statsmodels.api as sm
    from kassaki_eval.impact._propensity import fit_logit
    rng = np.random.default_rng(11)
    w = rng.uniform(0.5, 3.0, len(nsw))
    X1 = np.column_stack([np.ones(len(nsw)), nsw[COV].to_numpy(dtype=float)])
    X1[:, 1:] = (X1[:, 1:] - X1[:, 1:].mean(0)) / X1[:, 1:].std(0)
    d = nsw["treat"].to_numpy(dtype=float)
    fit = fit_logit(X1, d, w)
    ref = sm.GLM(d, X1, family=sm.families.Binomial(), var_weights=w).fit(tol=1e-12)
    assert fit.converged
    assert np.allclose(fit.fitted, ref.fittedvalues, rtol=0, atol=1e-8)
    assert np.allclose(fit_logit(X1, d, 1000 * w).fitted, fit.fitted, rtol=0, atol=1e-12)


def test_fit_logit_warns_under_separation_not_under_collinearity():
    from kassaki_eval.exceptions import EstimationWarning
    from kassaki_eval.impact._propensity import fit_logit
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    d = (x > 0).astype(float)                       # complete separation
    X1 = np.column_stack([np.ones(200), x])
    with pytest.warns(EstimationWarning, match=r"\(quasi-\)separate.*200 units|\(quasi-\)separate"):
        fit = fit_logit(X1, d, np.ones(200))
    assert not fit.converged and np.all((fit.fitted < 1e-6) | (fit.fitted > 1 - 1e-6))
    # collinear columns (x twice): no warning, same probabilities as with x once
    d2 = (rng.uniform(size=200) < 1 / (1 + np.exp(-x))).astype(float)
    import warnings as _w
    with _w.catch_warnings():
        _w.simplefilter("error")
        p1 = fit_logit(X1, d2, np.ones(200)).fitted
        p2 = fit_logit(np.column_stack([X1, 2 * x]), d2, np.ones(200)).fitted
    assert np.allclose(p1, p2, atol=1e-10)
