"""did_2x2 / twfe / bacon_decomposition pinned for mutation testing (issue 18).

References (no number copied from our own output):
- statsmodels 0.15 OLS/WLS called directly in the test (a core dependency): coefficients,
  ``cov_type="HC1"``, ``"nonrobust"`` and ``"cluster"`` (``use_correction=True`` is Stata's
  CR1 factor ``G/(G-1) (N-1)/(N-K)``) with t(G-1) inference;
- for TWFE, the least-squares dummy-variable (LSDV) fit in statsmodels with the small-sample
  factor converted by hand from statsmodels' ``K`` (every dummy) to fixest's (unit effects
  nested in the cluster count as one parameter): ``V = V_sm (N - K_lsdv) / (N - K)``;
- the wild cluster bootstrap of kassaki_eval.inference (itself pinned to wildboottest 0.3.2 in
  tests/inference/) called directly on the explicit regression: it checks which design,
  column, weights and options the estimators hand to it;
- Goodman-Bacon (2021, J. Econometrics 225(2), eq. 10a-10e and the 2x2 estimators of
  section 2) recomputed by hand on a small balanced panel.
Data: tests/references/did/ (kielmc, mpdta; README.md there).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from kassaki_eval.exceptions import (
    DesignError, EstimationWarning, IdentificationError, ParameterError,
)
from kassaki_eval.impact.did import bacon_decomposition, did_2x2, twfe
from kassaki_eval.inference import wild_cluster_bootstrap, wild_conf_int

REF = Path(__file__).resolve().parents[1] / "references" / "did"
KIEL = pd.read_csv(REF / "kielmc.csv")
MPDTA = pd.read_csv(REF / "mpdta.csv")
RTOL = 1e-10


def _kiel_X(df: pd.DataFrame, covs=()) -> np.ndarray:
    g, p = df["nearinc"].to_numpy(float), df["y81"].to_numpy(float)
    return np.column_stack([g * p, g, p] + [df[c].to_numpy(float) for c in covs]
                           + [np.ones(len(df))])


def _check_table(r, fit, names, df_expected) -> None:
    t = r.tidy()
    assert t["term"].tolist() == names
    np.testing.assert_allclose(t["estimate"], fit.params, rtol=RTOL)
    np.testing.assert_allclose(t["std_error"], fit.bse, rtol=1e-9)
    assert (t["df"] == df_expected).all()
    np.testing.assert_allclose(t["p_value"], fit.pvalues, rtol=1e-7)
    ci = np.asarray(fit.conf_int(alpha=r.alpha))
    np.testing.assert_allclose(t["conf_low"], ci[:, 0], rtol=1e-9)
    np.testing.assert_allclose(t["conf_high"], ci[:, 1], rtol=1e-9)


# --- did_2x2 ---------------------------------------------------------------------------------
def test_2x2_hc1_by_default_equals_statsmodels():
    r = did_2x2(KIEL, y="lrprice", group="nearinc", post="y81", covariates=["age"])
    fit = sm.OLS(KIEL["lrprice"], _kiel_X(KIEL, ["age"])).fit(cov_type="HC1")
    _check_table(r, fit, ["ATT", "nearinc", "y81", "age", "Intercept"], np.inf)
    assert (r.tidy()["n_obs"] == 321).all()
    np.testing.assert_allclose(r.extras["vcov"].to_numpy(), fit.cov_params(), rtol=1e-9)
    assert r.extras["vcov"].index.tolist() == ["ATT", "nearinc", "y81", "age", "Intercept"]
    assert r.extras["vcov"].columns.tolist() == r.extras["vcov"].index.tolist()
    # vcov="HC1" is the same; "iid" is the textbook OLS covariance with t(n - k)
    r2 = did_2x2(KIEL, y="lrprice", group="nearinc", post="y81", covariates=["age"],
                 vcov="HC1")
    assert r2.tidy()["std_error"].tolist() == r.tidy()["std_error"].tolist()
    ri = did_2x2(KIEL, y="lrprice", group="nearinc", post="y81", covariates=["age"],
                 vcov="iid", alpha=0.1)
    fi = sm.OLS(KIEL["lrprice"], _kiel_X(KIEL, ["age"])).fit()
    _check_table(ri, fi, ["ATT", "nearinc", "y81", "age", "Intercept"], 321 - 5)


def test_2x2_weighted_iid_and_hc1_equal_statsmodels_wls():
    w = 1 + (KIEL["nbh"] % 3).to_numpy(float)
    df = KIEL.assign(w=w)
    for vcov, cov_type, dfe in (("iid", "nonrobust", 321 - 4), ("HC1", "HC1", np.inf)):
        r = did_2x2(df, y="lrprice", group="nearinc", post="y81", weights="w", vcov=vcov)
        fit = sm.WLS(df["lrprice"], _kiel_X(df), weights=w).fit(cov_type=cov_type)
        _check_table(r, fit, ["ATT", "nearinc", "y81", "Intercept"], dfe)
    assert r.provenance.options["weights"] == "w"


def test_2x2_cluster_cr1_equals_statsmodels_with_t_g_minus_1():
    df = KIEL.assign(cl=KIEL["nbh"].astype(str) + "_" + KIEL["nearinc"].astype(str),
                     w=1 + (KIEL["age"] % 4).to_numpy(float))
    codes = pd.factorize(df["cl"])[0]
    G = int(codes.max()) + 1
    for vcov in ("auto", "CR1"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            r = did_2x2(df, y="lrprice", group="nearinc", post="y81", cluster="cl",
                        weights="w", vcov=vcov)
        fit = sm.WLS(df["lrprice"], _kiel_X(df), weights=df["w"]).fit(
            cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True,
                                          "df_correction": True}, use_t=True)
        _check_table(r, fit, ["ATT", "nearinc", "y81", "Intercept"], G - 1)
    o = r.provenance.options
    assert o == {"y": "lrprice", "group": "nearinc", "post": "y81", "covariates": [],
                 "weights": "w", "cluster": "cl", "vcov": "CR1", "inference": "analytic",
                 "B": None, "weights_type": None, "seed": None}
    assert r.summary().title == "2x2 DiD of lrprice"
    assert r.method == "did_2x2" and r.provenance.n_input == 321


def test_2x2_few_treated_clusters_warning_counts_treated_clusters():
    """12 villages (no 'few clusters' part), 2 of them treated: the warning names 2
    treated clusters of 12 (a cluster is treated when its group is 1)."""
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"v": np.repeat(np.arange(12), 20), "post": np.tile([0, 1], 120)})
    d["g"] = d["v"].isin([3, 7]).astype(int)
    d["y"] = d["g"] * d["post"] + rng.normal(size=len(d))
    with pytest.warns(EstimationWarning) as rec:
        did_2x2(d, y="y", group="g", post="post", cluster="v")
    assert [str(w.message) for w in rec] == [
        "did_2x2: fragile inference: 2 treated cluster(s) of 12 (MacKinnon & Webb 2017: with "
        "so few treated clusters neither CR1 nor the wild bootstrap is reliable)."]
    d["g"] = d["v"].isin([1, 3, 7]).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimationWarning)
        did_2x2(d, y="y", group="g", post="post", cluster="v")


def test_2x2_wild_passes_the_regression_to_the_bootstrap():
    df = KIEL.assign(cl=KIEL["nbh"].astype(str) + "_" + KIEL["nearinc"].astype(str),
                     w=1 + (KIEL["age"] % 4).to_numpy(float))
    r = did_2x2(df, y="lrprice", group="nearinc", post="y81", cluster="cl", weights="w",
                inference="wild", B=199, weights_type="webb", seed=11, alpha=0.1)
    X, yv, cl, w = _kiel_X(df), df["lrprice"].to_numpy(float), df["cl"].to_numpy(), \
        df["w"].to_numpy(float)
    wb = wild_cluster_bootstrap(yv, X, cl, 0, B=199, weights_type="webb", seed=11, weights=w)
    lo, hi = wild_conf_int(yv, X, cl, 0, alpha=0.1, B=199, weights_type="webb", seed=11,
                           weights=w)
    t = r.tidy()
    assert t.loc[0, "p_value"] == wb.p_value
    assert (t.loc[0, "conf_low"], t.loc[0, "conf_high"]) == (lo, hi)
    assert r.extras["wild_bootstrap"].p_value == wb.p_value
    # the other rows: analytic CR1 with t(G - 1) at the requested alpha
    G = df["cl"].nunique()
    fit = sm.WLS(yv, X, weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["cl"])[0]}, use_t=True)
    ci = np.asarray(fit.conf_int(alpha=0.1))
    np.testing.assert_allclose(t["conf_low"].iloc[1:], ci[1:, 0], rtol=1e-9)
    np.testing.assert_allclose(t["conf_high"].iloc[1:], ci[1:, 1], rtol=1e-9)
    np.testing.assert_allclose(t["p_value"].iloc[1:], fit.pvalues[1:], rtol=1e-7)
    assert (t["df"] == G - 1).all()
    o = r.provenance.options
    assert (o["B"], o["weights_type"], o["seed"], o["inference"]) == (199, "webb", 11, "wild")
    assert r.summary().title == "2x2 DiD of lrprice (wild cluster bootstrap)"


def test_2x2_errors_word_for_word():
    with pytest.raises(ParameterError, match=re.escape(
            "The 'cluster' parameter of did_2x2 must name a column when vcov='CR1' or "
            "inference='wild'. Got None instead.")):
        did_2x2(KIEL, y="rprice", group="nearinc", post="y81", vcov="CR1")
    with pytest.raises(ParameterError, match=re.escape("when vcov='CR1' or inference='wild'")):
        did_2x2(KIEL, y="rprice", group="nearinc", post="y81", inference="wild")
    with pytest.raises(ParameterError, match=re.escape(
            "The 'group' parameter of did_2x2 must name a 0/1 column. Got column 'nbh' with "
            "values [0.0, 1.0, 2.0, 3.0, 4.0] instead.")):
        did_2x2(KIEL, y="rprice", group="nbh", post="y81")
    with pytest.raises(ParameterError, match=re.escape(
            "The 'post' parameter of did_2x2 must name a 0/1 column. Got column 'rooms'")):
        did_2x2(KIEL, y="rprice", group="nearinc", post="rooms")
    empty = KIEL[~((KIEL["nearinc"] == 1) & (KIEL["y81"] == 1))]
    n = empty.groupby(["nearinc", "y81"]).size().tolist()
    with pytest.raises(IdentificationError, match=re.escape(
            "data: the 2x2 cells of 'nearinc' x 'y81' are not all populated (counts "
            f"{n + [0]}). Fix: each group needs observations before and after.")):
        did_2x2(empty, y="rprice", group="nearinc", post="y81")
    only_pre = KIEL[KIEL["y81"] == 0]
    with pytest.raises(IdentificationError, match="are not all populated"):
        did_2x2(only_pre, y="rprice", group="nearinc", post="y81")
    with pytest.raises(ParameterError, match="The 'vcov' parameter of did_2x2"):
        did_2x2(KIEL, y="rprice", group="nearinc", post="y81", vcov="HC3")
    with pytest.raises(ParameterError, match="The 'inference' parameter of did_2x2"):
        did_2x2(KIEL, y="rprice", group="nearinc", post="y81", inference="boot")


def test_2x2_hc1_with_a_cluster_column_and_wild_with_hc1():
    """vcov='HC1' ignores the cluster for the analytic rows (normal inference); with
    inference='wild' the ATT row is the bootstrap's and the other rows stay HC1/normal."""
    df = KIEL.assign(cl=KIEL["nbh"])
    r = did_2x2(df, y="lrprice", group="nearinc", post="y81", cluster="cl", vcov="HC1")
    fit = sm.OLS(df["lrprice"], _kiel_X(df)).fit(cov_type="HC1")
    _check_table(r, fit, ["ATT", "nearinc", "y81", "Intercept"], np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        rw = did_2x2(df, y="lrprice", group="nearinc", post="y81", cluster="cl", vcov="HC1",
                     inference="wild", B=99, seed=2, alpha=0.1)
    t = rw.tidy()
    ci = np.asarray(fit.conf_int(alpha=0.1))
    np.testing.assert_allclose(t["conf_low"].iloc[1:], ci[1:, 0], rtol=1e-9)
    np.testing.assert_allclose(t["p_value"].iloc[1:], fit.pvalues[1:], rtol=1e-7)
    assert t.loc[0, "p_value"] == rw.extras["wild_bootstrap"].p_value


def test_2x2_one_cluster_error_names_did_2x2():
    with pytest.raises(DesignError, match=re.escape(
            "did_2x2: only 1 cluster in the data; cluster-robust inference needs at least 2")):
        did_2x2(KIEL.assign(c=1), y="rprice", group="nearinc", post="y81", cluster="c")


def test_2x2_column_and_weight_errors():
    for kw, name, val in (({"group": "nope"}, "group", "nope"), ({"post": "nope"}, "post", "nope"),
                          ({"y": "nope"}, "y", "nope"), ({"weights": "nope"}, "weights", "nope"),
                          ({"cluster": "nope"}, "cluster", "nope")):
        args = {"y": "rprice", "group": "nearinc", "post": "y81", **kw}
        with pytest.raises(ParameterError, match=re.escape(
                f"The '{name}' parameter of did_2x2 must name a column of data. Got {val!r} "
                "instead (columns: year, age, agesq, nbh, cbd, intst, lintst, price, rooms, area, "
                "land, baths…).")):
            did_2x2(KIEL, **args)
    w = np.ones(len(KIEL))
    w[[3, 10]] = [0.0, -1.0]
    with pytest.raises(DesignError, match=re.escape(
            "data: column 'w' has 2 non-positive or non-finite weights (e.g. rows 3, 10). Fix: "
            "survey weights must be > 0; drop or repair those rows.")):
        did_2x2(KIEL.assign(w=w), y="rprice", group="nearinc", post="y81", weights="w")


def test_2x2_provenance_hash_covers_the_used_columns_only():
    a = did_2x2(KIEL, y="rprice", group="nearinc", post="y81")
    b = did_2x2(KIEL.assign(other=1.0), y="rprice", group="nearinc", post="y81")
    c = did_2x2(KIEL.assign(rprice=KIEL["rprice"] + 1), y="rprice", group="nearinc", post="y81")
    assert a.provenance.inputs_hash == b.provenance.inputs_hash != c.provenance.inputs_hash
    d = did_2x2(KIEL.assign(cl=KIEL["nbh"]), y="rprice", group="nearinc", post="y81",
                cluster="cl", covariates=["age"], weights="cbd")
    e = did_2x2(KIEL.assign(cl=KIEL["nbh"], age=KIEL["age"] + 1), y="rprice", group="nearinc",
                post="y81", cluster="cl", covariates=["age"], weights="cbd")
    assert d.provenance.inputs_hash != e.provenance.inputs_hash
    f = did_2x2(KIEL.assign(cl=KIEL["nbh"], cbd=KIEL["cbd"] + 1), y="rprice", group="nearinc",
                post="y81", cluster="cl", covariates=["age"], weights="cbd")
    assert d.provenance.inputs_hash != f.provenance.inputs_hash
    g = did_2x2(KIEL.assign(cl=KIEL["nbh"] + 1), y="rprice", group="nearinc", post="y81",
                cluster="cl", covariates=["age"], weights="cbd")
    assert d.provenance.inputs_hash != g.provenance.inputs_hash


# --- twfe ------------------------------------------------------------------------------------
def _small_panel(n_units: int = 60, drop_every: int = 0) -> pd.DataFrame:
    m = MPDTA[MPDTA["countyreal"].isin(np.sort(MPDTA["countyreal"].unique())[:n_units])].copy()
    if drop_every:
        m = m.drop(index=m.index[::drop_every])
        # three singleton units (one period left), dropped by twfe as fixest does
        first = np.sort(m["countyreal"].unique())[:3]
        m = m[~m["countyreal"].isin(first) | (m["year"] == 2006)]
    m["D"] = ((m["first.treat"] > 0) & (m["year"] >= m["first.treat"])).astype(float)
    m["state"] = m["countyreal"] // 1000
    m["w"] = 1 + (m["countyreal"] % 5).astype(float)
    return m.reset_index(drop=True)


def _lsdv(m: pd.DataFrame, covs=(), weights=None, groups=None):
    units = np.sort(m["countyreal"].unique())
    years = np.sort(m["year"].unique())
    U = (m["countyreal"].to_numpy()[:, None] == units[None, :]).astype(float)
    T = (m["year"].to_numpy()[:, None] == years[None, 1:]).astype(float)
    X = np.column_stack([m["D"].to_numpy(float)] + [m[c].to_numpy(float) for c in covs]
                        + [U, T])
    mod = (sm.WLS(m["lemp"].to_numpy(float), X, weights=m[weights].to_numpy(float)) if weights
           else sm.OLS(m["lemp"].to_numpy(float), X))
    g = pd.factorize(m[groups or "countyreal"])[0]
    fit = mod.fit(cov_type="cluster", cov_kwds={"groups": g}, use_t=True)
    return fit, X.shape[1], len(units), len(years), int(g.max()) + 1


@pytest.mark.parametrize("cluster, weights, covs", [(None, None, ()), ("state", "w", ("lpop",)),
                                                    ("countyreal", "w", ())])
def test_twfe_equals_lsdv_with_fixest_small_sample_factor(cluster, weights, covs):
    """lpop is time-invariant in mpdta: give it a time-varying version."""
    m = _small_panel(drop_every=9)
    m["lpop"] = m["lpop"] + 0.01 * (m["year"] - 2003) * (m["countyreal"] % 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        r = twfe(m, y="lemp", unit="countyreal", time="year", treat="D", cluster=cluster,
                 weights=weights, covariates=list(covs), alpha=0.1)
    keep = m.groupby("countyreal")["year"].transform("size") > 1     # singletons dropped
    ms = m[keep].reset_index(drop=True)
    fit, k_lsdv, n_u, n_t, G = _lsdv(ms, covs, weights, cluster)
    n = len(ms)
    k = 1 + len(covs)
    K = k + (n_t - 1) + 1
    V = np.asarray(fit.cov_params())[:k, :k] * (n - k_lsdv) / (n - K)
    t = r.tidy()
    assert t["term"].tolist() == ["ATT", *covs]
    np.testing.assert_allclose(t["estimate"], fit.params[:k], rtol=1e-8)
    np.testing.assert_allclose(t["std_error"], np.sqrt(np.diag(V)), rtol=1e-8)
    assert (t["df"] == G - 1).all() and (t["n_obs"] == n).all()
    crit = stats.t.ppf(0.95, G - 1)
    np.testing.assert_allclose(t["conf_low"], fit.params[:k] - crit * np.sqrt(np.diag(V)),
                               rtol=1e-8)
    assert r.extras["K"] == K and r.extras["n_clusters"] == G
    np.testing.assert_allclose(r.extras["vcov"], V, rtol=1e-8)
    n_single = int((~keep).sum())
    assert n_single > 0
    assert r.provenance.dropped == {"singleton units": n_single}
    assert r.provenance.n_used == n and r.provenance.n_input == len(m)
    assert r.provenance.options == {"y": "lemp", "unit": "countyreal", "time": "year",
                                    "treat": "D", "cohort": None, "covariates": list(covs),
                                    "weights": weights, "cluster": cluster or "countyreal",
                                    "inference": "analytic", "B": None, "seed": None}
    assert r.summary().title == "TWFE DiD of lemp" and r.method == "twfe"


def test_twfe_cohort_equals_treat_column():
    m = _small_panel()
    a = twfe(m, y="lemp", unit="countyreal", time="year", cohort="first.treat")
    b = twfe(m, y="lemp", unit="countyreal", time="year", treat="D")
    assert a["ATT"] == pytest.approx(b["ATT"], rel=1e-12)
    # a cohort in the first period counts as treated from then on (>=), 0 as never
    m2 = m.assign(c=np.where(m["countyreal"] % 4 == 0, 2004, m["first.treat"]))
    m2["D2"] = ((m2["c"] > 0) & (m2["year"] >= m2["c"])).astype(float)
    assert twfe(m2, y="lemp", unit="countyreal", time="year", cohort="c")["ATT"] == \
        pytest.approx(twfe(m2, y="lemp", unit="countyreal", time="year", treat="D2")["ATT"],
                      rel=1e-12)
    assert a.provenance.options["cohort"] == "first.treat"


def test_twfe_wild_passes_the_one_hot_model_to_the_bootstrap():
    """The demeaned design handed to the bootstrap gives the same restricted wild p-value and
    interval as the explicit one-hot (unit + period dummies) regression with the same K."""
    m = _small_panel(n_units=80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        # the within transformation divides by each unit's weight total only: no numpy 0/0
        # warning (an extra, empty unit bin gave one; fresh mutmut sample, session 10)
        warnings.simplefilter("error", RuntimeWarning)
        r = twfe(m, y="lemp", unit="countyreal", time="year", treat="D", cluster="state",
                 weights="w", inference="wild", B=99, seed=5, weights_type="webb", alpha=0.1)
        fit, k_lsdv, n_u, n_t, G = _lsdv(m, (), "w", "state")
        X = np.column_stack([m["D"].to_numpy(float),
                             (m["countyreal"].to_numpy()[:, None]
                              == np.sort(m["countyreal"].unique())[None, :]).astype(float),
                             (m["year"].to_numpy()[:, None]
                              == np.sort(m["year"].unique())[None, 1:]).astype(float)])
        K = 1 + (n_t - 1) + 1
        yv, cl, w = m["lemp"].to_numpy(float), m["state"].to_numpy(), m["w"].to_numpy(float)
        wb = wild_cluster_bootstrap(yv, X, cl, 0, B=99, weights_type="webb", seed=5,
                                    weights=w, n_params=K)
        lo, hi = wild_conf_int(yv, X, cl, 0, alpha=0.1, B=99, weights_type="webb", seed=5,
                               weights=w, n_params=K)
    t = r.tidy()
    assert t.loc[0, "p_value"] == pytest.approx(wb.p_value, abs=1e-12)
    assert t.loc[0, "conf_low"] == pytest.approx(lo, rel=1e-8)
    assert t.loc[0, "conf_high"] == pytest.approx(hi, rel=1e-8)
    assert r.provenance.options["B"] == 99 and r.provenance.options["inference"] == "wild"
    assert r.extras["wild_bootstrap"].p_value == t.loc[0, "p_value"]
    assert r.extras["K"] == K
    assert r.summary().title == "TWFE DiD of lemp (wild cluster bootstrap)"


def test_twfe_wild_other_rows_are_cr1_with_t():
    m = _small_panel(n_units=80)
    m["x"] = np.sin(np.arange(len(m)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        r = twfe(m, y="lemp", unit="countyreal", time="year", treat="D", covariates=["x"],
                 cluster="state", inference="wild", B=99, seed=1, alpha=0.1)
    t = r.tidy().set_index("term")
    G = m["state"].nunique()
    b, se = t.loc["x", "estimate"], t.loc["x", "std_error"]
    crit = stats.t.ppf(0.95, G - 1)
    assert t.loc["x", "conf_low"] == pytest.approx(b - crit * se, rel=1e-12)
    assert t.loc["x", "conf_high"] == pytest.approx(b + crit * se, rel=1e-12)
    assert t.loc["x", "p_value"] == pytest.approx(2 * stats.t.sf(abs(b / se), G - 1),
                                                  rel=1e-10)


def test_twfe_few_treated_clusters_warning():
    """29 states (all of mpdta), 2 of them with a treated county-year: the warning counts
    treated clusters (any D = 1 in the cluster), not treated rows."""
    m = _small_panel(n_units=500)
    assert m["state"].nunique() == 29
    states = np.sort(m["state"].unique())
    m = m.assign(D=np.where(m["state"].isin(states[:2]), m["D"], 0.0))
    assert m.groupby("state")["D"].max().sum() == 2
    with pytest.warns(EstimationWarning) as rec:
        twfe(m, y="lemp", unit="countyreal", time="year", treat="D", cluster="state")
    assert [str(w.message) for w in rec] == [
        "twfe: fragile inference: 2 treated cluster(s) of 29 (MacKinnon & Webb 2017: with so "
        "few treated clusters neither CR1 nor the wild bootstrap is reliable)."]


def test_default_bootstrap_draws_is_9999():
    """The documented default B = 9999 (recorded in the provenance). Six clusters: the
    bootstrap enumerates all 2**6 sign vectors, so the default costs nothing here."""
    import inspect
    assert inspect.signature(twfe).parameters["B"].default == 9999
    assert inspect.signature(did_2x2).parameters["B"].default == 9999
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"v": np.repeat(np.arange(6), 20), "post": np.tile([0, 1], 60)})
    d["g"] = d["v"].isin([1, 3, 5]).astype(int)
    d["y"] = d["g"] * d["post"] + rng.normal(size=len(d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        r = did_2x2(d, y="y", group="g", post="post", cluster="v", inference="wild", seed=1)
    assert r.provenance.options["B"] == 9999


def test_twfe_missing_values_in_every_column_are_dropped_and_counted():
    m = _small_panel(n_units=80)
    m["x"] = np.cos(np.arange(len(m)))
    m["cl"] = m["state"].astype(float)
    m["coh"] = m["first.treat"].astype(float)
    for col, rows in (("x", [0]), ("coh", [5, 6]), ("w", [10]), ("cl", [15, 16, 17])):
        m.loc[m.index[rows], col] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        r = twfe(m, y="lemp", unit="countyreal", time="year", cohort="coh", covariates=["x"],
                 weights="w", cluster="cl")
    assert r.provenance.dropped == {"missing x": 1, "missing coh": 2, "missing w": 1,
                                    "missing cl": 3}
    assert r.provenance.n_used == len(m) - 7


def test_twfe_column_errors_and_hash():
    m = _small_panel()
    for kw, name in (({"unit": "nope"}, "unit"), ({"cohort": "nope", "treat": None}, "cohort"),
                     ({"covariates": ["nope"]}, "covariates")):
        args = {"y": "lemp", "unit": "countyreal", "time": "year", "treat": "D", **kw}
        with pytest.raises(ParameterError, match=re.escape(
                f"The '{name}' parameter of twfe must name a column of data. Got 'nope' "
                "instead")):
            twfe(m, **args)
    a = twfe(m, y="lemp", unit="countyreal", time="year", treat="D")
    b = twfe(m.assign(z=1.0), y="lemp", unit="countyreal", time="year", treat="D")
    c = twfe(m.assign(lemp=m["lemp"] * 2), y="lemp", unit="countyreal", time="year", treat="D")
    assert a.provenance.inputs_hash == b.provenance.inputs_hash != c.provenance.inputs_hash


def test_twfe_errors_word_for_word():
    m = _small_panel()
    with pytest.raises(ParameterError, match=re.escape(
            "The 'treat'/'cohort' parameters of twfe must be given one at a time. Got "
            "treat='D', cohort='first.treat' instead.")):
        twfe(m, y="lemp", unit="countyreal", time="year", treat="D", cohort="first.treat")
    with pytest.raises(ParameterError, match=re.escape("Got treat=None, cohort=None instead.")):
        twfe(m, y="lemp", unit="countyreal", time="year")
    with pytest.raises(IdentificationError, match=re.escape(
            f"data: treatment does not vary ({len(m)} rows, all 0). Fix: the panel needs "
            "treated and untreated observations.")):
        twfe(m.assign(D=0.0), y="lemp", unit="countyreal", time="year", treat="D")
    with pytest.raises(IdentificationError, match=re.escape("rows, all 1).")):
        twfe(m.assign(D=1.0), y="lemp", unit="countyreal", time="year", treat="D")
    dup = pd.concat([m, m.iloc[[0, 5, 5]]], ignore_index=True)
    with pytest.raises(DesignError, match=re.escape(
            "data: 3 duplicated (countyreal, year) rows (e.g. units 8001, 8019); a panel has "
            "one row per unit and period. Fix: aggregate or drop duplicates.")):
        twfe(dup, y="lemp", unit="countyreal", time="year", treat="D")
    with pytest.raises(ParameterError, match="The 'inference' parameter of twfe"):
        twfe(m, y="lemp", unit="countyreal", time="year", treat="D", inference="boot")
    with pytest.raises(ParameterError, match=re.escape(
            "The 'time' parameter of twfe must name a column of data. Got 'when' instead")):
        twfe(m, y="lemp", unit="countyreal", time="when", treat="D")
    with pytest.raises(IdentificationError, match=re.escape(
            f"data: column 'lemp' has no variation ({len(m)} rows, all equal to 1); no effect "
            "can be estimated.")):
        twfe(m.assign(lemp=1.0), y="lemp", unit="countyreal", time="year", treat="D")
    with pytest.raises(DesignError, match=re.escape("twfe: only 1 cluster in the data")):
        twfe(m.assign(k=1), y="lemp", unit="countyreal", time="year", treat="D", cluster="k")


# --- Goodman-Bacon ---------------------------------------------------------------------------
def _bacon_panel() -> pd.DataFrame:
    """6 periods (1..6); cohorts: 3 units never, 2 at period 3, 4 at period 5, 2 always (1)."""
    rng = np.random.default_rng(8)
    coh = [0] * 3 + [3] * 2 + [5] * 4 + [1] * 2
    rows = [(u, t, c) for u, c in enumerate(coh) for t in range(1, 7)]
    d = pd.DataFrame(rows, columns=["u", "t", "c"])
    d["y"] = rng.normal(size=len(d)) + 0.3 * d["t"] + (d["c"] > 0) * (d["t"] >= d["c"]) \
        * (1 + 0.5 * (d["t"] - d["c"]))
    return d


def test_bacon_2x2s_and_weights_by_hand():
    d = _bacon_panel()
    res = bacon_decomposition(d, y="y", unit="u", time="t", cohort="c")
    b = res.extras["bacon_table"]
    P = np.arange(1, 7)
    grp = {"never": [0, 1, 2], 3: [3, 4], 5: [5, 6, 7, 8], "always": [9, 10]}
    Y = d.pivot(index="u", columns="t", values="y").to_numpy()
    mean = {k: Y[v].mean(axis=0) for k, v in grp.items()}
    n = {k: len(v) / 11 for k, v in grp.items()}
    Dbar = {3: 4 / 6, 5: 2 / 6, "always": 1.0}
    Dm = np.array([[float(t >= {0: 99, 3: 3, 5: 5, 1: 1}[c]) for t in P]
                   for c in [0] * 3 + [3] * 2 + [5] * 4 + [1] * 2])
    Dd = Dm - Dm.mean(1, keepdims=True) - Dm.mean(0, keepdims=True) + Dm.mean()
    VD = (Dd ** 2).mean()

    def dd(tr, ct, win, start):
        post = P[win] >= start
        a, c = mean[tr][win], mean[ct][win]
        return (a[post].mean() - a[~post].mean()) - (c[post].mean() - c[~post].mean())

    def s_kU(k):     # eq. 10a
        nku = n[k] / (n[k] + n["never"])
        return (n[k] + n["never"]) ** 2 * nku * (1 - nku) * Dbar[k] * (1 - Dbar[k]) / VD

    def s_kl(k, l_):  # eq. 10b: earlier k vs later l, before l
        nkl = n[k] / (n[k] + n[l_])
        return (((n[k] + n[l_]) * (1 - Dbar[l_])) ** 2 * nkl * (1 - nkl)
                * (Dbar[k] - Dbar[l_]) / (1 - Dbar[l_]) * (1 - Dbar[k]) / (1 - Dbar[l_]) / VD)

    def s_lk(k, l_):  # eq. 10c: later l vs earlier k, after k
        nkl = n[k] / (n[k] + n[l_])
        return (((n[k] + n[l_]) * Dbar[k]) ** 2 * nkl * (1 - nkl)
                * Dbar[l_] / Dbar[k] * (Dbar[k] - Dbar[l_]) / Dbar[k] / VD)

    every = np.ones(6, bool)
    expect = [
        ("treated vs never", 3, 0, dd(3, "never", every, 3), s_kU(3)),
        ("treated vs never", 5, 0, dd(5, "never", every, 5), s_kU(5)),
        ("earlier vs later", 3, 5, dd(3, 5, P < 5, 3), s_kl(3, 5)),
        ("later vs earlier", 5, 3, dd(5, 3, P >= 3, 5), s_lk(3, 5)),
        ("treated vs always", 3, 1, dd(3, "always", P >= 1, 3), s_lk("always", 3)),
        ("treated vs always", 5, 1, dd(5, "always", P >= 1, 5), s_lk("always", 5)),
    ]
    got = sorted(zip(b["type"], b["treated"], b["control"], b["estimate"], b["weight"]),
                 key=lambda r: (r[0], r[1]))
    want = sorted(expect, key=lambda r: (r[0], r[1]))
    assert [(g[0], g[1], g[2]) for g in got] == [(w[0], w[1], w[2]) for w in want]
    np.testing.assert_allclose([g[3] for g in got], [w[3] for w in want], rtol=1e-12)
    np.testing.assert_allclose([g[4] for g in got], [w[4] for w in want], rtol=1e-12)
    # the TWFE coefficient: LSDV on unit and period dummies
    X = np.column_stack([Dm.ravel(), np.repeat(np.eye(11), 6, axis=0),
                         np.tile(np.eye(6)[:, 1:], (11, 1))])
    beta = np.linalg.lstsq(X, Y.ravel(), rcond=None)[0][0]
    assert res["TWFE"] == pytest.approx(beta, rel=1e-10)
    t = res.tidy()
    assert t["term"].tolist()[0] == "TWFE" and t["type"].iloc[0] == "twfe"
    assert "treated vs never: 3 vs never" in t["term"].tolist()
    assert "treated vs always: 5 vs 1" in t["term"].tolist()
    assert "later vs earlier: 5 vs 3" in t["term"].tolist()
    assert (t["n_obs"] == 66).all() and t["weight"].iloc[0] == 1.0
    assert np.isnan(t["treated"].iloc[0]) and np.isnan(t["control"].iloc[0])
    assert b.attrs["n_units"] == 11 and res.extras["n_units"] == 11
    assert b.attrs["dropped"] == {} and res.extras["twfe"] == res["TWFE"]
    assert res.provenance.options == {"y": "y", "unit": "u", "time": "t", "cohort": "c"}
    assert res.provenance.n_used == 66 and res.provenance.n_input == 66
    assert res.summary().title == "Goodman-Bacon decomposition of the TWFE coefficient of y"


def test_bacon_categorical_unit_with_an_unused_level():
    """A categorical unit id that kept a level no longer in the data (after filtering) is
    still a balanced panel: only observed units count."""
    d = _bacon_panel()
    cat = d.assign(u=pd.Categorical(d["u"], categories=list(range(12))))
    a = bacon_decomposition(d, y="y", unit="u", time="t", cohort="c")
    b = bacon_decomposition(cat, y="y", unit="u", time="t", cohort="c")
    assert a["TWFE"] == pytest.approx(b["TWFE"], rel=1e-12)
    assert b.extras["n_units"] == 11


def test_bacon_cohorts_after_the_last_period():
    """Cohorts first treated after the panel ends (8 and 9, periods 1..6) are untreated in
    every period: no 2x2 between the two of them, and the weights still reproduce TWFE."""
    d = _bacon_panel()
    d["c"] = d["c"].replace({0: 8})
    d.loc[d["u"] == 2, "c"] = 9
    res = bacon_decomposition(d, y="y", unit="u", time="t", cohort="c")
    b = res.extras["bacon_table"]
    assert not ((b["treated"] == 8) & (b["control"] == 9)).any()
    assert not ((b["treated"] == 9) | ((b["treated"] == 8) & (b["type"] != "x"))).any()
    assert b["estimate"].notna().all()
    assert (b["weight"] * b["estimate"]).sum() == pytest.approx(res["TWFE"], abs=1e-12)


def test_bacon_column_error_and_hash():
    d = _bacon_panel()
    with pytest.raises(ParameterError, match=re.escape(
            "The 'cohort' parameter of bacon_decomposition must name a column of data. Got "
            "'first' instead")):
        bacon_decomposition(d, y="y", unit="u", time="t", cohort="first")
    a = bacon_decomposition(d.assign(z=1), y="y", unit="u", time="t", cohort="c")
    b = bacon_decomposition(d, y="y", unit="u", time="t", cohort="c")
    c = bacon_decomposition(d.assign(y=d["y"] + 1), y="y", unit="u", time="t", cohort="c")
    assert a.provenance.inputs_hash == b.provenance.inputs_hash != c.provenance.inputs_hash


def test_bacon_errors_word_for_word():
    d = _bacon_panel()
    with pytest.raises(DesignError, match=re.escape(
            "data: the Bacon decomposition needs a balanced panel; 2 units of 'u' miss periods "
            "(e.g. 0, 4). Fix: balance the panel (keep units seen in every period).")):
        bacon_decomposition(d.drop(index=[0, 25]), y="y", unit="u", time="t", cohort="c")
    bad = d.copy()
    bad.loc[bad.index[7], "c"] = 5
    with pytest.raises(DesignError, match=re.escape(
            "data: column 'c' varies within units; it must be the unit's first treated "
            "period. Fix: compute it once per unit.")):
        bacon_decomposition(bad, y="y", unit="u", time="t", cohort="c")
    with pytest.raises(IdentificationError, match=re.escape(
            "data: treatment does not vary after two-way demeaning; there is nothing to "
            "decompose. Fix: check the cohort column.")):
        bacon_decomposition(d.assign(c=0), y="y", unit="u", time="t", cohort="c")


def test_twfe_object_dtype_weights_and_covariates_are_read_as_numbers():
    """A column of numbers with dtype object (e.g. after a concat with None) gives the same
    fit as the float column: weights and covariates are converted with dtype=float."""
    m = _small_panel(n_units=60)
    m["x"] = np.sin(np.arange(len(m)))
    ref = twfe(m, y="lemp", unit="countyreal", time="year", treat="D", weights="w",
               covariates=["x"]).tidy()
    for obj in ({"w": m["w"].astype(object)}, {"x": m["x"].astype(object)}):
        t = twfe(m.assign(**obj), y="lemp", unit="countyreal", time="year", treat="D",
                 weights="w", covariates=["x"]).tidy()
        np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=1e-12)
        np.testing.assert_allclose(t["std_error"], ref["std_error"], rtol=1e-12)


# --- fresh mutmut sample (seed 19, session 10) -----------------------------------------------
def test_2x2_rows_without_a_cluster_are_dropped_and_counted():
    """A missing cluster id drops its row before the fit, counted in the provenance, as a
    missing outcome does (the cluster column was left out of the missing-value check)."""
    k = KIEL.assign(cl=KIEL["nbh"].astype(float))
    k.loc[k.index[[4, 9]], "cl"] = np.nan
    r = did_2x2(k, y="rprice", group="nearinc", post="y81", cluster="cl")
    assert r.provenance.dropped == {"missing cl": 2}
    assert r.provenance.n_used == len(KIEL) - 2
    # the same fit as on the rows kept
    keep = did_2x2(k.dropna(subset=["cl"]), y="rprice", group="nearinc", post="y81",
                   cluster="cl")
    pd.testing.assert_frame_equal(r.tidy(), keep.tidy())


def test_twfe_cluster_and_weight_column_errors():
    m = _small_panel()
    for name in ("cluster", "weights"):
        with pytest.raises(ParameterError, match=re.escape(
                f"The '{name}' parameter of twfe must name a column of data. Got 'nope' "
                "instead")):
            twfe(m, y="lemp", unit="countyreal", time="year", treat="D", **{name: "nope"})


def test_bacon_result_is_named_for_its_method():
    res = bacon_decomposition(_bacon_panel(), y="y", unit="u", time="t", cohort="c")
    assert res.method == "bacon_decomposition" == res.provenance.method
