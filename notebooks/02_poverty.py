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
# # 2. Poverty profile and change
#
# How many people live below the poverty line, where, how unequal consumption is, and how
# poverty changed since last year: Foster-Greer-Thorbecke indices (person-weighted) from the
# survey waves with design-based intervals (kecamatan strata, villages as PSUs), a profile by
# kecamatan, zone and sex of the head, inequality of per-capita consumption, the change since
# the previous wave with its panel-aware standard error, and a growth/redistribution split.
# To try something else, change a call below (another `line`, another `lonely_psu` rule, other
# groups) and re-run; the report text follows.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.poverty import SurveyDesign, fgt, gini, palma, profile_table, theil
from kassaki_eval.poverty.sae import area_table, fay_herriot
from kassaki_eval.reporting.sections import poverty as S
from kassaki_eval.reporting.sections import village as V

ctx = S.start(report_params, run_dir, notebook="02_poverty")
p = ctx.params

# %% [markdown]
# ## The survey design and the poverty line
#
# Every wave is a stratified sample of villages (PSUs) within kecamatan (strata). A stratum
# left with a single village is handled as R survey's `"adjust"` (centred at the population
# mean). The line of the report year is the `poverty_line` parameter when given, else the
# reference line; earlier waves keep their own year's line.

# %%
line = ctx.poverty_line()
lines = S.poverty_lines(ctx, line)
survey = S.with_lines(ctx.survey, lines)
design = SurveyDesign(survey, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust")
design_now = design.for_rows(survey["year"] == p.year)

# %% [markdown]
# ## District poverty per wave

# %%
headline = fgt(design, "consumption_pc", line="line", g=[0, 1, 2], size="hh_size", by="year",
               alpha=p.alpha)
extreme = fgt(design_now, "consumption_pc", line=ctx.poverty_line("extreme"), size="hh_size",
              alpha=p.alpha)
ctx.show(S.poverty_headline(ctx, headline, lines=lines, extreme=extreme,
                            extreme_line=ctx.poverty_line("extreme")))

# %% [markdown]
# ## Who is poor: kecamatan, zone, sex of the household head

# %%
by_kecamatan = profile_table(design_now, line=line, by="kec_code", size="hh_size", alpha=p.alpha)
by_zone = profile_table(design_now, line=line, by="zone", size="hh_size", alpha=p.alpha)
by_head_sex = profile_table(design_now, line=line, by="head_sex", size="hh_size", alpha=p.alpha)
ctx.show(S.poverty_profile(ctx, kecamatan=by_kecamatan,
                           groups={"zone": by_zone, "head_sex": by_head_sex}))

# %% [markdown]
# ## Inequality of per-capita consumption (persons, report year)

# %%
inequality = {
    "gini": gini(design_now, "consumption_pc", size="hh_size", alpha=p.alpha),
    "theil": theil(design_now, "consumption_pc", size="hh_size", alpha=p.alpha),
    "palma": palma(design_now, "consumption_pc", size="hh_size", alpha=p.alpha),
}
ctx.show(S.poverty_inequality(ctx, inequality))

# %% [markdown]
# ## Change since the previous wave
#
# `S.change_fits` calls `kassaki_eval.poverty.change` (P0 change with the covariance of the
# villages surveyed in both waves) overall and per zone, and the Shapley growth/redistribution
# decomposition with last year's consumption valued at this year's line. Without the previous
# wave it returns None and the block says so.

# %%
changes = S.change_fits(design, lines=lines, years=(p.year - 1, p.year), by=(None, "zone"),
                        alpha=p.alpha)
ctx.show(S.poverty_change(ctx, changes))

# %% [markdown]
# ## Village poverty (its own chapter in the report)
#
# Small-area estimation for all 103 villages: `area_table` puts the registry's village means
# next to each sampled village's direct estimate and its sampling variance (smoothed by a
# generalised variance function below `min_n` households: 30, or the median village sample
# when fewer than 10 villages have 30); `fay_herriot` shrinks the direct
# estimate towards a regression on those means, and gives unsampled villages the regression's
# value. Fay-Herriot with the analytic (Prasad-Rao) MSE runs in a fraction of a second; the
# unit-level EBP (`kassaki_eval.poverty.sae.ebp`, tutorial 05) needs a bootstrap MSE that is
# too slow for the report.

# %%
wave = S.with_lines(ctx.survey, lines)[lambda d: d["year"] == p.year]
areas = area_table(wave, ctx.registry, line=line, min_n=V.gvf_min_n(wave, default=30))
fh = fay_herriot(areas, "direct", "vardir", ["mean_pmt_score", "share_desil_1to4", "island"],
                 method="reml", transformation="none", mse="analytic", n_obs="n",
                 alpha=p.alpha)
ctx.show(V.village_poverty(ctx, fh, areas))

# %% [markdown]
# Registered families and KASSAKI components per village (the source of the village cards
# for DPMD, written next to the report).

# %%
ctx.show(V.village_programme(ctx, V.village_programme_table(ctx)))
