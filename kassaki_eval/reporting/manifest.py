"""``manifest.json``: what a report was made from, so anyone can re-make it.

Holds the SHA-256 of every input file and of every output, the validated parameters, the
package versions, the git commit, the seed, the tables (name, sheet, rows, SHA-256 of the
CSV) and the timings. Only ``created_utc`` and ``timings`` change between two runs on the same
inputs with the same parameters and code; :data:`VOLATILE_KEYS` lists them.

:func:`diff_manifests` compares two manifests (e.g. last year's report and this one) and
classifies every difference as a change of *specification* (parameters, methods), of *data*
(input files) or of *software* (versions, commit).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import config

__all__ = ["sha256_file", "package_versions", "git_commit", "build_manifest", "write_manifest",
           "load_manifest", "diff_manifests", "Change", "VOLATILE_KEYS", "run_id_for"]

VOLATILE_KEYS: tuple[str, ...] = ("created_utc", "timings")
PACKAGES: tuple[str, ...] = ("kassaki-eval", "numpy", "pandas", "scipy", "statsmodels",
                             "scikit-learn", "matplotlib", "openpyxl", "pyarrow", "pydantic",
                             "papermill", "nbformat", "nbclient", "ipykernel", "jupytext",
                             "rdrobust", "rddensity", "python-calamine", "fastexcel")
# Parameters whose change is not a change of specification (presentation only).
_PRESENTATION = {"languages", "previous", "partner"}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(chunk), b""):
            h.update(b)
    return h.hexdigest()


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of Python and of the named packages."""
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def git_commit(root: Path | None = None) -> dict[str, Any]:
    """The checkout's commit and whether tracked files differ from it (``None`` outside git)."""
    root = root or config.PROJECT_ROOT
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no", "--", "kassaki_eval", "notebooks"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return {"commit": sha, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def run_id_for(params_json: Mapping[str, Any], input_hashes: Mapping[str, str], view: str) -> str:
    """Deterministic run id: the view, then a hash of parameters and inputs.

    Same inputs and parameters give the same id, so a re-run lands in the same folder (and is
    refused unless ``--overwrite``); anything else gives a new folder.
    """
    keyed = {k: v for k, v in params_json.items() if k not in ("languages",)}
    blob = json.dumps({"params": keyed, "inputs": dict(sorted(input_hashes.items()))},
                      sort_keys=True, default=str).encode()
    return f"{view}-{hashlib.sha256(blob).hexdigest()[:10]}"


def build_manifest(*, run_id: str, params_json: Mapping[str, Any],
                   inputs: Mapping[str, Mapping[str, Any]], tables: list[dict[str, Any]],
                   outputs: Mapping[str, str], timings: Mapping[str, float],
                   notebooks: Mapping[str, str], extra: Mapping[str, Any] | None = None
                   ) -> dict[str, Any]:
    """Assemble the report manifest (inputs, tables, outputs, software, git, timings)."""
    return {
        "format": "kassaki-eval report manifest 1",
        "run_id": run_id,
        "year": params_json["year"],
        "seed": params_json["seed"],
        "params": dict(params_json),
        "inputs": {k: dict(v) for k, v in sorted(inputs.items())},
        "notebooks": dict(notebooks),
        "tables": tables,
        "outputs": dict(sorted(outputs.items())),
        "software": package_versions(),
        "git": git_commit(),
        "platform": {"system": platform.system(), "machine": platform.machine(),
                     "python": sys.version.split()[0]},
        **(dict(extra) if extra else {}),
        "created_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timings": {k: round(float(v), 3) for k, v in timings.items()},
    }


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> Path:
    """Write the manifest as indented JSON; return the path."""
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n")
    return path


def load_manifest(folder_or_file: Path) -> dict[str, Any]:
    """Read a manifest from a report folder or a ``manifest.json`` file."""
    p = Path(folder_or_file)
    p = p / "manifest.json" if p.is_dir() else p
    return json.loads(p.read_text())


@dataclass(frozen=True)
class Change:
    """One difference between two manifests."""

    kind: str      # "specification", "data" or "software"
    item: str
    before: str
    after: str


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, Mapping):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: d}


def diff_manifests(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Differences that matter for comparability, classified (volatile keys ignored).

    The report year itself is expected to differ and is not flagged.
    """
    changes: list[Change] = []
    pb, pa = _flat(before.get("params", {})), _flat(after.get("params", {}))
    for k in sorted(set(pb) | set(pa)):
        if k == "year" or k.split(".")[0] in _PRESENTATION:
            continue
        if pb.get(k) != pa.get(k):
            changes.append(Change("specification", k, str(pb.get(k, "-")), str(pa.get(k, "-"))))
    ib, ia = before.get("inputs", {}), after.get("inputs", {})
    for k in sorted(set(ib) | set(ia)):
        hb, ha = ib.get(k, {}).get("sha256"), ia.get(k, {}).get("sha256")
        if hb != ha:
            changes.append(Change("data", k, (hb or "-")[:12], (ha or "-")[:12]))
    sb, sa = before.get("software", {}), after.get("software", {})
    for k in sorted(set(sb) | set(sa)):
        if sb.get(k) != sa.get(k):
            changes.append(Change("software", k, str(sb.get(k, "-")), str(sa.get(k, "-"))))
    gb, ga = before.get("git", {}).get("commit"), after.get("git", {}).get("commit")
    if gb != ga:
        changes.append(Change("software", "git commit", str(gb)[:12], str(ga)[:12]))
    nb, na = before.get("notebooks", {}), after.get("notebooks", {})
    for k in sorted(set(nb) | set(na)):
        if nb.get(k) != na.get(k):
            changes.append(Change("specification", f"notebook {k}", str(nb.get(k, "-"))[:12],
                                  str(na.get(k, "-"))[:12]))
    return changes
