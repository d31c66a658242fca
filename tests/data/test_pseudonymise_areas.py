"""Pseudonymisation pinned by behaviour area (issue 18, helper mutQ, session 12): the extra
personal columns of `pseudonymise_registry` (two bugs fixed this session) and the areas of the
survivors of a fresh seeded sample (``--sample 60 --seed 21``). Seconds in all.
"""
from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from kassaki_eval.data.pseudonymise import pseudonymise_registry

KEY = "0123456789abcdef-test-key"


def _fid(kk: str) -> str:
    """family_id by hand: 'F' + the first 16 hex digits of HMAC-SHA256(key, no_kk) (RFC 2104,
    Python's hmac as the reference)."""
    return "F" + hmac.new(KEY.encode(), kk.encode(), hashlib.sha256).hexdigest()[:16]


RAW = pd.DataFrame({"no_kk": ["7310010101010001", "7310010101010002"],
                    "desil": [3, 7],
                    "NAMA_IBU": ["Siti Aminah", "Wa Ode"],
                    "ibu": ["Siti Aminah", "Wa Ode"]})


@pytest.mark.parametrize("extra", [
    ["NAMA_IBU", "ibu"],                 # written as the file writes them
    ["nama_ibu", "IBU"],                 # in another case: column names match case-blind
    ("NAMA_IBU", "ibu"),
    (c for c in ["nama_ibu", "ibu"]),    # a generator, read once (bug: only for the 1st column)
])
def test_extra_personal_columns_are_dropped_whatever_their_case_or_iterable(extra):
    """`extra_pii` names further personal columns to drop, like PII_COLUMNS, case-blind.
    Bugs fixed (session 12): 'NAMA_IBU' given as written stayed in the output (the column name
    was lower-cased, the extra names were not), and a generator was consumed by the first
    column, so later personal columns stayed."""
    out = pseudonymise_registry(RAW, key=KEY, extra_pii=extra)
    assert out.columns.tolist() == ["family_id", "desil"]
    assert out["family_id"].tolist() == [_fid("7310010101010001"), _fid("7310010101010002")]
    assert out["desil"].tolist() == [3, 7]


def test_without_extra_names_only_the_contract_personal_columns_go():
    """PII_COLUMNS (no_kk here) are dropped; columns not named stay, in their order."""
    out = pseudonymise_registry(RAW, key=KEY)
    assert out.columns.tolist() == ["family_id", "desil", "NAMA_IBU", "ibu"]


def test_column_names_that_are_not_text_are_matched_and_dropped_as_text():
    """A frame read without a header has integer column names: `extra_pii=["3"]` drops column
    3 (names compared as text), and the columns to drop, an int and 'no_kk', are sorted as
    text (`x_pseudonymise_registry__mutmut_40`, `_42`: sorted without `key=str`, TypeError
    comparing 3 and 'no_kk')."""
    raw = pd.DataFrame({"no_kk": ["7310010101010001"], 3: ["Siti Aminah"], "desil": [3]})
    out = pseudonymise_registry(raw, key=KEY, extra_pii=["3"])
    assert out.columns.tolist() == ["family_id", "desil"]
    assert out["family_id"].tolist() == [_fid("7310010101010001")]
