"""Mapping profiles pinned, second file (issue 18, helper mutJ, session 10: the survivors of a
fresh seeded sample of kassaki_eval/data/profiles.py, ``--sample 120 --seed 19``).

Same conventions as test_profiles_pinned.py: every message word for word with the profile line
counted in the TOML text of the test, every mapped value written out by hand. Each test names
the mutant(s) it was written for; none of them needs a synthetic world (seconds in all).
"""
from __future__ import annotations

import pytest

from kassaki_eval.data import profiles as P
from kassaki_eval.data.profiles import map_files
from kassaki_eval.exceptions import SchemaError

# two sources joined on ID; village codes from data/reference/pangkep/villages.csv
# (73.10.01.1001 Sapuka and 73.10.01.2002 Sabaru, both zone "island")
RT = "ID,KK,Kode\n1,k1,73.10.01.1001\n2,k2,\n3,k3,73.10.01.2002\n"
KP = "ID,Jenis\n1,a\n2,\n3,B\n"
JOINED = '''[profile]
name = "t"
table = "participation"

[[source]]
id = "rt"
file = "rt.csv"

[[source]]
id = "kp"
file = "kp.csv"
join = ["ID"]

[columns]
record_id = "ID"
family_id = "KK"
village_code = { from = "Kode", lookup = { key = "kemendagri_code", value = "zone" } }
component = { from = "Jenis", recode = "jenis" }
partner = { value = "p" }
unit = { value = 1 }
start_date = { value = "2024-01-05" }
amount_rp = { value = 10 }

[recodes.jenis]
codes = { a = "training", b = "grant" }
ignore_case = true
'''


def _joined(tmp_path, rt=RT, kp=KP, profile=JOINED):
    (tmp_path / "rt.csv").write_text(rt)
    (tmp_path / "kp.csv").write_text(kp)
    (tmp_path / "t.toml").write_text(profile)
    return [tmp_path / "rt.csv", tmp_path / "kp.csv"], tmp_path / "t.toml"


def test_blank_cells_stay_missing_through_recodes_and_lookups(tmp_path):
    """An empty cell is missing, not an unlisted code: the recode and the lookup leave it
    missing and report nothing (`x__recode__mutmut_7`: the missing value factorised as a code
    of its own, 'None', and reported as unlisted). A lookup written as a table without
    `reference` looks in the villages (`x__apply_rule__mutmut_339`: no default reference)."""
    paths, p = _joined(tmp_path)
    d = map_files(paths, p).data
    assert d["record_id"].tolist() == ["1", "2", "3"]
    # row 2 has no Kode: no zone; the others are island villages (villages.csv)
    assert d["village_code"].tolist() == ["island", None, "island"]
    # 'B' is listed as 'b' (ignore_case); row 2's empty Jenis stays missing
    assert d["component"].tolist() == ["training", None, "grant"]


def test_a_workbook_fastexcel_cannot_open_is_read_cell_by_cell(tmp_path, monkeypatch):
    """When fastexcel cannot open a workbook (`_fast_reader` gives None), `_read_xlsx` takes
    the sheet names from python-calamine and reads the cells exactly; the fast reader is not
    called with no reader (`x__read_xlsx__mutmut_31`: it was, and failed on None)."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["ID", "Nilai"])
    ws.append([1, 2.5])
    ws.append([None, None])           # an empty row: dropped, its number skipped
    ws.append(["x", 3])
    p = tmp_path / "w.xlsx"
    wb.save(p)
    monkeypatch.setattr(P, "_fast_reader", lambda path: None)
    df, rows, fmt = P._read_xlsx(p, None, None)
    assert fmt == "xlsx"
    assert df.to_dict("list") == {"ID": ["1", "x"], "Nilai": ["2.5", "3"]}
    assert rows.tolist() == [2, 4]


PART = ("ID,KK,Kode,Mulai,Jumlah\n"
        "r1,3201,73.10.01.1001,2024-01-05,1000\n"
        "r2,3202,73.10.01.2002,2024-02-03,2000\n")
PART_PROFILE = '''[profile]
name = "part"
table = "participation"
description = "a test partner list"

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


def test_demo_reaches_the_mapping_of_every_profile(tmp_path, monkeypatch):
    """load_with_profiles(..., demo=True) passes demo on to map_files, so a rule with
    pseudonymise = true takes the public demo key when no key is configured
    (`x_load_with_profiles__mutmut_17`: demo=None, 'no pseudonymisation key'). family_id =
    'F' + the first 16 hex digits of HMAC-SHA256(demo key, the KK text) (Python's hmac as the
    reference). The profile's description is read from [profile] (`x_load_profile__mutmut_1307`:
    the key upper-cased, so the description was always empty)."""
    import hmac

    from kassaki_eval import config
    from kassaki_eval.data.profiles import load_profile, load_with_profiles
    monkeypatch.delenv(config.PSEUDONYM_KEY_ENV, raising=False)
    (tmp_path / "part.csv").write_text(PART)
    (tmp_path / "part.toml").write_text(PART_PROFILE)
    assert load_profile(tmp_path / "part.toml").description == "a test partner list"
    got = load_with_profiles([(tmp_path / "part.csv", tmp_path / "part.toml")], demo=True)

    def h(v):
        return "F" + hmac.new(config.DEMO_PSEUDONYM_KEY.encode(), v.encode(),
                              "sha256").hexdigest()[:16]
    assert got["family_id"].tolist() == [h("3201"), h("3202")]
    assert got["record_id"].tolist() == ["r1", "r2"]
    assert got.attrs["kassaki_source"]["profile"] == "part"


def test_a_lookup_names_its_reference_and_a_target_rule_copies_the_column(tmp_path):
    """A lookup table naming a reference that does not exist is refused even when its key and
    value are columns of the villages table (`x_load_profile__mutmut_1021`: the reference
    read from a misspelt key, so 'villages' was checked instead). A rule `target = ...` takes
    the values of the column mapped above it, here through `slice`
    (`x_load_profile__mutmut_1055`: the rule lost its `target`, so the column was left empty)."""
    (tmp_path / "part.csv").write_text(PART)
    bad = PART_PROFILE.replace(
        'village_code = "Kode"',
        'village_code = { from = "Kode", lookup = { reference = "desa", '
        'key = "kemendagri_code", value = "zone" } }')
    (tmp_path / "t.toml").write_text(bad)
    with pytest.raises(SchemaError) as e:
        P.load_profile(tmp_path / "t.toml")
    assert str(e.value) == (
        "profile t.toml: 1 problem found\n  - profile t.toml line 13: column 'village_code' "
        "looks up {'reference': 'desa', 'key': 'kemendagri_code', 'value': 'zone'}, which the "
        "reference does not have. Fix: lookup = \"zone\" (villages by kemendagri_code) or a "
        "table { reference = \"villages\", key = …, value = … }")
    ok = PART_PROFILE.replace('family_id = { from = "KK", pseudonymise = true }',
                              'family_id = { target = "record_id", slice = [1, 2] }')
    (tmp_path / "ok.toml").write_text(ok)
    d = map_files(tmp_path / "part.csv", tmp_path / "ok.toml").data
    # 'r1'[1:2] = '1', 'r2'[1:2] = '2'
    assert d["family_id"].tolist() == ["1", "2"]
    assert d["village_code"].tolist() == ["73.10.01.1001", "73.10.01.2002"]


def test_a_joined_file_without_rows_is_a_join_problem(tmp_path):
    """A joined file that holds only its header: every main row lacks its partner row, said
    once (`x__assemble__mutmut_246`: the join went on when rows were lost but none orphaned,
    and picking the partner rows of an empty file failed with an IndexError)."""
    paths, p = _joined(tmp_path, kp="ID,Jenis\n")
    with pytest.raises(SchemaError) as e:
        map_files(paths, p)
    assert str(e.value) == (
        "profile t.toml: 1 problem found\n  - profile t.toml line 9: column 'ID' finds no kp "
        "row for rows of rt.csv: 3 rows (e.g. rt.csv row 2, rt.csv row 3, rt.csv row 4). Fix: "
        "every rt row needs its kp row (same key); check that both files come from the same "
        "round")


def test_an_empty_header_row_is_a_profile_problem_not_an_empty_table(tmp_path):
    """Bug fixed (session 10): a header row that is empty in a workbook gave a table of 0
    rows without a word (the exact reader had no column names, so it dropped every row below;
    a `same_names` profile then mapped nothing). That happened for a `header_row` naming an
    empty row and, without `header_row`, for a sheet whose first row is empty. Now it is the
    source's header_row problem, naming the row, the sheet and its first row with cells."""
    from openpyxl import Workbook

    def book(first):   # a title in row `first`, an empty row, the names, the data
        wb = Workbook()
        ws = wb.active
        ws.title = "Data"
        ws.cell(row=first, column=1).value = "Judul"
        ws.cell(row=first + 2, column=1).value = "kemendagri_code"
        ws.cell(row=first + 2, column=2).value = "name"
        ws.cell(row=first + 3, column=1).value = "73.10.01.1001"
        ws.cell(row=first + 3, column=2).value = "Sapuka"
        wb.save(tmp_path / "w.xlsx")

    # lines: 6 [[source]], 9 header_row
    prof = ('[profile]\nname = "t"\ntable = "villages"\nsame_names = true\n\n'
            '[[source]]\nid = "v"\nfile = "w.xlsx"\nheader_row = 2\n')
    book(1)
    (tmp_path / "t.toml").write_text(prof)
    with pytest.raises(SchemaError) as e:
        map_files(tmp_path / "w.xlsx", tmp_path / "t.toml")
    assert str(e.value) == (
        "profile t.toml: 1 problem found\n  - profile t.toml line 9: column 'v' gives "
        "header_row 2 for w.xlsx. Fix: The 'header_row' parameter of the profile must be the "
        "row of the column names; row 2 of sheet 'Data' is empty (its first row with cells "
        "is row 1). Got 2 instead.")
    # the right row: the names of row 3, the data of row 4
    (tmp_path / "t.toml").write_text(prof.replace("header_row = 2", "header_row = 3"))
    m = map_files(tmp_path / "w.xlsx", tmp_path / "t.toml")
    assert m.data.to_dict("list") == {"kemendagri_code": ["73.10.01.1001"], "name": ["Sapuka"]}
    assert list(m.rows) == ["w.xlsx row 4"]
    # no header_row and a sheet that starts in row 2: row 1 is empty
    book(2)
    (tmp_path / "t.toml").write_text(prof.replace("header_row = 2\n", ""))
    with pytest.raises(SchemaError) as e:
        map_files(tmp_path / "w.xlsx", tmp_path / "t.toml")
    assert str(e.value) == (
        "profile t.toml: 1 problem found\n  - profile t.toml line 6: column 'v' gives no "
        "header_row for w.xlsx. Fix: The 'header_row' parameter of the profile must be the "
        "row of the column names; row 1 of sheet 'Data' is empty (its first row with cells "
        "is row 2). Got None instead.")


def test_reference_recodes_from_the_export_forms_of_the_village_codes(tmp_path):
    """The villages reference as exports write it (docs/PROFILES.md): codes without dots and
    'KECAMATAN|DESA' names, recoded to the Kemendagri code (data/reference/pangkep/
    villages.csv: 73.10.01.1001 Sapuka and 73.10.01.2002 Sabaru of Liukang Tangaya)
    (`x__reference_table__mutmut_40`: the name joined with 'XX|XX')."""
    csv = ("ID,KK,Desa,Nodots,Mulai,Jumlah\n"
           "r1,k1,Liukang Tangaya|Sapuka,7310012002,2024-01-05,1\n"
           "r2,k2,Liukang Tangaya|Sabaru,7310011001,2024-01-05,2\n")
    (tmp_path / "part.csv").write_text(csv)
    prof = (PART_PROFILE.replace('family_id = { from = "KK", pseudonymise = true }',
                                 'family_id = { from = "Nodots", recode = "nodots" }')
            .replace('village_code = "Kode"', 'village_code = { from = "Desa", recode = "desa" }')
            + '\n[recodes.desa]\nreference = "villages"\nfrom = "kecamatan_desa"\n'
            'to = "kemendagri_code"\n'
            '\n[recodes.nodots]\nreference = "villages"\nfrom = "kemendagri_nodots"\n'
            'to = "kemendagri_code"\n')
    (tmp_path / "t.toml").write_text(prof)
    d = map_files(tmp_path / "part.csv", tmp_path / "t.toml").data
    assert d["village_code"].tolist() == ["73.10.01.1001", "73.10.01.2002"]
    assert d["family_id"].tolist() == ["73.10.01.2002", "73.10.01.1001"]


def test_a_personal_column_mapped_plainly_is_refused_word_for_word(tmp_path):
    """A column declared personal reaches a table only pseudonymised or as a personal column
    of the contract (`x_load_profile__mutmut_1200` and `_1202`: the call lost its column, or
    its fix, and failed with a TypeError). Line 12 is the family_id rule in the text below;
    a source-qualified name ('main:KK') is personal too, a pseudonymised rule is accepted."""
    prof = PART_PROFILE.replace('description = "a test partner list"',
                                'personal = ["KK"]').replace(
        'family_id = { from = "KK", pseudonymise = true }', 'family_id = "main:KK"')
    (tmp_path / "t.toml").write_text(prof)
    with pytest.raises(SchemaError) as e:
        P.load_profile(tmp_path / "t.toml")
    assert str(e.value) == (
        "profile t.toml: 1 problem found\n  - profile t.toml line 12: column 'family_id' is "
        "mapped from personal column 'main:KK' without pseudonymising it, so its values would "
        "be written and shown as they are. Fix: add pseudonymise = true to the rule (a keyed "
        "pseudonym, as for family ids), or map another column, or take the column out of "
        "personal = [...] if it holds no personal data")
    (tmp_path / "ok.toml").write_text(PART_PROFILE.replace('description = "a test partner list"',
                                                           'personal = ["KK"]'))
    assert P.load_profile(tmp_path / "ok.toml").personal == ("KK",)
