"""Behaviour areas of inference/core.py left open by the fresh seed-21 sample (session 11):
sharpened q-values with tied p-values (and any input order)."""
from __future__ import annotations

import numpy as np

from kassaki_eval.inference.core import sharpened_qvalues


def _anderson_loop(p: list[float], step: float = 0.001) -> list[float]:
    """Anderson (2008) fdr_sharpened_qvalues.do, written as its plain loop over q = 1 ... step:
    stage 1 rejects the r1 smallest p with p_(k) <= k q' / m (q' = q / (1 + q)); stage 2 the
    r2 smallest with p_(k) <= k q'' / m, q'' = q' m / (m - r1) (all rejected when r1 = m); a
    hypothesis' q-value is the smallest q at which its rank is rejected."""
    m = len(p)
    srt = sorted(p)
    qv_sorted = [1.0] * m
    for i in range(int(round(1 / step)), 0, -1):
        q = round(i * step, 10)
        qa = q / (1 + q)
        r1 = max([k for k in range(1, m + 1) if srt[k - 1] <= qa * k / m], default=0)
        if r1 == m:
            r2 = m
        else:
            q2 = qa * m / (m - r1)
            r2 = max([k for k in range(1, m + 1) if srt[k - 1] <= q2 * k / m], default=0)
        for k in range(r2):
            qv_sorted[k] = q
    # tied p-values: the step-up rule rejects all of a tie or none of it, so they share a q
    by_p = {}
    for v, q in zip(srt, qv_sorted, strict=True):
        by_p.setdefault(v, set()).add(q)
    assert all(len(s) == 1 for s in by_p.values())
    return [round(next(iter(by_p[v])), 10) for v in p]


def test_tied_pvalues_share_a_qvalue_in_any_input_order():
    p = [0.2, 0.01, 0.04, 0.01, 0.2, 0.03, 0.01]
    expected = _anderson_loop(p)
    out = sharpened_qvalues(p)
    assert out.tolist() == expected
    # the same three tied 0.01 and two tied 0.2 get one q-value each
    assert out[1] == out[3] == out[6]
    assert out[0] == out[4]
    # permuting the input permutes the output
    perm = [6, 2, 0, 5, 3, 1, 4]
    np.testing.assert_array_equal(sharpened_qvalues([p[i] for i in perm]), out[perm])
