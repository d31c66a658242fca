"""Cost-effectiveness (kassaki_eval.impact.cost).

Reference values are hand arithmetic of the documented rules: a KUR loan costs its lender
``principal x (subsidy x term x mean balance share + default rate)`` with the KMK 317/2023
subsidies (super-mikro 15 % up to Rp10 m, mikro first contract 10 %); grants cost their
amount. The interval of ``C / r`` is the exact image of the effect's interval (monotone map),
so its coverage is the effect's; the synthetic world's truth (``truth['cost']``,
``truth['cost_effectiveness']``) is recovered by the report's route.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import EstimationWarning, ParameterError
from kassaki_eval.impact import (
    CostRules,
    cost_effectiveness,
    cost_per_household,
    cost_table,
    district_persons,
    separability_table,
    verdict_from_survey,
)
from kassaki_eval.results import EstimateResult


def _records() -> pd.DataFrame:
    return pd.DataFrame({
        "record_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
        "family_id": ["F1", "F2", "F3", "F4", None, "F1"],
        "village_code": ["73.10.01.2001"] * 3 + ["73.10.01.2002"] * 3,
        "partner": ["bank_sulselbar", "bank_sulselbar", "semen_tonasa", "bpvp", "unhas",
                    "bank_sulselbar"],
        "component": ["credit", "credit", "csr_sme", "training", "facilitation", "credit"],
        "unit": ["household"] * 4 + ["village", "household"],
        "start_date": ["2024-08-01", "2025-02-01", "2024-09-01", "2025-03-01", "2024-07-01",
                       "2026-01-10"],
        "amount_rp": [5e6, 20e6, 29e6, 3e6, 50e6, 8e6]})


def _effect(est: float, lo: float, hi: float, se: float = 0.004) -> EstimateResult:
    tab = pd.DataFrame([{"term": "attributable_change", "estimate": est, "std_error": se,
                         "p_value": 0.01, "conf_low": lo, "conf_high": hi, "n_obs": 72}])
    return EstimateResult(tab, method="verdict", own_intervals=True)


def test_loans_count_at_their_cost_to_the_lender():
    tab = cost_table(_records(), rules=CostRules(), year=2025).set_index(["partner", "component"])
    # credit: 5 m super-mikro -> 5e6 (0.15*2*0.5 + 0.03) = 900,000; 20 m mikro -> 20e6
    # (0.10*2*0.5 + 0.03) = 2,600,000; the 2026 record is after the report year
    assert tab.loc[("bank_sulselbar", "credit"), "cost_rp"] == pytest.approx(900_000 + 2_600_000)
    assert tab.loc[("bank_sulselbar", "credit"), "amount_rp"] == pytest.approx(25e6)
    assert tab.loc[("bank_sulselbar", "credit"), "households_reached"] == 2
    # csr_sme: 29e6 (0.10*3*0.5 + 0.15) = 8,700,000; grants at their amount
    assert tab.loc[("semen_tonasa", "csr_sme"), "cost_rp"] == pytest.approx(8_700_000)
    assert tab.loc[("bpvp", "training"), "cost_rp"] == pytest.approx(3e6)
    assert tab.loc[("unhas", "facilitation"), "households_reached"] == 0
    assert list(tab["cost_basis"]) == ["loan", "grant", "loan", "grant"]
    # a researcher's other default rate changes the credit cost as the formula says
    hi = cost_table(_records(), rules=CostRules().replace(credit_default_rate=0.10), year=2025)
    hi = hi.set_index(["partner", "component"])
    assert hi.loc[("bank_sulselbar", "credit"), "cost_rp"] == pytest.approx(
        5e6 * 0.25 + 20e6 * 0.20)


def test_cost_per_household_is_an_accounting_ratio():
    tab = cost_table(_records(), year=2025)
    res = cost_per_household(tab)
    td = res.tidy().set_index("term")
    assert td.loc["bank_sulselbar:credit", "estimate"] == pytest.approx(3.5e6 / 2)
    assert np.isnan(td.loc["unhas:facilitation", "estimate"])
    # programme: every cost (facilitation included) over households reached by any component
    assert td.loc["programme", "estimate"] == pytest.approx(tab["cost_rp"].sum() / 4)
    assert td.loc["programme", "conf_low"] == td.loc["programme", "conf_high"]


def test_exact_interval_of_the_ratio_when_the_effect_excludes_zero():
    eff = _effect(-0.02, -0.03, -0.01, se=0.005)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimationWarning)  # no warning when bounded
        res = cost_effectiveness(4e10, eff, persons=300_000)
    td = res.tidy().set_index("term")
    # reduction 2 points (1 to 3): Rp40 bn / 2 = 20 bn per point, interval 40/3 to 40/1
    assert td.loc["cost_per_point", "estimate"] == pytest.approx(2e10)
    assert td.loc["cost_per_point", "conf_low"] == pytest.approx(4e10 / 3)
    assert td.loc["cost_per_point", "conf_high"] == pytest.approx(4e10)
    # delta method: C se / (100 r^2) = 4e10 * 0.005 / (100 * 0.02^2)
    assert td.loc["cost_per_point", "std_error"] == pytest.approx(4e10 * 0.005 / (100 * 4e-4))
    # per person: 0.02 x 300,000 = 6,000 persons lifted
    assert td.loc["cost_per_person_lifted", "estimate"] == pytest.approx(4e10 / 6000)
    assert td.loc["cost_per_person_lifted", "conf_high"] == pytest.approx(4e10 / 3000)
    assert td.loc["cost_per_point", "p_value"] == 0.01  # the effect's
    assert set(td["interval"]) == {"exact"}


def test_unbounded_and_undefined_intervals_warn():
    with pytest.warns(EstimationWarning, match="no upper bound"):
        res = cost_effectiveness(4e10, _effect(-0.01, -0.026, 0.007))
    r = res.tidy().iloc[0]
    assert r["conf_low"] == pytest.approx(4e10 / 2.6) and r["conf_high"] == np.inf
    assert r["interval"] == "unbounded"
    with pytest.warns(EstimationWarning, match="excludes any reduction"):
        res = cost_effectiveness(4e10, _effect(0.01, 0.002, 0.02))
    r = res.tidy().iloc[0]
    assert np.isnan(r["conf_low"]) and np.isnan(r["conf_high"]) and r["interval"] == "undefined"


def test_interval_covers_iff_the_effect_interval_covers():
    """The ratio's interval is the image of the effect's: same coverage, any draw."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        truth = -rng.uniform(0.001, 0.03)
        est = truth + rng.normal(0, 0.01)
        lo, hi = est - 0.0196, est + 0.0196
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            r = cost_effectiveness(1e10, _effect(est, lo, hi)).tidy().iloc[0]
        true_ratio = 1e10 / (-100 * truth)
        covered = bool(r["conf_low"] <= true_ratio <= r["conf_high"])
        assert covered == bool(lo <= truth <= hi)


def test_partner_allocation_adds_up():
    tab = cost_table(_records(), year=2025)
    res = cost_effectiveness(tab, _effect(-0.02, -0.03, -0.01), by="partner")
    td = res.tidy()
    parts = td[(td["measure"] == "cost_per_point") & (td["group"] != "all")]
    whole = td[(td["measure"] == "cost_per_point") & (td["group"] == "all")].iloc[0]
    assert parts["estimate"].sum() == pytest.approx(whole["estimate"])
    assert parts["conf_low"].sum() == pytest.approx(whole["conf_low"])
    assert whole["cost_rp"] == pytest.approx(tab["cost_rp"].sum())


def test_bad_input_is_one_clear_error():
    bad = _records().assign(amount_rp=[1e6, -5, 3, 4, 5, 6])
    with pytest.raises(ParameterError, match="amount_rp.*1 missing or negative"):
        cost_table(bad)
    with pytest.raises(ParameterError, match="'amount_rp'"):
        cost_table(_records().drop(columns="amount_rp"))
    with pytest.raises(ParameterError, match="'credit_default_rate' parameter of CostRules"):
        CostRules(credit_default_rate=1.5)
    with pytest.raises(ParameterError, match="'term' parameter"):
        cost_effectiveness(1.0, _effect(-0.02, -0.03, -0.01), term="ATT")
    with pytest.raises(ParameterError, match="'by' parameter"):
        cost_effectiveness(1.0, _effect(-0.02, -0.03, -0.01), by="partner")


def test_separability(world):
    sep = separability_table(world.rollout).set_index("component")
    # microcredit reaches every programme village from its start: it is the programme
    assert sep.loc["credit", "reason"] == "whole_programme"
    assert not sep["separable"].any()
    # a component running alone in some villages (and not everywhere) is separable
    ro = pd.DataFrame({"village_code": ["a", "a", "b", "b", "c", "c"],
                       "component": ["credit", "training"] * 3,
                       "first_year": [2024, 2024, 0, 2025, 2025, 0]})
    s2 = separability_table(ro).set_index("component")
    assert s2.loc["training", "separable"] and s2.loc["credit", "separable"]
    assert s2.loc["training", "n_villages_alone"] == 1


def test_world_truth_tables_and_report_route_recover_the_truth(world):
    """The world's true costs are the report's cost_table under the default rules; the report's
    cost per point and per person lifted (verdict on the report's panel, costs by partner)
    cover the world's true values within their intervals (full scale, seed 2024)."""
    tc = world.truth["cost"]
    for year in (2024, 2025):
        got = cost_table(world.participation, rules=CostRules(), year=year)
        want = tc[tc["year"] == year]
        m = got.merge(want, on=["partner", "component"], suffixes=("", "_true"))
        assert len(m) == len(got) == len(want)
        np.testing.assert_allclose(m["cost_rp"], m["cost_rp_true"], rtol=1e-12)
        np.testing.assert_array_equal(m["households_reached"], m["households_reached_true"])
    true = world.truth["cost_effectiveness"].set_index("year").loc[2025]
    # the truth table is consistent: total cost over the true reduction of the district P0
    pe = world.truth["programme_effect"].set_index("year").loc[2025]
    assert true["cost_per_point"] == pytest.approx(
        true["cost_rp"] / (-100 * pe["attributable_change"]))
    v = verdict_from_survey(world.survey, year=2025, rollout=world.rollout)
    costs = cost_table(world.participation, year=2025)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        ce = cost_effectiveness(costs, v, by="partner",
                                persons=district_persons(world.survey, year=2025))
    td = ce.tidy()
    allr = td[td["group"] == "all"].set_index("measure")
    for name in ("cost_per_point", "cost_per_person_lifted"):
        lo, hi = allr.loc[name, "conf_low"], allr.loc[name, "conf_high"]
        assert lo <= true[name] <= hi, (name, lo, true[name], hi)
    # persons from the survey weights: within 3 % of the world's true persons
    assert district_persons(world.survey, year=2025) == pytest.approx(true["n_persons"], rel=0.03)


@pytest.mark.slow
def test_world_monte_carlo_coverage_of_cost_effectiveness():
    """12 full-scale worlds (seeds 2000-2011), years 2024 and 2025: coverage of the 95%
    intervals of the cost per point and per person lifted of the true values (24 each).

    The cost is known exactly (same rules as the world's truth), so the cost per point covers
    exactly when the verdict's interval covers (tests/impact/test_verdict.py's Monte Carlo);
    per person adds the survey's estimate of the district's persons. Takes ~2-3 minutes.
    Observed when written: 24/24 for both (coverage 1.00).
    """
    from kassaki_eval.reference import poverty_line
    from kassaki_eval.synthetic.world import generate_world
    lines = {y: poverty_line(y) for y in (2023, 2024, 2025)}
    hits = {"cost_per_point": 0, "cost_per_person_lifted": 0}
    n = 0
    for seed in range(2000, 2012):
        w = generate_world(seed=seed)
        truth = w.truth["cost_effectiveness"].set_index("year")
        for year in (2024, 2025):
            v = verdict_from_survey(w.survey, year=year, lines=lines)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                ce = cost_effectiveness(cost_table(w.participation, year=year), v,
                                        persons=district_persons(w.survey, year=year))
            td = ce.tidy().set_index("measure")
            for name in hits:
                hits[name] += td.loc[name, "conf_low"] <= truth.loc[year, name] \
                    <= td.loc[name, "conf_high"]
            n += 1
    cov = {k: v / n for k, v in hits.items()}
    print("coverage", cov, "n", n)
    # at a true 95 % coverage, fewer than 20 of 24 happens with probability ~0.6 % (binomial)
    assert all(c >= 0.8 for c in cov.values()), cov


def test_no_central_ratio_when_the_estimate_is_no_reduction():
    # change +0.3 points (poverty up), interval -1.2 to +1.8 points: the reduction's interval
    # is [-1.8, 1.2] points, so "at least C / 1.2 per point, or no reduction"; C / (-0.3) is
    # a negative cost per point, which means nothing: no estimate, no standard error
    with pytest.warns(EstimationWarning, match="no upper bound"):
        res = cost_effectiveness(4e10, _effect(0.003, -0.012, 0.018), persons=300_000)
    td = res.tidy().set_index("term")
    for term, scale in (("cost_per_point", 100.0), ("cost_per_person_lifted", 300_000.0)):
        r = td.loc[term]
        assert np.isnan(r["estimate"]) and np.isnan(r["std_error"]), term
        assert r["conf_low"] == pytest.approx(4e10 / (scale * 0.012)) and r["conf_high"] == np.inf
        assert r["interval"] == "unbounded"
