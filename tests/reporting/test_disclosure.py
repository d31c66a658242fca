"""Disclosure control: small cells suppressed, identifiers refused."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ReportError
from kassaki_eval.reporting.blocks import Table
from kassaki_eval.reporting.disclosure import (check_publishable, find_identifiers,
                                               merge_small_groups, suppress_small_cells)


def test_rows_below_k_are_blanked_and_flagged():
    df = pd.DataFrame({"kec": ["a", "b", "c"], "year": [2025, 2025, 2025],
                       "p0": [0.1, 0.2, 0.3], "n_hh": [50, 9, 10]})
    out = suppress_small_cells(df, count_col="n_hh", k=10)
    assert out["suppressed"].tolist() == [False, True, False]
    assert np.isnan(out.loc[1, "p0"]) and np.isnan(out.loc[1, "n_hh"])
    assert out.loc[2, "p0"] == 0.3  # exactly k is published
    assert out["year"].tolist() == [2025, 2025, 2025]  # keys are not values
    assert df.loc[1, "p0"] == 0.2  # input untouched


def test_missing_count_is_suppressed():
    out = suppress_small_cells(pd.DataFrame({"x": [1.0], "n": [np.nan]}), count_col="n", k=10)
    assert bool(out["suppressed"].iloc[0])


def test_merge_small_groups_into_other():
    df = pd.DataFrame({"village": ["v1", "v2", "v3", "v4"], "n_hh": [40, 4, 3, 5],
                       "amount": [100.0, 10, 20, 30]})
    out = merge_small_groups(df, group_col="village", count_col="n_hh", k=10, sum_cols=["amount"])
    assert out["village"].tolist() == ["v1", "other"]
    assert out["n_hh"].tolist() == [40, 12] and out["amount"].tolist() == [100, 60]
    assert not out["suppressed"].any()


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"family_id": ["F0123456789abcdef"], "x": [1]}),
    pd.DataFrame({"hh_id": ["H000001"], "x": [1]}),
    pd.DataFrame({"nik_head": ["7310012345678901"]}),
    pd.DataFrame({"who": ["7310012345678901"]}),
    pd.DataFrame({"who": ["Fabcdef0123456789"]}),
    pd.DataFrame({"num": np.array([7310012345678901], dtype=np.int64)}),
])
def test_identifiers_are_refused(frame):
    with pytest.raises(ReportError):
        check_publishable(frame, "t")
    with pytest.raises(ReportError):
        Table.build("t", frame, title_key="report.title", k=10, count_col=None)


def test_find_identifiers_ignores_decimals_and_digests():
    text = 'p0 0.1960824498299168, sha a1234567890123456b, "7310012345678901", H000123'
    assert find_identifiers(text, {"H000123"}) == ["7310012345678901", "H000123"]
