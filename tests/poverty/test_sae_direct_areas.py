"""area_table's defaults reach direct_estimates (issue 18, seed-21 sample of sae/direct.py).

area_table documents the same defaults as direct_estimates (min_n 30 households, smooth "few",
g 0, size "hh_size"); a default changed in one signature only would give the area table other
variances than the direct estimates. The data: five villages of 40 households, one of exactly
30 (not few: unsmoothed) and one of 29 (few: smoothed), one poor household in 4 everywhere
(the example of tests/poverty/test_sae_direct_pinned.py::test_default_min_n_is_30_households).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from kassaki_eval.poverty.sae.direct import area_table, direct_estimates

SIZES = (("A", 40), ("B", 40), ("C", 40), ("D", 40), ("E", 40), ("F", 30), ("G", 29))


def _survey() -> pd.DataFrame:
    rows = []
    for v, n in SIZES:
        rows += [{"village_code": v, "kec_code": "K", "weight": 1.0,
                  "hh_size": 2 if i % 4 == 0 else 1,
                  "consumption_pc": 50.0 if i % 4 == 0 else 150.0} for i in range(n)]
    return pd.DataFrame(rows)


def test_area_table_defaults_are_direct_estimates_defaults():
    codes = [v for v, _ in SIZES]
    reg = pd.DataFrame({"village_code": codes, "hh_size": 1, "pmt_score": 1.0, "desil": 1,
                        "zone": "mainland"})
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        at = area_table(_survey(), reg, line=100.0,
                        villages=pd.DataFrame({"kemendagri_code": codes}))
        de = direct_estimates(_survey(), line=100.0)
    assert not any("cannot be fitted" in str(w.message) for w in rec)
    # min_n = 30: F (exactly 30) is fitted and unsmoothed, G (29) is smoothed
    assert at["smoothed"].tolist() == [False] * 6 + [True]
    # size = "hh_size": the poor households (i = 0, 4, 8, ...) have 2 persons: 40 households
    # 10 poor, 20 of 50 persons; 30: 8 poor, 16 of 38; 29: 8 poor, 16 of 37
    np.testing.assert_allclose(at["direct"], [0.4] * 5 + [16 / 38, 16 / 37], rtol=1e-14)
    for col in ("n", "direct", "var_direct", "var_gvf", "vardir", "n_eff", "deff"):
        np.testing.assert_allclose(at[col].to_numpy(float), de[col].to_numpy(float),
                                   rtol=1e-14, err_msg=col)
