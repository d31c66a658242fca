"""Notebook 3, targeting: the registry's errors on the survey, and PMT models refitted.

Data: :func:`registry_accuracy`, :func:`targeting_registry_table`, :func:`coverage_decile_table`,
:func:`targeting_pmt_table`. Display (blocks): :func:`targeting_registry`, :func:`targeting_pmt`.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ...targeting import (
    OLSPMT,
    BoostingPMT,
    LassoPMT,
    QuantilePMT,
    pmt_target,
    targeting_accuracy,
    validate_pmt,
)
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ._common import record_number, survey_of_year

__all__ = [
    "start", "registry_accuracy", "targeting_registry_table", "coverage_decile_table",
    "pmt_estimator", "targeting_pmt_table", "targeting_registry", "targeting_pmt",
]

_TARGETING_TERMS = ("exclusion_error", "inclusion_error", "coverage_target", "mistargeting",
                    "targeting_differential", "auc")


# -- data ---------------------------------------------------------------------------------
def registry_accuracy(ctx: Context) -> pd.DataFrame:
    """Tidy targeting accuracy of the registry's desil 1-4 on the report year's survey.

    Unregistered households (no desil) cannot be selected: that is the registry's exclusion.
    """
    s = survey_of_year(ctx)
    s = s.assign(selected=(pd.to_numeric(s["desil"], errors="coerce").fillna(99) <= 4).astype(int))
    return targeting_accuracy(s, selected="selected", poverty_line=ctx.poverty_line(),
                              score="desil", deciles=True,
                              alpha=ctx.params.alpha).tidy()


def targeting_registry_table(res: pd.DataFrame) -> pd.DataFrame:
    """Select the published rows of :func:`registry_accuracy`.

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
    """Coverage of the registry's selection by consumption decile (figure data)."""
    dec = res[(res["term"] == "coverage") & res["decile"].notna() & (res["by"] == "all")]
    return dec[["decile", "estimate", "conf_low", "conf_high"]].copy()


def pmt_estimator(name: str, ctx: Context) -> Any:
    """The PMT estimator of a ``pmt_methods`` name."""
    if name == "ols":
        return OLSPMT()
    if name == "lasso":
        return LassoPMT()
    if name == "quantile":
        return QuantilePMT(poverty_line=ctx.poverty_line())
    return BoostingPMT(random_state=ctx.params.seed)


def targeting_pmt_table(ctx: Context) -> pd.DataFrame:
    """PMT models refitted on the report year's survey, validated out of sample (k-fold)."""
    s = survey_of_year(ctx)
    y = pmt_target(s["consumption_pc"])
    rows = []
    for name in ctx.params.pmt_methods:
        v = validate_pmt(pmt_estimator(name, ctx), s, y, sample_weight=s["weight"],
                         poverty_line=ctx.poverty_line(), random_state=ctx.params.seed,
                         alpha=ctx.params.alpha).tidy()
        v = v[v["fold"].astype(str) == "all"].set_index("term")
        rows.append({"method": name, "r2": v.loc["r2", "estimate"],
                     "rmse": v.loc["rmse", "estimate"],
                     "exclusion_error": v.loc["exclusion_error", "estimate"],
                     "inclusion_error": v.loc["inclusion_error", "estimate"],
                     "exclusion_error_line": v.loc["exclusion_error_line", "estimate"],
                     "n_hh": int(v.loc["r2", "n_obs"])})
    return pd.DataFrame(rows)


# -- display ------------------------------------------------------------------------------
def targeting_registry(ctx: Context) -> Block:
    """Inclusion and exclusion errors of the registry's desil 1-4 on the survey (design CIs)."""
    res = registry_accuracy(ctx)
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


def targeting_pmt(ctx: Context) -> Block:
    """PMT models refitted on the survey, validated out of sample (k-fold)."""
    tab = targeting_pmt_table(ctx)
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
