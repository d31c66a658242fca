"""impact/cost.py: behaviour areas left open by the seed-21 sample (issue 18, session 13).

- loan costs keep their fractions of a rupiah when the recorded amounts are integers (the
  usual dtype of ``amount_rp``): costs are floats, never truncated;
- ``separability_table``: any positive ``first_year`` is a start (0 = never), the smallest one
  (1) included, in the programme's start year as in the component's.

Expected values: the module docstring's rules (a loan costs ``principal x (subsidy x term x
balance share + default rate)``: credit up to Rp10 m 0.15 x 2 x 0.5 + 0.03 = 0.18, csr_sme
0.10 x 3 x 0.5 + 0.15 = 0.30; grants cost their amount), worked out in the comments.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kassaki_eval.impact.cost import record_costs, separability_table


def test_integer_amounts_give_float_costs_with_their_fractions():
    part = pd.DataFrame({"component": ["credit", "csr_sme", "training", "credit"],
                         "amount_rp": np.array([1_000_001, 1_000_001, 5, 20_000_001],
                                               dtype=np.int64)})
    c = record_costs(part)
    assert c.dtype == np.float64 and c.name == "cost_rp"
    # 1,000,001 x 0.18 = 180,000.18; x 0.30 = 300,000.3; a grant of 5 costs 5;
    # 20,000,001 (above Rp10 m: 0.10 x 2 x 0.5 + 0.03 = 0.13) x 0.13 = 2,600,000.13
    np.testing.assert_allclose(c.to_numpy(), [180_000.18, 300_000.3, 5.0, 2_600_000.13],
                               rtol=1e-15)
    assert c.to_numpy()[0] != 180_000.0          # not truncated to whole rupiah


def test_separability_counts_first_year_one_as_a_start():
    """Village a: credit year 1, training year 2; village b: credit year 2. The programme
    starts in year 1 in a and year 2 in b, which is exactly credit's first year in both:
    credit is the whole programme (not separable); training (a, year 2) comes a year after
    credit, alone that year: separable."""
    ro = pd.DataFrame({"village_code": ["a", "a", "b"],
                       "component": ["credit", "training", "credit"],
                       "first_year": [1, 2, 2]})
    s = separability_table(ro).set_index("component")
    assert s.to_dict("index") == {
        "credit": {"n_villages": 2, "same_as_programme": True, "n_villages_alone": 2,
                   "separable": False, "reason": "whole_programme"},
        "training": {"n_villages": 1, "same_as_programme": False, "n_villages_alone": 1,
                     "separable": True, "reason": "separable"}}
