r"""``kassaki-eval report``: the annual evaluation report (HTML, xlsx, CSV, manifest).

Examples::

    kassaki-eval report --year 2025                      # demo world, both languages
    kassaki-eval report --year 2025 --partner bank_sulselbar --lang id
    kassaki-eval report --year 2025 --previous reports/2024/full-1a2b3c4d5e
    kassaki-eval report --year 2025 --registry p3ke.xlsx --survey susenas_2024.dta \
        --survey susenas_2025.dta --participation records.csv --rollout rollout.csv
    kassaki-eval report --year 2025 --param alpha=0.1 --param k_suppress=20

Every value is validated against the parameter schema before any notebook runs.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError
from .params import PARTNERS, ReportParams


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def params_from_args(args: argparse.Namespace, mapped_dir: Path | None = None
                     ) -> dict[str, Any]:
    """Raw parameter values from the command line (validated later, all at once).

    With ``--profile`` the source files are mapped first into ``mapped_dir`` (``report``
    passes a temporary folder that it removes after the run, whatever happens).
    """
    raw: dict[str, Any] = {}
    if args.params:
        raw.update(json.loads(Path(args.params).read_text()))
    raw["year"] = args.year
    files = {k: getattr(args, k) for k in ("registry", "survey", "participation", "rollout")
             if getattr(args, k)}
    mapped: list[dict[str, str]] = []
    if getattr(args, "profile", None):  # source-shaped files: mapped first (docs/PROFILES.md)
        from ..data.map_cli import map_report_inputs
        files, mapped = map_report_inputs(files, args.profile, out_dir=mapped_dir)
    for k, v in files.items():
        for one in (v if isinstance(v, list) else [v]):
            if Path(one).is_dir():
                raise ParameterError(f"The '{k}' parameter of kassaki-eval report must be a "
                                     f"data file. Got the folder {Path(one).name!r} instead "
                                     f"(pass each file inside it: one --survey per wave).")
    if files:
        src: dict[str, Any] = {k: str(Path(v).resolve()) for k, v in files.items()
                               if k != "survey"}
        if "survey" in files:  # --survey may repeat (one file per wave)
            src["survey"] = [str(Path(v).resolve()) for v in files["survey"]]
        raw["source"] = {"kind": "files", **src}
        if mapped:
            raw["source"]["profiles"] = mapped
        if args.scale is not None:
            raise ParameterError("The 'scale' parameter of kassaki-eval report must be left out "
                                 "when data files are given (it scales the demo world). "
                                 f"Got {args.scale!r} instead.")
    else:
        src = dict(raw.get("source") or {"kind": "demo"})
        if args.seed is not None:
            src["seed"] = args.seed
        if args.scale is not None:
            src["scale"] = args.scale
        raw["source"] = src
    if args.seed is not None:
        raw["seed"] = args.seed
    if args.lang:
        raw["languages"] = [x.strip() for x in args.lang.split(",") if x.strip()]
    if args.partner:
        raw["partner"] = args.partner
    if args.previous:
        raw["previous"] = str(Path(args.previous).resolve())
    for kv in args.param or []:
        if "=" not in kv:
            raise ParameterError(f"The 'param' parameter of kassaki-eval report must be "
                                 f"KEY=VALUE. Got {kv!r} instead.")
        k, v = kv.split("=", 1)
        raw[k.strip()] = _value(v)
    return raw


def _run(args: argparse.Namespace) -> int:
    # nbformat (papermill, jupytext) imports jsonschema, which compiles a grammar for IRI
    # strings with lark on import if rfc3987-syntax is installed (~1.5 s of CPU). Nothing in
    # a report run checks IRIs; without the module jsonschema skips that one format check.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from .params import validate_params
    from .runner import run_report

    with contextlib.ExitStack() as stack:
        mapped_dir = None
        if getattr(args, "profile", None):
            # mapped tables live only for this run: removed on success and on failure
            mapped_dir = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="kassaki-mapped-")))
        params = validate_params(params_from_args(args, mapped_dir))  # before any kernel
        paths = run_report(params, out_root=Path(args.out) if args.out else None,
                           overwrite=args.overwrite, jobs=args.jobs)
    print(summary_text(paths))
    return 0


def summary_text(paths: Any) -> str:
    """The end-of-run summary: where the report is, what was written, warnings, time."""
    kinds = [("HTML", paths.html), ("docx", paths.docx), ("PDF", paths.pdf),
             ("xlsx", paths.xlsx)]
    written = [k for k, v in kinds if v]
    missing = [k for k, v in kinds if not v]
    lines = [f"report {paths.run_id} finished in {paths.seconds:.1f} s",
             f"folder:    {paths.folder}",
             f"formats:   {', '.join(written)}, CSV tables, key_results.json, manifest.json"
             + (f" (not written: {', '.join(missing)})" if missing else "")]
    for kind, found in kinds:
        for lang, p in found.items():
            lines.append(f"{kind} ({lang}):{' ' * (9 - len(kind) - len(lang))}{p}")
    lines.append(f"manifest:  {paths.manifest}")
    t = paths.timings
    if t:
        nbs = sum(v for k, v in t.items() if k[:2].isdigit())
        lines.append(f"time:      inputs {t.get('inputs', 0):.1f} s, notebooks {nbs:.1f} s "
                     f"(kernel time, two at once), publish {t.get('publish', 0):.1f} s")
    w = paths.warnings
    lines.append(f"warnings:  {len(w)}" + (":" if w else ""))
    lines += [f"  - {x[:160]}" for x in w[:10]]
    if len(w) > 10:
        lines.append(f"  … and {len(w) - 10} more (see the executed notebooks)")
    return "\n".join(lines)


def _clean(args: argparse.Namespace) -> int:
    from .runner import clean_stale
    removed = clean_stale(Path(args.out) if args.out else None)
    for r in removed:
        print(f"removed {r.name}")
    print(f"{len(removed)} leftover folder(s) of killed report runs removed")
    return 0


#: ``report --help`` (the module docstring is for developers: its RST markup showed in the help)
DESCRIPTION = """\
The annual evaluation report (HTML, Word, PDF, xlsx, CSV and a manifest).

Examples:

    kassaki-eval report --year 2025                      # demo world, both languages
    kassaki-eval report --year 2025 --partner bank_sulselbar --lang id
    kassaki-eval report --year 2025 --previous reports/2024/full-1a2b3c4d5e
    kassaki-eval report --year 2025 --registry p3ke.xlsx --survey susenas_2024.dta \\
        --survey susenas_2025.dta --participation records.csv --rollout rollout.csv
    kassaki-eval report --year 2025 --param alpha=0.1 --param k_suppress=20

Every value is validated against the parameter schema before any notebook runs.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` and ``clean`` sub-commands."""
    c = subparsers.add_parser("clean", help="remove what a killed report run left behind",
                              description="Remove the private work folders (microdata) of report "
                                          "runs whose process is gone (e.g. after kill -9) and "
                                          "their unfinished .tmp-* folders under reports/.")
    c.add_argument("--out", default=None, help="reports root (default reports/)")
    c.set_defaults(func=_clean)
    p = subparsers.add_parser("report", help="make the annual evaluation report",
                              description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--year", required=True, help="report year (survey wave), e.g. 2025")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the demo world and of every random step (default 2024)")
    p.add_argument("--scale", default=None,
                   help="demo world size as a share of Pangkep (default 1.0)")
    p.add_argument("--partner", choices=PARTNERS, default=None,
                   help="partner view: the sections and components this partner owns")
    p.add_argument("--lang", default=None, help="languages, comma-separated (default id,en)")
    p.add_argument("--previous", default=None, help="last year's report folder, for comparison")
    p.add_argument("--out", default=None,
                   help="reports root (default reports/); the report goes to OUT/<year>/<run-id>/")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing report of the same year and view")
    for name in ("registry", "participation", "rollout"):
        p.add_argument(f"--{name}", default=None, help=f"raw {name} file (real data)")
    p.add_argument("--survey", action="append", default=None,
                   help="survey file (real data): stacked waves, or repeat once per wave")
    p.add_argument("--profile", action="append", default=None, metavar="TABLE=PROFILE",
                   help="map that table's files with a mapping profile first, e.g. "
                        "registry=p3ke or survey=susenas; TABLE=PROFILE:FILE maps one file, "
                        "repeat it to feed a table from several sources (one profile per "
                        "partner workbook) (docs/PROFILES.md)")
    p.add_argument("--jobs", type=int, default=None,
                   help="notebooks run at once (default 2; 1 on a single core)")
    p.add_argument("--params", default=None, help="JSON file of parameters")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help=f"any parameter of the schema ({', '.join(ReportParams.model_fields)}); "
                        f"VALUE is JSON or text")
    p.set_defaults(func=_run)
