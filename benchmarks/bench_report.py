"""The annual report end to end: ``kassaki-eval report`` before and after, in ONE run.

"Before" is a commit of this repository (default ``2f953a3``, main before the second round of
issue 14's speed work; the first round started from ``0607dfa``), checked out into a temporary
``git worktree``; "after" is this working tree. Both
run the same command in a fresh process (``python -m kassaki_eval.cli report --year Y``,
demo world at ``--scale``), on the same interpreter and machine, alternating
before/after/before/... so that a change in the machine's load hits both sides alike.

Per run it records the wall time of the whole command, the CPU seconds of the command and
every process it waited for (kernels, and LibreOffice before Typst: ``RUSAGE_CHILDREN``), the
stage times
the report writes into its manifest (inputs, each notebook, publish; "start-up" is the
command's wall time not covered by the manifest's total: interpreter and imports), and the
1-minute load average before the run. It prints the medians and the after/before ratios.

It also checks that the two sides publish the same report: ``key_results.json``, every CSV,
the executed notebooks (the kernel's temporary file name in a warning's
location, ``/tmp/ipykernel_<pid>/``, differs from run to run and is ignored) and the HTML byte
for byte, the .docx by the XML inside, the PDF by
its text (``pdftotext``). A difference in key results or tables fails the benchmark.

Run: ``python -m benchmarks.bench_report [--scale 1.0] [--repeats 3] [--before 2f953a3]``
(about 1-3 minutes per run on 2 cores; run it with ``nice`` on a shared machine).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from benchmarks._harness import RESULTS_DIR

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("start-up", "inputs", "01_data_quality", "02_poverty", "03_targeting", "04_impact",
          "05_summary", "publish", "total (manifest)", "wall (command)", "CPU s (all processes)")


def _run(tree: Path, out: Path, year: int, scale: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(tree), MPLBACKEND="Agg")
    cmd = [sys.executable, "-c", "import sys; from kassaki_eval.cli import main; "
           "sys.exit(main(sys.argv[1:]))", "report", "--year", str(year), "--scale", str(scale),
           "--out", str(out), "--overwrite"]
    load = os.getloadavg()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=str(tree), env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"report failed in {tree}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    folder = max((p for p in (out / str(year)).iterdir() if (p / "manifest.json").is_file()),
                 key=lambda p: p.stat().st_mtime)
    timings = json.loads((folder / "manifest.json").read_text())["timings"]
    row = {k: float(v) for k, v in timings.items() if k != "total"}
    row["total (manifest)"] = float(timings["total"])
    row["wall (command)"] = wall
    row["start-up"] = wall - float(timings["total"])
    row["CPU s (all processes)"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    row["load1"] = load
    row["folder"] = str(folder)
    return row


def _docx_xml(p: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(p) as z:
        return {n: z.read(n) for n in sorted(z.namelist())}


def _pdf_text(p: Path) -> str | None:
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    return subprocess.run([exe, str(p), "-"], capture_output=True, text=True).stdout


_KERNEL_FILE = re.compile(rb"/tmp/ipykernel_\d+/")


def compare(a: Path, b: Path) -> dict[str, list[str]]:
    """Files of report ``a`` that differ in ``b`` (by kind of comparison); [] = same."""
    out: dict[str, list[str]] = {"bytes": [], "docx": [], "pdf": [], "missing": []}
    for f in sorted(a.rglob("*")):
        if not f.is_file() or f.name == "manifest.json" or f.is_relative_to(a / "inputs"):
            continue
        rel = f.relative_to(a)
        g = b / rel
        if not g.is_file():
            out["missing"].append(str(rel))
        elif f.suffix == ".docx":
            if _docx_xml(f) != _docx_xml(g):
                out["docx"].append(str(rel))
        elif f.suffix == ".pdf":
            if _pdf_text(f) != _pdf_text(g):
                out["pdf"].append(str(rel))
        elif f.suffix == ".ipynb":
            if _KERNEL_FILE.sub(b"", f.read_bytes()) != _KERNEL_FILE.sub(b"", g.read_bytes()):
                out["bytes"].append(str(rel))
        elif f.read_bytes() != g.read_bytes():
            out["bytes"].append(str(rel))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_report")
    ap.add_argument("--before", default="2f953a3", help="commit to compare against")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--repeats", type=int, default=3)
    args, _ = ap.parse_known_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench_report_"))
    before_tree = work / "before"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree),
                    args.before], check=True, capture_output=True)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True,
                                text=True).stdout.strip())
    sides = {"before": before_tree, "after": ROOT}
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    try:
        for i in range(args.repeats):
            for side, tree in sides.items():
                row = _run(tree, work / f"out-{side}", args.year, args.scale)
                runs[side].append(row)
                print(f"run {i + 1} {side:<6}: {row['wall (command)']:6.1f} s wall, "
                      f"{row['CPU s (all processes)']:6.1f} s CPU, load {row['load1']:.1f}",
                      flush=True)
        diff = compare(Path(runs["before"][-1]["folder"]), Path(runs["after"][-1]["folder"]))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                        str(before_tree)], capture_output=True)
    # CPU rows the report writes into its manifest since 2026-12-03 (kernel CPU per notebook,
    # the parent's CPU in inputs and publish): shown for the sides that have them
    extra = sorted({k for rs in runs.values() for r in rs for k in r if "CPU)" in k})
    med = {side: {s: (statistics.median(r[s] for r in rs) if all(s in r for r in rs)
                      else float("nan")) for s in (*STAGES, *extra)}
           for side, rs in runs.items()}
    loads = [r["load1"] for rs in runs.values() for r in rs]
    print(f"\n## kassaki-eval report --year {args.year} --scale {args.scale}: before "
          f"{args.before} vs after {commit}{' (+ uncommitted changes)' if dirty else ''}; "
          f"medians of {args.repeats} runs each, {os.cpu_count()} CPUs, 1-min load average "
          f"{min(loads):.1f}-{max(loads):.1f} (median {statistics.median(loads):.1f})")
    print(f"{'stage':<32}{'before s':>10}{'after s':>10}{'after/before':>14}")
    for s in (*STAGES, *extra):
        b, a = med["before"][s], med["after"][s]
        print(f"{s:<32}{b:>10.1f}{a:>10.1f}{a / b if b else float('nan'):>14.2f}")
    print("notebook rows: kernel time of each (two run at once), so they do not add up to "
          "the wall time")
    same = not any(diff.values())
    print("same report published (key_results.json, CSVs, notebooks, HTML, xlsx byte for "
          "byte; docx XML; PDF text): " + ("yes" if same else f"NO: {diff}"))
    if diff["pdf"] or diff["docx"]:
        print("(PDF text and docx XML differ by design when one side converted the docx with "
              "LibreOffice and the other typesets the PDF with Typst, and when the figures' PNG "
              "in the docx is rasterised differently; key results and tables must not differ)")
    RESULTS_DIR.mkdir(exist_ok=True)
    with open(RESULTS_DIR / "results.jsonl", "a") as f:
        f.write(json.dumps({"title": "report end to end, before vs after", "before": args.before,
                            "after": commit, "dirty": dirty, "scale": args.scale,
                            "medians": med, "runs": runs, "diff": diff,
                            "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
                            "cpus": os.cpu_count()}, default=str) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    key_or_tables = [x for x in diff["bytes"] + diff["missing"]
                     if x == "key_results.json" or x.startswith("tables/")]
    return 1 if key_or_tables else 0


if __name__ == "__main__":
    sys.exit(main())
