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
    """Input files (name, SHA-256) and the analysis tables they became (rows, columns)."""
    b = Block(key="nb1.inputs", section="data", title_key="nb1.inputs.title")
    files = ctx.prepared.files
    checks = pd.DataFrame(ctx.prepared.checks)
    checks["file"] = checks["table"].map(lambda n: files.get(n, {}).get("file", "-"))
    checks["sha256"] = checks["table"].map(lambda n: files.get(n, {}).get("sha256", "-")[:16])
    tab = checks[["table", "file", "rows", "columns", "sha256"]]
    b.tables.append(Table.build("inputs", tab, title_key="nb1.inputs.table", k=ctx.k,
                                count_col=None, formats={"rows": "int", "columns": "int"}))
    b.sentences.append(("nb1.inputs.validated", {
        "n": len(tab), "loader": ctx.prepared.loader or "-",
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
    g = p.assign(start_year=start_year).groupby(["partner", "component", "start_year"], sort=True)
    tab = pd.DataFrame({
        "n_records": g.size(),
        "n_hh": g["family_id"].nunique(),
        "n_villages": g["village_code"].nunique(),
        "amount_rp": g["amount_rp"].sum(),
    }).reset_index()
    b.tables.append(Table.build(
        "participation", tab, title_key="nb1.participation.table", k=ctx.k, count_col="n_hh",
        formats={"start_year": "year", "n_records": "int", "n_hh": "int", "n_villages": "int",
                 "amount_rp": "rp"}, translate=("partner", "component")))
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
def poverty_headline(ctx: Context) -> Block:
    """District P0/P1/P2 per survey wave with design-based CIs."""
    if _module("kassaki_eval.poverty", "fgt") is None or _module("kassaki_eval.survey",
                                                                  "SurveyDesign") is None:
        return _unavailable("nb2.headline", "poverty", "kassaki_eval.poverty / kassaki_eval.survey")
    raise NotImplementedError  # integrated when the poverty library lands


def poverty_profile(ctx: Context) -> Block:
    """Poverty by kecamatan, zone and sex of the head, with contributions."""
    if _module("kassaki_eval.poverty", "fgt") is None:
        return _unavailable("nb2.profile", "poverty", "kassaki_eval.poverty")
    raise NotImplementedError


def poverty_change(ctx: Context) -> Block:
    """Change in P0 since the previous wave, with its SE and a decomposition."""
    if _module("kassaki_eval.poverty", "fgt") is None:
        return _unavailable("nb2.change", "poverty", "kassaki_eval.poverty")
    raise NotImplementedError


# --------------------------------------------------------------------------------------------
# notebook 3: targeting
def targeting_registry(ctx: Context) -> Block:
    """Inclusion and exclusion errors of the registry's desil 1-4 on the survey."""
    return _unavailable("nb3.registry", "targeting", "kassaki_eval.targeting")


def targeting_pmt(ctx: Context) -> Block:
    """PMT refits compared out of sample with the registry ranking."""
    return _unavailable("nb3.pmt", "targeting", "kassaki_eval.targeting")


# --------------------------------------------------------------------------------------------
# notebook 4: impact
def impact_estimates(ctx: Context) -> Block:
    """ATT by component and outcome (Callaway-Sant'Anna, TWFE for comparison)."""
    return _unavailable("nb4.estimates", "impact", "kassaki_eval.impact")


def impact_verdict(ctx: Context) -> Block:
    """Programme-attributable change in district P0 and the one-point verdict."""
    return _unavailable("nb4.verdict", "impact", "kassaki_eval.impact.verdict")


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
            cur[name] = num
    names = sorted(set(cur) | set(prev_keys))
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
            rows.append({"indicator": "true_p0", "value": float(d["p0"].iloc[0])})
    pe = truth.get("programme_effect")
    if pe is not None and "attributable_change" in pe.columns:
        d = pe[pe["year"] == ctx.params.year]
        if len(d):
            rows.append({"indicator": "true_attributable_change",
                         "value": float(d["attributable_change"].iloc[0])})
    tab = pd.DataFrame(rows, columns=["indicator", "value"])
    b.tables.append(Table.build("demo_truth", tab, title_key="nb5.truth.table", k=ctx.k,
                                count_col=None, formats={"value": "num"},
                                translate=("indicator",)))
    b.sentences.append(("nb5.truth.sentence", {}))
    return b
