"""Design diagnosis: engine (reproducibility, diagnosands, errors counted), the KASSAKI design
on synthetic worlds (fast small run in the default suite; coverage and the bias where
assumptions fail in slow runs), and the CLI.

The slow runs are the "Must show" of issue 6; their measured numbers are in the issue report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.diagnosis import (
    Diagnosis, ProgrammeDesign, diagnose, rd_estimators, selection_estimators,
)
from kassaki_eval.exceptions import ParameterError


class Normal:
    """Toy design: 25 draws from N(mu, 1); the estimand is mu."""

    def __init__(self, mu: float = 0.3):
        self.mu = mu

    def draw(self, rng, index=0):
        return rng.normal(self.mu, 1.0, 25)


def mean_ci(x):
    m, s = x.mean(), x.std(ddof=1) / np.sqrt(x.size)
    return m, m - 2.064 * s, m + 2.064 * s  # t(24) critical value


def biased(x):
    m, s = x.mean() + 1.0, x.std(ddof=1) / np.sqrt(x.size)
    return m, m - 2.064 * s, m + 2.064 * s


def test_engine_diagnosands_and_reproducibility():
    est = {"mean": mean_ci, "biased": biased}
    a = diagnose(est, estimand=lambda x: 0.3, design=Normal(), n_draws=400, seed=1, n_jobs=1,
                 progress=False)
    t = a.table.set_index("estimator")
    # t-interval for a normal mean: exact 95 % coverage; 400 draws -> MCSE 0.011
    assert 0.92 <= t.loc["mean", "coverage"] <= 0.98
    assert abs(t.loc["mean", "bias"]) < 3 * t.loc["mean", "bias_mcse"]
    assert t.loc["biased", "bias"] == pytest.approx(1.0, abs=3 * t.loc["biased", "bias_mcse"])
    # bias = 5 standard errors: coverage = P(|Z + 5| < 2.064) = 0.0017
    assert t.loc["biased", "coverage"] < 0.02
    # rmse^2 = bias^2 + var (population form)
    e = a.draws.query("estimator == 'mean'")["estimate"] - 0.3
    assert t.loc["mean", "rmse"] == pytest.approx(np.sqrt(np.mean(e ** 2)))
    # same seed, different n_jobs: identical draws (SeedSequence.spawn per draw)
    b = diagnose(est, estimand=lambda x: 0.3, design=Normal(), n_draws=400, seed=1, n_jobs=2,
                 progress=False)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    c = diagnose(est, estimand=lambda x: 0.3, design=Normal(), n_draws=400, seed=2, n_jobs=1,
                 progress=False)
    assert not np.allclose(a.draws["estimate"], c.draws["estimate"])
    res = a.to_result()
    assert res.terms == ["mean", "biased"]
    fig = a.plot()
    assert len(fig.axes) == 2


def test_failed_draws_are_counted_not_hidden():
    def flaky(x):
        if x[0] > 1.0:
            raise ValueError("boom")
        return mean_ci(x)
    d = diagnose({"flaky": flaky}, estimand=lambda x: 0.3, design=Normal(), n_draws=100,
                 n_jobs=1, progress=False)
    row = d.table.iloc[0]
    assert 0 < row["n_failed"] < 100
    assert d.draws["error"].str.contains("ValueError: boom").sum() == row["n_failed"]


def test_engine_errors():
    with pytest.raises(ParameterError, match="The 'n_draws' parameter of diagnose"):
        diagnose({"m": mean_ci}, estimand=lambda x: 0, design=Normal(), n_draws=1)
    with pytest.raises(ParameterError, match="The 'estimand' parameter"):
        diagnose({"m": mean_ci}, estimand={"other": lambda x: 0}, design=Normal(), n_draws=5)
    # a wrong return type is an error of every draw, reported with the template
    d = diagnose({"m": lambda x: "nonsense"}, estimand=lambda x: 0, design=Normal(),
                 n_draws=3, n_jobs=1, progress=False)
    assert d.table["n_failed"].iloc[0] == 3
    assert d.draws["error"].str.contains("must return an EstimateResult or a tuple").all()


def test_programme_design_small_run():
    """CI's small version: 4 draws x (4 estimators + RD) on 10 %-scale worlds, in-process
    (the parallel path is exercised by the engine test)."""
    est, truth = selection_estimators()
    rd, rd_truth = rd_estimators()
    est.update(rd)
    truth.update(rd_truth)
    d = diagnose(est, estimand=truth,
                 design=ProgrammeDesign(scale=0.1, regenerate=True, n_villages=40,
                                        households_per_village=60),
                 n_draws=4, seed=5, n_jobs=1, progress=False)
    assert isinstance(d, Diagnosis)
    t = d.table.set_index("estimator")
    # failures are counted, not hidden; at 10 % scale a village dummy can occasionally not
    # be balanced (no comparison household of that village in the sample)
    assert (t["n_failed"] <= 1).all(), d.draws["error"].unique()
    # every draw has its own world: the estimands vary between draws
    assert d.draws.query("estimator == 'aipw'")["estimand"].nunique() == 4
    # the effects are positive and of the world's size (a few log points)
    assert 0.01 < t.loc["aipw", "estimand"] < 0.08
    # RD: the estimand at the cutoff differs from the average over all eligible households
    assert t.loc["rd_at_cutoff", "estimand"] != t.loc["rd_far_from_cutoff", "estimand"]


def test_draw_is_a_weighted_two_stage_sample():
    des = ProgrammeDesign(scale=0.15, regenerate=False, world_seed=9)
    dr = des.draw(np.random.default_rng(0))
    s = dr.sample
    assert s["psu"].nunique() == des.n_villages
    # Hansen-Hurwitz weights estimate the population size without bias: average over draws
    tot = [des.draw(np.random.default_rng(i)).sample["weight"].sum() for i in range(30)]
    assert np.mean(tot) == pytest.approx(len(des.frame), rel=0.05)
    # same seed -> same sample
    pd.testing.assert_frame_equal(s, des.draw(np.random.default_rng(0)).sample)


def test_cli_registers_diagnose(tmp_path):
    from kassaki_eval.cli import build_parser
    args = build_parser().parse_args(["diagnose", "--draws", "3", "--out", str(tmp_path)])
    assert args.command == "diagnose" and args.draws == 3 and callable(args.func)


@pytest.mark.slow
def test_coverage_where_assumptions_hold_and_bias_where_they_fail():
    """Issue 6 Must show, 500 draws of the default world (measured 203 s on 2 busy cores).

    Measured (seed 2024): coverage ipw 0.942, aipw 0.940, entropy balancing 0.954 (MCSE
    0.010); matching 0.976 (the Abadie-Imbens-type variance is conservative). With take-up on
    the unobserved permanent residual (world knob ``selection_unobs = 1``) every estimator is
    biased by ~0.175 log points (MCSE 0.001) and coverage falls to 0."""
    est, truth = selection_estimators()
    d = diagnose(est, estimand=truth, n_draws=500, seed=2024, n_jobs=-1, progress=False)
    t = d.table.set_index("estimator")
    for k in ("ipw", "aipw", "entropy_balancing"):
        assert 0.93 <= t.loc[k, "coverage"] <= 0.97, t
    assert 0.93 <= t.loc["ps_matching", "coverage"] <= 0.99, t
    bad = diagnose(est, estimand=truth, n_draws=200, seed=7, n_jobs=-1, progress=False,
                   world_kwargs={"selection_unobs": 1.0})
    tb = bad.table.set_index("estimator")
    for k in est:
        assert tb.loc[k, "bias"] > 10 * tb.loc[k, "bias_mcse"], tb
        assert tb.loc[k, "coverage"] < 0.5, tb


@pytest.mark.slow
def test_rd_unbiased_at_cutoff_biased_as_an_average_effect():
    """300 draws (seed 11), measured: the RD's robust estimate is unbiased for the ITT at the
    cutoff (bias 0.0001, MCSE 0.0024; coverage 0.970) but overstates the average ITT of all
    eligible households by 0.0077 (3.2 MCSE): take-up and effects grow with education, which
    rises with the PMT score, so households near the cutoff gain more than the poorest."""
    est, truth = rd_estimators()
    d = diagnose(est, estimand=truth, n_draws=300, seed=11, n_jobs=-1, progress=False)
    t = d.table.set_index("estimator")
    assert abs(t.loc["rd_at_cutoff", "bias"]) < 3 * t.loc["rd_at_cutoff", "bias_mcse"], t
    assert 0.93 <= t.loc["rd_at_cutoff", "coverage"] <= 0.99, t
    assert t.loc["rd_far_from_cutoff", "bias"] > 2 * t.loc["rd_far_from_cutoff", "bias_mcse"], t
