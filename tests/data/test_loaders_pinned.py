"""Loader rules pinned one by one, from mutmut's survivors (issue 18).

Expected texts are the loaders' error contract (file, what it claims, what it is, the fix) and
follow from how each file is built here; keyed pseudonyms are checked against Python's own
:mod:`hmac` (RFC 2104), as in test_pseudonymise_rules.py.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import fake_nik, make_participation, make_registry_raw, make_survey

from kassaki_eval.data import load_registry, load_survey, load_table, validate_file, write_table
from kassaki_eval.exceptions import DataFileError, ParameterError, SchemaError

KEY = "a-test-key-of-24-chars!!"


def _hmac(text: str, prefix: str) -> str:
    return prefix + hmac.new(KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


# ---- where the file is -----------------------------------------------------------------------

def test_file_not_found_names_its_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    fix = "Fix: check the path (it is read as given, relative to the current folder)."
    with pytest.raises(DataFileError) as info:
        load_survey(Path("data") / "nope.csv")
    assert str(info.value) == f"nope.csv: file not found (in data). {fix}"
    with pytest.raises(DataFileError) as info:
        load_survey("nope.csv")
    assert str(info.value) == f"nope.csv: file not found (in the current folder). {fix}"
    monkeypatch.chdir(tmp_path / "data")
    with pytest.raises(DataFileError) as info:
        load_survey(tmp_path / "nope.csv")
    assert str(info.value) == f"nope.csv: file not found (in the given folder). {fix}"


# ---- encodings ---------------------------------------------------------------------------------

def test_an_unknown_encoding_is_a_parameter_error(tmp_path: Path):
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False)
    with pytest.raises(ParameterError) as info:
        load_survey(p, encoding="utf-9")
    assert str(info.value) == ("The 'encoding' parameter of load_table must be a known codec "
                               "such as 'utf-8', 'cp1252' or 'latin-1'. Got 'utf-9' instead.")


@pytest.mark.parametrize("enc", ["base64", "rot13", "hex", "zlib"])
def test_a_codec_that_is_not_a_text_encoding_is_a_parameter_error(tmp_path: Path, enc):
    # session 10 (mutK): these are codecs Python knows, but not text encodings; the head
    # decoder raised TypeError ('can only concatenate str (not "bytes") to str') or the codec's
    # own error (binascii.Error, zlib.error) instead of the parameter error
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False)
    with pytest.raises(ParameterError) as info:
        load_survey(p, encoding=enc)
    assert str(info.value) == ("The 'encoding' parameter of load_table must be a known codec "
                               f"such as 'utf-8', 'cp1252' or 'latin-1'. Got {enc!r} instead.")


def test_a_header_far_down_in_a_cp1252_file(tmp_path: Path):
    # header_row > 30: the whole file is decoded with the given encoding
    df = make_registry_raw(n=6)
    df.loc[3, "name_head"] = "Zafira Désirée"
    p = tmp_path / "p3ke.csv"
    p.write_bytes(("catatan\n" * 40 + df.to_csv(index=False)).encode("cp1252"))
    reg = load_table(p, "registry_raw", header_row=41, encoding="cp1252")
    assert reg["name_head"].tolist()[3] == "Zafira Désirée" and len(reg) == 6


# ---- Excel -------------------------------------------------------------------------------------

def test_a_corrupt_workbook_names_the_reader_error(tmp_path: Path):
    p = tmp_path / "survey.xlsx"
    with zipfile.ZipFile(p, "w") as z:  # looks like .xlsx (xl/workbook.xml), is not one
        z.writestr("xl/workbook.xml", "garbage")
    with pytest.raises(DataFileError) as info:
        load_survey(p)
    assert str(info.value) == ("survey.xlsx could not be opened as an Excel workbook "
                               "(CalamineError). Fix: open it in Excel and save it again as "
                               "'Excel Workbook (.xlsx)'.")


def test_raw_registry_sheet_is_found_by_the_table_s_first_word(tmp_path: Path):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"catatan": ["baca saya"]}).to_excel(w, sheet_name="README", index=False)
        make_registry_raw(n=5).to_excel(w, sheet_name=" Registry ", index=False)
    assert len(load_table(p, "registry_raw")) == 5


def test_a_column_twice_in_a_workbook_header(tmp_path: Path):
    p = tmp_path / "participation.xlsx"
    df = make_participation()
    df.insert(5, "partner ", df["partner"])  # Excel keeps the space; the loader strips it
    df.to_excel(p, index=False)
    with pytest.raises(DataFileError) as info:
        load_table(p, "participation")
    assert str(info.value) == (
        "participation.xlsx: the column name 'partner' appears twice in the header (row 1, "
        "columns 4 and 6). Fix: rename or remove one of them in a cleaned copy of the file; "
        "the raw file is left as it is.")


# ---- personal columns declared by the user ------------------------------------------------------

def test_a_float_identifier_declared_hash_is_hashed_as_its_digits(tmp_path: Path):
    # Parquet float64 (a Stata double): 7310990000000001.0 is hashed as '7310990000000001'
    s = make_survey()
    ref = np.array([float(fake_nik(i)) for i in range(len(s))])
    ref[4] = np.nan
    ref[5] = 12.5  # not whole: its own text
    s["ref_no"] = ref
    p = tmp_path / "survey.parquet"
    s.to_parquet(p, index=False)
    got = load_survey(p, pii={"ref_no": "hash"}, key=KEY)["ref_no"]
    assert got[0] == _hmac(fake_nik(0), "P") and got[3] == _hmac(fake_nik(3), "P")
    assert got[5] == _hmac("12.5", "P") and pd.isna(got[4])


def test_load_registry_passes_its_key(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    raw = make_registry_raw(n=4)
    p = tmp_path / "p3ke.csv"
    raw.to_csv(p, index=False)
    reg = load_registry(p, key=KEY)
    assert reg["family_id"].tolist() == [_hmac(v, "F") for v in raw["no_kk"]]


def test_validate_file_names_itself_and_honours_pii(tmp_path: Path):
    s = make_survey()
    s["nik_pasangan"] = [fake_nik(600 + i) for i in range(len(s))]
    p = tmp_path / "survey.csv"
    s.to_csv(p, index=False)
    with pytest.raises(ParameterError) as info:
        validate_file(p, "households")
    assert str(info.value).startswith("The 'table' parameter of validate_file must be one of "
                                      "{'registry_raw', ")
    with pytest.raises(SchemaError, match="column 'nik_pasangan' looks like personal data"):
        validate_file(p, "survey")
    out = validate_file(p, "survey", pii={"nik_pasangan": "drop"})
    assert "nik_pasangan" not in out.columns and len(out) == 54


# ---- several files -----------------------------------------------------------------------------

def test_one_wave_in_five_files_names_the_first_four(tmp_path: Path):
    s = make_survey(years=(2024,))
    paths = []
    for i in range(5):
        part = s.iloc[i * 3:(i + 1) * 3]
        paths.append(tmp_path / f"susenas_{i}.csv")
        part.to_csv(paths[-1], index=False)
    with pytest.raises(SchemaError) as info:
        load_survey(paths)
    (pr,) = info.value.problems
    assert (pr.column, pr.rule, pr.count) == (
        "year", "has wave 2024 in 5 files (susenas_0.csv, susenas_1.csv, susenas_2.csv, "
                "susenas_3.csv)", 15)


# ---- writing -----------------------------------------------------------------------------------

def test_write_table_refuses_personal_columns_by_name(tmp_path: Path):
    df = pd.DataFrame({"hh_id": ["H1"], "NIK": ["x"], "Nama": ["y"]})
    with pytest.raises(DataFileError) as info:
        write_table(df, tmp_path / "t.parquet")
    assert str(info.value) == (
        "refusing to write t.parquet: the table still holds personal columns ['NIK', 'Nama']. "
        "Fix: load the registry with load_registry(), which pseudonymises it.")
    assert not (tmp_path / "t.parquet").exists()


def test_write_table_refuses_personal_data_by_content(tmp_path: Path):
    n = 12
    # a contract column (hh_id, text) holding NIKs is refused; a numeric contract column is
    # not searched (weight); an undeclared column is searched for names as well
    ids = pd.DataFrame({"hh_id": [fake_nik(i) for i in range(n)], "weight": 1.0})
    with pytest.raises(DataFileError, match=r"refusing to write t.csv: column 'hh_id' looks "
                                            r"like personal data \(12 values shaped like NIK"):
        write_table(ids, tmp_path / "t.csv")
    names = pd.DataFrame({"hh_id": [f"H{i}" for i in range(n)],
                          "kolom7": [f"Andi Baso Contoh{chr(65 + i)}" for i in range(n)],
                          "kolom8": [f"Jl. Poros No. {i}, RT 0{i % 5 + 1}" for i in range(n)],
                          "kolom9": [f"0812{3400000 + i:07d}" for i in range(n)]})
    with pytest.raises(DataFileError) as info:
        write_table(names, tmp_path / "t.csv")
    msg = str(info.value)
    assert msg.startswith("refusing to write t.csv: column 'kolom7' looks like personal data")
    assert "(and 2 more column(s)). Fix: " in msg
    assert not (tmp_path / "t.csv").exists()


@pytest.mark.parametrize("ext", [".parquet", ".CSV", ".xlsx"])
def test_write_table_round_trip(tmp_path: Path, ext: str, caplog):
    df = pd.DataFrame({"hh_id": ["H1", "H2", "H3"], "weight": [1.5, 2.0, 3.25]})
    p = tmp_path / "new" / f"t{ext}"
    with caplog.at_level(logging.INFO, logger="kassaki_eval.data.loaders"):
        assert write_table(df, p) == p
    assert [r.getMessage() for r in caplog.records] == [f"wrote t{ext}: 3 rows"]
    back = {".parquet": pd.read_parquet, ".CSV": pd.read_csv,
            ".xlsx": lambda q: pd.read_excel(q, engine="openpyxl")}[ext](p)
    assert list(back.columns) == ["hh_id", "weight"]
    assert back["weight"].tolist() == [1.5, 2.0, 3.25]
    with pytest.raises(DataFileError) as info:
        write_table(df, p)
    assert str(info.value) == (f"{p} exists. Fix: choose another path or pass overwrite=True "
                               f"(raw files should never be overwritten).")
    write_table(df.head(1), p, overwrite=True)


def test_write_table_refuses_other_extensions(tmp_path: Path):
    with pytest.raises(ParameterError) as info:
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.dta")
    assert str(info.value) == ("The 'path' parameter of write_table must end in .parquet, .csv "
                               "or .xlsx. Got 't.dta' instead.")


# ---- what a file is and what its name claims --------------------------------------------------

def _bytes(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


_PDF = b"%PDF-1.4\n%\xe2\xe3\n"
_READS = "(it reads CSV, Parquet, .xlsx and .dta)"


@pytest.mark.parametrize("name, data, what, fix", [
    ("survey.pdf", _PDF, "a PDF document", "export it as CSV UTF-8 or .xlsx"),
    ("survey.xml", b"<?xml version='1.0'?>\n<Workbook>", "an XML document (e.g. Excel 2003 XML)",
     "open it in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'"),
    ("survey.html", b"\xef\xbb\xbf <!DOCTYPE html><html>", "an HTML web page",
     "it is a web page saved with a spreadsheet name (common for web-portal exports): open it "
     "in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'"),
    ("survey.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8,
     "a legacy Excel 97-2003 workbook (.xls)",
     "open it in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'"),
    ("survey.gz", b"\x1f\x8b\x08\x00garbage", "gzip-compressed data",
     "decompress it first (gunzip), or name it like 'survey.csv.gz' to have it read as "
     "gzip-compressed CSV"),
])
def test_formats_we_do_not_read_correctly_named(tmp_path: Path, name, data, what, fix):
    with pytest.raises(DataFileError) as info:
        load_survey(_bytes(tmp_path, name, data))
    assert str(info.value) == (f"{name} is {what}, which kassaki-eval does not read {_READS}. "
                               f"Fix: {fix}.")


@pytest.mark.parametrize("name, data, claim, what, fix", [
    ("survey.dat", _PDF, "a '.dat' file", "a PDF document",
     "export it again as CSV UTF-8 or .xlsx"),
    ("survey", _PDF, "a 'no extension' file", "a PDF document",
     "export it again as CSV UTF-8 or .xlsx"),
    ("survey.csv", b"\x1f\x8b\x08\x00garbage", "CSV text", "gzip-compressed data",
     "decompress it first (gunzip), or name it like 'survey.csv.gz' to have it read as "
     "gzip-compressed CSV"),
    ("survey.xlsx", b"<?XML version='1.0'?><HTML><body>", "an Excel workbook (.xlsx)",
     "an HTML web page", "it is a web page saved with a spreadsheet name (common for web-portal "
     "exports): open it in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'"),
])
def test_a_name_that_claims_another_format(tmp_path: Path, name, data, claim, what, fix):
    ext = Path(name).suffix
    with pytest.raises(DataFileError) as info:
        load_survey(_bytes(tmp_path, name, data))
    assert str(info.value) == (f"{name} is not what its name says: the extension '{ext}' claims "
                               f"{claim}, but the content is {what}. Fix: {fix}; the raw file "
                               f"is left as it is.")


@pytest.mark.parametrize("data, fmt", [
    (bytes([114, 2, 1, 0]), "dta"),        # Stata 11 header, 4 bytes
    (bytes([104, 1, 1, 0, 7]), "dta"),     # Stata 4, the oldest format byte
    (bytes([115, 2, 1, 0, 7]), "dta"),
    (bytes([103, 2, 1, 0, 7]), "binary"),  # below the range: not Stata (has a NUL byte)
    (bytes([114, 3, 1, 0, 7]), "binary"),  # byte order 3 does not exist
    (b"<!DOCTYPE html>\n<html>", "html"),
    (b"<?xml version='1.0'?><html xmlns='x'>", "html"),
    (b"<?xml version='1.0'?><Workbook>", "xml"),
    (b" [1, 2]", "json"),
    (b"X[1],y\n1,2\n", "csv"),           # only a BOM and white space are skipped, not 'X'
    (b"XX<html>,y\n1,2\n", "csv"),
    (b"\xfe\xff\x00I\x00D", "utf16"),      # big-endian UTF-16 'ID' (session 10)
    (b"\xff\xfeI\x00D\x00", "utf16"),      # little-endian, Excel's 'Unicode text'
    (b"PK\x05\x06" + bytes(18), "zip"),    # an empty ZIP archive: only its end record
])
def test_sniff_format_boundaries(tmp_path: Path, data, fmt):
    from kassaki_eval.data import sniff_format
    assert sniff_format(_bytes(tmp_path, "f.bin", data)) == fmt


def test_a_gzip_of_parquet_bytes_is_not_csv_text(tmp_path: Path):
    # the magic number 'PAR1' inside a .gz marks Parquet (we do not read gzip-compressed
    # Parquet), even when the first 8 KB hold no NUL byte; plain text inside is CSV
    import gzip

    from kassaki_eval.data import sniff_format
    assert sniff_format(_bytes(tmp_path, "f.csv.gz", gzip.compress(b"PAR1" + b"a" * 64))) == "gzip"
    assert sniff_format(_bytes(tmp_path, "g.csv.gz", gzip.compress(b"PAR" + b"a" * 64))) == "csv.gz"


@pytest.mark.parametrize("pseudonymised, names", [
    (False, "'no_kk', 'nik_head', 'name_head', 'village_code'"),   # the raw P3KE columns
    (True, "'family_id', 'village_code', 'kec_code', 'zone'"),     # an already pseudonymised file
])
def test_registry_header_search_knows_raw_and_pseudonymised_columns(tmp_path: Path,
                                                                    pseudonymised, names):
    # table='registry' accepts both shapes, so the title-row hint looks for both sets of names
    df = make_registry_raw(n=4)
    if pseudonymised:
        df = df.drop(columns=["no_kk", "nik_head", "name_head"])
        df.insert(0, "family_id", [f"F{i:04d}" for i in range(len(df))])
    p = tmp_path / "p3ke.csv"
    p.write_text("Data P3KE 2023\n" + df.to_csv(index=False), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_table(p, "registry")
    assert str(info.value) == (
        f"p3ke.csv: the header is not in the first row. The expected column names ({names}, "
        "…) appear in row 2; rows 1–1 look like a title or notes. Fix: pass header_row=2 "
        "(load_table(..., header_row=2), or --header-row 2 on the command line); the raw file "
        "is left as it is.")


def test_an_unreadable_file_names_the_system_error(tmp_path: Path, monkeypatch):
    import builtins
    import errno
    p = tmp_path / "survey.csv"
    make_survey().to_csv(p, index=False)
    real_open = builtins.open

    def broken(file, *a, **kw):  # noqa: ANN001
        if str(file) == str(p):
            raise OSError(errno.EIO, "Input/output error", str(file))
        return real_open(file, *a, **kw)

    monkeypatch.setattr(builtins, "open", broken)
    with pytest.raises(DataFileError) as info:
        load_survey(p)
    assert str(info.value) == ("survey.csv cannot be read (Input/output error). Fix: check the "
                               "file and the disk; the raw file is left as it is.")


def test_title_rows_message_names_the_header_row_three_times(tmp_path: Path):
    p = tmp_path / "s.csv"
    p.write_text("Survei\ncatatan\n" + make_survey().to_csv(index=False), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_survey(p)
    assert str(info.value).endswith(
        "appear in row 3; rows 1–2 look like a title or notes. Fix: pass header_row=3 "
        "(load_table(..., header_row=3), or --header-row 3 on the command line); the raw file "
        "is left as it is.")


# ---- load_table's own contract -----------------------------------------------------------------

def test_load_table_defaults_attrs_and_row_numbers(tmp_path: Path, caplog):
    s = make_survey()
    s.loc[3, "hh_id"] = None  # the 4th data row: file row 5
    p = tmp_path / "survey.csv"
    s.to_csv(p, index=False)
    with pytest.raises(SchemaError, match=r"'hh_id' has missing values: 1 row \(e.g. row 5\)"):
        load_table(p)  # the default table is the survey
    q = tmp_path / "ok.csv"
    make_survey().to_csv(q, index=False)
    with caplog.at_level(logging.INFO, logger="kassaki_eval.data.loaders"):
        got = load_table(q)
    n_cols = make_survey().shape[1]  # the columns written
    assert f"read ok.csv (csv): 54 rows, {n_cols} columns" in [r.getMessage()
                                                               for r in caplog.records]
    assert got.attrs["kassaki_source"] == {
        "file": "ok.csv", "format": "csv", "sha256": hashlib.sha256(q.read_bytes()).hexdigest(),
        "rows": 54, "table": "survey"}
    with pytest.raises(ParameterError) as info:
        load_table([], "survey")
    assert str(info.value) == ("The 'path' parameter of load_table must name at least one file. "
                               "Got an empty sequence instead.")


def test_several_files_stack_on_a_fresh_index_with_per_file_attrs(tmp_path: Path):
    s = make_survey()
    paths = []
    for y in (2023, 2024):
        paths.append(tmp_path / f"s{y}.csv")
        s[s["year"] == y].to_csv(paths[-1], index=False)
    got = load_survey(paths)
    assert got.index.tolist() == list(range(36))
    assert [(f["file"], f["rows"]) for f in got.attrs["kassaki_source"]["files"]] == [
        ("s2023.csv", 18), ("s2024.csv", 18)]


def test_declared_personal_columns_are_recorded(tmp_path: Path):
    s = make_survey()
    s["ref_no"] = [fake_nik(i) for i in range(len(s))]
    s["nama_istri"] = "x"
    p = tmp_path / "survey.csv"
    s.to_csv(p, index=False)
    got = load_survey(p, pii={"ref_no": "hash", "nama_istri": "drop"}, key=KEY)
    assert got.attrs["kassaki_source"]["pii"] == {"ref_no": "hash", "nama_istri": "drop"}
    assert "nama_istri" not in got.columns and got["ref_no"][0] == _hmac(fake_nik(0), "P")


# ---- CSV layout ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n\r\n", b"\n"])
def test_a_csv_of_blank_lines_is_a_file_error(tmp_path: Path, data):
    # found by mutmut: pandas' EmptyDataError escaped ("No columns to parse from file")
    with pytest.raises(DataFileError) as info:
        load_survey(_bytes(tmp_path, "survey.csv", data))
    assert str(info.value) == ("survey.csv has no header row: it holds only blank lines. Fix: "
                               "export the sheet with its data again; the raw file is left as "
                               "it is.")


def test_blank_lines_keep_the_file_s_row_numbers(tmp_path: Path):
    lines = make_survey().to_csv(index=False).splitlines()
    lines[3] = lines[3].replace(",H0002,", ",,")   # the 3rd household (file row 4) has no id
    lines.insert(2, "")                               # a blank line: that row is now file row 5
    p = tmp_path / "s.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"'hh_id' has missing values: 1 row \(e.g. row 5\)"):
        load_survey(p)


def test_an_unnamed_column_gets_pandas_name(tmp_path: Path):
    s = make_survey()
    s[""] = "catatan"  # a column with values and a blank header cell
    p = tmp_path / "s.csv"
    s.to_csv(p, index=False)
    n = s.shape[1] - 1
    got = load_survey(p)
    assert got.columns[-1] == f"Unnamed: {n}" and got[f"Unnamed: {n}"].iloc[0] == "catatan"


def test_semicolons_win_over_a_title_row_full_of_commas(tmp_path: Path):
    p = tmp_path / "s.csv"
    p.write_text("Survei, Kabupaten Pangkep, 2023-2025\n"
                 + make_survey().to_csv(index=False, sep=";"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"appear in row 2; rows 1–1 look like a title or "
                                            r"notes\. Fix: pass header_row=2"):
        load_survey(p)
    assert len(load_survey(p, header_row=2)) == 54


def test_header_row_bounds(tmp_path: Path):
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False)
    assert len(load_survey(p, header_row=1)) == 54  # the first row, said explicitly
    q = tmp_path / "h.csv"
    q.write_text(",".join(make_survey().columns) + "\n", encoding="utf-8")
    with pytest.raises(ParameterError) as info:
        load_survey(q, header_row=0)
    assert str(info.value) == ("The 'header_row' parameter of load_table must be a row number "
                               "from 1 to 1 (1 = first row). Got 0 instead.")


# ---- session 10 (helper mutK): survivors of a fresh seeded sample (seed 19) ------------------

def test_text_head_keeps_the_head_and_names_the_file(tmp_path: Path):
    """``text_head`` (used to draft profiles): the first ``keep`` characters of the decoded
    text (a byte-order mark dropped), the loaders' decoding message for a bad byte."""
    from kassaki_eval.data.loaders import text_head
    p = tmp_path / "kur.csv"
    p.write_bytes(b"\xef\xbb\xbfID,Nama\nR1,a\n")
    assert text_head(p) == "ID,Nama\nR1,a\n"
    assert text_head(p, keep=4) == "ID,N"
    q = tmp_path / "bad.csv"
    q.write_bytes(b"ID\nR\xe91\n")  # 'é' in cp1252: byte 4, line 2, character 2
    with pytest.raises(DataFileError) as info:
        text_head(q)
    assert str(info.value).startswith(
        "bad.csv is not valid UTF-8 text: the byte 0xE9 at byte position 4 (line 2, character "
        "2) cannot be decoded.")
    assert text_head(q, encoding="cp1252") == "ID\nRé1\n"
    # a multi-byte character cut off at the very end of the file is an error too (the last
    # slice is decoded as final): 0xC3 opens a two-byte 'é'
    r = tmp_path / "cut.csv"
    r.write_bytes(b"ID\nR1\xc3")
    with pytest.raises(DataFileError) as info:
        text_head(r)
    assert str(info.value).startswith(
        "cut.csv is not valid UTF-8 text: the byte 0xC3 at byte position 5 (line 2, character "
        "3) cannot be decoded.")


def test_a_text_identifier_declared_hash_keeps_missing_missing(tmp_path: Path):
    """A CSV column (read as text) declared ``'hash'``: each value hashed as its stripped text
    (Python's ``hmac`` as the reference), an empty cell stays missing (not the hash of
    'nan')."""
    s = make_survey()
    s["ref_no"] = [fake_nik(i) for i in range(len(s))]
    s.loc[2, "ref_no"] = None
    p = tmp_path / "survey.csv"
    s.to_csv(p, index=False)
    got = load_survey(p, pii={"ref_no": "hash"}, key=KEY)["ref_no"]
    assert got[0] == _hmac(fake_nik(0), "P") and got[3] == _hmac(fake_nik(3), "P")
    assert pd.isna(got[2])
    assert _hmac("nan", "P") not in set(got.dropna())


def test_one_wave_counts_excel_years_with_a_decimal_point(tmp_path: Path):
    """Wave 2024 written '2024' in one file and '2024.0' (a number column saved by Excel) in
    the other: one wave, and every row of both files counted (3 + 3)."""
    s = make_survey(years=(2024,))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    s.iloc[:3].to_csv(a, index=False)
    s.iloc[3:6].assign(year="2024.0").to_csv(b, index=False)
    with pytest.raises(SchemaError) as info:
        load_survey([a, b])
    (pr,) = info.value.problems
    assert (pr.column, pr.rule, pr.count) == ("year", "has wave 2024 in 2 files (a.csv, b.csv)",
                                              6)


def test_validate_file_renames_and_names_file_and_row(tmp_path: Path):
    """``validate_file`` applies ``rename=`` and quotes the file name and the spreadsheet row
    (header = row 1, so the 4th data row is row 5)."""
    s = make_survey()
    s.loc[3, "hh_id"] = None
    p = tmp_path / "s.csv"
    s.rename(columns={"weight": "bobot"}).to_csv(p, index=False)
    with pytest.raises(SchemaError) as info:
        validate_file(p, "survey", rename={"bobot": "weight"})
    assert str(info.value) == (
        "survey (s.csv): 1 problem found\n  - survey: column 'hh_id' has missing values: 1 row "
        "(e.g. row 5). Fix: 'hh_id' may not be empty; fill it or drop those rows in a cleaned "
        "copy")
    q = tmp_path / "ok.csv"
    make_survey().rename(columns={"weight": "bobot"}).to_csv(q, index=False)
    assert validate_file(q, "survey", rename={"bobot": "weight"})["weight"].notna().all()


def test_a_workbook_without_the_asked_sheet_lists_its_sheets(tmp_path: Path):
    p = tmp_path / "w.xlsx"
    with pd.ExcelWriter(p) as w:
        make_survey().to_excel(w, sheet_name="Survey", index=False)
        pd.DataFrame({"catatan": ["x"]}).to_excel(w, sheet_name="README", index=False)
    with pytest.raises(DataFileError) as info:
        load_survey(p, sheet="Susenas")
    assert str(info.value) == ("w.xlsx has no sheet 'Susenas'; its sheets are 'Survey', "
                               "'README'. Fix: pass one of these as sheet=.")


def test_a_workbook_reads_missing_markers_and_keeps_empty_named_columns(tmp_path: Path):
    """Workbook cells holding NA_VALUES texts ('.', 'NA', 'N/A', 'NULL') are missing, as in a
    CSV; a named column with no value is kept (only unnamed empty columns are dropped)."""
    from kassaki_eval.data import read_raw
    p = tmp_path / "w.xlsx"
    pd.DataFrame({"kode": ["1", "2", "3", "4"], "nilai": [".", "NA", "N/A", "7"],
                  "catatan": [None, None, None, None]}).to_excel(p, index=False)
    df, rows, fmt = read_raw(p)
    assert fmt == "xlsx" and rows.tolist() == [2, 3, 4, 5]
    assert df.columns.tolist() == ["kode", "nilai", "catatan"]
    assert df["nilai"].isna().tolist() == [True, True, True, False]
    assert df["catatan"].isna().all()
    # a blank header cell over values: pandas' name for it, as in a CSV (column index 1)
    from openpyxl import Workbook
    wb = Workbook()
    for r in (["kode", None, "nilai"], ["1", "a", "5"], ["2", "b", "6"]):
        wb.active.append(r)
    q = tmp_path / "blank.xlsx"
    wb.save(q)
    df, _, _ = read_raw(q)
    assert df.columns.tolist() == ["kode", "Unnamed: 1", "nilai"]
    assert df["Unnamed: 1"].tolist() == ["a", "b"]


def test_one_contract_name_below_the_header_is_not_a_header(tmp_path: Path):
    """The header search moves only for a row with at least two expected column names: a
    single data value that happens to be a contract column name ('weight') below a header of
    other names (to be renamed) leaves the header in row 1."""
    from kassaki_eval.data import read_raw
    p = tmp_path / "s.csv"
    p.write_text("kode,keterangan\n1,weight\n2,x\n", encoding="utf-8")
    df, rows, _ = read_raw(p, table="survey")
    assert df.columns.tolist() == ["kode", "keterangan"] and rows.tolist() == [2, 3]
    assert df["keterangan"].tolist() == ["weight", "x"]
