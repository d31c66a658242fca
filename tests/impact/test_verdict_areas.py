"""kassaki_eval.impact.verdict by behaviour area: a panel callaway_santanna cannot use whole
(issue 18, session 11).

programme_verdict needs every village of the district: the treated person share s_T is over
all of them. callaway_santanna drops a village with a missing outcome, weight or cohort in any
year (recorded in its provenance, ``dropped``); before session 11 the verdict then said only
"the village panel is unbalanced ... Fix: keep villages observed in every year", which is
wrong when every village is observed but one value is missing. The message now names what was
dropped and the columns to fill. Data: the toy panel of test_verdict_formulas.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from kassaki_eval.exceptions import IdentificationError
from kassaki_eval.impact import programme_verdict

from test_verdict_formulas import COLS, _panel  # same directory (pytest prepends it)

FIX = ("so the district's treated person share would leave villages out. Fix: give every "
       "village its 'rate', 'pop' and 'first' in every year of the panel.")


@pytest.mark.parametrize("column", ["pop", "rate"])
def test_a_missing_value_names_the_column_and_the_fix(column):
    panel = _panel()[0]
    panel.loc[(panel["yr"] == 2024) & (panel["vil"] == 1), column] = np.nan
    with pytest.raises(IdentificationError) as ei:
        programme_verdict(panel, **COLS, year=2025)
    assert str(ei.value) == (
        "programme_verdict: callaway_santanna kept 55 of the panel's 56 villages (dropped: "
        f"missing {column}: 1; units not observed in every period (panel='balance'): 1), "
        + FIX)


def test_a_village_missing_a_year_is_named_as_such():
    panel = _panel()[0]
    panel = panel[~((panel["yr"] == 2024) & (panel["vil"].isin([3, 7])))]
    with pytest.raises(IdentificationError) as ei:
        programme_verdict(panel, **COLS, year=2025)
    assert str(ei.value) == (
        "programme_verdict: callaway_santanna kept 54 of the panel's 56 villages (dropped: "
        "units not observed in every period (panel='balance'): 2), " + FIX)
