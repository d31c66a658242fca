"""Notebook 4 (impact) shows its analysis: it runs by hand, and a researcher's edit carries.

(1) The notebook runs in a fresh kernel with nbclient, as in JupyterLab (``run_dir=None``), on a
small demo world. (2) A researcher changes the control group of the main Callaway-Sant'Anna call
in the cell text (``control="never"`` -> ``control="notyet"``): the re-run notebook displays a
different ATT, equal to a direct ``callaway_santanna`` call with the changed option, and the
other outcomes follow the main call's options.
"""
from __future__ import annotations

from pathlib import Path

import jupytext
import nbclient
import numpy as np
import pytest
from notebook_exec import NOTEBOOKS, shown_blocks

from kassaki_eval.impact import aggregate, callaway_santanna, evaluation_panel
from kassaki_eval.reporting.sections import impact as S

PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05}, "k_suppress": 20}


def test_notebook_04_runs_by_hand(tmp_path: Path) -> None:
    nb = jupytext.read(NOTEBOOKS / "04_impact.py")
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "run_dir = None" in params.source
    params.source = f"report_params = {PARAMS!r}\nrun_dir = None"
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outs if o.get("output_type") == "error"]
    html = "".join("".join(o["data"]["text/html"]) for o in outs
                   if "text/html" in o.get("data", {}))
    for key in ("nb4.estimates", "nb4.verdict"):
        assert f'data-block="{key}"' in html


@pytest.fixture(scope="module")
def ctx():
    return S.start(PARAMS, None, notebook="04_impact")


def _att(blocks) -> float:
    est = next(b for b in blocks if b.key == "nb4.estimates")
    return est.numbers["att_poor_cs"]["value"]


def test_researchers_change_of_control_group(ctx) -> None:
    before, _ = shown_blocks("04_impact", ctx)
    after, ns = shown_blocks("04_impact", ctx, replace=[('control="never"', 'control="notyet"')])
    lines = {int(y): ctx.poverty_line("total", int(y)) for y in ctx.survey["year"].unique()}
    vp = evaluation_panel(ctx.survey, lines=lines, outcomes=S.IMPACT_OUTCOMES,
                          rollout=ctx.rollout, as_of=2025)
    direct = {c: aggregate(callaway_santanna(vp, y="poor", unit="village_code", time="year",
                                             cohort="cohort", control=c, method="dr",
                                             weights="pop_weight"), "simple")["ATT"]
              for c in ("never", "notyet")}
    assert direct["never"] != pytest.approx(direct["notyet"], abs=1e-6)  # the change matters
    assert _att(before) == pytest.approx(direct["never"], rel=1e-12)
    assert _att(after) == pytest.approx(direct["notyet"], rel=1e-12)
    # the displayed sentence and table follow; the other outcomes use the changed option too
    est = next(b for b in after if b.key == "nb4.estimates")
    assert dict(est.sentences)["nb4.estimates.sentence"]["att"] == pytest.approx(direct["notyet"])
    tab = est.tables[0].data.set_index(["component", "outcome", "method"])
    cons = aggregate(callaway_santanna(vp, y="log_consumption_pc", unit="village_code",
                                       time="year", cohort="cohort", control="notyet",
                                       method="dr", weights="pop_weight"), "simple")["ATT"]
    np.testing.assert_allclose(tab.loc[("all", "log_consumption_pc", "cs_did"), "estimate"],
                               cons, rtol=1e-12)
    assert ns["fits"]["all", "employed", "cs_did"].provenance.options["control"] == "notyet"
