"""Notebook 5, cost-effectiveness chapter: what the programme cost, per household and per point.

The notebook makes the library calls (:mod:`kassaki_eval.impact.cost`: ``cost_table``,
``cost_per_household``, ``cost_effectiveness``, ``separability_table``) with their options
visible and passes the results here; this module only words and lays them out.

Data: :func:`saved_effect` (notebook 4's saved verdict as an ``EstimateResult``).
Display (blocks): :func:`programme_costs`, :func:`cost_effectiveness_block`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ...impact.cost import COST_SOURCES
from ...impact.panel import evaluation_panel
from ...impact.verdict import programme_verdict
from ...results import EstimateResult, Provenance
from ..blocks import Block, Table
from ..context import Context, start
from ._common import record_number, saved_table

__all__ = ["start", "saved_effect", "programme_costs", "cost_effectiveness_block",
           "cost_rules_table"]


def saved_effect(ctx: Context, *, table: str = "verdict",
                 term: str = "attributable_change") -> EstimateResult:
    """The impact estimate notebook 4 saved (``table``, row ``measure == term``), as a result.

    The interval is the saved one (at the report's ``alpha``); the standard error is read off
    it (half-width / z, exact for the verdict's normal interval). When nothing was saved (the
    notebook run by hand, outside ``kassaki-eval report``) the verdict is computed here with
    the library's defaults (``programme_verdict`` on the report's village panel), the call
    notebook 4 makes; ``extras['source']`` says which.
    """
    a = ctx.params.alpha
    z = float(stats.norm.ppf(1 - a / 2))
    saved = saved_table(ctx.saved_blocks(), table)
    if saved is not None and "measure" in saved.columns and (saved["measure"] == term).any():
        r = saved[saved["measure"] == term].iloc[0]
        est, lo, hi = float(r["estimate"]), float(r["conf_low"]), float(r["conf_high"])
        se = (hi - lo) / (2 * z)
        n = int(r["n_hh"]) if "n_hh" in saved.columns and pd.notna(r["n_hh"]) else 0
        source = f"saved:{table}"
    else:
        years = sorted(int(y) for y in ctx.survey["year"].unique())
        panel = evaluation_panel(ctx.survey, lines={y: ctx.poverty_line("total", y) for y in years},
                                 outcomes=("poor",), rollout=ctx.rollout, as_of=ctx.params.year)
        v = programme_verdict(panel, year=ctx.params.year, threshold=ctx.params.goal_pp / 100,
                              alpha=a)
        row = v.tidy().set_index("term").loc[term]
        est, lo, hi, se = (float(row["estimate"]), float(row["conf_low"]),
                           float(row["conf_high"]), float(row["std_error"]))
        n = int(row["n_obs"])
        source = "computed:programme_verdict"
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else float("nan")
    tab = pd.DataFrame([{"term": term, "estimate": est, "std_error": se, "p_value": p,
                         "conf_low": lo, "conf_high": hi, "n_obs": n}])
    return EstimateResult(tab, method="verdict", alpha=a, own_intervals=True,
                          provenance=Provenance(method="saved_effect",
                                                options={"table": table, "term": term,
                                                         "source": source}),
                          extras={"source": source}, title=f"{term} ({source})")


def cost_rules_table(ctx: Context) -> pd.DataFrame:
    """The cost rules in force (report parameters) with their sources."""
    rules = ctx.params.costs.as_dict()
    return pd.DataFrame([{"parameter": k, "value": v, "source": COST_SOURCES[k]}
                         for k, v in rules.items()])


def programme_costs(ctx: Context, *, costs: pd.DataFrame,
                    per_household: EstimateResult) -> Block:
    """What the programme cost by partner and component, and per household reached.

    ``costs`` is :func:`~kassaki_eval.impact.cost.cost_table`'s table, ``per_household``
    :func:`~kassaki_eval.impact.cost.cost_per_household` on it.
    """
    b = Block(key="nb5.cost.costs", section="summary", title_key="nb5.cost.costs.title",
              intro_key="nb5.cost.costs.intro")
    ph = per_household.tidy().set_index("term")
    tab = costs.copy()
    tab["cost_per_household"] = [
        ph.loc[f"{p}:{c}", "estimate"] if f"{p}:{c}" in ph.index else np.nan
        for p, c in zip(tab["partner"], tab["component"], strict=True)]
    total = {"partner": "all", "component": "all", "unit": "", "cost_basis": "all",
             "n_records": int(tab["n_records"].sum()),
             "households_reached": int(tab["households_reached"].sum()),
             "villages_reached": np.nan, "amount_rp": float(tab["amount_rp"].sum()),
             "cost_rp": float(tab["cost_rp"].sum()),
             "cost_per_household": float(ph.loc["programme", "estimate"])}
    tab = pd.concat([tab, pd.DataFrame([total])], ignore_index=True)
    tab = tab[["partner", "component", "cost_basis", "n_records", "households_reached",
               "villages_reached", "amount_rp", "cost_rp", "cost_per_household"]]
    b.tables.append(Table.build(
        "cost_by_partner", tab, title_key="nb5.cost.costs.table", k=ctx.k,
        count_col="n_records", note_key="nb5.cost.costs.note",
        formats={"n_records": "int", "households_reached": "int", "villages_reached": "int",
                 "amount_rp": "rp", "cost_rp": "rp", "cost_per_household": "rp"},
        translate=("partner", "component", "cost_basis"),
        value_cols=["amount_rp", "cost_rp", "cost_per_household"]))
    # the sources are in the parameter labels (both languages) and in COST_SOURCES
    b.tables.append(Table.build("cost_rules", cost_rules_table(ctx)[["parameter", "value"]],
                                title_key="nb5.cost.rules.table", k=ctx.k, count_col=None,
                                formats={"value": "num2"}, translate=("parameter",)))
    loans = costs[costs["cost_basis"] == "loan"]
    b.sentences.append(("nb5.cost.costs.sentence", {
        "year": ctx.params.year, "cost": float(costs["cost_rp"].sum()),
        "amount": float(costs["amount_rp"].sum()),
        "principal": float(loans["amount_rp"].sum()), "loan_cost": float(loans["cost_rp"].sum()),
        "per_hh": float(ph.loc["programme", "estimate"]),
        "households": int(costs["households_reached"].sum())}))
    record_number(b, "programme_cost", float(costs["cost_rp"].sum()), "rp")
    record_number(b, "cost_per_household", float(ph.loc["programme", "estimate"]), "rp")
    return b


def cost_effectiveness_block(ctx: Context, *, effectiveness: EstimateResult,
                             separability: pd.DataFrame) -> Block:
    """Cost per percentage point and per person lifted, with intervals, and separability.

    ``effectiveness`` is :func:`~kassaki_eval.impact.cost.cost_effectiveness` (rows per
    partner plus ``all``), ``separability`` :func:`~kassaki_eval.impact.cost.separability_table`.
    """
    b = Block(key="nb5.cost.ratios", section="summary", title_key="nb5.cost.ratios.title",
              intro_key="nb5.cost.ratios.intro")
    td = effectiveness.tidy()
    tab = pd.DataFrame({
        "measure": td["measure"], "partner": td["group"], "cost_rp": td["cost_rp"],
        "estimate": td["estimate"], "conf_low": td["conf_low"],
        # an unbounded interval is published as a missing upper end; the column says why
        "conf_high": td["conf_high"].where(np.isfinite(td["conf_high"])),
        "interval": td["interval"]})
    b.tables.append(Table.build(
        "cost_effectiveness", tab, title_key="nb5.cost.ratios.table", k=ctx.k, count_col=None,
        note_key="nb5.cost.ratios.note",
        formats={"cost_rp": "rp", "estimate": "rp", "conf_low": "rp", "conf_high": "rp"},
        translate=("measure", "partner", "interval")))
    allrows = td[td["group"] == "all"].set_index("measure")
    level = round(100 * (1 - effectiveness.alpha))
    if "cost_per_point" in allrows.index:
        r = allrows.loc["cost_per_point"]
        kind = str(r["interval"])
        vals = {"est": r["estimate"], "lo": r["conf_low"], "hi": r["conf_high"],
                "level": level, "red_lo": r["reduction_low"], "red_hi": r["reduction_high"]}
        if "cost_per_person_lifted" in allrows.index:
            q = allrows.loc["cost_per_person_lifted"]
            vals.update({"pp_est": q["estimate"], "pp_lo": q["conf_low"], "pp_hi": q["conf_high"]})
        else:
            vals.update({"pp_est": np.nan, "pp_lo": np.nan, "pp_hi": np.nan})
        if kind == "unbounded" and not np.isfinite(float(r["estimate"])):
            kind = "unbounded_no_point"  # the estimate is no reduction: only the interval
        b.sentences.append((f"nb5.cost.ratios.{kind}", vals))
        record_number(b, "cost_per_point", float(r["estimate"]), "rp")
        record_number(b, "cost_per_point_ci_low", float(r["conf_low"]), "rp")
        hi = float(r["conf_high"])
        record_number(b, "cost_per_point_ci_high", hi if np.isfinite(hi) else None, "rp")
        if "cost_per_person_lifted" in allrows.index:
            record_number(b, "cost_per_person_lifted",
                          float(allrows.loc["cost_per_person_lifted", "estimate"]), "rp")
    sep = separability
    b.tables.append(Table.build(
        "cost_separability", sep[["component", "n_villages", "n_villages_alone", "reason"]],
        title_key="nb5.cost.sep.table", k=ctx.k, count_col=None,
        formats={"n_villages": "int", "n_villages_alone": "int"},
        translate=("component", "reason")))
    n_sep = int(sep["separable"].sum())
    b.sentences.append(("nb5.cost.ratios.not_separable" if n_sep == 0
                        else "nb5.cost.ratios.some_separable", {"n": n_sep}))
    b.sentences.append(("nb5.cost.ratios.allocation", {}))
    return b
