"""Rupiah amounts written with Indonesian thousands dots are never read as decimals (session 11).

An office export with every amount under Rp 1,000,000 (``'850.000'``, ``'150.000'``) used to
read silently as 850.0 and 150.0: consumption 1,000 times too small, and every household
poor. Noticed by helper mutO (docs/MUTATION.md, loaders.py session 11). The amount columns of
the contracts (``rupiah=True``: consumption_pc, income, amount_rp) now refuse text shaped
``d{1,3}(.ddd)+`` with the Indonesian-number-format hint; other float columns are unchanged.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_survey

from kassaki_eval.data import get_spec, problems, validate
from kassaki_eval.exceptions import SchemaError

HINT = ("'consumption_pc' must hold numbers only; correct these rows in a cleaned copy of the "
        "file (the raw file stays as it is); the values look like Indonesian number format "
        "(1.234.567,5): re-export with '.' as decimal separator and no thousands separator")


def test_amounts_in_thousands_groups_are_refused_not_read_as_decimals():
    s = make_survey()
    s["consumption_pc"] = s["consumption_pc"].astype("object")
    s.loc[[0, 1, 2], "consumption_pc"] = ["850.000", "150.000", " 1.250.000 "]
    pr = [p for p in problems(s, "survey") if p.column == "consumption_pc"]
    assert len(pr) == 1 and pr[0].count == 3
    assert pr[0].fix == HINT
    with pytest.raises(SchemaError):
        validate(s, "survey")


def test_plain_and_decimal_amounts_still_read():
    """'850000' and '850000.5' are numbers; a float column that is not an amount (the
    weight) keeps reading '1.500' as 1.5."""
    s = make_survey()
    s["consumption_pc"] = s["consumption_pc"].astype("object")
    s.loc[[0, 1], "consumption_pc"] = ["850000", "850000.5"]
    s["weight"] = s["weight"].astype("object")
    s.loc[0, "weight"] = "1.500"
    out = validate(s, "survey")
    assert out.loc[0, "consumption_pc"] == 850000.0
    assert out.loc[1, "consumption_pc"] == 850000.5
    assert out.loc[0, "weight"] == 1.5


def test_the_amount_columns_are_marked():
    marked = {(t, c.name) for t in ("survey", "participation") for c in get_spec(t).columns
              if c.rupiah}
    assert marked == {("survey", "consumption_pc"), ("survey", "income"),
                      ("participation", "amount_rp")}
