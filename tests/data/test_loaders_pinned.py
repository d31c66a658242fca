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

def _zip(members: dict[str, bytes]) -> bytes:
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _bytes(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


_PDF = b"%PDF-1.4\n%\xe2\xe3\n"
_READS = "(it reads CSV, Parquet, .xlsx and .dta)"


#: formats we do not read, each correctly named (more, built with _zip, further down)
_UNREAD_FORMATS = [
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
]


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
    ("s.xlsx", _zip({"word/document.xml": b"<w/>"}), "an Excel workbook (.xlsx)",
     "a Word document", "export it again as CSV UTF-8 or .xlsx"),
    ("s.csv", "a\tb\n".encode("utf-16"), "CSV text", "UTF-16 text (Excel's 'Unicode text')",
     "save it again as 'CSV UTF-8 (Comma delimited)'"),
    ("s.parquet", b"", "a Parquet file", "an empty file",
     "the file has no content; export it again"),
    ("s.dta", b"kode,nilai\n1,2\n", "a Stata dataset (.dta)", "CSV text",
     "rename it to .csv, or export it again in the format its name says"),
    ("s.csv", b"PAR1\x00\x00", "CSV text", "a Parquet file", "rename it to .parquet"),
    ("s.txt", b"<stata_dta>", "CSV text", "a Stata dataset (.dta)", "rename it to .dta"),
    ("s.xls", b"kode\n1\n", "a legacy Excel 97-2003 workbook (.xls)", "CSV text",
     "rename it to .csv, or export it again in the format its name says"),
    ("s.json", b"{}", "a '.json' file", "JSON text",
     "export the table as 'CSV UTF-8' (one header row, one row per record); from Python: "
     "pandas.read_json(path).to_csv('cleaned.csv', index=False)"),
    ("s.gz", b"kode\n1\n", "gzip-compressed data", "CSV text",
     "rename it to .csv, or export it again in the format its name says"),
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


# ---- session 11 (helper mutO): pinned by behaviour area -------------------------------------
# Read options (separator vote on the header row, header_row, encoding, sheet, missing-value
# texts), the messages word for word, and validate_file / write_table options. The seed-20
# survivors of docs/MUTATION.md are among them (named in each docstring).

def test_a_ragged_csv_row_names_the_header_row_and_pandas_line(tmp_path: Path):
    """A data row with more fields than the header: pandas' parser error, after the header row
    (row 1 by default, row 3 with header_row=3; seed-20 ``_read_csv_130``), with pandas' text
    stripped of its trailing newline (file lines counted by pandas: line 5 is '3,4,5,6')."""
    from kassaki_eval.data import read_raw
    fix = ("Fix: a value probably contains the separator without quotes; export it again with "
           "quoted text fields.")
    p = tmp_path / "q.csv"
    p.write_text("judul\ncatatan\nkode,nilai\n1,2\n3,4,5,6\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        read_raw(p, header_row=3)
    assert str(info.value) == ("q.csv could not be parsed as ','-separated CSV after row 3: "
                               "Error tokenizing data. C error: Expected 2 fields in line 5, "
                               f"saw 4. {fix}")
    q = tmp_path / "r.csv"
    q.write_text("kode;nilai\n1;2\n3;4;5\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        read_raw(q)
    assert str(info.value) == ("r.csv could not be parsed as ';'-separated CSV after row 1: "
                               "Error tokenizing data. C error: Expected 2 fields in line 3, "
                               f"saw 3. {fix}")


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_the_separator_is_voted_on_the_given_header_row(tmp_path: Path, sep: str):
    """No contract name in the header (to be renamed): the separator is the one the given
    header row holds most of, not the title line above it (3 commas, no other separator;
    seed-20 ``_read_csv_34``)."""
    from kassaki_eval.data import read_raw
    p = tmp_path / "s.csv"
    p.write_text(f"Laporan, Kab. Pangkep, 2024, final\nkode{sep}nilai{sep}ket\n"
                 f"1{sep}2,5{sep}a\n", encoding="utf-8")
    df, rows, fmt = read_raw(p, header_row=2)
    assert (fmt, df.columns.tolist(), rows.tolist()) == ("csv", ["kode", "nilai", "ket"], [3])
    assert df.iloc[0].tolist() == ["1", "2,5", "a"]  # a decimal comma stays text


# pandas' default missing-value texts that are NOT in NA_VALUES: kept as text in CSV and Excel
_NOT_MISSING = ["n/a", "None", "<NA>", "-NaN", "#NA", "1.#IND", "-nan", "NAN", "-"]
_MISSING = ["NA", "N/A", "NaN", "nan", "NULL", "null", "."]


def test_only_the_listed_missing_texts_are_missing_in_csv(tmp_path: Path):
    """CSV: exactly ``NA_VALUES`` (and the empty cell) read as missing."""
    from kassaki_eval.data import read_raw
    from kassaki_eval.data.loaders import NA_VALUES
    assert NA_VALUES == ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "."]
    cells = _MISSING + [""] + _NOT_MISSING
    p = tmp_path / "s.csv"
    p.write_text("kode,nilai\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells)),
                 encoding="utf-8")
    df, rows, _ = read_raw(p)
    assert rows.tolist() == list(range(2, len(cells) + 2))
    assert df["nilai"].isna().tolist() == [True] * 8 + [False] * len(_NOT_MISSING)
    assert df["nilai"].tolist()[8:] == _NOT_MISSING


def test_only_the_listed_missing_texts_are_missing_in_a_workbook(tmp_path: Path):
    """Workbook text cells: the same list as CSV (seed-20 ``_read_xlsx_62``: pandas' default
    list would also blank 'n/a', 'None', '<NA>', ...)."""
    from openpyxl import Workbook

    from kassaki_eval.data import read_raw
    wb = Workbook()
    wb.active.append(["kode", "nilai"])
    cells = _MISSING + _NOT_MISSING
    for i, c in enumerate(cells):
        wb.active.append([str(i), c])
    p = tmp_path / "w.xlsx"
    wb.save(p)
    df, rows, _ = read_raw(p)
    assert rows.tolist() == list(range(2, len(cells) + 2))
    assert df["nilai"].isna().tolist() == [True] * 7 + [False] * len(_NOT_MISSING)
    assert df["nilai"].tolist()[7:] == _NOT_MISSING


@pytest.mark.parametrize("two_files", [False, True])
def test_the_pseudonymised_registry_check_names_file_and_rows(tmp_path: Path, monkeypatch,
                                                               two_files: bool):
    """The second contract check (after pseudonymisation) quotes the same file name and
    spreadsheet rows as the first (seed-20 ``load_table_163``, ``_164``). Pseudonymisation is
    made to lose one family_id (row 4 of the file: header = row 1), which the real one never
    does, to see the wiring."""
    from kassaki_eval.data import loaders
    real = loaders.pseudonymise_registry

    def lossy(data, **kw):
        out = real(data, **kw)
        out.loc[2, "family_id"] = None
        return out

    monkeypatch.setattr(loaders, "pseudonymise_registry", lossy)
    raw = make_registry_raw(n=4)
    p = tmp_path / "p3ke.csv"
    raw.to_csv(p, index=False)
    paths, source, row = [p], "p3ke.csv", "row 4"
    if two_files:
        q = tmp_path / "p3ke2.csv"
        make_registry_raw(n=8).iloc[4:].to_csv(q, index=False)
        paths, source, row = [p, q], "2 files", "p3ke.csv row 4"
    with pytest.raises(SchemaError) as info:
        load_registry(paths, key=KEY)
    assert str(info.value) == (
        f"registry ({source}): 1 problem found\n  - registry: column 'family_id' has missing "
        f"values: 1 row (e.g. {row}). Fix: 'family_id' may not be empty; fill it or drop those "
        "rows in a cleaned copy")


def test_validate_file_defaults_to_survey_and_passes_read_options(tmp_path: Path):
    """``validate_file(path)`` checks a survey (seed-20 ``validate_file_2``); header_row,
    encoding and sheet reach the reader (seed-20 ``validate_file_34``)."""
    s = make_survey()
    p = tmp_path / "s.csv"
    s.to_csv(p, index=False)
    assert len(validate_file(p)) == 54
    s["catatan"] = "Désa"
    q = tmp_path / "cp.csv"
    q.write_bytes(("Laporan Susenas\nKab. Pangkep\n" + s.to_csv(index=False)).encode("cp1252"))
    out = validate_file(q, header_row=3, encoding="cp1252")
    assert len(out) == 54 and out["catatan"].iloc[0] == "Désa"
    w = tmp_path / "w.xlsx"
    with pd.ExcelWriter(w) as xw:
        pd.DataFrame({"catatan": ["x"]}).to_excel(xw, sheet_name="README", index=False)
        make_survey().to_excel(xw, sheet_name="Data", index=False)
    assert len(validate_file(w, "survey", sheet="Data")) == 54
    assert len(validate_file(w, "survey", sheet=1)) == 54


@pytest.mark.parametrize("ext", [".pq", ".PQ"])
def test_write_table_writes_parquet_for_pq(tmp_path: Path, ext: str):
    """'.pq' is Parquet, as for reading (seed-20 ``write_table_47``)."""
    df = pd.DataFrame({"hh_id": ["H1", "H2"], "weight": [1.5, 2.25]})
    p = write_table(df, tmp_path / f"t{ext}")
    assert p.read_bytes()[:4] == b"PAR1"
    pd.testing.assert_frame_equal(pd.read_parquet(p), df)


def test_a_truncated_gzip_csv_is_a_file_error(tmp_path: Path):
    """The first 8 KiB decompress (so it is sniffed as gzip-compressed CSV), the rest does not."""
    import gzip

    from kassaki_eval.data import read_raw
    body = ("kode,nilai\n" + "".join(f"{i},{i}\n" for i in range(5000))).encode()
    raw = gzip.compress(body, mtime=0)
    p = tmp_path / "t.csv.gz"
    p.write_bytes(raw[:len(raw) // 2])
    with pytest.raises(DataFileError) as info:
        read_raw(p)
    assert str(info.value) == ("t.csv.gz is gzip-compressed but could not be decompressed "
                               "(Compressed file ended before the end-of-stream marker was "
                               "reached). Fix: gunzip it by hand and check the result; the raw "
                               "file is left as it is.")
    p.write_bytes(raw)
    df, rows, fmt = read_raw(p)
    assert (fmt, len(df), rows[0], rows[-1]) == ("csv.gz", 5000, 2, 5001)


@pytest.mark.parametrize("ext, what", [(".parquet", "a Parquet file"),
                                       (".pq", "a Parquet file"),
                                       (".dta", "a Stata dataset (.dta)")])
def test_parquet_and_stata_read_options(tmp_path: Path, ext: str, what: str):
    """Parquet ('.parquet', '.pq') and Stata: rows numbered 1..n, header_row only 1, no
    encoding; the messages name the format."""
    from kassaki_eval.data import read_raw
    s = make_survey()
    p = tmp_path / f"s{ext}"
    s.to_parquet(p, index=False) if ext != ".dta" else s.to_stata(p, write_index=False)
    df, rows, fmt = read_raw(p, header_row=1)
    assert fmt == ("dta" if ext == ".dta" else "parquet")
    assert rows.tolist() == list(range(1, 55)) and len(df) == 54
    assert df.index.tolist() == list(range(54))
    with pytest.raises(ParameterError) as info:
        read_raw(p, header_row=2)
    assert str(info.value) == ("The 'header_row' parameter of load_table applies to CSV and "
                               f"Excel files only. Got 2 for {what} instead.")
    with pytest.raises(ParameterError) as info:
        load_table(p, encoding="cp1252")
    assert str(info.value) == ("The 'encoding' parameter of load_table applies to CSV files "
                               f"only. Got 'cp1252' for {what} instead.")
    bad = tmp_path / f"bad{ext}"
    bad.write_bytes(p.read_bytes()[:40])
    with pytest.raises(DataFileError) as info:
        read_raw(bad)
    msg = str(info.value)
    assert msg.startswith(f"bad{ext} looks like {what} but could not be read (")
    assert msg.endswith("). Fix: export it again.")


def test_an_encoding_for_a_workbook_is_a_parameter_error(tmp_path: Path):
    p = tmp_path / "w.xlsx"
    make_survey().to_excel(p, index=False)
    with pytest.raises(ParameterError) as info:
        load_table(p, encoding="cp1252")
    assert str(info.value) == ("The 'encoding' parameter of load_table applies to CSV files "
                               "only. Got 'cp1252' for an Excel workbook (.xlsx) instead.")


@pytest.mark.parametrize("encoding, name", [("ascii", "ASCII"), ("utf-8", "UTF-8"),
                                            ("utf-8-sig", "UTF-8")])
def test_a_bad_byte_with_a_given_encoding_names_it_without_the_guess(tmp_path: Path, encoding,
                                                                     name):
    """A given encoding: its name upper-cased without '-sig', no Windows-1252 guess. The byte
    0xE9 ('é' in cp1252) is at position 22 = len('kode,nama\\n1,Andi\\n2,Jos'): line 3, its
    6th character."""
    p = tmp_path / "s.csv"
    p.write_bytes(b"kode,nama\n1,Andi\n2,Jos\xe9\n")
    with pytest.raises(DataFileError) as info:
        load_table(p, "villages", encoding=encoding)
    assert str(info.value) == (
        f"s.csv is not valid {name} text: the byte 0xE9 at byte position 22 (line 3, "
        "character 6) cannot be decoded. Fix: save the file again as 'CSV UTF-8 (Comma "
        "delimited)' (Excel: File > Save As), or, if you know its encoding, pass it "
        "explicitly: load_table(..., encoding='cp1252') (or 'latin-1'; --encoding on the "
        "command line). The raw file is left as it is.")


def test_the_header_row_bound_is_the_file_s_line_count(tmp_path: Path):
    """A 55-line CSV (header + 54 rows): header_row 0, True or 2.0 is refused with the bound
    55, not the 30 lines scanned for a header (bug fixed in session 11); np.int64 is a row
    number."""
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False)
    for bad in (0, True, 2.0, 56):
        with pytest.raises(ParameterError) as info:
            load_survey(p, header_row=bad)
        assert str(info.value) == ("The 'header_row' parameter of load_table must be a row "
                                   f"number from 1 to 55 (1 = first row). Got {bad!r} "
                                   "instead.")
    q = tmp_path / "t.csv"
    q.write_text("Judul\n" + make_survey().to_csv(index=False), encoding="utf-8")
    assert len(load_survey(q, header_row=np.int64(2))) == 54
    w = tmp_path / "w.xlsx"
    make_survey().to_excel(w, index=False)
    with pytest.raises(ParameterError) as info:
        load_survey(w, header_row=0)
    assert str(info.value) == ("The 'header_row' parameter of load_table must be a row "
                               "number from 1 to 55 (1 = first row). Got 0 instead.")


def test_a_workbook_with_title_rows(tmp_path: Path):
    """Excel: the header found in row 3 below two title rows (message word for word), then
    read with header_row=3: data rows numbered from 4."""
    from openpyxl import Workbook
    s = make_survey()
    wb = Workbook()
    wb.active.append(["Survei Kabupaten Pangkep"])
    wb.active.append(["sumber: BPS"])
    wb.active.append(list(s.columns))
    for r in s.itertuples(index=False):
        wb.active.append([None if pd.isna(v) else v.item() if hasattr(v, "item") else v
                          for v in r])
    p = tmp_path / "w.xlsx"
    wb.save(p)
    with pytest.raises(DataFileError) as info:
        load_survey(p)
    assert str(info.value) == (
        "w.xlsx: the header is not in the first row. The expected column names ('year', "
        "'hh_id', 'family_id', 'village_code', …) appear in row 3; rows 1–2 look like a title "
        "or notes. Fix: pass header_row=3 (load_table(..., header_row=3), or --header-row 3 on "
        "the command line); the raw file is left as it is.")
    from kassaki_eval.data import read_raw
    df, rows, _ = read_raw(p, header_row=3)
    assert rows.tolist() == list(range(4, 58)) and len(load_survey(p, header_row=3)) == 54


def test_workbook_sheets_by_name_index_and_out_of_range(tmp_path: Path):
    """The sheet named like the table's first word (case and spaces ignored) is chosen; an
    index picks by position; an index out of range lists the sheets."""
    from kassaki_eval.data import read_raw
    p = tmp_path / "w.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"catatan": ["x"]}).to_excel(xw, sheet_name="README", index=False)
        make_survey().to_excel(xw, sheet_name=" SURVEY ", index=False)
    assert len(load_survey(p)) == 54
    df, _, _ = read_raw(p, sheet=0)
    assert df.columns.tolist() == ["catatan"]
    for bad in (2, -1):
        with pytest.raises(DataFileError) as info:
            read_raw(p, sheet=bad)
        assert str(info.value) == (f"w.xlsx has no sheet {bad}; its sheets are 'README', "
                                   "' SURVEY '. Fix: pass one of these as sheet=.")
    with pytest.raises(DataFileError) as info:
        read_raw(p, table="villages")
    assert str(info.value) == ("w.xlsx has 2 sheets ('README', ' SURVEY ') and none is named "
                               "'villages'. Fix: pass sheet='<name>' (--sheet on the command "
                               "line).")


def test_an_integer_identifier_declared_hash_is_hashed_as_its_digits(tmp_path: Path):
    """Parquet int64 ids (a database export) declared 'hash': the keyed pseudonym of their
    digits (Python's hmac as the reference)."""
    s = make_survey()
    s["ref_no"] = np.array([int(fake_nik(i)) for i in range(len(s))], dtype="int64")
    p = tmp_path / "s.parquet"
    s.to_parquet(p, index=False)
    got = load_survey(p, pii={"ref_no": "hash"}, key=KEY)["ref_no"]
    assert got.tolist() == [_hmac(fake_nik(i), "P") for i in range(len(s))]


def test_excel_mangled_ids_in_a_raw_registry_are_refused_without_echoing_them(tmp_path: Path):
    """Office input: family-card numbers that went through Excel (7.31E+15, and one whose
    leading digits were kept but the 16th lost to 0). The message names rows, never values."""
    raw = make_registry_raw(n=4)
    nums = raw["no_kk"].tolist()
    raw["no_kk"] = [f"{float(nums[0]):.2E}", nums[1][:15] + "0", nums[2], nums[3]]
    p = tmp_path / "p3ke.csv"
    raw.to_csv(p, index=False)
    with pytest.raises(SchemaError) as info:
        validate_file(p, "registry")
    msg = str(info.value)
    assert msg.startswith("registry_raw (p3ke.csv): 1 problem found\n  - registry_raw: column "
                          "'no_kk' holds 16-digit ids that went through a number format")
    for n in nums + raw["nik_head"].tolist() + raw["name_head"].tolist() + [
            raw["no_kk"][1]]:
        assert n not in msg


def test_a_raw_registry_in_two_files_is_loaded(tmp_path: Path):
    """load_registry of one raw file per kecamatan: the files are checked against the raw
    contract (no_kk, not family_id) and stacked; family_id is the keyed hash of each no_kk
    (Python's hmac). Bug fixed in session 11: every file was reported as missing 'family_id'
    '(the other files have it)'."""
    a, b = make_registry_raw(n=4), make_registry_raw(n=8).iloc[4:]
    pa, pb = tmp_path / "kec_a.csv", tmp_path / "kec_b.xlsx"
    a.to_csv(pa, index=False)
    b.to_excel(pb, index=False, sheet_name="registry")
    reg = load_registry([pa, pb], key=KEY)
    assert reg["family_id"].tolist() == [_hmac(fake_nik(i, "7310"), "F") for i in range(8)]
    assert not {"no_kk", "nik_head", "name_head"} & set(reg.columns)
    src = reg.attrs["kassaki_source"]
    assert [f["file"] for f in src["files"]] == ["kec_a.csv", "kec_b.xlsx"]
    assert (src["table"], src["rows"]) == ("registry", 8)
    c = make_registry_raw(n=12).iloc[8:].drop(columns=["desil"])
    pc = tmp_path / "kec_c.csv"
    c.to_csv(pc, index=False)
    with pytest.raises(SchemaError) as info:
        load_registry([pa, pc], key=KEY)
    assert str(info.value) == (
        "registry (2 files): 1 problem found\n  - registry (kec_c.csv): column 'desil' is "
        "missing in this file (the other files have it): 4 rows. Fix: check the header of "
        "kec_c.csv: a renamed column can be mapped with rename={'old': 'desil'} (--rename "
        "old=desil); the raw file is left as it is")


def test_a_column_missing_from_every_file_is_the_contract_message(tmp_path: Path):
    """'weight' in neither wave file: not '(the other files have it)' (bug fixed in session
    11) but the contract's own message, over the 54 stacked rows."""
    s = make_survey().drop(columns=["weight"])
    p, q = tmp_path / "s1.csv", tmp_path / "s2.csv"
    s[s["year"] == 2023].to_csv(p, index=False)
    s[s["year"] != 2023].to_csv(q, index=False)
    with pytest.raises(SchemaError) as info:
        load_survey([p, q])
    assert str(info.value) == (
        "survey (2 files): 1 problem found\n  - survey: column 'weight' is missing: 54 rows. "
        "Fix: add the column 'weight' (float); the table contract is in docs/ARCHITECTURE.md")


@pytest.mark.parametrize("data, fmt", [
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "ods"),
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), "zip"),  # .odt: no sheet
    (_zip({"word/document.xml": b"<w/>"}), "docx"),
    (_zip({"data.csv": b"a,b\n"}), "zip"),
    (b"PK\x03\x04" + b"x" * 40, "binary"),  # a local-file magic and no archive: BadZipFile
    (b"<table><tr><td>1</td></tr>", "html"),
    (b"\r\n\t<HEAD><title>x</title>", "html"),
    (b"<body>1</body>", "html"),
    (b"\xef\xbb\xbf{\"a\": 1}", "json"),
    (b"kode,nama\n1,\x00x\n", "binary"),  # a NUL byte in text
    (b"%PDF-1.7", "pdf"),
    (b"PAR1\x00", "parquet"),
    (b"<stata_dta><header>", "dta"),
    (b"a", "csv"),
])
def test_sniff_format_more_kinds(tmp_path: Path, data, fmt):
    from kassaki_eval.data import sniff_format
    assert sniff_format(_bytes(tmp_path, "f.bin", data)) == fmt


@pytest.mark.parametrize("name, inner, fmt", [
    ("s.csv.gz", b"kode,nilai\n1,2\n", "csv.gz"),
    ("S.CSV.GZ", b"kode,nilai\n1,2\n", "csv.gz"),  # the suffix in any case
    ("s.csv.gz", b"", "gzip"),                     # nothing inside
    ("s.csv.gz", b"kode\x00nilai", "gzip"),        # binary inside
])
def test_sniff_format_of_gzip_files(tmp_path: Path, name, inner, fmt):
    import gzip

    from kassaki_eval.data import sniff_format
    assert sniff_format(_bytes(tmp_path, name, gzip.compress(inner, mtime=0))) == fmt
    assert sniff_format(_bytes(tmp_path, "s.csv.gz", b"\x1f\x8b\x08\x00broken")) == "gzip"


@pytest.mark.parametrize("name, data, what, fix", _UNREAD_FORMATS + [
    ("s.ods", _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
     "an OpenDocument spreadsheet (.ods)",
     "open it and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'"),
    ("s.zip", _zip({"data.csv": b"a,b\n"}), "a ZIP archive (not an Excel workbook)",
     "export it as CSV UTF-8 or .xlsx"),
    ("s.htm", b"<html><table>", "an HTML web page",
     "it is a web page saved with a spreadsheet name (common for web-portal exports): open it "
     "in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'"),
])
def test_formats_we_do_not_read_correctly_named(tmp_path: Path, name, data, what, fix):
    with pytest.raises(DataFileError) as info:
        load_survey(_bytes(tmp_path, name, data))
    assert str(info.value) == (f"{name} is {what}, which kassaki-eval does not read {_READS}. "
                               f"Fix: {fix}.")


@pytest.mark.parametrize("name, sep", [("s.txt", "\t"), ("s.TSV", "\t"), ("s.dat", "|"),
                                       ("s", ";")])
def test_text_extensions_and_unknown_ones_are_read_by_content(tmp_path: Path, name, sep):
    """'.txt' and '.tsv' (any case) are CSV text; an unknown or no extension trusts the
    content; the separator is voted by the contract names the header holds."""
    p = tmp_path / name
    p.write_text(make_survey().to_csv(index=False, sep=sep), encoding="utf-8")
    got = load_survey(p)
    assert len(got) == 54 and got.attrs["kassaki_source"]["format"] == "csv"


def test_an_xlsm_workbook_is_read(tmp_path: Path):
    p = tmp_path / "w.xlsx"
    make_survey().to_excel(p, index=False)
    q = tmp_path / "w.XLSM"
    q.write_bytes(p.read_bytes())
    got = load_survey(q)
    assert len(got) == 54 and got.attrs["kassaki_source"]["format"] == "xlsx"


def test_a_folder_is_not_a_file(tmp_path: Path):
    (tmp_path / "wave2024").mkdir()
    with pytest.raises(DataFileError) as info:
        load_survey(tmp_path / "wave2024")
    assert str(info.value) == ("wave2024 is a folder, not a file. Fix: pass the data file inside "
                               "it (one --survey per wave file).")


def _declare(c: str) -> str:
    return (f"declare what to do with it: pii={{'{c}': 'hash'}} replaces it by a keyed "
            f"pseudonym, pii={{'{c}': 'drop'}} removes it (load_table(..., pii=...), or --pii "
            f"{c}=hash / --pii {c}=drop on the command line); personal data are never written "
            f"un-hashed; the raw file is left as it is")


def test_write_table_searches_contract_columns_for_nik_only(tmp_path: Path):
    """Contract columns: a text one is searched for NIK-shaped values only (names in hh_id
    pass), a numeric one not at all (16-digit int64 amounts pass); an unknown column is
    searched for everything; a contract column of text dtype is searched even if it should
    be numeric."""
    n = 12
    names = [f"Andi Baso Contoh{chr(65 + i)}" for i in range(n)]
    nik_int = [int(fake_nik(i)) for i in range(n)]
    write_table(pd.DataFrame({"hh_id": names, "income": nik_int}), tmp_path / "ok.csv")
    rule = ("looks like personal data ({n} values shaped like NIK/family-card numbers, {n} of "
            "them with an Indonesian province and kabupaten prefix)")
    for col, values in (("x", nik_int), ("income", [str(v) for v in nik_int])):
        with pytest.raises(DataFileError) as info:
            write_table(pd.DataFrame({col: values}), tmp_path / "t.csv")
        assert str(info.value) == (f"refusing to write t.csv: column '{col}' "
                                   f"{rule.format(n=n)}. Fix: {_declare(col)}.")
    with pytest.raises(DataFileError, match=r"^refusing to write t.csv: column 'kepala' looks "
                                            r"like personal data \(12 values shaped like "
                                            r"personal names"):
        write_table(pd.DataFrame({"kepala": names}), tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()


def test_the_same_file_twice_is_one_problem_with_its_hash(tmp_path: Path):
    """The same content twice (a copy under another name): one problem naming both files, the
    first 12 hex digits of its SHA-256 (hashlib) and its rows; the wave check is not run on
    top (it would report wave 2024 in 2 files)."""
    s = make_survey(years=(2024,))
    p, q = tmp_path / "w2024.csv", tmp_path / "w2024_copy.csv"
    s.to_csv(p, index=False)
    q.write_bytes(p.read_bytes())
    sha = hashlib.sha256(p.read_bytes()).hexdigest()[:12]
    with pytest.raises(SchemaError) as info:
        load_survey([p, q])
    assert str(info.value) == (
        f"survey (2 files): 1 problem found\n  - survey: the table has a file given twice: "
        f"w2024.csv and w2024_copy.csv have the same content (SHA-256 {sha}): 18 rows. Fix: pass each "
        "file once (one --survey per wave); stacking a file twice counts every household twice")


def test_validate_file_checks_raw_registries_raw_and_skips_declared_columns(tmp_path: Path,
                                                                            monkeypatch):
    """No key needed; a raw registry is checked as registry_raw (its label names the file);
    a column declared 'hash' or 'drop' is not checked (and not returned)."""
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    raw = make_registry_raw(n=4)
    raw["nik_istri"] = [fake_nik(i, "7312") for i in range(4)]
    raw.loc[1, "desil"] = 11
    p = tmp_path / "p3ke.csv"
    raw.to_csv(p, index=False)
    with pytest.raises(SchemaError) as info:
        validate_file(p, "registry", pii={"nik_istri": "hash"})
    assert str(info.value) == (
        "registry_raw (p3ke.csv): 1 problem found\n  - registry_raw: column 'desil' has values "
        "outside 1–10: 1 row (e.g. row 3). Fix: 'desil' must be >= 1 and <= 10; desil is the "
        "registry welfare decile, 1 (poorest) to 10")
    raw.loc[1, "desil"] = 10
    raw.to_csv(p, index=False)
    out = validate_file(p, "registry", pii={"nik_istri": "drop"})
    assert "nik_istri" not in out.columns and out["no_kk"].tolist() == raw["no_kk"].tolist()


def test_a_column_declared_drop_needs_no_key(tmp_path: Path, monkeypatch):
    """Only 'hash' needs the pseudonymisation key: 'drop' works without one."""
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    s = make_survey()
    s["nik_pasangan"] = [fake_nik(600 + i) for i in range(len(s))]
    p = tmp_path / "s.csv"
    s.to_csv(p, index=False)
    out = load_survey(p, pii={"nik_pasangan": "drop"})
    assert "nik_pasangan" not in out.columns
    assert out.attrs["kassaki_source"]["pii"] == {"nik_pasangan": "drop"}


def test_a_text_identifier_is_hashed_without_its_spaces(tmp_path: Path):
    """Text ids declared 'hash' are stripped first: ' 7310...1 ' and '7310...1' are the same
    person (Python's hmac of the digits)."""
    s = make_survey()
    s["ref_no"] = [f" {fake_nik(i)} " if i % 2 else fake_nik(i) for i in range(len(s))]
    p = tmp_path / "s.parquet"
    s.to_parquet(p, index=False)
    got = load_survey(p, pii={"ref_no": "hash"}, key=KEY)["ref_no"]
    assert got.tolist() == [_hmac(fake_nik(i), "P") for i in range(len(s))]


def test_an_empty_sheet_reads_as_an_empty_table(tmp_path: Path):
    from openpyxl import Workbook

    from kassaki_eval.data import read_raw
    p = tmp_path / "e.xlsx"
    Workbook().save(p)
    df, rows, fmt = read_raw(p)
    assert (df.shape, rows.tolist(), rows.dtype.kind, fmt) == ((0, 0), [], "i", "xlsx")


def test_a_second_row_with_as_many_names_as_the_first_is_no_title(tmp_path: Path):
    """The header moves only when a later row holds MORE contract names than row 1 (a tie
    keeps row 1), and at least two."""
    from kassaki_eval.data import read_raw
    p = tmp_path / "s.csv"
    p.write_text("hh_id,weight,x\nyear,psu,y\n1,2,3\n", encoding="utf-8")
    df, rows, _ = read_raw(p, table="survey")
    assert df.columns.tolist() == ["hh_id", "weight", "x"] and rows.tolist() == [2, 3]
    q = tmp_path / "t.csv"
    q.write_text("hh_id,a,b\nyear,psu,y\n1,2,3\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        read_raw(q, table="survey")
    assert str(info.value).startswith("t.csv: the header is not in the first row. The expected "
                                      "column names ('year', 'psu', …) appear in row 2; rows "
                                      "1–1 look like")


# ---- session 11: survivors of the fresh seed-21 sample ----------------------------------------

def test_a_survey_in_two_files_with_a_personal_column_is_checked_as_a_survey(tmp_path: Path):
    """Only a registry switches to the raw contract for the across-file check: a survey whose
    files carry a 'nama' column (a personal name column) still reports the column missing in
    one file (seed-21 ``_check_files_33``)."""
    s = make_survey()
    s["nama"] = [f"Andi Baso Contoh{chr(65 + i % 26)}" for i in range(len(s))]
    p, q = tmp_path / "s2023.csv", tmp_path / "s2024.csv"
    s[s["year"] == 2023].to_csv(p, index=False)
    s[s["year"] != 2023].drop(columns=["weight"]).to_csv(q, index=False)
    with pytest.raises(SchemaError) as info:
        load_survey([p, q])
    assert str(info.value) == (
        "survey (2 files): 1 problem found\n  - survey (s2024.csv): column 'weight' is missing "
        "in this file (the other files have it): 36 rows. Fix: check the header of s2024.csv: "
        "a renamed column can be mapped with rename={'old': 'weight'} (--rename old=weight); "
        "the raw file is left as it is")


def test_the_last_row_is_a_valid_header_row(tmp_path: Path):
    """header_row may name the last row (a header without data; seed-21 ``_header_index_8``):
    CSV and Excel give the columns and no rows."""
    from kassaki_eval.data import read_raw
    p = tmp_path / "h.csv"
    p.write_text("Laporan\nkode,nilai\n", encoding="utf-8")
    df, rows, _ = read_raw(p, header_row=2)
    assert (df.columns.tolist(), len(df), rows.tolist()) == (["kode", "nilai"], 0, [])
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["Laporan"])
    wb.active.append(["kode", "nilai"])
    w = tmp_path / "h.xlsx"
    wb.save(w)
    df, rows, _ = read_raw(w, header_row=2)
    assert (df.columns.tolist(), len(df), rows.tolist()) == (["kode", "nilai"], 0, [])


def test_validate_file_reads_with_its_table(tmp_path: Path):
    """The table chooses the workbook sheet and the names searched for a header (seed-21
    ``validate_file_33``)."""
    w = tmp_path / "w.xlsx"
    with pd.ExcelWriter(w) as xw:
        pd.DataFrame({"catatan": ["x"]}).to_excel(xw, sheet_name="README", index=False)
        make_participation().to_excel(xw, sheet_name="Participation", index=False)
    assert len(validate_file(w, "participation")) == 12


def test_validate_file_checks_a_survey_with_a_personal_column_as_a_survey(tmp_path: Path):
    """Only table='registry' switches to the raw contract (seed-21 ``validate_file_50``): a
    survey with a 'nik' column is a survey holding raw personal data."""
    s = make_survey()
    s["nik"] = [fake_nik(i) for i in range(len(s))]
    p = tmp_path / "s.csv"
    s.to_csv(p, index=False)
    with pytest.raises(SchemaError) as info:
        validate_file(p, "survey")
    assert str(info.value) == (
        "survey (s.csv): 1 problem found\n  - survey: column 'nik' holds raw personal data "
        "(NIK, family-card number or name): 54 rows. Fix: analysis tables never hold personal "
        "data: ingest the raw registry with kassaki_eval.data.load_registry(path), which "
        "replaces no_kk by family_id and drops NIK and names; drop the column from this table")


# ---- session 11: survivors of the fresh seed-22 sample ----------------------------------------

def test_an_os_error_without_a_system_text_names_its_type(tmp_path: Path, monkeypatch):
    """An OSError with no strerror (e.g. raised by a network file system driver as a bare
    exception): its class name (seed-22 ``_format_12``)."""
    import builtins
    p = tmp_path / "survey.csv"
    make_survey().to_csv(p, index=False)
    real_open = builtins.open

    def broken(file, *a, **kw):  # noqa: ANN001
        if str(file) == str(p):
            raise TimeoutError("stale handle")
        return real_open(file, *a, **kw)

    monkeypatch.setattr(builtins, "open", broken)
    with pytest.raises(DataFileError) as info:
        load_survey(p)
    assert str(info.value) == ("survey.csv cannot be read (TimeoutError). Fix: check the file "
                               "and the disk; the raw file is left as it is.")


@pytest.mark.parametrize("note", [15000, 4000])
def test_a_header_below_long_note_rows_is_read_whole(tmp_path: Path, note: int):
    """Five note rows of ~15,000 (or ~4,000) characters above a header in row 6: the header
    row is found and read whole (bug fixed in session 11: the head was cut at 65,536
    characters, so header_row=6 was refused as 'from 1 to 5' and the title search did not
    see row 6; seed-22 ``_read_csv_24``)."""
    from kassaki_eval.data import read_raw
    s = make_survey()
    p = tmp_path / "wide.csv"
    p.write_text(("catatan " + "x" * note + "\n") * 5 + s.to_csv(index=False), encoding="utf-8")
    df, rows, _ = read_raw(p, header_row=6)
    assert df.columns.tolist() == s.columns.tolist() and rows.tolist() == list(range(7, 61))
    with pytest.raises(DataFileError, match=r"appear in row 6; rows 1–5 look like a title or "
                                            r"notes\. Fix: pass header_row=6"):
        read_raw(p)


def test_a_wide_header_row_is_not_cut(tmp_path: Path):
    """A 3,000-column header (~38,000 characters) in row 3 below two 20,000-character note
    rows: all 3,000 names (bug fixed in session 11: the 65,536-character head cut it)."""
    from kassaki_eval.data import read_raw
    names = [f"kolom_{i:05d}" for i in range(3000)]
    p = tmp_path / "wide.csv"
    p.write_text(("catatan " + "x" * 20000 + "\n") * 2 + ",".join(names) + "\n"
                 + ",".join(["1"] * 3000) + "\n", encoding="utf-8")
    df, rows, _ = read_raw(p, header_row=3)
    assert df.columns.tolist() == names and rows.tolist() == [4]


def test_workbook_cells_are_read_as_text(tmp_path: Path):
    """Excel cells come back as text (seed-22 ``_read_xlsx_59``: without dtype=str numbers
    stay numbers): a number cell 7 is '7', 2.5 is '2.5', a boolean is 'True'."""
    from openpyxl import Workbook

    from kassaki_eval.data import read_raw
    wb = Workbook()
    wb.active.append(["kode", "nilai", "flag"])
    wb.active.append([7, 2.5, True])
    p = tmp_path / "w.xlsx"
    wb.save(p)
    df, _, _ = read_raw(p)
    assert df.iloc[0].tolist() == ["7", "2.5", "True"]
    assert all(isinstance(v, str) for v in df.iloc[0])


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_the_header_search_looks_at_the_first_30_rows_only(tmp_path: Path, ext: str):
    """Contract names in row 31 (a second block pasted below, say) do not move the header:
    only rows 1-30 are searched (seed-22 ``_read_xlsx_64``: the whole sheet searched); in row
    30 they do."""
    from kassaki_eval.data import read_raw

    def write(at: int) -> Path:
        rows = [["kode", "ket"]] + [[str(i), "x"] for i in range(2, 46)]
        rows[at - 1] = ["year", "hh_id"]
        p = tmp_path / f"s{at}{ext}"
        if ext == ".csv":
            p.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
        else:
            pd.DataFrame(rows[1:], columns=rows[0]).to_excel(p, index=False)
        return p

    df, rows, _ = read_raw(write(31), table="survey")
    assert df.columns.tolist() == ["kode", "ket"] and rows.tolist() == list(range(2, 46))
    assert df.iloc[29].tolist() == ["year", "hh_id"]
    with pytest.raises(DataFileError, match=r"The expected column names \('year', 'hh_id', …\) "
                                            r"appear in row 30; rows 1–29 look like"):
        read_raw(write(30), table="survey")
