"""The catalogue of bad inputs: each is written to a file, loaded, and must fail with a message
that names the table, the column, the count, example ids (or row numbers) and the fix, while
the raw file stays byte-identical (SHA-256 before and after).

Each case builds a valid table (tests/data/conftest.py), breaks one thing, writes it in one of
the four formats and states the exact text the error must contain. Expected counts and examples
follow from the construction (e.g. survey rows are ``H0000..`` per wave, 3 per village).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from conftest import (VILLAGES, fake_nik, make_participation, make_registry_raw, make_survey,
                      sha256)

from kassaki_eval import reference
from kassaki_eval.data import load_table, pseudonymise_registry, validate
from kassaki_eval.exceptions import DataFileError, SchemaError

# --------------------------------------------------------------------------------------------
# writers (all formats the loaders read)

def write(df: pd.DataFrame, path: Path, fmt: str | None = None) -> Path:
    fmt = fmt or path.suffix.lstrip(".")
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    elif fmt == "xlsx":
        df.to_excel(path, index=False)
    elif fmt == "dta":
        d = df.copy()
        for c in d.columns:  # Stata has no nullable integers
            if isinstance(d[c].dtype, pd.Int64Dtype):
                d[c] = d[c].astype("float64")
        d.to_stata(path, write_index=False, version=118)
    else:  # pragma: no cover
        raise ValueError(fmt)
    return path


def ingested_registry() -> pd.DataFrame:
    raw = validate(make_registry_raw(), "registry_raw")
    return validate(pseudonymise_registry(raw, demo=True), "registry")


@dataclass
class Case:
    """One hostile input: ``build`` writes the file(s); then either ``error`` is raised with
    every text of ``expect`` in its message, or (``error=None``) the table loads and ``check``
    asserts the correct result."""

    name: str
    table: str
    build: Callable[[Path], Path | list[Path]]
    error: type[Exception] | None
    expect: list[str] | Callable[[Path], list[str]]
    problem: tuple[str, int] | None = None  # (column, count) of the structured Problem
    kwargs: dict[str, Any] = field(default_factory=dict)
    check: Callable[[pd.DataFrame], None] | None = None


def _survey(mutate: Callable[[pd.DataFrame], None], fmt: str = "csv",
            **kw: Any) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        df = make_survey()
        df = df.astype({c: "object" for c in df.columns}) if kw.get("as_object") else df
        mutate(df)
        return write(df, tmp / f"survey.{fmt}")
    return build


def _set(col: str, idx: list[int], val: Any) -> Callable[[pd.DataFrame], None]:
    def m(df: pd.DataFrame) -> None:
        if not pd.api.types.is_object_dtype(df[col]) and isinstance(val, str):
            df[col] = df[col].astype("object")
        df.loc[idx, col] = val
    return m


def _part(mutate: Callable[[pd.DataFrame], None], fmt: str = "csv") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        df = make_participation()
        mutate(df)
        return write(df, tmp / f"participation.{fmt}")
    return build


def _reg(mutate: Callable[[pd.DataFrame], None], fmt: str = "csv") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        df = make_registry_raw()
        mutate(df)
        return write(df, tmp / f"p3ke.{fmt}")
    return build


# ---- builders that need more than one line ------------------------------------------------

def _one_psu(df: pd.DataFrame) -> None:
    # 2024: both PSUs of stratum 73.10.07 become one village (its 6 households)
    m = (df["year"] == 2024) & (df["psu"] == "73.10.07.1002")
    df.loc[m, ["psu", "village_code"]] = "73.10.07.1001"


def _psu_two_strata(df: pd.DataFrame) -> None:
    i = df.index[(df["year"] == 2025) & (df["psu"] == "73.10.01.1001")][0]
    df.loc[i, "stratum"] = "73.10.04"


def _bps_mixed(df: pd.DataFrame) -> None:
    bps = reference.villages().set_index("kemendagri_code")["bps_code_2018"]
    df.loc[[0, 1], "village_code"] = bps["73.10.01.1001"]


def _bps_kec(df: pd.DataFrame) -> None:
    k = reference.kecamatan().set_index("kec_kemendagri")["kec_bps"]
    df["kec_code"] = df["kec_code"].map(k)


def _dup_kk(df: pd.DataFrame) -> None:
    df.loc[8, "no_kk"] = df.loc[3, "no_kk"]


def _hh_zero(df: pd.DataFrame) -> None:
    df.loc[1, ["hh_size", "n_children", "n_elderly"]] = 0


def _registry_desil(tmp: Path) -> Path:
    df = ingested_registry()
    df.loc[[2, 9], "desil"] = [0, 11]
    return write(df, tmp / "registry.parquet")


def _registry_desil_expect(tmp: Path) -> list[str]:
    ids = ingested_registry()["family_id"]
    return ["registry (registry.parquet): 1 problem found",
            f"registry: column 'desil' has values outside 1–10 (0, 11): 2 rows "
            f"(e.g. {ids[2]}, {ids[9]}). Fix: 'desil' must be >= 1 and <= 10"]


def _excel_title_rows(tmp: Path) -> Path:
    p = tmp / "susenas.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as w:
        make_survey().to_excel(w, index=False, startrow=2, sheet_name="Data")
        w.sheets["Data"]["A1"] = "Susenas Maret 2023-2025, Kabupaten Pangkep"
    return p


def _non_utf8(tmp: Path) -> Path:
    df = make_registry_raw()
    df.loc[3, "name_head"] = "Zafira Désirée"
    p = tmp / "p3ke.csv"
    p.write_bytes(df.to_csv(index=False).encode("cp1252"))
    return p


def _non_utf8_expect(tmp: Path) -> list[str]:
    data = (tmp / "p3ke.csv").read_bytes()
    pos = data.index(b"\xe9")
    col = pos - data.rfind(b"\n", 0, pos)
    return [f"p3ke.csv is not valid UTF-8 text: the byte 0xE9 at byte position {pos} "
            f"(line 5, character {col}) cannot be decoded",
            "Windows-1252/Latin-1",
            "Fix: save the file again as 'CSV UTF-8 (Comma delimited)'",
            "load_table(..., encoding='cp1252')"]


def _csv_is_xlsx(tmp: Path) -> Path:
    p = tmp / "survey.csv"
    make_survey().to_excel(p, index=False, engine="openpyxl")
    return p


def _xlsx_is_html(tmp: Path) -> Path:
    p = tmp / "export_portal.xlsx"
    p.write_text("<html><body>" + make_participation().to_html(index=False) + "</body></html>",
                 encoding="utf-8")
    return p


def _dta_is_csv(tmp: Path) -> Path:
    p = tmp / "survey.dta"
    make_survey().to_csv(p, index=False)
    return p


def _xlsx_is_xls(tmp: Path) -> Path:
    p = tmp / "p3ke.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    return p


def _semicolon_decimal_comma(tmp: Path) -> Path:
    df = make_survey()
    df["consumption_pc"] = df["consumption_pc"].map(lambda v: f"{v:,.1f}".replace(",", "X")
                                                    .replace(".", ",").replace("X", "."))
    p = tmp / "survey.csv"
    df.to_csv(p, index=False, sep=";")
    return p


def _dup_header(tmp: Path) -> Path:
    df = make_participation()
    p = tmp / "participation.csv"
    text = df.to_csv(index=False).replace("unit,", "partner,", 1)
    p.write_text(text, encoding="utf-8")
    return p


def _misspell(tmp: Path) -> Path:
    df = make_survey().rename(columns={"consumption_pc": "consumtion_pc"})
    return write(df, tmp / "survey.csv")


def _nik_in_survey(df: pd.DataFrame) -> None:
    df["nik"] = [fake_nik(i) for i in range(len(df))]


CASES: list[Case] = [
    Case("misspelled column", "survey",
         _misspell,
         SchemaError,
         ["survey (survey.csv): 1 problem found",
          "survey: column 'consumption_pc' is missing (did you mean 'consumtion_pc'?): 54 rows. "
          "Fix: rename it when loading: load_table(..., rename={'consumtion_pc': "
          "'consumption_pc'})"], ("consumption_pc", 54)),
    Case("wrong type: text in a numeric column", "survey",
         _survey(lambda d: (_set("hh_size", [3], "dua")(d), _set("hh_size", [10], "tiga orang")(d))),
         SchemaError,
         ["survey: column 'hh_size' has text in a numeric (int) column ('dua', 'tiga orang'): "
          "2 rows (e.g. H0003 (2023), H0010 (2023)). Fix: 'hh_size' must hold numbers only"],
         ("hh_size", 2)),
    Case("negative consumption", "survey",
         _survey(_set("consumption_pc", [0, 5], -1.0), "parquet"), SchemaError,
         ["survey: column 'consumption_pc' has negative values (-1): 2 rows "
          "(e.g. H0000 (2023), H0005 (2023)). Fix: 'consumption_pc' must be >= 0; "
          "consumption is monthly Rp per capita"], ("consumption_pc", 2)),
    Case("duplicate ids", "participation",
         _part(_set("record_id", [3], "R0002")), SchemaError,
         ["participation: column 'record_id' has duplicated values: 2 rows (e.g. R0002). "
          "Fix: 'record_id' must be unique"], ("record_id", 2)),
    Case("duplicate household in one wave", "survey",
         _survey(_set("hh_id", [1], "H0000")), SchemaError,
         ["survey: column 'year+hh_id' has duplicated values: 2 rows (e.g. H0000 (2023)). "
          "Fix: (year, hh_id) must identify one row"], ("year+hh_id", 2)),
    Case("zero and negative weights", "survey",
         _survey(lambda d: d.loc.__setitem__(([2, 7], "weight"), [0.0, -3.0]), "xlsx"),
         SchemaError,
         ["survey: column 'weight' has zero or negative values (0, -3): 2 rows "
          "(e.g. H0002 (2023), H0007 (2023)). Fix: 'weight' must be > 0"], ("weight", 2)),
    Case("a stratum with one PSU in a wave", "survey", _survey(_one_psu), SchemaError,
         ["survey: column 'stratum' has 1 stratum-wave(s) with only one PSU: 6 rows "
          "(e.g. stratum 73.10.07 in 2024). Fix: the variance of a stratum with one PSU cannot "
          "be estimated: collapse it"], ("stratum", 6)),
    Case("a PSU in two strata", "survey", _survey(_psu_two_strata), SchemaError,
         ["survey: column 'psu' appears in two or more strata in a wave: 3 rows "
          "(e.g. psu 73.10.01.1001 in 2025). Fix: a PSU is nested in one stratum"],
         ("psu", 3)),
    Case("unknown village code", "participation",
         _part(_set("village_code", [4], "73.10.04.1999")), SchemaError,
         ["participation: column 'village_code' has unknown village codes ('73.10.04.1999'): "
          "1 row (e.g. R0004). Fix: codes must be in the reference village list"],
         ("village_code", 1)),
    Case("BPS and Kemendagri village codes mixed", "survey", _survey(_bps_mixed, "dta"),
         SchemaError,
         ["survey: column 'village_code' codes mixed: 2 BPS codes (7309…) next to 52 Kemendagri "
          "codes (73.10…) ('7309010004'): 2 rows (e.g. H0000 (2023), H0001 (2023)). "
          "Fix: 'village_code' must use Kemendagri village codes (73.10.KK.NNNN); map them with "
          "the reference crosswalk: kassaki_eval.reference.villages()"],
         ("village_code", 2)),
    Case("BPS kecamatan codes in a Kemendagri column (raw registry)", "registry", _reg(_bps_kec),
         SchemaError,
         ["registry_raw: column 'kec_code' holds BPS codes (7309…), not Kemendagri codes "
          "(73.10…): 30 rows (e.g. row 2, row 3, row 4, row 5, row 6, …). Fix: 'kec_code' must "
          "use Kemendagri kecamatan codes (73.10.KK)"], ("kec_code", 30), {"demo": True}),
    Case("kec_code inconsistent with village_code", "survey",
         _survey(_set("kec_code", [4], "73.10.04")), SchemaError,
         ["survey: column 'kec_code' does not match village_code (its first 8 characters): "
          "1 row (e.g. H0004 (2023)). Fix: kec_code is the Kemendagri kecamatan of the village"],
         ("kec_code", 1)),
    Case("NIK of the wrong length", "registry",
         _reg(_set("nik_head", [2], "731099000000002"), "xlsx"), SchemaError,
         ["registry_raw (p3ke.xlsx): 1 problem found",
          "registry_raw: column 'nik_head' is not exactly 16 digits: 1 row (e.g. row 4). "
          "Fix: NIK and family-card numbers have exactly 16 digits"], ("nik_head", 1),
         {"demo": True}),
    Case("family-card number mangled by Excel (7.31E+15)", "registry",
         _reg(_set("no_kk", [5], "7.31099E+15")), SchemaError,
         ["registry_raw: column 'no_kk' holds 16-digit ids that went through a number format "
          "(scientific notation, '.0', or a 16th digit lost to 0): 1 row (e.g. row 7). Fix: "
          "these ids went through a floating-point number", "Re-export the column AS TEXT"],
         ("no_kk", 1), {"demo": True}),
    Case("duplicate family-card numbers", "registry", _reg(_dup_kk), SchemaError,
         ["registry_raw: column 'no_kk' has duplicated values: 2 rows (e.g. row 5, row 10). "
          "Fix: 'no_kk' must be unique"], ("no_kk", 2), {"demo": True}),
    Case("desil outside 1-10", "registry", _registry_desil, SchemaError,
         _registry_desil_expect, ("desil", 2)),
    Case("hh_size below 1 (Stata file)", "registry", _reg(_hh_zero, "dta"), SchemaError,
         ["registry_raw: column 'hh_size' has values below 1: 1 row (e.g. row 2). "
          "Fix: 'hh_size' must be >= 1; a family has at least one member"], ("hh_size", 1),
         {"demo": True}),
    Case("dates that do not parse", "participation",
         _part(lambda d: d.loc.__setitem__(([2, 5], "start_date"), ["31/06/2024", "kemarin"]),
               "xlsx"), SchemaError,
         ["participation: column 'start_date' has dates that do not parse ('31/06/2024', "
          "'kemarin'): 2 rows (e.g. R0002, R0005). Fix: write dates as YYYY-MM-DD"],
         ("start_date", 2)),
    Case("unknown partner", "participation", _part(_set("partner", [0], "bank_sulsel")),
         SchemaError,
         ["participation: column 'partner' has unknown partner ('bank_sulsel'): 1 row "
          "(e.g. R0000). Fix: allowed values: bank_sulselbar, semen_tonasa, bpvp, stiem, unhas, "
          "ykpm, lan"], ("partner", 1)),
    Case("unknown component", "participation", _part(_set("component", [1, 6], "microcredit")),
         SchemaError,
         ["participation: column 'component' has unknown component ('microcredit'): 2 rows "
          "(e.g. R0001, R0006). Fix: allowed values: credit, csr_sme, training"],
         ("component", 2)),
    Case("missing weight", "survey", _survey(_set("weight", [6], np.nan)), SchemaError,
         ["survey: column 'weight' has missing values: 1 row (e.g. H0006 (2023)). "
          "Fix: 'weight' may not be empty"], ("weight", 1)),
    Case("flag that is not 0/1", "survey", _survey(_set("employed", [8], 2)), SchemaError,
         ["survey: column 'employed' has values other than 0/1 (2): 1 row (e.g. H0008 (2023))."
          " Fix: 'employed' is a 0/1 indicator"], ("employed", 1)),
    Case("zone disagrees with the reference", "survey", _survey(_set("zone", [0], "mainland")),
         SchemaError,
         ["survey: column 'zone' disagrees with the reference zone of the village: 1 row "
          "(e.g. H0000 (2023)). Fix: take zone from kassaki_eval.reference.villages()"],
         ("zone", 1)),
    Case("household record without family_id", "participation",
         _part(_set("family_id", [3], None)), SchemaError,
         ["participation: column 'family_id' is missing for a household-level record: 1 row "
          "(e.g. R0003). Fix: household records link to the registry through family_id"],
         ("family_id", 1)),
    Case("NIK column left in an analysis table", "survey", _survey(_nik_in_survey, "parquet"),
         SchemaError,
         ["survey: column 'nik' holds raw personal data (NIK, family-card number or name): "
          "54 rows. Fix: analysis tables never hold personal data: ingest the raw registry with "
          "kassaki_eval.data.load_registry(path)"], ("nik", 54)),
    Case("';' CSV with Indonesian decimal commas", "survey", _semicolon_decimal_comma,
         SchemaError,
         ["survey: column 'consumption_pc' has text in a numeric (float) column", ": 54 rows "
          "(e.g. H0000 (2023), H0001 (2023)",
          "the values look like Indonesian number format (1.234.567,5)"],
         ("consumption_pc", 54)),
    Case("extra header rows in Excel", "survey", _excel_title_rows, DataFileError,
         ["susenas.xlsx: the header is not in the first row. The expected column names ('year', "
          "'hh_id', 'family_id', 'village_code', …) appear in row 3; rows 1–2 look like a title "
          "or notes. Fix: pass header_row=3"]),
    Case("non-UTF-8 CSV", "registry", _non_utf8, DataFileError, _non_utf8_expect,
         kwargs={"demo": True}),
    Case("a .csv that is really an Excel workbook", "survey", _csv_is_xlsx, DataFileError,
         ["survey.csv is not what its name says: the extension '.csv' claims CSV text, but the "
          "content is an Excel workbook (.xlsx). Fix: rename it to .xlsx"]),
    Case("a .xlsx that is really an HTML page", "participation", _xlsx_is_html, DataFileError,
         ["export_portal.xlsx is not what its name says: the extension '.xlsx' claims an Excel "
          "workbook (.xlsx), but the content is an HTML web page. Fix: it is a web page saved "
          "with a spreadsheet name"]),
    Case("a .dta that is really CSV", "survey", _dta_is_csv, DataFileError,
         ["survey.dta is not what its name says: the extension '.dta' claims a Stata dataset "
          "(.dta), but the content is CSV text. Fix: rename it to .csv"]),
    Case("a .xlsx that is a legacy .xls", "registry", _xlsx_is_xls, DataFileError,
         ["p3ke.xlsx is not what its name says: the extension '.xlsx' claims an Excel workbook "
          "(.xlsx), but the content is a legacy Excel 97-2003 workbook (.xls). Fix: open it in "
          "Excel and save it as 'Excel Workbook (.xlsx)'"]),
    Case("a column name twice in the header", "participation", _dup_header, DataFileError,
         ["participation.csv: the column name 'partner' appears twice in the header (row 1, "
          "columns 4 and 6)"]),
]


def test_catalogue_size_and_required_entries():
    names = {c.name for c in CASES}
    assert len(CASES) >= 20
    for must in ("misspelled column", "wrong type: text in a numeric column",
                 "negative consumption", "duplicate ids", "zero and negative weights",
                 "a stratum with one PSU in a wave", "unknown village code",
                 "BPS and Kemendagri village codes mixed", "NIK of the wrong length",
                 "extra header rows in Excel", "non-UTF-8 CSV",
                 "a .csv that is really an Excel workbook"):
        assert must in names


def _paths(built: Path | list[Path]) -> list[Path]:
    return built if isinstance(built, list) else [built]


def _hashes(paths: list[Path]) -> dict[Path, str]:
    # a folder has no bytes to compare; everything else must stay byte-identical
    return {p: sha256(p) for p in paths if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, tmp_path: Path):
    built = case.build(tmp_path)
    paths = _paths(built)
    before = _hashes(paths)
    target = built if isinstance(built, Path) else paths
    if case.error is None:
        df = load_table(target, case.table, **case.kwargs)
        assert case.check is not None
        case.check(df)
        assert _hashes(paths) == before, "the raw file was modified"
        return
    with pytest.raises(case.error) as info:
        load_table(target, case.table, **case.kwargs)
    msg = str(info.value)
    expect = case.expect(tmp_path) if callable(case.expect) else case.expect
    for text in expect:
        assert text in msg, f"\nexpected: {text}\nin:       {msg}"
    if case.problem is not None:
        # one structured record per problem, with table, column, rule, count, examples, fix
        probs = info.value.problems
        assert len(probs) == 1, msg
        p = probs[0]
        assert (p.column, p.count) == case.problem
        assert p.table.startswith(case.table.split("_")[0]) and p.fix
    # never a 16-digit number (NIK / KK) in a message, whatever the case
    assert not re.search(r"\d{16}", msg)
    assert "Traceback" not in msg and len(msg) < 4000
    assert _hashes(paths) == before, "the raw file was modified"


def test_excel_title_rows_load_with_header_row(tmp_path: Path):
    path = _excel_title_rows(tmp_path)
    before = sha256(path)
    df = load_table(path, "survey", header_row=3)
    assert len(df) == 54 and df["hh_id"].iloc[0] == "H0000"
    assert sha256(path) == before


def test_non_utf8_csv_loads_with_explicit_encoding(tmp_path: Path):
    path = _non_utf8(tmp_path)
    reg = load_table(path, "registry", demo=True, encoding="cp1252")
    assert len(reg) == 30 and "name_head" not in reg


def test_many_problems_in_one_error(tmp_path: Path):
    df = make_survey()
    df = df.rename(columns={"income": "incme"})
    df.loc[0, "consumption_pc"] = -5.0
    df.loc[[1, 2], "weight"] = 0.0
    df["hh_size"] = df["hh_size"].astype("object")
    df.loc[4, "hh_size"] = "lima"
    df.loc[5, "village_code"] = "73.10.01.2999"
    path = write(df, tmp_path / "survey.csv")
    before = sha256(path)
    with pytest.raises(SchemaError) as info:
        load_table(path, "survey")
    cols = [(p.column, p.count) for p in info.value.problems]
    assert sorted(cols) == sorted([("income", 54), ("hh_size", 1), ("consumption_pc", 1),
                                   ("weight", 2), ("village_code", 1)])
    msg = str(info.value)
    assert msg.startswith("survey (survey.csv): 5 problems found")
    assert "did you mean 'incme'?" in msg and "(e.g. H0005 (2023))" in msg
    assert sha256(path) == before


def test_missing_key_for_real_registry(tmp_path: Path, monkeypatch):
    from kassaki_eval.exceptions import ConfigError
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    path = write(make_registry_raw(), tmp_path / "p3ke.csv")
    before = sha256(path)
    with pytest.raises(ConfigError, match=r"set the environment variable KASSAKI_PSEUDONYM_KEY"):
        load_table(path, "registry")
    assert sha256(path) == before


# ============================================================================================
# Hardening (issue 10): float-mangled ids, personal data by content, several files, roll-out,
# file-level surprises and Indonesian export habits. Same rules: exact message texts, raw files
# byte-identical; "correct result" cases state what the loaded table must hold.

def _reg_float_xlsx(tmp: Path) -> Path:
    # what Excel does to a 16-digit number: 15 significant digits kept, the 16th becomes 0
    df = make_registry_raw()
    df["no_kk"] = [float(int(v) // 10 * 10) for v in df["no_kk"]]
    return write(df, tmp / "p3ke.xlsx")


def _reg_dot_zero(tmp: Path) -> Path:
    df = make_registry_raw()
    df.loc[[4, 11], "nik_head"] = [v + ".0" for v in df.loc[[4, 11], "nik_head"]]
    return write(df, tmp / "p3ke.csv")


def _reg_float_parquet(tmp: Path) -> Path:
    df = make_registry_raw()
    df["nik_head"] = df["nik_head"].astype("float64")
    return write(df, tmp / "p3ke.parquet")


def _spouse_nik(df: pd.DataFrame) -> None:
    df["nik_pasangan"] = [fake_nik(500 + i, "7310") for i in range(len(df))]


def _full_names_unnamed(df: pd.DataFrame) -> None:
    df["kolom7"] = [f"Andi Baso Contoh{chr(65 + i % 26)}{chr(97 + i // 26)}" for i in range(len(df))]


def _address(df: pd.DataFrame) -> None:
    df["lokasi"] = [f"Jl. Poros Contoh No. {i}, RT 0{i % 5 + 1}/RW 02" for i in range(len(df))]


def _phone(df: pd.DataFrame) -> None:
    df["kontak"] = [f"0812{3400000 + i:07d}" for i in range(len(df))]


def _sixteen_unlisted(df: pd.DataFrame) -> None:
    df["ref_no"] = [int(fake_nik(i, "7310")) for i in range(len(df))]


def _spouse_name(df: pd.DataFrame) -> None:
    df["nama_istri"] = [f"Hasnah Daeng {chr(65 + i % 26)}{chr(97 + i // 26)}ti"
                        for i in range(len(df))]


def _waves(tmp: Path, years=(2023, 2024, 2025), fmt="csv") -> list[Path]:
    s = make_survey()
    out = []
    for y in years:
        out.append(write(s[s["year"] == y], tmp / f"susenas_{y}.{fmt}"))
    return out


def _same_file_twice(tmp: Path) -> list[Path]:
    a, b, c = _waves(tmp)
    return [a, b, c, c]


def _wave_in_two_files(tmp: Path) -> list[Path]:
    a, b, c = _waves(tmp)
    s = make_survey()
    d = s[s["year"] == 2024].copy()
    d["hh_id"] = "X" + d["hh_id"]
    return [a, b, c, write(d, tmp / "susenas_2024_revisi.csv")]


def _renamed_in_one_wave(tmp: Path) -> list[Path]:
    a, b, c = _waves(tmp)
    d = pd.read_csv(c, dtype=str).rename(columns={"weight": "bobot"})
    c.unlink()
    return [a, b, write(d, tmp / "susenas_2025.csv")]


def _dup_household_across_files(tmp: Path) -> list[Path]:
    # the 2024 wave file also carries two 2025 households that the 2025 file has
    a, b, c = _waves(tmp)
    s = make_survey()
    d = pd.concat([s[s["year"] == 2024], s[s["year"] == 2025].head(2)])
    b.unlink()
    return [a, write(d, tmp / "susenas_2024.csv"), c]


def _rollout_df() -> pd.DataFrame:
    comps = ("credit", "csr_sme", "training", "facilitation", "women_groups")
    cohort = {v: 2024 if i < 2 else 2025 if i < 4 else 0 for i, v in enumerate(VILLAGES)}
    rows = [(v, c, cohort[v] if c == "credit" else 0, cohort[v]) for v in VILLAGES for c in comps]
    df = pd.DataFrame(rows, columns=["village_code", "component", "first_year", "cohort"])
    df["kec_code"] = df["village_code"].str[:8]
    df["zone"] = df["village_code"].map(reference.villages().set_index("kemendagri_code")["zone"])
    return df[["village_code", "kec_code", "zone", "component", "first_year", "cohort"]]


def _roll(mutate: Callable[[pd.DataFrame], None], fmt: str = "csv") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        df = _rollout_df()
        mutate(df)
        return write(df, tmp / f"rollout.{fmt}")
    return build


def _two_cohorts(df: pd.DataFrame) -> None:
    i = df.index[(df["village_code"] == "73.10.01.1001") & (df["component"] == "training")][0]
    df.loc[i, ["first_year", "cohort"]] = [2025, 2025]


def _no_dots(df: pd.DataFrame) -> None:
    df["village_code"] = df["village_code"].str.replace(".", "", regex=False)


def _q3(df: pd.DataFrame) -> None:
    df["first_year"] = df["first_year"].astype(object)
    df.loc[0, "first_year"] = "2024 (Q3)"


def _gz_csv(tmp: Path) -> Path:
    import gzip
    p = tmp / "survey.csv.gz"
    p.write_bytes(gzip.compress(make_survey().to_csv(index=False).encode(), mtime=0))
    return p


def _gz_binary(tmp: Path) -> Path:
    import gzip
    raw = write(make_survey(), tmp / "inner.parquet").read_bytes()
    p = tmp / "survey.parquet.gz"
    p.write_bytes(gzip.compress(raw, mtime=0))
    return p


def _json_as_csv(tmp: Path) -> Path:
    p = tmp / "survey.csv"
    p.write_text(make_survey().head(3).to_json(orient="records"), encoding="utf-8")
    return p


def _folder(tmp: Path) -> Path:
    p = tmp / "susenas_2025"
    p.mkdir()
    return p


def _long_id(df: pd.DataFrame) -> None:
    df["hh_id"] = df["hh_id"].astype(object)
    df.loc[[0, 1], "hh_id"] = "H" + "ab" * 2500


def _bom_semicolon(tmp: Path) -> Path:
    p = tmp / "survey.csv"
    p.write_bytes(make_survey().to_csv(index=False, sep=";").encode("utf-8-sig"))
    return p


def _rp_amounts(tmp: Path) -> Path:
    df = make_participation()
    df["amount_rp"] = [f"Rp {int(v):,}".replace(",", ".") for v in df["amount_rp"]]
    return write(df, tmp / "participation.csv")


def _excel_dates_in_year(tmp: Path) -> Path:
    df = make_survey()
    df["year"] = pd.to_datetime(df["year"].astype(str) + "-01-01")
    return write(df, tmp / "susenas.xlsx")


def _merged_header(tmp: Path) -> Path:
    from openpyxl import Workbook
    df = make_survey()
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["Identitas", None, None, "Lokasi"] + [None] * (df.shape[1] - 4))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    ws.merge_cells(start_row=1, start_column=4, end_row=1, end_column=8)
    ws.append(list(df.columns))
    for rec in df.astype(object).where(df.notna(), None).itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else v for v in rec])
    p = tmp / "susenas_merged.xlsx"
    wb.save(p)
    return p


def _several_sheets(tmp: Path) -> Path:
    p = tmp / "susenas_book.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as w:
        pd.DataFrame({"catatan": ["dibuat oleh BPS"]}).to_excel(w, sheet_name="Catatan", index=False)
        make_survey().to_excel(w, sheet_name="Data 2023-2025", index=False)
    return p


def _mixed_case(df: pd.DataFrame) -> None:
    df["zone"] = df["zone"].str.title() + " "
    df["village_code"] = "  " + df["village_code"] + " "
    df["head_sector"] = df["head_sector"].str.upper()


def _codes_without_dots_survey(df: pd.DataFrame) -> None:
    df.loc[[0, 1], "village_code"] = df.loc[[0, 1], "village_code"].str.replace(".", "",
                                                                                 regex=False)


def _has(col: str, absent: str | None = None) -> Callable[[pd.DataFrame], None]:
    def check(df: pd.DataFrame) -> None:
        assert col in df.columns
        if absent is not None:
            assert absent not in df.columns
    return check


def _hashed(col: str) -> Callable[[pd.DataFrame], None]:
    def check(df: pd.DataFrame) -> None:
        assert df[col].str.fullmatch(r"P[0-9a-f]{16}").all()
        assert df[col].nunique() == len(df)
    return check


def _rows(n: int) -> Callable[[pd.DataFrame], None]:
    def check(df: pd.DataFrame) -> None:
        assert len(df) == n and df["hh_id"].iloc[0] == "H0000"
        assert df["consumption_pc"].dtype == "float64"
    return check


def _normalised(df: pd.DataFrame) -> None:
    assert set(df["zone"]) <= {"island", "mainland"}
    assert df["village_code"].str.fullmatch(r"73\.10\.\d{2}\.\d{4}").all()
    assert set(df["head_sector"]) <= {"agriculture", "fishery", "industry", "trade", "services",
                                      "none"}


_DECLARE = "declare what to do with it: pii={'%s': 'hash'} replaces it by a keyed pseudonym"

HARDENING: list[Case] = [
    # ---- ids that went through a float -------------------------------------------------------
    Case("NIK/KK stored as Excel numbers (16th digit lost)", "registry", _reg_float_xlsx,
         SchemaError,
         ["registry_raw (p3ke.xlsx): 1 problem found",
          "registry_raw: column 'no_kk' holds 16-digit ids that went through a number format "
          "(scientific notation, '.0', or a 16th digit lost to 0): 30 rows (e.g. row 2, row 3",
          "Re-export the column AS TEXT"], ("no_kk", 30), {"demo": True}),
    Case("NIK with a '.0' tail (CSV from a float column)", "registry", _reg_dot_zero,
         SchemaError,
         ["registry_raw: column 'nik_head' holds 16-digit ids that went through a number format"
          " (scientific notation, '.0', or a 16th digit lost to 0): 2 rows (e.g. row 6, row 13)"],
         ("nik_head", 2), {"demo": True}),
    Case("NIK column stored as float64 in Parquet", "registry", _reg_float_parquet, SchemaError,
         ["registry_raw: column 'nik_head' holds 16-digit ids that went through a number format",
          ": 30 rows"], ("nik_head", 30), {"demo": True}),
    # ---- personal data by content and by name --------------------------------------------------
    Case("spouse's NIK in an extra registry column", "registry", _reg(_spouse_nik), SchemaError,
         ["registry_raw: column 'nik_pasangan' looks like personal data (30 values shaped like "
          "NIK/family-card numbers, 30 of them with an Indonesian province and kabupaten "
          "prefix): 30 rows. Fix: " + _DECLARE % "nik_pasangan"],
         ("nik_pasangan", 30), {"demo": True}),
    Case("spouse's NIK declared 'drop' is dropped", "registry", _reg(_spouse_nik), None, [],
         kwargs={"demo": True, "pii": {"nik_pasangan": "drop"}},
         check=_has("family_id", absent="nik_pasangan")),
    Case("spouse's NIK declared 'hash' becomes a keyed pseudonym", "registry", _reg(_spouse_nik),
         None, [], kwargs={"demo": True, "pii": {"nik_pasangan": "hash"}},
         check=_hashed("nik_pasangan")),
    Case("full names in a column with a neutral name", "registry", _reg(_full_names_unnamed),
         SchemaError,
         ["registry_raw: column 'kolom7' looks like personal data (30 values shaped like "
          "personal names, 100% distinct): 30 rows. Fix: " + _DECLARE % "kolom7"],
         ("kolom7", 30), {"demo": True}),
    Case("spouse's name (by content and name) in a survey", "survey", _survey(_spouse_name),
         SchemaError,
         ["survey: column 'nama_istri' looks like personal data (54 values shaped like personal "
          "names, 100% distinct): 54 rows"], ("nama_istri", 54)),
    Case("street addresses in a survey column", "survey", _survey(_address), SchemaError,
         ["survey: column 'lokasi' looks like personal data (54 values shaped like street "
          "addresses): 54 rows. Fix: " + _DECLARE % "lokasi"], ("lokasi", 54)),
    Case("telephone numbers in participation records", "participation", _part(_phone),
         SchemaError,
         ["participation: column 'kontak' looks like personal data (12 values shaped like "
          "telephone numbers): 12 rows"], ("kontak", 12)),
    Case("16-digit numbers under an unlisted name (Parquet int64)", "survey",
         _survey(_sixteen_unlisted, "parquet"), SchemaError,
         ["survey: column 'ref_no' looks like personal data (54 values shaped like NIK/"
          "family-card numbers, 54 of them with an Indonesian province and kabupaten prefix)"],
         ("ref_no", 54)),
    Case("16-digit column declared 'hash' in a survey", "survey",
         _survey(_sixteen_unlisted, "parquet"), None, [],
         kwargs={"pii": {"ref_no": "hash"}, "key": "a-test-key-of-24-chars!!"},
         check=_hashed("ref_no")),
    Case("undeclared 'alamat' column with blank values (by name)", "survey",
         _survey(lambda d: d.__setitem__("alamat", np.nan)), SchemaError,
         ["survey: column 'alamat' looks like personal data (its name suggests NIK, "
          "family-card number, name, address, telephone or birth date): 0 rows"],
         ("alamat", 0)),
    # ---- several files of one table ----------------------------------------------------------
    Case("the same wave file passed twice", "survey", _same_file_twice, SchemaError,
         ["survey (4 files): 1 problem found",
          "survey: the table has a file given twice: susenas_2025.csv and susenas_2025.csv "
          "have the same content (SHA-256", ": 18 rows. Fix: pass each file once"], ("*", 18)),
    Case("one wave in two files", "survey", _wave_in_two_files, SchemaError,
         ["survey: column 'year' has wave 2024 in 2 files (susenas_2024.csv, "
          "susenas_2024_revisi.csv): 36 rows. Fix: each wave must come from one file"],
         ("year", 36)),
    Case("a wave file with a renamed column names the file", "survey", _renamed_in_one_wave,
         SchemaError,
         ["survey (susenas_2025.csv): column 'weight' is missing in this file (the other files "
          "have it): 18 rows. Fix: check the header of susenas_2025.csv"], ("weight", 18)),
    Case("households of one wave in two files", "survey", _dup_household_across_files,
         SchemaError,
         ["survey: column 'year' has wave 2025 in 2 files (susenas_2024.csv, susenas_2025.csv)"
          ": 20 rows"], ("year", 20)),
    Case("three wave files stack into one table", "survey", _waves, None, [],
         check=_rows(54)),
    # ---- the roll-out contract ---------------------------------------------------------------
    Case("roll-out: a village in two cohorts", "rollout", _roll(_two_cohorts), SchemaError,
         ["rollout: column 'cohort' puts 1 village(s) in two or more cohorts: 5 rows "
          "(e.g. 73.10.01.1001). Fix: a village belongs to one cohort"]),
    Case("roll-out: village codes without dots", "rollout", _roll(_no_dots), SchemaError,
         ["rollout: column 'village_code' is not a Kemendagri village code ('7310011001', "
          "'7310012002', '7310041001'): 30 rows", "codes like 7310011001 are Kemendagri codes "
          "written without dots"]),
    Case("roll-out: first_year '2024 (Q3)'", "rollout", _roll(_q3), SchemaError,
         ["rollout: column 'first_year' has text in a numeric (int) column ('2024 (Q3)'): 1 row "
          "(e.g. 73.10.01.1001 (credit)). Fix: 'first_year' must hold numbers only"]),
    Case("roll-out given as .xlsx", "rollout", _roll(lambda d: None, "xlsx"), None, [],
         check=lambda df: (df["cohort"].dtype == "int64") and None),
    # ---- what the file really is -------------------------------------------------------------
    Case("gzip-compressed CSV (.csv.gz) is read", "survey", _gz_csv, None, [], check=_rows(54)),
    Case("gzip of a Parquet file", "survey", _gz_binary, DataFileError,
         ["survey.parquet.gz is gzip-compressed data, which kassaki-eval does not read",
          "Fix: decompress it first (gunzip)"]),
    Case("one-line JSON named .csv", "survey", _json_as_csv, DataFileError,
         ["survey.csv is not what its name says: the extension '.csv' claims CSV text, but the "
          "content is JSON text. Fix: export the table as 'CSV UTF-8'"]),
    Case("a folder instead of a file", "survey", _folder, DataFileError,
         ["susenas_2025 is a folder, not a file. Fix: pass the data file inside it"]),
    Case("a 5000-character id is cut short in the message", "survey", _survey(_long_id),
         SchemaError,
         ["survey: column 'year+hh_id' has duplicated values: 2 rows (e.g. H" + "ab" * 19
          + "…)."], ("year+hh_id", 2)),
    # ---- Indonesian export habits --------------------------------------------------------------
    Case("';' CSV with a BOM (Excel, Indonesian locale) is read", "survey", _bom_semicolon,
         None, [], check=_rows(54)),
    Case("amounts written 'Rp 1.250.000'", "participation", _rp_amounts, SchemaError,
         ["participation: column 'amount_rp' has text in a numeric (float) column "
          "('Rp 1.000.000', 'Rp 2.000.000', 'Rp 3.000.000'): 12 rows",
          "written as Rupiah amounts ('Rp 1.250.000'): export the plain number"],
         ("amount_rp", 12)),
    Case("Excel dates in the year column", "survey", _excel_dates_in_year, SchemaError,
         ["survey: column 'year' has text in a numeric (int) column ('2023-01-01 00:00:00'",
          "the values are dates: Excel formatted the column as a date"], ("year", 54)),
    Case("merged group-title row above the header", "survey", _merged_header, DataFileError,
         ["susenas_merged.xlsx: the header is not in the first row", "appear in row 2",
          "Fix: pass header_row=2"]),
    Case("merged group-title row, header_row=2 given", "survey", _merged_header, None, [],
         kwargs={"header_row": 2}, check=_rows(54)),
    Case("a workbook with several sheets, none named 'survey'", "survey", _several_sheets,
         DataFileError,
         ["susenas_book.xlsx has 2 sheets ('Catatan', 'Data 2023-2025') and none is named "
          "'survey'. Fix: pass sheet='<name>'"]),
    Case("several sheets, sheet= given", "survey", _several_sheets, None, [],
         kwargs={"sheet": "Data 2023-2025"}, check=_rows(54)),
    Case("mixed case and extra spaces in codes and categories", "survey",
         _survey(_mixed_case, as_object=True), None, [], check=_normalised),
    Case("village codes with and without dots in one file", "survey",
         _survey(_codes_without_dots_survey), SchemaError,
         ["survey: column 'village_code' is not a Kemendagri village code ('7310011001'): "
          "2 rows (e.g. H0000 (2023), H0001 (2023))", "written without dots"]),
]
CASES.extend(HARDENING)


def test_catalogue_counts_by_outcome():
    """The catalogue: at least 80 hostile inputs, each a correct result or one clear error."""
    n_ok = sum(c.error is None for c in CASES)
    n_err = len(CASES) - n_ok
    print(f"\ncatalogue: {len(CASES)} cases, {n_ok} correct result, {n_err} clear error")
    assert len({c.name for c in CASES}) == len(CASES)


# ---- more file shapes met in district offices ------------------------------------------------

def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data)
        return p
    return build


def _zip_with(name: str, member: str, text: str = "x") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        import zipfile
        p = tmp / name
        with zipfile.ZipFile(p, "w") as z:
            z.writestr(member, text)
        return p
    return build


def _header_only(tmp: Path) -> Path:
    return write(make_survey().head(0), tmp / "survey.csv")


def _utf16(tmp: Path) -> Path:
    p = tmp / "survey.csv"
    p.write_bytes(make_survey().to_csv(index=False, sep="\t").encode("utf-16"))
    return p


def _sep(sep: str, name: str, crlf: bool = False) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(make_survey().to_csv(index=False, sep=sep,
                                           lineterminator="\r\n" if crlf else "\n").encode())
        return p
    return build


def _xlsx_blank_margins(tmp: Path) -> Path:
    p = tmp / "survey.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as w:
        make_survey().to_excel(w, index=False, sheet_name="survey")
        ws = w.sheets["survey"]
        ws.cell(ws.max_row + 3, 1, None)
        ws.cell(2, ws.max_column + 2, None)
    return p


def _nik_spaces(df: pd.DataFrame) -> None:
    df.loc[3, "nik_head"] = " ".join([df.loc[3, "nik_head"][i:i + 4] for i in range(0, 16, 4)])


def _leading_zero_ids(df: pd.DataFrame) -> None:
    df["hh_id"] = [f"00{i:04d}" for i in range(len(df))]


def _serial_dates(df: pd.DataFrame) -> None:
    df["start_date"] = df["start_date"].astype(object)
    df.loc[[1, 4], "start_date"] = ["45306", "45400"]


def _nbsp_codes(df: pd.DataFrame) -> None:
    df["village_code"] = df["village_code"] + "\u00a0"


def _float_years(df: pd.DataFrame) -> None:
    df["year"] = df["year"].astype(float)


def _negative_amount(df: pd.DataFrame) -> None:
    df.loc[[2], "amount_rp"] = -500000.0


def _stata_labels(tmp: Path) -> Path:
    df = make_survey()
    df["head_sex"] = df["head_sex"].astype("category")
    df["zone"] = df["zone"].astype("category")
    return write(df, tmp / "susenas.dta")


def _leading_zeros_kept(df: pd.DataFrame) -> None:
    assert df["hh_id"].iloc[0] == "000000" and df["hh_id"].iloc[-1].startswith("00")


MORE: list[Case] = [
    Case("an empty file (0 bytes)", "survey", _bytes("survey.csv", b""), DataFileError,
         ["survey.csv is not what its name says: the extension '.csv' claims CSV text, but the "
          "content is an empty file. Fix: the file has no content; export it again"]),
    Case("a header and no rows", "survey", _header_only, SchemaError,
         ["survey: the table is empty: 0 rows. Fix: the file has a header but no rows"]),
    Case("a PDF named .csv", "survey", _bytes("survey.csv", b"%PDF-1.4\n%\xe2\xe3\n"),
         DataFileError, ["the content is a PDF document"]),
    Case("Excel 'Unicode text' (UTF-16) named .csv", "survey", _utf16, DataFileError,
         ["the content is UTF-16 text (Excel's 'Unicode text'). Fix: save it again as "
          "'CSV UTF-8 (Comma delimited)'"]),
    Case("an OpenDocument spreadsheet named .xlsx", "survey",
         _zip_with("survey.xlsx", "mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
         DataFileError, ["the content is an OpenDocument spreadsheet (.ods). Fix: open it and "
                         "save it as 'Excel Workbook (.xlsx)'"]),
    Case("a plain ZIP archive named .xlsx", "survey", _zip_with("survey.xlsx", "survey.csv"),
         DataFileError, ["the content is a ZIP archive (not an Excel workbook)"]),
    Case("a Word document named .xlsx", "survey", _zip_with("survey.xlsx", "word/document.xml"),
         DataFileError, ["the content is a Word document"]),
    Case("tab-separated .tsv is read", "survey", _sep("\t", "survey.tsv"), None, [],
         check=_rows(54)),
    Case("'|'-separated text with CRLF line ends is read", "survey",
         _sep("|", "survey.txt", crlf=True), None, [], check=_rows(54)),
    Case("a workbook with blank rows and columns around the data", "survey",
         _xlsx_blank_margins, None, [], check=_rows(54)),
    Case("an NIK written in groups of four digits", "registry", _reg(_nik_spaces), SchemaError,
         ["registry_raw: column 'nik_head' is not exactly 16 digits: 1 row (e.g. row 5)"],
         ("nik_head", 1), {"demo": True}),
    Case("household ids with leading zeros stay text", "survey", _survey(_leading_zero_ids),
         None, [], check=_leading_zeros_kept),
    Case("Excel serial numbers instead of dates", "participation", _part(_serial_dates),
         SchemaError,
         ["participation: column 'start_date' has dates that do not parse ('45306', '45400'): "
          "2 rows (e.g. R0001, R0004). Fix: write dates as YYYY-MM-DD"], ("start_date", 2)),
    Case("non-breaking spaces after village codes (copied from a web page)", "survey",
         _survey(_nbsp_codes), None, [], check=_normalised),
    Case("years exported as 2023.0", "survey", _survey(_float_years), None, [],
         check=lambda df: None if df["year"].dtype == "int64" else pytest.fail("year")),
    Case("a negative amount", "participation", _part(_negative_amount), SchemaError,
         ["participation: column 'amount_rp' has negative values (-500000): 1 row "
          "(e.g. R0002). Fix: 'amount_rp' must be >= 0"], ("amount_rp", 1)),
    Case("Stata value labels for categories are read as text", "survey", _stata_labels, None,
         [], check=lambda df: None if set(df["head_sex"]) <= {"M", "F"} else pytest.fail("sex")),
]
MORE.append(
    Case("a count of families named 'jumlah_kk' is not personal data", "survey",
         _survey(lambda d: d.__setitem__("jumlah_kk", 1)), None, [],
         check=_has("jumlah_kk")))
CASES.extend(MORE)


def test_permission_denied_is_a_clear_error(tmp_path: Path, monkeypatch):
    """Root reads any file, so the refusal of the operating system is simulated."""
    import builtins
    path = write(make_survey(), tmp_path / "survey.csv")
    real_open = builtins.open

    def deny(file, *a, **kw):  # noqa: ANN001
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **kw)

    monkeypatch.setattr(builtins, "open", deny)
    with pytest.raises(DataFileError, match=r"survey.csv cannot be read: permission denied\. "
                                             r"Fix: ask the file's owner for read access"):
        load_table(path, "survey")


def test_key_of_spaces_is_refused(tmp_path: Path):
    from kassaki_eval.exceptions import ConfigError
    path = write(make_registry_raw(), tmp_path / "p3ke.csv")
    with pytest.raises(ConfigError, match=r"made of spaces"):
        load_table(path, "registry", key=" " * 32)
