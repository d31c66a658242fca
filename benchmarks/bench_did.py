"""Callaway & Sant'Anna (never-treated controls, doubly robust, analytic SEs) on a 3-wave
household panel, beside diff-diff, csdid and moderndid in one run.

    .venv/bin/python -m benchmarks.bench_did --sizes 100000 1000000 --slow-peers-max 100000

The check is the largest absolute difference over all ATT(g,t) *and* their standard errors.
Peers slower than ``--slow-peers-max`` households (csdid, moderndid) are skipped at larger
sizes and the table says so.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import warnings

import numpy as np
import pandas as pd

from benchmarks._harness import side_by_side


def make_panel(n: int, seed: int = 0) -> pd.DataFrame:
    """n households x 3 waves (2023-2025); cohorts 2024 (30%), 2025 (30%), never (40%)."""
    rng = np.random.default_rng(seed)
    coh = rng.choice([0, 2024, 2025], size=n, p=[0.4, 0.3, 0.3])
    a = rng.normal(size=n) + 0.2 * (coh > 0)
    years = np.array([2023, 2024, 2025])
    unit = np.repeat(np.arange(1, n + 1), 3)
    year = np.tile(years, n)
    c = np.repeat(coh, 3)
    eff = np.where((c > 0) & (year >= c), 0.05 + 0.03 * (year - c), 0.0)
    y = np.repeat(a, 3) + 0.1 * (year - 2023) + eff + rng.normal(0, 1, 3 * n)
    return pd.DataFrame({"hh": unit, "year": year, "cohort": c, "y": y})


def _ours(df: pd.DataFrame) -> pd.DataFrame:
    from kassaki_eval.impact.staggered import callaway_santanna
    r = callaway_santanna(df, y="y", unit="hh", time="year", cohort="cohort", control="never",
                          method="dr")
    t = r.tidy()
    return pd.DataFrame({"g": t["group"].astype(float), "t": t["time"].astype(float),
                         "att": t["estimate"], "se": t["std_error"]})


def _diffdiff(df: pd.DataFrame) -> pd.DataFrame:
    import diff_diff as dd
    r = dd.CallawaySantAnna(control_group="never_treated", estimation_method="dr").fit(
        df, outcome="y", unit="hh", time="year", first_treat="cohort")
    rows = [(float(g), float(t), e["effect"], e["se"]) for (g, t), e in r.group_time_effects.items()]
    return pd.DataFrame(rows, columns=["g", "t", "att", "se"])


def _csdid(df: pd.DataFrame) -> pd.DataFrame:
    from csdid.att_gt import ATTgt
    att = ATTgt(yname="y", tname="year", idname="hh", gname="cohort", data=df,
                control_group=["nevertreated"])
    with contextlib.redirect_stdout(io.StringIO()):
        att.fit(est_method="dr", bstrap=False)
    r = att.results
    return pd.DataFrame({"g": np.asarray(r["group"], float), "t": np.asarray(r["year"], float),
                         "att": np.asarray(r["att"], float), "se": np.asarray(r["se"], float)})


def _moderndid(df: pd.DataFrame) -> pd.DataFrame:
    import moderndid as md
    r = md.att_gt(df, yname="y", tname="year", idname="hh", gname="cohort", est_method="dr",
                  control_group="nevertreated", boot=False, cband=False)
    return pd.DataFrame({"g": np.asarray(r.groups, float), "t": np.asarray(r.times, float),
                         "att": np.asarray(r.att_gt, float), "se": np.asarray(r.se_gt, float)})


def check(ours: pd.DataFrame, theirs: pd.DataFrame) -> float:
    m = ours.merge(theirs, on=["g", "t"], suffixes=("_o", "_p"))
    if len(m) != len(ours):
        return float("inf")
    return float(max(np.max(np.abs(m["att_o"] - m["att_p"])), np.max(np.abs(m["se_o"] - m["se_p"]))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--slow-peers-max", type=int, default=100_000,
                    help="largest size at which csdid and moderndid are run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tol", type=float, default=1e-10)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    rc = 0
    for n in args.sizes:
        df = make_panel(n)
        cases = {"kassaki": lambda: _ours(df), "diff-diff": lambda: _diffdiff(df)}
        if n <= args.slow_peers_max:
            cases["csdid"] = lambda: _csdid(df.copy())
            cases["moderndid"] = lambda: _moderndid(df)
        rows = side_by_side(f"C&S never-treated DR analytic SEs, {n:,} households x 3 waves",
                            cases, check=check, repeats=args.repeats, memory=True,
                            meta={"n_households": n, "skipped": [] if n <= args.slow_peers_max
                                  else ["csdid", "moderndid"]})
        if n > args.slow_peers_max:
            print(f"(csdid and moderndid not run at {n:,}: slower than --slow-peers-max)")
        for r in rows:
            if r.get("max_diff", 0) > args.tol:
                print(f"AGREEMENT FAILURE: {r['case']} differs by {r['max_diff']:.2e}")
                rc = 1
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
