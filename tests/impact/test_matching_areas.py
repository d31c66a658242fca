"""Behaviour areas of impact/matching.py left open by the fresh seed-21 sample (session 11):
difference_in_means' default standard error."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.impact.matching import difference_in_means


def test_difference_in_means_default_error_is_hc2_welch():
    """Without se=, the error is HC2, which for the unweighted difference is Welch's:
    control y = 1, 2 (mean 1.5, s^2 = 0.5, n 2), treated 3, 4, 6 (mean 13/3, s^2 = 7/3, n 3):
    SE = sqrt(0.5/2 + (7/3)/3) = sqrt(37/36); no 'df' column (normal reference)."""
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 6.0], "d": [0, 0, 1, 1, 1]})
    r = difference_in_means(df, y="y", treatment="d")
    assert r["difference"] == pytest.approx(13 / 3 - 1.5, rel=1e-12)
    assert float(r.std_errors.iloc[0]) == pytest.approx(np.sqrt(37 / 36), rel=1e-12)
    assert r.provenance.options["se"] == "HC2"
    explicit = difference_in_means(df, y="y", treatment="d", se="HC2")
    assert float(explicit.std_errors.iloc[0]) == float(r.std_errors.iloc[0])
    assert "df" not in r.tidy().columns
