"""impact/panel.py: ``evaluation_panel`` pinned by hand on a ten-household survey (issue 18).

Every expected value is worked out in the comments from the module docstring's definition:
person weights ``weight * hh_size``; ``poor`` = ``consumption_pc < line(year)`` (strict);
``log_consumption_pc`` = ``log(max(consumption_pc, 1))``; ``pop_weight`` = the mean over the
waves up to ``as_of`` of the wave's sum of person weights; the cohort from the roll-out table
(``cohort`` column first, else the first ``first_year``) or the first treated survey year;
years after ``as_of`` dropped and cohorts after it set to 0.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact.panel import evaluation_panel

LINES = {2023: 200.0, 2024: 200.0, 2025: 250.0}


def _survey() -> pd.DataFrame:
    rows = [  # year, village, weight, hh_size, consumption_pc, treated_village, employed
        (2023, "A", 10, 2, 100, 0, 1), (2023, "A", 20, 3, 300, 0, 0),
        (2023, "B", 5, 4, 50, 0, 1), (2023, "B", 15, 1, 200, 0, 0),
        (2024, "A", 10, 2, 150, 1, 1), (2024, "A", 30, 1, 0, 1, 1),
        (2024, "B", 5, 4, 200, 0, 0),
        (2025, "A", 10, 2, 400, 1, 0),
        (2025, "B", 8, 2, 100, 1, 1), (2025, "B", 2, 1, 500, 1, 0),
    ]
    s = pd.DataFrame(rows, columns=["year", "village_code", "weight", "hh_size",
                                    "consumption_pc", "treated_village", "employed"])
    s["kec_code"] = s["village_code"].map({"A": "K1", "B": "K2"})
    s["zone"] = s["village_code"].map({"A": "island", "B": "coastal"})
    return s


def _col(vp, col):
    return {(r.village_code, r.year): getattr(r, col) for r in vp.itertuples()}


def test_outcomes_weights_and_cohorts_from_the_survey():
    vp = evaluation_panel(_survey(), lines=LINES,
                          outcomes=["poor", "log_consumption_pc", "employed", "poor"])
    assert list(vp.columns) == ["village_code", "year", "poor", "log_consumption_pc",
                                "employed", "pop_weight", "n_households", "kec_code", "zone",
                                "pop_weight_wave", "cohort"]
    assert list(zip(vp["village_code"], vp["year"])) == [
        ("A", 2023), ("A", 2024), ("A", 2025), ("B", 2023), ("B", 2024), ("B", 2025)]
    # poor: A 2023 20 of 80 person weights (100 < 200; 300 not); B 2023 20 of 35 (200 is on
    # the line: not poor); A 2024 all 50; B 2024 0 of 20 (on the line); A 2025 0 of 20
    # (400 >= 250); B 2025 16 of 18
    assert _col(vp, "poor") == pytest.approx({
        ("A", 2023): 20 / 80, ("B", 2023): 20 / 35, ("A", 2024): 1.0, ("B", 2024): 0.0,
        ("A", 2025): 0.0, ("B", 2025): 16 / 18})
    # log consumption: A 2024 = (20 log 150 + 30 log max(0, 1)) / 50
    lc = _col(vp, "log_consumption_pc")
    assert lc[("A", 2024)] == pytest.approx(20 * math.log(150) / 50, rel=1e-12)
    assert lc[("B", 2025)] == pytest.approx((16 * math.log(100) + 2 * math.log(500)) / 18,
                                            rel=1e-12)
    # a survey column: employed, A 2023 = 20 / 80, B 2025 = 16 / 18
    assert _col(vp, "employed")[("A", 2023)] == pytest.approx(0.25)
    assert _col(vp, "employed")[("B", 2025)] == pytest.approx(16 / 18)
    # person weights per wave and their mean over the three waves
    assert _col(vp, "pop_weight_wave") == {("A", 2023): 80, ("A", 2024): 50, ("A", 2025): 20,
                                           ("B", 2023): 35, ("B", 2024): 20, ("B", 2025): 18}
    assert _col(vp, "pop_weight") == pytest.approx({
        ("A", 2023): 50.0, ("A", 2024): 50.0, ("A", 2025): 50.0,
        ("B", 2023): 73 / 3, ("B", 2024): 73 / 3, ("B", 2025): 73 / 3})
    assert vp["n_households"].tolist() == [2, 2, 1, 2, 1, 2]
    assert vp["kec_code"].tolist() == ["K1"] * 3 + ["K2"] * 3
    # the first surveyed year with treated_village == 1; treated_village itself not kept
    assert vp["cohort"].tolist() == [2024] * 3 + [2025] * 3
    assert vp["cohort"].dtype.kind == "i"


def test_as_of_cuts_waves_cohorts_and_the_population():
    lines = {2023: 200.0, 2024: 200.0}      # no line for 2025 is needed before 2025
    vp = evaluation_panel(_survey(), lines=lines, as_of=2024)
    assert sorted(vp["year"].unique().tolist()) == [2023, 2024]
    assert _col(vp, "pop_weight") == pytest.approx({("A", 2023): 65.0, ("A", 2024): 65.0,
                                                    ("B", 2023): 27.5, ("B", 2024): 27.5})
    assert vp["cohort"].tolist() == [2024, 2024, 0, 0]    # B is first treated in 2025
    assert "treated_village" not in vp.columns


def test_treated_village_kept_when_asked_for():
    vp = evaluation_panel(_survey(), lines=LINES, outcomes=["poor", "treated_village"])
    # B 2025: every household treated; A 2023: none
    assert _col(vp, "treated_village")[("B", 2025)] == 1.0
    assert _col(vp, "treated_village")[("A", 2023)] == 0.0
    assert vp["cohort"].tolist() == [2024] * 3 + [2025] * 3


def test_log_consumption_alone_needs_no_poverty_line():
    vp = evaluation_panel(_survey(), lines={}, outcomes=["log_consumption_pc"])
    assert "poor" not in vp.columns and len(vp) == 6


ROLLOUT = pd.DataFrame({"village_code": ["A", "A", "B", "C"],
                        "component": ["kur", "training", "kur", "kur"],
                        "first_year": [2024, 2025, 2026, 2024]})


def test_cohorts_and_components_from_the_rollout():
    s = _survey().drop(columns=["treated_village"])    # not needed with a roll-out table
    vp = evaluation_panel(s, lines=LINES, rollout=ROLLOUT)
    # A: first of 2024 (kur) and 2025 (training); B: 2026 is after the last wave -> 0;
    # C has no survey rows and no panel rows
    assert vp["cohort"].tolist() == [2024] * 3 + [0] * 3
    assert vp["first_kur"].tolist() == [2024] * 3 + [0] * 3
    assert vp["first_training"].tolist() == [2025] * 3 + [0] * 3   # B has no training row
    assert set(vp["village_code"]) == {"A", "B"}
    assert vp["first_kur"].dtype.kind == "i" and vp["cohort"].dtype.kind == "i"
    vp24 = evaluation_panel(s, lines=LINES, rollout=ROLLOUT, as_of=2024)
    assert vp24["first_training"].tolist() == [0, 0, 0, 0]          # 2025 > as_of
    assert vp24["cohort"].tolist() == [2024, 2024, 0, 0]


def test_the_rollouts_cohort_column_comes_first():
    ro = ROLLOUT.assign(cohort=[2023, 2023, 2025, 2024])
    vp = evaluation_panel(_survey(), lines=LINES, rollout=ro)
    assert vp["cohort"].tolist() == [2023] * 3 + [2025] * 3
    vp24 = evaluation_panel(_survey(), lines=LINES, rollout=ro, as_of=2024)
    assert vp24["cohort"].tolist() == [2023, 2023, 0, 0]            # 2025 > as_of


def test_errors_word_for_word():
    s = _survey()
    with pytest.raises(ParameterError) as e:
        evaluation_panel(s, lines={2023: 200.0, 2025: 250.0})
    assert str(e.value) == ("The 'lines' parameter of evaluation_panel must give a poverty "
                            "line for every survey year up to 2025. Got none for [2024] "
                            "instead.")
    with pytest.raises(ParameterError) as e:
        evaluation_panel(s, lines=LINES, as_of=2020)
    assert str(e.value) == ("The 'as_of' parameter of evaluation_panel must be a year with "
                            "survey data (waves: [2023, 2024, 2025]). Got 2020 instead.")
    cols = ", ".join(s.drop(columns=["hh_size"]).columns)
    with pytest.raises(ParameterError) as e:
        evaluation_panel(s.drop(columns=["hh_size"]), lines=LINES)
    assert str(e.value) == ("The 'survey' parameter of evaluation_panel must name a column of "
                            f"data. Got 'hh_size' instead (columns: {cols}…).")
    with pytest.raises(ParameterError) as e:      # without a roll-out the survey says who
        evaluation_panel(s.drop(columns=["treated_village"]), lines=LINES)
    assert "Got 'treated_village' instead" in str(e.value)
    with pytest.raises(ParameterError) as e:
        evaluation_panel(s, lines=LINES, outcomes=["employed", "income"])
    assert "Got 'income' instead" in str(e.value)
    with pytest.raises(ParameterError) as e:
        evaluation_panel(s, lines=LINES, rollout=ROLLOUT.drop(columns=["first_year"]))
    assert str(e.value) == ("The 'rollout' parameter of evaluation_panel must name a column of "
                            "data. Got 'first_year' instead (columns: village_code, "
                            "component…).")


def test_a_survey_outcome_alone_needs_no_consumption():
    s = _survey().drop(columns=["consumption_pc"])
    vp = evaluation_panel(s, lines={}, outcomes=["employed"])
    assert list(vp.columns)[:3] == ["village_code", "year", "employed"] and len(vp) == 6


def test_a_component_listed_twice_starts_in_its_first_year():
    """The roll-out contract has one row per village and component; given two (a raw table),
    the component's first year is the earlier one, not their mean (2023 and 2025: 2023)."""
    ro = pd.DataFrame({"village_code": ["A", "A", "B"], "component": ["kur", "kur", "kur"],
                       "first_year": [2025, 2023, 2024]})
    vp = evaluation_panel(_survey(), lines=LINES, rollout=ro)
    assert vp["first_kur"].tolist() == [2023] * 3 + [2024] * 3
    assert vp["cohort"].tolist() == [2023] * 3 + [2024] * 3
