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
# # 1. Data quality and validation
#
# What went into this report and what it may use. Every input table was read through its
# data contract (`kassaki_eval.data.load_table`: types, ranges, personal data pseudonymised)
# before any notebook started; here the checks *across* tables run again in the open
# (`cross_table_problems`: family ids linked to the registry, the report year's survey wave,
# every programme village in the roll-out), followed by the survey sample, the registry and
# the programme records the analysis uses. To try a stricter linkage rule, set
# `min_linkage` below (e.g. `0.98`) and re-run; the report text follows.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.data import MIN_LINKAGE, cross_table_problems
from kassaki_eval.reporting.sections import data_quality as S

ctx = S.start(report_params, run_dir, notebook="01_data_quality")
p = ctx.params

# %%
ctx.show(S.parameters(ctx))

# %% [markdown]
# ## Inputs and the analysis tables they became

# %%
files = S.input_files_table(ctx.prepared.files)
tables = S.analysis_tables_table(ctx.prepared.checks, ctx.tables)
ctx.show(S.inputs_summary(ctx, tables, files))

# %% [markdown]
# ## Checks across tables (the tables as of the report year)

# %%
min_linkage = MIN_LINKAGE  # share of each table's family ids that must be in the registry
problems = cross_table_problems(ctx.tables, year=p.year, min_linkage=min_linkage)
links = S.linkage_table(ctx.tables)
ctx.show(S.cross_checks(ctx, problems, links, min_linkage=min_linkage))

# %% [markdown]
# ## Survey sample (the report year per kecamatan, and every wave)

# %%
sample = S.survey_sample_table(ctx.survey, year=p.year, kec_names=ctx.kec_names())
waves = S.survey_waves_table(ctx.survey)
ctx.show(S.survey_sample(ctx, sample, waves))

# %% [markdown]
# ## Family registry (P3KE) per kecamatan

# %%
registry = S.registry_kecamatan_table(ctx.registry, kec_names=ctx.kec_names())
ctx.show(S.registry_overview(ctx, registry))

# %% [markdown]
# ## Programme records

# %%
records = S.participation_table(ctx.participation, ctx.registry)
ctx.show(S.participation_overview(ctx, records))
