"""The report's analysis: one function per report section, called by the thin notebooks.

Each function takes the :class:`~kassaki_eval.reporting.context.Context` (validated
parameters + analysis tables) and returns a :class:`~kassaki_eval.reporting.blocks.Block`
(tables after disclosure control, figures per language, sentences, key numbers). Estimation
is delegated to the library (``kassaki_eval.poverty``, ``.targeting``, ``.impact``); when a
library has not landed yet the block says so ("not yet available: …") and carries no numbers.

Notebook 1 (data quality): :func:`parameters`, :func:`inputs_summary`, :func:`survey_sample`,
:func:`registry_overview`, :func:`participation_overview`.
Notebook 2 (poverty): :func:`poverty_headline`, :func:`poverty_profile`, :func:`poverty_change`.
Notebook 3 (targeting): :func:`targeting_registry`, :func:`targeting_pmt`.
Notebook 4 (impact): :func:`impact_estimates`, :func:`impact_verdict`.
Notebook 5 (summary): :func:`key_results`, :func:`year_over_year`, :func:`demo_truth`.
"""
from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd

from .blocks import Block, Table, render_figure
from .context import Context, start
from .i18n import t

__all__ = [
    "start", "parameters", "inputs_summary", "survey_sample", "registry_overview",
    "participation_overview", "poverty_headline", "poverty_profile", "poverty_change",
    "targeting_registry", "targeting_pmt", "impact_estimates", "impact_verdict",
    "key_results", "year_over_year", "demo_truth",
]


# --------------------------------------------------------------------------------------------
# helpers
def _module(name: str, *attrs: str) -> Any | None:
    """Import ``name`` if it exists *and* has ``attrs`` (a library still being built has not)."""
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and name.startswith(e.name):
            return None
        raise
    return mod if all(hasattr(mod, a) for a in attrs) else None


def _unavailable(key: str, section: str, what: str) -> Block:
    return Block(key=key, section=section, title_key=f"{key}.title", unavailable=what)


def _number(block: Block, name: str, value: Any, kind: str) -> None:
    """Record a key result: collected by the summary and the year-over-year comparison."""
    v = None if value is None or (isinstance(value, float) and not np.isfinite(value)) else value
    block.numbers[name] = {"value": v, "fmt": kind, "section": block.section}


def _wmean(x: pd.Series, w: pd.Series) -> float:
    x = x.astype(float).to_numpy()
    w = w.astype(float).to_numpy()
    ok = np.isfinite(x)
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")


# --------------------------------------------------------------------------------------------
# notebook 1: data quality and validation
def parameters(ctx: Context) -> Block:
    """The injected, validated parameters as a table (papermill does not document them)."""
    rows = pd.DataFrame(ctx.params.rows(), columns=["parameter", "value"])
    b = Block(key="nb1.params", section="meta", title_key="nb1.params.title",
              intro_key="nb1.params.intro")
    b.tables.append(Table.build("parameters", rows, title_key="nb1.params.table", k=ctx.k,
                                count_col=None))
    return b


def inputs_summary(ctx: Context) -> Block:
    """Input files (name, size, SHA-256) and the analysis tables they became."""
    b = Block(key="nb1.inputs", section="data", title_key="nb1.inputs.title")
    files = ctx.prepared.files
    if files:
        ft = pd.DataFrame([{"file": k, "bytes": v.get("bytes"), "sha256": str(v.get("sha256"))[:16]}
                           for k, v in sorted(files.items())])
        b.tables.append(Table.build("input_files", ft, title_key="nb1.inputs.files", k=ctx.k,
                                    count_col=None, formats={"bytes": "int"}))
    checks = pd.DataFrame(ctx.prepared.checks)[["table", "rows", "columns"]]
    # rows this report may use: waves and records up to the report year
    checks["rows_used"] = checks["table"].map(lambda n: len(ctx.tables[n]) if n in ctx.tables else 0)
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
    tab = tab[tab["year"] == ctx.params.year].drop(columns=["year"])
    b.tables.append(Table.build(
        "survey_sample", tab, title_key="nb1.survey.table", k=ctx.k, count_col="n_hh",
        formats={"n_hh": "int", "hh_weighted": "int", "share_panel": "pct",
                 "share_linked": "pct", "n_psu": "int"}, value_cols=["hh_weighted", "share_panel",
                                                                     "share_linked", "n_psu"]))
    waves = s.groupby("year").agg(n_hh=("weight", "size"), hh_weighted=("weight", "sum"),
                                  n_psu=("psu", "nunique")).reset_index()
    b.tables.append(Table.build("survey_waves", waves, title_key="nb1.waves.table", k=ctx.k,
                                count_col="n_hh", formats={"year": "year", "n_hh": "int",
                                                           "hh_weighted": "int", "n_psu": "int"}))
    cur = waves[waves["year"] == ctx.params.year]
    n = int(cur["n_hh"].iloc[0]) if len(cur) else 0
    _number(b, "survey_n_hh", n, "int")
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
    g = r.assign(d14=(r["desil"] <= 4).astype(float)).groupby("kec_code", sort=True)
    tab = pd.DataFrame({
        "n_families": g.size(),
        "share_desil_1_4": g["d14"].mean(),
        "share_pkh": g["receives_pkh"].mean(),
        "share_bpnt": g["receives_bpnt"].mean(),
        "mean_hh_size": g["hh_size"].mean(),
    }).reset_index()
    tab.insert(1, "kecamatan", tab["kec_code"].map(ctx.kec_names()))
    b.tables.append(Table.build(
        "registry_kecamatan", tab, title_key="nb1.registry.table", k=ctx.k,
        count_col="n_families",
        formats={"n_families": "int", "share_desil_1_4": "pct", "share_pkh": "pct",
                 "share_bpnt": "pct", "mean_hh_size": "num1"}))
    n14 = int((r["desil"] <= 4).sum())
    _number(b, "registry_families", int(len(r)), "int")
    _number(b, "registry_desil_1_4", n14, "int")
    b.sentences.append(("nb1.registry.sentence", {"n": len(r), "n14": n14,
                                                  "share": n14 / max(len(r), 1)}))
    return b


def participation_overview(ctx: Context) -> Block:
    """Programme records by partner, component and start year (households, villages, Rp)."""
    p = ctx.participation
    b = Block(key="nb1.participation", section="data", title_key="nb1.participation.title")
    start_year = pd.to_datetime(p["start_date"]).dt.year
    # Households behind a cell: the participating families for household components; for
    # village components (facilitation) the registered families of the villages served.
    fam_per_village = ctx.registry.groupby("village_code").size()
    g = p.assign(start_year=start_year).groupby(["partner", "component", "unit", "start_year"],
                                                sort=True)
    tab = pd.DataFrame({
        "n_records": g.size(),
        "n_hh": g["family_id"].nunique(),
        "n_villages": g["village_code"].nunique(),
        "amount_rp": g["amount_rp"].sum(),
    }).reset_index()
    vil_hh = g["village_code"].agg(lambda v: int(fam_per_village.reindex(v.unique()).fillna(0).sum()))
    tab["n_basis"] = np.where(tab["unit"] == "village", vil_hh.to_numpy(), tab["n_hh"])
    # village components have no participating households of their own
    tab["n_hh"] = tab["n_hh"].astype(float).mask(tab["unit"] == "village")
    b.tables.append(Table.build(
        "participation", tab, title_key="nb1.participation.table", k=ctx.k, count_col="n_basis",
        formats={"start_year": "year", "n_records": "int", "n_hh": "int", "n_villages": "int",
                 "amount_rp": "rp", "n_basis": "int"}, translate=("partner", "component", "unit"),
        value_cols=["n_records", "n_hh", "n_villages", "amount_rp"],
        note_key="nb1.participation.note"))
    ro = ctx.rollout
    if "cohort" in ro.columns:
        coh = ro.drop_duplicates("village_code").groupby("cohort").size()
        _number(b, "villages_treated", int(coh[coh.index > 0].sum()), "int")
        _number(b, "villages_never", int(coh.get(0, 0)), "int")
        b.sentences.append(("nb1.participation.sentence", {
            "treated": int(coh[coh.index > 0].sum()), "never": int(coh.get(0, 0)),
            "hh": int(p["family_id"].nunique())}))
    return b


# --------------------------------------------------------------------------------------------
# notebook 2: poverty profile and change
def _design(ctx: Context, data: pd.DataFrame):
    from ..poverty.design import SurveyDesign
    # villages are PSUs inside kecamatan strata; a stratum left with one village in a small
    # sample is handled as R survey's "adjust" (centred at the population mean)
    return SurveyDesign(data.reset_index(drop=True), weight="weight", strata="stratum",
                        psu="psu", lonely_psu="adjust")


def _with_lines(ctx: Context) -> pd.DataFrame:
    s = ctx.survey
    lines = {int(y): ctx.poverty_line("total", int(y)) for y in s["year"].unique()}
    return s.assign(line=s["year"].map(lines).astype(float))


def poverty_headline(ctx: Context) -> Block:
    """District P0/P1/P2 per survey wave (person-weighted, design-based CIs)."""
    if _module("kassaki_eval.poverty", "fgt") is None or _module("kassaki_eval.poverty",
                                                                  "SurveyDesign") is None:
        return _unavailable("nb2.headline", "poverty", "kassaki_eval.poverty / kassaki_eval.poverty.design")
    from ..poverty import fgt
    s = _with_lines(ctx)
    d = _design(ctx, s)
    res = fgt(d, line="line", g=[0, 1, 2], size="hh_size", by="year",
              alpha=ctx.params.alpha).tidy()
    wide = res.pivot(index="group", columns="measure", values="estimate")
    ci = res[res["measure"] == "p0"].set_index("group")
    tab = pd.DataFrame({
        "year": wide.index.astype(int),
        "poverty_line": [ctx.poverty_line("total", int(y)) for y in wide.index],
        "p0": wide["p0"].to_numpy(), "p0_low": ci.loc[wide.index, "conf_low"].to_numpy(),
        "p0_high": ci.loc[wide.index, "conf_high"].to_numpy(),
        "p1": wide["p1"].to_numpy(), "p2": wide["p2"].to_numpy(),
        "deff": ci.loc[wide.index, "deff"].to_numpy(),
        "n_hh": ci.loc[wide.index, "n_obs"].to_numpy(),
    })
    b = Block(key="nb2.headline", section="poverty", title_key="nb2.headline.title")
    b.tables.append(Table.build("poverty_district", tab, title_key="nb2.headline.table",
                                k=ctx.k, count_col="n_hh",
                                formats={"year": "year", "poverty_line": "rp", "p0": "pct",
                                         "p0_low": "pct", "p0_high": "pct", "p1": "pct2",
                                         "p2": "pct2", "deff": "num2", "n_hh": "int"},
                                value_cols=["p0", "p0_low", "p0_high", "p1", "p2", "deff"]))
    cur = tab[tab["year"] == ctx.params.year]
    if len(cur):
        r = cur.iloc[0]
        b.sentences.append(("nb2.headline.sentence", {
            "year": ctx.params.year, "p0": r["p0"], "line": r["poverty_line"],
            "level": round(100 * (1 - ctx.params.alpha)), "lo": r["p0_low"], "hi": r["p0_high"]}))
        _number(b, "p0", float(r["p0"]), "pct")
        _number(b, "p0_ci_low", float(r["p0_low"]), "pct")
        _number(b, "p0_ci_high", float(r["p0_high"]), "pct")
        _number(b, "p1", float(r["p1"]), "pct2")
        _number(b, "p2", float(r["p2"]), "pct2")
    cur_s = s[s["year"] == ctx.params.year]
    if len(cur_s):
        ext = fgt(_design(ctx, cur_s), line=ctx.poverty_line("extreme"), size="hh_size",
                  alpha=ctx.params.alpha)
        _number(b, "p0_extreme", float(ext["p0"]), "pct")
        b.sentences.append(("nb2.headline.extreme", {
            "p0": float(ext["p0"]), "line": ctx.poverty_line("extreme")}))

    def draw(lang: str):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.5, 3.2))
        x = tab["year"].astype(int).to_numpy()
        y = 100 * tab["p0"].to_numpy()
        err = np.vstack([y - 100 * tab["p0_low"].to_numpy(), 100 * tab["p0_high"].to_numpy() - y])
        ax.errorbar(x, y, yerr=err, fmt="o-", color="#14365d", capsize=4)
        ax.set_xticks(x)
        ax.set_ylabel(t("fig.p0_years.y", lang))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        return fig

    b.figures.append(render_figure("p0_years", "fig.p0_years.caption", ctx.languages, draw))
    return b


def poverty_profile(ctx: Context) -> Block:
    """Poverty of the report year by kecamatan, zone and sex of the head, with contributions."""
    if _module("kassaki_eval.poverty", "profile_table") is None:
        return _unavailable("nb2.profile", "poverty", "kassaki_eval.poverty")
    from ..poverty import profile_table
    s = ctx.survey[ctx.survey["year"] == ctx.params.year]
    d = _design(ctx, s)
    line = ctx.poverty_line()
    b = Block(key="nb2.profile", section="poverty", title_key="nb2.profile.title")
    kec = profile_table(d, line=line, by="kec_code", size="hh_size", alpha=ctx.params.alpha)
    kec = kec[kec["group"] != "total"]
    zones = dict(zip(ctx.kecamatan["kec_kemendagri"].astype(str), ctx.kecamatan["zone"]))
    tk = pd.DataFrame({
        "kec_code": kec["group"].astype(str), "kecamatan": kec["group"].astype(str).map(ctx.kec_names()),
        "zone": kec["group"].astype(str).map(zones), "n_hh": kec["n_obs"],
        "pop_share": kec["pop_share"], "p0": kec["p0"], "p0_low": kec["p0_low"],
        "p0_high": kec["p0_high"], "p1": kec["p1"], "p2": kec["p2"],
        "p0_contribution": kec["p0_contribution"]})
    b.tables.append(Table.build(
        "poverty_kecamatan", tk, title_key="nb2.profile.table_kec", k=ctx.k, count_col="n_hh",
        formats={"n_hh": "int", "pop_share": "pct", "p0": "pct", "p0_low": "pct",
                 "p0_high": "pct", "p1": "pct2", "p2": "pct2", "p0_contribution": "pct"},
        translate=("zone",)))
    parts = []
    for dim in ("zone", "head_sex"):
        pr = profile_table(d, line=line, by=dim, size="hh_size", alpha=ctx.params.alpha)
        pr = pr[pr["group"] != "total"]
        parts.append(pd.DataFrame({
            "dimension": dim, "group": pr["group"].astype(str), "n_hh": pr["n_obs"],
            "pop_share": pr["pop_share"], "p0": pr["p0"], "p0_low": pr["p0_low"],
            "p0_high": pr["p0_high"], "p1": pr["p1"], "p2": pr["p2"],
            "p0_contribution": pr["p0_contribution"]}))
    tg = pd.concat(parts, ignore_index=True)
    b.tables.append(Table.build(
        "poverty_groups", tg, title_key="nb2.profile.table_zone", k=ctx.k, count_col="n_hh",
        formats={"n_hh": "int", "pop_share": "pct", "p0": "pct", "p0_low": "pct",
                 "p0_high": "pct", "p1": "pct2", "p2": "pct2", "p0_contribution": "pct"},
        translate=("dimension", "group")))
    zi = tg[(tg["dimension"] == "zone")].set_index("group")["p0"]
    if {"island", "mainland"} <= set(zi.index):
        _number(b, "p0_island", float(zi["island"]), "pct")
        _number(b, "p0_mainland", float(zi["mainland"]), "pct")
        b.sentences.append(("nb2.profile.sentence", {"island": float(zi["island"]),
                                                     "mainland": float(zi["mainland"])}))
    tk_pub = b.tables[0].data

    def draw(lang: str):
        import matplotlib.pyplot as plt
        d2 = tk_pub.dropna(subset=["p0"]).sort_values("p0")
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        yv = np.arange(len(d2))
        colors = ["#c98a00" if z == "island" else "#14365d" for z in d2["zone"]]
        ax.errorbar(100 * d2["p0"], yv, xerr=[100 * (d2["p0"] - d2["p0_low"]),
                                              100 * (d2["p0_high"] - d2["p0"])],
                    fmt="none", ecolor="#9aa5b1", capsize=2)
        ax.scatter(100 * d2["p0"], yv, c=colors, zorder=3)
        ax.set_yticks(yv, d2["kecamatan"], fontsize=8)
        ax.set_xlabel(t("fig.p0_kec.x", lang))
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        return fig

    b.figures.append(render_figure("p0_kecamatan", "fig.p0_kec.caption", ctx.languages, draw))
    return b


def poverty_change(ctx: Context) -> Block:
    """Change in P0 since the previous wave (panel-aware SE) and a growth/redistribution split."""
    if _module("kassaki_eval.poverty", "change", "shapley_growth_redistribution") is None:
        return _unavailable("nb2.change", "poverty", "kassaki_eval.poverty")
    from ..poverty import change, shapley_growth_redistribution
    y1 = ctx.params.year
    y0 = y1 - 1
    s = ctx.survey
    b = Block(key="nb2.change", section="poverty", title_key="nb2.change.title")
    if not ((s["year"] == y0).any() and (s["year"] == y1).any()):
        b.sentences.append(("nb2.change.no_previous", {"y0": y0}))
        return b
    lines = {y0: ctx.poverty_line("total", y0), y1: ctx.poverty_line("total", y1)}
    rows = []
    for by in (None, "zone"):
        r = change(s, line=lines, years=(y0, y1), by=by,
                   design={"weight": "weight", "strata": "stratum", "psu": "psu",
                           "lonely_psu": "adjust"},
                   alpha=ctx.params.alpha).tidy()
        r = r[r["measure"] == "change"]
        for _, x in r.iterrows():
            rows.append({"group": "total" if by is None else str(x["group"]),
                         "change": x["estimate"], "std_error": x["std_error"],
                         "conf_low": x["conf_low"], "conf_high": x["conf_high"],
                         "n_hh": int(x["n_obs"])})
    tab = pd.DataFrame(rows)
    b.tables.append(Table.build("poverty_change", tab, title_key="nb2.change.table", k=ctx.k,
                                count_col="n_hh", formats={"change": "pp", "std_error": "ppu",
                                                           "conf_low": "pp", "conf_high": "pp",
                                                           "n_hh": "int"},
                                translate=("group",)))
    tot = tab[tab["group"] == "total"].iloc[0]
    _number(b, "p0_change", float(tot["change"]), "pp")
    b.sentences.append(("nb2.change.sentence", {"d": tot["change"], "y0": y0, "y1": y1,
                                                "lo": tot["conf_low"], "hi": tot["conf_high"]}))
    # decomposition in real terms: the earlier wave is valued at the later line (the lines
    # move with prices), so one line serves both waves
    real = s[s["year"].isin([y0, y1])].copy()
    real["consumption_real"] = real["consumption_pc"].astype(float) * np.where(
        real["year"] == y0, lines[y1] / lines[y0], 1.0)
    dec = shapley_growth_redistribution(real, "consumption_real", line=lines[y1],
                                        years=(y0, y1), design={"weight": "weight"}).tidy()
    dec = dec[["term", "estimate"]].rename(columns={"estimate": "change", "term": "part"})
    b.tables.append(Table.build("poverty_decomposition", dec, title_key="nb2.change.decomp",
                                k=ctx.k, count_col=None, formats={"change": "pp"},
                                translate=("part",), note_key="nb2.change.decomp_note"))
    return b


# --------------------------------------------------------------------------------------------
# notebook 3: targeting
_TARGETING_TERMS = ("exclusion_error", "inclusion_error", "coverage_target", "mistargeting",
                    "targeting_differential", "auc")


def _survey_year(ctx: Context) -> pd.DataFrame:
    return ctx.survey[ctx.survey["year"] == ctx.params.year].reset_index(drop=True)


def targeting_registry(ctx: Context) -> Block:
    """Inclusion and exclusion errors of the registry's desil 1-4 on the survey (design CIs)."""
    tg = _module("kassaki_eval.targeting", "targeting_accuracy")
    if tg is None:
        return _unavailable("nb3.registry", "targeting", "kassaki_eval.targeting")
    s = _survey_year(ctx)
    # unregistered households (no desil) cannot be selected: that is the registry's exclusion
    s = s.assign(selected=(pd.to_numeric(s["desil"], errors="coerce").fillna(99) <= 4).astype(int))
    res = tg.targeting_accuracy(s, selected="selected", poverty_line=ctx.poverty_line(),
                                score="desil", deciles=True, lonely_psu="adjust",
                                alpha=ctx.params.alpha).tidy()
    b = Block(key="nb3.registry", section="targeting", title_key="nb3.registry.title",
              intro_key="nb3.registry.intro")
    main = res[res["term"].isin(_TARGETING_TERMS) & res["benchmark"].isin(["poverty_line", "quota"])
               & res["decile"].isna()]
    tab = pd.DataFrame({
        "benchmark": main["benchmark"].astype(str), "dimension": main["by"].astype(str),
        "group": main["group"].astype(str), "measure": main["term"].astype(str),
        "estimate": main["estimate"], "conf_low": main["conf_low"],
        "conf_high": main["conf_high"], "n_hh": main["n_obs"]})
    tab = tab[(tab["dimension"] == "all") | tab["measure"].isin(["exclusion_error",
                                                                 "inclusion_error"])]
    b.tables.append(Table.build(
        "targeting_registry", tab, title_key="nb3.registry.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "num", "conf_low": "num", "conf_high": "num", "n_hh": "int"},
        translate=("benchmark", "dimension", "group", "measure")))
    allpl = tab[(tab["dimension"] == "all") & (tab["benchmark"] == "poverty_line")].set_index("measure")
    excl, incl = float(allpl.loc["exclusion_error", "estimate"]), float(allpl.loc["inclusion_error", "estimate"])
    _number(b, "registry_exclusion_error", excl, "pct")
    _number(b, "registry_inclusion_error", incl, "pct")
    b.sentences.append(("nb3.registry.sentence", {"excl": excl, "incl": incl}))
    dec = res[(res["term"] == "coverage") & res["decile"].notna() & (res["by"] == "all")]
    if len(dec):
        d_tab = dec[["decile", "estimate", "conf_low", "conf_high"]].copy()

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


def _pmt_estimator(name: str, ctx: Context) -> Any:
    from .. import targeting as tg
    if name == "ols":
        return tg.OLSPMT()
    if name == "lasso":
        return tg.LassoPMT()
    if name == "quantile":
        return tg.QuantilePMT(poverty_line=ctx.poverty_line())
    return tg.BoostingPMT(random_state=ctx.params.seed) if "random_state" in \
        tg.BoostingPMT().get_params() else tg.BoostingPMT()


def targeting_pmt(ctx: Context) -> Block:
    """PMT models refitted on the survey, validated out of sample (k-fold)."""
    tg = _module("kassaki_eval.targeting", "validate_pmt", "pmt_target")
    if tg is None:
        return _unavailable("nb3.pmt", "targeting", "kassaki_eval.targeting")
    s = _survey_year(ctx)
    y = tg.pmt_target(s["consumption_pc"])
    rows = []
    for name in ctx.params.pmt_methods:
        v = tg.validate_pmt(_pmt_estimator(name, ctx), s, y, sample_weight=s["weight"],
                            poverty_line=ctx.poverty_line(), random_state=ctx.params.seed,
                            alpha=ctx.params.alpha).tidy()
        v = v[v["fold"].astype(str) == "all"].set_index("term")
        rows.append({"method": name, "r2": v.loc["r2", "estimate"], "rmse": v.loc["rmse", "estimate"],
                     "exclusion_error": v.loc["exclusion_error", "estimate"],
                     "inclusion_error": v.loc["inclusion_error", "estimate"],
                     "exclusion_error_line": v.loc["exclusion_error_line", "estimate"],
                     "n_hh": int(v.loc["r2", "n_obs"])})
    tab = pd.DataFrame(rows)
    b = Block(key="nb3.pmt", section="targeting", title_key="nb3.pmt.title",
              intro_key="nb3.pmt.intro")
    b.tables.append(Table.build(
        "targeting_pmt", tab, title_key="nb3.pmt.table", k=ctx.k, count_col="n_hh",
        formats={"r2": "num", "rmse": "num", "exclusion_error": "pct", "inclusion_error": "pct",
                 "exclusion_error_line": "pct", "n_hh": "int"}, translate=("method",)))
    best = tab.sort_values("exclusion_error").iloc[0]
    _number(b, "pmt_best_exclusion_error", float(best["exclusion_error"]), "pct")
    b.sentences.append(("nb3.pmt.sentence", {"method": f"val.method.{best['method']}",
                                             "excl": float(best["exclusion_error"]),
                                             "r2": float(best["r2"])}))
    return b


# --------------------------------------------------------------------------------------------
# notebook 4: impact
IMPACT_OUTCOMES: tuple[str, ...] = ("poor", "log_consumption_pc", "employed", "business")
_OUTCOME_FORMAT = {"poor": "pp", "log_consumption_pc": "num", "employed": "pp", "business": "pp"}


def _village_panel(ctx: Context) -> pd.DataFrame:
    """Village x year panel of person-weighted outcome means, with each village's cohort."""
    from ..impact.staggered import village_panel
    s = _with_lines(ctx)
    s = s.assign(poor=(s["consumption_pc"].astype(float) < s["line"]).astype(float),
                 log_consumption_pc=np.log(np.maximum(s["consumption_pc"].astype(float), 1.0)))
    vp = village_panel(s, outcomes=list(IMPACT_OUTCOMES))
    ro = ctx.rollout
    coh = ro.drop_duplicates("village_code").set_index("village_code")["cohort"]
    vp["cohort"] = vp["village_code"].map(coh).fillna(0).astype(int)
    comp = ro.pivot_table(index="village_code", columns="component", values="first_year",
                          aggfunc="min")
    for c in comp.columns:
        vp[f"first_{c}"] = vp["village_code"].map(comp[c]).fillna(0).astype(int)
    return vp


def _impact_row(res: Any, *, component: str, outcome: str, method: str, n_hh: int) -> dict[str, Any]:
    tab = res.tidy()
    r = tab[tab["term"] == "ATT"].iloc[0] if (tab["term"] == "ATT").any() else tab.iloc[0]
    return {"component": component, "outcome": outcome, "method": method,
            "estimate": r["estimate"], "std_error": r["std_error"], "conf_low": r["conf_low"],
            "conf_high": r["conf_high"], "p_value": r["p_value"], "n_obs": int(r["n_obs"]),
            "n_hh": n_hh, "_fmt": _OUTCOME_FORMAT[outcome],
            "_sefmt": "ppu" if _OUTCOME_FORMAT[outcome] == "pp" else "num"}


def impact_estimates(ctx: Context) -> Block:
    """ATT by outcome (whole programme) and by component, on the village panel.

    Callaway-Sant'Anna (doubly robust, never-treated controls, population weights) is the
    main estimator; TWFE and the BJS imputation estimator are shown for comparison when asked
    (``impact_methods``). Per component, the cohort is the component's first year and the
    controls are villages never reached by any component.
    """
    st = _module("kassaki_eval.impact.staggered", "callaway_santanna", "aggregate", "village_panel")
    if st is None:
        return _unavailable("nb4.estimates", "impact", "kassaki_eval.impact.staggered")
    did = _module("kassaki_eval.impact.did", "twfe")
    vp = _village_panel(ctx)
    a = ctx.params.alpha
    methods = ctx.params.impact_methods
    n_hh_all = int(vp["n_households"].sum())
    rows = []
    for outcome in IMPACT_OUTCOMES:
        if "cs_did" in methods:
            res = st.callaway_santanna(vp, y=outcome, unit="village_code", time="year",
                                       cohort="cohort", weights="pop_weight", alpha=a)
            rows.append(_impact_row(st.aggregate(res, "simple"), component="all", outcome=outcome,
                                    method="cs_did", n_hh=n_hh_all))
        if "twfe" in methods and did is not None:
            res = did.twfe(vp, y=outcome, unit="village_code", time="year", cohort="cohort",
                           weights="pop_weight", cluster="village_code", alpha=a)
            rows.append(_impact_row(res, component="all", outcome=outcome, method="twfe",
                                    n_hh=n_hh_all))
        if "imputation" in methods:
            res = st.imputation(vp, y=outcome, unit="village_code", time="year", cohort="cohort",
                                weights="pop_weight", horizons=False, alpha=a)
            rows.append(_impact_row(res, component="all", outcome=outcome, method="imputation",
                                    n_hh=n_hh_all))
    for comp in ctx.view.components:
        col = f"first_{comp}"
        if col not in vp.columns or not (vp[col] > 0).any():
            continue
        # treated by this component, or never treated by any: a clean comparison
        sub = vp[(vp[col] > 0) | (vp["cohort"] == 0)]
        for outcome in ("poor", "log_consumption_pc"):
            res = st.callaway_santanna(sub, y=outcome, unit="village_code", time="year",
                                       cohort=col, weights="pop_weight", alpha=a)
            rows.append(_impact_row(st.aggregate(res, "simple"), component=comp, outcome=outcome,
                                    method="cs_did", n_hh=int(sub["n_households"].sum())))
    tab = pd.DataFrame(rows)
    b = Block(key="nb4.estimates", section="impact", title_key="nb4.estimates.title",
              intro_key="nb4.estimates.intro")
    b.tables.append(Table.build(
        "impact_att", tab, title_key="nb4.estimates.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "std_error": "@_sefmt", "conf_low": "@_fmt",
                 "conf_high": "@_fmt", "p_value": "pvalue", "n_obs": "int", "n_hh": "int"},
        translate=("component", "outcome", "method"),
        value_cols=["estimate", "std_error", "conf_low", "conf_high", "p_value"]))
    main = tab[(tab["component"] == "all") & (tab["outcome"] == "poor") & (tab["method"] == "cs_did")]
    if len(main):
        r = main.iloc[0]
        _number(b, "att_poor_cs", float(r["estimate"]), "pp")
        b.sentences.append(("nb4.estimates.sentence", {"att": r["estimate"], "lo": r["conf_low"],
                                                       "hi": r["conf_high"]}))
    tw = tab[(tab["component"] == "all") & (tab["outcome"] == "poor") & (tab["method"] == "twfe")]
    if len(tw):
        _number(b, "att_poor_twfe", float(tw.iloc[0]["estimate"]), "pp")
    # event study of the headcount (dynamic aggregation)
    if "cs_did" in methods:
        res = st.callaway_santanna(vp, y="poor", unit="village_code", time="year",
                                   cohort="cohort", weights="pop_weight", alpha=a)
        dyn = st.aggregate(res, "dynamic").tidy()
        dyn = dyn[dyn["term"].astype(str).str.startswith("e=")].copy()
        dyn["e"] = dyn["term"].astype(str).str[2:].astype(int)

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

    ``kassaki_eval.impact.verdict.programme_verdict`` on the same village panel as the impact
    estimates: Delta = share of persons in treated villages x ATT on their poverty rate, with
    a delta-method CI and a one-sided test of "reduction > goal".
    """
    ver = _module("kassaki_eval.impact.verdict", "programme_verdict")
    if ver is None:
        return _unavailable("nb4.verdict", "impact", "kassaki_eval.impact.verdict")
    vp = _village_panel(ctx)
    goal = ctx.params.goal_pp / 100
    res = ver.programme_verdict(vp, year=ctx.params.year, threshold=goal,
                                alpha=ctx.params.alpha)
    td = res.tidy().set_index("term")
    ex = res.extras
    ch = td.loc["attributable_change"]
    rows = [{"measure": term, "estimate": td.loc[term, "estimate"],
             "conf_low": td.loc[term, "conf_low"], "conf_high": td.loc[term, "conf_high"],
             "n_hh": int(vp["n_households"].sum()), "_fmt": kind}
            for term, kind in (("attributable_change", "pp"), ("att_treated_villages", "pp"),
                               ("treated_person_share", "pct")) if term in td.index]
    tab = pd.DataFrame(rows)
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
        "verdict", tab, title_key="nb4.verdict.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "conf_low": "@_fmt", "conf_high": "@_fmt", "n_hh": "int"},
        translate=("measure",), note_key="nb4.verdict.note",
        value_cols=["estimate", "conf_low", "conf_high"]))
    _number(b, "attributable_change", float(ch["estimate"]), "pp")
    _number(b, "attributable_change_ci_low", float(ch["conf_low"]), "pp")
    _number(b, "attributable_change_ci_high", float(ch["conf_high"]), "pp")
    _number(b, "prob_goal_met", float(ex.get("prob_reduction_exceeds", float("nan"))), "pct")
    return b


# --------------------------------------------------------------------------------------------
# notebook 5: annual summary
def key_results(ctx: Context) -> Block:
    """Key numbers of notebooks 1-4, collected from their saved structured results."""
    b = Block(key="nb5.key", section="summary", title_key="nb5.key.title")
    blocks = ctx.saved_blocks()
    rows = []
    missing = []
    for m in blocks:
        if m.get("unavailable"):
            missing.append(m["unavailable"])
        for name, num in m.get("numbers", {}).items():
            if not ctx.view.shows(num["section"]):
                continue  # a partner view summarises the sections it shows
            rows.append({"indicator": name, "section": num["section"], "value": num["value"],
                         "fmt": num["fmt"]})
    if not blocks:
        b.sentences.append(("nb5.key.none", {}))
        return b
    tab = pd.DataFrame(rows, columns=["indicator", "section", "value", "fmt"])
    b.tables.append(_numbers_table(tab, "key_results", "nb5.key.table", ctx))
    if missing:
        b.sentences.append(("nb5.key.missing", {"what": ", ".join(sorted(set(missing)))}))
    return b


def _numbers_table(tab: pd.DataFrame, name: str, title_key: str, ctx: Context) -> Table:
    """Key numbers, each shown in its own format (``_fmt``: pct, int, …)."""
    out = tab[["section", "indicator", "value", "fmt"]].rename(columns={"fmt": "_fmt"})
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    return Table.build(name, out, title_key=title_key, k=ctx.k, count_col=None,
                       formats={"value": "@_fmt"}, translate=("section", "indicator"))


def year_over_year(ctx: Context) -> Block:
    """Key estimates next to last year's report, and every change of specification or data."""
    b = Block(key="nb5.yoy", section="summary", title_key="nb5.yoy.title")
    if ctx.params.previous is None:
        b.sentences.append(("nb5.yoy.none", {}))
        return b
    from .manifest import diff_manifests, load_manifest
    import json
    prev_dir = ctx.params.previous
    prev_manifest = load_manifest(prev_dir)
    prev_keys = json.loads((prev_dir / "key_results.json").read_text()) \
        if (prev_dir / "key_results.json").is_file() else {}
    cur = {}
    for m in ctx.saved_blocks():
        for name, num in m.get("numbers", {}).items():
            if ctx.view.shows(num["section"]):
                cur[name] = num
    prev_keys = {n: v for n, v in prev_keys.items() if ctx.view.shows(v.get("section", ""))}
    names = list(cur) + [n for n in prev_keys if n not in cur]  # this year's order
    rows = []
    for n in names:
        pv = (prev_keys.get(n) or {}).get("value")
        cv = (cur.get(n) or {}).get("value")
        kind = (cur.get(n) or prev_keys.get(n) or {}).get("fmt", "num")
        rows.append({"indicator": n, "previous": pv, "current": cv,
                     "difference": (cv - pv) if isinstance(cv, (int, float)) and
                     isinstance(pv, (int, float)) else None,
                     "_fmt": kind, "_dfmt": "pp" if kind == "pct" else kind})
    tab = pd.DataFrame(rows, columns=["indicator", "previous", "current", "difference", "_fmt",
                                      "_dfmt"])
    for c in ("previous", "current", "difference"):
        tab[c] = pd.to_numeric(tab[c], errors="coerce")
    b.tables.append(Table.build("yoy_estimates", tab, title_key="nb5.yoy.table", k=ctx.k,
                                count_col=None, formats={"previous": "@_fmt", "current": "@_fmt",
                                                         "difference": "@_dfmt"},
                                translate=("indicator",)))
    cur_manifest = _current_manifest(ctx)
    changes = diff_manifests(prev_manifest, cur_manifest)
    ch = pd.DataFrame([c.__dict__ for c in changes], columns=["kind", "item", "before", "after"])
    if len(ch):
        b.tables.append(Table.build("yoy_changes", ch, title_key="nb5.yoy.changes", k=ctx.k,
                                    count_col=None, translate=("kind",)))
    b.sentences.append(("nb5.yoy.sentence", {
        "prev_year": prev_manifest.get("year"), "n_spec": int((ch["kind"] == "specification").sum()),
        "n_data": int((ch["kind"] == "data").sum()),
        "n_soft": int((ch["kind"] == "software").sum())}))
    return b


def _current_manifest(ctx: Context) -> dict[str, Any]:
    """The parts of this run's manifest known before it ends (written by the runner)."""
    import json
    if ctx.run_dir is not None:
        p = ctx.run_dir / "_work" / "manifest.partial.json"
        if p.is_file():
            return json.loads(p.read_text())
    from .manifest import package_versions, git_commit
    return {"params": ctx.params.to_json_dict(), "inputs": ctx.prepared.files,
            "software": package_versions(), "git": git_commit()}


def demo_truth(ctx: Context) -> Block:
    """Demo data only: the synthetic world's true values next to the estimates."""
    b = Block(key="nb5.truth", section="summary", title_key="nb5.truth.title")
    if not ctx.is_demo or not ctx.prepared.truth:
        b.sentences.append(("nb5.truth.none", {}))
        return b
    truth = ctx.prepared.truth
    rows = []
    pov = truth.get("poverty")
    if pov is not None and {"year", "p0"} <= set(pov.columns):
        d = pov[(pov["year"] == ctx.params.year)]
        if "domain" in d.columns:
            d = d[d["domain"].astype(str).isin(["district", "total", "all"])]
        if len(d):
            rows.append({"indicator": "true_p0", "value": float(d["p0"].iloc[0]), "_fmt": "pct"})
    pe = truth.get("programme_effect")
    if pe is not None and "attributable_change" in pe.columns:
        d = pe[pe["year"] == ctx.params.year]
        if len(d):
            rows.append({"indicator": "true_attributable_change",
                         "value": float(d["attributable_change"].iloc[0]), "_fmt": "pp"})
    tab = pd.DataFrame(rows, columns=["indicator", "value", "_fmt"])
    b.tables.append(Table.build("demo_truth", tab, title_key="nb5.truth.table", k=ctx.k,
                                count_col=None, formats={"value": "@_fmt"},
                                translate=("indicator",)))
    b.sentences.append(("nb5.truth.sentence", {}))
    return b
