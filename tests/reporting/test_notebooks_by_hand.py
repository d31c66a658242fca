"""Every report notebook runs by hand, as a researcher runs it in JupyterLab (issue 17).

Each ``notebooks/0[1-5]_*.py`` (whatever its current version: other notebooks' owners change
them) is read as a notebook and executed top to bottom with nbclient in a fresh kernel, with
``run_dir = None`` (no report command: the context makes the demo world itself and saves
nothing) and a small demo world. The only change is the one a researcher makes by hand: the
``source`` of ``report_params`` in the parameters cell gets a small ``scale``. A cell that
raises fails the test with its traceback; the notebook must have shown something.

Through ``kassaki-eval report`` (papermill, ``run_dir`` set) the notebooks are exercised by
``test_pipeline.py``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import nbclient
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[1-5]_*.py"))
SCALE = 0.05


def test_there_are_five_report_notebooks() -> None:
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"], NOTEBOOKS


def _by_hand(path: Path) -> object:
    """The notebook with its parameters cell as a researcher would leave it: a small world."""
    nb = jupytext.read(path)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: one cell tagged 'parameters'"
    cell = cells[0]
    tree = ast.parse(cell.source)
    values = {t.id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
              for t in n.targets if isinstance(t, ast.Name)}
    assert values.get("run_dir", "missing") is None, f"{path.name}: run_dir = None by hand"
    params = dict(values["report_params"])
    params["source"] = {**params.get("source", {"kind": "demo"}), "scale": SCALE}
    values["report_params"] = params
    cell.source = "".join(f"{k} = {v!r}\n" for k, v in values.items())
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_by_hand(path: Path, tmp_path: Path) -> None:
    nb = _by_hand(path)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError (with the traceback) if a cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = [o for o in outputs if "text/html" in o.get("data", {})]
    assert shown, f"{path.name} showed no block"
    assert not list(tmp_path.rglob("*.parquet")), "run by hand, nothing is saved"
