"""FGT0/1/2 with linearised SEs, overall and by 13 kecamatan: kassaki vs svy vs a bare numpy pass.

Simulated design: 13 strata (kecamatan), about 100 PSUs (villages, 5-10 per stratum),
households with log-normal per-capita consumption, person weights = weight x household size.

What is timed (each case computes the same 3 x 14 point estimates and linearised SEs):

- ``kassaki``: ``fgt(design, g=[0, 1, 2], size="hh_size", by="kec", total=True)`` (one
  call: overall and 13 kecamatan; includes the poverty-gap variables, design df, design effects
  and the EstimateResult with provenance), on a
  :class:`SurveyDesign` built once outside the timing (construction is timed separately);
- ``svy``: ``Sample.estimation.mean(["poor", "gap1", "gap2"])`` overall and ``by="kec"`` on a
  ``svy.Sample`` built once outside the timing, with the three FGT variables precomputed as
  columns (this favours svy: its timing excludes computing them);
- ``bare numpy``: the limit -- integer codes given, one pass of ``np.bincount`` for the FGT
  variables' PSU totals, then the stratified between-PSU variance; no validation, no df, no deff.

R survey is compared only when ``Rscript`` with ``survey`` exists (not on this machine).

Run: ``python -m benchmarks.bench_poverty --sizes 100000 1000000``.
"""
from __future__ import annotations

import argparse
import shutil
import time
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._harness import side_by_side

LINE = 420_000.0


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_psu_h = rng.integers(5, 11, size=13)                    # ~100 PSUs in 13 strata
    psu_stratum = np.repeat(np.arange(13), n_psu_h)
    P = len(psu_stratum)
    psu = np.sort(rng.integers(0, P, size=n))
    effect = rng.normal(0, 0.15, P)
    logc = 13.45 + effect[psu] + rng.normal(0, 0.42, n)
    hh = rng.integers(1, 9, size=n)
    w = rng.uniform(0.5, 1.5, n) * 20
    return pd.DataFrame({
        "kec": np.array([f"73.10.{k + 1:02d}" for k in range(13)])[psu_stratum[psu]],
        "psu": np.array([f"V{p:04d}" for p in range(P)])[psu],
        "weight": w, "hh_size": hh, "consumption_pc": np.exp(logc),
    })


def bare_numpy(psu: np.ndarray, kec_of_psu: np.ndarray, n_psu: int, pw: np.ndarray,
               y: np.ndarray, z: float) -> np.ndarray:
    """Point and SE of P0, P1, P2 overall and by kecamatan: array (14, 3, 2)."""
    poor = y < z
    g = np.where(poor, (z - y) / z, 0.0)
    H = (poor.astype(float), g, g * g)
    tw = np.bincount(psu, weights=pw, minlength=n_psu)
    th = [np.bincount(psu, weights=pw * h, minlength=n_psu) for h in H]
    nh = np.bincount(kec_of_psu, minlength=13).astype(float)
    out = np.empty((14, 3, 2))
    for dom in range(14):  # 0 = overall, 1..13 kecamatan (PSUs are nested in kecamatan)
        m = np.ones(n_psu, bool) if dom == 0 else (kec_of_psu == dom - 1)
        N = tw[m].sum()
        for j in range(3):
            p = th[j][m].sum() / N
            t = np.where(m, (th[j] - p * tw) / N, 0.0)
            mean_h = np.bincount(kec_of_psu, weights=t, minlength=13) / nh
            dev = t - mean_h[kec_of_psu]
            v = np.sum(np.bincount(kec_of_psu, weights=dev * dev, minlength=13) * nh / (nh - 1))
            out[dom, j] = p, np.sqrt(v)
    return out


def _kassaki_table(res: Any) -> np.ndarray:
    t = res.tidy()
    return np.stack([t["estimate"].to_numpy().reshape(14, 3),
                     t["std_error"].to_numpy().reshape(14, 3)], axis=2)


def _svy_table(r_all: Any, r_by: Any) -> np.ndarray:
    out = np.empty((14, 3, 2))
    for j, e in enumerate(r_all):
        t = e.to_polars().to_pandas()
        out[0, j] = t["est"].iloc[0], t["se"].iloc[0]
    for j, e in enumerate(r_by):
        t = e.to_polars().to_pandas().sort_values("kec")
        out[1:, j, 0] = t["est"].to_numpy()
        out[1:, j, 1] = t["se"].to_numpy()
    return out


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.abs(b)))


def run(n: int, repeats: int) -> list[dict[str, Any]]:
    from kassaki_eval.poverty import fgt
    from kassaki_eval.poverty import SurveyDesign

    df = simulate(n)
    t0 = time.perf_counter()
    design = SurveyDesign(df, weight="weight", strata="kec", psu="psu")
    _ = design.inputs_hash  # provenance hash, computed once per design: counted here
    t_design = time.perf_counter() - t0
    psu_codes, psu_uni = pd.factorize(df["psu"], sort=True)
    kec_of_psu = pd.factorize(df.groupby("psu", sort=True)["kec"].first(), sort=True)[0]
    pw = (df["weight"] * df["hh_size"]).to_numpy()
    y = df["consumption_pc"].to_numpy()

    def kassaki() -> np.ndarray:
        r = fgt(design, "consumption_pc", line=LINE, g=[0, 1, 2], size="hh_size", by="kec",
                total=True)
        return _kassaki_table(r)

    def bare() -> np.ndarray:
        return bare_numpy(psu_codes, kec_of_psu, len(psu_uni), pw, y, LINE)

    cases: dict[str, Any] = {"kassaki": kassaki, "bare numpy": bare}
    t_svy_sample = float("nan")
    try:
        import polars as pl
        import svy
        g = np.where(y < LINE, (LINE - y) / LINE, 0.0)
        sd = df.assign(pw=pw, poor=(y < LINE).astype(float), gap1=g, gap2=g * g)
        t0 = time.perf_counter()
        sample = svy.Sample(pl.from_pandas(sd), svy.Design(stratum="kec", psu="psu", wgt="pw"))
        t_svy_sample = time.perf_counter() - t0

        def svy_case() -> np.ndarray:
            r_all = sample.estimation.mean(["poor", "gap1", "gap2"])
            r_by = sample.estimation.mean(["poor", "gap1", "gap2"], by="kec")
            return _svy_table(r_all, r_by)
        cases["svy"] = svy_case
    except ImportError as e:
        print(f"svy not installed ({e}); skipped")
    if shutil.which("Rscript") is None:
        print("R survey: Rscript not found on this machine; skipped.")
    print(f"\nn = {n:,} households, {design.n_psu} PSUs, {design.n_strata} strata; "
          f"SurveyDesign construction {t_design:.3f} s, svy.Sample construction "
          f"{t_svy_sample:.3f} s (both outside the timed cases)")
    rows = side_by_side(
        f"FGT0/1/2 + SE, overall and by 13 kecamatan, n={n:,}", cases,
        check=lambda ours, theirs: max(_max_rel(ours[..., 0], theirs[..., 0]),
                                       _max_rel(ours[..., 1], theirs[..., 1])),
        repeats=repeats, meta={"n": n, "design_build_s": t_design, "svy_sample_build_s": t_svy_sample})
    for r in rows:
        if r["case"] == "svy" and r.get("max_diff", 0) > 1e-8:
            raise SystemExit(f"svy disagrees with kassaki: max relative diff {r['max_diff']:.2e}")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    for n in args.sizes:
        run(n, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
