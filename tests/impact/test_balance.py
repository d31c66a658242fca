"""Balance table (before/after), exports, love and overlap plots, trimming table."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from kassaki_eval.exceptions import ParameterError  # noqa: E402
from kassaki_eval.impact import (  # noqa: E402
    balance_table, entropy_balancing, ipw, love_plot, overlap_plot, ps_matching, trimming_table,
)

REF = Path(__file__).resolve().parents[1] / "references" / "matching"
COV = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def nsw_cps() -> pd.DataFrame:
    nsw = pd.read_csv(REF / "nsw_dw.csv")
    cps = pd.read_csv(REF / "cps1.csv")
    return pd.concat([nsw[nsw.treat == 1], cps], ignore_index=True)


def test_smd_by_hand():
    """SMD = (m1 - m0) / sqrt((v1 + v0) / 2), population variances, survey-weighted."""
    df = pd.DataFrame({"d": [1, 1, 1, 0, 0, 0, 0], "x": [1.0, 2, 3, 0, 1, 1, 2],
                       "w": [1.0, 1, 2, 1, 1, 1, 1]})
    bt = balance_table(df, treatment="d", covariates=["x"], weights="w").table.iloc[0]
    m1 = (1 + 2 + 6) / 4
    v1 = (1 * (1 - m1) ** 2 + (2 - m1) ** 2 + 2 * (3 - m1) ** 2) / 4
    m0, v0 = 1.0, 0.5
    assert bt["mean_treated"] == pytest.approx(m1)
    assert bt["smd"] == pytest.approx((m1 - m0) / np.sqrt((v1 + v0) / 2))
    assert bt["var_ratio"] == pytest.approx(v1 / v0)


def test_adjustment_improves_balance_on_nsw_cps(nsw_cps, tmp_path):
    before = balance_table(nsw_cps, treatment="treat", covariates=COV)
    assert before.max_abs_smd(adjusted=False) > 1.0  # CPS men differ hugely from NSW trainees
    eb = entropy_balancing(nsw_cps, y="re78", treatment="treat", covariates=COV)
    after = balance_table(nsw_cps, treatment="treat", covariates=COV, adjusted=eb)
    assert after.max_abs_smd() < 1e-5  # entropy balancing matches means exactly
    m = ps_matching(nsw_cps, y="re78", treatment="treat", covariates=COV)
    # 1-NN matching on an 8-covariate score: imbalance falls at least five-fold
    # (max |SMD| 1.75 -> 0.31 when written), not to zero
    mb = balance_table(nsw_cps, treatment="treat", covariates=COV, adjusted=m)
    assert mb.max_abs_smd() < before.max_abs_smd(adjusted=False) / 5
    # exports like iebaltab
    assert before.to_csv(tmp_path / "b.csv").exists()
    x = after.to_excel(tmp_path / "b.xlsx")
    assert pd.read_excel(x, sheet_name="balance").shape[0] == len(COV)
    assert "\\begin{tabular}" in after.to_latex(tmp_path / "b.tex")
    fig = love_plot(after)
    assert len(fig.axes[0].collections) == 2
    fig2 = overlap_plot(result=m)
    assert len(fig2.axes[0].patches) > 0


def test_trimming_table_counts(nsw_cps):
    t = trimming_table(nsw_cps, treatment="treat", covariates=COV)
    assert list(t["rule"]) == ["crump", "crump_fixed", "minmax"]
    assert (t["n_dropped"] == t["n_dropped_treated"] + t["n_dropped_control"]).all()
    # most CPS men have propensities near 0: the [0.1, 0.9] rule drops thousands of them
    fixed = t.set_index("rule").loc["crump_fixed"]
    assert fixed["n_dropped_control"] > 10_000
    # and the estimator drops the same number of rows
    r = ipw(nsw_cps, y="re78", treatment="treat", covariates=COV, trim="crump_fixed")
    trimmed = [v for k, v in r.provenance.dropped.items() if k.startswith("trimmed")]
    assert trimmed == [int(fixed["n_dropped"])]


def test_errors():
    df = pd.DataFrame({"d": [0, 1, 0, 1], "x": [1.0, 2, 3, 4]})
    with pytest.raises(ParameterError, match="one weight per row"):
        balance_table(df, treatment="d", covariates=["x"], adjusted=np.ones(3))
    with pytest.raises(ParameterError, match="The 'result' parameter of overlap_plot"):
        overlap_plot()
