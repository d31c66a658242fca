"""Behaviour areas of poverty/design.py left open by the fresh seed-21 sample (session 11).

Each test pins one area (not one mutant): as_design with a dict of options, the examples shown
in the "fpc smaller than the sampled PSUs" error, non-numeric fpc2 text, the second-stage
variance of a PSU with one sampled row, column() with arrays that are not float, the
person_weights error for an array of sizes, and the per-domain caches (hit, and a stale entry
left by another array with the same id, as after garbage collection).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DesignError, ParameterError
from kassaki_eval.poverty.design import Domains, SurveyDesign, as_design


def _df() -> pd.DataFrame:
    """Two strata x two PSUs x two rows; fpc 10 PSUs per stratum, fpc2 20 rows per PSU."""
    return pd.DataFrame({
        "h": ["a"] * 4 + ["b"] * 4,
        "psu": [1, 1, 2, 2, 3, 3, 4, 4],
        "w": [1.0, 2.0, 1.0, 2.0, 3.0, 1.0, 1.0, 2.0],
        "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "g": [0, 1, 0, 1, 0, 1, 0, 1],
        "N": [10.0] * 8,
        "M": [20.0] * 8,
    })


def test_as_design_builds_the_design_from_a_dict_of_options():
    """A DataFrame plus a dict gives SurveyDesign(data, **dict): same options, same rows."""
    d = as_design(_df(), {"weight": "w", "strata": "h", "psu": "psu", "fpc": "N"})
    assert isinstance(d, SurveyDesign)
    assert d.spec() == {"weight": "w", "strata": "h", "psu": "psu", "fpc": "N",
                        "lonely_psu": "fail", "nest": False, "fpc2": None, "table": "survey",
                        "id_column": None}
    assert (d.n, d.n_strata, d.n_psu, d.degf) == (8, 2, 4, 2)
    # 1 - f_h = 1 - 2/10 in both strata (2 sampled PSUs of 10)
    np.testing.assert_allclose(d.one_minus_f, [0.8, 0.8])


def test_fpc_smaller_than_sampled_psus_shows_five_strata_and_an_ellipsis():
    """Six strata with 2 sampled PSUs and fpc 1.5: count 6, the first five labels then '…'
    (format_examples shows 5; the design passes only the first five labels)."""
    labs = list("abcdef")
    df = pd.DataFrame({"h": np.repeat(labs, 2), "psu": np.arange(12), "w": 1.0, "N": 1.5})
    with pytest.raises(DesignError) as e:
        SurveyDesign(df, weight="w", strata="h", psu="psu", fpc="N")
    assert str(e.value) == (
        "survey: column 'N' is smaller than the number of sampled PSUs: 6 rows "
        "(e.g. a, b, c, d, e). Fix: the fpc is the number of PSUs in the population stratum.")


def test_fpc2_text_that_is_not_a_number_is_a_bad_row_not_a_crash():
    """A non-numeric fpc2 entry ('n/a') is read as missing (errors='coerce') and reported as
    one bad row with the design's message, not a pandas ValueError."""
    df = _df()
    df["M"] = df["M"].astype(object)
    df.loc[5, "M"] = "n/a"
    with pytest.raises(DesignError) as e:
        SurveyDesign(df, weight="w", strata="h", psu="psu", fpc="N", fpc2="M")
    assert str(e.value) == (
        "survey: column 'M' must be > 0 and constant within a PSU: 1 row (e.g. row 5). Fix: "
        "give the number of households in each PSU's population (or the within-PSU sampling "
        "fraction).")


def test_two_stage_psu_with_one_sampled_row_adds_nothing_and_warns_nothing():
    """One stratum, PSU 1 with 1 row (M=4), PSU 2 with 2 rows (M=5), fpc N=10.

    By hand, totals t = (1, 3), squares (1, 5):
    stage 1: (1 - 2/10) * 2/1 * ((1-2)^2 + (3-2)^2) = 1.6 * 2 = 3.2;
    stage 2: f1 = 0.2; PSU 1 has m=1 -> factor 0 (no within-PSU variance, no division by
    m - 1 = 0 shown to the user); PSU 2: m/(m-1) = 2, 1 - f2 = 1 - 2/5 = 0.6,
    within = 5 - 3^2/2 = 0.5 -> 0.2 * 2 * 0.6 * 0.5 = 0.12. Total 3.32.
    """
    df = pd.DataFrame({"h": ["a"] * 3, "psu": [1, 2, 2], "w": 1.0, "N": 10.0,
                       "M": [4.0, 5.0, 5.0]})
    d = SurveyDesign(df, weight="w", strata="h", psu="psu", fpc="N", fpc2="M")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = d.variance(totals=np.array([[1.0], [3.0]]), squares=np.array([[1.0], [5.0]]))
    np.testing.assert_allclose(v, [3.32], rtol=1e-12)


def test_column_turns_arrays_of_ints_and_numeric_text_into_floats():
    """column() returns float64 for an int array, a bool array and numeric text."""
    d = SurveyDesign(_df(), weight="w", strata="h", psu="psu")
    v = d.column(np.arange(1, 9), "SurveyDesign.mean", "size")
    assert v.dtype == np.float64
    np.testing.assert_array_equal(v, np.arange(1.0, 9.0))
    b = d.column(np.array([True, False] * 4), "SurveyDesign.mean", "size")
    assert b.dtype == np.float64
    np.testing.assert_array_equal(b, [1.0, 0.0] * 4)
    t = d.column(np.array(["1.5", "2"] * 4), "SurveyDesign.mean", "size")
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t, [1.5, 2.0] * 4)
    # person weights from an int array: weights x size, as floats
    pw = d.person_weights(np.arange(1, 9), "fgt")
    assert pw.dtype == np.float64
    np.testing.assert_array_equal(pw, _df()["w"].to_numpy() * np.arange(1, 9))


def test_person_weights_array_of_sizes_with_a_zero_names_the_parameter_size():
    """An array (not a column name) of sizes: the error names 'size' and the rows."""
    d = SurveyDesign(_df(), weight="w", strata="h", psu="psu")
    sizes = np.array([1, 0, 2, 3, 0, 1, 1, 1])
    with pytest.raises(DesignError) as e:
        d.person_weights(sizes, "fgt")
    assert str(e.value) == ("survey: column 'size' must be > 0: 2 rows (e.g. row 1, row 4). "
                            "Fix: household size is at least 1.")


def test_per_domain_caches_hit_on_the_same_codes():
    """domain_degf, domain_counts, strata_present and _nested are cached per domain codes:
    a second call with the same Domains returns the same object (strata_present: the same
    values), and the values are right
    (by hand: g splits every PSU; 4 PSUs - 2 strata = 2 df per domain; 4 rows each;
    both strata present in both domains; the PSUs are not nested in g -> None)."""
    d = SurveyDesign(_df(), weight="w", strata="h", psu="psu")
    dom = d.domains("g")
    degf = d.domain_degf(dom)
    np.testing.assert_array_equal(degf, [2.0, 2.0])
    assert d.domain_degf(dom) is degf
    cnt = d.domain_counts(dom)
    np.testing.assert_array_equal(cnt, [4, 4])
    assert d.domain_counts(dom) is cnt
    pres = d.strata_present(dom)
    np.testing.assert_array_equal(pres, np.ones((2, 2), dtype=bool))
    # strata_present concatenates its columns (a new array), the per-domain block is cached
    assert d._cache[("present", id(dom.codes))][1] is not None
    np.testing.assert_array_equal(d.strata_present(dom), pres)
    assert d._nested(dom) is None
    # the strata as domains are nested: every PSU in one stratum
    hd = d.domains("h")
    nest = d._nested(hd)
    np.testing.assert_array_equal(nest, [0, 0, 1, 1])
    assert d._nested(hd) is nest


def test_per_domain_caches_ignore_a_stale_entry_of_another_array_with_the_same_id():
    """The caches are keyed by id(codes); after garbage collection another array can get the
    same id. A stale entry (stored for a different array) must be ignored and recomputed."""
    d = SurveyDesign(_df(), weight="w", strata="h", psu="psu")
    codes = np.array([0, 1, 0, 1, -1, -1, -1, -1], dtype=np.int64)   # only stratum a
    dom = Domains(codes, (0, 1), "g")
    other = codes.copy()
    d._cache[("present", id(codes))] = (other, np.ones((2, 2), dtype=bool))
    d._cache[("degf", id(codes))] = (other, np.array([99.0, 99.0]))
    d._cache[("count", id(codes))] = (other, np.array([99, 99]))
    d._cache[("nested", id(codes))] = (other, np.array([7, 7, 7, 7]))
    # by hand: domain rows only in stratum a (PSUs 1, 2): 2 PSUs - 1 stratum = 1 df each
    np.testing.assert_array_equal(d.strata_present(dom), [[True, True], [False, False]])
    np.testing.assert_array_equal(d.domain_degf(dom), [1.0, 1.0])
    np.testing.assert_array_equal(d.domain_counts(dom), [2, 2])
    assert d._nested(dom) is None            # rows outside every domain: not nested


# -- session 12 (helper mutS): areas left open by the fresh seed-22 sample -------------------

def test_lonely_psu_option_error_names_surveydesign_and_the_five_rules():
    """An unknown lonely_psu rule: check_option's template with owner 'SurveyDesign' and the
    five rules of LONELY_PSU_RULES in their order, word for word."""
    with pytest.raises(ParameterError) as e:
        SurveyDesign(_df(), weight="w", strata="h", psu="psu", lonely_psu="drop")
    assert str(e.value) == (
        "The 'lonely_psu' parameter of SurveyDesign must be one of {'fail', 'certainty', "
        "'remove', 'adjust', 'average'}. Got 'drop' instead.")


def test_psu_ids_in_two_strata_count_six_and_show_the_first_five_labels():
    """Six PSU labels (p1..p6), each in strata a and b: the error counts 6 and shows the first
    five labels in sorted order, with no '…' (the design passes exactly five examples)."""
    labs = [f"p{i}" for i in range(1, 7)]
    df = pd.DataFrame({"h": ["a"] * 6 + ["b"] * 6, "psu": labs + labs, "w": 1.0})
    with pytest.raises(DesignError) as e:
        SurveyDesign(df, weight="w", strata="h", psu="psu")
    assert str(e.value) == (
        "survey: column 'psu' has PSU ids that appear in more than one stratum: 6 rows "
        "(e.g. p1, p2, p3, p4, p5). Fix: use nest=True if PSU ids are only unique within a "
        "stratum, or fix the codes.")
    # nest=True accepts the same codes: 12 PSUs (6 per stratum), 12 - 2 = 10 df
    d = SurveyDesign(df, weight="w", strata="h", psu="psu", nest=True)
    assert (d.n_psu, d.degf) == (12, 10)


def test_column_by_name_with_missing_values_names_the_column_not_the_parameter():
    """column('hh', ..., 'size') with a NaN and an inf in 'hh': the Problem names the column
    'hh' (an array would be named by the parameter, 'size'); the same message reaches a user
    of mean(size='hh')."""
    df = _df()
    df["hh"] = [1.0, np.nan, 2.0, np.inf, 1.0, 1.0, 1.0, 1.0]
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    msg = ("survey: column 'hh' is missing or not finite: 2 rows (e.g. row 1, row 3). Fix: "
           "impute or drop those rows before building the design.")
    with pytest.raises(DesignError) as e:
        d.column("hh", "SurveyDesign.mean", "size")
    assert str(e.value) == msg
    with pytest.raises(DesignError) as e:
        d.mean("y", size="hh")
    assert str(e.value) == msg
    with pytest.raises(DesignError) as e:
        d.column(df["hh"].to_numpy(), "SurveyDesign.mean", "size")
    assert str(e.value) == msg.replace("'hh'", "'size'")


def test_values_in_with_missing_values_returns_read_only_zero_filled_values():
    """values_in on a column with missing rows outside the domain: the values with 0 in the
    missing rows, the domain unchanged, and a read-only array (as column() returns); with
    na_rm=True and a missing row inside the domain, that row leaves the domain (code -1)."""
    df = _df()
    df["y"] = [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0, np.nan]
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    dom = d.domains("h", subset=np.array([True, True, False, True, True, True, True, False]))
    v, dom2 = d.values_in("y", dom, "SurveyDesign.mean", "y")
    np.testing.assert_array_equal(v, [1.0, 2.0, 0.0, 4.0, 5.0, 6.0, 7.0, 0.0])
    assert dom2 is dom
    assert not v.flags.writeable
    full = d.domains("h")
    v2, dom3 = d.values_in("y", full, "SurveyDesign.mean", "y", na_rm=True)
    np.testing.assert_array_equal(v2, [1.0, 2.0, 0.0, 4.0, 5.0, 6.0, 7.0, 0.0])
    np.testing.assert_array_equal(dom3.codes, [0, 0, -1, 0, 1, 1, 1, -1])
    assert dom3.labels == ("a", "b")
    assert not v2.flags.writeable


def test_strata_present_reads_its_cache_for_the_same_codes():
    """A second strata_present call with the same Domains reads the cached block (the entry
    stored for that codes array) instead of recomputing it: a marked block planted under the
    same codes is returned."""
    d = SurveyDesign(_df(), weight="w", strata="h", psu="psu")
    dom = d.domains("g")
    np.testing.assert_array_equal(d.strata_present(dom), np.ones((2, 2), dtype=bool))
    marked = np.array([[True, False], [False, False]])
    d._cache[("present", id(dom.codes))] = (dom.codes, marked)
    np.testing.assert_array_equal(d.strata_present(dom), marked)
    np.testing.assert_array_equal(d.strata_present([dom, dom]), np.hstack([marked, marked]))
