"""impact/sunab.py: the control-group errors and the provenance hash (seed-21 sample,
session 12; issue 18)."""
from __future__ import annotations

import numpy as np
import pytest
from test_sunab_pinned import KW, P, _panel, mpdta  # noqa: F401  (fixture)

from kassaki_eval.exceptions import IdentificationError
from kassaki_eval.impact.sunab import sun_abraham
from kassaki_eval.results import hash_frame


def test_control_group_errors_word_for_word():
    """Kills x_sun_abraham__mutmut_133 and _138 (the texts users read to fix the call)."""
    with pytest.raises(IdentificationError) as e:
        sun_abraham(_panel({1: 2, 2: 3, 3: 3, 4: 2}), **P)
    assert str(e.value) == (
        "data: column 'g' has no never-treated units (0 or missing), so sun_abraham has no "
        "control group. Fix: control_group='last_treated' (the last-treated cohort as "
        "control, Sun & Abraham 2021 section 4.1).")
    with pytest.raises(IdentificationError) as e:
        sun_abraham(_panel({1: 3, 2: 3, 3: 0, 4: 0}), **P, control_group="last_treated")
    assert str(e.value) == ("data: only 1 treated cohort; control_group='last_treated' needs "
                            "at least two.")


def test_provenance_hash_is_the_input_tables(mpdta):  # noqa: F811
    """The provenance records the hash of the table as given (manifests compare it across
    runs). Kills x_sun_abraham__mutmut_474 (no hash)."""
    r = sun_abraham(mpdta, **KW)
    assert r.provenance.inputs_hash == hash_frame(mpdta)


def test_weights_stored_as_text_are_read_as_numbers(mpdta):  # noqa: F811
    """The weights column obeys the same rule as the outcome, period and cohort columns: numbers
    stored as text (a CSV read with dtype=str) give the same estimates as the numbers. Kills
    x_sun_abraham__mutmut_213 (the weights read without dtype=float: text compared with 0)."""
    d = mpdta.assign(w=1.0 + (mpdta["countyreal"] % 3) / 2)       # weights 1, 1.5, 2
    a = sun_abraham(d, **KW, weights="w")
    b = sun_abraham(d.astype({"w": str}), **KW, weights="w")
    np.testing.assert_allclose(a.estimates, b.estimates, atol=1e-14)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-12)
    # the weights matter: unit weights give another ATT
    assert abs(a["ATT"] - sun_abraham(d, **KW)["ATT"]) > 1e-4
