"""Behaviour areas of targeting/metrics.py left open by the fresh seed-21 sample (session 12).

Every column-or-array input of ``targeting_accuracy`` (welfare, selected, benefit, size, score,
a non-default ``by``) is read by ``_common.col`` with the parameter's own name, which the user
reads in both errors: a column name absent from the table (SchemaError: the column, the row
count and the fix naming the parameter) and an array of the wrong length (ParameterError).
Expected texts: the templates of kassaki_eval/targeting/_common.py ``col``, written out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError, SchemaError
from kassaki_eval.targeting import targeting_accuracy

KW = dict(poverty_line=10, design={"weight": None}, by=())


def _df() -> pd.DataFrame:
    return pd.DataFrame({"consumption_pc": [6.0, 8.0, 11.0, 15.0], "selected": [1, 0, 1, 0]})


PARAMS = ["welfare", "selected", "benefit", "size", "score", "by"]


def _call(param: str, value):
    kw = dict(KW)
    kw[param] = (value,) if param == "by" else value
    return targeting_accuracy(_df(), **kw)


@pytest.mark.parametrize("param", PARAMS)
def test_a_missing_column_names_the_column_and_the_parameter(param):
    with pytest.raises(SchemaError) as e:
        _call(param, "nope")
    assert str(e.value) == (
        "survey: 1 problem found\n"
        f"  - survey: column 'nope' is missing: 4 rows. Fix: pass the column holding the "
        f"{param}, or its name with {param}=")


@pytest.mark.parametrize("param", [p for p in PARAMS if p != "by"])
def test_an_array_of_the_wrong_length_names_the_parameter(param):
    with pytest.raises(ParameterError) as e:
        _call(param, np.ones(3))
    assert str(e.value) == (
        f"The '{param}' parameter must be a column name or an array of length 4. Got (3,) "
        "instead.")


def test_cgh_and_characteristic_standard_errors_with_negative_benefit_amounts():
    """A benefit column with negative amounts (e.g. net transfers) in the bottom 40 %: the
    ratio of ratios val = bs / ps keeps its linearised SE (it was 0 before the session-12 fix).

    Census of 10 households (weight 1, each its own PSU, one stratum): bottom = the 4 poorest
    (quantile_flag: midpoint (i + 0.5) / 10 < 0.4). By hand, bs = sum(b bot) / sum(b),
    ps = sum(x) / n (x = bot for cgh, beta = y^-2 for the characteristic), influence
    z = ((b x_b - bs b) / sum(b) - val (x - ps) / n) / ps with x_b = bot or beta, and
    V = n / (n - 1) sum (z - mean z)^2 (R svyrecvar, one stratum, with replacement).
    """
    y = np.arange(1.0, 11.0)
    b = np.array([-1.0, 2.0, 0.0, -0.5, 3.0, 0.0, 1.0, 0.0, 2.0, 0.0])
    df = pd.DataFrame({"consumption_pc": y, "selected": (b != 0).astype(int), "benefit": b})
    t = targeting_accuracy(df, poverty_line=5, benefit="benefit", design={"weight": None},
                           by=(), deciles=False).tidy().set_index("term")
    n = 10
    bot = (np.arange(n) < 4).astype(float)
    for term, x in (("cgh", bot), ("distributional_characteristic", y ** -2.0)):
        bs = np.sum(b * x) / np.sum(b)
        ps = np.sum(x) / n
        val = bs / ps
        z = ((b * x - bs * b) / np.sum(b) - val * (x - ps) / n) / ps
        se = np.sqrt(n / (n - 1) * np.sum((z - z.mean()) ** 2))
        assert t.loc[term, "estimate"] == pytest.approx(val, rel=1e-12)
        assert t.loc[term, "std_error"] == pytest.approx(se, rel=1e-10)
        assert se > 0.1
