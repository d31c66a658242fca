"""Registry scoring and quota selection: tie rule, quotas, stability, errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import NotFittedError, ParameterError, SchemaError
from kassaki_eval.targeting import (OLSPMT, assign_desil, pmt_target, rank_scores, score_registry,
                                    select_quota)


def _toy(sizes: list[int], rng: np.random.Generator, ties: bool = True) -> pd.DataFrame:
    n = sum(sizes)
    score = rng.normal(13, 0.4, n)
    if ties:  # coarse scores force many ties, so the family_id rule is exercised
        score = np.round(score, 1)
    return pd.DataFrame({
        "family_id": [f"F{i:06d}" for i in rng.permutation(10 * n)[:n]],
        "village_code": np.repeat([f"73.10.01.{2001 + i}" for i in range(len(sizes))], sizes),
        "score": score,
    })


def test_rank_tie_rule_is_score_then_family_id():
    # scores 2, 1, 1, 1: the three tied at 1 are ordered by id F1 < F3 < F9
    r = rank_scores([2.0, 1.0, 1.0, 1.0], ["F5", "F9", "F1", "F3"])
    assert r.tolist() == [3, 2, 0, 1]


def test_desil_cut_points():
    # 20 families: ranks 0-1 -> desil 1, ..., ranks 18-19 -> desil 10 (floor(10 * rank / 20) + 1)
    assert assign_desil(np.arange(20)).tolist() == [d for d in range(1, 11) for _ in range(2)]
    # 7 families: floor(10 * r / 7) + 1 = 1, 2, 3, 5, 6, 8, 9
    assert assign_desil(np.arange(7)).tolist() == [1, 2, 3, 5, 6, 8, 9]


def test_quota_random_cases_never_exceed_and_are_order_free():
    rng = np.random.default_rng(2024)
    for case in range(60):
        sizes = rng.integers(1, 40, rng.integers(1, 12)).tolist()
        df = _toy(sizes, rng, ties=case % 2 == 0)
        slots = {f"73.10.01.{2001 + i}": int(rng.integers(0, s + 1)) for i, s in enumerate(sizes)}
        sel = select_quota(df, slots=slots)
        got = sel.beneficiaries.groupby("village_code").size()
        for v, q in slots.items():
            assert got.get(v, 0) == q  # exactly the quota, never more
        # the selected are the lowest by (score, family_id) inside each village
        df2 = df.assign(sel=sel.selected)
        for v, g in df2.groupby("village_code"):
            g = g.sort_values(["score", "family_id"])
            assert g["sel"].tolist() == [True] * slots[v] + [False] * (len(g) - slots[v])
        # shuffling rows changes nothing
        shuffled = df.sample(frac=1.0, random_state=int(rng.integers(1e9)))
        sel2 = select_quota(shuffled, slots=slots)
        pd.testing.assert_frame_equal(sel.beneficiaries, sel2.beneficiaries)
        assert sel2.selected.sum() == sel.selected.sum()


def test_budget_allocation():
    rng = np.random.default_rng(5)
    df = _toy([30, 50, 20], rng, ties=False)
    # Rp10m / Rp450k = 22.2 -> 22 transfers; sizes 30/50/20 -> exact 6.6/11/4.4 -> 7/11/4
    sel = select_quota(df, budget=10_000_000, transfer=450_000)
    assert sel.quotas["slots"].tolist() == [7, 11, 4]
    assert sel.n_selected == 22
    assert (sel.beneficiaries["transfer"] == 450_000).all()
    # 'rank' allocation = a district-wide ranking of the 22 poorest
    by_rank = select_quota(df, budget=10_000_000, transfer=450_000, allocation="rank")
    district = select_quota(df, by=None, slots=22)
    assert set(by_rank.beneficiaries.family_id) == set(district.beneficiaries.family_id)
    # per-village budgets
    per = select_quota(df, budget={"73.10.01.2001": 1_000_000, "73.10.01.2002": 449_999}, transfer=450_000)
    assert per.quotas["slots"].tolist() == [2, 0, 0]


def test_clear_errors():
    rng = np.random.default_rng(1)
    df = _toy([5, 3], rng)
    with pytest.raises(ParameterError, match="must buy at least one transfer of Rp450,000. Got Rp400,000"):
        select_quota(df, budget=400_000, transfer=450_000)
    with pytest.raises(ParameterError, match=r"73\.10\.01\.2002: 4 slots for 3 families"):
        select_quota(df, slots={"73.10.01.2001": 2, "73.10.01.2002": 4})
    with pytest.raises(ParameterError, match="unknown"):
        select_quota(df, slots={"73.10.99.9999": 1})
    with pytest.raises(ParameterError, match="exclusive"):
        select_quota(df, slots=1, budget=1e6, transfer=1e5)
    with pytest.raises(SchemaError, match="raw identifiers"):
        select_quota(df.assign(nik_head="x"), slots=1)
    with pytest.raises(SchemaError, match="duplicated"):
        select_quota(pd.concat([df, df.head(1)]), slots=1)


def test_beneficiary_lists_carry_pseudonymous_ids_only():
    rng = np.random.default_rng(3)
    df = _toy([6, 4], rng).assign(head_age=40, pmt_extra=1.0)
    lists = select_quota(df, slots=2).lists()
    assert sorted(lists) == ["73.10.01.2001", "73.10.01.2002"]
    for v in lists.values():
        assert list(v.columns) == ["family_id", "rank_in_group"]
        assert v["rank_in_group"].tolist() == [1, 2]


def test_score_registry_with_fitted_pmt(toy_survey, toy_registry):
    y = pmt_target(toy_survey.consumption_pc)
    m = OLSPMT()
    with pytest.raises(NotFittedError):
        score_registry(toy_registry, m)
    m.fit(toy_survey, y, sample_weight=toy_survey.weight)
    sc = score_registry(toy_registry, m)
    assert list(sc.columns) == ["family_id", "village_code", "kec_code", "score", "rank", "desil"]
    np.testing.assert_allclose(sc["score"], m.predict(toy_registry))
    assert sorted(sc["rank"]) == list(range(1, len(sc) + 1))
    assert sc.groupby("desil").size().tolist() == [len(sc) // 10] * 10
    # desil 1 holds the lowest scores
    assert sc.loc[sc.desil == 1, "score"].max() <= sc.loc[sc.desil == 2, "score"].min()
    per_kec = score_registry(toy_registry, m, within="kec_code")
    assert per_kec.groupby("kec_code")["rank"].min().eq(1).all()
    with pytest.raises(SchemaError, match="head_sector"):
        score_registry(toy_registry.drop(columns=["head_sector"]), m)
    shuffled = toy_registry.sample(frac=1, random_state=0)
    a = sc.set_index("family_id").sort_index()
    b = score_registry(shuffled, m).set_index("family_id").sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_kecamatan_quota_and_bad_slots():
    rng = np.random.default_rng(8)
    df = _toy([10, 10, 10], rng).assign(kec_code=["73.10.01"] * 20 + ["73.10.02"] * 10)
    sel = select_quota(df, by="kec_code", slots={"73.10.01": 5, "73.10.02": 2})
    assert sel.quotas.set_index("kec_code")["selected"].to_dict() == {"73.10.01": 5, "73.10.02": 2}
    with pytest.raises(ParameterError, match="'slots' parameter of select_quota must be a non-negative integer"):
        select_quota(df, slots=-1)
    with pytest.raises(ParameterError, match="'slots' parameter"):
        select_quota(df, slots=1.5)
    with pytest.raises(ParameterError, match="'transfer' parameter"):
        select_quota(df, budget=1e6, transfer=0)
    with pytest.raises(ParameterError, match="at most one transfer per registered family"):
        select_quota(df, budget=31 * 1e5, transfer=1e5)
