"""The report's sections against direct library calls on the same inputs (issue 18).

Each test names the mutation it kills; each was checked to FAIL with the mutation applied by
hand (docs/MUTATION.md). The context is the report's own (scale 0.05 demo world, as in
tests/reporting/test_sections.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from notebook_exec import shown_blocks

from kassaki_eval.impact.verdict import programme_verdict
from kassaki_eval.reporting import sections
from kassaki_eval.reporting.html import keep_language, render_block
from kassaki_eval.reporting.i18n import LANGS, catalogue, fmt
from kassaki_eval.reporting.sections import targeting
from kassaki_eval.targeting import targeting_accuracy

PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05}, "k_suppress": 20}


@pytest.fixture(scope="module")
def ctx():
    return sections.start(PARAMS, None, notebook="test")


@pytest.fixture(scope="module")
def nb4(ctx):
    """Notebook 4 run on the report's context: the blocks it shows and its namespace."""
    return shown_blocks("04_impact", ctx)


def test_report_targeting_is_desil_1_to_4(ctx):
    """Kills ``desil <= eligible_desil`` -> ``<`` in notebook 03 (the published path) and in
    the section's ``default_analysis``: the accuracy each computes equals targeting_accuracy
    with selected = desil in {1, 2, 3, 4} (the registry's bottom 40 %, DOMAIN.md), built here
    independently of their expressions."""
    assert ctx.params.eligible_desil == 4
    s = ctx.survey[ctx.survey["year"] == ctx.params.year].reset_index(drop=True)
    desil = pd.to_numeric(s["desil"], errors="coerce")
    assert (desil == 4).any()  # the boundary decile is in the data
    s = s.assign(selected=desil.isin([1, 2, 3, 4]).astype(int))
    design = targeting.report_design(s)
    _, ns = shown_blocks("03_targeting", ctx)
    lib = targeting_accuracy(s, selected="selected", poverty_line=ctx.poverty_line(),
                             score="desil", design=design, by=("zone", "head_sex"),
                             deciles=True, alpha=ctx.params.alpha).tidy()
    for rep in (ns["registry_acc"].tidy(), targeting.registry_accuracy(ctx)):
        assert len(rep) == len(lib)
        np.testing.assert_allclose(rep["estimate"].to_numpy(dtype=float),
                                   lib["estimate"].to_numpy(dtype=float), rtol=1e-12)
        np.testing.assert_allclose(rep["std_error"].to_numpy(dtype=float),
                                   lib["std_error"].to_numpy(dtype=float), rtol=1e-12)


def test_report_goal_is_goal_pp_over_100(ctx, nb4):
    """Kills the goal divided by 10 (or not at all): goal_pp = 1.0 (the one-point goal) is a
    threshold of 0.01 in the verdict fit and in the published sentence, and the verdict equals
    programme_verdict with threshold=0.01 on the report's panel."""
    assert ctx.params.goal_pp == 1.0
    blocks, ns = nb4
    res = ns["verdict"]
    assert res.extras["threshold"] == pytest.approx(0.01, rel=1e-15)
    lib = programme_verdict(ns["panel"], year=ctx.params.year, threshold=0.01,
                            alpha=ctx.params.alpha)
    assert res.extras["p_value_goal"] == pytest.approx(lib.extras["p_value_goal"], rel=1e-12)
    b = next(x for x in blocks if x.key == "nb4.verdict")
    (key, values), = b.sentences
    assert values["goal"] == pytest.approx(0.01, rel=1e-15)
    lo, hi = values["lo"], values["hi"]
    want = ("nb4.verdict.met" if lo > 0.01 else "nb4.verdict.not_met" if hi < 0.01
            else "nb4.verdict.undecided")
    assert values["tail"] == want


def test_verdict_section_is_present_in_every_language(ctx, nb4):
    """Kills a verdict section silently left out or 'unavailable' in a language: the rendered
    verdict block holds, in each language, its title, the verdict sentence with the goal
    formatted in that language, the tail and the verdict table."""
    b = next(x for x in nb4[0] if x.key == "nb4.verdict")
    cat = catalogue()
    html = render_block(b, LANGS)
    for lang in LANGS:
        one = keep_language(html, lang)
        other = [x for x in LANGS if x != lang][0]
        assert cat["nb4.verdict.title"][lang] in one
        assert cat["nb4.verdict.title"][other] not in one
        assert 'class="verdict"' in one
        assert fmt(0.01, "ppu", lang) in one
        tail = b.sentences[0][1]["tail"]
        assert cat[tail][lang] in one
        assert cat["nb4.verdict.table"][lang] in one
        assert "<table" in one
