"""Run a report notebook's code in this process, on a given context (for the section tests).

The notebooks are the report's code path: the tests take the blocks a notebook shows instead of
re-assembling them from the section modules (which could drift from the notebook). A kernel
run (nbclient) is tested per notebook in ``test_notebook_<nn>.py``; here the cells run with
``exec`` so one context (one synthetic world) serves every notebook.
"""
from __future__ import annotations

import contextlib
import importlib
import pkgutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jupytext

from kassaki_eval.reporting import sections
from kassaki_eval.reporting.blocks import Block

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def code_cells(name: str, replace: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The code cells of ``notebooks/<name>.py``, after the textual replacements (each must hit)."""
    src = (NOTEBOOKS / f"{name}.py").read_text()
    for old, new in replace:
        assert old in src, f"{name}: {old!r} not in the notebook"
        src = src.replace(old, new)
    nb = jupytext.reads(src, fmt="py:percent")
    return [c.source for c in nb.cells if c.cell_type == "code"]


@contextlib.contextmanager
def _started(ctx: Any) -> Iterator[None]:
    """Every report sections module's ``start`` returns ``ctx`` (the notebook's first call)."""
    mods = [importlib.import_module(f"{sections.__name__}.{m.name}")
            for m in pkgutil.iter_modules(sections.__path__) if not m.name.startswith("_")]
    mods = [m for m in mods if hasattr(m, "start")]
    saved = [(m, m.start) for m in mods]
    for m in mods:
        m.start = lambda *a, **k: ctx
    try:
        yield
    finally:
        for m, f in saved:
            m.start = f


def shown_blocks(name: str, ctx: Any, replace: Sequence[tuple[str, str]] = ()
                 ) -> tuple[list[Block], dict[str, Any]]:
    """Execute notebook ``name`` on ``ctx``; return the blocks it shows and its namespace.

    ``ctx.show`` still saves the blocks when the context has a run folder.
    """
    shown: list[Block] = []
    real_show = ctx.show

    def show(block: Block) -> None:
        shown.append(block)
        real_show(block)

    ns: dict[str, Any] = {"__name__": f"notebook_{name}"}
    ctx.show = show
    try:
        with _started(ctx):
            for src in code_cells(name, replace):
                exec(compile(src, f"{name}.py", "exec"), ns)
    finally:
        del ctx.show
    return shown, ns
