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
# # Poverty and inequality with a survey design
#
# **Question.** How many people in Pangkep live below the poverty line in 2025, how poor are
# they, where do they live, and how unequal is consumption? And how sure can we be, given that
# the numbers come from a sample survey of about a thousand households?
#
# We work on the *demo world*: a synthetic Pangkep with the real 103 villages, generated from a
# seed, whose true poverty rates are known. Replace it with your own Susenas-like survey
# (one row per household, with weight, stratum and PSU) and the rest of the notebook stays the same.

# %%
from kassaki_eval.poverty import (SurveyDesign, change, fgt, gini, palma, poverty_lines,
                                  profile_table, quantile_shares)
from kassaki_eval.reference import poverty_line
from kassaki_eval.synthetic import generate_world

world = generate_world(seed=2024, scale=0.1)
survey = world.survey
survey[["year", "hh_id", "kec_code", "stratum", "psu", "weight", "hh_size",
        "consumption_pc"]].head()

# %% [markdown]
# ## 1. Declare the survey design
#
# The survey samples villages (the primary sampling units, PSU) inside each kecamatan (the
# strata), then households inside villages. Standard errors must reflect this: households in one
# village resemble each other, so a naive standard error would be too small. A stratum left with
# a single sampled village is handled as R `survey`'s `"adjust"` rule.

# %%
wave = survey[survey["year"] == 2025].reset_index(drop=True)
design = SurveyDesign(wave, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust")
design

# %% [markdown]
# ## 2. The poverty line
#
# Lines are in rupiah per person per month and come with their source. Unverified lines are
# calibration judgements and are reported as such.

# %%
lines = poverty_lines(years=[2023, 2024, 2025])
lines

# %%
line_2025 = poverty_line(2025, kind="total")
line_2025

# %% [markdown]
# ## 3. Headcount, depth and severity (FGT)
#
# `g` is the FGT exponent: 0 gives the headcount P0, 1 the poverty gap P1, 2 the severity P2.
# `size="hh_size"` weights each household by its members, so the rates are shares of *people*,
# as BPS publishes. `alpha` is the confidence level (0.05 gives 95 % intervals).

# %%
pov = fgt(design, line=line_2025, g=[0, 1, 2], size="hh_size", alpha=0.05)
pov.tidy()

# %% [markdown]
# The design effect (`deff`) says how much larger the variance is than under simple random
# sampling of the same number of households: clustering in villages costs precision.
#
# Because this is the demo world we can compare with the truth, the person-weighted rate in the
# whole synthetic population:

# %%
truth = world.truth["poverty"]
truth[(truth["year"] == 2025) & (truth["domain"] == "district")]

# %% [markdown]
# ## 4. Where are the poor? A poverty profile
#
# The profile gives, per group, the share of the population, the rates and the contribution of
# the group to district poverty. Kecamatan with few sampled villages have wide intervals.

# %%
profile_table(design, line=line_2025, by="zone", size="hh_size")

# %%
profile_table(design, line=line_2025, by="kec_code", size="hh_size")

# %% [markdown]
# ## 5. Change since the previous wave
#
# `change` compares two waves. Villages sampled in both waves make the two estimates
# correlated; the covariance enters the standard error of the change. Each wave is measured at
# its own year's line.

# %%
chg = change(survey, line={2024: poverty_line(2024), 2025: line_2025},
             years=(2024, 2025),
             design={"weight": "weight", "strata": "stratum", "psu": "psu", "lonely_psu": "adjust"})
chg.tidy()

# %% [markdown]
# ## 6. Inequality
#
# The Gini coefficient (person-weighted), the Palma ratio (top 10 % over bottom 40 %) and the
# quintile shares, each with a design-based interval.

# %%
gini(design, size="hh_size").tidy()

# %%
palma(design, size="hh_size").tidy()

# %%
quantile_shares(design, size="hh_size").tidy()

# %% [markdown]
# ## Try it yourself
#
# - Use the extreme-poverty line (`poverty_line(2025, kind="extreme")`) instead of the total line.
# - Change `by="zone"` to `by="head_sex"` in the profile.
# - Set `alpha=0.10` for 90 % intervals.
