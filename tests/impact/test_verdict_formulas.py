"""The verdict's formulas pinned one by one (issue 18: mutation testing of impact/verdict.py).

Sources: the module docstring of :mod:`kassaki_eval.impact.verdict` (estimand, joint influence
function, cluster factor ``G/(G-1)`` with ``t(G-1)``, one-sided test of the goal) recomputed
here by hand from the inputs -- the village arrays of the toy panel and the influence function
of the Callaway-Sant'Anna calendar aggregate, which has its own reference tests against R
``did`` (tests/impact/test_staggered.py) -- and the sentences' wording, written out in full.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kassaki_eval.exceptions import IdentificationError, ParameterError
from kassaki_eval.impact.panel import evaluation_panel
from kassaki_eval.impact.staggered import aggregate, callaway_santanna
from kassaki_eval.impact.verdict import programme_verdict, sentences, verdict_from_survey

COLS = dict(y="rate", unit="vil", time="yr", cohort="first", weight="pop")


def _panel(seed: int = 1, n_v: int = 56):
    """Toy village panel (non-default column names): cohorts 2024, 2025 and never; 14 kecamatan."""
    rng = np.random.default_rng(seed)
    v = np.arange(n_v)
    first = np.choose(v % 4, [0, 2024, 2025, 0])
    pop = rng.integers(400, 3000, n_v).astype(float)
    kec = v % 14
    base = rng.uniform(0.08, 0.3, n_v)
    rows = []
    for t in (2023, 2024, 2025):
        tr = (first > 0) & (first <= t)
        rate = base - 0.004 * (t - 2023) - 0.02 * tr + rng.normal(0, 0.01, n_v)
        rows.append(pd.DataFrame({"vil": v, "yr": t, "rate": rate, "first": first, "pop": pop,
                                  "kec": kec}))
    panel = pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=seed)
    return panel.reset_index(drop=True), first, pop, kec


@pytest.mark.parametrize("year, cluster", [(2024, None), (2025, "kec"), (2024, "kec")])
def test_verdict_equals_the_documented_delta_method(year, cluster):
    panel, first, pop, kec = _panel()
    thr, alpha = 0.005, 0.10
    v = programme_verdict(panel, **COLS, year=year, threshold=thr, method="reg", control="notyet",
                          cluster=cluster, alpha=alpha)
    # the C&S step gets every option (C&S's own defaults differ: control "never", method "dr")
    cs = callaway_santanna(panel, y="rate", unit="vil", time="yr", cohort="first",
                           control="notyet", method="reg", weights="pop", cluster=cluster,
                           alpha=alpha)
    pd.testing.assert_frame_equal(v.extras["cs"].tidy(), cs.tidy())
    cal = aggregate(cs, "calendar")
    j = cal.terms.index(f"t={year}")
    att, psi = cal[f"t={year}"], cal.extras["influence"][:, j]
    units = np.asarray(cs.extras["units"])          # order of the influence function
    n = len(units)
    assert n == 56
    # by hand: s_T = persons in villages treated by T (0 < first <= T) / all persons
    treated = ((first > 0) & (first <= year)).astype(float)
    share = pop @ treated / pop.sum()
    z = pop[units] * (treated[units] - share) / pop.sum()
    u = share * psi / n + att * z
    if cluster is None:
        var, var_s, dist, df = u @ u, z @ z, stats.norm(), np.inf
    else:
        G = 14
        S = pd.Series(u).groupby(kec[units]).sum().to_numpy()
        Sz = pd.Series(z).groupby(kec[units]).sum().to_numpy()
        var, var_s = G / (G - 1) * S @ S, G / (G - 1) * Sz @ Sz
        dist, df = stats.t(G - 1), G - 1.0
    change, se = share * att, np.sqrt(var)
    t = v.tidy()
    assert t["term"].tolist() == ["attributable_change", "att_treated_villages",
                                  "treated_person_share"]
    np.testing.assert_allclose(t["estimate"], [change, att, share], rtol=1e-12)
    np.testing.assert_allclose(t["std_error"], [se, cal.std_errors.iloc[j], np.sqrt(var_s)],
                               rtol=1e-10)
    assert t["n_obs"].tolist() == [56] * 3 and t["year"].tolist() == [year] * 3
    assert t["df"].tolist() == [df] * 3
    crit = dist.ppf(1 - alpha / 2)
    lo, hi = change - crit * se, change + crit * se
    np.testing.assert_allclose(v.conf_int(alpha).loc["attributable_change"], [lo, hi], rtol=1e-10)
    p_one = dist.cdf((change + thr) / se)          # H1: change < -threshold
    assert v.extras["p_value_goal"] == pytest.approx(p_one, rel=1e-10)
    assert v.extras["prob_reduction_exceeds"] == pytest.approx(1 - p_one, rel=1e-10)
    assert v.extras["threshold"] == thr and v.extras["year"] == year
    assert v.extras["calendar"].terms == cal.terms
    en, idn = sentences(change, lo, hi, 1 - p_one, p_one, year, thr, 1 - alpha)
    assert (v.extras["sentence_en"], v.extras["sentence_id"]) == (en, idn)
    assert "(90% confidence interval" in en
    assert v.method == "verdict" and v.alpha == alpha
    assert v.summary().title == f"Programme-attributable change in district P0, {year}"
    prov = v.provenance
    assert prov.method == "programme_verdict"
    assert dict(prov.options) == {"y": "rate", "unit": "vil", "time": "yr", "cohort": "first",
                                  "weight": "pop", "year": year, "threshold": thr,
                                  "method": "reg", "control": "notyet", "cluster": cluster}
    assert (prov.inputs_hash, prov.n_input, prov.n_used) == (cs.provenance.inputs_hash,
                                                             len(panel), cs.provenance.n_used)
    assert dict(prov.dropped) == dict(cs.provenance.dropped)


def test_verdict_default_year_is_the_last_and_defaults_are_dr_notyet():
    panel, *_ = _panel(seed=2)
    a = programme_verdict(panel, **COLS)
    b = programme_verdict(panel, **COLS, year=2025, threshold=0.01, method="dr",
                          control="notyet", alpha=0.05)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert a.extras["year"] == 2025
    assert a.extras["sentence_en"] == b.extras["sentence_en"]


def test_verdict_covariates_reach_callaway_santanna():
    panel, *_ = _panel(seed=3)
    panel["x"] = np.random.default_rng(0).normal(size=len(panel)).round(2)
    panel["x"] = panel.groupby("vil")["x"].transform("first")   # time-invariant covariate
    v = programme_verdict(panel, **COLS, year=2025, method="reg", covariates=["x"])
    cs = callaway_santanna(panel, y="rate", unit="vil", time="yr", cohort="first",
                           control="notyet", method="reg", weights="pop", covariates=["x"])
    pd.testing.assert_frame_equal(v.extras["cs"].tidy(), cs.tidy())


def test_verdict_parameter_errors_carry_the_fix():
    panel, *_ = _panel()
    for bad in (-0.001, 1.0, "0.01"):
        with pytest.raises(ParameterError, match=r"'threshold' parameter of programme_verdict "
                                                 r"must be a proportion in \[0, 1\) \(0.01 = one"):
            programme_verdict(panel, **COLS, threshold=bad)
    programme_verdict(panel, **COLS, threshold=0)          # 0 is a valid goal ("any reduction")
    with pytest.raises(ParameterError, match=r"'year' parameter of programme_verdict must be a "
                                             r"period of the panel \(\[2023, 2024, 2025\]\)\. "
                                             r"Got 2030"):
        programme_verdict(panel, **COLS, year=2030)
    with pytest.raises(IdentificationError, match="no village is treated by 2023.*Fix: choose a "
                                                  "later year"):
        programme_verdict(panel, **COLS, year=2023)
    for kw in ("y", "unit", "time", "cohort", "weight"):
        with pytest.raises(ParameterError, match=f"The '{kw}' parameter of programme_verdict "
                                                 "must name a column of data. Got 'nope'"):
            programme_verdict(panel, **{**COLS, kw: "nope"})


def test_unbalanced_village_panel_is_refused():
    panel, *_ = _panel()
    cut = panel[~((panel["vil"] == 5) & (panel["yr"] == 2023))]
    with pytest.raises(IdentificationError, match=r"programme_verdict: callaway_santanna kept "
                                                  r"55 of the panel's 56 villages \(dropped: "
                                                  r"units not observed in every period"):
        programme_verdict(cut, **COLS, year=2025)


# -- the sentences, word for word ------------------------------------------------------------
def test_sentences_goal_not_decidable_word_for_word():
    en, idn = sentences(-0.0123, -0.02, -0.0046, 0.7, 0.3, 2025, 0.01, 0.95)
    assert en == ("In 2025, KASSAKI lowered the district poverty rate by an estimated 1.2 "
                  "percentage points (95% confidence interval for the reduction: 0.5 to 2.0 "
                  "points); the probability that the reduction exceeds 1 percentage point is 70% "
                  "(one-sided test p = 0.30), so the data cannot tell whether the goal of more "
                  "than 1 point was met.")
    assert idn == ("Pada tahun 2025, KASSAKI diperkirakan menurunkan angka kemiskinan kabupaten "
                   "sebesar 1,2 poin persen (selang kepercayaan 95% untuk penurunan: 0,5 sampai "
                   "2,0 poin); peluang penurunan lebih dari 1 poin persen adalah 70% (uji satu "
                   "sisi p = 0,30), sehingga data belum dapat memastikan apakah target penurunan "
                   "lebih dari 1 poin tercapai.")


def test_sentences_goal_met_word_for_word():
    en, idn = sentences(-0.025, -0.035, -0.015, 0.99, 0.01, 2024, 0.01, 0.9)
    assert en == ("In 2024, KASSAKI lowered the district poverty rate by an estimated 2.5 "
                  "percentage points (90% confidence interval for the reduction: 1.5 to 3.5 "
                  "points); the probability that the reduction exceeds 1 percentage point is 99% "
                  "(one-sided test p = 0.01), so the goal of more than 1 point was met.")
    assert idn == ("Pada tahun 2024, KASSAKI diperkirakan menurunkan angka kemiskinan kabupaten "
                   "sebesar 2,5 poin persen (selang kepercayaan 90% untuk penurunan: 1,5 sampai "
                   "3,5 poin); peluang penurunan lebih dari 1 poin persen adalah 99% (uji satu "
                   "sisi p = 0,01), sehingga target penurunan lebih dari 1 poin tercapai.")


def test_sentences_increase_and_goal_not_met_word_for_word():
    en, idn = sentences(0.004, -0.002, 0.01, 0.0, 1.0, 2025, 0.01, 0.95)
    assert en == ("In 2025, KASSAKI raised the district poverty rate by an estimated 0.4 "
                  "percentage points (95% confidence interval for the reduction: -1.0 to 0.2 "
                  "points); the probability that the reduction exceeds 1 percentage point is 0% "
                  "(one-sided test p = 1.00), so the goal of more than 1 point was not met.")
    assert idn == ("Pada tahun 2025, KASSAKI diperkirakan menaikkan angka kemiskinan kabupaten "
                   "sebesar 0,4 poin persen (selang kepercayaan 95% untuk penurunan: -1,0 sampai "
                   "0,2 poin); peluang penurunan lebih dari 1 poin persen adalah 0% (uji satu "
                   "sisi p = 1,00), sehingga target penurunan lebih dari 1 poin tidak tercapai.")


def test_sentences_boundaries():
    # a CI bound exactly on the goal decides nothing: the goal is a reduction of MORE than 1 pp
    en, idn = sentences(-0.02, -0.03, -0.01, 0.9, 0.1, 2025, 0.01, 0.95)   # lower bound = 1 pp
    assert "cannot tell" in en and "belum dapat memastikan" in idn
    en, idn = sentences(-0.005, -0.01, 0.0, 0.2, 0.8, 2025, 0.01, 0.95)    # upper bound = 1 pp
    assert "cannot tell" in en and "belum dapat memastikan" in idn
    # no change at all is reported as "lowered by 0.0" (not "raised")
    en, idn = sentences(0.0, -0.01, 0.01, 0.1, 0.9, 2025, 0.01, 0.95)
    assert "KASSAKI lowered the district poverty rate by an estimated 0.0 " in en
    assert "diperkirakan menurunkan angka kemiskinan kabupaten sebesar 0,0 " in idn


def test_sentences_non_integer_goal_in_both_languages():
    """A half-point goal reads 0.5 / 0,5 (it read "0 poin" in Bahasa before issue 18)."""
    en, idn = sentences(-0.0123, -0.02, -0.0046, 0.7, 0.3, 2025, 0.005, 0.95)
    assert "exceeds 0.5 percentage point" in en and "goal of more than 0.5 point was met" in en
    assert idn.count("lebih dari 0,5 poin") == 2 and "lebih dari 0 poin" not in idn
    en, idn = sentences(-0.0123, -0.03, -0.025, 0.99, 0.01, 2025, 0.02, 0.95)
    assert "goal of more than 2 point was met" in en and "lebih dari 2 poin tercapai" in idn


# -- verdict_from_survey: the one-call path of the report -------------------------------------
def test_verdict_from_survey_is_programme_verdict_on_the_evaluation_panel(small_world):
    from kassaki_eval.reference import poverty_line
    s = small_world.survey
    lines = {y: poverty_line(y) for y in (2023, 2024, 2025)}
    opts = dict(threshold=0.02, cluster="kec_code", method="reg", control="never", alpha=0.1)
    a = verdict_from_survey(s, lines=lines, year=2024, rollout=small_world.rollout, **opts)
    vp = evaluation_panel(s, lines=lines, outcomes=["poor"], rollout=small_world.rollout,
                          as_of=2024)
    b = programme_verdict(vp, year=2024, **opts)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert a.extras["sentence_en"] == b.extras["sentence_en"]
    assert dict(a.provenance.options) == dict(b.provenance.options)
    # default lines: the district's lines of kassaki_eval.reference; default year: the last
    c = verdict_from_survey(s, cluster="kec_code")
    d = programme_verdict(evaluation_panel(s, lines=lines, outcomes=["poor"], as_of=2025),
                          cluster="kec_code")
    pd.testing.assert_frame_equal(c.tidy(), d.tidy())


def test_verdict_from_survey_errors(small_world):
    s = small_world.survey
    with pytest.raises(ParameterError, match=r"'lines' parameter of verdict_from_survey must give "
                                             r"a poverty line for every survey year\. Got none "
                                             r"for \[2024\]"):
        verdict_from_survey(s, lines={2023: 500_000.0, 2025: 600_000.0}, year=2024)
    # a line missing only for a later year than the verdict's is not needed
    verdict_from_survey(s, lines={2023: 500_000.0, 2024: 550_000.0}, year=2024)
    with pytest.raises(ParameterError, match="'survey' parameter of verdict_from_survey.*"
                                             "'treated_village'"):
        verdict_from_survey(s.drop(columns="treated_village"), year=2024)
    # with a roll-out table the survey's own flag is not needed
    verdict_from_survey(s.drop(columns="treated_village"), year=2024,
                        rollout=small_world.rollout)


def test_cohort_from_treated_names_the_missing_column_and_returns_integers():
    from kassaki_eval.impact.verdict import cohort_from_treated
    d = pd.DataFrame({"v": [1, 1, 2, 2], "t": [2023, 2024, 2023, 2024], "tr": [0, 1, 0, 0]})
    out = cohort_from_treated(d, unit="v", time="t", treated="tr")
    assert out.dtype == np.int64 and out.tolist() == [2024, 2024, 0, 0]
    for kw in ("unit", "time", "treated"):
        args = {"unit": "v", "time": "t", "treated": "tr", kw: "nope"}
        with pytest.raises(ParameterError, match=f"The '{kw}' parameter of cohort_from_treated "
                                                 "must name a column of data. Got 'nope'"):
            cohort_from_treated(d, **args)
