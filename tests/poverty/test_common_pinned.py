"""The shared building blocks of kassaki_eval.poverty._common pinned (issue 18, mutation testing).

Expected values are hand computations written out in each test (small tables, formulas in the
module's docstrings) or Python's own rules (how ``warnings.warn(stacklevel=)`` attributes a
warning; the ``TypeError`` text of an unexpected keyword).
"""
from __future__ import annotations

import os
import warnings

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
from kassaki_eval.poverty.inequality import (
    atkinson,
    gen_entropy,
    gini,
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
    line in OLD_CALLS). Before the fix, datt_ravallion, shapley_growth_redistribution (via
    ``decomposition._paths``), theil and mld (via gen_entropy) pointed into the library."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        OLD_CALLS[call]()
    dep = [w for w in rec if issubclass(w.category, DeprecationWarning)]
    assert dep, "the old call no longer warns"
    if "MUTANT_UNDER_TEST" not in os.environ:   # mutmut's trampoline adds frames
        assert {w.filename for w in dep} == {__file__}, [(w.filename, str(w.message))
                                                          for w in dep]
