"""The one-point verdict: attributable change in district P0, its CI, the 1-pp test, sentences.

On the synthetic world (fixture ``world``) the truth is ``truth['programme_effect']``
(``attributable_change`` = P0 actual - P0 counterfactual over the whole district population).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import IdentificationError, ParameterError
from kassaki_eval.impact.verdict import (cohort_from_treated, programme_verdict, sentences,
                                         verdict_from_survey)


def _toy_panel(effect: float, seed: int = 0, n_v: int = 200) -> tuple[pd.DataFrame, float]:
    """Village panel with a known attributable change (no sampling of villages)."""
    rng = np.random.default_rng(seed)
    v = np.arange(n_v)
    coh = np.choose(v % 3, [0, 2024, 2025])
    pop = rng.integers(500, 3000, n_v).astype(float)
    base = rng.uniform(0.08, 0.25, n_v)
    rows = []
    for t in (2023, 2024, 2025):
        tr = (coh > 0) & (coh <= t)
        p = base - 0.005 * (t - 2023) + tr * effect + rng.normal(0, 0.01, n_v)
        rows.append(pd.DataFrame({"village_code": v, "year": t, "poor": p, "cohort": coh,
                                  "pop_weight": pop, "kec_code": v % 13}))
    panel = pd.concat(rows, ignore_index=True)
    share = pop[coh > 0].sum() / pop.sum()
    return panel, effect * share


def test_toy_panel_recovers_attributable_change():
    panel, truth = _toy_panel(-0.03)
    v = programme_verdict(panel, year=2025)
    est = v["attributable_change"]
    lo, hi = v.conf_int().loc["attributable_change"]
    assert lo <= truth <= hi
    assert abs(est - truth) < 4 * v.std_errors["attributable_change"]
    assert v["treated_person_share"] == pytest.approx(-truth / 0.03, rel=1e-12)
    # a 2-pp reduction is clearly more than 1 pp: the probability is high, p small
    assert v.extras["prob_reduction_exceeds"] > 0.95
    assert v.extras["p_value_goal"] == pytest.approx(1 - v.extras["prob_reduction_exceeds"])
    assert "goal of more than 1 point was met" in v.extras["sentence_en"]
    assert "tercapai" in v.extras["sentence_id"] and "," in v.extras["sentence_id"]


def test_delta_method_se_matches_simulation():
    """SE of s*ATT from the joint influence function vs the spread over 100 replications."""
    ests, ses = [], []
    for s in range(100):
        panel, _ = _toy_panel(-0.02, seed=100 + s, n_v=150)
        v = programme_verdict(panel, year=2025, method="reg")
        ests.append(v["attributable_change"])
        ses.append(v.std_errors["attributable_change"])
    ratio = np.mean(ses) / np.std(ests)
    assert 0.78 < ratio < 1.28, ratio   # sd of a 100-draw sd is ~7%


def test_sentences_numbers_and_languages():
    en, idn = sentences(-0.0123, -0.02, -0.0046, 0.7, 0.3, 2025, 0.01, 0.95)
    assert "1.2 percentage points" in en and "70%" in en and "p = 0.30" in en
    assert "1,2 poin persen" in idn and "70%" in idn and "p = 0,30" in idn
    en, _ = sentences(-0.002, -0.006, 0.002, 0.0, 1.0, 2025, 0.01, 0.95)
    assert "was not met" in en


def test_verdict_errors():
    panel, _ = _toy_panel(-0.02)
    with pytest.raises(ParameterError, match="'threshold' parameter"):
        programme_verdict(panel, threshold=1.0)
    with pytest.raises(ParameterError, match="'year' parameter"):
        programme_verdict(panel, year=2030)
    with pytest.raises(IdentificationError, match="no village is treated by 2023"):
        programme_verdict(panel, year=2023)


def test_cohort_from_treated():
    d = pd.DataFrame({"v": [1, 1, 1, 2, 2, 2], "t": [1, 2, 3, 1, 2, 3], "tr": [0, 1, 1, 0, 0, 0]})
    assert cohort_from_treated(d, unit="v", time="t", treated="tr").tolist() == [2, 2, 2, 0, 0, 0]


def test_world_verdict_covers_true_attributable_change(world):
    truth = world.truth["programme_effect"].set_index("year")["attributable_change"]
    for year in (2024, 2025):
        for cluster in (None, "kec_code"):
            v = verdict_from_survey(world.survey, year=year, cluster=cluster)
            lo, hi = v.conf_int().loc["attributable_change"]
            assert lo <= truth[year] <= hi, (year, cluster, lo, hi, truth[year])
    assert "2025" in v.extras["sentence_en"] and "2025" in v.extras["sentence_id"]


def test_verdict_invariant_to_row_order():
    panel, _ = _toy_panel(-0.02)
    a = programme_verdict(panel, year=2025)
    b = programme_verdict(panel.sample(frac=1.0, random_state=3), year=2025)
    np.testing.assert_allclose(a.estimates, b.estimates, rtol=1e-12)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-10)


@pytest.mark.slow
def test_world_monte_carlo_coverage():
    """12 full-scale synthetic worlds (seeds 2000-2011; 5,500 surveyed households a wave in 72
    villages, ~76 per village): coverage of the 95% verdict CI of the true attributable change
    (2024 and 2025: 24 intervals) and of the C&S ATT(g,t) CIs of the true cohort-year effects
    on the village poverty rate (48 intervals). Takes ~2-3 minutes.

    Observed when written: ATT(g,t) coverage 1.00 / 0.92 / 0.92 / 1.00 by cell, sd of
    (estimate - truth) / se between 0.74 and 1.05. At 20% scale (~15 households per village)
    the same check gave ATT(g,t) coverage 0.875 (0.775 for ATT(2024,2025), sd of z 1.39) and
    verdict coverage 0.91 over 40 worlds: with so few households per village the
    influence-function SEs are too small; the full-scale survey is what the district has.
    """
    from kassaki_eval.impact.panel import evaluation_panel
    from kassaki_eval.impact.staggered import callaway_santanna
    from kassaki_eval.reference import poverty_line
    from kassaki_eval.synthetic.world import generate_world
    hits_v, hits_g, n_v, n_g = 0, 0, 0, 0
    lines = {y: poverty_line(y) for y in (2023, 2024, 2025)}
    for seed in range(2000, 2012):
        w = generate_world(seed=seed)
        truth = w.truth["programme_effect"].set_index("year")["attributable_change"]
        for year in (2024, 2025):
            lo, hi = verdict_from_survey(w.survey, year=year, lines=lines).conf_int().loc["attributable_change"]
            hits_v += lo <= truth[year] <= hi
            n_v += 1
        vp = evaluation_panel(w.survey, lines=lines)
        res = callaway_santanna(vp, y="poor", unit="village_code", time="year", cohort="cohort",
                                weights="pop_weight", control="notyet").tidy()
        va = w.truth["village_att"]
        pers = w.population.groupby(["village_code", "year"])["hh_size"].sum().rename("persons")
        va = va.join(pers, on=["village_code", "year"])
        va = va[va["cohort"] > 0]
        tr = {(g, t): np.average(d["effect_p0"], weights=d["persons"])
              for (g, t), d in va.groupby(["cohort", "year"])}
        for _, row in res.iterrows():
            true = tr.get((row["group"], row["time"]), 0.0) if row["time"] >= row["group"] else 0.0
            hits_g += row["conf_low"] <= true <= row["conf_high"]
            n_g += 1
    cov_v, cov_g = hits_v / n_v, hits_g / n_g
    print(f"verdict CI coverage {cov_v:.3f} over {n_v}; C&S ATT(g,t) coverage {cov_g:.3f} over {n_g}")
    # nominal 0.95; with 24 and 48 intervals the Monte Carlo s.e. is about 0.045 and 0.03
    assert cov_v >= 0.85 and cov_g >= 0.85


# -- the one village panel (kassaki_eval.impact.panel) ---------------------------------------
def test_evaluation_panel_definition(small_world):
    """One population per village (mean of the waves' person-weight sums), person-weighted
    headcounts, the cut-off applied to waves and cohorts; roll-out and survey cohorts agree."""
    from kassaki_eval.impact.panel import evaluation_panel
    from kassaki_eval.reference import poverty_line
    w = small_world
    lines = {y: poverty_line(y) for y in (2023, 2024, 2025)}
    vp = evaluation_panel(w.survey, lines=lines, rollout=w.rollout, as_of=2024)
    assert sorted(vp["year"].unique()) == [2023, 2024]
    assert (vp.groupby("village_code")["pop_weight"].nunique() == 1).all()
    s = w.survey[w.survey["year"] <= 2024]
    pw = s["weight"] * s["hh_size"]
    wave = pw.groupby([s["village_code"], s["year"]]).sum()
    np.testing.assert_allclose(vp.set_index(["village_code", "year"])["pop_weight_wave"]
                               .loc[wave.index], wave.to_numpy(), rtol=1e-12)
    mean = wave.groupby(level=0).mean()
    np.testing.assert_allclose(vp.groupby("village_code")["pop_weight"].first().loc[mean.index],
                               mean.to_numpy(), rtol=1e-12)
    poor = (s["consumption_pc"] < s["year"].map(lines)).astype(float)
    rate = (poor * pw).groupby([s["village_code"], s["year"]]).sum() / wave
    np.testing.assert_allclose(vp.set_index(["village_code", "year"])["poor"].loc[rate.index],
                               rate.to_numpy(), rtol=1e-12)
    # villages first treated in 2025 are not (yet) treated in the 2024 panel
    assert vp["cohort"].max() == 2024 and (vp["cohort"] > 0).any()
    assert not (vp.filter(like="first_") > 2024).any().any()
    from_survey = evaluation_panel(w.survey, lines=lines, as_of=2024)
    pd.testing.assert_series_equal(vp["cohort"], from_survey["cohort"])
    pd.testing.assert_series_equal(vp["poor"], from_survey["poor"])


def test_evaluation_panel_errors(small_world):
    from kassaki_eval.impact.panel import evaluation_panel
    with pytest.raises(ParameterError, match="'lines'.*2024"):
        evaluation_panel(small_world.survey, lines={2023: 500000.0, 2025: 600000.0})
    with pytest.raises(ParameterError, match="'as_of'"):
        evaluation_panel(small_world.survey, lines={}, as_of=2020)


def test_verdict_from_survey_applies_the_cutoff(small_world):
    """The 2024 verdict ignores the later wave: the same as on the survey cut at 2024."""
    s = small_world.survey
    a = verdict_from_survey(s, year=2024)
    b = verdict_from_survey(s[s["year"] <= 2024], year=2024)
    np.testing.assert_allclose(a.estimates, b.estimates, rtol=1e-12)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-12)
