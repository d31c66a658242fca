"""Complementary suppression survives subtraction: an attack on every suppressed cell.

The attack (tests/reporting/attack.py) solves two linear programs per suppressed cell over all
published numbers and totals. Without complementary suppression a lone suppressed kecamatan is
recovered exactly (so the attack can succeed); with it, none is.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from attack import System, attack

from kassaki_eval import reference
from kassaki_eval.reporting.blocks import Table
from kassaki_eval.reporting.disclosure import complementary, partitions, suppress_small_cells

K = 10


def _kec_table() -> tuple[pd.DataFrame, pd.DataFrame]:
    """13 kecamatan of Pangkep with household counts; exactly one (mainland) below k."""
    kec = reference.kecamatan()[["kec_kemendagri", "kecamatan", "zone"]].rename(
        columns={"kec_kemendagri": "kec_code"})
    rng = np.random.default_rng(3)
    n = rng.integers(12, 60, len(kec))
    n[kec.index[kec["zone"] == "mainland"][2]] = 4          # the lone small cell
    weight = np.round(n * rng.uniform(8, 20, len(kec)))
    t = kec.assign(n_hh=n, hh_weighted=weight, pop_share=weight / weight.sum())
    zones = t.groupby("zone")[["n_hh", "hh_weighted", "pop_share"]].sum().reset_index()
    return t, zones


def _system(pub: pd.DataFrame, zones: pd.DataFrame) -> System:
    s = System()
    cols = ("n_hh", "hh_weighted", "pop_share")
    for r in pub.itertuples(index=False):
        for c in cols:
            s.value((c, r.kec_code), getattr(r, c))
    for c in cols:
        s.total([(c, k) for k in pub["kec_code"]], float(zones[c].sum()))       # district
        for z in zones.itertuples(index=False):                                   # zone totals
            s.total([(c, k) for k in pub.loc[pub["zone"] == z.zone, "kec_code"]], getattr(z, c))
    return s


def _recovered(res: dict, tol: float = 0.5) -> list:
    return [u for u, (lo, hi) in res.items() if hi - lo < (tol if u[0] != "pop_share" else 1e-6)]


def test_without_complementary_suppression_the_lone_cell_is_recovered():
    t, zones = _kec_table()
    pub = suppress_small_cells(t, count_col="n_hh", k=K, complementary_suppression=False)
    assert int(pub["suppressed"].sum()) == 1
    rec = _recovered(attack(_system(pub, zones)))
    assert len(rec) == 3  # n_hh, hh_weighted and pop_share of the lone kecamatan: exact
    lone = t.loc[t["n_hh"] == 4, "kec_code"].item()
    assert {u[1] for u in rec} == {lone}


def test_with_complementary_suppression_nothing_is_recovered():
    t, zones = _kec_table()
    pub = suppress_small_cells(t, count_col="n_hh", k=K)
    assert int(pub["suppressed"].sum()) == 2
    # the partner is the smallest other kecamatan of the same zone
    main = t[t["zone"] == "mainland"].sort_values(["n_hh", "kec_code"])
    assert set(pub.loc[pub["suppressed"], "kec_code"]) == set(main["kec_code"].head(2))
    res = attack(_system(pub, zones))
    assert len(res) == 6 and _recovered(res) == []


def test_partitions_use_reference_zone_when_the_table_has_none():
    t, _ = _kec_table()
    part = partitions(t.drop(columns="zone"))
    assert part is not None and set(part) == {"island", "mainland"}


def test_complementary_is_deterministic_and_iterates():
    # two partitions; ties broken by key; a partition with all rows suppressed stays so
    sup = complementary(np.array([3, 20, 20, 5, 30]), np.array([1, 0, 0, 0, 0], bool),
                        ["a", "a", "a", "b", "b"], ["k1", "k3", "k2", "k4", "k5"])
    assert sup.tolist() == [True, False, True, False, False]


def test_table_build_applies_it():
    t, _ = _kec_table()
    tab = Table.build("poverty_kecamatan", t, title_key="x", k=K, count_col="n_hh")
    assert tab.n_suppressed == 2
