"""impact/_common.py: behaviour areas left open by the seed-21 sample (issue 18, session 13).

- ``subset``'s one-arm error also when the trimming keeps a single row (which arm is left is
  read off that row), word for word.

Data: test_impact_common_pinned.py's ``frame`` written out (prepared rows 0, 1, 5, 6 with
treatment 0, 1, 1, 0).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import IdentificationError
from kassaki_eval.impact import _common as C


def _prepared():
    frame = pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0],
                          "d": [0, 1, 1, 0, np.nan, 1, 0],
                          "x": [0.5, 0.1, 0.2, np.nan, 0.3, 0.7, 0.9],
                          "w": [1.0, 2.0, 1.0, 1.0, 1.0, 3.0, 1.0]})
    return C.prepare(frame, "ipw", y="y", treatment="d", covariates="x", weights="w",
                     cluster=None)


@pytest.mark.parametrize("keep, arm", [([False, True, False, False], "treated"),
                                       ([False, False, False, True], "comparison")])
def test_subset_keeping_one_row_names_its_arm(keep, arm):
    with pytest.raises(IdentificationError) as e:
        C.subset(_prepared(), np.array(keep), "trimmed (minmax)")
    assert str(e.value) == (f"data: trimming (trimmed (minmax)) leaves only {arm} units. Fix: "
                            "use a milder trimming rule.")
