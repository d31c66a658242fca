"""The suggester's layout and table guesses pinned by behaviour area (issue 18, session 13).

Seed-21 survivors of kassaki_eval/data/suggest.py (docs/MUTATION.md, "data/suggest.py: fresh
sample, seed 21"). Expected values follow from the module's rules, worked out by hand here:

- ``_header_row``: the header is the first of the top 30 rows with the most non-empty text
  cells; a cell of digits, dots, commas and spaces only ("1.000") is not text;
- the table guessed (no ``table`` given): per contract, the sum of the header similarities
  that reach the threshold (0.72); the first of registry, survey, participation with the
  largest sum (strictly larger replaces), so a file matching nothing is a registry; then a
  narrow file (12 columns or fewer) with 'Rp' amounts or dates (dd/mm/yyyy, ISO or Indonesian
  month names) is a list of programme records. Similarities from ``match_header`` (an exact
  synonym scores 1.0: 'FWT' is the survey weight; 'Waktu' and 'qqqq' reach 0.72 nowhere).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kassaki_eval.data.suggest import _header_row, match_header, suggest_profile


def test_header_row_is_the_first_of_the_top_30_rows_with_most_text_cells():
    assert _header_row([]) == 0
    # numbers written as text and blanks are not header text; ties: the first row
    grid = [["1.000", "2,5", " "], ["x", None, 3], ["A", "B"], ["C", "D"], ["E"]]
    assert _header_row(grid) == 2
    # only the top 30 rows are looked at: a wider row at index 30 is never the header
    grid = [["a"]] * 30 + [["a", "b", "c"]]
    assert _header_row(grid) == 0
    assert _header_row([["a"]] * 29 + [["a", "b", "c"]]) == 29


def _csv(tmp_path: Path, cols: dict[str, list]) -> Path:
    p = tmp_path / "x.csv"
    pd.DataFrame(cols).to_csv(p, index=False)
    return p


def test_the_similarities_behind_the_table_cases():
    assert match_header("FWT", "survey") == ("weight", 1.0)
    for t in ("registry", "participation"):
        assert match_header("FWT", t)[1] < 0.72
    for h in ("Waktu", "qqqq"):
        assert all(match_header(h, t)[1] < 0.72
                   for t in ("registry", "survey", "participation"))


@pytest.mark.parametrize("cols, table", [
    # one exact survey header (sum 1.0 against 0 and 0): survey
    ({"FWT": [1.5, 2.0]}, "survey"),
    # nothing reaches the threshold anywhere: the first contract
    ({"qqqq": ["z", "y"]}, "registry"),
    # ... unless the narrow file holds dates or amounts: programme records
    ({"Waktu": ["5 Januari 2024", "12 Feb 2024"]}, "participation"),   # Indonesian months
    ({"Waktu": ["2024-01-05", "2024-02-12"]}, "participation"),        # ISO dates
    ({"Waktu": ["05/01/2024", "12/02/2024"]}, "participation"),        # dd/mm/yyyy
    ({"qqqq": ["Rp 1.250.000", "Rp 500.000"]}, "participation"),       # 'Rp' amounts
    # decimal commas are numbers, not amounts: no switch
    ({"qqqq": ["1,5", "2,25"]}, "registry"),
])
def test_table_guessed_from_headers_then_from_dates_and_amounts(tmp_path, cols, table):
    assert suggest_profile(_csv(tmp_path, cols)).table == table
