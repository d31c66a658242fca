"""Personal-data detection pinned rule by rule (issue 18, session 7, mutmut survivors).

Every expected value follows from the documented rules of kassaki_eval/data/personal.py, worked
out here per case: a 16-digit id is personal when at least half of a column's values have that
shape; telephone numbers at least half; addresses at least 30 % and at least 2; names at least
80 % of 5+ values with at least half distinct; a float-mangled id is a float, a scientific or
'.0' text, or (when at least half of 5+ sixteen-digit values end in 0) any one ending in 0.
Ids below are made up (no real NIK): 73 10 = Sulawesi Selatan, Pangkep; 99 is no province.
Both matching engines of ``_mangled_parts`` are exercised: Arrow's RE2 for ASCII columns and
Python's ``re`` when a value is not ASCII. See docs/MUTATION.md, "data/personal.py".
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.data.personal import (
    PersonalColumn, check_declarations, declare_fix, float_mangled, nik_like, personal_columns,
)
from kassaki_eval.exceptions import ParameterError

OK = "7310011203850001"          # province 73, kabupaten 10
NO_PROV = "9910011203850002"     # 99: not a province code
KAB00 = "7300011203850003"       # kabupaten 00


def test_nik_like_checks_length_province_and_kabupaten():
    s = pd.Series([OK, NO_PROV, KAB00, OK[:15], OK + "1", None, " " + OK + " ", 7310011203850001])
    assert nik_like(s).tolist() == [True, False, False, False, False, False, True, True]
    assert nik_like(s).dtype == bool


@pytest.mark.parametrize("extra", [[], ["Désirée"]], ids=["arrow", "python-re"])
def test_float_mangled_rules(extra):
    # fewer than five 16-digit values: only scientific / '.0' texts are flagged
    few = pd.Series(["7.31001E+15", "7310011203850000.0", OK, "7310011203850010", *extra])
    assert float_mangled(few).tolist() == [True, True, False, False] + [False] * len(extra)
    # five 16-digit values, exactly half... (3 of 5 >= 2.5) end in 0: every one ending in 0
    ids = ["7310011203850010", "7310011203850020", "7310011203850030", OK, "7310011203850002"]
    m = float_mangled(pd.Series(ids + ["7.3E+15", *extra]))
    assert m.tolist() == [True, True, True, False, False, True] + [False] * len(extra)
    # two of five end in 0 (2 < 2.5): only the scientific one
    ids2 = ["7310011203850010", "7310011203850020", OK, "7310011203850002", "7310011203850003"]
    m2 = float_mangled(pd.Series(ids2 + ["7.3e15", *extra]))
    assert m2.tolist() == [False] * 5 + [True] + [False] * len(extra)
    # six values, three ending in 0 (3 >= 3): exactly half is enough
    ids3 = ids2[:2] + ["7310011203850030", OK, "7310011203850002", "7310011203850003"]
    assert float_mangled(pd.Series(ids3 + extra)).tolist() == (
        [True, True, True, False, False, False] + [False] * len(extra))
    # four 16-digit values all ending in 0: below five, not flagged
    four = pd.Series(["7310011203850010", "7310011203850020", "7310011203850030",
                      "7310011203850040", *extra])
    assert not float_mangled(four).any()


def test_float_mangled_shapes():
    # a float column: every present value went through a float
    assert float_mangled(pd.Series([7.31e15, np.nan, 1.0])).tolist() == [True, False, True]
    s = pd.Series(["7.31E+15", "7.31e15", "-7E+15", "7.3E+150", "73E+15", "7310011203850001.00",
                   "731001120385000.0", "7310011203850001.5", None, 12])
    # sci: one digit, optional decimals, exponent of 1-2 digits; '.0' tail: 15-17 digits
    assert float_mangled(s).tolist() == [True, True, True, False, False, True, True, False,
                                         False, False]
    assert float_mangled(s).dtype == bool


def test_classify_thresholds_and_details():
    n = pd.Series
    cols = pd.DataFrame({
        "v_half": n([OK, NO_PROV, "abc", "def"]),                 # 2 of 4: nik
        "v_third": n([OK, "abc", "def"]),                         # 1 of 3: no
        "v_phone": n(["0812 3456 7890", "+62 813-456-7890", "x", "y"]),
        "v_addr": n(["Jl. Poros 3", "RT 02 RW 01", "Dusun Bonto", *["ok"] * 7]),   # 3 of 10
        "v_few": n(["Jl. Poros 3", "RT 02", *["ok"] * 5]),     # 2 of 7 < 30 %
        "v_words": n(["Andi Baso", "Siti Aminah", "Muh Ali", "Besse", "x1"]),  # 4 of 5, 5 distinct
        "v_rep": n(["Andi Baso", "Andi Baso", "Andi Baso", "Siti", "Siti"]),  # 40 % distinct
        "jumlah_kk": n(["1", "2", "3"]),                            # small counts: not personal
        "tgl_lahir": n(["1", "2", "3"]),                            # a birth date stays
        "nama_ibu": n([None, None, None]),                           # by name, no values
        "famid": n(["F0123456789abcdef", "F00112233445566aa", None]),  # keyed pseudonyms
    })
    got = {c.column: c for c in personal_columns(cols)}
    assert set(got) == {"v_half", "v_phone", "v_addr", "v_words", "tgl_lahir", "nama_ibu"}
    assert got["v_half"] == PersonalColumn(
        "v_half", "nik", 2, "2 values shaped like NIK/family-card numbers, 1 of them with an "
        "Indonesian province and kabupaten prefix")
    assert got["v_phone"] == PersonalColumn("v_phone", "phone", 2,
                                           "2 values shaped like telephone numbers")
    assert got["v_addr"] == PersonalColumn("v_addr", "address", 3,
                                         "3 values shaped like street addresses")
    assert got["v_words"] == PersonalColumn("v_words", "name", 4,
                                          "4 values shaped like personal names, 100% distinct")
    by_name = ("its name suggests NIK, family-card number, name, address, telephone or birth "
               "date")
    assert got["tgl_lahir"] == PersonalColumn("tgl_lahir", "by_name", 3, by_name)
    assert got["nama_ibu"] == PersonalColumn("nama_ibu", "by_name", 0, by_name)
    assert got["v_half"].rule == ("looks like personal data (2 values shaped like NIK/"
                                    "family-card numbers, 1 of them with an Indonesian province "
                                    "and kabupaten prefix)")


def test_exempt_and_nik_only_columns():
    df = pd.DataFrame({"nama_krt": ["Andi Baso"] * 5, "psu": ["Andi Baso", "Siti Aminah",
                                                                "Muh Ali", "Besse Tang", "Ani"],
                       "hh_id": [OK, "7310011203850002", "7310011203850003", "x", "y"]})
    got = personal_columns(df, exempt=["nama_krt"], nik_only=["psu", "hh_id"])
    assert [(c.column, c.kind) for c in got] == [("hh_id", "nik")]
    assert [c.column for c in personal_columns(df)] == ["nama_krt", "psu", "hh_id"]


def test_check_declarations_messages():
    cols = [f"c{i}" for i in range(13)]
    assert check_declarations(None, cols) == {}
    assert check_declarations({"c1": "hash", "c2": "drop"}, cols) == {"c1": "hash", "c2": "drop"}
    with pytest.raises(ParameterError) as info:
        check_declarations(["c1"], cols, owner="map")
    assert str(info.value) == ("The 'pii' parameter of map must be a mapping of column name to "
                               "'hash' or 'drop'. Got list instead.")
    with pytest.raises(ParameterError) as info:
        check_declarations({"c1": "mask"}, cols)
    assert str(info.value) == ("The 'pii' parameter of load_table must map each column to "
                               "'hash' or 'drop'. Got 'c1': 'mask' instead.")
    with pytest.raises(ParameterError) as info:
        check_declarations({"nik_pasangan": "drop"}, cols)
    assert str(info.value) == ("The 'pii' parameter of load_table names column 'nik_pasangan', "
                               "which the file does not have. Got 'nik_pasangan' instead "
                               "(columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, …).")
    with pytest.raises(ParameterError) as info:
        check_declarations({"x": "drop"}, cols[:12])
    assert str(info.value).endswith("(columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, "
                                    "c11).")


def test_declare_fix_text():
    assert declare_fix("nik_pasangan") == (
        "declare what to do with it: pii={'nik_pasangan': 'hash'} replaces it by a keyed "
        "pseudonym, pii={'nik_pasangan': 'drop'} removes it (load_table(..., pii=...), or "
        "--pii nik_pasangan=hash / --pii nik_pasangan=drop on the command line); personal data "
        "are never written un-hashed; the raw file is left as it is")


@pytest.mark.parametrize("name, hit", [
    ("nik_pasangan", True), ("nokk", True), ("no_kk", True), ("nama2", True), ("hp", True),
    ("no_hp", True), ("Email", True), ("tempat_lahir", True), ("ibu_kandung", True),
    ("npwp", True), ("dob", True), ("kk", True),
    ("kkx", False), ("kode_desa", False), ("snik", False), ("hpx", False), ("renamed", False),
])
def test_names_that_suggest_personal_data(name, hit):
    df = pd.DataFrame({name: pd.Series([None, None], dtype=object)})
    assert [c.kind for c in personal_columns(df)] == (["by_name"] if hit else [])


def test_numbers_are_read_as_their_digits():
    # a float column of whole 16-digit numbers (as Excel stores them) is seen as NIK-shaped;
    # inf and NaN are not values; an integer column with a missing value too
    f = pd.Series([7310011203850000.0, np.nan, np.inf, 7310011203850100.0])
    got = personal_columns(pd.DataFrame({"a": f}))
    assert [(c.column, c.kind, c.count) for c in got] == [("a", "nik", 2)]
    i = pd.Series([7310011203850001, None, 7310011203850002], dtype="Int64")
    got = personal_columns(pd.DataFrame({"b": i}))
    assert [(c.column, c.kind, c.count) for c in got] == [("b", "nik", 2)]
    assert "2 of them with an Indonesian province" in got[0].detail
    # a float with decimals is written with them (repr), so it is not 16 digits
    assert personal_columns(pd.DataFrame({"x": [731001120385.5, 2.25]})) == []


def test_ids_in_scientific_notation_count_as_id_shaped():
    # what Excel shows for a 16-digit number: still a NIK column (and refused as mangled)
    got = personal_columns(pd.DataFrame({"v": ["7.31001E+15", "7.31001E+15", "x"]}))
    assert [(c.kind, c.count) for c in got] == [("nik", 2)]
    assert got[0].detail.endswith("0 of them with an Indonesian province and kabupaten prefix")


def test_kabupaten_00_is_not_a_regional_prefix():
    got = personal_columns(pd.DataFrame({"v": [OK, KAB00, NO_PROV]}))
    assert got[0].detail == ("3 values shaped like NIK/family-card numbers, 1 of them with an "
                             "Indonesian province and kabupaten prefix")


def test_phone_address_and_name_shapes_are_looked_for_in_text_only():
    # +62 numbers stored as integers are counts or codes as far as the text rules go
    num = pd.Series([6281234567890, 6281334567891, 6281434567892])
    assert personal_columns(pd.DataFrame({"v": num})) == []
    assert [c.kind for c in personal_columns(pd.DataFrame({"v": num.astype(str)}))] == ["phone"]


def test_float_values_become_text_by_the_documented_rule():
    # whole floats below 1e18 are written as integers, others with their decimals (repr);
    # 1e18 and above, inf and NaN are not values
    frac = 1234567890123456.5           # representable: 16 digits and a half
    assert personal_columns(pd.DataFrame({"v": [frac, frac]})) == []
    assert [c.count for c in personal_columns(pd.DataFrame({"v": [0.5, 1.5, 7310011203850000.0]}
                                                           ))] == []      # 1 of 3 values
    for big in (1e18, 1e19):
        got = personal_columns(pd.DataFrame({"v": [big, big, 7310011203850000.0]}))
        assert [(c.kind, c.count) for c in got] == [("nik", 1)]      # 1 of 1 value


def test_masks_keep_the_index_of_their_column():
    idx = [10, 11, 12, 13, 14, 15]
    s = pd.Series(["7310011203850010", "7310011203850020", "7310011203850030", OK,
                   "7310011203850002", "7.3E+15"], index=idx)
    assert float_mangled(s).index.tolist() == idx
    assert float_mangled(s).tolist() == [True, True, True, False, False, True]
    f = pd.Series([7.31e15, np.nan], index=[3, 4])
    assert float_mangled(f).index.tolist() == [3, 4]
    assert nik_like(pd.Series([7310011203850001.0, 2.0], index=[7, 8])).index.tolist() == [7, 8]
    assert nik_like(pd.Series([7310011203850001.0, 2.0], index=[7, 8])).tolist() == [True, False]


def test_non_ascii_columns_use_pythons_digits():
    # a column with a non-ASCII value is matched with Python's re, whose \d also matches
    # other scripts' digits (Arabic-Indic here); Arrow's RE2 would not
    ar = "٧.٣١E+١٥"
    assert float_mangled(pd.Series([ar, "Désirée"])).tolist() == [True, False]
