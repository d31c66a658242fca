"""eventstudy.py: behaviour areas found open by the seed-21 sample (issue 18, session 12).

- ``event_study``'s documented defaults (``B = 999`` bootstrap draws, ``seed = None``), seen
  in the result's extras and provenance and in the critical value itself (a hand-made
  dynamic aggregation whose sup-t statistic takes two values, 0 and 1, with probability 1/2:
  its 95 % quantile over B draws is 1; ``test_eventstudy_pinned``'s design);
- ``plot_event_study``'s drawing, element by element, on a hand-made event-study table: the
  uniform band (light, 10 wide) and the pointwise whiskers (dark, 1.2 wide) as vertical
  segments at each event time from the table's columns, pre/post dots in their colours, the
  zero line and the treatment line, the figure size when no axes are given.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from kassaki_eval.impact.eventstudy import event_study, plot_event_study  # noqa: E402
from kassaki_eval.results import EstimateResult  # noqa: E402


def _fake_dynamic() -> EstimateResult:
    """Overall row (influence column 0) and one event time e=0 whose influence column is
    (1, 1): n = 2, se = sqrt(2) / 2; every draw's |v1 + v2| / 2 / se is 0 or sqrt 2."""
    psi = np.ones((2, 1))
    full = np.column_stack([np.ones(2), psi])
    se = np.sqrt((full ** 2).sum(0)) / 2
    table = pd.DataFrame({"term": ["ATT", "e=0"], "estimate": [0.5, 0.3], "std_error": se,
                          "n_obs": 2, "event_time": [np.nan, 0.0]})
    return EstimateResult(table, method="cs_dynamic", alpha=0.05,
                          extras={"influence": full, "n_units": 2, "cluster_codes": None,
                                  "n_clusters": None, "base_period": "universal"})


def test_event_study_defaults_are_999_draws_and_no_seed():
    es = event_study(_fake_dynamic())
    assert (es.extras["B"], es.extras["seed"]) == (999, None)
    assert (es.provenance.options["B"], es.provenance.options["seed"]) == (999, None)
    # sup-t statistic 0 or sqrt(2) with probability 1/2: the 95 % quantile is sqrt(2)
    assert es.extras["uniform_critical_value"] == pytest.approx(np.sqrt(2), rel=1e-14)
    se = np.sqrt(2) / 2
    row = es.tidy().iloc[0]
    assert row["conf_low"] == pytest.approx(0.3 - np.sqrt(2) * se, rel=1e-14)
    assert row["conf_high"] == pytest.approx(0.3 + np.sqrt(2) * se, rel=1e-14)


def _table() -> pd.DataFrame:
    return pd.DataFrame({"term": ["e=-2", "e=-1", "e=0", "e=1"],
                         "estimate": [0.1, 0.0, 0.4, 0.6],
                         "std_error": [0.05, np.nan, 0.1, 0.2],
                         "n_obs": 10, "event_time": [-2.0, -1.0, 0.0, 1.0],
                         "p_value": [0.5, np.nan, 0.01, 0.02],
                         "conf_low": [-0.05, np.nan, 0.1, 0.0],
                         "conf_high": [0.25, np.nan, 0.7, 1.2],
                         "pw_low": [0.0, np.nan, 0.2, 0.2],
                         "pw_high": [0.2, np.nan, 0.6, 1.0]})


def test_plot_event_study_draws_every_element():
    es = EstimateResult(_table(), method="event_study", alpha=0.1, own_intervals=True,
                        extras={"pretrend": {"p_value": 0.4321}})
    ax = plot_event_study(es)
    assert tuple(ax.figure.get_size_inches()) == (7.0, 4.0)
    assert ax.get_title() == "Event study (pre-trend test p = 0.43)"
    band, whisk = ax.collections[0], ax.collections[1]
    assert band.get_label() == "90% uniform band" and whisk.get_label() == "pointwise CI"

    def segs(coll):
        return [(s[0, 0], s[0, 1], s[1, 1]) for s in map(np.asarray, coll.get_segments())
                if s.ndim == 2 and np.isfinite(s).all()]
    assert segs(band) == [(-2.0, -0.05, 0.25), (0.0, 0.1, 0.7), (1.0, 0.0, 1.2)]
    assert segs(whisk) == [(-2.0, 0.0, 0.2), (0.0, 0.2, 0.6), (1.0, 0.2, 1.0)]
    assert mcolors.to_hex(band.get_colors()[0]) == mcolors.to_hex("0.8")
    assert mcolors.to_hex(whisk.get_colors()[0]) == mcolors.to_hex("0.3")
    assert band.get_linewidths()[0] == 10 and whisk.get_linewidths()[0] == 1.2
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    pre, post = lines["pre-treatment"], lines["post-treatment"]
    np.testing.assert_array_equal(pre.get_xydata(), [[-2.0, 0.1], [-1.0, 0.0]])
    np.testing.assert_array_equal(post.get_xydata(), [[0.0, 0.4], [1.0, 0.6]])
    assert mcolors.to_hex(pre.get_color()) == mcolors.to_hex("tab:red")
    assert mcolors.to_hex(post.get_color()) == mcolors.to_hex("tab:blue")
    # the zero line (y = 0 across the axes) and the treatment line (x = -0.5), black, 0.8 wide
    zero = [ln for ln in ax.get_lines() if list(ln.get_ydata()) == [0, 0]]
    treat = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [-0.5, -0.5]]
    assert len(zero) == 1 and len(treat) == 1
    for ln in (zero[0], treat[0]):
        assert mcolors.to_hex(ln.get_color()) == "#000000" and ln.get_linewidth() == 0.8
    assert zero[0].get_linestyle() == "-" and treat[0].get_linestyle() == ":"
    plt.close(ax.figure)


def _fake_unsorted(order):
    """Event times -3, -2, -1 (universal base: zero influence), 0, 1 in the row order
    ``order``; fixed influence columns for 8 units; a provenance with input count, used
    count and hash."""
    from kassaki_eval.results import Provenance
    e_all = np.array([-3.0, -2.0, -1.0, 0.0, 1.0])
    est_all = np.array([0.02, -0.01, 0.0, 0.05, 0.08])
    psi_all = np.random.default_rng(3).normal(size=(8, 5))
    psi_all[:, 2] = 0.0
    e, est, psi = e_all[order], est_all[order], psi_all[:, order]
    full = np.column_stack([np.ones(8), psi])
    table = pd.DataFrame({"term": ["ATT"] + [f"e={int(x)}" for x in e],
                          "estimate": [0.06, *est], "std_error": np.sqrt((full ** 2).sum(0)) / 8,
                          "n_obs": 8, "event_time": [np.nan, *e]})
    prov = Provenance(method="cs_dynamic", inputs_hash="abc123", n_input=40, n_used=37)
    res = EstimateResult(table, method="cs_dynamic", alpha=0.05, provenance=prov,
                         extras={"influence": full, "n_units": 8, "cluster_codes": None,
                                 "n_clusters": None, "base_period": "universal"})
    keep = [0, 1, 3, 4]                       # e = -1 dropped, event-time order
    P = psi_all[:, keep]
    return res, est_all[keep], P.T @ P / 64


@pytest.mark.parametrize("restriction", ["relative_magnitudes", "smoothness"])
def test_honest_did_sorts_the_event_times_and_keeps_the_provenance(restriction):
    """honest_did hands HonestDiD the event study ordered by event time (e = -1 dropped) with
    the covariance psi'psi / n^2 in the same order, whatever the row order of the result;
    the provenance keeps the input's hash, input and used row counts."""
    from kassaki_eval.impact.eventstudy import flci_smoothness, honest_did
    from kassaki_eval.impact.honestdid import relative_magnitudes_cs
    res, b, S = _fake_unsorted([4, 1, 3, 0, 2])
    kw = (dict(Mbar=[0.5], grid_points=15) if restriction == "relative_magnitudes"
          else dict(M=[0.01]))
    h = honest_did(res, restriction=restriction, **kw)
    if restriction == "relative_magnitudes":
        direct = relative_magnitudes_cs(b, S, num_pre=2, Mbar=[0.5], l_vec=[0.5, 0.5],
                                        grid_points=15, seed=0).tidy()
    else:
        direct = flci_smoothness(b, S, num_pre=2, M=[0.01], l_vec=[0.5, 0.5]).tidy()
    t = h.tidy()
    for c in ("estimate", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(t[c], direct[c], rtol=1e-10)
    assert h.extras["event_times"] == [-3.0, -2.0, 0.0, 1.0]
    p = h.provenance
    assert (p.inputs_hash, p.n_input, p.n_used) == ("abc123", 40, 37)
