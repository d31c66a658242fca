"""Mapping profiles: the messy demo mapped by the shipped profiles vs the clean files loaded.

Both sides produce the same validated contract tables (registry pseudonymised, survey waves
stacked, participation from every partner) from the same synthetic world, in one run:

* ``kassaki`` (reference): the clean contract-layout CSVs through ``load_table``;
* ``mapped``: the source-shaped files (P3KE .xlsx, Susenas KOR person + household + KP +
  linkage CSVs, five partner workbooks) through ``load_with_profile``.

``max diff`` is the largest relative difference between the tables of the two routes
(floats; every other column must be equal, else the benchmark fails). Goal: mapped /
clean <= 1.5 on the full-scale world.

Wall-clock seconds on a shared 2-core machine swing with the other jobs' load; the second
table of each comparison is the CPU time of the same calls (``time.process_time``, all threads
of the process; each side timed ``repeats`` times, median), which the load does not inflate.

Run: ``python -m benchmarks.bench_profiles [--scale 1.0] [--repeats 3]``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import side_by_side

KEYS = {"registry": ["family_id"], "survey": ["year", "hh_id"], "participation": ["record_id"]}


def max_rel_diff(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> float:
    """Largest relative float difference over the tables; raises if any other value differs."""
    worst = 0.0
    for name, x in a.items():
        cols = [col for col in x.columns if col in b[name].columns]  # clean files carry extras
        x, y = x[cols], b[name][cols]
        x = x.sort_values(KEYS[name]).reset_index(drop=True)
        y = y.sort_values(KEYS[name]).reset_index(drop=True)
        if x.shape != y.shape:
            raise AssertionError(f"{name}: shapes differ {x.shape} vs {y.shape}")
        for c in x.columns:
            if pd.api.types.is_float_dtype(x[c]):
                u, v = x[c].to_numpy(float), y[c].to_numpy(float)
                if not np.array_equal(np.isnan(u), np.isnan(v)):
                    raise AssertionError(f"{name}.{c}: missing values differ")
                ok = ~np.isnan(u)
                if ok.any():
                    worst = max(worst, float(np.max(np.abs(u[ok] - v[ok])
                                                     / np.maximum(1.0, np.abs(v[ok])))))
            elif not x[c].astype(str).equals(y[c].astype(str)):
                raise AssertionError(f"{name}.{c}: values differ")
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_profiles")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    args, _ = ap.parse_known_args(argv)

    from kassaki_eval.data import load_table, validate
    from kassaki_eval.data.profiles import load_with_profile
    try:
        from kassaki_eval.data.profiles import load_with_profiles
    except ImportError:  # before issue 11's several-profile route: map one by one
        load_with_profiles = None
    from kassaki_eval.synthetic.source_shape import SOURCE_FILES, write_source_shape
    from kassaki_eval.synthetic.world import YEARS, generate_world

    w = generate_world(seed=2024, scale=args.scale)
    tmp = Path(tempfile.mkdtemp(prefix="bench_profiles_"))
    w.write(tmp / "clean", population=False)
    write_source_shape(w, tmp / "messy")
    c, m = tmp / "clean", tmp / "messy"
    partners = [k for k in SOURCE_FILES if k.startswith("partner_")]
    meta = {"scale": args.scale, "registry_rows": len(w.registry), "survey_rows": len(w.survey),
            "participation_rows": len(w.participation),
            "messy_bytes": sum(p.stat().st_size for p in m.rglob("*") if p.is_file()),
            "clean_bytes": sum(p.stat().st_size for p in c.glob("*.csv"))}

    def clean_registry() -> pd.DataFrame:
        return load_table(c / "registry_raw.csv", "registry", demo=True)

    def clean_survey() -> pd.DataFrame:
        return load_table([c / f"survey_{y}.csv" for y in YEARS], "survey")

    def clean_participation() -> pd.DataFrame:
        return load_table(c / "participation.csv", "participation")

    def mapped_registry() -> pd.DataFrame:
        return load_with_profile(m / "p3ke_pangkep.xlsx", "p3ke", demo=True)

    def mapped_survey() -> pd.DataFrame:
        return load_with_profile([m / f for f in SOURCE_FILES["susenas"]], "susenas", demo=True)

    def mapped_participation() -> pd.DataFrame:
        # every workbook through its own profile, stacked and validated once (as the one
        # clean CSV is validated once)
        if load_with_profiles is None:
            parts = [load_with_profile([m / f for f in SOURCE_FILES[p]], p, demo=True)
                     for p in partners]
            return validate(pd.concat(parts, ignore_index=True), "participation")
        return load_with_profiles([([m / f for f in SOURCE_FILES[p]], p) for p in partners],
                                  demo=True)

    def cpu(name: str, clean, mapped) -> float:  # type: ignore[no-untyped-def]
        """Median CPU seconds of each side (after a warm-up); prints and returns the ratio."""
        med = {}
        for side, fn in (("kassaki", clean), ("mapped", mapped)):
            fn()
            ts = []
            for _ in range(args.repeats):
                t0 = time.process_time()
                fn()
                ts.append(time.process_time() - t0)
            med[side] = statistics.median(ts)
        r = med["mapped"] / med["kassaki"]
        print(f"{name} CPU s (median of {args.repeats}): clean {med['kassaki']:.2f}, mapped "
              f"{med['mapped']:.2f}, mapped / clean = {r:.2f}; load average "
              f"{os.getloadavg()[0]:.1f}")
        return r

    def one(name: str, clean, mapped):  # type: ignore[no-untyped-def]
        return side_by_side(
            f"{name}: clean contract files vs source files through the profile "
            f"(scale {args.scale})",
            {"kassaki": lambda: {name: clean()}, "mapped": lambda: {name: mapped()}},
            check=max_rel_diff, repeats=args.repeats, meta=meta)

    one("registry", clean_registry, mapped_registry)
    one("survey", clean_survey, mapped_survey)
    one("participation", clean_participation, mapped_participation)
    rows = side_by_side(
        f"all three tables: clean files vs the messy demo mapped (scale {args.scale})",
        {"kassaki": lambda: {"registry": clean_registry(), "survey": clean_survey(),
                             "participation": clean_participation()},
         "mapped": lambda: {"registry": mapped_registry(), "survey": mapped_survey(),
                            "participation": mapped_participation()}},
        check=max_rel_diff, repeats=args.repeats, meta=meta)
    ratio = next(r for r in rows if r["case"] == "mapped").get("ratio_to_kassaki")
    print(f"\nmapped / clean = {ratio:.2f} wall clock (goal <= 1.5); load average "
          f"{os.getloadavg()[0]:.1f}\n")
    cpu("registry", clean_registry, mapped_registry)
    cpu("survey", clean_survey, mapped_survey)
    cpu("participation", clean_participation, mapped_participation)
    cpu("all three", lambda: (clean_registry(), clean_survey(), clean_participation()),
        lambda: (mapped_registry(), mapped_survey(), mapped_participation()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
