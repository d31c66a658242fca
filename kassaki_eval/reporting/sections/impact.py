"""Notebook 4, impact: ATT by outcome and component, the event study, the one-point verdict.

Every estimate uses the one village panel of :func:`kassaki_eval.impact.panel.evaluation_panel`
(built once per kernel, with the year cut-off applied there), the same panel
:func:`kassaki_eval.impact.verdict.verdict_from_survey` uses, so the report's verdict and the
library's agree to the last digit. The whole-programme Callaway-Sant'Anna fit of the headcount
is made once and serves both the ATT table and the event study.

Data: :func:`impact_panel`, :func:`impact_fits`, :func:`impact_att_table`,
:func:`event_study_table`, :func:`verdict_result`, :func:`verdict_table`.
Display (blocks): :func:`impact_estimates`, :func:`impact_verdict`.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ...impact.did import twfe
from ...impact.panel import evaluation_panel
from ...impact.staggered import aggregate, callaway_santanna, imputation
from ...impact.verdict import programme_verdict
from ...results import EstimateResult
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ._common import record_number

__all__ = [
    "start", "IMPACT_OUTCOMES", "impact_panel", "impact_fits", "impact_att_table",
    "same_as_programme", "event_study_table", "verdict_result", "verdict_table",
    "impact_estimates", "impact_verdict",
]

IMPACT_OUTCOMES: tuple[str, ...] = ("poor", "log_consumption_pc", "employed", "business")
_OUTCOME_FORMAT = {"poor": "pp", "log_consumption_pc": "num", "employed": "pp", "business": "pp"}


# -- data ---------------------------------------------------------------------------------
def impact_panel(ctx: Context) -> pd.DataFrame:
    """The village x year evaluation panel of this report (cut off at the report year)."""
    def build() -> pd.DataFrame:
        years = sorted(int(y) for y in ctx.survey["year"].unique())
        return evaluation_panel(ctx.survey, lines={y: ctx.poverty_line("total", y) for y in years},
                                outcomes=IMPACT_OUTCOMES, rollout=ctx.rollout,
                                as_of=ctx.params.year)
    return ctx.memo("impact_panel", build)


def impact_fits(ctx: Context) -> dict[tuple[str, str, str], EstimateResult]:
    """Every impact fit of the report, keyed by (component, outcome, method), made once.

    Callaway-Sant'Anna (doubly robust, never-treated controls, population weights) is the main
    estimator; TWFE and the BJS imputation estimator are fitted for comparison when asked
    (``impact_methods``). For C&S the value is the ATT(g,t) result (aggregate it); for the
    others the overall ATT. Per component, the cohort is the component's first year and the
    controls are villages never reached by any component.
    """
    def build() -> dict[tuple[str, str, str], EstimateResult]:
        vp = impact_panel(ctx)
        a = ctx.params.alpha
        methods = ctx.params.impact_methods
        fits: dict[tuple[str, str, str], EstimateResult] = {}
        for outcome in IMPACT_OUTCOMES:
            if "cs_did" in methods:
                fits["all", outcome, "cs_did"] = callaway_santanna(
                    vp, y=outcome, unit="village_code", time="year", cohort="cohort",
                    weights="pop_weight", alpha=a)
            if "twfe" in methods:
                fits["all", outcome, "twfe"] = twfe(
                    vp, y=outcome, unit="village_code", time="year", cohort="cohort",
                    weights="pop_weight", cluster="village_code", alpha=a)
            if "imputation" in methods:
                fits["all", outcome, "imputation"] = imputation(
                    vp, y=outcome, unit="village_code", time="year", cohort="cohort",
                    weights="pop_weight", horizons=False, alpha=a)
        for comp in ctx.view.components:
            col = f"first_{comp}"
            if col not in vp.columns or not (vp[col] > 0).any():
                continue
            # treated by this component, or never treated by any: a clean comparison
            sub = vp[(vp[col] > 0) | (vp["cohort"] == 0)]
            for outcome in ("poor", "log_consumption_pc"):
                fits[comp, outcome, "cs_did"] = callaway_santanna(
                    sub, y=outcome, unit="village_code", time="year", cohort=col,
                    weights="pop_weight", alpha=a)
        return fits
    return ctx.memo("impact_fits", build)


def _att_row(res: EstimateResult, *, component: str, outcome: str, method: str,
             n_hh: int) -> dict[str, Any]:
    tab = res.tidy()
    r = tab[tab["term"] == "ATT"].iloc[0] if (tab["term"] == "ATT").any() else tab.iloc[0]
    return {"component": component, "outcome": outcome, "method": method,
            "estimate": r["estimate"], "std_error": r["std_error"], "conf_low": r["conf_low"],
            "conf_high": r["conf_high"], "p_value": r["p_value"], "n_obs": int(r["n_obs"]),
            "n_hh": n_hh, "_fmt": _OUTCOME_FORMAT[outcome],
            "_sefmt": "ppu" if _OUTCOME_FORMAT[outcome] == "pp" else "num"}


def impact_att_table(ctx: Context) -> pd.DataFrame:
    """ATT by component, outcome and method (C&S: the simple aggregation)."""
    vp = impact_panel(ctx)
    rows = []
    for (comp, outcome, method), res in impact_fits(ctx).items():
        if comp == "all":
            n_hh = int(vp["n_households"].sum())
        else:
            col = f"first_{comp}"
            n_hh = int(vp.loc[(vp[col] > 0) | (vp["cohort"] == 0), "n_households"].sum())
        rows.append(_att_row(aggregate(res, "simple") if method == "cs_did" else res,
                             component=comp, outcome=outcome, method=method, n_hh=n_hh))
    return pd.DataFrame(rows)


def same_as_programme(ctx: Context) -> list[str]:
    """Components whose villages and start years are exactly the programme's.

    Their estimate is the whole programme's by construction (microcredit in the demo world
    reached every programme village from the start), which a reader would take for an error.
    """
    vp = impact_panel(ctx)
    out = []
    for comp in ctx.view.components:
        col = f"first_{comp}"
        if col in vp.columns and (vp[col] > 0).any() and (vp[col] == vp["cohort"]).all():
            out.append(comp)
    return out


def event_study_table(ctx: Context) -> pd.DataFrame | None:
    """C&S dynamic aggregation of the headcount (``e``, estimate, CI), from the one fit."""
    res = impact_fits(ctx).get(("all", "poor", "cs_did"))
    if res is None:
        return None
    dyn = aggregate(res, "dynamic").tidy()
    dyn = dyn[dyn["term"].astype(str).str.startswith("e=")].copy()
    dyn["e"] = dyn["term"].astype(str).str[2:].astype(int)
    return dyn


def verdict_result(ctx: Context) -> EstimateResult:
    """:func:`~kassaki_eval.impact.verdict.programme_verdict` on the report's panel."""
    return ctx.memo("verdict", lambda: programme_verdict(
        impact_panel(ctx), year=ctx.params.year, threshold=ctx.params.goal_pp / 100,
        alpha=ctx.params.alpha))


def verdict_table(ctx: Context) -> pd.DataFrame:
    """The verdict's three terms (attributable change, ATT in treated villages, share)."""
    td = verdict_result(ctx).tidy().set_index("term")
    n_hh = int(impact_panel(ctx)["n_households"].sum())
    return pd.DataFrame([{"measure": term, "estimate": td.loc[term, "estimate"],
                          "conf_low": td.loc[term, "conf_low"],
                          "conf_high": td.loc[term, "conf_high"], "n_hh": n_hh, "_fmt": kind}
                         for term, kind in (("attributable_change", "pp"),
                                            ("att_treated_villages", "pp"),
                                            ("treated_person_share", "pct"))
                         if term in td.index])


# -- display ------------------------------------------------------------------------------
def impact_estimates(ctx: Context) -> Block:
    """ATT by outcome and component on the village panel, and the headcount's event study.

    Whole programme and per component; the event study is the C&S dynamic aggregation.
    """
    tab = impact_att_table(ctx)
    b = Block(key="nb4.estimates", section="impact", title_key="nb4.estimates.title",
              intro_key="nb4.estimates.intro")
    b.tables.append(Table.build(
        "impact_att", tab, title_key="nb4.estimates.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "std_error": "@_sefmt", "conf_low": "@_fmt",
                 "conf_high": "@_fmt", "p_value": "pvalue", "n_obs": "int", "n_hh": "int"},
        translate=("component", "outcome", "method"),
        value_cols=["estimate", "std_error", "conf_low", "conf_high", "p_value"]))
    poor_all = (tab["component"] == "all") & (tab["outcome"] == "poor")
    main = tab[poor_all & (tab["method"] == "cs_did")]
    if len(main):
        r = main.iloc[0]
        record_number(b, "att_poor_cs", float(r["estimate"]), "pp")
        b.sentences.append(("nb4.estimates.sentence", {"att": r["estimate"], "lo": r["conf_low"],
                                                       "hi": r["conf_high"]}))
    tw = tab[poor_all & (tab["method"] == "twfe")]
    if len(tw):
        record_number(b, "att_poor_twfe", float(tw.iloc[0]["estimate"]), "pp")
    for comp in same_as_programme(ctx):
        b.sentences.append(("nb4.components.same_as_programme",
                            {"components": f"val.component.{comp}"}))
    dyn = event_study_table(ctx)
    if dyn is not None:

        def draw(lang: str):
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots(figsize=(6.5, 3.2))
            x = dyn["e"].to_numpy()
            y = 100 * dyn["estimate"].to_numpy()
            ax.axhline(0, color="#9aa5b1", lw=1)
            ax.axvline(-0.5, color="#9aa5b1", lw=1, ls="--")
            ax.errorbar(x, y, yerr=[y - 100 * dyn["conf_low"].to_numpy(),
                                    100 * dyn["conf_high"].to_numpy() - y], fmt="o",
                        color="#14365d", capsize=4)
            ax.set_xticks(x)
            ax.set_xlabel(t("fig.event.x", lang))
            ax.set_ylabel(t("fig.event.y", lang))
            fig.tight_layout()
            return fig

        b.figures.append(render_figure("event_study_poor", "fig.event.caption", ctx.languages,
                                       draw))
    return b


def impact_verdict(ctx: Context) -> Block:
    """Programme-attributable change in district P0 and the test of the one-point goal.

    ``programme_verdict`` on the same village panel as the impact estimates: Delta = share of
    persons in treated villages x ATT on their poverty rate, with a delta-method CI and a
    one-sided test of "reduction > goal".
    """
    res = verdict_result(ctx)
    ex = res.extras
    ch = res.tidy().set_index("term").loc["attributable_change"]
    goal = ctx.params.goal_pp / 100
    b = Block(key="nb4.verdict", section="impact", title_key="nb4.verdict.title",
              intro_key="nb4.verdict.intro")
    # reduction = -change; the CI of the reduction is (-hi, -lo)
    red, rlo, rhi = -float(ch["estimate"]), -float(ch["conf_high"]), -float(ch["conf_low"])
    tail = ("nb4.verdict.met" if rlo > goal else "nb4.verdict.not_met" if rhi < goal
            else "nb4.verdict.undecided")
    key = "nb4.verdict.verdict" if red >= 0 else "nb4.verdict.verdict_raised"
    b.sentences.append((key, {
        "year": ctx.params.year, "red": abs(red), "lo": rlo, "hi": rhi,
        "level": round(100 * (1 - ctx.params.alpha)), "goal": goal,
        "prob": float(ex.get("prob_reduction_exceeds", float("nan"))),
        "p": float(ex.get("p_value_goal", float("nan"))), "tail": tail}))
    b.tables.append(Table.build(
        "verdict", verdict_table(ctx), title_key="nb4.verdict.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "conf_low": "@_fmt", "conf_high": "@_fmt", "n_hh": "int"},
        translate=("measure",), note_key="nb4.verdict.note",
        value_cols=["estimate", "conf_low", "conf_high"]))
    record_number(b, "attributable_change", float(ch["estimate"]), "pp")
    record_number(b, "attributable_change_ci_low", float(ch["conf_low"]), "pp")
    record_number(b, "attributable_change_ci_high", float(ch["conf_high"]), "pp")
    record_number(b, "prob_goal_met", float(ex.get("prob_reduction_exceeds", float("nan"))), "pct")
    return b
