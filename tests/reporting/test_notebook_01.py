"""Notebook 1 (data quality) shows its checks, and a researcher's change reaches the report.

Run by hand (``run_dir = None``) like every report notebook in test_notebooks_by_hand.py;
here the researcher tightens the linkage rule in the visible call
``min_linkage = MIN_LINKAGE`` (used by ``cross_table_problems`` and by the block) and re-runs:
the block must list the
problems a direct library call finds with the same option, and the number of problems.
"""
from __future__ import annotations

import html
from pathlib import Path

import jupytext
import nbclient

from kassaki_eval.data import MIN_LINKAGE, cross_table_problems
from kassaki_eval.reporting.i18n import t
from kassaki_eval.reporting.sections import data_quality as S

ROOT = Path(__file__).resolve().parents[2]
NB = ROOT / "notebooks" / "01_data_quality.py"
PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 2024, "scale": 0.05}}
CALL = "cross_table_problems(ctx.tables, year=p.year, min_linkage=min_linkage)"
OPTION = "min_linkage = MIN_LINKAGE"


def _run(src: str, tmp_path: Path) -> str:
    nb = jupytext.reads(src, fmt="py:percent")
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return "\n".join(o["data"]["text/html"] for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if "text/html" in o.get("data", {}))


def test_the_checks_are_visible_calls() -> None:
    src = NB.read_text()
    assert CALL in src and OPTION in src
    assert "S.linkage_table(ctx.tables)" in src
    assert "Developer note" not in src


def test_a_stricter_linkage_rule_is_reported(tmp_path: Path) -> None:
    src = NB.read_text()
    src = src.replace('report_params = {"year": 2025, "source": {"kind": "demo", "seed": 2024, '
                      '"scale": 0.1}}', f"report_params = {PARAMS!r}")
    assert repr(PARAMS) in src, "the parameters cell changed: update this test"
    changed = src.replace(OPTION, "min_linkage = 1.01")
    shown = html.unescape(_run(changed, tmp_path))

    ctx = S.start(PARAMS, None, notebook="test")
    assert cross_table_problems(ctx.tables, year=2025, min_linkage=MIN_LINKAGE) == []
    direct = cross_table_problems(ctx.tables, year=2025, min_linkage=1.01)
    assert len(direct) == 2  # survey and participation: no table links 101 % of its ids
    sentence = t("nb1.checks.sentence", "en", min=1.01, n=len(direct))
    at = shown.find("Problems found")
    assert sentence in shown, shown[max(at - 400, 0):at + 40]
    for prob in direct:
        assert prob.rule in shown, prob.rule
