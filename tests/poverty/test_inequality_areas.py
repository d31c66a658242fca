"""Behaviour areas of poverty/inequality.py left open by the fresh seed-21 sample (session 11):
person-level (size=) variances of the influence-function measures (gini, palma), and the
normal critical value of the Woodruff quantile interval in a domain with 0 design df."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.poverty.inequality import gini, palma, quantiles


def _hh() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 24
    return pd.DataFrame({"h": np.repeat(["a", "b"], 12), "psu": np.repeat(np.arange(6), 4),
                         "w": rng.uniform(1, 3, n).round(2), "hh": rng.integers(1, 7, n),
                         "y": rng.uniform(1, 20, n).round(2)})


@pytest.mark.parametrize("measure", [gini, palma])
def test_person_level_measures_equal_the_design_with_weights_times_size(measure):
    """size= means person weights w x size (R convey: svydesign(weights = ~ w * size)):
    estimate, SE and design effect equal those of the design whose weight column is w x hh,
    with the same strata and PSUs (the variance must use the person weights, not w)."""
    df = _hh()
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    dp = SurveyDesign(df.assign(wp=df["w"] * df["hh"]), weight="wp", strata="h", psu="psu")
    a = measure(d, "y", size="hh").tidy().iloc[0]
    b = measure(dp, "y").tidy().iloc[0]
    assert a["estimate"] == pytest.approx(b["estimate"], rel=1e-12)
    assert a["std_error"] == pytest.approx(b["std_error"], rel=1e-10)
    # and the person weights matter: the household-level SE is different
    c = measure(d, "y").tidy().iloc[0]
    assert abs(c["std_error"] - a["std_error"]) > 1e-6


def test_quantile_interval_uses_the_normal_value_when_the_domain_has_zero_df():
    """The domain (subset g=1) has rows in one PSU of each of two strata: degf = 2 PSUs - 2
    strata = 0, so the Woodruff interval uses z = qnorm(0.975) (R svyquantile: df = Inf when
    degf is not positive).

    By hand: domain y = 1, 2, 3, 6 in PSU A (stratum 1), 4, 5, 7, 8 in PSU C (stratum 2),
    weights 1, N = 8; q0.5 = 4 (F(4) = 4/8); influence (1(y <= 4) - 0.5)/8: PSU totals
    t_A = (3 - 1) * 0.0625 = 0.125, t_C = -0.125, t_B = t_D = 0; each stratum adds
    2/1 * 2 * 0.0625^2 = t^2, so var F = 2 * 0.125^2 = 0.03125.
    F -/+ z se = 0.5 -/+ 1.95996 * 0.17678 = 0.1535, 0.8465: the smallest y with CDF >= those
    (CDF steps of 1/8) are 2 (0.25) and 7 (0.875). SE = (7 - 2) / (2 z).
    """
    df = pd.DataFrame({
        "h": [1] * 8 + [2] * 8,
        "psu": ["A"] * 4 + ["B"] * 4 + ["C"] * 4 + ["D"] * 4,
        "g": [1] * 4 + [0] * 4 + [1] * 4 + [0] * 4,
        "y": [1.0, 2, 3, 6, 9, 9, 9, 9, 4, 5, 7, 8, 9, 9, 9, 9],
        "w": 1.0,
    })
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    r = quantiles(d, "y", probs=[0.5], subset=(df["g"] == 1).to_numpy()).tidy().iloc[0]
    z = stats.norm.ppf(0.975)
    se_f = np.sqrt(2 * 0.125 ** 2)
    assert (0.5 - z * se_f, 0.5 + z * se_f) == pytest.approx((0.15352, 0.84648), abs=1e-5)
    assert (r["estimate"], r["conf_low"], r["conf_high"]) == (4.0, 2.0, 7.0)
    assert r["std_error"] == pytest.approx(5 / (2 * z), rel=1e-12)


@pytest.mark.parametrize("f", ["theil", "mld", "gen_entropy"])
def test_theil_and_mld_errors_name_the_function_called(f):
    """Session 14 (mutY's note): theil and mld said "of gen_entropy", a function the user did
    not call. Template: kassaki_eval.exceptions.require, written out."""
    import pandas as pd

    from kassaki_eval.exceptions import ParameterError
    from kassaki_eval.poverty import inequality as ineq
    d = pd.DataFrame({"consumption_pc": [1.0, 2.0, 3.0], "w": 1.0})
    with pytest.raises(ParameterError) as e:
        getattr(ineq, f)(d, design={"weight": "w"}, size="nope")
    assert str(e.value) == (f"The 'size' parameter of {f} must name a column of survey. "
                            "Got 'nope' instead.")
