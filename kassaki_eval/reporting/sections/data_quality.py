"""Notebook 1, data quality and validation: what went in, and what the report may use.

The notebook makes the calls (the cross-table checks of :mod:`kassaki_eval.data.checks`,
the tables below) and passes their results to the display functions, so what it computes is
what is shown and published.

Data: :func:`parameters_table`, :func:`input_files_table`, :func:`analysis_tables_table`,
:func:`linkage_table`, :func:`survey_sample_table`, :func:`survey_waves_table`,
:func:`registry_kecamatan_table`, :func:`participation_table`. Display (blocks):
:func:`parameters`, :func:`inputs_summary`, :func:`cross_checks`, :func:`survey_sample`,
:func:`registry_overview`, :func:`participation_overview`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...data.checks import MIN_LINKAGE, cross_table_problems, linkage_rate
from ...exceptions import Problem
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ..params import ReportParams
from ._common import record_number

__all__ = [
    "start", "parameters_table", "input_files_table", "analysis_tables_table",
    "linkage_table", "survey_sample_table", "survey_waves_table", "registry_kecamatan_table",
    "participation_table", "parameters", "inputs_summary", "cross_checks", "survey_sample",
    "registry_overview", "participation_overview",
]


# -- data ---------------------------------------------------------------------------------
def parameters_table(params: ReportParams) -> pd.DataFrame:
    """The injected, validated parameters (``parameter``, ``value``)."""
    return pd.DataFrame(params.rows(), columns=["parameter", "value"])


def input_files_table(files: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Input files: name, size and the first 16 hex digits of the SHA-256 (empty for demo)."""
    return pd.DataFrame([{"file": k, "bytes": v.get("bytes"), "sha256": str(v.get("sha256"))[:16]}
                         for k, v in sorted(files.items())])


def analysis_tables_table(checks: Sequence[Mapping[str, Any]],
                          tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The validated analysis tables and the rows this report may use.

    ``checks``: table, rows, columns as read; ``tables``: the tables as of the report year.
    """
    out = pd.DataFrame(list(checks))[["table", "rows", "columns"]]
    out["rows_used"] = out["table"].map(lambda n: len(tables[n]) if n in tables else 0)
    return out


def linkage_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Family ids of the survey and of the household programme records found in the registry.

    One row per table: ``n_linked``, ``n_ids`` (non-missing ids) and ``share_linked``, by
    :func:`kassaki_eval.data.checks.linkage_rate` (the check the report's inputs passed).
    """
    reg = tables["registry"]["family_id"]
    part = tables["participation"]
    rows = []
    for name, ids in (("survey", tables["survey"]["family_id"]),
                      ("participation", part.loc[part["unit"] == "household", "family_id"])):
        linked, n = linkage_rate(ids, reg)
        rows.append({"table": name, "n_linked": linked, "n_ids": n,
                     "share_linked": linked / n if n else float("nan")})
    return pd.DataFrame(rows)


def survey_sample_table(survey: pd.DataFrame, *, year: int,
                        kec_names: Mapping[str, str]) -> pd.DataFrame:
    """Survey sample of ``year`` per kecamatan: households, weighted, panel, linkage, PSUs."""
    s = survey
    g = s.assign(linked=s["family_id"].notna().astype(float),
                 w_hh=s["weight"].astype(float)).groupby(["year", "kec_code"], sort=True)
    tab = pd.DataFrame({
        "n_hh": g.size(),
        "hh_weighted": g["w_hh"].sum(),
        "share_panel": g["in_panel"].mean(),
        "share_linked": g["linked"].mean(),
        "n_psu": g["psu"].nunique(),
    }).reset_index()
    tab.insert(2, "kecamatan", tab["kec_code"].map(kec_names))
    return tab[tab["year"] == year].drop(columns=["year"])


def survey_waves_table(survey: pd.DataFrame) -> pd.DataFrame:
    """Households, weighted households and PSUs per survey wave."""
    return survey.groupby("year").agg(n_hh=("weight", "size"), hh_weighted=("weight", "sum"),
                                      n_psu=("psu", "nunique")).reset_index()


def registry_kecamatan_table(registry: pd.DataFrame, *,
                             kec_names: Mapping[str, str]) -> pd.DataFrame:
    """Registry families per kecamatan: desil 1-4 share, PKH/BPNT receipt, household size."""
    r = registry
    g = r.assign(d14=(r["desil"] <= 4).astype(float)).groupby("kec_code", sort=True)
    tab = pd.DataFrame({
        "n_families": g.size(),
        "share_desil_1_4": g["d14"].mean(),
        "share_pkh": g["receives_pkh"].mean(),
        "share_bpnt": g["receives_bpnt"].mean(),
        "mean_hh_size": g["hh_size"].mean(),
    }).reset_index()
    tab.insert(1, "kecamatan", tab["kec_code"].map(kec_names))
    return tab


def participation_table(participation: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """Programme records by partner, component, unit and start year.

    Households behind a cell (``n_basis``, for disclosure control): the participating
    families for household components; for village components (facilitation) the
    registered families of the villages served (``n_hh`` is then empty).
    """
    p = participation
    start_year = pd.to_datetime(p["start_date"]).dt.year
    fam_per_village = registry.groupby("village_code").size()
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
    b.tables.append(Table.build("parameters", parameters_table(ctx.params),
                                title_key="nb1.params.table", k=ctx.k, count_col=None))
    return b


def inputs_summary(ctx: Context, tables: pd.DataFrame | None = None,
                   files: pd.DataFrame | None = None) -> Block:
    """Input files and the analysis tables they became.

    ``files``: :func:`input_files_table` (empty for demo data); ``tables``:
    :func:`analysis_tables_table` (default: both of the context's inputs).
    """
    if tables is None:
        tables = analysis_tables_table(ctx.prepared.checks, ctx.tables)
    if files is None:
        files = input_files_table(ctx.prepared.files)
    b = Block(key="nb1.inputs", section="data", title_key="nb1.inputs.title")
    if len(files):
        b.tables.append(Table.build("input_files", files,
                                    title_key="nb1.inputs.files", k=ctx.k, count_col=None,
                                    formats={"bytes": "int"}))
    b.tables.append(Table.build("analysis_tables", tables, title_key="nb1.inputs.table",
                                k=ctx.k, count_col=None,
                                formats={"rows": "int", "columns": "int", "rows_used": "int"}))
    b.sentences.append(("nb1.inputs.validated", {
        "n": len(tables), "loader": ctx.prepared.loader or "-",
        "source": "nb1.source.demo" if ctx.is_demo else "nb1.source.files"}))
    return b


def cross_checks(ctx: Context, problems: Sequence[Problem] | None = None,
                 links: pd.DataFrame | None = None, *,
                 min_linkage: float = MIN_LINKAGE) -> Block:
    """The cross-table checks: linkage to the registry and every problem found.

    ``links``: :func:`linkage_table`; ``problems``:
    :func:`kassaki_eval.data.checks.cross_table_problems` run with ``min_linkage`` (default:
    both on the context's tables, with the library's rule).
    """
    if problems is None:
        problems = cross_table_problems(ctx.tables, year=ctx.params.year,
                                        min_linkage=min_linkage)
    if links is None:
        links = linkage_table(ctx.tables)
    b = Block(key="nb1.checks", section="data", title_key="nb1.checks.title")
    b.tables.append(Table.build("registry_linkage", links, title_key="nb1.checks.table",
                                k=ctx.k, count_col=None,
                                formats={"n_linked": "int", "n_ids": "int",
                                         "share_linked": "pct"}))
    if problems:
        rows = pd.DataFrame([{"table": x.table, "column": x.column, "rule": x.rule,
                              "rows": x.count} for x in problems])
        b.tables.append(Table.build("input_problems", rows, title_key="nb1.checks.problems",
                                    k=ctx.k, count_col=None, formats={"rows": "int"}))
    b.sentences.append(("nb1.checks.sentence", {"min": float(min_linkage),
                                                "n": len(problems)}))
    return b


def survey_sample(ctx: Context, sample: pd.DataFrame | None = None,
                  waves: pd.DataFrame | None = None) -> Block:
    """The report year's sample per kecamatan and the survey waves, with a chart.

    ``sample``: :func:`survey_sample_table`; ``waves``: :func:`survey_waves_table` (default:
    both on the context's survey).
    """
    s = ctx.survey
    if sample is None:
        sample = survey_sample_table(s, year=ctx.params.year, kec_names=ctx.kec_names())
    if waves is None:
        waves = survey_waves_table(s)
    b = Block(key="nb1.survey", section="data", title_key="nb1.survey.title")
    b.tables.append(Table.build(
        "survey_sample", sample, title_key="nb1.survey.table", k=ctx.k,
        count_col="n_hh",
        formats={"n_hh": "int", "hh_weighted": "int", "share_panel": "pct",
                 "share_linked": "pct", "n_psu": "int"}, value_cols=["hh_weighted", "share_panel",
                                                                     "share_linked", "n_psu"]))
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


def registry_overview(ctx: Context, by_kecamatan: pd.DataFrame | None = None) -> Block:
    """Registry families per kecamatan: desil 1-4 share and social-assistance receipt.

    ``by_kecamatan``: :func:`registry_kecamatan_table` (default: on the context's registry).
    """
    if by_kecamatan is None:
        by_kecamatan = registry_kecamatan_table(ctx.registry, kec_names=ctx.kec_names())
    b = Block(key="nb1.registry", section="data", title_key="nb1.registry.title")
    b.tables.append(Table.build(
        "registry_kecamatan", by_kecamatan, title_key="nb1.registry.table",
        k=ctx.k, count_col="n_families",
        formats={"n_families": "int", "share_desil_1_4": "pct", "share_pkh": "pct",
                 "share_bpnt": "pct", "mean_hh_size": "num1"}))
    n = int(by_kecamatan["n_families"].sum())
    n14 = int(round(float((by_kecamatan["n_families"]
                           * by_kecamatan["share_desil_1_4"]).sum())))
    record_number(b, "registry_families", n, "int")
    record_number(b, "registry_desil_1_4", n14, "int")
    b.sentences.append(("nb1.registry.sentence", {"n": n, "n14": n14,
                                                  "share": n14 / max(n, 1)}))
    return b


def participation_overview(ctx: Context, records: pd.DataFrame | None = None) -> Block:
    """Programme records by partner, component and start year, and the villages reached.

    ``records``: :func:`participation_table` (households, villages, Rp; default: on the
    context's tables).
    """
    p = ctx.participation
    if records is None:
        records = participation_table(p, ctx.registry)
    b = Block(key="nb1.participation", section="data", title_key="nb1.participation.title")
    b.tables.append(Table.build(
        "participation", records, title_key="nb1.participation.table", k=ctx.k,
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
