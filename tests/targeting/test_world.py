"""Targeting on the synthetic Pangkep world, against its known truth.

- The registry desil's errors estimated on the 2023 survey (household level, poverty-line
  benchmark, selected = desil 1-4, unregistered = not selected) cover the world's true
  population errors (``world.truth["targeting"]``, row ``registry_desil_1to4``) with their
  95 % design-based CIs.
- A PMT refitted on the 2023 survey, scoring the registry, beats the registry's own ranking
  out of sample (families not in the survey) on exclusion error at equal budget (the same
  number of families selected), against the true 2023 poverty of the population.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.targeting import (BoostingPMT, LassoPMT, OLSPMT, QuantilePMT, compare_rules, pmt_target,
                                    score_registry, select_quota, targeting_accuracy, validate_pmt)

LINE_2023 = reference.poverty_line(2023)
# our term -> the world's truth column (definitions in kassaki_eval.targeting.metrics)
TERMS = {"inclusion_error": "inclusion_error", "exclusion_error": "exclusion_error",
         "inclusion_error_nontarget": "inclusion_error_nonpoor", "mistargeting": "mistargeting"}


@pytest.fixture(autouse=True)
def _one_thread():
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):  # boosting's OpenMP threads thrash on a shared 2-core machine
        yield


@pytest.fixture(scope="module")
def survey23(world) -> pd.DataFrame:
    s = world.survey[world.survey["year"] == 2023].reset_index(drop=True)
    return s.assign(selected=(s["desil"].fillna(99) <= 4).astype(int))


def test_registry_desil_errors_cover_the_truth(world, survey23):
    res = targeting_accuracy(survey23, poverty_line=LINE_2023, benchmarks=("poverty_line",))
    t = res.tidy()
    t = t[(t.by == "all") & (t.benchmark == "poverty_line")].set_index("term")
    truth = world.truth["targeting"].set_index("benchmark").loc["registry_desil_1to4"]
    for ours, theirs in TERMS.items():
        row = t.loc[ours]
        assert row.conf_low <= truth[theirs] <= row.conf_high, (ours, row.estimate, row.std_error, truth[theirs])
        assert 0 < row.std_error < 0.05
    # and the breakdowns exist with their own CIs
    full = targeting_accuracy(survey23, poverty_line=LINE_2023).tidy()
    groups = set(zip(full.by, full.group))
    assert {("zone", "island"), ("zone", "mainland"), ("head_sex", "F"), ("head_sex", "M")} <= groups


def _out_of_sample_errors(world, survey23, model, budgets):
    """Exclusion error of the registry ranking and of ``model`` among families not surveyed."""
    reg = world.registry
    pop = world.population[world.population["year"] == 2023]
    y = pmt_target(survey23["consumption_pc"])
    model.fit(survey23, y, sample_weight=survey23["weight"])
    scored = score_registry(reg, model)
    oos = ~reg["family_id"].isin(survey23["family_id"].dropna()).to_numpy()
    cons = pop.set_index("family_id").loc[reg["family_id"], "consumption_pc"].to_numpy()
    poor_reg = cons < LINE_2023
    # every poor household outside the sample counts, registered or not
    n_poor = int(((pop["consumption_pc"] < LINE_2023) & ~pop["hh_id"].isin(survey23["hh_id"])).sum())
    out = []
    for K in budgets(reg, oos, n_poor):
        sub = reg.loc[oos].assign(score=reg.loc[oos, "pmt_score"].to_numpy())
        registry_sel = select_quota(sub, by=None, slots=K).selected
        ours_sel = select_quota(scored.loc[oos], by=None, slots=K).selected
        ee_reg = 1 - (poor_reg[oos] & registry_sel).sum() / n_poor
        ee_pmt = 1 - (poor_reg[oos] & ours_sel).sum() / n_poor
        out.append((K, ee_reg, ee_pmt))
    return out


def _budgets(reg, oos, n_poor):
    # equal budget 1: as many families as the registry's desil 1-4; 2: as many as the poor
    return [int((reg.loc[oos, "desil"] <= 4).sum()), n_poor]


def test_refitted_pmt_beats_registry_out_of_sample(world, survey23):
    for K, ee_reg, ee_pmt in _out_of_sample_errors(world, survey23, OLSPMT(), _budgets):
        # measured at seed 2024: K=30,870: 0.197 vs 0.163; K=8,236: 0.600 vs 0.556
        assert ee_pmt < ee_reg - 0.02, (K, ee_reg, ee_pmt)


@pytest.mark.slow
@pytest.mark.parametrize("model", [QuantilePMT(poverty_line=LINE_2023), LassoPMT(alpha=0.001), BoostingPMT()],
                         ids=lambda m: type(m).__name__)
def test_every_pmt_beats_registry_out_of_sample(world, survey23, model):
    for K, ee_reg, ee_pmt in _out_of_sample_errors(world, survey23, model, _budgets):
        assert ee_pmt < ee_reg, (K, ee_reg, ee_pmt)


def test_survey_side_comparison_with_cis(survey23):
    """Design-based view on the survey: out-of-fold PMT vs desil at the same weighted coverage."""
    y = pmt_target(survey23["consumption_pc"])
    val = validate_pmt(OLSPMT(), survey23, y, sample_weight=survey23["weight"], scheme="kfold",
                       n_splits=5, poverty_line=LINE_2023)
    oof = val.extras["oof_prediction"]
    r2 = val.tidy().set_index(["term", "fold"]).loc[("r2", "all"), "estimate"]
    assert 0.3 < r2 < 0.7  # the world is calibrated to an in-sample PMT R² of about 0.5
    w = survey23["weight"].to_numpy()
    cover = np.sum(w * survey23["selected"]) / w.sum()
    order = np.argsort(oof, kind="stable")
    sel = np.zeros(len(oof), int)
    sel[order[np.cumsum(w[order]) / w.sum() <= cover]] = 1
    both = survey23.assign(pmt_selected=sel)
    a = targeting_accuracy(both, selected="selected", poverty_line=LINE_2023, by=(), deciles=False).tidy()
    b = targeting_accuracy(both, selected="pmt_selected", poverty_line=LINE_2023, by=(), deciles=False).tidy()
    pick = lambda t: t[(t.term == "exclusion_error") & (t.benchmark == "poverty_line")].iloc[0]
    assert pick(b).estimate < pick(a).estimate


def test_rules_under_one_budget_on_the_world(survey23):
    s = survey23
    y = pmt_target(s["consumption_pc"])
    # out-of-fold PMT scores (5-fold), so the PMT is not judged on the households it was fitted on
    oof = validate_pmt(OLSPMT(), s, y, sample_weight=s["weight"], n_splits=5).extras["oof_prediction"]
    from kassaki_eval.targeting import demographic_scorecard
    rules = {"registry desil": s["desil"].astype("float").to_numpy(), "PMT (OLS)": oof,
             "demographic": demographic_scorecard(s), "universal": "universal"}
    budget = 30_000 * 150_000.0  # 30,000 families x Rp150k a month
    res = compare_rules(s, rules, budget=budget, transfer=150_000, poverty_line=LINE_2023)
    t = res.tidy().set_index(["rule", "term"])["estimate"]
    for r in rules:
        assert t[(r, "budget_spent")] == pytest.approx(1.0)
        assert t[(r, "fgt0_change")] <= 0
    assert t[("PMT (OLS)", "fgt1_change")] < t[("universal", "fgt1_change")]
    assert t[("PMT (OLS)", "poorest10_reached")] > t[("demographic", "poorest10_reached")]


@pytest.mark.slow
def test_registry_desil_cis_over_ten_worlds():
    """Seeds 1-10: the survey's CIs cover the population truth and the z-scores centre on 0.

    Measured (seeds 1-15, when written): mean z -0.15 / -0.04 / 0.01 / 0.00 for inclusion,
    exclusion, Alatas inclusion and mistargeting; 59 of 60 intervals covered. The z spread is
    below 1 (0.6-0.7 for the inclusion-type terms) because the world's survey takes about 75
    of the 103 villages and the with-replacement linearisation ignores that sampling fraction:
    the intervals are conservative, never too narrow on average.
    """
    from kassaki_eval.synthetic.world import generate_world
    zs = []
    for seed in range(1, 11):
        w = generate_world(seed=seed)
        s = w.survey[w.survey["year"] == 2023].reset_index(drop=True)
        s = s.assign(selected=(s["desil"].fillna(99) <= 4).astype(int))
        t = targeting_accuracy(s, poverty_line=LINE_2023, benchmarks=("poverty_line",), by=(),
                               deciles=False).tidy()
        t = t[t.benchmark == "poverty_line"].set_index("term")
        truth = w.truth["targeting"].set_index("benchmark").loc["registry_desil_1to4"]
        zs.append({a: (truth[b] - t.loc[a, "estimate"]) / t.loc[a, "std_error"] for a, b in TERMS.items()})
    z = pd.DataFrame(zs)
    assert (z.abs() <= 1.96).to_numpy().mean() >= 0.9
    assert (z.mean().abs() < 0.75).all(), z.mean()
