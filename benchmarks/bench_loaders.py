"""Loaders: what validation and pseudonymisation cost on top of a bare pandas read.

There is no peer package for our contracts (pandera is not a dependency), so each case is
timed against its *bare* lower limit: the same file read by pandas with no checks, and the
keyed hash computed by a plain ``hmac.new`` loop. ``check`` confirms both sides produce the
same ids / values.

Run: ``python -m benchmarks.bench_loaders [--scale 1.0]``.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import side_by_side


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_loaders")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    args, _ = ap.parse_known_args(argv)

    from kassaki_eval import config
    from kassaki_eval.data import load_table, pseudonymise_id
    from kassaki_eval.synthetic.world import generate_world

    w = generate_world(seed=2024, scale=args.scale)
    tmp = Path(tempfile.mkdtemp(prefix="bench_loaders_"))
    reg_csv = tmp / "registry_raw.csv"
    w.registry_raw.to_csv(reg_csv, index=False)
    sv_pq = tmp / "survey.parquet"
    w.survey.to_parquet(sv_pq, index=False)
    sv_xlsx = tmp / "survey_2023.xlsx"
    w.survey[w.survey["year"] == 2023].to_excel(sv_xlsx, index=False)
    key = config.DEMO_PSEUDONYM_KEY
    kb = key.encode()
    n_reg, n_sv = len(w.registry_raw), len(w.survey)
    meta = {"scale": args.scale, "registry_rows": n_reg, "survey_rows": n_sv}

    def bare_ingest() -> pd.Series:
        raw = pd.read_csv(reg_csv, dtype=str)
        return pd.Series(["F" + hmac.new(kb, v.encode(), hashlib.sha256).hexdigest()[:16]
                          for v in raw["no_kk"]])

    def ids_mismatch(a: pd.DataFrame | pd.Series, b: pd.Series) -> float:
        fa = a["family_id"] if isinstance(a, pd.DataFrame) else a
        return float(np.mean(np.asarray(fa, dtype=object) != np.asarray(b, dtype=object)))

    rows = side_by_side(
        f"registry ingest from CSV ({n_reg} families): read + validate raw + pseudonymise + "
        f"validate",
        {"kassaki": lambda: load_table(reg_csv, "registry", demo=True),
         "bare pandas+hmac": bare_ingest},
        check=ids_mismatch, repeats=args.repeats, meta=meta)

    def cons_diff(a: pd.DataFrame, b: pd.DataFrame) -> float:
        return float(np.max(np.abs(a["consumption_pc"].to_numpy(float)
                                   - b["consumption_pc"].to_numpy(float))))

    rows += side_by_side(
        f"survey from Parquet ({n_sv} household-waves): read + validate",
        {"kassaki": lambda: load_table(sv_pq, "survey"),
         "bare pandas": lambda: pd.read_parquet(sv_pq)},
        check=cons_diff, repeats=args.repeats, meta=meta)

    rows += side_by_side(
        f"survey wave from .xlsx ({int((w.survey['year'] == 2023).sum())} households): "
        f"read + validate",
        {"kassaki": lambda: load_table(sv_xlsx, "survey"),
         "bare pandas": lambda: pd.read_excel(sv_xlsx)},
        check=cons_diff, repeats=1, meta=meta)

    kk = w.registry_raw["no_kk"]
    rows += side_by_side(
        f"keyed hash of {n_reg} family-card numbers",
        {"kassaki": lambda: pd.Series(pseudonymise_id(kk, key)),
         "hmac.new loop": lambda: pd.Series(
             ["F" + hmac.new(kb, v.encode(), hashlib.sha256).hexdigest()[:16] for v in kk])},
        check=ids_mismatch, repeats=args.repeats, meta=meta)

    bad = [r for r in rows if r.get("max_diff", 0) > 1e-9]
    if bad:
        print("DISAGREEMENT:", bad)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
