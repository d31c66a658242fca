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
# # The village poverty map (small-area estimation)
#
# **Question.** Which villages are poorest? The survey is designed for district (and roughly
# kecamatan) estimates: most villages have no sampled household, and the sampled ones have a
# handful each. Small-area estimation borrows strength from the registry, which covers every
# village: a model links poverty to registry covariates and fills in villages without a sample.
#
# Two estimators from `kassaki_eval.poverty.sae`:
#
# - **Fay-Herriot** (area level): the village's direct estimate shrunk towards a regression on
#   village means from the registry, more where the direct estimate is noisy.
# - **EBP** (unit level, Molina & Rao 2010): a nested-error model of household consumption on the
#   registry covariates, simulated for every registered family.
#
# Estimates carry an MSE; BPS's relative-standard-error rule says which are fit to publish.

# %%
from kassaki_eval.poverty.sae import (area_table, ebp, fay_herriot, plot_direct_vs_model,
                                      plot_village_map, village_table)
from kassaki_eval.reference import poverty_line
from kassaki_eval.synthetic import PMT_COVARIATES, generate_world

world = generate_world(seed=2024, scale=0.1)
wave = world.survey[world.survey["year"] == 2025].reset_index(drop=True)
line = poverty_line(2025)
print(f"{wave['village_code'].nunique()} of {len(world.villages)} villages have a sample")

# %% [markdown]
# ## 1. Fay-Herriot at the village level
#
# `area_table` puts, for every village, the registry covariates (person-weighted mean PMT score,
# share of persons in desil 1-4, island) next to the direct estimate and its (smoothed)
# sampling variance. Villages with few sampled households (fewer than `min_n`) or with every or
# no household poor get a smoothed variance from a generalised variance function (GVF) fitted
# on the better-sampled villages. The demo survey at this scale has about a dozen households
# per sampled village, so the threshold is lowered to 10 (the default, 30, would leave too few
# villages to fit the GVF and the function would warn).

# %%
areas = area_table(wave, world.registry, line=line, min_n=10)
areas.head()

# %%
fh = fay_herriot(areas, "direct", "vardir", ["mean_pmt_score", "share_desil_1to4", "island"],
                 method="reml", transformation="none", mse="analytic", n_obs="n")
village_table(fh).head(10)

# %%
plot_direct_vs_model(fh);

# %% [markdown]
# ## 2. EBP at the household level
#
# The unit-level model uses all 25 PMT covariates of the survey and the registry (the function
# checks that they are distributed alike in both and warns otherwise). `L` Monte
# Carlo populations give the point estimate and `B` bootstrap replicates the MSE; they are kept
# small here to run quickly (use the defaults, or more, for publication).

# %%
eb = ebp(wave, world.registry, list(PMT_COVARIATES), line=line, L=20, B=20, seed=2024)
villages = village_table(eb, "p0")
villages.sort_values("estimate", ascending=False).head(10)

# %% [markdown]
# How many villages meet the publication rule (`reliability`)?

# %%
villages["reliability"].value_counts()

# %% [markdown]
# ## 3. The map
#
# Without a boundary file the map is schematic (villages as tiles by kecamatan); with a
# boundary file and `geopandas` installed, `plot_village_map(eb, boundary="desa.gpkg")` draws a
# choropleth.

# %%
plot_village_map(eb, title="Share of people below the poverty line, 2025 (EBP)");

# %% [markdown]
# The demo world knows every village's true rate, so we can see how close the map is:

# %%
truth = world.truth["village_att"].query("year == 2025").set_index("village_code")["p0"]
check = villages.set_index("village_code")[["estimate", "conf_low", "conf_high"]].join(truth)
{"mean absolute error": float((check["estimate"] - check["p0"]).abs().mean()),
 "share of intervals covering the truth":
     float(((check["conf_low"] <= check["p0"]) & (check["p0"] <= check["conf_high"])).mean())}

# %% [markdown]
# ## Try it yourself
#
# - The poverty gap instead of the headcount: `village_table(eb, "p1")`.
# - Fay-Herriot without transformation (`transformation="none"`) and compare the shrinkage.
# - Benchmark the village estimates to the district direct estimate (`benchmark=` of `fay_herriot`).
