"""AIPW and matching against maintained peers, and the per-draw cost of the design diagnosis.

- AIPW (ATT/ATE) vs DoubleML's ``DoubleMLIRM`` given the same nuisance predictions (so both
  compute the same number: agreement checked to 1e-8 relative) and vs DoubleML fitting its own
  cross-fitted nuisances (the usual way to call it; agreement not expected to rounding).
- PS matching (1-NN with replacement, ATT) vs scikit-learn's bare NearestNeighbors on the
  same score (the matching step alone, no variance): the lower bound of our cost.
- One draw of the design diagnosis (4 selection estimators on one survey of the default
  world).

Data: NSW treated + CPS-1 controls (16,177 rows), tests/references/matching/.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import side_by_side

REF = Path(__file__).resolve().parents[1] / "tests" / "references" / "matching"
COV = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


def data() -> pd.DataFrame:
    nsw = pd.read_csv(REF / "nsw_dw.csv")
    cps = pd.read_csv(REF / "cps1.csv")
    return pd.concat([nsw[nsw.treat == 1], cps], ignore_index=True)


def bench_aipw(df: pd.DataFrame, repeats: int) -> None:
    from kassaki_eval.impact import aipw
    ours = aipw(df, y="re78", treatment="treat", covariates=COV, estimand="ATT")
    ex = ours.extras

    def doubleml_same():
        import doubleml as dml
        from sklearn.linear_model import LinearRegression, LogisticRegression
        d = dml.DoubleMLData(df, y_col="re78", d_cols="treat", x_cols=COV)
        m = dml.DoubleMLIRM(d, ml_g=LinearRegression(), ml_m=LogisticRegression(), n_folds=2,
                            score="ATTE", trimming_threshold=1e-12)
        m.fit(external_predictions={"treat": {"ml_g0": ex["m0"][:, None],
                                              "ml_g1": ex["m1"][:, None],
                                              "ml_m": ex["propensity"][:, None]}})
        return float(m.coef[0])

    def doubleml_crossfit():
        import doubleml as dml
        from sklearn.linear_model import LinearRegression, LogisticRegression
        d = dml.DoubleMLData(df, y_col="re78", d_cols="treat", x_cols=COV)
        m = dml.DoubleMLIRM(d, ml_g=LinearRegression(),
                            ml_m=LogisticRegression(penalty=None, max_iter=5000),
                            n_folds=5, score="ATTE", trimming_threshold=1e-12)
        m.fit()
        return float(m.coef[0])

    side_by_side(
        f"AIPW ATT, NSW + CPS-1 ({len(df)} rows, {len(COV)} covariates)",
        {"kassaki": lambda: aipw(df, y="re78", treatment="treat", covariates=COV,
                                 estimand="ATT")["ATT"],
         "doubleml (same nuisances)": doubleml_same,
         "doubleml (5-fold crossfit)": doubleml_crossfit},
        check=lambda a, b: abs(a - b) / abs(a), repeats=repeats)


def bench_matching(df: pd.DataFrame, repeats: int) -> None:
    from sklearn.neighbors import NearestNeighbors

    from kassaki_eval.impact import ps_matching, propensity_score
    ps = propensity_score(df, treatment="treat", covariates=COV, estimand="ATT").to_numpy()
    lg = np.log(ps / (1 - ps))
    d = df.treat.to_numpy() == 1
    y = df.re78.to_numpy()

    def bare():
        nn = NearestNeighbors(n_neighbors=1).fit(lg[~d][:, None])
        _, idx = nn.kneighbors(lg[d][:, None])
        return float(np.mean(y[d] - y[~d][idx[:, 0]]))

    side_by_side(
        f"PS matching ATT (1-NN, replacement), {len(df)} rows",
        {"kassaki": lambda: ps_matching(df, y="re78", treatment="treat", covariates=COV)["ATT"],
         "bare sklearn NN (no SE, no logit fit)": bare},
        check=lambda a, b: abs(a - b) / abs(a), repeats=repeats)


def bench_draw(repeats: int) -> None:
    from kassaki_eval.diagnosis import ProgrammeDesign, selection_estimators
    des = ProgrammeDesign()
    des.frame  # build the world outside the timing
    est, _ = selection_estimators()
    rng = np.random.default_rng(0)

    def one():
        dr = des.draw(rng)
        return [est[k](dr)[("ATT")] for k in est]

    side_by_side("one diagnosis draw: survey + 4 selection estimators (default world)",
                 {"kassaki": one}, repeats=repeats)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    df = data()
    bench_aipw(df, args.repeats)
    bench_matching(df, args.repeats)
    bench_draw(args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
