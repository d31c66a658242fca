"""Produce the reference files of tests/impact/test_weighting.py and test_matching.py.

Run from the repository root with the peers installed:

    .venv/bin/python tests/references/matching/make_refs.py

1. Copies the NSW (Dehejia-Wahba subsample) and CPS-1 comparison data shipped by the
   ``causaldata`` package (version recorded below) to CSV, unchanged.
2. Runs DoubleML's interactive regression model (``DoubleMLIRM``) for the ATE and the ATT
   ("ATTE") in two ways and stores coefficient and standard error in ``doubleml_aipw.json``:
   a. with external nuisance predictions (``fit(external_predictions=...)``) equal to the
      linear-by-arm outcome model and logit propensity that ``kassaki_eval.impact.aipw``
      fits on the full sample: this isolates the score and its variance, which must agree to
      rounding (the only difference: DoubleML divides the variance by n, we by n - 1);
   b. with DoubleML's own 5-fold cross-fitting of sklearn's LinearRegression and an
      unpenalised LogisticRegression (seed 42): the nuisance fits differ by cross-fitting, so
      the estimates agree only to a fraction of a standard error.
"""
from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


def copy_data() -> None:
    from causaldata import cps_mixtape, nsw_mixtape
    nsw = nsw_mixtape.load_pandas().data
    cps = cps_mixtape.load_pandas().data
    nsw.to_csv(HERE / "nsw_dw.csv", index=False)
    cps.to_csv(HERE / "cps1.csv", index=False)


def doubleml_refs() -> dict:
    import doubleml as dml
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from kassaki_eval.impact import aipw
    df = pd.read_csv(HERE / "nsw_dw.csv")
    out: dict = {"data": "nsw_dw.csv (445 rows: 185 treated, 260 experimental controls)",
                 "covariates": COVARIATES, "doubleml": version("DoubleML"),
                 "scikit-learn": version("scikit-learn")}
    for score, estimand in (("ATE", "ATE"), ("ATTE", "ATT")):
        ours = aipw(df, y="re78", treatment="treat", covariates=COVARIATES, estimand=estimand)
        ex = ours.extras
        data = dml.DoubleMLData(df, y_col="re78", d_cols="treat", x_cols=COVARIATES)
        # a. same nuisances as ours
        m = dml.DoubleMLIRM(data, ml_g=LinearRegression(), ml_m=LogisticRegression(),
                            n_folds=2, score=score, trimming_threshold=1e-12)
        preds = {"treat": {"ml_g0": np.asarray(ex["m0"])[:, None],
                           "ml_g1": np.asarray(ex["m1"])[:, None],
                           "ml_m": np.asarray(ex["propensity"])[:, None]}}
        m.fit(external_predictions=preds)
        out[f"{estimand}_external"] = {"coef": float(m.coef[0]), "se": float(m.se[0])}
        # b. DoubleML's own cross-fitting
        np.random.seed(42)
        m2 = dml.DoubleMLIRM(data, ml_g=LinearRegression(),
                             ml_m=LogisticRegression(penalty=None, max_iter=5000),
                             n_folds=5, score=score, trimming_threshold=1e-12)
        m2.fit()
        out[f"{estimand}_crossfit"] = {"coef": float(m2.coef[0]), "se": float(m2.se[0])}
    return out


if __name__ == "__main__":
    copy_data()
    refs = doubleml_refs()
    refs["causaldata"] = version("causaldata")
    (HERE / "doubleml_aipw.json").write_text(json.dumps(refs, indent=2) + "\n")
    print(json.dumps(refs, indent=2))
