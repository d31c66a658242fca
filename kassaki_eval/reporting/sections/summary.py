"""Notebook 5, annual summary: the executive summary, key numbers, last year, the truth.

Data: :func:`executive_numbers_table`, :func:`current_manifest`. Display (blocks):
:func:`executive_summary` (shown first in the published report), :func:`key_results`,
:func:`year_over_year`, :func:`demo_truth`.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ...results import EstimateResult
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import t
from ..manifest import diff_manifests, git_commit, load_manifest, package_versions
from ._common import numbers_table, saved_table

__all__ = ["start", "executive_numbers_table", "executive_summary", "key_results",
           "year_over_year", "current_manifest", "demo_truth"]


# -- executive summary ----------------------------------------------------------------------
def _saved_numbers(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {n: v.get("value") for m in blocks for n, v in m.get("numbers", {}).items()}


def _previous_numbers(ctx: Context) -> dict[str, Any]:
    prev = ctx.params.previous
    if prev is None or not (prev / "key_results.json").is_file():
        return {}
    keys = json.loads((prev / "key_results.json").read_text())
    return {n: v.get("value") for n, v in keys.items()}


def _cost_per_point(cost: EstimateResult | None) -> pd.Series | None:
    if cost is None:
        return None
    td = cost.tidy()
    hit = td[(td["measure"] == "cost_per_point") & (td["group"] == "all")]
    return None if hit.empty else hit.iloc[0]


def executive_numbers_table(ctx: Context, blocks: list[dict[str, Any]],
                            cost: EstimateResult | None = None) -> pd.DataFrame:
    """The summary's key numbers: this year, its CI where there is one, last year, the arrow.

    Last year's value comes from the previous survey wave (P0), the roll-out and participation
    records up to last year (villages and households reached), or last year's report when
    ``previous`` is given (the other numbers); without one the arrow is "–". ``cost`` (the
    :func:`~kassaki_eval.impact.cost.cost_effectiveness` result) adds the cost per point (an
    unbounded upper end is left empty).
    """
    num = _saved_numbers(blocks)
    prev = _previous_numbers(ctx)
    y = ctx.params.year
    rows: list[dict[str, Any]] = []

    def add(name: str, cur: Any, lo: Any, hi: Any, last: Any, kind: str) -> None:
        if cur is None:
            return
        trend = "–"
        if last is not None and np.isfinite(last):
            trend = "▲" if cur > last else "▼" if cur < last else "="
        rows.append({"indicator": name, "current": cur, "conf_low": lo, "conf_high": hi,
                     "previous": last, "trend": trend, "_fmt": kind})

    district = saved_table(blocks, "poverty_district")
    p0_last = None
    if district is not None and (district["year"] == y - 1).any():
        p0_last = float(district.loc[district["year"] == y - 1, "p0"].iloc[0])
    add("p0", num.get("p0"), num.get("p0_ci_low"), num.get("p0_ci_high"),
        p0_last if p0_last is not None else prev.get("p0"), "pct")
    add("p0_extreme", num.get("p0_extreme"), None, None, prev.get("p0_extreme"), "pct")
    ch = num.get("attributable_change")
    if ch is not None:
        lo, hi = num.get("attributable_change_ci_high"), num.get("attributable_change_ci_low")
        last = prev.get("attributable_change")
        add("reduction", -ch, None if lo is None else -lo, None if hi is None else -hi,
            None if last is None else -last, "pp")
    add("prob_goal_met", num.get("prob_goal_met"), None, None, prev.get("prob_goal_met"), "pct")
    ro = ctx.rollout
    if "cohort" in ro.columns:
        coh = ro.drop_duplicates("village_code")["cohort"]
        add("villages_reached", int((coh > 0).sum()), None, None,
            int(((coh > 0) & (coh <= y - 1)).sum()), "int")
    p = ctx.participation
    if len(p):
        started = pd.to_datetime(p["start_date"]).dt.year
        hh = p.dropna(subset=["family_id"])
        add("households_reached", int(hh["family_id"].nunique()), None, None,
            int(hh.loc[started.loc[hh.index] <= y - 1, "family_id"].nunique()), "int")
    cpp = _cost_per_point(cost)
    if cpp is not None and np.isfinite(cpp["estimate"]):
        hi = float(cpp["conf_high"])
        add("cost_per_point", float(cpp["estimate"]), float(cpp["conf_low"]),
            hi if np.isfinite(hi) else None, prev.get("cost_per_point"), "rp")
    return pd.DataFrame(rows, columns=["indicator", "current", "conf_low", "conf_high",
                                       "previous", "trend", "_fmt"])


def executive_summary(ctx: Context, cost: EstimateResult | None = None) -> Block:
    """One page for decision makers, from the saved results of notebooks 1-4.

    The verdict in plain words with its uncertainty, the key numbers against last year, one
    chart, and what the evidence does and does not support. ``cost`` (the
    :func:`~kassaki_eval.impact.cost.cost_effectiveness` result of this notebook) adds the
    cost per percentage point.
    """
    b = Block(key="nb5.exec", section="summary", title_key="nb5.exec.title")
    blocks = ctx.saved_blocks()
    if not blocks:
        b.sentences.append(("nb5.exec.none", {}))
        return b
    verdict = next((m for m in blocks if m["key"] == "nb4.verdict"), None)
    if verdict is not None:
        for key, values in verdict["sentences"]:
            if key.startswith("nb4.verdict.verdict"):
                b.sentences.append((key, values))
    tab = executive_numbers_table(ctx, blocks, cost)
    b.tables.append(Table.build(
        "executive_summary", tab, title_key="nb5.exec.table", k=ctx.k, count_col=None,
        formats={"current": "@_fmt", "conf_low": "@_fmt", "conf_high": "@_fmt",
                 "previous": "@_fmt", "trend": "text"},
        translate=("indicator",), note_key="nb5.exec.note"))
    num = _saved_numbers(blocks)
    supports: list[tuple[str, dict[str, Any]]] = []
    not_supports: list[tuple[str, dict[str, Any]]] = []
    reach = tab.set_index("indicator")["current"]
    if {"villages_reached", "households_reached"} <= set(reach.index):
        supports.append(("nb5.exec.reach", {"year": ctx.params.year,
                                            "villages": reach["villages_reached"],
                                            "households": reach["households_reached"]}))
    change = saved_table(blocks, "poverty_change")
    district = saved_table(blocks, "poverty_district")
    y = ctx.params.year
    if change is not None and district is not None and (district["year"] == y - 1).any():
        tot = change[change["group"] == "total"].iloc[0]
        vals: dict[str, Any] = {
            "p0_prev": float(district.loc[district["year"] == y - 1, "p0"].iloc[0]),
            "p0": num.get("p0"), "y0": y - 1, "y1": y,
            "lo": float(tot["conf_low"]), "hi": float(tot["conf_high"])}
        if vals["hi"] < 0:
            supports.append(("nb5.exec.p0_fell", vals))
        elif vals["lo"] > 0:
            supports.append(("nb5.exec.p0_rose", vals))
        else:
            not_supports.append(("nb5.exec.p0_flat", vals))
    att = saved_table(blocks, "impact_att")
    if att is not None:
        main = att[(att["component"] == "all") & (att["outcome"] == "poor")
                   & (att["method"] == "cs_did")]
        if len(main):
            r = main.iloc[0]
            vals = {"lo": float(r["conf_low"]), "hi": float(r["conf_high"])}
            (supports if vals["hi"] < 0 else not_supports).append(
                ("nb5.exec.effect_sure" if vals["hi"] < 0 else "nb5.exec.effect_unsure", vals))
    ch = num.get("attributable_change")
    if ch is not None:
        goal = ctx.params.goal_pp / 100
        rlo, rhi = -num["attributable_change_ci_high"], -num["attributable_change_ci_low"]
        if rlo > goal:
            supports.append(("nb5.exec.goal_met", {}))
        elif rhi < goal:
            not_supports.append(("nb5.exec.goal_not_met", {}))
        else:
            not_supports.append(("nb5.exec.goal_open", {}))
    est = next((m for m in blocks if m["key"] == "nb4.estimates"), None)
    same = "nb4.components.same_as_programme"
    if est is not None and any(k == same for k, _ in est["sentences"]):
        not_supports.append(("nb5.exec.components", {}))
    cpp = _cost_per_point(cost)
    if cpp is not None and np.isfinite(cpp["estimate"]) and np.isfinite(cpp["conf_low"]):
        supports.append(("nb5.exec.cost.sentence", {"est": float(cpp["estimate"]),
                                                    "lo": float(cpp["conf_low"])}))
    not_supports.append(("nb5.exec.spillover", {}))
    b.lists.append(("nb5.exec.supports", supports))
    b.lists.append(("nb5.exec.not_supports", not_supports))
    if ch is not None:
        red = -ch
        lo, hi = -num["attributable_change_ci_high"], -num["attributable_change_ci_low"]
        goal_pp = ctx.params.goal_pp
        level = round(100 * (1 - ctx.params.alpha))

        def draw(lang: str):
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots(figsize=(6.5, 1.9))
            ax.axvline(0, color="#9aa5b1", lw=1)
            ax.axvline(goal_pp, color="#c98a00", lw=2, ls="--",
                       label=t("fig.exec.goal", lang))
            ax.errorbar([100 * red], [0], xerr=[[100 * (red - lo)], [100 * (hi - red)]],
                        fmt="o", color="#14365d", capsize=6, ms=9,
                        label=t("fig.exec.estimate", lang, level=level))
            ax.set_yticks([])
            ax.set_ylim(-1, 1)
            ax.set_xlabel(t("fig.exec.x", lang))
            ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
            ax.grid(axis="x", alpha=0.3)
            fig.tight_layout()
            return fig

        b.figures.append(render_figure("executive_reduction", "fig.exec.caption", ctx.languages,
                                       draw))
    return b


# -- key results, last year, truth ----------------------------------------------------------


def key_results(ctx: Context) -> Block:
    """Key numbers of notebooks 1-4, collected from their saved structured results."""
    b = Block(key="nb5.key", section="summary", title_key="nb5.key.title")
    blocks = ctx.saved_blocks()
    rows = []
    for m in blocks:
        for name, num in m.get("numbers", {}).items():
            if not ctx.view.shows(num["section"]):
                continue  # a partner view summarises the sections it shows
            rows.append({"indicator": name, "section": num["section"], "value": num["value"],
                         "fmt": num["fmt"]})
    if not blocks:
        b.sentences.append(("nb5.key.none", {}))
        return b
    tab = pd.DataFrame(rows, columns=["indicator", "section", "value", "fmt"])
    b.tables.append(numbers_table(tab, "key_results", "nb5.key.table", ctx))
    return b


def year_over_year(ctx: Context) -> Block:
    """Key estimates next to last year's report, and every change of specification or data."""
    b = Block(key="nb5.yoy", section="summary", title_key="nb5.yoy.title")
    if ctx.params.previous is None:
        b.sentences.append(("nb5.yoy.none", {}))
        return b
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
    cur_manifest = current_manifest(ctx)
    changes = diff_manifests(prev_manifest, cur_manifest)
    ch = pd.DataFrame([c.__dict__ for c in changes], columns=["kind", "item", "before", "after"])
    if len(ch):
        b.tables.append(Table.build("yoy_changes", ch, title_key="nb5.yoy.changes", k=ctx.k,
                                    count_col=None, translate=("kind",)))
    b.sentences.append(("nb5.yoy.sentence", {
        "prev_year": prev_manifest.get("year"),
        "n_spec": int((ch["kind"] == "specification").sum()),
        "n_data": int((ch["kind"] == "data").sum()),
        "n_soft": int((ch["kind"] == "software").sum())}))
    return b


def current_manifest(ctx: Context) -> dict[str, Any]:
    """The parts of this run's manifest known before it ends (written by the runner)."""
    if ctx.run_dir is not None:
        p = ctx.run_dir / "_work" / "manifest.partial.json"
        if p.is_file():
            return json.loads(p.read_text())
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
    ce = truth.get("cost_effectiveness")
    if ce is not None and "cost_per_point" in ce.columns:
        d = ce[ce["year"] == ctx.params.year]
        if len(d):
            for name in ("cost_per_point", "cost_per_person_lifted"):
                rows.append({"indicator": f"true_{name}", "value": float(d[name].iloc[0]),
                             "_fmt": "rp"})
    tab = pd.DataFrame(rows, columns=["indicator", "value", "_fmt"])
    b.tables.append(Table.build("demo_truth", tab, title_key="nb5.truth.table", k=ctx.k,
                                count_col=None, formats={"value": "@_fmt"},
                                translate=("indicator",)))
    b.sentences.append(("nb5.truth.sentence", {}))
    return b
