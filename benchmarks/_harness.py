"""Side-by-side timing with agreement checks. See ``benchmarks/__init__.py``."""
from __future__ import annotations

import json
import os
import platform
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Mapping

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _time(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    out = fn()  # warm-up (imports, JIT of peers such as numba); not timed
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def peak_memory_mb(fn: Callable[[], Any]) -> float:
    """Peak Python-heap allocation of one call (tracemalloc; numpy buffers included)."""
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def side_by_side(
    title: str,
    cases: Mapping[str, Callable[[], Any]],
    *,
    check: Callable[[Any, Any], float] | None = None,
    repeats: int = 5,
    reference: str = "kassaki",
    memory: bool = False,
    meta: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Time each case, check agreement with ``reference`` and print a ratio table.

    ``check(ours, theirs)`` returns the largest (relative) difference; it is reported next to
    the ratio, and the caller decides the tolerance (and fails if it is exceeded).
    """
    rows = []
    outputs: dict[str, Any] = {}
    for name, fn in cases.items():
        try:
            times, out = _time(fn, repeats)
        except ImportError as e:  # a peer not installed: say so, do not hide it
            rows.append({"case": name, "error": f"not installed: {e}"})
            continue
        outputs[name] = out
        row = {"case": name, "median_s": statistics.median(times), "min_s": min(times),
               "repeats": repeats}
        if memory:
            row["peak_mb"] = peak_memory_mb(fn)
        rows.append(row)
    ref = next((r for r in rows if r["case"] == reference and "median_s" in r), None)
    for r in rows:
        if ref and "median_s" in r:
            r["ratio_to_" + reference] = r["median_s"] / ref["median_s"]
        if check and reference in outputs and r["case"] in outputs and r["case"] != reference:
            r["max_diff"] = float(check(outputs[reference], outputs[r["case"]]))
    _print(title, rows, reference)
    _save(title, rows, meta)
    return rows


def _print(title: str, rows: list[dict[str, Any]], reference: str) -> None:
    print(f"\n## {title}")
    print(f"{'case':<22}{'median s':>11}{'min s':>10}{'x ' + reference:>12}{'peak MB':>10}{'max diff':>12}")
    for r in rows:
        if "error" in r:
            print(f"{r['case']:<22}  {r['error']}")
            continue
        ratio = r.get("ratio_to_" + reference, float("nan"))
        diff = r.get("max_diff")
        print(f"{r['case']:<22}{r['median_s']:>11.4f}{r['min_s']:>10.4f}{ratio:>12.2f}"
              f"{r.get('peak_mb', float('nan')):>10.1f}{'' if diff is None else f'{diff:.2e}':>12}")


def _save(title: str, rows: list[dict[str, Any]], meta: Mapping[str, Any] | None) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    rec = {"title": title, "rows": rows, "meta": dict(meta or {}), "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "machine": platform.machine()}}
    with open(RESULTS_DIR / "results.jsonl", "a") as f:
        f.write(json.dumps(rec, default=str) + "\n")
