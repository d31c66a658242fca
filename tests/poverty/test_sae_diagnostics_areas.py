"""Village quotas and village changes: behaviour areas of the seed-21 sample (issue 18).

* village_quota_table's largest-remainder rule: the quotas are integers adding up to
  ``total``, and a tie of remainders goes to the villages earlier in the result's order (a
  stable sort), also past 16 villages, where numpy's default sort is not stable;
* village_change refuses a wave with a village more than once (it failed inside zip()).

Hand-made results (assemble, as in tests/poverty/test_sae_diagnostics_pinned.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.poverty.sae import village_change, village_quota_table
from kassaki_eval.poverty.sae._common import assemble
from kassaki_eval.results import Provenance

A, B = "73.10.01.1001", "73.10.01.2002"


def _result(domains, estimate, mse=0.0001):
    n = len(domains)
    return assemble(domains=domains, measure="p0", estimate=np.asarray(estimate, float),
                    mse=np.full(n, mse), n_obs=np.ones(n, np.int64), method="FH", extra={},
                    conf_alpha=0.05, provenance=Provenance(method="fay_herriot"), own=None,
                    extras={}, title="t")


def test_quota_ties_go_to_the_earlier_villages_and_quotas_are_integers():
    """17 villages, every estimate 0.5; populations 2 or 1 (sum 26), total 13 slots:
    poor = population / 2, share = population / 26, raw = 13 x share = population / 2, so a
    village of 2 gets 1 and a village of 1 gets 0 with remainder 1/2 (9 x 1 = 9 slots, 4
    left). The 8 villages of 1 tie; the first 4 in the result's order (V02, V03, V10, V11)
    get the 4 slots."""
    pop = [2, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 2, 1, 1, 2, 1, 1]
    codes = [f"V{i:02d}" for i in range(1, 18)]
    q = village_quota_table(_result(codes, [0.5] * 17), pd.Series(pop, index=codes), 13)
    want = [1 if p == 2 else 0 for p in pop]
    for i in (1, 2, 9, 10):
        want[i] = 1
    assert q["quota"].tolist() == want
    assert q["quota"].dtype == np.int64
    assert int(q["quota"].sum()) == 13
    np.testing.assert_allclose(q["share"], np.array(pop) / 26, rtol=1e-15)


def test_village_change_refuses_a_wave_with_a_village_twice():
    one = _result([A, B], [0.2, 0.4])
    two = _result([A, A, B], [0.2, 0.3, 0.4])
    with pytest.raises(ParameterError) as e:
        village_change(two, one)
    assert str(e.value) == (
        "The 'before' parameter of village_change must have one row per village ('p0'). Got "
        "1 villages more than once, e.g. ['73.10.01.1001']. Fix: pass one small-area result "
        "per wave.")
    with pytest.raises(ParameterError, match=r"^The 'after' parameter of village_change must "
                                             r"have one row per village \('p0'\)\. Got 1 "):
        village_change(one, two)
    # one row per village: the change of each, by hand
    res = village_change(one, _result([B, A], [0.1, 0.5]))
    np.testing.assert_allclose(res.tidy()["estimate"], [0.5 - 0.2, 0.1 - 0.4], atol=1e-15)
