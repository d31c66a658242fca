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
# # Design diagnosis and power for the next survey wave
#
# **Question.** The district plans the next survey wave. With how many villages and how many
# households per village can the evaluation detect the programme's goal, a one-point fall in the
# poverty rate? And do the estimators we plan to use give honest intervals on this design?
#
# Two tools:
#
# - closed-form power (`kassaki_eval.impact`: `mde_cluster`, `power_cluster`,
#   `clusters_needed`, `mde_did`), with the design effect of sampling villages;
# - a Monte Carlo *design diagnosis* (`kassaki_eval.diagnosis`, DeclareDesign's idea): draw
#   many surveys from the synthetic world, whose truth is known, run each estimator on each and
#   report bias, RMSE, coverage and power.

# %%
from kassaki_eval.diagnosis import ProgrammeDesign, diagnose, selection_estimators
from kassaki_eval.impact import (clusters_needed, intra_cluster_correlation, mde_cluster, mde_did,
                                 power_cluster)
from kassaki_eval.poverty import SurveyDesign, fgt
from kassaki_eval.reference import poverty_line
from kassaki_eval.synthetic import generate_world

world = generate_world(seed=2024, scale=0.1)
wave = world.survey[world.survey["year"] == 2025].reset_index(drop=True)

# %% [markdown]
# ## 1. What does clustering cost today?
#
# The design effect of the headcount in the current wave, and the intra-village correlation of
# the poverty indicator (one-way ANOVA estimator). Do not back the ICC out of the design effect
# with `deff = 1 + (m - 1) ICC`: the survey's deff also holds the effect of unequal weights and
# stratification, and the ICC it implies is several times too large (at this scale 0.067
# instead of 0.019, which made `clusters_needed` below ask for 2,305 villages instead of 878).

# %%
design = SurveyDesign(wave, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust")
p0 = fgt(design, line=poverty_line(2025), g=0, size="hh_size").tidy()
households_per_village = len(wave) / wave["psu"].nunique()
deff = float(p0["deff"].iloc[0])
wave["poor"] = (wave["consumption_pc"] < poverty_line(2025)).astype(float)
icc = intra_cluster_correlation(wave, y="poor", cluster="psu")
rate = float(p0["estimate"].iloc[0])
{"P0": rate, "deff": deff, "households per village": households_per_village, "ICC": icc}

# %% [markdown]
# ## 2. Closed-form power
#
# The outcome is the poverty indicator (standard deviation `sqrt(p (1 - p))`). Half the
# villages treated, every eligible household taking part (`takeup=1`) is the optimistic case;
# take-up below one inflates the MDE by `1 / takeup`. These are one-wave comparisons of treated
# and control villages: a one-point difference in a rate near 10 % needs several hundred
# villages, because the village means vary by more than that. A panel of the same villages
# (difference-in-differences, below) removes the stable part of that variation.

# %%
sd = (rate * (1 - rate)) ** 0.5
{"MDE, 60 villages x 15 households": mde_cluster(60, 15, icc, sd=sd),
 "MDE, 60 villages x 90 households": mde_cluster(60, 90, icc, sd=sd),
 "MDE, 60 x 90, take-up 40 %": mde_cluster(60, 90, icc, sd=sd, takeup=0.4),
 "power for a 1-point fall, 60 x 90": power_cluster(0.01, 60, 90, icc, sd=sd),
 "villages needed for 80 % power, 90 per village": clusters_needed(0.01, 90, icc, sd=sd)}

# %% [markdown]
# A difference-in-differences with one baseline and one follow-up wave of the same villages
# removes the stable village differences (here with an assumed wave-to-wave correlation of the
# village means of 0.5):

# %%
mde_did(60, 90, icc, n_pre=1, n_post=1, autocorr=0.5, sd=sd)

# %% [markdown]
# ## 3. Monte Carlo design diagnosis
#
# The closed forms assume a simple design. The diagnosis draws the planned two-stage survey
# (`n_villages` with replacement, `households_per_village` within each) from a synthetic world,
# runs the estimators on every draw, and compares each estimate with the draw's truth (the ATT
# of taking part, on log consumption). Here with a quarter-scale world and 10 draws to keep the
# tutorial short: the Monte Carlo standard errors (`*_mcse`) show how little 10 draws say, and at quarter scale the survey samples a large share of each village, which the intervals do not account for (see the module docstring of `kassaki_eval.diagnosis`). Use
# `scale=1.0` and 500 draws (`kassaki-eval diagnose`) for a decision.

# %%
estimators, estimands = selection_estimators(village_effects=True)
plan = ProgrammeDesign(scale=0.25, n_villages=40, households_per_village=30)
diag = diagnose({"ipw": estimators["ipw"], "entropy_balancing": estimators["entropy_balancing"]},
                estimand=estimands, design=plan, n_draws=10, seed=2024, n_jobs=1,
                progress=False)
diag.table

# %% [markdown]
# Read the table as: `bias` (with its MCSE) near zero, `coverage` near 0.95 and `power` the
# share of draws that detect the effect at this sample size.
#
# ## Try it yourself
#
# - Double `households_per_village` and see how the MDE and the diagnosed power move.
# - Add the RD estimators: `kassaki_eval.diagnosis.rd_estimators()`.
# - Diagnose under selection on unobservables: `ProgrammeDesign(world_kwargs={"selection_unobs": 1.0})`.
