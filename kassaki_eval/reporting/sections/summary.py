"""Notebook 5, annual summary: key numbers, the comparison with last year, the demo's truth.

Display (blocks): :func:`key_results`, :func:`year_over_year`, :func:`demo_truth`; data:
:func:`current_manifest`.
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..blocks import Block, Table
from ..context import Context, start
from ..manifest import diff_manifests, git_commit, load_manifest, package_versions
from ._common import numbers_table

__all__ = ["start", "key_results", "year_over_year", "current_manifest", "demo_truth"]


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
    tab = pd.DataFrame(rows, columns=["indicator", "value", "_fmt"])
    b.tables.append(Table.build("demo_truth", tab, title_key="nb5.truth.table", k=ctx.k,
                                count_col=None, formats={"value": "@_fmt"},
                                translate=("indicator",)))
    b.sentences.append(("nb5.truth.sentence", {}))
    return b
