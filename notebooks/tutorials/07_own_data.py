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
# # Bringing your own data with a mapping profile
#
# **Question.** My files do not look like the workbench's tables: a P3KE export in Excel with a
# title block and Indonesian headers, Susenas modules split over several CSV files, partner
# workbooks each with its own layout. How do I get them in, checked, without writing code?
#
# A **mapping profile** is a small TOML file that says, for one source, how its files become one
# contract table (which column is which, units, codes, how to join the parts). It is data, not
# code. The workbench ships profiles for P3KE, DTSEN, Susenas and the KASSAKI partners; a new
# source means writing (or drafting with `kassaki-eval map --suggest`) one more profile.
#
# To practise, the demo world can be written *in the shape of the real sources*
# (`kassaki-eval demo-data --shape source --out messy/` on the command line; the same from
# Python below). It is the same synthetic world as the clean demo, so we can check that the
# mapped route gives the same numbers.

# %%
import tempfile
from pathlib import Path

from kassaki_eval.data.profiles import load_profile, load_with_profile, shipped_profiles
from kassaki_eval.poverty import SurveyDesign, fgt
from kassaki_eval.reference import poverty_line
from kassaki_eval.synthetic import generate_world
from kassaki_eval.synthetic.source_shape import write_source_shape

world = generate_world(seed=2024, scale=0.1)
messy = Path(tempfile.mkdtemp(prefix="kassaki_messy_"))
files = write_source_shape(world, messy)
sorted(str(p.relative_to(messy)) for p in files)

# %% [markdown]
# ## 1. The shipped profiles

# %%
shipped_profiles()

# %%
print(load_profile("susenas").path.read_text(encoding="utf-8")[:1500])

# %% [markdown]
# ## 2. Map the P3KE export into the registry
#
# `load_with_profile` reads the files, applies the profile, validates the result against the
# contract and, for a registry, replaces the family-card and NIK numbers by a keyed pseudonym
# (`family_id`): names and numbers never go further. `demo=True` allows the public demo key;
# with real data set `KASSAKI_PSEUDONYM_KEY` (the same key every year) and drop it.
# Any problem comes back at once, with the profile line, the column and a few row numbers.

# %%
registry = load_with_profile(messy / "p3ke_pangkep.xlsx", "p3ke", demo=True)
registry.head()

# %% [markdown]
# ## 3. Map one Susenas wave
#
# The Susenas profile joins the household module, the person module, the consumption module and
# the linkage file of one wave.

# %%
wave_files = sorted((messy / "susenas").glob("*_2025.csv"))
[p.name for p in wave_files]

# %%
survey_2025 = load_with_profile(wave_files, "susenas", demo=True)
survey_2025[["year", "hh_id", "village_code", "stratum", "psu", "weight", "hh_size",
             "consumption_pc"]].head()

# %% [markdown]
# The table records where it came from (every file with its SHA-256, the profile and its hash),
# which the report's manifest carries:

# %%
survey_2025.attrs["kassaki_source"]

# %% [markdown]
# ## 4. Same question, same answer
#
# The headcount from the mapped survey and from the clean demo survey of the same world:

# %%
line = poverty_line(2025)
mapped = fgt(SurveyDesign(survey_2025, weight="weight", strata="stratum", psu="psu",
                          lonely_psu="adjust"), line=line, size="hh_size").tidy()
clean_wave = world.survey[world.survey["year"] == 2025].reset_index(drop=True)
clean = fgt(SurveyDesign(clean_wave, weight="weight", strata="stratum", psu="psu",
                         lonely_psu="adjust"), line=line, size="hh_size").tidy()
{"mapped": float(mapped["estimate"].iloc[0]), "clean": float(clean["estimate"].iloc[0])}

# %% [markdown]
# ## Your own files
#
# - `kassaki-eval map --check susenas my_files/*_2025.csv` prints what a profile produces and
#   every problem; `--apply ... --out data/survey_2025.parquet` writes the table.
# - `kassaki-eval map --suggest partner_file.xlsx --out partner_x.toml` drafts a profile for a
#   new source, each line saying why it was guessed.
# - The report runs on mapped tables with `kassaki-eval report --profile TABLE=PROFILE`.
#   See `docs/PROFILES.md` for the format.
