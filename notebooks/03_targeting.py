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
# # 3. Targeting accuracy and beneficiary selection
#
# How well does the registry's eligible desil reach the poor on this year's survey, would a
# freshly fitted proxy-means test (PMT) do better, whom would a PMT select under each village's
# quota, and which targeting rule buys the most poverty reduction per rupiah under one budget?
# Everything is estimated on the report year's survey wave with its design (kecamatan strata,
# village PSUs). To try something else, change a call below (e.g. `eligible_desil = 3`, another
# PMT model, `cgh_share=0.2`, another transfer) and re-run; the report text follows.

# %% tags=["parameters"]
# Injected by `kassaki-eval report` after validation against
# kassaki_eval.reporting.params.ReportParams; edit here to run this notebook by hand.
report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.1}}
run_dir = None

# %%
from kassaki_eval.poverty import SurveyDesign
from kassaki_eval.reporting.sections import targeting as S
from kassaki_eval.targeting import (
    PMT_FEATURES,
    UNIVERSAL,
    compare_rules,
    demographic_scorecard,
    pmt_target,
    score_registry,
    select_quota,
    targeting_accuracy,
)

ctx = S.start(report_params, run_dir, notebook="03_targeting")
p = ctx.params
wave = S.survey_wave(ctx)  # the report year's households, linked to the registry by family_id
line = ctx.poverty_line()  # Rp per capita per month
design = SurveyDesign(wave, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust",
                      nest=True)

# %% [markdown]
# ## The registry's eligible desil on the survey
#
# A surveyed household counts as selected when its family is in registry desil 1 to
# `eligible_desil`; households not in the registry cannot be selected.

# %%
eligible_desil = p.eligible_desil
eligible = wave["desil"] <= eligible_desil
registry_acc = targeting_accuracy(wave, selected=eligible, poverty_line=line, score="desil",
                                  design=design, by=("zone", "head_sex"), deciles=True,
                                  alpha=p.alpha)
ctx.show(S.targeting_registry(ctx, registry_acc, eligible_desil=eligible_desil))

# %% [markdown]
# ## PMT models, cross-validated
#
# Each model predicts log per-capita consumption from the registry's covariates
# (`PMT_FEATURES`), survey-weighted, and is judged out of sample by 5-fold cross-validation.

# %%
y = pmt_target(wave["consumption_pc"])  # log per-capita consumption
pmt_models = S.pmt_models(p.pmt_methods, features=PMT_FEATURES, poverty_line=line,
                          random_state=p.seed)
pmt_cv = S.validate_models(pmt_models, wave, y, sample_weight=wave["weight"], scheme="kfold",
                           n_splits=5, poverty_line=line, random_state=p.seed, alpha=p.alpha)
ctx.show(S.targeting_pmt(ctx, pmt_cv))

# %% [markdown]
# ## Quota selection per village
#
# The first PMT model above, fitted on the whole wave, scores every registered family.
# In each village the lowest-scored families fill the village's slots: the families the
# programme's household components reached there by the report year.

# %%
scoring = list(pmt_models)[0]  # the first model above scores the registry
scoring_model = pmt_models[scoring].fit(wave, y, sample_weight=wave["weight"])
scored = score_registry(ctx.registry, scoring_model)
slots = S.programme_slots(ctx.participation, by="village_code", year=p.year, unit="household")
selection = select_quota(scored, by="village_code", slots=slots)
ctx.show(S.targeting_quota(ctx, selection, eligible_desil=eligible_desil))

# %% [markdown]
# ## Who each selection reaches: CGH and the distributional characteristic
#
# The registry rule, the PMT quota selection (linked to the survey by `family_id`) and the
# programme's actual participants, judged on the same households.

# %%
quota_acc = targeting_accuracy(wave, selected=selection.contains(wave["family_id"]),
                               poverty_line=line, design=design, by=(), deciles=False,
                               cgh_share=0.4, epsilon=2.0, alpha=p.alpha)
participants_acc = targeting_accuracy(wave, selected="participates", poverty_line=line,
                                      design=design, by=(), deciles=False, cgh_share=0.4,
                                      epsilon=2.0, alpha=p.alpha)
ctx.show(S.targeting_incidence(ctx, {"registry": registry_acc, "pmt_quota": quota_acc,
                                     "participants": participants_acc}))

# %% [markdown]
# ## Rules under one budget, per rupiah
#
# The budget is what the transfer costs for every household of the eligible desil; each rule
# spends it on its lowest-scored households. The PMT rule uses the out-of-fold predictions of
# the scoring model, so it is not judged on the households it was fitted on.

# %%
budget = S.budget_for(eligible, transfer=p.transfer_rp, design=design)  # Rp a month
rules = {
    "registry_desil": "desil",
    "pmt": pmt_cv[scoring].extras["oof_prediction"],
    "scorecard": demographic_scorecard(wave),
    "universal": UNIVERSAL,
    "perfect": "consumption_pc",
}
comparison = compare_rules(wave, rules, budget=budget, transfer=p.transfer_rp,
                           poverty_line=line, design=design, alpha=p.alpha)
ctx.show(S.targeting_rules(ctx, comparison))
