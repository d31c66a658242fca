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
# # kassaki-eval workbench
#
# Poverty targeting and impact evaluation for the KASSAKI programme in Pangkep. Every notebook
# here runs on the *demo world* (a synthetic Pangkep whose truth is known) as it is; point it at
# your own tables to work on real data.
#
# ## Tutorials: one question each, with narrative (`tutorials/`)
#
# | | Tutorial | Question |
# |---|---|---|
# | 1 | [Poverty and inequality with a survey design](tutorials/01_poverty_en.py) · [Bahasa Indonesia](tutorials/01_poverty_id.py) | How many are poor, where, how unequal, how sure? |
# | 2 | [PMT, targeting errors and quota selection](tutorials/02_targeting.py) | Does desil 1-4 reach the poor? Who does a village quota select? |
# | 3 | [Staggered DiD: event study, HonestDiD, few clusters](tutorials/03_staggered_did.py) | How much did KASSAKI lower poverty in the villages it reached? |
# | 4 | [Matching, weighting and RD at the PMT cutoff](tutorials/04_matching_rd.py) | Do participants consume more than comparable non-participants? |
# | 5 | [The village poverty map (small-area estimation)](tutorials/05_village_map.py) | Which villages are poorest? |
# | 6 | [Design diagnosis and power for the next survey wave](tutorials/06_power_diagnosis.py) | How large a survey does the one-point goal need? |
# | 7 | [Bringing your own data with a mapping profile](tutorials/07_own_data.py) | How do my P3KE, Susenas and partner files get in? |
#
# ## Report notebooks (what `kassaki-eval report` runs)
#
# Each opens with a parameters cell: edit it to run the notebook by hand on the demo world or
# on your data.
#
# - [1. Data quality](01_data_quality.py)
# - [2. Poverty profile and change](02_poverty.py)
# - [3. Targeting](03_targeting.py)
# - [4. Impact](04_impact.py)
# - [5. Summary](05_summary.py)
#
# ## Commands
#
# - `kassaki-eval report --demo --year 2025`: the full report (HTML, Excel, notebooks) on the
#   demo world.
# - `make docs`: the documentation site (user guide, rendered tutorials, API reference) in
#   `docs/_build/html`.
# - `make test`: the test suite, which also executes every tutorial.

# %%
import kassaki_eval

kassaki_eval.__version__
