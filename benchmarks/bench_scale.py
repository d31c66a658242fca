"""Registry scale: in-memory vs out-of-core (DuckDB), time and peak RSS, at 1M and 10M rows.

Cases (each in its own subprocess, so peak RSS -- ``ru_maxrss`` -- is that case's own):

- ``ingest``: a pseudonymised registry CSV -> typed table. In memory: ``load_registry``
  (validate, one DataFrame). Out of core: ``ingest_registry`` (200k-row chunks -> Parquet).
- ``targeting``: score (OLS PMT fitted on the synthetic 2023 survey), select 25 % of every
  village, accuracy on a linked 2 % survey sample. In memory: ``score_registry`` +
  ``select_quota`` + ``targeting_accuracy`` on a pandas registry read from Parquet. Out of
  core: ``score_dataset`` + ``select_quota_dataset`` + ``linked_accuracy`` on the Parquet
  dataset (DuckDB, memory_limit 2GB, 2 threads).
- ``accuracy``: ``targeting_accuracy`` alone on n survey rows, the pre-issue-15 implementation
  (tests/targeting/legacy_metrics.py) beside the linear one, at 100k and 1M (the legacy one is
  not run at 10M: 623 s and 8.9 GB measured in issue 15).

Agreement: out-of-core selections are compared with the in-memory ones (families selected by
one side only, must be 0) and accuracy rates (max abs difference). Scaling exponents are
log(t2/t1)/log(n2/n1) between sizes. The registry is the synthetic Pangkep registry tiled to
n rows with fresh pseudonymous ids and a 5 % log-normal jitter of floor area (no exact ties).

Times are wall seconds and CPU seconds (user + system of the child, all threads: DuckDB runs
2); on a machine shared with other jobs the CPU seconds are the steadier basis for ratios and
exponents. ``--ingest-memory-max`` skips the in-memory ingest above that size (it would not fit).

Run: ``python -m benchmarks.bench_scale --sizes 1000000 10000000 3000000 --ingest-memory-max 3000000``
(needs ~15 GB free disk at 10M and about an hour on 2 cores).
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

ROOT = Path(__file__).resolve().parents[1]


# -------------------------------------------------------------------------- data
def _pmt():
    from kassaki_eval.synthetic.world import generate_world
    from kassaki_eval.targeting import OLSPMT, pmt_target

    w = generate_world(seed=2024)
    s = w.survey[w.survey["year"] == 2023]
    return w, OLSPMT().fit(s, pmt_target(s["consumption_pc"]), sample_weight=s["weight"])


def make_data(size: int, root: Path, csv_file: bool = True) -> None:
    """registry/ (Parquet parts by block), registry.csv, survey.parquet, model.pkl."""
    import pickle

    w, pmt = _pmt()
    base = w.registry
    root.mkdir(parents=True, exist_ok=True)
    (root / "registry").mkdir(exist_ok=True)
    rng = np.random.default_rng(1)
    ids = rng.permutation(size)
    block = 1_000_000
    surveys = []
    import pyarrow as pa
    import pyarrow.csv as pacsv

    writer = None
    try:
        for b, start in enumerate(range(0, size, block)):
            n = min(block, size - start)
            reps = int(np.ceil(n / len(base)))
            reg = pd.concat([base] * reps, ignore_index=True).iloc[:n].copy()
            reg["floor_area_pc"] = np.round(reg["floor_area_pc"].to_numpy() * rng.lognormal(0.0, 0.05, n), 1)
            reg["family_id"] = [f"F{i:016d}" for i in ids[start:start + n]]
            reg.to_parquet(root / "registry" / f"part-{b:04d}.parquet", index=False)
            if csv_file:  # Arrow's CSV writer (pandas' to_csv took minutes per 1M rows)
                t = pa.Table.from_pandas(reg, preserve_index=False)
                if writer is None:
                    writer = pacsv.CSVWriter(root / "registry.csv", t.schema,
                                             write_options=pacsv.WriteOptions(quoting_style="needed"))
                writer.write_table(t)
            s = reg.sample(frac=0.02, random_state=b).reset_index(drop=True)
            s["consumption_pc"] = np.exp(pmt.predict(s) + rng.normal(0, 0.35, len(s)))
            surveys.append(s[["family_id", "village_code", "kec_code", "zone", "head_sex", "hh_size",
                              "consumption_pc"]])
    finally:
        if writer is not None:
            writer.close()
    sv = pd.concat(surveys, ignore_index=True)
    sv["weight"], sv["stratum"], sv["psu"] = 50.0, sv["kec_code"], sv["village_code"]
    sv.to_parquet(root / "survey.parquet", index=False)
    with open(root / "model.pkl", "wb") as f:
        pickle.dump(pmt, f)


# -------------------------------------------------------------------------- cases (run in a child)
def _case(case: str, root: Path, work: Path) -> dict:
    import pickle

    from kassaki_eval import reference
    line = reference.poverty_line(2023)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    t0, cpu0, ru0 = time.perf_counter(), ru.ru_utime + ru.ru_stime, ru
    out: dict = {}
    if case == "ingest_memory":
        from kassaki_eval.data import load_registry
        df = load_registry(root / "registry.csv")
        out["rows"] = len(df)
    elif case == "ingest_ooc":
        from kassaki_eval.targeting.scale import ingest_registry
        r = ingest_registry(root / "registry.csv", work / "ingested", overwrite=True)
        out["rows"] = r.rows
    elif case in ("targeting_memory", "targeting_ooc"):
        with open(root / "model.pkl", "rb") as f:
            pmt = pickle.load(f)
        kw = dict(poverty_line=line, by=("zone",), deciles=False)
        if case == "targeting_memory":
            from kassaki_eval.targeting import score_registry, select_quota
            from kassaki_eval.targeting.scale import linked_accuracy
            reg = pd.read_parquet(root / "registry")
            scored = score_registry(reg, pmt)
            slots = np.floor(0.25 * scored.groupby("village_code").size()).astype(int).to_dict()
            sel = select_quota(scored, by="village_code", slots=slots)
            res = linked_accuracy(pd.read_parquet(root / "survey.parquet"), sel.beneficiaries, **kw)
            ben = sel.beneficiaries["family_id"]
        else:
            from kassaki_eval.targeting.scale import (connect, dataset_sql, linked_accuracy, score_dataset,
                                                      select_quota_dataset)
            con = connect(memory_limit="2GB", threads=2, temp_directory=work / "duckdb_tmp")
            path = score_dataset(root / "registry", pmt, out=work / "scored", con=con, batch_rows=250_000)
            sizes = con.execute(f"SELECT village_code, count(*) FROM {dataset_sql(path)} GROUP BY 1").fetchall()
            slots = {v: int(math.floor(0.25 * n)) for v, n in sizes}
            sel = select_quota_dataset(path, by="village_code", slots=slots, out=work / "sel", con=con)
            res = linked_accuracy(root / "survey.parquet", sel, con=con, **kw)
            ben = pd.read_parquet(sel.beneficiaries, columns=["family_id"])["family_id"]
        out["selected"] = int(len(ben))
        pd.DataFrame({"family_id": ben.astype(str)}).to_parquet(work / f"{case}_ids.parquet", index=False)
        out["rates"] = res.tidy()["estimate"].tolist()
    elif case.startswith("accuracy_"):
        sys.path.insert(0, str(ROOT / "tests" / "targeting"))
        n = int(case.split("_")[-1])
        rng = np.random.default_rng(4)
        df = pd.DataFrame({"consumption_pc": rng.lognormal(13.5, 0.5, n), "selected": (rng.random(n) < 0.3).astype(int),
                           "weight": rng.uniform(5, 25, n), "stratum": rng.integers(0, 24, n),
                           "zone": rng.choice(["island", "mainland"], n), "head_sex": rng.choice(["F", "M"], n)})
        df["psu"] = df["stratum"] * 1000 + rng.integers(0, 400, n)
        df["score"] = np.log(df["consumption_pc"]) + rng.normal(0, 0.3, n)
        if case.startswith("accuracy_legacy"):
            from legacy_metrics import targeting_accuracy as acc
        else:
            from kassaki_eval.targeting import targeting_accuracy as acc
        ru = resource.getrusage(resource.RUSAGE_SELF)  # imports and data are not timed
        t0, cpu0, ru0 = time.perf_counter(), ru.ru_utime + ru.ru_stime, ru
        r = acc(df, poverty_line=420_000, score="score")
        out["rates"] = r.tidy()["estimate"].tolist()
    out["seconds"] = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = ru.ru_utime + ru.ru_stime - cpu0
    # user CPU is the algorithm's work; system CPU here is mostly first-touch page faults of
    # freshly mapped arrays, which a virtual machine (this one: Firecracker) makes expensive
    out["user_seconds"] = ru.ru_utime - ru0.ru_utime
    out["sys_seconds"] = ru.ru_stime - ru0.ru_stime
    out["minor_faults"] = ru.ru_minflt - ru0.ru_minflt
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; unlike ru_maxrss it is not inherited across
    fork+exec from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(case: str, root: Path, work: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "benchmarks.bench_scale", "--child", case, "--root", str(root),
                        "--work", str(work)], capture_output=True, text=True, env=env, cwd=ROOT)
    if p.returncode != 0:
        return {"error": p.stderr[-2000:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def _exp(n1: int, t1: float, n2: int, t2: float) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--accuracy-sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--child")
    ap.add_argument("--root")
    ap.add_argument("--work")
    ap.add_argument("--skip", nargs="*", default=[])
    ap.add_argument("--no-csv", action="store_true", help="no CSV and no ingest cases (targeting only)")
    ap.add_argument("--ingest-memory-max", type=int, default=None,
                    help="largest n for the in-memory ingest (load_registry measured ~1.2 GB per 1M "
                         "rows: 10M would need ~12 GB); larger sizes ingest out of core only")
    args, _ = ap.parse_known_args(argv)
    if args.child:
        print(json.dumps(_case(args.child, Path(args.root), Path(args.work))))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("KASSAKI_BENCH_TMP")) as tmp:
        for n in args.accuracy_sizes:
            for impl in ("legacy", "linear"):
                case = f"accuracy_{impl}_{n}"
                if case in args.skip:
                    continue
                r = _run_child(case, Path(tmp), Path(tmp))
                rows.append({"case": case, "n": n, **r})
                print(json.dumps({k: v for k, v in rows[-1].items() if k != "rates"}), flush=True)
        for n in args.sizes:
            root = Path(tmp) / f"data_{n}"
            t0 = time.perf_counter()
            make_data(n, root, csv_file=not args.no_csv)
            du = sum(f.stat().st_size for f in (root / "registry").glob("*.parquet"))
            print(json.dumps({"data": n, "seconds": time.perf_counter() - t0, "parquet_mb": du / 2**20,
                              "csv_mb": (root / "registry.csv").stat().st_size / 2**20 if not args.no_csv else 0}),
                  flush=True)
            for case in ("ingest_memory", "ingest_ooc", "targeting_memory", "targeting_ooc"):
                if f"{case}_{n}" in args.skip or case in args.skip or (args.no_csv and case.startswith("ingest")):
                    continue
                if case == "ingest_memory" and args.ingest_memory_max is not None and n > args.ingest_memory_max:
                    print(json.dumps({"case": case, "n": n, "skipped": f"n > --ingest-memory-max "
                                                                      f"{args.ingest_memory_max}"}), flush=True)
                    continue
                work = Path(tmp) / f"work_{n}"
                work.mkdir(exist_ok=True)
                r = _run_child(case, root, work)
                rows.append({"case": case, "n": n, **r})
                print(json.dumps({k: v for k, v in rows[-1].items() if k != "rates"}), flush=True)
            wk = Path(tmp) / f"work_{n}"
            a, b = wk / "targeting_memory_ids.parquet", wk / "targeting_ooc_ids.parquet"
            if a.exists() and b.exists():
                sa, sb = set(pd.read_parquet(a)["family_id"]), set(pd.read_parquet(b)["family_id"])
                ra = next(r for r in rows if r["case"] == "targeting_memory" and r["n"] == n)["rates"]
                rb = next(r for r in rows if r["case"] == "targeting_ooc" and r["n"] == n)["rates"]
                print(json.dumps({"n": n, "selected_by_one_side_only": len(sa ^ sb),
                                  "max_rate_diff": float(np.nanmax(np.abs(np.array(ra) - np.array(rb))))}), flush=True)
            import shutil
            shutil.rmtree(root, ignore_errors=True)
    # ratios and exponents
    print("\n## Registry scale: in-memory vs out-of-core (time s, peak RSS MB)")
    tab = pd.DataFrame([{k: v for k, v in r.items() if k in ("case", "n", "seconds", "cpu_seconds", "user_seconds", "sys_seconds", "minor_faults",
                                                           "peak_rss_mb",
                                                           "error")} for r in rows])
    print(tab.to_string(index=False))
    for kind in ("ingest", "targeting"):
        for n in args.sizes:
            m = tab[(tab.case == f"{kind}_memory") & (tab.n == n)]
            o = tab[(tab.case == f"{kind}_ooc") & (tab.n == n)]
            if len(m) and len(o) and "seconds" in m and m["seconds"].notna().all() and o["seconds"].notna().all():
                print(f"{kind} n={n:,}: out-of-core / in-memory time {o.seconds.iloc[0] / m.seconds.iloc[0]:.2f}x, "
                      f"CPU {o.cpu_seconds.iloc[0] / m.cpu_seconds.iloc[0]:.2f}x, "
                      f"peak RSS {o.peak_rss_mb.iloc[0] / m.peak_rss_mb.iloc[0]:.2f}x")
    for case in sorted(set(tab.case.str.replace(r"_\d+$", "", regex=True))):
        sub = tab[tab.case.str.startswith(case)].dropna(subset=["seconds"]).sort_values("n")
        for i in range(len(sub) - 1):
            for j in range(i + 1, len(sub)):
                a, b = sub.iloc[i], sub.iloc[j]
                print(f"scaling exponent {case} (n {a.n:,} -> {b.n:,}): wall {_exp(a.n, a.seconds, b.n, b.seconds):.2f}, "
                      f"CPU {_exp(a.n, a.cpu_seconds, b.n, b.cpu_seconds):.2f} "
                      f"(user {_exp(a.n, a.user_seconds, b.n, b.user_seconds):.2f}, "
                      f"system {_exp(a.n, a.sys_seconds, b.n, b.sys_seconds):.2f}), "
                      f"peak RSS {_exp(a.n, a.peak_rss_mb, b.n, b.peak_rss_mb):.2f}")
    RESULTS_DIR.mkdir(exist_ok=True)
    with open(RESULTS_DIR / "results.jsonl", "a") as f:
        f.write(json.dumps({"title": "registry scale", "rows": rows, "when": time.strftime("%Y-%m-%dT%H:%M:%S")},
                           default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
