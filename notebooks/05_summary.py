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
# # 5. Annual summary
#
# Developer note: the report text comes from `kassaki_eval/reporting/messages.toml`;
# this notebook only calls the library (`kassaki_eval.reporting.sections.summary`) and displays.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.reporting.sections import summary as S

ctx = S.start(report_params, run_dir, notebook="05_summary")

# %%
ctx.show(S.executive_summary(ctx))

# %%
ctx.show(S.key_results(ctx))

# %%
ctx.show(S.year_over_year(ctx))

# %%
ctx.show(S.demo_truth(ctx))
