"""impact/panel.py: behaviour areas of ``evaluation_panel`` left open by the seed-21 sample
(issue 18, session 13): the ``kec_code`` / ``zone`` columns "when present", and the roll-out's
year cut-off at both ends (a first year is kept when ``0 < first_year <= as_of``).

Expected values are read off the module docstring's definition on the ten-household survey of
test_panel_pinned.py (villages A and B, waves 2023-2025).
"""
from __future__ import annotations

import pandas as pd
from test_panel_pinned import LINES, _survey  # same directory (pytest prepends it)

from kassaki_eval.impact.panel import evaluation_panel


def test_kec_code_and_zone_are_kept_only_when_present():
    """The module docstring: ``kec_code``, ``zone`` (when present). A survey without ``zone``
    gives a panel with ``kec_code`` and no ``zone`` (not a missing-column error), and the
    other way round; without both, neither."""
    base = ["village_code", "year", "poor", "pop_weight", "n_households"]
    tail = ["pop_weight_wave", "cohort"]
    vp = evaluation_panel(_survey().drop(columns=["zone"]), lines=LINES)
    assert list(vp.columns) == base + ["kec_code"] + tail
    assert vp["kec_code"].tolist() == ["K1"] * 3 + ["K2"] * 3
    vp = evaluation_panel(_survey().drop(columns=["kec_code"]), lines=LINES)
    assert list(vp.columns) == base + ["zone"] + tail
    assert vp["zone"].tolist() == ["island"] * 3 + ["coastal"] * 3
    vp = evaluation_panel(_survey().drop(columns=["kec_code", "zone"]), lines=LINES)
    assert list(vp.columns) == base + tail


def test_rollout_first_years_are_kept_from_one_up_to_as_of():
    """``first_year`` counts when ``0 < first_year <= as_of`` (module code; 0 = never):
    A kur 1 (the smallest positive year: kept), A training 2025 (= the last wave: kept),
    A other 0 (never); B kur -1 (not positive: 0), B training 2026 (after the last wave: 0),
    B has no 'other' row (0). Cohort = the first kept year: A min(1, 2025) = 1, B none = 0."""
    ro = pd.DataFrame({"village_code": ["A", "A", "A", "B", "B"],
                       "component": ["kur", "training", "other", "kur", "training"],
                       "first_year": [1, 2025, 0, -1, 2026]})
    vp = evaluation_panel(_survey(), lines=LINES, rollout=ro)
    assert vp["cohort"].tolist() == [1] * 3 + [0] * 3
    assert vp["first_kur"].tolist() == [1] * 3 + [0] * 3
    assert vp["first_training"].tolist() == [2025] * 3 + [0] * 3
    assert vp["first_other"].tolist() == [0] * 6
    # the same table cut at 2024: A's training (2025) no longer counts; A's cohort stays 1
    vp24 = evaluation_panel(_survey(), lines={2023: 200.0, 2024: 200.0}, rollout=ro,
                            as_of=2024)
    assert vp24["first_training"].tolist() == [0] * 4
    assert vp24["cohort"].tolist() == [1, 1, 0, 0]


def test_rollout_cohort_column_is_kept_from_one_up_to_as_of():
    """The roll-out's own ``cohort`` column has the same cut-off, ``0 < cohort <= as_of``:
    A 1 (kept), B 2025 (= as_of: kept); cut at 2024, B's 2025 becomes 0."""
    ro = pd.DataFrame({"village_code": ["A", "B"], "component": ["kur", "kur"],
                       "first_year": [2024, 2025], "cohort": [1, 2025]})
    vp = evaluation_panel(_survey(), lines=LINES, rollout=ro)
    assert vp["cohort"].tolist() == [1] * 3 + [2025] * 3
    vp24 = evaluation_panel(_survey(), lines={2023: 200.0, 2024: 200.0}, rollout=ro,
                            as_of=2024)
    assert vp24["cohort"].tolist() == [1, 1, 0, 0]
