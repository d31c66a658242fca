"""HTML for the report: one block at a time in the notebooks, one document at the end.

A block is rendered once per language, each copy wrapped in comment markers
``<!--kassaki:lang=xx-->…<!--/kassaki:lang=xx-->``. A notebook thus shows every requested
language from one execution; :func:`assemble_report` builds one self-contained HTML file per
language from the executed notebooks' *outputs* (no code cell, no input, no prompt), keeping
that language's copies and dropping the others. Figures are embedded as SVG (vector; base64
data URIs). The HTML comes from Jinja2 templates in ``templates/`` (``block.html.j2`` for a
block, ``document.html.j2`` for the document); :func:`table_view` and :func:`block_view` give
the display text the docx writer uses too.
"""
from __future__ import annotations

import base64
import html as _html
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from .blocks import Block, Table
from .i18n import fmt, t

__all__ = ["render_block", "render_table", "table_view", "block_view", "assemble_report",
           "keep_language", "chapter_plan", "chapter_of", "OWN_CHAPTERS", "REPORT_CSS",
           "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"

_LANG_BLOCK = re.compile(r"<!--kassaki:lang=(\w+)-->(.*?)<!--/kassaki:lang=\1-->", re.S)

REPORT_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
header.cover{background:#14365d;color:#fff;padding:28px 32px;max-width:1036px;margin:0 auto}
header.cover h1{margin:0 0 6px 0;font-size:26px}
header.cover p{margin:2px 0;font-size:14px;opacity:.9}
h1.chap{color:#fff;background:#2b5a8a;font-size:21px;padding:8px 12px;margin-top:44px}
h2{color:#14365d;border-bottom:2px solid #14365d;padding-bottom:4px;margin-top:30px;font-size:19px}
h3{color:#14365d;margin:22px 0 6px 0;font-size:17px}
table.kt{border-collapse:collapse;margin:8px 0 4px 0;font-size:13px}
table.kt th{background:#14365d;color:#fff;padding:5px 8px;text-align:left;font-weight:600}
table.kt td{padding:4px 8px;border-bottom:1px solid #dde3ea}
table.kt td.num{text-align:right;font-variant-numeric:tabular-nums}
table.kt tr:nth-child(even) td{background:#f6f8fa}
table.kt tr.sup td{color:#8a94a0;font-style:italic}
p.tnote{font-size:12px;color:#56616d;margin:2px 0 14px 0}
p.lead{font-size:15px;line-height:1.5}
div.klist h3{margin-top:14px}
div.klist ul{margin:4px 0 10px 0;line-height:1.45}
section.executive table.kt{font-size:14px}
figure{margin:10px 0}
figure img{max-width:100%}
figcaption{font-size:12px;color:#56616d}
nav.toc{background:#f6f8fa;padding:10px 16px;margin:12px 0}
nav.toc a{color:#14365d}
nav.toc ul{list-style:none;padding-left:8px}
div.verdict{border:2px solid #14365d;padding:10px 14px;font-size:16px;background:#eef3f9}
footer{font-size:12px;color:#56616d;margin-top:40px;border-top:1px solid #dde3ea;padding-top:8px}
thead{display:table-header-group}
table.kt tr,figure,div.verdict{break-inside:avoid}
h1,h2,h3{break-after:avoid}
table.kt tbody tr:nth-child(-n+3){break-before:avoid}
@media print{body{background:#fff}main,header.cover{max-width:none}main{padding:0}
section.chapter,section.appendix{break-before:page}
h1.chap{margin-top:0}
header.cover,h1.chap,table.kt th,div.verdict{-webkit-print-color-adjust:exact;
print-color-adjust:exact}}
"""


def _cell(v: Any, kind: str, lang: str, translate: bool, col: str) -> str:
    """One cell as display text (not escaped: the templates escape)."""
    if translate and isinstance(v, str):
        return t(f"val.{col}.{v}", lang)
    if kind == "text":
        if v is None or (isinstance(v, float) and v != v):
            return "–"
        if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
            return t("val.yes" if v else "val.no", lang)
        return str(v)
    return fmt(v, kind, lang)


def table_view(tab: Table, lang: str) -> dict[str, Any]:
    """A table as display text in ``lang``: title, header, rows of cells, notes.

    The one place that turns a :class:`Table` into text; the HTML and the docx writers both
    use it, so the formats agree.
    """
    d = tab.data
    # "_"-columns carry per-row metadata (e.g. the number format of each key result)
    cols = [c for c in d.columns if c != "suppressed" and not str(c).startswith("_")]
    sup = d["suppressed"].to_numpy() if "suppressed" in d.columns else None
    rows = []
    for i, rec in enumerate(d.to_dict("records")):
        cells = []
        for c in cols:
            kind = tab.formats.get(c, "text")
            if kind.startswith("@"):
                kind = str(rec.get(kind[1:]) or "num")
            cells.append({"text": _cell(rec[c], kind, lang, c in tab.translate, c),
                          "num": kind != "text" and c not in tab.translate})
        rows.append({"cells": cells, "suppressed": sup is not None and bool(sup[i])})
    notes = []
    if tab.note_key:
        notes.append(t(tab.note_key, lang))
    if tab.n_suppressed:
        notes.append(t("report.suppressed_note", lang, n=tab.n_suppressed))
    return {"name": tab.name, "title": t(tab.title_key, lang),
            "header": [t(f"col.{c}", lang) for c in cols], "rows": rows,
            "notes": " ".join(notes)}


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render_table(tab: Table, lang: str) -> str:
    """One table as HTML in ``lang`` (headers and coded values translated)."""
    return _env().get_template("table.html.j2").render(tab=table_view(tab, lang)).strip()


def block_view(block: Block, lang: str,
               view_components: Sequence[str] | None = None) -> dict[str, Any]:
    """A block as display text in ``lang`` (the variables of ``block.html.j2``)."""
    tables = []
    for tab in block.tables:
        if view_components is not None:
            tab = tab.filtered("component", view_components)
        tables.append(table_view(tab, lang))
    return {
        "key": block.key,
        "title": t(block.title_key, lang),
        "intro": t(block.intro_key, lang) if block.intro_key else None,
        "sentences": [{"text": t(k, lang, **v), "verdict": ".verdict.verdict" in k}
                      for k, v in block.sentences],
        "lists": [{"heading": t(h, lang), "items": [t(k, lang, **v) for k, v in items]}
                  for h, items in block.lists],
        "figures": [{"name": f.name, "caption": t(f.caption_key, lang),
                     "svg": _svg_img(f.name, f.svg[lang]) if f.svg else
                     _png_img(f.name, f.png[lang])} for f in block.figures],
        "tables": tables,
    }


def _svg_img(name: str, svg: str) -> str:
    b64 = base64.b64encode(svg.encode()).decode()
    return f'<img alt="{_html.escape(name)}" src="data:image/svg+xml;base64,{b64}"/>'


def _png_img(name: str, png: bytes) -> str:
    b64 = base64.b64encode(png).decode()
    return f'<img alt="{_html.escape(name)}" src="data:image/png;base64,{b64}"/>'


def _render_one(block: Block, lang: str, view_components: Sequence[str] | None) -> str:
    return _env().get_template("block.html.j2").render(**block_view(block, lang,
                                                                   view_components))


def render_block(block: Block, languages: Sequence[str],
                 view_components: Sequence[str] | None = None) -> str:
    """HTML of ``block`` in every language, each copy wrapped in language markers."""
    return "\n".join(f"<!--kassaki:lang={lang}--><div lang=\"{lang}\" class=\"kblock\" "
                     f"data-block=\"{_html.escape(block.key)}\">"
                     f"{_render_one(block, lang, view_components)}</div><!--/kassaki:lang={lang}-->"
                     for lang in languages)


def keep_language(fragment: str, lang: str) -> str:
    """Drop every language copy except ``lang`` from an HTML fragment."""
    return _LANG_BLOCK.sub(lambda m: m.group(2) if m.group(1) == lang else "", fragment)


_BLOCK_DIV = re.compile(r'<div lang="\w+" class="kblock" data-block="([^"]+)">')

#: Chapter order of the published report: the executive summary (first block of the
#: summary notebook) first, the analysis chapters, the summary tables, and data quality and
#: parameters as an appendix.
EXECUTIVE_BLOCK = "nb5.exec"
APPENDIX = ("01_data_quality",)


def _outputs_html(nb: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """The rich HTML outputs of an executed notebook as (block key, html), in order.

    Code, streams and outputs without language markers are excluded.
    """
    parts: list[tuple[str, str]] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue  # markdown in report notebooks is for developers; the catalogue speaks
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue  # stdout/stderr/warnings are logged, not published
            data = out.get("data", {})
            if "text/html" in data:
                h = data["text/html"]
                h = "".join(h) if isinstance(h, list) else h
                if "kassaki:lang=" in h:
                    m = _BLOCK_DIV.search(h)
                    parts.append((m.group(1) if m else "", keep_language(h, lang)))
    return parts


#: Blocks that form a chapter of their own, right after their notebook's chapter:
#: block-key prefix -> (notebook, chapter name); the heading is the catalogue key
#: ``nb.<chapter name>``. The village chapter is made by the poverty notebook, the
#: robustness chapter (blocks ``nb4r.*``) by the impact notebook.
OWN_CHAPTERS: dict[str, tuple[str, str]] = {"nb2.village": ("02_poverty", "02_village"),
                                            "nb4r.": ("04_impact", "04_robustness")}


def chapter_of(notebook: str, block_key: str) -> str:
    """The chapter a block of ``notebook`` is published in (its notebook's, by default)."""
    for prefix, (nb, chapter) in OWN_CHAPTERS.items():
        if nb == notebook and block_key.startswith(prefix):
            return chapter
    return notebook


def chapter_plan(names: Sequence[str]) -> list[tuple[str, str]]:
    """(kind, chapter) in published order: ``executive``, chapters, ``appendix``.

    A chapter is a notebook's name, followed by the chapters of :data:`OWN_CHAPTERS` that
    notebook makes.
    """
    main: list[str] = []
    for n in names:
        if n in APPENDIX:
            continue
        main.append(n)
        main.extend(ch for nb, ch in OWN_CHAPTERS.values() if nb == n)
    return ([("executive", "")] + [("chapter", n) for n in main]
            + [("appendix", n) for n in names if n in APPENDIX])


def assemble_report(notebooks: Sequence[tuple[str, Mapping[str, Any]]], lang: str, *,
                    title: str, subtitle_lines: Iterable[str], footer: str) -> str:
    """One self-contained HTML document from the executed notebooks, in ``lang``.

    Executive summary first, then the chapters numbered 1, 2, …, then the appendix
    (data quality, inputs and parameters) lettered A, B, …; chapters outside a partner's
    view (no output) are left out.
    """
    outputs: dict[str, list[tuple[str, str]]] = {}
    for name, nb in notebooks:
        for k, h in _outputs_html(nb, lang):
            outputs.setdefault(chapter_of(name, k), []).append((k, h))
    executive = [h for parts in outputs.values() for k, h in parts if k == EXECUTIVE_BLOCK]
    chapters = []
    n_chap, n_app = 0, 0
    for kind, name in chapter_plan([n for n, _ in notebooks]):
        if kind == "executive":
            body = "\n".join(executive)
            heading = t("nb.executive", lang)
            number, anchor = "", "executive"
        else:
            body = "\n".join(h for k, h in outputs.get(name, []) if k != EXECUTIVE_BLOCK)
            heading = t(f"nb.{name}", lang)
            if kind == "chapter":
                n_chap += 1
                number, anchor = f"{n_chap}.", f"s{n_chap}"
            else:
                n_app += 1
                letter = chr(ord("A") + n_app - 1)
                number, anchor = f"{t('nb.appendix', lang)} {letter}.", f"app{letter}"
        if not body.strip():
            continue  # a chapter outside this partner's view
        chapters.append({"anchor": anchor, "number": number, "heading": heading, "body": body,
                         "kind": kind})
    return _env().get_template("document.html.j2").render(
        lang=lang, title=title, subtitle_lines=list(subtitle_lines), css=REPORT_CSS,
        contents_label=t("report.contents", lang), chapters=chapters, footer=footer)


def write_report(path: Path, document: str) -> Path:
    path.write_text(document, encoding="utf-8")
    return path


def frame_html(df: pd.DataFrame) -> str:  # pragma: no cover - debugging helper
    return df.to_html(index=False)
