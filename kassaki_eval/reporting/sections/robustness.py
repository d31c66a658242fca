"""Notebook 4, robustness chapter: the impact estimate against other estimators and checks.

Shown as a chapter of its own after the impact chapter (block keys ``nb4r.*``: chapter
``04_robustness`` in :data:`~kassaki_eval.reporting.html.OWN_CHAPTERS`),
from the same notebook, which makes every estimator call with its options visible and passes
the results here: the main estimate next to TWFE, the BJS imputation and Sun-Abraham
estimators; the event study with uniform (sup-t) bands and the pre-trend test; HonestDiD
sensitivity (relative magnitudes and smoothness); wild cluster bootstrap p-values at the
kecamatan level; Benjamini-Hochberg q-values across the outcomes; the power of the design;
selection on observables among households of programme villages (IPW, AIPW, entropy
balancing, with balance); and a regression discontinuity at the registry's eligibility cutoff.

Data: :func:`recorded_warnings`, :func:`household_sample`, :func:`labelled_balance`,
:func:`eligibility_cutoff`, :func:`rd_at_cutoff`, :func:`wild_fits`, :func:`main_pvalues`,
:func:`design_inputs`.
Display (blocks): :func:`robust_estimators`, :func:`robust_event_study`,
:func:`robust_honest_did`, :func:`robust_few_clusters`, :func:`robust_multiple_testing`,
:func:`robust_power`, :func:`robust_selection`, :func:`robust_rd`.
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...exceptions import ReportError
from ...impact.balance import BalanceTable, love_plot
from ...impact.did import twfe
from ...impact.power import intra_cluster_correlation
from ...impact.rd import rd_estimate
from ...impact.staggered import aggregate
from ...results import EstimateResult
from ..blocks import Block, Table, render_figure
from ..context import Context, start
from ..i18n import has, t
from ._common import record_number

__all__ = [
    "start", "PRE_COVARIATES", "COVARIATE_KEYS", "covariate_key", "labelled_balance",
    "recorded_warnings", "household_sample",
    "eligibility_cutoff", "rd_at_cutoff", "wild_fits", "main_pvalues", "design_inputs",
    "robust_estimators", "robust_event_study", "robust_honest_did", "robust_few_clusters",
    "robust_multiple_testing", "robust_power", "robust_selection", "robust_rd",
]

#: household characteristics fixed before the programme: the registry decile (2023 snapshot)
#: and demographics; the survey's housing and asset variables may respond to the programme
PRE_COVARIATES: tuple[str, ...] = ("desil", "hh_size", "n_children", "n_elderly", "head_sex",
                                   "head_age", "head_educ", "zone")
#: catalogue prefix of the covariates' display labels: ``val.covariate.<term>``, where a term
#: is a balance-table row (a numeric covariate's name, or ``name[level]`` for a category)
COVARIATE_KEYS = "val.covariate"
_FMT = {"poor": "pp", "log_consumption_pc": "num", "employed": "pp", "business": "pp"}


def covariate_key(term: str) -> str:
    """The catalogue key of a balance-table term's label (``val.covariate.<term>``)."""
    return f"{COVARIATE_KEYS}.{term}"


def _check_labels(terms: Sequence[str]) -> None:
    """Every covariate term has a label in the catalogue; else one error naming them all."""
    missing = [str(x) for x in dict.fromkeys(terms) if not has(covariate_key(str(x)))]
    if missing:
        raise ReportError(
            f"robustness chapter, balance table: {len(missing)} covariate(s) have no display "
            f"label ({', '.join(repr(m) for m in missing[:5])}); the report shows labels, never "
            f"column names. Fix: add {', '.join(covariate_key(m) for m in missing[:5])} with "
            f"'id' and 'en' texts to messages.toml.")


def labelled_balance(balance: BalanceTable, lang: str) -> BalanceTable:
    """``balance`` with each covariate term replaced by its label in ``lang`` (love plot).

    Raises :class:`~kassaki_eval.exceptions.ReportError` when a term has no label.
    """
    bt = balance.table
    _check_labels(bt["covariate"].astype(str).tolist())
    labels = [t(covariate_key(str(c)), lang) for c in bt["covariate"]]
    return BalanceTable(bt.assign(covariate=labels), balance.meta)


def _block(name: str) -> Block:
    return Block(key=f"nb4r.{name}", section="impact", title_key=f"nb4r.{name}.title",
                 intro_key=f"nb4r.{name}.intro")


def _warn_list(b: Block, messages: Sequence[str]) -> None:
    """The library's warnings, as issued (English), under a translated heading."""
    items = [("nb4r.warning", {"text": m}) for m in dict.fromkeys(messages)]
    if items:
        b.lists.append(("nb4r.warnings", items))


# -- data ---------------------------------------------------------------------------------
@contextlib.contextmanager
def recorded_warnings() -> Iterator[list[str]]:
    """Collect the warnings of the calls inside the ``with`` block (their messages).

    The robustness blocks print them, so a fragile statistic shows its warning in the report.
    """
    out: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield out
    out.extend(str(w.message) for w in caught
               if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)))


def household_sample(survey: pd.DataFrame, registry: pd.DataFrame, *, year: int, line: float
                     ) -> pd.DataFrame:
    """Surveyed households of programme villages in ``year``, linked to the registry.

    Adds ``poor`` (``consumption_pc < line``) and the registry's ``pmt_score``; households
    without a registry record (no ``family_id`` match) are left out: their pre-programme
    decile and score are unknown.
    """
    s = survey[(survey["year"] == year) & (survey["treated_village"] == 1)]
    reg = registry[["family_id", "pmt_score"]].drop_duplicates("family_id")
    hh = s.merge(reg, on="family_id", how="inner", validate="many_to_one")
    return hh.assign(poor=(hh["consumption_pc"] < line).astype(float)).reset_index(drop=True)


def eligibility_cutoff(registry: pd.DataFrame, max_desil: int = 4) -> float | None:
    """The registry score separating deciles ``<= max_desil`` from the rest, or None.

    The mid-point between the highest score inside and the lowest outside; None when the
    registry holds only one side (a P3KE extract of deciles 1-4 has no cutoff to find).
    """
    d = pd.to_numeric(registry["desil"], errors="coerce")
    inside = registry.loc[d <= max_desil, "pmt_score"]
    outside = registry.loc[d > max_desil, "pmt_score"]
    if inside.empty or outside.empty or inside.max() > outside.min():
        return None
    return float((inside.max() + outside.min()) / 2)


def rd_at_cutoff(households: pd.DataFrame, cutoff: float | None, **options: Any
                 ) -> EstimateResult | None:
    """:func:`~kassaki_eval.impact.rd_estimate` on the registry score at ``cutoff``, or None.

    ``running="pmt_score"``, eligible below the cutoff (``treated_side="below"``); the
    ``options`` (outcome, fuzzy take-up, cluster, alpha) go to ``rd_estimate`` unchanged.
    """
    if cutoff is None:
        return None
    return rd_estimate(households, running="pmt_score", cutoff=cutoff, treated_side="below",
                       **options)


def wild_fits(panel: pd.DataFrame, *, outcomes: Sequence[str], cluster: str, B: int,
              seed: int, weights: str = "pop_weight", alpha: float = 0.05
              ) -> dict[str, EstimateResult]:
    """TWFE of each outcome with wild cluster bootstrap inference (WCR, Rademacher).

    :func:`~kassaki_eval.impact.twfe` with ``inference="wild"``, clustered by ``cluster``.
    """
    return {y: twfe(panel, y=y, unit="village_code", time="year", cohort="cohort",
                    weights=weights, cluster=cluster, inference="wild", B=B, seed=seed,
                    alpha=alpha)
            for y in outcomes}


def main_pvalues(fits: Mapping[tuple[str, str, str], EstimateResult],
                 outcomes: Sequence[str]) -> pd.Series:
    """p-values of the whole-programme C&S ATT (simple aggregation) of each outcome."""
    return pd.Series({y: float(aggregate(fits["all", y, "cs_did"], "simple").tidy()
                               .iloc[0]["p_value"]) for y in outcomes}, name="p_value")


def design_inputs(panel: pd.DataFrame, survey: pd.DataFrame, *, line: float, year: int,
                  cohort: str = "cohort") -> dict[str, Any]:
    """The design of this evaluation, in the arguments of ``power_staggered``/``mde_staggered``.

    ``cohorts`` (villages per first year), ``n_never``, ``periods`` (the panel's years),
    ``cluster_size`` (surveyed households per village and wave), ``icc`` (ANOVA intra-village
    correlation of the poverty indicator in ``year``), ``autocorr`` (correlation of the village
    poverty rates between the first two waves, among villages untreated in both; it holds the
    sampling noise of the means, as the formula wants) and ``sd`` (of the poverty indicator).
    """
    years = sorted(int(v) for v in panel["year"].unique())
    coh = panel.drop_duplicates("village_code").set_index("village_code")[cohort]
    cohorts = {int(g): int(n) for g, n in coh[coh > 0].value_counts().sort_index().items()}
    wave = survey[survey["year"] == year]
    poor = (wave["consumption_pc"] < line).astype(float)
    icc = intra_cluster_correlation(wave.assign(poor=poor), y="poor", cluster="village_code")
    wide = panel.pivot(index="village_code", columns="year", values="poor")
    untreated = coh[(coh == 0) | (coh > years[1])].index
    a = wide.loc[wide.index.intersection(untreated), [years[0], years[1]]].dropna()
    autocorr = float(max(np.corrcoef(a[years[0]], a[years[1]])[0, 1], 0.0))
    p = float(poor.mean())
    return {"cohorts": cohorts, "n_never": int((coh == 0).sum()), "periods": years,
            "cluster_size": float(panel["n_households"].mean()), "icc": icc,
            "autocorr": autocorr, "sd": float(np.sqrt(p * (1 - p)))}


def _n_hh(panel: pd.DataFrame) -> int:
    return int(panel["n_households"].sum())


def _row(res: EstimateResult, term: str = "ATT") -> pd.Series:
    td = res.tidy()
    return td[td["term"] == term].iloc[0] if (td["term"] == term).any() else td.iloc[0]


# -- display ------------------------------------------------------------------------------
def robust_estimators(ctx: Context, panel: pd.DataFrame, main: EstimateResult,
                      alternatives: Mapping[str, EstimateResult]) -> Block:
    """The main C&S estimate of the headcount effect next to the alternative estimators."""
    b = _block("estimators")
    rows = []
    n_hh = _n_hh(panel)
    for method, res in {"cs_did": aggregate(main, "simple"), **alternatives}.items():
        r = _row(res)
        rows.append({"method": method, "estimate": r["estimate"], "std_error": r["std_error"],
                     "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                     "p_value": r["p_value"], "n_obs": int(r["n_obs"]), "n_hh": n_hh})
    tab = pd.DataFrame(rows)
    b.tables.append(Table.build(
        "robust_estimators", tab, title_key="nb4r.estimators.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "pp", "std_error": "ppu", "conf_low": "pp", "conf_high": "pp",
                 "p_value": "pvalue", "n_obs": "int", "n_hh": "int"},
        translate=("method",), note_key="nb4r.estimators.note",
        value_cols=["estimate", "std_error", "conf_low", "conf_high", "p_value"]))
    est = tab["estimate"].to_numpy(float)
    b.sentences.append(("nb4r.estimators.sentence", {
        "main": est[0], "lo": float(est.min()), "hi": float(est.max()),
        "spread": float(est.max() - est.min()), "se": float(tab["std_error"].iloc[0])}))
    return b


def robust_event_study(ctx: Context, es: EstimateResult, panel: pd.DataFrame,
                       warnings: Sequence[str] = ()) -> Block:
    """Dynamic effects with pointwise CIs and the uniform (sup-t) band; the pre-trend test."""
    b = _block("event")
    td = es.tidy()
    tab = pd.DataFrame({"event_time": td["event_time"].astype(int), "estimate": td["estimate"],
                        "pw_low": td["pw_low"], "pw_high": td["pw_high"],
                        "conf_low": td["conf_low"], "conf_high": td["conf_high"],
                        "n_obs": td["n_obs"].astype(int), "n_hh": _n_hh(panel)})
    b.tables.append(Table.build(
        "robust_event_study", tab, title_key="nb4r.event.table", k=ctx.k, count_col="n_hh",
        formats={"event_time": "int", "estimate": "pp", "pw_low": "pp", "pw_high": "pp",
                 "conf_low": "pp", "conf_high": "pp", "n_obs": "int", "n_hh": "int"},
        note_key="nb4r.event.note",
        value_cols=["estimate", "pw_low", "pw_high", "conf_low", "conf_high"]))
    pre = es.extras["pretrend"]
    crit = float(es.extras["uniform_critical_value"])
    pval = float(pre.get("p_value", np.nan))
    b.sentences.append(("nb4r.event.pretrend", {
        "stat": float(pre.get("statistic", np.nan)), "df": int(pre.get("df", 0)), "p": pval,
        "crit": crit, "B": int(es.extras["B"]),
        "tail": "nb4r.event.reject" if pval < es.alpha else "nb4r.event.no_reject"}))
    record_number(b, "pretrend_p", pval, "num2")

    def draw(lang: str) -> Any:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.5, 3.2))
        x = tab["event_time"].to_numpy()
        y = 100 * tab["estimate"].to_numpy(float)
        ok = np.isfinite(tab["conf_low"].to_numpy(float))
        ax.axhline(0, color="#9aa5b1", lw=1)
        ax.axvline(-0.5, color="#9aa5b1", lw=1, ls="--")
        # the uniform band per event time (wide light bars): no band at the reference e = -1
        ax.vlines(x[ok], 100 * tab["conf_low"].to_numpy(float)[ok],
                  100 * tab["conf_high"].to_numpy(float)[ok], color="#c9d6e6", lw=14,
                  label=t("fig.robust_event.band", lang))
        ax.errorbar(x[ok], y[ok], yerr=[y[ok] - 100 * tab["pw_low"].to_numpy(float)[ok],
                                        100 * tab["pw_high"].to_numpy(float)[ok] - y[ok]],
                    fmt="o", color="#14365d", capsize=4, label=t("fig.robust_event.pw", lang))
        ax.plot(x[~ok], y[~ok], "o", mfc="white", color="#14365d")
        ax.set_xticks(x)
        ax.set_xlabel(t("fig.event.x", lang))
        ax.set_ylabel(t("fig.event.y", lang))
        ax.legend(frameon=False, fontsize=8, loc="lower left")
        fig.tight_layout()
        return fig

    b.figures.append(render_figure("robust_event_study", "fig.robust_event.caption",
                                   ctx.languages, draw))
    _warn_list(b, warnings)
    return b


def robust_honest_did(ctx: Context, relative: EstimateResult, smooth: EstimateResult,
                      panel: pd.DataFrame, warnings: Sequence[str] = ()) -> Block:
    """HonestDiD: robust intervals of the average post-programme effect.

    Under bounded violations of parallel trends: relative magnitudes ``Mbar``, smoothness
    ``M``.
    """
    b = _block("honest")
    rows = []
    for res, kind, col, fmt in ((relative, "relative_magnitudes", "Mbar", "num1"),
                                (smooth, "smoothness", "M", "ppu")):
        td = res.tidy()
        for _, r in td.iterrows():
            rows.append({"restriction": kind, "bound": float(r[col]), "estimate": r["estimate"],
                         "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                         "excludes_zero": bool(r["conf_low"] > 0 or r["conf_high"] < 0),
                         "n_hh": _n_hh(panel), "_bfmt": fmt})
    tab = pd.DataFrame(rows)
    b.tables.append(Table.build(
        "robust_honest_did", tab, title_key="nb4r.honest.table", k=ctx.k, count_col="n_hh",
        formats={"bound": "@_bfmt", "estimate": "pp", "conf_low": "pp", "conf_high": "pp",
                 "n_hh": "int"},
        translate=("restriction",), note_key="nb4r.honest.note",
        value_cols=["estimate", "conf_low", "conf_high"]))
    # the largest Mbar of the grid whose interval excludes zero (from the published rows)
    rm = tab[(tab["restriction"] == "relative_magnitudes") & tab["excludes_zero"]]
    brk = float(rm["bound"].max()) if len(rm) else float("nan")
    b.sentences.append(("nb4r.honest.sentence" if len(rm) else "nb4r.honest.sentence_zero",
                        {"brk": brk}))
    record_number(b, "honest_largest_mbar_excluding_zero", brk, "num1")
    _warn_list(b, warnings)
    return b


def robust_few_clusters(ctx: Context, wild: Mapping[str, EstimateResult], panel: pd.DataFrame,
                        warnings: Sequence[str] = ()) -> Block:
    """Wild cluster bootstrap p-values (kecamatan clusters) next to the analytic ones."""
    b = _block("wild")
    rows = []
    for y, res in wild.items():
        wb = res.extras["wild_bootstrap"]
        G = int(wb.G)
        rows.append({"outcome": y, "estimate": wb.estimate,
                     "p_analytic": float(2 * stats.t.sf(abs(wb.t_stat), G - 1)),
                     "p_value": wb.p_value, "conf_low": _row(res)["conf_low"],
                     "conf_high": _row(res)["conf_high"], "n_clusters": G,
                     "p_floor": float(wb.p_floor), "n_hh": _n_hh(panel),
                     "_fmt": _FMT.get(y, "num")})
    tab = pd.DataFrame(rows)
    b.tables.append(Table.build(
        "robust_wild", tab, title_key="nb4r.wild.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "p_analytic": "pvalue", "p_value": "pvalue",
                 "conf_low": "@_fmt", "conf_high": "@_fmt", "n_clusters": "int",
                 "p_floor": "pvalue", "n_hh": "int"},
        translate=("outcome",), note_key="nb4r.wild.note",
        value_cols=["estimate", "p_analytic", "p_value", "conf_low", "conf_high"]))
    G = int(tab["n_clusters"].min())
    wb0 = next(iter(wild.values())).extras["wild_bootstrap"]
    b.sentences.append(("nb4r.wild.sentence", {
        "G": G, "B": int(wb0.B), "inv_floor": round(1 / float(tab["p_floor"].min())),
        "n_enum": 2 ** G, "tail": "nb4r.wild.few" if G < 12 else "nb4r.wild.enough"}))
    if "poor" in wild:
        record_number(b, "wild_p_poor", float(tab.loc[tab["outcome"] == "poor", "p_value"]
                                              .iloc[0]), "num2")
    _warn_list(b, warnings)
    return b


def robust_multiple_testing(ctx: Context, pvalues: pd.Series, qvalues: Sequence[float],
                            fits: Mapping[tuple[str, str, str], EstimateResult],
                            panel: pd.DataFrame) -> Block:
    """Benjamini-Hochberg q-values of the whole-programme effects across the outcomes."""
    b = _block("qvalues")
    tab = pd.DataFrame({
        "outcome": list(pvalues.index),
        "estimate": [float(_row(aggregate(fits["all", y, "cs_did"], "simple"))["estimate"])
                     for y in pvalues.index],
        "p_value": pvalues.to_numpy(float), "q_value": np.asarray(qvalues, float),
        "n_hh": _n_hh(panel), "_fmt": [_FMT.get(y, "num") for y in pvalues.index]})
    b.tables.append(Table.build(
        "robust_qvalues", tab, title_key="nb4r.qvalues.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "@_fmt", "p_value": "pvalue", "q_value": "pvalue", "n_hh": "int"},
        translate=("outcome",), value_cols=["estimate", "p_value", "q_value"]))
    a = ctx.params.alpha
    b.sentences.append(("nb4r.qvalues.sentence", {
        "m": len(tab), "n_p": int((tab["p_value"] < a).sum()),
        "n_q": int((tab["q_value"] < a).sum()), "level": a}))
    return b


def robust_power(ctx: Context, design: Mapping[str, Any], *, power: float, mde: float,
                 effect: float, main: EstimateResult, verdict: EstimateResult) -> Block:
    """The power statement of this design for the goal, and the MDE, with its inputs.

    ``power`` and ``mde`` come from ``power_staggered``/``mde_staggered`` called in the
    notebook with :func:`design_inputs`; the realised standard error of the main estimate is
    shown next to the formula's as a check of the inputs.
    """
    b = _block("power")
    J = sum(design["cohorts"].values()) + design["n_never"]
    mult = float(stats.t.ppf(1 - ctx.params.alpha / 2, J - 2) + stats.t.ppf(0.8, J - 2))
    se_formula = mde / mult
    se_real = float(_row(aggregate(main, "simple"))["std_error"])
    share = float(verdict.tidy().set_index("term").loc["treated_person_share", "estimate"])
    rows = [("n_villages", J, "int"), ("n_treated_villages", sum(design["cohorts"].values()),
                                       "int"),
            ("n_never", design["n_never"], "int"), ("n_waves", len(design["periods"]), "int"),
            ("households_per_village", design["cluster_size"], "num1"),
            ("icc", design["icc"], "num"), ("autocorr", design["autocorr"], "num"),
            ("sd", design["sd"], "num"), ("effect", effect, "ppu"),
            ("power", power, "pct"), ("mde", mde, "ppu"),
            ("se_formula", se_formula, "ppu"), ("se_realised", se_real, "ppu"),
            ("treated_person_share", share, "pct")]
    tab = pd.DataFrame(rows, columns=["quantity", "value", "_fmt"])
    b.tables.append(Table.build(
        "robust_power", tab, title_key="nb4r.power.table", k=ctx.k, count_col=None,
        formats={"value": "@_fmt"}, translate=("quantity",), note_key="nb4r.power.note"))
    b.sentences.append(("nb4r.power.sentence", {
        "effect": effect, "power": power, "mde": mde, "J": J,
        "m": design["cluster_size"], "ratio": se_real / se_formula}))
    b.sentences.append(("nb4r.power.district", {
        "goal": effect, "share": share, "att": effect / share if share > 0 else float("nan")}))
    record_number(b, "power_goal", power, "pct")
    record_number(b, "mde_att", mde, "pp")
    return b


def robust_selection(ctx: Context, households: pd.DataFrame,
                     results: Mapping[str, EstimateResult], balance: BalanceTable,
                     warnings: Sequence[str] = ()) -> Block:
    """Selection on observables: participants vs non-participants in programme villages."""
    b = _block("selection")
    rows = []
    for method, res in results.items():
        r = _row(res)
        rows.append({"method": method, "estimate": r["estimate"], "std_error": r["std_error"],
                     "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                     "p_value": r["p_value"], "n_treated": int(r["n_treated"]),
                     "n_control": int(r["n_control"]), "n_hh": int(r["n_obs"])})
    tab = pd.DataFrame(rows)
    b.tables.append(Table.build(
        "robust_selection", tab, title_key="nb4r.selection.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "pp", "std_error": "ppu", "conf_low": "pp", "conf_high": "pp",
                 "p_value": "pvalue", "n_treated": "int", "n_control": "int", "n_hh": "int"},
        translate=("method",),
        value_cols=["estimate", "std_error", "conf_low", "conf_high", "p_value"]))
    bt = balance.table
    _check_labels(bt["covariate"].astype(str).tolist())  # before any output: fail loudly
    bal = pd.DataFrame({"covariate": bt["covariate"].astype(str),
                        "mean_treated": bt["mean_treated"], "mean_control": bt["mean_control"],
                        "smd": bt["smd"], "smd_adj": bt.get("smd_adj", np.nan),
                        "n_hh": len(households)})
    b.tables.append(Table.build(
        "robust_balance", bal, title_key="nb4r.selection.balance", k=ctx.k, count_col="n_hh",
        formats={"mean_treated": "num", "mean_control": "num", "smd": "num", "smd_adj": "num",
                 "n_hh": "int"}, note_key="nb4r.selection.balance_note",
        translate=("covariate",),
        value_cols=["mean_treated", "mean_control", "smd", "smd_adj"]))
    worst = float(np.nanmax(np.abs(bal["smd"])))
    worst_adj = float(np.nanmax(np.abs(bal["smd_adj"]))) if bal["smd_adj"].notna().any() \
        else float("nan")
    est = tab["estimate"].to_numpy(float)
    b.sentences.append(("nb4r.selection.sentence", {
        "lo": float(est.min()), "hi": float(est.max()), "n1": int(tab["n_treated"].iloc[0]),
        "n0": int(tab["n_control"].iloc[0]), "smd": worst, "smd_adj": worst_adj,
        "method": f"val.method.{balance.meta.get('method', 'ipw')}"}))

    def draw(lang: str) -> Any:
        fig = love_plot(labelled_balance(balance, lang))
        ax = fig.axes[0]
        ax.set_xlabel(t("fig.love.x", lang))
        for txt, key in zip(ax.get_legend().get_texts(), ("fig.love.before", "fig.love.after"),
                            strict=False):
            txt.set_text(t(key, lang))
        return fig

    b.figures.append(render_figure("robust_love_plot", "fig.love.caption", ctx.languages, draw))
    _warn_list(b, warnings)
    return b


def robust_rd(ctx: Context, rd: EstimateResult | None, cutoff: float | None,
              warnings: Sequence[str] = ()) -> Block:
    """Regression discontinuity at the registry's eligibility cutoff, or why there is none."""
    b = _block("rd")
    if rd is None or cutoff is None:
        b.sentences.append(("nb4r.rd.none", {}))
        _warn_list(b, warnings)
        return b
    td = rd.tidy()
    tab = pd.DataFrame({"rd_term": td["term"].str.lower().str.replace("-", "_"),
                        "estimate": td["estimate"], "std_error": td["std_error"],
                        "conf_low": td["conf_low"], "conf_high": td["conf_high"],
                        "p_value": td["p_value"], "bandwidth": td["h_left"],
                        "first_stage": td.get("first_stage", np.nan),
                        "n_hh": (td["n_h_left"] + td["n_h_right"]).astype(int)})
    b.tables.append(Table.build(
        "robust_rd", tab, title_key="nb4r.rd.table", k=ctx.k, count_col="n_hh",
        formats={"estimate": "pp", "std_error": "ppu", "conf_low": "pp", "conf_high": "pp",
                 "p_value": "pvalue", "bandwidth": "num", "first_stage": "num", "n_hh": "int"},
        translate=("rd_term",), note_key="nb4r.rd.note",
        value_cols=["estimate", "std_error", "conf_low", "conf_high", "p_value"]))
    robust = tab[tab["rd_term"] == "robust"].iloc[0] if (tab["rd_term"] == "robust").any() \
        else tab.iloc[0]
    b.sentences.append(("nb4r.rd.sentence", {
        "cutoff": cutoff, "est": float(tab["estimate"].iloc[0]), "lo": float(robust["conf_low"]),
        "hi": float(robust["conf_high"]), "n": int(robust["n_hh"]),
        "fs": float(robust["first_stage"])}))
    record_number(b, "rd_estimate", float(tab["estimate"].iloc[0]), "pp")
    _warn_list(b, warnings)
    return b
