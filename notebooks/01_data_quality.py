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
# Developer note: the report text comes from `kassaki_eval/reporting/messages.toml`;
# this notebook only calls the library (`kassaki_eval.reporting.sections.data_quality`) and displays.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.reporting.sections import data_quality as S

ctx = S.start(report_params, run_dir, notebook="01_data_quality")

# %%
ctx.show(S.parameters(ctx))

# %%
ctx.show(S.inputs_summary(ctx))

# %%
ctx.show(S.survey_sample(ctx))

# %%
ctx.show(S.registry_overview(ctx))

# %%
ctx.show(S.participation_overview(ctx))
