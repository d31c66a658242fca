"""The annual evaluation report.

Parameterised notebooks run by papermill, published as bilingual HTML, a formatted workbook,
CSVs and a manifest.

Modules: :mod:`.params` (validated parameters), :mod:`.runner` (``run_report``, the pipeline),
:mod:`.sections` (the analysis the notebooks call, one module per notebook), :mod:`.context`
(the notebook context),
:mod:`.blocks` (tables, figures, key numbers), :mod:`.i18n` + ``messages.toml`` (both
languages), :mod:`.html`, :mod:`.excel`, :mod:`.manifest`, :mod:`.disclosure`,
:mod:`.inputs`, :mod:`.cli` (``kassaki-eval report``).

Example
-------
>>> from kassaki_eval.reporting import run_report                      # doctest: +SKIP
>>> paths = run_report({"year": 2025, "source": {"scale": 0.1}})        # doctest: +SKIP
>>> print(paths.html["id"], paths.xlsx["en"], paths.manifest)          # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

__all__ = ["run_report", "ReportParams", "validate_params"]


def __getattr__(name: str) -> Any:
    # lazy: `kassaki-eval --help` must not import papermill and friends
    if name == "run_report":
        from .runner import run_report
        return run_report
    if name in ("ReportParams", "validate_params"):
        from . import params
        return getattr(params, name)
    raise AttributeError(f"module 'kassaki_eval.reporting' has no attribute {name!r}")
