"""Loaders: the four formats give the same validated table; codes stay text; raw files untouched."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import make_participation, make_registry_raw, make_survey, sha256
from kassaki_eval import config
from kassaki_eval.data import (load_participation, load_registry, load_survey, load_table,
                               sniff_format, validate, validate_file)
from kassaki_eval.exceptions import DataFileError, ParameterError, SchemaError


def _write(df: pd.DataFrame, path: Path) -> Path:
    ext = path.suffix
    if ext == ".csv":
        df.to_csv(path, index=False)
    elif ext == ".parquet":
        df.to_parquet(path, index=False)
    elif ext == ".xlsx":
        df.to_excel(path, index=False)
    else:
        d = df.astype({c: "float64" for c in df.columns if isinstance(df[c].dtype, pd.Int64Dtype)})
        d.to_stata(path, write_index=False, version=118)
    return path


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".xlsx", ".dta"])
def test_survey_round_trip_every_format(tmp_path: Path, ext: str):
    src = make_survey()
    path = _write(src, tmp_path / f"survey{ext}")
    before = sha256(path)
    got = load_survey(path)
    assert sha256(path) == before
    want = validate(src, "survey")
    assert list(got.columns) == list(want.columns)
    assert got.attrs["kassaki_source"]["format"] == ext.lstrip(".")
    assert got.attrs["kassaki_source"]["sha256"] == before
    # dtypes follow the contract whatever the file stored
    assert got["village_code"].dtype == "str" and got["year"].dtype == "int64"
    assert isinstance(got["desil"].dtype, pd.Int64Dtype)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".xlsx", ".dta"])
def test_registry_ingest_same_ids_every_format(tmp_path: Path, ext: str):
    raw = make_registry_raw()
    path = _write(raw, tmp_path / f"p3ke{ext}")
    reg = load_registry(path, demo=True)
    ref = load_registry(_write(raw, tmp_path / "ref.csv"), demo=True)
    assert reg["family_id"].tolist() == ref["family_id"].tolist()
    assert reg["family_id"].str.fullmatch(r"F[0-9a-f]{16}").all()


def test_participation_dates_and_parquet(tmp_path: Path):
    df = make_participation()
    p = _write(df, tmp_path / "part.parquet")
    got = load_participation(p)
    assert pd.api.types.is_datetime64_any_dtype(got["start_date"])
    assert got["start_date"].iloc[0] == pd.Timestamp("2024-01-15")


def test_codes_keep_leading_zeros_and_dots(tmp_path: Path):
    df = make_survey()
    df["hh_id"] = [f"{i:06d}" for i in range(len(df))]  # numeric-looking ids with zeros
    p = _write(df, tmp_path / "s.csv")
    got = load_survey(p)
    assert got["hh_id"].iloc[0] == "000000" and got["kec_code"].iloc[0] == "73.10.01"


def test_sniff_formats(tmp_path: Path):
    df = make_participation()
    paths = {"csv": _write(df, tmp_path / "a.csv"), "parquet": _write(df, tmp_path / "a.parquet"),
             "xlsx": _write(df, tmp_path / "a.xlsx"), "dta": _write(df, tmp_path / "a.dta")}
    for fmt, p in paths.items():
        assert sniff_format(p) == fmt
    (tmp_path / "e.csv").write_bytes(b"")
    assert sniff_format(tmp_path / "e.csv") == "empty"
    (tmp_path / "u.csv").write_bytes("a,b\n1,2\n".encode("utf-16"))
    assert sniff_format(tmp_path / "u.csv") == "utf16"


def test_format_without_extension_is_sniffed(tmp_path: Path):
    p = tmp_path / "survey_export"
    make_survey().to_parquet(p, index=False)
    assert len(load_survey(p)) == 54


def test_old_stata_version(tmp_path: Path):
    p = tmp_path / "s.dta"
    make_participation().to_stata(p, write_index=False, version=114)
    assert sniff_format(p) == "dta"
    assert len(load_participation(p)) == 12


def test_stata_value_labels_become_text(tmp_path: Path):
    df = make_survey()
    df["zone"] = pd.Categorical(df["zone"])
    p = _write(df, tmp_path / "s.dta")
    assert load_survey(p)["zone"].iloc[0] == "island"


def test_semicolon_csv(tmp_path: Path):
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False, sep=";")
    assert len(load_survey(p)) == 54


def test_rename_fixes_a_misspelling_without_touching_the_file(tmp_path: Path):
    p = _write(make_survey().rename(columns={"consumption_pc": "Consumption_PC"}),
               tmp_path / "s.csv")
    before = sha256(p)
    with pytest.raises(SchemaError, match=r"did you mean 'Consumption_PC'\?"):
        load_survey(p)
    assert len(load_survey(p, rename={"Consumption_PC": "consumption_pc"})) == 54
    assert sha256(p) == before


def test_excel_sheets(tmp_path: Path):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"note": ["read me"]}).to_excel(w, sheet_name="README", index=False)
        make_participation().to_excel(w, sheet_name="Data", index=False)
    with pytest.raises(DataFileError, match=r"has 2 sheets \('README', 'Data'\) and none is "
                                            r"named 'participation'. Fix: pass sheet="):
        load_participation(p)
    assert len(load_participation(p, sheet="Data")) == 12
    with pytest.raises(DataFileError, match=r"has no sheet 'Dta'; its sheets are 'README', "
                                            r"'Data'"):
        load_participation(p, sheet="Dta")
    q = tmp_path / "named.xlsx"
    with pd.ExcelWriter(q) as w:
        pd.DataFrame({"note": ["x"]}).to_excel(w, sheet_name="README", index=False)
        make_participation().to_excel(w, sheet_name="participation", index=False)
    assert len(load_participation(q)) == 12


def test_excel_row_numbers_skip_blank_rows(tmp_path: Path):
    df = make_registry_raw(n=6)
    p = tmp_path / "r.xlsx"
    with pd.ExcelWriter(p) as w:
        df.iloc[:3].to_excel(w, index=False, sheet_name="registry")
        df.iloc[3:].to_excel(w, index=False, header=False, startrow=5, sheet_name="registry")
        w.sheets["registry"]["A7"] = "123"  # no_kk of the 5th family, Excel row 7
    with pytest.raises(SchemaError, match=r"'no_kk' is not exactly 16 digits: 1 row "
                                          r"\(e.g. row 7\)"):
        load_registry(p, demo=True)


def test_header_row_parameter_errors(tmp_path: Path):
    p = _write(make_survey(), tmp_path / "s.csv")
    with pytest.raises(ParameterError, match=r"The 'header_row' parameter of load_table must be "
                                             r"a row number from 1"):
        load_survey(p, header_row=0)
    q = _write(make_survey(), tmp_path / "s.parquet")
    with pytest.raises(ParameterError, match=r"applies to CSV and Excel files only"):
        load_survey(q, header_row=3)
    with pytest.raises(ParameterError, match=r"'encoding' parameter of load_table applies to CSV"):
        load_survey(q, encoding="cp1252")


def test_csv_with_title_line_and_header_row(tmp_path: Path):
    p = tmp_path / "s.csv"
    p.write_text("Survey export 2025\n" + make_survey().to_csv(index=False), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"appear in row 2; rows 1–1 look like a title"):
        load_survey(p)
    got = load_survey(p, header_row=2)
    assert len(got) == 54


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(DataFileError, match="file not found"):
        load_survey(tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="is a folder"):
        load_survey(tmp_path)


def test_unknown_table_name(tmp_path: Path):
    with pytest.raises(ParameterError, match=r"The 'table' parameter of load_table must be one "
                                             r"of"):
        load_table(tmp_path / "x.csv", "households")


def test_validate_file_keeps_raw_registry_raw_and_needs_no_key(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    p = _write(make_registry_raw(), tmp_path / "r.csv")
    df = validate_file(p, "registry")
    assert "no_kk" in df.columns and len(df) == 30


def test_reference_villages_load():
    v = load_table(config.district_dir() / "villages.csv", "villages")
    assert len(v) == 103 and v["bps_code_2018"].isna().sum() == 3


def test_empty_table(tmp_path: Path):
    p = tmp_path / "s.csv"
    p.write_text(",".join(make_survey().columns) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"survey: the table is empty"):
        load_survey(p)


def test_waves_in_separate_files_are_stacked_and_checked_together(tmp_path: Path):
    s = make_survey()
    paths = []
    for y, fmt in zip((2023, 2024, 2025), (".csv", ".parquet", ".xlsx")):
        paths.append(_write(s[s["year"] == y], tmp_path / f"survey_{y}{fmt}"))
    got = load_survey(paths)
    assert len(got) == 54 and got["year"].tolist() == s["year"].tolist()
    assert [f["file"] for f in got.attrs["kassaki_source"]["files"]] == [p.name for p in paths]
    # a household without id in the 2024 file is named by file and row
    bad = s[s["year"] == 2024].copy()
    bad.loc[bad.index[2], "hh_id"] = None
    paths[1] = _write(bad, tmp_path / "survey_2024b.csv")
    with pytest.raises(SchemaError, match=r"survey \(3 files\): 1 problem found\n.*'hh_id' has "
                                          r"missing values: 1 row \(e.g. survey_2024b.csv row 4\)"):
        load_survey(paths)


def test_header_far_down(tmp_path: Path):
    p = tmp_path / "s.csv"
    p.write_text("notes\n" * 40 + make_survey().to_csv(index=False), encoding="utf-8")
    assert len(load_survey(p, header_row=41)) == 54
    q = tmp_path / "s.xlsx"
    with pd.ExcelWriter(q) as w:
        make_survey().to_excel(w, index=False, startrow=39)
        w.sheets["Sheet1"]["A1"] = "notes"
    assert len(load_survey(q, header_row=40)) == 54
