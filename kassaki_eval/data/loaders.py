"""Read CSV, Parquet, Excel (.xlsx) and Stata (.dta) files read-only, then validate them.

The raw file is opened for reading only and never written (DIME: raw data are never edited;
every fix goes into a cleaned copy or a loader argument such as ``rename=`` or
``header_row=``). The real format is taken from the file's first bytes, not from its name, so
a ``.csv`` that is really a workbook or a ``.xlsx`` that is really a web page fails with a
message naming the file, what it claims to be and what it is.

Codes are read as text (leading zeros and dots survive). Rows are numbered as a spreadsheet
shows them (header = row 1) for CSV and Excel, and as observation numbers for Stata and
Parquet; messages about the raw registry quote these numbers, never NIK, family-card numbers
or names.

Example
-------
>>> from kassaki_eval.data import load_table            # doctest: +SKIP
>>> survey = load_table("data/demo/survey.parquet", table="survey")   # doctest: +SKIP
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataFileError, ParameterError, Problem, SchemaError, check_option
from .contracts import CONTRACTS, TABLES, pii_columns, validate
from .personal import check_declarations, declare_fix, personal_columns
from .pseudonymise import ScrubFilter, pseudonymise_id, pseudonymise_registry, resolve_key

__all__ = ["sniff_format", "read_raw", "load_table", "load_registry", "load_survey",
           "load_participation", "validate_file", "write_table", "text_head", "NA_VALUES",
           "FORMATS"]

_log = logging.getLogger(__name__)
_log.addFilter(ScrubFilter())

#: Cell texts read as missing. '.' is Stata's missing value in CSV exports.
NA_VALUES = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "."]

#: Formats we read, by file extension.
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "xlsx", ".xlsm": "xlsx", ".dta": "dta"}

_WHAT = {
    "csv": "CSV text", "csv.gz": "gzip-compressed CSV text", "parquet": "a Parquet file",
    "xlsx": "an Excel workbook (.xlsx)",
    "dta": "a Stata dataset (.dta)", "xls": "a legacy Excel 97-2003 workbook (.xls)",
    "ods": "an OpenDocument spreadsheet (.ods)", "docx": "a Word document",
    "zip": "a ZIP archive (not an Excel workbook)", "html": "an HTML web page",
    "xml": "an XML document (e.g. Excel 2003 XML)", "gzip": "gzip-compressed data",
    "pdf": "a PDF document", "json": "JSON text", "utf16": "UTF-16 text (Excel's 'Unicode text')",
    "binary": "unrecognised binary data", "empty": "an empty file",
}

_HOW = {
    "csv": "rename it to .csv, or export it again in the format its name says",
    "xlsx": "rename it to .xlsx, or export it again as 'CSV UTF-8'",
    "parquet": "rename it to .parquet",
    "dta": "rename it to .dta",
    "xls": "open it in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'",
    "ods": "open it and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'",
    "html": "it is a web page saved with a spreadsheet name (common for web-portal exports): "
            "open it in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'",
    "xml": "open it in Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'",
    "utf16": "save it again as 'CSV UTF-8 (Comma delimited)'",
    "gzip": "decompress it first (gunzip), or name it like 'survey.csv.gz' to have it read "
            "as gzip-compressed CSV",
    "json": "export the table as 'CSV UTF-8' (one header row, one row per record); from Python: "
            "pandas.read_json(path).to_csv('cleaned.csv', index=False)",
    "empty": "the file has no content; export it again",
}


def sniff_format(path: str | Path) -> str:
    """What a file really is, from its first bytes.

    Returns one of ``'csv'`` (text), ``'parquet'``, ``'xlsx'``, ``'dta'``, or a format we do
    not read: ``'xls'``, ``'ods'``, ``'docx'``, ``'zip'``, ``'html'``, ``'xml'``, ``'gzip'``,
    ``'pdf'``, ``'utf16'``, ``'binary'``, ``'empty'``.

    Example
    -------
    >>> from kassaki_eval import config
    >>> sniff_format(config.district_dir() / "villages.csv")
    'csv'
    """
    p = Path(path)
    with open(p, "rb") as f:  # read-only
        head = f.read(8192)
    if head[:2] == b"\x1f\x8b" and p.suffix.lower() == ".gz":
        import gzip
        try:
            with gzip.open(p, "rb") as f:
                inner = f.read(8192)
        except (OSError, EOFError):
            return "gzip"
        return "csv.gz" if inner and b"\x00" not in inner and inner[:4] != b"PAR1" else "gzip"
    if not head:
        return "empty"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(p) as z:
                names = set(z.namelist())
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "mimetype" in names and b"spreadsheet" in z.read("mimetype"):
                    return "ods"
                if "word/document.xml" in names:
                    return "docx"
        except zipfile.BadZipFile:
            return "binary"
        return "zip"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:11] == b"<stata_dta>":
        return "dta"
    # Stata <= 12: format byte 104-115, byte order 1/2, filetype 1, unused 0
    if len(head) >= 4 and 104 <= head[0] <= 115 and head[1] in (1, 2) and head[2] == 1 \
            and head[3] == 0:
        return "dta"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"%PDF":
        return "pdf"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf16"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start[:1] in (b"{", b"["):
        return "json"
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body")):
        return "html"
    if start.startswith(b"<?xml"):
        return "html" if b"<html" in start[:2048] else "xml"
    if b"\x00" in head:
        return "binary"
    return "csv"


def _format(path: Path) -> str:
    if not path.exists():
        raise DataFileError(f"{path.name}: file not found (in {_where(path)}). Fix: check the "
                            f"path (it is read as given, relative to the current folder).")
    if path.is_dir():
        raise DataFileError(f"{path.name} is a folder, not a file. Fix: pass the data file "
                            f"inside it (one --survey per wave file).")
    ext = path.suffix.lower()
    try:
        actual = sniff_format(path)
    except PermissionError:
        raise DataFileError(f"{path.name} cannot be read: permission denied. Fix: ask the "
                            f"file's owner for read access, or copy it to a folder you can "
                            f"read (chmod u+r); the raw file is left as it is.") from None
    except OSError as e:
        raise DataFileError(f"{path.name} cannot be read ({e.strerror or type(e).__name__}). "
                            f"Fix: check the file and the disk; the raw file is left as it "
                            f"is.") from None
    if actual == "csv.gz" and ext == ".gz":
        return "csv.gz"
    claimed = FORMATS.get(ext)
    if claimed is None and ext in (".xls", ".ods", ".html", ".htm", ".xml", ".gz", ".pdf", ".zip"):
        claimed = {"gz": "gzip", "htm": "html"}.get(ext.lstrip("."), ext.lstrip("."))
    if actual == claimed and actual in FORMATS.values():
        return actual
    if claimed is None and actual in FORMATS.values():
        return actual  # no or unknown extension: trust the content
    what_claim = _WHAT.get(claimed or "", f"a '{ext or 'no extension'}' file")
    what_is = _WHAT.get(actual, actual)
    if claimed == actual:  # a format we do not read, correctly named
        raise DataFileError(f"{path.name} is {what_is}, which kassaki-eval does not read "
                            f"(it reads CSV, Parquet, .xlsx and .dta). Fix: "
                            f"{_HOW.get(actual, 'export it as CSV UTF-8 or .xlsx')}.")
    raise DataFileError(
        f"{path.name} is not what its name says: the extension '{ext}' claims {what_claim}, "
        f"but the content is {what_is}. "
        f"Fix: {_HOW.get(actual, 'export it again as CSV UTF-8 or .xlsx')}"
        f"; the raw file is left as it is.")


def _where(path: Path) -> str:
    """The folder of ``path`` for a message: relative to the current folder when inside it."""
    parent = path.parent
    try:
        rel = parent.resolve().relative_to(Path.cwd().resolve())
        return str(rel) if str(rel) != "." else "the current folder"
    except (ValueError, OSError):
        return "the given folder"


# ---------------------------------------------------------------------------------------------
# readers: each returns (frame of raw values, row number of every row)

def _decode(path: Path, data: bytes, encoding: str | None) -> str:
    enc = encoding or "utf-8-sig"
    try:
        return data.decode(enc)
    except LookupError:
        raise ParameterError(f"The 'encoding' parameter of load_table must be a known codec "
                             f"such as 'utf-8', 'cp1252' or 'latin-1'. Got {encoding!r} "
                             f"instead.") from None
    except UnicodeDecodeError as e:
        pos = e.start
        line = data.count(b"\n", 0, pos) + 1
        col = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
        guess = ("" if encoding else
                 " The file was probably saved as Windows-1252/Latin-1 (Excel's plain 'CSV' "
                 "format), where letters such as 'é' are single bytes.")
        raise DataFileError(
            f"{path.name} is not valid {enc.replace('-sig', '').upper()} text: the byte 0x"
            f"{data[pos]:02X} at byte position {pos} (line {line}, character {col}) cannot be "
            f"decoded.{guess} Fix: save the file again as 'CSV UTF-8 (Comma delimited)' "
            f"(Excel: File > Save As), or, if you know its encoding, pass it explicitly: "
            f"load_table(..., encoding='cp1252') (or 'latin-1'; --encoding on the command "
            f"line). The raw file is left as it is.") from None


def text_head(path: Path, encoding: str | None = None, keep: int = 65536) -> str:
    """The first ``keep`` characters of a text file, after checking that all of it decodes.

    The same check and message as the loaders; used to draft profiles from a file's top.
    """
    return _decode_head(Path(path), Path(path).read_bytes(), encoding, keep)


def _decode_head(path: Path, data: bytes, encoding: str | None, keep: int = 65536) -> str:
    """The first ``keep`` characters of ``data``, after checking that all of it decodes.

    Decodes in 16 MB slices (memory: one slice, not a text copy of the file); on a decoding
    error :func:`_decode` raises its message (byte position, line, the fix).
    """
    import codecs

    try:
        try:  # a LookupError also for codecs that are no text encoding (base64, hex, zlib, rot13)
            b"a".decode(encoding or "utf-8-sig")
        except UnicodeDecodeError:
            pass  # a text encoding in which one byte is no character (UTF-16)
        dec = codecs.getincrementaldecoder(encoding or "utf-8-sig")()
    except LookupError:
        return _decode(path, data, encoding)  # raises the ParameterError
    view = memoryview(data)
    step = 1 << 24
    head = ""
    try:
        for i in range(0, max(len(data), 1), step):
            text = dec.decode(view[i:i + step], final=i + step >= len(data))
            if len(head) < keep:
                head += text[:keep - len(head)]
    except UnicodeDecodeError:
        return _decode(path, data, encoding)  # raises with the position
    return head


def _header_index(grid: Sequence[Sequence[object]], expected: set[str], header_row: int | None,
                  path: Path, n_rows: int) -> int:
    """0-based index of the header row; an error if it is evidently not the first row."""
    if header_row is not None:
        if not isinstance(header_row, (int, np.integer)) or isinstance(header_row, bool) \
                or header_row < 1 or header_row > max(n_rows, 1):
            raise ParameterError(f"The 'header_row' parameter of load_table must be a row number "
                                 f"from 1 to {max(n_rows, 1)} (1 = first row). Got "
                                 f"{header_row!r} instead.")
        return int(header_row) - 1
    low = {e.lower() for e in expected}

    def hits(row: Sequence[object]) -> list[str]:
        return [str(c).strip() for c in row if isinstance(c, str) and c.strip().lower() in low]

    scores = [len(hits(r)) for r in grid]
    if not scores:
        return 0
    best = int(np.argmax(scores))
    if best > 0 and scores[best] >= 2 and scores[best] > scores[0]:
        names = ", ".join(f"'{h}'" for h in hits(grid[best])[:4])
        raise DataFileError(
            f"{path.name}: the header is not in the first row. The expected column names "
            f"({names}, …) appear in row {best + 1}; rows 1–{best} look like a title or notes. "
            f"Fix: pass header_row={best + 1} (load_table(..., header_row={best + 1}), or "
            f"--header-row {best + 1} on the command line); the raw file is left as it is.")
    return 0


def _check_header(cells: Sequence[object], path: Path, row: int) -> list[str]:
    names = ["" if (c is None or (isinstance(c, float) and np.isnan(c))) else str(c).strip()
             for c in cells]
    seen: dict[str, int] = {}
    for j, n in enumerate(names):
        if n and n in seen:
            raise DataFileError(f"{path.name}: the column name '{n}' appears twice in the header "
                                f"(row {row}, columns {seen[n] + 1} and {j + 1}). Fix: rename or "
                                f"remove one of them in a cleaned copy of the file; the raw "
                                f"file is left as it is.")
        seen[n] = j
    return [n if n else f"Unnamed: {j}" for j, n in enumerate(names)]


def _read_csv(path: Path, expected: set[str], header_row: int | None,
              encoding: str | None, gz: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    data = path.read_bytes()
    if gz:
        import gzip
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise DataFileError(f"{path.name} is gzip-compressed but could not be "
                                f"decompressed ({e}). Fix: gunzip it by hand and check the "
                                f"result; the raw file is left as it is.") from None
    n_scan = max(30, header_row if isinstance(header_row, int) else 0)
    # the whole file is checked to decode, but only its head is kept as text: pandas parses
    # the bytes (a decoded copy plus a StringIO of it held ~5x the file in memory, issue 15).
    # The head holds the first n_scan lines whole (a character is at least one byte), up to
    # 16 M characters: a fixed 65,536 cut a wide export's header row (2,000 columns) or left
    # a header row below long note rows out of the search
    end = 0
    for _ in range(n_scan):
        nxt = data.find(b"\n", end)
        end = len(data) if nxt < 0 else nxt + 1
        if nxt < 0:
            break
    head = _decode_head(path, data, encoding, keep=min(max(end, 65536), 1 << 24))
    first = head.splitlines()[:n_scan]
    del head
    # Indonesian-locale Excel writes ';'-separated CSV; tab for .tsv. Without expected names
    # the separator is the one the header row holds most of (a given header_row: not a title
    # line above it, which holds none)
    hrow = header_row - 1 if isinstance(header_row, (int, np.integer)) and \
        not isinstance(header_row, bool) and 1 <= header_row <= len(first) else 0
    delim = max([",", ";", "\t", "|"], key=lambda d: (
        sum(c.strip().lower() in {e.lower() for e in expected} for row in
            csv.reader(first, delimiter=d) for c in row),
        first[hrow].count(d) if first else 0))
    grid = list(csv.reader(first, delimiter=delim))
    # the bound in the header_row message is the file's line count, not the scanned head's
    n_lines = len(grid) if len(first) < n_scan else \
        data.count(b"\n") + (not data.endswith(b"\n"))
    h = _header_index(grid, expected, header_row, path, n_lines)
    names = _check_header(grid[h] if h < len(grid) else [], path, h + 1)
    try:
        df = pd.read_csv(io.BytesIO(data), sep=delim, dtype=str, keep_default_na=False,
                         na_values=NA_VALUES, skiprows=h + 1, header=None, names=names,
                         skip_blank_lines=False, index_col=False,
                         encoding=encoding or "utf-8-sig")
    except pd.errors.EmptyDataError:
        # e.g. Excel's 'CSV UTF-8' of an empty sheet: a byte-order mark and nothing else
        raise DataFileError(f"{path.name} has no header row: it holds only blank lines. Fix: "
                            f"export the sheet with its data again; the raw file is left as "
                            f"it is.") from None
    except pd.errors.ParserError as e:
        raise DataFileError(f"{path.name} could not be parsed as '{delim}'-separated CSV after "
                            f"row {h + 1}: {str(e).strip()}. Fix: a value probably contains "
                            f"the separator without quotes; export it again with quoted text "
                            f"fields.") from None
    rows = np.arange(len(df)) + h + 2
    keep = df.notna().any(axis=1).to_numpy()
    return df.loc[keep].reset_index(drop=True), rows[keep]


def _read_xlsx(path: Path, expected: set[str], sheet: str | int | None,
               header_row: int | None, table: str) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        # python-calamine (Rust) through pandas: the same cell values as openpyxl gives pandas
        # (whole numbers without '.0', dates as timestamps, error cells missing), ~10-70x
        # faster; tests/data/test_xlsx_readers.py compares the two engines cell by cell
        xl = pd.ExcelFile(path, engine="calamine")
    except Exception as e:  # a corrupt workbook fails in many ways inside the reader
        raise DataFileError(f"{path.name} could not be opened as an Excel workbook "
                            f"({type(e).__name__}). Fix: open it in Excel and save it again as "
                            f"'Excel Workbook (.xlsx)'.") from None
    with xl:
        sheets = list(xl.sheet_names)
        if sheet is None:
            named = [s for s in sheets if s.strip().lower() == table.split("_")[0]]
            if named:
                sheet = named[0]
            elif len(sheets) == 1:
                sheet = sheets[0]
            else:
                raise DataFileError(f"{path.name} has {len(sheets)} sheets "
                                    f"({', '.join(map(repr, sheets))}) "
                                    f"and none is named '{table}'. Fix: pass sheet='<name>' "
                                    f"(--sheet on the command line).")
        elif (isinstance(sheet, str) and sheet not in sheets) or \
                (isinstance(sheet, int) and not 0 <= sheet < len(sheets)):
            raise DataFileError(f"{path.name} has no sheet {sheet!r}; its sheets are "
                                f"{', '.join(map(repr, sheets))}. "
                                "Fix: pass one of these as sheet=.")
        grid = pd.read_excel(xl, sheet_name=sheet, header=None, dtype=str,
                             keep_default_na=False, na_values=NA_VALUES)
    top = grid.head(max(30, header_row if isinstance(header_row, int) else 0))
    head = top.astype(object).where(top.notna(), None).values.tolist()
    h = _header_index(head, expected, header_row, path, len(grid))
    if h >= len(grid):
        return pd.DataFrame(), np.zeros(0, dtype=int)
    names = _check_header(grid.iloc[h].tolist(), path, h + 1)
    body = grid.iloc[h + 1:].copy()
    body.columns = names
    # sheet rows are 1-based in Excel; the grid index is the 0-based sheet row
    rows = body.index.to_numpy() + 1
    empty_cols = [n for n in names if n.startswith("Unnamed: ") and body[n].isna().all()]
    body = body.drop(columns=empty_cols)
    keep = body.notna().any(axis=1).to_numpy()
    return body.loc[keep].reset_index(drop=True), rows[keep]


def read_raw(path: str | Path, *, table: str = "survey", sheet: str | int | None = None,
             header_row: int | None = None, encoding: str | None = None
             ) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Read a file without validating it: (raw frame, row number of each row, format).

    Text formats come back as strings; Parquet and Stata keep their stored types. Raises
    :class:`DataFileError` when the file is not what its name says, is not UTF-8 text (unless
    ``encoding`` is given), or has title rows above the header (unless ``header_row`` is
    given).
    """
    p = Path(path)
    fmt = _format(p)
    expected = set(CONTRACTS[table].names) if table in CONTRACTS else set()
    if table == "registry":
        expected |= set(CONTRACTS["registry_raw"].names)
    if encoding is not None and fmt not in ("csv", "csv.gz"):
        raise ParameterError(f"The 'encoding' parameter of load_table applies to CSV files "
                             f"only. Got {encoding!r} for {_WHAT[fmt]} instead.")
    if fmt in ("csv", "csv.gz"):
        df, rows = _read_csv(p, expected, header_row, encoding, gz=fmt == "csv.gz")
    elif fmt == "xlsx":
        df, rows = _read_xlsx(p, expected, sheet, header_row, table)
    else:
        if header_row not in (None, 1):
            raise ParameterError(f"The 'header_row' parameter of load_table applies to CSV and "
                                 f"Excel files only. Got {header_row!r} for {_WHAT[fmt]} "
                                 f"instead.")
        try:
            if fmt == "parquet":
                df = pd.read_parquet(p)
            else:
                df = pd.read_stata(p, convert_categoricals=True)
        except Exception as e:  # pyarrow / the Stata reader raise many types
            raise DataFileError(f"{p.name} looks like {_WHAT[fmt]} but could not be read "
                                f"({type(e).__name__}: {e}). Fix: export it again.") from None
        df = df.reset_index(drop=True)
        rows = np.arange(1, len(df) + 1)
    return df, rows, fmt


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _has_pii(df: pd.DataFrame) -> bool:
    return bool(pii_columns(df.columns))


def load_table(path: str | Path | Sequence[str | Path], table: str = "survey", *,
               key: str | None = None, demo: bool = False, sheet: str | int | None = None,
               header_row: int | None = None, encoding: str | None = None,
               rename: Mapping[str, str] | None = None,
               pii: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a table file read-only, validate it against its contract, pseudonymise a registry.

    Parameters
    ----------
    path : str or Path, or a sequence of them
        A CSV (UTF-8; ``,``/``;``/tab separated), Parquet, Excel .xlsx or Stata .dta file.
        The real format is sniffed from the content. Several files (e.g. one survey wave
        each) are stacked in the given order and validated as one table, so rules across
        waves (duplicates, PSU nesting) see all rows; rows are then named ``file row N``.
    table : {'survey', 'registry', 'registry_raw', 'participation', 'villages'}
        The contract. ``'registry'`` accepts a raw registry (with ``no_kk``, ``nik_head``,
        ``name_head``): it is validated as ``registry_raw``, pseudonymised, and validated again
        as ``registry``. ``'registry_raw'`` validates without pseudonymising.
    key : str, optional
        Pseudonymisation key (raw registry only); default from ``KASSAKI_PSEUDONYM_KEY``.
    demo : bool
        Synthetic data: the public demo key may be used.
    sheet : str or int, optional
        Excel sheet; default the sheet named like the table, or the only sheet.
    header_row : int, optional
        1-based row of the header (CSV/Excel) when title rows sit above it.
    encoding : str, optional
        CSV encoding when it is not UTF-8 (e.g. ``'cp1252'``).
    rename : mapping, optional
        Column renames applied after reading (the raw file is never changed).
    pii : mapping, optional
        Columns that hold personal data besides the contract's (found by content or name,
        see :mod:`kassaki_eval.data.personal`), each declared ``'hash'`` (replaced by a keyed
        pseudonym ``'P' + 16 hex digits``, same key as ``family_id``) or ``'drop'``. An
        undeclared one is an error: personal data are never written un-hashed.

    Returns
    -------
    DataFrame
        Validated, with the contract's dtypes; ``attrs['kassaki_source']`` records the file
        name, format, SHA-256 and row count.

    Raises
    ------
    DataFileError
        The file cannot be read as what it claims to be.
    SchemaError
        The content breaks the contract (every problem listed).
    ConfigError
        A raw registry and no pseudonymisation key.

    Example
    -------
    >>> from kassaki_eval import config
    >>> v = load_table(config.district_dir() / "villages.csv", table="villages")
    >>> v.shape
    (103, 10)
    """
    check_option("load_table", "table", table, TABLES)
    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(q) for q in path]
    if not paths:
        raise ParameterError("The 'path' parameter of load_table must name at least one file. "
                             "Got an empty sequence instead.")
    frames, labels, fmts, hashes = [], [], [], []
    for p in paths:
        df, rows, fmt = read_raw(p, table=table, sheet=sheet, header_row=header_row,
                                 encoding=encoding)
        if rename:
            df = df.rename(columns=dict(rename))
        _log.info("read %s (%s): %d rows, %d columns", p.name, fmt, len(df), df.shape[1])
        frames.append(df)
        labels.append(rows if len(paths) == 1 else
                      np.array([f"{p.name} row {r}" for r in rows], dtype=object))
        fmts.append(fmt)
        hashes.append(_sha256(p))
    if len(paths) > 1:
        _check_files(paths, frames, hashes, table)
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    rows = labels[0] if len(labels) == 1 else np.concatenate(labels)
    source = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
    declared = check_declarations(pii, df.columns)
    if declared:
        hash_cols = [c for c, a in declared.items() if a == "hash"]
        k = resolve_key(key, demo=demo) if hash_cols else None
        df = df.drop(columns=[c for c, a in declared.items() if a == "drop"])
        for c in hash_cols:
            df[c] = pseudonymise_id(_id_text(df[c]), k, prefix="P")  # type: ignore[arg-type]
    if table == "registry" and _has_pii(df):
        k = resolve_key(key, demo=demo)  # fail on configuration before any work
        clean = validate(df, "registry_raw", rows=rows, source=source)
        out = validate(pseudonymise_registry(clean, key=k, demo=demo), "registry", rows=rows,
                       source=source)
    else:
        out = validate(df, table, rows=rows, source=source)
    files = [{"file": p.name, "format": f, "sha256": h, "rows": int(len(fr))}
             for p, f, fr, h in zip(paths, fmts, frames, hashes, strict=False)]
    out.attrs["kassaki_source"] = (files[0] if len(files) == 1 else {"files": files}) | {
        "table": table, "rows": len(out)}
    if declared:
        out.attrs["kassaki_source"]["pii"] = dict(declared)
    return out


def _id_text(s: pd.Series) -> pd.Series:
    """Identifier values as text for hashing (whole floats without '.0')."""
    if pd.api.types.is_float_dtype(s):
        return s.map(lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer()
                                                         else str(v)))
    return s.astype("object").where(s.notna(), None).map(
        lambda v: None if v is None else str(v).strip())


def _check_files(paths: Sequence[Path], frames: Sequence[pd.DataFrame], hashes: Sequence[str],
                 table: str) -> None:
    """Check across the files of one table.

    The same file twice, one wave in two files, a column missing from one file (named by file).
    """
    probs: list[Problem] = []
    seen: dict[str, Path] = {}
    for p, h in zip(paths, hashes, strict=False):
        if h in seen:
            probs.append(Problem(table, "*", f"has a file given twice: {seen[h].name} and "
                                             f"{p.name} have the same content (SHA-256 {h[:12]})",
                                 len(frames[paths.index(p)]),
                                 fix="pass each file once (one --survey per wave); stacking a "
                                     "file twice counts every household twice"))
        seen.setdefault(h, p)
    # raw registry files (load_registry of one file per kecamatan) hold no_kk, not family_id
    raw = table == "registry" and any(_has_pii(fr) for fr in frames)
    spec = CONTRACTS["registry_raw" if raw else table]
    required = [c.name for c in spec.columns if c.required]
    for i, (p, fr) in enumerate(zip(paths, frames, strict=False)):
        # only columns another file has: one missing from every file is the contract's message
        others = {c for j, f in enumerate(frames) if j != i for c in f.columns}
        miss = [c for c in required if c not in fr.columns and c in others]
        if miss and len(miss) < len(required):
            probs.append(Problem(f"{table} ({p.name})", ", ".join(miss[:4]),
                                 "is missing in this file (the other files have it)", len(fr),
                                 fix=f"check the header of {p.name}: a renamed column can be "
                                     f"mapped with rename={{'old': '{miss[0]}'}} (--rename "
                                     f"old={miss[0]}); the raw file is left as it is"))
    if "year" in spec.names and not probs:
        where: dict[str, list[str]] = {}
        for p, fr in zip(paths, frames, strict=False):
            if "year" in fr.columns:
                for y in pd.unique(fr["year"].dropna().astype(str).str.strip()):
                    where.setdefault(str(y).removesuffix(".0"), []).append(p.name)
        for y, names in sorted(where.items()):
            if len(names) > 1:
                n = sum(int((fr["year"].astype(str).str.strip().str.removesuffix(".0") == y)
                            .sum()) for fr, q in zip(frames, paths, strict=False) if q.name in names
                        and "year" in fr.columns)
                probs.append(Problem(table, "year", f"has wave {y} in {len(names)} files "
                                                    f"({', '.join(names[:4])})", n,
                                     fix="each wave must come from one file; remove the "
                                         "duplicate or the wrong year; stacking them would "
                                         "count households twice"))
    if probs:
        raise SchemaError(probs, table=f"{table} ({len(paths)} files)")


def load_registry(path: str | Path | Sequence[str | Path], *, key: str | None = None,
                  demo: bool = False, **kwargs: object) -> pd.DataFrame:
    """Load, validate and pseudonymise a registry file (see :func:`load_table`).

    Example
    -------
    >>> reg = load_registry("p3ke_2023.xlsx")   # doctest: +SKIP
    """
    return load_table(path, "registry", key=key, demo=demo, **kwargs)  # type: ignore[arg-type]


def load_survey(path: str | Path | Sequence[str | Path], **kwargs: object) -> pd.DataFrame:
    """Load and validate survey waves, one file or one file per wave (see :func:`load_table`).

    Example
    -------
    >>> files = [f"data/demo/survey_{y}.csv" for y in (2023, 2024, 2025)]
    >>> survey = load_survey(files)  # doctest: +SKIP
    """
    return load_table(path, "survey", **kwargs)  # type: ignore[arg-type]


def load_participation(path: str | Path | Sequence[str | Path], **kwargs: object) -> pd.DataFrame:
    """Load and validate programme participation records (see :func:`load_table`)."""
    return load_table(path, "participation", **kwargs)  # type: ignore[arg-type]


def validate_file(path: str | Path, table: str = "survey", **kwargs: object) -> pd.DataFrame:
    """Read and validate a file without pseudonymising it (a raw registry stays raw).

    Used by ``kassaki-eval validate``: checking a raw registry needs no key.
    """
    check_option("validate_file", "table", table, TABLES)
    p = Path(path)
    rename = kwargs.pop("rename", None)
    pii = kwargs.pop("pii", None)
    df, rows, _ = read_raw(p, table=table, **kwargs)  # type: ignore[arg-type]
    if rename:
        df = df.rename(columns=dict(rename))  # type: ignore[call-overload]
    declared = check_declarations(pii, df.columns, "validate_file")  # type: ignore[arg-type]
    # nothing is written here: a declared column (hash or drop) is simply not checked
    df = df.drop(columns=list(declared))
    if table == "registry" and _has_pii(df):
        table = "registry_raw"
    return validate(df, table, rows=rows, source=p.name)


def write_table(data: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write an analysis table (Parquet, CSV or .xlsx by extension); never personal data.

    Raises
    ------
    DataFileError
        The table still holds a personal column, or ``path`` exists and ``overwrite`` is False.
    """
    p = Path(path)
    pii = pii_columns(data.columns)
    if pii:
        raise DataFileError(f"refusing to write {p.name}: the table still holds personal "
                            f"columns {pii}. Fix: load the registry with load_registry(), which "
                            f"pseudonymises it.")
    known = {c.name for spec in CONTRACTS.values() if not spec.raw for c in spec.columns}
    found = personal_columns(data, exempt={c for c in data.columns if c in known and
                                           not pd.api.types.is_object_dtype(data[c])
                                           and not pd.api.types.is_string_dtype(data[c])},
                             nik_only={c for c in data.columns if c in known})
    if found:
        c = found[0]
        more = f" (and {len(found) - 1} more column(s))" if len(found) > 1 else ""
        raise DataFileError(f"refusing to write {p.name}: column '{c.column}' {c.rule}{more}. "
                            f"Fix: {declare_fix(c.column)}.")
    if p.exists() and not overwrite:
        raise DataFileError(f"{p} exists. Fix: choose another path or pass overwrite=True "
                            f"(raw files should never be overwritten).")
    ext = p.suffix.lower()
    if ext not in (".parquet", ".pq", ".csv", ".xlsx"):
        raise ParameterError(f"The 'path' parameter of write_table must end in .parquet, .csv "
                             f"or .xlsx. Got {p.name!r} instead.")
    p.parent.mkdir(parents=True, exist_ok=True)  # e.g. data/ in a fresh project folder
    if ext in (".parquet", ".pq"):
        data.to_parquet(p, index=False)
    elif ext == ".csv":
        data.to_csv(p, index=False)
    else:
        data.to_excel(p, index=False)
    _log.info("wrote %s: %d rows", p.name, len(data))
    return p
