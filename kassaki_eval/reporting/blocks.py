"""The structured pieces a report section produces: tables, figures, sentences, key numbers.

Section functions (:mod:`kassaki_eval.reporting.sections`) return a :class:`Block`. The
notebook displays it (:mod:`.html`) and saves it as structured data (JSON + Parquet + PNG)
in the run folder; the runner then builds the xlsx, the CSVs, the manifest and the
year-over-year comparison from those files, never by scraping HTML.

Every :class:`Table` passes disclosure control when it is built (:meth:`Table.build`).
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import ReportError
from . import disclosure

__all__ = ["Table", "Figure", "Block", "save_block", "load_blocks", "render_figure"]

_NAME_RE = re.compile(r"^[a-z0-9_]{1,31}$")


@dataclass
class Table:
    """One published table.

    Attributes
    ----------
    name : str
        Sheet and CSV name: lower-case ``[a-z0-9_]``, at most 31 characters, unique in a report.
    data : DataFrame
        The published values (after disclosure control).
    formats : mapping
        Column -> number format of :func:`kassaki_eval.reporting.i18n.fmt` (``pct``, ``rp``…).
    title_key : str
        Catalogue key of the table title. Column headers use ``col.<column>``; text values
        of the columns in ``translate`` use ``val.<column>.<value>``.
    n_suppressed : int
        Rows suppressed by the small-cell rule.
    """

    name: str
    data: pd.DataFrame
    formats: dict[str, str]
    title_key: str
    note_key: str | None = None
    translate: tuple[str, ...] = ()
    n_suppressed: int = 0
    count_col: str | None = None

    @classmethod
    def build(cls, name: str, data: pd.DataFrame, *, title_key: str, k: int,
              count_col: str | None, formats: Mapping[str, str] | None = None,
              note_key: str | None = None, translate: Sequence[str] = (),
              value_cols: Sequence[str] | None = None) -> Table:
        """Apply disclosure control and the identifier check, then wrap.

        ``count_col`` names the unweighted household count behind each row; ``None`` only
        for tables that are not about households (parameters, file hashes, manifests).
        """
        if not _NAME_RE.match(name):
            raise ReportError(f"table name {name!r} must match [a-z0-9_]{{1,31}} (it becomes an "
                              f"Excel sheet name).")
        n_sup = 0
        if count_col is not None:
            data = disclosure.suppress_small_cells(data, count_col=count_col, k=k,
                                                   value_cols=value_cols)
            n_sup = int(data["suppressed"].sum())
        disclosure.check_publishable(data, name)
        data = data.reset_index(drop=True)
        fm = {c: "text" for c in data.columns}
        fm.update(formats or {})
        if "suppressed" in data.columns:
            fm["suppressed"] = "text"
        return cls(name=name, data=data, formats=fm, title_key=title_key, note_key=note_key,
                   translate=tuple(translate), n_suppressed=n_sup, count_col=count_col)

    def filtered(self, column: str, keep: Sequence[str]) -> Table:
        """The same table restricted to rows whose ``column`` is in ``keep`` (partner views)."""
        if column not in self.data.columns:
            return self
        # "all" rows are programme-wide: every partner sees them
        d = self.data[self.data[column].isin([*keep, "all"])].reset_index(drop=True)
        return Table(self.name, d, dict(self.formats), self.title_key, self.note_key,
                     self.translate, self.n_suppressed, self.count_col)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], data: pd.DataFrame) -> Table:
        """The table again from its saved :meth:`meta` and data.

        No disclosure step: the saved data passed it when the table was built.
        """
        return cls(name=meta["name"], data=data, formats=meta["formats"],
                   title_key=meta["title_key"], note_key=meta["note_key"],
                   translate=tuple(meta["translate"]), n_suppressed=meta["n_suppressed"],
                   count_col=meta["count_col"])

    def meta(self) -> dict[str, Any]:
        """JSON-ready description of the table (formats, keys, suppression)."""
        return {"name": self.name, "formats": self.formats, "title_key": self.title_key,
                "note_key": self.note_key, "translate": list(self.translate),
                "n_suppressed": self.n_suppressed, "count_col": self.count_col,
                "rows": int(len(self.data)), "columns": [str(c) for c in self.data.columns]}


@dataclass
class Figure:
    """A figure rendered once per language: SVG text (HTML) and 200-dpi PNG bytes (docx)."""

    name: str
    png: dict[str, bytes]
    caption_key: str
    svg: dict[str, str] = field(default_factory=dict)


def _tight_bbox(fig: Any, dpi: float = 200) -> Any:
    """What ``savefig(bbox_inches="tight")`` crops to, computed once for several formats.

    The same steps as matplotlib's ``print_figure``: a layout pass without rendering, then the
    figure's tight box padded by ``savefig.pad_inches``. The box is in inches, so one box
    serves the 200-dpi PNG and the SVG alike.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg

    # text extents depend on the dpi (hinting): measure at the PNG's 200 dpi, like savefig
    renderer = RendererAgg(fig.bbox.width / fig.dpi * dpi, fig.bbox.height / fig.dpi * dpi, dpi)
    old = fig.dpi
    fig.dpi = dpi
    try:
        with renderer._draw_disabled():  # type: ignore[attr-defined]
            fig.draw(renderer)
        box = fig.get_tightbbox(renderer)
    finally:
        fig.dpi = old
    pad = matplotlib.rcParams["savefig.pad_inches"]
    return box.padded(pad, pad)


def render_figure(name: str, caption_key: str, languages: Sequence[str],
                  draw: Callable[[str], Any]) -> Figure:
    """Call ``draw(lang)`` (returns a matplotlib Figure) per language; keep SVG and PNG.

    SVG (vector) is for HTML and PDF, PNG at 200 dpi (the SVG rasterised by Typst,
    :func:`.typeset.svg_to_png`) for docx. The SVG is written without a date and with a fixed
    id salt, so the same data give byte-identical images.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    from .typeset import svg_to_png

    pngs: dict[str, bytes] = {}
    svgs: dict[str, str] = {}
    with matplotlib.rc_context({"svg.hashsalt": f"kassaki-{name}", "svg.fonttype": "path"}):
        for lang in languages:
            fig = draw(lang)
            bbox = _tight_bbox(fig)  # measured at 200 dpi, as savefig's "tight" for the PNG
            sbuf = io.StringIO()
            fig.savefig(sbuf, format="svg", bbox_inches=bbox, metadata={"Date": None})
            plt.close(fig)
            svgs[lang] = sbuf.getvalue()
            # the PNG is the same SVG rasterised (Typst/resvg): a third of a second Agg pass
            pngs[lang] = svg_to_png(svgs[lang], dpi=200)
    return Figure(name=name, png=pngs, caption_key=caption_key, svg=svgs)


@dataclass
class Block:
    """What one report section returns.

    ``sentences`` are ``(catalogue key, values)`` pairs rendered per language; ``numbers`` are
    the key results collected by the summary and the year-over-year comparison
    (name -> number or string). ``lists`` are bulleted lists: ``(heading key, [(key,
    values), ...])``.
    """

    key: str
    section: str
    title_key: str
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    sentences: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)
    lists: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = field(default_factory=list)
    intro_key: str | None = None


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", key)


def save_block(block: Block, results_dir: Path, notebook: str, order: int = 0) -> None:
    """Write ``block`` as JSON + Parquet + PNG under ``results_dir/<notebook>/``."""
    d = Path(results_dir) / notebook
    d.mkdir(parents=True, exist_ok=True)
    for tab in block.tables:
        tab.data.to_parquet(d / f"{tab.name}.parquet", index=False)
    for fig in block.figures:
        for lang, png in fig.png.items():
            (d / f"{fig.name}.{lang}.png").write_bytes(png)
        for lang, svg in fig.svg.items():
            (d / f"{fig.name}.{lang}.svg").write_text(svg, encoding="utf-8")
    meta = {
        "key": block.key, "section": block.section, "title_key": block.title_key,
        "intro_key": block.intro_key,
        "notebook": notebook, "order": order,
        "numbers": _jsonable(block.numbers),
        "sentences": [[k, _jsonable(v)] for k, v in block.sentences],
        "lists": [[h, [[k, _jsonable(v)] for k, v in items]] for h, items in block.lists],
        "tables": [t.meta() for t in block.tables],
        "figures": [{"name": f.name, "caption_key": f.caption_key, "languages": sorted(f.png)}
                    for f in block.figures],
    }
    # insertion order (not sorted): the summary lists key numbers in the order sections made them
    (d / f"{_safe(block.key)}.json").write_text(json.dumps(meta, indent=1))


def _jsonable(v: Any) -> Any:
    import numpy as np
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if f != f else f
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def load_blocks(results_dir: Path, notebooks: Sequence[str] | None = None
                ) -> list[dict[str, Any]]:
    """Every saved block's metadata (JSON), with its tables loaded as DataFrames.

    Order: notebook name, then the order the notebook saved them (file modification is not
    used; the ``order`` field written by the context is). ``notebooks``: only the blocks
    of these notebooks (default: all).
    """
    out = []
    files = sorted(Path(results_dir).glob("*/*.json"))
    if notebooks is not None:
        files = [j for j in files if j.parent.name in set(notebooks)]
    for j in files:
        meta = json.loads(j.read_text())
        meta["tables_data"] = {t["name"]: pd.read_parquet(j.parent / f"{t['name']}.parquet")
                               for t in meta["tables"]}
        out.append(meta)
    out.sort(key=lambda m: (m["notebook"], m.get("order", 0)))
    return out
