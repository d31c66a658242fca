"""Notebook 2, village chapter: the village poverty table and map, the programme per village.

The notebook fits the small-area model (:func:`kassaki_eval.poverty.sae.area_table` and
:func:`~kassaki_eval.poverty.sae.fay_herriot`, options visible there) and passes the result
here. Why Fay-Herriot and not EBP: the area-level model with its analytic (Prasad-Rao) MSE
takes a tenth of a second for the 103 villages and is checked against R ``sae``/``emdi``;
the unit-level EBP needs a bootstrap for its MSE (about 20 s of CPU at B = 100 on the
full-scale demo), too slow for a report that must run in seconds. EBP remains in the library
(tutorial 05) for a separate, slower poverty map.

Disclosure: registry counts are counts of families. A village with fewer than ``k``
registered families is suppressed entirely, with complementary suppression inside its
kecamatan (kecamatan totals are published in the data-quality appendix); a direct estimate
that rests on fewer than ``k`` sampled households is not shown (the model estimate is); the
programme counts per village and component are blanked below ``k`` families with
complementary suppression across the villages of the component.

Data: :func:`village_poverty_table`, :func:`village_programme_table`.
Blocks: :func:`village_poverty` (with the map, :func:`village_map`), :func:`village_programme`.
The block keys start with ``nb2.village``: the report shows them as a chapter of their own
(:data:`kassaki_eval.reporting.html.OWN_CHAPTERS`), and the village cards
(:mod:`kassaki_eval.reporting.cards`) are made from their saved tables.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ...poverty.sae import fh_diagnostics_table, plot_village_map
from ...results import EstimateResult
from .. import disclosure
from ..blocks import Block, Figure, Table, render_figure
from ..context import Context, start
from ..i18n import t

__all__ = ["start", "PROGRAMME_COMPONENTS", "gvf_min_n", "village_poverty_table",
           "village_programme_table",
           "village_map", "village_poverty", "village_programme"]

#: Components shown per village: household components count participating families,
#: ``facilitation`` (a village-level component) only its start year.
PROGRAMME_COMPONENTS: tuple[str, ...] = ("credit", "csr_sme", "training", "women_groups",
                                         "facilitation")
_HOUSEHOLD_COMPONENTS = ("credit", "csr_sme", "training", "women_groups")

POVERTY_FORMATS = {"village_code": "text", "n_families_registry": "int", "n_sample": "int",
                   "direct": "pct", "estimate": "pct", "conf_low": "pct", "conf_high": "pct",
                   "cv": "pct"}


def _suppress_cells(values: np.ndarray, part: np.ndarray, k: int) -> np.ndarray:
    """Mask of cells to blank: counts below ``k`` (not 0) plus complementary cells per part."""
    v = np.asarray(values, dtype=float)
    primary = (v > 0) & (v < k)
    if not primary.any():
        return primary
    return disclosure.complementary(np.where(v > 0, v, np.inf), primary, list(part))


# -- data ---------------------------------------------------------------------------------
def gvf_min_n(wave: pd.DataFrame, *, default: int = 30, min_villages: int = 10,
              domain: str = "village_code") -> int:
    """The ``min_n`` of :func:`~kassaki_eval.poverty.sae.area_table` for this survey wave.

    ``default`` (30) when at least ``min_villages`` villages have that many sampled
    households, else the median village sample (at least 2).
    Below ``min_n`` a village's sampling variance comes from the GVF, which needs a few
    villages above ``min_n`` to be fitted; a small survey (a demo at a small scale) has none.
    """
    n = wave.groupby(domain).size()
    if int((n >= default).sum()) >= min_villages:
        return default
    return max(2, int(n.median()))


def village_poverty_table(ctx: Context, fh: EstimateResult, areas: pd.DataFrame
                          ) -> pd.DataFrame:
    """One row per village: registry families, direct and model estimates, reliability.

    The direct estimate where sampled, the model estimate with its interval (truncated to
    [0, 1]), CV, source (survey + model, or model only) and reliability class.
    Suppression (module docstring) is applied to the counts here; :class:`Table` then blanks
    the values of the rows whose family count is missing.
    """
    vt = fh.tidy()
    a = areas.set_index("village_code")
    codes = vt["village_code"].astype(str)
    n_fam = a["n_families"].reindex(codes).to_numpy(float)
    n_smp = a["n"].reindex(codes).fillna(0).to_numpy(float)
    kec = vt["kec_code"].astype(str).to_numpy()
    sup = _suppress_cells(n_fam, kec, ctx.k) | ~np.isfinite(n_fam)
    direct = vt["direct"].to_numpy(float) if "direct" in vt else np.full(len(vt), np.nan)
    few = (n_smp > 0) & (n_smp < ctx.k)
    out = pd.DataFrame({
        "village_code": codes.to_numpy(), "village": vt["name"].to_numpy(),
        "kecamatan": vt["kecamatan"].to_numpy(), "zone": vt["zone"].to_numpy(),
        "n_families_registry": np.where(sup, np.nan, n_fam),
        "n_sample": np.where(few, np.nan, n_smp),
        "direct": np.where(few, np.nan, direct),
        "estimate": vt["estimate"].to_numpy(float),
        "conf_low": np.clip(vt["conf_low"].to_numpy(float), 0, 1),
        "conf_high": np.clip(vt["conf_high"].to_numpy(float), 0, 1),
        "cv": vt["cv"].to_numpy(float),
        "sae_method": vt["method"].astype(str).to_numpy(),
        "reliability": vt["reliability"].astype(str).to_numpy(),
        "_kec_code": kec,
    })
    return out.sort_values("village_code", kind="stable").reset_index(drop=True)


def village_programme_table(ctx: Context) -> pd.DataFrame:
    """One row per village: registry families and the programme components received.

    Families in the registry (all, desil 1-4) and, per component, the year it started in the
    village and the families recorded as participants (up to the report year).
    Counts below ``k`` families are blanked, with complementary cells (module docstring).
    """
    reg = ctx.registry
    vill = ctx.villages.rename(columns={"kemendagri_code": "village_code"})
    codes = vill["village_code"].astype(str)
    kec = vill["kec_kemendagri"].astype(str).to_numpy()
    des = pd.to_numeric(reg["desil"], errors="coerce")
    n_all = reg.groupby("village_code").size().reindex(codes).fillna(0).to_numpy(float)
    n_14 = reg[(des >= 1) & (des <= 4)].groupby("village_code").size().reindex(
        codes).fillna(0).to_numpy(float)
    out = pd.DataFrame({"_village_code": codes.to_numpy(), "village": vill["name"].to_numpy(),
                        "kecamatan": vill["kecamatan"].to_numpy()})
    sup_all = _suppress_cells(n_all, kec, ctx.k)
    out["n_families_registry"] = np.where(sup_all, np.nan, n_all)
    out["n_families_desil_1_4"] = np.where(sup_all | _suppress_cells(n_14, kec, ctx.k),
                                           np.nan, n_14)
    ro = ctx.rollout
    part = ctx.participation
    hh = part[part["family_id"].notna() & (part["family_id"].astype(str) != "")]
    for comp in PROGRAMME_COMPONENTS:
        r = ro[ro["component"] == comp].set_index("village_code")["first_year"]
        since = pd.to_numeric(r.reindex(codes), errors="coerce").to_numpy(float)
        out[f"{comp}_since"] = np.where(since > 0, since, np.nan)
        if comp in _HOUSEHOLD_COMPONENTS:
            n = hh[hh["component"] == comp].groupby("village_code")["family_id"].nunique()
            n = n.reindex(codes).fillna(0).to_numpy(float)
            sup = _suppress_cells(n, np.full(len(n), comp), ctx.k)
            out[f"{comp}_families"] = np.where(sup, np.nan, n)
    cols = ["village", "kecamatan", "n_families_registry", "n_families_desil_1_4"]
    for comp in PROGRAMME_COMPONENTS:
        cols.append(f"{comp}_since")
        if comp in _HOUSEHOLD_COMPONENTS:
            cols.append(f"{comp}_families")
    cols.append("_village_code")  # last: hidden in HTML/xlsx, kept for the village cards
    return out[cols].sort_values("_village_code", kind="stable").reset_index(drop=True)


# -- display ------------------------------------------------------------------------------
def village_poverty(ctx: Context, fh: EstimateResult, areas: pd.DataFrame) -> Block:
    """The village poverty map and table (all villages), the model's fit and fragility flags."""
    b = Block(key="nb2.village", section="poverty", title_key="nb2.village.title",
              intro_key="nb2.village.intro")
    tab = village_poverty_table(ctx, fh, areas)
    b.tables.append(Table.build(
        "village_poverty", tab, title_key="nb2.village.table", k=ctx.k,
        count_col="n_families_registry", formats=POVERTY_FORMATS,
        translate=("zone", "sae_method", "reliability"), note_key="nb2.village.note",
        value_cols=["n_sample", "direct", "estimate", "conf_low", "conf_high", "cv"]))
    b.figures.append(village_map(ctx, fh, b.tables[0].data))  # shown above the table
    ins = fh.tidy()["in_sample"].to_numpy(bool)
    rel = tab["reliability"].value_counts()
    opts = fh.provenance.options if fh.provenance is not None else {}
    b.sentences.append(("nb2.village.sentence", {
        "sampled": int(ins.sum()), "n": len(tab), "year": ctx.params.year,
        "reliable": int(rel.get("reliable", 0)), "caution": int(rel.get("caution", 0)),
        "unreliable": int(rel.get("unreliable", 0)), "synthetic": int((~ins).sum()),
        "method": str(opts.get("method", "reml")).upper()}))
    with warnings.catch_warnings():
        # with a zero random-effect variance every effect is 0: Shapiro-Wilk warns on a
        # constant sample; the boundary itself is reported below
        warnings.simplefilter("ignore", UserWarning)
        diag = fh_diagnostics_table(fh).set_index("quantity")
    reasons = []
    if fh.extras.get("boundary"):
        reasons.append("nb2.village.fragile_boundary")
    if "std_residuals" in diag.index and float(diag.loc["std_residuals", "shapiro_p"]) < 0.05:
        reasons.append("nb2.village.fragile_normality")
    if int(ins.sum()) < 20:
        reasons.append("nb2.village.fragile_few")
    for key in reasons:
        b.sentences.append((key, {"sampled": int(ins.sum())}))
    if not reasons:
        b.sentences.append(("nb2.village.model_ok", {
            "gamma": float(diag.loc["mean_gamma", "value"]),
            "p": float(diag.loc["std_residuals", "shapiro_p"])
            if "std_residuals" in diag.index else float("nan")}))
    return b


def village_map(ctx: Context, fh: EstimateResult, published: pd.DataFrame) -> Figure:
    """The village map of the published estimates (suppressed villages without a value).

    :func:`~kassaki_eval.poverty.sae.plot_village_map` of the estimates in ``published`` (the
    ``village_poverty`` table after disclosure control), one figure per language.
    """
    pub = published.set_index("village_code")["estimate"]
    tidy = fh.tidy().copy()
    tidy["estimate"] = tidy["village_code"].astype(str).map(pub).to_numpy(float)
    shown = EstimateResult(tidy, method=fh.method, alpha=fh.alpha, provenance=fh.provenance,
                           own_intervals=True, extras=fh.extras)
    zones = {"island": "val.zone.island", "mainland": "val.zone.mainland"}

    def draw(lang: str) -> Any:
        with np.errstate(invalid="ignore"):
            fig = plot_village_map(shown, title=t("fig.village_map.title", lang,
                                                  year=ctx.params.year))
        for ax in fig.axes:
            title = ax.get_title()
            for z, key in zones.items():
                title = title.replace(f"({z})", f"({t(key, lang)})")
            ax.set_title(title, fontsize=8)
            for txt in ax.texts:
                if txt.get_text() == "nan":
                    txt.set_text("–")
        from matplotlib.ticker import PercentFormatter
        fig.axes[-1].yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        fig.axes[-1].set_ylabel(t("fig.village_map.scale", lang))
        fig.text(0.01, 0.005, t("fig.village_map.legend", lang), fontsize=7)
        return fig

    return render_figure("village_map", "fig.village_map.caption", ctx.languages, draw)


def village_programme(ctx: Context, programme: pd.DataFrame) -> Block:
    """Registry families and programme components per village.

    ``programme``: :func:`village_programme_table`.
    """
    b = Block(key="nb2.village_programme", section="poverty",
              title_key="nb2.village_programme.title")
    fm = {c: "int" for c in programme.columns if c.endswith("_families") or c.startswith("n_")}
    fm.update({c: "year" for c in programme.columns if c.endswith("_since")})
    b.tables.append(Table.build(
        "village_programme", programme, title_key="nb2.village_programme.table", k=ctx.k,
        count_col="n_families_registry", formats=fm, note_key="nb2.village_programme.note",
        value_cols=[c for c in programme.columns if c.endswith("_families")
                    or c == "n_families_desil_1_4"]))
    reached = programme[[c for c in programme.columns if c.endswith("_since")]].notna().any(
        axis=1)
    b.sentences.append(("nb2.village_programme.sentence", {
        "reached": int(reached.sum()), "n": len(programme)}))
    return b
