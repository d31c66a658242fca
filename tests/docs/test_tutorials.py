"""Every tutorial notebook in ``notebooks/tutorials/`` runs from top to bottom.

Each jupytext text file is read as a notebook and executed in a fresh kernel with nbclient
(the kernel inherits ``PYTHONPATH``, so the checked-out package is the one imported). A cell
that raises fails the test with the cell and the traceback, and so does a call of a deprecated
API from the tutorial itself. The execution time of each
notebook and the total are printed in the terminal summary (``tests/conftest.py``).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import jupytext
import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = sorted((ROOT / "notebooks" / "tutorials").glob("[0-9]*.py"))
#: Tutorials that take more than about a minute on 2 shared cores: run with ``make test-slow``.
SLOW: frozenset[str] = frozenset({"06_power_diagnosis"})  # Monte Carlo design diagnosis


#: A call of a library plot function (``plot_event_study(``, ``rd_plot(``, ``.plot()`` of a
#: design diagnosis, ...), not its import.
PLOT_CALL = re.compile(r"\b(?:plot_\w+|rd_plot|love_plot|overlap_plot|targeting_curve|"
                       r"performance_triangle)\(|\.plot\(\)")


def test_tutorials_exist() -> None:
    names = {p.stem for p in TUTORIALS}
    assert {"01_poverty_en", "01_poverty_id"} <= names, sorted(names)
    assert len(TUTORIALS) >= 8, sorted(names)


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in SLOW else [])
             for p in TUTORIALS])
def test_tutorial_executes(path: Path, tmp_path: Path, record_property) -> None:  # noqa: ANN001
    nb = jupytext.read(path)
    assert nb.cells and nb.cells[0].cell_type == "markdown", "a tutorial opens with its question"
    # a tutorial teaches the current API: a DeprecationWarning raised at one of its own calls
    # (attributed to the notebook, module __main__) fails the test
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import warnings\nwarnings.filterwarnings('error', category=DeprecationWarning, "
        "module='__main__')"))
    t0 = time.perf_counter()
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    record_property("tutorial_seconds", round(time.perf_counter() - t0, 1))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors[:1]
    # a cell that calls one of the library's plot functions shows its figure (an image output):
    # rd_plot used to switch the notebook's backend to Agg, and tutorial 04's plot had no image
    blank = [c.source for c in nb.cells if c.cell_type == "code" and PLOT_CALL.search(c.source)
             and not any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert not blank, blank[:1]
