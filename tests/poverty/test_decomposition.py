"""Datt-Ravallion and Shapley decompositions (kassaki_eval.poverty.decomposition).

Identities checked exactly (pure growth has no redistribution component; Shapley components
add up; the Datt-Ravallion residual closes the identity).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.poverty import SurveyDesign, datt_ravallion, shapley_growth_redistribution
from kassaki_eval.results import EstimateResult

Z = 420_000.0
W = {"weight": "weight"}


# the same synthetic population as tests/poverty/test_measures.py
def _population(seed: int = 5, n_kec: int = 4, n_psu: int = 10, m: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    h = np.repeat(np.arange(n_kec), n_psu * m)
    psu = np.repeat(np.arange(n_kec * n_psu), m)
    u = rng.normal(0, 0.15, n_kec * n_psu)[psu]
    c = np.exp(13.4 - 0.1 * (h == 0) + u + rng.normal(0, 0.42, len(h)))
    return pd.DataFrame({"kec": [f"k{x}" for x in h], "psu": [f"v{x:03d}" for x in psu],
                         "weight": rng.uniform(10, 30, len(h)),
                         "hh_size": rng.integers(1, 8, len(h)), "consumption_pc": c,
                         "head_sex": rng.choice(["M", "F"], len(h), p=[0.85, 0.15])})


def test_decompositions() -> None:
    p = _population(seed=3)
    a = p.assign(year=2023)
    grow = p.assign(year=2024, consumption_pc=p["consumption_pc"] * 1.08)
    data = pd.concat([a, grow], ignore_index=True)
    dr = datt_ravallion(data, line=Z, years=(2023, 2024), design=W).estimates
    sh = shapley_growth_redistribution(data, line=Z, years=(2023, 2024), design=W).estimates
    # pure growth: no redistribution, growth = total, in both decompositions
    assert dr["redistribution"] == pytest.approx(0.0, abs=1e-15)
    assert dr["growth"] == pytest.approx(dr["total"], abs=1e-15)
    assert sh["redistribution"] == pytest.approx(0.0, abs=1e-15)
    assert dr["total"] < 0
    # general case: Shapley components add up exactly; DR residual closes the identity
    rng = np.random.default_rng(0)
    b = p.assign(year=2024, consumption_pc=p["consumption_pc"] * rng.lognormal(0.03, 0.2, len(p)))
    data = pd.concat([a, b], ignore_index=True)
    sh = shapley_growth_redistribution(data, line=Z, years=(2023, 2024), design=W).estimates
    assert sh["growth"] + sh["redistribution"] == pytest.approx(sh["total"], abs=1e-15)
    dr = datt_ravallion(data, line=Z, years=(2023, 2024), design=W).estimates
    assert dr["growth"] + dr["redistribution"] + dr["residual"] == pytest.approx(dr["total"],
                                                                              abs=1e-15)




def test_decompositions_return_results_and_accept_every_design_form() -> None:
    p = _population(seed=4)
    data = pd.concat([p.assign(year=2023), p.assign(year=2024, consumption_pc=p["consumption_pc"]
                                                    * 1.05)], ignore_index=True)
    for fn, terms in ((datt_ravallion, ["growth", "redistribution", "residual", "total"]),
                      (shapley_growth_redistribution, ["growth", "redistribution", "total"])):
        r = fn(data, line=Z, years=(2023, 2024), design=W, g=1)
        assert isinstance(r, EstimateResult) and r.terms == terms
        assert np.isnan(r.std_errors).all()  # point decomposition: SE not estimated
        r2 = fn(SurveyDesign(data, weight="weight"), line=Z, years=(2023, 2024), g=1)
        np.testing.assert_array_equal(r.estimates, r2.estimates)
        with pytest.warns(DeprecationWarning):
            r3 = fn(data, line=Z, years=(2023, 2024), weight="weight", alpha=1)
        np.testing.assert_array_equal(r.estimates, r3.estimates)
        with pytest.raises(ParameterError, match="'design'"):
            fn(data, line=Z, years=(2023, 2024), design={"strata": "x"})
