"""Village direct estimates, GVF smoothing and the area table pinned by hand (issue 18,
mutation testing of kassaki_eval/poverty/sae/direct.py).

Worked example (equal weights 1, household size 1, line z = 100; a household is poor when its
consumption is below 100):

======= ===== === ===== =========================
village  kec   n  poor  p = poor / n
======= ===== === ===== =========================
V1       K1    4    1    1/4
V2       K1    5    2    2/5
V3       K1    6    3    1/2
V4       K1    4    2    1/2
V5       K2    5    1    1/5
V6       K2    6    2    1/3
V7       K2    2    1    1/2   (few households)
V8       K2    4    0    0     (nobody poor)
V9       K3    3    0    0     (nobody poor, the kecamatan's rate is 0)
======= ===== === ===== =========================

Within-village variance (the village is a stratum of with-replacement households): with equal
weights the PSU totals are ``(I_i - p) / n``, so ``v = n / (n - 1) * sum((I_i - p)^2) / n^2 =
p (1 - p) / (n - 1)``: V1 3/16 / 3 = 1/16, V2 6/25 / 4 = 3/50, V3 1/4 / 5 = 1/20, V4 1/12,
V5 4/25 / 4 = 1/25, V6 2/9 / 5 = 2/45, V7 1/4, V8 and V9 0.

Kecamatan rates: K1 8/19, K2 4/17, K3 0 -> replaced by the district's 12/39 = 4/13. The GVF's
shape is ``p_k (1 - p_k)``: K1 88/361, K2 52/289, K3 36/169. With ``min_n = 4`` the GVF is
fitted on V1-V6 (n >= 4 and 0 < p < 1): ``log v = a + b log n + c log shape`` by least
squares, the residual variance ``s^2 = RSS / (6 - 3)``, ``var_gvf = exp(fit + s^2 / 2)``
(the module docstring's formula, solved below by the normal equations).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DataWarning, ParameterError, Problem, SchemaError
from kassaki_eval.poverty.sae.direct import area_table, direct_estimates, registry_village_means

LAYOUT = [("V1", "K1", 4, 1), ("V2", "K1", 5, 2), ("V3", "K1", 6, 3), ("V4", "K1", 4, 2),
          ("V5", "K2", 5, 1), ("V6", "K2", 6, 2), ("V7", "K2", 2, 1), ("V8", "K2", 4, 0),
          ("V9", "K3", 3, 0)]
P = np.array([1 / 4, 2 / 5, 1 / 2, 1 / 2, 1 / 5, 1 / 3, 1 / 2, 0, 0])
V = np.array([1 / 16, 3 / 50, 1 / 20, 1 / 12, 1 / 25, 2 / 45, 1 / 4, 0, 0])
N = np.array([4, 5, 6, 4, 5, 6, 2, 4, 3], dtype=float)
SHAPE = np.array([88 / 361] * 4 + [52 / 289] * 4 + [36 / 169])


def _survey() -> pd.DataFrame:
    rows = []
    for v, k, n, poor in LAYOUT:
        for i in range(n):
            rows.append({"village_code": v, "kec_code": k, "weight": 1.0, "hh_size": 1,
                         "consumption_pc": 50.0 + 10 * i if i < poor else 150.0 + 10 * i})
    return pd.DataFrame(rows)


def _gvf(fit: np.ndarray, keep: np.ndarray | None = None, shape: np.ndarray = SHAPE
         ) -> np.ndarray:
    """The documented GVF by the normal equations (X'X) b = X'y on the rows ``fit`` (of the
    villages ``keep``)."""
    keep = np.ones(9, bool) if keep is None else keep
    Z = np.column_stack([np.ones(9), np.log(N), np.log(shape)])[keep]
    Zf, yf = Z[fit], np.log(V[keep][fit])
    b = np.linalg.solve(Zf.T @ Zf, Zf.T @ yf)
    res = yf - Zf @ b
    s2 = float(res @ res) / (fit.sum() - 3)
    return np.exp(Z @ b + s2 / 2)


def _direct(**kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return direct_estimates(_survey(), line=100.0, size=None, min_n=4, **kw)


def test_direct_rates_variances_and_the_gvf_by_hand():
    de = _direct()
    assert list(de.columns) == ["village_code", "kec_code", "n", "direct", "var_direct",
                                "var_gvf", "vardir", "smoothed", "n_eff", "deff"]
    assert de["village_code"].tolist() == [f"V{i}" for i in range(1, 10)]
    assert de["kec_code"].tolist() == ["K1"] * 4 + ["K2"] * 4 + ["K3"]
    assert de["n"].tolist() == N.tolist()
    np.testing.assert_allclose(de["direct"], P, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(de["var_direct"], V, rtol=1e-12, atol=1e-15)
    gvf = _gvf(np.arange(9) < 6)
    np.testing.assert_allclose(de["var_gvf"], gvf, rtol=1e-10)
    # smooth="few": V7 (n = 2 < 4) and V8, V9 (variance 0) take the GVF value
    use = np.array([False] * 6 + [True] * 3)
    assert de["smoothed"].tolist() == use.tolist()
    vardir = np.where(use, gvf, V)
    np.testing.assert_allclose(de["vardir"], vardir, rtol=1e-10)
    # n_eff = p (1 - p) / vardir with the village's own rate where it is used unsmoothed,
    # else the kecamatan's shape; deff = vardir / (that over n)
    pv = np.where(use, SHAPE, P * (1 - P))
    np.testing.assert_allclose(de["n_eff"], pv / vardir, rtol=1e-10)
    np.testing.assert_allclose(de["deff"], vardir / (pv / N), rtol=1e-10)
    # unsmoothed villages: n_eff = p (1 - p) / (p (1 - p) / (n - 1)) = n - 1, deff = n / (n - 1)
    np.testing.assert_allclose(de["n_eff"][:6], N[:6] - 1, rtol=1e-12)


def test_smooth_all_and_none():
    gvf = _gvf(np.arange(9) < 6)
    a = _direct(smooth="all")
    assert a["smoothed"].all()
    np.testing.assert_allclose(a["vardir"], gvf, rtol=1e-10)
    np.testing.assert_allclose(a["n_eff"], SHAPE / gvf, rtol=1e-10)
    n = _direct(smooth="none")
    assert not n["smoothed"].any()
    np.testing.assert_allclose(n["var_gvf"], gvf, rtol=1e-10)   # still reported
    np.testing.assert_allclose(n["vardir"], V, rtol=1e-12, atol=1e-15)
    # n_eff = p (1 - p) / vardir = n - 1 where 0 < p < 1; V8, V9 (p = 0) take the kecamatan
    # shape over a zero variance: infinite
    with np.errstate(divide="ignore"):
        want = np.r_[N[:7] - 1, SHAPE[7:] / 0.0]
    np.testing.assert_allclose(n["n_eff"], want, rtol=1e-12)


def test_min_n_decides_which_villages_fit_and_which_are_few():
    """min_n = 5: the fit uses V2, V3, V5, V6 only -- 4 < 5 villages: no GVF, a warning,
    nothing smoothed (zeros kept). min_n = 2 fits V1-V7 (n - 3 = 4 residual df)."""
    with pytest.warns(DataWarning) as rec:
        de = direct_estimates(_survey(), line=100.0, size=None, min_n=5)
    msgs = [(w.category, str(w.message)) for w in rec]
    assert (DataWarning, "direct_estimates: only 4 domains have >= 5 households and 0 < "
            "estimate < 1; the GVF cannot be fitted and variances are not smoothed.") in msgs
    assert de["var_gvf"].isna().all() and not de["smoothed"].any()
    np.testing.assert_allclose(de["vardir"], V, rtol=1e-12, atol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        two = direct_estimates(_survey(), line=100.0, size=None, min_n=2)
    np.testing.assert_allclose(two["var_gvf"], _gvf(np.arange(9) < 7), rtol=1e-10)
    assert two["smoothed"].tolist() == [False] * 7 + [True] * 2


def test_five_villages_are_enough_for_the_gvf():
    """Without V1 five villages fit: the GVF is fitted with s^2 = RSS / (5 - 3), no warning
    about it. K1's rate becomes 7/15 (shape 56/225 for V2-V4) and the district's 11/35 (V9's
    shape 264/1225)."""
    s = _survey()
    s = s[s["village_code"] != "V1"]
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        de = direct_estimates(s, line=100.0, size=None, min_n=4)
    assert not any("cannot be fitted" in str(w.message) for w in rec)
    shape = np.array([56 / 225] * 4 + [52 / 289] * 4 + [264 / 1225])
    want = _gvf(np.arange(8) < 5, np.arange(9) > 0, shape)
    np.testing.assert_allclose(de["var_gvf"], want, rtol=1e-10)


def test_no_gvf_warning_when_smoothing_is_off():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        direct_estimates(_survey(), line=100.0, size=None, min_n=5, smooth="none")
    assert not any("cannot be fitted" in str(w.message) for w in rec)


def _points_at_this_file(rec) -> None:
    """stacklevel=2: the warning is attributed to the caller (this file), never to
    direct.py. Under mutmut the caller is its trampoline (not direct.py either)."""
    for w in rec:
        assert not w.filename.endswith(os.path.join("sae", "direct.py")), w.filename
        if "MUTANT_UNDER_TEST" not in os.environ:
            assert w.filename == __file__


def test_extreme_villages_warning_names_them_and_what_happens():
    with pytest.warns(DataWarning) as rec:
        direct_estimates(_survey(), line=100.0, size=None, min_n=4)
    _points_at_this_file(rec)
    assert [str(w.message) for w in rec] == [
        "direct_estimates: 2 domains have every or no household below the line (e.g. V8, V9); "
        "their direct variance is 0; the GVF variance is used instead."]
    with pytest.warns(DataWarning) as rec:
        direct_estimates(_survey(), line=100.0, size=None, min_n=4, smooth="none")
    assert [str(w.message) for w in rec] == [
        "direct_estimates: 2 domains have every or no household below the line (e.g. V8, V9); "
        "their direct variance is 0; use smooth='few' or the arcsin transformation."]


def test_every_village_poor_is_extreme_too():
    """p = 1 (all four households of V8 poor): also an extreme village."""
    s = _survey()
    s.loc[s["village_code"] == "V8", "consumption_pc"] = 10.0
    with pytest.warns(DataWarning) as rec:
        de = direct_estimates(s, line=100.0, size=None, min_n=4)
    assert [str(w.message) for w in rec] == [
        "direct_estimates: 2 domains have every or no household below the line (e.g. V8, V9); "
        "their direct variance is 0; the GVF variance is used instead."]
    assert de.set_index("village_code").loc["V8", "direct"] == 1.0


def test_weights_household_size_and_the_gap():
    """One village of three households, person weights a = w x size = 1, 2, 3 (weights 1,
    sizes 1, 2, 3); only the first (size 1) is poor: p = 1/6. PSU totals a_i (I_i - p) / 6 =
    5/36, -2/36, -3/36; v = 3/2 (25 + 4 + 9) / 1296 = 19/432. The poverty gap (g = 1) with
    consumption 40 and line 100: 0.6 x 1/6 = 1/10. A second village makes the kecamatan
    table (its numbers are not checked here)."""
    s = pd.DataFrame({"village_code": ["A"] * 3 + ["B"] * 3, "kec_code": "K",
                      "weight": 1.0, "hh_size": [1, 2, 3, 1, 1, 1],
                      "consumption_pc": [40.0, 200.0, 300.0, 40.0, 50.0, 300.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        de = direct_estimates(s, line=100.0, smooth="none").set_index("village_code")
        gap = direct_estimates(s, line=100.0, g=1, smooth="none").set_index("village_code")
        unit = direct_estimates(s, line=100.0, size=None, smooth="none").set_index(
            "village_code")
    assert de.loc["A", "direct"] == pytest.approx(1 / 6, rel=1e-14)
    assert de.loc["A", "var_direct"] == pytest.approx(19 / 432, rel=1e-12)
    assert gap.loc["A", "direct"] == pytest.approx(1 / 10, rel=1e-14)
    assert unit.loc["A", "direct"] == pytest.approx(1 / 3, rel=1e-14)
    # the weight column is used: doubling the first household's weight gives p = 2/7
    s2 = s.assign(weight=[2.0, 1, 1, 1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        w2 = direct_estimates(s2, line=100.0, smooth="none").set_index("village_code")
    assert w2.loc["A", "direct"] == pytest.approx(2 / 7, rel=1e-14)


def test_other_column_names():
    s = _survey().rename(columns={"village_code": "desa", "kec_code": "kec", "weight": "wt",
                                  "consumption_pc": "cons"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        de = direct_estimates(s, line=100.0, domain="desa", welfare="cons", weight="wt",
                              group="kec", size=None, min_n=4)
    assert list(de.columns[:2]) == ["desa", "kec"]
    np.testing.assert_allclose(de["direct"], P, rtol=1e-14, atol=1e-15)


def test_bad_options_and_missing_columns():
    with pytest.raises(ParameterError, match=r"'smooth' parameter of direct_estimates"):
        direct_estimates(_survey(), line=100.0, smooth="some")
    cols = list(_survey().columns)
    for col, kw in (("kec_code", {}), ("hh_size", {}), ("x", {"weight": "x"}),
                    ("y", {"welfare": "y"}), ("d", {"domain": "d"})):
        s = _survey().drop(columns=[col]) if col in cols else _survey()
        with pytest.raises(ParameterError) as e:
            direct_estimates(s, line=100.0, **kw)
        left = [c for c in cols if c != col]
        assert str(e.value) == (f"The survey must have a '{col}' column for "
                                f"direct_estimates. Columns are {left[:12]}.")
    # size=None needs no household-size column
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        direct_estimates(_survey().drop(columns=["hh_size"]), line=100.0, size=None)


# -- registry_village_means ----------------------------------------------------------------

def _registry() -> pd.DataFrame:
    """V1: sizes 2, 3; PMT 10, 20; desil 1, 5; zones island, coastal -> 2 families, 5
    persons, mean PMT (2 x 10 + 3 x 20) / 5 = 16, desil 1-4 share 2/5, island 1.
    V2: one family of 4, PMT 7, desil 4 (the upper bound counts), mainland -> 1, 4, 7, 1, 0.
    V3: size 1, desil 0 (below 1: not counted) -> share 0."""
    return pd.DataFrame({"village_code": ["V2", "V1", "V3", "V1"], "hh_size": [4, 2, 1, 3],
                         "pmt_score": [7.0, 10.0, 3.0, 20.0], "desil": [4, 1, 0, 5],
                         "zone": ["mainland", "island", "mainland", "coastal"]})


def test_registry_village_means_by_hand():
    r = registry_village_means(_registry())
    assert list(r.columns) == ["village_code", "n_families", "n_persons", "mean_pmt_score",
                               "share_desil_1to4", "island"]
    assert r["village_code"].tolist() == ["V1", "V2", "V3"]       # sorted, not in row order
    assert r["n_families"].tolist() == [2, 1, 1]
    assert r["n_persons"].tolist() == [5.0, 4.0, 1.0] and r["n_persons"].dtype == np.float64
    np.testing.assert_allclose(r["mean_pmt_score"], [16.0, 7.0, 3.0], rtol=1e-15)
    np.testing.assert_allclose(r["share_desil_1to4"], [2 / 5, 1.0, 0.0], rtol=1e-15)
    assert r["island"].tolist() == [1.0, 0.0, 0.0]
    # other column names; text numbers are read as numbers
    g = _registry().rename(columns={"village_code": "desa", "hh_size": "art"})
    g["pmt_score"] = g["pmt_score"].astype(str)
    r2 = registry_village_means(g, domain="desa", size="art")
    np.testing.assert_allclose(r2["mean_pmt_score"], [16.0, 7.0, 3.0], rtol=1e-15)


def test_registry_missing_columns_is_one_schema_error():
    reg = _registry().drop(columns=["pmt_score", "zone"])
    with pytest.raises(SchemaError) as e:
        registry_village_means(reg)
    fix = "use the post-ingest registry table."
    assert e.value.problems == (
        Problem("registry", "pmt_score", "is missing (needed for village covariates)", 0, (),
                fix),
        Problem("registry", "zone", "is missing (needed for village covariates)", 0, (), fix))


# -- area_table ----------------------------------------------------------------------------

def _villages(codes) -> pd.DataFrame:
    return pd.DataFrame({"kemendagri_code": list(codes)})


def _full_registry() -> pd.DataFrame:
    """One family per village V1-V9 and V10 (not sampled), persons 1, 2, ..., 10."""
    codes = [f"V{i}" for i in range(1, 11)]
    return pd.DataFrame({"village_code": codes, "hh_size": range(1, 11), "pmt_score": 1.0,
                         "desil": 1, "zone": "mainland"})


def test_area_table_rows_columns_and_population_share():
    refv = _villages([f"V{i}" for i in range(1, 11)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        at = area_table(_survey(), _full_registry(), line=100.0, villages=refv, min_n=4,
                        size=None)
    de = _direct()
    assert at["village_code"].tolist() == [f"V{i}" for i in range(1, 11)]
    assert "kec_code" not in at.columns
    assert at["n"].tolist() == [4, 5, 6, 4, 5, 6, 2, 4, 3, 0]
    assert at["n"].dtype == np.int64
    np.testing.assert_allclose(at["direct"][:9], de["direct"], rtol=1e-14)
    np.testing.assert_allclose(at["vardir"][:9], de["vardir"], rtol=1e-12)
    assert np.isnan(at["direct"].iloc[9])
    np.testing.assert_allclose(at["pop_share"], np.arange(1, 11) / 55, rtol=1e-15)
    # the reference may name its code column like the survey (no kemendagri_code)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        at2 = area_table(_survey(), _full_registry(), line=100.0, min_n=4, size=None,
                         villages=refv.rename(columns={"kemendagri_code": "village_code"}))
    pd.testing.assert_frame_equal(at, at2)
    # g, smooth and min_n reach direct_estimates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        at3 = area_table(_survey(), _full_registry(), line=100.0, villages=refv, min_n=2,
                         size=None, g=1, smooth="all")
        de3 = direct_estimates(_survey(), line=100.0, size=None, min_n=2, g=1, smooth="all")
    np.testing.assert_allclose(at3["vardir"][:9], de3["vardir"], rtol=1e-12)
    np.testing.assert_allclose(at3["direct"][:9], de3["direct"], rtol=1e-14)


def test_area_table_reference_village_without_registry_warns():
    refv = _villages([f"V{i}" for i in range(1, 12)])     # V11: no registry family
    with pytest.warns(DataWarning) as rec:
        at = area_table(_survey(), _full_registry(), line=100.0, villages=refv, min_n=4,
                        size=None)
    msg = [w for w in rec if str(w.message).startswith("area_table")]
    assert [str(w.message) for w in msg] == [
        "area_table: 1 reference villages have no registry families (e.g. V11); they get no "
        "estimate."]
    _points_at_this_file(msg)
    assert "V11" not in at["village_code"].tolist()
    # at most five examples
    refv = _villages([f"V{i}" for i in range(1, 17)])
    with pytest.warns(DataWarning) as rec:
        area_table(_survey(), _full_registry(), line=100.0, villages=refv, min_n=4, size=None)
    assert ("area_table: 6 reference villages have no registry families (e.g. V11, V12, V13, "
            "V14, V15); they get no estimate.") in [str(w.message) for w in rec]


def test_area_table_passes_direct_estimates_warnings_to_its_caller():
    """min_n=4 leaves villages below 4 households (V7, V9: the GVF warning of direct_estimates).
    Through area_table it points at this file (it pointed at direct.py, where Python's default
    filters hide it), with the same message and class as direct_estimates gives alone."""
    refv = _villages([f"V{i}" for i in range(1, 11)])
    with pytest.warns(DataWarning) as alone:
        direct_estimates(_survey(), line=100.0, min_n=4, size=None)
    with pytest.warns(DataWarning) as rec:
        area_table(_survey(), _full_registry(), line=100.0, villages=refv, min_n=4, size=None)
    assert [str(w.message) for w in rec] == [str(w.message) for w in alone]
    assert len(rec) >= 1
    _points_at_this_file(rec)


def test_area_table_survey_villages_missing_from_registry_or_reference():
    refv = _villages([f"V{i}" for i in range(1, 11)])
    reg = _full_registry()
    with pytest.raises(SchemaError) as e:
        area_table(_survey(), reg[~reg["village_code"].isin(["V2", "V5"])], line=100.0,
                   villages=refv)
    assert e.value.problems == (Problem(
        "survey", "village_code", "has villages that are not in the registry (no covariates)",
        10, ("V2", "V5"), "check the village codes (Kemendagri 73.10.KK.NNNN in both tables) "
        "or add the villages' registry extract."),)
    with pytest.raises(SchemaError) as e:
        area_table(_survey(), reg, line=100.0, villages=refv[refv["kemendagri_code"] != "V3"])
    assert e.value.problems == (Problem(
        "survey", "village_code", "has villages that are not in the village reference", 6,
        ("V3",), "use Kemendagri codes of the district's villages."),)
    # at most five examples (six of the nine survey villages missing: 30 rows)
    with pytest.raises(SchemaError) as e:
        area_table(_survey(), reg, line=100.0, villages=_villages(["V7", "V8", "V9", "V10"]))
    assert e.value.problems[0].examples == ("V1", "V2", "V3", "V4", "V5")
    assert e.value.problems[0].count == 30


def test_gap_uses_the_kecamatan_gap_as_the_gvf_shape():
    """g = 1: the poor of each village consume 50, 60, 70 (gaps 0.5, 0.4, 0.3). Kecamatan
    gap rates: K1 (0.5 + 0.9 + 1.2 + 0.9) / 19 = 7/38, K2 (0.5 + 0.9 + 0.5) / 17 = 19/170, K3
    0 -> the district's 5.4 / 39 = 9/65. The smoothed villages (V7, V8, V9) have n_eff =
    shape / vardir with shape = rate (1 - rate)."""
    de = _direct(g=1)
    shape = np.array([7 / 38 * 31 / 38, 19 / 170 * 151 / 170, 9 / 65 * 56 / 65])
    sm = de.iloc[6:]
    assert sm["smoothed"].all()
    np.testing.assert_allclose(sm["n_eff"] * sm["vardir"], shape[[1, 1, 2]], rtol=1e-12)


def test_default_min_n_is_30_households():
    """Five villages of 40 households, one of exactly 30 (not few: fitted, unsmoothed), one
    of 29 (few: smoothed); every village has 1 poor household in 4."""
    rows = []
    for v, n in (("A", 40), ("B", 40), ("C", 40), ("D", 40), ("E", 40), ("F", 30), ("G", 29)):
        rows += [{"village_code": v, "kec_code": "K", "weight": 1.0, "hh_size": 1,
                  "consumption_pc": 50.0 if i % 4 == 0 else 150.0} for i in range(n)]
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        de = direct_estimates(pd.DataFrame(rows), line=100.0)
    assert not any("cannot be fitted" in str(w.message) for w in rec)
    assert de["smoothed"].tolist() == [False] * 6 + [True]


def test_district_rate_is_person_weighted():
    """size="hh_size" with every poor household of 2 persons (others 1): 24 poor persons of
    51, district rate 8/17; K3 (nobody poor) takes it: V9's shape 8/17 x 9/17 = 72/289."""
    s = _survey()
    s["hh_size"] = np.where(s["consumption_pc"] < 100, 2, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        de = direct_estimates(s, line=100.0, min_n=4)
    v9 = de.iloc[8]
    assert v9["smoothed"]
    assert v9["n_eff"] * v9["vardir"] == pytest.approx(72 / 289, rel=1e-12)


def test_kecamatan_where_everyone_is_poor_takes_the_district_rate():
    """V9's three households all poor: K3's rate is 1 (shape 0, log -inf), replaced by the
    district's 15/39 = 5/13: shape 40/169; the GVF stays finite."""
    s = _survey()
    s.loc[s["village_code"] == "V9", "consumption_pc"] = 20.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        de = direct_estimates(s, line=100.0, size=None, min_n=4)
    v9 = de.iloc[8]
    assert v9["direct"] == 1.0 and v9["smoothed"] and np.isfinite(v9["var_gvf"])
    assert v9["n_eff"] * v9["vardir"] == pytest.approx(40 / 169, rel=1e-12)


def test_registry_rows_without_score_or_size_are_refused():
    """A missing PMT score dropped the family from the top of the person-weighted mean but not
    from the bottom (a village of scores 10 and missing got 5.0, noticed by helper mutE, survivor
    `registry_village_means__mutmut_64`); now a SchemaError naming the column, the row count,
    the villages (not the families) and the fix."""
    from kassaki_eval.exceptions import SchemaError
    from kassaki_eval.poverty.sae.direct import registry_village_means
    reg = pd.DataFrame({"village_code": ["A", "A", "B", "B"], "hh_size": [2, 2, 3, 1],
                        "pmt_score": [10.0, None, 4.0, 6.0], "desil": [1, 2, 5, 3],
                        "zone": ["island", "island", "coastal", "coastal"]})
    fix = ("Fix: use the post-ingest registry table (its contract requires it), or repair or "
           "drop those families.")
    with pytest.raises(SchemaError) as e:
        registry_village_means(reg)
    assert str(e.value) == (
        "registry: 1 problem found\n  - registry: column 'pmt_score' is missing or not a "
        "number (needed for village covariates; examples are villages): 1 row (e.g. A). " + fix)
    bad = reg.assign(pmt_score=[10.0, "x", 4.0, 6.0], hh_size=[2, 2, 0, None])
    with pytest.raises(SchemaError) as e:
        registry_village_means(bad)
    assert str(e.value) == (
        "registry: 2 problems found\n  - registry: column 'hh_size' is missing, not a number or "
        "below 1 (needed for village covariates; examples are villages): 2 rows (e.g. B). "
        + fix + "\n  - registry: column 'pmt_score' is missing or not a number (needed for "
        "village covariates; examples are villages): 1 row (e.g. A). " + fix)
    # complete rows: A = (2*10 + 2*8) / 4 = 9, B = (3*4 + 1*6) / 4 = 4.5
    got = registry_village_means(reg.assign(pmt_score=[10.0, 8.0, 4.0, 6.0]))
    assert got["mean_pmt_score"].tolist() == [9.0, 4.5]
