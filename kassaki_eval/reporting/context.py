"""The notebook-side context: validated parameters, the analysis tables, display and saving.

A report notebook starts with ``ctx = S.start(report_params, run_dir, "02_poverty")`` (``S``
its module of :mod:`kassaki_eval.reporting.sections`) and then only calls
``ctx.show(S.something(ctx))``. ``show`` renders the block in every
requested language and saves it as structured data for the runner.

Run by hand in JupyterLab (``run_dir=None``), the context makes the data itself (in memory)
and saves nothing.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from .. import reference
from .blocks import Block, save_block
from .inputs import PreparedInputs, as_of, prepare_inputs, read_prepared
from .params import PartnerView, ReportParams, validate_params
from .warnfmt import use_plain_warnings

__all__ = ["Context", "start", "WORK", "DATA", "RESULTS"]

_T = TypeVar("_T")

WORK = "_work"            # private folder inside the temporary run folder; never published
DATA = "data"             # analysis tables (Parquet) for the kernels
RESULTS = "results"       # structured results saved by the notebooks


class Context:
    """Everything a report notebook needs. Build it with :func:`start`."""

    def __init__(self, params: ReportParams, prepared: PreparedInputs, run_dir: Path | None,
                 notebook: str):
        self.params = params
        self.prepared = prepared
        self.run_dir = run_dir
        self.notebook = notebook
        self.view = PartnerView(params.partner)
        self.languages: tuple[str, ...] = tuple(params.languages)
        self._order = 0
        self.villages = reference.villages()
        self.kecamatan = reference.kecamatan()
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, build: Callable[[], _T]) -> _T:
        """``build()`` once per context: a panel or a fit several blocks of a notebook use."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    # -- data ------------------------------------------------------------------------------
    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """The prepared analysis tables, by name."""
        return self.prepared.tables

    @property
    def registry(self) -> pd.DataFrame:
        """The prepared registry table."""
        return self.prepared.tables["registry"]

    @property
    def survey(self) -> pd.DataFrame:
        """The prepared survey table (all waves)."""
        return self.prepared.tables["survey"]

    @property
    def participation(self) -> pd.DataFrame:
        """The prepared participation table."""
        return self.prepared.tables["participation"]

    @property
    def rollout(self) -> pd.DataFrame:
        """The prepared rollout table."""
        return self.prepared.tables["rollout"]

    @property
    def is_demo(self) -> bool:
        """Whether the report runs on the synthetic demo world."""
        return self.params.source.kind == "demo"

    @property
    def k(self) -> int:
        """Small-cell threshold: rows from fewer households are suppressed."""
        return self.params.k_suppress

    @property
    def results_dir(self) -> Path | None:
        """Folder the notebooks' result tables go to (None outside a run)."""
        return None if self.run_dir is None else self.run_dir / WORK / RESULTS

    def poverty_line(self, kind: str = "total", year: int | None = None) -> float:
        """The line in force: the parameter if given, else the reference line of ``year``."""
        y = self.params.year if year is None else year
        given = self.params.poverty_line if kind == "total" else self.params.extreme_line
        if given is not None and y == self.params.year:
            return float(given)
        return reference.poverty_line(y, kind)

    def kec_names(self) -> dict[str, str]:
        """Kecamatan name by code."""
        k = self.kecamatan
        code = "kec_kemendagri" if "kec_kemendagri" in k.columns else k.columns[0]
        name = "kecamatan" if "kecamatan" in k.columns else "name"
        return dict(zip(k[code].astype(str), k[name].astype(str), strict=False))

    # -- output ----------------------------------------------------------------------------
    def show(self, block: Block) -> Any:
        """Display ``block`` (every language) and save it as structured data.

        Sections outside the partner view are saved (same numbers everywhere) but not shown.
        """
        from IPython.display import HTML, display

        from .html import render_block

        self._order += 1
        if self.results_dir is not None:
            save_block(block, self.results_dir, self.notebook, order=self._order)
        if block.section != "meta" and not self.view.shows(block.section):
            return None
        display(HTML(render_block(block, self.languages, self.view.components)))
        return None

    def saved_blocks(self) -> list[dict[str, Any]]:
        """Blocks saved so far by every notebook of this run (for the summary)."""
        from .blocks import load_blocks
        if self.results_dir is None or not self.results_dir.exists():
            return []
        return load_blocks(self.results_dir)


def start(report_params: Mapping[str, Any] | ReportParams, run_dir: str | Path | None = None,
          notebook: str = "interactive") -> Context:
    """Validate the parameters and load the analysis tables; return the :class:`Context`.

    Example
    -------
    >>> ctx = start({"year": 2025, "source": {"kind": "demo", "scale": 0.05}})  # doctest: +SKIP
    """
    params = validate_params(report_params, owner=f"notebook {notebook}")
    rd = Path(run_dir) if run_dir else None
    import matplotlib
    matplotlib.use("Agg")  # figures are rendered to PNG by the library, never shown inline
    warnings.filterwarnings("default")
    if rd is not None:  # a report run: published notebooks show no machine paths
        use_plain_warnings()
    if rd is not None and (rd / WORK / DATA / "inputs.json").is_file():
        prepared = read_prepared(rd / WORK / DATA)
    else:
        prepared = prepare_inputs(params)
    prepared.tables = as_of(prepared.tables, params.year)
    return Context(params, prepared, rd, notebook)


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())
