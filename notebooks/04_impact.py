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
# # 4. Impact estimates and the one-point verdict
#
# The programme is assigned to villages, so the effect is estimated on a village x year panel
# of the survey (person-weighted village means). The main estimator is Callaway & Sant'Anna
# (2021): one effect per roll-out cohort and year against villages never reached, doubly robust,
# weighted by village population. The verdict scales the effect in treated villages by their
# share of the district's people and tests the one-point goal.
#
# To try something else, change a call below and re-run: e.g. `control="notyet"` (never- and
# not-yet-treated villages as controls) or `method="reg"`; the other outcomes and the components
# repeat the options of the main call, and the report text follows.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.impact import callaway_santanna, evaluation_panel, programme_verdict
from kassaki_eval.reporting.sections import impact as S

ctx = S.start(report_params, run_dir, notebook="04_impact")
p = ctx.params

# %% [markdown]
# ## The village panel
#
# One row per surveyed village and year up to the report year: the share of poor people (each
# wave's poverty line), mean log consumption, employment and business, and the village's cohort
# (first year reached by any component, 0 = never) from the roll-out table.

# %%
panel = evaluation_panel(ctx.survey, lines=S.report_lines(ctx), outcomes=S.IMPACT_OUTCOMES,
                         rollout=ctx.rollout, as_of=p.year)

# %% [markdown]
# ## Effect on the poverty headcount, and the other outcomes
#
# `impact_fits` refits the other outcomes and each programme component with the options of
# `cs_poor`, and adds the comparison estimators named in the report parameters.

# %%
cs_poor = callaway_santanna(panel, y="poor", unit="village_code", time="year", cohort="cohort",
                            control="never", method="dr", weights="pop_weight", alpha=p.alpha)
fits = S.impact_fits(panel, main=cs_poor, outcomes=S.IMPACT_OUTCOMES, methods=p.impact_methods,
                     components=ctx.view.components)
ctx.show(S.impact_estimates(ctx, panel, fits))

# %% [markdown]
# ## The one-point verdict
#
# Programme-attributable change in the district's poverty rate, with the goal (in percentage
# points) and the confidence level from the report parameters.

# %%
verdict = programme_verdict(panel, y="poor", year=p.year, threshold=p.goal_pp / 100,
                            control="notyet", method="dr", weight="pop_weight", alpha=p.alpha)
ctx.show(S.impact_verdict(ctx, verdict, panel))

# %% [markdown]
# # Robustness: does the estimate survive other estimators and checks?
#
# The blocks below form the report's robustness chapter. Each check repeats the headcount
# analysis another way; the library's warnings (few clusters, weak first stage, ...) are
# printed with the block they concern.

# %%
from kassaki_eval.impact import (aipw, balance_table, entropy_balancing, event_study, honest_did,
                                 imputation, ipw, mde_staggered, power_staggered, sun_abraham,
                                 twfe)
from kassaki_eval.inference import benjamini_hochberg
from kassaki_eval.reporting.sections import robustness as R

# %% [markdown]
# ## The main estimate next to other estimators
#
# Two-way fixed effects (biased when effects differ across cohorts), the imputation estimator
# of Borusyak, Jaravel & Spiess and the interaction-weighted estimator of Sun & Abraham, on the
# same panel and weights.

# %%
alternatives = {
    "twfe": twfe(panel, y="poor", unit="village_code", time="year", cohort="cohort",
                 weights="pop_weight", cluster="village_code", alpha=p.alpha),
    "imputation": imputation(panel, y="poor", unit="village_code", time="year",
                             cohort="cohort", weights="pop_weight", horizons=False,
                             alpha=p.alpha),
    "sun_abraham": sun_abraham(panel, y="poor", unit="village_code", time="year",
                               cohort="cohort", weights="pop_weight", alpha=p.alpha),
}
ctx.show(R.robust_estimators(ctx, panel, main=cs_poor, alternatives=alternatives))

# %% [markdown]
# ## Event study with a uniform band, and HonestDiD
#
# The event study and HonestDiD compare every period with the year before the programme
# (`base_period="universal"`). The uniform band covers all event times at once (multiplier
# bootstrap, 999 draws); HonestDiD bounds the post-programme violation of parallel trends by
# `Mbar` times the largest pre-programme one (relative magnitudes), or the change in its
# slope by `M` per year (smoothness).

# %%
with R.recorded_warnings() as did_warnings:
    cs_universal = callaway_santanna(panel, y="poor", unit="village_code", time="year",
                                     cohort="cohort", control="never", method="dr",
                                     weights="pop_weight", base_period="universal",
                                     alpha=p.alpha)
    es = event_study(cs_universal, B=999, seed=p.seed)
ctx.show(R.robust_event_study(ctx, es, panel, warnings=did_warnings))

# %%
with R.recorded_warnings() as honest_warnings:
    relative = honest_did(cs_universal, Mbar=(0.0, 0.5, 1.0, 2.0), alpha=p.alpha)
    smooth = honest_did(cs_universal, restriction="smoothness", M=(0.0, 0.005, 0.01, 0.02),
                        alpha=p.alpha)
ctx.show(R.robust_honest_did(ctx, relative, smooth, panel, warnings=honest_warnings))

# %% [markdown]
# ## Few clusters and many outcomes
#
# Villages sit in 13 kecamatan: clustered at that level, the analytic p-values rest on few
# clusters, so the restricted wild cluster bootstrap (999 Rademacher draws) gives them again.
# Four outcomes are tested at once: Benjamini-Hochberg q-values control the false discovery
# rate across them.

# %%
with R.recorded_warnings() as wild_warnings:
    wild = R.wild_fits(panel, outcomes=S.IMPACT_OUTCOMES, cluster="kec_code", B=999,
                       seed=p.seed, alpha=p.alpha)
ctx.show(R.robust_few_clusters(ctx, wild, panel, warnings=wild_warnings))

# %%
pvalues = R.main_pvalues(fits, S.IMPACT_OUTCOMES)
qvalues = benjamini_hochberg(pvalues)
ctx.show(R.robust_multiple_testing(ctx, pvalues, qvalues, fits, panel))

# %% [markdown]
# ## Power of this design
#
# Closed-form power of the Callaway-Sant'Anna ATT for this roll-out (cohorts, never-treated
# villages, waves), with the survey's own households per village, intra-village correlation
# and year-to-year correlation of the village poverty rates.

# %%
design = R.design_inputs(panel, ctx.survey, line=ctx.poverty_line(), year=p.year)
power = power_staggered(p.goal_pp / 100, **design, alpha=p.alpha)
mde = mde_staggered(**design, alpha=p.alpha, power=0.8)
ctx.show(R.robust_power(ctx, design, power=power, mde=mde, effect=p.goal_pp / 100,
                        main=cs_poor, verdict=verdict))

# %% [markdown]
# ## Households: participants against similar non-participants
#
# Within programme villages, households that took part are compared with non-participants
# that look alike on characteristics fixed before the programme (registry decile, household
# composition, head, zone): inverse probability weighting, augmented IPW and entropy
# balancing, with the survey weights and village-clustered errors. This is the effect on
# participants' own poverty, a different quantity from the village effect above.

# %%
households = R.household_sample(ctx.survey, ctx.registry, year=p.year, line=ctx.poverty_line())
with R.recorded_warnings() as selection_warnings:
    selection = {
        "ipw": ipw(households, y="poor", treatment="participates",
                   covariates=R.PRE_COVARIATES, estimand="ATT", weights="weight",
                   cluster="village_code", alpha=p.alpha),
        "aipw": aipw(households, y="poor", treatment="participates",
                     covariates=R.PRE_COVARIATES, estimand="ATT", weights="weight",
                     cluster="village_code", alpha=p.alpha),
        "entropy_balancing": entropy_balancing(households, y="poor", treatment="participates",
                                               covariates=R.PRE_COVARIATES, estimand="ATT",
                                               weights="weight", cluster="village_code",
                                               alpha=p.alpha),
    }
    balance = balance_table(households, treatment="participates",
                            covariates=R.PRE_COVARIATES, weights="weight",
                            adjusted=selection["ipw"])
ctx.show(R.robust_selection(ctx, households, selection, balance, warnings=selection_warnings))

# %% [markdown]
# ## Regression discontinuity at the eligibility cutoff
#
# Families in registry deciles 1-4 are eligible. Around the registry score that separates
# decile 4 from decile 5, families just below and just above are alike, so the jump in poverty
# at the cutoff, scaled by the jump in take-up (fuzzy RD), is the effect there.

# %%
cutoff = R.eligibility_cutoff(ctx.registry, max_desil=4)
with R.recorded_warnings() as rd_warnings:
    rd = R.rd_at_cutoff(households, cutoff, y="poor", fuzzy="participates",
                        cluster="village_code", alpha=p.alpha)
ctx.show(R.robust_rd(ctx, rd, cutoff, warnings=rd_warnings))
