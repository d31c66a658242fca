"""Each rule of :mod:`kassaki_eval.reporting.disclosure`, pinned one by one (issue 18).

Written from mutmut's survivors on ``disclosure.py`` (``make mutation``; docs/MUTATION.md): the
partitions of complementary suppression, the tie-break, the first/second-smallest choice, which
columns are values and which are keys, merged groups, and the identifier checks with the
numbers their messages give. Kecamatan codes and zones are Pangkep's reference
(``data/reference/pangkep/kecamatan.csv``: 73.10.01-03 and 73.10.13 island, 04-12 mainland).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ReportError
from kassaki_eval.reporting.disclosure import (
    check_publishable,
    complementary,
    find_identifiers,
    merge_small_groups,
    partitions,
    suppress_small_cells,
)


def _blocks(labels: pd.Series) -> list[set]:
    """The partition as sets of row labels (the label text itself is not part of the rule)."""
    return sorted((set(ix) for ix in labels.groupby(labels, sort=False).groups.values()),
                  key=lambda s: sorted(map(str, s)))


# -- partitions -----------------------------------------------------------------------------
def test_no_unit_column_means_no_partition():
    assert partitions(pd.DataFrame({"x": ["a"], "n": [3]})) is None


def test_kecamatan_rows_are_partitioned_by_reference_zone_and_year():
    df = pd.DataFrame({"kec_code": ["73.10.01", "73.10.02", "73.10.04", "73.10.05",
                                    "73.10.01", "99.99.99"],
                       "kecamatan": ["A", "B", "C", "D", "A", "Z"],
                       "year": [2025, 2025, 2025, 2025, 2024, 2025],
                       "p0": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "n_hh": [5, 20, 30, 40, 50, 60],
                       "suppressed": [False] * 6},
                      index=[10, 11, 12, 13, 14, 15])
    got = partitions(df)
    assert list(got.index) == [10, 11, 12, 13, 14, 15]
    # island 2025, mainland 2025, island 2024, unknown zone 2025; the name column and the
    # numeric value columns do not split partitions
    assert _blocks(got) == _blocks(pd.Series([0, 0, 1, 1, 2, 3], index=df.index))


def test_kecamatan_rows_follow_the_tables_own_zone_column():
    df = pd.DataFrame({"kec_code": ["73.10.01", "73.10.04", "73.10.05"],
                       "zone": ["mainland", "mainland", "island"], "n_hh": [1, 2, 3]})
    assert _blocks(partitions(df)) == [{0, 1}, {2}]


def test_group_rows_are_partitioned_by_every_other_text_column():
    df = pd.DataFrame({"group": ["a", "b", "a", "b", "c"],
                       "dimension": ["sex", "sex", "zone", "zone", "zone"],
                       "_fmt": ["pct", "pp", "pct", "pp", "pct"],        # formatting: not a key
                       "flag": [True, False, True, False, True],         # boolean: not a key
                       "estimate": [0.1, 0.2, 0.3, 0.4, 0.5],            # numeric: not a key
                       "year": [2025, 2025, 2025, 2025, 2024],           # year: a key
                       "suppressed": [False, True, False, True, False]})
    assert _blocks(partitions(df)) == [{0, 1}, {2, 3}, {4}]


def test_group_rows_without_other_text_columns_form_one_partition():
    df = pd.DataFrame({"group": ["a", "b", "c"], "n": [1.0, 2.0, 3.0]}, index=[7, 8, 9])
    got = partitions(df)
    assert list(got.index) == [7, 8, 9] and got.nunique() == 1 and got.notna().all()


# -- complementary ----------------------------------------------------------------------------
def test_a_lone_suppressed_row_in_a_partition_of_two_takes_the_other_with_it():
    got = complementary(np.array([3.0, 50.0]), np.array([True, False]), ["p", "p"])
    assert got.dtype == bool and got.tolist() == [True, True]


def test_the_smallest_free_count_is_sacrificed_and_nan_counts_last():
    got = complementary(np.array([3.0, np.nan, 40.0, 30.0]),
                        np.array([True, False, False, False]), ["p"] * 4)
    assert got.tolist() == [True, False, False, True]


def test_ties_go_to_the_first_by_key_default_row_position():
    counts = np.array([3.0, 20.0, 20.0])
    primary = np.array([True, False, False])
    assert complementary(counts, primary, ["p"] * 3).tolist() == [True, True, False]
    got = complementary(counts, primary, ["p"] * 3, order=["a", "z", "b"])
    assert got.tolist() == [True, False, True]


def test_partitions_are_protected_independently():
    got = complementary(np.array([3.0, 20.0, 30.0, 4.0, 25.0, 6.0, 7.0]),
                        np.array([True, False, False, True, False, True, True]),
                        ["a", "a", "a", "b", "b", "c", "c"])
    # a: one primary -> its smallest free row; b: one primary, partition of two -> both;
    # c: two primaries already -> nothing added
    assert got.tolist() == [True, True, False, True, True, True, True]


# -- suppress_small_cells ------------------------------------------------------------------------
def test_complementary_suppression_is_on_by_default_and_ties_go_to_the_smaller_code():
    df = pd.DataFrame({"kec_code": ["73.10.06", "73.10.05", "73.10.04"],
                       "p0": [0.1, 0.2, 0.3], "n_hh": [50, 50, 4]})
    out = suppress_small_cells(df, count_col="n_hh", k=10)
    # 73.10.04 is small; 05 and 06 (both mainland, 50 households) tie: the smaller code goes
    assert out["suppressed"].tolist() == [False, True, True]
    off = suppress_small_cells(df, count_col="n_hh", k=10, complementary_suppression=False)
    assert off["suppressed"].tolist() == [False, False, True]


def test_keys_are_not_blanked_values_and_counts_are():
    df = pd.DataFrame({"group": ["a", "b"], "year": [2025, 2025], "first_year": [2023, 2024],
                       "cohort": [2023, 2024], "decile": [1, 2], "est": [1, 2],
                       "n_hh": [50, 3]})
    out = suppress_small_cells(df, count_col="n_hh", k=10, complementary_suppression=False)
    for key in ("year", "first_year", "cohort", "decile"):
        assert out[key].tolist() == df[key].tolist(), key
    assert out["est"].tolist()[0] == 1 and np.isnan(out["est"].tolist()[1])
    assert out["n_hh"].tolist()[0] == 50 and np.isnan(out["n_hh"].tolist()[1])
    kept = suppress_small_cells(df, count_col="n_hh", k=10, suppress_count=False,
                                value_cols=["est"], complementary_suppression=False)
    assert kept["n_hh"].tolist() == [50, 3] and kept["decile"].tolist() == [1, 2]


def test_unreadable_counts_are_suppressed_not_an_error():
    df = pd.DataFrame({"kec": ["a", "b"], "p0": [0.1, 0.2], "n_hh": ["50", "n/a"]})
    out = suppress_small_cells(df, count_col="n_hh", k=10)
    assert out["suppressed"].tolist() == [False, True]


def test_missing_count_column_names_it_and_the_columns():
    with pytest.raises(ReportError, match=r"no count column 'n_hh' \(columns: \['p0'\]\)"):
        suppress_small_cells(pd.DataFrame({"p0": [0.1]}), count_col="n_hh", k=10)


# -- merge_small_groups -------------------------------------------------------------------------
def test_merged_groups_keep_first_appearance_order_and_missing_labels():
    df = pd.DataFrame({"village": ["v9", None, "v1", "v2"], "n_hh": [40, 30, 4, 3],
                       "amount": [1.0, 2.0, 3.0, 4.0], "note": ["x", "y", "z", "w"]})
    out = merge_small_groups(df, group_col="village", count_col="n_hh", k=10,
                             sum_cols=["amount"])
    assert out["village"].tolist()[0] == "v9" and pd.isna(out["village"].tolist()[1])
    assert out["village"].tolist()[2] == "other"
    assert out["n_hh"].tolist()[:2] == [40, 30] and np.isnan(out["n_hh"].tolist()[2])
    assert out["amount"].tolist()[:2] == [1.0, 2.0] and np.isnan(out["amount"].tolist()[2])
    assert "note" not in out.columns  # only additive columns survive


def test_a_merged_row_at_k_is_published_with_its_sums():
    df = pd.DataFrame({"g": ["a", "b", "c"], "n_hh": [40, 6, 4], "amount": [1.0, 2.0, 3.0]})
    out = merge_small_groups(df, group_col="g", count_col="n_hh", k=10, sum_cols=["amount"])
    assert out.set_index("g").loc["other", ["n_hh", "amount"]].tolist() == [10, 5.0]


# -- identifiers ---------------------------------------------------------------------------------
def test_given_ids_from_six_characters_up_are_found_with_any_letter_case():
    text = "row abc123 and Ab12Cd and xyz12 and 12345678"
    assert find_identifiers(text, ["abc123", "Ab12Cd", "xyz12", 12345678]) == \
        ["Ab12Cd", "abc123"]
    assert find_identifiers("nothing here", ["abc123"]) == []


def test_identifier_column_names_are_refused_in_any_case():
    with pytest.raises(ReportError, match=r"table 't' would publish identifier column\(s\) "
                                          r"\['NIK'\]\. Fix: aggregate"):
        check_publishable(pd.DataFrame({"NIK": ["x"], "p0": [0.1]}), "t")


def test_nik_and_family_id_cells_are_counted_together():
    df = pd.DataFrame({"label": ["7310011234567890", "F0123456789abcdef", "ok"]})
    with pytest.raises(ReportError, match=r"table 't': column 'label' holds 2 value\(s\)"):
        check_publishable(df, "t")


@pytest.mark.parametrize("values", [
    pd.Series([10**15], dtype="int64"),                  # the smallest 16-digit number
    pd.Series([7310011234567890], dtype="int64"),
    pd.Series([7310011234567890.0, 0.5]),                # an NIK stored as a float
])
def test_sixteen_digit_numbers_are_refused_in_numeric_columns(values):
    with pytest.raises(ReportError, match=r"table 't': column 'v' holds 1 16-digit number"):
        check_publishable(pd.DataFrame({"v": values}), "t")


@pytest.mark.parametrize("values", [
    pd.Series([10**15 - 1], dtype="int64"),              # 15 digits
    pd.Series([1.5e15 + 0.5]),                           # not a whole number
    pd.Series([1.0e16]),                                 # 17 digits
    pd.Series([], dtype="int64"),
])
def test_other_numbers_pass(values):
    check_publishable(pd.DataFrame({"v": values}), "t")


# -- second mutmut round (issue 18): survivors of the first round's tests ----------------------
def test_the_suppressed_flag_is_never_a_partition_key_whatever_its_dtype():
    # a flag read back from a CSV or a merge holds text/None: object dtype, still not a key
    df = pd.DataFrame({"group": ["a", "b", "c"], "dimension": ["sex", "sex", "sex"],
                       "suppressed": pd.Series(["True", None, "False"], dtype=object)})
    assert _blocks(partitions(df)) == [{0, 1, 2}]


def test_arrow_booleans_are_not_partition_keys():
    # pandas counts numpy booleans as numeric but not Arrow ones (parquet read with
    # dtype_backend="pyarrow"): the boolean test must exclude them by itself
    df = pd.DataFrame({"group": ["a", "b", "c"], "dimension": ["sex", "sex", "sex"],
                       "flag": pd.Series([True, False, True], dtype="bool[pyarrow]")})
    assert _blocks(partitions(df)) == [{0, 1, 2}]


def test_without_zones_in_the_reference_kecamatan_rows_share_one_unknown_zone(monkeypatch):
    from kassaki_eval import reference
    ref = reference.kecamatan()
    monkeypatch.setattr(reference, "kecamatan", lambda *a, **k: ref.drop(columns="zone"))
    df = pd.DataFrame({"kec_code": ["73.10.01", "73.10.04", "73.10.05", "73.10.01"],
                       "year": [2025, 2025, 2025, 2024]})
    # island 01 and mainland 04/05 fall into one partition per year ("?" zone)
    assert _blocks(partitions(df)) == [{0, 1, 2}, {3}]


def test_a_bar_inside_a_value_does_not_merge_two_partitions():
    # joined naively with "|", ("a|b", "c") and ("a", "b|c") gave one label "a|b|c": two
    # partitions with one suppressed row each became one with two, and neither was protected
    df = pd.DataFrame({"group": ["x", "y", "x", "y"],
                       "dimension": ["a|b", "a|b", "a", "a"], "measure": ["c", "c", "b|c", "b|c"],
                       "est": [0.1, 0.2, 0.3, 0.4], "n_hh": [3, 50, 4, 60]})
    assert _blocks(partitions(df)) == [{0, 1}, {2, 3}]
    out = suppress_small_cells(df, count_col="n_hh", k=10)
    assert out["suppressed"].tolist() == [True, True, True, True]
    # a backslash is escaped too: escaping "|" alone joins ("a\\", "c|d") and ("a|c\\", "d")
    # into the same text a\|c\|d
    df2 = pd.DataFrame({"group": ["x", "y"], "d": ["a\\", "a|c\\"], "m": ["c|d", "d"]})
    assert _blocks(partitions(df2)) == [{0}, {1}]
    empty = partitions(df.iloc[:0])
    assert isinstance(empty, pd.Series) and empty.empty


def test_complementary_returns_a_boolean_mask_from_0_1_input():
    got = complementary(np.array([3.0, 50.0, 60.0]), np.array([1, 0, 0]), ["p"] * 3)
    assert got.dtype == bool
    assert (~got).tolist() == [False, False, True]  # ~ selects the published rows


def test_default_tie_break_is_row_order_also_past_row_nine():
    # 12 rows; row 0 is small, rows 2 and 10 tie on the smallest free count: row 2 goes
    # (as text, "10" < "2" would have picked row 10)
    counts = np.array([3.0, 90, 20, 90, 90, 90, 90, 90, 90, 90, 20, 90])
    primary = np.zeros(12, dtype=bool)
    primary[0] = True
    got = complementary(counts, primary, ["p"] * 12)
    assert np.flatnonzero(got).tolist() == [0, 2]


def test_missing_counts_given_as_none_are_sacrificed_last():
    got = complementary([3.0, None, 40.0, 30.0], [True, False, False, False], ["p"] * 4)
    assert got.tolist() == [True, False, False, True]


def test_a_partition_left_alone_does_not_stop_the_next_one():
    # partition a needs nothing (no suppressed row), b has two already; c comes after them
    got = complementary(np.array([20.0, 30.0, 3.0, 4.0, 5.0, 40.0, 50.0]),
                        np.array([False, False, True, True, True, False, False]),
                        ["a", "a", "b", "b", "c", "c", "c"])
    assert got.tolist() == [False, False, True, True, True, True, False]


def test_boolean_columns_are_not_blanked_as_values():
    df = pd.DataFrame({"kec": ["a", "b"], "est": [1.0, 2.0], "reliable": [True, False],
                       "n_hh": [50, 3]})
    out = suppress_small_cells(df, count_col="n_hh", k=10)
    assert out["reliable"].dtype == bool and out["reliable"].tolist() == [True, False]
    assert out["est"].tolist()[0] == 1.0 and np.isnan(out["est"].tolist()[1])


def test_counts_are_blanked_on_the_tables_own_row_labels():
    df = pd.DataFrame({"kec": ["a", "b", "c"], "est": [1.0, 2.0, 3.0], "n_hh": [50, 3, 40]},
                      index=[101, 102, 103])
    out = suppress_small_cells(df, count_col="n_hh", k=10)
    assert list(out.index) == [101, 102, 103]
    assert out.loc[101, "n_hh"] == 50 and np.isnan(out.loc[102, "n_hh"])
    assert out.loc[103, "n_hh"] == 40


def test_merged_groups_keep_their_numeric_by_keys():
    # the merged "other" row of wave 2 (4 + 3 < 10) is suppressed, but its wave stays shown
    df = pd.DataFrame({"wave": [1, 1, 2, 2, 2], "g": ["a", "b", "a", "b", "c"],
                       "n_hh": [40, 30, 50, 4, 3], "amount": [1.0, 2.0, 3.0, 4.0, 5.0]})
    out = merge_small_groups(df, group_col="g", count_col="n_hh", k=10, sum_cols=["amount"],
                             by=["wave"])
    assert out["wave"].tolist() == [1, 1, 2, 2]
    assert out["g"].tolist() == ["a", "b", "a", "other"]
    assert out["suppressed"].tolist() == [False, False, False, True]
    assert np.isnan(out["amount"].tolist()[3])


def test_a_missing_count_is_not_merged_but_suppressed_on_its_own():
    # object-dtype counts (e.g. after a concat) with a missing one: unknown is not "small"
    df = pd.DataFrame({"g": ["a", "b", "c", "d"],
                       "n_hh": pd.Series([40, None, 4, 7], dtype=object),
                       "amount": [1.0, 2.0, 3.0, 4.0]})
    out = merge_small_groups(df, group_col="g", count_col="n_hh", k=10, sum_cols=["amount"])
    assert out["g"].tolist() == ["a", "b", "other"]
    assert out["suppressed"].tolist() == [False, True, False]
    assert out.set_index("g").loc["other", ["n_hh", "amount"]].tolist() == [11, 7.0]


def test_text_columns_pass_and_do_not_stop_the_numeric_scan():
    ok = pd.DataFrame({"kecamatan": ["Pangkajene", "Minasatene"], "p0": [0.1, 0.2]})
    check_publishable(ok, "t")
    bad = ok.assign(num=np.array([1, 7310011234567890], dtype=np.int64))
    with pytest.raises(ReportError, match=r"column 'num' holds 1 16-digit number"):
        check_publishable(bad, "t")


def test_the_count_column_is_float_whether_or_not_a_row_is_suppressed():
    # one dtype for every year's table: a CSV shows 50.0 both when a neighbour is blanked
    # and when none is (not 50 one year and 50.0 the next)
    df = pd.DataFrame({"kec": ["a", "b"], "est": [1.0, 2.0], "n_hh": [50, 40]})
    none = suppress_small_cells(df, count_col="n_hh", k=10)
    some = suppress_small_cells(df.assign(n_hh=[50, 4]), count_col="n_hh", k=10)
    assert none["n_hh"].dtype == some["n_hh"].dtype == np.float64
    assert none["n_hh"].tolist() == [50.0, 40.0]
