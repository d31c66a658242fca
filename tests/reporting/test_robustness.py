"""The robustness chapter (notebook 4, sections/robustness.py) against direct library calls.

The notebook runs on a small demo world (scale 0.05, as the other section tests); every number
the chapter publishes is recomputed here with the library's public functions and independent
arithmetic (the ANOVA ICC, BH q-values, the autocorrelation of the village rates).
"""
from __future__ import annotations

import numpy as np
import pytest
from notebook_exec import shown_blocks

from kassaki_eval.impact import (
    aggregate,
    callaway_santanna,
    evaluation_panel,
    ipw,
    power_staggered,
    twfe,
)
from kassaki_eval.reporting.html import assemble_report, chapter_of, render_block
from kassaki_eval.reporting.i18n import t
from kassaki_eval.reporting.sections import impact as S, robustness as R

PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05}, "k_suppress": 20}


@pytest.fixture(scope="module")
def ctx():
    return S.start(PARAMS, None, notebook="04_impact")


@pytest.fixture(scope="module")
def nb4(ctx):
    blocks, ns = shown_blocks("04_impact", ctx)
    return {b.key: b for b in blocks}, ns


@pytest.fixture(scope="module")
def panel(ctx):
    lines = {int(y): ctx.poverty_line("total", int(y)) for y in ctx.survey["year"].unique()}
    return evaluation_panel(ctx.survey, lines=lines, outcomes=S.IMPACT_OUTCOMES,
                            rollout=ctx.rollout, as_of=2025)


def _tab(blocks, key, name):
    return next(tb for tb in blocks[key].tables if tb.name == name).data


def test_chapter_blocks_are_in_their_own_chapter(nb4):
    blocks, _ = nb4
    robust = [b for k, b in blocks.items() if k.startswith("nb4r.")]
    assert len(robust) == 8
    assert {chapter_of("04_impact", k) for k in blocks if k.startswith("nb4r.")} == {
        "04_robustness"}
    assert {chapter_of("04_impact", k) for k in blocks if not k.startswith("nb4r.")} == {
        "04_impact"}


def test_estimator_comparison_equals_direct_calls(nb4, panel):
    blocks, _ = nb4
    tab = _tab(blocks, "nb4r.estimators", "robust_estimators").set_index("method")
    cs = aggregate(callaway_santanna(panel, y="poor", unit="village_code", time="year",
                                     cohort="cohort", control="never", method="dr",
                                     weights="pop_weight"), "simple")
    tw = twfe(panel, y="poor", unit="village_code", time="year", cohort="cohort",
              weights="pop_weight", cluster="village_code")
    assert tab.loc["cs_did", "estimate"] == pytest.approx(cs["ATT"], rel=1e-12)
    assert tab.loc["twfe", "estimate"] == pytest.approx(tw["ATT"], rel=1e-12)
    assert set(tab.index) == {"cs_did", "twfe", "imputation", "sun_abraham"}
    assert np.isfinite(tab[["estimate", "std_error", "conf_low", "conf_high"]].to_numpy(
        float)).all()


def test_event_study_band_is_uniform_and_wider_than_pointwise(nb4):
    blocks, _ = nb4
    tab = _tab(blocks, "nb4r.event", "robust_event_study").dropna(subset=["conf_low"])
    assert len(tab) >= 2
    assert (tab["conf_low"] <= tab["pw_low"] + 1e-12).all()
    assert (tab["conf_high"] >= tab["pw_high"] - 1e-12).all()
    assert blocks["nb4r.event"].figures


def test_honest_did_intervals_widen_with_the_bound(nb4):
    blocks, _ = nb4
    tab = _tab(blocks, "nb4r.honest", "robust_honest_did")
    for kind in ("relative_magnitudes", "smoothness"):
        sub = tab[tab["restriction"] == kind].sort_values("bound")
        assert len(sub) == 4
        width = (sub["conf_high"] - sub["conf_low"]).to_numpy(float)
        assert np.all(np.diff(width) >= -1e-12), kind


def test_wild_bootstrap_and_qvalues_equal_direct_calls(ctx, nb4, panel):
    blocks, ns = nb4
    wild = _tab(blocks, "nb4r.wild", "robust_wild").set_index("outcome")
    direct = twfe(panel, y="poor", unit="village_code", time="year", cohort="cohort",
                  weights="pop_weight", cluster="kec_code", inference="wild", B=999,
                  seed=ctx.params.seed)
    wb = direct.extras["wild_bootstrap"]
    assert wild.loc["poor", "p_value"] == pytest.approx(wb.p_value, rel=1e-12)
    assert wild.loc["poor", "p_floor"] == pytest.approx(1 / 999, rel=1e-12)
    assert wild.loc["poor", "n_clusters"] == panel["kec_code"].nunique()
    # Benjamini-Hochberg by hand: q_(i) = min_{j >= i} p_(j) m / j
    q = _tab(blocks, "nb4r.qvalues", "robust_qvalues")
    p = q["p_value"].to_numpy(float)
    m = len(p)
    order = np.argsort(p)
    by_hand = np.empty(m)
    by_hand[order] = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    np.testing.assert_allclose(q["q_value"].to_numpy(float), np.minimum(by_hand, 1), rtol=1e-12)
    p_direct = [aggregate(callaway_santanna(panel, y=y, unit="village_code", time="year",
                                            cohort="cohort", control="never", method="dr",
                                            weights="pop_weight"), "simple").tidy()
                .iloc[0]["p_value"] for y in S.IMPACT_OUTCOMES]
    np.testing.assert_allclose(p, p_direct, rtol=1e-12)


def test_power_statement_from_the_design(ctx, nb4, panel):
    """The design inputs by independent arithmetic; the published power = power_staggered."""
    blocks, ns = nb4
    d = ns["design"]
    wave = ctx.survey[ctx.survey["year"] == 2025]
    poor = (wave["consumption_pc"] < ctx.poverty_line()).astype(float)
    # ANOVA ICC with the unequal-size n0 (Donner 1986), written out here
    g = wave["village_code"]
    k, n = g.nunique(), len(poor)
    ni, mi = poor.groupby(g).size(), poor.groupby(g).mean()
    msb = float((ni * (mi - poor.mean()) ** 2).sum() / (k - 1))
    msw = float(((poor - g.map(mi)) ** 2).sum() / (n - k))
    n0 = (n - float((ni ** 2).sum()) / n) / (k - 1)
    assert d["icc"] == pytest.approx(max((msb - msw) / (msb + (n0 - 1) * msw), 0), rel=1e-10)
    coh = panel.drop_duplicates("village_code").set_index("village_code")["cohort"]
    assert d["n_never"] == int((coh == 0).sum())
    assert sum(d["cohorts"].values()) == int((coh > 0).sum())
    assert d["sd"] == pytest.approx(np.sqrt(poor.mean() * (1 - poor.mean())), rel=1e-12)
    wide = panel.pivot(index="village_code", columns="year", values="poor")
    keep = coh[(coh == 0) | (coh > 2024)].index
    r = np.corrcoef(wide.loc[keep, 2023], wide.loc[keep, 2024])[0, 1]
    assert d["autocorr"] == pytest.approx(max(r, 0), rel=1e-10)
    pw = _tab(blocks, "nb4r.power", "robust_power").set_index("quantity")["value"]
    assert pw["power"] == pytest.approx(power_staggered(0.01, **d, alpha=0.05), rel=1e-12)
    assert 0.05 <= pw["power"] < 1
    # the formula's standard error is the right size: within a factor 2 of the realised one
    assert 0.5 < pw["se_realised"] / pw["se_formula"] < 2


def test_selection_on_observables_and_balance(ctx, nb4):
    blocks, ns = nb4
    hh = ns["households"]
    assert len(hh) and (hh["treated_village"] == 1).all() and hh["year"].eq(2025).all()
    direct = ipw(hh, y="poor", treatment="participates", covariates=R.PRE_COVARIATES,
                 estimand="ATT", weights="weight", cluster="village_code")
    sel = _tab(blocks, "nb4r.selection", "robust_selection").set_index("method")
    assert sel.loc["ipw", "estimate"] == pytest.approx(direct["ATT"], rel=1e-12)
    bal = _tab(blocks, "nb4r.selection", "robust_balance")
    # weighting improves the worst imbalance
    assert bal["smd_adj"].abs().max() < bal["smd"].abs().max()
    assert blocks["nb4r.selection"].figures


def test_balance_table_and_love_plot_show_labels_not_column_names(ctx, nb4, monkeypatch):
    """The balance table and the love plot name each covariate by its label, in both
    languages; no raw column name (``hh_size``, ``head_sex[M]``) reaches the reader."""
    import html as _html

    blocks, ns = nb4
    terms = [str(x) for x in ns["balance"].table["covariate"]]
    assert {"hh_size", "head_sex[M]", "zone[mainland]"} <= set(terms)
    block = blocks["nb4r.selection"]
    labels = {lang: [t(R.covariate_key(x), lang) for x in terms] for lang in ("id", "en")}
    assert labels["id"] != labels["en"] and not set(labels["en"]) & set(terms)
    for lang in ("id", "en"):
        page = render_block(block, (lang,))
        for lab in labels[lang]:
            assert f"<td>{_html.escape(lab)}</td>" in page, (lang, lab)
        for x in terms:
            assert f"<td>{_html.escape(x)}</td>" not in page, (lang, x)
    # the love plot's tick labels, per language, from the same catalogue
    real, ticks = R.love_plot, []

    def spy(bt, **kw):
        fig = real(bt, **kw)
        ticks.append(sorted(tx.get_text() for tx in fig.axes[0].get_yticklabels()))
        return fig
    monkeypatch.setattr(R, "love_plot", spy)
    R.robust_selection(ctx, ns["households"], ns["selection"], ns["balance"])
    assert ticks == [sorted(labels[lang]) for lang in ctx.languages]


def test_a_covariate_without_a_label_fails_instead_of_showing_its_name(ctx, nb4):
    from kassaki_eval.exceptions import ReportError
    from kassaki_eval.impact.balance import BalanceTable

    _, ns = nb4
    bt = ns["balance"].table
    bad = BalanceTable(bt.assign(covariate=bt["covariate"].replace({"hh_size": "hh_sizes"})),
                       ns["balance"].meta)
    with pytest.raises(ReportError, match=r"'hh_sizes'.*val\.covariate\.hh_sizes"):
        R.robust_selection(ctx, ns["households"], ns["selection"], bad)
    with pytest.raises(ReportError, match="val.covariate.hh_sizes"):
        R.labelled_balance(bad, "en")


def test_every_pre_programme_covariate_has_a_label_in_both_languages():
    """Each term a balance table can hold: a numeric covariate, or name[level] for each level
    the survey contract allows (the design matrix drops one level, whichever the data's
    first is)."""
    from kassaki_eval.data.contracts import SURVEY
    from kassaki_eval.reporting.i18n import catalogue

    for c in R.PRE_COVARIATES:
        allowed = SURVEY.column(c).allowed
        for term in ([f"{c}[{lev}]" for lev in allowed] if allowed else [c]):
            texts = catalogue()[R.covariate_key(term)]
            assert texts["id"].strip() and texts["en"].strip() and texts["id"] != texts["en"]
            assert term not in texts["en"] and term not in texts["id"]


def test_rd_at_the_eligibility_cutoff_and_without_one(ctx, nb4):
    blocks, ns = nb4
    reg = ctx.registry
    cut = R.eligibility_cutoff(reg, max_desil=4)
    assert reg.loc[reg["desil"] <= 4, "pmt_score"].max() < cut
    assert reg.loc[reg["desil"] >= 5, "pmt_score"].min() > cut
    assert ns["cutoff"] == cut and _tab(blocks, "nb4r.rd", "robust_rd") is not None
    # a P3KE extract holds deciles 1-4 only: no cutoff, and the block says why
    only = reg[reg["desil"] <= 4]
    assert R.eligibility_cutoff(only) is None
    assert R.rd_at_cutoff(ns["households"], None, y="poor") is None
    b = R.robust_rd(ctx, None, None)
    assert not b.tables and b.sentences[0][0] == "nb4r.rd.none"


def test_fragile_statistics_show_their_warnings(ctx):
    """A warning raised inside recorded_warnings() is printed in the block, in both languages."""
    import warnings

    from kassaki_eval.exceptions import EstimationWarning
    with R.recorded_warnings() as w:
        warnings.warn("rd_estimate: weak first stage (test)", EstimationWarning, stacklevel=1)
    b = R.robust_rd(ctx, None, None, warnings=w)
    html = render_block(b, ("id", "en"))
    assert html.count("weak first stage (test)") == 2
    assert t("nb4r.warnings", "id") in html and t("nb4r.warnings", "en") in html


def test_html_puts_the_chapter_after_the_impact_chapter(nb4):
    """assemble_report: the nb4r.* blocks open a numbered chapter after the impact chapter."""
    blocks, _ = nb4
    outs = [{"output_type": "display_data",
             "data": {"text/html": render_block(b, ("en",))}} for b in blocks.values()]
    nb = {"cells": [{"cell_type": "code", "outputs": outs}]}
    doc = assemble_report([("04_impact", nb)], "en", title="T", subtitle_lines=[], footer="F")
    i, j = doc.index('<section id="s1"'), doc.index('<section id="s2"')
    assert i < j
    body_impact, body_robust = doc[i:j], doc[j:]
    assert f"1. {t('nb.04_impact', 'en')}" in body_impact
    assert f"2. {t('nb.04_robustness', 'en')}" in body_robust
    assert t("nb4.verdict.title", "en").split(":")[0] in body_impact
    assert t("nb4r.estimators.title", "en") in body_robust
    assert t("nb4r.estimators.title", "en") not in body_impact


@pytest.mark.slow
def test_household_comparison_covers_the_worlds_truth(world):
    """Full-scale demo world: the chapter's IPW/AIPW/entropy-balancing intervals for the effect
    of taking part on being poor cover the world's true ATT (participants of 2025, all cohorts,
    ``truth['att']``: component any, outcome poor, cohort 0, zone all)."""
    from kassaki_eval.impact import aipw, entropy_balancing
    from kassaki_eval.reference import poverty_line
    hh = R.household_sample(world.survey, world.registry, year=2025, line=poverty_line(2025))
    a = world.truth["att"]
    truth = float(a[(a["component"] == "any") & (a["outcome"] == "poor") & (a["cohort"] == 0)
                    & (a["year"] == 2025) & (a["zone"] == "all")]["att"].iloc[0])
    for fn in (ipw, aipw, entropy_balancing):
        r = fn(hh, y="poor", treatment="participates", covariates=R.PRE_COVARIATES,
               estimand="ATT", weights="weight", cluster="village_code").tidy().iloc[0]
        assert r["conf_low"] <= truth <= r["conf_high"], (fn.__name__, truth, r.to_dict())
