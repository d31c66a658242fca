"""Apply each of issue 18's hand-made survivors alone and run the test meant to kill it.

Run from the repository root: ``python tests/boundaries/hand_mutations.py``. Each mutation
is a literal text replacement in one file (restored afterwards, also on error); the test must
FAIL with the mutation and PASS without it. Prints one line per mutation.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # tests/boundaries/ -> repo
B = "tests/boundaries/test_boundaries.py::"
R = "tests/boundaries/test_report_boundaries.py::"

# (name, file, old, new, test)
MUTATIONS = [
    ("poverty line strict (fgt)", "kassaki_eval/poverty/measures.py",
     'poor = y < z if line_rule == "strict" else y <= z',
     'poor = y <= z if line_rule == "strict" else y <= z',
     B + "test_household_exactly_on_the_line_is_not_poor_by_default"),
    ("poverty line strict (fgt_scores)", "kassaki_eval/poverty/_common.py",
     "poor = y < z if strict else y <= z", "poor = y <= z if strict else y <= z",
     B + "test_household_exactly_on_the_line_in_change"),
    ("lonely adjust ignores fpc", "kassaki_eval/poverty/design.py",
     "scale = np.where(lonely, self.one_minus_f, scale)", "scale = np.where(lonely, 1.0, scale)",
     B + "test_lonely_psu_with_fpc_matches_r_survey"),
    ("relative-line derivative", "kassaki_eval/poverty/measures.py",
     "* y / z ** 2, 0.0)", "* y / z, 0.0)",
     B + "test_fgt_line_derivative_equals_numerical_derivative"),
    ("report targeting desil <= 4 -> < 4 (notebook)", "notebooks/03_targeting.py",
     'eligible = wave["desil"] <= eligible_desil', 'eligible = wave["desil"] < eligible_desil',
     R + "test_report_targeting_is_desil_1_to_4"),
    ("report targeting desil <= 4 -> < 4 (section)", "kassaki_eval/reporting/sections/targeting.py",
     'eligible = wave["desil"] <= p.eligible_desil', 'eligible = wave["desil"] < p.eligible_desil',
     R + "test_report_targeting_is_desil_1_to_4"),
    ("report goal / 10 (fit)", "notebooks/04_impact.py",
     "threshold=p.goal_pp / 100", "threshold=p.goal_pp / 10",
     R + "test_report_goal_is_goal_pp_over_100"),
    ("report goal / 10 (sentence)", "kassaki_eval/reporting/sections/impact.py",
     'goal = float(ex["threshold"])', 'goal = float(ex["threshold"]) * 10',
     R + "test_report_goal_is_goal_pp_over_100"),
    ("verdict sentence left out", "kassaki_eval/reporting/sections/impact.py",
     "b.sentences.append((key, {", "(lambda *a: None)((key, {",
     R + "test_verdict_section_is_present_in_every_language"),
    ("verdict title 'unavailable'", "kassaki_eval/reporting/sections/impact.py",
     'title_key="nb4.verdict.title"', 'title_key="nb4.verdict.undecided"',
     R + "test_verdict_section_is_present_in_every_language"),
    ("verdict_from_survey default threshold x10", "kassaki_eval/impact/verdict.py",
     "    threshold: float = 0.01,\n    cluster: str | None = None,\n    method",
     "    threshold: float = 0.1,\n    cluster: str | None = None,\n    method",
     B + "test_verdict_from_survey_default_threshold_is_one_point"),
    ("RD h/b ignored", "kassaki_eval/impact/rd.py",
     "bwselect=bwselect, h=h, b=b, vce=vce", "bwselect=bwselect, h=None, b=None, vce=vce",
     B + "test_rd_user_bandwidth_gives_the_local_linear_fit_by_hand"),
    ("PII column dropped from list", "kassaki_eval/data/contracts.py",
     '"nama_krt", "nik_krt", ', '"nik_krt", ',
     B + "test_every_personal_column_is_removed_by_pseudonymise"),
    ("merge small groups < k -> <= k", "kassaki_eval/reporting/disclosure.py",
     "small = t[count_col].to_numpy(dtype=float) < k",
     "small = t[count_col].to_numpy(dtype=float) <= k",
     B + "test_group_of_exactly_k_is_kept_and_k_minus_1_is_merged"),
    ("i18n falls back to English", "kassaki_eval/reporting/i18n.py",
     "text = cat[key].get(lang)\n", 'text = cat[key].get(lang) or cat[key].get("en")\n',
     B + "test_missing_language_text_raises_instead_of_falling_back"),
]


def run(test: str) -> bool:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                        test], cwd=ROOT, env=env, capture_output=True, text=True)
    return r.returncode == 0


def main() -> int:
    bad = 0
    for name, file, old, new, test in MUTATIONS:
        p = ROOT / file
        src = p.read_text()
        if src.count(old) != 1:
            print(f"SKIP   {name}: pattern found {src.count(old)} times in {file}")
            bad += 1
            continue
        try:
            p.write_text(src.replace(old, new))
            killed = not run(test)
        finally:
            p.write_text(src)
        print(f"{'KILLED' if killed else 'SURVIVED'} {name}  [{file}] by {test.split('::')[1]}")
        bad += not killed
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
