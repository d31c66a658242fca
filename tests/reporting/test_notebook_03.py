"""Notebook 03 (targeting) runs by hand, and a researcher's change in it reruns correctly.

Issue 17 / NOTEBOOK_PATTERN.md: the notebook makes the library calls with their key arguments
visible and passes the results to the display functions. Here the notebook is executed with
nbclient exactly as JupyterLab would (``run_dir = None``, the demo world at a small scale), and
every block it DISPLAYS (its HTML output) is compared with the block built in this process from
direct library calls:

1. unchanged: the five blocks equal the report's default analysis
   (:func:`~kassaki_eval.reporting.sections.targeting.default_analysis`, what ``S.xxx(ctx)``
   shows in tests and the docx), so the two paths cannot drift;
2. a researcher's change, made in the cell source: eligibility ``desil <= 3`` instead of the
   parameter's 4, and the Lasso as the only PMT (so it also scores the registry). The displayed
   blocks change and equal direct calls of ``targeting_accuracy``, ``validate_pmt``,
   ``select_quota`` and ``compare_rules`` with the changed options.
"""
from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbclient
import pytest

from kassaki_eval.reporting.html import render_block
from kassaki_eval.reporting.sections import targeting as S
from kassaki_eval.targeting import (
    PMT_FEATURES,
    UNIVERSAL,
    LassoPMT,
    compare_rules,
    demographic_scorecard,
    pmt_target,
    score_registry,
    select_quota,
    targeting_accuracy,
    validate_pmt,
)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_targeting.py"
PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05}, "k_suppress": 20}
_SVG = re.compile(r"<svg.*?</svg>", re.S)


def run_by_hand(tmp_path: Path, edits: dict[str, str] | None = None) -> list[str]:
    """Execute the notebook (with ``edits`` applied to its source) and return the HTML of
    every displayed block, in order."""
    src = NOTEBOOK.read_text()
    src, n = re.subn(r"^report_params = .*$", f"report_params = {PARAMS!r}", src, flags=re.M)
    assert n == 1
    for old, new in (edits or {}).items():
        assert src.count(old) == 1, old
        src = src.replace(old, new)
    nb = jupytext.reads(src, fmt="py:percent")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors[:1]
    return [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "display_data"
            and "text/html" in o.get("data", {})]


def html(ctx, block) -> str:
    return render_block(block, ctx.languages, ctx.view.components)


def same(a: str, b: str) -> bool:
    """Equal blocks; figures compared as SVG text too unless only their ids differ."""
    return a == b or _SVG.sub("", a) == _SVG.sub("", b)


@pytest.fixture(scope="module")
def ctx():
    return S.start(PARAMS, None, notebook="test")


def test_notebook_runs_by_hand_and_shows_the_default_analysis(ctx, tmp_path):
    shown = run_by_hand(tmp_path)
    expected = [S.targeting_registry(ctx), S.targeting_pmt(ctx), S.targeting_quota(ctx),
                S.targeting_incidence(ctx), S.targeting_rules(ctx)]
    assert len(shown) == len(expected)
    for got, block in zip(shown, expected, strict=True):
        assert same(got, html(ctx, block)), block.key
    # the notebook shows the analysis: key arguments are visible in its source
    src = NOTEBOOK.read_text()
    for call in ("SurveyDesign(wave, weight=", "targeting_accuracy(wave, selected=eligible",
                 "S.validate_models(pmt_models", "n_splits=5", "score_registry(ctx.registry",
                 "select_quota(scored, by=\"village_code\", slots=slots)", "cgh_share=0.4",
                 "compare_rules(wave, rules, budget=budget", "Developer note"):
        assert (call in src) == (call != "Developer note"), call


def test_a_researchers_change_reruns_and_equals_direct_calls(ctx, tmp_path):
    shown = run_by_hand(tmp_path, {
        "eligible_desil = p.eligible_desil": "eligible_desil = 3",
        "S.pmt_models(p.pmt_methods,": "S.pmt_models((\"lasso\",),",
    })
    default = [html(ctx, S.targeting_registry(ctx)), html(ctx, S.targeting_pmt(ctx)),
               html(ctx, S.targeting_quota(ctx)), html(ctx, S.targeting_incidence(ctx)),
               html(ctx, S.targeting_rules(ctx))]
    # direct library calls with the changed options, built here independently of the notebook
    p = ctx.params
    wave = ctx.survey[ctx.survey["year"] == p.year].reset_index(drop=True)
    line = ctx.poverty_line()
    design = {"weight": "weight", "strata": "stratum", "psu": "psu", "lonely_psu": "adjust",
              "nest": True}
    sel3 = wave["desil"].astype("float").isin([1, 2, 3]).astype(int)
    reg = targeting_accuracy(wave, selected=sel3, poverty_line=line, score="desil",
                             design=design, alpha=p.alpha)
    y = pmt_target(wave["consumption_pc"])
    cv = validate_pmt(LassoPMT(features=PMT_FEATURES), wave, y, sample_weight=wave["weight"],
                      n_splits=5, poverty_line=line, random_state=p.seed, alpha=p.alpha)
    model = LassoPMT(features=PMT_FEATURES).fit(wave, y, sample_weight=wave["weight"])
    part = ctx.participation
    part = part[(part["unit"] == "household")
                & (part["start_date"].astype(str).str[:4].astype(int) <= p.year)]
    slots = part.dropna(subset=["family_id"]).groupby("village_code")["family_id"].nunique()
    selection = select_quota(score_registry(ctx.registry, model), by="village_code", slots=slots)
    fam = set(selection.beneficiaries["family_id"])
    quota = targeting_accuracy(wave, selected=wave["family_id"].isin(fam).astype(int),
                               poverty_line=line, design=design, by=(), deciles=False,
                               alpha=p.alpha)
    part_acc = targeting_accuracy(wave, selected="participates", poverty_line=line,
                                  design=design, by=(), deciles=False, alpha=p.alpha)
    budget = p.transfer_rp * float((wave["weight"] * sel3).sum())
    rules = compare_rules(wave, {"registry_desil": "desil",
                                 "pmt": cv.extras["oof_prediction"],
                                 "scorecard": demographic_scorecard(wave),
                                 "universal": UNIVERSAL, "perfect": "consumption_pc"},
                          budget=budget, transfer=p.transfer_rp, poverty_line=line,
                          design=design, alpha=p.alpha)
    direct = [html(ctx, S.targeting_registry(ctx, reg, eligible_desil=3)),
              html(ctx, S.targeting_pmt(ctx, {"lasso": cv})),
              html(ctx, S.targeting_quota(ctx, selection, eligible_desil=3)),
              html(ctx, S.targeting_incidence(ctx, {"registry": reg, "pmt_quota": quota,
                                                    "participants": part_acc})),
              html(ctx, S.targeting_rules(ctx, rules))]
    assert len(shown) == 5
    for i, (got, want, before) in enumerate(zip(shown, direct, default, strict=True)):
        assert same(got, want), i
        assert not same(got, before), i  # every block changed with the researcher's edit
    assert "desil 1–3" in shown[0]
