"""``kassaki-eval validate`` and ``kassaki-eval ingest``.

``validate PATH --table T`` prints ``OK: n rows`` or every problem and exits 2.
``ingest PATH --out OUT`` validates, pseudonymises a raw registry and writes the analysis table
(the raw file is only read).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..exceptions import ParameterError, SchemaError
from .contracts import TABLES

__all__ = ["register"]


def _rename(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for p in pairs:
        if "=" not in p:
            raise ParameterError(f"The '--rename' parameter of kassaki-eval must be OLD=NEW. "
                                 f"Got {p!r} instead.")
        old, new = p.split("=", 1)
        out[old] = new
    return out


def _pii(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for p in pairs:
        col, _, action = p.rpartition("=")
        if not col or action not in ("hash", "drop"):
            raise ParameterError(f"The '--pii' parameter of kassaki-eval must be COLUMN=hash or "
                                 f"COLUMN=drop. Got {p[:60]!r} instead.")
        out[col] = action
    return out


def _read_opts(args: argparse.Namespace) -> dict[str, object]:
    opts: dict[str, object] = {"sheet": args.sheet, "header_row": args.header_row,
                               "encoding": args.encoding, "rename": _rename(args.rename),
                               "pii": _pii(args.pii)}
    return {k: v for k, v in opts.items() if v is not None}


VALIDATE = ("Check a data file against its table's contract. Prints 'OK: n rows', or every "
            "problem at once and exits with status 2. The file is only read.")
INGEST = ("Validate a data file, replace its personal columns (a raw registry's NIK, family-card "
          "numbers and names) by keyed pseudonyms, and write the analysis table to --out. The "
          "raw file is only read; an existing --out is kept unless --force is given.")


def _validate(args: argparse.Namespace) -> int:
    from .loaders import validate_file
    if args.profile:  # source-shaped files through a mapping profile (docs/PROFILES.md)
        from .map_cli import validate_with_profile
        return validate_with_profile(args)
    try:
        df = validate_file(args.path, args.table, **_read_opts(args))
    except SchemaError as e:
        print(str(e))
        return 2
    print(f"OK: {len(df)} rows ({args.table}, {args.path})")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from .loaders import load_table, write_table
    if args.profile:  # source-shaped files through a mapping profile (docs/PROFILES.md)
        from .map_cli import ingest_with_profile
        return ingest_with_profile(args)
    if Path(args.out).resolve() == Path(args.path).resolve():
        raise ParameterError(f"The '--out' parameter of kassaki-eval ingest must differ from the "
                             f"input (the raw file is never modified). Got {args.out!r} instead.")
    try:
        df = load_table(args.path, args.table, demo=args.demo, **_read_opts(args))  # type: ignore[arg-type]
    except SchemaError as e:
        print(str(e))
        return 2
    out = write_table(df, args.out, overwrite=args.force)
    print(f"OK: {len(df)} rows ({args.table}) written to {out}")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="CSV, Parquet, .xlsx or .dta file (read-only)")
    p.add_argument("--table", default="survey", choices=TABLES,
                   help="contract to check (default: survey)")
    p.add_argument("--sheet", default=None, help="Excel sheet name")
    p.add_argument("--header-row", type=int, default=None, metavar="N",
                   help="1-based row holding the column names (CSV/Excel with title rows)")
    p.add_argument("--encoding", default=None, help="CSV encoding if not UTF-8, e.g. cp1252")
    p.add_argument("--rename", action="append", metavar="OLD=NEW",
                   help="rename a column after reading (repeatable)")
    p.add_argument("--profile", action="append", default=None, metavar="PROFILE[:FILE]",
                   help="mapping profile (shipped name or .toml) for a source-shaped file; "
                        "the table is the profile's (docs/PROFILES.md). Repeat as "
                        "PROFILE:FILE to add another source of the same table through its "
                        "own profile (e.g. one profile per partner workbook)")
    p.add_argument("--with", dest="also", action="append", default=[], metavar="FILE",
                   help="with --profile: another file of the same source (repeatable)")
    p.add_argument("--pii", action="append", metavar="COLUMN=hash|drop",
                   help="declare a column holding personal data (found by content or name): "
                        "hash it (keyed pseudonym) or drop it (repeatable)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` and ``ingest`` sub-commands."""
    v = subparsers.add_parser("validate", help="check a data file against its contract",
                              description=VALIDATE)
    _common(v)
    v.set_defaults(func=_validate)
    i = subparsers.add_parser("ingest", help="validate, pseudonymise and write a table",
                              description=INGEST)
    _common(i)
    i.add_argument("--out", required=True, help="output .parquet/.csv/.xlsx (never the input)")
    i.add_argument("--demo", action="store_true",
                   help="synthetic data: allow the public demo pseudonymisation key")
    i.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    i.set_defaults(func=_ingest)

