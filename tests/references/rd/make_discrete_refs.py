"""Reference values for the discrete-running-variable tests in tests/impact/test_rd.py.

Run from the repository root (no R needed; rdrobust and rddensity are core dependencies):

    .venv/bin/python tests/references/rd/make_discrete_refs.py > tests/references/rd/discrete_output.txt

Data: the senate RD file (``rdrobust_senate.csv``, see README.md) with the running variable
made discrete on purpose: ``margin_floor = floor(margin)`` (whole percentage points; the
sign, hence the side of the cutoff, is unchanged: -0.3 -> -1, 0.3 -> 0). 69 distinct values
on the left, 90 on the right among the 1,297 rows with an outcome, so rdrobust detects mass
points (1 - distinct/n >= 0.2 on both sides).

rdrobust (its own code, called directly, not through kassaki_eval) with
``masspoints="adjust"`` (rdrobust's default) and ``"off"``, and rddensity with
``massPoints=True`` / ``False``; the printed summaries and the numbers stored in
``discrete_refs.json`` are what the tests compare with (tolerance 1e-8 relative: same code,
so anything but rounding would be a wrapper bug: a wrong side, sign, option or row).
"""
from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import rdrobust
from rddensity import rddensity

HERE = Path(__file__).resolve().parent


def main() -> dict:
    s = pd.read_csv(HERE / "rdrobust_senate.csv")
    x = np.floor(s["margin"].to_numpy())
    y = s["vote"].to_numpy()
    ok = ~np.isnan(y)
    print(f"rdrobust {version('rdrobust')}, rddensity {version('rddensity')}")
    print(f"distinct values left/right (rows with vote): {np.unique(x[ok][x[ok] < 0]).size} / "
          f"{np.unique(x[ok][x[ok] >= 0]).size}")
    out: dict = {"rdrobust": version("rdrobust"), "rddensity": version("rddensity"),
                 "running": "floor(margin)", "outcome": "vote", "cutoff": 0}
    for mp in ("adjust", "off"):
        print(f"\n### rdrobust(vote, floor(margin), c=0, masspoints={mp!r})")
        r = rdrobust.rdrobust(y, x, c=0, masspoints=mp)
        print(r)
        out[f"rdrobust_{mp}"] = {
            "coef": np.asarray(r.coef).ravel().tolist(),
            "se": np.asarray(r.se).ravel().tolist(),
            "ci_low": np.asarray(r.ci)[:, 0].tolist(), "ci_high": np.asarray(r.ci)[:, 1].tolist(),
            "pv": np.asarray(r.pv).ravel().tolist(),
            "h": np.asarray(r.bws)[0].tolist(), "b": np.asarray(r.bws)[1].tolist(),
            "N_h": [int(v) for v in r.N_h]}
    for mp in (True, False):
        print(f"\n### rddensity(floor(margin), c=0, massPoints={mp})")
        d = rddensity(x, c=0, massPoints=mp)
        print(d.test.to_string())
        out[f"rddensity_massPoints_{mp}"] = {"t_jk": float(d.test["t_jk"]),
                                             "p_jk": float(d.test["p_jk"]),
                                             "diff": float(d.hat["diff"]),
                                             "h_left": float(d.h["left"]),
                                             "h_right": float(d.h["right"])}
    (HERE / "discrete_refs.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
