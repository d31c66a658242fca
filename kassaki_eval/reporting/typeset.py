"""PDF versions of the report and the village cards, typeset by Typst from the saved blocks.

The PDF is made from the same blocks as the HTML and the Word document (:mod:`.documents`),
not converted from the .docx: :func:`report_document` turns the blocks into display text
(tables through :func:`.html.table_view`, so numbers read exactly as in HTML, Word and xlsx;
chapters through :func:`.documents.report_plan`), and Typst lays it out with the templates
``templates/report.typ`` and ``templates/cards.typ``. Every text reaches Typst as JSON data
and is shown as a string, never read as markup, so no value from a table can change the layout.

Why Typst (``typst``, the Python binding of the Typst compiler): converting the two reports and
the two card bundles with LibreOffice took about 16 CPU seconds of a 45-second report; Typst
typesets them in well under one (``benchmarks/bench_report.py`` measures it), in-process, with
no office suite to install, figures as vectors (the SVGs of the HTML), and the same bytes for
the same inputs (no creation date, or the one ``SOURCE_DATE_EPOCH`` gives when it is set).
Fonts: only the DejaVu Sans files that matplotlib ships (system fonts are ignored), so the
PDF does not depend on what a machine has installed, and the table widths measured by
:func:`.docxtable.column_widths` (same font files) hold in both documents.

Example
-------
>>> from kassaki_eval.reporting.typeset import write_report_pdf  # doctest: +SKIP
>>> write_report_pdf(blocks, results_dir, out / "r.pdf", "en", title=..., ...)  # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import KassakiWarning, ReportError
from .blocks import Table
from .i18n import t

__all__ = ["TEXT_WIDTH_TWIPS", "LANDSCAPE_WIDTH_TWIPS", "table_layout_pdf", "FIGURE_WIDTH_CM",
           "fonts_dir", "compile_pdf", "report_document", "write_report_pdf",
           "cards_document", "write_cards_pdf", "svg_to_png"]

TEMPLATES = Path(__file__).with_name("templates")
#: A4 less 2 cm margins a side (17 cm), in twips: the width tables are laid out for
TEXT_WIDTH_TWIPS = round(17 / 2.54 * 1440)
#: width of a figure on the page (as in the Word document)
FIGURE_WIDTH_CM = 15.0
#: cell margin (twips, a side) of the Word style "Table Grid", used when the layout keeps it
_GRID_MARGIN = 108


def fonts_dir() -> Path:
    """The folder of the DejaVu fonts matplotlib ships: the only fonts the PDFs use.

    Found without importing matplotlib (the report's parent process does not need it).
    """
    import importlib.util
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ReportError("matplotlib is not installed: its DejaVu fonts typeset the PDFs. "
                          "Fix: make install (or pip install matplotlib).")
    return Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf"


@lru_cache(maxsize=1)
def _fonts() -> Any:
    import typst
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True,
                       font_paths=[str(fonts_dir())])


def svg_to_png(svg: str, dpi: float = 200) -> bytes:
    """Rasterise an SVG of matplotlib (text as paths) at ``dpi``, with Typst (resvg).

    The figures' PNG (for Word) is made from their SVG instead of a second matplotlib
    rendering: the same drawing, at about a third of the cost. The page is the SVG's own size
    (its ``width``/``height`` in pt), so the PNG has the pixel size Agg would give at ``dpi``.
    """
    import re

    import typst

    m = re.search(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', svg[:2000])
    if m is None:
        raise ReportError("svg_to_png needs an SVG with width and height in pt (as matplotlib "
                          "writes them).")
    w, h = m.groups()
    src = (f'#set page(width: {w}pt, height: {h}pt, margin: 0pt)\n'
           f'#image(bytes(sys.inputs.at("svg")), format: "svg", width: 100%, height: 100%)\n')
    out = typst.Compiler(font_paths=_fonts(), ignore_system_fonts=True).compile(
        input=src.encode(), format="png", ppi=dpi, sys_inputs={"svg": svg})
    assert isinstance(out, bytes)
    return out


def _timestamp() -> int | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        return int(epoch)
    except ValueError:
        raise ReportError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds. "
                          f"Fix: set it to a Unix time (e.g. 1735689600) or unset it.") from None


def compile_pdf(template: str, doc: Mapping[str, Any], path: Path, *,
                root: Path | None = None) -> Path:
    """Typeset ``doc`` (JSON-ready) with ``templates/<template>.typ``; write ``path``.

    ``root`` is the folder figure paths in ``doc`` are relative to (``/name.svg``). Typst's
    warnings (e.g. a missing glyph) are re-issued as :class:`KassakiWarning`; a Typst error
    becomes a :class:`ReportError` naming the template.
    """
    import typst

    src = (TEMPLATES / f"{template}.typ").read_bytes()
    path = Path(path)
    compiler = typst.Compiler(root=str(root or path.parent), font_paths=_fonts(),
                              ignore_system_fonts=True)
    # no creation date unless SOURCE_DATE_EPOCH gives one: Typst would stamp the current time,
    # and the same report would get other bytes (and another SHA-256 in the manifest) each run
    stamp = _timestamp()
    try:
        pdf, warns = compiler.compile_with_warnings(
            input=src, format="pdf",
            sys_inputs={"doc": json.dumps(doc, ensure_ascii=False, allow_nan=False),
                        "dated": "1" if stamp is not None else ""},
            timestamp=stamp)
    except typst.TypstError as e:
        raise ReportError(f"the PDF {path.name} could not be typeset ({template}.typ): "
                          f"{e.message}. Nothing was published.") from None
    assert isinstance(pdf, bytes)
    path.write_bytes(pdf)  # only a whole document is written
    for w in warns:
        warnings.warn(f"{path.name} ({template}.typ): {w.message}", KassakiWarning, stacklevel=2)
    return path


#: A4 landscape less 2 cm margins a side (25.7 cm), in twips: for tables too wide for portrait
LANDSCAPE_WIDTH_TWIPS = round(25.7 / 2.54 * 1440)


def table_layout_pdf(header: Sequence[str], body: Sequence[Sequence[str]]
                     ) -> tuple[float, list[int] | None, int, bool]:
    """Font size (pt), column widths and cell margin (twips), landscape? of a PDF table.

    As :func:`.documents.table_layout` (columns as wide as their contents, 9 / 8 / 7 pt, the
    style's cell margins, then narrow ones), but Typst does not break a word inside a cell the
    way Word does: a table whose words do not all fit across a portrait page is set on a
    landscape page, and failing that at 6 pt with the widths Typst chooses.
    """
    from .documents import NARROW_MARGIN
    from .docxtable import GRID_PAD, column_widths
    sizes = (9, 8, 7) if len(header) <= 7 else (8, 7)
    for total, landscape in ((TEXT_WIDTH_TWIPS, False), (LANDSCAPE_WIDTH_TWIPS, True)):
        for pad, margin in ((GRID_PAD, _GRID_MARGIN), (2 * NARROW_MARGIN, NARROW_MARGIN)):
            for pt in sizes:
                tw = column_widths(header, body, total, pt, pad=pad, whole_header_words=True)
                if tw is not None:
                    return float(pt), tw, margin, landscape
    return 6.0, None, NARROW_MARGIN, True


def _table_doc(view: Mapping[str, Any], rd: Callable[[str], str]) -> dict[str, Any]:
    from .documents import keep_rows
    header = [rd(h) for h in view["header"]]
    body = [[rd(c["text"]) for c in row["cells"]] for row in view["rows"]]
    size, tw, margin, landscape = table_layout_pdf(header, body)
    n = len(view["rows"])
    return {
        "title": rd(view["title"]), "header": header,
        "rows": [{"cells": [{"text": txt, "num": bool(c["num"])}
                            for txt, c in zip(texts, row["cells"], strict=True)],
                  "suppressed": bool(row["suppressed"])}
                 for texts, row in zip(body, view["rows"], strict=True)],
        "note": rd(view["notes"]),
        "size": size,
        "widths": None if tw is None else [w / 20 for w in tw],
        "inset": margin / 20,
        "landscape": landscape,
        # the Word rule (documents.keep_rows): a short table stays whole, with its note
        "keep": keep_rows(n, bool(view["notes"])) >= n,
    }


def _block_doc(m: Mapping[str, Any], results_dir: Path, lang: str,
               components: Sequence[str] | None, rd: Callable[[str], str]) -> dict[str, Any]:
    from .html import table_view
    figures = []
    for f in m.get("figures", []):
        for ext in ("svg", "png"):  # vector when the notebook saved one
            rel = Path(m["notebook"]) / f"{f['name']}.{lang}.{ext}"
            if (Path(results_dir) / rel).is_file():
                figures.append({"path": "/" + rel.as_posix(), "width": FIGURE_WIDTH_CM,
                                "caption": t(f["caption_key"], lang)})
                break
    tables = []
    for meta in m.get("tables", []):
        tab = Table.from_meta(meta, m["tables_data"][meta["name"]])
        if components is not None:
            tab = tab.filtered("component", components)
        tables.append(_table_doc(table_view(tab, lang), rd))
    return {
        "title": t(m["title_key"], lang),
        "intro": t(m["intro_key"], lang) if m.get("intro_key") else None,
        "sentences": [{"text": rd(t(key, lang, **values)), "verdict": ".verdict.verdict" in key}
                      for key, values in m.get("sentences", [])],
        "lists": [{"heading": t(h, lang), "items": [rd(t(k, lang, **v)) for k, v in items]}
                  for h, items in m.get("lists", [])],
        "figures": figures, "tables": tables,
    }


def report_document(blocks: Sequence[Mapping[str, Any]], results_dir: Path, lang: str, *,
                    title: str, subtitle_lines: Iterable[str], footer: str,
                    shows: Any = None, components: Sequence[str] | None = None,
                    redact: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The report in ``lang`` as the JSON-ready data ``templates/report.typ`` typesets.

    Same parts, order, texts and table layout as :func:`.documents.write_docx`.
    """
    from .documents import report_plan
    rd = redact or (lambda x: x)
    return {
        "lang": lang, "title": title, "author": "kassaki-eval",
        "subtitle": [rd(s) for s in subtitle_lines], "footer": footer,
        "contents": t("report.contents", lang),
        "chapters": [{"heading": heading,
                      "blocks": [_block_doc(m, results_dir, lang, components, rd)
                                 for m in body]}
                     for heading, body in report_plan(blocks, lang, shows)],
    }


def write_report_pdf(blocks: Sequence[Mapping[str, Any]], results_dir: Path, path: Path,
                     lang: str, *, title: str, subtitle_lines: Iterable[str], footer: str,
                     shows: Any = None, components: Sequence[str] | None = None,
                     redact: Callable[[str], str] | None = None) -> Path:
    """Write the report in ``lang`` as PDF (arguments as :func:`.documents.write_docx`)."""
    doc = report_document(blocks, results_dir, lang, title=title,
                          subtitle_lines=subtitle_lines, footer=footer, shows=shows,
                          components=components, redact=redact)
    # figures are read below the results folder (a run that saved no block has none)
    root = Path(results_dir) if Path(results_dir).is_dir() else Path(path).parent
    return compile_pdf("report", doc, path, root=root)


def cards_document(cards: pd.DataFrame, lang: str, *, year: int, k: int, title: str,
                   subtitle_lines: Sequence[str], footer: str, components: Sequence[str],
                   district: tuple[float, float, float] | None = None,
                   redact: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The village cards in ``lang`` as the data ``templates/cards.typ`` typesets.

    The same elements as the Word cards (:func:`.cards.card_elements`).
    """
    from .cards import card_elements
    rd = redact or (lambda x: x)
    return {
        "lang": lang, "title": title, "author": "kassaki-eval",
        "subtitle": [rd(s) for s in subtitle_lines], "footer": rd(footer),
        "intro": t("cards.intro", lang, n=len(cards), year=year, k=k),
        "cards": [card_elements(r, lang, year=year, k=k, components=components,
                                district=district)
                  for r in cards.to_dict("records")],
    }


def write_cards_pdf(cards: pd.DataFrame, path: Path, lang: str, **kw: Any) -> Path:
    """Write the village cards in ``lang`` as PDF (keywords as :func:`cards_document`)."""
    return compile_pdf("cards", cards_document(cards, lang, **kw), path)
