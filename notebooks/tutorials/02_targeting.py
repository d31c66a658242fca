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
# # PMT, targeting errors and quota selection
#
# **Question.** The registry ranks families into desil 1-10 with a proxy-means test (PMT). How
# many poor households does "desil 1-4" miss (exclusion error), how many non-poor does it include
# (inclusion error), and would a freshly estimated PMT do better? Then: given a village quota,
# who is selected?
#
# Data: the demo world (synthetic Pangkep, seed 2024). The survey is linked to the registry by
# a pseudonymous `family_id`, so each surveyed household has both its measured consumption and
# its registry desil.

# %%
import pandas as pd

from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.reference import poverty_line
from kassaki_eval.synthetic import generate_world
from kassaki_eval.targeting import (OLSPMT, LassoPMT, PMT_FEATURES, pmt_target, score_registry,
                                    select_quota, targeting_accuracy, validate_pmt)

world = generate_world(seed=2024, scale=0.1)
line = poverty_line(2025)
wave = world.survey[world.survey["year"] == 2025].reset_index(drop=True)
wave[["hh_id", "desil", "consumption_pc", "weight"]].head()

# %% [markdown]
# ## 1. How well does the registry target?
#
# A household is *selected* when its desil is 1-4 (households not in the registry cannot be
# selected: that is part of the exclusion error). A household is *poor* when its consumption per
# capita is below the line. The survey design (weights, kecamatan strata, village PSUs) gives
# the intervals. Errors follow Grosh et al. (2022), Table 7.3.

# %%
wave["selected"] = (pd.to_numeric(wave["desil"], errors="coerce").fillna(99) <= 4).astype(int)
design = SurveyDesign(wave, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust")
acc = targeting_accuracy(wave, selected="selected", poverty_line=line, score="desil",
                         design=design, alpha=0.05)
headline = acc.tidy()
headline[(headline["by"] == "all") & headline["decile"].isna()
         & headline["term"].isin(["exclusion_error", "inclusion_error", "coverage_target", "auc"])][
    ["benchmark", "term", "estimate", "conf_low", "conf_high", "n_obs"]]

# %% [markdown]
# Two benchmarks: `poverty_line` counts as "should be selected" every household below the line;
# `quota` counts the poorest households up to the number of slots, so the two errors are equal
# by construction and measure the ranking alone.
#
# The demo world knows the registry's true errors over the whole population:

# %%
world.truth["targeting"]

# %% [markdown]
# ## 2. Would a new PMT do better?
#
# PMT models are scikit-learn estimators predicting log per-capita consumption from the
# registry's covariates. `validate_pmt` measures them out of sample (5-fold), with the errors of
# selecting the predicted-poorest households, not only R².

# %%
y = pmt_target(wave["consumption_pc"])
ols = validate_pmt(OLSPMT(), wave, y, sample_weight=wave["weight"], poverty_line=line,
                   random_state=2024)
lasso = validate_pmt(LassoPMT(), wave, y, sample_weight=wave["weight"], poverty_line=line,
                     random_state=2024)
pd.concat({"OLS": ols.tidy(), "Lasso": lasso.tidy()}, names=["model"]).query("fold == 'all'")[
    ["term", "estimate", "std_error", "n_obs"]]

# %% [markdown]
# ## 3. Score the registry and select by village quota
#
# Fit the PMT on the whole survey wave, predict every registered family's welfare, and rank them
# into new desil. Then select, in each village, the families with the lowest predicted welfare up
# to the village's quota. Here the quota is 10 % of the village's registered families for the
# KASSAKI household components; in practice it comes from the programme's allocation.

# %%
pmt = OLSPMT().fit(wave, y, sample_weight=wave["weight"])
scored = score_registry(world.registry, pmt)
scored.head()

# %%
quota = (world.registry.groupby("village_code").size() * 0.10).round().astype(int)
selection = select_quota(scored, by="village_code", slots=quota)
print(f"{selection.n_selected} families selected in {len(selection.quotas)} villages")
selection.quotas.head(10)

# %%
selection.beneficiaries.head()

# %% [markdown]
# No village receives more than its quota, and the result does not depend on the order of the
# registry rows (ties are broken by `family_id`). The beneficiary lists carry only the
# pseudonymous id: names and NIK never leave the ingest step.
#
# ## Try it yourself
#
# - Replace `OLSPMT()` by `LassoPMT()` or `QuantilePMT(poverty_line=line)`.
# - Use `select_quota(scored, by="kec_code", budget=..., transfer=...)` for a kecamatan budget.
# - Validate by held-out kecamatan: `validate_pmt(..., scheme="leave_one_group_out", groups="kec_code")`.
