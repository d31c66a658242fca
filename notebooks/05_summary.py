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
# # 5. Cost-effectiveness and the annual summary
#
# What the programme cost (participation records; loans at their cost to the lender, not their
# principal), what it cost per household reached, per percentage point of district poverty
# reduction and per person lifted above the line (the effect and its interval come from
# notebook 4's verdict), then the one-page executive summary and the key numbers.
# To try other cost assumptions, change the rules below (e.g.
# `rules = p.costs.replace(credit_default_rate=0.10)`) and re-run; the report text follows.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.impact import (
    cost_effectiveness,
    cost_per_household,
    cost_table,
    district_persons,
    separability_table,
)
from kassaki_eval.reporting.sections import cost as C
from kassaki_eval.reporting.sections import summary as S

ctx = S.start(report_params, run_dir, notebook="05_summary")
p = ctx.params

# %% [markdown]
# ## What the programme cost
# Every participation record up to the report year, costed under the report's cost rules
# (`p.costs`: KUR subsidy 15 % / 10 % a year, terms, default rates; sources in
# `kassaki_eval.impact.cost.COST_SOURCES`).

# %%
rules = p.costs
costs = cost_table(ctx.participation, rules=rules, year=p.year, by=("partner", "component"))
per_household = cost_per_household(costs, alpha=p.alpha)
ctx.show(C.programme_costs(ctx, costs=costs, per_household=per_household))

# %% [markdown]
# ## Cost per point and per person lifted
# The effect is notebook 4's programme-attributable change in district P0 (its saved verdict
# table; computed with the library's defaults when this notebook runs by hand). Partners' costs
# are divided by the one programme effect: components reaching the same villages at the same
# time cannot be told apart (`separability_table`).

# %%
effect = C.saved_effect(ctx, table="verdict", term="attributable_change")
separability = separability_table(ctx.rollout)
ce = cost_effectiveness(costs, effect, by="partner", term="attributable_change",
                        persons=district_persons(ctx.survey, year=p.year), alpha=p.alpha)
ctx.show(C.cost_effectiveness_block(ctx, effectiveness=ce, separability=separability))

# %% [markdown]
# ## Executive summary, key numbers, last year, the demo's truth
# The executive summary (published first) reads the blocks notebooks 1-4 saved, plus the
# cost per point computed above.

# %%
ctx.show(S.executive_summary(ctx, cost=ce))

# %%
ctx.show(S.key_results(ctx))

# %%
ctx.show(S.year_over_year(ctx))

# %%
ctx.show(S.demo_truth(ctx))
