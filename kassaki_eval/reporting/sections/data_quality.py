"""Notebook 1, data quality and validation: what went in, and what the report may use.

Data: :func:`parameters_table`, :func:`input_files_table`, :func:`analysis_tables_table`,
:func:`survey_sample_table`, :func:`survey_waves_table`, :func:`registry_kecamatan_table`,
:func:`participation_table`. Display (blocks): :func:`parameters`, :func:`inputs_summary`,
:func:`survey_sample`, :func:`registry_overview`, :func:`participation_overview`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ._common import record_number

__all__ = [
    "start", "parameters_table", "input_files_table", "analysis_tables_table",
    "survey_sample_table", "survey_waves_table", "registry_kecamatan_table",
    "participation_table", "parameters", "inputs_summary", "survey_sample",
    "registry_overview", "participation_overview",
]


# -- data ---------------------------------------------------------------------------------
def parameters_table(ctx: Context) -> pd.DataFrame:
    """The injected, validated parameters (``parameter``, ``value``)."""
    return pd.DataFrame(ctx.params.rows(), columns=["parameter", "value"])


def input_files_table(ctx: Context) -> pd.DataFrame:
    """Input files: name, size and the first 16 hex digits of the SHA-256 (empty for demo)."""
    files = ctx.prepared.files
    return pd.DataFrame([{"file": k, "bytes": v.get("bytes"), "sha256": str(v.get("sha256"))[:16]}
                         for k, v in sorted(files.items())])


def analysis_tables_table(ctx: Context) -> pd.DataFrame:
    """The validated analysis tables, their size, and the rows this report may use."""
    checks = pd.DataFrame(ctx.prepared.checks)[["table", "rows", "columns"]]
    # rows this report may use: waves and records up to the report year
    checks["rows_used"] = checks["table"].map(
        lambda n: len(ctx.tables[n]) if n in ctx.tables else 0)
    return checks


def survey_sample_table(ctx: Context) -> pd.DataFrame:
    """Survey sample of the report year per kecamatan: households, weighted, panel, linkage."""
    s = ctx.survey
    g = s.assign(linked=s["family_id"].notna().astype(float),
                 w_hh=s["weight"].astype(float)).groupby(["year", "kec_code"], sort=True)
    tab = pd.DataFrame({
        "n_hh": g.size(),
        "hh_weighted": g["w_hh"].sum(),
        "share_panel": g["in_panel"].mean(),
        "share_linked": g["linked"].mean(),
        "n_psu": g["psu"].nunique(),
    }).reset_index()
    tab.insert(2, "kecamatan", tab["kec_code"].map(ctx.kec_names()))
    return tab[tab["year"] == ctx.params.year].drop(columns=["year"])


def survey_waves_table(ctx: Context) -> pd.DataFrame:
    """Households, weighted households and PSUs per survey wave."""
    return ctx.survey.groupby("year").agg(n_hh=("weight", "size"), hh_weighted=("weight", "sum"),
                                          n_psu=("psu", "nunique")).reset_index()


def registry_kecamatan_table(ctx: Context) -> pd.DataFrame:
    """Registry families per kecamatan: desil 1-4 share, PKH/BPNT receipt, household size."""
    r = ctx.registry
    g = r.assign(d14=(r["desil"] <= 4).astype(float)).groupby("kec_code", sort=True)
    tab = pd.DataFrame({
        "n_families": g.size(),
        "share_desil_1_4": g["d14"].mean(),
        "share_pkh": g["receives_pkh"].mean(),
        "share_bpnt": g["receives_bpnt"].mean(),
        "mean_hh_size": g["hh_size"].mean(),
    }).reset_index()
    tab.insert(1, "kecamatan", tab["kec_code"].map(ctx.kec_names()))
    return tab


def participation_table(ctx: Context) -> pd.DataFrame:
    """Programme records by partner, component, unit and start year.

    Households behind a cell (``n_basis``, for disclosure control): the participating
    families for household components; for village components (facilitation) the
    registered families of the villages served (``n_hh`` is then empty).
    """
    p = ctx.participation
    start_year = pd.to_datetime(p["start_date"]).dt.year
    fam_per_village = ctx.registry.groupby("village_code").size()
    g = p.assign(start_year=start_year).groupby(["partner", "component", "unit", "start_year"],
                                                sort=True)
    tab = pd.DataFrame({
        "n_records": g.size(),
        "n_hh": g["family_id"].nunique(),
        "n_villages": g["village_code"].nunique(),
        "amount_rp": g["amount_rp"].sum(),
    }).reset_index()
    vil_hh = g["village_code"].agg(
        lambda v: int(fam_per_village.reindex(v.unique()).fillna(0).sum()))
    tab["n_basis"] = np.where(tab["unit"] == "village", vil_hh.to_numpy(), tab["n_hh"])
    # village components have no participating households of their own
    tab["n_hh"] = tab["n_hh"].astype(float).mask(tab["unit"] == "village")
    return tab


# -- display ------------------------------------------------------------------------------
def parameters(ctx: Context) -> Block:
    """The injected, validated parameters as a table (papermill does not document them)."""
    b = Block(key="nb1.params", section="meta", title_key="nb1.params.title",
              intro_key="nb1.params.intro")
    b.tables.append(Table.build("parameters", parameters_table(ctx), title_key="nb1.params.table",
                                k=ctx.k, count_col=None))
    return b


def inputs_summary(ctx: Context) -> Block:
    """Input files (name, size, SHA-256) and the analysis tables they became."""
    b = Block(key="nb1.inputs", section="data", title_key="nb1.inputs.title")
    if ctx.prepared.files:
        b.tables.append(Table.build("input_files", input_files_table(ctx),
                                    title_key="nb1.inputs.files", k=ctx.k, count_col=None,
                                    formats={"bytes": "int"}))
    checks = analysis_tables_table(ctx)
    b.tables.append(Table.build("analysis_tables", checks, title_key="nb1.inputs.table", k=ctx.k,
                                count_col=None, formats={"rows": "int", "columns": "int",
                                                         "rows_used": "int"}))
    b.sentences.append(("nb1.inputs.validated", {
        "n": len(checks), "loader": ctx.prepared.loader or "-",
        "source": "nb1.source.demo" if ctx.is_demo else "nb1.source.files"}))
    return b


def survey_sample(ctx: Context) -> Block:
    """Survey sample per wave and kecamatan: households, weighted households, panel, linkage."""
    s = ctx.survey
    b = Block(key="nb1.survey", section="data", title_key="nb1.survey.title")
    b.tables.append(Table.build(
        "survey_sample", survey_sample_table(ctx), title_key="nb1.survey.table", k=ctx.k,
        count_col="n_hh",
        formats={"n_hh": "int", "hh_weighted": "int", "share_panel": "pct",
                 "share_linked": "pct", "n_psu": "int"}, value_cols=["hh_weighted", "share_panel",
                                                                     "share_linked", "n_psu"]))
    waves = survey_waves_table(ctx)
    b.tables.append(Table.build("survey_waves", waves, title_key="nb1.waves.table", k=ctx.k,
                                count_col="n_hh", formats={"year": "year", "n_hh": "int",
                                                           "hh_weighted": "int", "n_psu": "int"}))
    cur = waves[waves["year"] == ctx.params.year]
    n = int(cur["n_hh"].iloc[0]) if len(cur) else 0
    record_number(b, "survey_n_hh", n, "int")
    b.sentences.append(("nb1.survey.sentence", {
        "year": ctx.params.year, "n": n, "waves": len(waves),
        "hh": float(cur["hh_weighted"].iloc[0]) if len(cur) else float("nan")}))

    def draw(lang: str):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 3.4))
        piv = s.groupby(["kec_code", "year"]).size().unstack("year").fillna(0)
        piv.index = [ctx.kec_names().get(c, c) for c in piv.index]
        piv.plot.bar(ax=ax, width=0.8, color=["#9fb7d3", "#4f7fb0", "#14365d"][: piv.shape[1]])
        ax.set_ylabel(t("fig.survey_sample.y", lang))
        ax.set_xlabel("")
        ax.legend(title=t("col.year", lang), fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        fig.tight_layout()
        return fig

    b.figures.append(render_figure("survey_sample", "fig.survey_sample.caption", ctx.languages,
                                   draw))
    return b


def registry_overview(ctx: Context) -> Block:
    """Registry families per kecamatan: desil 1-4 share and social-assistance receipt."""
    r = ctx.registry
    b = Block(key="nb1.registry", section="data", title_key="nb1.registry.title")
    b.tables.append(Table.build(
        "registry_kecamatan", registry_kecamatan_table(ctx), title_key="nb1.registry.table",
        k=ctx.k, count_col="n_families",
        formats={"n_families": "int", "share_desil_1_4": "pct", "share_pkh": "pct",
                 "share_bpnt": "pct", "mean_hh_size": "num1"}))
    n14 = int((r["desil"] <= 4).sum())
    record_number(b, "registry_families", int(len(r)), "int")
    record_number(b, "registry_desil_1_4", n14, "int")
    b.sentences.append(("nb1.registry.sentence", {"n": len(r), "n14": n14,
                                                  "share": n14 / max(len(r), 1)}))
    return b


def participation_overview(ctx: Context) -> Block:
    """Programme records by partner, component and start year (households, villages, Rp)."""
    p = ctx.participation
    b = Block(key="nb1.participation", section="data", title_key="nb1.participation.title")
    b.tables.append(Table.build(
        "participation", participation_table(ctx), title_key="nb1.participation.table", k=ctx.k,
        count_col="n_basis",
        formats={"start_year": "year", "n_records": "int", "n_hh": "int", "n_villages": "int",
                 "amount_rp": "rp", "n_basis": "int"}, translate=("partner", "component", "unit"),
        value_cols=["n_records", "n_hh", "n_villages", "amount_rp"],
        note_key="nb1.participation.note"))
    ro = ctx.rollout
    if "cohort" in ro.columns:
        coh = ro.drop_duplicates("village_code").groupby("cohort").size()
        record_number(b, "villages_treated", int(coh[coh.index > 0].sum()), "int")
        record_number(b, "villages_never", int(coh.get(0, 0)), "int")
        b.sentences.append(("nb1.participation.sentence", {
            "treated": int(coh[coh.index > 0].sum()), "never": int(coh.get(0, 0)),
            "hh": int(p["family_id"].nunique())}))
    return b
