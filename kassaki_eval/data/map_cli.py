r"""``kassaki-eval map``: draft, check and apply mapping profiles (docs/PROFILES.md).

Examples::

    kassaki-eval map --list
    kassaki-eval map --suggest p3ke_pangkep.xlsx --out my_p3ke.toml
    kassaki-eval map --check p3ke p3ke_pangkep.xlsx
    kassaki-eval map --check susenas susenas/*_2024.csv
    kassaki-eval map --apply p3ke p3ke_pangkep.xlsx --out registry.parquet --demo
    kassaki-eval map --apply partner_bpvp bpvp.xlsx --apply partner_ykpm ykpm.xlsx \
        --out participation.csv --demo

``--check`` prints what the mapping produces and every problem (profile, mapping and
contract) at once; ``--apply`` validates and pseudonymises exactly like ``ingest`` and writes
the contract table (several ``--apply`` of one contract are stacked, e.g. partner workbooks).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import cast

import pandas as pd

from ..exceptions import ParameterError, SchemaError

__all__ = ["register", "validate_with_profile", "ingest_with_profile", "map_report_inputs"]


def _list() -> int:
    from .profiles import load_profile, shipped_profiles
    for name in shipped_profiles():
        p = load_profile(name)
        print(f"{name:26s} {p.table:14s} {p.description}")
    return 0


def _suggest(args: argparse.Namespace) -> int:
    from .suggest import suggest_profile
    s = suggest_profile(args.suggest, args.table, sheet=args.sheet)
    mapped = sum(1 for c in s.columns if c.target)
    if args.out:
        out = Path(args.out)
        if out.exists() and not args.force:
            raise ParameterError(f"The '--out' parameter of kassaki-eval map must not name an "
                                 f"existing file (or pass --force). Got {args.out!r} instead.")
        out.write_text(s.text, encoding="utf-8")
        print(f"draft profile written to {out}")
    else:
        print(s.text)
    print(f"# {Path(args.suggest).name}: table {s.table!r}, {mapped} of {len(s.columns)} source "
          f"columns mapped; personal columns: "
          f"{', '.join(c.header for c in s.columns if c.personal) or 'none found'}. "
          f"Review the draft, then run: kassaki-eval map --check <draft.toml> "
          f"{Path(args.suggest).name}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from .contracts import PII_COLUMNS, problems
    from .profiles import load_profile, map_files
    prof_spec, *files = args.check
    if not files:
        raise ParameterError("The '--check' parameter of kassaki-eval map must be PROFILE "
                             "FILE [FILE ...]. Got no data file instead.")
    try:
        prof = load_profile(prof_spec)
        m = map_files(files, prof, demo=True)  # the demo key only makes ids to look at
    except SchemaError as e:
        print(str(e))
        return 2
    print(f"profile {prof.label} (sha256 {prof.sha256[:12]}…) -> {prof.table}: {len(m.data)} rows "
          f"from {len(m.files)} file(s): {', '.join(f['file'] for f in m.files)}")
    by_target = {r.target: r for r in prof.columns}
    for c in m.data.columns:
        r = by_target.get(c)
        src = ("+".join(r.source) if r and r.source else
               (f"target {r.from_target}" if r and r.from_target else
                ("file year" if r and r.file else "constant")))
        s = m.data[c]
        personal = c in PII_COLUMNS or (r is not None and (r.pseudonymise or any(
            x.split(":")[-1] in prof.personal for x in r.source)))
        ex = "(personal: not shown)" if personal else ", ".join(
            map(str, pd.unique(s.dropna().astype(str))[:3]))
        print(f"  {c:18s} <- {src:32s} {int(s.notna().sum()):>7d} values  {ex}")
    table = "registry_raw" if prof.table == "registry" and "no_kk" in m.data.columns else prof.table
    found = problems(m.data, table, rows=m.rows, source=f"{prof.label} mapping")
    if found:
        print(f"{table}: {len(found)} problem{'s' if len(found) != 1 else ''} found")
        for p in found:
            print(f"  - {p.message()}")
        return 2
    print(f"OK: the mapped table passes the {table} contract")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from .contracts import validate
    from .loaders import write_table
    from .profiles import load_with_profile
    if not args.out:
        raise ParameterError("The '--out' parameter of kassaki-eval map --apply is required "
                             "(a .parquet, .csv or .xlsx path). Got nothing instead.")
    parts, tables, names = [], set(), []
    for spec in args.apply:
        if len(spec) < 2:
            raise ParameterError("The '--apply' parameter of kassaki-eval map must be PROFILE "
                                 f"FILE [FILE ...]. Got {spec!r} instead.")
        prof, *files = spec
        if any(Path(f).resolve() == Path(args.out).resolve() for f in files):
            raise ParameterError(
                f"The '--out' parameter of kassaki-eval map must differ from the "
                f"inputs (raw files are never modified). Got {args.out!r} instead."
            )
        try:
            df = load_with_profile(files, prof, demo=args.demo)
        except SchemaError as e:
            print(str(e))
            return 2
        parts.append(df)
        tables.add(df.attrs["kassaki_source"]["table"])
        names.append(f"{prof} ({len(df)} rows)")
    if len(tables) != 1:
        raise ParameterError(f"The '--apply' parameter of kassaki-eval map must give profiles of "
                             f"one contract to stack. Got {sorted(tables)} instead.")
    table = tables.pop()
    out = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        try:
            out = validate(out, table, source=f"{len(parts)} mapped sources")
        except SchemaError as e:
            print(str(e))
            return 2
    path = write_table(out, args.out, overwrite=args.force)
    print(f"OK: {len(out)} rows ({table}) from {', '.join(names)} written to {path}")
    return 0


def _profile_inputs(args: argparse.Namespace) -> list[str]:
    other = [k for k in ("sheet", "header_row", "encoding", "rename", "pii")
             if getattr(args, k, None)]
    if other:
        raise ParameterError(f"The '--profile' parameter of kassaki-eval must be used without "
                             f"--{other[0].replace('_', '-')} (the profile says how to read "
                             f"the file). Got both instead.")
    return [args.path, *args.also]


def validate_with_profile(args: argparse.Namespace) -> int:
    """``kassaki-eval validate FILE --profile P [--with FILE ...]``: map, then validate.

    A raw registry is validated raw, without a key.
    """
    from .profiles import load_with_profile
    files = _profile_inputs(args)
    try:
        df = load_with_profile(files, args.profile, demo=True, pseudonymise=False)
    except SchemaError as e:
        print(str(e))
        return 2
    src = df.attrs["kassaki_source"]
    print(f"OK: {len(df)} rows ({src['table']} through profile {src['profile']}, "
          f"sha256 {src['profile_sha256'][:12]}…; {', '.join(Path(f).name for f in files)})")
    return 0


def ingest_with_profile(args: argparse.Namespace) -> int:
    """``kassaki-eval ingest FILE --profile P [--with FILE ...] --out OUT``."""
    from .loaders import write_table
    from .profiles import load_with_profile
    files = _profile_inputs(args)
    if any(Path(args.out).resolve() == Path(f).resolve() for f in files):
        raise ParameterError(f"The '--out' parameter of kassaki-eval ingest must differ from the "
                             f"input (the raw file is never modified). Got {args.out!r} instead.")
    try:
        df = load_with_profile(files, args.profile, demo=args.demo)
    except SchemaError as e:
        print(str(e))
        return 2
    out = write_table(df, args.out, overwrite=args.force)
    src = df.attrs["kassaki_source"]
    print(f"OK: {len(df)} rows ({src['table']} through profile {src['profile']}, sha256 "
          f"{src['profile_sha256'][:12]}…) written to {out}")
    return 0


def map_report_inputs(files: dict[str, object], profiles: list[str], *,
                      out_dir: Path | None = None) -> dict[str, object]:
    """``report --profile TABLE=PROFILE``: map that table's files first.

    The files are mapped into a contract-layout Parquet file (named with the profile and its hash,
    which the manifest's file list then carries) and return the file arguments with the mapped file
    in place of the sources.
    """
    import tempfile

    from .profiles import load_with_profile
    out = dict(files)
    where = Path(out_dir or tempfile.mkdtemp(prefix="kassaki-mapped-"))
    for spec in profiles:
        table, sep, prof = spec.partition("=")
        if not sep or table not in ("registry", "survey", "participation", "rollout"):
            raise ParameterError(f"The '--profile' parameter of kassaki-eval report must be "
                                 f"TABLE=PROFILE with TABLE one of registry, survey, "
                                 f"participation, rollout. Got {spec!r} instead.")
        src = files.get(table)
        if not src:
            raise ParameterError(f"The '--profile' parameter of kassaki-eval report maps the "
                                 f"files of --{table}. Got {spec!r} but no --{table} file "
                                 f"instead.")
        paths = cast("list[str | Path]", list(src) if isinstance(src, (list, tuple)) else [src])
        df = load_with_profile(paths, prof)  # real data: the key comes from the environment
        meta = df.attrs["kassaki_source"]
        if meta["table"] != table:
            raise ParameterError(f"The '--profile' parameter of kassaki-eval report must map "
                                 f"--{table} with a {table} profile. Got {prof!r} (a "
                                 f"{meta['table']} profile) instead.")
        dest = where / f"{table}.{meta['profile']}-{meta['profile_sha256'][:12]}.parquet"
        df.to_parquet(dest, index=False)
        out[table] = [str(dest)] if table == "survey" else str(dest)
    return out


def _run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    if args.suggest:
        return _suggest(args)
    if args.check:
        return _check(args)
    return _apply(args)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``map --list | --suggest FILE | --check PROFILE FILE... | --apply PROFILE FILE...``."""
    p = subparsers.add_parser("map", help="draft, check and apply mapping profiles for "
                              "source files (P3KE, DTSEN, Susenas, partner workbooks)",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--list", action="store_true", help="list the shipped profiles")
    g.add_argument("--suggest", metavar="FILE", help="draft a profile from a file's headers "
                   "and values (for a person to review)")
    g.add_argument("--check", nargs="+", metavar="PROFILE_OR_FILE",
                   help="PROFILE FILE [FILE ...]: show what the mapping produces and every "
                        "problem at once")
    g.add_argument("--apply", nargs="+", action="append", metavar="PROFILE_OR_FILE",
                   help="PROFILE FILE [FILE ...] (repeatable): map, validate, pseudonymise and "
                        "write the contract table to --out")
    p.add_argument("--table", default=None, choices=("registry", "survey", "participation"),
                   help="--suggest: target contract (default: guessed)")
    p.add_argument("--sheet", default=None, help="--suggest: Excel sheet (default: the largest)")
    p.add_argument("--out", default=None, help="--suggest: draft .toml; --apply: output table")
    p.add_argument("--demo", action="store_true",
                   help="synthetic data: allow the public demo pseudonymisation key")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=_run)
