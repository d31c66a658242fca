"""Mapping profiles pinned (issue 18, mutation round of kassaki_eval/data/profiles.py).

Bad input is the point of profiles.py: every problem of a profile or of the mapped files comes
in one SchemaError whose lines name the profile file, the profile line, the column, the rule,
the row count, a few rows and the fix. The messages are therefore behaviour and are pinned
word for word here (each was read against the profile text it comes from: the line numbers are
counted in the TOML strings below). Parsed values are checked against hand-written
expectations (Indonesian notation: '.' groups thousands, ',' is the decimal mark).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.data.profiles import (
    PARSERS,
    UNITS,
    Profile,
    load_profile,
    load_with_profile,
    load_with_profiles,
    map_files,
    parse_decimal_comma,
    parse_rupiah,
    shipped_profiles,
)
from kassaki_eval.exceptions import ParameterError, SchemaError

# a participation profile: line 1 [profile], 3 table, 5 [[source]], 6 id, 7 file,
# 9 [columns], 10 record_id ... 17 amount_rp
HEAD = '[profile]\nname = "t"\ntable = "participation"\n\n[[source]]\nid = "main"\nfile = "*.csv"\n\n'
COLS = ('[columns]\nrecord_id = "ID"\nfamily_id = "KK"\nvillage_code = "Desa"\n'
        'partner = { value = "p" }\ncomponent = { value = "c" }\nunit = { value = "household" }\n'
        'start_date = { from = "Mulai", parse = "date" }\n'
        'amount_rp = { from = "Jumlah", parse = "rupiah" }\n')
FIX_MISSING = ("add a rule for each under [columns] (a source column, a constant value = …, or "
               "target = … from another column)")
AGG = '\n[aggregate]\nsource = "main"\nhousehold = ["URUT"]\nhead = { column = "R403", value = "1" }\n'


def _one(line: str) -> str:
    return "profile t.toml: 1 problem found\n  - " + line


def _many(*lines: str) -> str:
    return f"profile t.toml: {len(lines)} problems found\n" + "\n".join(f"  - {x}" for x in lines)


def _rule(old: str) -> str:
    return HEAD + COLS.replace('record_id = "ID"', old)


PROFILE_CASES = {
    "not TOML": (HEAD + COLS + "x = [\n", _one(
        "profile t.toml: the profile is not valid TOML (Invalid value (at end of document)). "
        "Fix: correct the syntax (strings in quotes, one key per line)")),
    "unknown section": (HEAD + COLS + "\n[extra]\na = 1\n", _one(
        "profile t.toml line 19: column 'extra' is not a section of a profile. Fix: use only "
        "[aggregate], [columns], [profile], [recodes], [source]")),
    "unknown profile key": (HEAD.replace('name = "t"', 'name = "t"\nauthor = "x"') + COLS, _one(
        "profile t.toml line 3: column 'author' is not a key of [profile]. Fix: use only "
        "description, documents, name, personal, same_names, table, unconfirmed, version")),
    "unknown table": (HEAD.replace('"participation"', '"participations"') + COLS, _one(
        "profile t.toml line 3: column 'table' names no contract table ('participations'). "
        "Fix: table must be one of registry, survey, participation, villages, rollout "
        "(did you mean 'participation'?)")),
    # bug fixed in this round: the hint was "did you mean 'registry_raw'?" to a profile that
    # says registry_raw (a raw registry is mapped with table = "registry", then pseudonymised)
    "registry_raw table": (HEAD.replace('"participation"', '"registry_raw"') + COLS, _one(
        "profile t.toml line 3: column 'table' names no contract table ('registry_raw'). "
        "Fix: table must be one of registry, survey, participation, villages, rollout "
        "(did you mean 'registry'?)")),
    "no table": (HEAD.replace('table = "participation"\n', '') + COLS, _one(
        "profile t.toml line 1: column 'table' names no contract table (''). "
        "Fix: table must be one of registry, survey, participation, villages, rollout")),
    "unknown source key": (HEAD.replace('file = "*.csv"', 'file = "*.csv"\nsheets = "a"') + COLS,
                           _one("profile t.toml line 8: column 'sheets' is not a key of "
                                "[[source]]. Fix: use only encoding, file, header_row, id, join, "
                                "level, required, sheet, stack")),
    "no file pattern": (HEAD.replace('file = "*.csv"\n', '') + COLS, _one(
        "profile t.toml line 5: column 'main' has no 'file' pattern. Fix: give the file name "
        "pattern, e.g. file = \"kor_{year}.csv\"")),
    "header_row 0": (HEAD.replace('file = "*.csv"', 'file = "*.csv"\nheader_row = 0') + COLS,
                     _one("profile t.toml line 8: column 'main' has header_row 0. Fix: "
                          "header_row is the 1-based row of the column names (1 = first row)")),
    "header_row true": (HEAD.replace('file = "*.csv"', 'file = "*.csv"\nheader_row = true') + COLS,
                        _one("profile t.toml line 8: column 'main' has header_row True. Fix: "
                             "header_row is the 1-based row of the column names (1 = first row)")),
    "header_row text": (HEAD.replace('file = "*.csv"', 'file = "*.csv"\nheader_row = "2"') + COLS,
                        _one("profile t.toml line 8: column 'main' has header_row '2'. Fix: "
                             "header_row is the 1-based row of the column names (1 = first row)")),
    "unknown level": (HEAD.replace('file = "*.csv"', 'file = "*.csv"\nlevel = "people"') + COLS,
                      _one("profile t.toml line 8: column 'main' has level 'people'. Fix: level "
                           "is 'household', 'person' or 'record'")),
    "no source": ('[profile]\nname = "t"\ntable = "participation"\n\n' + COLS, _one(
        "profile t.toml: the profile declares no [[source]] file. Fix: add a [[source]] table "
        "with at least id and file")),
    "source id twice": (HEAD + '[[source]]\nid = "main"\nfile = "b.csv"\njoin = ["ID"]\n\n' + COLS,
                        _many("profile t.toml line 5: column 'main' is declared twice as a source "
                              "id. Fix: give each source its own id",
                              "profile t.toml line 9: column 'main' is declared twice as a source "
                              "id. Fix: give each source its own id")),
    "second source without join": (
        HEAD + '[[source]]\nid = "second"\nfile = "b.csv"\n\n' + COLS, _one(
            "profile t.toml line 9: column 'second' is a second source without 'join'. Fix: say "
            "which key columns join it to 'main', e.g. join = [\"URUT\"]")),
    "recode not a table": (HEAD + COLS + '\n[recodes]\nx = 1\n', _one(
        "profile t.toml line 20: column 'x' is not a table. Fix: write [recodes.x.codes] with "
        "\"code\" = \"value\" lines")),
    "unknown recode key": (HEAD + COLS + '\n[recodes.x]\ncode = {a = "b"}\n', _one(
        "profile t.toml line 20: column 'code' is not a key of [recodes.x]. Fix: use only "
        "codes, from, ignore_case, reference, to")),
    "unknown reference": (HEAD + COLS + '\n[recodes.x]\nreference = "villagez"\nfrom = "a"\n'
                          'to = "b"\n', _one(
                              "profile t.toml line 20: column 'x' names a reference table or "
                              "columns that do not exist ('villagez': 'a' -> 'b'). Fix: reference "
                              "= \"villages\" with from/to among its columns, e.g. from = "
                              "\"bps_code_2018\", to = \"kemendagri_code\"")),
    "unknown reference column": (HEAD + COLS + '\n[recodes.x]\nreference = "villages"\n'
                                 'from = "name"\nto = "kode"\n', _one(
                                     "profile t.toml line 20: column 'x' names a reference table "
                                     "or columns that do not exist ('villages': 'name' -> "
                                     "'kode'). Fix: reference = \"villages\" with from/to among "
                                     "its columns, e.g. from = \"bps_code_2018\", to = "
                                     "\"kemendagri_code\"")),
    "unknown aggregate key": (HEAD + COLS + AGG + 'size = 1\n', _one(
        "profile t.toml line 23: column 'size' is not a key of [aggregate]. Fix: use only age, "
        "counts, head, household, source")),
    "bad count rule": (HEAD + COLS + AGG + '[aggregate.counts]\nn_children = "umur < 15"\n', _many(
        "profile t.toml line 24: column 'n_children' has count rule 'umur < 15'. Fix: a count is "
        "\"all\", \"age < 15\", \"age >= 65\" (<, <=, >, >=)",
        "profile t.toml line 19: column 'age' is needed by an age count. Fix: name the age "
        "column: age = \"R407\"")),
    "age count without age": (HEAD + COLS + AGG + '[aggregate.counts]\nn_children = "age < 15"\n',
                              _one("profile t.toml line 19: column 'age' is needed by an age "
                                   "count. Fix: name the age column: age = \"R407\"")),
    "aggregate of an unknown source": (HEAD + COLS + AGG.replace('"main"', '"other"'), _one(
        "profile t.toml line 20: column 'other' is not a declared source. Fix: use one of "
        "['main']")),
    "aggregate without household": (HEAD + COLS + '\n[aggregate]\nsource = "main"\n', _one(
        "profile t.toml line 19: column 'household' needs the household id and the head rule. "
        "Fix: household = [\"URUT\"] and head = { column = \"R403\", value = \"1\" }")),
    "aggregate without head": (HEAD + COLS + '\n[aggregate]\nsource = "main"\n'
                               'household = ["URUT"]\n', _one(
                                   "profile t.toml line 19: column 'household' needs the "
                                   "household id and the head rule. Fix: household = [\"URUT\"] "
                                   "and head = { column = \"R403\", value = \"1\" }")),
    "person rows without aggregate": (
        HEAD.replace('file = "*.csv"', 'file = "*.csv"\nlevel = "person"') + COLS, _one(
            "profile t.toml line 5: column 'main' has person rows but no [aggregate] for them. "
            "Fix: add [aggregate] with source = \"main\"")),
    "unknown target": (HEAD + COLS + 'amount = "X"\n', _one(
        "profile t.toml line 18: column 'amount' is not a column of the participation contract. "
        "Fix: did you mean 'amount_rp'? targets are the contract's columns (record_id, "
        "family_id, village_code, partner, component, unit, …; docs/ARCHITECTURE.md)")),
    "unknown target, nothing close": (HEAD + COLS + 'zzz = "X"\n', _one(
        "profile t.toml line 18: column 'zzz' is not a column of the participation contract. "
        "Fix: targets are the contract's columns (record_id, family_id, village_code, partner, "
        "component, unit, …; docs/ARCHITECTURE.md)")),
    "rule of another type": (_rule('record_id = 5'), _many(
        "profile t.toml line 10: column 'record_id' has a rule that is neither a column name nor "
        "a table. Fix: write record_id = \"Source header\" or record_id = { from = \"…\" }",
        "profile t.toml line 9: column 'record_id' is required by the participation contract "
        "but not mapped. Fix: " + FIX_MISSING)),
    "unknown rule key": (_rule('record_id = { from = "ID", pase = "text" }'), _one(
        "profile t.toml line 10: column 'record_id' uses the unknown key 'pase'. Fix: did you "
        "mean 'parse'? rule keys are divide, file, format, from, lookup, multiply, na, pad, "
        "parse, pseudonymise, recode, sep, slice, target, unit, value")),
    "unknown rule key, nothing close": (_rule('record_id = { from = "ID", qq = 1 }'), _one(
        "profile t.toml line 10: column 'record_id' uses the unknown key 'qq'. Fix: rule keys "
        "are divide, file, format, from, lookup, multiply, na, pad, parse, pseudonymise, recode, "
        "sep, slice, target, unit, value")),
    "two inputs": (_rule('record_id = { from = "ID", value = 1 }'), _many(
        "profile t.toml line 10: column 'record_id' needs exactly one input. Fix: give one of "
        "from = \"Header\", target = \"other_column\", value = …, file = \"year\"",
        "profile t.toml line 9: column 'record_id' is required by the participation contract "
        "but not mapped. Fix: " + FIX_MISSING)),
    "unknown parser": (_rule('record_id = { from = "ID", parse = "txt" }'), _one(
        "profile t.toml line 10: column 'record_id' uses the unknown parser 'txt'. Fix: parse is "
        "one of text, number, decimal_comma, rupiah, date, date_id")),
    "unknown unit": (_rule('record_id = { from = "ID", unit = "ribu" }'), _one(
        "profile t.toml line 10: column 'record_id' uses the unknown unit 'ribu'. Fix: unit is "
        "one of rp, thousand_rp, million_rp, weekly_to_monthly, yearly_to_monthly, "
        "percent_to_share (or multiply = <number>)")),
    "undefined recode, none defined": (_rule('record_id = { from = "ID", recode = "r" }'), _one(
        "profile t.toml line 10: column 'record_id' uses the recode 'r', which is not defined. "
        "Fix: add [recodes.r.codes] or use one of (none defined)")),
    "undefined recode": (_rule('record_id = { from = "ID", recode = "r" }')
                         + '\n[recodes.q]\ncodes = {a = "b"}\n\n[recodes.s]\ncodes = {}\n', _one(
                             "profile t.toml line 10: column 'record_id' uses the recode 'r', "
                             "which is not defined. Fix: add [recodes.r.codes] or use one of "
                             "q, s")),
    "divided by a later column": (_rule('record_id = { from = "ID", divide = "amount_rp" }'), _one(
        "profile t.toml line 10: column 'record_id' is divided by 'amount_rp', which is not "
        "mapped above it. Fix: map 'amount_rp' earlier in [columns]")),
    "made from a later column": (_rule('record_id = { target = "amount_rp" }'), _one(
        "profile t.toml line 10: column 'record_id' is made from 'amount_rp', which is not "
        "mapped above it. Fix: map 'amount_rp' earlier in [columns]")),
    "file other than year": (_rule('record_id = { file = "month" }'), _one(
        "profile t.toml line 10: column 'record_id' uses file = 'month'. Fix: file = \"year\" "
        "takes the year from the file name ({year} in the pattern)")),
    "unknown lookup": (_rule('record_id = { from = "ID", lookup = "zonez" }'), _one(
        "profile t.toml line 10: column 'record_id' looks up {'reference': 'villages', 'key': "
        "'kemendagri_code', 'value': 'zonez'}, which the reference does not have. Fix: lookup = "
        "\"zone\" (villages by kemendagri_code) or a table { reference = \"villages\", key = …, "
        "value = … }")),
    "lookup key missing": (_rule('record_id = { from = "ID", lookup = { value = "zone" } }'), _one(
        "profile t.toml line 10: column 'record_id' looks up {'value': 'zone'}, which the "
        "reference does not have. Fix: lookup = \"zone\" (villages by kemendagri_code) or a "
        "table { reference = \"villages\", key = …, value = … }")),
    "lookup of an unknown reference": (
        _rule('record_id = { from = "ID", lookup = { reference = "desa", key = "a", '
              'value = "b" } }'), _one(
            "profile t.toml line 10: column 'record_id' looks up {'reference': 'desa', 'key': "
            "'a', 'value': 'b'}, which the reference does not have. Fix: lookup = \"zone\" "
            "(villages by kemendagri_code) or a table { reference = \"villages\", key = …, "
            "value = … }")),
    "two columns not mapped": (
        HEAD + COLS.replace('record_id = "ID"\n', '').replace(
            'amount_rp = { from = "Jumlah", parse = "rupiah" }\n', ''), _one(
            "profile t.toml line 9: column 'record_id, amount_rp' are required by the "
            "participation contract but not mapped. Fix: " + FIX_MISSING)),
    "one column not mapped": (HEAD + COLS.replace('record_id = "ID"\n', ''), _one(
        "profile t.toml line 9: column 'record_id' is required by the participation contract "
        "but not mapped. Fix: " + FIX_MISSING)),
}


@pytest.mark.parametrize("case", list(PROFILE_CASES))
def test_profile_problem_messages_word_for_word(tmp_path, case):
    text, want = PROFILE_CASES[case]
    p = tmp_path / "t.toml"
    p.write_text(text)
    with pytest.raises(SchemaError) as e:
        load_profile(p)
    assert str(e.value) == want
    assert e.value.table == "profile t.toml"
    assert len(e.value.problems) == int(want.split(": ", 1)[1].split(" ")[0])


# -- applying a profile -----------------------------------------------------------------------

KOR_2024 = ("URUT,Nama Desa,Umur,Hub,Belanja,Tgl\n"
            "1,A,40,1,\"1.250,5\",15 Juli 2024\n"
            "1,A,10,2,7,3 Agt 2023\n"
            "2,B,70,1,Rp 2.000,\n"
            "2,B,15,3,-,\n"
            "3,C,65,1,12,01 Desember 2024\n"
            "3,C,14,4,1,\n")
KOR_2023 = "URUT,Nama Desa,Umur,Hub,Belanja,Tgl\n9,Z,20,1,5,\n"
# rollout is a small contract; its columns here carry whatever the rules make (map_files does
# not validate)
PERSONS = '''[profile]
name = "t"
table = "rollout"

[[source]]
id = "kor"
file = "kor_{year}.csv"
level = "person"

[aggregate]
source = "kor"
household = ["URUT"]
head = { column = "Hub", value = "1" }
age = "Umur"

[aggregate.counts]
n_all = "all"
n_kids = "age < 15"
n_old = "age >= 65"
n_le = "age <= 15"
n_gt = "age > 14"

[columns]
village_code = { from = ["Nama Desa", "URUT"], sep = "-", pad = [0, 3] }
kec_code = { from = "Belanja", parse = "rupiah", unit = "thousand_rp" }
zone = { from = "Tgl", parse = "date_id" }
component = { from = ["n_all", "n_kids", "n_old", "n_le", "n_gt"], sep = "/" }
first_year = { file = "year" }
cohort = { from = "Umur", parse = "number", divide = "first_year" }
'''


def _persons(tmp_path, profile=PERSONS, k2024=KOR_2024):
    (tmp_path / "kor_2024.csv").write_text(k2024)
    (tmp_path / "kor_2023.csv").write_text(KOR_2023)
    p = tmp_path / "t.toml"
    p.write_text(profile)
    return sorted(tmp_path.glob("kor_*.csv"), reverse=True), p


def test_person_rows_aggregate_waves_and_value_rules_by_hand(tmp_path):
    paths, p = _persons(tmp_path)
    m = map_files(paths, p)
    d = m.data
    # waves in year order (2023 first although passed last); one row per household: its head
    assert list(d.columns) == ["village_code", "kec_code", "zone", "component", "first_year",
                               "cohort"]
    assert list(m.rows) == ["kor_2023.csv row 2", "kor_2024.csv row 2", "kor_2024.csv row 4",
                            "kor_2024.csv row 6"]
    # two source columns joined by sep, the second zero-padded to 3
    assert d["village_code"].tolist() == ["Z-009", "A-001", "B-002", "C-003"]
    # rupiah (',' decimal, '.' thousands, 'Rp ' prefix) x 1000 (thousand_rp)
    assert d["kec_code"].tolist() == [5000.0, 1250500.0, 2000000.0, 12000.0]
    # Indonesian dates: '15 Juli 2024', '01 Desember 2024'; empty cells stay missing
    assert d["zone"].tolist() == [None, "2024-07-15", None, "2024-12-01"]
    # counts per household (ages 20 | 40, 10 | 70, 15 | 65, 14):
    # all / <15 / >=65 / <=15 / >14
    assert d["component"].tolist() == ["1/0/0/0/1", "2/1/0/1/1", "2/0/1/1/2", "2/1/1/1/1"]
    assert d["first_year"].tolist() == [2023, 2024, 2024, 2024]
    assert d["first_year"].dtype == np.int64
    # the head's age divided by another mapped column
    np.testing.assert_allclose(d["cohort"], [20 / 2023, 40 / 2024, 70 / 2024, 65 / 2024],
                               rtol=1e-15)
    sha = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in paths}
    assert m.files == [
        {"file": "kor_2023.csv", "source": "kor", "format": "csv", "sha256": sha["kor_2023.csv"],
         "rows": 1},
        {"file": "kor_2024.csv", "source": "kor", "format": "csv", "sha256": sha["kor_2024.csv"],
         "rows": 6}]
    assert m.provenance() == {"files": m.files, "profile": "t", "profile_file": "t.toml",
                              "profile_sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
    assert m.profile.aggregate.counts["n_kids"] == "age < 15"


def test_aggregation_problems_name_the_rows(tmp_path):
    # household 1 gets a second head, household 3 none; a missing age in household 2
    bad = (KOR_2024.replace("1,A,10,2,", "1,A,10,1,").replace("3,C,65,1,", "3,C,65,9,"))
    paths, p = _persons(tmp_path, k2024=bad)
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _one(
        "profile t.toml line 10: column 'Hub' does not give exactly one head (Hub = 1) in 2 "
        "household(s) of kor_2024.csv: 4 rows (e.g. kor_2024.csv row 2, kor_2024.csv row 3, "
        "kor_2024.csv row 6, kor_2024.csv row 7). Fix: each household needs one head row; "
        "check the relationship codes of these rows")
    paths, p = _persons(tmp_path, k2024=KOR_2024.replace("2,B,15,3,", "2,B,,3,")
                        .replace("3,C,14,4,", "3,C,empat belas,4,"))
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _one(
        "profile t.toml line 10: column 'Umur' has missing or non-numeric ages in kor_2024.csv: "
        "2 rows (e.g. kor_2024.csv row 5, kor_2024.csv row 7). Fix: every member needs an age "
        "in years to count children and elderly")
    paths, p = _persons(tmp_path, profile=PERSONS.replace('age = "Umur"', 'age = "Umr"')
                        .replace('household = ["URUT"]', 'household = ["URUTAN", "Desa X"]'))
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    # both waves: each file reports its own missing columns (3 each); 'Desa X' is too far
    # from every header for a suggestion (difflib cutoff 0.6)
    lines = [f"profile t.toml line 10: column '{c}' is named in [aggregate] but {f} has no such "
             f"column. Fix: {hint}check the header row and the column names"
             for f in ("kor_2023.csv", "kor_2024.csv")
             for c, hint in (("URUTAN", "did you mean 'URUT'? "), ("Desa X", ""),
                             ("Umr", "did you mean 'Umur'? "))]
    assert str(e.value) == _many(*lines)


def test_two_household_keys_and_an_all_count_without_ages(tmp_path):
    prof = PERSONS.replace('household = ["URUT"]', 'household = ["URUT", "Nama Desa"]').replace(
        'age = "Umur"\n', '').replace(
        'n_kids = "age < 15"\nn_old = "age >= 65"\nn_le = "age <= 15"\nn_gt = "age > 14"\n', '')
    prof = prof.replace('component = { from = ["n_all", "n_kids", "n_old", "n_le", "n_gt"], '
                        'sep = "/" }', 'component = { from = "n_all" }')
    # household 1 of village A and household 1 of village Q are two households
    data = KOR_2024 + "1,Q,50,1,3,\n"
    paths, p = _persons(tmp_path, profile=prof, k2024=data)
    d = map_files(paths, p).data
    assert d["village_code"].tolist() == ["Z-009", "A-001", "B-002", "C-003", "Q-001"]
    assert d["component"].astype(str).tolist() == ["1", "2", "2", "2", "1"]


# two sources joined on ID; village codes and zones from data/reference/pangkep/villages.csv
# (73.10.01.1001 Sapuka and 73.10.01.2002 Sabaru, both zone "island")
RT = "ID,KK,Desa,Kode\n1,k1,A,73.10.01.1001\n2,k2,B,73.10.01.2002\n3,k3,C,73.10.01.2002\n"
KP = ("ID,Jumlah,Mulai,Jenis\n1,\"1.000,5\",2024-01-05,a\n2,2.000,2024-02-03,b\n"
      "3,7,2024-03-01,A\n")
JOINED = '''[profile]
name = "t"
table = "participation"

[[source]]
id = "rt"
file = "rt_{year}.csv"

[[source]]
id = "kp"
file = "kp_{year}.csv"
join = ["ID"]

[columns]
record_id = "ID"
family_id = "KK"
village_code = { from = "Kode", lookup = "zone" }
partner = { value = "p" }
component = { from = "Jenis", recode = "jenis" }
unit = { value = 1 }
start_date = { from = "Mulai", parse = "date" }
amount_rp = { from = "Jumlah", parse = "decimal_comma" }

[recodes.jenis]
codes = { a = "training", b = "" }
ignore_case = true
'''


def _joined(tmp_path, rt=RT, kp=KP, profile=JOINED):
    (tmp_path / "rt_2024.csv").write_text(rt)
    (tmp_path / "kp_2024.csv").write_text(kp)
    p = tmp_path / "t.toml"
    p.write_text(profile)
    return [tmp_path / "rt_2024.csv", tmp_path / "kp_2024.csv"], p


def test_join_lookup_recode_and_constants_by_hand(tmp_path):
    paths, p = _joined(tmp_path)
    d = map_files(paths[::-1], p).data
    assert d["record_id"].tolist() == ["1", "2", "3"]
    assert d["village_code"].tolist() == ["island", "island", "island"]
    # ignore_case: 'A' is listed as 'a'; an empty value "" means missing
    assert d["component"].tolist() == ["training", None, "training"]
    assert d["unit"].tolist() == [1, 1, 1]
    assert d["partner"].tolist() == ["p", "p", "p"]
    assert d["start_date"].tolist() == ["2024-01-05", "2024-02-03", "2024-03-01"]
    # decimal comma: '1.000,5' -> 1000.5, '2.000' -> 2000 (the '.' groups thousands)
    assert d["amount_rp"].tolist() == [1000.5, 2000.0, 7.0]
    # without ignore_case 'A' is an unlisted code
    paths, p = _joined(tmp_path, profile=JOINED.replace("ignore_case = true\n", ""))
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _one(
        "profile t.toml line 24: column 'component' meets code(s) of 'Jenis' that "
        "[recodes.jenis] does not list ('A'): 1 row (e.g. rt_2024.csv row 4). Fix: add them to "
        "[recodes.jenis.codes] (\"code\" = \"value\"; an empty value \"\" means missing)")


def test_join_problems_name_the_files_and_rows(tmp_path):
    paths, p = _joined(tmp_path, kp=KP.replace("3,7,", "2,7,"))
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _one(
        "profile t.toml line 9: column 'ID' repeats key values in kp_2024.csv: 2 rows (e.g. "
        "kp_2024.csv row 3, kp_2024.csv row 4). Fix: the joined file must hold one row per key")
    paths, p = _joined(tmp_path, kp=KP.replace("3,7,", "5,7,"))
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _many(
        "profile t.toml line 9: column 'ID' finds no kp row for rows of rt_2024.csv: 1 row (e.g. "
        "rt_2024.csv row 4). Fix: every rt row needs its kp row (same key); check that both "
        "files come from the same round",
        "profile t.toml line 9: column 'ID' has rows in kp_2024.csv with no rt row: 1 row (e.g. "
        "kp_2024.csv row 4). Fix: drop them in a cleaned copy or pass the matching rt file")
    paths, p = _joined(tmp_path, kp=KP.replace("ID,", "NO,"))
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _one(
        "profile t.toml line 12: column 'kp' joins on ['ID'], which kp_2024.csv or rt_2024.csv "
        "lacks. Fix: name key columns present in both files")
    # two key columns: joined on both (ID 1 + KK k1 ...)
    two = JOINED.replace('join = ["ID"]', 'join = ["ID", "KK"]')
    kp2 = "ID,KK,Jumlah,Mulai,Jenis\n1,k1,5,2024-01-05,a\n2,k9,6,2024-02-03,b\n3,k3,7,2024-03-01,a\n"
    paths, p = _joined(tmp_path, kp=kp2, profile=two)
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _many(
        "profile t.toml line 9: column 'ID+KK' finds no kp row for rows of rt_2024.csv: 1 row "
        "(e.g. rt_2024.csv row 3). Fix: every rt row needs its kp row (same key); check that "
        "both files come from the same round",
        "profile t.toml line 9: column 'ID+KK' has rows in kp_2024.csv with no rt row: 1 row "
        "(e.g. kp_2024.csv row 3). Fix: drop them in a cleaned copy or pass the matching rt file")


def test_file_assignment_problems(tmp_path):
    paths, p = _joined(tmp_path)
    (tmp_path / "x.csv").write_text("a\n1\n")
    with pytest.raises(SchemaError) as e:
        map_files([*paths, tmp_path / "x.csv"], p)
    assert str(e.value) == _one(
        "profile t.toml line 5: column 'file' patterns 'rt_{year}.csv', 'kp_{year}.csv' match no "
        "part of the file name 'x.csv'. Fix: rename the copy of the file or adapt 'file' in "
        "[[source]]")
    with pytest.raises(SchemaError) as e:
        map_files([paths[0]], p)
    assert str(e.value) == _one(
        "profile t.toml line 9: column 'kp' has no file for 2024 (pattern 'kp_{year}.csv'). "
        "Fix: pass the kp file too")
    (tmp_path / "rt_2023.csv").write_text(RT)
    with pytest.raises(SchemaError) as e:
        map_files([*paths, tmp_path / "rt_2023.csv", tmp_path / "rt_2023.csv"], p)
    assert str(e.value) == _many(
        "profile t.toml line 5: column 'rt' matches two files of 2023: rt_2023.csv, "
        "rt_2023.csv. Fix: pass one file per source and wave ({year} in the pattern), or set "
        "stack = true to stack files of one layout",
        "profile t.toml line 9: column 'kp' has no file for 2023 (pattern 'kp_{year}.csv'). "
        "Fix: pass the kp file too")
    with pytest.raises(ParameterError) as e:
        map_files([], p)
    assert str(e.value) == ("The 'paths' parameter of map_files must name at least one file. "
                            "Got an empty sequence instead.")
    # one pattern: no plural; a pattern without {year}: no wave in the messages
    one = '[profile]\nname = "t"\ntable = "villages"\nsame_names = true\n\n[[source]]\nid = "v"\nfile = "v.csv"\n'
    (tmp_path / "one.toml").write_text(one)
    (tmp_path / "v.csv").write_text("kemendagri_code\n1\n")
    with pytest.raises(SchemaError) as e:
        map_files([tmp_path / "v.csv", tmp_path / "V.CSV", tmp_path / "w.csv"], tmp_path / "one.toml")
    assert str(e.value) == (
        "profile one.toml: 2 problems found\n"
        "  - profile one.toml line 6: column 'v' matches two files: v.csv, V.CSV. Fix: pass one "
        "file per source and wave ({year} in the pattern), or set stack = true to stack files of "
        "one layout\n"
        "  - profile one.toml line 6: column 'file' pattern 'v.csv' match no part of the file "
        "name 'w.csv'. Fix: rename the copy of the file or adapt 'file' in [[source]]")


A_CSV = ("ID,NIK,Kode,Belanja,Kg,Pct\n"
         "1,7310010101900001,c1,10,\"2,5\",50\n"
         "2,7310010101900002,c2,x,-,0\n"
         "3,7310010101900003,c3,20,3,25\n"
         "4,7310010101900004,c4,n/a,4,10\n"
         "5,5,c5,1,0,1\n6,6,c6,1,1,1\n7,7,c7,1,1,1\n8,8,c8,1,1,1\n")
RULES = '''[profile]
name = "t"
table = "rollout"
personal = ["NIK"]

[[source]]
id = "a"
file = "a.csv"

[columns]
village_code = { from = "Kode", slice = [1, 2] }
kec_code = { from = "a:ID" }
zone = { value = 2.5 }
component = { from = "Belanja", unit = "weekly_to_monthly", na = ["x", "n/a"] }
first_year = { from = "Kg", parse = "decimal_comma", multiply = 2, na = ["-"] }
cohort = { from = "Pct", unit = "percent_to_share", divide = "first_year" }

[recodes.r]
codes = { c1 = "x" }
'''


def _rules(tmp_path, profile):
    (tmp_path / "a.csv").write_text(A_CSV)
    (tmp_path / "t.toml").write_text(profile)
    return tmp_path / "a.csv", tmp_path / "t.toml"


def test_units_multiply_divide_na_slice_by_hand(tmp_path):
    d = map_files(*_rules(tmp_path, RULES)).data
    # slice [1, 2] of 'c1' ... 'c8': the second character
    assert d["village_code"].tolist() == [str(i) for i in range(1, 9)]
    assert d["kec_code"].tolist() == [str(i) for i in range(1, 9)]   # 'a:ID': source-qualified
    assert d["zone"].tolist() == [2.5] * 8
    # weekly -> monthly: x 30 / 7; 'x' and 'n/a' declared missing
    np.testing.assert_allclose(d["component"], [300 / 7, np.nan, 600 / 7, np.nan] + [30 / 7] * 4,
                               rtol=1e-15)
    # '2,5' -> 2.5, x 2; '-' declared missing
    np.testing.assert_allclose(d["first_year"], [5, np.nan, 6, 8, 0, 2, 2, 2])
    # percent -> share, divided by first_year; a zero or missing denominator gives missing
    np.testing.assert_allclose(d["cohort"], [0.5 / 5, np.nan, 0.25 / 6, 0.1 / 8, np.nan,
                                             0.01 / 2, 0.01 / 2, 0.01 / 2], rtol=1e-15)
    assert UNITS == {"rp": 1.0, "thousand_rp": 1000.0, "million_rp": 1_000_000.0,
                     "weekly_to_monthly": 30.0 / 7.0, "yearly_to_monthly": 1.0 / 12.0,
                     "percent_to_share": 0.01}
    assert PARSERS == ("text", "number", "decimal_comma", "rupiah", "date", "date_id")


def test_value_problems_quote_values_but_never_personal_ones(tmp_path):
    # personal columns reach a table only pseudonymised (a plain mapping is refused when the
    # profile is read, test_map_cli_pinned.py): their problems before hashing quote nothing
    prof = RULES.replace('village_code = { from = "Kode", slice = [1, 2] }',
                         'village_code = { from = "NIK", parse = "date", pseudonymise = true }'
                         ).replace(
        'kec_code = { from = "a:ID" }', 'kec_code = { from = "Kode", recode = "r" }').replace(
        'zone = { value = 2.5 }', 'zone = { from = "NIK", recode = "r", pseudonymise = true }'
        ).replace(', na = ["x", "n/a"]', '')
    with pytest.raises(SchemaError) as e:
        map_files(*_rules(tmp_path, prof), demo=True)
    eg5 = "a.csv row 2, a.csv row 3, a.csv row 4, a.csv row 5, a.csv row 6, …"
    assert str(e.value) == _many(
        f"profile t.toml line 11: column 'village_code' cannot parse 8 value(s) of 'NIK' as "
        f"date: 8 rows (e.g. {eg5}). Fix: check the values or change parse (one of text, number, "
        "decimal_comma, rupiah, date, date_id)",
        "profile t.toml line 18: column 'kec_code' meets code(s) of 'Kode' that [recodes.r] does "
        "not list ('c2', 'c3', 'c4', 'c5', 'c6', 'c7', …): 7 rows (e.g. a.csv row 3, a.csv row "
        "4, a.csv row 5, a.csv row 6, a.csv row 7, …). Fix: add them to [recodes.r.codes] "
        "(\"code\" = \"value\"; an empty value \"\" means missing)",
        f"profile t.toml line 18: column 'zone' meets code(s) of 'NIK' that [recodes.r] does not "
        f"list (8 distinct value(s)): 8 rows (e.g. {eg5}). Fix: add them to [recodes.r.codes] "
        "(\"code\" = \"value\"; an empty value \"\" means missing)",
        "profile t.toml line 14: column 'component' has 2 non-numeric value(s) to convert: 2 rows "
        "(e.g. a.csv row 3, a.csv row 5). Fix: add parse = \"rupiah\" / \"decimal_comma\" / "
        "\"number\"")
    # a non-personal column's unparsable values are quoted (at most 4, then …)
    prof2 = RULES.replace('village_code = { from = "Kode", slice = [1, 2] }',
                          'village_code = { from = "Kode", parse = "number" }')
    with pytest.raises(SchemaError) as e:
        map_files(*_rules(tmp_path, prof2))
    assert str(e.value) == _one(
        "profile t.toml line 11: column 'village_code' cannot parse 8 value(s) of 'Kode' as "
        f"number ('c1', 'c2', 'c3', 'c4', …): 8 rows (e.g. {eg5}). Fix: check the values or "
        "change parse (one of text, number, decimal_comma, rupiah, date, date_id)")


def test_missing_source_columns_and_year_without_pattern(tmp_path):
    prof = RULES.replace('kec_code = { from = "a:ID" }', 'kec_code = { from = "IDD" }').replace(
        'zone = { value = 2.5 }', 'zone = { file = "year" }')
    with pytest.raises(SchemaError) as e:
        map_files(*_rules(tmp_path, prof))
    assert str(e.value) == _many(
        "profile t.toml line 12: column 'kec_code' is mapped from 'IDD', which the file has not: "
        "8 rows (e.g. a.csv row 2, a.csv row 3, a.csv row 4). Fix: did you mean 'ID'? check the "
        "header row and the spelling of the source column",
        "profile t.toml line 13: column 'zone' takes the year from the file name, but the "
        "pattern has no {year}. Fix: write the main source's file pattern with {year}, e.g. "
        "\"kor_{year}.csv\"")
    prof = RULES.replace('zone = { value = 2.5 }', 'zone = { from = "b:ID" }').replace(
        'kec_code = { from = "a:ID" }', 'kec_code = { from = "a:Zzz" }')
    with pytest.raises(SchemaError) as e:
        map_files(*_rules(tmp_path, prof))
    assert str(e.value) == _many(
        "profile t.toml line 12: column 'kec_code' is mapped from 'a:Zzz', which the file has "
        "not: 8 rows (e.g. a.csv row 2, a.csv row 3, a.csv row 4). Fix: check the header row and "
        "the spelling of the source column",
        "profile t.toml line 13: column 'zone' is mapped from 'b:ID', which the file has not: "
        "8 rows (e.g. a.csv row 2, a.csv row 3, a.csv row 4). Fix: did you mean 'ID'? check the "
        "header row and the spelling of the source column")
    # a rule made from a column whose own rule failed, and a division by one: no second message
    prof = RULES.replace('kec_code = { from = "a:ID" }', 'kec_code = { from = "IDD" }').replace(
        'zone = { value = 2.5 }', 'zone = { target = "kec_code" }')
    with pytest.raises(SchemaError) as e:
        map_files(*_rules(tmp_path, prof))
    assert len(e.value.problems) == 1 and "'IDD'" in str(e.value)


# -- parsers ----------------------------------------------------------------------------------

def test_parse_rupiah_by_hand_and_a_negative_amount_keeps_its_sign():
    """Bug fixed in this round: '-Rp 1.000' (Excel's Indonesian currency format of a negative
    amount) lost its minus (the prefix pattern swallowed it) and became +1000, which the
    participation contract (amount_rp >= 0) then accepted: a silent wrong answer."""
    got = parse_rupiah(pd.Series(["-Rp 1.000", "Rp -1.000", "- Rp 2.500,5", "rp.3.000",
                                  "RP 4 000", "Rp\u00a05.000", "Rp -", "-", "", None, "Rp 1,5",
                                  "Rp 1.250.000", "Rp2.500,5", "abc", " 7 "]))
    want = [-1000.0, -1000.0, -2500.5, 3000.0, 4000.0, 5000.0, np.nan, np.nan, np.nan, np.nan,
            1.5, 1250000.0, 2500.5, np.nan, 7.0]
    np.testing.assert_array_equal(got.to_numpy(), np.array(want))
    assert got.dtype == np.float64


def test_parse_decimal_comma_number_and_dates_by_hand():
    from kassaki_eval.data.profiles import _parse_date, _parse_date_id, _parse_number
    np.testing.assert_array_equal(
        parse_decimal_comma(pd.Series(["1,5", " 2 ", "", None, "-", "1.234.567,89"])).to_numpy(),
        [1.5, 2.0, np.nan, np.nan, np.nan, 1234567.89])
    np.testing.assert_array_equal(
        _parse_number(pd.Series(["1.5", " 2 ", "", None, "x"])).to_numpy(),
        [1.5, 2.0, np.nan, np.nan, np.nan])
    ints = _parse_number(pd.Series([1, 2]))
    assert ints.dtype == np.float64 and ints.tolist() == [1.0, 2.0]
    # ISO by default; a format when given; impossible dates are missing
    assert _parse_date(pd.Series(["2024-01-05", "05-01-2024", None, "2024-02-30"]),
                       None).tolist() == ["2024-01-05", None, None, None]
    assert _parse_date(pd.Series(["05-01-2024", "2024-01-05"]), "%d-%m-%Y").tolist() == \
        ["2024-01-05", None]
    assert _parse_date(pd.Series(pd.to_datetime(["2024-01-05", None])), None).tolist() == \
        ["2024-01-05", None]
    # Indonesian month names, full or short, any case, separated by spaces, '-' or '/'
    assert _parse_date_id(pd.Series([
        "15 Juli 2024", "3-Agt-2023", "1/nov./2020", "7 Mei 24", "31 Foo 2020", None,
        "5 pebruari 2021", "05  DES  2022", "9 September 2019", "31 Februari 2021"])).tolist() == [
        "2024-07-15", "2023-08-03", "2020-11-01", None, None, None, "2021-02-05", "2022-12-05",
        "2019-09-09", None]


def test_codes_as_text():
    from kassaki_eval.data.profiles import _cell_text, _text
    import datetime
    assert _text(pd.Series([1.0, 2.5, None, " a ", "", True])).tolist() == \
        ["1", "2.5", None, "a", None, "1"]
    assert _text(pd.Series([1.0, 2.0, float("nan")])).tolist() == ["1", "2", None]
    assert _text(pd.Series([3, 4])).tolist() == ["3", "4"]
    assert _text(pd.Series([False, True])).tolist() == ["0", "1"]
    assert _text(pd.Series(["x ", None, " "], dtype="str")).tolist() == ["x", None, None]
    assert _text(pd.Series([1.0, 2.0], index=[5, 7])).index.tolist() == [5, 7]
    # object dtype, as documented (pandas 3 would otherwise infer its 'str' dtype)
    assert _text(pd.Series(["a", None], dtype="str")).dtype == object
    assert _text(pd.Series([1.0, 2.0])).dtype == object
    assert [_cell_text(v) for v in [None, "", "a", True, False, 3.0, 2.5, -4.0,
                                    7310010101900001.0, datetime.date(2024, 1, 5),
                                    datetime.datetime(2024, 1, 5, 0, 0),
                                    datetime.datetime(2024, 1, 5, 13, 30),
                                    datetime.datetime(2024, 1, 5, 0, 30), 7]] == [
        None, None, "a", "1", "0", "3", "2.5", "-4", "7310010101900001.0", "2024-01-05",
        "2024-01-05", "2024-01-05T13:30:00", "2024-01-05T00:30:00", "7"]


# -- profile fields, stacking, optional sources, several profiles -----------------------------

STACKED = ('[profile]\ntable = "villages"\nsame_names = true\ndocuments = ["a.pdf"]\n'
           'unconfirmed = "x"\npersonal = ["P"]\n\n'
           '[[source]]\nid = "v"\nfile = "v*.csv"\nstack = true\n\n'
           '[[source]]\nid = "o"\nfile = "o.csv"\njoin = ["kemendagri_code"]\nrequired = false\n')


def test_profile_fields_stacking_and_an_optional_source(tmp_path):
    (tmp_path / "vv.toml").write_text(STACKED)
    p = load_profile(tmp_path / "vv.toml")
    assert isinstance(p, Profile) and load_profile(p) is p
    # name defaults to the file's stem; lists or single strings both give tuples
    assert (p.name, p.table, p.description) == ("vv", "villages", "")
    assert (p.personal, p.documents, p.unconfirmed) == (("P",), ("a.pdf",), ("x",))
    assert p.label == "vv.toml" and p.path == tmp_path / "vv.toml"
    assert [(s.id, s.file, s.stack, s.required, s.join, s.level, s.line) for s in p.sources] == [
        ("v", "v*.csv", True, True, (), "record", 8),
        ("o", "o.csv", False, False, ("kemendagri_code",), "record", 13)]
    assert p.line_of("source", 1, "join") == 16 and p.line_of("profile", "same_names") == 3
    assert p.line_of("nothing") == 0
    # same_names: every contract column from the source column of the same name, optional
    assert [(c.target, c.source, c.optional, c.line) for c in p.columns[:2]] == [
        ("kemendagri_code", ("kemendagri_code",), True, 3), ("name", ("name",), True, 3)]
    (tmp_path / "v1.csv").write_text("kemendagri_code,name\n73.10.01.1001,Sapuka\n")
    (tmp_path / "v2.csv").write_text("kemendagri_code,name\n73.10.01.2002,Sabaru\n")
    m = map_files([tmp_path / "v1.csv", tmp_path / "v2.csv"], tmp_path / "vv.toml")
    # stacked in the order given, each row named by its own file; absent columns left out
    assert m.data.to_dict("list") == {"kemendagri_code": ["73.10.01.1001", "73.10.01.2002"],
                                      "name": ["Sapuka", "Sabaru"]}
    assert list(m.rows) == ["v1.csv row 2", "v2.csv row 2"]
    assert [f["file"] for f in m.files] == ["v1.csv", "v2.csv"]


def test_profile_paths_and_names():
    assert shipped_profiles() == sorted(p.stem for p in Path(
        __file__).resolve().parents[2].joinpath("kassaki_eval/data/profiles").glob("*.toml"))
    names = ", ".join(shipped_profiles())
    with pytest.raises(ParameterError) as e:
        load_profile("nope")
    assert str(e.value) == (f"The 'profile' parameter of load_profile must be a .toml file or a "
                            f"shipped profile ({names}). Got 'nope' instead.")
    with pytest.raises(ParameterError) as e:
        load_profile("p3kee")
    assert str(e.value) == (f"The 'profile' parameter of load_profile must be a .toml file or a "
                            f"shipped profile ({names}). Got 'p3kee' instead (did you mean "
                            f"'p3ke'?).")
    with pytest.raises(ParameterError) as e:
        load_profile("nope.TOML")
    assert str(e.value) == (f"The 'profile' parameter of load_profile must name an existing file "
                            f"or a shipped profile ({names}). Got 'nope.TOML' instead.")
    # a shipped profile by name and by path are the same profile
    assert load_profile("p3ke").sha256 == load_profile(
        Path(__file__).resolve().parents[2] / "kassaki_eval/data/profiles/p3ke.toml").sha256


def test_several_profiles_errors(tmp_path):
    (tmp_path / "vv.toml").write_text(STACKED)
    (tmp_path / "v1.csv").write_text("kemendagri_code,name\n73.10.01.1001,Sapuka\n")
    with pytest.raises(ParameterError) as e:
        load_with_profiles([])
    assert str(e.value) == ("The 'inputs' parameter of load_with_profiles must name at least "
                            "one (files, profile) pair. Got an empty sequence instead.")
    with pytest.raises(ParameterError) as e:
        load_with_profiles([([tmp_path / "v1.csv"], tmp_path / "vv.toml"),
                            ([tmp_path / "v1.csv"], "workbench_rollout")])
    assert str(e.value) == ("The 'inputs' parameter of load_with_profiles must give profiles of "
                            "one contract table. Got ['rollout', 'villages'] instead.")


def test_unreadable_files_and_header_rows_are_profile_problems(tmp_path):
    (tmp_path / "h.toml").write_text(STACKED.replace("stack = true", "stack = true\nheader_row = 9"))
    (tmp_path / "v1.csv").write_text("kemendagri_code,name\n73.10.01.1001,Sapuka\n")
    with pytest.raises(SchemaError) as e:
        map_files([tmp_path / "v1.csv"], tmp_path / "h.toml")
    assert str(e.value) == (
        "profile h.toml: 1 problem found\n  - profile h.toml line 12: column 'v' gives "
        "header_row 9 for v1.csv. Fix: The 'header_row' parameter of load_table must be a row "
        "number from 1 to 2 (1 = first row). Got 9 instead.")
    (tmp_path / "v3.csv").write_bytes(b"\x00\x01\x02PK")
    (tmp_path / "vv.toml").write_text(STACKED)
    with pytest.raises(SchemaError) as e:
        map_files([tmp_path / "v3.csv"], tmp_path / "vv.toml")
    assert str(e.value) == (
        "profile vv.toml: 1 problem found\n  - profile vv.toml line 10: column 'v' matched "
        "v3.csv, which cannot be read. Fix: v3.csv is not what its name says: the extension "
        "'.csv' claims CSV text, but the content is unrecognised binary data. Fix: export it "
        "again as CSV UTF-8 or .xlsx; the raw file is left as it is.")


def test_line_numbers_of_keys_and_tables():
    from kassaki_eval.data.profiles import _Lines
    text = ('[profile]   # head\nname = "x"\n"quoted key" = 1\n\'single\' = 2\n\n'
            '[[source]]\nid = "a"\n\n[[ source ]]\nid = "b"\nsheet = "S"\n\n'
            '[columns]\na = 1\n[columns."b.c"]\nfrom = "x"\n[recodes.r.codes]\nk = "v"\n')
    lines = _Lines(text)
    # line numbers counted in the text above (1-based)
    want = {("profile",): 1, ("profile", "name"): 2, ("profile", "quoted key"): 3,
            ("profile", "single"): 4, ("source",): 6, ("source", 1): 9,
            ("source", 1, "sheet"): 11, ("source", 0, "sheet"): 6, ("source", 1, "id"): 10,
            ("source", 0, "id"): 7, ("columns", "a"): 14, ("columns", "b.c"): 15,
            ("columns", "b.c", "from"): 16, ("recodes", "r", "codes", "k"): 18,
            ("recodes", "r", "codes"): 17, ("nothing",): 0, ("columns", "zz"): 13,
            ("source", 2): 0}
    assert {k: lines.find(*k) for k in want} == want


def test_pseudonymised_rule_is_the_keyed_hmac_of_the_text(tmp_path):
    """family_id = HMAC-SHA256(key, the id as text), 'F' + first 16 hex digits (the
    pseudonymise_id contract; Python's hmac as the reference)."""
    import hmac
    prof = RULES.replace('kec_code = { from = "a:ID" }',
                         'kec_code = { from = "NIK", pseudonymise = true }')
    a, p = _rules(tmp_path, prof)
    key = "a-test-key-that-is-long-enough"
    d = map_files(a, p, key=key).data

    def h(v):
        return "F" + hmac.new(key.encode(), v.encode(), "sha256").hexdigest()[:16]
    assert d["kec_code"].tolist() == [h(f"731001010190000{i}") for i in range(1, 5)] + \
        [h(str(i)) for i in range(5, 9)]


def test_two_failing_profiles_report_together(tmp_path):
    (tmp_path / "a.toml").write_text(HEAD + COLS + "\n[extra]\na = 1\n")
    (tmp_path / "b.toml").write_text(HEAD.replace('"participation"', '"participations"') + COLS)
    (tmp_path / "x.csv").write_text("ID\n1\n")
    with pytest.raises(SchemaError) as e:
        load_with_profiles([([tmp_path / "x.csv"], tmp_path / "a.toml"),
                            ([tmp_path / "x.csv"], tmp_path / "b.toml")])
    assert str(e.value) == (
        "profile a.toml: 1 problem found\n  - profile a.toml line 19: column 'extra' is not a "
        "section of a profile. Fix: use only [aggregate], [columns], [profile], [recodes], "
        "[source]\n"
        "profile b.toml: 1 problem found\n  - profile b.toml line 3: column 'table' names no "
        "contract table ('participations'). Fix: table must be one of registry, survey, "
        "participation, villages, rollout (did you mean 'participation'?)")
    assert [p.column for p in e.value.problems] == ["extra", "table"]
    # one failing input: its own error, unchanged
    with pytest.raises(SchemaError) as e:
        load_with_profiles([([tmp_path / "x.csv"], tmp_path / "a.toml")])
    assert str(e.value).startswith("profile a.toml: 1 problem found\n") and \
        e.value.table == "profile a.toml"


def test_a_clean_mapping_is_validated_and_records_its_source(tmp_path):
    (tmp_path / "vv.toml").write_text(STACKED)
    v = pd.read_csv(Path(__file__).resolve().parents[2] / "data/reference/pangkep/villages.csv",
                    dtype=str)
    v.iloc[:60].to_csv(tmp_path / "v1.csv", index=False)
    v.iloc[60:].to_csv(tmp_path / "v2.csv", index=False)
    got = load_with_profile([tmp_path / "v1.csv", tmp_path / "v2.csv"], tmp_path / "vv.toml")
    assert len(got) == len(v) == 103
    src = got.attrs["kassaki_source"]
    sha = hashlib.sha256((tmp_path / "vv.toml").read_bytes()).hexdigest()
    assert src["table"] == "villages" and src["rows"] == 103
    assert src["profile"] == "vv" and src["profile_sha256"] == sha
    assert [(f["file"], f["rows"], f["table"], f["profile"]) for f in src["files"]] == [
        ("v1.csv", 60, "villages", "vv"), ("v2.csv", 43, "villages", "vv")]
    assert src["profiles"] == [{"profile": "vv", "profile_file": "vv.toml",
                                "profile_sha256": sha}]
    # the same files through two profiles: stacked, validated once; no top-level profile
    (tmp_path / "ww.toml").write_text(STACKED)
    two = load_with_profiles([([tmp_path / "v1.csv"], tmp_path / "vv.toml"),
                              ([tmp_path / "v2.csv"], tmp_path / "ww.toml")])
    assert len(two) == 103 and "profile" not in two.attrs["kassaki_source"]
    assert [p["profile"] for p in two.attrs["kassaki_source"]["profiles"]] == ["vv", "ww"]


# -- workbooks --------------------------------------------------------------------------------

def _workbook(path):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "A&B <1> \"q\" 'x'"       # XML-escaped in workbook.xml
    ws["C4"] = "h"
    ws["C5"] = 1
    ws["D4"] = "g"
    ws["D5"] = "t"
    wb.create_sheet("Second")["AB12"] = "z"
    wb.create_sheet("Empty")
    wb.save(path)
    return path


def test_first_used_cell_and_sheet_messages(tmp_path):
    from kassaki_eval.data import profiles as P
    from kassaki_eval.exceptions import DataFileError
    p = _workbook(tmp_path / "b.xlsx")
    assert P._first_used_cell(p, "A&B <1> \"q\" 'x'") == (4, "C")
    assert P._first_used_cell(p, "Second") == (12, "AB")
    assert P._first_used_cell(p, "Empty") is None
    assert P._first_used_cell(p, "Nope") is None
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    assert P._first_used_cell(tmp_path / "x.xlsx", "S") is None
    assert P._xml_unescape("&lt;a&gt; &quot;b&quot; &apos;c&apos; &amp;lt;") == "<a> \"b\" 'c' &lt;"
    sheets = "'A&B <1> \"q\" \\'x\\'', 'Second', 'Empty'"
    with pytest.raises(DataFileError) as e:
        P._read_xlsx(p, None, None)
    assert str(e.value) == f"b.xlsx has 3 sheets; its sheets are {sheets}. Fix: name one with sheet =."
    with pytest.raises(DataFileError) as e:
        P._read_xlsx(p, "Nope", None)
    assert str(e.value) == (f"b.xlsx has no sheet 'Nope'; its sheets are {sheets}. Fix: pass one "
                            "of these as sheet=.")
    with pytest.raises(DataFileError) as e:
        P._read_xlsx(tmp_path / "x.xlsx", None, None)
    assert str(e.value) == ("x.xlsx could not be opened as an Excel workbook (ZipError). Fix: "
                            "open it in Excel and save it again as 'Excel Workbook (.xlsx)'.")
    with pytest.raises(ParameterError) as e:
        P._read_xlsx_exact(p, "Second", 40)
    assert str(e.value) == ("The 'header_row' parameter of the profile must be a row number from "
                            "1 to 12 (1 = first row). Got 40 instead.")
    # the escaped sheet read by both readers, from its first used cell C4 (Excel rows 4, 5)
    name = "A&B <1> \"q\" 'x'"
    fast = P._read_xlsx_fast(p, name, 4, P._fast_reader(p))
    exact = P._read_xlsx_exact(p, name, 4)
    for df, rows, fmt in (fast, exact):
        assert fmt == "xlsx"
        assert list(df.columns) == ["Unnamed: 0", "Unnamed: 1", "h", "g"]
        assert df["Unnamed: 0"].isna().all() and df["Unnamed: 1"].isna().all()
        assert df["h"].tolist() == ["1"] and df["g"].tolist() == ["t"]
        assert rows.tolist() == [5]


def test_validation_errors_name_the_mapping(tmp_path):
    (tmp_path / "vv.toml").write_text(STACKED)
    (tmp_path / "ww.toml").write_text(STACKED)
    v = pd.read_csv(Path(__file__).resolve().parents[2] / "data/reference/pangkep/villages.csv",
                    dtype=str)
    v.loc[0, "zone"] = "gunung"
    v.iloc[:60].to_csv(tmp_path / "v1.csv", index=False)
    v.iloc[60:].to_csv(tmp_path / "v2.csv", index=False)
    cases = [
        ([([tmp_path / "v1.csv"], tmp_path / "vv.toml")], "vv.toml mapping of v1.csv"),
        ([([tmp_path / "v1.csv", tmp_path / "v2.csv"], tmp_path / "vv.toml")],
         "vv.toml mapping of 2 files"),
        ([([tmp_path / "v1.csv"], tmp_path / "vv.toml"),
          ([tmp_path / "v2.csv"], tmp_path / "ww.toml")], "2 profile mappings of 2 files"),
    ]
    for inputs, source in cases:
        with pytest.raises(SchemaError) as e:
            load_with_profiles(inputs)
        assert str(e.value) == (
            f"villages ({source}): 1 problem found\n  - villages: column 'zone' has values "
            "outside the allowed set ('gunung'): 1 row (e.g. 73.10.01.1001). Fix: allowed "
            "values: island, mainland")


def test_lookup_misses_name_the_values_and_rows(tmp_path):
    rt = RT.replace("3,k3,C,73.10.01.2002", "3,k3,C,x").replace("2,k2,B,73.10.01.2002",
                                                               "2,k2,B,73.10.01.9999")
    paths, p = _joined(tmp_path, rt=rt)
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == _one(
        "profile t.toml line 17: column 'village_code' finds no reference 'zone' for 2 value(s) "
        "of 'Kode' ('73.10.01.9999', 'x'): 2 rows (e.g. rt_2024.csv row 3, rt_2024.csv row 4). "
        "Fix: the values must be kemendagri_code codes of the reference")


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    from kassaki_eval.synthetic.source_shape import write_source_shape
    from kassaki_eval.synthetic.world import generate_world
    root = tmp_path_factory.mktemp("messy_pinned")
    write_source_shape(generate_world(seed=5, scale=0.02), root)
    return root


def test_a_raw_registry_is_pseudonymised_with_the_key_given(messy, monkeypatch):
    """key= is used when given (no environment variable, demo=False); the same key through
    the environment gives the same family ids, the demo key other ones."""
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    key = "a-test-key-that-is-long-enough"
    f = messy / "p3ke_pangkep.xlsx"
    got = load_with_profile(f, "p3ke", key=key)
    assert "no_kk" not in got.columns and got["family_id"].str.fullmatch(r"F[0-9a-f]{16}").all()
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", key)
    assert load_with_profile(f, "p3ke")["family_id"].tolist() == got["family_id"].tolist()
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY")
    demo = load_with_profile(f, "p3ke", demo=True)
    assert not set(demo["family_id"]) & set(got["family_id"])
    # pseudonymise=False: validated raw, no key needed
    raw = load_with_profile(f, "p3ke", pseudonymise=False)
    assert "no_kk" in raw.columns and len(raw) == len(got)


def test_first_used_cell_reads_a_sheet_id_written_without_the_r_prefix(tmp_path):
    """Some writers (and hand-edited workbooks) give `<sheet name=".." id="rId2"/>` without the
    `r:` namespace prefix: the fallback pattern finds that id (mutmut survivors
    `x__first_used_cell__mutmut_44` and `_46`, session 7)."""
    import zipfile
    from kassaki_eval.data import profiles as P
    src = _workbook(tmp_path / "b.xlsx")
    dst = tmp_path / "noprefix.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                assert b' r:id="' in data
                data = data.replace(b' r:id="', b' id="')
            zout.writestr(item, data)
    with zipfile.ZipFile(dst) as z:
        assert b' r:id="' not in z.read("xl/workbook.xml")
    assert P._first_used_cell(dst, "Second") == (12, "AB")
    assert P._first_used_cell(dst, "A&B <1> \"q\" 'x'") == (4, "C")
    assert P._first_used_cell(dst, "Empty") is None


def test_fast_reader_silences_fastexcels_all_empty_column_warning(tmp_path, caplog):
    """An all-empty column makes fastexcel log 'Could not determine dtype ...' at WARNING on
    its logger `fastexcel.types.dtype`; the fast reader raises the `fastexcel` logger to ERROR
    so that this never reaches a user's log (mutmut survivor `x__read_xlsx_fast__mutmut_20`,
    the logger's name changed, session 7)."""
    import logging
    from openpyxl import Workbook
    from kassaki_eval.data import profiles as P
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["B1"], ws["C1"] = "id", "empty", "v"
    for i in range(2, 6):
        ws.cell(row=i, column=1).value = f"x{i}"
        ws.cell(row=i, column=3).value = i
    p = tmp_path / "e.xlsx"
    wb.save(p)
    logger = logging.getLogger("fastexcel")
    old = logger.level
    logger.setLevel(logging.NOTSET)
    try:
        with caplog.at_level(logging.DEBUG):
            df, rows, fmt = P._read_xlsx_fast(p, "Data", 1, P._fast_reader(p))
        assert [r for r in caplog.records if r.name.startswith("fastexcel")] == []
        assert logger.level == logging.ERROR
    finally:
        logger.setLevel(old)
    assert list(df.columns) == ["id", "empty", "v"]
    assert df["empty"].isna().all() and df["v"].tolist() == ["2", "3", "4", "5"]
    assert rows.tolist() == [2, 3, 4, 5]
