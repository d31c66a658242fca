"""impact/_propensity.py: behaviour areas left open by the seed-21 sample (issue 18, session 13).

- ``check_overlap``'s upper end: a score of exactly ``1 - PS_EPS`` is not 1 (the module: "a
  propensity below this (or above 1 minus it) counts as 0 or 1"), the next float above it is,
  for the ATT (treated units) and the ATE;
- its error lists at most five example rows (word for word);
- Crump et al.'s rule at its boundary: ``max g = 2 mean g`` is "no trimming" (alpha 0; the
  docstring: "0 when no trimming is optimal (max 1/(e(1-e)) <= 2 E[1/(e(1-e))])").
"""
from __future__ import annotations

import numpy as np
import pytest

from kassaki_eval.exceptions import IdentificationError
from kassaki_eval.impact import _common as C, _propensity as PR

TOP = 1 - PR.PS_EPS                     # 0.999999 as a float
ABOVE = np.nextafter(TOP, 1.0)          # the next float: above 1 - PS_EPS


def _prepared(d):
    d = np.asarray(d, dtype=np.int8)
    n = d.size
    return C.Prepared(np.zeros(n), d, np.zeros((n, 0)), [], np.ones(n), None, np.arange(n),
                      n, {}, "survey")


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_exactly_one_minus_ps_eps_is_not_one(estimand):
    P = _prepared([1, 0, 1, 0])
    PR.check_overlap(np.array([TOP, 0.5, 0.5, TOP]), P, "ipw", estimand)   # quiet
    with pytest.raises(IdentificationError) as ex:
        PR.check_overlap(np.array([ABOVE, 0.5, 0.5, 0.5]), P, "ipw", estimand)
    # one treated unit above 1 - 1e-6: refused for both estimands; counts 0 (0) and 1 (1)
    assert str(ex.value).startswith("survey: no overlap: 1 rows have an estimated propensity "
                                    "score of 0 (0) or 1 (1) (e.g. rows 0); ")


def test_no_overlap_error_lists_at_most_five_rows():
    """Seven units at 0 (rows 0-6) under the ATE: 7 rows, 7 at 0, none at 1, rows 0-4 shown."""
    P = _prepared([1, 0, 1, 0, 1, 0, 1, 0])
    e = np.r_[np.full(7, 1e-9), 0.5]
    with pytest.raises(IdentificationError) as ex:
        PR.check_overlap(e, P, "aipw")
    assert str(ex.value) == (
        "survey: no overlap: 7 rows have an estimated propensity score of 0 (7) or 1 (0) (e.g. "
        "rows 0, 1, 2, 3, 4); for them no comparable unit exists in the other arm and aipw "
        "cannot identify the effect. Fix: trim the sample (trim='minmax' or 'crump'), drop the "
        "covariate that separates the arms perfectly, or restrict the estimand to the region of "
        "common support.")


def test_crump_alpha_is_zero_when_max_g_equals_twice_the_mean():
    """e = (1/16, 3/8, 3/8): g = 1/(e(1-e)) = (256/15, 64/15, 64/15), exact in binary floating
    point; mean g = 128/15, so max g = 2 mean g exactly: no trimming, alpha = 0 (solving the
    fixed point instead would give gamma = 256/15 and alpha = 1/2 - 7/16 = 1/16)."""
    e = np.array([1 / 16, 3 / 8, 3 / 8])
    g = 1.0 / (e * (1 - e))
    assert g.max() == 2 * g.mean()                  # the boundary is hit exactly
    assert PR.crump_alpha(e) == 0.0
    keep, label = PR.trim_mask(e, np.array([0, 1, 0]), "crump")
    assert label == "crump alpha=0.0000" and keep.tolist() == [True, True, True]
