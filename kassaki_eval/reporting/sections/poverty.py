"""Notebook 2, poverty: district headcount per wave, profile of the report year, change.

Data: :func:`poverty_district_table`, :func:`extreme_poverty`, :func:`poverty_kecamatan_table`,
:func:`poverty_groups_table`, :func:`poverty_change_table`, :func:`poverty_decomposition_table`.
Display (blocks): :func:`poverty_headline`, :func:`poverty_profile`, :func:`poverty_change`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...poverty import change, fgt, profile_table, shapley_growth_redistribution
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ._common import record_number, survey_design, survey_with_lines

__all__ = [
    "start", "poverty_district_table", "extreme_poverty", "poverty_kecamatan_table",
    "poverty_groups_table", "poverty_change_table", "poverty_decomposition_table",
    "poverty_headline", "poverty_profile", "poverty_change",
]

_PROFILE_FORMATS = {"n_hh": "int", "pop_share": "pct", "p0": "pct", "p0_low": "pct",
                    "p0_high": "pct", "p1": "pct2", "p2": "pct2", "p0_contribution": "pct"}


# -- data ---------------------------------------------------------------------------------
def poverty_district_table(ctx: Context) -> pd.DataFrame:
    """District P0/P1/P2 per survey wave (person-weighted, design-based CI of P0)."""
    s = survey_with_lines(ctx)
    res = fgt(survey_design(s), line="line", g=[0, 1, 2], size="hh_size", by="year",
              alpha=ctx.params.alpha).tidy()
    wide = res.pivot(index="group", columns="measure", values="estimate")
    ci = res[res["measure"] == "p0"].set_index("group")
    return pd.DataFrame({
        "year": wide.index.astype(int),
        "poverty_line": [ctx.poverty_line("total", int(y)) for y in wide.index],
        "p0": wide["p0"].to_numpy(), "p0_low": ci.loc[wide.index, "conf_low"].to_numpy(),
        "p0_high": ci.loc[wide.index, "conf_high"].to_numpy(),
        "p1": wide["p1"].to_numpy(), "p2": wide["p2"].to_numpy(),
        "deff": ci.loc[wide.index, "deff"].to_numpy(),
        "n_hh": ci.loc[wide.index, "n_obs"].to_numpy(),
    })


def extreme_poverty(ctx: Context) -> float | None:
    """P0 at the extreme-poverty line in the report year (None without that wave)."""
    s = ctx.survey
    cur = s[s["year"] == ctx.params.year]
    if not len(cur):
        return None
    ext = fgt(survey_design(cur), line=ctx.poverty_line("extreme"), size="hh_size",
              alpha=ctx.params.alpha)
    return float(ext["p0"])


def _profile_rows(pr: pd.DataFrame) -> dict[str, pd.Series]:
    return {"n_hh": pr["n_obs"], "pop_share": pr["pop_share"], "p0": pr["p0"],
            "p0_low": pr["p0_low"], "p0_high": pr["p0_high"], "p1": pr["p1"], "p2": pr["p2"],
            "p0_contribution": pr["p0_contribution"]}


def poverty_kecamatan_table(ctx: Context) -> pd.DataFrame:
    """Poverty of the report year per kecamatan, with zone and contribution to P0."""
    s = ctx.survey[ctx.survey["year"] == ctx.params.year]
    kec = profile_table(survey_design(s), line=ctx.poverty_line(), by="kec_code",
                        size="hh_size", alpha=ctx.params.alpha)
    kec = kec[kec["group"] != "total"]
    zones = dict(zip(ctx.kecamatan["kec_kemendagri"].astype(str), ctx.kecamatan["zone"],
                     strict=True))
    code = kec["group"].astype(str)
    return pd.DataFrame({"kec_code": code, "kecamatan": code.map(ctx.kec_names()),
                         "zone": code.map(zones), **_profile_rows(kec)})


def poverty_groups_table(ctx: Context) -> pd.DataFrame:
    """Poverty of the report year by zone and by sex of the household head."""
    s = ctx.survey[ctx.survey["year"] == ctx.params.year]
    d = survey_design(s)
    parts = []
    for dim in ("zone", "head_sex"):
        pr = profile_table(d, line=ctx.poverty_line(), by=dim, size="hh_size",
                           alpha=ctx.params.alpha)
        pr = pr[pr["group"] != "total"]
        parts.append(pd.DataFrame({"dimension": dim, "group": pr["group"].astype(str),
                                   **_profile_rows(pr)}))
    return pd.concat(parts, ignore_index=True)


def _change_years(ctx: Context) -> tuple[int, int] | None:
    y1 = ctx.params.year
    y0 = y1 - 1
    s = ctx.survey
    if not ((s["year"] == y0).any() and (s["year"] == y1).any()):
        return None
    return y0, y1


def poverty_change_table(ctx: Context) -> pd.DataFrame | None:
    """Change in P0 since the previous wave, total and by zone (None without that wave)."""
    yy = _change_years(ctx)
    if yy is None:
        return None
    y0, y1 = yy
    lines = {y0: ctx.poverty_line("total", y0), y1: ctx.poverty_line("total", y1)}
    rows = []
    for by in (None, "zone"):
        r = change(ctx.survey, line=lines, years=(y0, y1), by=by,
                   design={"weight": "weight", "strata": "stratum", "psu": "psu",
                           "lonely_psu": "adjust"},
                   alpha=ctx.params.alpha).tidy()
        r = r[r["measure"] == "change"]
        for _, x in r.iterrows():
            rows.append({"group": "total" if by is None else str(x["group"]),
                         "change": x["estimate"], "std_error": x["std_error"],
                         "conf_low": x["conf_low"], "conf_high": x["conf_high"],
                         "n_hh": int(x["n_obs"])})
    return pd.DataFrame(rows)


def poverty_decomposition_table(ctx: Context) -> pd.DataFrame | None:
    """Shapley growth/redistribution split of the change, in real terms.

    The earlier wave is valued at the later line (the lines move with prices), so one line
    serves both waves.
    """
    yy = _change_years(ctx)
    if yy is None:
        return None
    y0, y1 = yy
    lines = {y0: ctx.poverty_line("total", y0), y1: ctx.poverty_line("total", y1)}
    s = ctx.survey
    real = s[s["year"].isin([y0, y1])].copy()
    real["consumption_real"] = real["consumption_pc"].astype(float) * np.where(
        real["year"] == y0, lines[y1] / lines[y0], 1.0)
    dec = shapley_growth_redistribution(real, "consumption_real", line=lines[y1],
                                        years=(y0, y1), design={"weight": "weight"}).tidy()
    return dec[["term", "estimate"]].rename(columns={"estimate": "change", "term": "part"})


# -- display ------------------------------------------------------------------------------
def poverty_headline(ctx: Context) -> Block:
    """District P0/P1/P2 per survey wave (person-weighted, design-based CIs)."""
    tab = poverty_district_table(ctx)
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
        record_number(b, "p0", float(r["p0"]), "pct")
        record_number(b, "p0_ci_low", float(r["p0_low"]), "pct")
        record_number(b, "p0_ci_high", float(r["p0_high"]), "pct")
        record_number(b, "p1", float(r["p1"]), "pct2")
        record_number(b, "p2", float(r["p2"]), "pct2")
    ext = extreme_poverty(ctx)
    if ext is not None:
        record_number(b, "p0_extreme", ext, "pct")
        b.sentences.append(("nb2.headline.extreme", {
            "p0": ext, "line": ctx.poverty_line("extreme")}))

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
    b = Block(key="nb2.profile", section="poverty", title_key="nb2.profile.title")
    b.tables.append(Table.build(
        "poverty_kecamatan", poverty_kecamatan_table(ctx), title_key="nb2.profile.table_kec",
        k=ctx.k, count_col="n_hh", formats=_PROFILE_FORMATS, translate=("zone",)))
    tg = poverty_groups_table(ctx)
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
    b = Block(key="nb2.change", section="poverty", title_key="nb2.change.title")
    tab = poverty_change_table(ctx)
    if tab is None:
        b.sentences.append(("nb2.change.no_previous", {"y0": ctx.params.year - 1}))
        return b
    y0, y1 = ctx.params.year - 1, ctx.params.year
    b.tables.append(Table.build("poverty_change", tab, title_key="nb2.change.table", k=ctx.k,
                                count_col="n_hh", formats={"change": "pp", "std_error": "ppu",
                                                           "conf_low": "pp", "conf_high": "pp",
                                                           "n_hh": "int"},
                                translate=("group",)))
    tot = tab[tab["group"] == "total"].iloc[0]
    record_number(b, "p0_change", float(tot["change"]), "pp")
    b.sentences.append(("nb2.change.sentence", {"d": tot["change"], "y0": y0, "y1": y1,
                                                "lo": tot["conf_low"], "hi": tot["conf_high"]}))
    b.tables.append(Table.build("poverty_decomposition", poverty_decomposition_table(ctx),
                                title_key="nb2.change.decomp", k=ctx.k, count_col=None,
                                formats={"change": "pp"}, translate=("part",),
                                note_key="nb2.change.decomp_note"))
    return b
