"""Notebook 4, impact: ATT by outcome and component, the event study, the one-point verdict.

The notebook builds the village panel (:func:`kassaki_eval.impact.evaluation_panel`, the year
cut-off applied there), makes the main Callaway-Sant'Anna fit and the verdict with their options
visible, and passes the results to the display functions here. :func:`impact_fits` refits the
other outcomes, the comparison estimators and the components *with the main fit's options*, so
a change of the main call (e.g. ``control="notyet"``) carries through the whole chapter.

Data: :func:`report_lines`, :func:`impact_fits`, :func:`impact_att_table`,
:func:`same_as_programme`, :func:`event_study_table`, :func:`verdict_table`.
Display (blocks): :func:`impact_estimates`, :func:`impact_verdict`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ...impact.did import twfe
from ...impact.staggered import aggregate, callaway_santanna, imputation
from ...results import EstimateResult
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ._common import record_number

__all__ = [
    "start", "IMPACT_OUTCOMES", "report_lines", "impact_fits", "impact_att_table",
    "same_as_programme", "event_study_table", "verdict_table", "impact_estimates",
    "impact_verdict",
]

IMPACT_OUTCOMES: tuple[str, ...] = ("poor", "log_consumption_pc", "employed", "business")
_OUTCOME_FORMAT = {"poor": "pp", "log_consumption_pc": "num", "employed": "pp", "business": "pp"}
#: outcomes estimated per programme component (the headcount and consumption)
COMPONENT_OUTCOMES: tuple[str, ...] = ("poor", "log_consumption_pc")

Fits = dict[tuple[str, str, str], EstimateResult]


# -- data ---------------------------------------------------------------------------------
def report_lines(ctx: Context) -> dict[int, float]:
    """The poverty line of every survey wave (the parameter's line in the report year)."""
    return {int(y): ctx.poverty_line("total", int(y)) for y in sorted(ctx.survey["year"].unique())}


def _cs_like(main: EstimateResult, data: pd.DataFrame, **change: Any) -> EstimateResult:
    """:func:`callaway_santanna` with the options of ``main`` except those in ``change``."""
    opts = {**dict(main.provenance.options), **change}
    return callaway_santanna(data, alpha=main.alpha, **opts)


def impact_fits(panel: pd.DataFrame, *, main: EstimateResult,
                outcomes: Sequence[str] = IMPACT_OUTCOMES,
                methods: Sequence[str] = ("cs_did", "twfe"),
                components: Sequence[str] = ()) -> Fits:
    """Every fit of the impact table, keyed by (component, outcome, method).

    ``main`` is the notebook's Callaway-Sant'Anna fit (``method="cs_did"``); the other outcomes
    and the per-component fits repeat its options (control group, estimation method, weights,
    clustering, base period), only the outcome and the cohort column change. Per component the
    cohort is the component's first year (``first_<component>``) and the controls are villages
    never reached by any component. ``methods`` may add ``"twfe"`` and ``"imputation"``
    (whole programme only) with the main fit's weights, clustered by village.
    The C&S fits are always made; ``"cs_did"`` in ``methods`` is accepted and ignored.
    C&S values are ATT(g,t) results (aggregate them); the others hold the overall ATT.
    """
    o = main.provenance.options
    keys = {"unit": o["unit"], "time": o["time"], "cohort": o["cohort"], "weights": o["weights"]}
    fits: Fits = {}
    for outcome in outcomes:
        fits["all", outcome, "cs_did"] = (main if outcome == o["y"]
                                          else _cs_like(main, panel, y=outcome))
        if "twfe" in methods:
            fits["all", outcome, "twfe"] = twfe(panel, y=outcome, cluster=o["unit"],
                                                alpha=main.alpha, **keys)
        if "imputation" in methods:
            fits["all", outcome, "imputation"] = imputation(panel, y=outcome, horizons=False,
                                                            alpha=main.alpha, **keys)
    for comp in components:
        col = f"first_{comp}"
        if col not in panel.columns or not (panel[col] > 0).any():
            continue
        # treated by this component, or never treated by any: a clean comparison
        sub = panel[(panel[col] > 0) | (panel[o["cohort"]] == 0)]
        for outcome in COMPONENT_OUTCOMES:
            if outcome in outcomes:
                fits[comp, outcome, "cs_did"] = _cs_like(main, sub, y=outcome, cohort=col)
    return fits


def _att_row(res: EstimateResult, *, component: str, outcome: str, method: str,
             n_hh: int) -> dict[str, Any]:
    tab = res.tidy()
    r = tab[tab["term"] == "ATT"].iloc[0] if (tab["term"] == "ATT").any() else tab.iloc[0]
    return {"component": component, "outcome": outcome, "method": method,
            "estimate": r["estimate"], "std_error": r["std_error"], "conf_low": r["conf_low"],
            "conf_high": r["conf_high"], "p_value": r["p_value"], "n_obs": int(r["n_obs"]),
            "n_hh": n_hh, "_fmt": _OUTCOME_FORMAT.get(outcome, "num"),
            "_sefmt": "ppu" if _OUTCOME_FORMAT.get(outcome) == "pp" else "num"}


def impact_att_table(panel: pd.DataFrame, fits: Fits, cohort: str = "cohort") -> pd.DataFrame:
    """ATT by component, outcome and method (C&S: the simple aggregation).

    ``n_hh`` counts the surveyed households behind each comparison (small-cell control).
    """
    rows = []
    for (comp, outcome, method), res in fits.items():
        if comp == "all":
            n_hh = int(panel["n_households"].sum())
        else:
            col = f"first_{comp}"
            n_hh = int(panel.loc[(panel[col] > 0) | (panel[cohort] == 0), "n_households"].sum())
        rows.append(_att_row(aggregate(res, "simple") if method == "cs_did" else res,
                             component=comp, outcome=outcome, method=method, n_hh=n_hh))
    return pd.DataFrame(rows)


def same_as_programme(panel: pd.DataFrame, components: Sequence[str],
                      cohort: str = "cohort") -> list[str]:
    """Components whose villages and start years are exactly the programme's.

    Their estimate is the whole programme's by construction (microcredit in the demo world
    reached every programme village from the start), which a reader would take for an error.
    """
    out = []
    for comp in components:
        col = f"first_{comp}"
        if col in panel.columns and (panel[col] > 0).any() and (panel[col] == panel[cohort]).all():
            out.append(comp)
    return out


def event_study_table(res: EstimateResult) -> pd.DataFrame:
    """C&S dynamic aggregation (``e``, estimate, CI) of a Callaway-Sant'Anna fit."""
    dyn = aggregate(res, "dynamic").tidy()
    dyn = dyn[dyn["term"].astype(str).str.startswith("e=")].copy()
    dyn["e"] = dyn["term"].astype(str).str[2:].astype(int)
    return dyn


def verdict_table(verdict: EstimateResult, panel: pd.DataFrame) -> pd.DataFrame:
    """The verdict's three terms (attributable change, ATT in treated villages, share)."""
    td = verdict.tidy().set_index("term")
    n_hh = int(panel["n_households"].sum())
    return pd.DataFrame([{"measure": term, "estimate": td.loc[term, "estimate"],
                          "conf_low": td.loc[term, "conf_low"],
                          "conf_high": td.loc[term, "conf_high"], "n_hh": n_hh, "_fmt": kind}
                         for term, kind in (("attributable_change", "pp"),
                                            ("att_treated_villages", "pp"),
                                            ("treated_person_share", "pct"))
                         if term in td.index])


# -- display ------------------------------------------------------------------------------
def impact_estimates(ctx: Context, panel: pd.DataFrame, fits: Fits,
                     cohort: str = "cohort") -> Block:
    """ATT by outcome and component on the village panel, and the headcount's event study.

    ``fits`` from :func:`impact_fits`; the event study is the C&S dynamic aggregation of the
    whole-programme headcount fit.
    """
    tab = impact_att_table(panel, fits, cohort=cohort)
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
    for comp in same_as_programme(panel, ctx.view.components, cohort=cohort):
        b.sentences.append(("nb4.components.same_as_programme",
                            {"components": f"val.component.{comp}"}))
    cs_poor = fits.get(("all", "poor", "cs_did"))
    if cs_poor is not None:
        dyn = event_study_table(cs_poor)

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


def impact_verdict(ctx: Context, verdict: EstimateResult, panel: pd.DataFrame) -> Block:
    """Programme-attributable change in district P0 and the test of the one-point goal.

    ``verdict`` is :func:`~kassaki_eval.impact.programme_verdict` on the notebook's panel:
    Delta = share of persons in treated villages x ATT on their poverty rate, with a
    delta-method CI and a one-sided test of "reduction > goal" (the goal is the verdict's
    ``threshold``).
    """
    ex = verdict.extras
    ch = verdict.tidy().set_index("term").loc["attributable_change"]
    goal = float(ex["threshold"])
    b = Block(key="nb4.verdict", section="impact", title_key="nb4.verdict.title",
              intro_key="nb4.verdict.intro")
    # reduction = -change; the CI of the reduction is (-hi, -lo)
    red, rlo, rhi = -float(ch["estimate"]), -float(ch["conf_high"]), -float(ch["conf_low"])
    tail = ("nb4.verdict.met" if rlo > goal else "nb4.verdict.not_met" if rhi < goal
            else "nb4.verdict.undecided")
    key = "nb4.verdict.verdict" if red >= 0 else "nb4.verdict.verdict_raised"
    b.sentences.append((key, {
        "year": int(ex["year"]), "red": abs(red), "lo": rlo, "hi": rhi,
        "level": round(100 * (1 - verdict.alpha)), "goal": goal,
        "prob": float(ex.get("prob_reduction_exceeds", float("nan"))),
        "p": float(ex.get("p_value_goal", float("nan"))), "tail": tail}))
    b.tables.append(Table.build(
        "verdict", verdict_table(verdict, panel), title_key="nb4.verdict.table", k=ctx.k,
        count_col="n_hh",
        formats={"estimate": "@_fmt", "conf_low": "@_fmt", "conf_high": "@_fmt", "n_hh": "int"},
        translate=("measure",), note_key="nb4.verdict.note",
        value_cols=["estimate", "conf_low", "conf_high"]))
    record_number(b, "attributable_change", float(ch["estimate"]), "pp")
    record_number(b, "attributable_change_ci_low", float(ch["conf_low"]), "pp")
    record_number(b, "attributable_change_ci_high", float(ch["conf_high"]), "pp")
    record_number(b, "prob_goal_met", float(ex.get("prob_reduction_exceeds", float("nan"))), "pct")
    return b
