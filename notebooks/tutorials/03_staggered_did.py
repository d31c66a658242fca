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
# # Staggered difference-in-differences: event study, HonestDiD and few clusters
#
# **Question.** KASSAKI reached some villages in 2024 and others in 2025; some are not reached.
# By how much did it lower the share of poor people in the villages it reached? Is the answer
# robust to a violation of parallel trends, and to the small number of clusters?
#
# The roll-out is *staggered*: a two-way fixed-effects regression then compares late-treated
# villages with already-treated ones and can mislead. Callaway & Sant'Anna (2021) estimate one
# effect per cohort and year against clean controls, and aggregate them.

# %%
from kassaki_eval.impact import (aggregate, bacon_decomposition, callaway_santanna, event_study,
                                 honest_did, plot_event_study, twfe)
from kassaki_eval.impact.panel import evaluation_panel
from kassaki_eval.reference import poverty_line
from kassaki_eval.synthetic import generate_world

world = generate_world(seed=2024, scale=0.1)
lines = {2023: poverty_line(2023), 2024: poverty_line(2024), 2025: poverty_line(2025)}

# %% [markdown]
# ## 1. The village panel
#
# The programme is assigned to villages, so the unit of analysis is the village-year: the
# survey's person-weighted village means of each outcome, with the cohort (first year treated,
# 0 = not reached) from the roll-out table. `poor` uses each year's poverty line.

# %%
panel = evaluation_panel(world.survey, lines=lines, outcomes=("poor", "log_consumption_pc"),
                         rollout=world.rollout, as_of=2025)
panel[["village_code", "kec_code", "year", "cohort", "poor", "log_consumption_pc",
       "pop_weight"]].head()

# %%
panel.groupby(["cohort", "year"]).size().unstack()

# %% [markdown]
# ## 2. Group-time effects and their aggregation
#
# Controls: villages never treated (`control="never"`). The doubly robust estimator (`"dr"`)
# is the default. `base_period="universal"` compares every period with the year before
# treatment, which the event study and HonestDiD need.

# %%
cs = callaway_santanna(panel, y="poor", unit="village_code", time="year", cohort="cohort",
                       control="never", method="dr", weights="pop_weight",
                       base_period="universal", alpha=0.05)
cs.tidy()

# %%
aggregate(cs, "simple").tidy()

# %% [markdown]
# The truth of the demo world (effects on participating households; the village-level effect
# on the headcount is diluted by non-participants):

# %%
world.truth["att"]

# %% [markdown]
# ## 3. Event study with a uniform band
#
# The dynamic aggregation gives the effect by years since treatment `e`. The grey bars are the
# uniform (sup-t) band, valid for all event times at once; pre-treatment estimates (`e < 0`)
# should be near zero if trends were parallel.

# %%
es = event_study(cs, seed=2024)
es.tidy()

# %%
plot_event_study(es, title="Effect on the poverty headcount");

# %% [markdown]
# ## 4. HonestDiD: how wrong may parallel trends be?
#
# Rambachan & Roth (2023): allow the post-treatment violation of parallel trends to be up to
# `Mbar` times the largest pre-treatment one. The interval widens with `Mbar`; the breakdown
# value is the `Mbar` at which it first includes zero.

# %%
honest_did(cs, Mbar=(0.0, 0.5, 1.0, 2.0)).tidy()

# %% [markdown]
# ## 5. Few clusters: wild cluster bootstrap
#
# Programme villages sit in 13 kecamatan. Clustering at the kecamatan level with so few
# clusters makes analytic standard errors too small; the restricted wild cluster bootstrap
# (WCR) gives a p-value and interval that hold up (draws identical to `wildboottest` for the
# same seed). Shown here on the two-way fixed-effects estimate, together with its
# Goodman-Bacon decomposition, which shows which comparisons it averages.

# %%
tw = twfe(panel, y="poor", unit="village_code", time="year", cohort="cohort",
          weights="pop_weight", cluster="kec_code", inference="wild", B=999, seed=2024)
tw.tidy()

# %%
bacon_decomposition(panel, y="poor", unit="village_code", time="year",
                    cohort="cohort").tidy()

# %% [markdown]
# ## Try it yourself
#
# - Use not-yet-treated villages as controls: `control="notyet"`.
# - Estimate the effect on `log_consumption_pc` instead of `poor`.
# - Compare with the imputation estimator: `kassaki_eval.impact.imputation`.
