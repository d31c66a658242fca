"""PMT estimators: numbers against statsmodels, the scikit-learn contract, clear errors."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from kassaki_eval.exceptions import DataWarning, NotFittedError, ParameterError, SchemaError
from kassaki_eval.targeting import (BoostingPMT, ElasticNetPMT, LassoPMT, OLSPMT, QuantilePMT, pmt_target,
                                    validate_pmt)

ALL = [OLSPMT(), QuantilePMT(quantile=0.3), ElasticNetPMT(alpha=0.001), LassoPMT(alpha=0.001),
       BoostingPMT(max_iter=20)]


def _design_matrix(model: OLSPMT, X: pd.DataFrame) -> np.ndarray:
    return sm.add_constant(model.pipeline_.named_steps["prep"].transform(X[model.features_].astype(
        {c: str for c in model.categorical_})))


def test_ols_equals_statsmodels_wls(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    w = toy_survey.weight.to_numpy()
    m = OLSPMT().fit(toy_survey, y, sample_weight=w)
    # statsmodels WLS on the same encoded design: an independent least-squares solver
    ref = sm.WLS(y, _design_matrix(m, toy_survey), weights=w).fit()
    np.testing.assert_allclose(m.predict(toy_survey), ref.fittedvalues, rtol=0, atol=1e-9)
    np.testing.assert_allclose(m.coef_.to_numpy(), ref.params[1:], rtol=1e-7, atol=1e-9)
    # the weights matter: an unweighted fit gives other coefficients
    m0 = OLSPMT().fit(toy_survey, y)
    assert np.max(np.abs(m0.coef_.to_numpy() - m.coef_.to_numpy())) > 1e-3


def test_quantile_pmt_learns_poverty_quantile_and_minimises_check_loss(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    w = toy_survey.weight.to_numpy()
    line = 420_000.0
    m = QuantilePMT(poverty_line=line).fit(toy_survey, y, sample_weight=w)
    share = np.sum(w * (toy_survey.consumption_pc < line)) / np.sum(w)
    assert m.quantile_ == pytest.approx(share, rel=1e-12)
    assert 0.05 < m.quantile_ < 0.2
    # unweighted fit vs statsmodels QuantReg (IRLS): our LP solution's check loss is no larger
    q = 0.25
    toy_survey, y = toy_survey.iloc[:1500], y[:1500]
    mu = QuantilePMT(quantile=q).fit(toy_survey, y)
    Xd = _design_matrix(mu, toy_survey)
    ref = sm.QuantReg(y, Xd).fit(q=q, max_iter=5000)

    def loss(r):
        return np.sum(r * (q - (r < 0)))
    ours, theirs = loss(y - mu.predict(toy_survey)), loss(y - ref.fittedvalues)
    assert ours <= theirs * (1 + 1e-6)
    assert ours == pytest.approx(theirs, rel=1e-3)  # same optimum, two solvers
    # a low quantile sits below the mean fit: about q of residuals are negative
    assert np.mean(y - mu.predict(toy_survey) < 0) == pytest.approx(q, abs=0.02)


@pytest.fixture(autouse=True)
def _one_thread():
    # HistGradientBoosting's OpenMP threads thrash on a shared 2-core machine; one is enough here
    with threadpool_limits(1):
        yield


@pytest.mark.parametrize("est", ALL, ids=lambda e: type(e).__name__)
def test_sklearn_contract(est, toy_survey):
    toy_survey = toy_survey.iloc[:1200]  # small: this test is about the contract, not the numbers
    y = pmt_target(toy_survey.consumption_pc)
    params = est.get_params()
    c = clone(est)
    assert c.get_params() == params  # hyper-parameters stored unchanged
    with pytest.raises(NotFittedError, match="not fitted yet"):
        c.predict(toy_survey)
    with pytest.raises(SkNotFittedError):  # catchable as scikit-learn's error too
        c.predict(toy_survey)
    assert c.fit(toy_survey, y) is c
    assert all(k in c.__dict__ for k in ("pipeline_", "features_", "categories_"))
    scores = cross_val_score(clone(est), toy_survey, y, cv=KFold(3, shuffle=True, random_state=0))
    assert np.all(np.isfinite(scores)) and np.all(scores > 0.1)
    pipe = Pipeline([("pmt", clone(est))]).fit(toy_survey, y)
    np.testing.assert_allclose(pipe.predict(toy_survey), c.predict(toy_survey))


def test_grid_search_over_penalty(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    gs = GridSearchCV(ElasticNetPMT(), {"alpha": [1e-4, 1e-2, 1.0], "l1_ratio": [0.5, 1.0]}, cv=3)
    gs.fit(toy_survey, y)
    assert gs.best_params_["alpha"] < 1.0  # alpha=1 zeroes every coefficient
    assert gs.best_estimator_.predict(toy_survey).shape == (len(toy_survey),)


def test_lasso_is_elasticnet_with_l1_ratio_one(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    a = LassoPMT(alpha=0.003).fit(toy_survey, y).predict(toy_survey)
    b = ElasticNetPMT(alpha=0.003, l1_ratio=1.0).fit(toy_survey, y).predict(toy_survey)
    np.testing.assert_allclose(a, b, atol=1e-10)
    assert "l1_ratio" not in LassoPMT().get_params()


def test_boosting_is_deterministic(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    p1 = BoostingPMT(max_iter=20).fit(toy_survey, y).predict(toy_survey)
    p2 = BoostingPMT(max_iter=20).fit(toy_survey, y).predict(toy_survey)
    np.testing.assert_array_equal(p1, p2)


def test_missing_registry_column_is_named(toy_survey, toy_registry):
    y = pmt_target(toy_survey.consumption_pc)
    m = OLSPMT().fit(toy_survey, y)
    with pytest.raises(SchemaError) as e:
        m.predict(toy_registry.drop(columns=["electricity", "asset_fridge"]))
    msg = str(e.value)
    assert "2 problems" in msg and "electricity" in msg and "asset_fridge" in msg and "was fitted on" in msg
    assert isinstance(e.value, ValueError)


def test_missing_values_and_bad_weights_are_reported(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    bad = toy_survey.copy()
    bad.loc[bad.index[:3], "head_educ"] = np.nan
    with pytest.raises(SchemaError, match="head_educ.*missing values: 3 rows"):
        OLSPMT().fit(bad, y)
    with pytest.raises(ParameterError, match="The 'sample_weight' parameter of OLSPMT.fit must"):
        OLSPMT().fit(toy_survey, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(SchemaError, match="consumption_pc"):
        pmt_target([1.0, 0.0])
    with pytest.raises(ParameterError, match="'quantile' parameter of QuantilePMT"):
        QuantilePMT(quantile=1.5).fit(toy_survey, y)


def test_unseen_category_warns_and_scores(toy_survey, toy_registry):
    y = pmt_target(toy_survey.consumption_pc)
    m = OLSPMT().fit(toy_survey, y)
    reg = toy_registry.head(50).copy()
    reg.loc[reg.index[0], "electricity"] = "solar"
    with pytest.warns(DataWarning, match="electricity.*1 rows.*solar"):
        p = m.predict(reg)
    assert np.all(np.isfinite(p))


def test_by_kecamatan_equals_separate_fits(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    w = toy_survey.weight.to_numpy()
    m = OLSPMT(by="kec_code", min_group_size=100).fit(toy_survey, y, sample_weight=w)
    assert sorted(m.group_models_) == sorted(toy_survey.kec_code.unique())
    pred = m.predict(toy_survey)
    for k in ["73.10.01", "73.10.03"]:
        sub = (toy_survey.kec_code == k).to_numpy()
        alone = OLSPMT().fit(toy_survey[sub], y[sub], sample_weight=w[sub])
        np.testing.assert_allclose(pred[sub], alone.predict(toy_survey[sub]), atol=1e-9)
    # a kecamatan below min_group_size falls back to the pooled model
    big = OLSPMT(by="kec_code", min_group_size=10_000).fit(toy_survey, y, sample_weight=w)
    assert big.group_models_ == {}
    np.testing.assert_allclose(big.predict(toy_survey), OLSPMT().fit(toy_survey, y, sample_weight=w).predict(toy_survey))


def test_validate_pmt_kfold_and_held_out_kecamatan(toy_survey):
    y = pmt_target(toy_survey.consumption_pc)
    w = toy_survey.weight.to_numpy()
    # holding out the one island kecamatan leaves zone='island' unseen in training: warned
    with pytest.warns(DataWarning, match="zone.*island"):
        res = validate_pmt(OLSPMT(), toy_survey, y, sample_weight=w, scheme="leave_one_group_out",
                           groups="kec_code", poverty_line=420_000)
    t = res.tidy()
    held = t.loc[(t.term == "r2") & (t.fold != "all"), "held_out"]
    assert sorted(held) == sorted(toy_survey.kec_code.unique())  # one fold per kecamatan
    # the out-of-fold prediction of kecamatan 02 is the model fitted without it
    sub = (toy_survey.kec_code == "73.10.02").to_numpy()
    alone = OLSPMT().fit(toy_survey[~sub], y[~sub], sample_weight=w[~sub])
    np.testing.assert_allclose(res.extras["oof_prediction"][sub], alone.predict(toy_survey[sub]), atol=1e-9)
    pooled = t[(t.fold == "all")].set_index("term")["estimate"]
    assert 0.2 < pooled["r2"] < 0.6
    assert 0 < pooled["exclusion_error"] < 1
    kf = validate_pmt(OLSPMT(), toy_survey, y, sample_weight=w, n_splits=4).tidy()
    assert (kf.fold != "all").sum() == 2 * 4  # r2 and rmse per fold
    with pytest.raises(ParameterError, match="'groups' parameter of validate_pmt"):
        validate_pmt(OLSPMT(), toy_survey, y, scheme="group")
