"""kassaki_eval.poverty._common pinned by behaviour area (issue 18, session 14).

The shared building blocks are called directly on tiny hand-made designs (milliseconds), so
each branch, parameter and message has an exact expected value: hand computations written in
the docstrings, or an independent numpy computation of the formula the module's docstring
states.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.poverty._common import (
    build_result,
    check_keywords,
    domain_sums,
    domain_terms,
    effective_weights,
    exponent_and_level,
    gini_influence,
    kernel_density,
    quantile_influence,
    ratio_of_totals,
    renamed_keywords,
    result_table,
    srs_variance,
    weighted_quantile,
    weighted_quantile_hf7,
)
from kassaki_eval.poverty.design import Domains


def _dom(codes, labels=("a", "b"), name="g") -> Domains:
    return Domains(np.asarray(codes, dtype=np.int64), tuple(labels), name)


# -- exponent_and_level: the old two-meaning ``alpha`` --------------------------------------------

def _eal(alpha, exponent=None, conf_alpha=None, meaning="exponent"):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = exponent_and_level("fgt", alpha, exponent, exponent_name="g", default=0,
                                 stacklevel=2, conf_alpha=conf_alpha, meaning=meaning)
    return out, [(w.category, str(w.message)) for w in rec]


def _alpha_warning(value: str, meaning: str = "exponent", name: str = "g") -> str:
    return (f"The 'alpha' parameter of fgt as the {meaning} is deprecated and will be removed "
            f"in the next release; use '{name}={value}' (alpha now means only the confidence "
            f"level).")


CONF_WARNING = ("The 'conf_alpha' parameter of fgt is deprecated and will be removed in the "
                "next release; use 'alpha' instead.")


def test_alpha_in_the_open_unit_interval_alone_is_the_level():
    """A number in (0, 1) is the confidence level (returned as a Python float), the exponent
    keeps its default (0) or the given value; nothing warns."""
    for a in (0.1, np.float64(0.1), np.float32(0.25)):
        (level, g), rec = _eal(a)
        assert (level, g, rec) == (float(a), 0, [])
        assert type(level) is float
    assert _eal(0.05, exponent=2) == ((0.05, 2), [])
    assert _eal(0.9, exponent=[0, 1]) == ((0.9, [0, 1]), [])


@pytest.mark.parametrize("alpha, shown", [(2, "2"), (1, "1"), (0, "0"), (0.0, "0.0"),
                                          (1.0, "1.0"), (-0.5, "-0.5"),
                                          (np.int64(3), "np.int64(3)"),
                                          ([0, 1, 2], "[0, 1, 2]"), ((0, 2), "(0, 2)"),
                                          ("0.1", "'0.1'")])
def test_alpha_that_cannot_be_a_level_is_the_old_exponent(alpha, shown):
    """Not a number in the OPEN interval (0, 1) -- 0 and 1 themselves, a negative number, an
    integer, a list or tuple, a string -- is the old exponent: level 0.05, exponent = alpha,
    one DeprecationWarning, word for word (repr of the value)."""
    (level, g), rec = _eal(alpha)
    assert level == 0.05 and g is alpha
    assert rec == [(DeprecationWarning, _alpha_warning(shown))]


def test_the_meaning_and_the_exponent_name_are_the_callers():
    """gen_entropy's wording: 'as the GE parameter', 'epsilon=2'."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = exponent_and_level("gen_entropy", 2, None, exponent_name="epsilon", default=2,
                                 stacklevel=2, meaning="GE parameter")
    assert out == (0.05, 2)
    assert [str(w.message) for w in rec] == [
        "The 'alpha' parameter of gen_entropy as the GE parameter is deprecated and will be "
        "removed in the next release; use 'epsilon=2' (alpha now means only the confidence "
        "level)."]
    # default returned when neither alpha nor the exponent gives one
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert exponent_and_level("x", 0.2, None, exponent_name="e", default=[0, 1],
                                  stacklevel=2) == (0.2, [0, 1])


def test_conf_alpha_with_alpha_other_than_005_reads_alpha_as_the_exponent():
    """The old call fgt(alpha=0.5, conf_alpha=0.1): 0.5 is in (0, 1) but, given together with
    conf_alpha, it is the old exponent; the level is conf_alpha. Two warnings, alpha's first."""
    (level, g), rec = _eal(0.5, conf_alpha=0.1)
    assert (level, g) == (0.1, 0.5)
    assert rec == [(DeprecationWarning, _alpha_warning("0.5")),
                   (DeprecationWarning, CONF_WARNING)]
    # alpha left at its default 0.05 with conf_alpha: alpha is not an exponent
    (level, g), rec = _eal(0.05, conf_alpha=0.2)
    assert (level, g) == (0.2, 0) and rec == [(DeprecationWarning, CONF_WARNING)]
    (level, g), rec = _eal(0.05, exponent=1, conf_alpha=0.2)
    assert (level, g) == (0.2, 1) and rec == [(DeprecationWarning, CONF_WARNING)]
    # a non-level alpha with conf_alpha: the exponent AND the conf_alpha level
    (level, g), rec = _eal(2, conf_alpha=0.01)
    assert (level, g) == (0.01, 2) and len(rec) == 2


@pytest.mark.parametrize("alpha, conf", [(2, None), ([0, 1], None), (0.5, 0.1)])
def test_old_exponent_together_with_the_new_one_is_refused(alpha, conf):
    """alpha read as the exponent while the exponent is also given: a ParameterError, word for
    word, and no warning before it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ParameterError) as e:
            exponent_and_level("fgt", alpha, 1, exponent_name="g", default=0, stacklevel=2,
                               conf_alpha=conf)
    assert str(e.value) == (f"The 'alpha' parameter of fgt must be the confidence level, a "
                            f"float in (0, 1). Got {alpha!r} instead (the exponent is 'g', "
                            f"already given as 1).")
    with pytest.raises(ParameterError, match=r"\(the GE parameter is 'epsilon', already given "
                                             r"as 0\.5\)\.$"):
        exponent_and_level("gen_entropy", 3, 0.5, exponent_name="epsilon", default=2,
                           stacklevel=2, meaning="GE parameter")


def _wrapper_frames() -> int:
    """Frames a caller of a _common function sees between itself and the function's body: 0,
    or the wrapper frames mutmut's trampoline adds (the same for every function of the module).
    Counted on effective_weights, which calls ``design.person_weights`` from its body."""
    me = sys._getframe()

    class Probe:
        def person_weights(self, size, owner):
            f, n = sys._getframe(2), 0          # 1: effective_weights' body
            while f is not me:
                f, n = f.f_back, n + 1
            return n

    return effective_weights(Probe(), None, "probe")


def test_stacklevel_is_the_callers():
    """Both warnings use the caller's stacklevel: with 2 (plus any wrapper frames) they are
    attributed to the line that calls exponent_and_level; a missing stacklevel names
    _common.py."""
    extra = _wrapper_frames()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        exponent_and_level("fgt", 2, None, exponent_name="g", default=0, stacklevel=2 + extra, conf_alpha=0.1)  # noqa: E501
    line = test_stacklevel_is_the_callers.__code__.co_firstlineno + 7
    assert [(w.filename, w.lineno) for w in rec] == [(__file__, line)] * 2


def _rk_inner():
    return renamed_keywords("profile", {"conf_alpha": 0.1}, {"conf_alpha": "alpha"})


def _rk_outer():
    return _rk_inner()  # renamed_keywords' stacklevel=3 names this line (the estimator's caller)


def test_renamed_keywords_warning_names_the_estimators_caller():
    """renamed_keywords is called by the public estimator, so stacklevel=3 is the line that
    called the estimator (_rk_outer's line here). Under mutmut's wrapper frames that line is
    out of reach: the warning must then stay off this file (stacklevel 4 would reach
    _rk_inner's call)."""
    extra = _wrapper_frames()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        assert _rk_outer() == {"alpha": 0.1}
    assert len(rec) == 1
    if extra == 0:
        assert (rec[0].filename, rec[0].lineno) == (__file__, _rk_outer.__code__.co_firstlineno
                                                    + 1)
    else:
        assert rec[0].filename != __file__


# -- renamed_keywords / check_keywords -----------------------------------------------------------

def test_renamed_keywords_maps_each_old_name_and_warns_once_per_keyword():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = renamed_keywords("profile", {"conf_alpha": 0.1, "alphas": [0, 2]},
                               {"conf_alpha": "alpha", "alphas": "g", "unused": "x"})
    assert out == {"alpha": 0.1, "g": [0, 2]}
    assert [(w.category, str(w.message)) for w in rec] == [
        (DeprecationWarning, "The 'conf_alpha' parameter of profile is deprecated and will be "
                             "removed in the next release; use 'alpha' instead."),
        (DeprecationWarning, "The 'alphas' parameter of profile is deprecated and will be "
                             "removed in the next release; use 'g' instead.")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert renamed_keywords("profile", {}, {"conf_alpha": "alpha"}) == {}
    with warnings.catch_warnings(), pytest.raises(TypeError) as e:
        warnings.simplefilter("ignore")
        renamed_keywords("profile", {"conf_alpha": 0.1, "gamma": 1}, {"conf_alpha": "alpha"})
    assert str(e.value) == "profile() got an unexpected keyword argument 'gamma'"


def test_check_keywords_passes_the_allowed_and_names_the_first_other():
    check_keywords("fgt", {"a": 1, "b": 2}, ("a", "b", "c"))
    check_keywords("fgt", {}, ())
    with pytest.raises(TypeError) as e:
        check_keywords("fgt", {"a": 1, "zz": 2, "yy": 3}, ["a"])
    assert str(e.value) == "fgt() got an unexpected keyword argument 'zz'"


# -- domain plumbing: terms, sums, SRS variance ----------------------------------------------------

def test_domain_terms_name_and_label():
    assert domain_terms("p0", Domains(np.zeros(3, dtype=np.int64), ("all",), None)) == ["p0"]
    assert domain_terms("p0", _dom([0, 1, -1])) == ["p0[g=a]", "p0[g=b]"]
    assert domain_terms("m", _dom([0], labels=(("a", 1),), name="g,h")) == ["m[g,h=('a', 1)]"]


def test_domain_sums_one_and_two_columns_skip_rows_outside():
    """codes 0, 1, 0, -1, 1; w 1, 2, 3, 4, 5; x 10, 20, 30, 40, 50: domain a = 10 + 90 = 100,
    domain b = 40 + 250 = 290 (the row outside, 4 x 40, is not counted)."""
    dom = _dom([0, 1, 0, -1, 1])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    x = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    got = domain_sums(dom, x, w)
    assert got.shape == (2, 1)
    np.testing.assert_array_equal(got[:, 0], [100.0, 290.0])
    got2 = domain_sums(dom, np.column_stack([x, np.ones(5)]), w)
    np.testing.assert_array_equal(got2, [[100.0, 4.0], [290.0, 7.0]])


def test_srs_variance_by_hand():
    """svyvar(u) / n within each domain = sum w (u - m)^2 / W * n / (n - 1) / n.
    Domain a: u 1, 2, 3, w 1, 1, 2: W 4, m 9/4, sum w (u - m)^2 = 25/16 + 1/16 + 18/16 = 11/4,
    / W = 11/16, / (n - 1) = 11/32. Domain b: u 4, 8, w 1, 3: m 7, 9 + 3 = 12, / 4 = 3, / 1 = 3.
    The row outside (u 100) is ignored; a second column 2u gives 4 times the variance."""
    dom = _dom([0, 0, 0, 1, 1, -1])
    u = np.array([1.0, 2.0, 3.0, 4.0, 8.0, 100.0])
    w = np.array([1.0, 1.0, 2.0, 1.0, 3.0, 7.0])
    got = srs_variance(dom, u, w)
    assert got.shape == (2, 1)
    np.testing.assert_allclose(got[:, 0], [11 / 32, 3.0], rtol=1e-15)
    np.testing.assert_allclose(srs_variance(dom, np.column_stack([u, 2 * u]), w),
                               [[11 / 32, 11 / 8], [3.0, 12.0]], rtol=1e-15)


def test_srs_variance_of_a_one_row_domain_is_not_a_number_and_silent():
    """n - 1 = 0: 0 / 0 gives nan (no numpy warning); the other domain (u 1, 3: sample
    variance 2, / n = 1) is unaffected."""
    dom = _dom([0, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = srs_variance(dom, np.array([1.0, 3.0, 5.0]), np.ones(3))
    assert got[0, 0] == 1.0 and np.isnan(got[1, 0])


# -- result_table: the result's columns and provenance ---------------------------------------------

def _two_by_design() -> tuple[SurveyDesign, Domains]:
    """Six households, two strata, every household its own PSU, by g and h; the sixth row is
    outside the subset, so its domain (b, 2) disappears: three domains (a, 1): rows 0, 1
    (stratum 1), (a, 2): row 4 (stratum 2), (b, 1): rows 2 (stratum 1) and 3 (stratum 2)."""
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "w": 1.0,
                         "st": [1, 1, 1, 2, 2, 2], "g": ["a", "a", "b", "b", "a", "b"],
                         "h": [1, 1, 1, 1, 2, 2]})
    d = SurveyDesign(data, weight="w", strata="st")
    dom = d.domains(["g", "h"], np.array([True] * 5 + [False]), owner="t")
    return d, dom


def test_result_table_columns_for_three_domains_and_two_measures():
    """estimate/variance are (D, k) = (3, 2), flattened row-major. std_error = sqrt(max(var,
    0)) (a negative variance from rounding gives 0, not nan); deff = var / srs_var; n_obs and
    df repeat each domain's value k times: n 2, 1, 2; R degf = PSUs with a domain row minus
    strata with one: 2 - 1 = 1, 1 - 1 = 0, 2 - 2 = 0. Tuple labels stay tuples (one per row)."""
    d, dom = _two_by_design()
    assert dom.labels == (("a", 1), ("a", 2), ("b", 1))
    est = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    var = np.array([[4.0, -1e-18], [9.0, 0.0], [16.0, 25.0]])
    srs = np.array([[2.0, 1.0], [3.0, 1.0], [4.0, 5.0]])
    terms = [f"t{i}" for i in range(6)]
    t, prov = result_table(d, dom, terms=terms, estimate=est, variance=var, srs_var=srs,
                           method="m", options={"opt": 1}, measure=list("pqpqpq"),
                           extra_cols={"line": (10, 20, 30, 40, 50, 60)})
    assert list(t.columns) == ["term", "estimate", "std_error", "n_obs", "df", "deff", "group",
                               "measure", "line"]
    assert t["term"].tolist() == terms
    assert t["estimate"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert t["std_error"].tolist() == [2.0, 0.0, 3.0, 0.0, 4.0, 5.0]
    assert t["n_obs"].tolist() == [2, 2, 1, 1, 2, 2]
    assert t["df"].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert t["deff"].tolist()[0] == 2.0 and t["deff"].tolist()[2:] == [3.0, 0.0, 4.0, 5.0]
    assert t["group"].tolist() == [("a", 1), ("a", 1), ("a", 2), ("a", 2), ("b", 1), ("b", 1)]
    assert t["measure"].tolist() == list("pqpqpq")
    assert t["line"].tolist() == [10, 20, 30, 40, 50, 60]
    assert prov.method == "m" and prov.n_input == 6 and prov.n_used == 5
    assert prov.inputs_hash == d.inputs_hash
    assert prov.dropped == {"outside the domain (kept in the design, z=0)": 1}
    assert prov.options == {**d.options(), "opt": 1, "by": "g,h",
                            "df": "PSUs minus strata with domain rows (R degf)",
                            "deff": "design variance / SRS-with-replacement variance "
                                    "(R deff='replace')"}


def test_result_table_defaults_normal_df_and_own_intervals():
    """measure defaults to the method on every row; no srs_var gives a float NaN deff; normal
    df is +inf; own = (p, low, high) become three columns; with every row used nothing is
    dropped."""
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0, 3.0], "w": 2.0}), weight="w")
    dom = d.domains()
    own = (np.array([0.5]), np.array([-1.0]), np.array([7.0]))
    t, prov = result_table(d, dom, terms=["x"], estimate=np.array([3.0]),
                           variance=np.array([1.0]), srs_var=None, method="meth", options={},
                           own=own, df_mode="normal")
    assert t["measure"].tolist() == ["meth"] and t["group"].tolist() == ["all"]
    assert t["deff"].dtype == np.float64 and t["deff"].isna().all()
    assert t["df"].tolist() == [np.inf]
    assert t[["p_value", "conf_low", "conf_high"]].to_numpy().tolist() == [[0.5, -1.0, 7.0]]
    assert prov.dropped == {} and prov.n_used == 3 and prov.options["by"] is None
    assert prov.options["df"] == "normal intervals (infinite df)"
    # design df of one stratum, 3 PSUs: 3 - 1 = 2
    t2, _ = result_table(d, dom, terms=["x"], estimate=np.array([3.0]),
                         variance=np.array([1.0]), srs_var=None, method="meth", options={})
    assert t2["df"].tolist() == [2.0] and "p_value" not in t2.columns


def test_build_result_passes_everything_to_the_table_and_the_result():
    """build_result (importable from poverty.design for one release) = result_table's table and
    provenance in an EstimateResult: extra columns, measure, own intervals (own_intervals:
    tidy shows them as given), alpha, extras, the df mode."""
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0, 3.0], "w": 2.0}), weight="w")
    own = (np.array([0.25]), np.array([-2.0]), np.array([9.0]))
    r = build_result(d, d.domains(), terms=["x"], estimate=np.array([3.0]),
                     variance=np.array([4.0]), srs_var=np.array([2.0]), method="meth",
                     options={"o": "v"}, alpha=0.1, measure=["mm"],
                     extra_cols={"line": [350.0]}, extras={"k": 7}, own=own,
                     df_mode="normal")
    t = r.tidy()
    assert r.alpha == 0.1 and r.method == "meth" and dict(r.extras) == {"k": 7}
    assert t[["estimate", "std_error", "p_value", "conf_low", "conf_high", "deff", "line"]
             ].to_numpy().tolist() == [[3.0, 2.0, 0.25, -2.0, 9.0, 2.0, 350.0]]
    assert t["measure"].tolist() == ["mm"] and t["df"].tolist() == [np.inf]
    assert r.provenance.options["o"] == "v"
    assert r.provenance.options["df"] == "normal intervals (infinite df)"
    # without own intervals: estimate +- t(df) se, df = 3 PSUs - 1 stratum = 2
    r2 = build_result(d, d.domains(), terms=["x"], estimate=np.array([3.0]),
                      variance=np.array([4.0]), srs_var=None, method="meth", options={})
    half = stats.t.ppf(0.975, 2) * 2.0
    assert r2.alpha == 0.05 and dict(r2.extras) == {}
    np.testing.assert_allclose(r2.tidy()[["conf_low", "conf_high"]].to_numpy(),
                               [[3.0 - half, 3.0 + half]], rtol=1e-12)


def test_result_table_refuses_another_df_mode():
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0], "w": 1.0}), weight="w")
    with pytest.raises(ParameterError) as e:
        result_table(d, d.domains(), terms=["x"], estimate=np.array([1.0]),
                     variance=np.array([1.0]), srs_var=None, method="m", options={},
                     df_mode="t")
    assert str(e.value) == ("The 'df' parameter of build_result must be one of {'design', "
                            "'normal'}. Got 't' instead.")


# -- quantiles -------------------------------------------------------------------------------------

def test_weighted_quantile_smallest_y_with_cdf_at_least_p():
    """Domain a: y 40, 10, 30, 20 (unsorted) with w 4, 1, 3, 2: sorted 10, 20, 30, 40, F = 0.1,
    0.3, 0.6, 1.0. p = 0.3 is exactly a knot (cumulative-sum rounding tolerated): 20; just
    above: 30; p = 0 and below the first knot: 10; p = 1 (and above, clipped): 40. Domain b:
    y 7, 5 with w 1, 1: F 0.5, 1.0: p 0.5 -> 5, 0.6 -> 7. The row outside (y 0) never counts."""
    dom = _dom([0, 0, 0, 0, 1, 1, -1])
    y = np.array([40.0, 10.0, 30.0, 20.0, 7.0, 5.0, 0.0])
    w = np.array([4.0, 1.0, 3.0, 2.0, 1.0, 1.0, 100.0])
    p = np.array([0.0, 0.05, 0.1, 0.3, 0.3 + 1e-9, 0.5, 0.6, 1.0, 1.5])
    got = weighted_quantile(dom, y, w, p)
    np.testing.assert_array_equal(got, [[10, 10, 10, 20, 30, 30, 30, 40, 40],
                                        [5, 5, 5, 5, 5, 5, 7, 7, 7]])
    # 0.1 + 0.2 != 0.3 in floating point: F's knot 0.3 is still hit (the 1e-12 tolerance)
    assert weighted_quantile(dom, y, w, 0.1 + 0.2)[:, 0].tolist() == [20.0, 5.0]
    assert weighted_quantile(dom, y, w, 0.5).shape == (2, 1)


def test_weighted_quantile_hf7_interpolates_between_cumulative_weight_positions():
    """Domain b: y 40, 10, 30, 20 with w 4, 1, 3, 2: W = 1, 3, 6, 10, positions p_k = W_{k-1} /
    W_{n-1} = 0, 1/6, 1/2, 1 for y 10, 20, 30, 40. p 0.25 -> 20 + (0.25 - 1/6) / (1/3) x 10 =
    22.5; p 0.75 -> 30 + 0.25 / 0.5 x 10 = 35; p 0 -> 10; p 1 -> 40. The one-row domain a
    (y 7), first, is its value at every p, and the domains after it are still computed; the
    row outside never counts."""
    dom = _dom([1, 1, 1, 1, 0, -1])
    y = np.array([40.0, 10.0, 30.0, 20.0, 7.0, 0.0])
    w = np.array([4.0, 1.0, 3.0, 2.0, 5.0, 100.0])
    got = weighted_quantile_hf7(dom, y, w, [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(got, [[7, 7, 7, 7, 7], [10, 22.5, 30, 35, 40]], rtol=1e-15)
    # equal weights: numpy's default (linear, R type 7) quantile
    y2 = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    d2 = _dom([0] * 5, labels=("all",), name=None)
    np.testing.assert_allclose(weighted_quantile_hf7(d2, y2, np.full(5, 2.5), [0.1, 0.33, 0.9]),
                               [np.quantile(y2, [0.1, 0.33, 0.9])], rtol=1e-15)


# -- kernel density, quantile influence, Gini ------------------------------------------------------

def _phi(u):
    return np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi)


def test_default_bandwidth_is_weighted_sd_over_n_to_the_fifth_with_unequal_weights():
    """y 1, 2, 4 with w 1, 1, 2: N 4, mean 11/4, E y^2 = 37/4, SD^2 = 37/4 - 121/16 = 27/16
    (divisor N), h = (sqrt 27 / 4) / 4^0.2. f(at) = sum w phi((at - y) / h) / (N h). A second
    domain (y 10, 20, w 1 1: SD 5, h = 5 / 2^0.2) has its own bandwidth; outside rows count
    in neither."""
    dom = _dom([0, 0, 0, 1, 1, -1])
    y = np.array([1.0, 2.0, 4.0, 10.0, 20.0, 3.0])
    w = np.array([1.0, 1.0, 2.0, 1.0, 1.0, 9.0])
    at = np.array([2.5, 12.0])
    ha, hb = np.sqrt(27) / 4 / 4 ** 0.2, 5 / 2 ** 0.2
    fa = (_phi((2.5 - 1) / ha) + _phi((2.5 - 2) / ha) + 2 * _phi((2.5 - 4) / ha)) / (4 * ha)
    fb = (_phi(2 / hb) + _phi(-8 / hb)) / (2 * hb)
    np.testing.assert_allclose(kernel_density(dom, y, w, at), [fa, fb], rtol=1e-13)


def test_quantile_influence_formula_and_a_given_quantile():
    """z_i = -(1(y_i <= q) - p) / (N f(q)) inside the domain, 0 outside. y 1, 2, 4 (w 1, 1, 2),
    p 0.5: q = smallest y with F >= 0.5 = 2 (F 0.25, 0.5, 1). With q given as 3 instead, the
    same formula at 3 (two rows at or below it)."""
    dom = _dom([0, 0, 0, -1], labels=("all",), name=None)
    y = np.array([1.0, 2.0, 4.0, 0.0])
    w = np.array([1.0, 1.0, 2.0, 5.0])
    q, z = quantile_influence(dom, y, w, 0.5)
    assert q.tolist() == [2.0]
    h = np.sqrt(27) / 4 / 4 ** 0.2
    for qq, zz in ((2.0, z), (3.0, quantile_influence(dom, y, w, 0.5, q=np.array([3.0]))[1])):
        f = (_phi((qq - 1) / h) + _phi((qq - 2) / h) + 2 * _phi((qq - 4) / h)) / (4 * h)
        ind = np.array([1.0, 1.0, 0.0])
        np.testing.assert_allclose(zz[:3], -(ind - 0.5) / (4 * f), rtol=1e-13)
        assert zz[3] == 0.0
    assert quantile_influence(dom, y, w, 0.5, q=np.array([3.0]))[0].tolist() == [3.0]


def _gini(y, w):
    """Eurostat's Gini, written out: sort by y, r the cumulative weight,
    G = (2 sum w r y - sum w^2 y) / (sum w y  sum w) - 1."""
    o = np.argsort(y, kind="stable")
    y, w = y[o], w[o]
    r = np.cumsum(w)
    return (2 * np.sum(w * r * y) - np.sum(w * w * y)) / (np.sum(w * y) * np.sum(w)) - 1


def test_gini_and_its_influence_are_the_estimate_and_its_weight_derivative():
    """Two domains with unequal weights and rows in no order: the Gini equals the formula of
    the docstring computed separately for each domain; the influence of each row is the
    derivative of its domain's Gini with respect to that row's weight (central difference,
    step 1e-6); rows outside have influence 0. Hand check, domain b: y 1, 3 (w 1, 1):
    (2 (1 + 6) - 4) / (4 x 2) - 1 = 1/4."""
    dom = _dom([0, 1, 0, 0, -1, 1, 0])
    y = np.array([5.0, 3.0, 1.0, 4.0, 50.0, 1.0, 2.5])
    w = np.array([2.0, 1.0, 1.5, 0.5, 3.0, 1.0, 3.0])
    g, z = gini_influence(dom, y, w)
    a, b = dom.codes == 0, dom.codes == 1
    np.testing.assert_allclose(g, [_gini(y[a], w[a]), 0.25], rtol=1e-14)
    eps = 1e-6
    for i in np.flatnonzero(dom.codes >= 0):
        m = dom.codes == dom.codes[i]
        up, dn = w.copy(), w.copy()
        up[i] += eps
        dn[i] -= eps
        fd = (_gini(y[m], up[m]) - _gini(y[m], dn[m])) / (2 * eps)
        assert z[i] == pytest.approx(fd, rel=1e-6, abs=1e-9), i
    assert z[4] == 0.0
    assert b.sum() == 2


def test_gini_ignores_the_order_of_tied_values_and_the_scale_of_the_weights():
    """y 1, 2, 2, 3 with w 1, 2, 3, 1 (the ties in either order) and with the weights x 7."""
    dom = _dom([0] * 4, labels=("all",), name=None)
    y = np.array([1.0, 2.0, 2.0, 3.0])
    w = np.array([1.0, 2.0, 3.0, 1.0])
    g1 = gini_influence(dom, y, w)[0]
    g2 = gini_influence(dom, y, w[[0, 2, 1, 3]])[0]
    g3 = gini_influence(dom, y, 7 * w)[0]
    np.testing.assert_allclose([g1, g2, g3], [[_gini(y, w)]] * 3, rtol=1e-14)


# -- ratio_of_totals: a smooth function of domain totals, linearised by its gradient -------------

def _strat_var(z, strata, psu):
    """With-replacement stratified variance of the PSU totals of z (R svyrecvar, stage 1):
    sum over strata of n_h / (n_h - 1) sum (t_hi - mean_h t)^2, written out."""
    v = 0.0
    for h in np.unique(strata):
        ids = np.unique(psu[strata == h])
        t = np.array([z[(strata == h) & (psu == i)].sum() for i in ids])
        v += len(t) / (len(t) - 1) * np.sum((t - t.mean()) ** 2)
    return v


_RT = pd.DataFrame({"y": [3.0, 5.0, 2.0, 8.0, 1.0, 4.0, 6.0, 7.0],
                    "w": [1.0, 2.0, 1.5, 1.0, 2.5, 1.0, 3.0, 0.5],
                    "st": [1, 1, 1, 1, 2, 2, 2, 2], "psu": [1, 1, 2, 2, 3, 4, 4, 5],
                    "g": ["a", "b", "a", "a", "b", "a", "b", "a"],
                    "hh": [1, 2, 3, 1, 2, 1, 1, 2]})


def test_ratio_of_totals_mean_by_domain_matches_the_linearisation_written_out():
    """Mean of y by g with household-size weights w x hh: estimate T_y / N per domain; its
    variance is the stratified with-replacement variance of the PSU totals of
    z = w hh (y - R) / N (zero outside the domain); deff = that / (svyvar(u) / n) with
    u = y - R; the gradient name missing from grad_fn counts as 0 (here: N held fixed gives
    z = w hh y / N)."""
    d = SurveyDesign(_RT, weight="w", strata="st", psu="psu")
    y, st, psu = _RT["y"].to_numpy(), _RT["st"].to_numpy(), _RT["psu"].to_numpy()
    w = _RT["w"].to_numpy() * _RT["hh"].to_numpy()
    r = ratio_of_totals(d, {"y": y}, lambda T: T["y"] / T["_N"],
                        lambda T: {"y": 1 / T["_N"], "_N": -T["y"] / T["_N"] ** 2},
                        by="g", size="hh", method="mean", term="y", options={"k": 1})
    t = r.tidy()
    assert t["term"].tolist() == ["y[g=a]", "y[g=b]"]
    assert r.provenance.options["size"] == "hh" and r.provenance.options["k"] == 1
    held = ratio_of_totals(d, {"y": y}, lambda T: T["y"] / T["_N"],
                           lambda T: {"y": 1 / T["_N"]}, by="g", size=np.asarray(_RT["hh"]),
                           method="mean", term="y", deff=False)
    assert held.provenance.options["size"] == "array"
    assert held.tidy()["deff"].isna().all()
    for j, lab in enumerate("ab"):
        m = (_RT["g"] == lab).to_numpy()
        N, R = w[m].sum(), (w[m] * y[m]).sum() / w[m].sum()
        assert t["estimate"][j] == pytest.approx(R, rel=1e-14)
        z = np.where(m, w * (y - R) / N, 0.0)
        var = _strat_var(z, st, psu)
        assert t["std_error"][j] == pytest.approx(np.sqrt(var), rel=1e-12)
        u, n = y[m] - R, m.sum()
        srs = np.sum(w[m] * (u - np.sum(w[m] * u) / N) ** 2) / N * n / (n - 1) / n
        assert t["deff"][j] == pytest.approx(var / srs, rel=1e-12)
        z_held = np.where(m, w * y / N, 0.0)
        assert held.tidy()["std_error"][j] == pytest.approx(np.sqrt(_strat_var(z_held, st, psu)),
                                                            rel=1e-12)


def test_ratio_of_totals_subset_and_errors_name_the_method():
    """Without a ready Domains, ratio_of_totals builds it from by and subset: the mean over
    the subset rows only (y 3, 2, 8 with w 1, 1.5, 1: (3 + 3 + 8) / 3.5 = 4), the other rows as
    outside the domain; a bad by or size names the method in its error."""
    d = SurveyDesign(_RT, weight="w", strata="st", psu="psu")
    y = _RT["y"].to_numpy()

    def mean(**kw):
        return ratio_of_totals(d, {"y": y}, lambda T: T["y"] / T["_N"],
                               lambda T: {"y": 1 / T["_N"], "_N": -T["y"] / T["_N"] ** 2},
                               method="mymean", term="y", **kw)

    r = mean(subset=np.array([True, False, True, True] + [False] * 4))
    assert r.estimates.tolist() == [pytest.approx(4.0, rel=1e-15)]
    assert r.provenance.n_used == 3 and r.provenance.dropped == {
        "outside the domain (kept in the design, z=0)": 5}
    with pytest.raises(ParameterError) as e:
        mean(by="nope")
    assert str(e.value) == ("The 'by' parameter of mymean must name columns of survey. Got "
                            "'nope' instead.")
    # the household-size errors name the method too (SurveyDesign.mean's size= goes this way)
    with pytest.raises(ParameterError) as e:
        mean(size="nope")
    assert str(e.value) == ("The 'size' parameter of mymean must name a column of survey. Got "
                            "'nope' instead.")
    with pytest.raises(ParameterError) as e:
        mean(size=np.ones(3))
    assert str(e.value) == ("The 'size' parameter of mymean must have one value per row (8). "
                            "Got shape (3,) instead.")
