"""Inputs of a report run: make (demo) or find (files), validate, and hand over as tables.

Data flow (DIME): raw files (read-only) -> validated, pseudonymised analysis tables -> report.

- ``source.kind == "demo"``: the synthetic world is generated from its seed and scale and
  written as *raw* files (what a user would receive) into ``inputs_dir``; those files are
  then read back through the validated loaders, exactly as real files would be.
- ``source.kind == "files"``: the user's raw files are hashed and read through the loaders;
  they are never copied nor modified.

The analysis tables are written as Parquet into a private work folder that the runner
deletes before publishing (they hold pseudonymous ids, which no published output may).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..data import loaders
from ..data.checks import check_tables
from ..exceptions import ReportError
from ..synthetic import world as synth
from .manifest import sha256_file
from .params import ReportParams

__all__ = ["PreparedInputs", "prepare_inputs", "read_prepared", "TABLES"]

#: Analysis tables every report needs.
TABLES: tuple[str, ...] = ("registry", "survey", "participation", "rollout")


@dataclass
class PreparedInputs:
    """Validated analysis tables and what they were made from."""

    tables: dict[str, pd.DataFrame]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)   # name -> sha256, bytes, path
    checks: list[dict[str, Any]] = field(default_factory=list)       # per table: rows, status…
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)     # demo only
    loader: str = ""

    def input_hashes(self) -> dict[str, str]:
        """SHA-256 of every input file, by name."""
        return {k: v["sha256"] for k, v in self.files.items()}


def _hash_files(paths: dict[str, Path], root: Path | None) -> dict[str, dict[str, Any]]:
    out = {}
    for name, p in sorted(paths.items()):
        p = Path(p)
        shown = str(p.relative_to(root)) if root is not None and p.is_relative_to(root) else p.name
        out[name] = {"file": shown, "sha256": sha256_file(p), "bytes": p.stat().st_size}
    return out


def _load_with_loaders(paths: dict[str, list[Path]], demo: bool
                       ) -> tuple[dict[str, pd.DataFrame], str]:
    """Read every raw file through ``kassaki_eval.data.loaders`` (validate + pseudonymise).

    ``paths`` maps a table to its file(s); the files of one table (survey waves) are read
    together, so duplicated files, a wave in two files and households counted twice are
    errors (:func:`kassaki_eval.data.loaders.load_table`). The roll-out goes through its
    contract too (village codes, one cohort per village, years).
    """
    out: dict[str, pd.DataFrame] = {}
    for name in ("registry", "survey", "participation", "rollout"):
        if paths.get(name):
            ps = paths[name]
            out[name] = loaders.load_table(ps[0] if len(ps) == 1 else ps, name, demo=demo)
    return out, "kassaki_eval.data.loaders"


def prepare_inputs(params: ReportParams, inputs_dir: Path | None = None,
                   root: Path | None = None) -> PreparedInputs:
    """Produce the validated analysis tables for ``params``.

    Parameters
    ----------
    params : ReportParams
    inputs_dir : Path, optional
        Demo only: where the synthetic raw files are written (the run folder's ``inputs/``).
        ``None`` keeps everything in memory (interactive use in JupyterLab).
    root : Path, optional
        File paths in the manifest are shown relative to it.
    """
    src = params.source
    if src.kind == "demo":
        world = synth.generate_world(seed=src.seed, scale=src.scale)
        truth = {k: v.copy() for k, v in getattr(world, "truth", {}).items()}
        if inputs_dir is not None:
            inputs_dir.mkdir(parents=True, exist_ok=True)
            written = [Path(p) for p in world.write(inputs_dir, population=False)]
            paths = _demo_paths(written, inputs_dir)
            tables, loader = _load_with_loaders(paths, demo=True)
            files = _hash_files({str(p.relative_to(inputs_dir)): p for p in written}, root)
        else:
            tables, loader, files = {}, "", {}
        if not tables:
            # the world's own post-ingest tables: same contract, no file round trip
            tables = {name: getattr(world, name).copy() for name in TABLES}
            loader = loader or "kassaki_eval.synthetic.world (in memory)"
        check_tables(tables, params.year)
        return PreparedInputs(tables=_complete(tables), files=files, truth=truth, loader=loader,
                              checks=_checks(tables))
    paths = {"registry": [Path(src.registry)], "survey": [Path(p) for p in src.survey],
             "participation": [Path(src.participation)], "rollout": [Path(src.rollout)]}
    tables, loader = _load_with_loaders(paths, demo=False)
    check_tables(_complete(tables), params.year)
    files = _hash_files({p.name: p for ps in paths.values() for p in ps}, root)
    return PreparedInputs(tables=_complete(tables), files=files, loader=loader,
                          checks=_checks(tables))


def _demo_paths(written: list[Path], inputs_dir: Path) -> dict[str, list[Path]]:
    """Which raw file feeds which table, from the files ``World.write`` returned."""
    out: dict[str, list[Path]] = {"registry": [], "survey": [], "participation": [], "rollout": []}
    for p in written:
        rel = p.relative_to(inputs_dir).as_posix()
        if rel == "registry_raw.csv":
            out["registry"].append(p)
        elif rel.startswith("survey_"):
            out["survey"].append(p)
        elif rel == "participation.csv":
            out["participation"].append(p)
        elif rel.endswith("rollout.csv"):
            out["rollout"].append(p)
    out["survey"].sort()
    return out


def _complete(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    missing = [t for t in ("registry", "survey", "participation") if t not in tables]
    if missing:
        raise ReportError(f"report inputs lack table(s) {missing}; got {sorted(tables)}.")
    if "rollout" not in tables:
        raise ReportError("report inputs lack the 'rollout' table (village roll-out). Fix: pass "
                          "it as source.rollout, or derive it from participation.")
    return tables


def _checks(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    return [{"table": name, "rows": int(len(df)), "columns": int(df.shape[1])}
            for name, df in sorted(tables.items())]


def as_of(tables: dict[str, pd.DataFrame], year: int) -> dict[str, pd.DataFrame]:
    """The tables as they stood at the end of ``year``: what a report for ``year`` may use.

    Survey waves after ``year`` are dropped, participation records starting after it are
    dropped, and a roll-out after ``year`` counts as not (yet) treated (cohort 0), so that the
    2024 report computed today gives the numbers it gave in 2024.
    """
    out = dict(tables)
    s = tables["survey"]
    out["survey"] = s[s["year"] <= year].reset_index(drop=True)
    p = tables["participation"]
    out["participation"] = p[pd.to_datetime(p["start_date"]).dt.year <= year].reset_index(drop=True)
    r = tables["rollout"].copy()
    for c in ("first_year", "cohort"):
        if c in r.columns:
            r[c] = r[c].where(r[c] <= year, 0)
    out["rollout"] = r
    return out


def write_prepared(prep: PreparedInputs, data_dir: Path) -> None:
    """Write the analysis tables (Parquet) and the input description (JSON) for the kernels."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, df in prep.tables.items():
        df.to_parquet(data_dir / f"{name}.parquet", index=False)
    for name, df in prep.truth.items():
        df.to_parquet(data_dir / f"truth__{name}.parquet", index=False)
    (data_dir / "inputs.json").write_text(json.dumps(
        {"files": prep.files, "checks": prep.checks, "loader": prep.loader}, indent=1))


#: What :func:`read_prepared` read last in this process (a report kernel runs several
#: notebooks one after another): folder, the description's modification time, the tables.
_LAST_READ: dict[tuple[str, int], PreparedInputs] = {}


def read_prepared(data_dir: Path) -> PreparedInputs:
    """Read what :func:`write_prepared` wrote (inside a kernel).

    The Parquet files are read once per process: a kernel that runs a second notebook of
    the same run gets fresh copies of the tables read for the first (nothing a notebook
    changes in its tables reaches the next one).
    """
    data_dir = Path(data_dir)
    info = data_dir / "inputs.json"
    key = (str(data_dir.resolve()), info.stat().st_mtime_ns)
    hit = _LAST_READ.get(key)
    if hit is None:
        meta = json.loads(info.read_text())
        tables, truth = {}, {}
        for p in sorted(data_dir.glob("*.parquet")):
            if p.stem.startswith("truth__"):
                truth[p.stem[len("truth__"):]] = pd.read_parquet(p)
            else:
                tables[p.stem] = pd.read_parquet(p)
        hit = PreparedInputs(tables=tables, files=meta["files"], checks=meta["checks"],
                             truth=truth, loader=meta["loader"])
        _LAST_READ.clear()
        _LAST_READ[key] = hit
    return PreparedInputs(tables={k: v.copy() for k, v in hit.tables.items()},
                          files=copy.deepcopy(hit.files), checks=copy.deepcopy(hit.checks),
                          truth={k: v.copy() for k, v in hit.truth.items()},
                          loader=hit.loader)
