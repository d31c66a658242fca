"""The few-(un)treated-clusters warning of did_2x2 and twfe counts both sides (session 12).

MacKinnon & Webb (2017, 2018): cluster-robust inference (CR1 and the wild bootstrap) is fragile
with at most 2 treated or at most 2 untreated clusters. A cluster holding villages of both
groups is on both sides. Before session 12 both estimators counted "untreated" as "clusters
without any treated observation": 20 kecamatan, each with treated and control villages, gave
the false alarm "0 untreated cluster(s) of 20"; and twfe with ``inference='wild'`` passed the
unit-demeaned (not 0/1) treatment column to the bootstrap, so 2 treated clusters of 20 gave no
warning at all.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import EstimationWarning
from kassaki_eval.impact import did_2x2, twfe
from kassaki_eval.inference import few_clusters_warning, wild_cluster_bootstrap

_TAIL = ("(MacKinnon & Webb 2017: with so few {s} clusters neither CR1 nor the wild bootstrap "
         "is reliable).")
_WILD_TAIL = ("(MacKinnon & Webb 2017: with so few {s} clusters the wild cluster bootstrap is "
              "unreliable; the restricted bootstrap under-rejects, the unrestricted over-rejects; "
              "report the p-value as descriptive or use randomisation inference over clusters).")


def _panel(kind: str) -> pd.DataFrame:
    """20 clusters x 6 units x 2 periods.

    kind="mixed": units 0-2 of every cluster treated (every cluster on both sides);
    "two_treated": clusters 0-1 treated; "two_control": clusters 0-1 control.
    """
    rng = np.random.default_rng(1)
    rows = []
    for c in range(20):
        for u in range(6):
            g = {"mixed": int(u < 3), "two_treated": int(c < 2), "two_control": int(c >= 2)}[kind]
            for t in (0, 1):
                rows.append({"cl": c, "unit": f"{c}-{u}", "g": g, "post": t,
                             "y": rng.normal() + 0.5 * g * t})
    d = pd.DataFrame(rows)
    d["D"] = d["g"] * d["post"]
    return d


def _run(d: pd.DataFrame) -> list[str]:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        did_2x2(d, y="y", group="g", post="post", cluster="cl")
        did_2x2(d, y="y", group="g", post="post", cluster="cl", inference="wild", B=99, seed=1)
        twfe(d, y="y", unit="unit", time="post", treat="D", cluster="cl")
        twfe(d, y="y", unit="unit", time="post", treat="D", cluster="cl", inference="wild",
             B=99, seed=1)
    return [str(r.message) for r in rec if issubclass(r.category, EstimationWarning)]


def test_clusters_with_both_groups_are_not_zero_untreated_clusters():
    assert _run(_panel("mixed")) == []


@pytest.mark.parametrize("kind, side", [("two_treated", "treated"),
                                        ("two_control", "untreated")])
def test_two_clusters_on_one_side_warn_in_every_path(kind, side):
    msgs = _run(_panel(kind))
    head = f"2 {side} cluster(s) of 20 "
    assert msgs == [
        "did_2x2: fragile inference: " + head + _TAIL.format(s=side),
        "wild_cluster_bootstrap: fragile inference: " + head + _WILD_TAIL.format(s=side),
        "twfe: fragile inference: " + head + _TAIL.format(s=side),
        "wild_cluster_bootstrap: fragile inference: " + head + _WILD_TAIL.format(s=side),
    ]


def test_twfe_staggered_comparison_is_untreated_rows_of_treated_periods():
    """Staggered roll-out, 14 clusters: clusters 0-11 treated from period 2, 12-13 from period 3.

    In period 2 clusters 12-13 are the comparison (not yet treated); in period 3 nobody is
    untreated. Pre-period rows (period 1, nobody treated) are not comparison rows, so the
    comparison side is 2 clusters even though every cluster has untreated rows.
    """
    rng = np.random.default_rng(2)
    rows = []
    for c in range(14):
        start = 2 if c < 12 else 3
        for u in range(3):
            for t in (1, 2, 3):
                rows.append({"cl": c, "unit": f"{c}-{u}", "t": t, "D": int(t >= start),
                             "y": rng.normal()})
    d = pd.DataFrame(rows)
    with pytest.warns(EstimationWarning) as rec:
        twfe(d, y="y", unit="unit", time="t", treat="D", cluster="cl")
    assert [str(r.message) for r in rec] == [
        "twfe: fragile inference: 2 untreated cluster(s) of 14 " + _TAIL.format(s="untreated")]
    # one more not-yet-treated cluster (3 of 14): no warning
    d.loc[(d["cl"] == 11) & (d["t"] == 2), "D"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        twfe(d, y="y", unit="unit", time="t", treat="D", cluster="cl")


def test_few_clusters_warning_n_untreated_and_ties():
    # both sides given: 20 clusters, 20 treated, 20 untreated (mixed clusters): no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        few_clusters_warning("o", 20, 20, 20)
        few_clusters_warning("o", 20, 3, 3)
    # the untreated side from n_untreated, not G - n_treated (which is 0 here)
    with pytest.warns(EstimationWarning) as rec:
        few_clusters_warning("o", 20, 20, 1)
    assert str(rec[0].message) == ("o: fragile inference: 1 untreated cluster(s) of 20 "
                                   + _TAIL.format(s="untreated"))
    # a tie names the treated side
    with pytest.warns(EstimationWarning) as rec:
        few_clusters_warning("o", 20, 2, 2)
    assert str(rec[0].message) == ("o: fragile inference: 2 treated cluster(s) of 20 "
                                   + _TAIL.format(s="treated"))
    # default n_untreated = G - n_treated, as before
    with pytest.warns(EstimationWarning, match=r"^o: fragile inference: 2 untreated cluster\(s\) "
                                               r"of 20 "):
        few_clusters_warning("o", 20, 18)


def test_wild_cluster_bootstrap_cluster_sides_override_the_column_count():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(16), 10)
    x = (g < 2).astype(float)                         # 2 treated clusters by the column
    X = np.column_stack([np.ones(g.size), x])
    y = x + rng.normal(size=g.size)
    with pytest.warns(EstimationWarning, match=r"2 treated cluster\(s\) of 16 "):
        r0 = wild_cluster_bootstrap(y, X, g, 1, B=99, seed=1)
    assert r0.n_treated_clusters == 2
    # told that 16 clusters hold treated and 16 comparison units: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r1 = wild_cluster_bootstrap(y, X, g, 1, B=99, seed=1, cluster_sides=(16, 16))
    assert r1.n_treated_clusters == 16 and r1.p_value == r0.p_value
    # told 16 treated and 1 untreated: the untreated side is named
    with pytest.warns(EstimationWarning, match=r"fragile inference: 1 untreated cluster\(s\) "
                                               r"of 16 \(MacKinnon"):
        wild_cluster_bootstrap(y, X, g, 1, B=99, seed=1, cluster_sides=(16, 1))
