"""Notebook 3, targeting: the registry's errors, PMT models, quota selection, rules per rupiah.

The notebook makes the library calls (survey design, eligibility rule, PMT models and their
cross-validation, the scoring model, the village quotas, the rules under one budget) and passes
the results to the display functions here, which only format: tables after disclosure control,
figures per language, sentences and key numbers.

Data: :func:`survey_wave`, :func:`pmt_models`, :func:`validate_models`,
:func:`programme_slots`, :func:`budget_for`, :func:`pmt_table`, :func:`quota_table`,
:func:`incidence_table`, :func:`rules_table`, :func:`targeting_registry_table`,
:func:`coverage_decile_table`. Display (blocks): :func:`targeting_registry`,
:func:`targeting_pmt`, :func:`targeting_quota`, :func:`targeting_incidence`,
:func:`targeting_rules`.

Each display function called with the context only (``S.targeting_pmt(ctx)``) shows the
report's default analysis, :func:`default_analysis` -- the same calls as notebook 03 with its
parameters (``tests/reporting/test_notebook_03.py`` checks that the two agree).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ...poverty.design import SurveyDesign
from ...results import EstimateResult
from ...targeting import (
    OLSPMT,
    PMT_FEATURES,
    UNIVERSAL,
    BoostingPMT,
    LassoPMT,
    QuantilePMT,
    Selection,
    compare_rules,
    demographic_scorecard,
    pmt_target,
    score_registry,
    select_quota,
    targeting_accuracy,
    validate_pmt,
)
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ._common import record_number, survey_of_year

__all__ = [
    "start", "survey_wave", "report_design", "pmt_models", "validate_models", "programme_slots",
    "budget_for", "TargetingAnalysis", "default_analysis", "registry_accuracy",
    "targeting_registry_table", "coverage_decile_table", "pmt_table", "quota_table",
    "incidence_table", "rules_table", "INCIDENCE_TERMS", "RULE_TERMS",
    "targeting_registry", "targeting_pmt", "targeting_quota", "targeting_incidence",
    "targeting_rules",
]

_TARGETING_TERMS = ("exclusion_error", "inclusion_error", "coverage_target", "mistargeting",
                    "targeting_differential", "auc")

#: Measures of :func:`incidence_table` (benchmark, term, number format).
INCIDENCE_TERMS: tuple[tuple[str, str, str], ...] = (
    ("none", "coverage", "pct"),
    ("poverty_line", "exclusion_error", "pct"),
    ("poverty_line", "inclusion_error", "pct"),
    ("none", "cgh", "num2"),
    ("none", "distributional_characteristic", "num2"),
)

#: Indicators of :func:`rules_table` (term of :func:`compare_rules`, number format).
RULE_TERMS: tuple[tuple[str, str], ...] = (
    ("gap_reduction_per_rp", "num2"),
    ("fgt0_change", "pp"),
    ("fgt1_change", "pp"),
    ("poorest10_reached", "pct"),
    ("exclusion_error", "pct"),
)

PmtName = Literal["ols", "quantile", "lasso", "gbm"]


# -- analysis helpers the notebook calls ---------------------------------------------------
def survey_wave(ctx: Context) -> pd.DataFrame:
    """The report year's survey wave (households linked to the registry by ``family_id``)."""
    return survey_of_year(ctx)


def report_design(wave: pd.DataFrame) -> SurveyDesign:
    """The report's design of a survey wave.

    Weights, kecamatan strata, village PSUs (nested), a lonely village handled as R survey's
    ``"adjust"``.
    """
    return SurveyDesign(wave, weight="weight", strata="stratum", psu="psu", lonely_psu="adjust",
                        nest=True)


def pmt_models(methods: tuple[PmtName, ...] | list[PmtName], *,
               features: tuple[str, ...] = PMT_FEATURES, poverty_line: float,
               random_state: int) -> dict[str, Any]:
    """Unfitted PMT estimators by name, each on ``features``.

    ``"ols"`` :class:`OLSPMT`, ``"lasso"`` :class:`LassoPMT`, ``"quantile"``
    :class:`QuantilePMT` at the poverty-line quantile, ``"gbm"`` :class:`BoostingPMT`.
    """
    out: dict[str, Any] = {}
    for name in methods:
        if name == "ols":
            out[name] = OLSPMT(features=features)
        elif name == "lasso":
            out[name] = LassoPMT(features=features)
        elif name == "quantile":
            out[name] = QuantilePMT(poverty_line=poverty_line, features=features)
        else:
            out[name] = BoostingPMT(random_state=random_state, features=features)
    return out


def validate_models(models: Mapping[str, Any], X: pd.DataFrame, y: Any, *,
                    sample_weight: Any, scheme: Literal["kfold", "group",
                                                        "leave_one_group_out"] = "kfold",
                    n_splits: int = 5, groups: Any = None, poverty_line: float,
                    random_state: int, alpha: float = 0.05) -> dict[str, EstimateResult]:
    """:func:`~kassaki_eval.targeting.validate_pmt` of each model, with the same options."""
    return {name: validate_pmt(m, X, y, sample_weight=sample_weight, scheme=scheme,
                               n_splits=n_splits, groups=groups, poverty_line=poverty_line,
                               random_state=random_state, alpha=alpha)
            for name, m in models.items()}


def programme_slots(participation: pd.DataFrame, *, by: str = "village_code", year: int,
                    unit: str = "household") -> pd.Series:
    """The programme's slots per group.

    Families reached by its ``unit``-level components (records started by the end of
    ``year``), counted once per family.
    """
    p = participation[(participation["unit"] == unit)
                      & (pd.to_datetime(participation["start_date"]).dt.year <= year)]
    p = p.dropna(subset=["family_id"])
    return p.drop_duplicates("family_id").groupby(by).size().astype(int)


def budget_for(selected: Any, *, transfer: float, design: SurveyDesign) -> float:
    """Rp a month that ``transfer`` to every selected household costs (survey-weighted)."""
    s = pd.to_numeric(pd.Series(np.asarray(selected, dtype=object)), errors="coerce")
    return float(transfer * np.sum(design.weights * s.fillna(0).to_numpy(float)))


# -- the report's default analysis ---------------------------------------------------------
@dataclass(frozen=True)
class TargetingAnalysis:
    """The results notebook 03 computes, as the report computes them by default."""

    registry: EstimateResult
    pmt: dict[str, EstimateResult]
    selection: Selection
    incidence: dict[str, EstimateResult]
    rules: EstimateResult


def default_analysis(ctx: Context) -> TargetingAnalysis:
    """Notebook 03's calls with the report's parameters (computed once per context)."""
    return ctx.memo("targeting.analysis", lambda: _default_analysis(ctx))


def _default_analysis(ctx: Context) -> TargetingAnalysis:
    p = ctx.params
    wave = survey_wave(ctx)
    line = ctx.poverty_line()
    design = report_design(wave)
    eligible = wave["desil"] <= p.eligible_desil
    registry_acc = targeting_accuracy(wave, selected=eligible, poverty_line=line, score="desil",
                                      design=design, deciles=True, alpha=p.alpha)
    y = pmt_target(wave["consumption_pc"])
    models = pmt_models(p.pmt_methods, features=PMT_FEATURES, poverty_line=line,
                        random_state=p.seed)
    pmt_cv = validate_models(models, wave, y, sample_weight=wave["weight"], n_splits=5,
                             poverty_line=line, random_state=p.seed, alpha=p.alpha)
    scoring = list(models)[0]
    scoring_model = models[scoring].fit(wave, y, sample_weight=wave["weight"])
    scored = score_registry(ctx.registry, scoring_model)
    slots = programme_slots(ctx.participation, by="village_code", year=p.year)
    selection = select_quota(scored, by="village_code", slots=slots)
    incidence = {
        "registry": registry_acc,
        "pmt_quota": targeting_accuracy(wave, selected=selection.contains(wave["family_id"]),
                                        poverty_line=line, design=design, by=(), deciles=False,
                                        alpha=p.alpha),
        "participants": targeting_accuracy(wave, selected="participates", poverty_line=line,
                                           design=design, by=(), deciles=False, alpha=p.alpha),
    }
    budget = budget_for(eligible, transfer=p.transfer_rp, design=design)
    rules = compare_rules(wave, {"registry_desil": "desil",
                                 "pmt": pmt_cv[scoring].extras["oof_prediction"],
                                 "scorecard": demographic_scorecard(wave),
                                 "universal": UNIVERSAL, "perfect": "consumption_pc"},
                          budget=budget, transfer=p.transfer_rp, poverty_line=line,
                          design=design, alpha=p.alpha)
    return TargetingAnalysis(registry_acc, pmt_cv, selection, incidence, rules)


def registry_accuracy(ctx: Context) -> pd.DataFrame:
    """Tidy targeting accuracy of the registry's eligible desil on the report year's survey.

    Desil 1 to the ``eligible_desil`` parameter (default 4), from :func:`default_analysis`.

    Unregistered households (no desil) cannot be selected: that is the registry's exclusion.
    """
    return default_analysis(ctx).registry.tidy()


# -- tables --------------------------------------------------------------------------------
def targeting_registry_table(res: pd.DataFrame) -> pd.DataFrame:
    """Select the published rows of a tidy :func:`targeting_accuracy` result.

    The headline measures overall, and the exclusion/inclusion errors by group.
    """
    main = res[res["term"].isin(_TARGETING_TERMS) & res["benchmark"].isin(["poverty_line", "quota"])
               & res["decile"].isna()]
    tab = pd.DataFrame({
        "benchmark": main["benchmark"].astype(str), "dimension": main["by"].astype(str),
        "group": main["group"].astype(str), "measure": main["term"].astype(str),
        "estimate": main["estimate"], "conf_low": main["conf_low"],
        "conf_high": main["conf_high"], "n_hh": main["n_obs"]})
    return tab[(tab["dimension"] == "all") | tab["measure"].isin(["exclusion_error",
                                                                  "inclusion_error"])]


def coverage_decile_table(res: pd.DataFrame) -> pd.DataFrame:
    """Coverage of a selection by consumption decile (figure data) from a tidy accuracy."""
    dec = res[(res["term"] == "coverage") & res["decile"].notna() & (res["by"] == "all")]
    return dec[["decile", "estimate", "conf_low", "conf_high"]].copy()


def pmt_table(validations: Mapping[str, EstimateResult]) -> pd.DataFrame:
    """One row per PMT model: pooled out-of-fold R², RMSE and targeting errors."""
    rows = []
    for name, res in validations.items():
        v = res.tidy()
        v = v[v["fold"].astype(str) == "all"].set_index("term")
        rows.append({"method": name, "r2": v.loc["r2", "estimate"],
                     "rmse": v.loc["rmse", "estimate"],
                     "exclusion_error": v.loc["exclusion_error", "estimate"],
                     "inclusion_error": v.loc["inclusion_error", "estimate"],
                     "exclusion_error_line": v.loc["exclusion_error_line", "estimate"],
                     "n_hh": int(v.loc["r2", "n_obs"])})
    return pd.DataFrame(rows)


def quota_table(selection: Selection, registry: pd.DataFrame, *, eligible_desil: int,
                kec_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Quota selection per kecamatan, and the district total.

    Villages with slots, registered families, slots, families selected, and how many of those
    are in registry desil 1 to ``eligible_desil``.
    """
    by = selection.options.get("by") or "village_code"
    q = selection.quotas.rename(columns={by: "village_code"})
    vil = registry[["village_code", "kec_code"]].drop_duplicates("village_code")
    vil = vil.assign(village_code=vil["village_code"].astype(str))
    q = q.merge(vil, on="village_code", how="left")
    desil = pd.to_numeric(registry.set_index("family_id")["desil"], errors="coerce")
    ben = selection.beneficiaries.assign(
        eligible=selection.beneficiaries["family_id"].map(desil).le(eligible_desil).astype(int))
    elig = ben.groupby("village_code")["eligible"].sum()
    q = q.assign(selected_eligible=q["village_code"].map(elig).fillna(0).astype(int),
                 with_slots=(q["slots"] > 0).astype(int))

    def summarise(g: pd.DataFrame) -> dict[str, Any]:
        sel = int(g["selected"].sum())
        return {"n_villages": int(g["with_slots"].sum()), "n_families": int(g["families"].sum()),
                "slots": int(g["slots"].sum()), "selected": sel,
                "selected_eligible": int(g["selected_eligible"].sum()),
                "share_selected_eligible": g["selected_eligible"].sum() / sel if sel else np.nan}

    names = dict(kec_names or {})
    rows = [{"kecamatan": names.get(str(k), str(k)), **summarise(g)}
            for k, g in q.groupby("kec_code", sort=True)]
    rows.append({"kecamatan": "Total", **summarise(q)})  # the same word in both languages
    return pd.DataFrame(rows)


def incidence_table(accuracies: Mapping[str, EstimateResult]) -> pd.DataFrame:
    """Coverage, errors, CGH and the distributional characteristic of each selection.

    Whole sample; errors against the poverty line; with their confidence intervals.
    """
    rows = []
    for name, res in accuracies.items():
        d = res.tidy()
        d = d[(d["by"] == "all") & d["decile"].isna()]
        for bench, term, kind in INCIDENCE_TERMS:
            r = d[(d["term"] == term) & (d["benchmark"] == bench)].iloc[0]
            rows.append({"selection": name, "term": term, "estimate": r["estimate"],
                         "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                         "n_hh": int(r["n_obs"]), "_fmt": kind})
    return pd.DataFrame(rows)


def rules_table(comparison: EstimateResult) -> pd.DataFrame:
    """The rules under one budget: per rule, the indicators of :data:`RULE_TERMS` with CIs."""
    d = comparison.tidy().set_index(["rule", "term"])
    rows = []
    for rule in dict.fromkeys(comparison.tidy()["rule"]):
        for term, kind in RULE_TERMS:
            r = d.loc[(rule, term)]
            rows.append({"rule": rule, "term": term, "estimate": r["estimate"],
                         "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                         "n_hh": int(r["n_obs"]), "_fmt": kind})
    return pd.DataFrame(rows)


# -- display -------------------------------------------------------------------------------
def targeting_registry(ctx: Context, accuracy: EstimateResult | None = None, *,
                       eligible_desil: int | None = None) -> Block:
    """Inclusion and exclusion errors of the registry's eligibility rule on the survey.

    ``accuracy``: :func:`~kassaki_eval.targeting.targeting_accuracy` of ``selected`` = desil 1
    to ``eligible_desil`` with ``deciles=True`` (default: :func:`default_analysis`);
    ``eligible_desil`` (default the report parameter) is named in the text.
    """
    acc = default_analysis(ctx).registry if accuracy is None else accuracy
    res = acc.tidy()
    tab = targeting_registry_table(res)
    b = Block(key="nb3.registry", section="targeting", title_key="nb3.registry.title",
              intro_key="nb3.registry.intro")
    b.tables.append(Table.build(
        "targeting_registry", tab, title_key="nb3.registry.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "num", "conf_low": "num", "conf_high": "num", "n_hh": "int"},
        translate=("benchmark", "dimension", "group", "measure")))
    allpl = tab[(tab["dimension"] == "all") & (tab["benchmark"] == "poverty_line")]
    allpl = allpl.set_index("measure")
    excl = float(allpl.loc["exclusion_error", "estimate"])
    incl = float(allpl.loc["inclusion_error", "estimate"])
    record_number(b, "registry_exclusion_error", excl, "pct")
    record_number(b, "registry_inclusion_error", incl, "pct")
    d = ctx.params.eligible_desil if eligible_desil is None else eligible_desil
    b.sentences.append(("nb3.registry.rule", {"d": d}))
    b.sentences.append(("nb3.registry.sentence", {"excl": excl, "incl": incl}))
    d_tab = coverage_decile_table(res)
    if len(d_tab):

        def draw(lang: str):
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots(figsize=(6.5, 3.2))
            x = d_tab["decile"].astype(int).to_numpy()
            y = 100 * d_tab["estimate"].to_numpy()
            ax.bar(x, y, color="#4f7fb0")
            ax.errorbar(x, y, yerr=[y - 100 * d_tab["conf_low"].to_numpy(),
                                    100 * d_tab["conf_high"].to_numpy() - y], fmt="none",
                        ecolor="#14365d", capsize=3)
            ax.set_xticks(x)
            ax.set_xlabel(t("fig.coverage.x", lang))
            ax.set_ylabel(t("fig.coverage.y", lang))
            ax.set_ylim(0, 100)
            fig.tight_layout()
            return fig

        b.figures.append(render_figure("coverage_decile", "fig.coverage.caption", ctx.languages,
                                       draw))
    return b


def targeting_pmt(ctx: Context, validations: Mapping[str, EstimateResult] | None = None
                  ) -> Block:
    """PMT models validated out of sample.

    ``validations``: name -> ``validate_pmt`` result (default: :func:`default_analysis`).
    """
    vals = default_analysis(ctx).pmt if validations is None else validations
    tab = pmt_table(vals)
    b = Block(key="nb3.pmt", section="targeting", title_key="nb3.pmt.title",
              intro_key="nb3.pmt.intro")
    b.tables.append(Table.build(
        "targeting_pmt", tab, title_key="nb3.pmt.table", k=ctx.k, count_col="n_hh",
        formats={"r2": "num", "rmse": "num", "exclusion_error": "pct", "inclusion_error": "pct",
                 "exclusion_error_line": "pct", "n_hh": "int"}, translate=("method",)))
    best = tab.sort_values("exclusion_error").iloc[0]
    record_number(b, "pmt_best_exclusion_error", float(best["exclusion_error"]), "pct")
    b.sentences.append(("nb3.pmt.sentence", {"method": f"val.method.{best['method']}",
                                             "excl": float(best["exclusion_error"]),
                                             "r2": float(best["r2"])}))
    return b


def targeting_quota(ctx: Context, selection: Selection | None = None, *,
                    eligible_desil: int | None = None) -> Block:
    """Quota selection per village, summed per kecamatan.

    ``selection``: the :func:`~kassaki_eval.targeting.select_quota` result (default:
    :func:`default_analysis`); ``eligible_desil``: the registry desil the selected are compared
    with (default the report parameter).
    """
    sel = default_analysis(ctx).selection if selection is None else selection
    d = ctx.params.eligible_desil if eligible_desil is None else eligible_desil
    tab = quota_table(sel, ctx.registry, eligible_desil=d, kec_names=ctx.kec_names())
    b = Block(key="nb3.quota", section="targeting", title_key="nb3.quota.title",
              intro_key="nb3.quota.intro")
    b.tables.append(Table.build(
        "targeting_quota", tab, title_key="nb3.quota.table", k=ctx.k, count_col="n_families",
        formats={"n_villages": "int", "n_families": "int", "slots": "int", "selected": "int",
                 "selected_eligible": "int", "share_selected_eligible": "pct"},
        value_cols=["n_villages", "slots", "selected", "selected_eligible",
                    "share_selected_eligible"]))
    tot = tab.iloc[-1]
    q = sel.quotas
    over = int((q["selected"] > q["slots"]).sum())
    short = int((q["selected"] < q["slots"]).sum())
    share = float(tot["share_selected_eligible"])
    record_number(b, "quota_families_selected", int(tot["selected"]), "int")
    record_number(b, "quota_share_eligible", share, "pct")
    b.sentences.append(("nb3.quota.sentence", {"n": int(tot["selected"]),
                                               "v": int(tot["n_villages"]), "over": over,
                                               "short": short, "share": share, "d": d}))
    return b


def targeting_incidence(ctx: Context,
                        accuracies: Mapping[str, EstimateResult] | None = None) -> Block:
    """Who each selection reaches: coverage, errors, CGH, distributional characteristic.

    ``accuracies``: selection name -> ``targeting_accuracy`` result (default:
    :func:`default_analysis`).
    """
    accs = default_analysis(ctx).incidence if accuracies is None else accuracies
    tab = incidence_table(accs)
    b = Block(key="nb3.incidence", section="targeting", title_key="nb3.incidence.title",
              intro_key="nb3.incidence.intro")
    b.tables.append(Table.build(
        "targeting_incidence", tab, title_key="nb3.incidence.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "conf_low": "@_fmt", "conf_high": "@_fmt",
                 "n_hh": "int"}, translate=("selection", "term")))
    cgh = tab[tab["term"] == "cgh"].set_index("selection")
    vals = {name: float(cgh.loc[name, "estimate"]) for name in cgh.index}
    if "registry" in vals:
        record_number(b, "registry_cgh", vals["registry"], "num2")
    others = [n for n in vals if n != "registry"]
    if "registry" in vals and others:
        b.sentences.append(("nb3.incidence.sentence",
                            {"cgh": vals["registry"], "other": f"val.selection.{others[0]}",
                             "cgh2": vals[others[0]]}))
    return b


def targeting_rules(ctx: Context, comparison: EstimateResult | None = None) -> Block:
    """Targeting rules under one budget, per rupiah.

    ``comparison``: the :func:`~kassaki_eval.targeting.compare_rules` result (default:
    :func:`default_analysis`).
    """
    res = default_analysis(ctx).rules if comparison is None else comparison
    tab = rules_table(res)
    opts = res.provenance.options if res.provenance is not None else {}
    b = Block(key="nb3.rules", section="targeting", title_key="nb3.rules.title",
              intro_key="nb3.rules.intro")
    b.tables.append(Table.build(
        "targeting_rules", tab, title_key="nb3.rules.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "conf_low": "@_fmt", "conf_high": "@_fmt",
                 "n_hh": "int"}, translate=("rule", "term")))
    g = tab[tab["term"] == "gap_reduction_per_rp"].set_index("rule")
    feasible = g.drop(index=[r for r in ("perfect",) if r in g.index])
    best = str(feasible["estimate"].idxmax())
    if "registry_desil" in g.index:
        record_number(b, "rules_gap_per_rp_registry", float(g.loc["registry_desil", "estimate"]),
                      "num2")
    record_number(b, "rules_gap_per_rp_best", float(feasible.loc[best, "estimate"]), "num2")
    b.sentences.append(("nb3.rules.sentence", {
        "budget": float(opts.get("budget", np.nan)), "transfer": float(opts.get("transfer",
                                                                               np.nan)),
        "best": f"val.rule.{best}", "g": float(feasible.loc[best, "estimate"]),
        "lo": float(feasible.loc[best, "conf_low"]), "hi": float(feasible.loc[best, "conf_high"]),
        "gr": float(g.loc["registry_desil", "estimate"]) if "registry_desil" in g.index
        else float("nan")}))

    def draw(lang: str):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * len(g)))
        yy = np.arange(len(g))[::-1]
        est = g["estimate"].to_numpy(float)
        ax.barh(yy, est, color=["#9aa7b4" if r == "perfect" else "#4f7fb0" for r in g.index])
        ax.errorbar(est, yy, xerr=[est - g["conf_low"].to_numpy(float),
                                   g["conf_high"].to_numpy(float) - est], fmt="none",
                    ecolor="#14365d", capsize=3)
        ax.set_yticks(yy)
        ax.set_yticklabels([t(f"val.rule.{r}", lang) for r in g.index])
        ax.set_xlabel(t("fig.rules.x", lang))
        hi = float(np.nanmax(g["conf_high"].to_numpy(float)))
        ax.set_xlim(min(0.0, float(np.nanmin(g["conf_low"].to_numpy(float)))),
                    1.15 * hi if np.isfinite(hi) and hi > 0 else 1.0)
        fig.tight_layout()
        return fig

    b.figures.append(render_figure("rules_gap_per_rp", "fig.rules.caption", ctx.languages, draw))
    return b
