import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval import EstimateResult, compare
from kassaki_eval.exceptions import ParameterError
from kassaki_eval.results import TIDY_COLUMNS


def _res(**kw):
    t = pd.DataFrame({"term": ["a", "b"], "estimate": [1.0, -2.0], "std_error": [0.5, 1.0],
                      "n_obs": [100, 100]})
    return EstimateResult(t, method="demo", **kw)


def test_tidy_fixed_columns_and_normal_intervals():
    td = _res().tidy()
    assert tuple(td.columns[:8]) == TIDY_COLUMNS
    z = stats.norm.ppf(0.975)  # 1.959964 (normal quantile)
    np.testing.assert_allclose(td["conf_low"], [1 - z * 0.5, -2 - z], rtol=1e-12)
    np.testing.assert_allclose(td["p_value"], 2 * stats.norm.sf([2.0, 2.0]), rtol=1e-12)


def test_t_intervals_with_df_column():
    t = pd.DataFrame({"term": ["a"], "estimate": [1.0], "std_error": [0.5], "n_obs": [13], "df": [12.0]})
    ci = EstimateResult(t, method="x").conf_int(0.10)
    c = stats.t.ppf(0.95, 12)
    assert ci.loc["a", "conf_high"] == pytest.approx(1 + c * 0.5, rel=1e-12)


def test_own_intervals_refuse_other_alpha():
    t = pd.DataFrame({"term": ["a"], "estimate": [1.0], "std_error": [0.5], "n_obs": [5],
                      "conf_low": [0.1], "conf_high": [2.5], "p_value": [0.03]})
    r = EstimateResult(t, method="boot", own_intervals=True)
    assert r.conf_int().loc["a", "conf_low"] == 0.1
    with pytest.raises(ParameterError, match="alpha"):
        r.conf_int(0.1)


def test_bad_alpha_message():
    with pytest.raises(ParameterError, match=r"The 'alpha' parameter of .* must be a float in \(0, 1\)\. Got 1.5 instead"):
        _res().conf_int(1.5)


def test_immutable_and_compare():
    r = _res()
    td = r.tidy()
    td.loc[0, "estimate"] = 99
    assert r["a"] == 1.0
    tab = compare({"m1": r, "m2": _res()})
    assert tab.loc[("a", "estimate"), "m1"] == "1.0000**"
    assert tab.loc[("N", ""), "m2"] == "100"
