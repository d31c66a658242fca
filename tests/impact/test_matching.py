"""Propensity-score matching: LaLonde / Dehejia-Wahba NSW with CPS-1 controls, Abadie-Imbens
standard errors, caliper and replacement options, clear errors.

Sources and tolerances: tests/references/matching/README.md.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import IdentificationError, ParameterError, SchemaError
from kassaki_eval.impact import ps_matching

REF = Path(__file__).resolve().parents[1] / "references" / "matching"
# Dehejia & Wahba (1999, Table 2 notes / 2002): propensity specification for the CPS sample
DW_COV = ["age", "age2", "age3", "educ", "educ2", "marr", "nodegree", "black", "hisp",
          "re74", "re75", "u74", "u75", "educ_re74"]


@pytest.fixture(scope="module")
def nsw_cps() -> pd.DataFrame:
    nsw = pd.read_csv(REF / "nsw_dw.csv")
    cps = pd.read_csv(REF / "cps1.csv")
    df = pd.concat([nsw[nsw.treat == 1], cps], ignore_index=True)
    df = df.assign(age2=df.age ** 2, age3=df.age ** 3, educ2=df.educ ** 2,
                   u74=(df.re74 == 0).astype(int), u75=(df.re75 == 0).astype(int),
                   educ_re74=df.educ * df.re74)
    return df


def test_dehejia_wahba_cps_matching_recovers_experimental_benchmark(nsw_cps):
    """LaLonde (1986): against CPS-1 controls the naive difference is -$8,498; Dehejia &
    Wahba (1999, 2002): PS matching recovers the experimental $1,794 (s.e. 633). Our 1-NN
    matching with replacement on their specification: within one of its s.e. of $1,794."""
    df = nsw_cps
    naive = df.re78[df.treat == 1].mean() - df.re78[df.treat == 0].mean()
    assert naive == pytest.approx(-8498, abs=1)
    r = ps_matching(df, y="re78", treatment="treat", covariates=DW_COV, k=1, replace=True)
    est, se = r["ATT"], r.std_errors["ATT"]
    assert abs(est - 1794) < se
    assert 500 < se < 1500
    # matched comparison: a few hundred distinct CPS men out of 15,992
    assert r.tidy()["n_matched_controls"].iloc[0] < 185


def test_options_change_the_match(nsw_cps):
    df = nsw_cps
    base = ps_matching(df, y="re78", treatment="treat", covariates=DW_COV)
    k5 = ps_matching(df, y="re78", treatment="treat", covariates=DW_COV, k=5)
    nore = ps_matching(df, y="re78", treatment="treat", covariates=DW_COV, replace=False)
    assert k5.tidy()["n_matched_controls"].iloc[0] > base.tidy()["n_matched_controls"].iloc[0]
    # without replacement every treated has its own control
    assert nore.tidy()["n_matched_controls"].iloc[0] == 185
    m = nore.extras["matches"][:, 0]
    assert len(np.unique(m[m >= 0])) == (m >= 0).sum()
    tight = ps_matching(df, y="re78", treatment="treat", covariates=DW_COV, caliper=0.001)
    assert tight.provenance.dropped.get("no match within caliper", 0) > 0


def _sim(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=n)
    d = (rng.uniform(size=n) < 1 / (1 + np.exp(1 - x))).astype(int)
    y = x + d * (1 + 0.5 * x) + rng.normal(size=n)
    return pd.DataFrame({"x": x, "d": d, "y": y})


def test_matching_recovers_att_and_ate():
    """Large sample: ATT = 1 + 0.5 E[x | d = 1], ATE = 1 (sample versions)."""
    df = _sim(20_000, np.random.default_rng(8))
    att = 1 + 0.5 * df.x[df.d == 1].mean()
    ate = 1 + 0.5 * df.x.mean()
    for est, truth in (("ATT", att), ("ATE", ate)):
        r = ps_matching(df, y="y", treatment="d", covariates=["x"], estimand=est, k=4)
        lo, hi = r.conf_int(alpha=0.001).iloc[0]
        assert lo < truth < hi, est


@pytest.mark.slow
def test_abadie_imbens_coverage_monte_carlo():
    """Coverage of the 95 % interval over 300 samples of 1,000 (seed 2024; measured ATT 0.953,
    ATE 0.943): ATE (AI 2006 variance, conservative with an estimated score; AI 2016) in
    [0.93, 0.99]; ATT in [0.90, 0.99] (the AI 2016 correction for the estimated score, not
    applied, can go either way for the ATT: 0.92 in a 200-sample run with n = 2,000, a
    covariate shift and survey weights during development)."""
    rng = np.random.default_rng(2024)
    cover = {"ATT": [], "ATE": []}
    for _ in range(300):
        df = _sim(1000, rng)
        for est in cover:
            r = ps_matching(df, y="y", treatment="d", covariates=["x"], estimand=est, k=1)
            truth = (1 + 0.5 * df.x[df.d == 1].mean()) if est == "ATT" else 1 + 0.5 * df.x.mean()
            lo, hi = r.conf_int().iloc[0]
            cover[est].append(lo <= truth <= hi)
    assert 0.93 <= np.mean(cover["ATE"]) <= 0.99
    assert 0.90 <= np.mean(cover["ATT"]) <= 0.99


def test_error_non_binary_and_no_overlap():
    df = _sim(300, np.random.default_rng(1))
    with pytest.raises(SchemaError, match="must be binary"):
        ps_matching(df.assign(d=df.d * 3), y="y", treatment="d", covariates=["x"])
    sep = df.assign(s=df.d.astype(float))
    with pytest.raises(IdentificationError, match="no overlap"):
        ps_matching(sep, y="y", treatment="d", covariates=["x", "s"])


def test_error_parameters():
    df = _sim(300, np.random.default_rng(1))
    with pytest.raises(ParameterError, match="The 'k' parameter of ps_matching must be"):
        ps_matching(df, y="y", treatment="d", covariates=["x"], k=0)
    with pytest.raises(ParameterError, match="The 'replace' parameter"):
        ps_matching(df, y="y", treatment="d", covariates=["x"], estimand="ATE", replace=False)
    with pytest.raises(ParameterError, match="The 'caliper' parameter"):
        ps_matching(df, y="y", treatment="d", covariates=["x"], caliper=-1)
