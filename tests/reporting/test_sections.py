"""The report's section modules: every block is produced, and a missing library name fails.

Before the renovation (issue 16) sections imported library modules by name and showed
"Not yet available" when a name was missing, so a rename silently emptied a report section.
Now the imports are static; these tests keep it so.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kassaki_eval.impact.verdict import verdict_from_survey
from kassaki_eval.reporting import sections
from kassaki_eval.reporting.blocks import Block
from kassaki_eval.reporting.i18n import catalogue
from kassaki_eval.reporting.sections import impact
from notebook_exec import shown_blocks

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05}, "k_suppress": 20}


@pytest.fixture(scope="module")
def ctx():
    return sections.start(PARAMS, None, notebook="test")


def test_every_block_is_produced_on_the_demo_world(ctx):
    """Each notebook, run on the demo world, shows exactly its blocks, each with a table or
    a figure."""
    cat = catalogue()
    n = 0
    for nb, fns in sections.BLOCKS.items():
        blocks, _ = shown_blocks(nb, ctx)
        assert [b.key for b in blocks] == [b.key for b in blocks if b.title_key in cat]
        assert len(blocks) == len(fns), nb
        for b in blocks:
            assert isinstance(b, Block), nb
            assert not hasattr(b, "unavailable")
            if b.section != "summary":  # the summary reads the other notebooks' saved blocks
                assert b.tables or b.figures, f"{nb}: {b.key} produced no table or figure"
                for tab in b.tables:
                    assert len(tab.data) > 0, (b.key, tab.name)
            n += 1
    assert n == sum(len(fns) for fns in sections.BLOCKS.values())


def test_notebooks_call_exactly_the_blocks():
    """Each notebook imports its own sections module and calls its blocks in order."""
    for nb, fns in sections.BLOCKS.items():
        src = (ROOT / "notebooks" / f"{nb}.py").read_text()
        module = fns[0].__module__.rsplit(".", 1)[1]
        assert f"from kassaki_eval.reporting.sections import {module} as " in src, nb
        names = {f.__name__ for f in fns}
        called = [n for n in re.findall(r"\b[A-Z]\w*\.(\w+)\(", src) if n in names]
        assert called == [f.__name__ for f in fns], nb


def test_no_dynamic_imports_in_reporting_sections():
    files = sorted((ROOT / "kassaki_eval" / "reporting" / "sections").glob("*.py"))
    files += [ROOT / "kassaki_eval" / "reporting" / f for f in ("context.py", "blocks.py",
                                                                "html.py")]
    bad = []
    for p in files:
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "importlib" in names:
                    bad.append((p.name, node.lineno, "importlib"))
            if isinstance(node, ast.Name) and node.id == "__import__":
                bad.append((p.name, node.lineno, "__import__"))
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                if caught & {"ImportError", "ModuleNotFoundError", "AttributeError"}:
                    bad.append((p.name, node.lineno, "except " + "/".join(sorted(caught))))
    assert bad == []


_PROBE = r"""
import importlib, sys
cases = [("kassaki_eval.targeting", "targeting_accuracy"), ("kassaki_eval.poverty", "change"),
         ("kassaki_eval.impact.staggered", "callaway_santanna"),
         ("kassaki_eval.impact.did", "twfe")]
for mod, name in cases:
    for m in [k for k in sys.modules if k.startswith("kassaki_eval.reporting.sections")]:
        del sys.modules[m]
    lib = importlib.import_module(mod)
    saved = getattr(lib, name)
    delattr(lib, name)
    try:
        import kassaki_eval.reporting.sections
    except ImportError as e:
        assert name in str(e), e
        print("FAILED LOUDLY", mod, name)
    else:
        print("SILENT", mod, name)
    setattr(lib, name, saved)
"""


def test_a_missing_library_name_fails_loudly():
    """Delete a library function the report uses: importing the sections must fail."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 4 and all(x.startswith("FAILED LOUDLY") for x in lines), out.stdout


@pytest.fixture(scope="module")
def nb4(ctx):
    """Notebook 4 executed on the test context: its blocks and its namespace."""
    return shown_blocks("04_impact", ctx)


def test_report_verdict_is_verdict_from_survey(ctx, nb4):
    """One panel builder: the report's verdict and the library's agree to rounding."""
    rep = nb4[1]["verdict"]
    lines = {int(y): ctx.poverty_line("total", int(y)) for y in ctx.survey["year"].unique()}
    lib = verdict_from_survey(ctx.survey, lines=lines, year=ctx.params.year, rollout=ctx.rollout)
    np.testing.assert_allclose(rep.estimates, lib.estimates, rtol=1e-12)
    np.testing.assert_allclose(rep.std_errors, lib.std_errors, rtol=1e-12)
    lib2 = verdict_from_survey(ctx.survey, lines=lines, year=ctx.params.year)  # survey cohorts
    np.testing.assert_allclose(rep.std_errors, lib2.std_errors, rtol=1e-12)


def test_impact_fits_repeat_the_main_fit(ctx, nb4, monkeypatch):
    """The other outcomes and the components are fitted once each, with the main fit's
    options; the main fit itself is reused (not refitted) and the event study draws on it."""
    ns = nb4[1]
    calls = []
    real = impact.callaway_santanna
    monkeypatch.setattr(impact, "callaway_santanna",
                        lambda *a, **k: calls.append(k) or real(*a, **k))
    vp, main = ns["panel"], ns["cs_poor"]
    fits = impact.impact_fits(vp, main=main, components=ctx.view.components)
    assert fits["all", "poor", "cs_did"] is main
    n_comp = sum(1 for c in ctx.view.components if (vp[f"first_{c}"] > 0).any())
    assert [k["y"] for k in calls].count("poor") == n_comp
    assert len(calls) == len(impact.IMPACT_OUTCOMES) - 1 + 2 * n_comp
    for k in calls:
        assert (k["control"], k["method"], k["weights"]) == ("never", "dr", "pop_weight")


def test_docx_and_pdf_from_the_saved_blocks(ctx, tmp_path):
    """Issue 14: an editable docx per language from the same blocks as the HTML, and a PDF
    typeset from the same blocks (the text, with the verdict sentence, is extractable); the
    docx converts in LibreOffice when it is installed."""
    import shutil as _shutil

    import docx

    from kassaki_eval.reporting.blocks import load_blocks
    from kassaki_eval.reporting.documents import docx_to_pdf, soffice_path, write_docx
    from kassaki_eval.reporting.i18n import t
    from kassaki_eval.reporting.typeset import write_report_pdf

    results = tmp_path / "run" / "_work" / "results"
    ctx.run_dir = tmp_path / "run"  # ctx.show saves every block; the summary reads them
    try:
        for nb in sections.BLOCKS:
            ctx.notebook, ctx._order = nb, 0
            shown_blocks(nb, ctx)
    finally:
        ctx.run_dir, ctx.notebook = None, "test"
    blocks = load_blocks(results)
    verdict = next(m for m in blocks if m["key"] == "nb4.verdict")
    vkey, vvals = next((k, v) for k, v in verdict["sentences"] if ".verdict.verdict" in k)
    for lang in ("id", "en"):
        path = write_docx(blocks, results, tmp_path / f"r_{lang}.docx", lang, title="T",
                          subtitle_lines=["S"], footer="F")
        d = docx.Document(str(path))
        text = "\n".join(p.text for p in d.paragraphs)
        sentence = t(vkey, lang, **vvals)
        assert sentence in text
        # executive summary first, appendix last, numbered once
        heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
        assert heads[0] == t("nb.executive", lang)
        assert heads[1].startswith("1. ") and heads[-1].startswith(t("nb.appendix", lang) + " A.")
        # notebook 4's robustness blocks open the chapter right after the impact chapter
        names = [h.split(". ", 1)[-1] for h in heads]
        assert names.index(t("nb.04_robustness", lang)) == names.index(t("nb.04_impact", lang)) + 1
        n_tables = sum(len(m["tables"]) for m in blocks)
        assert len(d.tables) == n_tables
        assert len(d.inline_shapes) == sum(len(m["figures"]) for m in blocks)
        # the same display text as the HTML: locale number formats
        p0 = next(v["value"] for m in blocks for k, v in m["numbers"].items() if k == "p0")
        shown = f"{100 * p0:.1f}%"
        assert (shown.replace(".", ",") if lang == "id" else shown) in "\n".join(
            c.text for tb in d.tables for r in tb.rows for c in r.cells)
        # the PDF, typeset by Typst from the same blocks: the verdict in both languages
        pdf = write_report_pdf(blocks, results, tmp_path / f"r_{lang}.pdf", lang, title="T",
                               subtitle_lines=["S"], footer="F")
        assert pdf.read_bytes().startswith(b"%PDF-")
        if _shutil.which("pdftotext") is not None:
            out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                 text=True, check=True).stdout
            assert " ".join(sentence.split()) in " ".join(out.split())
        # the docx opens in LibreOffice too (when installed): it converts without error
        if soffice_path() is not None and lang == "en":
            assert docx_to_pdf(path) is not None


def test_cost_chapter_gives_no_central_ratio_when_poverty_rose():
    # an estimated change of +0.3 points (poverty up), interval -1.2 to +1.8: the chapter says
    # "at least ... per point, or no reduction" without a (negative) central cost per point
    import warnings as _w

    from kassaki_eval.exceptions import EstimationWarning as _EW
    from kassaki_eval.impact import cost_effectiveness, separability_table
    from kassaki_eval.reporting.html import render_block
    from kassaki_eval.reporting.sections import cost as C, start
    import pandas as pd

    from kassaki_eval.results import EstimateResult

    ctx = start({"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05}}, None,
                notebook="test")
    eff = EstimateResult(pd.DataFrame({
        "term": ["attributable_change"], "estimate": [0.003], "std_error": [0.0077],
        "statistic": [0.39], "p_value": [0.7], "conf_low": [-0.012], "conf_high": [0.018],
        "n_obs": [100]}), method="test", alpha=0.05, own_intervals=True)
    with _w.catch_warnings():
        _w.simplefilter("ignore", _EW)
        ce = cost_effectiveness(4e10, eff, persons=300_000)
    b = C.cost_effectiveness_block(ctx, effectiveness=ce,
                                   separability=separability_table(ctx.rollout))
    assert b.sentences[0][0] == "nb5.cost.ratios.unbounded_no_point"
    assert b.numbers["cost_per_point"]["value"] is None  # a missing key result, not negative
    html = render_block(b, ["id", "en"], None)
    assert "Rp-" not in html and "-Rp" not in html
    assert "no central estimate of the cost per point" in html
    # by hand: 4e10 / (100 x 0.012) per point, 4e10 / (300,000 x 0.012) per person
    assert "at least Rp33,333,333,333 per point (Rp11,111,111 per person)" in html
