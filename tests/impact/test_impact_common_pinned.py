"""The shared impact helpers (kassaki_eval/impact/_common.py) pinned one by one (issue 18,
mutation round of impact/_common.py).

Sources of the expected values, stated per test: tiny frames whose checks, counts and
dropped rows are read off by hand; least squares on explicit unit and period dummies
(numpy.linalg.lstsq, an independent solver) for the two-way fixed-effects solver; the SHA-256
of the documented byte stream for the column hash; the error contract word for word (what,
where, the fix). See docs/MUTATION.md, "impact/_common.py (helper mutD)".
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DesignError, IdentificationError, ParameterError, SchemaError
from kassaki_eval.impact import _common as C


# --------------------------------------------------------------------------------------------
# column checks
# --------------------------------------------------------------------------------------------
def test_as_list():
    assert C.as_list(None) == []
    assert C.as_list("a") == ["a"]
    assert C.as_list(("a", "b")) == ["a", "b"]


def test_check_columns_messages():
    df = pd.DataFrame({f"c{i}": [1] for i in range(14)})
    C.check_columns(df, "f", y="c0", x=["c1", "c2"], none=None)          # all present: quiet
    with pytest.raises(ParameterError) as e:
        C.check_columns([1, 2], "did_2x2", y="y")
    assert str(e.value) == ("The 'data' parameter of did_2x2 must be a pandas DataFrame. "
                            "Got list instead.")
    with pytest.raises(ParameterError) as e:
        C.check_columns(df, "did_2x2", y="c0", covariates=["c1", "zz"])
    assert str(e.value) == ("The 'covariates' parameter of did_2x2 must name a column of data. "
                            "Got 'zz' instead (columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, "
                            "c9, c10, c11…).")


def test_drop_missing_counts_each_row_once_under_its_first_column():
    """Rows 1 and 2 miss y, row 2 also misses x (counted under y only), row 3 misses x."""
    df = pd.DataFrame({"y": [1.0, np.nan, np.nan, 4.0, 5.0],
                       "x": [1.0, 2.0, np.nan, np.nan, 5.0], "id": list("abcde")})
    out, dropped = C.drop_missing(df, ["y", "x"])
    assert dropped == {"missing y": 2, "missing x": 1}
    assert out["id"].tolist() == ["a", "e"]
    same, none = C.drop_missing(df, ["id"])
    assert same is df and none == {}


def test_check_outcome_messages():
    C.check_outcome(np.array([1.0, 2.0]), "panel", "y")
    with pytest.raises(IdentificationError) as e:
        C.check_outcome(np.array([]), "panel", "y")
    assert str(e.value) == ("panel: no rows left to estimate 'y' after dropping missing values. "
                            "Fix: check the data for missing values.")
    with pytest.raises(IdentificationError) as e:
        C.check_outcome(np.array([0.5, 0.5, 0.5]), "panel", "poor")
    assert str(e.value) == ("panel: column 'poor' has no variation (3 rows, all equal to 0.5); "
                            "no effect can be estimated. Fix: check the outcome definition (e.g. "
                            "the poverty line) or the sample.")


def test_check_weights_message():
    C.check_weights(np.array([0.1, 2.0]), "panel", "w")
    w = np.array([1.0, 0.0, -1.0, np.nan, np.inf, 1.0, 0.0, 0.0])
    with pytest.raises(DesignError) as e:
        C.check_weights(w, "panel", "w")
    assert str(e.value) == ("panel: column 'w' has 6 non-positive or non-finite weights (e.g. "
                            "rows 1, 2, 3, 4, 6). Fix: survey weights must be > 0; drop or "
                            "repair those rows.")


def test_check_cluster_constant_message():
    ok = pd.DataFrame({"u": [1, 1, 2, 2], "c": [7, 7, 8, 8]})
    C.check_cluster_constant(ok, "u", "c", "panel")
    bad = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3], "c": [7, 8, 8, 8, 9, np.nan]})
    with pytest.raises(DesignError) as e:
        C.check_cluster_constant(bad, "u", "c", "panel")
    assert str(e.value) == ("panel: column 'c' changes over time within 2 units of 'u' (e.g. 1, "
                            "3); the cluster id must be constant for a unit. Fix: use the village "
                            "or kecamatan of the unit's first wave (e.g. groupby(unit)[cluster]"
                            ".transform('first')).")
    seven = pd.DataFrame({"u": np.repeat(np.arange(7), 2), "c": np.arange(14)})
    with pytest.raises(DesignError, match=r"within 7 units of 'u' \(e\.g\. 0, 1, 2, 3, 4\); "):
        C.check_cluster_constant(seven, "u", "c", "panel")


def test_hash_columns_is_the_documented_byte_stream():
    """SHA-256 of the JSON list of the names (None and repeats dropped), then each column's raw
    bytes (numeric) or pandas' row hashes (text, categorical)."""
    df = pd.DataFrame({"a": [1.0, 2.5], "s": ["x", "y"], "k": pd.Categorical([1, 2])})
    h = hashlib.sha256()
    h.update(json.dumps(["a", "s", "k"]).encode())
    h.update(np.array([1.0, 2.5]).tobytes())
    h.update(pd.util.hash_pandas_object(df["s"], index=False).to_numpy().tobytes())
    h.update(pd.util.hash_pandas_object(df["k"], index=False).to_numpy().tobytes())
    assert C.hash_columns(df, ["a", None, "s", "a", "k"]) == h.hexdigest()


def test_numeric_values_reads_numbers_stored_as_text():
    df = pd.DataFrame({"y": ["1.5", "2", None], "t": [2024, 2025, 2026],
                       "b": [True, False, True]})
    out = C.numeric_values(df, ["y", "t", "y", "b"], "panel", "sun_abraham")
    assert list(out) == ["y", "t", "b"]
    np.testing.assert_array_equal(out["y"], [1.5, 2.0, np.nan])
    np.testing.assert_array_equal(out["t"], [2024.0, 2025.0, 2026.0])
    assert out["y"].dtype == np.float64 and out["t"].dtype == np.float64
    np.testing.assert_array_equal(out["b"], [1.0, 0.0, 1.0])


def test_numeric_values_text_is_one_schema_error_per_column():
    """Every column with unreadable text is one problem: its row count and the first five
    distinct ids (id_col) or row labels; the values are not shown."""
    df = pd.DataFrame({"id": ["u1", "u1", "u2", "u3", "u4", "u5", "u6", "u7"],
                       "y": ["n/a", "n/a", "1,5", "2024a", "x", "y", "z", "3"],
                       "t": ["2024", "2024", "2025", "2025", "2026", "?", "2026", "2024"]},
                      index=[10, 11, 12, 13, 14, 15, 16, 17])
    with pytest.raises(SchemaError) as e:
        C.numeric_values(df, ["y", "t"], "panel", "sun_abraham", id_col="id")
    assert str(e.value) == (
        "panel: 2 problems found\n"
        "  - panel: column 'y' holds text that is not a number: 7 rows (e.g. u1, u2, u3, u4, u5)."
        " Fix: correct or drop those rows: sun_abraham needs numbers in 'y' (numbers stored as "
        "text, such as '2024', are read as numbers).\n"
        "  - panel: column 't' holds text that is not a number: 1 row (e.g. u5). Fix: correct or "
        "drop those rows: sun_abraham needs numbers in 't' (numbers stored as text, such as "
        "'2024', are read as numbers).")
    assert e.value.table == "panel"
    with pytest.raises(SchemaError) as e:
        C.numeric_values(df, ["t"], "panel", "sun_abraham")
    assert e.value.problems[0].examples == (15,)
    assert e.value.problems[0].count == 1


# --------------------------------------------------------------------------------------------
# the two-way fixed-effects solver
# --------------------------------------------------------------------------------------------
def _dummies_fit(ui, ti, w, y, nu, nt):
    D = np.column_stack([np.eye(nu)[ui], np.eye(nt)[ti]])
    sw = np.sqrt(w)
    coef = np.linalg.lstsq(D * sw[:, None], y * sw, rcond=None)[0]
    return D @ coef


@pytest.fixture
def unbalanced():
    rng = np.random.default_rng(3)
    ui = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4])
    ti = np.array([0, 1, 2, 0, 2, 1, 2, 3, 0, 3, 3])
    w = rng.uniform(0.5, 3.0, ui.size)
    y = rng.normal(size=ui.size) * 100 + 5 * ui - 3 * ti
    return ui, ti, w, y


def test_fe_solve_is_least_squares_on_unit_and_period_dummies(unbalanced):
    """Unbalanced, weighted: a[u] + l[t] equals the weighted least-squares fit on dummies
    (to 1e-9 of the data's scale); a unit without observations (index 5) gets 0."""
    ui, ti, w, y = unbalanced
    a, lam = C.fe_solve(ui, ti, w, np.bincount(ui, weights=w * y, minlength=6),
                        np.bincount(ti, weights=w * y, minlength=4), 6, 4)
    fit = _dummies_fit(ui, ti, w, y, 5, 4)
    np.testing.assert_allclose(a[ui] + lam[ti], fit, atol=1e-9)
    assert a.shape == (6,) and lam.shape == (4,) and a[5] == 0.0


def test_fe_solve_light_units_and_an_empty_period():
    """Weights whose totals per unit or period are below 1 (units 1, 3; periods 0, 2: two of
    each, so no choice of the free constant a + c, l - c hides a wrong divisor), and a period
    (index 4) and a unit (index 4) without observations: the fit is still least squares on the
    dummies, the empty unit and period get 0."""
    ui = np.array([0, 0, 1, 2, 2, 2, 3, 3, 0])
    ti = np.array([0, 1, 1, 1, 2, 3, 2, 3, 3])
    w = np.array([0.3, 2.0, 0.4, 1.5, 0.6, 1.0, 0.2, 0.5, 1.0])
    y = np.array([3.0, -1.0, 4.0, 1.5, 9.0, -2.0, 6.0, 5.0, 0.5])
    a, lam = C.fe_solve(ui, ti, w, np.bincount(ui, weights=w * y, minlength=5),
                        np.bincount(ti, weights=w * y, minlength=5), 5, 5)
    np.testing.assert_allclose(a[ui] + lam[ti], _dummies_fit(ui, ti, w, y, 4, 4), atol=1e-9)
    assert a.shape == (5,) and lam.shape == (5,) and a[4] == 0.0 and lam[4] == 0.0


def test_fe_solve_stops_at_maxiter_and_on_tolerance(unbalanced):
    """One sweep (maxiter=1) is the unit step then the period step from zero, worked out
    directly; the default tolerance reaches the least-squares fit to 1e-9 while a loose one
    (tol=1e-2 of the data's scale) stops visibly earlier."""
    ui, ti, w, y = unbalanced
    ru = np.bincount(ui, weights=w * y, minlength=5)
    rt = np.bincount(ti, weights=w * y, minlength=4)
    a1, l1 = C.fe_solve(ui, ti, w, ru, rt, 5, 4, maxiter=1)
    wu, wt = np.bincount(ui, weights=w), np.bincount(ti, weights=w)
    a_hand = ru / wu
    l_hand = (rt - np.bincount(ti, weights=w * a_hand[ui], minlength=4)) / wt
    np.testing.assert_allclose(a1, a_hand, rtol=1e-13)
    np.testing.assert_allclose(l1, l_hand, rtol=1e-13)
    fit = _dummies_fit(ui, ti, w, y, 5, 4)
    a2, l2 = C.fe_solve(ui, ti, w, ru, rt, 5, 4, tol=1e-2)
    assert np.abs(a2[ui] + l2[ti] - fit).max() > 1e-6


def test_fe_solve_tolerance_is_relative_to_the_largest_unit_or_period_mean(unbalanced):
    """The stop rule: no coefficient moves by more than tol x max(|weighted unit means|,
    |weighted period means|). (1) Data of scale about 1 with tol = 1e-2: the iteration stops
    while the fit is still visibly off the least-squares fit. (2) Unit means about 0.4 but
    period means about 1000 (every unit sees as many +1000 as -1000 periods, at equal weights):
    with tol = 1e-4 the stop threshold is about 0.1, so the fit stops more than 1e-3 away from
    least squares; a scale from the unit means alone would have run on to about 2e-5."""
    ui, ti, w, y = unbalanced
    y = y / 100
    ru, rt = np.bincount(ui, weights=w * y), np.bincount(ti, weights=w * y)
    a, lam = C.fe_solve(ui, ti, w, ru, rt, 5, 4, tol=1e-2)
    assert np.abs(a[ui] + lam[ti] - _dummies_fit(ui, ti, w, y, 5, 4)).max() > 1e-4
    ui = np.array([0, 0, 1, 1, 2, 2, 2, 2, 3, 3])
    ti = np.array([0, 1, 2, 3, 0, 1, 2, 3, 1, 2])
    w = np.array([1, 1, 2, 2, 0.5, 0.5, 0.5, 0.5, 3, 3.0])
    y = (np.array([0.3, -0.2, 0.1, 0.4])[ui] + np.array([1000, -1000, 1000, -1000.0])[ti]
         + np.array([0.01, -0.02, 0.03, 0, 0.01, -0.01, 0.02, -0.03, 0.05, -0.04]))
    ru, rt = np.bincount(ui, weights=w * y), np.bincount(ti, weights=w * y)
    assert np.abs(ru / np.bincount(ui, weights=w)).max() < 0.5
    a, lam = C.fe_solve(ui, ti, w, ru, rt, 4, 4, tol=1e-4)
    assert np.abs(a[ui] + lam[ti] - _dummies_fit(ui, ti, w, y, 4, 4)).max() > 1e-3


def test_demean_2way_residuals_are_the_dummy_regression_residuals(unbalanced):
    ui, ti, w, y = unbalanced
    M = np.column_stack([y, y ** 2 / 100, np.ones_like(y)])
    R = C.demean_2way(M, ui, ti, w)
    for j in range(3):
        np.testing.assert_allclose(R[:, j], M[:, j] - _dummies_fit(ui, ti, w, M[:, j], 5, 4),
                                   atol=1e-8)
    assert R is not M and M[0, 2] == 1.0                     # the input is not overwritten


# --------------------------------------------------------------------------------------------
# binary-treatment problems
# --------------------------------------------------------------------------------------------
def test_design_matrix_dummies_and_bools():
    df = pd.DataFrame({"b": [True, False, True], "s": ["z", "a", None], "n": [1, 2, 3]})
    X, names = C.design_matrix(df, ["b", "s", "n"])
    assert names == ["b", "s[z]", "n"]
    np.testing.assert_array_equal(X, [[1, 1, 1], [0, 0, 2], [1, 0, 3]])
    pa = pd.DataFrame({"b": pd.Series([True, False, True], dtype="bool[pyarrow]")})
    Xp, npa = C.design_matrix(pa, ["b"])          # Arrow booleans (parquet) are not "numeric"
    assert npa == ["b"]
    np.testing.assert_array_equal(Xp, [[1.0], [0.0], [1.0]])
    for cols in (["b", "n"], ["s"], ["b"]):
        assert C.design_matrix(df, cols)[0].dtype == np.float64, cols
    X0, n0 = C.design_matrix(df, [])
    assert X0.shape == (3, 0) and n0 == []


@pytest.fixture
def frame():
    return pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0],
                         "d": [0, 1, 1, 0, np.nan, 1, 0],
                         "x": [0.5, 0.1, 0.2, np.nan, 0.3, 0.7, 0.9],
                         "w": [1.0, 2.0, 1.0, 1.0, 1.0, 3.0, 1.0],
                         "v": ["p", "q", "p", "q", "q", "p", "r"]})


def test_prepare_drops_and_records_missing_rows(frame):
    P = C.prepare(frame, "ipw", y="y", treatment="d", covariates="x", weights="w",
                  cluster="v", table="survey")
    assert P.dropped == {"missing y": 1, "missing d": 1, "missing x": 1}
    np.testing.assert_array_equal(P.rows, [0, 1, 5, 6])
    np.testing.assert_array_equal(P.d, [0, 1, 1, 0])
    assert P.d.dtype == np.int8
    np.testing.assert_array_equal(P.y, [1.0, 2.0, 6.0, 7.0])
    np.testing.assert_array_equal(P.X, [[0.5], [0.1], [0.7], [0.9]])
    np.testing.assert_array_equal(P.w, [1.0, 2.0, 3.0, 1.0])
    np.testing.assert_array_equal(P.cluster, [0, 1, 0, 2])
    assert (P.names, P.n_input, P.table) == (["x"], 7, "survey")
    Q = C.prepare(frame, "ipw", y=None, treatment="d", covariates=[], weights=None,
                  cluster=None)
    assert Q.y is None and Q.cluster is None and Q.table == "data"
    np.testing.assert_array_equal(Q.w, np.ones(6))
    assert Q.dropped == {"missing d": 1}
    R = C.prepare(frame.assign(y=np.arange(7)), "ipw", y="y", treatment="d", covariates=[],
                  weights=None, cluster=None)
    assert R.y.dtype == np.float64


def test_prepare_errors(frame):
    with pytest.raises(ParameterError) as e:
        C.prepare([1], "ipw", y="y", treatment="d", covariates=[], weights=None, cluster=None)
    assert str(e.value) == ("The 'data' parameter of ipw must be a pandas DataFrame. Got list "
                            "instead.")
    for name in ("y", "treatment", "weights", "cluster"):
        kw = dict(y="y", treatment="d", weights=None, cluster=None)
        kw[name] = "nope"
        with pytest.raises(ParameterError) as e:
            C.prepare(frame, "ipw", covariates=[], **kw)
        assert str(e.value) == (f"The '{name}' parameter of ipw must name a column of data. "
                                "Got 'nope' instead.")
    with pytest.raises(ParameterError) as e:
        C.prepare(frame, "ipw", y="y", treatment="d", covariates=["x", "a", "b"], weights=None,
                  cluster=None)
    assert str(e.value) == ("The 'covariates' parameter of ipw must name columns of data. Got "
                            "['a', 'b'] instead (not in data).")


def test_prepare_treatment_must_be_binary_and_vary(frame):
    f = frame.assign(d=[0, 2, 1, 0, 3, 1, 0])
    with pytest.raises(SchemaError) as e:
        C.prepare(f, "ipw", y=None, treatment="d", covariates=[], weights=None, cluster=None,
                  table="survey")
    assert str(e.value) == ("survey: 1 problem found\n  - survey: column 'd' must be binary "
                            "(0/1): 2 rows (e.g. 1, 4). Fix: code the treatment as 0 "
                            "(comparison) / 1 (treated); for a multi-valued or continuous "
                            "treatment, dichotomise it first or use a dose-response method.")
    f = frame.assign(d=["a", "b", "a", "a", "b", "a", "a"])
    with pytest.raises(SchemaError, match="column 'd' must be binary \\(0/1\\): 7 rows"):
        C.prepare(f, "ipw", y=None, treatment="d", covariates=[], weights=None, cluster=None)
    f = frame.assign(d=1)
    with pytest.raises(IdentificationError) as e:
        C.prepare(f, "ipw", y=None, treatment="d", covariates=[], weights=None, cluster=None)
    assert str(e.value) == ("data: column 'd' is 1 for all 7 rows; both treated and comparison "
                            "units are needed. Fix: check the treatment definition or the "
                            "sample filter.")


def test_prepare_covariates_weights_and_outcome_checks(frame):
    f = frame.assign(x=[0.5, np.inf, 0.2, 0.1, 0.3, 0.7, 0.9])
    with pytest.raises(SchemaError) as e:
        C.prepare(f, "ipw", y=None, treatment="d", covariates=["x"], weights=None, cluster=None)
    assert str(e.value) == "data: covariates contain non-finite values (inf). Fix: recode them."
    f = frame.assign(w=[1.0, 0.0, 1.0, 1.0, 1.0, -2.0, np.inf])
    with pytest.raises(SchemaError) as e:
        C.prepare(f, "ipw", y=None, treatment="d", covariates=[], weights="w", cluster=None)
    assert str(e.value) == ("data: 1 problem found\n  - data: column 'w' has non-positive or "
                            "non-finite weights: 3 rows (e.g. 1, 5, 6). Fix: survey weights "
                            "must be > 0; drop or repair those rows.")
    f = frame.assign(y=list("abcdefg"))
    with pytest.raises(SchemaError) as e:
        C.prepare(f, "ipw", y="y", treatment="d", covariates=[], weights=None, cluster=None)
    assert str(e.value) == "data: column 'y' is not numeric. Fix: pass a numeric outcome."


def test_subset_full_weights_and_outcome_of(frame):
    P = C.prepare(frame, "ipw", y="y", treatment="d", covariates="x", weights="w",
                  cluster="v")
    assert C.subset(P, np.ones(4, dtype=bool), "trimmed") is P
    keep = np.array([True, True, False, True])
    Q = C.subset(P, keep, "trimmed (minmax)")
    assert Q.dropped == {**P.dropped, "trimmed (minmax)": 1}
    assert (Q.table, Q.n_input, Q.names) == ("data", 7, ["x"])
    assert P.dropped == {"missing y": 1, "missing d": 1, "missing x": 1}    # not changed
    np.testing.assert_array_equal(Q.rows, [0, 1, 6])
    np.testing.assert_array_equal(Q.y, [1.0, 2.0, 7.0])
    np.testing.assert_array_equal(Q.cluster, [0, 1, 2])
    np.testing.assert_array_equal(C.outcome_of(Q), Q.y)
    np.testing.assert_array_equal(C.full_weights(Q, np.array([0.5, 1.5, 2.5])),
                                  [0.5, 1.5, 0, 0, 0, 0, 2.5])
    with pytest.raises(IdentificationError) as e:
        C.subset(P, np.array([False, True, True, False]), "trimmed (crump)")
    assert str(e.value) == ("data: trimming (trimmed (crump)) leaves only treated units. Fix: "
                            "use a milder trimming rule.")
    with pytest.raises(IdentificationError, match="leaves only comparison units"):
        C.subset(P, np.array([True, False, False, True]), "t")


def test_estimand_result_table_and_provenance(frame):
    P = C.prepare(frame, "ipw", y="y", treatment="d", covariates="x", weights=None,
                  cluster=None)
    r = C.estimand_result(P, 0.25, 0.1, "ATT", "ipw", "IPW", 0.1, {"trim": None},
                          {"ps": [1]}, frame, columns={"ess": 3.5})
    t = r.tidy()
    row = t.iloc[0]
    assert (row["term"], row["estimate"], row["std_error"], row["n_obs"]) == ("ATT", 0.25, 0.1, 4)
    assert (row["n_treated"], row["n_control"], row["ess"]) == (2, 2, 3.5)
    assert len(t) == 1 and r.alpha == 0.1 and r.method == "ipw"
    assert r.summary().title == "IPW"
    prov = r.provenance
    assert (prov.method, prov.options, prov.n_input, prov.n_used) == ("ipw", {"trim": None}, 7, 4)
    assert prov.dropped == P.dropped and prov.inputs_hash
    np.testing.assert_array_equal(r.extras["rows"], P.rows)
    np.testing.assert_array_equal(r.extras["treatment"], P.d)
    assert r.extras["ps"] == [1]
    with pytest.raises(ParameterError, match="'estimand' parameter of ipw"):
        C.check_estimand("ATU", "ipw")


def test_split_event_study():
    b, S, K, P = C.split_event_study([1, 2, 3], np.eye(3), 2, "f")
    assert (K, P) == (2, 1) and b.dtype == float and S.shape == (3, 3)
    for num_pre, sig in ((0, np.eye(3)), (3, np.eye(3)), (1, np.eye(2))):
        with pytest.raises(ParameterError) as e:
            C.split_event_study([1, 2, 3], sig, num_pre, "honest_did")
        assert str(e.value) == ("The 'num_pre' parameter of honest_did must split betahat "
                                "(length 3) into >= 1 pre and >= 1 post coefficients, with sigma "
                                f"3 x 3. Got num_pre={num_pre!r}, sigma {sig.shape} instead.")
