"""Reference values for the multiple-cutoff tests in tests/impact/test_rd.py (rdmulti).

Run from the repository root (no R needed; rdmulti is a core dependency):

    .venv/bin/python tests/references/rd/make_rdmulti_refs.py > tests/references/rd/rdmulti_output.txt

Data: ``simdata_multic.csv``, copied unchanged from the rdmulti repository
(github.com/rdpackages/rdmulti, ``Python/simdata_multic.csv``, commit 23b1e7d): 2,000
simulated rows, cutoffs 33 and 66 (column ``c``), running variable ``x``, outcome ``y``,
treated above the cutoff. It is the data of the package's illustration
(``Python/rdmulti_illustration.py``) and of its numerical contract
(``Python/rdmulti/tests/test_numerical_contracts.py``), whose published baseline for
``rdmc(y, x, c)`` is: conventional estimates 484.83090323 (c = 33), 297.98107945 (c = 66),
398.91490949 (weighted), 436.40049184 (pooled); bandwidths 14.6619828, 11.9522678,
13.6840172 (pooled); effective n 149 | 140, 120 | 126, pooled 273 | 277; weights
0.54018692, 0.45981308. ``tests/impact/test_rd.py`` checks ``rd_multi_cutoff`` against
those published numbers and against what this script prints.

This script calls ``rdmulti.rdmc`` directly (not through kassaki_eval): (1) the default
call; (2) with weights ``w = 0.8 + 0.4 u`` (u uniform, seed 12) for every cutoff and the
pooled fit, clustered by ``g = row // 20``, ``p = 2`` at every cutoff and pooled.
"""
from __future__ import annotations

import contextlib
import io
import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from rdmulti import rdmc

HERE = Path(__file__).resolve().parent


def unbox(v):
    # rdmulti 2.0.0 stores most outputs as 1-tuples
    return v[0] if isinstance(v, tuple) else v


def summary(r) -> dict:
    return {"B": unbox(r.B).to_numpy().ravel().tolist(),
            "V": unbox(r.V).to_numpy().ravel().tolist(),
            "Coefs": unbox(r.Coefs).to_numpy().ravel().tolist(),
            "CI_low": unbox(r.CI).to_numpy()[0].tolist(),
            "CI_high": unbox(r.CI).to_numpy()[1].tolist(),
            "Pv": unbox(r.Pv).to_numpy().ravel().tolist(),
            "H_left": unbox(r.H).to_numpy()[0].tolist(),
            "Nh_left": unbox(r.Nh).to_numpy()[0].tolist(),
            "Nh_right": unbox(r.Nh).to_numpy()[1].tolist(),
            "W": np.asarray(unbox(r.W)).ravel().tolist()}


def main() -> dict:
    d = pd.read_csv(HERE / "simdata_multic.csv")
    y, x, c = d["y"].to_numpy(), d["x"].to_numpy(), d["c"].to_numpy(dtype=float)
    out: dict = {"rdmulti": version("rdmulti"), "rdrobust": version("rdrobust")}
    print(f"rdmulti {out['rdmulti']}, rdrobust {out['rdrobust']}")
    print("\n### rdmc(y, x, c)")
    r = rdmc(y, x, c)
    out["default"] = summary(r)
    w = 0.8 + 0.4 * np.random.default_rng(12).uniform(size=len(d))
    g = np.arange(len(d)) // 20
    cl = np.unique(c)
    print("\n### rdmc(y, x, c, weights w, cluster g, p = 2; pooled likewise)")
    with contextlib.redirect_stdout(io.StringIO()) as buf:
        r2 = rdmc(y, x, c, pvec=np.repeat(2, cl.size), cluster=g,
                  weightsvec=np.tile(w[:, None], (1, cl.size)),
                  pooled_opt="p=2, cluster=cluster, weights=weightsvec[:, 0]")
    print(buf.getvalue())
    out["weighted_cluster_p2"] = summary(r2)
    out["weighted_cluster_p2"]["weights_seed"] = 12
    (HERE / "rdmulti_refs.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
