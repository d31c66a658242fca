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


def test_weak_overlap_warning_text_word_for_word():
    """The near-separation warning users read: counts, the [0.01, 0.99] band, both arms'
    propensity ranges and Crump's alpha to 3 decimals, and the fix (template of
    matching._overlap_message, the text ps_matching warns with)."""
    from kassaki_eval.impact.matching import _overlap_message
    o = {"n_target": 40, "n_extreme": 3, "n_outside_support": 5, "e_min_treated": 0.12345,
         "e_max_treated": 0.99912, "e_min_control": 0.001, "e_max_control": 0.8765,
         "crump_alpha": 0.0912, "n_outside_crump": 7}
    assert _overlap_message("ps_matching", o) == (
        "ps_matching: weak overlap (near-separation): of 40 target units, 3 have a propensity "
        "beyond [0.01, 0.99] and 5 lie outside the other arm's propensity range (treated "
        "0.123-0.999, comparison 0.001-0.876); their nearest matches are far away and the "
        "estimate can be badly biased. Fix: trim='crump' (Crump et al. 2009; here alpha = "
        "0.091, dropping 7 target units and changing the estimand to the trimmed population), "
        "or revise the covariates.")


@pytest.mark.parametrize("kw, text", [
    ({"distance": "mahalanobis"}, "The 'distance' parameter of ps_matching must be one of "
                                  "{'logit', 'probability'}. Got 'mahalanobis' instead."),
    ({"m_order": "random"}, "The 'm_order' parameter of ps_matching must be one of "
                            "{'largest', 'smallest', 'data'}. Got 'random' instead."),
])
def test_ps_matching_option_errors_name_the_parameter(kw, text):
    """An unknown distance or m_order is refused before any fit, naming the parameter and
    the allowed values (template of exceptions.check_option)."""
    from kassaki_eval.exceptions import ParameterError
    from kassaki_eval.impact.matching import ps_matching
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "d": [0, 1, 0, 1], "x": [0.1, 0.4, 0.3, 0.2]})
    with pytest.raises(ParameterError) as e:
        ps_matching(df, y="y", treatment="d", covariates=["x"], **kw)
    assert str(e.value) == text
