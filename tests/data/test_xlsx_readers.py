"""Workbook readers: calamine gives the values openpyxl gave; the fast (fastexcel) and exact
(python-calamine cell by cell) profile readers agree; several profiles feed one table."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from kassaki_eval.data import profiles as P
from kassaki_eval.data.loaders import NA_VALUES, read_raw
from kassaki_eval.data.profiles import load_profile, load_with_profile, load_with_profiles
from kassaki_eval.exceptions import ParameterError, SchemaError
from kassaki_eval.synthetic.source_shape import SOURCE_FILES, write_source_shape
from kassaki_eval.synthetic.world import generate_world

PARTNERS = [k for k in SOURCE_FILES if k.startswith("partner_")]


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy_readers")
    write_source_shape(generate_world(seed=7, scale=0.02), root)
    return root


def _book(path, rows, *, title=None, start_col=1, start_row=1):
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    if title:
        ws.cell(row=start_row, column=start_col).value = title
    for i, r in enumerate(rows):
        if r is None:
            continue
        for j, v in enumerate(r):
            if v is not None:
                ws.cell(row=start_row + (2 if title else 0) + i, column=start_col + j).value = v
    wb.save(path)
    return path


MIXED = [  # one column of every kind of cell, as openpyxl writes them
    ["id", "value"],
    ["a", 2.0], ["b", 1.5], ["c", 7309123456789012.0], ["d", 1e20], ["e", 0.1 + 0.2],
    ["f", True], ["g", dt.datetime(2024, 7, 15)], ["h", dt.datetime(2024, 7, 15, 10, 30)],
    ["i", dt.date(2024, 1, 2)], ["j", dt.time(10, 30)], ["k", "#N/A"], ["l", " x "],
    ["m", 7309123456789012], ["n", -3.25], ["o", 1e-7], ["p", 123456789.123], ["q", "=1+1"],
    ["r", "Rp 1.250.000"],
]


def test_load_table_reads_workbooks_with_calamine_as_openpyxl_did(tmp_path):
    """read_raw (now python-calamine) gives the frame pandas gave with openpyxl, cell by cell:
    16-digit ids that went through a float, dates, times, booleans, error cells."""
    p = _book(tmp_path / "mixed.xlsx", MIXED)
    got, rows, fmt = read_raw(p, table="survey")
    want = pd.read_excel(p, engine="openpyxl", header=0, dtype=str, keep_default_na=False,
                         na_values=NA_VALUES)
    assert fmt == "xlsx"
    assert list(got.columns) == list(want.columns)
    for c in want.columns:
        assert got[c].dtype == want[c].dtype, c
        assert got[c].tolist() == want[c].tolist() or \
            got[c].fillna("<NA>").tolist() == want[c].fillna("<NA>").tolist(), c
    assert got["value"].iloc[2] == "7309123456789012"      # the mangled id as openpyxl gave it
    assert got["value"].iloc[6] == "2024-07-15 00:00:00"
    assert list(rows) == list(range(2, len(MIXED) + 1))


def _same(a, b):
    fa, ra, _ = a
    fb, rb, _ = b
    assert list(fa.columns) == list(fb.columns)
    assert (fa.dtypes == fb.dtypes).all()
    pd.testing.assert_frame_equal(fa, fb)
    np.testing.assert_array_equal(ra, rb)


TYPED = [  # every column one kind of cell: the fast reader takes it
    ["Kode", "Jumlah", "Rasio", "Aktif", "Kosong", "Catatan"],
    ["7310011001", 2.0, 1.5, True, None, "ok"],
    ["7310011002", 7309123456789012.0, 1e-7, False, None, ""],
    None,                                                     # an empty row inside
    ["7310011004", 1e20, 123456789.123, True, None, " x "],
    ["7310011005", -3.0, 0.1 + 0.2, None, None, None],
]


@pytest.mark.parametrize("start_col,start_row", [(1, 1), (2, 1), (1, 2), (3, 4)])
def test_fast_and_exact_profile_readers_agree(tmp_path, start_col, start_row):
    """Same frame, dtypes and Excel row numbers from both readers, wherever the table sits
    on the sheet (title block above, empty leading rows and columns)."""
    p = _book(tmp_path / "typed.xlsx", TYPED, title="Data contoh", start_col=start_col,
              start_row=start_row)
    header = start_row + 2
    fast = P._read_xlsx_fast(p, "Data", header, P._fast_reader(p))
    assert fast is not None, "the fast reader declined a sheet of one-type columns"
    _same(fast, P._read_xlsx_exact(p, "Data", header))
    df, rows, _ = fast
    assert df["Jumlah"].tolist() == ["2", "7309123456789012.0", "1e+20", "-3"]
    # openpyxl stores 0.1+0.2 as 0.3
    assert df["Rasio"].tolist() == ["1.5", "1e-07", "123456789.123", "0.3"]
    assert df["Aktif"].tolist()[:3] == ["1", "0", "1"] and pd.isna(df["Aktif"].iloc[3])
    assert rows.tolist() == [header + 1, header + 2, header + 4, header + 5]


def test_fast_reader_declines_what_it_cannot_read_exactly(tmp_path):
    """Mixed columns, date cells, a repeated header name, a header above the first used
    row: the exact reader reads them (and read_xlsx gives its result)."""
    mixed = _book(tmp_path / "mixed.xlsx", MIXED)
    assert P._read_xlsx_fast(mixed, "Data", 1, P._fast_reader(mixed)) is None
    got = P._read_xlsx(mixed, "Data", 1)
    _same(got, P._read_xlsx_exact(mixed, "Data", 1))
    assert got[0]["value"].tolist()[:4] == ["2", "1.5", "7309123456789012.0", "1e+20"]
    dates = _book(tmp_path / "dates.xlsx", [["id", "tanggal"], ["a", dt.datetime(2024, 7, 15)]])
    assert P._read_xlsx_fast(dates, "Data", 1, P._fast_reader(dates)) is None
    dup = _book(tmp_path / "dup.xlsx", [["id", "x", "id"], ["a", "b", "c"]])
    assert P._read_xlsx_fast(dup, "Data", 1, P._fast_reader(dup)) is None
    low = _book(tmp_path / "low.xlsx", TYPED, start_row=3)
    assert P._read_xlsx_fast(low, "Data", 1, P._fast_reader(low)) is None
    # an empty header row is refused (until session 10 both readers gave 0 rows, silently)
    for header in (1, None):
        with pytest.raises(ParameterError) as e:
            P._read_xlsx(low, "Data", header)
        assert str(e.value) == (
            "The 'header_row' parameter of the profile must be the row of the column names; "
            f"row 1 of sheet 'Data' is empty (its first row with cells is row 3). Got {header!r} "
            "instead.")
    _same(P._read_xlsx(low, "Data", 3), P._read_xlsx_exact(low, "Data", 3))
    assert P._read_xlsx(low, "Data", 3)[1].tolist() == [4, 5, 7, 8]  # row 6 empty, dropped


def test_fast_reader_reads_the_messy_demo_workbooks_exactly(messy):
    files = [(messy / "p3ke_pangkep.xlsx", load_profile("p3ke").sources[0])]
    for prof in PARTNERS:
        files += [(messy / f, load_profile(prof).sources[0]) for f in SOURCE_FILES[prof]]
    for path, src in files:
        sheet = src.sheet or P._sheet_names(path)[0]
        fast = P._read_xlsx_fast(path, sheet, src.header_row, P._fast_reader(path))
        assert fast is not None, path.name
        _same(fast, P._read_xlsx_exact(path, sheet, src.header_row))


def test_several_profiles_feed_one_table_validated_once(messy):
    inputs = [([messy / f for f in SOURCE_FILES[p]], p) for p in PARTNERS]
    got = load_with_profiles(inputs, demo=True)
    one_by_one = pd.concat([load_with_profile(f, p, demo=True) for f, p in inputs],
                           ignore_index=True)
    pd.testing.assert_frame_equal(got, one_by_one, check_dtype=False)
    meta = got.attrs["kassaki_source"]
    assert meta["table"] == "participation" and meta["rows"] == len(got)
    assert [x["profile"] for x in meta["profiles"]] == PARTNERS
    for f in meta["files"]:
        assert set(f) >= {"file", "table", "profile", "profile_sha256", "sha256"}
        assert f["profile_sha256"] == load_profile(f["profile"]).sha256
        assert "/" not in f["file"]


def test_several_profiles_report_every_mapping_problem_at_once(tmp_path, messy):
    def edit(name, old, new):
        text = (P.PROFILE_DIR / f"{name}.toml").read_text()
        assert old in text
        q = tmp_path / f"{name}_x.toml"
        q.write_text(text.replace(old, new, 1))
        return q
    bpvp = edit("partner_bpvp", 'sheet = "Peserta"', 'sheet = "Peserta 2024"')
    bank = edit("partner_bank_sulselbar", 'sheet = "Realisasi KUR"', 'sheet = "KUR"')
    with pytest.raises(SchemaError) as e:
        load_with_profiles([([messy / f for f in SOURCE_FILES["partner_bpvp"]], bpvp),
                            ([messy / f for f in SOURCE_FILES["partner_bank_sulselbar"]], bank)],
                           demo=True)
    msg = str(e.value)
    assert "'Peserta 2024', which bpvp_pelatihan.xlsx does not have" in msg
    assert "'KUR', which bank_sulselbar_kur.xlsx does not have" in msg


def test_map_apply_writes_into_a_folder_that_does_not_exist_yet(tmp_path, messy):
    """The README walkthrough writes data/registry.parquet from a fresh folder."""
    from kassaki_eval.cli import main
    dest = tmp_path / "fresh" / "data" / "participation.parquet"
    f = messy / SOURCE_FILES["partner_bpvp"][0]
    assert main(["map", "--apply", "partner_bpvp", str(f), "--out", str(dest), "--demo"]) == 0
    assert len(pd.read_parquet(dest)) == len(load_with_profile(f, "partner_bpvp", demo=True))
