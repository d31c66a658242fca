"""Scoped mutmut 3 runs, one module at a time with only its relevant tests (``make mutation``).

Usage (from the repository root)::

    python tests/boundaries/run_mutmut.py [module ...]   # default: every module of MODULES
    python tests/boundaries/run_mutmut.py --sample 300 kassaki_eval/poverty/measures.py
    python tests/boundaries/run_mutmut.py --rerun kassaki_eval/poverty/measures.py

Each module is mutated in a throw-away copy of the repository
(``$TMPDIR/kassaki-mutmut/<module>/``, e.g. ``impact._common``)
with a ``setup.cfg [mutmut]`` section naming it and its tests, so runs never touch the work
tree and two modules can be run one after the other on a shared 2-core machine
(``--max-children 1``). Prints mutmut's counts per module (killed, survived, no tests,
timeout) and writes the survivors' names to ``<copy>/survivors.txt``; inspect one with
``mutmut show <name>`` inside the copy. Not part of CI (minutes per module).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTMUT = Path(sys.executable).with_name("mutmut")

#: module -> the tests that pin it (kept small: mutmut runs them for every mutant)
MODULES: dict[str, list[str]] = {
    "kassaki_eval/reporting/i18n.py": ["tests/reporting/test_i18n.py",
                                       "tests/reporting/test_i18n_rules.py",
                                       "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/reporting/disclosure.py": ["tests/reporting/test_disclosure.py",
                                             "tests/reporting/test_disclosure_rules.py",
                                             "tests/reporting/test_disclosure_areas.py",
                                             "tests/properties/test_invariants.py",
                                             "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/data/pseudonymise.py": ["tests/data/test_pseudonymise.py",
                                          "tests/data/test_pseudonymise_rules.py",
                                          "tests/data/test_pseudonymise_areas.py",
                                          "tests/boundaries/test_boundaries.py"],
    # measures.py: test_measures_areas.py repeats tests/properties/test_invariants.py's
    # measures properties on fixed data (the Hypothesis file was most of ~40 s a mutant), and
    # test_boundaries.py's measures tests only (session 11)
    "kassaki_eval/poverty/measures.py": [
        "tests/poverty/test_measures.py",
        "tests/poverty/test_measures_pins.py",
        "tests/poverty/test_measures_areas.py",
        "tests/poverty/test_design.py",
        "tests/boundaries/test_boundaries.py::test_household_exactly_on_the_line_is_not_poor_by_default",
        "tests/boundaries/test_boundaries.py::test_lonely_psu_with_fpc_matches_r_survey",
        "tests/boundaries/test_boundaries.py::test_fgt_line_derivative_equals_numerical_derivative",
        "tests/boundaries/test_boundaries.py::test_household_exactly_on_the_line_in_change",
        # session 14: existing fast files that also pin measures (fgt/change deprecation path,
        # severity by hand; the incidence-curve plot's backend)
        "tests/poverty/test_common_pinned.py",
        "tests/test_plots_keep_the_callers_backend.py::"
        "test_plot_draws_a_pyplot_figure_and_keeps_the_backend[plot_incidence_curve]",
        "tests/poverty/test_measures_pinned.py"],
    "kassaki_eval/poverty/design.py": ["tests/poverty/test_design.py",
                                       "tests/poverty/test_design_pins.py",
                                       "tests/poverty/test_design_areas.py",
                                       "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/poverty/inequality.py": ["tests/poverty/test_inequality.py",
                                           "tests/poverty/test_inequality_pinned.py",
                                           "tests/poverty/test_inequality_areas.py",
                                           "tests/properties/test_invariants.py"],
    "kassaki_eval/impact/verdict.py": ["tests/impact/test_verdict.py",
                                       "tests/impact/test_verdict_formulas.py",
                                       "tests/impact/test_verdict_areas.py",
                                       "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/targeting/metrics.py": ["tests/targeting/test_metrics.py",
                                          "tests/targeting/test_metrics_pinned.py",
                                          "tests/targeting/test_metrics_linear.py",
                                          "tests/targeting/test_metrics_areas.py",
                                          "tests/properties/test_invariants.py"],
    "kassaki_eval/inference/core.py": ["tests/inference/test_inference.py",
                                       "tests/inference/test_inference_pinned.py",
                                       "tests/inference/test_core_areas.py",
                                       "tests/impact/test_did_cluster_sides.py",
                                   "tests/impact/test_did_areas.py"],
    "kassaki_eval/data/contracts.py": ["tests/data/test_contracts.py",
                                       "tests/data/test_contracts_pinned.py",
                                       "tests/data/test_contracts_amounts.py",
                                       "tests/data/test_contracts_areas.py",
                                       "tests/data/test_bad_inputs.py"],
    "kassaki_eval/data/loaders.py": ["tests/data/test_loaders.py",
                                     "tests/data/test_loaders_pinned.py",
                                     "tests/data/test_bad_inputs.py"],
    "kassaki_eval/targeting/selection.py": ["tests/targeting/test_selection.py",
                                            "tests/targeting/test_selection_pinned.py",
                                            "tests/targeting/test_scale.py",
                                            "tests/targeting/test_selection_areas.py"],
    "kassaki_eval/targeting/pmt.py": ["tests/targeting/test_pmt.py",
                                      "tests/targeting/test_pmt_pinned.py",
                                      "tests/targeting/test_pmt_areas.py"],
    "kassaki_eval/impact/rd.py": ["tests/impact/test_rd.py",
                                  "tests/impact/test_rd_pinned.py",
                                  "tests/impact/test_rd_areas.py",
                                  "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/impact/did.py": ["tests/impact/test_did.py",
                                   "tests/impact/test_did_pinned.py",
                                   "tests/impact/test_did_cluster_sides.py",
                                   "tests/impact/test_did_areas.py"],
    "kassaki_eval/impact/matching.py": ["tests/impact/test_matching.py",
                                        "tests/impact/test_matching_pinned.py",
                                        "tests/impact/test_matching_areas.py",
                                        "tests/impact/test_balance.py"],
    "kassaki_eval/impact/staggered.py": ["tests/impact/test_staggered.py",
                                         "tests/impact/test_staggered_pinned.py",
                                         "tests/impact/test_staggered_areas.py"],
    "kassaki_eval/targeting/rules.py": ["tests/targeting/test_rules.py",
                                        "tests/targeting/test_rules_pinned.py",
                                        "tests/targeting/test_rules_areas.py"],
    # profiles.py: test_profiles.py without its report / ingest / suggest / map-apply CLI runs
    # (~15 s a mutant; they pin map_cli.py and the CLIs, which have entries of their own)
    "kassaki_eval/data/profiles.py": [
        "tests/data/test_profiles.py::test_every_shipped_profile_loads_and_has_a_hash",
        "tests/data/test_profiles.py::test_unknown_target_column_names_line_and_closest",
        "tests/data/test_profiles.py::test_wrong_sheet_names_line_and_the_sheets",
        "tests/data/test_profiles.py::test_recode_missing_a_code_in_the_data_names_line_and_rows",
        "tests/data/test_profiles.py::test_missing_source_column_and_bad_amounts_reported_together",
        "tests/data/test_profiles.py::test_personal_values_never_quoted",
        "tests/data/test_profiles.py::test_join_gaps_and_two_heads_name_the_rows",
        "tests/data/test_profiles.py::test_file_not_matching_any_pattern",
        "tests/data/test_profiles.py::test_unknown_profile_name",
        "tests/data/test_profiles.py::test_unknown_keys_units_and_parsers",
        "tests/data/test_profiles.py::test_parsers",
        "tests/data/test_profiles.py::test_map_check_reports_problems_and_exits_2",
        "tests/data/test_xlsx_readers.py",
        "tests/data/test_profiles_pinned.py",
        "tests/data/test_profiles_pinned2.py",
        "tests/data/test_profiles_areas.py"],
    "kassaki_eval/impact/sunab.py": ["tests/impact/test_sunab.py",
                                     "tests/impact/test_sunab_pinned.py",
                                     "tests/impact/test_sunab_areas.py"],
    "kassaki_eval/impact/balance.py": [
        "tests/impact/test_balance.py",
        "tests/impact/test_balance_pinned.py",
        "tests/impact/test_balance_areas.py",
        "tests/test_plots_keep_the_callers_backend.py::"
        "test_plot_draws_a_pyplot_figure_and_keeps_the_backend[love_plot]",
        "tests/test_plots_keep_the_callers_backend.py::"
        "test_plot_draws_a_pyplot_figure_and_keeps_the_backend[overlap_plot]"],
    "kassaki_eval/data/personal.py": ["tests/data/test_privacy.py",
                                      "tests/data/test_contracts.py",
                                      "tests/data/test_bad_inputs.py",
                                      "tests/data/test_pseudonymise_rules.py",
                                      "tests/data/test_personal_pinned.py",
                                      "tests/data/test_personal_areas.py"],
    "kassaki_eval/impact/weighting.py": ["tests/impact/test_weighting.py",
                                         "tests/impact/test_weighting_pinned.py",
                                         "tests/impact/test_weighting_areas.py"],
    "kassaki_eval/impact/power.py": ["tests/impact/test_power.py",
                                     "tests/impact/test_power_pinned.py"],
    "kassaki_eval/impact/eventstudy.py": ["tests/impact/test_eventstudy.py",
                                          "tests/impact/test_honestdid.py",
                                          "tests/impact/test_eventstudy_pinned.py",
                                          "tests/impact/test_eventstudy_areas.py"],
    "kassaki_eval/poverty/sae/fayherriot.py": ["tests/poverty/test_sae.py",
                                               "tests/poverty/test_sae_fh_pinned.py",
                                               "tests/poverty/test_sae_fh_areas.py"],
    # unitlevel.py: test_sae_world.py fits the synthetic world's EBP (minutes a mutant) and is
    # left out since session 14; the two files below run in about 10 s
    "kassaki_eval/poverty/sae/unitlevel.py": ["tests/poverty/test_sae_ebp.py",
                                              "tests/poverty/test_sae_ebp_pinned.py",
                                              "tests/poverty/test_sae_ebp_areas.py"],
    # decomposition.py: of the Hypothesis file only its one decomposition property (the rest
    # pins measures/inequality, ~40 s a mutant); test_common_pinned.py's old-keyword calls
    "kassaki_eval/poverty/decomposition.py": [
        "tests/poverty/test_decomposition.py",
        "tests/poverty/test_decomposition_pinned.py",
        "tests/poverty/test_common_pinned.py",
        "tests/poverty/test_decomposition_areas.py",
        "tests/properties/test_invariants.py::test_shapley_adds_up"],
    "kassaki_eval/data/checks.py": ["tests/reporting/test_inputs_route.py",
                                    "tests/data/test_checks_pinned.py"],
    "kassaki_eval/data/suggest.py": [
        "tests/data/test_suggest_synonyms.py",
        "tests/data/test_profiles.py::test_suggest_drafts_a_loadable_profile",
        "tests/data/test_suggest_pinned.py",
        "tests/data/test_suggest_areas.py"],
    "kassaki_eval/impact/honestdid.py": ["tests/impact/test_honestdid.py",
                                         "tests/impact/test_honestdid_pinned.py",
                                         "tests/impact/test_honestdid_areas.py"],
    "kassaki_eval/poverty/_common.py": ["tests/poverty/test_common_areas.py",
                                        "tests/poverty/test_common_pinned.py",
                                        "tests/poverty/test_measures.py",
                                        "tests/poverty/test_measures_pins.py",
                                        "tests/poverty/test_inequality.py",
                                        "tests/poverty/test_inequality_pinned.py",
                                        "tests/poverty/test_decomposition_pinned.py",
                                        "tests/poverty/test_design.py",
                                        "tests/poverty/test_design_pins.py",
                                        "tests/boundaries/test_boundaries.py",
                                        # session 14: the area files of its callers
                                        "tests/poverty/test_measures_areas.py",
                                        "tests/poverty/test_inequality_areas.py",
                                        "tests/poverty/test_decomposition_areas.py"],
    "kassaki_eval/poverty/sae/direct.py": ["tests/poverty/test_sae_direct_pinned.py",
                                           "tests/poverty/test_sae_direct_areas.py",
                                           "tests/poverty/test_sae.py"],
    # map_cli.py: the pinned file (~5 s a mutant) and two sub-second tests; the report runs and
    # demo-file tests of test_profiles.py (~8 s more a mutant) killed no mutant the pinned file
    # did not (session 10, seed-19 sample of 120; docs/MUTATION.md)
    "kassaki_eval/data/map_cli.py": [
        "tests/data/test_map_cli_pinned.py",
        "tests/data/test_profiles.py::test_map_check_reports_problems_and_exits_2",
        "tests/data/test_xlsx_readers.py::"
        "test_map_apply_writes_into_a_folder_that_does_not_exist_yet"],
    "kassaki_eval/cli.py": ["tests/data/test_cli.py", "tests/test_cli_pinned.py"],
    "kassaki_eval/data/cli.py": [
        "tests/data/test_cli.py",
        "tests/data/test_validate_ingest_cli.py",
        "tests/docs/test_cli_reference.py",
        "tests/test_cli_pinned.py",
        "tests/data/test_privacy.py::test_no_raw_identifier_in_anything_written_or_raised",
        "tests/data/test_map_cli_pinned.py::test_validate_and_ingest_with_a_profile",
        "tests/data/test_map_cli_pinned.py::test_profile_route_errors",
        "tests/data/test_cli_areas.py"],
    "kassaki_eval/impact/_common.py": ["tests/impact/test_did.py",
                                       "tests/impact/test_weighting.py",
                                       "tests/impact/test_honestdid.py",
                                       "tests/impact/test_impact_common_pinned.py",
                                       "tests/impact/test_weighting_areas.py",
                                       "tests/impact/test_honestdid_areas.py",
                                       "tests/impact/test_balance_areas.py",
                                       "tests/impact/test_impact_common_areas.py"],
    "kassaki_eval/impact/panel.py": [
        "tests/impact/test_verdict.py",
        "tests/impact/test_panel_pinned.py",
        "tests/impact/test_panel_areas.py",
        "tests/impact/test_verdict_formulas.py::"
        "test_verdict_from_survey_is_programme_verdict_on_the_evaluation_panel"],
    "kassaki_eval/impact/_propensity.py": [
        "tests/impact/test_weighting_pinned.py",
        "tests/impact/test_matching_pinned.py",
        "tests/impact/test_weighting.py::test_crump_alpha_rule",
        "tests/impact/test_weighting.py::test_trimming_records_dropped_rows",
        "tests/impact/test_weighting.py::test_error_no_overlap",
        "tests/impact/test_weighting.py::test_fit_logit_matches_statsmodels_and_is_weight_scale_free",
        "tests/impact/test_weighting.py::test_fit_logit_warns_under_separation_not_under_collinearity",
        "tests/impact/test_matching.py::test_overlap_diagnostics_crump_alpha",
        "tests/impact/test_propensity_pinned.py",
        "tests/impact/test_weighting_areas.py",
        "tests/impact/test_matching_areas.py",
        "tests/impact/test_propensity_areas.py"],
    "kassaki_eval/targeting/_common.py": ["tests/targeting/test_common_pinned.py",
                                          "tests/targeting/test_metrics.py",
                                          "tests/targeting/test_metrics_pinned.py",
                                          "tests/targeting/test_rules_pinned.py",
                                          "tests/targeting/test_selection_pinned.py"],
    # sae/plots.py: test_sae_world.py's figure test needs the world's EBP (minutes a mutant)
    "kassaki_eval/poverty/sae/plots.py": [
        "tests/poverty/test_sae_ebp.py::test_village_map_needs_geopandas_for_a_boundary",
        "tests/poverty/test_sae_plots_pinned.py",
        "tests/poverty/test_sae_plots_areas.py",
        "tests/test_plots_keep_the_callers_backend.py::"
        "test_plot_draws_a_pyplot_figure_and_keeps_the_backend[plot_village_map]",
        "tests/test_plots_keep_the_callers_backend.py::"
        "test_plot_draws_a_pyplot_figure_and_keeps_the_backend[plot_direct_vs_model]"],
    "kassaki_eval/targeting/plots.py": ["tests/targeting/test_plots.py",
                                        "tests/targeting/test_plots_pinned.py",
                                        "tests/targeting/test_plots_areas.py"],
    "kassaki_eval/poverty/sae/_common.py": ["tests/poverty/test_sae_fh_pinned.py",
                                            "tests/poverty/test_sae_ebp_pinned.py",
                                            "tests/poverty/test_sae_common_pinned.py",
                                            "tests/poverty/test_sae_diagnostics_pinned.py"],
    # nested.py: the two lme4 reference checks of test_sae_ebp.py (its EBP runs are slow)
    "kassaki_eval/poverty/sae/nested.py": [
        "tests/poverty/test_sae_ebp.py::test_reml_matches_lme4_eusilca",
        "tests/poverty/test_sae_ebp.py::test_reml_boundary_matches_lme4_incomedata",
        "tests/poverty/test_sae_ebp_pinned.py",
        "tests/poverty/test_sae_nested_pinned.py"],
    # diagnostics.py: its other tests (test_sae_world.py) fit the synthetic district, minutes
    # a mutant; the pinned file runs on hand-made results in seconds
    "kassaki_eval/poverty/sae/diagnostics.py": ["tests/poverty/test_sae_diagnostics_pinned.py",
                                                "tests/poverty/test_sae_diagnostics_areas.py",
                                                "tests/poverty/test_sae_fh_pinned.py"],
    # scale.py: tests/targeting/test_scale.py (the whole synthetic registry, ~50 s) is left out
    "kassaki_eval/targeting/scale.py": ["tests/targeting/test_scale_pinned.py",
                                        "tests/targeting/test_selection_pinned.py",
                                        "tests/targeting/test_scale_areas.py"],
    # distributed.py: tests/test_distributed.py (a LocalCluster and a 60,000-family registry,
    # about a minute) is left out
    "kassaki_eval/targeting/distributed.py": ["tests/test_distributed_pinned.py",
                                              "tests/targeting/test_distributed_areas.py"],
    # cost.py: test_cost.py without its two world-based tests and its 200-draw coverage loop
    "kassaki_eval/impact/cost.py": [
        "tests/impact/test_cost.py::test_loans_count_at_their_cost_to_the_lender",
        "tests/impact/test_cost.py::test_cost_per_household_is_an_accounting_ratio",
        "tests/impact/test_cost.py::test_exact_interval_of_the_ratio_when_the_effect_excludes_zero",
        "tests/impact/test_cost.py::test_unbounded_and_undefined_intervals_warn",
        "tests/impact/test_cost.py::test_partner_allocation_adds_up",
        "tests/impact/test_cost.py::test_bad_input_is_one_clear_error",
        "tests/impact/test_cost.py::test_no_central_ratio_when_the_estimate_is_no_reduction",
        "tests/impact/test_cost_pinned.py",
        "tests/impact/test_cost_areas.py"],
}


#: appended to the copy's tests/conftest.py: order by mutmut's recorded call time, plus the
#: set-up time of the heavy session fixtures (a world or a whole report), which it does not record
ORDER_HOOK = """

def pytest_collection_modifyitems(config, items):  # added by run_mutmut.py (copy only)
    import json
    try:
        with open("mutmut-stats.json") as fh:
            dur = json.load(fh)["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    heavy = {"world": 10.0, "small_world": 1.0, "report": 60.0}

    def cost(item):
        fx = getattr(item, "fixturenames", ())
        return dur.get(item.nodeid, 0.0) + sum(v for k, v in heavy.items() if k in fx)

    items.sort(key=cost)
"""


PYTEST_ARGS = ["-p", "no:cacheprovider", "-o", "addopts=", "-p", "no:xdist",
               "-m", "not slow and not peers"]


def _copy_repo(work: Path, fresh: bool) -> None:
    """Copy the repository's files (tracked and new, not ignored) into ``work``."""
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (work / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, work / f)


def copy_name(module: str) -> str:
    """The copy's folder name: the module's dotted path below the package, so modules that
    share a file name (impact/_common.py and poverty/_common.py, cli.py and data/cli.py) get
    folders of their own.

    >>> copy_name("kassaki_eval/impact/_common.py"), copy_name("kassaki_eval/cli.py")
    ('impact._common', 'cli')
    """
    parts = Path(module).with_suffix("").parts
    return ".".join(parts[1:] if parts[0] == "kassaki_eval" and len(parts) > 1 else parts)


def _results(work: Path, env: dict[str, str]) -> dict[str, str]:
    res = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, env=env,
                         capture_output=True, text=True).stdout
    out = {}
    for line in res.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m and "__mutmut_" in m.group(1):
            out[m.group(1)] = m.group(2)
    return out


def run(module: str, tests: list[str], sample: int | None = None, seed: int = 18,
        rerun: bool = False) -> dict[str, int]:
    """Run mutmut on ``module``; return mutmut's counts (over the sample when sampling).

    ``sample``: test a seeded random sample of that many mutants (a full run of a large module
    takes hours on a shared 2-core machine); the sample's names go to ``sample.txt``.
    ``rerun``: keep the copy of the last run, refresh its files from the repository (new
    tests) and re-test only the survivors in ``survivors.txt``; the other mutants keep their
    state from ``states_after.txt`` of an earlier rerun, else ``states.txt`` (killed mutants
    stay killed: tests were only added), so the
    counts are those of the same mutants after (``states_after.txt``,
    ``survivors_after.txt``).
    """
    work = Path(tempfile.gettempdir()) / "kassaki-mutmut" / copy_name(module)
    if rerun and not (work / "survivors.txt").is_file():
        raise SystemExit(f"--rerun: no previous run in {work}")
    _copy_repo(work, fresh=not rerun)
    tests = [t for t in tests if (work / t.split("::")[0]).is_file()]
    # fastest tests first: mutmut stops at the first failure (-x) and passes a mutant's tests
    # in no set order, so a cheap killing test otherwise often waits behind a slow one. The
    # hook goes into the throw-away copy's conftest only; it changes the order, never the set.
    with (work / "tests" / "conftest.py").open("a") as fh:
        fh.write(ORDER_HOOK)
    (work / "setup.cfg").write_text(
        "[mutmut]\n"
        f"paths_to_mutate = {module}\n"
        "also_copy =\n    kassaki_eval\n    data\n    docs\n    tests\n    notebooks\n"
        "tests_dir =\n" + "".join(f"    {t}\n" for t in tests)
        # one argument per line (a single line is ONE argv element); addopts is dropped (no
        # doctests), so the default suite's marker filter is given again: slow Monte Carlo
        # tests (minutes each) would otherwise run for every mutant
        + "pytest_add_cli_args =\n" + "".join(f"    {a}\n" for a in PYTEST_ARGS))
    env = {**os.environ, "PYTHONPATH": ""}
    names: list[str] = []
    if rerun:
        names = [x for x in (work / "survivors.txt").read_text().split() if x]
    elif sample:
        # generate the mutants and the test map; a filter that matches nothing stops mutmut
        # right after (it asserts), leaving every mutant "not checked"
        stem = module[:-3].replace("/", ".")
        with open(work / "mutmut.log", "w") as log:
            subprocess.run([str(MUTMUT), "run", "--max-children", "1", f"{stem}.no_such_mutant"],
                           cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        every = sorted(_results(work, env))
        names = sorted(random.Random(seed).sample(every, min(sample, len(every))))
        (work / "sample.txt").write_text("\n".join(names) + "\n")
    if names or not rerun:
        with open(work / "mutmut.log", "a") as log:  # mutmut's progress line, for long runs
            subprocess.run([str(MUTMUT), "run", "--max-children", "1", *names], cwd=work,
                           env=env, stdout=log, stderr=subprocess.STDOUT)
    states = _results(work, env)
    if (work / "sample.txt").is_file():
        keep = set((work / "sample.txt").read_text().split())
        states = {k: v for k, v in states.items() if k in keep}
    saved = work / "states.txt"
    if rerun:
        # a changed test list makes mutmut forget its results: merge the survivors' new
        # states into the previous run's states (killed mutants stay killed: tests were
        # only added)
        # an earlier --rerun's states come first, so a second, shorter survivor list (one
        # edited by hand) never resets mutants that the earlier rerun killed
        last = work / "states_after.txt"
        prev = dict(line.split(" ", 1)
                    for line in (last if last.is_file() else saved).read_text().splitlines()
                    if line)
        states = {**prev, **{k: v for k, v in states.items() if k in set(names)}}
        (work / "states_after.txt").write_text("".join(f"{k} {v}\n" for k, v in
                                                       sorted(states.items())))
    else:
        saved.write_text("".join(f"{k} {v}\n" for k, v in sorted(states.items())))
    counts: dict[str, int] = {}
    for st in states.values():
        counts[st] = counts.get(st, 0) + 1
    surv = sorted(k for k, v in states.items() if v == "survived")
    if not rerun:
        (work / "survivors.txt").write_text("\n".join(surv) + "\n")
    else:
        (work / "survivors_after.txt").write_text("\n".join(surv) + "\n")
    return counts


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", help="modules of MODULES (default: all)")
    ap.add_argument("--sample", type=int, default=None,
                    help="test a seeded random sample of this many mutants per module")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--rerun", action="store_true",
                    help="re-test the last run's survivors with the current tests")
    a = ap.parse_args(argv)
    for mod in a.modules or list(MODULES):
        c = run(mod, MODULES[mod], a.sample, a.seed, a.rerun)
        k, s = c.get("killed", 0), c.get("survived", 0)
        score = 100 * k / (k + s) if k + s else float("nan")
        what = f"sample of {sum(c.values())}" if a.sample or a.rerun else str(sum(c.values()))
        print(f"{mod}: {what} mutants, killed {k}, survived {s}, "
              f"other {dict((x, n) for x, n in c.items() if x not in ('killed', 'survived'))}, "
              f"score {score:.1f} % (before marking equivalents)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
