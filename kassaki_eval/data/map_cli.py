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
    from .loaders import write_table
    from .profiles import load_with_profiles
    if not args.out:
        raise ParameterError("The '--out' parameter of kassaki-eval map --apply is required "
                             "(a .parquet, .csv or .xlsx path). Got nothing instead.")
    inputs: list[tuple[list[str], str]] = []
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
        inputs.append((files, prof))
    try:  # several --apply of one contract: stacked and validated once
        out = load_with_profiles(inputs, demo=args.demo)
    except SchemaError as e:
        print(str(e))
        return 2
    src = out.attrs["kassaki_source"]
    table = src["table"]
    names = [f"{p['profile']} "
             f"({sum(f['rows'] for f in src['files'] if f['profile'] == p['profile'])} rows "
             f"read)" for p in src["profiles"]]
    path = write_table(out, args.out, overwrite=args.force)
    print(f"OK: {len(out)} rows ({table}) from {', '.join(names)} written to {path}")
    return 0


def _profile_inputs(args: argparse.Namespace) -> list[tuple[list[str], str]]:
    """(files, profile) pairs of ``validate``/``ingest``.

    ``FILE --profile P [--with FILE ...]`` maps FILE (and the --with files) with P; each
    further ``--profile P2:FILE2`` maps FILE2 with its own profile P2 into the same table.
    """
    owner = f"kassaki-eval {getattr(args, 'command', None) or 'ingest'}"
    other = [k for k in ("sheet", "header_row", "encoding", "rename", "pii")
             if getattr(args, k, None)]
    if other:
        raise ParameterError(f"The '--profile' parameter of kassaki-eval must be used without "
                             f"--{other[0].replace('_', '-')} (the profile says how to read "
                             f"the file). Got both instead.")
    specs = [args.profile] if isinstance(args.profile, str) else list(args.profile)
    form = "PROFILE (for FILE and the --with files) or PROFILE:FILE (another source)"
    plain: list[str] = []
    inputs: list[tuple[list[str], str]] = []
    for spec in specs:
        prof, file = _split_pair(spec, owner, form)
        if file is None:
            plain.append(prof)
        else:
            inputs.append(([file], prof))
    if len(plain) != 1:
        raise ParameterError(f"The '--profile' parameter of {owner} must name exactly one "
                             f"profile for {Path(args.path).name} (the other sources as "
                             f"PROFILE:FILE). Got {len(plain)} instead.")
    return [([args.path, *args.also], plain[0]), *inputs]


def _profile_text(src: dict[str, object]) -> str:
    profs = cast("list[dict[str, str]]", src["profiles"])
    return ", ".join(f"{p['profile']}, sha256 {p['profile_sha256'][:12]}…" for p in profs)


def validate_with_profile(args: argparse.Namespace) -> int:
    """``kassaki-eval validate FILE --profile P [--with FILE ...] [--profile P2:FILE2 ...]``.

    Map, then validate (several sources of one table stacked and validated once). A raw
    registry is validated raw, without a key.
    """
    from .profiles import load_with_profiles
    inputs = _profile_inputs(args)
    try:
        df = load_with_profiles(inputs, demo=True, pseudonymise=False)
    except SchemaError as e:
        print(str(e))
        return 2
    src = df.attrs["kassaki_source"]
    names = [Path(f).name for fs, _ in inputs for f in fs]
    print(f"OK: {len(df)} rows ({src['table']} through profile {_profile_text(src)}; "
          f"{', '.join(names)})")
    return 0


def ingest_with_profile(args: argparse.Namespace) -> int:
    """``kassaki-eval ingest FILE --profile P [--with FILE ...] --out OUT``.

    Further ``--profile P2:FILE2`` add sources of the same table, each through its profile.
    """
    from .loaders import write_table
    from .profiles import load_with_profiles
    inputs = _profile_inputs(args)
    if any(Path(args.out).resolve() == Path(f).resolve() for fs, _ in inputs for f in fs):
        raise ParameterError(f"The '--out' parameter of kassaki-eval ingest must differ from the "
                             f"input (the raw file is never modified). Got {args.out!r} instead.")
    try:
        df = load_with_profiles(inputs, demo=args.demo)
    except SchemaError as e:
        print(str(e))
        return 2
    out = write_table(df, args.out, overwrite=args.force)
    src = df.attrs["kassaki_source"]
    print(f"OK: {len(df)} rows ({src['table']} through profile {_profile_text(src)}) written "
          f"to {out}")
    return 0


def _split_pair(spec: str, owner: str, form: str) -> tuple[str, str | None]:
    """``PROFILE:FILE`` -> (profile, file); ``PROFILE`` -> (profile, None)."""
    prof, sep, file = spec.partition(":")
    if sep and (not prof or not file):
        raise ParameterError(f"The '--profile' parameter of {owner} must be {form}. Got "
                             f"{spec!r} instead.")
    return prof, (file if sep else None)


def map_report_inputs(files: dict[str, object], profiles: list[str], *,
                      out_dir: Path | None = None
                      ) -> tuple[dict[str, object], list[dict[str, str]]]:
    """``report --profile``: map the source files of some tables before the run.

    Each spec is ``TABLE=PROFILE`` (the files given with ``--TABLE``) or
    ``TABLE=PROFILE:FILE`` (that file through that profile; repeat it to feed one table from
    several sources, e.g. one partner workbook per profile). The sources of one table are
    mapped, stacked and validated once (:func:`~kassaki_eval.data.profiles.load_with_profiles`)
    and written as one contract-layout Parquet file into ``out_dir`` (a private temporary
    folder the caller removes after the run; only pseudonymised, validated contract tables
    are written there, through :func:`~kassaki_eval.data.loaders.write_table`, which refuses
    personal columns).

    Returns
    -------
    (files, mapped)
        The file arguments with each mapped table's Parquet file in place of its sources, and
        one record per source file: table, file name, profile name, profile SHA-256 (for the
        manifest).
    """
    import hashlib
    import tempfile

    from .loaders import write_table
    from .profiles import load_with_profiles
    owner = "kassaki-eval report"
    form = ("TABLE=PROFILE or TABLE=PROFILE:FILE with TABLE one of registry, survey, "
            "participation, rollout")
    out = dict(files)
    plan: dict[str, list[tuple[list[str | Path], str]]] = {}
    for spec in profiles:
        table, sep, rest = spec.partition("=")
        if not sep or not rest or table not in ("registry", "survey", "participation",
                                                "rollout"):
            raise ParameterError(f"The '--profile' parameter of {owner} must be {form}. Got "
                                 f"{spec!r} instead.")
        prof, file = _split_pair(rest, owner, form)
        if file is not None:
            plan.setdefault(table, []).append(([file], prof))
            continue
        src = files.get(table)
        if not src:
            raise ParameterError(f"The '--profile' parameter of {owner} maps the files of "
                                 f"--{table} (or names its file: {table}=PROFILE:FILE). Got "
                                 f"{spec!r} but no --{table} file instead.")
        paths = cast("list[str | Path]", list(src) if isinstance(src, (list, tuple)) else [src])
        plan.setdefault(table, []).append((paths, prof))
    where = Path(out_dir) if out_dir is not None else Path(
        tempfile.mkdtemp(prefix="kassaki-mapped-"))
    mapped: list[dict[str, str]] = []
    for table, inputs in plan.items():
        df = load_with_profiles(inputs)  # real data: the key comes from the environment
        meta = df.attrs["kassaki_source"]
        if meta["table"] != table:
            raise ParameterError(f"The '--profile' parameter of {owner} must map --{table} with "
                                 f"a {table} profile. Got {[p for _, p in inputs]} (a "
                                 f"{meta['table']} profile) instead.")
        profs = meta["profiles"]
        if len(profs) == 1:
            tag = f"{profs[0]['profile']}-{profs[0]['profile_sha256'][:12]}"
        else:
            both = "".join(p["profile_sha256"] for p in profs).encode()
            tag = f"{len(profs)}-profiles-{hashlib.sha256(both).hexdigest()[:12]}"
        dest = write_table(df, where / f"{table}.{tag}.parquet", overwrite=True)
        out[table] = [str(dest)] if table == "survey" else str(dest)
        mapped += [{"table": table, "file": f["file"], "profile": f["profile"],
                    "profile_sha256": f["profile_sha256"]} for f in meta["files"]]
    return out, mapped


def _run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    if args.suggest:
        return _suggest(args)
    if args.check:
        return _check(args)
    return _apply(args)


#: ``map --help`` (the module docstring is for developers: its RST markup showed in the help)
DESCRIPTION = """\
Draft, check and apply mapping profiles (docs/PROFILES.md).

Examples:

    kassaki-eval map --list
    kassaki-eval map --suggest p3ke_pangkep.xlsx --out my_p3ke.toml
    kassaki-eval map --check p3ke p3ke_pangkep.xlsx
    kassaki-eval map --check susenas susenas/*_2024.csv
    kassaki-eval map --apply p3ke p3ke_pangkep.xlsx --out registry.parquet --demo
    kassaki-eval map --apply partner_bpvp bpvp.xlsx --apply partner_ykpm ykpm.xlsx \\
        --out participation.csv --demo

--check prints what the mapping produces and every problem (profile, mapping and
contract) at once; --apply validates and pseudonymises exactly like ingest and writes
the contract table (several --apply of one contract are stacked, e.g. partner
workbooks).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``map --list | --suggest FILE | --check PROFILE FILE... | --apply PROFILE FILE...``."""
    p = subparsers.add_parser("map", help="draft, check and apply mapping profiles for "
                              "source files (P3KE, DTSEN, Susenas, partner workbooks)",
                              description=DESCRIPTION,
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
