"""More wildboottest reference outputs (issue 18, mutation testing of inference/core.py).

Run from the repository root with the peers installed:

    .venv/bin/python tests/references/inference/make_more_refs.py > tests/references/inference/more_refs_output.txt

Writes:
- ``draw_refs.csv``: ``weights_type, g, b, value``: ``wildboottest.weights.draw_weights(t,
  False, 4, 5, np.random.default_rng(11))`` for the four weight types (random draws, no
  enumeration): kassaki-eval's ``draw_wild_weights(4, 5, t, seed=11)`` must give the same matrix.
- ``wild_more_refs.csv``: ``case, impose_null, pval_type, t_stat, p_value``: WildboottestCL on
  ``wild_data.csv`` (``y ~ 1 + x1 + d``, ``H0: beta_d = 0``, clusters ``g15``, Rademacher,
  B = 999, seed 42), restricted (WCR11) and unrestricted (WCU11), each p-value type.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
warnings.filterwarnings("ignore")


def main() -> None:
    from importlib.metadata import version
    from wildboottest.weights import draw_weights
    from wildboottest.wildboottest import WildboottestCL
    rows = []
    for t in ("rademacher", "webb", "mammen", "norm"):
        v, _ = draw_weights(t, False, 4, 5, np.random.default_rng(11))
        for g in range(4):
            for b in range(5):
                rows.append({"weights_type": t, "g": g, "b": b, "value": float(v[g, b])})
    pd.DataFrame(rows).to_csv(HERE / "draw_refs.csv", index=False, float_format="%.17g")
    df = pd.read_csv(HERE / "wild_data.csv")
    X = np.column_stack([np.ones(len(df)), df["x1"], df["d"]])
    rows = []
    for impose in (True, False):
        for pt in ("two-tailed", "equal-tailed", ">", "<"):
            boot = WildboottestCL(X=X, Y=df["y"].to_numpy(), cluster=df["g15"].to_numpy(),
                                  R=np.array([0.0, 0.0, 1.0]), B=999, seed=42, parallel=False)
            boot.get_scores(bootstrap_type="11", impose_null=impose, adj=True, cluster_adj=True)
            boot.get_weights(weights_type="rademacher")
            boot.get_numer(); boot.get_denom(); boot.get_tboot(); boot.get_vcov(); boot.get_tstat()
            boot.get_pvalue(pval_type=pt)
            rows.append({"case": "g15_rademacher_B999", "impose_null": impose, "pval_type": pt,
                         "t_stat": float(np.ravel(boot.t_stat)[0]),
                         "p_value": float(boot.pvalue)})
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "wild_more_refs.csv", index=False, float_format="%.17g")
    print(f"wildboottest {version('wildboottest')}")
    print(out.to_string())


if __name__ == "__main__":
    main()
