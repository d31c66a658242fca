"""The library's plot functions draw on a pyplot figure and never switch the caller's backend.

Five of them called ``matplotlib.use("Agg", force=False)``. In a JupyterLab notebook that
switched the inline backend to Agg for the rest of the session: that call's figure and every
later ``plt.plot`` cell showed nothing (tutorial 04's RD plot had no image). They now leave the
backend alone, and every function, targeting/plots.py's included (they built a bare
``matplotlib.figure.Figure``, which a notebook does not show), draws on a pyplot figure, as
statsmodels' plots do, so ``plot_x(...);`` in a notebook shows it. Checked here for every
public plot function, with a stand-in ``matplotlib.use`` that records any call; the notebook
side is checked on the tutorials' outputs (tests/docs/test_tutorials.py).
"""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from kassaki_eval.diagnosis import diagnose
from kassaki_eval.impact.balance import balance_table, love_plot, overlap_plot
from kassaki_eval.impact.eventstudy import plot_event_study
from kassaki_eval.impact.rd import rd_plot
from kassaki_eval.poverty.measures import plot_incidence_curve
from kassaki_eval.poverty.sae import plots as sae_plots
from kassaki_eval.results import EstimateResult
from kassaki_eval.targeting.plots import performance_triangle, targeting_curve

VILLAGES = pd.DataFrame({
    "village_code": ["73.10.05.2001", "73.10.05.2002", "73.10.02.2001"],
    "name": list("ABC"), "kecamatan": ["Bungoro", "Bungoro", "Pulau"],
    "zone": ["mainland", "mainland", "island"], "measure": "p0",
    "estimate": [0.1, 0.3, 0.2], "method": ["FH", "FH", "synthetic"],
    "reliability": ["reliable", "caution", "reliable"], "direct": [0.12, 0.28, np.nan],
})


class _Normal:
    def draw(self, rng, index=0):
        return rng.normal(0.0, 1.0, 10)


def _mean_ci(x):
    m, s = x.mean(), x.std(ddof=1) / np.sqrt(x.size)
    return m, m - 2 * s, m + 2 * s


def _balance_data():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=200)})
    df["d"] = (rng.uniform(size=200) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    return df


def _rd_data():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 400)
    return pd.DataFrame({"x": x, "y": x + (x > 0) + rng.normal(0, 0.3, 400)})


def _event_study():
    td = pd.DataFrame({"term": ["e=-1", "e=0", "e=1"], "event_time": [-1, 0, 1],
                       "estimate": [0.0, 0.1, 0.2], "std_error": 0.05, "n_obs": 30,
                       "p_value": np.nan,
                       "conf_low": [-0.15, -0.05, 0.05], "conf_high": [0.15, 0.25, 0.35],
                       "pw_low": [-0.1, 0.0, 0.1], "pw_high": [0.1, 0.2, 0.3]})
    return EstimateResult(td, method="event_study", own_intervals=True, extras={})


CASES = {
    "plot_incidence_curve": lambda: plot_incidence_curve(pd.DataFrame(
        {"group": "all", "line": [1.0, 2.0], "p0": [0.1, 0.2], "conf_low": [0.05, 0.1],
         "conf_high": [0.15, 0.3]})),
    "love_plot": lambda: love_plot(balance_table(_balance_data(), treatment="d",
                                                 covariates=["x"])),
    "overlap_plot": lambda: overlap_plot(_balance_data(), treatment="d", covariates=["x"],
                                         bins=5),
    "rd_plot": lambda: rd_plot(_rd_data(), y="y", running="x", treated_side="above", p=1),
    "plot_event_study": lambda: plot_event_study(_event_study()).figure,
    "Diagnosis.plot": lambda: diagnose({"mean": _mean_ci}, estimand=lambda x: 0.0,
                                       design=_Normal(), n_draws=20, seed=1, n_jobs=1,
                                       progress=False).plot(),
    "plot_village_map": lambda: sae_plots.plot_village_map("RESULT"),
    "plot_direct_vs_model": lambda: sae_plots.plot_direct_vs_model("RESULT"),
    "targeting_curve": lambda: targeting_curve(pd.DataFrame(
        {"consumption_pc": [6, 8, 11, 15, 21, 25], "pmt": [7, 5, 12, 20, 14, 30]}),
        {"PMT": "pmt"}, poverty_line=20, weight=None),
    "performance_triangle": lambda: performance_triangle(
        {"A": {"coverage": 0.6, "incidence": 0.3, "generosity": 0.1}}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_plot_draws_a_pyplot_figure_and_keeps_the_backend(name, monkeypatch):
    calls = []
    monkeypatch.setattr(matplotlib, "use", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setattr(sae_plots, "village_table", lambda result, measure=None: VILLAGES)
    monkeypatch.setattr(sae_plots, "BOUNDARY_FILE", "no_such_file.gpkg")  # the schematic map
    before = set(plt.get_fignums())
    backend = matplotlib.get_backend()
    fig = CASES[name]()
    try:
        assert isinstance(fig, Figure) and len(fig.axes) >= 1
        assert calls == []  # no backend switch
        assert matplotlib.get_backend() == backend
        # one new figure, known to pyplot: a notebook's inline backend shows it
        assert set(plt.get_fignums()) - before == {fig.number}
    finally:
        plt.close(fig)
