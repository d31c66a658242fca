"""The shared small-area helpers pinned (issue 18, mutation round on poverty/sae/_common.py).

``design_matrix``, ``village_labels``, ``reliability`` and ``assemble`` on small hand-made
inputs. Every expected number is written out here from the module's definitions:

* ``std_error = sqrt(max(mse, 0))``, ``cv = std_error / |estimate|`` (``inf`` for an estimate
  of 0); numbers are chosen exact in binary (1/64, 0.125, ...) so the reliability boundaries
  ``cv == 0.25`` and ``cv == 0.5`` are hit exactly;
* with its own intervals, ``p_value = 2 * (1 - Phi(|estimate / std_error|))``, computed here
  with ``math.erfc(z / sqrt(2))`` (the same quantity, not scipy);
* village names, kecamatan and zone from the district reference
  (``kassaki_eval/data`` villages table: 73.10.01.1001 Sapuka, 73.10.01.2002 Sabaru,
  73.10.01.2003 Balo Baloang, kecamatan Liukang Tangaya, 73.10.01, zone island).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.poverty.sae._common import (
    RSE_THRESHOLDS,
    assemble,
    design_matrix,
    reliability,
    village_labels,
)
from kassaki_eval.results import EstimateResult, Provenance

SAPUKA, SABARU, BALO = "73.10.01.1001", "73.10.01.2002", "73.10.01.2003"


# ---------------------------------------------------------------------------------------------
# design_matrix
# ---------------------------------------------------------------------------------------------

def test_design_matrix_intercept_first_then_the_covariates_as_float():
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["4", "x", "6.5"], "c": [7.0, 8.0, 9.0]})
    X = design_matrix(df, ["c", "b"], "f()", "the table")
    # intercept column of ones, then c, then b with the text "x" coerced to NaN
    expected = np.array([[1.0, 7.0, 4.0], [1.0, 8.0, np.nan], [1.0, 9.0, 6.5]])
    assert X.dtype == np.float64
    assert X.shape == (3, 3)
    np.testing.assert_array_equal(X, expected)


def test_design_matrix_without_intercept_and_without_covariates():
    df = pd.DataFrame({"a": [1, 2], "b": [3.5, 4.5]})
    X = design_matrix(df, ["b", "a"], "f()", "t", intercept=False)
    np.testing.assert_array_equal(X, np.array([[3.5, 1.0], [4.5, 2.0]]))
    assert X.dtype == np.float64
    # no covariates: the intercept alone ...
    X1 = design_matrix(df, [], "f()", "t")
    np.testing.assert_array_equal(X1, np.ones((2, 1)))
    # ... or an empty (n, 0) matrix
    X0 = design_matrix(df, [], "f()", "t", intercept=False)
    assert X0.shape == (2, 0)
    assert X0.dtype == np.float64
    # integer columns alone are float too
    Xa = design_matrix(df, ["a"], "f()", "t", intercept=False)
    assert Xa.dtype == np.float64
    np.testing.assert_array_equal(Xa, [[1.0], [2.0]])


def test_design_matrix_missing_covariate_message_word_for_word():
    df = pd.DataFrame({f"c{i}": [0.0] for i in range(16)})
    with pytest.raises(ParameterError) as ei:
        design_matrix(df, ["c1", "zz", "yy"], "fay_herriot()", "the area table")
    first15 = [f"c{i}" for i in range(15)]
    assert str(ei.value) == ("The 'covariates' parameter of fay_herriot() must name columns "
                             f"of the area table. Got ['zz', 'yy'] which are not there; "
                             f"columns are {first15}.")


# ---------------------------------------------------------------------------------------------
# village_labels
# ---------------------------------------------------------------------------------------------

def test_village_labels_in_the_order_given_unknown_codes_missing():
    lab = village_labels([BALO, "99.99", SAPUKA])
    assert list(lab.columns) == ["village_code", "name", "kecamatan", "kec_code", "zone"]
    assert list(lab["village_code"]) == [BALO, "99.99", SAPUKA]
    assert lab["name"].iloc[0] == "Balo Baloang" and lab["name"].iloc[2] == "Sapuka"
    assert list(lab["kecamatan"].iloc[[0, 2]]) == ["Liukang Tangaya"] * 2
    assert list(lab["kec_code"].iloc[[0, 2]]) == ["73.10.01"] * 2
    assert list(lab["zone"].iloc[[0, 2]]) == ["island"] * 2
    assert lab.iloc[1][["name", "kecamatan", "kec_code", "zone"]].isna().all()


# ---------------------------------------------------------------------------------------------
# reliability
# ---------------------------------------------------------------------------------------------

def test_reliability_classes_at_and_around_the_default_thresholds():
    assert RSE_THRESHOLDS == (0.25, 0.50)
    cv = [0.0, 0.25, np.nextafter(0.25, 1), 0.5, np.nextafter(0.5, 1), 3.0, np.inf, np.nan,
          -np.inf]
    got = reliability(np.array(cv))
    assert list(got) == ["reliable", "reliable", "caution", "caution", "unreliable",
                         "unreliable", "unreliable", "unreliable", "unreliable"]
    # a plain list is accepted (converted to float: None is a missing cv, unreliable)
    assert list(reliability([0.1, 0.3, None])) == ["reliable", "caution", "unreliable"]


def test_reliability_own_thresholds():
    got = reliability(np.array([0.1, 0.11, 0.2, 0.21]), (0.1, 0.2))
    assert list(got) == ["reliable", "caution", "caution", "unreliable"]


@pytest.mark.parametrize("bad", [(0.0, 0.5), (-0.1, 0.5), (0.5, 0.25), (0.3, 0.3)])
def test_reliability_thresholds_must_be_positive_and_increasing(bad):
    with pytest.raises(ParameterError) as ei:
        reliability(np.array([0.1]), bad)
    assert str(ei.value) == ("The 'rse_thresholds' parameter must be two increasing positive "
                             f"numbers (reliable, caution). Got {bad!r} instead.")


# ---------------------------------------------------------------------------------------------
# assemble
# ---------------------------------------------------------------------------------------------

def _assemble(**kw) -> EstimateResult:
    args = dict(
        domains=[SAPUKA, SABARU, "X9", BALO, SAPUKA],
        measure="p0",
        # se = 0.125, 0.125, 0.5, 0 (mse < 0), 0.25
        estimate=np.array([0.5, -0.25, 0.0, 1.0, 0.25]),
        mse=np.array([1 / 64, 1 / 64, 0.25, -0.01, 1 / 16]),
        n_obs=np.array([10.0, 20.0, 0.0, 5.0, 7.0]),
        method=["ebp", "ebp", "synthetic", "ebp", "ebp"],
        extra={"gamma": [0.1, 0.2, 0.0, 0.4, 0.5]},
        conf_alpha=0.1,
        provenance=Provenance(method="my_method", options={"k": 1}),
        own=None,
        extras={"A": 2.5},
        title="My title",
    )
    args.update(kw)
    return assemble(**args)


def test_assemble_table_by_hand():
    res = _assemble()
    assert isinstance(res, EstimateResult)
    assert res.method == "my_method"
    assert res.alpha == 0.1
    assert dict(res.extras) == {"A": 2.5}
    assert res.provenance.options == {"k": 1}
    assert res.summary().title == "My title"
    t = res.tidy()
    assert list(t.columns) == [
        "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
        "n_obs", "df", "village_code", "name", "kec_code", "kecamatan", "zone", "measure",
        "mse", "cv", "method", "reliability", "gamma"]
    assert list(t["term"]) == [f"p0[village_code={d}]" for d in
                               (SAPUKA, SABARU, "X9", BALO, SAPUKA)]
    np.testing.assert_array_equal(t["estimate"], [0.5, -0.25, 0.0, 1.0, 0.25])
    np.testing.assert_array_equal(t["std_error"], [0.125, 0.125, 0.5, 0.0, 0.25])
    np.testing.assert_array_equal(t["mse"], [1 / 64, 1 / 64, 0.25, -0.01, 1 / 16])
    # cv = se / |estimate|: 0.25, 0.5 (|-0.25|), inf (estimate 0), 0 (se 0), 1
    np.testing.assert_array_equal(t["cv"], [0.25, 0.5, np.inf, 0.0, 1.0])
    assert list(t["reliability"]) == ["reliable", "caution", "unreliable", "reliable",
                                      "unreliable"]
    assert t["n_obs"].dtype == np.int64
    assert list(t["n_obs"]) == [10, 20, 0, 5, 7]
    assert np.all(np.isinf(t["df"])) and np.all(t["df"] > 0)
    assert list(t["village_code"]) == [SAPUKA, SABARU, "X9", BALO, SAPUKA]
    assert list(t["measure"]) == ["p0"] * 5
    assert list(t["method"]) == ["ebp", "ebp", "synthetic", "ebp", "ebp"]
    assert list(t["gamma"]) == [0.1, 0.2, 0.0, 0.4, 0.5]
    # labels from the reference; "X9" is not a reference village
    assert [t["name"][i] for i in (0, 1, 3, 4)] == ["Sapuka", "Sabaru", "Balo Baloang",
                                                    "Sapuka"]
    assert [t["kecamatan"][i] for i in (0, 1, 3, 4)] == ["Liukang Tangaya"] * 4
    assert [t["kec_code"][i] for i in (0, 1, 3, 4)] == ["73.10.01"] * 4
    assert [t["zone"][i] for i in (0, 1, 3, 4)] == ["island"] * 4
    assert t.loc[2, ["name", "kecamatan", "kec_code", "zone"]].isna().all()
    # no own intervals: tidy's normal intervals at alpha 0.1 (df = inf: z = 1.6448536...)
    z = 1.6448536269514722
    np.testing.assert_allclose(t["conf_low"], np.array([0.5, -0.25, 0, 1, 0.25])
                               - z * np.array([0.125, 0.125, 0.5, 0, 0.25]), rtol=1e-12)


def test_assemble_own_intervals_and_p_values():
    lo = np.array([0.1, -0.6, -1.0, 1.0, 0.0])
    hi = np.array([0.9, 0.1, 1.0, 1.0, 0.7])
    res = _assemble(own=(lo, hi))
    t = res.tidy()
    np.testing.assert_array_equal(t["conf_low"], lo)
    np.testing.assert_array_equal(t["conf_high"], hi)
    # |est / se| = 4, 2, 0, inf, 1; p = erfc(z / sqrt 2)
    expected = [math.erfc(4 / math.sqrt(2)), math.erfc(2 / math.sqrt(2)), 1.0, 0.0,
                math.erfc(1 / math.sqrt(2))]
    np.testing.assert_allclose(t["p_value"], expected, rtol=1e-12, atol=0)
    # own intervals are fixed to the estimator's alpha
    with pytest.raises(ParameterError):
        res.tidy(0.05)


def test_assemble_measure_per_row_method_string_other_domain_no_labels():
    res = _assemble(domains=["a", "b", "c", "d", "e"],
                    measure=["p0", "p1", "p2", "p0", "p1"], method="fh",
                    domain_name="area", extra={})
    t = res.tidy()
    assert list(t["term"]) == ["p0[area=a]", "p1[area=b]", "p2[area=c]", "p0[area=d]",
                               "p1[area=e]"]
    assert list(t["measure"]) == ["p0", "p1", "p2", "p0", "p1"]
    assert list(t["method"]) == ["fh"] * 5
    assert list(t["area"]) == ["a", "b", "c", "d", "e"]
    # labels only for village codes
    assert not {"name", "kec_code", "kecamatan", "zone", "village_code"} & set(t.columns)


def test_assemble_labels_false_and_own_thresholds():
    res = _assemble(labels=False, rse_thresholds=(0.5, 1.0))
    t = res.tidy()
    assert not {"name", "kec_code", "kecamatan", "zone"} & set(t.columns)
    assert list(t["village_code"]) == [SAPUKA, SABARU, "X9", BALO, SAPUKA]
    # cv 0.25, 0.5, inf, 0, 1 against (0.5, 1.0)
    assert list(t["reliability"]) == ["reliable", "reliable", "unreliable", "reliable",
                                      "caution"]


def test_assemble_domain_lengths_must_match():
    # the measures and the domains are zipped strictly (a mismatch is a programming error)
    with pytest.raises(ValueError, match=r"^zip\(\) argument 2 is longer than argument 1$"):
        _assemble(measure=["p0", "p1"])
    with pytest.raises(ValueError, match=r"^zip\(\) argument 2 is shorter than argument 1$"):
        _assemble(measure=["p0"] * 6)


def test_assemble_zero_estimates_and_zero_mse_without_numpy_warnings():
    """An estimate of 0 (cv = se / 0) and an MSE of 0 with it (0 / 0, also in est / se) are
    expected (a village where nobody is poor): no RuntimeWarning, cv inf or NaN, unreliable."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = _assemble(domains=["a", "b", "c"], measure="p0", estimate=[0, 0, 1],
                        mse=[1, 0, 0], n_obs=[1, 1, 1], method="fh", extra={},
                        domain_name="area", own=([0.0] * 3, [1.0] * 3))
        t = res.tidy()
    np.testing.assert_array_equal(t["cv"], [np.inf, np.nan, 0.0])
    assert list(t["reliability"]) == ["unreliable", "unreliable", "reliable"]
    # est / se: 0, NaN (0 / 0), inf: p = 1, NaN, 0
    np.testing.assert_array_equal(t["p_value"], [1.0, np.nan, 0.0])
    # integer inputs become float columns
    assert res.estimates.dtype == np.float64
    assert t["mse"].dtype == np.float64


def test_assemble_method_series_is_taken_by_position():
    method = pd.Series(["ebp", "ebp", "synthetic", "ebp", "ebp"], index=[10, 11, 12, 13, 14])
    t = _assemble(method=method).tidy()
    assert list(t["method"]) == ["ebp", "ebp", "synthetic", "ebp", "ebp"]
