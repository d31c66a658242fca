"""Every report table in one formatted workbook (openpyxl), plus one CSV per table.

The workbook opens with a README sheet (title, run id, parameters, one line per sheet with its
title, and the disclosure rule), then one sheet per table named exactly as the table (and as
listed in ``manifest.json``). Headers are styled and translated, columns sized, numbers
formatted (percentages as Excel percentages, so officials can compute with them).

Files are written byte-reproducibly: fixed document timestamps and fixed zip entry dates, so
the same tables give the same SHA-256.

CSVs are language-neutral (machine column names, proportions as decimals, ``.`` decimal mark,
UTF-8): they are for re-analysis, the workbook is for reading.

Formula injection (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``,
``@``, tab or carriage return (a file named ``=HYPERLINK(...)``) is written to the workbook as
a text cell, never a formula, and to the CSV with a leading apostrophe, which spreadsheet
programs show as text. Numbers are not touched.
"""
from __future__ import annotations

import datetime as _dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .blocks import Table
from .i18n import t

__all__ = ["write_workbook", "write_csvs", "EXCEL_FORMATS", "is_formula_like", "defuse_text",
           "deterministic_zip"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """A text a spreadsheet program would run as a formula (``=1+1``, ``@SUM``, ``-2+3``)."""
    return isinstance(value, str) and value.startswith(_FORMULA_START) and value not in ("-",)


def defuse_text(value: object) -> object:
    """``value`` with a leading apostrophe if it is formula-like text (for CSV files)."""
    return "'" + value if is_formula_like(value) else value  # type: ignore[operator]


def _as_text_cells(cells: Iterable[Any]) -> None:
    for cell in cells:
        if is_formula_like(cell.value):
            cell.data_type = "s"  # a string cell: openpyxl would otherwise write a formula

#: i18n number kind -> Excel number format
EXCEL_FORMATS: dict[str, str] = {
    "pct": "0.0%", "pct2": "0.00%", "pp": "+0.00%;-0.00%;0.00%", "ppu": "0.00%", "rp": "#,##0",
    "int": "#,##0",
    "num": "0.000", "num3": "0.000", "num1": "0.0", "num2": "0.00", "pvalue": "0.000",
    "year": "0",
}
_FIXED_TIME = _dt.datetime(2000, 1, 1)


def deterministic_zip(raw: bytes) -> bytes:
    """Re-pack an Office file (xlsx, docx) with fixed zip entry dates.

    openpyxl and python-docx stamp each entry with the current time: two runs differed.
    """
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def write_workbook(path: Path, tables: Sequence[Table], lang: str, *,
                   readme: Sequence[tuple[str, str]]) -> list[str]:
    """Write ``tables`` to ``path`` in ``lang``; return the sheet names (README first).

    ``readme`` holds (label, value) rows shown above the sheet index on the README sheet.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="14365D")
    wb = Workbook()
    ws = wb.active
    ws.title = "README"
    ws["A1"] = t("report.title", lang)
    ws["A1"].font = Font(bold=True, size=14)
    r = 3
    for label, value in readme:
        ws.cell(r, 1, label).font = Font(bold=True)
        _as_text_cells([ws.cell(r, 2, value)])
        r += 1
    r += 1
    ws.cell(r, 1, t("xlsx.sheet", lang)).font = head_font
    ws.cell(r, 1).fill = head_fill
    ws.cell(r, 2, t("xlsx.contents", lang)).font = head_font
    ws.cell(r, 2).fill = head_fill
    ws.cell(r, 3, t("xlsx.rows", lang)).font = head_font
    ws.cell(r, 3).fill = head_fill
    for tab in tables:
        r += 1
        ws.cell(r, 1, tab.name)
        ws.cell(r, 2, t(tab.title_key, lang))
        ws.cell(r, 3, len(tab.data))
    r += 2
    ws.cell(r, 1, t("xlsx.disclosure", lang))
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 10

    sheets = ["README"]
    for tab in tables:
        sh = wb.create_sheet(tab.name)
        sheets.append(tab.name)
        cols = [c for c in tab.data.columns if not str(c).startswith("_")]
        sh.append([t(f"col.{c}", lang) for c in cols])
        for cell in sh[1]:
            cell.font = head_font
            cell.fill = head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        d = tab.data
        for rec in d[cols].itertuples(index=False, name=None):
            row = []
            for c, v in zip(cols, rec, strict=False):
                if c in tab.translate and isinstance(v, str):
                    v = t(f"val.{c}.{v}", lang)
                elif c == "suppressed":
                    v = t("val.yes" if bool(v) else "val.no", lang)
                elif isinstance(v, float) and v != v:
                    v = None  # suppressed or missing: an empty cell, not the string "nan"
                elif hasattr(v, "item"):
                    v = v.item()
                row.append(v)
            sh.append(row)
            _as_text_cells(sh[sh.max_row])
        for j, c in enumerate(cols, start=1):
            kind = tab.formats.get(c, "text")
            letter = get_column_letter(j)
            if kind.startswith("@"):
                for cell, rk in zip(sh[letter][1:], d[kind[1:]].tolist(), strict=False):
                    cell.number_format = EXCEL_FORMATS.get(str(rk), "0.000")
            elif kind in EXCEL_FORMATS:
                for cell in sh[letter][1:]:
                    cell.number_format = EXCEL_FORMATS[kind]
            header_len = len(str(sh.cell(1, j).value))
            body_len = max((len(str(x)) for x in d[c].head(200).tolist()), default=0)
            sh.column_dimensions[letter].width = min(max(10, header_len + 2, body_len + 2), 50)
        sh.freeze_panes = "A2"
        if len(d):
            sh.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(d) + 1}"
    wb.properties.creator = "kassaki-eval"
    wb.properties.created = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    # openpyxl stamps 'modified' with now(); replace it so identical tables give identical bytes
    raw = _patch_core(raw)
    Path(path).write_bytes(deterministic_zip(raw))
    return sheets


def _patch_core(raw: bytes) -> bytes:
    import re
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            dst.writestr(info, data)
    return out.getvalue()


def write_csvs(folder: Path, tables: Sequence[Table]) -> dict[str, Path]:
    """One UTF-8 CSV per table (machine column names); returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for tab in tables:
        p = folder / f"{tab.name}.csv"
        d: pd.DataFrame = tab.data.copy()
        for c in d.columns:
            if pd.api.types.is_object_dtype(d[c]) or pd.api.types.is_string_dtype(d[c]):
                d[c] = d[c].map(defuse_text)
        d.to_csv(p, index=False, lineterminator="\n", float_format="%.10g")
        out[tab.name] = p
    return out
