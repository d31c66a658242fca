"""Mapping profiles pinned by behaviour area (issue 18, helper mutQ, session 12): the areas of
the survivors of a fresh seeded sample of kassaki_eval/data/profiles.py (``--sample 60 --seed
21``), and the privacy fix of the lookup message found while reading them.

Same conventions as test_profiles_pinned.py / _pinned2.py: messages word for word with the
profile line counted in the TOML text of the test, values written out by hand (the reference
villages and kecamatan of data/reference/pangkep/). No synthetic world (about a second).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.data import profiles as P
from kassaki_eval.data.profiles import map_files
from kassaki_eval.exceptions import SchemaError

# -- workbook cells as the text a CSV export shows (`_cell_text`) ---------------------------


@pytest.mark.parametrize("cell, text", [
    (None, None), ("", None),                       # an empty cell is missing
    (" a ", " a "),                                 # text as it is (stripped later, by _text)
    (True, "1"), (False, "0"),                      # booleans as 0/1 (before int: bool is int)
    (3.0, "3"), (-2.0, "-2"), (2.5, "2.5"),         # whole floats without '.0'
    (123456789012345.0, "123456789012345"),         # 15 digits: still whole
    (1e15, "1000000000000000.0"),                   # 16 digits: repr, never cut to an int
    (7, "7"),
    # a date, or a datetime at midnight: the date alone
    (dt.date(2024, 1, 5), "2024-01-05"), (dt.datetime(2024, 1, 5), "2024-01-05"),
    # a time of day on the hour (minute 0) or in the first hour (hour 0): kept whole
    (dt.datetime(2024, 1, 5, 10, 0), "2024-01-05T10:00:00"),
    (dt.datetime(2024, 1, 5, 0, 30), "2024-01-05T00:30:00"),
    (dt.time(8, 15), "08:15:00"),
    # seconds or microseconds after midnight are a time too (they were cut to the date)
    (dt.datetime(2024, 1, 5, 0, 0, 30), "2024-01-05T00:00:30"),
    (dt.datetime(2024, 1, 5, 0, 0, 0, 500), "2024-01-05T00:00:00.000500"),
])
def test_workbook_cells_as_csv_text(cell, text):
    """`x__cell_text__mutmut_36` (`getattr(v, "HOUR", 0)`): 10:00 was cut to the date."""
    assert P._cell_text(cell) == text


# -- recoding text codes (`_recode`) --------------------------------------------------------

def test_recode_maps_codes_keeps_the_index_and_flags_only_unlisted_present_codes():
    """`_recode` returns the mapped values aligned with the input's index (`x__recode__mutmut_48`
    dropped it: the values came back on 0..n-1) and the mask of present codes not in the map;
    '' in the map means missing (not unlisted); a missing input is missing and not flagged."""
    t = pd.Series(["a", "B", None, "c", "z", "a"], index=[10, 11, 12, 13, 14, 15], dtype=object)
    mp = {"a": "training", "b": "grant", "c": ""}
    got, miss = P._recode(t, mp, ignore_case=True)
    assert got.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert got.tolist() == ["training", "grant", None, None, None, "training"]
    assert miss.tolist() == [False, False, False, False, True, False]
    # case counts without ignore_case: 'B' is unlisted
    got, miss = P._recode(t, mp, ignore_case=False)
    assert got.tolist() == ["training", None, None, None, None, "training"]
    assert miss.tolist() == [False, True, False, False, True, False]
    assert isinstance(miss, np.ndarray)


# -- reference tables (`_reference_table`) --------------------------------------------------

PART = '''[profile]
name = "part"
table = "participation"

[[source]]
id = "main"
file = "part.csv"

[columns]
record_id = "ID"
family_id = { from = "KK", pseudonymise = true }
village_code = "Kode"
partner = { value = "bpvp" }
component = { value = "training" }
unit = { value = "household" }
start_date = { from = "Mulai", parse = "date" }
amount_rp = { from = "Jumlah", parse = "number" }
'''


def _part(tmp_path, csv, profile):
    (tmp_path / "part.csv").write_text(csv)
    (tmp_path / "t.toml").write_text(profile)
    return tmp_path / "part.csv", tmp_path / "t.toml"


def test_the_kecamatan_reference_serves_recodes_and_lookups(tmp_path):
    """`reference = "kecamatan"` reads kassaki_eval.reference.kecamatan() (13 kecamatan of
    data/reference/pangkep/), in a recode and in a lookup (`x__reference_table__mutmut_45`:
    'KECAMATAN', the name was unknown). By hand from kecamatan.csv: Liukang Tangaya is
    73.10.01 (island, BPS 7309010), Liukang Kalmas 73.10.02 (BPS 7309020)."""
    csv = ("ID,KK,Kode,Mulai,Jumlah,Kec\n"
           "r1,k1,73.10.01.1001,2024-01-05,1,Liukang Tangaya\n"
           "r2,k2,73.10.01.2002,2024-01-06,2,Liukang Kalmas\n")
    prof = (PART.replace('partner = { value = "bpvp" }',
                         'partner = { from = "Kec", recode = "kec", lookup = { reference = '
                         '"kecamatan", key = "kec_kemendagri", value = "kec_bps" } }')
            + '\n[recodes.kec]\nreference = "kecamatan"\nfrom = "kecamatan"\n'
              'to = "kec_kemendagri"\n')
    data, p = _part(tmp_path, csv, prof)
    got = P.load_profile(p)
    assert got.recodes["kec"]["codes"]["Liukang Tangaya"] == "73.10.01"
    assert len(got.recodes["kec"]["codes"]) == 13
    m = P.map_files(data, p, demo=True)
    # mapped, not yet validated: the partner column holds the BPS kecamatan codes
    assert m.data["partner"].tolist() == ["7309010", "7309020"]


def test_a_reference_that_does_not_exist_is_a_profile_problem(tmp_path):
    """Only 'villages' and 'kecamatan' are references; another name is refused with the line."""
    prof = PART + '\n[recodes.kec]\nreference = "kecamatans"\nfrom = "a"\nto = "b"\n'
    _, p = _part(tmp_path, "ID\n", prof)
    with pytest.raises(SchemaError) as e:
        P.load_profile(p)
    assert str(e.value).splitlines()[1] == (
        "  - profile t.toml line 20: column 'kec' names a reference table or columns that do "
        "not exist ('kecamatans': 'a' -> 'b'). Fix: reference = \"villages\" with from/to "
        "among its columns, e.g. from = \"bps_code_2018\", to = \"kemendagri_code\"")


# -- lookup misses: values quoted, but never a personal column's (bug fixed, session 12) ----

CSV_NAMES = ("ID,KK,Kode,Mulai,Jumlah\n"
             "r1,Budi Santoso,73.10.01.1001,2024-01-05,1\n"
             "r2,Siti Aminah,73.10.01.2002,2024-01-05,2\n"
             "r3,Siti Aminah,73.10.99.9999,2024-01-05,3\n")


def test_a_lookup_miss_quotes_the_values_of_an_ordinary_column(tmp_path):
    """village_code looked up in the villages: the unknown code is quoted."""
    prof = PART.replace('village_code = "Kode"', 'village_code = { from = "Kode", lookup = '
                        '"zone" }')
    data, p = _part(tmp_path, CSV_NAMES, prof)
    with pytest.raises(SchemaError) as e:
        map_files(data, p, demo=True)
    assert "  - profile t.toml line 12: column 'village_code' finds no reference 'zone' for 1 "\
           "value(s) of 'Kode' ('73.10.99.9999'): 1 row (e.g. part.csv row 4). Fix: the values "\
           "must be kemendagri_code codes of the reference" in str(e.value).splitlines()


def test_a_lookup_miss_never_quotes_a_personal_column(tmp_path):
    """A pseudonymised rule's lookup that finds nothing names the count and the rows, not the
    names (bug: the message read "... of 'KK' ('Budi Santoso', 'Siti Aminah')"). The same for
    a column declared personal = [...] and mapped with pseudonymise."""
    prof = PART.replace('family_id = { from = "KK", pseudonymise = true }',
                        'family_id = { from = "KK", lookup = "zone", pseudonymise = true }')
    for profile in (prof, prof.replace('table = "participation"',
                                       'table = "participation"\npersonal = ["KK"]')):
        data, p = _part(tmp_path, CSV_NAMES, profile)
        with pytest.raises(SchemaError) as e:
            map_files(data, p, demo=True)
        msg = str(e.value)
        line = 11 if "personal" not in profile else 12
        assert msg.splitlines()[1] == (
            f"  - profile t.toml line {line}: column 'family_id' finds no reference 'zone' for "
            "3 value(s) of 'KK': 3 rows (e.g. part.csv row 2, part.csv row 3, part.csv row 4). "
            "Fix: the values must be kemendagri_code codes of the reference")
        assert "Budi" not in msg and "Siti" not in msg
