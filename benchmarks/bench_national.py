"""National-scale run (on purpose, not in CI): generate, score, quota-select and evaluate.

The national synthetic registry (:func:`kassaki_eval.synthetic.national.national_plan`:
~95 million families in 514 districts) -- or a random subset of its districts whose families
add up to ``--families`` -- is

1. generated and written as partitioned Parquet (``write_registry``, 500k-household blocks,
   ``--jobs`` processes);
2. scored with the OLS PMT fitted on the synthetic Pangkep 2023 survey and quota-selected
   (25 % of every village, district-wide ranks; ``national_targeting``, one district per task);
3. evaluated on the linked survey sample (0.2 % of households; welfare relative to each
   district's poverty line, line = 1; design strata = kecamatan, PSU = village).

Measured: wall time of each stage, peak resident memory of the whole process tree (the
parent and every worker, sampled every 0.2 s with psutil), disk used. With ``--families``
below the national total the per-family rates are projected to 95 million families on this
machine and on a stated cluster (time scales with families / workers: every stage is one
task per block or district, with no cross-district step except the final accuracy, which
reads only the survey sample).

Peak memory counts this machine's processes only: with ``--scheduler tcp://...`` the workers'
memory is on their hosts (the Dask dashboard shows it).

Run: ``python -m benchmarks.bench_national --families 5000000 --jobs 2 --out /tmp/national``
(``--scheduler tcp://scheduler-host:8786 --out /shared/national`` on a real cluster).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import RESULTS_DIR


class PeakRSS:
    """Peak summed RSS of this process and all its descendants (psutil, sampled)."""

    def __init__(self, every: float = 0.2) -> None:
        import psutil
        self.proc = psutil.Process()
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            time.sleep(self.every)

    def __enter__(self) -> "PeakRSS":
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=None, help="subset size (default: all ~95M)")
    ap.add_argument("--largest", type=int, default=None,
                    help="run the N largest districts of the plan (the per-worker memory peak: with "
                         "N = --jobs every worker holds one of the largest districts at once)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="/tmp/kassaki_national")
    ap.add_argument("--keep", action="store_true", help="keep the written dataset")
    ap.add_argument("--cluster-workers", type=int, default=64, help="workers of the projected cluster")
    ap.add_argument("--scheduler", default=None,
                    help="run generate and score/select on dask.distributed: a scheduler address "
                         "(tcp://host:8786; --out must then be a path every worker sees) or 'local' "
                         "(a LocalCluster of --jobs single-threaded workers); default joblib")
    args, _ = ap.parse_known_args(argv)
    from kassaki_eval.synthetic.national import DTSEN_FAMILIES, national_plan, write_registry
    from kassaki_eval.synthetic.world import generate_world
    from kassaki_eval.targeting import OLSPMT, pmt_target
    from kassaki_eval.targeting.distributed import national_targeting
    from kassaki_eval.targeting.scale import connect, dataset_sql, linked_accuracy

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    plan = national_plan()
    if args.largest is not None:
        sub = plan.sort_values("families", ascending=False).head(args.largest).reset_index(drop=True)
    elif args.families is not None and args.families < plan["families"].sum():
        order = np.random.default_rng(7).permutation(len(plan))
        cum = plan["families"].to_numpy()[order].cumsum()
        k = int(np.searchsorted(cum, args.families)) + 1
        sub = plan.iloc[np.sort(order[:k])].reset_index(drop=True)
    else:
        sub = plan
    fam = int(sub["families"].sum())
    print(json.dumps({"districts": len(sub), "families": fam, "kota": int((sub.kind == "kota").sum()),
                      "national_families": int(plan["families"].sum()), "national_districts": len(plan)}), flush=True)
    w = generate_world(seed=2024)
    s = w.survey[w.survey["year"] == 2023]
    pmt = OLSPMT().fit(s, pmt_target(s["consumption_pc"]), sample_weight=s["weight"])
    del w, s
    client = None
    if args.scheduler:
        from dask.distributed import Client, LocalCluster
        client = (Client(LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True))
                  if args.scheduler == "local" else Client(args.scheduler))
        print(json.dumps({"dask": str(client.scheduler_info().get("address")),
                          "workers": len(client.scheduler_info()["workers"])}), flush=True)
    stages = {}
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        blocks = write_registry(out, sub, seed=2024, max_block=500_000, survey_fraction=0.002, n_jobs=args.jobs,
                                client=client)
        stages["generate_write"] = time.perf_counter() - t0
    stages_mem = {"generate_write": mem.peak}
    disk_reg = _du(out / "registry")
    print(json.dumps({"stage": "generate_write", "seconds": stages["generate_write"], "blocks": len(blocks),
                      "peak_rss_mb": mem.peak / 2**20, "registry_mb": disk_reg / 2**20}), flush=True)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        sel = national_targeting(out / "registry", pmt, out=out / "selection", share=0.25, n_jobs=args.jobs,
                                 client=client)
        stages["score_select"] = time.perf_counter() - t0
    stages_mem["score_select"] = mem.peak
    print(json.dumps({"stage": "score_select", "seconds": stages["score_select"], "selected": int(sel.districts.selected.sum()),
                      "peak_rss_mb": mem.peak / 2**20, "selection_mb": _du(out / "selection") / 2**20}), flush=True)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        con = connect(memory_limit="2GB", threads=args.jobs)
        survey = con.execute(f"SELECT * FROM {dataset_sql(out / 'survey')}").df()
        line = blocks.groupby("district")["poverty_line"].first()
        survey["district"] = survey["district"].astype(str)
        survey["welfare_rel"] = survey["consumption_pc"] / survey["district"].map(line).to_numpy()
        res = linked_accuracy(survey, out / "selection", con=con, welfare="welfare_rel", poverty_line=1.0,
                              design={"weight": "weight", "strata": "stratum", "psu": "psu", "nest": True,
                                      "lonely_psu": "adjust"}, by=("zone",), deciles=False)
        stages["accuracy"] = time.perf_counter() - t0
    stages_mem["accuracy"] = mem.peak
    t = res.tidy()
    main_terms = t[(t.by == "all") & t.term.isin(["exclusion_error", "inclusion_error", "coverage"])]
    print(json.dumps({"stage": "accuracy", "seconds": stages["accuracy"], "survey_rows": len(survey),
                      "peak_rss_mb": mem.peak / 2**20,
                      "estimates": main_terms[["term", "benchmark", "estimate", "std_error"]].to_dict("records")}),
          flush=True)
    if client is not None:
        client.close()
    disk = _du(out)
    total = sum(stages.values())
    peak = max(stages_mem.values())
    rep = {"families": fam, "districts": len(sub), "jobs": args.jobs, "seconds": stages, "total_seconds": total,
           "peak_rss_mb": peak / 2**20, "disk_mb": disk / 2**20, "us_per_family": {k: 1e6 * v / fam for k, v in stages.items()}}
    if fam < DTSEN_FAMILIES:
        f = DTSEN_FAMILIES / fam
        # the survey-side accuracy grows with the survey sample (0.2 % of households): linear too
        rep["projection_95M"] = {
            "basis": "measured per-family rates x 95M families (every stage is per block/district, linear)",
            "this_machine_hours": total * f / 3600,
            "cluster": f"{args.cluster_workers} workers x 1 core like these",
            "cluster_hours": (stages["generate_write"] + stages["score_select"]) * f * args.jobs
            / args.cluster_workers / 3600 + stages["accuracy"] * f / 3600,
            "disk_gb": disk * f / 2**30,
            "peak_rss_mb_per_worker": peak / 2**20 / max(args.jobs, 1),
            "note": "peak memory does not grow with the total: it is one block (<= 500k households) or one "
                    "district per worker, plus the parent; the largest national district (~1.6M families in the "
                    "plan) sets the per-worker peak of score_select",
        }
        rep["largest_district_families"] = int(plan["families"].max())
    print("\n## National run" + (" (measured fraction, projected)" if fam < DTSEN_FAMILIES else " (measured)"))
    print(json.dumps(rep, indent=1, default=float))
    RESULTS_DIR.mkdir(exist_ok=True)
    with open(RESULTS_DIR / "results.jsonl", "a") as fh:
        fh.write(json.dumps({"title": "national run", **rep, "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
                             "cpus": os.cpu_count()}, default=float) + "\n")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
