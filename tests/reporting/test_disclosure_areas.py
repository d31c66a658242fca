"""Disclosure control pinned by behaviour area (issue 18, helper mutQ, session 12): the area of
the one non-equivalent survivor of a fresh seeded sample of kassaki_eval/reporting/disclosure.py
(``--sample 60 --seed 21``). Milliseconds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.reporting.disclosure import find_identifiers

TEXT = ("row 7310010101010001 (an NIK), family F0123456789abcdef, hh H00012, "
        "and 12345 short; 73100101010100019 is 17 digits")


@pytest.mark.parametrize("ids", [
    ["H00012", "12345", "R9999999"],
    ("H00012", "12345", "R9999999"),
    {"H00012", "12345", "R9999999"},
    frozenset({"H00012", "12345", "R9999999"}),
    (i for i in ["H00012", "12345", "R9999999"]),
    pd.Series(["H00012", "12345", "R9999999"]),           # a table's id column as it is
    np.array(["H00012", "12345", "R9999999"], dtype=object),
])
def test_identifiers_found_with_ids_of_any_iterable(ids):
    """16-digit runs (not inside a longer number), family ids ('F' + 16 hex digits), then the
    given ids found in the text, sorted; ids shorter than 6 characters are never matched (the
    tokens searched are 6+ characters). Any iterable of ids, among them a pandas Series or a
    numpy array (`x_find_identifiers__mutmut_5`: a non-set was not turned into a set, and
    `if ids:` of a Series raised 'The truth value of a Series is ambiguous')."""
    assert find_identifiers(TEXT, ids) == ["7310010101010001", "F0123456789abcdef", "H00012"]


def test_no_ids_given_finds_only_the_shapes():
    assert find_identifiers(TEXT) == ["7310010101010001", "F0123456789abcdef"]
    assert find_identifiers(TEXT, []) == ["7310010101010001", "F0123456789abcdef"]
