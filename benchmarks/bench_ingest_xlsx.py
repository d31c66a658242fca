"""Registry .xlsx ingest: in memory (``load_registry``) vs streaming (``ingest_registry``).

Offices send the registry as an Excel workbook as often as as a CSV. A sheet holds at most
1,048,576 rows, so the sizes here stop at 1M (10M rows only exist as CSV; see
``bench_scale``). For each size a workbook (one sheet, header in row 1, the synthetic
pseudonymised registry tiled to n rows as in ``bench_scale.make_data``) is written once with
openpyxl's write-only mode, then each case runs in its own child process so its peak RSS
(VmHWM) is its own:

- ``memory``: :func:`kassaki_eval.data.load_registry` (whole workbook -> one validated frame;
  calamine via fastexcel when the sheet is uniform, see data/loaders.py);
- ``stream``: :func:`kassaki_eval.targeting.scale.ingest_registry` (200k-row chunks, each
  validated and written as a Parquet part).

Agreement: the streamed parts, read back and sorted by ``family_id``, must equal the in-memory
frame (``assert_frame_equal`` on values and dtypes); the count of differing cells is printed.
Times: wall, user and system CPU seconds; exponents log(t2/t1)/log(n2/n1) between sizes.

Run: ``python -m benchmarks.bench_ingest_xlsx --sizes 200000 1000000`` (writing the 1M-row
workbook takes a few minutes; ~1 GB free disk).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import RESULTS_DIR
from benchmarks.bench_scale import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]


def make_workbook(size: int, path: Path) -> None:
    from openpyxl import Workbook

    from kassaki_eval.synthetic.world import generate_world

    base = generate_world(seed=2024).registry
    rng = np.random.default_rng(1)
    reps = int(np.ceil(size / len(base)))
    reg = pd.concat([base] * reps, ignore_index=True).iloc[:size].copy()
    reg["floor_area_pc"] = np.round(reg["floor_area_pc"].to_numpy() * rng.lognormal(0.0, 0.05, size), 1)
    reg["family_id"] = [f"F{i:016d}" for i in rng.permutation(size)]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("registry")
    ws.append(list(reg.columns))
    cols = [reg[c].astype(object).where(reg[c].notna(), None).tolist() for c in reg.columns]
    for row in zip(*cols):
        ws.append(list(row))
    wb.save(path)


def _case(case: str, src: Path, work: Path) -> dict:
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    out: dict = {}
    if case == "memory":
        from kassaki_eval.data import load_registry

        df = load_registry(src)
        df.attrs = {}
        df.to_parquet(work / "memory.parquet", index=False)  # for the agreement check (timed: small)
        out["rows"] = len(df)
    else:
        from kassaki_eval.targeting.scale import ingest_registry

        r = ingest_registry(src, work / "stream", overwrite=True)
        out["rows"] = int(r.rows)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out.update(seconds=time.perf_counter() - t0, user_seconds=ru.ru_utime - ru0.ru_utime,
               sys_seconds=ru.ru_stime - ru0.ru_stime, peak_rss_mb=peak_rss_mb())
    return out


def _run_child(case: str, src: Path, work: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "benchmarks.bench_ingest_xlsx", "--child", case,
                        "--src", str(src), "--work", str(work)], capture_output=True, text=True,
                       env=env, cwd=ROOT)
    if p.returncode != 0:
        return {"error": p.stderr[-2000:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def _agreement(work: Path) -> int:
    a = pd.read_parquet(work / "memory.parquet").sort_values("family_id").reset_index(drop=True)
    b = pd.read_parquet(work / "stream").sort_values("family_id").reset_index(drop=True)
    b = b[a.columns]
    pd.testing.assert_frame_equal(a, b, check_dtype=True)
    return int((a.astype(str) != b.astype(str)).to_numpy().sum())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    ap.add_argument("--child")
    ap.add_argument("--src")
    ap.add_argument("--work")
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_case(args.child, Path(args.src), Path(args.work))))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("KASSAKI_BENCH_TMP")) as tmp:
        for n in args.sizes:
            if n > 1_048_575:
                raise SystemExit(f"--sizes: an Excel sheet holds at most 1,048,575 data rows; got {n:,}")
            src, work = Path(tmp) / f"registry_{n}.xlsx", Path(tmp) / f"work_{n}"
            work.mkdir()
            t0 = time.perf_counter()
            make_workbook(n, src)
            print(json.dumps({"workbook": n, "seconds_to_write": round(time.perf_counter() - t0, 1),
                              "xlsx_mb": round(src.stat().st_size / 2**20, 1)}), flush=True)
            for case in ("memory", "stream"):
                r = _run_child(case, src, work)
                rows.append({"case": case, "n": n, **r})
                print(json.dumps(rows[-1]), flush=True)
            print(json.dumps({"n": n, "cells_differing": _agreement(work)}), flush=True)
            src.unlink()
    tab = pd.DataFrame(rows)
    print("\n## Registry .xlsx ingest: in memory vs streaming")
    print(tab.to_string(index=False))
    for n in args.sizes:
        m, s = tab[(tab.case == "memory") & (tab.n == n)], tab[(tab.case == "stream") & (tab.n == n)]
        if "error" not in tab or (m.get("error", pd.Series([None])).isna().all()
                                  and s.get("error", pd.Series([None])).isna().all()):
            print(f"n={n:,}: streaming / in memory: wall {s.seconds.iloc[0] / m.seconds.iloc[0]:.2f}x, "
                  f"user CPU {s.user_seconds.iloc[0] / m.user_seconds.iloc[0]:.2f}x, "
                  f"peak RSS {s.peak_rss_mb.iloc[0] / m.peak_rss_mb.iloc[0]:.2f}x")
    for case in ("memory", "stream"):
        sub = tab[tab.case == case].sort_values("n")
        for i in range(len(sub) - 1):
            a, b = sub.iloc[i], sub.iloc[i + 1]
            e = lambda k: math.log(b[k] / a[k]) / math.log(b.n / a.n)  # noqa: E731
            print(f"exponent {case} (n {a.n:,} -> {b.n:,}): wall {e('seconds'):.2f}, "
                  f"user CPU {e('user_seconds'):.2f}, peak RSS {e('peak_rss_mb'):.2f}")
    RESULTS_DIR.mkdir(exist_ok=True)
    with open(RESULTS_DIR / "results.jsonl", "a") as f:
        f.write(json.dumps({"title": "registry xlsx ingest", "rows": rows,
                            "when": time.strftime("%Y-%m-%dT%H:%M:%S")}, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
