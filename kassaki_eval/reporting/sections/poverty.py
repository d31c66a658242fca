"""Notebook 2, poverty: district headcount per wave, profile, inequality, change.

The notebook makes the library calls (the survey design, :func:`~kassaki_eval.poverty.fgt`
with the line, :func:`~kassaki_eval.poverty.profile_table`, the inequality measures,
:func:`~kassaki_eval.poverty.change` and the Shapley decomposition) and passes their results
to the display functions here, which turn them into blocks (tables after disclosure control,
figures per language, sentences, key numbers). Helpers: :func:`poverty_lines` (each wave's
line), :func:`with_lines` (the survey with a ``line`` column), :func:`real_terms` (the earlier
wave valued at the later line), :func:`waves_present`.

Blocks: :func:`poverty_headline`, :func:`poverty_profile`, :func:`poverty_inequality`,
:func:`poverty_change`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...poverty import SurveyDesign, change, shapley_growth_redistribution
from ...results import EstimateResult
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ._common import record_number

__all__ = [
    "start", "poverty_lines", "with_lines", "waves_present", "real_terms", "change_fits",
    "poverty_district_table", "poverty_kecamatan_table", "poverty_groups_table",
    "poverty_change_table", "inequality_table",
    "poverty_headline", "poverty_profile", "poverty_inequality", "poverty_change",
]

_PROFILE_FORMATS = {"n_hh": "int", "pop_share": "pct", "p0": "pct", "p0_low": "pct",
                    "p0_high": "pct", "p1": "pct2", "p2": "pct2", "p0_contribution": "pct"}


# -- helpers the notebook calls -----------------------------------------------------------
def poverty_lines(ctx: Context, line: float | None = None) -> dict[int, float]:
    """The poverty line of every survey wave; the report year's is ``line`` when given.

    Without ``line``: the report parameter ``poverty_line`` for the report year, else the
    reference line of each year (:func:`kassaki_eval.reference.poverty_line`).
    """
    years = sorted(int(y) for y in ctx.survey["year"].unique())
    out = {y: ctx.poverty_line("total", y) for y in years}
    if line is not None:
        out[ctx.params.year] = float(line)
    return out


def with_lines(survey: pd.DataFrame, lines: Mapping[int, float]) -> pd.DataFrame:
    """The survey (all waves, index reset) with each wave's line in a column ``line``."""
    s = survey.reset_index(drop=True)
    return s.assign(line=s["year"].astype(int).map(dict(lines)).astype(float))


def waves_present(survey: pd.DataFrame, years: Sequence[int]) -> bool:
    """Whether the survey holds every wave of ``years``."""
    have = set(int(y) for y in survey["year"].unique())
    return all(int(y) in have for y in years)


def real_terms(survey: pd.DataFrame, lines: Mapping[int, float],
               years: tuple[int, int]) -> pd.DataFrame:
    """The two waves with ``consumption_real``: the earlier wave valued at the later line.

    The lines move with prices, so the ratio of the lines serves as the deflator and one line
    (the later one) serves both waves.
    """
    y0, y1 = years
    real = survey[survey["year"].isin([y0, y1])].copy()
    real["consumption_real"] = real["consumption_pc"].astype(float) * np.where(
        real["year"] == y0, lines[y1] / lines[y0], 1.0)
    return real


def change_fits(design: SurveyDesign, *, lines: Mapping[int, float], years: tuple[int, int],
                by: Sequence[str | None] = (None, "zone"), alpha: float = 0.05
                ) -> dict[str, EstimateResult] | None:
    """:func:`kassaki_eval.poverty.change` of P0 between ``years``, overall and per ``by``.

    Plus ``"decomposition"``: :func:`~kassaki_eval.poverty.shapley_growth_redistribution` in
    real terms (:func:`real_terms`). ``None`` when the survey lacks one of the two waves.
    """
    if not waves_present(design.data, years):
        return None
    out: dict[str, EstimateResult] = {}
    for b in by:
        out["total" if b is None else b] = change(design, line=dict(lines), years=years, by=b,
                                                  alpha=alpha)
    out["decomposition"] = shapley_growth_redistribution(
        real_terms(design.data, lines, years), "consumption_real", line=lines[years[1]],
        years=years, design={"weight": design.spec()["weight"]})
    return out


# -- tables from the results ----------------------------------------------------------------
def poverty_district_table(headline: EstimateResult,
                           lines: Mapping[int, float]) -> pd.DataFrame:
    """District P0/P1/P2 per wave from an ``fgt(..., g=[0, 1, 2], by="year")`` result."""
    res = headline.tidy()
    wide = res.pivot(index="group", columns="measure", values="estimate")
    ci = res[res["measure"] == "p0"].set_index("group")
    return pd.DataFrame({
        "year": wide.index.astype(int),
        "poverty_line": [float(lines[int(y)]) for y in wide.index],
        "p0": wide["p0"].to_numpy(), "p0_low": ci.loc[wide.index, "conf_low"].to_numpy(),
        "p0_high": ci.loc[wide.index, "conf_high"].to_numpy(),
        "p1": wide["p1"].to_numpy(), "p2": wide["p2"].to_numpy(),
        "deff": ci.loc[wide.index, "deff"].to_numpy(),
        "n_hh": ci.loc[wide.index, "n_obs"].to_numpy(),
    })


def _profile_rows(pr: pd.DataFrame) -> dict[str, pd.Series]:
    return {"n_hh": pr["n_obs"], "pop_share": pr["pop_share"], "p0": pr["p0"],
            "p0_low": pr["p0_low"], "p0_high": pr["p0_high"], "p1": pr["p1"], "p2": pr["p2"],
            "p0_contribution": pr["p0_contribution"]}


def poverty_kecamatan_table(ctx: Context, kecamatan: pd.DataFrame) -> pd.DataFrame:
    """Kecamatan rows of a ``profile_table(..., by="kec_code")`` with names and zone."""
    kec = kecamatan[kecamatan["group"] != "total"]
    zones = dict(zip(ctx.kecamatan["kec_kemendagri"].astype(str), ctx.kecamatan["zone"],
                     strict=True))
    code = kec["group"].astype(str)
    return pd.DataFrame({"kec_code": code, "kecamatan": code.map(ctx.kec_names()),
                         "zone": code.map(zones), **_profile_rows(kec)})


def poverty_groups_table(groups: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Profile tables by dimension (``{"zone": profile_table(...), ...}``) stacked."""
    parts = []
    for dim, pr in groups.items():
        pr = pr[pr["group"] != "total"]
        parts.append(pd.DataFrame({"dimension": dim, "group": pr["group"].astype(str),
                                   **_profile_rows(pr)}))
    return pd.concat(parts, ignore_index=True)


def poverty_change_table(fits: Mapping[str, EstimateResult]) -> pd.DataFrame:
    """Change in P0 per grouping of :func:`change_fits` (``total``, then the groups)."""
    rows = []
    for key, res in fits.items():
        if key == "decomposition":
            continue
        r = res.tidy()
        r = r[r["measure"] == "change"]
        for _, x in r.iterrows():
            rows.append({"group": "total" if key == "total" else str(x["group"]),
                         "change": x["estimate"], "std_error": x["std_error"],
                         "conf_low": x["conf_low"], "conf_high": x["conf_high"],
                         "n_hh": int(x["n_obs"])})
    return pd.DataFrame(rows)


def inequality_table(results: Mapping[str, EstimateResult]) -> pd.DataFrame:
    """One row per inequality measure (``{"gini": gini(...), ...}``) with its interval."""
    rows = []
    for name, res in results.items():
        r = res.tidy().iloc[0]
        rows.append({"inequality": name, "estimate": float(r["estimate"]),
                     "std_error": float(r["std_error"]), "conf_low": float(r["conf_low"]),
                     "conf_high": float(r["conf_high"]), "n_hh": int(r["n_obs"])})
    return pd.DataFrame(rows)


# -- display ------------------------------------------------------------------------------
def poverty_headline(ctx: Context, headline: EstimateResult, *, lines: Mapping[int, float],
                     extreme: EstimateResult | None = None,
                     extreme_line: float | None = None) -> Block:
    """District P0/P1/P2 per survey wave (``headline``) and extreme poverty (``extreme``)."""
    tab = poverty_district_table(headline, lines)
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
            "level": round(100 * (1 - headline.alpha)), "lo": r["p0_low"],
            "hi": r["p0_high"]}))
        record_number(b, "p0", float(r["p0"]), "pct")
        record_number(b, "p0_ci_low", float(r["p0_low"]), "pct")
        record_number(b, "p0_ci_high", float(r["p0_high"]), "pct")
        record_number(b, "p1", float(r["p1"]), "pct2")
        record_number(b, "p2", float(r["p2"]), "pct2")
    if extreme is not None:
        ext = float(extreme["p0"])
        record_number(b, "p0_extreme", ext, "pct")
        b.sentences.append(("nb2.headline.extreme", {
            "p0": ext, "line": extreme_line if extreme_line is not None
            else ctx.poverty_line("extreme")}))

    def draw(lang: str) -> Any:
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


def poverty_profile(ctx: Context, *, kecamatan: pd.DataFrame,
                    groups: Mapping[str, pd.DataFrame]) -> Block:
    """Poverty by kecamatan and by the dimensions of ``groups``, with contributions.

    ``kecamatan``: a profile table by ``kec_code``; ``groups``: profile tables by dimension
    (zone, sex of the head).
    """
    b = Block(key="nb2.profile", section="poverty", title_key="nb2.profile.title")
    b.tables.append(Table.build(
        "poverty_kecamatan", poverty_kecamatan_table(ctx, kecamatan),
        title_key="nb2.profile.table_kec", k=ctx.k, count_col="n_hh", formats=_PROFILE_FORMATS,
        translate=("zone",)))
    tg = poverty_groups_table(groups)
    b.tables.append(Table.build(
        "poverty_groups", tg, title_key="nb2.profile.table_zone", k=ctx.k, count_col="n_hh",
        formats=_PROFILE_FORMATS, translate=("dimension", "group")))
    zi = tg[(tg["dimension"] == "zone")].set_index("group")["p0"]
    if {"island", "mainland"} <= set(zi.index):
        record_number(b, "p0_island", float(zi["island"]), "pct")
        record_number(b, "p0_mainland", float(zi["mainland"]), "pct")
        b.sentences.append(("nb2.profile.sentence", {"island": float(zi["island"]),
                                                     "mainland": float(zi["mainland"])}))
    tk_pub = b.tables[0].data

    def draw(lang: str) -> Any:
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


def poverty_inequality(ctx: Context, measures: Mapping[str, EstimateResult]) -> Block:
    """Inequality of per-capita consumption in the report year (Gini, Theil, Palma, ...)."""
    b = Block(key="nb2.inequality", section="poverty", title_key="nb2.inequality.title")
    tab = inequality_table(measures)
    b.tables.append(Table.build("inequality", tab, title_key="nb2.inequality.table", k=ctx.k,
                                count_col="n_hh", translate=("inequality",),
                                formats={"estimate": "num", "std_error": "num",
                                         "conf_low": "num", "conf_high": "num", "n_hh": "int"}))
    if "gini" in measures:
        g = tab[tab["inequality"] == "gini"].iloc[0]
        b.sentences.append(("nb2.inequality.sentence", {
            "year": ctx.params.year, "gini": g["estimate"], "lo": g["conf_low"],
            "hi": g["conf_high"]}))
    return b


def poverty_change(ctx: Context, fits: Mapping[str, EstimateResult] | None) -> Block:
    """Change in P0 since the previous wave (panel-aware SE) and a growth/redistribution split.

    ``fits``: :func:`change_fits` (``None`` without the previous wave).
    """
    b = Block(key="nb2.change", section="poverty", title_key="nb2.change.title")
    if fits is None:
        b.sentences.append(("nb2.change.no_previous", {"y0": ctx.params.year - 1}))
        return b
    tab = poverty_change_table(fits)
    tot_fit = fits["total"].tidy()
    y0, y1 = sorted(int(m.rsplit("_", 1)[1]) for m in tot_fit["measure"] if m != "change")
    b.tables.append(Table.build("poverty_change", tab, title_key="nb2.change.table", k=ctx.k,
                                count_col="n_hh", formats={"change": "pp", "std_error": "ppu",
                                                           "conf_low": "pp", "conf_high": "pp",
                                                           "n_hh": "int"},
                                translate=("group",)))
    tot = tab[tab["group"] == "total"].iloc[0]
    record_number(b, "p0_change", float(tot["change"]), "pp")
    b.sentences.append(("nb2.change.sentence", {"d": tot["change"], "y0": y0, "y1": y1,
                                                "lo": tot["conf_low"], "hi": tot["conf_high"]}))
    dec = fits["decomposition"].tidy()[["term", "estimate"]].rename(
        columns={"estimate": "change", "term": "part"})
    b.tables.append(Table.build("poverty_decomposition", dec,
                                title_key="nb2.change.decomp", k=ctx.k, count_col=None,
                                formats={"change": "pp"}, translate=("part",),
                                note_key="nb2.change.decomp_note"))
    return b
