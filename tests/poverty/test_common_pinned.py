"""The shared building blocks of kassaki_eval.poverty._common pinned (issue 18, mutation testing).

Expected values are hand computations written out in each test (small tables, formulas in the
module's docstrings) or Python's own rules (how ``warnings.warn(stacklevel=)`` attributes a
warning; the ``TypeError`` text of an unexpected keyword).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.poverty import (
    SurveyDesign,
    change,
    datt_ravallion,
    fgt,
    incidence_curve,
    mean_consumption,
    profile,
    profile_table,
    shapley_growth_redistribution,
    sst,
    watts,
)
from kassaki_eval.poverty._common import fgt_scores
from kassaki_eval.poverty.inequality import (
    atkinson,
    gen_entropy,
    gini,
    kernel_density,
    mld,
    palma,
    quantile_shares,
    quantiles,
    theil,
)

# -- the deprecation warnings of the keywords renamed by issue 16 point at the user's call -------

_Y = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]


def _one() -> pd.DataFrame:
    return pd.DataFrame({"c": _Y, "w": 1.0, "g": ["a", "b"] * 3, "hh": 1})


def _two_years() -> pd.DataFrame:
    return pd.DataFrame({"year": [1] * 6 + [2] * 6, "c": _Y + [y * 1.1 for y in _Y], "w": 1.0,
                         "hh": 1, "psu": list(range(12))})


def _d() -> SurveyDesign:
    return SurveyDesign(_one(), weight="w")


DEC = {"line": 350.0, "years": (1, 2), "design": {"weight": "w"}, "size": "hh"}

# every public function whose old keywords go through exponent_and_level (``alpha`` as the
# exponent, ``conf_alpha``) or renamed_keywords (``conf_alpha``, ``alphas``), called the old way
OLD_CALLS = {
    "fgt(conf_alpha)": lambda: fgt(_d(), "c", line=350.0, conf_alpha=0.1),
    "fgt(alpha=exponent)": lambda: fgt(_d(), "c", line=350.0, alpha=1),
    "change(conf_alpha)": lambda: change(_two_years(), "c", line=350.0, years=(1, 2),
                                         design={"weight": "w", "psu": "psu"}, size="hh",
                                         conf_alpha=0.1),
    "change(alpha=exponent)": lambda: change(_two_years(), "c", line=350.0, years=(1, 2),
                                             design={"weight": "w", "psu": "psu"}, size="hh",
                                             alpha=2),
    "gen_entropy(conf_alpha)": lambda: gen_entropy(_d(), "c", epsilon=2, conf_alpha=0.1),
    "gen_entropy(alpha=epsilon)": lambda: gen_entropy(_d(), "c", alpha=2),
    "theil(conf_alpha)": lambda: theil(_d(), "c", conf_alpha=0.1),
    "mld(conf_alpha)": lambda: mld(_d(), "c", conf_alpha=0.1),
    "datt_ravallion(alpha, conf_alpha)": lambda: datt_ravallion(_two_years(), "c", alpha=1,
                                                                conf_alpha=0.1, **DEC),
    "shapley(alpha=exponent)": lambda: shapley_growth_redistribution(_two_years(), "c",
                                                                     alpha=2, **DEC),
    "watts(conf_alpha)": lambda: watts(_d(), "c", line=350.0, conf_alpha=0.1),
    "sst(conf_alpha)": lambda: sst(_d(), "c", line=350.0, conf_alpha=0.1),
    "mean_consumption(conf_alpha)": lambda: mean_consumption(_d(), "c", conf_alpha=0.1),
    "profile(alphas)": lambda: profile(_d(), "c", line=350.0, by="g", size="hh",
                                       alphas=[0, 1]),
    "profile_table(conf_alpha)": lambda: profile_table(_d(), "c", line=350.0, by="g",
                                                       size="hh", conf_alpha=0.1),
    "incidence_curve(conf_alpha)": lambda: incidence_curve(_d(), "c", lines=[350.0],
                                                           conf_alpha=0.1),
    "gini(conf_alpha)": lambda: gini(_d(), "c", conf_alpha=0.1),
    "atkinson(conf_alpha)": lambda: atkinson(_d(), "c", conf_alpha=0.1),
    "palma(conf_alpha)": lambda: palma(_d(), "c", conf_alpha=0.1),
    "quantile_shares(conf_alpha)": lambda: quantile_shares(_d(), "c", conf_alpha=0.1),
    "quantiles(conf_alpha)": lambda: quantiles(_d(), "c", conf_alpha=0.1),
    "SurveyDesign.mean(conf_alpha)": lambda: _d().mean("c", conf_alpha=0.1),
    "SurveyDesign.total(conf_alpha)": lambda: _d().total("c", conf_alpha=0.1),
}


@pytest.mark.parametrize("call", list(OLD_CALLS))
def test_deprecation_warnings_point_at_the_users_call(call):
    """Python shows a DeprecationWarning by default only when it is attributed to ``__main__``
    (the script that made the old call): with a stacklevel that stops inside the library it is
    hidden, and the user is never told. Every warning must be attributed to this file (the
    line in OLD_CALLS, not the test function one frame further up). Before the fix,
    datt_ravallion, shapley_growth_redistribution (via ``decomposition._paths``), theil and
    mld (via gen_entropy) pointed into the library."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        OLD_CALLS[call]()
    dep = [w for w in rec if issubclass(w.category, DeprecationWarning)]
    assert dep, "the old call no longer warns"
    if "MUTANT_UNDER_TEST" not in os.environ:   # mutmut's trampoline adds frames
        line = OLD_CALLS[call].__code__.co_firstlineno
        assert {(w.filename, w.lineno) for w in dep} == {(__file__, line)}, [
            (w.filename, w.lineno, str(w.message)) for w in dep]


def test_unknown_keyword_is_the_type_error_python_gives():
    """renamed_keywords and check_keywords raise Python's own TypeError text for a keyword the
    function does not take (what a function without ``**kwargs`` would raise)."""
    with pytest.raises(TypeError) as e:
        gini(_d(), "c", foo=1)
    assert str(e.value) == "gini() got an unexpected keyword argument 'foo'"
    with pytest.raises(TypeError) as e:
        fgt(_d(), "c", line=350.0, bar=2)
    assert str(e.value) == "fgt() got an unexpected keyword argument 'bar'"


# -- fgt_scores: 1(poor) ((z - y) / z)^g ------------------------------------------------------

def test_fgt_scores_by_hand():
    """z = 350: gaps (z - y) / z of 100, 200, 300 are 5/7, 3/7, 1/7; 350 and 400 are not poor
    (strict) and 350 is poor with the weak rule (gap 0)."""
    y = np.array([100.0, 200.0, 300.0, 350.0, 400.0])
    np.testing.assert_array_equal(fgt_scores(y, 350.0, 0), [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(fgt_scores(y, 350.0, 0, strict=False), [1, 1, 1, 1, 0])
    np.testing.assert_allclose(fgt_scores(y, 350.0, 1), [5 / 7, 3 / 7, 1 / 7, 0, 0],
                               rtol=1e-15)
    np.testing.assert_allclose(fgt_scores(y, 350.0, 2), [25 / 49, 9 / 49, 1 / 49, 0, 0],
                               rtol=1e-15)
    assert fgt_scores(y, 350.0, 0).dtype == np.float64


def test_change_in_severity_by_hand():
    """change(g=2) goes through fgt_scores. Year 1: 100...600, z = 350: squared gaps 25/49,
    9/49, 1/49 -> P2 = 35/49/6 = 5/42. Year 2 = year 1 x 1.1 (110, 220, 330, ...): squared
    gaps (24/35)^2, (13/35)^2, (2/35)^2 = 749/1225 -> P2 = 749/7350 = 107/1050; change =
    107/1050 - 125/1050 = -3/175."""
    r = change(_two_years(), "c", line=350.0, years=(1, 2), design={"weight": "w", "psu": "psu"},
               size="hh", g=2)
    est = r.estimates.to_numpy()
    np.testing.assert_allclose(est, [5 / 42, 107 / 1050, -3 / 175], rtol=1e-12)


# -- result_table / ratio_of_totals: the result's columns and provenance ------------------------

def test_design_mean_provenance_names_size_df_and_deff():
    """The provenance states the household-size column (or "array", or None), how the df and
    the deff were made (result_table's texts)."""
    df = _one().assign(hh=[1, 2, 1, 2, 1, 2])
    d = SurveyDesign(df, weight="w")
    opts = d.mean("c", size="hh").provenance.options
    assert opts["size"] == "hh"
    assert opts["df"] == "PSUs minus strata with domain rows (R degf)"
    assert opts["deff"] == "design variance / SRS-with-replacement variance (R deff='replace')"
    assert d.mean("c", size=np.ones(6)).provenance.options["size"] == "array"
    assert d.mean("c").provenance.options["size"] is None
    normal = d.mean("c", df="normal")
    assert normal.provenance.options["df"] == "normal intervals (infinite df)"
    assert normal.tidy()["df"].tolist() == [np.inf]


def test_without_an_srs_variance_the_deff_column_is_missing_values():
    """quantiles has no SRS variance (srs_var=None): its deff column is there, float and NaN."""
    t = quantiles(_d(), "c").tidy()
    assert t["deff"].dtype == np.float64 and t["deff"].isna().all()


def test_one_household_domain_gives_no_numpy_warning():
    """The SRS variance of a one-household domain divides by n - 1 = 0 (guarded: no deff).
    With y = 150 and weight 2.9 the weighted mean of its influence is not exactly its value
    (rounding), so the 0 / 0 becomes x / 0: numpy's divide warning must stay silent too."""
    df = pd.DataFrame({"c": [100.0, 200.0, 300.0, 400.0, 500.0, 150.0],
                       "w": [1.0, 1.0, 1.0, 1.0, 1.0, 2.9], "g": ["a"] * 5 + ["b"]})
    d = SurveyDesign(df, weight="w")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gini(d, "c", by="g")
        quantile_shares(d, "c", by="g")


# -- kernel_density with a given bandwidth ------------------------------------------------------

def test_kernel_density_uses_the_given_bandwidth():
    """y = 1, 2 (weights 1), at 1.5, h = 0.5: u = +-1, f = 2 phi(1) / (2 x 0.5) = 2 phi(1),
    phi(1) = exp(-1/2) / sqrt(2 pi). The default bandwidth (weighted SD 0.5 over N^(1/5) =
    0.5 / 2^0.2) gives another value, computed the same way."""
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0], "w": 1.0}), weight="w")
    dom = d.domains()
    y, w, at = np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.array([1.5])
    phi = lambda u: np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi)  # noqa: E731
    got = kernel_density(dom, y, w, at, h=np.array([0.5]))
    np.testing.assert_allclose(got, [2 * phi(1.0)], rtol=1e-15)
    h0 = 0.5 / 2 ** 0.2
    np.testing.assert_allclose(kernel_density(dom, y, w, at),
                               [2 * phi(0.5 / h0) / (2 * h0)], rtol=1e-14)
