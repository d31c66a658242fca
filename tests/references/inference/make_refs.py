"""Reference outputs for the wild cluster bootstrap (wildboottest, pyfixest) and for BH.

Run from the repository root with the peers installed:

    .venv/bin/python tests/references/inference/make_refs.py

Writes:
- ``wild_data.csv``: a deterministic test data set (numpy seed 20240627): 1,200 observations
  in 15 clusters (``g15``) and the same rows grouped into 8 clusters (``g8``), regressors
  ``x1`` (continuous), ``d`` (cluster-level 0/1 treatment) and outcome ``y`` with a cluster
  effect.
- ``wild_refs.csv``: ``case, package, t_stat, p_value, B`` from
  ``wildboottest.wildboottest.WildboottestCL`` (WCR11, ``seed`` as given) and from
  ``pyfixest.feols(...).wildboottest`` (which calls the same class on its model matrix). With
  8 clusters and B = 999, 2^8 = 256 < B: both enumerate all sign vectors.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
warnings.filterwarnings("ignore")


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(20240627)
    n = 1200
    g15 = rng.integers(0, 15, n)
    g8 = g15 % 8
    d = (g15 % 2).astype(float)
    x1 = rng.normal(size=n)
    y = 1.0 + 0.5 * x1 + 0.45 * d + rng.normal(size=15)[g15] * 0.4 + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x1": x1, "d": d, "g15": g15, "g8": g8})


CASES = [
    # name, cluster, weights_type, B, seed
    ("g15_rademacher_B9999", "g15", "rademacher", 9999, 123),
    ("g15_webb_B9999", "g15", "webb", 9999, 7),
    ("g15_rademacher_B999", "g15", "rademacher", 999, 42),
    ("g8_rademacher_enum", "g8", "rademacher", 999, 1),
    ("g8_webb_B999", "g8", "webb", 999, 5),
]


def main() -> None:
    from wildboottest.wildboottest import WildboottestCL
    import pyfixest as pf
    df = make_data()
    df.to_csv(HERE / "wild_data.csv", index=False, float_format="%.17g")
    X = np.column_stack([np.ones(len(df)), df["x1"], df["d"]])
    rows = []
    for name, cl, wt, B, seed in CASES:
        boot = WildboottestCL(X=X, Y=df["y"].to_numpy(), cluster=df[cl].to_numpy(),
                              R=np.array([0.0, 0.0, 1.0]), B=B, seed=seed, parallel=False)
        boot.get_scores(bootstrap_type="11", impose_null=True, adj=True, cluster_adj=True)
        _, Bused, enum = boot.get_weights(weights_type=wt)
        boot.get_numer(); boot.get_denom(); boot.get_tboot(); boot.get_vcov(); boot.get_tstat()
        boot.get_pvalue(pval_type="two-tailed")
        rows.append({"case": name, "package": "wildboottest", "t_stat": float(np.ravel(boot.t_stat)[0]),
                     "p_value": float(boot.pvalue), "B": int(Bused)})
        fit = pf.feols("y ~ x1 + d", data=df, vcov={"CRV1": cl})
        r = fit.wildboottest(param="d", reps=B, seed=seed, weights_type=wt, parallel=False)
        rows.append({"case": name, "package": "pyfixest", "t_stat": float(r["t value"]),
                     "p_value": float(r["Pr(>|t|)"]), "B": int(B)})
    pd.DataFrame(rows).to_csv(HERE / "wild_refs.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
