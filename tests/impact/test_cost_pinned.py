"""Cost-effectiveness (kassaki_eval/impact/cost.py) pinned by hand (issue 18, mutation round of
impact/cost.py, helper mutG, session 9).

Sources of the expected values, stated per test: the module docstring's rules (a loan costs
``principal x (subsidy x term x balance share + default rate)``, the KUR subsidy 15 % up to
and including Rp10 m, 10 % above; grants cost their amount; a record counts in its start
year), worked out in the comments; the ratio ``C / (scale r)``, its interval the image of the
effect's interval and its delta-method standard error ``C se / (scale r^2)``, in closed form;
the error and warning texts word for word. Small hand-made inputs only (no world): fast.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import EstimationWarning, ParameterError
from kassaki_eval.impact.cost import (
    COST_SOURCES,
    LOAN_COMPONENTS,
    CostRules,
    cost_effectiveness,
    cost_per_household,
    cost_table,
    district_persons,
    record_costs,
    separability_table,
)
from kassaki_eval.results import EstimateResult, Provenance

# mutmut's trampoline adds stack frames per library call: a warning's stacklevel is checked
# outside mutmut only
_OWN_FRAMES = "MUTANT_UNDER_TEST" not in os.environ


# --------------------------------------------------------------------------------------------
# CostRules
# --------------------------------------------------------------------------------------------
def test_default_rules_and_their_sources():
    r = CostRules()
    assert r.as_dict() == {
        "credit_subsidy_super_mikro": 0.15, "credit_super_mikro_limit_rp": 10_000_000.0,
        "credit_subsidy_mikro": 0.10, "credit_term_years": 2.0, "credit_default_rate": 0.03,
        "csr_subsidy_rate": 0.10, "csr_term_years": 3.0, "csr_default_rate": 0.15,
        "mean_balance_share": 0.5}
    assert all(type(v) is float for v in CostRules(credit_term_years=2).as_dict().values())
    assert set(COST_SOURCES) == set(r.as_dict())
    assert LOAN_COMPONENTS == ("credit", "csr_sme")


def test_loan_cost_share_by_hand():
    """credit: 0.15 x 2 x 0.5 + 0.03 = 0.18 up to and including Rp10 m, 0.10 x 2 x 0.5 + 0.03 =
    0.13 above; csr_sme: 0.10 x 3 x 0.5 + 0.15 = 0.30 for any amount (same shape)."""
    r = CostRules()
    got = r.loan_cost_share("credit", np.array([1e6, 10e6, 10e6 + 1, 50e6]))
    np.testing.assert_allclose(got, [0.18, 0.18, 0.13, 0.13], rtol=1e-15)
    got = r.loan_cost_share("csr_sme", np.array([[1e6, 2e6]]))
    assert got.shape == (1, 2)
    np.testing.assert_allclose(got, 0.30, rtol=1e-15)
    # amounts are read as numbers (a list of texts too)
    np.testing.assert_allclose(r.loan_cost_share("credit", ["10000000", "20000000"]),
                               [0.18, 0.13], rtol=1e-15)
    # every rule enters: 0.2 x 4 x 0.25 + 0.01 = 0.21 (<= 5 m), 0.05 x 4 x 0.25 + 0.01 = 0.06
    o = CostRules(credit_subsidy_super_mikro=0.2, credit_super_mikro_limit_rp=5e6,
                  credit_subsidy_mikro=0.05, credit_term_years=4, credit_default_rate=0.01,
                  csr_subsidy_rate=0.3, csr_term_years=2, csr_default_rate=0.02,
                  mean_balance_share=0.25)
    np.testing.assert_allclose(o.loan_cost_share("credit", [5e6, 6e6]), [0.21, 0.06], rtol=1e-14)
    # csr: 0.3 x 2 x 0.25 + 0.02 = 0.17
    np.testing.assert_allclose(o.loan_cost_share("csr_sme", [1.0]), [0.17], rtol=1e-14)
    with pytest.raises(ParameterError) as ex:
        r.loan_cost_share("training", np.array([1.0]))
    assert str(ex.value) == ("The 'component' parameter of CostRules.loan_cost_share must be "
                             "one of ('credit', 'csr_sme'). Got 'training' instead.")


@pytest.mark.parametrize("name, value", [
    ("credit_term_years", -1.0), ("credit_default_rate", 1.5), ("mean_balance_share", 1.01),
    ("credit_subsidy_mikro", 2.0), ("credit_subsidy_super_mikro", 1.2),
    ("csr_subsidy_rate", float("nan")), ("csr_term_years", float("inf")),
    ("credit_super_mikro_limit_rp", "10m")])
def test_rules_refused(name, value):
    with pytest.raises(ParameterError) as ex:
        CostRules(**{name: value})
    assert str(ex.value) == (f"The '{name}' parameter of CostRules must be a finite number >= 0 "
                             f"(rates and shares in [0, 1]). Got {value!r} instead.")


def test_rules_accepted_at_the_edges_and_replace():
    """Rates of exactly 0 and 1 are rules; terms and the limit may exceed 1."""
    r = CostRules(credit_default_rate=1.0, csr_default_rate=0.0, mean_balance_share=1,
                  credit_term_years=5.0, csr_term_years=0, credit_super_mikro_limit_rp=2e7,
                  credit_subsidy_mikro=1.0, credit_subsidy_super_mikro=0.0)
    assert r.credit_default_rate == 1.0 and r.credit_term_years == 5.0
    s = CostRules().replace(credit_default_rate=0.05, csr_term_years=4.0)
    assert (s.credit_default_rate, s.csr_term_years, s.csr_default_rate) == (0.05, 4.0, 0.15)
    assert CostRules().credit_default_rate == 0.03          # a copy: the default is unchanged
    with pytest.raises(ParameterError, match="'csr_default_rate' parameter of CostRules"):
        CostRules().replace(csr_default_rate=3.0)


# --------------------------------------------------------------------------------------------
# record_costs and cost_table
# --------------------------------------------------------------------------------------------
def _records() -> pd.DataFrame:
    return pd.DataFrame({
        "family_id": ["F1", "F2", "F3", "F4", None, "F1", "F5"],
        "village_code": ["V1", "V1", "V1", "V2", "V2", "V2", "V3"],
        "partner": ["bank", "bank", "tonasa", "bpvp", "unhas", "bank", "bpvp"],
        "component": ["credit", "credit", "csr_sme", "training", "facilitation", "credit",
                      "training"],
        "unit": ["household", "household", "household", "household", "village", "household",
                 "village"],
        "start_date": ["2024-08-01", "2025-02-01", "2024-09-01", "2025-03-01", "2024-07-01",
                       "2026-01-10", "2025-12-31"],
        "amount_rp": [10e6, 20e6, 29e6, 3e6, 50e6, 8e6, 1e6]}, index=[10, 11, 12, 13, 14, 15, 16])


def test_record_costs_by_hand():
    """10 m credit (super-mikro, at the limit): 10e6 x 0.18 = 1.8 m; 20 m: 20e6 x 0.13 = 2.6 m;
    29 m csr_sme: 29e6 x 0.30 = 8.7 m; 8 m credit: 1.44 m; grants at their amount."""
    got = record_costs(_records())
    assert got.name == "cost_rp" and list(got.index) == [10, 11, 12, 13, 14, 15, 16]
    np.testing.assert_allclose(got.to_numpy(), [1.8e6, 2.6e6, 8.7e6, 3e6, 50e6, 1.44e6, 1e6],
                               rtol=1e-14)
    # other rules: credit default 0.10 -> 10e6 x 0.25 = 2.5 m
    got = record_costs(_records(), rules=CostRules(credit_default_rate=0.10))
    assert got.iloc[0] == pytest.approx(2.5e6, rel=1e-14)
    # a categorical component column, and a zero amount (allowed)
    cat = _records().assign(component=lambda f: f["component"].astype("category"),
                            amount_rp=[0.0, 20e6, 29e6, 3e6, 50e6, 8e6, 1e6])
    np.testing.assert_allclose(record_costs(cat).to_numpy(),
                               [0.0, 2.6e6, 8.7e6, 3e6, 50e6, 1.44e6, 1e6], rtol=1e-14)
    # amounts as text are read as numbers
    txt = _records().assign(amount_rp=["10000000", "1", "1", "1", "1", "1", "1"])
    assert record_costs(txt).iloc[0] == pytest.approx(1.8e6, rel=1e-14)


def test_record_costs_refuses_missing_or_negative_amounts():
    bad = _records().assign(amount_rp=[1e6, -5.0, None, 3, 4, 5, 6])
    with pytest.raises(ParameterError) as ex:
        record_costs(bad)
    assert str(ex.value) == ("participation: column 'amount_rp' has 2 missing or negative "
                             "values; costs need every amount. Fix: correct the records.")
    with pytest.raises(ParameterError) as ex:
        record_costs(_records().assign(amount_rp=["x", "1", "1", "1", "1", "1", "1"]))
    assert "has 1 missing or negative values" in str(ex.value)
    with pytest.raises(ParameterError, match=r"'columns' parameter of record_costs .* "
                                             r"'component'"):
        record_costs(_records().drop(columns="component"))


def test_cost_table_by_hand():
    """2025: the 2026 credit record is left out, the 2025-12-31 one kept. bank/credit: 2
    records, 2 families, 1 village, amount 30 m, cost 1.8 + 2.6 = 4.4 m; bpvp/training:
    families F4 and F5, villages V2 and V3, units household/village; unhas/facilitation: no
    family (0 households)."""
    tab = cost_table(_records(), year=2025)
    assert list(tab.columns) == ["partner", "component", "unit", "cost_basis", "n_records",
                                 "households_reached", "villages_reached", "amount_rp",
                                 "cost_rp"]
    assert tab[["partner", "component"]].values.tolist() == [
        ["bank", "credit"], ["bpvp", "training"], ["tonasa", "csr_sme"],
        ["unhas", "facilitation"]]
    assert tab["unit"].tolist() == ["household", "household/village", "household", "village"]
    assert tab["cost_basis"].tolist() == ["loan", "grant", "loan", "grant"]
    assert tab["n_records"].tolist() == [2, 2, 1, 1]
    assert tab["households_reached"].tolist() == [2, 2, 1, 0]
    assert tab["villages_reached"].tolist() == [1, 2, 1, 1]
    np.testing.assert_allclose(tab["amount_rp"], [30e6, 4e6, 29e6, 50e6])
    np.testing.assert_allclose(tab["cost_rp"], [4.4e6, 4e6, 8.7e6, 50e6], rtol=1e-14)
    # 2024: only the 2024 records; no year: every record (bank/credit 3 records, 5.84 m)
    t24 = cost_table(_records(), year=2024)
    assert t24["n_records"].tolist() == [1, 1, 1]
    np.testing.assert_allclose(t24["cost_rp"], [1.8e6, 8.7e6, 50e6], rtol=1e-14)
    tall = cost_table(_records(), year=None)
    assert tall.loc[0, "n_records"] == 3
    assert tall.loc[0, "cost_rp"] == pytest.approx(5.84e6, rel=1e-14)
    # the rules are applied: credit default 0.10 -> 10e6 x 0.25 + 20e6 x 0.20 = 6.5 m
    tr = cost_table(_records(), year=2025, rules=CostRules(credit_default_rate=0.10))
    assert tr.loc[0, "cost_rp"] == pytest.approx(6.5e6, rel=1e-14)


def test_cost_table_by_component():
    tab = cost_table(_records(), year=2025, by=("component",))
    assert list(tab.columns[:3]) == ["component", "unit", "cost_basis"]
    assert tab["component"].tolist() == ["credit", "csr_sme", "facilitation", "training"]
    assert tab["cost_basis"].tolist() == ["loan", "loan", "grant", "grant"]


def test_cost_table_by_partner_names_each_rows_cost_basis():
    """by=("partner",): each partner's basis from its own records (session 9: every row was
    labelled "grant", the bank's credit included, since the row had no component). A partner
    with loans and grants in one row says both."""
    tab = cost_table(_records(), year=2025, by=("partner",))
    assert list(tab.columns[:3]) == ["partner", "unit", "cost_basis"]
    assert tab["partner"].tolist() == ["bank", "bpvp", "tonasa", "unhas"]
    assert tab["cost_basis"].tolist() == ["loan", "grant", "loan", "grant"]
    mixed = _records().assign(partner="bank")
    assert cost_table(mixed, year=2025, by=("partner",))["cost_basis"].tolist() == [
        "grant/loan"]
    # by unit (household / village): the key column once; the household row mixes the bases.
    # Until session 9 this raised "cannot insert unit, already exists".
    by_unit = cost_table(_records(), year=2025, by=("unit",))
    assert list(by_unit.columns[:2]) == ["unit", "cost_basis"]
    assert by_unit[["unit", "cost_basis"]].values.tolist() == [["household", "grant/loan"],
                                                              ["village", "grant"]]


def test_cost_table_missing_column():
    with pytest.raises(ParameterError) as ex:
        cost_table(_records().drop(columns="start_date"))
    assert str(ex.value).startswith("The 'columns' parameter of cost_table must name a column "
                                    "of data. Got 'start_date' instead")


# --------------------------------------------------------------------------------------------
# cost_per_household
# --------------------------------------------------------------------------------------------
def test_cost_per_household_by_hand():
    """bank:credit 4.4 m / 2; bpvp:training 4 m / 2; tonasa 8.7 m / 1; unhas: no household
    (missing); programme: 67.1 m / 5 households (every cost, facilitation included)."""
    costs = cost_table(_records(), year=2025)
    res = cost_per_household(costs, alpha=0.1)
    assert (res.method, res.alpha, res.summary().title) == ("cost_per_household", 0.1,
                                                  "Cost per household reached (Rp)")
    td = res.tidy()
    assert td["term"].tolist() == ["bank:credit", "bpvp:training", "tonasa:csr_sme",
                                   "unhas:facilitation", "programme"]
    np.testing.assert_allclose(td["estimate"], [2.2e6, 2e6, 8.7e6, np.nan, 67.1e6 / 5],
                               rtol=1e-14)
    np.testing.assert_array_equal(td["conf_low"], td["estimate"])
    np.testing.assert_array_equal(td["conf_high"], td["estimate"])
    assert td["std_error"].isna().all() and td["p_value"].isna().all()
    assert td["n_obs"].tolist() == [2, 2, 1, 0, 5] and td["n_obs"].dtype == np.int64
    assert td["partner"].tolist() == ["bank", "bpvp", "tonasa", "unhas", "all"]
    assert td["component"].tolist() == ["credit", "training", "csr_sme", "facilitation", "all"]
    np.testing.assert_allclose(td["cost_rp"], [4.4e6, 4e6, 8.7e6, 50e6, 67.1e6], rtol=1e-14)
    assert res.provenance.method == "cost_per_household"
    assert (res.provenance.n_input, res.provenance.n_used) == (4, 4)
    assert res.provenance.options == {}
    assert cost_per_household(costs).alpha == 0.05
    # no household reached at all: the programme row is missing too
    none = cost_per_household(costs[costs["households_reached"] == 0])
    assert np.isnan(none.tidy()["estimate"]).all()
    assert none.tidy()["n_obs"].tolist() == [0, 0]
    with pytest.raises(ParameterError, match="'columns' parameter of cost_per_household"):
        cost_per_household(costs.drop(columns="households_reached"))


# --------------------------------------------------------------------------------------------
# district_persons
# --------------------------------------------------------------------------------------------
def test_district_persons_by_hand():
    s = pd.DataFrame({"year": ["2024", "2025", "2025"], "weight": [10.0, 20.0, 30.0],
                      "hh_size": [3, 4, 5], "w2": [1.0, 2.0, 3.0], "size2": [1, 1, 2]})
    assert district_persons(s, year=2025) == 20 * 4 + 30 * 5
    assert district_persons(s, year="2024") == 30.0
    assert district_persons(s, year=2025, weight="w2", size="size2") == 2 * 1 + 3 * 2
    with pytest.raises(ParameterError) as ex:
        district_persons(s, year=2023)
    assert str(ex.value) == ("The 'year' parameter of district_persons must be a survey wave "
                             "of the data. Got 2023 instead.")
    with pytest.raises(ParameterError, match="'columns' parameter of district_persons"):
        district_persons(s.drop(columns="hh_size"), year=2025)


# --------------------------------------------------------------------------------------------
# cost_effectiveness
# --------------------------------------------------------------------------------------------
def _effect(est, lo, hi, se=0.004, alpha=0.05, p=0.01, n=72, term="attributable_change"):
    tab = pd.DataFrame([{"term": term, "estimate": est, "std_error": se, "p_value": p,
                         "conf_low": lo, "conf_high": hi, "n_obs": n},
                        {"term": "other", "estimate": 9.0, "std_error": 1.0, "p_value": 0.5,
                         "conf_low": 8.0, "conf_high": 10.0, "n_obs": 1}])
    return EstimateResult(tab, method="verdict", alpha=alpha, own_intervals=True,
                          provenance=Provenance(method="verdict", inputs_hash="abc",
                                                n_input=80, n_used=72))


def test_cost_effectiveness_exact_by_hand():
    """Change -2 points (-3 to -1), se 0.5 points, C = Rp40 bn, 200,000 persons:
    per point 40e9 / 2 = 20e9, interval [40e9 / 3, 40e9 / 1], se 40e9 x 0.005 / (100 x
    0.02^2) = 5e9; per person 40e9 / (0.02 x 2e5) = 1e7, interval [40e9 / 6000, 40e9 / 2000],
    se 40e9 x 0.005 / (2e5 x 4e-4) = 2.5e6."""
    eff = _effect(-0.02, -0.03, -0.01, se=0.005)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = cost_effectiveness(4e10, eff, persons=200_000)
    assert (res.method, res.alpha, res.summary().title) == ("cost_effectiveness", 0.05,
                                                  "Cost-effectiveness (Rp)")
    td = res.tidy()
    assert td["term"].tolist() == ["cost_per_point", "cost_per_person_lifted"]
    np.testing.assert_allclose(td["estimate"], [2e10, 1e7], rtol=1e-12)
    np.testing.assert_allclose(td["conf_low"], [4e10 / 3, 4e10 / 6000], rtol=1e-12)
    np.testing.assert_allclose(td["conf_high"], [4e10, 4e10 / 2000], rtol=1e-12)
    np.testing.assert_allclose(td["std_error"], [5e9, 2.5e6], rtol=1e-12)
    assert td["p_value"].tolist() == [0.01, 0.01] and td["n_obs"].tolist() == [72, 72]
    assert td["group"].tolist() == ["all", "all"]
    assert td["measure"].tolist() == ["cost_per_point", "cost_per_person_lifted"]
    assert td["cost_rp"].tolist() == [4e10, 4e10]
    np.testing.assert_allclose(td["reduction"], 0.02, rtol=1e-14)
    np.testing.assert_allclose(td["reduction_low"], 0.01, rtol=1e-14)
    np.testing.assert_allclose(td["reduction_high"], 0.03, rtol=1e-14)
    assert td["interval"].tolist() == ["exact", "exact"]
    assert res.extras["interval"] == "exact" and res.extras["effect"] is eff
    assert res.extras["z"] == pytest.approx(1.959963984540054, abs=1e-14)
    prov = res.provenance
    assert prov.method == "cost_effectiveness"
    assert prov.options == {"term": "attributable_change", "by": None,
                            "direction": "reduction_is_negative", "persons": 200_000,
                            "alpha": 0.05, "effect_method": "verdict", "costs": {"all": 4e10}}
    assert (prov.inputs_hash, prov.n_input, prov.n_used) == ("abc", 80, 72)
    # no persons: no per-person row
    assert cost_effectiveness(4e10, eff).terms == ["cost_per_point"]


def test_cost_effectiveness_direction_alpha_and_term():
    """reduction_is_positive: +0.02 is a reduction of 2 points; alpha 0.1 -> z = 1.6449, the
    effect's own interval at that alpha (here the same table), the level in provenance."""
    eff = _effect(0.02, 0.01, 0.03, alpha=0.1, term="att")
    res = cost_effectiveness(1e9, eff, term="att", direction="reduction_is_positive")
    td = res.tidy()
    assert td.loc[0, "estimate"] == pytest.approx(1e9 / 2, rel=1e-12)
    assert td.loc[0, "conf_low"] == pytest.approx(1e9 / 3, rel=1e-12)
    assert res.alpha == 0.1 and res.provenance.options["alpha"] == 0.1
    assert res.extras["z"] == pytest.approx(1.6448536269514722, abs=1e-14)
    assert res.provenance.options["direction"] == "reduction_is_positive"
    # an explicit alpha wins over the effect's (own intervals: the table's interval)
    assert cost_effectiveness(1e9, eff, term="att", direction="reduction_is_positive",
                              alpha=0.1).alpha == 0.1
    # an effect with estimate +- z se intervals: alpha 0.1 takes its 90 % interval,
    # 0.02 +- 1.6448536 x 0.005, so the cost per point is at least 1e9 / (100 x 0.0282243)
    tab = pd.DataFrame([{"term": "attributable_change", "estimate": -0.02, "std_error": 0.005,
                         "n_obs": 9}])
    normal = EstimateResult(tab, method="did")
    td = cost_effectiveness(1e9, normal, alpha=0.1).tidy()
    assert td.loc[0, "conf_low"] == pytest.approx(
        1e9 / (100 * (0.02 + 1.6448536269514722 * 0.005)), rel=1e-12)
    assert td.loc[0, "p_value"] == pytest.approx(2 * 3.167124183311998e-05, rel=1e-9)
    # interval bounds given in the other order are sorted
    swapped = _effect(-0.02, -0.01, -0.03)
    t2 = cost_effectiveness(1e9, swapped).tidy()
    assert (t2.loc[0, "reduction_low"], t2.loc[0, "reduction_high"]) == pytest.approx(
        (0.01, 0.03), rel=1e-14)


def test_cost_effectiveness_by_partner_and_mapping():
    """Costs by partner (4.4 + 4 + 8.7 + 50 = 67.1 m) over a 2-point reduction: one row per
    partner (sorted) and an 'all' row with the sum."""
    costs = cost_table(_records(), year=2025)
    eff = _effect(-0.02, -0.03, -0.01)
    td = cost_effectiveness(costs, eff, by="partner").tidy()
    assert td["term"].tolist() == ["cost_per_point:bank", "cost_per_point:bpvp",
                                   "cost_per_point:tonasa", "cost_per_point:unhas",
                                   "cost_per_point:all"]
    assert td["group"].tolist() == ["bank", "bpvp", "tonasa", "unhas", "all"]
    np.testing.assert_allclose(td["estimate"], np.array([4.4e6, 4e6, 8.7e6, 50e6, 67.1e6]) / 2,
                               rtol=1e-12)
    tot = cost_effectiveness(costs, eff).tidy()
    assert tot["term"].tolist() == ["cost_per_point"]
    assert tot.loc[0, "cost_rp"] == pytest.approx(67.1e6, rel=1e-14)
    res = cost_effectiveness({"b": 2e6, 1: 4e6}, eff)
    assert res.tidy()["group"].tolist() == ["b", "1", "all"]
    np.testing.assert_allclose(res.tidy()["estimate"], [1e6, 2e6, 3e6], rtol=1e-12)
    assert res.provenance.options["costs"] == {"b": 2e6, "1": 4e6, "all": 6e6}
    res = cost_effectiveness(pd.Series({"x": 1e6}), eff)
    assert res.tidy()["term"].tolist() == ["cost_per_point:x", "cost_per_point:all"]
    assert cost_effectiveness(np.float64(2e6), eff).tidy()["estimate"].tolist() == \
        pytest.approx([1e6], rel=1e-12)
    assert cost_effectiveness(0, eff).tidy()["estimate"].tolist() == [0.0]


def test_cost_effectiveness_unbounded_and_undefined():
    """Reduction 1 point, interval -0.7 to 2.6: [C / 2.6 points, inf); the interval's lower end
    exactly 0 is still unbounded. No reduction plausible (upper end <= 0): both ends missing;
    a central estimate that is no reduction: no estimate, no standard error."""
    with pytest.warns(EstimationWarning) as rec:
        res = cost_effectiveness(4e10, _effect(-0.01, -0.026, 0.007), persons=1e5)
    assert len(rec) == 1 and (rec[0].filename == __file__ or not _OWN_FRAMES)
    assert str(rec[0].message) == (
        "cost_effectiveness: the 95% interval of the poverty reduction (-0.70 to 2.60 points) "
        "contains 0, so the cost per point has no upper bound: the interval is [cost / upper "
        "reduction, infinity) ('at least ..., or no reduction at all').")
    td = res.tidy()
    np.testing.assert_allclose(td["estimate"], [4e10 / 1, 4e10 / (1e5 * 0.01)], rtol=1e-12)
    np.testing.assert_allclose(td["conf_low"], [4e10 / 2.6, 4e10 / (1e5 * 0.026)], rtol=1e-12)
    assert (td["conf_high"] == np.inf).all() and set(td["interval"]) == {"unbounded"}
    np.testing.assert_allclose(td["std_error"], [4e10 * 0.004 / (100 * 1e-4),
                                                 4e10 * 0.004 / (1e5 * 1e-4)], rtol=1e-12)
    with pytest.warns(EstimationWarning, match="no upper bound"):
        r0 = cost_effectiveness(1e9, _effect(-0.01, 0.0, -0.02)).tidy()
    assert r0.loc[0, "interval"] == "unbounded" and r0.loc[0, "conf_high"] == np.inf
    with pytest.warns(EstimationWarning) as rec:
        res = cost_effectiveness(4e10, _effect(0.02, 0.01, 0.03, alpha=0.1), persons=1e5)
    assert rec[0].filename == __file__ or not _OWN_FRAMES
    assert str(rec[0].message) == (
        "cost_effectiveness: the 90% interval of the poverty reduction (-3.00 to -1.00 points) "
        "excludes any reduction; a cost per point is not defined.")
    td = res.tidy()
    for c in ("estimate", "std_error", "conf_low", "conf_high"):
        assert td[c].isna().all(), c
    assert set(td["interval"]) == {"undefined"} and res.extras["interval"] == "undefined"
    with pytest.warns(EstimationWarning, match="excludes any reduction"):
        r0 = cost_effectiveness(1e9, _effect(0.0, 0.0, 0.01)).tidy()
    assert r0.loc[0, "interval"] == "undefined" and np.isnan(r0.loc[0, "estimate"])
    # estimate exactly no change, interval -1 to +1 points: no central ratio
    with pytest.warns(EstimationWarning, match="no upper bound"):
        r0 = cost_effectiveness(1e9, _effect(0.0, -0.01, 0.01)).tidy()
    assert np.isnan(r0.loc[0, "estimate"]) and np.isnan(r0.loc[0, "std_error"])
    assert r0.loc[0, "conf_low"] == pytest.approx(1e9, rel=1e-12)


def test_cost_effectiveness_refusals():
    eff = _effect(-0.02, -0.03, -0.01)
    with pytest.raises(ParameterError) as ex:
        cost_effectiveness(1.0, eff.tidy())
    assert str(ex.value) == ("The 'effect' parameter of cost_effectiveness must be an "
                             "EstimateResult (e.g. programme_verdict(...)). Got DataFrame "
                             "instead.")
    with pytest.raises(ParameterError) as ex:
        cost_effectiveness(1.0, eff, term="ATT")
    assert str(ex.value) == ("The 'term' parameter of cost_effectiveness must be a term of the "
                             "effect (['attributable_change', 'other']). Got 'ATT' instead.")
    with pytest.raises(ParameterError) as ex:
        cost_effectiveness(1.0, eff, direction="down")
    assert str(ex.value) == ("The 'direction' parameter of cost_effectiveness must be "
                             "'reduction_is_negative' or 'reduction_is_positive'. Got 'down' "
                             "instead.")
    with pytest.raises(ParameterError) as ex:
        cost_effectiveness({"a": 1.0}, eff, by="partner")
    assert str(ex.value) == ("The 'by' parameter of cost_effectiveness needs a cost table "
                             "(DataFrame) as 'cost_rp'. Got by='partner' with dict instead.")
    costs = cost_table(_records(), year=2025)
    with pytest.raises(ParameterError, match=r"^The 'by' parameter of cost_effectiveness must "
                                             r"name a column of data\. Got 'village'"):
        cost_effectiveness(costs, eff, by="village")
    with pytest.raises(ParameterError, match=r"^The 'cost_rp' parameter of cost_effectiveness "
                                             r"must name a column of data\. Got 'cost_rp'"):
        cost_effectiveness(costs.drop(columns="cost_rp"), eff)
    with pytest.raises(ParameterError) as ex:
        cost_effectiveness({"a": 1.0, "b": -2.0}, eff)
    assert str(ex.value) == ("The 'cost_rp' parameter of cost_effectiveness must be finite, "
                             "non-negative amounts in Rp. Got 'b=-2.0' instead.")
    with pytest.raises(ParameterError, match=r"Got 'all=inf' instead"):
        cost_effectiveness(np.inf, eff)
    with pytest.raises(ParameterError, match=r"Got 'all=nan' instead"):
        cost_effectiveness(np.nan, eff)
    for bad in (0, -5.0, np.inf, np.nan):
        with pytest.raises(ParameterError) as ex:
            cost_effectiveness(1.0, eff, persons=bad)
        assert str(ex.value) == ("The 'persons' parameter of cost_effectiveness must be a "
                                 f"positive number of persons. Got {bad!r} instead.")


# --------------------------------------------------------------------------------------------
# separability_table
# --------------------------------------------------------------------------------------------
def _rollout(rows):
    return pd.DataFrame(rows, columns=["village_code", "component", "first_year"])


def test_separability_by_hand():
    """Villages a-e. credit: a 2024, b 2025, c 2024 (programme start everywhere it runs: the
    whole programme); training: a 2024 (with credit), d 2025 (alone), so separable; women:
    b 2025 (with credit) and c 2026 (after credit, alone that year): separable; facilitation:
    a 2024 and b 2025, always with a household component the same year; a component never
    started (first_year 0 only) has no row. A duplicated row takes the latest year (max)."""
    ro = _rollout([
        ("a", "credit", 2024), ("b", "credit", 2025), ("c", "credit", 2024),
        ("a", "training", 2024), ("d", "training", 2025),
        ("b", "women", 2025), ("c", "women", 2026), ("c", "women", 2023),
        ("a", "facilitation", 2024), ("b", "facilitation", 2025),
        ("e", "unused", 0)])
    s = separability_table(ro)
    assert list(s.columns) == ["component", "n_villages", "same_as_programme",
                               "n_villages_alone", "separable", "reason"]
    s = s.set_index("component")
    assert list(s.index) == ["credit", "facilitation", "training", "women"]
    assert s["n_villages"].to_dict() == {"credit": 3, "facilitation": 2, "training": 2,
                                         "women": 2}
    assert s["same_as_programme"].to_dict() == {"credit": False, "facilitation": False,
                                                "training": False, "women": False}
    # credit is not the whole programme: village d gets training only
    assert s["n_villages_alone"].to_dict() == {"credit": 1, "facilitation": 0, "training": 1,
                                               "women": 1}
    assert s["reason"].to_dict() == {"credit": "separable", "facilitation": "always_bundled",
                                     "training": "separable", "women": "separable"}
    assert s["separable"].to_dict() == {"credit": True, "facilitation": False,
                                        "training": True, "women": True}
    assert s["separable"].dtype == bool and s["same_as_programme"].dtype == bool


def test_separability_whole_programme_and_single_component():
    # credit starts every programme village's programme: same as programme
    ro = _rollout([("a", "credit", 2024), ("b", "credit", 2025), ("a", "training", 2024),
                   ("b", "training", 2026), ("c", "training", 0)])
    s = separability_table(ro).set_index("component")
    assert s.loc["credit", "same_as_programme"] and s.loc["credit", "reason"] == \
        "whole_programme"
    assert not s.loc["credit", "separable"]
    assert s.loc["credit", "n_villages_alone"] == 1        # b 2025: credit alone
    assert s.loc["training", "reason"] == "separable"      # b 2026 alone, not the programme
    # a village without the programme (all 0) does not make credit "not the programme"
    ro2 = _rollout([("a", "credit", 2024), ("z", "credit", 0)])
    s2 = separability_table(ro2)
    assert s2.to_dict("records") == [{"component": "credit", "n_villages": 1,
                                      "same_as_programme": True, "n_villages_alone": 1,
                                      "separable": False, "reason": "whole_programme"}]
    # bundled everywhere with another household component, but not the whole programme
    ro3 = _rollout([("a", "credit", 2024), ("a", "women", 2024), ("b", "women", 2025)])
    s3 = separability_table(ro3).set_index("component")
    assert s3.loc["credit", "reason"] == "always_bundled"
    assert s3.loc["credit", "n_villages_alone"] == 0
    # nothing started: an empty table with the columns
    e = separability_table(_rollout([("a", "credit", 0)]))
    assert e.empty and list(e.columns) == ["component", "n_villages", "same_as_programme",
                                           "n_villages_alone", "separable", "reason"]
    with pytest.raises(ParameterError, match="'columns' parameter of separability_table"):
        separability_table(ro.drop(columns="first_year"))
