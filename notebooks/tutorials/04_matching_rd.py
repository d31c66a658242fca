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
# # Matching, weighting and regression discontinuity at the PMT cutoff
#
# **Question.** Did households that took part in KASSAKI consume more than comparable households
# that did not? Participation is chosen, so a raw comparison mixes the effect with who chose to
# take part. Two designs help:
#
# 1. *Selection on observables*: compare participants with non-participants who look alike
#    (propensity-score matching, inverse probability weighting, entropy balancing), and check
#    balance.
# 2. *Regression discontinuity*: the CSR small-business component goes to the N lowest-scored
#    families of a village. Families just below and just above the village's cutoff score are
#    alike, so the jump in outcomes at the cutoff is the effect there.

# %%
import numpy as np

from kassaki_eval.impact import (balance_table, entropy_balancing, ipw, ps_matching,
                                 rd_density, rd_estimate, rd_plot)
from kassaki_eval.synthetic import generate_world

world = generate_world(seed=2024, scale=0.1)
wave = world.survey[(world.survey["year"] == 2025)
                    & (world.survey["treated_village"] == 1)].reset_index(drop=True)
wave["log_consumption_pc"] = np.log(wave["consumption_pc"])
covariates = ["hh_size", "n_children", "head_sex", "head_age", "head_educ", "floor_area_pc",
              "roof_good", "toilet_own", "asset_motorcycle", "asset_tv", "land_farm", "desil"]
wave["participates"].value_counts()

# %% [markdown]
# ## 1. Balance before adjustment
#
# Standardised mean differences above 0.1 signal covariates on which participants differ.

# %%
balance_table(wave, treatment="participates", covariates=covariates, weights="weight")

# %% [markdown]
# ## 2. Three estimators of the effect on participants (ATT)
#
# All three use the survey weights and cluster the standard errors by village.

# %%
match = ps_matching(wave, y="log_consumption_pc", treatment="participates",
                    covariates=covariates, estimand="ATT", k=1, caliper=0.2,
                    weights="weight", cluster="village_code")
weighting = ipw(wave, y="log_consumption_pc", treatment="participates", covariates=covariates,
                estimand="ATT", weights="weight", cluster="village_code")
ebal = entropy_balancing(wave, y="log_consumption_pc", treatment="participates",
                         covariates=covariates, weights="weight", cluster="village_code")
{"matching": match.tidy().iloc[0]["estimate"], "ipw": weighting.tidy().iloc[0]["estimate"],
 "entropy balancing": ebal.tidy().iloc[0]["estimate"]}

# %%
ebal.tidy()

# %% [markdown]
# After adjustment the covariates should be balanced (entropy balancing makes the weighted
# means equal exactly):

# %%
balance_table(wave, treatment="participates", covariates=covariates, weights="weight",
              adjusted=match)

# %% [markdown]
# The truth of the demo world, by component (log-consumption effects on participants):

# %%
world.truth["att"]

# %% [markdown]
# ## 3. Regression discontinuity at the village quota cutoff
#
# For the CSR small-business component each village has its own cutoff score (the score of the
# last family inside the quota). The running variable is the registry PMT score, eligible below
# the cutoff; take-up is not complete, so the design is *fuzzy*: the jump in take-up scales the
# jump in the outcome.

# %%
cutoffs = world.rollout.loc[(world.rollout["component"] == "csr_sme")
                            & (world.rollout["quota_n"] > 0),
                            ["village_code", "quota_cutoff_score"]]
pop = world.population[world.population["year"] == 2025].merge(cutoffs, on="village_code")
pop["log_consumption_pc"] = np.log(pop["consumption_pc"])
pop["csr_sme"] = (pop["component"] == "csr_sme").astype(int)
print(f"{len(pop)} households in {pop['village_code'].nunique()} villages with a CSR quota")

# %%
rd = rd_estimate(pop, y="log_consumption_pc", running="pmt_score",
                 cutoff="quota_cutoff_score", treated_side="below", fuzzy="csr_sme",
                 cluster="village_code")
rd.tidy()

# %% [markdown]
# Manipulation check (no bunching of families just below the cutoff) and the picture:

# %%
rd_density(pop, running="pmt_score", cutoff="quota_cutoff_score").tidy()

# %%
rd_plot(pop, y="csr_sme", running="pmt_score", cutoff="quota_cutoff_score",
        ylabel="takes part in CSR small business");

# %% [markdown]
# ## Try it yourself
#
# - Estimate the ATE instead of the ATT (`estimand="ATE"`).
# - Drop `desil` from the covariates and watch the balance table.
# - Use a uniform kernel or a fixed bandwidth in `rd_estimate` (`kernel="uniform"`, `h=0.5`).
