"""Pins found by mutation testing of kassaki_eval/targeting/pmt.py (issue 18).

Numbers are computed by hand in the test (numpy least squares on a design matrix built here,
weighted means, a stable sort written out) or come from scikit-learn's own splitters called
directly; error messages carry the fix, so they are checked in full.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut
from threadpoolctl import threadpool_limits

from kassaki_eval.exceptions import DataWarning, ParameterError, SchemaError
from kassaki_eval.targeting import (
    OLSPMT,
    BoostingPMT,
    ElasticNetPMT,
    LassoPMT,
    QuantilePMT,
    pmt_target,
    validate_pmt,
)
from kassaki_eval.targeting.pmt import _fold_metrics

LINE = 420_000.0


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def small(toy_survey):
    """The first 600 households of the toy survey (seeded, tests/targeting/conftest.py)."""
    return toy_survey.iloc[:600].reset_index(drop=True)


def _y(df):
    return np.log(df["consumption_pc"].to_numpy())


def _raises(exc, fn, text):
    with pytest.raises(exc) as e:
        fn()
    assert str(e.value) == text


# --- the target and plain matrices -----------------------------------------------------------

def test_pmt_target_is_the_log_and_its_error_in_full():
    np.testing.assert_allclose(pmt_target([2.0, 420_000.0]), [np.log(2.0), np.log(420_000.0)],
                               rtol=1e-15)
    _raises(SchemaError, lambda: pmt_target([1.0, 0.0, np.nan, -2.0, np.inf, 5.0]),
            "survey: 1 problem found\n  - survey: column 'consumption_pc' must be positive to "
            "take logs: 4 rows (e.g. 1, 2, 3, 4). Fix: drop or correct households with zero or "
            "missing consumption")


def test_plain_matrix_gets_x_names_and_the_least_squares_fit():
    """A 2-D array is a table with columns x0, x1, ...; the fit is least squares with an
    intercept (numpy lstsq by hand); 1-D and 3-D arrays are refused."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 2))
    y = 12 + X @ [0.3, -0.2] + rng.normal(0, 0.1, 50)
    m = OLSPMT().fit(X, y)
    assert m.features_ == ["x0", "x1"]
    assert list(m.get_feature_names_out()) == ["x0", "x1"]
    beta = np.linalg.lstsq(np.column_stack([np.ones(50), X]), y, rcond=None)[0]
    np.testing.assert_allclose(m.coef_.to_numpy(), beta[1:], rtol=1e-10)
    np.testing.assert_allclose(m.predict(X), beta[0] + X @ beta[1:], rtol=1e-12)
    for bad in (np.ones(5), np.ones((2, 2, 2))):
        _raises(ParameterError, lambda b=bad: OLSPMT().fit(b, np.ones(len(b))),
                "The 'X' parameter of a PMT must be a DataFrame or a 2-D array. Got an array "
                f"of shape {bad.shape} instead.")


# --- the encoded design and the fitted attributes --------------------------------------------

def test_encoded_design_names_and_weighted_coefficients_by_hand(small):
    """Numeric first, then logs, then one-hot dummies without the first (sorted) category;
    the coefficients are weighted least squares on that matrix built by hand."""
    feats = ["hh_size", "head_educ", "electricity", "floor_area_pc"]
    y, w = _y(small), small["weight"].to_numpy()
    m = OLSPMT(features=feats).fit(small, y, sample_weight=w)
    names = ["head_educ", "hh_size", "floor_area_pc", "electricity_pln_1300plus",
             "electricity_pln_450", "electricity_pln_900"]
    assert list(m.get_feature_names_out()) == names
    assert list(m.coef_.index) == names
    assert m.categorical_ == ["electricity"] and m.log_features_ == ["hh_size", "floor_area_pc"]
    np.testing.assert_array_equal(m.categories_["electricity"],
                                  ["none", "pln_1300plus", "pln_450", "pln_900"])
    e = small["electricity"]
    D = np.column_stack([np.ones(len(small)), small["head_educ"], np.log(small["hh_size"]),
                         np.log(small["floor_area_pc"]), e == "pln_1300plus", e == "pln_450",
                         e == "pln_900"]).astype(float)
    sw = np.sqrt(w)
    beta = np.linalg.lstsq(D * sw[:, None], y * sw, rcond=None)[0]
    np.testing.assert_allclose(m.coef_.to_numpy(), beta[1:], rtol=1e-8)
    np.testing.assert_allclose(m.predict(small), D @ beta, rtol=1e-12)
    # scikit-learn's fitted attributes: the input names as an object array, their count
    assert m.feature_names_in_.dtype == object
    assert list(m.feature_names_in_) == feats and m.n_features_in_ == 4 and m.n_train_ == 600
    mb = OLSPMT(features=feats, by="kec_code", min_group_size=1000).fit(small, y)
    assert list(mb.feature_names_in_) == feats + ["kec_code"] and mb.n_features_in_ == 5


def test_scaled_models_keep_plain_feature_names(small):
    y = _y(small)
    m = ElasticNetPMT(features=["hh_size", "head_educ", "zone"]).fit(small, y)
    assert list(m.get_feature_names_out()) == ["head_educ", "hh_size", "zone_mainland"]


ALL_PARAMS = {
    OLSPMT: dict(features=["hh_size"], categorical=[], log_features=["hh_size"], by="kec_code",
                 min_group_size=7),
    QuantilePMT: dict(quantile=0.3, poverty_line=5.0, features=["hh_size"], categorical=[],
                      log_features=["hh_size"], by="kec_code", min_group_size=7),
    ElasticNetPMT: dict(alpha=0.5, l1_ratio=0.2, features=["hh_size"], categorical=[],
                        log_features=["hh_size"], by="kec_code", min_group_size=7),
    LassoPMT: dict(alpha=0.5, features=["hh_size"], categorical=[], log_features=["hh_size"],
                   by="kec_code", min_group_size=7),
    BoostingPMT: dict(max_iter=3, learning_rate=0.2, max_leaf_nodes=5, min_samples_leaf=9,
                      l2_regularization=0.5, random_state=7, features=["hh_size"],
                      categorical=[], log_features=["hh_size"], by="kec_code",
                      min_group_size=7),
}
DEFAULTS = {"features": None, "categorical": None, "log_features": None, "by": None,
            "min_group_size": 200}


@pytest.mark.parametrize("cls", list(ALL_PARAMS), ids=lambda c: c.__name__)
def test_hyper_parameters_stored_unchanged_and_defaults(cls):
    """scikit-learn's contract: every constructor argument is stored as given; the defaults
    are those of the signatures (min_group_size 200)."""
    assert cls(**ALL_PARAMS[cls]).get_params() == ALL_PARAMS[cls]
    own = {OLSPMT: {}, QuantilePMT: {"quantile": None, "poverty_line": None},
           ElasticNetPMT: {"alpha": 0.001, "l1_ratio": 0.5}, LassoPMT: {"alpha": 0.001},
           BoostingPMT: {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15,
                         "min_samples_leaf": 40, "l2_regularization": 1.0, "random_state": 0}}
    assert cls().get_params() == {**DEFAULTS, **own[cls]}


def test_boosting_passes_its_settings_to_scikit_learn(small):
    p = ALL_PARAMS[BoostingPMT]
    m = BoostingPMT(**{k: v for k, v in p.items() if k not in ("by", "min_group_size")}).fit(
        small, _y(small))
    reg = m.pipeline_.named_steps["model"].get_params()
    assert {k: reg[k] for k in ("max_iter", "learning_rate", "max_leaf_nodes",
                                "min_samples_leaf", "l2_regularization", "random_state",
                                "early_stopping")} == {
        "max_iter": 3, "learning_rate": 0.2, "max_leaf_nodes": 5, "min_samples_leaf": 9,
        "l2_regularization": 0.5, "random_state": 7, "early_stopping": False}
    assert m.log_features_ == ["hh_size"] and m.categorical_ == []


def test_penalised_models_pass_their_penalty(small):
    m = ElasticNetPMT(alpha=0.02, l1_ratio=0.3).fit(small, _y(small))
    reg = m.pipeline_.named_steps["model"]
    assert (reg.alpha, reg.l1_ratio, reg.max_iter) == (0.02, 0.3, 10_000)
    reg = LassoPMT(alpha=0.02).fit(small, _y(small)).pipeline_.named_steps["model"]
    assert (reg.alpha, reg.l1_ratio) == (0.02, 1.0)


# --- parameter errors in full ----------------------------------------------------------------

def test_parameter_errors_in_full(small):
    y = _y(small)
    cases = [
        (lambda: ElasticNetPMT(alpha=-1).fit(small, y),
         "The 'alpha' parameter of ElasticNetPMT must be a non-negative float. Got -1 instead."),
        (lambda: ElasticNetPMT(l1_ratio=2).fit(small, y),
         "The 'l1_ratio' parameter of ElasticNetPMT must be a float in [0, 1]. Got 2 instead."),
        (lambda: LassoPMT(alpha="a").fit(small, y),
         "The 'alpha' parameter of LassoPMT must be a non-negative float. Got 'a' instead."),
        (lambda: QuantilePMT(quantile=0.0).fit(small, y),
         "The 'quantile' parameter of QuantilePMT must be a float in (0, 1). Got 0.0 instead."),
        (lambda: QuantilePMT(quantile=1).fit(small, y),
         "The 'quantile' parameter of QuantilePMT must be a float in (0, 1). Got 1 instead."),
        (lambda: OLSPMT(min_group_size=0).fit(small, y),
         "The 'min_group_size' parameter of OLSPMT must be an integer >= 1. Got 0 instead."),
        (lambda: OLSPMT(min_group_size=2.5).fit(small, y),
         "The 'min_group_size' parameter of OLSPMT must be an integer >= 1. Got 2.5 instead."),
        (lambda: OLSPMT(features=["hh_size"], categorical=["zone"]).fit(small, y),
         "The 'categorical' parameter of OLSPMT must be a subset of the features. Got "
         "['zone'] instead."),
        (lambda: OLSPMT().fit(small, y[:-1]),
         "The 'y' parameter of OLSPMT.fit must have one value per row of X (600). Got 599 "
         "values instead."),
        (lambda: OLSPMT().fit(small, np.r_[np.nan, np.inf, y[2:]]),
         "The 'y' parameter of OLSPMT.fit must be finite (log per-capita consumption). Got 2 "
         "non-finite values instead."),
        (lambda: OLSPMT().fit(small, y, sample_weight=np.r_[0.0, -1.0, np.nan, np.ones(597)]),
         "The 'sample_weight' parameter of OLSPMT.fit must hold 600 positive finite weights. "
         "Got 3 bad values (or length 600) instead."),
        (lambda: OLSPMT().fit(small, y, sample_weight=np.ones(5)),
         "The 'sample_weight' parameter of OLSPMT.fit must hold 600 positive finite weights. "
         "Got 0 bad values (or length 5) instead."),
    ]
    for fn, text in cases:
        _raises(ParameterError, fn, text)
    for z in (None, np.inf, 0.0, -5.0):
        _raises(ParameterError, lambda z=z: QuantilePMT(poverty_line=z).fit(small, y),
                "The 'poverty_line' parameter of QuantilePMT must be a positive number (Rp per "
                f"capita per month) when quantile is None. Got {z!r} instead.")
    for z, share in ((1.0, "0.000"), (1e12, "1.000")):
        _raises(ParameterError, lambda z=z: QuantilePMT(poverty_line=z).fit(small, y),
                "The 'poverty_line' parameter of QuantilePMT must lie inside the range of "
                f"consumption so that a quantile exists. Got {z!r} (share below it: {share}) "
                "instead.")
    # the boundary values that are allowed
    assert OLSPMT(min_group_size=1, by="kec_code").fit(small, y).group_models_.keys() == {
        "73.10.01", "73.10.02", "73.10.03", "73.10.04"}
    with warnings.catch_warnings():  # scikit-learn advises LinearRegression for alpha=0
        warnings.simplefilter("ignore", UserWarning)
        assert ElasticNetPMT(alpha=0, l1_ratio=0).fit(small, y).predict(small).shape == (600,)


def test_quantile_without_weights_is_the_unweighted_share(small):
    y = _y(small)
    m = QuantilePMT(poverty_line=LINE, features=["hh_size", "head_educ"]).fit(small, y)
    assert m.quantile_ == pytest.approx(np.mean(small["consumption_pc"] < LINE), rel=1e-15)
    assert m.pipeline_.named_steps["model"].quantile == m.quantile_


# --- column errors in full -------------------------------------------------------------------

def test_missing_columns_in_training_and_scoring_in_full(small):
    y = _y(small)
    fix = ("Fix: supply it with the same name as in the survey, or refit the PMT with features= "
           "limited to the columns both tables share")
    _raises(SchemaError, lambda: OLSPMT(features=["hh_size", "rooms", "car"]).fit(small, y),
            "training data: 2 problems found\n"
            f"  - training data: column 'rooms' is missing (the PMT needs it): 600 rows. {fix}\n"
            f"  - training data: column 'car' is missing (the PMT needs it): 600 rows. {fix}")
    with pytest.raises(SchemaError) as e:
        OLSPMT(features=["rooms"]).fit(small, y)
    assert e.value.table == "training data"
    m = OLSPMT(features=["hh_size", "head_educ"], by="kec_code").fit(small, y)
    with pytest.raises(SchemaError) as e:
        m.predict(small[["hh_size", "head_educ"]])
    assert e.value.table == "registry"
    _raises(SchemaError, lambda: m.predict(small.drop(columns=["kec_code"]).iloc[:40]),
            "registry: 1 problem found\n  - registry: column 'kec_code' is missing (the PMT "
            f"was fitted on it): 40 rows. {fix}")


def test_missing_values_name_ids_or_rows_in_full(small):
    y = _y(small)
    bad = small.copy()
    bad.loc[[3, 5, 8, 13, 21, 34], "head_educ"] = np.nan
    ids = ", ".join(bad.loc[[3, 5, 8, 13, 21], "family_id"])
    fix = "Fix: impute or drop these rows before fitting or scoring"
    _raises(SchemaError, lambda: OLSPMT(features=["hh_size", "head_educ"]).fit(bad, y),
            "training data: 1 problem found\n  - training data: column 'head_educ' has missing "
            f"values: 6 rows (e.g. {ids}). {fix}")
    _raises(SchemaError, lambda: OLSPMT(features=["hh_size", "head_educ"]).fit(
        bad.drop(columns=["family_id"]), y),
            "training data: 1 problem found\n  - training data: column 'head_educ' has missing "
            f"values: 6 rows (e.g. 3, 5, 8, 13, 21). {fix}")


def test_log_features_must_be_positive_in_training_and_in_scoring(small):
    """Values in (0, 1] are fine (their log is <= 0); zero or negative values are refused in
    training and -- since this round -- in scoring too, where they used to give a -inf or NaN
    PMT score with only numpy's RuntimeWarning."""
    y = _y(small)
    feats = ["hh_size", "floor_area_pc", "head_educ"]
    ok = small.assign(floor_area_pc=np.r_[0.5, 1.0, small["floor_area_pc"].to_numpy()[2:]])
    m = OLSPMT(features=feats).fit(ok, y)
    assert np.all(np.isfinite(m.predict(ok)))
    bad = small.copy()
    bad.loc[[2, 4, 6, 8, 10, 12], "floor_area_pc"] = [0.0, -1.0, 0.0, 0.0, -3.0, 0.0]
    _raises(SchemaError, lambda: OLSPMT(features=feats).fit(bad, y),
            "training data: 1 problem found\n  - training data: column 'floor_area_pc' must be "
            "positive (entered in logs): 6 rows (e.g. 2, 4, 6, 8, 10). Fix: correct the values "
            "or pass log_features without 'floor_area_pc'")
    both = bad.assign(hh_size=np.r_[0, small["hh_size"].to_numpy()[1:]])
    with pytest.raises(SchemaError) as e:
        OLSPMT(features=feats).fit(both, y)
    assert [(p.column, p.count) for p in e.value.problems] == [("hh_size", 1),
                                                               ("floor_area_pc", 6)]
    _raises(SchemaError, lambda: m.predict(bad.iloc[:5]),
            "registry: 1 problem found\n  - registry: column 'floor_area_pc' must be positive "
            "(entered in logs): 2 rows (e.g. 2, 4). Fix: correct the values; the PMT was fitted "
            "on its logarithm")
    # without the log the same column may hold zeros
    m0 = OLSPMT(features=feats, log_features=["hh_size"]).fit(bad, y)
    assert np.all(np.isfinite(m0.predict(bad)))


# --- scoring ---------------------------------------------------------------------------------

def test_unseen_categories_warn_in_full_and_score_as_the_reference(small):
    y = _y(small)
    m = OLSPMT(features=["hh_size", "electricity"]).fit(small, y)
    reg = small.iloc[:10].copy()
    reg["electricity"] = ["solar", "diesel", "solar"] + list(reg["electricity"].iloc[3:])
    with pytest.warns(DataWarning) as rec:
        p = m.predict(reg)
    assert [str(r.message) for r in rec] == [
        "registry: column 'electricity' has 3 rows with categories the PMT never saw in "
        "training (e.g. solar, diesel); they are scored as the reference category."]
    ref = m.predict(reg.assign(electricity=["none"] * 3 + list(reg["electricity"].iloc[3:])))
    np.testing.assert_allclose(p, ref, rtol=1e-15)


def test_by_group_models_and_the_pooled_fallback(small):
    """Groups with at least min_group_size rows get their own model (a group of exactly that
    size too); smaller groups and groups absent from training are scored by the pooled model."""
    y, w = _y(small), small["weight"].to_numpy()
    feats = ["hh_size", "head_educ", "asset_tv"]
    sizes = small["kec_code"].value_counts().sort_values()
    k = int(sizes.iloc[2])  # the two smallest groups fall back, the two largest are fitted
    m = OLSPMT(features=feats, by="kec_code", min_group_size=k).fit(small, y, sample_weight=w)
    assert sorted(m.group_models_) == sorted(sizes.index[2:])
    pooled = OLSPMT(features=feats).fit(small, y, sample_weight=w)
    reg = small.copy()
    reg.loc[:49, "kec_code"] = "73.10.99"  # not in training
    p = m.predict(reg)
    g = reg["kec_code"].to_numpy()
    use_pooled = ~np.isin(g, list(m.group_models_))
    assert use_pooled[:50].all() and use_pooled.sum() > 50 and (~use_pooled).sum() > 0
    np.testing.assert_allclose(p[use_pooled], pooled.predict(reg[use_pooled]), rtol=1e-12)
    for key in m.group_models_:
        sub = (small["kec_code"] == key).to_numpy()
        alone = OLSPMT(features=feats).fit(small[sub], y[sub], sample_weight=w[sub])
        s = g == key
        np.testing.assert_allclose(p[s], alone.predict(reg[s]), rtol=1e-12)


# --- validation: metrics and folds by hand ---------------------------------------------------

def _metrics_by_hand(y, pred, w, line):
    """r2, rmse and the three targeting errors written out (stable order by prediction)."""
    ybar = np.sum(w * y) / np.sum(w)
    r2 = 1 - np.sum(w * (y - pred) ** 2) / np.sum(w * (y - ybar) ** 2)
    rmse = np.sqrt(np.sum(w * (y - pred) ** 2) / np.sum(w))
    out = {"r2": r2, "rmse": rmse}
    if line is None:
        return out
    poor = y < np.log(line)
    rate = np.sum(w * poor) / np.sum(w)
    order = sorted(range(len(y)), key=lambda i: (pred[i], i))
    sel = np.zeros(len(y), bool)
    acc = 0.0
    total = np.sum(w)
    for i in order:
        acc += w[i]
        if acc / total > rate + 1e-12:
            break
        sel[i] = True
    wp = np.sum(w * poor)
    out["exclusion_error"] = np.sum(w * (poor & ~sel)) / wp
    out["inclusion_error"] = np.sum(w * (~poor & sel)) / np.sum(w * sel)
    out["exclusion_error_line"] = np.sum(w * (poor & ~(pred < np.log(line)))) / wp
    return out


def test_validate_kfold_table_by_hand(small):
    """Folds are scikit-learn's KFold(shuffle=True, random_state) splits; each fold's row and
    the pooled out-of-fold row are the metrics by hand; the pooled std_error is the fold SD
    over sqrt(folds); fold labels 1..k; provenance and method recorded."""
    y, w = _y(small), small["weight"].to_numpy()
    feats = ["electricity", "asset_tv"]  # 8 distinct predictions: many ties to order
    res = validate_pmt(OLSPMT(features=feats), small, y, sample_weight=w, n_splits=3,
                       poverty_line=LINE, random_state=4)
    t = res.tidy()
    oof = np.full(600, np.nan)
    per_fold = {}
    for k, (tr, te) in enumerate(KFold(3, shuffle=True, random_state=4).split(small)):
        pred = OLSPMT(features=feats).fit(small.iloc[tr], y[tr], sample_weight=w[tr]).predict(
            small.iloc[te])
        oof[te] = pred
        per_fold[str(k + 1)] = _metrics_by_hand(y[te], pred, w[te], LINE)
        assert (t.loc[t["fold"] == str(k + 1), "n_obs"] == len(te)).all()
    np.testing.assert_allclose(res.extras["oof_prediction"], oof, rtol=1e-12)
    pooled = _metrics_by_hand(y, oof, w, LINE)
    terms = ["r2", "rmse", "exclusion_error", "inclusion_error", "exclusion_error_line"]
    assert list(t["fold"]) == ["all"] * 5 + ["1"] * 5 + ["2"] * 5 + ["3"] * 5
    assert list(t["term"]) == terms * 4
    assert set(t["held_out"]) == {""} and set(t["scheme"]) == {"kfold"}
    for row in t.itertuples():
        ref = pooled if row.fold == "all" else per_fold[row.fold]
        assert row.estimate == pytest.approx(ref[row.term], rel=1e-10), (row.fold, row.term)
        if row.fold == "all":
            vals = [per_fold[f][row.term] for f in ("1", "2", "3")]
            assert row.std_error == pytest.approx(np.std(vals, ddof=1) / np.sqrt(3),
                                                  rel=1e-10)
            assert row.n_obs == 600
        else:
            assert np.isnan(row.std_error)
    assert res.method == "validate_pmt" and res.provenance.method == "validate_pmt"
    assert res.provenance.n_input == 600 and res.provenance.n_used == 600
    assert res.provenance.options == {"estimator": repr(OLSPMT(features=feats)),
                                      "scheme": "kfold", "n_splits": 3, "poverty_line": LINE,
                                      "random_state": 4}
    assert re.fullmatch("[0-9a-f]{64}", res.provenance.inputs_hash)
    # the hash covers y and the weights, whatever their dtype
    other = validate_pmt(OLSPMT(features=feats), small, y + 1, sample_weight=w, n_splits=3)
    assert other.provenance.inputs_hash != res.provenance.inputs_hash
    yi = np.round(y).astype(int)
    a = validate_pmt(OLSPMT(features=feats), small, yi, n_splits=3)
    b = validate_pmt(OLSPMT(features=feats), small, yi.astype(float), n_splits=3)
    assert a.provenance.inputs_hash == b.provenance.inputs_hash
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())


def test_validate_grouped_schemes_use_the_groups(small):
    y = _y(small)
    feats = ["hh_size", "head_educ"]
    g = small["kec_code"].to_numpy()
    res = validate_pmt(OLSPMT(features=feats), small, y, scheme="group", groups="kec_code",
                       n_splits=2).tidy()
    rows = res[(res["term"] == "r2") & (res["fold"] != "all")]
    want = [",".join(sorted(set(g[te]))) for _, te in GroupKFold(2).split(small, y, g)]
    assert list(rows["held_out"]) == want and len(want) == 2
    res = validate_pmt(OLSPMT(features=feats), small, y, scheme="leave_one_group_out",
                       groups=g).tidy()
    rows = res[(res["term"] == "r2") & (res["fold"] != "all")]
    want = [g[te][0] for _, te in LeaveOneGroupOut().split(small, y, g)]
    assert list(rows["held_out"]) == want and len(want) == 4
    assert set(res["scheme"]) == {"leave_one_group_out"}


def test_validate_errors_in_full(small):
    y = _y(small)
    _raises(ParameterError, lambda: validate_pmt(OLSPMT(), small, y, scheme="loo"),
            "The 'scheme' parameter of validate_pmt must be one of {'kfold', 'group', "
            "'leave_one_group_out'}. Got 'loo' instead.")
    for n in (1, 601, 2.0):
        _raises(ParameterError, lambda n=n: validate_pmt(OLSPMT(), small, y, n_splits=n),
                "The 'n_splits' parameter of validate_pmt must be an integer in [2, 600]. Got "
                f"{n!r} instead.")
    _raises(ParameterError, lambda: validate_pmt(OLSPMT(), small, y,
                                                 scheme="leave_one_group_out"),
            "The 'groups' parameter of validate_pmt must be a column name or an array when "
            "scheme='leave_one_group_out'. Got None instead.")


def test_fold_metrics_boundaries():
    """The selection and its errors at their edges, by hand: ties ordered by row (a stable
    sort), a cumulative share equal to the rate up to 1e-12 selected, a prediction exactly on
    the line not below it, no poor household (NaN errors without a numpy warning), total
    weights below 1."""
    line = float(np.exp(1.0))
    # ties: 60 rows, 3 prediction values; the selection up to the poverty rate takes tied rows
    # in row order
    rng = np.random.default_rng(8)
    pred = rng.integers(0, 3, 60).astype(float)
    y = np.where(rng.random(60) < 0.3, 0.5, 2.0)
    w = np.ones(60)
    got = {r["term"]: r["estimate"] for r in _fold_metrics(y, pred, w, line, fold="1",
                                                           held_out="")}
    ref = _metrics_by_hand(y, pred, w, line)
    for term in ref:
        assert got[term] == pytest.approx(ref[term], rel=1e-12), term
    # cumulative share == rate + 1e-12 exactly: the household is selected (inclusion error)
    y = np.array([0.5, 2.0, 2.0])
    w = np.array([0.5, 1e-12, 0.5 - 1e-12])
    got = {r["term"]: r["estimate"] for r in _fold_metrics(y, np.array([0.0, 1.0, 2.0]), w,
                                                           line, fold="1", held_out="")}
    assert got["inclusion_error"] == pytest.approx(1e-12 / (0.5 + 1e-12), rel=1e-9)
    assert got["exclusion_error"] == 0.0
    # a prediction exactly on the line is not below it: the poor household is excluded
    got = {r["term"]: r["estimate"] for r in _fold_metrics(np.array([0.5, 2.0]),
                                                           np.array([1.0, 0.0]), np.ones(2),
                                                           line, fold="1", held_out="")}
    assert got["exclusion_error_line"] == 1.0
    # nobody poor: both exclusion errors and the inclusion error (nobody selected) are NaN,
    # quietly; small weights (total 0.2) still give numbers
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = {r["term"]: r["estimate"] for r in _fold_metrics(
            np.array([2.0, 3.0]), np.array([2.0, 3.0]), np.ones(2), line, fold="1",
            held_out="")}
        assert np.isnan([got["exclusion_error"], got["inclusion_error"],
                         got["exclusion_error_line"]]).all()
        got = {r["term"]: r["estimate"] for r in _fold_metrics(
            np.array([0.5, 3.0]), np.array([3.0, 0.5]), np.full(2, 0.1), line, fold="1",
            held_out="")}
    assert got["exclusion_error"] == 1.0 and got["inclusion_error"] == 1.0
    assert got["exclusion_error_line"] == 1.0


# --- third round: survivors of the fresh sample on the changed code --------------------------

def test_boosting_on_categorical_covariates_only_equals_scikit_learn_on_dummies(small):
    """One-hot columns reach the model as a dense matrix (HistGradientBoosting refuses sparse
    input, which a categorical-only design would be): the PMT equals scikit-learn's
    HistGradientBoostingRegressor fitted directly on the dummies built by hand."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    y = _y(small)
    feats = ["electricity", "head_sector"]
    m = BoostingPMT(max_iter=20, features=feats).fit(small, y)
    D = pd.get_dummies(small[feats].astype(str), drop_first=True).astype(float)
    assert list(D.columns) == list(m.get_feature_names_out())
    ref = HistGradientBoostingRegressor(max_iter=20, learning_rate=0.05, max_leaf_nodes=15,
                                        min_samples_leaf=40, l2_regularization=1.0,
                                        early_stopping=False, random_state=0)
    ref.fit(D.to_numpy(), y)
    np.testing.assert_allclose(m.predict(small), ref.predict(D.to_numpy()), rtol=1e-12)


def test_validate_defaults_to_five_folds_and_hashes_values_not_dtypes(small):
    y = _y(small)
    feats = ["hh_size", "head_educ"]
    t = validate_pmt(OLSPMT(features=feats), small, y).tidy()
    assert sorted(set(t["fold"])) == ["1", "2", "3", "4", "5", "all"]
    wi = np.arange(600) % 3 + 1
    a = validate_pmt(OLSPMT(features=feats), small, y, sample_weight=wi, n_splits=2)
    b = validate_pmt(OLSPMT(features=feats), small, y, sample_weight=wi.astype(float),
                     n_splits=2)
    assert a.provenance.inputs_hash == b.provenance.inputs_hash


def test_problems_carry_their_examples(small):
    """Missing columns have no examples (an empty tuple); more than five unseen categories
    show the first five."""
    with pytest.raises(SchemaError) as e:
        OLSPMT(features=["rooms"]).fit(small, _y(small))
    assert e.value.problems[0].examples == () and e.value.problems[0].count == 600
    m = OLSPMT(features=["hh_size", "electricity"]).fit(small, _y(small))
    reg = small.iloc[:10].copy()
    reg["electricity"] = [f"e{i}" for i in range(7)] + list(reg["electricity"].iloc[7:])
    with pytest.warns(DataWarning) as rec:
        m.predict(reg)
    assert [str(r.message) for r in rec] == [
        "registry: column 'electricity' has 7 rows with categories the PMT never saw in "
        "training (e.g. e0, e1, e2, e3, e4); they are scored as the reference category."]
