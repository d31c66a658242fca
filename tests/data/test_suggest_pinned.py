"""The profile suggester pinned rule by rule (issue 18, session 8, mutmut survivors).

Every expected value follows from the rules documented in kassaki_eval/data/suggest.py, worked
out here per case on files of 1-10 rows: header similarity (exact names, synonyms and
abbreviations score 1; otherwise difflib's ratio 2 M / T, computed by hand below), value
formats with their thresholds (16-digit numbers > 80 %, region codes > 90 %, 'Rp' amounts
> 80 %, decimal commas > 50 % of values and > 95 % numeric, dates > 90 %), units from the
header, label sets, the layout (the sheet with most rows, a title above the header, person rows)
and the drafted TOML word for word. Ids below are made up. See docs/MUTATION.md, "data/suggest.py".
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kassaki_eval.data.suggest import match_header, suggest_accuracy, suggest_profile

KK = ["7310011203850001", "7310011203850002", "7310011203850003", "7310011203850004",
      "7310011203850005"]
HEAD = ("# DRAFT written by `kassaki-eval map --suggest`: review every line before use,\n"
        "# then check it with `kassaki-eval map --check <this file> <data file>`.\n"
        "[profile]\n")


def _csv(tmp_path: Path, cols: dict[str, list], name: str = "x.csv") -> Path:
    p = tmp_path / name
    pd.DataFrame(cols).to_csv(p, index=False)
    return p


def _one(tmp_path: Path, header: str, values: list, table: str = "survey"):
    s = suggest_profile(_csv(tmp_path, {header: values}), table)
    (c,) = s.columns
    return c, s


@pytest.mark.parametrize("header, table, want", [
    ("hh_size", "survey", "hh_size"),                       # the contract name itself
    ("Jumlah Anggota Keluarga", "registry", "hh_size"),     # a synonym, case ignored
    ("JML ART", "survey", "hh_size"),                       # jml -> jumlah
    ("Tgl. Realisasi", "participation", "start_date"),      # tgl -> tanggal, '.' ignored
    ("Kd Desa", "survey", "village_code"),                  # kd -> kode
    ("Pddk KRT", "registry", "head_educ"),                  # pddk -> pendidikan
    ("Nmr KK", "survey", "family_id"),                      # nmr -> nomor
    ("Nmr KK", "registry", "no_kk"),                        # the registry's raw columns
    ("Nama KRT", "registry", "name_head"),
    ("NIK", "registry", "nik_head"),
    ("desa program", "survey", "treated_village"),
    ("R407", "survey", "head_age"),
])
def test_exact_names_synonyms_and_abbreviations_score_one(header, table, want):
    assert match_header(header, table) == (want, 1.0)


def test_fuzzy_scores_are_difflibs_ratio_by_hand():
    # 'jumlah anggota keluarg' (22 letters) is all inside 'jumlah anggota keluarga' (23):
    # 2 * 22 / 45
    assert match_header("jumlah anggota keluarg", "survey") == ("hh_size", 44 / 45)
    # 'kel' -> 'kelurahan' (9) is all inside 'kode kelurahan' (14): 2 * 9 / 23
    assert match_header("Kel", "survey") == ("village_code", 18 / 23)
    # nothing left after normalising: no match at all
    assert match_header("???", "survey") == (None, 0.0)
    # a registry's family-card number is no_kk: family_id is never proposed for a registry
    target, score = match_header("family id", "registry")
    assert target != "family_id" and score < 0.72
    assert match_header("family id", "survey") == ("family_id", 1.0)


@pytest.mark.parametrize("header, values, table, target, rule, note, personal", [
    # 16-digit numbers: personal only when more than 80 % of the values look so (4 of 5 is 80 %)
    ("kolom", KK[:4] + ["abc"], "survey", None, {}, "", False),
    ("kolom", KK, "survey", None, {},
     "16-digit numbers: NIK or family-card numbers (personal)", True),
    # a personal-looking header is personal whatever its values
    ("NIK", ["12", "13"], "participation", None, {}, "", True),
    ("No. KK", ["12", "13"], "participation", "family_id", {"pseudonymise": True}, "", True),
    ("Nama", ["Ani", "Budi"], "participation", None, {}, "", True),
    # region codes: more than 90 % of the values (9 of 10 is 90 %)
    ("Kode Desa", ["73.10.01.2001"] * 9 + ["x"], "survey", "village_code", {}, "", False),
    ("Kode Desa", ["73.10.01.2001"] * 10, "survey", "village_code", {},
     "Kemendagri village codes", False),
    ("kolom", ["7310012001"] * 10, "survey", "village_code", {"recode": "village_nodots"},
     "Kemendagri village codes without dots; mapped by its code format", False),
    ("kolom", ["7309012001"] * 10, "survey", "village_code", {"recode": "village_bps"},
     "BPS village codes (2018 master); mapped by its code format", False),
    ("kolom", ["7309012"] * 10, "survey", "kec_code", {"recode": "kec_bps"},
     "BPS kecamatan codes; mapped by its code format", False),
    ("kolom", ["73.10.01.2001"] * 10, "survey", "village_code", {},
     "Kemendagri village codes; mapped by its code format", False),
    # amounts: 'Rp' on more than 80 % (4 of 5 is 80 %)
    ("Pendapatan", ["Rp 1.250.000"] * 4 + ["1"], "survey", "income", {}, "", False),
    ("Pendapatan", ["Rp 1.250.000", "Rp. 3.000", "-Rp 5.000,50", "rp 7", "RP 1.000.000"],
     "survey", "income", {"parse": "rupiah"}, "amounts written 'Rp 1.250.000'", False),
    # decimal commas: more than half with a comma and more than 95 % numeric
    ("Pendapatan", ["1.250,5", "2,25", "3"], "survey", "income", {"parse": "decimal_comma"},
     "decimal commas", False),
    ("Pendapatan", ["1,5", "2"], "survey", "income", {}, "", False),            # 50 %
    ("Pendapatan", ["1,5"] * 19 + ["abc"], "survey", "income", {}, "", False),  # 95 %
    # dates
    ("Tanggal", ["01/02/2024"] * 9 + ["x"], "participation", "start_date", {}, "", False),
    ("Tanggal", ["01/02/2024", "1/2/2024"] * 5, "participation", "start_date",
     {"parse": "date", "format": "%d/%m/%Y"}, "dates dd/mm/yyyy (check: could be mm/dd/yyyy)",
     False),
    ("Tanggal", ["01-02-2024"] * 10, "participation", "start_date",
     {"parse": "date", "format": "%d-%m-%Y"}, "dates dd-mm-yyyy", False),
    ("Tanggal", ["2024-02-01"] * 10, "participation", "start_date", {"parse": "date"},
     "ISO dates", False),
    ("Tanggal", ["1 Agustus 2024", "12-Des-2023", "5 peb. 2024", "30/Nop/2022"] * 3,
     "participation", "start_date", {"parse": "date_id"}, "dates with Indonesian month names",
     False),
    # units from the header words
    # ('pendapatan ribu' vs 'pendapatan': 2 * 10 / 25 = 0.8, a header match)
    ("Pendapatan (ribu)", ["1", "20", "300"], "survey", "income", {"unit": "thousand_rp"},
     "header says thousands of rupiah (ribu)", False),
    ("Pendapatan ribu", ["1.250,5", "2,25", "3"], "survey", "income",
     {"parse": "decimal_comma", "unit": "thousand_rp"},
     "decimal commas; header says thousands of rupiah (ribu)", False),
    ("Pendapatan ribu", ["Rp 1.000"] * 5, "survey", "income", {"parse": "rupiah"},
     "amounts written 'Rp 1.250.000'", False),
    ("Nilai juta", ["1", "20", "300"], "survey", None, {"unit": "million_rp"},
     "header says millions of rupiah (juta)", False),
    ("Upah mingguan", ["1", "20", "300"], "survey", None, {"unit": "weekly_to_monthly"},
     "header says weekly: converted to monthly (x 30/7)", False),
    ("Upah per minggu", ["1", "20", "300"], "survey", None, {"unit": "weekly_to_monthly"},
     "header says weekly: converted to monthly (x 30/7)", False),
    # label sets
    ("Jenis Kelamin", ["L", "P", "Laki-laki"], "survey", "head_sex", {"recode": "sex"},
     "labels of 'sex'", False),
    ("Bekerja", ["Ya", "Tidak", "ya"], "survey", "employed", {"recode": "ya_tidak"},
     "labels of 'ya_tidak'", False),
    ("Bekerja", ["1", "2", "1"], "survey", "employed", {"recode": "yes12"},
     "codes 1/2: yes = 1, no = 2 in BPS questionnaires (check)", False),
    ("Bekerja", ["1", "1"], "survey", "employed", {}, "", False),
    # amounts of 1 and 2 million (or thousand, or a week's wage) are not the 1/2 codes: they
    # were drafted with the yes12 recode, which would turn an income of 2 million into 0
    ("Pendapatan (juta)", ["1", "2", "1"], "survey", "income", {"unit": "million_rp"},
     "header says millions of rupiah (juta)", False),
    ("Pendapatan ribu", ["2", "1"], "survey", "income", {"unit": "thousand_rp"},
     "header says thousands of rupiah (ribu)", False),
    ("Upah mingguan", ["1", "2"], "survey", None, {"unit": "weekly_to_monthly"},
     "header says weekly: converted to monthly (x 30/7)", False),
    ("Bekerja", ["Ya", "Tidak", "Mungkin"], "survey", "employed", {}, "", False),
    ("Bekerja", [None, None], "survey", "employed", {}, "empty column", False),
])
def test_value_formats_and_their_thresholds(tmp_path, header, values, table, target, rule,
                                            note, personal):
    c, _ = _one(tmp_path, header, values, table)
    assert (c.target, c.rule, c.note, c.personal) == (target, rule, note, personal)


def test_recodes_of_labels_keep_the_file_spelling(tmp_path):
    _, s = _one(tmp_path, "Jenis Kelamin", ["LAKI-LAKI", "P", " Perempuan "])
    assert s.recodes == {"sex": {"LAKI-LAKI": "M", "P": "F", "Perempuan": "F"}}
    assert ('[recodes.sex]\nignore_case = true\n'
            'codes = { "LAKI-LAKI" = "M", "P" = "F", "Perempuan" = "F" }\n') in s.text
    _, s = _one(tmp_path, "Bekerja", ["1", "2"])
    assert s.recodes == {"yes12": {"1": "1", "2": "0"}}
    assert s.text.endswith('\n[recodes.yes12]\ncodes = { "1" = "1", "2" = "0" }\n')
    # labels of a column that maps to nothing make no recode
    c, s = _one(tmp_path, "Jenis Kelamin", ["L", "P"], "participation")
    assert (c.target, c.rule, s.recodes) == (None, {}, {})


def test_participation_draft_word_for_word(tmp_path):
    f = _csv(tmp_path, {
        "Nomor KK": KK[:2],
        "Tanggal Akad": ["01/02/2024", "15/03/2024"],
        "Tgl Cair": ["2024-03-01", "2024-04-01"],
        "Nilai Pinjaman": ["Rp 1.250.000", "Rp 2.000.000"],
        "Plafon (ribu)": ["1.250", "2.000"],
        "Kode Desa": ["7310012001", "7310012002"],
        "Catatan": ["a", "b"]}, name="kur_2024.csv")
    s = suggest_profile(f)
    # a narrow file with dates and 'Rp' amounts is a list of programme records
    assert s.table == "participation"
    assert s.source == {"file": "kur_2024.csv", "sheet": None, "header_row": 1}
    assert s.mapping() == {"Nomor KK": "family_id", "Tanggal Akad": "start_date",
                           "Nilai Pinjaman": "amount_rp", "Kode Desa": "village_code"}
    assert s.aggregate is None
    assert s.text == HEAD + (
        'name = "kur_2024"\n'
        'table = "participation"\n'
        'personal = ["Nomor KK"]   # personal data: never quoted in messages\n'
        '\n'
        '[[source]]\n'
        'id = "main"\n'
        'file = "kur_2024.csv"\n'
        '\n'
        '[columns]\n'
        'family_id = { from = "Nomor KK", pseudonymise = true }   # header match 1.00; '
        '16-digit numbers: NIK or family-card numbers (personal)\n'
        'start_date = { from = "Tanggal Akad", parse = "date", format = "%d/%m/%Y" }   '
        '# header match 1.00; dates dd/mm/yyyy (check: could be mm/dd/yyyy)\n'
        'amount_rp = { from = "Nilai Pinjaman", parse = "rupiah" }   # header match 1.00; '
        "amounts written 'Rp 1.250.000'\n"
        'village_code = { from = "Kode Desa", recode = "village_nodots" }   '
        '# header match 1.00; Kemendagri village codes without dots\n'
        '# NOT FOUND (map them, or give a constant with value = ...):\n'
        '# record_id = \n# partner = \n# component = \n# unit = \n'
        '# source columns not used: Tgl Cair, Plafon (ribu), Catatan\n'
        '\n'
        '[recodes.village_nodots]\n'
        'reference = "villages"\n'
        'from = "kemendagri_nodots"\n'
        'to = "kemendagri_code"\n')
    # the weaker header matches: 'tanggal cair' vs 'tanggal mulai' is 2 * 10 / 25 = 0.8
    weak = {c.header: c for c in s.columns if c.target is None}
    assert weak["Tgl Cair"].note == "ISO dates; also looks like start_date (weaker)"
    assert weak["Tgl Cair"].score == 0.8
    assert weak["Plafon (ribu)"].note == ("header says thousands of rupiah (ribu); also looks "
                                          "like amount_rp (weaker)")
    assert weak["Catatan"].note == ""


def test_values_fill_what_the_headers_did_not(tmp_path):
    f = _csv(tmp_path, {"No KK": KK[:2], "Kolom A": ["1 Agustus 2024", "2 Agustus 2024"],
                        "Kolom B": ["Rp 1.000", "Rp 2.000"], "Kolom C": ["01/02/2024"] * 2})
    s = suggest_profile(f)
    assert s.table == "participation"
    got = {c.header: (c.target, c.note) for c in s.columns}
    assert got["Kolom A"] == ("start_date", "dates with Indonesian month names; "
                                            "mapped by its values (dates)")
    assert got["Kolom B"] == ("amount_rp", "amounts written 'Rp 1.250.000'; "
                                           "mapped by its values (amounts)")
    # the start date is taken: the second date column stays unused
    assert got["Kolom C"] == (None, "dates dd/mm/yyyy (check: could be mm/dd/yyyy)")
    # an amount recognised by its header's unit only
    f = _csv(tmp_path, {"No KK": KK[:2], "Tanggal": ["01/02/2024"] * 2,
                        "Kolom B (juta)": ["100", "250"]})
    s = suggest_profile(f, "participation")
    assert s.mapping()["Kolom B (juta)"] == "amount_rp"
    assert 'amount_rp = { from = "Kolom B (juta)", unit = "million_rp" }' in s.text
    # not for other tables: a survey's date column stays unmapped
    s = suggest_profile(_csv(tmp_path, {"Kolom A": ["01/02/2024"] * 2}), "survey")
    assert s.mapping() == {}


def test_family_card_number_of_programme_records_is_pseudonymised(tmp_path):
    # a header that the contract does not match but says KK
    f = _csv(tmp_path, {"KK Debitur": KK[:2], "Tanggal": ["01/02/2024"] * 2})
    s = suggest_profile(f, "participation")
    (g,) = [c for c in s.columns if c.header == "KK Debitur"]
    assert (g.target, g.rule, g.personal) == ("family_id", {"pseudonymise": True}, True)
    # a survey's family_id is not pseudonymised by the draft (it comes pseudonymised)
    s = suggest_profile(_csv(tmp_path, {"No KK": ["F1", "F2"]}), "survey")
    assert (s.columns[0].target, s.columns[0].rule) == ("family_id", {})


def test_table_is_the_best_header_match(tmp_path):
    s = suggest_profile(_csv(tmp_path, {"Tahun": [2024], "ID RT": ["1"], "FWT": [1.5],
                                        "Kapita": [100]}))
    assert s.table == "survey"
    s = suggest_profile(_csv(tmp_path, {"Desil": [1], "Skor PMT": [0.5], "Nama KRT": ["A"]}))
    assert s.table == "registry"
    # a wide file (13 columns) is not turned into programme records by its dates
    cols = {f"Desil {i}": [1] for i in range(12)}
    s = suggest_profile(_csv(tmp_path, {**cols, "Tanggal Lahir": ["01/02/1980"]}))
    assert s.table == "registry"
    s = suggest_profile(_csv(tmp_path, {**dict(list(cols.items())[:11]),
                                        "Tanggal Lahir": ["01/02/1980"]}))
    assert s.table == "participation"
    # the table given wins
    s = suggest_profile(_csv(tmp_path, {"Tahun": [2024], "ID RT": ["1"]}), "registry")
    assert s.table == "registry"


def _xlsx(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkas"
    ws.append(["Catatan", "Jumlah"])
    ws.append(["a", 1])
    ws = wb.create_sheet("Anggota")
    ws.append(["Daftar anggota rumah tangga", None, None, None, None])
    ws.append([None] * 5)
    ws.append(["1.000", "2.000", "3", None, None])      # numbers as text are not header text
    ws.append(["ID RT", "Hubungan dengan KRT", "Umur", "Jenis Kelamin", "Bekerja", None])
    for r in (["R1", "1", 40, "LAKI-LAKI", "1"], ["R1", "2", 38, "Perempuan", "2"],
              ["R2", "1", 70, "P", "1"], [None] * 5):
        ws.append(r)
    wb.save(path)
    return path


def test_workbook_layout_title_rows_and_person_rows(tmp_path):
    f = _xlsx(tmp_path / "anggota.xlsx")
    s = suggest_profile(f, "survey")
    # the sheet with most rows; the header below a title, an empty row and a row of numbers
    assert s.source == {"file": "anggota.xlsx", "sheet": "Anggota", "header_row": 4}
    assert [c.header for c in s.columns] == ["ID RT", "Hubungan dengan KRT", "Umur",
                                             "Jenis Kelamin", "Bekerja"]
    assert s.aggregate == {"household": ["ID RT"],
                           "head": {"column": "Hubungan dengan KRT", "value": "1"},
                           "age": "Umur",
                           "counts": {"JML_ART": "all", "N_ANAK": "age < 15",
                                      "N_LANSIA": "age >= 65"}}
    assert ('name = "anggota"\ntable = "survey"\n\n[[source]]\nid = "main"\n'
            'file = "anggota.xlsx"\nsheet = "Anggota"\n'
            'header_row = 4   # rows above look like a title\n'
            'level = "person"   # the household id repeats: one row per person\n\n'
            '[aggregate]\nsource = "main"\nhousehold = ["ID RT"]\n'
            'head = { column = "Hubungan dengan KRT", value = "1" }   '
            '# REVIEW: code of the head\n'
            'age = "Umur"\n'
            'counts = { JML_ART = "all", N_ANAK = "age < 15", N_LANSIA = "age >= 65" }\n\n'
            '[columns]\nhh_id = "ID RT"   # header match 1.00\n'
            'head_age = "Umur"   # header match 1.00\n') in s.text
    assert "personal =" not in s.text
    assert s.text.count("# NOT FOUND") == 1 and "\n# year = \n" in s.text
    # the other sheet when asked for
    s = suggest_profile(f, "survey", sheet="Ringkas")
    assert s.source == {"file": "anggota.xlsx", "sheet": "Ringkas", "header_row": 1}
    assert [c.header for c in s.columns] == ["Catatan", "Jumlah"]
    assert s.aggregate is None and "header_row" not in s.text and "sheet = \"Ringkas\"" in s.text


def test_person_rows_need_a_repeated_first_column_and_a_relationship(tmp_path):
    base = {"ID RT": ["R1", "R1", "R2"], "Hub KRT": ["1", "2", "1"]}
    s = suggest_profile(_csv(tmp_path, base), "survey")
    assert s.aggregate == {"household": ["ID RT"], "head": {"column": "Hub KRT", "value": "1"},
                           "age": None, "counts": {"JML_ART": "all", "N_ANAK": "age < 15",
                                                   "N_LANSIA": "age >= 65"}}
    assert "\nage = " not in s.text
    s = suggest_profile(_csv(tmp_path, {**base, "R407": [30, 5, 70]}), "survey")
    assert s.aggregate["age"] == "R407"
    s = suggest_profile(_csv(tmp_path, {"ID RT": ["R1", "R2", "R3"],
                                        "Hub KRT": ["1", "2", "1"]}), "survey")
    assert s.aggregate is None and 'level = "person"' not in s.text
    s = suggest_profile(_csv(tmp_path, {"ID RT": ["R1", "R1"], "Status": ["1", "2"]}),
                        "survey")
    assert s.aggregate is None


def test_derived_region_columns_and_quoting(tmp_path):
    f = _csv(tmp_path, {"Kode Desa": ["73.10.01.2001"] * 2, 'Nama "Desa"\\x': ["a", "b"]})
    s = suggest_profile(f, "registry")
    assert ('village_code = "Kode Desa"   # header match 1.00; Kemendagri village codes\n'
            'kec_code = { target = "village_code", slice = [0, 8] }   '
            '# derived from village_code\n'
            'zone = { target = "village_code", lookup = "zone" }   '
            '# derived from village_code\n') in s.text
    assert 'personal = ["Nama \\"Desa\\"\\\\x"]' in s.text
    # derived columns are not listed as missing
    assert "\n# kec_code = \n" not in s.text and "\n# zone = \n" not in s.text
    assert "\n# desil = \n" in s.text
    # kec_code mapped from the file: only the zone is derived
    f = _csv(tmp_path, {"Kode Desa": ["73.10.01.2001"] * 2, "Kode Kecamatan": ["1", "2"]})
    s = suggest_profile(f, "registry")
    assert "kec_code = { target" not in s.text
    assert 'zone = { target = "village_code", lookup = "zone" }' in s.text


def _kur_csv(tmp_path):
    """A two-row credit file: a personal KK column, a date, rupiah amounts, a note."""
    return _csv(tmp_path, {"Nomor KK": KK[:2], "Tanggal Akad": ["01/02/2024"] * 2,
                           "Nilai Pinjaman": ["Rp 1.000", "Rp 2.000"], "Catatan": ["a", "b"]},
                name="kur.csv")


def test_suggest_accuracy_counts_the_profiles_columns(tmp_path):
    f = _kur_csv(tmp_path)
    prof = tmp_path / "kur.toml"
    prof.write_text(
        '[profile]\nname = "kur"\ntable = "participation"\npersonal = ["Nomor KK"]\n\n'
        '[[source]]\nid = "main"\nfile = "kur.csv"\n\n[columns]\n'
        'family_id = { from = "Nomor KK", pseudonymise = true }\n'
        'start_date = { from = "Tanggal Akad", parse = "date", format = "%d/%m/%Y" }\n'
        'amount_rp = { from = "Nilai Pinjaman", parse = "rupiah" }\n'
        'record_id = "Catatan"\n'
        'village_code = { value = "73.10.01.2001" }\npartner = { value = "bank_sulselbar" }\n'
        'component = { value = "credit" }\nunit = { value = "household" }\n')
    acc = suggest_accuracy(f, prof)
    # four file columns mapped by the profile; the suggester finds three, misses Catatan
    assert acc == {"file": "kur.csv", "table": "participation", "table_ok": True,
                   "correct": 3, "total": 4, "share": 0.75, "wrong": [],
                   "missed": ["Catatan"]}
    # a wrong guess: the profile says the date column is something else
    prof.write_text(prof.read_text().replace(
        'start_date = { from = "Tanggal Akad", parse = "date", format = "%d/%m/%Y" }',
        'start_date = { value = "2024-01-01" }\nrecord_id = "Tanggal Akad"').replace(
        'record_id = "Catatan"\n', ""))
    acc = suggest_accuracy(f, prof)
    assert (acc["correct"], acc["total"], acc["wrong"], acc["missed"]) == \
        (2, 3, ["Tanggal Akad"], [])
    # nothing to compare (constants only): share is NaN
    prof.write_text(
        '[profile]\nname = "kur"\ntable = "participation"\n\n[[source]]\nid = "main"\n'
        'file = "kur.csv"\n\n[columns]\nfamily_id = { value = "F1" }\n'
        'start_date = { value = "2024-01-01" }\namount_rp = { value = 1 }\n'
        'record_id = { value = "r" }\n'
        'village_code = { value = "73.10.01.2001" }\npartner = { value = "bank_sulselbar" }\n'
        'component = { value = "credit" }\nunit = { value = "household" }\n')
    acc = suggest_accuracy(f, prof)
    assert (acc["table_ok"], acc["total"], acc["correct"]) == (True, 0, 0)
    assert math.isnan(acc["share"])


def test_parquet_with_missing_values(tmp_path):
    # Parquet keeps its types; missing values are dropped before the formats are looked at
    f = tmp_path / "s.parquet"
    pd.DataFrame({"Tahun": [2024.0, None, 2024.0],
                  "Jenis Kelamin": ["L", None, "P"]}).to_parquet(f)
    s = suggest_profile(f, "survey")
    assert s.source == {"file": "s.parquet", "sheet": None, "header_row": 1}
    assert s.mapping() == {"Tahun": "year", "Jenis Kelamin": "head_sex"}
    assert s.recodes == {"sex": {"L": "M", "P": "F"}}


def test_formats_are_read_from_the_first_2000_values(tmp_path):
    # 1600 of the first 2000 values are 'Rp' amounts: 80 %, not more; the 2001st does not count
    vals = ["Rp 1.000"] * 1600 + ["1"] * 400 + ["Rp 2.000"] * 10
    c, _ = _one(tmp_path, "Pendapatan", vals)
    assert c.rule == {}
    c, _ = _one(tmp_path, "Pendapatan", ["Rp 2.000"] + vals[:-1])   # now 1601 of 2000
    assert c.rule == {"parse": "rupiah"}


def test_village_codes_without_dots_need_more_than_90_percent(tmp_path):
    c, _ = _one(tmp_path, "kolom", ["7310012001"] * 9 + ["x"])       # 90 %
    assert (c.target, c.rule, c.note) == (None, {}, "")


def test_csv_delimiter_is_the_most_frequent_one_without_a_contracts_names(tmp_path):
    # ';' appears 3 times in the header line, ',' once: ';' wins even though 'year' (a survey
    # column name) would be a cell when split on ','
    f = tmp_path / "d.csv"
    f.write_text("year,weight;catatan;nilai;kode\n1;2;3;4\n", encoding="utf-8")
    s = suggest_profile(f, "survey")
    assert [c.header for c in s.columns] == ["year,weight", "catatan", "nilai", "kode"]


def test_csv_with_a_title_line_above_the_header(tmp_path):
    """A ';'-separated export with a title line (holding a ',') and a blank line above the
    header, as district offices save them. Until session 9 the draft read the title as the
    header: one column, 0 mapped, and the 16-digit family-card numbers not flagged personal.
    Expected by hand: the header is file row 3; ';' is on every one of the 4 lines below the
    title 4 times, ',' once on one line."""
    f = tmp_path / "penerima.csv"
    f.write_text("Data penerima bantuan KASSAKI, Kabupaten Pangkep 2024\n\n"
                 "No KK;Nama Kepala Keluarga;Desa;Desil;Jumlah ART\n"
                 f"{KK[0]};Budi;Bontoa;1;4\n{KK[1]};Ani;Mandalle;2;3\n"
                 f"{KK[2]};Sitti;Bontoa;3;5\n", encoding="utf-8")
    s = suggest_profile(f, "registry")
    assert s.source == {"file": "penerima.csv", "sheet": None, "header_row": 3}
    assert [c.header for c in s.columns] == ["No KK", "Nama Kepala Keluarga", "Desa", "Desil",
                                             "Jumlah ART"]
    assert 'personal = ["No KK", "Nama Kepala Keluarga"]' in s.text
    assert "header_row = 3   # rows above look like a title\n" in s.text
    # the loader reads the file the draft describes: ';' chosen on the header row, not the title
    from kassaki_eval.data.loaders import read_raw
    df, rows, _ = read_raw(f, table="__none__", header_row=3)
    assert list(df.columns) == ["No KK", "Nama Kepala Keluarga", "Desa", "Desil", "Jumlah ART"]
    assert df["Desa"].tolist() == ["Bontoa", "Mandalle", "Bontoa"] and list(rows) == [4, 5, 6]


def test_suggest_accuracy_counts_only_the_files_own_source(tmp_path):
    f = _kur_csv(tmp_path)
    prof = tmp_path / "kur2.toml"
    prof.write_text(
        '[profile]\nname = "kur2"\ntable = "participation"\npersonal = ["Nomor KK"]\n\n'
        '[[source]]\nid = "main"\nfile = "kur.csv"\n\n'
        '[[source]]\nid = "lain"\nfile = "lain.csv"\njoin = ["Nomor KK"]\n\n[columns]\n'
        'record_id = "lain:Catatan"\n'
        'family_id = { from = "main:Nomor KK", pseudonymise = true }\n'
        'start_date = { from = "main:Tanggal Akad", parse = "date", format = "%d/%m/%Y" }\n'
        'amount_rp = { from = "Nilai Pinjaman", parse = "rupiah" }\n'
        'village_code = { value = "73.10.01.2001" }\npartner = { value = "bank_sulselbar" }\n'
        'component = { value = "credit" }\nunit = { value = "household" }\n')
    acc = suggest_accuracy(f, prof)
    # 'lain:Catatan' belongs to the other file; 'main:...' and the bare name are this file's
    assert (acc["correct"], acc["total"], acc["wrong"], acc["missed"]) == (3, 3, [], [])


def test_empty_header_cells_of_a_workbook_are_named_by_position(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Tahun", None, "Catatan"])
    ws.append([2024, "x", "a"])
    f = tmp_path / "w.xlsx"
    wb.save(f)
    s = suggest_profile(f, "survey")
    assert [c.header for c in s.columns] == ["Tahun", "Unnamed: 1", "Catatan"]
    assert "# source columns not used: Unnamed: 1, Catatan\n" in s.text


def test_bps_codes_are_recoded_through_the_village_list(tmp_path):
    f = _csv(tmp_path, {"kolom a": ["7309012001"] * 2, "kolom b": ["7309012"] * 2})
    s = suggest_profile(f, "registry")
    assert s.mapping() == {"kolom a": "village_code", "kolom b": "kec_code"}
    assert s.text.endswith(
        '\n[recodes.village_bps]\nreference = "villages"\nfrom = "bps_code_2018"\n'
        'to = "kemendagri_code"\n'
        '\n[recodes.kec_bps]\nreference = "villages"\nfrom = "kec_bps"\n'
        'to = "kec_kemendagri"\n')
