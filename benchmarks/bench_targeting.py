"""Score and select a 1M-family registry: kassaki-eval beside plain scikit-learn + pandas.

Both sides use the *same* fitted PMT (an OLS PMT fitted on the synthetic world's 2023
survey). The registry is the world's registry tiled to ``--size`` families with fresh
pseudonymous ids (floor area jittered by a 5 % log-normal factor so copies are not exact ties). The quota is 25 % of the families of every village.

- ``kassaki``: ``score_registry`` (validated predict, district rank with the tie rule, desil)
  + ``select_quota`` (per-village quota, validated, beneficiary table).
- ``sklearn+pandas``: the fitted scikit-learn pipeline's own ``predict`` + a plain pandas
  ``groupby(...).rank(method="first")`` selection.
- ``predict only``: the fitted pipeline's ``predict`` alone (the model's own cost).

Agreement: the number of families selected by one side and not the other (must be 0).
The goal (issue 4): our total time within 2x of the plain version.

Run: ``python -m benchmarks.bench_targeting [--size 1000000] [--repeats 3]``
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from benchmarks._harness import side_by_side


def _data(size: int) -> tuple[pd.DataFrame, object, dict[str, int]]:
    from kassaki_eval import reference
    from kassaki_eval.synthetic.world import generate_world
    from kassaki_eval.targeting import OLSPMT, pmt_target

    w = generate_world(seed=2024)
    s = w.survey[w.survey["year"] == 2023]
    pmt = OLSPMT().fit(s, pmt_target(s["consumption_pc"]), sample_weight=s["weight"])
    base = w.registry
    reps = int(np.ceil(size / len(base)))
    reg = pd.concat([base] * reps, ignore_index=True).iloc[:size].copy()
    # fresh unique ids in random order (so ties cannot be resolved by row order by accident)
    rng = np.random.default_rng(1)
    # copies of a family differ a little in floor area, as real families do (no exact ties)
    reg["floor_area_pc"] = reg["floor_area_pc"].to_numpy() * rng.lognormal(0.0, 0.05, size)
    reg["family_id"] = pd.array([f"F{i:09d}" for i in rng.permutation(size)], dtype="str")
    counts = reg.groupby("village_code").size()
    quota = (counts * 0.25).astype(int).to_dict()
    del reference
    return reg, pmt, quota


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args, _ = ap.parse_known_args(argv)
    from kassaki_eval.targeting import score_registry, select_quota

    reg, pmt, quota = _data(args.size)
    feats = pmt.features_
    pipe = pmt.pipeline_

    def ours() -> set:
        scored = score_registry(reg, pmt)
        sel = select_quota(scored, by="village_code", slots=quota)
        return set(sel.beneficiaries["family_id"])

    def plain() -> set:
        pred = pipe.predict(reg[feats])
        df = pd.DataFrame({"family_id": reg["family_id"], "village_code": reg["village_code"], "s": pred})
        r = df.groupby("village_code")["s"].rank(method="first")
        return set(df.loc[r <= df["village_code"].map(quota), "family_id"])

    def predict_only() -> np.ndarray:
        return pipe.predict(reg[feats])

    def check(a: set, b: object) -> float:
        if not isinstance(b, set):
            return 0.0
        return float(len(a ^ b))

    rows = side_by_side(
        f"Targeting: score + select a {args.size:,}-family registry (quota 25 % per village)",
        {"kassaki": ours, "sklearn+pandas": plain, "predict only": predict_only},
        check=check, repeats=args.repeats, meta={"size": args.size, "villages": len(quota)})
    t = {r["case"]: r.get("median_s") for r in rows}
    if None in t.values():
        return 1
    total_ratio = t["kassaki"] / t["sklearn+pandas"]
    over_ours = t["kassaki"] - t["predict only"]
    over_plain = t["sklearn+pandas"] - t["predict only"]
    print(f"\nkassaki / (sklearn predict + pandas selection) = {total_ratio:.2f}x (goal < 2x)")
    print(f"time beyond the model's predict: kassaki {over_ours:.3f} s, plain pandas {over_plain:.3f} s "
          f"({over_ours / max(over_plain, 1e-9):.2f}x); predict itself {t['predict only']:.3f} s")
    diff = next((r["max_diff"] for r in rows if r["case"] == "sklearn+pandas"), None)
    print(f"families selected by one side only: {diff:.0f}")
    ok = total_ratio < 2.0 and diff == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
