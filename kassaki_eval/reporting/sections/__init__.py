"""The report's analysis: one module per report notebook.

A notebook makes the analysis calls with their options visible (e.g. notebook 4's
``callaway_santanna(panel, ..., control="never", method="dr")``) and passes the results to
its module's display functions; older notebooks still call ``ctx.show(S.something(ctx))``.

Each module separates *data* (plain functions returning DataFrames or results, built by the
library: ``kassaki_eval.poverty``, ``.targeting``, ``.impact``) from *display* (functions
taking the :class:`~kassaki_eval.reporting.context.Context` and returning a
:class:`~kassaki_eval.reporting.blocks.Block`: tables after disclosure control, figures per
language, sentences, key numbers). Library functions are imported statically: a renamed or
missing function fails the import (and the report) loudly instead of emptying a section.

- :mod:`.data_quality` (notebook 1): parameters, inputs, survey sample, registry, participation.
- :mod:`.poverty` (notebook 2): headline per wave, profile, inequality, change.
- :mod:`.village` (notebook 2, a chapter of its own): village poverty map and table,
  the programme per village (the source of the village cards).
- :mod:`.targeting` (notebook 3): registry accuracy, PMT validation, quota selection,
  CGH/DCI, rules under one budget.
- :mod:`.impact` (notebook 4): ATT estimates, event study, the one-point verdict.
- :mod:`.robustness` (notebook 4, its own chapter): other estimators, uniform bands,
  HonestDiD, wild bootstrap, q-values, power, matching/weighting, RD.
- :mod:`.cost` (notebook 5): programme costs, cost per point and per person lifted.
- :mod:`.summary` (notebook 5): executive summary, key results, year over year, the demo's truth.

Example
-------
>>> from kassaki_eval.reporting.sections import poverty as S       # doctest: +SKIP
>>> ctx = S.start({"year": 2025, "source": {"kind": "demo", "scale": 0.05}})  # doctest: +SKIP
>>> ctx.show(S.poverty_headline(ctx))                                # doctest: +SKIP
"""
from __future__ import annotations

from ..context import start
from .cost import cost_effectiveness_block, programme_costs
from .data_quality import (
    cross_checks,
    inputs_summary,
    parameters,
    participation_overview,
    registry_overview,
    survey_sample,
)
from .impact import impact_estimates, impact_verdict
from .poverty import poverty_change, poverty_headline, poverty_inequality, poverty_profile
from .robustness import (
    robust_estimators,
    robust_event_study,
    robust_few_clusters,
    robust_honest_did,
    robust_multiple_testing,
    robust_power,
    robust_rd,
    robust_selection,
)
from .summary import demo_truth, executive_summary, key_results, year_over_year
from .targeting import (
    targeting_incidence,
    targeting_pmt,
    targeting_quota,
    targeting_registry,
    targeting_rules,
)
from .village import village_poverty, village_programme

__all__ = [
    "start", "parameters", "inputs_summary", "cross_checks", "survey_sample",
    "registry_overview", "participation_overview", "poverty_headline", "poverty_profile",
    "poverty_inequality", "poverty_change", "village_poverty", "village_programme",
    "targeting_registry", "targeting_pmt", "targeting_quota", "targeting_incidence",
    "targeting_rules", "impact_estimates", "impact_verdict",
    "robust_estimators", "robust_event_study", "robust_honest_did", "robust_few_clusters",
    "robust_multiple_testing", "robust_power", "robust_selection", "robust_rd",
    "programme_costs", "cost_effectiveness_block",
    "executive_summary", "key_results", "year_over_year", "demo_truth", "BLOCKS",
]

#: Every block of the report, per notebook, in the order the notebooks show them.
BLOCKS: dict[str, tuple] = {
    "01_data_quality": (parameters, inputs_summary, cross_checks, survey_sample,
                        registry_overview, participation_overview),
    "02_poverty": (poverty_headline, poverty_profile, poverty_inequality, poverty_change,
                   village_poverty, village_programme),
    "03_targeting": (targeting_registry, targeting_pmt, targeting_quota, targeting_incidence,
                     targeting_rules),
    "04_impact": (impact_estimates, impact_verdict, robust_estimators, robust_event_study,
                  robust_honest_did, robust_few_clusters, robust_multiple_testing, robust_power,
                  robust_selection, robust_rd),
    "05_summary": (programme_costs, cost_effectiveness_block, executive_summary, key_results,
                   year_over_year, demo_truth),
}
