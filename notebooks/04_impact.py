# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Impact estimates and the one-point verdict
#
# The programme is assigned to villages, so the effect is estimated on a village x year panel
# of the survey (person-weighted village means). The main estimator is Callaway & Sant'Anna
# (2021): one effect per roll-out cohort and year against villages never reached, doubly robust,
# weighted by village population. The verdict scales the effect in treated villages by their
# share of the district's people and tests the one-point goal.
#
# To try something else, change a call below and re-run: e.g. `control="notyet"` (never- and
# not-yet-treated villages as controls) or `method="reg"`; the other outcomes and the components
# repeat the options of the main call, and the report text follows.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.impact import callaway_santanna, evaluation_panel, programme_verdict
from kassaki_eval.reporting.sections import impact as S

ctx = S.start(report_params, run_dir, notebook="04_impact")
p = ctx.params

# %% [markdown]
# ## The village panel
#
# One row per surveyed village and year up to the report year: the share of poor people (each
# wave's poverty line), mean log consumption, employment and business, and the village's cohort
# (first year reached by any component, 0 = never) from the roll-out table.

# %%
panel = evaluation_panel(ctx.survey, lines=S.report_lines(ctx), outcomes=S.IMPACT_OUTCOMES,
                         rollout=ctx.rollout, as_of=p.year)

# %% [markdown]
# ## Effect on the poverty headcount, and the other outcomes
#
# `impact_fits` refits the other outcomes and each programme component with the options of
# `cs_poor`, and adds the comparison estimators named in the report parameters.

# %%
cs_poor = callaway_santanna(panel, y="poor", unit="village_code", time="year", cohort="cohort",
                            control="never", method="dr", weights="pop_weight", alpha=p.alpha)
fits = S.impact_fits(panel, main=cs_poor, outcomes=S.IMPACT_OUTCOMES, methods=p.impact_methods,
                     components=ctx.view.components)
ctx.show(S.impact_estimates(ctx, panel, fits))

# %% [markdown]
# ## The one-point verdict
#
# Programme-attributable change in the district's poverty rate, with the goal (in percentage
# points) and the confidence level from the report parameters.

# %%
verdict = programme_verdict(panel, y="poor", year=p.year, threshold=p.goal_pp / 100,
                            control="notyet", method="dr", weight="pop_weight", alpha=p.alpha)
ctx.show(S.impact_verdict(ctx, verdict, panel))
